/*
 * Shared mappings of tree files. A file's pages are pages of the arena
 * memfd, so a process can map them MAP_SHARED straight from that memfd at
 * their arena offsets: every process and every read/write then touch the
 * same memory, which is what coherence means, with no copy and no fault
 * handler. The core's part is to make the pages exist and to keep them where
 * they are while any mapping may still point at them:
 *
 *  - rd_map creates every page of the range, holes and pages past EOF
 *    included (the quota pays for them now, where tmpfs would at first
 *    touch), and returns a map handle: an open-file object flagged
 *    `mapping` that keeps the node alive as an open descriptor would.
 *  - While a node has one, a page leaving the file (truncate, punch) is
 *    zeroed instead of freed, and recovery does not trim past EOF, so the
 *    mapping never ends up pointing at a page another file reuses.
 *    The pages go with the node once the last mapping handle is closed.
 *
 * The cost of the check on the truncate path is one counter read while no
 * mapping exists anywhere in the tree, and a walk of the open-file list
 * otherwise.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

int map_pinned(rd_tree *t, const struct rd_node *n)
{
	struct rd_super *s = SUPER(t);
	uint64_t node = P2OFF(t, n), off;

	if (!s->nmapped)
		return 0;
	for (off = s->ofiles; off; off = ((struct rd_ofile *)OFF2P(t, off))->next) {
		const struct rd_ofile *of = OFF2P(t, off);

		if (of->mapping && of->node == node)
			return 1;
	}
	return 0;
}

static int map_locked(rd_tree *t, rd_fh fh, uint64_t off, uint64_t npages, int write, uint64_t *pages,
		      rd_fh *out)
{
	struct rd_ofile *of = ofile_get(t, fh);
	struct rd_node *n;
	uint64_t i, end;
	int rc;

	if (!of || (of->flags & O_PATH))
		return -EBADF;
	n = OFF2P(t, of->node);
	if (!S_ISREG(n->mode))
		return -ENODEV;
	/* mmap(2): any mapping needs a readable descriptor, a shared writable
	 * one a descriptor open for writing too. */
	if ((of->flags & O_ACCMODE) == O_WRONLY || (write && (of->flags & O_ACCMODE) != O_RDWR))
		return -EACCES;
	if (off & (RD_PAGE - 1) || npages == 0 || npages > (RD_MAX_FILE - off) >> RD_PAGE_SHIFT)
		return -EINVAL;
	end = off + (npages << RD_PAGE_SHIFT);
	rc = data_materialize(t, n, off, end);
	if (rc < 0)
		return rc;
	rc = ofile_new(t, of->node, (int)(of->flags & O_ACCMODE), out);
	if (rc < 0)
		return rc; /* the pages stay, as after fallocate: the file owns them */
	((struct rd_ofile *)OFF2P(t, *out))->mapping = 1;
	SUPER(t)->nmapped++;
	for (i = 0; i < npages; i++)
		pages[i] = radix_get(t, &n->map, (off >> RD_PAGE_SHIFT) + i);
	return 0;
}

int rd_map(rd_tree *t, rd_fh fh, off_t off, size_t npages, int write, uint64_t *pages, rd_fh *out)
{
	int rc;

	if (off < 0)
		return -EINVAL;
	tree_lock(t);
	rc = map_locked(t, fh, (uint64_t)off, npages, write, pages, out);
	tree_unlock(t);
	return rc;
}

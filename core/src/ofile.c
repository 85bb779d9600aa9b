/*
 * Open files: rd_open, reference counting (dup/fork), descriptor I/O,
 * lseek and readdir. An open-file object lives in the arena so that a file
 * position is shared by every process holding the handle, as POSIX wants
 * for inherited descriptors. All of it but a read at end of file (below)
 * runs under the tree lock, which is also what makes O_APPEND atomic across
 * handles. None of it changes what a path resolves to except creating a
 * file, so it locks read-only (the walk in rd_open may come from the lookup
 * cache) and ofile_create() reports the name it adds (arena.c).
 */
#include "internal.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#define OFILE_SETFL_MASK (O_APPEND | O_NONBLOCK | O_NOATIME)

struct rd_ofile *ofile_get(rd_tree *t, rd_fh fh)
{
	struct rd_ofile *of;

	if (fh < SUPER(t)->pages_start || fh > t->size - sizeof *of || (fh & 15))
		return NULL;
	of = OFF2P(t, fh);
	return of->magic == RD_OFILE_MAGIC && of->refs ? of : NULL;
}

/* Make the open-file object at off (allocated by the caller) live. */
static void ofile_init(rd_tree *t, uint64_t off, uint64_t node, int flags, rd_fh *out)
{
	struct rd_super *s = SUPER(t);
	struct rd_ofile *of = OFF2P(t, off);

	of->refs = 1;
	of->flags = (uint32_t)flags;
	of->mapping = 0;
	of->node = node;
	of->hpid[0] = of->hpid[1] = 0;
	of->hcnt[0] = of->hcnt[1] = 0;
	holder_add(of, t->pid);
	of->next = s->ofiles;
	of->magic = RD_OFILE_MAGIC;
	if (of->next)
		((struct rd_ofile *)OFF2P(t, of->next))->prev = off;
	/* The caller's handle first, the list (a GC root, walked forwards)
	 * last: a process killed in between leaves a handle that recovery
	 * turns invalid (EBADF), never an open file nobody can close. */
	*out = off;
	__atomic_store_n(&s->ofiles, off, __ATOMIC_RELEASE);
	s->nofiles++;
	((struct rd_node *)OFF2P(t, node))->opens++;
}

int ofile_new(rd_tree *t, uint64_t node, int flags, rd_fh *out)
{
	uint64_t off;
	int rc = obj_alloc(t, sizeof(struct rd_ofile), &off);

	if (rc < 0)
		return rc;
	ofile_init(t, off, node, flags, out);
	return 0;
}

static void ofile_release(rd_tree *t, struct rd_ofile *of)
{
	struct rd_super *s = SUPER(t);
	uint64_t off = P2OFF(t, of), node = of->node;

	if (of->prev)
		((struct rd_ofile *)OFF2P(t, of->prev))->next = of->next;
	else
		s->ofiles = of->next;
	if (of->next)
		((struct rd_ofile *)OFF2P(t, of->next))->prev = of->prev;
	of->magic = 0;
	obj_free(t, off);
	s->nofiles--;
	((struct rd_node *)OFF2P(t, node))->opens--;
	if (of->mapping) {
		struct rd_node *n = OFF2P(t, node);

		/* Pages kept past EOF for the mappings (map.c) go now. */
		s->nmapped--;
		if (n->nlink && !map_pinned(t, n))
			data_trim_eof(t, n);
	}
	lock_ofile_gone(t, off, node); /* its OFD and flock locks (lock.c) */
	node_maybe_free(t, node);
}

/* ---- open ---- */

static int ofile_create(rd_tree *t, struct walk *w, mode_t mode)
{
	struct rd_node *dir = OFF2P(t, w->dir), *n;
	uint64_t node;
	int rc;

	if (w->trailing_slash)
		return -EISDIR;
	if (dir->nlink == 0)
		return -ENOENT;
	rc = roots_may_create(t, w->dir);
	if (rc == 0)
		rc = node_perm(t, dir, 3);
	if (rc < 0)
		return rc;
	rc = node_new(t, S_IFREG | (mode & 07777 & ~t->umask), &node);
	if (rc < 0)
		return rc;
	n = OFF2P(t, node);
	if (dir->mode & S_ISGID)
		n->gid = dir->gid;
	/* Before the name exists, as tree_lock() does: a holder killed
	 * in dir_add leaves nothing cached that the name contradicts. */
	tree_ns_added(t);
	rc = dir_add(t, dir, w->name, w->namelen, node, &w->dent);
	if (rc < 0) {
		node_free(t, node);
		return rc;
	}
	n->nlink = 1;
	node_touch(dir, 0, 1, 1);
	SUPER(t)->files_created++;
	w->node = node;
	return 0;
}

static int ofile_open_tmpfile(rd_tree *t, rd_fh base, const char *path, int flags, mode_t mode, rd_fh *out)
{
	struct walk w;
	struct rd_node *dir;
	uint64_t node;
	int acc = flags & O_ACCMODE, rc;

	if (acc != O_WRONLY && acc != O_RDWR)
		return -EINVAL;
	rc = path_walk(t, base, path, WALK_FOLLOW, &w);
	if (rc < 0)
		return rc;
	dir = OFF2P(t, w.node);
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (dir->nlink == 0)
		return -ENOENT;
	rc = node_perm(t, dir, 3);
	if (rc < 0)
		return rc;
	rc = node_new(t, S_IFREG | (mode & 07777 & ~t->umask), &node);
	if (rc < 0)
		return rc;
	rc = ofile_new(t, node, flags, out);
	if (rc < 0)
		node_free(t, node);
	else
		SUPER(t)->files_created++;
	return rc;
}

static int ofile_open_node(rd_tree *t, uint64_t node, int flags, rd_fh *out);

static int ofile_open_locked(rd_tree *t, rd_fh base, const char *path, int flags, mode_t mode, rd_fh *out)
{
	int wflags = 0, rc;
	struct walk w;

	if ((flags & O_TMPFILE) == O_TMPFILE)
		return (flags & O_CREAT) ? -EINVAL : ofile_open_tmpfile(t, base, path, flags, mode, out);
	if ((flags & O_CREAT) && (flags & O_DIRECTORY))
		return -EINVAL; /* Linux 6.4 and later */
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	if (!(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL)))
		wflags |= WALK_FOLLOW;
	if (flags & O_CREAT)
		wflags |= WALK_PARENT;
	rc = path_walk(t, base, path, wflags, &w);
	if (rc < 0)
		return rc;
	if ((flags & O_CREAT) && w.trailing_slash)
		return -EISDIR;
	if (flags & O_CREAT) {
		if (!w.node) {
			uint64_t off;

			/* The open file first, as Linux allocates its struct
			 * file first: out of memory, nothing is created. */
			rc = obj_alloc(t, sizeof(struct rd_ofile), &off);
			if (rc < 0)
				return rc;
			rc = ofile_create(t, &w, mode);
			if (rc < 0) {
				obj_free(t, off);
				return rc;
			}
			/* The creator gets the access it asked for, whatever the
			 * mode; and a new file has nothing to truncate. */
			ofile_init(t, off, w.node, flags & ~O_TRUNC, out);
			return 0;
		} else if (flags & O_EXCL) {
			return -EEXIST;
		} else if (w.namelen == 0 || w.dotdot ||
			   S_ISDIR(((struct rd_node *)OFF2P(t, w.node))->mode)) {
			return -EISDIR;
		}
	}
	return ofile_open_node(t, w.node, flags, out);
}

/* Open existing node `node` (the open(2) checks after the walk). */
static int ofile_open_node(rd_tree *t, uint64_t node, int flags, rd_fh *out)
{
	int acc = flags & O_ACCMODE, rc;
	struct rd_node *n = OFF2P(t, node);

	if ((flags & O_DIRECTORY) && !S_ISDIR(n->mode))
		return -ENOTDIR;
	if (S_ISLNK(n->mode) && !(flags & O_PATH))
		return -ELOOP;
	if (!(flags & O_PATH)) {
		int want = 0;

		if (S_ISDIR(n->mode) && (acc != O_RDONLY || (flags & O_TRUNC)))
			return -EISDIR;
		if (acc == O_RDONLY || acc == O_RDWR)
			want |= 4;
		if (acc == O_WRONLY || acc == O_RDWR || (flags & O_TRUNC))
			want |= 2;
		rc = node_perm(t, n, want);
		if (rc < 0)
			return rc;
		if ((flags & O_NOATIME) && !node_is_owner(t, n))
			return -EPERM;
		if (S_ISSOCK(n->mode)) /* after the permission check, as Linux */
			return -ENXIO;
		if ((flags & O_TRUNC) && S_ISREG(n->mode)) {
			uint64_t off;

			/* the open file before the truncation: an open that
			 * fails for memory leaves the file's bytes alone */
			rc = obj_alloc(t, sizeof(struct rd_ofile), &off);
			if (rc < 0)
				return rc;
			data_truncate(t, n, 0);
			node_touch(n, 0, 1, 1);
			ofile_init(t, off, node, flags, out);
			return 0;
		}
	}
	return ofile_new(t, node, flags, out);
}

int rd_open(rd_tree *t, rd_fh base, const char *path, int flags, mode_t mode, rd_fh *out)
{
	int rc;

	tree_lock_ro(t);
	rc = ofile_open_locked(t, base, path, flags, mode, out);
	tree_unlock(t);
	return rc;
}

/*
 * Opening /proc/self/fd/N or /dev/fd/N of a tree descriptor: Linux follows
 * the magic link to the file itself and makes a new open file of it, with
 * the new flags and the usual permission checks, even when the file has
 * no name left. O_CREAT|O_EXCL finds it existing.
 */
int rd_reopen(rd_tree *t, rd_fh fh, int flags, rd_fh *out)
{
	struct rd_ofile *of;
	int rc;

	if ((flags & O_TMPFILE) == O_TMPFILE)
		return -EINVAL;
	if ((flags & O_CREAT) && (flags & O_EXCL))
		return -EEXIST;
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	tree_lock(t);
	of = ofile_get(t, fh);
	if (!of)
		rc = -EBADF;
	else if ((flags & O_CREAT) && S_ISDIR(((struct rd_node *)OFF2P(t, of->node))->mode))
		rc = -EISDIR;
	else
		rc = ofile_open_node(t, of->node, flags & ~O_CREAT, out);
	tree_unlock(t);
	return rc;
}

int rd_fh_ref(rd_tree *t, rd_fh fh)
{
	struct rd_ofile *of;
	int rc = -EBADF;

	tree_lock_ro(t);
	of = ofile_get(t, fh);
	if (of) {
		of->refs++;
		holder_add(of, t->pid);
		rc = 0;
	}
	tree_unlock(t);
	return rc;
}

int rd_close(rd_tree *t, rd_fh fh)
{
	struct rd_ofile *of;
	int rc = -EBADF;

	tree_lock_ro(t);
	of = ofile_get(t, fh);
	if (of) {
		holder_del(of, t->pid);
		if (--of->refs == 0)
			ofile_release(t, of);
		rc = 0;
	}
	tree_unlock(t);
	return rc;
}

/* References taken for another process (give: one more, ledgered to
 * nobody; ungive: one fewer of those), and one such reference becoming
 * this process's (take: ledgered to t's pid, no change to refs). */
int rd_fh_give(rd_tree *t, rd_fh fh, int delta)
{
	struct rd_ofile *of;
	int rc = -EBADF;

	tree_lock_ro(t);
	of = ofile_get(t, fh);
	if (of) {
		rc = 0;
		if (delta > 0)
			of->refs++;
		else if (--of->refs == 0)
			ofile_release(t, of);
	}
	tree_unlock(t);
	return rc;
}

int rd_fh_take(rd_tree *t, rd_fh fh)
{
	struct rd_ofile *of;
	int rc = -EBADF;

	tree_lock_ro(t);
	of = ofile_get(t, fh);
	if (of) {
		if ((uint64_t)of->hcnt[0] + of->hcnt[1] < of->refs)
			holder_add(of, t->pid);
		rc = 0;
	}
	tree_unlock(t);
	return rc;
}

/* Release every reference ledgered to a process that no longer runs. */
int rd_reap(rd_tree *t)
{
	struct rd_super *s;
	uint32_t dead[64], live[64];
	int ndead = 0, nlive = 0, released = 0;
	uint64_t off;

	tree_lock_ro(t); /* frees open files, never a name */
	s = SUPER(t);
	for (off = s->ofiles; off;) {
		struct rd_ofile *of = OFF2P(t, off);
		uint64_t next = of->next;

		for (int i = 0; i < 2; i++) {
			uint32_t pid = of->hpid[i];
			int k, is_dead = -1;

			if (!of->hcnt[i] || pid == t->pid)
				continue;
			for (k = 0; k < ndead && is_dead < 0; k++)
				is_dead = dead[k] == pid ? 1 : -1;
			for (k = 0; k < nlive && is_dead < 0; k++)
				is_dead = live[k] == pid ? 0 : -1;
			if (is_dead < 0) {
				is_dead = !pid_alive(pid);
				if (is_dead && ndead < 64)
					dead[ndead++] = pid;
				else if (!is_dead && nlive < 64)
					live[nlive++] = pid;
			}
			if (!is_dead)
				continue;
			released += (int)of->hcnt[i];
			of->refs -= of->hcnt[i] < of->refs ? of->hcnt[i] : of->refs;
			of->hcnt[i] = 0;
			of->hpid[i] = 0;
		}
		if (of->refs == 0)
			ofile_release(t, of);
		off = next;
	}
	s->reap_mark = s->nofiles * 2 + 64;
	tree_unlock(t);
	return released;
}

/* Worth a reap? The open files doubled since the last one. No lock: a
 * stale answer only moves the reap. */
int rd_reap_due(rd_tree *t)
{
	struct rd_super *s = SUPER(t);

	return __atomic_load_n(&s->nofiles, __ATOMIC_RELAXED) > __atomic_load_n(&s->reap_mark, __ATOMIC_RELAXED);
}

int rd_fh_getfl(rd_tree *t, rd_fh fh)
{
	struct rd_ofile *of;
	int rc;

	tree_lock_ro(t);
	of = ofile_get(t, fh);
	rc = of ? (int)of->flags : -EBADF;
	tree_unlock(t);
	return rc;
}

int rd_fh_setfl(rd_tree *t, rd_fh fh, int flags)
{
	struct rd_ofile *of;
	int rc = -EBADF;

	tree_lock_ro(t);
	of = ofile_get(t, fh);
	if (of) {
		of->flags = (of->flags & ~(uint32_t)OFILE_SETFL_MASK) | ((uint32_t)flags & OFILE_SETFL_MASK);
		rc = 0;
	}
	tree_unlock(t);
	return rc;
}

/* ---- I/O ---- */

/* The open file and its node, if the handle allows `want` (4 read, 2 write). */
static int ofile_io(rd_tree *t, rd_fh fh, int want, struct rd_ofile **ofp, struct rd_node **np)
{
	struct rd_ofile *of = ofile_get(t, fh);
	int acc;

	if (!of || (of->flags & O_PATH))
		return -EBADF;
	acc = (int)of->flags & O_ACCMODE;
	if ((want & 4) && acc == O_WRONLY)
		return -EBADF;
	if ((want & 2) && acc == O_RDONLY)
		return -EBADF;
	*ofp = of;
	*np = OFF2P(t, of->node);
	if (S_ISDIR((*np)->mode))
		return -EISDIR;
	return 0;
}

static uint64_t iov_total(const struct iovec *iov, int cnt)
{
	uint64_t total = 0;
	int i;

	for (i = 0; i < cnt; i++)
		total += iov[i].iov_len;
	return total;
}

/* Linux refuses (EINVAL) an I/O whose end would pass the largest offset. */
static int ofile_range_ok(uint64_t pos, const struct iovec *iov, int cnt)
{
	uint64_t total = 0;
	int i;

	for (i = 0; i < cnt; i++)
		if (__builtin_add_overflow(total, iov[i].iov_len, &total))
			return 0;
	return pos <= (uint64_t)INT64_MAX && total <= (uint64_t)INT64_MAX - pos;
}

static ssize_t ofile_readv_locked(rd_tree *t, rd_fh fh, const struct iovec *iov, int cnt, off_t off)
{
	struct rd_ofile *of;
	struct rd_node *n;
	uint64_t pos;
	ssize_t total = 0;
	int i, rc = ofile_io(t, fh, 4, &of, &n);

	if (rc < 0)
		return rc;
	if (cnt < 0 || cnt > 1024)
		return -EINVAL;
	pos = off < 0 ? of->pos : (uint64_t)off;
	if (!ofile_range_ok(pos, iov, cnt))
		return -EINVAL;
	for (i = 0; i < cnt; i++) {
		ssize_t got = data_read(t, n, iov[i].iov_base, iov[i].iov_len, pos);

		total += got;
		pos += (uint64_t)got;
		if ((size_t)got < iov[i].iov_len)
			break;
	}
	if (off < 0)
		of->pos = pos;
	if (!(of->flags & O_NOATIME))
		node_atime_read(n);
	SUPER(t)->bytes_read += (uint64_t)total;
	return total;
}

static ssize_t ofile_writev_locked(rd_tree *t, rd_fh fh, const struct iovec *iov, int cnt, off_t off)
{
	struct rd_ofile *of;
	struct rd_node *n;
	uint64_t pos;
	ssize_t done;
	int rc = ofile_io(t, fh, 2, &of, &n);

	if (rc < 0)
		return rc;
	if (cnt < 0 || cnt > 1024)
		return -EINVAL;
	/* An empty write changes nothing, not even an O_APPEND position. */
	if (iov_total(iov, cnt) == 0)
		return 0;
	/* Linux quirk kept: pwrite on an O_APPEND file appends too. */
	if (of->flags & O_APPEND)
		pos = n->size;
	else
		pos = off < 0 ? of->pos : (uint64_t)off;
	if (!ofile_range_ok(pos, iov, cnt))
		return -EINVAL;
	done = data_writev(t, n, iov, cnt, pos);
	if (done < 0)
		return done;
	if (off < 0)
		of->pos = pos + (uint64_t)done;
	if (done > 0) {
		node_touch(n, 0, 1, 1);
		/* A write by anyone but root drops set-user/group-id as on Linux. */
		if (t->uid != 0 && (n->mode & (S_ISUID | S_ISGID)))
			n->mode &= ~(uint32_t)(S_ISUID | ((n->mode & S_IXGRP) ? S_ISGID : 0));
	}
	SUPER(t)->bytes_written += (uint64_t)done;
	return done;
}

/*
 * A read at or past the end of the file changes nothing: no byte, no
 * position, and under relatime usually no atime. Such a read (the last
 * one of every read-to-EOF loop) is answered without the lock, as a
 * seqlock reader (arena.c): the open file and its node are read racily,
 * every offset is bounds-checked, and the answer stands only if no lock
 * holder ran meanwhile in any process. The atime rule is node_atime_read()
 * itself, applied to a copy: if it would change the copy, the read takes
 * the lock to change the node. Any error, and any read with bytes to
 * return, takes the lock too. 1: not answered.
 */
static int ofile_read_eof_fast(rd_tree *t, rd_fh fh, const struct iovec *iov, int cnt, off_t off)
{
	struct rd_ofile *of;
	struct rd_node n;
	uint64_t seq, gen[2], node, pos;
	uint32_t flags;

	if (!RD_SEQLOCK_READERS)
		return 1;
	seq = tree_read_begin(t, gen);
	if (seq & 1)
		return 1;
	of = ofile_get(t, fh);
	if (!of)
		return 1;
	flags = __atomic_load_n(&of->flags, __ATOMIC_RELAXED);
	node = __atomic_load_n(&of->node, __ATOMIC_RELAXED);
	pos = off < 0 ? __atomic_load_n(&of->pos, __ATOMIC_RELAXED) : (uint64_t)off;
	if ((flags & O_PATH) || (flags & O_ACCMODE) == O_WRONLY || cnt < 0 || cnt > 1024 ||
	    node < SUPER(t)->pages_start || node > t->size - sizeof n || (node & 15))
		return 1;
	/* Most reads have bytes to return: find out before copying the node. */
	if (pos < __atomic_load_n(&((struct rd_node *)OFF2P(t, node))->size, __ATOMIC_RELAXED))
		return 1;
	memcpy(&n, OFF2P(t, node), sizeof n);
	if (!tree_read_ok(t, seq))
		return 1;
	if (S_ISDIR(n.mode) || pos < n.size || !ofile_range_ok(pos, iov, cnt))
		return 1;
	if (!(flags & O_NOATIME)) {
		int64_t a = n.atime;
		uint32_t ans = n.atime_ns;

		node_atime_read(&n);
		if (n.atime != a || n.atime_ns != ans)
			return 1;
	}
	return 0;
}

ssize_t rd_preadv(rd_tree *t, rd_fh fh, const struct iovec *iov, int cnt, off_t off)
{
	ssize_t rc;

	if (!ofile_read_eof_fast(t, fh, iov, cnt, off))
		return 0;
	tree_lock_ro(t);
	rc = ofile_readv_locked(t, fh, iov, cnt, off);
	tree_unlock(t);
	return rc;
}

ssize_t rd_pwritev(rd_tree *t, rd_fh fh, const struct iovec *iov, int cnt, off_t off)
{
	ssize_t rc;

	tree_lock_ro(t);
	rc = ofile_writev_locked(t, fh, iov, cnt, off);
	tree_unlock(t);
	return rc;
}

ssize_t rd_read(rd_tree *t, rd_fh fh, void *buf, size_t len)
{
	struct iovec v = {buf, len};

	return rd_preadv(t, fh, &v, 1, -1);
}

ssize_t rd_write(rd_tree *t, rd_fh fh, const void *buf, size_t len)
{
	struct iovec v = {(void *)buf, len};

	return rd_pwritev(t, fh, &v, 1, -1);
}

ssize_t rd_pread(rd_tree *t, rd_fh fh, void *buf, size_t len, off_t off)
{
	struct iovec v = {buf, len};

	if (off < 0)
		return -EINVAL;
	return rd_preadv(t, fh, &v, 1, off);
}

ssize_t rd_pwrite(rd_tree *t, rd_fh fh, const void *buf, size_t len, off_t off)
{
	struct iovec v = {(void *)buf, len};

	if (off < 0)
		return -EINVAL;
	return rd_pwritev(t, fh, &v, 1, off);
}

static off_t ofile_lseek_locked(rd_tree *t, rd_fh fh, off_t off, int whence)
{
	struct rd_ofile *of = ofile_get(t, fh);
	struct rd_node *n;
	int64_t pos;

	if (!of || (of->flags & O_PATH))
		return -EBADF;
	n = OFF2P(t, of->node);
	if (S_ISDIR(n->mode)) {
		if (whence == SEEK_SET && off >= 0)
			pos = off;
		else if (whence == SEEK_CUR && off == 0)
			pos = (int64_t)of->pos;
		else
			return -EINVAL;
		of->pos = (uint64_t)pos;
		return pos;
	}
	switch (whence) {
	case SEEK_SET:
		pos = off;
		break;
	case SEEK_CUR:
		if (__builtin_add_overflow((int64_t)of->pos, (int64_t)off, &pos))
			return -EINVAL;
		break;
	case SEEK_END:
		if (__builtin_add_overflow((int64_t)n->size, (int64_t)off, &pos))
			return -EINVAL;
		break;
	case SEEK_DATA:
	case SEEK_HOLE:
		if (off < 0)
			return -ENXIO;
		pos = data_seek(t, n, (uint64_t)off, whence == SEEK_HOLE);
		if (pos < 0)
			return pos;
		break;
	default:
		return -EINVAL;
	}
	if (pos < 0)
		return -EINVAL;
	of->pos = (uint64_t)pos;
	return pos;
}

off_t rd_lseek(rd_tree *t, rd_fh fh, off_t off, int whence)
{
	off_t rc;

	tree_lock_ro(t);
	rc = ofile_lseek_locked(t, fh, off, whence);
	tree_unlock(t);
	return rc;
}

/* ---- readdir ---- */

struct ofile_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};

static size_t ofile_emit(void *buf, size_t room, uint64_t ino, uint64_t next, unsigned type, const char *name,
			 size_t len)
{
	size_t rec = (offsetof(struct ofile_dirent64, d_name) + len + 1 + 7) & ~(size_t)7;
	struct ofile_dirent64 *d = buf;

	if (rec > room)
		return 0;
	d->d_ino = ino;
	d->d_off = (int64_t)next;
	d->d_reclen = (uint16_t)rec;
	d->d_type = (uint8_t)type;
	memcpy(d->d_name, name, len);
	memset(d->d_name + len, 0, rec - offsetof(struct ofile_dirent64, d_name) - len);
	return rec;
}

static ssize_t ofile_getdents_locked(rd_tree *t, rd_fh fh, void *buf, size_t len)
{
	struct rd_ofile *of = ofile_get(t, fh);
	struct rd_node *dir;
	size_t used = 0, rec;

	if (!of || (of->flags & O_PATH))
		return -EBADF;
	dir = OFF2P(t, of->node);
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (dir->nlink == 0)
		return -ENOENT;
	if (len == 0)
		return -EINVAL;
	while (of->pos < RD_COOKIE_FIRST) {
		/* ".." of a mount root is itself, as at the root of a mount. */
		const struct rd_node *pn = of->pos == 0 || roots_mount(t, of->node) >= 0
						   ? dir
						   : OFF2P(t, dirx(t, dir)->parent);

		rec = ofile_emit((char *)buf + used, len - used, pn->ino, of->pos + 1, DT_DIR, "..",
				 of->pos == 0 ? 1 : 2);
		if (!rec)
			goto out;
		used += rec;
		of->pos++;
	}
	for (;;) {
		uint64_t pos = of->pos;
		uint64_t d = dir_next(t, dir, &pos);
		struct rd_dirent *e;

		if (!d)
			break;
		e = OFF2P(t, d);
		rec = ofile_emit((char *)buf + used, len - used, ((struct rd_node *)OFF2P(t, e->node))->ino,
				 dir_pos_after(pos), e->type, e->name, e->namelen);
		if (!rec)
			break;
		used += rec;
		of->pos = dir_pos_after(pos);
	}
out:
	if (used == 0 && len > 0) {
		/* Room for nothing: distinguish "end" from "buffer too small". */
		uint64_t pos = of->pos;

		if (pos < RD_COOKIE_FIRST || dir_next(t, dir, &pos))
			return -EINVAL;
	}
	node_atime_read(dir);
	return (ssize_t)used;
}

ssize_t rd_getdents(rd_tree *t, rd_fh fh, void *buf, size_t len)
{
	ssize_t rc;

	tree_lock_ro(t);
	rc = ofile_getdents_locked(t, fh, buf, len);
	tree_unlock(t);
	return rc;
}

static int ofile_path_locked(rd_tree *t, rd_fh fh, char *buf, size_t size)
{
	struct rd_ofile *of = ofile_get(t, fh);
	uint64_t node, root = SUPER(t)->root;
	char tmp[RD_PATH_MAX];
	size_t at = sizeof tmp;

	if (!of)
		return -EBADF;
	node = of->node;
	if (!S_ISDIR(((struct rd_node *)OFF2P(t, node))->mode))
		return -ENOTDIR;
	while (node != root) {
		struct rd_node *n = OFF2P(t, node);
		struct rd_dirx *x = dirx(t, n);
		struct rd_dirent *e;

		if (n->nlink == 0 || !x->self)
			return -ENOENT;
		e = OFF2P(t, x->self);
		if (at < (size_t)e->namelen + 1)
			return -ENAMETOOLONG;
		at -= e->namelen;
		memcpy(tmp + at, e->name, e->namelen);
		tmp[--at] = '/';
		node = x->parent;
	}
	if (at == sizeof tmp)
		tmp[--at] = '/';
	if (sizeof tmp - at + 1 > size)
		return -ERANGE;
	memcpy(buf, tmp + at, sizeof tmp - at);
	buf[sizeof tmp - at] = 0;
	return 0;
}

int rd_fh_path(rd_tree *t, rd_fh fh, char *buf, size_t size)
{
	int rc;

	tree_lock_ro(t);
	rc = ofile_path_locked(t, fh, buf, size);
	tree_unlock(t);
	return rc;
}

/*
 * Mount roots. A tree made for one prefix has one, the tree root. A tree
 * made for N >= 2 (rd_config.roots) has N: directories "/0" ... "/f" (the
 * index as one hex digit) directly under the tree root, made with the tree,
 * each behaving as the root of its own mount on one device: ".." there
 * leaves the tree and the escape says which root was left; such a directory
 * cannot be removed or renamed (EBUSY, checked in namespace.c); rename and
 * link between two roots are EXDEV; and nothing can be created beside them
 * (EPERM), so "a directory whose parent is the tree root" is exactly "a
 * mount root", and the index is its one-character name.
 */
#include "internal.h"

#include <errno.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

static __thread int roots_esc_root __attribute__((tls_model("initial-exec")));

static const char roots_digits[] = "0123456789abcdef";

int rd_escape_root(void)
{
	return roots_esc_root;
}

int roots_escape(const char *rest, int root, int hops)
{
	roots_esc_root = root;
	return path_escape(rest, RD_ESC_ABOVE_ROOT, hops);
}

/*
 * Not read through the mapping when attached: every process that joins a
 * tree asks this in its constructor, and the first load through the
 * mapping would populate it (a shared-memory fault, page tables made and
 * torn down at exit: about 15 us measured) in a process that may never use
 * the tree (/bin/true, most of a build's shells). rd_tree_attach keeps it
 * from the superblock it reads anyway (nroots never changes after
 * rd_tree_create), which also saved the pread this used to make.
 */
RD_START int rd_tree_roots(rd_tree *t)
{
	uint32_t n = t->nroots;

	if (n) /* attached: read with the superblock, so the mapping stays untouched */
		return (int)n;
	n = SUPER(t)->nroots;
	return n ? (int)n : 1;
}

/* Called by rd_tree_create before anyone else can see the tree. The
 * directories are mode 1777 as the tree root (a fresh tmpfs mount) and
 * are not counted in dirs_created: they belong to the empty tree. */
int roots_make(rd_tree *t, unsigned n)
{
	struct rd_super *s = SUPER(t);
	struct rd_node *root = OFF2P(t, s->root);
	unsigned i;

	if (n > RD_MAX_ROOTS)
		return -EINVAL;
	if (n < 2)
		return 0;
	for (i = 0; i < n; i++) {
		uint64_t node, dent;
		int rc = node_new(t, S_IFDIR | 01777, &node);

		if (rc < 0)
			return rc;
		rc = dir_init(t, node, s->root);
		if (rc == 0)
			rc = dir_add(t, root, &roots_digits[i], 1, node, &dent);
		if (rc < 0) {
			node_free(t, node);
			return rc;
		}
		((struct rd_node *)OFF2P(t, node))->nlink = 2;
		dirx(t, OFF2P(t, node))->self = dent;
		root->nlink++;
	}
	s->nroots = n;
	return 0;
}

/* The index of mount root `dir` (a live directory), -1 if it is none. A
 * tree with one root costs one load and one compare. */
int roots_mount(rd_tree *t, uint64_t dir)
{
	struct rd_super *s = SUPER(t);
	const struct rd_dirent *e;
	const struct rd_dirx *x;
	const char *d;

	if (likely(s->nroots == 0))
		return dir == s->root ? 0 : -1;
	if (dir == s->root)
		return -1; /* the device's own root: ".." stays there */
	x = dirx(t, OFF2P(t, dir));
	if (x->parent != s->root || !x->self)
		return -1;
	e = OFF2P(t, x->self);
	d = memchr(roots_digits, e->name[0], sizeof roots_digits - 1);
	return d ? (int)(d - roots_digits) : -1;
}

/* Which mount root directory `dir` is below (itself included): its index,
 * -1 for the tree root of a multi-root tree, -2 if that cannot be told (a
 * removed directory, whose parent may be gone). */
static int roots_of(rd_tree *t, uint64_t dir)
{
	uint64_t root = SUPER(t)->root;

	for (;;) {
		struct rd_node *n = OFF2P(t, dir);
		int k;

		if (dir == root)
			return -1;
		if (n->nlink == 0)
			return -2;
		k = roots_mount(t, dir);
		if (k >= 0)
			return k;
		dir = dirx(t, n)->parent;
	}
}

int roots_may_create(rd_tree *t, uint64_t dir)
{
	return SUPER(t)->nroots && dir == SUPER(t)->root ? -EPERM : 0;
}

/* rename and link from directory odir into ndir: both must be below the
 * same mount root, as the kernel refuses to cross mounts. odir 0 (a link
 * of a descriptor, AT_EMPTY_PATH) is not checked: a file does not know
 * its directory. */
int roots_check_move(rd_tree *t, uint64_t odir, uint64_t ndir)
{
	int a, b;

	if (likely(SUPER(t)->nroots == 0) || !odir)
		return 0;
	a = roots_of(t, odir);
	b = roots_of(t, ndir);
	return a != -2 && b != -2 && a != b ? -EXDEV : 0;
}

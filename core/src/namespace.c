/*
 * Namespace operations: mkdir, mknod, unlink/rmdir, rename (with
 * RENAME_NOREPLACE and RENAME_EXCHANGE), link, symlink, readlink. Each
 * checks everything that can fail before it changes anything, so a refusal
 * (including ENOSPC) leaves the tree as it was.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>

static struct rd_node *ns_node(rd_tree *t, uint64_t off)
{
	return OFF2P(t, off);
}

/* Common checks for creating w->name in w->dir. */
static int ns_can_create(rd_tree *t, const struct walk *w)
{
	struct rd_node *dir;

	if (w->node || w->namelen == 0 || w->dotdot)
		return -EEXIST;
	dir = ns_node(t, w->dir);
	if (dir->nlink == 0)
		return -ENOENT;
	if (roots_may_create(t, w->dir) < 0)
		return -EPERM;
	return node_perm(t, dir, 3);
}

static void ns_set_dir_self(rd_tree *t, uint64_t node, uint64_t dent)
{
	struct rd_node *n = ns_node(t, node);

	if (S_ISDIR(n->mode))
		dirx(t, n)->self = dent;
}

/* A new node of mode `mode` (umask applied) for the last name of path,
 * not linked yet: the checks of a create, and the group of a set-group-ID
 * parent, as tmpfs's inode_init_owner gives it (a directory keeps the bit). */
static int ns_new_child(rd_tree *t, rd_fh base, const char *path, mode_t mode, struct walk *w, uint64_t *node)
{
	struct rd_node *dir, *n;
	int rc = path_walk(t, base, path, WALK_PARENT, w);

	if (rc < 0)
		return rc;
	rc = ns_can_create(t, w);
	if (rc < 0)
		return rc;
	dir = ns_node(t, w->dir);
	rc = node_new(t, (mode & S_IFMT) | (mode & 07777 & ~t->umask), node);
	if (rc < 0)
		return rc;
	n = ns_node(t, *node);
	if (dir->mode & S_ISGID) {
		n->gid = dir->gid;
		if (S_ISDIR(mode))
			n->mode |= S_ISGID;
	}
	return 0;
}

static int ns_mkdir_locked(rd_tree *t, rd_fh base, const char *path, mode_t mode)
{
	struct walk w;
	struct rd_node *dir, *n;
	uint64_t node, dent;
	int rc = ns_new_child(t, base, path, S_IFDIR | (mode & 01777), &w, &node);

	if (rc < 0)
		return rc;
	dir = ns_node(t, w.dir);
	n = ns_node(t, node);
	rc = dir_init(t, node, w.dir);
	if (rc == 0)
		rc = dir_add(t, dir, w.name, w.namelen, node, &dent);
	if (rc < 0) {
		node_free(t, node);
		return rc;
	}
	n->nlink = 2;
	dirx(t, n)->self = dent;
	dir->nlink++;
	node_touch(dir, 0, 1, 1);
	SUPER(t)->dirs_created++;
	return 0;
}

int rd_mkdir(rd_tree *t, rd_fh base, const char *path, mode_t mode)
{
	int rc;

	tree_lock(t);
	rc = ns_mkdir_locked(t, base, path, mode);
	tree_unlock(t);
	return rc;
}

/* mknod("name/") makes no file: EEXIST if the name exists, else ENOENT
 * (open would say EISDIR). */
static int ns_mknod_slash(rd_tree *t, rd_fh base, const char *path)
{
	struct walk w;
	int rc;

	tree_lock(t);
	rc = path_walk(t, base, path, WALK_PARENT, &w);
	if (rc == 0)
		rc = (w.node || w.namelen == 0 || w.dotdot) ? -EEXIST : -ENOENT;
	tree_unlock(t);
	return rc;
}

/* A socket node: a name and a mode, nothing to read or write (open gives
 * ENXIO). What binds it is the preload's business (an abstract socket). */
/* Give new non-directory node `node` its one name (w's last component);
 * on failure it is freed. */
static int ns_add_leaf(rd_tree *t, const struct walk *w, uint64_t node)
{
	struct rd_node *dir = ns_node(t, w->dir);
	int rc = dir_add(t, dir, w->name, w->namelen, node, NULL);

	if (rc < 0) {
		node_free(t, node);
		return rc;
	}
	ns_node(t, node)->nlink = 1;
	node_touch(dir, 0, 1, 1);
	return 0;
}

static int ns_mksock_locked(rd_tree *t, rd_fh base, const char *path, mode_t mode)
{
	struct walk w;
	uint64_t node;
	int rc = ns_new_child(t, base, path, S_IFSOCK | (mode & 07777), &w, &node);

	return rc < 0 ? rc : ns_add_leaf(t, &w, node);
}

int rd_mknod(rd_tree *t, rd_fh base, const char *path, mode_t mode)
{
	size_t len = strlen(path);
	rd_fh fh;
	int rc;

	if ((mode & S_IFMT) != 0 && (mode & S_IFMT) != S_IFREG && (mode & S_IFMT) != S_IFSOCK)
		return -EPERM;
	if (len && path[len - 1] == '/')
		return ns_mknod_slash(t, base, path);
	if ((mode & S_IFMT) == S_IFSOCK) {
		tree_lock(t);
		rc = ns_mksock_locked(t, base, path, mode);
		tree_unlock(t);
		return rc;
	}
	rc = rd_open(t, base, path, O_CREAT | O_EXCL | O_WRONLY, mode & 07777, &fh);
	if (rc == 0)
		rd_close(t, fh);
	return rc;
}

static int ns_unlink_locked(rd_tree *t, rd_fh base, const char *path, int flags)
{
	int rmdir = flags & AT_REMOVEDIR;
	struct rd_node *dir, *n;
	struct walk w;
	int rc;

	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	rc = path_walk(t, base, path, WALK_PARENT, &w);
	if (rc < 0)
		return rc;
	if (w.namelen && !w.dotdot && !w.node)
		return -ENOENT;
	if (w.trailing_slash && w.node && !S_ISDIR(ns_node(t, w.node)->mode))
		return -ENOTDIR;
	if (w.namelen == 0) /* the root */
		return rmdir ? -EBUSY : -EISDIR;
	if (w.dotdot) {
		if (!rmdir)
			return -EISDIR;
		return w.namelen == 1 ? -EINVAL : -ENOTEMPTY;
	}
	n = ns_node(t, w.node);
	dir = ns_node(t, w.dir);
	if (rmdir && !S_ISDIR(n->mode))
		return -ENOTDIR;
	if (!rmdir && S_ISDIR(n->mode))
		return -EISDIR;
	rc = node_perm(t, dir, 3);
	if (rc < 0)
		return rc;
	if (!node_sticky_ok(t, dir, n))
		return -EPERM;
	if (rmdir) {
		if (roots_mount(t, w.node) >= 0)
			return -EBUSY; /* a mount root of a multi-root tree */
		if (dirx(t, n)->entries)
			return -ENOTEMPTY;
		dir_remove(t, dir, w.dent);
		dirx(t, n)->self = 0;
		n->nlink = 0;
		dir->nlink--;
	} else {
		dir_remove(t, dir, w.dent);
		n->nlink--;
	}
	node_touch(n, 0, 0, 1);
	node_touch(dir, 0, 1, 1);
	node_maybe_free(t, w.node);
	return 0;
}

int rd_unlink(rd_tree *t, rd_fh base, const char *path, int flags)
{
	int rc;

	tree_lock(t);
	rc = ns_unlink_locked(t, base, path, flags);
	tree_unlock(t);
	return rc;
}

/* Is `node` the directory `anc` or below it? */
static int ns_is_under(rd_tree *t, uint64_t node, uint64_t anc)
{
	uint64_t root = SUPER(t)->root;

	for (;;) {
		if (node == anc)
			return 1;
		if (node == root)
			return 0;
		node = dirx(t, ns_node(t, node))->parent;
	}
}

/* A mount root of a multi-root tree: the prefix itself, which cannot move. */
static int ns_is_mount_root(rd_tree *t, uint64_t node)
{
	return node && S_ISDIR(ns_node(t, node)->mode) && SUPER(t)->nroots && roots_mount(t, node) >= 0;
}

/* rename(2) checks, in the order Linux reports them. */
static int ns_rename_check(rd_tree *t, struct walk *ow, struct walk *nw, unsigned flags)
{
	struct rd_node *src, *dst, *odir, *ndir;
	int rc;

	if (ow->namelen == 0 || ow->dotdot || nw->namelen == 0 || nw->dotdot)
		return -EBUSY;
	rc = roots_check_move(t, ow->dir, nw->dir); /* the kernel compares mounts first */
	if (rc < 0)
		return rc;
	if (ns_is_mount_root(t, ow->node) || ns_is_mount_root(t, nw->node))
		return -EBUSY;
	if (!ow->node)
		return -ENOENT;
	src = ns_node(t, ow->node);
	dst = nw->node ? ns_node(t, nw->node) : NULL;
	odir = ns_node(t, ow->dir);
	ndir = ns_node(t, nw->dir);
	if ((flags & RENAME_EXCHANGE) && !dst)
		return -ENOENT;
	if ((flags & RENAME_NOREPLACE) && dst)
		return -EEXIST;
	if (!S_ISDIR(src->mode) && (ow->trailing_slash || nw->trailing_slash) && !(dst && S_ISDIR(dst->mode)))
		return -ENOTDIR;
	if (ndir->nlink == 0)
		return -ENOENT;
	if (ow->node == nw->node)
		return 1; /* same inode: nothing to do */
	rc = node_perm(t, odir, 3);
	if (rc == 0)
		rc = node_perm(t, ndir, 3);
	if (rc < 0)
		return rc;
	if (!node_sticky_ok(t, odir, src) || (dst && !node_sticky_ok(t, ndir, dst)))
		return -EPERM;
	if (S_ISDIR(src->mode) && ns_is_under(t, nw->dir, ow->node))
		return -EINVAL;
	if (flags & RENAME_EXCHANGE) {
		if (S_ISDIR(dst->mode) && ns_is_under(t, ow->dir, nw->node))
			return -EINVAL;
		return 0;
	}
	if (dst) {
		if (S_ISDIR(src->mode) && !S_ISDIR(dst->mode))
			return -ENOTDIR;
		if (!S_ISDIR(src->mode) && S_ISDIR(dst->mode))
			return -EISDIR;
		if (S_ISDIR(dst->mode) && dirx(t, dst)->entries)
			return -ENOTEMPTY;
	}
	/* Moving a directory rewrites its "..": it must be writable. */
	if (S_ISDIR(src->mode) && ow->dir != nw->dir) {
		rc = node_perm(t, src, 2);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void ns_reparent(rd_tree *t, uint64_t node, uint64_t from, uint64_t to)
{
	struct rd_node *n = ns_node(t, node);

	if (!S_ISDIR(n->mode) || from == to)
		return;
	dirx(t, n)->parent = to;
	ns_node(t, from)->nlink--;
	ns_node(t, to)->nlink++;
}

static void ns_exchange(rd_tree *t, struct walk *ow, struct walk *nw)
{
	struct rd_dirent *od = OFF2P(t, ow->dent), *nd = OFF2P(t, nw->dent);
	uint8_t ot = od->type;

	od->node = nw->node;
	od->type = nd->type;
	nd->node = ow->node;
	nd->type = ot;
	ns_reparent(t, ow->node, ow->dir, nw->dir);
	ns_reparent(t, nw->node, nw->dir, ow->dir);
	ns_set_dir_self(t, ow->node, nw->dent);
	ns_set_dir_self(t, nw->node, ow->dent);
	node_touch(ns_node(t, nw->node), 0, 0, 1);
}

static int ns_move(rd_tree *t, struct walk *ow, struct walk *nw)
{
	struct rd_node *src = ns_node(t, ow->node);
	uint64_t dent;
	int rc;

	if (nw->node) {
		/* Replace: repoint the target entry (one store), then drop the
		 * old entry and the replaced node's link. */
		struct rd_dirent *nd = OFF2P(t, nw->dent);
		struct rd_node *dst = ns_node(t, nw->node);

		__atomic_store_n(&nd->node, ow->node, __ATOMIC_RELEASE);
		nd->type = (uint8_t)node_dtype(src->mode);
		dent = nw->dent;
		if (S_ISDIR(dst->mode)) {
			dst->nlink = 0;
			dirx(t, dst)->self = 0;
			ns_node(t, nw->dir)->nlink--;
		} else {
			dst->nlink--;
		}
		node_touch(dst, 0, 0, 1);
	} else {
		rc = dir_add(t, ns_node(t, nw->dir), nw->name, nw->namelen, ow->node, &dent);
		if (rc < 0)
			return rc;
	}
	dir_remove(t, ns_node(t, ow->dir), ow->dent);
	ns_reparent(t, ow->node, ow->dir, nw->dir);
	ns_set_dir_self(t, ow->node, dent);
	if (nw->node)
		node_maybe_free(t, nw->node);
	return 0;
}

static int ns_rename_locked(rd_tree *t, rd_fh obase, const char *opath, rd_fh nbase, const char *npath,
			    unsigned flags, struct walk *ow, struct walk *nw)
{
	int rc;

	if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) ||
	    ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE)))
		return -EINVAL;
	rc = path_walk(t, obase, opath, WALK_PARENT, ow);
	if (rc < 0)
		return rc;
	rc = path_walk(t, nbase, npath, WALK_PARENT, nw);
	if (rc < 0)
		return rc;
	rc = ns_rename_check(t, ow, nw, flags);
	if (rc != 0)
		return rc > 0 ? 0 : rc;
	if (flags & RENAME_EXCHANGE) {
		ns_exchange(t, ow, nw);
	} else {
		rc = ns_move(t, ow, nw);
		if (rc < 0)
			return rc;
	}
	node_touch(ns_node(t, ow->node), 0, 0, 1);
	node_touch(ns_node(t, ow->dir), 0, 1, 1);
	node_touch(ns_node(t, nw->dir), 0, 1, 1);
	return 0;
}

int rd_rename(rd_tree *t, rd_fh obase, const char *opath, rd_fh nbase, const char *npath, unsigned flags)
{
	struct walk w[2]; /* old and new name: about 8 KiB of stack */
	int rc;

	tree_lock(t);
	rc = ns_rename_locked(t, obase, opath, nbase, npath, flags, &w[0], &w[1]);
	tree_unlock(t);
	return rc;
}

static int ns_link_source(rd_tree *t, rd_fh obase, const char *opath, int flags, struct walk *ow)
{
	int wflags = 0, rc;
	struct rd_node *n;

	if (flags & AT_SYMLINK_FOLLOW)
		wflags |= WALK_FOLLOW;
	if (flags & AT_EMPTY_PATH)
		wflags |= WALK_EMPTY_OK;
	rc = path_walk(t, obase, opath, wflags, ow);
	if (rc < 0)
		return rc;
	n = ns_node(t, ow->node);
	if (S_ISDIR(n->mode))
		return -EPERM;
	if (n->nlink == 0) {
		/* Only an O_TMPFILE opened without O_EXCL may be given a name. */
		struct rd_ofile *of = ofile_get(t, obase);

		if (!(opath[0] == 0 && of && (of->flags & O_TMPFILE) == O_TMPFILE && !(of->flags & O_EXCL)))
			return -ENOENT;
	}
	return 0;
}

static int ns_link_locked(rd_tree *t, rd_fh obase, const char *opath, rd_fh nbase, const char *npath, int flags,
			  struct walk *ow, struct walk *nw)
{
	struct rd_node *n;
	int rc;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	rc = ns_link_source(t, obase, opath, flags, ow);
	if (rc < 0)
		return rc;
	rc = path_walk(t, nbase, npath, WALK_PARENT, nw);
	if (rc < 0)
		return rc;
	rc = roots_check_move(t, ow->dir, nw->dir);
	if (rc < 0)
		return rc;
	if (!nw->node && nw->trailing_slash)
		return -ENOENT;
	rc = ns_can_create(t, nw);
	if (rc < 0)
		return rc;
	rc = dir_add(t, ns_node(t, nw->dir), nw->name, nw->namelen, ow->node, NULL);
	if (rc < 0)
		return rc;
	n = ns_node(t, ow->node);
	n->nlink++;
	node_touch(n, 0, 0, 1);
	node_touch(ns_node(t, nw->dir), 0, 1, 1);
	return 0;
}

int rd_link(rd_tree *t, rd_fh obase, const char *opath, rd_fh nbase, const char *npath, int flags)
{
	struct walk w[2]; /* old and new name: about 8 KiB of stack */
	int rc;

	tree_lock(t);
	rc = ns_link_locked(t, obase, opath, nbase, npath, flags, &w[0], &w[1]);
	tree_unlock(t);
	return rc;
}

static int ns_symlink_locked(rd_tree *t, const char *target, rd_fh base, const char *path)
{
	size_t len = strlen(target);
	struct rd_node *n;
	struct walk w;
	uint64_t node, buf;
	int rc;

	if (len == 0)
		return -ENOENT;
	if (len >= RD_PATH_MAX)
		return -ENAMETOOLONG;
	rc = path_walk(t, base, path, WALK_PARENT, &w);
	if (rc < 0)
		return rc;
	if (!w.node && w.trailing_slash)
		return -ENOENT;
	rc = ns_can_create(t, &w);
	if (rc < 0)
		return rc;
	rc = node_new(t, S_IFLNK | 0777, &node);
	if (rc < 0)
		return rc;
	n = ns_node(t, node);
	rc = len >= RD_SHORT_SYMLINK ? page_alloc(t, &buf) : obj_alloc(t, len + 1, &buf);
	if (rc < 0) {
		node_free(t, node);
		return rc;
	}
	memcpy(OFF2P(t, buf), target, len + 1);
	n->ext = buf;
	n->size = len;
	rc = ns_add_leaf(t, &w, node);
	if (rc == 0)
		SUPER(t)->symlinks_created++;
	return rc;
}

int rd_symlink(rd_tree *t, const char *target, rd_fh base, const char *path)
{
	int rc;

	tree_lock(t);
	rc = ns_symlink_locked(t, target, base, path);
	tree_unlock(t);
	return rc;
}

static ssize_t ns_readlink_locked(rd_tree *t, rd_fh base, const char *path, char *buf, size_t size)
{
	struct rd_node *n;
	struct walk w;
	int rc = path_walk(t, base, path, base == RD_ROOT ? 0 : WALK_EMPTY_OK, &w);
	size_t len;

	if (rc < 0)
		return rc;
	n = ns_node(t, w.node);
	if (!S_ISLNK(n->mode))
		return path[0] ? -EINVAL : -ENOENT;
	len = n->size < size ? n->size : size;
	memcpy(buf, OFF2P(t, n->ext), len);
	node_atime_read(n);
	return (ssize_t)len;
}

ssize_t rd_readlink(rd_tree *t, rd_fh base, const char *path, char *buf, size_t size)
{
	ssize_t rc;

	if (size == 0)
		return -EINVAL;
	tree_lock_ro(t); /* changes no name: the walk may come from the cache */
	rc = ns_readlink_locked(t, base, path, buf, size);
	tree_unlock(t);
	return rc;
}

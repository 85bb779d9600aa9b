/*
 * The namespace family: mkdir, rmdir, unlink, remove, rename, link,
 * symlink, readlink, mknod and mkfifo, with their *at, fortify and legacy
 * (__xmknod) forms.
 *
 * rename and link take two paths, and each side is classified on its own:
 * both in the tree go to the core, both outside go to libc, one of each
 * fails with EXDEV as between two filesystems (after the lookups the
 * kernel makes before it compares filesystems); with several prefixes the
 * core says EXDEV for two names under different ones (core/src/roots.c). A side whose walk leaves
 * the tree through ".." or an absolute symlink is followed where it leads,
 * so it may end up on either side.
 *
 * The tree holds no special files: mknod and mkfifo of a FIFO, socket or
 * device on a tree path fail with EPERM (EEXIST if the name is taken).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "rp.h"

/* Legacy entry points of old binaries; no header declares them now. */
int __xmknod(int ver, const char *path, mode_t mode, dev_t *dev);
int __xmknodat(int ver, int dirfd, const char *path, mode_t mode, dev_t *dev);

/* ---------------------------------------------------------------------
 * Internal helpers
 * --------------------------------------------------------------------- */

/* The directory part of a path as the kernel's parent lookup sees it:
 * "a/b" and "a/b/" give "a", "b" gives ".", "/b" gives "/", "" stays "". */
static int ns_dirname(const char *path, char *out, size_t size)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	while (n > 0 && path[n - 1] != '/')
		n--;
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 0) {
		snprintf(out, size, "%s", path[0] ? "." : "");
		return 0;
	}
	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(out, path, n);
	out[n] = 0;
	return 0;
}

/* What the lookup of the parent of a tree name reports: 0, or -errno. */
static int ns_tree_parent_err(const struct rp_at *at)
{
	char dir[RP_PATH_MAX];
	struct stat st;
	int rc = ns_dirname(at->path, dir, sizeof dir);

	if (rc == 0)
		rc = rd_stat(rp.tree, at->base, dir, &st, 0);
	if (rc == -RD_EESCAPE)
		return 0; /* the full walk did not escape; nothing to report */
	if (rc == 0 && !S_ISDIR(st.st_mode))
		rc = -ENOTDIR;
	return rc;
}

/* The same for a real name, and the full lookup of a real name (link's
 * source): through the raw system call, not a wrapper. */
static int ns_real_stat_err(int dirfd, const char *path, int flags, int parent)
{
	char dir[RP_PATH_MAX];
	struct stat st;
	int rc;

	if (!path)
		return -EFAULT;
	if (parent) {
		rc = ns_dirname(path, dir, sizeof dir);
		if (rc < 0)
			return rc;
		path = dir;
	}
	if (syscall(SYS_newfstatat, dirfd, path, &st, flags) < 0)
		return -errno;
	return parent && !S_ISDIR(st.st_mode) ? -ENOTDIR : 0;
}

/* One side of a two-path call. */
struct ns_side {
	struct rp_at at;        /* the tree path, when k == 1 */
	int k;                  /* 1: in the tree, 0: real (dirfd, path), <0: -errno */
	int dirfd;
	const char *path;
};

enum ns_op { NS_RENAME, NS_LINK };

/* Classify both sides; nonzero if the call is not simply a real one. */
static int ns_sides(struct ns_side *o, int odir, const char *opath, struct ns_side *n, int ndir, const char *npath)
{
	o->dirfd = odir;
	o->path = opath;
	o->k = rp_path(odir, opath, &o->at);
	n->dirfd = ndir;
	n->path = npath;
	n->k = rp_path(ndir, npath, &n->at);
	return o->k || n->k;
}

/* The core said -RD_EESCAPE for side s: continue where its walk led. */
static void ns_side_escape(struct ns_side *s)
{
	s->k = rp_escape(&s->at);
	if (s->k == 0) {
		s->dirfd = AT_FDCWD;
		s->path = s->at.path;
	}
}

/* link's source lookup: stat flags equivalent to linkat's flags. */
static int ns_link_stat_flags(unsigned flags)
{
	return (flags & AT_SYMLINK_FOLLOW ? 0 : AT_SYMLINK_NOFOLLOW) | (int)(flags & AT_EMPTY_PATH);
}

/*
 * Probes: walk one tree side exactly as the operation does, changing
 * nothing, to learn whether that walk leaves the tree (-RD_EESCAPE, with
 * the core's escape buffer then describing this side). A name's parent is
 * walked by renaming the name onto itself, which the core (as Linux)
 * accepts without touching anything, or refuses with an error.
 */
static int ns_probe_parent(const struct ns_side *s)
{
	return rd_rename(rp.tree, s->at.base, s->at.path, s->at.base, s->at.path, 0);
}

static int ns_probe_old(enum ns_op op, const struct ns_side *s, unsigned flags)
{
	struct stat st;

	if (op == NS_RENAME)
		return ns_probe_parent(s);
	return rd_stat(rp.tree, s->at.base, s->at.path, &st, ns_link_stat_flags(flags));
}

/* One side in the tree, one real: the kernel looks up the old side
 * (rename: its parent; link: the file itself), then the new side's
 * parent, and only then compares filesystems. */
static int ns_mixed_err(enum ns_op op, const struct ns_side *o, const struct ns_side *n, unsigned flags)
{
	int rc;

	if (o->k)
		rc = op == NS_RENAME ? ns_tree_parent_err(&o->at) : ns_probe_old(op, o, flags);
	else
		rc = ns_real_stat_err(o->dirfd, o->path, op == NS_RENAME ? 0 : ns_link_stat_flags(flags),
				      op == NS_RENAME);
	if (rc == 0)
		rc = n->k ? ns_tree_parent_err(&n->at) : ns_real_stat_err(n->dirfd, n->path, 0, 1);
	return rc < 0 ? rc : -EXDEV;
}

static int ns_core(enum ns_op op, const struct ns_side *o, const struct ns_side *n, unsigned flags)
{
	if (op == NS_LINK)
		return rd_link(rp.tree, o->at.base, o->at.path, n->at.base, n->at.path, (int)flags);
	return rd_rename(rp.tree, o->at.base, o->at.path, n->at.base, n->at.path, flags);
}

static int ns_real(enum ns_op op, const struct ns_side *o, const struct ns_side *n, unsigned flags)
{
	if (op == NS_LINK)
		return REAL(linkat)(o->dirfd, o->path, n->dirfd, n->path, (int)flags);
	if (flags == 0)
		return REAL(renameat)(o->dirfd, o->path, n->dirfd, n->path);
	return REAL(renameat2)(o->dirfd, o->path, n->dirfd, n->path, flags);
}

static int ns_flags_ok(enum ns_op op, unsigned flags)
{
	if (op == NS_LINK)
		return !(flags & ~(unsigned)(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH));
	if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return 0;
	return !((flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) && (flags & RENAME_EXCHANGE));
}

/*
 * A rename or link with at least one side in the tree. Each round either
 * finishes or moves one side along its escape; rp_escape bounds the
 * symlinks followed, and every ".." escape consumes path, so the rounds
 * are few. If the core escapes but neither probe does (the tree changed
 * in between), the round is simply tried again.
 */
static int ns_two(enum ns_op op, struct ns_side *o, struct ns_side *n, unsigned flags)
{
	int round, rc;

	if (!ns_flags_ok(op, flags))
		return (int)rp_ret(-EINVAL);
	for (round = 0; round < 100; round++) {
		struct ns_side *t;

		if (o->k < 0 || n->k < 0)
			return (int)rp_ret(o->k < 0 ? o->k : n->k);
		if (!o->k && !n->k)
			return ns_real(op, o, n, flags);
		if (o->k && n->k) {
			rc = ns_core(op, o, n, flags);
			if (rc != -RD_EESCAPE)
				return (int)rp_ret(rc);
			if (ns_probe_old(op, o, flags) == -RD_EESCAPE)
				ns_side_escape(o);
			else if (ns_probe_parent(n) == -RD_EESCAPE)
				ns_side_escape(n);
			continue;
		}
		t = o->k ? o : n;
		rc = t == o ? ns_probe_old(op, o, flags) : ns_probe_parent(n);
		if (rc != -RD_EESCAPE)
			return (int)rp_ret(ns_mixed_err(op, o, n, flags));
		ns_side_escape(t);
	}
	return (int)rp_ret(-ELOOP);
}

/* remove(3): unlink, and rmdir if that says it is a directory. */
static int ns_remove(const struct rp_at *at)
{
	int rc = rd_unlink(rp.tree, at->base, at->path, 0);

	if (rc == -EISDIR)
		rc = rd_unlink(rp.tree, at->base, at->path, AT_REMOVEDIR);
	return rc;
}

static int ns_symlink(const char *target, const struct rp_at *at)
{
	if (!target)
		return -EFAULT;
	return rd_symlink(rp.tree, target, at->base, at->path);
}

/* The kernel takes readlink's size as an int and refuses one <= 0. */
static ssize_t ns_readlink(const struct rp_at *at, char *buf, size_t size)
{
	int len = (int)size;

	if (len <= 0)
		return -EINVAL;
	return rd_readlink(rp.tree, at->base, at->path, buf, (size_t)len);
}

/* Fortify: glibc checks the buffer size before reading; so do we. */
static ssize_t ns_readlink_chk(const struct rp_at *at, char *buf, size_t size, size_t buflen)
{
	if (size > buflen)
		abort();
	return ns_readlink(at, buf, size);
}

/* A name mknod does not make here: EEXIST if it is taken, the parent's
 * lookup error if any, else err. The name is looked up without trailing
 * slashes, as the kernel's create lookup does. */
static int ns_mknod_refuse(const struct rp_at *at, int err)
{
	char name[RP_PATH_MAX];
	size_t n = strlen(at->path);
	struct stat st;
	int rc;

	while (n > 1 && at->path[n - 1] == '/')
		n--;
	if (n >= sizeof name)
		return -ENAMETOOLONG;
	memcpy(name, at->path, n);
	name[n] = 0;
	rc = rd_stat(rp.tree, at->base, name, &st, AT_SYMLINK_NOFOLLOW);
	if (rc == -RD_EESCAPE) {
		/* Let the escape buffer describe the whole path: the real
		 * mknod decides, trailing slash included. */
		rc = rd_stat(rp.tree, at->base, at->path, &st, AT_SYMLINK_NOFOLLOW);
		if (rc == -RD_EESCAPE)
			return rc;
	}
	if (rc == 0)
		return -EEXIST;
	if (rc != -ENOENT)
		return rc;
	rc = ns_tree_parent_err(at);
	return rc < 0 ? rc : err;
}

/* mknod(2) on a tree path: the type checks the kernel makes before the
 * lookup, then a regular file through the core, anything else refused. */
static int ns_mknod(const struct rp_at *at, mode_t mode, dev_t dev)
{
	/* glibc: dev_t is 64 bits, the system call's is 32. */
	if ((dev_t)(unsigned)dev != dev)
		return -EINVAL;
	switch (mode & S_IFMT) {
	case 0:
	case S_IFREG:
	case S_IFSOCK: /* a socket's name, as bind makes (sock.c) */
		/* "name/" asks for a directory: never a new file. */
		if (at->path[0] && at->path[strlen(at->path) - 1] == '/')
			return ns_mknod_refuse(at, -ENOENT);
		return rd_mknod(rp.tree, at->base, at->path, mode);
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
		return ns_mknod_refuse(at, -EPERM);
	case S_IFDIR:
		return -EPERM;
	default:
		return -EINVAL;
	}
}

/* The legacy form: version 0 (_MKNOD_VER on x86_64) is the only one. */
static int ns_xmknod(const struct rp_at *at, int ver, mode_t mode, const dev_t *dev)
{
	if (ver != 0)
		return -EINVAL;
	return ns_mknod(at, mode, *dev);
}

/* ---------------------------------------------------------------------
 * Exported wrappers
 * --------------------------------------------------------------------- */

RP_EXPORT int mkdir(const char *path, mode_t mode)
{
	RP_PATHCALL(int, AT_FDCWD, path, rd_mkdir(rp.tree, at.base, at.path, mode), REAL(mkdir)(rp_pathname, mode));
}

RP_EXPORT int mkdirat(int dirfd, const char *path, mode_t mode)
{
	RP_PATHCALL(int, dirfd, path, rd_mkdir(rp.tree, at.base, at.path, mode),
		    REAL(mkdirat)(rp_dirfd, rp_pathname, mode));
}

RP_EXPORT int rmdir(const char *path)
{
	RP_PATHCALL(int, AT_FDCWD, path, rd_unlink(rp.tree, at.base, at.path, AT_REMOVEDIR),
		    REAL(rmdir)(rp_pathname));
}

RP_EXPORT int unlink(const char *path)
{
	RP_PATHCALL(int, AT_FDCWD, path, rd_unlink(rp.tree, at.base, at.path, 0), REAL(unlink)(rp_pathname));
}

RP_EXPORT int unlinkat(int dirfd, const char *path, int flags)
{
	RP_PATHCALL(int, dirfd, path, rd_unlink(rp.tree, at.base, at.path, flags),
		    REAL(unlinkat)(rp_dirfd, rp_pathname, flags));
}

/* glibc's remove calls its internal unlink and rmdir, past any wrapper. */
RP_EXPORT int remove(const char *path)
{
	RP_PATHCALL(int, AT_FDCWD, path, ns_remove(&at), REAL(remove)(rp_pathname));
}

RP_EXPORT int rename(const char *old, const char *new)
{
	struct ns_side o, n;

	if (!ns_sides(&o, AT_FDCWD, old, &n, AT_FDCWD, new))
		return REAL(rename)(old, new);
	return ns_two(NS_RENAME, &o, &n, 0);
}

RP_EXPORT int renameat(int odir, const char *old, int ndir, const char *new)
{
	struct ns_side o, n;

	if (!ns_sides(&o, odir, old, &n, ndir, new))
		return REAL(renameat)(odir, old, ndir, new);
	return ns_two(NS_RENAME, &o, &n, 0);
}

RP_EXPORT int renameat2(int odir, const char *old, int ndir, const char *new, unsigned int flags)
{
	struct ns_side o, n;

	if (!ns_sides(&o, odir, old, &n, ndir, new))
		return REAL(renameat2)(odir, old, ndir, new, flags);
	return ns_two(NS_RENAME, &o, &n, flags);
}

RP_EXPORT int link(const char *old, const char *new)
{
	struct ns_side o, n;

	if (!ns_sides(&o, AT_FDCWD, old, &n, AT_FDCWD, new))
		return REAL(link)(old, new);
	return ns_two(NS_LINK, &o, &n, 0);
}

RP_EXPORT int linkat(int odir, const char *old, int ndir, const char *new, int flags)
{
	struct ns_side o, n;

	if (!ns_sides(&o, odir, old, &n, ndir, new))
		return REAL(linkat)(odir, old, ndir, new, flags);
	return ns_two(NS_LINK, &o, &n, (unsigned)flags);
}

RP_EXPORT int symlink(const char *target, const char *path)
{
	RP_PATHCALL(int, AT_FDCWD, path, ns_symlink(target, &at), REAL(symlink)(target, rp_pathname));
}

RP_EXPORT int symlinkat(const char *target, int dirfd, const char *path)
{
	RP_PATHCALL(int, dirfd, path, ns_symlink(target, &at), REAL(symlinkat)(target, rp_dirfd, rp_pathname));
}

RP_EXPORT ssize_t readlink(const char *path, char *buf, size_t size)
{
	RP_PATHCALL(ssize_t, AT_FDCWD, path, ns_readlink(&at, buf, size), REAL(readlink)(rp_pathname, buf, size));
}

RP_EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
	RP_PATHCALL(ssize_t, dirfd, path, ns_readlink(&at, buf, size),
		    REAL(readlinkat)(rp_dirfd, rp_pathname, buf, size));
}

RP_EXPORT ssize_t __readlink_chk(const char *path, char *buf, size_t size, size_t buflen)
{
	RP_PATHCALL(ssize_t, AT_FDCWD, path, ns_readlink_chk(&at, buf, size, buflen),
		    REAL(__readlink_chk)(rp_pathname, buf, size, buflen));
}

RP_EXPORT ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t size, size_t buflen)
{
	RP_PATHCALL(ssize_t, dirfd, path, ns_readlink_chk(&at, buf, size, buflen),
		    REAL(__readlinkat_chk)(rp_dirfd, rp_pathname, buf, size, buflen));
}

RP_EXPORT int mknod(const char *path, mode_t mode, dev_t dev)
{
	RP_PATHCALL(int, AT_FDCWD, path, ns_mknod(&at, mode, dev), REAL(mknod)(rp_pathname, mode, dev));
}

RP_EXPORT int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev)
{
	RP_PATHCALL(int, dirfd, path, ns_mknod(&at, mode, dev), REAL(mknodat)(rp_dirfd, rp_pathname, mode, dev));
}

RP_EXPORT int __xmknod(int ver, const char *path, mode_t mode, dev_t *dev)
{
	RP_PATHCALL(int, AT_FDCWD, path, ns_xmknod(&at, ver, mode, dev), REAL(__xmknod)(ver, rp_pathname, mode, dev));
}

RP_EXPORT int __xmknodat(int ver, int dirfd, const char *path, mode_t mode, dev_t *dev)
{
	RP_PATHCALL(int, dirfd, path, ns_xmknod(&at, ver, mode, dev),
		    REAL(__xmknodat)(ver, rp_dirfd, rp_pathname, mode, dev));
}

/* glibc's mkfifo is mknod with S_IFIFO, called internally. */
RP_EXPORT int mkfifo(const char *path, mode_t mode)
{
	RP_PATHCALL(int, AT_FDCWD, path, ns_mknod(&at, mode | S_IFIFO, 0), REAL(mkfifo)(rp_pathname, mode));
}

RP_EXPORT int mkfifoat(int dirfd, const char *path, mode_t mode)
{
	RP_PATHCALL(int, dirfd, path, ns_mknod(&at, mode | S_IFIFO, 0), REAL(mkfifoat)(rp_dirfd, rp_pathname, mode));
}

/*
 * Metadata operations: stat, chmod, chown, utimens, access, truncate and
 * fallocate, by path and by handle. Path and handle forms share one
 * implementation on the node; they differ only in how the node is found.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>

/* Internal flag: the handle must not be O_PATH (fchmod, fchown and
 * futimens need a real open file, as on Linux; fstat does not). */
#define META_NO_OPATH (1 << 30)

/* Find the node of (base, path, AT_* flags) or of a handle (path NULL). */
static int meta_find(rd_tree *t, rd_fh base, const char *path, int flags, struct rd_node **out)
{
	struct walk w;
	int wf = 0, rc;

	if (!path) {
		struct rd_ofile *of = ofile_get(t, base);

		if (!of || ((flags & META_NO_OPATH) && (of->flags & O_PATH)))
			return -EBADF;
		*out = OFF2P(t, of->node);
		return 0;
	}
	if (!(flags & AT_SYMLINK_NOFOLLOW))
		wf |= WALK_FOLLOW;
	if (flags & AT_EMPTY_PATH)
		wf |= WALK_EMPTY_OK;
	rc = path_walk(t, base, path, wf, &w);
	if (rc < 0)
		return rc;
	*out = OFF2P(t, w.node);
	return 0;
}

/* Stat changes nothing, so it first tries without the lock at all
 * (lookup_stat_fast), then under the read-only lock, where the walk may come
 * from the lookup cache. The caller's buffer is written outside the lock. */
int rd_stat(rd_tree *t, rd_fh base, const char *path, struct stat *st, int flags)
{
	struct stat local;
	struct rd_node *n;
	int rc, wf = 0;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	if (!(flags & AT_SYMLINK_NOFOLLOW))
		wf |= WALK_FOLLOW;
	if (flags & AT_EMPTY_PATH)
		wf |= WALK_EMPTY_OK;
	rc = lookup_stat_fast(t, base, path, wf, st);
	if (rc != LOOKUP_MISS)
		return rc;
	tree_lock_ro(t);
	rc = meta_find(t, base, path, flags, &n);
	if (rc == 0)
		node_stat(t, n, &local);
	tree_unlock(t);
	if (rc == 0)
		*st = local;
	return rc;
}

/* statx: rd_stat plus what struct stat has no room for. Always under the
 * lock (statx callers, ls -l and stat, are not the hot stat path). */
int rd_statx(rd_tree *t, rd_fh base, const char *path, int flags, struct stat *st, struct rd_statx_more *more)
{
	struct rd_node *n;
	int rc;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	tree_lock_ro(t);
	rc = meta_find(t, base, path, flags, &n);
	if (rc == 0) {
		uint64_t off = P2OFF(t, n);

		node_stat(t, n, st);
		more->btime = n->btime;
		more->btime_ns = n->btime_ns;
		/* a prefix's top is a mount root, as the kernel marks it */
		more->mount_root = S_ISDIR(n->mode) && roots_mount(t, off) >= 0;
	}
	tree_unlock(t);
	return rc;
}

int rd_fstat(rd_tree *t, rd_fh fh, struct stat *st)
{
	return rd_stat(t, fh, NULL, st, 0);
}

static int meta_chmod(rd_tree *t, struct rd_node *n, mode_t mode)
{
	if (!node_is_owner(t, n))
		return -EPERM;
	mode &= 07777;
	/* Linux drops set-group-id when the caller is not in the file's group. */
	if (t->uid != 0 && (mode & S_ISGID) && n->gid != t->gid) {
		int i, in = 0;

		for (i = 0; i < t->ngroups; i++)
			in |= t->groups[i] == n->gid;
		if (!in)
			mode &= ~(mode_t)S_ISGID;
	}
	n->mode = (n->mode & S_IFMT) | mode;
	node_touch(n, 0, 0, 1);
	return 0;
}

int rd_chmod(rd_tree *t, rd_fh base, const char *path, mode_t mode, int flags)
{
	struct rd_node *n;
	int rc;

	tree_lock(t);
	rc = meta_find(t, base, path, flags, &n);
	if (rc == 0)
		rc = S_ISLNK(n->mode) ? -EOPNOTSUPP : meta_chmod(t, n, mode);
	tree_unlock(t);
	return rc;
}

int rd_fchmod(rd_tree *t, rd_fh fh, mode_t mode)
{
	return rd_chmod(t, fh, NULL, mode, META_NO_OPATH);
}

static int meta_in_groups(rd_tree *t, gid_t gid)
{
	int i;

	if (gid == t->gid)
		return 1;
	for (i = 0; i < t->ngroups; i++)
		if (t->groups[i] == gid)
			return 1;
	return 0;
}

static int meta_chown(rd_tree *t, struct rd_node *n, uid_t uid, gid_t gid)
{
	if (t->uid != 0) {
		if (uid != (uid_t)-1 && uid != n->uid)
			return -EPERM;
		if (gid != (gid_t)-1 && gid != n->gid && (!node_is_owner(t, n) || !meta_in_groups(t, gid)))
			return -EPERM;
		if ((uid != (uid_t)-1 || gid != (gid_t)-1) && !node_is_owner(t, n))
			return -EPERM;
	}
	if (uid != (uid_t)-1)
		n->uid = uid;
	if (gid != (gid_t)-1)
		n->gid = gid;
	/* A change of owner drops set-id bits of a regular file (set-gid only
	 * when it means "group executable", not mandatory locking). */
	if (S_ISREG(n->mode) && (uid != (uid_t)-1 || gid != (gid_t)-1)) {
		n->mode &= ~(uint32_t)S_ISUID;
		if (n->mode & S_IXGRP)
			n->mode &= ~(uint32_t)S_ISGID;
	}
	node_touch(n, 0, 0, 1);
	return 0;
}

int rd_chown(rd_tree *t, rd_fh base, const char *path, uid_t uid, gid_t gid, int flags)
{
	struct rd_node *n;
	int rc;

	tree_lock(t);
	rc = meta_find(t, base, path, flags, &n);
	if (rc == 0)
		rc = meta_chown(t, n, uid, gid);
	tree_unlock(t);
	return rc;
}

int rd_fchown(rd_tree *t, rd_fh fh, uid_t uid, gid_t gid)
{
	return rd_chown(t, fh, NULL, uid, gid, META_NO_OPATH);
}

static int meta_utimens(rd_tree *t, struct rd_node *n, const struct timespec ts[2])
{
	struct rd_ts now;
	int i;

	if (ts) {
		for (i = 0; i < 2; i++)
			if (ts[i].tv_nsec != UTIME_NOW && ts[i].tv_nsec != UTIME_OMIT &&
			    (ts[i].tv_nsec < 0 || ts[i].tv_nsec >= 1000000000))
				return -EINVAL;
		if (ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT)
			return 0;
	}
	/* "Now" for both needs ownership or write access; anything else
	 * needs ownership. */
	if (!node_is_owner(t, n)) {
		int now_only = !ts || (ts[0].tv_nsec == UTIME_NOW && ts[1].tv_nsec == UTIME_NOW);

		if (!now_only)
			return -EPERM;
		if (node_perm(t, n, 2) < 0)
			return -EACCES;
	}
	node_now(&now);
	for (i = 0; i < 2; i++) {
		int64_t sec = now.sec;
		uint32_t nsec = now.nsec;

		if (ts && ts[i].tv_nsec == UTIME_OMIT)
			continue;
		if (ts && ts[i].tv_nsec != UTIME_NOW) {
			sec = ts[i].tv_sec;
			nsec = (uint32_t)ts[i].tv_nsec;
		}
		if (i == 0) {
			n->atime = sec;
			n->atime_ns = nsec;
		} else {
			n->mtime = sec;
			n->mtime_ns = nsec;
		}
	}
	n->ctime = now.sec;
	n->ctime_ns = now.nsec;
	return 0;
}

int rd_utimens(rd_tree *t, rd_fh base, const char *path, const struct timespec times[2], int flags)
{
	struct rd_node *n;
	int rc;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | META_NO_OPATH))
		return -EINVAL;
	tree_lock(t);
	rc = meta_find(t, base, path, flags, &n);
	if (rc == 0)
		rc = meta_utimens(t, n, times);
	tree_unlock(t);
	return rc;
}

int rd_futimens(rd_tree *t, rd_fh fh, const struct timespec times[2])
{
	return rd_utimens(t, fh, NULL, times, META_NO_OPATH);
}

int rd_access(rd_tree *t, rd_fh base, const char *path, int mode, int flags)
{
	struct rd_node *n;
	int rc;

	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	tree_lock_ro(t); /* changes nothing: the walk may come from the cache */
	rc = meta_find(t, base, path, flags, &n);
	if (rc == 0 && mode)
		rc = node_perm(t, n, mode);
	tree_unlock(t);
	return rc;
}

static int meta_truncate(rd_tree *t, struct rd_node *n, off_t len)
{
	int rc;

	if (len < 0)
		return -EINVAL;
	if (S_ISDIR(n->mode))
		return -EISDIR;
	if (!S_ISREG(n->mode))
		return -EINVAL;
	rc = data_truncate(t, n, (uint64_t)len);
	if (rc == 0)
		node_touch(n, 0, 1, 1);
	return rc;
}

int rd_truncate(rd_tree *t, rd_fh base, const char *path, off_t len)
{
	struct rd_node *n;
	int rc;

	tree_lock(t);
	rc = meta_find(t, base, path, 0, &n);
	if (rc == 0 && !S_ISDIR(n->mode))
		rc = node_perm(t, n, 2);
	if (rc == 0)
		rc = meta_truncate(t, n, len);
	tree_unlock(t);
	return rc;
}

static struct rd_node *meta_writable(rd_tree *t, rd_fh fh, int *rc)
{
	struct rd_ofile *of = ofile_get(t, fh);

	if (!of || (of->flags & O_PATH)) {
		*rc = -EBADF;
		return NULL;
	}
	if ((of->flags & O_ACCMODE) == O_RDONLY) {
		*rc = -EINVAL;
		return NULL;
	}
	*rc = 0;
	return OFF2P(t, of->node);
}

int rd_ftruncate(rd_tree *t, rd_fh fh, off_t len)
{
	struct rd_node *n;
	int rc;

	tree_lock(t);
	n = meta_writable(t, fh, &rc);
	if (n)
		rc = meta_truncate(t, n, len);
	tree_unlock(t);
	return rc;
}

static int meta_fallocate(rd_tree *t, struct rd_node *n, int mode, off_t off, off_t len)
{
	uint64_t end;
	int rc;

	if (off < 0 || len <= 0)
		return -EINVAL;
	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return -EOPNOTSUPP; /* as tmpfs: no ZERO_RANGE, COLLAPSE, INSERT */
	if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	if (S_ISDIR(n->mode))
		return -EISDIR;
	if (!S_ISREG(n->mode))
		return -ENODEV;
	end = (uint64_t)off + (uint64_t)len;
	if (end > RD_MAX_FILE)
		return -EFBIG;
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		if ((uint64_t)off < n->size)
			data_punch(t, n, (uint64_t)off, (end < n->size ? end : n->size) - (uint64_t)off);
		node_touch(n, 0, 1, 1);
		return 0;
	}
	rc = data_allocate(t, n, (uint64_t)off, (uint64_t)len);
	if (rc < 0)
		return rc;
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > n->size)
		n->size = end;
	node_touch(n, 0, 1, 1);
	return 0;
}

int rd_fallocate(rd_tree *t, rd_fh fh, int mode, off_t off, off_t len)
{
	struct rd_node *n;
	int rc;

	tree_lock(t);
	n = meta_writable(t, fh, &rc);
	if (rc == -EINVAL)
		rc = -EBADF; /* fallocate(2) says EBADF for a read-only handle */
	if (n && rc == 0)
		rc = meta_fallocate(t, n, mode, off, len);
	tree_unlock(t);
	return rc;
}

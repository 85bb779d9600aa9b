/*
 * File system statistics for tree paths and descriptors: statfs, fstatfs,
 * statvfs, fstatvfs and their 64 forms. The core gives one statvfs view
 * (blocks from the quota); statfs reports it with the tmpfs magic number,
 * so df and friends show the tree as the tmpfs it imitates.
 */
#include <limits.h>
#include <string.h>

#include "rp.h"

#define STATFS_TMPFS_MAGIC 0x01021994
#define STATFS_ST_VALID 0x0020 /* statfs f_flags: the flags are meaningful */

/* The core's view plus the mount flags tmpfs shows by default: relatime
 * is what the core implements for access times. */
static int statfs_view(struct statvfs *sv)
{
	int rc = rd_statvfs(rp.tree, sv);

	if (rc == 0)
		sv->f_flag |= ST_RELATIME;
	return rc;
}

/* statfs on a path reports the file system only if the path resolves,
 * with the lookup's errors (and its escapes) as stat would give them. */
static int statfs_at(const struct rp_at *at, struct statvfs *sv)
{
	struct stat st;
	int rc = rd_stat(rp.tree, at->base, at->path, &st, 0);

	return rc < 0 ? rc : statfs_view(sv);
}

static int statfs_fh(rd_fh fh, struct statvfs *sv)
{
	struct stat st;
	int rc = rd_fstat(rp.tree, fh, &st);

	return rc < 0 ? rc : statfs_view(sv);
}

static void statfs_put_vfs(struct statvfs *d, const struct statvfs *s)
{
	*d = *s;
}

static void statfs_put_vfs64(struct statvfs64 *d, const struct statvfs *s)
{
	memset(d, 0, sizeof *d);
	d->f_bsize = s->f_bsize;
	d->f_frsize = s->f_frsize;
	d->f_blocks = s->f_blocks;
	d->f_bfree = s->f_bfree;
	d->f_bavail = s->f_bavail;
	d->f_files = s->f_files;
	d->f_ffree = s->f_ffree;
	d->f_favail = s->f_favail;
	d->f_fsid = s->f_fsid;
	d->f_flag = s->f_flag;
	d->f_namemax = s->f_namemax;
}

/* struct statfs and statfs64 have the same field names: one template. The
 * fsid is split in two ints as glibc joins them for statvfs. */
#define STATFS_PUT(NAME, TYPE)                                                       \
	static void NAME(TYPE *d, const struct statvfs *s)                           \
	{                                                                            \
		memset(d, 0, sizeof *d);                                             \
		d->f_type = STATFS_TMPFS_MAGIC;                                      \
		d->f_bsize = (__fsword_t)s->f_bsize;                                 \
		d->f_blocks = s->f_blocks;                                           \
		d->f_bfree = s->f_bfree;                                             \
		d->f_bavail = s->f_bavail;                                           \
		d->f_files = s->f_files;                                             \
		d->f_ffree = s->f_ffree;                                             \
		d->f_fsid.__val[0] = (int)(unsigned)s->f_fsid;                       \
		d->f_fsid.__val[1] = (int)(unsigned)(s->f_fsid >> 32);               \
		d->f_namelen = (__fsword_t)s->f_namemax;                             \
		d->f_frsize = (__fsword_t)s->f_frsize;                               \
		d->f_flags = (__fsword_t)(s->f_flag | STATFS_ST_VALID);              \
	}

STATFS_PUT(statfs_put_fs, struct statfs)
STATFS_PUT(statfs_put_fs64, struct statfs64)

/*
 * STATFS_FAMILY: the path and descriptor wrappers for one result type.
 * PUT copies the core's statvfs view into the caller's struct.
 */
#define STATFS_FAMILY(PATHFN, FDFN, TYPE, PUT)                                       \
	static int PATHFN##_tree(const struct rp_at *at, TYPE *buf)                  \
	{                                                                            \
		struct statvfs sv;                                                   \
		int rc = statfs_at(at, &sv);                                         \
                                                                                     \
		if (rc == 0)                                                         \
			PUT(buf, &sv);                                               \
		return rc;                                                           \
	}                                                                            \
	static int FDFN##_tree(rd_fh fh, TYPE *buf)                                  \
	{                                                                            \
		struct statvfs sv;                                                   \
		int rc = statfs_fh(fh, &sv);                                         \
                                                                                     \
		if (rc == 0)                                                         \
			PUT(buf, &sv);                                               \
		return rc;                                                           \
	}                                                                            \
	RP_EXPORT int PATHFN(const char *path, TYPE *buf)                            \
	{                                                                            \
		RP_PATHCALL(int, AT_FDCWD, path, PATHFN##_tree(&at, buf),            \
			    REAL(PATHFN)(rp_pathname, buf));                         \
	}                                                                            \
	RP_EXPORT int FDFN(int fd, TYPE *buf)                                        \
	{                                                                            \
		RP_FDCALL(int, fd, FDFN##_tree(fh, buf), REAL(FDFN)(fd, buf));       \
	}

STATFS_FAMILY(statfs, fstatfs, struct statfs, statfs_put_fs)
STATFS_FAMILY(statfs64, fstatfs64, struct statfs64, statfs_put_fs64)
STATFS_FAMILY(statvfs, fstatvfs, struct statvfs, statfs_put_vfs)
STATFS_FAMILY(statvfs64, fstatvfs64, struct statvfs64, statfs_put_vfs64)

/*
 * pathconf and fpathconf: glibc answers some names with constants, asking
 * nothing (even of a missing path or a closed descriptor), and the rest
 * from the file system's type, which it asks with an internal fstatfs no
 * wrapper sees. A tree descriptor is a dup of the placeholder, a memfd on
 * the kernel's internal tmpfs, so glibc's answer for it is tmpfs's, as the
 * tree imitates; a tree path that resolves is answered the same way. An
 * idle descriptor (fd.c) is closed: glibc is asked about INT_MAX instead.
 */
RP_EXPORT long pathconf(const char *path, int name)
{
	struct rp_at at;
	struct stat st;
	const char *real = path;
	int k = rp_path(AT_FDCWD, path, &at), rc, ph, err = errno;
	long v;

	if (k > 0) { /* a constant? */
		errno = 0;
		v = REAL(fpathconf)(INT_MAX, name); /* a closed number (glibc refuses -1 first) */
		if (v != -1 || errno != EBADF) {
			if (!errno)
				errno = err;
			return v;
		}
		errno = err;
	}
	while (k > 0) {
		rc = rd_stat(rp.tree, at.base, at.path, &st, 0);
		if (rc != -RD_EESCAPE) {
			if (rc < 0)
				return rp_ret(rc);
			ph = rp_placeholder();
			return ph < 0 ? -1 : REAL(fpathconf)(ph, name); /* -1 alone: no limit */
		}
		k = rp_escape(&at);
		real = at.path;
	}
	if (k < 0)
		return rp_ret(k);
	return REAL(pathconf)(real, name);
}

RP_EXPORT long fpathconf(int fd, int name)
{
	return REAL(fpathconf)(rp_fd_idle(fd) ? INT_MAX : fd, name);
}

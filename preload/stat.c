/*
 * The stat and access family: stat, lstat, fstat, fstatat and their 64
 * forms, statx, the legacy versioned __xstat entry points, and access,
 * faccessat, euidaccess, eaccess. Every variant comes from one template
 * per struct type; the core answers in a struct stat, which it fills in
 * place for struct stat and which the other variants convert. A tree
 * descriptor is a dup of an O_PATH placeholder on the arena memfd, so fstat
 * on one must never reach the kernel: it would describe the memfd.
 */
#include <string.h>
#include <sys/sysmacros.h>

#include "rp.h"

/* The legacy entry points take the struct version first. On x86_64 glibc
 * accepts the kernel's (0) and its own (1), both the same struct stat. */
#define STAT_VER_KERNEL 0
#define STAT_VER_LINUX 1

/* ---- helpers ---- */

static void stat_put64(struct stat64 *d, const struct stat *s)
{
	memset(d, 0, sizeof *d);
	d->st_dev = s->st_dev;
	d->st_ino = s->st_ino;
	d->st_mode = s->st_mode;
	d->st_nlink = s->st_nlink;
	d->st_uid = s->st_uid;
	d->st_gid = s->st_gid;
	d->st_rdev = s->st_rdev;
	d->st_size = s->st_size;
	d->st_blksize = s->st_blksize;
	d->st_blocks = s->st_blocks;
	d->st_atim = s->st_atim;
	d->st_mtim = s->st_mtim;
	d->st_ctim = s->st_ctim;
}

static int stat_ver_ok(int ver)
{
	return ver == STAT_VER_KERNEL || ver == STAT_VER_LINUX;
}

/*
 * STAT_TREE: the core side of every stat variant for one struct type.
 * stat_path<SFX> answers (at, flags), stat_fh<SFX> an open tree file; the
 * _v forms first check a legacy version number as glibc does. The core
 * fills the caller's struct stat directly (only on success); other types
 * are converted from one.
 */
#define STAT_TREE(SFX, TYPE)                                                         \
	static int stat_path##SFX(const struct rp_at *at, TYPE *buf, int flags)      \
	{                                                                            \
		struct stat st;                                                      \
		int rc = rd_stat(rp.tree, at->base, at->path, &st, flags);           \
                                                                                     \
		if (rc == 0)                                                         \
			stat_put##SFX(buf, &st);                                     \
		return rc;                                                           \
	}                                                                            \
	static int stat_fh##SFX(rd_fh fh, TYPE *buf)                                 \
	{                                                                            \
		struct stat st;                                                      \
		int rc = rd_fstat(rp.tree, fh, &st);                                 \
                                                                                     \
		if (rc == 0)                                                         \
			stat_put##SFX(buf, &st);                                     \
		return rc;                                                           \
	}                                                                            \
	static int stat_path_v##SFX(int ver, const struct rp_at *at, TYPE *buf, int flags) \
	{                                                                            \
		return stat_ver_ok(ver) ? stat_path##SFX(at, buf, flags) : -EINVAL;  \
	}                                                                            \
	static int stat_fh_v##SFX(int ver, rd_fh fh, TYPE *buf)                      \
	{                                                                            \
		return stat_ver_ok(ver) ? stat_fh##SFX(fh, buf) : -EINVAL;           \
	}

/* struct stat: the core writes the caller's buffer itself. */
static int stat_path(const struct rp_at *at, struct stat *buf, int flags)
{
	return rd_stat(rp.tree, at->base, at->path, buf, flags);
}

static int stat_fh(rd_fh fh, struct stat *buf)
{
	return rd_fstat(rp.tree, fh, buf);
}

static int stat_path_v(int ver, const struct rp_at *at, struct stat *buf, int flags)
{
	return stat_ver_ok(ver) ? stat_path(at, buf, flags) : -EINVAL;
}

static int stat_fh_v(int ver, rd_fh fh, struct stat *buf)
{
	return stat_ver_ok(ver) ? stat_fh(fh, buf) : -EINVAL;
}

STAT_TREE(64, struct stat64)

/* ---- exported wrappers: stat, lstat, fstat, fstatat ---- */

/* stat of /dev/stdout, /proc/self/fd/N... on a tree descriptor is fstat of
 * it (lstat sees the real symlink). */
#define STAT_SELF(path, flags, CORE)                                   \
	do {                                                           \
		rd_fh self = (flags) & AT_SYMLINK_NOFOLLOW ? 0 : rp_fdlink(path); \
		if (self)                                              \
			return (int)rp_ret(CORE);                      \
	} while (0)

#define STAT_FAMILY(SFX, TYPE)                                                       \
	RP_EXPORT int stat##SFX(const char *path, TYPE *buf)                         \
	{                                                                            \
		STAT_SELF(path, 0, stat_fh##SFX(self, buf));                        \
		RP_PATHCALL(int, AT_FDCWD, path, stat_path##SFX(&at, buf, 0),        \
			    REAL(stat##SFX)(rp_pathname, buf));                      \
	}                                                                            \
	RP_EXPORT int lstat##SFX(const char *path, TYPE *buf)                        \
	{                                                                            \
		RP_PATHCALL(int, AT_FDCWD, path,                                     \
			    stat_path##SFX(&at, buf, AT_SYMLINK_NOFOLLOW),           \
			    REAL(lstat##SFX)(rp_pathname, buf));                     \
	}                                                                            \
	RP_EXPORT int fstat##SFX(int fd, TYPE *buf)                                  \
	{                                                                            \
		RP_FDCALL(int, fd, stat_fh##SFX(fh, buf), REAL(fstat##SFX)(fd, buf)); \
	}                                                                            \
	RP_EXPORT int fstatat##SFX(int dirfd, const char *path, TYPE *buf, int flags) \
	{                                                                            \
		STAT_SELF(path, flags, stat_fh##SFX(self, buf));                    \
		RP_PATHCALL(int, dirfd, path, stat_path##SFX(&at, buf, flags),       \
			    REAL(fstatat##SFX)(rp_dirfd, rp_pathname, buf, flags));  \
	}

STAT_FAMILY(, struct stat)
STAT_FAMILY(64, struct stat64)

/* ---- the legacy versioned entry points (no longer in the headers) ---- */

int __xstat(int ver, const char *path, struct stat *buf);
int __xstat64(int ver, const char *path, struct stat64 *buf);
int __lxstat(int ver, const char *path, struct stat *buf);
int __lxstat64(int ver, const char *path, struct stat64 *buf);
int __fxstat(int ver, int fd, struct stat *buf);
int __fxstat64(int ver, int fd, struct stat64 *buf);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *buf, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *buf, int flags);

#define STAT_XFAMILY(SFX, TYPE)                                                      \
	RP_EXPORT int __xstat##SFX(int ver, const char *path, TYPE *buf)             \
	{                                                                            \
		STAT_SELF(path, 0, stat_fh_v##SFX(ver, self, buf));                 \
		RP_PATHCALL(int, AT_FDCWD, path, stat_path_v##SFX(ver, &at, buf, 0), \
			    REAL(__xstat##SFX)(ver, rp_pathname, buf));              \
	}                                                                            \
	RP_EXPORT int __lxstat##SFX(int ver, const char *path, TYPE *buf)            \
	{                                                                            \
		RP_PATHCALL(int, AT_FDCWD, path,                                     \
			    stat_path_v##SFX(ver, &at, buf, AT_SYMLINK_NOFOLLOW),    \
			    REAL(__lxstat##SFX)(ver, rp_pathname, buf));             \
	}                                                                            \
	RP_EXPORT int __fxstat##SFX(int ver, int fd, TYPE *buf)                      \
	{                                                                            \
		RP_FDCALL(int, fd, stat_fh_v##SFX(ver, fh, buf),                     \
			  REAL(__fxstat##SFX)(ver, fd, buf));                        \
	}                                                                            \
	RP_EXPORT int __fxstatat##SFX(int ver, int dirfd, const char *path, TYPE *buf, int flags) \
	{                                                                            \
		STAT_SELF(path, flags, stat_fh_v##SFX(ver, self, buf));             \
		RP_PATHCALL(int, dirfd, path, stat_path_v##SFX(ver, &at, buf, flags), \
			    REAL(__fxstatat##SFX)(ver, rp_dirfd, rp_pathname, buf, flags)); \
	}

STAT_XFAMILY(, struct stat)
STAT_XFAMILY(64, struct stat64)

/* ---- statx ---- */

/* What tmpfs reports (Linux 6.x): the basic fields and the birth time;
 * of the attributes, append-only, immutable, nodump, automount, mount root
 * and DAX are known to it, and only mount root is ever set here. */
#define STAT_STATX_ATTRS_KNOWN 0x203070ull /* STATX_ATTR_{IMMUTABLE,APPEND,NODUMP,AUTOMOUNT,MOUNT_ROOT,DAX} */
#define STAT_STATX_ATTR_MOUNT_ROOT 0x2000ull

static void stat_put_statx(struct statx *d, const struct stat *s, const struct rd_statx_more *m)
{
	memset(d, 0, sizeof *d);
	d->stx_mask = STATX_BASIC_STATS | STATX_BTIME;
	d->stx_blksize = (uint32_t)s->st_blksize;
	d->stx_nlink = (uint32_t)s->st_nlink;
	d->stx_uid = s->st_uid;
	d->stx_gid = s->st_gid;
	d->stx_mode = (uint16_t)s->st_mode;
	d->stx_ino = s->st_ino;
	d->stx_size = (uint64_t)s->st_size;
	d->stx_blocks = (uint64_t)s->st_blocks;
	d->stx_attributes_mask = STAT_STATX_ATTRS_KNOWN;
	d->stx_attributes = m->mount_root ? STAT_STATX_ATTR_MOUNT_ROOT : 0;
	d->stx_atime.tv_sec = s->st_atim.tv_sec;
	d->stx_atime.tv_nsec = (uint32_t)s->st_atim.tv_nsec;
	d->stx_btime.tv_sec = m->btime;
	d->stx_btime.tv_nsec = m->btime_ns;
	d->stx_ctime.tv_sec = s->st_ctim.tv_sec;
	d->stx_ctime.tv_nsec = (uint32_t)s->st_ctim.tv_nsec;
	d->stx_mtime.tv_sec = s->st_mtim.tv_sec;
	d->stx_mtime.tv_nsec = (uint32_t)s->st_mtim.tv_nsec;
	d->stx_rdev_major = major(s->st_rdev);
	d->stx_rdev_minor = minor(s->st_rdev);
	d->stx_dev_major = major(s->st_dev);
	d->stx_dev_minor = minor(s->st_dev);
}

/* The kernel's checks, in its order: flags, then the sync type, then the
 * reserved mask bit. The sync type means nothing for memory. */
static int stat_statx(rd_fh base, const char *path, int flags, unsigned mask, struct statx *buf)
{
	struct rd_statx_more more;
	struct stat st;
	int rc;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -EINVAL;
	if (mask & STATX__RESERVED)
		return -EINVAL;
	rc = rd_statx(rp.tree, base, path, flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH), &st, &more);
	if (rc == 0)
		stat_put_statx(buf, &st, &more);
	return rc;
}

RP_EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf)
{
	rd_fh self = flags & AT_SYMLINK_NOFOLLOW ? 0 : rp_fdlink(path);

	if (self) /* /dev/stdout and the like on a tree descriptor */
		return (int)rp_ret(stat_statx(self, "", flags | AT_EMPTY_PATH, mask, buf));
	RP_PATHCALL(int, dirfd, path, stat_statx(at.base, at.path, flags, mask, buf),
		    REAL(statx)(rp_dirfd, rp_pathname, flags, mask, buf));
}

/* ---- access ---- */

/* The core checks the mode bits and flags (EINVAL) before the lookup. One
 * set of credentials serves both the real and the effective ids: the
 * library does not support set-user-ID programs. */
static int stat_access(const struct rp_at *at, int mode, int flags)
{
	return rd_access(rp.tree, at->base, at->path, mode, flags);
}

RP_EXPORT int access(const char *path, int mode)
{
	RP_PATHCALL(int, AT_FDCWD, path, stat_access(&at, mode, 0), REAL(access)(rp_pathname, mode));
}

RP_EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	RP_PATHCALL(int, dirfd, path, stat_access(&at, mode, flags),
		    REAL(faccessat)(rp_dirfd, rp_pathname, mode, flags));
}

RP_EXPORT int euidaccess(const char *path, int mode)
{
	RP_PATHCALL(int, AT_FDCWD, path, stat_access(&at, mode, AT_EACCESS),
		    REAL(euidaccess)(rp_pathname, mode));
}

RP_EXPORT int eaccess(const char *path, int mode)
{
	RP_PATHCALL(int, AT_FDCWD, path, stat_access(&at, mode, AT_EACCESS),
		    REAL(eaccess)(rp_pathname, mode));
}

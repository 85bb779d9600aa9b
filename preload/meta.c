/*
 * The metadata family: chmod, chown and timestamp changes by path, by
 * descriptor and *at, with the timeval and utimbuf forms glibc turns into
 * utimensat internally, and umask, whose new mask the tree mirrors for the
 * modes of the nodes it creates.
 */
#include <sys/time.h>
#include <utime.h>

#include "rp.h"

/* ---------------------------------------------------------------------
 * Internal helpers
 * --------------------------------------------------------------------- */

/* fchmod, fchown and futimens on an O_PATH descriptor: EBADF, as Linux. */
static int meta_fd_ok(rd_fh fh)
{
	int fl = rd_fh_getfl(rp.tree, fh);

	if (fl < 0)
		return fl;
	return (fl & O_PATH) ? -EBADF : 0;
}

/* glibc 2.36 fchmodat knows one flag; AT_SYMLINK_NOFOLLOW on a symlink
 * is EOPNOTSUPP (the core says so too). */
static int meta_chmod(const struct rp_at *at, mode_t mode, int flags)
{
	if (flags & ~AT_SYMLINK_NOFOLLOW)
		return -EINVAL;
	return rd_chmod(rp.tree, at->base, at->path, mode, flags);
}

static int meta_fchmod(rd_fh fh, mode_t mode)
{
	int rc = meta_fd_ok(fh);

	return rc < 0 ? rc : rd_fchmod(rp.tree, fh, mode);
}

static int meta_chown(const struct rp_at *at, uid_t uid, gid_t gid, int flags)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return rd_chown(rp.tree, at->base, at->path, uid, gid, flags);
}

static int meta_fchown(rd_fh fh, uid_t uid, gid_t gid)
{
	int rc = meta_fd_ok(fh);

	return rc < 0 ? rc : rd_fchown(rp.tree, fh, uid, gid);
}

/* The core checks the nanoseconds after the lookup, as Linux does; a
 * descriptor is checked first (EBADF before EINVAL). */
static int meta_futimens(rd_fh fh, const struct timespec *ts)
{
	int rc = meta_fd_ok(fh);

	return rc < 0 ? rc : rd_futimens(rp.tree, fh, ts);
}

/* timeval pair to timespec pair (NULL, "now", stays NULL). A microsecond
 * count out of range becomes an invalid nanosecond count: EINVAL, as
 * glibc's futimes and the kernel report it. */
static const struct timespec *meta_tv(const struct timeval *tv, struct timespec ts[2])
{
	int i;

	if (!tv)
		return NULL;
	for (i = 0; i < 2; i++) {
		ts[i].tv_sec = tv[i].tv_sec;
		ts[i].tv_nsec = tv[i].tv_usec >= 0 && tv[i].tv_usec < 1000000 ? tv[i].tv_usec * 1000 : -1;
	}
	return ts;
}

static const struct timespec *meta_utimbuf(const struct utimbuf *b, struct timespec ts[2])
{
	if (!b)
		return NULL;
	ts[0].tv_sec = b->actime;
	ts[0].tv_nsec = 0;
	ts[1].tv_sec = b->modtime;
	ts[1].tv_nsec = 0;
	return ts;
}

/* ---------------------------------------------------------------------
 * Exported wrappers
 * --------------------------------------------------------------------- */

RP_EXPORT int chmod(const char *path, mode_t mode)
{
	RP_PATHCALL(int, AT_FDCWD, path, meta_chmod(&at, mode, 0), REAL(chmod)(rp_pathname, mode));
}

RP_EXPORT int lchmod(const char *path, mode_t mode)
{
	RP_PATHCALL(int, AT_FDCWD, path, meta_chmod(&at, mode, AT_SYMLINK_NOFOLLOW), REAL(lchmod)(rp_pathname, mode));
}

RP_EXPORT int fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
	RP_PATHCALL(int, dirfd, path, meta_chmod(&at, mode, flags), REAL(fchmodat)(rp_dirfd, rp_pathname, mode, flags));
}

RP_EXPORT int fchmod(int fd, mode_t mode)
{
	RP_FDCALL(int, fd, meta_fchmod(fh, mode), REAL(fchmod)(fd, mode));
}

RP_EXPORT int chown(const char *path, uid_t uid, gid_t gid)
{
	RP_PATHCALL(int, AT_FDCWD, path, meta_chown(&at, uid, gid, 0), REAL(chown)(rp_pathname, uid, gid));
}

RP_EXPORT int lchown(const char *path, uid_t uid, gid_t gid)
{
	RP_PATHCALL(int, AT_FDCWD, path, meta_chown(&at, uid, gid, AT_SYMLINK_NOFOLLOW),
		    REAL(lchown)(rp_pathname, uid, gid));
}

RP_EXPORT int fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
	RP_PATHCALL(int, dirfd, path, meta_chown(&at, uid, gid, flags),
		    REAL(fchownat)(rp_dirfd, rp_pathname, uid, gid, flags));
}

RP_EXPORT int fchown(int fd, uid_t uid, gid_t gid)
{
	RP_FDCALL(int, fd, meta_fchown(fh, uid, gid), REAL(fchown)(fd, uid, gid));
}

/* A NULL path is glibc's EINVAL: rp_path leaves it to the real call. */
RP_EXPORT int utimensat(int dirfd, const char *path, const struct timespec times[2], int flags)
{
	RP_PATHCALL(int, dirfd, path, rd_utimens(rp.tree, at.base, at.path, times, flags),
		    REAL(utimensat)(rp_dirfd, rp_pathname, times, flags));
}

RP_EXPORT int futimens(int fd, const struct timespec times[2])
{
	RP_FDCALL(int, fd, meta_futimens(fh, times), REAL(futimens)(fd, times));
}

RP_EXPORT int utimes(const char *path, const struct timeval tv[2])
{
	struct timespec ts[2];

	RP_PATHCALL(int, AT_FDCWD, path, rd_utimens(rp.tree, at.base, at.path, meta_tv(tv, ts), 0),
		    REAL(utimes)(rp_pathname, tv));
}

RP_EXPORT int lutimes(const char *path, const struct timeval tv[2])
{
	struct timespec ts[2];

	RP_PATHCALL(int, AT_FDCWD, path,
		    rd_utimens(rp.tree, at.base, at.path, meta_tv(tv, ts), AT_SYMLINK_NOFOLLOW),
		    REAL(lutimes)(rp_pathname, tv));
}

RP_EXPORT int futimes(int fd, const struct timeval tv[2])
{
	struct timespec ts[2];

	RP_FDCALL(int, fd, meta_futimens(fh, meta_tv(tv, ts)), REAL(futimes)(fd, tv));
}

/* With a NULL path futimesat changes the directory descriptor's file. */
RP_EXPORT int futimesat(int dirfd, const char *path, const struct timeval tv[2])
{
	struct timespec ts[2];

	if (!path)
		RP_FDCALL(int, dirfd, meta_futimens(fh, meta_tv(tv, ts)), REAL(futimesat)(dirfd, path, tv));
	RP_PATHCALL(int, dirfd, path, rd_utimens(rp.tree, at.base, at.path, meta_tv(tv, ts), 0),
		    REAL(futimesat)(rp_dirfd, rp_pathname, tv));
}

RP_EXPORT int utime(const char *path, const struct utimbuf *times)
{
	struct timespec ts[2];

	RP_PATHCALL(int, AT_FDCWD, path, rd_utimens(rp.tree, at.base, at.path, meta_utimbuf(times, ts), 0),
		    REAL(utime)(rp_pathname, times));
}

/* The process mask stays the kernel's; the tree gets a copy for the
 * nodes it creates. */
RP_EXPORT mode_t umask(mode_t mask)
{
	mode_t old = REAL(umask)(mask);

	if (rp.tree)
		rd_tree_set_umask(rp.tree, mask & 0777);
	return old;
}

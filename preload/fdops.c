/*
 * Operations on descriptors themselves: close (and close_range,
 * closefrom), dup, dup2, dup3, fcntl, and size and lock calls (ftruncate,
 * fallocate, flock, lockf). A dup of a tree descriptor dups the
 * placeholder and takes one more reference to the same open file, so the
 * position and flags stay shared as POSIX requires.
 */
#include <stdarg.h>
#include <sys/file.h>

#include "rp.h"

RP_EXPORT int close(int fd)
{
	rd_fh fh = rp_fd_forget(fd);

	if (fh)
		rd_close(rp.tree, fh);
	return REAL(close)(fd);
}

static void fdops_forget_range(unsigned first, unsigned last)
{
	unsigned fd;

	for (fd = first; fd <= last && fd < (1u << 20); fd++) {
		rd_fh fh = rp_fd_get((int)fd) ? rp_fd_forget((int)fd) : 0;

		if (fh)
			rd_close(rp.tree, fh);
		if (fd == last)
			break;
	}
}

RP_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	int rc = REAL(close_range)(first, last, flags);

	/* CLOSE_RANGE_CLOEXEC only marks them; nothing is closed yet. */
	if (rc == 0 && rp.tree && !(flags & 4 /* CLOSE_RANGE_CLOEXEC */))
		fdops_forget_range(first, last);
	return rc;
}

RP_EXPORT void closefrom(int low)
{
	if (rp.tree && low >= 0)
		fdops_forget_range((unsigned)low, ~0u);
	REAL(closefrom)(low);
}

/* newfd (made by the kernel from a tree descriptor) shares fh. */
static int fdops_dup_done(int newfd, rd_fh fh)
{
	if (newfd < 0)
		return newfd;
	rd_fh_ref(rp.tree, fh);
	rp_fd_set(newfd, fh);
	return newfd;
}

RP_EXPORT int dup(int fd)
{
	rd_fh fh = rp_fd_get(fd);

	if (!fh)
		return REAL(dup)(fd);
	return fdops_dup_done(REAL(dup)(fd), fh);
}

/* dup2/dup3 close the target first, so a tree file there loses a ref. */
static void fdops_replace(int newfd)
{
	rd_fh old = rp_fd_forget(newfd);

	if (old)
		rd_close(rp.tree, old);
}

RP_EXPORT int dup2(int fd, int newfd)
{
	rd_fh fh = rp_fd_get(fd);
	int rc;

	if (!fh && !rp_fd_get(newfd))
		return REAL(dup2)(fd, newfd);
	if (fd == newfd)
		return REAL(dup2)(fd, newfd);
	rc = REAL(dup2)(fd, newfd);
	if (rc < 0)
		return rc;
	fdops_replace(newfd);
	return fh ? fdops_dup_done(rc, fh) : rc;
}

RP_EXPORT int dup3(int fd, int newfd, int flags)
{
	rd_fh fh = rp_fd_get(fd);
	int rc;

	if (!fh && !rp_fd_get(newfd))
		return REAL(dup3)(fd, newfd, flags);
	rc = REAL(dup3)(fd, newfd, flags);
	if (rc < 0)
		return rc;
	fdops_replace(newfd);
	return fh ? fdops_dup_done(rc, fh) : rc;
}

/* F_GETFL as Linux reports it: open-time-only flags are gone, and
 * O_LARGEFILE is always set on 64-bit. */
static int fdops_getfl(rd_fh fh)
{
	int fl = rd_fh_getfl(rp.tree, fh);

	if (fl < 0)
		return fl;
	return (fl & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) | O_LARGEFILE;
}

/* Record locks on tree files are granted without enforcement for now: one
 * process at a time is the supported case (see docs/preload.md). */
static int fdops_lock(int cmd, struct flock *fl)
{
	if (!fl)
		return -EFAULT;
	if (cmd == F_GETLK || cmd == F_OFD_GETLK)
		fl->l_type = F_UNLCK;
	return 0;
}

static int fdops_fcntl(int fd, rd_fh fh, int cmd, void *arg)
{
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		return fdops_dup_done(REAL(fcntl)(fd, cmd, arg), fh);
	case F_GETFD:
	case F_SETFD:
		return REAL(fcntl)(fd, cmd, arg);
	case F_GETFL:
		return (int)rp_ret(fdops_getfl(fh));
	case F_SETFL:
		return (int)rp_ret(rd_fh_setfl(rp.tree, fh, (int)(long)arg));
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		return (int)rp_ret(fdops_lock(cmd, arg));
	default:
		return (int)rp_ret(-EINVAL);
	}
}

RP_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;
	rd_fh fh;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	fh = rp_fd_get(fd);
	if (!fh)
		return REAL(fcntl)(fd, cmd, arg);
	return fdops_fcntl(fd, fh, cmd, arg);
}

RP_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;
	rd_fh fh;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	fh = rp_fd_get(fd);
	if (!fh)
		return REAL(fcntl64)(fd, cmd, arg);
	return fdops_fcntl(fd, fh, cmd, arg);
}

RP_EXPORT int ftruncate(int fd, off_t len)
{
	RP_FDCALL(int, fd, rd_ftruncate(rp.tree, fh, len), REAL(ftruncate)(fd, len));
}

RP_EXPORT int ftruncate64(int fd, off64_t len)
{
	RP_FDCALL(int, fd, rd_ftruncate(rp.tree, fh, len), REAL(ftruncate64)(fd, len));
}

RP_EXPORT int truncate(const char *path, off_t len)
{
	RP_PATHCALL(int, AT_FDCWD, path, rd_truncate(rp.tree, at.base, at.path, len),
		    REAL(truncate)(rp_pathname, len));
}

RP_EXPORT int truncate64(const char *path, off64_t len)
{
	RP_PATHCALL(int, AT_FDCWD, path, rd_truncate(rp.tree, at.base, at.path, len),
		    REAL(truncate64)(rp_pathname, len));
}

RP_EXPORT int fallocate(int fd, int mode, off_t off, off_t len)
{
	RP_FDCALL(int, fd, rd_fallocate(rp.tree, fh, mode, off, len), REAL(fallocate)(fd, mode, off, len));
}

RP_EXPORT int fallocate64(int fd, int mode, off64_t off, off64_t len)
{
	RP_FDCALL(int, fd, rd_fallocate(rp.tree, fh, mode, off, len), REAL(fallocate64)(fd, mode, off, len));
}

/* posix_fallocate returns the error number instead of setting errno. */
RP_EXPORT int posix_fallocate(int fd, off_t off, off_t len)
{
	rd_fh fh = rp_fd_get(fd);

	if (!fh)
		return REAL(posix_fallocate)(fd, off, len);
	return -rd_fallocate(rp.tree, fh, 0, off, len);
}

RP_EXPORT int posix_fallocate64(int fd, off64_t off, off64_t len)
{
	rd_fh fh = rp_fd_get(fd);

	if (!fh)
		return REAL(posix_fallocate64)(fd, off, len);
	return -rd_fallocate(rp.tree, fh, 0, off, len);
}

static int fdops_flock(int op)
{
	int kind = op & ~LOCK_NB;

	return kind == LOCK_SH || kind == LOCK_EX || kind == LOCK_UN ? 0 : -EINVAL;
}

RP_EXPORT int flock(int fd, int op)
{
	RP_FDCALL(int, fd, fdops_flock(op), REAL(flock)(fd, op));
}

RP_EXPORT int lockf(int fd, int cmd, off_t len)
{
	RP_FDCALL(int, fd, (cmd == F_LOCK || cmd == F_TLOCK || cmd == F_ULOCK || cmd == F_TEST) ? 0 : -EINVAL,
		  REAL(lockf)(fd, cmd, len));
}

RP_EXPORT int lockf64(int fd, int cmd, off64_t len)
{
	RP_FDCALL(int, fd, (cmd == F_LOCK || cmd == F_TLOCK || cmd == F_ULOCK || cmd == F_TEST) ? 0 : -EINVAL,
		  REAL(lockf64)(fd, cmd, len));
}

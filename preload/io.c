/*
 * Descriptor I/O on tree files: read, write, positioned and vectored forms
 * (64 and v2 variants), the fortify __read_chk family, lseek, and the
 * calls that are no-ops for memory (fsync, fdatasync, syncfs, fadvise).
 */
#include <stdlib.h>

#include "rp.h"

RP_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	RP_FDCALL(ssize_t, fd, rd_read(rp.tree, fh, buf, len), REAL(read)(fd, buf, len));
}

RP_EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	RP_FDCALL(ssize_t, fd, RP_SPACE(rd_write(rp.tree, fh, buf, len)), REAL(write)(fd, buf, len));
}

RP_EXPORT ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
	RP_FDCALL(ssize_t, fd, rd_pread(rp.tree, fh, buf, len, off), REAL(pread)(fd, buf, len, off));
}

RP_EXPORT ssize_t pread64(int fd, void *buf, size_t len, off64_t off)
{
	RP_FDCALL(ssize_t, fd, rd_pread(rp.tree, fh, buf, len, off), REAL(pread64)(fd, buf, len, off));
}

RP_EXPORT ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	RP_FDCALL(ssize_t, fd, RP_SPACE(rd_pwrite(rp.tree, fh, buf, len, off)), REAL(pwrite)(fd, buf, len, off));
}

RP_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
	RP_FDCALL(ssize_t, fd, RP_SPACE(rd_pwrite(rp.tree, fh, buf, len, off)), REAL(pwrite64)(fd, buf, len, off));
}

RP_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	RP_FDCALL(ssize_t, fd, rd_preadv(rp.tree, fh, iov, cnt, -1), REAL(readv)(fd, iov, cnt));
}

RP_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	RP_FDCALL(ssize_t, fd, RP_SPACE(rd_pwritev(rp.tree, fh, iov, cnt, -1)), REAL(writev)(fd, iov, cnt));
}

/* preadv(2) with off -1 is "current position" only for the v2 forms;
 * for preadv a negative offset is EINVAL. */
static ssize_t io_preadv(rd_fh fh, const struct iovec *iov, int cnt, off_t off, int v2)
{
	if (off < 0 && !(v2 && off == -1))
		return -EINVAL;
	return rd_preadv(rp.tree, fh, iov, cnt, off);
}

static ssize_t io_pwritev(rd_fh fh, const struct iovec *iov, int cnt, off_t off, int v2)
{
	if (off < 0 && !(v2 && off == -1))
		return -EINVAL;
	return rd_pwritev(rp.tree, fh, iov, cnt, off);
}

RP_EXPORT ssize_t preadv(int fd, const struct iovec *iov, int cnt, off_t off)
{
	RP_FDCALL(ssize_t, fd, io_preadv(fh, iov, cnt, off, 0), REAL(preadv)(fd, iov, cnt, off));
}

RP_EXPORT ssize_t preadv64(int fd, const struct iovec *iov, int cnt, off64_t off)
{
	RP_FDCALL(ssize_t, fd, io_preadv(fh, iov, cnt, off, 0), REAL(preadv64)(fd, iov, cnt, off));
}

RP_EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	RP_FDCALL(ssize_t, fd, RP_SPACE(io_pwritev(fh, iov, cnt, off, 0)), REAL(pwritev)(fd, iov, cnt, off));
}

RP_EXPORT ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off)
{
	RP_FDCALL(ssize_t, fd, RP_SPACE(io_pwritev(fh, iov, cnt, off, 0)), REAL(pwritev64)(fd, iov, cnt, off));
}

RP_EXPORT ssize_t preadv2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
	RP_FDCALL(ssize_t, fd, io_preadv(fh, iov, cnt, off, 1), REAL(preadv2)(fd, iov, cnt, off, flags));
}

RP_EXPORT ssize_t preadv64v2(int fd, const struct iovec *iov, int cnt, off64_t off, int flags)
{
	RP_FDCALL(ssize_t, fd, io_preadv(fh, iov, cnt, off, 1), REAL(preadv64v2)(fd, iov, cnt, off, flags));
}

RP_EXPORT ssize_t pwritev2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
	RP_FDCALL(ssize_t, fd, RP_SPACE(io_pwritev(fh, iov, cnt, off, 1)), REAL(pwritev2)(fd, iov, cnt, off, flags));
}

RP_EXPORT ssize_t pwritev64v2(int fd, const struct iovec *iov, int cnt, off64_t off, int flags)
{
	RP_FDCALL(ssize_t, fd, RP_SPACE(io_pwritev(fh, iov, cnt, off, 1)), REAL(pwritev64v2)(fd, iov, cnt, off, flags));
}

/* Fortify: glibc checks the buffer size before reading; so do we. */
RP_EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	if (len > buflen)
		abort();
	return read(fd, buf, len);
}

RP_EXPORT ssize_t __pread_chk(int fd, void *buf, size_t len, off_t off, size_t buflen)
{
	if (len > buflen)
		abort();
	return pread(fd, buf, len, off);
}

RP_EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t len, off64_t off, size_t buflen)
{
	if (len > buflen)
		abort();
	return pread64(fd, buf, len, off);
}

RP_EXPORT off_t lseek(int fd, off_t off, int whence)
{
	RP_FDCALL(off_t, fd, rd_lseek(rp.tree, fh, off, whence), REAL(lseek)(fd, off, whence));
}

RP_EXPORT off64_t lseek64(int fd, off64_t off, int whence)
{
	RP_FDCALL(off64_t, fd, rd_lseek(rp.tree, fh, off, whence), REAL(lseek64)(fd, off, whence));
}

/* Memory has nothing to flush: success, once the descriptor is known. */
static int io_nothing(rd_fh fh)
{
	(void)fh;
	return 0;
}

RP_EXPORT int fsync(int fd)
{
	RP_FDCALL(int, fd, io_nothing(fh), REAL(fsync)(fd));
}

RP_EXPORT int fdatasync(int fd)
{
	RP_FDCALL(int, fd, io_nothing(fh), REAL(fdatasync)(fd));
}

RP_EXPORT int syncfs(int fd)
{
	RP_FDCALL(int, fd, io_nothing(fh), REAL(syncfs)(fd));
}

static int io_fadvise(int advice)
{
	return advice < POSIX_FADV_NORMAL || advice > POSIX_FADV_NOREUSE ? -EINVAL : 0;
}

/* posix_fadvise returns the error number instead of setting errno. */
RP_EXPORT int posix_fadvise(int fd, off_t off, off_t len, int advice)
{
	if (!rp_fd_get(fd))
		return REAL(posix_fadvise)(fd, off, len, advice);
	return len < 0 ? EINVAL : -io_fadvise(advice);
}

RP_EXPORT int posix_fadvise64(int fd, off64_t off, off64_t len, int advice)
{
	if (!rp_fd_get(fd))
		return REAL(posix_fadvise64)(fd, off, len, advice);
	return len < 0 ? EINVAL : -io_fadvise(advice);
}

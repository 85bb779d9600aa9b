/*
 * ioctl and isatty on tree descriptors. The kernel sees the O_PATH
 * placeholder and answers EBADF to every request; tmpfs answers these on a
 * regular file or directory, and ENOTTY to anything else (terminal requests
 * included, which is what isatty and tcgetattr ask). Requests are decoded
 * here with tmpfs's answers; nothing is passed to the kernel but the
 * close-on-exec flag, which lives on the descriptor itself.
 */
#include <linux/fs.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "rp.h"

static long ioctl_tree(int fd, rd_fh fh, unsigned long req, void *arg)
{
	struct stat st;
	int rc = rd_fstat(rp.tree, fh, &st), fl;

	if (rc < 0)
		return rc;
	switch (req) {
	case FIOCLEX:
	case FIONCLEX:
		rp_fd_flags_changed(fd);
		return REAL(fcntl)(fd, F_SETFD, req == FIOCLEX ? FD_CLOEXEC : 0) < 0 ? -errno : 0;
	case FIOASYNC: /* accepted, as by a file without signal-driven I/O */
		return 0;
	case FIONBIO:
		fl = rd_fh_getfl(rp.tree, fh);
		if (fl < 0)
			return fl;
		return rd_fh_setfl(rp.tree, fh, *(int *)arg ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
	case FIONREAD: /* bytes from the position to the end, as for any file */
		if (!S_ISREG(st.st_mode))
			return -ENOTTY;
		{
			off_t pos = rd_lseek(rp.tree, fh, 0, SEEK_CUR);

			*(int *)arg = pos < 0 || pos >= st.st_size ? 0 : (int)(st.st_size - pos);
		}
		return 0;
	case FIOQSIZE: /* bytes allocated, not the size */
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
			return -ENOTTY;
		*(loff_t *)arg = (loff_t)st.st_blocks * 512;
		return 0;
	case FIGETBSZ:
		*(int *)arg = (int)st.st_blksize;
		return 0;
	case FICLONE:
	case FICLONERANGE:
	case FIDEDUPERANGE:
		return -EOPNOTSUPP; /* tmpfs shares no extents */
	case FS_IOC_GETFLAGS: /* none of the inode flags is set on a tree file */
		*(int *)arg = 0;
		return 0;
	case FS_IOC_SETFLAGS: /* nor can one be */
		return *(int *)arg ? -EOPNOTSUPP : 0;
	default:
		return -ENOTTY;
	}
}

RP_EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	/* glibc's ioctl is the bare system call: made directly, it costs no
	 * dlsym in each process that calls it (ls, every terminal program) */
	RP_FDCALL(int, fd, ioctl_tree(fd, fh, req, arg), (int)syscall(SYS_ioctl, fd, req, arg));
}

/* glibc's isatty and tcgetattr ask with an internal ioctl, which would
 * say EBADF. isatty of anything else is that ioctl, made here directly
 * (libc's isatty would be a dlsym in each process: most call it). */
RP_EXPORT int isatty(int fd)
{
	long buf[16]; /* struct termios as the kernel fills it (36 bytes) */

	if (!rp_fd_get(fd))
		return syscall(SYS_ioctl, fd, TCGETS, buf) == 0;
	errno = ENOTTY;
	return 0;
}

RP_EXPORT int tcgetattr(int fd, struct termios *t)
{
	if (!rp_fd_get(fd))
		return REAL(tcgetattr)(fd, t);
	errno = ENOTTY;
	return -1;
}

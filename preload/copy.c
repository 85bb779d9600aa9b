/*
 * In-kernel copies: copy_file_range, sendfile and splice, when either side
 * is a tree descriptor. The data goes through a buffer, read with the core
 * (or the real read) and written with the core (or the real write); the
 * checks and their order are those of Linux 6.x, which the tree mimics as
 * one tmpfs: copy_file_range between the tree and a real file is a copy
 * across filesystems, EXDEV; sendfile may cross filesystems and write to
 * anything; splice moves between a pipe and a file.
 */
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>

#include "rp.h"

#define COPY_CHUNK (256u << 10)
#define COPY_MAX_RW 0x7ffff000L /* Linux MAX_RW_COUNT */

/* One side of a copy. */
struct copy_end {
	int fd;
	rd_fh fh;        /* 0: a real descriptor */
	int flags;       /* status flags as F_GETFL */
	struct stat st;
};

/* Look at a descriptor as fdget() and the checks after it do: EBADF when
 * closed or O_PATH. */
static int copy_probe(int fd, struct copy_end *e)
{
	e->fd = fd;
	e->fh = rp_fd_get(fd);
	if (e->fh) {
		e->flags = rd_fh_getfl(rp.tree, e->fh);
		if (e->flags < 0)
			return e->flags;
		if (e->flags & O_PATH)
			return -EBADF;
		return rd_fstat(rp.tree, e->fh, &e->st);
	}
	e->flags = REAL(fcntl)(fd, F_GETFL);
	if (e->flags < 0)
		return -errno;
	if (e->flags & O_PATH)
		return -EBADF;
	return syscall(SYS_fstat, fd, &e->st) < 0 ? -errno : 0;
}

static int copy_readable(const struct copy_end *e)
{
	return (e->flags & O_ACCMODE) != O_WRONLY;
}

static int copy_writable(const struct copy_end *e)
{
	return (e->flags & O_ACCMODE) != O_RDONLY;
}

static off64_t copy_tell(const struct copy_end *e)
{
	return e->fh ? rd_lseek(rp.tree, e->fh, 0, SEEK_CUR) : REAL(lseek64)(e->fd, 0, SEEK_CUR);
}

static void copy_set_pos(const struct copy_end *e, off64_t pos)
{
	if (e->fh)
		rd_lseek(rp.tree, e->fh, pos, SEEK_SET);
	else
		REAL(lseek64)(e->fd, pos, SEEK_SET);
}

/* Read at pos (pos < 0: from the stream, for a real socket). */
static ssize_t copy_read(const struct copy_end *e, void *buf, size_t len, off64_t pos)
{
	ssize_t n;

	if (e->fh)
		return rd_pread(rp.tree, e->fh, buf, len, pos);
	n = pos < 0 ? REAL(read)(e->fd, buf, len) : REAL(pread64)(e->fd, buf, len, pos);
	return n < 0 ? -errno : n;
}

/* Write all of buf at pos (pos < 0: at the file position); what was
 * written, or -errno if nothing was. */
static ssize_t copy_write(const struct copy_end *e, const char *buf, size_t len, off64_t pos)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n;

		if (e->fh)
			n = pos < 0 ? RP_SPACE(rd_write(rp.tree, e->fh, buf + done, len - done))
				    : RP_SPACE(rd_pwrite(rp.tree, e->fh, buf + done, len - done, pos + (off64_t)done));
		else if ((n = REAL(write)(e->fd, buf + done, len - done)) < 0)
			n = -errno;
		if (n <= 0)
			return done ? (ssize_t)done : (n < 0 ? n : -EIO);
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* Move len bytes from in at *pos_in to out (at *pos_out, or at its file
 * position when pos_out is NULL). Positions advance by what was copied. */
static ssize_t copy_data(const struct copy_end *in, off64_t *pos_in, const struct copy_end *out, off64_t *pos_out,
			 size_t len)
{
	size_t chunk = len < COPY_CHUNK ? len : COPY_CHUNK, done = 0;
	char *buf = malloc(chunk);
	ssize_t rc = 0;

	if (!buf)
		return -ENOMEM;
	while (done < len) {
		size_t want = len - done < chunk ? len - done : chunk;
		ssize_t n = copy_read(in, buf, want, *pos_in), w;

		if (n <= 0) {
			rc = n;
			break;
		}
		w = copy_write(out, buf, (size_t)n, pos_out ? *pos_out : -1);
		if (w < 0) {
			rc = w;
			break;
		}
		done += (size_t)w;
		if (*pos_in >= 0)
			*pos_in += w;
		if (pos_out)
			*pos_out += w;
		if (w < n)
			break;
	}
	free(buf);
	return done ? (ssize_t)done : rc;
}

/* copy_file_range(2) with at least one tree side, checks in the kernel's
 * order: descriptors, flags, kinds, access, filesystems, ranges. */
static ssize_t copy_range(int fd_in, off64_t *off_in, int fd_out, off64_t *off_out, size_t len, unsigned flags)
{
	struct copy_end in, out;
	off64_t pin, pout;
	uint64_t count = len;
	ssize_t rc;

	if ((rc = copy_probe(fd_in, &in)) < 0 || (rc = copy_probe(fd_out, &out)) < 0)
		return rc;
	if (flags)
		return -EINVAL;
	if (S_ISDIR(in.st.st_mode) || S_ISDIR(out.st.st_mode))
		return -EISDIR;
	if (!S_ISREG(in.st.st_mode) || !S_ISREG(out.st.st_mode))
		return -EINVAL;
	if (!copy_readable(&in) || !copy_writable(&out) || (out.flags & O_APPEND))
		return -EBADF;
	if (!in.fh || !out.fh)
		return -EXDEV;
	pin = off_in ? *off_in : copy_tell(&in);
	pout = off_out ? *off_out : copy_tell(&out);
	if ((uint64_t)pin + count < (uint64_t)pin || (uint64_t)pout + count < (uint64_t)pout)
		return -EOVERFLOW;
	if (pin >= in.st.st_size)
		count = 0;
	else if (count > (uint64_t)(in.st.st_size - pin))
		count = (uint64_t)(in.st.st_size - pin);
	if (in.st.st_ino == out.st.st_ino && (uint64_t)pout + count > (uint64_t)pin &&
	    (uint64_t)pout < (uint64_t)pin + count)
		return -EINVAL;
	if (pin < 0 || pout < 0 || (int64_t)(pin + (off64_t)count) < 0 || (int64_t)(pout + (off64_t)count) < 0)
		return -EINVAL;
	if (count == 0)
		return 0;
	if (count > COPY_MAX_RW)
		count = COPY_MAX_RW;
	rc = copy_data(&in, &pin, &out, &pout, (size_t)count);
	if (rc > 0) {
		if (off_in)
			*off_in = pin;
		else
			copy_set_pos(&in, pin);
		if (off_out)
			*off_out = pout;
		else
			copy_set_pos(&out, pout);
	}
	return rc;
}

/* sendfile(2) with at least one tree side: in first (readable, seekable
 * when an offset is given, range), then out (writable; an O_APPEND file
 * that is not a pipe is refused, as splice refuses it), then the kinds
 * splice can read. */
static ssize_t copy_sendfile(int out_fd, int in_fd, off64_t *offset, size_t count)
{
	struct copy_end in, out;
	off64_t pos;
	ssize_t rc;

	if ((rc = copy_probe(in_fd, &in)) < 0)
		return rc;
	if (!copy_readable(&in))
		return -EBADF;
	if (offset && !in.fh && (S_ISFIFO(in.st.st_mode) || S_ISSOCK(in.st.st_mode)))
		return -ESPIPE;
	pos = offset ? *offset : (in.fh || S_ISREG(in.st.st_mode) || S_ISBLK(in.st.st_mode) ? copy_tell(&in) : -1);
	if ((ssize_t)count < 0 || (pos >= 0 && (int64_t)(pos + (off64_t)count) < 0) || (offset && pos < 0))
		return -EINVAL;
	if (count > COPY_MAX_RW)
		count = COPY_MAX_RW;
	if ((rc = copy_probe(out_fd, &out)) < 0)
		return rc;
	if (!copy_writable(&out))
		return -EBADF;
	if (!S_ISFIFO(out.st.st_mode) && (out.flags & O_APPEND))
		return -EINVAL;
	if (S_ISDIR(in.st.st_mode) || S_ISFIFO(in.st.st_mode))
		return -EINVAL;
	if (count == 0)
		return 0;
	rc = copy_data(&in, &pos, &out, NULL, count);
	if (rc > 0) {
		if (offset)
			*offset = pos;
		else if (pos >= 0)
			copy_set_pos(&in, pos);
	}
	return rc;
}

/* ---- splice ---- */

#define SPLICE_CHUNK (64u << 10) /* a default pipe's capacity */

/* Bytes queued in pipe fd and room left in it. */
static int splice_pipe_fill(int fd, size_t *queued, size_t *room)
{
	int n = 0, cap = REAL(fcntl)(fd, F_GETPIPE_SZ);

	if (cap < 0 || ioctl(fd, FIONREAD, &n) < 0)
		return -errno;
	*queued = (size_t)n;
	*room = n < cap ? (size_t)(cap - n) : 0;
	return 0;
}

/* Wait until pipe fd can be read (events POLLIN) or written (POLLOUT);
 * -EAGAIN at once when the splice must not block. */
static int splice_wait(int fd, short events, int nonblock)
{
	struct pollfd p = {.fd = fd, .events = events};

	if (nonblock)
		return -EAGAIN;
	if (ppoll(&p, 1, NULL, NULL) < 0)
		return -errno;
	return 0;
}

/* Tree file in, pipe out: as much as the pipe has room for (waiting for
 * room unless non-blocking), read at *pos. */
static ssize_t splice_to_pipe(const struct copy_end *in, off64_t *pos, const struct copy_end *out, size_t len,
			      int nonblock)
{
	size_t queued, room;
	char *buf;
	ssize_t n, w;
	int rc;

	for (;;) {
		rc = splice_pipe_fill(out->fd, &queued, &room);
		if (rc < 0)
			return rc;
		if (room)
			break;
		rc = splice_wait(out->fd, POLLOUT, nonblock);
		if (rc < 0)
			return rc;
	}
	if (len > room)
		len = room;
	if (len > SPLICE_CHUNK)
		len = SPLICE_CHUNK;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	n = copy_read(in, buf, len, *pos);
	w = n > 0 ? copy_write(out, buf, (size_t)n, -1) : n; /* fits: no wait */
	free(buf);
	if (w > 0)
		*pos += w;
	return w;
}

/* Pipe in, tree file out at *pos (or its position): what the pipe holds, up
 * to len, waiting for data unless non-blocking; 0 once the pipe is empty
 * with no writer. The bytes are copied out with tee(2) and taken from the
 * pipe only after the tree stored them, so a write refused for space (or
 * any error) leaves the pipe as it was, as the kernel's splice does. */
static ssize_t splice_from_pipe(const struct copy_end *in, const struct copy_end *out, off64_t *pos, size_t len,
				int nonblock)
{
	size_t queued, room;
	int pfd[2] = {-1, -1};
	ssize_t n, w = -ENOMEM;
	char *buf;
	int rc;

	for (;;) {
		struct pollfd p = {.fd = in->fd, .events = POLLIN};

		rc = splice_pipe_fill(in->fd, &queued, &room);
		if (rc < 0)
			return rc;
		if (queued)
			break;
		if (ppoll(&p, 1, &(struct timespec){0, 0}, NULL) > 0 && (p.revents & POLLHUP))
			return 0; /* empty, and no writer left */
		rc = splice_wait(in->fd, POLLIN, nonblock);
		if (rc < 0)
			return rc;
	}
	if (len > queued)
		len = queued;
	if (len > SPLICE_CHUNK)
		len = SPLICE_CHUNK;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		w = -errno;
		goto out;
	}
	n = tee(in->fd, pfd[1], len, SPLICE_F_NONBLOCK);
	if (n > 0)
		n = REAL(read)(pfd[0], buf, (size_t)n);
	if (n <= 0) {
		w = n < 0 ? -errno : -EAGAIN;
		goto out;
	}
	w = copy_write(out, buf, (size_t)n, pos ? *pos : -1);
	if (w > 0) {
		if (pos)
			*pos += w;
		REAL(read)(in->fd, buf, (size_t)w); /* now take them: they are queued */
	}
out:
	if (pfd[0] >= 0) {
		REAL(close)(pfd[0]);
		REAL(close)(pfd[1]);
	}
	free(buf);
	return w;
}

/* splice(2) with a tree side, checks in do_splice's order: access, then
 * which side is the pipe (an offset on it: ESPIPE), the file's offset and
 * O_APPEND, the range. Anything but a pipe on the other side: EINVAL. */
static ssize_t copy_splice(int fd_in, off64_t *off_in, int fd_out, off64_t *off_out, size_t len, unsigned flags)
{
	struct copy_end in, out;
	int nonblock = flags & SPLICE_F_NONBLOCK;
	off64_t pos;
	ssize_t rc;

	if ((rc = copy_probe(fd_in, &in)) < 0 || (rc = copy_probe(fd_out, &out)) < 0)
		return rc;
	if (!copy_readable(&in) || !copy_writable(&out))
		return -EBADF;
	if (!in.fh && S_ISFIFO(in.st.st_mode)) { /* pipe -> tree file */
		if (off_in)
			return -ESPIPE;
		if (S_ISDIR(out.st.st_mode))
			return -EBADF; /* a directory is never open for writing */
		if (out.flags & O_APPEND)
			return -EINVAL;
		pos = off_out ? *off_out : copy_tell(&out);
		if (pos < 0 || (int64_t)(pos + (off64_t)len) < 0)
			return -EINVAL;
		if (len == 0)
			return 0;
		rc = splice_from_pipe(&in, &out, &pos, len, nonblock || (in.flags & O_NONBLOCK));
		if (rc > 0) {
			if (off_out)
				*off_out = pos;
			else
				copy_set_pos(&out, pos);
		}
		return rc;
	}
	if (!out.fh && S_ISFIFO(out.st.st_mode)) { /* tree file -> pipe */
		if (off_out)
			return -ESPIPE;
		if (S_ISDIR(in.st.st_mode))
			return -EINVAL;
		pos = off_in ? *off_in : copy_tell(&in);
		if (pos < 0 || (int64_t)(pos + (off64_t)len) < 0)
			return -EINVAL;
		if (len == 0)
			return 0;
		if (pos >= in.st.st_size)
			return 0;
		rc = splice_to_pipe(&in, &pos, &out, len, nonblock || (out.flags & O_NONBLOCK));
		if (rc > 0) {
			if (off_in)
				*off_in = pos;
			else
				copy_set_pos(&in, pos);
		}
		return rc;
	}
	return -EINVAL;
}

/* ---- exported wrappers ---- */

RP_EXPORT ssize_t copy_file_range(int fd_in, off64_t *off_in, int fd_out, off64_t *off_out, size_t len,
				  unsigned int flags)
{
	if (!rp_fd_get(fd_in) && !rp_fd_get(fd_out))
		return REAL(copy_file_range)(fd_in, off_in, fd_out, off_out, len, flags);
	return rp_ret(copy_range(fd_in, off_in, fd_out, off_out, len, flags));
}

RP_EXPORT ssize_t sendfile(int out_fd, int in_fd, off_t *offset, size_t count)
{
	if (!rp_fd_get(out_fd) && !rp_fd_get(in_fd))
		return REAL(sendfile)(out_fd, in_fd, offset, count);
	return rp_ret(copy_sendfile(out_fd, in_fd, offset, count));
}

RP_EXPORT ssize_t sendfile64(int out_fd, int in_fd, off64_t *offset, size_t count)
{
	if (!rp_fd_get(out_fd) && !rp_fd_get(in_fd))
		return REAL(sendfile64)(out_fd, in_fd, offset, count);
	return rp_ret(copy_sendfile(out_fd, in_fd, offset, count));
}

RP_EXPORT ssize_t splice(int fd_in, off64_t *off_in, int fd_out, off64_t *off_out, size_t len, unsigned int flags)
{
	if (!rp_fd_get(fd_in) && !rp_fd_get(fd_out))
		return REAL(splice)(fd_in, off_in, fd_out, off_out, len, flags);
	return rp_ret(copy_splice(fd_in, off_in, fd_out, off_out, len, flags));
}

/*
 * Standard streams on tree descriptors. glibc's stdin/stdout/stderr write
 * with an internal write(2) no wrapper sees, so when a tree descriptor is
 * put on 0, 1 or 2 inside a process (a shell's `echo hi > /ram/f` runs the
 * builtin after dup2 onto 1) the FILE would hit the O_PATH placeholder. While
 * a tree file sits on one of those descriptors, the matching global stream
 * points to a cookie stream that serves that descriptor through the core;
 * when the descriptor is given back to a real file, the cookie stream is
 * flushed (into the tree, before the mapping goes) and the original stream
 * restored. Code that saved the FILE pointer earlier keeps the original and
 * fails loudly. A tree descriptor on 0-2 handed over by exec or spawn is
 * bound the same way, in the constructor, when handoff.c adopts it.
 */
#include <pthread.h>

#include "rp.h"

static FILE *std_orig[3];       /* glibc's own streams while replaced */
static FILE *std_cookie[3];     /* our stream on that descriptor, or NULL */
static pthread_mutex_t std_lock = PTHREAD_MUTEX_INITIALIZER;

static FILE **std_global(int fd)
{
	return fd == 0 ? &stdin : fd == 1 ? &stdout : &stderr;
}

static ssize_t std_read(void *c, char *buf, size_t len)
{
	int fd = (int)(intptr_t)c;
	rd_fh fh = rp_fd_get(fd);

	return fh ? rp_ret(rd_read(rp.tree, fh, buf, len)) : REAL(read)(fd, buf, len);
}

static ssize_t std_write(void *c, const char *buf, size_t len)
{
	int fd = (int)(intptr_t)c;
	rd_fh fh = rp_fd_get(fd);
	ssize_t n = fh ? rp_ret(RP_SPACE(rd_write(rp.tree, fh, buf, len))) : REAL(write)(fd, buf, len);

	/* fopencookie wants 0 for an error on write; errno stays set. */
	return n < 0 ? 0 : n;
}

static int std_seek(void *c, off64_t *pos, int whence)
{
	int fd = (int)(intptr_t)c;
	rd_fh fh = rp_fd_get(fd);
	off64_t r = fh ? rp_ret(rd_lseek(rp.tree, fh, *pos, whence)) : REAL(lseek64)(fd, *pos, whence);

	if (r < 0)
		return -1;
	*pos = r;
	return 0;
}

/* fclose(stdout) closes descriptor 1, as it would have. */
static int std_close(void *c)
{
	int fd = (int)(intptr_t)c;

	pthread_mutex_lock(&std_lock);
	if (std_cookie[fd]) {
		*std_global(fd) = std_orig[fd];
		std_cookie[fd] = NULL;
	}
	pthread_mutex_unlock(&std_lock);
	return close(fd);
}

void rp_std_bind(int fd)
{
	cookie_io_functions_t io = {std_read, std_write, std_seek, std_close};
	FILE *f;

	if (fd < 0 || fd > 2)
		return;
	pthread_mutex_lock(&std_lock);
	if (!std_cookie[fd]) {
		f = fopencookie((void *)(intptr_t)fd, fd == 0 ? "r" : "w", io);
		if (f) {
			/* stderr stays unbuffered; the others buffer as for a file. */
			if (fd == 2)
				setvbuf(f, NULL, _IONBF, 0);
			std_orig[fd] = *std_global(fd);
			std_cookie[fd] = f;
			*std_global(fd) = f;
		}
	}
	pthread_mutex_unlock(&std_lock);
}

/* Before descriptor fd stops naming its tree file: flush what the stream
 * holds into that file, then give the process its own stream back. */
void rp_std_unbind(int fd)
{
	FILE *f;

	if (fd < 0 || fd > 2)
		return;
	pthread_mutex_lock(&std_lock);
	f = std_cookie[fd];
	if (f) {
		std_cookie[fd] = NULL;
		/* Only if ours is still the global stream: freopen(stdout) may
		 * have installed another stream since, which stays. */
		if (*std_global(fd) == f)
			*std_global(fd) = std_orig[fd];
	}
	pthread_mutex_unlock(&std_lock);
	if (f) {
		fflush(f);
		/* The stream is left allocated: code may still hold the pointer,
		 * and closing it would close the descriptor. One small FILE per
		 * redirection of a standard descriptor. */
	}
}

int rp_std_fileno(FILE *fp)
{
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fp && fp == std_cookie[fd])
			return fd;
	return -1;
}

/*
 * The open family: open, openat, creat, their 64 forms and the fortify
 * __open*_2 variants. All funnel into one function; the variants only
 * differ in where the mode argument comes from.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "rp.h"

/* O_CREAT and O_TMPFILE are the flags that carry a mode. */
static int open_needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

static int open_tree(struct rp_at *at, int flags, mode_t mode)
{
	rd_fh fh;
	int rc = (int)RP_SPACE(rd_open(rp.tree, at->base, at->path, flags, mode, &fh));

	if (rc < 0)
		return rc;
	return rp_fd_install(fh, flags & O_CLOEXEC);
}

/* /dev/fd/N and friends of a tree descriptor: a new open of its file. */
static int open_self(rd_fh of, int flags)
{
	rd_fh fh;
	int rc = rd_reopen(rp.tree, of, flags, &fh);

	return rc < 0 ? rc : rp_fd_install(fh, flags & O_CLOEXEC);
}

static int open_at(int dirfd, const char *path, int flags, mode_t mode)
{
	rd_fh self = rp_fdlink(path);

	if (self)
		return (int)rp_ret(open_self(self, flags));
	RP_PATHCALL(int, dirfd, path, open_tree(&at, flags, mode),
		    (rp_fd_idle_flush(), REAL(openat)(rp_dirfd, rp_pathname, flags, mode)));
}

#define OPEN_MODE(flags, mode)                                 \
	do {                                                   \
		if (open_needs_mode(flags)) {                  \
			va_list ap;                            \
			va_start(ap, flags);                   \
			mode = (mode_t)va_arg(ap, int);        \
			va_end(ap);                            \
		}                                              \
	} while (0)

RP_EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	return open_at(AT_FDCWD, path, flags, mode);
}

RP_EXPORT int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	return open_at(AT_FDCWD, path, flags | O_LARGEFILE, mode);
}

RP_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	return open_at(dirfd, path, flags, mode);
}

RP_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	return open_at(dirfd, path, flags | O_LARGEFILE, mode);
}

RP_EXPORT int creat(const char *path, mode_t mode)
{
	return open_at(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

RP_EXPORT int creat64(const char *path, mode_t mode)
{
	return open_at(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC | O_LARGEFILE, mode);
}

/* Fortify variants: called when the compiler could not see a mode and
 * O_CREAT is absent; glibc aborts on O_CREAT here, so do we. */
RP_EXPORT int __open_2(const char *path, int flags)
{
	if (open_needs_mode(flags))
		abort();
	return open_at(AT_FDCWD, path, flags, 0);
}

RP_EXPORT int __open64_2(const char *path, int flags)
{
	if (open_needs_mode(flags))
		abort();
	return open_at(AT_FDCWD, path, flags | O_LARGEFILE, 0);
}

RP_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	if (open_needs_mode(flags))
		abort();
	return open_at(dirfd, path, flags, 0);
}

RP_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	if (open_needs_mode(flags))
		abort();
	return open_at(dirfd, path, flags | O_LARGEFILE, 0);
}

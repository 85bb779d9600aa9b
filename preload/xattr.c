/*
 * Extended attributes on tree files. The tree stores none: listing gives an
 * empty list, reading ENODATA, setting ENOTSUP (what a filesystem without
 * xattr support answers; cp -a, rsync and Python's copystat take that as
 * "nothing to copy"). The path or descriptor must still exist.
 */
#include <sys/xattr.h>

#include "rp.h"

/* The node must exist (errors as stat); then the xattr answer. */
static long xattr_path(struct rp_at *at, int follow, long answer)
{
	struct stat st;
	int rc = rd_stat(rp.tree, at->base, at->path, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW);

	return rc < 0 ? rc : answer;
}

static long xattr_fd(rd_fh fh, long answer)
{
	struct stat st;
	int rc = rd_fstat(rp.tree, fh, &st);

	return rc < 0 ? rc : answer;
}

RP_EXPORT ssize_t getxattr(const char *path, const char *name, void *val, size_t size)
{
	RP_PATHCALL(ssize_t, AT_FDCWD, path, xattr_path(&at, 1, -ENODATA),
		    REAL(getxattr)(rp_pathname, name, val, size));
}

RP_EXPORT ssize_t lgetxattr(const char *path, const char *name, void *val, size_t size)
{
	RP_PATHCALL(ssize_t, AT_FDCWD, path, xattr_path(&at, 0, -ENODATA),
		    REAL(lgetxattr)(rp_pathname, name, val, size));
}

RP_EXPORT ssize_t fgetxattr(int fd, const char *name, void *val, size_t size)
{
	RP_FDCALL(ssize_t, fd, xattr_fd(fh, -ENODATA), REAL(fgetxattr)(fd, name, val, size));
}

RP_EXPORT ssize_t listxattr(const char *path, char *list, size_t size)
{
	RP_PATHCALL(ssize_t, AT_FDCWD, path, xattr_path(&at, 1, 0), REAL(listxattr)(rp_pathname, list, size));
}

RP_EXPORT ssize_t llistxattr(const char *path, char *list, size_t size)
{
	RP_PATHCALL(ssize_t, AT_FDCWD, path, xattr_path(&at, 0, 0), REAL(llistxattr)(rp_pathname, list, size));
}

RP_EXPORT ssize_t flistxattr(int fd, char *list, size_t size)
{
	RP_FDCALL(ssize_t, fd, xattr_fd(fh, 0), REAL(flistxattr)(fd, list, size));
}

RP_EXPORT int setxattr(const char *path, const char *name, const void *val, size_t size, int flags)
{
	RP_PATHCALL(int, AT_FDCWD, path, xattr_path(&at, 1, -ENOTSUP),
		    REAL(setxattr)(rp_pathname, name, val, size, flags));
}

RP_EXPORT int lsetxattr(const char *path, const char *name, const void *val, size_t size, int flags)
{
	RP_PATHCALL(int, AT_FDCWD, path, xattr_path(&at, 0, -ENOTSUP),
		    REAL(lsetxattr)(rp_pathname, name, val, size, flags));
}

RP_EXPORT int fsetxattr(int fd, const char *name, const void *val, size_t size, int flags)
{
	RP_FDCALL(int, fd, xattr_fd(fh, -ENOTSUP), REAL(fsetxattr)(fd, name, val, size, flags));
}

RP_EXPORT int removexattr(const char *path, const char *name)
{
	RP_PATHCALL(int, AT_FDCWD, path, xattr_path(&at, 1, -ENODATA), REAL(removexattr)(rp_pathname, name));
}

RP_EXPORT int lremovexattr(const char *path, const char *name)
{
	RP_PATHCALL(int, AT_FDCWD, path, xattr_path(&at, 0, -ENODATA), REAL(lremovexattr)(rp_pathname, name));
}

RP_EXPORT int fremovexattr(int fd, const char *name)
{
	RP_FDCALL(int, fd, xattr_fd(fh, -ENODATA), REAL(fremovexattr)(fd, name));
}

/*
 * syscall(2) itself. A few programs make file system calls through it
 * rather than through their libc wrapper, so no other wrapper sees them:
 * libuv (Node.js) calls statx and copy_file_range that way: Node's fs.stat
 * of a tree path got the kernel's ENOENT and fs.copyFile the placeholder's
 * EBADF. Those calls are routed to the wrappers; every
 * other number goes to libc's syscall untouched, including the library's
 * own raw calls (which never use these numbers on tree paths).
 */
#include <stdarg.h>
#include <sys/syscall.h>

#include "rp.h"

RP_EXPORT long syscall(long nr, ...)
{
	long a1, a2, a3, a4, a5, a6;
	va_list ap;

	/* six words, as glibc's own syscall reads them whatever the call */
	va_start(ap, nr);
	a1 = va_arg(ap, long);
	a2 = va_arg(ap, long);
	a3 = va_arg(ap, long);
	a4 = va_arg(ap, long);
	a5 = va_arg(ap, long);
	a6 = va_arg(ap, long);
	va_end(ap);
	if (rp.tree && nr == SYS_statx)
		return statx((int)a1, (const char *)a2, (int)a3, (unsigned)a4, (struct statx *)a5);
	if (rp.tree && nr == SYS_copy_file_range)
		return copy_file_range((int)a1, (off64_t *)a2, (int)a3, (off64_t *)a4, (size_t)a5, (unsigned)a6);
	return REAL(syscall)(nr, a1, a2, a3, a4, a5, a6);
}

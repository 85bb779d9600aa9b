/*
 * syscall(2) itself. A few programs make file system calls through it
 * rather than through their libc wrapper, so no other wrapper sees them:
 * libuv (Node.js) calls statx and copy_file_range that way: Node's fs.stat
 * of a tree path got the kernel's ENOENT and fs.copyFile the placeholder's
 * EBADF. Those calls are routed to the wrappers; every other number,
 * including the library's own raw calls (which never use these numbers on
 * tree paths), is made here directly, as libc's syscall makes it: going
 * through libc's would mean a dlsym in every process at its first raw
 * call, which the constructor makes (a spawn measured 30 us slower).
 */
#include <stdarg.h>
#include <sys/syscall.h>

#include "rp.h"

#if defined(__x86_64__)
/* The system call instruction with the kernel's argument registers; the
 * -errno convention turned into -1 and errno as libc's syscall does. */
static long sys_raw(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long rc;

	__asm__ volatile("syscall"
			 : "=a"(rc)
			 : "0"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	if (rc < 0 && rc > -4096) {
		errno = (int)-rc;
		return -1;
	}
	return rc;
}
#else
static long sys_raw(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	return sys_raw(nr, a1, a2, a3, a4, a5, a6);
}
#endif

RP_EXPORT RP_START long syscall(long nr, ...)
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
	return sys_raw(nr, a1, a2, a3, a4, a5, a6);
}

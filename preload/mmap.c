/*
 * mmap of tree files. A private mapping (MAP_PRIVATE: ld.so, git, most
 * readers) is anonymous memory filled from the file: what it shows is the
 * file at the time of the call, and writes stay in the process, which is
 * what a private mapping promises. A shared mapping must stay coherent with
 * read and write, which needs the core to pin the file's pages while they
 * are mapped; until that lands it is refused with ENODEV, the answer of a
 * filesystem that cannot be mapped (docs/DESIGN.md, docs/intercepted.md).
 */
#include <sys/mman.h>

#include "rp.h"

static void *mmap_tree(rd_fh fh, void *addr, size_t len, int prot, int flags, off_t off)
{
	long page = sysconf(_SC_PAGESIZE);
	int fl = rd_fh_getfl(rp.tree, fh), err;
	size_t done = 0;
	void *p;

	if (len == 0 || off < 0 || (off & (page - 1)))
		return (void *)rp_ret(-EINVAL);
	if (fl < 0 || (fl & O_PATH))
		return (void *)rp_ret(-EBADF);
	if ((fl & O_ACCMODE) == O_WRONLY)
		return (void *)rp_ret(-EACCES);
	if ((flags & MAP_TYPE) != MAP_PRIVATE)
		return (void *)rp_ret(-ENODEV);
	p = REAL(mmap)(addr, len, PROT_READ | PROT_WRITE, (flags & ~MAP_TYPE) | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return p;
	while (done < len) {
		ssize_t n = rd_pread(rp.tree, fh, (char *)p + done, len - done, off + (off_t)done);

		if (n < 0) {
			err = (int)-n;
			munmap(p, len);
			errno = err;
			return MAP_FAILED;
		}
		if (n == 0)
			break; /* past EOF the mapping reads zeros */
		done += (size_t)n;
	}
	if (prot != (PROT_READ | PROT_WRITE) && mprotect(p, len, prot) < 0) {
		err = errno;
		munmap(p, len);
		errno = err;
		return MAP_FAILED;
	}
	return p;
}

RP_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	rd_fh fh = (flags & MAP_ANONYMOUS) ? 0 : rp_fd_get(fd);

	if (!fh)
		return REAL(mmap)(addr, len, prot, flags, fd, off);
	return mmap_tree(fh, addr, len, prot, flags, off);
}

RP_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	rd_fh fh = (flags & MAP_ANONYMOUS) ? 0 : rp_fd_get(fd);

	if (!fh)
		return REAL(mmap64)(addr, len, prot, flags, fd, off);
	return mmap_tree(fh, addr, len, prot, flags, off);
}

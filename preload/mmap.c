/*
 * mmap of tree files.
 *
 * A private mapping (MAP_PRIVATE: ld.so, git, most readers) is anonymous
 * memory filled from the file: it shows the file at the time of the call,
 * and writes stay in the process, which is what a private mapping promises.
 *
 * A shared mapping maps the file's own pages: they are pages of the arena
 * memfd, and the core (rd_map) makes them exist and pins them. The range is
 * first reserved with one anonymous PROT_NONE mapping, then every run of
 * pages that are consecutive in the arena is mapped over it from the memfd
 * with MAP_FIXED. The result is coherent with read and write in every
 * process, as on tmpfs, and costs no copy.
 *
 * Each shared mapping holds a map handle (an open-file object in the core)
 * that keeps its pages in place. The registry below remembers which address
 * range holds which handle, so that munmap and mremap (which may cut a
 * mapping anywhere) give the handle back exactly when the last byte of the
 * mapping goes; fork gives the child a reference of its own, and exit
 * returns what is left. msync, mprotect and madvise need no wrapper: the
 * real calls do the right thing on memfd pages.
 *
 * Differences from tmpfs (docs/intercepted.md): the pages of the whole range
 * are allocated at mmap time (ENOSPC there, not SIGBUS at first touch), and
 * a mapping reads zeros past EOF instead of raising SIGBUS.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "rp.h"

#define MAP_PAGE 4096ul

/* ---- the registry of shared mappings ---- */

struct map_ent {
	uintptr_t start, end;   /* page-aligned address range */
	uint64_t off;           /* file offset of start */
	rd_fh map;              /* the map handle this range holds */
	int prot;
};

static pthread_mutex_t map_lock = PTHREAD_MUTEX_INITIALIZER;
static struct map_ent *map_tab; /* grown with REAL(mmap): malloc may call munmap */
static size_t map_n, map_cap;
static size_t map_live RP_HOT;  /* read without the lock: 0 = nothing to do */

static int map_grow(void)
{
	size_t cap = map_cap ? map_cap * 2 : 256;
	struct map_ent *t = REAL(mmap)(NULL, cap * sizeof *t, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (t == MAP_FAILED)
		return -ENOMEM;
	if (map_tab) {
		memcpy(t, map_tab, map_n * sizeof *t);
		REAL(munmap)(map_tab, map_cap * sizeof *t);
	}
	map_tab = t;
	map_cap = cap;
	return 0;
}

/* Called with map_lock held. */
static int map_add(uintptr_t start, uintptr_t end, uint64_t off, rd_fh map, int prot)
{
	if (map_n == map_cap && map_grow() < 0)
		return -ENOMEM;
	map_tab[map_n++] = (struct map_ent){ start, end, off, map, prot };
	__atomic_store_n(&map_live, map_n, __ATOMIC_RELEASE);
	return 0;
}

/* [a, b) is no longer mapped: trim, split or drop the entries it touched.
 * Called with map_lock held. */
static void map_cut(uintptr_t a, uintptr_t b)
{
	size_t i = 0;

	while (i < map_n) {
		struct map_ent *e = &map_tab[i];

		if (b <= e->start || a >= e->end) {
			i++;
			continue;
		}
		if (a > e->start && b < e->end) {
			/* A hole in the middle: the tail becomes an entry of
			 * its own, with a reference of its own. */
			struct map_ent tail = *e;

			tail.off += b - e->start;
			tail.start = b;
			e->end = a;
			if (rd_fh_ref(rp.tree, e->map) == 0 && map_add(tail.start, tail.end, tail.off, tail.map,
								      tail.prot) < 0)
				rd_close(rp.tree, tail.map);
			i++;
		} else if (a > e->start) {
			e->end = a;
			i++;
		} else if (b < e->end) {
			e->off += b - e->start;
			e->start = b;
			i++;
		} else {
			rd_close(rp.tree, e->map);
			*e = map_tab[--map_n];
		}
	}
	__atomic_store_n(&map_live, map_n, __ATOMIC_RELEASE);
}

static struct map_ent *map_find(uintptr_t a)
{
	for (size_t i = 0; i < map_n; i++)
		if (a >= map_tab[i].start && a < map_tab[i].end)
			return &map_tab[i];
	return NULL;
}

/* fork: the child's copies of the mappings are references of its own. */
/* The child's references to the mapping handles are taken here, in the
 * parent, with the registry locked through the fork: taken in the child,
 * they could come after the parent's munmap freed a handle. */
static rd_fh *map_forked;  /* handles referenced for the child of the fork under way */
static size_t map_nforked;

static void map_fork_prepare(void)
{
	pthread_mutex_lock(&map_lock);
	free(map_forked); /* a fork that did not come through fork.c */
	map_nforked = 0;
	map_forked = map_n ? malloc(map_n * sizeof *map_forked) : NULL;
	for (size_t i = 0; map_forked && i < map_n; i++)
		if (rd_fh_give(rp.tree, map_tab[i].map, 1) == 0)
			map_forked[map_nforked++] = map_tab[i].map;
}

/* After the fork, in the parent: a failed one gives the references back. */
static int map_registered; /* map_atfork ran: fork goes through the handlers */

void rp_map_fork_done(int failed)
{
	/* A process that never mapped a tree file has nothing here; locking
	 * anyway wrote the lock's page right after fork, a copy-on-write fault
	 * (about 2.4 us) on every fork of every process. */
	if (!__atomic_load_n(&map_registered, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&map_lock);
	for (size_t i = 0; failed && i < map_nforked; i++)
		rd_fh_give(rp.tree, map_forked[i], -1);
	free(map_forked);
	map_forked = NULL;
	map_nforked = 0;
	pthread_mutex_unlock(&map_lock);
}

static void map_fork_parent(void)
{
	pthread_mutex_unlock(&map_lock);
}

static void map_fork_child(void)
{
	/* without the memory for the list, the child counts itself late */
	rd_tree_set_pid(rp.tree, (uint32_t)syscall(SYS_getpid)); /* bound already (exec.c) */
	for (size_t i = 0; !map_forked && i < map_n; i++)
		rd_fh_ref(rp.tree, map_tab[i].map);
	for (size_t i = 0; i < map_nforked; i++)
		rd_fh_take(rp.tree, map_forked[i]);
	free(map_forked);
	map_forked = NULL;
	map_nforked = 0;
	pthread_mutex_unlock(&map_lock);
}

static pthread_once_t map_once = PTHREAD_ONCE_INIT;

static void map_atfork(void)
{
	/* first: a fork between the two then only locks for nothing */
	__atomic_store_n(&map_registered, 1, __ATOMIC_RELEASE);
	pthread_atfork(map_fork_prepare, map_fork_parent, map_fork_child);
}

/* Exit: the mappings die with the process, so do their handles. */
__attribute__((destructor)) static void map_exit(void)
{
	if (!__atomic_load_n(&map_live, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&map_lock);
	while (map_n)
		rd_close(rp.tree, map_tab[--map_n].map);
	__atomic_store_n(&map_live, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&map_lock);
}

/* ---- shared mappings ---- */

/* Map npages of the file behind fh at file offset off. `fixed` is 0, or
 * MAP_FIXED / MAP_FIXED_NOREPLACE for addr. Returns the address or -errno. */
static long map_shared_at(rd_fh fh, void *addr, size_t npages, int prot, int flags, uint64_t off)
{
	uint64_t stackpages[128], *pages = stackpages;
	size_t tab = npages * sizeof *pages, i, run;
	int keep = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE | MAP_POPULATE | MAP_LOCKED | MAP_NONBLOCK);
	int arena = rd_tree_fd(rp.tree), rc;
	uint8_t *base;
	rd_fh map;

	if (npages > sizeof stackpages / sizeof *stackpages) {
		pages = REAL(mmap)(NULL, tab, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (pages == MAP_FAILED)
			return -ENOMEM;
	}
	rc = rd_map(rp.tree, fh, (off_t)off, npages, (prot & PROT_WRITE) != 0, pages, &map);
	if (rc < 0)
		goto out;
	base = REAL(mmap)(addr, npages * MAP_PAGE, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (keep & (MAP_FIXED | MAP_FIXED_NOREPLACE)),
			  -1, 0);
	if (base == MAP_FAILED) {
		rc = -errno;
		rd_close(rp.tree, map);
		goto out;
	}
	for (i = 0; i < npages; i += run) {
		for (run = 1; i + run < npages && pages[i + run] == pages[i] + run * MAP_PAGE; run++)
			;
		if (REAL(mmap)(base + i * MAP_PAGE, run * MAP_PAGE, prot,
			       MAP_SHARED | MAP_FIXED | (keep & (MAP_POPULATE | MAP_LOCKED | MAP_NONBLOCK)), arena,
			       (off_t)pages[i]) == MAP_FAILED) {
			rc = -errno;
			REAL(munmap)(base, npages * MAP_PAGE);
			rd_close(rp.tree, map);
			goto out;
		}
	}
	pthread_once(&map_once, map_atfork);
	pthread_mutex_lock(&map_lock);
	/* A MAP_FIXED mapping replaces whatever was there, our own included. */
	map_cut((uintptr_t)base, (uintptr_t)base + npages * MAP_PAGE);
	rc = map_add((uintptr_t)base, (uintptr_t)base + npages * MAP_PAGE, off, map, prot);
	pthread_mutex_unlock(&map_lock);
	if (rc < 0) {
		REAL(munmap)(base, npages * MAP_PAGE);
		rd_close(rp.tree, map);
		goto out;
	}
	rc = 0;
	if (pages != stackpages)
		REAL(munmap)(pages, tab);
	return (long)base;
out:
	if (pages != stackpages)
		REAL(munmap)(pages, tab);
	return rc;
}

/* ---- private mappings ---- */

static void *map_private(rd_fh fh, void *addr, size_t len, int prot, int flags, off_t off)
{
	size_t done = 0;
	void *p;
	int err;

	p = REAL(mmap)(addr, len, PROT_READ | PROT_WRITE, (flags & ~MAP_TYPE) | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return p;
	while (done < len) {
		ssize_t n = rd_pread(rp.tree, fh, (char *)p + done, len - done, off + (off_t)done);

		if (n < 0) {
			err = (int)-n;
			REAL(munmap)(p, len);
			errno = err;
			return MAP_FAILED;
		}
		if (n == 0)
			break; /* past EOF the mapping reads zeros */
		done += (size_t)n;
	}
	if (prot != (PROT_READ | PROT_WRITE) && mprotect(p, len, prot) < 0) {
		err = errno;
		REAL(munmap)(p, len);
		errno = err;
		return MAP_FAILED;
	}
	return p;
}

static void *mmap_tree(rd_fh fh, void *addr, size_t len, int prot, int flags, off_t off)
{
	int fl = rd_fh_getfl(rp.tree, fh), type = flags & MAP_TYPE;
	long rc;

	if (len == 0 || off < 0 || (off & (MAP_PAGE - 1)) || len > SIZE_MAX - MAP_PAGE)
		return (void *)rp_ret(-EINVAL);
	if (fl < 0 || (fl & O_PATH))
		return (void *)rp_ret(-EBADF);
	if ((fl & O_ACCMODE) == O_WRONLY)
		return (void *)rp_ret(-EACCES);
	if (type == MAP_PRIVATE)
		return map_private(fh, addr, len, prot, flags, off);
	if (type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		return (void *)rp_ret(-EINVAL);
	rc = map_shared_at(fh, addr, (len + MAP_PAGE - 1) / MAP_PAGE, prot, flags, (uint64_t)off);
	return rc < 0 ? (void *)rp_ret(rc) : (void *)rc;
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

static int map_unmap(void *addr, size_t len)
{
	int rc;

	pthread_mutex_lock(&map_lock);
	rc = REAL(munmap)(addr, len);
	if (rc == 0)
		map_cut((uintptr_t)addr, ((uintptr_t)addr + len + MAP_PAGE - 1) & ~(MAP_PAGE - 1));
	pthread_mutex_unlock(&map_lock);
	return rc;
}

RP_EXPORT int munmap(void *addr, size_t len)
{
	if (!__atomic_load_n(&map_live, __ATOMIC_ACQUIRE))
		return REAL(munmap)(addr, len);
	return map_unmap(addr, len);
}

/*
 * mremap of a shared tree mapping. The kernel cannot move or grow it (it is
 * several mappings of one memfd), so it is done here: shrinking unmaps the
 * tail; growing maps the next file pages right after it, or, with
 * MREMAP_MAYMOVE, maps the whole new range elsewhere and unmaps the old one.
 * Both views are of the same pages, so nothing is copied.
 */
static long mremap_tree(struct map_ent e, uintptr_t old, size_t old_len, size_t new_len, int flags, void *new_addr)
{
	uint64_t off = e.off + (old - e.start);
	size_t onp = (old_len + MAP_PAGE - 1) / MAP_PAGE, nnp = (new_len + MAP_PAGE - 1) / MAP_PAGE;
	long p;

	if ((old & (MAP_PAGE - 1)) || new_len == 0 || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) ||
	    ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)))
		return -EINVAL;
	if (old + onp * MAP_PAGE > e.end)
		return -EFAULT; /* the kernel's answer for a range over several mappings */
	if (flags & MREMAP_FIXED) {
		p = map_shared_at(e.map, new_addr, nnp, e.prot, MAP_FIXED, off);
		if (p >= 0)
			map_unmap((void *)old, onp * MAP_PAGE);
		return p;
	}
	if (nnp <= onp) {
		if (nnp < onp)
			map_unmap((void *)(old + nnp * MAP_PAGE), (onp - nnp) * MAP_PAGE);
		return (long)old;
	}
	p = map_shared_at(e.map, (void *)(old + onp * MAP_PAGE), nnp - onp, e.prot, MAP_FIXED_NOREPLACE,
			  off + onp * MAP_PAGE);
	if (p >= 0)
		return (long)old;
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	p = map_shared_at(e.map, NULL, nnp, e.prot, 0, off);
	if (p >= 0)
		map_unmap((void *)old, onp * MAP_PAGE);
	return p;
}

RP_EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *new_addr = NULL;
	struct map_ent e;
	struct map_ent *found;
	long rc;

	if (flags & MREMAP_FIXED) {
		va_list ap;

		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	if (__atomic_load_n(&map_live, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&map_lock);
		found = map_find((uintptr_t)old);
		if (found)
			e = *found;
		pthread_mutex_unlock(&map_lock);
		if (found) {
			rc = mremap_tree(e, (uintptr_t)old, old_len, new_len, flags, new_addr);
			return rc < 0 ? (void *)rp_ret(rc) : (void *)rc;
		}
	}
	return REAL(mremap)(old, old_len, new_len, flags, new_addr);
}

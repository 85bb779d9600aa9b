/*
 * The arena: one mapping that holds the whole tree, its allocator state and
 * its lock. A shared arena is a memfd mapped MAP_SHARED (children map it
 * again); a private one is anonymous memory. OS calls go through syscall(2)
 * directly so that, inside the preload library, they never re-enter the
 * library's own libc wrappers.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

_Static_assert(sizeof(struct rd_super) <= RD_PAGE, "the superblock is one page");

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static long arena_sys_error(long rc)
{
	return rc < 0 ? -errno : rc;
}

RD_START static void *arena_map(uint64_t size, int fd)
{
	int flags = fd >= 0 ? MAP_SHARED : (MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
	/* syscall(2) is variadic: a plain 0 passes an int and leaves the upper
	 * half of the 64-bit offset to chance (clang's fuzzing build mapped
	 * the memfd at offset 0x7ffc00000000 and died of SIGBUS). */
	long p = syscall(SYS_mmap, NULL, size, PROT_READ | PROT_WRITE, flags, fd, (off_t)0);

	return p == -1 ? NULL : (void *)p;
}

void arena_populate(rd_tree *t, uint64_t off, uint64_t len)
{
	/* One madvise pre-faults a batch: ~2 us a page instead of a 7-10 us
	 * fault on first touch. Failure (old kernel) only costs speed. */
	syscall(SYS_madvise, t->base + off, len, MADV_POPULATE_WRITE);
}

size_t arena_fill(rd_tree *t, uint64_t off, const void *src, size_t len)
{
	size_t done = 0;

	/* A short count (a fatal signal, the memory cgroup full) or an error
	 * (EFAULT from src) leaves the rest to the caller's copy, which then
	 * behaves as it did without this call. */
	while (done < len) {
		long n = syscall(SYS_pwrite64, t->fd, (const uint8_t *)src + done, len - done, (off_t)(off + done));

		if (n <= 0)
			break;
		done += (size_t)n;
	}
	return done;
}

void arena_punch(rd_tree *t, uint64_t off, uint64_t len)
{
	/* Give the memory back to the kernel; the range reads as zeros after. */
	if (t->fd >= 0)
		syscall(SYS_fallocate, t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len);
	else
		syscall(SYS_madvise, t->base + off, len, MADV_DONTNEED);
}

RD_START void rd_config_default(struct rd_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->quota = 256ull << 20;
	cfg->guard = RD_GUARD_NONE;
}

/* Geometry: super page, then the two side tables (4 + 1 bytes a page), then
 * the pages. Only the quota's worth of pages can ever be in use at once, and
 * the bump pointer only advances when no freed page is left, so npages equal
 * to the quota in pages bounds the arena. */
static void arena_geometry(uint64_t quota_pages, struct rd_super *s)
{
	uint64_t tabs = quota_pages * 5;

	s->npages = quota_pages;
	s->next_tab = RD_PAGE;
	s->type_tab = RD_PAGE + quota_pages * 4;
	s->pages_start = RD_PAGE + ((tabs + RD_PAGE - 1) & ~(uint64_t)(RD_PAGE - 1));
	s->arena_size = s->pages_start + quota_pages * RD_PAGE;
}

static int arena_init_lock(struct rd_super *s)
{
	pthread_mutexattr_t a;
	int rc;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	/* Error-checking, so that a lock left held under this thread's id by a
	 * vfork child that died inside it reads EDEADLK here instead of
	 * deadlocking (tree_lock_take). */
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	rc = pthread_mutex_init(&s->lock, &a);
	pthread_mutexattr_destroy(&a);
	return -rc;
}

static int arena_make_root(rd_tree *t)
{
	struct rd_super *s = SUPER(t);
	uint64_t root;
	int rc = node_new(t, S_IFDIR | 01777, &root); /* as a default tmpfs mount */

	if (rc < 0)
		return rc;
	rc = dir_init(t, root, root);
	if (rc < 0)
		return rc;
	((struct rd_node *)OFF2P(t, root))->nlink = 2;
	s->root = root;
	return 0;
}

/* Keep the arena's descriptor out of the low numbers programs expect to be
 * free (a program's first open should get the same number it would without
 * ramdir): move it to 1000 or above when the limit allows. */
static int arena_fd_high(int fd)
{
	long hi = syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 1000);

	if (hi < 0)
		return fd;
	syscall(SYS_close, fd);
	return (int)hi;
}

/*
 * Handles. A process's first one is static: most processes on a tree
 * (every one a shell or make starts) attach and never allocate anything
 * else, and this calloc was their first malloc, which sets the heap up (a
 * getrandom, two brk and two page faults). Later handles (tests, tools
 * holding several trees) are allocated.
 */
static rd_tree arena_first RD_HOT;
static int arena_first_used RD_HOT;

static void arena_handle_free(rd_tree *t)
{
	if (t == &arena_first) {
		memset(t, 0, sizeof *t);
		__atomic_store_n(&arena_first_used, 0, __ATOMIC_RELEASE);
	} else {
		free(t);
	}
}

RD_START static rd_tree *arena_handle(void)
{
	int idle = 0;
	rd_tree *t = &arena_first;

	if (!__atomic_compare_exchange_n(&arena_first_used, &idle, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->uid = (uid_t)syscall(SYS_geteuid);
	t->gid = (gid_t)syscall(SYS_getegid);
	t->umask = 022;
	t->fd = -1;
	return t;
}

int rd_tree_create(const struct rd_config *cfg, rd_tree **out)
{
	struct rd_super tmp, *s;
	uint64_t qpages;
	rd_tree *t;
	int rc;

	if (!cfg || !out || cfg->quota < 4 * RD_PAGE || cfg->quota > (1ull << 44))
		return -EINVAL;
	if (cfg->guard > RD_GUARD_PER_WRITE)
		return -EINVAL;
	if (cfg->guard != RD_GUARD_NONE) {
		rc = guard_check_init(cfg->quota, cfg->guard);
		if (rc < 0)
			return rc;
	}
	qpages = (cfg->quota + RD_PAGE - 1) / RD_PAGE;
	memset(&tmp, 0, sizeof tmp);
	arena_geometry(qpages, &tmp);

	t = arena_handle();
	if (!t)
		return -ENOMEM;
	if (cfg->shared) {
		long fd = syscall(SYS_memfd_create, "ramdir", MFD_CLOEXEC);

		if (fd < 0 || syscall(SYS_ftruncate, (int)fd, tmp.arena_size) < 0) {
			rc = -errno;
			if (fd >= 0)
				syscall(SYS_close, (int)fd);
			arena_handle_free(t);
			return rc;
		}
		t->fd = arena_fd_high((int)fd);
	}
	t->size = tmp.arena_size;
	t->base = arena_map(t->size, t->fd);
	if (!t->base) {
		rc = -errno;
		rd_tree_close(t);
		return rc;
	}
	s = SUPER(t);
	*s = tmp;
	s->magic = RD_MAGIC;
	s->quota = cfg->quota;
	s->quota_pages = qpages;
	s->max_nodes = cfg->max_nodes;
	s->next_ino = 2;
	s->guard.mode = cfg->guard;
	s->guard.interval_ns = cfg->guard_interval_ns ? cfg->guard_interval_ns : 100000000ull;
	rc = arena_init_lock(s);
	if (rc == 0)
		rc = arena_make_root(t);
	if (rc == 0)
		rc = roots_make(t, cfg->roots);
	if (rc < 0) {
		rd_tree_close(t);
		return rc;
	}
	s->pages_baseline = s->pages_used;
	s->pages_peak = s->pages_used;
	*out = t;
	return 0;
}

RD_START int rd_tree_attach(int fd, rd_tree **out)
{
	struct rd_super probe;
	rd_tree *t;
	long rc;

	if (fd < 0 || !out)
		return -EBADF;
	rc = arena_sys_error(syscall(SYS_pread64, fd, &probe, sizeof probe, (off_t)0));
	if (rc < 0)
		return (int)rc;
	if (rc != (long)sizeof probe || probe.magic != RD_MAGIC)
		return -EINVAL;
	t = arena_handle();
	if (!t)
		return -ENOMEM;
	t->fd = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 1000);
	if (t->fd < 0)
		t->fd = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0);
	if (t->fd < 0) {
		rc = -errno;
		arena_handle_free(t);
		return (int)rc;
	}
	t->size = probe.arena_size;
	t->nroots = probe.nroots ? probe.nroots : 1; /* fixed at creation */
	t->base = arena_map(t->size, t->fd);
	if (!t->base) {
		rc = -errno;
		rd_tree_close(t);
		return (int)rc;
	}
	*out = t;
	return 0;
}

int rd_tree_fd(const rd_tree *t)
{
	return t->fd;
}

void rd_tree_close(rd_tree *t)
{
	if (!t)
		return;
	lookup_forget(t);
	if (t->base)
		syscall(SYS_munmap, t->base, t->size);
	if (t->fd >= 0)
		syscall(SYS_close, t->fd);
	arena_handle_free(t);
}

RD_START void rd_tree_set_cred(rd_tree *t, uid_t uid, gid_t gid, const gid_t *groups, int ngroups)
{
	t->uid = uid;
	t->gid = gid;
	if (ngroups < 0 || !groups)
		ngroups = 0;
	if (ngroups > (int)(sizeof t->groups / sizeof t->groups[0]))
		ngroups = (int)(sizeof t->groups / sizeof t->groups[0]);
	if (ngroups)
		memcpy(t->groups, groups, (size_t)ngroups * sizeof *groups);
	t->ngroups = ngroups;
	lookup_forget(t); /* search permissions were checked as the old user */
}

RD_START void rd_tree_set_umask(rd_tree *t, mode_t mask)
{
	t->umask = mask & 0777;
}

/*
 * Lookup generations and the seqlock (docs/DESIGN.md 12).
 *
 * gen[] validates the per-process lookup caches (lookup.c). Every operation
 * that locks with tree_lock() may change what a path resolves to, so it
 * moves both generations before it changes anything: safe by default, a
 * new operation needs no thought. The operations known to leave every
 * resolution alone lock with tree_lock_ro() and move nothing, and the one
 * of them that may add a name (open with O_CREAT) moves only gen[GEN_NEG]:
 * a new name can turn a failed lookup into a success but cannot change
 * where a successful one leads. Recovery after a dead holder moves both.
 *
 * seq makes the lock a seqlock too: odd from lock to unlock, so a reader
 * that sees it even and unchanged around its loads read a state no holder
 * (in any process) was changing. A holder killed with it odd leaves it odd;
 * the next holder keeps it so and its unlock makes it even again.
 */

/* 1 while this thread holds the lock for an operation that may use the
 * lookup cache (read-only, no name added yet). */
static __thread int tree_ro_op __attribute__((tls_model("initial-exec")));

static void tree_gen_move(rd_tree *t, int which)
{
	uint64_t *g = &SUPER(t)->gen[which];

	__atomic_store_n(g, *g + 1, __ATOMIC_RELAXED);
}

void tree_ns_added(rd_tree *t)
{
	tree_gen_move(t, GEN_NEG);
	tree_ro_op = 0; /* the rest of this operation walks uncached */
}

int tree_lookup_gen(rd_tree *t, uint64_t gen[2])
{
	if (!tree_ro_op)
		return 0;
	gen[GEN_NEG] = SUPER(t)->gen[GEN_NEG];
	gen[GEN_POS] = SUPER(t)->gen[GEN_POS];
	return 1;
}

uint64_t tree_read_begin(rd_tree *t, uint64_t gen[2])
{
	struct rd_super *s = SUPER(t);
	uint64_t seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);

	gen[GEN_NEG] = __atomic_load_n(&s->gen[GEN_NEG], __ATOMIC_RELAXED);
	gen[GEN_POS] = __atomic_load_n(&s->gen[GEN_POS], __ATOMIC_RELAXED);
	return seq;
}

int tree_read_ok(rd_tree *t, uint64_t seq)
{
	RD_FENCE(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&SUPER(t)->seq, __ATOMIC_RELAXED) == seq;
}

/* The single lock. A holder that died (SIGKILL) leaves EOWNERDEAD to the next
 * locker, which rebuilds everything derivable from the tree before going on:
 * see tree_recover() and docs/DESIGN.md "Crash recovery". */
static void tree_lock_take(rd_tree *t)
{
	struct rd_super *s = SUPER(t);
	int rc = pthread_mutex_lock(&s->lock);

	/*
	 * EDEADLK: the lock is held under this very thread's id, which the
	 * core never does (it does not nest). A vfork child runs as the thread
	 * that called vfork (same memory, same thread id in glibc's eyes) but
	 * with no robust list of its own, so one that died inside the lock
	 * left it held in our name, and the kernel will not mark it
	 * EOWNERDEAD before this thread exits. It is ours now: repair as for
	 * a dead holder. (rd_tree_reclaim does this as soon as the parent
	 * resumes, so the other processes do not wait for its next call.)
	 */
	if (unlikely(rc == EDEADLK))
		rc = EOWNERDEAD;
	/* ENOTRECOVERABLE: a recovery itself died. Nothing safe is left. */
	if (unlikely(rc != 0 && rc != EOWNERDEAD))
		abort();
	/* Odd from here to the unlock; the fence orders every store of this
	 * holder after it, for the readers (a reader that sees one of them
	 * also sees seq odd, or moved). */
	if (!(s->seq & 1))
		__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELAXED);
	RD_FENCE(__ATOMIC_RELEASE);
	if (unlikely(rc == EOWNERDEAD)) {
		tree_recover(t); /* may drop names: every cached lookup goes */
		tree_gen_move(t, GEN_NEG);
		tree_gen_move(t, GEN_POS);
		s->recoveries++;
		pthread_mutex_consistent(&s->lock); /* EINVAL after EDEADLK: already consistent */
	}
	s->ops++;
}

void tree_lock(rd_tree *t)
{
	tree_lock_take(t);
	tree_gen_move(t, GEN_NEG);
	tree_gen_move(t, GEN_POS);
	tree_ro_op = 0;
}

void tree_lock_ro(rd_tree *t)
{
	tree_lock_take(t);
	tree_ro_op = 1;
}

void tree_unlock(rd_tree *t)
{
	struct rd_super *s = SUPER(t);

	tree_ro_op = 0;
	alloc_op_end(t);
	if (s->pages_used > s->pages_peak)
		s->pages_peak = s->pages_used;
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE); /* even: quiet */
	pthread_mutex_unlock(&s->lock);
}

/* A vfork child of this thread may have died holding the lock (see
 * tree_lock_take): if the lock is held in this thread's name, take it
 * over, repair and release it. One system call otherwise. */
void rd_tree_reclaim(rd_tree *t)
{
	struct rd_super *s = SUPER(t);

	if (__atomic_load_n(&s->lock.__data.__owner, __ATOMIC_RELAXED) != (int)syscall(SYS_gettid))
		return;
	tree_lock(t);
	tree_unlock(t);
}

void rd_test_lock(rd_tree *t)
{
	tree_lock(t);
}

void rd_test_unlock(rd_tree *t)
{
	tree_unlock(t);
}

/*
 * The descriptor table: which descriptor numbers stand for open tree files.
 * A tree descriptor is a dup of one O_PATH placeholder, so the kernel never
 * hands the number to another file while it is open, dup2 onto 0-2 works,
 * and code that bypasses the library gets EBADF rather than a silent
 * success. The table maps the number to the core's open-file handle; it is
 * an array indexed by descriptor (reads are one atomic load, no lock), sized
 * by RLIMIT_NOFILE and mapped lazily so unused entries cost nothing.
 *
 * Idle descriptors. Closing a tree descriptor would cost a close system
 * call and the next tree open a dup: together most of what a small-file
 * open, read and close costs here. So close keeps the kernel descriptor
 * (a placeholder dup, which the kernel never gives another file) and marks
 * the entry idle; the next tree open takes it back with no system call,
 * when that is exactly the number open would have returned: the lowest
 * free one. That is known when the idle number is below fd_dense, the
 * bound under which every descriptor was open when the library last asked
 * the kernel (the result of its own lowest-free dup) and which every close
 * the library sees lowers. An idle number that cannot be proved lowest,
 * or one standing in the way of a real open or an exec, is closed for real
 * (rp_fd_idle_flush). To the program an idle descriptor is closed: every
 * wrapper answers EBADF (rp_fd_entry), and the calls no wrapper sees get
 * the O_PATH placeholder's EBADF from the kernel. Only 3..63 go idle: the
 * standard streams keep their exact close.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "rp.h"

static uint64_t *fd_tab RP_HOT; /* fd -> rd_fh | RP_FD_* bits */
uint64_t rp_fd_idle_mask RP_HOT; /* bit n: descriptor n may be idle (a hint; the table decides) */
static int fd_dense RP_HOT; /* every descriptor below it is open in the kernel */
static size_t fd_cap RP_HOT;
static int fd_high RP_HOT = -1; /* highest descriptor ever recorded */

static int fd_table(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	void fd_table_init(void);

	pthread_once(&once, fd_table_init);
	return fd_tab != NULL;
}

void fd_table_init(void)
{
	struct rlimit rl;
	size_t cap = 1u << 16;
	long p;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY && rl.rlim_max > cap)
		cap = rl.rlim_max;
	if (cap > (1u << 20))
		cap = 1u << 20;
	p = syscall(SYS_mmap, NULL, cap * sizeof *fd_tab, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == -1)
		return;
	fd_tab = (uint64_t *)p;
	fd_cap = cap;
}

RP_START uint64_t rp_fd_entry(int fd)
{
	struct rp_vf *vf = rp_vf_child();
	rd_fh fh;

	if (unlikely(vf != NULL) && rp_vf_fd(vf, fd, &fh))
		return fh;
	if (fd < 0 || (size_t)fd >= fd_cap || !fd_tab)
		return 0;
	return __atomic_load_n(&fd_tab[fd], __ATOMIC_ACQUIRE);
}

RP_START rd_fh rp_fd_get(int fd)
{
	return rp_fd_entry(fd) & ~RP_FD_BITS;
}

int rp_fd_idle(int fd)
{
	return (rp_fd_entry(fd) & RP_FD_IDLE) != 0;
}

/* F_SETFD and the like changed fd's flags: the entry's record is stale,
 * so it closes for real (only a known entry may go idle). */
void rp_fd_flags_changed(int fd)
{
	if (fd >= 0 && (size_t)fd < fd_cap && fd_tab && likely(rp_vf_child() == NULL))
		__atomic_and_fetch(&fd_tab[fd], ~RP_FD_KNOWN, __ATOMIC_ACQ_REL);
}

/* A descriptor below fd_dense was closed for real (or may have been). */
static void fd_dense_lower(int fd)
{
	int d = __atomic_load_n(&fd_dense, __ATOMIC_RELAXED);

	while (fd >= 0 && fd < d && !__atomic_compare_exchange_n(&fd_dense, &d, fd, 1, __ATOMIC_RELAXED,
								  __ATOMIC_RELAXED))
		;
}

void rp_fd_closed_real(int fd)
{
	fd_dense_lower(fd);
}

/* Close idle descriptor fd for real, if it still is idle. */
static void fd_idle_close(int fd)
{
	uint64_t v = __atomic_load_n(&fd_tab[fd], __ATOMIC_ACQUIRE);

	__atomic_and_fetch(&rp_fd_idle_mask, ~(1ull << fd), __ATOMIC_ACQ_REL);
	if ((v & RP_FD_IDLE) && __atomic_compare_exchange_n(&fd_tab[fd], &v, 0, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		fd_dense_lower(fd);
		REAL(close)(fd);
	}
}

void rp_fd_idle_flush_all(void)
{
	uint64_t m;

	if (unlikely(rp_vf_child() != NULL)) /* the parent's table: not ours to change */
		return;
	while ((m = __atomic_load_n(&rp_fd_idle_mask, __ATOMIC_ACQUIRE)) != 0)
		fd_idle_close(__builtin_ctzll(m));
}

/*
 * The lowest idle descriptor for a new open, with its close-on-exec flag
 * set as asked; -1 if there is none, or none provably lowest (those are
 * closed, so the caller's dup returns the lowest free number).
 */
static int fd_idle_take(rd_fh fh, int cloexec)
{
	uint64_t m, v, want = fh | RP_FD_KNOWN | (cloexec ? RP_FD_CLOEXEC : 0);
	int fd;

	while ((m = __atomic_load_n(&rp_fd_idle_mask, __ATOMIC_ACQUIRE)) != 0) {
		fd = __builtin_ctzll(m);
		if (fd >= __atomic_load_n(&fd_dense, __ATOMIC_RELAXED)) {
			rp_fd_idle_flush_all();
			return -1;
		}
		v = __atomic_load_n(&fd_tab[fd], __ATOMIC_ACQUIRE);
		__atomic_and_fetch(&rp_fd_idle_mask, ~(1ull << fd), __ATOMIC_ACQ_REL);
		if (!(v & RP_FD_IDLE) ||
		    !__atomic_compare_exchange_n(&fd_tab[fd], &v, want, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			continue; /* taken meanwhile, or a stale hint */
		if (!(v & RP_FD_CLOEXEC) != !cloexec &&
		    REAL(fcntl)(fd, F_SETFD, cloexec ? FD_CLOEXEC : 0) < 0) {
			__atomic_store_n(&fd_tab[fd], 0, __ATOMIC_RELEASE);
			fd_dense_lower(fd);
			REAL(close)(fd);
			return -1;
		}
		rp_debug(RP_DBG_FD, "fd %d -> %#llx (was idle)", fd, (unsigned long long)fh);
		return fd;
	}
	return -1;
}

/*
 * close: 1 if fd stays open as an idle descriptor (no close system call
 * to make), 0 if the caller closes it, -EBADF if it was idle (closed to
 * the program) already. *fh is the tree file fd stood for, 0 if none.
 */
int rp_fd_close(int fd, rd_fh *fh)
{
	uint64_t v;

	*fh = 0;
	if (fd >= 3 && fd < 64 && fd_tab && likely(rp_vf_child() == NULL)) {
		v = __atomic_load_n(&fd_tab[fd], __ATOMIC_ACQUIRE);
		if (v & RP_FD_IDLE)
			return -EBADF;
		if ((v & RP_FD_KNOWN) &&
		    __atomic_compare_exchange_n(&fd_tab[fd], &v, RP_FD_IDLE | (v & RP_FD_CLOEXEC), 0,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			*fh = v & ~RP_FD_BITS;
			rd_lock_release(rp.tree, *fh, 0);
			__atomic_or_fetch(&rp_fd_idle_mask, 1ull << fd, __ATOMIC_ACQ_REL);
			rp_debug(RP_DBG_FD, "fd %d idle", fd);
			return 1;
		}
	}
	*fh = rp_fd_forget(fd);
	fd_dense_lower(fd);
	return 0;
}

/* Record entry e (a handle and RP_FD_* bits) for descriptor fd. */
static void fd_set_entry(int fd, uint64_t e)
{
	struct rp_vf *vf = rp_vf_child();
	rd_fh fh = e & ~RP_FD_BITS;

	if (fd < 0 || !fd_table() || (size_t)fd >= fd_cap)
		return;
	if (unlikely(vf != NULL)) { /* a vfork child: the parent's table stays */
		rp_vf_fd_set(vf, fd, fh);
		return;
	}
	__atomic_store_n(&fd_tab[fd], e, __ATOMIC_RELEASE);
	if (fd > __atomic_load_n(&fd_high, __ATOMIC_RELAXED))
		__atomic_store_n(&fd_high, fd, __ATOMIC_RELAXED);
	rp_debug(RP_DBG_FD, "fd %d -> %#llx", fd, (unsigned long long)fh);
	if (fd <= 2)
		rp_std_bind(fd);
}

void rp_fd_set(int fd, rd_fh fh)
{
	fd_set_entry(fd, fh); /* flags unknown: it never goes idle */
}

RP_START int rp_fd_high(void)
{
	struct rp_vf *vf = rp_vf_child();
	int high = __atomic_load_n(&fd_high, __ATOMIC_RELAXED);

	if (unlikely(vf != NULL) && rp_vf_high(vf) > high)
		high = rp_vf_high(vf);
	return high;
}

int rp_fd_private(int fd)
{
	return rp.tree && fd >= 0 && (fd == rp.placeholder || fd == rp.arena_fd || fd == rd_tree_fd(rp.tree));
}

rd_fh rp_fd_forget(int fd)
{
	struct rp_vf *vf = rp_vf_child();
	rd_fh fh;

	if (fd < 0 || (size_t)fd >= fd_cap || !fd_tab)
		return 0;
	if (unlikely(vf != NULL)) {
		/* a vfork child took no reference: there is none to drop, and
		 * it holds no lock either */
		if (rp_fd_get(fd))
			rp_vf_fd_set(vf, fd, 0);
		return 0;
	}
	if (fd <= 2 && fd_tab[fd])
		rp_std_unbind(fd); /* flush into the tree while the mapping stands */
	fh = __atomic_exchange_n(&fd_tab[fd], 0, __ATOMIC_ACQ_REL);
	fh = (fh & RP_FD_IDLE) ? 0 : fh & ~RP_FD_BITS; /* an idle one: closed already */
	/* Every close path but an idle one's comes here: closing any
	 * descriptor of a file drops the process's POSIX locks on it (one
	 * load if none exist). */
	if (fh)
		rd_lock_release(rp.tree, fh, 0); /* 0: getpid() only if needed */
	return fh;
}

/*
 * Open files of processes gone (killed, _exit) are given back when their
 * number has doubled since the last reap (DESIGN.md 9). The check is made
 * once per process, at its first tree descriptor, not in the constructor:
 * it reads the superblock, and that first load through the arena mapping
 * costs a process that never uses the tree about 15 us (a shared-memory
 * fault, and page tables made and freed).
 */
static void fd_reap_check(void)
{
	static int checked;

	if (__atomic_load_n(&checked, __ATOMIC_RELAXED) || __atomic_exchange_n(&checked, 1, __ATOMIC_RELAXED))
		return;
	if (rd_reap_due(rp.tree))
		rd_reap(rp.tree);
}

int rp_fd_install(rd_fh fh, int cloexec)
{
	int fd;

	fd_reap_check();
	if (!fd_table()) {
		rd_close(rp.tree, fh);
		return -EMFILE;
	}
	if (likely(rp_vf_child() == NULL) && __atomic_load_n(&rp_fd_idle_mask, __ATOMIC_RELAXED)) {
		fd = fd_idle_take(fh, cloexec);
		if (fd >= 0)
			return fd;
	}
	fd = rp_placeholder();
	if (fd >= 0)
		fd = REAL(fcntl)(fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
	if (fd < 0) {
		int err = errno;

		rd_close(rp.tree, fh);
		return -err;
	}
	if ((size_t)fd >= fd_cap) {
		REAL(close)(fd);
		rd_close(rp.tree, fh);
		return -EMFILE;
	}
	if (unlikely(rp_vf_child() != NULL))
		rp_vf_own(rp_vf_child(), fh); /* its overlay takes the handle alone */
	else /* every descriptor below fd is open: the kernel gave the lowest */
		__atomic_store_n(&fd_dense, fd + 1, __ATOMIC_RELAXED);
	fd_set_entry(fd, fh | RP_FD_KNOWN | (cloexec ? RP_FD_CLOEXEC : 0));
	return fd;
}

/*
 * fork: the child's references are taken in the parent, before the fork.
 * Taken in the child (a pthread_atfork child handler, as before), they
 * raced with the parent: sort forks gzip onto a temporary file and closes
 * its own descriptor at once, and the open file was freed before the
 * child's handler could count itself. The snapshot says which references
 * were taken, so the child can settle any descriptor another thread opened
 * or closed between the snapshot and the fork, and a failed fork gives
 * them back.
 */
void rp_fd_fork_prepare(struct rp_forksnap *s)
{
	int high = rp_fd_high();
	size_t n = 0;

	s->n = 0;
	s->cwd = 0;
	s->ent = NULL;
	for (int fd = 0; fd_tab && fd <= high; fd++)
		n += (fd_tab[fd] & ~RP_FD_BITS) != 0;
	if (n) {
		long p = syscall(SYS_mmap, NULL, n * sizeof *s->ent, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == -1)
			n = 0; /* no memory: the child takes its own, as best it can */
		else
			s->ent = (struct rp_forkent *)p;
		s->cap = n;
	}
	for (int fd = 0; fd_tab && fd <= high && s->n < s->cap; fd++) {
		rd_fh fh = __atomic_load_n(&fd_tab[fd], __ATOMIC_ACQUIRE) & ~RP_FD_BITS;

		if (fh && rd_fh_give(rp.tree, fh, 1) == 0) {
			s->ent[s->n].fd = fd;
			s->ent[s->n].fh = fh;
			s->n++;
		}
	}
	if (rp.cwd && rd_fh_give(rp.tree, rp.cwd, 1) == 0)
		s->cwd = rp.cwd;
}

static void fd_fork_free(struct rp_forksnap *s)
{
	if (s->ent)
		syscall(SYS_munmap, s->ent, s->cap * sizeof *s->ent);
	s->ent = NULL;
}

/* In the parent: a failed fork returns the references. */
void rp_fd_fork_parent(struct rp_forksnap *s, int failed)
{
	for (size_t i = 0; failed && i < s->n; i++)
		rd_fh_give(rp.tree, s->ent[i].fh, -1);
	if (failed && s->cwd)
		rd_fh_give(rp.tree, s->cwd, -1);
	fd_fork_free(s);
}

/* In the child: the table it inherited against the references taken. */
RP_START void rp_fd_fork_child(struct rp_forksnap *s)
{
	int high = rp_fd_high();
	size_t j = 0;

	rd_tree_set_pid(rp.tree, (uint32_t)syscall(SYS_getpid)); /* bound already (exec.c) */
	for (int fd = 0; fd_tab && fd <= high; fd++) {
		rd_fh fh = fd_tab[fd] & ~RP_FD_BITS;
		int counted = j < s->n && s->ent[j].fd == fd;

		if (counted && s->ent[j].fh == fh)
			rd_fh_take(rp.tree, fh); /* given for us: ours now */
		else if (counted)
			rd_fh_give(rp.tree, s->ent[j].fh, -1); /* replaced meanwhile */
		if (fh && !(counted && s->ent[j].fh == fh))
			rd_fh_ref(rp.tree, fh); /* opened meanwhile */
		j += counted;
	}
	for (; j < s->n; j++) /* above the table's end: cannot happen, but settle */
		rd_fh_give(rp.tree, s->ent[j].fh, -1);
	if (s->cwd && s->cwd == rp.cwd) {
		rd_fh_take(rp.tree, rp.cwd);
	} else {
		if (s->cwd)
			rd_fh_give(rp.tree, s->cwd, -1);
		if (rp.cwd)
			rd_fh_ref(rp.tree, rp.cwd);
	}
	fd_fork_free(s);
}

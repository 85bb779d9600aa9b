/*
 * The descriptor table: which descriptor numbers stand for open tree files.
 * A tree descriptor is a dup of one O_PATH placeholder, so the kernel never
 * hands the number to another file while it is open, dup2 onto 0-2 works,
 * and code that bypasses the library gets EBADF rather than a silent
 * success. The table maps the number to the core's open-file handle; it is
 * an array indexed by descriptor (reads are one atomic load, no lock), sized
 * by RLIMIT_NOFILE and mapped lazily so unused entries cost nothing.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "rp.h"

static uint64_t *fd_tab RP_HOT; /* fd -> rd_fh */
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

RP_START rd_fh rp_fd_get(int fd)
{
	struct rp_vf *vf = rp_vf_child();
	rd_fh fh;

	if (unlikely(vf != NULL) && rp_vf_fd(vf, fd, &fh))
		return fh;
	if (fd < 0 || (size_t)fd >= fd_cap || !fd_tab)
		return 0;
	return __atomic_load_n(&fd_tab[fd], __ATOMIC_ACQUIRE);
}

void rp_fd_set(int fd, rd_fh fh)
{
	struct rp_vf *vf = rp_vf_child();

	if (fd < 0 || !fd_table() || (size_t)fd >= fd_cap)
		return;
	if (unlikely(vf != NULL)) { /* a vfork child: the parent's table stays */
		rp_vf_fd_set(vf, fd, fh);
		return;
	}
	__atomic_store_n(&fd_tab[fd], fh, __ATOMIC_RELEASE);
	if (fd > __atomic_load_n(&fd_high, __ATOMIC_RELAXED))
		__atomic_store_n(&fd_high, fd, __ATOMIC_RELAXED);
	rp_debug(RP_DBG_FD, "fd %d -> %#llx", fd, (unsigned long long)fh);
	if (fd <= 2)
		rp_std_bind(fd);
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
	/* Every close path comes here: closing any descriptor of a file
	 * drops the process's POSIX locks on it (one load if none exist). */
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
		rp_vf_own(rp_vf_child(), fh);
	rp_fd_set(fd, fh);
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
		n += fd_tab[fd] != 0;
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
		rd_fh fh = __atomic_load_n(&fd_tab[fd], __ATOMIC_ACQUIRE);

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
void rp_fd_fork_child(struct rp_forksnap *s)
{
	int high = rp_fd_high();
	size_t j = 0;

	rd_tree_set_pid(rp.tree, (uint32_t)syscall(SYS_getpid)); /* bound already (exec.c) */
	for (int fd = 0; fd_tab && fd <= high; fd++) {
		rd_fh fh = fd_tab[fd];
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

/*
 * Operations on descriptors themselves: close (and close_range,
 * closefrom), dup, dup2, dup3, fcntl, and size and lock calls (ftruncate,
 * fallocate, flock, lockf). A dup of a tree descriptor dups the
 * placeholder and takes one more reference to the same open file, so the
 * position and flags stay shared as POSIX requires.
 *
 * Locks are the core's (lock.c); blocking calls wait here, outside the
 * tree lock. Closing any descriptor of a file drops the process's POSIX
 * locks on it: rp_fd_forget() (fd.c), which every close path goes
 * through, asks the core to.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>

#include "rp.h"

/*
 * The library's own descriptors (the arena, the placeholder) must outlive
 * programs that close every descriptor they do not know (daemons, Python's
 * subprocess with close_fds, closefrom): closing one is reported done and
 * changes nothing, and the range calls go around them.
 */
RP_EXPORT int close(int fd)
{
	rd_fh fh;
	int kept;

	if (unlikely(rp_fd_private(fd)))
		return 0;
	if (likely(!rp_fd_entry(fd))) { /* not the tree's: every close outside it */
		rp_fd_closed_real(fd);
		return REAL(close)(fd);
	}
	kept = rp_fd_close(fd, &fh); /* a tree descriptor may stay idle (fd.c) */
	if (kept < 0)
		return (int)rp_ret(kept);
	if (fh)
		rd_close(rp.tree, fh);
	return kept ? 0 : REAL(close)(fd);
}

static void fdops_forget_range(unsigned first, unsigned last)
{
	struct rp_vf *vf = rp_vf_child();
	int top = rp_fd_high();
	unsigned fd, high = (unsigned)top;

	if (top < 0) /* never a tree descriptor (as unsigned, -1 was 4e9 turns) */
		return;
	/* a vfork child: one overlay entry for the range, not one per fd */
	if (unlikely(vf != NULL) && rp_vf_close_range(vf, first, last) == 0)
		return;

	rp_fd_closed_real((int)(first > 0x7fffffff ? 0x7fffffff : first));
	for (fd = first; fd <= last && fd <= high; fd++) {
		rd_fh fh = rp_fd_get((int)fd) ? rp_fd_forget((int)fd) : 0;

		if (fh)
			rd_close(rp.tree, fh);
		if (fd == last)
			break;
	}
}

/* close_range over [first, last] minus the library's descriptors. */
static int fdops_close_range(unsigned first, unsigned last, int flags)
{
	int priv[3] = {rp.placeholder, rp.arena_fd, rd_tree_fd(rp.tree)}, rc;
	unsigned lo = first;

	/* ascending, so the pieces between them come out in order */
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (priv[j] < priv[i]) {
				int x = priv[i];

				priv[i] = priv[j];
				priv[j] = x;
			}
	for (int i = 0; i < 3; i++) {
		if (priv[i] < 0 || (unsigned)priv[i] < lo || (unsigned)priv[i] > last)
			continue;
		if ((unsigned)priv[i] > lo) {
			rc = REAL(close_range)(lo, (unsigned)priv[i] - 1, flags);
			if (rc < 0)
				return rc;
		}
		lo = (unsigned)priv[i] + 1;
		if (lo == 0) /* priv was UINT_MAX */
			return 0;
	}
	return lo <= last ? REAL(close_range)(lo, last, flags) : 0;
}

RP_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	int rc;

	if (!rp.tree || first > last)
		return REAL(close_range)(first, last, flags);
	rp_fd_idle_flush(); /* none may close under the table's feet */
	if (flags & 4 /* CLOSE_RANGE_CLOEXEC */)
		for (int fd = (int)first, high = rp_fd_high(); fd <= high && (unsigned)fd <= last; fd++)
			rp_fd_flags_changed(fd);
	rc = fdops_close_range(first, last, flags);
	/* CLOSE_RANGE_CLOEXEC only marks them; nothing is closed yet. */
	if (rc == 0 && !(flags & 4 /* CLOSE_RANGE_CLOEXEC */))
		fdops_forget_range(first, last);
	return rc;
}

/* glibc's closefrom is close_range(low, ~0U, 0), falling back to closing
 * one by one through /proc/self/fd; ours is the former, and never fails. */
RP_EXPORT void closefrom(int low)
{
	if (!rp.tree || low < 0) {
		REAL(closefrom)(low);
		return;
	}
	rp_fd_idle_flush();
	fdops_forget_range((unsigned)low, ~0u);
	if (fdops_close_range((unsigned)low, ~0u, 0) < 0) {
		for (int fd = low, high = rp_fd_high(); fd <= high; fd++)
			close(fd); /* no close_range (Linux < 5.9) */
		REAL(closefrom)(low);
	}
}

/* newfd (made by the kernel from a tree descriptor) shares fh. */
static int fdops_dup_done(int newfd, rd_fh fh)
{
	if (newfd < 0)
		return newfd;
	if (likely(!rp_vf_child())) /* a vfork child takes no reference */
		rd_fh_ref(rp.tree, fh);
	rp_fd_set(newfd, fh);
	return newfd;
}

/* An idle descriptor is closed to the program: EBADF, as the kernel
 * would say. */
#define FDOPS_NOT_IDLE(e)                                 \
	do {                                              \
		if (unlikely((e) & RP_FD_IDLE)) {         \
			errno = EBADF;                    \
			return -1;                        \
		}                                         \
	} while (0)

RP_EXPORT int dup(int fd)
{
	uint64_t e = rp_fd_entry(fd);
	rd_fh fh = e & ~RP_FD_BITS;

	FDOPS_NOT_IDLE(e);
	rp_fd_idle_flush(); /* the new descriptor is the lowest free */
	if (!fh)
		return REAL(dup)(fd);
	return fdops_dup_done(REAL(dup)(fd), fh);
}

/* dup2/dup3 close the target first, so a tree file there loses a ref. */
static void fdops_replace(int newfd)
{
	rd_fh old = rp_fd_forget(newfd);

	if (old)
		rd_close(rp.tree, old);
}

/* Replacing one of the library's own descriptors would cut the process
 * off its tree: refused like a descriptor the kernel is busy with. */
#define FDOPS_NOT_PRIVATE(newfd)                  \
	do {                                      \
		if (unlikely(rp_fd_private(newfd))) { \
			errno = EBUSY;            \
			return -1;                \
		}                                 \
	} while (0)

RP_EXPORT int dup2(int fd, int newfd)
{
	uint64_t e = rp_fd_entry(fd);
	rd_fh fh = e & ~RP_FD_BITS;
	int rc;

	FDOPS_NOT_PRIVATE(newfd);
	FDOPS_NOT_IDLE(e);
	if (!fh && !rp_fd_entry(newfd)) /* an idle newfd is forgotten below */
		return REAL(dup2)(fd, newfd);
	if (fd == newfd)
		return REAL(dup2)(fd, newfd);
	rc = REAL(dup2)(fd, newfd);
	if (rc < 0)
		return rc;
	fdops_replace(newfd);
	return fh ? fdops_dup_done(rc, fh) : rc;
}

RP_EXPORT int dup3(int fd, int newfd, int flags)
{
	uint64_t e = rp_fd_entry(fd);
	rd_fh fh = e & ~RP_FD_BITS;
	int rc;

	FDOPS_NOT_PRIVATE(newfd);
	FDOPS_NOT_IDLE(e);
	if (!fh && !rp_fd_entry(newfd)) /* an idle newfd is forgotten below */
		return REAL(dup3)(fd, newfd, flags);
	rc = REAL(dup3)(fd, newfd, flags);
	if (rc < 0)
		return rc;
	fdops_replace(newfd);
	return fh ? fdops_dup_done(rc, fh) : rc;
}

/* F_GETFL as Linux reports it: open-time-only flags are gone, and
 * O_LARGEFILE is always set on 64-bit. */
static int fdops_getfl(rd_fh fh)
{
	int fl = rd_fh_getfl(rp.tree, fh);

	if (fl < 0)
		return fl;
	return (fl & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) | O_LARGEFILE;
}

/* ---- locks ---- */

/* Would the kernel have ended a blocking lock call interrupted by a signal
 * handler with EINTR? It restarts the call if the handler has SA_RESTART.
 * Which signal ran is not known here, so: EINTR unless every installed
 * handler has SA_RESTART. */
static int fdops_eintr(void)
{
	int sig, saved = errno;

	for (sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;

		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN &&
		    !(sa.sa_flags & SA_RESTART)) {
			errno = saved;
			return 1;
		}
	}
	errno = saved;
	return 0;
}

/* A blocking lock call: try, and while the lock is held elsewhere sleep
 * (50 us, doubling up to 5 ms) and try again, never holding the tree lock
 * in between. Signals are blocked except during the sleep, which ppoll
 * unblocks atomically: a signal that arrives during a try is pending and
 * interrupts the next sleep at once, so none is missed. -EINTR if a signal
 * handler ran (see above). errno is kept. */
static int fdops_wait(int (*attempt)(void *), void *arg)
{
	int saved = errno, rc;
	sigset_t all, orig;
	long ns = 50000;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &orig);
	while ((rc = attempt(arg)) == -EAGAIN) {
		struct timespec ts = {0, ns};

		if (ppoll(NULL, 0, &ts, &orig) < 0 && errno == EINTR && fdops_eintr()) {
			rc = -EINTR;
			break;
		}
		if (ns < 5000000)
			ns *= 2;
	}
	pthread_sigmask(SIG_SETMASK, &orig, NULL);
	errno = saved;
	return rc;
}

struct fdops_lockreq {
	rd_fh fh;
	int ofd;
	uint32_t pid;
	struct rd_flock *fl;
	int op; /* flock */
};

static int fdops_try_setlk(void *arg)
{
	struct fdops_lockreq *q = arg;

	return rd_lock_set(rp.tree, q->fh, q->ofd, q->pid, q->fl, RD_LK_WAIT);
}

/* F_GETLK, F_SETLK, F_SETLKW and their OFD forms on a tree file. */
static int fdops_lock(rd_fh fh, int cmd, struct rd_flock *fl)
{
	int ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
	struct fdops_lockreq q = {fh, ofd, (uint32_t)getpid(), fl, 0};
	int rc;

	if (cmd == F_GETLK || cmd == F_OFD_GETLK)
		return rd_lock_get(rp.tree, fh, ofd, q.pid, fl);
	if (cmd == F_SETLK || cmd == F_OFD_SETLK)
		return rd_lock_set(rp.tree, fh, ofd, q.pid, fl, 0);
	rc = rd_lock_set(rp.tree, fh, ofd, q.pid, fl, RD_LK_WAIT);
	if (rc != -EAGAIN)
		return rc;
	rc = fdops_wait(fdops_try_setlk, &q);
	if (rc == -EINTR && !ofd)
		rd_lock_unwait(rp.tree, q.pid);
	return rc;
}

/* fcntl's lock argument, struct flock or (where it differs) flock64. */
#define FDOPS_FLOCK_IN(p) {(p)->l_type, (p)->l_whence, (p)->l_start, (p)->l_len, (p)->l_pid}
#define FDOPS_FLOCK_OUT(p, l)                                                                     \
	((p)->l_type = (l).type, (p)->l_whence = (l).whence, (p)->l_start = (l).start, (p)->l_len = (l).len, \
	 (p)->l_pid = (l).pid)

static int fdops_fcntl_lock(rd_fh fh, int cmd, struct flock *p)
{
	struct rd_flock l;
	int rc;

	if (!p)
		return -EFAULT;
	l = (struct rd_flock)FDOPS_FLOCK_IN(p);
	rc = fdops_lock(fh, cmd, &l);
	if (rc == 0 && (cmd == F_GETLK || cmd == F_OFD_GETLK))
		FDOPS_FLOCK_OUT(p, l);
	return rc;
}

#if F_GETLK64 != F_GETLK
static int fdops_fcntl_lock64(rd_fh fh, int cmd, struct flock64 *p)
{
	struct rd_flock l;
	int rc;

	if (!p)
		return -EFAULT;
	l = (struct rd_flock)FDOPS_FLOCK_IN(p);
	cmd = cmd == F_GETLK64 ? F_GETLK : cmd == F_SETLK64 ? F_SETLK : F_SETLKW;
	rc = fdops_lock(fh, cmd, &l);
	if (rc == 0 && cmd == F_GETLK)
		FDOPS_FLOCK_OUT(p, l);
	return rc;
}
#endif

static int fdops_fcntl(int fd, rd_fh fh, int cmd, void *arg)
{
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		rp_fd_idle_flush();
		return fdops_dup_done(REAL(fcntl)(fd, cmd, arg), fh);
	case F_SETFD:
		rp_fd_flags_changed(fd);
		return REAL(fcntl)(fd, cmd, arg);
	case F_GETFD:
		return REAL(fcntl)(fd, cmd, arg);
	case F_GETFL:
		return (int)rp_ret(fdops_getfl(fh));
	case F_SETFL:
		return (int)rp_ret(rd_fh_setfl(rp.tree, fh, (int)(long)arg));
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		return (int)rp_ret(fdops_fcntl_lock(fh, cmd, arg));
#if F_GETLK64 != F_GETLK
	case F_GETLK64:
	case F_SETLK64:
	case F_SETLKW64:
		return (int)rp_ret(fdops_fcntl_lock64(fh, cmd, arg));
#endif
	default:
		return (int)rp_ret(-EINVAL);
	}
}

/* fcntl and fcntl64: the same call under two names (real: the one to
 * pass a descriptor outside the tree to). */
static int fdops_fcntl_any(int fd, int cmd, void *arg, int (*real)(int, int, ...))
{
	uint64_t e = rp_fd_entry(fd);
	rd_fh fh = e & ~RP_FD_BITS;

	if (fh)
		return fdops_fcntl(fd, fh, cmd, arg);
	FDOPS_NOT_IDLE(e);
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		rp_fd_idle_flush(); /* the new descriptor is the lowest free */
	return real(fd, cmd, arg);
}

RP_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fdops_fcntl_any(fd, cmd, arg, REAL(fcntl));
}

RP_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fdops_fcntl_any(fd, cmd, arg, REAL(fcntl64));
}

RP_EXPORT int ftruncate(int fd, off_t len)
{
	RP_FDCALL(int, fd, RP_SPACE(rd_ftruncate(rp.tree, fh, len)), REAL(ftruncate)(fd, len));
}

RP_EXPORT int ftruncate64(int fd, off64_t len)
{
	RP_FDCALL(int, fd, RP_SPACE(rd_ftruncate(rp.tree, fh, len)), REAL(ftruncate64)(fd, len));
}

RP_EXPORT int truncate(const char *path, off_t len)
{
	RP_PATHCALL(int, AT_FDCWD, path, rd_truncate(rp.tree, at.base, at.path, len),
		    REAL(truncate)(rp_pathname, len));
}

RP_EXPORT int truncate64(const char *path, off64_t len)
{
	RP_PATHCALL(int, AT_FDCWD, path, rd_truncate(rp.tree, at.base, at.path, len),
		    REAL(truncate64)(rp_pathname, len));
}

RP_EXPORT int fallocate(int fd, int mode, off_t off, off_t len)
{
	RP_FDCALL(int, fd, RP_SPACE(rd_fallocate(rp.tree, fh, mode, off, len)), REAL(fallocate)(fd, mode, off, len));
}

RP_EXPORT int fallocate64(int fd, int mode, off64_t off, off64_t len)
{
	RP_FDCALL(int, fd, RP_SPACE(rd_fallocate(rp.tree, fh, mode, off, len)), REAL(fallocate64)(fd, mode, off, len));
}

/* posix_fallocate returns the error number instead of setting errno. */
RP_EXPORT int posix_fallocate(int fd, off_t off, off_t len)
{
	rd_fh fh = rp_fd_get(fd);

	if (!fh)
		return REAL(posix_fallocate)(fd, off, len);
	return (int)-RP_SPACE(rd_fallocate(rp.tree, fh, 0, off, len));
}

RP_EXPORT int posix_fallocate64(int fd, off64_t off, off64_t len)
{
	rd_fh fh = rp_fd_get(fd);

	if (!fh)
		return REAL(posix_fallocate64)(fd, off, len);
	return (int)-RP_SPACE(rd_fallocate(rp.tree, fh, 0, off, len));
}

static int fdops_try_flock(void *arg)
{
	struct fdops_lockreq *q = arg;

	return rd_flock(rp.tree, q->fh, q->op);
}

/* flock(2): EWOULDBLOCK with LOCK_NB, else wait. */
static int fdops_flock(rd_fh fh, int op)
{
	struct fdops_lockreq q = {fh, 0, 0, NULL, op & ~LOCK_NB};
	int rc = rd_flock(rp.tree, fh, q.op);

	if (rc != -EWOULDBLOCK || (op & LOCK_NB))
		return rc;
	return fdops_wait(fdops_try_flock, &q);
}

RP_EXPORT int flock(int fd, int op)
{
	RP_FDCALL(int, fd, fdops_flock(fh, op), REAL(flock)(fd, op));
}

/* lockf(3) as glibc builds it on fcntl: a range from the position, len
 * bytes long (0: to EOF, < 0: before it); F_TEST asks with a read lock and
 * answers EACCES only for another process's lock. */
static int fdops_lockf(rd_fh fh, int cmd, off64_t len)
{
	struct rd_flock l = {F_UNLCK, SEEK_CUR, 0, len, 0};
	int rc;

	switch (cmd) {
	case F_TEST:
		l.type = F_RDLCK;
		rc = fdops_lock(fh, F_GETLK, &l);
		if (rc < 0)
			return rc;
		return l.type == F_UNLCK || l.pid == getpid() ? 0 : -EACCES;
	case F_ULOCK:
		return fdops_lock(fh, F_SETLK, &l);
	case F_LOCK:
		l.type = F_WRLCK;
		return fdops_lock(fh, F_SETLKW, &l);
	case F_TLOCK:
		l.type = F_WRLCK;
		return fdops_lock(fh, F_SETLK, &l);
	default:
		return -EINVAL;
	}
}

RP_EXPORT int lockf(int fd, int cmd, off_t len)
{
	RP_FDCALL(int, fd, fdops_lockf(fh, cmd, len), REAL(lockf)(fd, cmd, len));
}

RP_EXPORT int lockf64(int fd, int cmd, off64_t len)
{
	RP_FDCALL(int, fd, fdops_lockf(fh, cmd, len), REAL(lockf64)(fd, cmd, len));
}

/*
 * select and pselect: the kernel reports an idle descriptor (fd.c), an
 * O_PATH placeholder underneath, as ready; closed to the program, it must
 * be EBADF, as poll's POLLNVAL already says. Idle ones are 3..63, all in
 * the first word of an fd_set: one load and nothing more while there is
 * none.
 */
static int fdops_select_idle(int nfds, fd_set *r, fd_set *w, fd_set *e)
{
	uint64_t m = __atomic_load_n(&rp_fd_idle_mask, __ATOMIC_RELAXED), asked = 0;

	if (likely(!m) || nfds <= 0)
		return 0;
	if (nfds < 64)
		m &= (1ull << nfds) - 1;
	asked |= r ? (uint64_t)r->fds_bits[0] : 0;
	asked |= w ? (uint64_t)w->fds_bits[0] : 0;
	asked |= e ? (uint64_t)e->fds_bits[0] : 0;
	for (m &= asked; m; m &= m - 1)
		if (rp_fd_idle(__builtin_ctzll(m)))
			return 1;
	return 0;
}

RP_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout)
{
	if (unlikely(fdops_select_idle(nfds, r, w, e)))
		return (int)rp_ret(-EBADF);
	return REAL(select)(nfds, r, w, e, timeout);
}

RP_EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e, const struct timespec *timeout,
		      const sigset_t *mask)
{
	if (unlikely(fdops_select_idle(nfds, r, w, e)))
		return (int)rp_ret(-EBADF);
	return REAL(pselect)(nfds, r, w, e, timeout, mask);
}

/* Exit closes every descriptor, and with them the process's POSIX locks.
 * Tree descriptors stay open here (stdio may still flush into them), so
 * only the locks go now; a process that dies without exit() loses them
 * when another finds it gone (lock.c). */
__attribute__((destructor)) static void fdops_exit(void)
{
	/* A process that never had a tree descriptor holds no lock (not even
	 * one taken before an exec: its descriptor was handed over and is in
	 * the table), and skipping the check keeps it from loading through the
	 * arena mapping for the first time at exit (see fd.c). syscall(), not
	 * getpid(): a page the process has in use. */
	if (rp.tree && rp_fd_high() >= 0 && !rp_vf_child())
		rd_lock_exit(rp.tree, (uint32_t)syscall(SYS_getpid));
}

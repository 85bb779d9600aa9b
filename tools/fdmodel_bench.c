/*
 * fdmodel_bench: measures what kind of real descriptor could stand for an
 * open ramdir tree file (the "fd model"): creation and close cost, fstat
 * cost and identity, what read(2)/write(2) do when the library is bypassed,
 * survival across exec, and whether the kernel can tell when the last
 * descriptor of an object is gone. Standalone, not part of the CMake build:
 *
 *     gcc -O2 -Wall -Wextra -Werror -o fdmodel_bench tools/fdmodel_bench.c
 *     ./fdmodel_bench [--quick]
 *
 * It prints markdown tables (docs/fd-model.md discusses them). The program
 * re-executes itself in helper modes (first argument "child-*") to look at
 * inherited descriptors from inside a fresh image.
 *
 * Sections: utilities / candidates / candidate properties / descriptor
 * primitives / the OFD-lock token model / the recommended model step by
 * step / detecting the last close / constructor scan / /proc scan / O_PATH
 * and real programs / helper modes / main.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef F_DUPFD_QUERY /* Linux 6.10; not in glibc 2.36 headers */
#define F_DUPFD_QUERY (1024 + 3)
#endif

extern char **environ;

#define MAX_RUNS 15
#define POOL_K 64	  /* objects in each pre-created pool */
#define POOL_BASE 1000	  /* pooled objects live at or above this number */
#define SLOT_BASE 4096	  /* first lock byte used by the token model */

static int runs = 7;
static long iters = 100000;

/* ------------------------------------------------------------------------ */
/* Utilities                                                                */
/* ------------------------------------------------------------------------ */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A failed set-up step makes every later number meaningless: stop. */
static void die(const char *what)
{
	fprintf(stderr, "fdmodel_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int must(int rc, const char *what)
{
	if (rc < 0)
		die(what);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Median over `runs` runs of the ns per call of fn(arg), `n` calls a run. */
static double time_op(void (*fn)(void *), void *arg, long n)
{
	double v[MAX_RUNS];

	for (long i = 0; i < n / 10; i++) /* warm-up */
		fn(arg);
	for (int r = 0; r < runs; r++) {
		double t0 = now_ns();

		for (long i = 0; i < n; i++)
			fn(arg);
		v[r] = (now_ns() - t0) / (double)n;
	}
	return median(v, runs);
}

/* "EBADF", "ok 16", ... for a syscall result (errno read at once). */
static void result_str(char *buf, size_t size, long rc)
{
	if (rc < 0)
		snprintf(buf, size, "%s", strerrorname_np(errno));
	else
		snprintf(buf, size, "ok %ld", rc);
}

/* Reads what a child wrote to `fd` until EOF, then reaps it; `how` gets a
 * short note if the child died of a signal ("blocks" for our alarm). */
static void child_collect(pid_t pid, int fd, char *out, size_t size, char *how, size_t hsize)
{
	size_t len = 0;
	ssize_t n;
	int status;

	while (len + 1 < size && (n = read(fd, out + len, size - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = 0;
	while (len && out[len - 1] == '\n')
		out[--len] = 0;
	close(fd);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	if (WIFSIGNALED(status))
		snprintf(how, hsize, "%s", WTERMSIG(status) == SIGALRM ? "blocks" : sigabbrev_np(WTERMSIG(status)));
	else
		snprintf(how, hsize, "exit %d", WEXITSTATUS(status));
}

static const char *self_exe(void)
{
	static char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);

	if (n < 0)
		die("readlink /proc/self/exe");
	path[n] = 0;
	return path;
}

static void fd_link(int fd, char *buf, size_t size)
{
	char p[64];
	ssize_t n;

	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	n = readlink(p, buf, size - 1);
	buf[n < 0 ? 0 : n] = 0;
}

/* Opens /proc/self/fd/<fd> again: a new open file description (struct
 * file) on the same inode, the only way to reopen a memfd. */
static int reopen(int dirfd, int fd, int flags)
{
	char name[16];

	snprintf(name, sizeof name, "%d", fd);
	return openat(dirfd, name, flags);
}

static int proc_fd_dir(void)
{
	return must(open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC), "open /proc/self/fd");
}

/* A memfd that refuses every write, growth or shrink: the token. */
static int sealed_memfd(const char *name)
{
	int fd = must(memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING), "memfd_create");

	must(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE),
	     "F_ADD_SEALS");
	return fd;
}

/* One-byte OFD lock at `slot`: owned by the open file description, gone
 * when the last descriptor referring to it is closed, in any process. */
static int slot_lock(int fd, off_t slot, short type)
{
	struct flock l = {.l_type = type, .l_whence = SEEK_SET, .l_start = slot, .l_len = 1};

	return fcntl(fd, F_OFD_SETLK, &l);
}

/* Is byte `slot` locked by some other open file description? */
static int slot_held(int checker, off_t slot)
{
	struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = slot, .l_len = 1};

	must(fcntl(checker, F_OFD_GETLK, &l), "F_OFD_GETLK");
	return l.l_type != F_UNLCK;
}

/* ------------------------------------------------------------------------ */
/* Candidates: ways to make the descriptor a tree open would return         */
/* ------------------------------------------------------------------------ */

/* State shared by the candidates (all set up once in cand_setup). */
static struct {
	int procfd;		/* /proc/self/fd as an O_PATH directory */
	int placeholder;	/* O_PATH of /dev/null, for candidate 1 */
	char file[64];		/* a plain file in /dev/shm, candidate 4 */
	char slotdir[64];	/* directory of per-slot files, candidate 8 */
	int slot_next;
	int peer[POOL_BASE];	/* other end of a pipe/socketpair, by fd */
	int memfd_pool[POOL_K]; /* candidate 10: sealed memfds, O_WRONLY */
	int token;		/* candidates 11/12: the sealed token memfd */
	int checker;		/* the library's own description of the token */
	off_t tok_next;		/* next slot for candidate 11 */
	int tok_pool[POOL_K];	/* candidate 12: blank descriptions of the token */
	int pool_next;
	off_t pos_next;		/* stands in for the arena offset of the open file */
} cs;

struct cand {
	const char *name;
	int (*make)(void);	/* the descriptor the program sees, not CLOEXEC */
	void (*drop)(int fd);	/* closes it and whatever was made with it */
	int by_pos;		/* identity is the file position, not the inode */
};

static void drop_plain(int fd)
{
	close(fd);
}

static void drop_peer(int fd)
{
	close(cs.peer[fd]);
	close(fd);
}

static int make_dup_placeholder(void)
{
	return dup(cs.placeholder);
}

static int make_memfd(void)
{
	return memfd_create("ramdir-open", 0);
}

static int make_eventfd(void)
{
	return eventfd(0, 0);
}

static int make_opath_file(void)
{
	return open(cs.file, O_PATH);
}

/* The program gets the read end; the library keeps the write end. */
static int make_pipe(void)
{
	int p[2];

	if (pipe2(p, 0) < 0)
		return -1;
	cs.peer[p[0]] = p[1];
	return p[0];
}

static int make_socket(void)
{
	return socket(AF_UNIX, SOCK_STREAM, 0);
}

static int make_socketpair(void)
{
	int p[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) < 0)
		return -1;
	cs.peer[p[0]] = p[1];
	return p[0];
}

static int make_timerfd(void)
{
	return timerfd_create(CLOCK_MONOTONIC, 0);
}

static int make_signalfd(void)
{
	sigset_t none;

	sigemptyset(&none);
	return signalfd(-1, &none, 0);
}

static int make_opath_slot(void)
{
	char p[96];

	snprintf(p, sizeof p, "%s/%d", cs.slotdir, cs.slot_next++ % POOL_K);
	return open(p, O_PATH);
}

static int make_devnull(void)
{
	return open("/dev/null", O_RDWR);
}

static int make_memfd_pool(void)
{
	return dup(cs.memfd_pool[cs.pool_next++ % POOL_K]);
}

/* Candidate 11: a new description of the token per open, locked at a fresh
 * slot, its position set to the slot so the slot can be read back. */
static int make_token(void)
{
	off_t slot = SLOT_BASE + cs.tok_next++ % (1 << 20);
	int fd = reopen(cs.procfd, cs.token, O_WRONLY);

	if (fd < 0)
		return -1;
	if (slot_lock(fd, slot, F_WRLCK) < 0 || lseek(fd, slot, SEEK_SET) != slot)
		die("token slot");
	return fd;
}

/* The close path of candidate 11 also asks whether that was the last
 * reference (it was: the lock is gone), as the library would. */
static void drop_token(int fd)
{
	off_t slot = lseek(fd, 0, SEEK_CUR);

	close(fd);
	if (slot_held(cs.checker, slot))
		die("token lock survived its last close");
}

/* Candidate 12: a pooled description of the token, its position set to
 * the open-file object's arena offset. No lock: see table_recommended. */
static int make_token_pool(void)
{
	int fd = dup(cs.tok_pool[cs.pool_next++ % POOL_K]);
	off_t pos = SLOT_BASE + 16 * (cs.pos_next++ % (1 << 20));

	if (fd >= 0 && lseek(fd, pos, SEEK_SET) != pos)
		die("lseek");
	return fd;
}

static const struct cand cands[] = {
	{"1 dup(O_PATH /dev/null)", make_dup_placeholder, drop_plain, 0},
	{"2 memfd_create", make_memfd, drop_plain, 0},
	{"3 eventfd", make_eventfd, drop_plain, 0},
	{"4 open(file, O_PATH)", make_opath_file, drop_plain, 0},
	{"5 pipe2 (read end)", make_pipe, drop_peer, 0},
	{"6 socket(AF_UNIX)", make_socket, drop_plain, 0},
	{"6b socketpair", make_socketpair, drop_peer, 0},
	{"7 timerfd_create", make_timerfd, drop_plain, 0},
	{"7b signalfd", make_signalfd, drop_plain, 0},
	{"8 O_PATH per-slot file", make_opath_slot, drop_plain, 0},
	{"9 open(/dev/null)", make_devnull, drop_plain, 0},
	{"10 pool: dup(sealed memfd, O_WRONLY)", make_memfd_pool, drop_plain, 0},
	{"11 token: reopen + OFD lock per open", make_token, drop_token, 1},
	{"12 token pool: dup+lseek", make_token_pool, drop_plain, 1},
};
#define NCANDS ((int)(sizeof cands / sizeof cands[0]))

static const struct cand *cand_by_make(int (*make)(void))
{
	for (int i = 0; i < NCANDS; i++)
		if (cands[i].make == make)
			return &cands[i];
	abort();
}

/* Moves fd to the lowest free number >= POOL_BASE, close-on-exec. */
static int to_pool(int fd)
{
	int high = must(fcntl(fd, F_DUPFD_CLOEXEC, POOL_BASE), "F_DUPFD_CLOEXEC");

	close(fd);
	return high;
}

static void cand_setup(void)
{
	char p[96];
	int fd;

	cs.procfd = proc_fd_dir();
	cs.placeholder = to_pool(must(open("/dev/null", O_PATH), "open /dev/null O_PATH"));
	snprintf(cs.file, sizeof cs.file, "/dev/shm/fdmodel-%d", (int)getpid());
	close(must(open(cs.file, O_CREAT | O_WRONLY, 0600), "create /dev/shm file"));
	snprintf(cs.slotdir, sizeof cs.slotdir, "/dev/shm/fdmodel-%d.d", (int)getpid());
	must(mkdir(cs.slotdir, 0700), "mkdir slot dir");
	for (int i = 0; i < POOL_K; i++) {
		snprintf(p, sizeof p, "%s/%d", cs.slotdir, i);
		close(must(open(p, O_CREAT | O_WRONLY, 0600), "create slot file"));
	}
	/* Pool of 10: distinct sealed memfds, reopened write-only so that a
	 * stray read gets EBADF and a stray write EPERM. */
	for (int i = 0; i < POOL_K; i++) {
		int m = sealed_memfd("ramdir-pool");

		fd = must(reopen(cs.procfd, m, O_WRONLY), "reopen pooled memfd");
		close(m);
		cs.memfd_pool[i] = to_pool(fd);
	}
	/* Token model: one sealed memfd, a pool of write-only descriptions
	 * of it, and the library's own read-only one for lock queries. */
	cs.token = to_pool(sealed_memfd("ramdir-token"));
	cs.checker = to_pool(must(reopen(cs.procfd, cs.token, O_RDONLY), "reopen token"));
	for (int i = 0; i < POOL_K; i++)
		cs.tok_pool[i] = to_pool(must(reopen(cs.procfd, cs.token, O_WRONLY), "reopen token"));
}

static void cand_cleanup(void)
{
	char p[96];

	unlink(cs.file);
	for (int i = 0; i < POOL_K; i++) {
		snprintf(p, sizeof p, "%s/%d", cs.slotdir, i);
		unlink(p);
	}
	rmdir(cs.slotdir);
}

/* ------------------------------------------------------------------------ */
/* Candidate properties                                                     */
/* ------------------------------------------------------------------------ */

static void cycle_op(void *arg)
{
	const struct cand *c = arg;
	int fd = c->make();

	if (fd < 0)
		die(c->name);
	c->drop(fd);
}

static int fstat_fd;
static void fstat_op(void *arg)
{
	struct stat st;

	(void)arg;
	fstat(fstat_fd, &st);
}

/* Runs one read or write on fd in a child with a 1 s alarm, so blocking
 * and signals show up as such instead of hanging the benchmark. */
static void probe_io(int fd, int is_write, char *out, size_t size)
{
	char buf[64] = "a line a program might write\n", how[32];
	int p[2];
	pid_t pid;

	must(pipe2(p, O_CLOEXEC), "pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		long rc;

		alarm(1);
		rc = is_write ? write(fd, buf, 16) : read(fd, buf, sizeof buf);
		result_str(buf, sizeof buf, rc);
		if (write(p[1], buf, strlen(buf)) < 0)
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	child_collect(pid, p[0], out, size, how, sizeof how);
	if (!out[0])
		snprintf(out, size, "%s", how);
}

/* Execs this program as "child-fstat FD" with fd inherited, and compares
 * the (dev, ino, position) the new image sees with ours. */
static void probe_exec(int fd, char *out, size_t size)
{
	char arg[16], got[128], how[32];
	struct stat st;
	int p[2];
	pid_t pid;

	must(fstat(fd, &st), "fstat");
	snprintf(arg, sizeof arg, "%d", fd);
	must(pipe2(p, O_CLOEXEC), "pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		dup2(p[1], 1); /* fd itself is not CLOEXEC and stays as it is */
		execl(self_exe(), "fdmodel_bench", "child-fstat", arg, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	child_collect(pid, p[0], got, sizeof got, how, sizeof how);

	unsigned long dev, ino;
	long pos;

	if (sscanf(got, "ok %lu %lu %ld", &dev, &ino, &pos) == 3)
		snprintf(out, size, "%s", dev == st.st_dev && ino == st.st_ino ? "yes" : "NO: other obj");
	else
		snprintf(out, size, "NO: %.32s", got[0] ? got : how);
}

/* Identity: do two live objects differ by (st_dev, st_ino), or, for the
 * token models, by file position? */
static const char *identity(const struct cand *c, int a, int b)
{
	struct stat sa, sb;

	must(fstat(a, &sa), "fstat");
	must(fstat(b, &sb), "fstat");
	if (sa.st_dev != sb.st_dev || sa.st_ino != sb.st_ino)
		return "unique ino";
	if (c->by_pos && lseek(a, 0, SEEK_CUR) != lseek(b, 0, SEEK_CUR))
		return "unique f_pos";
	return "SHARED";
}

static void table_candidates(void)
{
	printf("\n## Candidates (ns: median of %d runs x %ld iterations)\n\n", runs, iters);
	printf("| candidate | create+close ns | fstat ns | identity | read(2) | write(2) 16 B | survives exec | /proc/self/fd/N |\n");
	printf("|---|---:|---:|---|---|---|---|---|\n");
	for (int i = 0; i < NCANDS; i++) {
		const struct cand *c = &cands[i];
		char rd[48], wr[48], ex[48], link[128];
		double cyc = time_op(cycle_op, (void *)c, iters), fs;
		int a = c->make(), b = c->make();
		const char *id;

		if (a < 0 || b < 0)
			die(c->name);
		fstat_fd = a;
		fs = time_op(fstat_op, NULL, iters);
		id = identity(c, a, b);
		probe_io(a, 0, rd, sizeof rd);
		probe_io(a, 1, wr, sizeof wr);
		probe_exec(a, ex, sizeof ex);
		fd_link(a, link, sizeof link);
		printf("| %s | %.0f | %.0f | %s | %s | %s | %s | `%s` |\n", c->name, cyc, fs, id, rd, wr,
		       ex, link);
		c->drop(b);
		c->drop(a);
	}
}

/* ------------------------------------------------------------------------ */
/* Descriptor primitives                                                    */
/* ------------------------------------------------------------------------ */

static int prim_fd;

static void op_dup_close(void *arg)
{
	(void)arg;
	close(dup(prim_fd));
}

static void op_dup_setfd_close(void *arg)
{
	int fd = dup(prim_fd);

	(void)arg;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	close(fd);
}

static void op_dupfd_cloexec_close(void *arg)
{
	(void)arg;
	close(fcntl(prim_fd, F_DUPFD_CLOEXEC, 0));
}

static void op_dupfd_high_close(void *arg)
{
	(void)arg;
	close(fcntl(prim_fd, F_DUPFD_CLOEXEC, 1000));
}

static void op_setfd(void *arg)
{
	(void)arg;
	fcntl(prim_fd, F_SETFD, FD_CLOEXEC);
}

static void op_getfd(void *arg)
{
	(void)arg;
	fcntl(prim_fd, F_GETFD);
}

static int query_other;
static void op_dupfd_query(void *arg)
{
	(void)arg;
	fcntl(prim_fd, F_DUPFD_QUERY, query_other);
}

static void op_lseek_cur(void *arg)
{
	(void)arg;
	lseek(prim_fd, 0, SEEK_CUR);
}

static const char *shm_file;
static void op_open_shm(void *arg)
{
	(void)arg;
	close(open(shm_file, O_RDONLY));
}

static void op_open_devnull(void *arg)
{
	(void)arg;
	close(open("/dev/null", O_RDONLY));
}

static void table_primitives(void)
{
	double v[MAX_RUNS];

	prim_fd = cs.tok_pool[0];
	query_other = dup(prim_fd);
	printf("\n## Descriptor primitives (ns per call, median of %d x %ld)\n\n", runs, iters);
	printf("| operation | ns |\n|---|---:|\n");
	shm_file = cs.file;
	printf("| open+close of a tmpfs file (/dev/shm), baseline | %.0f |\n",
	       time_op(op_open_shm, NULL, iters));
	printf("| open+close /dev/null | %.0f |\n", time_op(op_open_devnull, NULL, iters));
	printf("| dup + close (a pooled token description) | %.0f |\n", time_op(op_dup_close, NULL, iters));
	printf("| dup + F_SETFD + close | %.0f |\n", time_op(op_dup_setfd_close, NULL, iters));
	printf("| F_DUPFD_CLOEXEC(0) + close | %.0f |\n", time_op(op_dupfd_cloexec_close, NULL, iters));
	printf("| F_DUPFD_CLOEXEC(1000) + close | %.0f |\n", time_op(op_dupfd_high_close, NULL, iters));
	printf("| F_SETFD | %.0f |\n", time_op(op_setfd, NULL, iters));
	printf("| F_GETFD | %.0f |\n", time_op(op_getfd, NULL, iters));
	errno = 0;
	if (fcntl(prim_fd, F_DUPFD_QUERY, query_other) == 1)
		printf("| F_DUPFD_QUERY (same description?) | %.0f |\n", time_op(op_dupfd_query, NULL, iters));
	else
		printf("| F_DUPFD_QUERY | unsupported (%s) |\n", strerrorname_np(errno));
	printf("| lseek(fd, 0, SEEK_CUR) | %.0f |\n", time_op(op_lseek_cur, NULL, iters));
	close(query_other);

	/* close_range of a pool of POOL_K: what a fork child pays to drop the
	 * parent's pool in one call. */
	for (int r = 0; r < runs; r++) {
		double t = 0;

		for (int k = 0; k < 1000; k++) {
			for (int i = 0; i < POOL_K; i++)
				must(dup2(prim_fd, 3000 + i), "dup2");
			double t0 = now_ns();

			close_range(3000, 3000 + POOL_K - 1, 0);
			t += now_ns() - t0;
		}
		v[r] = t / 1000;
	}
	printf("| close_range over %d pooled fds | %.0f |\n", POOL_K, median(v, runs));
}

/* ------------------------------------------------------------------------ */
/* The OFD-lock token model                                                 */
/* ------------------------------------------------------------------------ */

/* One full token open+close (candidate 11) as separate steps. */
static void op_reopen_close(void *arg)
{
	(void)arg;
	close(reopen(cs.procfd, cs.token, O_WRONLY));
}

static void op_reopen_abs_close(void *arg)
{
	char p[64];

	(void)arg;
	snprintf(p, sizeof p, "/proc/self/fd/%d", cs.token);
	close(open(p, O_WRONLY));
}

static void op_reopen_lock_close(void *arg)
{
	int fd = reopen(cs.procfd, cs.token, O_WRONLY);

	(void)arg;
	slot_lock(fd, 3, F_WRLCK);
	close(fd);
}

static off_t getlk_slot;
static void op_getlk(void *arg)
{
	(void)arg;
	slot_held(cs.checker, getlk_slot);
}

/* Reads /proc/locks whole and counts the lines naming the token inode. */
static int proc_locks_count(const char *needle)
{
	static char buf[4 << 20];
	size_t len = 0;
	ssize_t n;
	int fd = must(open("/proc/locks", O_RDONLY | O_CLOEXEC), "open /proc/locks"), count = 0;

	while (len + 1 < sizeof buf && (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = 0;
	for (char *p = buf; (p = strstr(p, needle)); p++)
		count++;
	return count;
}

static char locks_needle[64];
static void op_proc_locks(void *arg)
{
	(void)arg;
	proc_locks_count(locks_needle);
}

/* A fresh description of the token holding `slot`, position = slot, not
 * CLOEXEC. */
static int token_open_locked(off_t slot)
{
	int fd = must(reopen(cs.procfd, cs.token, O_WRONLY), "reopen token");

	must(slot_lock(fd, slot, F_WRLCK), "slot lock");
	must((int)lseek(fd, slot, SEEK_SET), "lseek");
	return fd;
}

static void table_token(void)
{
	static const int held_counts[] = {0, 10, 100, 1000, 10000};
	const struct cand *full = cand_by_make(make_token);
	const struct cand *fast = cand_by_make(make_token_pool);
	int one = token_open_locked(1);
	struct stat st;

	printf("\n## Token model steps (ns, median of %d x %ld)\n\n", runs, iters);
	printf("| step | ns |\n|---|---:|\n");
	printf("| openat(/proc/self/fd dirfd, \"N\", O_WRONLY) + close | %.0f |\n",
	       time_op(op_reopen_close, NULL, iters));
	printf("| open(\"/proc/self/fd/N\", O_WRONLY) + close | %.0f |\n",
	       time_op(op_reopen_abs_close, NULL, iters));
	printf("| reopen + F_OFD_SETLK + close | %.0f |\n", time_op(op_reopen_lock_close, NULL, iters));
	printf("| candidate 11 whole: reopen + lock + lseek + close + F_OFD_GETLK | %.0f |\n",
	       time_op(cycle_op, (void *)full, iters));
	getlk_slot = 1;
	printf("| F_OFD_GETLK, slot held | %.0f |\n", time_op(op_getlk, NULL, iters));
	getlk_slot = 2;
	printf("| F_OFD_GETLK, slot free | %.0f |\n", time_op(op_getlk, NULL, iters));
	close(one);

	/* How locks already held on the token inode slow everything: the
	 * kernel keeps one list per inode, walks it on every lock call and on
	 * every close of a descriptor of that inode. */
	must(fstat(cs.token, &st), "fstat token");
	snprintf(locks_needle, sizeof locks_needle, " %02x:%02x:%lu ", major(st.st_dev), minor(st.st_dev),
		 (unsigned long)st.st_ino);
	printf("\n### With N other descriptions holding slot locks on the token\n\n");
	printf("| N held | cand. 12 dup+lseek+close ns | cand. 11 whole ns | GETLK newest lock ns | "
	       "GETLK oldest lock ns | sweep: GETLK each of N, us | read /proc/locks, us |\n");
	printf("|---:|---:|---:|---:|---:|---:|---:|\n");
	for (size_t h = 0; h < sizeof held_counts / sizeof held_counts[0]; h++) {
		int n = held_counts[h], *held = calloc((size_t)n + 1, sizeof *held);
		long it = n >= 10000 ? iters / 500 : n >= 1000 ? iters / 20 : iters;
		double sweep[MAX_RUNS], fast_ns, full_ns, new_ns, old_ns, locks_us;

		if (!held)
			die("calloc");
		for (int i = 0; i < n; i++) {
			held[i] = must(reopen(cs.procfd, cs.token, O_WRONLY | O_CLOEXEC), "reopen");
			must(slot_lock(held[i], 2000000 + i, F_WRLCK), "slot lock");
		}
		fast_ns = time_op(cycle_op, (void *)fast, it);
		full_ns = time_op(cycle_op, (void *)full, it);
		getlk_slot = n ? 2000000 + n - 1 : 1;
		new_ns = time_op(op_getlk, NULL, n >= 10000 ? 200 : it);
		getlk_slot = n ? 2000000 : 1;
		old_ns = time_op(op_getlk, NULL, it);
		for (int r = 0; r < runs; r++) {
			double t0 = now_ns();

			for (int i = 0; i < n; i++)
				if (!slot_held(cs.checker, 2000000 + i))
					die("held slot reads free");
			sweep[r] = (now_ns() - t0) / 1000;
		}
		locks_us = time_op(op_proc_locks, NULL, n >= 1000 ? 20 : 200) / 1000;
		if (proc_locks_count(locks_needle) != n)
			printf("(note: /proc/locks shows %d lines for the token)\n", proc_locks_count(locks_needle));
		printf("| %d | %.0f | %.0f | %.0f | %.0f | %.1f | %.1f |\n", n, fast_ns, full_ns, new_ns,
		       old_ns, median(sweep, runs), locks_us);
		for (int i = 0; i < n; i++)
			close(held[i]);
		free(held);
	}
}

/* ------------------------------------------------------------------------ */
/* The recommended model, step by step                                      */
/* ------------------------------------------------------------------------ */

/* Median ns of `step` over runs of n, each call prepared by `setup` and
 * followed by `teardown`, neither timed (clock reads included, ~20 ns). */
static double time_step(void (*setup)(void), void (*step)(void), void (*teardown)(void), long n)
{
	double v[MAX_RUNS];

	for (int r = 0; r < runs; r++) {
		double t = 0;

		for (long i = 0; i < n; i++) {
			setup();
			double t0 = now_ns();

			step();
			t += now_ns() - t0;
			teardown();
		}
		v[r] = t / (double)n;
	}
	return median(v, runs);
}

static int st_pool, st_user; /* the pooled copy and the program's descriptor */

static void nop(void)
{
}

static void su_fresh_pool(void)
{
	st_pool = to_pool(must(reopen(cs.procfd, cs.token, O_WRONLY), "reopen"));
}

/* Identity of one binding: generation << 40 | arena offset of the open
 * file. Used as the position and as the lock byte. */
#define EX_ID (((off_t)0x1234 << 40) | 0x4000)

static void su_bound(void)
{
	su_fresh_pool();
	st_user = must(dup(st_pool), "dup");
}

static void su_escaped(void)
{
	su_bound();
	must((int)lseek(st_user, EX_ID, SEEK_SET), "lseek");
	must(slot_lock(st_user, EX_ID, F_WRLCK), "lock");
	close(st_pool);
}

static void step_open_fast(void)
{
	st_user = dup(st_pool);
}

static void step_open_fast_cloexec(void)
{
	st_user = fcntl(st_pool, F_DUPFD_CLOEXEC, 0);
}

static void step_open_eager(void)
{
	st_user = dup(st_pool);
	lseek(st_user, EX_ID, SEEK_SET);
}

static void step_close_fast(void)
{
	close(st_user);
}

/* Making an object visible to other processes: write its identity into
 * the description, lock its byte, drop the library's pooled copy. */
static void step_escape(void)
{
	lseek(st_user, EX_ID, SEEK_SET);
	slot_lock(st_user, EX_ID, F_WRLCK);
	close(st_pool);
}

static void step_close_escaped(void)
{
	close(st_user);
	if (slot_held(cs.checker, EX_ID))
		die("escaped lock survived");
}

static void step_refill(void)
{
	st_pool = to_pool(must(reopen(cs.procfd, cs.token, O_WRONLY), "reopen"));
}

static void step_identify(void)
{
	struct stat st;

	fstat(st_user, &st);
	lseek(st_user, 0, SEEK_CUR);
	slot_lock(st_user, EX_ID, F_WRLCK); /* adopt: idempotent for its owner */
}

static void td_close_pool(void)
{
	close(st_pool);
}

static void td_close_user(void)
{
	close(st_user);
}

static void td_close_both(void)
{
	close(st_user);
	close(st_pool);
}

static int range_lo;
static void su_pool_range(void)
{
	for (int i = 0; i < 16; i++)
		must(dup2(cs.tok_pool[i], range_lo + i), "dup2");
}

static void step_close_range(void)
{
	close_range((unsigned)range_lo, (unsigned)range_lo + 15, 0);
}

static void table_recommended(void)
{
	long n = iters / 10;

	range_lo = POOL_BASE + 2 * POOL_K + 16;
	printf("\n## Recommended model, per step (ns, median of %d x %ld, setup untimed)\n\n", runs, n);
	printf("| step | syscalls | ns |\n|---|---|---:|\n");
	prim_fd = cs.tok_pool[0];
	printf("| open+close cycle, fast path (dup + close), %ld in a row | 2 | %.0f |\n", iters,
	       time_op(op_dup_close, NULL, iters));
	printf("| open, fast path: dup(pooled description) | 1 | %.0f |\n",
	       time_step(su_fresh_pool, step_open_fast, td_close_both, n));
	printf("| open with O_CLOEXEC: F_DUPFD_CLOEXEC(pooled, 0) | 1 | %.0f |\n",
	       time_step(su_fresh_pool, step_open_fast_cloexec, td_close_both, n));
	printf("| open, eager identity: dup + lseek(pos = id) | 2 | %.0f |\n",
	       time_step(su_fresh_pool, step_open_eager, td_close_both, n));
	printf("| close, not escaped: close (pooled copy kept) | 1 | %.0f |\n",
	       time_step(su_bound, step_close_fast, td_close_pool, n));
	printf("| escape (fork/spawn/exec/sendmsg): lseek + F_OFD_SETLK + close(pooled) | 3 per object | %.0f |\n",
	       time_step(su_bound, step_escape, td_close_user, n));
	printf("| close, escaped: close + F_OFD_GETLK | 2 | %.0f |\n",
	       time_step(su_escaped, step_close_escaped, nop, n));
	printf("| pool refill: openat(/proc/self/fd) + F_DUPFD_CLOEXEC(high) + close | 3 | %.0f |\n",
	       time_step(nop, step_refill, td_close_pool, n));
	printf("| constructor, per inherited fd: fstat + lseek + F_OFD_SETLK | 3 | %.0f |\n",
	       time_step(su_escaped, step_identify, td_close_user, n));
	printf("| fork child: close_range over a pool of 16 | 1 | %.0f |\n",
	       time_step(su_pool_range, step_close_range, nop, n));
}

/* ------------------------------------------------------------------------ */
/* Detecting the last close                                                 */
/* ------------------------------------------------------------------------ */

static void report(const char *what, int ok, const char *detail)
{
	printf("| %s | %s | %s |\n", what, ok ? "yes" : "**NO**", detail);
}

/* Forks a child that keeps its inherited copy of everything, tells us it
 * is ready through a pipe, and waits for us to close `go` (or dies). */
static pid_t spawn_holder(int *go_w, int *ready_r)
{
	int go[2], ready[2];
	pid_t pid;
	char c = 0;

	must(pipe2(go, O_CLOEXEC), "pipe");
	must(pipe2(ready, O_CLOEXEC), "pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(go[1]);
		if (write(ready[1], &c, 1) != 1)
			_exit(2);
		if (read(go[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		die("holder not ready");
	*go_w = go[1];
	*ready_r = ready[0];
	return pid;
}

static void reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
}

/* posix_spawn this program as "child-ident" with fd dup2'ed onto 1 by the
 * file actions, so glibc rearranges it where no wrapper could see. The
 * child reports what fd 1 is (read with finish_ident), then waits until
 * *go_w is closed. */
static pid_t spawn_ident(int fd, int *go_w, int *rep_r)
{
	posix_spawn_file_actions_t fa;
	char a_go[16], a_rep[16], a_ino[32];
	int go[2], rep[2];
	struct stat st;
	pid_t pid;

	must(fstat(cs.token, &st), "fstat");
	must(pipe2(go, O_CLOEXEC), "pipe");
	must(pipe2(rep, O_CLOEXEC), "pipe");
	snprintf(a_go, sizeof a_go, "%d", go[0]);
	snprintf(a_rep, sizeof a_rep, "%d", rep[1]);
	snprintf(a_ino, sizeof a_ino, "%lu", (unsigned long)st.st_ino);
	char *argv[] = {"fdmodel_bench", "child-ident", a_go, a_rep, a_ino, NULL};

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, 1);
	/* dup2 of a CLOEXEC fd onto itself clears the flag in the child only
	 * (glibc >= 2.29). */
	posix_spawn_file_actions_adddup2(&fa, go[0], go[0]);
	posix_spawn_file_actions_adddup2(&fa, rep[1], rep[1]);
	errno = posix_spawn(&pid, self_exe(), &fa, NULL, argv, environ);
	if (errno)
		die("posix_spawn");
	posix_spawn_file_actions_destroy(&fa);
	close(go[0]);
	close(rep[1]);
	*go_w = go[1];
	*rep_r = rep[0];
	return pid;
}

/* Reads the child-ident report, which the child sends from its new
 * image, i.e. once the exec is complete. */
static const char *ident_read(int rep_r)
{
	static char got[128];
	ssize_t n = read(rep_r, got, sizeof got - 1);

	got[n < 0 ? 0 : n] = 0;
	while (n > 0 && got[n - 1] == '\n')
		got[--n] = 0;
	return got;
}

/* Lets the child-ident child exit and reaps it. */
static void ident_end(pid_t pid, int go_w, int rep_r)
{
	close(go_w);
	close(rep_r);
	reap(pid);
}

/* The token model's claim: the slot lock is exactly "some descriptor of
 * this description is open somewhere". Each case checks it. */
static void table_last_close(void)
{
	char detail[160];
	int fd, d2, go, ready, ok, held_before;
	pid_t pid;

	printf("\n## Token model: is the slot lock released exactly at the last close?\n\n");
	printf("| claim | holds | detail |\n|---|---|---|\n");

	fd = token_open_locked(100);
	d2 = dup(fd);
	close(fd);
	held_before = slot_held(cs.checker, 100);
	close(d2);
	ok = held_before && !slot_held(cs.checker, 100);
	report("dup then close both in one process", ok, "held after first close, free after second");

	fd = token_open_locked(101);
	pid = spawn_holder(&go, &ready);
	close(fd);
	held_before = slot_held(cs.checker, 101);
	close(go);
	reap(pid);
	close(ready);
	ok = held_before && !slot_held(cs.checker, 101);
	report("fork; parent closes; child exits", ok, "held while the child lives, free after exit");

	fd = token_open_locked(102);
	pid = spawn_holder(&go, &ready);
	close(fd);
	held_before = slot_held(cs.checker, 102);
	kill(pid, SIGKILL);
	reap(pid);
	close(go);
	close(ready);
	ok = held_before && !slot_held(cs.checker, 102);
	report("fork; parent closes; child SIGKILLed", ok, "free after the kill");

	/* CLOEXEC descriptor through exec: the new image is alive and waiting
	 * while we look, so the release is the exec's doing, not an exit's.
	 * Also counted: how often the lock is still held the moment
	 * posix_spawn returns (the vfork parent resumes before the child's
	 * exec has closed its CLOEXEC descriptors). */
	{
		int early = 0, late = 0, tries = 20;

		for (int i = 0; i < tries; i++) {
			fd = token_open_locked(103);
			must(fcntl(fd, F_SETFD, FD_CLOEXEC), "F_SETFD");
			pid = spawn_ident(cs.placeholder, &go, &ready); /* fd is not passed on */
			close(fd);
			early += slot_held(cs.checker, 103);
			ident_read(ready);
			late += slot_held(cs.checker, 103);
			ident_end(pid, go, ready);
		}
		snprintf(detail, sizeof detail,
			 "free in %d/%d once the new image ran; still held in %d/%d right after "
			 "posix_spawn returned",
			 tries - late, tries, early, tries);
		report("CLOEXEC copy in a child that execs", late == 0, detail);
	}

	/* posix_spawn with dup2 onto stdout: the new image identifies fd 1
	 * by (ino, position), and the lock lives exactly as long as it does. */
	fd = token_open_locked(104);
	must(fcntl(fd, F_SETFD, FD_CLOEXEC), "F_SETFD");
	pid = spawn_ident(fd, &go, &ready);
	close(fd);
	snprintf(detail, sizeof detail, "child saw fd 1 as: %s; held until it exited",
		 ident_read(ready));
	held_before = slot_held(cs.checker, 104);
	ident_end(pid, go, ready);
	ok = held_before && !slot_held(cs.checker, 104) && strstr(detail, "pos 104");
	report("posix_spawn, adddup2(fd, 1), parent closes", ok, detail);

	/* Identity must carry a generation beside the arena offset, so a
	 * position (and lock byte) far above 2^32 must work. */
	{
		off_t big = ((off_t)0x12345 << 40) | 0x7654320;

		fd = token_open_locked(big);
		ok = lseek(fd, 0, SEEK_CUR) == big && slot_held(cs.checker, big);
		close(fd);
		ok = ok && !slot_held(cs.checker, big);
		snprintf(detail, sizeof detail, "pos and lock byte 0x%llx", (unsigned long long)big);
		report("position and lock at a 61-bit offset (generation << 40 | offset)", ok, detail);
	}

	/* A pipe as the pooled object: the write end's POLLERR says "no read
	 * end left anywhere". It needs a holder of the write end. */
	{
		int p[2];
		struct pollfd pf;

		must(pipe2(p, O_CLOEXEC), "pipe");
		pf = (struct pollfd){.fd = p[1], .events = POLLOUT};
		poll(&pf, 1, 0);
		held_before = !(pf.revents & POLLERR);
		close(p[0]);
		poll(&pf, 1, 0);
		ok = held_before && (pf.revents & POLLERR);
		report("pipe: POLLERR on the write end after the last read end closes", ok,
		       "exact too, but only whoever holds the write end can see it");
		close(p[1]);
	}

	/* memfd link count: not a reference count of descriptors. */
	{
		struct stat st;
		int m = must(memfd_create("nlink", MFD_CLOEXEC), "memfd"), m2 = dup(m);

		must(fstat(m, &st), "fstat");
		snprintf(detail, sizeof detail, "st_nlink = %lu with 2 descriptors open",
			 (unsigned long)st.st_nlink);
		report("memfd st_nlink counts descriptors", 0, detail);
		close(m2);
		close(m);
	}

	/* What /proc/self/fdinfo shows for a token descriptor: the slot twice. */
	{
		char p[64], buf[512];
		int f, t = token_open_locked(105);
		ssize_t n;

		snprintf(p, sizeof p, "/proc/self/fdinfo/%d", t);
		f = must(open(p, O_RDONLY | O_CLOEXEC), "open fdinfo");
		n = read(f, buf, sizeof buf - 1);
		close(f);
		buf[n < 0 ? 0 : n] = 0;
		for (char *q = buf; *q; q++)
			if (*q == '\n')
				*q = ';';
			else if (*q == '\t')
				*q = ' ';
		report("fdinfo of a token fd shows pos and the lock", strstr(buf, "OFDLCK") != NULL, buf);
		close(t);
	}
}

/* ------------------------------------------------------------------------ */
/* Constructor scan: find the inherited descriptors after exec              */
/* ------------------------------------------------------------------------ */

static int scan_count;

/* readdir /proc/self/fd, fstat each entry. */
static void op_scan_proc(void *arg)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	struct stat st;
	int n = 0;

	(void)arg;
	if (!d)
		die("opendir");
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && fstat(atoi(e->d_name), &st) == 0)
			n++;
	closedir(d);
	scan_count = n;
}

/* F_GETFD over 0..1023, fstat the open ones. */
static void op_scan_getfd(void *arg)
{
	struct stat st;
	int n = 0;

	(void)arg;
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0 && fstat(fd, &st) == 0)
			n++;
	scan_count = n;
}

/* fstat over 0..1023 (closed ones fail fast with EBADF). */
static void op_scan_fstat(void *arg)
{
	struct stat st;
	int n = 0;

	(void)arg;
	for (int fd = 0; fd < 1024; fd++)
		if (fstat(fd, &st) == 0)
			n++;
	scan_count = n;
}

/* F_GETFD over 0..63 only: complete when the descriptor table is still
 * its initial 64 entries (nothing above 63 ever opened). */
static void op_scan_getfd64(void *arg)
{
	struct stat st;
	int n = 0;

	(void)arg;
	for (int fd = 0; fd < 64; fd++)
		if (fcntl(fd, F_GETFD) >= 0 && fstat(fd, &st) == 0)
			n++;
	scan_count = n;
}

/* Runs in a child that first closes everything but 0, 1 and 2, so the
 * descriptor counts are those of a freshly exec'ed program. */
static void table_scan(void)
{
	static const int extra[] = {0, 10, 100};
	pid_t pid;

	printf("\n## Constructor scan of inherited descriptors (us per scan, median of %d x 200)\n\n",
	       runs);
	printf("| open fds | readdir /proc/self/fd + fstat each | F_GETFD 0..1023 + fstat open | "
	       "fstat 0..1023 | F_GETFD 0..63 + fstat open |\n|---:|---:|---:|---:|---:|\n");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid > 0) {
		reap(pid);
		return;
	}
	close_range(3, ~0u, 0);
	for (size_t k = 0; k < sizeof extra / sizeof extra[0]; k++) {
		int fds[128], n = extra[k];
		double a, b, c, d = 0;

		for (int i = 0; i < n; i++)
			fds[i] = must(open("/dev/null", O_PATH), "open");
		a = time_op(op_scan_proc, NULL, 200) / 1000;
		b = time_op(op_scan_getfd, NULL, 200) / 1000;
		c = time_op(op_scan_fstat, NULL, 200) / 1000;
		if (n < 60)
			d = time_op(op_scan_getfd64, NULL, 200) / 1000;
		op_scan_fstat(NULL);
		printf("| %d | %.1f | %.1f | %.1f | %s%.1f |\n", scan_count, a, b, c, n < 60 ? "" : "n/a ",
		       d);
		for (int i = 0; i < n; i++)
			close(fds[i]);
	}
	fflush(stdout);
	_exit(0);
}

/* The /proc garbage-collection alternative: stat every descriptor of
 * every visible process, as a sweeper would to find which open files are
 * still referenced. One scan; counts returned through the pointers. */
static void proc_gc_scan(int *procs, int *fds)
{
	DIR *pd = opendir("/proc");
	struct dirent *e;
	char path[600];
	struct stat st;

	if (!pd)
		die("opendir /proc");
	*procs = *fds = 0;
	while ((e = readdir(pd))) {
		DIR *fd_dir;
		struct dirent *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/fd", e->d_name);
		fd_dir = opendir(path);
		if (!fd_dir)
			continue;
		(*procs)++;
		while ((f = readdir(fd_dir))) {
			if (f->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "/proc/%s/fd/%s", e->d_name, f->d_name);
			if (stat(path, &st) == 0)
				(*fds)++;
		}
		closedir(fd_dir);
	}
	closedir(pd);
}

static void table_proc_gc(void)
{
	double v[MAX_RUNS];
	int procs = 0, fds = 0;

	for (int r = 0; r < runs; r++) {
		double t0 = now_ns();

		proc_gc_scan(&procs, &fds);
		v[r] = (now_ns() - t0) / 1000;
	}
	printf("\n## /proc scan as garbage collector (all visible processes)\n\n");
	printf("| processes | descriptors stat()ed | us per full scan | us per descriptor |\n");
	printf("|---:|---:|---:|---:|\n| %d | %d | %.0f | %.2f |\n", procs, fds, median(v, runs),
	       median(v, runs) / (fds ? fds : 1));
}

/* ------------------------------------------------------------------------ */
/* O_PATH details and external programs on unusual descriptors              */
/* ------------------------------------------------------------------------ */

/* Runs argv with `fd` as its stdin (which = 0) or stdout (which = 1); its
 * stderr and exit status come back in out. */
static void run_with(char *const argv[], int fd, int which, char *out, size_t size)
{
	char err[256], how[32];
	int p[2];
	pid_t pid;

	must(pipe2(p, O_CLOEXEC), "pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		dup2(fd, which);
		dup2(p[1], 2);
		alarm(2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	child_collect(pid, p[0], err, sizeof err, how, sizeof how);
	for (char *q = err; *q; q++)
		if (*q == '\n' || *q == '|')
			*q = ' ';
	snprintf(out, size, "%s; stderr \"%s\"", how, err);
}

static void table_opath(void)
{
	int fd = must(open(cs.file, O_PATH), "open O_PATH"), fl;
	char r[48], w[48], out[400];
	struct stat st = {0};
	long rc;

	printf("\n## O_PATH descriptor (of a tmpfs file)\n\n| call | result |\n|---|---|\n");
	rc = read(fd, r, 1);
	result_str(r, sizeof r, rc);
	rc = write(fd, "x", 1);
	result_str(w, sizeof w, rc);
	printf("| read | %s |\n| write | %s |\n", r, w);
	rc = fstat(fd, &st);
	result_str(r, sizeof r, rc);
	printf("| fstat | %s (S_IFREG %s) |\n", r, S_ISREG(st.st_mode) ? "yes" : "no");
	fl = fcntl(fd, F_GETFL);
	printf("| fcntl(F_GETFL) | 0x%x (O_PATH bit %s) |\n", fl, fl >= 0 && (fl & O_PATH) ? "set" : "clear");
	rc = fcntl(fd, F_SETFL, O_APPEND);
	result_str(r, sizeof r, rc);
	printf("| fcntl(F_SETFL, O_APPEND) | %s |\n", r);
	rc = lseek(fd, 0, SEEK_CUR);
	result_str(r, sizeof r, rc);
	printf("| lseek | %s |\n", r);
	{
		struct flock l = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_len = 1};

		rc = fcntl(fd, F_OFD_SETLK, &l);
		result_str(r, sizeof r, rc);
		printf("| fcntl(F_OFD_SETLK) | %s |\n", r);
	}

	{
		char *argv[] = {(char *)self_exe(), "child-printf", NULL};

		run_with(argv, fd, 1, out, sizeof out);
		printf("| child with O_PATH on fd 1: printf + fflush | %s |\n", out);
	}

	printf("\n## Real programs on a candidate descriptor (stderr, exit status)\n\n");
	printf("| program | descriptor | result |\n|---|---|---|\n");
	{
		char *echo[] = {"/bin/echo", "hello", NULL}, *cat[] = {"/bin/cat", NULL};
		int devnull = must(open("/dev/null", O_RDWR), "open /dev/null");
		int sealed = cs.memfd_pool[0], tok = cs.tok_pool[0];

		run_with(echo, fd, 1, out, sizeof out);
		printf("| echo hello >fd | O_PATH | %s |\n", out);
		run_with(cat, fd, 0, out, sizeof out);
		printf("| cat <fd | O_PATH | %s |\n", out);
		run_with(echo, tok, 1, out, sizeof out);
		printf("| echo hello >fd | token (sealed memfd, O_WRONLY) | %s |\n", out);
		run_with(cat, tok, 0, out, sizeof out);
		printf("| cat <fd | token (sealed memfd, O_WRONLY) | %s |\n", out);
		run_with(echo, sealed, 1, out, sizeof out);
		printf("| echo hello >fd | pooled sealed memfd, O_WRONLY | %s |\n", out);
		run_with(echo, devnull, 1, out, sizeof out);
		printf("| echo hello >fd | /dev/null | %s |\n", out);
		close(devnull);
	}
	close(fd);
}

/* ------------------------------------------------------------------------ */
/* Helper modes (run in an exec'ed copy of this program)                    */
/* ------------------------------------------------------------------------ */

/* child-fstat FD: print "ok dev ino pos" for the inherited FD. */
static int child_fstat(const char *arg)
{
	int fd = atoi(arg);
	struct stat st;

	if (fstat(fd, &st) < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 0;
	}
	printf("ok %lu %lu %ld\n", (unsigned long)st.st_dev, (unsigned long)st.st_ino,
	       (long)lseek(fd, 0, SEEK_CUR));
	return 0;
}

/* child-ident GO REPORT INO: say what fd 1 is, then wait for GO to close. */
static int child_ident(const char *go, const char *rep, const char *ino)
{
	struct stat st;
	char buf[128];
	int n;

	if (fstat(1, &st) < 0)
		n = snprintf(buf, sizeof buf, "fstat: %s\n", strerrorname_np(errno));
	else
		n = snprintf(buf, sizeof buf, "%s, pos %ld\n",
			     st.st_ino == strtoul(ino, NULL, 10) ? "token inode" : "other inode",
			     (long)lseek(1, 0, SEEK_CUR));
	if (write(atoi(rep), buf, (size_t)n) < 0)
		return 2;
	close(atoi(rep));
	return read(atoi(go), buf, 1) < 0 ? 2 : 0;
}

/* child-printf: what stdio reports when fd 1 cannot be written. */
static int child_printf(void)
{
	int n = printf("hello\n"), f = fflush(stdout), e = errno;

	fprintf(stderr, "printf=%d fflush=%d errno=%s ferror=%d", n, f, f ? strerrorname_np(e) : "-",
		ferror(stdout));
	return 0; /* like a program that never checks */
}

/* ------------------------------------------------------------------------ */
/* Main                                                                     */
/* ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	struct rlimit rl;

	if (argc >= 3 && !strcmp(argv[1], "child-fstat"))
		return child_fstat(argv[2]);
	if (argc >= 5 && !strcmp(argv[1], "child-ident"))
		return child_ident(argv[2], argv[3], argv[4]);
	if (argc >= 2 && !strcmp(argv[1], "child-printf"))
		return child_printf();
	if (argc >= 2 && !strcmp(argv[1], "--quick")) {
		runs = 3;
		iters = 10000;
	}
	/* The lock-scaling table holds 10000 descriptors at once. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 12000 && rl.rlim_max >= 12000) {
		rl.rlim_cur = 12000;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	printf("# fdmodel_bench: %ld cores online, pid %d\n", sysconf(_SC_NPROCESSORS_ONLN), (int)getpid());
	cand_setup();
	table_candidates();
	table_primitives();
	table_token();
	table_recommended();
	table_last_close();
	table_scan();
	table_proc_gc();
	table_opath();
	cand_cleanup();
	return 0;
}

/*
 * Crash safety: a process SIGKILLed while it holds the tree lock, or in the
 * middle of random operations, must leave a shared tree that the survivors
 * can use at once (no hang), repaired and consistent.
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Seconds any survivor operation may take before the test is declared hung
 * (SIGALRM ends the process). */
#define CR_WATCHDOG 20

/* ------------------------------------------------------------------------
 * Helpers. */

static struct rd_stats cr_stats(rd_tree *t)
{
	struct rd_stats st;

	assert_int_equal(rd_tree_stats(t, &st), 0);
	return st;
}

static void cr_check(rd_tree *t, int round)
{
	char msg[512] = "";
	int rc = rd_tree_check(t, msg, sizeof msg);

	if (rc != 0)
		print_error("round %d: tree check failed: %s\n", round, msg);
	assert_int_equal(rc, 0);
}

static void cr_kill(pid_t pid)
{
	int status;

	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status))
		print_error("child exited by itself with %d\n", WEXITSTATUS(status));
	else if (WTERMSIG(status) != SIGKILL)
		print_error("child died of signal %d before the kill\n", WTERMSIG(status));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

/* Fork a child that takes the tree lock through its inherited handle or a
 * fresh attachment, reports it, and waits to be killed. */
static pid_t cr_locker(rd_tree *t, int attach)
{
	int p[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		rd_tree *ct = t;

		close(p[0]);
		if (attach && rd_tree_attach(rd_tree_fd(t), &ct) != 0)
			_exit(2);
		rd_test_lock(ct);
		if (write(p[1], "L", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

struct cr_dirent {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Remove dir and everything below it. */
static void cr_rm_tree(rd_tree *t, const char *dir)
{
	char buf[4096], path[512];
	ssize_t n;
	rd_fh fh;
	int again = 1;

	/* Re-read from the start after each batch of removals, so that the
	 * directory is never modified under an open listing. */
	while (again) {
		char names[64][256];
		unsigned char types[64];
		int count = 0;

		assert_int_equal(rd_open(t, RD_ROOT, dir, O_RDONLY | O_DIRECTORY, 0, &fh), 0);
		while (count < 64 && (n = rd_getdents(t, fh, buf, sizeof buf)) > 0)
			for (ssize_t off = 0; off < n && count < 64;) {
				struct cr_dirent *d = (struct cr_dirent *)(buf + off);

				off += d->d_reclen;
				if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
					continue;
				snprintf(names[count], sizeof names[count], "%s", d->d_name);
				types[count++] = d->d_type;
			}
		assert_int_equal(rd_close(t, fh), 0);
		again = count > 0;
		for (int i = 0; i < count; i++) {
			int len = snprintf(path, sizeof path, "%s/%s", dir, names[i]);

			assert_true(len > 0 && (size_t)len < sizeof path);
			if (types[i] == DT_DIR)
				cr_rm_tree(t, path);
			else
				assert_int_equal(rd_unlink(t, RD_ROOT, path, 0), 0);
		}
	}
	assert_int_equal(rd_unlink(t, RD_ROOT, dir, AT_REMOVEDIR), 0);
}

/* ------------------------------------------------------------------------
 * Killed while holding the lock. */

static void test_kill_while_locked(void **state)
{
	char buf[16];

	(void)state;
	for (int attach = 0; attach < 2; attach++) {
		rd_tree *t = tu_tree_shared(0, 0);
		pid_t pid;

		assert_int_equal(tu_put(t, "/a", "hello", 5), 0);
		pid = cr_locker(t, attach);
		cr_kill(pid);
		alarm(CR_WATCHDOG);
		assert_int_equal(tu_get(t, "/a", buf, sizeof buf), 5);
		assert_memory_equal(buf, "hello", 5);
		assert_int_equal(tu_put(t, "/b", "world", 5), 0);
		assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0755), 0);
		alarm(0);
		assert_int_equal(cr_stats(t).recoveries, 1);
		tu_done(t);
	}
}

static void test_repeated_deaths_each_recovered(void **state)
{
	rd_tree *t = tu_tree_shared(0, 0);
	char path[16];

	(void)state;
	for (int i = 0; i < 3; i++) {
		cr_kill(cr_locker(t, i & 1));
		alarm(CR_WATCHDOG);
		snprintf(path, sizeof path, "/f%d", i);
		assert_int_equal(tu_put(t, path, path, strlen(path)), 0);
		alarm(0);
		assert_int_equal(cr_stats(t).recoveries, (uint64_t)i + 1);
	}
	tu_done(t);
}

struct cr_waiter {
	rd_tree *t;
	int rc;
	int done;
};

static void *cr_waiter_main(void *arg)
{
	struct cr_waiter *w = arg;

	w->rc = rd_mkdir(w->t, RD_ROOT, "/waited", 0755);
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* A thread already blocked on the lock when its holder dies gets it. */
static void test_waiter_survives_holder_death(void **state)
{
	struct timespec nap = { 0, 100 * 1000000 };
	struct cr_waiter w = { 0 };
	struct stat st;
	pthread_t th;
	pid_t pid;

	(void)state;
	w.t = tu_tree_shared(0, 0);
	pid = cr_locker(w.t, 1);
	assert_int_equal(pthread_create(&th, NULL, cr_waiter_main, &w), 0);
	nanosleep(&nap, NULL);
	assert_int_equal(__atomic_load_n(&w.done, __ATOMIC_SEQ_CST), 0); /* really held */
	cr_kill(pid);
	alarm(CR_WATCHDOG);
	assert_int_equal(pthread_join(th, NULL), 0);
	alarm(0);
	assert_int_equal(w.rc, 0);
	assert_int_equal(rd_stat(w.t, RD_ROOT, "/waited", &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(cr_stats(w.t).recoveries, 1);
	tu_done(w.t);
}

/* ------------------------------------------------------------------------
 * Killed at random points of random operations.
 *
 * An open file belongs to the arena, not to a process, so a killed process
 * leaves its open files behind like a leaked descriptor. The child holds at
 * most one at a time, in a shared slot that rd_open fills directly, and
 * flags the close it is in, so the parent can close what the child left:
 * with `closing` set, the close happened iff the open-file count is 0. */

#define CR_ROUNDS 200 /* RD_CRASH_ROUNDS overrides, for long hunts */
#define CR_QUOTA (1u << 20)

struct cr_ctl {
	rd_fh slot;
	int closing;
};

static uint32_t cr_rand(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static void cr_close_slot(rd_tree *t, struct cr_ctl *c)
{
	__atomic_store_n(&c->closing, 1, __ATOMIC_SEQ_CST);
	rd_close(t, c->slot);
	__atomic_store_n(&c->slot, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&c->closing, 0, __ATOMIC_SEQ_CST);
}

static void cr_name(uint32_t *rng, char *buf, size_t cap)
{
	uint32_t v = cr_rand(rng);

	if (v & 1)
		snprintf(buf, cap, "/c/n%u", (v >> 1) % 8);
	else if (v & 2)
		snprintf(buf, cap, "/c/d%u", (v >> 2) % 3);
	else
		snprintf(buf, cap, "/c/d%u/n%u", (v >> 2) % 3, (v >> 4) % 4);
}

/* Mutate forever; results do not matter, only what a kill leaves. */
static void cr_child_loop(rd_tree *t, struct cr_ctl *c, uint32_t rng)
{
	static char data[32 * 1024];
	char a[32], b[32];

	memset(data, 'k', sizeof data);
	for (;;) {
		uint32_t op = cr_rand(&rng) % 12;
		int flags = O_RDWR | O_CREAT;

		cr_name(&rng, a, sizeof a);
		cr_name(&rng, b, sizeof b);
		switch (op) {
		case 0: case 1: case 2: case 3:
			if (op == 3)
				flags = O_WRONLY | O_APPEND;
			else if (op == 2)
				flags |= O_TRUNC;
			if (rd_open(t, RD_ROOT, a, flags, 0644, &c->slot) < 0) {
				c->slot = 0;
				break;
			}
			rd_pwrite(t, c->slot, data, cr_rand(&rng) % sizeof data + 1,
				  cr_rand(&rng) % (64 * 1024));
			if (op == 0)
				rd_ftruncate(t, c->slot, cr_rand(&rng) % (96 * 1024));
			else if (op == 1)
				rd_fallocate(t, c->slot, (cr_rand(&rng) & 1) ? 0 :
					     FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					     cr_rand(&rng) % (64 * 1024), cr_rand(&rng) % (32 * 1024) + 1);
			cr_close_slot(t, c);
			break;
		case 4:
			rd_unlink(t, RD_ROOT, a, 0);
			break;
		case 5:
			rd_mkdir(t, RD_ROOT, a, 0755);
			break;
		case 6:
			rd_unlink(t, RD_ROOT, a, AT_REMOVEDIR);
			break;
		case 7: {
			static const unsigned rflags[] = { 0, 0, RENAME_NOREPLACE, RENAME_EXCHANGE };

			rd_rename(t, RD_ROOT, a, RD_ROOT, b, rflags[cr_rand(&rng) % 4]);
			break;
		}
		case 8:
			rd_symlink(t, "n1", RD_ROOT, a);
			break;
		case 9:
			rd_link(t, RD_ROOT, a, RD_ROOT, b, 0);
			break;
		case 10:
			rd_truncate(t, RD_ROOT, a, cr_rand(&rng) % (128 * 1024));
			break;
		case 11:
			if (rd_open(t, RD_ROOT, "/c", O_TMPFILE | O_RDWR, 0600, &c->slot) < 0) {
				c->slot = 0;
				break;
			}
			rd_write(t, c->slot, data, cr_rand(&rng) % sizeof data + 1);
			cr_close_slot(t, c);
			break;
		}
	}
}

/* After a kill: close the open file the child left, if any. */
static void cr_release_slot(rd_tree *t, struct cr_ctl *c, int round)
{
	struct rd_stats st = cr_stats(t);

	/* A kill inside rd_open after the handle was stored but before the
	 * open file was published leaves a handle recovery invalidated:
	 * EBADF is then the right answer, and nothing may leak. */
	if (c->slot && (!c->closing || st.open_files == 1)) {
		int rc = rd_close(t, c->slot);

		if (rc != -EBADF)
			assert_int_equal(rc, 0);
	}
	c->slot = 0;
	c->closing = 0;
	st = cr_stats(t);
	if (st.open_files != 0)
		print_error("round %d: %llu open file(s) leaked by the killed child\n", round,
			    (unsigned long long)st.open_files);
	assert_int_equal(st.open_files, 0);
}

/* The survivor's work: free the reserve, write and read back a file,
 * restore the reserve. Must succeed whatever the child was doing. */
static void cr_probe(rd_tree *t, int round)
{
	static char data[9000], back[9001], reserve[64 * 1024];

	memset(data, 'a' + round % 26, sizeof data);
	assert_int_equal(rd_truncate(t, RD_ROOT, "/reserve", 0), 0);
	assert_int_equal(tu_put(t, "/probe", data, sizeof data), 0);
	assert_int_equal(tu_get(t, "/probe", back, sizeof back), (ssize_t)sizeof data);
	assert_memory_equal(back, data, sizeof data);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/probe", 0), 0);
	/* Restore as much reserve as fits. The quota counts metadata pages
	 * too: once the child filled the tree, the reserve's radix node may
	 * need a page of its own on top of the data pages just freed. A leak
	 * would make the reserve shrink round after round, so insist on half. */
	{
		size_t len = sizeof reserve;
		int rc;

		while ((rc = tu_put(t, "/reserve", reserve, len)) == -ENOSPC && len > 4096)
			len -= 4096;
		assert_int_equal(rc, 0);
		assert_true(len >= sizeof reserve / 2);
	}
}

static void test_random_kills(void **state)
{
	static char reserve[64 * 1024];
	rd_tree *t = tu_tree_shared(CR_QUOTA, 0);
	struct cr_ctl *c;
	struct rd_stats st;
	const char *env = getenv("RD_CRASH_ROUNDS");
	int rounds = env ? atoi(env) : CR_ROUNDS;
	uint32_t seed = (uint32_t)time(NULL), rng;

	(void)state;
	print_message("crash seed %u, %d rounds\n", seed, rounds);
	rng = seed ? seed : 1;
	c = mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(c != MAP_FAILED);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/c", 0755), 0);
	assert_int_equal(tu_put(t, "/reserve", reserve, sizeof reserve), 0);

	for (int round = 0; round < rounds; round++) {
		struct timespec delay = { 0, (long)(cr_rand(&rng) % 2000001) };
		uint32_t child_seed = cr_rand(&rng) | 1;
		pid_t pid;

		c->slot = 0;
		c->closing = 0;
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			rd_tree *ct = t;

			/* A crash must show as its signal, not as cmocka's
			 * report from a forked copy of the runner. */
			signal(SIGSEGV, SIG_DFL);
			signal(SIGBUS, SIG_DFL);
			signal(SIGABRT, SIG_DFL);
			if ((round & 1) && rd_tree_attach(rd_tree_fd(t), &ct) != 0)
				_exit(2);
			cr_child_loop(ct, c, child_seed);
		}
		nanosleep(&delay, NULL);
		cr_kill(pid);

		alarm(CR_WATCHDOG);
		cr_release_slot(t, c, round);
		cr_probe(t, round);
		cr_check(t, round);
		alarm(0);
	}

	st = cr_stats(t);
	print_message("%llu recoveries in %d rounds\n", (unsigned long long)st.recoveries,
		      rounds);
	assert_true(st.recoveries >= 1);
	assert_true(st.bytes_peak <= st.quota);
	cr_rm_tree(t, "/c");
	assert_int_equal(rd_unlink(t, RD_ROOT, "/reserve", 0), 0);
	st = cr_stats(t);
	assert_int_equal(st.open_files, 0);
	assert_int_equal(st.nodes, 1);
	assert_int_equal(st.data_bytes, 0);
	assert_int_equal(st.bytes_used, st.bytes_baseline);
	munmap(c, sizeof *c);
	tu_done(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_while_locked),
		cmocka_unit_test(test_repeated_deaths_each_recovered),
		cmocka_unit_test(test_waiter_survives_holder_death),
		cmocka_unit_test(test_random_kills),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

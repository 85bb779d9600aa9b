/*
 * A vfork child that dies inside the tree lock. It ran as the thread that
 * called vfork (same memory, same thread id) with no robust list of its
 * own, so the lock stays held in the parent thread's name and the kernel
 * never marks it EOWNERDEAD. The parent's next tree call must repair and go
 * on (EDEADLK from the error-checking mutex), and rd_tree_reclaim must free
 * it at once for other processes that are waiting.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Set by the child: seen by the parent only when vfork really shared the
 * memory (ThreadSanitizer, for one, turns vfork into fork; the child then
 * has a robust list of its own and the kernel frees the lock itself). */
static volatile int vf_shared;

/* vfork, and the child takes the tree lock and dies holding it. */
static void child_dies_locked(rd_tree *t)
{
	pid_t pid;

	vf_shared = 0;
	pid = vfork();
	if (pid == 0) {
		vf_shared = 1;
		rd_test_lock(t);
		_exit(0); /* as if killed inside an operation */
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

/* The parent's own next operation repairs and succeeds. */
static void test_parent_goes_on(void **state)
{
	rd_tree *t = tu_tree_shared(0, 0);
	uint64_t before;
	struct stat st;

	(void)state;
	assert_int_equal(tu_put(t, "/f", "data", 4), 0);
	before = tu_stats(t).recoveries;
	child_dies_locked(t);
	alarm(10); /* a deadlock fails the test instead of hanging it */
	assert_int_equal(rd_stat(t, RD_ROOT, "/", &st, 0), 0); /* lock-free stat may not see it: */
	assert_int_equal(tu_put(t, "/g", "more", 4), 0);       /* this one takes the lock */
	assert_int_equal(tu_stats(t).recoveries, before + 1);
	assert_int_equal(rd_stat(t, RD_ROOT, "/f", &st, 0), 0);
	assert_int_equal(st.st_size, 4);
	alarm(0);
	tu_done(t);
}

/* Another process waiting for the lock gets it when the parent reclaims,
 * without the parent making any other call. */
static void test_reclaim_frees_waiters(void **state)
{
	rd_tree *t = tu_tree_shared(0, 0);
	int go[2], st;
	pid_t waiter;
	char c;

	(void)state;
	assert_int_equal(pipe(go), 0);
	waiter = fork();
	if (waiter == 0) {
		rd_tree *w;

		if (read(go[0], &c, 1) != 1 || rd_tree_attach(rd_tree_fd(t), &w) != 0)
			_exit(2);
		_exit(tu_put(w, "/from-waiter", "w", 1) == 0 ? 0 : 3);
	}
	assert_true(waiter > 0);
	child_dies_locked(t);
	assert_int_equal(write(go[1], "x", 1), 1);
	usleep(100 * 1000); /* the waiter blocks on the lock now */
	if (vf_shared)
		assert_int_equal(waitpid(waiter, &st, WNOHANG), 0);
	rd_tree_reclaim(t);
	alarm(10); /* a waiter still blocked would hang the test: fail it */
	assert_int_equal(waitpid(waiter, &st, 0), waiter);
	alarm(0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(tu_get(t, "/from-waiter", &c, 1), 1);
	/* nothing to reclaim now: a no-op */
	rd_tree_reclaim(t);
	close(go[0]);
	close(go[1]);
	tu_done(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parent_goes_on),
		cmocka_unit_test(test_reclaim_frees_waiters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

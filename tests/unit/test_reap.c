/*
 * The reference ledger (holder.c, rd_reap): references a process took are
 * given back when it is gone, and never those of a process still running,
 * those given for another process before it took them, or those of a
 * third holder the ledger has no room for. Several handles on one shared
 * arena stand for several processes (rd_tree_set_pid with made-up pids);
 * which of them are "alive" is the test's liveness hook.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

enum { P1 = 4000001, P2 = 4000002, P3 = 4000003 };

static uint32_t dead_pids[8];
static int ndead;

static int fake_alive(uint32_t pid)
{
	for (int i = 0; i < ndead; i++)
		if (dead_pids[i] == pid)
			return 0;
	return 1;
}

static void kill_fake(uint32_t pid)
{
	dead_pids[ndead++] = pid;
}

static int setup(void **state)
{
	(void)state;
	ndead = 0;
	rd_test_lock_alive(fake_alive);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rd_test_lock_alive(NULL);
	return 0;
}

static rd_tree *as_process(rd_tree *t, uint32_t pid)
{
	rd_tree *o;

	assert_int_equal(rd_tree_attach(rd_tree_fd(t), &o), 0);
	rd_tree_set_pid(o, pid);
	return o;
}

static void fill(rd_tree *t, rd_fh fh, size_t len)
{
	static char buf[65536];

	memset(buf, 'x', sizeof buf);
	for (size_t done = 0; done < len; done += sizeof buf)
		assert_int_equal(rd_write(t, fh, buf, sizeof buf), (ssize_t)sizeof buf);
}

/* A process dies holding an unlinked 1 MiB file: the reap frees it. */
static void test_dead_holder_freed(void **state)
{
	rd_tree *t = tu_tree_shared(0, 0), *a = as_process(t, P1);
	uint64_t before = tu_used(t);
	rd_fh fh;

	(void)state;
	assert_int_equal(rd_open(a, RD_ROOT, "/big", O_RDWR | O_CREAT, 0644, &fh), 0);
	fill(a, fh, 1 << 20);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/big", 0), 0);
	assert_true(tu_used(t) >= before + (1 << 20));
	assert_int_equal(rd_reap(t), 0); /* alive: nothing */
	assert_int_equal(tu_stats(t).open_files, 1);
	kill_fake(P1);
	assert_int_equal(rd_reap(t), 1);
	assert_int_equal(tu_stats(t).open_files, 0);
	assert_int_equal(tu_used(t), before);
	rd_tree_close(a);
	tu_done(t);
}

/* Shared by a live and a dead process: only the dead one's references go,
 * and the file stays usable by the live one. */
static void test_live_holder_kept(void **state)
{
	rd_tree *t = tu_tree_shared(0, 0), *a = as_process(t, P1), *b = as_process(t, P2);
	char buf[8];
	rd_fh fh;

	(void)state;
	assert_int_equal(rd_open(a, RD_ROOT, "/f", O_RDWR | O_CREAT, 0644, &fh), 0);
	assert_int_equal(rd_write(a, fh, "shared", 6), 6);
	assert_int_equal(rd_fh_ref(b, fh), 0);
	assert_int_equal(rd_fh_ref(b, fh), 0); /* b holds two (a dup) */
	kill_fake(P2);
	assert_int_equal(rd_reap(t), 2);
	assert_int_equal(tu_stats(t).open_files, 1);
	assert_int_equal(rd_pread(a, fh, buf, 6, 0), 6);
	assert_memory_equal(buf, "shared", 6);
	assert_int_equal(rd_close(a, fh), 0);
	assert_int_equal(tu_stats(t).open_files, 0);
	rd_tree_close(a);
	rd_tree_close(b);
	tu_done(t);
}

/* Given for a child that never took it: not ledgered, not reaped (it may
 * be in flight); taken, it is the child's and goes with it. */
static void test_give_take(void **state)
{
	rd_tree *t = tu_tree_shared(0, 0), *parent = as_process(t, P1), *child;
	rd_fh fh;

	(void)state;
	assert_int_equal(rd_open(parent, RD_ROOT, "/f", O_RDWR | O_CREAT, 0644, &fh), 0);
	assert_int_equal(rd_fh_give(parent, fh, 1), 0);
	assert_int_equal(rd_close(parent, fh), 0); /* the parent's own goes */
	kill_fake(P1);
	assert_int_equal(rd_reap(t), 0); /* the given one is nobody's yet */
	assert_int_equal(tu_stats(t).open_files, 1);
	child = as_process(t, P2);
	assert_int_equal(rd_fh_take(child, fh), 0);
	kill_fake(P2);
	assert_int_equal(rd_reap(t), 1);
	assert_int_equal(tu_stats(t).open_files, 0);
	/* a give handed back frees like a close */
	assert_int_equal(rd_open(child, RD_ROOT, "/f", O_RDONLY, 0, &fh), 0);
	assert_int_equal(rd_fh_give(child, fh, 1), 0);
	assert_int_equal(rd_fh_give(child, fh, -1), 0);
	assert_int_equal(tu_stats(t).open_files, 1);
	rd_tree_close(parent);
	rd_tree_close(child);
	tu_done(t);
}

/* A third holder has no ledger slot: its references leak rather than
 * being taken from the two that are ledgered. */
static void test_third_holder_not_ledgered(void **state)
{
	rd_tree *t = tu_tree_shared(0, 0), *a = as_process(t, P1), *b = as_process(t, P2), *c = as_process(t, P3);
	rd_fh fh;

	(void)state;
	assert_int_equal(rd_open(a, RD_ROOT, "/f", O_RDWR | O_CREAT, 0644, &fh), 0);
	assert_int_equal(rd_fh_ref(b, fh), 0);
	assert_int_equal(rd_fh_ref(c, fh), 0);
	kill_fake(P3);
	assert_int_equal(rd_reap(t), 0);
	assert_int_equal(rd_close(a, fh), 0);
	assert_int_equal(rd_close(b, fh), 0);
	assert_int_equal(tu_stats(t).open_files, 1); /* c's, leaked */
	/* a close by a process with no ledger entry still drops a reference */
	assert_int_equal(rd_close(c, fh), 0);
	assert_int_equal(tu_stats(t).open_files, 0);
	rd_tree_close(a);
	rd_tree_close(b);
	rd_tree_close(c);
	tu_done(t);
}

/* rd_reap_due: after a reap, only a doubling of open files asks again. */
static void test_reap_due(void **state)
{
	rd_tree *t = tu_tree_shared(0, 0), *a = as_process(t, P1);
	rd_fh fh[200];

	(void)state;
	assert_int_equal(rd_reap(t), 0);
	assert_false(rd_reap_due(t));
	for (int i = 0; i < 200; i++)
		assert_int_equal(rd_open(a, RD_ROOT, "/", O_RDONLY | O_DIRECTORY, 0, &fh[i]), 0);
	assert_true(rd_reap_due(t));
	assert_int_equal(rd_reap(t), 0);
	assert_false(rd_reap_due(t));
	for (int i = 0; i < 200; i++)
		assert_int_equal(rd_close(a, fh[i]), 0);
	rd_tree_close(a);
	tu_done(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dead_holder_freed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_holder_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_give_take, setup, teardown),
		cmocka_unit_test_setup_teardown(test_third_holder_not_ledgered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reap_due, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

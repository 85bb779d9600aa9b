/*
 * Advisory locks (lock.c): POSIX record locks owned by a pid, OFD locks and
 * flock locks owned by an open file, with Linux's rules for ranges, splits,
 * merges, conversions, conflicts, errors, release on close and on the
 * owner's death, deadlock detection and ENOLCK when the quota is out.
 * Several processes are simulated with made-up pids whose liveness a test
 * hook decides; the fork and thread cases use real ones. rd_tree_check
 * (tu_done) is the accounting oracle after each case: lock records are
 * metadata, reachable and counted, and gone when released.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* White box, for the one test that fakes a close cut short by a kill. */
#include "../../core/src/internal.h"

#define PA 1001u /* made-up processes */
#define PB 1002u
#define PC 1003u

static int lk_dead[4];

static int lk_alive(uint32_t pid)
{
	return pid < PA || pid > PC || !lk_dead[pid - PA];
}

static int lk_setup(void **state)
{
	(void)state;
	memset(lk_dead, 0, sizeof lk_dead);
	rd_test_lock_alive(lk_alive);
	return 0;
}

static int lk_teardown(void **state)
{
	(void)state;
	rd_test_lock_alive(NULL);
	return 0;
}

static struct rd_flock fl(int type, int whence, int64_t start, int64_t len)
{
	struct rd_flock l = {(int16_t)type, (int16_t)whence, start, len, 0};

	return l;
}

static int setlk(rd_tree *t, rd_fh fh, uint32_t pid, int type, int64_t start, int64_t len)
{
	struct rd_flock l = fl(type, SEEK_SET, start, len);

	return rd_lock_set(t, fh, 0, pid, &l, 0);
}

static int ofd_setlk(rd_tree *t, rd_fh fh, int type, int64_t start, int64_t len)
{
	struct rd_flock l = fl(type, SEEK_SET, start, len);

	return rd_lock_set(t, fh, 1, 0, &l, 0);
}

/* F_GETLK for a write lock on [start, start+len): "-" if free, else
 * "type start len pid" of the lock reported. */
static const char *getlk(rd_tree *t, rd_fh fh, int ofd, uint32_t pid, int64_t start, int64_t len)
{
	static char out[4][96];
	static int k;
	struct rd_flock l = fl(F_WRLCK, SEEK_SET, start, len);
	int rc = rd_lock_get(t, fh, ofd, ofd ? 0 : pid, &l);

	k = (k + 1) & 3;
	if (rc < 0)
		snprintf(out[k], sizeof out[k], "error %d", rc);
	else if (l.type == F_UNLCK)
		snprintf(out[k], sizeof out[k], "-");
	else
		snprintf(out[k], sizeof out[k], "%s %lld %lld %d", l.type == F_RDLCK ? "R" : "W", (long long)l.start,
			 (long long)l.len, l.pid);
	return out[k];
}

static uint64_t nlocks(rd_tree *t)
{
	return tu_stats(t).locks;
}

static void test_posix_conflicts(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	rd_fh a, b;

	(void)state;
	a = tu_open(t, "/f", O_RDWR | O_CREAT);
	b = tu_open(t, "/f", O_RDWR);
	assert_int_equal(setlk(t, a, PA, F_WRLCK, 0, 10), 0);
	assert_int_equal(setlk(t, b, PB, F_RDLCK, 5, 1), -EAGAIN);
	assert_int_equal(setlk(t, b, PB, F_WRLCK, 9, 0), -EAGAIN);
	assert_int_equal(setlk(t, b, PB, F_WRLCK, 10, 0), 0);
	assert_string_equal(getlk(t, b, 0, PB, 0, 0), "W 0 10 1001");
	assert_string_equal(getlk(t, a, 0, PA, 0, 0), "W 10 0 1002");
	assert_string_equal(getlk(t, b, 0, PB, 10, 5), "-"); /* its own */
	/* Read locks share; a write lock waits for every reader. */
	assert_int_equal(setlk(t, a, PA, F_UNLCK, 0, 0), 0);
	assert_int_equal(setlk(t, b, PB, F_UNLCK, 0, 0), 0);
	assert_int_equal(nlocks(t), 0);
	assert_int_equal(setlk(t, a, PA, F_RDLCK, 0, 100), 0);
	assert_int_equal(setlk(t, b, PB, F_RDLCK, 50, 100), 0);
	assert_int_equal(setlk(t, b, PC, F_WRLCK, 120, 1), -EAGAIN);
	assert_int_equal(setlk(t, b, PC, F_WRLCK, 150, 1), 0);
	/* Upgrading to a write lock conflicts with the other reader. */
	assert_int_equal(setlk(t, a, PA, F_WRLCK, 0, 100), -EAGAIN);
	assert_int_equal(setlk(t, a, PA, F_WRLCK, 0, 50), 0);
	/* The reported lock is the first in Linux's list order: owners in
	 * the order they first locked, each sorted by start. */
	assert_string_equal(getlk(t, a, 0, PC, 0, 0), "W 0 50 1001");
	assert_string_equal(getlk(t, a, 0, PC, 60, 0), "R 50 50 1001");
	assert_string_equal(getlk(t, a, 0, PC, 100, 0), "R 50 100 1002");
	rd_close(t, a);
	rd_close(t, b);
	assert_int_equal(nlocks(t), 0); /* nothing open: nothing locked */
	tu_done(t);
}

static void test_posix_same_process(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	rd_fh a, b;

	(void)state;
	a = tu_open(t, "/f", O_RDWR | O_CREAT);
	b = tu_open(t, "/f", O_RDWR);
	assert_int_equal(setlk(t, a, PA, F_WRLCK, 0, 0), 0);
	assert_int_equal(setlk(t, b, PA, F_WRLCK, 0, 0), 0); /* same owner: replaces */
	assert_int_equal(setlk(t, b, PA, F_RDLCK, 0, 0), 0); /* downgrade */
	assert_string_equal(getlk(t, b, 0, PA, 0, 0), "-");
	assert_string_equal(getlk(t, b, 0, PB, 0, 0), "R 0 0 1001");
	assert_int_equal(nlocks(t), 1);
	rd_close(t, a);
	rd_close(t, b);
	tu_done(t);
}

static void test_posix_split_merge(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	rd_fh a = tu_open(t, "/f", O_RDWR | O_CREAT), b = tu_open(t, "/f", O_RDWR);

	(void)state;
	assert_int_equal(setlk(t, a, PA, F_WRLCK, 0, 100), 0);
	assert_int_equal(setlk(t, a, PA, F_UNLCK, 40, 20), 0); /* a hole in the middle */
	assert_int_equal(nlocks(t), 2);
	assert_string_equal(getlk(t, b, 0, PB, 0, 1), "W 0 40 1001");
	assert_string_equal(getlk(t, b, 0, PB, 40, 20), "-");
	assert_string_equal(getlk(t, b, 0, PB, 50, 0), "W 60 40 1001");
	assert_int_equal(setlk(t, a, PA, F_RDLCK, 40, 20), 0);
	assert_int_equal(nlocks(t), 3);
	assert_string_equal(getlk(t, b, 0, PB, 45, 1), "R 40 20 1001");
	assert_int_equal(setlk(t, b, PB, F_RDLCK, 45, 1), 0);
	assert_int_equal(setlk(t, b, PB, F_UNLCK, 0, 0), 0);
	/* Filling the hole with the same type merges all three. */
	assert_int_equal(setlk(t, a, PA, F_WRLCK, 40, 20), 0);
	assert_int_equal(nlocks(t), 1);
	assert_string_equal(getlk(t, b, 0, PB, 0, 0), "W 0 100 1001");
	/* Adjacent ranges of one type merge; of two types they do not. */
	assert_int_equal(setlk(t, a, PA, F_WRLCK, 100, 10), 0);
	assert_string_equal(getlk(t, b, 0, PB, 0, 0), "W 0 110 1001");
	assert_int_equal(setlk(t, a, PA, F_RDLCK, 110, 10), 0);
	assert_int_equal(nlocks(t), 2);
	/* A read lock inside a write lock to EOF splits it in three. */
	assert_int_equal(setlk(t, a, PA, F_UNLCK, 0, 0), 0);
	assert_int_equal(setlk(t, a, PA, F_WRLCK, 0, 0), 0);
	assert_int_equal(setlk(t, a, PA, F_RDLCK, 10, 10), 0);
	assert_int_equal(nlocks(t), 3);
	assert_string_equal(getlk(t, b, 0, PB, 25, 1), "W 20 0 1001");
	assert_int_equal(setlk(t, b, PB, F_RDLCK, 15, 1), 0);
	assert_int_equal(setlk(t, b, PB, F_RDLCK, 5, 1), -EAGAIN);
	/* Unlocking across several records trims both ends. */
	assert_int_equal(setlk(t, a, PA, F_UNLCK, 5, 20), 0);
	assert_string_equal(getlk(t, b, 0, PB, 0, 0), "W 0 5 1001");
	assert_string_equal(getlk(t, b, 0, PB, 5, 20), "-");
	assert_string_equal(getlk(t, b, 0, PB, 5, 0), "W 25 0 1001");
	assert_int_equal(nlocks(t), 3); /* two of A, one of B */
	rd_close(t, a);
	rd_close(t, b);
	tu_done(t);
}

static void test_posix_ranges(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	rd_fh a = tu_open(t, "/f", O_RDWR | O_CREAT), b = tu_open(t, "/f", O_RDWR);
	struct rd_flock l;

	(void)state;
	assert_int_equal(rd_write(t, a, "0123456789", 10), 10); /* position 10, size 10 */
	l = fl(F_WRLCK, SEEK_CUR, -2, 1);
	assert_int_equal(rd_lock_set(t, a, 0, PA, &l, 0), 0);
	assert_string_equal(getlk(t, b, 0, PB, 0, 0), "W 8 1 1001");
	l = fl(F_WRLCK, SEEK_END, 5, 3);
	assert_int_equal(rd_lock_set(t, a, 0, PA, &l, 0), 0);
	assert_string_equal(getlk(t, b, 0, PB, 9, 0), "W 15 3 1001");
	l = fl(F_WRLCK, SEEK_SET, 5, -3); /* bytes 2..4 */
	assert_int_equal(rd_lock_set(t, a, 0, PA, &l, 0), 0);
	assert_string_equal(getlk(t, b, 0, PB, 0, 8), "W 2 3 1001");
	/* The kernel's errors, in the kernel's order. */
	l = fl(F_WRLCK, SEEK_SET, -1, 1);
	assert_int_equal(rd_lock_set(t, a, 0, PA, &l, 0), -EINVAL);
	l = fl(F_WRLCK, SEEK_SET, 2, -3);
	assert_int_equal(rd_lock_set(t, a, 0, PA, &l, 0), -EINVAL);
	l = fl(F_WRLCK, 7, 0, 0);
	assert_int_equal(rd_lock_set(t, a, 0, PA, &l, 0), -EINVAL);
	l = fl(F_WRLCK, SEEK_SET, INT64_MAX, 2);
	assert_int_equal(rd_lock_set(t, a, 0, PA, &l, 0), -EOVERFLOW);
	l = fl(F_WRLCK, SEEK_SET, INT64_MAX, 1);
	assert_int_equal(rd_lock_set(t, a, 0, PA, &l, 0), 0);
	l = fl(F_WRLCK, SEEK_CUR, INT64_MAX, 1); /* 10 + max wraps */
	assert_int_equal(rd_lock_set(t, a, 0, PA, &l, 0), -EINVAL);
	l = fl(42, SEEK_SET, 0, 0);
	assert_int_equal(rd_lock_set(t, a, 0, PA, &l, 0), -EINVAL);
	l = fl(42, 9, 0, 0); /* the range is checked before the type */
	assert_int_equal(rd_lock_set(t, a, 0, PA, &l, 0), -EINVAL);
	l = fl(F_UNLCK, SEEK_SET, 0, 0);
	assert_int_equal(rd_lock_get(t, a, 0, PA, &l), -EINVAL);
	/* F_GETLK with no conflict changes only the type. */
	l = fl(F_RDLCK, SEEK_CUR, 100, 7);
	l.pid = 77;
	assert_int_equal(rd_lock_get(t, b, 0, PB, &l), 0);
	assert_int_equal(l.type, F_UNLCK);
	assert_int_equal(l.whence, SEEK_CUR);
	assert_int_equal(l.start, 100);
	assert_int_equal(l.len, 7);
	assert_int_equal(l.pid, 77);
	rd_close(t, a);
	rd_close(t, b);
	tu_done(t);
}

static void test_access_modes(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	rd_fh rw = tu_open(t, "/f", O_RDWR | O_CREAT), ro = tu_open(t, "/f", O_RDONLY);
	rd_fh wo = tu_open(t, "/f", O_WRONLY), path = tu_open(t, "/f", O_PATH);
	struct rd_flock l;

	(void)state;
	assert_int_equal(setlk(t, ro, PA, F_WRLCK, 0, 0), -EBADF);
	assert_int_equal(setlk(t, wo, PA, F_RDLCK, 0, 0), -EBADF);
	assert_int_equal(setlk(t, ro, PA, F_RDLCK, 0, 1), 0);
	assert_int_equal(setlk(t, wo, PA, F_WRLCK, 1, 1), 0);
	assert_int_equal(setlk(t, ro, PA, F_UNLCK, 0, 0), 0);
	assert_int_equal(setlk(t, path, PA, F_UNLCK, 0, 0), -EBADF);
	assert_int_equal(rd_flock(t, path, LOCK_SH), -EBADF);
	l = fl(F_WRLCK, SEEK_SET, 0, 0);
	assert_int_equal(rd_lock_get(t, path, 0, PA, &l), -EBADF);
	assert_string_equal(getlk(t, ro, 0, PB, 0, 0), "-"); /* a read-only fd may ask about writes */
	/* flock needs neither read nor write access in particular. */
	assert_int_equal(rd_flock(t, ro, LOCK_EX), 0);
	assert_int_equal(rd_flock(t, wo, LOCK_SH), -EWOULDBLOCK);
	assert_int_equal(rd_flock(t, ro, LOCK_UN), 0);
	assert_int_equal(rd_flock(t, ro, LOCK_EX | LOCK_SH), -EINVAL);
	assert_int_equal(rd_flock(t, ro, 0), -EINVAL);
	assert_int_equal(rd_flock(t, 12345, LOCK_SH), -EBADF);
	assert_int_equal(setlk(t, 12345, PA, F_RDLCK, 0, 0), -EBADF);
	rd_close(t, rw);
	rd_close(t, ro);
	rd_close(t, wo);
	rd_close(t, path);
	tu_done(t);
}

static void test_ofd(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	rd_fh a = tu_open(t, "/f", O_RDWR | O_CREAT), b = tu_open(t, "/f", O_RDWR);
	struct rd_flock l;

	(void)state;
	assert_int_equal(ofd_setlk(t, a, F_WRLCK, 0, 10), 0);
	assert_int_equal(ofd_setlk(t, b, F_WRLCK, 5, 1), -EAGAIN); /* one process, two opens */
	assert_string_equal(getlk(t, b, 1, 0, 0, 0), "W 0 10 -1");
	assert_string_equal(getlk(t, a, 1, 0, 0, 0), "-");
	/* OFD and POSIX locks conflict, even in one process on one open. */
	assert_int_equal(setlk(t, a, PA, F_RDLCK, 0, 1), -EAGAIN);
	assert_string_equal(getlk(t, a, 0, PA, 0, 0), "W 0 10 -1");
	assert_int_equal(setlk(t, a, PA, F_WRLCK, 20, 1), 0);
	assert_string_equal(getlk(t, b, 1, 0, 0, 0), "W 0 10 -1");
	assert_string_equal(getlk(t, b, 1, 0, 15, 0), "W 20 1 1001");
	assert_int_equal(ofd_setlk(t, a, F_WRLCK, 20, 1), -EAGAIN);
	/* l_pid must be 0 for OFD requests. */
	l = fl(F_WRLCK, SEEK_SET, 50, 1);
	l.pid = 1;
	assert_int_equal(rd_lock_set(t, a, 1, 0, &l, 0), -EINVAL);
	assert_int_equal(rd_lock_get(t, a, 1, 0, &l), -EINVAL);
	/* A reference (dup, fork) keeps it; the last close drops it. */
	assert_int_equal(rd_fh_ref(t, a), 0);
	assert_int_equal(rd_close(t, a), 0);
	assert_int_equal(ofd_setlk(t, b, F_WRLCK, 5, 1), -EAGAIN);
	assert_int_equal(rd_close(t, a), 0);
	assert_int_equal(ofd_setlk(t, b, F_WRLCK, 5, 1), 0);
	assert_string_equal(getlk(t, b, 0, PB, 0, 10), "W 5 1 -1");
	/* The POSIX lock stays: its process has not closed anything. It is
	 * reported first, its owner being older in the list. */
	assert_string_equal(getlk(t, b, 0, PB, 0, 0), "W 20 1 1001");
	rd_close(t, b);
	tu_done(t);
}

static void test_flock(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	rd_fh a = tu_open(t, "/f", O_RDWR | O_CREAT), b = tu_open(t, "/f", O_RDONLY);
	rd_fh c = tu_open(t, "/f", O_WRONLY);

	(void)state;
	assert_int_equal(rd_flock(t, a, LOCK_EX), 0);
	assert_int_equal(rd_flock(t, a, LOCK_EX), 0); /* again: nothing changes */
	assert_int_equal(rd_flock(t, b, LOCK_SH), -EWOULDBLOCK);
	assert_int_equal(rd_flock(t, b, LOCK_EX), -EWOULDBLOCK);
	/* flock and fcntl locks do not see each other. */
	assert_int_equal(setlk(t, b, PB, F_RDLCK, 0, 0), 0);
	assert_string_equal(getlk(t, a, 0, PA, 0, 0), "R 0 0 1002");
	assert_int_equal(rd_flock(t, a, LOCK_SH), 0); /* downgrade */
	assert_int_equal(rd_flock(t, b, LOCK_SH), 0);
	assert_int_equal(rd_flock(t, c, LOCK_EX), -EWOULDBLOCK);
	/* A conversion that fails has dropped the old lock (Linux, BSD). */
	assert_int_equal(rd_flock(t, a, LOCK_EX), -EWOULDBLOCK);
	assert_int_equal(rd_flock(t, b, LOCK_UN), 0);
	assert_int_equal(rd_flock(t, c, LOCK_EX), 0); /* a holds nothing now */
	assert_int_equal(rd_flock(t, a, LOCK_SH), -EWOULDBLOCK);
	/* The last close of the open file releases it. */
	assert_int_equal(rd_fh_ref(t, c), 0);
	rd_close(t, c);
	assert_int_equal(rd_flock(t, a, LOCK_SH), -EWOULDBLOCK);
	rd_close(t, c);
	assert_int_equal(rd_flock(t, a, LOCK_SH), 0);
	assert_int_equal(rd_flock(t, b, LOCK_UN), 0); /* holds none: fine */
	assert_int_equal(nlocks(t), 2);                /* a's flock, b's POSIX lock */
	rd_close(t, a);
	assert_int_equal(nlocks(t), 1);
	rd_close(t, b);
	assert_int_equal(nlocks(t), 0);
	tu_done(t);
}

static void test_release_on_close(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	rd_fh a1 = tu_open(t, "/f", O_RDWR | O_CREAT), a2 = tu_open(t, "/f", O_RDONLY);
	rd_fh b = tu_open(t, "/f", O_RDWR), g = tu_open(t, "/g", O_RDWR | O_CREAT);

	(void)state;
	assert_int_equal(setlk(t, a1, PA, F_WRLCK, 0, 10), 0);
	assert_int_equal(setlk(t, a1, PA, F_WRLCK, 20, 10), 0);
	assert_int_equal(setlk(t, g, PA, F_WRLCK, 0, 0), 0);
	assert_int_equal(setlk(t, b, PB, F_WRLCK, 10, 10), 0);
	assert_int_equal(ofd_setlk(t, a2, F_RDLCK, 40, 1), 0);
	assert_int_equal(rd_flock(t, a2, LOCK_SH), 0);
	/* PA closes another descriptor of /f: all its POSIX locks on /f go,
	 * not those on /g, not PB's, not the open file's own. */
	assert_int_equal(rd_lock_release(t, a2, PA), 0);
	rd_close(t, a2); /* its OFD and flock locks go with it */
	assert_string_equal(getlk(t, b, 0, PB, 0, 0), "-");
	assert_string_equal(getlk(t, a1, 0, PA, 0, 0), "W 10 10 1002");
	assert_string_equal(getlk(t, g, 0, PB, 0, 0), "W 0 0 1001");
	assert_int_equal(nlocks(t), 2);
	/* Exit drops everything the process holds, everywhere. */
	assert_int_equal(rd_lock_exit(t, PB), 0);
	assert_int_equal(rd_lock_exit(t, PA), 0);
	assert_int_equal(nlocks(t), 0);
	assert_int_equal(rd_lock_release(t, a2, PA), 0); /* no lock anywhere: not even looked up */
	rd_close(t, a1);
	rd_close(t, b);
	rd_close(t, g);
	tu_done(t);
}

static void test_dead_owner(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	rd_fh a = tu_open(t, "/f", O_RDWR | O_CREAT), b = tu_open(t, "/f", O_RDWR);
	rd_fh c = tu_open(t, "/f", O_RDWR);

	(void)state;
	assert_int_equal(setlk(t, a, PA, F_WRLCK, 0, 10), 0);
	assert_int_equal(setlk(t, a, PA, F_WRLCK, 50, 10), 0);
	assert_int_equal(setlk(t, c, PC, F_RDLCK, 20, 10), 0);
	assert_int_equal(setlk(t, b, PB, F_WRLCK, 5, 1), -EAGAIN);
	lk_dead[PA - PA] = 1; /* PA died without closing */
	assert_int_equal(nlocks(t), 3);
	assert_string_equal(getlk(t, b, 0, PB, 0, 0), "R 20 10 1003");
	assert_int_equal(nlocks(t), 1); /* every lock of the dead process went */
	assert_int_equal(setlk(t, b, PB, F_WRLCK, 5, 1), 0);
	/* A live owner is never dropped; an OFD lock is not a process's. */
	assert_int_equal(setlk(t, b, PB, F_WRLCK, 25, 1), -EAGAIN);
	lk_dead[PB - PA] = 1; /* dead, but it is the asker: its own locks never conflict */
	assert_int_equal(setlk(t, b, PB, F_WRLCK, 6, 1), 0);
	assert_int_equal(nlocks(t), 2); /* PB's bytes 5-6 merged, PC's read lock */
	rd_close(t, a);
	rd_close(t, b);
	rd_close(t, c);
	tu_done(t);
}

static void test_deadlock(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	rd_fh a = tu_open(t, "/f", O_RDWR | O_CREAT), b = tu_open(t, "/f", O_RDWR);
	rd_fh c = tu_open(t, "/f", O_RDWR);
	struct rd_flock l;

	(void)state;
	assert_int_equal(setlk(t, a, PA, F_WRLCK, 0, 1), 0);
	assert_int_equal(setlk(t, b, PB, F_WRLCK, 1, 1), 0);
	assert_int_equal(setlk(t, c, PC, F_WRLCK, 2, 1), 0);
	/* PA waits for PB, PB for PC: PC asking for PA's byte closes the loop. */
	l = fl(F_WRLCK, SEEK_SET, 1, 1);
	assert_int_equal(rd_lock_set(t, a, 0, PA, &l, RD_LK_WAIT), -EAGAIN);
	l = fl(F_WRLCK, SEEK_SET, 2, 1);
	assert_int_equal(rd_lock_set(t, b, 0, PB, &l, RD_LK_WAIT), -EAGAIN);
	assert_int_equal(nlocks(t), 5); /* three locks, two waits */
	l = fl(F_WRLCK, SEEK_SET, 0, 1);
	assert_int_equal(rd_lock_set(t, c, 0, PC, &l, 0), -EAGAIN); /* no wait: no check */
	assert_int_equal(rd_lock_set(t, c, 0, PC, &l, RD_LK_WAIT), -EDEADLK);
	/* PB gives up waiting: no loop any more. */
	assert_int_equal(rd_lock_unwait(t, PB), 0);
	assert_int_equal(rd_lock_set(t, c, 0, PC, &l, RD_LK_WAIT), -EAGAIN);
	assert_int_equal(rd_lock_unwait(t, PC), 0);
	/* OFD requests never report deadlocks. */
	assert_int_equal(rd_lock_set(t, c, 1, 0, &l, RD_LK_WAIT), -EAGAIN);
	/* PB lets go of byte 1: PA's retry gets it and stops waiting. */
	assert_int_equal(setlk(t, b, PB, F_UNLCK, 0, 0), 0);
	l = fl(F_WRLCK, SEEK_SET, 1, 1);
	assert_int_equal(rd_lock_set(t, a, 0, PA, &l, RD_LK_WAIT), 0);
	assert_int_equal(rd_lock_unwait(t, PA), 0);
	assert_int_equal(nlocks(t), 2); /* PA's bytes 0-1 merged, PC's byte 2 */
	rd_close(t, a);
	rd_close(t, b);
	rd_close(t, c);
	tu_done(t);
}

/* Locks are metadata: when the quota is used up a new record is ENOLCK
 * and nothing changes; freeing space makes room again. */
static void test_enolck(void **state)
{
	rd_tree *t = tu_tree(64 * 4096, 0);
	rd_fh a = tu_open(t, "/f", O_RDWR | O_CREAT), b = tu_open(t, "/f", O_RDWR), fill;
	char page[4096];
	uint64_t held;
	int i, rc = 0;

	(void)state;
	memset(page, 'x', sizeof page);
	assert_int_equal(setlk(t, a, PA, F_RDLCK, 0, 1), 0);
	fill = tu_open(t, "/fill", O_RDWR | O_CREAT);
	while (rd_write(t, fill, page, sizeof page) == (ssize_t)sizeof page)
		;
	for (i = 1; i < 100000; i++) {
		rc = setlk(t, a, PA, i & 1 ? F_WRLCK : F_RDLCK, 2 * i, 1);
		if (rc < 0)
			break;
	}
	assert_int_equal(rc, -ENOLCK);
	held = nlocks(t);
	/* A lock that would replace many records still needs one first. */
	assert_int_equal(setlk(t, a, PA, F_WRLCK, 0, 2 * i), -ENOLCK);
	assert_int_equal(nlocks(t), held);
	assert_int_equal(setlk(t, b, PB, F_WRLCK, 2 * i, 1), -ENOLCK);
	assert_int_equal(rd_flock(t, b, LOCK_EX), -ENOLCK);
	assert_int_equal(setlk(t, b, PB, F_WRLCK, 0, 1), -EAGAIN); /* conflicts still found */
	assert_int_equal(setlk(t, a, PA, F_UNLCK, 2 * (i - 1), 1), 0);
	assert_int_equal(nlocks(t), held - 1);
	assert_int_equal(setlk(t, a, PA, F_RDLCK, 2 * (i - 1), 1), 0);
	assert_int_equal(nlocks(t), held);
	{
		char msg[256];

		assert_int_equal(rd_tree_check(t, msg, sizeof msg), 0);
	}
	rd_close(t, fill);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/fill", 0), 0);
	assert_int_equal(setlk(t, b, PB, F_WRLCK, 2 * i, 1), 0);
	assert_int_equal(rd_flock(t, b, LOCK_EX), 0);
	rd_close(t, a);
	rd_close(t, b);
	assert_int_equal(nlocks(t), 0);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/f", 0), 0);
	assert_int_equal(tu_stats(t).bytes_used, tu_stats(t).bytes_baseline);
	tu_done(t);
}

/* Lock records leave no trace: many files, many owners, then everything
 * released, and usage is back to where it was. */
static void test_accounting(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	rd_fh fh[20];
	uint64_t before;
	char path[32];
	int i, j;

	(void)state;
	for (i = 0; i < 20; i++) {
		snprintf(path, sizeof path, "/f%d", i);
		fh[i] = tu_open(t, path, O_RDWR | O_CREAT);
	}
	before = tu_used(t);
	for (i = 0; i < 20; i++)
		for (j = 0; j < 50; j++) {
			assert_int_equal(setlk(t, fh[i], PA + (uint32_t)(j % 3), F_RDLCK, 3 * j, 1), 0);
			if (j % 5 == 0)
				assert_int_equal(ofd_setlk(t, fh[i], F_RDLCK, 3 * j + 1, 1), 0);
		}
	assert_int_equal(rd_flock(t, fh[3], LOCK_EX), 0);
	assert_true(tu_used(t) > before);
	assert_int_equal(nlocks(t), 20 * 50 + 20 * 10 + 1);
	{
		char msg[256];

		assert_int_equal(rd_tree_check(t, msg, sizeof msg), 0);
	}
	for (i = 0; i < 20; i++)
		for (uint32_t p = PA; p <= PC; p++)
			assert_int_equal(rd_lock_release(t, fh[i], p), 0);
	assert_int_equal(nlocks(t), 20 * 10 + 1);
	for (i = 0; i < 20; i++) {
		assert_int_equal(ofd_setlk(t, fh[i], F_UNLCK, 0, 0), 0);
		assert_int_equal(rd_flock(t, fh[i], LOCK_UN), 0);
	}
	assert_int_equal(nlocks(t), 0);
	assert_int_equal(tu_used(t), before);
	for (i = 0; i < 20; i++)
		rd_close(t, fh[i]);
	tu_done(t);
}

/* Real processes on a shared tree: the child's pid shows in F_GETLK, a
 * child that exits without unlocking loses its locks even before it is
 * reaped (a zombie), and one killed by SIGKILL too. OFD and flock locks of
 * an inherited open file are shared with the child, POSIX ones are not. */
static void test_fork(void **state)
{
	rd_tree *t = tu_tree_shared(0, 0);
	rd_fh a = tu_open(t, "/f", O_RDWR | O_CREAT), b = tu_open(t, "/f", O_RDWR);
	int go[2], ready[2];
	uint32_t me = (uint32_t)getpid();
	char want[64], c;
	pid_t pid;
	int st;

	(void)state;
	rd_test_lock_alive(NULL);
	assert_int_equal(setlk(t, a, me, F_WRLCK, 100, 1), 0);
	assert_int_equal(rd_flock(t, a, LOCK_EX), 0);
	for (int round = 0; round < 2; round++) {
		assert_int_equal(pipe(go), 0);
		assert_int_equal(pipe(ready), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			uint32_t self = (uint32_t)getpid();
			int ok;

			alarm(60); /* never outlive a runner whose assertion failed */
			close(go[1]);
			close(ready[0]);
			ok = setlk(t, b, self, F_WRLCK, 0, 10) == 0 &&
				 setlk(t, b, self, F_WRLCK, 100, 1) == -EAGAIN && /* the parent's */
				 rd_flock(t, a, LOCK_EX) == 0 &&                /* inherited: its own */
				 rd_flock(t, b, LOCK_SH) == -EWOULDBLOCK;
			char r = ok ? 'y' : 'n';

			if (write(ready[1], &r, 1) != 1 || read(go[0], &r, 1) != 1)
				_exit(3);
			_exit(0); /* without unlocking or closing */
		}
		assert_int_equal(read(ready[0], &c, 1), 1);
		assert_int_equal(c, 'y');
		snprintf(want, sizeof want, "W 0 10 %d", (int)pid);
		assert_string_equal(getlk(t, a, 0, me, 0, 1), want);
		assert_int_equal(setlk(t, a, me, F_RDLCK, 5, 1), -EAGAIN);
		if (round == 0) {
			assert_int_equal(write(go[1], "x", 1), 1);
			/* Exited, not reaped yet: its locks are gone all the same. */
			for (int i = 0; i < 2000 && setlk(t, a, me, F_RDLCK, 5, 1) == -EAGAIN; i++)
				usleep(1000);
			assert_int_equal(setlk(t, a, me, F_RDLCK, 5, 1), 0);
			assert_int_equal(waitpid(pid, &st, 0), pid);
		} else {
			kill(pid, SIGKILL);
			assert_int_equal(waitpid(pid, &st, 0), pid);
			assert_int_equal(setlk(t, a, me, F_WRLCK, 0, 10), 0);
		}
		assert_int_equal(setlk(t, a, me, F_UNLCK, 0, 10), 0);
		close(go[0]);
		close(go[1]);
		close(ready[0]);
		close(ready[1]);
		/* The children's references to a and b were taken by nobody
		 * (no preload here), so nothing leaked. */
	}
	assert_int_equal(nlocks(t), 2); /* the parent's lock at 100 and a's flock */
	rd_close(t, a);
	rd_close(t, b);
	assert_int_equal(nlocks(t), 0);
	tu_done(t);
}

/* Two threads as two processes take turns on one byte with the waiting
 * protocol of the preload (retry -EAGAIN, then unwait); the counter they
 * guard with it must come out exact. Under TSan this is also a race check
 * of the lock-free "no locks at all" test in rd_lock_release. */
struct lk_worker {
	rd_tree *t;
	rd_fh fh;
	uint32_t pid;
	long *counter;
};

#define LK_ROUNDS 300

static void *lk_worker_main(void *arg)
{
	struct lk_worker *w = arg;
	struct rd_flock l = fl(F_WRLCK, SEEK_SET, 0, 1);

	for (int i = 0; i < LK_ROUNDS; i++) {
		long v;
		int rc;

		l.type = F_WRLCK;
		while ((rc = rd_lock_set(w->t, w->fh, 0, w->pid, &l, RD_LK_WAIT)) == -EAGAIN)
			sched_yield();
		if (rc != 0)
			return (void *)1;
		rd_lock_unwait(w->t, w->pid);
		v = *w->counter;
		if (i % 16 == 0)
			sched_yield();
		*w->counter = v + 1;
		l.type = F_UNLCK;
		if (rd_lock_set(w->t, w->fh, 0, w->pid, &l, 0) != 0)
			return (void *)1;
		rd_lock_release(w->t, w->fh, w->pid + 100); /* a close elsewhere */
	}
	return NULL;
}

static void test_threads(void **state)
{
	rd_tree *t = tu_tree_shared(0, 0);
	rd_fh a = tu_open(t, "/f", O_RDWR | O_CREAT), b = tu_open(t, "/f", O_RDWR);
	long counter = 0;
	struct lk_worker w[2] = {{t, a, PA, &counter}, {t, b, PB, &counter}};
	pthread_t th[2];
	void *res;

	(void)state;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, lk_worker_main, &w[i]), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(th[i], &res), 0);
		assert_null(res);
	}
	assert_int_equal(counter, 2 * LK_ROUNDS);
	assert_int_equal(nlocks(t), 0);
	rd_close(t, a);
	rd_close(t, b);
	tu_done(t);
}

/* A process killed inside the tree lock right after its last close of an
 * open file cut the count to zero (the state ofile_release starts from):
 * recovery drops the open file and with it the open file's OFD and flock
 * records, keeps the rest, and the accounting is exact again. */
static void test_recovery_drops_orphans(void **state)
{
	rd_tree *t = tu_tree_shared(0, 0);
	rd_fh a = tu_open(t, "/f", O_RDWR | O_CREAT), b = tu_open(t, "/f", O_RDWR);
	int ready[2], st;
	char c;
	pid_t pid;

	(void)state;
	assert_int_equal(ofd_setlk(t, a, F_WRLCK, 0, 10), 0);
	assert_int_equal(rd_flock(t, a, LOCK_EX), 0);
	assert_int_equal(setlk(t, b, PB, F_WRLCK, 20, 10), 0);
	assert_int_equal(ofd_setlk(t, b, F_RDLCK, 40, 1), 0);
	assert_int_equal(nlocks(t), 4);
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60);
		rd_test_lock(t);
		((struct rd_ofile *)OFF2P(t, a))->refs = 0;
		if (write(ready[1], "L", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	close(ready[0]);
	close(ready[1]);
	assert_int_equal(nlocks(t), 2); /* stats take the lock: recovery ran */
	assert_int_equal(tu_stats(t).recoveries, 1);
	assert_int_equal(tu_stats(t).open_files, 1);
	assert_int_equal(rd_flock(t, b, LOCK_EX), 0);
	assert_int_equal(ofd_setlk(t, b, F_WRLCK, 0, 10), 0);
	assert_string_equal(getlk(t, b, 1, 0, 20, 1), "W 20 10 1002");
	{
		char msg[256];

		assert_int_equal(rd_tree_check(t, msg, sizeof msg), 0);
	}
	rd_close(t, b);
	assert_int_equal(nlocks(t), 0);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/f", 0), 0);
	assert_int_equal(tu_stats(t).bytes_used, tu_stats(t).bytes_baseline);
	tu_done(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_posix_conflicts, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_posix_same_process, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_posix_split_merge, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_posix_ranges, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_access_modes, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_ofd, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_flock, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_release_on_close, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_dead_owner, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_deadlock, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_enolck, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_accounting, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_fork, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_threads, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_recovery_drops_orphans, lk_setup, lk_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

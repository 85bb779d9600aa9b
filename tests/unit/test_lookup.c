/*
 * The lookup cache (core/src/lookup.c) must never answer with a stale
 * resolution. The process's cache belongs to the first tree handle that
 * walks read-only; a second handle attached to the same arena bypasses it,
 * so it stands for another process: it changes the tree behind the cache's
 * back, and its own answers are the uncached truth to compare with.
 * Every check runs a path several times first, so that it is cached (a
 * path is kept on its second miss) and, for stat, answered without the
 * lock.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define UID 1000
#define GID 1000

#if defined(__SANITIZE_THREAD__)
#define LK_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LK_TSAN 1
#endif
#endif
#ifndef LK_TSAN
#define LK_TSAN 0
#endif

struct pair {
	rd_tree *t;     /* owns the process's lookup cache */
	rd_tree *other; /* the same arena, uncached: "another process" */
};

static void lk_claim(rd_tree *t)
{
	struct stat st;

	assert_int_equal(rd_stat(t, RD_ROOT, "/", &st, 0), 0);
}

static uint64_t lk_ops(rd_tree *t)
{
	return tu_stats(t).ops;
}

/* Per test, so that a failed test (which leaves by longjmp) still gives the
 * cache back for the next one. */
static int lk_setup(void **state)
{
	struct pair *p = calloc(1, sizeof *p);
	struct stat st;
	uint64_t ops;

	assert_non_null(p);
	p->t = tu_tree_shared(0, 0);
	assert_int_equal(rd_tree_attach(rd_tree_fd(p->t), &p->other), 0);
	rd_tree_set_cred(p->t, UID, GID, NULL, 0);
	rd_tree_set_cred(p->other, UID, GID, NULL, 0);
	lk_claim(p->t);
	/* The cache is this handle's: a repeated stat takes no lock (except
	 * under ThreadSanitizer, where every stat locks; see internal.h). */
	for (int i = 0; i < 3; i++)
		assert_int_equal(rd_stat(p->t, RD_ROOT, "/", &st, 0), 0);
	ops = lk_ops(p->t);
	assert_int_equal(rd_stat(p->t, RD_ROOT, "/", &st, 0), 0);
	assert_int_equal(lk_ops(p->t), ops + 1 + LK_TSAN); /* rd_tree_stats locked */
	*state = p;
	return 0;
}

static int lk_teardown(void **state)
{
	struct pair *p = *state;

	rd_tree_close(p->other);
	tu_done(p->t);
	free(p);
	return 0;
}

/* stat a few times (cached from the second on): the last answer. */
static int lk_stat(rd_tree *t, const char *path, int flags, struct stat *st)
{
	int rc = 0;

	for (int i = 0; i < 4; i++)
		rc = rd_stat(t, RD_ROOT, path, st, flags);
	return rc;
}

static ino_t lk_ino(rd_tree *t, const char *path)
{
	struct stat st;

	assert_int_equal(lk_stat(t, path, 0, &st), 0);
	return st.st_ino;
}

/* open read-only a few times: the last result (closed again). */
static int lk_open(rd_tree *t, const char *path, int flags)
{
	rd_fh fh;
	int rc = 0;

	for (int i = 0; i < 4; i++) {
		rc = rd_open(t, RD_ROOT, path, flags, 0, &fh);
		if (rc == 0)
			assert_int_equal(rd_close(t, fh), 0);
	}
	return rc;
}

static void lk_mkfile(rd_tree *t, const char *path)
{
	assert_int_equal(tu_put(t, path, "x", 1), 0);
}

static void test_other_unlinks_and_creates(void **state)
{
	struct pair p = *(struct pair *)*state;
	struct stat st;
	ino_t old;

	assert_int_equal(rd_mkdir(p.t, RD_ROOT, "/d", 0755), 0);
	lk_mkfile(p.t, "/d/f");
	old = lk_ino(p.t, "/d/f");
	assert_int_equal(lk_open(p.t, "/d/f", O_RDONLY), 0);

	assert_int_equal(rd_unlink(p.other, RD_ROOT, "/d/f", 0), 0);
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/d/f", &st, 0), -ENOENT);
	assert_int_equal(lk_open(p.t, "/d/f", O_RDONLY), -ENOENT);

	/* A failure is cached too: a create elsewhere (open O_CREAT, which
	 * moves only the generation of failures) must end it. */
	assert_int_equal(lk_stat(p.t, "/d/f", 0, &st), -ENOENT);
	lk_mkfile(p.other, "/d/f");
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/d/f", &st, 0), 0);
	assert_int_not_equal(st.st_ino, old);
	assert_int_equal(st.st_ino, lk_ino(p.other, "/d/f"));

	/* ... and a create by this handle too. */
	assert_int_equal(lk_stat(p.t, "/d/g", 0, &st), -ENOENT);
	assert_int_equal(lk_open(p.t, "/d/g", O_RDONLY), -ENOENT);
	lk_mkfile(p.t, "/d/g");
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/d/g", &st, 0), 0);
	assert_int_equal(lk_open(p.t, "/d/g", O_RDONLY), 0);

	/* ENOTDIR cached, then the file replaced by a directory. */
	assert_int_equal(lk_stat(p.t, "/d/g/x", 0, &st), -ENOTDIR);
	assert_int_equal(rd_unlink(p.other, RD_ROOT, "/d/g", 0), 0);
	assert_int_equal(rd_mkdir(p.other, RD_ROOT, "/d/g", 0755), 0);
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/d/g/x", &st, 0), -ENOENT);
	lk_mkfile(p.other, "/d/g/x");
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/d/g/x", &st, 0), 0);
}

/* A rename moves what a cached path (and a cached directory part) means. */
static void test_rename_directory_over_cached_path(void **state)
{
	struct pair p = *(struct pair *)*state;
	struct stat st;
	ino_t f, g;

	assert_int_equal(rd_mkdir(p.t, RD_ROOT, "/c", 0755), 0);
	assert_int_equal(rd_mkdir(p.t, RD_ROOT, "/c/d", 0755), 0);
	assert_int_equal(rd_mkdir(p.t, RD_ROOT, "/o", 0755), 0);
	lk_mkfile(p.t, "/c/d/f");
	lk_mkfile(p.t, "/o/f");
	lk_mkfile(p.t, "/o/g");
	f = lk_ino(p.t, "/c/d/f");
	g = lk_ino(p.t, "/o/g");
	assert_int_equal(lk_stat(p.t, "/c/d/g", 0, &st), -ENOENT);

	assert_int_equal(rd_rename(p.other, RD_ROOT, "/c/d", RD_ROOT, "/c/old", 0), 0);
	assert_int_equal(rd_rename(p.other, RD_ROOT, "/o", RD_ROOT, "/c/d", 0), 0);
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/c/d/f", &st, 0), 0);
	assert_int_not_equal(st.st_ino, f);
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/c/d/g", &st, 0), 0);
	assert_int_equal(st.st_ino, g);
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/c/old/f", &st, 0), 0);
	assert_int_equal(st.st_ino, f);

	/* Over an existing empty directory, by this handle. */
	assert_int_equal(rd_mkdir(p.t, RD_ROOT, "/e", 0755), 0);
	assert_int_equal(lk_stat(p.t, "/e/f", 0, &st), -ENOENT);
	assert_int_equal(rd_rename(p.t, RD_ROOT, "/c/old", RD_ROOT, "/e", 0), 0);
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/e/f", &st, 0), 0);
	assert_int_equal(st.st_ino, f);
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/c/old/f", &st, 0), -ENOENT);

	/* A new name in a directory whose path was cached as a directory
	 * part, after that path came to mean another directory. */
	lk_mkfile(p.t, "/e/h");
	assert_int_equal(lk_stat(p.t, "/e/h", 0, &st), 0);
	assert_int_equal(rd_rename(p.other, RD_ROOT, "/e", RD_ROOT, "/e2", 0), 0);
	assert_int_equal(rd_mkdir(p.other, RD_ROOT, "/e", 0755), 0);
	lk_mkfile(p.other, "/e/new");
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/e/new", &st, 0), 0);
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/e/h", &st, 0), -ENOENT);
}

/* Symlinks and hard links made elsewhere. */
static void test_links_elsewhere(void **state)
{
	struct pair p = *(struct pair *)*state;
	struct stat st;

	assert_int_equal(rd_mkdir(p.t, RD_ROOT, "/s", 0755), 0);
	lk_mkfile(p.t, "/s/target");
	assert_int_equal(lk_stat(p.t, "/s/l", 0, &st), -ENOENT);
	assert_int_equal(lk_stat(p.t, "/s/h", 0, &st), -ENOENT);
	assert_int_equal(rd_symlink(p.other, "target", RD_ROOT, "/s/l"), 0);
	assert_int_equal(rd_link(p.other, RD_ROOT, "/s/target", RD_ROOT, "/s/h", 0), 0);
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/s/l", &st, 0), 0);
	assert_int_equal(st.st_ino, lk_ino(p.t, "/s/target"));
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/s/h", &st, 0), 0);
	assert_int_equal(st.st_ino, lk_ino(p.t, "/s/target"));
	assert_int_equal(lk_stat(p.t, "/s/l", AT_SYMLINK_NOFOLLOW, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(rd_unlink(p.other, RD_ROOT, "/s/l", 0), 0);
	assert_int_equal(rd_mkdir(p.other, RD_ROOT, "/s/l", 0700), 0);
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/s/l", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISDIR(st.st_mode));
}

/* Search permission: taken away by chmod (here and elsewhere) and by the
 * handle's user changing. */
static void test_search_permission(void **state)
{
	struct pair p = *(struct pair *)*state;
	struct stat st;

	assert_int_equal(rd_mkdir(p.t, RD_ROOT, "/p", 0755), 0);
	assert_int_equal(rd_mkdir(p.t, RD_ROOT, "/p/q", 0755), 0);
	lk_mkfile(p.t, "/p/q/f");
	assert_int_equal(lk_stat(p.t, "/p/q/f", 0, &st), 0);
	assert_int_equal(lk_open(p.t, "/p/q/f", O_RDONLY), 0);
	assert_int_equal(lk_stat(p.t, "/p/q/nx", 0, &st), -ENOENT);

	assert_int_equal(rd_chmod(p.other, RD_ROOT, "/p", 0600, 0), 0);
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/p/q/f", &st, 0), -EACCES);
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/p/q/nx", &st, 0), -EACCES);
	assert_int_equal(lk_open(p.t, "/p/q/f", O_RDONLY), -EACCES);
	assert_int_equal(rd_chmod(p.t, RD_ROOT, "/p", 0755, 0), 0);
	assert_int_equal(lk_stat(p.t, "/p/q/f", 0, &st), 0);
	assert_int_equal(rd_chmod(p.t, RD_ROOT, "/p/q", 0644, 0), 0);
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/p/q/f", &st, 0), -EACCES);
	assert_int_equal(rd_access(p.t, RD_ROOT, "/p/q/f", F_OK, 0), -EACCES);
	assert_int_equal(rd_chmod(p.t, RD_ROOT, "/p/q", 0711, 0), 0);
	assert_int_equal(lk_stat(p.t, "/p/q/f", 0, &st), 0);

	/* Another user: the owner's search bit no longer applies. */
	assert_int_equal(rd_chmod(p.t, RD_ROOT, "/p/q", 0700, 0), 0);
	assert_int_equal(lk_stat(p.t, "/p/q/f", 0, &st), 0);
	rd_tree_set_cred(p.t, UID + 1, GID + 1, NULL, 0);
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/p/q/f", &st, 0), -EACCES);
	assert_int_equal(lk_open(p.t, "/p/q/f", O_RDONLY), -EACCES);
	rd_tree_set_cred(p.t, UID, GID, NULL, 0);
	assert_int_equal(lk_stat(p.t, "/p/q/f", 0, &st), 0);
	/* ... or a group that gains it. */
	assert_int_equal(rd_chmod(p.t, RD_ROOT, "/p/q", 0710, 0), 0);
	rd_tree_set_cred(p.t, UID + 1, GID + 1, NULL, 0);
	assert_int_equal(lk_stat(p.t, "/p/q/f", 0, &st), -EACCES);
	{
		gid_t g = GID;

		rd_tree_set_cred(p.t, UID + 1, GID + 1, &g, 1);
	}
	assert_int_equal(rd_stat(p.t, RD_ROOT, "/p/q/f", &st, 0), 0);
	rd_tree_set_cred(p.t, UID, GID, NULL, 0);
}

/* Relative walks from a directory handle, and from one that was removed. */
static void test_handle_bases(void **state)
{
	struct pair p = *(struct pair *)*state;
	struct stat st;
	rd_fh d;

	assert_int_equal(rd_mkdir(p.t, RD_ROOT, "/b", 0755), 0);
	assert_int_equal(rd_mkdir(p.t, RD_ROOT, "/b/x", 0755), 0);
	lk_mkfile(p.t, "/b/x/f");
	assert_int_equal(rd_open(p.t, RD_ROOT, "/b/x", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(rd_stat(p.t, d, "f", &st, 0), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(rd_stat(p.t, d, "..", &st, 0), 0);
	assert_int_equal(rd_unlink(p.other, RD_ROOT, "/b/x/f", 0), 0);
	assert_int_equal(rd_stat(p.t, d, "f", &st, 0), -ENOENT);
	assert_int_equal(rd_unlink(p.other, RD_ROOT, "/b/x", AT_REMOVEDIR), 0);
	/* A removed directory keeps its parent while the parent lives ... */
	for (int i = 0; i < 4; i++)
		assert_int_equal(rd_stat(p.t, d, "..", &st, 0), 0);
	/* ... and loses it when the parent goes. */
	assert_int_equal(rd_unlink(p.other, RD_ROOT, "/b", AT_REMOVEDIR), 0);
	assert_int_equal(rd_stat(p.t, d, "..", &st, 0), -ENOENT);
	assert_int_equal(rd_close(p.t, d), 0);
	/* A closed handle is EBADF, also for an absolute path, also for fstat. */
	assert_int_equal(rd_stat(p.t, d, "/", &st, 0), -EBADF);
	assert_int_equal(rd_fstat(p.t, d, &st), -EBADF);
	assert_int_equal(rd_fstat(p.t, RD_ROOT, &st), -EBADF);
}

/* stat by handle without the lock sees changes made through other handles. */
static void test_fstat_sees_writes(void **state)
{
	struct pair p = *(struct pair *)*state;
	struct stat st;
	rd_fh a, b;

	lk_mkfile(p.t, "/w");
	assert_int_equal(rd_open(p.t, RD_ROOT, "/w", O_RDWR, 0, &a), 0);
	assert_int_equal(rd_open(p.other, RD_ROOT, "/w", O_RDWR | O_APPEND, 0, &b), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rd_write(p.other, b, "abc", 3), 3);
		assert_int_equal(rd_fstat(p.t, a, &st), 0);
		assert_int_equal(st.st_size, 1 + 3 * (i + 1));
		assert_int_equal(lk_stat(p.t, "/w", 0, &st), 0);
		assert_int_equal(st.st_size, 1 + 3 * (i + 1));
	}
	assert_int_equal(rd_fchmod(p.other, b, 0600), 0);
	assert_int_equal(rd_fstat(p.t, a, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(rd_close(p.other, b), 0);
	assert_int_equal(rd_close(p.t, a), 0);
}

/* ---- random changes, cached answers compared with uncached ones ---- */

static const char *const lk_names[] = {"a", "b", "c"};

/* A random path of 1 to 3 components (sometimes with "..", ".", a
 * trailing slash or relative). */
static void lk_rand_path(unsigned *seed, char *buf, size_t cap)
{
	int n = 1 + rand_r(seed) % 3;
	size_t len = 0;

	if (rand_r(seed) % 8)
		buf[len++] = '/';
	for (int i = 0; i < n; i++) {
		int r = rand_r(seed) % 16;
		const char *c = r == 0 ? ".." : r == 1 ? "." : lk_names[r % 3];

		len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? "/" : "", c);
	}
	if (rand_r(seed) % 8 == 0)
		buf[len++] = '/';
	buf[len] = 0;
}

static void lk_rand_change(rd_tree *t, unsigned *seed)
{
	char a[64], b[64];

	lk_rand_path(seed, a, sizeof a);
	lk_rand_path(seed, b, sizeof b);
	switch (rand_r(seed) % 9) {
	case 0:
		rd_mkdir(t, RD_ROOT, a, 0755);
		break;
	case 1: {
		rd_fh fh;

		if (rd_open(t, RD_ROOT, a, O_CREAT | O_WRONLY, 0644, &fh) == 0)
			rd_close(t, fh);
		break;
	}
	case 2:
		rd_unlink(t, RD_ROOT, a, 0);
		break;
	case 3:
		rd_unlink(t, RD_ROOT, a, AT_REMOVEDIR);
		break;
	case 4:
	case 5:
		rd_rename(t, RD_ROOT, a, RD_ROOT, b, 0);
		break;
	case 6:
		rd_chmod(t, RD_ROOT, a, rand_r(seed) % 2 ? 0755 : 0644, 0);
		break;
	case 7:
		rd_symlink(t, lk_names[rand_r(seed) % 3], RD_ROOT, a);
		break;
	default:
		rd_link(t, RD_ROOT, a, RD_ROOT, b, 0);
		break;
	}
}

/* Every path of up to 3 components, both ways, as stat, lstat and open. */
static void lk_compare(rd_tree *cached, rd_tree *truth, unsigned *seed, int round)
{
	for (int i = 0; i < 40; i++) {
		struct stat s1, s2;
		char path[64];
		int flags = rand_r(seed) % 2 ? AT_SYMLINK_NOFOLLOW : 0, r1, r2;
		rd_fh fh;

		lk_rand_path(seed, path, sizeof path);
		r1 = lk_stat(cached, path, flags, &s1);
		r2 = rd_stat(truth, RD_ROOT, path, &s2, flags);
		if (r1 != r2 || (r1 == 0 && (s1.st_ino != s2.st_ino || s1.st_mode != s2.st_mode)))
			print_error("round %d: stat %s (%x): cached %d ino %lu, uncached %d ino %lu\n", round, path,
				    flags, r1, (unsigned long)s1.st_ino, r2, (unsigned long)s2.st_ino);
		assert_int_equal(r1, r2);
		if (r1 == 0) {
			assert_int_equal(s1.st_ino, s2.st_ino);
			assert_int_equal(s1.st_mode, s2.st_mode);
		}
		r1 = lk_open(cached, path, O_RDONLY);
		r2 = rd_open(truth, RD_ROOT, path, O_RDONLY, 0, &fh);
		if (r2 == 0)
			rd_close(truth, fh);
		if (r1 != r2)
			print_error("round %d: open %s: cached %d, uncached %d\n", round, path, r1, r2);
		assert_int_equal(r1, r2);
	}
}

static void test_random_changes_elsewhere(void **state)
{
	struct pair p = *(struct pair *)*state;
	unsigned seed = 1;

	for (int round = 0; round < 400; round++) {
		int n = rand_r(&seed) % 4;

		for (int i = 0; i < n; i++)
			lk_rand_change(rand_r(&seed) % 2 ? p.t : p.other, &seed);
		lk_compare(p.t, p.other, &seed, round);
	}
}

/* Another process changing the tree at random and killed at a random
 * moment, perhaps inside an operation: recovery may change the namespace,
 * and the cache must follow. */
static void test_random_changes_killed(void **state)
{
	struct pair p = *(struct pair *)*state;
	unsigned seed = 7;

	for (int round = 0; round < 30; round++) {
		pid_t pid = fork();
		int status;

		assert_true(pid >= 0);
		if (pid == 0) {
			unsigned s = (unsigned)round * 7919u;

			for (;;)
				lk_rand_change(p.other, &s);
		}
		usleep((useconds_t)(rand_r(&seed) % 3000));
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		lk_compare(p.t, p.other, &seed, round);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_other_unlinks_and_creates, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_rename_directory_over_cached_path, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_links_elsewhere, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_search_permission, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_handle_bases, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_fstat_sees_writes, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_random_changes_elsewhere, lk_setup, lk_teardown),
		cmocka_unit_test_setup_teardown(test_random_changes_killed, lk_setup, lk_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

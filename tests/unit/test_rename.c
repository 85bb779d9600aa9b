/* rename/renameat2 rules: atomic replace, type and emptiness checks, own
 * subtree, same inode, RENAME_NOREPLACE and RENAME_EXCHANGE, with the link
 * counts, directory sizes and timestamps a real tmpfs leaves. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>

/* The renameat2(2) flag values, in case the libc headers lack them. */
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static void mkfile(rd_tree *t, const char *path)
{
	/* the content is the path: it tells which file ended up where */
	assert_int_equal(tu_put(t, path, path, strlen(path)), 0);
}

static struct stat lst(rd_tree *t, const char *path)
{
	struct stat st;

	memset(&st, 0, sizeof st);
	assert_int_equal(rd_stat(t, RD_ROOT, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st;
}

static void assert_content(rd_tree *t, const char *path, const char *want)
{
	char buf[256];
	ssize_t n = tu_get(t, path, buf, sizeof buf);

	assert_int_equal(n, strlen(want));
	assert_memory_equal(buf, want, n);
}

static void assert_gone(rd_tree *t, const char *path)
{
	struct stat st;

	assert_int_equal(rd_stat(t, RD_ROOT, path, &st, AT_SYMLINK_NOFOLLOW), -ENOENT);
}

static int ren(rd_tree *t, const char *from, const char *to, unsigned flags)
{
	return rd_rename(t, RD_ROOT, from, RD_ROOT, to, flags);
}

static void test_file_over_file(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat f, g;
	off_t size;

	(void)state;
	mkfile(t, "/f");
	mkfile(t, "/g");
	f = lst(t, "/f");
	g = lst(t, "/g");
	assert_int_not_equal(f.st_ino, g.st_ino);
	size = lst(t, "/").st_size;

	assert_int_equal(ren(t, "/f", "/g", 0), 0);
	assert_gone(t, "/f");
	assert_content(t, "/g", "/f");
	assert_int_equal(lst(t, "/g").st_ino, f.st_ino);
	assert_int_equal(lst(t, "/g").st_nlink, 1);
	assert_int_equal(lst(t, "/").st_size, size - 20);

	/* a replaced file that has another name keeps living under it */
	mkfile(t, "/v");
	assert_int_equal(rd_link(t, RD_ROOT, "/v", RD_ROOT, "/v2", 0), 0);
	assert_int_equal(ren(t, "/g", "/v", 0), 0);
	assert_content(t, "/v", "/f");
	assert_content(t, "/v2", "/v");
	assert_int_equal(lst(t, "/v2").st_nlink, 1);

	/* a symlink is replaced as a name, its target is untouched */
	assert_int_equal(rd_symlink(t, "v2", RD_ROOT, "/l"), 0);
	assert_int_equal(ren(t, "/v", "/l", 0), 0);
	assert_true(S_ISREG(lst(t, "/l").st_mode));
	assert_content(t, "/l", "/f");
	assert_content(t, "/v2", "/v");
	tu_done(t);
}

static void test_dirs(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat d, st;
	nlink_t links;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d/keep", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/e", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/n", 0777), 0);
	mkfile(t, "/n/x");
	mkfile(t, "/g");
	d = lst(t, "/d");
	links = lst(t, "/").st_nlink;

	/* a directory replaces an empty directory */
	assert_int_equal(ren(t, "/d", "/e", 0), 0);
	assert_gone(t, "/d");
	st = lst(t, "/e");
	assert_int_equal(st.st_ino, d.st_ino);
	assert_int_equal(st.st_nlink, 3);
	assert_true(S_ISDIR(lst(t, "/e/keep").st_mode));
	assert_int_equal(lst(t, "/").st_nlink, links - 1);

	assert_int_equal(ren(t, "/e", "/n", 0), -ENOTEMPTY);
	assert_int_equal(ren(t, "/g", "/n", 0), -EISDIR);
	assert_int_equal(ren(t, "/n", "/g", 0), -ENOTDIR);
	assert_int_equal(ren(t, "/e", "/g", 0), -ENOTDIR);
	/* into its own subtree, or onto its own ancestor */
	assert_int_equal(ren(t, "/e", "/e/keep/z", 0), -EINVAL);
	assert_int_equal(ren(t, "/e", "/e/z", 0), -EINVAL);
	assert_int_equal(ren(t, "/e", "/e/keep", 0), -EINVAL);
	assert_int_equal(ren(t, "/e/keep", "/e", 0), -ENOTEMPTY);
	/* nothing moved */
	assert_content(t, "/n/x", "/n/x");
	assert_content(t, "/g", "/g");
	assert_int_equal(lst(t, "/e").st_nlink, 3);
	assert_int_equal(lst(t, "/").st_nlink, links - 1);
	tu_done(t);
}

static void test_cross_directory(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat c, st;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/m1", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/m2", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/m1/c", 0777), 0);
	mkfile(t, "/m1/c/f");
	c = lst(t, "/m1/c");
	assert_int_equal(lst(t, "/m1").st_nlink, 3);
	assert_int_equal(lst(t, "/m1").st_size, 60);

	assert_int_equal(ren(t, "/m1/c", "/m2/c", 0), 0);
	assert_int_equal(lst(t, "/m1").st_nlink, 2);
	assert_int_equal(lst(t, "/m1").st_size, 40);
	assert_int_equal(lst(t, "/m2").st_nlink, 3);
	assert_int_equal(lst(t, "/m2").st_size, 60);
	assert_int_equal(lst(t, "/m2/c").st_ino, c.st_ino);
	assert_content(t, "/m2/c/f", "/m1/c/f");
	/* ".." of the moved directory is its new parent */
	assert_int_equal(rd_stat(t, RD_ROOT, "/m2/c/..", &st, 0), 0);
	assert_int_equal(st.st_ino, lst(t, "/m2").st_ino);

	/* back over an empty directory in the first parent */
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/m1/r", 0777), 0);
	assert_int_equal(ren(t, "/m2/c", "/m1/r", 0), 0);
	assert_int_equal(lst(t, "/m1").st_nlink, 3);
	assert_int_equal(lst(t, "/m1").st_size, 60);
	assert_int_equal(lst(t, "/m2").st_nlink, 2);
	assert_int_equal(lst(t, "/m2").st_size, 40);
	assert_content(t, "/m1/r/f", "/m1/c/f");

	/* a file between directories, through directory handles */
	{
		rd_fh h1, h2;

		assert_int_equal(rd_open(t, RD_ROOT, "/m1", O_RDONLY | O_DIRECTORY, 0, &h1), 0);
		assert_int_equal(rd_open(t, RD_ROOT, "/m2", O_RDONLY | O_DIRECTORY, 0, &h2), 0);
		assert_int_equal(rd_rename(t, h1, "r/f", h2, "moved", 0), 0);
		assert_content(t, "/m2/moved", "/m1/c/f");
		assert_int_equal(rd_rename(t, h2, "moved", RD_ROOT, "/top", 0), 0);
		assert_content(t, "/top", "/m1/c/f");
		assert_int_equal(rd_close(t, h1), 0);
		assert_int_equal(rd_close(t, h2), 0);
	}
	assert_int_equal(ren(t, "/top", "/nx/z", 0), -ENOENT);
	assert_int_equal(ren(t, "/nx", "/z", 0), -ENOENT);
	assert_int_equal(ren(t, "/top", "/top/z", 0), -ENOTDIR);
	tu_done(t);
}

static void test_same_inode(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	off_t size;

	(void)state;
	mkfile(t, "/g");
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/e", 0777), 0);
	assert_int_equal(ren(t, "/g", "/g", 0), 0);
	assert_int_equal(ren(t, "/e", "/e", 0), 0);
	assert_int_equal(ren(t, "/e", "/e/", 0), 0);
	assert_int_equal(ren(t, "/e/", "/e", 0), 0);
	assert_content(t, "/g", "/g");
	assert_true(S_ISDIR(lst(t, "/e").st_mode));

	/* two hard links of one inode: a no-op that keeps both names */
	assert_int_equal(rd_link(t, RD_ROOT, "/g", RD_ROOT, "/h", 0), 0);
	size = lst(t, "/").st_size;
	assert_int_equal(ren(t, "/g", "/h", 0), 0);
	assert_int_equal(lst(t, "/g").st_nlink, 2);
	assert_int_equal(lst(t, "/h").st_nlink, 2);
	assert_int_equal(lst(t, "/g").st_ino, lst(t, "/h").st_ino);
	assert_int_equal(lst(t, "/").st_size, size);
	assert_content(t, "/h", "/g");
	tu_done(t);
}

static void test_noreplace(void **state)
{
	rd_tree *t = tu_tree(0, 0);

	(void)state;
	mkfile(t, "/g");
	mkfile(t, "/h");
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/e", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/n", 0777), 0);

	assert_int_equal(ren(t, "/g", "/h", RENAME_NOREPLACE), -EEXIST);
	assert_int_equal(ren(t, "/g", "/g", RENAME_NOREPLACE), -EEXIST);
	assert_int_equal(ren(t, "/e", "/n", RENAME_NOREPLACE), -EEXIST);
	assert_int_equal(ren(t, "/g", "/e", RENAME_NOREPLACE), -EEXIST);
	assert_content(t, "/g", "/g");
	assert_content(t, "/h", "/h");

	assert_int_equal(ren(t, "/g", "/gg", RENAME_NOREPLACE), 0);
	assert_gone(t, "/g");
	assert_content(t, "/gg", "/g");
	assert_int_equal(ren(t, "/e", "/n/e", RENAME_NOREPLACE), 0);
	assert_int_equal(lst(t, "/n").st_nlink, 3);

	assert_int_equal(ren(t, "/gg", "/h", RENAME_NOREPLACE | RENAME_EXCHANGE), -EINVAL);
	assert_int_equal(ren(t, "/gg", "/h", 0x100), -EINVAL);
	assert_content(t, "/gg", "/g");
	assert_content(t, "/h", "/h");
	tu_done(t);
}

static void test_exchange(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat p, q, st;
	nlink_t root_links;

	(void)state;
	mkfile(t, "/g");
	mkfile(t, "/h");
	assert_int_equal(ren(t, "/g", "/nx", RENAME_EXCHANGE), -ENOENT);
	assert_int_equal(ren(t, "/nx", "/g", RENAME_EXCHANGE), -ENOENT);
	assert_content(t, "/g", "/g");
	assert_gone(t, "/nx");

	assert_int_equal(ren(t, "/g", "/h", RENAME_EXCHANGE), 0);
	assert_content(t, "/g", "/h");
	assert_content(t, "/h", "/g");
	assert_int_equal(ren(t, "/g", "/g", RENAME_EXCHANGE), 0);
	assert_content(t, "/g", "/h");

	/* a directory and a file in different parents trade places */
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/p", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/p/dd", 0777), 0);
	mkfile(t, "/p/dd/inner");
	mkfile(t, "/q");
	root_links = lst(t, "/").st_nlink;
	p = lst(t, "/p/dd");
	q = lst(t, "/q");
	assert_int_equal(lst(t, "/p").st_nlink, 3);
	assert_int_equal(ren(t, "/p/dd", "/q", RENAME_EXCHANGE), 0);
	st = lst(t, "/q");
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_ino, p.st_ino);
	st = lst(t, "/p/dd");
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_ino, q.st_ino);
	assert_content(t, "/p/dd", "/q");
	assert_content(t, "/q/inner", "/p/dd/inner");
	assert_int_equal(lst(t, "/").st_nlink, root_links + 1);
	assert_int_equal(lst(t, "/p").st_nlink, 2);
	assert_int_equal(rd_stat(t, RD_ROOT, "/q/..", &st, 0), 0);
	assert_int_equal(st.st_ino, lst(t, "/").st_ino);

	/* two directories may be exchanged, but not with their own subtree */
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/q/sub", 0777), 0);
	assert_int_equal(ren(t, "/q", "/q/sub", RENAME_EXCHANGE), -EINVAL);
	assert_int_equal(ren(t, "/q/sub", "/q", RENAME_EXCHANGE), -EINVAL);
	assert_int_equal(ren(t, "/q/sub", "/p", RENAME_EXCHANGE), 0);
	assert_true(S_ISREG(lst(t, "/q/sub/dd").st_mode));
	assert_int_equal(lst(t, "/p").st_nlink, 2);
	assert_int_equal(lst(t, "/q").st_nlink, 3);
	tu_done(t);
}

static void test_bad_names(void **state)
{
	rd_tree *t = tu_tree(0, 0);

	(void)state;
	mkfile(t, "/g");
	mkfile(t, "/h");
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/e", 0777), 0);

	/* a trailing slash names a directory: ENOTDIR on a file */
	assert_int_equal(ren(t, "/g/", "/z", 0), -ENOTDIR);
	assert_int_equal(ren(t, "/g", "/z/", 0), -ENOTDIR);
	assert_int_equal(ren(t, "/g", "/h/", 0), -ENOTDIR);
	assert_int_equal(ren(t, "/g/", "/h", 0), -ENOTDIR);
	assert_content(t, "/g", "/g");
	assert_content(t, "/h", "/h");
	assert_gone(t, "/z");
	/* and is fine on a directory */
	assert_int_equal(ren(t, "/e", "/z/", 0), 0);
	assert_int_equal(ren(t, "/z/", "/e", 0), 0);
	assert_true(S_ISDIR(lst(t, "/e").st_mode));

	/* "." and ".." cannot be renamed or replaced */
	assert_int_equal(ren(t, "/e/.", "/z", 0), -EBUSY);
	assert_int_equal(ren(t, "/e/..", "/z", 0), -EBUSY);
	assert_int_equal(ren(t, "/g", "/e/.", 0), -EBUSY);
	assert_int_equal(ren(t, "/g", "/e/..", 0), -EBUSY);
	assert_int_equal(ren(t, "", "/z", 0), -ENOENT);
	assert_int_equal(ren(t, "/g", "", 0), -ENOENT);
	assert_content(t, "/g", "/g");
	assert_true(S_ISDIR(lst(t, "/e").st_mode));
	tu_done(t);
}

static void nap(void)
{
	tu_tick(10);
}

static int ts_cmp(struct timespec a, struct timespec b)
{
	if (a.tv_sec != b.tv_sec)
		return a.tv_sec < b.tv_sec ? -1 : 1;
	return a.tv_nsec < b.tv_nsec ? -1 : a.tv_nsec > b.tv_nsec;
}

/* Which of atime, mtime, ctime moved forward since the snapshot. */
static void assert_times(rd_tree *t, const char *path, const struct stat *old, int a, int m, int c)
{
	struct stat st = lst(t, path);

	assert_int_equal(ts_cmp(st.st_atim, old->st_atim), a);
	assert_int_equal(ts_cmp(st.st_mtim, old->st_mtim), m);
	assert_int_equal(ts_cmp(st.st_ctim, old->st_ctim), c);
}

static void test_times(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat d, e, f, v, x;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/e", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d/s", 0777), 0);
	mkfile(t, "/d/f");

	/* across directories: both parents' mtime and ctime, the node's ctime */
	d = lst(t, "/d");
	e = lst(t, "/e");
	f = lst(t, "/d/f");
	nap();
	assert_int_equal(ren(t, "/d/f", "/e/f", 0), 0);
	assert_times(t, "/d", &d, 0, 1, 1);
	assert_times(t, "/e", &e, 0, 1, 1);
	assert_times(t, "/e/f", &f, 0, 0, 1);

	d = lst(t, "/d");
	e = lst(t, "/e");
	f = lst(t, "/d/s");
	nap();
	assert_int_equal(ren(t, "/d/s", "/e/s", 0), 0);
	assert_times(t, "/d", &d, 0, 1, 1);
	assert_times(t, "/e", &e, 0, 1, 1);
	assert_times(t, "/e/s", &f, 0, 0, 1);

	/* replacing: the victim, alive under a second name, gets a new ctime */
	mkfile(t, "/e/v");
	assert_int_equal(rd_link(t, RD_ROOT, "/e/v", RD_ROOT, "/e/v2", 0), 0);
	e = lst(t, "/e");
	f = lst(t, "/e/f");
	v = lst(t, "/e/v2");
	nap();
	assert_int_equal(ren(t, "/e/f", "/e/v", 0), 0);
	assert_times(t, "/e", &e, 0, 1, 1);
	assert_times(t, "/e/v", &f, 0, 0, 1);
	assert_times(t, "/e/v2", &v, 0, 0, 1);

	/* exchange: both parents and both nodes */
	mkfile(t, "/d/x");
	d = lst(t, "/d");
	e = lst(t, "/e");
	x = lst(t, "/d/x");
	v = lst(t, "/e/v");
	nap();
	assert_int_equal(ren(t, "/d/x", "/e/v", RENAME_EXCHANGE), 0);
	assert_times(t, "/d", &d, 0, 1, 1);
	assert_times(t, "/e", &e, 0, 1, 1);
	assert_times(t, "/e/v", &x, 0, 0, 1);
	assert_times(t, "/d/x", &v, 0, 0, 1);

	/* a rename onto itself changes nothing */
	d = lst(t, "/d");
	x = lst(t, "/d/x");
	nap();
	assert_int_equal(ren(t, "/d/x", "/d/x", 0), 0);
	assert_times(t, "/d", &d, 0, 0, 0);
	assert_times(t, "/d/x", &x, 0, 0, 0);
	tu_done(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_over_file),
		cmocka_unit_test(test_dirs),
		cmocka_unit_test(test_cross_directory),
		cmocka_unit_test(test_same_inode),
		cmocka_unit_test(test_noreplace),
		cmocka_unit_test(test_exchange),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

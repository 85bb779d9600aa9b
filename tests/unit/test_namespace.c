/* Namespace rules of mkdir, rmdir, unlink, link, symlink and readlink: the
 * results and errno values a Linux tmpfs gives (checked on a real tmpfs),
 * with the link counts and directory sizes each operation leaves behind. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void mkfile(rd_tree *t, const char *path)
{
	assert_int_equal(tu_put(t, path, "x", 1), 0);
}

/* lstat that must succeed. */
static struct stat lst(rd_tree *t, const char *path)
{
	struct stat st;

	memset(&st, 0, sizeof st);
	assert_int_equal(rd_stat(t, RD_ROOT, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st;
}

static void test_mkdir(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	nlink_t root_links;
	struct stat st;

	(void)state;
	root_links = lst(t, "/").st_nlink;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/a", 0777), 0);
	st = lst(t, "/a");
	/* the default umask is 022 */
	assert_int_equal(st.st_mode, S_IFDIR | 0755);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(st.st_size, 40);
	assert_int_equal(lst(t, "/").st_nlink, root_links + 1);

	assert_int_equal(rd_mkdir(t, RD_ROOT, "/a", 0777), -EEXIST);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/x/y", 0777), -ENOENT);
	mkfile(t, "/f");
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/f/y", 0777), -ENOTDIR);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/f", 0777), -EEXIST);
	/* a trailing slash is fine on a directory being created */
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/b/", 0777), 0);
	assert_true(S_ISDIR(lst(t, "/b").st_mode));
	/* a dangling symlink is an existing name: mkdir does not follow it */
	assert_int_equal(rd_symlink(t, "nowhere", RD_ROOT, "/dl"), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/dl", 0777), -EEXIST);
	assert_int_equal(rd_stat(t, RD_ROOT, "/nowhere", &st, 0), -ENOENT);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/a/.", 0777), -EEXIST);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/a/..", 0777), -EEXIST);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/", 0777), -EEXIST);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "", 0777), -ENOENT);
	/* relative to the root handle */
	assert_int_equal(rd_mkdir(t, RD_ROOT, "a/c", 0700), 0);
	assert_int_equal(lst(t, "/a/c").st_mode, S_IFDIR | 0700);
	assert_int_equal(lst(t, "/a").st_nlink, 3);

	rd_tree_set_umask(t, 077);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/m", 0777), 0);
	assert_int_equal(lst(t, "/m").st_mode, S_IFDIR | 0700);
	tu_done(t);
}

/* A trailing slash on an existing non-directory: the name exists (mkdir),
 * or does not name a directory (unlink, even through a dangling link). */
static void test_trailing_slash_on_file(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat st;

	(void)state;
	mkfile(t, "/f");
	assert_int_equal(rd_symlink(t, "nowhere", RD_ROOT, "/dl"), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/f/", 0777), -EEXIST);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/dl/", 0777), -EEXIST);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/dl/", 0), -ENOTDIR);
	assert_int_equal(rd_stat(t, RD_ROOT, "/dl", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(lst(t, "/f").st_mode));
	tu_done(t);
}

static void test_rmdir(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	nlink_t root_links;
	struct stat st;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/a", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/a/c", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/e", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/n", 0777), 0);
	mkfile(t, "/n/x");
	mkfile(t, "/f");
	assert_int_equal(rd_symlink(t, "a", RD_ROOT, "/sa"), 0);
	root_links = lst(t, "/").st_nlink;

	assert_int_equal(rd_unlink(t, RD_ROOT, "/a", AT_REMOVEDIR), -ENOTEMPTY);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/n", AT_REMOVEDIR), -ENOTEMPTY);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/f", AT_REMOVEDIR), -ENOTDIR);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/sa", AT_REMOVEDIR), -ENOTDIR);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/a/.", AT_REMOVEDIR), -EINVAL);
	assert_int_equal(rd_unlink(t, RD_ROOT, ".", AT_REMOVEDIR), -EINVAL);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/a/..", AT_REMOVEDIR), -ENOTEMPTY);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/", AT_REMOVEDIR), -EBUSY);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/nx", AT_REMOVEDIR), -ENOENT);
	assert_int_equal(rd_unlink(t, RD_ROOT, "", AT_REMOVEDIR), -ENOENT);
	/* nothing above changed the tree */
	assert_int_equal(lst(t, "/").st_nlink, root_links);
	assert_int_equal(lst(t, "/a").st_nlink, 3);

	/* a trailing slash is allowed on a directory */
	assert_int_equal(rd_unlink(t, RD_ROOT, "/a/c/", AT_REMOVEDIR), 0);
	assert_int_equal(rd_stat(t, RD_ROOT, "/a/c", &st, 0), -ENOENT);
	st = lst(t, "/a");
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(st.st_size, 40);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/a", AT_REMOVEDIR), 0);
	assert_int_equal(rd_unlink(t, RD_ROOT, "e", AT_REMOVEDIR), 0);
	assert_int_equal(lst(t, "/").st_nlink, root_links - 2);
	/* the symlink still exists, dangling now */
	assert_true(S_ISLNK(lst(t, "/sa").st_mode));
	tu_done(t);
}

static void test_unlink(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat st;
	off_t size;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/a", 0777), 0);
	mkfile(t, "/a/f1");
	mkfile(t, "/f");
	assert_int_equal(rd_symlink(t, "nowhere", RD_ROOT, "/dl"), 0);
	assert_int_equal(rd_symlink(t, "f", RD_ROOT, "/lf"), 0);

	assert_int_equal(rd_unlink(t, RD_ROOT, "/a", 0), -EISDIR);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/", 0), -EISDIR);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/nx", 0), -ENOENT);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/nx/y", 0), -ENOENT);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/f/y", 0), -ENOTDIR);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/f/", 0), -ENOTDIR);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/a/f1/", 0), -ENOTDIR);
	assert_int_equal(rd_unlink(t, RD_ROOT, "", 0), -ENOENT);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/f", 0x1234), -EINVAL);

	size = lst(t, "/").st_size;
	/* unlinking a symlink removes the link, not its target */
	assert_int_equal(rd_unlink(t, RD_ROOT, "/lf", 0), 0);
	assert_int_equal(rd_stat(t, RD_ROOT, "/lf", &st, AT_SYMLINK_NOFOLLOW), -ENOENT);
	assert_true(S_ISREG(lst(t, "/f").st_mode));
	assert_int_equal(rd_unlink(t, RD_ROOT, "/f", 0), 0);
	assert_int_equal(rd_stat(t, RD_ROOT, "/f", &st, 0), -ENOENT);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/f", 0), -ENOENT);
	assert_int_equal(lst(t, "/").st_size, size - 40);
	assert_int_equal(rd_unlink(t, RD_ROOT, "a/f1", 0), 0);
	assert_int_equal(lst(t, "/a").st_size, 40);
	tu_done(t);
}

static void test_link(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat st, st2;
	char buf[8];

	(void)state;
	assert_int_equal(tu_put(t, "/f", "hello", 5), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0777), 0);
	st = lst(t, "/f");
	assert_int_equal(st.st_nlink, 1);

	assert_int_equal(rd_link(t, RD_ROOT, "/f", RD_ROOT, "/g", 0), 0);
	assert_int_equal(rd_link(t, RD_ROOT, "f", RD_ROOT, "d/h", 0), 0);
	st2 = lst(t, "/d/h");
	assert_int_equal(st2.st_ino, st.st_ino);
	assert_int_equal(st2.st_nlink, 3);
	assert_int_equal(lst(t, "/g").st_nlink, 3);
	assert_int_equal(lst(t, "/d").st_size, 60);
	assert_int_equal(tu_get(t, "/d/h", buf, sizeof buf), 5);
	assert_memory_equal(buf, "hello", 5);

	assert_int_equal(rd_link(t, RD_ROOT, "/d", RD_ROOT, "/dl", 0), -EPERM);
	assert_int_equal(rd_link(t, RD_ROOT, "/f", RD_ROOT, "/g", 0), -EEXIST);
	assert_int_equal(rd_link(t, RD_ROOT, "/f", RD_ROOT, "/f", 0), -EEXIST);
	assert_int_equal(rd_link(t, RD_ROOT, "/f", RD_ROOT, "/d", 0), -EEXIST);
	assert_int_equal(rd_link(t, RD_ROOT, "/nx", RD_ROOT, "/y", 0), -ENOENT);
	assert_int_equal(rd_link(t, RD_ROOT, "/f", RD_ROOT, "/nx/y", 0), -ENOENT);
	assert_int_equal(rd_link(t, RD_ROOT, "/f", RD_ROOT, "/g/y", 0), -ENOTDIR);
	assert_int_equal(rd_link(t, RD_ROOT, "/f/", RD_ROOT, "/y", 0), -ENOTDIR);
	assert_int_equal(rd_link(t, RD_ROOT, "/f", RD_ROOT, "/y/", 0), -ENOENT);
	assert_int_equal(rd_link(t, RD_ROOT, "", RD_ROOT, "/y", 0), -ENOENT);
	assert_int_equal(rd_link(t, RD_ROOT, "/f", RD_ROOT, "", 0), -ENOENT);
	assert_int_equal(lst(t, "/f").st_nlink, 3);

	/* without AT_SYMLINK_FOLLOW the symlink itself is linked */
	assert_int_equal(rd_symlink(t, "f", RD_ROOT, "/l"), 0);
	assert_int_equal(rd_link(t, RD_ROOT, "/l", RD_ROOT, "/l2", 0), 0);
	st2 = lst(t, "/l2");
	assert_true(S_ISLNK(st2.st_mode));
	assert_int_equal(st2.st_nlink, 2);
	assert_int_equal(st2.st_ino, lst(t, "/l").st_ino);
	assert_int_equal(rd_link(t, RD_ROOT, "/l", RD_ROOT, "/l3", AT_SYMLINK_FOLLOW), 0);
	st2 = lst(t, "/l3");
	assert_true(S_ISREG(st2.st_mode));
	assert_int_equal(st2.st_ino, st.st_ino);
	assert_int_equal(st2.st_nlink, 4);

	/* each unlink drops one link; the data lives while a name remains */
	assert_int_equal(rd_unlink(t, RD_ROOT, "/f", 0), 0);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/g", 0), 0);
	assert_int_equal(lst(t, "/d/h").st_nlink, 2);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/l3", 0), 0);
	assert_int_equal(lst(t, "/d/h").st_nlink, 1);
	assert_int_equal(tu_get(t, "/d/h", buf, sizeof buf), 5);
	assert_memory_equal(buf, "hello", 5);
	tu_done(t);
}

static void test_symlink_readlink(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	char buf[4200], *big;
	struct stat st;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/a", 0777), 0);
	mkfile(t, "/f");
	assert_int_equal(rd_symlink(t, "abc", RD_ROOT, "/s1"), 0);
	st = lst(t, "/s1");
	assert_int_equal(st.st_mode, S_IFLNK | 0777);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(st.st_size, 3);

	memset(buf, '#', sizeof buf);
	assert_int_equal(rd_readlink(t, RD_ROOT, "/s1", buf, sizeof buf), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(buf[3], '#'); /* no NUL added */
	memset(buf, '#', sizeof buf);
	assert_int_equal(rd_readlink(t, RD_ROOT, "/s1", buf, 2), 2);
	assert_memory_equal(buf, "ab#", 3);
	assert_int_equal(rd_readlink(t, RD_ROOT, "/s1", buf, 0), -EINVAL);

	assert_int_equal(rd_readlink(t, RD_ROOT, "/f", buf, 10), -EINVAL);
	assert_int_equal(rd_readlink(t, RD_ROOT, "/a", buf, 10), -EINVAL);
	assert_int_equal(rd_readlink(t, RD_ROOT, "/", buf, 10), -EINVAL);
	assert_int_equal(rd_readlink(t, RD_ROOT, "/nx", buf, 10), -ENOENT);
	/* a trailing slash follows the link: a directory is not a symlink,
	 * a dangling link leads nowhere */
	assert_int_equal(rd_symlink(t, "a", RD_ROOT, "/sa"), 0);
	assert_int_equal(rd_readlink(t, RD_ROOT, "/sa/", buf, 10), -EINVAL);
	assert_int_equal(rd_readlink(t, RD_ROOT, "/s1/", buf, 10), -ENOENT);
	/* a symlink in the middle of the path is followed */
	assert_int_equal(rd_symlink(t, "../s1", RD_ROOT, "/a/up"), 0);
	assert_int_equal(rd_readlink(t, RD_ROOT, "/sa/up", buf, sizeof buf), 5);
	assert_memory_equal(buf, "../s1", 5);

	assert_int_equal(rd_symlink(t, "", RD_ROOT, "/e1"), -ENOENT);
	assert_int_equal(rd_symlink(t, "f", RD_ROOT, "/f"), -EEXIST);
	assert_int_equal(rd_symlink(t, "f", RD_ROOT, "/a"), -EEXIST);
	assert_int_equal(rd_symlink(t, "f", RD_ROOT, "/nx/l"), -ENOENT);
	assert_int_equal(rd_symlink(t, "f", RD_ROOT, "/f/l"), -ENOTDIR);
	assert_int_equal(rd_symlink(t, "f", RD_ROOT, ""), -ENOENT);

	/* the longest target is 4095 bytes; one more is ENAMETOOLONG */
	big = malloc(4097);
	assert_non_null(big);
	memset(big, 'y', 4096);
	big[4096] = '\0';
	assert_int_equal(rd_symlink(t, big, RD_ROOT, "/toolong"), -ENAMETOOLONG);
	big[4095] = '\0';
	big[100] = '/';
	assert_int_equal(rd_symlink(t, big, RD_ROOT, "/long"), 0);
	assert_int_equal(lst(t, "/long").st_size, 4095);
	assert_int_equal(rd_readlink(t, RD_ROOT, "/long", buf, sizeof buf), 4095);
	assert_memory_equal(buf, big, 4095);
	assert_int_equal(rd_readlink(t, RD_ROOT, "/long", buf, 1000), 1000);
	assert_memory_equal(buf, big, 1000);
	free(big);

	/* symlink() relative to a directory handle */
	{
		rd_fh dh;

		assert_int_equal(rd_open(t, RD_ROOT, "/a", O_RDONLY | O_DIRECTORY, 0, &dh), 0);
		assert_int_equal(rd_symlink(t, "../f", dh, "rl"), 0);
		assert_int_equal(rd_readlink(t, dh, "rl", buf, sizeof buf), 4);
		assert_memory_equal(buf, "../f", 4);
		assert_int_equal(rd_stat(t, RD_ROOT, "/a/rl", &st, 0), 0);
		assert_int_equal(st.st_ino, lst(t, "/f").st_ino);
		assert_int_equal(rd_close(t, dh), 0);
	}
	tu_done(t);
}

/* A directory's name index doubles as it fills; an allocation refused at
 * any point of that (each page allocation in turn) only costs speed: the
 * new name is there or the call said ENOSPC, and every earlier name is
 * still found. 1025 names: the index doubles at every power of two. */
static void test_index_growth_refused(void **state)
{
	enum { N = 1024 };
	char name[32];
	struct stat st;

	(void)state;
	for (uint64_t n = 1; n <= 12; n++) {
		rd_tree *t = tu_tree(0, 0);
		int rc;

		assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0755), 0);
		for (int i = 0; i < N; i++) {
			snprintf(name, sizeof name, "/d/f%d", i);
			assert_int_equal(rd_mkdir(t, RD_ROOT, name, 0755), 0);
		}
		rd_test_fail_alloc_after(n);
		rc = rd_mkdir(t, RD_ROOT, "/d/last", 0755);
		rd_test_fail_alloc_after(0);
		if (rc == 0)
			assert_int_equal(rd_stat(t, RD_ROOT, "/d/last", &st, 0), 0);
		else
			assert_int_equal(rc, -ENOSPC);
		for (int i = 0; i < N; i++) {
			snprintf(name, sizeof name, "/d/f%d", i);
			assert_int_equal(rd_stat(t, RD_ROOT, name, &st, 0), 0);
		}
		/* and it goes on growing */
		for (int i = N; i < 2 * N + 1; i++) {
			snprintf(name, sizeof name, "/d/f%d", i);
			assert_int_equal(rd_mkdir(t, RD_ROOT, name, 0755), 0);
		}
		for (int i = 0; i < 2 * N + 1; i++) {
			snprintf(name, sizeof name, "/d/f%d", i);
			assert_int_equal(rd_stat(t, RD_ROOT, name, &st, 0), 0);
		}
		tu_done(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mkdir),
		cmocka_unit_test(test_trailing_slash_on_file),
		cmocka_unit_test(test_rmdir),
		cmocka_unit_test(test_unlink),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_symlink_readlink),
		cmocka_unit_test(test_index_growth_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

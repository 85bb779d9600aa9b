/* Path resolution: dots, slashes, handle bases, AT_EMPTY_PATH, symlinks and
 * the 40-link limit, name and path length limits, escapes out of the tree
 * through ".." or absolute symlinks, and rd_fh_path. Reference: Linux tmpfs. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void mkfile(rd_tree *t, const char *path)
{
	assert_int_equal(tu_put(t, path, "x", 1), 0);
}

static ino_t ino_of(rd_tree *t, rd_fh dir, const char *path, int flags)
{
	struct stat st;

	assert_int_equal(rd_stat(t, dir, path, &st, flags), 0);
	return st.st_ino;
}

static mode_t mode_of(rd_tree *t, const char *path)
{
	struct stat st;

	assert_int_equal(rd_stat(t, RD_ROOT, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st.st_mode;
}

/* /a/b/f, /f and the symlinks the tests below walk through. */
static rd_tree *fixture(void)
{
	rd_tree *t = tu_tree(0, 0);

	assert_int_equal(rd_mkdir(t, RD_ROOT, "/a", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/a/b", 0777), 0);
	mkfile(t, "/a/b/f");
	mkfile(t, "/f");
	return t;
}

static void test_dots_and_slashes(void **state)
{
	rd_tree *t = fixture();
	ino_t f = ino_of(t, RD_ROOT, "/a/b/f", 0);
	ino_t b = ino_of(t, RD_ROOT, "/a/b", 0);
	ino_t root = ino_of(t, RD_ROOT, "/", 0);
	struct stat st;

	(void)state;
	assert_int_equal(ino_of(t, RD_ROOT, "/a/./b/../b//f", 0), f);
	assert_int_equal(ino_of(t, RD_ROOT, "//a//b///f", 0), f);
	assert_int_equal(ino_of(t, RD_ROOT, "a/b/f", 0), f);
	assert_int_equal(ino_of(t, RD_ROOT, "./a/b/f", 0), f);
	assert_int_equal(ino_of(t, RD_ROOT, "/a/b/", 0), b);
	assert_int_equal(ino_of(t, RD_ROOT, "/a/b/.", 0), b);
	assert_int_equal(ino_of(t, RD_ROOT, "/a/b/..", 0), ino_of(t, RD_ROOT, "/a", 0));
	assert_int_equal(ino_of(t, RD_ROOT, "/a/..", 0), root);
	assert_int_equal(ino_of(t, RD_ROOT, ".", 0), root);
	assert_int_equal(ino_of(t, RD_ROOT, "//", 0), root);
	assert_int_equal(ino_of(t, RD_ROOT, "", AT_EMPTY_PATH), root);

	assert_int_equal(rd_stat(t, RD_ROOT, "", &st, 0), -ENOENT);
	assert_int_equal(rd_stat(t, RD_ROOT, "/nx", &st, 0), -ENOENT);
	assert_int_equal(rd_stat(t, RD_ROOT, "/nx/..", &st, 0), -ENOENT);
	/* a regular file is not a directory, whatever follows it */
	assert_int_equal(rd_stat(t, RD_ROOT, "/f/", &st, 0), -ENOTDIR);
	assert_int_equal(rd_stat(t, RD_ROOT, "/f/", &st, AT_SYMLINK_NOFOLLOW), -ENOTDIR);
	assert_int_equal(rd_stat(t, RD_ROOT, "/f/.", &st, 0), -ENOTDIR);
	assert_int_equal(rd_stat(t, RD_ROOT, "/f/..", &st, 0), -ENOTDIR);
	assert_int_equal(rd_stat(t, RD_ROOT, "/f/x", &st, 0), -ENOTDIR);
	assert_int_equal(rd_access(t, RD_ROOT, "/f/", F_OK, 0), -ENOTDIR);
	tu_done(t);
}

static void test_open_trailing_slash(void **state)
{
	rd_tree *t = fixture();
	rd_fh fh;

	(void)state;
	assert_int_equal(rd_open(t, RD_ROOT, "/f/", O_RDONLY, 0, &fh), -ENOTDIR);
	assert_int_equal(rd_open(t, RD_ROOT, "/f/", O_WRONLY | O_CREAT, 0644, &fh), -EISDIR);
	assert_int_equal(rd_open(t, RD_ROOT, "/new/", O_WRONLY | O_CREAT, 0644, &fh), -EISDIR);
	assert_int_equal(rd_open(t, RD_ROOT, "/f", O_RDONLY | O_DIRECTORY, 0, &fh), -ENOTDIR);
	assert_int_equal(rd_open(t, RD_ROOT, "", O_RDONLY, 0, &fh), -ENOENT);
	assert_int_equal(rd_access(t, RD_ROOT, "/new", F_OK, 0), -ENOENT);
	assert_int_equal(rd_open(t, RD_ROOT, "/a/", O_RDONLY, 0, &fh), 0);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

static void test_dir_handle_base(void **state)
{
	rd_tree *t = fixture();
	rd_fh dh, fh;
	struct stat st;

	(void)state;
	assert_int_equal(rd_open(t, RD_ROOT, "/a", O_RDONLY | O_DIRECTORY, 0, &dh), 0);
	assert_int_equal(ino_of(t, dh, "b/f", 0), ino_of(t, RD_ROOT, "/a/b/f", 0));
	assert_int_equal(ino_of(t, dh, "../f", 0), ino_of(t, RD_ROOT, "/f", 0));
	assert_int_equal(ino_of(t, dh, "./b", 0), ino_of(t, RD_ROOT, "/a/b", 0));
	/* absolute paths ignore the base */
	assert_int_equal(ino_of(t, dh, "/f", 0), ino_of(t, RD_ROOT, "/f", 0));
	assert_int_equal(ino_of(t, dh, "", AT_EMPTY_PATH), ino_of(t, RD_ROOT, "/a", 0));
	assert_int_equal(rd_stat(t, dh, "", &st, 0), -ENOENT);
	assert_int_equal(rd_stat(t, dh, "f", &st, 0), -ENOENT);

	assert_int_equal(rd_mkdir(t, dh, "nd", 0777), 0);
	assert_true(S_ISDIR(mode_of(t, "/a/nd")));
	mkfile(t, "/a/nd/g");
	assert_int_equal(rd_unlink(t, dh, "nd/g", 0), 0);
	assert_int_equal(rd_unlink(t, dh, "nd", AT_REMOVEDIR), 0);
	assert_int_equal(rd_stat(t, RD_ROOT, "/a/nd", &st, 0), -ENOENT);

	/* the base stays valid when its directory is renamed */
	assert_int_equal(rd_rename(t, RD_ROOT, "/a", RD_ROOT, "/z", 0), 0);
	assert_int_equal(ino_of(t, dh, "b/f", 0), ino_of(t, RD_ROOT, "/z/b/f", 0));

	/* a regular file as base */
	assert_int_equal(rd_open(t, RD_ROOT, "/f", O_RDONLY, 0, &fh), 0);
	assert_int_equal(rd_stat(t, fh, "x", &st, 0), -ENOTDIR);
	assert_int_equal(rd_stat(t, fh, "", &st, AT_EMPTY_PATH), 0);
	assert_int_equal(st.st_ino, ino_of(t, RD_ROOT, "/f", 0));
	assert_int_equal(rd_close(t, fh), 0);
	assert_int_equal(rd_close(t, dh), 0);
	tu_done(t);
}

static void test_symlinks(void **state)
{
	rd_tree *t = fixture();
	ino_t f = ino_of(t, RD_ROOT, "/f", 0);
	struct stat st;
	rd_fh fh;

	(void)state;
	assert_int_equal(rd_symlink(t, "a/b", RD_ROOT, "/rel"), 0);
	assert_int_equal(rd_symlink(t, "../f", RD_ROOT, "/a/up"), 0);
	assert_int_equal(rd_symlink(t, "../../a/b/f", RD_ROOT, "/a/b/deep"), 0);
	assert_int_equal(rd_symlink(t, "nowhere", RD_ROOT, "/dang"), 0);
	assert_int_equal(rd_symlink(t, "f", RD_ROOT, "/lf"), 0);

	assert_int_equal(ino_of(t, RD_ROOT, "/rel/f", 0), ino_of(t, RD_ROOT, "/a/b/f", 0));
	assert_int_equal(ino_of(t, RD_ROOT, "/a/up", 0), f);
	assert_int_equal(ino_of(t, RD_ROOT, "/rel/deep", 0), ino_of(t, RD_ROOT, "/a/b/f", 0));
	/* ".." after a followed symlink is the parent of the target */
	assert_int_equal(ino_of(t, RD_ROOT, "/rel/..", 0), ino_of(t, RD_ROOT, "/a", 0));
	assert_int_equal(rd_stat(t, RD_ROOT, "/dang", &st, 0), -ENOENT);
	assert_int_equal(rd_stat(t, RD_ROOT, "/dang", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* a trailing slash follows even with AT_SYMLINK_NOFOLLOW */
	assert_int_equal(rd_stat(t, RD_ROOT, "/rel/", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(rd_stat(t, RD_ROOT, "/lf/", &st, AT_SYMLINK_NOFOLLOW), -ENOTDIR);
	assert_int_equal(rd_stat(t, RD_ROOT, "/dang/", &st, AT_SYMLINK_NOFOLLOW), -ENOENT);

	/* O_NOFOLLOW refuses only a symlink in the last component */
	assert_int_equal(rd_open(t, RD_ROOT, "/lf", O_RDONLY | O_NOFOLLOW, 0, &fh), -ELOOP);
	assert_int_equal(rd_open(t, RD_ROOT, "/rel/f", O_RDONLY | O_NOFOLLOW, 0, &fh), 0);
	assert_int_equal(rd_close(t, fh), 0);
	/* O_CREAT through a dangling symlink creates its target... */
	assert_int_equal(rd_open(t, RD_ROOT, "/dang", O_WRONLY | O_CREAT, 0644, &fh), 0);
	assert_int_equal(rd_close(t, fh), 0);
	assert_true(S_ISREG(mode_of(t, "/nowhere")));
	assert_int_equal(ino_of(t, RD_ROOT, "/dang", 0), ino_of(t, RD_ROOT, "/nowhere", 0));
	/* ...but O_EXCL never follows */
	assert_int_equal(rd_unlink(t, RD_ROOT, "/nowhere", 0), 0);
	assert_int_equal(rd_open(t, RD_ROOT, "/dang", O_WRONLY | O_CREAT | O_EXCL, 0644, &fh), -EEXIST);
	assert_int_equal(rd_stat(t, RD_ROOT, "/nowhere", &st, 0), -ENOENT);
	tu_done(t);
}

static void test_loops(void **state)
{
	rd_tree *t = fixture();
	struct stat st;
	rd_fh fh;

	(void)state;
	assert_int_equal(rd_symlink(t, "loop", RD_ROOT, "/loop"), 0);
	assert_int_equal(rd_symlink(t, "y", RD_ROOT, "/x"), 0);
	assert_int_equal(rd_symlink(t, "x", RD_ROOT, "/y"), 0);
	assert_int_equal(rd_stat(t, RD_ROOT, "/loop", &st, 0), -ELOOP);
	assert_int_equal(rd_stat(t, RD_ROOT, "/x", &st, 0), -ELOOP);
	assert_int_equal(rd_stat(t, RD_ROOT, "/x/foo", &st, 0), -ELOOP);
	assert_int_equal(rd_open(t, RD_ROOT, "/y", O_RDONLY, 0, &fh), -ELOOP);
	assert_int_equal(rd_stat(t, RD_ROOT, "/x", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISLNK(st.st_mode));
	tu_done(t);
}

/* Linux follows at most 40 symlinks in one resolution (MAXSYMLINKS). */
static void test_forty_links(void **state)
{
	rd_tree *t = fixture();
	char from[32], to[32];
	struct stat st;
	rd_fh fh;
	int i;

	(void)state;
	/* /ch/c0 -> ../f, /ch/cI -> cI-1: resolving /ch/cN follows N+1 links */
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/ch", 0777), 0);
	assert_int_equal(rd_symlink(t, "../f", RD_ROOT, "/ch/c0"), 0);
	for (i = 1; i <= 41; i++) {
		snprintf(to, sizeof to, "c%d", i - 1);
		snprintf(from, sizeof from, "/ch/c%d", i);
		assert_int_equal(rd_symlink(t, to, RD_ROOT, from), 0);
	}
	assert_int_equal(rd_stat(t, RD_ROOT, "/ch/c39", &st, 0), 0);
	assert_int_equal(st.st_ino, ino_of(t, RD_ROOT, "/f", 0));
	assert_int_equal(rd_stat(t, RD_ROOT, "/ch/c40", &st, 0), -ELOOP);
	assert_int_equal(rd_stat(t, RD_ROOT, "/ch/c41", &st, 0), -ELOOP);
	assert_int_equal(rd_stat(t, RD_ROOT, "/ch/c40", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(rd_open(t, RD_ROOT, "/ch/c39", O_RDONLY, 0, &fh), 0);
	assert_int_equal(rd_close(t, fh), 0);
	assert_int_equal(rd_open(t, RD_ROOT, "/ch/c40", O_RDONLY, 0, &fh), -ELOOP);

	/* the count is over the whole walk, intermediate components included:
	 * /d0 -> a, /dI -> dI-1 */
	assert_int_equal(rd_symlink(t, "a", RD_ROOT, "/d0"), 0);
	for (i = 1; i <= 40; i++) {
		snprintf(to, sizeof to, "d%d", i - 1);
		snprintf(from, sizeof from, "/d%d", i);
		assert_int_equal(rd_symlink(t, to, RD_ROOT, from), 0);
	}
	assert_int_equal(rd_symlink(t, "../f", RD_ROOT, "/a/up"), 0);
	assert_int_equal(rd_stat(t, RD_ROOT, "/d39/b/f", &st, 0), 0);
	assert_int_equal(rd_stat(t, RD_ROOT, "/d40/b/f", &st, 0), -ELOOP);
	assert_int_equal(rd_stat(t, RD_ROOT, "/d38/up", &st, 0), 0);
	assert_int_equal(rd_stat(t, RD_ROOT, "/d39/b/../up", &st, 0), -ELOOP);
	tu_done(t);
}

static void test_name_limits(void **state)
{
	rd_tree *t = fixture();
	char name[300], *path;
	struct stat st;
	rd_fh fh;
	size_t i;

	(void)state;
	name[0] = '/';
	memset(name + 1, 'n', 255);
	name[256] = '\0';
	assert_int_equal(rd_stat(t, RD_ROOT, name, &st, 0), -ENOENT);
	assert_int_equal(rd_open(t, RD_ROOT, name, O_WRONLY | O_CREAT, 0644, &fh), 0);
	assert_int_equal(rd_close(t, fh), 0);
	assert_int_equal(rd_stat(t, RD_ROOT, name, &st, 0), 0);
	assert_int_equal(rd_unlink(t, RD_ROOT, name, 0), 0);

	memset(name + 1, 'm', 256);
	name[257] = '\0';
	assert_int_equal(rd_stat(t, RD_ROOT, name, &st, 0), -ENAMETOOLONG);
	assert_int_equal(rd_open(t, RD_ROOT, name, O_WRONLY | O_CREAT, 0644, &fh), -ENAMETOOLONG);
	assert_int_equal(rd_mkdir(t, RD_ROOT, name, 0777), -ENAMETOOLONG);
	assert_int_equal(rd_symlink(t, "x", RD_ROOT, name), -ENAMETOOLONG);
	assert_int_equal(rd_link(t, RD_ROOT, "/f", RD_ROOT, name, 0), -ENAMETOOLONG);
	assert_int_equal(rd_rename(t, RD_ROOT, "/f", RD_ROOT, name, 0), -ENAMETOOLONG);
	/* a long component inside a symlink target is only data */
	assert_int_equal(rd_symlink(t, name + 1, RD_ROOT, "/lm"), 0);
	assert_int_equal(rd_stat(t, RD_ROOT, "/lm", &st, 0), -ENAMETOOLONG);

	/* PATH_MAX is 4096 with the NUL: 4095 bytes resolve, 4096 do not */
	path = malloc(4200);
	assert_non_null(path);
	path[0] = '.';
	memset(path + 1, '/', 4094);
	path[4095] = '\0';
	assert_int_equal(strlen(path), 4095);
	assert_int_equal(rd_stat(t, RD_ROOT, path, &st, 0), 0);
	path[4095] = '/';
	path[4096] = '\0';
	assert_int_equal(rd_stat(t, RD_ROOT, path, &st, 0), -ENAMETOOLONG);
	memset(path, 'z', 4096);
	for (i = 200; i < 4096; i += 200)
		path[i] = '/';
	path[4095] = '\0';
	assert_int_equal(rd_stat(t, RD_ROOT, path, &st, 0), -ENOENT);
	path[4095] = 'z';
	path[4096] = '\0';
	assert_int_equal(rd_stat(t, RD_ROOT, path, &st, 0), -ENAMETOOLONG);
	assert_int_equal(rd_mkdir(t, RD_ROOT, path, 0777), -ENAMETOOLONG);
	free(path);
	tu_done(t);
}

static void test_empty_path(void **state)
{
	rd_tree *t = fixture();
	struct stat st;
	char buf[8];
	rd_fh fh;

	(void)state;
	assert_int_equal(rd_stat(t, RD_ROOT, "", &st, 0), -ENOENT);
	assert_int_equal(rd_stat(t, RD_ROOT, "", &st, AT_SYMLINK_NOFOLLOW), -ENOENT);
	assert_int_equal(rd_access(t, RD_ROOT, "", F_OK, 0), -ENOENT);
	assert_int_equal(rd_chmod(t, RD_ROOT, "", 0700, 0), -ENOENT);
	assert_int_equal(rd_open(t, RD_ROOT, "", O_RDONLY, 0, &fh), -ENOENT);
	assert_int_equal(rd_truncate(t, RD_ROOT, "", 0), -ENOENT);

	/* AT_EMPTY_PATH operates on the handle itself */
	assert_int_equal(rd_open(t, RD_ROOT, "/a/b/f", O_RDONLY, 0, &fh), 0);
	assert_int_equal(rd_stat(t, fh, "", &st, AT_EMPTY_PATH), 0);
	assert_int_equal(st.st_ino, ino_of(t, RD_ROOT, "/a/b/f", 0));
	assert_int_equal(rd_close(t, fh), 0);
	assert_int_equal(rd_readlink(t, RD_ROOT, "", buf, sizeof buf), -ENOENT);
	tu_done(t);
}

static void assert_escape(int rc, enum rd_escape_kind kind, const char *rest)
{
	assert_int_equal(rc, -RD_EESCAPE);
	assert_int_equal(rd_escape_kind(), kind);
	assert_string_equal(rd_escape_path(), rest);
}

/* A thread's escape path is its own, and outlives no thread. */
struct esc_arg {
	rd_tree *t;
	int i;
	int ok;
};

static void *escape_thread(void *p)
{
	struct esc_arg *a = p;
	char path[32], want[16];
	struct stat st;

	snprintf(path, sizeof path, "/../t%d", a->i);
	snprintf(want, sizeof want, "t%d", a->i);
	a->ok = rd_stat(a->t, RD_ROOT, path, &st, 0) == -RD_EESCAPE && !strcmp(rd_escape_path(), want);
	return NULL;
}

static void test_escape_per_thread(void **state)
{
	rd_tree *t = fixture();
	struct stat st;

	(void)state;
	assert_escape(rd_stat(t, RD_ROOT, "/../main", &st, 0), RD_ESC_ABOVE_ROOT, "main");
	/* one after another (each thread's page unmapped at its exit), then
	 * two at once */
	for (int i = 0; i < 64; i++) {
		struct esc_arg a = {t, i, 0};
		pthread_t th;

		assert_int_equal(pthread_create(&th, NULL, escape_thread, &a), 0);
		assert_int_equal(pthread_join(th, NULL), 0);
		assert_true(a.ok);
	}
	{
		struct esc_arg a = {t, 100, 0}, b = {t, 101, 0};
		pthread_t ta, tb;

		assert_int_equal(pthread_create(&ta, NULL, escape_thread, &a), 0);
		assert_int_equal(pthread_create(&tb, NULL, escape_thread, &b), 0);
		assert_int_equal(pthread_join(ta, NULL), 0);
		assert_int_equal(pthread_join(tb, NULL), 0);
		assert_true(a.ok && b.ok);
	}
	assert_string_equal(rd_escape_path(), "main");
	tu_done(t);
}

static void test_escapes(void **state)
{
	rd_tree *t = fixture();
	struct stat st;
	char buf[32];
	rd_fh dh, fh;

	(void)state;
	assert_escape(rd_stat(t, RD_ROOT, "/../x", &st, 0), RD_ESC_ABOVE_ROOT, "x");
	assert_int_equal(rd_escape_hops(), 0);
	assert_escape(rd_stat(t, RD_ROOT, "a/../../x", &st, 0), RD_ESC_ABOVE_ROOT, "x");
	assert_escape(rd_stat(t, RD_ROOT, "/a/b/../../../etc/hosts", &st, 0), RD_ESC_ABOVE_ROOT,
		      "etc/hosts");
	assert_int_equal(rd_open(t, RD_ROOT, "/a", O_RDONLY | O_DIRECTORY, 0, &dh), 0);
	assert_escape(rd_stat(t, dh, "../../x", &st, 0), RD_ESC_ABOVE_ROOT, "x");
	assert_escape(rd_mkdir(t, dh, "../../newdir", 0777), RD_ESC_ABOVE_ROOT, "newdir");
	assert_int_equal(rd_close(t, dh), 0);

	/* an absolute symlink leaves the tree with the rest of the walk */
	assert_int_equal(rd_symlink(t, "/etc", RD_ROOT, "/l"), 0);
	assert_escape(rd_stat(t, RD_ROOT, "/l/hosts", &st, 0), RD_ESC_ABSOLUTE, "/etc/hosts");
	assert_int_equal(rd_escape_hops(), 1);
	assert_escape(rd_stat(t, RD_ROOT, "/l", &st, 0), RD_ESC_ABSOLUTE, "/etc");
	assert_escape(rd_open(t, RD_ROOT, "/l/hosts", O_RDONLY, 0, &fh), RD_ESC_ABSOLUTE, "/etc/hosts");
	assert_escape(rd_mkdir(t, RD_ROOT, "/l/newdir", 0777), RD_ESC_ABSOLUTE, "/etc/newdir");
	/* a relative link reaching an absolute one: two hops */
	assert_int_equal(rd_symlink(t, "l/hosts", RD_ROOT, "/s2"), 0);
	assert_escape(rd_stat(t, RD_ROOT, "/s2", &st, 0), RD_ESC_ABSOLUTE, "/etc/hosts");
	assert_int_equal(rd_escape_hops(), 2);
	/* a relative link climbing above the root */
	assert_int_equal(rd_symlink(t, "../outside", RD_ROOT, "/up"), 0);
	assert_escape(rd_stat(t, RD_ROOT, "/up/f", &st, 0), RD_ESC_ABOVE_ROOT, "outside/f");

	/* the symlink itself is in the tree */
	assert_int_equal(rd_stat(t, RD_ROOT, "/l", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(st.st_size, 4);
	assert_int_equal(rd_readlink(t, RD_ROOT, "/l", buf, sizeof buf), 4);
	assert_memory_equal(buf, "/etc", 4);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/l", 0), 0);
	tu_done(t);
}

static void test_fh_path_dir(void **state)
{
	rd_tree *t = fixture();
	char buf[256];
	rd_fh root, dh;

	(void)state;
	assert_int_equal(rd_open(t, RD_ROOT, "/", O_RDONLY | O_DIRECTORY, 0, &root), 0);
	assert_int_equal(rd_fh_path(t, root, buf, sizeof buf), 0);
	assert_string_equal(buf, "/");
	assert_int_equal(rd_open(t, RD_ROOT, "/a/b", O_RDONLY | O_DIRECTORY, 0, &dh), 0);
	assert_int_equal(rd_fh_path(t, dh, buf, sizeof buf), 0);
	assert_string_equal(buf, "/a/b");

	/* the path follows renames of the directory and its ancestors */
	assert_int_equal(rd_rename(t, RD_ROOT, "/a", RD_ROOT, "/z", 0), 0);
	assert_int_equal(rd_fh_path(t, dh, buf, sizeof buf), 0);
	assert_string_equal(buf, "/z/b");
	assert_int_equal(rd_rename(t, RD_ROOT, "/z/b", RD_ROOT, "/y", 0), 0);
	assert_int_equal(rd_fh_path(t, dh, buf, sizeof buf), 0);
	assert_string_equal(buf, "/y");

	/* removed: ENOENT, as getcwd(3) in a removed directory */
	assert_int_equal(rd_unlink(t, RD_ROOT, "/y/f", 0), 0);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/y", AT_REMOVEDIR), 0);
	assert_int_equal(rd_fh_path(t, dh, buf, sizeof buf), -ENOENT);
	assert_int_equal(rd_close(t, dh), 0);
	assert_int_equal(rd_close(t, root), 0);
	tu_done(t);
}

/* core.h: rd_fh_path names directories only; a file may have many names
 * or none, so any other handle gets -ENOTDIR, named or unlinked. */
static void test_fh_path_file(void **state)
{
	rd_tree *t = fixture();
	char buf[256];
	rd_fh fh;

	(void)state;
	assert_int_equal(rd_open(t, RD_ROOT, "/a/b/f", O_RDONLY, 0, &fh), 0);
	assert_int_equal(rd_fh_path(t, fh, buf, sizeof buf), -ENOTDIR);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/a/b/f", 0), 0);
	assert_int_equal(rd_fh_path(t, fh, buf, sizeof buf), -ENOTDIR);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dots_and_slashes),
		cmocka_unit_test(test_open_trailing_slash),
		cmocka_unit_test(test_dir_handle_base),
		cmocka_unit_test(test_symlinks),
		cmocka_unit_test(test_loops),
		cmocka_unit_test(test_forty_links),
		cmocka_unit_test(test_name_limits),
		cmocka_unit_test(test_empty_path),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_escape_per_thread),
		cmocka_unit_test(test_fh_path_dir),
		cmocka_unit_test(test_fh_path_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

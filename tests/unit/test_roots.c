/* Mount roots of a tree made for several prefixes (rd_config.roots): the
 * directories /0 ... made with the tree, ".." out of each one reported as
 * an escape naming that root, EBUSY for removing or renaming one, EXDEV
 * for rename and link between two, EPERM for creating beside them, one
 * quota for all. A tree with one root must behave exactly as before. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

static rd_tree *roots_tree(unsigned n, uint64_t quota, uint64_t max_nodes, int shared)
{
	struct rd_config cfg;
	rd_tree *t = NULL;

	rd_config_default(&cfg);
	cfg.quota = quota ? quota : 64u << 20;
	cfg.max_nodes = max_nodes;
	cfg.shared = shared;
	cfg.roots = n;
	assert_int_equal(rd_tree_create(&cfg, &t), 0);
	return t;
}

static ino_t ino_of(rd_tree *t, rd_fh dir, const char *path)
{
	struct stat st;

	assert_int_equal(rd_stat(t, dir, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st.st_ino;
}

static void test_made_with_the_tree(void **state)
{
	rd_tree *t = roots_tree(3, 0, 0, 0);
	struct rd_stats st = tu_stats(t);
	struct stat sb;
	char name[4];

	(void)state;
	assert_int_equal(rd_tree_roots(t), 3);
	assert_int_equal(st.nodes, 4); /* the tree root and three mount roots */
	assert_int_equal(st.dirs_created, 0);
	assert_int_equal(st.bytes_used, st.bytes_baseline);
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "/%d", i);
		assert_int_equal(rd_stat(t, RD_ROOT, name, &sb, 0), 0);
		assert_true(S_ISDIR(sb.st_mode));
		assert_int_equal(sb.st_mode & 07777, 01777);
		assert_int_equal(sb.st_nlink, 2);
	}
	assert_int_equal(rd_stat(t, RD_ROOT, "/3", &sb, 0), -ENOENT);
	assert_int_equal(rd_stat(t, RD_ROOT, "/", &sb, 0), 0);
	assert_int_equal(sb.st_nlink, 5);
	tu_done(t);
}

static void test_counts_and_limits(void **state)
{
	struct rd_config cfg;
	rd_tree *t = NULL;
	struct stat sb;

	(void)state;
	/* one root: nothing extra, whether 0 or 1 is asked for */
	t = roots_tree(1, 0, 0, 0);
	assert_int_equal(rd_tree_roots(t), 1);
	assert_int_equal(tu_stats(t).nodes, 1);
	assert_int_equal(rd_stat(t, RD_ROOT, "/0", &sb, 0), -ENOENT);
	tu_done(t);
	t = roots_tree(0, 0, 0, 0);
	assert_int_equal(rd_tree_roots(t), 1);
	tu_done(t);
	/* sixteen, the last one named by its hex digit */
	t = roots_tree(RD_MAX_ROOTS, 0, 0, 0);
	assert_int_equal(rd_tree_roots(t), 16);
	assert_int_equal(rd_stat(t, RD_ROOT, "/9", &sb, 0), 0);
	assert_int_equal(rd_stat(t, RD_ROOT, "/a", &sb, 0), 0);
	assert_int_equal(rd_stat(t, RD_ROOT, "/f", &sb, 0), 0);
	tu_done(t);

	rd_config_default(&cfg);
	cfg.roots = RD_MAX_ROOTS + 1;
	assert_int_equal(rd_tree_create(&cfg, &t), -EINVAL);
	/* the mount roots are nodes: a limit below them refuses the tree */
	rd_config_default(&cfg);
	cfg.roots = 3;
	cfg.max_nodes = 3;
	assert_int_equal(rd_tree_create(&cfg, &t), -ENOSPC);
	cfg.max_nodes = 5;
	assert_int_equal(rd_tree_create(&cfg, &t), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/0/d", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/1/d", 0777), -ENOSPC);
	tu_done(t);
}

static void expect_escape(rd_tree *t, rd_fh base, const char *path, const char *rest, int root)
{
	struct stat sb;

	assert_int_equal(rd_stat(t, base, path, &sb, 0), -RD_EESCAPE);
	assert_int_equal(rd_escape_kind(), RD_ESC_ABOVE_ROOT);
	assert_string_equal(rd_escape_path(), rest);
	assert_int_equal(rd_escape_root(), root);
}

static void test_dotdot_leaves_each_root(void **state)
{
	rd_tree *t = roots_tree(3, 0, 0, 0);
	rd_fh d;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/2/d", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/2/d/e", 0777), 0);
	expect_escape(t, RD_ROOT, "/0/..", "", 0);
	expect_escape(t, RD_ROOT, "/1/../etc/hosts", "etc/hosts", 1);
	expect_escape(t, RD_ROOT, "/2/d/../../x/y", "x/y", 2);
	expect_escape(t, RD_ROOT, "/2/d/e/../../../x", "x", 2);
	/* from a handle: relative ".." climbs to its own root only */
	d = tu_open(t, "/2/d/e", O_RDONLY | O_DIRECTORY);
	expect_escape(t, d, "../../..", "", 2);
	expect_escape(t, d, "../../../2", "2", 2);
	assert_int_equal(ino_of(t, d, "../.."), ino_of(t, RD_ROOT, "/2"));
	rd_close(t, d);
	/* a relative symlink climbing out of /1 */
	assert_int_equal(rd_symlink(t, "../up/file", RD_ROOT, "/1/ln"), 0);
	{
		struct stat sb;

		assert_int_equal(rd_stat(t, RD_ROOT, "/1/ln", &sb, 0), -RD_EESCAPE);
		assert_string_equal(rd_escape_path(), "up/file");
		assert_int_equal(rd_escape_root(), 1);
	}
	/* the device's own root is no mount point: its ".." is itself */
	assert_int_equal(ino_of(t, RD_ROOT, "/.."), ino_of(t, RD_ROOT, "/"));
	assert_int_equal(ino_of(t, RD_ROOT, "/../1"), ino_of(t, RD_ROOT, "/1"));
	tu_done(t);
}

static void test_single_root_unchanged(void **state)
{
	rd_tree *t = tu_tree(0, 0);

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/0", 0777), 0);
	expect_escape(t, RD_ROOT, "/..", "", 0);
	expect_escape(t, RD_ROOT, "/0/../../x", "x", 0);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/0", AT_REMOVEDIR), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/x", 0777), 0);
	assert_int_equal(tu_put(t, "/f", "1", 1), 0);
	assert_int_equal(rd_rename(t, RD_ROOT, "/f", RD_ROOT, "/x/f", 0), 0);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/", AT_REMOVEDIR), -EBUSY);
	tu_done(t);
}

static void test_roots_are_busy(void **state)
{
	rd_tree *t = roots_tree(2, 0, 0, 0);

	(void)state;
	assert_int_equal(rd_unlink(t, RD_ROOT, "/0", AT_REMOVEDIR), -EBUSY);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/1/", AT_REMOVEDIR), -EBUSY);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/1", 0), -EISDIR);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/1/.", AT_REMOVEDIR), -EINVAL);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/0/d", 0777), 0);
	/* A mount root's name lies outside every mount root: moving it into
	 * one, or a directory over it, crosses mounts first (EXDEV), as for
	 * rename("/mnt", "/mnt/x") with /mnt a mount point. */
	assert_int_equal(rd_rename(t, RD_ROOT, "/0", RD_ROOT, "/0/d/x", 0), -EXDEV);
	assert_int_equal(rd_rename(t, RD_ROOT, "/0/d", RD_ROOT, "/0", 0), -EXDEV);
	assert_int_equal(rd_rename(t, RD_ROOT, "/0/d", RD_ROOT, "/1", 0), -EXDEV);
	/* between two mount points of one file system: EBUSY */
	assert_int_equal(rd_rename(t, RD_ROOT, "/0", RD_ROOT, "/1", RENAME_EXCHANGE), -EBUSY);
	assert_int_equal(rd_rename(t, RD_ROOT, "/0", RD_ROOT, "/1", 0), -EBUSY);
	assert_int_equal(rd_rename(t, RD_ROOT, "/1", RD_ROOT, "/2", 0), -EBUSY);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/0/d", AT_REMOVEDIR), 0);
	tu_done(t);
}

static void test_cross_root_is_exdev(void **state)
{
	rd_tree *t = roots_tree(2, 0, 0, 0);
	rd_fh a, b;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/0/d", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/1/e", 0777), 0);
	assert_int_equal(tu_put(t, "/0/d/f", "abc", 3), 0);
	assert_int_equal(tu_put(t, "/1/g", "xyz", 3), 0);

	assert_int_equal(rd_rename(t, RD_ROOT, "/0/d/f", RD_ROOT, "/1/f", 0), -EXDEV);
	assert_int_equal(rd_rename(t, RD_ROOT, "/0/d/f", RD_ROOT, "/1/g", 0), -EXDEV);
	assert_int_equal(rd_rename(t, RD_ROOT, "/0/d", RD_ROOT, "/1/e/d", 0), -EXDEV);
	assert_int_equal(rd_rename(t, RD_ROOT, "/0/d/f", RD_ROOT, "/1/g", RENAME_EXCHANGE), -EXDEV);
	assert_int_equal(rd_rename(t, RD_ROOT, "/0/d/f", RD_ROOT, "/1/g", RENAME_NOREPLACE), -EXDEV);
	/* EXDEV comes before the source is looked up, as in the kernel */
	assert_int_equal(rd_rename(t, RD_ROOT, "/0/missing", RD_ROOT, "/1/x", 0), -EXDEV);
	assert_int_equal(rd_link(t, RD_ROOT, "/0/d/f", RD_ROOT, "/1/e/f", 0), -EXDEV);
	/* through handles and relative names */
	a = tu_open(t, "/0/d", O_RDONLY | O_DIRECTORY);
	b = tu_open(t, "/1/e", O_RDONLY | O_DIRECTORY);
	assert_int_equal(rd_rename(t, a, "f", b, "f", 0), -EXDEV);
	assert_int_equal(rd_link(t, a, "f", b, "f", 0), -EXDEV);
	/* the same root is fine, including by a path through the tree root */
	assert_int_equal(rd_rename(t, a, "f", RD_ROOT, "/../0/f2", 0), 0);
	assert_int_equal(rd_link(t, RD_ROOT, "/0/f2", a, "f3", 0), 0);
	assert_int_equal(rd_rename(t, b, "../g", b, "g", 0), 0);
	rd_close(t, a);
	rd_close(t, b);
	{
		char buf[8];

		assert_int_equal(tu_get(t, "/0/d/f3", buf, sizeof buf), 3);
		assert_int_equal(tu_get(t, "/1/e/g", buf, sizeof buf), 3);
	}
	tu_done(t);
}

static void test_nothing_beside_the_roots(void **state)
{
	rd_tree *t = roots_tree(2, 0, 0, 0);
	struct stat sb;
	rd_fh fh;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/x", 0777), -EPERM);
	assert_int_equal(rd_open(t, RD_ROOT, "/x", O_CREAT | O_WRONLY, 0644, &fh), -EPERM);
	assert_int_equal(rd_mknod(t, RD_ROOT, "/x", S_IFREG | 0644), -EPERM);
	assert_int_equal(rd_symlink(t, "0", RD_ROOT, "/x"), -EPERM);
	assert_int_equal(tu_put(t, "/0/f", "1", 1), 0);
	assert_int_equal(rd_link(t, RD_ROOT, "/0/f", RD_ROOT, "/x", 0), -EXDEV);
	assert_int_equal(rd_rename(t, RD_ROOT, "/0/f", RD_ROOT, "/x", 0), -EXDEV);
	/* existing roots still answer as directories do */
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/1", 0777), -EEXIST);
	assert_int_equal(rd_open(t, RD_ROOT, "/1", O_CREAT | O_WRONLY, 0644, &fh), -EISDIR);
	assert_int_equal(rd_stat(t, RD_ROOT, "/x", &sb, 0), -ENOENT);
	assert_int_equal(tu_stats(t).nodes, 4);
	tu_done(t);
}

static void test_one_quota(void **state)
{
	rd_tree *t = roots_tree(2, 1u << 20, 0, 0);
	static char big[600 * 1024];
	struct statvfs sv;
	uint64_t base;

	(void)state;
	base = tu_used(t);
	assert_int_equal(tu_put(t, "/0/a", big, sizeof big), 0);
	assert_int_equal(tu_put(t, "/1/b", big, sizeof big), -ENOSPC);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/0/a", 0), 0);
	assert_int_equal(tu_put(t, "/1/b", big, sizeof big), 0);
	assert_int_equal(rd_statvfs(t, &sv), 0);
	assert_int_equal(sv.f_blocks, 256);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/1/b", 0), 0);
	assert_int_equal(tu_used(t), base);
	tu_done(t);
}

static void test_paths_and_listing(void **state)
{
	rd_tree *t = roots_tree(2, 0, 0, 0);
	char buf[64], dents[4096];
	rd_fh d;
	ssize_t n;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/1/a", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/1/a/b", 0777), 0);
	d = tu_open(t, "/1/a/b", O_RDONLY | O_DIRECTORY);
	assert_int_equal(rd_fh_path(t, d, buf, sizeof buf), 0);
	assert_string_equal(buf, "/1/a/b");
	rd_close(t, d);
	d = tu_open(t, "/1", O_RDONLY | O_DIRECTORY);
	assert_int_equal(rd_fh_path(t, d, buf, sizeof buf), 0);
	assert_string_equal(buf, "/1");
	/* ".." of a mount root is the root itself, as at a mount point */
	n = rd_getdents(t, d, dents, sizeof dents);
	assert_true(n > 0);
	{
		struct {
			uint64_t ino;
			int64_t off;
			unsigned short reclen;
			unsigned char type;
			char name[];
		} *e1 = (void *)dents, *e2 = (void *)(dents + e1->reclen);

		assert_string_equal(e1->name, ".");
		assert_string_equal(e2->name, "..");
		assert_int_equal(e2->ino, ino_of(t, RD_ROOT, "/1"));
	}
	rd_close(t, d);
	tu_done(t);
}

/* A second process (here: a second handle) maps the same roots. */
static void test_attach_and_recover(void **state)
{
	rd_tree *t = roots_tree(3, 0, 0, 1), *u = NULL;
	char msg[256];

	(void)state;
	assert_int_equal(rd_tree_attach(rd_tree_fd(t), &u), 0);
	assert_int_equal(rd_tree_roots(u), 3);
	assert_int_equal(tu_put(u, "/2/f", "x", 1), 0);
	assert_int_equal(rd_unlink(u, RD_ROOT, "/2", AT_REMOVEDIR), -EBUSY);
	assert_int_equal(rd_tree_check(t, msg, sizeof msg), 0);
	rd_tree_close(u);
	tu_done(t);
}

/* A process dies holding the tree lock: recovery rebuilds every count from
 * the walk, mount roots included, and their rules still hold. */
static void test_recovery_keeps_roots(void **state)
{
	rd_tree *t = roots_tree(2, 0, 0, 1);
	struct stat sb;
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(tu_put(t, "/1/f", "x", 1), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		rd_test_lock(t);
		_exit(0); /* the robust mutex is left owned by a dead thread */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(rd_stat(t, RD_ROOT, "/1/f", &sb, 0), 0);
	assert_int_equal(tu_stats(t).recoveries, 1);
	assert_int_equal(tu_stats(t).nodes, 4);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/0", AT_REMOVEDIR), -EBUSY);
	assert_int_equal(rd_rename(t, RD_ROOT, "/1/f", RD_ROOT, "/0/f", 0), -EXDEV);
	expect_escape(t, RD_ROOT, "/1/..", "", 1);
	tu_done(t);
}

/* statx: each prefix's top is a mount root; the tree's own root and
 * what lies below a top are not. */
static void test_roots_statx_mount_root(void **state)
{
	rd_tree *t = roots_tree(2, 0, 0, 0);
	struct rd_statx_more m;
	struct stat st;

	(void)state;
	assert_int_equal(rd_statx(t, RD_ROOT, "/0", 0, &st, &m), 0);
	assert_true(m.mount_root);
	assert_int_equal(rd_statx(t, RD_ROOT, "/1", 0, &st, &m), 0);
	assert_true(m.mount_root);
	assert_int_equal(rd_statx(t, RD_ROOT, "/", 0, &st, &m), 0);
	assert_false(m.mount_root);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/1/d", 0755), 0);
	assert_int_equal(rd_statx(t, RD_ROOT, "/1/d", 0, &st, &m), 0);
	assert_false(m.mount_root);
	tu_done(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roots_statx_mount_root),
		cmocka_unit_test(test_made_with_the_tree),
		cmocka_unit_test(test_counts_and_limits),
		cmocka_unit_test(test_dotdot_leaves_each_root),
		cmocka_unit_test(test_single_root_unchanged),
		cmocka_unit_test(test_roots_are_busy),
		cmocka_unit_test(test_cross_root_is_exdev),
		cmocka_unit_test(test_nothing_beside_the_roots),
		cmocka_unit_test(test_one_quota),
		cmocka_unit_test(test_paths_and_listing),
		cmocka_unit_test(test_attach_and_recover),
		cmocka_unit_test(test_recovery_keeps_roots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

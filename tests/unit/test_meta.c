/* Metadata as Linux tmpfs keeps it: stat fields, which operations move which
 * timestamps, chmod/chown/utimens and mode checks for a non-root caller,
 * rd_access and rd_statvfs. Expectations were first checked on a real tmpfs. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

static const gid_t user_groups[] = { 1001, 700 };

/* uid 1001, primary group 1001, supplementary group 700. */
static void as_user(rd_tree *t)
{
	rd_tree_set_cred(t, 1001, 1001, user_groups, 2);
}

static void as_root(rd_tree *t)
{
	rd_tree_set_cred(t, 0, 0, NULL, 0);
}

static struct stat lst(rd_tree *t, const char *path)
{
	struct stat st;

	memset(&st, 0, sizeof st);
	assert_int_equal(rd_stat(t, RD_ROOT, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st;
}

/* A one-byte file or a directory with the given owner and mode, made as root. */
static void mk(rd_tree *t, const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	assert_int_equal(tu_put(t, path, "x", 1), 0);
	assert_int_equal(rd_chown(t, RD_ROOT, path, uid, gid, 0), 0);
	assert_int_equal(rd_chmod(t, RD_ROOT, path, mode, 0), 0);
}

static void md(rd_tree *t, const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	assert_int_equal(rd_mkdir(t, RD_ROOT, path, 0700), 0);
	assert_int_equal(rd_chown(t, RD_ROOT, path, uid, gid, 0), 0);
	assert_int_equal(rd_chmod(t, RD_ROOT, path, mode, 0), 0);
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

static int64_t ns(struct timespec ts)
{
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

/* ts was taken between lo and hi (a coarse clock may lag by a tick). */
static void assert_between(struct timespec ts, struct timespec lo, struct timespec hi)
{
	assert_true(ns(ts) >= ns(lo) - 20000000);
	assert_true(ns(ts) <= ns(hi) + 1000000);
}

/* Which of atime, mtime, ctime moved (1), stayed (0) since the snapshot. */
static void assert_times(rd_tree *t, const char *path, const struct stat *old, int a, int m, int c)
{
	struct stat st = lst(t, path);

	assert_int_equal(ts_cmp(st.st_atim, old->st_atim), a);
	assert_int_equal(ts_cmp(st.st_mtim, old->st_mtim), m);
	assert_int_equal(ts_cmp(st.st_ctim, old->st_ctim), c);
}

static void test_new_node_fields(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat st;
	rd_fh fh;

	(void)state;
	as_root(t);
	md(t, "/w", 0777, 0, 0);
	md(t, "/g", 02777, 0, 500);
	rd_tree_set_cred(t, 1001, 1002, NULL, 0);
	assert_int_equal(rd_open(t, RD_ROOT, "/w/f", O_WRONLY | O_CREAT, 0666, &fh), 0);
	assert_int_equal(rd_close(t, fh), 0);
	st = lst(t, "/w/f");
	assert_int_equal(st.st_mode, S_IFREG | 0644);
	assert_int_equal(st.st_uid, 1001);
	assert_int_equal(st.st_gid, 1002);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_blocks, 0);
	assert_int_equal(st.st_blksize, 4096);

	assert_int_equal(rd_mkdir(t, RD_ROOT, "/w/d", 0777), 0);
	st = lst(t, "/w/d");
	assert_int_equal(st.st_mode, S_IFDIR | 0755);
	assert_int_equal(st.st_uid, 1001);
	assert_int_equal(st.st_gid, 1002);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(st.st_size, 40);
	assert_int_equal(st.st_blocks, 0);

	assert_int_equal(rd_symlink(t, "target", RD_ROOT, "/w/l"), 0);
	st = lst(t, "/w/l");
	assert_int_equal(st.st_mode, S_IFLNK | 0777);
	assert_int_equal(st.st_uid, 1001);
	assert_int_equal(st.st_gid, 1002);
	assert_int_equal(st.st_size, 6);

	assert_int_equal(rd_mknod(t, RD_ROOT, "/w/n", S_IFREG | 0640), 0);
	assert_int_equal(lst(t, "/w/n").st_mode, S_IFREG | 0640);

	/* a set-group-ID directory hands its group down, and its bit to subdirs */
	assert_int_equal(rd_open(t, RD_ROOT, "/g/f", O_WRONLY | O_CREAT, 0644, &fh), 0);
	assert_int_equal(rd_close(t, fh), 0);
	st = lst(t, "/g/f");
	assert_int_equal(st.st_gid, 500);
	assert_int_equal(st.st_mode, S_IFREG | 0644);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/g/d", 0777), 0);
	st = lst(t, "/g/d");
	assert_int_equal(st.st_gid, 500);
	assert_int_equal(st.st_uid, 1001);
	assert_int_equal(st.st_mode, S_IFDIR | S_ISGID | 0755);
	tu_done(t);
}

static void test_dir_size_and_nlink(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat st;
	nlink_t root_links;

	(void)state;
	root_links = lst(t, "/").st_nlink;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/z", 0777), 0);
	assert_int_equal(lst(t, "/").st_nlink, root_links + 1);
	assert_int_equal(lst(t, "/z").st_size, 40);
	assert_int_equal(tu_put(t, "/z/a", "a", 1), 0);
	assert_int_equal(lst(t, "/z").st_size, 60);
	assert_int_equal(rd_link(t, RD_ROOT, "/z/a", RD_ROOT, "/z/b", 0), 0);
	assert_int_equal(lst(t, "/z").st_size, 80);
	assert_int_equal(rd_symlink(t, "q", RD_ROOT, "/z/c"), 0);
	assert_int_equal(lst(t, "/z").st_size, 100);
	/* onto another link of the same inode: nothing happens */
	assert_int_equal(rd_rename(t, RD_ROOT, "/z/a", RD_ROOT, "/z/b", 0), 0);
	assert_int_equal(lst(t, "/z").st_size, 100);
	assert_int_equal(rd_rename(t, RD_ROOT, "/z/b", RD_ROOT, "/z/d", 0), 0);
	assert_int_equal(lst(t, "/z").st_size, 100);
	assert_int_equal(rd_rename(t, RD_ROOT, "/z/d", RD_ROOT, "/zz", 0), 0);
	assert_int_equal(lst(t, "/z").st_size, 80);
	/* replacing within the directory loses one entry */
	assert_int_equal(rd_rename(t, RD_ROOT, "/z/c", RD_ROOT, "/z/a", 0), 0);
	assert_int_equal(lst(t, "/z").st_size, 60);

	assert_int_equal(rd_mkdir(t, RD_ROOT, "/z/s1", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/z/s2", 0777), 0);
	st = lst(t, "/z");
	assert_int_equal(st.st_nlink, 4);
	assert_int_equal(st.st_size, 100);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/z/s1", AT_REMOVEDIR), 0);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/z/a", 0), 0);
	st = lst(t, "/z");
	assert_int_equal(st.st_nlink, 3);
	assert_int_equal(st.st_size, 60);
	assert_int_equal(lst(t, "/").st_nlink, root_links + 1);
	tu_done(t);
}

static void test_blocks(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	char buf[4097], target[300];
	rd_fh fh;

	(void)state;
	memset(buf, 'b', sizeof buf);
	assert_int_equal(rd_open(t, RD_ROOT, "/f", O_RDWR | O_CREAT, 0644, &fh), 0);
	assert_int_equal(lst(t, "/f").st_blocks, 0);
	assert_int_equal(rd_write(t, fh, buf, 1), 1);
	assert_int_equal(lst(t, "/f").st_blocks, 8);
	assert_int_equal(rd_pwrite(t, fh, buf, 1, 4096), 1);
	assert_int_equal(lst(t, "/f").st_size, 4097);
	assert_int_equal(lst(t, "/f").st_blocks, 16);
	/* growing by truncate allocates nothing */
	assert_int_equal(rd_ftruncate(t, fh, 1 << 20), 0);
	assert_int_equal(lst(t, "/f").st_size, 1 << 20);
	assert_int_equal(lst(t, "/f").st_blocks, 16);
	assert_int_equal(rd_ftruncate(t, fh, 0), 0);
	assert_int_equal(rd_ftruncate(t, fh, 1 << 20), 0);
	assert_int_equal(lst(t, "/f").st_blocks, 0);
	assert_int_equal(rd_close(t, fh), 0);

	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0777), 0);
	assert_int_equal(lst(t, "/d").st_blocks, 0);
	/* tmpfs keeps short link targets in the inode, long ones in a page */
	assert_int_equal(rd_symlink(t, "abc", RD_ROOT, "/s"), 0);
	assert_int_equal(lst(t, "/s").st_blocks, 0);
	memset(target, 'x', 299);
	target[299] = '\0';
	assert_int_equal(rd_symlink(t, target, RD_ROOT, "/s2"), 0);
	assert_int_equal(lst(t, "/s2").st_blocks, 8);
	tu_done(t);
}

static void test_inode_numbers(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	const char *paths[] = { "/", "/d", "/d/f", "/g", "/l", "/d/e" };
	ino_t ino[6], f;
	struct stat st;
	rd_fh fh;
	int i, j;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0777), 0);
	assert_int_equal(tu_put(t, "/d/f", "f", 1), 0);
	assert_int_equal(tu_put(t, "/g", "g", 1), 0);
	assert_int_equal(rd_symlink(t, "g", RD_ROOT, "/l"), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d/e", 0777), 0);
	for (i = 0; i < 6; i++)
		ino[i] = lst(t, paths[i]).st_ino;
	for (i = 0; i < 6; i++)
		for (j = i + 1; j < 6; j++)
			assert_int_not_equal(ino[i], ino[j]);

	/* stable across rename and link, same through any name or handle */
	f = ino[2];
	assert_int_equal(rd_rename(t, RD_ROOT, "/d/f", RD_ROOT, "/f2", 0), 0);
	assert_int_equal(lst(t, "/f2").st_ino, f);
	assert_int_equal(rd_link(t, RD_ROOT, "/f2", RD_ROOT, "/d/e/f3", 0), 0);
	assert_int_equal(lst(t, "/d/e/f3").st_ino, f);
	assert_int_equal(rd_rename(t, RD_ROOT, "/d", RD_ROOT, "/dd", 0), 0);
	assert_int_equal(lst(t, "/dd").st_ino, ino[1]);
	assert_int_equal(lst(t, "/dd/e").st_ino, ino[5]);
	assert_int_equal(lst(t, "/dd/e/.").st_ino, ino[5]);
	assert_int_equal(rd_open(t, RD_ROOT, "/dd/e/f3", O_RDONLY, 0, &fh), 0);
	assert_int_equal(rd_fstat(t, fh, &st), 0);
	assert_int_equal(st.st_ino, f);
	assert_int_equal(rd_close(t, fh), 0);
	/* a new node gets a number no live node has */
	assert_int_equal(tu_put(t, "/new", "n", 1), 0);
	for (i = 0; i < 6; i++)
		assert_int_not_equal(lst(t, "/new").st_ino, ino[i]);
	tu_done(t);
}

static void test_create_times(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct timespec lo, hi;
	struct stat d, st;
	rd_fh fh;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0777), 0);

	d = lst(t, "/d");
	nap();
	lo = now();
	assert_int_equal(rd_open(t, RD_ROOT, "/d/f", O_WRONLY | O_CREAT, 0644, &fh), 0);
	hi = now();
	assert_int_equal(rd_close(t, fh), 0);
	st = lst(t, "/d/f");
	assert_int_equal(ts_cmp(st.st_atim, st.st_mtim), 0);
	assert_int_equal(ts_cmp(st.st_mtim, st.st_ctim), 0);
	assert_between(st.st_mtim, lo, hi);
	assert_times(t, "/d", &d, 0, 1, 1);
	assert_between(lst(t, "/d").st_mtim, lo, hi);

	d = lst(t, "/d");
	nap();
	lo = now();
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d/h", 0777), 0);
	hi = now();
	st = lst(t, "/d/h");
	assert_int_equal(ts_cmp(st.st_atim, st.st_ctim), 0);
	assert_int_equal(ts_cmp(st.st_mtim, st.st_ctim), 0);
	assert_between(st.st_ctim, lo, hi);
	assert_times(t, "/d", &d, 0, 1, 1);

	d = lst(t, "/d");
	nap();
	assert_int_equal(rd_symlink(t, "x", RD_ROOT, "/d/l"), 0);
	assert_times(t, "/d", &d, 0, 1, 1);

	d = lst(t, "/d");
	nap();
	assert_int_equal(rd_mknod(t, RD_ROOT, "/d/n", S_IFREG | 0644), 0);
	assert_times(t, "/d", &d, 0, 1, 1);

	/* a failed create changes nothing */
	d = lst(t, "/d");
	nap();
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d/h", 0777), -EEXIST);
	assert_times(t, "/d", &d, 0, 0, 0);
	tu_done(t);
}

static void test_remove_and_link_times(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat d, f;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d/h", 0777), 0);
	assert_int_equal(tu_put(t, "/d/g", "g", 1), 0);

	/* link: the directory's mtime and ctime, the target's ctime */
	d = lst(t, "/d");
	f = lst(t, "/d/g");
	nap();
	assert_int_equal(rd_link(t, RD_ROOT, "/d/g", RD_ROOT, "/d/g2", 0), 0);
	assert_times(t, "/d", &d, 0, 1, 1);
	assert_times(t, "/d/g", &f, 0, 0, 1);

	/* unlink: the directory's mtime and ctime, the file's ctime */
	d = lst(t, "/d");
	f = lst(t, "/d/g");
	nap();
	assert_int_equal(rd_unlink(t, RD_ROOT, "/d/g", 0), 0);
	assert_times(t, "/d", &d, 0, 1, 1);
	assert_times(t, "/d/g2", &f, 0, 0, 1);

	d = lst(t, "/d");
	nap();
	assert_int_equal(rd_unlink(t, RD_ROOT, "/d/h", AT_REMOVEDIR), 0);
	assert_times(t, "/d", &d, 0, 1, 1);
	tu_done(t);
}

static void test_attr_change_times(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat f, d;
	rd_fh fh;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0777), 0);
	assert_int_equal(tu_put(t, "/d/x", "x", 1), 0);

	f = lst(t, "/d/x");
	d = lst(t, "/d");
	nap();
	assert_int_equal(rd_chmod(t, RD_ROOT, "/d/x", 0600, 0), 0);
	assert_times(t, "/d/x", &f, 0, 0, 1);
	assert_times(t, "/d", &d, 0, 0, 0);

	/* even when nothing changes */
	f = lst(t, "/d/x");
	nap();
	assert_int_equal(rd_chmod(t, RD_ROOT, "/d/x", 0600, 0), 0);
	assert_times(t, "/d/x", &f, 0, 0, 1);

	f = lst(t, "/d/x");
	nap();
	assert_int_equal(rd_chown(t, RD_ROOT, "/d/x", 5, 6, 0), 0);
	assert_times(t, "/d/x", &f, 0, 0, 1);

	f = lst(t, "/d/x");
	nap();
	assert_int_equal(rd_chown(t, RD_ROOT, "/d/x", (uid_t)-1, (gid_t)-1, 0), 0);
	assert_times(t, "/d/x", &f, 0, 0, 1);

	assert_int_equal(rd_open(t, RD_ROOT, "/d/x", O_RDONLY, 0, &fh), 0);
	f = lst(t, "/d/x");
	nap();
	assert_int_equal(rd_fchmod(t, fh, 0640), 0);
	assert_times(t, "/d/x", &f, 0, 0, 1);
	f = lst(t, "/d/x");
	nap();
	assert_int_equal(rd_fchown(t, fh, 7, 8), 0);
	assert_times(t, "/d/x", &f, 0, 0, 1);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

static void test_utimens(void **state)
{
	const struct timespec expl[2] = { { 1000, 123456789 }, { 2000, 987654321 } };
	const struct timespec omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	const struct timespec anow[2] = { { 0, UTIME_NOW }, { 0, UTIME_OMIT } };
	rd_tree *t = tu_tree(0, 0);
	struct timespec lo, hi, bad[2];
	struct stat f, l, st;
	rd_fh fh;

	(void)state;
	assert_int_equal(tu_put(t, "/x", "x", 1), 0);

	f = lst(t, "/x");
	nap();
	assert_int_equal(rd_utimens(t, RD_ROOT, "/x", expl, 0), 0);
	st = lst(t, "/x");
	assert_int_equal(st.st_atim.tv_sec, 1000);
	assert_int_equal(st.st_atim.tv_nsec, 123456789);
	assert_int_equal(st.st_mtim.tv_sec, 2000);
	assert_int_equal(st.st_mtim.tv_nsec, 987654321);
	assert_int_equal(ts_cmp(st.st_ctim, f.st_ctim), 1);

	/* both omitted: not even ctime moves */
	f = lst(t, "/x");
	nap();
	assert_int_equal(rd_utimens(t, RD_ROOT, "/x", omit, 0), 0);
	assert_times(t, "/x", &f, 0, 0, 0);

	f = lst(t, "/x");
	nap();
	lo = now();
	assert_int_equal(rd_utimens(t, RD_ROOT, "/x", anow, 0), 0);
	hi = now();
	st = lst(t, "/x");
	assert_between(st.st_atim, lo, hi);
	assert_int_equal(st.st_mtim.tv_sec, 2000);
	assert_int_equal(st.st_mtim.tv_nsec, 987654321);
	assert_int_equal(ts_cmp(st.st_ctim, f.st_ctim), 1);

	f = lst(t, "/x");
	nap();
	lo = now();
	assert_int_equal(rd_utimens(t, RD_ROOT, "/x", NULL, 0), 0);
	hi = now();
	st = lst(t, "/x");
	assert_between(st.st_atim, lo, hi);
	assert_between(st.st_mtim, lo, hi);
	assert_between(st.st_ctim, lo, hi);
	assert_int_equal(ts_cmp(st.st_atim, st.st_mtim), 0);

	/* AT_SYMLINK_NOFOLLOW sets the link's own times */
	assert_int_equal(rd_symlink(t, "x", RD_ROOT, "/lx"), 0);
	l = lst(t, "/lx");
	f = lst(t, "/x");
	nap();
	assert_int_equal(rd_utimens(t, RD_ROOT, "/lx", expl, AT_SYMLINK_NOFOLLOW), 0);
	st = lst(t, "/lx");
	assert_int_equal(st.st_atim.tv_sec, 1000);
	assert_int_equal(st.st_mtim.tv_nsec, 987654321);
	assert_int_equal(ts_cmp(st.st_ctim, l.st_ctim), 1);
	assert_times(t, "/x", &f, 0, 0, 0);
	/* without it, the target's */
	bad[0] = (struct timespec){ 3001, 7 };
	bad[1] = (struct timespec){ 4001, 8 };
	assert_int_equal(rd_utimens(t, RD_ROOT, "/lx", bad, 0), 0);
	st = lst(t, "/x");
	assert_int_equal(st.st_atim.tv_sec, 3001);
	assert_int_equal(st.st_atim.tv_nsec, 7);
	assert_int_equal(st.st_mtim.tv_sec, 4001);
	assert_int_equal(st.st_mtim.tv_nsec, 8);
	assert_int_equal(lst(t, "/lx").st_atim.tv_sec, 1000);

	/* before the epoch is a valid time */
	bad[0] = (struct timespec){ -5, 100 };
	bad[1] = (struct timespec){ 0, UTIME_OMIT };
	assert_int_equal(rd_utimens(t, RD_ROOT, "/x", bad, 0), 0);
	assert_int_equal(lst(t, "/x").st_atim.tv_sec, -5);
	assert_int_equal(lst(t, "/x").st_atim.tv_nsec, 100);

	bad[0] = (struct timespec){ 0, 1000000000 };
	bad[1] = (struct timespec){ 0, 0 };
	assert_int_equal(rd_utimens(t, RD_ROOT, "/x", bad, 0), -EINVAL);
	bad[0].tv_nsec = -1;
	assert_int_equal(rd_utimens(t, RD_ROOT, "/x", bad, 0), -EINVAL);
	assert_int_equal(lst(t, "/x").st_atim.tv_sec, -5);
	assert_int_equal(rd_utimens(t, RD_ROOT, "/nx", NULL, 0), -ENOENT);

	assert_int_equal(rd_open(t, RD_ROOT, "/x", O_RDONLY, 0, &fh), 0);
	assert_int_equal(rd_futimens(t, fh, expl), 0);
	assert_int_equal(lst(t, "/x").st_mtim.tv_sec, 2000);
	assert_int_equal(lst(t, "/x").st_mtim.tv_nsec, 987654321);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

static void test_chmod(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	rd_fh fh;

	(void)state;
	as_root(t);
	assert_int_equal(tu_put(t, "/f", "f", 1), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0777), 0);
	assert_int_equal(rd_symlink(t, "f", RD_ROOT, "/l"), 0);
	assert_int_equal(rd_chmod(t, RD_ROOT, "/f", 07777, 0), 0);
	assert_int_equal(lst(t, "/f").st_mode, S_IFREG | 07777);
	assert_int_equal(rd_chmod(t, RD_ROOT, "/d", 01700, 0), 0);
	assert_int_equal(lst(t, "/d").st_mode, S_IFDIR | 01700);
	/* through a symlink: the target changes */
	assert_int_equal(rd_chmod(t, RD_ROOT, "/l", 0600, 0), 0);
	assert_int_equal(lst(t, "/f").st_mode, S_IFREG | 0600);
	assert_int_equal(lst(t, "/l").st_mode, S_IFLNK | 0777);
	assert_int_equal(rd_chmod(t, RD_ROOT, "/nx", 0600, 0), -ENOENT);
	assert_int_equal(rd_open(t, RD_ROOT, "/f", O_RDONLY, 0, &fh), 0);
	assert_int_equal(rd_fchmod(t, fh, 0444), 0);
	assert_int_equal(lst(t, "/f").st_mode, S_IFREG | 0444);
	assert_int_equal(rd_close(t, fh), 0);

	/* only the owner may chmod */
	assert_int_equal(rd_chmod(t, RD_ROOT, "/d", 0777, 0), 0);
	mk(t, "/d/mine", 0644, 1001, 1001);
	mk(t, "/d/other", 0666, 0, 0);
	mk(t, "/d/g0", 0644, 1001, 0);
	mk(t, "/d/g700", 0644, 1001, 700);
	as_user(t);
	assert_int_equal(rd_chmod(t, RD_ROOT, "/d/other", 0644, 0), -EPERM);
	assert_int_equal(lst(t, "/d/other").st_mode, S_IFREG | 0666);
	assert_int_equal(rd_chmod(t, RD_ROOT, "/d/mine", 0600, 0), 0);
	assert_int_equal(lst(t, "/d/mine").st_mode, S_IFREG | 0600);
	assert_int_equal(rd_chmod(t, RD_ROOT, "/d/mine", 04755, 0), 0);
	assert_int_equal(lst(t, "/d/mine").st_mode, S_IFREG | 04755);
	/* set-group-ID is dropped unless the caller is in the file's group */
	assert_int_equal(rd_chmod(t, RD_ROOT, "/d/g0", 02755, 0), 0);
	assert_int_equal(lst(t, "/d/g0").st_mode, S_IFREG | 0755);
	assert_int_equal(rd_chmod(t, RD_ROOT, "/d/g700", 02755, 0), 0);
	assert_int_equal(lst(t, "/d/g700").st_mode, S_IFREG | 02755);
	tu_done(t);
}

static void test_chown(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat st;
	rd_fh fh;

	(void)state;
	as_root(t);
	assert_int_equal(tu_put(t, "/f", "f", 1), 0);
	assert_int_equal(rd_symlink(t, "f", RD_ROOT, "/l"), 0);
	assert_int_equal(rd_chown(t, RD_ROOT, "/f", 5, 6, 0), 0);
	st = lst(t, "/f");
	assert_true(st.st_uid == 5 && st.st_gid == 6);
	assert_int_equal(rd_chown(t, RD_ROOT, "/f", (uid_t)-1, 9, 0), 0);
	st = lst(t, "/f");
	assert_true(st.st_uid == 5 && st.st_gid == 9);
	assert_int_equal(rd_chown(t, RD_ROOT, "/f", 8, (gid_t)-1, 0), 0);
	st = lst(t, "/f");
	assert_true(st.st_uid == 8 && st.st_gid == 9);
	/* through a symlink, or on the symlink itself */
	assert_int_equal(rd_chown(t, RD_ROOT, "/l", 7, 8, 0), 0);
	st = lst(t, "/f");
	assert_true(st.st_uid == 7 && st.st_gid == 8);
	assert_int_equal(rd_chown(t, RD_ROOT, "/l", 3, 4, AT_SYMLINK_NOFOLLOW), 0);
	st = lst(t, "/l");
	assert_true(st.st_uid == 3 && st.st_gid == 4);
	assert_int_equal(lst(t, "/f").st_uid, 7);
	assert_int_equal(rd_chown(t, RD_ROOT, "/nx", 1, 1, 0), -ENOENT);

	/* a chown drops set-user-ID, and set-group-ID with group exec */
	assert_int_equal(rd_chmod(t, RD_ROOT, "/f", 06755, 0), 0);
	assert_int_equal(rd_chown(t, RD_ROOT, "/f", 5, 6, 0), 0);
	assert_int_equal(lst(t, "/f").st_mode, S_IFREG | 0755);
	assert_int_equal(rd_chmod(t, RD_ROOT, "/f", 06745, 0), 0);
	assert_int_equal(rd_chown(t, RD_ROOT, "/f", 7, 8, 0), 0);
	assert_int_equal(lst(t, "/f").st_mode, S_IFREG | 02745);
	/* not on a directory */
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/ds", 0777), 0);
	assert_int_equal(rd_chmod(t, RD_ROOT, "/ds", 06755, 0), 0);
	assert_int_equal(rd_chown(t, RD_ROOT, "/ds", 5, 6, 0), 0);
	assert_int_equal(lst(t, "/ds").st_mode, S_IFDIR | 06755);

	/* a normal user: only to groups it belongs to, never to another user */
	mk(t, "/mine", 0644, 1001, 1001);
	mk(t, "/other", 0666, 1002, 1002);
	as_user(t);
	assert_int_equal(rd_chown(t, RD_ROOT, "/mine", 2000, (gid_t)-1, 0), -EPERM);
	assert_int_equal(rd_chown(t, RD_ROOT, "/mine", 1001, (gid_t)-1, 0), 0);
	assert_int_equal(rd_chown(t, RD_ROOT, "/mine", (uid_t)-1, 100, 0), -EPERM);
	assert_int_equal(rd_chown(t, RD_ROOT, "/mine", (uid_t)-1, 700, 0), 0);
	assert_int_equal(lst(t, "/mine").st_gid, 700);
	assert_int_equal(rd_chown(t, RD_ROOT, "/mine", (uid_t)-1, 1001, 0), 0);
	assert_int_equal(rd_chown(t, RD_ROOT, "/other", 1001, (gid_t)-1, 0), -EPERM);
	assert_int_equal(rd_chown(t, RD_ROOT, "/other", (uid_t)-1, 1001, 0), -EPERM);
	st = lst(t, "/other");
	assert_true(st.st_uid == 1002 && st.st_gid == 1002);
	assert_int_equal(rd_chmod(t, RD_ROOT, "/mine", 04755, 0), 0);
	assert_int_equal(rd_open(t, RD_ROOT, "/mine", O_RDONLY, 0, &fh), 0);
	assert_int_equal(rd_fchown(t, fh, 1001, 1001), 0);
	assert_int_equal(lst(t, "/mine").st_mode, S_IFREG | 0755);
	assert_int_equal(rd_fchown(t, fh, 1002, (gid_t)-1), -EPERM);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

static void test_permissions(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat st;
	rd_fh fh;

	(void)state;
	as_root(t);
	assert_int_equal(rd_chmod(t, RD_ROOT, "/", 0777, 0), 0);
	md(t, "/r", 0777, 0, 0);
	mk(t, "/r/w200", 0200, 1001, 1001);
	mk(t, "/r/r400", 0400, 1001, 1001);
	md(t, "/ro", 0555, 1001, 1001);
	mk(t, "/ro/f", 0644, 1001, 1001);
	md(t, "/ro/sd", 0755, 1001, 1001);
	md(t, "/nx", 0600, 1001, 1001);
	mk(t, "/nx/f", 0644, 1001, 1001);
	md(t, "/nr", 0311, 1001, 1001);
	mk(t, "/nr/f", 0644, 1001, 1001);
	as_user(t);

	assert_int_equal(rd_open(t, RD_ROOT, "/r/w200", O_RDONLY, 0, &fh), -EACCES);
	assert_int_equal(rd_open(t, RD_ROOT, "/r/w200", O_WRONLY, 0, &fh), 0);
	assert_int_equal(rd_close(t, fh), 0);
	assert_int_equal(rd_open(t, RD_ROOT, "/r/r400", O_WRONLY, 0, &fh), -EACCES);
	assert_int_equal(rd_open(t, RD_ROOT, "/r/r400", O_RDWR, 0, &fh), -EACCES);
	assert_int_equal(rd_open(t, RD_ROOT, "/r/r400", O_RDONLY, 0, &fh), 0);
	assert_int_equal(rd_close(t, fh), 0);

	/* no write permission on the directory: no entry may change */
	assert_int_equal(rd_open(t, RD_ROOT, "/ro/new", O_WRONLY | O_CREAT, 0644, &fh), -EACCES);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/ro/nd", 0777), -EACCES);
	assert_int_equal(rd_mknod(t, RD_ROOT, "/ro/nn", S_IFREG | 0644), -EACCES);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/ro/f", 0), -EACCES);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/ro/sd", AT_REMOVEDIR), -EACCES);
	assert_int_equal(rd_symlink(t, "x", RD_ROOT, "/ro/sl"), -EACCES);
	assert_int_equal(rd_link(t, RD_ROOT, "/r/r400", RD_ROOT, "/ro/ln", 0), -EACCES);
	assert_int_equal(rd_rename(t, RD_ROOT, "/ro/f", RD_ROOT, "/ro/g", 0), -EACCES);
	assert_int_equal(rd_rename(t, RD_ROOT, "/ro/f", RD_ROOT, "/r/mv", 0), -EACCES);
	assert_int_equal(rd_stat(t, RD_ROOT, "/ro/new", &st, 0), -ENOENT);
	assert_int_equal(rd_stat(t, RD_ROOT, "/ro/f", &st, 0), 0);

	/* no search permission on a component */
	assert_int_equal(rd_stat(t, RD_ROOT, "/nx/f", &st, 0), -EACCES);
	assert_int_equal(rd_stat(t, RD_ROOT, "/nx/nothere", &st, 0), -EACCES);
	assert_int_equal(rd_open(t, RD_ROOT, "/nx/f", O_RDONLY, 0, &fh), -EACCES);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/nx/d", 0777), -EACCES);
	assert_int_equal(rd_access(t, RD_ROOT, "/nx/f", F_OK, 0), -EACCES);
	assert_int_equal(rd_stat(t, RD_ROOT, "/nx", &st, 0), 0);
	assert_int_equal(rd_open(t, RD_ROOT, "/nx", O_RDONLY | O_DIRECTORY, 0, &fh), 0);
	assert_int_equal(rd_close(t, fh), 0);
	/* search without read: names resolve, the listing is refused */
	assert_int_equal(rd_stat(t, RD_ROOT, "/nr/f", &st, 0), 0);
	assert_int_equal(rd_open(t, RD_ROOT, "/nr", O_RDONLY | O_DIRECTORY, 0, &fh), -EACCES);

	/* root passes all of these */
	as_root(t);
	assert_int_equal(rd_open(t, RD_ROOT, "/r/w200", O_RDONLY, 0, &fh), 0);
	assert_int_equal(rd_close(t, fh), 0);
	assert_int_equal(rd_stat(t, RD_ROOT, "/nx/f", &st, 0), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/ro/nd", 0777), 0);
	tu_done(t);
}

static void test_sticky(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat st;

	(void)state;
	as_root(t);
	md(t, "/t", 01777, 0, 0);
	mk(t, "/t/other", 0666, 1002, 1002);
	mk(t, "/t/mine", 0644, 1001, 1001);
	md(t, "/t/otherd", 0777, 1002, 1002);
	mk(t, "/t/mine2", 0644, 1001, 1001);
	mk(t, "/t/other2", 0666, 1002, 1002);
	md(t, "/tmine", 01777, 1001, 1001);
	mk(t, "/tmine/other", 0644, 1002, 1002);
	as_user(t);

	assert_int_equal(rd_unlink(t, RD_ROOT, "/t/other", 0), -EPERM);
	assert_int_equal(rd_rename(t, RD_ROOT, "/t/other", RD_ROOT, "/t/o2", 0), -EPERM);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/t/otherd", AT_REMOVEDIR), -EPERM);
	/* replacing another user's file is removing it */
	assert_int_equal(rd_rename(t, RD_ROOT, "/t/mine2", RD_ROOT, "/t/other2", 0), -EPERM);
	assert_int_equal(rd_stat(t, RD_ROOT, "/t/other", &st, 0), 0);
	assert_int_equal(rd_stat(t, RD_ROOT, "/t/other2", &st, 0), 0);
	assert_int_equal(st.st_uid, 1002);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/t/mine", 0), 0);
	/* the directory's owner may remove anything in it */
	assert_int_equal(rd_unlink(t, RD_ROOT, "/tmine/other", 0), 0);
	/* and so may the file's owner */
	rd_tree_set_cred(t, 1002, 1002, NULL, 0);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/t/other", 0), 0);
	tu_done(t);
}

static void test_utimens_permissions(void **state)
{
	const struct timespec expl[2] = { { 1, 0 }, { 2, 0 } };
	const struct timespec both_now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	const struct timespec now_omit[2] = { { 0, UTIME_NOW }, { 0, UTIME_OMIT } };
	const struct timespec omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	rd_tree *t = tu_tree(0, 0);

	(void)state;
	as_root(t);
	md(t, "/r", 0777, 0, 0);
	mk(t, "/r/w666", 0666, 0, 0);
	mk(t, "/r/o444", 0444, 0, 0);
	mk(t, "/r/r400", 0400, 1001, 1001);
	as_user(t);
	/* "now" needs write permission; explicit times need ownership */
	assert_int_equal(rd_utimens(t, RD_ROOT, "/r/w666", NULL, 0), 0);
	assert_int_equal(rd_utimens(t, RD_ROOT, "/r/w666", both_now, 0), 0);
	assert_int_equal(rd_utimens(t, RD_ROOT, "/r/w666", expl, 0), -EPERM);
	assert_int_equal(rd_utimens(t, RD_ROOT, "/r/w666", now_omit, 0), -EPERM);
	assert_int_equal(rd_utimens(t, RD_ROOT, "/r/o444", NULL, 0), -EACCES);
	assert_int_equal(rd_utimens(t, RD_ROOT, "/r/o444", both_now, 0), -EACCES);
	assert_int_equal(rd_utimens(t, RD_ROOT, "/r/o444", now_omit, 0), -EPERM);
	assert_int_equal(rd_utimens(t, RD_ROOT, "/r/o444", omit, 0), 0);
	assert_int_equal(rd_utimens(t, RD_ROOT, "/r/r400", NULL, 0), 0);
	assert_int_equal(rd_utimens(t, RD_ROOT, "/r/r400", expl, 0), 0);
	assert_int_equal(lst(t, "/r/r400").st_mtim.tv_sec, 2);
	assert_true(lst(t, "/r/w666").st_mtim.tv_sec != 2);
	tu_done(t);
}

static void test_access(void **state)
{
	rd_tree *t = tu_tree(0, 0);

	(void)state;
	as_root(t);
	md(t, "/r", 0777, 0, 0);
	mk(t, "/r/r400", 0400, 1001, 1001);
	mk(t, "/r/x100", 0100, 1001, 1001);
	mk(t, "/r/g040", 0040, 0, 1001);
	mk(t, "/r/o004", 0004, 0, 0);
	mk(t, "/r/g040o004", 0004, 0, 1001);
	mk(t, "/r/u000o004", 0004, 1001, 0);
	mk(t, "/r/g700", 0040, 0, 700);
	mk(t, "/r/p644", 0644, 0, 0);
	mk(t, "/r/m001", 0001, 0, 0);
	mk(t, "/r/w200", 0200, 1001, 1001);
	md(t, "/nx", 0600, 1001, 1001);
	mk(t, "/nx/f", 0644, 1001, 1001);
	md(t, "/z", 0, 0, 0);
	assert_int_equal(rd_symlink(t, "nowhere", RD_ROOT, "/r/dang"), 0);

	/* root: everything but exec of a file with no x bit at all */
	assert_int_equal(rd_access(t, RD_ROOT, "/r/p644", X_OK, 0), -EACCES);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/x100", X_OK, 0), 0);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/m001", X_OK, 0), 0);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/w200", R_OK, 0), 0);
	assert_int_equal(rd_access(t, RD_ROOT, "/z", X_OK, 0), 0);
	assert_int_equal(rd_access(t, RD_ROOT, "/z", R_OK | W_OK, 0), 0);
	assert_int_equal(rd_access(t, RD_ROOT, "/nx/f", R_OK, 0), 0);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/p644", 8, 0), -EINVAL);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/dang", F_OK, 0), -ENOENT);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/dang", F_OK, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/none", F_OK, 0), -ENOENT);

	as_user(t);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/r400", F_OK, 0), 0);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/r400", R_OK, 0), 0);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/r400", W_OK, 0), -EACCES);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/r400", X_OK, 0), -EACCES);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/r400", R_OK | W_OK, 0), -EACCES);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/x100", X_OK, 0), 0);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/x100", R_OK, 0), -EACCES);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/g040", R_OK, 0), 0);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/o004", R_OK, 0), 0);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/o004", W_OK, 0), -EACCES);
	/* the first class that matches decides, even if "other" would allow */
	assert_int_equal(rd_access(t, RD_ROOT, "/r/g040o004", R_OK, 0), -EACCES);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/u000o004", R_OK, 0), -EACCES);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/g700", R_OK, 0), 0);
	assert_int_equal(rd_access(t, RD_ROOT, "/r/p644", X_OK, 0), -EACCES);
	assert_int_equal(rd_access(t, RD_ROOT, "/r", R_OK | W_OK | X_OK, 0), 0);
	assert_int_equal(rd_access(t, RD_ROOT, "/z", X_OK, 0), -EACCES);
	assert_int_equal(rd_access(t, RD_ROOT, "/nx/f", F_OK, 0), -EACCES);
	tu_done(t);
}

static void test_statvfs(void **state)
{
	const uint64_t quota = 64ull << 20;
	rd_tree *t = tu_tree(quota, 1000);
	static char data[1 << 20];
	struct rd_stats rs;
	struct statvfs sv, sv2;

	(void)state;
	memset(&sv, 0, sizeof sv);
	assert_int_equal(rd_statvfs(t, &sv), 0);
	assert_int_equal(sv.f_bsize, 4096);
	assert_int_equal(sv.f_frsize, 4096);
	assert_int_equal(sv.f_namemax, 255);
	assert_int_equal((uint64_t)sv.f_blocks * sv.f_frsize, quota);
	assert_int_equal(sv.f_bavail, sv.f_bfree);
	assert_true(sv.f_bfree <= sv.f_blocks);
	assert_int_equal(rd_tree_stats(t, &rs), 0);
	assert_int_equal((uint64_t)sv.f_bfree * 4096, quota - rs.bytes_used);
	assert_int_equal(sv.f_files, 1000);
	assert_int_equal(sv.f_ffree, 1000 - rs.nodes);

	memset(data, 'd', sizeof data);
	assert_int_equal(tu_put(t, "/f", data, sizeof data), 0);
	assert_int_equal(rd_statvfs(t, &sv2), 0);
	assert_int_equal(rd_tree_stats(t, &rs), 0);
	assert_true(sv2.f_bfree + 256 <= sv.f_bfree);
	assert_int_equal((uint64_t)sv2.f_bfree * 4096, quota - rs.bytes_used);
	assert_int_equal(sv2.f_ffree, sv.f_ffree - 1);
	tu_done(t);
}

/* fchmod, fchown and futimens need a real open file: an O_PATH handle
 * gives EBADF, as on Linux; fstat through it still works. */
static void test_opath_handle_metadata(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct timespec ts[2] = {{1, 0}, {2, 0}};
	struct stat st;
	rd_fh fh;

	(void)state;
	assert_int_equal(tu_put(t, "/f", "x", 1), 0);
	assert_int_equal(rd_open(t, RD_ROOT, "/f", O_PATH, 0, &fh), 0);
	assert_int_equal(rd_fchmod(t, fh, 0600), -EBADF);
	assert_int_equal(rd_fchown(t, fh, (uid_t)-1, (gid_t)-1), -EBADF);
	assert_int_equal(rd_futimens(t, fh, ts), -EBADF);
	assert_int_equal(rd_fstat(t, fh, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

/* mknod("name/") creates nothing: EEXIST if the name exists, else ENOENT. */
static void test_mknod_trailing_slash(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat st;

	(void)state;
	assert_int_equal(tu_put(t, "/file", "x", 1), 0);
	assert_int_equal(rd_mknod(t, RD_ROOT, "/new/", S_IFREG | 0644), -ENOENT);
	assert_int_equal(rd_mknod(t, RD_ROOT, "/file/", S_IFREG | 0644), -EEXIST);
	assert_int_equal(rd_stat(t, RD_ROOT, "/new", &st, 0), -ENOENT);
	assert_int_equal(rd_mknod(t, RD_ROOT, "/new", S_IFREG | 0644), 0);
	tu_done(t);
}

/* Socket nodes (what bind(2) makes): a mode with the umask applied, found
 * by stat and readdir (DT_SOCK), not openable (ENXIO, after the permission
 * check) but for O_PATH, removable, renamable; FIFOs and devices refused. */
static void test_mknod_socket(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	char buf[512];
	struct stat st;
	rd_fh fh, d;
	ssize_t n;
	int seen = 0;

	(void)state;
	rd_tree_set_umask(t, 022);
	assert_int_equal(rd_mknod(t, RD_ROOT, "/s", S_IFSOCK | 0777), 0);
	assert_int_equal(rd_stat(t, RD_ROOT, "/s", &st, 0), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(rd_mknod(t, RD_ROOT, "/s", S_IFSOCK | 0777), -EEXIST);
	assert_int_equal(rd_open(t, RD_ROOT, "/s", O_RDWR, 0, &fh), -ENXIO);
	assert_int_equal(rd_open(t, RD_ROOT, "/s", O_PATH, 0, &fh), 0);
	rd_close(t, fh);
	assert_int_equal(rd_mknod(t, RD_ROOT, "/p", S_IFIFO | 0644), -EPERM);
	assert_int_equal(rd_mknod(t, RD_ROOT, "/c", S_IFCHR | 0644), -EPERM);
	d = tu_open(t, "/", O_RDONLY | O_DIRECTORY);
	while ((n = rd_getdents(t, d, buf, sizeof buf)) > 0)
		for (ssize_t off = 0; off < n;) {
			struct { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type; char name[]; } *e =
				(void *)(buf + off);

			if (!strcmp(e->name, "s")) {
				assert_int_equal(e->type, DT_SOCK);
				seen = 1;
			}
			off += e->reclen;
		}
	rd_close(t, d);
	assert_true(seen);
	assert_int_equal(rd_rename(t, RD_ROOT, "/s", RD_ROOT, "/s2", 0), 0);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/s2", 0), 0);
	assert_int_equal(rd_stat(t, RD_ROOT, "/s2", &st, 0), -ENOENT);
	assert_int_equal(rd_tree_check(t, buf, sizeof buf), 0);
	tu_done(t);
}

/* statx extras: the birth time is the creation time and stays when the
 * other times move; only the root is a mount root. */
static void test_statx_more(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct rd_statx_more m, r;
	struct stat st, st2;

	(void)state;
	assert_int_equal(tu_put(t, "/f", "x", 1), 0);
	assert_int_equal(rd_statx(t, RD_ROOT, "/f", 0, &st, &m), 0);
	assert_int_equal(m.btime, st.st_ctim.tv_sec);
	assert_int_equal(m.btime_ns, st.st_ctim.tv_nsec);
	assert_false(m.mount_root);
	tu_tick(10);
	assert_int_equal(rd_chmod(t, RD_ROOT, "/f", 0600, 0), 0);
	assert_int_equal(tu_put(t, "/f", "yy", 2), 0);
	assert_int_equal(rd_statx(t, RD_ROOT, "/f", 0, &st2, &r), 0);
	assert_true(st2.st_ctim.tv_sec != st.st_ctim.tv_sec || st2.st_ctim.tv_nsec != st.st_ctim.tv_nsec);
	assert_int_equal(r.btime, m.btime);
	assert_int_equal(r.btime_ns, m.btime_ns);
	assert_int_equal(rd_statx(t, RD_ROOT, "/", 0, &st, &r), 0);
	assert_true(r.mount_root);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0755), 0);
	assert_int_equal(rd_statx(t, RD_ROOT, "/d", 0, &st, &r), 0);
	assert_false(r.mount_root);
	assert_int_equal(rd_statx(t, RD_ROOT, "/nope", 0, &st, &r), -ENOENT);
	assert_int_equal(rd_statx(t, RD_ROOT, "/f", 0x40000, &st, &r), -EINVAL);
	tu_done(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opath_handle_metadata),
		cmocka_unit_test(test_mknod_trailing_slash),
		cmocka_unit_test(test_new_node_fields),
		cmocka_unit_test(test_dir_size_and_nlink),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_inode_numbers),
		cmocka_unit_test(test_create_times),
		cmocka_unit_test(test_remove_and_link_times),
		cmocka_unit_test(test_attr_change_times),
		cmocka_unit_test(test_utimens),
		cmocka_unit_test(test_chmod),
		cmocka_unit_test(test_chown),
		cmocka_unit_test(test_permissions),
		cmocka_unit_test(test_sticky),
		cmocka_unit_test(test_utimens_permissions),
		cmocka_unit_test(test_access),
		cmocka_unit_test(test_statvfs),
		cmocka_unit_test(test_statx_more),
		cmocka_unit_test(test_mknod_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

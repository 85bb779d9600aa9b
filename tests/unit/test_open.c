/* cmocka tests of rd_open: creation and its errors, O_EXCL, O_TRUNC,
 * O_APPEND, O_DIRECTORY, O_NOFOLLOW, O_TMPFILE, O_PATH, access modes and
 * open permission checks. Each expectation was first checked on Linux tmpfs. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static rd_fh op_at(rd_tree *t, rd_fh dir, const char *path, int flags, mode_t mode)
{
	rd_fh fh = 0;
	int rc = rd_open(t, dir, path, flags, mode, &fh);

	if (rc != 0)
		print_error("rd_open(%s, %#o) = %d\n", path, flags, rc);
	assert_int_equal(rc, 0);
	assert_true(fh != 0);
	return fh;
}

static rd_fh op(rd_tree *t, const char *path, int flags, mode_t mode)
{
	return op_at(t, RD_ROOT, path, flags, mode);
}

static int try_open(rd_tree *t, const char *path, int flags, mode_t mode)
{
	rd_fh fh = 0;
	int rc = rd_open(t, RD_ROOT, path, flags, mode, &fh);

	/* An unexpected success must not leak the handle into the tree check. */
	if (rc == 0)
		rd_close(t, fh);
	return rc;
}

static void fst(rd_tree *t, rd_fh fh, struct stat *st)
{
	assert_int_equal(rd_fstat(t, fh, st), 0);
}

static void pst(rd_tree *t, const char *path, struct stat *st, int flags)
{
	assert_int_equal(rd_stat(t, RD_ROOT, path, st, flags), 0);
}

static void content_is(rd_tree *t, const char *path, const char *want)
{
	char buf[256];
	ssize_t n = tu_get(t, path, buf, sizeof buf);

	assert_int_equal(n, (ssize_t)strlen(want));
	assert_memory_equal(buf, want, strlen(want));
}

/* Let the clock move so a timestamp update is visible (tmpfs uses a
 * coarse clock; 20 ms covers any tick). */
static void tick(void)
{
	tu_tick(20);
}

static int ts_after(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

static int ts_eq(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static uint64_t data_bytes(rd_tree *t)
{
	struct rd_stats s;

	assert_int_equal(rd_tree_stats(t, &s), 0);
	return s.data_bytes;
}

/* O_CREAT makes a regular file with mode & ~umask, owned by the caller's
 * credentials; on an existing file it just opens it. */
static void test_creat_mode_owner(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat st;
	rd_fh fh;

	(void)state;
	rd_tree_set_cred(t, 0, 0, NULL, 0);
	fh = op(t, "/f", O_CREAT | O_WRONLY, 0666);
	fst(t, fh, &st);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(st.st_blocks, 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(rd_write(t, fh, "abc", 3), 3);
	assert_int_equal(rd_close(t, fh), 0);

	fh = op(t, "/f", O_CREAT | O_RDWR, 0600);
	fst(t, fh, &st);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_size, 3);
	assert_int_equal(rd_close(t, fh), 0);
	content_is(t, "/f", "abc");

	rd_tree_set_umask(t, 0);
	assert_int_equal(rd_close(t, op(t, "/g", O_CREAT | O_WRONLY, 0666)), 0);
	pst(t, "/g", &st, 0);
	assert_int_equal(st.st_mode & 07777, 0666);
	rd_tree_set_umask(t, 077);
	assert_int_equal(rd_close(t, op(t, "/h", O_CREAT | O_WRONLY, 0666)), 0);
	pst(t, "/h", &st, 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	rd_tree_set_umask(t, 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/p", 0777), 0);
	rd_tree_set_cred(t, 1000, 1001, NULL, 0);
	fh = op(t, "/p/u", O_CREAT | O_RDWR, 0644);
	fst(t, fh, &st);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1001);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

/* The creator gets the access it asked for even when the new file's mode
 * denies it (a normal user, a 0444 file opened O_RDWR). */
static void test_creat_readonly_mode(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat st;
	rd_fh fh;

	(void)state;
	rd_tree_set_umask(t, 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/p", 0777), 0);
	rd_tree_set_cred(t, 1000, 1000, NULL, 0);
	fh = op(t, "/p/u", O_CREAT | O_RDWR, 0444);
	assert_int_equal(rd_write(t, fh, "x", 1), 1);
	fst(t, fh, &st);
	assert_int_equal(st.st_mode & 07777, 0444);
	assert_int_equal(st.st_size, 1);
	assert_int_equal(rd_close(t, fh), 0);
	/* Reopening is checked against the mode as usual. */
	assert_int_equal(try_open(t, "/p/u", O_RDWR, 0), -EACCES);
	tu_done(t);
}

/* ENOENT / ENOTDIR / EISDIR / EINVAL from path resolution and flag checks. */
static void test_open_path_errors(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat st;
	rd_fh fh, dfh;

	(void)state;
	assert_int_equal(tu_put(t, "/f", "data", 4), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0755), 0);

	assert_int_equal(try_open(t, "/nope", O_RDONLY, 0), -ENOENT);
	assert_int_equal(try_open(t, "/nope/x", O_RDONLY, 0), -ENOENT);
	assert_int_equal(try_open(t, "/nope/x", O_CREAT | O_WRONLY, 0644), -ENOENT);
	assert_int_equal(try_open(t, "/f/x", O_RDONLY, 0), -ENOTDIR);
	assert_int_equal(try_open(t, "/f/x", O_CREAT | O_WRONLY, 0644), -ENOTDIR);
	assert_int_equal(try_open(t, "/f/", O_RDONLY, 0), -ENOTDIR);
	assert_int_equal(try_open(t, "/new/", O_CREAT | O_WRONLY, 0644), -EISDIR);
	assert_int_equal(rd_stat(t, RD_ROOT, "/new", &st, 0), -ENOENT);
	assert_int_equal(try_open(t, "", O_RDONLY, 0), -ENOENT);

	/* A file handle as the base: relative paths fail, absolute ones ignore it. */
	fh = op(t, "/f", O_RDONLY, 0);
	dfh = 0;
	assert_int_equal(rd_open(t, fh, "x", O_RDONLY, 0, &dfh), -ENOTDIR);
	dfh = op_at(t, fh, "/d", O_RDONLY | O_DIRECTORY, 0);
	assert_int_equal(rd_close(t, fh), 0);
	fh = op_at(t, dfh, "g", O_CREAT | O_WRONLY, 0644);
	assert_int_equal(rd_close(t, fh), 0);
	pst(t, "/d/g", &st, 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(rd_close(t, dfh), 0);
	tu_done(t);
}

/* O_CREAT|O_DIRECTORY is EINVAL (Linux 6.4+), whatever the name holds. */
static void test_creat_directory_einval(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat st;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0755), 0);
	assert_int_equal(try_open(t, "/d", O_CREAT | O_DIRECTORY | O_RDONLY, 0644), -EINVAL);
	assert_int_equal(try_open(t, "/dnew", O_CREAT | O_DIRECTORY | O_RDONLY, 0644), -EINVAL);
	assert_int_equal(rd_stat(t, RD_ROOT, "/dnew", &st, 0), -ENOENT);
	tu_done(t);
}

/* O_EXCL: EEXIST on anything already at the name, symlinks not followed,
 * even dangling ones; without O_EXCL a dangling link creates its target. */
static void test_excl(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat st;

	(void)state;
	assert_int_equal(tu_put(t, "/f", "keep", 4), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0755), 0);
	assert_int_equal(rd_symlink(t, "f", RD_ROOT, "/lf"), 0);
	assert_int_equal(rd_symlink(t, "nowhere", RD_ROOT, "/dangle"), 0);

	assert_int_equal(try_open(t, "/f", O_CREAT | O_EXCL | O_WRONLY | O_TRUNC, 0644), -EEXIST);
	content_is(t, "/f", "keep");
	assert_int_equal(try_open(t, "/d", O_CREAT | O_EXCL | O_WRONLY, 0644), -EEXIST);
	assert_int_equal(try_open(t, "/lf", O_CREAT | O_EXCL | O_WRONLY, 0644), -EEXIST);
	assert_int_equal(try_open(t, "/dangle", O_CREAT | O_EXCL | O_WRONLY, 0644), -EEXIST);
	assert_int_equal(rd_stat(t, RD_ROOT, "/nowhere", &st, 0), -ENOENT);
	assert_int_equal(try_open(t, "/dangle", O_RDONLY, 0), -ENOENT);

	assert_int_equal(try_open(t, "/dangle", O_CREAT | O_WRONLY, 0600), 0);
	pst(t, "/nowhere", &st, 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	pst(t, "/dangle", &st, AT_SYMLINK_NOFOLLOW);
	assert_true(S_ISLNK(st.st_mode));

	assert_int_equal(try_open(t, "/fresh", O_CREAT | O_EXCL | O_WRONLY, 0644), 0);
	pst(t, "/fresh", &st, 0);
	assert_true(S_ISREG(st.st_mode));
	tu_done(t);
}

/* O_TRUNC empties the file, frees its pages and sets mtime and ctime, even
 * with O_RDONLY (as tmpfs does). */
static void test_trunc(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct timespec old[2] = { { 1000, 0 }, { 2000, 0 } };
	struct stat before, st;
	uint64_t data0 = data_bytes(t);
	char big[10000];
	rd_fh fh;

	(void)state;
	memset(big, 'q', sizeof big);
	assert_int_equal(tu_put(t, "/f", big, sizeof big), 0);
	assert_true(data_bytes(t) > data0);
	assert_int_equal(rd_utimens(t, RD_ROOT, "/f", old, 0), 0);
	pst(t, "/f", &before, 0);
	tick();
	fh = op(t, "/f", O_WRONLY | O_TRUNC, 0);
	fst(t, fh, &st);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_blocks, 0);
	assert_true(ts_after(st.st_mtim, before.st_mtim));
	assert_true(ts_after(st.st_ctim, before.st_ctim));
	assert_true(ts_eq(st.st_atim, before.st_atim));
	assert_int_equal(data_bytes(t), data0);
	assert_int_equal(rd_write(t, fh, "new", 3), 3);
	assert_int_equal(rd_close(t, fh), 0);
	content_is(t, "/f", "new");

	fh = op(t, "/f", O_RDONLY | O_TRUNC, 0);
	fst(t, fh, &st);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(rd_write(t, fh, "x", 1), -EBADF);
	assert_int_equal(rd_close(t, fh), 0);

	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0755), 0);
	assert_int_equal(try_open(t, "/d", O_RDONLY | O_TRUNC, 0), -EISDIR);
	tu_done(t);
}

/* tmpfs sets mtime and ctime on O_TRUNC even of an empty file. */
static void test_trunc_empty_times(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct timespec old[2] = { { 1000, 0 }, { 2000, 0 } };
	struct stat before, st;

	(void)state;
	assert_int_equal(tu_put(t, "/e", "", 0), 0);
	assert_int_equal(rd_utimens(t, RD_ROOT, "/e", old, 0), 0);
	pst(t, "/e", &before, 0);
	tick();
	assert_int_equal(try_open(t, "/e", O_WRONLY | O_TRUNC, 0), 0);
	pst(t, "/e", &st, 0);
	assert_true(ts_after(st.st_mtim, before.st_mtim));
	assert_true(ts_after(st.st_ctim, before.st_ctim));
	tu_done(t);
}

/* O_APPEND: every write, and pwrite too (Linux), lands at the end whatever
 * the position, across several handles; setfl switches it. */
static void test_append(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	rd_fh a, h1, h2, h3;
	struct iovec iov[2] = { { "E", 1 }, { "F", 1 } };

	(void)state;
	assert_int_equal(tu_put(t, "/f", "0123456789", 10), 0);
	a = op(t, "/f", O_RDWR | O_APPEND, 0);
	assert_int_equal(rd_lseek(t, a, 0, SEEK_SET), 0);
	assert_int_equal(rd_write(t, a, "AB", 2), 2);
	assert_int_equal(rd_lseek(t, a, 0, SEEK_CUR), 12);
	assert_int_equal(rd_lseek(t, a, 2, SEEK_SET), 2);
	assert_int_equal(rd_pwrite(t, a, "CD", 2, 0), 2);
	assert_int_equal(rd_lseek(t, a, 0, SEEK_CUR), 2);
	assert_int_equal(rd_pwritev(t, a, iov, 2, 1), 2);
	content_is(t, "/f", "0123456789ABCDEF");
	assert_int_equal(rd_close(t, a), 0);

	assert_int_equal(tu_put(t, "/g", "", 0), 0);
	h1 = op(t, "/g", O_WRONLY | O_APPEND, 0);
	h2 = op(t, "/g", O_WRONLY | O_APPEND, 0);
	h3 = op(t, "/g", O_WRONLY, 0);
	assert_int_equal(rd_write(t, h1, "aaa", 3), 3);
	assert_int_equal(rd_write(t, h2, "bb", 2), 2);
	assert_int_equal(rd_write(t, h1, "c", 1), 1);
	assert_int_equal(rd_write(t, h2, "dddd", 4), 4);
	assert_int_equal(rd_lseek(t, h1, 0, SEEK_CUR), 6);
	content_is(t, "/g", "aaabbcdddd");
	/* A plain handle writes at its own position. */
	assert_int_equal(rd_write(t, h3, "zz", 2), 2);
	content_is(t, "/g", "zzabbcdddd");
	assert_int_equal(rd_fh_setfl(t, h3, O_APPEND), 0);
	assert_true(rd_fh_getfl(t, h3) & O_APPEND);
	assert_int_equal(rd_write(t, h3, "e", 1), 1);
	content_is(t, "/g", "zzabbcdddde");
	assert_int_equal(rd_fh_setfl(t, h3, 0), 0);
	assert_false(rd_fh_getfl(t, h3) & O_APPEND);
	assert_int_equal(rd_lseek(t, h3, 0, SEEK_SET), 0);
	assert_int_equal(rd_write(t, h3, "Y", 1), 1);
	content_is(t, "/g", "Yzabbcdddde");
	assert_int_equal(rd_close(t, h1), 0);
	assert_int_equal(rd_close(t, h2), 0);
	assert_int_equal(rd_close(t, h3), 0);
	tu_done(t);
}

#define APP_THREADS 4
#define APP_RECS 2000
#define APP_REC 32

struct app_arg {
	rd_tree *t;
	rd_fh fh;
	int id;
	int fails;
};

/* One record: exactly APP_REC bytes, newline-terminated. */
static int app_record(char *buf, size_t size, int id, int seq)
{
	return snprintf(buf, size, "T%d-%06d-%-21s\n", id, seq, "payload");
}

static void *app_writer(void *p)
{
	struct app_arg *a = p;
	char rec[64];

	for (int i = 0; i < APP_RECS; i++) {
		if (app_record(rec, sizeof rec, a->id, i) != APP_REC ||
		    rd_write(a->t, a->fh, rec, APP_REC) != APP_REC)
			a->fails++;
	}
	return NULL;
}

/* Concurrent O_APPEND writers on separate handles: no record is lost,
 * overwritten or split, and each writer's records stay in order. */
static void test_append_concurrent(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct app_arg arg[APP_THREADS];
	pthread_t th[APP_THREADS];
	size_t total = (size_t)APP_THREADS * APP_RECS * APP_REC;
	char *buf = test_malloc(total + 1);
	int next[APP_THREADS] = { 0 };

	(void)state;
	assert_int_equal(tu_put(t, "/log", "", 0), 0);
	for (int i = 0; i < APP_THREADS; i++) {
		arg[i] = (struct app_arg){ t, op(t, "/log", O_WRONLY | O_APPEND, 0), i, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, app_writer, &arg[i]), 0);
	}
	for (int i = 0; i < APP_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(arg[i].fails, 0);
		assert_int_equal(rd_close(t, arg[i].fh), 0);
	}
	assert_int_equal(tu_get(t, "/log", buf, total + 1), (ssize_t)total);
	for (size_t off = 0; off < total; off += APP_REC) {
		char want[64];
		int id = buf[off + 1] - '0';

		assert_true(buf[off] == 'T' && id >= 0 && id < APP_THREADS);
		assert_int_equal(app_record(want, sizeof want, id, next[id]++), APP_REC);
		assert_memory_equal(buf + off, want, APP_REC);
	}
	for (int i = 0; i < APP_THREADS; i++)
		assert_int_equal(next[i], APP_RECS);
	test_free(buf);
	tu_done(t);
}

/* O_DIRECTORY, and the directory rules: no write access, no data I/O. */
static void test_directory(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat st;
	char buf[16];
	rd_fh fh;

	(void)state;
	assert_int_equal(tu_put(t, "/f", "x", 1), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0755), 0);
	assert_int_equal(rd_symlink(t, "d", RD_ROOT, "/ld"), 0);
	assert_int_equal(rd_symlink(t, "f", RD_ROOT, "/lf"), 0);

	assert_int_equal(try_open(t, "/f", O_RDONLY | O_DIRECTORY, 0), -ENOTDIR);
	assert_int_equal(try_open(t, "/lf", O_RDONLY | O_DIRECTORY, 0), -ENOTDIR);
	fh = op(t, "/ld", O_RDONLY | O_DIRECTORY, 0);
	fst(t, fh, &st);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(rd_read(t, fh, buf, sizeof buf), -EISDIR);
	assert_int_equal(rd_pread(t, fh, buf, sizeof buf, 0), -EISDIR);
	assert_int_equal(rd_close(t, fh), 0);

	assert_int_equal(try_open(t, "/d", O_WRONLY, 0), -EISDIR);
	assert_int_equal(try_open(t, "/d", O_RDWR, 0), -EISDIR);
	assert_int_equal(try_open(t, "/d", O_RDONLY | O_CREAT, 0644), -EISDIR);
	assert_int_equal(try_open(t, "/d", O_WRONLY | O_CREAT | O_EXCL, 0644), -EEXIST);
	assert_int_equal(try_open(t, "/", O_RDWR, 0), -EISDIR);
	tu_done(t);
}

/* O_NOFOLLOW refuses a symlink only as the last component; with O_PATH it
 * opens the link itself. */
static void test_nofollow(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat st;
	rd_fh fh;

	(void)state;
	assert_int_equal(tu_put(t, "/f", "x", 1), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0755), 0);
	assert_int_equal(tu_put(t, "/d/g", "yy", 2), 0);
	assert_int_equal(rd_symlink(t, "f", RD_ROOT, "/lf"), 0);
	assert_int_equal(rd_symlink(t, "d", RD_ROOT, "/ld"), 0);

	assert_int_equal(try_open(t, "/lf", O_RDONLY | O_NOFOLLOW, 0), -ELOOP);
	assert_int_equal(try_open(t, "/lf", O_CREAT | O_WRONLY | O_NOFOLLOW, 0644), -ELOOP);
	assert_int_equal(try_open(t, "/ld/g", O_RDONLY | O_NOFOLLOW, 0), 0);
	assert_int_equal(try_open(t, "/f", O_RDONLY | O_NOFOLLOW, 0), 0);
	/* With O_DIRECTORY the unfollowed link is "not a directory" first. */
	assert_int_equal(try_open(t, "/ld", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0), -ENOTDIR);

	fh = op(t, "/lf", O_PATH | O_NOFOLLOW, 0);
	fst(t, fh, &st);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(st.st_size, 1);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

/* O_PATH: a location only; every data operation is EBADF, but fstat and
 * use as a base directory work. */
static void test_o_path(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct iovec iov = { NULL, 0 };
	struct stat st;
	char buf[8];
	rd_fh fh, dh, g;

	(void)state;
	assert_int_equal(tu_put(t, "/f", "abc", 3), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0755), 0);
	iov.iov_base = buf;
	iov.iov_len = 1;

	fh = op(t, "/f", O_PATH, 0);
	assert_true(rd_fh_getfl(t, fh) & O_PATH);
	assert_int_equal(rd_read(t, fh, buf, 1), -EBADF);
	assert_int_equal(rd_write(t, fh, "x", 1), -EBADF);
	assert_int_equal(rd_pread(t, fh, buf, 1, 0), -EBADF);
	assert_int_equal(rd_pwrite(t, fh, "x", 1, 0), -EBADF);
	assert_int_equal(rd_preadv(t, fh, &iov, 1, 0), -EBADF);
	assert_int_equal(rd_pwritev(t, fh, &iov, 1, 0), -EBADF);
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_SET), -EBADF);
	assert_int_equal(rd_ftruncate(t, fh, 0), -EBADF);
	assert_int_equal(rd_fallocate(t, fh, 0, 0, 10), -EBADF);
	fst(t, fh, &st);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 3);
	assert_int_equal(rd_close(t, fh), 0);
	content_is(t, "/f", "abc");

	dh = op(t, "/d", O_PATH, 0);
	g = op_at(t, dh, "g", O_CREAT | O_WRONLY, 0644);
	assert_int_equal(rd_close(t, g), 0);
	assert_int_equal(rd_stat(t, dh, "g", &st, 0), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(rd_close(t, dh), 0);
	tu_done(t);
}

static int count_dirents(rd_tree *t, const char *dir)
{
	char buf[4096];
	rd_fh fh = op(t, dir, O_RDONLY | O_DIRECTORY, 0);
	int count = 0;
	ssize_t n;

	while ((n = rd_getdents(t, fh, buf, sizeof buf)) > 0) {
		for (ssize_t off = 0; off < n;) {
			unsigned short reclen;

			/* d_reclen follows d_ino and d_off in linux_dirent64 */
			memcpy(&reclen, buf + off + 16, sizeof reclen);
			assert_true(reclen > 0);
			off += reclen;
			count++;
		}
	}
	assert_int_equal(n, 0);
	assert_int_equal(rd_close(t, fh), 0);
	return count;
}

/* O_TMPFILE: an unnamed regular file in a directory, usable for I/O,
 * linkable once with AT_EMPTY_PATH unless O_EXCL was given. */
static void test_tmpfile(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct stat st, named;
	char buf[8];
	rd_fh fh;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0755), 0);
	assert_int_equal(tu_put(t, "/f", "x", 1), 0);

	fh = op(t, "/d", O_TMPFILE | O_RDWR, 0666);
	fst(t, fh, &st);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_nlink, 0);
	assert_int_equal(count_dirents(t, "/d"), 2);
	assert_int_equal(rd_write(t, fh, "abc", 3), 3);
	assert_int_equal(rd_pread(t, fh, buf, sizeof buf, 0), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(rd_fh_path(t, fh, buf, sizeof buf), -ENOTDIR);

	assert_int_equal(rd_link(t, fh, "", RD_ROOT, "/d/named", AT_EMPTY_PATH), 0);
	pst(t, "/d/named", &named, 0);
	assert_int_equal(named.st_ino, st.st_ino);
	assert_int_equal(named.st_nlink, 1);
	content_is(t, "/d/named", "abc");
	assert_int_equal(rd_link(t, fh, "", RD_ROOT, "/d/named2", AT_EMPTY_PATH), 0);
	fst(t, fh, &st);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(rd_close(t, fh), 0);
	content_is(t, "/d/named2", "abc");

	fh = op(t, "/d", O_TMPFILE | O_RDWR | O_EXCL, 0600);
	assert_int_equal(rd_write(t, fh, "z", 1), 1);
	assert_int_equal(rd_link(t, fh, "", RD_ROOT, "/d/x", AT_EMPTY_PATH), -ENOENT);
	assert_int_equal(rd_stat(t, RD_ROOT, "/d/x", &st, 0), -ENOENT);
	assert_int_equal(rd_close(t, fh), 0);

	fh = op(t, "/d", O_TMPFILE | O_WRONLY, 0600);
	assert_int_equal(rd_read(t, fh, buf, 1), -EBADF);
	assert_int_equal(rd_close(t, fh), 0);
	assert_int_equal(try_open(t, "/d", O_TMPFILE | O_RDONLY, 0600), -EINVAL);
	assert_int_equal(try_open(t, "/d", O_TMPFILE | O_RDWR | O_CREAT, 0600), -EINVAL);
	assert_int_equal(try_open(t, "/f", O_TMPFILE | O_RDWR, 0600), -ENOTDIR);
	assert_int_equal(try_open(t, "/nope", O_TMPFILE | O_RDWR, 0600), -ENOENT);
	assert_int_equal(count_dirents(t, "/d"), 4);
	tu_done(t);
}

/* Access modes: reading needs read access, writing write access. */
static void test_access_modes(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	char buf[8] = "";
	struct iovec iov = { buf, sizeof buf };
	rd_fh r, w;

	(void)state;
	assert_int_equal(tu_put(t, "/f", "abc", 3), 0);
	r = op(t, "/f", O_RDONLY, 0);
	w = op(t, "/f", O_WRONLY, 0);
	assert_int_equal(rd_write(t, r, "x", 1), -EBADF);
	assert_int_equal(rd_pwrite(t, r, "x", 1, 0), -EBADF);
	assert_int_equal(rd_pwritev(t, r, &iov, 1, 0), -EBADF);
	assert_int_equal(rd_read(t, w, buf, 1), -EBADF);
	assert_int_equal(rd_pread(t, w, buf, 1, 0), -EBADF);
	assert_int_equal(rd_preadv(t, w, &iov, 1, 0), -EBADF);
	assert_int_equal(rd_preadv(t, w, &iov, 1, -1), -EBADF);
	/* Positions of a write-only handle still move. */
	assert_int_equal(rd_lseek(t, w, 2, SEEK_SET), 2);
	assert_int_equal(rd_read(t, r, buf, sizeof buf), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(rd_close(t, r), 0);
	assert_int_equal(rd_close(t, w), 0);
	content_is(t, "/f", "abc");
	tu_done(t);
}

/* Permission checks for a normal user (uid 1000), and root's bypass. */
static void test_open_permissions(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	rd_fh fh;

	(void)state;
	rd_tree_set_cred(t, 0, 0, NULL, 0);
	rd_tree_set_umask(t, 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/p", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/p/closed", 0755), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/p/nosearch", 0666), 0);
	assert_int_equal(try_open(t, "/p/nosearch/f", O_CREAT | O_WRONLY, 0666), 0);
	assert_int_equal(try_open(t, "/p/ro", O_CREAT | O_WRONLY, 0444), 0);
	assert_int_equal(try_open(t, "/p/wo", O_CREAT | O_WRONLY, 0222), 0);
	assert_int_equal(try_open(t, "/p/none", O_CREAT | O_WRONLY, 0), 0);
	assert_int_equal(tu_put(t, "/p/mine", "m", 1), 0);
	assert_int_equal(rd_chown(t, RD_ROOT, "/p/mine", 1000, 1000, 0), 0);
	assert_int_equal(tu_put(t, "/p/keep", "keep", 4), 0);
	assert_int_equal(rd_chmod(t, RD_ROOT, "/p/keep", 0444, 0), 0);

	assert_int_equal(try_open(t, "/p/none", O_RDWR, 0), 0);
	assert_int_equal(try_open(t, "/p/nosearch/f", O_RDONLY, 0), 0);

	rd_tree_set_cred(t, 1000, 1000, NULL, 0);
	assert_int_equal(try_open(t, "/p/ro", O_RDONLY, 0), 0);
	assert_int_equal(try_open(t, "/p/ro", O_WRONLY, 0), -EACCES);
	assert_int_equal(try_open(t, "/p/ro", O_RDWR, 0), -EACCES);
	assert_int_equal(try_open(t, "/p/keep", O_RDONLY | O_TRUNC, 0), -EACCES);
	assert_int_equal(try_open(t, "/p/ro", O_CREAT | O_WRONLY, 0644), -EACCES);
	assert_int_equal(try_open(t, "/p/ro", O_CREAT | O_EXCL | O_WRONLY, 0644), -EEXIST);
	assert_int_equal(try_open(t, "/p/wo", O_RDONLY, 0), -EACCES);
	assert_int_equal(try_open(t, "/p/wo", O_WRONLY, 0), 0);
	assert_int_equal(try_open(t, "/p/none", O_RDONLY, 0), -EACCES);
	assert_int_equal(try_open(t, "/p/none", O_PATH, 0), 0);
	assert_int_equal(try_open(t, "/p/closed/new", O_CREAT | O_WRONLY, 0644), -EACCES);
	assert_int_equal(try_open(t, "/p/closed", O_TMPFILE | O_RDWR, 0644), -EACCES);
	assert_int_equal(try_open(t, "/p/nosearch/f", O_RDONLY, 0), -EACCES);
	assert_int_equal(try_open(t, "/p/nosearch/f", O_PATH, 0), -EACCES);
	assert_int_equal(try_open(t, "/p/ro", O_RDONLY | O_NOATIME, 0), -EPERM);
	assert_int_equal(try_open(t, "/p/mine", O_RDONLY | O_NOATIME, 0), 0);

	/* Access is decided at open: a later chmod does not revoke it. */
	fh = op(t, "/p/mine", O_RDWR, 0);
	assert_int_equal(rd_fchmod(t, fh, 0444), 0);
	assert_int_equal(rd_write(t, fh, "abc", 3), 3);
	assert_int_equal(rd_ftruncate(t, fh, 1), 0);
	assert_int_equal(rd_close(t, fh), 0);
	rd_tree_set_cred(t, 0, 0, NULL, 0);
	content_is(t, "/p/keep", "keep");
	content_is(t, "/p/mine", "a");
	tu_done(t);
}

/* rd_reopen: what opening /proc/self/fd/N does. A new open file with its
 * own position and flags, the checks of an open by name, and it works on a
 * file that has no name left. */
static void test_reopen(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	rd_fh a, b, d;
	char buf[16];
	struct stat st;

	(void)state;
	assert_int_equal(tu_put(t, "/f", "hello", 5), 0);
	a = tu_open(t, "/f", O_RDONLY);
	assert_int_equal(rd_read(t, a, buf, 2), 2);
	assert_int_equal(rd_reopen(t, a, O_RDONLY, &b), 0);
	assert_int_equal(rd_read(t, b, buf, sizeof buf), 5); /* own position */
	assert_int_equal(rd_close(t, b), 0);
	/* a write open through a read-only descriptor's link is allowed by
	 * the file's mode, not by the descriptor */
	assert_int_equal(rd_reopen(t, a, O_WRONLY | O_APPEND, &b), 0);
	assert_int_equal(rd_write(t, b, "!", 1), 1);
	assert_int_equal(rd_close(t, b), 0);
	assert_int_equal(tu_get(t, "/f", buf, sizeof buf), 6);
	assert_int_equal(rd_reopen(t, a, O_CREAT | O_EXCL | O_WRONLY, &b), -EEXIST);
	assert_int_equal(rd_reopen(t, a, O_RDONLY | O_DIRECTORY, &b), -ENOTDIR);
	/* unlinked: still reachable, O_TRUNC applies */
	assert_int_equal(rd_unlink(t, RD_ROOT, "/f", 0), 0);
	assert_int_equal(rd_reopen(t, a, O_RDWR | O_TRUNC, &b), 0);
	st = tu_fstat(t, b);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_nlink, 0);
	assert_int_equal(rd_close(t, b), 0);
	/* permissions are checked as for an open by name */
	assert_int_equal(tu_put(t, "/ro", "x", 1), 0);
	assert_int_equal(rd_chmod(t, RD_ROOT, "/ro", 0444, 0), 0);
	b = tu_open(t, "/ro", O_RDONLY);
	rd_tree_set_cred(t, 1000, 1000, NULL, 0);
	assert_int_equal(rd_reopen(t, b, O_WRONLY, &d), -EACCES);
	rd_tree_set_cred(t, 0, 0, NULL, 0);
	assert_int_equal(rd_close(t, b), 0);
	/* a directory: read-only opens only */
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0755), 0);
	d = tu_open(t, "/d", O_RDONLY | O_DIRECTORY);
	assert_int_equal(rd_reopen(t, d, O_WRONLY, &b), -EISDIR);
	assert_int_equal(rd_reopen(t, d, O_RDONLY | O_DIRECTORY, &b), 0);
	assert_int_equal(rd_close(t, b), 0);
	assert_int_equal(rd_close(t, d), 0);
	assert_int_equal(rd_close(t, a), 0);
	assert_int_equal(rd_reopen(t, a, O_RDONLY, &b), -EBADF);
	tu_done(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_creat_mode_owner),
		cmocka_unit_test(test_creat_readonly_mode),
		cmocka_unit_test(test_open_path_errors),
		cmocka_unit_test(test_creat_directory_einval),
		cmocka_unit_test(test_excl),
		cmocka_unit_test(test_trunc),
		cmocka_unit_test(test_trunc_empty_times),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_append_concurrent),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_nofollow),
		cmocka_unit_test(test_o_path),
		cmocka_unit_test(test_tmpfile),
		cmocka_unit_test(test_access_modes),
		cmocka_unit_test(test_open_permissions),
		cmocka_unit_test(test_reopen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* cmocka tests of size changes: truncate both ways (old bytes never come
 * back), errors, timestamps, and the fallocate modes. Checked on tmpfs first
 * (ZERO_RANGE is refused with EOPNOTSUPP, as tmpfs does). */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096

static uint64_t data_bytes(rd_tree *t)
{
	struct rd_stats s;

	assert_int_equal(rd_tree_stats(t, &s), 0);
	return s.data_bytes;
}

static void tick(void)
{
	struct timespec d = { 0, 20 * 1000 * 1000 };

	nanosleep(&d, NULL);
}

static int ts_after(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

static int all_is(const unsigned char *p, size_t n, unsigned char c)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

/* A file of len bytes of c, open read-write. */
static rd_fh filled(rd_tree *t, const char *path, size_t len, unsigned char c)
{
	static unsigned char buf[3 * PAGE];
	rd_fh fh;

	assert_true(len <= sizeof buf);
	memset(buf, c, len);
	assert_int_equal(tu_put(t, path, buf, len), 0);
	fh = tu_open(t, path, O_RDWR);
	assert_int_equal(tu_fstat(t, fh).st_size, (off_t)len);
	return fh;
}

/* Read [0, size) and check: c before keep, zeros from keep on. */
static void expect(rd_tree *t, rd_fh fh, size_t keep, size_t size, unsigned char c)
{
	static unsigned char got[3 * PAGE];

	assert_true(size <= sizeof got);
	memset(got, 0xee, sizeof got);
	assert_int_equal(tu_fstat(t, fh).st_size, (off_t)size);
	assert_int_equal(rd_pread(t, fh, got, sizeof got, 0), (ssize_t)size);
	assert_true(all_is(got, keep, c));
	assert_true(all_is(got + keep, size - keep, 0));
}

/* Shrinking then growing again (by truncate, write or fallocate) reads
 * zeros past the cut, across pages and within one page. */
static void test_shrink_extend_zeros(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	rd_fh fh;

	(void)state;
	fh = filled(t, "/a", 3 * PAGE, 'A');
	assert_int_equal(tu_fstat(t, fh).st_blocks, 24);
	assert_int_equal(rd_ftruncate(t, fh, 5000), 0);
	assert_int_equal(tu_fstat(t, fh).st_blocks, 16);
	expect(t, fh, 5000, 5000, 'A');
	assert_int_equal(rd_ftruncate(t, fh, 3 * PAGE), 0);
	assert_int_equal(tu_fstat(t, fh).st_blocks, 16);
	expect(t, fh, 5000, 3 * PAGE, 'A');
	assert_int_equal(rd_close(t, fh), 0);

	fh = filled(t, "/b", 1500, 'B');
	assert_int_equal(rd_truncate(t, RD_ROOT, "/b", 100), 0);
	assert_int_equal(rd_truncate(t, RD_ROOT, "/b", 1500), 0);
	expect(t, fh, 100, 1500, 'B');
	assert_int_equal(tu_fstat(t, fh).st_blocks, 8);
	assert_int_equal(rd_close(t, fh), 0);

	fh = filled(t, "/c", 3000, 'C');
	assert_int_equal(rd_ftruncate(t, fh, 2000), 0);
	assert_int_equal(rd_ftruncate(t, fh, 3000), 0);
	expect(t, fh, 2000, 3000, 'C');
	assert_int_equal(rd_ftruncate(t, fh, 0), 0);
	assert_int_equal(tu_fstat(t, fh).st_blocks, 0);
	assert_int_equal(rd_ftruncate(t, fh, 2 * PAGE), 0);
	expect(t, fh, 0, 2 * PAGE, 'C');
	assert_int_equal(tu_fstat(t, fh).st_blocks, 0);
	assert_int_equal(rd_close(t, fh), 0);

	fh = filled(t, "/d", PAGE, 'D');
	assert_int_equal(rd_ftruncate(t, fh, 10), 0);
	assert_int_equal(rd_pwrite(t, fh, "", 1, 6000), 1);
	expect(t, fh, 10, 6001, 'D');
	assert_int_equal(rd_close(t, fh), 0);

	fh = filled(t, "/e", PAGE, 'E');
	assert_int_equal(rd_ftruncate(t, fh, 10), 0);
	assert_int_equal(rd_fallocate(t, fh, 0, 0, PAGE), 0);
	expect(t, fh, 10, PAGE, 'E');
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

/* Shrinking frees the pages past the new size; growing allocates none. */
static void test_truncate_frees_pages(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	static unsigned char buf[10 * PAGE];
	uint64_t d0 = data_bytes(t), d1, used1;
	rd_fh fh;

	(void)state;
	memset(buf, 'x', sizeof buf);
	fh = tu_open(t, "/f", O_CREAT | O_RDWR);
	assert_int_equal(rd_write(t, fh, buf, sizeof buf), sizeof buf);
	d1 = data_bytes(t);
	used1 = tu_used(t);
	assert_int_equal(d1, d0 + 10 * PAGE);
	assert_int_equal(rd_ftruncate(t, fh, 2 * PAGE + 1), 0);
	assert_int_equal(data_bytes(t), d0 + 3 * PAGE);
	assert_true(tu_used(t) <= used1 - 7 * PAGE);
	assert_int_equal(tu_fstat(t, fh).st_blocks, 24);
	assert_int_equal(rd_ftruncate(t, fh, 100 * PAGE), 0);
	assert_int_equal(data_bytes(t), d0 + 3 * PAGE);
	assert_int_equal(rd_ftruncate(t, fh, 0), 0);
	assert_int_equal(data_bytes(t), d0);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

static void test_truncate_errors(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	rd_fh r, p, d, w;

	(void)state;
	rd_tree_set_cred(t, 0, 0, NULL, 0);
	assert_int_equal(tu_put(t, "/f", "0123456789", 10), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0755), 0);
	assert_int_equal(rd_symlink(t, "f", RD_ROOT, "/lf"), 0);

	w = tu_open(t, "/f", O_RDWR);
	assert_int_equal(rd_ftruncate(t, w, -1), -EINVAL);
	assert_int_equal(rd_truncate(t, RD_ROOT, "/f", -1), -EINVAL);
	r = tu_open(t, "/f", O_RDONLY);
	assert_int_equal(rd_ftruncate(t, r, 0), -EINVAL);
	p = tu_open(t, "/f", O_PATH);
	assert_int_equal(rd_ftruncate(t, p, 0), -EBADF);
	d = tu_open(t, "/d", O_RDONLY | O_DIRECTORY);
	assert_int_equal(rd_ftruncate(t, d, 0), -EINVAL);
	assert_int_equal(rd_truncate(t, RD_ROOT, "/d", 0), -EISDIR);
	assert_int_equal(rd_truncate(t, RD_ROOT, "/nope", 0), -ENOENT);
	assert_int_equal(rd_truncate(t, RD_ROOT, "/f/x", 0), -ENOTDIR);
	assert_int_equal(tu_fstat(t, w).st_size, 10);

	/* A path is followed through a symlink; a relative one from a base. */
	assert_int_equal(rd_truncate(t, RD_ROOT, "/lf", 7), 0);
	assert_int_equal(tu_fstat(t, w).st_size, 7);
	assert_int_equal(rd_truncate(t, d, "../f", 6), 0);
	assert_int_equal(tu_fstat(t, w).st_size, 6);

	/* A normal user needs write permission on the file. */
	rd_tree_set_cred(t, 1000, 1000, NULL, 0);
	assert_int_equal(rd_truncate(t, RD_ROOT, "/f", 0), -EACCES);
	assert_int_equal(tu_fstat(t, w).st_size, 6);
	rd_tree_set_cred(t, 0, 0, NULL, 0);
	assert_int_equal(rd_chmod(t, RD_ROOT, "/f", 0, 0), 0);
	assert_int_equal(rd_truncate(t, RD_ROOT, "/f", 5), 0);
	assert_int_equal(tu_fstat(t, w).st_size, 5);

	assert_int_equal(rd_close(t, w), 0);
	assert_int_equal(rd_close(t, r), 0);
	assert_int_equal(rd_close(t, p), 0);
	assert_int_equal(rd_close(t, d), 0);
	tu_done(t);
}

/* Changing the size sets mtime and ctime, not atime. */
static void test_truncate_times(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct timespec old[2] = { { 1000, 0 }, { 2000, 0 } };
	struct stat s0, s1;
	rd_fh fh;

	(void)state;
	fh = filled(t, "/f", 100, 'f');
	assert_int_equal(rd_futimens(t, fh, old), 0);
	s0 = tu_fstat(t, fh);
	tick();
	assert_int_equal(rd_ftruncate(t, fh, 50), 0);
	s1 = tu_fstat(t, fh);
	assert_true(ts_after(s1.st_mtim, s0.st_ctim) && ts_after(s1.st_ctim, s0.st_ctim));
	assert_int_equal(s1.st_atim.tv_sec, 1000);
	assert_int_equal(rd_futimens(t, fh, old), 0);
	s0 = tu_fstat(t, fh);
	tick();
	assert_int_equal(rd_truncate(t, RD_ROOT, "/f", 5000), 0);
	s1 = tu_fstat(t, fh);
	assert_true(ts_after(s1.st_mtim, s0.st_ctim) && ts_after(s1.st_ctim, s0.st_ctim));
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

/* tmpfs sets mtime and ctime even when the size does not change. */
static void test_truncate_same_size_times(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct timespec old[2] = { { 1000, 0 }, { 2000, 0 } };
	struct stat s0, s1;
	rd_fh fh;

	(void)state;
	fh = filled(t, "/f", 50, 'f');
	assert_int_equal(rd_futimens(t, fh, old), 0);
	s0 = tu_fstat(t, fh);
	tick();
	assert_int_equal(rd_ftruncate(t, fh, 50), 0);
	s1 = tu_fstat(t, fh);
	assert_true(ts_after(s1.st_mtim, s0.st_ctim) && ts_after(s1.st_ctim, s0.st_ctim));
	assert_int_equal(rd_futimens(t, fh, old), 0);
	s0 = tu_fstat(t, fh);
	tick();
	assert_int_equal(rd_truncate(t, RD_ROOT, "/f", 50), 0);
	s1 = tu_fstat(t, fh);
	assert_true(ts_after(s1.st_mtim, s0.st_ctim) && ts_after(s1.st_ctim, s0.st_ctim));
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

/* Truncation leaves the file position alone, even past the new end. */
static void test_truncate_position(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	char buf[4];
	rd_fh fh;

	(void)state;
	fh = filled(t, "/f", 50, 'f');
	assert_int_equal(rd_lseek(t, fh, 40, SEEK_SET), 40);
	assert_int_equal(rd_ftruncate(t, fh, 10), 0);
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_CUR), 40);
	assert_int_equal(rd_read(t, fh, buf, sizeof buf), 0);
	assert_int_equal(rd_ftruncate(t, fh, 100), 0);
	assert_int_equal(rd_read(t, fh, buf, sizeof buf), 4);
	assert_true(all_is((unsigned char *)buf, sizeof buf, 0));
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_CUR), 44);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

/* A 1 TiB sparse file costs one page. */
static void test_truncate_huge_sparse(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	const off_t tib = (off_t)1 << 40;
	unsigned char buf[100];
	uint64_t d0 = data_bytes(t);
	rd_fh fh;

	(void)state;
	fh = tu_open(t, "/s", O_CREAT | O_RDWR);
	assert_int_equal(rd_ftruncate(t, fh, tib), 0);
	assert_int_equal(tu_fstat(t, fh).st_size, tib);
	assert_int_equal(tu_fstat(t, fh).st_blocks, 0);
	memset(buf, 0xee, sizeof buf);
	assert_int_equal(rd_pread(t, fh, buf, sizeof buf, tib / 2), sizeof buf);
	assert_true(all_is(buf, sizeof buf, 0));
	assert_int_equal(rd_pwrite(t, fh, "x", 1, tib - 1), 1);
	assert_int_equal(tu_fstat(t, fh).st_size, tib);
	assert_int_equal(tu_fstat(t, fh).st_blocks, 8);
	assert_int_equal(data_bytes(t), d0 + PAGE);
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_DATA), tib - PAGE);
	assert_int_equal(rd_pread(t, fh, buf, sizeof buf, tib - 1), 1);
	assert_int_equal(buf[0], 'x');
	assert_int_equal(rd_ftruncate(t, fh, 0), 0);
	assert_int_equal(tu_fstat(t, fh).st_blocks, 0);
	assert_int_equal(data_bytes(t), d0);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

/* tmpfs accepts any size up to 2^63-1 (a hole costs nothing). */
static void test_truncate_max_size(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	unsigned char buf[100];
	rd_fh fh;

	(void)state;
	fh = tu_open(t, "/s", O_CREAT | O_RDWR);
	assert_int_equal(rd_ftruncate(t, fh, LLONG_MAX), 0);
	assert_int_equal(tu_fstat(t, fh).st_size, LLONG_MAX);
	assert_int_equal(tu_fstat(t, fh).st_blocks, 0);
	memset(buf, 0xee, sizeof buf);
	assert_int_equal(rd_pread(t, fh, buf, sizeof buf, LLONG_MAX - 1000), sizeof buf);
	assert_true(all_is(buf, sizeof buf, 0));
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

static void test_fallocate_modes(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	static unsigned char buf[24000];
	uint64_t d;
	struct stat st;
	rd_fh fh;

	(void)state;
	fh = tu_open(t, "/f", O_CREAT | O_RDWR);
	/* Mode 0 allocates and extends; the new bytes read as zeros. */
	assert_int_equal(rd_fallocate(t, fh, 0, 0, 10000), 0);
	st = tu_fstat(t, fh);
	assert_int_equal(st.st_size, 10000);
	assert_int_equal(st.st_blocks, 24);
	memset(buf, 0xee, sizeof buf);
	assert_int_equal(rd_pread(t, fh, buf, sizeof buf, 0), 10000);
	assert_true(all_is(buf, 10000, 0));
	/* KEEP_SIZE allocates past the end without moving it. */
	assert_int_equal(rd_fallocate(t, fh, FALLOC_FL_KEEP_SIZE, 0, 20000), 0);
	st = tu_fstat(t, fh);
	assert_int_equal(st.st_size, 10000);
	assert_int_equal(st.st_blocks, 40);
	assert_int_equal(rd_fallocate(t, fh, 0, 5, 10), 0);
	assert_int_equal(tu_fstat(t, fh).st_size, 10000);
	assert_int_equal(tu_fstat(t, fh).st_blocks, 40);
	/* Writing into allocated pages takes no new space. */
	d = data_bytes(t);
	memset(buf, 'B', 20000);
	assert_int_equal(rd_pwrite(t, fh, buf, 20000, 0), 20000);
	assert_int_equal(data_bytes(t), d);
	assert_int_equal(tu_fstat(t, fh).st_blocks, 40);

	/* PUNCH_HOLE|KEEP_SIZE frees whole pages and zeros partial ones. */
	assert_int_equal(rd_fallocate(t, fh, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, PAGE, 2 * PAGE), 0);
	st = tu_fstat(t, fh);
	assert_int_equal(st.st_size, 20000);
	assert_int_equal(st.st_blocks, 24);
	assert_int_equal(data_bytes(t), d - 2 * PAGE);
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_HOLE), PAGE);
	assert_int_equal(rd_lseek(t, fh, PAGE, SEEK_DATA), 3 * PAGE);
	assert_int_equal(rd_fallocate(t, fh, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 200), 0);
	assert_int_equal(tu_fstat(t, fh).st_blocks, 24);
	assert_int_equal(rd_fallocate(t, fh, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 30000, 5000), 0);
	assert_int_equal(tu_fstat(t, fh).st_size, 20000);
	assert_int_equal(rd_pread(t, fh, buf, sizeof buf, 0), 20000);
	assert_true(all_is(buf, 100, 'B'));
	assert_true(all_is(buf + 100, 200, 0));
	assert_true(all_is(buf + 300, PAGE - 300, 'B'));
	assert_true(all_is(buf + PAGE, 2 * PAGE, 0));
	assert_true(all_is(buf + 3 * PAGE, 20000 - 3 * PAGE, 'B'));

	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

/* tmpfs has no ZERO_RANGE: -EOPNOTSUPP, and the file is left untouched. */
static void test_fallocate_zero_range(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	static unsigned char buf[24000];
	uint64_t used;
	rd_fh fh;

	(void)state;
	memset(buf, 'B', sizeof buf);
	assert_int_equal(tu_put(t, "/f", buf, 20000), 0);
	fh = tu_open(t, "/f", O_RDWR);
	used = tu_used(t);
	assert_int_equal(rd_fallocate(t, fh, FALLOC_FL_ZERO_RANGE, 13000, 2000), -EOPNOTSUPP);
	assert_int_equal(rd_fallocate(t, fh, FALLOC_FL_ZERO_RANGE, 19000, 5000), -EOPNOTSUPP);
	assert_int_equal(rd_fallocate(t, fh, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 24000, 5000), -EOPNOTSUPP);
	assert_int_equal(tu_fstat(t, fh).st_size, 20000);
	assert_int_equal(tu_used(t), used);
	memset(buf, 0xee, sizeof buf);
	assert_int_equal(rd_pread(t, fh, buf, sizeof buf, 0), 20000);
	assert_true(all_is(buf, 20000, 'B'));
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

static void test_fallocate_errors(void **state)
{
	rd_tree *t = tu_tree(1u << 20, 0);
	uint64_t used;
	rd_fh w, r, d;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0755), 0);
	w = tu_open(t, "/f", O_CREAT | O_RDWR);
	assert_int_equal(rd_fallocate(t, w, 0, 0, 0), -EINVAL);
	assert_int_equal(rd_fallocate(t, w, 0, -1, 10), -EINVAL);
	assert_int_equal(rd_fallocate(t, w, 0, 0, -1), -EINVAL);
	assert_int_equal(rd_fallocate(t, w, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 0), -EINVAL);
	assert_int_equal(rd_fallocate(t, w, 0, LLONG_MAX, 10), -EFBIG);
	assert_int_equal(rd_fallocate(t, w, FALLOC_FL_PUNCH_HOLE, 0, 10), -EOPNOTSUPP);
	assert_int_equal(rd_fallocate(t, w, FALLOC_FL_COLLAPSE_RANGE, 0, PAGE), -EOPNOTSUPP);
	assert_int_equal(rd_fallocate(t, w, FALLOC_FL_INSERT_RANGE, 0, PAGE), -EOPNOTSUPP);
	assert_int_equal(rd_fallocate(t, w, FALLOC_FL_ZERO_RANGE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 10),
			 -EOPNOTSUPP);
	r = tu_open(t, "/f", O_RDONLY);
	assert_int_equal(rd_fallocate(t, r, 0, 0, 10), -EBADF);
	d = tu_open(t, "/d", O_RDONLY | O_DIRECTORY);
	assert_int_equal(rd_fallocate(t, d, 0, 0, 10), -EBADF);
	assert_int_equal(tu_fstat(t, w).st_size, 0);

	/* Beyond the quota: ENOSPC and nothing allocated or extended. */
	used = tu_used(t);
	assert_int_equal(rd_fallocate(t, w, 0, 0, 2 << 20), -ENOSPC);
	assert_int_equal(rd_fallocate(t, w, FALLOC_FL_KEEP_SIZE, 0, 2 << 20), -ENOSPC);
	assert_int_equal(tu_fstat(t, w).st_size, 0);
	assert_int_equal(tu_fstat(t, w).st_blocks, 0);
	assert_int_equal(tu_used(t), used);
	assert_int_equal(rd_close(t, w), 0);
	assert_int_equal(rd_close(t, r), 0);
	assert_int_equal(rd_close(t, d), 0);
	tu_done(t);
}

/* On tmpfs every successful fallocate mode sets mtime and ctime. */
static void test_fallocate_times(void **state)
{
	static const int modes[] = { 0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE };
	rd_tree *t = tu_tree(0, 0);
	struct timespec old[2] = { { 1000, 0 }, { 2000, 0 } };
	struct stat s0, s1;
	rd_fh fh;

	(void)state;
	fh = filled(t, "/f", 3 * PAGE, 'x');
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		assert_int_equal(rd_futimens(t, fh, old), 0);
		s0 = tu_fstat(t, fh);
		tick();
		assert_int_equal(rd_fallocate(t, fh, modes[i], PAGE, 8 * PAGE), 0);
		s1 = tu_fstat(t, fh);
		assert_true(ts_after(s1.st_mtim, s0.st_ctim));
		assert_true(ts_after(s1.st_ctim, s0.st_ctim));
		assert_int_equal(s1.st_atim.tv_sec, 1000);
	}
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shrink_extend_zeros),
		cmocka_unit_test(test_truncate_frees_pages),
		cmocka_unit_test(test_truncate_errors),
		cmocka_unit_test(test_truncate_times),
		cmocka_unit_test(test_truncate_same_size_times),
		cmocka_unit_test(test_truncate_position),
		cmocka_unit_test(test_truncate_huge_sparse),
		cmocka_unit_test(test_truncate_max_size),
		cmocka_unit_test(test_fallocate_modes),
		cmocka_unit_test(test_fallocate_zero_range),
		cmocka_unit_test(test_fallocate_errors),
		cmocka_unit_test(test_fallocate_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

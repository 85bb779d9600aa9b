/* cmocka tests of file I/O: read/write and their positioned and vector
 * forms, shared positions, lseek (SEEK_DATA/SEEK_HOLE too), sparse files,
 * large and growing files, timestamps, and all-or-nothing ENOSPC writes. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096

static void tick(void)
{
	tu_tick(20);
}

static int ts_eq(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static int ts_after(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* xorshift64: reproducible randomness for the large-file test. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_read_write_basic(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	char buf[128];
	rd_fh fh;

	(void)state;
	fh = tu_open(t, "/f", O_CREAT | O_RDWR);
	assert_int_equal(rd_write(t, fh, "hello", 5), 5);
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_CUR), 5);
	assert_int_equal(rd_write(t, fh, " world", 6), 6);
	assert_int_equal(tu_fstat(t, fh).st_size, 11);
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_SET), 0);
	assert_int_equal(rd_read(t, fh, buf, 5), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(rd_read(t, fh, buf, sizeof buf), 6);
	assert_memory_equal(buf, " world", 6);
	/* At and past the end a read returns 0, again and again. */
	assert_int_equal(rd_read(t, fh, buf, sizeof buf), 0);
	assert_int_equal(rd_read(t, fh, buf, sizeof buf), 0);
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_CUR), 11);

	assert_int_equal(rd_pread(t, fh, buf, 5, 8), 3);
	assert_memory_equal(buf, "rld", 3);
	assert_int_equal(rd_pread(t, fh, buf, 5, 100), 0);
	assert_int_equal(rd_pread(t, fh, buf, 5, -1), -EINVAL);
	assert_int_equal(rd_pwrite(t, fh, "x", 1, -1), -EINVAL);
	/* offset + length past 2^63-1 is EINVAL, positioned or not. */
	assert_int_equal(rd_pread(t, fh, buf, 100, LLONG_MAX - 10), -EINVAL);
	assert_int_equal(rd_pwrite(t, fh, buf, 100, LLONG_MAX - 10), -EINVAL);
	assert_int_equal(rd_lseek(t, fh, LLONG_MAX - 10, SEEK_SET), LLONG_MAX - 10);
	assert_int_equal(rd_write(t, fh, buf, 100), -EINVAL);
	assert_int_equal(rd_read(t, fh, buf, 100), -EINVAL);
	assert_int_equal(rd_lseek(t, fh, 11, SEEK_SET), 11);
	assert_int_equal(rd_read(t, fh, buf, 0), 0);
	assert_int_equal(rd_write(t, fh, buf, 0), 0);
	assert_int_equal(tu_fstat(t, fh).st_size, 11);
	assert_int_equal(rd_pwrite(t, fh, "XY", 2, 0), 2);
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_CUR), 11);
	assert_int_equal(rd_pread(t, fh, buf, sizeof buf, 0), 11);
	assert_memory_equal(buf, "XYllo world", 11);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

/* rd_fh_ref makes one more reference to the same open file: the position
 * is shared and survives closing the other reference. A second rd_open is
 * a separate open file with its own position. */
static void test_shared_position(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	uint64_t open0 = tu_stats(t).open_files;
	char buf[8];
	rd_fh a, b;

	(void)state;
	assert_int_equal(tu_put(t, "/f", "0123456789", 10), 0);
	a = tu_open(t, "/f", O_RDONLY);
	assert_int_equal(tu_stats(t).open_files, open0 + 1);
	assert_int_equal(rd_fh_ref(t, a), 0);
	assert_int_equal(tu_stats(t).open_files, open0 + 1);
	assert_int_equal(rd_read(t, a, buf, 3), 3);
	assert_memory_equal(buf, "012", 3);
	assert_int_equal(rd_close(t, a), 0);
	assert_int_equal(tu_stats(t).open_files, open0 + 1);
	assert_int_equal(rd_lseek(t, a, 0, SEEK_CUR), 3);
	assert_int_equal(rd_read(t, a, buf, 3), 3);
	assert_memory_equal(buf, "345", 3);

	b = tu_open(t, "/f", O_RDONLY);
	assert_int_equal(tu_stats(t).open_files, open0 + 2);
	assert_int_equal(rd_read(t, b, buf, 2), 2);
	assert_memory_equal(buf, "01", 2);
	assert_int_equal(rd_lseek(t, a, 0, SEEK_CUR), 6);
	assert_int_equal(rd_close(t, b), 0);
	assert_int_equal(rd_close(t, a), 0);
	assert_int_equal(tu_stats(t).open_files, open0);
	tu_done(t);
}

static void test_vectors(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct iovec w[3] = { { "abc", 3 }, { "", 0 }, { "defgh", 5 } };
	static struct iovec many[1025];
	static char bytes[1025];
	char b1[4], b2[100], all[32];
	struct iovec r[2] = { { b1, sizeof b1 }, { b2, sizeof b2 } };
	rd_fh fh;

	(void)state;
	fh = tu_open(t, "/v", O_CREAT | O_RDWR);
	assert_int_equal(rd_pwritev(t, fh, w, 3, 10), 8);
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_CUR), 0);
	assert_int_equal(tu_fstat(t, fh).st_size, 18);
	assert_int_equal(rd_preadv(t, fh, r, 2, 10), 8);
	assert_memory_equal(b1, "abcd", 4);
	assert_memory_equal(b2, "efgh", 4);

	/* off < 0: use and advance the position. */
	assert_int_equal(rd_lseek(t, fh, 1, SEEK_SET), 1);
	assert_int_equal(rd_pwritev(t, fh, w, 3, -1), 8);
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_CUR), 9);
	assert_int_equal(rd_lseek(t, fh, 2, SEEK_SET), 2);
	assert_int_equal(rd_preadv(t, fh, r, 2, -1), 16);
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_CUR), 18);
	assert_memory_equal(b1, "bcde", 4);
	assert_memory_equal(b2, "fgh\0abcdefgh", 12);
	assert_int_equal(rd_preadv(t, fh, r, 2, -1), 0);

	assert_int_equal(rd_preadv(t, fh, r, 0, 0), 0);
	assert_int_equal(rd_pwritev(t, fh, w, 0, 0), 0);
	assert_int_equal(rd_preadv(t, fh, r, -1, 0), -EINVAL);
	assert_int_equal(rd_pwritev(t, fh, w, -1, 0), -EINVAL);
	for (int i = 0; i < 1025; i++) {
		bytes[i] = (char)('A' + i % 26);
		many[i].iov_base = &bytes[i];
		many[i].iov_len = 1;
	}
	/* More than IOV_MAX (1024) vectors is EINVAL; exactly 1024 is fine. */
	assert_int_equal(rd_pwritev(t, fh, many, 1025, 0), -EINVAL);
	assert_int_equal(rd_preadv(t, fh, many, 1025, 0), -EINVAL);
	assert_int_equal(tu_fstat(t, fh).st_size, 18);
	assert_int_equal(rd_pwritev(t, fh, many, 1024, 0), 1024);
	assert_int_equal(tu_fstat(t, fh).st_size, 1024);
	assert_int_equal(rd_pread(t, fh, all, sizeof all, 1000), 24);
	assert_memory_equal(all, bytes + 1000, 24);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

static void test_lseek(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	char buf[4];
	rd_fh fh;

	(void)state;
	assert_int_equal(tu_put(t, "/f", "0123456789", 10), 0);
	fh = tu_open(t, "/f", O_RDWR);
	assert_int_equal(rd_lseek(t, fh, 7, SEEK_SET), 7);
	assert_int_equal(rd_lseek(t, fh, -1, SEEK_SET), -EINVAL);
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_CUR), 7);
	assert_int_equal(rd_lseek(t, fh, -11, SEEK_END), -EINVAL);
	assert_int_equal(rd_lseek(t, fh, -10, SEEK_END), 0);
	assert_int_equal(rd_lseek(t, fh, 5, SEEK_SET), 5);
	assert_int_equal(rd_lseek(t, fh, -6, SEEK_CUR), -EINVAL);
	assert_int_equal(rd_lseek(t, fh, -2, SEEK_CUR), 3);
	assert_int_equal(rd_read(t, fh, buf, 2), 2);
	assert_memory_equal(buf, "34", 2);
	assert_int_equal(rd_lseek(t, fh, 0, 99), -EINVAL);
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_CUR), 5);

	/* Seeking past the end is allowed and does not change the size. */
	assert_int_equal(rd_lseek(t, fh, 100, SEEK_END), 110);
	assert_int_equal(rd_read(t, fh, buf, sizeof buf), 0);
	assert_int_equal(tu_fstat(t, fh).st_size, 10);
	assert_int_equal(rd_lseek(t, fh, LLONG_MAX, SEEK_SET), LLONG_MAX);
	assert_int_equal(rd_lseek(t, fh, 10, SEEK_CUR), -EINVAL);
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_CUR), LLONG_MAX);
	assert_int_equal(rd_lseek(t, fh, LLONG_MAX, SEEK_END), -EINVAL);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

/* Data is whole 4 KiB pages that were written (zeros included); holes are
 * the rest up to the size, which ends in an implicit hole. */
static void test_seek_data_hole(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	rd_fh fh, e;

	(void)state;
	fh = tu_open(t, "/s", O_CREAT | O_RDWR);
	assert_int_equal(rd_pwrite(t, fh, "a", 1, 0), 1);
	assert_int_equal(rd_pwrite(t, fh, "b", 1, 10000), 1);
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_DATA), 0);
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_HOLE), 4096);
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_CUR), 4096);
	assert_int_equal(rd_lseek(t, fh, 100, SEEK_HOLE), 4096);
	assert_int_equal(rd_lseek(t, fh, 4095, SEEK_DATA), 4095);
	assert_int_equal(rd_lseek(t, fh, 4096, SEEK_DATA), 8192);
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_CUR), 8192);
	assert_int_equal(rd_lseek(t, fh, 4096, SEEK_HOLE), 4096);
	assert_int_equal(rd_lseek(t, fh, 8192, SEEK_HOLE), 10001);
	assert_int_equal(rd_lseek(t, fh, 9000, SEEK_DATA), 9000);
	assert_int_equal(rd_lseek(t, fh, 10000, SEEK_HOLE), 10001);
	assert_int_equal(rd_lseek(t, fh, 10001, SEEK_DATA), -ENXIO);
	assert_int_equal(rd_lseek(t, fh, 10001, SEEK_HOLE), -ENXIO);
	assert_int_equal(rd_lseek(t, fh, -1, SEEK_DATA), -ENXIO);
	assert_int_equal(rd_lseek(t, fh, -1, SEEK_HOLE), -ENXIO);

	/* Extending by truncate adds a hole, not data. */
	assert_int_equal(rd_ftruncate(t, fh, 50000), 0);
	assert_int_equal(rd_lseek(t, fh, 9000, SEEK_HOLE), 12288);
	assert_int_equal(rd_lseek(t, fh, 12288, SEEK_DATA), -ENXIO);
	assert_int_equal(rd_lseek(t, fh, 12288, SEEK_HOLE), 12288);
	assert_int_equal(rd_lseek(t, fh, 49999, SEEK_HOLE), 49999);
	/* A written zero byte makes its page data. */
	assert_int_equal(rd_pwrite(t, fh, "", 0, 30000), 0);
	assert_int_equal(rd_lseek(t, fh, 12288, SEEK_DATA), -ENXIO);
	assert_int_equal(rd_pwrite(t, fh, "\0", 1, 30000), 1);
	assert_int_equal(rd_lseek(t, fh, 12288, SEEK_DATA), 28672);
	assert_int_equal(rd_lseek(t, fh, 28672, SEEK_HOLE), 32768);
	assert_int_equal(rd_close(t, fh), 0);

	e = tu_open(t, "/e", O_CREAT | O_RDWR);
	assert_int_equal(rd_lseek(t, e, 0, SEEK_DATA), -ENXIO);
	assert_int_equal(rd_lseek(t, e, 0, SEEK_HOLE), -ENXIO);
	assert_int_equal(rd_ftruncate(t, e, 100), 0);
	assert_int_equal(rd_lseek(t, e, 0, SEEK_DATA), -ENXIO);
	assert_int_equal(rd_lseek(t, e, 0, SEEK_HOLE), 0);
	assert_int_equal(rd_close(t, e), 0);
	tu_done(t);
}

/* Writing past the end zero-fills the gap; reading the gap gives zeros. */
static void test_write_past_eof(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	static unsigned char buf[20000];
	rd_fh fh;

	(void)state;
	fh = tu_open(t, "/z", O_CREAT | O_RDWR);
	assert_int_equal(rd_pwrite(t, fh, "X", 1, 10000), 1);
	assert_int_equal(tu_fstat(t, fh).st_size, 10001);
	assert_int_equal(rd_pread(t, fh, buf, sizeof buf, 0), 10001);
	assert_true(all_zero(buf, 10000));
	assert_int_equal(buf[10000], 'X');
	assert_int_equal(rd_close(t, fh), 0);

	memset(buf, 'a', 100);
	assert_int_equal(tu_put(t, "/y", buf, 100), 0);
	fh = tu_open(t, "/y", O_RDWR);
	assert_int_equal(rd_lseek(t, fh, 5000, SEEK_END), 5100);
	assert_int_equal(rd_write(t, fh, "B", 1), 1);
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_CUR), 5101);
	memset(buf, 0xee, sizeof buf);
	assert_int_equal(rd_pread(t, fh, buf, sizeof buf, 0), 5101);
	assert_int_equal(buf[99], 'a');
	assert_true(all_zero(buf + 100, 5000));
	assert_int_equal(buf[5100], 'B');
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

/* st_blocks counts written 4 KiB pages in 512-byte units, like tmpfs. */
static void test_sparse_blocks(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	static char page[3 * PAGE];
	struct stat st;
	rd_fh fh;

	(void)state;
	fh = tu_open(t, "/a", O_CREAT | O_RDWR);
	assert_int_equal(rd_write(t, fh, "1", 1), 1);
	st = tu_fstat(t, fh);
	assert_int_equal(st.st_size, 1);
	assert_int_equal(st.st_blocks, 8);
	assert_int_equal(st.st_blksize, 4096);
	assert_int_equal(rd_close(t, fh), 0);

	fh = tu_open(t, "/b", O_CREAT | O_RDWR);
	assert_int_equal(rd_pwrite(t, fh, "1", 1, 1 << 20), 1);
	st = tu_fstat(t, fh);
	assert_int_equal(st.st_size, (1 << 20) + 1);
	assert_int_equal(st.st_blocks, 8);
	assert_int_equal(rd_pwrite(t, fh, "cc", 2, 4095), 2);
	assert_int_equal(tu_fstat(t, fh).st_blocks, 24);
	assert_int_equal(rd_pwrite(t, fh, page, sizeof page, 0), sizeof page);
	assert_int_equal(tu_fstat(t, fh).st_blocks, 32);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

static void check_file(rd_tree *t, rd_fh fh, const unsigned char *ref, size_t size)
{
	static unsigned char got[32768];
	struct stat st = tu_fstat(t, fh);

	assert_true(size + 16 <= sizeof got);
	assert_int_equal(st.st_size, (off_t)size);
	assert_int_equal(st.st_blocks, (blkcnt_t)((size + PAGE - 1) / PAGE * 8));
	assert_int_equal(rd_pread(t, fh, got, size + 16, 0), (ssize_t)size);
	assert_memory_equal(got, ref, size);
}

/* Small files growing across the 2 KiB and 4 KiB boundaries, whatever
 * the steps, keep every byte. */
static void test_small_growth(void **state)
{
	static const size_t steps[] = { 1, 2, 3, 5, 7, 13, 100, 511, 1000, 2047,
					2048, 2049, 4095, 4096, 4097 };
	static unsigned char ref[32768];
	static const size_t sizes[] = { 2047, 2048, 2049, 4095, 4096, 4097, 8193, 100, 0, 3000 };
	rd_tree *t = tu_tree(0, 0);
	size_t size = 0;
	unsigned k = 0;
	rd_fh fh;

	(void)state;
	for (size_t i = 0; i < sizeof ref; i++)
		ref[i] = (unsigned char)(i * 7 + i / 251 + 1);

	fh = tu_open(t, "/g", O_CREAT | O_RDWR | O_APPEND);
	while (size < 20000) {
		size_t n = steps[k++ % (sizeof steps / sizeof steps[0])];

		assert_int_equal(rd_write(t, fh, ref + size, n), (ssize_t)n);
		size += n;
		check_file(t, fh, ref, size);
	}
	assert_int_equal(rd_close(t, fh), 0);

	fh = tu_open(t, "/h", O_CREAT | O_RDWR);
	for (size = 0; size < 4200; size++) {
		assert_int_equal(rd_pwrite(t, fh, ref + size, 1, (off_t)size), 1);
		check_file(t, fh, ref, size + 1);
	}
	assert_int_equal(rd_close(t, fh), 0);

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		assert_int_equal(tu_put(t, "/r", ref + i, sizes[i]), 0);
		fh = tu_open(t, "/r", O_RDONLY);
		check_file(t, fh, ref + i, sizes[i]);
		assert_int_equal(rd_close(t, fh), 0);
	}
	tu_done(t);
}

#define LARGE (64u << 20)
#define LARGE_SLACK (1u << 20)

static void verify_large(rd_tree *t, rd_fh fh, const unsigned char *ref, size_t size,
			 unsigned char *got)
{
	assert_int_equal(tu_fstat(t, fh).st_size, (off_t)size);
	for (size_t off = 0; off < size; off += 3 << 20) {
		size_t n = size - off < (3u << 20) ? size - off : 3u << 20;

		assert_int_equal(rd_pread(t, fh, got, n, (off_t)off), (ssize_t)n);
		if (memcmp(got, ref + off, n) != 0)
			fail_msg("mismatch in [%zu, %zu)", off, off + n);
	}
}

/* 64 MiB written and read back, then random overwrites (some extending the
 * file) checked against a reference copy, and page-accurate st_blocks. */
static void test_large_file(void **state)
{
	rd_tree *t = tu_tree(160u << 20, 0);
	unsigned char *ref = test_calloc(1, LARGE + LARGE_SLACK);
	unsigned char *got = test_malloc(3u << 20);
	unsigned char *page_used = test_calloc(1, (LARGE + LARGE_SLACK) / PAGE + 1);
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	size_t size = LARGE, pages = 0;
	rd_fh fh;

	(void)state;
	for (size_t i = 0; i < LARGE; i++)
		ref[i] = (unsigned char)((i >> 12) * 31 + i * 7 + (i >> 20));
	fh = tu_open(t, "/big", O_CREAT | O_RDWR);
	for (size_t off = 0; off < LARGE; off += 1u << 20)
		assert_int_equal(rd_write(t, fh, ref + off, 1u << 20), 1 << 20);
	memset(page_used, 1, LARGE / PAGE);
	verify_large(t, fh, ref, size, got);

	for (int i = 0; i < 3000; i++) {
		size_t len = rnd(&seed) % (i % 10 ? 65536 : 300000) + 1;
		size_t off = rnd(&seed) % (LARGE + 65536);

		if (off + len > LARGE + LARGE_SLACK)
			len = LARGE + LARGE_SLACK - off;
		for (size_t j = 0; j < len; j++)
			got[j] = (unsigned char)rnd(&seed);
		assert_int_equal(rd_pwrite(t, fh, got, len, (off_t)off), (ssize_t)len);
		memcpy(ref + off, got, len);
		memset(page_used + off / PAGE, 1, (off + len - 1) / PAGE - off / PAGE + 1);
		if (off + len > size)
			size = off + len;
	}
	verify_large(t, fh, ref, size, got);
	for (size_t p = 0; p <= (size - 1) / PAGE; p++)
		pages += page_used[p];
	assert_int_equal(tu_fstat(t, fh).st_blocks, (blkcnt_t)(pages * 8));
	for (int i = 0; i < 500; i++) {
		size_t off = rnd(&seed) % size, len = rnd(&seed) % 100000 + 1;
		size_t want = off + len > size ? size - off : len;

		assert_int_equal(rd_pread(t, fh, got, len, (off_t)off), (ssize_t)want);
		assert_memory_equal(got, ref + off, want);
	}
	assert_int_equal(rd_close(t, fh), 0);
	test_free(page_used);
	test_free(got);
	test_free(ref);
	tu_done(t);
}

/* Writes set mtime and ctime, not atime; an empty write sets nothing.
 * Reads follow relatime (tmpfs default): atime moves only when it is not
 * newer than mtime or ctime; O_NOATIME reads never move it. */
static void test_timestamps(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct timespec old[2] = { { 1000, 0 }, { 2000, 0 } };
	struct timespec aonly[2] = { { 1000, 0 }, { 0, UTIME_OMIT } };
	char buf[4];
	struct iovec iov = { buf, 1 };
	struct stat s0, s1;
	rd_fh fh, na;

	(void)state;
	fh = tu_open(t, "/f", O_CREAT | O_RDWR);
	assert_int_equal(rd_futimens(t, fh, old), 0);
	s0 = tu_fstat(t, fh);
	tick();
	assert_int_equal(rd_write(t, fh, "", 0), 0);
	s1 = tu_fstat(t, fh);
	assert_true(ts_eq(s1.st_mtim, s0.st_mtim) && ts_eq(s1.st_ctim, s0.st_ctim));
	assert_int_equal(rd_write(t, fh, "x", 1), 1);
	s1 = tu_fstat(t, fh);
	assert_true(ts_after(s1.st_mtim, s0.st_ctim));
	assert_true(ts_after(s1.st_ctim, s0.st_ctim));
	assert_true(ts_eq(s1.st_atim, s0.st_atim));
	assert_int_equal(rd_futimens(t, fh, old), 0);
	s0 = tu_fstat(t, fh);
	tick();
	assert_int_equal(rd_pwrite(t, fh, "y", 1, 5), 1);
	s1 = tu_fstat(t, fh);
	assert_true(ts_after(s1.st_mtim, s0.st_ctim) && ts_after(s1.st_ctim, s0.st_ctim));

	/* atime (1000) older than mtime: a read moves it. */
	assert_int_equal(rd_futimens(t, fh, old), 0);
	s0 = tu_fstat(t, fh);
	tick();
	assert_int_equal(rd_pread(t, fh, buf, 1, 0), 1);
	s1 = tu_fstat(t, fh);
	assert_true(ts_after(s1.st_atim, s0.st_ctim));
	assert_true(ts_eq(s1.st_mtim, s0.st_mtim) && ts_eq(s1.st_ctim, s0.st_ctim));
	/* Now atime is newer than mtime and ctime: reads leave it. */
	s0 = s1;
	tick();
	assert_int_equal(rd_pread(t, fh, buf, 1, 0), 1);
	assert_int_equal(rd_read(t, fh, buf, 1), 1);
	assert_int_equal(rd_preadv(t, fh, &iov, 1, 0), 1);
	s1 = tu_fstat(t, fh);
	assert_true(ts_eq(s1.st_atim, s0.st_atim));
	/* A write makes mtime newer again, so the next read moves atime. */
	tick();
	assert_int_equal(rd_pwrite(t, fh, "z", 1, 0), 1);
	tick();
	assert_int_equal(rd_preadv(t, fh, &iov, 1, -1), 1);
	s1 = tu_fstat(t, fh);
	assert_true(ts_after(s1.st_atim, s1.st_mtim));

	assert_int_equal(rd_futimens(t, fh, aonly), 0);
	na = tu_open(t, "/f", O_RDONLY | O_NOATIME);
	tick();
	assert_int_equal(rd_pread(t, na, buf, 1, 0), 1);
	assert_int_equal(tu_fstat(t, fh).st_atim.tv_sec, 1000);
	assert_int_equal(rd_close(t, na), 0);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

/* Fill a 1 MiB-quota tree with 4 KiB pages of /f until the quota refuses
 * one; returns the number of pages that fit. */
static size_t fill_quota(rd_tree *t, rd_fh fh)
{
	static unsigned char page[PAGE];
	size_t n = 0;
	ssize_t rc;

	for (;;) {
		memset(page, (int)(n % 251) + 1, sizeof page);
		rc = rd_pwrite(t, fh, page, PAGE, (off_t)(n * PAGE));
		if (rc == -ENOSPC)
			break;
		assert_int_equal(rc, PAGE);
		n++;
		assert_true(n <= 256);
	}
	assert_true(n > 16);
	return n;
}

struct snap {
	struct stat st;
	struct rd_stats rs;
	off_t pos;
	unsigned char data[1 << 20];
};

static void take(rd_tree *t, rd_fh fh, struct snap *s)
{
	s->st = tu_fstat(t, fh);
	s->rs = tu_stats(t);
	s->pos = rd_lseek(t, fh, 0, SEEK_CUR);
	assert_true(s->st.st_size <= (off_t)sizeof s->data);
	assert_int_equal(rd_pread(t, fh, s->data, sizeof s->data, 0), s->st.st_size);
}

static void same(rd_tree *t, rd_fh fh, const struct snap *a, struct snap *b)
{
	take(t, fh, b);
	assert_int_equal(b->st.st_size, a->st.st_size);
	assert_int_equal(b->st.st_blocks, a->st.st_blocks);
	assert_true(ts_eq(b->st.st_mtim, a->st.st_mtim));
	assert_true(ts_eq(b->st.st_ctim, a->st.st_ctim));
	assert_int_equal(b->rs.bytes_used, a->rs.bytes_used);
	assert_int_equal(b->rs.data_bytes, a->rs.data_bytes);
	assert_int_equal(b->pos, a->pos);
	assert_memory_equal(b->data, a->data, (size_t)a->st.st_size);
}

/* A write that does not fit fails whole with ENOSPC: no byte, size,
 * timestamp, position or page changes, even where it overlaps data. */
static void test_enospc_changes_nothing(void **state)
{
	rd_tree *t = tu_tree(1u << 20, 0);
	struct timespec old[2] = { { 1000, 0 }, { 2000, 0 } };
	struct snap *a = test_malloc(sizeof *a), *b = test_malloc(sizeof *b);
	unsigned char *big = test_malloc(2u << 20);
	struct iovec iov[2];
	uint64_t refusals;
	rd_fh fh, ap;
	size_t n;
	off_t end;

	(void)state;
	memset(big, 0x5a, 2u << 20);
	fh = tu_open(t, "/f", O_CREAT | O_RDWR);
	n = fill_quota(t, fh);
	end = (off_t)(n * PAGE) - 100;
	assert_int_equal(rd_ftruncate(t, fh, end), 0);
	assert_int_equal(rd_lseek(t, fh, end - 3900, SEEK_SET), end - 3900);
	assert_int_equal(rd_futimens(t, fh, old), 0);
	take(t, fh, a);
	refusals = a->rs.quota_refusals;
	tick();

	assert_int_equal(rd_pwrite(t, fh, big, 101, end), -ENOSPC);
	same(t, fh, a, b);
	assert_int_equal(rd_pwrite(t, fh, big, 8192, end - 100), -ENOSPC);
	same(t, fh, a, b);
	assert_int_equal(rd_write(t, fh, big, 5000), -ENOSPC);
	same(t, fh, a, b);
	iov[0] = (struct iovec){ big, 50 };
	iov[1] = (struct iovec){ big, PAGE };
	assert_int_equal(rd_pwritev(t, fh, iov, 2, end - 50), -ENOSPC);
	same(t, fh, a, b);
	assert_int_equal(rd_pwritev(t, fh, iov, 2, -1), -ENOSPC);
	same(t, fh, a, b);
	assert_int_equal(rd_pwrite(t, fh, big, 2u << 20, 0), -ENOSPC);
	same(t, fh, a, b);
	assert_int_equal(rd_pwrite(t, fh, big, 1, (off_t)(10 * n * PAGE)), -ENOSPC);
	same(t, fh, a, b);
	ap = tu_open(t, "/f", O_WRONLY | O_APPEND);
	assert_int_equal(rd_write(t, ap, big, 200), -ENOSPC);
	same(t, fh, a, b);
	assert_int_equal(rd_lseek(t, ap, 0, SEEK_CUR), 0);
	assert_int_equal(rd_close(t, ap), 0);
	assert_true(tu_stats(t).quota_refusals >= refusals + 8);

	/* Overwriting pages the file already has needs no new space. */
	assert_int_equal(rd_pwrite(t, fh, big, PAGE, 0), PAGE);
	assert_int_equal(rd_pwrite(t, fh, big, 3000, end - 3000), 3000);
	assert_int_equal(tu_fstat(t, fh).st_size, end);
	assert_int_equal(rd_close(t, fh), 0);
	test_free(big);
	test_free(b);
	test_free(a);
	tu_done(t);
}

/* Writes that need exactly the space left succeed. */
static void test_enospc_exact_fit(void **state)
{
	rd_tree *t = tu_tree(1u << 20, 0);
	unsigned char page[PAGE], got[PAGE];
	uint64_t used;
	rd_fh fh;
	size_t n;
	off_t end;

	(void)state;
	memset(page, 0xa5, sizeof page);
	fh = tu_open(t, "/f", O_CREAT | O_RDWR);
	n = fill_quota(t, fh);
	end = (off_t)(n * PAGE);

	/* The tail of the last page is free to fill. */
	assert_int_equal(rd_ftruncate(t, fh, end - 100), 0);
	used = tu_used(t);
	assert_int_equal(rd_pwrite(t, fh, page, 101, end - 100), -ENOSPC);
	assert_int_equal(rd_pwrite(t, fh, page, 100, end - 100), 100);
	assert_int_equal(tu_used(t), used);
	assert_int_equal(tu_fstat(t, fh).st_size, end);
	assert_int_equal(rd_pread(t, fh, got, 100, end - 100), 100);
	assert_memory_equal(got, page, 100);

	/* Freeing one page makes room for exactly one page more. */
	assert_int_equal(rd_ftruncate(t, fh, end - PAGE), 0);
	assert_true(tu_used(t) < used);
	assert_int_equal(rd_pwrite(t, fh, page, PAGE, end - PAGE), PAGE);
	assert_int_equal(tu_used(t), used);
	assert_int_equal(rd_pwrite(t, fh, page, 1, end), -ENOSPC);
	assert_int_equal(tu_fstat(t, fh).st_size, end);
	assert_int_equal(rd_pread(t, fh, got, PAGE, end - PAGE), PAGE);
	assert_memory_equal(got, page, PAGE);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_write_basic),
		cmocka_unit_test(test_shared_position),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_lseek),
		cmocka_unit_test(test_seek_data_hole),
		cmocka_unit_test(test_write_past_eof),
		cmocka_unit_test(test_sparse_blocks),
		cmocka_unit_test(test_small_growth),
		cmocka_unit_test(test_large_file),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_enospc_changes_nothing),
		cmocka_unit_test(test_enospc_exact_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Arena memory behaviour, observed through the memfd's real allocation
 * (st_blocks): pages a write does not fill whole are pre-faulted in
 * batches; pages it fills whole that are not in memory are written with
 * pwrite on the memfd (no batch, no fault), coherently with reads and
 * shared mappings; freed pages stay warm, 32 MiB for good and the rest
 * until they have not been reused for a while, and are then punched. */
#include "testutil.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

#define MIB (1ull << 20)
#define WARM_MAX_BYTES (32 * MIB) /* RD_WARM_MAX_PAGES in core/src/internal.h */
#include <errno.h>

static uint64_t resident(rd_tree *t)
{
	struct stat st;

	assert_int_equal(fstat(rd_tree_fd(t), &st), 0);
	return (uint64_t)st.st_blocks * 512;
}

static struct rd_stats stats(rd_tree *t)
{
	struct rd_stats s;

	assert_int_equal(rd_tree_stats(t, &s), 0);
	return s;
}

static void write_file(rd_tree *t, const char *path, uint64_t bytes)
{
	static char chunk[1 << 20];
	rd_fh fh;

	memset(chunk, 'm', sizeof chunk);
	assert_int_equal(rd_open(t, RD_ROOT, path, O_CREAT | O_WRONLY | O_TRUNC, 0644, &fh), 0);
	for (uint64_t done = 0; done < bytes; done += sizeof chunk)
		assert_int_equal(rd_write(t, fh, chunk, sizeof chunk), (ssize_t)sizeof chunk);
	assert_int_equal(rd_close(t, fh), 0);
}

/* A write that leaves part of a new page to zero commits a whole batch of
 * pages, not one page. */
static void test_populate_in_batches(void **state)
{
	rd_tree *t = tu_tree_shared(64 * MIB, 0);
	uint64_t before;
	char small[3000];

	(void)state;
	write_file(t, "/one", MIB); /* uses up the batch the tree began with */
	before = resident(t);
	memset(small, 's', sizeof small);
	assert_int_equal(tu_put(t, "/small", small, sizeof small), 0);
	/* (Sums, not differences: unsigned differences would wrap and pass.) */
	assert_true(resident(t) >= before + 64 * 4096);
	assert_true(resident(t) <= before + 64 * 4096 + 64 * 1024);
	tu_done(t);
}

/* Whole pages that are not in memory are written, not pre-faulted: the
 * memfd grows by the data and nothing more. */
static void test_whole_pages_not_prefaulted(void **state)
{
	rd_tree *t = tu_tree_shared(64 * MIB, 0);
	uint64_t before;

	(void)state;
	write_file(t, "/one", MIB);
	before = resident(t);
	write_file(t, "/two", 4 * MIB);
	assert_true(resident(t) >= before + 4 * MIB);
	assert_true(resident(t) <= before + 4 * MIB + 64 * 1024);
	tu_done(t);
}

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 12) * 13 + 1);
}

/* Map npages of a file from the tree's memfd, page by page, as the preload
 * does. */
static uint8_t *map_file(rd_tree *t, rd_fh fh, size_t npages, rd_fh *map)
{
	uint64_t *pages = calloc(npages, sizeof *pages);
	uint8_t *base = mmap(NULL, npages * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_non_null(pages);
	assert_true(base != MAP_FAILED);
	assert_int_equal(rd_map(t, fh, 0, npages, 1, pages, map), 0);
	for (size_t i = 0; i < npages; i++)
		assert_true(mmap(base + i * 4096, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
				 rd_tree_fd(t), (off_t)pages[i]) != MAP_FAILED);
	free(pages);
	return base;
}

/* Pages filled by pwrite, from never-used memory and from punched pages,
 * with iovecs that split pages at odd places: reads, a shared mapping and
 * later writes through either side all see the same bytes. */
static void check_fresh_coherent(rd_tree *t, const char *path)
{
	enum { LEN = 64 * 4096 + 100 };
	uint8_t *src = malloc(LEN), *got = malloc(LEN), *m, c;
	struct iovec iov[4];
	rd_fh fh, map;

	assert_non_null(src);
	assert_non_null(got);
	for (uint64_t i = 0; i < LEN; i++)
		src[i] = pattern(i);
	iov[0] = (struct iovec){src, 4096 + 1000};          /* page 1 split */
	iov[1] = (struct iovec){src + 5096, 3 * 4096 + 7};  /* page 4 split */
	iov[2] = (struct iovec){src + 17391, 4096};         /* page 4 and 5 split */
	iov[3] = (struct iovec){src + 21487, LEN - 21487};  /* the rest, last page partial */
	fh = tu_open(t, path, O_RDWR | O_CREAT | O_TRUNC);
	assert_int_equal(rd_pwritev(t, fh, iov, 4, 0), LEN);
	memset(got, 0, LEN);
	assert_int_equal(rd_pread(t, fh, got, LEN, 0), LEN);
	assert_memory_equal(got, src, LEN);
	m = map_file(t, fh, LEN / 4096 + 1, &map);
	assert_memory_equal(m, src, LEN);
	assert_int_equal(m[LEN], 0); /* past EOF in the last page: zero */
	m[4096 * 3 + 5] = 'M';
	assert_int_equal(rd_pread(t, fh, &c, 1, 4096 * 3 + 5), 1);
	assert_int_equal(c, 'M');
	assert_int_equal(rd_pwrite(t, fh, "W", 1, 4096 * 9 + 1), 1);
	assert_int_equal(m[4096 * 9 + 1], 'W');
	munmap(m, (LEN / 4096 + 1) * 4096);
	assert_int_equal(rd_close(t, map), 0);
	assert_int_equal(rd_close(t, fh), 0);
	free(src);
	free(got);
}

static void test_fresh_pages_coherent(void **state)
{
	rd_tree *t = tu_tree_shared(128 * MIB, 0);

	(void)state;
	check_fresh_coherent(t, "/never-used");
	/* Punch 64 MiB, then write into punched pages. */
	rd_test_warm_idle_ns(0);
	write_file(t, "/big", 96 * MIB);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/big", 0), 0);
	for (int i = 0; i < 8; i++)
		stats(t);
	assert_int_equal(stats(t).warm_pages * 4096, WARM_MAX_BYTES);
	write_file(t, "/warm", WARM_MAX_BYTES); /* the warm pages go first */
	check_fresh_coherent(t, "/punched");
	rd_test_warm_idle_ns(1000000000ull);
	tu_done(t);
}

/* A write refused for quota gives back the pages it took, fresh ones
 * included, and changes nothing. */
static void test_fresh_pages_refused_whole(void **state)
{
	rd_tree *t = tu_tree_shared(8 * MIB, 0);
	static char buf[16 * MIB];
	rd_fh fh = tu_open(t, "/f", O_RDWR | O_CREAT | O_TRUNC);
	uint64_t used = tu_used(t);

	(void)state;
	memset(buf, 'q', sizeof buf);
	assert_int_equal(rd_pwrite(t, fh, buf, sizeof buf, 0), -ENOSPC);
	assert_int_equal(tu_used(t), used);
	assert_int_equal(tu_fstat(t, fh).st_size, 0);
	assert_int_equal(rd_pwrite(t, fh, buf, 4 * MIB, 0), 4 * MIB);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

static void nap(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* Freed pages all stay warm while reused; once none has been reused for
 * the idle time (1 s), what exceeds 32 MiB is punched, 16 MiB at the end of
 * each operation. */
static void test_excess_punched_when_idle(void **state)
{
	rd_tree *t = tu_tree_shared(128 * MIB, 0);
	uint64_t full, after;
	int ops = 0;

	(void)state;
	write_file(t, "/big", 96 * MIB);
	full = resident(t);
	assert_true(full >= 96 * MIB);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/big", 0), 0);
	assert_true(stats(t).warm_pages * 4096 >= 96 * MIB);
	assert_true(resident(t) + MIB >= full);
	nap(1100);
	while (stats(t).warm_pages * 4096 > WARM_MAX_BYTES && ops < 100)
		ops++;
	assert_int_equal(stats(t).warm_pages * 4096, WARM_MAX_BYTES);
	assert_true(ops >= 4 && ops <= 5); /* 64 MiB and more, 16 MiB an operation */
	after = resident(t);
	/* 64 MiB went back to the kernel; 32 MiB of warm pages remain. */
	assert_true(after + 64 * MIB - MIB <= full);
	assert_true(after >= WARM_MAX_BYTES);
	tu_done(t);
}

/* Reuse keeps the excess: a cycle of write and delete faster than the idle
 * time never punches, and never needs new memory. */
static void test_excess_kept_while_reused(void **state)
{
	rd_tree *t = tu_tree_shared(128 * MIB, 0);
	uint64_t full;

	(void)state;
	write_file(t, "/big", 64 * MIB);
	/* The first delete also touches the free-list links (64 KiB). */
	assert_int_equal(rd_unlink(t, RD_ROOT, "/big", 0), 0);
	full = resident(t);
	for (int i = 0; i < 6; i++) {
		write_file(t, "/big", 64 * MIB);
		assert_int_equal(rd_unlink(t, RD_ROOT, "/big", 0), 0);
		assert_true(stats(t).warm_pages * 4096 >= 64 * MIB);
		assert_true(resident(t) <= full);
		nap(300);
		assert_true(resident(t) + MIB >= full); /* nothing punched */
	}
	tu_done(t);
}

/* Allocation takes warm pages first: no new memory is committed. */
static void test_warm_pages_reused_first(void **state)
{
	rd_tree *t = tu_tree_shared(128 * MIB, 0);
	uint64_t before;
	struct rd_stats s;

	(void)state;
	write_file(t, "/a", 16 * MIB);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/a", 0), 0);
	s = stats(t);
	assert_true(s.warm_pages * 4096 >= 16 * MIB);
	before = resident(t);
	write_file(t, "/b", 16 * MIB);
	assert_true(resident(t) <= before + 64 * 1024);
	assert_true(stats(t).warm_pages * 4096 <= s.warm_pages * 4096 - 16 * MIB + 64 * 1024);
	tu_done(t);
}

/* The pages of a file from page index idx on, as arena offsets. */
static void pages_of(rd_tree *t, const char *path, uint64_t idx, size_t n, uint64_t *pages)
{
	rd_fh fh, map;

	assert_int_equal(rd_open(t, RD_ROOT, path, O_RDONLY, 0, &fh), 0);
	assert_int_equal(rd_map(t, fh, (off_t)(idx * 4096), n, 0, pages, &map), 0);
	assert_int_equal(rd_close(t, map), 0);
	assert_int_equal(rd_close(t, fh), 0);
}

/* Index of page in pages[0..n), or -1. */
static long find_page(const uint64_t *pages, size_t n, uint64_t page)
{
	for (size_t i = 0; i < n; i++)
		if (pages[i] == page)
			return (long)i;
	return -1;
}

/* A page freed soon after it was allocated is likely still in the cache, so
 * it is reused before one freed long after (RD_HOT_AGE, 2048 allocations).
 * Of a 16 MiB file deleted, the pages of its second half (freed under 2048
 * allocations after their own) come back first, newest first; those of its
 * first 1000 pages (freed over 3000 after) only once the young ones are
 * used up. */
static void test_cached_pages_reused_first(void **state)
{
	static uint64_t big[4096], got[4096];
	rd_tree *t = tu_tree_shared(64 * MIB, 0);
	char page[4096];
	long at;

	(void)state;
	write_file(t, "/big", 16 * MIB);
	pages_of(t, "/big", 0, 4096, big);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/big", 0), 0);
	memset(page, 'a', sizeof page);
	assert_int_equal(tu_put(t, "/a", page, sizeof page), 0);
	pages_of(t, "/a", 0, 1, got);
	at = find_page(big, 4096, got[0]);
	assert_true(at >= 4000); /* one of the last freed */
	write_file(t, "/b", 7 * MIB); /* 1792 pages: young ones all */
	pages_of(t, "/b", 0, 1792, got);
	/* (Where young ends moves a little with metadata pages, which take
	 * and give back pages too.) */
	for (size_t i = 0; i < 1792; i++) {
		long was = find_page(big, 4096, got[i]);

		assert_true(was < 0 || was >= 2048);
	}
	/* Then the rest of the young ones, then the old ones in the order
	 * they were freed. */
	write_file(t, "/c", 2 * MIB);
	pages_of(t, "/c", 0, 512, got);
	assert_true(find_page(big, 4096, got[0]) >= 2048);
	assert_true(find_page(got, 512, big[0]) > 0);
	assert_true(find_page(got, 512, big[0]) < find_page(got, 512, big[1]));
	tu_done(t);
}

/* Pages written past the cache (stale ones, whole) hold exactly what was
 * written, also where a page's bytes come from two iovecs. */
static void test_stale_pages_written_whole(void **state)
{
	rd_tree *t = tu_tree_shared(64 * MIB, 0);
	size_t len = 16 * MIB, cut1 = 1000 * 4096 + 100, cut2 = 4000 * 4096 - 7;
	uint8_t *src = malloc(len), *back = malloc(len);
	struct iovec iov[3];
	rd_fh fh;

	(void)state;
	assert_non_null(src);
	assert_non_null(back);
	for (size_t i = 0; i < len; i++)
		src[i] = (uint8_t)(i * 7 % 251);
	write_file(t, "/big", len);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/big", 0), 0);
	iov[0] = (struct iovec){src, cut1};
	iov[1] = (struct iovec){src + cut1, cut2 - cut1};
	iov[2] = (struct iovec){src + cut2, len - cut2};
	assert_int_equal(rd_open(t, RD_ROOT, "/x", O_CREAT | O_RDWR, 0644, &fh), 0);
	assert_int_equal(rd_pwritev(t, fh, iov, 3, 0), (ssize_t)len);
	assert_int_equal(rd_pread(t, fh, back, len, 0), (ssize_t)len);
	assert_memory_equal(back, src, len);
	assert_int_equal(rd_close(t, fh), 0);
	free(src);
	free(back);
	tu_done(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_populate_in_batches),
		cmocka_unit_test(test_whole_pages_not_prefaulted),
		cmocka_unit_test(test_fresh_pages_coherent),
		cmocka_unit_test(test_fresh_pages_refused_whole),
		cmocka_unit_test(test_excess_punched_when_idle),
		cmocka_unit_test(test_excess_kept_while_reused),
		cmocka_unit_test(test_warm_pages_reused_first),
		cmocka_unit_test(test_cached_pages_reused_first),
		cmocka_unit_test(test_stale_pages_written_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Arena memory behaviour, observed through the memfd's real allocation
 * (st_blocks): fresh pages are pre-faulted in batches, freed pages are
 * kept warm up to the watermark (32 MiB) and reused first, and anything
 * freed beyond the watermark goes back to the kernel. */
#include "testutil.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MIB (1ull << 20)
#define WARM_MAX_BYTES (32 * MIB) /* RD_WARM_MAX_PAGES in core/src/internal.h */

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

/* One small write commits a whole batch of pages, not one page. */
static void test_populate_in_batches(void **state)
{
	rd_tree *t = tu_tree_shared(64 * MIB, 0);
	uint64_t before = resident(t);

	(void)state;
	write_file(t, "/one", MIB);
	/* 256 data pages were needed; batches of 64 pre-fault them, so the
	 * memfd holds at least the data and at most one batch more. (Sums,
	 * not differences: unsigned differences would wrap and pass.) */
	assert_true(resident(t) >= before + MIB);
	assert_true(resident(t) <= before + MIB + 64 * 4096 + 64 * 1024);
	tu_done(t);
}

/* Freed pages stay warm up to the watermark; the rest is punched out. */
static void test_watermark_punches_the_rest(void **state)
{
	rd_tree *t = tu_tree_shared(128 * MIB, 0);
	uint64_t full, after;
	struct rd_stats s;

	(void)state;
	write_file(t, "/big", 96 * MIB);
	full = resident(t);
	assert_true(full >= 96 * MIB);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/big", 0), 0);
	s = stats(t);
	assert_int_equal(s.warm_pages * 4096, WARM_MAX_BYTES);
	after = resident(t);
	/* 64 MiB went back to the kernel; 32 MiB of warm pages remain. */
	assert_true(after + 64 * MIB - MIB <= full);
	assert_true(after >= WARM_MAX_BYTES);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_populate_in_batches),
		cmocka_unit_test(test_watermark_punches_the_rest),
		cmocka_unit_test(test_warm_pages_reused_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

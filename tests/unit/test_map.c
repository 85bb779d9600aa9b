/*
 * Shared mappings (rd_map): the pages handed out are the file's own pages
 * in the memfd, so a mapping of them is coherent with read and write; they
 * are charged to the quota when mapped; they never move or get reused while
 * a map handle lives (truncate, punch, unlink, crash recovery); and they go
 * back exactly when the last handle is closed. rd_tree_check (run by
 * tu_done) is the accounting oracle after each case.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096

/* Map npages of the file from the tree's memfd, page by page, as the
 * preload does. */
static unsigned char *map_pages(rd_tree *t, const uint64_t *pages, size_t npages)
{
	unsigned char *base = mmap(NULL, npages * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(base != MAP_FAILED);
	for (size_t i = 0; i < npages; i++)
		assert_true(mmap(base + i * PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, rd_tree_fd(t),
				 (off_t)pages[i]) != MAP_FAILED);
	return base;
}

static rd_fh file_of(rd_tree *t, const char *path, size_t len, int fill)
{
	unsigned char buf[3 * PAGE];
	rd_fh fh = tu_open(t, path, O_RDWR | O_CREAT | O_TRUNC);

	assert_true(len <= sizeof buf);
	memset(buf, fill, len);
	assert_int_equal(rd_pwrite(t, fh, buf, len, 0), (ssize_t)len);
	return fh;
}

static void test_map_coherent(void **state)
{
	rd_tree *t = tu_tree_shared(0, 0);
	rd_fh fh = file_of(t, "/f", 100, 'a'), map; /* inline: mapping converts it */
	uint64_t pages[3];
	unsigned char *m, c;
	struct stat st;

	(void)state;
	assert_int_equal(rd_map(t, fh, 0, 3, 1, pages, &map), 0);
	assert_true(pages[0] && pages[1] && pages[2]);
	m = map_pages(t, pages, 3);
	assert_int_equal(m[0], 'a');
	assert_int_equal(m[99], 'a');
	assert_int_equal(m[100], 0);
	m[50] = 'M';
	assert_int_equal(rd_pread(t, fh, &c, 1, 50), 1);
	assert_int_equal(c, 'M');
	assert_int_equal(rd_pwrite(t, fh, "W", 1, 2 * PAGE + 7), 1); /* into a page mapped past EOF */
	assert_int_equal(m[2 * PAGE + 7], 'W');
	st = tu_fstat(t, fh);
	assert_int_equal(st.st_size, 2 * PAGE + 8);
	munmap(m, 3 * PAGE);
	assert_int_equal(rd_close(t, map), 0);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

static void test_map_charges_quota_up_front(void **state)
{
	rd_tree *t = tu_tree_shared(0, 0);
	rd_fh fh = tu_open(t, "/sparse", O_RDWR | O_CREAT), map;
	uint64_t pages[8], before = tu_used(t);

	(void)state;
	assert_int_equal(rd_ftruncate(t, fh, 8 * PAGE), 0);
	assert_int_equal(tu_used(t), before); /* a hole costs nothing */
	assert_int_equal(rd_map(t, fh, 0, 8, 0, pages, &map), 0);
	assert_true(tu_used(t) >= before + 8 * PAGE);
	assert_int_equal(rd_close(t, map), 0);
	/* The file keeps the pages, as after fallocate. */
	assert_true(tu_used(t) >= before + 8 * PAGE);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

static void test_map_enospc_changes_nothing(void **state)
{
	rd_tree *t = tu_tree_shared(256 * 1024, 0);
	rd_fh fh = file_of(t, "/f", PAGE, 'x'), map = 0;
	uint64_t pages[128], used = tu_used(t);
	struct stat st;

	(void)state;
	assert_int_equal(rd_map(t, fh, 0, 128, 1, pages, &map), -ENOSPC);
	assert_int_equal(tu_used(t), used);
	st = tu_fstat(t, fh);
	assert_int_equal(st.st_size, PAGE);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

static void test_map_access_rules(void **state)
{
	rd_tree *t = tu_tree_shared(0, 0);
	rd_fh rw = file_of(t, "/f", 10, 'x'), ro = tu_open(t, "/f", O_RDONLY), wo = tu_open(t, "/f", O_WRONLY);
	rd_fh path = tu_open(t, "/f", O_PATH), dir = tu_open(t, "/", O_RDONLY | O_DIRECTORY), map;
	uint64_t pages[1];

	(void)state;
	assert_int_equal(rd_map(t, ro, 0, 1, 1, pages, &map), -EACCES);
	assert_int_equal(rd_map(t, wo, 0, 1, 0, pages, &map), -EACCES);
	assert_int_equal(rd_map(t, path, 0, 1, 0, pages, &map), -EBADF);
	assert_int_equal(rd_map(t, dir, 0, 1, 0, pages, &map), -ENODEV);
	assert_int_equal(rd_map(t, rw, 100, 1, 0, pages, &map), -EINVAL);
	assert_int_equal(rd_map(t, rw, -PAGE, 1, 0, pages, &map), -EINVAL);
	assert_int_equal(rd_map(t, rw, 0, 0, 0, pages, &map), -EINVAL);
	assert_int_equal(rd_map(t, 12345, 0, 1, 0, pages, &map), -EBADF);
	/* A read-only mapping on a read-only handle; its handle can map again
	 * (mremap) with the same rights and no more. */
	assert_int_equal(rd_map(t, ro, 0, 1, 0, pages, &map), 0);
	{
		rd_fh again;

		assert_int_equal(rd_map(t, map, 0, 1, 1, pages, &again), -EACCES);
		assert_int_equal(rd_map(t, map, 0, 1, 0, pages, &again), 0);
		assert_int_equal(rd_close(t, again), 0);
	}
	assert_int_equal(rd_close(t, map), 0);
	for (rd_fh *h = (rd_fh[]){ rw, ro, wo, path, dir }, *e = h + 5; h < e; h++)
		assert_int_equal(rd_close(t, *h), 0);
	tu_done(t);
}

/* Truncate and hole punching while mapped zero the pages in place; the
 * mapping keeps pointing at the file's memory, and once unmapped the pages
 * past EOF are given back. */
static void test_map_pins_pages(void **state)
{
	rd_tree *t = tu_tree_shared(0, 0);
	rd_fh fh = file_of(t, "/f", 3 * PAGE, 'p'), map, map2;
	uint64_t pages[3], again[3], used;
	unsigned char *m, buf[PAGE];

	(void)state;
	assert_int_equal(rd_map(t, fh, 0, 3, 1, pages, &map), 0);
	m = map_pages(t, pages, 3);
	used = tu_used(t);
	assert_int_equal(rd_ftruncate(t, fh, 10), 0);
	assert_int_equal(tu_used(t), used);
	assert_int_equal(m[9], 'p');
	assert_int_equal(m[10], 0);
	assert_int_equal(m[PAGE], 0);
	assert_int_equal(rd_fallocate(t, fh, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PAGE), 0);
	assert_int_equal(m[0], 0);
	assert_int_equal(tu_used(t), used);
	/* Growing again uses the same pages: the mapping sees new writes. */
	assert_int_equal(rd_ftruncate(t, fh, 3 * PAGE), 0);
	memset(buf, 'n', sizeof buf);
	assert_int_equal(rd_pwrite(t, fh, buf, PAGE, 2 * PAGE), PAGE);
	assert_int_equal(m[2 * PAGE + 100], 'n');
	assert_int_equal(rd_map(t, fh, 0, 3, 0, again, &map2), 0); /* a second handle */
	assert_memory_equal(again, pages, sizeof pages);
	assert_int_equal(rd_close(t, map2), 0);
	/* Shrink with one handle left, then close it: the pages past EOF go. */
	assert_int_equal(rd_ftruncate(t, fh, 10), 0);
	assert_int_equal(tu_used(t), used);
	assert_int_equal(rd_close(t, map), 0);
	munmap(m, 3 * PAGE);
	assert_true(tu_used(t) < used);
	assert_int_equal(tu_fstat(t, fh).st_size, 10);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

/* An unlinked, closed file lives as long as its map handle. */
static void test_map_keeps_unlinked_file(void **state)
{
	rd_tree *t = tu_tree_shared(0, 0);
	rd_fh fh = file_of(t, "/f", 2 * PAGE, 'u'), map;
	uint64_t pages[2], base = tu_used(t);
	unsigned char *m;

	(void)state;
	assert_int_equal(rd_map(t, fh, 0, 2, 1, pages, &map), 0);
	m = map_pages(t, pages, 2);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/f", 0), 0);
	assert_int_equal(rd_close(t, fh), 0);
	/* Another file written now must not get the mapped pages. */
	assert_int_equal(tu_put(t, "/other", (unsigned char[2 * PAGE]){ 0 }, 2 * PAGE), 0);
	m[0] = 'k';
	assert_int_equal(m[1], 'u');
	assert_int_equal(tu_stats(t).open_files, 1);
	munmap(m, 2 * PAGE);
	assert_int_equal(rd_close(t, map), 0);
	assert_int_equal(tu_stats(t).open_files, 0);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/other", 0), 0);
	assert_true(tu_used(t) < base);
	tu_done(t);
}

/* A process dying with the tree lock held: recovery keeps a mapped file's
 * pages past EOF (a mapping still points at them). */
static void test_map_survives_recovery(void **state)
{
	rd_tree *t = tu_tree_shared(0, 0);
	rd_fh fh = file_of(t, "/f", 2 * PAGE, 'r'), map;
	uint64_t pages[4], used;
	unsigned char *m;
	pid_t pid;
	int st;

	(void)state;
	assert_int_equal(rd_map(t, fh, 0, 4, 1, pages, &map), 0); /* 2 pages past EOF */
	m = map_pages(t, pages, 4);
	used = tu_used(t);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		rd_test_lock(t);
		raise(SIGKILL);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(tu_fstat(t, fh).st_size, 2 * PAGE); /* recovers */
	assert_int_equal(tu_stats(t).recoveries, 1);
	assert_int_equal(tu_used(t), used);
	m[3 * PAGE] = 'z';
	assert_int_equal(rd_ftruncate(t, fh, 4 * PAGE), 0);
	{
		unsigned char c;

		assert_int_equal(rd_pread(t, fh, &c, 1, 3 * PAGE), 1);
		assert_int_equal(c, 'z');
	}
	munmap(m, 4 * PAGE);
	assert_int_equal(rd_close(t, map), 0);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_coherent),
		cmocka_unit_test(test_map_charges_quota_up_front),
		cmocka_unit_test(test_map_enospc_changes_nothing),
		cmocka_unit_test(test_map_access_rules),
		cmocka_unit_test(test_map_pins_pages),
		cmocka_unit_test(test_map_keeps_unlinked_file),
		cmocka_unit_test(test_map_survives_recovery),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

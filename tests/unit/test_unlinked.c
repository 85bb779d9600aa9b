/* cmocka tests of open-but-unlinked files: they stay readable and writable
 * through their handles (nlink 0), keep counting against the quota, and
 * their space comes back when the last handle, in any process, closes. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096

static void pattern(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 13 + seed + i / 4093);
}

/* Create and remove path once so that directory bookkeeping for the name
 * is in place before usage is measured. */
static void warm(rd_tree *t, const char *path)
{
	assert_int_equal(tu_put(t, path, "", 0), 0);
	assert_int_equal(rd_unlink(t, RD_ROOT, path, 0), 0);
}

static void test_unlinked_stays_usable(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	static unsigned char data[1 << 20], got[1 << 20];
	struct rd_stats s0;
	struct stat st;
	char path[64];
	rd_fh fh;

	(void)state;
	warm(t, "/u");
	s0 = tu_stats(t);
	pattern(data, sizeof data, 1);
	fh = tu_open(t, "/u", O_CREAT | O_RDWR);
	assert_int_equal(rd_write(t, fh, data, sizeof data), sizeof data);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/u", 0), 0);
	assert_int_equal(rd_stat(t, RD_ROOT, "/u", &st, 0), -ENOENT);
	st = tu_fstat(t, fh);
	assert_int_equal(st.st_nlink, 0);
	assert_int_equal(st.st_size, sizeof data);
	assert_int_equal(rd_pread(t, fh, got, sizeof got, 0), sizeof got);
	assert_memory_equal(got, data, sizeof data);
	assert_true(tu_stats(t).data_bytes >= s0.data_bytes + sizeof data);

	/* Still a full file: write, truncate, fallocate all work. */
	assert_int_equal(rd_write(t, fh, "Z", 1), 1);
	assert_int_equal(tu_fstat(t, fh).st_size, sizeof data + 1);
	assert_int_equal(rd_ftruncate(t, fh, 3), 0);
	assert_int_equal(rd_fallocate(t, fh, 0, 0, 2 * PAGE), 0);
	st = tu_fstat(t, fh);
	assert_int_equal(st.st_size, 2 * PAGE);
	assert_int_equal(st.st_blocks, 16);
	memset(got, 0xee, 2 * PAGE);
	assert_int_equal(rd_pread(t, fh, got, sizeof got, 0), 2 * PAGE);
	assert_memory_equal(got, data, 3);
	for (size_t i = 3; i < 2 * PAGE; i++)
		assert_int_equal(got[i], 0);

	/* It has no name to report and cannot be linked back. */
	assert_int_equal(rd_fh_path(t, fh, path, sizeof path), -ENOTDIR);
	assert_int_equal(rd_link(t, fh, "", RD_ROOT, "/back", AT_EMPTY_PATH), -ENOENT);
	assert_int_equal(rd_stat(t, RD_ROOT, "/back", &st, 0), -ENOENT);

	assert_int_equal(rd_close(t, fh), 0);
	assert_int_equal(tu_stats(t).bytes_used, s0.bytes_used);
	assert_int_equal(tu_stats(t).data_bytes, s0.data_bytes);
	assert_int_equal(tu_stats(t).open_files, s0.open_files);
	assert_int_equal(tu_stats(t).nodes, s0.nodes);
	tu_done(t);
}

/* Several open files and references: the data lives until the very last. */
static void test_last_handle_frees(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	static unsigned char data[256 << 10], got[256 << 10];
	struct rd_stats s0;
	uint64_t used1;
	rd_fh a, b;

	(void)state;
	warm(t, "/f");
	s0 = tu_stats(t);
	pattern(data, sizeof data, 2);
	assert_int_equal(tu_put(t, "/f", data, sizeof data), 0);
	a = tu_open(t, "/f", O_RDONLY);
	b = tu_open(t, "/f", O_RDWR);
	assert_int_equal(rd_fh_ref(t, b), 0);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/f", 0), 0);
	used1 = tu_used(t);
	assert_true(used1 >= s0.bytes_used + sizeof data);

	assert_int_equal(rd_close(t, a), 0);
	assert_int_equal(tu_used(t), used1);
	assert_int_equal(rd_close(t, b), 0);
	assert_int_equal(tu_used(t), used1);
	assert_int_equal(tu_fstat(t, b).st_nlink, 0);
	assert_int_equal(rd_pread(t, b, got, sizeof got, 0), sizeof got);
	assert_memory_equal(got, data, sizeof data);
	assert_int_equal(rd_close(t, b), 0);
	assert_int_equal(tu_used(t), s0.bytes_used);
	assert_int_equal(tu_stats(t).data_bytes, s0.data_bytes);
	assert_int_equal(tu_stats(t).open_files, s0.open_files);
	tu_done(t);
}

/* The name is free at once; old handle and new file are independent. */
static void test_name_reuse(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	char buf[16];
	struct stat old_st, new_st;
	rd_fh old, nw;

	(void)state;
	assert_int_equal(tu_put(t, "/n", "old", 3), 0);
	old = tu_open(t, "/n", O_RDWR);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/n", 0), 0);
	nw = tu_open(t, "/n", O_CREAT | O_EXCL | O_RDWR);
	assert_int_equal(rd_write(t, nw, "new!", 4), 4);
	assert_int_equal(rd_pwrite(t, old, "OLD", 3, 0), 3);
	old_st = tu_fstat(t, old);
	new_st = tu_fstat(t, nw);
	assert_true(old_st.st_ino != new_st.st_ino);
	assert_int_equal(old_st.st_nlink, 0);
	assert_int_equal(new_st.st_nlink, 1);
	assert_int_equal(rd_pread(t, old, buf, sizeof buf, 0), 3);
	assert_memory_equal(buf, "OLD", 3);
	assert_int_equal(tu_get(t, "/n", buf, sizeof buf), 4);
	assert_memory_equal(buf, "new!", 4);
	assert_int_equal(rd_close(t, old), 0);
	assert_int_equal(rd_close(t, nw), 0);
	tu_done(t);
}

/* A file replaced by rename is unlinked like any other. */
static void test_rename_over_open(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	static unsigned char data[3 * PAGE];
	unsigned char got[3 * PAGE];
	uint64_t d_before;
	rd_fh v;

	(void)state;
	pattern(data, sizeof data, 3);
	assert_int_equal(tu_put(t, "/v", data, sizeof data), 0);
	assert_int_equal(tu_put(t, "/u", "uuu", 3), 0);
	v = tu_open(t, "/v", O_RDONLY);
	assert_int_equal(rd_rename(t, RD_ROOT, "/u", RD_ROOT, "/v", 0), 0);
	assert_int_equal(tu_fstat(t, v).st_nlink, 0);
	assert_int_equal(rd_pread(t, v, got, sizeof got, 0), sizeof got);
	assert_memory_equal(got, data, sizeof data);
	assert_int_equal(tu_get(t, "/v", got, sizeof got), 3);
	d_before = tu_stats(t).data_bytes;
	assert_int_equal(rd_close(t, v), 0);
	assert_int_equal(tu_stats(t).data_bytes, d_before - sizeof data);
	tu_done(t);
}

/* With a second name the file survives the first unlink, nlink 1. */
static void test_hardlink_then_unlink(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	char buf[8];
	uint64_t d0;
	rd_fh fh;

	(void)state;
	d0 = tu_stats(t).data_bytes;
	assert_int_equal(tu_put(t, "/a", "abc", 3), 0);
	assert_int_equal(rd_link(t, RD_ROOT, "/a", RD_ROOT, "/b", 0), 0);
	fh = tu_open(t, "/a", O_RDWR);
	assert_int_equal(tu_fstat(t, fh).st_nlink, 2);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/a", 0), 0);
	assert_int_equal(tu_fstat(t, fh).st_nlink, 1);
	assert_int_equal(rd_pwrite(t, fh, "X", 1, 0), 1);
	assert_int_equal(tu_get(t, "/b", buf, sizeof buf), 3);
	assert_memory_equal(buf, "Xbc", 3);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/b", 0), 0);
	assert_int_equal(tu_fstat(t, fh).st_nlink, 0);
	assert_int_equal(rd_close(t, fh), 0);
	assert_int_equal(tu_stats(t).data_bytes, d0);
	tu_done(t);
}

/* An unlinked open file still holds its quota until closed: two writes of
 * 60% of the free space cannot both fit, one can. */
static void test_unlinked_counts_quota(void **state)
{
	rd_tree *t = tu_tree(1u << 20, 0);
	static unsigned char data[1 << 20];
	struct rd_stats s = tu_stats(t);
	size_t len = (size_t)((s.quota - s.bytes_used) * 6 / 10) / PAGE * PAGE;
	rd_fh big, other;

	(void)state;
	assert_true(len >= 16 * PAGE);
	pattern(data, len, 4);
	big = tu_open(t, "/big", O_CREAT | O_RDWR);
	other = tu_open(t, "/other", O_CREAT | O_RDWR);
	assert_int_equal(rd_write(t, big, data, len), (ssize_t)len);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/big", 0), 0);
	assert_int_equal(rd_write(t, other, data, len), -ENOSPC);
	assert_int_equal(tu_fstat(t, other).st_size, 0);
	assert_int_equal(rd_close(t, big), 0);
	assert_int_equal(rd_write(t, other, data, len), (ssize_t)len);
	assert_int_equal(rd_close(t, other), 0);
	tu_done(t);
}

/* An O_TMPFILE never linked is freed by its last close. */
static void test_tmpfile_freed(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	static unsigned char data[512 << 10];
	struct rd_stats s0;
	rd_fh fh;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0755), 0);
	s0 = tu_stats(t);
	pattern(data, sizeof data, 5);
	fh = tu_open(t, "/d", O_TMPFILE | O_RDWR);
	assert_int_equal(rd_write(t, fh, data, sizeof data), sizeof data);
	assert_true(tu_used(t) >= s0.bytes_used + sizeof data);
	assert_int_equal(rd_close(t, fh), 0);
	assert_int_equal(tu_stats(t).bytes_used, s0.bytes_used);
	assert_int_equal(tu_stats(t).data_bytes, s0.data_bytes);
	assert_int_equal(tu_stats(t).nodes, s0.nodes);
	tu_done(t);
}

/* Child side of the fork test: plain exit codes, no cmocka in the child. */
static int child_uses(rd_tree *t, rd_fh fh, int go, const unsigned char *data, size_t len)
{
	static unsigned char got[128 << 10];
	struct stat st;
	char c;

	if (read(go, &c, 1) != 1)
		return 10;
	if (rd_fstat(t, fh, &st) != 0 || st.st_nlink != 0)
		return 11;
	if (rd_pread(t, fh, got, sizeof got, 0) != (ssize_t)len || memcmp(got, data, len))
		return 12;
	if (rd_pwrite(t, fh, "child", 5, 0) != 5)
		return 13;
	return rd_close(t, fh) == 0 ? 0 : 14;
}

/* In a shared tree the last close may come from another process. */
static void test_unlinked_across_fork(void **state)
{
	rd_tree *t = tu_tree_shared(0, 0);
	static unsigned char data[128 << 10];
	struct rd_stats s0;
	int go[2], status;
	pid_t pid;
	rd_fh fh;

	(void)state;
	warm(t, "/x");
	s0 = tu_stats(t);
	pattern(data, sizeof data, 6);
	fh = tu_open(t, "/x", O_CREAT | O_RDWR);
	assert_int_equal(rd_write(t, fh, data, sizeof data), sizeof data);
	assert_int_equal(rd_fh_ref(t, fh), 0); /* the child's reference */
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		_exit(child_uses(t, fh, go[0], data, sizeof data));
	}
	close(go[0]);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/x", 0), 0);
	assert_int_equal(rd_close(t, fh), 0);
	assert_true(tu_used(t) >= s0.bytes_used + sizeof data);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(tu_stats(t).bytes_used, s0.bytes_used);
	assert_int_equal(tu_stats(t).data_bytes, s0.data_bytes);
	assert_int_equal(tu_stats(t).open_files, s0.open_files);
	tu_done(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unlinked_stays_usable),
		cmocka_unit_test(test_last_handle_frees),
		cmocka_unit_test(test_name_reuse),
		cmocka_unit_test(test_rename_over_open),
		cmocka_unit_test(test_hardlink_then_unlink),
		cmocka_unit_test(test_unlinked_counts_quota),
		cmocka_unit_test(test_tmpfile_freed),
		cmocka_unit_test(test_unlinked_across_fork),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

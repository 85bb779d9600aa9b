/*
 * Memory guard: the cgroup/meminfo reader against fake /proc and /sys trees,
 * the init and per-write policies with an injected reader, and the real
 * reader on this machine.
 */
#include "testutil.h"
#include "../../core/src/guard.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)

/* ------------------------------------------------------------------------
 * An injected reader: returns fake_avail (or fake_rc) and counts calls. When
 * fake_root is set it parses that fake tree instead. */
static uint64_t fake_avail;
static int fake_rc;
static int fake_calls;
static const char *fake_root;

static int fake_reader(uint64_t *avail)
{
	fake_calls++;
	if (fake_root)
		return guard_read_available_at(fake_root, avail);
	if (fake_rc < 0)
		return fake_rc;
	*avail = fake_avail;
	return 0;
}

static void use_fake(uint64_t avail)
{
	fake_avail = avail;
	fake_rc = 0;
	fake_calls = 0;
	fake_root = NULL;
	rd_guard_set_reader(fake_reader);
}

/* ------------------------------------------------------------------------
 * Fake /proc and /sys trees under a temporary directory. */
static char fk_dir[64];

static int fk_setup(void **state)
{
	(void)state;
	strcpy(fk_dir, "/tmp/rdguard.XXXXXX");
	assert_non_null(mkdtemp(fk_dir));
	return 0;
}

static int fk_rm(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int fk_teardown(void **state)
{
	(void)state;
	rd_guard_set_reader(NULL);
	return nftw(fk_dir, fk_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write text to fk_dir/rel, creating parent directories. */
static void fk_write(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", fk_dir, rel);
	for (char *p = path + strlen(fk_dir) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0)
			assert_int_equal(errno, EEXIST);
		*p = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void fk_meminfo(uint64_t avail_kb)
{
	char text[256];

	snprintf(text, sizeof text,
		 "MemTotal:       99999999 kB\nMemFree:          123456 kB\n"
		 "MemAvailable:   %8llu kB\nBuffers:            1000 kB\n",
		 (unsigned long long)avail_kb);
	fk_write("proc/meminfo", text);
}

static uint64_t fk_read(void)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(guard_read_available_at(fk_dir, &v), 0);
	return v;
}

/* ------------------------------------------------------------------------
 * Parsing. */

static void test_meminfo_only(void **state)
{
	(void)state;
	fk_meminfo(8 * MiB); /* kB: 8 GiB */
	assert_int_equal(fk_read(), 8 * GiB);
}

static void test_meminfo_without_memavailable_uses_memfree(void **state)
{
	(void)state;
	fk_write("proc/meminfo", "MemTotal: 4000 kB\nMemFree: 1500 kB\nCached: 7 kB\n");
	assert_int_equal(fk_read(), 1500 * KiB);
}

static void test_nothing_readable_is_an_error(void **state)
{
	uint64_t v = 7;

	(void)state;
	errno = EBADMSG;
	assert_true(guard_read_available_at(fk_dir, &v) < 0);
	assert_int_equal(v, 7);
	assert_int_equal(errno, EBADMSG); /* preload callers rely on it */
}

static void test_v2_leaf_limit(void **state)
{
	(void)state;
	fk_meminfo(8 * MiB);
	fk_write("proc/self/cgroup", "0::/a/b\n");
	fk_write("sys/fs/cgroup/a/memory.max", "max\n");
	fk_write("sys/fs/cgroup/a/memory.current", "999999999\n");
	fk_write("sys/fs/cgroup/a/b/memory.max", "1073741824\n");
	fk_write("sys/fs/cgroup/a/b/memory.current", "268435456\n");
	assert_int_equal(fk_read(), 768 * MiB);
}

static void test_v2_tighter_ancestor_wins(void **state)
{
	(void)state;
	fk_meminfo(8 * MiB);
	fk_write("proc/self/cgroup", "0::/a/b/c\n");
	fk_write("sys/fs/cgroup/a/memory.max", "536870912\n");     /* 512 MiB */
	fk_write("sys/fs/cgroup/a/memory.current", "419430400\n"); /* 400 MiB */
	/* b has no memory files at all: skipped. */
	fk_write("sys/fs/cgroup/a/b/c/memory.max", "1073741824\n");
	fk_write("sys/fs/cgroup/a/b/c/memory.current", "1048576\n");
	assert_int_equal(fk_read(), 112 * MiB);
}

static void test_v2_top_level_limit_in_container(void **state)
{
	(void)state;
	fk_meminfo(8 * MiB);
	fk_write("proc/self/cgroup", "0::/\n");
	fk_write("sys/fs/cgroup/memory.max", "2147483648\n");
	fk_write("sys/fs/cgroup/memory.current", "1073741824\n");
	assert_int_equal(fk_read(), 1 * GiB);
}

static void test_v2_all_max_means_meminfo(void **state)
{
	(void)state;
	fk_meminfo(3 * MiB);
	fk_write("proc/self/cgroup", "0::/user.slice/x.scope\n");
	fk_write("sys/fs/cgroup/user.slice/memory.max", "max\n");
	fk_write("sys/fs/cgroup/user.slice/memory.current", "5\n");
	fk_write("sys/fs/cgroup/user.slice/x.scope/memory.max", "max\n");
	fk_write("sys/fs/cgroup/user.slice/x.scope/memory.current", "5\n");
	assert_int_equal(fk_read(), 3 * GiB);
}

static void test_v2_meminfo_tighter_than_limit(void **state)
{
	(void)state;
	fk_meminfo(100 * KiB); /* 100 MiB */
	fk_write("proc/self/cgroup", "0::/a\n");
	fk_write("sys/fs/cgroup/a/memory.max", "1073741824\n");
	fk_write("sys/fs/cgroup/a/memory.current", "0\n");
	assert_int_equal(fk_read(), 100 * MiB);
}

static void test_v2_over_limit_is_zero(void **state)
{
	(void)state;
	fk_meminfo(8 * MiB);
	fk_write("proc/self/cgroup", "0::/a\n");
	fk_write("sys/fs/cgroup/a/memory.max", "1000\n");
	fk_write("sys/fs/cgroup/a/memory.current", "4096\n");
	assert_int_equal(fk_read(), 0);
}

static void test_v2_garbage_is_ignored(void **state)
{
	(void)state;
	fk_meminfo(2 * MiB);
	fk_write("proc/self/cgroup", "garbage line\n0::/a\n");
	fk_write("sys/fs/cgroup/a/memory.max", "12abc\n");
	fk_write("sys/fs/cgroup/a/memory.current", "0\n");
	fk_write("sys/fs/cgroup/memory.max", "99999999999999999999999\n"); /* overflows */
	fk_write("sys/fs/cgroup/memory.current", "0\n");
	assert_int_equal(fk_read(), 2 * GiB);
}

static void test_v1_path_walk_and_unlimited(void **state)
{
	(void)state;
	fk_meminfo(6 * MiB);
	fk_write("proc/self/cgroup", "9:name=systemd:/\n4:memory:/svc/job\n0::/\n");
	/* The kernel's "unlimited" (PAGE_COUNTER_MAX pages) must not count. */
	fk_write("sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
	fk_write("sys/fs/cgroup/memory/memory.usage_in_bytes", "1\n");
	fk_write("sys/fs/cgroup/memory/svc/job/memory.limit_in_bytes", "9223372036854771712\n");
	fk_write("sys/fs/cgroup/memory/svc/job/memory.usage_in_bytes", "1\n");
	assert_int_equal(fk_read(), 6 * GiB);

	fk_write("sys/fs/cgroup/memory/svc/memory.limit_in_bytes", "2147483648\n");
	fk_write("sys/fs/cgroup/memory/svc/memory.usage_in_bytes", "1610612736\n");
	assert_int_equal(fk_read(), 512 * MiB);
}

static void test_v1_comounted_controller(void **state)
{
	(void)state;
	fk_meminfo(6 * MiB);
	fk_write("proc/self/cgroup", "3:cpu,memory,pids:/j\n");
	fk_write("sys/fs/cgroup/memory/j/memory.limit_in_bytes", "1073741824\n");
	fk_write("sys/fs/cgroup/memory/j/memory.usage_in_bytes", "0\n");
	assert_int_equal(fk_read(), 1 * GiB);
}

static void test_v1_top_level_without_cgroup_file(void **state)
{
	(void)state;
	fk_meminfo(6 * MiB);
	fk_write("sys/fs/cgroup/memory/memory.limit_in_bytes", "4294967296\n");
	fk_write("sys/fs/cgroup/memory/memory.usage_in_bytes", "1073741824\n");
	assert_int_equal(fk_read(), 3 * GiB);
}

static void test_cgroup_without_meminfo(void **state)
{
	(void)state;
	fk_write("proc/self/cgroup", "0::/a\n");
	fk_write("sys/fs/cgroup/a/memory.max", "1048576\n");
	fk_write("sys/fs/cgroup/a/memory.current", "4096\n");
	assert_int_equal(fk_read(), 1048576 - 4096);
}

static void test_overlong_cgroup_line_is_skipped(void **state)
{
	char line[3000];

	(void)state;
	fk_meminfo(1 * MiB);
	memset(line, 'x', sizeof line);
	memcpy(line, "0::/", 4);
	strcpy(line + sizeof line - 2, "\n");
	fk_write("proc/self/cgroup", line);
	fk_write("sys/fs/cgroup/memory.max", "4096\n");
	fk_write("sys/fs/cgroup/memory.current", "0\n");
	/* The cut path is not walked, but the top still applies. */
	assert_int_equal(fk_read(), 4096);
}

static void test_message_names_cgroup_numbers(void **state)
{
	struct rd_config cfg;
	rd_tree *t = NULL;
	const char *msg;

	(void)state;
	fk_meminfo(8 * MiB);
	fk_write("proc/self/cgroup", "0::/a\n");
	fk_write("sys/fs/cgroup/a/memory.max", "4294967296\n");      /* 4 GiB */
	fk_write("sys/fs/cgroup/a/memory.current", "858993459\n");   /* 0.8 GiB */
	use_fake(0);
	fake_root = fk_dir;
	rd_config_default(&cfg);
	cfg.quota = 8 * GiB;
	cfg.guard = RD_GUARD_INIT;
	assert_int_equal(rd_tree_create(&cfg, &t), -ENOMEM);
	assert_null(t);
	msg = rd_guard_message();
	print_message("%s\n", msg);
	assert_non_null(strstr(msg, "quota 8.0 GiB"));
	assert_non_null(strstr(msg, "3.2 GiB"));
	assert_non_null(strstr(msg, "(3435973837 bytes)"));
	assert_non_null(strstr(msg, "cgroup limit 4.0 GiB"));
	assert_non_null(strstr(msg, "0.8 GiB used"));
	assert_non_null(strstr(msg, "--memory-guard none"));
}

/* ------------------------------------------------------------------------
 * Policy, called directly. */

static void test_alloc_noop_unless_per_write(void **state)
{
	struct rd_guard_state g = { 0 };

	(void)state;
	use_fake(0);
	g.mode = RD_GUARD_NONE;
	assert_int_equal(guard_check_alloc(&g, 1 * GiB), 0);
	g.mode = RD_GUARD_INIT;
	assert_int_equal(guard_check_alloc(&g, 1 * GiB), 0);
	assert_int_equal(fake_calls, 0);
	rd_guard_set_reader(NULL);
}

static void test_alloc_grants_add_up_between_readings(void **state)
{
	struct rd_guard_state g = { 0 };

	(void)state;
	use_fake(10000);
	g.mode = RD_GUARD_PER_WRITE;
	g.interval_ns = 3600ull * 1000000000ull;
	assert_int_equal(guard_check_alloc(&g, 4000), 0);
	assert_int_equal(guard_check_alloc(&g, 4000), 0);
	assert_int_equal(guard_check_alloc(&g, 4000), -ENOSPC);
	assert_non_null(strstr(rd_guard_message(), "(2000 bytes)"));
	/* Exactly the rest is allowed (no margin), one byte more is not. */
	assert_int_equal(guard_check_alloc(&g, 2000), 0);
	assert_int_equal(guard_check_alloc(&g, 1), -ENOSPC);
	assert_int_equal(g.granted, 10000);
	assert_int_equal(fake_calls, 1);
	rd_guard_set_reader(NULL);
}

static void test_alloc_rereads_each_interval(void **state)
{
	struct rd_guard_state g = { 0 };
	struct timespec nap = { 0, 60 * 1000000 };

	(void)state;
	use_fake(5000);
	g.mode = RD_GUARD_PER_WRITE;
	g.interval_ns = 1; /* every call is a new interval */
	for (int i = 0; i < 5; i++)
		assert_int_equal(guard_check_alloc(&g, 4000), 0);
	assert_int_equal(fake_calls, 5);

	/* 40 ms: back-to-back calls share a reading, after 60 ms it is redone. */
	memset(&g, 0, sizeof g);
	g.mode = RD_GUARD_PER_WRITE;
	g.interval_ns = 40 * 1000000ull;
	fake_calls = 0;
	assert_int_equal(guard_check_alloc(&g, 4000), 0);
	assert_int_equal(guard_check_alloc(&g, 4000), -ENOSPC);
	assert_int_equal(fake_calls, 1);
	nanosleep(&nap, NULL);
	fake_avail = 9000;
	assert_int_equal(guard_check_alloc(&g, 4000), 0);
	assert_int_equal(guard_check_alloc(&g, 4000), 0);
	assert_int_equal(fake_calls, 2);
	assert_int_equal(g.last_avail, 9000);
	rd_guard_set_reader(NULL);
}

static void test_alloc_default_interval_is_100ms(void **state)
{
	struct rd_guard_state g = { 0 };
	struct timespec nap = { 0, 120 * 1000000 };

	(void)state;
	use_fake(1 * GiB);
	g.mode = RD_GUARD_PER_WRITE;
	for (int i = 0; i < 50; i++)
		assert_int_equal(guard_check_alloc(&g, 4096), 0);
	assert_int_equal(fake_calls, 1);
	nanosleep(&nap, NULL);
	assert_int_equal(guard_check_alloc(&g, 4096), 0);
	assert_int_equal(fake_calls, 2);
	assert_int_equal(g.granted, 4096);
	rd_guard_set_reader(NULL);
}

static void test_reader_failure_allows(void **state)
{
	struct rd_guard_state g = { 0 };

	(void)state;
	use_fake(0);
	fake_rc = -EACCES;
	assert_int_equal(guard_check_init(1 * GiB, RD_GUARD_INIT), 0);
	g.mode = RD_GUARD_PER_WRITE;
	g.interval_ns = 1;
	assert_int_equal(guard_check_alloc(&g, 1 * GiB), 0);
	assert_int_equal(fake_calls, 2);
	rd_guard_set_reader(NULL);
}

/* ------------------------------------------------------------------------
 * Through the public API. */

static rd_tree *guarded_tree(enum rd_guard_mode mode, uint64_t quota, uint64_t interval_ns)
{
	struct rd_config cfg;
	rd_tree *t = NULL;

	rd_config_default(&cfg);
	cfg.quota = quota;
	cfg.guard = mode;
	cfg.guard_interval_ns = interval_ns;
	assert_int_equal(rd_tree_create(&cfg, &t), 0);
	assert_non_null(t);
	return t;
}

static void test_init_refuses_and_accepts(void **state)
{
	struct rd_config cfg;
	rd_tree *t = NULL;
	const char *msg;

	(void)state;
	use_fake(3 * GiB + 200 * MiB);
	rd_config_default(&cfg);
	cfg.quota = 8 * GiB;
	cfg.guard = RD_GUARD_INIT;
	assert_int_equal(rd_tree_create(&cfg, &t), -ENOMEM);
	assert_null(t);
	assert_int_equal(fake_calls, 1);
	msg = rd_guard_message();
	assert_non_null(strstr(msg, "8.0 GiB"));
	assert_non_null(strstr(msg, "3.2 GiB"));
	assert_non_null(strstr(msg, "(3430940672 bytes)"));

	cfg.guard = RD_GUARD_PER_WRITE; /* includes the init check */
	assert_int_equal(rd_tree_create(&cfg, &t), -ENOMEM);
	assert_null(t);

	/* A quota equal to what is available is accepted. */
	cfg.quota = 16 * MiB;
	fake_avail = 16 * MiB;
	cfg.guard = RD_GUARD_INIT;
	assert_int_equal(rd_tree_create(&cfg, &t), 0);
	tu_done(t);

	/* No guard: the reader is not even consulted. */
	fake_calls = 0;
	fake_avail = 0;
	cfg.guard = RD_GUARD_NONE;
	t = NULL;
	assert_int_equal(rd_tree_create(&cfg, &t), 0);
	assert_int_equal(fake_calls, 0);
	tu_done(t);
	rd_guard_set_reader(NULL);
}

static void test_per_write_refusal_changes_nothing(void **state)
{
	static char data[64 * 1024], back[8192];
	struct rd_stats before, after;
	struct stat st0, st1;
	rd_tree *t;
	rd_fh fh;

	(void)state;
	use_fake(1 * GiB);
	t = guarded_tree(RD_GUARD_PER_WRITE, 16 * MiB, 1);
	memset(data, 'a', 8192);
	assert_int_equal(rd_open(t, RD_ROOT, "/f", O_RDWR | O_CREAT, 0644, &fh), 0);
	assert_int_equal(rd_write(t, fh, data, 8192), 8192);
	assert_int_equal(rd_fstat(t, fh, &st0), 0);
	assert_int_equal(rd_tree_stats(t, &before), 0);

	fake_avail = 0;
	memset(data, 'b', sizeof data);
	assert_int_equal(rd_write(t, fh, data, sizeof data), -ENOSPC);
	assert_non_null(strstr(rd_guard_message(), "memory guard"));
	assert_int_equal(rd_fstat(t, fh, &st1), 0);
	assert_int_equal(rd_tree_stats(t, &after), 0);
	assert_int_equal(st1.st_size, 8192);
	assert_int_equal(st1.st_blocks, st0.st_blocks);
	assert_int_equal(st1.st_mtim.tv_sec, st0.st_mtim.tv_sec);
	assert_int_equal(st1.st_mtim.tv_nsec, st0.st_mtim.tv_nsec);
	assert_int_equal(after.bytes_used, before.bytes_used);
	assert_int_equal(after.data_bytes, before.data_bytes);
	assert_true(after.quota_refusals > before.quota_refusals);
	assert_int_equal(rd_pread(t, fh, back, sizeof back, 0), 8192);
	for (size_t i = 0; i < sizeof back; i++)
		assert_int_equal(back[i], 'a');

	/* Memory back: the same write goes through. */
	fake_avail = 1 * GiB;
	assert_int_equal(rd_write(t, fh, data, sizeof data), (ssize_t)sizeof data);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
	rd_guard_set_reader(NULL);
}

static void test_per_write_rate_limit(void **state)
{
	static char page[4096];
	rd_tree *t;
	rd_fh fh;
	int c0;

	(void)state;
	/* Hour-long interval: at most one reading for all the appends. */
	use_fake(1 * GiB);
	t = guarded_tree(RD_GUARD_PER_WRITE, 16 * MiB, 3600ull * 1000000000ull);
	c0 = fake_calls;
	assert_int_equal(rd_open(t, RD_ROOT, "/f", O_WRONLY | O_CREAT, 0644, &fh), 0);
	for (int i = 0; i < 32; i++)
		assert_int_equal(rd_write(t, fh, page, sizeof page), (ssize_t)sizeof page);
	assert_true(fake_calls - c0 <= 1);
	rd_close(t, fh);
	tu_done(t);

	/* 1 ns interval: every fresh page is a new reading. */
	t = guarded_tree(RD_GUARD_PER_WRITE, 16 * MiB, 1);
	c0 = fake_calls;
	assert_int_equal(rd_open(t, RD_ROOT, "/f", O_WRONLY | O_CREAT, 0644, &fh), 0);
	for (int i = 0; i < 32; i++)
		assert_int_equal(rd_write(t, fh, page, sizeof page), (ssize_t)sizeof page);
	assert_true(fake_calls - c0 >= 32);
	rd_close(t, fh);
	tu_done(t);

	/* INIT only: writes never consult the reader, even with nothing left. */
	t = guarded_tree(RD_GUARD_INIT, 16 * MiB, 1);
	fake_avail = 0;
	c0 = fake_calls;
	assert_int_equal(rd_open(t, RD_ROOT, "/f", O_WRONLY | O_CREAT, 0644, &fh), 0);
	for (int i = 0; i < 32; i++)
		assert_int_equal(rd_write(t, fh, page, sizeof page), (ssize_t)sizeof page);
	assert_int_equal(fake_calls, c0);
	rd_close(t, fh);
	tu_done(t);
	rd_guard_set_reader(NULL);
}

/* ------------------------------------------------------------------------
 * The real reader on this machine. */

static uint64_t memtotal_bytes(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long long kb = 0;
	char line[256];

	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			break;
	fclose(f);
	assert_true(kb > 0);
	return kb * 1024;
}

static void test_real_reader_is_plausible(void **state)
{
	uint64_t v = 0;

	(void)state;
	rd_guard_set_reader(NULL);
	assert_int_equal(rd_mem_available_bytes(&v), 0);
	print_message("available: %llu bytes\n", (unsigned long long)v);
	assert_true(v > 0);
	assert_true(v <= memtotal_bytes());
	/* NULL restored the real reader: one byte is surely available. */
	use_fake(0);
	rd_guard_set_reader(NULL);
	assert_int_equal(guard_check_init(1, RD_GUARD_INIT), 0);
	assert_int_equal(fake_calls, 0);
}

#define FK(fn) cmocka_unit_test_setup_teardown(fn, fk_setup, fk_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		FK(test_meminfo_only),
		FK(test_meminfo_without_memavailable_uses_memfree),
		FK(test_nothing_readable_is_an_error),
		FK(test_v2_leaf_limit),
		FK(test_v2_tighter_ancestor_wins),
		FK(test_v2_top_level_limit_in_container),
		FK(test_v2_all_max_means_meminfo),
		FK(test_v2_meminfo_tighter_than_limit),
		FK(test_v2_over_limit_is_zero),
		FK(test_v2_garbage_is_ignored),
		FK(test_v1_path_walk_and_unlimited),
		FK(test_v1_comounted_controller),
		FK(test_v1_top_level_without_cgroup_file),
		FK(test_cgroup_without_meminfo),
		FK(test_overlong_cgroup_line_is_skipped),
		FK(test_message_names_cgroup_numbers),
		cmocka_unit_test(test_alloc_noop_unless_per_write),
		cmocka_unit_test(test_alloc_grants_add_up_between_readings),
		cmocka_unit_test(test_alloc_rereads_each_interval),
		cmocka_unit_test(test_alloc_default_interval_is_100ms),
		cmocka_unit_test(test_reader_failure_allows),
		cmocka_unit_test(test_init_refuses_and_accepts),
		cmocka_unit_test(test_per_write_refusal_changes_nothing),
		cmocka_unit_test(test_per_write_rate_limit),
		cmocka_unit_test(test_real_reader_is_plausible),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

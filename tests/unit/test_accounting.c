/*
 * Exact space accounting: long seeded random operation sequences checked by
 * rd_tree_check, ENOSPC that changes nothing, free holes, node limits, and
 * space that is reusable as soon as it is freed.
 */
#include "testutil.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/falloc.h>
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
 * Helpers. */

struct ta_dirent {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Remove everything below dir (an absolute tree path), leaving dir. */
static void ta_rm_children(rd_tree *t, const char *dir)
{
	char buf[4096], path[1024];
	char (*names)[256] = NULL;
	unsigned char *types = NULL;
	size_t count = 0, cap = 0;
	ssize_t n;
	rd_fh fh;

	assert_int_equal(rd_open(t, RD_ROOT, dir, O_RDONLY | O_DIRECTORY, 0, &fh), 0);
	while ((n = rd_getdents(t, fh, buf, sizeof buf)) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct ta_dirent *d = (struct ta_dirent *)(buf + off);

			off += d->d_reclen;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			if (count == cap) {
				cap = cap ? cap * 2 : 16;
				names = realloc(names, cap * sizeof *names);
				types = realloc(types, cap);
				assert_non_null(names);
				assert_non_null(types);
			}
			snprintf(names[count], sizeof names[count], "%s", d->d_name);
			types[count++] = d->d_type;
		}
	}
	assert_int_equal(n, 0);
	assert_int_equal(rd_close(t, fh), 0);
	for (size_t i = 0; i < count; i++) {
		snprintf(path, sizeof path, "%s/%s", strcmp(dir, "/") ? dir : "", names[i]);
		if (types[i] == DT_DIR) {
			ta_rm_children(t, path);
			assert_int_equal(rd_unlink(t, RD_ROOT, path, AT_REMOVEDIR), 0);
		} else {
			assert_int_equal(rd_unlink(t, RD_ROOT, path, 0), 0);
		}
	}
	free(names);
	free(types);
}

static struct rd_stats ta_stats(rd_tree *t)
{
	struct rd_stats st;

	assert_int_equal(rd_tree_stats(t, &st), 0);
	return st;
}

static void ta_check(rd_tree *t, const char *when)
{
	char msg[512] = "";
	int rc = rd_tree_check(t, msg, sizeof msg);

	if (rc != 0)
		print_error("tree check failed %s: %s\n", when, msg);
	assert_int_equal(rc, 0);
}

/* Write 4 KiB pieces to path until the quota refuses; returns bytes written. */
static uint64_t ta_fill(rd_tree *t, const char *path)
{
	static char chunk[4096];
	uint64_t total = 0;
	ssize_t n;
	rd_fh fh;

	memset(chunk, 'F', sizeof chunk);
	assert_int_equal(rd_open(t, RD_ROOT, path, O_WRONLY | O_CREAT | O_APPEND, 0644, &fh), 0);
	while ((n = rd_write(t, fh, chunk, sizeof chunk)) == (ssize_t)sizeof chunk)
		total += (uint64_t)n;
	assert_int_equal(n, -ENOSPC);
	assert_int_equal(rd_close(t, fh), 0);
	return total;
}

/* ------------------------------------------------------------------------
 * Random operation sequences. */

#define TA_QUOTA (1 * MiB)
#define TA_NODES 64
#define TA_HELD 4
#define TA_STEPS 6000
#define TA_CHECK_EVERY 50

struct ta_run {
	rd_tree *t;
	uint32_t rng;
	rd_fh held[TA_HELD];
	uint64_t step;
	int op;
};

static uint32_t ta_rand(struct ta_run *r)
{
	uint32_t x = r->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return r->rng = x;
}

/* A path in a small namespace: files f0-f7 and dirs d0-d3 at the top and
 * one level down, so that names collide often. */
static void ta_path(struct ta_run *r, char *buf, size_t cap)
{
	uint32_t v = ta_rand(r);
	const char kind = (v & 1) ? 'f' : 'd';

	if ((v >> 1) % 3 == 0)
		snprintf(buf, cap, "/%c%u", kind, (v >> 3) % (kind == 'f' ? 8 : 4));
	else
		snprintf(buf, cap, "/d%u/%c%u", (v >> 3) % 4, kind, (v >> 5) % 8);
}

/* Errors the namespace games may legitimately produce. */
static void ta_expect(struct ta_run *r, long rc, const char *what)
{
	switch (rc) {
	case -ENOENT: case -EEXIST: case -ENOTEMPTY: case -EISDIR: case -ENOTDIR:
	case -ENOSPC: case -EINVAL: case -ELOOP: case -EPERM:
	case -RD_EESCAPE: /* a "../d1/.." target followed from the top */
		return;
	default:
		if (rc >= 0)
			return;
	}
	print_error("step %llu op %d %s: unexpected %ld\n",
		    (unsigned long long)r->step, r->op, what, rc);
	fail();
}

/* pwrite through fh; on -ENOSPC nothing may have changed, otherwise the whole
 * length must have been written. */
static void ta_write_fh(struct ta_run *r, rd_fh fh)
{
	static char buf[16 * KiB];
	struct rd_stats s0, s1;
	struct stat st0, st1;
	size_t len = ta_rand(r) % sizeof buf + 1;
	off_t off = (ta_rand(r) & 3) ? ta_rand(r) % (256 * KiB) : 0;
	ssize_t n;

	memset(buf, 'a' + (int)(r->step % 26), len);
	if (rd_fstat(r->t, fh, &st0) < 0)
		return;
	s0 = ta_stats(r->t);
	n = rd_pwrite(r->t, fh, buf, len, off);
	if (n == -ENOSPC) {
		assert_int_equal(rd_fstat(r->t, fh, &st1), 0);
		s1 = ta_stats(r->t);
		assert_int_equal(st1.st_size, st0.st_size);
		assert_int_equal(st1.st_blocks, st0.st_blocks);
		assert_int_equal(s1.bytes_used, s0.bytes_used);
		assert_int_equal(s1.data_bytes, s0.data_bytes);
		return;
	}
	ta_expect(r, n, "pwrite");
	if (n >= 0)
		assert_int_equal(n, (ssize_t)len);
}

static void ta_symlink_target(struct ta_run *r, char *buf, size_t cap)
{
	uint32_t v = ta_rand(r);
	int pad = (v & 3) == 0 ? 70 : 0; /* long targets cost a page or slab space */
	size_t len = 0;

	for (int i = 0; i < pad && len + 2 < cap; i++, len += 2)
		memcpy(buf + len, "./", 2);
	snprintf(buf + len, cap - len, "%s%c%u", (v >> 2) & 1 ? "../d1/" : "",
		 (v >> 3) & 1 ? 'f' : 'd', (v >> 4) % 8);
}

static int ta_free_held(struct ta_run *r)
{
	for (int i = 0; i < TA_HELD; i++)
		if (!r->held[i])
			return i;
	return -1;
}

static void ta_close_held(struct ta_run *r, int i)
{
	if (r->held[i]) {
		assert_int_equal(rd_close(r->t, r->held[i]), 0);
		r->held[i] = 0;
	}
}

static void ta_step(struct ta_run *r)
{
	static const unsigned rflags[] = { 0, RENAME_NOREPLACE, RENAME_EXCHANGE };
	char a[64], b[256];
	rd_fh fh;
	int rc, i;

	ta_path(r, a, sizeof a);
	r->op = (int)(ta_rand(r) % 16);
	switch (r->op) {
	case 0: case 1: case 2: case 3: /* write at a random (sparse) offset */
		rc = rd_open(r->t, RD_ROOT, a, O_RDWR | O_CREAT, 0644, &fh);
		ta_expect(r, rc, "open");
		if (rc == 0) {
			ta_write_fh(r, fh);
			assert_int_equal(rd_close(r->t, fh), 0);
		}
		break;
	case 4: /* truncate up (free: sparse) or down */
		ta_expect(r, rd_truncate(r->t, RD_ROOT, a, ta_rand(r) % (512 * KiB)), "truncate");
		break;
	case 5:
		ta_expect(r, rd_unlink(r->t, RD_ROOT, a, 0), "unlink");
		break;
	case 6:
		ta_expect(r, rd_mkdir(r->t, RD_ROOT, a, 0755), "mkdir");
		break;
	case 7:
		ta_expect(r, rd_unlink(r->t, RD_ROOT, a, AT_REMOVEDIR), "rmdir");
		break;
	case 8:
		ta_path(r, b, sizeof b);
		ta_expect(r, rd_rename(r->t, RD_ROOT, a, RD_ROOT, b, rflags[ta_rand(r) % 3]), "rename");
		break;
	case 9:
		ta_symlink_target(r, b, sizeof b);
		ta_expect(r, rd_symlink(r->t, b, RD_ROOT, a), "symlink");
		break;
	case 10:
		ta_path(r, b, sizeof b);
		ta_expect(r, rd_link(r->t, RD_ROOT, a, RD_ROOT, b, 0), "link");
		break;
	case 11: /* open and keep, possibly across its unlink */
		i = ta_free_held(r);
		if (i < 0) {
			ta_close_held(r, (int)(ta_rand(r) % TA_HELD));
			break;
		}
		rc = rd_open(r->t, RD_ROOT, a, O_RDWR | O_CREAT, 0644, &r->held[i]);
		ta_expect(r, rc, "open-held");
		if (rc < 0)
			r->held[i] = 0;
		break;
	case 12: /* write through a kept handle, perhaps an unlinked file */
		i = (int)(ta_rand(r) % TA_HELD);
		if (r->held[i])
			ta_write_fh(r, r->held[i]);
		break;
	case 13:
		ta_close_held(r, (int)(ta_rand(r) % TA_HELD));
		break;
	case 14: /* anonymous file: kept or dropped */
		i = ta_free_held(r);
		rc = rd_open(r->t, RD_ROOT, "/", O_TMPFILE | O_RDWR, 0600, &fh);
		ta_expect(r, rc, "tmpfile");
		if (rc < 0)
			break;
		ta_write_fh(r, fh);
		if (i >= 0 && (ta_rand(r) & 1))
			r->held[i] = fh;
		else
			assert_int_equal(rd_close(r->t, fh), 0);
		break;
	case 15: /* open, unlink, write, close: the data dies with the close */
		rc = rd_open(r->t, RD_ROOT, a, O_RDWR | O_CREAT, 0644, &fh);
		ta_expect(r, rc, "open");
		if (rc < 0)
			break;
		ta_expect(r, rd_unlink(r->t, RD_ROOT, a, 0), "unlink-open");
		ta_write_fh(r, fh);
		assert_int_equal(rd_close(r->t, fh), 0);
		break;
	}
}

static void ta_random_run(uint32_t seed)
{
	struct ta_run r = { 0 };
	struct rd_stats st;
	char when[64];

	print_message("accounting seed %u (rerun with RD_SEED=%u)\n", seed, seed);
	r.t = tu_tree(TA_QUOTA, TA_NODES);
	r.rng = seed ? seed : 1;
	for (r.step = 0; r.step < TA_STEPS; r.step++) {
		ta_step(&r);
		st = ta_stats(r.t);
		assert_true(st.bytes_used <= st.quota);
		assert_true(st.nodes <= TA_NODES);
		if (r.step % TA_CHECK_EVERY == 0) {
			snprintf(when, sizeof when, "seed %u step %llu", seed,
				 (unsigned long long)r.step);
			ta_check(r.t, when);
		}
	}
	st = ta_stats(r.t);
	print_message("  %llu refusals, peak %llu of %llu bytes, %llu files %llu dirs %llu symlinks made\n",
		      (unsigned long long)st.quota_refusals, (unsigned long long)st.bytes_peak,
		      (unsigned long long)st.quota, (unsigned long long)st.files_created,
		      (unsigned long long)st.dirs_created, (unsigned long long)st.symlinks_created);
	/* The random phase may meet the node limit before the byte quota;
	 * meet the quota for certain: page-sized writes until it refuses, then
	 * the accounting must still be exact at the boundary. */
	assert_true(st.quota_refusals > 0);
	if (st.nodes < TA_NODES) {
		static char page[4096];
		rd_fh fill;
		ssize_t n = 0;

		assert_int_equal(rd_open(r.t, RD_ROOT, "/fill", O_CREAT | O_WRONLY, 0644, &fill), 0);
		while ((n = rd_write(r.t, fill, page, sizeof page)) == (ssize_t)sizeof page)
			;
		assert_int_equal(n, -ENOSPC);
		st = ta_stats(r.t);
		assert_true(st.bytes_used + 4 * 4096 >= st.quota); /* a page plus radix nodes short */
		ta_check(r.t, "filled to the quota");
		assert_int_equal(rd_close(r.t, fill), 0);
	}
	assert_true(st.bytes_peak + 4 * 4096 >= st.quota || st.nodes >= TA_NODES);
	for (int i = 0; i < TA_HELD; i++)
		ta_close_held(&r, i);
	ta_rm_children(r.t, "/");
	st = ta_stats(r.t);
	assert_int_equal(st.open_files, 0);
	assert_int_equal(st.nodes, 1);
	assert_int_equal(st.data_bytes, 0);
	assert_int_equal(st.bytes_used, st.bytes_baseline);
	tu_done(r.t);
}

static void test_random_sequences(void **state)
{
	const char *env = getenv("RD_SEED");
	uint32_t base = env ? (uint32_t)strtoul(env, NULL, 0) : (uint32_t)time(NULL);

	(void)state;
	if (env) {
		ta_random_run(base);
		return;
	}
	for (uint32_t i = 0; i < 4; i++) {
		/* Spread neighbouring seeds apart (murmur3 finaliser). */
		uint32_t h = base + i * 0x9e3779b9u;

		h ^= h >> 16;
		h *= 0x85ebca6bu;
		h ^= h >> 13;
		h *= 0xc2b2ae35u;
		h ^= h >> 16;
		ta_random_run(h);
	}
}

/* ------------------------------------------------------------------------
 * ENOSPC changes nothing. */

static void ta_expect_bytes(rd_tree *t, rd_fh fh, char c, size_t len)
{
	static char buf[64 * KiB];

	assert_true(len <= sizeof buf);
	assert_int_equal(rd_pread(t, fh, buf, sizeof buf, 0), (ssize_t)len);
	for (size_t i = 0; i < len; i++)
		if (buf[i] != c) {
			print_error("byte %zu is %d, want %d\n", i, buf[i], c);
			fail();
		}
}

static void test_enospc_write_changes_nothing(void **state)
{
	static char x[8192], y[64 * KiB];
	const struct timespec old[2] = { { 1000, 0 }, { 1000, 0 } };
	struct iovec iov[2] = { { y, 4096 }, { y + 4096, sizeof y - 4096 } };
	rd_tree *t = tu_tree(1 * MiB, 0);
	struct rd_stats s0, s1;
	struct stat st0, st1;
	rd_fh f, g;

	(void)state;
	memset(x, 'x', sizeof x);
	memset(y, 'y', sizeof y);
	assert_int_equal(rd_open(t, RD_ROOT, "/f", O_RDWR | O_CREAT, 0644, &f), 0);
	assert_int_equal(rd_write(t, f, x, sizeof x), (ssize_t)sizeof x);
	/* A small (inline) file whose growth would need pages. The failing
	 * requests below all need far more than the few pages a fill can
	 * leave over. */
	assert_int_equal(rd_open(t, RD_ROOT, "/g", O_RDWR | O_CREAT, 0644, &g), 0);
	assert_int_equal(rd_write(t, g, x, 100), 100);
	assert_int_equal(rd_futimens(t, f, old), 0);
	assert_int_equal(rd_futimens(t, g, old), 0);
	ta_fill(t, "/fill");

	assert_int_equal(rd_fstat(t, f, &st0), 0);
	s0 = ta_stats(t);
	assert_true(s0.quota - s0.bytes_used <= 4 * 4096);
	/* Overwrite-and-extend, pure extension, vectored, appending. */
	assert_int_equal(rd_pwrite(t, f, y, sizeof y, 4096), -ENOSPC);
	assert_int_equal(rd_pwrite(t, f, y, sizeof y, 8192), -ENOSPC);
	assert_int_equal(rd_pwritev(t, f, iov, 2, 0), -ENOSPC);
	assert_int_equal(rd_fh_setfl(t, f, O_APPEND), 0);
	assert_int_equal(rd_write(t, f, y, sizeof y), -ENOSPC);
	assert_int_equal(rd_fh_setfl(t, f, 0), 0);
	/* Preallocation is all or nothing too. */
	assert_int_equal(rd_fallocate(t, f, 0, 0, 1 * MiB), -ENOSPC);
	assert_int_equal(rd_pwrite(t, g, y, 60000, 0), -ENOSPC);

	assert_int_equal(rd_fstat(t, f, &st1), 0);
	s1 = ta_stats(t);
	assert_int_equal(st1.st_size, sizeof x);
	assert_int_equal(st1.st_blocks, st0.st_blocks);
	assert_int_equal(st1.st_mtim.tv_sec, 1000);
	assert_int_equal(st1.st_mtim.tv_nsec, 0);
	assert_int_equal(st1.st_ctim.tv_sec, st0.st_ctim.tv_sec);
	assert_int_equal(st1.st_ctim.tv_nsec, st0.st_ctim.tv_nsec);
	assert_int_equal(s1.bytes_used, s0.bytes_used);
	assert_int_equal(s1.data_bytes, s0.data_bytes);
	assert_true(s1.quota_refusals >= s0.quota_refusals + 6);
	ta_expect_bytes(t, f, 'x', sizeof x);
	assert_int_equal(rd_fstat(t, g, &st1), 0);
	assert_int_equal(st1.st_size, 100);
	assert_int_equal(st1.st_mtim.tv_sec, 1000);
	ta_expect_bytes(t, g, 'x', 100);

	/* Rewriting pages the file already has needs no space. */
	assert_int_equal(rd_pwrite(t, f, y, 8192, 0), 8192);
	assert_int_equal(ta_stats(t).bytes_used, s0.bytes_used);
	ta_expect_bytes(t, f, 'y', sizeof x);
	assert_int_equal(rd_close(t, f), 0);
	assert_int_equal(rd_close(t, g), 0);
	tu_done(t);
}

/* Extending truncate is free (sparse), even on a full tree. */
static void test_truncate_extend_at_full_quota(void **state)
{
	static char x[8192], buf[4096];
	rd_tree *t = tu_tree(1 * MiB, 0);
	struct rd_stats s0;
	struct stat st0, st1;
	rd_fh f;

	(void)state;
	memset(x, 'x', sizeof x);
	assert_int_equal(rd_open(t, RD_ROOT, "/f", O_RDWR | O_CREAT, 0644, &f), 0);
	assert_int_equal(rd_write(t, f, x, sizeof x), (ssize_t)sizeof x);
	ta_fill(t, "/fill");
	assert_int_equal(rd_fstat(t, f, &st0), 0);
	s0 = ta_stats(t);

	assert_int_equal(rd_ftruncate(t, f, 100 * MiB), 0);
	assert_int_equal(rd_truncate(t, RD_ROOT, "/f", 200 * MiB), 0);
	assert_int_equal(rd_fstat(t, f, &st1), 0);
	assert_int_equal(st1.st_size, 200 * MiB);
	assert_int_equal(st1.st_blocks, st0.st_blocks);
	assert_int_equal(ta_stats(t).bytes_used, s0.bytes_used);
	memset(buf, 1, sizeof buf);
	assert_int_equal(rd_pread(t, f, buf, sizeof buf, 50 * MiB), (ssize_t)sizeof buf);
	for (size_t i = 0; i < sizeof buf; i++)
		assert_int_equal(buf[i], 0);

	assert_int_equal(rd_ftruncate(t, f, sizeof x), 0);
	ta_expect_bytes(t, f, 'x', sizeof x);
	assert_int_equal(ta_stats(t).bytes_used, s0.bytes_used);
	assert_int_equal(rd_close(t, f), 0);
	tu_done(t);
}

static void test_node_limit(void **state)
{
	rd_tree *t = tu_tree(0, 8);
	struct rd_stats s0;
	struct stat st;
	char path[32];
	rd_fh fh;

	(void)state;
	for (int i = 1; i <= 7; i++) {
		snprintf(path, sizeof path, "/f%d", i);
		assert_int_equal(rd_open(t, RD_ROOT, path, O_WRONLY | O_CREAT, 0644, &fh), 0);
		assert_int_equal(rd_close(t, fh), 0);
	}
	s0 = ta_stats(t);
	assert_int_equal(s0.nodes, 8);
	assert_int_equal(rd_open(t, RD_ROOT, "/new", O_WRONLY | O_CREAT, 0644, &fh), -ENOSPC);
	assert_int_equal(rd_stat(t, RD_ROOT, "/new", &st, 0), -ENOENT);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/dir", 0755), -ENOSPC);
	assert_int_equal(rd_stat(t, RD_ROOT, "/dir", &st, 0), -ENOENT);
	assert_int_equal(rd_symlink(t, "f1", RD_ROOT, "/sym"), -ENOSPC);
	assert_int_equal(rd_stat(t, RD_ROOT, "/sym", &st, AT_SYMLINK_NOFOLLOW), -ENOENT);
	assert_int_equal(rd_mknod(t, RD_ROOT, "/nod", S_IFREG | 0644), -ENOSPC);
	assert_int_equal(rd_open(t, RD_ROOT, "/", O_TMPFILE | O_RDWR, 0600, &fh), -ENOSPC);
	assert_int_equal(ta_stats(t).nodes, 8);
	assert_int_equal(ta_stats(t).bytes_used, s0.bytes_used);
	assert_true(ta_stats(t).quota_refusals >= s0.quota_refusals + 5);

	/* Existing names still open and rename without a new node. */
	assert_int_equal(rd_open(t, RD_ROOT, "/f1", O_WRONLY | O_CREAT, 0644, &fh), 0);
	assert_int_equal(rd_close(t, fh), 0);
	assert_int_equal(rd_rename(t, RD_ROOT, "/f1", RD_ROOT, "/f2", 0), 0);
	assert_int_equal(ta_stats(t).nodes, 7);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/dir", 0755), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/dir2", 0755), -ENOSPC);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/f3", 0), 0);
	assert_int_equal(rd_open(t, RD_ROOT, "/new", O_WRONLY | O_CREAT, 0644, &fh), 0);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

static void test_holes_cost_nothing(void **state)
{
	static char buf[4096];
	rd_tree *t = tu_tree(16 * MiB, 0);
	uint64_t before;
	struct stat st;
	rd_fh f;

	(void)state;
	assert_int_equal(rd_open(t, RD_ROOT, "/h", O_RDWR | O_CREAT, 0644, &f), 0);
	before = tu_used(t);
	assert_int_equal(rd_ftruncate(t, f, 1 * GiB), 0);
	assert_int_equal(rd_fstat(t, f, &st), 0);
	assert_int_equal(st.st_size, 1 * GiB);
	assert_int_equal(st.st_blocks, 0);
	assert_int_equal(tu_used(t), before);
	memset(buf, 1, sizeof buf);
	assert_int_equal(rd_pread(t, f, buf, sizeof buf, 512 * MiB), (ssize_t)sizeof buf);
	for (size_t i = 0; i < sizeof buf; i++)
		assert_int_equal(buf[i], 0);

	/* One byte in the middle costs one page of data. */
	assert_int_equal(rd_pwrite(t, f, "z", 1, 512 * MiB + 10), 1);
	assert_int_equal(rd_fstat(t, f, &st), 0);
	assert_int_equal(st.st_size, 1 * GiB);
	assert_int_equal(st.st_blocks, 8);
	assert_int_equal(ta_stats(t).data_bytes, 4096);
	assert_int_equal(rd_lseek(t, f, 0, SEEK_DATA), 512 * MiB);
	assert_int_equal(rd_lseek(t, f, 512 * MiB, SEEK_HOLE), 512 * MiB + 4096);
	/* Punching it out gives the page back. */
	assert_int_equal(rd_fallocate(t, f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				      512 * MiB, 4096), 0);
	assert_int_equal(rd_fstat(t, f, &st), 0);
	assert_int_equal(st.st_blocks, 0);
	assert_int_equal(ta_stats(t).data_bytes, 0);
	assert_int_equal(rd_close(t, f), 0);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/h", 0), 0);
	assert_int_equal(tu_used(t), ta_stats(t).bytes_baseline);
	tu_done(t);
}

static void test_freed_space_is_reusable(void **state)
{
	static char mb[1 * MiB];
	rd_tree *t = tu_tree(4 * MiB, 0);
	uint64_t baseline = ta_stats(t).bytes_baseline, first = 0, got;
	rd_fh c;

	(void)state;
	assert_int_equal(tu_used(t), baseline);
	for (int round = 0; round < 3; round++) {
		got = ta_fill(t, round & 1 ? "/b" : "/a");
		assert_true(got > 3 * MiB);
		assert_true(tu_used(t) <= 4 * MiB);
		if (round == 0)
			first = got;
		assert_int_equal(got, first);
		assert_int_equal(rd_unlink(t, RD_ROOT, round & 1 ? "/b" : "/a", 0), 0);
		assert_int_equal(tu_used(t), baseline);
	}

	/* Shrinking frees at once too. */
	memset(mb, 'm', sizeof mb);
	assert_int_equal(tu_put(t, "/s", mb, sizeof mb), 0);
	assert_int_equal(rd_truncate(t, RD_ROOT, "/s", 4096), 0);
	assert_int_equal(ta_stats(t).data_bytes, 4096);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/s", 0), 0);

	/* An unlinked file keeps its space until the last close. */
	assert_int_equal(rd_open(t, RD_ROOT, "/c", O_RDWR | O_CREAT, 0644, &c), 0);
	assert_int_equal(rd_write(t, c, mb, sizeof mb), (ssize_t)sizeof mb);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/c", 0), 0);
	assert_true(tu_used(t) >= baseline + 1 * MiB);
	assert_int_equal(ta_stats(t).data_bytes, 1 * MiB);
	assert_int_equal(rd_close(t, c), 0);
	assert_int_equal(tu_used(t), baseline);
	assert_int_equal(ta_fill(t, "/a"), first);
	tu_done(t);
}

/* ------------------------------------------------------------------------
 * Every page allocation an operation makes may be the refused one. For each
 * operation kind, at fill levels that move every slab class across page
 * boundaries, fail its 1st, 2nd, ... page allocation until it succeeds;
 * each failure must be -ENOSPC and leave no trace. */

/* Order matters: the slot a rename frees is taken by the next dirent, so
 * the kind after SW_RENAME would never meet a fresh page. */
enum { SW_MKDIR, SW_CREATE, SW_LINK, SW_SYMLINK, SW_WRITE, SW_RENAME, SW_TMPFILE, SW_KINDS };
#define SW_ROUNDS 1400

static const char *const sw_kind_name[SW_KINDS] = {
	"mkdir", "create", "link", "symlink", "write", "rename", "tmpfile"
};

static const char sw_pad[] =
	"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"
	"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"
	"0123456789abcdefghijklmnopqrstuvwxyz";

/* The name the operation creates, and for rename the one it removes. */
static void sw_names(int kind, int i, char *made, char *gone, size_t cap)
{
	static const char prefix[SW_KINDS] = { 'm', 'c', 'l', 's', 'w', 'r', 't' };

	/* Long names: few dirents per slab page, so boundaries come often. */
	snprintf(made, cap, "/%c%d_%.150s", prefix[kind], i, sw_pad);
	snprintf(gone, cap, "/c%d_%.150s", i - (SW_RENAME - SW_CREATE), sw_pad);
}

static int sw_op(rd_tree *t, int kind, int i)
{
	static char data[6000], target[200];
	char made[256], gone[256];
	ssize_t n;
	rd_fh fh;
	int rc;

	memset(data, 'd', sizeof data);
	memset(target, 'x', sizeof target - 1); /* long: kept in a page */
	sw_names(kind, i, made, gone, sizeof made);
	switch (kind) {
	case SW_MKDIR:
		return rd_mkdir(t, RD_ROOT, made, 0755);
	case SW_CREATE:
		rc = rd_open(t, RD_ROOT, made, O_WRONLY | O_CREAT | O_EXCL, 0644, &fh);
		if (rc == 0)
			rd_close(t, fh);
		return rc;
	case SW_SYMLINK:
		return rd_symlink(t, target, RD_ROOT, made);
	case SW_WRITE:
		rc = rd_open(t, RD_ROOT, "/w", O_WRONLY, 0, &fh);
		if (rc < 0)
			return rc;
		n = rd_pwrite(t, fh, data, sizeof data, (off_t)i * 3000);
		rd_close(t, fh);
		return n < 0 ? (int)n : 0;
	case SW_RENAME:
		return rd_rename(t, RD_ROOT, gone, RD_ROOT, made, 0);
	case SW_LINK:
		return rd_link(t, RD_ROOT, "/w", RD_ROOT, made, 0);
	case SW_TMPFILE:
		rc = rd_open(t, RD_ROOT, "/", O_TMPFILE | O_RDWR, 0600, &fh);
		if (rc < 0)
			return rc;
		n = rd_write(t, fh, data, sizeof data);
		rd_close(t, fh);
		return n < 0 ? (int)n : 0;
	}
	return -EINVAL;
}

/* Grow one tree with every kind of operation; inject failures into `kind`
 * only, so each kind is a test of its own. */
static void sw_run(int kind)
{
	rd_tree *t = tu_tree(64 * MiB, 0);
	char made[256], gone[256], when[96];
	struct stat st, w0, w1;
	uint64_t failures = 0;

	assert_int_equal(tu_put(t, "/w", "w", 1), 0);
	for (int i = 0; i < SW_ROUNDS; i++) {
		int k = i % SW_KINDS, n, rc;

		if (k != kind) {
			assert_int_equal(sw_op(t, k, i), 0);
			continue;
		}
		sw_names(kind, i, made, gone, sizeof made);
		for (n = 1; n < 64; n++) {
			struct rd_stats s0 = ta_stats(t), s1;

			assert_int_equal(rd_stat(t, RD_ROOT, "/w", &w0, 0), 0);
			rd_test_fail_alloc_after((uint64_t)n);
			rc = sw_op(t, kind, i);
			rd_test_fail_alloc_after(0);
			if (rc == 0)
				break;
			snprintf(when, sizeof when, "round %d: %s failing allocation %d", i,
				 sw_kind_name[kind], n);
			if (rc != -ENOSPC)
				print_error("%s returned %d\n", when, rc);
			assert_int_equal(rc, -ENOSPC);
			failures++;
			s1 = ta_stats(t);
			if (s1.nodes != s0.nodes || s1.bytes_used != s0.bytes_used ||
			    s1.data_bytes != s0.data_bytes || s1.open_files != 0)
				print_error("%s: nodes %llu->%llu used %llu->%llu data %llu->%llu open %llu\n",
					    when, (unsigned long long)s0.nodes, (unsigned long long)s1.nodes,
					    (unsigned long long)s0.bytes_used, (unsigned long long)s1.bytes_used,
					    (unsigned long long)s0.data_bytes, (unsigned long long)s1.data_bytes,
					    (unsigned long long)s1.open_files);
			assert_int_equal(s1.nodes, s0.nodes);
			assert_int_equal(s1.bytes_used, s0.bytes_used);
			assert_int_equal(s1.data_bytes, s0.data_bytes);
			assert_int_equal(s1.open_files, 0);
			if (kind != SW_WRITE)
				assert_int_equal(rd_stat(t, RD_ROOT, made, &st, AT_SYMLINK_NOFOLLOW),
						 -ENOENT);
			if (kind == SW_RENAME)
				assert_int_equal(rd_stat(t, RD_ROOT, gone, &st, 0), 0);
			assert_int_equal(rd_stat(t, RD_ROOT, "/w", &w1, 0), 0);
			assert_int_equal(w1.st_size, w0.st_size);
			assert_int_equal(w1.st_blocks, w0.st_blocks);
			assert_int_equal(w1.st_nlink, w0.st_nlink);
			ta_check(t, when);
		}
		assert_int_equal(rc, 0);
	}
	print_message("%s: %llu injected allocation failures\n", sw_kind_name[kind],
		      (unsigned long long)failures);
	/* Symlinks, writes and anonymous files always need a page. */
	if (kind == SW_SYMLINK || kind == SW_WRITE || kind == SW_TMPFILE)
		assert_true(failures >= SW_ROUNDS / SW_KINDS);
	else
		assert_true(failures > 0); /* slab page boundaries were crossed */
	tu_done(t);
}

#define SW_TEST(kind)                                   \
	static void test_alloc_failure_##kind(void **state) \
	{                                               \
		(void)state;                            \
		sw_run(kind);                           \
	}
SW_TEST(SW_MKDIR)
SW_TEST(SW_CREATE)
SW_TEST(SW_SYMLINK)
SW_TEST(SW_WRITE)
SW_TEST(SW_RENAME)
SW_TEST(SW_LINK)
SW_TEST(SW_TMPFILE)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_failure_SW_MKDIR),
		cmocka_unit_test(test_alloc_failure_SW_CREATE),
		cmocka_unit_test(test_alloc_failure_SW_SYMLINK),
		cmocka_unit_test(test_alloc_failure_SW_WRITE),
		cmocka_unit_test(test_alloc_failure_SW_RENAME),
		cmocka_unit_test(test_alloc_failure_SW_LINK),
		cmocka_unit_test(test_alloc_failure_SW_TMPFILE),
		cmocka_unit_test(test_enospc_write_changes_nothing),
		cmocka_unit_test(test_truncate_extend_at_full_quota),
		cmocka_unit_test(test_node_limit),
		cmocka_unit_test(test_holes_cost_nothing),
		cmocka_unit_test(test_freed_space_is_reusable),
		cmocka_unit_test(test_random_sequences),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

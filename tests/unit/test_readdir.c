/* Directory listing with rd_getdents: getdents64(2) records, "." and ".."
 * first, d_type and d_ino, small buffers, resuming from a saved d_off, and
 * listings that stay exact while the directory changes between chunks. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The getdents64(2) record, as the kernel lays it out. */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};

#define REC(buf, off) ((struct linux_dirent64 *)((char *)(buf) + (off)))

static void mkfile(rd_tree *t, const char *path)
{
	assert_int_equal(tu_put(t, path, "", 0), 0);
}

static ino_t ino_of(rd_tree *t, const char *path)
{
	struct stat st;

	assert_int_equal(rd_stat(t, RD_ROOT, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st.st_ino;
}

static rd_fh opendir_(rd_tree *t, const char *path)
{
	rd_fh fh;

	assert_int_equal(rd_open(t, RD_ROOT, path, O_RDONLY | O_DIRECTORY, 0, &fh), 0);
	return fh;
}

/* A record must be laid out as getdents64 does: 8-byte aligned length
 * holding the header, the name and its NUL. */
static void check_record(const struct linux_dirent64 *d)
{
	size_t need = offsetof(struct linux_dirent64, d_name) + strlen(d->d_name) + 1;

	assert_int_equal(d->d_reclen % 8, 0);
	assert_true(d->d_reclen >= need);
	assert_true(d->d_reclen < need + 8);
	assert_int_not_equal(d->d_ino, 0);
}

static void test_basic(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	uint64_t buf[512];
	int dot = 0, dotdot = 0, sub = 0, f = 0, l = 0, n_rec = 0;
	ssize_t n, off;
	rd_fh fh;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0777), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d/sub", 0777), 0);
	mkfile(t, "/d/f");
	assert_int_equal(rd_symlink(t, "x", RD_ROOT, "/d/l"), 0);
	fh = opendir_(t, "/d");

	n = rd_getdents(t, fh, buf, sizeof buf);
	assert_true(n > 0);
	assert_string_equal(REC(buf, 0)->d_name, ".");
	assert_string_equal(REC(buf, REC(buf, 0)->d_reclen)->d_name, "..");
	for (off = 0; off < n; off += REC(buf, off)->d_reclen) {
		struct linux_dirent64 *d = REC(buf, off);

		check_record(d);
		n_rec++;
		if (!strcmp(d->d_name, ".")) {
			dot++;
			assert_int_equal(d->d_type, DT_DIR);
			assert_int_equal(d->d_ino, ino_of(t, "/d"));
		} else if (!strcmp(d->d_name, "..")) {
			dotdot++;
			assert_int_equal(d->d_type, DT_DIR);
			assert_int_equal(d->d_ino, ino_of(t, "/"));
		} else if (!strcmp(d->d_name, "sub")) {
			sub++;
			assert_int_equal(d->d_type, DT_DIR);
			assert_int_equal(d->d_ino, ino_of(t, "/d/sub"));
		} else if (!strcmp(d->d_name, "f")) {
			f++;
			assert_int_equal(d->d_type, DT_REG);
			assert_int_equal(d->d_ino, ino_of(t, "/d/f"));
		} else if (!strcmp(d->d_name, "l")) {
			l++;
			assert_int_equal(d->d_type, DT_LNK);
			assert_int_equal(d->d_ino, ino_of(t, "/d/l"));
		} else {
			fail_msg("unexpected entry %s", d->d_name);
		}
	}
	assert_int_equal(off, n);
	assert_int_equal(n_rec, 5);
	assert_true(dot == 1 && dotdot == 1 && sub == 1 && f == 1 && l == 1);
	/* the end stays the end */
	assert_int_equal(rd_getdents(t, fh, buf, sizeof buf), 0);
	assert_int_equal(rd_getdents(t, fh, buf, sizeof buf), 0);
	assert_int_equal(rd_close(t, fh), 0);

	/* ".." of a subdirectory is its parent; an empty one has only two */
	fh = opendir_(t, "/d/sub");
	n = rd_getdents(t, fh, buf, sizeof buf);
	assert_int_equal(n, 48);
	assert_string_equal(REC(buf, 0)->d_name, ".");
	assert_int_equal(REC(buf, 0)->d_ino, ino_of(t, "/d/sub"));
	assert_string_equal(REC(buf, 24)->d_name, "..");
	assert_int_equal(REC(buf, 24)->d_ino, ino_of(t, "/d"));
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

static void test_small_buffers(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	char name[300];
	uint64_t buf[64];
	int seen[3] = { 0, 0, 0 };
	ssize_t n;
	rd_fh fh;
	int i;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0777), 0);
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "/d/e%d", i);
		mkfile(t, name);
	}
	fh = opendir_(t, "/d");
	/* "." needs 24 bytes: 19 of header, 2 of name, padded to 8 */
	assert_int_equal(rd_getdents(t, fh, buf, 23), -EINVAL);
	assert_int_equal(rd_getdents(t, fh, buf, 24), 24);
	assert_string_equal(REC(buf, 0)->d_name, ".");
	/* one record at a time when only one fits */
	assert_int_equal(rd_getdents(t, fh, buf, 47), 24);
	assert_string_equal(REC(buf, 0)->d_name, "..");
	for (i = 0; i < 3; i++) {
		assert_int_equal(rd_getdents(t, fh, buf, 24), 24);
		assert_memory_equal(REC(buf, 0)->d_name, "e", 1);
		seen[REC(buf, 0)->d_name[1] - '0']++;
	}
	assert_int_equal(rd_getdents(t, fh, buf, 24), 0);
	assert_true(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
	assert_int_equal(rd_close(t, fh), 0);

	/* a long name: the small buffer is refused without losing the entry */
	memcpy(name, "/d/", 3);
	memset(name + 3, 'n', 255);
	name[258] = '\0';
	assert_int_equal(rd_unlink(t, RD_ROOT, "/d/e0", 0), 0);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/d/e1", 0), 0);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/d/e2", 0), 0);
	mkfile(t, name);
	fh = opendir_(t, "/d");
	assert_int_equal(rd_getdents(t, fh, buf, 48), 48);
	assert_int_equal(rd_getdents(t, fh, buf, 100), -EINVAL);
	n = rd_getdents(t, fh, buf, sizeof buf);
	assert_int_equal(n, 280);
	check_record(REC(buf, 0));
	assert_string_equal(REC(buf, 0)->d_name, name + 3);
	assert_int_equal(rd_getdents(t, fh, buf, sizeof buf), 0);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

struct rec {
	char name[16];
	int64_t off;
};

static void test_seek(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	struct rec recs[40];
	uint64_t buf[1024];
	char path[32];
	int nrec = 0, k, i;
	ssize_t n, off, one;
	rd_fh fh;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0777), 0);
	for (i = 0; i < 30; i++) {
		snprintf(path, sizeof path, "/d/file%d", i);
		mkfile(t, path);
	}
	fh = opendir_(t, "/d");
	n = rd_getdents(t, fh, buf, sizeof buf);
	for (off = 0; off < n; off += REC(buf, off)->d_reclen) {
		assert_true(nrec < 40);
		snprintf(recs[nrec].name, sizeof recs[nrec].name, "%s", REC(buf, off)->d_name);
		recs[nrec++].off = REC(buf, off)->d_off;
	}
	assert_int_equal(nrec, 32);
	assert_int_equal(rd_getdents(t, fh, buf, sizeof buf), 0);
	/* the position is the d_off of the last record returned */
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_CUR), recs[nrec - 1].off);

	/* seekdir(telldir()): each saved d_off resumes right after its record */
	for (k = nrec - 2; k >= 0; k--) {
		assert_int_equal(rd_lseek(t, fh, recs[k].off, SEEK_SET), recs[k].off);
		one = rd_getdents(t, fh, buf, 40);
		assert_int_equal(one, REC(buf, 0)->d_reclen);
		assert_string_equal(REC(buf, 0)->d_name, recs[k + 1].name);
		assert_int_equal(REC(buf, 0)->d_off, recs[k + 1].off);
	}
	assert_int_equal(rd_lseek(t, fh, recs[nrec - 1].off, SEEK_SET), recs[nrec - 1].off);
	assert_int_equal(rd_getdents(t, fh, buf, sizeof buf), 0);
	/* rewinddir */
	assert_int_equal(rd_lseek(t, fh, 0, SEEK_SET), 0);
	assert_int_equal(rd_getdents(t, fh, buf, sizeof buf), n);
	assert_string_equal(REC(buf, 0)->d_name, ".");

	/* a saved position stays valid when other entries come and go */
	assert_int_equal(rd_unlink(t, RD_ROOT, "/d/file0", 0), 0);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/d/file29", 0), 0);
	mkfile(t, "/d/later");
	for (k = 2; k < nrec - 1; k++) {
		if (!strcmp(recs[k + 1].name, "file0") || !strcmp(recs[k + 1].name, "file29"))
			continue;
		assert_int_equal(rd_lseek(t, fh, recs[k].off, SEEK_SET), recs[k].off);
		one = rd_getdents(t, fh, buf, 40);
		assert_int_equal(one, REC(buf, 0)->d_reclen);
		assert_string_equal(REC(buf, 0)->d_name, recs[k + 1].name);
	}

	assert_int_equal(rd_lseek(t, fh, 0, SEEK_END), -EINVAL);
	assert_int_equal(rd_lseek(t, fh, -1, SEEK_SET), -EINVAL);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

/* A zero-length buffer cannot hold any record either. */
static void test_zero_length(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	uint64_t buf[8];
	rd_fh fh = opendir_(t, "/");

	(void)state;
	assert_int_equal(rd_getdents(t, fh, buf, 0), -EINVAL);
	/* and consumed nothing */
	assert_int_equal(rd_getdents(t, fh, buf, 24), 24);
	assert_string_equal(REC(buf, 0)->d_name, ".");
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

static void test_not_a_listing(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	uint64_t buf[64];
	struct stat st;
	rd_fh fh;

	(void)state;
	mkfile(t, "/f");
	assert_int_equal(rd_open(t, RD_ROOT, "/f", O_RDONLY, 0, &fh), 0);
	assert_int_equal(rd_getdents(t, fh, buf, sizeof buf), -ENOTDIR);
	assert_int_equal(rd_close(t, fh), 0);

	/* a removed directory lists nothing: ENOENT, as on Linux */
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/gone", 0777), 0);
	fh = opendir_(t, "/gone");
	assert_int_equal(rd_unlink(t, RD_ROOT, "/gone", AT_REMOVEDIR), 0);
	assert_int_equal(rd_getdents(t, fh, buf, sizeof buf), -ENOENT);
	assert_int_equal(rd_fstat(t, fh, &st), 0);
	assert_int_equal(st.st_nlink, 0);
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

/* Read the whole directory in chunks of `chunk` bytes, counting in seen[]
 * each name "eN"; between chunks call step(). Returns the "."/".." count. */
typedef void (*step_fn)(rd_tree *t, struct linux_dirent64 *last, void *ctx);

static int list_all(rd_tree *t, const char *dir, size_t chunk, int *seen, int max,
		    step_fn step, void *ctx)
{
	uint64_t buf[4096];
	ssize_t n, off;
	int dots = 0, chunks = 0;
	rd_fh fh = opendir_(t, dir);

	assert_true(chunk <= sizeof buf);
	while ((n = rd_getdents(t, fh, buf, chunk)) > 0) {
		struct linux_dirent64 *d = NULL;

		if (++chunks > 2 * max)
			fail_msg("listing does not end");

		for (off = 0; off < n; off += d->d_reclen) {
			int k;

			d = REC(buf, off);
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..")) {
				dots++;
				continue;
			}
			assert_int_equal(d->d_name[0], 'e');
			k = atoi(d->d_name + 1);
			if (k < 0 || k >= max)
				fail_msg("unexpected entry %s", d->d_name);
			seen[k]++;
		}
		if (step)
			step(t, d, ctx);
	}
	assert_int_equal(n, 0);
	assert_int_equal(rd_close(t, fh), 0);
	return dots;
}

struct churn {
	const char *dir;
	int next;       /* next new entry number */
	int maxnew;     /* first number not to create */
	int *removed;   /* removed[k]: original k was removed during the listing */
	int norig;
	unsigned rng;
};

/* Between chunks: three new entries and two removals of random originals,
 * whether already listed or not. */
static void churn_step(rd_tree *t, struct linux_dirent64 *last, void *ctx)
{
	struct churn *c = ctx;
	char path[64];
	int i;

	(void)last;
	/* bounded, so that a listing that returns new entries still ends */
	for (i = 0; i < 3 && c->next < c->maxnew; i++) {
		snprintf(path, sizeof path, "%s/e%d", c->dir, c->next++);
		mkfile(t, path);
	}
	for (i = 0; i < 2; i++) {
		int k;

		c->rng = c->rng * 1103515245u + 12345u;
		k = (int)((c->rng >> 8) % (unsigned)c->norig);
		if (c->removed[k])
			continue;
		c->removed[k] = 1;
		snprintf(path, sizeof path, "%s/e%d", c->dir, k);
		assert_int_equal(rd_unlink(t, RD_ROOT, path, 0), 0);
	}
}

static void test_stable_under_churn(void **state)
{
	enum { NORIG = 2000, MAXN = 4000 };
	rd_tree *t = tu_tree(0, 0);
	static int seen[MAXN], removed[NORIG];
	struct churn c = { "/d", NORIG, NORIG + 600, removed, NORIG, 7 };
	char path[64];
	int k, kept = 0;

	(void)state;
	memset(seen, 0, sizeof seen);
	memset(removed, 0, sizeof removed);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0777), 0);
	for (k = 0; k < NORIG; k++) {
		snprintf(path, sizeof path, "/d/e%d", k);
		mkfile(t, path);
	}
	assert_int_equal(list_all(t, "/d", 512, seen, MAXN, churn_step, &c), 2);
	assert_true(c.next < MAXN);
	for (k = 0; k < NORIG; k++) {
		if (removed[k]) {
			assert_true(seen[k] <= 1);
		} else {
			if (seen[k] != 1)
				fail_msg("e%d, present throughout, listed %d times", k, seen[k]);
			kept++;
		}
	}
	for (k = NORIG; k < c.next; k++)
		assert_true(seen[k] <= 1);
	assert_true(kept > NORIG / 2);
	tu_done(t);
}

/* rm -rf style: every entry of a chunk is removed before the next chunk. */
static void test_remove_while_listing(void **state)
{
	enum { N = 1500 };
	rd_tree *t = tu_tree(0, 0);
	static int seen[N];
	uint64_t buf[64];
	char path[64];
	ssize_t n, off;
	int k, total = 0;
	rd_fh fh;

	(void)state;
	memset(seen, 0, sizeof seen);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0777), 0);
	for (k = 0; k < N; k++) {
		snprintf(path, sizeof path, "/d/e%d", k);
		mkfile(t, path);
	}
	fh = opendir_(t, "/d");
	while ((n = rd_getdents(t, fh, buf, sizeof buf)) > 0) {
		for (off = 0; off < n; off += REC(buf, off)->d_reclen) {
			const char *name = REC(buf, off)->d_name;

			if (name[0] == '.')
				continue;
			k = atoi(name + 1);
			assert_true(k >= 0 && k < N);
			seen[k]++;
			total++;
			snprintf(path, sizeof path, "/d/%s", name);
			assert_int_equal(rd_unlink(t, RD_ROOT, path, 0), 0);
		}
	}
	assert_int_equal(n, 0);
	assert_int_equal(total, N);
	for (k = 0; k < N; k++)
		assert_int_equal(seen[k], 1);
	assert_int_equal(rd_close(t, fh), 0);
	assert_int_equal(rd_unlink(t, RD_ROOT, "/d", AT_REMOVEDIR), 0);
	tu_done(t);
}

/* Newest first, as tmpfs on Linux 6.14 and later (checked on 6.18): create
 * a, b, c and the listing is c, b, a; an entry created during a listing is
 * not returned by it, so a reader that creates as it reads still ends. */
static void test_newest_first(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	char buf[4096], names[8][8];
	int n = 0, created = 0;
	ssize_t got;
	rd_fh fh;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0755), 0);
	mkfile(t, "/d/a");
	mkfile(t, "/d/b");
	mkfile(t, "/d/c");
	fh = opendir_(t, "/d");
	/* One record at a time (32 bytes holds exactly one short name). */
	while ((got = rd_getdents(t, fh, buf, 32)) > 0) {
		struct linux_dirent64 *d = REC(buf, 0);

		assert_int_equal(got, d->d_reclen);
		assert_true(n < 8);
		assert_true(snprintf(names[n++], sizeof names[0], "%s", d->d_name) < (int)sizeof names[0]);
		/* create while listing, once past "." and ".." (before that the
		 * listing has not started on the entries, here as on tmpfs) */
		if (n > 2 && created < 3) {
			char p[32];

			snprintf(p, sizeof p, "/d/new%d", created++);
			mkfile(t, p);
		}
	}
	assert_int_equal(got, 0);
	assert_int_equal(n, 5);
	assert_string_equal(names[0], ".");
	assert_string_equal(names[1], "..");
	assert_string_equal(names[2], "c");
	assert_string_equal(names[3], "b");
	assert_string_equal(names[4], "a");
	assert_int_equal(rd_close(t, fh), 0);
	tu_done(t);
}

static void test_hundred_thousand(void **state)
{
	enum { N = 100000 };
	rd_tree *t = tu_tree(1ull << 30, 0);
	static int seen[N];
	struct stat st;
	char path[64];
	int k;

	(void)state;
	memset(seen, 0, sizeof seen);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/big", 0777), 0);
	for (k = 0; k < N; k++) {
		snprintf(path, sizeof path, "/big/e%d", k);
		assert_int_equal(rd_mknod(t, RD_ROOT, path, S_IFREG | 0644), 0);
	}
	assert_int_equal(rd_stat(t, RD_ROOT, "/big", &st, 0), 0);
	assert_int_equal(st.st_size, 40 + 20 * (off_t)N);
	assert_int_equal(list_all(t, "/big", 32768, seen, N, NULL, NULL), 2);
	for (k = 0; k < N; k++) {
		if (seen[k] != 1)
			fail_msg("e%d listed %d times", k, seen[k]);
	}
	/* and once more in small chunks */
	memset(seen, 0, sizeof seen);
	assert_int_equal(list_all(t, "/big", 200, seen, N, NULL, NULL), 2);
	for (k = 0; k < N; k++) {
		if (seen[k] != 1)
			fail_msg("e%d listed %d times in small chunks", k, seen[k]);
	}
	tu_done(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_small_buffers),
		cmocka_unit_test(test_seek),
		cmocka_unit_test(test_zero_length),
		cmocka_unit_test(test_not_a_listing),
		cmocka_unit_test(test_stable_under_churn),
		cmocka_unit_test(test_remove_while_listing),
		cmocka_unit_test(test_newest_first),
		cmocka_unit_test(test_hundred_thousand),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

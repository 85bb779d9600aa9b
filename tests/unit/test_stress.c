/*
 * Concurrency stress: many threads on one tree, then several processes on
 * one shared arena at the quota boundary. Every byte written is checked
 * against a model, and the tree must stay consistent.
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Helpers. */

struct st_dirent {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static uint32_t st_rand(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* Call fn on every entry of dir (not "." and ".."). -errno or 0. */
static int st_each_entry(rd_tree *t, const char *dir,
			 int (*fn)(rd_tree *, const char *dir, const struct st_dirent *, void *),
			 void *arg)
{
	char buf[4096];
	ssize_t n;
	rd_fh fh;
	int rc = rd_open(t, RD_ROOT, dir, O_RDONLY | O_DIRECTORY, 0, &fh);

	if (rc < 0)
		return rc;
	while (rc == 0 && (n = rd_getdents(t, fh, buf, sizeof buf)) > 0) {
		for (ssize_t off = 0; rc == 0 && off < n;) {
			const struct st_dirent *d = (const struct st_dirent *)(buf + off);

			off += d->d_reclen;
			if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
				rc = fn(t, dir, d, arg);
		}
		if (n < 0)
			rc = (int)n;
	}
	rd_close(t, fh);
	return rc;
}

/* Whole content of path into buf (cap bytes); length or -errno. */
static ssize_t st_slurp(rd_tree *t, const char *path, unsigned char *buf, size_t cap)
{
	ssize_t n, len = 0;
	rd_fh fh;
	int rc = rd_open(t, RD_ROOT, path, O_RDONLY, 0, &fh);

	if (rc < 0)
		return rc;
	while ((size_t)len < cap && (n = rd_read(t, fh, buf + len, cap - (size_t)len)) > 0)
		len += n;
	rd_close(t, fh);
	return len;
}

/* ------------------------------------------------------------------------
 * Threads. Each thread owns ST_SLOTS names, spread over ST_DIRS shared
 * directories so the threads contend on the same directories and the same
 * allocator, and keeps the exact expected content of each. */

#define ST_THREADS 50
#define ST_ITERS 1000
#define ST_SLOTS 8
#define ST_DIRS 5
#define ST_CAP (16 * 1024)

struct st_slot {
	int present;
	size_t len;
	unsigned char data[ST_CAP];
};

struct st_thread {
	pthread_t th;
	rd_tree *t;
	int id;
	uint32_t rng;
	int failed;
	char err[256];
	struct st_slot slot[ST_SLOTS];
};

static void st_path(char *buf, size_t cap, int id, int s)
{
	snprintf(buf, cap, "/g%d/t%d_s%d", (id + s) % ST_DIRS, id, s);
}

static void st_fill(unsigned char *p, size_t len, int id, int iter, size_t from)
{
	for (size_t i = 0; i < len; i++) {
		size_t k = from + i;

		p[i] = (unsigned char)(id * 131 + iter * 31 + k * 7 + (k >> 8));
	}
}

#define ST_FAIL(th, ...)                                                   \
	do {                                                               \
		if (!(th)->failed)                                         \
			snprintf((th)->err, sizeof (th)->err, __VA_ARGS__); \
		(th)->failed = 1;                                          \
		return;                                                    \
	} while (0)

static void st_verify(struct st_thread *th, int s, int iter)
{
	static __thread unsigned char buf[ST_CAP + 1];
	struct st_slot *sl = &th->slot[s];
	char path[64];
	ssize_t n;

	st_path(path, sizeof path, th->id, s);
	n = st_slurp(th->t, path, buf, sizeof buf);
	if (!sl->present) {
		if (n != -ENOENT)
			ST_FAIL(th, "iter %d %s: absent but read gave %zd", iter, path, n);
		return;
	}
	if (n != (ssize_t)sl->len)
		ST_FAIL(th, "iter %d %s: %zd bytes, want %zu", iter, path, n, sl->len);
	if (memcmp(buf, sl->data, sl->len))
		ST_FAIL(th, "iter %d %s: content differs", iter, path);
}

static void st_iteration(struct st_thread *th, int iter)
{
	static __thread unsigned char buf[ST_CAP];
	int s = (int)(st_rand(&th->rng) % ST_SLOTS), d;
	struct st_slot *sl = &th->slot[s], *dl;
	char path[64], dpath[64];
	size_t len, off;
	ssize_t n;
	rd_fh fh;
	int rc;

	st_path(path, sizeof path, th->id, s);
	switch (st_rand(&th->rng) % 10) {
	case 0: case 1: case 2: case 3: case 4: /* replace */
		len = st_rand(&th->rng) % 8193;
		st_fill(buf, len, th->id, iter, 0);
		rc = rd_open(th->t, RD_ROOT, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, &fh);
		if (rc < 0)
			ST_FAIL(th, "iter %d open %s: %d", iter, path, rc);
		n = rd_write(th->t, fh, buf, len);
		rd_close(th->t, fh);
		if (n != (ssize_t)len)
			ST_FAIL(th, "iter %d write %s: %zd of %zu", iter, path, n, len);
		memcpy(sl->data, buf, len);
		sl->len = len;
		sl->present = 1;
		break;
	case 5: /* append */
		len = st_rand(&th->rng) % 4096 + 1;
		if (sl->len + len > ST_CAP)
			break;
		st_fill(buf, len, th->id, iter, sl->present ? sl->len : 0);
		rc = rd_open(th->t, RD_ROOT, path, O_WRONLY | O_CREAT | O_APPEND, 0644, &fh);
		if (rc < 0)
			ST_FAIL(th, "iter %d open %s: %d", iter, path, rc);
		n = rd_write(th->t, fh, buf, len);
		rd_close(th->t, fh);
		if (n != (ssize_t)len)
			ST_FAIL(th, "iter %d append %s: %zd of %zu", iter, path, n, len);
		if (!sl->present)
			sl->len = 0;
		memcpy(sl->data + sl->len, buf, len);
		sl->len += len;
		sl->present = 1;
		break;
	case 6: /* overwrite inside */
		if (!sl->present || sl->len == 0)
			break;
		off = st_rand(&th->rng) % sl->len;
		len = st_rand(&th->rng) % (sl->len - off) + 1;
		st_fill(buf, len, th->id, iter, off);
		rc = rd_open(th->t, RD_ROOT, path, O_RDWR, 0, &fh);
		if (rc < 0)
			ST_FAIL(th, "iter %d open %s: %d", iter, path, rc);
		n = rd_pwrite(th->t, fh, buf, len, (off_t)off);
		rd_close(th->t, fh);
		if (n != (ssize_t)len)
			ST_FAIL(th, "iter %d pwrite %s: %zd of %zu", iter, path, n, len);
		memcpy(sl->data + off, buf, len);
		break;
	case 7: /* unlink */
		rc = rd_unlink(th->t, RD_ROOT, path, 0);
		if (rc != (sl->present ? 0 : -ENOENT))
			ST_FAIL(th, "iter %d unlink %s: %d", iter, path, rc);
		sl->present = 0;
		sl->len = 0;
		break;
	case 8: /* rename onto another of our names, often across directories */
		d = (int)(st_rand(&th->rng) % ST_SLOTS);
		if (d == s)
			break;
		dl = &th->slot[d];
		st_path(dpath, sizeof dpath, th->id, d);
		rc = rd_rename(th->t, RD_ROOT, path, RD_ROOT, dpath, 0);
		if (rc != (sl->present ? 0 : -ENOENT))
			ST_FAIL(th, "iter %d rename %s: %d", iter, path, rc);
		if (sl->present) {
			memcpy(dl->data, sl->data, sl->len);
			dl->len = sl->len;
			dl->present = 1;
			sl->present = 0;
			sl->len = 0;
		}
		break;
	case 9:
		break;
	}
	st_verify(th, s, iter);
}

static void *st_thread_main(void *arg)
{
	struct st_thread *th = arg;

	for (int i = 0; i < ST_ITERS && !th->failed; i++)
		st_iteration(th, i);
	return NULL;
}

struct st_count {
	int files;
};

static int st_count_entry(rd_tree *t, const char *dir, const struct st_dirent *d, void *arg)
{
	(void)t;
	(void)dir;
	(void)d;
	((struct st_count *)arg)->files++;
	return 0;
}

static void test_threads(void **state)
{
	static struct st_thread th[ST_THREADS];
	rd_tree *t = tu_tree(64u << 20, 0);
	int want[ST_DIRS] = { 0 };
	struct rd_stats st;
	char path[64];

	(void)state;
	for (int d = 0; d < ST_DIRS; d++) {
		snprintf(path, sizeof path, "/g%d", d);
		assert_int_equal(rd_mkdir(t, RD_ROOT, path, 0755), 0);
	}
	for (int i = 0; i < ST_THREADS; i++) {
		memset(&th[i], 0, sizeof th[i]);
		th[i].t = t;
		th[i].id = i;
		th[i].rng = 0x9e3779b9u * (uint32_t)(i + 1);
		assert_int_equal(pthread_create(&th[i].th, NULL, st_thread_main, &th[i]), 0);
	}
	for (int i = 0; i < ST_THREADS; i++)
		assert_int_equal(pthread_join(th[i].th, NULL), 0);
	for (int i = 0; i < ST_THREADS; i++)
		if (th[i].failed)
			print_error("thread %d: %s\n", i, th[i].err);
	for (int i = 0; i < ST_THREADS; i++)
		assert_false(th[i].failed);

	/* Every surviving file, and nothing else, is there. */
	for (int i = 0; i < ST_THREADS; i++) {
		for (int s = 0; s < ST_SLOTS; s++) {
			st_verify(&th[i], s, ST_ITERS);
			if (th[i].failed)
				print_error("final: %s\n", th[i].err);
			assert_false(th[i].failed);
			if (th[i].slot[s].present)
				want[(i + s) % ST_DIRS]++;
		}
	}
	for (int d = 0; d < ST_DIRS; d++) {
		struct st_count c = { 0 };

		snprintf(path, sizeof path, "/g%d", d);
		assert_int_equal(st_each_entry(t, path, st_count_entry, &c), 0);
		assert_int_equal(c.files, want[d]);
	}
	assert_int_equal(rd_tree_stats(t, &st), 0);
	assert_int_equal(st.open_files, 0);
	tu_done(t);
}

/* ------------------------------------------------------------------------
 * Processes on one shared arena with a small quota. Files hold
 * self-describing records so any process can verify any file: a header
 * (magic, length, seed) and bytes derived from the seed. */

#define SP_CHILDREN 4
#define SP_OPS 1500
#define SP_QUOTA (320u << 10)
#define SP_NAMES 12
#define SP_SUBDIRS 3
#define SP_REC_MAX 8192
#define SP_FILE_CAP (64 * 1024)
#define SP_MAGIC 0x43524452u /* "RDRC" */

struct sp_rec {
	uint32_t magic;
	uint32_t len;          /* whole record, header included */
	uint64_t seed;
};

/* Shared with the children: counters, and a barrier so that they verify
 * their files only once all operations are over and the parent has made
 * room (at a full quota even opening a file for reading may be refused). */
struct sp_shared {
	uint64_t enospc[SP_CHILDREN];
	uint64_t ops[SP_CHILDREN];
	int done;              /* children past their operations */
	int go;                /* parent: verify now */
};

static unsigned char sp_byte(uint64_t seed, size_t i)
{
	return (unsigned char)((seed * 0x9e3779b97f4a7c15ull + i * 0x2545f491u) >> 29);
}

static size_t sp_make(unsigned char *buf, uint32_t *rng)
{
	struct sp_rec h;
	size_t len = sizeof h + st_rand(rng) % (SP_REC_MAX - sizeof h);

	h.magic = SP_MAGIC;
	h.len = (uint32_t)len;
	h.seed = ((uint64_t)st_rand(rng) << 32) | st_rand(rng);
	memcpy(buf, &h, sizeof h);
	for (size_t i = sizeof h; i < len; i++)
		buf[i] = sp_byte(h.seed, i);
	return len;
}

/* 0 if buf is a sequence of whole, intact records. */
static int sp_valid(const unsigned char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		struct sp_rec h;

		if (len - off < sizeof h)
			return -1;
		memcpy(&h, buf + off, sizeof h);
		if (h.magic != SP_MAGIC || h.len < sizeof h || h.len > len - off)
			return -1;
		for (size_t i = sizeof h; i < h.len; i++)
			if (buf[off + i] != sp_byte(h.seed, i))
				return -1;
		off += h.len;
	}
	return 0;
}

struct sp_file {
	int present;
	size_t len;
	unsigned char data[SP_FILE_CAP];
};

struct sp_child {
	rd_tree *t;
	int k;
	uint32_t rng;
	struct sp_shared *sh;
	int dirs[SP_SUBDIRS];
	struct sp_file f[SP_NAMES];
};

#define SP_CHECK(c, cond, ...)                                   \
	do {                                                     \
		if (!(cond)) {                                   \
			fprintf(stderr, "child %d: ", (c)->k);   \
			fprintf(stderr, __VA_ARGS__);            \
			fputc('\n', stderr);                     \
			_exit(1);                                \
		}                                                \
	} while (0)

static void sp_note(struct sp_child *c, long rc)
{
	if (rc == -ENOSPC)
		c->sh->enospc[c->k]++;
}

/* One record into name i: a fresh file or an append. The write is whole or
 * refused; the model follows what the tree must now hold. */
static void sp_write(struct sp_child *c, int i, int append)
{
	static unsigned char rec[SP_REC_MAX];
	struct sp_file *f = &c->f[i];
	char path[64];
	size_t len = sp_make(rec, &c->rng);
	ssize_t n;
	rd_fh fh;
	int rc;

	if (append && (!f->present || f->len + len > SP_FILE_CAP))
		return;
	snprintf(path, sizeof path, "/p%d/n%d", c->k, i);
	rc = rd_open(c->t, RD_ROOT, path,
		     append ? O_WRONLY | O_APPEND : O_WRONLY | O_CREAT | O_TRUNC, 0644, &fh);
	sp_note(c, rc);
	/* No room for the node or the open file: nothing happened, not even
	 * the O_TRUNC (the final verification holds us to that). */
	if (rc == -ENOSPC)
		return;
	SP_CHECK(c, rc == 0, "open %s: %d", path, rc);
	if (!append) {
		f->present = 1;
		f->len = 0;
	}
	n = rd_write(c->t, fh, rec, len);
	sp_note(c, n);
	SP_CHECK(c, n == (ssize_t)len || n == -ENOSPC, "write %s: %zd of %zu", path, n, len);
	SP_CHECK(c, rd_close(c->t, fh) == 0, "close %s", path);
	if (n > 0) {
		memcpy(f->data + f->len, rec, len);
		f->len += len;
	}
}

static void sp_op(struct sp_child *c)
{
	int i = (int)(st_rand(&c->rng) % SP_NAMES), j, d, rc;
	char a[64], b[64];
	unsigned flags;

	snprintf(a, sizeof a, "/p%d/n%d", c->k, i);
	switch (st_rand(&c->rng) % 8) {
	case 0: case 1:
		sp_write(c, i, 0);
		break;
	case 2: case 3:
		sp_write(c, i, 1);
		break;
	case 4:
		rc = rd_unlink(c->t, RD_ROOT, a, 0);
		SP_CHECK(c, rc == (c->f[i].present ? 0 : -ENOENT), "unlink %s: %d", a, rc);
		c->f[i].present = 0;
		break;
	case 5:
		j = (int)(st_rand(&c->rng) % SP_NAMES);
		if (j == i)
			break;
		flags = (st_rand(&c->rng) & 1) ? RENAME_NOREPLACE : 0;
		snprintf(b, sizeof b, "/p%d/n%d", c->k, j);
		rc = rd_rename(c->t, RD_ROOT, a, RD_ROOT, b, flags);
		sp_note(c, rc);
		if (!c->f[i].present) {
			SP_CHECK(c, rc == -ENOENT, "rename %s: %d, want -ENOENT", a, rc);
		} else if (flags && c->f[j].present) {
			SP_CHECK(c, rc == -EEXIST, "rename %s: %d, want -EEXIST", a, rc);
		} else {
			/* Replacing a name may need no new space; a fresh
			 * name may need a directory slot. */
			SP_CHECK(c, rc == 0 || rc == -ENOSPC, "rename %s %s: %d", a, b, rc);
			if (rc == 0) {
				memcpy(&c->f[j], &c->f[i], sizeof c->f[i]);
				c->f[i].present = 0;
			}
		}
		break;
	case 6:
		d = (int)(st_rand(&c->rng) % SP_SUBDIRS);
		snprintf(b, sizeof b, "/p%d/s%d", c->k, d);
		rc = rd_mkdir(c->t, RD_ROOT, b, 0755);
		sp_note(c, rc);
		SP_CHECK(c, rc == (c->dirs[d] ? -EEXIST : 0) || (!c->dirs[d] && rc == -ENOSPC),
			 "mkdir %s: %d", b, rc);
		if (rc == 0)
			c->dirs[d] = 1;
		break;
	case 7:
		d = (int)(st_rand(&c->rng) % SP_SUBDIRS);
		snprintf(b, sizeof b, "/p%d/s%d", c->k, d);
		rc = rd_unlink(c->t, RD_ROOT, b, AT_REMOVEDIR);
		SP_CHECK(c, rc == (c->dirs[d] ? 0 : -ENOENT), "rmdir %s: %d", b, rc);
		c->dirs[d] = 0;
		break;
	}
}

static void sp_child_main(rd_tree *parent, int k, struct sp_shared *sh)
{
	static struct sp_child c;
	static unsigned char buf[SP_FILE_CAP + 1];
	struct rd_stats st;
	char path[64];
	int attach = !(k & 1);

	memset(&c, 0, sizeof c);
	c.k = k;
	c.sh = sh;
	c.rng = 0x2545f491u * (uint32_t)(k + 7);
	c.t = parent;
	/* Half attach through the memfd, half use the inherited mapping. */
	if (attach)
		SP_CHECK(&c, rd_tree_attach(rd_tree_fd(parent), &c.t) == 0, "attach");
	for (int op = 0; op < SP_OPS; op++) {
		sp_op(&c);
		sh->ops[k]++;
		SP_CHECK(&c, rd_tree_stats(c.t, &st) == 0, "stats");
		SP_CHECK(&c, st.bytes_used <= st.quota, "over quota: %llu > %llu",
			 (unsigned long long)st.bytes_used, (unsigned long long)st.quota);
	}
	__atomic_add_fetch(&sh->done, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&sh->go, __ATOMIC_SEQ_CST))
		usleep(1000);
	for (int i = 0; i < SP_NAMES; i++) {
		ssize_t n;

		snprintf(path, sizeof path, "/p%d/n%d", k, i);
		n = st_slurp(c.t, path, buf, sizeof buf);
		if (!c.f[i].present) {
			SP_CHECK(&c, n == -ENOENT, "%s: absent but read %zd", path, n);
			continue;
		}
		SP_CHECK(&c, n == (ssize_t)c.f[i].len, "%s: %zd bytes, want %zu", path, n,
			 c.f[i].len);
		SP_CHECK(&c, !memcmp(buf, c.f[i].data, c.f[i].len), "%s: content differs", path);
	}
	if (attach)
		rd_tree_close(c.t);
	_exit(0);
}

/* Parent side: every regular file anywhere parses as whole records. */
static int sp_verify_entry(rd_tree *t, const char *dir, const struct st_dirent *d, void *arg)
{
	static unsigned char buf[SP_FILE_CAP + 1];
	char path[256];
	ssize_t n;

	snprintf(path, sizeof path, "%s/%s", strcmp(dir, "/") ? dir : "", d->d_name);
	if (d->d_type == DT_DIR)
		return st_each_entry(t, path, sp_verify_entry, arg);
	n = st_slurp(t, path, buf, sizeof buf);
	if (n < 0 || n > SP_FILE_CAP || sp_valid(buf, (size_t)n) != 0) {
		print_error("%s: %zd bytes, not whole records\n", path, n);
		return -EUCLEAN;
	}
	(*(int *)arg)++;
	return 0;
}

/* Wait for one child; 0 if it exited cleanly. */
static int sp_reap(pid_t pid, int k)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	print_error("child %d failed (status %#x)\n", k, status);
	return -1;
}

static void test_processes_at_quota(void **state)
{
	static char reserve[32 * 1024];
	rd_tree *t = tu_tree_shared(SP_QUOTA, 0);
	struct sp_shared *sh;
	struct rd_stats st;
	pid_t pid[SP_CHILDREN];
	uint64_t enospc = 0, samples = 0;
	int files = 0, failed = 0, status;
	char path[32];

	(void)state;
	assert_true(rd_tree_fd(t) >= 0);
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(sh != MAP_FAILED);
	memset(sh, 0, sizeof *sh);
	for (int k = 0; k < SP_CHILDREN; k++) {
		snprintf(path, sizeof path, "/p%d", k);
		assert_int_equal(rd_mkdir(t, RD_ROOT, path, 0755), 0);
	}
	assert_int_equal(tu_put(t, "/reserve", reserve, sizeof reserve), 0);
	for (int k = 0; k < SP_CHILDREN; k++) {
		pid[k] = fork();
		assert_true(pid[k] >= 0);
		if (pid[k] == 0)
			sp_child_main(t, k, sh);
	}
	/* Sample the shared statistics while the children run; a child that
	 * dies early ends the test (the others are then killed). */
	while (__atomic_load_n(&sh->done, __ATOMIC_SEQ_CST) < SP_CHILDREN && !failed) {
		assert_int_equal(rd_tree_stats(t, &st), 0);
		if (st.bytes_used > st.quota)
			failed = 1;
		samples++;
		usleep(200);
		for (int k = 0; k < SP_CHILDREN; k++)
			if (pid[k] > 0 && waitpid(pid[k], &status, WNOHANG) == pid[k]) {
				print_error("child %d ended early (status %#x)\n", k, status);
				pid[k] = 0;
				failed = 1;
			}
	}
	if (failed) {
		for (int k = 0; k < SP_CHILDREN; k++)
			if (pid[k] > 0) {
				kill(pid[k], SIGKILL);
				waitpid(pid[k], &status, 0);
			}
		fail_msg("over quota or a child failed");
	}
	/* Room to open files for the verification, then let them verify. */
	assert_int_equal(rd_truncate(t, RD_ROOT, "/reserve", 0), 0);
	__atomic_store_n(&sh->go, 1, __ATOMIC_SEQ_CST);
	for (int k = 0; k < SP_CHILDREN; k++)
		failed |= sp_reap(pid[k], k);
	assert_int_equal(failed, 0);

	for (int k = 0; k < SP_CHILDREN; k++) {
		assert_int_equal(sh->ops[k], SP_OPS);
		enospc += sh->enospc[k];
	}
	print_message("%llu ENOSPC refusals seen by children, %llu samples\n",
		      (unsigned long long)enospc, (unsigned long long)samples);
	assert_int_equal(rd_tree_stats(t, &st), 0);
	print_message("peak %llu of %llu, used %llu, refusals %llu, nodes %llu\n",
		      (unsigned long long)st.bytes_peak, (unsigned long long)st.quota,
		      (unsigned long long)st.bytes_used, (unsigned long long)st.quota_refusals,
		      (unsigned long long)st.nodes);
	assert_true(enospc > 0); /* the quota boundary was really reached */
	assert_int_equal(rd_tree_stats(t, &st), 0);
	assert_true(st.quota_refusals >= enospc);
	assert_true(st.bytes_peak <= st.quota);
	assert_int_equal(st.open_files, 0);
	assert_int_equal(st_each_entry(t, "/", sp_verify_entry, &files), 0);
	assert_true(files > 1);
	munmap(sh, sizeof *sh);
	tu_done(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_processes_at_quota),
	};

	/* A failed child must not take the runner down with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Archive module, round trips and interoperability: a tree exported to ZIP
 * or a real directory and imported back is the same tree (content, modes,
 * mtimes, symlinks, empty dirs); Info-ZIP and Python read what we write and
 * we read what they write. Safety cases are in test_archive_safety.c.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ramdir/archive.h>

/* /// Helpers //////////////////////////////////////////////////////////// */

/* An archive call that must succeed; on failure its message is shown. */
#define OK(call)                                                                  \
	do {                                                                      \
		int ok_rc_ = (call);                                              \
		if (ok_rc_ != 0)                                                  \
			print_error("%s: %d: %s\n", #call, ok_rc_, err);          \
		assert_int_equal(ok_rc_, 0);                                      \
	} while (0)

/* Write a script into dir and run it with python3. */
static int py(const char *dir, const char *script, const char *args)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/gen.py", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(script, f);
	fclose(f);
	return tu_sh("python3 '%s' %s", path, args);
}

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const unsigned char *c = p;

	while (n--)
		h = (h ^ *c++) * 0x100000001b3ull;
	return h;
}

static void fill_random(unsigned char *buf, size_t n, uint64_t seed)
{
	uint64_t x = seed | 1;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char)x;
	}
}

/* A growing string for snapshots. */
struct sb {
	char *s;
	size_t len, cap;
};

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (b->s && b->len + (size_t)n < b->cap)
			break;
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
	b->len += (size_t)n;
}

struct dent64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of a tree directory, without "." and "..". */
static char **tree_names(rd_tree *t, const char *path, size_t *n)
{
	char buf[8192], **v = NULL;
	ssize_t got;
	rd_fh fh;

	*n = 0;
	assert_int_equal(rd_open(t, RD_ROOT, path, O_RDONLY | O_DIRECTORY, 0, &fh), 0);
	while ((got = rd_getdents(t, fh, buf, sizeof buf)) > 0) {
		ssize_t off = 0;

		while (off < got) {
			struct dent64 *d = (struct dent64 *)(buf + off);

			if (strcmp(d->name, ".") && strcmp(d->name, "..")) {
				v = realloc(v, (*n + 1) * sizeof *v);
				assert_non_null(v);
				v[(*n)++] = strdup(d->name);
			}
			off += d->reclen;
		}
	}
	assert_true(got == 0);
	rd_close(t, fh);
	if (*n)
		qsort(v, *n, sizeof *v, cmp_str);
	return v;
}

static uint64_t tree_hash(rd_tree *t, const char *path)
{
	static unsigned char buf[65536];
	uint64_t h = 0xcbf29ce484222325ull;
	ssize_t n;
	rd_fh fh;

	assert_int_equal(rd_open(t, RD_ROOT, path, O_RDONLY, 0, &fh), 0);
	while ((n = rd_read(t, fh, buf, sizeof buf)) > 0)
		h = fnv(buf, (size_t)n, h);
	assert_true(n == 0);
	rd_close(t, fh);
	return h;
}

#define SNAP_DIR_MTIME 1 /* include directory mtimes */

static void snap_dir(rd_tree *t, const char *path, const char *rel, struct sb *b, int flags)
{
	size_t n, i;
	char **v = tree_names(t, path, &n);

	for (i = 0; i < n; i++) {
		char full[4096], r[4096], target[4096];
		struct stat st;
		ssize_t len;

		snprintf(full, sizeof full, "%s/%s", strcmp(path, "/") ? path : "", v[i]);
		snprintf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", v[i]);
		assert_int_equal(rd_stat(t, RD_ROOT, full, &st, AT_SYMLINK_NOFOLLOW), 0);
		if (S_ISDIR(st.st_mode)) {
			sb_printf(b, "D %s %o %lld\n", r, st.st_mode & 07777,
				  (flags & SNAP_DIR_MTIME) ? (long long)st.st_mtime : 0LL);
			snap_dir(t, full, r, b, flags);
		} else if (S_ISLNK(st.st_mode)) {
			len = rd_readlink(t, RD_ROOT, full, target, sizeof target - 1);
			assert_true(len > 0);
			target[len] = '\0';
			sb_printf(b, "L %s -> %s %lld\n", r, target, (long long)st.st_mtime);
		} else {
			sb_printf(b, "F %s %o %lld %lld %016llx\n", r, st.st_mode & 07777,
				  (long long)st.st_size, (long long)st.st_mtime,
				  (unsigned long long)tree_hash(t, full));
		}
		free(v[i]);
	}
	free(v);
}

/* Everything below dir, one line per node, in path order. */
static char *snap(rd_tree *t, const char *dir, int flags)
{
	struct sb b = { 0 };

	sb_printf(&b, "%s", "");
	snap_dir(t, dir, "", &b, flags);
	return b.s;
}

static void set_mtime(rd_tree *t, const char *path, time_t m)
{
	struct timespec ts[2] = { { m, 0 }, { m, 0 } };

	assert_int_equal(rd_utimens(t, RD_ROOT, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void put_file(rd_tree *t, const char *path, const void *data, size_t len, mode_t mode, time_t m)
{
	assert_int_equal(tu_put(t, path, data, len), 0);
	assert_int_equal(rd_chmod(t, RD_ROOT, path, mode, 0), 0);
	set_mtime(t, path, m);
}

#define BIG_LEN ((size_t)5 * 1024 * 1024 + 123)
#define T0 1500000001 /* odd seconds: a DOS time alone would lose one */

/* The sample tree under root (which must not exist): every kind of node,
 * modes that matter, distinct odd-second mtimes, a multi-MiB file. */
static void build_sample(rd_tree *t, const char *root)
{
	static const char *dirs[] = { "", "/a", "/a/b", "/a/b/c", "/empty", "/ro", "/sp ace é" };
	static const mode_t dmodes[] = { 0755, 0750, 0755, 0711, 0700, 0555, 0755 };
	unsigned char *big = malloc(BIG_LEN);
	char p[512];
	int i;

	assert_non_null(big);
	fill_random(big, BIG_LEN, 42);
	for (i = 0; i < 7; i++) {
		snprintf(p, sizeof p, "%s%s", root, dirs[i]);
		assert_int_equal(rd_mkdir(t, RD_ROOT, p, 0755), 0);
	}
	snprintf(p, sizeof p, "%s/empty.txt", root);
	put_file(t, p, "", 0, 0644, T0 + 2);
	snprintf(p, sizeof p, "%s/hello.txt", root);
	put_file(t, p, "hello\n", 6, 0600, T0 + 4);
	snprintf(p, sizeof p, "%s/a/b/c/deep.txt", root);
	put_file(t, p, "deep", 4, 0444, T0 + 6);
	snprintf(p, sizeof p, "%s/a/script.sh", root);
	put_file(t, p, "#!/bin/sh\necho hi\n", 18, 0755, T0 + 8);
	snprintf(p, sizeof p, "%s/big.bin", root);
	put_file(t, p, big, BIG_LEN, 0640, T0 + 10);
	snprintf(p, sizeof p, "%s/sp ace é/naïve file.txt", root);
	put_file(t, p, "utf8", 4, 0644, T0 + 12);
	snprintf(p, sizeof p, "%s/a/b/inline.txt", root);
	put_file(t, p, big, 3000, 0664, T0 + 14);
	free(big);

	snprintf(p, sizeof p, "%s/link-rel", root);
	assert_int_equal(rd_symlink(t, "a/b/c/deep.txt", RD_ROOT, p), 0);
	set_mtime(t, p, T0 + 16);
	snprintf(p, sizeof p, "%s/a/up", root);
	assert_int_equal(rd_symlink(t, "../hello.txt", RD_ROOT, p), 0);
	set_mtime(t, p, T0 + 18);
	snprintf(p, sizeof p, "%s/dangling", root);
	assert_int_equal(rd_symlink(t, "/nonexistent/target", RD_ROOT, p), 0);
	set_mtime(t, p, T0 + 20);

	/* The read-only directory gets a file before losing its write bit;
	 * then every directory its mode and mtime, deepest first. */
	snprintf(p, sizeof p, "%s/ro/inside.txt", root);
	put_file(t, p, "ro", 2, 0644, T0 + 22);
	for (i = 6; i >= 0; i--) {
		snprintf(p, sizeof p, "%s%s", root, dirs[i]);
		assert_int_equal(rd_chmod(t, RD_ROOT, p, dmodes[i], 0), 0);
		set_mtime(t, p, T0 + 101 + 2 * i);
	}
}

static uint64_t real_hash(const char *path)
{
	static unsigned char buf[65536];
	uint64_t h = 0xcbf29ce484222325ull;
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		h = fnv(buf, (size_t)n, h);
	close(fd);
	return h;
}

static void expect_real(const char *dir, const char *rel, mode_t type_mode, time_t mtime)
{
	char p[1024];
	struct stat st;

	snprintf(p, sizeof p, "%s/%s", dir, rel);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & (S_IFMT | 07777), type_mode);
	if (mtime)
		assert_int_equal(st.st_mtime, mtime);
}

static void expect_real_link(const char *dir, const char *rel, const char *target)
{
	char p[1024], buf[1024];
	ssize_t n;

	snprintf(p, sizeof p, "%s/%s", dir, rel);
	n = readlink(p, buf, sizeof buf - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, target);
}

/* The sample as the real filesystem must show it after an export or an
 * unzip: kinds, modes, mtimes, link targets, the big file's bytes. */
static void expect_real_sample(rd_tree *t, const char *dir, const char *tree_root)
{
	char p[1024];

	expect_real(dir, "hello.txt", S_IFREG | 0600, T0 + 4);
	expect_real(dir, "empty.txt", S_IFREG | 0644, T0 + 2);
	expect_real(dir, "a/b/c/deep.txt", S_IFREG | 0444, T0 + 6);
	expect_real(dir, "a/script.sh", S_IFREG | 0755, T0 + 8);
	expect_real(dir, "big.bin", S_IFREG | 0640, T0 + 10);
	expect_real(dir, "empty", S_IFDIR | 0700, 0);
	expect_real(dir, "ro", S_IFDIR | 0555, 0);
	expect_real(dir, "a/b/c", S_IFDIR | 0711, 0);
	expect_real(dir, "link-rel", S_IFLNK | 0777, 0);
	expect_real_link(dir, "link-rel", "a/b/c/deep.txt");
	expect_real_link(dir, "a/up", "../hello.txt");
	expect_real_link(dir, "dangling", "/nonexistent/target");
	snprintf(p, sizeof p, "%s/big.bin", dir);
	{
		char tp[512];

		snprintf(tp, sizeof tp, "%s/big.bin", tree_root);
		assert_true(real_hash(p) == tree_hash(t, tp));
	}
}

/* /// Round trips ///////////////////////////////////////////////////////// */

static void test_zip_round_trip(void **state)
{
	rd_tree *t = tu_tree(0, 0), *t2 = tu_tree(0, 0);
	char *dir = tu_tmpdir(), zip[512], err[512] = "";
	char *before, *after;

	(void)state;
	build_sample(t, "/src");
	snprintf(zip, sizeof zip, "%s/out.zip", dir);
	OK(rd_export_zip(t, "/src", zip, err, sizeof err));
	before = snap(t, "/src", SNAP_DIR_MTIME);

	/* Into a fresh tree, below parents that do not exist yet. */
	OK(rd_import_zip(t2, zip, "/dst/sub", err, sizeof err));
	after = snap(t2, "/dst/sub", SNAP_DIR_MTIME);
	assert_string_equal(before, after);
	free(after);

	/* Into the same tree beside the original, dest existing and empty. */
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/copy", 0755), 0);
	OK(rd_import_zip(t, zip, "/copy", err, sizeof err));
	after = snap(t, "/copy", SNAP_DIR_MTIME);
	assert_string_equal(before, after);
	free(after);

	/* No staging directory is left behind. */
	after = snap(t2, "/", 0);
	assert_null(strstr(after, ".ramdir-import"));
	free(after);
	free(before);
	tu_done(t);
	tu_done(t2);
	tu_tmpdir_drop(dir);
}

static void test_dir_round_trip(void **state)
{
	rd_tree *t = tu_tree(0, 0), *t2 = tu_tree(0, 0);
	char *dir = tu_tmpdir(), out[512], err[512] = "";
	char *before, *after;
	struct stat st;

	(void)state;
	build_sample(t, "/src");
	snprintf(out, sizeof out, "%s/out", dir);
	OK(rd_export_dir(t, "/src", out, err, sizeof err));
	expect_real_sample(t, out, "/src");
	/* Exact to the second on a real filesystem, directories included;
	 * the destination itself carries the exported directory's. */
	expect_real(out, "a/b/c", S_IFDIR | 0711, T0 + 101 + 6);
	expect_real(out, "link-rel", S_IFLNK | 0777, T0 + 16);
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(st.st_mtime, T0 + 101);
	assert_int_equal(tu_sh("ls -a '%s' | grep -q ramdir-partial", dir), 1);

	OK(rd_import_dir(t2, out, "/", err, sizeof err));
	before = snap(t, "/src", SNAP_DIR_MTIME);
	after = snap(t2, "/", SNAP_DIR_MTIME);
	assert_string_equal(before, after);
	free(before);
	free(after);
	tu_done(t);
	tu_done(t2);
	tu_tmpdir_drop(dir);
}

/* Exporting into an existing empty directory replaces it. */
static void test_export_into_empty_dir(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	char *dir = tu_tmpdir(), out[512], err[512] = "";

	(void)state;
	assert_int_equal(tu_put(t, "/f", "x", 1), 0);
	snprintf(out, sizeof out, "%s/out", dir);
	assert_int_equal(mkdir(out, 0700), 0);
	OK(rd_export_dir(t, "/", out, err, sizeof err));
	expect_real(out, "f", S_IFREG | 0644, 0);
	tu_done(t);
	tu_tmpdir_drop(dir);
}

/* An empty tree directory gives an empty but valid archive, and importing
 * that still creates the destination. */
static void test_empty_archive(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	char *dir = tu_tmpdir(), zip[512], err[512] = "";
	struct stat st;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/e", 0755), 0);
	snprintf(zip, sizeof zip, "%s/e.zip", dir);
	OK(rd_export_zip(t, "/e", zip, err, sizeof err));
	/* unzip -t calls an empty archive a warning (status 1). */
	assert_int_equal(tu_sh("python3 -c 'import sys, zipfile; "
			    "sys.exit(zipfile.ZipFile(sys.argv[1]).namelist() != [])' '%s'", zip), 0);
	OK(rd_import_zip(t, zip, "/n/m", err, sizeof err));
	assert_int_equal(rd_stat(t, RD_ROOT, "/n/m", &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
	tu_done(t);
	tu_tmpdir_drop(dir);
}

/* rd_import / rd_export pick the kind from the name or the signature. */
static void test_dispatch(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	char *dir = tu_tmpdir(), zip[512], renamed[512], out[512], err[512] = "";
	char *a, *b;

	(void)state;
	build_sample(t, "/src");
	a = snap(t, "/src", SNAP_DIR_MTIME);
	snprintf(zip, sizeof zip, "%s/x.ZIP", dir);
	snprintf(out, sizeof out, "%s/outdir", dir);
	OK(rd_export(t, "/src", zip, err, sizeof err));
	OK(rd_export(t, "/src", out, err, sizeof err));
	assert_int_equal(tu_sh("unzip -tq '%s' >/dev/null", zip), 0);
	snprintf(renamed, sizeof renamed, "%s/archive.bin", dir);
	assert_int_equal(rename(zip, renamed), 0);
	OK(rd_import(t, renamed, "/z", err, sizeof err));
	OK(rd_import(t, out, "/d", err, sizeof err));
	b = snap(t, "/z", SNAP_DIR_MTIME);
	assert_string_equal(a, b);
	free(b);
	b = snap(t, "/d", SNAP_DIR_MTIME);
	assert_string_equal(a, b);
	free(b);
	free(a);
	tu_done(t);
	tu_tmpdir_drop(dir);
}

/* /// What other tools make of our archives ////////////////////////////// */

static void test_unzip_reads_ours(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	char *dir = tu_tmpdir(), zip[512], out[512], err[512] = "";

	(void)state;
	build_sample(t, "/src");
	snprintf(zip, sizeof zip, "%s/out.zip", dir);
	snprintf(out, sizeof out, "%s/x", dir);
	OK(rd_export_zip(t, "/src", zip, err, sizeof err));
	assert_int_equal(tu_sh("unzip -tq '%s' >/dev/null", zip), 0);
	assert_int_equal(tu_sh("cd '%s' && unzip -q out.zip -d x", dir), 0);
	expect_real_sample(t, out, "/src");
	tu_done(t);
	tu_tmpdir_drop(dir);
}

static const char py_read[] =
	"import sys, zipfile\n"
	"z = zipfile.ZipFile(sys.argv[1])\n"
	"assert z.testzip() is None\n"
	"out = open(sys.argv[2], 'w')\n"
	"for i in z.infolist():\n"
	"    m = i.external_attr >> 16\n"
	"    extra = ' -> ' + z.read(i).decode() if (m & 0o170000) == 0o120000 else ''\n"
	"    out.write('%s %o %d %d%s\\n' % (i.filename, m, i.file_size, i.create_system, extra))\n";

static void test_python_reads_ours(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	char *dir = tu_tmpdir(), zip[512], list[512], args[1100], err[512] = "";
	char text[8192];
	size_t n;
	FILE *f;

	(void)state;
	build_sample(t, "/src");
	snprintf(zip, sizeof zip, "%s/out.zip", dir);
	snprintf(list, sizeof list, "%s/list.txt", dir);
	OK(rd_export_zip(t, "/src", zip, err, sizeof err));
	snprintf(args, sizeof args, "'%s' '%s'", zip, list);
	assert_int_equal(py(dir, py_read, args), 0);
	f = fopen(list, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_non_null(strstr(text, "hello.txt 100600 6 3\n"));
	assert_non_null(strstr(text, "a/ 40750 0 3\n"));
	assert_non_null(strstr(text, "empty/ 40700 0 3\n"));
	assert_non_null(strstr(text, "ro/ 40555 0 3\n"));
	assert_non_null(strstr(text, "a/b/c/deep.txt 100444 4 3\n"));
	assert_non_null(strstr(text, "big.bin 100640 5243003 3\n"));
	assert_non_null(strstr(text, "link-rel 120777 14 3 -> a/b/c/deep.txt\n"));
	assert_non_null(strstr(text, "dangling 120777 19 3 -> /nonexistent/target\n"));
	assert_non_null(strstr(text, "sp ace é/naïve file.txt 100644 4 3\n"));
	/* Parents come before their children, as Info-ZIP writes them. */
	assert_true(strstr(text, "a/ 40750") < strstr(text, "a/b/"));
	tu_done(t);
	tu_tmpdir_drop(dir);
}

/* /// What we make of other tools' archives /////////////////////////////// */

/* The sample, on the real filesystem. */
static void real_sample(const char *root)
{
	unsigned char *big = malloc(BIG_LEN);

	assert_non_null(big);
	fill_random(big, BIG_LEN, 7);
	assert_int_equal(tu_sh("cd '%s' && mkdir -p a/b/c empty ro && printf hello > hello.txt && "
			    ": > empty.txt && printf deep > a/b/c/deep.txt && "
			    "printf ro > ro/inside.txt && ln -s a/b/c/deep.txt link-rel && "
			    "ln -s /nonexistent/target dangling && "
			    "chmod 600 hello.txt && chmod 444 a/b/c/deep.txt && chmod 700 empty && "
			    "chmod 750 a && chmod 555 ro",
			    root),
			 0);
	{
		char p[512];
		FILE *f;

		snprintf(p, sizeof p, "%s/big.bin", root);
		f = fopen(p, "w");
		assert_non_null(f);
		assert_int_equal(fwrite(big, 1, BIG_LEN, f), BIG_LEN);
		fclose(f);
	}
	free(big);
	assert_int_equal(tu_sh("cd '%s' && touch -h -d @1400000001 link-rel dangling && "
			    "touch -d @1400000003 hello.txt big.bin a/b/c/deep.txt && "
			    "touch -d @1400000005 a/b/c a/b a empty ro",
			    root),
			 0);
}

static void expect_tree_sample(rd_tree *t, const char *root)
{
	char p[512], buf[64];
	struct stat st;
	ssize_t n;

	snprintf(p, sizeof p, "%s/hello.txt", root);
	assert_int_equal(tu_get(t, p, buf, sizeof buf), 5);
	assert_int_equal(rd_stat(t, RD_ROOT, p, &st, 0), 0);
	assert_int_equal(st.st_mode, S_IFREG | 0600);
	assert_int_equal(st.st_mtime, 1400000003);
	snprintf(p, sizeof p, "%s/a/b/c/deep.txt", root);
	assert_int_equal(rd_stat(t, RD_ROOT, p, &st, 0), 0);
	assert_int_equal(st.st_mode, S_IFREG | 0444);
	snprintf(p, sizeof p, "%s/big.bin", root);
	assert_int_equal(rd_stat(t, RD_ROOT, p, &st, 0), 0);
	assert_int_equal(st.st_size, BIG_LEN);
	snprintf(p, sizeof p, "%s/empty", root);
	assert_int_equal(rd_stat(t, RD_ROOT, p, &st, 0), 0);
	assert_int_equal(st.st_mode, S_IFDIR | 0700);
	snprintf(p, sizeof p, "%s/ro", root);
	assert_int_equal(rd_stat(t, RD_ROOT, p, &st, 0), 0);
	assert_int_equal(st.st_mode, S_IFDIR | 0555);
	assert_int_equal(st.st_mtime, 1400000005);
	snprintf(p, sizeof p, "%s/link-rel", root);
	assert_int_equal(rd_stat(t, RD_ROOT, p, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(st.st_mtime, 1400000001);
	n = rd_readlink(t, RD_ROOT, p, buf, sizeof buf);
	assert_int_equal(n, 14);
	assert_memory_equal(buf, "a/b/c/deep.txt", 14);
	/* Through the symlink, inside the tree. */
	assert_int_equal(tu_get(t, p, buf, sizeof buf), 4);
}

/* Info-ZIP's zip -r -y gives the same tree as importing the directory
 * itself. Streamed output (data descriptors) cannot hold symlinks, so that
 * variant takes the rest. */
static void test_import_info_zip(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	char *dir = tu_tmpdir(), src[512], zip[512], err[512] = "";
	char *a, *b;
	struct stat st;

	(void)state;
	snprintf(src, sizeof src, "%s/src", dir);
	assert_int_equal(mkdir(src, 0755), 0);
	real_sample(src);
	assert_int_equal(tu_sh("cd '%s' && zip -qry ../in.zip . && "
			    "zip -qr - a ro empty big.bin hello.txt | cat > ../stream.zip", src), 0);

	snprintf(zip, sizeof zip, "%s/in.zip", dir);
	OK(rd_import_zip(t, zip, "/z", err, sizeof err));
	expect_tree_sample(t, "/z");
	OK(rd_import_dir(t, src, "/d", err, sizeof err));
	expect_tree_sample(t, "/d");
	a = snap(t, "/d", SNAP_DIR_MTIME);
	b = snap(t, "/z", SNAP_DIR_MTIME);
	assert_string_equal(a, b);
	free(b);
	free(a);

	snprintf(zip, sizeof zip, "%s/stream.zip", dir);
	assert_int_equal(tu_sh("unzip -Zv '%s' | grep -q 'extended local header: *yes'", zip), 0);
	OK(rd_import_zip(t, zip, "/s", err, sizeof err));
	a = snap(t, "/d/a", SNAP_DIR_MTIME);
	b = snap(t, "/s/a", SNAP_DIR_MTIME);
	assert_string_equal(a, b);
	free(b);
	free(a);
	assert_true(tree_hash(t, "/s/big.bin") == tree_hash(t, "/d/big.bin"));
	assert_int_equal(rd_stat(t, RD_ROOT, "/s/hello.txt", &st, 0), 0);
	assert_int_equal(st.st_mode, S_IFREG | 0600);
	assert_int_equal(st.st_mtime, 1400000003);
	assert_int_equal(rd_stat(t, RD_ROOT, "/s/ro", &st, 0), 0);
	assert_int_equal(st.st_mode, S_IFDIR | 0555);
	tu_done(t);
	tu_tmpdir_drop(dir);
}

static const char py_make[] =
	"import sys, zipfile\n"
	"f = open(sys.argv[1], 'wb') if sys.argv[2] == '0' else sys.stdout.buffer\n"
	"with zipfile.ZipFile(f, 'w', zipfile.ZIP_DEFLATED) as z:\n"
	"    z.writestr('./top.txt', b'top\\n')\n"
	"    i = zipfile.ZipInfo('d/', date_time=(2020, 5, 17, 10, 20, 31))\n"
	"    i.external_attr = (0o40750 << 16) | 0x10\n"
	"    z.writestr(i, b'')\n"
	"    i = zipfile.ZipInfo('d/e/f.txt', date_time=(2019, 1, 2, 3, 4, 5))\n"
	"    i.external_attr = 0o100640 << 16\n"
	"    i.compress_type = zipfile.ZIP_DEFLATED\n"
	"    z.writestr(i, b'x' * 100000)\n"
	"    i = zipfile.ZipInfo('d/ln', date_time=(2019, 1, 2, 3, 4, 7))\n"
	"    i.create_system = 3\n"
	"    i.external_attr = 0o120777 << 16\n"
	"    z.writestr(i, b'e/f.txt')\n"
	"    i = zipfile.ZipInfo('dos.txt', date_time=(2018, 6, 1, 0, 0, 0))\n"
	"    i.create_system = 0\n"
	"    i.external_attr = 0x01\n"
	"    z.writestr(i, b'dos')\n";

static time_t local_time(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = s, .tm_isdst = -1 };

	return mktime(&tm);
}

static void expect_python_tree(rd_tree *t, const char *root)
{
	char p[512], buf[200000];
	struct stat st;

	snprintf(p, sizeof p, "%s/top.txt", root);
	assert_int_equal(tu_get(t, p, buf, sizeof buf), 4);
	snprintf(p, sizeof p, "%s/d", root);
	assert_int_equal(rd_stat(t, RD_ROOT, p, &st, 0), 0);
	assert_int_equal(st.st_mode, S_IFDIR | 0750);
	/* DOS time only: two-second steps, local time. */
	assert_true(llabs((long long)(st.st_mtime - local_time(2020, 5, 17, 10, 20, 31))) <= 2);
	snprintf(p, sizeof p, "%s/d/e", root); /* implicit parent */
	assert_int_equal(rd_stat(t, RD_ROOT, p, &st, 0), 0);
	assert_true(S_ISDIR(st.st_mode));
	snprintf(p, sizeof p, "%s/d/e/f.txt", root);
	assert_int_equal(rd_stat(t, RD_ROOT, p, &st, 0), 0);
	assert_int_equal(st.st_mode, S_IFREG | 0640);
	assert_true(llabs((long long)(st.st_mtime - local_time(2019, 1, 2, 3, 4, 5))) <= 2);
	snprintf(p, sizeof p, "%s/d/ln", root);
	assert_int_equal(tu_get(t, p, buf, sizeof buf), 100000);
	assert_int_equal(rd_stat(t, RD_ROOT, p, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* No unix mode, DOS read-only bit: 0444 as unzip gives it. */
	snprintf(p, sizeof p, "%s/dos.txt", root);
	assert_int_equal(rd_stat(t, RD_ROOT, p, &st, 0), 0);
	assert_int_equal(st.st_mode, S_IFREG | 0444);
}

static void test_import_python_zip(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	char *dir = tu_tmpdir(), zip[512], args[600], err[512] = "";

	(void)state;
	snprintf(zip, sizeof zip, "%s/py.zip", dir);
	snprintf(args, sizeof args, "'%s' 0", zip);
	assert_int_equal(py(dir, py_make, args), 0);
	OK(rd_import_zip(t, zip, "/p", err, sizeof err));
	expect_python_tree(t, "/p");

	/* Written to a pipe: data descriptors after each entry. */
	snprintf(zip, sizeof zip, "%s/pystream.zip", dir);
	snprintf(args, sizeof args, "- 1 | cat > '%s'", zip);
	assert_int_equal(py(dir, py_make, args), 0);
	OK(rd_import_zip(t, zip, "/ps", err, sizeof err));
	expect_python_tree(t, "/ps");
	tu_done(t);
	tu_tmpdir_drop(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zip_round_trip),
		cmocka_unit_test(test_dir_round_trip),
		cmocka_unit_test(test_export_into_empty_dir),
		cmocka_unit_test(test_empty_archive),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_unzip_reads_ours),
		cmocka_unit_test(test_python_reads_ours),
		cmocka_unit_test(test_import_info_zip),
		cmocka_unit_test(test_import_python_zip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

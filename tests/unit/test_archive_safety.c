/*
 * Archive module, the all-or-nothing promise: hostile names, symlink
 * traversal, corrupt data, quota and node limits hit mid-import, zip bombs
 * and name conflicts all leave the tree exactly as it was (listing, bytes
 * used, consistency) with a message naming the entry; exports never clobber
 * a destination nor leave a partial one behind.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ramdir/archive.h>

/* /// Helpers //////////////////////////////////////////////////////////// */

/* Builds an archive from specs "KIND:NAME:DATA" (KIND f file, d dir, l
 * symlink) in order, with Python's zipfile, which writes names verbatim. */
static const char py_specs[] =
	"import sys, zipfile, warnings\n"
	"warnings.simplefilter('ignore')\n"
	"with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n"
	"    for spec in sys.argv[2:]:\n"
	"        kind, name, data = spec.split(':', 2)\n"
	"        i = zipfile.ZipInfo(name)\n"
	"        i.create_system = 3\n"
	"        i.compress_type = zipfile.ZIP_DEFLATED\n"
	"        i.external_attr = {'f': 0o100644, 'd': 0o40755, 'l': 0o120777}[kind] << 16\n"
	"        z.writestr(i, data.encode())\n";

/* Many small entries: "many:N:SIZE:PATTERN" files named by PATTERN % k. */
static const char py_many[] =
	"import sys, zipfile\n"
	"n, size, pat = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]\n"
	"with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n"
	"    for k in range(n):\n"
	"        z.writestr(pat % k, bytes([65 + k % 26]) * size)\n";

/* A deflated run of zeros, written as a stream; with a third argument the
 * declared size (local header and central directory) is forged. */
static const char py_bomb[] =
	"import sys, zipfile, struct\n"
	"out, mib, lie = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])\n"
	"with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:\n"
	"    with z.open('zeros.bin', 'w') as f:\n"
	"        chunk = bytes(1 << 20)\n"
	"        for _ in range(mib):\n"
	"            f.write(chunk)\n"
	"if lie:\n"
	"    d = bytearray(open(out, 'rb').read())\n"
	"    struct.pack_into('<I', d, 22, lie)\n"
	"    cd = d.rfind(b'PK\\x01\\x02')\n"
	"    struct.pack_into('<I', d, cd + 24, lie)\n"
	"    open(out, 'wb').write(d)\n";

/* Two deflated entries; the second one's compressed bytes are damaged. */
static const char py_damaged[] =
	"import sys, zipfile, random\n"
	"random.seed(1)\n"
	"text = ' '.join(random.choice(['alpha', 'beta', 'gamma', 'delta']) for _ in range(40000)).encode()\n"
	"with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n"
	"    z.writestr('a.txt', text)\n"
	"    z.writestr('b.txt', text[::-1])\n"
	"    i = z.getinfo('b.txt')\n"
	"d = bytearray(open(sys.argv[1], 'rb').read())\n"
	"off = i.header_offset\n"
	"n, e = int.from_bytes(d[off + 26:off + 28], 'little'), int.from_bytes(d[off + 28:off + 30], 'little')\n"
	"start = off + 30 + n + e + 200\n"
	"for k in range(start, start + 64):\n"
	"    d[k] ^= 0x5a\n"
	"open(sys.argv[1], 'wb').write(d)\n";

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

/* Python archive of the given specs at dir/name; returns its path. */
static char *make_zip(const char *dir, const char *name, const char *const *specs)
{
	char args[8192], *zip = malloc(512);
	size_t o;

	assert_non_null(zip);
	snprintf(zip, 512, "%s/%s", dir, name);
	o = (size_t)snprintf(args, sizeof args, "'%s'", zip);
	for (; *specs; specs++)
		o += (size_t)snprintf(args + o, sizeof args - o, " '%s'", *specs);
	assert_int_equal(py(dir, py_specs, args), 0);
	return zip;
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

/* Listing of the whole tree, with file sizes, modes and mtimes, so that
 * "unchanged" means what ls -lR would show (directory mtimes aside). */
static void listing_dir(rd_tree *t, const char *path, char **out, size_t *len)
{
	char buf[8192], **v = NULL;
	size_t n = 0, i;
	ssize_t got;
	rd_fh fh;

	assert_int_equal(rd_open(t, RD_ROOT, path, O_RDONLY | O_DIRECTORY, 0, &fh), 0);
	while ((got = rd_getdents(t, fh, buf, sizeof buf)) > 0) {
		ssize_t off = 0;

		for (; off < got; off += ((struct dent64 *)(buf + off))->reclen) {
			const char *name = ((struct dent64 *)(buf + off))->name;

			if (!strcmp(name, ".") || !strcmp(name, ".."))
				continue;
			v = realloc(v, (n + 1) * sizeof *v);
			v[n++] = strdup(name);
		}
	}
	rd_close(t, fh);
	if (n)
		qsort(v, n, sizeof *v, cmp_str);
	for (i = 0; i < n; i++) {
		char full[4096], line[4400];
		struct stat st;
		int k;

		snprintf(full, sizeof full, "%s/%s", strcmp(path, "/") ? path : "", v[i]);
		assert_int_equal(rd_stat(t, RD_ROOT, full, &st, AT_SYMLINK_NOFOLLOW), 0);
		k = snprintf(line, sizeof line, "%s %o %lld %lld\n", full, st.st_mode,
			     (long long)st.st_size, S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_mtime);
		*out = realloc(*out, *len + (size_t)k + 1);
		memcpy(*out + *len, line, (size_t)k + 1);
		*len += (size_t)k;
		if (S_ISDIR(st.st_mode))
			listing_dir(t, full, out, len);
		free(v[i]);
	}
	free(v);
}

static char *listing(rd_tree *t)
{
	char *s = strdup("");
	size_t len = 0;

	listing_dir(t, "/", &s, &len);
	return s;
}

/* What the tree looked like before an import that must fail. */
struct before {
	char *list;
	uint64_t used, nodes;
};

static void before_take(rd_tree *t, struct before *b)
{
	struct rd_stats st;

	b->list = listing(t);
	assert_int_equal(rd_tree_stats(t, &st), 0);
	b->used = st.bytes_used;
	b->nodes = st.nodes;
}

static void expect_unchanged(rd_tree *t, struct before *b)
{
	struct rd_stats st;
	char *now = listing(t);
	char msg[512] = "";

	assert_string_equal(b->list, now);
	assert_int_equal(rd_tree_stats(t, &st), 0);
	assert_int_equal(st.nodes, b->nodes);
	assert_int_equal(st.bytes_used, b->used);
	assert_int_equal(rd_tree_check(t, msg, sizeof msg), 0);
	free(now);
	free(b->list);
}

/* Some content of its own, so "unchanged" has something to compare. */
static rd_tree *populated(uint64_t quota, uint64_t max_nodes)
{
	rd_tree *t = tu_tree(quota, max_nodes);

	assert_int_equal(rd_mkdir(t, RD_ROOT, "/dst", 0755), 0);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/keep", 0755), 0);
	assert_int_equal(tu_put(t, "/keep/file", "precious", 8), 0);
	assert_int_equal(tu_put(t, "/dst/old", "old", 3), 0);
	return t;
}

/* An import that must fail with rc and a message containing needle. */
static void expect_refused(rd_tree *t, const char *src, const char *tree_dir, int rc, const char *needle)
{
	struct before b;
	char err[512] = "";
	int got;

	before_take(t, &b);
	got = rd_import(t, src, tree_dir, err, sizeof err);
	if (got != rc || !strstr(err, needle))
		print_error("import of %s into %s: rc %d (want %d), err \"%s\" (want \"%s\")\n", src,
			    tree_dir, got, rc, err, needle);
	assert_int_equal(got, rc);
	assert_non_null(strstr(err, needle));
	assert_null(strchr(err, '\n'));
	expect_unchanged(t, &b);
}

/* /// Hostile archives //////////////////////////////////////////////////// */

static void test_hostile_names(void **state)
{
	static const char *names[] = { "../evil", "/abs", "a/../../b", "a//b", "./../x", "..",
				       "ok/../../../etc/passwd", "/", "d/../" };
	rd_tree *t = populated(0, 0);
	char *dir = tu_tmpdir();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof names / sizeof *names; i++) {
		char spec[256], zipname[64], *zip;
		const char *specs[3];

		snprintf(spec, sizeof spec, "%c:%s:pwned", names[i][strlen(names[i]) - 1] == '/' ? 'd' : 'f',
			 names[i]);
		specs[0] = "f:fine.txt:fine";
		specs[1] = spec;
		specs[2] = NULL;
		snprintf(zipname, sizeof zipname, "h%zu.zip", i);
		zip = make_zip(dir, zipname, specs);
		expect_refused(t, zip, "/dst", -EINVAL, names[i]);
		expect_refused(t, zip, "/new/dir", -EINVAL, "hostile");
		free(zip);
	}
	tu_done(t);
	tu_tmpdir_drop(dir);
}

/* A symlink entry, then an entry through it: outside the tree (absolute
 * target) or elsewhere inside it (relative), in either order. */
static void test_hostile_symlink_traversal(void **state)
{
	static const char *abs_first[] = { "l:link:/etc", "f:link/passwd:root::0:0", NULL };
	static const char *abs_after[] = { "f:link/passwd:root::0:0", "l:link:/etc", NULL };
	static const char *rel[] = { "d:sub/:", "l:l:sub", "f:l/x:through", NULL };
	static const char *dotdot[] = { "l:up:..", "f:up/escape:x", NULL };
	rd_tree *t = populated(0, 0);
	char *dir = tu_tmpdir(), *zip;

	(void)state;
	zip = make_zip(dir, "s1.zip", abs_first);
	expect_refused(t, zip, "/dst", -EINVAL, "link/passwd");
	free(zip);
	zip = make_zip(dir, "s2.zip", abs_after);
	expect_refused(t, zip, "/dst", -EINVAL, "link/passwd");
	free(zip);
	zip = make_zip(dir, "s3.zip", rel);
	expect_refused(t, zip, "/dst", -EINVAL, "l/x");
	free(zip);
	zip = make_zip(dir, "s4.zip", dotdot);
	expect_refused(t, zip, "/", -EINVAL, "up/escape");
	free(zip);
	tu_done(t);
	tu_tmpdir_drop(dir);
}

static void test_duplicates(void **state)
{
	static const char *files[] = { "f:a.txt:one", "f:a.txt:two", NULL };
	static const char *dirs[] = { "d:d/:", "f:d/x:x", "d:d/:", NULL };
	rd_tree *t = populated(0, 0);
	char *dir = tu_tmpdir(), *zip, err[512] = "";
	struct stat st;

	(void)state;
	zip = make_zip(dir, "dup.zip", files);
	expect_refused(t, zip, "/dst", -EINVAL, "a.txt");
	free(zip);
	/* The same directory twice is harmless and merges. */
	zip = make_zip(dir, "dupdir.zip", dirs);
	assert_int_equal(rd_import_zip(t, zip, "/dst", err, sizeof err), 0);
	assert_int_equal(rd_stat(t, RD_ROOT, "/dst/d/x", &st, 0), 0);
	free(zip);
	tu_done(t);
	tu_tmpdir_drop(dir);
}

/* /// Corrupt archives //////////////////////////////////////////////////// */

static void test_corrupt(void **state)
{
	static const char *good[] = { "f:a.txt:aaaa", "d:d/:", "f:d/b.txt:bbbb", NULL };
	rd_tree *t = populated(0, 0);
	char *dir = tu_tmpdir(), *zip, p[512];
	unsigned char junk[4096];
	struct stat st;
	size_t i;
	FILE *f;

	(void)state;
	/* Random bytes, named .zip. */
	for (i = 0; i < sizeof junk; i++)
		junk[i] = (unsigned char)(i * 2654435761u >> 13);
	snprintf(p, sizeof p, "%s/junk.zip", dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fwrite(junk, 1, sizeof junk, f);
	fclose(f);
	expect_refused(t, p, "/dst", -EBADMSG, "junk.zip");

	/* Empty file. */
	snprintf(p, sizeof p, "%s/empty.zip", dir);
	f = fopen(p, "w");
	fclose(f);
	expect_refused(t, p, "/dst", -EBADMSG, "empty.zip");

	/* Truncated: the central directory is gone. */
	zip = make_zip(dir, "good.zip", good);
	assert_int_equal(stat(zip, &st), 0);
	assert_int_equal(tu_sh("head -c %lld '%s' > '%s/cut.zip'", (long long)st.st_size / 2, zip, dir), 0);
	snprintf(p, sizeof p, "%s/cut.zip", dir);
	expect_refused(t, p, "/dst", -EBADMSG, "cut.zip");
	free(zip);

	/* Damaged data in the second entry: the first was already staged. */
	snprintf(p, sizeof p, "%s/damaged.zip", dir);
	{
		char args[600];

		snprintf(args, sizeof args, "'%s'", p);
		assert_int_equal(py(dir, py_damaged, args), 0);
	}
	expect_refused(t, p, "/dst", -EBADMSG, "b.txt");
	expect_refused(t, p, "/brand/new", -EBADMSG, "b.txt");
	tu_done(t);
	tu_tmpdir_drop(dir);
}

/* /// Limits ////////////////////////////////////////////////////////////// */

/* Declared sizes fit the free quota but real use (pages, metadata) does
 * not: the quota stops the import half way and everything is undone. */
static void test_quota_mid_import(void **state)
{
	rd_tree *t = populated(2u << 20, 0);
	char *dir = tu_tmpdir(), zip[512], args[700], src[512];
	struct rd_stats st;
	uint64_t nfiles;

	(void)state;
	assert_int_equal(rd_tree_stats(t, &st), 0);
	/* 2100-byte files take a 4 KiB page each: twice what they declare. */
	nfiles = (st.quota - st.bytes_used) * 9 / 10 / 2100;
	snprintf(zip, sizeof zip, "%s/many.zip", dir);
	snprintf(args, sizeof args, "'%s' %llu 2100 'f%%05d.bin'", zip, (unsigned long long)nfiles);
	assert_int_equal(py(dir, py_many, args), 0);
	expect_refused(t, zip, "/dst", -ENOSPC, "zip entry");
	expect_refused(t, zip, "/x/y", -ENOSPC, "quota");

	/* The same through a real directory. */
	snprintf(src, sizeof src, "%s/many", dir);
	assert_int_equal(tu_sh("mkdir '%s' && cd '%s' && unzip -q ../many.zip", src, src), 0);
	expect_refused(t, src, "/dst", -ENOSPC, "quota");
	tu_done(t);
	tu_tmpdir_drop(dir);
}

static void test_node_limit(void **state)
{
	rd_tree *t = populated(0, 30);
	char *dir = tu_tmpdir(), zip[512], args[700], src[512];

	(void)state;
	/* Early: more entries than nodes left. */
	snprintf(zip, sizeof zip, "%s/wide.zip", dir);
	snprintf(args, sizeof args, "'%s' 40 10 'f%%02d'", zip);
	assert_int_equal(py(dir, py_many, args), 0);
	expect_refused(t, zip, "/dst", -ENOSPC, "node");

	/* Mid-import: few entries, many implicit parent directories. */
	snprintf(zip, sizeof zip, "%s/deep.zip", dir);
	snprintf(args, sizeof args, "'%s' 6 10 'k%%d/a/b/c/d/f'", zip);
	assert_int_equal(py(dir, py_many, args), 0);
	expect_refused(t, zip, "/dst", -ENOSPC, "node limit");

	snprintf(src, sizeof src, "%s/wide", dir);
	assert_int_equal(tu_sh("mkdir '%s' && cd '%s' && unzip -q ../wide.zip", src, src), 0);
	expect_refused(t, src, "/dst", -ENOSPC, "node limit");
	tu_done(t);
	tu_tmpdir_drop(dir);
}

/* Peak RSS growth (KiB) of a child that imports zip into a fresh 16 MiB
 * tree; the child reports rc, whether the tree came back to its empty
 * state, and the message. */
struct bomb_result {
	int rc;
	int unchanged;
	long grew_kib;
	char err[256];
};

static long peak_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

static void bomb_run(const char *zip, struct bomb_result *r)
{
	int fds[2];
	pid_t pid;
	int status;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct bomb_result c = { 0 };
		struct rd_config cfg;
		struct rd_stats a, b;
		rd_tree *t;
		long start = peak_kib();
		char msg[256];

		rd_config_default(&cfg);
		cfg.quota = 16u << 20;
		if (rd_tree_create(&cfg, &t) < 0)
			_exit(2);
		rd_tree_stats(t, &a);
		c.rc = rd_import_zip(t, zip, "/", c.err, sizeof c.err);
		rd_tree_stats(t, &b);
		c.unchanged = a.bytes_used == b.bytes_used && a.nodes == b.nodes &&
			      rd_tree_check(t, msg, sizeof msg) == 0;
		c.grew_kib = peak_kib() - start;
		if (write(fds[1], &c, sizeof c) != (ssize_t)sizeof c)
			_exit(3);
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], r, sizeof *r), sizeof *r);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (getenv("RD_TEST_VERBOSE"))
		print_message("bomb: rc %d, peak grew %ld KiB: %s\n", r->rc, r->grew_kib, r->err);
}

static void test_zip_bomb(void **state)
{
	char *dir = tu_tmpdir(), zip[512], args[700];
	struct bomb_result r;

	(void)state;
	/* 200 MiB of zeros, honestly declared: refused before inflating. */
	snprintf(zip, sizeof zip, "%s/bomb.zip", dir);
	snprintf(args, sizeof args, "'%s' 200 0", zip);
	assert_int_equal(py(dir, py_bomb, args), 0);
	bomb_run(zip, &r);
	assert_int_equal(r.rc, -ENOSPC);
	assert_true(r.unchanged);
	assert_non_null(strstr(r.err, "declare"));
	assert_true(r.grew_kib < 32 * 1024);

	/* The same bomb declaring one page less than the free quota: it
	 * passes the early check and is inflated chunk by chunk until the
	 * quota (data pages plus their index) stops it; memory stays near the
	 * 16 MiB of the tree, far from 200 MiB. */
	{
		rd_tree *probe = tu_tree(16u << 20, 0);
		struct rd_stats st;

		assert_int_equal(rd_tree_stats(probe, &st), 0);
		snprintf(args, sizeof args, "'%s' 200 %llu", zip,
			 (unsigned long long)(st.quota - st.bytes_used - 4096));
		tu_done(probe);
	}
	assert_int_equal(py(dir, py_bomb, args), 0);
	bomb_run(zip, &r);
	assert_int_equal(r.rc, -ENOSPC);
	assert_non_null(strstr(r.err, "zeros.bin"));
	assert_non_null(strstr(r.err, "quota"));
	assert_true(r.unchanged);
	/* ThreadSanitizer's shadow memory inflates every allocation, so the
	 * memory bound is checked in the other builds only. */
#if !defined(__SANITIZE_THREAD__)
	assert_true(r.grew_kib < 48 * 1024);
#endif

	/* Declaring 1 MiB: stopped at its declared size. */
	snprintf(args, sizeof args, "'%s' 200 %u", zip, 1u << 20);
	assert_int_equal(py(dir, py_bomb, args), 0);
	bomb_run(zip, &r);
	assert_int_equal(r.rc, -EBADMSG);
	assert_non_null(strstr(r.err, "zeros.bin"));
	assert_true(r.unchanged);
	assert_true(r.grew_kib < 32 * 1024);
	tu_tmpdir_drop(dir);
}

/* /// Conflicts and destinations ////////////////////////////////////////// */

static void test_conflicts(void **state)
{
	static const char *clash[] = { "f:new.txt:n", "f:old/x:x", NULL };
	static const char *fine[] = { "f:new.txt:n", NULL };
	rd_tree *t = populated(0, 0);
	char *dir = tu_tmpdir(), *zip, src[512], err[512] = "";

	(void)state;
	zip = make_zip(dir, "clash.zip", clash);
	expect_refused(t, zip, "/dst", -EEXIST, "/dst/old");
	snprintf(src, sizeof src, "%s/real", dir);
	assert_int_equal(tu_sh("mkdir -p '%s/old' && echo x > '%s/old/x' && echo n > '%s/new.txt'", src, src, src), 0);
	expect_refused(t, src, "/dst", -EEXIST, "/dst/old");
	/* A destination below a file. */
	free(zip);
	zip = make_zip(dir, "fine.zip", fine);
	expect_refused(t, zip, "/keep/file/sub", -ENOTDIR, "/keep/file");
	/* A destination that is not an absolute tree path. */
	expect_refused(t, zip, "dst", -EINVAL, "dst");
	expect_refused(t, zip, "/dst/../keep", -EINVAL, "..");
	/* Importing the same archive twice: the second finds its names. */
	assert_int_equal(rd_import_zip(t, zip, "/dst", err, sizeof err), 0);
	expect_refused(t, zip, "/dst", -EEXIST, "/dst/new.txt");
	free(zip);
	tu_done(t);
	tu_tmpdir_drop(dir);
}

static void test_special_files_refused(void **state)
{
	rd_tree *t = populated(0, 0);
	char *dir = tu_tmpdir(), src[512];

	(void)state;
	snprintf(src, sizeof src, "%s/real", dir);
	assert_int_equal(tu_sh("mkdir -p '%s/sub' && echo x > '%s/a' && mkfifo '%s/sub/fifo'", src, src, src), 0);
	expect_refused(t, src, "/dst", -EOPNOTSUPP, "fifo");
	tu_done(t);
	tu_tmpdir_drop(dir);
}

static int has_partials(const char *dir)
{
	return tu_sh("ls -a '%s' | grep -q ramdir-partial", dir) == 0;
}

static void test_export_destination(void **state)
{
	rd_tree *t = populated(0, 0);
	char *dir = tu_tmpdir(), out[512], zip[512], err[512] = "", buf[16];
	int fd;

	(void)state;
	/* A non-empty directory is refused and left alone. */
	snprintf(out, sizeof out, "%s/full", dir);
	assert_int_equal(tu_sh("mkdir '%s' && echo mine > '%s/mine'", out, out), 0);
	assert_int_equal(rd_export_dir(t, "/keep", out, err, sizeof err), -EEXIST);
	assert_non_null(strstr(err, out));
	assert_non_null(strstr(err, "not an empty directory"));
	assert_int_equal(tu_sh("test \"$(ls '%s')\" = mine", out), 0);
	/* A file is refused for either kind. */
	snprintf(zip, sizeof zip, "%s/exists.zip", dir);
	fd = open(zip, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	assert_int_equal(rd_export_zip(t, "/keep", zip, err, sizeof err), -EEXIST);
	assert_non_null(strstr(err, zip));
	assert_int_equal(rd_export_dir(t, "/keep", zip, err, sizeof err), -EEXIST);
	fd = open(zip, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof buf), 4);
	close(fd);
	/* A zip destination that is an empty directory is refused too. */
	snprintf(out, sizeof out, "%s/emptydir.zip", dir);
	assert_int_equal(mkdir(out, 0755), 0);
	assert_int_equal(rd_export_zip(t, "/keep", out, err, sizeof err), -EEXIST);
	/* The source must be a directory of the tree. */
	snprintf(out, sizeof out, "%s/o", dir);
	assert_int_equal(rd_export_dir(t, "/keep/file", out, err, sizeof err), -ENOTDIR);
	assert_int_equal(rd_export_dir(t, "/nope", out, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "/nope"));
	assert_false(has_partials(dir));
	tu_done(t);
	tu_tmpdir_drop(dir);
}

/* An export that fails half way (file size limit) leaves neither the
 * destination nor its partial sibling behind. */
static void test_export_failure_cleans_up(void **state)
{
	rd_tree *t = tu_tree(0, 0);
	char *dir = tu_tmpdir(), out[512], zip[512], err[512] = "", err_zip[512] = "";
	static char chunk[1 << 20];
	struct rlimit old, lim;
	uint64_t x = 88172645463325252ull;
	struct stat st;
	int i, rc_dir, rc_zip;

	(void)state;
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/src", 0755), 0);
	assert_int_equal(tu_put(t, "/src/a-small", "x", 1), 0);
	/* Random bytes: the limit must bite on the zip as well. */
	for (i = 0; i < (int)sizeof chunk; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		chunk[i] = (char)x;
	}
	for (i = 0; i < 4; i++) {
		char p[64];

		snprintf(p, sizeof p, "/src/big%d", i);
		assert_int_equal(tu_put(t, p, chunk, sizeof chunk), 0);
	}
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 512 * 1024;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	snprintf(out, sizeof out, "%s/out", dir);
	rc_dir = rd_export_dir(t, "/src", out, err, sizeof err);
	snprintf(zip, sizeof zip, "%s/out.zip", dir);
	rc_zip = rd_export_zip(t, "/src", zip, err_zip, sizeof err_zip);
	/* Restore before any assertion can return early. */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(rc_dir, -EFBIG);
	assert_non_null(strstr(err, "big0"));
	if (rc_zip != -EFBIG)
		print_error("export_zip: %d %s\n", rc_zip, err_zip);
	assert_int_equal(rc_zip, -EFBIG);
	assert_int_equal(stat(zip, &st), -1);
	assert_int_equal(stat(out, &st), -1);
	assert_int_equal(tu_sh("test -z \"$(ls -A '%s')\"", dir), 0);
	tu_done(t);
	tu_tmpdir_drop(dir);
}

/* Exports only read: a tree at its quota still exports, both ways. */
static void test_export_full_tree(void **state)
{
	rd_tree *t = tu_tree(1u << 20, 0), *t2 = tu_tree(0, 0);
	char *dir = tu_tmpdir(), out[512], zip[512], err[512] = "", buf[4096];
	struct stat st;
	ssize_t n = 0;
	rd_fh fh;
	int rc;

	(void)state;
	memset(buf, 'q', sizeof buf);
	assert_int_equal(rd_mkdir(t, RD_ROOT, "/d", 0755), 0);
	assert_int_equal(rd_open(t, RD_ROOT, "/d/fill", O_WRONLY | O_CREAT, 0644, &fh), 0);
	while ((n = rd_write(t, fh, buf, sizeof buf)) > 0)
		;
	assert_int_equal(n, -ENOSPC);
	rd_close(t, fh);
	snprintf(out, sizeof out, "%s/out", dir);
	snprintf(zip, sizeof zip, "%s/out.zip", dir);
	rc = rd_export_dir(t, "/d", out, err, sizeof err);
	if (rc != 0)
		print_error("export_dir of a full tree: %s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(stat(out, &st), 0);
	rc = rd_export_zip(t, "/d", zip, err, sizeof err);
	if (rc != 0)
		print_error("export_zip of a full tree: %s\n", err);
	assert_int_equal(rc, 0);
	assert_int_equal(rd_import_zip(t2, zip, "/back", err, sizeof err), 0);
	assert_int_equal(rd_stat(t2, RD_ROOT, "/back/fill", &st, 0), 0);
	assert_true(st.st_size > 512 * 1024);
	tu_done(t);
	tu_done(t2);
	tu_tmpdir_drop(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zip_bomb), /* first: its memory is measured */
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_hostile_symlink_traversal),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_quota_mid_import),
		cmocka_unit_test(test_node_limit),
		cmocka_unit_test(test_conflicts),
		cmocka_unit_test(test_special_files_refused),
		cmocka_unit_test(test_export_destination),
		cmocka_unit_test(test_export_failure_cleans_up),
		cmocka_unit_test(test_export_full_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

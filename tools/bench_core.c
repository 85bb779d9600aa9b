/*
 * Micro-benchmark of the core engine against the performance targets: stat of
 * a depth-3 path, small-file create/write/close, lookup in a huge directory and
 * 1 MiB writes versus memcpy. Prints a table; PASS/MISS is information only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <ramdir/core.h>

#define MIB (1u << 20)

struct opts {
	int runs;
	int quick;
};

/* One line of the table. Rates are printed in GB/s, times in ns/op. */
struct row {
	const char *name;
	double med, best;   /* best: min time, or max rate */
	int rate;           /* 0 ns/op, 1 GB/s, 2 ratio */
	const char *target; /* as printed; NULL = information only */
	int pass;
};

#define MAX_ROWS 16
static struct row rows[MAX_ROWS];
static int nrows;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Any failing operation ends the benchmark: the numbers would be meaningless. */
static void check(long rc, const char *what, const char *path)
{
	if (rc >= 0)
		return;
	fprintf(stderr, "bench_core: %s %s: %s\n", what, path ? path : "", strerror((int)-rc));
	exit(1);
}

static rd_tree *new_tree(uint64_t quota)
{
	struct rd_config cfg;
	rd_tree *t = NULL;

	rd_config_default(&cfg);
	cfg.quota = quota;
	cfg.max_nodes = 0;
	check(rd_tree_create(&cfg, &t), "rd_tree_create", NULL);
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median and minimum of n samples (sorts them ascending). */
static void summarize(double *v, int n, double *med, double *min)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	*min = v[0];
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static struct row *add_row(const char *name, double *samples, int n, int rate)
{
	struct row *r = &rows[nrows++];
	double min;

	r->name = name;
	r->rate = rate;
	summarize(samples, n, &r->med, &min);
	r->best = rate == 1 ? samples[n - 1] : min;
	return r;
}

/* Keeps the compiler from dropping a memcpy whose result is never read. */
static void clobber(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* (1) rd_stat of "/a/b/c". */
static void bench_stat(const struct opts *o)
{
	rd_tree *t = new_tree(64ull * MIB);
	long iters = o->quick ? 20000 : 300000;
	double s[64];
	struct stat st;
	rd_fh fh;

	check(rd_mkdir(t, RD_ROOT, "/a", 0755), "mkdir", "/a");
	check(rd_mkdir(t, RD_ROOT, "/a/b", 0755), "mkdir", "/a/b");
	check(rd_open(t, RD_ROOT, "/a/b/c", O_CREAT | O_WRONLY, 0644, &fh), "open", "/a/b/c");
	check(rd_close(t, fh), "close", "/a/b/c");
	for (long i = 0; i < iters / 10; i++)
		check(rd_stat(t, RD_ROOT, "/a/b/c", &st, 0), "stat", "/a/b/c");
	for (int r = 0; r < o->runs; r++) {
		double t0 = now_ns();

		for (long i = 0; i < iters; i++)
			check(rd_stat(t, RD_ROOT, "/a/b/c", &st, 0), "stat", "/a/b/c");
		s[r] = (now_ns() - t0) / (double)iters;
	}
	struct row *row = add_row("stat /a/b/c", s, o->runs, 0);
	row->target = "< 150 ns";
	row->pass = row->med < 150;
	rd_tree_close(t);
}

/* One round of (2): create+write+close every name, then unlink them all. */
static void create_round(rd_tree *t, char (*names)[16], int n, const char *buf, double *c_ns,
			 double *u_ns)
{
	double t0 = now_ns(), t1;
	rd_fh fh;

	for (int i = 0; i < n; i++) {
		check(rd_open(t, RD_ROOT, names[i], O_CREAT | O_WRONLY, 0644, &fh), "open", names[i]);
		check(rd_write(t, fh, buf, 4096), "write", names[i]);
		check(rd_close(t, fh), "close", names[i]);
	}
	t1 = now_ns();
	for (int i = 0; i < n; i++)
		check(rd_unlink(t, RD_ROOT, names[i], 0), "unlink", names[i]);
	*c_ns = (t1 - t0) / n;
	*u_ns = (now_ns() - t1) / n;
}

/* (2) create + 4 KiB write + close with warm pages, and the unlink after,
 * over a working set of n files. "Warm" as the target means it: pages
 * populated and recently used, i.e. a working set that stays in cache
 * (500 files, 2 MiB). The 5000-file set (20 MiB) is reported beside it: there
 * every 4 KiB copy lands on cache-cold memory, which is a different cost. */
static void bench_create_n(const struct opts *o, int n, const char *label, int is_target)
{
	rd_tree *t = new_tree(256ull * MIB);
	char (*names)[16] = malloc((size_t)n * sizeof *names);
	char buf[4096];
	double cs[64], us[64], dummy_c, dummy_u;

	if (!names)
		check(-ENOMEM, "malloc", NULL);
	memset(buf, 'x', sizeof buf);
	check(rd_mkdir(t, RD_ROOT, "/w", 0755), "mkdir", "/w");
	for (int i = 0; i < n; i++)
		snprintf(names[i], sizeof names[i], "/w/f%06d", i);
	/* Warm-up: the pages and slab objects freed here are what later rounds reuse. */
	create_round(t, names, n, buf, &dummy_c, &dummy_u);
	create_round(t, names, n, buf, &dummy_c, &dummy_u);
	for (int r = 0; r < o->runs; r++)
		create_round(t, names, n, buf, &cs[r], &us[r]);

	struct row *row = add_row(label, cs, o->runs, 0);
	if (is_target) {
		row->target = "< 1000 ns";
		row->pass = row->med < 1000;
	}
	add_row("  unlink of that file", us, o->runs, 0);
	free(names);
	rd_tree_close(t);
}

static void bench_create(const struct opts *o)
{
	bench_create_n(o, 500, "create+4K write+close, 2M set", 1);
	if (!o->quick)
		bench_create_n(o, 5000, "create+4K write+close, 20M set", 0);
}

/* Fill `dir` with n empty files named f0000000.. (7 digits). */
static void populate(rd_tree *t, const char *dir, long n)
{
	char path[64];

	check(rd_mkdir(t, RD_ROOT, dir, 0755), "mkdir", dir);
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/f%07ld", dir, i);
		check(rd_mknod(t, RD_ROOT, path, S_IFREG | 0644), "mknod", path);
	}
}

/* ns per rd_stat, cycling over the given paths. */
static double lookup_run(rd_tree *t, char (*paths)[32], int npaths, long iters)
{
	struct stat st;
	double t0 = now_ns();

	for (long i = 0; i < iters; i++) {
		const char *p = paths[i % npaths];

		check(rd_stat(t, RD_ROOT, p, &st, 0), "stat", p);
	}
	return (now_ns() - t0) / (double)iters;
}

/* (3) lookup in a directory of 1,000,000 entries versus one of 10. Both cycle
 * over 10 names with paths of equal length so only the directory differs. */
static void bench_bigdir(const struct opts *o)
{
	rd_tree *t = new_tree(1024ull * MIB);
	long big = o->quick ? 50000 : 1000000, iters = o->quick ? 20000 : 300000;
	char bigp[10][32], smallp[10][32];
	double bs[64], ss[64], rs[64], t0, fill;

	t0 = now_ns();
	populate(t, "/big", big);
	fill = (now_ns() - t0) / (double)big;
	populate(t, "/sml", 10);
	for (int i = 0; i < 10; i++) {
		/* Spread over the whole big directory, odd stride so hashes differ. */
		snprintf(bigp[i], sizeof bigp[i], "/big/f%07ld", (big / 10) * i + 7 * i + 3);
		snprintf(smallp[i], sizeof smallp[i], "/sml/f%07d", i);
	}
	lookup_run(t, bigp, 10, iters / 10);
	lookup_run(t, smallp, 10, iters / 10);
	/* Interleave the two so drift (frequency, neighbours) hits both alike. */
	for (int r = 0; r < o->runs; r++) {
		bs[r] = lookup_run(t, bigp, 10, iters);
		ss[r] = lookup_run(t, smallp, 10, iters);
		rs[r] = bs[r] / ss[r];
	}

	static char bigname[64];
	snprintf(bigname, sizeof bigname, "stat in dir of %ld", big);
	add_row(bigname, bs, o->runs, 0);
	add_row("stat in dir of 10", ss, o->runs, 0);
	struct row *row = add_row("  ratio big/small", rs, o->runs, 2);
	row->target = "<= 1.25x";
	row->pass = row->med <= 1.25;
	double fs[1] = {fill};
	add_row("  (populate: mknod per entry)", fs, 1, 0);
	rd_tree_close(t);
}

/* (4) 1 MiB: memcpy between warm buffers, rd_pwrite over allocated pages, and
 * rd_pwrite into a fresh file whose pages come from the warm free list. */
static void bench_bigwrite(const struct opts *o)
{
	rd_tree *t = new_tree(256ull * MIB);
	int iters = o->quick ? 30 : 300;
	char *src = malloc(MIB), *dst = malloc(MIB);
	double ms[64], ws[64], fs[64], rs[64];
	rd_fh fh, nf;

	if (!src || !dst)
		check(-ENOMEM, "malloc", NULL);
	for (unsigned i = 0; i < MIB; i++)
		src[i] = (char)(i * 131u >> 3);
	memset(dst, 1, MIB);
	check(rd_open(t, RD_ROOT, "/warm", O_CREAT | O_RDWR, 0644, &fh), "open", "/warm");
	check(rd_pwrite(t, fh, src, MIB, 0), "pwrite", "/warm");
	/* Warm the free list: a file written and unlinked leaves its pages there. */
	check(rd_open(t, RD_ROOT, "/fresh", O_CREAT | O_WRONLY, 0644, &nf), "open", "/fresh");
	check(rd_pwrite(t, nf, src, MIB, 0), "pwrite", "/fresh");
	check(rd_close(t, nf), "close", "/fresh");
	check(rd_unlink(t, RD_ROOT, "/fresh", 0), "unlink", "/fresh");

	for (int r = 0; r < o->runs; r++) {
		double t0 = now_ns(), sum = 0;

		for (int i = 0; i < iters; i++) {
			memcpy(dst, src, MIB);
			clobber(dst);
		}
		ms[r] = (now_ns() - t0) / iters;

		t0 = now_ns();
		for (int i = 0; i < iters; i++) {
			ssize_t n = rd_pwrite(t, fh, src, MIB, 0);

			check(n, "pwrite", "/warm");
			if (n != MIB)
				check(-EIO, "short pwrite", "/warm");
		}
		ws[r] = (now_ns() - t0) / iters;
		rs[r] = ws[r] / ms[r];

		for (int i = 0; i < iters; i++) {
			check(rd_open(t, RD_ROOT, "/fresh", O_CREAT | O_WRONLY, 0644, &nf), "open", "/fresh");
			t0 = now_ns();
			ssize_t n = rd_pwrite(t, nf, src, MIB, 0);
			sum += now_ns() - t0;
			check(n, "pwrite", "/fresh");
			if (n != MIB)
				check(-EIO, "short pwrite", "/fresh");
			check(rd_close(t, nf), "close", "/fresh");
			check(rd_unlink(t, RD_ROOT, "/fresh", 0), "unlink", "/fresh");
		}
		fs[r] = sum / iters;
	}
	/* Rates: bytes per ns is GB/s; the best run is the fastest. */
	for (int r = 0; r < o->runs; r++) {
		ms[r] = MIB / ms[r];
		ws[r] = MIB / ws[r];
		fs[r] = MIB / fs[r];
	}
	add_row("memcpy 1 MiB", ms, o->runs, 1);
	add_row("pwrite 1 MiB, warm file", ws, o->runs, 1);
	add_row("pwrite 1 MiB, fresh file", fs, o->runs, 1);
	struct row *row = add_row("  ratio pwrite/memcpy time", rs, o->runs, 2);
	row->target = "<= 1.5x";
	row->pass = row->med <= 1.5;
	check(rd_close(t, fh), "close", "/warm");
	free(src);
	free(dst);
	rd_tree_close(t);
}

/* For GB/s rows the "min" column holds the best run, i.e. the highest rate. */
static void print_table(void)
{
	printf("%-34s %14s %14s %10s  %s\n", "benchmark", "median", "min", "target", "result");
	for (int i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		const char *unit = r->rate == 1 ? "GB/s" : r->rate == 2 ? "x" : "ns";

		printf("%-34s %9.2f %-4s %9.2f %-4s %10s  %s\n", r->name, r->med, unit, r->best, unit,
		       r->target ? r->target : "-",
		       r->target ? (r->pass ? "PASS" : "MISS") : "info");
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_core [--runs N] [--quick]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = {7, 0};

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			o.quick = 1;
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			o.runs = atoi(argv[++i]);
		else
			usage();
	}
	if (o.runs < 1 || o.runs > 64)
		usage();
	bench_stat(&o);
	bench_create(&o);
	bench_bigdir(&o);
	bench_bigwrite(&o);
	print_table();
	return 0;
}

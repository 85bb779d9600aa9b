/*
 * File-system benchmark through ordinary libc calls: run it on a tmpfs
 * directory, then under ramdir on a /ram path, and compare (scripts/bench.sh).
 * Prints "name<TAB>median_seconds<TAB>min_seconds" per workload; setup and
 * cleanup of each run are outside the timed part unless the workload is them.
 *
 * Workloads that take about a millisecond get more runs (x5, x3) than
 * --runs says: one timer tick or preemption on a shared machine moves such
 * a run by tens of percent, so their median needs more samples. Both sides
 * run exactly the same counts. --clock cpu times the process's CPU time
 * (user + system, page faults included) instead of the wall clock, which
 * leaves out time spent waiting for the CPU on a loaded machine.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KIB 1024L
#define MIB (1024L * KIB)
#define MAX_RUNS 500
#define PATH_LEN 512

struct bench {
	const char *root;    /* workloads run under root/<name> */
	const char *outside; /* a real directory for the pass-through rows; NULL skips them */
	int runs;
	int quick;
	char *buf;           /* 1 MiB of pattern for writes */
	char *rbuf;          /* 1 MiB for reads */
	uint64_t rng;        /* PRNG state */
};

/* One workload: builds what it needs, times its part, removes what it made. */
struct workload {
	const char *name;
	double (*run)(struct bench *b);
	int outside; /* needs --outside */
	int scale;   /* runs = --runs x scale (short workloads need more samples) */
};

/// Helpers ///

static clockid_t bench_clock = CLOCK_MONOTONIC;

static double now(void)
{
	struct timespec ts;

	clock_gettime(bench_clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A failed call makes every number meaningless: stop at once. */
static void fail(const char *what, const char *path)
{
	fprintf(stderr, "bench_fs: %s %s: %s\n", what, path ? path : "", strerror(errno));
	exit(1);
}

static void check(long rc, const char *what, const char *path)
{
	if (rc < 0)
		fail(what, path);
}

/* xorshift64*, reseeded by every run that uses it so that each run, here or
 * under ramdir, touches the same offsets and files. */
static void rng_seed(struct bench *b)
{
	b->rng = 0x9E3779B97F4A7C15ULL;
}

static uint64_t rng_next(struct bench *b)
{
	b->rng ^= b->rng >> 12;
	b->rng ^= b->rng << 25;
	b->rng ^= b->rng >> 27;
	return b->rng * 0x2545F4914F6CDD1DULL;
}

static void join(char *out, const char *dir, const char *name)
{
	if (snprintf(out, PATH_LEN, "%s/%s", dir, name) >= PATH_LEN) {
		errno = ENAMETOOLONG;
		fail("path", dir);
	}
}

static void make_dir(const char *path)
{
	check(mkdir(path, 0755), "mkdir", path);
}

static void remove_dir(const char *path)
{
	check(rmdir(path), "rmdir", path);
}

/* n paths dir/<prefix><i>, built before the clock starts. */
static char **names_make(const char *dir, const char *prefix, int n)
{
	char **v = malloc((size_t)n * sizeof *v + (size_t)n * 64);
	char *s = (char *)(v + n);

	if (!v)
		fail("malloc", NULL);
	for (int i = 0; i < n; i++, s += 64) {
		if (snprintf(s, 64, "%s/%s%06d", dir, prefix, i) >= 64) {
			errno = ENAMETOOLONG;
			fail("path", dir);
		}
		v[i] = s;
	}
	return v;
}

static void names_unlink(char **v, int n)
{
	for (int i = 0; i < n; i++)
		check(unlink(v[i]), "unlink", v[i]);
}

/* Stamp the first bytes of the write buffer so a read can be checked. */
static void stamp(struct bench *b, long tag)
{
	memcpy(b->buf, &tag, sizeof tag);
}

static void write_all(int fd, const char *buf, long len, const char *path)
{
	long n = write(fd, buf, (size_t)len);

	if (n < 0)
		fail("write", path);
	if (n != len) {
		errno = EIO;
		fail("short write", path);
	}
}

/* Create path with len bytes of the pattern stamped with tag. */
static void write_file(struct bench *b, const char *path, long len, long tag)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);

	if (fd < 0)
		fail("open", path);
	stamp(b, tag);
	write_all(fd, b->buf, len, path);
	check(close(fd), "close", path);
}

/* Read path to its end; checks the length and the stamp. */
static void read_file(struct bench *b, const char *path, long len, long tag)
{
	int fd = open(path, O_RDONLY);
	long got = 0, n, seen;

	if (fd < 0)
		fail("open", path);
	while ((n = read(fd, b->rbuf + got, (size_t)(MIB - got))) > 0)
		got += n;
	if (n < 0)
		fail("read", path);
	check(close(fd), "close", path);
	memcpy(&seen, b->rbuf, sizeof seen);
	if (got != len || seen != tag) {
		errno = EIO;
		fail("content check", path);
	}
}

/* Write total bytes in chunk-sized writes, then read them back the same way. */
static double stream(struct bench *b, const char *name, long total, long chunk)
{
	char path[PATH_LEN];
	double t0, t;
	long n, got = 0;
	int fd;

	join(path, b->root, name);
	t0 = now();
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0)
		fail("open", path);
	for (long off = 0; off < total; off += chunk)
		write_all(fd, b->buf, chunk, path);
	check(close(fd), "close", path);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		fail("open", path);
	while ((n = read(fd, b->rbuf, (size_t)chunk)) > 0)
		got += n;
	if (n < 0)
		fail("read", path);
	check(close(fd), "close", path);
	t = now() - t0;
	if (got != total) {
		errno = EIO;
		fail("stream length", path);
	}
	check(unlink(path), "unlink", path);
	return t;
}

/// Workloads ///

/* (1) 300 files of 4 KiB written, then all read back. */
static double w_small(struct bench *b)
{
	enum { N = 300 };
	char dir[PATH_LEN], **v;
	double t0, t;

	join(dir, b->root, "small");
	make_dir(dir);
	v = names_make(dir, "f", N);
	t0 = now();
	for (int i = 0; i < N; i++)
		write_file(b, v[i], 4 * KIB, i);
	for (int i = 0; i < N; i++)
		read_file(b, v[i], 4 * KIB, i);
	t = now() - t0;
	names_unlink(v, N);
	free(v);
	remove_dir(dir);
	return t;
}

/* (2) 16 MiB in 64 KiB chunks. */
static double w_stream16(struct bench *b)
{
	return stream(b, "stream16", 16 * MIB, 64 * KIB);
}

/* (3) 256 overwrites of 64 KiB at random 4 KiB-aligned offsets of a 16 MiB file. */
static double w_overwrite(struct bench *b)
{
	const long size = 16 * MIB, chunk = 64 * KIB;
	char path[PATH_LEN];
	double t0, t;
	int fd;

	join(path, b->root, "overwrite");
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (fd < 0)
		fail("open", path);
	for (long off = 0; off < size; off += MIB)
		write_all(fd, b->buf, MIB, path);
	rng_seed(b);
	t0 = now();
	for (int i = 0; i < 256; i++) {
		off_t off = (off_t)(rng_next(b) % (uint64_t)((size - chunk) / (4 * KIB) + 1)) * 4 * KIB;

		check(lseek(fd, off, SEEK_SET), "lseek", path);
		write_all(fd, b->buf, chunk, path);
	}
	t = now() - t0;
	check(close(fd), "close", path);
	check(unlink(path), "unlink", path);
	return t;
}

/* (4) 512 MiB (64 MiB with --quick) in 1 MiB chunks. */
static double w_stream_big(struct bench *b)
{
	return stream(b, "streambig", (b->quick ? 64 : 512) * MIB, MIB);
}

/* (5) 10,000 files of 4 KiB in one directory, then 5,000 whole-file reads at random. */
static double w_manyfiles(struct bench *b)
{
	enum { N = 10000, READS = 5000 };
	char dir[PATH_LEN], **v;
	double t0, t;

	join(dir, b->root, "many");
	make_dir(dir);
	v = names_make(dir, "f", N);
	rng_seed(b);
	t0 = now();
	for (int i = 0; i < N; i++)
		write_file(b, v[i], 4 * KIB, i);
	for (int i = 0; i < READS; i++) {
		int k = (int)(rng_next(b) % N);

		read_file(b, v[k], 4 * KIB, k);
	}
	t = now() - t0;
	names_unlink(v, N);
	free(v);
	remove_dir(dir);
	return t;
}

/* (6) a file at the bottom of 50 nested directories, read 1,000 times by full path. */
static double w_deeptree(struct bench *b)
{
	enum { DEPTH = 50 };
	char dirs[DEPTH][PATH_LEN], leaf[PATH_LEN], name[8];
	double t0, t;

	for (int i = 0; i < DEPTH; i++) {
		snprintf(name, sizeof name, "d%02d", i);
		join(dirs[i], i ? dirs[i - 1] : b->root, name);
		make_dir(dirs[i]);
	}
	join(leaf, dirs[DEPTH - 1], "leaf");
	write_file(b, leaf, 4 * KIB, 50);
	t0 = now();
	for (int i = 0; i < 1000; i++)
		read_file(b, leaf, 4 * KIB, 50);
	t = now() - t0;
	check(unlink(leaf), "unlink", leaf);
	for (int i = DEPTH - 1; i >= 0; i--)
		remove_dir(dirs[i]);
	return t;
}

/* (7) stat of root/h1/h2/hot 200,000 times. */
static double w_stat(struct bench *b)
{
	char d1[PATH_LEN], d2[PATH_LEN], hot[PATH_LEN];
	struct stat st;
	double t0, t;

	join(d1, b->root, "h1");
	join(d2, d1, "h2");
	join(hot, d2, "hot");
	make_dir(d1);
	make_dir(d2);
	write_file(b, hot, 4 * KIB, 7);
	t0 = now();
	for (int i = 0; i < 200000; i++)
		check(stat(hot, &st), "stat", hot);
	t = now() - t0;
	check(unlink(hot), "unlink", hot);
	remove_dir(d2);
	remove_dir(d1);
	return t;
}

/* (8) 20,000 temporary files: create, write 4 KiB, close, unlink. */
static double w_churn(struct bench *b)
{
	enum { N = 20000 };
	char dir[PATH_LEN], **v;
	double t0, t;

	join(dir, b->root, "churn");
	make_dir(dir);
	v = names_make(dir, "tmp", N);
	t0 = now();
	for (int i = 0; i < N; i++) {
		write_file(b, v[i], 4 * KIB, i);
		check(unlink(v[i]), "unlink", v[i]);
	}
	t = now() - t0;
	free(v);
	remove_dir(dir);
	return t;
}

/* (9) opendir/readdir/closedir of a 10,000-entry directory, 50 times. */
static double w_listdir(struct bench *b)
{
	enum { N = 10000 };
	char dir[PATH_LEN], **v;
	double t0, t;

	join(dir, b->root, "list");
	make_dir(dir);
	v = names_make(dir, "e", N);
	for (int i = 0; i < N; i++) {
		int fd = open(v[i], O_CREAT | O_WRONLY, 0644);

		if (fd < 0)
			fail("open", v[i]);
		check(close(fd), "close", v[i]);
	}
	t0 = now();
	for (int r = 0; r < 50; r++) {
		DIR *d = opendir(dir);
		long count = 0;

		if (!d)
			fail("opendir", dir);
		errno = 0;
		while (readdir(d))
			count++;
		if (errno)
			fail("readdir", dir);
		check(closedir(d), "closedir", dir);
		if (count != N + 2) {
			errno = EIO;
			fail("entry count", dir);
		}
	}
	t = now() - t0;
	names_unlink(v, N);
	free(v);
	remove_dir(dir);
	return t;
}

/* The real file the pass-through rows use; removed by the caller. */
static void outside_file(struct bench *b, char *path)
{
	char name[64];

	snprintf(name, sizeof name, "bench_fs_outside.%ld", (long)getpid());
	join(path, b->outside, name);
	write_file(b, path, 4 * KIB, 10);
}

/* (10a) stat of a real path outside the prefix, 200,000 times. */
static double w_outside_stat(struct bench *b)
{
	char path[PATH_LEN];
	struct stat st;
	double t0, t;

	outside_file(b, path);
	t0 = now();
	for (int i = 0; i < 200000; i++)
		check(stat(path, &st), "stat", path);
	t = now() - t0;
	check(unlink(path), "unlink", path);
	return t;
}

/* (10b) open + close of a real file outside the prefix, 100,000 times. */
static double w_outside_open(struct bench *b)
{
	char path[PATH_LEN];
	double t0, t;

	outside_file(b, path);
	t0 = now();
	for (int i = 0; i < 100000; i++) {
		int fd = open(path, O_RDONLY);

		if (fd < 0)
			fail("open", path);
		check(close(fd), "close", path);
	}
	t = now() - t0;
	check(unlink(path), "unlink", path);
	return t;
}

static const struct workload workloads[] = {
	{"small_files", w_small, 0, 5},
	{"stream_16m", w_stream16, 0, 3},
	{"random_overwrite", w_overwrite, 0, 3},
	{"stream_big", w_stream_big, 0, 1},
	{"many_files", w_manyfiles, 0, 1},
	{"deep_tree", w_deeptree, 0, 5},
	{"stat_hot", w_stat, 0, 1},
	{"tmp_churn", w_churn, 0, 1},
	{"list_dir", w_listdir, 0, 1},
	{"outside_stat", w_outside_stat, 1, 1},
	{"outside_open", w_outside_open, 1, 1},
};
#define NWORKLOADS (int)(sizeof workloads / sizeof workloads[0])

/// Driver ///

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* "a,b,c" contains name as a whole item. */
static int listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return 1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: bench_fs [--runs N] [--quick] [--clock wall|cpu] [--outside DIR] [--only LIST] ROOT\n"
	      "Run file-system workloads under ROOT (created if missing) and print\n"
	      "name<TAB>median_seconds<TAB>min_seconds for each.\n\n"
	      "  --runs N       runs per workload (default 5; x5 or x3 for the shortest)\n"
	      "  --clock C      wall (default) or cpu: this process's CPU time\n"
	      "  --quick        the big stream is 64 MiB instead of 512 MiB\n"
	      "  --outside DIR  a real directory for the pass-through rows (else skipped)\n"
	      "  --only LIST    comma-separated workload names to run\n"
	      "  --list         print the workload names\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option longs[] = {
		{"runs", required_argument, 0, 'r'}, {"quick", no_argument, 0, 'q'},
		{"outside", required_argument, 0, 'o'}, {"only", required_argument, 0, 'O'},
		{"list", no_argument, 0, 'l'},     {"help", no_argument, 0, 'h'},
		{"clock", required_argument, 0, 'c'},
		{0, 0, 0, 0},
	};
	struct bench b = {.runs = 5};
	const char *only = NULL;
	double samples[MAX_RUNS];
	int c, made_root = 0;

	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 'r':
			b.runs = atoi(optarg);
			if (b.runs < 1 || b.runs > MAX_RUNS / 5) {
				fprintf(stderr, "bench_fs: --runs must be 1..%d\n", MAX_RUNS / 5);
				return 2;
			}
			break;
		case 'q':
			b.quick = 1;
			break;
		case 'c':
			if (!strcmp(optarg, "cpu")) {
				bench_clock = CLOCK_PROCESS_CPUTIME_ID;
			} else if (strcmp(optarg, "wall")) {
				fprintf(stderr, "bench_fs: --clock must be wall or cpu\n");
				return 2;
			}
			break;
		case 'o':
			b.outside = optarg;
			break;
		case 'O':
			only = optarg;
			break;
		case 'l':
			for (int i = 0; i < NWORKLOADS; i++)
				puts(workloads[i].name);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	b.root = argv[optind];
	if (mkdir(b.root, 0755) == 0)
		made_root = 1;
	else if (errno != EEXIST)
		fail("mkdir", b.root);
	b.buf = malloc(MIB);
	b.rbuf = malloc(MIB);
	if (!b.buf || !b.rbuf)
		fail("malloc", NULL);
	for (long i = 0; i < MIB; i++)
		b.buf[i] = (char)(i * 31 + 7);

	for (int w = 0; w < NWORKLOADS; w++) {
		const struct workload *wl = &workloads[w];
		int runs = b.runs * wl->scale;

		if (only ? !listed(only, wl->name) : (wl->outside && !b.outside))
			continue;
		if (wl->outside && !b.outside) {
			fprintf(stderr, "bench_fs: %s needs --outside DIR\n", wl->name);
			return 2;
		}
		for (int r = 0; r < runs; r++)
			samples[r] = wl->run(&b);
		qsort(samples, (size_t)runs, sizeof samples[0], cmp_double);
		printf("%s\t%.6f\t%.6f\n", wl->name,
		       runs % 2 ? samples[runs / 2] : (samples[runs / 2 - 1] + samples[runs / 2]) / 2,
		       samples[0]);
		fflush(stdout);
	}
	if (made_root)
		remove_dir(b.root);
	free(b.buf);
	free(b.rbuf);
	return 0;
}

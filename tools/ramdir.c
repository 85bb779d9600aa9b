/*
 * ramdir: run a command with a RAM directory. Creates the shared memory
 * tree, loads imports into it, starts COMMAND with libramdir.so preloaded
 * (children join the same tree through RAMDIR_ARENA), waits, exports the
 * tree, prints statistics, and exits with COMMAND's status (128+N for a
 * signal), 125 for its own errors, 126/127 like env(1).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ramdir/archive.h>
#include <ramdir/core.h>

#define RAMDIR_VERSION "0.1.0"
#define MAX_IMPORTS 64

struct opts {
	const char *prefix;
	struct rd_config cfg;
	const char *imports[MAX_IMPORTS];
	int nimports;
	const char *export_to;
	int stats;
};

static void usage(FILE *f)
{
	fputs("Usage: ramdir [OPTIONS] [--] COMMAND [ARG...]\n"
	      "Run COMMAND (and every program it starts) with a RAM directory at PREFIX:\n"
	      "file calls under PREFIX are served from memory with a hard quota; nothing\n"
	      "under it is written to disk, and a writer over the quota gets ENOSPC.\n\n"
	      "  -p, --prefix DIR        route DIR into memory (absolute; default /ram)\n"
	      "  -q, --quota SIZE        hard byte quota, K/M/G/T suffixes (default 256M)\n"
	      "  -n, --max-nodes N       limit on files, directories and links\n"
	      "  -i, --import SRC[:DIR]  before COMMAND: load a .zip or a real directory\n"
	      "                          into the tree at DIR (default /), repeatable\n"
	      "  -e, --export DEST       after COMMAND: write the tree to a .zip or a new\n"
	      "                          directory, also when COMMAND failed\n"
	      "  -g, --memory-guard MODE none | init | per-write (default none)\n"
	      "  -s, --stats             at exit, a usage report on stderr\n"
	      "  -h, --help              this text\n"
	      "  -V, --version           the version\n\n"
	      "Exit status: COMMAND's own (128+N if it died of signal N); 125 for ramdir's\n"
	      "own errors, 126 if COMMAND cannot be run, 127 if it is not found.\n",
	      f);
}

static __attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...)
{
	va_list ap;

	fputs("ramdir: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(125);
}

/* Same rules as the preload (preload/init.c): absolute, no "." or "..",
 * not the root, not under /proc, /dev or /sys, and not a system directory
 * whose loss would break every program. */
static const char *check_prefix(const char *p)
{
	static const char *const forbidden[] = {"/proc", "/dev", "/sys", "/usr", "/bin", "/sbin",
						"/lib", "/lib64", "/etc", "/boot", "/run"};
	size_t i;

	if (p[0] != '/')
		return "is not an absolute path";
	if (strstr(p, "/./") || strstr(p, "/../") || !strcmp(p + strlen(p) - 2, "/.") ||
	    !strcmp(p + strlen(p) - 3, "/.."))
		return "must not contain '.' or '..'";
	if (strspn(p, "/") == strlen(p))
		return "is the root directory";
	for (i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++) {
		size_t n = strlen(forbidden[i]);

		if (!strncmp(p, forbidden[i], n) && (p[n] == 0 || p[n] == '/' || (p[n] == '/' && !p[n + 1])))
			return "is a system directory; choose one such as /ram";
	}
	return NULL;
}

static void parse(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{"prefix", required_argument, 0, 'p'},   {"quota", required_argument, 0, 'q'},
		{"max-nodes", required_argument, 0, 'n'}, {"import", required_argument, 0, 'i'},
		{"export", required_argument, 0, 'e'},   {"memory-guard", required_argument, 0, 'g'},
		{"stats", no_argument, 0, 's'},          {"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'},        {0, 0, 0, 0},
	};
	const char *why;
	int c;

	memset(o, 0, sizeof *o);
	rd_config_default(&o->cfg);
	o->cfg.shared = 1;
	o->prefix = "/ram";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+p:q:n:i:e:g:shV", longs, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->prefix = optarg;
			break;
		case 'q':
			if (rd_parse_size(optarg, &o->cfg.quota) < 0 || o->cfg.quota < 16384)
				die("--quota '%s' is not a size of at least 16K (use e.g. 256M, 1G)", optarg);
			break;
		case 'n': {
			char *end;
			unsigned long long n = strtoull(optarg, &end, 10);

			if (*end || optarg[0] == '-' || n == 0)
				die("--max-nodes '%s' is not a positive whole number", optarg);
			o->cfg.max_nodes = n;
			break;
		}
		case 'i':
			if (o->nimports == MAX_IMPORTS)
				die("--import given more than %d times", MAX_IMPORTS);
			o->imports[o->nimports++] = optarg;
			break;
		case 'e':
			o->export_to = optarg;
			break;
		case 'g':
			if (!strcmp(optarg, "none"))
				o->cfg.guard = RD_GUARD_NONE;
			else if (!strcmp(optarg, "init"))
				o->cfg.guard = RD_GUARD_INIT;
			else if (!strcmp(optarg, "per-write"))
				o->cfg.guard = RD_GUARD_PER_WRITE;
			else
				die("--memory-guard '%s' is not one of none, init, per-write", optarg);
			break;
		case 's':
			o->stats = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("ramdir %s\n", RAMDIR_VERSION);
			exit(0);
		default:
			die("unknown option '%s' (see ramdir --help)", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		die("no COMMAND given (see ramdir --help)");
	why = check_prefix(o->prefix);
	if (why)
		die("--prefix '%s' %s", o->prefix, why);
}

/* An export that cannot happen must be known before COMMAND runs. */
static void check_export(const char *dest)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (stat(dest, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			die("--export '%s' exists; give a new path or an empty directory", dest);
		if (rmdir(dest) == 0 && mkdir(dest, st.st_mode & 07777) == 0)
			return; /* empty directory: fine */
		die("--export '%s' is a directory that is not empty", dest);
	}
	if (snprintf(dir, sizeof dir, "%s", dest) >= (int)sizeof dir)
		die("--export '%s': path too long", dest);
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	if (access(dir, W_OK | X_OK) != 0)
		die("--export '%s': cannot write in '%s' (%s)", dest, dir, strerror(errno));
}

static void do_imports(rd_tree *t, const struct opts *o)
{
	int i;

	for (i = 0; i < o->nimports; i++) {
		char src[PATH_MAX], err[512] = "";
		const char *dir = "/";
		char *colon;
		int rc;

		if (snprintf(src, sizeof src, "%s", o->imports[i]) >= (int)sizeof src)
			die("--import '%s': path too long", o->imports[i]);
		colon = strrchr(src, ':');
		if (colon && colon[1] == '/') {
			*colon = 0;
			dir = colon + 1;
		}
		if (access(src, R_OK) != 0)
			die("--import '%s': %s", src, strerror(errno));
		rc = rd_import(t, src, dir, err, sizeof err);
		if (rc < 0)
			die("--import '%s': %s", src, err[0] ? err : strerror(-rc));
	}
}

/* Find libramdir.so beside our own binary: BIN/../lib/libramdir.so. */
static void lib_path(char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	char *slash;

	if (n <= 0)
		die("cannot find my own binary: %s", strerror(errno));
	self[n] = 0;
	slash = strrchr(self, '/');
	*slash = 0;
	if (snprintf(out, len, "%s/../lib/libramdir.so", self) >= (int)len)
		die("path of my own binary is too long");
	if (access(out, R_OK) != 0)
		die("cannot find libramdir.so at '%s'", out);
	if (realpath(out, self) && strlen(self) < len)
		memcpy(out, self, strlen(self) + 1);
}

static void set_env(rd_tree *t, const struct opts *o)
{
	char lib[PATH_MAX], val[PATH_MAX + 128], num[32];
	const char *old = getenv("LD_PRELOAD");
	int fd = fcntl(rd_tree_fd(t), F_DUPFD, 900);

	if (fd < 0)
		die("cannot keep the arena descriptor: %s", strerror(errno));
	lib_path(lib, sizeof lib);
	if (snprintf(val, sizeof val, "%s%s%s", lib, old && *old ? ":" : "", old && *old ? old : "") >=
	    (int)sizeof val)
		die("LD_PRELOAD is too long");
	setenv("LD_PRELOAD", val, 1);
	setenv("RAMDIR_PREFIX", o->prefix, 1);
	snprintf(num, sizeof num, "%llu", (unsigned long long)o->cfg.quota);
	setenv("RAMDIR_QUOTA", num, 1);
	if (o->cfg.max_nodes) {
		snprintf(num, sizeof num, "%llu", (unsigned long long)o->cfg.max_nodes);
		setenv("RAMDIR_MAX_NODES", num, 1);
	} else {
		unsetenv("RAMDIR_MAX_NODES");
	}
	if (snprintf(val, sizeof val, "%d:%llu:%llu:%s", fd, (unsigned long long)o->cfg.quota,
		     (unsigned long long)o->cfg.max_nodes, o->prefix) >= (int)sizeof val)
		die("--prefix is too long");
	setenv("RAMDIR_ARENA", val, 1);
}

static int run(char **argv)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("cannot fork: %s", strerror(errno));
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "ramdir: %s: %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	signal(SIGINT, SIG_IGN); /* the child decides; we wait for it */
	signal(SIGQUIT, SIG_IGN);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static const char *human(uint64_t b, char *buf, size_t len)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

static void print_stats(rd_tree *t, double secs)
{
	struct rd_stats s;
	char a[32], b[32], c[32];

	rd_tree_stats(t, &s);
	fprintf(stderr, "ramdir: usage report\n");
	fprintf(stderr, "  %-18s %12s of %s quota\n", "peak", human(s.bytes_peak, a, sizeof a),
		human(s.quota, c, sizeof c));
	fprintf(stderr, "  %-18s %12s\n", "final", human(s.bytes_used, b, sizeof b));
	if (s.max_nodes)
		fprintf(stderr, "  %-18s %12llu of %llu\n", "nodes", (unsigned long long)s.nodes,
			(unsigned long long)s.max_nodes);
	else
		fprintf(stderr, "  %-18s %12llu (no limit)\n", "nodes", (unsigned long long)s.nodes);
	fprintf(stderr, "  %-18s %12llu\n", "files created", (unsigned long long)s.files_created);
	fprintf(stderr, "  %-18s %12llu\n", "dirs created", (unsigned long long)s.dirs_created);
	fprintf(stderr, "  %-18s %12s\n", "written", human(s.bytes_written, a, sizeof a));
	fprintf(stderr, "  %-18s %12s\n", "read", human(s.bytes_read, a, sizeof a));
	fprintf(stderr, "  %-18s %12llu\n", "quota refusals", (unsigned long long)s.quota_refusals);
	fprintf(stderr, "  %-18s %12llu\n", "open at exit", (unsigned long long)s.open_files);
	fprintf(stderr, "  %-18s %12.2f s\n", "time", secs);
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct opts o;
	rd_tree *t;
	int rc, status;

	parse(argc, argv, &o);
	if (o.export_to)
		check_export(o.export_to);
	rc = rd_tree_create(&o.cfg, &t);
	if (rc == -ENOMEM && o.cfg.guard != RD_GUARD_NONE)
		die("%s", rd_guard_message());
	if (rc < 0)
		die("cannot create the memory tree: %s", strerror(-rc));
	do_imports(t, &o);
	set_env(t, &o);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	status = run(argv + optind);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (o.export_to) {
		char err[512] = "";

		rc = rd_export(t, "/", o.export_to, err, sizeof err);
		if (rc < 0) {
			fprintf(stderr, "ramdir: --export '%s': %s\n", o.export_to, err[0] ? err : strerror(-rc));
			status = 125;
		}
	}
	if (o.stats)
		print_stats(t, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	rd_tree_close(t);
	return status;
}

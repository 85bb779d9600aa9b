/*
 * The launcher's command line: the usage text (docs/ramdir.1 says the
 * same), option parsing and the checks on each value that need nothing
 * but the value itself. Prefixes are normalised here the way the preload
 * normalises RAMDIR_PREFIX (preload/prefix.c), so both sides agree.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "launch.h"

static void opts_usage(FILE *f)
{
	fputs("Usage: ramdir [OPTIONS] [--] COMMAND [ARG...]\n"
	      "Run COMMAND, and every program it starts, with a RAM directory: file calls\n"
	      "under PREFIX are served from an in-memory tree with a hard quota. Nothing\n"
	      "under PREFIX reaches the disk, a write over the quota fails with ENOSPC and\n"
	      "changes nothing, and the tree is gone when COMMAND ends.\n"
	      "\n"
	      "  -p, --prefix DIR        route DIR into memory (absolute; repeatable;\n"
	      "                          default /ram)\n"
	      "  -q, --quota SIZE        hard byte quota, K/M/G/T suffixes (default 256M)\n"
	      "  -n, --max-nodes N       limit on files, directories and links (default none)\n"
	      "  -i, --import SRC[:DIR]  before COMMAND: load a .zip (libzip) or a real\n"
	      "                          directory into the tree at DIR (default /);\n"
	      "                          all or nothing; repeatable\n"
	      "  -e, --export DEST       after COMMAND: write the tree to DEST, a .zip or a\n"
	      "                          new or empty directory, also when COMMAND failed\n"
	      "                          (not when it could not be started)\n"
	      "  -g, --memory-guard MODE none | init | per-write (default none)\n"
	      "  -T, --no-tmpdir         leave TMPDIR as it is\n"
	      "  -s, --stats             at exit, a usage report on stderr\n"
	      "  -h, --help              this text\n"
	      "  -V, --version           the version\n"
	      "\n"
	      "TMPDIR: unless -T is given, ramdir creates PREFIX/tmp (mode 1777, in the\n"
	      "first PREFIX) and sets TMPDIR to it, so the temporary files of a test suite\n"
	      "are in memory and under the quota too. It is not exported. A Unix socket\n"
	      "bound in the tree is an abstract socket underneath: any local process that\n"
	      "knows its name can connect, whatever the tree's permissions (see -T).\n"
	      "\n"
	      "Several -p: one tree and one quota for all, each PREFIX a mount of its own\n"
	      "(rename between two is EXDEV). In the tree, and so in DIR and DEST, the\n"
	      "prefixes are the directories /0, /1, ... /f, in the order given: DIR\n"
	      "defaults to /0, the first PREFIX, and the export holds 0/, 1/, ...\n"
	      "\n"
	      "Exit status: COMMAND's own (128+N if it died of signal N); 125 for an error\n"
	      "of ramdir itself (a bad option, import or export); 126 if COMMAND cannot be\n"
	      "run; 127 if it is not found.\n",
	      f);
}

void launch_die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("ramdir: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(LAUNCH_EXIT_OWN);
}

const char *launch_guard_name(int mode)
{
	return mode == RD_GUARD_INIT ? "init" : mode == RD_GUARD_PER_WRITE ? "per-write" : "none";
}

/* /// Prefixes ///////////////////////////////////////////////////////// */

/* Directories whose replacement by an empty tree would break the programs
 * COMMAND runs (or the kernel's interfaces): never a prefix, nor inside one. */
static const char *const opts_system_dirs[] = {"/proc", "/dev",   "/sys", "/usr",  "/bin", "/sbin",
					       "/lib",  "/lib32", "/lib64", "/libx32", "/etc", "/boot",
					       "/run"};

static int opts_is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == 0 || path[n] == '/');
}

/* "//ram/" -> "/ram"; refuses what the preload would refuse, plus ':'
 * (the separator in RAMDIR_PREFIX) and the system directories. */
static void opts_prefix(const char *val, char *out)
{
	const char *p = val;
	size_t n = 0, i;

	if (val[0] != '/')
		launch_die("--prefix '%s' is not an absolute path; give one such as /ram", val);
	if (strchr(val, ':'))
		launch_die("--prefix '%s' contains ':', which separates prefixes; choose another name",
			   val);
	while (*p) {
		const char *s;
		size_t len;

		while (*p == '/')
			p++;
		s = p;
		while (*p && *p != '/')
			p++;
		len = (size_t)(p - s);
		if (len == 0)
			break;
		if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
			launch_die("--prefix '%s' contains '.' or '..'; give the plain path", val);
		if (n + 1 + len >= LAUNCH_PREFIX_MAX)
			launch_die("--prefix '%s' is longer than %d bytes; choose a shorter one", val,
				   LAUNCH_PREFIX_MAX - 1);
		out[n++] = '/';
		memcpy(out + n, s, len);
		n += len;
	}
	out[n] = 0;
	if (n == 0)
		launch_die("--prefix '%s' is the root directory; choose one such as /ram", val);
	for (i = 0; i < sizeof opts_system_dirs / sizeof opts_system_dirs[0]; i++)
		if (opts_is_under(out, opts_system_dirs[i]))
			launch_die("--prefix '%s' is a system directory (%s); choose one such as /ram",
				   val, opts_system_dirs[i]);
}

/* The preload reads at most this much RAMDIR_PREFIX (RP_PATH_MAX - 1). */
#define OPTS_PREFIX_LIST_MAX 4095

static void opts_add_prefix(struct launch_opts *o, const char *val)
{
	size_t total = 0;
	char *out;
	int i;

	if (o->nprefixes == LAUNCH_MAX_PREFIXES)
		launch_die("--prefix given more than %d times; use fewer", LAUNCH_MAX_PREFIXES);
	out = o->prefixes[o->nprefixes];
	opts_prefix(val, out);
	for (i = 0; i < o->nprefixes; i++) {
		if (!strcmp(o->prefixes[i], out))
			launch_die("--prefix '%s' is given twice; give it once", val);
		if (opts_is_under(out, o->prefixes[i]) || opts_is_under(o->prefixes[i], out))
			launch_die("--prefix '%s' and '%s' are nested; give only the outer one", val,
				   o->prefixes[i]);
		total += strlen(o->prefixes[i]) + 1;
	}
	if (total + strlen(out) > OPTS_PREFIX_LIST_MAX)
		launch_die("--prefix '%s': the prefixes together are longer than %d bytes; use shorter "
			   "ones",
			   val, OPTS_PREFIX_LIST_MAX);
	o->nprefixes++;
}

/* /// Values /////////////////////////////////////////////////////////// */

/* The core takes 16 KiB to 16 TiB (four pages to 2^44 bytes). */
static void opts_quota(const char *val, struct rd_config *cfg)
{
	uint64_t q;

	if (rd_parse_size(val, &q) < 0)
		launch_die("--quota '%s' is not a size; give bytes or K/M/G/T, e.g. 256M", val);
	if (q < 16384 || q > (1ull << 44))
		launch_die("--quota '%s' is out of range; give 16K to 16T", val);
	cfg->quota = q;
}

static void opts_max_nodes(const char *val, struct rd_config *cfg)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(val, &end, 10);
	if (!*val || *end || val[0] == '-' || val[0] == '+' || n == 0 || errno)
		launch_die("--max-nodes '%s' is not a positive whole number; give e.g. 10000", val);
	cfg->max_nodes = n;
}

static void opts_guard(const char *val, struct rd_config *cfg)
{
	if (!strcmp(val, "none"))
		cfg->guard = RD_GUARD_NONE;
	else if (!strcmp(val, "init"))
		cfg->guard = RD_GUARD_INIT;
	else if (!strcmp(val, "per-write"))
		cfg->guard = RD_GUARD_PER_WRITE;
	else
		launch_die("--memory-guard '%s' is not a mode; give none, init or per-write", val);
}

/* /// Parsing ////////////////////////////////////////////////////////// */

static const struct option opts_long[] = {
	{"prefix", required_argument, 0, 'p'},       {"quota", required_argument, 0, 'q'},
	{"max-nodes", required_argument, 0, 'n'},    {"import", required_argument, 0, 'i'},
	{"export", required_argument, 0, 'e'},       {"memory-guard", required_argument, 0, 'g'},
	{"no-tmpdir", no_argument, 0, 'T'},          {"stats", no_argument, 0, 's'},
	{"help", no_argument, 0, 'h'},               {"version", no_argument, 0, 'V'},
	{0, 0, 0, 0},
};

static const char *opts_long_name(int c)
{
	const struct option *l;

	for (l = opts_long; l->name; l++)
		if (l->val == c)
			return l->name;
	return "?";
}

/* getopt_long reports problems through '?' and ':' only; name the option
 * the way the user wrote it. */
static void opts_bad(int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		launch_die("--%s needs a value (see ramdir --help)", opts_long_name(optopt));
	if (optopt && strncmp(arg, "--", 2))
		launch_die("unknown option '-%c' (see ramdir --help)", optopt);
	launch_die("unknown option '%s' (see ramdir --help)", arg);
}

void launch_parse(int argc, char **argv, struct launch_opts *o)
{
	int c;

	memset(o, 0, sizeof *o);
	rd_config_default(&o->cfg);
	o->cfg.shared = 1;
	o->tmpdir = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:p:q:n:i:e:g:TshV", opts_long, NULL)) != -1) {
		switch (c) {
		case 'p':
			opts_add_prefix(o, optarg);
			break;
		case 'q':
			opts_quota(optarg, &o->cfg);
			break;
		case 'n':
			opts_max_nodes(optarg, &o->cfg);
			break;
		case 'i':
			if (o->nimports == LAUNCH_MAX_IMPORTS)
				launch_die("--import given more than %d times; import a directory "
					   "holding them instead",
					   LAUNCH_MAX_IMPORTS);
			o->imports[o->nimports++] = optarg;
			break;
		case 'e':
			if (o->export_to)
				launch_die("--export given twice ('%s', '%s'); give one destination",
					   o->export_to, optarg);
			if (!*optarg)
				launch_die("--export '' is empty; give a .zip or a directory path");
			o->export_to = optarg;
			break;
		case 'g':
			opts_guard(optarg, &o->cfg);
			break;
		case 'T':
			o->tmpdir = 0;
			break;
		case 's':
			o->stats = 1;
			break;
		case 'h':
			opts_usage(stdout);
			exit(0);
		case 'V':
			printf("ramdir %s\n", LAUNCH_VERSION);
			exit(0);
		default:
			opts_bad(c, argv);
		}
	}
	if (optind >= argc)
		launch_die("no COMMAND given; usage: ramdir [OPTIONS] [--] COMMAND [ARG...]");
	if (o->nprefixes == 0)
		opts_add_prefix(o, "/ram");
	/* Several prefixes: one mount root per prefix, "/0" ... in the tree,
	 * as the preload makes them (core.h rd_config.roots). */
	o->cfg.roots = o->nprefixes > 1 ? (unsigned)o->nprefixes : 0;
	o->command = argv + optind;
}

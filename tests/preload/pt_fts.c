/*
 * Differential scenario for the fts family (fts_open, fts_read,
 * fts_children, fts_set, fts_close and the fts64 forms), whose glibc
 * versions open, stat and change directory with internal calls: physical
 * and logical walks, FTS_COMFOLLOW, FTS_NOCHDIR, FTS_NOSTAT (FTS_NSOK
 * and the link-count shortcut), FTS_SEEDOT (FTS_DOT), FTS_XDEV, cycles
 * (FTS_DC), dangling links (FTS_SLNONE), missing roots (FTS_NS), several
 * roots in caller and in sorted order (including real paths next to
 * root paths), a link out of the root to a real directory, a compar
 * function, fts_set FTS_SKIP/FTS_AGAIN/FTS_FOLLOW,
 * fts_children with and without FTS_NAMEONLY, paths longer than fts's
 * first buffer, relative roots from a working directory in the root, and
 * the errors of each call. Every entry prints info, level, fts_path,
 * fts_accpath, fts_name, the lengths, fts_errno, the file type from
 * fts_statp and the working directory; fts_number carries a value from the
 * pre-order to the post-order visit.
 */
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "walk_util.h"

static const char *root;
static size_t rootlen;
static char realdir[64]; /* a real directory outside the root, named REAL */
static char start_cwd[PATH_MAX]; /* the harness's scratch directory, different on each side */

static const char *iname(int info)
{
	static const char *names[] = {"?",  "D",  "DC", "DEFAULT", "DNR",  "DOT",    "DP", "ERR",
				      "F", "INIT", "NS", "NSOK",    "SL", "SLNONE", "W"};

	return info >= 0 && info <= FTS_W ? names[info] : "?";
}

static char ftype(mode_t m)
{
	return S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISREG(m) ? 'f' : S_ISCHR(m) ? 'c' : '?';
}

/* The working directory, with a long one shortened to its tail. */
static const char *cwd_now(void)
{
	static char cwd[8192];

	if (!getcwd(cwd, sizeof cwd))
		return ename(errno);
	if (!strcmp(cwd, start_cwd))
		return "START";
	if (strlen(cwd) > 120)
		return cwd + strlen(cwd) - 40;
	return N(cwd);
}

/* A long path shortened to its length and tail. */
static const char *shorten(const char *s)
{
	static char buf[2][128];
	static int which;
	size_t len = strlen(s);

	if (len <= 120)
		return N(s);
	if (!strncmp(s, root, rootlen))
		len -= rootlen; /* the root's length differs */
	which = !which;
	snprintf(buf[which], sizeof buf[which], "[%zu]...%s", len, s + strlen(s) - 40);
	return buf[which];
}

/* fts_statp is left unset under FTS_NOSTAT: no stat is printed then. */
static int show_stat = 1;
/* The working directory is left out where it is longer than the kernel's
 * getcwd answers: glibc then finds the name by walking "..", which is
 * cwd.c's business, not this scenario's. */
static int show_cwd = 1;

static void show(const FTSENT *p)
{
	printf("  %-6s L%d path=%s acc=%s name=%s", iname(p->fts_info), p->fts_level, shorten(p->fts_path),
	       p->fts_accpath == p->fts_path ? "=path" : p->fts_accpath == p->fts_name ? "=name" : shorten(p->fts_accpath),
	       N(shorten(p->fts_name)));
	/* fts_pathlen with the root's length taken out: that differs */
	printf(" nl=%u pl=%d", p->fts_namelen,
	       (int)p->fts_pathlen - (strncmp(p->fts_path, root, rootlen) ? 0 : (int)rootlen));
	if (p->fts_errno)
		printf(" err=%s", ename(p->fts_errno));
	if (show_stat && p->fts_info != FTS_NSOK && p->fts_info != FTS_NS && p->fts_info != FTS_INIT)
		printf(" %c", ftype(p->fts_statp->st_mode));
	if (p->fts_info == FTS_DC)
		printf(" cycle=%s", p->fts_cycle ? p->fts_cycle->fts_name : "-");
	if (p->fts_info == FTS_DP)
		printf(" number=%ld", p->fts_number);
	printf(" cwd=%s\n", show_cwd ? cwd_now() : "-");
}

/* Read a whole traversal, printing each entry. */
static void drain(FTS *fts)
{
	FTSENT *p;
	long n = 0;

	errno = 0;
	while ((p = fts_read(fts)) != NULL) {
		if (p->fts_info == FTS_D)
			p->fts_number = ++n;
		show(p);
		errno = 0;
	}
	printf("  end: %s\n", errno ? ename(errno) : "errno 0");
}

static void closing(FTS *fts)
{
	int rc = fts_close(fts);

	printf("  close: %d %s cwd=%s\n", rc, rc ? ename(errno) : "-", cwd_now());
}

static void walk(const char *label, char **argv, int options, int (*cmp)(const FTSENT **, const FTSENT **))
{
	FTS *fts;

	printf("fts %s options=%#x%s\n", label, options, cmp ? " sorted" : "");
	show_stat = !(options & FTS_NOSTAT);
	errno = 0;
	fts = fts_open(argv, options, cmp);
	if (!fts) {
		printf("  open: %s\n", ename(errno));
		return;
	}
	drain(fts);
	closing(fts);
	show_stat = 1;
}

static int by_name(const FTSENT **a, const FTSENT **b)
{
	return strcmp((*a)->fts_name, (*b)->fts_name);
}

static int by_name_desc(const FTSENT **a, const FTSENT **b)
{
	return -strcmp((*a)->fts_name, (*b)->fts_name);
}

static int by_name64(const FTSENT64 **a, const FTSENT64 **b)
{
	return strcmp((*a)->fts_name, (*b)->fts_name);
}

/* ---- scenarios ---- */

static void test_options(void)
{
	static const int sets[] = {FTS_PHYSICAL,
				   FTS_LOGICAL,
				   FTS_PHYSICAL | FTS_NOCHDIR,
				   FTS_PHYSICAL | FTS_COMFOLLOW,
				   FTS_PHYSICAL | FTS_SEEDOT,
				   FTS_LOGICAL | FTS_SEEDOT,
				   FTS_PHYSICAL | FTS_NOSTAT,
				   FTS_PHYSICAL | FTS_NOSTAT | FTS_NOCHDIR,
				   FTS_PHYSICAL | FTS_NOSTAT | FTS_SEEDOT,
				   FTS_LOGICAL | FTS_NOSTAT,
				   0};
	char *w[] = {P("w"), NULL};
	size_t i;

	printf("== options\n");
	for (i = 0; i < sizeof sets / sizeof sets[0]; i++)
		walk("w", w, sets[i], NULL);
	walk("w", w, FTS_PHYSICAL, by_name);
	walk("w", w, FTS_LOGICAL | FTS_NOCHDIR, by_name_desc);
	{
		char *link[] = {P("w/link_d"), NULL};

		walk("link_d", link, FTS_PHYSICAL, NULL);
		walk("link_d", link, FTS_PHYSICAL | FTS_COMFOLLOW, NULL);
	}
	{
		char *m[] = {P("m"), NULL};

		/* The link to "/" is another device: FTS_XDEV does not
		 * descend into it. */
		walk("m", m, FTS_LOGICAL | FTS_XDEV, NULL);
		walk("m", m, FTS_PHYSICAL | FTS_XDEV, NULL);
	}
	{
		char *cyc[] = {P("cyc"), NULL};

		walk("cyc", cyc, FTS_LOGICAL, NULL);
		walk("cyc", cyc, FTS_PHYSICAL, NULL);
	}
}

static void test_roots(void)
{
	char *many[] = {P("w/b/c.txt"), P("missing"), P("w/dangling"), P("w/b/"), "/dev/null", P("w/a.txt"), NULL};
	char *empty[] = {P("w/a.txt"), "", NULL};
	char *dots[] = {P("w/b/."), P("w/b/d/.."), NULL};

	printf("== roots\n");
	walk("many", many, FTS_PHYSICAL, NULL);
	walk("many", many, FTS_LOGICAL, by_name);
	walk("many", many, FTS_PHYSICAL | FTS_COMFOLLOW | FTS_NOCHDIR, by_name_desc);
	walk("dots", dots, FTS_PHYSICAL, NULL);
	walk("an empty root", empty, FTS_PHYSICAL, NULL);
	walk("bad options", many, 0x1000, NULL);
	{
		char *slash[] = {P("w/b//"), NULL};

		walk("trailing slashes", slash, FTS_PHYSICAL, NULL);
	}
}

static void test_real(void)
{
	char *x[] = {P("x"), NULL};
	char *mixed[] = {P("w/b/d"), R("rsub"), P("w/a.txt"), realdir, NULL};
	char *real[] = {realdir, NULL};

	printf("== out of the root and back\n");
	walk("x", x, FTS_PHYSICAL, NULL);
	walk("x", x, FTS_LOGICAL, NULL);
	walk("x", x, FTS_PHYSICAL | FTS_COMFOLLOW | FTS_SEEDOT, NULL);
	walk("mixed", mixed, FTS_PHYSICAL, NULL);
	walk("mixed", mixed, FTS_PHYSICAL | FTS_NOCHDIR, by_name);
	walk("mixed", mixed, FTS_LOGICAL, NULL);
	walk("real only", real, FTS_PHYSICAL, NULL);
	{
		FTS *fts = fts_open(x, FTS_PHYSICAL, NULL);
		FTSENT *p;

		/* Follow the link out with fts_set: the way back up is the
		 * descriptor fts keeps, into the root again. */
		must(fts != NULL, "fts_open");
		while ((p = fts_read(fts)) != NULL) {
			show(p);
			if (p->fts_info == FTS_SL)
				printf("  set FOLLOW: %d\n", fts_set(fts, p, FTS_FOLLOW));
		}
		closing(fts);
	}
}

static void test_set(void)
{
	char *w[] = {P("w"), NULL};
	FTS *fts;
	FTSENT *p;
	int again = 0, rc;

	printf("== fts_set\n");
	fts = fts_open(w, FTS_PHYSICAL, NULL);
	must(fts != NULL, "fts_open");
	while ((p = fts_read(fts)) != NULL) {
		show(p);
		if (p->fts_info == FTS_D && !strcmp(p->fts_name, "b")) {
			rc = fts_set(fts, p, FTS_SKIP);
			printf("  set SKIP on b: %d\n", rc);
		}
		if (p->fts_info == FTS_F && !strcmp(p->fts_name, "a.txt") && !again++) {
			rc = fts_set(fts, p, FTS_AGAIN);
			printf("  set AGAIN on a.txt: %d\n", rc);
		}
		if (p->fts_info == FTS_SL && !strcmp(p->fts_name, "link_d")) {
			rc = fts_set(fts, p, FTS_FOLLOW);
			printf("  set FOLLOW on link_d: %d\n", rc);
		}
		if (p->fts_info == FTS_SL && !strcmp(p->fts_name, "far")) {
			rc = fts_set(fts, p, FTS_FOLLOW);
			printf("  set FOLLOW on far: %d\n", rc);
		}
		if (p->fts_info == FTS_SL && !strcmp(p->fts_name, "link_f")) {
			rc = fts_set(fts, p, FTS_FOLLOW);
			printf("  set FOLLOW on link_f: %d\n", rc);
		}
		if (p->fts_info == FTS_SL && !strcmp(p->fts_name, "dangling")) {
			rc = fts_set(fts, p, FTS_FOLLOW);
			printf("  set FOLLOW on dangling: %d\n", rc);
		}
	}
	printf("  end: %s\n", errno ? ename(errno) : "errno 0");
	errno = 0;
	rc = fts_set(fts, fts->fts_cur ? fts->fts_cur : NULL, 99);
	printf("  set 99: %d %s\n", rc, ename(errno));
	closing(fts);

	/* FTS_FOLLOW on a child from fts_children, before it is read. */
	printf("fts follow children\n");
	fts = fts_open(w, FTS_PHYSICAL, by_name);
	must(fts != NULL, "fts_open");
	while ((p = fts_read(fts)) != NULL) {
		show(p);
		if (p->fts_info == FTS_D && p->fts_level == 0) {
			FTSENT *c;

			for (c = fts_children(fts, 0); c; c = c->fts_link)
				if (c->fts_info == FTS_SL)
					fts_set(fts, c, FTS_FOLLOW);
				else if (c->fts_info == FTS_D)
					fts_set(fts, c, FTS_SKIP);
		}
	}
	closing(fts);
}

static void print_children(const char *label, FTSENT *c)
{
	printf("  %s:", label);
	if (!c)
		printf(" none (%s)", errno ? ename(errno) : "errno 0");
	for (; c; c = c->fts_link)
		printf(" %s/%s/L%d/%s", c->fts_name, iname(c->fts_info), c->fts_level,
		       c->fts_accpath == c->fts_name ? "name" : c->fts_accpath == c->fts_path ? "path" : "other");
	printf(" cwd=%s\n", cwd_now());
}

static void test_children(void)
{
	char *w[] = {P("w"), P("w/b/d"), NULL};
	FTS *fts;
	FTSENT *p;

	printf("== fts_children\n");
	fts = fts_open(w, FTS_PHYSICAL, by_name);
	must(fts != NULL, "fts_open");
	print_children("before the first read", fts_children(fts, 0));
	errno = 0;
	print_children("bad instr", fts_children(fts, 7));
	while ((p = fts_read(fts)) != NULL) {
		show(p);
		if (p->fts_info == FTS_D && !strcmp(p->fts_name, "w")) {
			print_children("names of w", fts_children(fts, FTS_NAMEONLY));
			print_children("children of w", fts_children(fts, 0));
			print_children("children of w again", fts_children(fts, 0));
		}
		if (p->fts_info == FTS_D && !strcmp(p->fts_name, "b"))
			print_children("names of b", fts_children(fts, FTS_NAMEONLY));
		if (p->fts_info == FTS_D && !strcmp(p->fts_name, "empty"))
			print_children("children of empty", fts_children(fts, 0));
		if (p->fts_info == FTS_F && !strcmp(p->fts_name, "a.txt"))
			print_children("children of a file", fts_children(fts, 0));
	}
	closing(fts);

	printf("fts children with FTS_NOCHDIR\n");
	fts = fts_open(w, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	must(fts != NULL, "fts_open");
	while ((p = fts_read(fts)) != NULL)
		if (p->fts_info == FTS_D && p->fts_level <= 1)
			print_children(p->fts_path + strlen(root), fts_children(fts, 0));
	closing(fts);
}

static void test_long(void)
{
	char *l[] = {P("long"), NULL};

	printf("== paths past fts's first buffer\n");
	show_cwd = 0;
	walk("long", l, FTS_PHYSICAL, NULL);
	walk("long", l, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	show_cwd = 1;
}

static void test_relative(void)
{
	char *rel[] = {"w/b", "./w/a.txt", NULL};
	char *dot[] = {".", NULL};
	int fd = open(".", O_RDONLY | O_DIRECTORY);
	char here[PATH_MAX];

	printf("== relative roots, working directory in the root\n");
	must(fd >= 0 && chdir(root) == 0, "chdir root");
	walk("relative", rel, FTS_PHYSICAL, NULL);
	walk("relative", rel, FTS_PHYSICAL | FTS_NOCHDIR, by_name);
	walk("relative", rel, FTS_LOGICAL, NULL);
	must(chdir("w") == 0, "chdir w");
	walk("dot", dot, FTS_PHYSICAL, NULL);
	{
		FTS *fts = fts_open(dot, FTS_PHYSICAL, NULL);
		FTSENT *p;

		/* fts_children of a relative root before fts_read entered it. */
		must(fts != NULL, "fts_open");
		p = fts_read(fts);
		show(p);
		print_children("children of . at once", fts_children(fts, 0));
		closing(fts);
	}
	must(fchdir(fd) == 0, "fchdir back");
	close(fd);
	printf("back where it started: %s\n", getcwd(here, sizeof here) && !strstr(here, root) ? "yes" : "no");
}

static void test_fts64(void)
{
	char *w[] = {P("w/b"), NULL};
	FTS64 *fts;
	FTSENT64 *p;

	printf("== fts64\n");
	fts = fts64_open(w, FTS_PHYSICAL, by_name64);
	must(fts != NULL, "fts64_open");
	while ((p = fts64_read(fts)) != NULL) {
		printf("  %-6s L%d %s %c\n", iname(p->fts_info), p->fts_level, p->fts_path,
		       ftype(p->fts_statp->st_mode));
		if (p->fts_info == FTS_D && p->fts_level == 0) {
			FTSENT64 *c = fts64_children(fts, 0);

			for (; c; c = c->fts_link)
				if (!strcmp(c->fts_name, "d"))
					printf("  set skip d: %d\n", fts64_set(fts, c, FTS_SKIP));
		}
	}
	printf("  close: %d\n", fts64_close(fts));
}

int main(int argc, char **argv)
{
	int i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s ROOT\n", argv[0]);
		return 2;
	}
	root = argv[1];
	rootlen = strlen(root);
	must(getcwd(start_cwd, sizeof start_cwd) != NULL, "getcwd");
	setvbuf(stdout, NULL, _IONBF, 0);
	umask(022);
	must(mkdir(root, 0755) == 0, "mkdir root");
	walk_make_w();
	walk_make_real("/tmp/pt_fts.XXXXXX", "l");
	walk_make_m_cyc();
	/* long: 20 levels of 240-character names, 4.8 KB of path. */
	must(mkdir(P("long"), 0755) == 0, "mkdir long");
	{
		int fd = open(P("long"), O_RDONLY | O_DIRECTORY);
		char name[241];

		must(fd >= 0, "open long");
		memset(name, 'n', 240);
		name[240] = 0;
		for (i = 0; i < 20; i++) {
			int next;

			name[0] = (char)('a' + i);
			must(mkdirat(fd, name, 0755) == 0, "mkdirat long");
			next = openat(fd, name, O_RDONLY | O_DIRECTORY);
			must(next >= 0, "openat long");
			close(fd);
			fd = next;
		}
		i = openat(fd, "leaf", O_CREAT | O_WRONLY, 0644);
		must(i >= 0, "leaf");
		close(i);
		close(fd);
	}

	test_options();
	test_roots();
	test_real();
	test_set();
	test_children();
	test_long();
	test_relative();
	test_fts64();

	walk_drop_real();
	return 0;
}

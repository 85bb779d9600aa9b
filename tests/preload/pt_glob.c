/*
 * Differential scenario for glob and glob64, whose glibc versions list
 * and stat with internal calls: plain, magic directory parts, GLOB_MARK,
 * GLOB_NOSORT (directory order), GLOB_ONLYDIR and trailing slashes,
 * GLOB_PERIOD, GLOB_NOCHECK, GLOB_NOMAGIC, GLOB_NOESCAPE and escapes,
 * GLOB_BRACE (with a real path among the alternatives), GLOB_TILDE with
 * HOME in the root, GLOB_ERR and the error callback, GLOB_APPEND and
 * GLOB_DOOFFS, dangling links (matched by a literal name), relative
 * patterns from a working directory in the root, a link out of the root
 * to a real directory, and a caller's own GLOB_ALTDIRFUNC. After each call it prints the result code, gl_pathc,
 * gl_pathv (with the reserved NULL slots), gl_flags, and whether the
 * callback fields the caller left in glob_t are still there.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "walk_util.h"

static const char *rname(int rc)
{
	switch (rc) {
	case 0:
		return "0";
	case GLOB_NOSPACE:
		return "NOSPACE";
	case GLOB_ABORTED:
		return "ABORTED";
	case GLOB_NOMATCH:
		return "NOMATCH";
	default:
		return "?";
	}
}

static int on_error(const char *path, int err)
{
	printf("  errfunc(%s, %s)\n", N(path), ename(err));
	return 0;
}

static int on_error_stop(const char *path, int err)
{
	printf("  errfunc(%s, %s) -> stop\n", path, ename(err));
	return 1;
}

/* Values a caller might leave in the callback fields (glob without
 * GLOB_ALTDIRFUNC must not touch them). */
#define MARK(n) ((void *)(uintptr_t)(0x1000 + (n)))

static void preset(glob_t *g)
{
	g->gl_closedir = (void (*)(void *))MARK(1);
	g->gl_readdir = (struct dirent * (*)(void *)) MARK(2);
	g->gl_opendir = (void *(*)(const char *))MARK(3);
	g->gl_lstat = (int (*)(const char *, struct stat *))MARK(4);
	g->gl_stat = (int (*)(const char *, struct stat *))MARK(5);
	g->gl_flags = 0x7fff0000;
}

static void print(const char *label, int rc, const glob_t *g)
{
	size_t i;

	printf("%s -> %s pathc=%zu flags=%#x kept=%s\n", label, rname(rc), g->gl_pathc, (unsigned)g->gl_flags,
	       g->gl_closedir == (void (*)(void *))MARK(1) && g->gl_readdir == (struct dirent * (*)(void *)) MARK(2) &&
			       g->gl_opendir == (void *(*)(const char *))MARK(3) &&
			       g->gl_lstat == (int (*)(const char *, struct stat *))MARK(4) &&
			       g->gl_stat == (int (*)(const char *, struct stat *))MARK(5)
		       ? "yes"
		       : "no");
	if (rc != 0 && rc != GLOB_NOMATCH)
		return;
	if (!g->gl_pathv)
		return;
	for (i = 0; i < g->gl_offs + g->gl_pathc; i++)
		printf("  [%zu] %s\n", i, g->gl_pathv[i] ? N(g->gl_pathv[i]) : "(null)");
	printf("  end %s\n", g->gl_pathv[i] ? "not NULL" : "NULL");
}

static void one(const char *label, const char *pattern, int flags, int (*err)(const char *, int))
{
	glob_t g;
	int rc;

	memset(&g, 0, sizeof g);
	preset(&g);
	rc = glob(pattern, flags, err, &g);
	print(label, rc, &g);
	if (rc == 0 || (g.gl_pathv && rc == GLOB_NOMATCH))
		globfree(&g);
}

static void test_basic(void)
{
	printf("== patterns\n");
	one("all", P("w/*"), 0, NULL);
	one("mark", P("w/*"), GLOB_MARK, NULL);
	one("nosort (directory order)", P("w/*"), GLOB_NOSORT, NULL);
	one("period", P("w/*"), GLOB_PERIOD, NULL);
	one("dot files", P("w/.*"), 0, NULL);
	one("onlydir", P("w/*"), GLOB_ONLYDIR, NULL);
	one("trailing slash", P("w/*/"), 0, NULL);
	one("trailing slash, mark", P("w/*/"), GLOB_MARK, NULL);
	one("magic directory part", P("w/*/*.txt"), 0, NULL);
	one("two magic levels", P("*/b/?/*"), GLOB_MARK, NULL);
	one("bracket", P("w/[a-c]*"), 0, NULL);
	one("literal file", P("w/a.txt"), 0, NULL);
	one("literal missing", P("w/nope"), 0, NULL);
	one("literal dangling link", P("w/dangling"), 0, NULL);
	one("literal dangling link, mark", P("w/dangling"), GLOB_MARK, NULL);
	one("link to dir, mark", P("w/link_*"), GLOB_MARK, NULL);
	one("under a link", P("w/link_d/*"), 0, NULL);
	one("escape", P("w/sp\\*cial"), 0, NULL);
	one("noescape", P("w/sp\\*cial"), GLOB_NOESCAPE, NULL);
	one("star in name", P("w/sp*"), 0, NULL);
	one("nomatch", P("w/*.none"), 0, NULL);
	one("nocheck", P("w/*.none"), GLOB_NOCHECK, NULL);
	one("nomagic, no magic", P("w/nope"), GLOB_NOMAGIC, NULL);
	one("nomagic, magic", P("w/*.none"), GLOB_NOMAGIC, NULL);
	one("the root itself", root, GLOB_MARK, NULL);
	one("the root with magic", P("*"), GLOB_MARK, NULL);
	one("under a file", P("w/a.txt/*"), 0, on_error);
	one("missing directory", P("nope/*"), 0, on_error);
	one("missing directory, GLOB_ERR", P("nope/*"), GLOB_ERR, NULL);
	one("missing directory, errfunc stops", P("nope/*"), 0, on_error_stop);
	one("missing magic directory", P("no*/x*"), 0, on_error);
	one("bad flags", P("w/*"), 1 << 20, NULL);
}

static void test_brace_tilde(void)
{
	char pattern[PATH_MAX + 64];
	char *old = getenv("HOME");
	char *saved = old ? strdup(old) : NULL;

	printf("== brace and tilde\n");
	snprintf(pattern, sizeof pattern, "%s/w/{a.txt,b,nope}", root);
	one("brace", pattern, GLOB_BRACE, NULL);
	snprintf(pattern, sizeof pattern, "{%s/w/b/*,/dev/nul?}", root);
	one("brace with a real path", pattern, GLOB_BRACE, NULL);
	snprintf(pattern, sizeof pattern, "%s/w/{x,y", root);
	one("unbalanced brace", pattern, GLOB_BRACE | GLOB_NOCHECK, NULL);
	setenv("HOME", P("w"), 1);
	one("tilde", "~/b/*", GLOB_TILDE, NULL);
	one("tilde alone", "~", GLOB_TILDE | GLOB_MARK, NULL);
	one("tilde check", "~/*.txt", GLOB_TILDE_CHECK, NULL);
	one("no tilde flag", "~/*", 0, NULL);
	if (saved) {
		setenv("HOME", saved, 1);
		free(saved);
	} else {
		unsetenv("HOME");
	}
}

static void test_real(void)
{
	char pattern[PATH_MAX + 64];

	printf("== out of the root and back\n");
	one("through the link", P("x/real/*"), GLOB_MARK, NULL);
	one("through the link, two levels", P("x/*/*/*"), 0, NULL);
	one("only dirs through the link", P("x/*/*/"), 0, NULL);
	one("the link, mark", P("x/*"), GLOB_MARK, NULL);
	snprintf(pattern, sizeof pattern, "{%s/x/l*,%s/r*}", root, realdir);
	one("brace over both", pattern, GLOB_BRACE | GLOB_MARK, NULL);
	snprintf(pattern, sizeof pattern, "%s/../%s/r?", P("x/real"), strrchr(realdir, '/') + 1);
	one("dot-dot out of the real directory", pattern, 0, NULL);
}

static void test_append(void)
{
	glob_t g;
	int rc;

	printf("== append and offsets\n");
	memset(&g, 0, sizeof g);
	preset(&g);
	g.gl_offs = 2;
	rc = glob(P("w/b/*"), GLOB_DOOFFS, NULL, &g);
	print("dooffs", rc, &g);
	rc = glob(P("w/*.txt"), GLOB_DOOFFS | GLOB_APPEND, NULL, &g);
	print("append", rc, &g);
	rc = glob(P("w/*.none"), GLOB_DOOFFS | GLOB_APPEND, NULL, &g);
	print("append nomatch", rc, &g);
	rc = glob(P("w/*.none"), GLOB_DOOFFS | GLOB_APPEND | GLOB_NOCHECK, NULL, &g);
	print("append nocheck", rc, &g);
	rc = glob("/dev/nul?", GLOB_DOOFFS | GLOB_APPEND, NULL, &g);
	print("append a real path", rc, &g);
	globfree(&g);
}

static void test_relative(void)
{
	int fd = open(".", O_RDONLY | O_DIRECTORY);

	printf("== relative patterns, working directory in the root\n");
	must(fd >= 0 && chdir(root) == 0, "chdir root");
	one("w/*", "w/*", GLOB_MARK, NULL);
	one("*", "*", 0, NULL);
	one("*/*", "*/*", 0, NULL);
	one("./w/b/*", "./w/b/*", 0, NULL);
	must(chdir("w/b") == 0, "chdir w/b");
	one("../*.txt", "../*.txt", 0, NULL);
	one("*", "*", GLOB_ONLYDIR, NULL);
	one("literal", "c.txt", 0, NULL);
	must(fchdir(fd) == 0, "fchdir back");
	close(fd);
}

/* A caller's own directory functions: glob calls them, and they reach
 * the tree through the wrappers of the functions they call. */
static int calls;

static void *my_opendir(const char *name)
{
	calls++;
	return opendir(name);
}

static struct dirent *my_readdir(void *d)
{
	return readdir(d);
}

static void my_closedir(void *d)
{
	closedir(d);
}

static int my_stat(const char *name, struct stat *st)
{
	return stat(name, st);
}

static int my_lstat(const char *name, struct stat *st)
{
	return lstat(name, st);
}

static void test_altdirfunc(void)
{
	glob_t g;
	int rc;

	printf("== caller's GLOB_ALTDIRFUNC\n");
	memset(&g, 0, sizeof g);
	g.gl_opendir = my_opendir;
	g.gl_readdir = my_readdir;
	g.gl_closedir = my_closedir;
	g.gl_stat = my_stat;
	g.gl_lstat = my_lstat;
	rc = glob(P("w/*/*"), GLOB_ALTDIRFUNC | GLOB_MARK, NULL, &g);
	printf("altdirfunc -> %s pathc=%zu flags=%#x opendir calls=%d own callbacks=%s\n", rname(rc), g.gl_pathc,
	       (unsigned)g.gl_flags, calls, g.gl_opendir == my_opendir ? "yes" : "no");
	for (size_t i = 0; i < g.gl_pathc; i++)
		printf("  %s\n", g.gl_pathv[i]);
	globfree(&g);
}

static void test_glob64(void)
{
	glob64_t g;
	int rc;
	size_t i;

	printf("== glob64\n");
	memset(&g, 0, sizeof g);
	rc = glob64(P("w/*"), GLOB_MARK | GLOB_PERIOD, NULL, &g);
	printf("glob64 -> %s pathc=%zu flags=%#x\n", rname(rc), g.gl_pathc, (unsigned)g.gl_flags);
	for (i = 0; i < g.gl_pathc; i++)
		printf("  %s\n", g.gl_pathv[i]);
	globfree64(&g);
	memset(&g, 0, sizeof g);
	rc = glob64(P("w/*/"), GLOB_NOSORT, NULL, &g);
	printf("glob64 dirs -> %s pathc=%zu\n", rname(rc), g.gl_pathc);
	for (i = 0; i < g.gl_pathc; i++)
		printf("  %s\n", g.gl_pathv[i]);
	globfree64(&g);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s ROOT\n", argv[0]);
		return 2;
	}
	root = argv[1];
	setvbuf(stdout, NULL, _IONBF, 0);
	umask(022);
	must(mkdir(root, 0755) == 0, "mkdir root");
	must(mkdir(P("w"), 0755) == 0, "mkdir w");
	touch("w/a.txt", NULL);
	touch("w/c.txt", NULL);
	must(mkdir(P("w/b"), 0755) == 0, "mkdir b");
	touch("w/b/c.txt", NULL);
	must(mkdir(P("w/b/d"), 0755) == 0, "mkdir d");
	touch("w/b/d/e.txt", NULL);
	touch("w/b/z.dat", NULL);
	must(mkdir(P("w/e"), 0755) == 0, "mkdir e");
	touch("w/sp*cial", NULL);
	touch("w/.hidden", NULL);
	must(mkdir(P("w/.hdir"), 0755) == 0, "mkdir .hdir");
	must(symlink("a.txt", P("w/link_f")) == 0, "symlink link_f");
	must(symlink("b", P("w/link_d")) == 0, "symlink link_d");
	must(symlink("nowhere", P("w/dangling")) == 0, "symlink dangling");
	touch("w/B.txt", NULL);
	walk_make_real("/tmp/pt_glob.XXXXXX", NULL);

	test_basic();
	test_brace_tilde();
	test_real();
	test_append();
	test_relative();
	test_altdirfunc();
	test_glob64();

	walk_drop_real();
	return 0;
}

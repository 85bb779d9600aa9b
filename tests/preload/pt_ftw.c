/*
 * Differential scenario for ftw and nftw (and their 64 forms), whose
 * glibc versions open and stat with internal calls: every flag
 * (FTW_PHYS, FTW_MOUNT, FTW_CHDIR, FTW_DEPTH, FTW_ACTIONRETVAL and its
 * skip/stop values), every type (F, D, DP, SL, SLN, NS), the FTW base and
 * level, the nopenfd limit (1 and 2 descriptors on a deep tree, with and
 * without FTW_CHDIR), symlink cycles, a link looping on itself (the walk
 * fails with ELOOP), start points that are files, links, dangling or
 * missing, relative starts from a working directory in the root, and a
 * callback's return value stopping the walk, and a walk that leaves the
 * root through a link to a real directory (and comes back). Each visit
 * prints the type,
 * path, base, level, file type and size (not for FTW_NS, whose stat
 * buffer is undefined) and, under FTW_CHDIR, the working directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "walk_util.h"

static const char *tname(int t)
{
	static const char *names[] = {"F", "D", "DNR", "NS", "SL", "DP", "SLN"};

	return t >= 0 && t <= FTW_SLN ? names[t] : "?";
}

static char ftype(mode_t m)
{
	return S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISREG(m) ? 'f' : '?';
}

/* ---- callbacks ---- */

static int show_cwd;  /* print the working directory at each visit */
static int show_fds;  /* print how many descriptors the walk holds */
static int fd_base;   /* the lowest free descriptor before the walk */
static int stop_at;   /* return 42 at this visit (1-based), 0: never */
static int visits;
static const char *action_name; /* FTW_ACTIONRETVAL: act at this base name */
static int action_value;

static void visit(const char *path, const struct stat *st, int type, const struct FTW *f)
{
	printf("  %-3s %s", tname(type), N(path));
	if (f)
		printf(" name=%s level=%d", N(path + f->base), f->level); /* base differs with the root */
	if (type != FTW_NS)
		printf(" %c %lld", ftype(st->st_mode), S_ISREG(st->st_mode) ? (long long)st->st_size : 0LL);
	if (show_fds) {
		int fd = dup(0);

		printf(" fds=+%d", fd - fd_base); /* streams open and the way back */
		close(fd);
	}
	if (show_cwd) {
		char cwd[PATH_MAX];

		printf(" cwd=%s", getcwd(cwd, sizeof cwd) ? N(cwd) : ename(errno));
	}
	printf("\n");
}

static int on_nftw(const char *path, const struct stat *st, int type, struct FTW *f)
{
	visit(path, st, type, f);
	if (++visits == stop_at)
		return 42;
	if (action_name && !strcmp(path + f->base, action_name))
		return action_value;
	return 0;
}

static int on_nftw64(const char *path, const struct stat64 *st, int type, struct FTW *f)
{
	return on_nftw(path, (const struct stat *)(const void *)st, type, f);
}

static int on_ftw(const char *path, const struct stat *st, int type)
{
	visit(path, st, type, NULL);
	return ++visits == stop_at ? 42 : 0;
}

static int on_ftw64(const char *path, const struct stat64 *st, int type)
{
	return on_ftw(path, (const struct stat *)(const void *)st, type);
}

/* ---- runs ---- */

static void run_nftw(const char *label, const char *start, int nopenfd, int flags)
{
	int rc;

	printf("nftw %s flags=%#x nopenfd=%d\n", label, flags, nopenfd);
	visits = 0;
	fd_base = dup(0);
	close(fd_base);
	errno = 0;
	rc = nftw(start, on_nftw, nopenfd, flags);
	printf("  -> %d %s\n", rc, rc == -1 ? ename(errno) : "-");
}

static void test_flags(void)
{
	static const int sets[] = {0,
				   FTW_PHYS,
				   FTW_DEPTH,
				   FTW_PHYS | FTW_DEPTH,
				   FTW_MOUNT,
				   FTW_CHDIR,
				   FTW_CHDIR | FTW_PHYS | FTW_DEPTH,
				   FTW_PHYS | FTW_MOUNT};
	size_t i;

	printf("== flags\n");
	for (i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		show_cwd = (sets[i] & FTW_CHDIR) != 0;
		run_nftw("w", P("w"), 16, sets[i]);
	}
	show_cwd = 0;
	/* The link to "/" is another device: FTW_MOUNT leaves it out (and
	 * FTW_PHYS reports the link itself). */
	run_nftw("m mount", P("m"), 8, FTW_MOUNT);
	run_nftw("m mount phys", P("m"), 8, FTW_MOUNT | FTW_PHYS);
	run_nftw("m mount depth", P("m"), 8, FTW_MOUNT | FTW_DEPTH);
}

static void test_actions(void)
{
	printf("== FTW_ACTIONRETVAL\n");
	action_name = "b";
	action_value = FTW_SKIP_SUBTREE;
	run_nftw("skip subtree at b", P("w"), 8, FTW_ACTIONRETVAL | FTW_PHYS);
	action_value = FTW_SKIP_SIBLINGS;
	run_nftw("skip siblings at b", P("w"), 8, FTW_ACTIONRETVAL | FTW_PHYS);
	run_nftw("skip siblings at b, depth", P("w"), 8, FTW_ACTIONRETVAL | FTW_PHYS | FTW_DEPTH);
	action_name = "c.txt";
	run_nftw("skip siblings at c.txt, depth", P("w"), 8, FTW_ACTIONRETVAL | FTW_PHYS | FTW_DEPTH);
	action_value = FTW_STOP;
	run_nftw("stop at c.txt", P("w"), 8, FTW_ACTIONRETVAL | FTW_PHYS);
	show_cwd = 1;
	run_nftw("stop at c.txt, chdir", P("w"), 8, FTW_ACTIONRETVAL | FTW_PHYS | FTW_CHDIR);
	action_value = FTW_SKIP_SIBLINGS;
	run_nftw("skip siblings at c.txt, chdir", P("w"), 8, FTW_ACTIONRETVAL | FTW_PHYS | FTW_CHDIR);
	show_cwd = 0;
	action_name = "w";
	action_value = FTW_SKIP_SUBTREE;
	run_nftw("skip subtree at the start", P("w"), 8, FTW_ACTIONRETVAL);
	action_value = FTW_SKIP_SIBLINGS;
	run_nftw("skip siblings at the start", P("w"), 8, FTW_ACTIONRETVAL);
	action_name = NULL;
	/* Without FTW_ACTIONRETVAL any nonzero value stops the walk. */
	stop_at = 4;
	run_nftw("callback returns 42 at the 4th visit", P("w"), 8, FTW_PHYS);
	show_cwd = 1;
	run_nftw("callback returns 42, chdir", P("w"), 8, FTW_PHYS | FTW_CHDIR);
	show_cwd = 0;
	stop_at = 0;
}

static void test_descriptors(void)
{
	static const int sets[] = {0, FTW_PHYS, FTW_CHDIR | FTW_PHYS, FTW_CHDIR | FTW_DEPTH, FTW_CHDIR};
	size_t i;
	int n;

	printf("== nopenfd\n");
	show_fds = 1;
	for (n = 1; n <= 2; n++)
		for (i = 0; i < sizeof sets / sizeof sets[0]; i++) {
			show_cwd = (sets[i] & FTW_CHDIR) != 0;
			run_nftw("deep", P("deep"), n, sets[i]);
		}
	show_cwd = 0;
	run_nftw("w with nopenfd 3", P("w"), 3, FTW_PHYS);
	run_nftw("w with nopenfd 0", P("w"), 0, FTW_PHYS);
	run_nftw("w with nopenfd -5", P("w"), -5, 0);
	show_fds = 0;
}

static void test_starts(void)
{
	printf("== start points\n");
	run_nftw("file", P("w/a.txt"), 4, 0);
	run_nftw("link to file", P("w/link_f"), 4, 0);
	run_nftw("link to file, phys", P("w/link_f"), 4, FTW_PHYS);
	run_nftw("link to dir", P("w/link_d"), 4, 0);
	run_nftw("link to dir, phys", P("w/link_d"), 4, FTW_PHYS);
	run_nftw("dangling link", P("w/dangling"), 4, 0);
	run_nftw("dangling link, phys", P("w/dangling"), 4, FTW_PHYS);
	run_nftw("missing", P("w/missing"), 4, 0);
	run_nftw("missing, chdir", P("w/missing"), 4, FTW_CHDIR);
	run_nftw("under a file", P("w/a.txt/x"), 4, 0);
	run_nftw("trailing slashes", P("w/b///"), 4, 0);
	run_nftw("empty dir", P("w/b/empty"), 4, FTW_DEPTH);
	run_nftw("self loop", P("loop"), 4, 0);
	run_nftw("self loop, phys", P("loop"), 4, FTW_PHYS);
	run_nftw("the empty path", "", 4, 0);
	run_nftw("bad flags", P("w"), 4, 0x400);
	run_nftw("cycle", P("cyc"), 4, 0);
	run_nftw("cycle, phys", P("cyc"), 4, FTW_PHYS);
	run_nftw("cycle, chdir", P("cyc"), 4, FTW_CHDIR);
}

static void test_real(void)
{
	printf("== out of the root and back\n");
	run_nftw("x", P("x"), 8, 0);
	run_nftw("x phys", P("x"), 8, FTW_PHYS);
	show_cwd = 1;
	run_nftw("x chdir", P("x"), 8, FTW_CHDIR);
	run_nftw("x chdir depth, one descriptor", P("x"), 1, FTW_CHDIR | FTW_DEPTH);
	show_cwd = 0;
	run_nftw("x mount", P("x"), 8, FTW_MOUNT);
	run_nftw("the real directory", realdir, 8, FTW_DEPTH);
	run_nftw("the link itself", P("x/real"), 8, 0);
}

static void test_relative(void)
{
	char here[PATH_MAX];
	int fd = open(".", O_RDONLY | O_DIRECTORY);

	printf("== relative start, working directory in the root\n");
	must(fd >= 0 && getcwd(here, sizeof here) != NULL, "cwd");
	must(chdir(root) == 0, "chdir root");
	run_nftw("w", "w", 8, 0);
	show_cwd = 1;
	run_nftw("w chdir", "w", 8, FTW_CHDIR);
	run_nftw("w/b chdir depth", "w/b", 8, FTW_CHDIR | FTW_DEPTH);
	run_nftw("./w/b/ chdir", "./w/b/", 8, FTW_CHDIR);
	run_nftw(". chdir", ".", 8, FTW_CHDIR | FTW_PHYS);
	must(chdir("w/b") == 0, "chdir w/b");
	run_nftw(".. chdir", "..", 8, FTW_CHDIR | FTW_PHYS);
	show_cwd = 0;
	must(fchdir(fd) == 0, "fchdir back");
	close(fd);
	printf("back where it started: %s\n",
	       getcwd(here, sizeof here) && strstr(here, root) == NULL ? "yes" : "no");
}

static void test_ftw(void)
{
	int rc;

	printf("== ftw\n");
	errno = 0;
	rc = ftw(P("w"), on_ftw, 4);
	printf("  -> %d\n", rc);
	rc = ftw(P("w/dangling"), on_ftw, 4);
	printf("  dangling -> %d\n", rc);
	rc = ftw(P("w/missing"), on_ftw, 4);
	printf("  missing -> %d %s\n", rc, ename(errno));
	stop_at = 3;
	visits = 0;
	rc = ftw(P("w"), on_ftw, 1);
	printf("  stopped -> %d\n", rc);
	stop_at = 0;
	printf("== ftw64 and nftw64\n");
	visits = 0;
	rc = ftw64(P("w/b"), on_ftw64, 4);
	printf("  ftw64 -> %d\n", rc);
	show_cwd = 1;
	rc = nftw64(P("w/b"), on_nftw64, 4, FTW_DEPTH | FTW_CHDIR | FTW_PHYS);
	printf("  nftw64 -> %d\n", rc);
	show_cwd = 0;
}

int main(int argc, char **argv)
{
	int i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s ROOT\n", argv[0]);
		return 2;
	}
	root = argv[1];
	setvbuf(stdout, NULL, _IONBF, 0);
	umask(022);
	must(mkdir(root, 0755) == 0, "mkdir root");
	/* w: files, subdirectories, an empty one, links of every kind. A
	 * listing runs newest first, so link_d (made after b) is met before
	 * b: without FTW_PHYS the walk enters b through link_d and then
	 * leaves b itself out. */
	walk_make_w();
	walk_make_real("/tmp/pt_ftw.XXXXXX", "l");
	walk_make_m_cyc();
	/* loop: a directory holding a link that loops on itself. */
	must(mkdir(P("loop"), 0755) == 0, "mkdir loop");
	touch("loop/before", "");
	must(symlink("self", P("loop/self")) == 0, "symlink self");
	touch("loop/after", "");
	/* deep: nine levels with a file and a sibling directory at each, so
	 * a small nopenfd gives up streams in the middle of listings. */
	must(mkdir(P("deep"), 0755) == 0, "mkdir deep");
	{
		char rel[256] = "deep";

		for (i = 0; i < 9; i++) {
			char name[300];

			snprintf(name, sizeof name, "%s/f%d", rel, i);
			touch(name, "x");
			snprintf(name, sizeof name, "%s/s%d", rel, i);
			must(mkdir(P(name), 0755) == 0, "mkdir sibling");
			snprintf(name, sizeof name, "%s/s%d/g", rel, i);
			touch(name, "yy");
			snprintf(name, sizeof name, "%s/n%d", rel, i);
			must(mkdir(P(name), 0755) == 0, "mkdir deeper");
			strcpy(rel, name);
		}
	}

	test_flags();
	test_actions();
	test_descriptors();
	test_starts();
	test_real();
	test_relative();
	test_ftw();

	walk_drop_real();
	return 0;
}

/*
 * Shared by the walker scenarios (pt_fts.c, pt_ftw.c, pt_glob.c): names
 * under the root and in a real directory outside it, the output filter for
 * that directory's random name, and the parts of the fixture the three
 * build alike. Each scenario is its own program; the functions are static
 * inline so an unused one costs nothing.
 */
#ifndef PT_WALK_UTIL_H
#define PT_WALK_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *root;
static char realdir[64]; /* a real directory outside the root, named REAL */

static inline const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

static inline void must(int ok, const char *what)
{
	if (!ok) {
		printf("FATAL %s: %s\n", what, ename(errno));
		exit(1);
	}
}

/* A name under the root (eight in use at once). */
static inline char *P(const char *name)
{
	static char buf[8][PATH_MAX];
	static int which;

	which = (which + 1) % 8;
	snprintf(buf[which], sizeof buf[which], "%s/%s", root, name);
	return buf[which];
}

/* A name in the real directory (four in use at once). */
static inline char *R(const char *name)
{
	static char buf[4][PATH_MAX];
	static int which;

	which = (which + 1) % 4;
	snprintf(buf[which], sizeof buf[which], "%s/%s", realdir, name);
	return buf[which];
}

/* s with the real directory spelled REAL, and its random name REALNAME
 * where it appears elsewhere (reached through "..", or as fts_name). */
static inline const char *N(const char *s)
{
	static char buf[4][PATH_MAX + 16];
	static int which;
	const char *base = strrchr(realdir, '/'), *hit;
	size_t len = strlen(realdir);

	if (!len)
		return s;
	which = (which + 1) % 4;
	if (!strncmp(s, realdir, len))
		snprintf(buf[which], sizeof buf[which], "REAL%s", s + len);
	else if ((hit = strstr(s, base + 1)) != NULL)
		snprintf(buf[which], sizeof buf[which], "%.*sREALNAME%s", (int)(hit - s), s,
			 hit + strlen(base + 1));
	else
		return s;
	return buf[which];
}

/* A file under the root holding text (NULL: empty). */
static inline void touch(const char *name, const char *text)
{
	int fd = open(P(name), O_CREAT | O_WRONLY | O_TRUNC, 0644);

	must(fd >= 0, name);
	if (text)
		must(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write");
	close(fd);
}

/* w: files, subdirectories, an empty one, links of every kind, and a link
 * to a directory whose parent is not w (the way back up from it must not
 * be ".."). A listing runs newest first, so link_d (made after b) is met
 * before b. */
static inline void walk_make_w(void)
{
	must(mkdir(P("w"), 0755) == 0, "mkdir w");
	touch("w/a.txt", "alpha");
	must(mkdir(P("w/b"), 0755) == 0, "mkdir b");
	touch("w/b/c.txt", "charlie!");
	must(mkdir(P("w/b/d"), 0755) == 0, "mkdir d");
	touch("w/b/d/e.txt", "e");
	must(mkdir(P("w/b/empty"), 0755) == 0, "mkdir empty");
	touch("w/b/z.txt", "zz");
	must(symlink("a.txt", P("w/link_f")) == 0, "symlink link_f");
	must(symlink("b", P("w/link_d")) == 0, "symlink link_d");
	must(symlink("nowhere", P("w/dangling")) == 0, "symlink dangling");
	touch("w/.hidden", "");
	must(symlink("../cyc/x", P("w/far")) == 0, "symlink far");
}

/* A real directory (mkdtemp of tmpl) with rsub, r1 and rsub/r2, and x: a
 * directory in the root holding x/local (text) and x/real, a link out of
 * the root to it. */
static inline void walk_make_real(const char *tmpl, const char *local_text)
{
	snprintf(realdir, sizeof realdir, "%s", tmpl);
	must(mkdtemp(realdir) != NULL, "mkdtemp");
	must(mkdir(R("rsub"), 0755) == 0, "mkdir rsub");
	must(close(open(R("r1"), O_CREAT | O_WRONLY, 0644)) == 0, "r1");
	must(close(open(R("rsub/r2"), O_CREAT | O_WRONLY, 0644)) == 0, "r2");
	must(mkdir(P("x"), 0755) == 0, "mkdir x");
	touch("x/local", local_text);
	must(symlink(realdir, P("x/real")) == 0, "symlink real");
}

/* m: a link to another device; cyc: a link back up, a cycle when links
 * are followed. */
static inline void walk_make_m_cyc(void)
{
	must(mkdir(P("m"), 0755) == 0, "mkdir m");
	must(symlink("/", P("m/out")) == 0, "symlink out");
	touch("m/f", "f");
	must(mkdir(P("cyc"), 0755) == 0, "mkdir cyc");
	must(mkdir(P("cyc/x"), 0755) == 0, "mkdir cyc/x");
	must(symlink("..", P("cyc/x/up")) == 0, "symlink up");
	touch("cyc/x/f", "");
}

/* The real directory goes again. */
static inline void walk_drop_real(void)
{
	must(unlink(R("rsub/r2")) == 0 && rmdir(R("rsub")) == 0 && unlink(R("r1")) == 0 && rmdir(realdir) == 0,
	     "remove the real directory");
}

#endif

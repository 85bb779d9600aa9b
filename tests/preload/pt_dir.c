/*
 * Differential scenario for directory streams, the working directory and
 * canonical paths: opendir/readdir loops (plain, 64, _r), telldir/seekdir
 * resume, rewinddir, scandir and scandirat with alphasort and a filter,
 * fdopendir and dirfd, getdents64, listings of removed directories;
 * chdir into and out of the root with relative work there, getcwd in
 * every size, get_current_dir_name, getwd, fchdir; realpath of files,
 * symlinks, dangling and looping links (with the partial result glibc
 * leaves in the buffer). Prints names and errors, never inodes, offsets
 * or times; listings are printed in the order read (tmpfs and ramdir both
 * list newest first) and sorted where the order is not the point.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Fortify entry points, called by their exported symbols. */
char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen);
char *__getcwd_chk(char *buf, size_t size, size_t buflen);

static const char *root;
static size_t rootlen;

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

static void must(int ok, const char *what)
{
	if (!ok) {
		printf("FATAL %s: %s\n", what, ename(errno));
		exit(1);
	}
}

#define SHOW(label, call)                                                                   \
	do {                                                                                \
		int show_rc = (call);                                                       \
		int show_e = errno;                                                         \
		printf("%s: %d %s\n", label, show_rc < 0 ? -1 : show_rc, show_rc < 0 ? ename(show_e) : "-"); \
	} while (0)

static const char *P(const char *name)
{
	static char buf[4][PATH_MAX];
	static int which;

	which = (which + 1) % 4;
	snprintf(buf[which], sizeof buf[which], "%s/%s", root, name);
	return buf[which];
}

static void touch(const char *name, const char *text)
{
	int fd = open(P(name), O_CREAT | O_WRONLY | O_TRUNC, 0644);

	must(fd >= 0, name);
	if (text)
		must(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write");
	close(fd);
}

static const char *tname(unsigned char t)
{
	switch (t) {
	case DT_DIR:
		return "dir";
	case DT_REG:
		return "reg";
	case DT_LNK:
		return "lnk";
	case DT_UNKNOWN:
		return "unknown";
	default:
		return "other";
	}
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- listings ---- */

/* Read a whole stream with readdir: names in order into out (count). */
static int list_all(DIR *d, char out[][64], int max)
{
	struct dirent *e;
	int n = 0;

	errno = 0;
	while ((e = readdir(d)) != NULL) {
		if (n < max)
			snprintf(out[n], 64, "%s:%s", e->d_name, tname(e->d_type));
		n++;
	}
	if (errno)
		printf("  readdir ended with %s\n", ename(errno));
	return n;
}

static void print_list(const char *label, char names[][64], int n)
{
	int i;

	printf("%s (%d):", label, n);
	for (i = 0; i < n && i < 64; i++)
		printf(" %s", names[i]);
	printf("\n");
}

static void print_sorted(const char *label, char names[][64], int n)
{
	char *ptr[64];
	int i;

	for (i = 0; i < n && i < 64; i++)
		ptr[i] = names[i];
	qsort(ptr, (size_t)(n < 64 ? n : 64), sizeof *ptr, cmpstr);
	printf("%s (%d):", label, n);
	for (i = 0; i < n && i < 64; i++)
		printf(" %s", ptr[i]);
	printf("\n");
}

static void test_readdir(void)
{
	char names[64][64];
	struct dirent *e;
	struct dirent64 *e64;
	struct dirent ent, *res;
	DIR *d;
	int n, rc;

	printf("== readdir\n");
	d = opendir(P("d"));
	must(d != NULL, "opendir d");
	errno = 0;
	printf("telldir at open is 0: %s\n", telldir(d) == 0 ? "yes" : "no");
	n = list_all(d, names, 64);
	print_list("readdir order", names, n);
	printf("errno after end: %s\n", errno ? ename(errno) : "0");
	errno = EXDEV;
	e = readdir(d);
	printf("readdir at end again: %s, errno kept: %s\n", e ? "entry" : "NULL", errno == EXDEV ? "yes" : "no");
	rewinddir(d);
	printf("telldir after rewind is 0: %s\n", telldir(d) == 0 ? "yes" : "no");
	n = 0;
	while ((e64 = readdir64(d)) != NULL)
		snprintf(names[n++], 64, "%s:%s", e64->d_name, tname(e64->d_type));
	print_list("readdir64 order", names, n);
	rewinddir(d);
	n = 0;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	while ((rc = readdir_r(d, &ent, &res)) == 0 && res) {
		if (res != &ent)
			printf("readdir_r result is not the entry\n");
		snprintf(names[n++], 64, "%s", ent.d_name);
	}
#pragma GCC diagnostic pop
	printf("readdir_r end rc %d result %s\n", rc, res ? "set" : "NULL");
	print_sorted("readdir_r sorted", names, n);
	SHOW("closedir", closedir(d));

	/* An empty directory lists . and .. only. */
	d = opendir(P("d/s"));
	must(d != NULL, "opendir d/s");
	n = list_all(d, names, 64);
	print_sorted("empty dir", names, n);
	closedir(d);

	/* Through a symlink to a directory, and with a trailing slash. */
	d = opendir(P("d/ls/"));
	printf("opendir symlink/: %s\n", d ? "ok" : ename(errno));
	if (d)
		closedir(d);
	errno = 0;
	d = opendir(P("nope"));
	printf("opendir missing: %s %s\n", d ? "DIR" : "NULL", ename(errno));
	d = opendir(P("d/a"));
	printf("opendir file: %s %s\n", d ? "DIR" : "NULL", ename(errno));
	d = opendir(P("d/a/"));
	printf("opendir file/: %s %s\n", d ? "DIR" : "NULL", ename(errno));
	d = opendir(P("d/dl"));
	printf("opendir dangling: %s %s\n", d ? "DIR" : "NULL", ename(errno));
	d = opendir("");
	printf("opendir empty: %s %s\n", d ? "DIR" : "NULL", ename(errno));
	d = opendir(P("d/a/x"));
	printf("opendir under a file: %s %s\n", d ? "DIR" : "NULL", ename(errno));
}

static void test_seek(void)
{
	char first[64][64], second[64][64];
	struct dirent *e;
	long pos;
	int i, n1 = 0, n2 = 0, same;
	DIR *d = opendir(P("many"));

	printf("== telldir/seekdir\n");
	must(d != NULL, "opendir many");
	for (i = 0; i < 5; i++)
		must(readdir(d) != NULL, "readdir many");
	pos = telldir(d);
	while ((e = readdir(d)) != NULL)
		snprintf(first[n1++], 64, "%s", e->d_name);
	seekdir(d, pos);
	printf("telldir after seekdir matches: %s\n", telldir(d) == pos ? "yes" : "no");
	while ((e = readdir(d)) != NULL)
		snprintf(second[n2++], 64, "%s", e->d_name);
	same = n1 == n2;
	for (i = 0; same && i < n1; i++)
		same = !strcmp(first[i], second[i]);
	printf("rest after 5: %d entries, resumed the same: %s\n", n1, same ? "yes" : "no");
	print_list("rest", first, n1);
	seekdir(d, 0);
	for (n1 = 0; readdir(d); n1++)
		;
	printf("after seekdir(0): %d entries\n", n1);
	closedir(d);
}

/* A stream on a real directory ("/") read in step with one on the root's
 * d: each wrapper must tell the two apart. */
static void test_mixed(void)
{
	struct dirent **list;
	struct dirent *e;
	DIR *t = opendir(P("d")), *r = opendir("/");
	int nt = 0, nr = 0, proc = 0, more = 1, i, n;
	char name[256];
	long pos;

	printf("== mixed real and root streams\n");
	must(t && r, "opendir d and /");
	while (more) {
		more = 0;
		if ((e = readdir(t)) != NULL) {
			nt++;
			more = 1;
		}
		if ((e = readdir(r)) != NULL) {
			nr++;
			proc |= !strcmp(e->d_name, "proc");
			more = 1;
		}
	}
	printf("root stream %d entries, / has proc: %s, / nonempty: %s\n", nt, proc ? "yes" : "no",
	       nr > 2 ? "yes" : "no");
	rewinddir(r);
	e = readdir(r);
	pos = telldir(r);
	e = readdir(r);
	must(e != NULL, "readdir /");
	snprintf(name, sizeof name, "%s", e->d_name);
	seekdir(r, pos);
	e = readdir(r);
	printf("real seekdir resumes: %s\n", e && !strcmp(e->d_name, name) ? "same name" : "moved");
	printf("dirfd of / is not d's: %s\n", dirfd(r) != dirfd(t) ? "yes" : "no");
	SHOW("closedir /", closedir(r));
	SHOW("closedir d", closedir(t));
	n = scandir("/", &list, NULL, alphasort);
	printf("scandir / sorted first: %s\n", n > 0 ? list[0]->d_name : "none");
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static int no_dots(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* A filter that leaves errno set, as one making failed calls would. */
static int noisy(const struct dirent *e)
{
	errno = EIO;
	return e->d_name[0] != 'c';
}

static int no_dots64(const struct dirent64 *e)
{
	return e->d_name[0] != '.';
}

static void print_namelist(const char *label, struct dirent **list, int n)
{
	int i;

	printf("%s: %d", label, n);
	for (i = 0; i < n; i++) {
		printf(" %s:%s", list[i]->d_name, tname(list[i]->d_type));
		free(list[i]);
	}
	printf("\n");
	free(list);
}

static void test_scandir(void)
{
	struct dirent **list = NULL;
	struct dirent64 **list64 = NULL;
	int n, fd, i, saved;

	printf("== scandir\n");
	errno = EXDEV;
	n = scandir(P("d"), &list, NULL, alphasort);
	saved = errno;
	print_namelist("scandir alphasort", list, n);
	printf("errno kept on success: %s\n", saved == EXDEV ? "yes" : "no");
	n = scandir(P("d"), &list, no_dots, alphasort);
	print_namelist("scandir no dots", list, n);
	n = scandir(P("d"), &list, no_dots, versionsort);
	print_namelist("scandir versionsort", list, n);
	n = scandir(P("d"), &list, noisy, NULL);
	print_namelist("scandir unsorted, filter leaving errno", list, n);
	n = scandir64(P("d"), &list64, no_dots64, alphasort64);
	printf("scandir64: %d", n);
	for (i = 0; i < n; i++) {
		printf(" %s", list64[i]->d_name);
		free(list64[i]);
	}
	printf("\n");
	free(list64);
	n = scandir(P("d/s"), &list, no_dots, alphasort);
	printf("scandir empty: %d list %s\n", n, list ? "set" : "NULL");
	free(list);
	SHOW("scandir missing", scandir(P("nope"), &list, NULL, alphasort));
	SHOW("scandir file", scandir(P("d/a"), &list, NULL, alphasort));
	SHOW("scandir empty name", scandir("", &list, NULL, alphasort));

	fd = open(root, O_RDONLY | O_DIRECTORY);
	must(fd >= 0, "open root");
	n = scandirat(fd, "d", &list, no_dots, alphasort);
	print_namelist("scandirat", list, n);
	n = scandirat64(fd, "d/../d/s/..", &list64, no_dots64, alphasort64);
	printf("scandirat64 with ..: %d\n", n);
	for (i = 0; i < n; i++)
		free(list64[i]);
	free(list64);
	SHOW("scandirat missing", scandirat(fd, "nope", &list, NULL, NULL));
	n = scandirat(AT_FDCWD, P("d"), &list, no_dots, alphasort);
	print_namelist("scandirat AT_FDCWD absolute", list, n);
	close(fd);
}

static void test_fdopendir(void)
{
	char names[64][64];
	struct stat st;
	DIR *d;
	int rootfd, fd, n;

	printf("== fdopendir and dirfd\n");
	rootfd = open(root, O_RDONLY | O_DIRECTORY);
	must(rootfd >= 0, "open root");
	fd = openat(rootfd, "d", O_RDONLY | O_DIRECTORY);
	must(fd >= 0, "openat d");
	d = fdopendir(fd);
	must(d != NULL, "fdopendir");
	printf("dirfd is the descriptor: %s\n", dirfd(d) == fd ? "yes" : "no");
	SHOW("fstatat(dirfd, a)", fstatat(dirfd(d), "a", &st, 0));
	printf("a: reg %d size %lld\n", S_ISREG(st.st_mode), (long long)st.st_size);
	SHOW("fstatat(dirfd, l, nofollow)", fstatat(dirfd(d), "l", &st, AT_SYMLINK_NOFOLLOW));
	printf("l: lnk %d\n", S_ISLNK(st.st_mode));
	n = list_all(d, names, 64);
	print_list("fdopendir order", names, n);
	SHOW("closedir", closedir(d));
	SHOW("fcntl on the closed descriptor", fcntl(fd, F_GETFD));

	fd = openat(rootfd, "d/a", O_RDONLY);
	must(fd >= 0, "openat d/a");
	errno = 0;
	d = fdopendir(fd);
	printf("fdopendir on a file: %s %s\n", d ? "DIR" : "NULL", ename(errno));
	SHOW("the file descriptor stays open", fcntl(fd, F_GETFD) >= 0 ? 0 : -1);
	close(fd);

	fd = openat(rootfd, "d", O_PATH | O_DIRECTORY);
	must(fd >= 0, "openat O_PATH");
	d = fdopendir(fd);
	printf("fdopendir on O_PATH: %s\n", d ? "DIR" : ename(errno));
	if (d) {
		struct dirent *e;

		errno = 0;
		e = readdir(d);
		printf("readdir on O_PATH: %s %s\n", e ? "entry" : "NULL", ename(errno));
		closedir(d);
	}
	d = fdopendir(-1);
	printf("fdopendir(-1): %s %s\n", d ? "DIR" : "NULL", ename(errno));

	/* getdents64 directly. */
	fd = openat(rootfd, "d", O_RDONLY | O_DIRECTORY);
	must(fd >= 0, "openat d");
	{
		char buf[4096];
		long got, total = 0;
		int recs = 0;

		SHOW("getdents64 len 1", (int)getdents64(fd, buf, 1));
		while ((got = getdents64(fd, buf, sizeof buf)) > 0) {
			long off = 0;

			while (off < got) {
				struct dirent64 *e = (struct dirent64 *)(buf + off);

				recs++;
				off += e->d_reclen;
			}
			total += got;
		}
		printf("getdents64: %d records, ended with %ld\n", recs, got);
		SHOW("getdents64 at end", (int)getdents64(fd, buf, sizeof buf));
		close(fd);
		fd = openat(rootfd, "d/a", O_RDONLY);
		SHOW("getdents64 on a file", (int)getdents64(fd, buf, sizeof buf));
		close(fd);
		(void)total;
	}

	/* A directory removed while open reads as the end of the listing. */
	must(mkdir(P("gone"), 0755) == 0, "mkdir gone");
	d = opendir(P("gone"));
	must(d != NULL, "opendir gone");
	must(rmdir(P("gone")) == 0, "rmdir gone");
	errno = 0;
	{
		struct dirent *e = readdir(d);

		printf("readdir on removed dir: %s errno %s\n", e ? "entry" : "NULL", errno ? ename(errno) : "0");
	}
	closedir(d);
	close(rootfd);
}

/* ---- the working directory ---- */

static void show_cwd(const char *label)
{
	char buf[PATH_MAX];

	if (getcwd(buf, sizeof buf))
		printf("%s: cwd %s\n", label, buf);
	else
		printf("%s: getcwd %s\n", label, ename(errno));
}

static void test_chdir(void)
{
	char buf[PATH_MAX], names[64][64], *p;
	size_t len;
	struct stat st;
	DIR *d;
	int fd, n;

	printf("== chdir\n");
	SHOW("chdir d", chdir(P("d")));
	show_cwd("after chdir d");
	fd = open("rel", O_CREAT | O_WRONLY, 0600);
	SHOW("relative create", fd >= 0 ? 0 : -1);
	SHOW("relative write", (int)write(fd, "abc", 3));
	close(fd);
	SHOW("relative mkdir", mkdir("newdir", 0700));
	SHOW("relative stat newdir", stat("newdir", &st));
	printf("newdir: dir %d mode %o\n", S_ISDIR(st.st_mode), st.st_mode & 07777);
	SHOW("relative stat rel", stat("rel", &st));
	printf("rel size %lld\n", (long long)st.st_size);
	SHOW("relative stat ./s/../a", stat("./s/../a", &st));
	SHOW("relative access a", access("a", R_OK));
	SHOW("stat of the absolute twin", stat(P("d/rel"), &st));
	d = opendir(".");
	must(d != NULL, "opendir .");
	n = list_all(d, names, 64);
	print_sorted("listing of .", names, n);
	closedir(d);
	SHOW("relative symlink", symlink("a", "rl"));
	SHOW("relative readlink", (int)readlink("rl", buf, sizeof buf));

	SHOW("chdir ..", chdir(".."));
	show_cwd("after ..");
	SHOW("chdir d/s", chdir("d/s"));
	show_cwd("after d/s");
	SHOW("chdir ../newdir", chdir("../newdir"));
	show_cwd("after ../newdir");
	SHOW("chdir ../..", chdir("../.."));
	show_cwd("after ../..");
	SHOW("chdir d/ls (symlink)", chdir("d/ls"));
	show_cwd("after d/ls");
	SHOW("chdir .", chdir("."));
	show_cwd("after .");
	SHOW("chdir missing", chdir("nope"));
	SHOW("chdir file", chdir(P("d/a")));
	SHOW("chdir file/", chdir(P("d/a/")));
	SHOW("chdir dangling", chdir(P("d/dl")));
	SHOW("chdir empty", chdir(""));
	SHOW("chdir loop", chdir(P("d/loop")));
	show_cwd("after the failures");

	printf("== getcwd sizes\n");
	SHOW("chdir d", chdir(P("d")));
	p = getcwd(buf, sizeof buf);
	must(p != NULL, "getcwd");
	len = strlen(buf);
	printf("cwd length is root+2: %s\n", len == rootlen + 2 ? "yes" : "no");
	errno = 0;
	p = getcwd(buf, len);
	printf("getcwd(len): %s %s\n", p ? "ok" : "NULL", ename(errno));
	p = getcwd(buf, len + 1);
	printf("getcwd(len+1): %s\n", p ? p : ename(errno));
	p = getcwd(buf, 1);
	printf("getcwd(1): %s %s\n", p ? "ok" : "NULL", ename(errno));
	p = getcwd(buf, 0);
	printf("getcwd(buf, 0): %s %s\n", p ? "ok" : "NULL", ename(errno));
	p = getcwd(NULL, 0);
	printf("getcwd(NULL, 0): %s\n", p ? p : ename(errno));
	free(p);
	p = getcwd(NULL, 3);
	printf("getcwd(NULL, 3): %s %s\n", p ? "ok" : "NULL", ename(errno));
	free(p);
	p = getcwd(NULL, 4096);
	printf("getcwd(NULL, 4096): %s\n", p ? p : ename(errno));
	free(p);
	p = __getcwd_chk(buf, len + 1, sizeof buf);
	printf("__getcwd_chk: %s\n", p ? p : ename(errno));
	p = __getcwd_chk(buf, 2, sizeof buf);
	printf("__getcwd_chk small: %s %s\n", p ? "ok" : "NULL", ename(errno));

	unsetenv("PWD");
	p = get_current_dir_name();
	printf("get_current_dir_name without PWD: %s\n", p ? p : ename(errno));
	free(p);
	setenv("PWD", P("d/ls/.."), 1);
	p = get_current_dir_name();
	printf("get_current_dir_name, PWD another name of it: %s\n", p ? p : ename(errno));
	free(p);
	setenv("PWD", P("d/s"), 1);
	p = get_current_dir_name();
	printf("get_current_dir_name, PWD elsewhere: %s\n", p ? p : ename(errno));
	free(p);
	unsetenv("PWD");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	p = getwd(buf);
	printf("getwd: %s\n", p ? p : ename(errno));
#pragma GCC diagnostic pop

	printf("== removed working directory\n");
	SHOW("mkdir tmpd", mkdir(P("tmpd"), 0755));
	SHOW("chdir tmpd", chdir(P("tmpd")));
	SHOW("rmdir tmpd", rmdir(P("tmpd")));
	show_cwd("after rmdir");
	p = getcwd(NULL, 0);
	printf("getcwd(NULL, 0): %s %s\n", p ? "ok" : "NULL", ename(errno));
	free(p);
	fd = open("f", O_CREAT | O_WRONLY, 0644);
	SHOW("create in removed cwd", fd >= 0 ? 0 : -1);
	if (fd >= 0)
		close(fd);
	SHOW("stat . in removed cwd", stat(".", &st));
	strcpy(buf, "untouched");
	p = realpath("f", buf);
	printf("realpath in removed cwd: %s %s buf '%s'\n", p ? p : "NULL", ename(errno), buf);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	strcpy(buf, "untouched");
	p = getwd(buf);
	printf("getwd in removed cwd: %s %s buf '%s'\n", p ? p : "NULL", ename(errno), buf);
#pragma GCC diagnostic pop
	SHOW("chdir .. from removed", chdir(".."));
	show_cwd("after .. from removed");
}

static void test_fchdir(void)
{
	struct stat st;
	int fd, fd2;

	printf("== fchdir\n");
	fd = open(P("d/s"), O_RDONLY | O_DIRECTORY);
	must(fd >= 0, "open d/s");
	SHOW("fchdir d/s", fchdir(fd));
	show_cwd("after fchdir");
	close(fd);
	show_cwd("after closing its descriptor");
	SHOW("relative stat ../a", stat("../a", &st));
	fd = open(P("d"), O_PATH | O_DIRECTORY);
	SHOW("fchdir O_PATH d", fchdir(fd));
	show_cwd("after fchdir O_PATH");
	close(fd);
	fd = open(".", O_RDONLY | O_DIRECTORY);
	SHOW("open .", fd >= 0 ? 0 : -1);
	fd2 = open(P("d/a"), O_RDONLY);
	SHOW("fchdir file", fchdir(fd2));
	close(fd2);
	SHOW("fchdir -1", fchdir(-1));
	SHOW("chdir /", chdir("/"));
	show_cwd("after chdir /");
	SHOW("fchdir back by the saved descriptor", fchdir(fd));
	show_cwd("after fchdir back");
	close(fd);
	fd = open("/", O_RDONLY | O_DIRECTORY);
	SHOW("fchdir to real /", fchdir(fd));
	show_cwd("after fchdir real /");
	close(fd);
	SHOW("chdir root", chdir(root));
	show_cwd("after chdir root");
	SHOW("chdir back out with .. chain", chdir(".."));
	SHOW("chdir root again", chdir(root));
}

/* ---- realpath ---- */

static void rp_show(const char *label, const char *path)
{
	char buf[PATH_MAX], *p;

	strcpy(buf, "untouched");
	errno = 0;
	p = realpath(path, buf);
	if (p)
		printf("realpath %s: %s%s\n", label, p, p == buf ? "" : " (not the buffer)");
	else
		printf("realpath %s: NULL %s buf '%s'\n", label, ename(errno), buf);
	p = realpath(path, NULL);
	if (p)
		printf("  allocated: %s\n", p);
	else
		printf("  allocated: NULL %s\n", ename(errno));
	free(p);
}

static void test_realpath(void)
{
	char buf[PATH_MAX], *p;

	printf("== realpath\n");
	rp_show("root", root);
	rp_show("file", P("d/a"));
	rp_show("dots", P("d/./s/../a"));
	rp_show("slashes", P("d//s///"));
	rp_show("symlink", P("d/l"));
	rp_show("chain", P("d/l2"));
	rp_show("dir symlink then ..", P("d/ls/../a"));
	rp_show("absolute symlink", P("d/abs"));
	rp_show("symlink to /", P("d/toroot"));
	rp_show("through symlink to /", P("d/toroot/dev"));
	rp_show("dangling", P("d/dl"));
	rp_show("under dangling", P("d/dl/x"));
	rp_show("missing", P("d/nope"));
	rp_show("under missing", P("d/nope/x"));
	rp_show("under file", P("d/a/x"));
	rp_show("file/", P("d/a/"));
	rp_show("file/.", P("d/a/."));
	rp_show("file/..", P("d/a/.."));
	rp_show("loop", P("d/loop"));
	rp_show("up and back", P("d/../d/s/./.."));
	rp_show("dir/", P("d/s/"));

	SHOW("chdir d/s", chdir(P("d/s")));
	rp_show("relative .", ".");
	rp_show("relative ..", "..");
	rp_show("relative ../l", "../l");
	rp_show("relative ../dl", "../dl");
	rp_show("relative ../../../root", "../../../root");
	rp_show("relative through toroot", "../toroot/dev/..");
	SHOW("chdir root", chdir(root));
	rp_show("relative d/l2", "d/l2");

	errno = 0;
	p = realpath(NULL, buf);
	printf("realpath NULL: %s %s\n", p ? p : "NULL", ename(errno));
	strcpy(buf, "untouched");
	p = realpath("", buf);
	printf("realpath empty: %s %s buf '%s'\n", p ? p : "NULL", ename(errno), buf);
	p = canonicalize_file_name(P("d/l2"));
	printf("canonicalize_file_name: %s\n", p ? p : ename(errno));
	free(p);
	p = canonicalize_file_name(P("d/dl"));
	printf("canonicalize_file_name dangling: %s %s\n", p ? p : "NULL", ename(errno));
	p = __realpath_chk(P("d/l"), buf, sizeof buf);
	printf("__realpath_chk: %s\n", p ? p : ename(errno));
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
	setvbuf(stdout, NULL, _IONBF, 0);
	umask(022);
	must(mkdir(root, 0755) == 0, "mkdir root");
	must(mkdir(P("d"), 0755) == 0, "mkdir d");
	touch("d/a", "hello");
	touch("d/b", NULL);
	touch("d/c10", NULL);
	touch("d/c9", NULL);
	touch("d/.hidden", NULL);
	must(mkdir(P("d/s"), 0755) == 0, "mkdir d/s");
	must(symlink("a", P("d/l")) == 0, "symlink l");
	must(symlink("l", P("d/l2")) == 0, "symlink l2");
	must(symlink("s", P("d/ls")) == 0, "symlink ls");
	must(symlink("nothere", P("d/dl")) == 0, "symlink dl");
	must(symlink("loop", P("d/loop")) == 0, "symlink loop");
	must(symlink(P("d/s"), P("d/abs")) == 0, "symlink abs");
	must(symlink("/", P("d/toroot")) == 0, "symlink toroot");
	must(mkdir(P("many"), 0755) == 0, "mkdir many");
	for (i = 0; i < 40; i++) {
		char name[32];

		snprintf(name, sizeof name, "many/f%02d", i);
		touch(name, NULL);
	}

	test_readdir();
	test_seek();
	test_mixed();
	test_scandir();
	test_fdopendir();
	test_chdir();
	test_fchdir();
	test_realpath();
	return 0;
}

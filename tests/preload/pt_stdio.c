/*
 * Differential scenario for streams, temporary names and in-kernel copies:
 * fopen in every mode (reads, writes, seeks, append after fseek, buffer
 * flush points, mode-string flags, errors), fdopen and fileno, freopen of
 * stdout and stdin into the root and of a tree stream onto another file,
 * mkstemp/mkdtemp and relatives (names checked against the pattern, never
 * printed), tmpfile with TMPDIR in the root, copy_file_range and sendfile
 * between root files, with a real /tmp file and into a pipe.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *root;

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

/* root/name in one of four rotating buffers. */
static const char *P(const char *name)
{
	static char buf[4][4096];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", root, name);
	return buf[i];
}

#define SHOW(label, call)                                                                       \
	do {                                                                                    \
		long show_rc = (long)(call);                                                    \
		int show_e = errno;                                                             \
		printf("%s: %ld %s\n", label, show_rc, show_rc < 0 ? ename(show_e) : "-");      \
	} while (0)

#define SHOWF(label, call)                                                                     \
	do {                                                                                   \
		FILE *showf = (call);                                                          \
		int show_e = errno;                                                            \
		printf("%s: %s\n", label, showf ? "FILE" : ename(show_e));                    \
		if (showf)                                                                     \
			fclose(showf);                                                         \
	} while (0)

/* The file's bytes through open/read, printable. */
static void dump(const char *label, const char *path)
{
	char buf[8192];
	int fd = open(path, O_RDONLY);
	ssize_t n, i;

	if (fd < 0) {
		printf("%s: open %s\n", label, ename(errno));
		return;
	}
	n = read(fd, buf, sizeof buf);
	close(fd);
	printf("%s: %zd [", label, n);
	for (i = 0; i < n && i < 200; i++)
		putchar(isprint((unsigned char)buf[i]) ? buf[i] : buf[i] == '\n' ? '|' : '.');
	printf("]\n");
}

static long fsize(FILE *f)
{
	struct stat st;

	return fstat(fileno(f), &st) < 0 ? -1 : (long)st.st_size;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	must(f != NULL, "put");
	fputs(text, f);
	must(fclose(f) == 0, "put close");
}

static void modes(void)
{
	char line[256];
	FILE *f;
	int c;

	printf("== w and r\n");
	f = fopen(P("m"), "w");
	must(f != NULL, "fopen w");
	printf("w ftell %ld\n", ftell(f));
	fprintf(f, "alpha %d\n", 1);
	fprintf(f, "beta %s\n", "two");
	fputs("gamma\n", f);
	printf("w ftell %ld, size before flush %ld\n", ftell(f), fsize(f));
	fflush(f);
	printf("size after flush %ld\n", fsize(f));
	printf("fgetc on w: %d", fgetc(f));
	printf(" %s ferror %d\n", ename(errno), ferror(f) != 0);
	printf("fclose w: %d\n", fclose(f));
	dump("m", P("m"));

	f = fopen(P("m"), "r");
	must(f != NULL, "fopen r");
	while (fgets(line, sizeof line, f))
		printf("r line %zu: %s", strlen(line), line);
	printf("feof %d ferror %d ftell %ld\n", feof(f) != 0, ferror(f) != 0, ftell(f));
	printf("fseek 6: %d ", fseek(f, 6, SEEK_SET));
	printf("fread %zu ", fread(line, 1, 5, f));
	printf("[%.5s] ftell %ld\n", line, ftell(f));
	printf("fseek -4 END: %d ", fseek(f, -4, SEEK_END));
	c = fgetc(f);
	printf("fgetc %c ftell %ld\n", c, ftell(f));
	c = fseek(f, -100, SEEK_SET);
	printf("fseek -100 SET: %d %s\n", c, ename(errno));
	c = ungetc('Z', f);
	printf("ungetc %d", c);
	printf(" fgetc %c\n", fgetc(f));
	printf("fputs on r: %d", fputs("no", f));
	printf(" %s ferror %d\n", ename(errno), ferror(f) != 0);
	clearerr(f);
	rewind(f);
	printf("after rewind ftell %ld", ftell(f));
	printf(" fgetc %c\n", fgetc(f));
	fclose(f);

	printf("== r+\n");
	f = fopen(P("m"), "r+");
	must(f != NULL, "fopen r+");
	fseek(f, 6, SEEK_SET);
	fputs("ONE", f);
	fseek(f, 0, SEEK_CUR);
	printf("r+ after write ftell %ld", ftell(f));
	printf(" fgetc [%c]\n", fgetc(f));
	fseek(f, 0, SEEK_END);
	fputs("tail\n", f);
	printf("r+ end ftell %ld\n", ftell(f));
	fclose(f);
	dump("m r+", P("m"));

	printf("== w+\n");
	f = fopen(P("wplus"), "w+");
	must(f != NULL, "fopen w+");
	fputs("first\nsecond\n", f);
	rewind(f);
	printf("w+ read [%s]", fgets(line, sizeof line, f) ? line : "NULL");
	fseek(f, 20, SEEK_SET);
	fputc('!', f);
	printf(" size %ld", (fflush(f), fsize(f)));
	rewind(f);
	printf(" fread %zu\n", fread(line, 1, sizeof line, f));
	fclose(f);
	dump("wplus", P("wplus"));

	printf("== a\n");
	put(P("ap"), "0123456789\n");
	f = fopen(P("ap"), "a");
	must(f != NULL, "fopen a");
	printf("a ftell at open %ld\n", ftell(f));
	printf("a fseek 0: %d", fseek(f, 0, SEEK_SET));
	printf(" ftell %ld\n", ftell(f));
	fputs("appended\n", f);
	printf("a ftell after write %ld\n", ftell(f));
	fseek(f, 3, SEEK_SET);
	fputs("again\n", f);
	fflush(f);
	printf("a ftell after flush %ld, fd offset %ld\n", ftell(f), (long)lseek(fileno(f), 0, SEEK_CUR));
	printf("a F_GETFL O_APPEND %d\n", (fcntl(fileno(f), F_GETFL) & O_APPEND) != 0);
	fclose(f);
	dump("ap", P("ap"));

	printf("== a+\n");
	f = fopen(P("ap"), "a+");
	must(f != NULL, "fopen a+");
	printf("a+ ftell at open %ld\n", ftell(f));
	printf("a+ first line [%s]", fgets(line, sizeof line, f) ? line : "NULL");
	fseek(f, 0, SEEK_CUR);
	fputs("plus\n", f);
	printf(" ftell after write %ld\n", ftell(f));
	fseek(f, 0, SEEK_SET);
	printf("a+ fread %zu\n", fread(line, 1, sizeof line, f));
	fclose(f);
	dump("ap", P("ap"));

	printf("== a on a new file\n");
	f = fopen(P("anew"), "ab");
	must(f != NULL, "fopen ab");
	fputs("x", f);
	fclose(f);
	dump("anew", P("anew"));

	printf("== flags in the mode string\n");
	SHOWF("wx existing", fopen(P("m"), "wx"));
	SHOWF("wx new", fopen(P("xnew"), "wx"));
	SHOWF("w+bx existing", fopen(P("xnew"), "w+bx"));
	f = fopen(P("m"), "re");
	must(f != NULL, "fopen re");
	printf("re cloexec %d\n", (fcntl(fileno(f), F_GETFD) & FD_CLOEXEC) != 0);
	fclose(f);
	f = fopen(P("m"), "r");
	printf("r cloexec %d\n", (fcntl(fileno(f), F_GETFD) & FD_CLOEXEC) != 0);
	printf("r F_GETFL acc %d\n", fcntl(fileno(f), F_GETFL) & O_ACCMODE);
	fclose(f);
	f = fopen(P("m"), "rb+");
	printf("rb+ F_GETFL acc %d\n", fcntl(fileno(f), F_GETFL) & O_ACCMODE);
	fclose(f);
	f = fopen(P("m"), "rbxyz+");
	printf("rbxyz+ F_GETFL acc %d\n", fcntl(fileno(f), F_GETFL) & O_ACCMODE);
	fclose(f);
	f = fopen(P("m"), "r123456+");
	printf("r123456+ (plus too late) F_GETFL acc %d\n", fcntl(fileno(f), F_GETFL) & O_ACCMODE);
	fclose(f);

	printf("== errors\n");
	SHOWF("mode z", fopen(P("m"), "z"));
	SHOWF("mode empty", fopen(P("m"), ""));
	SHOWF("missing r", fopen(P("nope"), "r"));
	SHOWF("missing dir w", fopen(P("nodir/f"), "w"));
	SHOWF("dir w", fopen(root, "w"));
	SHOWF("trailing slash w", fopen(P("m/"), "w"));
	f = fopen(root, "r");
	printf("dir r: %s", f ? "FILE" : ename(errno));
	if (f) {
		errno = 0;
		c = fgetc(f);
		printf(" fgetc %d %s ferror %d", c, ename(errno), ferror(f) != 0);
		fclose(f);
	}
	printf("\n");
}

static void buffering(void)
{
	static char big[20000];
	char got[20000];
	FILE *f;
	size_t i, n;

	printf("== buffering\n");
	for (i = 0; i < sizeof big; i++)
		big[i] = (char)('a' + i % 26);
	f = fopen(P("big"), "w");
	must(f != NULL, "fopen big");
	fwrite(big, 1, 100, f);
	printf("100 buffered, size %ld\n", fsize(f));
	fwrite(big + 100, 1, 5000, f);
	printf("5100 written, size %ld\n", fsize(f));
	fwrite(big + 5100, 1, sizeof big - 5100, f);
	printf("20000 written, size %ld\n", fsize(f));
	fclose(f);
	printf("size after close %ld\n", (long)(f = fopen(P("big"), "r"), fsize(f)));
	n = fread(got, 1, 10, f);
	printf("fread 10 -> %zu, fd offset %ld\n", n, (long)lseek(fileno(f), 0, SEEK_CUR));
	n = fread(got + 10, 1, 10000, f);
	printf("fread 10000 -> %zu, fd offset %ld, ftell %ld\n", n, (long)lseek(fileno(f), 0, SEEK_CUR),
	       ftell(f));
	n += 10 + fread(got + 10010, 1, sizeof got, f);
	printf("total %zu same %d feof %d\n", n, memcmp(got, big, sizeof big) == 0, feof(f) != 0);
	fclose(f);

	f = fopen(P("big"), "w");
	setvbuf(f, NULL, _IONBF, 0);
	fputs("unbuffered", f);
	printf("unbuffered size %ld\n", fsize(f));
	fclose(f);
	f = fopen(P("big"), "w");
	setvbuf(f, NULL, _IOLBF, 0);
	fputs("line", f);
	printf("line buffered, no newline, size %ld\n", fsize(f));
	fputs(" end\nmore", f);
	printf("after newline size %ld\n", fsize(f));
	fclose(f);
	dump("big", P("big"));
}

static void fdopens(void)
{
	FILE *f;
	int fd, fl, c;
	char line[64];

	printf("== fdopen\n");
	fd = open(P("fd"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	must(fd >= 0, "open fd");
	write(fd, "from write\n", 11);
	f = fdopen(fd, "r+");
	must(f != NULL, "fdopen r+");
	printf("fileno == fd %d, fileno_unlocked == fd %d\n", fileno(f) == fd, fileno_unlocked(f) == fd);
	printf("ftell %ld\n", ftell(f));
	fputs("from stdio\n", f);
	rewind(f);
	printf("read [%s]", fgets(line, sizeof line, f) ? line : "NULL");
	printf(" fclose %d\n", fclose(f));
	SHOW("fd after fclose F_GETFD", fcntl(fd, F_GETFD));
	dump("fd", P("fd"));

	fd = open(P("fd"), O_RDONLY);
	SHOWF("fdopen O_RDONLY w", fdopen(fd, "w"));
	SHOWF("fdopen O_RDONLY r+", fdopen(fd, "r+"));
	SHOWF("fdopen O_RDONLY bad mode", fdopen(fd, "q"));
	f = fdopen(fd, "rb");
	printf("fdopen O_RDONLY rb: %s [%s]", f ? "FILE" : ename(errno), f && fgets(line, sizeof line, f) ? line : "NULL");
	printf(" fclose %d\n", fclose(f));

	fd = open(P("fd"), O_WRONLY);
	SHOWF("fdopen O_WRONLY r", fdopen(fd, "r"));
	lseek(fd, 2, SEEK_SET);
	f = fdopen(fd, "a");
	must(f != NULL, "fdopen a");
	fl = fcntl(fd, F_GETFL);
	printf("fdopen a: O_APPEND now %d, fd offset %ld, ftell %ld\n", (fl & O_APPEND) != 0,
	       (long)lseek(fd, 0, SEEK_CUR), ftell(f));
	fputs("appended\n", f);
	fclose(f);
	dump("fd", P("fd"));

	fd = open(P("fd"), O_RDWR);
	lseek(fd, 3, SEEK_SET);
	f = fdopen(fd, "a+");
	printf("fdopen a+: fd offset %ld ftell %ld\n", (long)lseek(fd, 0, SEEK_CUR), ftell(f));
	fclose(f);

	SHOWF("fdopen closed fd", fdopen(fd, "r"));
	SHOWF("fdopen -1", fdopen(-1, "r"));

	fd = open(root, O_RDONLY | O_DIRECTORY);
	f = fdopen(fd, "r");
	printf("fdopen dir: %s", f ? "FILE" : ename(errno));
	if (f) {
		errno = 0;
		c = fgetc(f);
		printf(" fgetc %d %s", c, ename(errno));
		fclose(f);
	}
	printf("\n");

	fd = open(P("fd"), O_RDONLY);
	f = fdopen(fd, "r");
	printf("dup of fdopen fd reads: ");
	{
		int d = dup(fileno(f));
		char b[5] = {0};

		fclose(f);
		printf("%zd [%.4s]\n", read(d, b, 4), b);
		close(d);
	}
}

static void reopen(void)
{
	char line[256];
	int saved, n = 0;
	FILE *f, *g;

	printf("== freopen stdout\n");
	fflush(stdout);
	saved = dup(1);
	must(saved >= 0, "dup stdout");
	if (!freopen(P("out"), "w", stdout)) {
		printf("freopen stdout: %s\n", ename(errno));
		return;
	}
	printf("into the file, fileno %d\n", fileno(stdout));
	fprintf(stdout, "second line\n");
	puts("third via puts");
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	clearerr(stdout);
	printf("back on the real stdout, fileno %d\n", fileno(stdout));
	dump("out", P("out"));

	printf("== freopen stdin\n");
	put(P("in"), "12 34\nword\n");
	if (!freopen(P("in"), "r", stdin)) {
		printf("freopen stdin: %s\n", ename(errno));
		return;
	}
	{
		int a = 0, b = 0;

		n = scanf("%d %d", &a, &b);
		printf("scanf %d: %d %d, fileno %d\n", n, a, b, fileno(stdin));
	}
	getchar();
	printf("fgets [%s]", fgets(line, sizeof line, stdin) ? line : "NULL");
	printf(" getchar at end %d", getchar());
	printf(" feof %d\n", feof(stdin) != 0);

	printf("== freopen of a root stream\n");
	f = fopen(P("m"), "r");
	must(f != NULL, "fopen m");
	g = freopen(P("re"), "w", f);
	printf("freopen same FILE %d\n", g == f);
	if (g) {
		fputs("written after freopen\n", g);
		printf("fgetc on it %d", fgetc(g));
		printf(" %s ferror %d\n", ename(errno), ferror(g) != 0);
		clearerr(g);
		g = freopen(NULL, "r", g);
		printf("freopen NULL r: %s", g ? "FILE" : ename(errno));
		if (g) {
			printf(" [%s]", fgets(line, sizeof line, g) ? line : "NULL");
			fclose(g);
		}
		printf("\n");
	}
	dump("re", P("re"));

	f = fopen(P("re"), "w+");
	fputs("abc\n", f);
	g = freopen(NULL, "r", f);
	printf("w+ then freopen NULL r: %s", g ? "FILE" : ename(errno));
	if (g) {
		printf(" ftell %ld", ftell(g));
		printf(" [%s]", fgets(line, sizeof line, g) ? line : "NULL");
		fclose(g);
	}
	printf("\n");

	f = fopen(P("gone"), "w+");
	fputs("unlinked\n", f);
	unlink(P("gone"));
	g = freopen(NULL, "r", f);
	printf("unlinked then freopen NULL r: %s", g ? "FILE" : ename(errno));
	if (g) {
		printf(" [%s]", fgets(line, sizeof line, g) ? line : "NULL");
		fclose(g);
	}
	printf("\n");

	f = fdopen(open(P("re"), O_RDWR), "r+");
	g = freopen(NULL, "r", f);
	printf("fdopen then freopen NULL r: %s", g ? "FILE" : ename(errno));
	if (g) {
		printf(" fileno>2 %d [%s]", fileno(g) > 2, fgets(line, sizeof line, g) ? line : "NULL");
		fclose(g);
	}
	printf("\n");

	f = fopen(P("re"), "r");
	g = freopen(NULL, "r+x", f);
	printf("freopen NULL r+x: %s\n", g ? "FILE" : ename(errno));
	if (g)
		fclose(g);
	f = fopen(P("re"), "r");
	g = freopen(NULL, "wx", f);
	printf("freopen NULL wx: %s\n", g ? "FILE" : ename(errno));
	if (g)
		fclose(g);

	f = fopen(P("re"), "r");
	g = freopen("/dev/null", "w", f);
	printf("root stream onto /dev/null: %s same %d", g ? "FILE" : ename(errno), g == f);
	if (g) {
		printf(" fputs %d", fputs("discarded", g));
		printf(" fflush %d", fflush(g));
		printf(" fclose %d", fclose(g));
	}
	printf("\n");

	f = fopen(P("m"), "r");
	g = freopen(P("nodir/x"), "r", f);
	printf("freopen to missing: %s\n", g ? "FILE" : ename(errno));
}

static int tmpl_ok(const char *path, const char *prefix, const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(suffix), len = strlen(path), i;

	if (len != pl + 6 + sl || strncmp(path, prefix, pl) || strcmp(path + pl + 6, suffix))
		return 0;
	for (i = 0; i < 6; i++)
		if (!isalnum((unsigned char)path[pl + i]))
			return 0;
	return 1;
}

static void temps(void)
{
	char t[4096], prefix[4096], first[4096];
	struct stat st;
	int fd;

	printf("== mkstemp family\n");
	snprintf(prefix, sizeof prefix, "%s/tmp", root);
	snprintf(t, sizeof t, "%sXXXXXX", prefix);
	errno = 1234;
	fd = mkstemp(t);
	printf("mkstemp fd>=0 %d errno kept %d name ok %d", fd >= 0, errno == 1234, tmpl_ok(t, prefix, ""));
	fstat(fd, &st);
	printf(" mode %o size %ld\n", (unsigned)st.st_mode, (long)st.st_size);
	printf("stat by name %d, F_GETFL acc %d\n", stat(t, &st) == 0, fcntl(fd, F_GETFL) & O_ACCMODE);
	write(fd, "tmp", 3);
	close(fd);
	snprintf(first, sizeof first, "%s", t);

	snprintf(t, sizeof t, "%sXXXXXX", prefix);
	fd = mkstemp(t);
	printf("second name differs %d\n", strcmp(first, t) != 0);
	close(fd);
	unlink(t);
	unlink(first);

	snprintf(t, sizeof t, "%sXXXXXX.txt", prefix);
	fd = mkstemps(t, 4);
	printf("mkstemps fd>=0 %d name ok %d\n", fd >= 0, tmpl_ok(t, prefix, ".txt"));
	close(fd);
	unlink(t);

	snprintf(t, sizeof t, "%sXXXXXX", prefix);
	fd = mkostemp(t, O_CLOEXEC | O_APPEND);
	printf("mkostemp cloexec %d append %d name ok %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0,
	       (fcntl(fd, F_GETFL) & O_APPEND) != 0, tmpl_ok(t, prefix, ""));
	close(fd);
	unlink(t);

	snprintf(t, sizeof t, "%sXXXXXXab", prefix);
	fd = mkostemps(t, 2, O_CLOEXEC);
	printf("mkostemps cloexec %d name ok %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, tmpl_ok(t, prefix, "ab"));
	close(fd);
	unlink(t);

	snprintf(t, sizeof t, "%sXXXXXX", prefix);
	printf("mkdtemp same pointer %d", mkdtemp(t) == t);
	stat(t, &st);
	printf(" dir %d mode %o name ok %d\n", S_ISDIR(st.st_mode), (unsigned)(st.st_mode & 07777), tmpl_ok(t, prefix, ""));
	snprintf(first, sizeof first, "%s/innerXXXXXX", t);
	fd = mkstemp(first);
	printf("mkstemp in the new dir fd>=0 %d\n", fd >= 0);
	close(fd);
	unlink(first);
	rmdir(t);

	snprintf(t, sizeof t, "%sXXXXX", prefix);
	SHOW("mkstemp 5 X", mkstemp(t));
	printf("template untouched %d\n", strcmp(t + strlen(prefix), "XXXXX") == 0);
	snprintf(t, sizeof t, "%sXXXXXXy", prefix);
	SHOW("mkstemp X not last", mkstemp(t));
	snprintf(t, sizeof t, "%sXXXXXX.c", prefix);
	SHOW("mkstemps suffix -1", mkstemps(t, -1));
	SHOW("mkstemps suffix too long", mkstemps(t, 9));
	snprintf(t, sizeof t, "%s/nodir/XXXXXX", root);
	SHOW("mkstemp missing dir", mkstemp(t));
	snprintf(t, sizeof t, "%s/nodir/XXXXXX", root);
	SHOW("mkdtemp missing dir", mkdtemp(t) ? 0 : -1);
	snprintf(t, sizeof t, "%s/m/XXXXXX", root);
	SHOW("mkstemp under a file", mkstemp(t));
}

static void tmpfiles(void)
{
	char buf[64] = {0};
	struct stat st;
	FILE *f;

	printf("== tmpfile with TMPDIR in the root\n");
	setenv("TMPDIR", root, 1);
	f = tmpfile();
	must(f != NULL, "tmpfile");
	fprintf(f, "scratch %d\n", 42);
	rewind(f);
	printf("tmpfile read [%s]", fgets(buf, sizeof buf, f) ? buf : "NULL");
	fstat(fileno(f), &st);
	printf(" nlink %ld mode %o size %ld\n", (long)st.st_nlink, (unsigned)(st.st_mode & 07777), (long)st.st_size);
	printf("F_GETFL acc %d\n", fcntl(fileno(f), F_GETFL) & O_ACCMODE);
	fclose(f);
	f = tmpfile64();
	printf("tmpfile64 %s\n", f ? "FILE" : ename(errno));
	if (f)
		fclose(f);
	unsetenv("TMPDIR");
}

static void copies(void)
{
	char rtmp[] = "/tmp/pt_stdio_XXXXXX", buf[128] = {0};
	off64_t oi, oo;
	int a, b, d, r, p[2], ro, wo, ap;

	printf("== copy_file_range\n");
	put(P("ca"), "0123456789abcdefghij");
	a = open(P("ca"), O_RDWR);
	b = open(P("cb"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	must(a >= 0 && b >= 0, "open ca cb");
	SHOW("cfr whole", copy_file_range(a, NULL, b, NULL, 100, 0));
	printf("positions %ld %ld\n", (long)lseek(a, 0, SEEK_CUR), (long)lseek(b, 0, SEEK_CUR));
	dump("cb", P("cb"));
	oi = 5;
	oo = 30;
	SHOW("cfr offsets", copy_file_range(a, &oi, b, &oo, 4, 0));
	printf("offsets now %ld %ld, positions %ld %ld\n", (long)oi, (long)oo, (long)lseek(a, 0, SEEK_CUR),
	       (long)lseek(b, 0, SEEK_CUR));
	dump("cb", P("cb"));
	SHOW("cfr at EOF", copy_file_range(a, NULL, b, NULL, 10, 0));
	lseek(a, 0, SEEK_SET);
	SHOW("cfr len 0", copy_file_range(a, NULL, b, NULL, 0, 0));
	SHOW("cfr flags 1", copy_file_range(a, NULL, b, NULL, 5, 1));
	oi = 0;
	oo = 2;
	SHOW("cfr overlap same file", copy_file_range(a, &oi, a, &oo, 5, 0));
	oi = 0;
	oo = 10;
	SHOW("cfr same file apart", copy_file_range(a, &oi, a, &oo, 5, 0));
	dump("ca", P("ca"));
	oi = -1;
	SHOW("cfr offset -1", copy_file_range(a, &oi, b, NULL, 5, 0));
	ro = open(P("ca"), O_RDONLY);
	wo = open(P("ca"), O_WRONLY);
	ap = open(P("cb"), O_WRONLY | O_APPEND);
	d = open(root, O_RDONLY | O_DIRECTORY);
	SHOW("cfr out O_RDONLY", copy_file_range(a, NULL, ro, NULL, 5, 0));
	SHOW("cfr in O_WRONLY", copy_file_range(wo, NULL, b, NULL, 5, 0));
	SHOW("cfr out O_APPEND", copy_file_range(a, NULL, ap, NULL, 5, 0));
	SHOW("cfr in dir", copy_file_range(d, NULL, b, NULL, 5, 0));
	SHOW("cfr bad fd", copy_file_range(a, NULL, 999, NULL, 5, 0));
	must(pipe(p) == 0, "pipe");
	SHOW("cfr to pipe", copy_file_range(a, NULL, p[1], NULL, 5, 0));

	r = mkstemp(rtmp);
	must(r >= 0, "mkstemp /tmp");
	write(r, "real file data\n", 15);
	lseek(r, 0, SEEK_SET);
	SHOW("cfr root -> /tmp", copy_file_range(a, NULL, r, NULL, 5, 0));
	SHOW("cfr /tmp -> root", copy_file_range(r, NULL, b, NULL, 5, 0));

	printf("== sendfile\n");
	lseek(a, 0, SEEK_SET);
	close(b);
	b = open(P("cs"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	SHOW("sendfile root -> root", sendfile(b, a, NULL, 7));
	printf("positions %ld %ld\n", (long)lseek(a, 0, SEEK_CUR), (long)lseek(b, 0, SEEK_CUR));
	oi = 15;
	SHOW("sendfile with offset", sendfile(b, a, (off_t *)&oi, 100));
	printf("offset %ld position %ld\n", (long)oi, (long)lseek(a, 0, SEEK_CUR));
	dump("cs", P("cs"));
	oi = 100;
	SHOW("sendfile offset past EOF", sendfile(b, a, (off_t *)&oi, 5));
	oi = -1;
	SHOW("sendfile offset -1", sendfile(b, a, (off_t *)&oi, 5));
	SHOW("sendfile count 0", sendfile(b, a, NULL, 0));
	SHOW("sendfile out O_APPEND", sendfile(ap, a, NULL, 5));
	SHOW("sendfile out O_RDONLY", sendfile(ro, a, NULL, 5));
	SHOW("sendfile in O_WRONLY", sendfile(b, wo, NULL, 5));
	SHOW("sendfile in dir", sendfile(b, d, NULL, 5));
	SHOW("sendfile out dir", sendfile(d, a, NULL, 5));
	SHOW("sendfile bad in", sendfile(b, 999, NULL, 5));
	lseek(a, 0, SEEK_SET);
	SHOW("sendfile root -> pipe", sendfile(p[1], a, NULL, 6));
	printf("pipe gives %zd [%.6s], position %ld\n", read(p[0], buf, sizeof buf), buf, (long)lseek(a, 0, SEEK_CUR));
	SHOW("sendfile pipe -> root", sendfile(b, p[0], NULL, 5));

	lseek(r, 0, SEEK_END);
	oi = 10;
	SHOW("sendfile root -> /tmp", sendfile(r, a, (off_t *)&oi, 5));
	memset(buf, 0, sizeof buf);
	printf("/tmp file %zd [%s]\n", pread(r, buf, sizeof buf, 0), buf);
	lseek(r, 0, SEEK_SET);
	SHOW("sendfile /tmp -> root", sendfile(b, r, NULL, 9));
	printf("/tmp position %ld\n", (long)lseek(r, 0, SEEK_CUR));
	oi = 5;
	SHOW("sendfile /tmp -> root offset", sendfile(b, r, (off_t *)&oi, 4));
	printf("offset %ld /tmp position %ld\n", (long)oi, (long)lseek(r, 0, SEEK_CUR));
	dump("cs", P("cs"));
	close(r);
	unlink(rtmp);
	close(a);
	close(b);
	close(d);
	close(ro);
	close(wo);
	close(ap);
	close(p[0]);
	close(p[1]);
}

/* Paths relative to a working directory in the root, and a symlink in the
 * root that leads to a real /tmp directory (escapes). */
static void elsewhere(void)
{
	char real[] = "/tmp/pt_stdio_XXXXXX", t[4096], line[64];
	int cwd = open(".", O_RDONLY | O_DIRECTORY), fd;
	FILE *f, *g;

	printf("== relative paths\n");
	must(cwd >= 0, "open .");
	must(mkdir(P("sub"), 0755) == 0 && chdir(P("sub")) == 0, "chdir sub");
	f = fopen("rel.txt", "w");
	must(f != NULL, "fopen rel");
	fputs("relative\n", f);
	g = freopen(NULL, "r", f);
	printf("freopen NULL of a relative open: %s", g ? "FILE" : ename(errno));
	if (g) {
		printf(" [%s]", fgets(line, sizeof line, g) ? line : "NULL");
		fclose(g);
	}
	printf("\n");
	snprintf(t, sizeof t, "relXXXXXX");
	fd = mkstemp(t);
	printf("relative mkstemp fd>=0 %d name ok %d exists %d\n", fd >= 0, tmpl_ok(t, "rel", ""), access(t, F_OK) == 0);
	close(fd);
	unlink(t);
	f = fopen("../m", "r");
	printf("fopen ../m: %s\n", f ? "FILE" : ename(errno));
	if (f)
		fclose(f);
	must(fchdir(cwd) == 0, "fchdir back");
	close(cwd);
	dump("sub/rel.txt", P("sub/rel.txt"));

	printf("== through a symlink to /tmp\n");
	must(mkdtemp(real) != NULL, "mkdtemp /tmp");
	must(symlink(real, P("out_link")) == 0, "symlink");
	f = fopen(P("out_link/f.txt"), "w");
	printf("fopen via link: %s\n", f ? "FILE" : ename(errno));
	if (f) {
		fputs("lands in /tmp\n", f);
		fclose(f);
	}
	snprintf(t, sizeof t, "%s/f.txt", real);
	dump("real file", t);
	f = fopen(P("out_link/f.txt"), "a");
	g = freopen(P("out_link/g.txt"), "w", f);
	printf("freopen via link: %s same %d\n", g ? "FILE" : ename(errno), g == f);
	if (g) {
		fputs("g\n", g);
		fclose(g);
	}
	snprintf(t, sizeof t, "%s/g.txt", real);
	dump("real g", t);
	unlink(t);
	snprintf(t, sizeof t, "%s/XXXXXX", P("out_link"));
	fd = mkstemp(t);
	printf("mkstemp via link fd>=0 %d\n", fd >= 0);
	close(fd);
	unlink(t);
	snprintf(t, sizeof t, "%s/XXXXXX", P("out_link"));
	printf("mkdtemp via link %d\n", mkdtemp(t) != NULL);
	rmdir(t);
	setenv("TMPDIR", P("out_link"), 1);
	f = tmpfile();
	printf("tmpfile with TMPDIR via link: %s\n", f ? "FILE" : ename(errno));
	if (f)
		fclose(f);
	setenv("TMPDIR", P("no_such_dir"), 1);
	f = tmpfile();
	printf("tmpfile with missing TMPDIR: %s\n", f ? "FILE" : ename(errno));
	if (f)
		fclose(f);
	unsetenv("TMPDIR");
	snprintf(t, sizeof t, "%s/f.txt", real);
	unlink(t);
	printf("real dir empty again: %d\n", rmdir(real) == 0);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s ROOT\n", argv[0]);
		return 2;
	}
	root = argv[1];
	must(mkdir(root, 0755) == 0, "mkdir root");
	modes();
	buffering();
	fdopens();
	temps();
	tmpfiles();
	copies();
	elsewhere();
	reopen();
	printf("done\n");
	return 0;
}

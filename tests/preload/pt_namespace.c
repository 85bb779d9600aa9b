/*
 * Differential scenario for the namespace and metadata wrappers (ns.c,
 * meta.c): every wrapper, by path, by *at with a directory descriptor and
 * by descriptor, with its error cases, printed as a transcript. The
 * cross-filesystem part renames and links between ROOT and a directory
 * under /tmp, which is another filesystem on both runs (tmpfs /dev/shm
 * and the tree), so it prints the same lines on both.
 * Usage: pt_namespace ROOT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

/* Legacy and fortify entry points, called directly to reach their wrappers. */
int __xmknod(int ver, const char *path, mode_t mode, dev_t *dev);
int __xmknodat(int ver, int dirfd, const char *path, mode_t mode, dev_t *dev);
ssize_t __readlink_chk(const char *path, char *buf, size_t len, size_t buflen);
ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t len, size_t buflen);

static const char *root;
static char tmpdir[64];
const char *no_path; /* NULL the compiler cannot see */

/* ROOT/name in one of a few rotating buffers. */
static const char *P(const char *name)
{
	static char buf[8][4096];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof buf[i], "%s/%s", root, name);
	return buf[i];
}

/* /tmp/pt_ns.XXXXXX/name */
static const char *X(const char *name)
{
	static char buf[4][4096];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
	return buf[i];
}

static void show(const char *what, long rc, int err)
{
	if (rc < 0)
		printf("%s = -1 %s\n", what, strerrorname_np(err));
	else
		printf("%s = %ld\n", what, rc);
}

#define T(expr)                                   \
	do {                                      \
		long rc_;                         \
		errno = 0;                        \
		rc_ = (long)(expr);               \
		show(#expr, rc_, errno);          \
	} while (0)

static const char *kind(mode_t m)
{
	return S_ISREG(m) ? "file" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "link" : S_ISFIFO(m) ? "fifo" : "other";
}

/* lstat fields that both runs share (no device, inode or clock times). */
static void st_path(const char *name, const char *path)
{
	struct stat s;

	if (lstat(path, &s) < 0) {
		printf("  lstat %s: %s\n", name, strerrorname_np(errno));
		return;
	}
	printf("  %s: %s mode=%04o nlink=%lu uid=%u gid=%u", name, kind(s.st_mode), (unsigned)(s.st_mode & 07777),
	       (unsigned long)s.st_nlink, (unsigned)s.st_uid, (unsigned)s.st_gid);
	if (!S_ISDIR(s.st_mode))
		printf(" size=%lld", (long long)s.st_size);
	printf("\n");
}

static void st(const char *name)
{
	st_path(name, P(name));
}

/* Times: exact when set to a fixed value, "now" when within a minute. */
static void times_path(const char *name, const char *path)
{
	struct stat s;
	time_t now = time(NULL);

	if (lstat(path, &s) < 0) {
		printf("  lstat %s: %s\n", name, strerrorname_np(errno));
		return;
	}
	printf("  %s: atime=", name);
	if (llabs((long long)(s.st_atim.tv_sec - now)) < 60)
		printf("now");
	else
		printf("%lld.%09ld", (long long)s.st_atim.tv_sec, s.st_atim.tv_nsec);
	printf(" mtime=");
	if (llabs((long long)(s.st_mtim.tv_sec - now)) < 60)
		printf("now");
	else
		printf("%lld.%09ld", (long long)s.st_mtim.tv_sec, s.st_mtim.tv_nsec);
	printf("\n");
}

static void times_of(const char *name)
{
	times_path(name, P(name));
}

static void put(const char *name, const char *text)
{
	int fd = open(P(name), O_CREAT | O_WRONLY | O_TRUNC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) < 0 || close(fd) < 0)
		printf("  put %s: %s\n", name, strerrorname_np(errno));
}

static void cat(const char *name)
{
	char buf[256];
	int fd = open(P(name), O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		printf("  cat %s: %s\n", name, strerrorname_np(errno));
		return;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = 0;
	printf("  %s contains \"%s\"\n", name, buf);
}

static void rl(const char *name)
{
	char buf[4096];
	ssize_t n = readlink(P(name), buf, sizeof buf);

	if (n < 0)
		printf("  readlink %s: %s\n", name, strerrorname_np(errno));
	else
		printf("  %s -> \"%.*s\"\n", name, (int)n, buf);
}

static void section(const char *title)
{
	printf("== %s\n", title);
}

static void directories(void)
{
	section("mkdir rmdir");
	T(mkdir(P("d"), 0755));
	st("d");
	T(mkdir(P("d"), 0755));
	T(mkdir(P("nope/d"), 0755));
	T(mkdir(P("d/e/"), 0700));
	st("d/e");
	st("d");
	T(mkdir(P("d/e/f"), 01777));
	st("d/e/f");
	T(rmdir(P("d/e")));
	T(rmdir(P("d/e/f")));
	T(rmdir(P("d/e")));
	T(rmdir(P("d/e")));
	T(rmdir(P("d/.")));
	T(mkdir(P("f"), 0755));
	T(rmdir(P("f")));
	put("file", "data");
	T(rmdir(P("file")));
	T(rmdir(P("file/")));
	T(mkdir(P("file/x"), 0755));
	st("d");
}

static void unlinking(void)
{
	section("unlink unlinkat remove");
	put("u1", "1");
	T(unlink(P("u1")));
	T(unlink(P("u1")));
	T(unlink(P("d")));
	T(unlink(P("file/")));
	put("u2", "2");
	T(unlinkat(AT_FDCWD, P("u2"), 0));
	T(unlinkat(AT_FDCWD, P("d"), 0));
	T(mkdir(P("ud"), 0755));
	T(unlinkat(AT_FDCWD, P("ud"), AT_REMOVEDIR));
	T(unlinkat(AT_FDCWD, P("ud"), AT_REMOVEDIR));
	T(unlinkat(AT_FDCWD, P("file"), 0x4000));
	put("r1", "r");
	T(mkdir(P("rd"), 0755));
	T(mkdir(P("rd2"), 0755));
	put("rd2/inner", "i");
	T(remove(P("r1")));
	T(remove(P("r1")));
	T(remove(P("rd")));
	T(remove(P("rd2")));
	T(remove(P("rd2/inner")));
	T(remove(P("rd2")));
	T(access(P("rd2"), F_OK));
}

static void renaming(void)
{
	section("rename renameat renameat2");
	put("a", "AAA");
	put("b", "BBB");
	T(rename(P("a"), P("a2")));
	cat("a2");
	T(rename(P("a"), P("a3")));
	T(rename(P("a2"), P("b")));
	cat("b");
	T(access(P("a2"), F_OK));
	T(mkdir(P("m1"), 0755));
	T(mkdir(P("m2"), 0755));
	put("m2/x", "x");
	T(rename(P("m1"), P("m2")));
	T(rename(P("b"), P("m1")));
	T(rename(P("m1"), P("b")));
	T(rename(P("m2"), P("m2/sub")));
	T(rmdir(P("m1")));
	T(rename(P("m2"), P("m1")));
	st("m1");
	cat("m1/x");
	T(renameat(AT_FDCWD, P("m1/x"), AT_FDCWD, P("m1/y")));
	cat("m1/y");
	put("c", "CCC");
	T(renameat2(AT_FDCWD, P("b"), AT_FDCWD, P("c"), RENAME_NOREPLACE));
	T(renameat2(AT_FDCWD, P("b"), AT_FDCWD, P("b2"), RENAME_NOREPLACE));
	T(renameat2(AT_FDCWD, P("b2"), AT_FDCWD, P("c"), RENAME_EXCHANGE));
	cat("b2");
	cat("c");
	T(renameat2(AT_FDCWD, P("b2"), AT_FDCWD, P("m1"), RENAME_EXCHANGE));
	st("b2");
	st("m1");
	cat("m1");
	T(renameat2(AT_FDCWD, P("b2"), AT_FDCWD, P("zz"), RENAME_EXCHANGE));
	T(renameat2(AT_FDCWD, P("b2"), AT_FDCWD, P("c"), RENAME_EXCHANGE | RENAME_NOREPLACE));
	T(renameat2(AT_FDCWD, P("b2"), AT_FDCWD, P("c"), 0x80));
	T(rename(P("c"), P("c")));
	T(rename(P("c/"), P("c2")));
	T(rename(P("nope/c"), P("c2")));
}

static void links(void)
{
	section("link linkat symlink symlinkat readlink readlinkat");
	put("t", "target");
	T(link(P("t"), P("t2")));
	st("t");
	T(link(P("t"), P("t2")));
	T(link(P("missing"), P("t3")));
	T(link(P("b2"), P("dirlink")));
	T(symlink("t", P("s")));
	T(symlink("t", P("s")));
	T(symlink("", P("s0")));
	T(symlink("dangling", P("sd")));
	T(symlink("t", P("nope/s")));
	st("s");
	rl("s");
	rl("sd");
	T(linkat(AT_FDCWD, P("s"), AT_FDCWD, P("hs"), 0));
	st("hs");
	T(linkat(AT_FDCWD, P("s"), AT_FDCWD, P("hf"), AT_SYMLINK_FOLLOW));
	st("hf");
	st("t");
	T(linkat(AT_FDCWD, P("sd"), AT_FDCWD, P("hd"), AT_SYMLINK_FOLLOW));
	T(linkat(AT_FDCWD, P("t"), AT_FDCWD, P("h9"), 0x8000));
	T(symlinkat("../t", AT_FDCWD, P("b2/up")));
	cat("b2/up");
	rl("b2/up");
	rl("t");
	rl("missing");
	{
		char buf[8];

		T(readlink(P("s"), buf, 0));
		T(readlink(P("b2/up"), buf, 2));
		printf("  short read: \"%.2s\"\n", buf);
		T(readlinkat(AT_FDCWD, P("s"), buf, sizeof buf));
		T(__readlink_chk(P("s"), buf, sizeof buf, sizeof buf));
		T(__readlinkat_chk(AT_FDCWD, P("s"), buf, sizeof buf, sizeof buf));
		T(__readlink_chk(P("t"), buf, sizeof buf, sizeof buf));
	}
	/* An absolute symlink back into the tree: the walk leaves the tree
	 * and comes back. */
	T(symlink(P("b2"), P("abs")));
	T(rename(P("abs/up"), P("abs/up2")));
	rl("b2/up2");
	T(link(P("abs/up2"), P("abs/up3")));
	st("b2/up3");
	T(unlink(P("abs/up3")));
	T(mkdir(P("abs/viaabs"), 0700));
	st("b2/viaabs");
	T(rmdir(P("abs/viaabs")));
}

static void nodes(void)
{
	dev_t dev = 0;

	section("mknod mknodat __xmknod __xmknodat mkfifo");
	T(mknod(P("n1"), S_IFREG | 0640, 0));
	st("n1");
	T(mknod(P("n2"), 0600, 0));
	st("n2");
	T(mknod(P("n1"), S_IFREG | 0640, 0));
	T(mknod(P("nope/n"), S_IFREG | 0640, 0));
	T(mknod(P("nn/"), S_IFREG | 0640, 0));
	T(mknod(P("n1/"), S_IFREG | 0640, 0));
	T(mknod(P("nd"), S_IFDIR | 0755, 0));
	T(mknod(P("nl"), S_IFLNK | 0755, 0));
	T(mknod(P("n1"), S_IFIFO | 0644, 0));
	T(mknod(P("nope/fifo"), S_IFIFO | 0644, 0));
	T(mknod(P("n1"), S_IFCHR | 0644, 0x0103));
	T(mknod(P("nbig"), S_IFREG | 0644, (dev_t)1 << 40));
	T(mknodat(AT_FDCWD, P("n3"), S_IFREG | 0604, 0));
	st("n3");
	T(__xmknod(0, P("n4"), S_IFREG | 0644, &dev));
	st("n4");
	T(__xmknod(1, P("n5"), S_IFREG | 0644, &dev));
	T(__xmknodat(0, AT_FDCWD, P("n5"), S_IFREG | 0644, &dev));
	st("n5");
	T(__xmknodat(0, AT_FDCWD, P("n5"), S_IFREG | 0644, &dev));
	T(mkfifo(P("n1"), 0644));
	T(mkfifoat(AT_FDCWD, P("nope/f"), 0644));
	T(access(P("nd"), F_OK));
}

static void modes(void)
{
	int fd;

	section("chmod fchmod fchmodat lchmod");
	put("pm", "m");
	T(chmod(P("pm"), 0600));
	st("pm");
	T(chmod(P("pm"), 0104755));
	st("pm");
	T(chmod(P("missing"), 0600));
	T(chmod(P("s"), 0640));
	st("s");
	st("t");
	T(fchmodat(AT_FDCWD, P("pm"), 0444, 0));
	st("pm");
	T(fchmodat(AT_FDCWD, P("pm"), 0440, AT_SYMLINK_NOFOLLOW));
	st("pm");
	T(fchmodat(AT_FDCWD, P("s"), 0600, AT_SYMLINK_NOFOLLOW));
	T(fchmodat(AT_FDCWD, P("pm"), 0600, AT_EMPTY_PATH));
	T(fchmodat(AT_FDCWD, P("pm"), 0600, 0x4000));
	T(fchmodat(AT_FDCWD, P("nope"), 0600, AT_SYMLINK_NOFOLLOW));
	T(lchmod(P("s"), 0600));
	T(lchmod(P("pm"), 0604));
	st("pm");
	fd = open(P("pm"), O_RDONLY);
	T(fchmod(fd, 0751));
	st("pm");
	close(fd);
	fd = open(P("pm"), O_PATH);
	T(fchmod(fd, 0700));
	close(fd);
	T(mkdir(P("md"), 0777));
	T(chmod(P("md"), 02755));
	st("md");
}

static void owners(void)
{
	uid_t u = getuid();
	gid_t g = getgid();
	int fd;

	section("chown lchown fchown fchownat");
	put("po", "o");
	T(chown(P("po"), u, g));
	st("po");
	T(chown(P("po"), 1234, 5678));
	st("po");
	T(chown(P("po"), (uid_t)-1, 42));
	st("po");
	T(chown(P("s"), 7, 7));
	st("s");
	st("t");
	T(lchown(P("s"), 8, 9));
	st("s");
	st("t");
	T(chown(P("missing"), u, g));
	T(lchown(P("missing"), u, g));
	T(chmod(P("po"), 06755));
	T(chown(P("po"), u, (gid_t)-1));
	st("po");
	fd = open(P("po"), O_RDONLY);
	T(fchown(fd, 11, 12));
	st("po");
	close(fd);
	fd = open(P("po"), O_PATH);
	T(fchown(fd, 11, 12));
	T(fchownat(fd, "", 13, 14, AT_EMPTY_PATH));
	st("po");
	close(fd);
	T(fchownat(AT_FDCWD, P("s"), 15, 16, AT_SYMLINK_NOFOLLOW));
	st("s");
	T(fchownat(AT_FDCWD, P("s"), 15, 16, 0x8000));
	T(fchownat(AT_FDCWD, P("po"), u, g, 0));
	st("po");
}

static void timestamps(void)
{
	struct timespec ts[2] = {{1000000000, 123456789}, {1100000000, 987654321}};
	struct timeval tv[2] = {{1200000000, 111111}, {1300000000, 222222}};
	struct timeval tv2[2] = {{1250000000, 7}, {1350000000, 8}};
	struct utimbuf ub = {1400000000, 1500000000};
	int fd;

	section("utimensat futimens utimes lutimes futimes futimesat utime");
	put("pt", "t");
	T(utimensat(AT_FDCWD, P("pt"), ts, 0));
	times_of("pt");
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = 1600000000;
	T(utimensat(AT_FDCWD, P("pt"), ts, 0));
	times_of("pt");
	ts[1].tv_nsec = UTIME_NOW;
	T(utimensat(AT_FDCWD, P("pt"), ts, 0));
	times_of("pt");
	T(utimensat(AT_FDCWD, P("pt"), NULL, 0));
	times_of("pt");
	ts[0].tv_nsec = 1000000000;
	T(utimensat(AT_FDCWD, P("pt"), ts, 0));
	T(utimensat(AT_FDCWD, P("missing"), ts, 0));
	ts[0].tv_nsec = 5;
	ts[1].tv_nsec = 6;
	T(utimensat(AT_FDCWD, P("missing"), ts, 0));
	T(utimensat(AT_FDCWD, P("pt"), ts, 0x8000));
	T(utimensat(AT_FDCWD, no_path, ts, 0));
	T(utimensat(AT_FDCWD, P("s"), ts, AT_SYMLINK_NOFOLLOW));
	times_of("s");
	times_of("t");
	T(utimes(P("pt"), tv));
	times_of("pt");
	T(utimes(P("s"), tv));
	times_of("t");
	T(lutimes(P("s"), tv2));
	times_of("s");
	tv[0].tv_usec = 1000000;
	T(utimes(P("pt"), tv));
	T(lutimes(P("pt"), tv));
	T(utimes(P("missing"), NULL));
	tv[0].tv_usec = 5;
	T(utime(P("pt"), &ub));
	times_of("pt");
	T(utime(P("pt"), NULL));
	times_of("pt");
	T(utime(P("missing"), &ub));
	fd = open(P("pt"), O_RDONLY);
	ts[0].tv_sec = 1700000000;
	T(futimens(fd, ts));
	times_of("pt");
	T(futimes(fd, tv));
	times_of("pt");
	tv[1].tv_usec = -1;
	T(futimes(fd, tv));
	tv[1].tv_usec = 7;
	T(futimesat(fd, NULL, tv2));
	times_of("pt");
	T(futimesat(AT_FDCWD, P("pt"), tv));
	times_of("pt");
	close(fd);
	fd = open(P("pt"), O_PATH);
	T(futimens(fd, NULL));
	close(fd);
}

/* The same operations through a descriptor of a tree directory. */
static void at_forms(void)
{
	char buf[64];
	struct timespec ts[2] = {{1234567890, 0}, {1234567891, 0}};
	struct timeval tv[2] = {{1111111111, 0}, {1111111112, 0}};
	dev_t dev = 0;
	int dfd, fd;

	section("*at with a directory descriptor");
	T(mkdir(P("at"), 0755));
	dfd = open(P("at"), O_RDONLY | O_DIRECTORY);
	T(mkdirat(dfd, "sub", 0700));
	st("at/sub");
	T(mkdirat(dfd, "sub", 0700));
	T(unlinkat(dfd, "sub", AT_REMOVEDIR));
	T(mknodat(dfd, "f", S_IFREG | 0600, 0));
	T(__xmknodat(0, dfd, "g", S_IFREG | 0600, &dev));
	T(renameat(dfd, "f", dfd, "f2"));
	T(renameat2(dfd, "f2", dfd, "g", RENAME_EXCHANGE));
	T(linkat(dfd, "g", dfd, "g2", 0));
	st("at/g");
	T(symlinkat("g", dfd, "sl"));
	T(readlinkat(dfd, "sl", buf, sizeof buf));
	T(__readlinkat_chk(dfd, "sl", buf, sizeof buf, sizeof buf));
	T(fchmodat(dfd, "g", 0640, 0));
	T(fchownat(dfd, "g", 21, 22, 0));
	T(fchownat(dfd, "", 23, 24, AT_EMPTY_PATH));
	st("at");
	st("at/g");
	T(utimensat(dfd, "g", ts, 0));
	times_of("at/g");
	T(utimensat(dfd, "", ts, AT_EMPTY_PATH));
	T(futimesat(dfd, "g2", tv));
	times_of("at/g");
	T(futimesat(dfd, NULL, tv));
	times_of("at");
	T(unlinkat(dfd, "g2", 0));
	T(unlinkat(dfd, "..", AT_REMOVEDIR));
	T(unlinkat(dfd, ".", AT_REMOVEDIR));
	T(mkdirat(dfd, "../at2", 0755));
	st("at2");
	T(renameat(dfd, "g", dfd, "../at2/g"));
	st("at2/g");
	/* An unnamed file given a name. */
	fd = open(P("at"), O_TMPFILE | O_RDWR, 0640);
	T(fd >= 0);
	T(write(fd, "tmp", 3));
	T(linkat(fd, "", dfd, "named", AT_EMPTY_PATH));
	cat("at/named");
	st("at/named");
	close(fd);
	close(dfd);
}

static void umasks(void)
{
	mode_t old;

	section("umask");
	old = umask(077);
	printf("  old mask %03o\n", (unsigned)old);
	T(mkdir(P("um1"), 0777));
	st("um1");
	put("um2", "u");
	st("um2");
	T(mknod(P("um3"), S_IFREG | 0666, 0));
	st("um3");
	printf("  mask was %03o\n", (unsigned)umask(0));
	T(mkdir(P("um4"), 0777));
	st("um4");
	T(symlink("x", P("um5")));
	st("um5");
	printf("  mask was %03o\n", (unsigned)umask(old));
}

/* Every wrapper on real paths and descriptors (under /tmp): the calls
 * pass through to libc untouched. */
static void passthrough(void)
{
	struct timespec ts[2] = {{1000000000, 1}, {1000000001, 2}};
	struct timeval tv[2] = {{1100000000, 3}, {1100000001, 4}};
	struct utimbuf ub = {1200000000, 1200000001};
	char buf[64];
	dev_t dev = 0;
	int dfd, fd;

	section("outside the tree");
	T(mkdir(X("p"), 0700));
	T(mkdirat(AT_FDCWD, X("p/q"), 0700));
	T(mkdir(X("p"), 0700));
	T(rmdir(X("p/q")));
	T(mknod(X("p/n"), S_IFREG | 0600, 0));
	T(mknodat(AT_FDCWD, X("p/fifo"), S_IFIFO | 0600, 0));
	T(__xmknod(0, X("p/n2"), S_IFREG | 0600, &dev));
	T(__xmknodat(0, AT_FDCWD, X("p/n3"), S_IFREG | 0600, &dev));
	T(mkfifo(X("p/fifo2"), 0600));
	T(mkfifoat(AT_FDCWD, X("p/fifo3"), 0600));
	st_path("p/fifo", X("p/fifo"));
	T(symlink("n", X("p/s")));
	T(symlinkat("n", AT_FDCWD, X("p/s2")));
	T(readlink(X("p/s"), buf, sizeof buf));
	T(readlinkat(AT_FDCWD, X("p/s2"), buf, sizeof buf));
	T(__readlink_chk(X("p/s"), buf, sizeof buf, sizeof buf));
	T(__readlinkat_chk(AT_FDCWD, X("p/s"), buf, sizeof buf, sizeof buf));
	T(link(X("p/n"), X("p/h")));
	T(linkat(AT_FDCWD, X("p/s"), AT_FDCWD, X("p/h2"), AT_SYMLINK_FOLLOW));
	st_path("p/n", X("p/n"));
	T(rename(X("p/n2"), X("p/n4")));
	T(renameat(AT_FDCWD, X("p/n3"), AT_FDCWD, X("p/n5")));
	T(renameat2(AT_FDCWD, X("p/n4"), AT_FDCWD, X("p/n5"), RENAME_NOREPLACE));
	T(chmod(X("p/n"), 0640));
	T(lchmod(X("p/s"), 0640));
	T(fchmodat(AT_FDCWD, X("p/n"), 0604, 0));
	st_path("p/n", X("p/n"));
	T(chown(X("p/n"), 1, 2));
	T(lchown(X("p/s"), 3, 4));
	T(fchownat(AT_FDCWD, X("p/n4"), 5, 6, 0));
	st_path("p/s", X("p/s"));
	st_path("p/n4", X("p/n4"));
	T(utimensat(AT_FDCWD, X("p/n"), ts, 0));
	times_path("p/n", X("p/n"));
	T(utimes(X("p/n4"), tv));
	times_path("p/n4", X("p/n4"));
	T(lutimes(X("p/s"), tv));
	times_path("p/s", X("p/s"));
	T(utime(X("p/n5"), &ub));
	times_path("p/n5", X("p/n5"));
	T(futimesat(AT_FDCWD, X("p/h"), tv));
	times_path("p/h", X("p/h"));
	fd = open(X("p/n"), O_RDWR);
	T(fchmod(fd, 0600));
	T(fchown(fd, 7, 8));
	T(futimens(fd, ts));
	T(futimes(fd, tv));
	T(futimesat(fd, NULL, tv));
	close(fd);
	st_path("p/n", X("p/n"));
	times_path("p/n", X("p/n"));
	dfd = open(X("p"), O_RDONLY | O_DIRECTORY);
	T(unlinkat(dfd, "h2", 0));
	T(mkdirat(dfd, "d", 0700));
	T(unlinkat(dfd, "d", AT_REMOVEDIR));
	close(dfd);
	T(unlink(X("p/n")));
	T(remove(X("p/h")));
	T(remove(X("p/missing")));
	T(remove(X("p")));
	T(unlink(X("p/n4")));
	T(unlink(X("p/n5")));
	T(unlink(X("p/s")));
	T(unlink(X("p/s2")));
	T(unlink(X("p/fifo")));
	T(unlink(X("p/fifo2")));
	T(unlink(X("p/fifo3")));
	T(remove(X("p")));
}

/* One side on ROOT, one under /tmp: two filesystems on both runs. */
static void cross(void)
{
	char up[4096] = "";
	const char *p;
	int depth = 0;

	section("across filesystems");
	if (!mkdtemp(strcpy(tmpdir, "/tmp/pt_ns.XXXXXX"))) {
		printf("mkdtemp: %s\n", strerrorname_np(errno));
		return;
	}
	put("xf", "cross");
	T(mkdir(X("xd"), 0755));
	T(close(open(X("tf"), O_CREAT | O_WRONLY, 0644)));
	T(rename(P("xf"), X("xf")));
	T(rename(X("tf"), P("tf")));
	T(renameat(AT_FDCWD, P("xf"), AT_FDCWD, X("xd")));
	T(renameat2(AT_FDCWD, P("xf"), AT_FDCWD, X("tf"), RENAME_EXCHANGE));
	T(renameat2(AT_FDCWD, P("xf"), AT_FDCWD, X("tf"), 0x80));
	T(link(P("xf"), X("xf")));
	T(link(X("tf"), P("tf")));
	T(linkat(AT_FDCWD, P("xf"), AT_FDCWD, X("xf"), AT_SYMLINK_FOLLOW));
	T(rename(P("missing"), X("y")));
	T(rename(P("nope/x"), X("y")));
	T(rename(P("xf"), X("nope/y")));
	T(rename(X("nope/y"), P("xf")));
	T(rename(P("xf/z"), X("y")));
	T(link(P("missing"), X("y")));
	T(link(X("missing"), P("y")));
	T(link(P("xf"), X("nope/y")));
	cat("xf");
	/* Through a symlink out of ROOT: both sides end up under /tmp. */
	T(symlink(tmpdir, P("out")));
	T(rename(P("out/tf"), P("out/tf2")));
	T(access(X("tf2"), F_OK));
	T(link(P("out/tf2"), X("tf3")));
	T(rename(X("tf3"), P("out/xd/tf3")));
	T(access(X("xd/tf3"), F_OK));
	T(rename(P("out/tf2"), P("tf2")));
	T(rename(P("xf"), P("out/xf")));
	T(mkdir(P("out/made"), 0700));
	T(rmdir(X("made")));
	T(symlink("t", P("out/sl")));
	T(unlink(X("sl")));
	/* Through ".." above ROOT's filesystem root. */
	for (p = root; *p; p++)
		depth += *p == '/';
	while (depth-- > 0)
		strcat(up, "../");
	strcat(up, tmpdir + 1);
	T(rename(P(up), P("up")));
	strcat(up, "/tf2");
	T(rename(P(up), X("tf4")));
	T(access(X("tf4"), F_OK));
	T(unlink(X("tf4")));
	passthrough();
	T(unlink(X("xd/tf3")));
	T(rmdir(X("xd")));
	T(rmdir(tmpdir));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s ROOT\n", argv[0]);
		return 2;
	}
	root = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(022);
	if (mkdir(root, 0755) < 0) {
		perror(root);
		return 1;
	}
	directories();
	unlinking();
	renaming();
	links();
	nodes();
	modes();
	owners();
	timestamps();
	at_forms();
	umasks();
	cross();
	return 0;
}

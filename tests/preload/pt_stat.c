/*
 * Differential scenario for the stat, statfs and access family: every
 * stat variant (including the legacy __xstat entry points, called through
 * their exported symbols) on files, directories, symlinks, dangling and
 * looping links, missing paths, trailing slashes and escapes out of the
 * root; statx flags; statfs/statvfs fields that tmpfs and ramdir share,
 * and consistency checks for the ones they do not (block counts); access
 * and faccessat modes and flags. Prints what it sees, never inode numbers,
 * devices or times.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* The pre-2.33 entry points, no longer declared by glibc's headers. */
int __xstat(int ver, const char *path, struct stat *buf);
int __xstat64(int ver, const char *path, struct stat64 *buf);
int __lxstat(int ver, const char *path, struct stat *buf);
int __lxstat64(int ver, const char *path, struct stat64 *buf);
int __fxstat(int ver, int fd, struct stat *buf);
int __fxstat64(int ver, int fd, struct stat64 *buf);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *buf, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *buf, int flags);

#define VER 1 /* _STAT_VER_LINUX on x86_64 */

static const char *root;
static int rootfd;
static struct stat ref_follow, ref_nofollow, ref_root;
static int have_follow, have_nofollow;

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

/* root/name in one of two rotating buffers (link needs two at once). */
/* Print a call's result and error name; the call runs before errno is read. */
#define SHOW(label, call)                                                    \
	do {                                                                 \
		int show_rc = (call);                                        \
		int show_e = errno;                                          \
		printf("%s: %d %s\n", label, show_rc, show_rc < 0 ? ename(show_e) : "-"); \
	} while (0)

static const char *abspath(const char *name)
{
	static char buf[2][8192];
	static int which;

	if (!name[0])
		return "";
	which ^= 1;
	snprintf(buf[which], sizeof buf[which], "%s/%s", root, name);
	return buf[which];
}

/* How a test name is shown: the empty and the over-long ones by a tag. */
static const char *shown(const char *name)
{
	static char buf[32];

	if (!name[0])
		return "(empty)";
	if (strlen(name) <= 40)
		return name;
	snprintf(buf, sizeof buf, "(long%zu)", strlen(name));
	return buf;
}

static char type_char(mode_t m)
{
	return S_ISREG(m) ? 'f' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c' : '?';
}

static void print_result(const char *name, const char *variant, int rc, const struct stat *st)
{
	const char *ino = "other";
	char size[64];

	printf("%-9s %-22s ", shown(name), variant);
	if (rc != 0) {
		printf("%s\n", ename(errno));
		return;
	}
	if (have_follow && st->st_ino == ref_follow.st_ino)
		ino = "S";
	else if (have_nofollow && st->st_ino == ref_nofollow.st_ino)
		ino = "L";
	/* A symlink to an absolute path under the root ("back") is as long
	 * as the root's spelling, which differs between the two runs. */
	if (S_ISLNK(st->st_mode) && !strcmp(name, "back"))
		snprintf(size, sizeof size, "ROOT+%lld", (long long)(st->st_size - (off_t)strlen(root)));
	else
		snprintf(size, sizeof size, "%lld", (long long)st->st_size);
	printf("%c %04o n%lu s%s b%lld bs%ld rdev%lu uid%s gid%s ino:%s dev:%s\n", type_char(st->st_mode),
	       (unsigned)(st->st_mode & 07777), (unsigned long)st->st_nlink, size,
	       (long long)st->st_blocks, (long)st->st_blksize, (unsigned long)st->st_rdev,
	       st->st_uid == getuid() ? "=me" : "!=me", st->st_gid == getgid() ? "=me" : "!=me", ino,
	       st->st_dev == ref_root.st_dev ? "root" : "other");
}

static void from64(struct stat *d, const struct stat64 *s)
{
	memset(d, 0, sizeof *d);
	d->st_dev = s->st_dev;
	d->st_ino = s->st_ino;
	d->st_mode = s->st_mode;
	d->st_nlink = s->st_nlink;
	d->st_uid = s->st_uid;
	d->st_gid = s->st_gid;
	d->st_rdev = s->st_rdev;
	d->st_size = s->st_size;
	d->st_blksize = s->st_blksize;
	d->st_blocks = s->st_blocks;
}

/* 1 if every basic field that was asked for is reported. */
static int from_statx(struct stat *d, const struct statx *s, unsigned req)
{
	memset(d, 0, sizeof *d);
	d->st_dev = makedev(s->stx_dev_major, s->stx_dev_minor);
	d->st_ino = s->stx_ino;
	d->st_mode = s->stx_mode;
	d->st_nlink = s->stx_nlink;
	d->st_uid = s->stx_uid;
	d->st_gid = s->stx_gid;
	d->st_rdev = makedev(s->stx_rdev_major, s->stx_rdev_minor);
	d->st_size = (off_t)s->stx_size;
	d->st_blksize = s->stx_blksize;
	d->st_blocks = (blkcnt_t)s->stx_blocks;
	req &= STATX_BASIC_STATS;
	return (s->stx_mask & req) == req;
}

/* Every path variant on one name: relative ones through rootfd. */
static void stat_paths(const char *name)
{
	const char *p = abspath(name);
	struct stat st;
	struct stat64 st64;
	struct statx sx;
	int rc;

	errno = 0;
	have_follow = stat(p, &ref_follow) == 0;
	have_nofollow = lstat(p, &ref_nofollow) == 0;

#define S(variant, call)                                     \
	do {                                                 \
		rc = (call);                                 \
		print_result(name, variant, rc, &st);        \
	} while (0)
#define S64(variant, call)                                   \
	do {                                                 \
		rc = (call);                                 \
		if (rc == 0)                                 \
			from64(&st, &st64);                  \
		print_result(name, variant, rc, &st);        \
	} while (0)
#define SX(variant, req, call)                               \
	do {                                                 \
		rc = (call);                                 \
		if (rc == 0 && !from_statx(&st, &sx, req))   \
			printf("%s: statx mask short\n", shown(name)); \
		print_result(name, variant, rc, &st);        \
	} while (0)

	S("stat", stat(p, &st));
	S("lstat", lstat(p, &st));
	S64("stat64", stat64(p, &st64));
	S64("lstat64", lstat64(p, &st64));
	S("fstatat", fstatat(rootfd, name, &st, 0));
	S("fstatat-nofollow", fstatat(rootfd, name, &st, AT_SYMLINK_NOFOLLOW));
	S("fstatat-cwd-abs", fstatat(AT_FDCWD, p, &st, 0));
	S64("fstatat64", fstatat64(rootfd, name, &st64, 0));
	S64("fstatat64-nofollow", fstatat64(rootfd, name, &st64, AT_SYMLINK_NOFOLLOW));
	SX("statx", STATX_BASIC_STATS, statx(rootfd, name, 0, STATX_BASIC_STATS, &sx));
	SX("statx-nofollow", STATX_BASIC_STATS, statx(rootfd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx));
	SX("statx-mask0-sync", 0, statx(rootfd, name, AT_STATX_FORCE_SYNC, 0, &sx));
	S("__xstat", __xstat(VER, p, &st));
	S("__lxstat", __lxstat(VER, p, &st));
	S64("__xstat64", __xstat64(VER, p, &st64));
	S64("__lxstat64", __lxstat64(VER, p, &st64));
	S("__fxstatat", __fxstatat(VER, rootfd, name, &st, 0));
	S("__fxstatat-nofollow", __fxstatat(VER, rootfd, name, &st, AT_SYMLINK_NOFOLLOW));
	S64("__fxstatat64", __fxstatat64(VER, rootfd, name, &st64, 0));
	S64("__fxstatat64-nofollow", __fxstatat64(VER, rootfd, name, &st64, AT_SYMLINK_NOFOLLOW));
}

/* Every descriptor variant on one open descriptor. */
static void stat_fd(const char *name, const char *how, int fd)
{
	struct stat st;
	struct stat64 st64;
	struct statx sx;
	char label[64];
	int rc;

	if (fd < 0) {
		printf("%-9s open-%-17s %s\n", name, how, ename(errno));
		return;
	}
	have_follow = stat(abspath(name), &ref_follow) == 0;
	have_nofollow = lstat(abspath(name), &ref_nofollow) == 0;
#define V(s) (snprintf(label, sizeof label, "%s-%s", s, how), label)
	S(V("fstat"), fstat(fd, &st));
	S64(V("fstat64"), fstat64(fd, &st64));
	S(V("__fxstat"), __fxstat(VER, fd, &st));
	S64(V("__fxstat64"), __fxstat64(VER, fd, &st64));
	S(V("fstatat-empty"), fstatat(fd, "", &st, AT_EMPTY_PATH));
	S64(V("fstatat64-empty"), fstatat64(fd, "", &st64, AT_EMPTY_PATH));
	S(V("__fxstatat-empty"), __fxstatat(VER, fd, "", &st, AT_EMPTY_PATH));
	SX(V("statx-empty"), STATX_BASIC_STATS, statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx));
	S(V("fstatat-noempty"), fstatat(fd, "", &st, 0));
	S(V("fstatat-rel"), fstatat(fd, "g", &st, 0));
#undef V
	close(fd);
}

static void make_file(const char *name, mode_t mode, size_t size)
{
	int fd = open(abspath(name), O_CREAT | O_WRONLY | O_EXCL, mode);
	char buf[4096];

	must(fd >= 0, name);
	memset(buf, 'x', sizeof buf);
	while (size > 0) {
		size_t n = size < sizeof buf ? size : sizeof buf;

		must(write(fd, buf, n) == (ssize_t)n, "write");
		size -= n;
	}
	must(close(fd) == 0, "close");
}

static void build_tree(void)
{
	char longname[300], back[8192];

	make_file("f", 0644, 5000);
	make_file("e", 0640, 0);
	make_file("x", 0755, 10);
	make_file("big", 0600, 1 << 20);
	must(mkdir(abspath("d"), 0755) == 0, "mkdir d");
	make_file("d/g", 0644, 1);
	must(mkdir(abspath("d/sub"), 0700) == 0, "mkdir d/sub");
	must(symlink("f", abspath("l")) == 0, "symlink l");
	must(symlink("nope", abspath("dl")) == 0, "symlink dl");
	must(symlink("d", abspath("ld")) == 0, "symlink ld");
	must(symlink("loop", abspath("loop")) == 0, "symlink loop");
	must(symlink("/etc", abspath("etc")) == 0, "symlink etc");
	snprintf(back, sizeof back, "%s/f", root);
	must(symlink(back, abspath("back")) == 0, "symlink back");
	must(symlink("../../../../../../../../../../../../../etc", abspath("up")) == 0, "symlink up");
	memset(longname, 'n', 140);
	longname[140] = 0;
	must(symlink(longname, abspath("longlink")) == 0, "symlink longlink");
	must(link(abspath("x"), abspath("h")) == 0, "link h");
}

static void test_stat(void)
{
	static const char *names[] = {".", "f", "e", "x", "big", "d", "d/g", "d/sub", "d/..", "l", "dl",
				      "ld", "h", "missing", "missing/x", "f/x", "loop", "loop/x", "", "f/",
				      "d/", "l/", "ld/", "dl/", "etc", "etc/.", "back", "up", "longlink", NULL};
	char longname[300];
	size_t i;

	for (i = 0; names[i]; i++)
		stat_paths(names[i]);
	memset(longname, 'n', 256);
	longname[256] = 0;
	stat_paths(longname);

	stat_fd("f", "rdonly", open(abspath("f"), O_RDONLY));
	stat_fd("l", "rdonly", open(abspath("l"), O_RDONLY));
	stat_fd("l", "path-nofollow", open(abspath("l"), O_PATH | O_NOFOLLOW));
	stat_fd("f", "path", open(abspath("f"), O_PATH));
	stat_fd("d", "dir", open(abspath("d"), O_RDONLY | O_DIRECTORY));
	stat_fd("dl", "rdonly", open(abspath("dl"), O_RDONLY));
	stat_fd("null", "real", open("/dev/null", O_RDONLY));
}

static void test_legacy_errors(void)
{
	struct stat st;
	struct stat64 st64;
	int fd = open(abspath("f"), O_RDONLY);

	must(fd >= 0, "open f");
	SHOW("__xstat ver 0", __xstat(0, abspath("f"), &st));
	SHOW("__xstat ver 3", __xstat(3, abspath("f"), &st));
	SHOW("__xstat64 ver 3", __xstat64(3, abspath("f"), &st64));
	SHOW("__lxstat ver 3", __lxstat(3, abspath("l"), &st));
	SHOW("__fxstat ver 3", __fxstat(3, fd, &st));
	SHOW("__fxstat64 ver 3", __fxstat64(3, fd, &st64));
	SHOW("__fxstatat ver 3", __fxstatat(3, rootfd, "f", &st, 0));
	SHOW("__fxstatat64 ver 3", __fxstatat64(3, rootfd, "f", &st64, 0));
	close(fd);
}

static void test_flags_and_fds(void)
{
	struct stat st;
	struct statx sx;
	int fd;

	SHOW("fstatat bad flag", fstatat(rootfd, "f", &st, AT_REMOVEDIR));
	SHOW("fstatat ebadf", fstatat(-5, "f", &st, 0));
	SHOW("fstatat abs ignores dirfd", fstatat(-5, abspath("f"), &st, 0));
	SHOW("statx bad flag", statx(rootfd, "f", 0x40000000, STATX_BASIC_STATS, &sx));
	SHOW("statx both syncs", statx(rootfd, "f", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &sx));
	SHOW("statx reserved mask", statx(rootfd, "f", 0, STATX__RESERVED, &sx));
	memset(&sx, 0xff, sizeof sx);
	SHOW("statx f", statx(rootfd, "f", AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &sx));
	printf("statx f: attrs %llx blksize %u\n", (unsigned long long)sx.stx_attributes, sx.stx_blksize);
	SHOW("fstat closed", fstat(987, &st));

	/* An open file keeps its stats after its last name goes. */
	fd = open(abspath("gone"), O_CREAT | O_RDWR, 0600);
	must(fd >= 0, "open gone");
	must(write(fd, "abc", 3) == 3, "write gone");
	must(unlink(abspath("gone")) == 0, "unlink gone");
	SHOW("fstat unlinked", fstat(fd, &st));
	printf("fstat unlinked: n%lu s%lld\n", (unsigned long)st.st_nlink, (long long)st.st_size);
	SHOW("stat unlinked name", stat(abspath("gone"), &st));
	close(fd);

	/* Size follows writes and truncation; times agree across the calls. */
	fd = open(abspath("grow"), O_CREAT | O_RDWR, 0644);
	must(fd >= 0, "open grow");
	must(pwrite(fd, "z", 1, 8191) == 1, "pwrite grow");
	must(fstat(fd, &st) == 0, "fstat grow");
	must(statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) == 0, "statx grow");
	printf("grow: s%lld times same as statx: %d\n", (long long)st.st_size,
	       st.st_mtim.tv_sec == sx.stx_mtime.tv_sec && st.st_mtim.tv_nsec == (long)sx.stx_mtime.tv_nsec &&
		       st.st_ctim.tv_sec == sx.stx_ctime.tv_sec && st.st_atim.tv_sec == sx.stx_atime.tv_sec);
	must(ftruncate(fd, 3) == 0, "ftruncate grow");
	must(fstat(fd, &st) == 0, "fstat grow");
	printf("grow truncated: s%lld\n", (long long)st.st_size);
	close(fd);
}

static void print_vfs(const char *what, int rc, const struct statvfs *v)
{
	if (rc != 0) {
		printf("%s: %s\n", what, ename(errno));
		return;
	}
	printf("%s: bsize %lu frsize %lu namemax %lu rdonly %d bfree<=blocks %d bavail<=bfree %d "
	       "ffree<=files %d favail<=ffree %d blocks>0 %d\n",
	       what, v->f_bsize, v->f_frsize, v->f_namemax, !!(v->f_flag & ST_RDONLY),
	       v->f_bfree <= v->f_blocks, v->f_bavail <= v->f_bfree, v->f_ffree <= v->f_files,
	       v->f_favail <= v->f_ffree, v->f_blocks > 0);
}

static void print_fs(const char *what, int rc, const struct statfs *s)
{
	if (rc != 0) {
		printf("%s: %s\n", what, ename(errno));
		return;
	}
	printf("%s: type %lx bsize %ld frsize %ld namelen %ld valid %d bfree<=blocks %d bavail<=bfree %d "
	       "ffree<=files %d\n",
	       what, (unsigned long)s->f_type, (long)s->f_bsize, (long)s->f_frsize, (long)s->f_namelen,
	       !!(s->f_flags & 0x20), s->f_bfree <= s->f_blocks, s->f_bavail <= s->f_bfree,
	       s->f_ffree <= s->f_files);
}

static void test_statfs(void)
{
	struct statvfs v, v2;
	struct statvfs64 v64;
	struct statfs s;
	struct statfs64 s64;
	int fd = open(abspath("d"), O_RDONLY | O_DIRECTORY);
	int ffd = open(abspath("f"), O_RDONLY);
	int rc;

	must(fd >= 0 && ffd >= 0, "open for statfs");
	print_vfs("statvfs root", statvfs(root, &v), &v);
	print_vfs("statvfs f", statvfs(abspath("f"), &v), &v);
	print_vfs("statvfs l", statvfs(abspath("l"), &v), &v);
	print_vfs("statvfs missing", statvfs(abspath("missing"), &v), &v);
	print_vfs("statvfs f/x", statvfs(abspath("f/x"), &v), &v);
	print_vfs("statvfs dl", statvfs(abspath("dl"), &v), &v);
	print_vfs("statvfs loop", statvfs(abspath("loop"), &v), &v);
	print_vfs("fstatvfs d", fstatvfs(fd, &v), &v);
	print_vfs("fstatvfs f", fstatvfs(ffd, &v), &v);
	print_vfs("fstatvfs closed", fstatvfs(987, &v), &v);
	rc = statvfs64(abspath("d"), &v64);
	printf("statvfs64 d: %d bsize %lu namemax %lu bfree<=blocks %d\n", rc, v64.f_bsize, v64.f_namemax,
	       v64.f_bfree <= v64.f_blocks);
	rc = fstatvfs64(ffd, &v64);
	printf("fstatvfs64 f: %d bsize %lu namemax %lu\n", rc, v64.f_bsize, v64.f_namemax);

	print_fs("statfs root", statfs(root, &s), &s);
	print_fs("statfs missing", statfs(abspath("missing"), &s), &s);
	print_fs("statfs f/", statfs(abspath("f/"), &s), &s);
	print_fs("fstatfs f", fstatfs(ffd, &s), &s);
	print_fs("fstatfs closed", fstatfs(987, &s), &s);
	/* Through a symlink out of the root: the real file system answers. */
	rc = statfs(abspath("etc"), &s);
	must(rc == 0, "statfs etc");
	printf("statfs etc is tmpfs: %d\n", s.f_type == 0x01021994);
	rc = statvfs(abspath("up"), &v);
	printf("statvfs up: %d namemax %lu\n", rc, v.f_namemax);
	rc = statfs64(abspath("d/g"), &s64);
	printf("statfs64 d/g: %d type %lx namelen %ld\n", rc, (unsigned long)s64.f_type, (long)s64.f_namelen);
	rc = fstatfs64(fd, &s64);
	printf("fstatfs64 d: %d type %lx namelen %ld\n", rc, (unsigned long)s64.f_type, (long)s64.f_namelen);

	/* statfs and statvfs describe the same file system. */
	must(statvfs(root, &v2) == 0 && statfs(root, &s) == 0, "statfs pair");
	printf("same fs: blocks %d fsid %d\n", v2.f_blocks == (fsblkcnt_t)s.f_blocks,
	       v2.f_fsid == ((unsigned long)(unsigned)s.f_fsid.__val[0] |
			     ((unsigned long)(unsigned)s.f_fsid.__val[1] << 32)));
	close(fd);
	close(ffd);
}

static void test_access(void)
{
	static const char *names[] = {"f", "e", "x", "h", "d", "d/sub", "l", "dl", "ld", "missing", "f/x",
				      "loop", "", "f/", "etc", "back", NULL};
	static const int modes[] = {F_OK, R_OK, W_OK, X_OK, R_OK | W_OK | X_OK};
	static const char *mnames[] = {"F", "R", "W", "X", "RWX"};
	size_t i, m;

	for (i = 0; names[i]; i++) {
		const char *p = abspath(names[i]);

		printf("access %-9s", shown(names[i]));
		for (m = 0; m < 5; m++) {
			int a = access(p, modes[m]);
			int ea = a == 0 ? 0 : errno;
			int b = faccessat(rootfd, names[i], modes[m], AT_EACCESS);
			int eb = b == 0 ? 0 : errno;
			int c = faccessat(rootfd, names[i], modes[m], AT_SYMLINK_NOFOLLOW);
			int ec = c == 0 ? 0 : errno;
			int d = euidaccess(p, modes[m]);
			int ed = d == 0 ? 0 : errno;
			int e = eaccess(p, modes[m]);
			int ee = e == 0 ? 0 : errno;

			printf(" %s:%s/%s/%s/%s/%s", mnames[m], ea ? ename(ea) : "ok", eb ? ename(eb) : "ok",
			       ec ? ename(ec) : "ok", ed ? ename(ed) : "ok", ee ? ename(ee) : "ok");
		}
		printf("\n");
	}
	SHOW("access bad mode", access(abspath("f"), 0100));
	SHOW("access bad mode missing", access(abspath("missing"), 0100));
	SHOW("faccessat bad flag", faccessat(rootfd, "f", R_OK, 0x40000000));
	SHOW("faccessat empty path", faccessat(rootfd, "", R_OK, AT_EMPTY_PATH));
	SHOW("faccessat empty no flag", faccessat(rootfd, "", R_OK, 0));
	SHOW("faccessat ebadf", faccessat(-5, "f", R_OK, 0));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: pt_stat ROOT\n");
		return 2;
	}
	root = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	must(mkdir(root, 0755) == 0, "mkdir root");
	rootfd = open(root, O_RDONLY | O_DIRECTORY);
	must(rootfd >= 0, "open root");
	must(stat(root, &ref_root) == 0, "stat root");
	build_tree();
	test_stat();
	test_legacy_errors();
	test_flags_and_fds();
	test_statfs();
	test_access();
	return 0;
}

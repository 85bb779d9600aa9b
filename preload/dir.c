/*
 * Directory streams and listings: opendir, fdopendir, readdir (with its
 * _r and 64 forms), telldir, seekdir, rewinddir, dirfd, closedir, the
 * scandir family, and getdents64 on tree descriptors.
 *
 * glibc's DIR is opaque and every function taking one is wrapped, so a
 * stream on a tree directory is our own struct handed out as a DIR *. A
 * registry of live streams tells ours from glibc's; a glibc DIR is never
 * dereferenced here. Records come from rd_getdents in the kernel's
 * dirent64 layout and are handed out in place, as glibc does.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rp.h"

/* rd_getdents records are what glibc returns as struct dirent and dirent64
 * on 64-bit Linux, so they need no conversion. */
_Static_assert(sizeof(struct dirent) == sizeof(struct dirent64), "dirent and dirent64 differ");
_Static_assert(offsetof(struct dirent, d_off) == 8 && offsetof(struct dirent, d_reclen) == 16 &&
		       offsetof(struct dirent, d_type) == 18 && offsetof(struct dirent, d_name) == 19,
	       "struct dirent is not the kernel's dirent64");

#define DIR_BUF 32768 /* what glibc allocates for a tmpfs directory */
/* opendir's flags in glibc 2.36. */
#define DIR_OFLAGS (O_RDONLY | O_NONBLOCK | O_DIRECTORY | O_LARGEFILE | O_CLOEXEC)

/* A stream on a tree directory. The fields below `lock` are protected by
 * it, as glibc protects its DIR. */
struct dir_stream {
	struct dir_stream *next; /* registry link, under dir_lock */
	pthread_mutex_t lock;
	int fd;                  /* what dirfd() returns and closedir() closes */
	size_t size;             /* bytes of records in buf */
	size_t offset;           /* the next record in buf */
	long filepos;            /* telldir(): d_off of the last record returned */
	int errcode;             /* readdir_r's sticky error */
	/* Slack after the records: a caller may copy a whole struct dirent
	 * from the last one. */
	_Alignas(8) char buf[DIR_BUF + sizeof(struct dirent64)];
};

/* ---- the registry of our streams ---- */

static pthread_mutex_t dir_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dir_stream *dir_live;
static int dir_nlive RP_HOT; /* read without the lock: the fast "none of ours" path */

static void dir_fork_prepare(void)
{
	pthread_mutex_lock(&dir_lock);
}

static void dir_fork_done(void)
{
	pthread_mutex_unlock(&dir_lock);
}

static void dir_atfork(void)
{
	pthread_atfork(dir_fork_prepare, dir_fork_done, dir_fork_done);
}

/* Our stream behind d, or NULL if d is glibc's. */
static struct dir_stream *dir_find(DIR *d)
{
	struct dir_stream *s;

	if (!d || !__atomic_load_n(&dir_nlive, __ATOMIC_ACQUIRE))
		return NULL;
	pthread_mutex_lock(&dir_lock);
	for (s = dir_live; s && (DIR *)s != d; s = s->next)
		;
	pthread_mutex_unlock(&dir_lock);
	return s;
}

static void dir_register(struct dir_stream *s)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, dir_atfork);
	pthread_mutex_lock(&dir_lock);
	s->next = dir_live;
	dir_live = s;
	__atomic_add_fetch(&dir_nlive, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&dir_lock);
}

static void dir_unregister(struct dir_stream *s)
{
	struct dir_stream **pp;

	pthread_mutex_lock(&dir_lock);
	for (pp = &dir_live; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			__atomic_sub_fetch(&dir_nlive, 1, __ATOMIC_RELEASE);
			break;
		}
	pthread_mutex_unlock(&dir_lock);
}

/* ---- streams ---- */

/* close(2) semantics on a descriptor a stream owned. */
static int dir_close_fd(int fd)
{
	rd_fh fh = rp_fd_forget(fd);

	if (fh)
		rd_close(rp.tree, fh);
	return REAL(close)(fd);
}

/* A stream on tree descriptor fd; on failure fd is closed if `owned`. */
static DIR *dir_new(int fd, int owned)
{
	struct dir_stream *s = malloc(sizeof *s);

	if (!s) {
		if (owned)
			dir_close_fd(fd);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->fd = fd;
	s->size = 0;
	s->offset = 0;
	s->filepos = 0;
	s->errcode = 0;
	dir_register(s);
	return (DIR *)s;
}

static void dir_free(struct dir_stream *s)
{
	dir_unregister(s);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/*
 * Open (dirfd, path) as opendir does. 1: ours, the tree descriptor in
 * *fdp; 0: not ours, call the real function with *dirfd and *path (the
 * original arguments, or AT_FDCWD and the real path an escape led to);
 * <0: -errno. `at` holds the storage *path may point into.
 */
static int dir_open(int *dirfd, const char **path, struct rp_at *at, int *fdp)
{
	int k = rp_path(*dirfd, *path, at);

	while (k > 0) {
		rd_fh fh;
		int rc = rd_open(rp.tree, at->base, at->path, DIR_OFLAGS, 0, &fh);

		if (rc == 0) {
			rc = rp_fd_install(fh, 1);
			if (rc < 0)
				return rc;
			*fdp = rc;
			return 1;
		}
		if (rc != -RD_EESCAPE)
			return rc;
		k = rp_escape(at);
		*dirfd = AT_FDCWD;
		*path = at->path;
	}
	return k;
}

/* Refill the buffer from the directory position: bytes, 0 at the end,
 * -errno. A removed directory reads as the end, as glibc treats ENOENT.
 * The descriptor is read through the real call if it stopped being ours
 * (closed behind the stream's back and reused). */
static long dir_fill(struct dir_stream *s)
{
	rd_fh fh = rp_fd_get(s->fd);
	long n;

	if (fh) {
		n = rd_getdents(rp.tree, fh, s->buf, DIR_BUF);
	} else {
		int saved = errno;

		n = REAL(getdents64)(s->fd, s->buf, DIR_BUF);
		if (n < 0)
			n = -errno;
		errno = saved;
	}
	return n == -ENOENT ? 0 : n;
}

/* The next record in *out (NULL at the end): 0 or -errno. Under s->lock. */
static int dir_next(struct dir_stream *s, struct dirent64 **out)
{
	struct dirent64 *d;

	*out = NULL;
	do {
		if (s->offset >= s->size) {
			long n = dir_fill(s);

			if (n <= 0)
				return (int)n;
			s->size = (size_t)n;
			s->offset = 0;
		}
		d = (struct dirent64 *)(void *)(s->buf + s->offset);
		s->offset += d->d_reclen;
		s->filepos = d->d_off;
	} while (d->d_ino == 0);
	*out = d;
	return 0;
}

static struct dirent64 *dir_read(struct dir_stream *s)
{
	struct dirent64 *d;
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = dir_next(s, &d);
	pthread_mutex_unlock(&s->lock);
	if (rc < 0)
		errno = -rc;
	return d;
}

/* readdir_r: copy the record; the error number is the result. */
static int dir_read_r(struct dir_stream *s, void *entry, void **result)
{
	struct dirent64 *d;
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = dir_next(s, &d);
	if (rc < 0) {
		s->errcode = -rc;
		errno = -rc;
	}
	if (d) {
		memcpy(entry, d, d->d_reclen);
		*result = entry;
		rc = 0;
	} else {
		*result = NULL;
		rc = s->errcode;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* Move the directory position; errors are ignored, as glibc ignores them.
 * rewinddir also clears readdir_r's sticky error. */
static void dir_seek(struct dir_stream *s, long pos, int clear)
{
	rd_fh fh = rp_fd_get(s->fd);

	pthread_mutex_lock(&s->lock);
	if (fh)
		rp_ret(rd_lseek(rp.tree, fh, pos, SEEK_SET));
	else
		REAL(lseek)(s->fd, pos, SEEK_SET);
	s->size = 0;
	s->offset = 0;
	s->filepos = pos;
	if (clear)
		s->errcode = 0;
	pthread_mutex_unlock(&s->lock);
}

static int dir_close(struct dir_stream *s)
{
	int fd = s->fd;

	dir_free(s);
	return dir_close_fd(fd);
}

/* ---- scandir ---- */

/*
 * The body of scandir after the stream is open, as glibc's: select and
 * copy each entry (errno is reset around the callbacks so only a failure
 * of readdir, malloc or realloc counts), sort, close; on failure free it
 * all and return -1. errno is restored on success.
 */
#define DIR_SCAN_TAIL(NAME, DIRENT)                                                                  \
	static int NAME(struct dir_stream *s, DIRENT ***list, int (*sel)(const DIRENT *),                    \
			int (*cmp)(const DIRENT **, const DIRENT **))                                        \
	{                                                                                                    \
		int saved = errno, rc;                                                                       \
		DIRENT **v = NULL, *d;                                                                       \
		size_t n = 0, cap = 0;                                                                       \
                                                                                                             \
		errno = 0;                                                                                   \
		while ((d = (DIRENT *)(void *)dir_read(s)) != NULL) {                                        \
			DIRENT *copy;                                                                        \
                                                                                                             \
			if (sel) {                                                                           \
				int keep = sel(d);                                                           \
                                                                                                             \
				errno = 0;                                                                   \
				if (!keep)                                                                   \
					continue;                                                            \
			}                                                                                    \
			if (n == cap) {                                                                      \
				DIRENT **nv = realloc(v, (cap ? cap * 2 : 10) * sizeof *v);                  \
                                                                                                             \
				if (!nv)                                                                     \
					break;                                                               \
				v = nv;                                                                      \
				cap = cap ? cap * 2 : 10;                                                    \
			}                                                                                    \
			copy = malloc(d->d_reclen);                                                          \
			if (!copy)                                                                           \
				break;                                                                       \
			v[n++] = memcpy(copy, d, d->d_reclen);                                               \
			errno = 0;                                                                           \
		}                                                                                            \
		if (errno == 0) {                                                                            \
			dir_close(s);                                                                        \
			if (cmp)                                                                             \
				qsort(v, n, sizeof *v, (int (*)(const void *, const void *))cmp);            \
			*list = v;                                                                           \
			errno = saved;                                                                       \
			return (int)n;                                                                       \
		}                                                                                            \
		rc = errno;                                                                                  \
		while (n > 0)                                                                                \
			free(v[--n]);                                                                        \
		free(v);                                                                                     \
		dir_close(s);                                                                                \
		errno = rc;                                                                                  \
		return -1;                                                                                   \
	}

DIR_SCAN_TAIL(dir_scan, struct dirent)
DIR_SCAN_TAIL(dir_scan64, struct dirent64)

/* Open (dirfd, path) for scandir: 1 ours (*sp), 0 not ours (call the real
 * one with *dirfd, *path), -1 errno set. */
static int dir_scan_open(int *dirfd, const char **path, struct rp_at *at, struct dir_stream **sp)
{
	int fd = -1, k;

	if (!*path || !(*path)[0])
		return 0; /* glibc's ENOENT */
	k = dir_open(dirfd, path, at, &fd);
	if (k <= 0)
		return (int)rp_ret(k);
	*sp = (struct dir_stream *)(void *)dir_new(fd, 1);
	return *sp ? 1 : -1;
}

/* ---- exported wrappers ---- */

RP_EXPORT DIR *opendir(const char *name)
{
	struct rp_at at;
	int dirfd = AT_FDCWD, fd = -1, k;

	if (!name || !name[0])
		return REAL(opendir)(name);
	k = dir_open(&dirfd, &name, &at, &fd);
	if (k == 0) {
		rp_fd_idle_flush(); /* its descriptor is the lowest free (fd.c) */
		return REAL(opendir)(name);
	}
	if (k < 0) {
		rp_ret(k);
		return NULL;
	}
	return dir_new(fd, 1);
}

RP_EXPORT DIR *fdopendir(int fd)
{
	rd_fh fh = rp_fd_get(fd);
	struct stat st;
	int rc;

	if (!fh && rp_fd_idle(fd)) {
		rp_ret(-EBADF);
		return NULL;
	}
	if (!fh)
		return REAL(fdopendir)(fd);
	rc = rd_fstat(rp.tree, fh, &st);
	if (rc == 0 && !S_ISDIR(st.st_mode))
		rc = -ENOTDIR;
	if (rc == 0) {
		rc = rd_fh_getfl(rp.tree, fh);
		if (rc >= 0)
			rc = (rc & O_ACCMODE) == O_WRONLY ? -EINVAL : 0;
	}
	if (rc < 0) {
		rp_ret(rc);
		return NULL;
	}
	return dir_new(fd, 0);
}

RP_EXPORT struct dirent *readdir(DIR *d)
{
	struct dir_stream *s = dir_find(d);

	if (!s)
		return REAL(readdir)(d);
	return (struct dirent *)(void *)dir_read(s);
}

RP_EXPORT struct dirent64 *readdir64(DIR *d)
{
	struct dir_stream *s = dir_find(d);

	if (!s)
		return REAL(readdir64)(d);
	return dir_read(s);
}

RP_EXPORT int readdir_r(DIR *d, struct dirent *entry, struct dirent **result)
{
	struct dir_stream *s = dir_find(d);

	if (!s)
		return REAL(readdir_r)(d, entry, result);
	return dir_read_r(s, entry, (void **)result);
}

RP_EXPORT int readdir64_r(DIR *d, struct dirent64 *entry, struct dirent64 **result)
{
	struct dir_stream *s = dir_find(d);

	if (!s)
		return REAL(readdir64_r)(d, entry, result);
	return dir_read_r(s, entry, (void **)result);
}

RP_EXPORT int closedir(DIR *d)
{
	struct dir_stream *s = dir_find(d);

	if (!s) {
		DIR *any = d;
		int fd, rc;

		__asm__("" : "+r"(any)); /* glibc answers NULL with EINVAL; its header says nonnull */
		fd = rp.tree && any ? REAL(dirfd)(any) : -1;
		rc = REAL(closedir)(d);

		rp_fd_closed_real(fd); /* the lowest-free bound must know (fd.c) */
		return rc;
	}
	return dir_close(s);
}

RP_EXPORT int dirfd(DIR *d)
{
	struct dir_stream *s = dir_find(d);

	if (!s)
		return REAL(dirfd)(d);
	return s->fd;
}

RP_EXPORT void rewinddir(DIR *d)
{
	struct dir_stream *s = dir_find(d);

	if (!s) {
		REAL(rewinddir)(d);
		return;
	}
	dir_seek(s, 0, 1);
}

RP_EXPORT long telldir(DIR *d)
{
	struct dir_stream *s = dir_find(d);
	long pos;

	if (!s)
		return REAL(telldir)(d);
	pthread_mutex_lock(&s->lock);
	pos = s->filepos;
	pthread_mutex_unlock(&s->lock);
	return pos;
}

RP_EXPORT void seekdir(DIR *d, long pos)
{
	struct dir_stream *s = dir_find(d);

	if (!s) {
		REAL(seekdir)(d, pos);
		return;
	}
	dir_seek(s, pos, 0);
}

RP_EXPORT int scandir(const char *path, struct dirent ***list, int (*sel)(const struct dirent *),
		      int (*cmp)(const struct dirent **, const struct dirent **))
{
	struct rp_at at;
	struct dir_stream *s;
	int dirfd = AT_FDCWD, k = dir_scan_open(&dirfd, &path, &at, &s);

	if (k == 0)
		return REAL(scandir)(path, list, sel, cmp);
	return k < 0 ? -1 : dir_scan(s, list, sel, cmp);
}

RP_EXPORT int scandir64(const char *path, struct dirent64 ***list, int (*sel)(const struct dirent64 *),
			int (*cmp)(const struct dirent64 **, const struct dirent64 **))
{
	struct rp_at at;
	struct dir_stream *s;
	int dirfd = AT_FDCWD, k = dir_scan_open(&dirfd, &path, &at, &s);

	if (k == 0)
		return REAL(scandir64)(path, list, sel, cmp);
	return k < 0 ? -1 : dir_scan64(s, list, sel, cmp);
}

RP_EXPORT int scandirat(int dirfd, const char *path, struct dirent ***list, int (*sel)(const struct dirent *),
			int (*cmp)(const struct dirent **, const struct dirent **))
{
	struct rp_at at;
	struct dir_stream *s;
	int k = dir_scan_open(&dirfd, &path, &at, &s);

	if (k == 0)
		return REAL(scandirat)(dirfd, path, list, sel, cmp);
	return k < 0 ? -1 : dir_scan(s, list, sel, cmp);
}

RP_EXPORT int scandirat64(int dirfd, const char *path, struct dirent64 ***list,
			  int (*sel)(const struct dirent64 *), int (*cmp)(const struct dirent64 **, const struct dirent64 **))
{
	struct rp_at at;
	struct dir_stream *s;
	int k = dir_scan_open(&dirfd, &path, &at, &s);

	if (k == 0)
		return REAL(scandirat64)(dirfd, path, list, sel, cmp);
	return k < 0 ? -1 : dir_scan64(s, list, sel, cmp);
}

RP_EXPORT ssize_t getdents64(int fd, void *buf, size_t len)
{
	RP_FDCALL(ssize_t, fd, rd_getdents(rp.tree, fh, buf, len), REAL(getdents64)(fd, buf, len));
}

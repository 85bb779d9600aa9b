/*
 * Streams on tree files: fopen, freopen, fdopen, tmpfile and fileno.
 * glibc's stream I/O calls the kernel directly, which would only see the
 * O_PATH placeholder, so a FILE on a tree descriptor is made with
 * fopencookie and its callbacks go to the core. Such a FILE owns its
 * descriptor (fclose closes it) and fileno is wrapped to report it, since
 * glibc gives cookie streams none. Mode strings are read as glibc 2.36
 * reads them.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rp.h"

/* glibc's stream state bits (libio.h, unchanged since libio began). Only
 * freopen of one of our streams sets them, to change its access class in
 * place as glibc's own freopen does. */
#define STDIO_NO_READS 0x0004
#define STDIO_NO_WRITES 0x0008
#define STDIO_EOF_SEEN 0x0010
#define STDIO_ERR_SEEN 0x0020
#define STDIO_IS_APPENDING 0x1000

/* stdio_open_tree: the path left the tree; continue with the real call. */
#define STDIO_REAL INT_MIN

struct stdio_cookie {
	FILE *fp;
	int fd;                     /* descriptor the stream owns; -1 after a failed freopen */
	char *buf;                  /* stream buffer, sized as glibc sizes a file's */
	char *path;                 /* absolute tree path it was opened by, or NULL */
	struct stdio_cookie *next;  /* registry bucket chain */
};

/* Registry FILE* -> cookie, for fileno and freopen. Lock order: a stream's
 * own lock first (fclose runs the close callback holding it), then this. */
#define STDIO_BUCKETS 64
static struct stdio_cookie *stdio_reg[STDIO_BUCKETS];
static pthread_mutex_t stdio_lock = PTHREAD_MUTEX_INITIALIZER;
static int stdio_live RP_HOT; /* registered cookies: at 0 fileno skips the lock */

struct stdio_mode {
	int flags;       /* open(2) flags */
	int file_flags;  /* STDIO_NO_READS, STDIO_NO_WRITES, STDIO_IS_APPENDING */
	int seek_end;    /* "a" without '+': glibc starts such a stream at EOF */
	char cls[3];     /* the same class for fopencookie: "r" "r+" "w" ... */
};

/* ---- internal helpers ---- */

static FILE *stdio_null(int rc)
{
	errno = -rc;
	return NULL;
}

static unsigned stdio_bucket(const FILE *fp)
{
	uintptr_t p = (uintptr_t)fp;

	return (unsigned)((p >> 4) ^ (p >> 12)) % STDIO_BUCKETS;
}

static void stdio_prefork(void);
static void stdio_postfork(void);

static void stdio_atfork(void)
{
	pthread_atfork(stdio_prefork, stdio_postfork, stdio_postfork);
}

/* The fork handlers are registered with the first stream: until then the
 * lock is never taken, and running them in every fork child cost it four
 * page faults (their code, pthread_mutex_unlock's, the lock's page). */
static void stdio_register(struct stdio_cookie *ck)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	unsigned b = stdio_bucket(ck->fp);

	pthread_once(&once, stdio_atfork);
	pthread_mutex_lock(&stdio_lock);
	ck->next = stdio_reg[b];
	stdio_reg[b] = ck;
	__atomic_add_fetch(&stdio_live, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&stdio_lock);
}

static void stdio_unregister(struct stdio_cookie *ck)
{
	struct stdio_cookie **pp;

	pthread_mutex_lock(&stdio_lock);
	for (pp = &stdio_reg[stdio_bucket(ck->fp)]; *pp; pp = &(*pp)->next) {
		if (*pp == ck) {
			*pp = ck->next;
			__atomic_sub_fetch(&stdio_live, 1, __ATOMIC_RELEASE);
			break;
		}
	}
	pthread_mutex_unlock(&stdio_lock);
}

/* Our cookie behind fp, NULL if fp is not one of our streams; *fd gets
 * its descriptor, read under the lock. */
static struct stdio_cookie *stdio_find(FILE *fp, int *fd)
{
	struct stdio_cookie *ck;

	if (!fp || !__atomic_load_n(&stdio_live, __ATOMIC_ACQUIRE))
		return NULL;
	pthread_mutex_lock(&stdio_lock);
	for (ck = stdio_reg[stdio_bucket(fp)]; ck; ck = ck->next)
		if (ck->fp == fp)
			break;
	if (ck && fd)
		*fd = ck->fd;
	pthread_mutex_unlock(&stdio_lock);
	return ck;
}

static void stdio_set_fd(struct stdio_cookie *ck, int fd)
{
	pthread_mutex_lock(&stdio_lock);
	ck->fd = fd;
	pthread_mutex_unlock(&stdio_lock);
}

static void stdio_prefork(void)
{
	pthread_mutex_lock(&stdio_lock);
}

static void stdio_postfork(void)
{
	pthread_mutex_unlock(&stdio_lock);
}

/* close(2) semantics for a descriptor that may be a tree descriptor. */
static int stdio_close_fd(int fd)
{
	rd_fh fh = rp_fd_forget(fd);

	if (fh)
		rd_close(rp.tree, fh);
	return REAL(close)(fd);
}

/* The callbacks act on the descriptor as glibc's file streams do, so a
 * stream whose descriptor was replaced (dup2 onto it) follows it there. */
static ssize_t stdio_cb_read(void *c, char *buf, size_t len)
{
	int fd = ((struct stdio_cookie *)c)->fd;
	rd_fh fh = rp_fd_get(fd);

	if (!fh)
		return REAL(read)(fd, buf, len);
	return rp_ret(rd_read(rp.tree, fh, buf, len));
}

/* As glibc's file write: retry short writes and return what was written;
 * glibc marks the stream in error when that is less than asked. */
static ssize_t stdio_cb_write(void *c, const char *buf, size_t len)
{
	int fd = ((struct stdio_cookie *)c)->fd;
	size_t done = 0;

	while (done < len) {
		rd_fh fh = rp_fd_get(fd);
		ssize_t n = fh ? rp_ret(RP_SPACE(rd_write(rp.tree, fh, buf + done, len - done)))
			       : REAL(write)(fd, buf + done, len - done);

		if (n <= 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static int stdio_cb_seek(void *c, off64_t *pos, int whence)
{
	int fd = ((struct stdio_cookie *)c)->fd;
	rd_fh fh = rp_fd_get(fd);
	off64_t r = fh ? rp_ret(rd_lseek(rp.tree, fh, *pos, whence)) : REAL(lseek64)(fd, *pos, whence);

	if (r < 0)
		return -1;
	*pos = r;
	return 0;
}

/* fclose: the descriptor goes as close(2) would take it. glibc touches
 * neither the cookie nor the buffer after this callback. */
static int stdio_cb_close(void *c)
{
	struct stdio_cookie *ck = c;
	int rc = ck->fd >= 0 ? stdio_close_fd(ck->fd) : 0, err = errno;

	stdio_unregister(ck);
	free(ck->path);
	free(ck->buf);
	free(ck);
	errno = err;
	return rc;
}

/* A stream of class cls on descriptor fd, opened by tree path (owned
 * from here on; may be NULL). The buffer is st_blksize when smaller than
 * BUFSIZ, as glibc picks for a file. On failure fd stays open for the
 * caller to close. */
static FILE *stdio_make(int fd, const char *cls, char *path)
{
	static const cookie_io_functions_t io = {stdio_cb_read, stdio_cb_write, stdio_cb_seek, stdio_cb_close};
	struct stdio_cookie *ck = calloc(1, sizeof *ck);
	rd_fh fh = rp_fd_get(fd);
	size_t size = BUFSIZ;
	struct stat st;

	if (!ck) {
		free(path);
		return NULL;
	}
	ck->path = path;
	if (fh && rd_fstat(rp.tree, fh, &st) == 0 && st.st_blksize > 0 && st.st_blksize < BUFSIZ)
		size = (size_t)st.st_blksize;
	ck->fd = fd;
	ck->buf = malloc(size);
	ck->fp = ck->buf ? fopencookie(ck, cls, io) : NULL;
	if (!ck->fp) {
		int err = errno;

		free(ck->path);
		free(ck->buf);
		free(ck);
		errno = err;
		return NULL;
	}
	setvbuf(ck->fp, ck->buf, _IOFBF, size);
	stdio_register(ck);
	return ck->fp;
}

/* glibc's reading of a mode string. fopen looks at up to six characters
 * after the first: '+' read and write, 'x' O_EXCL, 'e' O_CLOEXEC, anything
 * else ignored (so ",ccs=" is). fdopen looks at four and stops at '+'. */
static int stdio_mode(const char *mode, int for_fdopen, struct stdio_mode *m)
{
	int plus = 0, i;

	memset(m, 0, sizeof *m);
	switch (mode[0]) {
	case 'r':
		m->flags = O_RDONLY;
		m->file_flags = STDIO_NO_WRITES;
		break;
	case 'w':
		m->flags = O_WRONLY | O_CREAT | O_TRUNC;
		m->file_flags = STDIO_NO_READS;
		break;
	case 'a':
		m->flags = O_WRONLY | O_CREAT | O_APPEND;
		m->file_flags = STDIO_NO_READS | STDIO_IS_APPENDING;
		break;
	default:
		return -EINVAL;
	}
	for (i = 1; i < (for_fdopen ? 5 : 7) && mode[i]; i++) {
		if (mode[i] == '+') {
			plus = 1;
			if (for_fdopen)
				break;
		} else if (mode[i] == 'x' && !for_fdopen) {
			m->flags |= O_EXCL;
		} else if (mode[i] == 'e' && !for_fdopen) {
			m->flags |= O_CLOEXEC;
		}
	}
	if (plus) {
		m->flags = (m->flags & ~O_ACCMODE) | O_RDWR;
		m->file_flags &= STDIO_IS_APPENDING;
	}
	m->seek_end = (m->file_flags & STDIO_IS_APPENDING) && (m->file_flags & STDIO_NO_READS);
	m->cls[0] = mode[0];
	m->cls[1] = plus ? '+' : 0;
	m->cls[2] = 0;
	return 0;
}

/* The absolute tree path of at, kept for a later freopen(NULL). */
static char *stdio_abs_path(const struct rp_at *at)
{
	char dir[RP_PATH_MAX];
	size_t dl, pl = strlen(at->path);
	char *s;

	if (at->path[0] == '/')
		return strdup(at->path);
	if (at->base == RD_ROOT)
		dir[0] = 0;
	else if (rd_fh_path(rp.tree, at->base, dir, sizeof dir) < 0)
		return NULL;
	dl = strlen(dir);
	s = malloc(dl + 1 + pl + 1);
	if (s) {
		memcpy(s, dir, dl);
		s[dl] = '/';
		memcpy(s + dl + 1, at->path, pl + 1);
	}
	return s;
}

/* Open the classified path (k from rp_path) for a stream: a descriptor,
 * -errno, or STDIO_REAL with *real set when the path leads out of the
 * tree. *abs gets the tree path opened (NULL if unknown). */
static int stdio_open_tree(struct rp_at *at, int k, const struct stdio_mode *m, const char **real, char **abs)
{
	*abs = NULL;
	while (k > 0) {
		rd_fh fh;
		int rc = at->self ? rd_reopen(rp.tree, at->base, m->flags | O_LARGEFILE, &fh)
				  : (int)RP_SPACE(rd_open(rp.tree, at->base, at->path, m->flags | O_LARGEFILE, 0666, &fh));

		if (rc != -RD_EESCAPE) {
			if (rc < 0)
				return rc;
			if (m->seek_end)
				rd_lseek(rp.tree, fh, 0, SEEK_END);
			rc = rp_fd_install(fh, m->flags & O_CLOEXEC);
			if (rc >= 0 && !at->self)
				*abs = stdio_abs_path(at);
			return rc;
		}
		k = rp_escape(at);
		*real = at->path;
	}
	return k < 0 ? k : STDIO_REAL;
}

/* The same open on the real filesystem (freopen of one of our streams). */
static int stdio_open_real(const char *path, const struct stdio_mode *m)
{
	int fd = REAL(openat)(AT_FDCWD, path, m->flags | O_LARGEFILE, 0666);

	if (fd < 0)
		return -errno;
	if (m->seek_end)
		REAL(lseek)(fd, 0, SEEK_END);
	return fd;
}

/* freopen(NULL, ...) of a tree descriptor. glibc opens /proc/self/fd/N,
 * a new open of the same file. The core opens only by path: the path the
 * stream was opened by serves while it still names the same file. Else
 * the stream keeps its open file, which must allow the new access mode
 * (else EBADF): "w" truncates, the position restarts (at EOF for "a"),
 * O_APPEND follows the mode. */
static int stdio_reopen_same(int fd, rd_fh fh, const struct stdio_mode *m, const char *path)
{
	int fl = rd_fh_getfl(rp.tree, fh), acc, want = m->flags & O_ACCMODE, rc;
	struct stat was, now;
	rd_fh nfh;

	if (fl < 0)
		return fl;
	if ((m->flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return -EEXIST; /* the file exists: it is open */
	if (path && rd_fstat(rp.tree, fh, &was) == 0 && rd_stat(rp.tree, RD_ROOT, path, &now, 0) == 0 &&
	    was.st_ino == now.st_ino) {
		rc = rd_open(rp.tree, RD_ROOT, path, (m->flags & ~(O_CREAT | O_EXCL)) | O_LARGEFILE, 0, &nfh);
		if (rc < 0)
			return rc;
		if (m->seek_end)
			rd_lseek(rp.tree, nfh, 0, SEEK_END);
		return rp_fd_install(nfh, m->flags & O_CLOEXEC);
	}
	acc = fl & O_ACCMODE;
	if ((fl & O_PATH) || (acc != O_RDWR && acc != want))
		return -EBADF;
	if (m->flags & O_TRUNC) {
		rc = rd_ftruncate(rp.tree, fh, 0);
		if (rc < 0)
			return rc;
	}
	rc = rd_fh_setfl(rp.tree, fh, (fl & ~O_APPEND) | (m->flags & O_APPEND));
	if (rc < 0)
		return rc;
	rd_lseek(rp.tree, fh, 0, m->seek_end ? SEEK_END : SEEK_SET);
	REAL(fcntl)(fd, F_SETFD, (m->flags & O_CLOEXEC) ? FD_CLOEXEC : 0);
	return fd;
}

/* Put the stream's new file at its old descriptor number as glibc's
 * freopen does with dup3, then drop the temporary descriptor. */
static int stdio_move(int from, int to, int cloexec)
{
	rd_fh fh = rp_fd_get(from), old;

	if (REAL(dup3)(from, to, cloexec ? O_CLOEXEC : 0) < 0) {
		int err = errno;

		stdio_close_fd(from);
		return -err;
	}
	old = rp_fd_forget(to);
	if (old)
		rd_close(rp.tree, old);
	if (fh) {
		rd_fh_ref(rp.tree, fh);
		rp_fd_set(to, fh);
	}
	stdio_close_fd(from);
	return to;
}

/* glibc's fileno without its errno when fp has no descriptor. */
static int stdio_real_fileno(FILE *fp)
{
	int err = errno, fd = REAL(fileno)(fp);

	errno = err;
	return fd;
}

static FILE *stdio_fopen(const char *path, const char *mode, FILE *(*real_fopen)(const char *, const char *))
{
	struct stdio_mode m;
	struct rp_at at;
	const char *real = path;
	int k = rp_path_open(AT_FDCWD, path, &at), fd;
	char *abs;
	FILE *fp;

	if (k == 0) {
		rp_fd_idle_flush(); /* its descriptor is the lowest free (fd.c) */
		return rp_mounts_fopen(path, mode, real_fopen);
	}
	if (stdio_mode(mode, 0, &m) < 0)
		return stdio_null(-EINVAL);
	fd = stdio_open_tree(&at, k, &m, &real, &abs);
	if (fd == STDIO_REAL) {
		rp_fd_idle_flush();
		return real_fopen(real, mode);
	}
	if (fd < 0)
		return stdio_null(fd);
	fp = stdio_make(fd, m.cls, abs);
	if (!fp) {
		int err = errno;

		stdio_close_fd(fd);
		errno = err;
	}
	return fp;
}

/* The new file for freopen: a descriptor, -errno or STDIO_REAL. *abs
 * gets the tree path the stream is now open by (old_abs is the one it
 * was open by, for freopen(NULL)). */
static int stdio_reopen_target(const char *path, int k, struct rp_at *at, int old, const struct stdio_mode *m,
			       const char **real, const char *old_abs, char **abs)
{
	rd_fh fh;
	char proc[64];

	*abs = NULL;
	if (path)
		return stdio_open_tree(at, k, m, real, abs);
	fh = rp_fd_get(old);
	if (fh) {
		*abs = old_abs ? strdup(old_abs) : NULL;
		return stdio_reopen_same(old, fh, m, old_abs);
	}
	if (old < 0)
		return -EFAULT;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", old);
	return stdio_open_real(proc, m);
}

/* freopen of one of our streams: the FILE stays, its descriptor and access
 * class change; a failure leaves it closed, as glibc leaves it. */
static FILE *stdio_freopen_ours(const char *path, int k, struct rp_at *at, const struct stdio_mode *m, FILE *fp,
				struct stdio_cookie *ck)
{
	const char *real = path;
	char *abs;
	int old, fd;

	flockfile(fp);
	fflush_unlocked(fp);
	old = ck->fd;
	fd = stdio_reopen_target(path, k, at, old, m, &real, ck->path, &abs);
	if (fd == STDIO_REAL)
		fd = stdio_open_real(real, m);
	if (fd >= 0 && old >= 0 && fd != old)
		fd = stdio_move(fd, old, m->flags & O_CLOEXEC);
	free(ck->path);
	ck->path = NULL;
	if (fd < 0) {
		free(abs);
		if (old >= 0)
			stdio_close_fd(old);
		stdio_set_fd(ck, -1);
		funlockfile(fp);
		return stdio_null(fd);
	}
	ck->path = abs;
	stdio_set_fd(ck, fd);
	fp->_flags &= ~(STDIO_NO_READS | STDIO_NO_WRITES | STDIO_IS_APPENDING | STDIO_EOF_SEEN | STDIO_ERR_SEEN);
	fp->_flags |= m->file_flags;
	funlockfile(fp);
	return fp;
}

/* freopen of a glibc file stream onto a tree file. A glibc stream cannot
 * become a cookie stream in place, so a new one takes its descriptor
 * number and, for stdin, stdout and stderr, its name; the old FILE lets go
 * of the descriptor (fileno -1), so using or closing it harms nothing. */
static FILE *stdio_freopen_real_stream(const char *path, const char *mode, int k, struct rp_at *at,
				       const struct stdio_mode *m, FILE *fp,
				       FILE *(*real_freopen)(const char *, const char *, FILE *))
{
	const char *real = path;
	char *abs;
	int old, fd;
	FILE *nf;

	/* Which standard stream this is, decided before the descriptor moves:
	 * moving a tree file onto 0-2 rebinds the global (stdstream.c). */
	FILE **std = fp == stdin ? &stdin : fp == stdout ? &stdout : fp == stderr ? &stderr : NULL;

	fflush(fp);
	old = stdio_real_fileno(fp);
	fd = stdio_reopen_target(path, k, at, old, m, &real, NULL, &abs);
	if (fd == STDIO_REAL)
		return real_freopen(real, mode, fp);
	if (fd >= 0 && old >= 0 && fd != old)
		fd = stdio_move(fd, old, m->flags & O_CLOEXEC);
	if (fd < 0) {
		free(abs);
		return stdio_null(fd);
	}
	nf = stdio_make(fd, m->cls, abs);
	if (!nf) {
		int err = errno;

		stdio_close_fd(fd);
		return stdio_null(-err);
	}
	fp->_fileno = -1;
	if (std)
		*std = nf;
	return nf;
}

static FILE *stdio_freopen(const char *path, const char *mode, FILE *fp,
			   FILE *(*real_freopen)(const char *, const char *, FILE *))
{
	struct stdio_cookie *ck = stdio_find(fp, NULL);
	struct stdio_mode m;
	struct rp_at at;
	int k = 0;

	if (path)
		k = rp_path_open(AT_FDCWD, path, &at);
	rp_fd_idle_flush(); /* a real open may be made: the lowest free (fd.c) */
	if (!ck && (path ? k == 0 : !rp_fd_get(stdio_real_fileno(fp))))
		return real_freopen(path, mode, fp);
	if (stdio_mode(mode, 0, &m) < 0)
		return stdio_null(-EINVAL);
	if (ck)
		return stdio_freopen_ours(path, k, &at, &m, fp, ck);
	return stdio_freopen_real_stream(path, mode, k, &at, &m, fp, real_freopen);
}

/* fdopen as glibc 2.36: the mode must fit the descriptor's access mode
 * (EINVAL), "a" adds O_APPEND when missing and then starts at EOF. */
static FILE *stdio_fdopen(int fd, rd_fh fh, const char *mode)
{
	struct stdio_mode m;
	int fl, appended = 0;
	FILE *fp;

	if (stdio_mode(mode, 1, &m) < 0)
		return stdio_null(-EINVAL);
	fl = rd_fh_getfl(rp.tree, fh);
	if (fl < 0)
		return stdio_null(fl);
	if (((fl & O_ACCMODE) == O_RDONLY && !(m.file_flags & STDIO_NO_WRITES)) ||
	    ((fl & O_ACCMODE) == O_WRONLY && !(m.file_flags & STDIO_NO_READS)))
		return stdio_null(-EINVAL);
	if ((m.file_flags & STDIO_IS_APPENDING) && !(fl & O_APPEND)) {
		int rc = rd_fh_setfl(rp.tree, fh, fl | O_APPEND);

		if (rc < 0)
			return stdio_null(rc);
		appended = 1;
	}
	fp = stdio_make(fd, m.cls, NULL);
	if (fp && appended && m.seek_end)
		rd_lseek(rp.tree, fh, 0, SEEK_END);
	return fp;
}

/* glibc's tmpfile ignores TMPDIR and makes an O_TMPFILE in /tmp. When
 * TMPDIR names a tree directory the file is made there instead, so it
 * counts against the quota; a TMPDIR that is missing falls back to glibc. */
static FILE *stdio_tmpfile(FILE *(*real_tmpfile)(void))
{
	const char *dir = rp.tree ? secure_getenv("TMPDIR") : NULL;
	struct rp_at at;
	int k = dir && *dir ? rp_path(AT_FDCWD, dir, &at) : 0, fd = STDIO_REAL;
	FILE *fp;

	while (k > 0) {
		rd_fh fh;
		int rc = (int)RP_SPACE(rd_open(rp.tree, at.base, at.path, O_RDWR | O_TMPFILE | O_EXCL | O_LARGEFILE, 0600, &fh));

		if (rc != -RD_EESCAPE) {
			fd = rc < 0 ? rc : rp_fd_install(fh, 0);
			break;
		}
		k = rp_escape(&at);
	}
	if (k < 0)
		fd = k;
	if (fd == STDIO_REAL || fd == -ENOENT || fd == -ENOTDIR) {
		rp_fd_idle_flush();
		return real_tmpfile();
	}
	if (fd < 0)
		return stdio_null(fd);
	fp = stdio_make(fd, "w+", NULL);
	if (!fp) {
		int err = errno;

		stdio_close_fd(fd);
		errno = err;
	}
	return fp;
}

/* Descriptors 0-2 inherited as tree descriptors get cookie streams, so
 * stdin, stdout and stderr work on them (stderr stays unbuffered). */
__attribute__((constructor(102))) static void stdio_init(void)
{
	static const char *const cls[3] = {"r", "w", "w"};
	FILE **std[3] = {&stdin, &stdout, &stderr};
	int i;

	for (i = 0; rp.tree && i < 3; i++) {
		FILE *nf = rp_fd_get(i) ? stdio_make(i, cls[i], NULL) : NULL;

		if (!nf)
			continue;
		if (i == 2)
			setvbuf(nf, NULL, _IONBF, 0);
		(*std[i])->_fileno = -1;
		*std[i] = nf;
	}
}

/* ---- exported wrappers ---- */

RP_EXPORT FILE *fopen(const char *path, const char *mode)
{
	return stdio_fopen(path, mode, REAL(fopen));
}

RP_EXPORT FILE *fopen64(const char *path, const char *mode)
{
	return stdio_fopen(path, mode, REAL(fopen64));
}

RP_EXPORT FILE *freopen(const char *path, const char *mode, FILE *fp)
{
	return stdio_freopen(path, mode, fp, REAL(freopen));
}

RP_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *fp)
{
	return stdio_freopen(path, mode, fp, REAL(freopen64));
}

RP_EXPORT FILE *fdopen(int fd, const char *mode)
{
	rd_fh fh = rp_fd_get(fd);

	if (!fh)
		return REAL(fdopen)(fd, mode);
	return stdio_fdopen(fd, fh, mode);
}

/* A real stream's descriptor is closed with glibc's internal close: the
 * idle descriptors' lowest-free bound is told here (fd.c). A tree stream
 * (a cookie) has none, and its close comes through close(). */
RP_EXPORT int fclose(FILE *fp)
{
	int fd = fp && rp.tree ? fp->_fileno : -1;
	int rc = REAL(fclose)(fp);

	if (fd >= 0)
		rp_fd_closed_real(fd);
	return rc;
}

RP_EXPORT int fileno(FILE *fp)
{
	int fd = -1;

	if (!stdio_find(fp, &fd) || fd < 0) {
		fd = rp_std_fileno(fp);
		return fd >= 0 ? fd : REAL(fileno)(fp);
	}
	return fd;
}

RP_EXPORT int fileno_unlocked(FILE *fp)
{
	int fd = -1;

	if (!stdio_find(fp, &fd) || fd < 0) {
		fd = rp_std_fileno(fp);
		return fd >= 0 ? fd : REAL(fileno_unlocked)(fp);
	}
	return fd;
}

RP_EXPORT FILE *tmpfile(void)
{
	return stdio_tmpfile(REAL(tmpfile));
}

RP_EXPORT FILE *tmpfile64(void)
{
	return stdio_tmpfile(REAL(tmpfile64));
}

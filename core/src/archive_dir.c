/*
 * Real directories in and out of a tree. Import copies through the staging
 * area (all or nothing); export fills "DEST.ramdir-partial-XXXXXX" and
 * renames it to DEST, so a DEST that exists is always complete. Modes,
 * atimes and mtimes (to the nanosecond) and symlinks are kept.
 */
#include "archive_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ramdir/archive.h>

/* /// Import ///////////////////////////////////////////////////////////// */

struct di_ctx {
	rd_tree *t;
	struct ar_stage st;
	struct ar_path real; /* the real node being copied */
	struct ar_path rel;  /* its path below the destination */
	char *buf;
	char *err;
	size_t errlen;
};

static int di_fail(struct di_ctx *c, int rc)
{
	ar_errf(c->err, c->errlen, "\"%s\": %s", c->real.s, ar_reason(c->t, rc));
	return ar_errno(rc);
}

static int di_file(struct di_ctx *c, const struct stat *st)
{
	const struct timespec ts[2] = { st->st_atim, st->st_mtim };
	int fd = open(c->real.s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	rd_fh fh;
	int rc;

	if (fd < 0)
		return di_fail(c, -errno);
	rc = ar_stage_create(&c->st, c->rel.s, &fh);
	if (rc < 0) {
		close(fd);
		return di_fail(c, rc);
	}
	for (;;) {
		ssize_t n = read(fd, c->buf, AR_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : 0;
			break;
		}
		rc = ar_write_all(c->t, fh, c->buf, (size_t)n);
		if (rc < 0)
			break;
	}
	if (rc == 0)
		rc = rd_fchmod(c->t, fh, st->st_mode & 07777);
	if (rc == 0)
		rc = rd_futimens(c->t, fh, ts);
	rd_close(c->t, fh);
	close(fd);
	return rc < 0 ? di_fail(c, rc) : 0;
}

static int di_symlink(struct di_ctx *c, const struct stat *st)
{
	const struct timespec ts[2] = { st->st_atim, st->st_mtim };
	ssize_t n = readlink(c->real.s, c->buf, AR_LINK_MAX + 1);
	int rc;

	if (n < 0)
		return di_fail(c, -errno);
	if (n > AR_LINK_MAX)
		return di_fail(c, -ENAMETOOLONG);
	c->buf[n] = '\0';
	rc = ar_stage_symlink(&c->st, c->buf, c->rel.s);
	if (rc == 0)
		rc = rd_utimens(c->t, c->st.dir, c->rel.s, ts, AT_SYMLINK_NOFOLLOW);
	return rc < 0 ? di_fail(c, rc) : 0;
}

static int di_copy_dir(struct di_ctx *c);

/* A directory is made writable, filled, then given its mode and times:
 * its mtime would otherwise move with every entry added. */
static int di_dir(struct di_ctx *c, const struct stat *st)
{
	const struct timespec ts[2] = { st->st_atim, st->st_mtim };
	int rc = ar_stage_mkdir(&c->st, c->rel.s, 0700);

	if (rc < 0)
		return di_fail(c, rc);
	rc = di_copy_dir(c);
	if (rc < 0)
		return rc;
	rc = rd_chmod(c->t, c->st.dir, c->rel.s, st->st_mode & 07777, 0);
	if (rc == 0)
		rc = rd_utimens(c->t, c->st.dir, c->rel.s, ts, 0);
	return rc < 0 ? di_fail(c, rc) : 0;
}

/* Copy the named children of the current directory. */
static int di_copy_names(struct di_ctx *c, const struct ar_names *l)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < l->n && rc == 0; i++) {
		size_t real_mark, rel_mark;
		struct stat st;

		if (ar_path_push(&c->real, l->v[i], &real_mark) < 0)
			return -ENOMEM;
		if (ar_path_push(&c->rel, l->v[i], &rel_mark) < 0) {
			ar_path_pop(&c->real, real_mark);
			return -ENOMEM;
		}
		if (lstat(c->real.s, &st) < 0)
			rc = di_fail(c, -errno);
		else if (S_ISDIR(st.st_mode))
			rc = di_dir(c, &st);
		else if (S_ISREG(st.st_mode))
			rc = di_file(c, &st);
		else if (S_ISLNK(st.st_mode))
			rc = di_symlink(c, &st);
		else {
			ar_errf(c->err, c->errlen, "\"%s\": devices, FIFOs and sockets cannot be imported",
				c->real.s);
			rc = -EOPNOTSUPP;
		}
		ar_path_pop(&c->rel, rel_mark);
		ar_path_pop(&c->real, real_mark);
	}
	return rc;
}

static int di_copy_dir(struct di_ctx *c)
{
	struct ar_names l = { 0 };
	int rc = ar_real_list(c->real.s, &l);

	rc = rc < 0 ? di_fail(c, rc) : di_copy_names(c, &l);
	ar_names_free(&l);
	return rc;
}

int rd_import_dir(rd_tree *t, const char *real_dir, const char *tree_dir, char *err, size_t errlen)
{
	struct di_ctx c = { .t = t, .err = err, .errlen = errlen };
	struct ar_names top = { 0 };
	struct stat st;
	int rc;

	ar_errf(err, errlen, "%s", "");
	rc = stat(real_dir, &st) < 0 ? -errno : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (rc < 0) {
		ar_errf(err, errlen, "\"%s\": %s", real_dir, ar_reason(NULL, rc));
		return rc;
	}
	rc = ar_real_list(real_dir, &top);
	if (rc < 0)
		ar_errf(err, errlen, "\"%s\": %s", real_dir, ar_reason(NULL, rc));
	c.buf = malloc(AR_CHUNK + 1);
	if (rc == 0 && (!c.buf || ar_path_init(&c.real, real_dir) || ar_path_init(&c.rel, "")))
		rc = -ENOMEM;
	if (rc == 0)
		rc = ar_stage_begin(&c.st, t, tree_dir, &top, err, errlen);
	if (rc == 0) {
		/* The top level as listed for the conflict check: a name that
		 * appears meanwhile is not imported, rather than left staged. */
		rc = di_copy_names(&c, &top);
		if (rc == 0)
			rc = ar_stage_commit(&c.st, err, errlen);
		else
			ar_stage_abort(&c.st);
	}
	if (rc == -ENOMEM && (!err || !errlen || !*err))
		ar_errf(err, errlen, "out of memory");
	ar_names_free(&top);
	ar_path_free(&c.real);
	ar_path_free(&c.rel);
	free(c.buf);
	return rc;
}

/* /// Export ///////////////////////////////////////////////////////////// */

struct dx_ctx {
	rd_tree *t;
	struct ar_path real; /* the partial directory, then the node being written */
	char *buf;
	char *err;
	size_t errlen;
};

static int dx_fail(struct dx_ctx *c, const char *path, int rc)
{
	ar_errf(c->err, c->errlen, "\"%s\": %s", path, ar_reason(c->t, rc));
	return ar_errno(rc);
}

static int dx_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int dx_file(struct dx_ctx *c, const char *path, const struct stat *st)
{
	const struct timespec ts[2] = { st->st_atim, st->st_mtim };
	rd_fh fh;
	int fd, rc = rd_open(c->t, RD_ROOT, path, O_RDONLY | O_NOFOLLOW, 0, &fh);

	if (rc < 0)
		return dx_fail(c, path, rc);
	fd = open(c->real.s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		rd_close(c->t, fh);
		return dx_fail(c, c->real.s, rc);
	}
	for (;;) {
		ssize_t n = rd_read(c->t, fh, c->buf, AR_CHUNK);

		if (n <= 0) {
			if (n < 0)
				rc = dx_fail(c, path, (int)n);
			break;
		}
		rc = dx_write_all(fd, c->buf, (size_t)n);
		if (rc < 0) {
			rc = dx_fail(c, c->real.s, rc);
			break;
		}
	}
	rd_close(c->t, fh);
	if (rc == 0 && (fchmod(fd, st->st_mode & 07777) < 0 || futimens(fd, ts) < 0))
		rc = dx_fail(c, c->real.s, -errno);
	if (close(fd) < 0 && rc == 0)
		rc = dx_fail(c, c->real.s, -errno);
	return rc;
}

static int dx_symlink(struct dx_ctx *c, const char *path, const struct stat *st)
{
	const struct timespec ts[2] = { st->st_atim, st->st_mtim };
	ssize_t n = rd_readlink(c->t, RD_ROOT, path, c->buf, AR_LINK_MAX + 1);

	if (n < 0)
		return dx_fail(c, path, (int)n);
	if (n > AR_LINK_MAX)
		return dx_fail(c, path, -ENAMETOOLONG);
	c->buf[n] = '\0';
	if (symlink(c->buf, c->real.s) < 0 ||
	    utimensat(AT_FDCWD, c->real.s, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return dx_fail(c, c->real.s, -errno);
	return 0;
}

/* Mode and times of a directory (or of the partial root) after its
 * contents, so neither a read-only mode nor the mtime gets in the way. */
static int dx_dir_done(struct dx_ctx *c, const char *real, const struct stat *st)
{
	const struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if (chmod(real, st->st_mode & 07777) < 0 || utimensat(AT_FDCWD, real, ts, 0) < 0)
		return dx_fail(c, real, -errno);
	return 0;
}

static int dx_visit(void *ud, const char *path, const char *rel, const struct stat *st, enum ar_visit when)
{
	struct dx_ctx *c = ud;
	size_t mark;
	int rc = 0;

	if (ar_path_push(&c->real, rel, &mark) < 0) {
		ar_errf(c->err, c->errlen, "out of memory");
		return -ENOMEM;
	}
	if (S_ISDIR(st->st_mode) && when == AR_POST)
		rc = dx_dir_done(c, c->real.s, st);
	else if (S_ISDIR(st->st_mode) && mkdir(c->real.s, 0700) < 0)
		rc = dx_fail(c, c->real.s, -errno);
	else if (S_ISREG(st->st_mode))
		rc = dx_file(c, path, st);
	else if (S_ISLNK(st->st_mode))
		rc = dx_symlink(c, path, st);
	ar_path_pop(&c->real, mark);
	return rc;
}

int rd_export_dir(rd_tree *t, const char *tree_dir, const char *real_dir, char *err, size_t errlen)
{
	struct dx_ctx c = { .t = t, .err = err, .errlen = errlen };
	struct stat st;
	char *tmp = NULL;
	int rc, exists = 0, made = 0;

	ar_errf(err, errlen, "%s", "");
	rc = rd_stat(t, RD_ROOT, tree_dir, &st, 0);
	if (rc == 0 && !S_ISDIR(st.st_mode))
		rc = -ENOTDIR;
	if (rc < 0)
		rc = dx_fail(&c, tree_dir, rc);
	if (rc == 0)
		rc = ar_real_dest_check(real_dir, 1, &exists, err, errlen);
	if (rc == 0 && (!(tmp = ar_partial_name(real_dir)) || !(c.buf = malloc(AR_CHUNK + 1))))
		rc = -ENOMEM;
	if (rc == 0 && !mkdtemp(tmp))
		rc = dx_fail(&c, tmp, -errno);
	made = rc == 0;
	if (rc == 0)
		rc = ar_path_init(&c.real, tmp);
	if (rc == 0)
		rc = ar_tree_walk(t, tree_dir, dx_visit, &c, err, errlen);
	if (rc == 0)
		rc = dx_dir_done(&c, tmp, &st);
	if (rc == 0) {
		rc = ar_real_publish(tmp, real_dir, exists);
		if (rc < 0)
			ar_errf(err, errlen, "destination \"%s\": %s", real_dir,
				rc == -EEXIST ? "was filled during the export" : ar_reason(NULL, rc));
	}
	if (rc < 0 && made)
		ar_real_rmtree(tmp);
	if (rc == -ENOMEM && (!err || !errlen || !*err))
		ar_errf(err, errlen, "out of memory");
	ar_path_free(&c.real);
	free(c.buf);
	free(tmp);
	return rc;
}

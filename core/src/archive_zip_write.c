/*
 * A tree directory out to a ZIP archive (libzip), written as Info-ZIP does
 * on unix: modes in the external attributes, symlinks as S_IFLNK entries
 * holding their target, exact mtimes in "UT" extra fields. File data is read
 * from the tree lazily while libzip writes, a chunk at a time.
 */
#include "archive_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include <ramdir/archive.h>

struct zx_ctx {
	rd_tree *t;
	zip_t *za;
	zip_uint64_t entries;
	int failed;       /* first error a data source met while zip_close ran */
	char *failed_path;
	char link[AR_LINK_MAX + 1];
	char *err;
	size_t errlen;
};

/* A tree file read lazily by libzip during zip_close, so the archive never
 * holds more than a chunk of file data in memory. */
struct zx_src {
	struct zx_ctx *c;
	char *path;
	rd_fh fh;
	zip_uint64_t size;
	time_t mtime;
	zip_error_t error;
};

static zip_int64_t zx_fail(struct zx_src *s, int rc)
{
	zip_error_set(&s->error, ZIP_ER_READ, -rc);
	if (!s->c->failed) {
		s->c->failed = rc;
		s->c->failed_path = strdup(s->path);
	}
	return -1;
}

static zip_int64_t zx_read(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	struct zx_src *s = ud;
	ssize_t n;
	int rc;

	switch (cmd) {
	case ZIP_SOURCE_OPEN:
		rc = rd_open(s->c->t, RD_ROOT, s->path, O_RDONLY | O_NOFOLLOW, 0, &s->fh);
		return rc < 0 ? zx_fail(s, ar_errno(rc)) : 0;
	case ZIP_SOURCE_READ:
		n = rd_read(s->c->t, s->fh, data, len > AR_CHUNK ? AR_CHUNK : (size_t)len);
		return n < 0 ? zx_fail(s, ar_errno((int)n)) : n;
	case ZIP_SOURCE_CLOSE:
		rd_close(s->c->t, s->fh);
		s->fh = 0;
		return 0;
	case ZIP_SOURCE_STAT: {
		zip_stat_t *st = data;

		zip_stat_init(st);
		st->size = s->size;
		st->mtime = s->mtime;
		st->valid |= ZIP_STAT_SIZE | ZIP_STAT_MTIME;
		return sizeof *st;
	}
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&s->error, data, len);
	case ZIP_SOURCE_FREE:
		if (s->fh)
			rd_close(s->c->t, s->fh);
		zip_error_fini(&s->error);
		free(s->path);
		free(s);
		return 0;
	case ZIP_SOURCE_SUPPORTS:
		return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
						      ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE,
						      ZIP_SOURCE_SUPPORTS, -1);
	default:
		zip_error_set(&s->error, ZIP_ER_OPNOTSUPP, 0);
		return -1;
	}
}

static zip_source_t *zx_file_source(struct zx_ctx *c, const char *path, const struct stat *st)
{
	struct zx_src *s = calloc(1, sizeof *s);
	zip_source_t *src;

	if (!s || !(s->path = strdup(path))) {
		free(s);
		return NULL;
	}
	s->c = c;
	s->size = (zip_uint64_t)st->st_size;
	s->mtime = st->st_mtime;
	zip_error_init(&s->error);
	src = zip_source_function(c->za, zx_read, s);
	if (!src) {
		free(s->path);
		free(s);
	}
	return src;
}

/* Unix mode in the high half as Info-ZIP writes it, DOS bits in the low
 * byte for other readers, DOS time plus the exact "UT" mtime. */
static int zx_attributes(struct zx_ctx *c, zip_int64_t idx, const struct stat *st)
{
	zip_uint32_t attr = (zip_uint32_t)(st->st_mode & 0xffff) << 16;
	zip_uint8_t ut[5];
	int rc;

	if (S_ISDIR(st->st_mode))
		attr |= AR_ZIP_DOS_DIR;
	if (!(st->st_mode & S_IWUSR))
		attr |= AR_ZIP_DOS_RDONLY;
	rc = zip_file_set_external_attributes(c->za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX, attr);
	if (rc == 0)
		rc = zip_file_set_mtime(c->za, (zip_uint64_t)idx, st->st_mtime, 0);
	if (rc == 0 && st->st_mtime >= INT32_MIN && st->st_mtime <= INT32_MAX) {
		uint32_t v = (uint32_t)(int32_t)st->st_mtime;

		ut[0] = 1;
		ut[1] = (zip_uint8_t)v;
		ut[2] = (zip_uint8_t)(v >> 8);
		ut[3] = (zip_uint8_t)(v >> 16);
		ut[4] = (zip_uint8_t)(v >> 24);
		rc = zip_file_extra_field_set(c->za, (zip_uint64_t)idx, AR_ZIP_EF_UT, ZIP_EXTRA_FIELD_NEW, ut,
					      sizeof ut, ZIP_FL_LOCAL | ZIP_FL_CENTRAL);
	}
	return rc;
}

/* 0 with *idx set, a negative errno from the tree, or 1 for a libzip
 * error left in the archive. */
static int zx_add_symlink(struct zx_ctx *c, const char *path, const char *rel, zip_int64_t *idx)
{
	ssize_t n = rd_readlink(c->t, RD_ROOT, path, c->link, sizeof c->link);
	zip_source_t *src;
	char *copy;

	if (n < 0)
		return (int)n;
	copy = malloc((size_t)n + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, c->link, (size_t)n);
	src = zip_source_buffer(c->za, copy, (zip_uint64_t)n, 1);
	if (!src) {
		free(copy);
		return 1;
	}
	*idx = zip_file_add(c->za, rel, src, ZIP_FL_ENC_GUESS);
	if (*idx < 0) {
		zip_source_free(src);
		return 1;
	}
	/* Stored, as Info-ZIP does: a target is tiny. */
	return zip_set_file_compression(c->za, (zip_uint64_t)*idx, ZIP_CM_STORE, 0) < 0;
}

static int zx_visit(void *ud, const char *path, const char *rel, const struct stat *st, enum ar_visit when)
{
	struct zx_ctx *c = ud;
	zip_source_t *src;
	zip_int64_t idx = -1;
	int rc;

	if (when == AR_POST)
		return 0;
	if (S_ISDIR(st->st_mode)) {
		idx = zip_dir_add(c->za, rel, ZIP_FL_ENC_GUESS);
	} else if (S_ISLNK(st->st_mode)) {
		rc = zx_add_symlink(c, path, rel, &idx);
		if (rc < 0) {
			ar_errf(c->err, c->errlen, "\"%s\": %s", path, ar_reason(c->t, rc));
			return ar_errno(rc);
		}
		if (rc > 0)
			idx = -1;
	} else if (S_ISREG(st->st_mode)) {
		src = zx_file_source(c, path, st);
		idx = src ? zip_file_add(c->za, rel, src, ZIP_FL_ENC_GUESS) : -1;
		if (src && idx < 0)
			zip_source_free(src);
	} else {
		return 0; /* a socket: skipped, as tar and zip skip them */
	}
	if (idx < 0 || zx_attributes(c, idx, st) < 0) {
		ar_errf(c->err, c->errlen, "\"%s\": %s", path, zip_error_strerror(zip_get_error(c->za)));
		return ar_zip_errno(zip_get_error(c->za));
	}
	c->entries++;
	return 0;
}

/* libzip writes nothing for an archive without entries; an empty archive
 * is just the end-of-central-directory record. */
static int zx_write_empty(const char *path)
{
	static const unsigned char eocd[22] = { 'P', 'K', 5, 6 };
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, eocd, sizeof eocd) != (ssize_t)sizeof eocd)
		rc = -EIO;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

/* Fill the template's XXXXXX and open a new archive there. ZIP_EXCL keeps
 * two exports from sharing a name; the file appears only at zip_close,
 * created by libzip with the usual 0666 & ~umask. */
static int zx_create(struct zx_ctx *c, char *tmp)
{
	static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	static unsigned counter;
	char *x = tmp + strlen(tmp) - 6;
	int tries, code = 0;

	for (tries = 0; tries < 100; tries++) {
		struct timespec ts;
		uint64_t v;
		int k;

		clock_gettime(CLOCK_REALTIME, &ts);
		v = (uint64_t)ts.tv_nsec * 2654435761u ^ (uint64_t)getpid() << 20 ^
		    __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
		for (k = 0; k < 6; k++, v /= 36)
			x[k] = digits[v % 36];
		c->za = zip_open(tmp, ZIP_CREATE | ZIP_EXCL, &code);
		if (c->za)
			return 0;
		if (code != ZIP_ER_EXISTS)
			break;
	}
	{
		zip_error_t ze;
		int rc;

		zip_error_init_with_code(&ze, code);
		rc = ar_zip_errno(&ze);
		zip_error_fini(&ze);
		return rc;
	}
}

static int zx_finish(struct zx_ctx *c, const char *tmp, const char *zip_path)
{
	int rc;

	if (c->entries == 0) {
		zip_discard(c->za);
		c->za = NULL;
		rc = zx_write_empty(tmp);
	} else if (zip_close(c->za) < 0) {
		if (c->failed) {
			rc = c->failed;
			ar_errf(c->err, c->errlen, "\"%s\": %s", c->failed_path ? c->failed_path : "?",
				ar_reason(c->t, rc));
		} else {
			rc = ar_zip_errno(zip_get_error(c->za));
			ar_errf(c->err, c->errlen, "writing \"%s\": %s", zip_path,
				zip_error_strerror(zip_get_error(c->za)));
		}
		zip_discard(c->za);
		c->za = NULL;
		unlink(tmp);
		return rc;
	} else {
		c->za = NULL;
		rc = 0;
	}
	if (rc < 0) {
		ar_errf(c->err, c->errlen, "writing \"%s\": %s", zip_path, ar_reason(NULL, rc));
		unlink(tmp);
		return rc;
	}
	rc = ar_real_publish(tmp, zip_path, 0);
	if (rc < 0) {
		ar_errf(c->err, c->errlen, "destination \"%s\": %s", zip_path,
			rc == -EEXIST ? "appeared during the export" : ar_reason(NULL, rc));
		unlink(tmp);
	}
	return rc;
}

int rd_export_zip(rd_tree *t, const char *tree_dir, const char *zip_path, char *err, size_t errlen)
{
	struct zx_ctx *c = calloc(1, sizeof *c);
	struct stat st;
	char *tmp = NULL;
	int rc, exists;

	ar_errf(err, errlen, "%s", "");
	if (!c) {
		ar_errf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->t = t;
	c->err = err;
	c->errlen = errlen;
	rc = rd_stat(t, RD_ROOT, tree_dir, &st, 0);
	if (rc == 0 && !S_ISDIR(st.st_mode))
		rc = -ENOTDIR;
	if (rc < 0) {
		ar_errf(err, errlen, "\"%s\": %s", tree_dir, ar_reason(t, rc));
		rc = ar_errno(rc);
	}
	if (rc == 0)
		rc = ar_real_dest_check(zip_path, 0, &exists, err, errlen);
	if (rc == 0 && !(tmp = ar_partial_name(zip_path)))
		rc = -ENOMEM;
	if (rc == 0 && (rc = zx_create(c, tmp)) < 0)
		ar_errf(err, errlen, "cannot create \"%s\": %s", tmp, ar_reason(NULL, rc));
	if (rc == 0)
		rc = ar_tree_walk(t, tree_dir, zx_visit, c, err, errlen);
	if (rc == 0)
		rc = zx_finish(c, tmp, zip_path);
	if (c->za)
		zip_discard(c->za);
	if (rc == -ENOMEM && (!err || !errlen || !*err))
		ar_errf(err, errlen, "out of memory");
	free(c->failed_path);
	free(c);
	free(tmp);
	return rc;
}

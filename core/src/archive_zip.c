/*
 * ZIP archives into a tree (libzip). Every entry is checked before anything
 * is written, then data is streamed chunk by chunk into a staging area, so a
 * hostile, corrupt or oversized archive leaves the tree as it was.
 */
#include "archive_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include <ramdir/archive.h>

/* Any libzip error as a negative errno: damaged data is -EBADMSG. */
int ar_zip_errno(zip_error_t *ze)
{
	int sys = zip_error_system_type(ze) == ZIP_ET_SYS ? zip_error_code_system(ze) : 0;

	switch (zip_error_code_zip(ze)) {
	case ZIP_ER_NOENT:
		return -ENOENT;
	case ZIP_ER_MEMORY:
		return -ENOMEM;
	case ZIP_ER_EXISTS:
		return -EEXIST;
	case ZIP_ER_OPNOTSUPP:
	case ZIP_ER_COMPNOTSUPP:
	case ZIP_ER_ENCRNOTSUPP:
	case ZIP_ER_NOPASSWD:
	case ZIP_ER_WRONGPASSWD:
		return -EOPNOTSUPP;
	case ZIP_ER_OPEN:
	case ZIP_ER_READ:
	case ZIP_ER_SEEK:
		return sys > 0 ? -sys : -EBADMSG;
	case ZIP_ER_WRITE:
	case ZIP_ER_CLOSE:
	case ZIP_ER_TMPOPEN:
	case ZIP_ER_RENAME:
	case ZIP_ER_REMOVE:
		return sys > 0 ? -sys : -EIO;
	default:
		return -EBADMSG;
	}
}

/* /// Import: checking entries ////////////////////////////////////////// */

struct zi_entry {
	char *path;         /* normalised relative path, no trailing slash */
	const char *raw;    /* the name as stored, for messages (libzip's) */
	zip_uint64_t index;
	zip_uint64_t size;  /* declared uncompressed size */
	mode_t mode;        /* type and permission bits */
	time_t mtime;
	int skip;           /* a later entry names the same directory */
};

struct zi_ctx {
	rd_tree *t;
	zip_t *za;
	struct zi_entry *e;
	size_t n;
	struct ar_names top;
	struct ar_stage st;
	char *buf;
	char *err;
	size_t errlen;
};

static int zi_bad(struct zi_ctx *c, const char *raw, int rc, const char *why)
{
	ar_errf(c->err, c->errlen, "zip entry \"%s\": %s", raw, why);
	return rc;
}

/* Turn a stored name into a path below the destination. Hostile forms are
 * refused rather than repaired: an archive that tries to leave the
 * destination is not one to half-trust. "./" components are harmless and
 * dropped. *out is "" for an entry naming the destination itself. */
static int zi_normalise(const char *raw, int *is_dir, char **out, const char **why)
{
	size_t n = strlen(raw), o = 0;
	const char *p = raw, *end, *e;
	char *s;

	if (n == 0) {
		*why = "empty name (corrupt archive)";
		return -EINVAL;
	}
	if (raw[0] == '/') {
		*why = "absolute path (hostile archive)";
		return -EINVAL;
	}
	*is_dir = raw[n - 1] == '/';
	end = raw + n - *is_dir;
	if (end > raw && end[-1] == '/') {
		*why = "empty path component (hostile archive)";
		return -EINVAL;
	}
	s = malloc(n + 1);
	if (!s)
		return -ENOMEM;
	while (p < end) {
		e = memchr(p, '/', (size_t)(end - p));
		if (!e)
			e = end;
		if (e == p) {
			*why = "empty path component (hostile archive)";
			free(s);
			return -EINVAL;
		}
		if (e - p == 2 && p[0] == '.' && p[1] == '.') {
			*why = "\"..\" leads out of the destination (hostile archive)";
			free(s);
			return -EINVAL;
		}
		if (!(e - p == 1 && p[0] == '.')) {
			if (o)
				s[o++] = '/';
			memcpy(s + o, p, (size_t)(e - p));
			o += (size_t)(e - p);
		}
		p = e + 1;
	}
	s[o] = '\0';
	*out = s;
	return 0;
}

/* Type and permissions from the external attributes. Archives from
 * non-unix systems carry none: directories 0755, files 0644, or 0444 with
 * the DOS read-only bit, as unzip does. Set-id bits are dropped, as unzip
 * does by default: an archive should not hand out privileges. */
static int zi_mode(zip_t *za, zip_uint64_t i, int is_dir, mode_t *mode, const char **why)
{
	zip_uint8_t os = 0;
	zip_uint32_t attr = 0;
	mode_t m = 0, type;

	if (zip_file_get_external_attributes(za, i, 0, &os, &attr) == 0 && os == ZIP_OPSYS_UNIX)
		m = (mode_t)(attr >> 16);
	type = m & S_IFMT;
	if (!m) {
		is_dir |= (attr & AR_ZIP_DOS_DIR) != 0;
		m = is_dir ? 0755 : (attr & AR_ZIP_DOS_RDONLY) ? 0444 : 0644;
	}
	if (!type || (is_dir && type == S_IFREG))
		type = is_dir ? S_IFDIR : S_IFREG;
	if (is_dir && type != S_IFDIR) {
		*why = "named as a directory but stored as another type (corrupt archive)";
		return -EINVAL;
	}
	if (type != S_IFREG && type != S_IFDIR && type != S_IFLNK) {
		*why = "device, FIFO and socket entries are not supported";
		return -EOPNOTSUPP;
	}
	*mode = type | (m & 07777 & ~(mode_t)(S_ISUID | S_ISGID));
	return 0;
}

static time_t zi_mtime(zip_t *za, zip_uint64_t i, const zip_stat_t *st)
{
	static const zip_flags_t where[2] = { ZIP_FL_CENTRAL, ZIP_FL_LOCAL };
	int k;

	for (k = 0; k < 2; k++) {
		zip_uint16_t len = 0;
		const zip_uint8_t *d = zip_file_extra_field_get_by_id(za, i, AR_ZIP_EF_UT, 0, &len, where[k]);

		if (d && len >= 5 && (d[0] & 1))
			return (time_t)(int32_t)((uint32_t)d[1] | (uint32_t)d[2] << 8 |
						 (uint32_t)d[3] << 16 | (uint32_t)d[4] << 24);
	}
	return (st->valid & ZIP_STAT_MTIME) ? st->mtime : 0;
}

/* Read one entry's header: name, size, method, mode, mtime. */
static int zi_read_entry(struct zi_ctx *c, zip_uint64_t i, struct zi_entry *e)
{
	const char *why = NULL;
	zip_stat_t st;
	int is_dir = 0, rc;

	e->index = i;
	e->raw = zip_get_name(c->za, i, ZIP_FL_ENC_RAW);
	if (!e->raw || zip_stat_index(c->za, i, ZIP_FL_ENC_RAW, &st) < 0) {
		ar_errf(c->err, c->errlen, "zip entry #%" PRIu64 ": %s", (uint64_t)i,
			zip_error_strerror(zip_get_error(c->za)));
		return ar_zip_errno(zip_get_error(c->za));
	}
	if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
		return zi_bad(c, e->raw, -EOPNOTSUPP, "encrypted entries are not supported");
	if ((st.valid & ZIP_STAT_COMP_METHOD) && !zip_compression_method_supported(st.comp_method, 0))
		return zi_bad(c, e->raw, -EOPNOTSUPP, "compression method not supported");
	e->size = (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
	rc = zi_normalise(e->raw, &is_dir, &e->path, &why);
	if (rc == 0)
		rc = zi_mode(c->za, i, is_dir, &e->mode, &why);
	if (rc < 0)
		return rc == -ENOMEM ? rc : zi_bad(c, e->raw, rc, why);
	if (!*e->path && !S_ISDIR(e->mode))
		return zi_bad(c, e->raw, -EINVAL, "names the destination itself (hostile archive)");
	if (S_ISLNK(e->mode) && (e->size == 0 || e->size > AR_LINK_MAX))
		return zi_bad(c, e->raw, -EINVAL, "symlink target empty or too long (corrupt archive)");
	e->mtime = zi_mtime(c->za, i, &st);
	e->skip = !*e->path; /* "./": the destination is made anyway */
	return 0;
}

static int zi_cmp(const void *a, const void *b)
{
	const struct zi_entry *x = a, *y = b;
	int d = strcmp(x->path, y->path);

	return d ? d : (x->index > y->index) - (x->index < y->index);
}

/* First entry whose path is not below key ("p/"), in the sorted array. */
static size_t zi_lower_bound(const struct zi_ctx *c, const char *key)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(c->e[mid].path, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* With entries sorted by path: the same directory twice is merged (the
 * later one wins, as when unzip overwrites); any other duplicate is
 * refused; nothing may sit below a file or a symlink. The symlink case is
 * the classic escape: "link -> /etc" then "link/passwd". */
static int zi_check_structure(struct zi_ctx *c)
{
	size_t i, j;

	for (i = 1; i < c->n; i++) {
		struct zi_entry *a = &c->e[i - 1], *b = &c->e[i];

		if (a->skip || strcmp(a->path, b->path))
			continue;
		if (!S_ISDIR(a->mode) || !S_ISDIR(b->mode))
			return zi_bad(c, b->raw, -EINVAL, "duplicate entry (corrupt or hostile archive)");
		a->skip = 1;
	}
	for (i = 0; i < c->n; i++) {
		struct zi_entry *a = &c->e[i];
		size_t len = strlen(a->path);
		char *key;

		if (a->skip || S_ISDIR(a->mode))
			continue;
		key = malloc(len + 2);
		if (!key)
			return -ENOMEM;
		memcpy(key, a->path, len);
		memcpy(key + len, "/", 2);
		j = zi_lower_bound(c, key);
		free(key);
		if (j < c->n && strncmp(c->e[j].path, a->path, len) == 0 && c->e[j].path[len] == '/') {
			char why[160];

			snprintf(why, sizeof why, "%s \"%s\" (%s)",
				 S_ISLNK(a->mode) ? "goes through the symlink" : "is below the file",
				 a->raw, S_ISLNK(a->mode) ? "hostile archive" : "corrupt archive");
			return zi_bad(c, c->e[j].raw, S_ISLNK(a->mode) ? -EINVAL : -ENOTDIR, why);
		}
	}
	return 0;
}

/* Refuse early what cannot fit: the declared sizes against the free quota
 * (the zip-bomb case, before a byte is inflated) and the distinct paths,
 * plus the staging directory, against the node limit. The stream copy
 * still stops a lying archive at its declared sizes and at the quota. */
static int zi_check_room(struct zi_ctx *c, const char *zip_path)
{
	struct rd_stats st;
	uint64_t need = 0, nodes = 1, avail;
	size_t i;

	if (rd_tree_stats(c->t, &st) < 0)
		return 0;
	for (i = 0; i < c->n; i++) {
		if (c->e[i].skip)
			continue;
		nodes++;
		if (!S_ISDIR(c->e[i].mode))
			need = need + c->e[i].size < need ? UINT64_MAX : need + c->e[i].size;
	}
	avail = st.quota > st.bytes_used ? st.quota - st.bytes_used : 0;
	if (need > avail) {
		ar_errf(c->err, c->errlen,
			"\"%s\": entries declare %" PRIu64 " bytes but only %" PRIu64
			" bytes of the tree quota are free",
			zip_path, need, avail);
		return -ENOSPC;
	}
	if (st.max_nodes && st.nodes + nodes > st.max_nodes) {
		ar_errf(c->err, c->errlen,
			"\"%s\": needs at least %" PRIu64 " nodes but the node limit leaves %" PRIu64,
			zip_path, nodes, st.max_nodes > st.nodes ? st.max_nodes - st.nodes : 0);
		return -ENOSPC;
	}
	return 0;
}

static int zi_scan(struct zi_ctx *c, const char *zip_path)
{
	zip_int64_t n = zip_get_num_entries(c->za, 0);
	zip_uint64_t i;
	int rc;

	if (n < 0)
		return -EBADMSG;
	c->e = calloc((size_t)n ? (size_t)n : 1, sizeof *c->e);
	if (!c->e)
		return -ENOMEM;
	for (i = 0; i < (zip_uint64_t)n; i++) {
		rc = zi_read_entry(c, i, &c->e[c->n]);
		if (c->e[c->n].path)
			c->n++;
		if (rc < 0)
			return rc;
	}
	qsort(c->e, c->n, sizeof *c->e, zi_cmp);
	rc = zi_check_structure(c);
	if (rc == 0)
		rc = zi_check_room(c, zip_path);
	for (i = 0; rc == 0 && i < c->n; i++) {
		const char *p = c->e[i].path, *slash = strchr(p, '/');

		if (!c->e[i].skip)
			rc = ar_names_add(&c->top, p, slash ? (size_t)(slash - p) : strlen(p));
	}
	ar_names_sort(&c->top);
	return rc;
}

/* /// Import: writing entries /////////////////////////////////////////// */

/* Inflate one entry into an open tree file, a chunk at a time: a bomb
 * costs at most one chunk of heap and is cut off by its declared size or
 * by the quota, whichever comes first. */
static int zi_copy(struct zi_ctx *c, const struct zi_entry *e, rd_fh fh)
{
	zip_file_t *zf = zip_fopen_index(c->za, e->index, 0);
	zip_uint64_t total = 0, fit;
	int rc = 0;

	if (!zf)
		return zi_bad(c, e->raw, ar_zip_errno(zip_get_error(c->za)),
			      zip_error_strerror(zip_get_error(c->za)));
	for (;;) {
		zip_int64_t n = zip_fread(zf, c->buf, AR_CHUNK);

		if (n < 0) {
			rc = zi_bad(c, e->raw, ar_zip_errno(zip_file_get_error(zf)),
				    zip_error_strerror(zip_file_get_error(zf)));
			break;
		}
		if (n == 0)
			break;
		/* Up to the declared size first, so that the quota, when it
		 * is what stops the entry, is the reason given. */
		fit = (zip_uint64_t)n < e->size - total ? (zip_uint64_t)n : e->size - total;
		rc = ar_write_all(c->t, fh, c->buf, (size_t)fit);
		if (rc < 0) {
			rc = zi_bad(c, e->raw, ar_errno(rc), ar_reason(c->t, rc));
			break;
		}
		total += fit;
		if (fit < (zip_uint64_t)n) {
			rc = zi_bad(c, e->raw, -EBADMSG, "more data than its declared size (corrupt or hostile archive)");
			break;
		}
	}
	if (rc == 0 && total != e->size)
		rc = zi_bad(c, e->raw, -EBADMSG, "less data than its declared size (corrupt archive)");
	zip_fclose(zf);
	return rc;
}

static int zi_put_file(struct zi_ctx *c, const struct zi_entry *e)
{
	struct timespec ts[2] = { { e->mtime, 0 }, { e->mtime, 0 } };
	rd_fh fh;
	int rc = ar_stage_create(&c->st, e->path, &fh);

	if (rc < 0)
		return zi_bad(c, e->raw, ar_errno(rc), ar_reason(c->t, rc));
	rc = zi_copy(c, e, fh);
	if (rc == 0 && ((rc = rd_fchmod(c->t, fh, e->mode & 07777)) < 0 ||
			(rc = rd_futimens(c->t, fh, ts)) < 0))
		rc = zi_bad(c, e->raw, ar_errno(rc), ar_reason(c->t, rc));
	rd_close(c->t, fh);
	return rc;
}

static int zi_put_symlink(struct zi_ctx *c, const struct zi_entry *e)
{
	struct timespec ts[2] = { { e->mtime, 0 }, { e->mtime, 0 } };
	zip_file_t *zf = zip_fopen_index(c->za, e->index, 0);
	zip_int64_t n;
	int rc;

	if (!zf)
		return zi_bad(c, e->raw, ar_zip_errno(zip_get_error(c->za)),
			      zip_error_strerror(zip_get_error(c->za)));
	/* One byte more than declared, to catch a longer stream. */
	n = zip_fread(zf, c->buf, e->size + 1);
	if (n < 0)
		rc = zi_bad(c, e->raw, ar_zip_errno(zip_file_get_error(zf)),
			    zip_error_strerror(zip_file_get_error(zf)));
	else if ((zip_uint64_t)n != e->size || memchr(c->buf, '\0', (size_t)n))
		rc = zi_bad(c, e->raw, -EBADMSG, "malformed symlink target (corrupt archive)");
	else
		rc = 0;
	zip_fclose(zf);
	if (rc < 0)
		return rc;
	c->buf[n] = '\0';
	rc = ar_stage_symlink(&c->st, c->buf, e->path);
	if (rc == 0)
		rc = rd_utimens(c->t, c->st.dir, e->path, ts, AT_SYMLINK_NOFOLLOW);
	return rc < 0 ? zi_bad(c, e->raw, ar_errno(rc), ar_reason(c->t, rc)) : 0;
}

/* Directories are made writable first and get their mode and mtime only
 * once everything inside exists (see zi_fix_dirs). */
static int zi_put_dir(struct zi_ctx *c, const struct zi_entry *e)
{
	struct stat st;
	int rc = ar_stage_mkdir(&c->st, e->path, 0700);

	if (rc == -EEXIST && rd_stat(c->t, c->st.dir, e->path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode))
		rc = 0;
	return rc < 0 ? zi_bad(c, e->raw, ar_errno(rc), ar_reason(c->t, rc)) : 0;
}

/* Make the parents of an entry unless the previous entry had the same. */
static int zi_parents(struct zi_ctx *c, const struct zi_entry *e, const char **made, size_t *made_len)
{
	const char *slash = strrchr(e->path, '/');
	size_t len = slash ? (size_t)(slash - e->path) : 0, bad = 0;
	char why[160];
	int rc;

	if (!len || (*made && *made_len == len && memcmp(*made, e->path, len) == 0))
		return 0;
	rc = ar_stage_mkdirs(&c->st, e->path, len, &bad);
	if (rc == -ELOOP) {
		snprintf(why, sizeof why, "goes through a symlink at \"%.*s\" (hostile archive)",
			 (int)bad, e->path);
		return zi_bad(c, e->raw, -EINVAL, why);
	}
	if (rc < 0)
		return zi_bad(c, e->raw, ar_errno(rc), ar_reason(c->t, rc));
	*made = e->path;
	*made_len = len;
	return 0;
}

/* Deepest first (reverse path order), so setting a parent's mtime comes
 * after every change inside it. */
static int zi_fix_dirs(struct zi_ctx *c)
{
	size_t i;

	for (i = c->n; i-- > 0;) {
		const struct zi_entry *e = &c->e[i];
		struct timespec ts[2] = { { e->mtime, 0 }, { e->mtime, 0 } };
		int rc;

		if (e->skip || !S_ISDIR(e->mode))
			continue;
		rc = rd_chmod(c->t, c->st.dir, e->path, e->mode & 07777, 0);
		if (rc == 0)
			rc = rd_utimens(c->t, c->st.dir, e->path, ts, 0);
		if (rc < 0)
			return zi_bad(c, e->raw, ar_errno(rc), ar_reason(c->t, rc));
	}
	return 0;
}

static int zi_extract(struct zi_ctx *c)
{
	const char *made = NULL;
	size_t made_len = 0, i;
	int rc = 0;

	for (i = 0; i < c->n && rc == 0; i++) {
		const struct zi_entry *e = &c->e[i];

		if (e->skip)
			continue;
		rc = zi_parents(c, e, &made, &made_len);
		if (rc == 0 && S_ISDIR(e->mode))
			rc = zi_put_dir(c, e);
		else if (rc == 0 && S_ISLNK(e->mode))
			rc = zi_put_symlink(c, e);
		else if (rc == 0)
			rc = zi_put_file(c, e);
	}
	return rc ? rc : zi_fix_dirs(c);
}

static int zi_open(struct zi_ctx *c, const char *zip_path)
{
	struct stat st;
	zip_error_t ze;
	int fd = open(zip_path, O_RDONLY | O_CLOEXEC), code = 0, rc = 0;
	const char *why = NULL;

	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = -errno;
	} else if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		why = "not a regular file";
	} else if (st.st_size == 0) {
		/* libzip would take it for an empty archive; the smallest
		 * real one is its 22-byte end record. */
		rc = -EBADMSG;
		why = "empty file, not a ZIP archive";
	}
	if (rc < 0) {
		ar_errf(c->err, c->errlen, "\"%s\": %s", zip_path, why ? why : ar_reason(NULL, rc));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	c->za = zip_fdopen(fd, 0, &code);
	if (c->za)
		return 0;
	close(fd);
	zip_error_init_with_code(&ze, code);
	rc = ar_zip_errno(&ze);
	ar_errf(c->err, c->errlen, "\"%s\": not a valid ZIP archive: %s", zip_path, zip_error_strerror(&ze));
	zip_error_fini(&ze);
	return rc;
}

int rd_import_zip(rd_tree *t, const char *zip_path, const char *tree_dir, char *err, size_t errlen)
{
	struct zi_ctx c = { .t = t, .err = err, .errlen = errlen };
	size_t i;
	int rc;

	ar_errf(err, errlen, "%s", "");
	c.buf = malloc(AR_CHUNK + 1);
	rc = c.buf ? zi_open(&c, zip_path) : -ENOMEM;
	if (rc == 0)
		rc = zi_scan(&c, zip_path);
	if (rc == 0)
		rc = ar_stage_begin(&c.st, t, tree_dir, &c.top, err, errlen);
	if (rc == 0) {
		rc = zi_extract(&c);
		if (rc == 0)
			rc = ar_stage_commit(&c.st, err, errlen);
		else
			ar_stage_abort(&c.st);
	}
	if (rc == -ENOMEM && (!err || !errlen || !*err))
		ar_errf(err, errlen, "out of memory");
	if (c.za)
		zip_discard(c.za);
	for (i = 0; i < c.n; i++)
		free(c.e[i].path);
	free(c.e);
	ar_names_free(&c.top);
	free(c.buf);
	return rc;
}

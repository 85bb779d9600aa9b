/*
 * Archive module, shared part: error lines, path and name lists, tree
 * listing and the walk used by exports, and rd_import/rd_export which pick
 * ZIP or directory.
 */
#include "archive_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ramdir/archive.h>

/* /// Errors /////////////////////////////////////////////////////////// */

void ar_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	char *c;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* Entry names come from archives: keep a newline in one from
	 * forging a second line of output. */
	for (c = err; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

const char *ar_reason(rd_tree *t, int rc)
{
	static __thread char buf[160];
	struct rd_stats st;

	if (rc == -RD_EESCAPE)
		return "path leaves the tree";
	if (rc == -ENOSPC && t && rd_tree_stats(t, &st) == 0) {
		if (st.max_nodes && st.nodes >= st.max_nodes)
			snprintf(buf, sizeof buf, "node limit of %" PRIu64 " reached", st.max_nodes);
		else
			snprintf(buf, sizeof buf, "tree quota of %" PRIu64 " bytes exceeded", st.quota);
		return buf;
	}
	return strerror_r(-rc, buf, sizeof buf);
}

int ar_errno(int rc)
{
	return rc == -RD_EESCAPE ? -EXDEV : rc;
}

/* /// Paths and names ////////////////////////////////////////////////// */

static int ar_path_reserve(struct ar_path *p, size_t need)
{
	char *s;
	size_t cap = p->cap ? p->cap : 256;

	if (need < p->cap)
		return 0;
	while (cap <= need)
		cap *= 2;
	s = realloc(p->s, cap);
	if (!s)
		return -ENOMEM;
	p->s = s;
	p->cap = cap;
	return 0;
}

int ar_path_init(struct ar_path *p, const char *s)
{
	size_t n = strlen(s);

	p->s = NULL;
	p->len = p->cap = 0;
	if (ar_path_reserve(p, n + 1))
		return -ENOMEM;
	memcpy(p->s, s, n + 1);
	p->len = n;
	return 0;
}

int ar_path_push(struct ar_path *p, const char *name, size_t *mark)
{
	size_t n = strlen(name);
	int slash = p->len && p->s[p->len - 1] != '/';

	if (ar_path_reserve(p, p->len + slash + n + 1))
		return -ENOMEM;
	*mark = p->len;
	if (slash)
		p->s[p->len++] = '/';
	memcpy(p->s + p->len, name, n + 1);
	p->len += n;
	return 0;
}

void ar_path_pop(struct ar_path *p, size_t mark)
{
	p->len = mark;
	p->s[mark] = '\0';
}

void ar_path_free(struct ar_path *p)
{
	free(p->s);
	p->s = NULL;
	p->len = p->cap = 0;
}

int ar_names_add(struct ar_names *l, const char *name, size_t len)
{
	char *s;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->v, cap * sizeof *v);

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	s = malloc(len + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, name, len);
	s[len] = '\0';
	l->v[l->n++] = s;
	return 0;
}

static int ar_names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void ar_names_sort(struct ar_names *l)
{
	size_t i, j = 0;

	if (!l->n)
		return;
	qsort(l->v, l->n, sizeof *l->v, ar_names_cmp);
	for (i = 1; i < l->n; i++) {
		if (strcmp(l->v[i], l->v[j]) == 0)
			free(l->v[i]);
		else
			l->v[++j] = l->v[i];
	}
	l->n = j + 1;
}

int ar_names_has(const struct ar_names *l, const char *name)
{
	return l->n && bsearch(&name, l->v, l->n, sizeof *l->v, ar_names_cmp) != NULL;
}

void ar_names_free(struct ar_names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* The record rd_getdents fills, as getdents64(2) does. */
struct ar_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int ar_tree_list(rd_tree *t, const char *dir, struct ar_names *out)
{
	rd_fh fh;
	char *buf;
	ssize_t n;
	int rc = rd_open(t, RD_ROOT, dir, O_RDONLY | O_DIRECTORY, 0, &fh);

	if (rc < 0)
		return rc;
	buf = malloc(AR_CHUNK);
	if (!buf) {
		rd_close(t, fh);
		return -ENOMEM;
	}
	while (rc == 0 && (n = rd_getdents(t, fh, buf, AR_CHUNK)) > 0) {
		ssize_t off = 0;

		while (rc == 0 && off < n) {
			const struct ar_dirent64 *d = (const void *)(buf + off);

			if (d->d_reclen == 0 || off + d->d_reclen > n) {
				rc = -EIO;
				break;
			}
			if (!ar_is_dot(d->d_name))
				rc = ar_names_add(out, d->d_name, strlen(d->d_name));
			off += d->d_reclen;
		}
	}
	if (rc == 0 && n < 0)
		rc = (int)n;
	free(buf);
	rd_close(t, fh);
	ar_names_sort(out);
	return rc;
}

/* /// Tree walk //////////////////////////////////////////////////////// */

struct ar_walk {
	rd_tree *t;
	struct ar_path p;
	size_t relstart; /* offset of the path below the walk root */
	ar_walk_fn fn;
	void *ud;
	char *err;
	size_t errlen;
};

static int ar_walk_dir(struct ar_walk *w)
{
	struct ar_names l = { 0 };
	size_t i;
	int rc = ar_tree_list(w->t, w->p.s, &l);

	if (rc < 0) {
		ar_errf(w->err, w->errlen, "\"%s\": cannot list: %s", w->p.s, ar_reason(w->t, rc));
		ar_names_free(&l);
		return ar_errno(rc);
	}
	for (i = 0; i < l.n && rc == 0; i++) {
		struct stat st;
		size_t mark;

		rc = ar_path_push(&w->p, l.v[i], &mark);
		if (rc < 0) {
			ar_errf(w->err, w->errlen, "out of memory");
			break;
		}
		rc = rd_stat(w->t, RD_ROOT, w->p.s, &st, AT_SYMLINK_NOFOLLOW);
		if (rc == -ENOENT) {
			/* Removed while we walk: nothing to copy. */
			rc = 0;
		} else if (rc < 0) {
			ar_errf(w->err, w->errlen, "\"%s\": %s", w->p.s, ar_reason(w->t, rc));
			rc = ar_errno(rc);
		} else {
			const char *rel = w->p.s + w->relstart;

			rc = w->fn(w->ud, w->p.s, rel, &st, AR_PRE);
			if (rc == 0 && S_ISDIR(st.st_mode)) {
				rc = ar_walk_dir(w);
				if (rc == 0)
					rc = w->fn(w->ud, w->p.s, w->p.s + w->relstart, &st, AR_POST);
			}
		}
		ar_path_pop(&w->p, mark);
	}
	ar_names_free(&l);
	return rc;
}

int ar_tree_walk(rd_tree *t, const char *root, ar_walk_fn fn, void *ud, char *err, size_t errlen)
{
	struct ar_walk w = { .t = t, .fn = fn, .ud = ud, .err = err, .errlen = errlen };
	int rc;

	if (ar_path_init(&w.p, root)) {
		ar_errf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	while (w.p.len > 1 && w.p.s[w.p.len - 1] == '/')
		w.p.s[--w.p.len] = '\0';
	w.relstart = w.p.len + (w.p.s[w.p.len - 1] != '/');
	rc = ar_walk_dir(&w);
	ar_path_free(&w.p);
	return rc;
}

int ar_write_all(rd_tree *t, rd_fh fh, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = rd_write(t, fh, p, len);

		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* /// Picking ZIP or directory ////////////////////////////////////////// */

static int ar_zip_named(const char *p)
{
	size_t n = strlen(p);

	return n >= 4 && strcasecmp(p + n - 4, ".zip") == 0;
}

/* Local file header, or the end record of an empty archive. */
static int ar_zip_magic(const char *p)
{
	unsigned char m[4];
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, m, sizeof m);
	close(fd);
	return n == 4 && m[0] == 'P' && m[1] == 'K' &&
	       ((m[2] == 3 && m[3] == 4) || (m[2] == 5 && m[3] == 6));
}

int rd_import(rd_tree *t, const char *src, const char *tree_dir, char *err, size_t errlen)
{
	struct stat st;

	if (stat(src, &st) < 0) {
		int rc = -errno;

		ar_errf(err, errlen, "\"%s\": %s", src, ar_reason(NULL, rc));
		return rc;
	}
	if (S_ISDIR(st.st_mode))
		return rd_import_dir(t, src, tree_dir, err, errlen);
	if (ar_zip_named(src) || ar_zip_magic(src))
		return rd_import_zip(t, src, tree_dir, err, errlen);
	ar_errf(err, errlen, "\"%s\" is neither a directory nor a ZIP archive", src);
	return -EINVAL;
}

int rd_export(rd_tree *t, const char *tree_dir, const char *dest, char *err, size_t errlen)
{
	if (ar_zip_named(dest))
		return rd_export_zip(t, tree_dir, dest, err, errlen);
	return rd_export_dir(t, tree_dir, dest, err, errlen);
}

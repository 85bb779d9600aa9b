/*
 * Import staging: build in a hidden directory next to the destination,
 * remembering every node made, then rename into place; on failure remove
 * exactly what was made. This is what makes imports all-or-nothing.
 */
#include "archive_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned ar_stage_counter;

static char *ar_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	int slash = a && dir[a - 1] != '/';
	char *s = malloc(a + slash + b + 1);

	if (!s)
		return NULL;
	memcpy(s, dir, a);
	if (slash)
		s[a] = '/';
	memcpy(s + a + slash, name, b + 1);
	return s;
}

/* Split an absolute tree path into components; ".." is refused because the
 * destination must be named plainly, "." and empty components are dropped. */
static int ar_split_dest(const char *tree_dir, struct ar_names *comps)
{
	const char *p = tree_dir, *e;

	if (!tree_dir || tree_dir[0] != '/')
		return -EINVAL;
	while (*p) {
		while (*p == '/')
			p++;
		e = p;
		while (*e && *e != '/')
			e++;
		if (e - p == 2 && p[0] == '.' && p[1] == '.')
			return -EINVAL;
		if (e > p && !(e - p == 1 && p[0] == '.'))
			if (ar_names_add(comps, p, (size_t)(e - p)))
				return -ENOMEM;
		p = e;
	}
	return 0;
}

/* Find the deepest existing directory of the destination; comps[*found..]
 * are the missing components. */
static int ar_stage_find_base(struct ar_stage *s, const struct ar_names *comps, size_t *found,
			      char *err, size_t errlen)
{
	size_t i;

	s->base = strdup("/");
	if (!s->base)
		return -ENOMEM;
	for (i = 0; i < comps->n; i++) {
		struct stat st;
		char *next = ar_join(s->base, comps->v[i]);
		int rc;

		if (!next)
			return -ENOMEM;
		rc = rd_stat(s->t, RD_ROOT, next, &st, 0);
		if (rc == -ENOENT) {
			free(next);
			break;
		}
		if (rc == 0 && !S_ISDIR(st.st_mode))
			rc = -ENOTDIR;
		if (rc < 0) {
			ar_errf(err, errlen, "destination \"%s\": %s", next, ar_reason(s->t, rc));
			free(next);
			return ar_errno(rc);
		}
		free(s->base);
		s->base = next;
	}
	*found = i;
	return 0;
}

static int ar_stage_check_conflicts(struct ar_stage *s, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < s->top.n; i++) {
		struct stat st;
		char *p = ar_join(s->base, s->top.v[i]);
		int rc;

		if (!p)
			return -ENOMEM;
		rc = rd_stat(s->t, RD_ROOT, p, &st, AT_SYMLINK_NOFOLLOW);
		if (rc == 0) {
			ar_errf(err, errlen, "\"%s\" already exists in the tree; the import would replace it", p);
			rc = -EEXIST;
		} else if (rc == -ENOENT) {
			rc = 0;
		} else {
			ar_errf(err, errlen, "\"%s\": %s", p, ar_reason(s->t, rc));
			rc = ar_errno(rc);
		}
		free(p);
		if (rc)
			return rc;
	}
	return 0;
}

/* Create the hidden staging directory in base. When dest is missing it will
 * be renamed to dest's first missing component, so it gets the mode mkdir -p
 * would give; otherwise it is only a private container. */
static int ar_stage_make_root(struct ar_stage *s, char *err, size_t errlen)
{
	char name[64];
	int tries, rc = -EEXIST;

	for (tries = 0; tries < 1000 && rc == -EEXIST; tries++) {
		unsigned n = __atomic_fetch_add(&ar_stage_counter, 1, __ATOMIC_RELAXED);

		snprintf(name, sizeof name, ".ramdir-import-%ld-%u", (long)getpid(), n);
		if (ar_names_has(&s->top, name))
			continue;
		free(s->root);
		s->root = ar_join(s->base, name);
		if (!s->root)
			return -ENOMEM;
		rc = rd_mkdir(s->t, RD_ROOT, s->root, s->first_missing ? 0777 : 0700);
	}
	if (rc < 0) {
		ar_errf(err, errlen, "cannot create a staging directory in \"%s\": %s", s->base,
			ar_reason(s->t, rc));
		free(s->root);
		s->root = NULL;
		return ar_errno(rc);
	}
	return 0;
}

/* Below the staging root, make the rest of the missing destination path. */
static int ar_stage_make_chain(struct ar_stage *s, const struct ar_names *comps, size_t from,
			       struct ar_path *content, char *err, size_t errlen)
{
	size_t i, mark;
	int rc;

	for (i = from; i < comps->n; i++) {
		if (ar_path_push(content, comps->v[i], &mark) ||
		    ar_names_add(&s->chain, content->s, content->len))
			return -ENOMEM;
		rc = rd_mkdir(s->t, RD_ROOT, content->s, 0777);
		if (rc < 0) {
			free(s->chain.v[--s->chain.n]);
			ar_errf(err, errlen, "cannot create \"%s\" in the tree: %s", comps->v[i],
				ar_reason(s->t, rc));
			return ar_errno(rc);
		}
	}
	return 0;
}

int ar_stage_begin(struct ar_stage *s, rd_tree *t, const char *tree_dir,
		   const struct ar_names *top, char *err, size_t errlen)
{
	struct ar_names comps = { 0 };
	struct ar_path content = { 0 };
	size_t i, found = 0;
	int rc;

	memset(s, 0, sizeof *s);
	s->t = t;
	rc = ar_split_dest(tree_dir, &comps);
	if (rc == -EINVAL)
		ar_errf(err, errlen, "destination \"%s\": not an absolute tree path without \"..\"",
			tree_dir ? tree_dir : "(null)");
	for (i = 0; rc == 0 && i < top->n; i++)
		rc = ar_names_add(&s->top, top->v[i], strlen(top->v[i]));
	ar_names_sort(&s->top);
	if (rc == 0)
		rc = ar_stage_find_base(s, &comps, &found, err, errlen);
	if (rc == 0 && found < comps.n) {
		s->first_missing = strdup(comps.v[found]);
		if (!s->first_missing)
			rc = -ENOMEM;
	}
	if (rc == 0 && !s->first_missing)
		rc = ar_stage_check_conflicts(s, err, errlen);
	if (rc == 0)
		rc = ar_stage_make_root(s, err, errlen);
	if (rc == 0)
		rc = ar_path_init(&content, s->root);
	if (rc == 0 && s->first_missing)
		rc = ar_stage_make_chain(s, &comps, found + 1, &content, err, errlen);
	if (rc == 0) {
		rc = rd_open(t, RD_ROOT, content.s, O_RDONLY | O_DIRECTORY, 0, &s->dir);
		if (rc < 0) {
			s->dir = 0;
			ar_errf(err, errlen, "cannot open the staging directory: %s", ar_reason(t, rc));
			rc = ar_errno(rc);
		}
	}
	if (rc == -ENOMEM)
		ar_errf(err, errlen, "out of memory");
	ar_path_free(&content);
	ar_names_free(&comps);
	if (rc)
		ar_stage_abort(s);
	return rc;
}

static int ar_stage_note(struct ar_stage *s, const char *rel, int is_dir)
{
	if (s->nmade == s->capmade) {
		size_t cap = s->capmade ? s->capmade * 2 : 64;
		struct ar_made *m = realloc(s->made, cap * sizeof *m);

		if (!m)
			return -ENOMEM;
		s->made = m;
		s->capmade = cap;
	}
	s->made[s->nmade].rel = strdup(rel);
	if (!s->made[s->nmade].rel)
		return -ENOMEM;
	s->made[s->nmade++].is_dir = is_dir;
	return 0;
}

int ar_stage_mkdir(struct ar_stage *s, const char *rel, mode_t mode)
{
	int rc = rd_mkdir(s->t, s->dir, rel, mode);

	if (rc == 0 && (rc = ar_stage_note(s, rel, 1)) < 0)
		rd_unlink(s->t, s->dir, rel, AT_REMOVEDIR);
	return rc;
}

int ar_stage_create(struct ar_stage *s, const char *rel, rd_fh *fh)
{
	int rc = rd_open(s->t, s->dir, rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600, fh);

	if (rc == 0 && (rc = ar_stage_note(s, rel, 0)) < 0) {
		rd_close(s->t, *fh);
		rd_unlink(s->t, s->dir, rel, 0);
	}
	return rc;
}

int ar_stage_symlink(struct ar_stage *s, const char *target, const char *rel)
{
	int rc = rd_symlink(s->t, target, s->dir, rel);

	if (rc == 0 && (rc = ar_stage_note(s, rel, 0)) < 0)
		rd_unlink(s->t, s->dir, rel, 0);
	return rc;
}

int ar_stage_mkdirs(struct ar_stage *s, const char *rel, size_t len, size_t *bad)
{
	char *p = strndup(rel, len);
	size_t i;
	int rc = 0;

	if (!p)
		return -ENOMEM;
	for (i = 1; i <= len && rc == 0; i++) {
		struct stat st;

		if (i < len && p[i] != '/')
			continue;
		p[i] = '\0';
		rc = rd_stat(s->t, s->dir, p, &st, AT_SYMLINK_NOFOLLOW);
		if (rc == -ENOENT)
			rc = ar_stage_mkdir(s, p, 0777);
		else if (rc == 0 && S_ISLNK(st.st_mode))
			rc = -ELOOP;
		else if (rc == 0 && !S_ISDIR(st.st_mode))
			rc = -ENOTDIR;
		if (rc)
			*bad = i;
		if (i < len)
			p[i] = '/';
	}
	free(p);
	return rc;
}

/* Fallback when the record is incomplete: list and remove. Needs memory for
 * open directories, so it is only the second line of defence. */
static void ar_tree_rmtree(rd_tree *t, struct ar_path *p)
{
	struct ar_names l = { 0 };
	struct stat st;
	size_t i, mark;

	if (rd_stat(t, RD_ROOT, p->s, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		rd_unlink(t, RD_ROOT, p->s, 0);
		return;
	}
	rd_chmod(t, RD_ROOT, p->s, 0700, 0);
	ar_tree_list(t, p->s, &l);
	for (i = 0; i < l.n; i++) {
		if (ar_path_push(p, l.v[i], &mark))
			break;
		ar_tree_rmtree(t, p);
		ar_path_pop(p, mark);
	}
	ar_names_free(&l);
	rd_unlink(t, RD_ROOT, p->s, AT_REMOVEDIR);
}

/* Remove the (normally empty by now) staging root. */
static void ar_stage_drop_root(struct ar_stage *s)
{
	struct ar_path p;

	if (!s->root || rd_unlink(s->t, RD_ROOT, s->root, AT_REMOVEDIR) == 0)
		return;
	if (ar_path_init(&p, s->root) == 0) {
		ar_tree_rmtree(s->t, &p);
		ar_path_free(&p);
	}
}

static void ar_stage_release(struct ar_stage *s)
{
	size_t i;

	for (i = 0; i < s->nmade; i++)
		free(s->made[i].rel);
	free(s->made);
	if (s->dir)
		rd_close(s->t, s->dir);
	free(s->root);
	free(s->base);
	free(s->first_missing);
	ar_names_free(&s->top);
	ar_names_free(&s->chain);
	memset(s, 0, sizeof *s);
}

/* Undo a partial commit: put back into the staging root what already moved. */
static void ar_stage_unmove(struct ar_stage *s, size_t moved)
{
	size_t i;

	for (i = 0; i < moved; i++) {
		char *from = ar_join(s->base, s->top.v[i]);
		char *to = ar_join(s->root, s->top.v[i]);

		if (from && to)
			rd_rename(s->t, RD_ROOT, from, RD_ROOT, to, RENAME_NOREPLACE);
		free(from);
		free(to);
	}
}

static int ar_stage_move_top(struct ar_stage *s, char *err, size_t errlen)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < s->top.n && rc == 0; i++) {
		char *from = ar_join(s->root, s->top.v[i]);
		char *to = ar_join(s->base, s->top.v[i]);

		rc = from && to ? rd_rename(s->t, RD_ROOT, from, RD_ROOT, to, RENAME_NOREPLACE) : -ENOMEM;
		if (rc < 0) {
			ar_errf(err, errlen, "cannot move \"%s\" into place: %s", to ? to : s->top.v[i],
				ar_reason(s->t, rc));
			ar_stage_unmove(s, i);
		}
		free(from);
		free(to);
	}
	return rc;
}

int ar_stage_commit(struct ar_stage *s, char *err, size_t errlen)
{
	int rc;

	if (s->first_missing) {
		char *to = ar_join(s->base, s->first_missing);

		rc = to ? rd_rename(s->t, RD_ROOT, s->root, RD_ROOT, to, RENAME_NOREPLACE) : -ENOMEM;
		if (rc < 0)
			ar_errf(err, errlen, "cannot create \"%s\": %s", to ? to : s->first_missing,
				ar_reason(s->t, rc));
		free(to);
	} else {
		rc = ar_stage_move_top(s, err, errlen);
		if (rc == 0)
			ar_stage_drop_root(s);
	}
	if (rc < 0) {
		ar_stage_abort(s);
		return ar_errno(rc);
	}
	/* Everything now lives in the tree: forget it rather than remove it. */
	ar_stage_release(s);
	return 0;
}

void ar_stage_abort(struct ar_stage *s)
{
	size_t i;

	/* Staged directories may already carry their final, read-only modes. */
	for (i = 0; i < s->nmade; i++)
		if (s->made[i].is_dir)
			rd_chmod(s->t, s->dir, s->made[i].rel, 0700, 0);
	for (i = s->nmade; i-- > 0;)
		rd_unlink(s->t, s->dir, s->made[i].rel, s->made[i].is_dir ? AT_REMOVEDIR : 0);
	for (i = s->chain.n; i-- > 0;)
		rd_unlink(s->t, RD_ROOT, s->chain.v[i], AT_REMOVEDIR);
	ar_stage_drop_root(s);
	ar_stage_release(s);
}

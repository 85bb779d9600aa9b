/*
 * Private helpers shared by the ZIP and directory halves of the archive
 * module: error lines, paths, name lists and the tree walk (archive_common.c),
 * the staging area that makes imports all-or-nothing (archive_stage.c), the
 * real-filesystem side of exports (archive_real.c). Public core API only.
 */
#ifndef RD_ARCHIVE_INTERNAL_H
#define RD_ARCHIVE_INTERNAL_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <ramdir/core.h>

/* Every copy moves data in chunks of this size: a hostile entry never costs
 * more heap than this, whatever size it claims or really has. */
#define AR_CHUNK (64u * 1024u)

/* Longest symlink target we accept or write (PATH_MAX less the NUL). */
#define AR_LINK_MAX 4095

/* -------------------------------------------------------------------------
 * Errors. Messages are one line: control characters (from hostile names)
 * are replaced so a caller can print err as is. */
void ar_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Text for a negative errno from core or libc. For -ENOSPC it says which
 * limit of t was hit (t may be NULL). Thread-local buffer. */
const char *ar_reason(rd_tree *t, int rc);

/* -RD_EESCAPE is not an errno: callers of this module get -EXDEV instead. */
int ar_errno(int rc);

/* -------------------------------------------------------------------------
 * A path that grows and shrinks by components while walking a tree. */
struct ar_path {
	char *s;
	size_t len, cap;
};

int ar_path_init(struct ar_path *p, const char *s);
/* Append "/name" (just "name" when empty); *mark restores it with pop. */
int ar_path_push(struct ar_path *p, const char *name, size_t *mark);
void ar_path_pop(struct ar_path *p, size_t mark);
void ar_path_free(struct ar_path *p);

static inline int ar_is_dot(const char *n)
{
	return n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2]));
}

/* -------------------------------------------------------------------------
 * A list of names: directory listings and the top-level names of an import. */
struct ar_names {
	char **v;
	size_t n, cap;
};

int ar_names_add(struct ar_names *l, const char *name, size_t len);
void ar_names_sort(struct ar_names *l); /* strcmp order, duplicates dropped */
int ar_names_has(const struct ar_names *l, const char *name); /* after sort */
void ar_names_free(struct ar_names *l);

/* Sorted names of a tree directory, without "." and "..". */
int ar_tree_list(rd_tree *t, const char *dir, struct ar_names *out);

/* Sorted names of a real directory, without "." and "..". */
int ar_real_list(const char *dir, struct ar_names *out);

/* rd_write until all of buf is in, or the error (-ENOSPC at the quota). */
int ar_write_all(rd_tree *t, rd_fh fh, const void *buf, size_t len);

/* -------------------------------------------------------------------------
 * Pre/post-order walk of a tree directory for exports. fn sees every node
 * below root (not root itself) with its lstat; directories are seen twice,
 * AR_PRE before their children and AR_POST after. rel is the path below
 * root ("a/b"). A non-zero return from fn stops the walk and is returned;
 * walk failures of its own are reported in err. */
enum ar_visit { AR_PRE, AR_POST };
typedef int (*ar_walk_fn)(void *ud, const char *tree_path, const char *rel,
			  const struct stat *st, enum ar_visit when);
int ar_tree_walk(rd_tree *t, const char *root, ar_walk_fn fn, void *ud, char *err, size_t errlen);

/* -------------------------------------------------------------------------
 * Staging. An import builds everything inside a hidden directory created in
 * the deepest existing ancestor of the destination, remembering each node it
 * made, then renames the result into place. On failure it removes exactly
 * what it made: unlink and rmdir need no new memory, so this works even
 * when the failure was the quota. */
struct ar_made {
	char *rel; /* below the staged content directory */
	int is_dir;
};

struct ar_stage {
	rd_tree *t;
	char *base;          /* deepest existing directory of the destination */
	char *root;          /* base/<hidden staging name> */
	char *first_missing; /* first missing component of dest, NULL if dest exists */
	struct ar_names top; /* names to move into dest when it exists */
	struct ar_names chain; /* staged missing parents below root, deepest last */
	rd_fh dir;           /* open handle on the staged content directory */
	struct ar_made *made;
	size_t nmade, capmade;
};

/* Prepare to import the given top-level names into tree_dir (absolute).
 * Fails with -EEXIST naming the first name that already exists there. The
 * names are copied. */
int ar_stage_begin(struct ar_stage *s, rd_tree *t, const char *tree_dir,
		   const struct ar_names *top, char *err, size_t errlen);

/* Create nodes below the staged content directory and remember them. rel is
 * a validated relative path ("a/b"). */
int ar_stage_mkdir(struct ar_stage *s, const char *rel, mode_t mode);
int ar_stage_create(struct ar_stage *s, const char *rel, rd_fh *fh);
int ar_stage_symlink(struct ar_stage *s, const char *target, const char *rel);

/* Make every directory in the first len bytes of rel ("a/b" of "a/b/c")
 * that does not exist yet, with the default mode. An existing prefix that
 * is not a directory fails: -ELOOP for a symlink (an entry would pass
 * through it), -ENOTDIR otherwise. *bad gets the prefix length at fault. */
int ar_stage_mkdirs(struct ar_stage *s, const char *rel, size_t len, size_t *bad);

/* Move the staged result into place (0), or undo everything and fail. */
int ar_stage_commit(struct ar_stage *s, char *err, size_t errlen);
/* Remove everything staged and release the stage. */
void ar_stage_abort(struct ar_stage *s);

/* -------------------------------------------------------------------------
 * ZIP details shared by reading (archive_zip.c) and writing
 * (archive_zip_write.c).
 *
 * Info-ZIP "extended timestamp" extra field: flags byte, then a signed
 * 32-bit unix mtime when bit 0 is set. Gives whole seconds where the DOS
 * time of the entry header only has two-second steps in local time. */
#define AR_ZIP_EF_UT 0x5455

/* DOS attribute bits kept in the low byte of the external attributes. */
#define AR_ZIP_DOS_RDONLY 0x01
#define AR_ZIP_DOS_DIR 0x10

/* Any libzip error as a negative errno: damaged data is -EBADMSG. */
struct zip_error;
int ar_zip_errno(struct zip_error *ze);

/* -------------------------------------------------------------------------
 * Real filesystem side of exports. */

/* 0 if dest does not exist (*exists = 0) or, with allow_empty_dir, is an
 * empty directory (*exists = 1); -EEXIST with a message otherwise. */
int ar_real_dest_check(const char *dest, int allow_empty_dir, int *exists, char *err, size_t errlen);

/* Rename tmp to dest without replacing anything but the empty directory
 * dest_exists says was there. -EEXIST if dest appeared meanwhile. */
int ar_real_publish(const char *tmp, const char *dest, int dest_exists);

/* rm -rf, also through directories left without write permission. */
void ar_real_rmtree(const char *path);

/* "dest.ramdir-partial-XXXXXX" as a malloc'd template for mkdtemp. */
char *ar_partial_name(const char *dest);

#endif

/*
 * ramdir archive module: load a ZIP archive or a real directory into a tree,
 * and write a subtree out as a ZIP archive or a real directory. Linked
 * separately (libzip) so the tree engine keeps no dependency.
 *
 * Every function returns 0 or a negative errno and, on failure, writes one
 * line into err naming the entry and the reason. Imports are all-or-nothing:
 * on any failure (quota, node limit, corrupt or hostile archive) the tree is
 * left exactly as it was.
 */
#ifndef RAMDIR_ARCHIVE_H
#define RAMDIR_ARCHIVE_H

#include <stddef.h>
#include <ramdir/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* tree_dir is an absolute tree path ("/" or "/a/b"); created (with parents)
 * if missing. Existing entries with the same names make the import fail
 * with -EEXIST before anything is written. */
int rd_import_zip(rd_tree *t, const char *zip_path, const char *tree_dir, char *err, size_t errlen);
int rd_import_dir(rd_tree *t, const char *real_dir, const char *tree_dir, char *err, size_t errlen);

/* dest must not exist, or be an empty directory (dir export). The result
 * appears complete or not at all: written beside dest, then renamed. */
int rd_export_zip(rd_tree *t, const char *tree_dir, const char *zip_path, char *err, size_t errlen);
int rd_export_dir(rd_tree *t, const char *tree_dir, const char *real_dir, char *err, size_t errlen);

/* Import or export by the source's kind: a path ending in ".zip" (or a file
 * starting with a ZIP signature, for import) is an archive, otherwise a dir. */
int rd_import(rd_tree *t, const char *src, const char *tree_dir, char *err, size_t errlen);
int rd_export(rd_tree *t, const char *tree_dir, const char *dest, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif

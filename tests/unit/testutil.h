/* Shared helpers for the cmocka unit tests: make a fresh tree, write and
 * read whole files, and assert the tree is consistent after a test. */
#ifndef RAMDIR_TESTUTIL_H
#define RAMDIR_TESTUTIL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <ramdir/core.h>

/* A private tree with the given quota (0: 64 MiB) and node limit. */
rd_tree *tu_tree(uint64_t quota, uint64_t max_nodes);
/* A shared (memfd) tree. */
rd_tree *tu_tree_shared(uint64_t quota, uint64_t max_nodes);
/* rd_tree_check must pass; then the handle is closed. */
void tu_done(rd_tree *t);
/* Create/replace path with len bytes of data; returns rd_open/rd_write error or 0. */
int tu_put(rd_tree *t, const char *path, const void *data, size_t len);
/* Read up to cap bytes of path into buf; returns bytes read or negative errno. */
ssize_t tu_get(rd_tree *t, const char *path, void *buf, size_t cap);
/* bytes_used from rd_tree_stats. */
uint64_t tu_used(rd_tree *t);
/* rd_open from the root with mode 0644, which must succeed. */
rd_fh tu_open(rd_tree *t, const char *path, int flags);
/* Sleep until a timestamp taken now would differ from one taken before:
 * at least ms milliseconds and until the coarse clock (the engine stamps
 * times as tmpfs does, at tick granularity) has moved. */
void tu_tick(unsigned ms);
/* Run a shell command built like printf; its exit status (-1 if killed). */
int tu_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A fresh real directory under /tmp (malloc'd name) and its removal. */
char *tu_tmpdir(void);
void tu_tmpdir_drop(char *path);
/* rd_fstat / rd_tree_stats, which must succeed. */
struct stat tu_fstat(rd_tree *t, rd_fh fh);
struct rd_stats tu_stats(rd_tree *t);
#endif

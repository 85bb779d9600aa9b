/*
 * The ramdir launcher's private interface: the parsed command line and the
 * steps main() runs in order (tools/ramdir.c). Every step that can fail on
 * bad input calls launch_die(), which prints one line naming the option and
 * the fix and exits 125 before anything is left behind.
 */
#ifndef RAMDIR_LAUNCH_H
#define RAMDIR_LAUNCH_H

#include <stdint.h>
#include <stdio.h>

#include <ramdir/core.h>

#define LAUNCH_VERSION "0.1.0"
#define LAUNCH_MAX_PREFIXES 16
#define LAUNCH_MAX_IMPORTS 64
#define LAUNCH_PREFIX_MAX 1024
#define LAUNCH_EXIT_OWN 125   /* ramdir's own error, as env(1) */
#define LAUNCH_EXIT_NOEXEC 126 /* COMMAND found but cannot be run */
#define LAUNCH_EXIT_NOTFOUND 127

struct launch_opts {
	char prefixes[LAUNCH_MAX_PREFIXES][LAUNCH_PREFIX_MAX]; /* normalised: "/ram" */
	int nprefixes;
	struct rd_config cfg;
	const char *imports[LAUNCH_MAX_IMPORTS]; /* "SRC" or "SRC:/DIR" as given */
	int nimports;
	const char *export_to;
	int tmpdir;   /* 1: create PREFIX/tmp and point TMPDIR at it (default) */
	int stats;
	char **command; /* argv of COMMAND, NULL-terminated */
};

/* launch_opts.c: the command line. Exits 0 for --help and --version. */
void launch_parse(int argc, char **argv, struct launch_opts *o);
const char *launch_guard_name(int mode);

/* launch_setup.c: the tree around COMMAND, each input checked in full first. */
void launch_check_export(const char *dest, const struct launch_opts *o);
void launch_check_imports(const struct launch_opts *o);
void launch_do_imports(rd_tree *t, const struct launch_opts *o);
int launch_make_tmpdir(rd_tree *t, const struct launch_opts *o);
void launch_drop_tmpdir(rd_tree *t, const struct launch_opts *o); /* after COMMAND, before the export */
/* The tree path of prefix k's root: "/" for a single prefix, "/k" (one hex
 * digit) with several, as the preload lays the tree out (core.h roots). */
const char *launch_root(const struct launch_opts *o, int k);

/* launch_report.c: the --stats table. base is the tree's statistics when
 * COMMAND started, end when it ended; the activity lines are the difference. */
void launch_report(FILE *f, const struct rd_stats *base, const struct rd_stats *end, double secs);
const char *launch_human(uint64_t bytes, char *buf, size_t len);

/* ramdir.c: BIN/../lib/NAME, BIN the directory of our own binary, where
 * libramdir.so and the ZIP module are installed. */
void launch_lib_path(const char *name, char *out, size_t len);

/* launch_zip.c: stop with one line naming the ZIP module (and why) unless
 * it can be loaded; option and arg name what asked for a ZIP. The module
 * file also defines the launcher's rd_import_zip and rd_export_zip. */
void launch_zip_need(const char *option, const char *arg);

void launch_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif

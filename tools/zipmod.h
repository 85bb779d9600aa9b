/*
 * The contract between the launcher and its ZIP module, libramdir_zip.so
 * (tools/zipmod.c), which the launcher loads from BIN/../lib only when an
 * import or the export is a ZIP (tools/launch_zip.c): linked into the
 * launcher, libzip loaded libcrypto, libz and libbz2 at every start.
 *
 * The module holds the archive module (ZIP and directory halves, compiled
 * in) and libzip, but no engine: the engine calls it makes go to the
 * launcher's through a table the launcher hands over (zipmod_calls.def),
 * on the launcher's own tree handle. So one engine serves the process (one
 * lookup cache, one set of credentials), and the engine keeps its
 * initial-exec thread-locals, which a library loaded with dlopen could not
 * have (glibc keeps too little static TLS spare for path.c's 4 KiB).
 */
#ifndef RAMDIR_ZIPMOD_H
#define RAMDIR_ZIPMOD_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <ramdir/core.h>

#define ZIPMOD_FILE "libramdir_zip.so"
#define ZIPMOD_SYMBOL "ramdir_zipmod"
#define ZIPMOD_VERSION 1 /* bump when struct zipmod changes */

/* The launcher's engine, one pointer per zipmod_calls.def line. */
struct zipmod_host {
#define X(ret, name, params, args) ret(*name) params;
#include "zipmod_calls.def"
#undef X
};

struct zipmod {
	int version;
	size_t host_size; /* sizeof (struct zipmod_host) the module was built with */
	/* Once, before any call: where the engine calls go. */
	void (*bind)(const struct zipmod_host *host);
	/* rd_import_zip and rd_export_zip (ramdir/archive.h). */
	int (*import_zip)(rd_tree *t, const char *zip_path, const char *tree_dir, char *err, size_t errlen);
	int (*export_zip)(rd_tree *t, const char *tree_dir, const char *zip_path, char *err, size_t errlen);
};

#endif

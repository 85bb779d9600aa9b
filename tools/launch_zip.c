/*
 * The launcher's rd_import_zip and rd_export_zip (ramdir/archive.h). The
 * launcher links only the directory half of the archive module, whose
 * rd_import and rd_export call these two for a ZIP; here they run the ZIP
 * module, libramdir_zip.so beside libramdir.so (tools/zipmod.h), loaded
 * the first time a ZIP is named. A run without a ZIP so never loads libzip,
 * libcrypto, libz and libbz2: linked in, they cost every run about 140
 * page faults and 1.9 ms (docs/DESIGN.md, "The launcher's own cost").
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ramdir/archive.h>

#include "launch.h"
#include "zipmod.h"

static const struct zipmod *zip_mod;
static char zip_why[PATH_MAX + 512]; /* why it cannot be loaded, once tried */

/* What the module's engine calls reach: this process's engine. */
static const struct zipmod_host zip_host = {
#define X(ret, name, params, args) .name = name,
#include "zipmod_calls.def"
#undef X
};

/* RTLD_NOW: a symbol libzip lacks fails here, at the check before COMMAND,
 * not in the middle of an import or after COMMAND ran. */
static const struct zipmod *zip_load(void)
{
	char path[PATH_MAX];
	const struct zipmod *m;
	void *h;
	int fd;

	if (zip_mod || zip_why[0])
		return zip_mod;
	launch_lib_path(ZIPMOD_FILE, path, sizeof path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(zip_why, sizeof zip_why, "the ZIP module '%s' cannot be read (%s); reinstall ramdir",
			 path, strerror(errno));
		return NULL;
	}
	close(fd);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(zip_why, sizeof zip_why,
			 "the ZIP module '%s' cannot be loaded (%s); install libzip or reinstall ramdir", path,
			 dlerror());
		return NULL;
	}
	m = dlsym(h, ZIPMOD_SYMBOL);
	if (!m || m->version != ZIPMOD_VERSION || m->host_size != sizeof zip_host) {
		snprintf(zip_why, sizeof zip_why,
			 "the ZIP module '%s' is from another build of ramdir; reinstall ramdir", path);
		dlclose(h);
		return NULL;
	}
	m->bind(&zip_host);
	zip_mod = m;
	return m;
}

void launch_zip_need(const char *option, const char *arg)
{
	if (!zip_load())
		launch_die("%s '%s' is a ZIP archive, but %s", option, arg, zip_why);
}

/* The checks before COMMAND called launch_zip_need, so these fail only if
 * that was skipped; they then fail as an unreadable archive would. */
int rd_import_zip(rd_tree *t, const char *zip_path, const char *tree_dir, char *err, size_t errlen)
{
	const struct zipmod *m = zip_load();

	if (!m) {
		snprintf(err, errlen, "%s", zip_why);
		return -ELIBACC;
	}
	return m->import_zip(t, zip_path, tree_dir, err, errlen);
}

int rd_export_zip(rd_tree *t, const char *tree_dir, const char *zip_path, char *err, size_t errlen)
{
	const struct zipmod *m = zip_load();

	if (!m) {
		snprintf(err, errlen, "%s", zip_why);
		return -ELIBACC;
	}
	return m->export_zip(t, tree_dir, zip_path, err, errlen);
}

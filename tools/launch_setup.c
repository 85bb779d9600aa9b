/*
 * What the launcher does to the tree around COMMAND: before it, check that
 * the export can happen, check and load the imports, make PREFIX/tmp;
 * after it, take that tmp away again before the export. Every failure here
 * stops ramdir with one line (exit 125) before COMMAND runs and before
 * anything is left on disk; imports are all-or-nothing (archive.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ramdir/archive.h>

#include "launch.h"

/* /// Export destination //////////////////////////////////////////////// */

static int setup_is_zip(const char *p)
{
	size_t n = strlen(p);

	return n >= 4 && !strcasecmp(p + n - 4, ".zip");
}

static int setup_dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return -1;
	while (empty && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

/* An absolute, lexically clean form of p for the prefix comparison. */
static void setup_abs(const char *p, char *out, size_t len)
{
	char cwd[PATH_MAX];

	if (p[0] == '/' || !getcwd(cwd, sizeof cwd))
		snprintf(out, len, "%s", p);
	else
		snprintf(out, len, "%s/%s", cwd, p);
}

static void setup_export_not_in_prefix(const char *dest, const struct launch_opts *o)
{
	char abs[PATH_MAX + 8];
	int i;

	setup_abs(dest, abs, sizeof abs);
	for (i = 0; i < o->nprefixes; i++) {
		size_t n = strlen(o->prefixes[i]);

		if (!strncmp(abs, o->prefixes[i], n) && (abs[n] == 0 || abs[n] == '/'))
			launch_die("--export '%s' is under --prefix %s, which is gone when COMMAND "
				   "ends; give a path outside it",
				   dest, o->prefixes[i]);
	}
}

/* The export writes DEST.ramdir-partial-XXXXXX beside DEST and renames it:
 * prove now that such a name can be made there (permissions, read-only
 * file systems, a missing parent) and take the probe away again. */
static void setup_export_probe(const char *dest)
{
	char probe[PATH_MAX], dir[PATH_MAX];
	size_t n = strlen(dest);
	char *slash;

	while (n > 1 && dest[n - 1] == '/')
		n--;
	if (n + sizeof ".ramdir-probe-XXXXXX" > sizeof probe)
		launch_die("--export '%s' is too long a path; give a shorter one", dest);
	memcpy(probe, dest, n);
	strcpy(probe + n, ".ramdir-probe-XXXXXX");
	if (mkdtemp(probe)) {
		rmdir(probe);
		return;
	}
	memcpy(dir, dest, n);
	dir[n] = 0;
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	launch_die("--export '%s': cannot write in '%s' (%s); give a writable place", dest, dir,
		   strerror(errno));
}

void launch_check_export(const char *dest, const struct launch_opts *o)
{
	const char *base = strrchr(dest, '/');
	struct stat st;

	base = base ? base + 1 : dest;
	if (!strcmp(base, ".") || !strcmp(base, ".."))
		launch_die("--export '%s' does not name a new entry; give a path such as out.zip or "
			   "out/",
			   dest);
	setup_export_not_in_prefix(dest, o);
	if (lstat(dest, &st) == 0) {
		if (setup_is_zip(dest))
			launch_die("--export '%s' already exists; remove it or give a new name", dest);
		if (!S_ISDIR(st.st_mode))
			launch_die("--export '%s' exists and is not a directory; give a new path or "
				   "an empty directory",
				   dest);
		if (setup_dir_empty(dest) != 1)
			launch_die("--export '%s' is a directory that is not empty; give a new path "
				   "or an empty directory",
				   dest);
	} else if (errno != ENOENT) {
		launch_die("--export '%s': %s; give a path ramdir can create", dest, strerror(errno));
	}
	setup_export_probe(dest);
	if (setup_is_zip(dest))
		launch_zip_need("--export", dest);
}

/* /// Tree paths /////////////////////////////////////////////////////// */

const char *launch_root(const struct launch_opts *o, int k)
{
	static const char roots[RD_MAX_ROOTS][3] = {"/0", "/1", "/2", "/3", "/4", "/5", "/6", "/7",
						    "/8", "/9", "/a", "/b", "/c", "/d", "/e", "/f"};

	return o->nprefixes > 1 ? roots[k] : "/";
}

/* /// Imports ////////////////////////////////////////////////////////// */

struct setup_import {
	char src[PATH_MAX];
	const char *dir; /* tree directory: the first prefix's root by default */
};

/* With several prefixes DIR must lie in one of their roots, /0 ... */
static void setup_check_root(const char *spec, const char *dir, const struct launch_opts *o)
{
	int k;

	if (o->nprefixes < 2)
		return;
	while (*dir == '/')
		dir++;
	for (k = 0; k < o->nprefixes; k++) {
		const char *r = launch_root(o, k) + 1;

		if (dir[0] == r[0] && (dir[1] == 0 || dir[1] == '/'))
			return;
	}
	launch_die("--import '%s': with several --prefix, DIR starts with the prefix's directory "
		   "in the tree: /0 for %s, /%s for %s",
		   spec, o->prefixes[0], launch_root(o, o->nprefixes - 1) + 1,
		   o->prefixes[o->nprefixes - 1]);
}

/* "SRC" or "SRC:/DIR": the last ':' followed by '/' starts DIR, so a
 * source whose name holds a ':' still works on its own. */
static void setup_split(const char *spec, struct setup_import *im, const struct launch_opts *o)
{
	char *colon;
	const char *p;

	if (snprintf(im->src, sizeof im->src, "%s", spec) >= (int)sizeof im->src)
		launch_die("--import '%s' is too long a path; give a shorter one", spec);
	im->dir = launch_root(o, 0);
	colon = strrchr(im->src, ':');
	if (colon && colon[1] == '/') {
		*colon = 0;
		im->dir = colon + 1;
		setup_check_root(spec, im->dir, o);
	}
	for (p = im->dir; (p = strstr(p, "..")); p += 2)
		if ((p == im->dir || p[-1] == '/') && (p[2] == 0 || p[2] == '/'))
			launch_die("--import '%s': DIR '%s' contains '..'; give a plain path in the "
				   "tree such as /src",
				   spec, im->dir);
}

/* What rd_import takes for an archive: a .zip name, or a file that starts
 * with a ZIP signature (a local header, or the end record of an empty one). */
static int setup_looks_zip(const char *path)
{
	unsigned char m[4];
	int fd;
	ssize_t n;

	if (setup_is_zip(path))
		return 1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1; /* let the import say why */
	n = read(fd, m, sizeof m);
	close(fd);
	return n == 4 && m[0] == 'P' && m[1] == 'K' &&
	       ((m[2] == 3 && m[3] == 4) || (m[2] == 5 && m[3] == 6));
}

void launch_check_imports(const struct launch_opts *o)
{
	int i;

	for (i = 0; i < o->nimports; i++) {
		struct setup_import im;
		struct stat st;
		int fd;

		setup_split(o->imports[i], &im, o);
		if (stat(im.src, &st) < 0)
			launch_die("--import '%s': %s; give an existing .zip or directory%s", im.src,
				   strerror(errno),
				   strchr(o->imports[i], ':') && !strcmp(im.dir, launch_root(o, 0))
					   ? " (DIR after ':' must start with '/')"
					   : "");
		if (!S_ISDIR(st.st_mode) && !(S_ISREG(st.st_mode) && setup_looks_zip(im.src)))
			launch_die("--import '%s' is neither a directory nor a ZIP archive; give a "
				   ".zip or a directory",
				   im.src);
		fd = open(im.src, O_RDONLY | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
		if (fd < 0)
			launch_die("--import '%s': %s; give one ramdir can read", im.src,
				   strerror(errno));
		close(fd);
		if (!S_ISDIR(st.st_mode))
			launch_zip_need("--import", im.src);
	}
}

static const char *setup_import_fix(int rc)
{
	switch (-rc) {
	case ENOSPC:
		return "raise --quota or --max-nodes, or import less";
	case EEXIST:
		return "import it into another DIR (SRC:/DIR)";
	case ENOTDIR:
		return "give a DIR that is a directory in the tree";
	case ENOMEM:
		return "free some memory";
	default:
		return "repair or re-create the archive";
	}
}

void launch_do_imports(rd_tree *t, const struct launch_opts *o)
{
	int i;

	for (i = 0; i < o->nimports; i++) {
		struct setup_import im;
		char err[512] = "";
		int rc;

		setup_split(o->imports[i], &im, o);
		rc = rd_import(t, im.src, im.dir, err, sizeof err);
		if (rc < 0)
			launch_die("--import '%s' refused: %s; nothing was imported, %s", o->imports[i],
				   err[0] ? err : strerror(-rc), setup_import_fix(rc));
	}
}

/* /// TMPDIR /////////////////////////////////////////////////////////// */

/* PREFIX/tmp for the first prefix ("/tmp" in the tree, "/0/tmp" with
 * several prefixes). */
static void setup_tmp_path(const struct launch_opts *o, char *out, size_t len)
{
	const char *root = launch_root(o, 0);

	snprintf(out, len, "%s/tmp", root[1] ? root : "");
}

/* /tmp of the tree, mode 1777 as the real /tmp. An import may have brought
 * its own tmp: a directory is used as it is, anything else is an error.
 * Returns 1 if ramdir made it (it is then scratch: not exported). */
int launch_make_tmpdir(rd_tree *t, const struct launch_opts *o)
{
	char tmp[16];
	struct stat st;
	int rc;

	setup_tmp_path(o, tmp, sizeof tmp);
	rc = rd_stat(t, RD_ROOT, tmp, &st, 0);

	if (rc == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (rc == 0 || rc != -ENOENT)
		launch_die("%s/tmp from --import is not a directory; rename it in the import or "
			   "pass --no-tmpdir",
			   o->prefixes[0]);
	rc = rd_mkdir(t, RD_ROOT, tmp, 01777);
	if (rc == 0)
		rc = rd_chmod(t, RD_ROOT, tmp, 01777, 0);
	if (rc == -ENOSPC)
		launch_die("no room for %s/tmp under --quota/--max-nodes; raise them or pass "
			   "--no-tmpdir",
			   o->prefixes[0]);
	if (rc < 0)
		launch_die("cannot create %s/tmp: %s; pass --no-tmpdir", o->prefixes[0],
			   strerror(-rc));
	return 1;
}

/* The record rd_getdents fills, as getdents64(2). */
struct setup_dirent {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Names in a tree directory, as one buffer of NUL-terminated strings
 * ending with an empty one; NULL if it cannot be read. */
static char *setup_list(rd_tree *t, const char *dir)
{
	char buf[8192], *names = NULL, *grown;
	size_t used = 0;
	ssize_t n;
	rd_fh fh;

	if (rd_open(t, RD_ROOT, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, &fh) < 0)
		return NULL;
	while ((n = rd_getdents(t, fh, buf, sizeof buf)) > 0) {
		ssize_t off = 0;

		while (off < n) {
			const struct setup_dirent *d = (const void *)(buf + off);
			size_t len = strlen(d->d_name) + 1;

			off += d->d_reclen ? d->d_reclen : n;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			grown = realloc(names, used + len + 1);
			if (!grown)
				break;
			names = grown;
			memcpy(names + used, d->d_name, len);
			used += len;
		}
	}
	rd_close(t, fh);
	grown = realloc(names, used + 1);
	if (grown)
		grown[used] = 0;
	else
		free(names);
	return grown;
}

/* rm -rf inside the tree, best effort: what cannot go stays. path is one
 * PATH_MAX buffer shared by every level (a deep tree costs no stack). */
static void setup_remove(rd_tree *t, char *path)
{
	size_t len = strlen(path);
	char *names, *name;
	struct stat st;

	if (rd_stat(t, RD_ROOT, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		rd_unlink(t, RD_ROOT, path, 0);
		return;
	}
	rd_chmod(t, RD_ROOT, path, 0700, 0); /* a read-only directory the command left */
	names = setup_list(t, path);
	for (name = names; name && *name; name += strlen(name) + 1) {
		if (len + 1 + strlen(name) >= PATH_MAX)
			continue;
		path[len] = '/';
		strcpy(path + len + 1, name);
		setup_remove(t, path);
		path[len] = 0;
	}
	free(names);
	rd_unlink(t, RD_ROOT, path, AT_REMOVEDIR);
}

void launch_drop_tmpdir(rd_tree *t, const struct launch_opts *o)
{
	char path[PATH_MAX];

	setup_tmp_path(o, path, sizeof path);
	setup_remove(t, path);
}

/*
 * Pattern expansion: glob and glob64. glibc's glob lists directories and
 * stats names with its internal opendir and fstatat, which never reach our
 * wrappers. It has a hook for exactly this, GLOB_ALTDIRFUNC, and uses it
 * everywhere it touches the file system (the recursive glob of a magic
 * directory part and brace alternatives inherit it). So a pattern that can
 * reach the tree runs the real glob with its callbacks pointed at our
 * exported wrappers, which send each name to the tree or to the disk; the
 * matching, sorting, escapes, GLOB_APPEND/GLOB_DOOFFS bookkeeping and the
 * result stay glibc's, and so does globfree.
 *
 * The caller must not see the borrowed hook: its five callback fields and
 * gl_flags are given back as the real glob would have left them.
 */
#include <string.h>

#include "rp.h"

/* gl_flags before the call, to learn whether glob stored flags at all (it
 * does not on most failures). glob only stores valid flags, never -1. */
#define GLOB_FLAGS_UNSET (-1)

/*
 * Can this call reach the tree? A pattern whose literal part is a tree
 * path (absolute, or relative to a tree working directory or climbing into
 * the prefix) can; so can "~" (the home directory may be in the tree) and
 * a brace alternative. Everything else goes to the real glob untouched. A
 * caller with its own GLOB_ALTDIRFUNC already routes every name through
 * callbacks that reach our wrappers.
 */
static int glob_ours(const char *pattern, int flags, const void *pglob)
{
	struct rp_at at;

	if (!rp.tree || !pattern || !pglob || (flags & ~__GLOB_FLAGS) || (flags & GLOB_ALTDIRFUNC))
		return 0; /* also glibc's EINVAL cases, which touch nothing */
	if (pattern[0] == '~' && (flags & (GLOB_TILDE | GLOB_TILDE_CHECK)))
		return 1;
	if ((flags & GLOB_BRACE) && strchr(pattern, '{'))
		return 1;
	return rp_path(AT_FDCWD, pattern, &at) != 0;
}

/* Adapters with the callback types glob_t declares; they call the exported
 * wrappers on purpose, as the routing is theirs. */
static void *glob_opendir(const char *name)
{
	return opendir(name);
}

static void glob_closedir(void *d)
{
	closedir(d);
}

static struct dirent *glob_readdir(void *d)
{
	return readdir(d);
}

static struct dirent64 *glob_readdir64(void *d)
{
	return readdir64(d);
}

/*
 * GLOB_RUN: the body of glob<SFX> for a pattern that can reach the tree.
 * glob_t and glob64_t differ only in the types of gl_readdir, gl_stat and
 * gl_lstat, so one template serves both.
 */
#define GLOB_RUN(SFX, TYPE)                                                                      \
	static int glob_run##SFX(const char *pattern, int flags, int (*errfunc)(const char *, int), \
				 TYPE *pglob)                                                    \
	{                                                                                        \
		TYPE saved = *pglob;                                                             \
		int rc;                                                                          \
                                                                                                 \
		pglob->gl_closedir = glob_closedir;                                              \
		pglob->gl_readdir = glob_readdir##SFX;                                           \
		pglob->gl_opendir = glob_opendir;                                                \
		pglob->gl_lstat = lstat##SFX;                                                    \
		pglob->gl_stat = stat##SFX;                                                      \
		pglob->gl_flags = GLOB_FLAGS_UNSET;                                              \
		rc = REAL(glob##SFX)(pattern, flags | GLOB_ALTDIRFUNC, errfunc, pglob);          \
		pglob->gl_closedir = saved.gl_closedir;                                          \
		pglob->gl_readdir = saved.gl_readdir;                                            \
		pglob->gl_opendir = saved.gl_opendir;                                            \
		pglob->gl_lstat = saved.gl_lstat;                                                \
		pglob->gl_stat = saved.gl_stat;                                                  \
		if (pglob->gl_flags == GLOB_FLAGS_UNSET)                                         \
			pglob->gl_flags = saved.gl_flags;                                        \
		else                                                                             \
			pglob->gl_flags &= ~GLOB_ALTDIRFUNC;                                     \
		return rc;                                                                       \
	}

GLOB_RUN(, glob_t)
GLOB_RUN(64, glob64_t)

/* ---- exported wrappers ---- */

RP_EXPORT int glob(const char *pattern, int flags, int (*errfunc)(const char *, int), glob_t *pglob)
{
	if (!glob_ours(pattern, flags, pglob))
		return REAL(glob)(pattern, flags, errfunc, pglob);
	return glob_run(pattern, flags, errfunc, pglob);
}

RP_EXPORT int glob64(const char *pattern, int flags, int (*errfunc)(const char *, int), glob64_t *pglob)
{
	if (!glob_ours(pattern, flags, pglob))
		return REAL(glob64)(pattern, flags, errfunc, pglob);
	return glob_run64(pattern, flags, errfunc, pglob);
}

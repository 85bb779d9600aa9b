/*
 * The working directory and canonical paths: chdir, fchdir, getcwd (with
 * get_current_dir_name, getwd and the fortify _chk forms), realpath,
 * canonicalize_file_name and __realpath_chk.
 *
 * A working directory in the tree is a core handle in rp.cwd; the real
 * working directory stays where it was, so leaving the tree is an ordinary
 * real chdir. realpath of a tree path runs glibc's algorithm here, one
 * component at a time, on the tree or the real filesystem as each prefix
 * of the name falls, so symlinks may lead in and out of the tree.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "rp.h"

/* glibc's fortify failure (exported, not declared in public headers). */
extern void __chk_fail(void) __attribute__((noreturn));

/* ---- the working directory ---- */

RP_START rd_fh rp_cwd_fh(void)
{
	struct rp_vf *vf = rp_vf_child();
	rd_fh fh;

	if (unlikely(vf != NULL) && rp_vf_cwd(vf, &fh))
		return fh;
	return __atomic_load_n(&rp.cwd, __ATOMIC_ACQUIRE);
}

static rd_fh cwd_get_fh(void)
{
	return rp_cwd_fh();
}

static int cwd_name(rd_fh dir, char *buf, size_t size);
static int cwd_enter(const struct rp_at *at);
static int cwd_check(rd_fh fh);

/* A tree working directory must survive exec, where process memory does
 * not: it travels in RAMDIR_CWD, with the PWD seen when it was set so that
 * a child can tell whether a shell (which keeps its own environment and
 * exports PWD instead) has moved since. */
static void cwd_export(rd_fh fh)
{
	char name[RP_PATH_MAX];
	const char *pwd;

	if (!fh || cwd_name(fh, name, sizeof name) < 0) {
		unsetenv("RAMDIR_CWD");
		unsetenv("RAMDIR_CWD_PWD");
		return;
	}
	pwd = getenv("PWD");
	setenv("RAMDIR_CWD", name, 1);
	setenv("RAMDIR_CWD_PWD", pwd ? pwd : "", 1);
}

/* Make fh (a reference the caller gives up; 0: outside the tree) the
 * working directory and drop the previous one. */
static void cwd_set(rd_fh fh)
{
	struct rp_vf *vf = rp_vf_child();
	rd_fh old;

	if (unlikely(vf != NULL)) { /* the parent's stays, and its environ */
		rp_vf_set_cwd(vf, fh);
		return;
	}
	old = __atomic_exchange_n(&rp.cwd, fh, __ATOMIC_ACQ_REL);

	if (old)
		rd_close(rp.tree, old);
	cwd_export(fh);
}

RP_START int rp_cwd_name_of(rd_fh fh, char *buf, size_t size)
{
	if (!fh)
		return 0;
	return cwd_name(fh, buf, size) < 0 ? -1 : 1;
}

RP_START int rp_cwd_name(char *buf, size_t size)
{
	return rp_cwd_name_of(cwd_get_fh(), buf, size);
}

int rp_cwd_check(rd_fh fh)
{
	return cwd_check(fh);
}

/* The working directory an exec or spawn handed over (handoff.c): fh is a
 * reference this image now owns. Works for a directory with no name left,
 * where RAMDIR_CWD cannot say anything. */
RP_START void rp_cwd_adopt_fh(rd_fh fh)
{
	struct stat st;

	if (rd_fstat(rp.tree, fh, &st) < 0 || !S_ISDIR(st.st_mode)) {
		rd_close(rp.tree, fh);
		return;
	}
	cwd_set(fh);
}

RP_START void rp_cwd_adopt(const char *const env[RP_ENV_N])
{
	const char *cwd = env[RP_ENV_CWD], *pwd = env[RP_ENV_PWD], *seen = env[RP_ENV_CWD_PWD];
	const char *target = NULL;
	struct rp_at at;

	if (cwd_get_fh())
		return; /* handed over by handle */
	if (cwd && (!pwd || !seen || !strcmp(pwd, seen)))
		target = cwd; /* set by our chdir or exec, and no shell moved since;
			       * empty: the parent's directory was not in the tree */
	else if (pwd)
		target = pwd; /* a shell's cd into the tree shows only in PWD */
	if (!target || target[0] != '/' || rp_path(AT_FDCWD, target, &at) != 1)
		return;
	if (cwd_enter(&at) < 0)
		cwd_export(0);
}

/* chdir(2)'s checks on an open tree file: a directory we may search. */
static int cwd_check(rd_fh fh)
{
	struct stat st;
	int rc = rd_fstat(rp.tree, fh, &st);

	if (rc == 0 && !S_ISDIR(st.st_mode))
		rc = -ENOTDIR;
	if (rc == 0)
		rc = rd_access(rp.tree, fh, "", X_OK, AT_EACCESS | AT_EMPTY_PATH);
	return rc;
}

static int cwd_enter(const struct rp_at *at)
{
	rd_fh fh;
	int rc = rd_open(rp.tree, at->base, at->path, O_PATH | O_DIRECTORY, 0, &fh);

	if (rc < 0)
		return rc;
	rc = cwd_check(fh);
	if (rc < 0) {
		rd_close(rp.tree, fh);
		return rc;
	}
	if (unlikely(rp_vf_child() != NULL))
		rp_vf_own(rp_vf_child(), fh); /* leaks if it _exits (vfork.c) */
	cwd_set(fh);
	return 0;
}

static int cwd_enter_fh(rd_fh fh)
{
	int rc = cwd_check(fh);

	if (rc == 0 && likely(!rp_vf_child())) /* a vfork child takes none */
		rc = rd_fh_ref(rp.tree, fh);
	if (rc == 0)
		cwd_set(fh);
	return rc;
}

/* After a successful real chdir/fchdir: the tree is left behind. */
static int cwd_left(int rc)
{
	if (rc == 0 && rp.tree) {
		cwd_set(0);
		if (likely(!rp_vf_child())) /* the cache is the parent's (path.c) */
			rp_cwd_refresh();
	}
	return rc;
}

/* The absolute name of tree directory `dir` in buf: its length + 1, or
 * -errno (ENOENT if it was removed, ERANGE if size is too small). */
static int cwd_name(rd_fh dir, char *buf, size_t size)
{
	char tree[RP_PATH_MAX];
	int rc = rd_fh_path(rp.tree, dir, tree, sizeof tree);

	if (rc == -ERANGE)
		rc = -ENAMETOOLONG; /* longer than the kernel's getcwd gives */
	if (rc < 0)
		return rc;
	return rp_prefix_user(tree, buf, size); /* "/1/a" -> "/second-prefix/a" */
}

/* getcwd(3) for a working directory in the tree, as glibc: size 0 with
 * no buffer allocates what is needed, a buffer of size 0 is EINVAL. */
static char *cwd_getcwd(rd_fh dir, char *buf, size_t size)
{
	size_t alloc = size ? size : RP_PATH_MAX;
	char *path = buf;
	int n;

	if (size == 0 && buf) {
		errno = EINVAL;
		return NULL;
	}
	if (!buf && !(path = malloc(alloc)))
		return NULL;
	n = cwd_name(dir, path, alloc);
	if (n < 0) {
		if (!buf)
			free(path);
		rp_ret(n);
		return NULL;
	}
	if (!buf && size == 0) {
		char *fit = realloc(path, (size_t)n);

		if (fit)
			path = fit;
	}
	return path;
}

/* ---- realpath ---- */

/*
 * glibc 2.36's realpath, over both filesystems. `name` is the resolved
 * part (absolute, no symlinks, no "." or ".."), `rest` what is still to
 * walk. Each new component is readlink'ed: a symlink's target replaces it
 * in `rest` (an absolute one restarts `name` at "/"), EINVAL means "not a
 * link, go on", any other error ends the walk, except that a component
 * followed by "/", "/." or "/.." must also be a searchable directory.
 * On ENOENT and EACCES a caller's buffer receives the partial name.
 */
struct canon {
	char name[2 * RP_PATH_MAX];
	char rest[2 * RP_PATH_MAX];
	char link[RP_PATH_MAX];
};

#define CANON_MAXLINKS 40 /* glibc's __eloop_threshold() */

/* The tree path of abs (in buf, or in abs itself), NULL if it is not
 * ours. A buffer as large as abs always holds it (a tree path is never
 * longer than the user's); a too long one fails in the core. */
static const char *canon_tree(const char *abs, char *buf, size_t size)
{
	int k = rp_prefix_match(abs);

	return k < 0 ? NULL : rp_prefix_tree(abs, k, buf, size);
}

/* readlink(2) of an absolute name in the tree or outside: -1/errno. */
static long canon_readlink(const char *abs, char *buf, size_t size)
{
	char tb[2 * RP_PATH_MAX]; /* as struct canon's names */
	const char *t = canon_tree(abs, tb, sizeof tb);
	long n;

	if (!t)
		return syscall(SYS_readlinkat, AT_FDCWD, abs, buf, size);
	n = rd_readlink(rp.tree, RD_ROOT, t, buf, size);
	return rp_ret(n == -RD_EESCAPE ? -ELOOP : n); /* `abs` has no symlink to leave by */
}

/* faccessat(F_OK) of an absolute name: -1/errno. */
static int canon_exists(const char *abs)
{
	char tb[2 * RP_PATH_MAX]; /* as struct canon's names */
	const char *t = canon_tree(abs, tb, sizeof tb);
	int rc;

	if (!t)
		return (int)syscall(SYS_faccessat, AT_FDCWD, abs, F_OK);
	rc = rd_access(rp.tree, RD_ROOT, t, F_OK, AT_EACCESS);
	return (int)rp_ret(rc == -RD_EESCAPE ? -ELOOP : rc);
}

/* Must the component before `end` be a searchable directory although it
 * is not a symlink? Yes when only "/" and "." components follow it up to
 * the end of the name or up to a "..", as glibc decides. */
static int canon_wants_dir(const char *end)
{
	while (*end == '/') {
		while (*end == '/')
			end++;
		if (*end == 0)
			return 1;
		if (*end++ != '.')
			return 0;
		if (*end == 0 || (*end == '.' && (end[1] == 0 || end[1] == '/')))
			return 1;
	}
	return 0;
}

/* The starting point of a relative name: the working directory. */
static int canon_cwd(char *buf, size_t size)
{
	rd_fh dir = cwd_get_fh();
	long n;

	if (dir)
		return cwd_name(dir, buf, size);
	n = syscall(SYS_getcwd, buf, size);
	return n < 0 ? -errno : (int)n;
}

/* Walk c->rest onto c->name. Returns the end of the name; errno is set
 * and *failed is 1 when the walk stopped on an error. */
static char *canon_walk(struct canon *c, int *failed)
{
	char *dest = c->name + strlen(c->name), *start, *end;
	char *const limit = c->name + sizeof c->name - 2; /* room for "/" and NUL */
	int links = 0;

	*failed = 1;
	for (start = c->rest; *start; start = end) {
		size_t len, restlen;
		long n;

		while (*start == '/')
			start++;
		for (end = start; *end && *end != '/'; end++)
			;
		len = (size_t)(end - start);
		if (len == 0)
			break;
		if (len == 1 && start[0] == '.')
			continue;
		if (len == 2 && start[0] == '.' && start[1] == '.') {
			if (dest > c->name + 1)
				for (--dest; dest > c->name && dest[-1] != '/'; --dest)
					;
			continue;
		}
		if (dest[-1] != '/')
			*dest++ = '/';
		if (dest + len >= limit) {
			errno = ENAMETOOLONG;
			return dest;
		}
		memcpy(dest, start, len);
		dest += len;
		*dest = 0;
		n = canon_readlink(c->name, c->link, sizeof c->link - 1);
		if (n < 0) {
			if (canon_wants_dir(end)) {
				strcpy(dest, "/");
				if (canon_exists(c->name) < 0)
					return dest;
			} else if (errno != EINVAL) {
				return dest;
			}
			continue;
		}
		if (++links > CANON_MAXLINKS) {
			errno = ELOOP;
			return dest;
		}
		restlen = strlen(end);
		if ((size_t)n + restlen + 1 > sizeof c->rest) {
			errno = ENAMETOOLONG;
			return dest;
		}
		memmove(c->rest + n, end, restlen + 1);
		memcpy(c->rest, c->link, (size_t)n);
		end = c->rest;
		if (c->link[0] == '/')
			dest = c->name + 1;
		else if (dest > c->name + 1)
			for (--dest; dest > c->name && dest[-1] != '/'; --dest)
				;
	}
	if (dest > c->name + 1 && dest[-1] == '/')
		--dest;
	*failed = 0;
	return dest;
}

static char *canon_realpath(const char *path, char *resolved)
{
	struct canon *c = malloc(sizeof *c);
	char *dest, *ret = NULL;
	int failed = 1;

	if (!c)
		return NULL;
	if (strlen(path) >= sizeof c->rest) {
		errno = ENAMETOOLONG;
		c->name[0] = 0;
		dest = c->name;
	} else if (path[0] == '/') {
		strcpy(c->rest, path);
		strcpy(c->name, "/");
		dest = canon_walk(c, &failed);
	} else {
		int n = canon_cwd(c->name, sizeof c->name);

		strcpy(c->rest, path);
		if (n < 0) {
			errno = -n;
			c->name[0] = 0;
			dest = c->name;
		} else {
			dest = canon_walk(c, &failed);
		}
	}
	*dest++ = 0;
	if (resolved) {
		if ((!failed || errno == ENOENT || errno == EACCES) && dest - c->name <= PATH_MAX) {
			strcpy(resolved, c->name);
			ret = failed ? NULL : resolved;
		} else if (!failed) {
			errno = ENAMETOOLONG;
		}
	} else if (!failed) {
		ret = strdup(c->name);
	}
	free(c);
	return ret;
}

/* Is realpath(path) ours: a tree path, or relative to a tree directory?
 * 1 yes, 0 no (call the real one), -1 errno set. */
static int canon_ours(const char *path)
{
	struct rp_at at;

	if (!path || !path[0])
		return 0; /* the real one gives EINVAL and ENOENT */
	return (int)rp_ret(rp_path(AT_FDCWD, path, &at));
}

/* ---- exported wrappers ---- */

RP_EXPORT int chdir(const char *path)
{
	RP_PATHCALL(int, AT_FDCWD, path, cwd_enter(&at), cwd_left(REAL(chdir)(rp_pathname)));
}

RP_EXPORT int fchdir(int fd)
{
	rd_fh fh = rp_fd_get(fd);

	if (!fh && rp_fd_idle(fd))
		return (int)rp_ret(-EBADF);
	if (!fh)
		return cwd_left(REAL(fchdir)(fd));
	return (int)rp_ret(cwd_enter_fh(fh));
}

RP_EXPORT char *getcwd(char *buf, size_t size)
{
	rd_fh dir = cwd_get_fh();

	if (!dir)
		return REAL(getcwd)(buf, size);
	return cwd_getcwd(dir, buf, size);
}

RP_EXPORT char *__getcwd_chk(char *buf, size_t size, size_t buflen)
{
	rd_fh dir = cwd_get_fh();

	if (!dir || size > buflen)
		return REAL(__getcwd_chk)(buf, size, buflen);
	return cwd_getcwd(dir, buf, size);
}

/* glibc returns $PWD when it names the working directory. */
RP_EXPORT char *get_current_dir_name(void)
{
	rd_fh dir = cwd_get_fh();
	char tb[RP_PATH_MAX];
	const char *pwd, *t;
	struct stat a, b;

	if (!dir)
		return REAL(get_current_dir_name)();
	pwd = getenv("PWD");
	t = pwd ? canon_tree(pwd, tb, sizeof tb) : NULL;
	if (t && rd_stat(rp.tree, RD_ROOT, t, &a, 0) == 0 && rd_fstat(rp.tree, dir, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return strdup(pwd);
	return cwd_getcwd(dir, NULL, 0);
}

/* getwd: on failure glibc puts strerror_r's message in buf (the GNU
 * strerror_r, which leaves buf alone for a known error number). */
RP_EXPORT char *getwd(char *buf)
{
	rd_fh dir = cwd_get_fh();
	char tmp[PATH_MAX], *out = buf;

	if (!dir)
		return REAL(getwd)(buf);
	/* <unistd.h> declares buf nonnull; glibc checks it all the same, and
	 * the empty asm keeps the compiler from dropping the check. */
	__asm__("" : "+r"(out));
	if (!out) {
		errno = EINVAL;
		return NULL;
	}
	if (!cwd_getcwd(dir, tmp, sizeof tmp)) {
		char *msg = strerror_r(errno, out, 1024);

		(void)msg;
		return NULL;
	}
	return strcpy(out, tmp);
}

RP_EXPORT char *__getwd_chk(char *buf, size_t buflen)
{
	rd_fh dir = cwd_get_fh();
	char *res;

	if (!dir)
		return REAL(__getwd_chk)(buf, buflen);
	res = cwd_getcwd(dir, buf, buflen);
	if (!res && errno == ERANGE)
		__chk_fail();
	return res;
}

RP_EXPORT char *realpath(const char *path, char *resolved)
{
	int k = canon_ours(path);

	if (k == 0)
		return REAL(realpath)(path, resolved);
	return k < 0 ? NULL : canon_realpath(path, resolved);
}

RP_EXPORT char *canonicalize_file_name(const char *path)
{
	int k = canon_ours(path);

	if (k == 0)
		return REAL(canonicalize_file_name)(path);
	return k < 0 ? NULL : canon_realpath(path, NULL);
}

RP_EXPORT char *__realpath_chk(const char *path, char *resolved, size_t len)
{
	int k = len < PATH_MAX ? 0 : canon_ours(path);

	if (k == 0)
		return REAL(__realpath_chk)(path, resolved, len);
	return k < 0 ? NULL : canon_realpath(path, resolved);
}

/*
 * Running programs stored in the tree. The kernel cannot exec a tree path
 * (it is not on any file system it knows), so every exec entry point that a
 * program calls with one is done here:
 *
 *  - a script ("#!interpreter [arg]") becomes an exec of its interpreter
 *    with the script's own path as argument, exactly the argv the kernel
 *    builds, so $0 and error messages name the tree path; the interpreter,
 *    preloaded too, opens the script through the tree;
 *  - anything else (an ELF binary) is copied into a close-on-exec memfd and
 *    run with fexecve: argv and envp are untouched, and the kernel answers
 *    ENOEXEC for what it cannot run, as it would have;
 *  - the p variants search PATH themselves when a PATH directory is in the
 *    tree (glibc's own search uses an internal execve), with glibc's rules:
 *    empty elements are the working directory, EACCES is remembered,
 *    ENOEXEC runs the file with /bin/sh;
 *  - posix_spawn with a tree path spawns the memfd through /proc/self/fd.
 *
 * Every new image also gets, in the envp it is given (never in this
 * process's environ, which shells own):
 *  - RAMDIR_CWD, the tree working directory's name ("" when it is not in the
 *    tree) with RAMDIR_CWD_PWD, the PWD passed along, so that the new image
 *    starts where this process is even when a program (make) builds its
 *    children's environment itself;
 *  - the ramdir variables and LD_PRELOAD this process started with (read
 *    from environ before main), where envp lacks them, so that `env -i cmd`
 *    or `env -u LD_PRELOAD cmd` still runs on the tree: a child does not
 *    leave the sandbox by dropping variables. A variable envp does have is
 *    left alone: a different RAMDIR_PREFIX or quota asks for a tree of its
 *    own.
 *
 * and RAMDIR_FDS, the open tree descriptors and working directory handed
 * to it (handoff.c). Calls with real paths go to libc untouched (with that
 * envp).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>

#include "rp.h"

#define EXEC_MAX_DEPTH 5   /* interpreters of interpreters: the kernel's limit */
#define EXEC_HDR 256       /* the kernel reads at most this much of a #! line */
#define EXEC_MAX_ARGS 4096 /* execl* argument lists are collected on the stack */

static int exec_path(const char *path, char *const argv[], char *const envp[], int depth);

/* ---- the environment a new image gets ---- */

#define EXEC_ENV_EXTRA 10 /* entries exec_env may add */

/* The names the exec path reads in a fork child, kept with its code in
 * .text.startup: as literals they lay in .rodata at the far end of the
 * library, one more page fault in every child on its way to exec. */
#define EXEC_STR __attribute__((section(".text.startup.exec_names")))
static const char exec_s_arena[] EXEC_STR = "RAMDIR_ARENA";
static const char exec_s_cwd[] EXEC_STR = "RAMDIR_CWD";
static const char exec_s_cwd_pwd[] EXEC_STR = "RAMDIR_CWD_PWD";
static const char exec_s_fds[] EXEC_STR = "RAMDIR_FDS";
static const char exec_s_pwd[] EXEC_STR = "PWD";
static const char exec_s_empty[] EXEC_STR = "";

static const char exec_inherit[][sizeof "RAMDIR_MEMORY_GUARD"] EXEC_STR = {
	"RAMDIR_ARENA", "RAMDIR_PREFIX", "RAMDIR_QUOTA", "RAMDIR_MAX_NODES", "RAMDIR_MEMORY_GUARD",
	"RAMDIR_DEBUG", "LD_PRELOAD",
};

#define EXEC_NINHERIT (sizeof exec_inherit / sizeof exec_inherit[0])
_Static_assert(EXEC_NINHERIT == RP_ENV_PASSED, "exec_inherit[] lists the RP_ENV_* passed on, in order");

/*
 * Is e "name=..."? A loop of our own, not strncmp: this runs in fork
 * children on their way to exec, and a libc function the parent never
 * called is bound (lazy binding) in each child again, a symbol lookup and
 * three page faults in libc's symbol tables, which fork does not carry
 * over. For the same reason the exec path gets the pid with syscall().
 */
RP_START static int exec_named(const char *e, const char *name, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (e[i] != name[i])
			return 0;
	return e[len] == '=';
}
#define EXEC_NAMED(e, name) exec_named((e), (name), sizeof(name) - 1) /* name: an array, not a pointer */

/* strlen and memcpy by hand, for the same reason: libc's string functions
 * are two more pages the child faults in. The empty asm keeps the compiler
 * from turning the loops back into those very calls. */
RP_START static size_t exec_len(const char *s)
{
	size_t n = 0;

	while (s[n]) {
		n++;
		__asm__("" : "+r"(n));
	}
	return n;
}

RP_START static void exec_put(char *d, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		d[i] = s[i];
		__asm__("" : "+r"(i));
	}
}

RP_START static const char *exec_find(char *const envp[], const char *name)
{
	size_t len = exec_len(name);

	for (size_t i = 0; envp && envp[i]; i++)
		if (exec_named(envp[i], name, len))
			return envp[i] + len + 1;
	return NULL;
}

/* The values this image started with (in the order of RP_ENV_*), copied
 * before main can change environ (and read from environ itself: shells
 * replace getenv). Every process on a tree writes them, so they are packed
 * one after another in exec_saved_small (RP_HOT, with their pointers); only
 * values too long for it (very long prefix or LD_PRELOAD lists) go to
 * exec_saved_text, where each may still take up to RP_PATH_MAX. */
static char exec_saved_text[EXEC_NINHERIT * RP_PATH_MAX];
static char exec_saved_small[768] RP_HOT;
static const char *exec_saved[EXEC_NINHERIT] RP_HOT; /* NULL: absent or empty */

/* Called by the constructor (init.c) with the values it found in its one
 * pass over environ: copied before main can change environ. */
RP_START void rp_exec_capture(const char *const env[RP_ENV_N])
{
	size_t used = 0, total = 0;
	char *text;

	for (size_t i = 0; i < EXEC_NINHERIT; i++)
		if (env[i] && *env[i] && strlen(env[i]) < RP_PATH_MAX)
			total += strlen(env[i]) + 1;
	text = total <= sizeof exec_saved_small ? exec_saved_small : exec_saved_text;
	for (size_t i = 0; i < EXEC_NINHERIT; i++) {
		size_t len = env[i] ? strlen(env[i]) : 0;

		if (!len || len >= RP_PATH_MAX)
			continue;
		memcpy(text + used, env[i], len + 1);
		exec_saved[i] = text + used;
		used += len + 1;
	}
}

RP_START static size_t exec_env_count(char *const envp[])
{
	size_t n = 0;

	while (envp && envp[n])
		n++;
	return n + EXEC_ENV_EXTRA + 1;
}

/* Append "name=value" to out (text from *txt), if it fits. By hand: in a
 * fork child about to exec, snprintf's code was three pages the child
 * faults in again (page tables of file mappings are not copied by fork). */
RP_START static void exec_env_put2(char **out, size_t *n, char **txt, char *end, const char *name,
				   const char *value, const char *more)
{
	size_t nl = exec_len(name), vl = exec_len(value), ml = exec_len(more);

	if (nl + vl + ml + 2 > (size_t)(end - *txt))
		return;
	exec_put(*txt, name, nl);
	(*txt)[nl] = '=';
	exec_put(*txt + nl + 1, value, vl);
	exec_put(*txt + nl + 1 + vl, more, ml + 1);
	out[(*n)++] = *txt;
	*txt += nl + vl + ml + 2;
}

RP_START static void exec_env_put(char **out, size_t *n, char **txt, char *end, const char *name,
				  const char *value)
{
	exec_env_put2(out, n, txt, end, name, value, exec_s_empty);
}

/*
 * Room exec_env needs for the text it adds to envp: the saved values,
 * RAMDIR_ARENA, RAMDIR_CWD (a path only while the working directory is in
 * the tree) and the PWD. Sized to need rather than a fixed 40 KiB, so that
 * the exec wrapper's frame and those below it stay on a page or two of
 * stack: in a fork child each stack page first written is a page fault
 * (about 2.4 us), and the 40 KiB (with 16 KiB for RAMDIR_FDS) put its
 * frames five pages apart.
 */
RP_START static size_t exec_env_text(char *const envp[], const struct rp_spawn *sim)
{
	const char *pwd;
	rd_fh cwd;
	size_t size;

	if (!rp.tree) /* inert: envp goes as it is (exec_env), and there is no prefix list */
		return 1;
	pwd = exec_find(envp, exec_s_pwd);
	cwd = sim && sim->cwd_set ? sim->cwd : rp_cwd_fh();
	size = sizeof "RAMDIR_ARENA=" + exec_len(rp.arena_head) + exec_len(rp_pfx.list) + sizeof "RAMDIR_CWD=" +
	       (cwd ? RP_PATH_MAX : 0) + sizeof "RAMDIR_CWD_PWD=" + (pwd ? exec_len(pwd) : 0) + 16;
	for (size_t i = 1; i < EXEC_NINHERIT; i++)
		if (exec_saved[i])
			size += exec_len(exec_inherit[i]) + exec_len(exec_saved[i]) + 2;
	return size;
}

/* Fill out (exec_env_count(envp) entries) and text (size bytes, at least
 * exec_env_text(envp, sim)) with envp as the new image must get it. sim: a
 * spawn's simulated file actions, whose chdir actions decide the child's
 * working directory; NULL for an exec (this process's). */
RP_START static char **exec_env(char *const envp[], char **out, char *text, size_t size, const char *fds,
				const struct rp_spawn *sim)
{
	char *txt = text, *end = text + size;
	const char *pwd = exec_find(envp, exec_s_pwd);
	size_t n = 0;
	int k;

	if (!rp.tree)
		return (char **)envp;
	for (size_t i = 0; envp && envp[i]; i++)
		if (!EXEC_NAMED(envp[i], exec_s_cwd) && !EXEC_NAMED(envp[i], exec_s_cwd_pwd) &&
		    !EXEC_NAMED(envp[i], exec_s_fds) && !EXEC_NAMED(envp[i], exec_s_arena))
			out[n++] = envp[i];
	if (fds) /* written last into text: it may be long */
		out[n++] = (char *)fds;
	/* RAMDIR_ARENA is always this process's tree: a shell passes on the
	 * environment it was started with (main's envp, not environ), which
	 * names the parent's tree when this process made one of its own. */
	exec_env_put2(out, &n, &txt, end, exec_s_arena, rp.arena_head, rp_pfx.list);
	for (size_t i = 1; i < EXEC_NINHERIT; i++)
		if (exec_saved[i] && !exec_find(envp, exec_inherit[i]))
			exec_env_put(out, &n, &txt, end, exec_inherit[i], exec_saved[i]);
	/* the name goes straight into text, after "RAMDIR_CWD=" */
	if ((size_t)(end - txt) > sizeof "RAMDIR_CWD=") {
		char *name = txt + sizeof "RAMDIR_CWD=" - 1;
		size_t room = (size_t)(end - txt) - (sizeof "RAMDIR_CWD=" - 1);

		k = sim && sim->cwd_set ? rp_cwd_name_of(sim->cwd, name, room) : rp_cwd_name(name, room);
		if (k >= 0) {
			memcpy(txt, "RAMDIR_CWD=", sizeof "RAMDIR_CWD=" - 1);
			if (!k)
				txt[sizeof "RAMDIR_CWD=" - 1] = 0;
			out[n++] = txt;
			txt += exec_len(txt) + 1;
			exec_env_put(out, &n, &txt, end, exec_s_cwd_pwd, pwd ? pwd : exec_s_empty);
		}
	}
	out[n] = NULL;
	return out;
}

/* "RAMDIR_FDS=" and the handoff of this process's descriptors to the
 * image that replaces it (handoff.c), or NULL. */
RP_START static const char *exec_fds(char *buf, size_t size)
{
	struct rp_vf *vf;

	if (size <= 11 || !rp.tree)
		return NULL;
	memcpy(buf, "RAMDIR_FDS=", 11);
	vf = rp_vf_child();
	if (unlikely(vf != NULL)) /* references given: exec_back returns them */
		return rp_handoff_vfork(vf, buf + 11, size - 11) ? buf : NULL;
	return rp_handoff_exec(buf + 11, size - 11) ? buf : NULL;
}

/* After a failed exec (rc, -errno): a vfork child gives back the
 * references exec_fds gave the image that did not start. */
RP_START static int exec_back(int rc)
{
	struct rp_vf *vf = rp_vf_child();

	if (unlikely(vf != NULL))
		rp_vf_exec_failed(vf);
	return rc;
}

#define EXEC_FDS_TEXT 16384 /* about 700 descriptors */

/* Room for RAMDIR_FDS: none while no tree descriptor was ever made and the
 * working directory is outside the tree (the common case; see exec_env_text). */
RP_START static size_t exec_fds_size(void)
{
	return rp.tree && (rp_fd_high() >= 0 || rp_cwd_fh()) ? EXEC_FDS_TEXT : 1;
}

/* Declares `var`, the envp for an exec replacing this image, built from
 * envp, on the stack. */
#define EXEC_ENV(var, envp)                                                                      \
	char *var##_tab[exec_env_count(envp)], var##_text[exec_env_text(envp, NULL)];            \
	char var##_fds[exec_fds_size()];                                                         \
	char **var = exec_env(envp, var##_tab, var##_text, sizeof var##_text,                    \
			      exec_fds(var##_fds, sizeof var##_fds), NULL)

/* The same for a spawned child, whose handoff text is fds (or NULL) and
 * whose file actions were simulated in sim. */
#define EXEC_ENV_SPAWN(var, envp, fds, sim)                                                      \
	char *var##_tab[exec_env_count(envp)], var##_text[exec_env_text(envp, sim)];             \
	char **var = exec_env(envp, var##_tab, var##_text, sizeof var##_text, fds, sim)

/* Is path (as exec would resolve it) in the tree? Fills *at. */
RP_START static int exec_ours(const char *path, struct rp_at *at)
{
	return path && rp.tree ? rp_path(AT_FDCWD, path, at) : 0;
}

/* Open a tree program for exec: a regular file with execute permission.
 * The errors are the kernel's: EACCES for a directory or no x bit. */
static int exec_open(struct rp_at *at, rd_fh *fh)
{
	struct stat st;
	int rc;

	for (;;) {
		rc = rd_stat(rp.tree, at->base, at->path, &st, 0);
		if (rc != -RD_EESCAPE)
			break;
		rc = rp_escape(at);
		if (rc <= 0)
			return rc < 0 ? rc : -RD_EESCAPE;
	}
	if (rc < 0)
		return rc;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	rc = rd_access(rp.tree, at->base, at->path, X_OK, AT_EACCESS);
	if (rc < 0)
		return rc;
	return rd_open(rp.tree, at->base, at->path, O_RDONLY, 0, fh);
}

/* "#!interp [arg]": the kernel's split (interpreter up to the first blank,
 * the rest of the line trimmed as one argument). 1 if it is a script. */
static int exec_shebang(char *hdr, size_t n, char **interp, char **arg)
{
	char *p, *end;

	if (n < 2 || hdr[0] != '#' || hdr[1] != '!')
		return 0;
	end = memchr(hdr, '\n', n);
	if (!end)
		end = hdr + n;
	*end = 0;
	for (p = hdr + 2; *p == ' ' || *p == '\t'; p++)
		;
	*interp = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p)
		*p++ = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	for (end = p + strlen(p); end > p && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	*end = 0;
	*arg = *p ? p : NULL;
	return 1;
}

/* A memfd holding the program's bytes, or -errno. */
static int exec_copy(rd_fh fh)
{
	char buf[65536];
	off_t off = 0;
	int fd = memfd_create("ramdir-exec", MFD_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = rd_pread(rp.tree, fh, buf, sizeof buf, off);

		if (n == 0)
			return fd;
		if (n < 0) {
			REAL(close)(fd);
			return (int)n;
		}
		for (ssize_t done = 0; done < n;) {
			ssize_t w = REAL(pwrite)(fd, buf + done, (size_t)(n - done), off + done);

			if (w < 0) {
				err = errno;
				REAL(close)(fd);
				return -err;
			}
			done += w;
		}
		off += n;
	}
}

static int exec_script(const char *path, char *interp, char *arg, char *const argv[], char *const envp[],
		       int depth)
{
	size_t argc = 0, k = 0;

	while (argv && argv[argc])
		argc++;
	{
		char *nargv[argc + 3];

		nargv[k++] = interp;
		if (arg)
			nargv[k++] = arg;
		nargv[k++] = (char *)path;
		for (size_t i = 1; i < argc; i++)
			nargv[k++] = argv[i];
		nargv[k] = NULL;
		return exec_path(interp, nargv, envp, depth + 1);
	}
}

/*
 * Prepare the exec of tree program `at` (user path `path`): for a script,
 * exec its interpreter (returns only on failure); for a binary, return a
 * memfd holding it (>= 0) for the caller to run.
 */
static int exec_prepare(const char *path, struct rp_at *at, char *const argv[], char *const envp[], int depth)
{
	char hdr[EXEC_HDR + 1], *interp, *arg;
	ssize_t n;
	rd_fh fh;
	int rc = exec_open(at, &fh);

	if (rc < 0)
		return rc;
	n = rd_pread(rp.tree, fh, hdr, EXEC_HDR, 0);
	if (n >= 0 && exec_shebang(hdr, (size_t)n, &interp, &arg)) {
		rd_close(rp.tree, fh);
		if (!*interp)
			return -ENOEXEC;
		rc = exec_script(path, interp, arg, argv, envp, depth);
		return rc < 0 ? rc : -errno;
	}
	rc = n < 0 ? (int)n : exec_copy(fh);
	rd_close(rp.tree, fh);
	return rc;
}

/* execve of a path rp_path may place in the tree. Its struct rp_at (a path
 * buffer of 4 KiB) has a frame of its own: on exec_path's, the call into
 * the kernel went a page deeper into the stack, a page fault in every fork
 * child on its way to exec a real program. */
static __attribute__((noinline)) int exec_path_at(const char *path, char *const argv[], char *const envp[],
						   int depth)
{
	struct rp_at at;
	int k, fd, err;

	k = exec_ours(path, &at);
	if (k < 0)
		return k;
	if (k == 0) {
		REAL(execve)(path, argv, envp);
		return -errno;
	}
	fd = exec_prepare(path, &at, argv, envp, depth);
	if (fd == -RD_EESCAPE) { /* a symlink led out of the tree */
		REAL(execve)(at.path, argv, envp);
		return -errno;
	}
	if (fd < 0)
		return fd;
	REAL(fexecve)(fd, argv, envp);
	err = errno;
	REAL(close)(fd);
	return -err;
}

/* execve of any path, tree or real. Returns -errno (it only returns on
 * failure). An absolute path no prefix can match goes to the kernel here. */
RP_START static int exec_path(const char *path, char *const argv[], char *const envp[], int depth)
{
	if (depth > EXEC_MAX_DEPTH)
		return -ELOOP;
	if (!rp.tree || !path || (path[0] == '/' && !rp_prefix_may(path))) {
		REAL(execve)(path, argv, envp);
		return -errno;
	}
	return exec_path_at(path, argv, envp, depth);
}

/* ---- PATH search (execvp, execvpe, execlp) ---- */

/* Does any element of the search path name a directory in the tree? */
static int exec_path_in_tree(const char *search)
{
	const char *p = search;
	struct rp_at at;
	char dir[RP_PATH_MAX];

	while (*p) {
		size_t len = strcspn(p, ":");

		if (len == 0 || len >= sizeof dir) {
			memcpy(dir, ".", 2);
		} else {
			memcpy(dir, p, len);
			dir[len] = 0;
		}
		if (rp_path(AT_FDCWD, dir, &at) > 0)
			return 1;
		p += len;
		if (*p == ':')
			p++;
	}
	return 0;
}

/* glibc's fallback for a file the kernel cannot run: /bin/sh file args. */
static int exec_as_script(const char *path, char *const argv[], char *const envp[])
{
	size_t argc = 0;

	while (argv[argc])
		argc++;
	{
		char *nargv[argc + 2];

		nargv[0] = (char *)"/bin/sh";
		nargv[1] = (char *)path;
		for (size_t i = 1; i <= argc; i++)
			nargv[i + 1] = argv[i];
		return exec_path("/bin/sh", nargv, envp, 0);
	}
}

static int exec_search(const char *file, char *const argv[], char *const envp[])
{
	const char *search = getenv("PATH"), *p;
	size_t flen = strlen(file);
	int eacces = 0, rc;

	if (!*file)
		return -ENOENT;
	if (strchr(file, '/')) {
		rc = exec_path(file, argv, envp, 0);
		return rc == -ENOEXEC ? exec_as_script(file, argv, envp) : rc;
	}
	if (!search)
		search = "/bin:/usr/bin";
	if (!exec_path_in_tree(search)) {
		REAL(execvpe)(file, argv, envp);
		return -errno;
	}
	if (flen > NAME_MAX)
		return -ENAMETOOLONG;
	for (p = search;;) {
		size_t len = strcspn(p, ":");
		char full[RP_PATH_MAX + NAME_MAX + 2];

		if (len + flen + 2 <= sizeof full) {
			size_t n = 0;

			if (len) {
				memcpy(full, p, len);
				n = len;
				full[n++] = '/';
			}
			memcpy(full + n, file, flen + 1);
			rc = exec_path(full, argv, envp, 0);
			if (rc == -ENOEXEC)
				rc = exec_as_script(full, argv, envp);
			switch (-rc) {
			case EACCES:
				eacces = 1;
				/* fall through */
			case ENOENT:
			case ENOTDIR:
			case ESTALE:
			case ENODEV:
			case ETIMEDOUT:
				break;
			default:
				return rc;
			}
		}
		p += len;
		if (*p != ':')
			break;
		p++;
	}
	return eacces ? -EACCES : -ENOENT;
}

/* ---- the exec family ---- */

RP_START RP_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	EXEC_ENV(env, envp);

	return (int)rp_ret(exec_back(exec_path(path, argv, env, 0)));
}

RP_START RP_EXPORT int execv(const char *path, char *const argv[])
{
	EXEC_ENV(env, environ);

	return (int)rp_ret(exec_back(exec_path(path, argv, env, 0)));
}

RP_START RP_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	EXEC_ENV(env, envp);

	return (int)rp_ret(exec_back(exec_search(file, argv, env)));
}

RP_START RP_EXPORT int execvp(const char *file, char *const argv[])
{
	EXEC_ENV(env, environ);

	return (int)rp_ret(exec_back(exec_search(file, argv, env)));
}

RP_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	rd_fh fh = rp_fd_get(fd);
	int mfd, err;
	EXEC_ENV(env, envp);

	if (!fh) {
		REAL(fexecve)(fd, argv, env);
		return (int)rp_ret(exec_back(-errno));
	}
	/* The descriptor's program, copied: a script run this way is not
	 * supported by the kernel either once its descriptor is close-on-exec. */
	mfd = exec_copy(fh);
	if (mfd < 0)
		return (int)rp_ret(exec_back(mfd));
	REAL(fexecve)(mfd, argv, env);
	err = errno;
	REAL(close)(mfd);
	return (int)rp_ret(exec_back(-err));
}

/* execl, execle, execlp: the list becomes an array on the stack. */
#define EXEC_COLLECT(first, ap, argv, envp_out, with_env)                      \
	do {                                                                   \
		size_t n_ = 1;                                                 \
		argv[0] = (char *)(first);                                     \
		while (n_ < EXEC_MAX_ARGS && (argv[n_] = va_arg(ap, char *)))  \
			n_++;                                                  \
		if (n_ == EXEC_MAX_ARGS) {                                     \
			va_end(ap);                                            \
			errno = E2BIG;                                         \
			return -1;                                             \
		}                                                              \
		if (with_env)                                                  \
			envp_out = va_arg(ap, char **);                        \
		va_end(ap);                                                    \
	} while (0)

RP_EXPORT int execl(const char *path, const char *arg, ...)
{
	char *argv[EXEC_MAX_ARGS], **envp = environ;
	va_list ap;

	va_start(ap, arg);
	EXEC_COLLECT(arg, ap, argv, envp, 0);
	{
		EXEC_ENV(env, envp);

		return (int)rp_ret(exec_back(exec_path(path, argv, env, 0)));
	}
}

RP_EXPORT int execle(const char *path, const char *arg, ...)
{
	char *argv[EXEC_MAX_ARGS], **envp = NULL;
	va_list ap;

	va_start(ap, arg);
	EXEC_COLLECT(arg, ap, argv, envp, 1);
	{
		EXEC_ENV(env, envp);

		return (int)rp_ret(exec_back(exec_path(path, argv, env, 0)));
	}
}

RP_EXPORT int execlp(const char *file, const char *arg, ...)
{
	char *argv[EXEC_MAX_ARGS], **envp = environ;
	va_list ap;

	va_start(ap, arg);
	EXEC_COLLECT(arg, ap, argv, envp, 0);
	{
		EXEC_ENV(env, envp);

		return (int)rp_ret(exec_back(exec_search(file, argv, env)));
	}
}

/* ---- posix_spawn ---- */

/*
 * A tree program is spawned as /proc/self/fd/N of a close-on-exec memfd
 * holding it: the kernel opens that path in the child before it closes the
 * descriptor. A script is spawned as its interpreter, with the argv the
 * kernel would have built.
 */
static int spawn_tree(pid_t *pid, const char *path, struct rp_at *at, const posix_spawn_file_actions_t *fa,
		      const posix_spawnattr_t *attr, char *const argv[], char *const envp[], int depth)
{
	char hdr[EXEC_HDR + 1], *interp, *arg, proc[64];
	ssize_t n;
	rd_fh fh;
	int rc = exec_open(at, &fh), fd;

	if (rc == -RD_EESCAPE)
		return REAL(posix_spawn)(pid, at->path, fa, attr, argv, envp);
	if (rc < 0)
		return -rc;
	if (depth > EXEC_MAX_DEPTH) {
		rd_close(rp.tree, fh);
		return ELOOP;
	}
	n = rd_pread(rp.tree, fh, hdr, EXEC_HDR, 0);
	if (n >= 0 && exec_shebang(hdr, (size_t)n, &interp, &arg)) {
		size_t argc = 0, k = 0;
		struct rp_at iat;
		int ki;

		rd_close(rp.tree, fh);
		while (argv && argv[argc])
			argc++;
		{
			char *nargv[argc + 3];

			nargv[k++] = interp;
			if (arg)
				nargv[k++] = arg;
			nargv[k++] = (char *)path;
			for (size_t i = 1; i < argc; i++)
				nargv[k++] = argv[i];
			nargv[k] = NULL;
			ki = exec_ours(interp, &iat);
			if (ki < 0)
				return -ki;
			if (ki == 0)
				return REAL(posix_spawn)(pid, interp, fa, attr, nargv, envp);
			return spawn_tree(pid, interp, &iat, fa, attr, nargv, envp, depth + 1);
		}
	}
	fd = n < 0 ? (int)n : exec_copy(fh);
	rd_close(rp.tree, fh);
	if (fd < 0)
		return -fd;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	rc = REAL(posix_spawn)(pid, proc, fa, attr, argv, envp);
	REAL(close)(fd);
	return rc;
}

/* A relative path is the kernel's to resolve in the child, after the file
 * actions: against the tree directory a chdir action made current, or a
 * real one it changed to. */
static int spawn_path(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		      const posix_spawnattr_t *attr, char *const argv[], char *const envp[],
		      const struct rp_spawn *sim)
{
	struct rp_at at;
	int k;

	if (sim && sim->cwd_set && path[0] != '/') {
		if (!sim->cwd)
			return REAL(posix_spawn)(pid, path, fa, attr, argv, envp);
		rp_at_base(&at, sim->cwd, path);
		k = 1;
	} else {
		k = exec_ours(path, &at);
	}

	if (k < 0)
		return -k;
	if (k == 0)
		return REAL(posix_spawn)(pid, path, fa, attr, argv, envp);
	return spawn_tree(pid, path, &at, fa, attr, argv, envp, 0);
}

/* Is path an executable regular file (tree or real)? */
static int spawn_candidate(const char *path)
{
	struct rp_at at;
	struct stat st;
	rd_fh fh;
	int k = exec_ours(path, &at), rc;

	if (k < 0)
		return 0;
	if (k > 0) {
		rc = exec_open(&at, &fh);
		if (rc == 0)
			rd_close(rp.tree, fh);
		if (rc != -RD_EESCAPE)
			return rc == 0;
		path = at.path; /* a symlink out of the tree: the real file decides */
	}
	return REAL(stat)(path, &st) == 0 && S_ISREG(st.st_mode) && REAL(access)(path, X_OK) == 0;
}

/*
 * The child's descriptor table after the file actions, with references
 * taken for it, in "RAMDIR_FDS=..." (spawn->text); the file actions to
 * give glibc in *fa. Returns 0 or an error number for posix_spawn.
 */
struct spawn_ctx {
	struct rp_spawn sim;
	char text[EXEC_FDS_TEXT];
};

static int spawn_begin(struct spawn_ctx *c, const posix_spawn_file_actions_t **fa, const char **fds)
{
	int rc;

	*fds = NULL;
	if (!rp.tree)
		return 0;
	rc = rp_spawn_prepare(&c->sim, *fa, fa);
	if (rc < 0) {
		rp_spawn_done(&c->sim, 0);
		return -rc;
	}
	memcpy(c->text, "RAMDIR_FDS=", 11);
	if (rp_handoff_spawn(&c->sim, c->text + 11, sizeof c->text - 11))
		*fds = c->text;
	return 0;
}

static int spawn_end(struct spawn_ctx *c, int rc)
{
	if (rp.tree)
		rp_spawn_done(&c->sim, rc == 0);
	return rc;
}

static int spawn_search(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[], char *const envp[],
			const struct rp_spawn *sim);

RP_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			  const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	struct spawn_ctx c;
	const char *fds;
	int rc = spawn_begin(&c, &fa, &fds);

	if (rc)
		return rc;
	{
		EXEC_ENV_SPAWN(env, envp, fds, rp.tree ? &c.sim : NULL);

		return spawn_end(&c, spawn_path(pid, path, fa, attr, argv, env, rp.tree ? &c.sim : NULL));
	}
}

RP_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[], char *const envp_in[])
{
	struct spawn_ctx c;
	const char *fds;
	int rc = spawn_begin(&c, &fa, &fds);

	if (rc)
		return rc;
	{
		EXEC_ENV_SPAWN(envp, envp_in, fds, rp.tree ? &c.sim : NULL);

		return spawn_end(&c, spawn_search(pid, file, fa, attr, argv, envp, rp.tree ? &c.sim : NULL));
	}
}

static int spawn_search(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			const posix_spawnattr_t *attr, char *const argv[], char *const envp[],
			const struct rp_spawn *sim)
{
	const char *search = getenv("PATH"), *p;
	size_t flen;

	if (strchr(file, '/'))
		return spawn_path(pid, file, fa, attr, argv, envp, sim);
	if (!search)
		search = "/bin:/usr/bin";
	if (!rp.tree || !exec_path_in_tree(search))
		return REAL(posix_spawnp)(pid, file, fa, attr, argv, envp);
	/* The first PATH entry that has the file decides, as in glibc. */
	flen = strlen(file);
	for (p = search;;) {
		size_t len = strcspn(p, ":");
		char full[RP_PATH_MAX + NAME_MAX + 2];

		if (len + flen + 2 <= sizeof full) {
			size_t n = 0;

			if (len) {
				memcpy(full, p, len);
				n = len;
				full[n++] = '/';
			}
			memcpy(full + n, file, flen + 1);
			if (spawn_candidate(full))
				return spawn_path(pid, full, fa, attr, argv, envp, NULL);
		}
		p += len;
		if (*p != ':')
			break;
		p++;
	}
	return ENOENT;
}

/* ---- system, popen ---- */

/*
 * glibc's system and popen spawn /bin/sh with internal calls and the
 * process's environ, so neither the exec wrappers nor the spawn ones see
 * them. For the duration of the call, environ gets what the exec wrappers
 * would have put in envp: the handoff of this process's descriptors to a
 * spawned child ("s" kind: only the shell, whose parent we are, accepts
 * it; popen's own dup2 onto 0 or 1 is caught by the shell's identity check)
 * and the working directory. The shell and its children then see the tree
 * as this process does. environ is changed under a lock of ours only;
 * a thread reading the environment at that moment sees these variables.
 */
static pthread_mutex_t shell_lock = PTHREAD_MUTEX_INITIALIZER;

struct shell_env {
	struct rp_spawn sim;
	char fds[EXEC_FDS_TEXT];
	char *saved[3];
};

static const char *const shell_vars[3] = {"RAMDIR_FDS", "RAMDIR_CWD", "RAMDIR_CWD_PWD"};

static void shell_env_set(struct shell_env *e)
{
	char name[RP_PATH_MAX];
	const char *posix = NULL, *pwd = getenv("PWD");
	int k;

	pthread_mutex_lock(&shell_lock);
	for (int i = 0; i < 3; i++) {
		const char *v = getenv(shell_vars[i]);

		e->saved[i] = v ? strdup(v) : NULL;
	}
	if (rp_spawn_prepare(&e->sim, NULL, (const posix_spawn_file_actions_t **)&posix) == 0 &&
	    rp_handoff_spawn(&e->sim, e->fds, sizeof e->fds))
		setenv("RAMDIR_FDS", e->fds, 1);
	k = rp_cwd_name(name, sizeof name);
	if (k >= 0) {
		setenv("RAMDIR_CWD", k ? name : "", 1);
		setenv("RAMDIR_CWD_PWD", pwd ? pwd : "", 1);
	}
}

/* After the call: environ as it was; the references handed over stay
 * with the child only if one was started. */
static void shell_env_restore(struct shell_env *e, int started)
{
	for (int i = 0; i < 3; i++) {
		if (e->saved[i])
			setenv(shell_vars[i], e->saved[i], 1);
		else
			unsetenv(shell_vars[i]);
		free(e->saved[i]);
	}
	rp_spawn_done(&e->sim, started);
	pthread_mutex_unlock(&shell_lock);
}

RP_EXPORT int system(const char *cmd)
{
	struct shell_env e;
	int rc, err;

	if (!rp.tree || !cmd)
		return REAL(system)(cmd);
	shell_env_set(&e);
	rc = REAL(system)(cmd);
	err = errno;
	/* -1: no child; 127 from a shell that could not start is not told
	 * apart from a command not found, and leaks the references. */
	shell_env_restore(&e, rc != -1);
	errno = err;
	return rc;
}

RP_EXPORT FILE *popen(const char *cmd, const char *mode)
{
	struct shell_env e;
	FILE *fp;
	int err;

	if (!rp.tree)
		return REAL(popen)(cmd, mode);
	shell_env_set(&e);
	fp = REAL(popen)(cmd, mode);
	err = errno;
	shell_env_restore(&e, fp != NULL);
	errno = err;
	return fp;
}

/*
 * Start-up: read the RAMDIR_* environment, then create the tree or join
 * the one the parent process passed down. Invalid configuration stops the
 * program at once with one line naming the variable (exit status 125, as
 * the launcher's own errors), because running with a half-understood
 * setting could write to the real disk.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "rp.h"

struct rp_state rp RP_HOT = {.placeholder = -1, .arena_fd = -1};

/* Environment variable a tree's creator sets for its descendants:
 * "<fd>:<quota>:<max_nodes>:<prefixes>" (the whole normalised list). A
 * child with the same settings joins that tree; different settings (a
 * different list included) get a tree of their own. */
#define RP_ARENA_ENV "RAMDIR_ARENA"

void rp_debug_line(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	n = snprintf(line, sizeof line, "ramdir[%d]: ", (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	syscall(SYS_write, 2, line, (size_t)n);
}

static __attribute__((noreturn, format(printf, 1, 2))) void init_die(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n = snprintf(line, sizeof line, "ramdir: ");

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	syscall(SYS_write, 2, line, (size_t)n);
	_exit(125);
}

/* RAMDIR_PREFIX: one prefix or a ':'-separated list (prefix.c). */
static void init_prefix(const char *val)
{
	char why[512];

	if (rp_prefix_parse(val, why, sizeof why) < 0)
		init_die("%s", why);
}

/*
 * One pass over environ for every variable the constructor needs: a getenv
 * for each was ten passes with a strncmp per entry. A name is compared only
 * once the entry's name has its length (so nothing is read past the entry),
 * as three overlapping 8-byte words: the words of a literal fold into
 * immediates, so nothing is read from .rodata either, one page of
 * constants less to fault in for every process (memcmp left some of them
 * to a call into libc, with the literal in .rodata).
 */
static inline __attribute__((always_inline)) int init_env_eq(const char *e, const char *lit, size_t n)
{
	uint64_t a, b, c, x, y, z;

	if (n >= 4 && n < 8) { /* "none", "init": two overlapping 4-byte words */
		uint32_t a4, b4, x4, y4;

		memcpy(&a4, e, 4);
		memcpy(&x4, lit, 4);
		memcpy(&b4, e + n - 4, 4);
		memcpy(&y4, lit + n - 4, 4);
		return !((a4 ^ x4) | (b4 ^ y4));
	}
	if (n < 4) { /* PWD: unrolled, the literal's bytes folded */
		for (size_t i = 0; i < n; i++)
			if (e[i] != lit[i])
				return 0;
		return 1;
	}
	memcpy(&a, e, 8);
	memcpy(&x, lit, 8);
	memcpy(&b, e + n / 2 - 4, 8);
	memcpy(&y, lit + n / 2 - 4, 8);
	memcpy(&c, e + n - 8, 8);
	memcpy(&z, lit + n - 8, 8);
	return !((a ^ x) | (b ^ y) | (c ^ z));
}
/* For names of up to 24 bytes. */
#define INIT_ENV_IS(e, n, lit) ((n) == sizeof lit - 1 && init_env_eq((e), lit, sizeof lit - 1))

static void init_env(const char *env[RP_ENV_N])
{
	for (char **ep = environ; ep && *ep; ep++) {
		const char *e = *ep, *eq = e;
		size_t n;
		int k;

		if (e[0] != 'R' && e[0] != 'L' && e[0] != 'P')
			continue;
		while (*eq && *eq != '=')
			eq++;
		if (!*eq)
			continue;
		n = (size_t)(eq - e);
		if (INIT_ENV_IS(e, n, "RAMDIR_PREFIX"))
			k = RP_ENV_PREFIX;
		else if (INIT_ENV_IS(e, n, "RAMDIR_ARENA"))
			k = RP_ENV_ARENA;
		else if (INIT_ENV_IS(e, n, "RAMDIR_QUOTA"))
			k = RP_ENV_QUOTA;
		else if (INIT_ENV_IS(e, n, "RAMDIR_MAX_NODES"))
			k = RP_ENV_MAX_NODES;
		else if (INIT_ENV_IS(e, n, "RAMDIR_MEMORY_GUARD"))
			k = RP_ENV_GUARD;
		else if (INIT_ENV_IS(e, n, "RAMDIR_DEBUG"))
			k = RP_ENV_DEBUG;
		else if (INIT_ENV_IS(e, n, "LD_PRELOAD"))
			k = RP_ENV_PRELOAD;
		else if (INIT_ENV_IS(e, n, "RAMDIR_FDS"))
			k = RP_ENV_FDS;
		else if (INIT_ENV_IS(e, n, "RAMDIR_CWD"))
			k = RP_ENV_CWD;
		else if (INIT_ENV_IS(e, n, "RAMDIR_CWD_PWD"))
			k = RP_ENV_CWD_PWD;
		else if (INIT_ENV_IS(e, n, "PWD"))
			k = RP_ENV_PWD;
		else
			continue;
		if (!env[k])
			env[k] = eq + 1;
	}
}

static void init_config(struct rd_config *cfg, const char *const env[RP_ENV_N])
{
	const char *v;

	rd_config_default(cfg);
	cfg->shared = 1;
	cfg->roots = rp_pfx.n > 1 ? (unsigned)rp_pfx.n : 0; /* one mount root per prefix */
	v = env[RP_ENV_QUOTA];
	if (v && *v && rd_parse_size(v, &cfg->quota) < 0)
		init_die("RAMDIR_QUOTA='%s' is not a size (use bytes or K/M/G/T, e.g. 256M)", v);
	v = env[RP_ENV_MAX_NODES];
	if (v && *v) {
		char *end;
		unsigned long long n = strtoull(v, &end, 10);

		if (*end || v[0] == '-' || n == 0)
			init_die("RAMDIR_MAX_NODES='%s' is not a positive whole number", v);
		cfg->max_nodes = n;
	}
	v = env[RP_ENV_GUARD];
	if (v && *v) {
		size_t n = strlen(v); /* compared as the names are: no .rodata */

		if (INIT_ENV_IS(v, n, "none"))
			cfg->guard = RD_GUARD_NONE;
		else if (INIT_ENV_IS(v, n, "init"))
			cfg->guard = RD_GUARD_INIT;
		else if (INIT_ENV_IS(v, n, "per-write"))
			cfg->guard = RD_GUARD_PER_WRITE;
		else
			init_die("RAMDIR_MEMORY_GUARD='%s' is not one of none, init, per-write", v);
	}
	v = env[RP_ENV_DEBUG];
	if (v && *v) {
		rp.debug = strstr(v, "all") ? ~0u : 0;
		rp.debug |= strstr(v, "calls") ? RP_DBG_CALLS : 0;
		rp.debug |= strstr(v, "path") ? RP_DBG_PATH : 0;
		rp.debug |= strstr(v, "fd") ? RP_DBG_FD : 0;
		rp.debug |= strstr(v, "init") ? RP_DBG_INIT : 0;
	}
}

/* A copy of fd at `want` or above, out of the low numbers programs expect
 * free; under a lower RLIMIT_NOFILE (ulimit -n 256, Python's tests of
 * close_fds) as high as the limit allows, rather than failing. */
static int init_dup_high(int fd, int want, int cmd)
{
	struct rlimit rl;
	int nfd = REAL(fcntl)(fd, cmd, want);

	if (nfd >= 0 || errno != EINVAL || getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return nfd;
	for (long base = (long)rl.rlim_cur * 3 / 4; base >= 0; base = base ? base / 2 : -1) {
		nfd = REAL(fcntl)(fd, cmd, (int)base);
		if (nfd >= 0 || errno != EINVAL)
			return nfd;
	}
	return -1;
}

/* A decimal number ending in ':' at *p (moved past both); -1 if none.
 * By hand, not sscanf: every process on a tree parses RAMDIR_ARENA, and
 * sscanf's code and tables are five pages /bin/true never touches
 * (five page faults, about 15 us, measured). */
static int init_num(const char **p, unsigned long long *out)
{
	const char *s = *p;
	unsigned long long v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (~0ull - 9) / 10)
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (*s != ':')
		return -1;
	*out = v;
	*p = s + 1;
	return 0;
}

/* Decimal digits of v at p; returns the end. */
static char *init_put_num(char *p, unsigned long long v)
{
	char tmp[24];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* rp.arena_head: "<fd>:<quota>:<max nodes>:", RAMDIR_ARENA's value up to
 * the prefix list. By hand, like the parse: snprintf's pages again. */
static void init_arena_head(int fd, unsigned long long quota, unsigned long long nodes)
{
	char *p = rp.arena_head; /* 3 numbers of at most 20 digits and 3 colons: fits */

	p = init_put_num(p, (unsigned long long)fd);
	*p++ = ':';
	p = init_put_num(p, quota);
	*p++ = ':';
	p = init_put_num(p, nodes);
	*p++ = ':';
	/* p made opaque: GCC merged ':' and the NUL into one 2-byte store of
	 * a constant it kept in .rodata, a page fault in every process. */
	__asm__("" : "+r"(p));
	*p = 0;
}

/* Join the parent's tree if it was made with the same settings. */
static int init_join(const struct rd_config *cfg, const char *v)
{
	const char *p = v;
	unsigned long long ufd, q, nodes;
	int fd;

	if (!v || init_num(&p, &ufd) < 0 || ufd > 0x7fffffff || init_num(&p, &q) < 0 ||
	    init_num(&p, &nodes) < 0)
		return 0;
	fd = (int)ufd;
	if (q != cfg->quota || nodes != cfg->max_nodes || strcmp(p, rp_pfx.list))
		return 0;
	if (rd_tree_attach(fd, &rp.tree) < 0) {
		rp_debug(RP_DBG_INIT, "inherited arena fd %d unusable; starting a new tree", fd);
		return 0;
	}
	if (rd_tree_roots(rp.tree) != (rp_pfx.n > 1 ? rp_pfx.n : 1)) {
		rp_debug(RP_DBG_INIT, "inherited arena fd %d has other mount roots; starting a new tree", fd);
		rd_tree_close(rp.tree);
		rp.tree = NULL;
		return 0;
	}
	rp.arena_fd = fd;
	init_arena_head(fd, q, nodes);
	rp_debug(RP_DBG_INIT, "joined tree on fd %d", fd);
	return 1;
}

static void init_create(const struct rd_config *cfg)
{
	char val[RP_PATH_MAX + 64];
	size_t head;
	int rc = rd_tree_create(cfg, &rp.tree), fd;

	if (rc == -ENOMEM && cfg->guard != RD_GUARD_NONE)
		init_die("%s", rd_guard_message());
	if (rc < 0)
		init_die("cannot create the memory tree: %s", strerror(-rc));
	/* Children find the arena on an inheritable descriptor kept high,
	 * out of the way of programs that expect low numbers free. */
	fd = init_dup_high(rd_tree_fd(rp.tree), 900, F_DUPFD);
	if (fd < 0)
		init_die("cannot keep the arena descriptor: %s", strerror(errno));
	rp.arena_fd = fd;
	init_arena_head(fd, cfg->quota, cfg->max_nodes);
	head = strlen(rp.arena_head);
	memcpy(val, rp.arena_head, head);
	memcpy(val + head, rp_pfx.list, strlen(rp_pfx.list) + 1); /* both fit: see rp_prefix_parse */
	setenv(RP_ARENA_ENV, val, 1);
	rp_debug(RP_DBG_INIT, "new tree, quota %llu, arena fd %d", (unsigned long long)cfg->quota, fd);
}

/*
 * The descriptor every tree descriptor is a dup of: O_PATH, so read and
 * write through it from code that bypasses the library fail with EBADF
 * instead of landing somewhere; on an empty memfd sealed against every
 * change, so that even reopening it through /proc/self/fd (which the
 * kernel allows for O_PATH) reaches nothing that matters. An image started
 * by exec or spawn with tree descriptors reuses its parent's placeholder
 * (a dup of it, made in the constructor), so all of them stay recognisable
 * as one across any number of execs.
 *
 * Otherwise it is made when the first tree descriptor is (rp_fd_install):
 * the six system calls cost about 8 us, and most processes a build or a
 * shell starts never open a tree file. Two threads may make one at once:
 * the first to publish it wins, the other closes its own.
 */
static int init_placeholder_make(void)
{
	char path[64];
	int fd = -1, mfd;

	mfd = (int)syscall(SYS_memfd_create, "ramdir-placeholder", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd >= 0) {
		REAL(fcntl)(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
		snprintf(path, sizeof path, "/proc/self/fd/%d", mfd);
		fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_PATH | O_CLOEXEC);
		syscall(SYS_close, mfd);
	}
	if (fd < 0) /* no /proc: any O_PATH descriptor will do */
		fd = (int)syscall(SYS_openat, AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && fd < 800) {
		int high = init_dup_high(fd, 800, F_DUPFD_CLOEXEC), err = errno;

		if (high >= 0) {
			syscall(SYS_close, fd);
			fd = high;
		}
		errno = err;
	}
	return fd;
}

int rp_placeholder(void)
{
	int fd = __atomic_load_n(&rp.placeholder, __ATOMIC_ACQUIRE), mine, err;

	if (fd >= 0)
		return fd;
	err = errno;
	mine = init_placeholder_make();
	if (mine < 0)
		return -1;
	errno = err;
	/* A vfork child's descriptor, not the parent's: never published. Its
	 * tree descriptors then cannot be handed on (0:0 placeholder). */
	if (unlikely(rp_vf_child() != NULL))
		return mine;
	if (!__atomic_compare_exchange_n(&rp.placeholder, &fd, mine, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		syscall(SYS_close, mine); /* another thread's won: fd is it */
		return fd;
	}
	rp_debug(RP_DBG_INIT, "placeholder on fd %d", mine);
	return mine;
}

/* An image given tree descriptors: a dup of them is its placeholder. */
static void init_placeholder_inherit(int inherited)
{
	int fd = init_dup_high(inherited, 800, F_DUPFD_CLOEXEC);

	if (fd < 0)
		init_die("cannot open a placeholder descriptor: %s", strerror(errno));
	rp.placeholder = fd;
}

/* The caller's credentials and umask. Through syscall() rather than
 * getgroups() and friends: syscall()'s page is in use already, theirs would
 * be one more page fault for a process that never calls them (about 3 us). */
static void init_tree_cred(void)
{
	gid_t groups[32];
	int n = (int)syscall(SYS_getgroups, 32, groups);
	mode_t m = (mode_t)syscall(SYS_umask, 022);

	syscall(SYS_umask, m);
	rd_tree_set_umask(rp.tree, m);
	rd_tree_set_cred(rp.tree, (uid_t)syscall(SYS_geteuid), (gid_t)syscall(SYS_getegid), groups,
			 n < 0 ? 0 : n);
}

/* What atexit() does, without its stub: libc_nonshared's atexit is linked
 * in at the far end of .text, a page fault in every process (RP_START). */
extern int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);
extern void *__dso_handle;

RP_START static void init_exit(void *unused)
{
	(void)unused;
	rp_handoff_exit();
}

__attribute__((constructor(101))) static void rp_init(void)
{
	struct rd_config cfg;
	const char *env[RP_ENV_N] = {0}, *v;

	init_env(env);
	v = env[RP_ENV_PREFIX];
	if (!v || !*v)
		return; /* inert: everything passes through */
	init_prefix(v);
	init_config(&cfg, env);
	if (!init_join(&cfg, env[RP_ENV_ARENA]))
		init_create(&cfg);
	rp_exec_capture(env);
	rd_tree_set_pid(rp.tree, (uint32_t)syscall(SYS_getpid)); /* syscall(): a page already in use */
	/* No rd_reap_due() here: at the first tree descriptor (fd.c). Nothing
	 * in the constructor loads through the arena mapping, so a process
	 * that never uses the tree never populates it. */
	init_tree_cred();
	{
		int inherited = rp_handoff_adopt(env[RP_ENV_FDS]);

		if (inherited >= 0)
			init_placeholder_inherit(inherited);
	}
	rp_cwd_refresh();
	rp_cwd_adopt(env);
	__cxa_atexit(init_exit, NULL, __dso_handle);
}

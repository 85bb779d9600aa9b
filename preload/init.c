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

struct rp_state rp = {.placeholder = -1, .arena_fd = -1};

/* Environment variable a tree's creator sets for its descendants:
 * "<fd>:<quota>:<max_nodes>:<prefixes>" (the whole normalised list). A
 * child with the same settings joins that tree; different settings (a
 * different list included) get a tree of their own. */
#define RP_ARENA_ENV "RAMDIR_ARENA"

void rp_debug(unsigned cat, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (!(rp.debug & cat))
		return;
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

static void init_config(struct rd_config *cfg)
{
	const char *v;

	rd_config_default(cfg);
	cfg->shared = 1;
	cfg->roots = rp_pfx.n > 1 ? (unsigned)rp_pfx.n : 0; /* one mount root per prefix */
	v = getenv("RAMDIR_QUOTA");
	if (v && *v && rd_parse_size(v, &cfg->quota) < 0)
		init_die("RAMDIR_QUOTA='%s' is not a size (use bytes or K/M/G/T, e.g. 256M)", v);
	v = getenv("RAMDIR_MAX_NODES");
	if (v && *v) {
		char *end;
		unsigned long long n = strtoull(v, &end, 10);

		if (*end || v[0] == '-' || n == 0)
			init_die("RAMDIR_MAX_NODES='%s' is not a positive whole number", v);
		cfg->max_nodes = n;
	}
	v = getenv("RAMDIR_MEMORY_GUARD");
	if (v && *v) {
		if (!strcmp(v, "none"))
			cfg->guard = RD_GUARD_NONE;
		else if (!strcmp(v, "init"))
			cfg->guard = RD_GUARD_INIT;
		else if (!strcmp(v, "per-write"))
			cfg->guard = RD_GUARD_PER_WRITE;
		else
			init_die("RAMDIR_MEMORY_GUARD='%s' is not one of none, init, per-write", v);
	}
	v = getenv("RAMDIR_DEBUG");
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

/* Copy an environment value into rp.arena_env (cut to fit, as snprintf
 * did; the value is never that long). */
static void init_arena_env(const char *v)
{
	size_t len = strlen(v);

	if (len >= sizeof rp.arena_env)
		len = sizeof rp.arena_env - 1;
	memcpy(rp.arena_env, v, len);
	rp.arena_env[len] = 0;
}

/* Join the parent's tree if it was made with the same settings. */
static int init_join(const struct rd_config *cfg)
{
	const char *v = getenv(RP_ARENA_ENV), *p = v;
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
	init_arena_env(v);
	rp_debug(RP_DBG_INIT, "joined tree on fd %d", fd);
	return 1;
}

static void init_create(const struct rd_config *cfg)
{
	char val[RP_PATH_MAX + 64];
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
	snprintf(val, sizeof val, "%d:%llu:%llu:%s", fd, (unsigned long long)cfg->quota,
		 (unsigned long long)cfg->max_nodes, rp_pfx.list);
	setenv(RP_ARENA_ENV, val, 1);
	init_arena_env(val);
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

__attribute__((constructor(101))) static void rp_init(void)
{
	struct rd_config cfg;
	const char *v = getenv("RAMDIR_PREFIX");

	if (!v || !*v)
		return; /* inert: everything passes through */
	init_prefix(v);
	init_config(&cfg);
	if (!init_join(&cfg))
		init_create(&cfg);
	rd_tree_set_pid(rp.tree, (uint32_t)syscall(SYS_getpid)); /* syscall(): a page already in use */
	/* No rd_reap_due() here: at the first tree descriptor (fd.c). Nothing
	 * in the constructor loads through the arena mapping, so a process
	 * that never uses the tree never populates it. */
	init_tree_cred();
	{
		int inherited = rp_handoff_adopt();

		if (inherited >= 0)
			init_placeholder_inherit(inherited);
	}
	rp_cwd_refresh();
	rp_cwd_adopt();
	atexit(rp_handoff_exit);
}

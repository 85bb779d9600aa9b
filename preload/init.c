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

/* Join the parent's tree if it was made with the same settings. */
static int init_join(const struct rd_config *cfg)
{
	const char *v = getenv(RP_ARENA_ENV);
	unsigned long long q, nodes;
	int fd, at = -1;

	if (!v || sscanf(v, "%d:%llu:%llu:%n", &fd, &q, &nodes, &at) != 3 || at < 0)
		return 0;
	if (q != cfg->quota || nodes != cfg->max_nodes || strcmp(v + at, rp_pfx.list))
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
	snprintf(rp.arena_env, sizeof rp.arena_env, "%s", v);
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
	snprintf(rp.arena_env, sizeof rp.arena_env, "%s", val);
	rp_debug(RP_DBG_INIT, "new tree, quota %llu, arena fd %d", (unsigned long long)cfg->quota, fd);
}

/*
 * The descriptor every tree descriptor is a dup of: O_PATH, so read and
 * write through it from code that bypasses the library fail with EBADF
 * instead of landing somewhere; on an empty memfd sealed against every
 * change, so that even reopening it through /proc/self/fd (which the
 * kernel allows for O_PATH) reaches nothing that matters. An image started
 * by exec or spawn with tree descriptors reuses its parent's placeholder
 * (`inherited`, a dup of it), so all of them stay recognisable as one
 * across any number of execs.
 */
static void init_placeholder(int inherited)
{
	struct stat st;
	char path[64];
	int fd = -1, mfd;

	if (inherited >= 0) {
		fd = init_dup_high(inherited, 800, F_DUPFD_CLOEXEC);
	} else {
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
			int high = init_dup_high(fd, 800, F_DUPFD_CLOEXEC);

			if (high >= 0) {
				syscall(SYS_close, fd);
				fd = high;
			}
		}
	}
	if (fd < 0 || syscall(SYS_fstat, fd, &st) < 0)
		init_die("cannot open a placeholder descriptor: %s", strerror(errno));
	rp.placeholder = fd;
	rp.ph_dev = st.st_dev;
	rp.ph_ino = st.st_ino;
}

static void init_tree_cred(void)
{
	gid_t groups[32];
	int n = getgroups(32, groups);

	rd_tree_set_cred(rp.tree, geteuid(), getegid(), groups, n < 0 ? 0 : n);
	{
		mode_t m = REAL(umask)(022);

		REAL(umask)(m);
		rd_tree_set_umask(rp.tree, m);
	}
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
	rd_tree_set_pid(rp.tree, (uint32_t)getpid());
	if (rd_reap_due(rp.tree)) /* open files of processes gone piled up */
		rd_reap(rp.tree);
	init_tree_cred();
	init_placeholder(rp_handoff_adopt());
	rp_cwd_refresh();
	rp_cwd_adopt();
	atexit(rp_handoff_exit);
}

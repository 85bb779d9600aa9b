/*
 * ramdir: run a command with a RAM directory. Creates the shared memory
 * tree, loads imports into it, starts COMMAND with libramdir.so preloaded
 * (children join the same tree through RAMDIR_ARENA), waits, exports the
 * tree, prints statistics, and exits with COMMAND's status (128+N for a
 * signal), 125 for its own errors, 126/127 like env(1).
 *
 * The steps are in launch_*.c: options (launch_opts.c), checks, imports
 * and PREFIX/tmp (launch_setup.c), the report (launch_report.c). This file
 * is the order they run in, the environment COMMAND gets, and the wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ramdir/archive.h>
#include <ramdir/core.h>

#include "launch.h"

/* /// The environment COMMAND gets ///////////////////////////////////// */

void launch_lib_path(const char *name, char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	char *slash;

	if (n <= 0)
		launch_die("cannot find my own binary: %s", strerror(errno));
	self[n] = 0;
	slash = strrchr(self, '/');
	*slash = 0;
	if (snprintf(out, len, "%s/../lib/%s", self, name) >= (int)len)
		launch_die("the path of my own binary is too long");
}

/* libramdir.so beside our own binary: BIN/../lib/libramdir.so. */
static void main_lib_path(char *out, size_t len)
{
	char self[PATH_MAX];
	int fd;

	launch_lib_path("libramdir.so", out, len);
	fd = open(out, O_RDONLY | O_CLOEXEC); /* as ld.so will: effective ids */
	if (fd < 0)
		launch_die("cannot read libramdir.so at '%s' (%s); reinstall ramdir", out,
			   strerror(errno));
	close(fd);
	if (realpath(out, self) && strlen(self) < len)
		memcpy(out, self, strlen(self) + 1);
}

static void main_setenv(const char *name, const char *val)
{
	if (setenv(name, val, 1) < 0)
		launch_die("cannot set %s: %s", name, strerror(errno));
}

/* LD_PRELOAD first, then the settings the preload reads (so a program
 * that cannot join the tree makes an identical one), then RAMDIR_ARENA
 * "<fd>:<quota>:<max_nodes>:<prefixes>", the tree to join. Several
 * prefixes are joined with ':' in both. */
static void main_env(rd_tree *t, const struct launch_opts *o)
{
	static char prefixes[LAUNCH_MAX_PREFIXES * LAUNCH_PREFIX_MAX];
	static char val[sizeof prefixes + PATH_MAX + 64];
	const char *old = getenv("LD_PRELOAD");
	char lib[PATH_MAX], num[32];
	int fd, i;

	main_lib_path(lib, sizeof lib);
	snprintf(val, sizeof val, "%s%s%s", lib, old && *old ? ":" : "", old && *old ? old : "");
	main_setenv("LD_PRELOAD", val);
	prefixes[0] = 0;
	for (i = 0; i < o->nprefixes; i++) {
		if (i)
			strcat(prefixes, ":");
		strcat(prefixes, o->prefixes[i]);
	}
	main_setenv("RAMDIR_PREFIX", prefixes);
	snprintf(num, sizeof num, "%llu", (unsigned long long)o->cfg.quota);
	main_setenv("RAMDIR_QUOTA", num);
	if (o->cfg.max_nodes) {
		snprintf(num, sizeof num, "%llu", (unsigned long long)o->cfg.max_nodes);
		main_setenv("RAMDIR_MAX_NODES", num);
	} else {
		unsetenv("RAMDIR_MAX_NODES");
	}
	main_setenv("RAMDIR_MEMORY_GUARD", launch_guard_name(o->cfg.guard));
	/* The memfd stays open across exec on a high number (F_DUPFD does
	 * not copy close-on-exec). */
	fd = fcntl(rd_tree_fd(t), F_DUPFD, 900);
	if (fd < 0)
		launch_die("cannot keep the arena descriptor: %s", strerror(errno));
	snprintf(val, sizeof val, "%d:%llu:%llu:%s", fd, (unsigned long long)o->cfg.quota,
		 (unsigned long long)o->cfg.max_nodes, prefixes);
	main_setenv("RAMDIR_ARENA", val);
	if (o->tmpdir) {
		snprintf(val, sizeof val, "%s/tmp", o->prefixes[0]);
		main_setenv("TMPDIR", val);
	}
}

/* /// Running COMMAND ////////////////////////////////////////////////// */

static volatile pid_t main_child;

static const int main_forwarded[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2};
#define MAIN_NFORWARDED (int)(sizeof main_forwarded / sizeof main_forwarded[0])

/* A signal sent to ramdir goes on to COMMAND, so `kill` or `timeout` on
 * ramdir still ends with an export. One the terminal sent (Ctrl-C) has
 * reached COMMAND's process group already: not sent twice. */
static void main_forward(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	if (main_child > 0 && info->si_code != SI_KERNEL)
		kill(main_child, sig);
}

/* Install the forwarding handlers while COMMAND runs; afterwards put back
 * what the caller gave us (an ignored SIGINT in a background job stays
 * ignored during the export, a default one stops it). */
static void main_signals(int install)
{
	static struct sigaction saved[MAIN_NFORWARDED];
	struct sigaction sa;
	int i;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = main_forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < MAIN_NFORWARDED; i++) {
		if (install)
			sigaction(main_forwarded[i], &sa, &saved[i]);
		else
			sigaction(main_forwarded[i], &saved[i], NULL);
	}
}

/* The child reports a failed exec through a close-on-exec pipe, so that
 * "could not start" (126/127, no export) is told apart from a COMMAND that
 * ran and exited 126 or 127 itself. It is a vfork child: it runs on our
 * memory until the exec, so it only makes system calls (execvp allocates
 * nothing) and never returns. */
static void main_exec(char **argv, const sigset_t *mask, int report)
{
	int err;

	sigprocmask(SIG_SETMASK, mask, NULL);
	execvp(argv[0], argv);
	err = errno;
	if (write(report, &err, sizeof err) < 0)
		_exit(LAUNCH_EXIT_NOEXEC);
	_exit(err == ENOENT ? LAUNCH_EXIT_NOTFOUND : LAUNCH_EXIT_NOEXEC);
}

/* Returns COMMAND's status; *started is 0 if it could not be executed. */
static int main_run(char **argv, int *started)
{
	sigset_t block, old;
	siginfo_t info;
	int pipefd[2], status, err, i;
	ssize_t n;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		launch_die("cannot make a pipe: %s", strerror(errno));
	sigemptyset(&block);
	for (i = 0; i < MAIN_NFORWARDED; i++)
		sigaddset(&block, main_forwarded[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	/* vfork, not fork: no page tables copied, no copy-on-write faults in
	 * either process before the exec; about 35 page faults and 0.1 ms of
	 * every run (measured on /bin/true). */
	pid = vfork();
	if (pid < 0)
		launch_die("cannot fork: %s", strerror(errno));
	if (pid == 0)
		main_exec(argv, &old, pipefd[1]);
	main_child = pid;
	main_signals(1);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(pipefd[1]);
	do
		n = read(pipefd[0], &err, sizeof err);
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	/* Wait without reaping, so the pid cannot be reused while a signal
	 * may still be forwarded to it; then reap. */
	while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0)
		if (errno != EINTR)
			launch_die("waitid: %s", strerror(errno));
	main_child = 0;
	main_signals(0);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			launch_die("waitpid: %s", strerror(errno));
	*started = n != (ssize_t)sizeof err;
	if (!*started) {
		fprintf(stderr, "ramdir: cannot run '%s': %s; %s\n", argv[0], strerror(err),
			err == ENOENT ? "check the name and PATH" : "check that it is an executable file");
		return err == ENOENT ? LAUNCH_EXIT_NOTFOUND : LAUNCH_EXIT_NOEXEC;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* /// Main ///////////////////////////////////////////////////////////// */

static rd_tree *main_tree(const struct launch_opts *o)
{
	char q[32];
	rd_tree *t;
	int rc = rd_tree_create(&o->cfg, &t);

	if (rc == -ENOMEM && o->cfg.guard != RD_GUARD_NONE) {
		const char *why = rd_guard_message();

		if (!strncmp(why, "memory guard: ", 14))
			why += 14;
		launch_die("--memory-guard %s: %s", launch_guard_name(o->cfg.guard), why);
	}
	if (rc == -ENOMEM)
		launch_die("--quota %s: cannot reserve that much address space; lower it",
			   launch_human(o->cfg.quota, q, sizeof q));
	if (rc < 0)
		launch_die("cannot create the memory tree: %s", strerror(-rc));
	return t;
}

/* The tree root is 1777, as a tmpfs mount, and so is each prefix's root
 * with several; a directory export should get what mkdir would give it,
 * unless COMMAND chose a mode for the root. */
static void main_root_mode(rd_tree *t, const char *root)
{
	struct stat st;
	mode_t mask = umask(0);

	umask(mask);
	if (rd_stat(t, RD_ROOT, root, &st, 0) == 0 && (st.st_mode & 07777) == 01777)
		rd_chmod(t, RD_ROOT, root, 0777 & ~mask, 0);
}

static double main_secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
	struct rd_stats base, end;
	struct timespec t0, t1;
	struct launch_opts o;
	int status, started, own_tmp = 0;
	rd_tree *t;

	launch_parse(argc, argv, &o);
	launch_check_imports(&o);
	if (o.export_to)
		launch_check_export(o.export_to, &o);
	t = main_tree(&o);
	launch_do_imports(t, &o);
	if (o.tmpdir)
		own_tmp = launch_make_tmpdir(t, &o);
	main_env(t, &o);
	rd_tree_stats(t, &base);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	status = main_run(o.command, &started);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* References of processes that ended without closing (killed, _exit)
	 * go now, so the report counts only files something still holds. */
	rd_reap(t);
	rd_tree_stats(t, &end);
	if (end.quota != base.quota) {
		/* Only a write into the arena itself does this (an open of
		 * /proc/self/fd/N for a tree descriptor): nothing to trust. */
		fprintf(stderr, "ramdir: the tree's memory was overwritten while COMMAND ran; "
				"nothing exported, no report\n");
		return LAUNCH_EXIT_OWN;
	}
	if (o.export_to && started) {
		char err[512] = "";
		int rc;

		if (own_tmp)
			launch_drop_tmpdir(t, &o);
		/* the whole tree: with several prefixes, 0/, 1/, ... one each */
		main_root_mode(t, "/");
		for (int k = 0; o.nprefixes > 1 && k < o.nprefixes; k++)
			main_root_mode(t, launch_root(&o, k));
		rc = rd_export(t, "/", o.export_to, err, sizeof err);
		if (rc < 0) {
			fprintf(stderr, "ramdir: --export '%s' failed: %s; nothing was written there\n",
				o.export_to, err[0] ? err : strerror(-rc));
			status = LAUNCH_EXIT_OWN;
		}
	}
	if (o.stats)
		launch_report(stderr, &base, &end, main_secs(&t0, &t1));
	rd_tree_close(t);
	return status;
}

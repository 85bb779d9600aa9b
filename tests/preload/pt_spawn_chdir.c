/*
 * Differential scenario for posix_spawn's directory actions
 * (posix_spawn_file_actions_addchdir_np, addfchdir_np, glibc 2.29): glibc
 * runs them in the child with internal calls, so a change into the tree
 * must reach the child another way. Each case spawns /bin/sh, which prints
 * where it is and reads and writes by relative names there; a spawn whose
 * action fails must report the error and start nothing. Afterwards the
 * parent's own working directory must be where it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static const char *root;

static void path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", root, name);
}

static void must(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", what, strerror(rc < 0 ? errno : rc));
		exit(1);
	}
}

/* Spawn `sh -c cmd` (by name with spawnp, else by path) with fa; print the
 * result as "name: ..." and the child's exit status. */
static void run(const char *name, posix_spawn_file_actions_t *fa, const char *cmd, int by_name)
{
	char *argv[] = {"sh", "-c", (char *)cmd, NULL};
	pid_t pid;
	int st, rc;

	fflush(NULL);
	rc = by_name ? posix_spawnp(&pid, "sh", fa, NULL, argv, environ)
		     : posix_spawn(&pid, "/bin/sh", fa, NULL, argv, environ);
	if (rc != 0) {
		printf("%s: posix_spawn failed: %s\n", name, strerror(rc));
		return;
	}
	if (waitpid(pid, &st, 0) != pid) {
		perror("waitpid");
		exit(1);
	}
	printf("%s: exit %d\n", name, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

/* The parent's working directory: remembered at the start, compared at the
 * end (its name differs between the two runs). */
static void here(const char *when)
{
	static char start[4096];
	char buf[4096];

	if (!getcwd(buf, sizeof buf))
		snprintf(buf, sizeof buf, "(%s)", strerror(errno));
	if (!start[0])
		snprintf(start, sizeof start, "%s", buf);
	printf("%s: parent %s\n", when, strcmp(start, buf) ? "moved" : "where it started");
}

int main(int argc, char **argv)
{
	char d[4096], sub[4096], file[4096], plain[4096];
	posix_spawn_file_actions_t fa;
	int dfd, fd;

	if (argc != 2) {
		fprintf(stderr, "usage: pt_spawn_chdir ROOT\n");
		return 2;
	}
	root = argv[1];
	setvbuf(stdout, NULL, _IONBF, 0);
	must(mkdir(root, 0755), "mkdir root");
	path(d, sizeof d, "d");
	path(sub, sizeof sub, "d/sub");
	path(file, sizeof file, "d/f");
	path(plain, sizeof plain, "plain");
	must(mkdir(d, 0755), "mkdir d");
	must(mkdir(sub, 0755), "mkdir d/sub");
	must(mkdir(plain, 0700), "mkdir plain");
	fd = open(file, O_CREAT | O_WRONLY, 0644);
	if (fd < 0 || write(fd, "hello\n", 6) != 6 || close(fd) != 0)
		must(-1, "write d/f");
	here("start");

	/* chdir into the tree by absolute name: pwd, a relative read and a
	 * relative create land there */
	must(posix_spawn_file_actions_init(&fa), "init");
	must(posix_spawn_file_actions_addchdir_np(&fa, d), "addchdir");
	run("abs", &fa, "pwd; cat f; echo made > new; ls", 0);
	posix_spawn_file_actions_destroy(&fa);

	/* two actions: the second relative to the first, and spawnp */
	must(posix_spawn_file_actions_init(&fa), "init");
	must(posix_spawn_file_actions_addchdir_np(&fa, d), "addchdir");
	must(posix_spawn_file_actions_addchdir_np(&fa, "sub"), "addchdir sub");
	run("relative", &fa, "pwd; cat ../f; cd ..; pwd", 1);
	posix_spawn_file_actions_destroy(&fa);

	/* into the tree, then out again: the child ends in a real directory */
	must(posix_spawn_file_actions_init(&fa), "init");
	must(posix_spawn_file_actions_addchdir_np(&fa, d), "addchdir");
	must(posix_spawn_file_actions_addchdir_np(&fa, "/"), "addchdir /");
	run("out", &fa, "pwd", 0);
	posix_spawn_file_actions_destroy(&fa);

	/* fchdir to a directory descriptor, opened with another action first */
	dfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		must(-1, "open d/sub");
	must(posix_spawn_file_actions_init(&fa), "init");
	must(posix_spawn_file_actions_addfchdir_np(&fa, dfd), "addfchdir");
	run("fchdir", &fa, "pwd; echo in-sub > here; cat here", 0);
	posix_spawn_file_actions_destroy(&fa);
	close(dfd);

	/* an open action, then fchdir to what it opened */
	must(posix_spawn_file_actions_init(&fa), "init");
	must(posix_spawn_file_actions_addopen(&fa, 7, d, O_RDONLY | O_DIRECTORY, 0), "addopen");
	must(posix_spawn_file_actions_addfchdir_np(&fa, 7), "addfchdir 7");
	run("open+fchdir", &fa, "pwd; cat f", 0);
	posix_spawn_file_actions_destroy(&fa);

	/* failures: nothing is started and the error is the kernel's */
	must(posix_spawn_file_actions_init(&fa), "init");
	must(posix_spawn_file_actions_addchdir_np(&fa, "nowhere-at-all"), "addchdir missing");
	must(posix_spawn_file_actions_addchdir_np(&fa, d), "addchdir");
	run("order", &fa, "pwd", 0); /* relative to the parent's directory: fails */
	posix_spawn_file_actions_destroy(&fa);

	must(posix_spawn_file_actions_init(&fa), "init");
	must(posix_spawn_file_actions_addchdir_np(&fa, file), "addchdir file");
	run("notdir", &fa, "pwd", 0);
	posix_spawn_file_actions_destroy(&fa);

	path(sub, sizeof sub, "d/missing");
	must(posix_spawn_file_actions_init(&fa), "init");
	must(posix_spawn_file_actions_addchdir_np(&fa, sub), "addchdir missing");
	run("missing", &fa, "pwd", 0);
	posix_spawn_file_actions_destroy(&fa);

	/* a directory we may not search (as a user other than root only) */
	if (geteuid() != 0) {
		must(chmod(plain, 0600), "chmod");
		must(posix_spawn_file_actions_init(&fa), "init");
		must(posix_spawn_file_actions_addchdir_np(&fa, plain), "addchdir plain");
		run("noperm", &fa, "pwd", 0);
		posix_spawn_file_actions_destroy(&fa);
	}

	here("end");
	printf("new: ");
	fflush(stdout);
	path(file, sizeof file, "d/new");
	fd = open(file, O_RDONLY);
	if (fd >= 0) {
		char buf[64];
		ssize_t n = read(fd, buf, sizeof buf);

		fwrite(buf, 1, n > 0 ? (size_t)n : 0, stdout);
		close(fd);
	} else {
		printf("%s\n", strerror(errno));
	}
	return 0;
}

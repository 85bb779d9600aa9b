/*
 * Differential scenario for vfork: the child shares the parent's memory, so
 * its dup2, close, close_range, chdir and exec must change only its own
 * descriptors and working directory. Each case vforks, lets the child
 * rearrange descriptors and exec /bin/sh (or fail to exec), then checks in
 * the parent that its own descriptors, positions, standard output and
 * working directory are as they were, and what the child wrote.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *root;

static void path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", root, name);
}

/* vfork; the child runs `child` (which must exec or _exit); returns the
 * child's exit status as the parent sees it. */
static int run(void (*child)(void *), void *arg)
{
	int st;
	pid_t pid;

	fflush(NULL); /* the child shares our stdio buffers */
	pid = vfork();
	if (pid < 0) {
		perror("vfork");
		exit(1);
	}
	if (pid == 0) {
		child(arg);
		_exit(126);
	}
	if (waitpid(pid, &st, 0) != pid) {
		perror("waitpid");
		exit(1);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void sh(const char *cmd)
{
	char *argv[] = {"sh", "-c", (char *)cmd, NULL};

	execve("/bin/sh", argv, environ);
}

/* The child's stdout onto a tree file, the original closed, then an exec. */
static void child_redirect(void *arg)
{
	int fd = *(int *)arg;

	if (dup2(fd, 1) != 1)
		_exit(2);
	close(fd);
	sh("echo child-echo");
	_exit(127);
}

/* The same, but the exec fails: the parent must not see any of it. */
static void child_fail(void *arg)
{
	int fd = *(int *)arg;
	char *argv[] = {"nope", NULL};

	if (dup2(fd, 1) != 1)
		_exit(2);
	close(fd);
	execve("/nonexistent/nope", argv, environ);
	_exit(errno == ENOENT ? 3 : 4);
}

/* Tree file onto stdin, everything from 3 up closed, cat reads it. */
static void child_stdin(void *arg)
{
	int fd = *(int *)arg;
	char *argv[] = {"cat", NULL};

	if (dup2(fd, 0) != 0)
		_exit(2);
	if (close_range(3, ~0u, 0) < 0)
		closefrom(3);
	execvp("cat", argv);
	_exit(127);
}

/* The child moves into the tree, or out of it, before the exec. */
static void child_chdir(void *arg)
{
	if (chdir((const char *)arg) < 0)
		_exit(2);
	sh("pwd; cat out 2>/dev/null | head -n 1 || true");
	_exit(127);
}

/* A dup (fcntl) that the child keeps, with the original closed. */
static void child_dupfd(void *arg)
{
	int fd = *(int *)arg, nfd = fcntl(fd, F_DUPFD, 7);
	char cmd[64];

	if (nfd < 0)
		_exit(2);
	close(fd);
	snprintf(cmd, sizeof cmd, "echo via-dupfd >&%d", nfd);
	sh(cmd);
	_exit(127);
}

static void show_file(const char *name)
{
	char p[4096], buf[512];
	int fd;
	ssize_t n;

	path(p, sizeof p, name);
	fd = open(p, O_RDONLY);
	if (fd < 0) {
		printf("open %s: %s\n", name, strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof buf - 1);
	buf[n < 0 ? 0 : n] = 0;
	printf("%s: [%s]\n", name, buf);
	close(fd);
}

static void check_fd(const char *what, int fd)
{
	off_t pos = lseek(fd, 0, SEEK_CUR);
	int fl = fcntl(fd, F_GETFD);

	printf("%s: fd %s, pos %lld, cloexec %d\n", what, fl < 0 ? "closed" : "open", (long long)pos,
	       fl < 0 ? -1 : !!(fl & FD_CLOEXEC));
}

int main(int argc, char **argv)
{
	char p[4096], cwd[4096], here[4096];
	int fd, cl, held, rc;

	if (argc != 2) {
		fprintf(stderr, "usage: pt_vfork ROOT\n");
		return 2;
	}
	root = argv[1];
	if (mkdir(root, 0755) < 0) {
		perror("mkdir");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	path(p, sizeof p, "out");
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
	path(p, sizeof p, "cloexec");
	cl = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || cl < 0) {
		perror("open");
		return 1;
	}
	write(fd, "parent1\n", 8);
	write(cl, "kept\n", 5);

	puts("== child: dup2 onto 1, close, exec sh");
	rc = run(child_redirect, &fd);
	printf("status %d\n", rc);
	check_fd("parent out", fd);
	check_fd("parent cloexec", cl);
	write(fd, "parent2\n", 8);
	puts("parent stdout still works");
	show_file("out");

	puts("== child: dup2 onto 1, close, failing exec");
	rc = run(child_fail, &fd);
	printf("status %d\n", rc);
	check_fd("parent out", fd);
	write(fd, "parent3\n", 8);
	puts("parent stdout still works");
	show_file("out");

	puts("== child: tree file onto 0, close_range, execvp cat");
	lseek(fd, 0, SEEK_SET);
	rc = run(child_stdin, &fd);
	printf("status %d\n", rc);
	check_fd("parent out", fd);
	check_fd("parent cloexec", cl);
	check_fd("parent stdin", 0);

	puts("== child: fcntl(F_DUPFD), close, exec");
	lseek(fd, 0, SEEK_END);
	rc = run(child_dupfd, &fd);
	printf("status %d\n", rc);
	check_fd("parent out", fd);
	show_file("out");

	puts("== child: chdir into the tree, exec");
	getcwd(here, sizeof here);
	rc = run(child_chdir, (void *)root);
	printf("status %d\n", rc);
	getcwd(cwd, sizeof cwd);
	printf("parent cwd unchanged: %d\n", !strcmp(cwd, here));

	puts("== parent in the tree; child: chdir /, exec");
	if (chdir(root) < 0)
		perror("chdir");
	rc = run(child_chdir, (void *)"/");
	printf("status %d\n", rc);
	getcwd(cwd, sizeof cwd);
	printf("parent cwd is root: %d\n", !strcmp(cwd, root));
	rc = open("out", O_RDONLY);
	printf("relative open in the parent: %s\n", rc < 0 ? strerror(errno) : "ok");
	if (rc >= 0)
		close(rc);

	puts("== parent in the tree; child execs with the cwd inherited");
	rc = run(child_chdir, (void *)".");
	printf("status %d\n", rc);

	puts("== unlinked file: the child writes into it, the parent reads it");
	held = open("held", O_RDWR | O_CREAT | O_TRUNC, 0644);
	unlink("held");
	rc = run(child_redirect, &held);
	printf("status %d\n", rc);
	{
		char buf[64];
		ssize_t n = pread(held, buf, sizeof buf - 1, 0);

		buf[n < 0 ? 0 : n] = 0;
		printf("held: [%s]\n", buf);
	}
	close(held);
	close(fd);
	close(cl);
	if (chdir("/") < 0)
		perror("chdir");
	show_file("out");
	show_file("cloexec");
	return 0;
}

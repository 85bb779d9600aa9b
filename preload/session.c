/*
 * New sessions: forkpty, login_tty and daemon. glibc's versions fork and
 * move descriptors with internal calls that no wrapper sees, so the child
 * took no references of its own to the open tree files it inherited, and
 * its table still named tree files on 0, 1 and 2 after they became the
 * terminal or /dev/null: its exit then gave back references it never had,
 * and the parent's file was freed under it (CPython's test_pty run with
 * its output in the tree), and what it printed went to the tree file.
 * These do the same steps through the wrappers (fork.c, fdops.c).
 */
#include <pty.h>
#include <stdlib.h>
#include <utmp.h>

#include "rp.h"

static void session_forget(int fd)
{
	rd_fh fh = rp_fd_forget(fd);

	if (fh)
		rd_close(rp.tree, fh);
}

/* The terminal became 0, 1 and 2, and fd was closed. */
RP_EXPORT int login_tty(int fd)
{
	int rc = REAL(login_tty)(fd);

	if (rc == 0 && rp.tree) {
		for (int i = 0; i <= 2; i++)
			session_forget(i);
		if (fd > 2)
			session_forget(fd);
	}
	return rc;
}

RP_EXPORT pid_t forkpty(int *amaster, char *name, const struct termios *termp, const struct winsize *winp)
{
	int master, slave, err;
	pid_t pid;

	if (!rp.tree)
		return REAL(forkpty)(amaster, name, termp, winp);
	rp_fd_idle_flush(); /* openpty's descriptors are the lowest free (fd.c) */
	if (openpty(&master, &slave, name, termp, winp) == -1)
		return -1;
	pid = fork();
	if (pid == -1) {
		err = errno;
		close(master);
		close(slave);
		errno = err;
		return -1;
	}
	if (pid == 0) {
		close(master);
		if (login_tty(slave))
			_exit(1);
		return 0;
	}
	*amaster = master;
	close(slave);
	return pid;
}

RP_EXPORT int daemon(int nochdir, int noclose)
{
	struct stat st;
	int fd;

	if (!rp.tree)
		return REAL(daemon)(nochdir, noclose);
	switch (fork()) {
	case -1:
		return -1;
	case 0:
		break;
	default:
		_exit(0);
	}
	if (setsid() == -1)
		return -1;
	if (!nochdir)
		(void)chdir("/");
	if (noclose)
		return 0;
	fd = open("/dev/null", O_RDWR);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode)) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
		return 0;
	}
	close(fd);
	errno = ENODEV; /* as glibc: nothing failed, but it is not /dev/null */
	return -1;
}

/*
 * Unix-domain sockets named in the tree. The kernel cannot bind a socket to
 * a path it does not know, so a tree path stands for an abstract socket
 * (Linux's namespace of names that start with a NUL byte and vanish with
 * the socket): bind makes a socket node in the tree (rd_mknod S_IFSOCK:
 * stat, ls and readdir see it as tmpfs shows one) and binds the socket to
 * "\0ramdir.<arena inode>.<node inode>"; connect, sendto and sendmsg to
 * the path find the node and use the same name. So a node removed or
 * renamed away is no longer reachable by its old path, a stale node (its
 * socket closed) refuses connections, and nothing is left anywhere when the
 * processes end.
 *
 * The tree's permission bits are checked here, as the kernel checks the
 * socket file's (write permission to connect), but an abstract name has no
 * permissions of its own: a process not on the tree could connect to it by
 * that name (DESIGN.md 9).
 *
 * getsockname and getpeername give back the path for the sockets this
 * process bound or connected by one; elsewhere (a descriptor inherited
 * across exec, an accepted peer that bound itself) the abstract name shows.
 *
 * Tree descriptors passed in SCM_RIGHTS messages: every tree descriptor is
 * a dup of one placeholder, so what arrives could not tell which open file
 * it stands for. sendmsg sends instead an O_PATH descriptor of a memfd
 * named "ramdir-fh.<arena inode>.<handle>", with a reference given for the
 * receiver; recvmsg recognises such a descriptor by its name
 * (/proc/self/fd), puts a dup of its own placeholder on that number and
 * takes the reference. A receiver without the library gets an O_PATH
 * descriptor (EBADF to reads and writes, as a placeholder); a message never
 * received leaks its references, like a process killed with them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "rp.h"

#define SOCK_PREFIX "ramdir."

/* Sockets of this process named by a tree path. */
struct sock_name {
	int fd;
	struct sockaddr_un abs; /* the abstract name it stands for */
	socklen_t abslen;
	struct sockaddr_un path; /* the name the program used */
	socklen_t pathlen;
};
static pthread_mutex_t sock_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sock_name *sock_tab;
static size_t sock_n, sock_cap;

/* The path of a filesystem AF_UNIX address, NUL-terminated in buf; 0 if
 * the address is not one (abstract, unnamed, another family). */
static int sock_addr_path(const struct sockaddr *addr, socklen_t len, char *buf, size_t size)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)addr;
	size_t n;

	if (!addr || len <= offsetof(struct sockaddr_un, sun_path) || addr->sa_family != AF_UNIX ||
	    un->sun_path[0] == 0)
		return 0;
	n = len - offsetof(struct sockaddr_un, sun_path);
	if (n > sizeof un->sun_path)
		n = sizeof un->sun_path;
	n = strnlen(un->sun_path, n);
	if (n >= size)
		return 0;
	memcpy(buf, un->sun_path, n);
	buf[n] = 0;
	return 1;
}

/* The abstract address standing for tree socket node ino. */
static socklen_t sock_abstract(struct sockaddr_un *un, unsigned long long ino)
{
	char *p = un->sun_path;
	int n;

	memset(un, 0, sizeof *un);
	un->sun_family = AF_UNIX;
	*p++ = 0;
	n = snprintf(p, sizeof un->sun_path - 1, SOCK_PREFIX "%llx.%llx", rp_arena_ino(), ino);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

static void sock_remember(int fd, const struct sockaddr_un *abs, socklen_t abslen, const struct sockaddr *path,
			  socklen_t pathlen)
{
	struct sock_name *e = NULL;

	pthread_mutex_lock(&sock_lock);
	for (size_t i = 0; i < sock_n && !e; i++)
		if (sock_tab[i].fd == fd)
			e = &sock_tab[i];
	if (!e && sock_n == sock_cap) {
		size_t cap = sock_cap ? 2 * sock_cap : 8;
		struct sock_name *t = realloc(sock_tab, cap * sizeof *t);

		if (t) {
			sock_tab = t;
			sock_cap = cap;
		}
	}
	if (!e && sock_n < sock_cap)
		e = &sock_tab[sock_n++];
	if (e) { /* else getsockname shows the abstract name: no worse */
		e->fd = fd;
		e->abs = *abs;
		e->abslen = abslen;
		memset(&e->path, 0, sizeof e->path);
		memcpy(&e->path, path, pathlen < sizeof e->path ? pathlen : sizeof e->path);
		e->pathlen = pathlen < sizeof e->path ? pathlen : sizeof e->path;
	}
	pthread_mutex_unlock(&sock_lock);
}

/* An address for the real call with path (the end of an escape). */
static socklen_t sock_real_addr(struct sockaddr_un *un, const char *path)
{
	size_t n = strlen(path);

	memset(un, 0, sizeof *un);
	un->sun_family = AF_UNIX;
	if (n >= sizeof un->sun_path)
		n = sizeof un->sun_path - 1;
	memcpy(un->sun_path, path, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

/* The address a connect or send to path must use, in *un: 1 for a tree
 * socket node (its abstract name), 2 for a path that led out of the tree
 * (the real path), 0 if the path is not in the tree (the caller's address
 * stands), or -errno as connect(2) reports it, in the kernel's order:
 * lookup, write permission, a socket. */
static int sock_lookup(const char *path, struct sockaddr_un *un, socklen_t *unlen)
{
	struct rp_at at;
	struct stat st;
	int k = rp_path(AT_FDCWD, path, &at), rc;

	if (k <= 0)
		return k;
	for (;;) {
		rc = rd_stat(rp.tree, at.base, at.path, &st, 0);
		if (rc != -RD_EESCAPE)
			break;
		rc = rp_escape(&at);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			*unlen = sock_real_addr(un, at.path);
			return 2;
		}
	}
	if (rc < 0)
		return rc;
	rc = rd_access(rp.tree, at.base, at.path, W_OK, AT_EACCESS);
	if (rc < 0)
		return rc;
	if (!S_ISSOCK(st.st_mode))
		return -ECONNREFUSED;
	*unlen = sock_abstract(un, (unsigned long long)st.st_ino);
	return 1;
}

static int sock_bind(int fd, const struct sockaddr *addr, socklen_t len, const char *path)
{
	struct sockaddr_un un;
	struct rp_at at;
	struct stat st;
	socklen_t unlen = 0;
	int k = rp_path(AT_FDCWD, path, &at), rc;

	if (k == 0)
		return REAL(bind)(fd, addr, len) < 0 ? -errno : 0;
	if (k < 0)
		return k;
	for (;;) {
		rc = rd_mknod(rp.tree, at.base, at.path, S_IFSOCK | 0777);
		if (rc != -RD_EESCAPE)
			break;
		rc = rp_escape(&at);
		if (rc < 0)
			return rc;
		if (rc == 0) { /* a symlinked directory out of the tree */
			unlen = sock_real_addr(&un, at.path);
			return REAL(bind)(fd, (struct sockaddr *)&un, unlen) < 0 ? -errno : 0;
		}
	}
	if (rc == -EEXIST)
		return -EADDRINUSE;
	if (rc < 0)
		return rc;
	rc = rd_stat(rp.tree, at.base, at.path, &st, AT_SYMLINK_NOFOLLOW);
	if (rc == 0) {
		unlen = sock_abstract(&un, (unsigned long long)st.st_ino);
		rc = REAL(bind)(fd, (struct sockaddr *)&un, unlen) < 0 ? -errno : 0;
	}
	if (rc < 0) { /* already bound, not a Unix socket...: no name left behind */
		rd_unlink(rp.tree, at.base, at.path, 0);
		return rc;
	}
	sock_remember(fd, &un, unlen, addr, len);
	return 0;
}

static int sock_connect(int fd, const struct sockaddr *addr, socklen_t len, const char *path)
{
	struct sockaddr_un un;
	socklen_t unlen;
	int k = sock_lookup(path, &un, &unlen);

	if (k < 0)
		return k;
	if (k == 0)
		return REAL(connect)(fd, addr, len) < 0 ? -errno : 0;
	if (REAL(connect)(fd, (struct sockaddr *)&un, unlen) < 0)
		return -errno;
	if (k == 1)
		sock_remember(fd, &un, unlen, addr, len);
	return 0;
}

RP_EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	char path[sizeof ((struct sockaddr_un *)0)->sun_path + 1];

	if (!rp.tree || !sock_addr_path(addr, len, path, sizeof path))
		return REAL(bind)(fd, addr, len);
	return (int)rp_ret(sock_bind(fd, addr, len, path));
}

RP_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	char path[sizeof ((struct sockaddr_un *)0)->sun_path + 1];

	if (!rp.tree || !sock_addr_path(addr, len, path, sizeof path))
		return REAL(connect)(fd, addr, len);
	return (int)rp_ret(sock_connect(fd, addr, len, path));
}

RP_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr, socklen_t len)
{
	char path[sizeof ((struct sockaddr_un *)0)->sun_path + 1];
	struct sockaddr_un un;
	socklen_t unlen;
	int k;

	if (!rp.tree || !sock_addr_path(addr, len, path, sizeof path))
		return REAL(sendto)(fd, buf, n, flags, addr, len);
	k = sock_lookup(path, &un, &unlen);
	if (k < 0) {
		errno = -k;
		return -1;
	}
	if (k == 0)
		return REAL(sendto)(fd, buf, n, flags, addr, len);
	return REAL(sendto)(fd, buf, n, flags, (struct sockaddr *)&un, unlen);
}

#define SOCK_FH_NAME "ramdir-fh."
#define SOCK_FDS_MAX 253 /* SCM_MAX_FD */

/* The tree descriptors among the SCM_RIGHTS of msg: 1 if any, -EBADF if
 * one is idle (closed to the program, fd.c; the kernel would send the
 * placeholder underneath). */
static int sock_rights_ours(const struct msghdr *msg)
{
	int any = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		const int *fds = (const int *)CMSG_DATA(c);

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < n; i++) {
			uint64_t e = rp_fd_entry(fds[i]);

			if (e & RP_FD_IDLE)
				return -EBADF;
			any |= e != 0;
		}
	}
	return any;
}

/* An O_PATH descriptor naming open file fh for a receiving process, or -1. */
static int sock_fh_token(rd_fh fh)
{
	char name[64], proc[32];
	int mfd, fd;

	snprintf(name, sizeof name, SOCK_FH_NAME "%llx.%llx", rp_arena_ino(), (unsigned long long)fh);
	mfd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC);
	if (mfd < 0)
		return -1;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", mfd);
	fd = (int)syscall(SYS_openat, AT_FDCWD, proc, O_PATH | O_CLOEXEC);
	syscall(SYS_close, mfd);
	return fd;
}

/* sendmsg with tree descriptors in SCM_RIGHTS: a copy of the control data
 * with tokens in their place, and a reference given for each. */
static ssize_t sock_send_rights(int fd, const struct msghdr *msg, int flags)
{
	size_t len = msg->msg_controllen;
	char *ctl = malloc(len ? len : 1);
	int tokens[SOCK_FDS_MAX];
	rd_fh given[SOCK_FDS_MAX];
	size_t nt = 0;
	struct msghdr m = *msg;
	ssize_t rc = -1;
	int err = ENOMEM;

	if (!ctl)
		goto out;
	memcpy(ctl, msg->msg_control, len);
	m.msg_control = ctl;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *fds = (int *)CMSG_DATA(c);

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < n; i++) {
			rd_fh fh = rp_fd_get(fds[i]);
			int tok;

			if (!fh)
				continue;
			if (nt == SOCK_FDS_MAX) {
				err = ETOOMANYREFS;
				goto out;
			}
			tok = sock_fh_token(fh);
			if (tok < 0) {
				err = errno;
				goto out;
			}
			if (rd_fh_give(rp.tree, fh, 1) < 0) {
				syscall(SYS_close, tok);
				err = EBADF;
				goto out;
			}
			tokens[nt] = tok;
			given[nt++] = fh;
			fds[i] = tok;
		}
	}
	rc = REAL(sendmsg)(fd, &m, flags);
	err = errno;
out:
	for (size_t i = 0; i < nt; i++) {
		if (rc < 0) /* not sent: nobody will take them */
			rd_fh_give(rp.tree, given[i], -1);
		syscall(SYS_close, tokens[i]);
	}
	free(ctl);
	errno = err;
	return rc;
}

/* After recvmsg: tokens among the received descriptors become tree
 * descriptors of this process (same number, a dup of the placeholder). */
static void sock_recv_rights(struct msghdr *msg, int flags)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		const int *fds = (const int *)CMSG_DATA(c);

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < n; i++) {
			char proc[32], link[96], want[48];
			unsigned long long fh;
			ssize_t l;
			int ph, wl;

			snprintf(proc, sizeof proc, "/proc/self/fd/%d", fds[i]);
			l = readlink(proc, link, sizeof link - 1);
			if (l <= 0)
				continue;
			link[l] = 0;
			wl = snprintf(want, sizeof want, "/memfd:" SOCK_FH_NAME "%llx.", rp_arena_ino());
			if (strncmp(link, want, (size_t)wl) || sscanf(link + wl, "%llx", &fh) != 1)
				continue; /* a real descriptor, or another tree's */
			ph = rp_placeholder();
			if (ph < 0 || REAL(dup3)(ph, fds[i], (flags & MSG_CMSG_CLOEXEC) ? O_CLOEXEC : 0) < 0)
				continue;
			rd_fh_take(rp.tree, fh);
			rp_fd_set(fds[i], fh);
		}
	}
}

RP_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	char path[sizeof ((struct sockaddr_un *)0)->sun_path + 1];
	struct sockaddr_un un;
	struct msghdr m;
	socklen_t unlen;
	int k;

	if (!rp.tree || !msg)
		return REAL(sendmsg)(fd, msg, flags);
	m = *msg;
	if (sock_addr_path(msg->msg_name, msg->msg_namelen, path, sizeof path)) {
		k = sock_lookup(path, &un, &unlen);
		if (k < 0) {
			errno = -k;
			return -1;
		}
		if (k > 0) {
			m.msg_name = &un;
			m.msg_namelen = unlen;
		}
	}
	k = m.msg_controllen ? sock_rights_ours(&m) : 0;
	if (k < 0)
		return rp_ret(k);
	if (k)
		return sock_send_rights(fd, &m, flags);
	return REAL(sendmsg)(fd, &m, flags);
}

RP_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t rc;

	if (msg && msg->msg_controllen)
		rp_fd_idle_flush(); /* descriptors received take the lowest free numbers (fd.c) */
	rc = REAL(recvmsg)(fd, msg, flags);

	if (rc >= 0 && rp.tree && msg && msg->msg_controllen) {
		int err = errno;

		sock_recv_rights(msg, flags);
		errno = err;
	}
	return rc;
}

/* After the real getsockname/getpeername (rc) filled addr with our
 * abstract name: put the path the program used there instead, cut at cap,
 * the size the caller gave (as the kernel cuts an address), with *len its
 * whole length. Returns rc. */
static int sock_unname(int rc, int fd, struct sockaddr *addr, socklen_t *len, socklen_t cap)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)addr;
	size_t off = offsetof(struct sockaddr_un, sun_path);
	socklen_t got;

	if (rc != 0 || !rp.tree || !addr || *len > cap)
		return rc;
	got = *len;
	if (got <= off + 1 + sizeof SOCK_PREFIX - 1 || addr->sa_family != AF_UNIX || un->sun_path[0] != 0 ||
	    memcmp(un->sun_path + 1, SOCK_PREFIX, sizeof SOCK_PREFIX - 1))
		return rc;
	pthread_mutex_lock(&sock_lock);
	for (size_t i = 0; i < sock_n; i++) {
		struct sock_name *e = &sock_tab[i];

		if (e->fd != fd || e->abslen != got || memcmp(&e->abs, un, got))
			continue;
		memcpy(addr, &e->path, e->pathlen < cap ? e->pathlen : cap);
		*len = e->pathlen;
		break;
	}
	pthread_mutex_unlock(&sock_lock);
	return rc;
}

/* A tree descriptor is a file, not a socket: the socket calls that
 * programs use to ask (Python's socket(fileno=...)) answer ENOTSOCK, where
 * the placeholder would say EBADF. */
static int sock_not(void)
{
	errno = ENOTSOCK;
	return -1;
}

RP_EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	if (rp_fd_get(fd))
		return sock_not();
	return REAL(getsockopt)(fd, level, name, val, len);
}

RP_EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	socklen_t cap = len ? *len : 0;

	if (rp_fd_get(fd))
		return sock_not();
	return sock_unname(REAL(getsockname)(fd, addr, len), fd, addr, len, cap);
}

RP_EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	socklen_t cap = len ? *len : 0;

	if (rp_fd_get(fd))
		return sock_not();
	return sock_unname(REAL(getpeername)(fd, addr, len), fd, addr, len, cap);
}

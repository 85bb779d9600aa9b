/*
 * The kernel's magic links to descriptors: /dev/fd/N, /dev/stdin,
 * /dev/stdout, /dev/stderr, /proc/self/fd/N, /proc/thread-self/fd/N and
 * /proc/PID/fd/N of this process. For a tree descriptor they would lead to
 * the placeholder, so open and stat of one are served from the tree file
 * the descriptor names (`echo x > /dev/stdout` with stdout on a tree
 * file, `cat /dev/fd/3`, bash's process substitution on tree files).
 * Paths that start otherwise cost one character comparison.
 */
#include <stdlib.h>
#include <string.h>

#include "rp.h"

/* "N" with nothing after it (a trailing slash would be ENOTDIR anyway). */
static int fdlink_num(const char *s)
{
	char *end;
	long n;

	if (*s < '0' || *s > '9')
		return -1;
	n = strtol(s, &end, 10);
	return *end || n > INT32_MAX ? -1 : (int)n;
}

static int fdlink_proc(const char *p)
{
	const char *rest;

	if (!strncmp(p, "self/", 5))
		rest = p + 5;
	else if (!strncmp(p, "thread-self/", 12))
		rest = p + 12;
	else {
		char *end;
		long pid = strtol(p, &end, 10);

		if (end == p || *end != '/' || pid != (long)getpid())
			return -1;
		rest = end + 1;
	}
	return strncmp(rest, "fd/", 3) ? -1 : fdlink_num(rest + 3);
}

rd_fh rp_fdlink_named(const char *path)
{
	int fd = -1;

	if (!rp.tree)
		return 0;
	/* characters, not strncmp: /dev/shm paths come this far */
	if (path[1] == 'd' && path[2] == 'e' && path[3] == 'v' && path[4] == '/') {
		const char *p = path + 5;

		/* first letters before whole names: /dev/shm and /dev/null are
		 * the common paths here, and they leave at the first compare */
		if (p[0] == 'f' && p[1] == 'd' && p[2] == '/')
			fd = fdlink_num(p + 3);
		else if (p[0] != 's' || p[1] != 't' || p[2] != 'd')
			fd = -1;
		else if (!strcmp(p + 3, "in"))
			fd = 0;
		else if (!strcmp(p + 3, "out"))
			fd = 1;
		else if (!strcmp(p + 3, "err"))
			fd = 2;
	} else if (path[1] == 'p' && path[2] == 'r' && path[3] == 'o' && path[4] == 'c' && path[5] == '/') {
		fd = fdlink_proc(path + 6);
	}
	return fd < 0 ? 0 : rp_fd_get(fd);
}

int rp_path_open(int dirfd, const char *path, struct rp_at *at)
{
	rd_fh fh = rp_fdlink(path);

	if (!fh)
		return rp_path(dirfd, path, at);
	at->base = fh;
	at->path = "";
	at->hops = 0;
	at->self = 1;
	return 1;
}

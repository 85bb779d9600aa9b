/*
 * Which paths are ours. An absolute path is ours when it is the prefix or
 * below it: one comparison, no allocation, the cost every call outside the
 * tree pays. A relative path is ours when the working directory is in the
 * tree, when its directory descriptor is a tree descriptor, or when the
 * working directory is an ancestor of the prefix (or the path climbs with
 * "..") and the path lands in the tree lexically.
 */
#include <string.h>
#include <sys/syscall.h>

#include "rp.h"

/* The real working directory, cached (kept current by chdir/fchdir). */
static char path_cwd[RP_PATH_MAX];
static int path_cwd_ok;

void rp_cwd_refresh(void)
{
	long n = syscall(SYS_getcwd, path_cwd, sizeof path_cwd);

	path_cwd_ok = n > 0 && path_cwd[0] == '/';
}

static int path_in_prefix(const char *p)
{
	return !strncmp(p, rp.prefix, rp.plen) && (p[rp.plen] == '/' || p[rp.plen] == 0);
}

static void path_set_tree(struct rp_at *at, const char *abs)
{
	at->base = RD_ROOT;
	at->path = abs[rp.plen] ? abs + rp.plen : "/";
}

/* Resolve ".", ".." and repeated slashes of an absolute path in place. */
static void path_lexical(char *buf)
{
	char *out = buf, *p = buf;

	while (*p) {
		char *s;
		size_t len;

		while (*p == '/')
			p++;
		s = p;
		while (*p && *p != '/')
			p++;
		len = (size_t)(p - s);
		if (len == 0 || (len == 1 && s[0] == '.'))
			continue;
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			while (out > buf && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, s, len);
		out += len;
	}
	if (out == buf)
		*out++ = '/';
	*out = 0;
}

/* cwd outside the tree: can cwd + path reach it? */
static int path_relative(const char *path, struct rp_at *at)
{
	size_t clen, plen;
	int ancestor;

	if (!path_cwd_ok)
		return 0;
	clen = strlen(path_cwd);
	ancestor = (clen == 1) || (!strncmp(rp.prefix, path_cwd, clen) && rp.prefix[clen] == '/');
	if (!ancestor && !strstr(path, ".."))
		return 0;
	plen = strlen(path);
	if (clen + 1 + plen >= sizeof at->buf)
		return 0;
	memcpy(at->buf, path_cwd, clen);
	at->buf[clen] = '/';
	memcpy(at->buf + clen + 1, path, plen + 1);
	path_lexical(at->buf);
	if (!path_in_prefix(at->buf))
		return 0;
	path_set_tree(at, at->buf);
	return 1;
}

int rp_path(int dirfd, const char *path, struct rp_at *at)
{
	rd_fh fh;

	if (!rp.tree || !path)
		return 0;
	at->hops = 0;
	at->self = 0;
	if (path[0] == '/') {
		if (!path_in_prefix(path))
			return 0;
		path_set_tree(at, path);
		return 1;
	}
	if (dirfd == AT_FDCWD) {
		if (rp.cwd) {
			at->base = rp.cwd;
			at->path = path;
			return 1;
		}
		return path_relative(path, at);
	}
	fh = rp_fd_get(dirfd);
	if (!fh)
		return 0;
	at->base = fh;
	at->path = path;
	return 1;
}

int rp_escape(struct rp_at *at)
{
	const char *rest = rd_escape_path();
	char tmp[RP_PATH_MAX];
	int n;

	at->hops += rd_escape_hops();
	if (at->hops > 40)
		return -ELOOP;
	if (rd_escape_kind() == RD_ESC_ABSOLUTE)
		n = snprintf(tmp, sizeof tmp, "%s", rest);
	else
		n = snprintf(tmp, sizeof tmp, "%s/%s", rp.parent, rest);
	if (n < 0 || (size_t)n >= sizeof tmp)
		return -ENAMETOOLONG;
	/* The real call gets the path as it is (the kernel knows the real
	 * symlinks); only the "is it ours again?" test uses a lexical form. */
	memcpy(at->buf, tmp, (size_t)n + 1);
	path_lexical(tmp);
	rp_debug(RP_DBG_PATH, "escape -> %s", at->buf);
	if (path_in_prefix(tmp)) {
		memcpy(at->buf, tmp, strlen(tmp) + 1);
		path_set_tree(at, at->buf);
		return 1;
	}
	at->path = at->buf;
	return 0;
}

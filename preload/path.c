/*
 * Which paths are ours. An absolute path is ours when it is a prefix or
 * below one: one comparison per prefix, no allocation, the cost every call
 * outside the tree pays. A relative path is ours when the working directory is in the
 * tree, when its directory descriptor is a tree descriptor, or when the
 * working directory is an ancestor of the prefix (or the path climbs with
 * "..") and the path lands in the tree lexically.
 */
#include <string.h>
#include <sys/syscall.h>

#include "rp.h"

/*
 * The real working directory, cached and asked for at the first relative
 * path that needs it: most processes never resolve one against a real
 * directory, and the getcwd at start-up cost each of them a system call
 * and a page fault on this buffer. chdir and fchdir to a real directory
 * move path_cwd_gen; the cache is current while path_cwd_have equals it
 * (a chdir in another thread during a fetch leaves it stale, not wrong).
 */
static char path_cwd[RP_PATH_MAX];
static int path_cwd_ok;
static unsigned path_cwd_gen RP_HOT = 1, path_cwd_have;

RP_START void rp_cwd_refresh(void)
{
	__atomic_add_fetch(&path_cwd_gen, 1, __ATOMIC_ACQ_REL);
}

/* The cached real working directory, or NULL if it has no usable name. */
static const char *path_real_cwd(void)
{
	unsigned gen = __atomic_load_n(&path_cwd_gen, __ATOMIC_ACQUIRE);

	if (__atomic_load_n(&path_cwd_have, __ATOMIC_ACQUIRE) != gen) {
		long n = syscall(SYS_getcwd, path_cwd, sizeof path_cwd);

		path_cwd_ok = n > 0 && path_cwd[0] == '/';
		__atomic_store_n(&path_cwd_have, gen, __ATOMIC_RELEASE);
	}
	return path_cwd_ok ? path_cwd : NULL;
}

/* abs is prefix k or below it: at names its tree path. 1, or -errno. */
RP_START static int path_set_tree(struct rp_at *at, const char *abs, int k)
{
	at->base = RD_ROOT;
	at->path = rp_prefix_tree(abs, k, at->buf, sizeof at->buf);
	return at->path ? 1 : -ENAMETOOLONG;
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
static int path_relative(const char *cwd, const char *path, struct rp_at *at)
{
	size_t clen, plen;
	int ancestor, k;

	if (!cwd)
		return 0;
	clen = strlen(cwd);
	ancestor = (clen == 1) || rp_prefix_below(cwd, clen);
	if (!ancestor && !strstr(path, ".."))
		return 0;
	plen = strlen(path);
	if (clen + 1 + plen >= sizeof at->buf)
		return 0;
	memcpy(at->buf, cwd, clen);
	at->buf[clen] = '/';
	memcpy(at->buf + clen + 1, path, plen + 1);
	path_lexical(at->buf);
	k = rp_prefix_match(at->buf);
	return k < 0 ? 0 : path_set_tree(at, at->buf, k);
}

/* A vfork child that moved to a real directory: path_cwd is the parent's,
 * so the child's is asked for (kept off rp_path's frame: a stack page). */
static __attribute__((noinline)) int path_relative_vf(const char *path, struct rp_at *at)
{
	char own[RP_PATH_MAX];
	long n = syscall(SYS_getcwd, own, sizeof own);

	return path_relative(n > 0 && own[0] == '/' ? own : NULL, path, at);
}

RP_START int rp_path(int dirfd, const char *path, struct rp_at *at)
{
	rd_fh fh;
	int k;

	if (!rp.tree || !path)
		return 0;
	at->hops = 0;
	at->self = 0;
	if (path[0] == '/') {
		if (!rp_prefix_may(path))
			return 0;
		k = rp_prefix_match(path);
		return k < 0 ? 0 : path_set_tree(at, path, k);
	}
	if (dirfd == AT_FDCWD) {
		struct rp_vf *vf = rp_vf_child();
		rd_fh cwd;

		if (likely(vf == NULL) || !rp_vf_cwd(vf, &cwd))
			cwd = __atomic_load_n(&rp.cwd, __ATOMIC_ACQUIRE);
		else if (!cwd) /* a vfork child moved to a real directory */
			return path_relative_vf(path, at);

		if (cwd) {
			at->base = cwd;
			at->path = path;
			return 1;
		}
		return path_relative(path_real_cwd(), path, at);
	}
	fh = rp_fd_get(dirfd);
	if (!fh)
		return rp_fd_idle(dirfd) ? -EBADF : 0; /* idle: closed (fd.c) */
	at->base = fh;
	at->path = path;
	return 1;
}

int rp_escape(struct rp_at *at)
{
	const char *rest = rd_escape_path();
	char tmp[RP_PATH_MAX], parent[RP_PATH_MAX];
	int n, k, root;

	at->hops += rd_escape_hops();
	if (at->hops > 40)
		return -ELOOP;
	root = rd_escape_root(); /* ".." left this prefix: continue in its parent */
	if (root <= 0 || root >= rp_prefix_count())
		root = 0; /* one prefix: ".." above the tree root */
	if (rd_escape_kind() == RD_ESC_ABSOLUTE)
		n = snprintf(tmp, sizeof tmp, "%s", rest);
	else if (rp_prefix_parent(root, parent, sizeof parent))
		n = snprintf(tmp, sizeof tmp, "%s/%s", parent, rest);
	else
		n = -1;
	if (n < 0 || (size_t)n >= sizeof tmp)
		return -ENAMETOOLONG;
	/* The real call gets the path as it is (the kernel knows the real
	 * symlinks); only the "is it ours again?" test uses a lexical form. */
	memcpy(at->buf, tmp, (size_t)n + 1);
	path_lexical(tmp);
	rp_debug(RP_DBG_PATH, "escape -> %s", at->buf);
	k = rp_prefix_match(tmp);
	if (k >= 0) {
		memcpy(at->buf, tmp, strlen(tmp) + 1);
		return path_set_tree(at, at->buf, k);
	}
	at->path = at->buf;
	return 0;
}

void rp_at_base(struct rp_at *at, rd_fh base, const char *path)
{
	at->base = base;
	at->path = path;
	at->hops = 0;
	at->self = 0;
}

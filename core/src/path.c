/*
 * Path resolution inside the tree, with the Linux rules: ".", "..", runs of
 * slashes, trailing slashes (which force the last component to be a
 * directory, following a symlink there), relative symlinks expanded in
 * place, ELOOP after RD_SYMLOOP_MAX hops, ENAMETOOLONG at 255/4095.
 *
 * Two ways out of the tree are handed back to the caller instead of being
 * resolved: ".." above the root and an absolute symlink. The caller (the
 * preload) knows where the tree is mounted and continues the walk on the
 * real filesystem, or re-enters the tree if the path leads back in.
 */
#include "internal.h"

#include <errno.h>
#include <sys/mman.h>

/*
 * Where the walk continues after an escape: a page for each thread, mapped
 * at its first escape and unmapped when it exits. It was 4 KiB of static
 * TLS, which the loader zeroes in every process (and glibc in every
 * thread) that loads the library: a fresh page each, for a rare case
 * (DESIGN.md 9, "Start-up cost"). mmap, not malloc: a signal handler's
 * open may land here. Not the raw system call either: ThreadSanitizer
 * must see the unmap, or a page mapped again at the same address by the
 * next thread reads as a race with the thread that had it.
 */
static __thread char *path_esc_buf __attribute__((tls_model("initial-exec")));
static __thread int path_esc_kind __attribute__((tls_model("initial-exec")));
static __thread int path_esc_hops __attribute__((tls_model("initial-exec")));

extern int __cxa_thread_atexit_impl(void (*fn)(void *), void *arg, void *dso);
extern void *__dso_handle;

static void path_esc_unmap(void *page)
{
	munmap(page, (size_t)RD_PATH_MAX);
}

static char *path_esc_page(void)
{
	void *p;

	if (path_esc_buf)
		return path_esc_buf;
	p = mmap(NULL, (size_t)RD_PATH_MAX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (__cxa_thread_atexit_impl(path_esc_unmap, p, &__dso_handle) != 0) {
		path_esc_unmap(p);
		return NULL;
	}
	path_esc_buf = p;
	return path_esc_buf;
}

const char *rd_escape_path(void)
{
	return path_esc_buf ? path_esc_buf : "";
}

enum rd_escape_kind rd_escape_kind(void)
{
	return (enum rd_escape_kind)path_esc_kind;
}

int rd_escape_hops(void)
{
	return path_esc_hops;
}

/* Record "continue with head + tail" and return -RD_EESCAPE. */
static int path_escape2(const char *head, size_t hlen, const char *tail, enum rd_escape_kind kind, int hops)
{
	size_t tlen = strlen(tail);
	char *buf;

	if (hlen + tlen > RD_PATH_MAX - 1) /* so the page holds it with its NUL */
		return -ENAMETOOLONG;
	buf = path_esc_page();
	if (!buf)
		return -ENOMEM;
	memcpy(buf, head, hlen);
	memcpy(buf + hlen, tail, tlen + 1);
	path_esc_kind = kind;
	path_esc_hops = hops;
	return -RD_EESCAPE;
}

int path_escape(const char *path, enum rd_escape_kind kind, int hops)
{
	return path_escape2("", 0, path, kind, hops);
}

static int path_symlink_target(rd_tree *t, const struct rd_node *n, const char **target)
{
	*target = OFF2P(t, n->ext);
	return (int)n->size;
}

/* Resolve the base handle of an *at call to a node. */
static int path_base(rd_tree *t, rd_fh base, uint64_t *out)
{
	struct rd_ofile *of;

	if (base == RD_ROOT) {
		*out = SUPER(t)->root;
		return 0;
	}
	of = ofile_get(t, base);
	if (!of)
		return -EBADF;
	*out = of->node;
	return 0;
}

static void path_final(struct walk *w, uint64_t dir, uint64_t node, uint64_t dent, const char *name,
		       size_t len, int dotdot)
{
	w->dir = dir;
	w->node = node;
	w->dent = dent;
	w->name = name;
	w->namelen = len;
	w->dotdot = dotdot;
}

/* The walk itself, from node cur (see internal.h). */
int path_resolve(rd_tree *t, uint64_t cur, const char *path, size_t plen, int flags, struct walk *w)
{
	uint64_t root = SUPER(t)->root;
	const char *p = path;
	int rc;

	if (path[0] == '/')
		cur = root;
	else if (!S_ISDIR(((struct rd_node *)OFF2P(t, cur))->mode))
		return -ENOTDIR;
	w->trailing_slash = path[plen - 1] == '/';

	for (;;) {
		struct rd_node *curn = OFF2P(t, cur), *nn;
		const char *s, *rest;
		uint64_t d, node;
		size_t len;
		int last, slash;

		while (*p == '/')
			p++;
		if (*p == 0) { /* "/" itself, or a symlink to a directory ending here */
			path_final(w, 0, cur, 0, "", 0, 1);
			return 0;
		}
		s = p;
		while (*p && *p != '/')
			p++;
		len = (size_t)(p - s);
		rest = p;
		while (*rest == '/')
			rest++;
		last = *rest == 0;
		slash = rest != p;
		if (len > RD_NAME_MAX)
			return -ENAMETOOLONG;
		if (!S_ISDIR(curn->mode))
			return -ENOTDIR;
		rc = node_perm(t, curn, 1);
		if (rc < 0)
			return rc;

		if (len == 1 && s[0] == '.') {
			if (last) {
				path_final(w, cur, cur, 0, s, len, 1);
				return 0;
			}
			continue;
		}
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			int mnt = roots_mount(t, cur); /* the tree root, or "/k" of several */

			if (mnt >= 0)
				return roots_escape(rest, mnt, w->hops);
			/* A removed directory still leads to the parent it had,
			 * as on Linux, while that parent is a directory. */
			if (curn->nlink == 0 && !obj_is_live_dir(t, dirx(t, curn)->parent))
				return -ENOENT;
			cur = dirx(t, curn)->parent;
			if (last) {
				path_final(w, cur, cur, 0, s, len, 1);
				return 0;
			}
			continue;
		}

		d = dir_lookup(t, curn, s, len);
		node = d ? ((struct rd_dirent *)OFF2P(t, d))->node : 0;
		nn = node ? OFF2P(t, node) : NULL;
		if (nn && S_ISLNK(nn->mode) &&
		    (!last || (flags & WALK_FOLLOW) || (slash && !(flags & WALK_PARENT)))) {
			const char *target;
			int tlen = path_symlink_target(t, nn, &target);

			if (++w->hops > RD_SYMLOOP_MAX)
				return -ELOOP;
			if (target[0] == '/')
				return path_escape2(target, (size_t)tlen, p, RD_ESC_ABSOLUTE, w->hops);
			/* target + the rest (from the slash on), in the one scratch
			 * buffer: the rest is a suffix of the path being walked, so
			 * it moves first (memmove handles the overlap when it is
			 * already in scratch) and the target goes in front. */
			{
				size_t restlen = strlen(p);

				if ((size_t)tlen + restlen > RD_PATH_MAX - 1)
					return -ENAMETOOLONG;
				if (tlen == 0)
					return -ENOENT;
				memmove(w->scratch + tlen, p, restlen + 1);
				memcpy(w->scratch, target, (size_t)tlen);
				p = w->scratch;
			}
			continue;
		}
		if (last) {
			if (!node && !(flags & WALK_PARENT))
				return -ENOENT;
			if (nn && slash && !S_ISDIR(nn->mode) && !(flags & WALK_PARENT))
				return -ENOTDIR;
			path_final(w, cur, node, d, s, len, 0);
			w->trailing_slash = slash;
			return 0;
		}
		if (!node)
			return -ENOENT;
		cur = node;
	}
}

/* Checks and the base, then the walk: through the lookup cache (lookup.c),
 * which walks with path_resolve() whatever it cannot answer. */
int path_walk(rd_tree *t, rd_fh base, const char *path, int flags, struct walk *w)
{
	uint64_t cur;
	size_t plen;
	int rc;

	w->hops = 0;
	w->trailing_slash = 0;
	if (!path)
		return -EFAULT;
	plen = strlen(path);
	if (plen >= RD_PATH_MAX)
		return -ENAMETOOLONG;
	rc = path_base(t, base, &cur);
	if (rc < 0)
		return rc;
	if (plen == 0) {
		if (!(flags & WALK_EMPTY_OK))
			return -ENOENT;
		path_final(w, 0, cur, 0, "", 0, 1);
		return 0;
	}
	return lookup_walk(t, cur, path, plen, flags, w);
}

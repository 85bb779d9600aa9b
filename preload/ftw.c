/*
 * File tree walks: ftw, nftw and their 64 forms. glibc's walker opens,
 * reads and stats with internal calls, so for a start path that can reach
 * the tree the walk runs here instead, on top of our exported wrappers
 * (opendir, openat, fstatat, fchdir, ...), which send each name to the
 * tree or to the disk as it comes. Any other start path goes to the real
 * function untouched.
 *
 * The walk is glibc 2.36's, step for step, because programs can see the
 * steps: which name is stat'ed relative to what (an open directory, the
 * working directory under FTW_CHDIR, or the whole path), when a directory
 * stream is given up to respect `nopenfd` (its remaining names are read
 * into memory and it is closed, the oldest first), and how FTW_CHDIR gets
 * back up (through the parent's stream, or "chdir ..", or "/"). Entries
 * come in directory order; the callback's return value stops the walk as
 * nftw(3) says, with FTW_ACTIONRETVAL's skip values consumed where glibc
 * consumes them.
 */
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "rp.h"

/* One stat buffer serves both struct types: they are the same on x86_64,
 * where glibc itself makes the 64 forms aliases. */
_Static_assert(sizeof(struct stat) == sizeof(struct stat64), "stat and stat64 differ");

/* Flags nftw accepts (glibc's current symbol version). */
#define FTW_VALID (FTW_PHYS | FTW_MOUNT | FTW_CHDIR | FTW_DEPTH | FTW_ACTIONRETVAL)
/* The buffer for the current name starts at this size, as glibc's. */
#define FTW_PATH_MIN 4096
/* opendir's flags for a subdirectory opened relative to its parent. */
#define FTW_SUBDIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NONBLOCK)

/* A directory being listed. While it holds a descriptor, `stream` reads
 * it; once given up, `names` holds what was left ("a\0b\0\0"). */
struct ftw_dir {
	DIR *stream;
	int fd;      /* dirfd(stream), -1 once given up */
	char *names;
};

enum ftw_kind { FTW_KIND_FTW, FTW_KIND_FTW64, FTW_KIND_NFTW, FTW_KIND_NFTW64 };

/* The callback, of the type its entry point takes (the kind says which). */
union ftw_fn {
	__ftw_func_t ftw;
	__ftw64_func_t ftw64;
	__nftw_func_t nftw;
	__nftw64_func_t nftw64;
};

struct ftw_walk {
	struct ftw_dir **ring; /* directories holding a descriptor, by slot */
	size_t slots;          /* nopenfd (one fewer for FTW_CHDIR's return) */
	size_t slot;           /* the slot the next directory takes */
	char *path;            /* the current name, as the callback sees it */
	size_t cap;
	struct FTW pos;        /* base and level for the callback */
	int flags;
	enum ftw_kind kind;
	union ftw_fn fn;
	dev_t dev;             /* the start directory's device (FTW_MOUNT) */
	void *seen;            /* directories entered, when following links */
};

/* Identity of a directory already entered (cycle guard without FTW_PHYS). */
struct ftw_seen {
	dev_t dev;
	ino_t ino;
};

/* ---- helpers ---- */

/* What ftw (no n) passes for each of nftw's type flags. */
static int ftw_type(const struct ftw_walk *w, int type)
{
	if (w->kind == FTW_KIND_NFTW || w->kind == FTW_KIND_NFTW64)
		return type;
	switch (type) {
	case FTW_SL:
		return FTW_F;
	case FTW_DP:
		return FTW_D;
	case FTW_SLN:
		return FTW_NS;
	default:
		return type;
	}
}

/* Call the callback. glibc converts the type for ftw on files and links
 * but passes FTW_D, FTW_DNR and FTW_DP for directories as they are, so
 * the conversion is the caller's choice (`convert`). */
static int ftw_call(struct ftw_walk *w, const struct stat *st, int type, int convert)
{
	if (convert)
		type = ftw_type(w, type);
	switch (w->kind) {
	case FTW_KIND_FTW:
		return w->fn.ftw(w->path, st, type);
	case FTW_KIND_FTW64:
		return w->fn.ftw64(w->path, (const struct stat64 *)(const void *)st, type);
	case FTW_KIND_NFTW:
		return w->fn.nftw(w->path, st, type, &w->pos);
	default:
		return w->fn.nftw64(w->path, (const struct stat64 *)(const void *)st, type, &w->pos);
	}
}

static int ftw_grow(struct ftw_walk *w, size_t need)
{
	char *p;

	if (need <= w->cap)
		return 0;
	p = realloc(w->path, 2 * need);
	if (!p)
		return -1;
	w->path = p;
	w->cap = 2 * need;
	return 0;
}

static int ftw_seen_cmp(const void *a, const void *b)
{
	const struct ftw_seen *x = a, *y = b;

	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return 0;
}

/* Remember a directory: 0, or -1 (ENOMEM) as glibc. */
static int ftw_remember(struct ftw_walk *w, const struct stat *st)
{
	struct ftw_seen *s = malloc(sizeof *s);

	if (!s)
		return -1;
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	return tsearch(s, &w->seen, ftw_seen_cmp) ? 0 : -1;
}

static int ftw_was_seen(struct ftw_walk *w, const struct stat *st)
{
	struct ftw_seen s = {.dev = st->st_dev, .ino = st->st_ino};

	return tfind(&s, &w->seen, ftw_seen_cmp) != NULL;
}

/* ---- directory streams under the nopenfd limit ---- */

/* Read the rest of a stream into memory and close it: 0 or -1/errno. */
static int ftw_give_up(struct ftw_dir *d)
{
	size_t cap = 1024, len = 0;
	char *buf = malloc(cap), *fit;
	struct dirent64 *e;

	if (!buf)
		return -1;
	while ((e = readdir64(d->stream)) != NULL) {
		size_t n = strlen(e->d_name);

		if (len + n + 2 >= cap) {
			char *more = realloc(buf, cap + (n * 2 > 1024 ? n * 2 : 1024));

			if (!more) {
				int saved = errno;

				free(buf);
				errno = saved;
				return -1;
			}
			buf = more;
			cap += n * 2 > 1024 ? n * 2 : 1024;
		}
		memcpy(buf + len, e->d_name, n + 1);
		len += n + 1;
	}
	buf[len++] = 0;
	fit = realloc(buf, len);
	d->names = fit ? fit : buf;
	closedir(d->stream);
	d->stream = NULL;
	d->fd = -1;
	return 0;
}

/*
 * Open the directory named by w->path for listing and take a slot; if the
 * slot is held, the directory in it (the oldest open one) is given up
 * first. A subdirectory is opened relative to its parent's descriptor
 * when the parent still has one (`parent`, read after the give-up, which
 * may have been the parent itself). 0 or -1/errno.
 */
static int ftw_open(struct ftw_walk *w, const struct ftw_dir *parent, struct ftw_dir *d)
{
	struct ftw_dir *held = w->ring[w->slot];

	if (held) {
		if (ftw_give_up(held) < 0)
			return -1;
		w->ring[w->slot] = NULL;
	}
	if (parent && parent->fd != -1) {
		int fd = openat(parent->fd, w->path + w->pos.base, FTW_SUBDIR_FLAGS);

		d->stream = NULL;
		if (fd != -1 && (d->stream = fdopendir(fd)) == NULL)
			close(fd);
	} else {
		const char *name = w->path;

		if (w->flags & FTW_CHDIR) {
			name = w->path + w->pos.base;
			if (!name[0])
				name = ".";
		}
		d->stream = opendir(name);
	}
	if (!d->stream)
		return -1;
	d->fd = dirfd(d->stream);
	d->names = NULL;
	w->ring[w->slot] = d;
	w->slot = (w->slot + 1) % w->slots;
	return 0;
}

/* Give the most recent slot back (the directory is done or failed). */
static void ftw_close(struct ftw_walk *w, struct ftw_dir *d)
{
	int saved = errno;

	closedir(d->stream);
	d->stream = NULL;
	d->fd = -1;
	errno = saved;
	w->slot = (w->slot ? w->slot : w->slots) - 1;
	w->ring[w->slot] = NULL;
}

/* ---- the walk ---- */

static int ftw_dir(struct ftw_walk *w, const struct stat *st, struct ftw_dir *parent);

/* stat an entry of `dir` (its name is at w->path + base): relative to the
 * open directory, else to the working directory (FTW_CHDIR) or by path. */
static int ftw_stat(struct ftw_walk *w, const struct ftw_dir *dir, const char *name, struct stat *st, int nofollow)
{
	if (dir->fd != -1)
		return fstatat(dir->fd, name, st, nofollow ? AT_SYMLINK_NOFOLLOW : 0);
	if (!(w->flags & FTW_CHDIR))
		name = w->path;
	return nofollow ? lstat(name, st) : stat(name, st);
}

/* One directory entry: classify it, then report it or walk into it. */
static int ftw_entry(struct ftw_walk *w, struct ftw_dir *dir, const char *name)
{
	size_t len = strlen(name);
	struct stat st;
	int phys = w->flags & FTW_PHYS, type, rc = 0;

	if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
		return 0;
	if (ftw_grow(w, (size_t)w->pos.base + len + 2) < 0)
		return -1;
	memcpy(w->path + w->pos.base, name, len + 1);

	if (ftw_stat(w, dir, name, &st, phys) == 0) {
		type = S_ISDIR(st.st_mode) ? FTW_D : S_ISLNK(st.st_mode) ? FTW_SL : FTW_F;
	} else if (errno != EACCES && errno != ENOENT) {
		return -1;
	} else if (phys) {
		type = FTW_NS;
	} else {
		/* A dangling link is reported with what lstat says of it. */
		type = ftw_stat(w, dir, name, &st, 1) == 0 && S_ISLNK(st.st_mode) ? FTW_SLN : FTW_NS;
	}

	if (type == FTW_NS || !(w->flags & FTW_MOUNT) || st.st_dev == w->dev) {
		if (type != FTW_D)
			rc = ftw_call(w, &st, type, 1);
		else if (phys)
			rc = ftw_dir(w, &st, dir);
		else if (!ftw_was_seen(w, &st) && (rc = ftw_remember(w, &st)) == 0)
			rc = ftw_dir(w, &st, dir);
	}
	if ((w->flags & FTW_ACTIONRETVAL) && rc == FTW_SKIP_SUBTREE)
		rc = 0;
	return rc;
}

/* After a subdirectory, FTW_CHDIR goes back to `parent`: by its stream if
 * it still has one, else by "..", or "/" at the top. */
static int ftw_chdir_back(struct ftw_walk *w, const struct ftw_dir *parent)
{
	if (parent->stream && fchdir(dirfd(parent->stream)) == 0)
		return 0;
	if (w->pos.base == 1)
		return chdir("/") < 0 ? -1 : 0;
	return chdir("..") < 0 ? -1 : 0;
}

/* Walk the directory named by w->path (stat'ed in *st). */
static int ftw_dir(struct ftw_walk *w, const struct stat *st, struct ftw_dir *parent)
{
	struct ftw_dir d;
	int base = w->pos.base, rc;
	size_t end;

	if (ftw_open(w, parent, &d) < 0) {
		if (errno == EACCES)
			return ftw_call(w, st, FTW_DNR, 0);
		return -1;
	}
	if (!(w->flags & FTW_DEPTH)) {
		rc = ftw_call(w, st, FTW_D, 0);
		if (rc != 0) {
			ftw_close(w, &d);
			return rc;
		}
	}
	if ((w->flags & FTW_CHDIR) && fchdir(dirfd(d.stream)) < 0) {
		ftw_close(w, &d);
		return -1;
	}

	w->pos.level++;
	end = strlen(w->path);
	if (w->path[end - 1] != '/')
		w->path[end++] = '/';
	w->pos.base = (int)end;

	rc = 0;
	while (d.stream) {
		struct dirent64 *e = readdir64(d.stream);

		if (!e)
			break;
		rc = ftw_entry(w, &d, e->d_name);
		if (rc != 0)
			break;
	}
	if (d.stream) {
		ftw_close(w, &d);
	} else {
		/* Given up while a subdirectory needed the slot: go on from
		 * the names saved then. */
		char *name = d.names;
		int saved;

		while (rc == 0 && *name) {
			rc = ftw_entry(w, &d, name);
			name += strlen(name) + 1;
		}
		saved = errno;
		free(d.names);
		errno = saved;
	}
	if ((w->flags & FTW_ACTIONRETVAL) && rc == FTW_SKIP_SIBLINGS)
		rc = 0;

	w->path[w->pos.base - 1] = 0;
	w->pos.level--;
	w->pos.base = base;
	if (rc == 0 && (w->flags & FTW_DEPTH))
		rc = ftw_call(w, st, FTW_DP, 0);
	if (parent && (w->flags & FTW_CHDIR) &&
	    (rc == 0 || ((w->flags & FTW_ACTIONRETVAL) && rc != -1 && rc != FTW_STOP)) &&
	    ftw_chdir_back(w, parent) < 0)
		rc = -1;
	return rc;
}

/* The start object: stat it, then report it or walk it. */
static int ftw_start(struct ftw_walk *w, const char *start)
{
	struct stat st;
	int rc;

	if ((w->flags & FTW_PHYS ? lstat(start, &st) : stat(start, &st)) < 0) {
		if (!(w->flags & FTW_PHYS) && errno == ENOENT && lstat(start, &st) == 0 && S_ISLNK(st.st_mode))
			rc = ftw_call(w, &st, FTW_SLN, 1);
		else
			rc = -1; /* nothing to say about it: no callback */
	} else if (S_ISDIR(st.st_mode)) {
		w->dev = st.st_dev;
		rc = w->flags & FTW_PHYS ? 0 : ftw_remember(w, &st);
		if (rc == 0)
			rc = ftw_dir(w, &st, NULL);
	} else {
		rc = ftw_call(w, &st, S_ISLNK(st.st_mode) ? FTW_SL : FTW_F, 1);
	}
	if ((w->flags & FTW_ACTIONRETVAL) && (rc == FTW_SKIP_SUBTREE || rc == FTW_SKIP_SIBLINGS))
		rc = 0;
	return rc;
}

/*
 * Set up and run a walk. FTW_CHDIR first moves to the start's directory
 * and keeps a descriptor of the working directory to come back to (which
 * costs one of the nopenfd), or its name if it cannot be opened.
 */
static int ftw_walk(const char *dir, enum ftw_kind kind, union ftw_fn fn, int nopenfd, int flags)
{
	struct ftw_walk w = {.kind = kind, .fn = fn, .flags = flags};
	size_t len = strlen(dir);
	int rc = 0, back = -1, saved;
	char *cwd = NULL, *end;

	if (!dir[0]) {
		errno = ENOENT;
		return -1;
	}
	w.slots = nopenfd < 1 ? 1 : (size_t)nopenfd;
	w.cap = 2 * len > FTW_PATH_MIN ? 2 * len : FTW_PATH_MIN;
	w.path = malloc(w.cap);
	w.ring = calloc(w.slots, sizeof *w.ring);
	if (!w.path || !w.ring) {
		free(w.path);
		free(w.ring);
		return -1;
	}
	end = stpcpy(w.path, dir);
	while (end > w.path + 1 && end[-1] == '/')
		end--;
	*end = 0;
	while (end > w.path && end[-1] != '/')
		end--;
	w.pos.base = (int)(end - w.path);

	if (flags & FTW_CHDIR) {
		back = open(".", O_RDONLY | O_DIRECTORY);
		if (back == -1) {
			if (errno == EACCES)
				cwd = getcwd(NULL, 0);
			if (!cwd)
				goto out;
		} else if (w.slots > 1) {
			w.slots--;
		}
		if (w.pos.base == 1) {
			rc = chdir("/");
		} else if (w.pos.base > 1) {
			char c = w.path[w.pos.base - 1];

			w.path[w.pos.base - 1] = 0;
			rc = chdir(w.path);
			w.path[w.pos.base - 1] = c;
		}
	}
	if (rc == 0) {
		const char *start = w.path;

		if (flags & FTW_CHDIR) {
			start = w.path + w.pos.base;
			if (!start[0])
				start = ".";
		}
		rc = ftw_start(&w, start);
	}
	saved = errno;
	if (back != -1) {
		fchdir(back);
		close(back);
	} else if (cwd) {
		chdir(cwd);
		free(cwd);
	}
	errno = saved;
out:
	saved = errno;
	tdestroy(w.seen, free);
	free(w.ring);
	free(w.path);
	errno = saved;
	return rc;
}

/* Is the start path ours? Anything that may reach the tree is. */
static int ftw_ours(const char *dir)
{
	struct rp_at at;

	return dir && dir[0] && rp_path(AT_FDCWD, dir, &at) != 0;
}

/* ---- exported wrappers ---- */

RP_EXPORT int ftw(const char *dir, __ftw_func_t fn, int nopenfd)
{
	if (!ftw_ours(dir))
		return REAL(ftw)(dir, fn, nopenfd);
	return ftw_walk(dir, FTW_KIND_FTW, (union ftw_fn){.ftw = fn}, nopenfd, 0);
}

RP_EXPORT int ftw64(const char *dir, __ftw64_func_t fn, int nopenfd)
{
	if (!ftw_ours(dir))
		return REAL(ftw64)(dir, fn, nopenfd);
	return ftw_walk(dir, FTW_KIND_FTW64, (union ftw_fn){.ftw64 = fn}, nopenfd, 0);
}

RP_EXPORT int nftw(const char *dir, __nftw_func_t fn, int nopenfd, int flags)
{
	if (!ftw_ours(dir) || (flags & ~FTW_VALID))
		return REAL(nftw)(dir, fn, nopenfd, flags);
	return ftw_walk(dir, FTW_KIND_NFTW, (union ftw_fn){.nftw = fn}, nopenfd, flags);
}

RP_EXPORT int nftw64(const char *dir, __nftw64_func_t fn, int nopenfd, int flags)
{
	if (!ftw_ours(dir) || (flags & ~FTW_VALID))
		return REAL(nftw64)(dir, fn, nopenfd, flags);
	return ftw_walk(dir, FTW_KIND_NFTW64, (union ftw_fn){.nftw64 = fn}, nopenfd, flags);
}

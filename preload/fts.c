/*
 * File hierarchy traversal: fts_open, fts_read, fts_children, fts_set,
 * fts_close and their fts64 forms. glibc's fts opens, reads, stats and
 * changes directory with internal calls, so when any of fts_open's paths
 * can reach the tree the whole traversal runs here instead, on top of our
 * exported wrappers (open, opendir, lstat, fchdir, ...), which send each
 * name to the tree or to the disk. A traversal of paths that cannot goes
 * to the real fts untouched.
 *
 * The traversal is glibc 2.36's (4.4BSD's) step for step, since programs
 * see its steps: FTSENT and FTS are the public structs with their fields
 * filled as glibc fills them, names are relative to the directory fts has
 * changed into (unless FTS_NOCHDIR or FTS_LOGICAL), FTS_NOSTAT counts
 * subdirectories from the link count, and the list of children, sorting,
 * fts_set instructions and errors follow the same rules.
 *
 * Handles: an FTS made here is registered, and every entry point asks the
 * registry, so a handle never reaches the other implementation. fts_set
 * only stores the instruction, but it is wrapped too so that rule holds.
 */
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rp.h"

/* FTS64 and FTSENT64 are FTS and FTSENT on x86_64 (glibc makes the 64
 * functions aliases), so one implementation serves both. */
_Static_assert(sizeof(FTS) == sizeof(FTS64) && sizeof(FTSENT) == sizeof(FTSENT64) &&
		       sizeof(struct stat) == sizeof(struct stat64),
	       "FTS64 differs from FTS");
_Static_assert(offsetof(FTSENT, fts_statp) == offsetof(FTSENT64, fts_statp) &&
		       offsetof(FTSENT, fts_name) == offsetof(FTSENT64, fts_name),
	       "FTSENT64 differs from FTSENT");

#define ISSET(sp, opt) ((sp)->fts_options & (opt))
#define SET(sp, opt) ((sp)->fts_options |= (opt))
#define CLR(sp, opt) ((sp)->fts_options &= ~(opt))
#define ISDOT(a) ((a)[0] == '.' && (!(a)[1] || ((a)[1] == '.' && !(a)[2])))

/* The stat buffer after the name, aligned as glibc aligns it. */
#define FTS_ALIGN_MASK ((uintptr_t)__alignof__(long double) - 1)
#define FTS_ALIGN(p) (((uintptr_t)(p) + FTS_ALIGN_MASK) & ~FTS_ALIGN_MASK)
/* Initial path space: MAXPATHLEN (glibc's sys/param.h value). */
#define FTS_PATH_MIN 4096

/* What fts_list_dir is building a list for. */
enum { FTS_FOR_CHILDREN = 1, FTS_FOR_NAMES = 2, FTS_FOR_READ = 3 };

/* ---- the registry of our handles ---- */

struct fts_handle {
	FTS fts; /* first: the FTS * handed out is the handle */
	struct fts_handle *next;
};

static pthread_mutex_t fts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fts_handle *fts_live;
static int fts_nlive RP_HOT; /* read without the lock: the fast "none of ours" path */

static int fts_mine(const void *sp)
{
	struct fts_handle *h;

	if (!sp || !__atomic_load_n(&fts_nlive, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&fts_lock);
	for (h = fts_live; h && &h->fts != sp; h = h->next)
		;
	pthread_mutex_unlock(&fts_lock);
	return h != NULL;
}

/* A fork while another thread holds the lock must not leave the child a
 * locked registry. */
static void fts_fork_prepare(void)
{
	pthread_mutex_lock(&fts_lock);
}

static void fts_fork_done(void)
{
	pthread_mutex_unlock(&fts_lock);
}

static void fts_atfork(void)
{
	pthread_atfork(fts_fork_prepare, fts_fork_done, fts_fork_done);
}

static void fts_register(struct fts_handle *h)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, fts_atfork);
	pthread_mutex_lock(&fts_lock);
	h->next = fts_live;
	fts_live = h;
	__atomic_add_fetch(&fts_nlive, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&fts_lock);
}

static void fts_unregister(struct fts_handle *h)
{
	struct fts_handle **pp;

	pthread_mutex_lock(&fts_lock);
	for (pp = &fts_live; *pp; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			__atomic_sub_fetch(&fts_nlive, 1, __ATOMIC_RELEASE);
			break;
		}
	pthread_mutex_unlock(&fts_lock);
}

/* ---- entries and the path buffer ---- */

/* A new entry named `name`, with room for its stat unless FTS_NOSTAT. */
static FTSENT *fts_entry_new(FTS *sp, const char *name, size_t namelen)
{
	size_t len = sizeof(FTSENT) + namelen;
	FTSENT *p;

	if (!ISSET(sp, FTS_NOSTAT))
		len += sizeof(struct stat) + FTS_ALIGN_MASK;
	p = malloc(len);
	if (!p)
		return NULL;
	memset(p, 0, offsetof(FTSENT, fts_name));
	memcpy(p->fts_name, name, namelen);
	p->fts_name[namelen] = 0;
	if (!ISSET(sp, FTS_NOSTAT))
		p->fts_statp = (struct stat *)FTS_ALIGN(p->fts_name + namelen + 2);
	p->fts_namelen = (unsigned short)namelen;
	p->fts_path = sp->fts_path;
	p->fts_instr = FTS_NOINSTR;
	return p;
}

static void fts_list_free(FTSENT *head)
{
	while (head) {
		FTSENT *p = head;

		head = head->fts_link;
		free(p);
	}
}

/* Make the path buffer `more` (plus slack) bytes larger: 0, or 1 with
 * errno set (ENAMETOOLONG past what an FTSENT's fts_pathlen can hold). */
static int fts_path_grow(FTS *sp, size_t more)
{
	size_t len = (size_t)sp->fts_pathlen + more + 256;
	char *p;

	if (len >= USHRT_MAX) {
		free(sp->fts_path);
		sp->fts_path = NULL;
		errno = ENAMETOOLONG;
		return 1;
	}
	sp->fts_pathlen = (int)len;
	p = realloc(sp->fts_path, len);
	if (!p) {
		free(sp->fts_path);
		sp->fts_path = NULL;
		return 1;
	}
	sp->fts_path = p;
	return 0;
}

/* The path buffer moved: repoint every entry still reachable at it. */
static void fts_path_rebase(FTS *sp, FTSENT *head)
{
	char *addr = sp->fts_path;
	FTSENT *p;

#define FTS_REBASE(p)                                                                     \
	do {                                                                              \
		if ((p)->fts_accpath != (p)->fts_name)                                    \
			(p)->fts_accpath = addr + ((p)->fts_accpath - (p)->fts_path);     \
		(p)->fts_path = addr;                                                     \
	} while (0)
	for (p = sp->fts_child; p; p = p->fts_link)
		FTS_REBASE(p);
	for (p = head; p->fts_level >= FTS_ROOTLEVEL;) {
		FTS_REBASE(p);
		p = p->fts_link ? p->fts_link : p->fts_parent;
	}
#undef FTS_REBASE
}

/* The length of fts_path up to where a child's name is appended (a path
 * ending in "/" is not given a second one). */
static size_t fts_append_at(const FTSENT *p)
{
	return p->fts_path[p->fts_pathlen - 1] == '/' ? p->fts_pathlen - 1u : p->fts_pathlen;
}

/* ---- stat, sort, change directory ---- */

/* The fts_info of p from a stat of its access path: following links for
 * FTS_LOGICAL or `follow`, with FTS_DC for a directory that is its own
 * ancestor. */
static unsigned short fts_classify(FTS *sp, FTSENT *p, int follow)
{
	struct stat sb, *sbp = ISSET(sp, FTS_NOSTAT) ? &sb : p->fts_statp;
	FTSENT *t;

	if (ISSET(sp, FTS_LOGICAL) || follow) {
		if (stat(p->fts_accpath, sbp)) {
			int saved = errno;

			if (!lstat(p->fts_accpath, sbp)) {
				errno = 0;
				return FTS_SLNONE;
			}
			p->fts_errno = saved;
			memset(sbp, 0, sizeof *sbp);
			return FTS_NS;
		}
	} else if (lstat(p->fts_accpath, sbp)) {
		p->fts_errno = errno;
		memset(sbp, 0, sizeof *sbp);
		return FTS_NS;
	}
	if (S_ISDIR(sbp->st_mode)) {
		p->fts_dev = sbp->st_dev;
		p->fts_ino = sbp->st_ino;
		p->fts_nlink = sbp->st_nlink;
		if (ISDOT(p->fts_name))
			return FTS_DOT;
		for (t = p->fts_parent; t->fts_level >= FTS_ROOTLEVEL; t = t->fts_parent)
			if (p->fts_ino == t->fts_ino && p->fts_dev == t->fts_dev) {
				p->fts_cycle = t;
				return FTS_DC;
			}
		return FTS_D;
	}
	if (S_ISLNK(sbp->st_mode))
		return FTS_SL;
	if (S_ISREG(sbp->st_mode))
		return FTS_F;
	return FTS_DEFAULT;
}

/* Sort a list with the caller's compar; left as it is without memory. */
static FTSENT *fts_order(FTS *sp, FTSENT *head, int nitems)
{
	FTSENT **ap, *p;

	if (nitems > sp->fts_nitems) {
		FTSENT **a = realloc(sp->fts_array, (size_t)(nitems + 40) * sizeof *a);

		if (!a) {
			free(sp->fts_array);
			sp->fts_array = NULL;
			sp->fts_nitems = 0;
			return head;
		}
		sp->fts_array = a;
		sp->fts_nitems = nitems + 40;
	}
	for (ap = sp->fts_array, p = head; p; p = p->fts_link)
		*ap++ = p;
	qsort(sp->fts_array, (size_t)nitems, sizeof(FTSENT *), sp->fts_compar);
	for (head = *(ap = sp->fts_array); --nitems; ++ap)
		ap[0]->fts_link = ap[1];
	ap[0]->fts_link = NULL;
	return head;
}

/* fchdir unless FTS_NOCHDIR: nonzero on failure. */
static int fts_fchdir(FTS *sp, int fd)
{
	return !ISSET(sp, FTS_NOCHDIR) && fchdir(fd);
}

/* Change into p's directory through descriptor fd, or by opening `path`
 * if fd < 0, checking that it still is p (ENOENT otherwise). */
static int fts_enter(FTS *sp, FTSENT *p, int fd, const char *path)
{
	struct stat64 sb;
	int newfd = fd, rc, saved;

	if (ISSET(sp, FTS_NOCHDIR))
		return 0;
	/* (path is NULL only with a descriptor; saying so keeps gcc -O3's
	 * nonnull analysis quiet.) */
	if (fd < 0 && (!path || (newfd = open(path, O_RDONLY, 0)) < 0))
		return -1;
	if (fstat64(newfd, &sb)) {
		rc = -1;
	} else if (p->fts_dev != sb.st_dev || p->fts_ino != sb.st_ino) {
		errno = ENOENT;
		rc = -1;
	} else {
		rc = fchdir(newfd);
	}
	saved = errno;
	if (fd < 0)
		close(newfd);
	errno = saved;
	return rc;
}

/* ---- reading a directory ---- */

/* d_type says "not a directory" (unknown types must be stat'ed). */
static int fts_not_dir(const struct dirent *dp)
{
	return dp->d_type != DT_DIR && dp->d_type != DT_UNKNOWN;
}

/*
 * The children of the current entry, as a list in directory order (then
 * sorted). It enters the directory when it has anything to stat or will
 * descend, and comes back when called for fts_children or when there was
 * nothing in it. With FTS_NOSTAT on a physical walk only entries that may
 * be directories are stat'ed, and only as many as the link count says
 * there are subdirectories; the others are FTS_NSOK.
 */
static FTSENT *fts_list_dir(FTS *sp, int type)
{
	FTSENT *cur = sp->fts_cur, *p, *head = NULL, *tail = NULL;
	int nitems = 0, nlinks, nostat, descend, adjust = 0, level;
	size_t len, maxlen;
	struct dirent *dp;
	char *cp = NULL;
	DIR *dirp;

	dirp = opendir(cur->fts_accpath);
	if (!dirp) {
		if (type == FTS_FOR_READ) {
			cur->fts_info = FTS_DNR;
			cur->fts_errno = errno;
		}
		return NULL;
	}
	if (type == FTS_FOR_NAMES) {
		nlinks = 0;
		nostat = 0;
	} else if (ISSET(sp, FTS_NOSTAT) && ISSET(sp, FTS_PHYSICAL)) {
		nlinks = (int)cur->fts_nlink - (ISSET(sp, FTS_SEEDOT) ? 0 : 2);
		nostat = 1;
	} else {
		nlinks = -1;
		nostat = 0;
	}

	/* Without the chdir nothing can be stat'ed, but the names can still
	 * be returned; the error waits for the post-order visit. */
	if (nlinks || type == FTS_FOR_READ) {
		if (fts_enter(sp, cur, dirfd(dirp), NULL)) {
			if (nlinks && type == FTS_FOR_READ)
				cur->fts_errno = errno;
			cur->fts_flags |= FTS_DONTCHDIR;
			descend = 0;
			closedir(dirp);
			dirp = NULL;
		} else {
			descend = 1;
		}
	} else {
		descend = 0;
	}

	len = fts_append_at(cur);
	if (ISSET(sp, FTS_NOCHDIR)) {
		cp = sp->fts_path + len;
		*cp++ = '/';
	}
	len++;
	maxlen = (size_t)sp->fts_pathlen - len;
	level = cur->fts_level + 1;

	while (dirp && (dp = readdir(dirp)) != NULL) {
		size_t namelen = strlen(dp->d_name);

		if (!ISSET(sp, FTS_SEEDOT) && ISDOT(dp->d_name))
			continue;
		p = fts_entry_new(sp, dp->d_name, namelen);
		if (!p)
			goto fail;
		if (namelen >= maxlen) {
			char *old = sp->fts_path;

			if (fts_path_grow(sp, namelen + len + 1))
				goto fail;
			if (old != sp->fts_path) {
				adjust = 1;
				if (ISSET(sp, FTS_NOCHDIR))
					cp = sp->fts_path + len;
			}
			maxlen = (size_t)sp->fts_pathlen - len;
		}
		if (len + namelen >= USHRT_MAX) {
			free(p);
			fts_list_free(head);
			closedir(dirp);
			cur->fts_info = FTS_ERR;
			SET(sp, FTS_STOP);
			errno = ENAMETOOLONG;
			return NULL;
		}
		p->fts_level = (short)level;
		p->fts_parent = sp->fts_cur;
		p->fts_pathlen = (unsigned short)(len + namelen);
		if (nlinks == 0 || (nostat && fts_not_dir(dp))) {
			p->fts_accpath = ISSET(sp, FTS_NOCHDIR) ? p->fts_path : p->fts_name;
			p->fts_info = FTS_NSOK;
		} else {
			if (ISSET(sp, FTS_NOCHDIR)) {
				p->fts_accpath = p->fts_path;
				memmove(cp, p->fts_name, p->fts_namelen + 1u);
			} else {
				p->fts_accpath = p->fts_name;
			}
			p->fts_info = fts_classify(sp, p, 0);
			if (nlinks > 0 &&
			    (p->fts_info == FTS_D || p->fts_info == FTS_DC || p->fts_info == FTS_DOT))
				--nlinks;
		}
		p->fts_link = NULL;
		if (!head)
			head = tail = p;
		else
			tail = tail->fts_link = p;
		++nitems;
		continue;
	fail: {
		int saved = errno;

		free(p);
		fts_list_free(head);
		closedir(dirp);
		cur->fts_info = FTS_ERR;
		SET(sp, FTS_STOP);
		errno = saved;
		return NULL;
	}
	}
	if (dirp)
		closedir(dirp);
	if (adjust)
		fts_path_rebase(sp, head);
	if (ISSET(sp, FTS_NOCHDIR)) {
		if (len == (size_t)sp->fts_pathlen || nitems == 0)
			--cp;
		*cp = 0;
	}

	/* Back out of the directory if only its children were wanted or it
	 * was empty; at the root through the saved descriptor. */
	if (descend && (type == FTS_FOR_CHILDREN || !nitems) &&
	    (cur->fts_level == FTS_ROOTLEVEL ? fts_fchdir(sp, sp->fts_rfd)
					     : fts_enter(sp, cur->fts_parent, -1, ".."))) {
		cur->fts_info = FTS_ERR;
		SET(sp, FTS_STOP);
		fts_list_free(head);
		return NULL;
	}
	if (!nitems) {
		if (type == FTS_FOR_READ)
			cur->fts_info = FTS_DP;
		fts_list_free(head);
		return NULL;
	}
	if (sp->fts_compar && nitems > 1)
		head = fts_order(sp, head, nitems);
	return head;
}

/* ---- the traversal ---- */

static size_t fts_max_arg(char *const *argv)
{
	size_t max = 0;

	for (; *argv; ++argv)
		if (strlen(*argv) > max)
			max = strlen(*argv);
	return max + 1;
}

static FTS *fts_do_open(char *const *argv, int options, int (*compar)(const FTSENT **, const FTSENT **))
{
	struct fts_handle *h = calloc(1, sizeof *h);
	FTSENT *p, *root = NULL, *tail = NULL, *parent = NULL;
	int nitems;
	FTS *sp;

	if (!h)
		return NULL;
	sp = &h->fts;
	sp->fts_compar = (int (*)(const void *, const void *))compar;
	sp->fts_options = options;
	if (ISSET(sp, FTS_LOGICAL))
		SET(sp, FTS_NOCHDIR); /* symbolic links are too hard */
	if (fts_path_grow(sp, fts_max_arg(argv) > FTS_PATH_MIN ? fts_max_arg(argv) : FTS_PATH_MIN))
		goto fail_path;
	if (*argv) {
		parent = fts_entry_new(sp, "", 0);
		if (!parent)
			goto fail;
		parent->fts_level = FTS_ROOTPARENTLEVEL;
	}
	for (nitems = 0; *argv; ++argv, ++nitems) {
		size_t len = strlen(*argv);

		if (len == 0) {
			errno = ENOENT;
			goto fail;
		}
		p = fts_entry_new(sp, *argv, len);
		if (!p)
			goto fail;
		p->fts_level = FTS_ROOTLEVEL;
		p->fts_parent = parent;
		p->fts_accpath = p->fts_name;
		p->fts_info = fts_classify(sp, p, ISSET(sp, FTS_COMFOLLOW));
		if (p->fts_info == FTS_DOT)
			p->fts_info = FTS_D; /* "." and ".." given by the caller are directories */
		if (compar) {
			p->fts_link = root;
			root = p;
		} else {
			p->fts_link = NULL;
			if (!root)
				root = tail = p;
			else
				tail = tail->fts_link = p;
		}
	}
	if (compar && nitems > 1)
		root = fts_order(sp, root, nitems);

	/* fts_read starts as if it had just finished a node before the
	 * roots: a dummy, FTS_INIT, linked to them. */
	sp->fts_cur = fts_entry_new(sp, "", 0);
	if (!sp->fts_cur)
		goto fail;
	sp->fts_cur->fts_link = root;
	sp->fts_cur->fts_info = FTS_INIT;

	/* A way back to where we started; without it, run without chdir. */
	if (!ISSET(sp, FTS_NOCHDIR) && (sp->fts_rfd = open(".", O_RDONLY, 0)) < 0)
		SET(sp, FTS_NOCHDIR);
	fts_register(h);
	return sp;

fail:
	fts_list_free(root);
	free(parent);
	free(sp->fts_path);
fail_path:
	free(h);
	return NULL;
}

/* Make root p the current path: fts_path is its name as given, fts_name
 * its last component. */
static void fts_root_load(FTS *sp, FTSENT *p)
{
	size_t len = p->fts_namelen;
	char *cp;

	p->fts_pathlen = (unsigned short)len;
	memmove(sp->fts_path, p->fts_name, len + 1);
	if ((cp = strrchr(p->fts_name, '/')) && (cp != p->fts_name || cp[1])) {
		len = strlen(++cp);
		memmove(p->fts_name, cp, len + 1);
		p->fts_namelen = (unsigned short)len;
	}
	p->fts_accpath = p->fts_path = sp->fts_path;
	sp->fts_dev = p->fts_dev;
}

/* FTS_FOLLOW on a symlink: stat through it, and keep a way back (the
 * working directory) for a directory that will be entered. */
static void fts_follow(FTS *sp, FTSENT *p)
{
	p->fts_info = fts_classify(sp, p, 1);
	if (p->fts_info == FTS_D && !ISSET(sp, FTS_NOCHDIR)) {
		if ((p->fts_symfd = open(".", O_RDONLY, 0)) < 0) {
			p->fts_errno = errno;
			p->fts_info = FTS_ERR;
		} else {
			p->fts_flags |= FTS_SYMFOLLOW;
		}
	}
}

static FTSENT *fts_do_read(FTS *sp)
{
	FTSENT *p, *tmp;
	int instr;
	char *t;

	if (!sp->fts_cur || ISSET(sp, FTS_STOP))
		return NULL;
	p = sp->fts_cur;
	instr = p->fts_instr;
	p->fts_instr = FTS_NOINSTR;

	if (instr == FTS_AGAIN) {
		p->fts_info = fts_classify(sp, p, 0);
		return p;
	}
	if (instr == FTS_FOLLOW && (p->fts_info == FTS_SL || p->fts_info == FTS_SLNONE)) {
		fts_follow(sp, p);
		return p;
	}

	if (p->fts_info == FTS_D) {
		/* Skipped, or across a mount point: straight to post-order. */
		if (instr == FTS_SKIP || (ISSET(sp, FTS_XDEV) && p->fts_dev != sp->fts_dev)) {
			if (p->fts_flags & FTS_SYMFOLLOW)
				close(p->fts_symfd);
			if (sp->fts_child) {
				fts_list_free(sp->fts_child);
				sp->fts_child = NULL;
			}
			p->fts_info = FTS_DP;
			return p;
		}
		/* Names only from fts_children: read again with stats. */
		if (sp->fts_child && ISSET(sp, FTS_NAMEONLY)) {
			CLR(sp, FTS_NAMEONLY);
			fts_list_free(sp->fts_child);
			sp->fts_child = NULL;
		}
		/* Children already listed: enter the directory, and if that
		 * fails, name them through the parent and report it later. */
		if (sp->fts_child) {
			if (fts_enter(sp, p, -1, p->fts_accpath)) {
				p->fts_errno = errno;
				p->fts_flags |= FTS_DONTCHDIR;
				for (p = sp->fts_child; p; p = p->fts_link)
					p->fts_accpath = p->fts_parent->fts_accpath;
			}
		} else if ((sp->fts_child = fts_list_dir(sp, FTS_FOR_READ)) == NULL) {
			if (ISSET(sp, FTS_STOP))
				return NULL;
			return p;
		}
		p = sp->fts_child;
		sp->fts_child = NULL;
		sp->fts_cur = p;
		goto name;
	}

next:
	tmp = p;
	if ((p = p->fts_link) != NULL) {
		sp->fts_cur = p;
		free(tmp);
		/* The next root: back to where we started, and load it. */
		if (p->fts_level == FTS_ROOTLEVEL) {
			if (fts_fchdir(sp, sp->fts_rfd)) {
				SET(sp, FTS_STOP);
				return NULL;
			}
			fts_root_load(sp, p);
			return p;
		}
		if (p->fts_instr == FTS_SKIP)
			goto next;
		if (p->fts_instr == FTS_FOLLOW) {
			fts_follow(sp, p);
			p->fts_instr = FTS_NOINSTR;
		}
name:
		t = sp->fts_path + fts_append_at(p->fts_parent);
		*t++ = '/';
		memmove(t, p->fts_name, p->fts_namelen + 1u);
		return p;
	}

	/* Up to the parent, in post-order. */
	p = tmp->fts_parent;
	sp->fts_cur = p;
	free(tmp);
	if (p->fts_level == FTS_ROOTPARENTLEVEL) {
		/* Done: errno 0 tells the end from an error. */
		free(p);
		errno = 0;
		return sp->fts_cur = NULL;
	}
	sp->fts_path[p->fts_pathlen] = 0;
	if (p->fts_level == FTS_ROOTLEVEL) {
		if (fts_fchdir(sp, sp->fts_rfd)) {
			SET(sp, FTS_STOP);
			return NULL;
		}
	} else if (p->fts_flags & FTS_SYMFOLLOW) {
		if (fts_fchdir(sp, p->fts_symfd)) {
			int saved = errno;

			close(p->fts_symfd);
			errno = saved;
			SET(sp, FTS_STOP);
			return NULL;
		}
		close(p->fts_symfd);
	} else if (!(p->fts_flags & FTS_DONTCHDIR) && fts_enter(sp, p->fts_parent, -1, "..")) {
		SET(sp, FTS_STOP);
		return NULL;
	}
	p->fts_info = p->fts_errno ? FTS_ERR : FTS_DP;
	return p;
}

static int fts_do_set(FTSENT *p, int instr)
{
	if (instr != 0 && instr != FTS_AGAIN && instr != FTS_FOLLOW && instr != FTS_NOINSTR && instr != FTS_SKIP) {
		errno = EINVAL;
		return 1;
	}
	p->fts_instr = (unsigned short)instr;
	return 0;
}

static FTSENT *fts_do_children(FTS *sp, int instr)
{
	FTSENT *p;
	int fd, type;

	if (instr != 0 && instr != FTS_NAMEONLY) {
		errno = EINVAL;
		return NULL;
	}
	p = sp->fts_cur;
	errno = 0; /* an empty directory is not an error */
	if (ISSET(sp, FTS_STOP))
		return NULL;
	if (p->fts_info == FTS_INIT)
		return p->fts_link; /* the roots */
	if (p->fts_info != FTS_D)
		return NULL;
	if (sp->fts_child) {
		fts_list_free(sp->fts_child);
		sp->fts_child = NULL; /* glibc leaves it dangling; nothing can see the difference */
	}
	if (instr == FTS_NAMEONLY) {
		SET(sp, FTS_NAMEONLY);
		type = FTS_FOR_NAMES;
	} else {
		type = FTS_FOR_CHILDREN;
	}
	/* A relative root before fts_read entered it: the way back is the
	 * working directory, kept open around the listing. */
	if (p->fts_level != FTS_ROOTLEVEL || p->fts_accpath[0] == '/' || ISSET(sp, FTS_NOCHDIR))
		return sp->fts_child = fts_list_dir(sp, type);
	if ((fd = open(".", O_RDONLY, 0)) < 0)
		return NULL;
	sp->fts_child = fts_list_dir(sp, type);
	if (fchdir(fd))
		return NULL;
	close(fd);
	return sp->fts_child;
}

static int fts_do_close(FTS *sp)
{
	struct fts_handle *h = (struct fts_handle *)(void *)sp;
	int saved = 0;

	fts_unregister(h);
	if (sp->fts_cur) {
		FTSENT *p, *freep;

		/* Works before the first read too: the dummy links to the
		 * roots, the last of which leads to their parent. */
		for (p = sp->fts_cur; p->fts_level >= FTS_ROOTLEVEL;) {
			freep = p;
			p = p->fts_link ? p->fts_link : p->fts_parent;
			free(freep);
		}
		free(p);
	}
	if (sp->fts_child)
		fts_list_free(sp->fts_child);
	free(sp->fts_array);
	free(sp->fts_path);
	if (!ISSET(sp, FTS_NOCHDIR)) {
		saved = fchdir(sp->fts_rfd) ? errno : 0;
		close(sp->fts_rfd);
	}
	free(h);
	if (saved) {
		errno = saved;
		return -1;
	}
	return 0;
}

/* Does fts_open take these paths? Valid options and one path that can
 * reach the tree; glibc's own checks (options, a NULL argv) stay its. */
static int fts_ours(char *const *argv, int options)
{
	struct rp_at at;

	if (!rp.tree || !argv || (options & ~FTS_OPTIONMASK))
		return 0;
	for (; *argv; ++argv)
		if (rp_path(AT_FDCWD, *argv, &at) != 0)
			return 1;
	return 0;
}

/* ---- exported wrappers ---- */

RP_EXPORT FTS *fts_open(char *const *argv, int options, int (*compar)(const FTSENT **, const FTSENT **))
{
	if (!fts_ours(argv, options))
		return REAL(fts_open)(argv, options, compar);
	return fts_do_open(argv, options, compar);
}

RP_EXPORT FTS64 *fts64_open(char *const *argv, int options, int (*compar)(const FTSENT64 **, const FTSENT64 **))
{
	if (!fts_ours(argv, options))
		return REAL(fts64_open)(argv, options, compar);
	return (FTS64 *)(void *)fts_do_open(argv, options, (int (*)(const FTSENT **, const FTSENT **))compar);
}

RP_EXPORT FTSENT *fts_read(FTS *sp)
{
	if (!fts_mine(sp))
		return REAL(fts_read)(sp);
	return fts_do_read(sp);
}

RP_EXPORT FTSENT64 *fts64_read(FTS64 *sp)
{
	if (!fts_mine(sp))
		return REAL(fts64_read)(sp);
	return (FTSENT64 *)(void *)fts_do_read((FTS *)(void *)sp);
}

RP_EXPORT FTSENT *fts_children(FTS *sp, int instr)
{
	if (!fts_mine(sp))
		return REAL(fts_children)(sp, instr);
	return fts_do_children(sp, instr);
}

RP_EXPORT FTSENT64 *fts64_children(FTS64 *sp, int instr)
{
	if (!fts_mine(sp))
		return REAL(fts64_children)(sp, instr);
	return (FTSENT64 *)(void *)fts_do_children((FTS *)(void *)sp, instr);
}

RP_EXPORT int fts_set(FTS *sp, FTSENT *p, int instr)
{
	if (!fts_mine(sp))
		return REAL(fts_set)(sp, p, instr);
	return fts_do_set(p, instr);
}

RP_EXPORT int fts64_set(FTS64 *sp, FTSENT64 *p, int instr)
{
	if (!fts_mine(sp))
		return REAL(fts64_set)(sp, p, instr);
	return fts_do_set((FTSENT *)(void *)p, instr);
}

RP_EXPORT int fts_close(FTS *sp)
{
	if (!fts_mine(sp))
		return REAL(fts_close)(sp);
	return fts_do_close(sp);
}

RP_EXPORT int fts64_close(FTS64 *sp)
{
	if (!fts_mine(sp))
		return REAL(fts64_close)(sp);
	return fts_do_close((FTS *)(void *)sp);
}

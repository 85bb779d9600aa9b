/*
 * Open tree files across exec, posix_spawn and exit.
 *
 * A tree descriptor is a dup of the placeholder, so the kernel keeps the
 * number across exec, but the new image starts with an empty descriptor
 * table and would see only an O_PATH descriptor. The exec and spawn
 * wrappers (exec.c) therefore put RAMDIR_FDS in the new image's envp:
 *
 *   RAMDIR_FDS=e<pid> <arena> <dev>:<ino> <fd>=<fh> ... x<fh> ...
 *
 * "e<pid>": written by process pid for its own exec (the new image has the
 * same pid); "s<pid>": written by pid for a child it spawns (the new image's
 * parent is pid). Any other reader, e.g. a grandchild that got the variable
 * through a program without the library, ignores it, and so does an image
 * on another tree (<arena>, the arena memfd's inode, differs: a nested
 * program with settings of its own). <dev>:<ino> names the
 * placeholder. "<fd>=<fh>": descriptor fd is open file fh, and the reference
 * it holds now belongs to the new image; it is adopted only if fd still is
 * a dup of that placeholder. "x<fh>": a reference the old image held and the
 * new one must drop (close-on-exec descriptors). "c<fh>": the working
 * directory, by handle (with its reference), so that one removed since it
 * was entered stays the working directory, as the kernel keeps it; by name
 * (RAMDIR_CWD) the child would fall back to the real one, on disk.
 * The references move rather than being dropped before exec, because exec
 * can fail and the old image then goes on with them.
 *
 * At exit() every reference the process holds is dropped (after stdio has
 * been flushed), so files unlinked while open are freed. A process that
 * ends without exit() (_exit, a signal, an exec of a program without the
 * library) leaks its references: see DESIGN.md.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "rp.h"

#define HANDOFF_ENV "RAMDIR_FDS"

/*
 * The text is written and read by hand, not with snprintf and sscanf:
 * a fork or vfork child builds it just before exec, and every image
 * started in a tree working directory parses it in its constructor;
 * snprintf's code is three pages and sscanf's five, each a page fault in
 * a fresh image or a fork child (DESIGN.md 9, "Start-up cost").
 */

/* v in base 10 or 16 (lower case) at p; returns the end. */
static char *handoff_num(char *p, unsigned long long v, unsigned base)
{
	char tmp[24];
	int n = 0;

	do {
		unsigned d = (unsigned)(v % base);

		tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + (d - 10));
	} while ((v /= base) != 0);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* Append item (n bytes) to b (len/size), if it fits whole. */
static int handoff_put(char *b, size_t size, size_t *len, const char *item, size_t n)
{
	if (n >= size - *len) {
		b[*len] = 0;
		return -1;
	}
	memcpy(b + *len, item, n);
	*len += n;
	b[*len] = 0;
	return 0;
}

/* " <fd>=<fh>": a descriptor to adopt. */
static int handoff_put_fd(char *b, size_t size, size_t *len, int fd, rd_fh fh)
{
	char t[48], *p = t;

	*p++ = ' ';
	p = handoff_num(p, (unsigned)fd, 10);
	*p++ = '=';
	p = handoff_num(p, fh, 16);
	return handoff_put(b, size, len, t, (size_t)(p - t));
}

/* " x<fh>" (a reference to drop) or " c<fh>" (the working directory). */
static int handoff_put_tag(char *b, size_t size, size_t *len, char tag, rd_fh fh)
{
	char t[32], *p = t;

	*p++ = ' ';
	*p++ = tag;
	p = handoff_num(p, fh, 16);
	return handoff_put(b, size, len, t, (size_t)(p - t));
}

/* A number in base 10 or 16 at *p (moved past it); -1 if there is none. */
static int handoff_parse(const char **p, unsigned base, unsigned long long *out)
{
	const char *s = *p;
	unsigned long long v = 0;

	for (;; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a') + 10;
		else
			break;
		if (v > (~0ull - d) / base)
			return -1;
		v = v * base + d;
	}
	if (s == *p)
		return -1;
	*out = v;
	*p = s;
	return 0;
}

/* Is the character at *p c? Then move past it. */
static int handoff_skip(const char **p, char c)
{
	if (**p != c)
		return 0;
	(*p)++;
	return 1;
}

/* The arena's inode: a nested program on a tree of its own must not take
 * open files of another tree. Asked once, at the first handoff, not by
 * every process at start-up. */
unsigned long long rp_arena_ino(void)
{
	unsigned long long ino = __atomic_load_n(&rp.arena_ino, __ATOMIC_RELAXED);
	struct stat st;

	if (!ino && syscall(SYS_fstat, rd_tree_fd(rp.tree), &st) == 0) {
		ino = (unsigned long long)st.st_ino;
		__atomic_store_n(&rp.arena_ino, ino, __ATOMIC_RELAXED);
	}
	return ino;
}

/* The placeholder's identity (0:0 while there is none, and then no tree
 * descriptor to hand over either). */
static int handoff_head(char *b, size_t size, size_t *len, char kind, int pid)
{
	struct stat st = {0};
	int ph = __atomic_load_n(&rp.placeholder, __ATOMIC_ACQUIRE);

	char t[96], *p = t;

	if (ph < 0 || syscall(SYS_fstat, ph, &st) < 0)
		st.st_dev = st.st_ino = 0;
	*len = 0;
	*p++ = kind; /* "<kind><pid> <arena ino> <dev>:<ino>" */
	p = handoff_num(p, (unsigned)pid, 10);
	*p++ = ' ';
	p = handoff_num(p, rp_arena_ino(), 10);
	*p++ = ' ';
	p = handoff_num(p, (unsigned long long)st.st_dev, 10);
	*p++ = ':';
	p = handoff_num(p, (unsigned long long)st.st_ino, 10);
	return handoff_put(b, size, len, t, (size_t)(p - t));
}

/*
 * The value for this process's own exec. Every tree descriptor is listed:
 * kept ones for adoption, close-on-exec ones (the kernel closes them) and
 * the working directory for release. Entries that do not fit are left out:
 * such a descriptor reads as EBADF in the new image, and its reference
 * leaks. Returns the length, 0 if there is nothing to hand over.
 */
size_t rp_handoff_exec(char *b, size_t size)
{
	int high = rp_fd_high();
	size_t len;
	int any = 0;

	if (!rp.tree)
		return 0;
	rp_fd_idle_flush(); /* the new image must not inherit them (fd.c) */
	while (high >= 0 && !rp_fd_get(high)) /* the usual case: nothing at all, */
		high--;
	if (high < 0 && !rp.cwd) /* and then no system call either */
		return 0;
	if (handoff_head(b, size, &len, 'e', (int)syscall(SYS_getpid)) < 0)
		return 0;
	for (int fd = 0; fd <= high; fd++) {
		rd_fh fh = rp_fd_get(fd);
		int fl;

		if (!fh)
			continue;
		fl = REAL(fcntl)(fd, F_GETFD);
		if (fl < 0)
			continue;
		any = 1;
		if ((fl & FD_CLOEXEC) ? handoff_put_tag(b, size, &len, 'x', fh)
				      : handoff_put_fd(b, size, &len, fd, fh))
			break;
	}
	if (rp.cwd && handoff_put_tag(b, size, &len, 'c', rp.cwd) == 0)
		any = 1;
	return any ? len : 0;
}

/*
 * The value for an exec from a vfork child (vfork.c): as for a spawned
 * child of the vfork's parent ("s<parent pid>"), since the child took no
 * reference of its own. Its effective table (the parent's, overlaid) is
 * listed with a reference given for the new image for each kept
 * descriptor and the working directory; rp_vf_exec_failed gives them back.
 * Close-on-exec descriptors are simply left out: nothing to drop.
 */
size_t rp_handoff_vfork(struct rp_vf *vf, char *b, size_t size)
{
	int high = rp_fd_high(), any = 0;
	rd_fh cwd = rp_cwd_fh();
	size_t len;

	while (high >= 0 && !rp_fd_get(high))
		high--;
	if ((high < 0 && !cwd) || handoff_head(b, size, &len, 's', (int)rp_vf_parent(vf)) < 0)
		return 0;
	for (int fd = 0; fd <= high; fd++) {
		rd_fh fh = rp_fd_get(fd);
		size_t was = len;
		int fl;

		if (!fh || (fl = REAL(fcntl)(fd, F_GETFD)) < 0 || (fl & FD_CLOEXEC))
			continue;
		if (handoff_put_fd(b, size, &len, fd, fh) < 0)
			break;
		if (rp_vf_give(vf, fh) < 0) { /* no reference: leave it out */
			len = was;
			b[len] = 0;
			continue;
		}
		any = 1;
	}
	if (cwd && handoff_put_tag(b, size, &len, 'c', cwd) == 0) {
		if (rp_vf_give(vf, cwd) == 0) {
			any = 1;
		} else {
			len -= strlen(strrchr(b, ' '));
			b[len] = 0;
		}
	}
	return any ? len : 0;
}

/* ---- posix_spawn: what the child's table will be ---- */

/*
 * glibc runs the file actions inside the child, with internal calls no
 * wrapper sees. Their list is read here (glibc 2.29 and later lay it out
 * as below, in posix/spawn_int.h), applied to a copy of the table, and the
 * result handed to the child. An open of a tree path is done here, in the
 * parent, and replaced by a dup2 of its descriptor.
 */
struct handoff_action {
	enum { SA_CLOSE, SA_DUP2, SA_OPEN, SA_CHDIR, SA_FCHDIR, SA_CLOSEFROM, SA_TCSETPGRP } tag;
	union {
		struct {
			int fd;
		} close;
		struct {
			int fd, newfd;
		} dup2;
		struct {
			int fd;
			char *path;
			int oflag;
			mode_t mode;
		} open;
		struct {
			char *path;
		} chdir;
		struct {
			int from;
		} closefrom;
	} a;
};

struct handoff_fa { /* posix_spawn_file_actions_t */
	int allocated, used;
	struct handoff_action *actions;
	int pad[16];
};
_Static_assert(sizeof(struct handoff_fa) == sizeof(posix_spawn_file_actions_t), "file actions layout");

static int sim_find(const struct rp_spawn *s, int fd)
{
	for (int i = 0; i < s->n; i++)
		if (s->fd[i] == fd)
			return i;
	return -1;
}

static void sim_drop(struct rp_spawn *s, int fd)
{
	int i = sim_find(s, fd);

	if (i >= 0) {
		s->n--;
		s->fd[i] = s->fd[s->n];
		s->fh[i] = s->fh[s->n];
		s->cloexec[i] = s->cloexec[s->n];
	}
}

static int sim_set(struct rp_spawn *s, int fd, rd_fh fh, int cloexec)
{
	int i = sim_find(s, fd);

	if (i < 0) {
		if (s->n == RP_SPAWN_MAX)
			return -EMFILE;
		i = s->n++;
	}
	s->fd[i] = fd;
	s->fh[i] = fh;
	s->cloexec[i] = (char)cloexec;
	return 0;
}

/* The child's working directory after a chdir action: tree directory fh
 * (own: a reference this record holds and drops when done), or 0 for a
 * real one. */
static void sim_cwd(struct rp_spawn *s, rd_fh fh, int own)
{
	if (s->cwd_own)
		rd_close(rp.tree, s->cwd);
	s->cwd_set = 1;
	s->cwd = fh;
	s->cwd_own = own;
}

/* Close a descriptor this simulation opened in the parent. */
void rp_spawn_done(struct rp_spawn *s, int spawned)
{
	for (int i = 0; i < s->nopened; i++)
		close(s->opened[i]);
	s->nopened = 0;
	/* The child owns the references taken for it only if it was made. */
	for (int i = 0; !spawned && i < s->nref; i++)
		rd_fh_give(rp.tree, s->ref[i], -1);
	s->nref = 0;
	sim_cwd(s, 0, 0);
	if (s->fa_made)
		posix_spawn_file_actions_destroy(&s->fa);
	s->fa_made = 0;
}

/* Rebuild the file actions with action k replaced by rep: a dup2 (for a
 * tree open), or a chdir (for a change into the tree: "." leaves the real
 * working directory as it is; the child gets the tree one by handle). */
static int sim_rewrite(struct rp_spawn *s, const struct handoff_fa *in, int k, const struct handoff_action *rep)
{
	posix_spawn_file_actions_t *out = &s->fa;
	int rc = 0;

	if (s->fa_made) { /* an earlier action was rewritten already: edit that copy */
		struct handoff_action *a = &((struct handoff_fa *)out)->actions[k];
		char *path = NULL;

		/* destroy() frees the paths of open and chdir actions */
		if (rep->tag == SA_CHDIR && !(path = strdup(rep->a.chdir.path)))
			return -ENOMEM;
		if (a->tag == SA_OPEN)
			free(a->a.open.path);
		else if (a->tag == SA_CHDIR)
			free(a->a.chdir.path);
		*a = *rep;
		if (path)
			a->a.chdir.path = path;
		return 0;
	}
	posix_spawn_file_actions_init(out);
	s->fa_made = 1;
	for (int i = 0; i < in->used && rc == 0; i++) {
		const struct handoff_action *a = i == k ? rep : &in->actions[i];

		switch (a->tag) {
		case SA_CLOSE:
			rc = posix_spawn_file_actions_addclose(out, a->a.close.fd);
			break;
		case SA_DUP2:
			rc = posix_spawn_file_actions_adddup2(out, a->a.dup2.fd, a->a.dup2.newfd);
			break;
		case SA_OPEN:
			rc = posix_spawn_file_actions_addopen(out, a->a.open.fd, a->a.open.path, a->a.open.oflag,
							      a->a.open.mode);
			break;
		case SA_CHDIR:
			rc = posix_spawn_file_actions_addchdir_np(out, a->a.chdir.path);
			break;
		case SA_FCHDIR:
			rc = posix_spawn_file_actions_addfchdir_np(out, a->a.close.fd);
			break;
		case SA_CLOSEFROM:
			rc = posix_spawn_file_actions_addclosefrom_np(out, a->a.closefrom.from);
			break;
		default:
			rc = ENOTSUP; /* tcsetpgrp: no way to copy it; not with tree opens */
		}
	}
	return -rc;
}

static int sim_rewrite_dup2(struct rp_spawn *s, const struct handoff_fa *in, int k, int fd, int newfd)
{
	struct handoff_action rep = {.tag = SA_DUP2, .a.dup2 = {.fd = fd, .newfd = newfd}};

	return sim_rewrite(s, in, k, &rep);
}

static int sim_rewrite_chdir(struct rp_spawn *s, const struct handoff_fa *in, int k, const char *path)
{
	struct handoff_action rep = {.tag = SA_CHDIR, .a.chdir = {.path = (char *)path}};

	return sim_rewrite(s, in, k, &rep);
}

/* A chdir action to path: the child's directory as the actions left it.
 * Into the tree: the action becomes chdir(".") and the directory goes to
 * the child by handle. A relative path after a change to a real directory
 * is taken to stay real (the name of that directory is not known here). */
static int sim_chdir(struct rp_spawn *s, const struct handoff_fa *in, int k, const char *path)
{
	struct rp_at at;
	rd_fh fh;
	int rc;

	if (s->cwd_set && !s->cwd && path[0] != '/') {
		sim_cwd(s, 0, 0);
		return 0;
	}
	if (s->cwd_set && path[0] != '/') {
		rp_at_base(&at, s->cwd, path);
		rc = 1;
	} else {
		rc = rp_path(AT_FDCWD, path, &at);
	}
	if (rc < 0)
		return rc;
	if (rc == 0) { /* a real directory: glibc changes to it */
		sim_cwd(s, 0, 0);
		return 0;
	}
	for (;;) {
		rc = rd_open(rp.tree, at.base, at.path, O_PATH | O_DIRECTORY, 0, &fh);
		if (rc != -RD_EESCAPE)
			break;
		rc = rp_escape(&at); /* a symlink out of the tree: a real directory */
		if (rc < 0)
			return rc;
		if (rc == 0) {
			sim_cwd(s, 0, 0);
			return sim_rewrite_chdir(s, in, k, at.path);
		}
	}
	if (rc < 0)
		return rc;
	rc = rp_cwd_check(fh);
	if (rc < 0) {
		rd_close(rp.tree, fh);
		return rc;
	}
	sim_cwd(s, fh, 1);
	return sim_rewrite_chdir(s, in, k, ".");
}

/* An fchdir action to descriptor fd of the child's table. */
static int sim_fchdir(struct rp_spawn *s, const struct handoff_fa *in, int k, int fd)
{
	int j = sim_find(s, fd), rc;

	if (j < 0) { /* a real descriptor (or none: glibc reports EBADF) */
		sim_cwd(s, 0, 0);
		return 0;
	}
	rc = rp_cwd_check(s->fh[j]);
	if (rc < 0)
		return rc;
	sim_cwd(s, s->fh[j], 0); /* the child's reference is given with the table's */
	return sim_rewrite_chdir(s, in, k, ".");
}

/*
 * Fill s for a posix_spawn with file actions fa (may be NULL). On success
 * *fa_out is the file actions to give glibc (fa, or a rewritten copy), and
 * s holds the child's table. Returns -errno for an action that fails here
 * (a tree open), as posix_spawn would report it.
 */
int rp_spawn_prepare(struct rp_spawn *s, const posix_spawn_file_actions_t *fa,
		     const posix_spawn_file_actions_t **fa_out)
{
	const struct handoff_fa *in = (const struct handoff_fa *)fa;
	int high = rp_fd_high();

	memset(s, 0, sizeof *s - sizeof s->fa);
	*fa_out = fa;
	if (!rp.tree)
		return 0;
	rp_fd_idle_flush(); /* the child must not inherit them (fd.c) */
	for (int fd = 0; fd <= high; fd++) {
		rd_fh fh = rp_fd_get(fd);
		int fl = fh ? REAL(fcntl)(fd, F_GETFD) : -1;

		if (fl >= 0 && sim_set(s, fd, fh, fl & FD_CLOEXEC) < 0)
			break;
	}
	for (int i = 0; in && i < in->used && i < in->allocated; i++) {
		const struct handoff_action *a = &in->actions[i];
		int j;

		switch (a->tag) {
		case SA_CLOSE:
			sim_drop(s, a->a.close.fd);
			break;
		case SA_DUP2:
			j = sim_find(s, a->a.dup2.fd);
			if (j < 0)
				sim_drop(s, a->a.dup2.newfd);
			else if (sim_set(s, a->a.dup2.newfd, s->fh[j], 0) < 0)
				return -EMFILE;
			break;
		case SA_OPEN: {
			struct rp_at at;
			int fd, k = rp_path_open(AT_FDCWD, a->a.open.path, &at), rc;

			if (k <= 0) {
				sim_drop(s, a->a.open.fd);
				break;
			}
			fd = open(a->a.open.path, a->a.open.oflag | O_CLOEXEC, a->a.open.mode);
			if (fd < 0)
				return -errno;
			if (s->nopened == RP_SPAWN_OPEN_MAX) {
				close(fd);
				return -EMFILE;
			}
			s->opened[s->nopened++] = fd;
			rc = sim_rewrite_dup2(s, in, i, fd, a->a.open.fd);
			if (rc < 0)
				return rc;
			*fa_out = &s->fa;
			if (rp_fd_get(fd) && sim_set(s, a->a.open.fd, rp_fd_get(fd), 0) < 0)
				return -EMFILE;
			if (!rp_fd_get(fd))
				sim_drop(s, a->a.open.fd);
			break;
		}
		case SA_CLOSEFROM:
			for (j = s->n - 1; j >= 0; j--)
				if (s->fd[j] >= a->a.closefrom.from)
					sim_drop(s, s->fd[j]);
			break;
		case SA_CHDIR:
		case SA_FCHDIR: {
			int rc = a->tag == SA_CHDIR ? sim_chdir(s, in, i, a->a.chdir.path)
						    : sim_fchdir(s, in, i, a->a.close.fd);

			if (rc < 0)
				return rc;
			if (s->fa_made)
				*fa_out = &s->fa;
			break;
		}
		default:
			break;
		}
	}
	return 0;
}

/* The value for the spawned child: the descriptors it keeps, each with a
 * reference taken now on its behalf. 0 if there is nothing to hand over. */
size_t rp_handoff_spawn(struct rp_spawn *s, char *b, size_t size)
{
	size_t len;
	int any = 0;

	rd_fh cwd = s->cwd_set ? s->cwd : rp.cwd;

	if (!rp.tree)
		return 0;
	for (int i = 0; !any && i < s->n; i++) /* the usual case: nothing */
		any = !s->cloexec[i];
	if ((!any && !cwd) || handoff_head(b, size, &len, 's', (int)syscall(SYS_getpid)) < 0)
		return 0;
	any = 0;
	for (int i = 0; i < s->n; i++) {
		if (s->cloexec[i])
			continue;
		if (handoff_put_fd(b, size, &len, s->fd[i], s->fh[i]) < 0)
			break;
		if (rd_fh_give(rp.tree, s->fh[i], 1) == 0)
			s->ref[s->nref++] = s->fh[i];
		any = 1;
	}
	if (cwd && s->nref < RP_SPAWN_MAX && rd_fh_give(rp.tree, cwd, 1) == 0) {
		if (handoff_put_tag(b, size, &len, 'c', cwd) == 0) {
			s->ref[s->nref++] = cwd;
			any = 1;
		} else {
			rd_fh_give(rp.tree, cwd, -1);
		}
	}
	return any ? len : 0;
}

/* ---- the new image ---- */

/* Is fd a dup of the placeholder named dev:ino? */
static int handoff_is_placeholder(int fd, unsigned long long dev, unsigned long long ino)
{
	struct stat st;

	return syscall(SYS_fstat, fd, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

/* Constructor, once the tree is attached: take over what RAMDIR_FDS hands
 * this image. Returns a descriptor that is a dup of the parent's
 * placeholder (for this image to use as its own), or -1. */
RP_START int rp_handoff_adopt(const char *v)
{
	const char *p = v;
	unsigned long long pid, arena, dev, ino;
	char kind;
	int ph = -1;

	if (!v)
		return -1;
	kind = *p ? *p++ : 0;
	if (handoff_parse(&p, 10, &pid) < 0 || !handoff_skip(&p, ' ') || handoff_parse(&p, 10, &arena) < 0 ||
	    !handoff_skip(&p, ' ') || handoff_parse(&p, 10, &dev) < 0 || !handoff_skip(&p, ':') ||
	    handoff_parse(&p, 10, &ino) < 0 ||
	    !((kind == 'e' && pid == (unsigned long long)getpid()) ||
	      (kind == 's' && pid == (unsigned long long)getppid())) ||
	    arena != rp_arena_ino()) {
		unsetenv(HANDOFF_ENV);
		return -1;
	}
	while (handoff_skip(&p, ' ')) {
		unsigned long long fh, fd;

		if (handoff_skip(&p, 'x')) {
			if (handoff_parse(&p, 16, &fh) < 0)
				break;
			rd_lock_release(rp.tree, fh, (uint32_t)getpid());
			rd_close(rp.tree, fh);
		} else if (handoff_skip(&p, 'c')) {
			if (handoff_parse(&p, 16, &fh) < 0)
				break;
			if (kind == 's')
				rd_fh_take(rp.tree, fh);
			rp_cwd_adopt_fh(fh);
		} else if (handoff_parse(&p, 10, &fd) == 0 && handoff_skip(&p, '=') &&
			   handoff_parse(&p, 16, &fh) == 0) {
			if (fd <= 0x7fffffff && handoff_is_placeholder((int)fd, dev, ino) && !rp_fd_get((int)fd)) {
				if (kind == 's')
					rd_fh_take(rp.tree, fh);
				rp_fd_set((int)fd, fh);
				if (ph < 0)
					ph = (int)fd;
			} else if (kind == 's') {
				rd_fh_give(rp.tree, fh, -1);
			} else {
				rd_close(rp.tree, fh);
			}
		} else {
			break;
		}
	}
	rp_debug(RP_DBG_INIT, "adopted descriptors: %s", v);
	unsetenv(HANDOFF_ENV);
	return ph;
}

/* ---- exit ---- */

/*
 * Registered with atexit() by the constructor, which runs before the
 * program's own start-up registers anything: so this runs after every
 * other exit handler and every destructor, just before glibc's final
 * stdio flush, which it does first itself.
 */
RP_START void rp_handoff_exit(void)
{
	int high = rp_fd_high();

	/* Nothing of the tree held (no tree descriptor was ever made, so no
	 * stream on one either): nothing to flush first. glibc flushes after
	 * this anyway; calling fflush here too cost a process like /bin/true
	 * one page fault (about 3 us) for nothing. */
	if (!rp.tree || (high < 0 && !rp.cwd))
		return;
	if (rp_vf_child()) /* exit() in a vfork child: it holds nothing */
		return;
	fflush(NULL);
	for (int fd = 0; fd <= high; fd++) {
		rd_fh fh = rp_fd_get(fd) ? rp_fd_forget(fd) : 0;

		if (fh)
			rd_close(rp.tree, fh);
	}
	if (rp.cwd) {
		rd_close(rp.tree, rp.cwd);
		rp.cwd = 0;
	}
}

/*
 * Private interface of the preload library (libramdir.so): the table of
 * real libc functions, the process state, the descriptor table, path
 * classification and the one place where a core result becomes -1/errno.
 *
 * Every exported wrapper has the same shape: "is this ours? if not, call
 * the real function untouched; if so, translate, call the core, convert".
 * Internal code never calls a wrapped libc function by name: it calls
 * REAL(name) or the core.
 */
#ifndef RP_H
#define RP_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <ftw.h>
#include <glob.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include <ramdir/core.h>

#define RP_EXPORT __attribute__((visibility("default")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define RP_PATH_MAX 4096

/* ---- real functions (real.c) ---- */
struct rp_real_tab {
#define X(ret, name, params) ret(*name) params;
#include "real_io.def"
#include "real_stat.def"
#include "real_dir.def"
#include "real_ns.def"
#include "real_stdio.def"
#include "real_xattr.def"
#include "real_walk.def"
#include "real_exec.def"
#undef X
};
extern struct rp_real_tab rp_real;
void *rp_resolve_one(void **slot, const char *name);
/* The real function: resolved at its first use (real.c). */
#define REAL(name)                                                                     \
	(__builtin_expect(__atomic_load_n(&rp_real.name, __ATOMIC_ACQUIRE) != NULL, 1) \
		 ? rp_real.name                                                         \
		 : (__typeof__(rp_real.name))rp_resolve_one((void **)&rp_real.name, #name))

/*
 * RP_HOT: state that every process touches when it starts, forks or exits,
 * even one that never uses the tree (/bin/true started from a shell on
 * it). It all goes into .data, which starts on the page the loader writes
 * anyway (relocations, and the zeroing of the partial page where .bss
 * begins), instead of one fresh .bss page per variable: a first write to
 * a page is a page fault of 2.5 to 8 us here, and a spawn used to take
 * seven of them in the library's variables (DESIGN.md 9, "Start-up cost").
 * Only small objects: a big one would push the rest onto other pages.
 */
#define RP_HOT __attribute__((section(".data.rp_hot")))
/* RP_START: code every process runs at start or exit, or on nearly every
 * call (the descriptor and working-directory lookups, syscall()): placed
 * with the constructor at the front of .text, like RD_START in the core. */
#define RP_START __attribute__((section(".text.startup")))

/* ---- the start-up environment (init.c) ---- */
/* The variables the constructor reads, found in one pass over environ
 * (the first occurrence of a name counts, as for getenv; NULL: absent). The
 * first RP_ENV_PASSED are the ones exec passes on to new images (exec.c). */
enum {
	RP_ENV_ARENA, RP_ENV_PREFIX, RP_ENV_QUOTA, RP_ENV_MAX_NODES, RP_ENV_GUARD, RP_ENV_DEBUG,
	RP_ENV_PRELOAD, RP_ENV_PASSED = RP_ENV_PRELOAD + 1,
	RP_ENV_FDS = RP_ENV_PASSED, RP_ENV_CWD, RP_ENV_CWD_PWD, RP_ENV_PWD, RP_ENV_N
};
/* exec.c: keep copies of the passed-on values (env[0 .. RP_ENV_PASSED)). */
void rp_exec_capture(const char *const env[RP_ENV_N]);

/* ---- process state (init.c) ---- */
/* Every field is written at start-up (RP_HOT). */
struct rp_state {
	rd_tree *tree;          /* NULL: the library is inert (no prefix) */
	rd_fh cwd;              /* working directory inside the tree, 0 if outside */
	int placeholder;        /* O_PATH descriptor every tree descriptor dups; -1
	                           until the first one is made (rp_placeholder) */
	int arena_fd;           /* the inheritable arena descriptor children join by */
	unsigned long long arena_ino; /* the arena memfd's inode (handoff.c) */
	unsigned debug;         /* RAMDIR_DEBUG categories */
	/* RAMDIR_ARENA naming this tree is arena_head then rp_pfx.list
	 * (exec.c): "<fd>:<quota>:<max nodes>:" here, the list kept once. */
	char arena_head[64];
};
extern struct rp_state rp;
/* The placeholder descriptor, made at the first call: -1 (errno) if it
 * cannot be. */
int rp_placeholder(void);

enum { RP_DBG_CALLS = 1, RP_DBG_PATH = 2, RP_DBG_FD = 4, RP_DBG_INIT = 8 };
void rp_debug_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A trace line if category cat is on; the test is inline so that a call
 * site costs no call (and no page of code) while tracing is off. */
#define rp_debug(cat, ...)                              \
	do {                                            \
		if (unlikely(rp.debug & (cat)))         \
			rp_debug_line(__VA_ARGS__);     \
	} while (0)

/* ---- the single core-result to -1/errno conversion ---- */
static inline long rp_ret(long rc)
{
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	return rc;
}

/* ---- descriptor table (fd.c) ---- */
/* A table entry is the open tree file's handle (16-byte aligned) with
 * these bits in the low ones. */
#define RP_FD_IDLE 1ull    /* closed to the program, kept open for the next tree open */
#define RP_FD_CLOEXEC 2ull /* the kernel's close-on-exec flag (with KNOWN or IDLE) */
#define RP_FD_KNOWN 4ull   /* made by rp_fd_install, flags as recorded: may go idle */
#define RP_FD_BITS 15ull
/* The open tree file behind a descriptor, 0 if it is not a tree file. */
rd_fh rp_fd_get(int fd);
/* The whole entry (0: not the library's; RP_FD_IDLE: closed, EBADF). */
uint64_t rp_fd_entry(int fd);
/* Is fd idle: closed to the program, so every call on it says EBADF? */
int rp_fd_idle(int fd);
/* close(): 1 = fd went idle (no close system call), 0 = close it for
 * real, -EBADF = idle already. *fh: the tree file to close, or 0. */
int rp_fd_close(int fd, rd_fh *fh);
/* A descriptor is being closed by a path other than close() (fclose,
 * closedir, close_range): the lowest-free bound must know. */
void rp_fd_closed_real(int fd);
/* fd's close-on-exec flag changed (F_SETFD, FIOCLEX): it may not go idle. */
void rp_fd_flags_changed(int fd);
/* Close every idle descriptor for real: before a call makes a descriptor
 * the kernel numbers (it must get the lowest free) and before an exec
 * (the new image must not inherit them). One load when there is none. */
void rp_fd_idle_flush_all(void);
extern uint64_t rp_fd_idle_mask;
static inline void rp_fd_idle_flush(void)
{
	if (unlikely(__atomic_load_n(&rp_fd_idle_mask, __ATOMIC_RELAXED)))
		rp_fd_idle_flush_all();
}
/* A new descriptor (lowest free, like open) standing for fh, which it then
 * owns. Returns the descriptor or -errno (fh is closed on failure). */
int rp_fd_install(rd_fh fh, int cloexec);
/* fdlink.c: the open tree file a magic link (/dev/fd/N, /dev/stdout,
 * /proc/self/fd/N) names, 0 if the path is not one or not to a tree file.
 * Inline for the first characters: every open and stat outside the tree
 * asks, and all but /d... and /p... leave here without a call. */
rd_fh rp_fdlink_named(const char *path);
static inline rd_fh rp_fdlink(const char *path)
{
	if (!path || path[0] != '/' || (path[1] != 'd' && path[1] != 'p'))
		return 0;
	return rp_fdlink_named(path);
}
/* The highest descriptor the table has ever held (for walks over it). */
int rp_fd_high(void);
/* Is fd one of the library's own descriptors (arena, placeholder), which
 * the program must not close or replace? */
int rp_fd_private(int fd);

/* ---- handoff.c: open tree files across exec, spawn and exit ---- */
#define RP_SPAWN_MAX 256     /* tree descriptors handed to a spawned child */
#define RP_SPAWN_OPEN_MAX 8  /* tree opens among one spawn's file actions */
struct rp_spawn {            /* the child's table, worked out in the parent */
	int n, nopened, nref, fa_made;
	int fd[RP_SPAWN_MAX];
	rd_fh fh[RP_SPAWN_MAX];
	char cloexec[RP_SPAWN_MAX];
	int opened[RP_SPAWN_OPEN_MAX];
	rd_fh ref[RP_SPAWN_MAX];
	int cwd_set;                 /* a chdir action ran: the child's directory is */
	rd_fh cwd;                   /* this tree directory, or 0 for a real one */
	int cwd_own;                 /* cwd is a reference this record holds */
	posix_spawn_file_actions_t fa; /* last: rewritten file actions */
};
size_t rp_handoff_exec(char *b, size_t size);
int rp_spawn_prepare(struct rp_spawn *s, const posix_spawn_file_actions_t *fa,
		     const posix_spawn_file_actions_t **fa_out);
size_t rp_handoff_spawn(struct rp_spawn *s, char *b, size_t size);
void rp_spawn_done(struct rp_spawn *s, int spawned);
int rp_handoff_adopt(const char *fds);
/* The arena memfd's inode: names this tree among others (asked once). */
unsigned long long rp_arena_ino(void);
void rp_handoff_exit(void);
/* Forget fd's tree file (returns it, 0 if none); the caller closes it. */
rd_fh rp_fd_forget(int fd);
/* Record that descriptor fd (already made by dup) also stands for fh. */
void rp_fd_set(int fd, rd_fh fh);
/* After fork in the child: every inherited tree descriptor is one more
 * reference to its open file. */
/* fork (fork.c): references for the child, taken in the parent. */
struct rp_forkent {
	int fd;
	rd_fh fh;
};
struct rp_forksnap {
	struct rp_forkent *ent; /* ascending fd */
	size_t n, cap;
	rd_fh cwd;
};
void rp_fd_fork_prepare(struct rp_forksnap *s);
void rp_fd_fork_parent(struct rp_forksnap *s, int failed);
void rp_fd_fork_child(struct rp_forksnap *s);
/* mmap.c: after a fork, in the parent (failed: give back the references
 * taken for the child). */
void rp_map_fork_done(int failed);

/* ---- vfork (vfork.c): the child's overlay ---- */
/* Non-NULL while this is the child of a vfork under way: wrappers then
 * change the overlay, never the parent's state. One load while no vfork
 * is under way, and in threads that did not start one. */
struct rp_vf;
extern int rp_vf_on;
struct rp_vf *rp_vf_check(void);
static inline struct rp_vf *rp_vf_child(void)
{
	return unlikely(__atomic_load_n(&rp_vf_on, __ATOMIC_ACQUIRE) != 0) ? rp_vf_check() : NULL;
}
int rp_vf_fd(struct rp_vf *vf, int fd, rd_fh *fh);
void rp_vf_fd_set(struct rp_vf *vf, int fd, rd_fh fh);
int rp_vf_close_range(struct rp_vf *vf, unsigned lo, unsigned hi);
int rp_vf_high(struct rp_vf *vf);
void rp_vf_own(struct rp_vf *vf, rd_fh fh);
int rp_vf_cwd(struct rp_vf *vf, rd_fh *fh);
void rp_vf_set_cwd(struct rp_vf *vf, rd_fh fh);
pid_t rp_vf_parent(struct rp_vf *vf);
int rp_vf_give(struct rp_vf *vf, rd_fh fh);
void rp_vf_exec_failed(struct rp_vf *vf);
void rp_vf_forked(void);
/* handoff.c: RAMDIR_FDS for an exec from the vfork child. */
size_t rp_handoff_vfork(struct rp_vf *vf, char *b, size_t size);
/* cwd.c: the working directory in the tree (the child's own in a vfork
 * child), 0 if outside. */
rd_fh rp_cwd_fh(void);

/* ---- standard streams on tree descriptors (stdstream.c) ---- */
/* A tree file was put on descriptor 0, 1 or 2 / is about to leave it. */
void rp_std_bind(int fd);
void rp_std_unbind(int fd);
/* The descriptor of one of our standard streams, -1 for any other FILE. */
int rp_std_fileno(FILE *fp);

/* ---- mount tables (mounts.c) ---- */
/* fopen for a real path: a mount table read gets the prefix's line added;
 * anything else goes to real_fopen. */
FILE *rp_mounts_fopen(const char *file, const char *mode, FILE *(*real_fopen)(const char *, const char *));

/* ---- paths (path.c) ---- */
/* The real working directory changed (a real chdir): ask again at need. */
void rp_cwd_refresh(void);
/* Start-up: take over a tree working directory the parent had (cwd.c). */
void rp_cwd_adopt(const char *const env[RP_ENV_N]);
void rp_cwd_adopt_fh(rd_fh fh);
/* For exec: 1 and the working directory's absolute name if it is in the
 * tree, 0 if it is not, -1 if it cannot be named (removed). */
int rp_cwd_name(char *buf, size_t size);
/* The same for tree directory fh (0: outside the tree). */
int rp_cwd_name_of(rd_fh fh, char *buf, size_t size);
/* chdir(2)'s checks on an open tree file (a directory we may search):
 * 0 or -errno. */
int rp_cwd_check(rd_fh fh);
struct rp_at {
	rd_fh base;             /* core base directory */
	const char *path;       /* tree path (relative to base, or absolute) */
	int hops;               /* symlinks followed across escapes */
	int self;               /* rp_path_open: a magic link to open file `base` */
	char buf[RP_PATH_MAX];
};
/* Classify (dirfd, path). 1: ours, `at` filled; 0: not ours, call the real
 * function with the original arguments; <0: -errno. errno is untouched. */
int rp_path(int dirfd, const char *path, struct rp_at *at);
/* rp_path for an open: a magic link to a tree descriptor (rp_fdlink) is
 * ours too, with at->self set, at->base the open file, at->path "". */
int rp_path_open(int dirfd, const char *path, struct rp_at *at);
/* After the core returned -RD_EESCAPE for `at`: 1 if the continuation is in
 * the tree again (`at` updated), 0 if it is a real path (in at->path, to
 * be used with AT_FDCWD), <0 -errno (ELOOP). */
int rp_escape(struct rp_at *at);
/* `at` for path relative to tree directory base (no rp_path needed). */
void rp_at_base(struct rp_at *at, rd_fh base, const char *path);

/* ---- prefixes (prefix.c) ---- */
/* RAMDIR_PREFIX: one directory, the tree root; or up to RP_MAX_PREFIXES,
 * prefix k being the tree's mount root "/k" (one hex digit). */
#define RP_MAX_PREFIXES RD_MAX_ROOTS
struct rp_prefixes {
	int n;                        /* prefixes; 0: none parsed */
	struct {
		uint32_t off, len;    /* in paths */
		uint32_t parent;      /* length of its parent's name, 0 for "/" */
	} at[RP_MAX_PREFIXES];
	const char *list;             /* normalised, ':'-joined: what RAMDIR_ARENA carries */
	/* The prefixes, each NUL-terminated, and right after them the list:
	 * in `small` (RP_HOT, with the rest of this) unless RAMDIR_PREFIX is
	 * long, then in a bss buffer of 2 * RP_PATH_MAX (prefix.c). */
	char *paths;
	char small[384];
	uint32_t second[8];           /* bit c: some prefix's second character is c */
};
extern struct rp_prefixes rp_pfx;
/* Can absolute path abs be a prefix or below one? 0 rules it out with one
 * load, before any call: how every call outside the tree leaves. */
static inline int rp_prefix_may(const char *abs)
{
	unsigned char c = (unsigned char)abs[1];

	return (rp_pfx.second[c >> 5] >> (c & 31)) & 1;
}
/* Parse and check the list (also sets rp.prefix to the first); -1 and a
 * one-line reason naming RAMDIR_PREFIX in err if it cannot be used. */
int rp_prefix_parse(const char *val, char *err, size_t errlen);
/* Which prefix an absolute path is or is below: k, or -1. */
int rp_prefix_match(const char *abs);
/* Is some prefix strictly below directory dir (length dlen, no trailing /)? */
int rp_prefix_below(const char *dir, size_t dlen);
/* The tree path of abs, which is or is below prefix k: with one prefix a
 * pointer into abs, else "/k..." built in buf (abs may be buf itself).
 * NULL if it does not fit in size. */
const char *rp_prefix_tree(const char *abs, int k, char *buf, size_t size);
/* The user's name of a tree path (rd_fh_path) in buf: its length + 1, or
 * -ERANGE, or -ENOENT if no prefix names it (the tree's own root). */
int rp_prefix_user(const char *tree, char *buf, size_t size);
/* The real directory holding prefix k ("/" at the top) in buf; its length. */
size_t rp_prefix_parent(int k, char *buf, size_t size);
int rp_prefix_count(void);
const char *rp_prefix_path(int k, size_t *len);

/*
 * RP_PATHCALL: the body of a path wrapper. CORE is the core call using
 * at.base and at.path; REALCALL is the libc call using rp_dirfd and
 * rp_pathname (the original arguments, or AT_FDCWD and the real path an
 * escape led to). TYPE is the wrapper's return type.
 */
#define RP_PATHCALL(TYPE, DIRFD, PATH, CORE, REALCALL)                          \
	do {                                                                    \
		struct rp_at at;                                                \
		int rp_dirfd = (DIRFD);                                         \
		const char *rp_pathname = (PATH);                               \
		int rp_k = rp_path(rp_dirfd, rp_pathname, &at);                 \
		while (rp_k > 0) {                                              \
			long rp_rc = (long)(CORE);                              \
			if (rp_rc != -RD_EESCAPE)                               \
				return (TYPE)rp_ret(rp_rc);                     \
			rp_k = rp_escape(&at);                                  \
			rp_dirfd = AT_FDCWD;                                    \
			rp_pathname = at.path;                                  \
		}                                                               \
		if (rp_k < 0)                                                   \
			return (TYPE)rp_ret(rp_k);                              \
		(void)rp_dirfd;                                                 \
		return REALCALL;                                                \
	} while (0)

/* RP_SPACE: a core call that may need memory, tried once more when it
 * ran out and giving back the references of processes that died without
 * closing freed something (their unlinked files' pages). It changed
 * nothing when it failed, so the retry is the same call. */
#define RP_SPACE(expr)                                                   \
	({                                                               \
		long rp_r = (long)(expr);                                \
		if (rp_r == -ENOSPC && rd_reap(rp.tree) > 0)             \
			rp_r = (long)(expr);                             \
		rp_r;                                                    \
	})

/* RP_FDCALL: the body of a descriptor wrapper. CORE uses `fh`. */
#define RP_FDCALL(TYPE, FD, CORE, REALCALL)                                     \
	do {                                                                    \
		uint64_t rp_e = rp_fd_entry(FD);                                \
		rd_fh fh = rp_e & ~RP_FD_BITS;                                  \
		if (!fh) {                                                      \
			if (unlikely(rp_e & RP_FD_IDLE))                        \
				return (TYPE)rp_ret(-EBADF);                    \
			return REALCALL;                                        \
		}                                                               \
		return (TYPE)rp_ret((long)(CORE));                              \
	} while (0)

#endif

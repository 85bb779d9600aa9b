/*
 * Private declarations shared by the core's modules: the arena layout, the
 * on-arena structures and the internal functions each module provides.
 *
 * Every reference stored in the arena is a byte offset from the arena base
 * (0 = none), so the same tree can be mapped at a different address in every
 * process. OFF2P turns an offset into a pointer for this process only.
 * Everything here is called with the tree lock held unless it says otherwise.
 */
#ifndef RD_INTERNAL_H
#define RD_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <ramdir/core.h>

#include "guard.h"

/* RD_HOT: the few process-local variables every process touches at start
 * or exit; kept together in .data, on a page the loader dirties anyway,
 * rather than a fresh .bss page each (a page fault each, 2.5 to 8 us: a
 * process started on a tree pays it whether or not it uses the tree). */
#define RD_HOT __attribute__((section(".data.rd_hot")))
/* RD_START: code every process on a tree runs at start or exit, attach
 * included. It goes with the constructors into .text.startup, which the
 * linker puts at the front of .text, in the 64 KiB the loader's first read
 * of the headers already maps (fault-around), instead of a page fault and
 * sixteen more pages mapped and unmapped for each stretch of .text it
 * lies in (DESIGN.md 9, "Start-up cost"). */
#define RD_START __attribute__((section(".text.startup")))

#define RD_PAGE 4096u
#define RD_PAGE_SHIFT 12
/* "RAMDIR04": 02 since the lookup generations, which every process on an
 * arena must move (a build without them would leave others' caches stale);
 * 03 since PG_FRESH pages, which a recovery by an older build would not
 * zero; 04 since the warm list's hot part (alloc.c), which an older build
 * would not keep in order. */
#define RD_MAGIC 0x52414d4449523034ull
#define RD_NAME_MAX 255
#define RD_PATH_MAX 4096
#define RD_SYMLOOP_MAX 40
#define RD_INLINE_MAX 2016u     /* files up to this size live in one slab object */
#define RD_SHORT_SYMLINK 128u   /* tmpfs keeps shorter targets in the inode: 0 blocks */
#define RD_POPULATE_BATCH 64u   /* pages pre-faulted at once from fresh memory */
#define RD_POPULATE_FIRST 4u    /* ... at first: batches double from this one */
#define RD_WARM_MAX_PAGES 8192u /* free pages always kept populated (32 MiB) */
#define RD_WARM_IDLE_NS 1000000000ull /* more kept while reused: punched after 1 s idle */
#define RD_HOT_AGE 2048u        /* a page freed within this many page allocations of
				 * its own is taken to be still in the cache (8 MiB) */

#define OFF2P(t, off) ((void *)((t)->base + (off)))
#define P2OFF(t, p) ((uint64_t)((const uint8_t *)(p) - (t)->base))
#define SUPER(t) ((struct rd_super *)(t)->base)

/* Page types, one byte per allocatable page in the side table. */
/* PG_NEW marks data pages allocated by a write still in progress, so that a
 * write that runs out of quota can give back exactly those. PG_FRESH is a
 * PG_NEW page that is not in memory yet (never used, or punched) and that
 * the write overwrites whole: it is filled with pwrite(2) on the memfd
 * instead of a fault and a copy (data.c). */
/* PG_STALE is a PG_NEW page that is in memory but most likely not in the
 * cache: the write fills it with non-temporal stores (copy.c). */
enum { PG_FREE = 0, PG_DATA = 1, PG_SLAB = 2, PG_COLD = 3, PG_NEW = 4, PG_FRESH = 5, PG_STALE = 6 };
#define PG_IS_NEW(type) ((type) >= PG_NEW)
#define RD_MAX_FILE ((uint64_t)INT64_MAX) /* as tmpfs: holes cost nothing */

#define RD_NCLASS 14

/* The superblock: page 0 of the arena. Fields below `lock` are protected by
 * it; the geometry above it is written once at creation. */
struct rd_super {
	uint64_t magic;
	uint64_t arena_size;   /* bytes mapped by every process */
	uint64_t npages;       /* allocatable pages */
	uint64_t next_tab;     /* offset of uint32_t next-free links, one per page */
	uint64_t type_tab;     /* offset of uint8_t page types, one per page */
	uint64_t pages_start;  /* offset of allocatable page 0 */
	uint64_t quota;
	uint64_t quota_pages;
	uint64_t max_nodes;

	pthread_mutex_t lock;  /* robust, process-shared: see tree_lock() */

	/* page allocator */
	uint64_t bump;         /* pages never handed out start here (index) */
	uint64_t populated;    /* pages below this index were pre-faulted */
	uint32_t warm_head;    /* free pages still populated: index+1, 0 = none */
	uint32_t cold_head;    /* free pages given back to the kernel */
	uint64_t warm_count, cold_count;
	uint32_t warm_tail;    /* last page of the warm list: index+1, 0 = none */
	uint32_t page_clock;   /* pages handed out so far, modulo 2^32 */
	uint64_t warm_hot;     /* the first warm_hot warm pages are likely cached */
	uint64_t warm_used_ns; /* CLOCK_MONOTONIC when warm pages beyond
				* RD_WARM_MAX_PAGES were last taken or given */
	uint64_t slab_partial[RD_NCLASS]; /* slab pages with a free slot (offset) */

	/* accounting */
	uint64_t pages_used;   /* data + slab pages: what the quota counts */
	uint64_t pages_peak;
	uint64_t pages_baseline;
	uint64_t data_pages;
	uint64_t nodes;
	uint64_t next_ino;
	uint64_t root;         /* root directory node */
	uint32_t nroots;       /* mount roots below root (roots.c); 0: root is the only one */
	uint32_t pad_roots;
	uint64_t ofiles;       /* list of open-file objects (a GC root) */
	uint64_t nofiles;
	uint64_t nmapped;      /* open-file objects that are shared mappings */
	uint64_t reap_mark;    /* rd_reap_due() when nofiles passes it (holder.c) */
	uint64_t locks;        /* advisory lock records: list of rd_lockfile (lock.c), a GC root */
	uint64_t nlocks;       /* rd_lock records in it */

	struct rd_guard_state guard;

	/* statistics */
	uint64_t files_created, dirs_created, symlinks_created;
	uint64_t bytes_written, bytes_read;
	uint64_t quota_refusals, ops, recoveries;

	/* Lookup generations and the seqlock (arena.c; docs/DESIGN.md 12).
	 * Written only by lock holders, read by anyone at any time. In a
	 * cache line of their own: the lock-free readers load them on every
	 * call, and should not share a line with the counters every holder
	 * writes. */
	uint64_t seq __attribute__((aligned(64))); /* odd while the lock is held */
	uint64_t gen[2];       /* [GEN_NEG]: moves with every namespace change;
				* [GEN_POS]: the same except adding a name */
};

/* A slab page starts with this header; objects of one class follow. */
struct rd_slab {
	uint64_t next, prev;   /* partial list of the class */
	uint32_t cls, nfree;
	uint64_t live[4];      /* one bit per slot in use */
	uint64_t pad;
};
#define RD_SLAB_HDR 64u

/* A sparse array of uint64 keyed by uint64: 64-way radix of 512-byte nodes.
 * File page maps and directory indexes are both this. */
struct rd_radix {
	uint64_t root;         /* node offset | height (offsets are 64-aligned), so
				* one store publishes both; 0 = empty */
	uint32_t aux;          /* owner's use (inline capacity for files) */
	uint32_t aux2;         /* owner's use (log2 of bucket count for dir hashes) */
};
#define RADIX_HMASK 63ull
#define RD_RADIX_FAN 64u
#define RD_RADIX_SHIFT 6

struct rd_ts {
	int64_t sec;
	uint32_t nsec;
	uint32_t pad;
};

/* A node: file, directory or symlink. 96 bytes. */
struct rd_node {
	uint32_t mode, nlink;
	uint32_t uid, gid;
	uint64_t ino;
	uint64_t size;         /* bytes; symlink: target length; dir: tmpfs-style 40+20/entry */
	int64_t atime, mtime, ctime;
	uint32_t atime_ns, mtime_ns, ctime_ns;
	uint32_t opens;        /* open-file objects on this node */
	int64_t btime;         /* creation (statx birth time) */
	uint32_t btime_ns, pad;
	struct rd_radix map;   /* file: pages (or inline buffer, map.aux = capacity) */
	uint64_t ext;          /* dir: struct rd_dirx; symlink: target; file: data pages */
};

/* Directory extension (64 bytes). */
struct rd_dirx {
	uint64_t parent;       /* parent node (root: itself) */
	uint64_t self;         /* our dirent in the parent, 0 for root / removed */
	uint64_t entries;
	uint64_t next_cookie;  /* next readdir position to hand out */
	struct rd_radix hash;  /* bucket -> first dirent; hash.aux2 = log2(buckets) */
	struct rd_radix cookies; /* cookie -> dirent (readdir order) */
};

/* A directory entry. The name follows the header. */
struct rd_dirent {
	uint64_t hnext;        /* hash chain */
	uint64_t node;
	uint64_t cookie;       /* readdir position, never reused while entries exist */
	uint32_t hash;
	uint16_t namelen;
	uint8_t type;          /* DT_* */
	char name[];
};
#define RD_DIRENT_HDR 31u

/* An open file (48 bytes): shared by dup and fork. */
#define RD_OFILE_MAGIC 0x4f46494cu
struct rd_ofile {
	uint32_t magic;
	uint32_t refs;
	uint32_t flags;
	uint32_t mapping;      /* 1: stands for shared mappings (map.c), pins pages */
	uint64_t node;
	uint64_t pos;          /* dirs: the next readdir cookie */
	uint64_t next, prev;   /* list of all open files */
	uint32_t hpid[2];      /* processes known to hold references (holder.c) */
	uint32_t hcnt[2];      /* how many of `refs` each holds (0: slot free) */
};

/* Per-process handle. */
struct rd_tree {
	uint8_t *base;
	uint64_t size;
	int fd;                /* memfd, -1 for a private arena */
	uid_t uid;
	gid_t gid;
	mode_t umask;
	int ngroups;
	gid_t groups[32];
	uint32_t pid;          /* process references are taken for (0: not ledgered) */
	uint32_t nroots;       /* mount roots, read with the superblock at attach; 0: unknown */
};

/* ---- arena.c ---- */
/* tree_lock() is for an operation that may change what some path resolves
 * to: it moves both lookup generations. tree_lock_ro() is for one that
 * cannot (I/O, open of an existing file, close, stat); if it adds a name
 * after all (open with O_CREAT), it calls tree_ns_added(). */
void tree_lock(rd_tree *t);
void tree_lock_ro(rd_tree *t);
void tree_ns_added(rd_tree *t);
void tree_unlock(rd_tree *t);
enum { GEN_NEG = 0, GEN_POS = 1 };
/* The generations, if the caller holds the lock read-only and has not added
 * a name: 1 and gen[] filled; else 0 (the lookup cache must not be used). */
int tree_lookup_gen(rd_tree *t, uint64_t gen[2]);
/* Seqlock reader, without the lock: tree_read_begin() gives the sequence
 * (odd: a holder is active, give up) and the generations; after reading,
 * tree_read_ok() says whether no holder ran meanwhile in any process.
 * Everything read in between may be torn: bounds-check every offset, chase
 * nothing, trust nothing until tree_read_ok(). */
uint64_t tree_read_begin(rd_tree *t, uint64_t gen[2]);
int tree_read_ok(rd_tree *t, uint64_t seq);
void arena_punch(rd_tree *t, uint64_t off, uint64_t len);
void arena_populate(rd_tree *t, uint64_t off, uint64_t len);
/* Copy len bytes from src into the arena at off with pwrite(2) on the
 * memfd; returns the bytes written (short or 0 on an error: the caller
 * copies the rest through the mapping). */
size_t arena_fill(rd_tree *t, uint64_t off, const void *src, size_t len);

/* ---- alloc.c ---- */
static inline uint8_t *page_types(rd_tree *t)
{
	return (uint8_t *)OFF2P(t, SUPER(t)->type_tab);
}
static inline uint64_t page_off(rd_tree *t, uint64_t idx)
{
	return SUPER(t)->pages_start + (idx << RD_PAGE_SHIFT);
}
static inline uint64_t page_idx(rd_tree *t, uint64_t off)
{
	return (off - SUPER(t)->pages_start) >> RD_PAGE_SHIFT;
}
int page_alloc(rd_tree *t, uint64_t *off);   /* not zeroed */
/* For a page the caller overwrites whole: returns PAGE_FRESH if it is not in
 * memory (fill it with arena_fill, no fault), PAGE_STALE if it is but has
 * likely left the cache (copy with copy_page_nt), PAGE_CACHED (copy into
 * it), or -errno. */
enum { PAGE_CACHED = 0, PAGE_FRESH = 1, PAGE_STALE = 2 };
int page_alloc_fill(rd_tree *t, uint64_t *off);
/* Give back a page page_alloc_fill() returned PAGE_FRESH for, never filled. */
void page_free_unfilled(rd_tree *t, uint64_t off);
int page_alloc_zero(rd_tree *t, uint64_t *off);
void page_free(rd_tree *t, uint64_t off);
void copy_page_nt(void *dst, const void *src); /* RD_PAGE bytes, dst aligned (copy.c) */
int obj_alloc(rd_tree *t, size_t size, uint64_t *off); /* zeroed */
void obj_free(rd_tree *t, uint64_t off);
size_t obj_class_size(size_t size);          /* 0 if too large for a slab */
size_t obj_size(rd_tree *t, uint64_t off);   /* capacity of an allocated object */
int obj_is_live_dir(rd_tree *t, uint64_t off); /* a node object, allocated, S_IFDIR */
int quota_refuse(rd_tree *t);                /* counts a refusal, returns -ENOSPC */
void alloc_op_end(rd_tree *t);               /* tree_unlock(): decay, deferred punches */
void alloc_rebuild(rd_tree *t);              /* after a GC mark (check.c) */
extern const uint16_t rd_class_size[RD_NCLASS];

/* ---- radix.c ---- */
uint64_t radix_get(rd_tree *t, const struct rd_radix *r, uint64_t idx);
int radix_set(rd_tree *t, struct rd_radix *r, uint64_t idx, uint64_t val);
void radix_clear(rd_tree *t, struct rd_radix *r, uint64_t idx);
/* Where idx's value lives, nodes made as needed (NULL: no memory). The
 * caller stores a non-zero value there at once (an empty node is never
 * kept); the pointer stays good until a node on the path is freed. Not for
 * a map that may hold a page directly (file maps). */
uint64_t *radix_slot(rd_tree *t, struct rd_radix *r, uint64_t idx);
/* First non-zero slot at index >= *idx: returns its value and stores its index. */
uint64_t radix_next(rd_tree *t, const struct rd_radix *r, uint64_t *idx);
/* After a rollback: shrink back to the height the map had (0: direct page). */
void radix_restore_height(rd_tree *t, struct rd_radix *r, uint32_t height);
/* Last non-zero slot at index <= *idx: returns its value and stores its index. */
uint64_t radix_prev(rd_tree *t, const struct rd_radix *r, uint64_t *idx);
/* Free every interior node, calling fn (may be NULL) on every value. */
void radix_destroy(rd_tree *t, struct rd_radix *r, void (*fn)(rd_tree *, uint64_t));
/* GC: mark interior nodes and call fn on every value. */
void radix_walk_nodes(rd_tree *t, const struct rd_radix *r, void (*node_fn)(rd_tree *, uint64_t),
		      void (*val_fn)(rd_tree *, uint64_t, void *), void *arg);

/* ---- node.c ---- */
int node_new(rd_tree *t, mode_t mode, uint64_t *out);   /* nlink 0, charged */
void node_free(rd_tree *t, uint64_t n);                 /* data, ext and node */
void node_maybe_free(rd_tree *t, uint64_t n);           /* if no links and no opens */
void node_now(struct rd_ts *ts);
void node_touch(struct rd_node *n, int a, int m, int c);
void node_stat(rd_tree *t, const struct rd_node *n, struct stat *st);
int node_perm(rd_tree *t, const struct rd_node *n, int want); /* 4 R, 2 W, 1 X */
int node_is_owner(rd_tree *t, const struct rd_node *n);
int node_sticky_ok(rd_tree *t, const struct rd_node *dir, const struct rd_node *victim);
unsigned node_dtype(uint32_t mode);
void node_atime_read(struct rd_node *n);                /* relatime rule */

/* ---- dir.c ---- */
int dir_init(rd_tree *t, uint64_t node, uint64_t parent);
uint64_t dir_lookup(rd_tree *t, struct rd_node *dir, const char *name, size_t len);
int dir_add(rd_tree *t, struct rd_node *dir, const char *name, size_t len, uint64_t node, uint64_t *dent);
void dir_remove(rd_tree *t, struct rd_node *dir, uint64_t dent);
/* Readdir: the entry at directory position *pos (>= RD_COOKIE_FIRST), or
 * the next one after it; *pos becomes that entry's position. 0 at the end.
 * dir_pos_after() is the position that follows an entry. */
uint64_t dir_next(rd_tree *t, struct rd_node *dir, uint64_t *pos);
uint64_t dir_pos_after(uint64_t pos);
void dir_update_size(struct rd_node *dir, struct rd_dirx *x);
void dir_rebuild_hash(rd_tree *t, struct rd_dirx *x);
static inline struct rd_dirx *dirx(rd_tree *t, const struct rd_node *n)
{
	return (struct rd_dirx *)OFF2P(t, n->ext);
}
#define RD_COOKIE_FIRST 2u /* 0 and 1 are "." and ".." */

/* ---- data.c ---- */
ssize_t data_read(rd_tree *t, struct rd_node *n, void *buf, size_t len, uint64_t off);
ssize_t data_write(rd_tree *t, struct rd_node *n, const void *buf, size_t len, uint64_t off);
ssize_t data_writev(rd_tree *t, struct rd_node *n, const struct iovec *iov, int cnt, uint64_t off);
int data_truncate(rd_tree *t, struct rd_node *n, uint64_t len);
int data_allocate(rd_tree *t, struct rd_node *n, uint64_t off, uint64_t len);
void data_punch(rd_tree *t, struct rd_node *n, uint64_t off, uint64_t len);
int64_t data_seek(rd_tree *t, struct rd_node *n, uint64_t off, int hole);
void data_free(rd_tree *t, struct rd_node *n);
void data_trim_eof(rd_tree *t, struct rd_node *n); /* recovery: drop what lies past EOF */
uint64_t data_blocks(const struct rd_node *n);
int data_materialize(rd_tree *t, struct rd_node *n, uint64_t off, uint64_t end);

/* ---- map.c ---- */
/* A node with a shared mapping somewhere keeps every page it has: a page
 * leaving the file is zeroed instead of freed (see map.c). */
int map_pinned(rd_tree *t, const struct rd_node *n);

/* ---- path.c ---- */
enum {
	WALK_FOLLOW = 1,     /* follow a symlink in the final component */
	WALK_PARENT = 2,     /* stop at the parent; final may be missing; a
			      * trailing slash is reported, not acted on */
	WALK_EMPTY_OK = 4,   /* "" names the base (AT_EMPTY_PATH) */
};
struct walk {
	uint64_t dir;        /* node containing the final component (WALK_PARENT) */
	uint64_t node;       /* the final node, 0 if it does not exist */
	uint64_t dent;       /* its dirent in dir, 0 for "." "..", root or base */
	const char *name;    /* final component (into path or scratch) */
	size_t namelen;
	int trailing_slash;
	int dotdot;          /* final component is "." or ".." */
	int hops;
	char scratch[RD_PATH_MAX + 1]; /* symlink target + rest of the path */
};
int path_walk(rd_tree *t, rd_fh base, const char *path, int flags, struct walk *w);
/* The walk itself from node cur (path not empty, shorter than RD_PATH_MAX):
 * what path_walk() does once the base is known, never from the cache. */
int path_resolve(rd_tree *t, uint64_t cur, const char *path, size_t plen, int flags, struct walk *w);
int path_escape(const char *path, enum rd_escape_kind kind, int hops);

/* ---- roots.c: mount roots of a tree made for several prefixes ---- */
int roots_make(rd_tree *t, unsigned n);                 /* at creation */
int roots_mount(rd_tree *t, uint64_t dir);              /* dir's root index, -1: not a mount root */
int roots_escape(const char *rest, int root, int hops); /* ".." left mount root `root` */
int roots_may_create(rd_tree *t, uint64_t dir);         /* -EPERM beside the mount roots */
int roots_check_move(rd_tree *t, uint64_t odir, uint64_t ndir); /* -EXDEV between two roots */

/* ---- lookup.c ---- */
/* path_walk() through the per-process lookup cache (path from node cur as
 * for path_resolve()); falls back to path_resolve() whenever it may not. */
int lookup_walk(rd_tree *t, uint64_t cur, const char *path, size_t plen, int flags, struct walk *w);
/* rd_stat() as a seqlock reader, answered from the cache without the lock:
 * 0 or a negative errno, or LOOKUP_MISS (take the lock). wflags: WALK_*. */
#define LOOKUP_MISS 1
int lookup_stat_fast(rd_tree *t, rd_fh base, const char *path, int wflags, struct stat *st);
/* The cache of t is void: t is closing or its credentials changed. Without
 * the lock. */
void lookup_forget(rd_tree *t);

/* ---- ofile.c ---- */
/* NULL if not a live handle; bounds-checked, so a seqlock reader may call it
 * on a handle that is being freed (its answer is then checked). */
struct rd_ofile *ofile_get(rd_tree *t, rd_fh fh);
int ofile_new(rd_tree *t, uint64_t node, int flags, rd_fh *out);

/* ---- holder.c ---- */
/* The ledger of which process holds an open file's references (at most
 * two per open file; others hold theirs unledgered). Invariant: an open
 * file's ledgered counts add up to at most its refs, and a process's count
 * is never more than it holds, so releasing a dead process's count never
 * takes a reference someone still uses. */
void holder_add(struct rd_ofile *of, uint32_t pid);
void holder_del(struct rd_ofile *of, uint32_t pid);
/* Is process pid alive? (lock.c: kill(pid, 0), zombies count as dead) */
int pid_alive(uint32_t pid);

/* ---- lock.c ---- */
/* Advisory locks. rd_super.locks lists one rd_lockfile per node that has
 * lock records; each lists its records grouped by owner (in the order the
 * owners first locked) and sorted by start within an owner, the order of
 * Linux's per-inode list. A lockfile exists only while its node is open. */
struct rd_lockfile {
	uint64_t next;         /* next in rd_super.locks */
	uint64_t node;
	uint64_t head;         /* first rd_lock */
	uint64_t pad;
};
enum { LK_POSIX = 1, LK_OFD = 2, LK_FLOCK = 3, LK_WAIT = 4 };
#define LK_EOF ((uint64_t)INT64_MAX) /* end of a lock "to EOF" (the kernel's OFFSET_MAX) */
struct rd_lock {               /* 40 bytes */
	uint64_t next;
	uint64_t owner;        /* LK_POSIX, LK_WAIT: pid; LK_OFD, LK_FLOCK: open-file offset */
	uint64_t start, end;   /* bytes, end inclusive; LK_WAIT: pid waited for (0: an
				* open file's lock), time of the last try (ns) */
	uint32_t tid;          /* LK_WAIT: the waiting thread */
	uint8_t kind;          /* LK_* */
	uint8_t type;          /* F_RDLCK or F_WRLCK */
	uint16_t pad;
};
/* An open file is being freed (ofile.c): its OFD and flock locks go, and
 * all of the node's records when no open file of it is left. */
void lock_ofile_gone(rd_tree *t, uint64_t ofile, uint64_t node);

/* ---- check.c ---- */
void tree_recover(rd_tree *t);

/* ---- errors ---- */
#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* The lock-free seqlock readers (lookup_stat_fast, the EOF read in ofile.c)
 * read memory a holder is writing, on purpose; ThreadSanitizer, which also
 * does not model the fences, would report it. Under it they are compiled
 * out and every reader takes the lock. */
#if defined(__SANITIZE_THREAD__)
#define RD_SEQLOCK_READERS 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RD_SEQLOCK_READERS 0
#endif
#endif
#ifndef RD_SEQLOCK_READERS
#define RD_SEQLOCK_READERS 1
#endif
/* A memory fence; under ThreadSanitizer (which refuses fences and has no
 * lock-free readers to order for) only a compiler barrier. */
#if RD_SEQLOCK_READERS
#define RD_FENCE(order) __atomic_thread_fence(order)
#else
#define RD_FENCE(order) __atomic_signal_fence(order)
#endif

#endif

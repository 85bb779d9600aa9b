/*
 * ramdir core: a quota-enforced, position-independent in-memory file tree.
 *
 * This is the whole public surface of the engine. It knows nothing about
 * LD_PRELOAD: callers hand it tree-relative paths and get back negative errno
 * values (0 or a count on success), never a -1/errno pair.
 *
 * A tree lives in one arena (see docs/DESIGN.md). An rd_tree is a process's
 * handle on that arena: the mapping address plus the caller's credentials.
 * Several processes may each hold a handle on the same shared arena.
 */
#ifndef RAMDIR_CORE_H
#define RAMDIR_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Returned (negated) by path operations whose path leaves the tree: through
 * ".." above the root or through an absolute symlink. rd_escape_path() then
 * holds the real path to continue with (see below). Outside errno's range. */
#define RD_EESCAPE 4200

/* An open file: the offset of a shared open-file object inside the arena.
 * It carries the file position and status flags, and is shared by every
 * descriptor that dup()s it or is inherited across fork. 0 is never valid. */
typedef uint64_t rd_fh;

/* As a base directory for *at operations: the tree root. Absolute paths
 * ("/a/b") are always resolved from the root whatever the base. */
#define RD_ROOT ((rd_fh)0)

typedef struct rd_tree rd_tree;

enum rd_guard_mode {
	RD_GUARD_NONE = 0,     /* trust the quota */
	RD_GUARD_INIT = 1,     /* refuse to create a tree whose quota exceeds free memory */
	RD_GUARD_PER_WRITE = 2 /* also refuse each fresh page the host cannot give */
};

struct rd_config {
	uint64_t quota;          /* bytes the tree may hold, data and metadata */
	uint64_t max_nodes;      /* files + directories + symlinks, root included; 0 = no limit */
	enum rd_guard_mode guard;
	uint64_t guard_interval_ns; /* per-write: re-read host memory at most this often; 0 = 100 ms */
	int shared;              /* 1: memfd mapped MAP_SHARED (rd_tree_fd() gives it); 0: private anonymous */
	unsigned roots;          /* mount roots: 0 or 1, the tree root; 2 to RD_MAX_ROOTS: see below */
};

/* Mount roots (one per prefix the preload routes). With roots = N >= 2 the
 * tree is made with N directories "/0", "/1", ... "/f" (the index as one
 * hex digit) under its root, and each behaves as the root of its own mount
 * on one shared device: ".." there leaves the tree (rd_escape_root() says
 * which root was left), it cannot be removed or renamed (-EBUSY), rename
 * and link between two of them are -EXDEV, and nothing else can be created
 * beside them (-EPERM). The tree root itself is then no mount point: its
 * ".." is itself, as for "/". One quota and one node limit cover all; each
 * mount root counts as a node, as the tree root does. */
#define RD_MAX_ROOTS 16

/* Defaults: 256 MiB quota, no node limit, no guard, private. */
void rd_config_default(struct rd_config *cfg);

/* Create a new empty tree. -EINVAL bad config, -ENOMEM no address space or
 * memory guard refusal (rd_guard_message() says why). */
int rd_tree_create(const struct rd_config *cfg, rd_tree **out);

/* The number of mount roots: 1, or N for a tree made with roots = N >= 2. */
int rd_tree_roots(rd_tree *t);

/* Map an existing shared arena from its memfd (another process created it).
 * The descriptor is duplicated; the caller keeps its own. */
int rd_tree_attach(int fd, rd_tree **out);

/* The memfd of a shared tree, -1 for a private one. Owned by the handle,
 * close-on-exec, and kept at 1000 or above when RLIMIT_NOFILE allows, out
 * of the low numbers programs expect to be free. */
int rd_tree_fd(const rd_tree *t);

/* Unmap and free the handle. The arena itself disappears when the last
 * mapping and descriptor are gone. Open files held by this handle are not
 * closed: in a shared tree other processes may share them. */
void rd_tree_close(rd_tree *t);

/* Credentials used for permission checks and for owners of new nodes.
 * uid 0 bypasses mode checks as on Linux (except exec needs one x bit). */
void rd_tree_set_cred(rd_tree *t, uid_t uid, gid_t gid, const gid_t *groups, int ngroups);

/* The file creation mask applied to modes of created nodes (default 022). */
void rd_tree_set_umask(rd_tree *t, mode_t mask);

/* After fork in the child: nothing to do for a shared arena; a private arena
 * becomes the child's copy. Provided so callers need not know the kind. */

/* -------------------------------------------------------------------------
 * Path escapes. When an operation returns -RD_EESCAPE, this thread's escape
 * buffer holds the path the caller must continue on the real filesystem:
 *  - RD_ESC_ABSOLUTE: an absolute path (an absolute symlink target followed by
 *    the rest of the walk), e.g. "/etc/hosts" or "/ram/x/y";
 *  - RD_ESC_ABOVE_ROOT: the remainder after ".." left the root, relative to
 *    the parent of the mount point, e.g. "etc/hosts" for "/../etc/hosts";
 *    rd_escape_root() is the mount root that was left: 0 for the tree root,
 *    k for "/k" in a tree with several (rd_config.roots).
 * rd_escape_hops() is the number of symlinks followed so far (for ELOOP). */
enum rd_escape_kind { RD_ESC_ABSOLUTE = 1, RD_ESC_ABOVE_ROOT = 2 };
const char *rd_escape_path(void);
enum rd_escape_kind rd_escape_kind(void);
int rd_escape_hops(void);
int rd_escape_root(void);

/* -------------------------------------------------------------------------
 * Open files. Flags are Linux open(2) flags: O_RDONLY O_WRONLY O_RDWR O_CREAT
 * O_EXCL O_TRUNC O_APPEND O_DIRECTORY O_NOFOLLOW O_TMPFILE O_PATH O_NOATIME;
 * others are stored and returned by rd_fh_getfl but otherwise ignored. */
int rd_open(rd_tree *t, rd_fh dir, const char *path, int flags, mode_t mode, rd_fh *out);

/* One more / one fewer reference to an open file (dup, fork, close). The
 * file object and, for an unlinked file, its data go away with the last one. */
int rd_fh_ref(rd_tree *t, rd_fh fh);
int rd_close(rd_tree *t, rd_fh fh);

/* Shared mappings. Makes every page of the file range [off, off + npages
 * pages) exist (holes and pages past EOF included, charged to the quota:
 * -ENOSPC), and writes each page's offset in the arena, which is also its
 * offset in the memfd of rd_tree_fd(), to pages[]. Mapping those pages
 * MAP_SHARED from the memfd gives a mapping coherent with read and write in
 * every process. The pages stay put while *map is open: it is a handle
 * (close with rd_close, share with rd_fh_ref) that keeps the file alive as
 * an open descriptor does. fh must be readable, and open O_RDWR if write is
 * set (-EACCES); off must be page-aligned (-EINVAL); not a regular file:
 * -ENODEV. */
int rd_map(rd_tree *t, rd_fh fh, off_t off, size_t npages, int write, uint64_t *pages, rd_fh *map);

int rd_fh_getfl(rd_tree *t, rd_fh fh);          /* flags as given to open, updated by setfl */
int rd_fh_setfl(rd_tree *t, rd_fh fh, int flags); /* only O_APPEND O_NONBLOCK O_NOATIME change */

ssize_t rd_read(rd_tree *t, rd_fh fh, void *buf, size_t len);
ssize_t rd_write(rd_tree *t, rd_fh fh, const void *buf, size_t len);
ssize_t rd_pread(rd_tree *t, rd_fh fh, void *buf, size_t len, off_t off);
ssize_t rd_pwrite(rd_tree *t, rd_fh fh, const void *buf, size_t len, off_t off);
/* off < 0: use and advance the file position (readv/writev). */
ssize_t rd_preadv(rd_tree *t, rd_fh fh, const struct iovec *iov, int iovcnt, off_t off);
ssize_t rd_pwritev(rd_tree *t, rd_fh fh, const struct iovec *iov, int iovcnt, off_t off);
/* SEEK_SET SEEK_CUR SEEK_END SEEK_DATA SEEK_HOLE. On a directory the
 * position is a readdir cookie (only SEEK_SET and SEEK_CUR with 0). */
off_t rd_lseek(rd_tree *t, rd_fh fh, off_t off, int whence);

int rd_ftruncate(rd_tree *t, rd_fh fh, off_t len);
int rd_truncate(rd_tree *t, rd_fh dir, const char *path, off_t len);
/* mode: 0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE;
 * anything else -EOPNOTSUPP, as on tmpfs (which has no ZERO_RANGE). */
int rd_fallocate(rd_tree *t, rd_fh fh, int mode, off_t off, off_t len);

/* -------------------------------------------------------------------------
 * Metadata. flags: AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH (path "" means dir). */
int rd_stat(rd_tree *t, rd_fh dir, const char *path, struct stat *st, int flags);
int rd_fstat(rd_tree *t, rd_fh fh, struct stat *st);
/* What statx reports beyond struct stat: the birth time, and whether the
 * node is the top of a prefix (STATX_ATTR_MOUNT_ROOT). */
struct rd_statx_more {
	int64_t btime;
	uint32_t btime_ns;
	int mount_root;
};
int rd_statx(rd_tree *t, rd_fh dir, const char *path, int flags, struct stat *st, struct rd_statx_more *more);
int rd_chmod(rd_tree *t, rd_fh dir, const char *path, mode_t mode, int flags);
int rd_fchmod(rd_tree *t, rd_fh fh, mode_t mode);
/* (uid_t)-1 / (gid_t)-1 leave that field unchanged. */
int rd_chown(rd_tree *t, rd_fh dir, const char *path, uid_t uid, gid_t gid, int flags);
int rd_fchown(rd_tree *t, rd_fh fh, uid_t uid, gid_t gid);
/* times == NULL: now; tv_nsec UTIME_NOW / UTIME_OMIT as utimensat(2). */
int rd_utimens(rd_tree *t, rd_fh dir, const char *path, const struct timespec times[2], int flags);
int rd_futimens(rd_tree *t, rd_fh fh, const struct timespec times[2]);
/* mode: F_OK or R_OK|W_OK|X_OK; flags: AT_EACCESS, AT_SYMLINK_NOFOLLOW. */
int rd_access(rd_tree *t, rd_fh dir, const char *path, int mode, int flags);

/* -------------------------------------------------------------------------
 * Namespace. */
int rd_mkdir(rd_tree *t, rd_fh dir, const char *path, mode_t mode);
int rd_mknod(rd_tree *t, rd_fh dir, const char *path, mode_t mode); /* S_IFREG, S_IFSOCK; others -EPERM */
/* flags: 0 or AT_REMOVEDIR, as unlinkat(2). */
int rd_unlink(rd_tree *t, rd_fh dir, const char *path, int flags);
/* flags: 0, RENAME_NOREPLACE, RENAME_EXCHANGE (values of renameat2(2)). */
int rd_rename(rd_tree *t, rd_fh odir, const char *opath, rd_fh ndir, const char *npath, unsigned flags);
/* flags: AT_SYMLINK_FOLLOW, AT_EMPTY_PATH (link an O_TMPFILE into the tree). */
int rd_link(rd_tree *t, rd_fh odir, const char *opath, rd_fh ndir, const char *npath, int flags);
int rd_symlink(rd_tree *t, const char *target, rd_fh dir, const char *path);
/* Returns the length copied (no NUL added, truncated to size). */
ssize_t rd_readlink(rd_tree *t, rd_fh dir, const char *path, char *buf, size_t size);

/* Fill buf with struct linux_dirent64 records (d_ino, d_off, d_reclen,
 * d_type, d_name) like getdents64(2), starting at the directory handle's
 * position, which advances. "." and ".." come first. Returns bytes filled,
 * 0 at the end, -EINVAL if buf cannot hold the next record. d_off is the
 * position after the record: rd_lseek(SEEK_SET) to it resumes there. */
ssize_t rd_getdents(rd_tree *t, rd_fh fh, void *buf, size_t len);

/* The tree path of an open directory ("/a/b"), for getcwd. -ENOENT if it
 * was removed, -ENOTDIR for any other kind of file (a file may have many
 * names or none). In a tree with several mount roots the path starts with
 * the root's directory ("/1/a/b"); the caller maps it to its prefix. */
int rd_fh_path(rd_tree *t, rd_fh fh, char *buf, size_t size);
/* A new open file of fh's node with open(2) flags, as opening
 * /proc/self/fd/N does (checks of an open by name; the node needs no name). */
int rd_reopen(rd_tree *t, rd_fh fh, int flags, rd_fh *out);

/* The reference ledger (holder.c). With a pid set on a handle, every
 * reference taken (open, rd_fh_ref) and dropped (rd_close) through it is
 * ledgered to that process, so that rd_reap can give back the references
 * of a process that died without closing. 0 (the default): not ledgered. */
void rd_tree_set_pid(rd_tree *t, uint32_t pid);
/* delta > 0: one more reference, for another process (ledgered to none);
 * delta < 0: give one such back (the open file goes if it was the last). */
int rd_fh_give(rd_tree *t, rd_fh fh, int delta);
/* A reference given for this process is now its own: ledger it. */
int rd_fh_take(rd_tree *t, rd_fh fh);
/* Give back every reference ledgered to a process that is gone (a zombie
 * counts as gone). Returns how many. */
int rd_reap(rd_tree *t);
/* Have open files piled up since the last rd_reap (a cheap test)? */
int rd_reap_due(rd_tree *t);

/* -------------------------------------------------------------------------
 * Advisory locks (lock.c), with Linux's semantics on tmpfs. Three kinds:
 *  - POSIX record locks (fcntl F_SETLK/F_SETLKW/F_GETLK, lockf): owned by
 *    a process, named by the pid the caller passes; never conflict with
 *    the same pid; rd_lock_release drops them when that process closes any
 *    descriptor of the file. A conflicting lock whose pid no longer runs
 *    (kill(pid, 0) fails with ESRCH, or it is a zombie) is dropped when it
 *    is found; a reused pid keeps a dead process's locks (see DESIGN).
 *  - OFD locks (F_OFD_*): owned by the open file (rd_fh), so two opens in
 *    one process conflict; they conflict with POSIX locks too.
 *  - flock locks: owned by the open file, whole file, independent of the
 *    other two.
 * OFD and flock locks go when the open file object is freed (last
 * rd_close). All locks of a node go when nothing has it open. Nothing here
 * waits: a conflict is -EAGAIN (-EWOULDBLOCK for flock) and the caller
 * sleeps outside the tree and tries again. A record that cannot be
 * allocated (quota) is -ENOLCK. */
struct rd_flock {
	int16_t type;     /* F_RDLCK, F_WRLCK, F_UNLCK */
	int16_t whence;   /* SEEK_SET, SEEK_CUR (the open file's position), SEEK_END */
	int64_t start;
	int64_t len;      /* 0: to EOF and beyond; < 0: the len bytes before start */
	int32_t pid;      /* OFD requests: must be 0 (-EINVAL); rd_lock_get: the
			   * holder's pid, -1 for an open file's lock */
};
#define RD_LK_WAIT 1 /* rd_lock_set flag: the caller waits (F_SETLKW) */

/* F_GETLK (ofd 0) / F_OFD_GETLK (ofd 1) as pid: the first lock that would
 * conflict with fl, as the kernel reports it (whence SEEK_SET, len 0 for
 * "to EOF"), or fl->type = F_UNLCK and the rest untouched. */
int rd_lock_get(rd_tree *t, rd_fh fh, int ofd, uint32_t pid, struct rd_flock *fl);
/* F_SETLK / F_OFD_SETLK: lock, convert or unlock a range. -EAGAIN on a
 * conflict; -EBADF for a read lock on a write-only open file or a write
 * lock on a read-only one (and O_PATH); -EINVAL, -EOVERFLOW for bad ranges
 * as the kernel. With RD_LK_WAIT a POSIX request that conflicts is recorded
 * as waiting for the holder (the caller's thread), and -EDEADLK is returned
 * instead of -EAGAIN when the holder is (transitively) waiting for this
 * pid. The wait is forgotten when such a call returns anything else; a
 * caller that stops trying (EINTR) calls rd_lock_unwait. A wait not renewed
 * for a second is ignored anyway. */
int rd_lock_set(rd_tree *t, rd_fh fh, int ofd, uint32_t pid, const struct rd_flock *fl, int flags);
/* This thread gave up waiting for a lock (EINTR): forget the wait that
 * rd_lock_set(RD_LK_WAIT) recorded. */
int rd_lock_unwait(rd_tree *t, uint32_t pid);
/* flock(2): op LOCK_SH, LOCK_EX or LOCK_UN (LOCK_NB is the caller's). A
 * conversion first drops the open file's lock, as Linux does, so a failed
 * one (-EWOULDBLOCK) leaves it unlocked. */
int rd_flock(rd_tree *t, rd_fh fh, int op);
/* Process pid closed a descriptor of fh: its POSIX locks on the file go.
 * Costs one load when the tree holds no lock at all. pid 0: the calling
 * process, looked up only when some lock exists (getpid is a system call,
 * a fifth of the cost of a close). */
int rd_lock_release(rd_tree *t, rd_fh fh, uint32_t pid);
/* Process pid is exiting: every POSIX lock it holds goes. */
int rd_lock_exit(rd_tree *t, uint32_t pid);
/* Test hook: replace the liveness check of lock owners (NULL: the real one). */
void rd_test_lock_alive(int (*alive)(uint32_t pid));

/* -------------------------------------------------------------------------
 * Statistics and limits, readable by every process on the arena. */
struct rd_stats {
	uint64_t quota;           /* bytes */
	uint64_t bytes_used;      /* every page the tree holds, data and metadata */
	uint64_t bytes_peak;
	uint64_t bytes_baseline;  /* bytes_used of the empty tree */
	uint64_t data_bytes;      /* pages holding file data */
	uint64_t max_nodes;       /* 0 = unlimited */
	uint64_t nodes;           /* live nodes, root included */
	uint64_t open_files;      /* live open-file objects */
	uint64_t files_created, dirs_created, symlinks_created;
	uint64_t bytes_written, bytes_read;
	uint64_t quota_refusals;  /* ENOSPC for quota or node limit or guard */
	uint64_t ops;             /* operations served */
	uint64_t warm_pages;      /* freed pages kept populated for reuse */
	uint64_t recoveries;      /* times a dead lock holder's state was repaired */
	uint64_t locks;           /* advisory lock records, waits for locks included */
};
int rd_tree_stats(rd_tree *t, struct rd_stats *st);

/* statvfs view: f_bsize 4096, blocks from the quota, files from the node
 * limit (0 when unlimited, as tmpfs without nr_inodes), f_namemax 255. */
struct statvfs;
int rd_statvfs(rd_tree *t, struct statvfs *sv);

/* -------------------------------------------------------------------------
 * Consistency. rd_tree_check walks the whole tree and recomputes everything
 * derived (page use, link counts, node count, allocator lists) and compares.
 * Returns 0 if all agree, -EUCLEAN and a description in msg otherwise. */
int rd_tree_check(rd_tree *t, char *msg, size_t msglen);

/* -------------------------------------------------------------------------
 * Memory guard. rd_guard_message() describes the last refusal (numbers and
 * fix) in a static per-thread buffer. rd_mem_available_bytes() is what the
 * guard reads: cgroup v2, then v1, limit minus usage where set, else
 * MemAvailable. Tests replace the reader. */
const char *rd_guard_message(void);
int rd_mem_available_bytes(uint64_t *out);
typedef int (*rd_mem_reader)(uint64_t *avail);
void rd_guard_set_reader(rd_mem_reader fn); /* NULL restores the real one */

/* -------------------------------------------------------------------------
 * Test hooks (fault injection). */
/* Fail the Nth page allocation from now with -ENOSPC (0 disables). */
void rd_test_fail_alloc_after(uint64_t n);
/* Freed pages beyond the 32 MiB always kept warm are punched once none has
 * been reused for this long (default 1 s; 0: at the end of the operation
 * that freed them). Affects this process only. */
void rd_test_warm_idle_ns(uint64_t ns);
/* Take / drop the tree lock without doing anything: the SIGKILL-while-locked
 * test kills a process between the two. */
/* After a vfork child of the calling thread is gone: if it died holding the
 * tree lock (which it held under this thread's id), repair and release it
 * now, so other processes do not wait for this one's next operation. */
void rd_tree_reclaim(rd_tree *t);
void rd_test_lock(rd_tree *t);
void rd_test_unlock(rd_tree *t);

/* Parse "256M", "1G", "4096", "1.5G" (K/M/G/T, powers of 1024). -EINVAL if
 * malformed, zero, or overflowing. */
int rd_parse_size(const char *s, uint64_t *out);

#ifdef __cplusplus
}
#endif
#endif

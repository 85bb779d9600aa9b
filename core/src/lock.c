/*
 * Advisory locks on tree files, with the semantics Linux gives them on
 * tmpfs: POSIX record locks owned by a process (fcntl F_SETLK, lockf), OFD
 * locks owned by an open file (F_OFD_SETLK), which share one list and
 * conflict with each other, and flock locks, owned by an open file and
 * independent of both.
 *
 * The records live in the arena, so every process on the tree sees them:
 * rd_super.locks lists one rd_lockfile per node that has records, each
 * lists its rd_lock records (see internal.h for the order). A lockfile
 * exists only while its node is open; ofile.c calls lock_ofile_gone() when
 * an open file is freed. Records are built before they are linked and
 * unlinked before they are freed, so check.c can walk the lists at any
 * instruction.
 *
 * Divisions: owner liveness, list primitives, ranges and conflicts, setting
 * a range (split, merge, convert), deadlock detection, the public calls.
 * Nothing here waits: the caller sleeps outside the tree lock and retries.
 * Nothing here changes a name either, so it locks read-only (arena.c).
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define LK_WAIT_FRESH_NS 1000000000ull /* a waiter retries far more often */
#define LK_DEADLOCK_STEPS 10           /* as the kernel's MAX_DEADLK_ITERATIONS */

/* ---- owner liveness ---- */

static int (*lock_alive_fn)(uint32_t pid);

void rd_test_lock_alive(int (*alive)(uint32_t pid))
{
	lock_alive_fn = alive;
}

/* A zombie has exited (its locks would be gone on Linux) but still answers
 * kill(pid, 0). A thread-group leader that exited while other threads run
 * is also 'Z', with a thread count above one: that process is alive. */
static int lock_pid_zombie(uint32_t pid)
{
	char path[40], buf[1024], *p;
	long fd, n;
	int field;

	snprintf(path, sizeof path, "/proc/%u/stat", pid);
	fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = syscall(SYS_read, (int)fd, buf, sizeof buf - 1);
	syscall(SYS_close, (int)fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || (p[2] != 'Z' && p[2] != 'X'))
		return 0;
	/* Fields after the name: state is the first, num_threads the 18th. */
	for (field = 0, p += 2; *p && field < 17; p++)
		if (*p == ' ')
			field++;
	return field == 17 && strtol(p, NULL, 10) <= 1;
}

/* Does process pid still run? Only asked about the holder of a lock that
 * is in the way, so the common path never pays for it. errno is kept. */
int pid_alive(uint32_t pid)
{
	int saved = errno, alive;

	if (lock_alive_fn)
		return lock_alive_fn(pid);
	alive = syscall(SYS_kill, (pid_t)pid, 0) == 0 || errno != ESRCH;
	if (alive)
		alive = !lock_pid_zombie(pid);
	errno = saved;
	return alive;
}

static uint64_t lock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- list primitives ---- */

static inline struct rd_lock *lk(rd_tree *t, uint64_t off)
{
	return (struct rd_lock *)OFF2P(t, off);
}

static inline struct rd_lockfile *lkf(rd_tree *t, uint64_t off)
{
	return (struct rd_lockfile *)OFF2P(t, off);
}

static inline void lock_publish(uint64_t *link, uint64_t val)
{
	__atomic_store_n(link, val, __ATOMIC_RELEASE);
}

/* The link word that holds node's lockfile, NULL if it has none. */
static uint64_t *lock_file_link(rd_tree *t, uint64_t node)
{
	uint64_t *link = &SUPER(t)->locks;

	while (*link) {
		if (lkf(t, *link)->node == node)
			return link;
		link = &lkf(t, *link)->next;
	}
	return NULL;
}

static struct rd_lockfile *lock_file(rd_tree *t, uint64_t node)
{
	uint64_t *link = lock_file_link(t, node);

	return link ? lkf(t, *link) : NULL;
}

static int lock_alloc(rd_tree *t, size_t size, uint64_t *off)
{
	return obj_alloc(t, size, off) < 0 ? -ENOLCK : 0;
}

static int lock_file_get(rd_tree *t, uint64_t node, struct rd_lockfile **out)
{
	struct rd_super *s = SUPER(t);
	struct rd_lockfile *lf = lock_file(t, node);
	uint64_t off;

	if (!lf) {
		if (lock_alloc(t, sizeof *lf, &off) < 0)
			return -ENOLCK;
		lf = lkf(t, off);
		lf->node = node;
		lf->next = s->locks;
		lock_publish(&s->locks, off);
	}
	*out = lf;
	return 0;
}

/* A node left without records loses its lockfile (its slab slot counts
 * against the quota like any metadata). */
static void lock_file_tidy(rd_tree *t, uint64_t node)
{
	uint64_t *link = lock_file_link(t, node), off;

	if (!link || lkf(t, *link)->head)
		return;
	off = *link;
	lock_publish(link, lkf(t, off)->next);
	obj_free(t, off);
}

static void lock_unlink(rd_tree *t, uint64_t *link)
{
	uint64_t off = *link;

	lock_publish(link, lk(t, off)->next);
	obj_free(t, off);
	SUPER(t)->nlocks--;
}

static inline int lock_same_owner(const struct rd_lock *r, int kind, uint64_t owner)
{
	return r->kind == kind && r->owner == owner;
}

/* Link a filled record: after the owner's last record that starts before
 * it, or at the end of the list for an owner with no records yet. */
static void lock_insert(rd_tree *t, struct rd_lockfile *lf, uint64_t off)
{
	struct rd_lock *rec = lk(t, off);
	uint64_t *link = &lf->head;
	int in_group = 0;

	while (*link) {
		struct rd_lock *r = lk(t, *link);

		if (lock_same_owner(r, rec->kind, rec->owner)) {
			in_group = 1;
			if (r->start > rec->start)
				break;
		} else if (in_group) {
			break;
		}
		link = &r->next;
	}
	rec->next = *link;
	lock_publish(link, off);
	SUPER(t)->nlocks++;
}

/* Drop the records of lf that match: every record of `kind` (0: any lock,
 * not waits) whose owner is `owner`. */
static void lock_drop(rd_tree *t, struct rd_lockfile *lf, int kind, uint64_t owner)
{
	uint64_t *link = &lf->head;

	while (*link) {
		struct rd_lock *r = lk(t, *link);

		if (r->owner == owner && (kind ? r->kind == kind : r->kind != LK_WAIT))
			lock_unlink(t, link);
		else
			link = &r->next;
	}
}

/* A process found dead: its POSIX locks and its waits on this file go. */
static void lock_drop_pid(rd_tree *t, struct rd_lockfile *lf, uint32_t pid)
{
	lock_drop(t, lf, LK_POSIX, pid);
	lock_drop(t, lf, LK_WAIT, pid);
}

/* ---- ranges and conflicts ---- */

/* The byte range [*s, *e] of a request, with the kernel's rules and errors
 * (flock64_to_posix_lock): a start before 0 is EINVAL, an end past the
 * largest offset EOVERFLOW, len 0 runs to LK_EOF. */
static int lock_range(const struct rd_ofile *of, const struct rd_node *n, const struct rd_flock *fl, uint64_t *s,
		      uint64_t *e)
{
	int64_t base, start;

	switch (fl->whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (int64_t)of->pos;
		break;
	case SEEK_END:
		base = (int64_t)n->size;
		break;
	default:
		return -EINVAL;
	}
	if (__builtin_add_overflow(base, fl->start, &start) || start < 0)
		return -EINVAL;
	if (fl->len > 0) {
		if (fl->len - 1 > INT64_MAX - start)
			return -EOVERFLOW;
		*e = (uint64_t)(start + (fl->len - 1));
	} else if (fl->len < 0) {
		if (start + fl->len < 0)
			return -EINVAL;
		*e = (uint64_t)start - 1;
		start += fl->len;
	} else {
		*e = LK_EOF;
	}
	*s = (uint64_t)start;
	return 0;
}

/* The first record in list order that conflicts with a request of this
 * kind, owner, type and range; NULL if none. fcntl kinds (POSIX, OFD)
 * meet each other, flock only flock. A POSIX holder that no longer runs
 * loses its locks here. */
static struct rd_lock *lock_conflict(rd_tree *t, struct rd_lockfile *lf, int kind, uint64_t owner, int type,
				     uint64_t s, uint64_t e)
{
	uint64_t off;

restart:
	for (off = lf->head; off; off = lk(t, off)->next) {
		struct rd_lock *r = lk(t, off);

		if (r->kind == LK_WAIT || (r->kind == LK_FLOCK) != (kind == LK_FLOCK))
			continue;
		if (lock_same_owner(r, kind, owner) || r->end < s || r->start > e)
			continue;
		if (type != F_WRLCK && r->type != F_WRLCK)
			continue;
		if (r->kind == LK_POSIX && !pid_alive((uint32_t)r->owner)) {
			lock_drop_pid(t, lf, (uint32_t)r->owner);
			goto restart;
		}
		return r;
	}
	return NULL;
}

/* ---- setting a range ---- */

/*
 * Give owner `type` on [s, e] (F_UNLCK: nothing), as posix_lock_inode():
 * the owner's records of another type lose the range (trimmed, removed,
 * or split in two), records of the same type that overlap or touch it
 * merge with it. Every record needed is allocated first, so -ENOLCK
 * changes nothing. Conflicts were checked by the caller.
 */
static int lock_set_range(rd_tree *t, uint64_t node, int kind, uint64_t owner, int type, uint64_t s, uint64_t e)
{
	struct rd_lockfile *lf = lock_file(t, node);
	uint64_t spare[2] = {0, 0}, *link, ns = s, ne = e;
	int need = type != F_UNLCK, nspare = 0, rc, i;

	if (!lf) {
		if (type == F_UNLCK)
			return 0;
		rc = lock_file_get(t, node, &lf);
		if (rc < 0)
			return rc;
	}
	for (uint64_t off = lf->head; off; off = lk(t, off)->next) {
		struct rd_lock *r = lk(t, off);

		if (!lock_same_owner(r, kind, owner) || r->start > s || r->end < e)
			continue;
		if (r->type == type)
			return 0; /* already held over the whole range */
		need += r->start < s && r->end > e;
	}
	for (i = 0; i < need; i++) {
		if (lock_alloc(t, sizeof(struct rd_lock), &spare[i]) < 0) {
			while (i--)
				obj_free(t, spare[i]);
			lock_file_tidy(t, node);
			return -ENOLCK;
		}
	}
	nspare = need;
	link = &lf->head;
	while (*link) {
		struct rd_lock *r = lk(t, *link);

		if (!lock_same_owner(r, kind, owner)) {
			link = &r->next;
			continue;
		}
		if (type != F_UNLCK && r->type == type && (e == LK_EOF || r->start <= e + 1) && r->end + 1 >= s) {
			/* Same type, overlapping or adjacent: one lock. */
			if (r->start < ns)
				ns = r->start;
			if (r->end > ne)
				ne = r->end;
			lock_unlink(t, link);
			continue;
		}
		if (r->end < s || r->start > e) {
			link = &r->next;
			continue;
		}
		if (r->start < s && r->end > e) {
			/* The new range splits r: its right part first becomes
			 * a record of its own, then r keeps the left part. */
			struct rd_lock *tail = lk(t, spare[--nspare]);

			tail->owner = owner;
			tail->kind = (uint8_t)kind;
			tail->type = r->type;
			tail->start = e + 1;
			tail->end = r->end;
			lock_insert(t, lf, spare[nspare]);
			r->end = s - 1;
		} else if (r->start < s) {
			r->end = s - 1;
		} else if (r->end > e) {
			r->start = e + 1;
		} else {
			lock_unlink(t, link);
			continue;
		}
		link = &r->next;
	}
	if (type != F_UNLCK) {
		struct rd_lock *rec = lk(t, spare[--nspare]);

		rec->owner = owner;
		rec->kind = (uint8_t)kind;
		rec->type = (uint8_t)type;
		rec->start = ns;
		rec->end = ne;
		lock_insert(t, lf, spare[nspare]);
	}
	while (nspare)
		obj_free(t, spare[--nspare]);
	lock_file_tidy(t, node);
	return 0;
}

/* ---- waiters and deadlock detection ---- */

/* A POSIX request that has to wait leaves a record "pid (thread tid) waits
 * for holder", refreshed at every try. A record older than a second is a
 * waiter that gave up without saying so (killed, cancelled) and is ignored. */
static int lock_wait_fresh(const struct rd_lock *w, uint64_t now)
{
	return w->end >= now || now - w->end < LK_WAIT_FRESH_NS;
}

static struct rd_lock *lock_wait_find(rd_tree *t, uint32_t pid, uint64_t now)
{
	for (uint64_t f = SUPER(t)->locks; f; f = lkf(t, f)->next)
		for (uint64_t off = lkf(t, f)->head; off; off = lk(t, off)->next) {
			struct rd_lock *r = lk(t, off);

			if (r->kind == LK_WAIT && r->owner == pid && lock_wait_fresh(r, now))
				return r;
		}
	return NULL;
}

/* Would pid waiting for holder close a cycle? As posix_locks_deadlock():
 * follow "holder waits for a lock of ..." and see whether it comes back. */
static int lock_deadlock(rd_tree *t, uint32_t pid, uint32_t holder)
{
	uint64_t now = lock_now_ns();
	int i;

	for (i = 0; i < LK_DEADLOCK_STEPS && holder; i++) {
		struct rd_lock *w = lock_wait_find(t, holder, now);

		if (!w)
			return 0;
		holder = (uint32_t)w->start;
		if (holder == pid)
			return 1;
	}
	return 0;
}

static void lock_wait_note(rd_tree *t, struct rd_lockfile *lf, uint32_t pid, uint32_t tid, uint32_t holder)
{
	uint64_t now = lock_now_ns(), *link = &lf->head, off = 0;
	struct rd_lock *r;

	/* Find ours, and drop the waits that went stale on the way. */
	while (*link) {
		r = lk(t, *link);
		if (r->kind == LK_WAIT && r->owner == pid && r->tid == tid)
			off = *link;
		else if (r->kind == LK_WAIT && !lock_wait_fresh(r, now)) {
			lock_unlink(t, link);
			continue;
		}
		link = &r->next;
	}
	if (!off) {
		if (lock_alloc(t, sizeof *r, &off) < 0)
			return; /* no detection for this wait; the wait itself goes on */
		r = lk(t, off);
		r->owner = pid;
		r->tid = tid;
		r->kind = LK_WAIT;
		r->start = holder;
		r->end = now;
		lock_insert(t, lf, off);
		return;
	}
	r = lk(t, off);
	r->start = holder;
	r->end = now;
}

/* Forget this thread's wait on one file. */
static void lock_wait_drop(rd_tree *t, struct rd_lockfile *lf, uint32_t pid, uint32_t tid)
{
	uint64_t *link = &lf->head;

	while (*link) {
		struct rd_lock *r = lk(t, *link);

		if (r->kind == LK_WAIT && r->owner == pid && r->tid == tid)
			lock_unlink(t, link);
		else
			link = &r->next;
	}
}

/* Forget this thread's waits (it gave up), on every file. */
static void lock_unwait(rd_tree *t, uint32_t pid, uint32_t tid)
{
	uint64_t *flink = &SUPER(t)->locks;

	while (*flink) {
		struct rd_lockfile *lf = lkf(t, *flink);

		lock_wait_drop(t, lf, pid, tid);
		if (!lf->head) {
			uint64_t off = *flink;

			lock_publish(flink, lf->next);
			obj_free(t, off);
		} else {
			flink = &lf->next;
		}
	}
}

static uint32_t lock_tid(void)
{
	return (uint32_t)syscall(SYS_gettid);
}

/* ---- the public calls ---- */

/* The open file behind fh if locks may be taken through it. */
static struct rd_ofile *lock_ofile(rd_tree *t, rd_fh fh)
{
	struct rd_ofile *of = ofile_get(t, fh);

	return of && !(of->flags & O_PATH) ? of : NULL;
}

static void lock_report(const struct rd_lock *r, struct rd_flock *fl)
{
	fl->type = r->type;
	fl->whence = SEEK_SET;
	fl->start = (int64_t)r->start;
	fl->len = r->end == LK_EOF ? 0 : (int64_t)(r->end - r->start + 1);
	fl->pid = r->kind == LK_POSIX ? (int32_t)r->owner : -1;
}

static int lock_get_locked(rd_tree *t, rd_fh fh, int ofd, uint32_t pid, struct rd_flock *fl)
{
	struct rd_ofile *of = lock_ofile(t, fh);
	struct rd_lockfile *lf;
	struct rd_lock *r = NULL;
	uint64_t s, e;
	int rc;

	if (!of)
		return -EBADF;
	if (fl->type != F_RDLCK && fl->type != F_WRLCK)
		return -EINVAL;
	rc = lock_range(of, OFF2P(t, of->node), fl, &s, &e);
	if (rc < 0)
		return rc;
	if (ofd && fl->pid != 0)
		return -EINVAL;
	lf = lock_file(t, of->node);
	if (lf)
		r = lock_conflict(t, lf, ofd ? LK_OFD : LK_POSIX, ofd ? fh : pid, fl->type, s, e);
	if (r)
		lock_report(r, fl);
	else
		fl->type = F_UNLCK;
	lock_file_tidy(t, of->node);
	return 0;
}

int rd_lock_get(rd_tree *t, rd_fh fh, int ofd, uint32_t pid, struct rd_flock *fl)
{
	int rc;

	tree_lock_ro(t);
	rc = lock_get_locked(t, fh, ofd, pid, fl);
	tree_unlock(t);
	return rc;
}

static int lock_set_locked(rd_tree *t, rd_fh fh, int ofd, uint32_t pid, const struct rd_flock *fl, int flags)
{
	struct rd_ofile *of = lock_ofile(t, fh);
	int kind = ofd ? LK_OFD : LK_POSIX, acc, rc;
	uint64_t owner = ofd ? fh : pid, s, e, node;
	struct rd_lockfile *lf;
	struct rd_lock *r;

	if (!of)
		return -EBADF;
	node = of->node;
	rc = lock_range(of, OFF2P(t, node), fl, &s, &e);
	if (rc < 0)
		return rc;
	if (fl->type != F_RDLCK && fl->type != F_WRLCK && fl->type != F_UNLCK)
		return -EINVAL;
	acc = (int)of->flags & O_ACCMODE;
	if ((fl->type == F_RDLCK && acc == O_WRONLY) || (fl->type == F_WRLCK && acc == O_RDONLY))
		return -EBADF;
	if (ofd && fl->pid != 0)
		return -EINVAL;
	lf = lock_file(t, node);
	r = lf && fl->type != F_UNLCK ? lock_conflict(t, lf, kind, owner, fl->type, s, e) : NULL;
	if (!r)
		rc = lock_set_range(t, node, kind, owner, fl->type, s, e);
	else if (!(flags & RD_LK_WAIT) || ofd)
		rc = -EAGAIN;
	else if (r->kind == LK_POSIX && lock_deadlock(t, pid, (uint32_t)r->owner))
		rc = -EDEADLK;
	else {
		lock_wait_note(t, lf, pid, lock_tid(), r->kind == LK_POSIX ? (uint32_t)r->owner : 0);
		rc = -EAGAIN;
	}
	/* Done waiting: the wait goes in the same step, or another waiter
	 * could still see it and call a deadlock that is over. */
	if ((flags & RD_LK_WAIT) && !ofd && rc != -EAGAIN && (lf = lock_file(t, node)) != NULL)
		lock_wait_drop(t, lf, pid, lock_tid());
	lock_file_tidy(t, node);
	return rc;
}

int rd_lock_set(rd_tree *t, rd_fh fh, int ofd, uint32_t pid, const struct rd_flock *fl, int flags)
{
	int rc;

	tree_lock_ro(t);
	rc = lock_set_locked(t, fh, ofd, pid, fl, flags);
	tree_unlock(t);
	return rc;
}

int rd_lock_unwait(rd_tree *t, uint32_t pid)
{
	tree_lock_ro(t);
	lock_unwait(t, pid, lock_tid());
	tree_unlock(t);
	return 0;
}

static int lock_flock_locked(rd_tree *t, rd_fh fh, int op)
{
	struct rd_ofile *of = lock_ofile(t, fh);
	struct rd_lockfile *lf;
	uint64_t *link = NULL, spare = 0;
	int type;

	switch (op) {
	case LOCK_SH:
		type = F_RDLCK;
		break;
	case LOCK_EX:
		type = F_WRLCK;
		break;
	case LOCK_UN:
		type = F_UNLCK;
		break;
	default:
		return -EINVAL;
	}
	if (!of)
		return -EBADF;
	lf = lock_file(t, of->node);
	if (lf) {
		for (link = &lf->head; *link; link = &lk(t, *link)->next)
			if (lock_same_owner(lk(t, *link), LK_FLOCK, fh))
				break;
		if (!*link)
			link = NULL;
		else if (lk(t, *link)->type == type)
			return 0;
	}
	if (type != F_UNLCK) {
		if (!lf && lock_file_get(t, of->node, &lf) < 0)
			return -ENOLCK;
		if (lock_alloc(t, sizeof(struct rd_lock), &spare) < 0) {
			lock_file_tidy(t, of->node);
			return -ENOLCK;
		}
	}
	/* A conversion drops the old lock first (flock_lock_inode()). */
	if (link)
		lock_unlink(t, link);
	if (type == F_UNLCK) {
		lock_file_tidy(t, of->node);
		return 0;
	}
	if (lock_conflict(t, lf, LK_FLOCK, fh, type, 0, LK_EOF)) {
		obj_free(t, spare);
		lock_file_tidy(t, of->node);
		return -EWOULDBLOCK;
	}
	lk(t, spare)->owner = fh;
	lk(t, spare)->kind = LK_FLOCK;
	lk(t, spare)->type = (uint8_t)type;
	lk(t, spare)->start = 0;
	lk(t, spare)->end = LK_EOF;
	lock_insert(t, lf, spare);
	return 0;
}

int rd_flock(rd_tree *t, rd_fh fh, int op)
{
	int rc;

	tree_lock_ro(t);
	rc = lock_flock_locked(t, fh, op);
	tree_unlock(t);
	return rc;
}

int rd_lock_release(rd_tree *t, rd_fh fh, uint32_t pid)
{
	struct rd_ofile *of;
	struct rd_lockfile *lf;
	int rc = 0;

	/* The usual case, no lock anywhere, costs no tree lock. Only this
	 * process adds locks owned by pid, so none of ours can be missed. */
	if (!__atomic_load_n(&SUPER(t)->locks, __ATOMIC_ACQUIRE))
		return 0;
	if (!pid)
		pid = (uint32_t)syscall(SYS_getpid);
	tree_lock_ro(t);
	of = ofile_get(t, fh);
	if (!of) {
		rc = -EBADF;
	} else if ((lf = lock_file(t, of->node)) != NULL) {
		lock_drop(t, lf, LK_POSIX, pid);
		lock_file_tidy(t, of->node);
	}
	tree_unlock(t);
	return rc;
}

int rd_lock_exit(rd_tree *t, uint32_t pid)
{
	uint64_t *flink;

	if (!__atomic_load_n(&SUPER(t)->locks, __ATOMIC_ACQUIRE))
		return 0;
	tree_lock_ro(t);
	flink = &SUPER(t)->locks;
	while (*flink) {
		struct rd_lockfile *lf = lkf(t, *flink);

		lock_drop_pid(t, lf, pid);
		if (!lf->head) {
			uint64_t off = *flink;

			lock_publish(flink, lf->next);
			obj_free(t, off);
		} else {
			flink = &lf->next;
		}
	}
	tree_unlock(t);
	return 0;
}

void lock_ofile_gone(rd_tree *t, uint64_t ofile, uint64_t node)
{
	struct rd_lockfile *lf;

	if (!SUPER(t)->locks || !(lf = lock_file(t, node)))
		return;
	if (((struct rd_node *)OFF2P(t, node))->opens == 0) {
		/* Nobody has the file open: no lock of it can remain, not
		 * even one of a process that died without closing. */
		while (lf->head)
			lock_unlink(t, &lf->head);
	} else {
		lock_drop(t, lf, LK_OFD, ofile);
		lock_drop(t, lf, LK_FLOCK, ofile);
	}
	lock_file_tidy(t, node);
}

/*
 * Nodes: creation and release under the node limit, timestamps with the
 * tmpfs update rules, stat(2) translation and permission checks.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <time.h>

int node_new(rd_tree *t, mode_t mode, uint64_t *out)
{
	struct rd_super *s = SUPER(t);
	struct rd_node *n;
	struct rd_ts now;
	uint64_t off;
	int rc;

	if (s->max_nodes && s->nodes >= s->max_nodes)
		return quota_refuse(t);
	rc = obj_alloc(t, sizeof(struct rd_node), &off);
	if (rc < 0)
		return rc;
	n = OFF2P(t, off);
	n->mode = mode;
	n->uid = t->uid;
	n->gid = t->gid;
	n->ino = s->next_ino++;
	node_now(&now);
	n->atime = n->mtime = n->ctime = now.sec;
	n->atime_ns = n->mtime_ns = n->ctime_ns = now.nsec;
	n->btime = now.sec;
	n->btime_ns = now.nsec;
	s->nodes++;
	*out = off;
	return 0;
}

void node_free(rd_tree *t, uint64_t off)
{
	struct rd_node *n = OFF2P(t, off);

	if (S_ISREG(n->mode)) {
		data_free(t, n);
	} else if (S_ISDIR(n->mode) && n->ext) { /* ext is 0 if dir_init failed */
		struct rd_dirx *x = dirx(t, n);

		radix_destroy(t, &x->hash, NULL);
		radix_destroy(t, &x->cookies, NULL);
		obj_free(t, n->ext);
	} else if (S_ISLNK(n->mode) && n->ext) {
		if (n->size >= RD_SHORT_SYMLINK)
			page_free(t, n->ext);
		else
			obj_free(t, n->ext);
	}
	obj_free(t, off);
	SUPER(t)->nodes--;
}

void node_maybe_free(rd_tree *t, uint64_t off)
{
	struct rd_node *n = OFF2P(t, off);

	if (n->nlink == 0 && n->opens == 0)
		node_free(t, off);
}

/* The coarse clock, as tmpfs stamps times (current_time() is tick-based):
 * the same granularity programs see on tmpfs, at a third of the cost. */
void node_now(struct rd_ts *ts)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME_COARSE, &now);
	ts->sec = now.tv_sec;
	ts->nsec = (uint32_t)now.tv_nsec;
}

void node_touch(struct rd_node *n, int a, int m, int c)
{
	struct rd_ts now;

	node_now(&now);
	if (a) {
		n->atime = now.sec;
		n->atime_ns = now.nsec;
	}
	if (m) {
		n->mtime = now.sec;
		n->mtime_ns = now.nsec;
	}
	if (c) {
		n->ctime = now.sec;
		n->ctime_ns = now.nsec;
	}
}

static int node_ts_le(int64_t as, uint32_t an, int64_t bs, uint32_t bn)
{
	return as < bs || (as == bs && an <= bn);
}

/* relatime, the tmpfs default: update atime only if it is not newer than
 * mtime or ctime, or is more than a day old. */
void node_atime_read(struct rd_node *n)
{
	struct rd_ts now;

	if (node_ts_le(n->atime, n->atime_ns, n->mtime, n->mtime_ns) ||
	    node_ts_le(n->atime, n->atime_ns, n->ctime, n->ctime_ns)) {
		node_touch(n, 1, 0, 0);
		return;
	}
	node_now(&now);
	if (now.sec - n->atime >= 24 * 3600)
		node_touch(n, 1, 0, 0);
}

uint64_t data_blocks(const struct rd_node *n)
{
	if (n->map.aux) /* inline: backed by one page's worth as on tmpfs */
		return n->size ? 8 : 0;
	return n->ext * (RD_PAGE / 512);
}

/* Copied rather than memset: compilers clear 144 bytes with "rep stos",
 * whose start-up is a third of a stat answered from the lookup cache, and
 * copy them with a few vector moves. */
static const struct stat node_stat_zero;

void node_stat(rd_tree *t, const struct rd_node *n, struct stat *st)
{
	(void)t;
	*st = node_stat_zero;
	st->st_dev = 0x52440000; /* constant per tree: "RD" */
	st->st_ino = n->ino;
	st->st_mode = n->mode;
	st->st_nlink = n->nlink;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_size = (off_t)n->size;
	st->st_blksize = RD_PAGE;
	if (S_ISREG(n->mode))
		st->st_blocks = (blkcnt_t)data_blocks(n);
	else if (S_ISLNK(n->mode))
		st->st_blocks = n->size >= RD_SHORT_SYMLINK ? 8 : 0;
	st->st_atim.tv_sec = n->atime;
	st->st_atim.tv_nsec = n->atime_ns;
	st->st_mtim.tv_sec = n->mtime;
	st->st_mtim.tv_nsec = n->mtime_ns;
	st->st_ctim.tv_sec = n->ctime;
	st->st_ctim.tv_nsec = n->ctime_ns;
}

static int node_in_group(rd_tree *t, gid_t gid)
{
	int i;

	if (t->gid == gid)
		return 1;
	for (i = 0; i < t->ngroups; i++)
		if (t->groups[i] == gid)
			return 1;
	return 0;
}

int node_perm(rd_tree *t, const struct rd_node *n, int want)
{
	unsigned bits;

	if (t->uid == 0) {
		/* root reads and writes anything; it executes a file only if
		 * some x bit is set, and searches any directory. */
		if ((want & 1) && !S_ISDIR(n->mode) && !(n->mode & 0111))
			return -EACCES;
		return 0;
	}
	if (n->uid == t->uid)
		bits = (n->mode >> 6) & 7;
	else if (node_in_group(t, n->gid))
		bits = (n->mode >> 3) & 7;
	else
		bits = n->mode & 7;
	return ((unsigned)want & ~bits) ? -EACCES : 0;
}

int node_is_owner(rd_tree *t, const struct rd_node *n)
{
	return t->uid == 0 || t->uid == n->uid;
}

/* In a sticky directory only the owner of the entry or of the directory
 * (or root) may remove or rename it. */
int node_sticky_ok(rd_tree *t, const struct rd_node *dir, const struct rd_node *victim)
{
	if (!(dir->mode & S_ISVTX) || t->uid == 0)
		return 1;
	return t->uid == dir->uid || t->uid == victim->uid;
}

unsigned node_dtype(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return DT_REG;
	case S_IFDIR:
		return DT_DIR;
	case S_IFLNK:
		return DT_LNK;
	case S_IFSOCK:
		return DT_SOCK;
	default:
		return DT_UNKNOWN;
	}
}

/*
 * Directories: a name index (chained hash, buckets in a radix so it grows
 * without large contiguous allocations) and a readdir index keyed by a
 * cookie handed out in increasing order and never reused while any entry
 * exists. A listing resumes at "the first cookie >= position", so entries
 * present for the whole listing are returned exactly once however others
 * come and go. The cookie index is the truth; the hash is derived from it
 * (crash recovery rebuilds it).
 */
#include "internal.h"

#include <errno.h>

#define DIR_MIN_BUCKETS_LOG2 3
#define DIR_BOGO_DIRENT 20 /* tmpfs reports 20 bytes of size per entry */

static uint32_t dir_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (uint8_t)name[i];
		h *= 16777619u;
	}
	return h;
}

int dir_init(rd_tree *t, uint64_t node, uint64_t parent)
{
	struct rd_node *n = OFF2P(t, node);
	struct rd_dirx *x;
	uint64_t off;
	int rc = obj_alloc(t, sizeof(struct rd_dirx), &off);

	if (rc < 0)
		return rc;
	x = OFF2P(t, off);
	x->parent = parent;
	x->next_cookie = RD_COOKIE_FIRST;
	x->hash.aux2 = DIR_MIN_BUCKETS_LOG2;
	n->ext = off;
	n->size = 2 * DIR_BOGO_DIRENT;
	return 0;
}

void dir_update_size(struct rd_node *dir, struct rd_dirx *x)
{
	dir->size = (2 + x->entries) * DIR_BOGO_DIRENT;
}

static inline uint64_t dir_bucket(const struct rd_dirx *x, uint32_t hash)
{
	return hash & ((1ull << x->hash.aux2) - 1);
}

uint64_t dir_lookup(rd_tree *t, struct rd_node *dir, const char *name, size_t len)
{
	struct rd_dirx *x = dirx(t, dir);
	uint32_t h = dir_hash(name, len);
	uint64_t d = radix_get(t, &x->hash, dir_bucket(x, h));

	while (d) {
		struct rd_dirent *e = OFF2P(t, d);

		if (e->hash == h && e->namelen == len && memcmp(e->name, name, len) == 0)
			return d;
		d = e->hnext;
	}
	return 0;
}

/* Link an entry at the head of its bucket chain. */
static int dir_hash_insert(rd_tree *t, struct rd_dirx *x, uint64_t d)
{
	struct rd_dirent *e = OFF2P(t, d);
	uint64_t b = dir_bucket(x, e->hash);

	e->hnext = radix_get(t, &x->hash, b);
	return radix_set(t, &x->hash, b, d);
}

static void dir_rehash_one(rd_tree *t, uint64_t d, void *arg)
{
	struct rd_dirx *x = arg;

	/* Buckets of a larger table: the nodes exist only where used, so an
	 * allocation failure here leaves the entry unindexed; callers check. */
	if (dir_hash_insert(t, x, d) < 0)
		x->hash.aux = 1;
}

/*
 * Moving the chains into a new table. The old buckets are taken in order,
 * so the new buckets they feed (b and b + old size, for a doubling) come in
 * order too: the slot of each is found in one of the two leaves last used,
 * not by a walk from the root. Entry by entry through the cookie index and
 * radix_set(), rehashing cost about 500 instructions per file created in
 * a 10,000-file directory, more than the rest of dir_add().
 */
struct dir_move {
	struct rd_dirx *x;
	uint64_t key[2];     /* bucket >> RD_RADIX_SHIFT of each cached leaf, +1 */
	uint64_t *leaf[2];
	unsigned last;       /* the leaf used last */
	int failed;
};

static uint64_t *dir_move_slot(rd_tree *t, struct dir_move *m, uint64_t b)
{
	uint64_t key = (b >> RD_RADIX_SHIFT) + 1, *slot;
	unsigned i;

	for (i = 0; i < 2; i++)
		if (m->key[i] == key) {
			m->last = i;
			return m->leaf[i] + (b & (RD_RADIX_FAN - 1));
		}
	slot = radix_slot(t, &m->x->hash, b);
	if (!slot)
		return NULL;
	i = m->last ^ 1;
	m->key[i] = key;
	m->leaf[i] = slot - (b & (RD_RADIX_FAN - 1));
	m->last = i;
	return slot;
}

static void dir_move_chain(rd_tree *t, uint64_t d, void *arg)
{
	struct dir_move *m = arg;

	while (d && !m->failed) {
		struct rd_dirent *e = OFF2P(t, d);
		uint64_t next = e->hnext, *slot = dir_move_slot(t, m, dir_bucket(m->x, e->hash));

		if (!slot) {
			m->failed = 1;
			return;
		}
		e->hnext = *slot;
		__atomic_store_n(slot, d, __ATOMIC_RELEASE);
		d = next;
	}
}

/* Rebuild the hash with 2^log2 buckets. Returns -ENOSPC (and leaves the old
 * table) if the new one does not fit. */
static int dir_rehash(rd_tree *t, struct rd_dirx *x, uint32_t log2)
{
	struct rd_radix old = x->hash;
	struct dir_move m = {x, {0, 0}, {NULL, NULL}, 0, 0};

	x->hash.root = 0;
	x->hash.aux = 0;
	x->hash.aux2 = log2;
	radix_walk_nodes(t, &old, NULL, dir_move_chain, &m);
	if (m.failed) {
		radix_destroy(t, &x->hash, NULL);
		x->hash = old;
		/* Old chains were overwritten: rebuild them in the old shape.
		 * That needs no more nodes than the old table, just freed. */
		radix_destroy(t, &x->hash, NULL);
		x->hash.root = 0;
		x->hash.aux = 0;
		x->hash.aux2 = old.aux2;
		radix_walk_nodes(t, &x->cookies, NULL, dir_rehash_one, x);
		return -ENOSPC;
	}
	radix_destroy(t, &old, NULL);
	return 0;
}

/* Recovery: the old table's nodes were reclaimed with everything else
 * unreachable. In a full tree the same shape may not fit again, but the
 * smallest table (one node) always does: every non-empty directory gave
 * back at least one node. Chains are longer until the next add regrows it. */
void dir_rebuild_hash(rd_tree *t, struct rd_dirx *x)
{
	x->hash.root = 0;
	x->hash.aux = 0;
	radix_walk_nodes(t, &x->cookies, NULL, dir_rehash_one, x);
	if (x->hash.aux) {
		radix_destroy(t, &x->hash, NULL);
		x->hash.aux = 0;
		x->hash.aux2 = DIR_MIN_BUCKETS_LOG2;
		radix_walk_nodes(t, &x->cookies, NULL, dir_rehash_one, x);
	}
}

int dir_add(rd_tree *t, struct rd_node *dir, const char *name, size_t len, uint64_t node, uint64_t *dent)
{
	struct rd_dirx *x = dirx(t, dir);
	struct rd_dirent *e;
	uint64_t d, cookie = x->next_cookie;
	int rc = obj_alloc(t, RD_DIRENT_HDR + len + 1, &d);

	if (rc < 0)
		return rc;
	e = OFF2P(t, d);
	e->node = node;
	e->cookie = cookie;
	e->hash = dir_hash(name, len);
	e->namelen = (uint16_t)len;
	e->type = (uint8_t)node_dtype(((struct rd_node *)OFF2P(t, node))->mode);
	memcpy(e->name, name, len);
	e->name[len] = 0;
	/* Publish in the cookie index first (the truth), then the hash. */
	rc = radix_set(t, &x->cookies, cookie, d);
	if (rc < 0) {
		obj_free(t, d);
		return rc;
	}
	rc = dir_hash_insert(t, x, d);
	if (rc < 0) {
		radix_clear(t, &x->cookies, cookie);
		obj_free(t, d);
		return rc;
	}
	x->next_cookie = cookie + 1;
	x->entries++;
	dir_update_size(dir, x);
	/* Keep chains short: double at load factor 2. Failure only costs speed. */
	if (x->entries > (2ull << x->hash.aux2)) {
		uint32_t log2 = x->hash.aux2 + 1;

		while (x->entries > (2ull << log2))
			log2++; /* after a recovery the table may be far too small */
		dir_rehash(t, x, log2);
	}
	if (dent)
		*dent = d;
	return 0;
}

void dir_remove(rd_tree *t, struct rd_node *dir, uint64_t d)
{
	struct rd_dirx *x = dirx(t, dir);
	struct rd_dirent *e = OFF2P(t, d);
	uint64_t b = dir_bucket(x, e->hash);
	uint64_t cur = radix_get(t, &x->hash, b), prev = 0;

	while (cur && cur != d) {
		prev = cur;
		cur = ((struct rd_dirent *)OFF2P(t, cur))->hnext;
	}
	if (cur) {
		if (prev)
			((struct rd_dirent *)OFF2P(t, prev))->hnext = e->hnext;
		else if (e->hnext)
			radix_set(t, &x->hash, b, e->hnext); /* slot exists: cannot fail */
		else
			radix_clear(t, &x->hash, b);
	}
	radix_clear(t, &x->cookies, e->cookie);
	obj_free(t, d);
	x->entries--;
	/* An empty directory starts its cookies over: no entry can then be
	 * repeated or skipped by a listing in progress. */
	if (x->entries == 0)
		x->next_cookie = RD_COOKIE_FIRST;
	dir_update_size(dir, x);
}

/* Listings run newest first, as tmpfs does since Linux 6.14: an entry
 * created during a listing is never returned by it, so a program that adds
 * files while it reads the directory still finishes. A position counts
 * down from the top cookie: pos = FIRST + (DIR_POS_TOP - cookie). */
#define DIR_POS_TOP (1ull << 62)

uint64_t dir_pos_after(uint64_t pos)
{
	return pos + 1;
}

uint64_t dir_next(rd_tree *t, struct rd_node *dir, uint64_t *pos)
{
	struct rd_dirx *x = dirx(t, dir);
	uint64_t cookie, d;

	if (*pos < RD_COOKIE_FIRST)
		*pos = RD_COOKIE_FIRST;
	if (*pos - RD_COOKIE_FIRST >= DIR_POS_TOP)
		return 0;
	cookie = DIR_POS_TOP - (*pos - RD_COOKIE_FIRST);
	d = radix_prev(t, &x->cookies, &cookie);
	if (d)
		*pos = RD_COOKIE_FIRST + (DIR_POS_TOP - cookie);
	return d;
}

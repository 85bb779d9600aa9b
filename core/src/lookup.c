/*
 * The lookup cache: this process's recent path walks, so that a repeated
 * stat or open costs one hash and one string compare instead of a walk of
 * every component; and rd_stat answered from it without the lock.
 * Validity comes from the arena's lookup generations (arena.c); the whole
 * argument is in docs/DESIGN.md 12. Divisions: the table and its key,
 * lookup_walk() (under the lock), lookup_stat_fast() (a seqlock reader).
 */
#include "internal.h"

#include <errno.h>
#include <stddef.h>

/* ---- the table ---- */

/*
 * An entry keeps exactly what path_resolve() returned for (base node, path,
 * flags): the result (0, -ENOENT or -ENOTDIR) and, for a success, struct
 * walk with the final name as an offset into the path. A success is good
 * while gen[GEN_POS] has not moved, a failure while gen[GEN_NEG] has not.
 * Not kept: walks that followed a symlink (the final name may live in
 * scratch), escapes and other errors (EACCES, ELOOP...), a success whose
 * final name is missing (WALK_PARENT: a create would change it without
 * moving gen[GEN_POS]), and walks from a removed directory (its ".."
 * depends on whether its old parent is still alive, which a close can
 * change under the read-only lock).
 *
 * A second kind of entry (flags LOOKUP_DIR) keeps the directory part of a
 * path ("a/b" of "a/b/c"): any walk that got to a plain final name without
 * a symlink records where its directory part led, so that a path never
 * walked before (a new file in a known directory) is walked from there
 * with its final name alone, which is what the whole walk does there.
 *
 * Search permission was checked as this handle's user: rd_tree_set_cred()
 * calls lookup_forget(). One table per process serves one tree (the first
 * to use it; a process normally has one); other handles bypass it. It is
 * written only under that tree's lock, so also only while its seq is odd.
 */
#define LOOKUP_SLOTS 128u
#define LOOKUP_PATH 232u        /* longer paths are not kept */
#define LOOKUP_NAME_NONE 0xffffu
#define LOOKUP_DIR 0x1000       /* key flag of a directory-part entry; no WALK_ flag */

struct lookup_ent {
	uint64_t gen;           /* gen[GEN_POS] of a success, gen[GEN_NEG] of a failure */
	uint64_t base;          /* base node (root for an absolute path) */
	uint64_t hash;
	uint64_t dir, node, dent;
	uint32_t plen;
	int32_t flags;
	int32_t rc;
	uint16_t name_off;      /* final name at path + name_off; LOOKUP_NAME_NONE: "" */
	uint16_t namelen;
	uint8_t trailing_slash, dotdot, used;
	char path[LOOKUP_PATH];
};

static struct lookup_ent lookup_tab[LOOKUP_SLOTS];
/* Admission: a path is kept on its second miss, so one-off walks (a file
 * created, then read once) do not pay for copying their path. */
static uint32_t lookup_seen[256];
static rd_tree *lookup_owner RD_HOT; /* the tree the table serves, NULL: free */
static uint64_t lookup_newest[2] RD_HOT; /* generation of the newest failure / success kept */
static uint64_t lookup_last RD_HOT; /* gen[GEN_POS] at the previous cached walk */
static int lookup_claimed RD_HOT; /* the table had an owner once: it may hold entries */

/* The table for t, claiming it if free; NULL: bypass. Under t's lock. */
static struct lookup_ent *lookup_table(rd_tree *t)
{
	rd_tree *owner = __atomic_load_n(&lookup_owner, __ATOMIC_ACQUIRE);

	if (likely(owner == t))
		return lookup_tab;
	if (owner || !__atomic_compare_exchange_n(&lookup_owner, &owner, t, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return NULL;
	/* What a previous owner kept. A process's first claim finds the
	 * table as loaded, all zero: clearing it then would dirty its 38 KiB,
	 * ten page faults (about 24 us) in every process that uses the tree. */
	if (lookup_claimed)
		memset(lookup_tab, 0, sizeof lookup_tab);
	lookup_claimed = 1;
	return lookup_tab;
}

RD_START void lookup_forget(rd_tree *t)
{
	rd_tree *owner = t;

	/* Loaded first: a compare-exchange writes even when it fails, and
	 * every process start comes here (rd_tree_set_cred) with the table
	 * unowned; the write would cost it a page fault. */
	if (__atomic_load_n(&lookup_owner, __ATOMIC_ACQUIRE) == t)
		__atomic_compare_exchange_n(&lookup_owner, &owner, NULL, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* Word-at-a-time over four independent lanes for long paths (the multiply
 * latency, not the bytes, is the cost); a short tail is read as at most two
 * overlapping words, no byte loop. Only the spread matters: the path is
 * compared in full before an entry is used. */
static inline uint64_t lookup_hash(const char *p, size_t n, uint64_t seed)
{
	const uint64_t k1 = 0xff51afd7ed558ccdull, k2 = 0xc4ceb9fe1a85ec53ull;
	uint64_t a = seed ^ (n * 0x9e3779b97f4a7c15ull), b = ~seed, w, v;

	if (n >= 32) {
		uint64_t c = a + k1, d = b + k2, x[4];

		do {
			memcpy(x, p, 32);
			a = (a ^ x[0]) * k1;
			b = (b ^ x[1]) * k2;
			c = (c ^ x[2]) * k1;
			d = (d ^ x[3]) * k2;
			a ^= a >> 31;
			b ^= b >> 29;
			c ^= c >> 30;
			d ^= d >> 28;
			p += 32;
			n -= 32;
		} while (n >= 32);
		a ^= c * k2;
		b ^= d * k1;
	}
	while (n > 16) {
		memcpy(&w, p, 8);
		memcpy(&v, p + 8, 8);
		a = (a ^ w) * k1;
		b = (b ^ v) * k2;
		a ^= a >> 31;
		b ^= b >> 29;
		p += 16;
		n -= 16;
	}
	if (n > 8) {
		memcpy(&w, p, 8);
		memcpy(&v, p + n - 8, 8);
	} else if (n >= 4) {
		uint32_t lo, hi;

		memcpy(&lo, p, 4);
		memcpy(&hi, p + n - 4, 4);
		w = lo | (uint64_t)hi << 32;
		v = 0;
	} else {
		w = n ? (uint8_t)p[0] | (uint64_t)(uint8_t)p[n >> 1] << 8 | (uint64_t)(uint8_t)p[n - 1] << 16 : 0;
		v = 0;
	}
	a = (a ^ w) * k1;
	b = (b ^ v) * k2;
	a ^= (b ^ (b >> 29)) + (a >> 31);
	a *= 0x9e3779b97f4a7c15ull;
	return a ^ (a >> 32);
}

/* The final name of path starts at *final; the directory part before it is
 * *dirlen bytes without its trailing slashes. 0 when there is no such
 * split: no directory part, a trailing slash, a final "." or "..", or a
 * directory part that is the root ("/name": nothing to save). */
static int lookup_split(const char *path, size_t plen, size_t *final, size_t *dirlen)
{
	size_t f = plen, k;

	while (f > 0 && path[f - 1] != '/')
		f--;
	if (f == plen || f == 0)
		return 0;
	if (path[f] == '.' && (f + 1 == plen || (path[f + 1] == '.' && f + 2 == plen)))
		return 0;
	for (k = f; k > 0 && path[k - 1] == '/'; k--)
		;
	if (k == 0)
		return 0;
	*final = f;
	*dirlen = k;
	return 1;
}

/* A path's key; the directory part's key only when a miss needs it. */
struct lookup_key {
	uint64_t base;          /* base node (root for an absolute path) */
	uint64_t h;             /* the path's own entry */
	uint64_t hdir;          /* its directory part's entry (split only) */
	size_t final, dirlen;
	int split;
};

static void lookup_key_make(struct lookup_key *k, uint64_t base, const char *path, size_t plen, int flags)
{
	k->base = base;
	k->h = lookup_hash(path, plen, base ^ (uint64_t)flags << 56);
}

static void lookup_key_dir(struct lookup_key *k, const char *path, size_t plen)
{
	k->hdir = k->final = k->dirlen = 0;
	k->split = lookup_split(path, plen, &k->final, &k->dirlen);
	if (k->split)
		k->hdir = lookup_hash(path, k->dirlen, k->base ^ (uint64_t)LOOKUP_DIR << 44);
}

/* The entry at hash h for (base, path, plen, flags), if there and good. */
static const struct lookup_ent *lookup_find(const uint64_t gen[2], uint64_t h, uint64_t base, const char *path,
					    size_t plen, int flags)
{
	const struct lookup_ent *e = &lookup_tab[h & (LOOKUP_SLOTS - 1)];

	if (__atomic_load_n(&e->used, __ATOMIC_ACQUIRE) && e->gen == gen[e->rc == 0 ? GEN_POS : GEN_NEG] &&
	    e->hash == h && e->base == base && e->plen == plen && e->flags == flags && !memcmp(e->path, path, plen))
		return e;
	return NULL;
}

static struct lookup_ent *lookup_slot(uint64_t h, uint64_t gen, uint64_t base, const char *path, size_t plen,
				      int flags, int rc)
{
	struct lookup_ent *e = &lookup_tab[h & (LOOKUP_SLOTS - 1)];

	/* Unused while it is rewritten, in this order: a fork by another
	 * thread meanwhile must not leave the child a half-written entry
	 * that looks good (nothing else stops a fork during an operation). */
	__atomic_store_n(&e->used, 0, __ATOMIC_RELAXED);
	RD_FENCE(__ATOMIC_RELEASE);
	e->gen = gen;
	e->base = base;
	e->hash = h;
	e->plen = (uint32_t)plen;
	e->flags = flags;
	e->rc = rc;
	memcpy(e->path, path, plen);
	lookup_newest[rc == 0 ? GEN_POS : GEN_NEG] = gen;
	return e;
}

static void lookup_publish(struct lookup_ent *e)
{
	__atomic_store_n(&e->used, 1, __ATOMIC_RELEASE);
}

/* Keep the result of a walk, on the second miss of its path. */
static void lookup_store(const uint64_t gen[2], const struct lookup_key *k, const char *path, size_t plen,
			 int flags, int rc, const struct walk *w)
{
	uint32_t *seen = &lookup_seen[(k->h >> 8) & 255], tag = (uint32_t)(k->h >> 32) | 1;
	uint16_t name_off = LOOKUP_NAME_NONE;
	struct lookup_ent *e;

	if (rc == 0) {
		if (w->hops || !w->node)
			return;
		if (w->namelen && w->name >= path && w->name + w->namelen <= path + plen)
			name_off = (uint16_t)(w->name - path);
		else if (w->namelen)
			return;
	} else if (rc != -ENOENT && rc != -ENOTDIR) {
		return;
	}
	if (*seen != tag) {
		*seen = tag;
		return;
	}
	e = lookup_slot(k->h, gen[rc == 0 ? GEN_POS : GEN_NEG], k->base, path, plen, flags, rc);
	if (rc == 0) {
		e->dir = w->dir;
		e->node = w->node;
		e->dent = w->dent;
		e->name_off = name_off;
		e->namelen = (uint16_t)w->namelen;
		e->trailing_slash = (uint8_t)w->trailing_slash;
		e->dotdot = (uint8_t)w->dotdot;
	}
	lookup_publish(e);
}

/* ---- walks under the lock ---- */

int lookup_walk(rd_tree *t, uint64_t cur, const char *path, size_t plen, int flags, struct walk *w)
{
	const struct lookup_ent *e;
	struct lookup_key k;
	uint64_t gen[2], base, dir = 0;
	int rc;

	if (plen >= LOOKUP_PATH || !tree_lookup_gen(t, gen) || !lookup_table(t))
		return path_resolve(t, cur, path, plen, flags, w);
	/* Everything kept is stale and the namespace moved since the previous
	 * walk: walks are interleaved with changes (rm -r, a create-unlink
	 * loop), and what this one would keep is likely stale before use. */
	if (gen[GEN_POS] != lookup_last && gen[GEN_NEG] != lookup_newest[GEN_NEG] &&
	    gen[GEN_POS] != lookup_newest[GEN_POS]) {
		lookup_last = gen[GEN_POS];
		return path_resolve(t, cur, path, plen, flags, w);
	}
	lookup_last = gen[GEN_POS];
	if (path[0] == '/')
		base = SUPER(t)->root;
	else if (((struct rd_node *)OFF2P(t, cur))->nlink)
		base = cur;
	else /* a removed directory (see above) */
		return path_resolve(t, cur, path, plen, flags, w);
	lookup_key_make(&k, base, path, plen, flags);
	e = lookup_find(gen, k.h, base, path, plen, flags);
	if (e) {
		if (e->rc)
			return e->rc;
		w->dir = e->dir;
		w->node = e->node;
		w->dent = e->dent;
		w->name = e->name_off == LOOKUP_NAME_NONE ? "" : path + e->name_off;
		w->namelen = e->namelen;
		w->trailing_slash = e->trailing_slash;
		w->dotdot = e->dotdot;
		return 0;
	}
	lookup_key_dir(&k, path, plen);
	if (k.split) {
		e = lookup_find(gen, k.hdir, base, path, k.dirlen, LOOKUP_DIR);
		dir = e ? e->node : 0;
	}
	if (dir)
		rc = path_resolve(t, dir, path + k.final, plen - k.final, flags, w);
	else
		rc = path_resolve(t, cur, path, plen, flags, w);
	lookup_store(gen, &k, path, plen, flags, rc, w);
	if (k.split && !dir && rc == 0 && !w->hops && w->dir) {
		struct lookup_ent *d = lookup_slot(k.hdir, gen[GEN_POS], base, path, k.dirlen, LOOKUP_DIR, 0);

		d->node = w->dir;
		lookup_publish(d);
	}
	return rc;
}

/* ---- stat without the lock ---- */

/* A node offset a racy read produced, if it may be dereferenced at all. */
static int lookup_node_ok(rd_tree *t, uint64_t node)
{
	return node >= SUPER(t)->pages_start && node <= t->size - sizeof(struct rd_node) && !(node & 15);
}

/* The node behind handle fh, read racily: 0 if it is not plausible. */
static uint64_t lookup_fh_node(rd_tree *t, rd_fh fh)
{
	struct rd_ofile *of = ofile_get(t, fh);
	uint64_t node;

	if (!of)
		return 0;
	node = __atomic_load_n(&of->node, __ATOMIC_RELAXED);
	return lookup_node_ok(t, node) ? node : 0;
}

/*
 * What rd_stat() under the lock would answer, as a seqlock reader: with
 * seq even, the node comes from the cache (or the open file), is copied,
 * and the copy counts only if seq has not moved, i.e. no holder in any
 * process changed anything meanwhile. The table too is written only by
 * holders. Every offset read is bounds-checked before use and nothing is
 * chased beyond the node. Errors other than cached ENOENT/ENOTDIR, and
 * anything not in the cache, are LOOKUP_MISS: the caller takes the lock.
 */
int lookup_stat_fast(rd_tree *t, rd_fh base, const char *path, int wflags, struct stat *st)
{
	struct rd_node copy;
	uint64_t seq, gen[2], node = 0, key;
	int rc = 0;

	if (!RD_SEQLOCK_READERS || __atomic_load_n(&lookup_owner, __ATOMIC_RELAXED) != t)
		return LOOKUP_MISS;
	seq = tree_read_begin(t, gen);
	if (seq & 1)
		return LOOKUP_MISS;
	/* The base is checked even for an absolute path, as path_walk() does. */
	if (base != RD_ROOT && !(node = lookup_fh_node(t, base)))
		return LOOKUP_MISS;
	if (!path && !node)
		return LOOKUP_MISS; /* fstat of RD_ROOT: EBADF */
	if (path) {
		size_t plen = strlen(path);
		const struct lookup_ent *e;
		struct lookup_key k;

		if (plen == 0 || plen >= LOOKUP_PATH ||
		    (gen[GEN_NEG] != lookup_newest[GEN_NEG] && gen[GEN_POS] != lookup_newest[GEN_POS]))
			return LOOKUP_MISS;
		if (path[0] == '/' || base == RD_ROOT)
			key = SUPER(t)->root;
		else if (__atomic_load_n(&((struct rd_node *)OFF2P(t, node))->nlink, __ATOMIC_RELAXED))
			key = node;
		else
			return LOOKUP_MISS;
		lookup_key_make(&k, key, path, plen, wflags);
		e = lookup_find(gen, k.h, key, path, plen, wflags);
		if (!e)
			return LOOKUP_MISS;
		rc = e->rc;
		node = e->node;
		if (rc == 0 && !lookup_node_ok(t, node))
			return LOOKUP_MISS;
	}
	if (rc == 0)
		memcpy(&copy, OFF2P(t, node), sizeof copy);
	if (!tree_read_ok(t, seq))
		return LOOKUP_MISS;
	if (rc == 0)
		node_stat(t, &copy, st);
	return rc;
}

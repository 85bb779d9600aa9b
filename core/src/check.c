/*
 * Consistency check and crash recovery, one walk for both.
 *
 * The tree reachable from the root and from the open-file list is the
 * truth, with the lock records that still mean something (see chk_locks). Everything else is derived from it: which pages are in use and by
 * what, slab occupancy, free lists, usage counters, link counts, directory
 * sizes and the name hashes. rd_tree_check recomputes all of it and
 * compares; tree_recover (run by the next locker after a lock holder died)
 * recomputes it and writes it back, so allocations in flight when a process
 * was killed are reclaimed and counters are exact again.
 *
 * Scratch memory comes from mmap, not malloc: recovery may run inside any
 * libc call of a preloaded program.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct chk_link {
	uint64_t node;
	uint32_t links, opens;
	uint32_t lockfiles;           /* rd_lockfile objects naming the node */
};

struct chk {
	rd_tree *t;
	int repair;
	uint64_t npages;              /* pages below the bump pointer */
	uint8_t *types;               /* recomputed page types */
	uint64_t (*live)[4];          /* recomputed slab bits */
	struct chk_link *lk;          /* node -> references, open addressing */
	uint64_t lk_cap;
	uint64_t nodes, ofiles, mapped, locks;
	/* repair: second entries of one directory (a rename killed between
	 * adding the new entry and removing the old), removed afterwards */
	struct {
		uint64_t dir, dent;
	} dup[8];
	int ndup;
	/* repair: entries of an add that never completed */
	struct {
		uint64_t dir, cookie;
	} drop[8];
	int ndrop;
	int err;
	char *msg;
	size_t msglen;
};

static void *chk_map(uint64_t bytes)
{
	long p = syscall(SYS_mmap, NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, (off_t)0);

	return p == -1 ? NULL : (void *)p;
}

static void chk_unmap(void *p, uint64_t bytes)
{
	if (p)
		syscall(SYS_munmap, p, bytes ? bytes : 1);
}

__attribute__((format(printf, 2, 3))) static void chk_fail(struct chk *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err++ || !c->msg || !c->msglen)
		return;
	va_start(ap, fmt);
	vsnprintf(c->msg, c->msglen, fmt, ap);
	va_end(ap);
}

static struct chk_link *chk_link(struct chk *c, uint64_t node)
{
	uint64_t i = (node >> 4) * 0x9e3779b97f4a7c15ull;

	for (i &= c->lk_cap - 1;; i = (i + 1) & (c->lk_cap - 1)) {
		if (c->lk[i].node == node || c->lk[i].node == 0) {
			c->lk[i].node = node;
			return &c->lk[i];
		}
	}
}

/* The entry of a node already counted, NULL if the walk never met it. */
static struct chk_link *chk_link_find(struct chk *c, uint64_t node)
{
	uint64_t i = (node >> 4) * 0x9e3779b97f4a7c15ull;

	for (i &= c->lk_cap - 1;; i = (i + 1) & (c->lk_cap - 1)) {
		if (c->lk[i].node == node)
			return &c->lk[i];
		if (c->lk[i].node == 0)
			return NULL;
	}
}

static int chk_in_pages(struct chk *c, uint64_t off)
{
	struct rd_super *s = SUPER(c->t);

	return off >= s->pages_start && page_idx(c->t, off) < c->npages;
}

/* Mark a slab object. Returns 1 if it was already marked, -1 if invalid. */
static int chk_obj(struct chk *c, uint64_t off)
{
	rd_tree *t = c->t;
	uint64_t page = off & ~(uint64_t)(RD_PAGE - 1), idx, slot, size;
	struct rd_slab *sl;

	if (!chk_in_pages(c, off)) {
		chk_fail(c, "object %#llx outside the used arena", (unsigned long long)off);
		return -1;
	}
	idx = page_idx(t, page);
	sl = OFF2P(t, page);
	if (c->types[idx] == 0) {
		c->types[idx] = PG_SLAB;
		memset(c->live[idx], 0, sizeof c->live[idx]);
	} else if (c->types[idx] != PG_SLAB) {
		chk_fail(c, "object %#llx inside a data page", (unsigned long long)off);
		return -1;
	}
	if (sl->cls >= RD_NCLASS) {
		chk_fail(c, "slab page %#llx has class %u", (unsigned long long)page, sl->cls);
		return -1;
	}
	size = rd_class_size[sl->cls];
	if (off < page + RD_SLAB_HDR || (off - page - RD_SLAB_HDR) % size) {
		chk_fail(c, "object %#llx misaligned for class %llu", (unsigned long long)off,
			 (unsigned long long)size);
		return -1;
	}
	slot = (off - page - RD_SLAB_HDR) / size;
	if (c->live[idx][slot / 64] & (1ull << (slot & 63)))
		return 1;
	c->live[idx][slot / 64] |= 1ull << (slot & 63);
	return 0;
}

static void chk_page(struct chk *c, uint64_t off)
{
	uint64_t idx;

	if (!chk_in_pages(c, off) || (off & (RD_PAGE - 1))) {
		chk_fail(c, "data page %#llx invalid", (unsigned long long)off);
		return;
	}
	idx = page_idx(c->t, off);
	if (c->types[idx]) {
		chk_fail(c, "page %#llx referenced twice", (unsigned long long)off);
		return;
	}
	c->types[idx] = PG_DATA;
}

/* radix_walk_nodes callbacks carry no context; the walk is single-threaded
 * under the tree lock, so the current checker is kept here. */
static __thread struct chk *chk_cur __attribute__((tls_model("initial-exec")));

static void chk_radix_node(rd_tree *t, uint64_t node)
{
	(void)t;
	chk_obj(chk_cur, node);
}

struct chk_file {
	uint64_t pages;
};

static void chk_file_page(rd_tree *t, uint64_t page, void *arg)
{
	((struct chk_file *)arg)->pages++;
	/* A page still tagged PG_NEW, PG_FRESH or PG_STALE was reserved by a
	 * write whose copy had not reached it when its process died: it may
	 * hold another file's old bytes, so it reads as the hole it replaced. */
	if (chk_cur->repair && chk_in_pages(chk_cur, page) && PG_IS_NEW(page_types(t)[page_idx(t, page)]))
		memset(OFF2P(t, page), 0, RD_PAGE);
	chk_page(chk_cur, page);
}

static void chk_node(struct chk *c, uint64_t node, uint64_t parent);

/* A file's map root names a radix node (height 1..11 in the low bits, a
 * 512-byte slab object) or, height 0, one data page held directly. */
static int chk_radix_root_ok(struct chk *c, uint64_t root)
{
	uint64_t node = root & ~RADIX_HMASK, page = node & ~(uint64_t)(RD_PAGE - 1);
	uint32_t h = (uint32_t)(root & RADIX_HMASK);
	struct rd_slab *sl;

	if (h == 0) /* one page held directly; never a slab object (those are not page-aligned) */
		return node == page && chk_in_pages(c, node) && page_types(c->t)[page_idx(c->t, page)] != PG_SLAB;
	if (h > 11 || !chk_in_pages(c, node) || page_types(c->t)[page_idx(c->t, page)] != PG_SLAB)
		return 0;
	sl = OFF2P(c->t, page);
	return sl->cls < RD_NCLASS && rd_class_size[sl->cls] == RD_RADIX_FAN * sizeof(uint64_t) &&
	       node >= page + RD_SLAB_HDR && (node - page - RD_SLAB_HDR) % rd_class_size[sl->cls] == 0;
}

struct chk_dir {
	uint64_t dir;
	uint64_t entries, subdirs;
};

static int chk_is_marked(struct chk *c, uint64_t off)
{
	uint64_t page = off & ~(uint64_t)(RD_PAGE - 1), idx, slot;
	struct rd_slab *sl;

	if (!chk_in_pages(c, off))
		return 0;
	idx = page_idx(c->t, page);
	if (c->types[idx] != PG_SLAB)
		return 0;
	sl = OFF2P(c->t, page);
	slot = (off - page - RD_SLAB_HDR) / rd_class_size[sl->cls];
	return (c->live[idx][slot / 64] >> (slot & 63)) & 1;
}

static void chk_dirent(rd_tree *t, uint64_t d, void *arg)
{
	struct chk_dir *cd = arg;
	struct chk *c = chk_cur;
	struct rd_dirent *e = OFF2P(t, d);
	struct rd_node *dir = OFF2P(t, cd->dir), *n;

	if (e->cookie >= dirx(t, dir)->next_cookie) {
		/* dir_add hands out the cookie only once both indexes hold the
		 * entry: this add never completed. Drop it, unmarked, so the
		 * entry (and a node only it named) go back to the free lists. */
		if (!c->repair)
			chk_fail(c, "entry '%.*s' has cookie %llu past %llu", (int)e->namelen, e->name,
				 (unsigned long long)e->cookie, (unsigned long long)dirx(t, dir)->next_cookie);
		else if (c->ndrop < (int)(sizeof c->drop / sizeof c->drop[0])) {
			c->drop[c->ndrop].dir = cd->dir;
			c->drop[c->ndrop++].cookie = e->cookie;
		}
		return;
	}
	if (chk_obj(c, d) != 0) {
		chk_fail(c, "dirent %#llx invalid or listed twice", (unsigned long long)d);
		return;
	}
	cd->entries++;
	if (!c->repair && dir_lookup(t, dir, e->name, e->namelen) != d)
		chk_fail(c, "entry '%.*s' missing from its name hash", (int)e->namelen, e->name);
	n = OFF2P(t, e->node);
	if (c->repair)
		e->type = (uint8_t)node_dtype(n->mode); /* a rename killed between its two stores */
	else if (e->type != node_dtype(n->mode))
		chk_fail(c, "entry '%.*s' has type %u", (int)e->namelen, e->name, e->type);
	if (S_ISDIR(n->mode)) {
		if (c->repair && chk_is_marked(c, e->node)) {
			/* Reached twice: keep the first way, drop this one. */
			if (c->ndup < (int)(sizeof c->dup / sizeof c->dup[0])) {
				c->dup[c->ndup].dir = cd->dir;
				c->dup[c->ndup++].dent = d;
			}
			return;
		}
		cd->subdirs++;
		if (c->repair) {
			dirx(t, n)->parent = cd->dir;
			dirx(t, n)->self = d;
		} else if (dirx(t, n)->parent != cd->dir || dirx(t, n)->self != d) {
			chk_fail(c, "directory '%.*s' has wrong parent or self", (int)e->namelen, e->name);
		}
	}
	chk_node(c, e->node, cd->dir);
}

static void chk_dir(struct chk *c, uint64_t node)
{
	rd_tree *t = c->t;
	struct rd_node *n = OFF2P(t, node);
	struct rd_dirx *x = dirx(t, n);
	struct chk_dir cd = {node, 0, 0};
	uint32_t want;

	chk_obj(c, n->ext);
	if (c->repair)
		x->hash.root = 0; /* rebuilt from the cookies once pages are sorted out */
	else
		radix_walk_nodes(t, &x->hash, chk_radix_node, NULL, NULL);
	radix_walk_nodes(t, &x->cookies, chk_radix_node, chk_dirent, &cd);
	want = n->nlink == 0 ? 0 : (uint32_t)(2 + cd.subdirs);
	if (c->repair) {
		x->entries = cd.entries;
		dir_update_size(n, x);
		n->nlink = want;
	} else {
		if (x->entries != cd.entries)
			chk_fail(c, "directory ino %llu counts %llu entries, has %llu", (unsigned long long)n->ino,
				 (unsigned long long)x->entries, (unsigned long long)cd.entries);
		if (n->nlink != want)
			chk_fail(c, "directory ino %llu nlink %u, expected %u", (unsigned long long)n->ino, n->nlink,
				 want);
	}
}

static void chk_node(struct chk *c, uint64_t node, uint64_t parent)
{
	rd_tree *t = c->t;
	struct rd_node *n = OFF2P(t, node);
	struct chk_link *l;
	int seen;

	seen = chk_obj(c, node);
	if (seen < 0)
		return;
	l = chk_link(c, node);
	if (parent && !S_ISDIR(n->mode))
		l->links++;
	if (seen)
		return; /* a hard link to a node already walked */
	c->nodes++;
	if (S_ISREG(n->mode)) {
		if (c->repair && !n->map.aux && n->map.root && !chk_radix_root_ok(c, n->map.root)) {
			/* Killed between "not inline" and the new map root: the
			 * root still names the inline buffer. Read it as such. */
			uint64_t page = n->map.root & ~(uint64_t)(RD_PAGE - 1);

			n->map.aux = chk_in_pages(c, n->map.root)
					     ? rd_class_size[((struct rd_slab *)OFF2P(t, page))->cls]
					     : 0;
			if (!n->map.aux)
				n->map.root = 0;
		}
		if (n->map.aux) {
			chk_obj(c, n->map.root);
		} else {
			struct chk_file f = {0};

			radix_walk_nodes(t, &n->map, chk_radix_node, chk_file_page, &f);
			if (c->repair)
				n->ext = f.pages;
			else if (n->ext != f.pages)
				chk_fail(c, "file ino %llu counts %llu pages, has %llu", (unsigned long long)n->ino,
					 (unsigned long long)n->ext, (unsigned long long)f.pages);
		}
	} else if (S_ISLNK(n->mode)) {
		if (n->size >= RD_SHORT_SYMLINK)
			chk_page(c, n->ext);
		else
			chk_obj(c, n->ext);
	} else if (S_ISDIR(n->mode)) {
		chk_dir(c, node);
	}
}

static void chk_ofiles(struct chk *c)
{
	rd_tree *t = c->t;
	struct rd_super *s = SUPER(t);
	uint64_t off = s->ofiles, prev = 0;

	while (off) {
		struct rd_ofile *of = OFF2P(t, off);

		if (c->repair && of->refs == 0) {
			/* Its last close was cut short: finish it by dropping
			 * it from the list; the sweep reclaims it. */
			if (prev)
				((struct rd_ofile *)OFF2P(t, prev))->next = of->next;
			else
				s->ofiles = of->next;
			off = of->next;
			continue;
		}
		if (chk_obj(c, off) != 0 || of->magic != RD_OFILE_MAGIC || of->refs == 0) {
			chk_fail(c, "open file %#llx invalid", (unsigned long long)off);
			return;
		}
		if (c->repair)
			of->prev = prev;
		else if (of->prev != prev)
			chk_fail(c, "open file list broken at %#llx", (unsigned long long)off);
		/* The ledger never counts more than the references (holder.c);
		 * a holder killed mid-update may leave it so: forget it (leaks
		 * those references rather than risk freeing a used one). */
		if ((uint64_t)of->hcnt[0] + of->hcnt[1] > of->refs) {
			if (c->repair)
				of->hcnt[0] = of->hcnt[1] = of->hpid[0] = of->hpid[1] = 0;
			else
				chk_fail(c, "open file %#llx ledgers %u+%u of %u references", (unsigned long long)off,
					 of->hcnt[0], of->hcnt[1], of->refs);
		}
		c->ofiles++;
		c->mapped += of->mapping != 0;
		chk_node(c, of->node, 0);
		chk_link(c, of->node)->opens++;
		prev = off;
		off = of->next;
	}
}

/* Does lock record r of lockfile lf still mean something? An open-file
 * owner must be one of the open files just walked, of the same node. */
static int chk_lock_ok(struct chk *c, const struct rd_lockfile *lf, const struct rd_lock *r)
{
	const struct rd_ofile *of;

	if (r->kind == LK_POSIX || r->kind == LK_WAIT)
		return r->owner && r->owner <= INT32_MAX &&
		       (r->kind == LK_WAIT || ((r->type == F_RDLCK || r->type == F_WRLCK) && r->start <= r->end &&
					       r->end <= LK_EOF));
	if ((r->kind != LK_OFD && r->kind != LK_FLOCK) || (r->type != F_RDLCK && r->type != F_WRLCK) ||
	    r->start > r->end || r->end > LK_EOF)
		return 0;
	if ((r->owner & 15) || r->owner + sizeof *of > c->t->size || !chk_is_marked(c, r->owner))
		return 0;
	of = OFF2P(c->t, r->owner);
	return of->magic == RD_OFILE_MAGIC && of->refs && of->node == lf->node;
}

/*
 * Advisory locks (lock.c): rd_super.locks lists a lockfile per node, each
 * its records. A lockfile whose node nobody has open, or a second one for
 * a node, and a record whose owning open file is gone (a process died
 * between freeing the open file and dropping its locks) mean nothing:
 * repair unlinks them unmarked, so the sweep reclaims them; the check
 * reports them. Runs after chk_ofiles, which counted the opens.
 */
static void chk_locks(struct chk *c)
{
	rd_tree *t = c->t;
	uint64_t *flink = &SUPER(t)->locks;

	while (*flink) {
		uint64_t foff = *flink, *rlink;
		struct rd_lockfile *lf;
		struct chk_link *l;

		if (!chk_in_pages(c, foff)) {
			chk_fail(c, "lock file %#llx outside the arena", (unsigned long long)foff);
			if (c->repair)
				__atomic_store_n(flink, 0, __ATOMIC_RELEASE);
			return;
		}
		lf = OFF2P(t, foff);
		l = chk_link_find(c, lf->node);
		if (!l || !l->opens || l->lockfiles) {
			if (!c->repair) {
				chk_fail(c, "locks kept on node %#llx, %s", (unsigned long long)lf->node,
					 l && l->lockfiles ? "listed twice" : "which nothing has open");
			} else {
				__atomic_store_n(flink, lf->next, __ATOMIC_RELEASE);
				continue;
			}
		}
		rlink = &lf->head;
		while (*rlink) {
			uint64_t roff = *rlink;
			struct rd_lock *r = OFF2P(t, roff);

			if (!chk_in_pages(c, roff) || !chk_lock_ok(c, lf, r)) {
				if (!c->repair) {
					chk_fail(c, "lock record %#llx of node %#llx invalid or orphaned",
						 (unsigned long long)roff, (unsigned long long)lf->node);
				} else if (!chk_in_pages(c, roff)) {
					__atomic_store_n(rlink, 0, __ATOMIC_RELEASE);
					break;
				} else {
					__atomic_store_n(rlink, r->next, __ATOMIC_RELEASE);
					continue;
				}
			}
			if (chk_obj(c, roff) != 0) {
				chk_fail(c, "lock record %#llx invalid or listed twice", (unsigned long long)roff);
				if (c->repair)
					__atomic_store_n(rlink, 0, __ATOMIC_RELEASE);
				break;
			}
			c->locks++;
			rlink = &r->next;
		}
		if (!lf->head) {
			if (!c->repair)
				chk_fail(c, "empty lock file kept for node %#llx", (unsigned long long)lf->node);
			else {
				__atomic_store_n(flink, lf->next, __ATOMIC_RELEASE);
				continue;
			}
		}
		if (chk_obj(c, foff) != 0) {
			chk_fail(c, "lock file %#llx invalid or listed twice", (unsigned long long)foff);
			if (c->repair)
				__atomic_store_n(flink, 0, __ATOMIC_RELEASE);
			return;
		}
		if (l)
			l->lockfiles++;
		flink = &lf->next;
	}
}

/* Compare (or, repairing, apply) per-node link and open counts. */
static void chk_links(struct chk *c)
{
	uint64_t i;

	for (i = 0; i < c->lk_cap; i++) {
		struct chk_link *l = &c->lk[i];
		struct rd_node *n;

		if (!l->node)
			continue;
		n = OFF2P(c->t, l->node);
		if (c->repair) {
			if (!S_ISDIR(n->mode))
				n->nlink = l->links;
			n->opens = l->opens;
			continue;
		}
		if (!S_ISDIR(n->mode) && n->nlink != l->links)
			chk_fail(c, "ino %llu nlink %u, has %u links", (unsigned long long)n->ino, n->nlink, l->links);
		if (n->opens != l->opens)
			chk_fail(c, "ino %llu opens %u, has %u", (unsigned long long)n->ino, n->opens, l->opens);
	}
}

/* Returns the list's last entry (index + 1, 0: empty or broken). */
static uint32_t chk_free_list(struct chk *c, uint32_t head, uint8_t want, uint64_t count, const char *name)
{
	uint32_t *next = OFF2P(c->t, SUPER(c->t)->next_tab);
	uint8_t *types = page_types(c->t);
	uint64_t n = 0;
	uint32_t last = 0;

	while (head && n <= c->npages) {
		uint64_t idx = head - 1;

		if (idx >= c->npages || types[idx] != want || c->types[idx]) {
			chk_fail(c, "%s free list holds page %llu wrongly", name, (unsigned long long)idx);
			return 0;
		}
		n++;
		last = head;
		head = next[idx];
	}
	if (n != count)
		chk_fail(c, "%s free list has %llu pages, counted %llu", name, (unsigned long long)n,
			 (unsigned long long)count);
	return last;
}

static void chk_compare_pages(struct chk *c)
{
	rd_tree *t = c->t;
	struct rd_super *s = SUPER(t);
	uint8_t *types = page_types(t);
	uint64_t i, used = 0, data = 0, partial = 0, listed = 0;
	int cls;

	for (i = 0; i < c->npages; i++) {
		uint8_t want = c->types[i];

		used += want != 0;
		data += want == PG_DATA;
		if (want != (types[i] == PG_COLD ? 0 : types[i])) {
			chk_fail(c, "page %llu is type %u, expected %u", (unsigned long long)i, types[i], want);
			continue;
		}
		if (want == PG_SLAB) {
			struct rd_slab *sl = OFF2P(t, page_off(t, i));
			uint32_t live = 0, w;

			if (memcmp(sl->live, c->live[i], sizeof sl->live))
				chk_fail(c, "slab page %llu occupancy differs from reachable objects",
					 (unsigned long long)i);
			for (w = 0; w < 4; w++)
				live += (uint32_t)__builtin_popcountll(sl->live[w]);
			if (live == 0)
				chk_fail(c, "empty slab page %llu kept", (unsigned long long)i);
			partial += sl->nfree != 0;
		}
	}
	for (cls = 0; cls < RD_NCLASS; cls++)
		for (i = s->slab_partial[cls]; i && listed <= c->npages; listed++)
			i = ((struct rd_slab *)OFF2P(t, i))->next;
	if (listed != partial)
		chk_fail(c, "%llu slab pages have room, %llu are listed", (unsigned long long)partial,
			 (unsigned long long)listed);
	if (s->pages_used != used || s->data_pages != data)
		chk_fail(c, "usage says %llu pages (%llu data), reachable %llu (%llu data)",
			 (unsigned long long)s->pages_used, (unsigned long long)s->data_pages,
			 (unsigned long long)used, (unsigned long long)data);
	if (used + s->warm_count + s->cold_count != c->npages)
		chk_fail(c, "pages: %llu used + %llu warm + %llu cold != %llu handed out",
			 (unsigned long long)used, (unsigned long long)s->warm_count,
			 (unsigned long long)s->cold_count, (unsigned long long)c->npages);
	if (chk_free_list(c, s->warm_head, PG_FREE, s->warm_count, "warm") != s->warm_tail)
		chk_fail(c, "warm list tail is page %llu, not its last", (unsigned long long)s->warm_tail - 1);
	if (s->warm_hot > s->warm_count)
		chk_fail(c, "%llu hot warm pages of %llu", (unsigned long long)s->warm_hot,
			 (unsigned long long)s->warm_count);
	chk_free_list(c, s->cold_head, PG_COLD, s->cold_count, "cold");
}

static void chk_apply_pages(struct chk *c)
{
	rd_tree *t = c->t;
	uint8_t *types = page_types(t);
	uint64_t i;

	for (i = 0; i < c->npages; i++) {
		if (c->types[i] == PG_SLAB) {
			struct rd_slab *sl = OFF2P(t, page_off(t, i));
			uint32_t size = rd_class_size[sl->cls], slot;

			memcpy(sl->live, c->live[i], sizeof c->live[i]);
			/* Zero what was reclaimed, so a handle to an open file
			 * that died with its process fails the magic check. */
			for (slot = 0; slot < (RD_PAGE - RD_SLAB_HDR) / size && slot < 256; slot++)
				if (!((sl->live[slot / 64] >> (slot & 63)) & 1))
					memset((uint8_t *)sl + RD_SLAB_HDR + (uint64_t)slot * size, 0, size);
		}
		if (c->types[i])
			types[i] = c->types[i];
		else if (types[i] != PG_COLD)
			types[i] = PG_FREE;
	}
	alloc_rebuild(t);
}

/* Second repair pass, with the allocator rebuilt: name hashes come back
 * from the cookie indexes, and files lose pages an interrupted write left
 * past EOF (keeping "bytes past EOF are zero"). */
static void chk_fixup(rd_tree *t, uint64_t node);

static void chk_fixup_entry(rd_tree *t, uint64_t d, void *arg)
{
	struct rd_dirent *e = OFF2P(t, d);

	(void)arg;
	chk_fixup(t, e->node);
}

static void chk_fixup(rd_tree *t, uint64_t node)
{
	struct rd_node *n = OFF2P(t, node);

	if (S_ISREG(n->mode)) {
		data_trim_eof(t, n);
		return;
	}
	if (!S_ISDIR(n->mode))
		return;
	dir_rebuild_hash(t, dirx(t, n));
	radix_walk_nodes(t, &dirx(t, n)->cookies, NULL, chk_fixup_entry, NULL);
}

static int chk_run(rd_tree *t, int repair, char *msg, size_t msglen)
{
	struct rd_super *s = SUPER(t);
	struct chk c;
	uint64_t tbytes, lbytes;

	memset(&c, 0, sizeof c);
	c.t = t;
	c.repair = repair;
	c.msg = msg;
	c.msglen = msglen;
	if (msg && msglen)
		msg[0] = 0;
	c.npages = s->bump;
	c.lk_cap = 64;
	while (c.lk_cap < 2 * (s->nodes + s->nofiles + 16))
		c.lk_cap <<= 1;
	tbytes = c.npages * (1 + sizeof *c.live) + 64;
	lbytes = c.lk_cap * sizeof *c.lk;
	c.types = chk_map(tbytes);
	c.lk = chk_map(lbytes);
	if (!c.types || !c.lk) {
		chk_unmap(c.types, tbytes);
		chk_unmap(c.lk, lbytes);
		return -ENOMEM;
	}
	c.live = (void *)(c.types + ((c.npages + 31) & ~(uint64_t)31));
	chk_cur = &c;
	chk_node(&c, s->root, 0);
	chk_ofiles(&c);
	chk_locks(&c);
	chk_links(&c);
	if (repair) {
		chk_apply_pages(&c);
		s->nodes = c.nodes;
		s->nofiles = c.ofiles;
		s->nmapped = c.mapped;
		s->nlocks = c.locks;
		for (int i = 0; i < c.ndrop; i++)
			radix_clear(t, &dirx(t, OFF2P(t, c.drop[i].dir))->cookies, c.drop[i].cookie);
		for (int i = 0; i < c.ndup; i++)
			dir_remove(t, OFF2P(t, c.dup[i].dir), c.dup[i].dent);
		chk_fixup(t, s->root);
		for (uint64_t of = s->ofiles; of; of = ((struct rd_ofile *)OFF2P(t, of))->next) {
			struct rd_node *n = OFF2P(t, ((struct rd_ofile *)OFF2P(t, of))->node);

			if (S_ISREG(n->mode) && n->nlink == 0)
				data_trim_eof(t, n);
		}
	} else {
		if (s->nodes != c.nodes)
			chk_fail(&c, "node count %llu, reachable %llu", (unsigned long long)s->nodes,
				 (unsigned long long)c.nodes);
		if (s->nofiles != c.ofiles)
			chk_fail(&c, "open files %llu, listed %llu", (unsigned long long)s->nofiles,
				 (unsigned long long)c.ofiles);
		if (s->nmapped != c.mapped)
			chk_fail(&c, "mapped files %llu, listed %llu", (unsigned long long)s->nmapped,
				 (unsigned long long)c.mapped);
		if (s->nlocks != c.locks)
			chk_fail(&c, "lock records %llu, listed %llu", (unsigned long long)s->nlocks,
				 (unsigned long long)c.locks);
		chk_compare_pages(&c);
		if (s->pages_used > s->quota_pages)
			chk_fail(&c, "usage %llu pages over quota %llu", (unsigned long long)s->pages_used,
				 (unsigned long long)s->quota_pages);
	}
	chk_cur = NULL;
	chk_unmap(c.types, tbytes);
	chk_unmap(c.lk, lbytes);
	return c.err ? -EUCLEAN : 0;
}

int rd_tree_check(rd_tree *t, char *msg, size_t msglen)
{
	int rc;

	tree_lock(t);
	rc = chk_run(t, 0, msg, msglen);
	tree_unlock(t);
	return rc;
}

void tree_recover(rd_tree *t)
{
	chk_run(t, 1, NULL, 0);
}

/*
 * The arena allocator: 4 KiB pages for file data and slab pages of small
 * objects for metadata. The quota counts pages (data and slab alike), so what
 * the tree reports is exactly what it holds, and the arena never holds more
 * than the quota plus its fixed tables.
 *
 * Freed pages are linked through a side table (never through the page
 * itself, so freeing touches no data) onto a warm list and reused first.
 * RD_WARM_MAX_PAGES of them stay warm for good; more stay while they are
 * being reused and are punched back to the kernel onto a cold list once
 * idle. Fresh pages, and cold pages going back into use, are pre-faulted in
 * batches, except those a write overwrites whole (page_alloc_fill).
 *
 * The warm list keeps pages likely still in the CPU cache at its head and
 * the others at its tail, so the cached ones are reused first and a write
 * that gets one of the others can bypass the cache (data.c). "Likely
 * cached" is judged by age: while a page is in use its next-table entry
 * holds the page clock at its allocation, and a page freed within
 * RD_HOT_AGE allocations of that is hot.
 */
#include "internal.h"

#include <errno.h>
#include <sys/stat.h>
#include <time.h>

const uint16_t rd_class_size[RD_NCLASS] = {
	16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 672, 1008, 1344, 2016,
};

static uint64_t alloc_fail_countdown; /* test hook: fail the Nth page */
static uint64_t alloc_warm_idle_ns = RD_WARM_IDLE_NS; /* test hook */

void rd_test_fail_alloc_after(uint64_t n)
{
	alloc_fail_countdown = n;
}

void rd_test_warm_idle_ns(uint64_t ns)
{
	alloc_warm_idle_ns = ns;
}

static inline uint32_t *alloc_next_tab(rd_tree *t)
{
	return (uint32_t *)OFF2P(t, SUPER(t)->next_tab);
}

int quota_refuse(rd_tree *t)
{
	SUPER(t)->quota_refusals++;
	return -ENOSPC;
}

/*
 * Punching is deferred to the end of the operation and coalesced: a run of
 * neighbouring pages costs one fallocate instead of one per page (about
 * 4 us a page one at a time, under 1 us a page in runs, measured). The
 * pages are on the cold list from the moment they are freed; the run only
 * says which of them still hold memory. It is flushed before a cold page is
 * handed out again and by tree_unlock(), so it never outlives the lock.
 * A holder killed in between leaves them cold but resident: harmless, as
 * nothing assumes a cold page reads as zeros.
 */
#define PUNCH_RUN_MAX 4096u /* pages (16 MiB) per fallocate */

static __thread struct {
	rd_tree *t;
	uint64_t first, n; /* page indices [first, first + n) */
} punch_run __attribute__((tls_model("initial-exec")));

static void alloc_punch_flush(rd_tree *t)
{
	if (likely(!punch_run.n) || punch_run.t != t)
		return;
	arena_punch(t, page_off(t, punch_run.first), punch_run.n * RD_PAGE);
	punch_run.n = 0;
}

static void alloc_punch_later(rd_tree *t, uint64_t idx)
{
	if (punch_run.n && punch_run.t == t && punch_run.n < PUNCH_RUN_MAX) {
		if (idx == punch_run.first + punch_run.n) {
			punch_run.n++;
			return;
		}
		if (idx + 1 == punch_run.first) {
			punch_run.first--;
			punch_run.n++;
			return;
		}
	}
	if (punch_run.n)
		alloc_punch_flush(punch_run.t);
	punch_run.t = t;
	punch_run.first = idx;
	punch_run.n = 1;
}

/* Onto the warm list: a hot page at the head, another at the tail. */
static void warm_push(rd_tree *t, uint64_t idx, int hot)
{
	struct rd_super *s = SUPER(t);
	uint32_t *next = alloc_next_tab(t);

	page_types(t)[idx] = PG_FREE;
	if (hot || !s->warm_tail) {
		next[idx] = s->warm_head;
		s->warm_head = (uint32_t)(idx + 1);
		if (!s->warm_tail)
			s->warm_tail = s->warm_head;
		s->warm_hot += hot;
	} else {
		next[idx] = 0;
		next[s->warm_tail - 1] = (uint32_t)(idx + 1);
		s->warm_tail = (uint32_t)(idx + 1);
	}
	s->warm_count++;
}

/* The head of the warm list (which must not be empty); *hot: it is likely
 * cached. */
static uint64_t warm_pop(rd_tree *t, int *hot)
{
	struct rd_super *s = SUPER(t);
	uint64_t idx = s->warm_head - 1;

	s->warm_head = alloc_next_tab(t)[idx];
	if (!s->warm_head)
		s->warm_tail = 0;
	s->warm_count--;
	*hot = s->warm_hot != 0;
	s->warm_hot -= *hot;
	return idx;
}

/* A cold page faults on first touch (7-10 us); so when the warm list is
 * empty, a batch of cold pages moves to it, populated with one madvise per
 * run of neighbouring pages (about 2 us a page). The cold list is mostly
 * such runs: a file's pages are freed in order. */
static void alloc_warm_batch(rd_tree *t)
{
	struct rd_super *s = SUPER(t);
	uint32_t *next = alloc_next_tab(t);
	uint64_t first = 0, n = 0;

	alloc_punch_flush(t); /* the pages may be in the pending run */
	for (unsigned i = 0; i < RD_POPULATE_BATCH && s->cold_head; i++) {
		uint64_t idx = s->cold_head - 1;

		s->cold_head = next[idx];
		s->cold_count--;
		if (n && idx + 1 == first) {
			first = idx;
			n++;
		} else if (n && idx == first + n) {
			n++;
		} else {
			if (n)
				arena_populate(t, page_off(t, first), n * RD_PAGE);
			first = idx;
			n = 1;
		}
		warm_push(t, idx, 1); /* populating zeroes it: cached */
	}
	if (n)
		arena_populate(t, page_off(t, first), n * RD_PAGE);
}

/* Set when this thread's operation took or gave a warm page beyond
 * RD_WARM_MAX_PAGES; alloc_op_end() turns it into warm_used_ns. */
static __thread int alloc_warm_used __attribute__((tls_model("initial-exec")));

/* Take a page index off the warm list, the cold list or fresh memory.
 * fill: the caller overwrites the page whole, so a page not in memory is
 * returned as it is (PAGE_FRESH) rather than pre-faulted. Returns
 * PAGE_CACHED, PAGE_FRESH, PAGE_STALE or -ENOSPC. */
static int alloc_take(rd_tree *t, uint64_t *idx, int fill)
{
	struct rd_super *s = SUPER(t);
	uint32_t *next = alloc_next_tab(t);
	int rc, hot;

	if (!s->warm_head && s->cold_head) {
		if (fill) {
			alloc_punch_flush(t); /* it may be in the pending run */
			*idx = s->cold_head - 1;
			s->cold_head = next[*idx];
			s->cold_count--;
			return PAGE_FRESH;
		}
		alloc_warm_batch(t);
	}
	if (s->warm_head) {
		if (s->warm_count > RD_WARM_MAX_PAGES)
			alloc_warm_used = 1;
		*idx = warm_pop(t, &hot);
		return hot ? PAGE_CACHED : PAGE_STALE;
	}
	if (s->bump >= s->npages)
		return -ENOSPC;
	rc = guard_check_alloc(&s->guard, RD_PAGE);
	if (rc < 0)
		return rc;
	if (fill && s->bump >= s->populated) {
		*idx = s->bump++;
		return PAGE_FRESH;
	}
	if (s->bump >= s->populated) {
		/* As many pages as fresh memory gave so far, RD_POPULATE_FIRST to
		 * RD_POPULATE_BATCH: a small tree (the launcher's root and /tmp
		 * take 4 pages) no longer populates 60 it never uses, about
		 * 1.5 us a page and again to free them at exit; a growing one
		 * pays four more madvise calls on its way to full batches. */
		uint64_t n = s->bump < RD_POPULATE_FIRST ? RD_POPULATE_FIRST : s->bump;

		if (n > RD_POPULATE_BATCH)
			n = RD_POPULATE_BATCH;
		if (n > s->npages - s->bump)
			n = s->npages - s->bump;
		arena_populate(t, page_off(t, s->bump), n * RD_PAGE);
		s->populated = s->bump + n;
	}
	*idx = s->bump++;
	return PAGE_CACHED;
}

/* Returns what alloc_take() says of the page (PAGE_FRESH only when fill is
 * set), or -ENOSPC. */
static int alloc_page_typed(rd_tree *t, uint8_t type, uint64_t *off, int fill)
{
	struct rd_super *s = SUPER(t);
	uint64_t idx;
	int rc;

	if (s->pages_used >= s->quota_pages)
		return quota_refuse(t);
	if (unlikely(alloc_fail_countdown) && --alloc_fail_countdown == 0)
		return quota_refuse(t);
	rc = alloc_take(t, &idx, fill);
	if (rc < 0)
		return quota_refuse(t);
	alloc_next_tab(t)[idx] = s->page_clock++; /* its age, while in use */
	page_types(t)[idx] = type;
	s->pages_used++;
	if (type == PG_DATA)
		s->data_pages++;
	*off = page_off(t, idx);
	return rc;
}

int page_alloc(rd_tree *t, uint64_t *off)
{
	int rc = alloc_page_typed(t, PG_DATA, off, 0);

	return rc < 0 ? rc : 0;
}

/* Filling a page that is not in memory with pwrite(2) costs what tmpfs pays
 * for a write (the kernel allocates the page and copies, without zeroing
 * it): 512 MiB in 0.23 s where pre-faulting (~2 us a page, zeroing
 * included) and copying took 0.40 s. A private arena has no file to write
 * to, so its pages always come pre-faulted. */
int page_alloc_fill(rd_tree *t, uint64_t *off)
{
	return alloc_page_typed(t, PG_DATA, off, t->fd >= 0);
}

int page_alloc_zero(rd_tree *t, uint64_t *off)
{
	int rc = alloc_page_typed(t, PG_DATA, off, 0);

	if (rc < 0)
		return rc;
	memset(OFF2P(t, *off), 0, RD_PAGE);
	return 0;
}

static void alloc_push_cold(rd_tree *t, uint64_t idx)
{
	struct rd_super *s = SUPER(t);
	uint32_t *next = alloc_next_tab(t);

	page_types(t)[idx] = PG_COLD;
	next[idx] = s->cold_head;
	s->cold_head = (uint32_t)(idx + 1);
	s->cold_count++;
}

/* unfilled: a fresh page never written, which holds no memory to keep. */
static void alloc_release(rd_tree *t, uint64_t off, int unfilled)
{
	struct rd_super *s = SUPER(t);
	uint64_t idx = page_idx(t, off);
	uint32_t *next = alloc_next_tab(t);
	uint8_t *types = page_types(t);

	if (types[idx] == PG_DATA || PG_IS_NEW(types[idx]))
		s->data_pages--;
	s->pages_used--;
	if (unfilled) {
		alloc_push_cold(t, idx);
		return;
	}
	if (s->warm_count >= RD_WARM_MAX_PAGES)
		alloc_warm_used = 1;
	warm_push(t, idx, (uint32_t)(s->page_clock - next[idx]) < RD_HOT_AGE);
}

void page_free(rd_tree *t, uint64_t off)
{
	alloc_release(t, off, 0);
}

void page_free_unfilled(rd_tree *t, uint64_t off)
{
	alloc_release(t, off, 1);
}

/*
 * Warm pages beyond RD_WARM_MAX_PAGES. Punching a freed page and faulting a
 * new one in later costs about 3 us a page (punch ~0.5 us, pre-fault with
 * zeroing ~2 us, and the copy into a page not in cache), where reusing a
 * warm page costs its copy: a 512 MiB file written, read and deleted in a
 * loop took 0.55-0.60 s a round with 32 MiB kept warm, 0.21 s with all of
 * it (tmpfs 0.38-0.44 s).
 * So every freed page goes on the warm list, and what exceeds the fixed
 * 32 MiB is given back only once no operation has taken or given a page
 * beyond the 32 MiB for RD_WARM_IDLE_NS (1 s): up to 16 MiB (one fallocate,
 * about 3 ms) at the end of each operation after that. The cost: memory a
 * program frees stays with the tree (never more than the quota, as every
 * warm page was in use before) until 1 s after its last reuse, or, if the
 * tree sees no operation at all, until the next one.
 */
static uint64_t alloc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void alloc_warm_decay(rd_tree *t)
{
	struct rd_super *s = SUPER(t);
	uint64_t now = alloc_now_ns();

	if (alloc_warm_used) {
		s->warm_used_ns = now;
		alloc_warm_used = 0;
	}
	if (s->warm_count <= RD_WARM_MAX_PAGES || now - s->warm_used_ns < alloc_warm_idle_ns)
		return;
	for (unsigned i = 0; i < PUNCH_RUN_MAX && s->warm_count > RD_WARM_MAX_PAGES; i++) {
		int hot;
		uint64_t idx = warm_pop(t, &hot);

		alloc_punch_later(t, idx);
		alloc_push_cold(t, idx);
	}
}

void alloc_op_end(rd_tree *t)
{
	if (unlikely(alloc_warm_used) || unlikely(SUPER(t)->warm_count > RD_WARM_MAX_PAGES))
		alloc_warm_decay(t);
	alloc_punch_flush(t);
}

/* ---- slab objects ---- */

static int alloc_class(size_t size)
{
	int c;

	for (c = 0; c < RD_NCLASS; c++)
		if (size <= rd_class_size[c])
			return c;
	return -1;
}

size_t obj_class_size(size_t size)
{
	int c = alloc_class(size);

	return c < 0 ? 0 : rd_class_size[c];
}

static inline uint32_t slab_slots(int cls)
{
	uint32_t n = (RD_PAGE - RD_SLAB_HDR) / rd_class_size[cls];

	return n > 256 ? 256 : n;
}

static void slab_unlink(rd_tree *t, struct rd_slab *sl)
{
	struct rd_super *s = SUPER(t);

	if (sl->prev)
		((struct rd_slab *)OFF2P(t, sl->prev))->next = sl->next;
	else
		s->slab_partial[sl->cls] = sl->next;
	if (sl->next)
		((struct rd_slab *)OFF2P(t, sl->next))->prev = sl->prev;
	sl->next = sl->prev = 0;
}

static void slab_push(rd_tree *t, struct rd_slab *sl)
{
	struct rd_super *s = SUPER(t);
	uint64_t off = P2OFF(t, sl);

	sl->prev = 0;
	sl->next = s->slab_partial[sl->cls];
	if (sl->next)
		((struct rd_slab *)OFF2P(t, sl->next))->prev = off;
	s->slab_partial[sl->cls] = off;
}

int obj_alloc(rd_tree *t, size_t size, uint64_t *out)
{
	struct rd_super *s = SUPER(t);
	int cls = alloc_class(size);
	struct rd_slab *sl;
	uint32_t slot, w;
	uint64_t off;

	if (cls < 0)
		return -EINVAL;
	if (!s->slab_partial[cls]) {
		int rc = alloc_page_typed(t, PG_SLAB, &off, 0);

		if (rc < 0)
			return rc;
		sl = OFF2P(t, off);
		memset(sl, 0, RD_SLAB_HDR);
		sl->cls = (uint32_t)cls;
		sl->nfree = slab_slots(cls);
		slab_push(t, sl);
	}
	sl = OFF2P(t, s->slab_partial[cls]);
	for (w = 0; w < 4; w++)
		if (~sl->live[w])
			break;
	slot = w * 64 + (uint32_t)__builtin_ctzll(~sl->live[w]);
	sl->live[w] |= 1ull << (slot & 63);
	if (--sl->nfree == 0)
		slab_unlink(t, sl);
	off = P2OFF(t, sl) + RD_SLAB_HDR + (uint64_t)slot * rd_class_size[cls];
	memset(OFF2P(t, off), 0, rd_class_size[cls]);
	*out = off;
	return 0;
}

void obj_free(rd_tree *t, uint64_t off)
{
	uint64_t page = off & ~(uint64_t)(RD_PAGE - 1);
	struct rd_slab *sl = OFF2P(t, page);
	uint32_t slot = (uint32_t)((off - page - RD_SLAB_HDR) / rd_class_size[sl->cls]);
	int was_full = sl->nfree == 0;

	sl->live[slot / 64] &= ~(1ull << (slot & 63));
	sl->nfree++;
	if (sl->nfree == slab_slots((int)sl->cls)) {
		/* Empty: the page goes back, so metadata never pins memory. */
		if (!was_full)
			slab_unlink(t, sl);
		alloc_release(t, page, 0);
	} else if (was_full) {
		slab_push(t, sl);
	}
}

int obj_is_live_dir(rd_tree *t, uint64_t off)
{
	struct rd_super *s = SUPER(t);
	uint64_t page = off & ~(uint64_t)(RD_PAGE - 1), slot;
	struct rd_slab *sl;

	if (off < s->pages_start || page_idx(t, off) >= s->bump || page_types(t)[page_idx(t, page)] != PG_SLAB)
		return 0;
	sl = OFF2P(t, page);
	if (rd_class_size[sl->cls] != obj_class_size(sizeof(struct rd_node)) || off < page + RD_SLAB_HDR ||
	    (off - page - RD_SLAB_HDR) % rd_class_size[sl->cls])
		return 0;
	slot = (off - page - RD_SLAB_HDR) / rd_class_size[sl->cls];
	return ((sl->live[slot / 64] >> (slot & 63)) & 1) && S_ISDIR(((struct rd_node *)OFF2P(t, off))->mode);
}

size_t obj_size(rd_tree *t, uint64_t off)
{
	struct rd_slab *sl = OFF2P(t, off & ~(uint64_t)(RD_PAGE - 1));

	return rd_class_size[sl->cls];
}

/* After tree_recover() or a check has set page_types[] to PG_DATA / PG_SLAB
 * for every reachable page (slab headers' live bits rebuilt) and left the
 * others PG_FREE or PG_COLD: rebuild the free lists, partial lists and page
 * counts from that. */
void alloc_rebuild(rd_tree *t)
{
	struct rd_super *s = SUPER(t);
	uint32_t *next = alloc_next_tab(t);
	uint8_t *types = page_types(t);
	uint64_t i;
	int c;

	s->warm_head = s->cold_head = s->warm_tail = 0;
	s->warm_count = s->cold_count = s->warm_hot = 0;
	s->pages_used = s->data_pages = 0;
	for (c = 0; c < RD_NCLASS; c++)
		s->slab_partial[c] = 0;
	for (i = s->bump; i-- > 0;) {
		uint64_t off = page_off(t, i);

		switch (types[i]) {
		case PG_DATA:
			s->pages_used++;
			s->data_pages++;
			break;
		case PG_SLAB: {
			struct rd_slab *sl = OFF2P(t, off);
			uint32_t live = 0, w;

			for (w = 0; w < 4; w++)
				live += (uint32_t)__builtin_popcountll(sl->live[w]);
			sl->nfree = slab_slots((int)sl->cls) - live;
			sl->next = sl->prev = 0;
			s->pages_used++;
			if (sl->nfree)
				slab_push(t, sl);
			break;
		}
		case PG_COLD:
			next[i] = s->cold_head;
			s->cold_head = (uint32_t)(i + 1);
			s->cold_count++;
			break;
		default:
			warm_push(t, i, 0);
			break;
		}
	}
}

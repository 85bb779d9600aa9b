/*
 * File data. A file up to RD_INLINE_MAX bytes lives in one slab object
 * (map.aux = its capacity, map.root = its offset); a larger one is a radix
 * map of 4 KiB pages where an absent page is a hole reading as zeros. One
 * representation serves both sequential appends and random overwrites, so
 * there is never a promotion copy of more than 2 KiB.
 *
 * Invariant: bytes past EOF inside the inline buffer or the last page are
 * zero, so extending a file never exposes old data.
 *
 * Writes are all-or-nothing against the quota: every missing page is
 * allocated (and tagged PG_NEW or PG_FRESH) before a byte is copied; if one
 * allocation fails, exactly the tagged pages are given back and the file is
 * unchanged. A PG_FRESH page (not in memory, overwritten whole) is filled
 * with pwrite(2) on the memfd rather than a fault and a copy; a PG_STALE one
 * (in memory, likely not in the cache, overwritten whole) with
 * non-temporal stores.
 */
#include "internal.h"

#include <errno.h>

static inline int data_is_inline(const struct rd_node *n)
{
	return n->map.aux != 0;
}

static inline uint8_t *data_inline(rd_tree *t, const struct rd_node *n)
{
	return OFF2P(t, n->map.root);
}

static inline uint64_t data_page_of(uint64_t off)
{
	return off >> RD_PAGE_SHIFT;
}

uint64_t data_pages_for(uint64_t bytes)
{
	return (bytes + RD_PAGE - 1) >> RD_PAGE_SHIFT;
}

static void data_page_free_cb(rd_tree *t, uint64_t page)
{
	page_free(t, page);
}

void data_free(rd_tree *t, struct rd_node *n)
{
	if (data_is_inline(n)) {
		obj_free(t, n->map.root);
		n->map.root = 0;
		n->map.aux = 0;
	} else {
		radix_destroy(t, &n->map, data_page_free_cb);
	}
	n->ext = 0;
}

/* ---- reading ---- */

static void data_read_inline(rd_tree *t, struct rd_node *n, uint8_t *buf, size_t len, uint64_t off)
{
	uint64_t cap = n->map.aux;
	size_t in = off < cap ? (size_t)(cap - off < len ? cap - off : len) : 0;

	if (in)
		memcpy(buf, data_inline(t, n) + off, in);
	if (in < len)
		memset(buf + in, 0, len - in);
}

static void data_read_pages(rd_tree *t, struct rd_node *n, uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		uint64_t idx = data_page_of(off);
		size_t in_page = off & (RD_PAGE - 1);
		size_t chunk = RD_PAGE - in_page < len ? RD_PAGE - in_page : len;
		uint64_t page = radix_get(t, &n->map, idx);

		if (page)
			memcpy(buf, (uint8_t *)OFF2P(t, page) + in_page, chunk);
		else
			memset(buf, 0, chunk);
		buf += chunk;
		off += chunk;
		len -= chunk;
	}
}

ssize_t data_read(rd_tree *t, struct rd_node *n, void *buf, size_t len, uint64_t off)
{
	if (off >= n->size)
		return 0;
	if (len > n->size - off)
		len = (size_t)(n->size - off);
	if (data_is_inline(n))
		data_read_inline(t, n, buf, len, off);
	else
		data_read_pages(t, n, buf, len, off);
	return (ssize_t)len;
}

/* ---- writing ---- */

/* Copy len bytes from the iovec cursor into dst. */
struct data_src {
	const struct iovec *iov;
	int cnt;
	size_t at; /* offset inside iov[0] */
};

/* Move the cursor n bytes on, at most to the end of the current iovec. */
static inline void data_src_skip(struct data_src *s, size_t n)
{
	s->at += n;
	if (s->at == s->iov->iov_len && s->cnt > 1) {
		s->iov++;
		s->cnt--;
		s->at = 0;
	}
}

static void data_src_copy(struct data_src *s, uint8_t *dst, size_t len)
{
	while (len) {
		size_t avail = s->iov->iov_len - s->at;
		size_t n = avail < len ? avail : len;

		memcpy(dst, (const uint8_t *)s->iov->iov_base + s->at, n);
		dst += n;
		len -= n;
		data_src_skip(s, n);
	}
}

/* A whole page from the cursor with non-temporal stores, if the current
 * iovec holds all of it (a page split between iovecs is rare enough to
 * copy the ordinary way). Returns 1 if copied. */
static int data_src_page_nt(struct data_src *s, uint8_t *dst)
{
	if (s->iov->iov_len - s->at < RD_PAGE)
		return 0;
	copy_page_nt(dst, (const uint8_t *)s->iov->iov_base + s->at);
	data_src_skip(s, RD_PAGE);
	return 1;
}

/* Grow the inline buffer to hold `need` bytes. */
static int data_inline_reserve(rd_tree *t, struct rd_node *n, uint64_t need)
{
	uint64_t off;
	int rc;

	if (data_is_inline(n) && n->map.aux >= need)
		return 0;
	rc = obj_alloc(t, need, &off);
	if (rc < 0)
		return rc;
	if (data_is_inline(n)) {
		uint64_t keep = n->size < n->map.aux ? n->size : n->map.aux;

		memcpy(OFF2P(t, off), data_inline(t, n), keep);
		obj_free(t, n->map.root);
	}
	n->map.root = off;
	n->map.aux = (uint32_t)obj_size(t, off);
	return 0;
}

static int data_reserve_pages(rd_tree *t, struct rd_node *n, uint64_t off, uint64_t end, int zero_all);

/* Start a page map in `tmp` holding the inline data of n in page 0. The node
 * itself is not touched: the caller attaches the map only once everything
 * the operation needs is reserved, so a refusal leaves the inline file as
 * it was. */
static int data_inline_to_pages(rd_tree *t, const struct rd_node *n, struct rd_node *tmp)
{
	uint64_t keep = n->size < n->map.aux ? n->size : n->map.aux;
	uint64_t page;
	int rc;

	*tmp = *n;
	memset(&tmp->map, 0, sizeof tmp->map);
	tmp->ext = 0;
	if (!keep)
		return 0;
	rc = page_alloc(t, &page);
	if (rc < 0)
		return rc;
	memcpy(OFF2P(t, page), OFF2P(t, n->map.root), keep);
	memset((uint8_t *)OFF2P(t, page) + keep, 0, RD_PAGE - keep);
	rc = radix_set(t, &tmp->map, 0, page);
	if (rc < 0) {
		page_free(t, page);
		return rc;
	}
	tmp->ext = 1;
	return 0;
}

/* Reserve [off, end) in a file that may still be inline: on success the
 * node has a page map with every page of the range present. */
static int data_reserve(rd_tree *t, struct rd_node *n, uint64_t off, uint64_t end, int zero_all)
{
	struct rd_node tmp;
	int rc;

	if (!data_is_inline(n))
		return data_reserve_pages(t, n, off, end, zero_all);
	rc = data_inline_to_pages(t, n, &tmp);
	if (rc == 0)
		rc = data_reserve_pages(t, &tmp, off, end, zero_all);
	if (rc < 0) {
		radix_destroy(t, &tmp.map, data_page_free_cb);
		return rc;
	}
	/* Publish so that every state a kill can leave is readable: first
	 * "not inline" while the root still names the inline buffer (recovery
	 * reads a root with height 0 as that buffer, old bytes intact), then the
	 * map root and height in one store, then the buffer goes. */
	{
		uint64_t inl = n->map.root;

		__atomic_store_n(&n->map.aux, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&n->map.root, tmp.map.root, __ATOMIC_RELEASE);
		n->ext = tmp.ext;
		obj_free(t, inl);
	}
	return 0;
}

/* Give back every page in [first, last] still tagged PG_NEW or PG_FRESH. */
static void data_rollback(rd_tree *t, struct rd_node *n, uint64_t first, uint64_t last)
{
	uint8_t *types = page_types(t);
	uint64_t idx = first, page;

	while ((page = radix_next(t, &n->map, &idx)) && idx <= last) {
		uint8_t type = types[page_idx(t, page)];

		if (PG_IS_NEW(type)) {
			radix_clear(t, &n->map, idx);
			types[page_idx(t, page)] = PG_DATA;
			if (type == PG_FRESH)
				page_free_unfilled(t, page);
			else
				page_free(t, page);
			n->ext--;
		}
		idx++;
	}
}

/* The tag of a page a write is adding, by what page_alloc_fill() said of it. */
static const uint8_t data_new_tag[] = {[PAGE_CACHED] = PG_NEW, [PAGE_FRESH] = PG_FRESH, [PAGE_STALE] = PG_STALE};

/* Make pages first..last exist. New pages are tagged PG_NEW, or PG_FRESH
 * or PG_STALE as page_alloc_fill() says when the copy overwrites them
 * whole; those not entirely overwritten by the coming copy are zeroed. */
static int data_reserve_pages(rd_tree *t, struct rd_node *n, uint64_t off, uint64_t end, int zero_all)
{
	uint64_t first = data_page_of(off), last = data_page_of(end - 1), idx;
	uint8_t *types = page_types(t);
	/* The map may grow below (taller, or out of its one-page direct
	 * form); a refusal must give it back in exactly this shape, because
	 * the quota counts its nodes. Only a non-empty map keeps a shape. */
	uint32_t height0 = (uint32_t)(n->map.root & RADIX_HMASK);
	int had_map = n->map.root != 0;

	for (idx = first; idx <= last; idx++) {
		int part = zero_all || (idx == first && (off & (RD_PAGE - 1))) ||
			   (idx == last && (end & (RD_PAGE - 1)));
		int rc, kind = PAGE_CACHED;
		uint64_t page;

		if (radix_get(t, &n->map, idx))
			continue;
		rc = part ? page_alloc(t, &page) : page_alloc_fill(t, &page);
		if (rc >= 0) {
			kind = rc;
			rc = radix_set(t, &n->map, idx, page);
			if (rc < 0 && kind == PAGE_FRESH)
				page_free_unfilled(t, page);
			else if (rc < 0)
				page_free(t, page);
		}
		if (rc < 0) {
			if (idx > first)
				data_rollback(t, n, first, idx - 1);
			if (had_map)
				radix_restore_height(t, &n->map, height0);
			return rc;
		}
		types[page_idx(t, page)] = data_new_tag[kind];
		n->ext++;
		if (part)
			memset(OFF2P(t, page), 0, RD_PAGE);
	}
	return 0;
}

/* Consecutive PG_FRESH pages whose source bytes are consecutive too: one
 * pwrite. (Per page it costs about the same, 1.7 us a page either way;
 * the run only saves the system call entries.) */
struct data_fill {
	uint64_t off;      /* arena offset of the run */
	const uint8_t *src;
	size_t len;
};

static void data_fill_flush(rd_tree *t, struct data_fill *f)
{
	uint8_t *types = page_types(t);
	uint64_t end = f->off + f->len, p;
	size_t done;

	if (!f->len)
		return;
	done = arena_fill(t, f->off, f->src, f->len);
	if (done < f->len)
		memcpy((uint8_t *)OFF2P(t, f->off) + done, f->src + done, f->len - done);
	/* Only now is a page all new bytes; until then a kill leaves it
	 * PG_FRESH, which recovery zeroes (it may hold another file's old
	 * bytes if a dead holder never punched it). A page whose source
	 * spans two iovecs is filled by two runs: the one that ends it tags. */
	for (p = (f->off + RD_PAGE - 1) & ~(uint64_t)(RD_PAGE - 1); p + RD_PAGE <= end; p += RD_PAGE)
		types[page_idx(t, p)] = PG_DATA;
	if (f->off & (RD_PAGE - 1) && (f->off | (RD_PAGE - 1)) < end)
		types[page_idx(t, f->off)] = PG_DATA;
	f->len = 0;
}

/* Queue len bytes from the source cursor for arena offset dst. */
static void data_fill_add(rd_tree *t, struct data_fill *f, struct data_src *s, uint64_t dst, size_t len)
{
	while (len) {
		size_t avail = s->iov->iov_len - s->at;
		size_t n = avail < len ? avail : len;
		const uint8_t *p = (const uint8_t *)s->iov->iov_base + s->at;

		if (!f->len || f->off + f->len != dst || f->src + f->len != p) {
			data_fill_flush(t, f);
			f->off = dst;
			f->src = p;
		}
		f->len += n;
		dst += n;
		len -= n;
		data_src_skip(s, n);
	}
}

static void data_copy_pages(rd_tree *t, struct rd_node *n, struct data_src *src, uint64_t off, uint64_t len)
{
	uint8_t *types = page_types(t);
	struct data_fill fill = {0, NULL, 0};

	while (len) {
		uint64_t idx = data_page_of(off);
		size_t in_page = off & (RD_PAGE - 1);
		size_t chunk = RD_PAGE - in_page < len ? RD_PAGE - in_page : (size_t)len;
		uint64_t page = radix_get(t, &n->map, idx);
		uint8_t *type = &types[page_idx(t, page)];

		if (*type == PG_FRESH) {
			data_fill_add(t, &fill, src, page + in_page, chunk);
		} else if (*type == PG_STALE && data_src_page_nt(src, OFF2P(t, page))) {
			*type = PG_DATA;
		} else {
			data_src_copy(src, (uint8_t *)OFF2P(t, page) + in_page, chunk);
			*type = PG_DATA;
		}
		off += chunk;
		len -= chunk;
	}
	data_fill_flush(t, &fill);
}

ssize_t data_writev(rd_tree *t, struct rd_node *n, const struct iovec *iov, int cnt, uint64_t off)
{
	struct data_src src = {iov, cnt, 0};
	uint64_t len = 0, end;
	int i, rc;

	for (i = 0; i < cnt; i++)
		len += iov[i].iov_len;
	if (len == 0)
		return 0;
	end = off + len;
	if (end > RD_MAX_FILE || end < off)
		return -EFBIG;
	if (end <= RD_INLINE_MAX && (data_is_inline(n) || !n->map.root)) {
		rc = data_inline_reserve(t, n, end);
		if (rc < 0)
			return rc;
		data_src_copy(&src, data_inline(t, n) + off, len);
	} else {
		rc = data_reserve(t, n, off, end, 0);
		if (rc < 0)
			return rc;
		data_copy_pages(t, n, &src, off, len);
	}
	if (end > n->size)
		n->size = end;
	return (ssize_t)len;
}

ssize_t data_write(rd_tree *t, struct rd_node *n, const void *buf, size_t len, uint64_t off)
{
	struct iovec v = {(void *)buf, len};

	return data_writev(t, n, &v, 1, off);
}

/* ---- size changes and holes ---- */

/* Zero [off, end) and free whole pages inside it. */
void data_punch(rd_tree *t, struct rd_node *n, uint64_t off, uint64_t len)
{
	uint64_t end = off + len, idx, page;
	int pinned;

	if (len == 0)
		return;
	if (data_is_inline(n)) {
		if (off < n->map.aux)
			memset(data_inline(t, n) + off, 0, (end < n->map.aux ? end : n->map.aux) - off);
		return;
	}
	pinned = map_pinned(t, n);
	idx = data_page_of(off);
	while ((page = radix_next(t, &n->map, &idx)) && (idx << RD_PAGE_SHIFT) < end) {
		uint64_t ps = idx << RD_PAGE_SHIFT, pe = ps + RD_PAGE;
		uint64_t zs = off > ps ? off : ps, ze = end < pe ? end : pe;

		if (zs == ps && ze == pe && !pinned) {
			radix_clear(t, &n->map, idx);
			page_free(t, page);
			n->ext--;
		} else {
			memset((uint8_t *)OFF2P(t, page) + (zs - ps), 0, ze - zs);
		}
		idx++;
	}
}

void data_trim_eof(rd_tree *t, struct rd_node *n)
{
	uint64_t end = (n->size + RD_PAGE - 1) & ~(uint64_t)(RD_PAGE - 1);
	uint64_t idx = end >> RD_PAGE_SHIFT, page;
	int pinned;

	if (data_is_inline(n)) {
		if (n->size < n->map.aux)
			memset(data_inline(t, n) + n->size, 0, n->map.aux - n->size);
		return;
	}
	/* A mapped file's pages stay where the mappings point (map.c). */
	pinned = map_pinned(t, n);
	while (!pinned && (page = radix_next(t, &n->map, &idx))) {
		radix_clear(t, &n->map, idx);
		page_free(t, page);
		n->ext--;
		idx++;
	}
	if (end != n->size)
		data_punch(t, n, n->size, end - n->size);
}

int data_truncate(rd_tree *t, struct rd_node *n, uint64_t len)
{
	if (len > RD_MAX_FILE)
		return -EFBIG;
	/* Punch to the end of the last page so a page that now lies wholly
	 * past EOF is freed, not just zeroed. */
	if (len < n->size)
		data_punch(t, n, len, ((n->size + RD_PAGE - 1) & ~(uint64_t)(RD_PAGE - 1)) - len);
	n->size = len;
	return 0;
}

int data_allocate(rd_tree *t, struct rd_node *n, uint64_t off, uint64_t len)
{
	uint64_t end = off + len;

	if (end > RD_MAX_FILE || end < off)
		return -EFBIG;
	if (len == 0)
		return 0;
	if (end <= RD_INLINE_MAX && (data_is_inline(n) || !n->map.root))
		return data_inline_reserve(t, n, end);
	return data_materialize(t, n, off, end);
}

/* Every page of [off, end) present as a page of the map (an inline file is
 * converted), new ones zeroed; the size does not change. */
int data_materialize(rd_tree *t, struct rd_node *n, uint64_t off, uint64_t end)
{
	uint8_t *types = page_types(t);
	uint64_t idx = data_page_of(off), page;
	int rc = data_reserve(t, n, off, end, 1);

	if (rc < 0)
		return rc;
	/* Nothing is copied: the pages are kept, so drop the PG_NEW tags. */
	while ((page = radix_next(t, &n->map, &idx)) && idx <= data_page_of(end - 1)) {
		types[page_idx(t, page)] = PG_DATA;
		idx++;
	}
	return 0;
}

/* SEEK_DATA (hole = 0) / SEEK_HOLE (hole = 1) at page granularity as tmpfs. */
int64_t data_seek(rd_tree *t, struct rd_node *n, uint64_t off, int hole)
{
	uint64_t idx = data_page_of(off);

	if (off >= n->size)
		return -ENXIO;
	if (data_is_inline(n))
		return hole ? (int64_t)n->size : (int64_t)off;
	if (!hole) {
		if (!radix_next(t, &n->map, &idx))
			return -ENXIO;
		if ((idx << RD_PAGE_SHIFT) >= n->size)
			return -ENXIO;
		return (int64_t)((idx << RD_PAGE_SHIFT) > off ? (idx << RD_PAGE_SHIFT) : off);
	}
	while ((idx << RD_PAGE_SHIFT) < n->size && radix_get(t, &n->map, idx))
		idx++;
	if ((idx << RD_PAGE_SHIFT) >= n->size)
		return (int64_t)n->size;
	return (int64_t)((idx << RD_PAGE_SHIFT) > off ? (idx << RD_PAGE_SHIFT) : off);
}

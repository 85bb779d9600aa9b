/*
 * A sparse array of uint64 values keyed by uint64: a 64-way radix tree of
 * 512-byte slab nodes whose height grows with the largest key. File page
 * maps (page index -> data page) and directory indexes (bucket -> chain,
 * cookie -> entry) are both this one structure. A zero value is "absent";
 * nodes that become empty are freed at once.
 *
 * A map whose only entry is a page-aligned value at index 0 (a one-page
 * file) keeps that value in the root word itself, height 0: no node to
 * allocate, walk or free. Slab objects are never page-aligned, so height 0
 * with a page-aligned root cannot be mistaken for anything else.
 */
#include "internal.h"

#include <errno.h>

#define RADIX_NODE_BYTES (RD_RADIX_FAN * sizeof(uint64_t))

static inline uint64_t *radix_slots(rd_tree *t, uint64_t node)
{
	return (uint64_t *)OFF2P(t, node);
}

static inline uint64_t radix_root(const struct rd_radix *r)
{
	return r->root & ~RADIX_HMASK;
}

static inline uint32_t radix_height(const struct rd_radix *r)
{
	return (uint32_t)(r->root & RADIX_HMASK);
}

static inline void radix_publish(struct rd_radix *r, uint64_t node, uint32_t height)
{
	__atomic_store_n(&r->root, node ? (node | height) : 0, __ATOMIC_RELEASE);
}

static inline int radix_direct(const struct rd_radix *r)
{
	return r->root && !(r->root & RADIX_HMASK);
}

static inline uint64_t radix_span(uint32_t height)
{
	/* Keys covered by a tree of this height; 64^11 overflows, cap it. */
	return height >= 10 ? UINT64_MAX : 1ull << (RD_RADIX_SHIFT * height);
}

static inline unsigned radix_index(uint64_t idx, uint32_t level)
{
	return (unsigned)(idx >> (RD_RADIX_SHIFT * level)) & (RD_RADIX_FAN - 1);
}

static inline int radix_covers(const struct rd_radix *r, uint64_t idx)
{
	uint32_t h = radix_height(r);

	if (radix_direct(r))
		return idx == 0;
	return r->root && (h >= 10 || idx < radix_span(h));
}

uint64_t radix_get(rd_tree *t, const struct rd_radix *r, uint64_t idx)
{
	uint64_t node;
	uint32_t level;

	if (!radix_covers(r, idx))
		return 0;
	if (radix_direct(r))
		return r->root;
	node = radix_root(r);
	level = radix_height(r);
	while (level-- > 1) {
		node = radix_slots(t, node)[radix_index(idx, level)];
		if (!node)
			return 0;
	}
	return radix_slots(t, node)[radix_index(idx, 0)];
}

static int radix_node_empty(rd_tree *t, uint64_t node)
{
	const uint64_t *s = radix_slots(t, node);
	unsigned i;

	for (i = 0; i < RD_RADIX_FAN; i++)
		if (s[i])
			return 0;
	return 1;
}

/* Grow until idx fits. The old root becomes slot 0 of the new one before
 * the new root and height are published together in one store. */
static int radix_grow(rd_tree *t, struct rd_radix *r, uint64_t idx)
{
	while (!radix_covers(r, idx)) {
		uint64_t node;
		int rc = obj_alloc(t, RADIX_NODE_BYTES, &node);

		if (rc < 0)
			return rc;
		if (r->root)
			radix_slots(t, node)[0] = radix_root(r);
		radix_publish(r, node, radix_height(r) + 1);
	}
	return 0;
}

/* Drop levels that hold only slot 0, and an empty root: undoes a grow that
 * gained nothing and keeps lookups short after large keys go away. */
static void radix_shrink(rd_tree *t, struct rd_radix *r)
{
	while (r->root && !radix_direct(r)) {
		uint64_t root = radix_root(r);
		uint32_t h = radix_height(r);
		uint64_t *s = radix_slots(t, root);
		unsigned i;

		for (i = 1; i < RD_RADIX_FAN; i++)
			if (s[i])
				return;
		if (h == 1 && s[0])
			return;
		radix_publish(r, h == 1 ? 0 : s[0], h - 1);
		obj_free(t, root);
	}
}

/* Undo growth: a refused write gives its map back in the shape it had
 * (the quota counts every node), so levels added on top that hold only
 * slot 0 go again, down to `height`; height 0 means the map was one page
 * held directly, and a last node holding only that page becomes it again. */
void radix_restore_height(rd_tree *t, struct rd_radix *r, uint32_t height)
{
	while (r->root && !radix_direct(r) && radix_height(r) > (height ? height : 1)) {
		uint64_t root = radix_root(r), *s = radix_slots(t, root);
		unsigned i;

		for (i = 1; i < RD_RADIX_FAN; i++)
			if (s[i])
				return;
		radix_publish(r, s[0], radix_height(r) - 1);
		obj_free(t, root);
	}
	if (height == 0 && r->root && !radix_direct(r) && radix_height(r) == 1) {
		uint64_t node = radix_root(r), *s = radix_slots(t, node);
		unsigned i;

		for (i = 1; i < RD_RADIX_FAN; i++)
			if (s[i])
				return;
		if (!s[0] || (s[0] & (RD_PAGE - 1)))
			return;
		__atomic_store_n(&r->root, s[0], __ATOMIC_RELEASE);
		obj_free(t, node);
	}
}

/* The slot of idx in a map kept in nodes (never the direct form), making
 * the nodes on its path; NULL if one cannot be allocated (nothing made is
 * kept). */
static uint64_t *radix_slot_make(rd_tree *t, struct rd_radix *r, uint64_t idx)
{
	uint64_t node;
	uint32_t level;
	int rc = radix_grow(t, r, idx);

	if (rc < 0) {
		radix_shrink(t, r);
		return NULL;
	}
	node = radix_root(r);
	for (level = radix_height(r); level > 1; level--) {
		uint64_t *slot = &radix_slots(t, node)[radix_index(idx, level - 1)];

		if (!*slot) {
			uint64_t child;

			rc = obj_alloc(t, RADIX_NODE_BYTES, &child);
			if (rc < 0) {
				/* Nodes made on the way down are empty: drop them. */
				radix_clear(t, r, idx);
				radix_shrink(t, r);
				return NULL;
			}
			__atomic_store_n(slot, child, __ATOMIC_RELEASE);
		}
		node = *slot;
	}
	return &radix_slots(t, node)[radix_index(idx, 0)];
}

int radix_set(rd_tree *t, struct rd_radix *r, uint64_t idx, uint64_t val)
{
	uint64_t *slot;

	if (idx == 0 && val && !(val & (RD_PAGE - 1)) && (!r->root || radix_direct(r))) {
		__atomic_store_n(&r->root, val, __ATOMIC_RELEASE);
		return 0;
	}
	slot = radix_slot_make(t, r, idx);
	if (!slot)
		return -ENOSPC;
	__atomic_store_n(slot, val, __ATOMIC_RELEASE);
	return 0;
}

uint64_t *radix_slot(rd_tree *t, struct rd_radix *r, uint64_t idx)
{
	if (radix_direct(r))
		return NULL; /* a one-page file map: not for this */
	return radix_slot_make(t, r, idx);
}

/* Clear idx and free every node on its path that became empty. */
void radix_clear(rd_tree *t, struct rd_radix *r, uint64_t idx)
{
	uint64_t path[12];
	uint64_t node;
	uint32_t level, depth = 0;

	if (!radix_covers(r, idx))
		return;
	if (radix_direct(r)) {
		radix_publish(r, 0, 0);
		return;
	}
	node = radix_root(r);
	level = radix_height(r);
	path[depth++] = node;
	while (level-- > 1) {
		node = radix_slots(t, node)[radix_index(idx, level)];
		if (!node)
			return;
		path[depth++] = node;
	}
	radix_slots(t, node)[radix_index(idx, 0)] = 0;
	/* Walk back up: unlink each empty node from its parent, then free it. */
	for (level = 0; depth > 0; level++) {
		uint64_t n = path[--depth];

		if (!radix_node_empty(t, n))
			return;
		if (depth == 0)
			radix_publish(r, 0, 0);
		else
			radix_slots(t, path[depth - 1])[radix_index(idx, level + 1)] = 0;
		obj_free(t, n);
	}
}

static uint64_t radix_next_in(rd_tree *t, uint64_t node, uint32_t level, uint64_t base, uint64_t *idx)
{
	const uint64_t *s = radix_slots(t, node);
	uint64_t span = 1ull << (RD_RADIX_SHIFT * level); /* keys per slot at this level */
	uint64_t i = *idx > base ? (*idx - base) / span : 0;

	for (; i < RD_RADIX_FAN; i++) {
		uint64_t start = base + i * span;

		if (!s[i])
			continue;
		if (level == 0) {
			*idx = start > *idx ? start : *idx;
			return s[i];
		}
		{
			uint64_t from = *idx > start ? *idx : start;
			uint64_t v = radix_next_in(t, s[i], level - 1, start, &from);

			if (v) {
				*idx = from;
				return v;
			}
		}
	}
	return 0;
}

uint64_t radix_next(rd_tree *t, const struct rd_radix *r, uint64_t *idx)
{
	if (!radix_covers(r, *idx))
		return 0;
	if (radix_direct(r))
		return r->root; /* *idx is 0 */
	return radix_next_in(t, radix_root(r), radix_height(r) - 1, 0, idx);
}

static uint64_t radix_prev_in(rd_tree *t, uint64_t node, uint32_t level, uint64_t base, uint64_t *idx)
{
	const uint64_t *s = radix_slots(t, node);
	uint64_t span = 1ull << (RD_RADIX_SHIFT * level);
	uint64_t i = (*idx - base) / span;

	if (i >= RD_RADIX_FAN)
		i = RD_RADIX_FAN - 1;
	for (;; i--) {
		uint64_t start = base + i * span;

		if (s[i]) {
			if (level == 0) {
				*idx = start;
				return s[i];
			}
			{
				uint64_t last = start + span - 1;
				uint64_t from = *idx < last ? *idx : last;
				uint64_t v = radix_prev_in(t, s[i], level - 1, start, &from);

				if (v) {
					*idx = from;
					return v;
				}
			}
		}
		if (i == 0)
			return 0;
	}
}

uint64_t radix_prev(rd_tree *t, const struct rd_radix *r, uint64_t *idx)
{
	uint32_t h = radix_height(r);

	if (!r->root)
		return 0;
	if (radix_direct(r)) {
		*idx = 0;
		return r->root;
	}
	if (h < 10 && *idx >= radix_span(h))
		*idx = radix_span(h) - 1;
	return radix_prev_in(t, radix_root(r), h - 1, 0, idx);
}

static void radix_destroy_node(rd_tree *t, uint64_t node, uint32_t level, void (*fn)(rd_tree *, uint64_t))
{
	uint64_t *s = radix_slots(t, node);
	unsigned i;

	for (i = 0; i < RD_RADIX_FAN; i++) {
		if (!s[i])
			continue;
		if (level == 0) {
			if (fn)
				fn(t, s[i]);
		} else {
			radix_destroy_node(t, s[i], level - 1, fn);
		}
	}
	obj_free(t, node);
}

void radix_destroy(rd_tree *t, struct rd_radix *r, void (*fn)(rd_tree *, uint64_t))
{
	uint64_t root = radix_root(r);
	uint32_t h = radix_height(r);
	int direct = radix_direct(r);

	radix_publish(r, 0, 0);
	if (direct) {
		if (fn)
			fn(t, root);
	} else if (root) {
		radix_destroy_node(t, root, h - 1, fn);
	}
}

static void radix_walk_in(rd_tree *t, uint64_t node, uint32_t level, void (*node_fn)(rd_tree *, uint64_t),
			  void (*val_fn)(rd_tree *, uint64_t, void *), void *arg)
{
	const uint64_t *s = radix_slots(t, node);
	unsigned i;

	if (node_fn)
		node_fn(t, node);
	for (i = 0; i < RD_RADIX_FAN; i++) {
		if (!s[i])
			continue;
		if (level == 0) {
			if (val_fn)
				val_fn(t, s[i], arg);
		} else
			radix_walk_in(t, s[i], level - 1, node_fn, val_fn, arg);
	}
}

void radix_walk_nodes(rd_tree *t, const struct rd_radix *r, void (*node_fn)(rd_tree *, uint64_t),
		      void (*val_fn)(rd_tree *, uint64_t, void *), void *arg)
{
	if (radix_direct(r)) {
		if (val_fn)
			val_fn(t, r->root, arg);
	} else if (r->root) {
		radix_walk_in(t, radix_root(r), radix_height(r) - 1, node_fn, val_fn, arg);
	}
}

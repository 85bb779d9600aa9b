/*
 * Memory guard (private to core): compares what the tree wants with what the
 * host can really give. See rd_mem_available_bytes() in core.h for the
 * reading; this is the policy the allocator and tree creation call.
 */
#ifndef RD_GUARD_H
#define RD_GUARD_H

#include <stdint.h>

/* Shared state, kept in the arena superblock and updated under the tree
 * lock, so that every process rate-limits the same reading. */
struct rd_guard_state {
	uint32_t mode;          /* enum rd_guard_mode */
	uint32_t pad;
	uint64_t interval_ns;   /* re-read at most this often (per-write) */
	uint64_t last_read_ns;  /* CLOCK_MONOTONIC of the last reading, 0 = never */
	uint64_t last_avail;    /* bytes available at the last reading */
	uint64_t granted;       /* bytes handed out since the last reading */
};

/* INIT or PER_WRITE: quota must not exceed available memory. 0 or -ENOMEM,
 * with rd_guard_message() naming both numbers and the fix. */
int guard_check_init(uint64_t quota, uint32_t mode);

/* PER_WRITE: may `bytes` more of fresh memory be committed? Re-reads the host
 * at most once per interval and counts grants since then against the last
 * reading. 0 or -ENOSPC (message set). No-op for other modes. */
int guard_check_alloc(struct rd_guard_state *g, uint64_t bytes);

/* For tests: rd_mem_available_bytes() with every file it reads looked up
 * under root ("" is the real system), so fake /proc and /sys trees can be
 * fed to the parser. */
int guard_read_available_at(const char *root, uint64_t *out);

#endif

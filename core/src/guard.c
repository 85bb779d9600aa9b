/*
 * Memory guard: what the host can really give (cgroup v2, v1, meminfo) and
 * the init and per-write policies. Runs inside the preload: raw syscalls only.
 */
#include "guard.h"

#include <ramdir/core.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define GUARD_DEFAULT_INTERVAL_NS 100000000ull /* 100 ms */
#define GUARD_PATH_MAX 1024
#define GUARD_LINE_MAX 512
/* cgroup v1 reports "no limit" as PAGE_COUNTER_MAX pages, just under 2^63. */
#define GUARD_V1_UNLIMITED (1ull << 62)

/* Where the last reading in this thread came from, for the message. */
enum guard_src { GUARD_SRC_NONE, GUARD_SRC_MEMINFO, GUARD_SRC_CG1, GUARD_SRC_CG2 };
struct guard_detail {
	enum guard_src src;
	uint64_t limit;     /* tightest cgroup level: its limit */
	uint64_t usage;     /* ... and its usage */
	uint64_t memavail;  /* MemAvailable, 0 if unread */
};

static __thread char guard_msg[384];
static __thread struct guard_detail guard_last;
static rd_mem_reader guard_reader; /* NULL: rd_mem_available_bytes */

/* ------------------------------------------------------------------------
 * Raw file access. */

static int guard_open(const char *path)
{
	long fd;

	do
		fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : (int)fd;
}

static long guard_read_fd(int fd, char *buf, size_t len)
{
	long n;

	do
		n = syscall(SYS_read, fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static void guard_close(int fd)
{
	syscall(SYS_close, fd);
}

/* Small whole files (memory.max and friends): NUL-terminated, -errno. */
static long guard_slurp(const char *path, char *buf, size_t cap)
{
	int fd = guard_open(path);
	size_t len = 0;
	long n = 0;

	if (fd < 0)
		return fd;
	while (len + 1 < cap) {
		n = guard_read_fd(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	guard_close(fd);
	if (n < 0)
		return n;
	buf[len] = '\0';
	return (long)len;
}

/* Line-at-a-time reading of /proc files through a small window. */
struct guard_lines {
	int fd;
	size_t pos, len;
	char buf[512];
};

/* Next line into line (without the newline). 1 got one, 0 end of file,
 * -errno on error. An overlong line is cut and *cut set, so callers can
 * refuse to act on half a path. */
static int guard_next_line(struct guard_lines *lr, char *line, size_t cap, int *cut)
{
	size_t n = 0;
	long got;

	*cut = 0;
	for (;;) {
		if (lr->pos == lr->len) {
			got = guard_read_fd(lr->fd, lr->buf, sizeof lr->buf);
			if (got < 0)
				return (int)got;
			if (got == 0)
				break;
			lr->pos = 0;
			lr->len = (size_t)got;
		}
		char c = lr->buf[lr->pos++];
		if (c == '\n') {
			line[n] = '\0';
			return 1;
		}
		if (n + 1 < cap)
			line[n++] = c;
		else
			*cut = 1;
	}
	line[n] = '\0';
	return n > 0 || *cut;
}

/* dst = a b c d (any may be ""); -ENAMETOOLONG if it does not fit. */
static int guard_join(char *dst, size_t cap, const char *a, const char *b,
		      const char *c, const char *d)
{
	const char *parts[4] = { a, b, c, d };
	size_t len = 0;

	for (int i = 0; i < 4; i++) {
		size_t l = strlen(parts[i]);

		if (len + l + 1 > cap)
			return -ENAMETOOLONG;
		memcpy(dst + len, parts[i], l);
		len += l;
	}
	dst[len] = '\0';
	return 0;
}

/* A decimal number, then only whitespace. 0 or -EINVAL ("max", garbage). */
static int guard_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

/* ------------------------------------------------------------------------
 * Readings. */

/* MemAvailable from root/proc/meminfo, in bytes. Kernels before 3.14 lack
 * it; MemFree is then the (pessimistic) stand-in. */
static int guard_meminfo(const char *root, uint64_t *out)
{
	struct guard_lines lr = { 0 };
	char path[GUARD_PATH_MAX], line[128];
	uint64_t memfree = 0, kb;
	int have_free = 0, cut, rc;

	rc = guard_join(path, sizeof path, root, "/proc/meminfo", "", "");
	if (rc < 0)
		return rc;
	lr.fd = guard_open(path);
	if (lr.fd < 0)
		return lr.fd;
	while ((rc = guard_next_line(&lr, line, sizeof line, &cut)) > 0) {
		char *num = strchr(line, ':');
		char *unit;

		if (!num || cut)
			continue;
		*num++ = '\0';
		unit = strstr(num, " kB");
		if (unit)
			*unit = '\0';
		if (guard_parse_u64(num, &kb) < 0 || kb > UINT64_MAX / 1024)
			continue;
		if (strcmp(line, "MemAvailable") == 0) {
			guard_close(lr.fd);
			*out = kb * 1024;
			return 0;
		}
		if (strcmp(line, "MemFree") == 0) {
			memfree = kb * 1024;
			have_free = 1;
		}
	}
	guard_close(lr.fd);
	if (rc < 0)
		return rc;
	if (!have_free)
		return -ENODATA;
	*out = memfree;
	return 0;
}

/* Walk from base/cgpath up to base, reading limit_name and usage_name in
 * each directory, and keep the tightest limit - usage. Levels whose limit
 * is missing, "max" or at least `unlimited` do not constrain. 1 if some
 * level had a limit (results in *headroom, d), 0 if none did. */
static int guard_walk_cgroup(const char *base, char *cgpath,
			     const char *limit_name, const char *usage_name,
			     uint64_t unlimited, uint64_t *headroom,
			     struct guard_detail *d)
{
	char path[GUARD_PATH_MAX], val[64];
	uint64_t limit, usage, room;
	int found = 0;
	size_t len = strlen(cgpath);

	/* "/a/b/" and "/" become "/a/b" and "": the top is base itself. */
	while (len > 0 && cgpath[len - 1] == '/')
		cgpath[--len] = '\0';
	for (;;) {
		if (guard_join(path, sizeof path, base, cgpath, "/", limit_name) == 0 &&
		    guard_slurp(path, val, sizeof val) > 0 &&
		    guard_parse_u64(val, &limit) == 0 && limit < unlimited &&
		    guard_join(path, sizeof path, base, cgpath, "/", usage_name) == 0 &&
		    guard_slurp(path, val, sizeof val) > 0 &&
		    guard_parse_u64(val, &usage) == 0) {
			room = usage < limit ? limit - usage : 0;
			if (!found || room < *headroom) {
				*headroom = room;
				d->limit = limit;
				d->usage = usage;
			}
			found = 1;
		}
		if (len == 0)
			break;
		char *slash = strrchr(cgpath, '/');
		len = slash ? (size_t)(slash - cgpath) : 0;
		cgpath[len] = '\0';
	}
	return found;
}

/* The cgroup headroom from root/proc/self/cgroup: the v2 line "0::/path"
 * first, then a v1 "N:...memory...:/path" line. 1 found, 0 no limit. */
static int guard_cgroup(const char *root, uint64_t *headroom, struct guard_detail *d)
{
	struct guard_lines lr = { 0 };
	char path[GUARD_PATH_MAX], line[GUARD_LINE_MAX];
	char v2[GUARD_LINE_MAX] = "", v1[GUARD_LINE_MAX] = "";
	char top[1] = "";
	int have_v2 = 0, have_v1 = 0, cut;

	if (guard_join(path, sizeof path, root, "/proc/self/cgroup", "", "") < 0)
		return 0;
	/* Unreadable: no path known, but the tops may still hold a limit
	 * (inside a container they are the container's own cgroup). */
	lr.fd = guard_open(path);
	while (lr.fd >= 0 && guard_next_line(&lr, line, sizeof line, &cut) > 0) {
		char *ctl = strchr(line, ':');
		char *cg = ctl ? strchr(ctl + 1, ':') : NULL;

		if (!cg || cut)
			continue;
		*ctl++ = '\0';
		*cg++ = '\0';
		if (strcmp(line, "0") == 0 && *ctl == '\0') {
			strcpy(v2, cg);
			have_v2 = 1;
		}
		/* v1 controller lists are comma separated: "memory" alone or
		 * co-mounted, e.g. "cpu,memory". */
		for (char *tok = ctl; tok && *tok; ) {
			char *comma = strchr(tok, ',');
			size_t l = comma ? (size_t)(comma - tok) : strlen(tok);

			if (l == 6 && memcmp(tok, "memory", 6) == 0) {
				strcpy(v1, cg);
				have_v1 = 1;
			}
			tok = comma ? comma + 1 : NULL;
		}
	}
	/* A read error midway: use what was parsed. */
	if (lr.fd >= 0)
		guard_close(lr.fd);

	if (guard_join(path, sizeof path, root, "/sys/fs/cgroup", "", "") == 0 &&
	    guard_walk_cgroup(path, have_v2 ? v2 : top, "memory.max", "memory.current",
			      UINT64_MAX, headroom, d)) {
		d->src = GUARD_SRC_CG2;
		return 1;
	}
	if (guard_join(path, sizeof path, root, "/sys/fs/cgroup/memory", "", "") == 0 &&
	    guard_walk_cgroup(path, have_v1 ? v1 : top,
			      "memory.limit_in_bytes", "memory.usage_in_bytes",
			      GUARD_V1_UNLIMITED, headroom, d)) {
		d->src = GUARD_SRC_CG1;
		return 1;
	}
	return 0;
}

/* The reading behind rd_mem_available_bytes, with every file looked up under
 * root ("" for the real system; tests pass a fake tree). */
int guard_read_available_at(const char *root, uint64_t *out)
{
	struct guard_detail d = { 0 };
	uint64_t memavail = 0, room = 0;
	int saved = errno;
	int mrc = guard_meminfo(root, &memavail);
	int have_cg = guard_cgroup(root, &room, &d);

	errno = saved;
	if (mrc < 0 && !have_cg)
		return mrc;
	if (mrc == 0)
		d.memavail = memavail;
	if (!have_cg) {
		d.src = GUARD_SRC_MEMINFO;
		*out = memavail;
	} else {
		*out = (mrc == 0 && memavail < room) ? memavail : room;
	}
	guard_last = d;
	return 0;
}

int rd_mem_available_bytes(uint64_t *out)
{
	return guard_read_available_at("", out);
}

void rd_guard_set_reader(rd_mem_reader fn)
{
	__atomic_store_n(&guard_reader, fn, __ATOMIC_RELEASE);
}

/* Whatever reader is installed; the detail is cleared first so a test
 * reader does not inherit an old reading's explanation. */
static int guard_read(uint64_t *avail)
{
	rd_mem_reader fn = __atomic_load_n(&guard_reader, __ATOMIC_ACQUIRE);

	memset(&guard_last, 0, sizeof guard_last);
	return fn ? fn(avail) : rd_mem_available_bytes(avail);
}

/* ------------------------------------------------------------------------
 * Messages, formatted by hand: snprintf may allocate and this runs in an
 * interposed process. */

struct guard_buf {
	char *p;
	size_t len, cap;
};

static void guard_put(struct guard_buf *b, const char *s)
{
	size_t l = strlen(s);

	if (l > b->cap - 1 - b->len)
		l = b->cap - 1 - b->len;
	memcpy(b->p + b->len, s, l);
	b->len += l;
	b->p[b->len] = '\0';
}

static void guard_put_u64(struct guard_buf *b, uint64_t v)
{
	char tmp[24];
	int i = (int)sizeof tmp - 1;

	tmp[i] = '\0';
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	guard_put(b, tmp + i);
}

/* The unit (0 B, 1 KiB, ... 6 EiB) for v: the largest not above it. */
static int guard_unit_of(uint64_t v)
{
	int u = 0;

	while (u < 6 && (v >> (10 * u)) >= 1024)
		u++;
	return u;
}

/* "3.2 GiB": v in unit u with one decimal, rounded. */
static void guard_put_size_in(struct guard_buf *b, uint64_t v, int u)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	uint64_t unit = 1ull << (10 * u), whole, tenth;

	whole = v / unit;
	/* Below EiB, v % unit < 2^50 and times ten cannot overflow. */
	tenth = u == 6 ? (v % unit) / (unit / 10) : ((v % unit) * 10 + unit / 2) / unit;
	if (tenth == 10) {
		whole++;
		tenth = 0;
	}
	guard_put_u64(b, whole);
	if (u > 0) {
		char frac[3] = { '.', (char)('0' + tenth), '\0' };

		guard_put(b, frac);
	}
	guard_put(b, " ");
	guard_put(b, units[u]);
}

static void guard_put_size(struct guard_buf *b, uint64_t v)
{
	guard_put_size_in(b, v, guard_unit_of(v));
}

/* "(cgroup limit 4.0 GiB, 0.8 GiB used)" or "(MemAvailable)". */
static void guard_put_source(struct guard_buf *b)
{
	const struct guard_detail *d = &guard_last;

	switch (d->src) {
	case GUARD_SRC_CG1:
	case GUARD_SRC_CG2:
		guard_put(b, d->src == GUARD_SRC_CG2 ? " (cgroup limit " : " (cgroup v1 limit ");
		guard_put_size(b, d->limit);
		guard_put(b, ", ");
		/* In the limit's unit, so the two read together. */
		guard_put_size_in(b, d->usage, guard_unit_of(d->limit));
		guard_put(b, " used");
		if (d->memavail) {
			guard_put(b, "; host MemAvailable ");
			guard_put_size(b, d->memavail);
		}
		guard_put(b, ")");
		break;
	case GUARD_SRC_MEMINFO:
		guard_put(b, " (MemAvailable)");
		break;
	case GUARD_SRC_NONE:
		break;
	}
}

static void guard_msg_init(uint64_t quota, uint64_t avail)
{
	struct guard_buf b = { guard_msg, 0, sizeof guard_msg };

	guard_msg[0] = '\0';
	guard_put(&b, "memory guard: quota ");
	guard_put_size(&b, quota);
	guard_put(&b, " exceeds the ");
	guard_put_size(&b, avail);
	guard_put(&b, " (");
	guard_put_u64(&b, avail);
	guard_put(&b, " bytes) this machine can give");
	guard_put_source(&b);
	guard_put(&b, "; lower the quota or use --memory-guard none");
}

static void guard_msg_alloc(uint64_t bytes, uint64_t left)
{
	struct guard_buf b = { guard_msg, 0, sizeof guard_msg };

	guard_msg[0] = '\0';
	guard_put(&b, "memory guard: refused ");
	guard_put_size(&b, bytes);
	guard_put(&b, " (");
	guard_put_u64(&b, bytes);
	guard_put(&b, " bytes) more: only ");
	guard_put_size(&b, left);
	guard_put(&b, " (");
	guard_put_u64(&b, left);
	guard_put(&b, " bytes) of memory is available");
	guard_put_source(&b);
	guard_put(&b, "; free memory, lower the quota or use --memory-guard init");
}

const char *rd_guard_message(void)
{
	return guard_msg;
}

/* ------------------------------------------------------------------------
 * Policy. A reader that fails (no /proc, seccomp) allows: the guard is a
 * safety net and must not break programs on hosts it cannot inspect. */

int guard_check_init(uint64_t quota, uint32_t mode)
{
	uint64_t avail;

	if (mode != RD_GUARD_INIT && mode != RD_GUARD_PER_WRITE)
		return 0;
	if (guard_read(&avail) < 0)
		return 0;
	if (quota <= avail)
		return 0;
	guard_msg_init(quota, avail);
	return -ENOMEM;
}

static uint64_t guard_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Between readings, grants are summed and compared exactly with the last
 * reading: no safety margin, because the reading itself is already a
 * snapshot of memory other processes are racing for, and a margin would
 * only refuse writes the host could have served. */
int guard_check_alloc(struct rd_guard_state *g, uint64_t bytes)
{
	uint64_t interval, now;

	if (g->mode != RD_GUARD_PER_WRITE)
		return 0;
	interval = g->interval_ns ? g->interval_ns : GUARD_DEFAULT_INTERVAL_NS;
	now = guard_now_ns();
	if (g->last_read_ns == 0 || now - g->last_read_ns >= interval) {
		uint64_t avail;

		/* On failure allow everything until the next reading. */
		if (guard_read(&avail) < 0)
			avail = UINT64_MAX;
		g->last_read_ns = now ? now : 1;
		g->last_avail = avail;
		g->granted = 0;
	}
	if (bytes > g->last_avail - g->granted) {
		guard_msg_alloc(bytes, g->last_avail - g->granted);
		return -ENOSPC;
	}
	g->granted += bytes;
	return 0;
}

/*
 * Temporary names: the mkstemp family and mkdtemp. glibc fills in the
 * XXXXXX with its internal open and mkdir, which never reach our wrappers,
 * so for a template in the tree the names are made here, the way glibc
 * 2.36 makes them: six base-62 characters before the suffix, O_CREAT|O_EXCL
 * (or mkdir) retried on EEXIST, EINVAL for a bad template, EEXIST when
 * 62^3 tries all collided.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>

#include "rp.h"

#define TMP_XS 6
#define TMP_ATTEMPTS (62 * 62 * 62)

enum tmp_kind { TMP_FILE, TMP_DIR };

static const char tmp_letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

static int tmp_ours(const char *tmpl)
{
	struct rp_at at;

	if (tmpl && rp_path(AT_FDCWD, tmpl, &at) != 0)
		return 1;
	rp_fd_idle_flush(); /* the real call's descriptor is the lowest free (fd.c) */
	return 0;
}

static uint64_t tmp_random(uint64_t prev)
{
	uint64_t v;
	struct timespec ts;

	if (getrandom(&v, sizeof v, GRND_NONBLOCK) == (ssize_t)sizeof v)
		return v;
	/* No entropy yet: mix the clock into the previous value. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	v = prev ^ ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec;
	return v * 0x9e3779b97f4a7c15ull + 1;
}

/* One attempt at creating tmpl exclusively: a descriptor (0 for a
 * directory) or -errno. Symlinks out of the tree are followed to the
 * real filesystem, as the kernel would follow them. */
static int tmp_try(const char *tmpl, enum tmp_kind kind, int flags)
{
	int oflags = (flags & ~O_ACCMODE) | O_RDWR | O_CREAT | O_EXCL;
	const char *real = tmpl;
	struct rp_at at;
	int k = rp_path(AT_FDCWD, tmpl, &at), fd;

	while (k > 0) {
		rd_fh fh;
		int rc = kind == TMP_DIR ? rd_mkdir(rp.tree, at.base, at.path, 0700)
					 : (int)RP_SPACE(rd_open(rp.tree, at.base, at.path, oflags, 0600, &fh));

		if (rc != -RD_EESCAPE) {
			if (rc < 0 || kind == TMP_DIR)
				return rc;
			return rp_fd_install(fh, flags & O_CLOEXEC);
		}
		k = rp_escape(&at);
		real = at.path;
	}
	if (k < 0)
		return k;
	if (kind == TMP_DIR)
		return syscall(SYS_mkdirat, AT_FDCWD, real, 0700) < 0 ? -errno : 0;
	rp_fd_idle_flush();
	fd = REAL(openat)(AT_FDCWD, real, oflags, 0600);
	return fd < 0 ? -errno : fd;
}

/* glibc's __gen_tempname for a template in the tree. errno is left as it
 * was on success. */
static int tmp_gen(char *tmpl, int suffixlen, int flags, enum tmp_kind kind)
{
	size_t len = strlen(tmpl);
	unsigned count;
	uint64_t v = (uintptr_t)&len;
	int err = errno, digits = 0;
	char *xs;

	if (suffixlen < 0 || len < TMP_XS + (size_t)suffixlen ||
	    strspn(tmpl + len - TMP_XS - suffixlen, "X") < TMP_XS)
		return -EINVAL;
	xs = tmpl + len - TMP_XS - suffixlen;
	for (count = 0; count < TMP_ATTEMPTS; count++) {
		int i, rc;

		for (i = 0; i < TMP_XS; i++) {
			if (digits == 0) {
				v = tmp_random(v);
				digits = 10; /* 62^10 < 2^64 */
			}
			xs[i] = tmp_letters[v % 62];
			v /= 62;
			digits--;
		}
		rc = tmp_try(tmpl, kind, flags);
		if (rc != -EEXIST) {
			if (rc >= 0)
				errno = err;
			return rc;
		}
	}
	return -EEXIST;
}

/* ---- exported wrappers ---- */

RP_EXPORT int mkstemp(char *tmpl)
{
	if (!tmp_ours(tmpl))
		return REAL(mkstemp)(tmpl);
	return (int)rp_ret(tmp_gen(tmpl, 0, 0, TMP_FILE));
}

RP_EXPORT int mkstemp64(char *tmpl)
{
	if (!tmp_ours(tmpl))
		return REAL(mkstemp64)(tmpl);
	return (int)rp_ret(tmp_gen(tmpl, 0, O_LARGEFILE, TMP_FILE));
}

RP_EXPORT int mkostemp(char *tmpl, int flags)
{
	if (!tmp_ours(tmpl))
		return REAL(mkostemp)(tmpl, flags);
	return (int)rp_ret(tmp_gen(tmpl, 0, flags, TMP_FILE));
}

RP_EXPORT int mkostemp64(char *tmpl, int flags)
{
	if (!tmp_ours(tmpl))
		return REAL(mkostemp64)(tmpl, flags);
	return (int)rp_ret(tmp_gen(tmpl, 0, flags | O_LARGEFILE, TMP_FILE));
}

RP_EXPORT int mkstemps(char *tmpl, int suffixlen)
{
	if (!tmp_ours(tmpl))
		return REAL(mkstemps)(tmpl, suffixlen);
	return (int)rp_ret(tmp_gen(tmpl, suffixlen, 0, TMP_FILE));
}

RP_EXPORT int mkstemps64(char *tmpl, int suffixlen)
{
	if (!tmp_ours(tmpl))
		return REAL(mkstemps64)(tmpl, suffixlen);
	return (int)rp_ret(tmp_gen(tmpl, suffixlen, O_LARGEFILE, TMP_FILE));
}

RP_EXPORT int mkostemps(char *tmpl, int suffixlen, int flags)
{
	if (!tmp_ours(tmpl))
		return REAL(mkostemps)(tmpl, suffixlen, flags);
	return (int)rp_ret(tmp_gen(tmpl, suffixlen, flags, TMP_FILE));
}

RP_EXPORT int mkostemps64(char *tmpl, int suffixlen, int flags)
{
	if (!tmp_ours(tmpl))
		return REAL(mkostemps64)(tmpl, suffixlen, flags);
	return (int)rp_ret(tmp_gen(tmpl, suffixlen, flags | O_LARGEFILE, TMP_FILE));
}

RP_EXPORT char *mkdtemp(char *tmpl)
{
	int rc;

	if (!tmp_ours(tmpl))
		return REAL(mkdtemp)(tmpl);
	rc = tmp_gen(tmpl, 0, 0, TMP_DIR);
	return rc < 0 ? (rp_ret(rc), NULL) : tmpl;
}

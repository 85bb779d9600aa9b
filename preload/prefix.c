/*
 * The prefixes: RAMDIR_PREFIX names one directory or a ':'-separated list.
 * One prefix is the tree root. With several, prefix k is the tree's mount
 * root "/k" (k one hex digit; rd_config.roots in core.h): each behaves as
 * its own tmpfs mount on one shared device. Everything that turns a user's
 * absolute path into a tree path, or a tree path back into the user's, is
 * here.
 */
#include <string.h>

#include "rp.h"

struct rp_prefixes rp_pfx RP_HOT;
/* For a RAMDIR_PREFIX too long for rp_pfx.small: touched only then. */
static char prefix_big[2 * RP_PATH_MAX];

static const char prefix_digits[] = "0123456789abcdef";

/* Is the normalised path o /proc, /dev or /sys, or under one? Compared a
 * character at a time rather than against string constants: every process
 * runs this, and the constants' page of .rodata was one more page fault
 * in each (RP_START). */
RP_START static int prefix_system(const char *o)
{
	size_t l = 0;

	if (o[1] == 'p' && o[2] == 'r' && o[3] == 'o' && o[4] == 'c')
		l = 5;
	else if ((o[1] == 'd' && o[2] == 'e' && o[3] == 'v') || (o[1] == 's' && o[2] == 'y' && o[3] == 's'))
		l = 4;
	return l && (o[l] == 0 || o[l] == '/');
}

/* Normalise one prefix ("/ram/", "//ram" -> "/ram") into out; NULL, or
 * the reason it cannot be a mount point. */
RP_START static const char *prefix_one(const char *s, size_t slen, char *out, size_t cap, size_t *outlen)
{
	const char *p = s, *end = s + slen;
	size_t n = 0;

	if (slen == 0 || s[0] != '/')
		return "is not an absolute path (use e.g. /ram)";
	while (p < end) {
		const char *c;
		size_t len;

		while (p < end && *p == '/')
			p++;
		c = p;
		while (p < end && *p != '/')
			p++;
		len = (size_t)(p - c);
		if (len == 0)
			break;
		if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return "must not contain '.' or '..'";
		if (n + 1 + len >= cap)
			return "is too long";
		out[n++] = '/';
		memcpy(out + n, c, len);
		n += len;
	}
	out[n] = 0;
	*outlen = n;
	if (n == 0)
		return "is the root; choose a directory such as /ram";
	if (prefix_system(out))
		return "is under a system directory (/proc, /dev, /sys); choose one such as /ram";
	return NULL;
}

/* Is a (length an) the directory b (length bn) or below it? */
RP_START static int prefix_under(const char *a, size_t an, const char *b, size_t bn)
{
	return an >= bn && !memcmp(a, b, bn) && (an == bn || a[bn] == '/');
}

RP_START int rp_prefix_parse(const char *val, char *err, size_t errlen)
{
	const char *p = val;
	size_t used = 0, lused = 0;
	char *list;
	int n = 0;

	/* Normalising never lengthens a prefix, so the paths take at most
	 * strlen(val) + 1 bytes and the list as much again. */
	rp_pfx.paths = strlen(val) < sizeof rp_pfx.small / 2 ? rp_pfx.small : prefix_big;
	for (;;) {
		const char *colon = strchr(p, ':'), *why;
		size_t slen = colon ? (size_t)(colon - p) : strlen(p), len, parent;
		char *out = rp_pfx.paths + used;

		if (n == RP_MAX_PREFIXES) {
			snprintf(err, errlen, "RAMDIR_PREFIX='%s' names more than %d prefixes; use fewer",
				 val, RP_MAX_PREFIXES);
			return -1;
		}
		why = prefix_one(p, slen, out, RP_PATH_MAX - used, &len);
		if (why && !strchr(val, ':')) {
			snprintf(err, errlen, "RAMDIR_PREFIX='%s' %s", val, why);
			return -1;
		}
		if (why) {
			snprintf(err, errlen, "RAMDIR_PREFIX='%s': '%.*s' %s", val, (int)slen, p, why);
			return -1;
		}
		for (int i = 0; i < n; i++) {
			const char *o = rp_pfx.paths + rp_pfx.at[i].off;
			size_t olen = rp_pfx.at[i].len;

			if (olen == len && !memcmp(o, out, len)) {
				snprintf(err, errlen, "RAMDIR_PREFIX='%s' gives '%s' twice; give it once", val,
					 out);
				return -1;
			}
			if (prefix_under(out, len, o, olen) || prefix_under(o, olen, out, len)) {
				snprintf(err, errlen,
					 "RAMDIR_PREFIX='%s': '%.*s' and '%s' are nested; give only the outer one",
					 val, (int)olen, o, out);
				return -1;
			}
		}
		parent = (size_t)((const char *)memrchr(out, '/', len) - out); /* "/a/b": 2; "/a": 0, "/" */
		rp_pfx.at[n].off = (uint32_t)used;
		rp_pfx.at[n].len = (uint32_t)len;
		rp_pfx.at[n].parent = (uint32_t)parent;
		used += len + 1;
		if (lused + len + 2 > RP_PATH_MAX) {
			snprintf(err, errlen, "RAMDIR_PREFIX is longer than %d bytes", RP_PATH_MAX - 1);
			return -1;
		}
		lused += len + (n > 0);
		n++;
		if (!colon)
			break;
		p = colon + 1;
	}
	/* the list, after the paths: each one, ':' between them */
	list = rp_pfx.paths + used;
	lused = 0;
	for (int i = 0; i < n; i++) {
		if (i)
			list[lused++] = ':';
		memcpy(list + lused, rp_pfx.paths + rp_pfx.at[i].off, rp_pfx.at[i].len + 1);
		lused += rp_pfx.at[i].len;
	}
	rp_pfx.list = list;
	memset(rp_pfx.second, 0, sizeof rp_pfx.second);
	for (int i = 0; i < n; i++) {
		unsigned char c = (unsigned char)rp_pfx.paths[rp_pfx.at[i].off + 1];

		rp_pfx.second[c >> 5] |= 1u << (c & 31);
	}
	rp_pfx.n = n;
	return 0;
}

RP_START int rp_prefix_match(const char *abs)
{
	/* Every call outside the tree comes here: the second character (the
	 * first after '/') rejects almost all of them before strncmp. */
	for (int k = 0; k < rp_pfx.n; k++) {
		const char *p = rp_pfx.paths + rp_pfx.at[k].off;
		size_t len = rp_pfx.at[k].len;

		if (abs[1] == p[1] && !strncmp(abs, p, len) && (abs[len] == '/' || abs[len] == 0))
			return k;
	}
	return -1;
}

int rp_prefix_below(const char *dir, size_t dlen)
{
	for (int k = 0; k < rp_pfx.n; k++) {
		const char *p = rp_pfx.paths + rp_pfx.at[k].off;

		if (rp_pfx.at[k].len > dlen && !strncmp(p, dir, dlen) && p[dlen] == '/')
			return 1;
	}
	return 0;
}

const char *rp_prefix_tree(const char *abs, int k, char *buf, size_t size)
{
	const char *rest = abs + rp_pfx.at[k].len;
	size_t rlen;

	if (rp_pfx.n == 1)
		return *rest ? rest : "/";
	rlen = strlen(rest);
	if (rlen + 3 > size)
		return NULL;
	memmove(buf + 2, rest, rlen + 1); /* rest may lie in buf, but never before buf + 2 */
	buf[0] = '/';
	buf[1] = prefix_digits[k];
	return buf;
}

int rp_prefix_user(const char *tree, char *buf, size_t size)
{
	const char *d, *rest = tree;
	size_t plen, rlen;
	int k = 0;

	if (rp_pfx.n > 1) {
		if (tree[0] != '/' || !tree[1] || (tree[2] != '/' && tree[2] != 0) ||
		    !(d = memchr(prefix_digits, tree[1], sizeof prefix_digits - 1)) ||
		    (k = (int)(d - prefix_digits)) >= rp_pfx.n)
			return -ENOENT; /* the tree's own root: no prefix names it */
		rest = tree + 2;
	}
	if (!strcmp(rest, "/"))
		rest = ""; /* the root is the prefix itself */
	plen = rp_pfx.at[k].len;
	rlen = strlen(rest);
	if (plen + rlen + 1 > size)
		return -ERANGE;
	memcpy(buf, rp_pfx.paths + rp_pfx.at[k].off, plen);
	memcpy(buf + plen, rest, rlen + 1);
	return (int)(plen + rlen + 1);
}

size_t rp_prefix_parent(int k, char *buf, size_t size)
{
	size_t n = rp_pfx.at[k].parent;

	if (n == 0 || n >= size) {
		snprintf(buf, size, "/");
		return 1;
	}
	memcpy(buf, rp_pfx.paths + rp_pfx.at[k].off, n);
	buf[n] = 0;
	return n;
}

int rp_prefix_count(void)
{
	return rp_pfx.n;
}

const char *rp_prefix_path(int k, size_t *len)
{
	*len = rp_pfx.at[k].len;
	return rp_pfx.paths + rp_pfx.at[k].off;
}

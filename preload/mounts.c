/*
 * The mount table, as programs read it. The prefix behaves like a mount
 * point, and programs such as df, findmnt or `stat -c %m` find mount points
 * by reading /proc/self/mountinfo (fopen) or /proc/self/mounts and
 * /etc/mtab (setmntent, whose fopen is internal to glibc and so wrapped
 * itself). Opened for reading, such a table is served as a copy of the
 * real one with one more line per prefix: the prefix mounted as "ramdir" of
 * type tmpfs (statfs on the prefix reports TMPFS_MAGIC), with the device
 * number stat gives for it (one device for all prefixes, as they share one
 * tree and one quota). `df /ram` then finds the tree and shows its quota.
 */
#include <mntent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>

#include "rp.h"

enum { MOUNTS_NO, MOUNTS_LIST, MOUNTS_INFO };

static int mounts_kind(const char *file)
{
	static const char *const lists[] = { "/proc/self/mounts", "/proc/mounts", "/etc/mtab",
					     "/proc/thread-self/mounts", NULL };
	static const char *const infos[] = { "/proc/self/mountinfo", "/proc/thread-self/mountinfo", NULL };
	char own[64];

	if (strncmp(file, "/proc/", 6) && strcmp(file, "/etc/mtab"))
		return MOUNTS_NO; /* the common case: one compare */
	for (int i = 0; lists[i]; i++)
		if (!strcmp(file, lists[i]))
			return MOUNTS_LIST;
	for (int i = 0; infos[i]; i++)
		if (!strcmp(file, infos[i]))
			return MOUNTS_INFO;
	snprintf(own, sizeof own, "/proc/%d/mountinfo", (int)getpid());
	if (!strcmp(file, own))
		return MOUNTS_INFO;
	snprintf(own, sizeof own, "/proc/%d/mounts", (int)getpid());
	return strcmp(file, own) ? MOUNTS_NO : MOUNTS_LIST;
}

/* Prefix k, with spaces and the like in the octal escapes the mount
 * table readers decode. */
static size_t mounts_escaped(int k, char *buf, size_t cap)
{
	size_t n = 0, plen;
	const char *prefix = rp_prefix_path(k, &plen);

	for (size_t i = 0; i < plen && n + 5 < cap; i++) {
		unsigned char c = (unsigned char)prefix[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\\')
			n += (size_t)snprintf(buf + n, cap - n, "\\%03o", c);
		else
			buf[n++] = (char)c;
	}
	buf[n] = 0;
	return n;
}

/* The mountinfo ID of the root mount ("/"), to hang ours under; and an ID
 * above every one in the table, for ours. */
static void mounts_ids(const char *tab, size_t len, long *parent, long *mine)
{
	const char *p = tab, *end = tab + len;

	*parent = 1;
	*mine = 1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char line[512], mp[256];
		long id, par;
		size_t l = (size_t)((nl ? nl : end) - p);

		if (l >= sizeof line)
			l = sizeof line - 1;
		memcpy(line, p, l);
		line[l] = 0;
		if (sscanf(line, "%ld %ld %*s %*s %255s", &id, &par, mp) == 3) {
			if (id >= *mine)
				*mine = id + 1;
			if (!strcmp(mp, "/"))
				*parent = id;
		}
		p = nl ? nl + 1 : end;
	}
}

/* The line for prefix k; its length, 0 if it cannot be made. Each
 * prefix is shown as a mount of its own ("/" its root), as tmpfs would be. */
static size_t mounts_line(int kind, int k, const char *tab, size_t len, char *buf, size_t cap)
{
	char mp[4 * RP_PATH_MAX + 1];
	struct stat st;
	long parent, mine;
	int n;

	mounts_escaped(k, mp, sizeof mp);
	if (kind == MOUNTS_LIST) {
		n = snprintf(buf, cap, "ramdir %s tmpfs rw,nosuid,nodev,relatime 0 0\n", mp);
	} else {
		if (rd_stat(rp.tree, RD_ROOT, "/", &st, 0) < 0)
			return 0;
		mounts_ids(tab, len, &parent, &mine);
		n = snprintf(buf, cap, "%ld %ld %u:%u / %s rw,nosuid,nodev,relatime - tmpfs ramdir rw\n",
			     mine + k, parent, major(st.st_dev), minor(st.st_dev), mp);
	}
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static int mounts_write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = REAL(write)(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A stream over the real table plus our line; NULL with errno. */
static FILE *mounts_stream(const char *file, int kind)
{
	size_t len = 0, cap = 65536, n;
	char *tab = malloc(cap), line[4 * RP_PATH_MAX + 128];
	int src = -1, fd = -1, err;
	FILE *fp = NULL;
	ssize_t r;

	if (!tab)
		return NULL;
	src = REAL(open)(file, O_RDONLY | O_CLOEXEC);
	if (src < 0)
		goto out;
	for (;;) {
		if (len == cap) {
			char *bigger = realloc(tab, cap * 2);

			if (!bigger)
				goto out;
			tab = bigger;
			cap *= 2;
		}
		r = REAL(read)(src, tab + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	fd = memfd_create("ramdir-mounts", MFD_CLOEXEC);
	if (fd < 0 || mounts_write_all(fd, tab, len) < 0)
		goto out;
	for (int k = 0; k < rp_prefix_count(); k++) {
		n = mounts_line(kind, k, tab, len, line, sizeof line);
		if (n && mounts_write_all(fd, line, n) < 0)
			goto out;
	}
	if (REAL(lseek)(fd, 0, SEEK_SET) < 0)
		goto out;
	fp = REAL(fdopen)(fd, "re");
	if (fp)
		fd = -1;
out:
	err = errno;
	free(tab);
	if (src >= 0)
		REAL(close)(src);
	if (fd >= 0)
		REAL(close)(fd);
	errno = err;
	return fp;
}

FILE *rp_mounts_fopen(const char *file, const char *mode, FILE *(*real_fopen)(const char *, const char *))
{
	int kind;

	if (!rp.tree || !file || !mode || mode[0] != 'r' || strchr(mode, '+') ||
	    (kind = mounts_kind(file)) == MOUNTS_NO)
		return real_fopen(file, mode);
	return mounts_stream(file, kind);
}

RP_EXPORT FILE *setmntent(const char *file, const char *mode)
{
	return rp_mounts_fopen(file, mode, REAL(setmntent));
}

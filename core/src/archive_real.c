/*
 * The real-filesystem side of exports: check the destination, publish the
 * finished result under its name without replacing anything, and clear away
 * a partial one.
 */
#include "archive_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ar_real_list(const char *dir, struct ar_names *out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return -errno;
	errno = 0;
	while (rc == 0 && (e = readdir(d)) != NULL)
		if (!ar_is_dot(e->d_name))
			rc = ar_names_add(out, e->d_name, strlen(e->d_name));
	if (rc == 0 && errno)
		rc = -errno;
	closedir(d);
	ar_names_sort(out);
	return rc;
}

int ar_real_dest_check(const char *dest, int allow_empty_dir, int *exists, char *err, size_t errlen)
{
	struct ar_names l = { 0 };
	struct stat st;
	int rc;

	*exists = 0;
	if (lstat(dest, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		rc = -errno;
		ar_errf(err, errlen, "destination \"%s\": %s", dest, ar_reason(NULL, rc));
		return rc;
	}
	if (!allow_empty_dir || !S_ISDIR(st.st_mode)) {
		ar_errf(err, errlen, "destination \"%s\" already exists", dest);
		return -EEXIST;
	}
	rc = ar_real_list(dest, &l);
	if (rc == 0 && l.n)
		rc = -EEXIST;
	ar_names_free(&l);
	if (rc == -EEXIST)
		ar_errf(err, errlen, "destination \"%s\" exists and is not an empty directory", dest);
	else if (rc < 0)
		ar_errf(err, errlen, "destination \"%s\": %s", dest, ar_reason(NULL, rc));
	*exists = rc == 0;
	return rc;
}

int ar_real_publish(const char *tmp, const char *dest, int dest_exists)
{
	struct stat st;

	if (dest_exists) {
		/* rename(2) replaces an empty directory, never a full one. */
		if (rename(tmp, dest) == 0)
			return 0;
		return errno == ENOTEMPTY ? -EEXIST : -errno;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* A filesystem without RENAME_NOREPLACE: link refuses to replace a
	 * file; for a directory, check then rename (racy, but only there). */
	if (lstat(tmp, &st) == 0 && !S_ISDIR(st.st_mode)) {
		if (link(tmp, dest) < 0)
			return -errno;
		unlink(tmp);
		return 0;
	}
	if (lstat(dest, &st) == 0)
		return -EEXIST;
	return rename(tmp, dest) == 0 ? 0 : -errno;
}

static void ar_real_rm_at(int at, const char *name)
{
	struct dirent *e;
	DIR *d;
	int fd, pass;

	if (unlinkat(at, name, 0) == 0 || (errno != EISDIR && errno != EPERM))
		return;
	fchmodat(at, name, 0700, 0);
	for (pass = 0; pass < 2; pass++) {
		fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return;
		d = fdopendir(fd);
		if (!d) {
			close(fd);
			return;
		}
		while ((e = readdir(d)) != NULL)
			if (!ar_is_dot(e->d_name))
				ar_real_rm_at(dirfd(d), e->d_name);
		closedir(d);
		if (unlinkat(at, name, AT_REMOVEDIR) == 0 || errno != ENOTEMPTY)
			return;
	}
}

void ar_real_rmtree(const char *path)
{
	ar_real_rm_at(AT_FDCWD, path);
}

char *ar_partial_name(const char *dest)
{
	static const char suffix[] = ".ramdir-partial-XXXXXX";
	size_t n = strlen(dest);
	char *s;

	while (n > 1 && dest[n - 1] == '/')
		n--;
	s = malloc(n + sizeof suffix);
	if (!s)
		return NULL;
	memcpy(s, dest, n);
	memcpy(s + n, suffix, sizeof suffix);
	return s;
}

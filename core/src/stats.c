/*
 * Usage statistics and the statvfs view of a tree, plus the size parser
 * shared by the preload's environment and the launcher's options.
 */
#include "internal.h"

#include <errno.h>
#include <sys/statvfs.h>

int rd_tree_stats(rd_tree *t, struct rd_stats *st)
{
	struct rd_super *s = SUPER(t);

	tree_lock_ro(t);
	memset(st, 0, sizeof *st);
	st->quota = s->quota;
	st->bytes_used = s->pages_used * RD_PAGE;
	st->bytes_peak = (s->pages_peak > s->pages_used ? s->pages_peak : s->pages_used) * RD_PAGE;
	st->bytes_baseline = s->pages_baseline * RD_PAGE;
	st->data_bytes = s->data_pages * RD_PAGE;
	st->max_nodes = s->max_nodes;
	st->nodes = s->nodes;
	st->open_files = s->nofiles;
	st->files_created = s->files_created;
	st->dirs_created = s->dirs_created;
	st->symlinks_created = s->symlinks_created;
	st->bytes_written = s->bytes_written;
	st->bytes_read = s->bytes_read;
	st->quota_refusals = s->quota_refusals;
	st->ops = s->ops;
	st->warm_pages = s->warm_count;
	st->recoveries = s->recoveries;
	st->locks = s->nlocks;
	tree_unlock(t);
	return 0;
}

int rd_statvfs(rd_tree *t, struct statvfs *sv)
{
	struct rd_super *s = SUPER(t);

	tree_lock_ro(t);
	memset(sv, 0, sizeof *sv);
	sv->f_bsize = RD_PAGE;
	sv->f_frsize = RD_PAGE;
	sv->f_blocks = s->quota_pages;
	sv->f_bfree = s->quota_pages - s->pages_used;
	sv->f_bavail = sv->f_bfree;
	/* As tmpfs without nr_inodes: 0 files means "no limit". */
	sv->f_files = s->max_nodes;
	sv->f_ffree = s->max_nodes ? s->max_nodes - s->nodes : 0;
	sv->f_favail = sv->f_ffree;
	sv->f_fsid = 0x52440000;
	sv->f_namemax = RD_NAME_MAX;
	tree_unlock(t);
	return 0;
}

RD_START int rd_parse_size(const char *s, uint64_t *out)
{
	uint64_t whole = 0, frac = 0, fdiv = 1, mult = 1, v;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (fdiv < 1000000000ull) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				fdiv *= 10;
			}
		}
	}
	switch (*p) {
	case 'k': case 'K': mult = 1ull << 10; p++; break;
	case 'm': case 'M': mult = 1ull << 20; p++; break;
	case 'g': case 'G': mult = 1ull << 30; p++; break;
	case 't': case 'T': mult = 1ull << 40; p++; break;
	default: break;
	}
	if (mult > 1 && (p[0] == 'i' && p[1] == 'B'))
		p += 2;
	else if (*p == 'B' || *p == 'b')
		p++;
	if (*p)
		return -EINVAL;
	if (whole > UINT64_MAX / mult)
		return -EINVAL;
	v = whole * mult + (frac * mult) / fdiv;
	if (v == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * libFuzzer target: decodes the input into file operations, runs each on the
 * core tree and on a small reference model of tmpfs kept in this file, and
 * aborts on the first difference. tests/unit/test_fuzz_replay.c includes this
 * file to run the same interpreter on seeded inputs without libFuzzer.
 *
 * Input: byte 0 picks the quota, node limit and arena kind; then 6-byte records
 * [op a b c d e] (see fz_exec). FUZZ_OPS_TRACE=1 prints every decoded
 * operation with the core's result, which turns a crash file into a readable
 * operation list.
 *
 * The model is exact for what it covers and leaves out what it cannot state
 * exactly: it never predicts ENOSPC (it accepts ENOSPC where an operation may
 * allocate, then verifies the core's state is unchanged), and it checks
 * SEEK_DATA/SEEK_HOLE only against bounds the page layout cannot change.
 * Where Linux's order among several applicable errors is an implementation
 * detail (rename, link), any of the applicable errors is accepted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ramdir/core.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

#define FZ_MAXN 64          /* model nodes; the node limit stays below */
#define FZ_MAXE 256         /* directory entries: at most 3 names per directory */
#define FZ_SLOTS 8          /* open descriptors */
#define FZ_OFDS (FZ_SLOTS + 4) /* open files: the slots' and up to 4 only process B holds */
#define FZ_PAGE 4096u
#define FZ_MAXFILE (1u << 21) /* operations that would grow a file past this are skipped */
#define FZ_NPAGES (FZ_MAXFILE / FZ_PAGE)
#define FZ_REC 6            /* bytes per operation */
#define FZ_MAXOPS 1000
#define FZ_CHECK_EVERY 16   /* full state comparison and rd_tree_check */
#define FZ_UMASK 022
#define FZ_SYMLOOP 40       /* Linux MAXSYMLINKS */
#define FZ_BOGO_DIRENT 20   /* tmpfs directory size per entry; 2 for . and .. */

/* ======================================================================
 * Reference model
 * ====================================================================== */

enum { T_FREE, T_REG, T_DIR, T_LNK };

struct mnode {
	int type;
	int links;            /* entries naming it (files, symlinks) */
	int opens;            /* open file descriptions */
	int parent;           /* directories; -1 once removed */
	int removed;          /* directory: rmdir'd or replaced by rename */
	mode_t perm;
	uint64_t ino;         /* the core's inode number once seen, 0 before */
	size_t size;
	size_t cap;
	unsigned char *data;  /* bytes [size, cap) are kept zero */
	/* Pages a successful write filled since the last truncate below them:
	 * SEEK_DATA must not skip them, SEEK_HOLE must not land in them. */
	uint8_t def[FZ_NPAGES / 8];
	char target[16];
};

struct ment {
	int dir;              /* -1: unused */
	char name;
	int node;
};

/* An open file description: shared by dup'ed slots. */
struct mofd {
	int refs;             /* 0: unused */
	int node;
	int acc;              /* O_RDONLY, O_WRONLY or O_RDWR */
	int append;
	uint64_t pos;
	rd_fh fh;
};

struct fz {
	rd_tree *t;
	uint64_t max_nodes;
	struct mnode n[FZ_MAXN];
	struct ment e[FZ_MAXE];
	struct mofd o[FZ_OFDS];
	int bref[FZ_OFDS];    /* references of o[i] held by process B (ledger) */
	uint32_t pid_b;       /* B's pid; A is FZ_PID_A and never dies */
	int slot[FZ_SLOTS];   /* index into o, -1 when empty */
	int opno;
	int trace;
	int dirty;            /* an ENOSPC happened: compare everything now */
	/* Where the last single-path walk left the tree (-RD_EESCAPE). */
	int esc_valid, esc_kind, esc_hops;
	size_t need;          /* data bytes the operation asks for (ENOSPC check) */
	char esc[128];
	int failed;
	char desc[200];
	char why[1024];
	unsigned char wbuf[16384];
};

/* Counters over every run, for the replay test's coverage assertions. */
enum { OP_OPEN, OP_CLOSE, OP_WRITE, OP_PWRITE, OP_READ, OP_PREAD, OP_TRUNCATE,
       OP_FTRUNCATE, OP_MKDIR, OP_RMDIR, OP_UNLINK, OP_RENAME, OP_LINK, OP_SYMLINK,
       OP_READLINK, OP_STAT, OP_FSTAT, OP_LSEEK, OP_DUP, OP_MAP, OP_REOPEN, OP_GIVE, OP_REAP,
       OP_CHECK, OP_COUNT };
struct fz_stats {
	unsigned long runs, ops, ok, err, enospc, short_writes, checks, escapes;
	unsigned long ok_by[OP_COUNT];
};
static struct fz_stats fz_stats;
static char fz_last_why[1024];
static unsigned char fz_rbuf[FZ_MAXFILE + 1];

static void fz_fail(struct fz *z, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (z->failed)
		return;
	z->failed = 1;
	n = snprintf(z->why, sizeof z->why, "op #%d %s: ", z->opno, z->desc);
	if (n < 0 || (size_t)n >= sizeof z->why)
		return;
	va_start(ap, fmt);
	vsnprintf(z->why + n, sizeof z->why - (size_t)n, fmt, ap);
	va_end(ap);
}

static int is_dir(struct fz *z, int i) { return i >= 0 && z->n[i].type == T_DIR; }
static int is_reg(struct fz *z, int i) { return i >= 0 && z->n[i].type == T_REG; }
static int is_lnk(struct fz *z, int i) { return i >= 0 && z->n[i].type == T_LNK; }

static int m_entry(struct fz *z, int dir, char name)
{
	for (int i = 0; i < FZ_MAXE; i++)
		if (z->e[i].dir == dir && z->e[i].name == name)
			return i;
	return -1;
}

static int m_lookup(struct fz *z, int dir, const char *name, size_t len)
{
	int i;

	if (len != 1)
		return -1;
	i = m_entry(z, dir, name[0]);
	return i < 0 ? -1 : z->e[i].node;
}

static int m_count_entries(struct fz *z, int dir, int only_dirs)
{
	int c = 0;

	for (int i = 0; i < FZ_MAXE; i++)
		if (z->e[i].dir == dir && (!only_dirs || is_dir(z, z->e[i].node)))
			c++;
	return c;
}

static void m_add_entry(struct fz *z, int dir, char name, int node)
{
	for (int i = 0; i < FZ_MAXE; i++) {
		if (z->e[i].dir < 0) {
			z->e[i] = (struct ment){dir, name, node};
			return;
		}
	}
	fz_fail(z, "model entry table full");
}

static int m_live_nodes(struct fz *z)
{
	int c = 0;

	for (int i = 0; i < FZ_MAXN; i++)
		c += z->n[i].type != T_FREE;
	return c;
}

static int m_new_node(struct fz *z, int type, mode_t perm)
{
	if (z->max_nodes && (uint64_t)m_live_nodes(z) >= z->max_nodes) {
		fz_fail(z, "core created a node beyond max_nodes=%llu",
			(unsigned long long)z->max_nodes);
		return -1;
	}
	for (int i = 1; i < FZ_MAXN; i++) {
		if (z->n[i].type == T_FREE) {
			memset(&z->n[i], 0, sizeof z->n[i]);
			z->n[i].type = type;
			z->n[i].perm = perm;
			z->n[i].parent = -1;
			return i;
		}
	}
	fz_fail(z, "model node table full");
	return -1;
}

/* Frees a node nobody names and nobody has open. */
static void m_unref(struct fz *z, int i)
{
	struct mnode *m = &z->n[i];
	int gone = m->type == T_DIR ? m->removed : m->links == 0;

	if (i == 0 || !gone || m->opens > 0)
		return;
	free(m->data);
	memset(m, 0, sizeof *m);
}

/* One name of node i went away. */
static void m_drop(struct fz *z, int i)
{
	if (is_dir(z, i)) {
		z->n[i].removed = 1;
		z->n[i].parent = -1;
	} else {
		z->n[i].links--;
	}
	m_unref(z, i);
}

static long m_nlink(struct fz *z, int i)
{
	const struct mnode *m = &z->n[i];

	if (m->type != T_DIR)
		return m->links;
	return m->removed ? 0 : 2 + m_count_entries(z, i, 1);
}

static long m_size(struct fz *z, int i)
{
	const struct mnode *m = &z->n[i];

	if (m->type == T_DIR)
		return FZ_BOGO_DIRENT * (2 + m_count_entries(z, i, 0));
	if (m->type == T_LNK)
		return (long)strlen(m->target);
	return (long)m->size;
}

/* a is d or one of d's ancestors. */
static int m_is_anc(struct fz *z, int a, int d)
{
	for (int k = 0; k < FZ_MAXN && d >= 0; k++) {
		if (d == a)
			return 1;
		if (d == 0)
			return 0;
		d = z->n[d].parent;
	}
	return 0;
}

static void m_reserve(struct mnode *m, size_t len)
{
	size_t cap = m->cap ? m->cap : FZ_PAGE;
	unsigned char *p;

	if (len <= m->cap)
		return;
	while (cap < len)
		cap *= 2;
	p = realloc(m->data, cap);
	if (!p)
		abort();
	memset(p + m->cap, 0, cap - m->cap);
	m->data = p;
	m->cap = cap;
}

static int def_get(const struct mnode *m, size_t pg) { return m->def[pg / 8] >> (pg % 8) & 1; }

static void m_truncate(struct mnode *m, size_t len)
{
	if (len < m->size)
		memset(m->data + len, 0, m->size - len);
	else
		m_reserve(m, len);
	m->size = len;
	for (size_t pg = (len + FZ_PAGE - 1) / FZ_PAGE; pg < FZ_NPAGES; pg++)
		m->def[pg / 8] &= (uint8_t)~(1u << (pg % 8));
}

static void m_write(struct mnode *m, size_t off, const void *buf, size_t n)
{
	if (!n)
		return;
	m_reserve(m, off + n);
	memcpy(m->data + off, buf, n);
	if (off + n > m->size)
		m->size = off + n;
	for (size_t pg = off / FZ_PAGE; pg <= (off + n - 1) / FZ_PAGE; pg++)
		m->def[pg / 8] |= (uint8_t)(1u << (pg % 8));
}

/* ---------------------------------------------------------------------
 * Path walk, as Linux namei: every intermediate symlink is followed, the
 * final one only when asked; ".." above the root and absolute symlink
 * targets leave the tree (-RD_EESCAPE, with z->esc the path to go on with:
 * the absolute target or what follows the "..", then the rest of the walk);
 * more than 40 symlinks is ELOOP. On success dir/name give where the final
 * component lives (name is its single character) and node is it, or -1 if
 * it does not exist.
 */
struct mres {
	int dir;
	char name;
	int node;
};

static int m_walk(struct fz *z, int cur, const char *path, int follow, int *hops, struct mres *r);

static int m_follow(struct fz *z, int dir, int lnk, int follow, int *hops, struct mres *r)
{
	const char *t = z->n[lnk].target;

	if (++*hops > FZ_SYMLOOP)
		return -ELOOP;
	if (t[0] == '/') {
		snprintf(z->esc, sizeof z->esc, "%s", t);
		z->esc_kind = RD_ESC_ABSOLUTE;
		z->esc_hops = *hops;
		return -RD_EESCAPE;
	}
	return m_walk(z, dir, t, follow, hops, r);
}

static int m_walk(struct fz *z, int cur, const char *path, int follow, int *hops, struct mres *r)
{
	if (*path == '/') {
		cur = 0;
		while (*path == '/')
			path++;
	}
	if (!*path) {
		*r = (struct mres){cur, 0, cur};
		return 0;
	}
	for (;;) {
		const char *end = strchrnul(path, '/'), *next = end;
		size_t len = (size_t)(end - path);
		int nxt, err;

		while (*next == '/')
			next++;
		if (!is_dir(z, cur))
			return -ENOTDIR;
		if (len == 1 && path[0] == '.') {
			nxt = cur;
		} else if (len == 2 && path[0] == '.' && path[1] == '.') {
			if (cur == 0) {
				snprintf(z->esc, sizeof z->esc, "%s", next);
				z->esc_kind = RD_ESC_ABOVE_ROOT;
				z->esc_hops = *hops;
				return -RD_EESCAPE;
			}
			nxt = z->n[cur].parent;
			if (nxt < 0)
				return -ENOENT; /* never generated: ".." from a removed dir */
		} else {
			nxt = m_lookup(z, cur, path, len);
		}
		if (!*next) {
			if (is_lnk(z, nxt) && follow)
				return m_follow(z, cur, nxt, 1, hops, r);
			*r = (struct mres){cur, len == 1 ? path[0] : 0, nxt};
			return 0;
		}
		if (nxt < 0)
			return -ENOENT;
		if (is_lnk(z, nxt)) {
			struct mres s;

			err = m_follow(z, cur, nxt, 1, hops, &s);
			if (err == -RD_EESCAPE && *next) {
				size_t l = strlen(z->esc);

				snprintf(z->esc + l, sizeof z->esc - l, "%s%s", l ? "/" : "", next);
			}
			if (err)
				return err;
			if (s.node < 0)
				return -ENOENT;
			nxt = s.node;
		}
		cur = nxt;
		path = next;
	}
}

/* ======================================================================
 * Expected results
 * ====================================================================== */

static const int fz_errno[] = {ENOENT, ENOTDIR, EISDIR, EEXIST, ENOTEMPTY, EINVAL,
			       ELOOP,  EBADF,   EPERM,  ENXIO,  ENOSPC,    RD_EESCAPE};
static const char *const fz_errstr[] = {"ENOENT", "ENOTDIR", "EISDIR", "EEXIST",
					"ENOTEMPTY", "EINVAL", "ELOOP", "EBADF",
					"EPERM", "ENXIO", "ENOSPC", "RD_EESCAPE"};
#define FZ_NERR (int)(sizeof fz_errno / sizeof fz_errno[0])

static unsigned fz_bit(int e)
{
	for (int i = 0; i < FZ_NERR; i++)
		if (fz_errno[i] == e)
			return 1u << i;
	return 1u << 31; /* an error the model never expects */
}

static const char *fz_rcstr(long rc, char *buf, size_t len)
{
	if (rc >= 0) {
		snprintf(buf, len, "%ld", rc);
		return buf;
	}
	for (int i = 0; i < FZ_NERR; i++)
		if (fz_errno[i] == -rc)
			return fz_errstr[i];
	snprintf(buf, len, "errno %ld", -rc);
	return buf;
}

static const char *fz_setstr(unsigned set, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < FZ_NERR; i++)
		if (set >> i & 1)
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "|" : "",
					      fz_errstr[i]);
	return buf;
}

/* errs != 0: the core must fail with one of them. Otherwise it must succeed,
 * or fail with ENOSPC where enospc allows (the model then stays as it is). */
struct exp {
	unsigned errs;
	int enospc;
};

static void fz_trace(struct fz *z, long rc)
{
	char b[32];

	if (z->trace)
		fprintf(stderr, "  #%-4d %-48s -> %s\n", z->opno, z->desc, fz_rcstr(rc, b, sizeof b));
}

/* Copies s without repeated or trailing slashes: "a//b/" and "a/b" name the
 * same place, and the model and the core join pieces differently. */
static void fz_norm(const char *s, char *out, size_t len)
{
	size_t n = 0;

	for (; *s && n + 1 < len; s++)
		if (*s != '/' || n == 0 || out[n - 1] != '/')
			out[n++] = *s;
	if (n > 1 && out[n - 1] == '/')
		n--;
	out[n] = 0;
}

static void fz_cmp_escape(struct fz *z)
{
	const char *got = rd_escape_path();
	char a[160], b[160];

	fz_norm(got ? got : "(null)", a, sizeof a);
	fz_norm(z->esc, b, sizeof b);
	fz_stats.escapes++;
	if (strcmp(a, b) || (int)rd_escape_kind() != z->esc_kind || rd_escape_hops() != z->esc_hops)
		fz_fail(z, "escape path \"%s\" kind %d hops %d, model \"%s\" kind %d hops %d",
			got ? got : "(null)", (int)rd_escape_kind(), rd_escape_hops(), z->esc,
			z->esc_kind, z->esc_hops);
}

/* An ENOSPC must have a reason: the node limit reached, or too little quota
 * left for the data asked plus a few pages of metadata (slab, radix nodes). */
static void fz_check_enospc(struct fz *z)
{
	const uint64_t slack = 8 * FZ_PAGE;
	struct rd_stats st;

	if (rd_tree_stats(z->t, &st) != 0)
		return fz_fail(z, "rd_tree_stats failed");
	if (z->max_nodes && st.nodes >= z->max_nodes)
		return;
	if (st.quota - st.bytes_used >= z->need + slack)
		fz_fail(z, "ENOSPC with %llu of %llu bytes free and %llu/%llu nodes",
			(unsigned long long)(st.quota - st.bytes_used),
			(unsigned long long)st.quota, (unsigned long long)st.nodes,
			(unsigned long long)z->max_nodes);
}

/* 1: both succeeded, apply the operation to the model; 0: nothing to apply. */
static int fz_expect(struct fz *z, long rc, const struct exp *x, int op)
{
	char b1[32], b2[160];

	fz_trace(z, rc);
	if (x->errs) {
		if (rc < 0 && (x->errs & fz_bit((int)-rc))) {
			fz_stats.err++;
			if (rc == -RD_EESCAPE && x->errs == fz_bit(RD_EESCAPE) && z->esc_valid)
				fz_cmp_escape(z);
			return 0;
		}
		fz_fail(z, "core returned %s, model expects %s", fz_rcstr(rc, b1, sizeof b1),
			fz_setstr(x->errs, b2, sizeof b2));
		return 0;
	}
	if (rc == -ENOSPC && x->enospc) {
		fz_stats.enospc++;
		z->dirty = 1;
		fz_check_enospc(z);
		return 0;
	}
	if (rc < 0) {
		fz_fail(z, "core returned %s, model expects success", fz_rcstr(rc, b1, sizeof b1));
		return 0;
	}
	fz_stats.ok++;
	fz_stats.ok_by[op]++;
	return 1;
}

/* ======================================================================
 * Comparing core results with the model
 * ====================================================================== */

static void fz_cmp_ino(struct fz *z, int i, uint64_t ino, const char *what)
{
	if (z->n[i].ino == ino)
		return;
	if (z->n[i].ino) {
		fz_fail(z, "%s: inode number %llu, before %llu", what, (unsigned long long)ino,
			(unsigned long long)z->n[i].ino);
		return;
	}
	for (int j = 0; j < FZ_MAXN; j++) {
		if (j != i && z->n[j].type != T_FREE && z->n[j].ino == ino) {
			fz_fail(z, "%s: inode number %llu shared with another live node", what,
				(unsigned long long)ino);
			return;
		}
	}
	z->n[i].ino = ino;
}

static void fz_cmp_stat(struct fz *z, int i, const struct stat *st, const char *what)
{
	static const mode_t fmt[] = {0, S_IFREG, S_IFDIR, S_IFLNK};
	const struct mnode *m = &z->n[i];

	if ((st->st_mode & S_IFMT) != fmt[m->type])
		fz_fail(z, "%s: mode %o, model type %o", what, st->st_mode, fmt[m->type]);
	else if ((st->st_mode & 07777) != m->perm)
		fz_fail(z, "%s: permissions %o, model %o", what, st->st_mode & 07777, m->perm);
	else if ((long)st->st_nlink != m_nlink(z, i))
		fz_fail(z, "%s: nlink %ld, model %ld", what, (long)st->st_nlink, m_nlink(z, i));
	else if ((long)st->st_size != m_size(z, i))
		fz_fail(z, "%s: size %ld, model %ld", what, (long)st->st_size, m_size(z, i));
	else
		fz_cmp_ino(z, i, st->st_ino, what);
}

static void fz_cmp_bytes(struct fz *z, int i, size_t off, const unsigned char *got, size_t n,
			 const char *what)
{
	const struct mnode *m = &z->n[i];

	for (size_t k = 0; k < n; k++) {
		unsigned char want = off + k < m->size ? m->data[off + k] : 0;

		if (got[k] != want) {
			fz_fail(z, "%s: byte at %zu is 0x%02x, model 0x%02x (size %zu)", what, off + k,
				got[k], want, m->size);
			return;
		}
	}
}

/* The whole content through fh (opened for reading). */
static void fz_cmp_content(struct fz *z, int i, rd_fh fh, const char *what)
{
	size_t size = z->n[i].size;
	ssize_t n = rd_pread(z->t, fh, fz_rbuf, size + 1, 0);

	if (n != (ssize_t)size) {
		fz_fail(z, "%s: pread of whole file gave %zd, model size %zu", what, n, size);
		return;
	}
	fz_cmp_bytes(z, i, 0, fz_rbuf, size, what);
}

/* The bytes of the model file in [a, b) are all zero and no page written
 * since the last truncate intersects it (what SEEK_DATA may skip). */
static int m_skippable(const struct mnode *m, size_t a, size_t b)
{
	for (size_t k = a; k < b && k < m->size; k++)
		if (m->data[k])
			return 0;
	for (size_t pg = a / FZ_PAGE; a < b && pg <= (b - 1) / FZ_PAGE && pg < FZ_NPAGES; pg++)
		if (def_get(m, pg))
			return 0;
	return 1;
}

struct fz_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* getdents on the directory at path lists exactly the model's entries. */
static void fz_cmp_listing(struct fz *z, int dir, const char *path)
{
	static const unsigned char dtype[] = {0, 8 /* DT_REG */, 4 /* DT_DIR */, 10 /* DT_LNK */};
	_Alignas(8) unsigned char buf[1024];
	int seen[FZ_MAXE] = {0}, dots = 0, names = 0;
	rd_fh fh;
	int rc = rd_open(z->t, RD_ROOT, path, O_RDONLY | O_DIRECTORY, 0, &fh);
	ssize_t n;

	if (rc == -ENOSPC)
		return;
	if (rc < 0) {
		fz_fail(z, "check: open dir %s: %d", path, rc);
		return;
	}
	while ((n = rd_getdents(z->t, fh, buf, sizeof buf)) > 0) {
		for (ssize_t off = 0; off < n;) {
			const struct fz_dirent64 *d = (const void *)(buf + off);
			int ei;

			off += d->d_reclen;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..")) {
				dots++;
				continue;
			}
			ei = strlen(d->d_name) == 1 ? m_entry(z, dir, d->d_name[0]) : -1;
			if (ei < 0 || seen[ei]++) {
				fz_fail(z, "check: %s lists %s'%s', model does not", path,
					ei >= 0 ? "duplicate " : "", d->d_name);
				break;
			}
			names++;
			if (d->d_type != dtype[z->n[z->e[ei].node].type])
				fz_fail(z, "check: %s/%s has d_type %d", path, d->d_name, d->d_type);
			else if (z->n[z->e[ei].node].ino && d->d_ino != z->n[z->e[ei].node].ino)
				fz_fail(z, "check: %s/%s has d_ino %llu, stat said %llu", path,
					d->d_name, (unsigned long long)d->d_ino,
					(unsigned long long)z->n[z->e[ei].node].ino);
		}
	}
	if (n < 0)
		fz_fail(z, "check: getdents %s: %zd", path, n);
	else if (dots != 2 || names != m_count_entries(z, dir, 0))
		fz_fail(z, "check: %s lists %d names and %d dots, model has %d names", path, names,
			dots, m_count_entries(z, dir, 0));
	rd_close(z->t, fh);
}

/* Walks the model tree and compares every reachable node with the core. */
static void fz_cmp_tree(struct fz *z, int dir, char *path, size_t plen, int depth)
{
	struct stat st;
	char what[300];

	fz_cmp_listing(z, dir, plen ? path : "/");
	for (int i = 0; i < FZ_MAXE && !z->failed; i++) {
		int node = z->e[i].node, rc;

		if (z->e[i].dir != dir || plen + 3 >= 256 || depth > FZ_MAXN)
			continue;
		path[plen] = '/';
		path[plen + 1] = z->e[i].name;
		path[plen + 2] = 0;
		snprintf(what, sizeof what, "check %s", path);
		rc = rd_stat(z->t, RD_ROOT, path, &st, AT_SYMLINK_NOFOLLOW);
		if (rc < 0) {
			fz_fail(z, "%s: lstat returned %d", what, rc);
			break;
		}
		fz_cmp_stat(z, node, &st, what);
		if (is_lnk(z, node)) {
			char t[64];
			ssize_t n = rd_readlink(z->t, RD_ROOT, path, t, sizeof t);

			if (n != (ssize_t)strlen(z->n[node].target) ||
			    memcmp(t, z->n[node].target, (size_t)n))
				fz_fail(z, "%s: readlink gave %zd", what, n);
		} else if (is_reg(z, node)) {
			rd_fh fh;

			rc = rd_open(z->t, RD_ROOT, path, O_RDONLY, 0, &fh);
			if (rc == 0) {
				fz_cmp_content(z, node, fh, what);
				rd_close(z->t, fh);
			} else if (rc != -ENOSPC) {
				fz_fail(z, "%s: open for reading returned %d", what, rc);
			}
		} else if (is_dir(z, node)) {
			fz_cmp_tree(z, node, path, plen + 2, depth + 1);
		}
		path[plen] = 0;
	}
}

/* Counters the core keeps must agree with the model after every operation. */
static void fz_cmp_counts(struct fz *z)
{
	struct rd_stats st;
	int ofds = 0;

	for (int i = 0; i < FZ_OFDS; i++)
		ofds += z->o[i].refs > 0;
	if (rd_tree_stats(z->t, &st) != 0)
		fz_fail(z, "rd_tree_stats failed");
	else if (st.nodes != (uint64_t)m_live_nodes(z))
		fz_fail(z, "core counts %llu live nodes, model %d", (unsigned long long)st.nodes,
			m_live_nodes(z));
	else if (st.open_files != (uint64_t)ofds)
		fz_fail(z, "core counts %llu open files, model %d",
			(unsigned long long)st.open_files, ofds);
	else if (st.bytes_used > st.quota)
		fz_fail(z, "bytes_used %llu exceeds quota %llu", (unsigned long long)st.bytes_used,
			(unsigned long long)st.quota);
}

static void fz_cmp_all(struct fz *z)
{
	char msg[512] = "", path[256] = "";
	struct stat st;
	int rc = rd_tree_check(z->t, msg, sizeof msg);

	fz_stats.checks++;
	z->dirty = 0;
	if (rc != 0) {
		fz_fail(z, "rd_tree_check: %d %s", rc, msg);
		return;
	}
	rc = rd_stat(z->t, RD_ROOT, "/", &st, 0);
	if (rc != 0)
		fz_fail(z, "check: stat / returned %d", rc);
	else
		fz_cmp_stat(z, 0, &st, "check /");
	fz_cmp_tree(z, 0, path, 0, 0);
	for (int s = 0; s < FZ_SLOTS && !z->failed; s++) {
		struct mofd *o = z->slot[s] >= 0 ? &z->o[z->slot[s]] : NULL;
		char what[32];

		if (!o)
			continue;
		snprintf(what, sizeof what, "check fstat slot %d", s);
		rc = rd_fstat(z->t, o->fh, &st);
		if (rc != 0) {
			fz_fail(z, "%s returned %d", what, rc);
			break;
		}
		fz_cmp_stat(z, o->node, &st, what);
		if (is_reg(z, o->node) && o->acc != O_WRONLY)
			fz_cmp_content(z, o->node, o->fh, what);
	}
	fz_cmp_counts(z);
}

/* ======================================================================
 * Operations
 * ====================================================================== */

static const char *const fz_rel[12] = {"a",   "b",   "c",   "a/a", "a/b", "a/c",
				       "b/a", "b/b", "b/c", "c/a", "c/b", "c/c"};
static const char *const fz_targets[16] = {"a",   "b",    "c",  "x",       "a/b", "b/c",
					   "../a", "..",  ".",  "../../a", "/a",  "c/x",
					   "./b", "a/..", "a/b/c", "../b/a"};
static const size_t fz_lens[16] = {0,    1,    2,    7,    100,  511,  512,  1000,
				   2015, 2016, 2017, 4095, 4096, 4097, 8193, 12000};

/* A path operand: byte p picks one of 12 paths (low nibble) and the base
 * (high nibble): 0-5 absolute, 6-7 relative to RD_ROOT, 8-15 relative to the
 * handle in slot 0-7 (RD_ROOT if the slot is empty). */
struct fzpath {
	char s[8];
	rd_fh base;
	int start;
	char show[16];
};

static void fz_path(struct fz *z, uint8_t p, struct fzpath *fp)
{
	const char *rel = fz_rel[(p & 15) % 12];
	int mode = p >> 4;

	fp->base = RD_ROOT;
	fp->start = 0;
	if (mode < 6) {
		snprintf(fp->s, sizeof fp->s, "/%s", rel);
		snprintf(fp->show, sizeof fp->show, "%s", fp->s);
		return;
	}
	snprintf(fp->s, sizeof fp->s, "%s", rel);
	snprintf(fp->show, sizeof fp->show, "%s", rel);
	if (mode >= 8 && z->slot[mode - 8] >= 0) {
		const struct mofd *o = &z->o[z->slot[mode - 8]];

		fp->base = o->fh;
		fp->start = o->node;
		snprintf(fp->show, sizeof fp->show, "[s%d]%s", mode - 8, rel);
	}
}

static int fz_walk(struct fz *z, const struct fzpath *p, int follow, struct mres *r)
{
	int hops = 0, err = m_walk(z, p->start, p->s, follow, &hops, r);

	z->esc_valid = err == -RD_EESCAPE;
	return err;
}

/* The occupied slot at or after d (mod 8), -1 if none. */
static int fz_pick_slot(struct fz *z, uint8_t d)
{
	for (int k = 0; k < FZ_SLOTS; k++)
		if (z->slot[(d + k) % FZ_SLOTS] >= 0)
			return (d + k) % FZ_SLOTS;
	return -1;
}

static int fz_free_slot(struct fz *z)
{
	for (int s = 0; s < FZ_SLOTS; s++)
		if (z->slot[s] < 0)
			return s;
	return -1;
}

static int removed_dir(struct fz *z, int d) { return z->n[d].removed; }

static void fz_skip(struct fz *z, const char *why)
{
	if (z->trace)
		fprintf(stderr, "  #%-4d %s: skipped (%s)\n", z->opno, z->desc, why);
}

static void op_open(struct fz *z, uint8_t a, uint8_t c, uint8_t d)
{
	static const int accs[4] = {O_RDONLY, O_WRONLY, O_RDWR, O_RDWR};
	int acc = accs[c & 3], flags = acc, s = fz_free_slot(z), err, node, created = 0, ofd = 0;
	mode_t mode = (d & 1) ? 0600 : 0666;
	struct fzpath p;
	struct exp x = {0, 0};
	struct mres r;
	rd_fh fh = 0;
	long rc;

	flags |= (c & 4 ? O_CREAT : 0) | (c & 8 ? O_EXCL : 0) | (c & 16 ? O_TRUNC : 0) |
		 (c & 32 ? O_APPEND : 0) | (c & 128 ? O_NOFOLLOW : 0);
	/* O_DIRECTORY|O_CREAT changed meaning across kernels: not generated. */
	if ((c & 64) && !(flags & O_CREAT))
		flags |= O_DIRECTORY;
	fz_path(z, a, &p);
	snprintf(z->desc, sizeof z->desc, "open(%s, %s%s%s%s%s%s%s, 0%o) -> s%d", p.show,
		 acc == O_RDONLY ? "RD" : acc == O_WRONLY ? "WR" : "RDWR",
		 flags & O_CREAT ? "|CREAT" : "", flags & O_EXCL ? "|EXCL" : "",
		 flags & O_TRUNC ? "|TRUNC" : "", flags & O_APPEND ? "|APPEND" : "",
		 flags & O_DIRECTORY ? "|DIRECTORY" : "", flags & O_NOFOLLOW ? "|NOFOLLOW" : "",
		 mode, s);
	if (s < 0)
		return fz_skip(z, "no free slot");

	int follow = !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL));
	err = fz_walk(z, &p, follow, &r);
	node = err ? -1 : r.node;
	if (err) {
		x.errs = fz_bit(-err);
	} else if (node < 0) {
		if (!(flags & O_CREAT) || removed_dir(z, r.dir))
			x.errs = fz_bit(ENOENT);
		else
			created = 1;
	} else if ((flags & O_CREAT) && (flags & O_EXCL)) {
		x.errs = fz_bit(EEXIST);
	} else if (is_lnk(z, node)) {
		/* O_NOFOLLOW on a final symlink; with O_DIRECTORY Linux says ENOTDIR. */
		x.errs = fz_bit(ELOOP) | (flags & O_DIRECTORY ? fz_bit(ENOTDIR) : 0);
	} else if (is_dir(z, node)) {
		if ((flags & O_CREAT) || acc != O_RDONLY || (flags & O_TRUNC))
			x.errs = fz_bit(EISDIR);
	} else if (flags & O_DIRECTORY) {
		x.errs = fz_bit(ENOTDIR);
	}
	x.enospc = 1; /* the open file object itself lives in the arena */
	rc = rd_open(z->t, p.base, p.s, flags, mode, &fh);
	if (!fz_expect(z, rc, &x, OP_OPEN))
		return;
	if (rc != 0 || fh == 0)
		return fz_fail(z, "rd_open returned %ld with handle %llu", rc,
			       (unsigned long long)fh);
	if (created) {
		node = m_new_node(z, T_REG, mode & ~FZ_UMASK);
		if (node < 0)
			return;
		z->n[node].links = 1;
		m_add_entry(z, r.dir, r.name, node);
	} else if ((flags & O_TRUNC) && is_reg(z, node)) {
		m_truncate(&z->n[node], 0);
	}
	while (z->o[ofd].refs)
		ofd++;
	z->o[ofd] = (struct mofd){1, node, acc, !!(flags & O_APPEND), 0, fh};
	z->bref[ofd] = 0;
	z->n[node].opens++;
	z->slot[s] = ofd;
}

static void op_close(struct fz *z, uint8_t d)
{
	int s = fz_pick_slot(z, d);
	struct exp x = {0, 0};
	struct mofd *o;

	snprintf(z->desc, sizeof z->desc, "close(s%d)", s);
	if (s < 0)
		return fz_skip(z, "no open slot");
	o = &z->o[z->slot[s]];
	if (!fz_expect(z, rd_close(z->t, o->fh), &x, OP_CLOSE))
		return;
	z->slot[s] = -1;
	if (--o->refs == 0) {
		z->n[o->node].opens--;
		m_unref(z, o->node);
	}
}

static void op_dup(struct fz *z, uint8_t d)
{
	int s = fz_pick_slot(z, d), ns = fz_free_slot(z);
	struct exp x = {0, 0};

	snprintf(z->desc, sizeof z->desc, "dup(s%d) -> s%d", s, ns);
	if (s < 0 || ns < 0)
		return fz_skip(z, "no slot");
	if (!fz_expect(z, rd_fh_ref(z->t, z->o[z->slot[s]].fh), &x, OP_DUP))
		return;
	z->o[z->slot[s]].refs++;
	z->slot[ns] = z->slot[s];
}

/* rd_map: a shared-mapping handle on the slot's file, modelled as a new
 * open file description (same access mode, position 0) that keeps the node
 * alive. Its pages stay pinned while it lives, which the model cannot see:
 * it checks that nothing observable changes (sizes, contents) and the
 * periodic rd_tree_check checks the accounting of pinned pages. */
static void op_map(struct fz *z, uint8_t c, uint8_t d, uint8_t e)
{
	int s = fz_pick_slot(z, d), ns = fz_free_slot(z), wr = c & 1, ofd = 0, node;
	uint64_t off = (uint64_t)((c >> 1) % 40) * FZ_PAGE, pages[8];
	size_t npages = 1 + e % 8;
	struct exp x = {0, 0};
	struct mofd *o;
	rd_fh map = 0;

	snprintf(z->desc, sizeof z->desc, "map(s%d, page %llu, %zu pages, %s) -> s%d", s,
		 (unsigned long long)(off / FZ_PAGE), npages, wr ? "rw" : "r", ns);
	if (s < 0 || ns < 0)
		return fz_skip(z, "no slot");
	o = &z->o[z->slot[s]];
	node = o->node;
	if (!is_reg(z, node))
		x.errs = fz_bit(ENODEV);
	else if (o->acc == O_WRONLY || (wr && o->acc != O_RDWR))
		x.errs = fz_bit(EACCES);
	x.enospc = 1;
	z->need = npages * FZ_PAGE;
	if (!fz_expect(z, rd_map(z->t, o->fh, (off_t)off, npages, wr, pages, &map), &x, OP_MAP))
		return;
	for (size_t i = 0; i < npages; i++)
		if (!pages[i] || pages[i] % FZ_PAGE)
			return fz_fail(z, "rd_map gave page offset %#llx", (unsigned long long)pages[i]);
	while (z->o[ofd].refs)
		ofd++;
	z->o[ofd] = (struct mofd){1, node, o->acc, 0, 0, map};
	z->bref[ofd] = 0;
	z->n[node].opens++;
	z->slot[ns] = ofd;
}

static void fz_fill(struct fz *z, uint8_t c, size_t len)
{
	for (size_t i = 0; i < len; i++)
		z->wbuf[i] = (unsigned char)(c * 37u + i * 13u + (i >> 9));
}

/* write (off < 0: at the file position) and pwrite. */
static void op_write(struct fz *z, int op, long off, uint8_t c, uint8_t d, uint8_t e)
{
	int s = fz_pick_slot(z, d);
	size_t len = fz_lens[e % 16];
	struct exp x = {0, 0};
	struct mofd *o;
	size_t at;
	ssize_t n;

	if (off < 0)
		snprintf(z->desc, sizeof z->desc, "write(s%d, %zu bytes, fill %u)", s, len, c);
	else
		snprintf(z->desc, sizeof z->desc, "pwrite(s%d, %zu bytes at %ld, fill %u)", s,
			 len, off, c);
	if (s < 0)
		return fz_skip(z, "no open slot");
	o = &z->o[z->slot[s]];
	/* Linux: O_APPEND writes at the end even through pwrite. */
	at = o->append ? z->n[o->node].size : off < 0 ? o->pos : (size_t)off;
	if (o->acc == O_RDONLY)
		x.errs = fz_bit(EBADF);
	else if (at + len > FZ_MAXFILE)
		return fz_skip(z, "file would outgrow the model");
	x.enospc = len > 0;
	z->need = len + FZ_PAGE;
	fz_fill(z, c, len);
	if (off < 0)
		n = rd_write(z->t, o->fh, z->wbuf, len);
	else
		n = rd_pwrite(z->t, o->fh, z->wbuf, len, off);
	if (!fz_expect(z, n, &x, op))
		return;
	if ((size_t)n > len || (n == 0 && len > 0))
		return fz_fail(z, "core wrote %zd of %zu bytes", n, len);
	if ((size_t)n < len)
		fz_stats.short_writes++;
	/* A zero-length write changes nothing, not even an O_APPEND position. */
	if (!n)
		return;
	m_write(&z->n[o->node], at, z->wbuf, (size_t)n);
	if (off < 0)
		o->pos = at + (size_t)n;
}

static void op_read(struct fz *z, int op, long off, uint8_t d, uint8_t e)
{
	int s = fz_pick_slot(z, d);
	size_t len = fz_lens[e % 16], at, want = 0;
	struct exp x = {0, 0};
	struct mofd *o;
	ssize_t n;

	if (off < 0)
		snprintf(z->desc, sizeof z->desc, "read(s%d, %zu)", s, len);
	else
		snprintf(z->desc, sizeof z->desc, "pread(s%d, %zu at %ld)", s, len, off);
	if (s < 0)
		return fz_skip(z, "no open slot");
	o = &z->o[z->slot[s]];
	at = off < 0 ? o->pos : (size_t)off;
	if (o->acc == O_WRONLY)
		x.errs = fz_bit(EBADF);
	else if (is_dir(z, o->node))
		x.errs = fz_bit(EISDIR);
	else if (at < z->n[o->node].size)
		want = z->n[o->node].size - at < len ? z->n[o->node].size - at : len;
	if (off < 0)
		n = rd_read(z->t, o->fh, fz_rbuf, len);
	else
		n = rd_pread(z->t, o->fh, fz_rbuf, len, off);
	if (!fz_expect(z, n, &x, op))
		return;
	if ((size_t)n != want)
		return fz_fail(z, "core read %zd bytes, model %zu", n, want);
	fz_cmp_bytes(z, o->node, at, fz_rbuf, want, "read data");
	if (off < 0)
		o->pos = at + want;
}

static void op_truncate(struct fz *z, uint8_t a, long len)
{
	struct fzpath p;
	struct exp x = {0, 0};
	struct mres r;
	int err;

	fz_path(z, a, &p);
	snprintf(z->desc, sizeof z->desc, "truncate(%s, %ld)", p.show, len);
	err = fz_walk(z, &p, 1, &r);
	if (len < 0)
		x.errs |= fz_bit(EINVAL);
	if (err)
		x.errs |= fz_bit(-err);
	else if (r.node < 0)
		x.errs |= fz_bit(ENOENT);
	else if (is_dir(z, r.node))
		x.errs |= fz_bit(EISDIR);
	else
		x.enospc = len >= 0 && (size_t)len > z->n[r.node].size;
	if (!fz_expect(z, rd_truncate(z->t, p.base, p.s, len), &x, OP_TRUNCATE))
		return;
	m_truncate(&z->n[r.node], (size_t)len);
}

static void op_ftruncate(struct fz *z, uint8_t d, long len)
{
	int s = fz_pick_slot(z, d);
	struct exp x = {0, 0};
	struct mofd *o;

	snprintf(z->desc, sizeof z->desc, "ftruncate(s%d, %ld)", s, len);
	if (s < 0)
		return fz_skip(z, "no open slot");
	o = &z->o[z->slot[s]];
	if (len < 0)
		x.errs |= fz_bit(EINVAL);
	/* Not open for writing, or a directory: Linux EINVAL, POSIX allows EBADF. */
	if (o->acc == O_RDONLY || !is_reg(z, o->node))
		x.errs |= fz_bit(EINVAL) | fz_bit(EBADF);
	if (!x.errs)
		x.enospc = (size_t)len > z->n[o->node].size;
	if (!fz_expect(z, rd_ftruncate(z->t, o->fh, len), &x, OP_FTRUNCATE))
		return;
	m_truncate(&z->n[o->node], (size_t)len);
}

/* mkdir and symlink: create a name that must not exist. */
static void op_create(struct fz *z, int op, uint8_t a, uint8_t c)
{
	const char *target = fz_targets[c % 16];
	struct fzpath p;
	struct exp x = {0, 1};
	struct mres r;
	int err, node;
	long rc;

	fz_path(z, a, &p);
	if (op == OP_MKDIR)
		snprintf(z->desc, sizeof z->desc, "mkdir(%s)", p.show);
	else
		snprintf(z->desc, sizeof z->desc, "symlink(\"%s\", %s)", target, p.show);
	err = fz_walk(z, &p, 0, &r);
	if (err)
		x.errs = fz_bit(-err);
	else if (r.node >= 0)
		x.errs = fz_bit(EEXIST);
	else if (removed_dir(z, r.dir))
		x.errs = fz_bit(ENOENT);
	if (op == OP_MKDIR)
		rc = rd_mkdir(z->t, p.base, p.s, 0755);
	else
		rc = rd_symlink(z->t, target, p.base, p.s);
	if (!fz_expect(z, rc, &x, op))
		return;
	node = m_new_node(z, op == OP_MKDIR ? T_DIR : T_LNK, op == OP_MKDIR ? 0755 : 0777);
	if (node < 0)
		return;
	if (op == OP_MKDIR) {
		z->n[node].parent = r.dir;
	} else {
		snprintf(z->n[node].target, sizeof z->n[node].target, "%s", target);
		z->n[node].links = 1;
	}
	m_add_entry(z, r.dir, r.name, node);
}

/* unlink and rmdir. */
static void op_remove(struct fz *z, int op, uint8_t a)
{
	struct fzpath p;
	struct exp x = {0, 0};
	struct mres r;
	int err;

	fz_path(z, a, &p);
	snprintf(z->desc, sizeof z->desc, "%s(%s)", op == OP_RMDIR ? "rmdir" : "unlink", p.show);
	err = fz_walk(z, &p, 0, &r);
	if (err)
		x.errs = fz_bit(-err);
	else if (r.node < 0)
		x.errs = fz_bit(ENOENT);
	else if (op == OP_UNLINK && is_dir(z, r.node))
		x.errs = fz_bit(EISDIR);
	else if (op == OP_RMDIR && !is_dir(z, r.node))
		x.errs = fz_bit(ENOTDIR);
	else if (op == OP_RMDIR && m_count_entries(z, r.node, 0))
		x.errs = fz_bit(ENOTEMPTY);
	if (!fz_expect(z, rd_unlink(z->t, p.base, p.s, op == OP_RMDIR ? AT_REMOVEDIR : 0), &x, op))
		return;
	z->e[m_entry(z, r.dir, r.name)].dir = -1;
	m_drop(z, r.node);
}

/* rename: every error that applies is accepted, since Linux's order among
 * them (trap checks before type checks, etc.) is not worth copying. */
static void op_rename(struct fz *z, uint8_t a, uint8_t b, uint8_t c)
{
	static const unsigned fl[4] = {0, RENAME_NOREPLACE, RENAME_EXCHANGE,
				       RENAME_NOREPLACE | RENAME_EXCHANGE};
	unsigned flags = fl[c & 3];
	struct fzpath op, np;
	struct exp x = {0, 1};
	struct mres ro, rn;
	int eo, en, o, nn, io, in;

	fz_path(z, a, &op);
	fz_path(z, b, &np);
	snprintf(z->desc, sizeof z->desc, "rename(%s, %s%s%s)", op.show, np.show,
		 flags & RENAME_NOREPLACE ? ", NOREPLACE" : "",
		 flags & RENAME_EXCHANGE ? ", EXCHANGE" : "");
	eo = fz_walk(z, &op, 0, &ro);
	en = fz_walk(z, &np, 0, &rn);
	z->esc_valid = 0; /* which of two escapes the core reports is its choice */
	if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE)) {
		x.errs = fz_bit(EINVAL);
	} else {
		if (eo)
			x.errs |= fz_bit(-eo);
		else if (ro.node < 0)
			x.errs |= fz_bit(ENOENT);
		if (en)
			x.errs |= fz_bit(-en);
		if (!eo && !en && ro.node >= 0) {
			o = ro.node;
			nn = rn.node;
			if ((flags & RENAME_NOREPLACE) && nn >= 0)
				x.errs |= fz_bit(EEXIST);
			if ((flags & RENAME_EXCHANGE) && nn < 0)
				x.errs |= fz_bit(ENOENT);
			if (nn < 0 && removed_dir(z, rn.dir))
				x.errs |= fz_bit(ENOENT);
			/* A directory into itself; a target that contains the source. */
			if (is_dir(z, o) && m_is_anc(z, o, rn.dir))
				x.errs |= fz_bit(EINVAL);
			if (is_dir(z, nn) && m_is_anc(z, nn, ro.dir))
				x.errs |= fz_bit(flags & RENAME_EXCHANGE ? EINVAL : ENOTEMPTY);
			if (nn >= 0 && o != nn && !(flags & RENAME_EXCHANGE)) {
				if (is_dir(z, o) && !is_dir(z, nn))
					x.errs |= fz_bit(ENOTDIR);
				if (!is_dir(z, o) && is_dir(z, nn))
					x.errs |= fz_bit(EISDIR);
				if (is_dir(z, nn) && m_count_entries(z, nn, 0))
					x.errs |= fz_bit(ENOTEMPTY);
			}
		}
	}
	if (!fz_expect(z, rd_rename(z->t, op.base, op.s, np.base, np.s, flags), &x, OP_RENAME))
		return;
	o = ro.node;
	nn = rn.node;
	if (o == nn) /* two names of one inode: Linux does nothing */
		return;
	io = m_entry(z, ro.dir, ro.name);
	in = nn >= 0 ? m_entry(z, rn.dir, rn.name) : -1;
	if (io < 0 || (in < 0 && nn >= 0) || (in < 0 && (flags & RENAME_EXCHANGE)))
		return fz_fail(z, "model lost a directory entry");
	if (flags & RENAME_EXCHANGE) {
		z->e[io].node = nn;
		z->e[in].node = o;
		if (is_dir(z, o))
			z->n[o].parent = rn.dir;
		if (is_dir(z, nn))
			z->n[nn].parent = ro.dir;
		return;
	}
	if (in >= 0) {
		z->e[in].dir = -1;
		m_drop(z, nn);
	}
	z->e[io].dir = rn.dir;
	z->e[io].name = rn.name;
	if (is_dir(z, o))
		z->n[o].parent = rn.dir;
}

static void op_link(struct fz *z, uint8_t a, uint8_t b, uint8_t c)
{
	int flags = (c & 1) ? AT_SYMLINK_FOLLOW : 0, eo, en;
	struct fzpath op, np;
	struct exp x = {0, 1};
	struct mres ro, rn;

	fz_path(z, a, &op);
	fz_path(z, b, &np);
	snprintf(z->desc, sizeof z->desc, "link(%s, %s%s)", op.show, np.show,
		 flags ? ", FOLLOW" : "");
	eo = fz_walk(z, &op, flags != 0, &ro);
	en = fz_walk(z, &np, 0, &rn);
	z->esc_valid = 0;
	if (eo)
		x.errs |= fz_bit(-eo);
	else if (ro.node < 0)
		x.errs |= fz_bit(ENOENT);
	else if (is_dir(z, ro.node))
		x.errs |= fz_bit(EPERM);
	if (en)
		x.errs |= fz_bit(-en);
	else if (rn.node >= 0)
		x.errs |= fz_bit(EEXIST);
	else if (removed_dir(z, rn.dir))
		x.errs |= fz_bit(ENOENT);
	if (!fz_expect(z, rd_link(z->t, op.base, op.s, np.base, np.s, flags), &x, OP_LINK))
		return;
	z->n[ro.node].links++;
	m_add_entry(z, rn.dir, rn.name, ro.node);
}

static void op_readlink(struct fz *z, uint8_t a, uint8_t c)
{
	static const size_t sizes[4] = {1, 2, 4, 64};
	size_t size = sizes[c & 3], want = 0;
	struct fzpath p;
	struct exp x = {0, 0};
	struct mres r;
	char buf[64];
	ssize_t n;
	int err;

	fz_path(z, a, &p);
	snprintf(z->desc, sizeof z->desc, "readlink(%s, %zu)", p.show, size);
	err = fz_walk(z, &p, 0, &r);
	if (err)
		x.errs = fz_bit(-err);
	else if (r.node < 0)
		x.errs = fz_bit(ENOENT);
	else if (!is_lnk(z, r.node))
		x.errs = fz_bit(EINVAL);
	else
		want = strlen(z->n[r.node].target) < size ? strlen(z->n[r.node].target) : size;
	n = rd_readlink(z->t, p.base, p.s, buf, size);
	if (!fz_expect(z, n, &x, OP_READLINK))
		return;
	if ((size_t)n != want || memcmp(buf, z->n[r.node].target, want))
		fz_fail(z, "readlink gave \"%.*s\", model \"%.*s\"", (int)(n > 0 ? n : 0), buf,
			(int)want, z->n[r.node].target);
}

/* c&2: "" with AT_EMPTY_PATH (the base itself); c&4: "" without (ENOENT). */
static void op_stat(struct fz *z, uint8_t a, uint8_t c)
{
	int flags = (c & 1) ? AT_SYMLINK_NOFOLLOW : 0, err, node;
	struct fzpath p;
	struct exp x = {0, 0};
	struct mres r;
	struct stat st;

	fz_path(z, a, &p);
	if (c & 6) {
		/* keep the base, drop the path: "[s3]" or "" */
		char *end = strchr(p.show, ']');

		p.s[0] = 0;
		snprintf(end && p.show[0] == '[' ? end + 1 : p.show, 3, "\"\"");
		flags |= (c & 2) ? AT_EMPTY_PATH : 0;
	}
	snprintf(z->desc, sizeof z->desc, "stat(%s%s%s)", p.show,
		 flags & AT_SYMLINK_NOFOLLOW ? ", NOFOLLOW" : "",
		 flags & AT_EMPTY_PATH ? ", EMPTY_PATH" : "");
	if (c & 6) {
		err = 0;
		node = (flags & AT_EMPTY_PATH) ? p.start : -1;
	} else {
		err = fz_walk(z, &p, !(flags & AT_SYMLINK_NOFOLLOW), &r);
		node = err ? -1 : r.node;
	}
	if (err)
		x.errs = fz_bit(-err);
	else if (node < 0)
		x.errs = fz_bit(ENOENT);
	if (!fz_expect(z, rd_stat(z->t, p.base, p.s, &st, flags), &x, OP_STAT))
		return;
	fz_cmp_stat(z, node, &st, "stat");
}

static void op_fstat(struct fz *z, uint8_t d)
{
	int s = fz_pick_slot(z, d);
	struct exp x = {0, 0};
	struct stat st;

	snprintf(z->desc, sizeof z->desc, "fstat(s%d)", s);
	if (s < 0)
		return fz_skip(z, "no open slot");
	if (fz_expect(z, rd_fstat(z->t, z->o[z->slot[s]].fh, &st), &x, OP_FSTAT))
		fz_cmp_stat(z, z->o[z->slot[s]].node, &st, "fstat");
}

/* SEEK_DATA and SEEK_HOLE depend on the page layout (small files live inline
 * in the core), so only what every layout must satisfy is checked. */
static void fz_check_seek(struct fz *z, const struct mnode *m, long off, int whence, long rc)
{
	size_t size = m->size;

	if (whence == SEEK_DATA && rc == -ENXIO) {
		if (!m_skippable(m, (size_t)off, size))
			fz_fail(z, "SEEK_DATA said no data after %ld, model has data", off);
	} else if (rc < off || (size_t)rc > size || (whence == SEEK_DATA && (size_t)rc == size)) {
		fz_fail(z, "returned %ld, outside [%ld, %zu%s", rc, off, size,
			whence == SEEK_DATA ? ")" : "]");
	} else if (whence == SEEK_DATA && !m_skippable(m, (size_t)off, (size_t)rc)) {
		fz_fail(z, "SEEK_DATA to %ld skipped data", rc);
	} else if (whence == SEEK_HOLE && (size_t)rc < size) {
		if (rc != off && rc % FZ_PAGE)
			fz_fail(z, "SEEK_HOLE to %ld: not a page boundary", rc);
		else if (!m_skippable(m, (size_t)rc, (size_t)rc + 1))
			fz_fail(z, "SEEK_HOLE to %ld: model has data there", rc);
	}
}

static void op_lseek(struct fz *z, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	static const char *const wn[5] = {"SET", "CUR", "END", "DATA", "HOLE"};
	static const int wh[5] = {SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE};
	int s = fz_pick_slot(z, d), w = c % 5;
	long raw = (long)((unsigned)a << 8 | b), off = w == 1 || w == 2 ? raw % 16384 - 8192 : raw % 24576;
	struct exp x = {0, 0};
	struct mofd *o;
	long want = -1, rc;

	snprintf(z->desc, sizeof z->desc, "lseek(s%d, %ld, SEEK_%s)", s, off, wn[w]);
	if (s < 0)
		return fz_skip(z, "no open slot");
	o = &z->o[z->slot[s]];
	if (is_dir(z, o->node))
		return fz_skip(z, "directory positions are readdir cookies");
	if (w == 0)
		want = off;
	else if (w == 1)
		want = (long)o->pos + off;
	else if (w == 2)
		want = (long)z->n[o->node].size + off;
	else if ((size_t)off >= z->n[o->node].size)
		x.errs = fz_bit(ENXIO);
	if (w < 3 && want < 0)
		x.errs = fz_bit(EINVAL);
	rc = rd_lseek(z->t, o->fh, off, wh[w]);
	if (w == 3 && !x.errs && rc == -ENXIO) {
		fz_trace(z, rc);
		fz_check_seek(z, &z->n[o->node], off, SEEK_DATA, rc);
		return; /* the position stays */
	}
	if (!fz_expect(z, rc, &x, OP_LSEEK))
		return;
	if (w >= 3)
		fz_check_seek(z, &z->n[o->node], off, wh[w], rc);
	else if (rc != want)
		return fz_fail(z, "core moved to %ld, model %ld", rc, want);
	o->pos = (uint64_t)rc;
}

/* rd_reopen (open of /proc/self/fd/N): a new open file of the slot's node,
 * position 0, with the checks of an open by name. */
static void op_reopen(struct fz *z, uint8_t c, uint8_t d)
{
	static const int accs[4] = {O_RDONLY, O_WRONLY, O_RDWR, O_RDWR};
	int s = fz_pick_slot(z, d), ns = fz_free_slot(z), acc = accs[c & 3], flags = acc, node, ofd = 0;
	struct exp x = {0, 0};
	rd_fh fh = 0;
	long rc;

	flags |= (c & 16 ? O_TRUNC : 0) | (c & 32 ? O_APPEND : 0) | (c & 64 ? O_DIRECTORY : 0);
	snprintf(z->desc, sizeof z->desc, "reopen(s%d, %s%s%s%s) -> s%d", s,
		 acc == O_RDONLY ? "RD" : acc == O_WRONLY ? "WR" : "RDWR", flags & O_TRUNC ? "|TRUNC" : "",
		 flags & O_APPEND ? "|APPEND" : "", flags & O_DIRECTORY ? "|DIRECTORY" : "", ns);
	if (s < 0 || ns < 0)
		return fz_skip(z, "no slot");
	node = z->o[z->slot[s]].node;
	if (is_dir(z, node)) {
		if (acc != O_RDONLY || (flags & O_TRUNC))
			x.errs = fz_bit(EISDIR);
	} else if (flags & O_DIRECTORY) {
		x.errs = fz_bit(ENOTDIR);
	}
	x.enospc = 1;
	rc = rd_reopen(z->t, z->o[z->slot[s]].fh, flags, &fh);
	if (!fz_expect(z, rc, &x, OP_REOPEN))
		return;
	if ((flags & O_TRUNC) && is_reg(z, node))
		m_truncate(&z->n[node], 0);
	while (z->o[ofd].refs)
		ofd++;
	z->o[ofd] = (struct mofd){1, node, acc, !!(flags & O_APPEND), 0, fh};
	z->bref[ofd] = 0;
	z->n[node].opens++;
	z->slot[ns] = ofd;
}

/* The reference ledger with two processes: A (the handle's usual pid)
 * gives a reference of the slot's open file to B, which takes it, as fork
 * and spawn do. B holds it until it "dies" (OP_REAP). */
#define FZ_PID_A 1000001u
static uint32_t fz_dead_pid;

static int fz_alive(uint32_t pid)
{
	return pid != fz_dead_pid;
}

static void op_give(struct fz *z, uint8_t d)
{
	int s = fz_pick_slot(z, d), held = 0, oi;
	struct exp x = {0, 0};
	rd_fh fh;

	snprintf(z->desc, sizeof z->desc, "give(s%d) to B", s);
	if (s < 0)
		return fz_skip(z, "no open slot");
	oi = z->slot[s];
	for (int i = 0; i < FZ_OFDS; i++)
		held += z->bref[i] > 0;
	if (!z->bref[oi] && held >= FZ_OFDS - FZ_SLOTS)
		return fz_skip(z, "B holds enough open files");
	fh = z->o[oi].fh;
	if (!fz_expect(z, rd_fh_give(z->t, fh, 1), &x, OP_GIVE))
		return;
	rd_tree_set_pid(z->t, z->pid_b);
	if (rd_fh_take(z->t, fh) != 0)
		fz_fail(z, "rd_fh_take failed on a live open file");
	rd_tree_set_pid(z->t, FZ_PID_A);
	z->o[oi].refs++;
	z->bref[oi]++;
}

/* B dies; rd_reap must give back exactly what B held, and nothing else. */
static void op_reap(struct fz *z)
{
	int want = 0, rc;

	snprintf(z->desc, sizeof z->desc, "B (pid %u) dies, reap", (unsigned)z->pid_b);
	for (int i = 0; i < FZ_OFDS; i++)
		want += z->bref[i];
	fz_dead_pid = z->pid_b;
	rc = rd_reap(z->t);
	fz_trace(z, rc);
	if (rc != want)
		return fz_fail(z, "reap gave back %d references, B held %d", rc, want);
	fz_stats.ok_by[OP_REAP]++;
	for (int i = 0; i < FZ_OFDS; i++) {
		struct mofd *o = &z->o[i];

		if (!z->bref[i])
			continue;
		o->refs -= z->bref[i];
		z->bref[i] = 0;
		if (o->refs == 0) {
			z->n[o->node].opens--;
			m_unref(z, o->node);
		}
	}
	z->pid_b++; /* a new B */
}

/* ======================================================================
 * Driver
 * ====================================================================== */

/* One record: [op a b c d e]. Paths come from a (and b for two-path
 * operations), slots from d, lengths from e, offsets from a and b, flags
 * and fill patterns from c. op 0xff forces a full comparison. */
static void fz_exec(struct fz *z, const uint8_t *r)
{
	/* The second half repeats the first with two records made rd_map and
	 * some made rd_reopen and the ledger's give and reap, so inputs written
	 * for the first half keep their meaning. */
	static const uint8_t table[64] = {
		OP_OPEN,     OP_OPEN,    OP_OPEN,   OP_OPEN,     OP_CLOSE,    OP_CLOSE,
		OP_WRITE,    OP_WRITE,   OP_PWRITE, OP_PWRITE,   OP_READ,     OP_PREAD,
		OP_TRUNCATE, OP_FTRUNCATE, OP_MKDIR, OP_MKDIR,   OP_RMDIR,    OP_UNLINK,
		OP_UNLINK,   OP_RENAME,  OP_RENAME, OP_RENAME,   OP_LINK,     OP_SYMLINK,
		OP_SYMLINK,  OP_READLINK, OP_STAT,  OP_STAT,     OP_FSTAT,    OP_LSEEK,
		OP_LSEEK,    OP_DUP,
		OP_OPEN,     OP_OPEN,    OP_REOPEN, OP_MAP,      OP_CLOSE,    OP_CLOSE,
		OP_WRITE,    OP_WRITE,   OP_PWRITE, OP_PWRITE,   OP_READ,     OP_PREAD,
		OP_TRUNCATE, OP_FTRUNCATE, OP_MKDIR, OP_GIVE,    OP_RMDIR,    OP_UNLINK,
		OP_UNLINK,   OP_RENAME,  OP_RENAME, OP_REAP,     OP_LINK,     OP_SYMLINK,
		OP_SYMLINK,  OP_READLINK, OP_STAT,  OP_MAP,      OP_FSTAT,    OP_LSEEK,
		OP_GIVE,     OP_DUP};
	int op = r[0] == 0xff ? OP_CHECK : table[r[0] & 63];
	long off = (long)(((unsigned)r[1] << 8 | r[2]) % 24576);
	long tlen = r[2] == 0xff ? -1 : (long)(((unsigned)r[2] << 8 | r[3]) % 28000);

	fz_stats.ops++;
	z->esc_valid = 0;
	z->need = 0;
	switch (op) {
	case OP_OPEN: op_open(z, r[1], r[3], r[4]); break;
	case OP_CLOSE: op_close(z, r[4]); break;
	case OP_WRITE: op_write(z, op, -1, r[3], r[4], r[5]); break;
	case OP_PWRITE: op_write(z, op, off, r[3], r[4], r[5]); break;
	case OP_READ: op_read(z, op, -1, r[4], r[5]); break;
	case OP_PREAD: op_read(z, op, off, r[4], r[5]); break;
	case OP_TRUNCATE: op_truncate(z, r[1], tlen); break;
	case OP_FTRUNCATE: op_ftruncate(z, r[4], tlen); break;
	case OP_MKDIR: op_create(z, op, r[1], r[3]); break;
	case OP_SYMLINK: op_create(z, op, r[1], r[3]); break;
	case OP_RMDIR: op_remove(z, op, r[1]); break;
	case OP_UNLINK: op_remove(z, op, r[1]); break;
	case OP_RENAME: op_rename(z, r[1], r[2], r[3]); break;
	case OP_LINK: op_link(z, r[1], r[2], r[3]); break;
	case OP_READLINK: op_readlink(z, r[1], r[3]); break;
	case OP_STAT: op_stat(z, r[1], r[3]); break;
	case OP_FSTAT: op_fstat(z, r[4]); break;
	case OP_LSEEK: op_lseek(z, r[1], r[2], r[3], r[4]); break;
	case OP_DUP: op_dup(z, r[4]); break;
	case OP_MAP: op_map(z, r[3], r[4], r[5]); break;
	case OP_REOPEN: op_reopen(z, r[3], r[4]); break;
	case OP_GIVE: op_give(z, r[4]); break;
	case OP_REAP: op_reap(z); break;
	case OP_CHECK:
		snprintf(z->desc, sizeof z->desc, "check");
		fz_trace(z, 0);
		fz_cmp_all(z);
		break;
	}
	if (!z->failed)
		fz_cmp_counts(z);
	if (!z->failed && z->dirty)
		fz_cmp_all(z);
}

/* Byte 0: quota (low 2 bits) and node limit 4..40 (the rest, modulo 37);
 * the rest 37 or more makes a shared (memfd) arena, where writes of whole
 * pages not in memory go through pwrite(2) on the memfd. */
static void fz_config(uint8_t h, struct rd_config *cfg)
{
	static const uint64_t quotas[4] = {128u << 10, 256u << 10, 512u << 10, 1u << 20};

	rd_config_default(cfg);
	cfg->quota = quotas[h & 3];
	cfg->max_nodes = 4 + (uint64_t)((h >> 2) % 37);
	cfg->shared = (h >> 2) >= 37;
}

/* Runs one input. 0, or -1 with the divergence in fz_last_why. */
static int fz_run(const uint8_t *data, size_t size, int trace)
{
	struct fz *z = calloc(1, sizeof *z);
	struct rd_config cfg;
	struct stat st;
	int rc;

	if (!z)
		abort();
	fz_stats.runs++;
	fz_config(size ? data[0] : 0, &cfg);
	z->trace = trace;
	z->max_nodes = cfg.max_nodes;
	snprintf(z->desc, sizeof z->desc, "create tree (quota %llu, max_nodes %llu)",
		 (unsigned long long)cfg.quota, (unsigned long long)cfg.max_nodes);
	if (trace)
		fprintf(stderr, "  %s\n", z->desc);
	rc = rd_tree_create(&cfg, &z->t);
	if (rc != 0) {
		fz_fail(z, "rd_tree_create returned %d", rc);
		goto out;
	}
	/* uid 0: permission checks are not modelled; root bypasses them. */
	rd_tree_set_cred(z->t, 0, 0, NULL, 0);
	rd_test_lock_alive(fz_alive);
	rd_tree_set_pid(z->t, FZ_PID_A);
	z->pid_b = 2000001;
	for (int i = 0; i < FZ_MAXE; i++)
		z->e[i].dir = -1;
	for (int s = 0; s < FZ_SLOTS; s++)
		z->slot[s] = -1;
	z->n[0].type = T_DIR;
	if (rd_stat(z->t, RD_ROOT, "/", &st, 0) != 0) {
		fz_fail(z, "stat / failed");
		goto out;
	}
	z->n[0].perm = st.st_mode & 07777; /* the root's mode is the core's choice */
	for (size_t off = 1; off < size && z->opno < FZ_MAXOPS && !z->failed; off += FZ_REC) {
		uint8_t rec[FZ_REC] = {0};

		memcpy(rec, data + off, size - off < FZ_REC ? size - off : FZ_REC);
		z->opno++;
		fz_exec(z, rec);
		if (!z->failed && z->opno % FZ_CHECK_EVERY == 0)
			fz_cmp_all(z);
	}
	if (!z->failed) {
		snprintf(z->desc, sizeof z->desc, "final check");
		fz_cmp_all(z);
	}
out:
	if (z->failed)
		snprintf(fz_last_why, sizeof fz_last_why, "%s", z->why);
	if (z->t)
		rd_tree_close(z->t);
	for (int i = 0; i < FZ_MAXN; i++)
		free(z->n[i].data);
	rc = z->failed ? -1 : 0;
	free(z);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int trace = -1;

	if (trace < 0)
		trace = getenv("FUZZ_OPS_TRACE") != NULL;
	if (fz_run(data, size, trace) != 0) {
		fprintf(stderr, "fuzz_ops DIVERGENCE: %s\n", fz_last_why);
		abort();
	}
	return 0;
}

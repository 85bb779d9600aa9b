/*
 * vfork, kept a real vfork. The child shares the parent's memory until it
 * execs or _exits, so the wrappers it calls (dup2, close, chdir, exec:
 * Python's subprocess, dash, the gcc driver) must not change what the
 * parent owns: its descriptor table (fd.c), standard stream bindings,
 * references, working directory and environment. While a vfork is under
 * way such a wrapper finds itself in the child (rp_vf_child(): another pid
 * than the one that called vfork) and works on a small overlay instead:
 * descriptor changes, ranges closed, and the working directory, kept in one
 * of a few static slots (no malloc in the child). It takes no reference;
 * an exec hands the effective table on as for a spawned child (handoff.c,
 * "s<parent pid>"), with references given for the new image and given back
 * if the exec fails. A tree file the child opens itself holds one
 * unledgered reference that leaks if the child _exits (DESIGN.md 9).
 *
 * vfork itself is assembly: the call into C (vf_enter) returns before the
 * jump to libc's vfork, so no frame of ours is live when the child runs on
 * the parent's stack and then returns into the caller.
 */
#include <sys/syscall.h>

#include "rp.h"

#define VF_SLOTS 4   /* vforks under way at once, from different threads */
#define VF_FDS 64    /* descriptors a child changes */
#define VF_RANGES 8  /* ranges it closes (closefrom, close_range) */

struct rp_vf {
	int busy;        /* claimed by a thread (compare-and-swap) */
	pid_t parent;    /* the pid that called vfork */
	int n, nr, high; /* overlay entries, closed ranges, highest fd set */
	struct {
		int fd;
		rd_fh fh; /* 0: closed in the child */
	} ov[VF_FDS];
	struct {
		unsigned lo, hi;
	} closed[VF_RANGES];
	int cwd_set;     /* the child changed its working directory: */
	rd_fh cwd;       /* to this tree directory, or 0 (a real one) */
	int ngiven;      /* references given to the image of an exec */
	rd_fh given[VF_FDS + 1];
	int given_own[VF_FDS + 1]; /* 1 + index in own[] if it was the child's */
	int nown;        /* references the child's own opens hold */
	rd_fh own[VF_FDS];
	char own_used[VF_FDS]; /* handed to the exec being tried */
};

static struct rp_vf vf_pool[VF_SLOTS];
/* The slot of the vfork this thread started. The child runs on the same
 * thread, with the same thread-local storage, so both see it; other
 * threads see their own (none) and stay in normal mode without a system
 * call. */
static __thread struct rp_vf *vf_mine __attribute__((tls_model("initial-exec")));
int rp_vf_on RP_HOT; /* slots in use: while 0, rp_vf_child() is one load */

static void vf_release(struct rp_vf *vf)
{
	vf_mine = NULL;
	__atomic_store_n(&vf->busy, 0, __ATOMIC_RELEASE);
	__atomic_sub_fetch(&rp_vf_on, 1, __ATOMIC_RELEASE);
}

struct rp_vf *rp_vf_check(void)
{
	struct rp_vf *vf = vf_mine;

	if (!vf)
		return NULL;
	if ((pid_t)syscall(SYS_getpid) != vf->parent)
		return vf;
	vf_release(vf); /* the parent has resumed: the vfork is over */
	/* A child killed inside a core operation left the tree lock held in
	 * this thread's name (it ran as this thread): repair and release it
	 * now rather than at this process's next tree call. */
	rd_tree_reclaim(rp.tree);
	return NULL;
}

/* fork (fork.c): a child of fork is no vfork child, whatever it inherited. */
RP_START void rp_vf_forked(void)
{
	/* Nothing to clear unless a vfork was under way in another thread at
	 * the fork: the slots are 10 KiB of bss a fork child would otherwise
	 * write (four fresh pages, about 25 us, on every fork). */
	if (vf_mine)
		vf_mine = NULL;
	if (!__atomic_load_n(&rp_vf_on, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&rp_vf_on, 0, __ATOMIC_RELAXED);
	for (int i = 0; i < VF_SLOTS; i++)
		vf_pool[i].busy = 0;
}

/*
 * Called by the trampoline before the jump: claims a slot and returns the
 * function to jump to, libc's vfork, or our fork when no slot is free (a
 * tail call either way: the caller's return address is on the stack).
 */
__attribute__((visibility("hidden"), used)) void *rp_vf_enter(void)
{
	struct rp_vf *vf = vf_mine;
	pid_t pid;

	if (!rp.tree)
		return (void *)REAL(vfork);
	pid = (pid_t)syscall(SYS_getpid);
	if (vf && pid != vf->parent) /* a vfork child vforking: unsupported, */
		return (void *)REAL(vfork); /* its child shares its overlay */
	if (!vf) {
		for (int i = 0; i < VF_SLOTS && !vf; i++) {
			int idle = 0;

			if (__atomic_compare_exchange_n(&vf_pool[i].busy, &idle, 1, 0, __ATOMIC_ACQUIRE,
							__ATOMIC_RELAXED))
				vf = &vf_pool[i];
		}
		if (!vf)
			return (void *)fork;
		__atomic_add_fetch(&rp_vf_on, 1, __ATOMIC_RELEASE);
	}
	/* fork resolves execve in the parent for the same reason (fork.c) */
	(void)REAL(execve);
	rp_fd_idle_flush(); /* the child's exec must not inherit them (fd.c) */
	vf->parent = pid;
	vf->n = vf->nr = vf->cwd_set = vf->ngiven = vf->nown = 0;
	vf->high = -1;
	vf->cwd = 0;
	vf_mine = vf;
	return (void *)REAL(vfork);
}

#if defined(__x86_64__)
/* x86-64: rsp is 8 mod 16 at entry; the call keeps the ABI's alignment. */
__asm__(".text\n"
	".globl vfork\n"
	".type vfork, @function\n"
	".globl __vfork\n"
	".type __vfork, @function\n"
	"vfork:\n"
	"__vfork:\n"
	"\t.cfi_startproc\n"
	"\tendbr64\n"
	"\tsub $8, %rsp\n"
	"\t.cfi_adjust_cfa_offset 8\n"
	"\tcall rp_vf_enter\n"
	"\tadd $8, %rsp\n"
	"\t.cfi_adjust_cfa_offset -8\n"
	"\tjmp *%rax\n"
	"\t.cfi_endproc\n"
	".size vfork, .-vfork\n"
	".size __vfork, .-__vfork\n");
#else
/* Elsewhere no trampoline is written yet: vfork is a fork, which POSIX
 * allows (fork.c takes the child's references). */
RP_EXPORT pid_t vfork(void)
{
	return fork();
}

RP_EXPORT pid_t __vfork(void)
{
	return fork();
}
#endif

/* ---- the child's view ---- */

static int vf_find(struct rp_vf *vf, int fd)
{
	for (int i = 0; i < vf->n; i++)
		if (vf->ov[i].fd == fd)
			return i;
	return -1;
}

/* 1 and *fh if the child changed descriptor fd; 0: as in the table. */
int rp_vf_fd(struct rp_vf *vf, int fd, rd_fh *fh)
{
	int i = vf_find(vf, fd);

	if (i >= 0) {
		*fh = vf->ov[i].fh;
		return 1;
	}
	for (i = 0; i < vf->nr; i++)
		if ((unsigned)fd >= vf->closed[i].lo && (unsigned)fd <= vf->closed[i].hi) {
			*fh = 0;
			return 1;
		}
	return 0;
}

/* Descriptor fd now stands for fh (0: no tree file) in the child. A full
 * overlay drops the change: a descriptor set then reads as not a tree one
 * (and is not handed on); one closed stays listed, and the new image's
 * placeholder check refuses it. */
void rp_vf_fd_set(struct rp_vf *vf, int fd, rd_fh fh)
{
	int i = vf_find(vf, fd);

	if (i < 0) {
		if (vf->n == VF_FDS)
			return;
		i = vf->n++;
	}
	vf->ov[i].fd = fd;
	vf->ov[i].fh = fh;
	if (fd > vf->high)
		vf->high = fd;
}

/* [lo, hi] closed in the child (0: done, -1: no room, close one by one). */
int rp_vf_close_range(struct rp_vf *vf, unsigned lo, unsigned hi)
{
	if (vf->nr == VF_RANGES)
		return -1;
	for (int i = vf->n - 1; i >= 0; i--)
		if ((unsigned)vf->ov[i].fd >= lo && (unsigned)vf->ov[i].fd <= hi)
			vf->ov[i] = vf->ov[--vf->n];
	vf->closed[vf->nr].lo = lo;
	vf->closed[vf->nr].hi = hi;
	vf->nr++;
	return 0;
}

int rp_vf_high(struct rp_vf *vf)
{
	return vf->high;
}

/* A reference the child's own open took (ledgered, to the parent's pid:
 * the tree handle is the parent's) becomes an unledgered one, which the
 * parent's death cannot take back from whoever ends up holding it; an exec
 * hands it on rather than giving another (rp_vf_give). */
void rp_vf_own(struct rp_vf *vf, rd_fh fh)
{
	if (rd_fh_give(rp.tree, fh, 1) == 0)
		rd_close(rp.tree, fh);
	if (vf->nown < VF_FDS) {
		vf->own_used[vf->nown] = 0;
		vf->own[vf->nown++] = fh;
	}
}

/* 1 and *fh if the child changed its working directory. */
int rp_vf_cwd(struct rp_vf *vf, rd_fh *fh)
{
	if (!vf->cwd_set)
		return 0;
	*fh = vf->cwd;
	return 1;
}

void rp_vf_set_cwd(struct rp_vf *vf, rd_fh fh)
{
	vf->cwd_set = 1;
	vf->cwd = fh;
}

pid_t rp_vf_parent(struct rp_vf *vf)
{
	return vf->parent;
}

/* A reference given to the image of an exec (handoff.c), to give back if
 * the exec fails. 0, or -1 if there is no room (nothing was given). */
int rp_vf_give(struct rp_vf *vf, rd_fh fh)
{
	int k = 0;

	if (vf->ngiven == VF_FDS + 1)
		return -1;
	for (int i = 0; i < vf->nown && !k; i++)
		if (vf->own[i] == fh && !vf->own_used[i]) {
			vf->own_used[i] = 1; /* the child's own: handed as it is */
			k = i + 1;
		}
	if (!k && rd_fh_give(rp.tree, fh, 1) < 0)
		return -1;
	vf->given_own[vf->ngiven] = k;
	vf->given[vf->ngiven++] = fh;
	return 0;
}

void rp_vf_exec_failed(struct rp_vf *vf)
{
	for (int i = 0; i < vf->ngiven; i++)
		if (vf->given_own[i])
			vf->own_used[vf->given_own[i] - 1] = 0;
		else
			rd_fh_give(rp.tree, vf->given[i], -1);
	vf->ngiven = 0;
}

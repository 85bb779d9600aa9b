/*
 * fork: the child shares every open tree file and the working directory
 * with the parent, so it needs references of its own. They are taken here,
 * in the parent, before the fork (fd.c, mmap.c explain why not in the
 * child), handed back if the fork fails, and settled in the child against
 * what it actually inherited. vfork has a way of its own (vfork.c).
 */
#include "rp.h"

RP_EXPORT RP_START pid_t fork(void)
{
	struct rp_forksnap snap;
	int *errp = &errno; /* the same address in the child: see below */
	pid_t pid;
	int err;

	if (!rp.tree)
		return REAL(fork)();
	/* Most children exec at once. Resolved here, execve is resolved once
	 * in this process; left to the child, every child looked it up again
	 * (dlsym: a few microseconds and five page faults, each fork). */
	(void)REAL(execve);
	rp_fd_fork_prepare(&snap);
	pid = REAL(fork)(); /* mmap.c's fork handlers run inside */
	err = *errp;
	if (pid == 0) {
		rp_vf_forked();
		rp_fd_fork_child(&snap);
	} else {
		rp_fd_fork_parent(&snap, pid < 0);
		rp_map_fork_done(pid < 0);
	}
	/* Through the pointer taken before the fork: errno is a call through
	 * the PLT to libc, two pages a fork child would fault in again (page
	 * tables of file mappings are not copied by fork). Stored only when
	 * changed: a store would be a copy-on-write fault, just after fork. */
	if (*errp != err)
		*errp = err;
	return pid;
}

/*
 * The ledger of open-file references by process. A process that ends
 * without closing (killed, _exit, an exec into a program without the
 * library) cannot give its references back; another process finds them
 * here and does (rd_reap). Each open file ledgers at most two holders, the
 * common case of a shell and its child; references of a third are simply
 * not ledgered and leak if that process dies, which is the safe direction:
 * a ledgered count is only ever a reference its process really holds.
 */
#include "internal.h"

void holder_add(struct rd_ofile *of, uint32_t pid)
{
	if (!pid)
		return;
	for (int i = 0; i < 2; i++)
		if (of->hcnt[i] && of->hpid[i] == pid) {
			of->hcnt[i]++;
			return;
		}
	for (int i = 0; i < 2; i++)
		if (!of->hcnt[i]) {
			of->hpid[i] = pid;
			of->hcnt[i] = 1;
			return;
		}
}

/* A reference pid gives back: from its count if it has one (else it was
 * an unledgered one). */
void holder_del(struct rd_ofile *of, uint32_t pid)
{
	if (!pid)
		return;
	for (int i = 0; i < 2; i++)
		if (of->hcnt[i] && of->hpid[i] == pid) {
			if (--of->hcnt[i] == 0)
				of->hpid[i] = 0;
			return;
		}
}

RD_START void rd_tree_set_pid(rd_tree *t, uint32_t pid)
{
	t->pid = pid;
}

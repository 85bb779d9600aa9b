/*
 * Test tool: run inside a ramdir process tree, check the shared tree the
 * way crash recovery would (rd_tree_check: every page, count and link
 * recomputed and compared). The arena is the descriptor RAMDIR_ARENA
 * names; prints "tree consistent" or the first inconsistency (status 1).
 */
#include <stdio.h>
#include <stdlib.h>

#include <ramdir/core.h>

int main(void)
{
	const char *v = getenv("RAMDIR_ARENA");
	char msg[512];
	rd_tree *t;
	int fd, rc;

	if (!v || sscanf(v, "%d:", &fd) != 1) {
		fprintf(stderr, "tree_check: RAMDIR_ARENA not set: run me under ramdir\n");
		return 2;
	}
	rc = rd_tree_attach(fd, &t);
	if (rc < 0) {
		fprintf(stderr, "tree_check: cannot attach to descriptor %d: %d\n", fd, rc);
		return 2;
	}
	rc = rd_tree_check(t, msg, sizeof msg);
	if (rc < 0) {
		printf("tree inconsistent: %s\n", msg);
		return 1;
	}
	printf("tree consistent\n");
	rd_tree_close(t);
	return 0;
}

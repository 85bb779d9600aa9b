/*
 * The real libc functions behind every wrapper, looked up with
 * dlsym(RTLD_NEXT) one at a time, at a function's first use. Resolving all
 * two hundred in the constructor cost every process start (a shell's
 * every command) a lookup for each, most never called; now a process pays
 * only for what it uses. Two threads may resolve one name at once: both
 * store the same address.
 */
#include <dlfcn.h>

#include "rp.h"

struct rp_real_tab rp_real;

void *rp_resolve_one(void **slot, const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	__atomic_store_n(slot, f, __ATOMIC_RELEASE);
	return f;
}

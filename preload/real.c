/*
 * The real libc functions behind every wrapper, looked up once with
 * dlsym(RTLD_NEXT). Resolution runs in the constructor, or earlier if
 * another library's constructor reaches a wrapper first.
 */
#include <dlfcn.h>
#include <pthread.h>

#include "rp.h"

struct rp_real_tab rp_real;

static void real_resolve_all(void)
{
#define X(ret, name, params) rp_real.name = (ret(*) params)dlsym(RTLD_NEXT, #name);
#include "real_io.def"
#include "real_stat.def"
#include "real_dir.def"
#include "real_ns.def"
#include "real_stdio.def"
#include "real_xattr.def"
#include "real_walk.def"
#include "real_exec.def"
#undef X
}

void rp_resolve(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, real_resolve_all);
}

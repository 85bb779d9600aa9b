/*
 * libramdir_zip.so: the launcher's ZIP import and export (tools/zipmod.h).
 * The archive module is compiled in; each engine function it calls is
 * defined here as a forwarder to the launcher's (zipmod_calls.def). Only
 * ramdir_zipmod is exported.
 */
#include <ramdir/archive.h>

#include "zipmod.h"

static const struct zipmod_host *zipmod_host;

static void zipmod_bind(const struct zipmod_host *host)
{
	zipmod_host = host;
}

#define X(ret, name, params, args)                                                                 \
	ret name params                                                                            \
	{                                                                                          \
		return zipmod_host->name args;                                                     \
	}
#include "zipmod_calls.def"
#undef X

__attribute__((visibility("default"))) const struct zipmod ramdir_zipmod = {
	.version = ZIPMOD_VERSION,
	.host_size = sizeof(struct zipmod_host),
	.bind = zipmod_bind,
	.import_zip = rd_import_zip,
	.export_zip = rd_export_zip,
};

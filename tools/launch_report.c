/*
 * The --stats report: one aligned table on stderr. Space and nodes are the
 * tree's (imports included) against its limits; the activity lines count
 * what COMMAND and its children did, imports excluded.
 */
#include <inttypes.h>
#include <stdio.h>

#include "launch.h"

const char *launch_human(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
	return buf;
}

static double report_pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

/* One row: label, value right-aligned, optional note. */
static void report_row(FILE *f, const char *label, const char *value, const char *note)
{
	fprintf(f, "  %-15s %12s%s%s\n", label, value, note[0] ? "  " : "", note);
}

static void report_count(FILE *f, const char *label, uint64_t n)
{
	char v[32];

	snprintf(v, sizeof v, "%" PRIu64, n);
	report_row(f, label, v, "");
}

void launch_report(FILE *f, const struct rd_stats *base, const struct rd_stats *end, double secs)
{
	char v[32], q[32], note[96];

	launch_human(end->quota, q, sizeof q);
	fprintf(f, "ramdir: usage report\n");
	snprintf(note, sizeof note, "of %s quota (%.1f%%)", q, report_pct(end->bytes_peak, end->quota));
	report_row(f, "peak", launch_human(end->bytes_peak, v, sizeof v), note);
	snprintf(note, sizeof note, "of %s quota (%.1f%%)", q, report_pct(end->bytes_used, end->quota));
	report_row(f, "final", launch_human(end->bytes_used, v, sizeof v), note);
	snprintf(v, sizeof v, "%" PRIu64, end->nodes);
	if (end->max_nodes)
		snprintf(note, sizeof note, "of %" PRIu64 " limit", end->max_nodes);
	else
		snprintf(note, sizeof note, "(no limit)");
	report_row(f, "nodes", v, note);
	report_count(f, "files created", end->files_created - base->files_created);
	report_count(f, "dirs created", end->dirs_created - base->dirs_created);
	report_row(f, "written", launch_human(end->bytes_written - base->bytes_written, v, sizeof v), "");
	report_row(f, "read", launch_human(end->bytes_read - base->bytes_read, v, sizeof v), "");
	report_count(f, "quota refusals", end->quota_refusals - base->quota_refusals);
	report_count(f, "open at exit", end->open_files);
	snprintf(v, sizeof v, "%.2f s", secs);
	report_row(f, "time", v, "");
}

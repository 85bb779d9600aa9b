#!/usr/bin/env bash
# The preload benchmark of record: builds ramdir (Release), runs bench_fs on a
# fresh tmpfs directory and under ramdir on /ram, alternating for several
# rounds, and prints medians, speed-ups and the issue's targets. PASS/MISS is
# information; the exit status is non-zero only if something fails to run.
# Usage: scripts/bench.sh [--rounds N] [--runs N] [--quick] [--no-setup]
#                         [--build DIR] [--clock wall|cpu] [--perf WORKLOAD|auto]
# --clock cpu times CPU time instead of the wall clock (for a loaded machine).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5
runs=5
quick=()
clock=(--clock wall)
setup=1
build=build
perf_workload=""

while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) rounds="$2"; shift 2 ;;
	--runs) runs="$2"; shift 2 ;;
	--quick) quick=(--quick); shift ;;
	--clock) clock=(--clock "$2"); shift 2 ;;
	--no-setup) setup=0; shift ;;
	--build) build="$2"; setup=0; shift 2 ;;
	--perf) perf_workload="$2"; shift 2 ;;
	-h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
done

if [ "$setup" -eq 1 ]; then
	bash scripts/setup.sh -DCMAKE_BUILD_TYPE=Release >&2
fi
bench="$build/bin/bench_fs"
launcher="$build/bin/ramdir"
for f in "$bench" "$launcher" "$build/lib/libramdir.so"; do
	[ -e "$f" ] || { echo "bench.sh: $f is missing (build first)" >&2; exit 1; }
done

work=$(mktemp -d /dev/shm/ramdir-bench.XXXXXX)
outside=$(mktemp -d /dev/shm/ramdir-bench-outside.XXXXXX)
results=$(mktemp -d)
trap 'rm -rf "$work" "$outside" "$results"' EXIT

run_tmpfs() {
	"$bench" --runs "$runs" "${quick[@]}" "${clock[@]}" --outside "$outside" "$work/bench" >"$results/tmpfs.$1"
}
run_ramdir() {
	"$launcher" -q 2G -- "$bench" --runs "$runs" "${quick[@]}" "${clock[@]}" --outside "$outside" \
		/ram/bench >"$results/ramdir.$1"
}

# Alternate which side goes first so slow drift on a shared machine hits both.
for ((r = 1; r <= rounds; r++)); do
	echo "bench.sh: round $r of $rounds" >&2
	if ((r % 2)); then
		run_tmpfs "$r"
		run_ramdir "$r"
	else
		run_ramdir "$r"
		run_tmpfs "$r"
	fi
done

echo "bench_fs, $rounds rounds x $runs runs (x5 small_files, deep_tree; x3 stream_16m, random_overwrite);"
echo "clock: ${clock[1]}. Seconds: median over the rounds of each round's"
echo "median. Speed-up: tmpfs/ramdir; best-run: fastest tmpfs run / fastest ramdir run."
awk -F'\t' -v rounds="$rounds" '
function median(s, n,    v, i, j, t, k) {
	k = split(s, v, " ")
	for (i = 2; i <= k; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
}
BEGIN {
	split("small_files stream_16m random_overwrite stream_big many_files deep_tree " \
	      "stat_hot tmp_churn list_dir outside_stat outside_open", order, " ")
	split("1 2 3 4 5 6 7 8 9 10a 10b", num, " ")
	split("5 1 1 1 5 5 10 5 3 0 0", want, " ")
}
{
	side = FILENAME ~ /\/tmpfs\.[0-9]+$/ ? "t" : "r"
	samples[side, $1] = samples[side, $1] " " $2
	if (!((side, $1) in best) || $3 < best[side, $1])
		best[side, $1] = $3
}
END {
	printf "%-4s %-17s %10s %10s %9s %9s %8s  %-6s %s\n", "#", "workload", "tmpfs_s", "ramdir_s",
	       "speed-up", "overhead", "target", "result", "best-run speed-up"
	for (i = 1; i in order; i++) {
		w = order[i]
		if (!(("t", w) in samples) || !(("r", w) in samples))
			continue
		t = median(samples["t", w]); r = median(samples["r", w])
		up = r > 0 ? t / r : 0
		if (want[i] > 0) {
			over = "-"; target = sprintf(">= %dx", want[i]); score = up / want[i]
		} else {
			pct = (r - t) / t * 100
			over = sprintf("%+.1f%%", pct); target = "<= 10%"; score = 1.10 / (1 + pct / 100)
		}
		ok = score >= 1
		if (!ok && (worst == "" || score < worst_score)) {
			worst = w; worst_score = score
		}
		printf "%-4s %-17s %10.5f %10.5f %8.2fx %9s %8s  %-6s %.2fx\n", num[i], w, t, r, up,
		       over, target, ok ? "PASS" : "MISS", best["t", w] / best["r", w]
	}
	printf "%s\n", worst > worst_file
}' worst_file="$results/worst" "$results"/tmpfs.* "$results"/ramdir.*

# "auto": the workload furthest from its target, if any misses.
if [ "$perf_workload" = auto ]; then
	perf_workload=$(cat "$results/worst")
	[ -n "$perf_workload" ] || echo "bench.sh: every target met; no profile taken" >&2
fi
if [ -n "$perf_workload" ] && ! command -v perf >/dev/null; then
	echo "bench.sh: perf is not installed; no profile taken" >&2
	perf_workload=""
fi
if [ -n "$perf_workload" ]; then
	echo
	echo "perf record -g, ramdir run of $perf_workload, 50 runs (whole process); top 10 symbols by self time:"
	perf record -q -g -F 10000 -o "$results/perf.data" -- "$launcher" -q 2G -- "$bench" --runs 50 \
		"${quick[@]}" --outside "$outside" --only "$perf_workload" /ram/bench >/dev/null
	perf report -i "$results/perf.data" --no-children --stdio --sort dso,symbol -g none \
		2>/dev/null | awk '/^ +[0-9.]+%/ && n++ < 10 { printf "  %8s  %-22s %s\n", $1, $2, $4 }'
fi

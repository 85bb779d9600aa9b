#!/usr/bin/env bash
# Start-up cost of a process under ramdir (issue 4's figure): a small C
# loop spawns /bin/true N times (fork + execv + waitpid, as a shell does),
# run plainly and under the launcher, alternately, for R rounds. Each round
# is timed whole (the launcher's own start included) and the loop alone
# (what the spawner measures itself). Prints the medians, the ratio of the
# whole-run medians and PASS or MISS against the target (at most 10 %
# slower). Exit status 0 on PASS, 1 on MISS, 2 on a usage or build error.
# Usage: tools/bench_spawn.sh [-l LAUNCHER] [-n SPAWNS] [-r ROUNDS]
set -u
here=$(cd "$(dirname "$0")" && pwd)
launcher=${RAMDIR_LAUNCHER:-$here/../build/bin/ramdir}
spawns=500
rounds=7
target=1.10
while getopts l:n:r: opt; do
	case $opt in
	l) launcher=$OPTARG ;;
	n) spawns=$OPTARG ;;
	r) rounds=$OPTARG ;;
	*) echo "usage: bench_spawn.sh [-l LAUNCHER] [-n SPAWNS] [-r ROUNDS]" >&2; exit 2 ;;
	esac
done
[ -x "$launcher" ] || { echo "bench_spawn: no launcher at $launcher (build first, or -l)" >&2; exit 2; }
[ "$rounds" -ge 5 ] || { echo "bench_spawn: at least 5 rounds" >&2; exit 2; }

work=$(mktemp -d /dev/shm/bench-spawn.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat >"$work/spawn.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 500;
	char *args[] = {"/bin/true", NULL};
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) { perror("fork"); return 1; }
		if (pid == 0) { execv(args[0], args); _exit(127); }
		int st;
		if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "spawn %d failed\n", i);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.3f\n", (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
	return 0;
}
EOF
cc -O2 -o "$work/spawn" "$work/spawn.c" || exit 2

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { LC_ALL=C sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
one() { # plain|ramdir -> "whole_ms loop_ms"
	local t0 loop t1
	t0=$(now_ms)
	if [ "$1" = plain ]; then loop=$("$work/spawn" "$spawns"); else loop=$("$launcher" -- "$work/spawn" "$spawns"); fi || return 1
	t1=$(now_ms)
	echo "$((t1 - t0)) $loop"
}

one plain >/dev/null && one ramdir >/dev/null || { echo "bench_spawn: the spawner failed" >&2; exit 2; }
: >"$work/plain" && : >"$work/ramdir"
for r in $(seq 1 "$rounds"); do
	one plain >>"$work/plain" || exit 2
	one ramdir >>"$work/ramdir" || exit 2
	echo "round $r: plain $(tail -n 1 "$work/plain" | awk '{print $1}') ms, ramdir $(tail -n 1 "$work/ramdir" | awk '{print $1}') ms"
done
pw=$(awk '{print $1}' "$work/plain" | median)
rw=$(awk '{print $1}' "$work/ramdir" | median)
pl=$(awk '{print $2}' "$work/plain" | median)
rl=$(awk '{print $2}' "$work/ramdir" | median)
echo "spawning /bin/true $spawns times, median of $rounds rounds ($(nproc) cpus, load $(cut -d' ' -f1 /proc/loadavg)):"
awk -v pw="$pw" -v rw="$rw" -v pl="$pl" -v rl="$rl" -v n="$spawns" -v t="$target" 'BEGIN {
	printf "  whole run:   plain %.0f ms, under ramdir %.0f ms, ratio %.3f\n", pw, rw, rw / pw
	printf "  loop only:   plain %.1f ms, under ramdir %.1f ms, ratio %.3f (%.0f us a spawn against %.0f)\n", pl, rl, rl / pl, rl * 1000 / n, pl * 1000 / n
	ok = rw / pw <= t
	printf "  %s: whole-run ratio %.3f against the target <= %.2f\n", ok ? "PASS" : "MISS", rw / pw, t
	exit !ok
}'

#!/usr/bin/env bash
# Build cost in the tree (issue 4's figure): a generated project of N small
# C files and a Makefile, built with make -j2 from clean, once in a fresh
# directory on tmpfs (/dev/shm, TMPDIR there too) and once in the tree under
# the launcher (project in /ram, TMPDIR=/ram/tmp, the launcher's default),
# alternately for R rounds. Only make is timed (copying the sources in is
# not); every build's program is run and its answer checked. Prints the
# medians, the ratio and PASS or MISS against the target (not slower:
# ratio <= 1.00). Exit status 0 on PASS, 1 on MISS, 2 on an error.
# Usage: tools/bench_make.sh [-l LAUNCHER] [-n FILES] [-r ROUNDS] [-j JOBS]
set -u
here=$(cd "$(dirname "$0")" && pwd)
launcher=${RAMDIR_LAUNCHER:-$here/../build/bin/ramdir}
files=50
rounds=5
jobs=2
target=1.00
while getopts l:n:r:j: opt; do
	case $opt in
	l) launcher=$OPTARG ;;
	n) files=$OPTARG ;;
	r) rounds=$OPTARG ;;
	j) jobs=$OPTARG ;;
	*) echo "usage: bench_make.sh [-l LAUNCHER] [-n FILES] [-r ROUNDS] [-j JOBS]" >&2; exit 2 ;;
	esac
done
[ -x "$launcher" ] || { echo "bench_make: no launcher at $launcher (build first, or -l)" >&2; exit 2; }
[ "$rounds" -ge 3 ] || { echo "bench_make: at least 3 rounds" >&2; exit 2; }

work=$(mktemp -d /dev/shm/bench-make.XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$work/src
mkdir -p "$src"
# The project: fNN.c each with a few functions, one shared header, main.c
# calling every file's entry point; the program prints the sum.
{
	echo '#ifndef PROJ_H'
	echo '#define PROJ_H'
	for i in $(seq -w 0 $((files - 1))); do echo "long f$i(long x);"; done
	echo '#endif'
} >"$src/proj.h"
for i in $(seq -w 0 $((files - 1))); do
	n=$((10#$i))
	cat >"$src/f$i.c" <<EOF
#include <string.h>
#include "proj.h"
static long mix$i(long x) { return (x * 31 + $n) % 1000003; }
static long walk$i(const char *s) { long h = 0; while (*s) h = h * 33 + *s++; return h % 977; }
long f$i(long x) {
	char buf[64];
	memset(buf, 'a' + $n % 26, sizeof buf - 1);
	buf[sizeof buf - 1] = 0;
	for (int k = 0; k < 3; k++) x = mix$i(x);
	return x % 100 + walk$i(buf) % 7 + $n;
}
EOF
done
{
	echo '#include <stdio.h>'
	echo '#include "proj.h"'
	echo 'int main(void) { long s = 0;'
	for i in $(seq -w 0 $((files - 1))); do echo "	s += f$i($((10#$i)));"; done
	echo '	printf("%ld\n", s); return 0; }'
} >"$src/main.c"
cat >"$src/Makefile" <<'EOF'
CC = cc
CFLAGS = -O1 -Wall
SRCS = $(wildcard *.c)
OBJS = $(SRCS:.c=.o)
prog: $(OBJS)
	$(CC) -o $@ $(OBJS)
%.o: %.c proj.h
	$(CC) $(CFLAGS) -c -o $@ $<
clean:
	rm -f prog $(OBJS)
EOF

# One build: copy the sources into DIR, time make -j there, run the program.
cat >"$work/build.sh" <<'EOF'
set -eu
src=$1 dir=$2 jobs=$3
rm -rf "$dir" && cp -r "$src" "$dir" && cd "$dir"
t0=$(date +%s%N)
make -s -j"$jobs" >/dev/null
t1=$(date +%s%N)
echo "$(( (t1 - t0) / 1000000 )) $(./prog)"
EOF
median() { LC_ALL=C sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mkdir -p -m 1777 "$work/tmp"
tmpfs_build() { TMPDIR="$work/tmp" bash "$work/build.sh" "$src" "$work/proj" "$jobs"; }
tree_build() { "$launcher" -- bash "$work/build.sh" "$src" /ram/proj "$jobs"; }

# A build that silently missed the tree would land on disk under /ram.
ram_before=absent
[ -e /ram ] && ram_before=present
ref=$(tmpfs_build) || { echo "bench_make: the build fails on tmpfs" >&2; exit 2; }
answer=${ref#* }
got=$(tree_build) || { echo "bench_make: the build fails in the tree:" >&2; tree_build >&2; exit 2; }
[ "${got#* }" = "$answer" ] || { echo "bench_make: the program built in the tree prints ${got#* }, not $answer" >&2; exit 2; }
: >"$work/t.tmpfs" && : >"$work/t.tree"
for r in $(seq 1 "$rounds"); do
	a=$(tmpfs_build) && b=$(tree_build) || { echo "bench_make: a build failed in round $r" >&2; exit 2; }
	[ "${a#* }" = "$answer" ] && [ "${b#* }" = "$answer" ] || { echo "bench_make: wrong program output in round $r" >&2; exit 2; }
	echo "${a%% *}" >>"$work/t.tmpfs"
	echo "${b%% *}" >>"$work/t.tree"
	echo "round $r: tmpfs ${a%% *} ms, tree ${b%% *} ms"
done
if [ "$ram_before" = absent ] && [ -e /ram ]; then
	echo "bench_make: /ram appeared on disk: the tree builds were not in the tree" >&2
	exit 2
fi
mt=$(median <"$work/t.tmpfs")
mr=$(median <"$work/t.tree")
echo "make -j$jobs of $files C files + main.c, median of $rounds rounds ($(nproc) cpus, load $(cut -d' ' -f1 /proc/loadavg)):"
awk -v a="$mt" -v b="$mr" -v t="$target" 'BEGIN {
	printf "  tmpfs (TMPDIR on tmpfs) %.0f ms, tree under ramdir (TMPDIR in the tree) %.0f ms, ratio %.3f\n", a, b, b / a
	ok = b / a <= t
	printf "  %s: ratio %.3f against the target <= %.2f (not slower)\n", ok ? "PASS" : "MISS", b / a, t
	exit !ok
}'

#!/usr/bin/env bash
# Differential test: run one scenario twice, on a real tmpfs directory and
# under libramdir.so with its root inside the memory tree, and require the
# same transcript (stdout+stderr, root spelled ROOT) and the same exit
# status; also require that nothing appeared on disk under the prefix.
# Usage: run_diff.sh LIBRAMDIR COMMAND [ARGS...]   (the root is appended)
set -u
lib=$1
shift
prefix=/ram
work=$(mktemp -d)
real=$(mktemp -d /dev/shm/ramdir-diff.XXXXXX)
trap 'rm -rf "$work" "$real"' EXIT

# Both sides start in an empty scratch directory: a scenario that loses its
# way (say, a working directory that should be in the tree) then writes
# there, never into the source tree the tests were started from.
mkdir "$work/cwd-real" "$work/cwd-ram"
(cd "$work/cwd-real" && "$@" "$real/root") >"$work/real.out" 2>&1
rc_real=$?
(cd "$work/cwd-ram" && env LD_PRELOAD="$lib" RAMDIR_PREFIX="$prefix" RAMDIR_QUOTA=256M "$@" "$prefix/root") \
	>"$work/ram.out" 2>&1
rc_ram=$?

sed -i "s#$real/root#ROOT#g" "$work/real.out"
sed -i "s#$prefix/root#ROOT#g" "$work/ram.out"
fail=0
if ! diff -u --label tmpfs --label ramdir "$work/real.out" "$work/ram.out"; then
	echo "run_diff: transcripts differ for: $*"
	fail=1
fi
if [ "$rc_real" != "$rc_ram" ]; then
	echo "run_diff: exit status $rc_real on tmpfs, $rc_ram under ramdir: $*"
	fail=1
fi
if [ -e "$prefix" ]; then
	echo "run_diff: $prefix exists on disk after the run"
	fail=1
fi
[ "$fail" = 0 ] && echo "run_diff: same transcript ($(wc -l <"$work/real.out") lines): $*"
exit "$fail"

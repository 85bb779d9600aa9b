#!/usr/bin/env bash
# Issue 4's differential harness. One scenario script runs twice as
# `bash SCENARIO ROOT`: on a fresh directory of a real tmpfs (/dev/shm), then
# under the ramdir launcher with ROOT in the tree (/ram/root) and TMPDIR in
# the tree as the launcher sets it. The transcripts (stdout and stderr in one
# stream, then the exit status) must match line for line once each side's
# ROOT and TMPDIR are spelled ROOT and TMP; nothing may appear on disk under
# the prefix, and nothing in the empty directory each side starts in.
#
# Like tests/preload/run_diff.sh, but through the real launcher (the way
# users run ramdir, so TMPDIR is in the tree), with a tmpfs TMPDIR on the
# plain side, a per-run time limit, the plain run required to succeed (a
# scenario that fails on tmpfs is broken, not a finding), and status 77 when
# a tool named on the scenario's "# needs:" line is not installed.
#
# Usage: run.sh [-l LAUNCHER] [-k] [-s] SCENARIO.sh
#   -l  the ramdir binary; default $RAMDIR_LAUNCHER, else build/bin/ramdir
#   -k  keep both transcripts and print where they are
#   -s  self-check: the second run is on tmpfs too, in a directory with a
#       longer name; a difference then is the scenario's own nondeterminism
# Environment: RAMDIR_DIFF_TIMEOUT seconds per run (default 240),
# RAMDIR_DIFF_PREFIX the prefix (default /ram).
# Exit status: 0 same, 1 different (or a leak, or broken on tmpfs), 77 skip.
set -u
here=$(cd "$(dirname "$0")" && pwd)
launcher=${RAMDIR_LAUNCHER:-$here/../../build/bin/ramdir}
keep=0
self=0
while getopts l:ks opt; do
	case $opt in
	l) launcher=$OPTARG ;;
	k) keep=1 ;;
	s) self=1 ;;
	*) echo "usage: run.sh [-l LAUNCHER] [-k] [-s] SCENARIO.sh" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: run.sh [-l LAUNCHER] [-k] [-s] SCENARIO.sh" >&2; exit 2; }
scenario=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
name=$(basename "$scenario" .sh)
[ "$self" = 1 ] || [ -x "$launcher" ] || { echo "run: no launcher at $launcher (build first, or -l)" >&2; exit 2; }
limit=${RAMDIR_DIFF_TIMEOUT:-240}
prefix=${RAMDIR_DIFF_PREFIX:-/ram}

# Skip only for a tool that is genuinely not installed.
for tool in $(sed -n 's/^# needs: *//p' "$scenario"); do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "run: SKIP $name: '$tool' is not installed"
		exit 77
	fi
done

work=$(mktemp -d /dev/shm/ramdir-diff-work.XXXXXX)
base=$(mktemp -d /dev/shm/ramdir-diff.XXXXXX)
# Under -s the second run's prefix is another tmpfs directory.
[ "$self" = 1 ] && prefix=$(mktemp -d /dev/shm/ramdir-diff-self-check-longer-name.XXXXXX) && mkdir -m 1777 "$prefix/tmp"
cleanup() {
	chmod -R u+rwx "$base" 2>/dev/null
	rm -rf "$base"
	[ "$self" = 1 ] && rm -rf "$prefix"
	if [ "$keep" = 1 ]; then echo "run: transcripts kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
mkdir -m 1777 "$base/tmp"
mkdir "$work/cwd-tmpfs" "$work/cwd-ramdir"

# What the prefix is on disk before the run: normally absent.
snapshot() { if [ -e "$prefix" ] || [ -L "$prefix" ]; then find "$prefix" -printf '%y %m %s %T@ %p\n' 2>&1 | LC_ALL=C sort; else echo absent; fi; }
snapshot >"$work/prefix.before"

# Same locale, zone and umask on both sides: messages and times are
# locale- and zone-dependent, and that is not what is compared here.
common=(env LC_ALL=C TZ=UTC)
(cd "$work/cwd-tmpfs" && umask 022 &&
	TMPDIR="$base/tmp" timeout -k 10 "$limit" "${common[@]}" bash "$scenario" "$base/root") \
	>"$work/tmpfs.out" 2>&1
rc_tmpfs=$?
echo "exit status: $rc_tmpfs" >>"$work/tmpfs.out"
if [ "$self" = 1 ]; then
	(cd "$work/cwd-ramdir" && umask 022 &&
		TMPDIR="$prefix/tmp" timeout -k 10 "$limit" "${common[@]}" bash "$scenario" "$prefix/root") \
		>"$work/ramdir.out" 2>&1
else
	(cd "$work/cwd-ramdir" && umask 022 &&
		timeout -k 10 "$limit" "$launcher" -p "$prefix" -q 256M -- "${common[@]}" bash "$scenario" "$prefix/root") \
		>"$work/ramdir.out" 2>&1
fi
rc_ramdir=$?
echo "exit status: $rc_ramdir" >>"$work/ramdir.out"

sed -i -e "s#$base/root#ROOT#g" -e "s#$base/tmp#TMP#g" "$work/tmpfs.out"
sed -i -e "s#$prefix/root#ROOT#g" -e "s#$prefix/tmp#TMP#g" "$work/ramdir.out"

fail=0
if [ "$rc_tmpfs" != 0 ]; then
	echo "run: $name fails on tmpfs itself (status $rc_tmpfs): the scenario or this machine is broken"
	sed 's/^/  tmpfs| /' "$work/tmpfs.out" | tail -n 30
	fail=1
fi
if ! diff -u --label tmpfs --label ramdir "$work/tmpfs.out" "$work/ramdir.out"; then
	echo "run: $name: transcripts differ"
	fail=1
fi
snapshot >"$work/prefix.after"
if [ "$self" = 0 ] && ! cmp -s "$work/prefix.before" "$work/prefix.after"; then
	echo "run: $name: $prefix changed on disk:"
	diff "$work/prefix.before" "$work/prefix.after" | head -n 20
	fail=1
fi
for side in tmpfs ramdir; do
	if [ -n "$(ls -A "$work/cwd-$side")" ]; then
		echo "run: $name: files left in the starting directory on the $side side: $(ls -A "$work/cwd-$side" | head -n 5 | tr '\n' ' ')"
		fail=1
	fi
done
if [ "$fail" = 0 ] && [ "$self" = 1 ]; then
	echo "run: $name: same transcript twice on tmpfs ($(wc -l <"$work/tmpfs.out") lines)"
elif [ "$fail" = 0 ]; then
	echo "run: $name: same transcript ($(wc -l <"$work/tmpfs.out") lines), nothing on disk under $prefix"
fi
exit "$fail"

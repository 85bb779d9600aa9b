#!/usr/bin/env bash
# kill -9 in a process tree (issue 4): processes killed in the middle of
# file operations never hang or corrupt the others (a steady writer keeps
# every line, the tree checks consistent afterwards), and killing the whole
# tree leaves nothing behind: its memory was never a /dev/shm file, and no
# process or descriptor still holds the arena.
# Usage: check_kill.sh RAMDIR_BINARY TREE_CHECK_BINARY
set -u
ramdir=$1
tree_check=$2
. "$(dirname "$0")/check_lib.sh"

# 1. Victims killed at random points while a steady writer appends.
out=$("$ramdir" -q 64M -- bash -c '
	mkdir -p /ram/w
	( for i in $(seq 1 400); do echo "line $i" >> /ram/log; done ) &
	steady=$!
	for k in $(seq 1 15); do
		python3 -c "
import os
n = 0
while True:
    p = \"/ram/w/f%d\" % (n % 50)
    with open(p, \"w\") as f:
        f.write(\"x\" * (n % 9000))
    os.rename(p, p + \".r\")
    os.truncate(p + \".r\", n % 5000)
    if n % 7 == 0:
        os.unlink(p + \".r\")
    n += 1
" &
		victim=$!
		sleep 0.0$((RANDOM % 9 + 1))
		kill -9 $victim
		wait $victim 2>/dev/null
	done
	wait $steady
	echo "lines: $(wc -l < /ram/log) of 400"
	echo "distinct: $(sort -u /ram/log | wc -l)"
	'"$tree_check"'
	ls /ram/w > /dev/null && echo "tree usable"
' 2>&1)
expect "steady writer lost nothing" "lines: 400 of 400" "$(grep '^lines' <<<"$out")"
expect "no torn or doubled lines" "distinct: 400" "$(grep '^distinct' <<<"$out")"
expect "tree consistent after 15 kills" "tree consistent" "$(grep '^tree' <<<"$out" | head -1)"
expect "tree still usable" "tree usable" "$(grep '^tree usable' <<<"$out")"

# 2. The whole tree killed: nothing left behind.
setsid "$ramdir" -q 64M -- bash -c 'head -c 4000000 /dev/zero > /ram/big; sleep 60 & sleep 60' </dev/null >/dev/null 2>&1 &
leader=$!
ino=""
mapped=0
count_mapped() {
	local n=0 m
	for m in /proc/[0-9]*/maps; do
		awk -v ino="$ino" '$5 == ino && /memfd:ramdir / {f = 1} END {exit !f}' "$m" 2>/dev/null && n=$((n + 1))
	done
	echo "$n"
}
# ramdir, bash and the two sleeps all map it once started
for _ in $(seq 1 100); do
	if [ -z "$ino" ]; then
		for p in $(pgrep -s "$leader" 2>/dev/null); do
			ino=$(awk '/memfd:ramdir /{print $5; exit}' /proc/"$p"/maps 2>/dev/null)
			[ -n "$ino" ] && break
		done
	fi
	[ -n "$ino" ] && mapped=$(count_mapped) && [ "$mapped" -ge 4 ] && break
	sleep 0.05
done
if [ -z "$ino" ]; then
	echo "FAIL could not find the arena of the tree under test"
	fail=1
fi
# Its memory is the memfd alone: none of its processes maps or holds a file
# in /dev/shm (other tests running at the same time do create some there,
# so the directory's listing proves nothing).
shm=0
for p in $(pgrep -s "$leader" 2>/dev/null); do
	grep -q " /dev/shm/" /proc/"$p"/maps 2>/dev/null && shm=$((shm + 1))
	for f in /proc/"$p"/fd/*; do
		case $(readlink "$f" 2>/dev/null) in /dev/shm/*) shm=$((shm + 1)) ;; esac
	done
done
if [ "$mapped" -lt 4 ]; then # the probe below must be able to see them
	echo "FAIL the tree under test is mapped by $mapped processes before the kill"
	fail=1
fi
kill -9 -- -"$leader" 2>/dev/null
wait "$leader" 2>/dev/null
sleep 0.2
left=$(count_mapped)
expect "no process maps the killed tree's arena" "0" "$left"
held=0
for f in /proc/[0-9]*/fd/*; do
	case $(readlink "$f" 2>/dev/null) in
	/memfd:ramdir*) [ "$(stat -L -c %i "$f" 2>/dev/null)" = "$ino" ] && held=$((held + 1)) ;;
	esac
done
expect "no descriptor holds it" "0" "$held"
expect "the tree used no /dev/shm file" "0" "$shm"
exit $fail

#!/usr/bin/env bash
# Several --prefix options: the launcher joins them with ':' into
# RAMDIR_PREFIX and RAMDIR_ARENA, and every prefix is then served from the
# one tree (one quota, one node count). The launcher's half passes today;
# the routing needs the preload's half (several prefixes in
# preload/init.c), which is being written: until it lands this test fails
# and is registered WILL_FAIL (tests/launcher/CMakeLists.txt).
# Usage: multi_prefix.sh PATH/TO/ramdir
source "$(dirname "$0")/lib.sh"
R=$RAMDIR
A=$WORK/a
B=$WORK/b

echo "--- the launcher's half"
check "RAMDIR_PREFIX joins the prefixes in order" 0 "$A:$B" "" -- "$R" -p "$A" -p "$B/" printenv RAMDIR_PREFIX
check "RAMDIR_ARENA carries them" 0 "900:8388608:0:$A:$B" "" -- "$R" -q 8M -p "$A" -p "$B" printenv RAMDIR_ARENA
check "TMPDIR is under the first" 0 "$A/tmp" "" -- "$R" -p "$A" -p "$B" printenv TMPDIR

echo "--- the preload's half"
check "a file under each prefix, in memory" 0 "one
two" "" -- "$R" -p "$A" -p "$B" sh -c "echo one > '$A/f1' && echo two > '$B/f2' && cat '$A/f1' '$B/f2'"
expect "  nothing on disk" "$(ls -d "$A" "$B" 2>/dev/null)" ""
check "TMPDIR usable" 0 "1777" "" -- "$R" -p "$A" -p "$B" sh -c 'stat -c %a "$TMPDIR"'
check "df on each shows the one quota" 0 "8192
8192" "" -- "$R" -q 8M -p "$A" -p "$B" sh -c \
	"df -k '$A' | awk 'NR == 2 { print \$2 }'; df -k '$B' | awk 'NR == 2 { print \$2 }'"
check "one quota for both: 5M + 5M do not fit in 8M" 0 "0 1" "" -- "$R" -q 8M -p "$A" -p "$B" sh -c \
	"dd if=/dev/zero of='$A/x' bs=5M count=1 2>/dev/null; a=\$?
	 dd if=/dev/zero of='$B/y' bs=5M count=1 2>/dev/null; echo \$a \$?"
expect "  nothing on disk" "$(ls -d "$A" "$B" 2>/dev/null)" ""
check "an export has what both wrote" 0 "" "" -- "$R" -p "$A" -p "$B" -e "$WORK/out.zip" sh -c \
	"echo 1 > '$A/one' && echo 2 > '$B/two'"
# (where each prefix sits in the tree is the preload's choice)
expect "  both files" "$(unzip -Z1 "$WORK/out.zip" 2>&1 | grep -c -E '(^|/)(one|two)$')" 2

lt_done

#!/usr/bin/env bash
# Several --prefix options: the launcher joins them with ':' into
# RAMDIR_PREFIX and RAMDIR_ARENA, and every prefix is then served from the
# one tree (one quota, one node count), each like a mount of its own. In
# the tree, and so in --import's DIR and in the export, the prefixes are
# the directories /0, /1, ... in the order given. The library's rules are
# checked in depth by tests/preload/check_multi.sh; here, as a user of the
# launcher sees them.
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
check "an export has what both wrote, one directory per prefix" 0 "" "" -- "$R" -p "$A" -p "$B" \
	-e "$WORK/out.zip" sh -c "echo 1 > '$A/one' && mkdir '$B/d' && echo 2 > '$B/d/two'"
expect "  0/ is the first, 1/ the second, no tmp" "$(unzip -Z1 "$WORK/out.zip" 2>&1 | sort)" "0/
0/one
1/
1/d/
1/d/two"
check "a directory export" 0 "" "" -- "$R" -p "$A" -p "$B" -e "$WORK/outd" sh -c "echo 1 > '$A/one'"
expect "  each prefix's root as mkdir makes it" "$(cd "$WORK/outd" && find . -printf '%p %m\n' | sort)" \
	"$(printf '%s\n' ". 755" "./0 755" "./0/one 644" "./1 755")"
rm -rf "$WORK/outd" "$WORK/out.zip"

echo "--- imports into either prefix"
mkdir -p "$WORK/in" && echo hi > "$WORK/in/h"
check "DIR /1/x is under the second prefix; no DIR, the first" 0 "hi
hi
h" "" -- "$R" -p "$A" -p "$B" -T -i "$WORK/in:/1/x" -i "$WORK/in" sh -c "cat '$B/x/h' '$A/h'; ls '$B/x'"
for dir in /src / /2; do
	check "DIR $dir names no prefix" 125 "" \
		"ramdir: --import '$WORK/in:$dir': with several --prefix, DIR starts with the prefix's directory in the tree: /0 for $A, /1 for $B" \
		-- "$R" -p "$A" -p "$B" -i "$WORK/in:$dir" true
done
expect "  nothing on disk" "$(ls -d "$A" "$B" 2>/dev/null)" ""

echo "--- each prefix a mount of its own"
echo parent > "$WORK/marker"
check ".. out of each prefix reaches the real parent" 0 "parent
parent" "" -- "$R" -p "$A" -p "$B" sh -c "cat '$A/../marker'; cd '$B/..' && cat marker"
check "the working directory in each" 0 "$A/d
$B" "" -- "$R" -p "$A" -p "$B" sh -c "mkdir '$A/d' && cd '$A/d' && /bin/pwd && cd '$B' && /bin/pwd"
check "mv between them copies (rename is EXDEV)" 0 "x
tmp" "" -- "$R" -p "$A" -p "$B" sh -c "echo x > '$A/f' && mv '$A/f' '$B/f' && cat '$B/f' && ls '$A'"
check "a prefix cannot be removed" 1 "" "rmdir: failed to remove '$B': Device or resource busy" \
	-- "$R" -p "$A" -p "$B" rmdir "$B"

echo "--- lists the library could not read"
long=$(printf '%0900d' 0)
check "prefixes longer than 4095 bytes together" 125 "" \
	"ramdir: --prefix '/e$long': the prefixes together are longer than 4095 bytes; use shorter ones" \
	-- "$R" -p "/a$long" -p "/b$long" -p "/c$long" -p "/d$long" -p "/e$long" true

lt_done

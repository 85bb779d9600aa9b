#!/usr/bin/env bash
# Nested use (issue 4): a program started from a ramdir process with other
# settings (here a smaller quota) gets a tree of its own, with its own
# quota, and cannot use the outer tree's open files (EBADF); its children
# with the same settings join its tree; the outer tree is untouched and its
# children still join it afterwards.
# Usage: check_nested.sh LIBRAMDIR
set -u
lib=$1
. "$(dirname "$0")/check_lib.sh"
out=$(env LD_PRELOAD="$lib" RAMDIR_PREFIX=/ram RAMDIR_QUOTA=64M bash -c '
	echo outer > /ram/f
	exec 3< /ram/f
	RAMDIR_QUOTA=1M bash -c "
		echo \"inner sees: \$(ls /ram | tr \"\n\" \" \")\"
		cat <&3 2>/dev/null || echo \"inner read of outer fd: failed\"
		echo inner > /ram/g
		echo \"inner child sees: \$(/bin/ls /ram | tr \"\n\" \" \")\"
		head -c 2000000 /dev/zero > /ram/big 2>/dev/null || echo \"inner quota: refused\"
		echo \"inner df: \$(df -k /ram | tail -1 | tr -s \" \" | cut -d\" \" -f2)\"
	"
	echo "outer sees: $(/bin/ls /ram | tr "\n" " ")"
	echo "outer df: $(df -k /ram | tail -1 | tr -s " " | cut -d" " -f2)"
	/bin/cat <&3
' 2>&1)
mapfile -t got <<<"$out"
expect "inner tree starts empty" "inner sees: " "${got[0]:-}"
expect "outer descriptor not served by the inner tree" "inner read of outer fd: failed" "${got[1]:-}"
expect "inner child joins the inner tree" "inner child sees: g " "${got[2]:-}"
expect "inner quota applies" "inner quota: refused" "${got[3]:-}"
expect "inner df shows its quota" "inner df: 1024" "${got[4]:-}"
expect "outer tree untouched" "outer sees: f " "${got[5]:-}"
expect "outer df shows its quota" "outer df: 65536" "${got[6]:-}"
expect "outer descriptor still good in a child" "outer" "${got[7]:-}"
if [ -e /ram ]; then
	echo "FAIL /ram exists on disk"
	fail=1
fi
exit $fail

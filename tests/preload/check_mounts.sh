#!/usr/bin/env bash
# The prefix shows up as a mount point to programs that read the mount
# table: df (with and without a path), df -i, findmnt and stat -c %m, all
# run under the launcher with a known quota and node limit. Each line of
# output is compared with what it must be.
# Usage: check_mounts.sh RAMDIR_BINARY
set -u
ramdir=$1
. "$(dirname "$0")/check_lib.sh"
out=$("$ramdir" -q 64M -n 1000 -- bash -c '
	mkdir -p /ram/d/e
	df -k /ram | tail -1 | awk "{print \$1, \$2, \$6}"
	df -k /ram/d/e | tail -1 | awk "{print \$1, \$2, \$6}"
	df -k | awk "\$6 == \"/ram\" {print \$1, \$2}"
	df -i /ram | tail -1 | awk "{print \$1, \$2, \$6}"
	findmnt -n -o SOURCE,FSTYPE,TARGET /ram | tr -s " "
	stat -c %m /ram/d/e
	df -k /tmp | tail -1 | awk "{print (\$1 == \"ramdir\") ? \"tree\" : \"real\"}"
' 2>&1)
mapfile -t got <<<"$out"
expect "df on the prefix" "ramdir 65536 /ram" "${got[0]:-}"
expect "df on a path inside" "ramdir 65536 /ram" "${got[1]:-}"
expect "df listing" "ramdir 65536" "${got[2]:-}"
expect "df -i: the node limit" "ramdir 1000 /ram" "${got[3]:-}"
expect "findmnt" "ramdir tmpfs /ram" "${got[4]:-}"
expect "stat %m" "/ram" "${got[5]:-}"
expect "a real path stays real" "real" "${got[6]:-}"
exit "$fail"

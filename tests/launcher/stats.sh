#!/usr/bin/env bash
# --stats: the report on stderr after COMMAND, its every line, with
# every number spelled out except the first decimal of space used, which
# depends on what the tree's metadata costs (page maps, about 0.2 %), the
# time, and the open files that exited processes left (issue 4).
# Usage: stats.sh PATH/TO/ramdir
source "$(dirname "$0")/lib.sh"
R=$RAMDIR

# 100 MiB file f and 50 MiB file g written, g removed, f read back once,
# one write refused (200 MiB do not fit next to f), two directories.
job='mkdir -p /ram/a/b &&
	dd if=/dev/zero of=/ram/a/b/f bs=1M count=100 2>/dev/null &&
	dd if=/dev/zero of=/ram/g bs=1M count=50 2>/dev/null && rm /ram/g &&
	cat /ram/a/b/f >/dev/null &&
	{ dd if=/dev/zero of=/ram/refused bs=200M count=1 2>/dev/null; true; }'
# root, tmp, a, b, f, refused = 6 nodes.
check_glob "the full report" 0 "" "ramdir: usage report
  peak               150.? MiB  of 256.0 MiB quota (58.?%)
  final              100.? MiB  of 256.0 MiB quota (39.?%)
  nodes                      6  of 100 limit
  files created              3
  dirs created               2
  written            150.0 MiB
  read               100.0 MiB
  quota refusals             1
  open at exit               ?
  time                  *.?? s" -- "$R" --stats -n 100 sh -c "$job"

check_glob "no node limit, short form -s" 0 "" "ramdir: usage report
  peak            *.? KiB  of 1.0 GiB quota (0.0%)
  final           *.? KiB  of 1.0 GiB quota (0.0%)
  nodes                      2  (no limit)
  files created              0
  dirs created               0
  written                  0 B
  read                     0 B
  quota refusals             0
  open at exit               0
  time                  *.?? s" -- "$R" -s -q 1G true

# Imports count in space and nodes, not in what COMMAND did.
mkdir -p src/d && head -c 3072 /dev/zero >src/d/f
check_glob "imports are not COMMAND's activity" 0 "" "ramdir: usage report
  peak            *.? KiB  of 1.0 MiB quota (*%)
  final           *.? KiB  of 1.0 MiB quota (*%)
  nodes                      3  (no limit)
  files created              0
  dirs created               0
  written                  0 B
  read                 3.0 KiB
  quota refusals             0
  open at exit               0
  time                  *.?? s" -- "$R" -s -T -q 1M -i src sh -c 'cat /ram/d/f >/dev/null'

check "the report goes to stderr only, after COMMAND's output" 0 "out" "" \
	-- sh -c "'$R' -s echo out 2>/dev/null"
check_glob "report also when COMMAND fails" 9 "" "ramdir: usage report
*
  time                  *.?? s" -- "$R" -s sh -c 'exit 9'
check "no report without -s" 0 "" "" -- "$R" true
check_glob "time measures COMMAND" 0 "" "ramdir: usage report
*
  time                  1.* s" -- "$R" -s sleep 1.1

lt_done

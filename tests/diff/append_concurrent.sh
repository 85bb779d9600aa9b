# shellcheck shell=bash
# Scenario (tests/diff/run.sh): two processes appending to one log in ROOT
# at the same time. Every line must arrive, whole (no torn or interleaved
# line), and each writer's lines in its own order, whichever way the
# writers reach the file: each opening it itself with O_APPEND (python3
# os.write per line, python3 buffered writes of many lines at a time, bash
# `echo >> log` reopening it every line), or both inheriting one O_APPEND
# descriptor (bash builtins, and external /bin/echo and python3 processes
# started with the descriptor as their stdout).
# needs: python3 awk
set -u
root=$1
mkdir -p "$root" && cd "$root" || exit 1
show() { echo "== $*"; }
pad=$(printf 'x%.0s' $(seq 1 180))

# Lines are "WRITER SEQ PAD"; report counts, order and anything malformed.
check() { # file writers... (each expected with count N as NAME:N)
	awk -v pad="$pad" -v want="$*" '
		BEGIN { n = split(want, w, " "); for (i = 2; i <= n; i++) { split(w[i], p, ":"); expect[p[1]] = p[2]; last[p[1]] = 0 } }
		{
			if (NF != 3 || !($1 in expect) || $2 !~ /^[0-9]+$/ || $3 != pad) { bad++; if (bad <= 3) printf "malformed line %d: %.60s\n", NR, $0; next }
			got[$1]++
			if ($2 != last[$1] + 1) disorder[$1]++
			last[$1] = $2
		}
		END {
			for (k in expect) printf "%s: %d of %d lines, %d out of order\n", k, got[k], expect[k], disorder[k] + 0
			printf "malformed: %d, total lines: %d\n", bad + 0, NR
		}' "$1" | LC_ALL=C sort
}

show python3 os.write with O_APPEND, each opening the file
writer='
import os, sys
name, n, pad = sys.argv[1], int(sys.argv[2]), sys.argv[3]
while not os.path.exists("go"): pass
fd = os.open("log1", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
for i in range(1, n + 1):
    os.write(fd, ("%s %d %s\n" % (name, i, pad)).encode())
os.close(fd)
'
# Writers start together: each spins until "go" exists.
python3 -c "$writer" A 20000 "$pad" & python3 -c "$writer" B 20000 "$pad" &
sleep 0.3; : >go; wait; rm go
check log1 A:20000 B:20000
stat -c '%n %s' log1

show python3 buffered appends, many lines per write
bwriter='
import os, sys
name, n, pad = sys.argv[1], int(sys.argv[2]), sys.argv[3]
while not os.path.exists("go"): pass
with open("log2", "a", buffering=8192) as f:
    for i in range(1, n + 1):
        f.write("%s %d %s\n" % (name, i, pad))
'
python3 -c "$bwriter" C 20000 "$pad" & python3 -c "$bwriter" D 20000 "$pad" &
sleep 0.3; : >go; wait; rm go
check log2 C:20000 D:20000

show bash reopening the log for every line
w() { for i in $(seq 1 "$2"); do echo "$1 $i $pad" >>log3; done; }
w E 1500 & w F 1500 &
wait
check log3 E:1500 F:1500

show one inherited O_APPEND descriptor, bash builtins
exec 3>>log4
(for i in $(seq 1 1500); do echo "G $i $pad" >&3; done) &
(for i in $(seq 1 1500); do echo "H $i $pad" >&3; done) &
wait
exec 3>&-
check log4 G:1500 H:1500

show one inherited O_APPEND descriptor, external programs
exec 3>>log5
(for i in $(seq 1 300); do /bin/echo "I $i $pad"; done >&3 2>/dev/null) &
python3 -c '
import sys
for i in range(1, 2001):
    sys.stdout.write("K %d %s\n" % (i, sys.argv[1]))
    if i % 7 == 0: sys.stdout.flush()
' "$pad" >&3 &
wait
exec 3>&-
check log5 I:300 K:2000

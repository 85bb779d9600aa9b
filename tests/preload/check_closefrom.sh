#!/usr/bin/env bash
# closefrom/close_range in a process that never had a tree descriptor must
# cost nothing: Python's subprocess (close_fds=True) started from a working
# directory in the tree, 30 children. It once walked every descriptor
# number up to 2^32 (about 3 s per child), so the run is given 30 s where
# it needs well under 5.
# Usage: check_closefrom.sh RAMDIR_BINARY
set -u
ramdir=$1
. "$(dirname "$0")/check_lib.sh"
out=$(timeout 30 "$ramdir" -- python3 -c '
import os, subprocess
os.makedirs("/ram/d")
os.chdir("/ram/d")
for i in range(30):
    subprocess.run(["true"], check=True)
subprocess.run(["sh", "-c", "echo made > f"], check=True)
print(open("f").read().strip())
' 2>&1)
expect "30 subprocesses from a tree directory, in time" "made" "$out"
exit $fail

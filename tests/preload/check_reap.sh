#!/usr/bin/env bash
# Processes that end without closing (kill -9, os._exit) give their open
# tree files back: under an 8 MiB quota a killed process held an unlinked
# 5 MiB file; writing another 5 MiB must succeed (the write that runs out
# of memory first gives back the dead process's references), and the
# launcher's report counts no open file left. Without the ledger the second
# write fails with ENOSPC.
# Usage: check_reap.sh RAMDIR_BINARY
set -u
ramdir=$1
. "$(dirname "$0")/check_lib.sh"
out=$("$ramdir" -q 8M -s -- bash -c '
	head -c 5000000 /dev/zero > /ram/a
	python3 -c "
import os, signal
f = open(\"/ram/a\")
os.unlink(\"/ram/a\")
os.kill(os.getpid(), signal.SIGKILL)"
	echo "killed: $(kill -l $?)"
	head -c 5000000 /dev/zero > /ram/b && echo "second write: ok"
	rm /ram/b
	head -c 5000000 /dev/zero > /ram/c
	python3 -c "
import os
f = open(\"/ram/c\")
os.unlink(\"/ram/c\")
os._exit(3)"
	echo "_exit: $?"
	head -c 5000000 /dev/zero > /ram/d && echo "third write: ok"
' 2>&1)
mapfile -t got < <(grep -E "^(killed|second|_exit|third)" <<<"$out")
expect "a process killed with SIGKILL" "killed: KILL" "${got[0]:-}"
expect "its unlinked file's memory is reused" "second write: ok" "${got[1]:-}"
expect "a process ending with _exit" "_exit: 3" "${got[2]:-}"
expect "its unlinked file's memory is reused" "third write: ok" "${got[3]:-}"
expect "nothing left open at the end" "open at exit 0" "$(grep "open at exit" <<<"$out" | tr -s ' ' | sed 's/^ //')"
exit $fail

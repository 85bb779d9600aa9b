#!/usr/bin/env bash
# splice(2) from a pipe into a tree file that runs out of quota fails with
# ENOSPC and leaves the data in the pipe (the kernel's splice takes nothing
# it could not store); with room again the same splice moves it all.
# Usage: check_splice.sh RAMDIR_BINARY
set -u
ramdir=$1
. "$(dirname "$0")/check_lib.sh"
out=$("$ramdir" -q 1M -- python3 -c '
import errno, os
o = os.open("/ram/out", os.O_WRONLY | os.O_CREAT, 0o644)
big = os.open("/ram/big", os.O_WRONLY | os.O_CREAT, 0o644)
for chunk in (65536, 4096, 1):  # to the last byte of the last page
    try:
        while True:
            os.write(big, b"x" * chunk)
    except OSError as e:
        err = errno.errorcode[e.errno]
print("fill:", err)
r, w = os.pipe()
os.write(w, b"y" * 8192)
os.set_blocking(r, False)  # a wrong splice that took the data must not hang the test
try:
    print("splice:", os.splice(r, o, 8192))
except OSError as e:
    print("splice:", errno.errorcode[e.errno])
try:
    print("left in the pipe:", len(os.read(r, 65536)))
except BlockingIOError:
    print("left in the pipe: 0")
os.write(w, b"z" * 8192)
os.ftruncate(big, 0)
print("after room:", os.splice(r, o, 8192), os.path.getsize("/ram/out"))
' 2>&1)
mapfile -t got <<<"$out"
expect "the tree is full" "fill: ENOSPC" "${got[0]:-}"
expect "a splice that does not fit" "splice: ENOSPC" "${got[1]:-}"
expect "its data stays in the pipe" "left in the pipe: 8192" "${got[2]:-}"
expect "with room, the splice moves it" "after room: 8192 8192" "${got[3]:-}"
exit $fail

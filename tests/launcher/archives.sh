#!/usr/bin/env bash
# --import and --export through the real launcher: round trips of a ZIP
# and of a directory keep modes, mtimes, symlinks and empty directories;
# an export of a tree COMMAND changed passes `unzip -t` and Python's
# zipfile; every refused import (missing, not a ZIP, corrupt, hostile, zip
# bomb, over the quota or the node limit) and export (exists, not empty,
# not writable, under the prefix) stops before COMMAND with one line and
# exit 125 and leaves nothing behind; a killed export never leaves a
# destination that looks complete; without the ZIP module a ZIP is refused
# up front and directories still work. Usage: archives.sh PATH/TO/ramdir
source "$(dirname "$0")/lib.sh"
R=$RAMDIR

# The listing the round trips compare: path, type and mode, size, mtime
# to the second, symlink target; the top directory itself left out.
listing() {
	(cd "$1" && find . -mindepth 1 -printf '%P %M %s %TY-%Tm-%Td %TH:%TM:%.2TS %l\n' | sort)
}

# A source tree with everything a round trip must keep.
mkdir -p src/sub/deep src/emptydir src/ro
echo hello >src/a.txt
printf '#!/bin/sh\necho run\n' >src/sub/run.sh
head -c 100000 /dev/urandom >src/sub/random.bin
ln -s ../a.txt src/sub/up-link
ln -s run.sh src/sub/rel-link
ln -s /etc/hostname src/abs-link
chmod 600 src/a.txt
chmod 755 src/sub/run.sh
chmod 640 src/sub/random.bin
chmod 750 src/sub/deep
chmod 555 src/ro
touch -d '2020-01-02 03:04:05' src/a.txt src/sub/run.sh
touch -d '2001-09-09 01:46:40' src/sub/random.bin
touch -h -d '2019-05-06 07:08:09' src/sub/up-link src/sub/rel-link src/abs-link
touch -d '2018-01-01 00:00:00' src/emptydir src/sub/deep src/ro src/sub
want_listing=$(listing src)

echo "--- round trips"
check "directory in, zip out" 0 "" "" -- "$R" -i src -e rt.zip true
check "unzip -t accepts it" 0 "No errors detected in compressed data of rt.zip." "" \
	-- sh -c 'unzip -t rt.zip | tail -n 1'
check "zip in, directory out" 0 "" "" -- "$R" -i rt.zip -e rt-dir true
expect "dir -> zip -> dir keeps modes, mtimes, symlinks, empty dirs" "$(listing rt-dir)" "$want_listing"
expect "file contents kept" "$(cmp src/sub/random.bin rt-dir/sub/random.bin && echo same)" same
check "zip in, zip out" 0 "" "" -- "$R" -i rt.zip -e rt2.zip true
expect "zip -> zip: the same entries, modes, sizes, mtimes" "$(zipinfo -T rt2.zip | sed 1,2d)" \
	"$(zipinfo -T rt.zip | sed 1,2d)"
mkdir rt2 && (cd rt2 && unzip -q ../rt2.zip)
# (unzip 6.0 does not set the mtime of a symlink it makes: not compared.)
expect "unzip of it gives the tree back" "$(listing rt2 | awk '$2 ~ /^l/ { $4 = $5 = "-" } 1')" \
	"$(echo "$want_listing" | awk '$2 ~ /^l/ { $4 = $5 = "-" } 1')"
check "directory in, directory out" 0 "" "" -- "$R" -i src -e rt-dir2 true
expect "dir -> dir" "$(listing rt-dir2)" "$want_listing"
check "import into a DIR" 0 "/ram/in/sub/run.sh" "" -- "$R" -i rt.zip:/in ls /ram/in/sub/run.sh
check "two imports side by side (and tmp)" 0 "a b tmp" "" -- "$R" -i src:/a -i rt.zip:/b sh -c 'cd /ram && echo *'
check "export into an existing empty directory" 0 "" "" -- sh -c "mkdir empty-dest && '$R' -i src -e empty-dest true"
expect "  has the tree" "$(listing empty-dest)" "$want_listing"

echo "--- export of a tree COMMAND changed"
check "COMMAND changes the tree" 0 "" "" -- "$R" -i rt.zip -e changed.zip sh -c '
	cd /ram && rm a.txt && mv sub/run.sh sub/renamed.sh && mkdir -p new/empty &&
	echo added > new/file && chmod 700 new && ln -s new/file new-link &&
	dd if=/dev/zero of=sub/random.bin bs=1k count=3 conv=notrunc 2>/dev/null &&
	touch -d "2022-02-22 22:22:22" new/file'
check "unzip -t accepts it" 0 "No errors detected in compressed data of changed.zip." "" \
	-- sh -c 'unzip -t changed.zip | tail -n 1'
check "python zipfile accepts it" 0 "None
abs-link|emptydir/|new-link|new/|new/empty/|new/file|ro/|sub/|sub/deep/|sub/random.bin|sub/rel-link|sub/renamed.sh|sub/up-link" "" \
	-- python3 -c 'import zipfile, sys
z = zipfile.ZipFile("changed.zip")
print(z.testzip())
print("|".join(sorted(z.namelist())))'
mkdir changed && (cd changed && unzip -q ../changed.zip)
expect "the changes are in it" "$(cat changed/new/file; stat -c '%a %y' changed/new/file | cut -c1-23
	stat -c %a changed/new; readlink changed/new-link; ls changed/sub)" \
	"added
644 2022-02-22 22:22:22
700
new/file
deep
random.bin
rel-link
renamed.sh
up-link"
expect "a changed file's bytes" "$(head -c 3072 changed/sub/random.bin | tr -d '\0' | wc -c) $(stat -c %s changed/sub/random.bin)" "0 100000"
check "export also when COMMAND failed" 4 "" "" -- "$R" -e failed.zip sh -c 'echo partial > /ram/log; exit 4'
expect "  it is there" "$(unzip -p failed.zip log)" "partial"
check "export also when COMMAND was killed" 137 "" "" -- "$R" -e killed-dir sh -c 'echo k > /ram/k; kill -KILL $$'
expect "  it is there" "$(cat killed-dir/k)" "k"
check "no export when COMMAND cannot start" 127 "" \
	"ramdir: cannot run 'no-such-cmd-xyz': No such file or directory; check the name and PATH" \
	-- "$R" -i src -e never.zip no-such-cmd-xyz
expect "  nothing written" "$(ls never.zip 2>&1)" "ls: cannot access 'never.zip': No such file or directory"

echo "--- refused imports: one line, 125, nothing left"
python3 - <<'PY'
import zipfile, struct
# A zip bomb: 64 MiB of zeros deflate to about 64 KiB.
with zipfile.ZipFile("bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("zeros.bin", b"\0" * (64 << 20))
# The same, lying: both headers claim 1000 bytes.
b = bytearray(open("bomb.zip", "rb").read())
struct.pack_into("<I", b, 22, 1000)
cd = b.find(b"PK\x01\x02")
struct.pack_into("<I", b, cd + 24, 1000)
open("liar.zip", "wb").write(b)
with zipfile.ZipFile("dotdot.zip", "w") as z:
    z.writestr("../escape.txt", b"x")
with zipfile.ZipFile("absolute.zip", "w") as z:
    z.writestr("/etc/escape.txt", b"x")
# A symlink out of the tree, then a file written through it.
with zipfile.ZipFile("through-link.zip", "w") as z:
    i = zipfile.ZipInfo("out")
    i.create_system = 3
    i.external_attr = (0o120777 << 16)
    z.writestr(i, "/tmp")
    z.writestr("out/escape.txt", b"x")
with zipfile.ZipFile("many.zip", "w") as z:
    for n in range(50):
        z.writestr(f"f{n}", b"x")
with zipfile.ZipFile("good.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("a/b.txt", b"hello" * 1000)
good = open("good.zip", "rb").read()
open("truncated.zip", "wb").write(good[: len(good) // 2])
c = bytearray(good)
c[40] ^= 0xFF
c[45] ^= 0xFF
open("flipped.zip", "wb").write(bytes(c))
open("text.zip", "w").write("not a zip")
open("notes.txt", "w").write("not a zip either")
PY
before=$(snapshot)
# The launcher's part of each line is spelled out; the archive module's
# reason in the middle is matched on its key words (* stands for the rest;
# bash patterns take "*(" as extglob, hence \\( before a parenthesis).
refused() { # name message-pattern args...
	local name=$1 msg=$2
	shift 2
	check_glob "$name" 125 "" "ramdir: $msg" -- "$R" "$@" sh -c 'echo COMMAND ran'
	expect "  left nothing" "$(snapshot)" "$before"
}
refused "missing" "--import 'nope.zip': No such file or directory; give an existing .zip or directory" \
	-i nope.zip
refused "missing, DIR without /" \
	"--import 'good.zip:in': No such file or directory; give an existing .zip or directory (DIR after ':' must start with '/')" \
	-i good.zip:in
refused "not a ZIP" "--import 'notes.txt' is neither a directory nor a ZIP archive; give a .zip or a directory" \
	-i notes.txt
refused "a device" "--import '/dev/null' is neither a directory nor a ZIP archive; give a .zip or a directory" \
	-i /dev/null
refused ".zip that is not one" \
	"--import 'text.zip' refused: *not a valid ZIP archive*; nothing was imported, repair or re-create the archive" \
	-i text.zip
refused "truncated" \
	"--import 'truncated.zip' refused: *not a valid ZIP archive*; nothing was imported, repair or re-create the archive" \
	-i truncated.zip
refused "corrupt data" \
	"--import 'flipped.zip' refused: *\"a/b.txt\"*data error; nothing was imported, repair or re-create the archive" \
	-i flipped.zip
refused "escape with .." \
	"--import 'dotdot.zip' refused: *\"../escape.txt\"*\\(hostile archive\\); nothing was imported, repair or re-create the archive" \
	-i dotdot.zip
refused "escape with an absolute name" \
	"--import 'absolute.zip' refused: *\"/etc/escape.txt\"*\\(hostile archive\\); nothing was imported, repair or re-create the archive" \
	-i absolute.zip
refused "escape through a symlink" \
	"--import 'through-link.zip' refused: *\"out/escape.txt\"*symlink*\\(hostile archive\\); nothing was imported, repair or re-create the archive" \
	-i through-link.zip
refused "DIR with .." "--import 'good.zip:/a/../..': DIR '/a/../..' contains '..'; give a plain path in the tree such as /src" \
	-i good.zip:/a/../..
refused "zip bomb against a 1M quota" \
	"--import 'bomb.zip' refused: *67108864 bytes*quota*; nothing was imported, raise --quota or --max-nodes, or import less" \
	-q 1M -i bomb.zip
refused "lying zip bomb" \
	"--import 'liar.zip' refused: *\"zeros.bin\"*more data than its declared size*; nothing was imported, repair or re-create the archive" \
	-q 1M -i liar.zip
refused "over the node limit" \
	"--import 'many.zip' refused: *node limit*; nothing was imported, raise --quota or --max-nodes, or import less" \
	-n 10 -i many.zip
refused "the second import collides" \
	"--import 'good.zip' refused: *a\" already exists*; nothing was imported, import it into another DIR (SRC:/DIR)" \
	-i good.zip -i good.zip
check "a bomb that fits is fine" 0 "67108864" "" -- "$R" -q 128M -i bomb.zip stat -c %s /ram/zeros.bin
check "nothing half-imported: the first import stays whole" 0 "/ram/a/b.txt 5000" "" -- "$R" -i good.zip sh -c 'find /ram/a -type f -printf "%p %s\n"'

echo "--- refused exports: one line, 125, before COMMAND, nothing left"
mkdir full-dir && : >full-dir/x && : >a-file && : >exists.zip && mkdir empty-ok
before=$(snapshot)
refused "zip exists" "--export 'exists.zip' already exists; remove it or give a new name" -e exists.zip
refused "dir not empty" "--export 'full-dir' is a directory that is not empty; give a new path or an empty directory" \
	-e full-dir
refused "a file" "--export 'a-file' exists and is not a directory; give a new path or an empty directory" \
	-e a-file
refused "the current directory" "--export '.' does not name a new entry; give a path such as out.zip or out/" \
	-e .
refused "parent missing" "--export 'no/such/dir/out.zip': cannot write in 'no/such/dir' (No such file or directory); give a writable place" \
	-e no/such/dir/out.zip
refused "under the prefix" "--export '/ram/out.zip' is under --prefix /ram, which is gone when COMMAND ends; give a path outside it" \
	-e /ram/out.zip
refused "under a custom prefix, relative" "--export 'mnt/out' is under --prefix $WORK/mnt, which is gone when COMMAND ends; give a path outside it" \
	-p "$WORK/mnt" -e mnt/out
# A place the launcher cannot write: a read-only bind mount for root
# (who may write anywhere else), a mode 555 directory for anyone else.
mkdir ro-dir
before=$(snapshot)
if [ "$(id -u)" -ne 0 ]; then
	chmod 555 ro-dir
	check "not writable" 125 "" \
		"ramdir: --export '$WORK/ro-dir/out.zip': cannot write in '$WORK/ro-dir' (Permission denied); give a writable place" \
		-- "$R" -e "$WORK/ro-dir/out.zip" sh -c 'echo COMMAND ran'
elif ! unshare -m true 2>/dev/null; then
	echo "skip not writable: root, and no mount namespace to make a read-only place"
else
	check "not writable (read-only mount)" 125 "" \
		"ramdir: --export '$WORK/ro-dir/out.zip': cannot write in '$WORK/ro-dir' (Read-only file system); give a writable place" \
		-- unshare -m sh -c "mount --bind ro-dir ro-dir && mount -o remount,bind,ro ro-dir &&
			exec '$R' -e '$WORK/ro-dir/out.zip' sh -c 'echo COMMAND ran'"
fi
expect "  left nothing" "$(snapshot)" "$before"

echo "--- an interrupted export never looks complete"
# 40000 files take about a second to export; kill ramdir as soon as the
# partial directory appears.
"$R" -q 1G -e big-dir python3 -c '
import os
for d in range(40):
    os.mkdir(f"/ram/d{d}")
    for i in range(1000):
        with open(f"/ram/d{d}/f{i}", "w") as f:
            f.write("x" * 100)
' &
pid=$!
for _ in $(seq 4000); do
	compgen -G 'big-dir.ramdir-partial-*' >/dev/null && break
	sleep 0.05
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null
expect "killed during the export: no big-dir" "$(ls -d big-dir 2>&1)" \
	"ls: cannot access 'big-dir': No such file or directory"
expect "  only a partial directory named as such" "$(compgen -G 'big-dir.ramdir-partial-*' | wc -l)" 1

echo "--- without the ZIP module"
# The launcher loads lib/libramdir_zip.so only for a ZIP: a copy of it
# beside libramdir.so alone runs directories, and refuses a ZIP up front.
mkdir -p nomod/bin nomod/lib nomod-src
cp "$R" nomod/bin/ramdir
cp "$(dirname "$R")/../lib/libramdir.so" nomod/lib/
echo x >nomod-src/f
"$R" -e nomod.zip sh -c 'echo x > /ram/f'
mod="$WORK/nomod/bin/../lib/libramdir_zip.so"
before=$(snapshot)
check "a ZIP import: one line naming the module" 125 "" \
	"ramdir: --import 'nomod.zip' is a ZIP archive, but the ZIP module '$mod' cannot be read (No such file or directory); reinstall ramdir" \
	-- nomod/bin/ramdir -i nomod.zip sh -c 'echo COMMAND ran'
check "a ZIP export: the same, before COMMAND" 125 "" \
	"ramdir: --export 'nomod-out.zip' is a ZIP archive, but the ZIP module '$mod' cannot be read (No such file or directory); reinstall ramdir" \
	-- nomod/bin/ramdir -e nomod-out.zip sh -c 'echo COMMAND ran'
expect "  left nothing" "$(snapshot)" "$before"
check "directories need no module" 0 "x" "" \
	-- nomod/bin/ramdir -i nomod-src:/in -e nomod-out sh -c 'cat /ram/in/f'
expect "  exported" "$(cat nomod-out/in/f)" "x"

lt_done

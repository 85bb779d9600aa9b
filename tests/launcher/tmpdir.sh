#!/usr/bin/env bash
# TMPDIR: by default COMMAND gets TMPDIR=PREFIX/tmp, a mode 1777 directory
# in the tree, so temp files are in memory and under the quota; -T and
# --no-tmpdir keep the caller's TMPDIR; an imported tmp directory is used
# as it is; the tmp ramdir made is not exported; and a unix socket can be
# bound in the tree's TMPDIR (an abstract socket underneath, as the help
# text says) and reached by its path.
# Usage: tmpdir.sh PATH/TO/ramdir
source "$(dirname "$0")/lib.sh"
R=$RAMDIR

check "TMPDIR is PREFIX/tmp, mode 1777, in the tree" 0 "/ram/tmp
1777 directory
tmpfs" "" -- "$R" sh -c 'echo "$TMPDIR"; stat -c "%a %F" "$TMPDIR"; stat -f -c %T "$TMPDIR"'
mkdir mnt
check "with --prefix" 0 "$WORK/mnt/tmp" "" -- "$R" -p "$WORK/mnt" printenv TMPDIR
check "the caller's TMPDIR is replaced" 0 "/ram/tmp" "" -- env TMPDIR=/elsewhere "$R" printenv TMPDIR
check "mktemp lands in the tree" 0 "in tree
kept" "" -- "$R" sh -c 'f=$(mktemp) && case $f in /ram/tmp/tmp.*) echo in tree;; esac &&
	echo kept > "$f" && cat "$f"'
check "python tempfile uses it" 0 "/ram/tmp True" "" -- "$R" python3 -c '
import tempfile, os
with tempfile.NamedTemporaryFile() as f:
    f.write(b"x"); f.flush()
    print(tempfile.gettempdir(), os.path.exists(f.name))'
check "nothing under the prefix on disk" 0 "" "" \
	-- "$R" -p "$WORK/mnt" sh -c 'mktemp >/dev/null; mktemp -d >/dev/null'
expect "  the real directory stays empty" "$(ls -A mnt)" ""
check "temp files count against the quota" 0 "1" "" -- "$R" -q 1M sh -c \
	'dd if=/dev/zero of="$TMPDIR/big" bs=2M count=1 2>/dev/null; echo $?'
check "the tree root stays 1777 too" 0 "1777" "" \
	-- "$R" stat -c %a /ram

echo "--- -T, --no-tmpdir"
check "-T keeps the caller's TMPDIR" 0 "/elsewhere" "" -- env TMPDIR=/elsewhere "$R" -T printenv TMPDIR
check "--no-tmpdir keeps it unset" 1 "" "" -- env -u TMPDIR "$R" --no-tmpdir printenv TMPDIR
check "-T makes no tmp in the tree" 0 "" "" -- "$R" -T ls -A /ram
check "-T with a quota too small for tmp" 0 "" "" -- "$R" -T -n 1 true

echo "--- imports and tmp"
mkdir -p has-tmp/tmp && echo mine >has-tmp/tmp/file && chmod 700 has-tmp/tmp
check "an imported tmp directory is used as it is" 0 "/ram/tmp
700 mine" "" -- "$R" -i has-tmp sh -c 'echo "$TMPDIR"; echo "$(stat -c %a /ram/tmp) $(cat /ram/tmp/file)"'
mkdir -p tmp-file && echo not a dir >tmp-file/tmp
before=$(snapshot)
check "an imported tmp that is a file" 125 "" \
	"ramdir: /ram/tmp from --import is not a directory; rename it in the import or pass --no-tmpdir" \
	-- "$R" -i tmp-file sh -c 'echo COMMAND ran'
check "  -T lets it through" 0 "not a dir" "" -- "$R" -T -i tmp-file cat /ram/tmp
check "no room for tmp" 125 "" \
	"ramdir: no room for /ram/tmp under --quota/--max-nodes; raise them or pass --no-tmpdir" \
	-- "$R" -n 1 sh -c 'echo COMMAND ran'
expect "  errors left nothing" "$(snapshot)" "$before"

echo "--- export and tmp"
check "the tmp ramdir made is not exported" 0 "" "" \
	-- "$R" -e out.zip sh -c 'mktemp >/dev/null; mkdir "$TMPDIR/d"; echo r > /ram/result'
expect "  only the result" "$(unzip -Z1 out.zip)" "result"
check "so is a deep one with a read-only directory in it" 0 "" "" -- "$R" -e out-deep.zip python3 -c '
import os
p = os.environ["TMPDIR"]
for i in range(1000):
    p += "/d"
    os.mkdir(p)
open(p + "/f", "w").write("x")
os.chmod(os.environ["TMPDIR"] + "/d", 0o500)
open("/ram/result", "w").write("r")'
expect "  only the result" "$(unzip -Z1 out-deep.zip)" "result"
check "an imported tmp is exported" 0 "" "" -- "$R" -i has-tmp -e out2.zip true
expect "  with its file" "$(unzip -Z1 out2.zip | sort)" "tmp/
tmp/file"
check "with -T, a tmp COMMAND made is exported" 0 "" "" -- "$R" -T -e out3.zip mkdir /ram/tmp
expect "  it is there" "$(unzip -Z1 out3.zip)" "tmp/"

echo "--- programs in TMPDIR"
check "a script made in TMPDIR runs" 0 "ran from the tree" "" -- "$R" sh -c \
	'f=$(mktemp) && printf "#!/bin/sh\necho ran from the tree\n" > "$f" && chmod +x "$f" && "$f"'

echo "--- unix sockets in TMPDIR"
sock='import socket, os
p = os.path.join(os.environ.get("TMPDIR", "/tmp"), "s.sock")
s = socket.socket(socket.AF_UNIX)
try:
    s.bind(p)
    s.listen(1)
    c = socket.socket(socket.AF_UNIX)
    c.connect(p)
    print("bound and reached", os.path.exists(p))
except OSError as e:
    print("refused", e)'
check "a unix socket is bound in the tree's TMPDIR and reached by its path" 0 "bound and reached True" "" \
	-- "$R" python3 -c "$sock"
check "  and with -T in the caller's TMPDIR" 0 "bound and reached True" "" \
	-- env TMPDIR="$WORK" "$R" -T python3 -c "$sock"

lt_done

# Differential scenario for two prefixes (run by check_multi.sh): the same
# steps on two real directories on two different file systems (a tmpfs and
# the disk) and under libramdir.so with RAMDIR_PREFIX=A:B must print the
# same. A and B exist; their parents hold a file "marker".
# Usage: bash multi_scenario.sh A B
set -u
A=$1
B=$2
py() { python3 - "$A" "$B"; }

echo "--- files in both"
cd "$A" || exit 1
echo one > f1
mkdir -p d/e
echo deep > d/e/f
cd "$B" || exit 1
echo two > f2
cat "$A/f1" "$B/f2" "$A/d/e/f"
ls "$A" "$B"

echo "--- .. out of each root"
cat "$A/../marker" "$B/../marker"
cat "$A/d/e/../../../marker"
(cd "$A/d/e" && cd ../../.. && cat marker && pwd -P)
(cd "$B" && cd .. && cat marker && /bin/pwd)
py <<'PY'
import os, sys
a, b = sys.argv[1:]
print(open(a + "/d/../../marker").read().strip())
fd = os.open(b, os.O_RDONLY | os.O_DIRECTORY)
print(open("../marker", opener=lambda p, f: os.open(p, f, dir_fd=fd)).read().strip())
os.close(fd)
print(os.path.realpath(a + "/d/e/../../.."))
print(os.path.realpath(b + "/.."))
PY

echo "--- getcwd inside each"
cd "$A/d/e" && pwd -P && /bin/pwd && python3 -c 'import os; print(os.getcwd())' && realpath ../e/f
cd "$B" && /bin/pwd && readlink -f . && python3 -c 'import os; print(os.getcwd())'
cd "$A" && realpath -e d/e/f

echo "--- rename and link between the prefixes: EXDEV"
py <<'PY'
import errno, os, sys
a, b = sys.argv[1:]
def attempt(what, fn, *args):
    try:
        fn(*args)
        print(what, "ok")
    except OSError as e:
        print(what, errno.errorcode[e.errno])
attempt("rename file", os.rename, a + "/f1", b + "/f1")
attempt("rename over a file", os.rename, a + "/f1", b + "/f2")
attempt("rename dir", os.rename, a + "/d", b + "/d")
attempt("link", os.link, a + "/f1", b + "/f1")
attempt("rename within A", os.rename, a + "/f1", a + "/d/f1")
attempt("rename back", os.rename, a + "/d/f1", a + "/f1")
attempt("link within B", os.link, b + "/f2", b + "/f2-link")
print("one device within B:", os.stat(b + "/f2").st_dev == os.stat(b).st_dev)
PY

echo "--- mv between the prefixes falls back to a copy"
mv "$A/f1" "$B/f1"
echo "mv file: $?"
mv "$A/d" "$B/d"
echo "mv dir: $?"
ls "$A" "$B"
cat "$B/f1" "$B/d/e/f"
cp -r "$B/d" "$A/d2" && find "$A" | sort
mv "$B/f2" "$A/" && cat "$A/f2"

echo "--- symlinks between the prefixes"
ln -s "$B/f1" "$A/to-b" && cat "$A/to-b"
ln -s ../root/f1 "$B/rel" && cat "$B/rel"
ln -s ../marker "$A/up" && cat "$A/up"

echo "--- remove what is inside each"
rm -r "$A"/* "$B"/*
echo "rm: $?"
ls -A "$A" "$B"

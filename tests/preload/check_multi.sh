#!/usr/bin/env bash
# Two prefixes in one tree (RAMDIR_PREFIX=A:B).
#
# First, differentially: multi_scenario.sh runs on two real directories on
# two different file systems (A on the tmpfs /dev/shm, B on the disk, so a
# rename between them is EXDEV there too) and under libramdir.so with two
# prefixes whose parents hold the same files; the transcripts, with the
# roots and their parents spelled ROOTA, ROOTB, PARENTA, PARENTB, must be
# equal, and nothing may appear on disk under the prefixes.
#
# Then what has no real counterpart here (the prefixes as mount points of
# one device with one quota), each checked against the answer it must be.
# Usage: check_multi.sh LIBRAMDIR
set -u
lib=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
shm=$(mktemp -d /dev/shm/ramdir-multi.XXXXXX)
trap 'rm -rf "$work" "$shm"' EXIT
. "$(dirname "$0")/check_lib.sh"

mkdir -p "$shm/pa/root" "$work/pb/root" "$work/ra" "$work/rb" "$work/cwd"
for d in "$shm/pa" "$work/ra"; do echo marker-a > "$d/marker"; done
for d in "$work/pb" "$work/rb"; do echo marker-b > "$d/marker"; done
A=$work/ra/root
B=$work/rb/root
ram() { (cd "$work/cwd" && env LD_PRELOAD="$lib" RAMDIR_PREFIX="$A:$B" RAMDIR_QUOTA=${Q:-64M} "$@"); }

echo "--- differential: tmpfs + disk against two prefixes"
if [ "$(stat -c %d "$shm")" = "$(stat -c %d "$work")" ]; then
	echo "skip: $shm and $work are on one file system here (TMPDIR on tmpfs?)"
else
	(cd "$work/cwd" && bash "$here/multi_scenario.sh" "$shm/pa/root" "$work/pb/root") >"$work/real.out" 2>&1
	rc_real=$?
	ram bash "$here/multi_scenario.sh" "$A" "$B" >"$work/ram.out" 2>&1
	rc_ram=$?
	sed -i -e "s#$shm/pa/root#ROOTA#g" -e "s#$work/pb/root#ROOTB#g" -e "s#$shm/pa#PARENTA#g" \
		-e "s#$work/pb#PARENTB#g" "$work/real.out"
	sed -i -e "s#$A#ROOTA#g" -e "s#$B#ROOTB#g" -e "s#$work/ra#PARENTA#g" -e "s#$work/rb#PARENTB#g" \
		"$work/ram.out"
	if diff -u --label tmpfs+disk --label ramdir "$work/real.out" "$work/ram.out"; then
		echo "ok   same transcript ($(wc -l <"$work/ram.out") lines)"
	else
		echo "FAIL transcripts differ"
		fail=1
	fi
	expect "same exit status" "$rc_real" "$rc_ram"
	expect "nothing on disk under the prefixes" "" "$(ls -d "$A" "$B" 2>&1 | grep -v 'No such')"
fi

echo "--- the prefixes as mount points of one device"
out=$(ram python3 - "$A" "$B" <<'PY' 2>&1
import errno, os, sys
a, b = sys.argv[1:]
def attempt(what, fn, *args):
    try:
        fn(*args)
        print(what, "ok")
    except OSError as e:
        print(what, errno.errorcode[e.errno])
attempt("rmdir A", os.rmdir, a)
attempt("rmdir B", os.rmdir, b + "/")
attempt("rename B into A", os.rename, b, a + "/b")
attempt("rename a dir over A", lambda: (os.mkdir(b + "/x"), os.rename(b + "/x", a))[1])
print("one device:", os.stat(a).st_dev == os.stat(b).st_dev)
print("mode of each root:", oct(os.stat(a).st_mode & 0o7777), oct(os.stat(b).st_mode & 0o7777))
os.chdir(b)
print("getcwd at B:", os.getcwd() == b)
os.chdir("..")
print("getcwd after .. from B:", os.getcwd() == os.path.dirname(b))
PY
)
expect "rmdir and rename of the roots" "rmdir A EBUSY
rmdir B EBUSY
rename B into A EXDEV
rename a dir over A EXDEV
one device: True
mode of each root: 0o1777 0o1777
getcwd at B: True
getcwd after .. from B: True" "$out"

# df reads the mount table: a line for each prefix, one quota.
out=$(Q=8M ram bash -c "df -k '$A' '$B' | awk 'NR > 1 {print \$1, \$2, \$6}'; \
	findmnt -n -o SOURCE,FSTYPE,TARGET '$B' | tr -s ' '; \
	findmnt -n -o SOURCE,FSTYPE,TARGET '$A' | tr -s ' '; \
	mkdir -p '$B/d/e' && stat -c %m '$B/d/e' '$A'" 2>&1)
expect "df, findmnt, mounts, stat %m" "ramdir 8192 $A
ramdir 8192 $B
ramdir tmpfs $B
ramdir tmpfs $A
$B
$A" "$out"

# One quota: what A holds is gone from B's room.
out=$(Q=8M ram bash -c "dd if=/dev/zero of='$A/x' bs=1M count=5 2>/dev/null; echo a=\$?; \
	dd if=/dev/zero of='$B/y' bs=1M count=5 2>/dev/null; echo b=\$?; \
	rm '$A/x'; dd if=/dev/zero of='$B/y' bs=1M count=5 2>/dev/null; echo again=\$?; \
	df -k '$A' | awk 'NR == 2 {print (\$3 > 5000) ? \"used\" : \"free\"}'" 2>&1)
expect "one quota for both prefixes" "a=0
b=1
again=0
used" "$out"

# Children with the same list join the tree; another list is another tree.
out=$(ram bash -c "echo shared > '$B/s'; bash -c 'cat \"$B/s\"'; \
	RAMDIR_PREFIX='$B:$A' bash -c 'cat \"$B/s\" 2>&1 | sed \"s#.*: ##\"'; \
	RAMDIR_PREFIX='$A' bash -c 'ls \"$B\" 2>&1 | sed \"s#.*: ##\"'" 2>&1)
expect "children join; another list makes another tree" "shared
No such file or directory
No such file or directory" "$out"

echo "--- lists the library refuses"
refuse() { # label value message
	local got
	got=$(cd "$work/cwd" && env LD_PRELOAD="$lib" RAMDIR_PREFIX="$2" /bin/true 2>&1)
	expect "$1 (status)" 125 "$?"
	expect "$1 (message)" "$3" "$got"
}
refuse "nested" "$work/a:$work/a/b" \
	"ramdir: RAMDIR_PREFIX='$work/a:$work/a/b': '$work/a' and '$work/a/b' are nested; give only the outer one"
refuse "duplicate" "$work/a:$work//a/" "ramdir: RAMDIR_PREFIX='$work/a:$work//a/' gives '$work/a' twice; give it once"
refuse "relative" "$work/a:rel" "ramdir: RAMDIR_PREFIX='$work/a:rel': 'rel' is not an absolute path (use e.g. /ram)"
refuse "empty element" "$work/a:" "ramdir: RAMDIR_PREFIX='$work/a:': '' is not an absolute path (use e.g. /ram)"
refuse "root in a list" "$work/a:/" \
	"ramdir: RAMDIR_PREFIX='$work/a:/': '/' is the root; choose a directory such as /ram"
refuse "system directory" "$work/a:/proc/x" \
	"ramdir: RAMDIR_PREFIX='$work/a:/proc/x': '/proc/x' is under a system directory (/proc, /dev, /sys); choose one such as /ram"
refuse "too many" "$(printf "$work/p%d:" $(seq 1 16))$work/p17" \
	"ramdir: RAMDIR_PREFIX='$(printf "$work/p%d:" $(seq 1 16))$work/p17' names more than 16 prefixes; use fewer"
refuse "one prefix, as before" "ram" "ramdir: RAMDIR_PREFIX='ram' is not an absolute path (use e.g. /ram)"

exit "$fail"

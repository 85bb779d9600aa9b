# shellcheck shell=bash
# Scenario (tests/diff/run.sh): the coreutils issue 4 names, each run as its
# own process on files in ROOT: mkdir -p, cp -r, cp -a, mv, ln, ln -s, ls -l,
# stat, find, du, sort -T (temporary files in the tree, also through gzip
# children), split, dd, truncate, touch -d, chmod, rm -r, diff -r, cmp, tee,
# xargs, install. Inputs are written by bash builtins; what is compared is
# what the tools print and what they leave behind (modes, sizes, blocks,
# link counts, fixed times, content hashes), never inode or device numbers.
# needs: md5sum gzip
set -u
root=$1
show() { echo "== $*"; }
# Everything under a directory, one line per entry, in a fixed order.
# The size of a symlink is its target's length, so one pointing into ROOT
# is printed as its length past ROOT (ROOT's own length differs by side).
list() {
	find "$@" -printf '%y %m %n %s %P %l\n' |
		awk -v r="$root" '$1 == "l" && index($6, r) == 1 { $4 = "ROOT+" ($4 - length(r)) } 1' |
		LC_ALL=C sort
}
# No times: most files here were just made. Fixed times are printed apart.
st() { stat -c '%n %F %s %b %a %A %h %U %G' "$@"; }
mt() { stat -c '%n %Y' "$@"; }
T='2026-01-02 03:04:05'

show mkdir -p
mkdir -p "$root/a/b/c" "$root/a/d" && echo "made" || exit 1
cd "$root" || exit 1
mkdir -p a/b/c && echo "again: $?"
mkdir a 2>&1; echo "plain mkdir of existing: $?"
mkdir -p -m 0750 m/n && st m m/n
printf 'file\n' >a/f
mkdir -p a/f/g 2>&1; echo "under a file: $?"

show inputs
for i in $(seq 1 3000); do printf 'line %05d %s\n' $(((i * 7919) % 3001)) "$((i % 13))"; done >data
printf 'alpha\n' >a/b/one.txt
printf 'beta\nbeta\n' >a/b/c/two.txt
printf '%s\n' {1..500} >a/d/nums.txt
md5sum data a/b/one.txt a/b/c/two.txt a/d/nums.txt
touch -d "$T" a/b/one.txt a/b/c/two.txt a/d/nums.txt a/f a/b/c a/b a/d a

show ln ln -s
ln a/b/one.txt hard && st a/b/one.txt hard && mt hard
[ a/b/one.txt -ef hard ] && echo "same file"
ln a/b/one.txt hard 2>&1; echo "ln over existing: $?"
ln -s b/one.txt a/rel && ln -s "$root/a/d" abs && ln -s missing dangling
touch -h -d "$T" a/rel abs dangling
readlink a/rel abs dangling | sed "s#$root#ROOT#"
cat a/rel && ls abs/
cat dangling 2>&1; echo "dangling: $?"
ln -sf b/c/two.txt a/rel && cat a/rel && touch -h -d "$T" a/rel a
ln -s a linkdir && ln -sn a/d linkdir 2>&1; echo "ln -sn over existing: $?"
ln -s /nonexistent/x abs-dangling && [ -L abs-dangling ] && [ ! -e abs-dangling ] && echo "absolute dangling link"

show ls -l
ls -l --time-style='+%F %T' a a/b | sed "s#$root#ROOT#"
ls -la --time-style='+%F %T' a/b/c
ls -lL --time-style='+%F %T' a/rel
ls -ld --time-style='+%F %T' dangling
ls -ld --time-style='+%F %T' abs | awk -v n=${#root} '{ $5 = "ROOT+" ($5 - n); print }' | sed "s#$root#ROOT#"
ls -1 a/b/c/two.txt nothing-here 2>&1; echo "ls missing: $?"
ls -R a | head -20

show stat
st a a/b a/b/one.txt a/d/nums.txt hard data
mt a a/b a/b/one.txt a/d/nums.txt a/rel
stat -c '%n %F %s %N' a/rel dangling
stat -c '%n %F %s %N' abs | awk -v n=${#root} '{ $4 = "ROOT+" ($4 - n); print }' | sed "s#$root#ROOT#"
stat -L -c '%n %F %s' a/rel abs
stat -c '%n' nothing-here 2>&1; echo "stat missing: $?"

show cp -r
cp -r a copy && list copy
cp -r a/b/one.txt a/b/c copy2 2>&1; echo "cp many into missing dir: $?"
mkdir into && cp -r a/b/one.txt a/b/c into && list into
cp a/d a/x 2>&1; echo "cp dir without -r: $?"

show cp -a
cp -a a archive && list archive
st archive/b/one.txt archive/b archive/rel
mt archive/b/one.txt archive/b archive/rel archive/b/c archive
[ archive/b/one.txt -ef hard ] || echo "cp -a made a copy, not a link"
ln a/d/nums.txt a/d/nums2.txt && cp -a a/d dcopy && st dcopy/nums.txt dcopy/nums2.txt && mt dcopy/nums.txt
[ dcopy/nums.txt -ef dcopy/nums2.txt ] && echo "cp -a kept the hard link"
cmp data <(cat data) && cp --sparse=always data data.cp && cmp data data.cp && echo "cp of data"

show mv
mv copy/b/one.txt copy/one.moved && ls copy copy/b
mv copy moved && ls -d copy moved 2>&1
mv moved/d "${TMPDIR:?}/d-moved" && ls "${TMPDIR:?}/d-moved" && mv "${TMPDIR:?}/d-moved" moved/d-back && ls moved
mv -n moved/one.moved data 2>&1; cmp data data.cp && echo "mv -n kept data"
mv moved/one.moved moved/d-back/ && ls moved/d-back
mv nothing-here x 2>&1; echo "mv missing: $?"
mv a a/b/inside 2>&1; echo "mv into itself: $?"

show touch -d
touch -d '2001-02-03 04:05:06' data.cp && stat -c '%n %Y %y' data.cp
touch -d '@1234567890' -m a/b/one.txt && stat -c '%n %Y' a/b/one.txt
touch -r a/b/one.txt data.cp && stat -c '%n %Y' data.cp
touch new-empty && stat -c '%n %s %b' new-empty
touch -c not-created && ls not-created 2>&1; echo "touch -c: $?"

show chmod
chmod 0600 a/b/one.txt && st a/b/one.txt
chmod u+x,g+r,o-rwx data.cp && stat -c '%n %a %A' data.cp
chmod -R go-rwx archive && find archive -printf '%m %P\n' | LC_ALL=C sort
chmod 4755 new-empty && stat -c '%n %a %A' new-empty
chmod 1777 m && stat -c '%n %a %A' m
chmod --reference=a/b/one.txt new-empty && stat -c '%n %a' new-empty
chmod 644 dangling 2>&1; echo "chmod dangling: $?"

show truncate
truncate -s 10000 t1 && st t1
truncate -s +5 t1 && stat -c '%n %s %b' t1
truncate -s 1M sparse && stat -c '%n %s %b' sparse && cmp sparse /dev/zero 2>&1 | sed 's/differ.*/differ/'
truncate -s 3 data.cp && stat -c '%n %s' data.cp && od -c data.cp
truncate -s 0 t1 && stat -c '%n %s %b' t1
truncate -s 8K -c t-missing && ls t-missing 2>&1; echo "truncate -c: $?"

show dd
dd if=/dev/zero of=zeros bs=4096 count=10 status=none && stat -c '%n %s %b' zeros
dd if=data of=slice bs=1 skip=10 count=20 status=none && od -c slice
dd if=data bs=100 skip=2 count=3 status=none | md5sum
dd if=slice of=zeros bs=1 seek=5000 conv=notrunc status=none && stat -c '%n %s' zeros && md5sum zeros
dd if=slice of=holey bs=1 seek=100000 status=none && stat -c '%n %s %b' holey
dd if=data of=data.dd bs=777 status=none && cmp data data.dd && echo "dd copy identical"
dd if=nothing-here of=x status=none 2>&1; echo "dd missing: $?"

show split
mkdir parts && split -l 700 -d data parts/p. && ls parts && wc -l parts/* | tail -1
cat parts/p.* | cmp - data && echo "split joins back"
split -b 10000 -a 3 data parts/b. && ls parts | grep -c '^b\.' && stat -c '%n %s' parts/b.aaa
split -n 3 a/d/nums.txt parts/n. && wc -c parts/n.* | LC_ALL=C sort

show sort -T
sort -S 16K -T "$root/a" data | md5sum
sort -S 16K data | md5sum
sort -S 16K -k3,3n -k2,2 -T "${TMPDIR:?}" -o sorted data && md5sum sorted && head -3 sorted
sort -S 16K --compress-program=gzip -T "$root/m" data | md5sum
sort -S 16K -T "$root/no-such-dir" data 2>&1 | sed "s#$root#ROOT#" | head -2
sort -m sorted sorted | wc -l
sort -c data 2>&1 | head -1; sort -c -k3,3n -k2,2 sorted && echo "sorted is sorted"
ls -A a m

show tee
printf 'tee line\n' | tee t-a t-b >/dev/null && cat t-a t-b
printf 'more\n' | tee -a t-a | tr a-z A-Z && cat t-a
tee nothing-here/x </dev/null 2>&1 | sed "s#$root#ROOT#"; echo "tee into missing dir: ${PIPESTATUS[0]}"

show xargs
find a -name '*.txt' -print0 | LC_ALL=C sort -z | xargs -0 md5sum
printf '%s\n' a/b/one.txt a/d/nums.txt >list.txt && xargs -a list.txt wc -c
mkdir xa && xargs -a list.txt -I{} cp {} xa/ && ls xa
seq 1 10 | xargs -n 3 echo
printf 'x\n' | xargs -I{} sh -c 'echo {} >> "$1"/xa/from-sh' sh "$root" && cat xa/from-sh
xargs -a nothing-here echo 2>&1; echo "xargs missing: $?"

show install
install -m 0755 -D a/b/one.txt inst/deep/path/tool && st inst/deep/path/tool
install -d -m 0700 inst/dir && stat -c '%n %a %F' inst/dir
install -m 0640 -t inst/dir a/d/nums.txt a/b/c/two.txt && find inst -printf '%m %s %P\n' | LC_ALL=C sort
install -p -m 0644 a/d/nums.txt inst/kept && stat -c '%n %Y' inst/kept
install a/b/c inst/x 2>&1; echo "install a directory: $?"

show find
find . -type l -printf '%p %l\n' | sed "s#$root#ROOT#" | LC_ALL=C sort
find . -name '*.txt' -newer data.cp | LC_ALL=C sort | head -5
find a -type f -size -2k | LC_ALL=C sort
find . -empty | LC_ALL=C sort
find -L abs -type f | LC_ALL=C sort
find a -name two.txt -exec md5sum {} +
find a -maxdepth 1 -mindepth 1 | LC_ALL=C sort
find parts -name 'b.*' -delete && ls parts | tr '\n' ' ' && echo
find . -path ./nothing-here -o -name data -print
find nothing-here 2>&1; echo "find missing: $?"

show du
# Hard links count once: which name du shows depends on directory order,
# so entries are listed where there are none and only totals elsewhere.
du -a a/b | LC_ALL=C sort -k2
du -ab a/b | LC_ALL=C sort -k2
du -s a && du -sb a && du -slb a
du -s --apparent-size -B1 data sparse holey zeros
du -sk sparse holey zeros
du -sh . >/dev/null && echo "du -sh ran"

show diff -r cmp
diff -r a archive; echo "diff -r a archive: $?"
printf 'changed\n' >archive/b/c/two.txt && touch archive/extra
diff -r a archive | sed "s#$root#ROOT#"; echo "diff -r after change: ${PIPESTATUS[0]}"
diff -rq a/d dcopy; echo "diff -rq: $?"
cmp data data.dd; echo "cmp same: $?"
cmp a/b/c/two.txt archive/b/c/two.txt; echo "cmp differ: $?"
cmp -l slice zeros | head -3; echo "cmp -l done"
cmp data nothing-here 2>&1; echo "cmp missing: $?"

show rm -r
rm -r archive && ls -d archive 2>&1
rm -rf moved dcopy nothing-here && echo "rm -rf: $?"
rm a 2>&1; echo "rm a dir: $?"
rm -r m/n && rmdir m && echo "rmdir ok"
chmod 0500 a/d && rm -rf a/d/nums.txt; echo "rm in 0500 dir as $(id -u): $?"
chmod 0755 a/d
rm -r . 2>&1 | sed "s#$root#ROOT#"
list .
rm -r "${root:?}"/* && ls -A "$root" && echo "emptied"

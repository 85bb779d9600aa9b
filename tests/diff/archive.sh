# shellcheck shell=bash
# Scenario (tests/diff/run.sh): archives made and unpacked in ROOT. tar -z
# (tar starts gzip, which reads or writes the archive through a descriptor
# it inherits), tar -j style external compressors through -I, a tar pipe
# between two processes (one creating to stdout, one extracting from stdin
# in another directory), and zip / unzip (zip writes a temporary file
# beside the archive and renames it; update, delete, test, extract, pipe).
# Archives are made reproducible (fixed times, owners, order) so their
# bytes can be compared by hash.
# needs: tar gzip zip unzip md5sum
set -u
root=$1
mkdir -p "$root/src/sub/deeper" && cd "$root" || exit 1
show() { echo "== $*"; }
list() { find "$@" -printf '%y %m %s %P %l\n' | LC_ALL=C sort; }
sums() { find "$@" -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum; }
T='2026-01-02 03:04:05'
repro=(--sort=name --owner=0 --group=0 --numeric-owner --mtime="$T" --format=gnu)

show inputs
printf 'alpha\n' >src/a.txt
for i in $(seq 1 4000); do printf 'row %d of the bigger file\n' "$i"; done >src/sub/big.txt
printf 'x%.0s' $(seq 1 3000) >src/sub/deeper/x.txt
ln -s ../a.txt src/sub/link
ln src/a.txt src/hard.txt
chmod 0750 src/sub/deeper && chmod 0600 src/sub/deeper/x.txt
touch -d "$T" src/a.txt src/sub/big.txt src/sub/deeper/x.txt src/sub/deeper src/sub src
touch -h -d "$T" src/sub/link
sums src

show tar -z
tar -czf src.tgz "${repro[@]}" src; echo "tar -czf: $?"
gzip -t src.tgz && echo "gzip -t ok"
gzip -dc src.tgz | md5sum
tar -tzvf src.tgz --utc | awk '{print $1, $2, $3, $4, $5, $6, $7, $8}'
mkdir xz-out && tar -xzf src.tgz -C xz-out; echo "tar -xzf: $?"
list xz-out && diff -r src xz-out/src && echo "extracted tree equals source"
stat -c '%n %h %Y' xz-out/src/a.txt xz-out/src/hard.txt xz-out/src/sub/deeper
tar -xzf src.tgz -O src/a.txt
tar -czf - -C src a.txt | tar -tzf -
tar -cf - -C src sub | gzip -c >manual.tgz && tar -tzf manual.tgz | LC_ALL=C sort | head -3
tar -xzf nothing-here.tgz 2>&1 | sed "s#$root#ROOT#"; echo "missing archive: ${PIPESTATUS[0]}"
printf 'not gzip' >bad.tgz && tar -xzf bad.tgz 2>&1; echo "bad archive: $?"

show tar -I
tar -I 'gzip -9n' -cf src9.tgz "${repro[@]}" src && md5sum src9.tgz
tar -I 'gzip -9n' -xf src9.tgz -O src/sub/big.txt | md5sum
tar --use-compress-program=cat -cf cat.tar "${repro[@]}" src && tar -cf plain.tar "${repro[@]}" src && cmp cat.tar plain.tar && echo "compress program cat gives the plain archive"
md5sum plain.tar

show tar pipe
mkdir pipe-out
tar -cf - "${repro[@]}" -C src . | (cd pipe-out && tar -xpf -); echo "tar pipe: ${PIPESTATUS[*]}"
diff -r src pipe-out && echo "piped copy equals source"
list pipe-out
tar -cf - -C src sub | tar -xf - -C pipe-out --strip-components=1 && ls pipe-out
(cd src && tar -cf - .) | (cd "$TMPDIR" && mkdir t && cd t && tar -xf - && find . -type f | LC_ALL=C sort | xargs md5sum) && rm -r "$TMPDIR/t"

show zip
(cd src && zip -q -X -r ../src.zip .); echo "zip -r: $?"
ls src.zip* && md5sum src.zip
unzip -Z1 src.zip | LC_ALL=C sort
unzip -l src.zip | awk 'NR > 3 && $4 != "" {print $1, $2, $3, $4}' | LC_ALL=C sort -k4
unzip -tq src.zip
mkdir unz && unzip -q src.zip -d unz; echo "unzip -d: $?"
list unz && diff -r src unz && echo "unzipped tree equals source"
stat -c '%n %Y' unz/a.txt unz/sub/big.txt
unzip -p src.zip sub/deeper/x.txt | wc -c
printf 'new\n' >src/new.txt && touch -d "$T" src/new.txt
(cd src && zip -q -X -u ../src.zip new.txt) && unzip -Z1 src.zip | LC_ALL=C sort | tr '\n' ' ' && echo
zip -q -d src.zip sub/big.txt && unzip -Z1 src.zip | LC_ALL=C sort | tr '\n' ' ' && echo
unzip -q -o src.zip a.txt -d unz2 && cat unz2/a.txt
zip -q -X -j flat.zip src/a.txt src/sub/deeper/x.txt && unzip -Z1 flat.zip
printf 'not a zip' >bad.zip && unzip -t bad.zip >/dev/null 2>&1; echo "unzip bad: $?"
unzip -q nothing-here.zip 2>&1 | head -1 | sed "s#$root#ROOT#"; echo "unzip missing: ${PIPESTATUS[0]}"
printf 'from stdin\n' | zip -q -X stdin.zip - && unzip -p stdin.zip

show final
ls -A . "$TMPDIR"

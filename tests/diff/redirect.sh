# shellcheck shell=bash
# shellcheck disable=SC2188,SC2320 # bare redirections are tested; $? is the external command's
# Scenario (tests/diff/run.sh): every shell redirection form with EXTERNAL
# commands on the other end, so the tree file reaches a new program image
# as an inherited descriptor: > >> < 2> &> 2>&1, exec N> / N< / N<> / N>>,
# here-documents (small ones go through a pipe, a large one through a
# temporary file bash makes in TMPDIR), here-strings, pipelines reading and
# writing tree files, noclobber, ( ... ) > f and { ...; } >> log with
# /bin/echo and coreutils printf, python3 > f and < f, a whole-shell
# exec > f, and a file position shared by bash builtins and child programs.
# Every file is read back by path afterwards (cat, od, wc, stat).
# needs: python3 gzip od
set -u
root=$1
mkdir -p "$root" && cd "$root" || exit 1
show() { echo "== $*"; }
# Size and bytes of a file, read by an external program opening the path.
dump() { for f; do printf '%s %s: ' "$f" "$(stat -c %s "$f" 2>&1)"; od -An -c "$f" | tr -s ' ' | tr -d '\n'; echo; done; }

show '> >>'
/bin/echo one >f; echo "echo > f: $?"
/usr/bin/printf 'two %s\n' x >>f; echo "printf >> f: $?"
ls nothing-here >>f 2>/dev/null; echo "failed ls >> f: $?"
dump f
/bin/echo replaced >f && dump f
: >f && dump f
>f2 && dump f2
/bin/echo -n 'no newline' >f2 && /bin/echo ' then more' >>f2 && dump f2

show '<'
printf 'b\na\nc\n' >in
wc -l <in
sort <in
tr a-z A-Z <in >out; echo "tr < in > out: $?"; dump out
/bin/cat <nothing-here 2>&1; echo "< missing: $?"
python3 -c 'import sys; print(sys.stdin.read().split())' <in

show '2> &> 2>&1'
ls nothing-here 2>err; echo "ls 2> err: $?"; dump err
/bin/sh -c 'echo to-stderr >&2' 2>>err; dump err
ls in nothing-here >both 2>&1; echo "ls > both 2>&1: $?"; dump both
ls in nothing-here &>amp; echo "ls &> amp: $?"; dump amp
/bin/sh -c 'echo out; echo err >&2' 2>&1 >/dev/null | cat >only-err; dump only-err

show 'exec N> N< N<> N>>'
exec 3>f3
/bin/echo via3 >&3
/usr/bin/printf 'printf via3\n' >&3
echo builtin via3 >&3
/bin/sh -c 'echo "sh inherits 3" >&3'
exec 3>&-
dump f3
printf 'line1\nline2\nline3\nline4\n' >lines
exec 4<lines
read -r l <&4; echo "builtin read: $l"
head -n 1 <&4
read -r l <&4; echo "builtin read after head: $l"
/bin/cat <&4
exec 4<&-
exec 5>>lines
/bin/echo appended >&5
echo "builtin appended" >&5
exec 5>&-
dump lines
printf 'abcdef\n' >rw
exec 6<>rw
read -r -n 2 x <&6; echo "read 2: $x"
/bin/echo -n XY >&6
exec 6>&-
dump rw

show here-documents
/bin/cat <<EOF >hd
small here-document
in \$root: ${root##*/}
EOF
dump hd
/bin/cat <<'EOF' | wc -c
quoted $not expanded
EOF
python3 - <<'PY' >py-hd
print("python reads its program from a here-document")
PY
dump py-hd
# Larger than a pipe buffer: bash writes it to a file in TMPDIR first.
big=$(printf '%06d\n' $(seq 1 20000))
/bin/cat <<EOF >big-hd
$big
EOF
stat -c '%n %s' big-hd && md5sum big-hd | cut -d' ' -f1
/usr/bin/wc -l <<EOF
$big
EOF
/bin/cat <<<"here string" >hs && dump hs
ls -A "$TMPDIR"

show pipelines
sort in | tee sorted | wc -l; dump sorted
/bin/cat lines | grep line | sort -r >rev; dump rev
gzip -c <big-hd >big.gz && gzip -dc <big.gz | cmp - big-hd && echo "gzip round trip"
gzip -dc big.gz | head -n 2 >head2; dump head2
seq 1 5 | python3 -c 'import sys; print(sum(map(int, sys.stdin)))' >sum; dump sum
printf 'p\nq\n' | while read -r l; do /bin/echo "got $l"; done >loop; dump loop
while read -r l; do /usr/bin/printf '[%s]' "$l"; done <in >loop2; dump loop2
tee >(wc -l >count) <lines >/dev/null; wait $!; dump count

show noclobber
set -o noclobber
/bin/echo clobber >f 2>/dev/null; echo "noclobber > existing: $?"
/bin/echo forced >|f; echo ">| : $?"
/bin/echo appended >>f; echo ">> : $?"
/bin/echo fresh >fresh; echo "> new file: $?"
set +o noclobber
dump f fresh

show '( ) > f and { } >> log'
(echo a; echo b) >sub; dump sub
(/bin/echo a; /bin/echo b) >sub-ext; dump sub-ext
{ /bin/echo one; /usr/bin/printf 'two\n'; echo three; } >>log
{ /bin/echo four; python3 -c 'print(5)'; } >>log
dump log
(cd "$root" && /bin/pwd | sed "s#$root#ROOT#") >pwd-out; dump pwd-out

show python3
python3 -c 'print(1)' >py1; echo "python3 > f: $?"; dump py1
python3 -c 'print(2)' >>py1; dump py1
python3 -c 'import sys; sys.stderr.write("err\n")' 2>py-err; dump py-err
python3 -c 'import sys; print(sys.stdin.read().upper(), end="")' <py1 >py-up; dump py-up
python3 -c 'import os; os.write(1, b"raw write\n")' >py-raw; dump py-raw

show 'exec > f'
exec 7>&1 >whole
/bin/echo first
echo second
/usr/bin/printf 'third\n'
python3 -c 'print("fourth")'
exec 1>&7 7>&-
dump whole

show final
ls -A "$TMPDIR"
find . -type f -printf '%s %P\n' | LC_ALL=C sort -k2

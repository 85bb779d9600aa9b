# Differential scenario: the command-line tools the preload issue names, each
# a single dynamically linked program working on files in the root: tar
# creating and extracting archives in and out of it, the sqlite3 CLI with
# one-shot commands (rollback journal and WAL, several invocations), and
# cc -c / cc -o with sources, headers and objects in it. Output is listed
# with content hashes, never times or inode numbers. Files are written by
# the programs themselves or by bash builtins: an external program writing
# to a redirection into the tree needs descriptors handed over exec, which
# is issue 4's (tests for that live with it).
set -u
root=$1
mkdir -p "$root/src/sub" || exit 1
cd "$root" || exit 1
show() { echo "== $*"; }
list() { find "$1" -printf '%y %m %s %P\n' | LC_ALL=C sort; }

show tar
printf 'alpha\n' >src/a.txt
python3 -c 'open("src/sub/big.bin", "w").write("z" * 100000)'
ln -s a.txt src/link
touch -d '2026-01-02 03:04:05' src/a.txt src/sub/big.bin src/sub src && touch -h -d '2026-01-02 03:04:05' src/link
tar -cf src.tar src && echo "created: $(tar -tvf src.tar --utc | awk '{print $1, $3, $4, $5, $6}' | LC_ALL=C sort | tr '\n' ';')"
mkdir out && tar -xf src.tar -C out && echo "extracted"
list out
cmp src/sub/big.bin out/src/sub/big.bin && echo "big identical"
stat -c '%Y %n' out/src/a.txt
# Out of the root and back in: an archive written to stdout and read from
# stdin (the pipe is between two processes, both preloaded).
tar -cf - -C src . | tar -xf - -C out && echo "piped: $(ls out | LC_ALL=C sort | tr '\n' ' ')"
tar -cf /dev/stdout -C out src | tar -tf - | LC_ALL=C sort | head -3
tar -xf missing.tar 2>&1 | sed 's/^tar: //' ; echo "missing archive: ${PIPESTATUS[0]}"

show sqlite3
sqlite3 db.sqlite 'create table t(k integer primary key, v text); insert into t(v) values ("a"),("b");'
sqlite3 db.sqlite 'insert into t(v) select v || v from t; select count(*), group_concat(v) from t;'
sqlite3 db.sqlite 'pragma integrity_check; pragma journal_mode;'
sqlite3 wal.sqlite 'pragma journal_mode=wal; create table t(x); insert into t values (1),(2),(3);'
sqlite3 wal.sqlite 'insert into t select x * 10 from t; select sum(x) from t;'
ls | grep -c 'wal.sqlite'
sqlite3 wal.sqlite 'pragma wal_checkpoint(truncate); select count(*) from t; pragma integrity_check;'
sqlite3 db.sqlite 'create table t(x);' 2>&1; echo "duplicate table: $?"
sqlite3 -readonly db.sqlite 'insert into t(v) values ("no");' 2>&1; echo "readonly: $?"

show cc
printf '#define GREETING "hello from the tree"\n' >src/sub/h.h
printf '%s\n' '#include <stdio.h>' '#include "sub/h.h"' 'int twice(int);' \
	'int main(void) { printf("%s %d\n", GREETING, twice(21)); return 0; }' >src/m.c
printf 'int twice(int x) { return 2 * x; }\n' >src/t.c
cc -c src/m.c -o src/m.o && cc -c src/t.c -o src/t.o && echo "compiled: $(ls src/*.o | tr '\n' ' ')"
file -b src/m.o | cut -d, -f1
nm src/t.o | awk '{print $2, $3}'
cc src/m.o src/t.o -o out/prog && echo linked
cc -c src/t.c -o src/t2.o && cmp src/t.o src/t2.o && echo "object is deterministic"
cc -c -x c - -o src/stdin.o < <(printf 'int s(void) { return 7; }\n') && nm src/stdin.o | awk '{print $2, $3}'
printf 'int broken(' >src/bad.c
cc -c src/bad.c -o src/bad.o 2>/dev/null; echo "bad source: $? $(ls src/bad.o 2>&1 | sed 's/.*: //')"

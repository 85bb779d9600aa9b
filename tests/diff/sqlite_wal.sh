# shellcheck shell=bash
# Scenario (tests/diff/run.sh): the sqlite3 CLI on a WAL database in ROOT
# across many invocations: the -wal and -shm files while a connection is
# open and after the last one closes, a long-lived reader (a coprocess)
# keeping its snapshot while other processes commit, checkpoints, a dump
# written through a shell redirection and loaded back through one, a dump
# piped from one sqlite3 to another, .backup, VACUUM INTO, and a sort big
# enough to spill into temporary files in TMPDIR.
# needs: sqlite3
set -u
root=$1
mkdir -p "$root/db" && cd "$root/db" || exit 1
show() { echo "== $*"; }
# A busy timeout: writers in the background take turns instead of failing.
q() { sqlite3 -batch -cmd '.timeout 10000' "$@"; }
# Ask the coprocess one question and wait (at most 20 s) for one line.
ask() {
	echo "$1" >&"${R[1]}"
	if read -t 20 -r reply <&"${R[0]}"; then echo "reader: $1 -> $reply"; else echo "reader: $1 -> no answer"; fi
}

show create
q w.db 'pragma journal_mode=wal; create table t(k integer primary key, v text); insert into t(v) values ("a"), ("b");'
ls
for i in 1 2 3 4 5; do q w.db "insert into t(v) select v || '$i' from t where k <= 2;"; done
q w.db 'select count(*), min(v), max(v) from t; pragma journal_mode;'
ls

show a reader keeps its snapshot
coproc R { sqlite3 -batch w.db 2>&1; }
rpid=$R_PID # bash unsets R_PID once it has reaped the coprocess
ask 'begin; select count(*) from t;'
ls
q w.db 'insert into t(v) values ("while-reading"); select count(*) from t;'
ask 'select count(*) from t;'
q w.db 'pragma wal_checkpoint;' | awk -F'|' '{print "checkpoint busy=" $1}'
ask 'commit; select count(*) from t;'
ask 'select v from t order by k desc limit 1;'
echo '.quit' >&"${R[1]}"
wait "$rpid"; echo "reader exit: $?"
ls

show writers in turn, one of them in the background
q w.db 'create table log(n integer);'
for n in 1 2 3; do q w.db "insert into log values ($n);" & done
wait
q w.db 'select count(*), sum(n) from log;'
q w.db 'begin immediate; insert into log values (10); commit;'
q w.db 'pragma wal_checkpoint(truncate); select sum(n) from log; pragma integrity_check;'
ls

show dump and load through redirections
q w.db .dump >dump.sql; echo "dump > file: $?"
wc -l <dump.sql
head -c 64 dump.sql | head -n 2
q copy.db <dump.sql; echo "load < file: $?"
q copy.db 'select count(*), max(v) from t; select sum(n) from log;'
q w.db .dump | q piped.db && q piped.db 'select count(*) from t;'

show backup and vacuum into
q w.db ".backup bk.db" && q bk.db 'pragma integrity_check; select count(*) from t;'
q w.db "vacuum into 'vac.db'" && q vac.db 'pragma journal_mode; select count(*) from t;'
q w.db ".restore bk.db" 2>&1; echo "restore: $?"

show temporary files in TMPDIR
q w.db 'create table big(x); with recursive c(i) as (select 1 union all select i + 1 from c where i < 60000) insert into big select (i * 7919) % 60001 from c;'
q w.db 'pragma temp_store = file; pragma cache_size = 20; select count(*), sum(x) from (select x from big order by x); create index big_x on big(x); pragma integrity_check;'
q w.db 'select x from big order by x limit 3;'
ls -A "$TMPDIR"

show errors
q w.db 'create table t(x);' 2>&1; echo "duplicate table: $?"
q -readonly w.db 'insert into log values (1);' 2>&1; echo "readonly: $?"
printf 'not a database, just text\n%.0s' $(seq 1 200) >junk.db
q junk.db 'select 1 from sqlite_master;' 2>&1; echo "not a database: $?"
q nothing-here/x.db 'select 1;' 2>&1; echo "missing directory: $?"

show final
ls
q w.db 'pragma journal_mode; select count(*) from t; select count(*) from big;'

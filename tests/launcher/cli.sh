#!/usr/bin/env bash
# The launcher's command line: every option accepted and refused, every
# error's one line and exit status, COMMAND's status passed through (125
# own errors, 126 not executable, 127 not found, 128+N for signal N), the
# environment COMMAND gets, signals forwarded, and --help against the man
# page. Usage: cli.sh PATH/TO/ramdir
source "$(dirname "$0")/lib.sh"
R=$RAMDIR

echo "--- help, version, usage errors"
check "version" 0 "ramdir 0.1.0" "" -- "$R" --version
check "version -V" 0 "ramdir 0.1.0" "" -- "$R" -V
help=$("$R" --help)
expect "help status" "$?" 0
expect "help first line" "${help%%$'\n'*}" "Usage: ramdir [OPTIONS] [--] COMMAND [ARG...]"
check "-h is --help" 0 "$help" "" -- "$R" -h
check "no COMMAND" 125 "" \
	"ramdir: no COMMAND given; usage: ramdir [OPTIONS] [--] COMMAND [ARG...]" -- "$R"
check "unknown short option" 125 "" "ramdir: unknown option '-x' (see ramdir --help)" \
	-- "$R" -x true
check "unknown short option in a group" 125 "" \
	"ramdir: unknown option '-x' (see ramdir --help)" -- "$R" -sx true
check "unknown long option" 125 "" "ramdir: unknown option '--bogus' (see ramdir --help)" \
	-- "$R" --bogus true
check "unknown long option with value" 125 "" \
	"ramdir: unknown option '--bogus=1' (see ramdir --help)" -- "$R" --bogus=1 true
check "missing value, short" 125 "" "ramdir: --quota needs a value (see ramdir --help)" \
	-- "$R" -q
check "missing value, long" 125 "" "ramdir: --prefix needs a value (see ramdir --help)" \
	-- "$R" --prefix
check "options after COMMAND are COMMAND's" 0 "-q" "" -- "$R" echo -q
check "-- ends the options" 127 "" \
	"ramdir: cannot run '-x': No such file or directory; check the name and PATH" \
	-- "$R" -- -x

echo "--- exit status"
check "status 0" 0 "" "" -- "$R" true
check "status passed through" 3 "" "" -- "$R" sh -c 'exit 3'
check "status 125 of COMMAND itself" 125 "" "" -- "$R" sh -c 'exit 125'
check "status 127 of COMMAND itself, no message" 127 "" "" -- "$R" sh -c 'exit 127'
check "signal N is 128+N" 143 "" "" -- "$R" sh -c 'kill -TERM $$'
check "SIGKILL is 137" 137 "" "" -- "$R" sh -c 'kill -KILL $$'
check "not found in PATH: 127" 127 "" \
	"ramdir: cannot run 'no-such-command-xyz': No such file or directory; check the name and PATH" \
	-- "$R" no-such-command-xyz
check "not found by path: 127" 127 "" \
	"ramdir: cannot run '$WORK/nope': No such file or directory; check the name and PATH" \
	-- "$R" "$WORK/nope"
: >"$WORK/plain"
check "not executable: 126" 126 "" \
	"ramdir: cannot run '$WORK/plain': Permission denied; check that it is an executable file" \
	-- "$R" "$WORK/plain"
check "a directory: 126" 126 "" \
	"ramdir: cannot run '$WORK': Permission denied; check that it is an executable file" \
	-- "$R" "$WORK"
check "stdin and stdout pass through" 0 "hello" "" -- sh -c "echo hello | '$R' cat"

echo "--- --quota"
for bad in 12X 0 -5 1.2.3 "" 10KB5; do
	check "--quota '$bad' refused" 125 "" \
		"ramdir: --quota '$bad' is not a size; give bytes or K/M/G/T, e.g. 256M" \
		-- "$R" -q "$bad" true
done
for bad in 1K 16383 17T 100T; do
	check "--quota $bad out of range" 125 "" \
		"ramdir: --quota '$bad' is out of range; give 16K to 16T" -- "$R" --quota "$bad" true
done
# df runs as a child of the launcher and sees the quota as the size.
df_size() { "$R" "$@" sh -c 'df -k /ram | awk "NR == 2 { print \$2 }"'; }
check "default quota is 256M (df)" 0 "262144" "" -- df_size
check "--quota 64M (df)" 0 "65536" "" -- df_size --quota 64M
check "-q 1.5M (df)" 0 "1536" "" -- df_size -q 1.5M
check "-q 16K, the smallest" 0 "16" "" -- df_size -q 16K -T
check "quota enforced: dd stops with ENOSPC" 0 "1
960 KiB" "" -- "$R" -q 1M sh -c \
	'dd if=/dev/zero of=/ram/f bs=64K count=32 2>/dev/null; echo $?; du -k --apparent-size /ram/f | sed "s/\t.*/ KiB/"'

echo "--- --max-nodes"
for bad in 0 -1 x 1.5 +3 99999999999999999999999; do
	check "--max-nodes '$bad' refused" 125 "" \
		"ramdir: --max-nodes '$bad' is not a positive whole number; give e.g. 10000" \
		-- "$R" -n "$bad" true
done
# root + tmp + a, b, c = 5 nodes; the fourth file is refused.
check "--max-nodes 5: the sixth node is refused" 1 "" \
	"touch: cannot touch '/ram/d': No space left on device" \
	-- "$R" --max-nodes 5 sh -c 'touch /ram/a /ram/b /ram/c && touch /ram/d'
check "--max-nodes in df -i" 0 "100" "" \
	-- "$R" -n 100 sh -c 'df -i /ram | awk "NR == 2 { print \$2 }"'

echo "--- --memory-guard"
check "--memory-guard bad" 125 "" \
	"ramdir: --memory-guard 'sometimes' is not a mode; give none, init or per-write" \
	-- "$R" -g sometimes true
for mode in none init per-write; do
	check "--memory-guard $mode" 0 "$mode" "" -- "$R" --memory-guard $mode printenv RAMDIR_MEMORY_GUARD
done
check_glob "--memory-guard init refuses a quota the machine cannot give" 125 "" \
	"ramdir: --memory-guard init: quota 16.0 TiB exceeds the * GiB (* bytes) this machine can give (*); lower the quota or use --memory-guard none" \
	-- "$R" -g init -q 16T true
check "--memory-guard none allows it" 0 "" "" -- "$R" -g none -q 16T true

echo "--- --prefix"
check "relative" 125 "" "ramdir: --prefix 'ram' is not an absolute path; give one such as /ram" \
	-- "$R" -p ram true
check "root" 125 "" "ramdir: --prefix '/' is the root directory; choose one such as /ram" \
	-- "$R" -p / true
check "root, spelled //" 125 "" \
	"ramdir: --prefix '//' is the root directory; choose one such as /ram" -- "$R" -p // true
for sys in /proc /proc/self /dev /dev/shm /sys /usr /usr/local /etc /bin /lib; do
	top=/$(echo "$sys" | cut -d/ -f2)
	check "system directory $sys" 125 "" \
		"ramdir: --prefix '$sys' is a system directory ($top); choose one such as /ram" \
		-- "$R" -p "$sys" true
done
check "dot" 125 "" "ramdir: --prefix '/ram/./x' contains '.' or '..'; give the plain path" \
	-- "$R" -p /ram/./x true
check "dot-dot" 125 "" "ramdir: --prefix '/ram/..' contains '.' or '..'; give the plain path" \
	-- "$R" -p /ram/.. true
check "colon" 125 "" \
	"ramdir: --prefix '/a:b' contains ':', which separates prefixes; choose another name" \
	-- "$R" -p /a:b true
check "twice" 125 "" "ramdir: --prefix '/ram/' is given twice; give it once" \
	-- "$R" -p /ram -p /ram/ true
check "nested" 125 "" "ramdir: --prefix '/ram/sub' and '/ram' are nested; give only the outer one" \
	-- "$R" -p /ram -p /ram/sub true
check "nested, outer second" 125 "" \
	"ramdir: --prefix '/ram' and '/ram/sub' are nested; give only the outer one" \
	-- "$R" -p /ram/sub -p /ram true
mkdir "$WORK/mnt"
check "prefix normalised for the preload" 0 "$WORK/mnt" "" -- "$R" -p "/$WORK//mnt/" printenv RAMDIR_PREFIX
check "a file under the prefix is in memory" 0 "in memory" "" \
	-- "$R" -p "$WORK/mnt" sh -c "echo in memory > '$WORK/mnt/f' && cat '$WORK/mnt/f'"
expect "nothing under the prefix on disk" "$(ls -A "$WORK/mnt")" ""

echo "--- environment COMMAND gets"
lib=$(realpath "$(dirname "$R")/../lib/libramdir.so")
check "LD_PRELOAD" 0 "$lib" "" -- "$R" printenv LD_PRELOAD
check "RAMDIR_QUOTA in bytes" 0 "1048576" "" -- "$R" -q 1M printenv RAMDIR_QUOTA
check "RAMDIR_MAX_NODES" 0 "42" "" -- "$R" -n 42 printenv RAMDIR_MAX_NODES
check "RAMDIR_MAX_NODES unset without -n" 1 "" "" \
	-- env RAMDIR_MAX_NODES=7 "$R" printenv RAMDIR_MAX_NODES
check "RAMDIR_ARENA" 0 "900:2097152:9:/ram" "" -- "$R" -q 2M -n 9 printenv RAMDIR_ARENA
check "children share the tree" 0 "from parent" "" \
	-- "$R" sh -c 'echo from parent > /ram/f; sh -c "cat /ram/f"'

echo "--- signals"
# A SIGTERM sent to ramdir (kill, timeout) reaches COMMAND, and the
# export still happens.
"$R" -e "$WORK/sig.zip" sh -c "echo x > /ram/kept; : > '$WORK/started'; exec sleep 30" &
pid=$!
for _ in $(seq 300); do [ -e "$WORK/started" ] && break; sleep 0.1; done
kill -TERM "$pid"
wait "$pid"
expect "SIGTERM to ramdir: COMMAND dies of it, 143" "$?" 143
expect "SIGTERM to ramdir: export done" "$(unzip -Z1 "$WORK/sig.zip" 2>&1)" "kept"
rm -f "$WORK/started"
# (A background job starts with SIGINT ignored: give COMMAND the default.)
env --default-signal=INT "$R" sh -c "trap 'echo got INT; exit 7' INT; : > '$WORK/started'; i=0; while [ \$i -lt 100 ]; do sleep 0.1; i=\$((i+1)); done; exit 9" \
	>"$WORK/int.out" &
pid=$!
for _ in $(seq 300); do [ -e "$WORK/started" ] && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"
expect "SIGINT sent to ramdir reaches COMMAND once" "$?:$(cat "$WORK/int.out")" "7:got INT"

echo "--- --help and the man page list the same options"
man=$(sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$LT_SRC/../../docs/ramdir.1" | grep -A1 '^\.TP' |
	grep -v '^\.TP' | grep -v '^--' |
	sed -e 's/^\.BR //' -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/"//g' -e 's/ ,/,/' -e 's/  */ /g')
opts=$(printf '%s\n' "$help" | grep -E '^  -[A-Za-z], --' | sed -E 's/^  (-[A-Za-z], --[a-z-]+( [][A-Z:]+)?).*/\1/')
expect "same option lines" "$man" "$opts"
for word in "TMPDIR" "PREFIX/tmp" "--no-tmpdir" "125" "126" "127" "128+"; do
	grep -q -F -- "$word" <(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$LT_SRC/../../docs/ramdir.1")
	expect "man page mentions $word" "$?" 0
	printf '%s' "$help" | grep -q -F -- "$word"
	expect "help mentions $word" "$?" 0
done

lt_done

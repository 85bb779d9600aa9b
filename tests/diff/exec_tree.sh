# shellcheck shell=bash
# Scenario (tests/diff/run.sh): programs stored in ROOT and executed from
# there: a "#!/bin/sh" script and a compiled binary, run by path, relative
# path, PATH search, from find -exec, xargs, env and exec in a subshell;
# their standard input and output redirected to tree files; a copy made by
# cp and install; a script that runs the binary and another script; $0,
# argument and exit status passing; and what a kernel cannot run.
# needs: cc
set -u
root=$1
mkdir -p "$root/bin" "$root/src" "$root/data" && cd "$root" || exit 1
show() { echo "== $*"; }

show build
printf '%s\n' '#include <stdio.h>' '#include <string.h>' \
	'int main(int argc, char **argv) {' \
	'	const char *me = strrchr(argv[0], 47); me = me ? me + 1 : argv[0];' \
	'	long lines = 0; int c;' \
	'	if (argc > 1 && strcmp(argv[1], "-") == 0) while ((c = getchar()) != EOF) lines += c == 10;' \
	'	printf("%s: argc=%d lines=%ld", me, argc, lines);' \
	'	for (int i = 1; i < argc; i++) printf(" [%s]", argv[i]);' \
	'	printf("\n");' \
	'	if (argc > 2) { FILE *f = fopen(argv[2], "a"); if (!f) { perror(argv[2]); return 2; }' \
	'		fprintf(f, "%s appended\n", me); if (fclose(f)) return 3; }' \
	'	return argc > 1 && strcmp(argv[1], "fail") == 0 ? 7 : 0;' \
	'}' >src/prog.c
cc -O1 -o bin/prog src/prog.c && echo "built: $?"
printf '#!/bin/sh\n# a script stored in the tree\necho "script $(basename "$0"): $# args: $*"\nprintf "%%s\\n" "$@" >"${OUT:-/dev/null}"\nexec "$(dirname "$0")/prog" "$@"\n' >bin/run.sh
printf '#!/bin/sh\nset -e\n"$(dirname "$0")/run.sh" nested "$1"\n/bin/echo "outer done"\n' >bin/outer.sh
chmod +x bin/run.sh bin/outer.sh
stat -c '%n %a' bin/prog bin/run.sh
printf 'l1\nl2\nl3\n' >data/in

show run by path
bin/prog; echo "status $?"
bin/prog fail; echo "status $?"
bin/run.sh fail; echo "status $?"
./bin/prog a "b c"; echo "status $?"
"$root/bin/prog" abs; echo "status $?"
(cd bin && ./prog rel); echo "status $?"
PATH="$root/bin:$PATH" prog searched; echo "status $?"
bin/run.sh x y; echo "status $?"
OUT=data/args bin/run.sh p q && cat data/args
bin/outer.sh data/log; echo "status $?"; cat data/log
sh bin/run.sh via-sh; echo "status $?"
(exec bin/prog exec-in-subshell); echo "status $?"
env bin/prog via-env; echo "status $?"

show standard streams on tree files
bin/prog - <data/in; echo "stdin from tree: $?"
bin/prog out >data/out; echo "stdout to tree: $?"; cat data/out
bin/run.sh redirected >data/out2 2>&1; echo "script stdout to tree: $?"; cat data/out2
bin/prog - <data/in >data/out3; cat data/out3
cat data/in | bin/prog - | tee data/out4; cat data/out4

show spawned by other programs
find data -name in -exec "$root/bin/prog" {} \; | sed "s#$root#ROOT#"
printf '%s\n' one two | xargs bin/prog
python3 -c 'import subprocess, sys; r = subprocess.run(["bin/prog", "py"], close_fds=False); print("python status", r.returncode)'
printf 'all:\n\t@bin/prog from-make\n' >Makefile && make -s; rm Makefile

show copies
cp bin/prog bin/copy && bin/copy copied; echo "status $?"
install -m 0755 bin/run.sh bin/installed.sh && bin/installed.sh inst | head -n 1
mv bin/copy bin/moved && bin/moved moved; echo "status $?"
ln -s prog bin/link && bin/link via-link; echo "status $?"
ln bin/prog bin/hard && bin/hard via-hardlink; echo "status $?"

show what cannot run
cp bin/prog bin/noexec && chmod -x bin/noexec
bin/noexec 2>&1 | sed "s#$root#ROOT#"; echo "status ${PIPESTATUS[0]}"
bin/missing 2>&1 | sed "s#$root#ROOT#"; echo "status ${PIPESTATUS[0]}"
bin 2>&1 | sed "s#$root#ROOT#"; echo "status ${PIPESTATUS[0]}"
printf '#!/nonexistent/interp\n' >bin/badinterp && chmod +x bin/badinterp
bin/badinterp 2>&1 | sed "s#$root#ROOT#"; echo "status ${PIPESTATUS[0]}"
printf '\177ELF garbage' >bin/badelf && chmod +x bin/badelf
bin/badelf 2>&1 | sed "s#$root#ROOT#"; echo "status ${PIPESTATUS[0]}"

show final
ls bin data
cat data/log

# Differential scenario: programs stored in the root are run like programs
# on tmpfs. A C program compiled into the root and run by path, relative
# path and PATH search (bash's own search, env's execvp, Python's
# subprocess and os.posix_spawn/posix_spawnp); scripts with "#!/bin/sh",
# with an interpreter argument and through /usr/bin/env, scripts whose
# interpreter is itself in the root; arguments, environment and exit status
# intact; a file without execute permission (126), a missing one (127), a
# directory, and a file the kernel cannot run (ENOEXEC: the shell runs it).
# Standard output is the harness's pipe, never a tree file: handing tree
# descriptors across exec is issue 4's.
set -u
root=$1
mkdir -p "$root/bin" "$root/src" || exit 1
cd "$root" || exit 1
printf '%s\n' '#include <stdio.h>' '#include <stdlib.h>' \
	'int main(int c, char **v) { printf("argc=%d", c);' \
	'  for (int i = 1; i < c; i++) printf(" [%s]", v[i]);' \
	'  printf(" FOO=%s\n", getenv("FOO") ? getenv("FOO") : "-"); return c + 10; }' >src/args.c
cc -o bin/args src/args.c && echo "built"
FOO=bar bin/args one "two words" ''; echo "status $?"
"$root/bin/args" abs; echo "status $?"
(cd bin && ./args rel); echo "status $?"
PATH="$root/bin:$PATH" args searched; echo "status $?"
PATH="$root/bin:$PATH" env FOO=env args via-env; echo "status $?"
printf '#!/bin/sh\necho "sh script: $(basename "$0") $*"\nexit 5\n' >bin/s.sh
printf '#!/bin/sh -e\necho "with option: $-" | tr -d cimsBH\nfalse\necho not reached\n' >bin/opt.sh
printf '#!/usr/bin/env python3\nimport sys\nprint("python script", sys.argv[1:])\n' >bin/p.py
chmod +x bin/s.sh bin/opt.sh bin/p.py
bin/s.sh a b; echo "status $?"
bin/opt.sh; echo "status $?"
bin/p.py x; echo "status $?"
# An interpreter that is itself a script in the root.
printf '#!/bin/sh\necho "interp got: $(basename "$1")"; shift; echo "rest: $*"\n' >bin/interp
printf '#!%s/bin/interp\nbody\n' "$root" >bin/uses-interp
chmod +x bin/interp bin/uses-interp
bin/uses-interp q r; echo "status $?"
python3 - "$root" <<'PY'
import os, subprocess, sys
root = sys.argv[1]
env = dict(os.environ, PATH=root + "/bin:" + os.environ["PATH"], FOO="py")
for argv in (["args", "sub"], [root + "/bin/args", "abs"], ["s.sh", "from", "python"]):
    r = subprocess.run(argv, env=env, close_fds=False, capture_output=True, text=True)
    print("subprocess", argv[0].replace(root, "ROOT"), r.returncode, r.stdout.strip())
pid = os.posix_spawn(root + "/bin/args", ["args", "spawn"], env)
print("posix_spawn status", os.waitpid(pid, 0)[1] >> 8)
os.environ["PATH"] = env["PATH"]  # posix_spawnp searches the caller's PATH
pid = os.posix_spawnp("s.sh", ["s.sh", "spawnp"], env)
print("posix_spawnp status", os.waitpid(pid, 0)[1] >> 8)
# a symlink in a PATH directory to a real program (CPython's test_posix)
os.symlink("/bin/echo", root + "/bin/real-echo")
pid = os.posix_spawnp("real-echo", ["real-echo", "via", "symlink"], env)
print("posix_spawnp symlink status", os.waitpid(pid, 0)[1] >> 8)
try:
    os.execv(root + "/bin/missing", ["x"])
except OSError as e:
    print("execv missing:", e.strerror)
PY
printf 'echo "no shebang, run by the shell"\n' >bin/plain
chmod +x bin/plain
bin/plain; echo "status $?"
cp bin/args bin/noexec && chmod -x bin/noexec
bin/noexec 2>&1 | sed "s#$root#ROOT#"; echo "status ${PIPESTATUS[0]}"
bin/missing 2>&1 | sed "s#$root#ROOT#"; echo "status ${PIPESTATUS[0]}"
bin 2>&1 | sed "s#$root#ROOT#"; echo "status ${PIPESTATUS[0]}"
"$root/bin" 2>&1 | sed "s#$root#ROOT#"; echo "status ${PIPESTATUS[0]}"
# A child started with an emptied environment still runs on the tree.
env -i /bin/sh -c 'head -c 18 "$1"; echo' sh "$root/src/args.c"
env -u LD_PRELOAD /bin/sh -c 'test -f "$1" && echo "still sees the file"' sh "$root/src/args.c"
# make changes directory itself and builds its children's environment
# itself: they must start in the directory make is in.
mkdir -p proj/sub
printf 'all:\n\t@echo "make runs in $$(pwd | sed "s#%s#ROOT#")"\n\t@cat marker\n\t@$(MAKE) -s -C sub\n' "$root" >proj/Makefile
printf 'all:\n\t@echo "sub-make in $$(basename $$(pwd))"; ls\n' >proj/sub/Makefile
echo "marker file read" >proj/marker
make -s -C proj
(cd proj && make -s)

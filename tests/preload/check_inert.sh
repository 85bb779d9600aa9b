#!/usr/bin/env bash
# The library loaded with no prefix (LD_PRELOAD alone, or RAMDIR_PREFIX
# empty) serves nothing and must change nothing: every way of starting a
# program gives what it gives without the library. The exec wrappers once
# sized their environment from the prefix list, which an inert process does
# not have, and every exec from an inert process crashed (valgrind's
# launcher, python's os.execv).
# Usage: check_inert.sh LIBRAMDIR
set -u
lib=$(realpath "$1")
. "$(dirname "$0")/check_lib.sh"

# One line per way of starting /bin/echo (or a shell), each printing what
# it got, so argv, environment and exit status are all compared.
script='
import os, subprocess, sys
os.environ["CHECK_VAR"] = "v1"
print("subprocess:", subprocess.run(["/bin/echo", "a b"], capture_output=True, text=True).stdout.strip())
print("env passed:", subprocess.run(["/bin/sh", "-c", "echo $CHECK_VAR"], capture_output=True, text=True).stdout.strip())
print("cleared env:", subprocess.run(["/usr/bin/env"], env={"ONLY": "1"}, capture_output=True, text=True).stdout.strip())
print("status:", subprocess.run(["/bin/sh", "-c", "exit 7"]).returncode)
pid = os.posix_spawn("/bin/echo", ["echo", "spawned"], os.environ)
print("posix_spawn status:", os.waitpid(pid, 0)[1] >> 8)
print("posix_spawnp:", os.waitpid(os.posix_spawnp("true", ["true"], os.environ), 0)[1] >> 8)
print("system:", os.system("exit 3") >> 8)
with os.popen("echo popen") as p:
    print("popen:", p.read().strip())
sys.stdout.flush()
pid = os.fork()
if pid == 0:
    os.execv("/bin/echo", ["echo", "execv from a fork"])
os.waitpid(pid, 0)
sys.stdout.flush()
os.execvp("echo", ["echo", "execvp"])
'
want=$(python3 -c "$script" 2>&1; echo "exit $?")
for mode in unset empty; do
	if [ $mode = unset ]; then
		got=$(env -u RAMDIR_PREFIX LD_PRELOAD="$lib" python3 -c "$script" 2>&1; echo "exit $?")
	else
		got=$(env RAMDIR_PREFIX= LD_PRELOAD="$lib" python3 -c "$script" 2>&1; echo "exit $?")
	fi
	expect "python's ways of starting programs, prefix $mode" "$want" "$got"
	if [ $mode = unset ]; then
		got=$(env -u RAMDIR_PREFIX LD_PRELOAD="$lib" sh -c 'exec /bin/echo "exec in sh"' 2>&1; echo "exit $?")
	else
		got=$(env RAMDIR_PREFIX= LD_PRELOAD="$lib" sh -c 'exec /bin/echo "exec in sh"' 2>&1; echo "exit $?")
	fi
	expect "sh's exec, prefix $mode" "exec in sh
exit 0" "$got"
done
exit $fail

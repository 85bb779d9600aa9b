# shellcheck shell=bash
# Scenario (tests/diff/run.sh): a file unlinked (or replaced by rename)
# while another process still has it open stays readable and writable
# there, whether that process opened it itself or inherited the descriptor
# across exec: a long-lived child (a python3 coprocess driven line by line),
# cat reading an inherited descriptor after rm, a child writing into an
# unlinked file its parent reads back, a shell script that deletes itself
# and keeps being read by its interpreter, and a deleted working directory.
# needs: python3
set -u
root=$1
mkdir -p "$root" && cd "$root" || exit 1
show() { echo "== $*"; }

# The child: reads commands on stdin, answers one line each.
child='
import os, sys
fds = {}
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    try:
        if cmd == "open":
            fds[arg] = os.open(arg, os.O_RDWR)
            print("opened", arg)
        elif cmd == "read":
            os.lseek(fds[arg], 0, 0)
            print("read", arg, repr(os.read(fds[arg], 100).decode()))
        elif cmd == "append":
            name, _, text = arg.partition(" ")
            os.lseek(fds[name], 0, 2)
            os.write(fds[name], text.encode() + b"\n")
            print("appended to", name)
        elif cmd == "stat":
            st = os.fstat(fds[arg])
            print("fstat", arg, "size", st.st_size, "links", st.st_nlink)
        elif cmd == "close":
            os.close(fds.pop(arg))
            print("closed", arg)
    except OSError as e:
        print(cmd, arg, "failed:", e.strerror)
    sys.stdout.flush()
'
ask() {
	echo "$1" >&"${C[1]}"
	if read -t 20 -r reply <&"${C[0]}"; then echo "child: $reply"; else echo "child: no answer to '$1'"; fi
}

show a child that opened the file itself
printf 'first contents\n' >f
coproc C { python3 -c "$child" 2>&1; }
cpid=$C_PID # bash unsets C_PID once it has reaped the coprocess
ask 'open f'
rm f && ls f 2>&1
ask 'read f'
ask 'stat f'
ask 'append f written after unlink'
ask 'read f'
printf 'a new file under the old name\n' >f
ask 'read f'
cat f
printf 'replaced\n' >g.new && printf 'original g\n' >g
ask 'open g'
mv g.new g && cat g
ask 'read g'
ask 'close f'
ask 'close g'
# shellcheck disable=SC1083,SC2093 # bash closes the descriptor named by C[1]
exec {C[1]}>&-
wait "$cpid"; echo "child exit: $?"

show a descriptor inherited across exec
printf 'inherited contents\n' >h
exec 3<h
rm h
/bin/cat <&3; echo "cat of unlinked h: $?"
exec 3<&-
printf 'line one\nline two\n' >h2
exec 4<h2
rm h2
(sleep 0.2; /bin/cat <&4; echo "late cat: $?") &
wait $!
exec 4<&-
printf 'x\n' >h3
exec 5<>h3
rm h3
/bin/sh -c 'echo "child wrote this" >&5'
python3 -c 'import os; os.write(5, b"python wrote this\n")'
exec 5>&-
ls -A

show the parent reads what a child wrote into an unlinked file
python3 - <<'PY'
import os, subprocess
fd = os.open("u", os.O_RDWR | os.O_CREAT, 0o644)
os.unlink("u")
print("exists after unlink:", os.path.exists("u"))
r = subprocess.run(["/bin/sh", "-c", 'echo "from the child" >&%d; echo "second line" >&%d' % (fd, fd)], pass_fds=[fd])
print("child status", r.returncode)
os.lseek(fd, 0, 0)
print("parent reads", repr(os.read(fd, 100).decode()))
r = subprocess.run(["/bin/cat"], stdin=fd)
print("cat status", r.returncode, "links", os.fstat(fd).st_nlink)
os.close(fd)
PY

show a script that deletes itself while its interpreter reads it
selfdel() {
	{
		echo 'rm -f "$0"'
		echo 'test -e "$0" || echo "script is gone from the directory"'
		for i in $(seq 1 1500); do echo "# padding line $i, so the interpreter must read on after the unlink"; done
		echo 'echo "last line of the deleted script still read"'
	} >self.sh
}
selfdel && stat -c '%s' self.sh
sh self.sh; echo "sh status: $?"
selfdel && bash self.sh; echo "bash status: $?"
selfdel && chmod +x self.sh && ./self.sh; echo "run by path: $?"

show a deleted working directory
mkdir gone
(cd gone && rmdir ../gone && { ls -a; echo "ls: $?"; touch x 2>&1; echo "touch: $?"; /bin/pwd 2>&1 | sed "s#$root#ROOT#"; })
ls -A

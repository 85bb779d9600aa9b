"""Differential scenario for forkpty, login_tty and daemon with tree files
open: glibc forks and moves descriptors inside them, where no wrapper sees
it. The child must take its own references (the parent's file stays
readable after the child is gone) and what it prints must go to the
terminal or /dev/null, not to the tree file that was on its stdout."""
import ctypes, os, subprocess, sys, time

root = sys.argv[1]
os.makedirs(root)
log = os.path.join(root, "log")

READ_TERMINAL = r'''
out = b""
while True:
    try:
        chunk = os.read(master, 100)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
os.waitpid(pid, 0)
print("parent read", out.replace(b"\r", b"").decode().strip())
'''

PTY_CHILD = r'''
import os, pty, sys
pid, master = pty.fork()
if pid == 0:
    print("to the terminal", flush=True)
    os._exit(0)
''' + READ_TERMINAL

LOGIN_TTY_CHILD = r'''
import os, sys
master, slave = os.openpty()
pid = os.fork()
if pid == 0:
    os.close(master)
    os.login_tty(slave)
    print("to the terminal too", flush=True)
    os._exit(0)
os.close(slave)
''' + READ_TERMINAL

DAEMON_CHILD = r'''
import ctypes, os, sys
print("before daemon", flush=True)
if ctypes.CDLL(None, use_errno=True).daemon(1, 0) != 0:
    print("daemon failed", ctypes.get_errno())
    sys.exit(1)
print("after daemon: to /dev/null", flush=True)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("daemon ran, stdout %s\n" % os.path.realpath("/proc/self/fd/1"))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
'''

for name, code in (("forkpty", PTY_CHILD), ("login_tty", LOGIN_TTY_CHILD)):
    with open(log, "w+") as f:
        rc = subprocess.run([sys.executable, "-c", code], stdout=f, stderr=f).returncode
        f.seek(0)
        print(name, "exit", rc, "log:", f.read().strip())

marker = os.path.join(root, "daemon-done")
with open(log, "w+") as f:
    rc = subprocess.run([sys.executable, "-c", DAEMON_CHILD, marker], stdout=f, stderr=f).returncode
    for _ in range(500):
        if os.path.exists(marker):
            break
        time.sleep(0.01)
    f.seek(0)
    print("daemon exit", rc, "log:", f.read().strip())
with open(marker) as m:
    print(m.read().strip())

"""Differential scenario: advisory locks between opens and processes, as
Linux enforces them on tmpfs. flock and OFD locks conflict between two opens
of one process, POSIX locks do not; a forked child sees the parent's
locks with F_GETLK (pids printed as "parent", "child", "self"); closing any
descriptor of a file (close, dup2 over it, closerange) drops the process's
POSIX locks on it; a process's locks go when it exits or is killed; lockf;
blocking waits (F_SETLKW, flock, lockf F_LOCK) that the other process ends,
one ended by a signal handler, and a deadlock; and sqlite3 with two
connections in two processes, one holding a write transaction. Output never
depends on timing: the parent waits until the child is blocked, and the
child reports what the parent wrote before letting go. A child closes its
descriptors before it leaves, as exit would: ramdir does not yet count
the references of a process that ends without closing (issue 4), so an
open file it shared would keep its OFD and flock locks."""
import ctypes
import errno
import fcntl
import os
import signal
import sqlite3
import struct
import subprocess
import sys
import time

sys.stdout.reconfigure(line_buffering=True)
root = sys.argv[1]
os.mkdir(root)
F = os.path.join(root, "f")
FLOCK = "hhqqi4x"  # struct flock on 64-bit Linux
TYPES = {fcntl.F_RDLCK: "R", fcntl.F_WRLCK: "W", fcntl.F_UNLCK: "-"}
names = {os.getpid(): "parent"}
libc = ctypes.CDLL(None, use_errno=True)  # the preloaded lockf, if any
libc.lockf.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long]


def who(pid):
    if pid == os.getpid():
        return "self"
    return names.get(pid, str(pid) if pid <= 0 else "someone")


def ename(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def lock(fd, cmd, typ, start=0, length=0, whence=os.SEEK_SET, pid=0):
    """F_SETLK(W) and the OFD forms: "ok" or the errno name."""
    try:
        fcntl.fcntl(fd, cmd, struct.pack(FLOCK, typ, whence, start, length, pid))
        return "ok"
    except OSError as e:
        return ename(e)


def getlk(fd, typ=fcntl.F_WRLCK, start=0, length=0, ofd=False, whence=os.SEEK_SET):
    """F_GETLK / F_OFD_GETLK: "-" if free, else the lock reported."""
    cmd = fcntl.F_OFD_GETLK if ofd else fcntl.F_GETLK
    try:
        res = fcntl.fcntl(fd, cmd, struct.pack(FLOCK, typ, whence, start, length, 0))
    except OSError as e:
        return ename(e)
    t, w, s, n, p = struct.unpack(FLOCK, res)
    if t == fcntl.F_UNLCK:
        return "-"
    return f"{TYPES[t]} start {s} len {n} pid {who(p)} whence {w}"


def flock(fd, op):
    try:
        fcntl.flock(fd, op)
        return "ok"
    except OSError as e:
        return ename(e)


def lockf(fd, cmd, length):
    if libc.lockf(fd, cmd, length) == 0:
        return "ok"
    return errno.errorcode[ctypes.get_errno()]


def child(fn, *args, wait=True):
    """Run fn in a forked child, which then closes its descriptors and
    exits at once (fn may also end the process itself)."""
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        names[os.getppid()] = "parent"
        try:
            fn(*args)
        except BaseException as e:  # a failure shows in the transcript
            print("child raised", type(e).__name__, e)
        sys.stdout.flush()
        os.closerange(3, 1024)
        os._exit(0)
    names[pid] = "child"
    if wait:
        os.waitpid(pid, 0)
    return pid


def blocked(pid):
    """Wait until pid sleeps (blocked in its lock call), a little more."""
    for _ in range(2000):
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "S":
                break
        time.sleep(0.005)
    time.sleep(0.2)


def pipe_wait(r):
    return os.read(r, 1)


def openf(flags=os.O_RDWR):
    return os.open(F, flags | os.O_CREAT, 0o644)


print("== flock: two opens of one file in one process")
a, b = openf(), openf()
print("a LOCK_EX", flock(a, fcntl.LOCK_EX))
print("b LOCK_EX|NB", flock(b, fcntl.LOCK_EX | fcntl.LOCK_NB))
print("b LOCK_SH|NB", flock(b, fcntl.LOCK_SH | fcntl.LOCK_NB))
d = os.dup(a)
print("dup of a LOCK_EX|NB (same open file)", flock(d, fcntl.LOCK_EX | fcntl.LOCK_NB))
print("a LOCK_SH (downgrade)", flock(a, fcntl.LOCK_SH))
print("b LOCK_SH|NB", flock(b, fcntl.LOCK_SH | fcntl.LOCK_NB))
print("b LOCK_EX|NB (conversion fails, drops b's lock)", flock(b, fcntl.LOCK_EX | fcntl.LOCK_NB))
print("a LOCK_EX|NB", flock(a, fcntl.LOCK_EX | fcntl.LOCK_NB))
print("flock and fcntl locks are apart: b F_SETLK W", lock(b, fcntl.F_SETLK, fcntl.F_WRLCK))
os.close(a)
print("a closed, dup holds it: b LOCK_SH|NB", flock(b, fcntl.LOCK_SH | fcntl.LOCK_NB))
os.close(d)
print("last close: b LOCK_SH|NB", flock(b, fcntl.LOCK_SH | fcntl.LOCK_NB))
print("bad op", flock(b, 0))
print("child sees b's shared lock: LOCK_EX|NB on its own open",
      end=" ")
child(lambda: print(flock(openf(os.O_RDONLY), fcntl.LOCK_EX | fcntl.LOCK_NB)))
print("child shares b's open file: LOCK_EX|NB on it", end=" ")
child(lambda: print(flock(b, fcntl.LOCK_EX | fcntl.LOCK_NB)))
print("parent after the child converted the shared lock: b has", flock(b, fcntl.LOCK_SH | fcntl.LOCK_NB))
print("b LOCK_UN", flock(b, fcntl.LOCK_UN))
os.close(b)

print("== OFD locks in one process")
a, b = openf(), openf()
print("a OFD W 0+10", lock(a, fcntl.F_OFD_SETLK, fcntl.F_WRLCK, 0, 10))
print("b OFD R 5+1", lock(b, fcntl.F_OFD_SETLK, fcntl.F_RDLCK, 5, 1))
print("b OFD GETLK", getlk(b, ofd=True))
print("a OFD GETLK", getlk(a, ofd=True))
print("a OFD with l_pid 1", lock(a, fcntl.F_OFD_SETLK, fcntl.F_WRLCK, 50, 1, pid=1))
print("a POSIX R 0+1 against a's OFD lock", lock(a, fcntl.F_SETLK, fcntl.F_RDLCK, 0, 1))
print("a POSIX W 20+1", lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, 20, 1))
print("b OFD GETLK from 15", getlk(b, start=15, ofd=True))
print("child OFD GETLK on the inherited a", end=" ")
child(lambda: print(getlk(a, ofd=True), "|", getlk(a, start=15)))
os.close(a)
print("a closed: b OFD W 5+1", lock(b, fcntl.F_OFD_SETLK, fcntl.F_WRLCK, 5, 1))
os.close(b)

print("== POSIX locks in one process")
a, b = openf(), openf()
r, w = openf(os.O_RDONLY), openf(os.O_WRONLY)
print("a W 0+10", lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, 0, 10))
print("b W 0+10 (same process)", lock(b, fcntl.F_SETLK, fcntl.F_WRLCK, 0, 10))
print("b R 5+1 (converts the process's lock)", lock(b, fcntl.F_SETLK, fcntl.F_RDLCK, 5, 1))
print("b GETLK", getlk(b))
print("child GETLK", end=" ")
child(lambda: print(getlk(a), "|", getlk(a, start=5, length=1), "|", getlk(a, start=6, length=0)))
print("W on read-only", lock(r, fcntl.F_SETLK, fcntl.F_WRLCK))
print("R on write-only", lock(w, fcntl.F_SETLK, fcntl.F_RDLCK))
print("unlock on read-only", lock(r, fcntl.F_SETLK, fcntl.F_UNLCK, 100, 1))
print("GETLK W on read-only", getlk(r))
print("GETLK F_UNLCK", getlk(a, typ=fcntl.F_UNLCK))
print("bad type", lock(a, fcntl.F_SETLK, 7))
print("bad whence", lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, whence=9))
print("start before 0", lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, -1, 1))
print("len past start", lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, 2, -3))
print("past the largest offset", lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, 2**63 - 1, 2))
os.write(a, b"0123456789")
print("a W SEEK_CUR-2 len 1, SEEK_END+5 len 3, SEEK_SET 30 len -3:",
      lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, -2, 1, os.SEEK_CUR),
      lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, 5, 3, os.SEEK_END),
      lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, 30, -3))
print("child GETLK from 10, from 16, from 25", end=" ")
child(lambda: print(getlk(a, start=10), "|", getlk(a, start=16), "|", getlk(a, start=25)))
print("a unlock 0+0", lock(a, fcntl.F_SETLK, fcntl.F_UNLCK))
print("split: a W 0+100, unlock 40+20, R 200+10:",
      lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, 0, 100),
      lock(a, fcntl.F_SETLK, fcntl.F_UNLCK, 40, 20),
      lock(a, fcntl.F_SETLK, fcntl.F_RDLCK, 200, 10))


def look():
    print(getlk(a), "|", getlk(a, start=40, length=20), "|", getlk(a, start=50), "|",
          getlk(a, fcntl.F_RDLCK, 150), "|", getlk(a, start=150))
    print("  child W 0+1", lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, 0, 1),
          "child W 45+1", lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, 45, 1),
          "child R 205+1", lock(a, fcntl.F_SETLK, fcntl.F_RDLCK, 205, 1))


print("child looks:", end=" ")
child(look)
print("merge: a W 40+20", lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, 40, 20), "child:", end=" ")
child(lambda: print(getlk(a, start=50, length=1)))

print("== a process's POSIX locks go with any of its descriptors of the file")
for how in ("close", "dup2 over it", "closerange"):
    print("a W 0+50", lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, 0, 50), "b OFD R 100+1",
          lock(b, fcntl.F_OFD_SETLK, fcntl.F_RDLCK, 100, 1))
    other = openf(os.O_RDONLY)
    print(" child before:", end=" ")
    child(lambda: print(getlk(a, start=10, length=1)))
    if how == "close":
        os.close(other)
    elif how == "dup2 over it":
        os.dup2(r, other)
        os.close(other)
    else:
        os.closerange(other, other + 1)
    print(f" after {how} of another descriptor, child:", end=" ")
    child(lambda: print(getlk(a, start=10, length=1), "|", getlk(a, start=100, length=1)))
print("closing an unrelated descriptor keeps them:", lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, 0, 50),
      end=" ")
g = os.open(os.path.join(root, "g"), os.O_RDWR | os.O_CREAT, 0o644)
os.close(g)
child(lambda: print(getlk(a)))
for fd in (a, b, r, w):
    os.close(fd)

print("== a process's locks go when it exits or dies")
a = openf()
for end in ("exit()", "_exit()", "SIGKILL"):
    rd, wr = os.pipe()
    go_r, go_w = os.pipe()

    def hold(end=end, wr=wr, go_r=go_r):
        print(" child W 0+10", lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, 0, 10))
        os.write(wr, b"x")
        pipe_wait(go_r)
        if end == "exit()":
            libc.exit(0)
        elif end == "_exit()":
            os._exit(0)
        time.sleep(60)

    pid = child(hold, wait=False)
    pipe_wait(rd)
    print(" parent GETLK", getlk(a))
    os.write(go_w, b"x")
    if end == "SIGKILL":
        os.kill(pid, signal.SIGKILL)
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # gone, not reaped
    print(f" after the child's {end}: parent W 0+10", lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, 0, 10),
          "unlock", lock(a, fcntl.F_SETLK, fcntl.F_UNLCK))
    os.waitpid(pid, 0)
    for fd in (rd, wr, go_r, go_w):
        os.close(fd)
os.close(a)

print("== lockf")
a = openf()
os.lseek(a, 10, os.SEEK_SET)
print("F_LOCK 10 bytes from position 10", lockf(a, os.F_LOCK, 10))
print("F_TEST own lock", lockf(a, os.F_TEST, 10))
print("child:", end=" ")


def lockf_child():
    print("F_TEST", lockf(a, os.F_TEST, 10), "F_TLOCK", lockf(a, os.F_TLOCK, 10),
          "GETLK", getlk(a, start=0))
    os.lseek(a, 0, os.SEEK_SET)  # shared position: the parent's moves too
    print("  at 0: F_TEST 10", lockf(a, os.F_TEST, 10), "F_TEST 11", lockf(a, os.F_TEST, 11),
          "F_TLOCK 10", lockf(a, os.F_TLOCK, 10), "F_TEST to EOF", lockf(a, os.F_TEST, 0))


child(lockf_child)
os.lseek(a, 20, os.SEEK_SET)
print("F_ULOCK 5 bytes before position 20", lockf(a, os.F_ULOCK, -5))
print("child GETLK", end=" ")
child(lambda: print(getlk(a, start=10, length=10)))
print("bad cmd", lockf(a, 9, 0))
os.close(a)

print("== blocking waits")
a = openf()
print("parent W 0+1", lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, 0, 1))
rd, wr = os.pipe()


def setlkw():
    os.write(wr, b"x")
    print(" child F_SETLKW", lock(a, fcntl.F_SETLKW, fcntl.F_WRLCK, 0, 1),
          "and reads", os.pread(a, 8, 100))


pid = child(setlkw, wait=False)
pipe_wait(rd)
blocked(pid)
os.pwrite(a, b"unlocked", 100)
res = lock(a, fcntl.F_SETLK, fcntl.F_UNLCK, 0, 1)
os.waitpid(pid, 0)
print(" parent unlocked", res)

fa = openf()
print("parent LOCK_EX", flock(fa, fcntl.LOCK_EX))


def flockw():
    own = openf()
    os.close(fa)  # inherited: the parent's close must be the last one
    os.write(wr, b"x")
    print(" child LOCK_EX", flock(own, fcntl.LOCK_EX), "and reads", os.pread(own, 6, 200))


pid = child(flockw, wait=False)
pipe_wait(rd)
blocked(pid)
os.pwrite(a, b"closed", 200)
print(" parent closes its open file")
os.close(fa)
os.waitpid(pid, 0)

print("parent lockf F_LOCK 0+4", lockf(a, os.F_LOCK, 4))


def lockfw():
    os.write(wr, b"x")
    print(" child lockf F_LOCK", lockf(a, os.F_LOCK, 4), "and reads", os.pread(a, 5, 300))


pid = child(lockfw, wait=False)
pipe_wait(rd)
blocked(pid)
os.pwrite(a, b"F_ULOCK", 300)
res = lockf(a, os.F_ULOCK, 4)
os.waitpid(pid, 0)
print(" parent F_ULOCK", res)

print("parent W 0+1 again", lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, 0, 1))


class Alarm(Exception):
    pass


def interrupted():
    def ring(sig, frame):
        raise Alarm()

    signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    try:
        print(" child F_SETLKW", lock(a, fcntl.F_SETLKW, fcntl.F_WRLCK, 0, 1))
    except Alarm:
        print(" child F_SETLKW ended by the signal handler")
    print(" child GETLK after", getlk(a))


child(interrupted)


def deadlock():
    print(" child W 1+1", lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, 1, 1))
    os.write(wr, b"x")
    print(" child F_SETLKW 0+1", lock(a, fcntl.F_SETLKW, fcntl.F_WRLCK, 0, 1))


pid = child(deadlock, wait=False)
pipe_wait(rd)
blocked(pid)
print(" parent F_SETLKW 1+1 (the child waits for the parent)", lock(a, fcntl.F_SETLKW, fcntl.F_WRLCK, 1, 1))
res = lock(a, fcntl.F_SETLK, fcntl.F_UNLCK, 0, 1)
os.waitpid(pid, 0)
print(" parent unlocked 0+1", res)


def killed():
    print(" child W 0+0", lock(a, fcntl.F_SETLK, fcntl.F_WRLCK))
    os.write(wr, b"x")
    time.sleep(60)


pid = child(killed, wait=False)
pipe_wait(rd)
print(" parent F_SETLK", lock(a, fcntl.F_SETLK, fcntl.F_WRLCK, 5, 1))
os.kill(pid, signal.SIGKILL)
print(" child killed; parent F_SETLKW", lock(a, fcntl.F_SETLKW, fcntl.F_WRLCK, 5, 1))
os.waitpid(pid, 0)
os.close(a)

print("== sqlite3: two connections in two processes")
db = os.path.join(root, "db.sqlite")
OTHER = """
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)
for sql in sys.argv[2:]:
    try:
        print("  other:", sql, "->", c.execute(sql).fetchall())
    except sqlite3.Error as e:
        print("  other:", sql, "->", type(e).__name__, e)
"""


def other(*sql):
    # close_fds=False: the new program finds the tree through an inherited
    # descriptor, and Python's vfork child must not close the parent's
    # tree descriptors through the library (both are issue 4's).
    out = subprocess.run([sys.executable, "-c", OTHER, db, *sql], capture_output=True, text=True,
                         close_fds=False)
    print(out.stdout + out.stderr, end="")


c = sqlite3.connect(db, timeout=0, isolation_level=None)
c.execute("create table t(x)")
c.execute("insert into t values (1)")
c.execute("begin immediate")
c.execute("insert into t values (2)")
print("this process holds a write transaction")
other("select count(*) from t", "insert into t values (3)", "begin immediate")
c.execute("commit")
print("committed")
other("insert into t values (3)", "select count(*) from t")
c.execute("begin exclusive")
print("this process holds an exclusive transaction")
other("select count(*) from t")
c.execute("rollback")
other("select count(*) from t")
print("integrity", c.execute("pragma integrity_check").fetchone())
c.close()
print("done")

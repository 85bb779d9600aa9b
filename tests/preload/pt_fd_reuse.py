"""Differential scenario for descriptor numbers and closed descriptors.
A closed tree descriptor may stay open in the kernel as an idle one
(docs/fd-model.md): to the program it must be closed (EBADF from every
call), and the next descriptor made by any call must take the lowest free
number, as on tmpfs."""
import ctypes, errno, fcntl, os, select, socket, subprocess, sys, threading

root = sys.argv[1]
os.makedirs(root)
p = os.path.join(root, "a")
with open(p, "wb") as f:
    f.write(b"hello")
libc = ctypes.CDLL(None, use_errno=True)
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.fclose.argtypes = [ctypes.c_void_p]
libc.opendir.restype = ctypes.c_void_p
libc.opendir.argtypes = [ctypes.c_char_p]
libc.closedir.argtypes = [ctypes.c_void_p]


def attempt(label, f):
    try:
        print(label, "ok", f())
    except OSError as e:
        print(label, errno.errorcode[e.errno])


def closed_one():
    fd = os.open(p, os.O_RDWR)
    os.close(fd)
    return fd


keep = os.open(p, os.O_RDONLY)  # a tree descriptor that stays: numbers relative to it
# every call on a closed tree descriptor says EBADF
pair = socket.socketpair()  # made first: a new socket closes idle descriptors
fd = closed_one()
print("closed", fd)
attempt("close", lambda: os.close(fd))
attempt("fstat", lambda: os.fstat(fd).st_size)
attempt("dup", lambda: os.dup(fd))
attempt("dup2", lambda: os.dup2(fd, 50))
attempt("read", lambda: os.read(fd, 1))
attempt("write", lambda: os.write(fd, b"x"))
attempt("pread", lambda: os.pread(fd, 1, 0))
attempt("lseek", lambda: os.lseek(fd, 0, 0))
attempt("get_inheritable", lambda: os.get_inheritable(fd))
attempt("set_inheritable", lambda: os.set_inheritable(fd, True))
attempt("get_blocking", lambda: os.get_blocking(fd))
attempt("fstatvfs", lambda: os.fstatvfs(fd).f_bsize > 0)
attempt("fchdir", lambda: os.fchdir(fd))
attempt("listdir", lambda: os.listdir(fd))
attempt("stat dir_fd", lambda: os.stat("x", dir_fd=fd))
attempt("open dir_fd", lambda: os.open("x", os.O_RDONLY, dir_fd=fd))
attempt("fsync", lambda: os.fsync(fd))
attempt("ftruncate", lambda: os.ftruncate(fd, 0))
attempt("fchmod", lambda: os.fchmod(fd, 0o600))
attempt("utime", lambda: os.utime(fd))
attempt("isatty", lambda: os.isatty(fd))
attempt("fdopen", lambda: os.fdopen(fd).read())
poller = select.poll()
poller.register(fd)
print("poll", poller.poll(0))
attempt("select", lambda: select.select([fd], [], [], 0))
attempt("select write", lambda: select.select([], [fd], [], 0))
attempt("send_fds", lambda: socket.send_fds(pair[0], [b"x"], [keep, fd]))
pair[0].close()
pair[1].close()
with open(p, "rb") as f:
    print("content", f.read())

# the next descriptor of every kind takes the lowest free number
def after_close(label, make, close=os.close):
    base = closed_one()
    new = make()
    print(label, new - base if isinstance(new, int) else [n - base for n in new])
    for n in [new] if isinstance(new, int) else new:
        close(n)


after_close("tree open", lambda: os.open(p, os.O_RDONLY))
after_close("tree open cloexec", lambda: os.open(p, os.O_RDONLY | os.O_CLOEXEC))
after_close("tree create", lambda: os.open(os.path.join(root, "b"), os.O_CREAT | os.O_WRONLY, 0o644))
after_close("real open", lambda: os.open("/dev/null", os.O_RDONLY))
after_close("pipe", lambda: list(os.pipe()))
null = os.open("/dev/null", os.O_RDONLY)  # a real descriptor that stays
after_close("dup", lambda: os.dup(null))
after_close("dup tree", lambda: os.dup(keep))
after_close("socket", lambda: socket.socket().detach())
after_close("socketpair", lambda: [s.detach() for s in socket.socketpair()])
after_close("eventfd", lambda: os.eventfd(0))
after_close("memfd", lambda: os.memfd_create("x"))
after_close("tree directory", lambda: os.open(root, os.O_RDONLY | os.O_DIRECTORY))
after_close("fcntl dupfd", lambda: fcntl.fcntl(null, fcntl.F_DUPFD, 0))
# close-on-exec as asked, whatever the reused number had (libc's open:
# Python's os.open always adds O_CLOEXEC)
libc.open.argtypes = [ctypes.c_char_p, ctypes.c_int]
print("inheritable flips")
for flags in (os.O_RDONLY, os.O_RDONLY | os.O_CLOEXEC, os.O_RDONLY, os.O_RDONLY, os.O_RDONLY | os.O_CLOEXEC):
    base = closed_one()
    n = libc.open(p.encode(), flags)
    print(" ", n - base, os.get_inheritable(n))
    os.close(n)
n = os.open(p, os.O_RDONLY)
os.set_inheritable(n, True)
os.close(n)
n = os.open(p, os.O_RDONLY | os.O_CLOEXEC)
print("after set_inheritable", os.get_inheritable(n))
os.close(n)

# a real descriptor below the idle one closed: the tree open takes it
low = os.open("/dev/null", os.O_RDONLY)
a = os.open(p, os.O_RDONLY)
os.close(a)
os.close(low)
b = os.open(p, os.O_RDONLY)
print("below idle", b - low)
os.close(b)
# the same through fclose and closedir (closed inside glibc)
for opener, closer, arg in ((libc.fopen, libc.fclose, (b"/dev/null", b"r")),
                            (libc.opendir, libc.closedir, (b"/dev",))):
    h = opener(*arg)
    a = os.open(p, os.O_RDONLY)
    os.close(a)
    closer(h)
    b = os.open(p, os.O_RDONLY)
    print("below idle via", closer.__name__, b - keep)
    os.close(b)
# dup2 onto a closed tree number, then open again
fd = closed_one()
print("dup2 onto", os.dup2(null, fd) - fd, os.fstat(fd).st_ino == os.fstat(null).st_ino)
os.close(fd)
n = os.open(p, os.O_RDONLY)
print("after dup2", n - fd, os.read(n, 5))
os.close(n)
# a tree descriptor placed high by dup2, closed: open goes low again
h = os.open(p, os.O_RDONLY)
os.dup2(h, 60)
os.close(h)
os.close(60)
n = os.open(p, os.O_RDONLY)
print("after high close", n - keep)
os.close(n)
# close_range over idle ones
fds = [os.open(p, os.O_RDONLY) for _ in range(4)]
for n in fds:
    os.close(n)
os.closerange(fds[0], fds[-1] + 1)
n = os.open(p, os.O_RDONLY)
print("after closerange", n - keep)
os.close(n)

# children see no idle descriptor
closed_one()
out = subprocess.run(["ls", "/proc/self/fd"], capture_output=True, text=True).stdout.split()
print("spawned child fds", sorted(int(x) for x in out if int(x) < 100))
closed_one()
out = subprocess.run(["sh", "-c", "ls /proc/$$/fd"], capture_output=True, text=True, close_fds=False).stdout.split()
print("close_fds=False child fds", sorted(int(x) - keep for x in out if keep <= int(x) < 100))
closed_one()
pid = os.fork()
if pid == 0:
    n = os.open(p, os.O_RDONLY)
    r, w = os.pipe()
    print("fork child", n - keep, r - keep, w - keep, flush=True)
    os._exit(0)
os.waitpid(pid, 0)

# threads opening and closing at once: every descriptor is a working one
def churn(k):
    for i in range(300):
        n = os.open(p, os.O_RDONLY)
        if os.read(n, 5) != b"hello":
            print("thread", k, "read wrong data")
        os.close(n)
        r, w = os.pipe()
        os.write(w, b"z")
        if os.read(r, 1) != b"z":
            print("thread", k, "pipe wrong")
        os.close(r)
        os.close(w)


ts = [threading.Thread(target=churn, args=(k,)) for k in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
n = os.open(p, os.O_RDONLY)
print("after threads", n - keep)

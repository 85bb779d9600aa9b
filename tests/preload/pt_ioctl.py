"""Differential scenario for ioctl and isatty on files and directories:
tmpfs's answers (bytes left to read, size, block size, inode flags, no
cloning, ENOTTY for terminal requests), close-on-exec and non-blocking
set by ioctl, and cp --reflink."""
import array, errno, fcntl, os, subprocess, sys, termios

root = sys.argv[1]
os.makedirs(root)
p = os.path.join(root, "f")
with open(p, "wb") as f:
    f.write(b"x" * 10000)

def ask(label, fd, req, fmt="i", value=0):
    buf = array.array(fmt, [value])
    try:
        fcntl.ioctl(fd, req, buf, True)
        print(label, buf[0])
    except OSError as e:
        print(label, errno.errorcode[e.errno])

FIOQSIZE, FIGETBSZ, FICLONE = 0x5460, 2, 0x40049409
FS_IOC_GETFLAGS, FS_IOC_SETFLAGS = 0x80086601, 0x40086601
fd = os.open(p, os.O_RDWR)
os.lseek(fd, 1000, os.SEEK_SET)
ask("FIONREAD", fd, termios.FIONREAD)
ask("FIOQSIZE", fd, FIOQSIZE, "q")
ask("FIGETBSZ", fd, FIGETBSZ)
ask("GETFLAGS", fd, FS_IOC_GETFLAGS, "l")
ask("TCGETS", fd, termios.TCGETS)
d = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
ask("dir FIONREAD", d, termios.FIONREAD)
ask("dir GETFLAGS", d, FS_IOC_GETFLAGS, "l")
ask("dir FIOQSIZE", d, FIOQSIZE, "q")
g = os.open(os.path.join(root, "g"), os.O_RDWR | os.O_CREAT, 0o644)
try:
    fcntl.ioctl(g, FICLONE, fd)
    print("FICLONE ok")
except OSError as e:
    print("FICLONE", errno.errorcode[e.errno])
print("isatty", os.isatty(fd))
try:
    termios.tcgetattr(fd)
except termios.error as e:
    print("tcgetattr", errno.errorcode[e.args[0]])
os.set_inheritable(fd, True)
fcntl.ioctl(fd, termios.FIOCLEX)
print("FIOCLEX inheritable", os.get_inheritable(fd))
fcntl.ioctl(fd, termios.FIONCLEX)
print("FIONCLEX inheritable", os.get_inheritable(fd))
fcntl.ioctl(fd, termios.FIONBIO, array.array("i", [1]), True)
print("FIONBIO nonblock", bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK))
fcntl.ioctl(fd, termios.FIONBIO, array.array("i", [0]), True)
print("FIONBIO off", bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK))
for mode in ("auto", "always"):
    r = subprocess.run(["cp", "--reflink=" + mode, p, p + "." + mode], capture_output=True, text=True)
    print("cp --reflink=" + mode, r.returncode, r.stderr.replace(root, "ROOT").strip())

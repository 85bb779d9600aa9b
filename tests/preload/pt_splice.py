"""Differential scenario for splice(2) between a pipe and a file: file to
pipe with and without an offset (the file position moves only without),
end of file, pipe to file with and without an offset, the writer gone,
and the errors in the kernel's order (no pipe, not open for writing, an
offset on the pipe side, a non-blocking empty pipe, O_APPEND)."""
import os, sys, errno
root = sys.argv[1]
os.makedirs(root, exist_ok=True)
p = os.path.join(root, "f")
with open(p, "wb") as f: f.write(b"0123456789")
fd = os.open(p, os.O_RDONLY)
r, w = os.pipe()
print("in", os.splice(fd, w, 5), os.read(r, 100), os.lseek(fd, 0, os.SEEK_CUR))
print("in off", os.splice(fd, w, 3, offset_src=6), os.read(r, 100), os.lseek(fd, 0, os.SEEK_CUR))
print("eof", os.splice(fd, w, 3, offset_src=20))
os.write(w, b"abcdef")
o = os.open(os.path.join(root, "g"), os.O_RDWR | os.O_CREAT, 0o644)
print("out", os.splice(r, o, 4), os.lseek(o, 0, os.SEEK_CUR))
print("out off", os.splice(r, o, 10, offset_dst=20), os.lseek(o, 0, os.SEEK_CUR))
os.close(w)
print("eof pipe", os.splice(r, o, 10))
print(open(os.path.join(root, "g"), "rb").read())
for args in [(fd, o, 1), (fd, fd, 1)]:
    try: print(os.splice(*args))
    except OSError as e: print("err", errno.errorcode[e.errno])
r2, w2 = os.pipe()
try: os.splice(r2, o, 1, offset_src=0)
except OSError as e: print("err", errno.errorcode[e.errno])
os.set_blocking(r2, False)
try: os.splice(r2, o, 1)
except OSError as e: print("err", errno.errorcode[e.errno])
a = os.open(os.path.join(root, "a"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
os.write(w2, b"x")
try: os.splice(r2, a, 1)
except OSError as e: print("err", errno.errorcode[e.errno])
wo = os.open(p, os.O_WRONLY)
try: os.splice(wo, w2, 1)
except OSError as e: print("err", errno.errorcode[e.errno])

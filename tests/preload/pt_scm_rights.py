"""Differential scenario for descriptors passed over a Unix socket
(SCM_RIGHTS): a file descriptor of the directory sent to this process and
to a child, which reads and writes through it; the open file is one (its
offset moves for both); a real descriptor in the same message still works;
a sent descriptor stays valid after the sender closes its own."""
import os, socket, sys

root = sys.argv[1]
os.makedirs(root)
p = os.path.join(root, "f")
with open(p, "wb") as f:
    f.write(b"0123456789")

a, b = socket.socketpair()
fd = os.open(p, os.O_RDWR)
real = os.open("/dev/null", os.O_RDONLY)
socket.send_fds(a, [b"two"], [fd, real])
msg, fds, flags, addr = socket.recv_fds(b, 100, 2)
print("received", msg, len(fds))
got, gotreal = fds
print("read via received", os.read(got, 4))
print("offset shared", os.lseek(fd, 0, os.SEEK_CUR))
print("real one", os.read(gotreal, 10))
os.close(fd)
print("after sender closed", os.pread(got, 3, 7))

pid = os.fork()
if pid == 0:
    c_msg, c_fds, _, _ = socket.recv_fds(b, 100, 1)
    os.write(c_fds[0], b"AB")
    os._exit(0)
socket.send_fds(a, [b"x"], [got])
os.waitpid(pid, 0)
print("child wrote at the shared offset", os.lseek(got, 0, os.SEEK_CUR), open(p, "rb").read())
print("stat via received", os.fstat(got).st_size)
os.close(got)
os.close(gotreal)

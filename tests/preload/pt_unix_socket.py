"""Differential scenario for Unix-domain sockets named in the directory:
a stream server and client (bind, listen, connect, accept, names), a
datagram pair (sendto by path), what stat, ls and readdir show of a socket,
and the errors: an existing name, a missing one, a file that is no socket,
a socket nobody listens on, a name removed while bound, no write
permission; open of a socket; a relative name from inside the directory."""
import errno, os, socket, stat, subprocess, sys

root = sys.argv[1]
os.makedirs(root)
os.chdir(root)

def err(label, f):
    try:
        r = f()
        print(label, "ok" if r is None else r)
    except OSError as e:
        print(label, errno.errorcode[e.errno])

srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(os.path.join(root, "s.sock"))
srv.listen(1)
print("server name", srv.getsockname().replace(root, "ROOT"))
# A name longer than the abstract one the library binds underneath: it
# came back cut to that length (CPython's test_socket then connected to a
# path that does not exist), and a client connects with what it got.
long_dir = os.path.join(root, "d" * 40)
os.mkdir(long_dir)
long_srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
long_srv.bind(os.path.join(long_dir, "a-long-socket-name.sock"))
long_srv.listen(1)
got = long_srv.getsockname()
print("long name", got.replace(root, "ROOT"), len(got) - len(root))
long_cli = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
err("connect to the long name got", lambda: long_cli.connect(got))
long_cli.close()
long_srv.close()
os.unlink(got)
os.rmdir(long_dir)
st = os.stat("s.sock")
print("stat", stat.S_ISSOCK(st.st_mode), oct(st.st_mode & 0o777), st.st_size)
print("ls", subprocess.run(["ls", "-l", "s.sock"], capture_output=True, text=True).stdout.split()[0])
print("scandir", [(e.name, e.is_socket() if hasattr(e, "is_socket") else stat.S_ISSOCK(e.stat().st_mode)) for e in os.scandir(".")])
cli = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
cli.connect("s.sock")  # relative: the working directory is the root
conn, addr = srv.accept()
# The kernel gives the name the server bound; the library gives the one the
# client connected with (README, limitations): only its last part is shown.
print("peer of client", os.path.basename(cli.getpeername()), "accepted from", repr(addr))
cli.sendall(b"ping")
print("server got", conn.recv(10))
conn.sendall(b"pong")
print("client got", cli.recv(10))
for s in (cli, conn):
    s.close()

err("bind existing", lambda: socket.socket(socket.AF_UNIX).bind("s.sock"))
err("connect missing", lambda: socket.socket(socket.AF_UNIX).connect("nothing.sock"))
open("plain", "w").close()
err("connect to a file", lambda: socket.socket(socket.AF_UNIX).connect("plain"))
err("open a socket", lambda: os.open("s.sock", os.O_RDONLY))
os.rename("s.sock", "moved.sock")
err("connect old name", lambda: socket.socket(socket.AF_UNIX).connect("s.sock"))
c2 = socket.socket(socket.AF_UNIX)
err("connect new name", lambda: c2.connect("moved.sock"))
c2.close()
srv.close()
err("connect, nobody listening", lambda: socket.socket(socket.AF_UNIX).connect("moved.sock"))
os.unlink("moved.sock")
err("bind again", lambda: socket.socket(socket.AF_UNIX).bind("moved.sock"))
os.mkdir("sub")
err("bind in a missing dir", lambda: socket.socket(socket.AF_UNIX).bind("nodir/x.sock"))

d1 = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
d1.bind("sub/d1.sock")
d2 = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
d2.sendto(b"datagram", os.path.join(root, "sub/d1.sock"))
print("datagram", d1.recv(20))
d1.close()
d2.close()
err("mknod socket", lambda: os.mknod("made.sock", stat.S_IFSOCK | 0o600))
print("mknod mode", oct(os.stat("made.sock").st_mode))
err("connect to a bare node", lambda: socket.socket(socket.AF_UNIX).connect("made.sock"))
print("listing", sorted(os.listdir(".")))
with open("plain", "rb") as f:  # a file is no socket: ENOTSOCK, not EBADF
    err("socket(fileno=file)", lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM, fileno=f.fileno()))
    err("getsockopt on a file", lambda: socket.socket(fileno=f.fileno()))

"""Differential scenario: the Python standard library's file modules in one
process with its working directory inside ROOT: tempfile (TMPDIR in the
root), zipfile and tarfile (plain and gzip) round trips, shutil copies and
archives, sqlite3 in the rollback-journal modes, and mmap (shared and
private, resize). Prints what it sees, never times or inode numbers."""
import hashlib
import io
import mmap
import os
import shutil
import sys
import tarfile
import tempfile
import zipfile

import sqlite_modes

sys.stdout.reconfigure(line_buffering=True)
root = sys.argv[1]
os.mkdir(root)
os.chdir(root)
print("cwd", os.getcwd())


def attempt(label, fn):
    try:
        print(label, fn())
    except OSError as e:
        print(label, type(e).__name__, e.errno and os.strerror(e.errno))
    except Exception as e:  # zipfile.BadZipFile and friends
        print(label, type(e).__name__, e)


def listing(top):
    out = []
    for d, dirs, files in os.walk(top):
        dirs.sort()
        for n in sorted(files):
            p = os.path.join(d, n)
            with open(p, "rb") as f:
                out.append(f"{os.path.relpath(p, top)} {os.path.getsize(p)} "
                           f"{hashlib.md5(f.read()).hexdigest()[:8]}")
    return out


print("== tempfile")
os.mkdir("tmp")
os.environ["TMPDIR"] = os.path.join(root, "tmp")
tempfile.tempdir = None
print("gettempdir in root:", tempfile.gettempdir() == os.path.join(root, "tmp"))
with tempfile.NamedTemporaryFile("w+", suffix=".txt") as f:
    f.write("named temp\n")
    f.flush()
    print("named exists:", os.path.exists(f.name), os.path.dirname(f.name) == tempfile.gettempdir())
    f.seek(0)
    print("named reads:", f.read().strip())
print("named gone:", os.listdir("tmp"))
with tempfile.TemporaryFile() as f:
    f.write(b"x" * 5000)
    f.seek(100)
    print("anonymous temp:", len(f.read()), os.listdir("tmp"))
d = tempfile.mkdtemp(prefix="dir")
print("mkdtemp mode:", oct(os.stat(d).st_mode & 0o777))
fd, name = tempfile.mkstemp(dir=d, text=True)
os.write(fd, b"mkstemp\n")
os.close(fd)
print("mkstemp:", oct(os.stat(name).st_mode & 0o777), open(name).read().strip())
with tempfile.TemporaryDirectory(dir="tmp") as td:
    open(os.path.join(td, "inner"), "w").write("i")
    print("tempdir entries:", os.listdir(td))
print("after tempdir:", sorted(os.listdir("tmp")) == [os.path.basename(d)])
shutil.rmtree(d)

print("== zipfile")
os.makedirs("data/sub")
for i in range(5):
    with open(f"data/f{i}.txt", "w") as f:
        f.write(f"file {i}\n" * (i * 300 + 1))
with open("data/sub/bin", "wb") as f:
    f.write(bytes(range(256)) * 40)
with zipfile.ZipFile("a.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for p in sorted(listing("data")):
        name = p.split()[0]
        z.write(os.path.join("data", name), name)
    z.writestr("note.txt", "written from memory\n")
with zipfile.ZipFile("a.zip") as z:
    print("zip test:", z.testzip())
    print("zip names:", sorted(z.namelist()))
    z.extractall("unzipped")
print("unzipped:", listing("unzipped"))
with zipfile.ZipFile("a.zip", "a") as z:
    z.writestr("appended.txt", "more\n")
with zipfile.ZipFile("a.zip") as z:
    print("after append:", len(z.namelist()), z.read("appended.txt"))
attempt("bad zip", lambda: zipfile.ZipFile("data/f0.txt"))

print("== tarfile")
for mode, ext in (("w", "tar"), ("w:gz", "tar.gz")):
    with tarfile.open(f"a.{ext}", mode) as t:
        t.add("data", arcname="data")
    with tarfile.open(f"a.{ext}") as t:
        names = sorted(m.name for m in t.getmembers())
        t.extractall(f"untar-{ext}")
    print(ext, names)
    print(ext, "extracted:", listing(f"untar-{ext}/data") == listing("data"))
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    t.add("data/f1.txt")
print("tar to memory:", len(buf.getvalue()))

print("== shutil")
shutil.copyfile("data/f4.txt", "copy.txt")
shutil.copy2("data/f3.txt", "copy2.txt")
print("copies:", os.path.getsize("copy.txt"), os.path.getsize("copy2.txt"))
print("copy2 keeps mtime:", os.stat("copy2.txt").st_mtime == os.stat("data/f3.txt").st_mtime)
arch = shutil.make_archive("made", "gztar", root_dir="data")
print("make_archive:", os.path.basename(arch))
shutil.unpack_archive(arch, "unpacked")
print("unpacked same:", listing("unpacked") == listing("data"))
print("disk_usage total > 0:", shutil.disk_usage(".").total > 0)

print("== sqlite3")
for m in ("delete", "truncate", "persist"):
    sqlite_modes.run(root, m)

print("== mmap")
with open("m.bin", "wb") as f:
    f.write(b"0123456789" * 1000)
with open("m.bin", "r+b") as f:
    m = mmap.mmap(f.fileno(), 0)
    m[0:5] = b"HELLO"
    f.seek(0)
    print("store then read:", f.read(10))
    os.pwrite(f.fileno(), b"XY", 20)
    print("pwrite then load:", m[18:24])
    m.resize(20000)
    m[19990:20000] = b"END-OF-MAP"
    m.flush()
    print("resized:", len(m), os.path.getsize("m.bin"))
    m.close()
with open("m.bin", "rb") as f:
    data = f.read()
    print("file after:", len(data), data[:10], data[-10:])
with open("m.bin", "rb") as f:
    r = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
    r[0:5] = b"copy!"
    print("private:", r[0:5], open("m.bin", "rb").read(5))
    r.close()
    ro = mmap.mmap(f.fileno(), 100, access=mmap.ACCESS_READ)
    print("read-only find:", ro.find(b"XY"))
    try:
        ro[0:1] = b"z"
    except TypeError as e:
        print("read-only store:", e)
    ro.close()
print("done")

"""Differential scenario for Python's file layer on the root: open() in
text and binary modes, io buffering levels, shutil copies (sendfile on
Linux), tempfile (dir=ROOT and tempfile.tempdir=ROOT), zipfile and tarfile
archives written and read inside the root, and sqlite3 databases in
rollback-journal mode with two connections (WAL: pt_sqlite_wal.py). Prints what it sees;
temporary names only as pattern matches."""
import io
import os
import re
import shutil
import sqlite_modes
import stat
import sys
import tarfile
import tempfile
import zipfile

sys.stdout.reconfigure(line_buffering=True)
ROOT = sys.argv[1]


def P(*names):
    return os.path.join(ROOT, *names)


def section(fn):
    print("==", fn.__name__)
    try:
        fn()
    except Exception as e:  # report and go on: the transcript shows it
        print(f"  EXC {type(e).__name__}: {e}")
    return fn


def size(path):
    return os.stat(path).st_size


def text_modes():
    with open(P("t.txt"), "w", encoding="utf-8") as f:
        print("  write returns", f.write("línea uno\n"), f.write("line two\r\nthree"))
        print("  tell", f.tell())
    print("  size", size(P("t.txt")))
    with open(P("t.txt"), encoding="utf-8") as f:
        print("  lines", f.readlines())
    with open(P("t.txt"), encoding="utf-8", newline="") as f:
        print("  raw newlines", f.read().encode())
    with open(P("t.txt"), "rb") as f:
        print("  bytes", f.read())
        print("  seek 3", f.seek(3), f.read(4), f.tell())
        print("  seek -2 END", f.seek(-2, os.SEEK_END), f.read())
    with open(P("t.txt"), "a", encoding="utf-8") as f:
        print("  append tell", f.tell())
        f.write("\nfour")
    with open(P("t.txt"), "r+", encoding="utf-8") as f:
        first = f.readline()
        pos = f.tell()
        f.seek(0)
        f.write("LINEA")
        print("  r+ first", repr(first), "tell after readline", pos)
    with open(P("t.txt"), "w+b") as f:
        f.write(b"0123456789")
        f.seek(2)
        print("  w+b read", f.read(3))
        print("  truncate", f.truncate(5), "size", os.fstat(f.fileno()).st_size)
    with open(P("t.txt"), "a+b") as f:
        print("  a+b tell", f.tell(), "read at 0", (f.seek(0), f.read()))
        f.write(b"XY")
        print("  a+b tell after write", f.tell())
    with open(P("t.txt"), "rb") as f:
        print("  final", f.read())
    with open(P("x.bin"), "xb") as f:
        f.write(b"\x00\xff" * 3)
    try:
        open(P("x.bin"), "x")
    except OSError as e:
        print("  x again", type(e).__name__, e.errno == 17)
    for bad in ("missing/f", ""):
        try:
            open(P(bad), "r")
        except OSError as e:
            print("  open", repr(bad), type(e).__name__)
    with open(P("u.txt"), "w", encoding="utf-16") as f:
        f.write("bom?")
    with open(P("u.txt"), "rb") as f:
        print("  utf-16", f.read())


def buffering():
    with open(P("b.bin"), "wb", buffering=0) as f:
        print("  raw", type(f).__name__, f.write(b"abc"), size(P("b.bin")))
    with open(P("b.bin"), "wb") as f:
        print("  buffered", type(f).__name__, f.write(b"x" * 100), size(P("b.bin")))
        f.flush()
        print("  flushed", size(P("b.bin")))
        f.write(b"y" * 10000)
        print("  big write reaches the file", size(P("b.bin")) >= 8192)
    with open(P("b.txt"), "w", buffering=1) as f:
        f.write("no newline")
        print("  line buffered", size(P("b.txt")))
        f.write(" then\n")
        print("  after newline", size(P("b.txt")))
    with open(P("b.bin"), "rb", buffering=16) as f:
        print("  small buffer peek", len(f.peek(1)) > 0, f.read(3), f.raw.tell())
    raw = io.FileIO(P("b.bin"), "r")
    br = io.BufferedReader(raw, 64)
    print("  BufferedReader", br.read(2), raw.tell(), br.read1(100)[:3], raw.tell())
    br.close()
    with open(P("b.bin"), "r+b") as f:
        f.seek(1)
        f.write(b"Z")
        f.seek(0)
        print("  BufferedRandom", type(f).__name__, f.read(4))
    print("  readinto", end=" ")
    with open(P("b.bin"), "rb") as f:
        buf = bytearray(5)
        print(f.readinto(buf), bytes(buf))
    with open(P("b.bin"), "rb") as f:
        print("  isatty", f.isatty(), "seekable", f.seekable(), "readable", f.readable())
        print("  stat blksize", os.fstat(f.fileno()).st_blksize)


def copies():
    data = bytes(range(256)) * 300
    with open(P("src.bin"), "wb") as f:
        f.write(data)
    os.chmod(P("src.bin"), 0o640)
    print("  copyfile", shutil.copyfile(P("src.bin"), P("cf.bin")) == P("cf.bin"))
    with open(P("cf.bin"), "rb") as f:
        print("  same", f.read() == data, "mode", oct(os.stat(P("cf.bin")).st_mode & 0o777))
    print("  copy", shutil.copy(P("src.bin"), P("c.bin")) == P("c.bin"),
          oct(os.stat(P("c.bin")).st_mode & 0o777))
    os.utime(P("src.bin"), (1000000000, 1200000000))
    try:
        shutil.copy2(P("src.bin"), P("c2.bin"))
        st = os.stat(P("c2.bin"))
        print("  copy2 mtime", int(st.st_mtime), "mode", oct(st.st_mode & 0o777))
    except OSError as e:
        print("  copy2", type(e).__name__, e.errno)
    os.mkdir(P("cdir"))
    print("  copy into dir", shutil.copy(P("src.bin"), P("cdir")) == P("cdir", "src.bin"))
    with open(P("src.bin"), "rb") as a, open(P("cfo.bin"), "wb") as b:
        shutil.copyfileobj(a, b, 1000)
    print("  copyfileobj", size(P("cfo.bin")))
    tmpdir = tempfile.mkdtemp(prefix="pt_stdio_")
    try:
        real = os.path.join(tmpdir, "real.bin")
        shutil.copyfile(P("src.bin"), real)
        with open(real, "rb") as f:
            print("  root -> /tmp", f.read() == data)
        with open(real, "ab") as f:
            f.write(b"tail")
        shutil.copyfile(real, P("back.bin"))
        with open(P("back.bin"), "rb") as f:
            print("  /tmp -> root", f.read() == data + b"tail")
    finally:
        shutil.rmtree(tmpdir)
    try:
        shutil.copyfile(P("src.bin"), P("src.bin"))
    except shutil.SameFileError:
        print("  same file refused")
    try:
        shutil.copyfile(P("nope"), P("n2"))
    except OSError as e:
        print("  missing source", type(e).__name__)
    with open(P("empty"), "wb"):
        pass
    shutil.copyfile(P("empty"), P("empty2"))
    print("  empty copy", size(P("empty2")))
    fd_in = os.open(P("src.bin"), os.O_RDONLY)
    fd_out = os.open(P("sf.bin"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    print("  os.sendfile", os.sendfile(fd_out, fd_in, 100, 50), os.lseek(fd_in, 0, os.SEEK_CUR),
          os.lseek(fd_out, 0, os.SEEK_CUR))
    print("  os.sendfile no offset", os.sendfile(fd_out, fd_in, None, 10), os.lseek(fd_in, 0, os.SEEK_CUR))
    try:
        print("  os.copy_file_range", os.copy_file_range(fd_in, fd_out, 20))
    except OSError as e:
        print("  os.copy_file_range", type(e).__name__, e.errno)
    os.close(fd_in)
    os.close(fd_out)
    with open(P("sf.bin"), "rb") as f:
        print("  sf", f.read() == data[100:150] + data[:10] + data[10:30])


def name_ok(path, prefix, suffix=""):
    base = os.path.basename(path)
    return (os.path.dirname(path) == ROOT and base.startswith(prefix) and base.endswith(suffix)
            and re.fullmatch(r"[a-z0-9_]{8}", base[len(prefix):len(base) - len(suffix)]) is not None)


def tempfiles():
    fd, name = tempfile.mkstemp(dir=ROOT, prefix="ks_", suffix=".dat")
    os.write(fd, b"mkstemp")
    os.close(fd)
    print("  mkstemp", name_ok(name, "ks_", ".dat"), oct(os.stat(name).st_mode & 0o777), size(name))
    os.unlink(name)
    d = tempfile.mkdtemp(dir=ROOT, prefix="kd_")
    print("  mkdtemp", name_ok(d, "kd_"), oct(os.stat(d).st_mode & 0o777))
    os.rmdir(d)
    with tempfile.NamedTemporaryFile(dir=ROOT, prefix="nt_", suffix=".txt") as f:
        f.write(b"named")
        f.flush()
        print("  NamedTemporaryFile", name_ok(f.name, "nt_", ".txt"), size(f.name))
        with open(f.name, "rb") as g:
            print("  reopen by name", g.read())
        name = f.name
    print("  removed on close", not os.path.exists(name))
    with tempfile.NamedTemporaryFile("w+", dir=ROOT, delete=False) as f:
        f.write("kept")
        name = f.name
    print("  delete=False kept", open(name).read())
    os.unlink(name)
    with tempfile.TemporaryDirectory(dir=ROOT, prefix="td_") as d:
        print("  TemporaryDirectory", name_ok(d, "td_"))
        os.makedirs(os.path.join(d, "a", "b"))
        with open(os.path.join(d, "a", "b", "f"), "w") as f:
            f.write("deep")
    print("  removed with contents", not os.path.exists(d))
    with tempfile.TemporaryFile(dir=ROOT) as f:
        f.write(b"anonymous")
        f.seek(0)
        print("  TemporaryFile", f.read(), os.fstat(f.fileno()).st_nlink)
    with tempfile.SpooledTemporaryFile(max_size=10, dir=ROOT) as f:
        f.write(b"spill over ten bytes")
        print("  Spooled rolled", f._rolled, (f.seek(0), f.read())[1])
    print("  root listing after", sorted(n for n in os.listdir(ROOT) if n[:3] in ("ks_", "kd_", "nt_", "td_")))

    old = tempfile.tempdir
    tempfile.tempdir = ROOT
    try:
        print("  gettempdir", tempfile.gettempdir() == ROOT)
        fd, name = tempfile.mkstemp()
        os.close(fd)
        print("  mkstemp default dir", name_ok(name, "tmp"))
        os.unlink(name)
        d = tempfile.mkdtemp()
        print("  mkdtemp default dir", name_ok(d, "tmp"))
        os.rmdir(d)
        with tempfile.NamedTemporaryFile() as f:
            print("  NamedTemporaryFile default dir", name_ok(f.name, "tmp"))
        with tempfile.TemporaryDirectory() as d:
            print("  TemporaryDirectory default dir", name_ok(d, "tmp"))
        with tempfile.TemporaryFile() as f:
            f.write(b"x")
            print("  TemporaryFile default dir", os.fstat(f.fileno()).st_nlink)
    finally:
        tempfile.tempdir = old
    print("  root empty of tmp*", [n for n in os.listdir(ROOT) if n.startswith("tmp")])


def zips():
    zp = P("a.zip")
    with zipfile.ZipFile(zp, "w") as z:
        z.writestr("hello.txt", "hello zip\n")
        z.writestr("dir/", "")
        z.writestr("dir/deflated.txt", "squeeze " * 200, compress_type=zipfile.ZIP_DEFLATED)
        z.write(P("t.txt"), "copied/t.txt")
    with zipfile.ZipFile(zp, "a") as z:
        z.writestr("appended.txt", b"late")
    with zipfile.ZipFile(zp) as z:
        print("  names", z.namelist())
        print("  testzip", z.testzip())
        print("  hello", z.read("hello.txt"))
        print("  deflated", len(z.read("dir/deflated.txt")), z.getinfo("dir/deflated.txt").compress_type)
        with z.open("copied/t.txt") as m:
            print("  copied", m.read())
        z.extractall(P("unzipped"))
    for top, dirs, files in sorted(os.walk(P("unzipped"))):
        print("  extracted", os.path.relpath(top, ROOT), sorted(dirs), sorted(files))
    print("  zip is a zip", zipfile.is_zipfile(zp), "not", zipfile.is_zipfile(P("t.txt")))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.write(zp, "inner.zip")
    with open(P("nested.zip"), "wb") as f:
        f.write(buf.getvalue())
    with zipfile.ZipFile(P("nested.zip")) as z, z.open("inner.zip") as inner:
        with zipfile.ZipFile(io.BytesIO(inner.read())) as z2:
            print("  nested", z2.namelist()[:2])


def tars():
    os.makedirs(P("tsrc", "sub"))
    with open(P("tsrc", "one.txt"), "w") as f:
        f.write("one\n")
    with open(P("tsrc", "sub", "two.bin"), "wb") as f:
        f.write(bytes(range(50)))
    os.symlink("one.txt", P("tsrc", "link"))
    for mode, name in (("w", "a.tar"), ("w:gz", "a.tar.gz"), ("w:bz2", "a.tar.bz2"), ("w:xz", "a.tar.xz")):
        with tarfile.open(P(name), mode) as t:
            t.add(P("tsrc"), arcname="tsrc")
            info = tarfile.TarInfo("mem.txt")
            payload = b"from memory"
            info.size = len(payload)
            t.addfile(info, io.BytesIO(payload))
        with tarfile.open(P(name)) as t:
            print(" ", name, sorted(t.getnames()))
    with tarfile.open(P("a.tar.gz")) as t:
        print("  link target", t.getmember("tsrc/link").linkname)
        print("  one", t.extractfile("tsrc/one.txt").read())
        t.extractall(P("untarred"))
    for top, dirs, files in sorted(os.walk(P("untarred"))):
        print("  extracted", os.path.relpath(top, ROOT), sorted(dirs), sorted(files))
    print("  link reads", open(P("untarred", "tsrc", "link")).read())
    with tarfile.open(P("a.tar"), "a") as t:
        t.add(P("t.txt"), arcname="appended.txt")
    with tarfile.open(P("a.tar")) as t:
        print("  appended", t.getnames()[-1], t.extractfile("appended.txt").read())
    with tarfile.open(P("a.tar.gz")) as t, tarfile.open(P("stream.tar"), "w|") as out:
        for m in t:
            out.addfile(m, t.extractfile(m) if m.isfile() else None)
    with tarfile.open(P("stream.tar"), "r|") as t:
        print("  stream", [m.name for m in t])


def sqlite():
    sqlite_modes.run(ROOT, "delete")


os.mkdir(ROOT)
for fn in (text_modes, buffering, copies, tempfiles, zips, tars, sqlite):
    section(fn)
print("done")

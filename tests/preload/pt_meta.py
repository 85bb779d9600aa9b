"""Differential scenario: namespace and metadata calls as Python programs
make them (os, shutil, pathlib), printed as a transcript.

Covers os.mkdir/makedirs/rmdir/unlink/remove/rename/replace/link/symlink/
readlink/chmod/chown/utime (by path, dir_fd and descriptor), os.umask and
the modes it leaves on new files, shutil.rmtree and shutil.move (within
ROOT and to /tmp, another filesystem on both runs), and pathlib.
Usage: python3 pt_meta.py ROOT
"""
import errno
import os
import pathlib
import shutil
import stat
import sys
import tempfile
import time

root = sys.argv[1]


def p(*names):
    return os.path.join(root, *names)


def run(label, fn, *args, **kw):
    """Call fn and print its result or the error it raised."""
    try:
        res = fn(*args, **kw)
    except OSError as e:
        name = errno.errorcode.get(e.errno, str(e.errno))
        print(f"{label}: {type(e).__name__} {name}")
        return None
    except NotImplementedError:
        print(f"{label}: NotImplementedError")
        return None
    if res is not None and not isinstance(res, (bool, int, str, bytes, list)):
        res = type(res).__name__
    print(f"{label}: ok" + ("" if res is None else f" {res!r}"))
    return res


def kind(m):
    for test, name in ((stat.S_ISREG, "file"), (stat.S_ISDIR, "dir"), (stat.S_ISLNK, "link")):
        if test(m):
            return name
    return "other"


def show(*names, follow=False):
    path = p(*names)
    try:
        s = os.stat(path) if follow else os.lstat(path)
    except OSError as e:
        print(f"  {'/'.join(names)}: {errno.errorcode[e.errno]}")
        return
    line = f"  {'/'.join(names)}: {kind(s.st_mode)} {stat.S_IMODE(s.st_mode):04o} nlink={s.st_nlink}"
    if not stat.S_ISDIR(s.st_mode):
        line += f" size={s.st_size}"
    print(line)


def times(*names, follow=True):
    """Exact times when set by the scenario, "now" when recent."""
    s = os.stat(p(*names), follow_symlinks=follow)
    now = time.time_ns()

    def fmt(ns):
        return "now" if abs(ns - now) < 60 * 10**9 else str(ns)

    print(f"  {'/'.join(names)}: atime={fmt(s.st_atime_ns)} mtime={fmt(s.st_mtime_ns)}")


def listing(*names):
    print(f"  ls {'/'.join(names) or '.'}: {sorted(os.listdir(p(*names)))}")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def read(path):
    with open(path) as f:
        return f.read()


def section(title):
    print(f"== {title}")


def dirs():
    section("mkdir makedirs rmdir")
    run("mkdir a", os.mkdir, p("a"))
    run("mkdir a again", os.mkdir, p("a"))
    run("mkdir a/b/c", os.mkdir, p("a", "b", "c"))
    run("makedirs a/b/c", os.makedirs, p("a", "b", "c"), 0o750)
    show("a", "b")
    show("a", "b", "c")
    run("makedirs exist_ok", os.makedirs, p("a", "b", "c"), exist_ok=True)
    run("makedirs exists", os.makedirs, p("a", "b", "c"))
    run("rmdir a/b", os.rmdir, p("a", "b"))
    run("rmdir a/b/c", os.rmdir, p("a", "b", "c"))
    run("rmdir a/b/c again", os.rmdir, p("a", "b", "c"))
    write(p("a", "f"), "hello")
    run("rmdir file", os.rmdir, p("a", "f"))
    run("removedirs a/b", os.removedirs, p("a", "b"))
    run("exists a", os.path.exists, p("a"))
    listing("a")
    listing()


def files():
    section("unlink remove rename replace")
    write(p("x"), "x1")
    write(p("y"), "y1")
    run("unlink x", os.unlink, p("x"))
    run("unlink x again", os.unlink, p("x"))
    run("remove y", os.remove, p("y"))
    run("remove dir", os.remove, p("a"))
    write(p("r1"), "one")
    write(p("r2"), "two")
    run("rename r1 r3", os.rename, p("r1"), p("r3"))
    run("rename missing", os.rename, p("r1"), p("r4"))
    run("rename r3 over r2", os.rename, p("r3"), p("r2"))
    print("  r2 =", read(p("r2")))
    write(p("r5"), "five")
    run("replace r5 r2", os.replace, p("r5"), p("r2"))
    print("  r2 =", read(p("r2")))
    run("rename file onto dir", os.rename, p("r2"), p("a"))
    os.mkdir(p("d1"))
    os.mkdir(p("d2"))
    write(p("d2", "in"), "in")
    run("rename dir onto nonempty", os.rename, p("d1"), p("d2"))
    run("replace nonempty onto empty", os.replace, p("d2"), p("d1"))
    listing("d1")
    run("rename dir into itself", os.rename, p("d1"), p("d1", "sub"))
    listing()


def links():
    section("link symlink readlink")
    write(p("t"), "target")
    run("link t h", os.link, p("t"), p("h"))
    show("t")
    run("link again", os.link, p("t"), p("h"))
    run("link dir", os.link, p("a"), p("ah"))
    run("symlink t s", os.symlink, "t", p("s"))
    run("symlink again", os.symlink, "t", p("s"))
    run("readlink s", os.readlink, p("s"))
    run("readlink t", os.readlink, p("t"))
    run("readlink missing", os.readlink, p("missing"))
    run("readlink bytes", os.readlink, os.fsencode(p("s")))
    run("link via symlink (follow)", os.link, p("s"), p("hs"))
    show("hs")
    run("link symlink itself", os.link, p("s"), p("hl"), follow_symlinks=False)
    show("hl")
    run("symlink dir", os.symlink, "a", p("sa"), target_is_directory=True)
    run("islink sa", os.path.islink, p("sa"))
    run("isdir sa", os.path.isdir, p("sa"))
    run("realpath rel", lambda: os.path.relpath(os.path.realpath(p("sa")), root))
    run("dangling", os.symlink, "nowhere", p("dang"))
    run("exists dang", os.path.exists, p("dang"))
    run("lexists dang", os.path.lexists, p("dang"))
    run("unlink dang", os.unlink, p("dang"))


def modes():
    section("chmod chown utime")
    write(p("m"), "m")
    run("chmod 600", os.chmod, p("m"), 0o600)
    show("m")
    run("chmod 4755", os.chmod, p("m"), 0o4755)
    show("m")
    run("chmod via symlink", os.chmod, p("s"), 0o640)
    show("t")
    show("s")
    run("chmod symlink nofollow", os.chmod, p("s"), 0o600, follow_symlinks=False)
    run("chmod missing", os.chmod, p("missing"), 0o600)
    uid, gid = os.getuid(), os.getgid()
    run("chown same", os.chown, p("m"), uid, gid)
    run("chown -1 -1", os.chown, p("m"), -1, -1)
    run("lchown s", os.chown, p("s"), uid, gid, follow_symlinks=False)
    run("chown missing", os.chown, p("missing"), uid, gid)
    s = os.stat(p("m"))
    print(f"  m owner is me: {s.st_uid == uid and s.st_gid == gid}")
    run("utime ns", os.utime, p("m"), ns=(1_000_000_001, 2_000_000_002))
    times("m")
    run("utime seconds", os.utime, p("m"), (1234567890.5, 1234567891.25))
    times("m")
    run("utime now", os.utime, p("m"))
    times("m")
    run("utime symlink nofollow", os.utime, p("s"), ns=(3_000_000_003, 4_000_000_004), follow_symlinks=False)
    times("s", follow=False)
    run("utime missing", os.utime, p("missing"), ns=(1, 2))
    fd = os.open(p("m"), os.O_RDONLY)
    run("fchmod", os.chmod, fd, 0o644)
    run("fchown", os.chown, fd, uid, gid)
    run("futimens", os.utime, fd, ns=(5_000_000_005, 6_000_000_006))
    os.close(fd)
    show("m")
    times("m")


def at_forms():
    section("dir_fd forms")
    os.mkdir(p("at"))
    dfd = os.open(p("at"), os.O_RDONLY | os.O_DIRECTORY)
    run("mkdir dir_fd", os.mkdir, "sub", dir_fd=dfd)
    run("rmdir dir_fd", os.rmdir, "sub", dir_fd=dfd)
    fd = os.open("f", os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=dfd)
    os.write(fd, b"at-file")
    os.close(fd)
    run("rename dir_fd", os.rename, "f", "g", src_dir_fd=dfd, dst_dir_fd=dfd)
    run("link dir_fd", os.link, "g", "g2", src_dir_fd=dfd, dst_dir_fd=dfd, follow_symlinks=False)
    run("symlink dir_fd", os.symlink, "g", "sl", dir_fd=dfd)
    run("readlink dir_fd", os.readlink, "sl", dir_fd=dfd)
    run("chmod dir_fd", os.chmod, "g", 0o604, dir_fd=dfd)
    run("chown dir_fd", os.chown, "g", os.getuid(), os.getgid(), dir_fd=dfd)
    run("utime dir_fd", os.utime, "g", ns=(7_000_000_007, 8_000_000_008), dir_fd=dfd)
    run("unlink dir_fd", os.unlink, "g2", dir_fd=dfd)
    run("unlink dir_fd missing", os.unlink, "g2", dir_fd=dfd)
    run("mknod regular", os.mknod, p("at", "node"), 0o640 | stat.S_IFREG)
    run("mknod exists", os.mknod, p("at", "node"), 0o640 | stat.S_IFREG)
    os.close(dfd)
    show("at", "g")
    show("at", "node")
    times("at", "g")
    listing("at")


def umasks():
    section("umask")
    old = os.umask(0o077)
    print(f"  old umask {old:03o}")
    os.mkdir(p("u1"))
    write(p("u2"), "u")
    fd = os.open(p("u3"), os.O_CREAT | os.O_WRONLY, 0o666)
    os.close(fd)
    os.makedirs(p("u4", "deep"))
    show("u1")
    show("u2")
    show("u3")
    show("u4", "deep")
    print(f"  umask was {os.umask(0o002):03o}")
    os.mkdir(p("u5"), 0o777)
    write(p("u6"), "u")
    show("u5")
    show("u6")
    os.umask(old)
    write(p("u7"), "u")
    show("u7")


def trees():
    section("shutil")
    os.makedirs(p("tree", "x", "y"))
    write(p("tree", "x", "f1"), "1")
    write(p("tree", "x", "y", "f2"), "2")
    os.symlink("x/f1", p("tree", "l"))
    run("move file within", shutil.move, p("tree", "x", "f1"), p("tree", "f1"))
    run("move dir within", shutil.move, p("tree", "x"), p("tree", "z"))
    listing("tree")
    listing("tree", "z")
    run("copytree", shutil.copytree, p("tree"), p("tree2"), symlinks=True)
    listing("tree2")
    show("tree2", "l")
    run("rmtree", shutil.rmtree, p("tree2"))
    run("exists tree2", os.path.exists, p("tree2"))
    run("rmtree missing", shutil.rmtree, p("tree2"))
    with tempfile.TemporaryDirectory(prefix="pt_meta.", dir="/tmp") as tmp:
        run("move file to /tmp", lambda: os.path.relpath(shutil.move(p("tree", "f1"), tmp), tmp))
        print("  moved content:", read(os.path.join(tmp, "f1")))
        run("gone from ROOT", os.path.exists, p("tree", "f1"))
        run("rename to /tmp", os.rename, p("tree", "z"), os.path.join(tmp, "z"))
        run("move dir to /tmp", lambda: os.path.relpath(shutil.move(p("tree", "z"), tmp), tmp))
        print("  /tmp now:", sorted(os.listdir(tmp)))
        run("move back", lambda: os.path.relpath(shutil.move(os.path.join(tmp, "z"), p("tree")), root))
        listing("tree", "z", "y")
    run("rmtree tree", shutil.rmtree, p("tree"))


def paths():
    section("pathlib")
    base = pathlib.Path(root) / "pl"
    run("mkdir parents", (base / "q" / "r").mkdir, parents=True)
    run("mkdir exist_ok", (base / "q" / "r").mkdir, parents=True, exist_ok=True)
    run("mkdir exists", (base / "q").mkdir)
    f = base / "q" / "file.txt"
    run("write_text", f.write_text, "pathlib")
    run("read_text", f.read_text)
    run("touch", (base / "t").touch)
    run("touch exist_ok=False", (base / "t").touch, exist_ok=False)
    run("rename", lambda: str(f.rename(base / "moved.txt").relative_to(base)))
    run("replace", lambda: str((base / "moved.txt").replace(base / "t").relative_to(base)))
    run("read t", (base / "t").read_text)
    run("symlink_to", (base / "sl").symlink_to, "t")
    run("readlink", lambda: str((base / "sl").readlink()))
    run("hardlink_to", (base / "hl").hardlink_to, base / "t")
    run("nlink", lambda: (base / "t").stat().st_nlink)
    run("chmod", (base / "t").chmod, 0o600)
    run("mode", lambda: oct((base / "t").stat().st_mode & 0o777))
    run("lchmod", (base / "sl").lchmod, 0o600)
    run("is_symlink", (base / "sl").is_symlink)
    run("exists", (base / "nope").exists)
    run("unlink", (base / "hl").unlink)
    run("unlink missing", (base / "hl").unlink)
    run("unlink missing_ok", (base / "hl").unlink, missing_ok=True)
    run("rmdir nonempty", (base / "q").rmdir)
    run("rmdir r", (base / "q" / "r").rmdir)
    run("iterdir", lambda: sorted(x.name for x in base.iterdir()))
    run("glob", lambda: sorted(str(x.relative_to(base)) for x in base.glob("**/*")))


def main():
    os.umask(0o022)
    os.mkdir(root)
    dirs()
    files()
    links()
    modes()
    at_forms()
    umasks()
    trees()
    paths()
    listing()


main()

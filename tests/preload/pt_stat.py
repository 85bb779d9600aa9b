"""Differential scenario for the stat family as Python programs use it:
os.stat/lstat/fstat (with dir_fd and follow_symlinks), the os.path
predicates, os.access (effective_ids, follow_symlinks, dir_fd), pathlib
and os.statvfs. Prints what it sees, never inode numbers, devices or times.
"""
import errno
import os
import pathlib
import stat
import sys


def ename(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def kind(mode):
    for name, test in (("reg", stat.S_ISREG), ("dir", stat.S_ISDIR), ("lnk", stat.S_ISLNK),
                       ("chr", stat.S_ISCHR)):
        if test(mode):
            return name
    return "?"


def desc(st, ref=None):
    same = "" if ref is None else (" same-ino" if st.st_ino == ref.st_ino and st.st_dev == ref.st_dev
                                   else " other-ino")
    return "%s %s n%d s%d b%d uid%s%s" % (kind(st.st_mode), oct(stat.S_IMODE(st.st_mode)), st.st_nlink,
                                          st.st_size, st.st_blocks,
                                          "=me" if st.st_uid == os.getuid() else "!=me", same)


def show(label, fn):
    try:
        r = fn()
    except OSError as e:
        print("%-34s %s" % (label, ename(e)))
        return None
    if isinstance(r, os.stat_result):
        print("%-34s %s" % (label, desc(r)))
    else:
        print("%-34s %r" % (label, r))
    return r


def main():
    root = sys.argv[1]
    os.mkdir(root)
    p = lambda name: os.path.join(root, name)

    with open(p("f"), "w") as fh:
        fh.write("hello world\n" * 500)
    with open(p("e"), "wb"):
        pass
    fd = os.open(p("x"), os.O_CREAT | os.O_WRONLY, 0o755)
    os.write(fd, b"#!/bin/sh\n")
    os.close(fd)
    os.mkdir(p("d"))
    os.mkdir(p("d/sub"), 0o700)
    os.symlink("f", p("l"))
    os.symlink("nope", p("dl"))
    os.symlink("d", p("ld"))
    os.symlink("loop", p("loop"))
    os.symlink("/etc", p("etc"))
    os.link(p("f"), p("h"))

    names = ["f", "e", "x", "d", "d/sub", "l", "dl", "ld", "loop", "etc", "h", "missing", "f/x", "d/",
             "f/", "ld/", "."]
    dfd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for n in names:
        show("stat %s" % n, lambda: os.stat(p(n)))
        show("lstat %s" % n, lambda: os.lstat(p(n)))
        show("stat dir_fd %s" % n, lambda: os.stat(n, dir_fd=dfd))
        show("stat nofollow dir_fd %s" % n, lambda: os.stat(n, dir_fd=dfd, follow_symlinks=False))
        preds = [f(p(n)) for f in (os.path.exists, os.path.lexists, os.path.isfile, os.path.isdir,
                                   os.path.islink, os.path.ismount)]
        print("%-34s %s" % ("predicates %s" % n, " ".join("TF"[not b] for b in preds)))
        size = show("getsize %s" % n, lambda: os.path.getsize(p(n)))
        del size
        acc = []
        for mode in (os.F_OK, os.R_OK, os.W_OK, os.X_OK):
            acc.append("%d%d%d%d" % (os.access(p(n), mode),
                                     os.access(p(n), mode, effective_ids=True),
                                     os.access(p(n), mode, follow_symlinks=False),
                                     os.access(n, mode, dir_fd=dfd)))
        print("%-34s %s" % ("access %s" % n, " ".join(acc)))

    # Descriptors: os.fstat, os.stat on a descriptor, file objects.
    with open(p("f"), "rb") as fh:
        ref = os.stat(p("f"))
        print("fstat f", desc(os.fstat(fh.fileno()), ref))
        print("stat(fd) f", desc(os.stat(fh.fileno()), ref))
        print("fstat h", desc(os.fstat(fh.fileno()), os.stat(p("h"))))
    fd = os.open(p("d"), os.O_RDONLY | os.O_DIRECTORY)
    print("fstat d", desc(os.fstat(fd), os.stat(p("d"))))
    print("stat rel to d", desc(os.stat("sub", dir_fd=fd)))
    print("statvfs(fd) namemax", os.statvfs(fd).f_namemax)
    os.close(fd)
    fd = os.open(p("l"), os.O_PATH | os.O_NOFOLLOW)
    print("fstat O_PATH|O_NOFOLLOW l", desc(os.fstat(fd), os.lstat(p("l"))))
    os.close(fd)
    with open(p("grow"), "wb") as fh:
        fh.write(b"a" * 10000)
        fh.flush()
        print("fstat grow", desc(os.fstat(fh.fileno())))
        fh.truncate(10)
        print("fstat grow truncated", desc(os.fstat(fh.fileno())))
    fd = os.open(p("gone"), os.O_CREAT | os.O_RDWR, 0o600)
    os.write(fd, b"abc")
    os.unlink(p("gone"))
    print("fstat unlinked", desc(os.fstat(fd)))
    os.close(fd)
    show("fstat closed", lambda: os.fstat(fd))
    print("samefile f h", os.path.samefile(p("f"), p("h")))
    print("samefile f l", os.path.samefile(p("f"), p("l")))
    print("samefile f e", os.path.samefile(p("f"), p("e")))

    # pathlib goes through os.stat and os.lstat.
    for n in ("f", "d", "l", "dl", "missing", "f/x"):
        path = pathlib.Path(root) / n
        flags = [path.exists(), path.is_dir(), path.is_file(), path.is_symlink()]
        print("pathlib %-8s %s" % (n, " ".join("TF"[not b] for b in flags)))
        show("pathlib stat %s" % n, lambda: path.stat())
        show("pathlib lstat %s" % n, lambda: path.lstat())

    # statvfs: fields tmpfs and ramdir share, consistency for the rest.
    for n in (".", "f", "d", "l", "missing", "f/x"):
        try:
            v = os.statvfs(p(n))
        except OSError as e:
            print("statvfs %s %s" % (n, ename(e)))
            continue
        print("statvfs %s bsize %d frsize %d namemax %d ok %s" % (
            n, v.f_bsize, v.f_frsize, v.f_namemax,
            v.f_bfree <= v.f_blocks and v.f_bavail <= v.f_bfree and v.f_ffree <= v.f_files
            and v.f_favail <= v.f_ffree and v.f_blocks > 0))
    print("statvfs fsid same", os.statvfs(p("f")).f_fsid == os.statvfs(p("d")).f_fsid)
    os.close(dfd)


main()

"""Differential scenario for directory listing, the working directory and
canonical paths as Python programs use them: os.listdir and os.scandir
(by path and by descriptor, DirEntry type tests and stat), os.walk top-down
and bottom-up, os.fwalk, glob, pathlib iterdir/glob/rglob, os.chdir with
os.getcwd and relative work, os.path.realpath, and shutil.copytree
followed by a walk of the copy. Listings are printed in the order read
where tmpfs and ramdir agree (newest first) and sorted otherwise. Never
prints inode numbers, devices or times.
"""
import errno
import glob
import os
import pathlib
import shutil
import stat
import sys

root = sys.argv[1]


def p(*parts):
    return os.path.join(root, *parts)


def err(e):
    return errno.errorcode.get(e.errno, str(e.errno))


def attempt(label, fn):
    try:
        r = fn()
        print(f"{label}: {r!r}")
    except OSError as e:
        print(f"{label}: {type(e).__name__} {err(e)} {e.filename!r}")


def build():
    os.mkdir(root)
    os.makedirs(p("t", "a", "deep"))
    os.mkdir(p("t", "b"))
    for name, text in [("t/f1.txt", "one"), ("t/f2.py", "two!"), ("t/a/g.txt", "gg"),
                       ("t/a/deep/h.txt", "hhh"), ("t/b/.hidden", ""), ("t/a/deep/i.py", "i")]:
        with open(p(name), "w") as f:
            f.write(text)
    os.symlink("f1.txt", p("t", "link"))
    os.symlink("a", p("t", "dirlink"))
    os.symlink("missing", p("t", "dangling"))
    os.chmod(p("t", "f2.py"), 0o750)


def listings():
    print("== listdir / scandir")
    print("listdir order:", os.listdir(p("t")))
    print("listdir sorted:", sorted(os.listdir(p("t"))))
    print("listdir bytes:", sorted(os.listdir(os.fsencode(p("t", "a")))))
    attempt("listdir missing", lambda: os.listdir(p("nope")))
    attempt("listdir file", lambda: os.listdir(p("t", "f1.txt")))
    with os.scandir(p("t")) as it:
        for e in it:
            st = e.stat(follow_symlinks=False)
            try:
                fst = e.stat()
                follow = f"{stat.filemode(fst.st_mode)} {fst.st_size}"
            except OSError as ex:
                follow = err(ex)
            print(f"  {e.name} dir={e.is_dir()} file={e.is_file()} link={e.is_symlink()} "
                  f"nofollow_dir={e.is_dir(follow_symlinks=False)} "
                  f"lmode={stat.filemode(st.st_mode)} follow={follow} path_ok={e.path == p('t', e.name)}")
    fd = os.open(p("t"), os.O_RDONLY | os.O_DIRECTORY)
    print("listdir(fd):", sorted(os.listdir(fd)))
    with os.scandir(fd) as it:
        print("scandir(fd):", sorted((e.name, e.is_dir(), e.is_symlink()) for e in it))
    print("listdir(fd) again (rewound):", len(os.listdir(fd)))
    os.close(fd)


def walks():
    print("== walk")
    for top, dirs, files in os.walk(p("t")):
        print("  down", os.path.relpath(top, root), dirs, files)
    for top, dirs, files in os.walk(p("t"), topdown=False):
        print("  up", os.path.relpath(top, root), dirs, files)
    for top, dirs, files in os.walk(p("t"), followlinks=True):
        print("  follow", os.path.relpath(top, root), sorted(dirs), sorted(files))
    pruned = []
    for top, dirs, files in os.walk(p("t")):
        dirs[:] = [d for d in dirs if d != "a"]
        pruned.append(os.path.relpath(top, root))
    print("  pruned", pruned)
    for top, dirs, files, dfd in os.fwalk(p("t")):
        print("  fwalk", os.path.relpath(top, root), sorted(dirs), sorted(files),
              stat.S_ISDIR(os.stat(dfd).st_mode))
    errors = []
    print("  walk missing", list(os.walk(p("nope"), onerror=errors.append)),
          [err(e) for e in errors])


def globs():
    print("== glob / pathlib")
    print("glob *.txt:", sorted(os.path.relpath(x, root) for x in glob.glob(p("t", "*.txt"))))
    print("glob **:", sorted(os.path.relpath(x, root) for x in glob.glob(p("t", "**"), recursive=True)))
    print("glob **/*.py:", sorted(os.path.relpath(x, root)
                                  for x in glob.glob(p("t", "**", "*.py"), recursive=True)))
    print("glob hidden:", sorted(os.path.relpath(x, root) for x in glob.glob(p("t", "*", ".*"))))
    print("glob none:", glob.glob(p("t", "*.nothing")))
    t = pathlib.Path(p("t"))
    print("iterdir:", sorted(x.name for x in t.iterdir()))
    print("rglob *.txt:", sorted(str(x.relative_to(t)) for x in t.rglob("*.txt")))
    print("glob */*:", sorted(str(x.relative_to(t)) for x in t.glob("*/*")))
    print("is_dir/is_file/exists:", [(x.name, x.is_dir(), x.is_file(), x.exists()) for x in sorted(t.iterdir())])
    print("resolve link:", t.joinpath("link").resolve() == t.joinpath("f1.txt"))
    print("resolve dirlink/g.txt:", os.path.relpath(t.joinpath("dirlink", "g.txt").resolve(), root))


def cwd():
    print("== chdir / getcwd")
    start = os.getcwd()
    os.chdir(p("t"))
    print("getcwd:", os.getcwd())
    print("getcwdb:", os.getcwdb() == os.fsencode(p("t")))
    print("listdir():", sorted(os.listdir()))
    print("listdir('.'):", sorted(os.listdir(".")))
    with open("rel.txt", "w") as f:
        f.write("relative")
    os.mkdir("reldir")
    os.makedirs("reldir/x/y")
    print("exists abs twin:", os.path.exists(p("t", "rel.txt")), os.path.isdir(p("t", "reldir", "x", "y")))
    print("stat rel:", os.stat("rel.txt").st_size)
    os.rename("rel.txt", "reldir/moved.txt")
    print("walk .:", [(top, sorted(d), sorted(f)) for top, d, f in os.walk("reldir")])
    os.chdir("a/deep")
    print("getcwd deep:", os.getcwd())
    print("abspath ..:", os.path.abspath(".."))
    print("realpath ../../link:", os.path.realpath("../../link"))
    os.chdir("../..")
    print("getcwd back:", os.getcwd())
    os.chdir("dirlink")
    print("getcwd through dirlink:", os.getcwd())
    attempt("chdir missing", lambda: os.chdir("nope"))
    attempt("chdir file", lambda: os.chdir(p("t", "f1.txt")))
    attempt("chdir dangling", lambda: os.chdir(p("t", "dangling")))
    fd = os.open(p("t", "b"), os.O_RDONLY)
    os.fchdir(fd)
    os.close(fd)
    print("after fchdir:", os.getcwd(), sorted(os.listdir()))
    os.chdir(start)
    print("back to start:", os.getcwd() == start)
    os.chdir(root)
    print("getcwd root:", os.getcwd())
    shutil.rmtree(p("t", "reldir"))
    print("rmtree relative result:", sorted(os.listdir("t")))


def realpaths():
    print("== realpath")
    for name in ["t", "t/link", "t/dirlink/g.txt", "t/dirlink/../f1.txt", "t/dangling", "t/./a/./deep/..",
                 "t/nope/x", "t/f1.txt/x"]:
        print(f"  {name}: {os.path.realpath(p(name))}")
    try:
        os.path.realpath(p("t", "dangling"), strict=True)
    except OSError as e:
        print("  strict dangling:", err(e))
    os.symlink("loop", p("t", "loop"))
    print("  loop:", os.path.realpath(p("t", "loop")))
    try:
        os.path.realpath(p("t", "loop"), strict=True)
    except OSError as e:
        print("  strict loop:", err(e))
    os.unlink(p("t", "loop"))


def copytree():
    print("== copytree")
    dst = shutil.copytree(p("t"), p("copy"), symlinks=True)
    print("copytree returned:", dst == p("copy"))
    for top, dirs, files in os.walk(p("copy")):
        dirs.sort()
        print("  ", os.path.relpath(top, root), dirs, sorted(files))
        for f in sorted(files):
            full = os.path.join(top, f)
            st = os.lstat(full)
            what = os.readlink(full) if stat.S_ISLNK(st.st_mode) else open(full).read()
            print("     ", f, stat.filemode(st.st_mode), repr(what))
    shutil.copytree(p("t"), p("copy2"), symlinks=True, ignore=shutil.ignore_patterns("*.py", "deep"))
    print("copy2:", sorted(os.path.relpath(os.path.join(top, f), p("copy2"))
                           for top, _, fs in os.walk(p("copy2")) for f in fs))
    attempt("copytree onto existing", lambda: shutil.copytree(p("t"), p("copy")))
    shutil.rmtree(p("copy"))
    shutil.rmtree(p("copy2"))
    print("after rmtree:", sorted(os.listdir(root)))


build()
listings()
walks()
globs()
cwd()
realpaths()
copytree()

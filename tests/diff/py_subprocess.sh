# shellcheck shell=bash
# Scenario (tests/diff/run.sh): Python's subprocess with its defaults
# (close_fds=True: the child gets only 0, 1, 2) and with tree files as the
# child's stdin, stdout and stderr (file objects and descriptors), cwd= a
# tree directory, shell=True with redirections, os.system, pipes between
# children, pass_fds, tempfile in TMPDIR, and children that are themselves
# Python. Parent and children must see one tree: what one writes the
# other reads, by path and through the descriptors it was given.
# needs: python3
set -u
root=$1
mkdir -p "$root" && cd "$root" || exit 1
python3 - "$root" <<'PY'
import os, subprocess, sys, tempfile
root = sys.argv[1]
os.chdir(root)
def show(title): print("==", title, flush=True)
def hide(s): return s.replace(root, "ROOT").replace(tempfile.gettempdir(), "TMP")
def run(argv, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    print("  %s -> %d out=%r err=%r" % (os.path.basename(argv[0]) if isinstance(argv, list) else "shell", r.returncode,
          hide(r.stdout), hide(r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "")), flush=True)
    return r

show("the child reads what the parent wrote (close_fds=True)")
with open("parent.txt", "w") as f:
    f.write("written by the parent\n")
run(["cat", "parent.txt"])
run(["cat", root + "/parent.txt"])
run(["ls", "-1", root])
run([sys.executable, "-c", "print(open('parent.txt').read().upper(), end='')"])
run(["stat", "-c", "%s %h", "parent.txt"])

show("the parent reads what the child wrote")
run(["sh", "-c", "echo from-sh-builtin > child1.txt"])
print("  parent reads:", repr(open("child1.txt").read()) if os.path.exists("child1.txt") else "missing")
run(["cp", "parent.txt", "child2.txt"])
print("  parent reads:", repr(open("child2.txt").read()) if os.path.exists("child2.txt") else "missing")
run(["mkdir", "-p", "made/by/child"])
print("  made/by/child is a directory:", os.path.isdir("made/by/child"))
run(["rm", "child1.txt"])
print("  child1.txt after rm in child:", os.path.exists("child1.txt"))

show("tree files as the child's stdin, stdout, stderr")
with open("out.txt", "w") as out:
    r = subprocess.run(["echo", "stdout into a tree file object"], stdout=out)
print("  status", r.returncode, "out.txt:", repr(open("out.txt").read()))
with open("out.txt", "a") as out:
    subprocess.run(["printf", "appended %s\\n", "line"], stdout=out)
    subprocess.run([sys.executable, "-c", "print('python child appends')"], stdout=out)
print("  out.txt:", repr(open("out.txt").read()))
with open("out.txt") as inp:
    r = subprocess.run(["wc", "-l"], stdin=inp, capture_output=True, text=True)
print("  wc -l < out.txt:", r.returncode, r.stdout.strip(), hide(r.stderr.strip()))
with open("err.txt", "w") as err:
    r = subprocess.run(["ls", "nothing-here"], stderr=err)
print("  status", r.returncode, "err.txt:", repr(open("err.txt").read()))
fd = os.open("fd-out.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
subprocess.run(["echo", "via a raw descriptor"], stdout=fd)
os.close(fd)
print("  fd-out.txt:", repr(open("fd-out.txt").read()))
with open("both.txt", "w") as both:
    subprocess.run(["sh", "-c", "echo out; echo err >&2; ls nothing-here"], stdout=both, stderr=subprocess.STDOUT)
print("  both.txt:", repr(open("both.txt").read()))

show("pipes between children, large output")
with open("big.txt", "w") as f:
    for i in range(100000):
        f.write("line %d\n" % i)
p1 = subprocess.Popen(["cat", "big.txt"], stdout=subprocess.PIPE)
p2 = subprocess.Popen(["wc", "-lc"], stdin=p1.stdout, stdout=subprocess.PIPE, text=True)
p1.stdout.close()
print("  cat big.txt | wc -lc:", p2.communicate()[0].split(), p1.wait(), p2.returncode)
with open("sorted.txt", "w") as out:
    p1 = subprocess.Popen(["sort", "-r", "big.txt"], stdout=subprocess.PIPE)
    p2 = subprocess.Popen(["head", "-n", "3"], stdin=p1.stdout, stdout=out)
    p1.stdout.close(); p2.wait(); p1.wait()
print("  sorted.txt:", repr(open("sorted.txt").read()))
data = subprocess.check_output(["cat", "big.txt"])
print("  check_output bytes:", len(data))

show("cwd=, shell=True, os.system, pass_fds")
os.makedirs("sub/dir", exist_ok=True)
run(["pwd"], cwd="sub/dir")
run(["ls"], cwd="sub")
run("echo shell-redirect > sub/shell.txt && cat sub/shell.txt", shell=True)
run("ls sub | sort", shell=True)
print("  os.system status:", os.system("echo os-system > sys.txt") >> 8, repr(open("sys.txt").read()) if os.path.exists("sys.txt") else "missing")
r, w = os.pipe()
fd = os.open("passed.txt", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
subprocess.run(["sh", "-c", "echo passed-fd >&%d" % fd], pass_fds=[fd])
os.lseek(fd, 0, 0)
print("  passed.txt via pass_fds:", repr(os.read(fd, 100)))
os.close(fd); os.close(r); os.close(w)
run(["sh", "-c", "exec 3>&- ; echo closed-fds-ok"], close_fds=True)

show("tempfile in TMPDIR, used by a child")
with tempfile.TemporaryDirectory() as d:
    print("  temporary directory in:", hide(os.path.dirname(d)))
    p = os.path.join(d, "t.txt")
    with open(p, "w") as f:
        f.write("temp contents\n")
    run(["cat", p])
    run(["sh", "-c", 'echo child-temp > "$1"', "sh", os.path.join(d, "c.txt")])
    print("  parent reads child's temp file:", repr(open(os.path.join(d, "c.txt")).read()) if os.path.exists(os.path.join(d, "c.txt")) else "missing")
with tempfile.NamedTemporaryFile("w", delete=False) as t:
    t.write("named\n")
run(["cat", t.name])
os.unlink(t.name)

show("final")
print("  " + " ".join(sorted(os.listdir("."))))
PY
rc=$?
echo "python status: $rc"
exit "$rc"

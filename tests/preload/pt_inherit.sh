# Differential scenario: open tree files handed to other programs. External
# commands and scripts inherit tree descriptors across fork and exec (shell
# redirections in every direction, one shared offset), through vfork
# (dash, Python's subprocess), posix_spawn with file actions (make),
# system() and popen(); the descriptor magic links (/dev/stdout, /dev/fd/N,
# /proc/self/fd/N) name the tree file; programs that close every descriptor
# they do not know keep the tree; and a file unlinked while a child has it
# open stays readable there.
set -u
root=$1
mkdir "$root" && cd "$root" || exit 1

echo "== external commands on redirected descriptors"
/bin/echo one > f
printf '%s\n' two >> f
(echo a; /bin/echo b; printf 'c\n') > g
{ /bin/echo x; env printf 'y\n'; } >> g
python3 -c 'print("from python")' >> g
/bin/ls /nonexistent 2> err
exec 3> h
/bin/echo via3 >&3
sh -c 'echo from-sh >&3'
exec 3>&-
cat f g h
sed 's/^/err: /' err | sed 's/ls: cannot access/ls:/'
wc -l < g
sort < g | tr '\n' ' '; echo
cat < f | tr a-z A-Z > up && cat up
cat <<EOF > heredoc
line $((1 + 1))
EOF
cat heredoc

echo "== one shared offset"
{ /bin/echo first; /bin/echo second; /bin/echo third; } > off
cat off
exec 4< off
head -c 6 <&4 >/dev/null
read -r rest <&4
echo "after child read: $rest"
exec 4<&-

echo "== noclobber with an external writer"
set -o noclobber
/bin/echo nope > f 2>/dev/null || echo "refused: $?"
/bin/echo yes >| f && cat f
set +o noclobber

echo "== dash (vfork) with its cwd in the tree"
dash -c "cd '$root' && mkdir -p d/e && echo in-dash > d/e/x && cat d/e/x && rm d/e/x && ls d"

echo "== python subprocess, system, popen"
python3 - "$root" <<'EOF'
import os, subprocess, sys
root = sys.argv[1]
os.chdir(root)
subprocess.run(["sh", "-c", "echo by-child > sub"])       # close_fds=True
print(open("sub").read(), end="")
with open("sub2", "w") as f:
    subprocess.run(["sh", "-c", "echo out; echo err >&2"], stdout=f, stderr=subprocess.STDOUT)
print(open("sub2").read(), end="")
with open("sub3", "w") as f:
    f.write("parent-first\n")
    f.flush()
    subprocess.run(["sh", "-c", "echo child-second"], stdout=f)
    f.write("parent-third\n")
print(open("sub3").read(), end="")
os.system("echo by-system >> sub && cat sub")
print(os.popen("ls; cat sub2").read(), end="")
w = os.popen("cat > from-popen", "w")
w.write("written through popen\n")
w.close()
print(open("from-popen").read(), end="")
r = subprocess.run(["cat", "sub"], capture_output=True, text=True)
print("captured:", r.stdout.replace("\n", "|"))
EOF

echo "== descriptor magic links"
# (never /dev/stdout itself here: the transcript is a file, and a truncating
# open of the magic link would truncate the transcript)
( /bin/echo to-stdout > /dev/stdout ) > ml
sh -c 'echo to-stderr > /dev/stderr' 2> ml2
cat ml ml2
cat /dev/stdin < ml
exec 7>> ml
/bin/echo appended >> /dev/fd/7
exec 7>&-
exec 5< ml
cat /dev/fd/5
python3 -c 'import os; print(open("/proc/self/fd/5").read(), end=""); print(os.stat("/dev/fd/5").st_size)'
exec 5<&-
( /bin/echo truncating > /proc/self/fd/1 ) > ml
cat ml

echo "== unlinked while a child has it open"
echo keep-me > gone
exec 6< gone
rm gone
ls gone 2>/dev/null || echo "gone is unlinked"
cat <&6
exec 6<&-

echo "== closefrom and close_range keep the tree"
python3 -c 'import os; os.closerange(3, 65536); open("after-close", "w").write("still here\n")'
cat after-close
python3 - <<'EOF'
import subprocess
subprocess.run(["sh", "-c", "echo closed-fds-child > cfc"], close_fds=True)
print(open("cfc").read(), end="")
EOF

echo "== make (posix_spawn) writing into the tree"
cat > Makefile <<'EOF'
all:
	@echo "built by make" > made
	@cat made
EOF
make -s > make.log 2>&1
cat make.log
ls

"""Differential scenario for pathconf and fpathconf: tmpfs's answers for a
tree directory, file and descriptor, a missing path (ENOENT only for the
names glibc asks the file system about) and a closed descriptor."""
import os, sys, errno
root = sys.argv[1]
os.makedirs(root)
p = os.path.join(root, "f")
open(p, "w").close()
for name in ("PC_NAME_MAX", "PC_PATH_MAX", "PC_LINK_MAX", "PC_FILESIZEBITS", "PC_SYMLINK_MAX", "PC_PIPE_BUF"):
    for target in (root, p, os.path.join(root, "missing")):
        try:
            print(name, os.path.basename(target), os.pathconf(target, name))
        except OSError as e:
            print(name, os.path.basename(target), errno.errorcode[e.errno])
    fd = os.open(p, os.O_RDONLY)
    print(name, "fd", os.fpathconf(fd, name))
    os.close(fd)
    try:
        os.fpathconf(fd, name)
    except OSError as e:
        print(name, "closed fd", errno.errorcode[e.errno])

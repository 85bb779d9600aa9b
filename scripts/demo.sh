#!/usr/bin/env bash
# Set everything up and run the main job: ramdir on a real program. Python
# builds a small project tree in the RAM directory /ram (files, directories,
# a zip archive), reads it back, and a runaway writer hits the 64 MiB quota
# and gets ENOSPC instead of filling anything; ramdir prints its usage
# report. Nothing is written under /ram on disk. Then the engine benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh -DCMAKE_BUILD_TYPE=Release

build/bin/ramdir --quota 64M --stats -- python3 - <<'PY'
import os, zipfile
root = "/ram/project"
os.makedirs(root + "/src/pkg")
for i in range(200):
    with open(f"{root}/src/pkg/mod{i}.py", "w") as f:
        f.write(f"VALUE = {i}\n" * 50)
with zipfile.ZipFile(root + "/src.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(os.listdir(root + "/src/pkg")):
        z.write(f"{root}/src/pkg/{name}", name)
total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs)
print(f"project in RAM: {len(os.listdir(root + '/src/pkg'))} modules, {total} bytes")
try:
    with open(root + "/runaway.log", "wb") as f:
        while True:
            f.write(b"x" * (1 << 20))
except OSError as e:
    print(f"runaway writer stopped: {e.strerror} after {os.path.getsize(root + '/runaway.log') >> 20} MiB")
PY
test ! -e /ram && echo "nothing under /ram on disk"
build/bin/bench_core

#!/usr/bin/env bash
# Set everything up and run the main job. Today the engine is what exists
# (the preload library and the ramdir launcher are the next issues), so the
# main job is the engine's benchmark of record: ns per operation against the
# targets of docs/DESIGN.md. Usage: scripts/demo.sh [bench_core options]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh -DCMAKE_BUILD_TYPE=Release
exec build/bin/bench_core "$@"

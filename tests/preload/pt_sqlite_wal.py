"""Differential scenario: a sqlite3 database in WAL mode in ROOT. WAL needs
shared mmap of the -shm file, which the preload does not provide yet, so
tests/preload/CMakeLists.txt marks this scenario as a known failure: it
must start passing when mmap on tree files lands, and the mark must go."""
import os
import sys

import sqlite_modes

sys.stdout.reconfigure(line_buffering=True)
os.mkdir(sys.argv[1])
try:
    sqlite_modes.run(sys.argv[1], "wal")
except Exception as e:  # the transcript shows it
    print("  !", type(e).__name__, e)
print("done")

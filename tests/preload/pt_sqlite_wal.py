"""Differential scenario: a sqlite3 database in WAL mode in ROOT. WAL maps
its -shm file MAP_SHARED, so this needs shared mappings of tree files that
stay coherent with read and write (preload/mmap.c)."""
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

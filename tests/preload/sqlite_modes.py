"""sqlite3 scenario shared by the differential tests: one database in ROOT
in the given journal mode, two connections, commits, a checkpoint in WAL
mode, an integrity check and a reopen. Prints what it sees."""
import os
import sqlite3


def run(root, mode):
    db = os.path.join(root, f"db_{mode}.sqlite")
    c1 = sqlite3.connect(db)
    print(" ", mode, "journal_mode", c1.execute(f"pragma journal_mode={mode}").fetchone())
    c1.execute("create table t(k integer primary key, v text)")
    c1.executemany("insert into t(v) values (?)", [("a",), ("b",), ("c",)])
    c1.commit()
    c1.execute("insert into t(v) values ('uncommitted')")
    side = sorted(n for n in os.listdir(root) if n.startswith(f"db_{mode}"))
    print("  files during a write transaction", side)
    c2 = sqlite3.connect(db, timeout=0.1)
    print("  second connection sees", c2.execute("select v from t order by k").fetchall())
    c1.commit()
    print("  after commit", c2.execute("select count(*) from t").fetchone())
    try:
        c2.execute("insert into t(v) values ('from c2')")
        c2.commit()
        print("  c2 wrote", c1.execute("select v from t where k = 5").fetchone())
    except sqlite3.Error as e:
        print("  c2 write", type(e).__name__, e)
    c1.execute("update t set v = upper(v)")
    c1.commit()
    print("  upper", c2.execute("select group_concat(v) from t").fetchone())
    if mode == "wal":
        print("  checkpoint", c1.execute("pragma wal_checkpoint(truncate)").fetchone())
    print("  integrity", c1.execute("pragma integrity_check").fetchone())
    c2.close()
    c1.close()
    print("  files after close", sorted(n for n in os.listdir(root) if n.startswith(f"db_{mode}")))
    c3 = sqlite3.connect(db)
    print("  reopened", c3.execute("select count(*), max(v) from t").fetchone())
    c3.close()
    with open(db, "rb") as f:
        print("  header", f.read(16))

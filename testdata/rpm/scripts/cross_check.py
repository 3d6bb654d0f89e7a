#!/usr/bin/env python3
"""Cross-check the Rust readers on large databases rebuilt from the 129 CBL-Mariner 2.0
headers (not committed: megabytes). Needs root, rpm, db5.3-util, and the `rpmdump`
example built: cargo build --release --example rpmdump.

    cross_check.py PATH/TO/rpmdump [PUBLIC_DIR]

- Berkeley DB: the blobs loaded with db5.3_load in both byte orders and at 512, 4096
  and 65536-byte pages; rpm's bdb_ro lists each, and so does rpmdump; both must equal
  expected/cbl-mariner-2.0.txt (rpm's listing of the original sqlite database).
- ndb: the blobs written by make_fixtures.ndb_write (one and three slot pages); rpmdump
  must list expected/cbl-mariner-2.0.txt.
The sample is opened with SQLite's immutable=1, so nothing is written beside it.
"""
import os, sqlite3, struct, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_fixtures import ndb_write, rpm_list, TD  # noqa: E402

rpmdump = os.path.abspath(sys.argv[1])
public = sys.argv[2] if len(sys.argv) > 2 else "/work/shared/testdata/public/go-rpmdb"
src = os.path.join(public, "cbl-mariner-2.0", "rpmdb.sqlite")
con = sqlite3.connect(f"file:{src}?immutable=1", uri=True)
blobs = [(h, bytes(b)) for h, b in con.execute("SELECT hnum, blob FROM Packages ORDER BY hnum")]
con.close()
want = open(os.path.join(TD, "expected", "cbl-mariner-2.0.txt")).read()
ok = True


def ours(path):
    r = subprocess.run([rpmdump, path], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else "ERROR " + r.stderr


with tempfile.TemporaryDirectory() as tmp:
    for order, pack in (("1234", "<I"), ("4321", ">I")):
        for ps in (512, 4096, 65536):
            dump = ["VERSION=3", "format=bytevalue", "type=hash", f"db_pagesize={ps}",
                    f"db_lorder={order}", "HEADER=END"]
            for h, data in [(0, struct.pack(pack, len(blobs) + 1))] + blobs:
                dump += [" " + struct.pack(pack, h).hex(), " " + data.hex()]
            dump.append("DATA=END")
            path = os.path.join(tmp, f"Packages-{order}-{ps}")
            subprocess.run(["db5.3_load", "-f", "/dev/stdin", path], check=True,
                           input=("\n".join(dump) + "\n").encode())
            data = open(path, "rb").read()
            rpm_says = rpm_list({"Packages": data}, backend="bdb_ro")
            we_say = ours(path)
            good = rpm_says == want and we_say == want
            ok &= good
            print(f"bdb lorder={order} pagesize={ps}: {len(data)} bytes; rpm bdb_ro == expected: "
                  f"{rpm_says == want}; rpmdump == expected: {we_say == want}")
    for npages in (1, 3):
        path = os.path.join(tmp, f"Packages-{npages}.db")
        open(path, "wb").write(ndb_write(blobs, slotnpages=npages, free_slots={5, 6},
                                         order=list(reversed(range(len(blobs))))))
        we_say = ours(path)
        ok &= we_say == want
        print(f"ndb slotnpages={npages}: {os.path.getsize(path)} bytes; rpmdump == expected: {we_say == want}")
print("ALL OK" if ok else "MISMATCH")
sys.exit(0 if ok else 1)

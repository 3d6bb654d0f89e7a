#!/usr/bin/env python3
"""Build the small RPM database fixtures under testdata/fixtures/ and their oracle
outputs under testdata/expected/ (run as root on Debian 12 with `rpm`, `rpmbuild`,
`sqlite3` and `db5.3-util` installed; see testdata/README.md).

1. rpmbuild three tiny noarch packages (alpha, beta with Epoch 2, gamma) with known
   files: a regular file, an executable, a symlink, a directory, an empty file.
2. sqlite: rpm --initdb, shrink the pages to 512 bytes (VACUUM), install alpha with
   rpm (--justdb), then, while another connection holds a read transaction open (so
   no checkpoint can move frames into the main file), let rpm install beta, install
   gamma and erase alpha. rpmdb.sqlite + rpmdb.sqlite-wal are copied at that moment:
   fixtures/wal/. The expected output of every variant (no WAL, the WAL cut after each
   commit, cut mid-frame, a flipped byte) is what rpm itself lists from a scratch copy
   of the pair: expected/wal.*.txt and fixtures/wal/variants.tsv.
3. Berkeley DB: the three headers as rpm stored them, loaded with db5.3_load into hash
   databases with 512-byte pages (every header spans several overflow pages) in both
   byte orders, with rpm's key-0 instance counter: fixtures/bdb/; expected by rpm's
   bdb_ro backend.
4. ndb: the three headers written by ndb_write() below (rpmpkg.c's layout: two slot
   pages, free slots, blob order unlike slot order): fixtures/ndb/; expected is rpm
   listing the same blobs (rpm_oracle.py ndb), Debian's rpm having no ndb backend.
"""
import os, shutil, sqlite3, struct, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
TD = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from rpm_oracle import render, QF  # noqa: E402

SPECS = {
    "alpha": """Name: alpha
Version: 1.0
Release: 1
Summary: tiny test package alpha
License: MIT
BuildArch: noarch
%description
alpha
%install
mkdir -p %{buildroot}/usr/share/alpha %{buildroot}/usr/bin
printf 'hello' > %{buildroot}/usr/share/alpha/hello.txt
printf '#!/bin/sh\\necho alpha\\n' > %{buildroot}/usr/bin/alpha
chmod 755 %{buildroot}/usr/bin/alpha
ln -s ../share/alpha/hello.txt %{buildroot}/usr/bin/alpha-hello
%files
%dir /usr/share/alpha
/usr/share/alpha/hello.txt
/usr/bin/alpha
/usr/bin/alpha-hello
""",
    "beta": """Name: beta
Epoch: 2
Version: 0.9.1
Release: 3.test
Summary: tiny test package beta
License: MIT
BuildArch: noarch
%description
beta
%install
mkdir -p %{buildroot}/etc/beta %{buildroot}/var/lib/beta
head -c 3000 /dev/zero | tr '\\0' 'b' > %{buildroot}/etc/beta/beta.conf
: > %{buildroot}/var/lib/beta/empty
%files
%config(noreplace) /etc/beta/beta.conf
%attr(0600,root,root) /var/lib/beta/empty
%dir /var/lib/beta
""",
    "gamma": """Name: gamma
Version: 2024.1
Release: 7
Summary: tiny test package gamma
License: MIT
BuildArch: noarch
%description
gamma
%install
mkdir -p %{buildroot}/opt/gamma/lib
printf 'g%.0s' $(seq 1 70000) > %{buildroot}/opt/gamma/lib/data.bin
%files
/opt/gamma
""",
}


def run(*cmd, **kw):
    return subprocess.run(list(cmd), check=True, **kw)


def rpm(dbpath, *args, backend="sqlite"):
    return run("rpm", "--dbpath", dbpath, "--define", f"_db_backend {backend}", *args,
               capture_output=True)


def rpm_list(dbfiles, backend="sqlite"):
    """What rpm lists from a scratch directory holding copies of dbfiles {name: bytes}."""
    d = tempfile.mkdtemp(prefix="rpm-fixture-oracle-")
    try:
        for name, data in dbfiles.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        out = rpm(d, "-qa", "--qf", QF, backend=backend).stdout
        return render(out)
    finally:
        shutil.rmtree(d)


def build_packages(work):
    top = os.path.join(work, "rpmbuild")
    rpms = {}
    for name, spec in SPECS.items():
        path = os.path.join(work, name + ".spec")
        with open(path, "w") as f:
            f.write(spec)
        run("rpmbuild", "--quiet", "--define", f"_topdir {top}", "--define", "_build_id_links none",
            "--define", "source_date_epoch_from_changelog 0", "-bb", path, capture_output=True)
        (rpm_file,) = [os.path.join(r, x) for r, _, fs in os.walk(os.path.join(top, "RPMS")) for x in fs
                       if x.startswith(name + "-")]
        rpms[name] = rpm_file
    return rpms


def wal_frames(wal):
    """(offset, pgno, commit) of each frame of a WAL (no validation: rpm is the oracle)."""
    ps = struct.unpack_from(">I", wal, 8)[0]
    out, at = [], 32
    while at + 24 + ps <= len(wal):
        pgno, commit = struct.unpack_from(">II", wal, at)
        out.append((at, pgno, commit))
        at += 24 + ps
    return ps, out


def make_sqlite(work, rpms):
    db = os.path.join(work, "sqlite")
    os.mkdir(db)
    rpm(db, "--initdb")
    dbfile = os.path.join(db, "rpmdb.sqlite")
    con = sqlite3.connect(dbfile, isolation_level=None)
    con.execute("PRAGMA journal_mode=DELETE")
    con.execute("PRAGMA page_size=512")
    con.execute("VACUUM")
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    rpm(db, "-i", "--justdb", "--nodeps", "--noscripts", rpms["alpha"])
    assert not os.path.exists(dbfile + "-wal") or os.path.getsize(dbfile + "-wal") == 0
    base = open(dbfile, "rb").read()

    # Hold a read transaction open so that rpm's writes stay in the WAL.
    holder = sqlite3.connect(dbfile, isolation_level=None)
    holder.execute("BEGIN")
    holder.execute("SELECT count(*) FROM Packages").fetchall()
    rpm(db, "-i", "--justdb", "--nodeps", "--noscripts", rpms["beta"])
    rpm(db, "-i", "--justdb", "--nodeps", "--noscripts", rpms["gamma"])
    rpm(db, "-e", "--justdb", "--nodeps", "--noscripts", "alpha")
    main = open(dbfile, "rb").read()
    wal = open(dbfile + "-wal", "rb").read()
    holder.execute("COMMIT")
    holder.close()
    assert main == base, "the main file changed while the reader held its snapshot"

    out = os.path.join(TD, "fixtures", "wal")
    os.makedirs(out, exist_ok=True)
    open(os.path.join(out, "rpmdb.sqlite"), "wb").write(main)
    open(os.path.join(out, "rpmdb.sqlite-wal"), "wb").write(wal)

    ps, frames = wal_frames(wal)
    commits = [(i, at) for i, (at, _, c) in enumerate(frames) if c]
    variants = [("none", None, -1), ("full", len(wal), -1)]
    for k, (i, at) in enumerate(commits):
        variants.append((f"commit{k + 1}", at + 24 + ps, -1))
    # Cut in the middle of the last transaction's last frame.
    variants.append(("midframe", frames[-1][0] + 24 + ps // 2, -1))
    # A flipped byte in the page of the first frame after the first commit.
    first_after = commits[0][0] + 1
    variants.append(("flip-after-commit1", len(wal), frames[first_after][0] + 24 + 100))
    # A flipped salt in the WAL header: the whole WAL is invalid.
    variants.append(("flip-header", len(wal), 16))
    lines = ["# name\twal_len (- = no wal)\tflip_offset (-1 = none)\texpected file\n"]
    for name, wal_len, flip in variants:
        files = {"rpmdb.sqlite": main}
        if wal_len is not None:
            w = bytearray(wal[:wal_len])
            if flip >= 0:
                w[flip] ^= 0x40
            files["rpmdb.sqlite-wal"] = bytes(w)
        text = rpm_list(files)
        exp = f"wal.{name}.txt"
        open(os.path.join(TD, "expected", exp), "w").write(text)
        lines.append(f"{name}\t{'-' if wal_len is None else wal_len}\t{flip}\t{exp}\n")
    open(os.path.join(out, "variants.tsv"), "w").writelines(lines)
    print(f"sqlite: main {len(main)} bytes, wal {len(wal)} bytes, {len(frames)} frames, "
          f"{len(commits)} commits", file=sys.stderr)

    # The header blobs as rpm stored them (for the Berkeley DB fixtures).
    full = os.path.join(work, "full")
    os.mkdir(full)
    open(os.path.join(full, "rpmdb.sqlite"), "wb").write(main)
    open(os.path.join(full, "rpmdb.sqlite-wal"), "wb").write(wal)
    c = sqlite3.connect(os.path.join(full, "rpmdb.sqlite"))
    blobs = c.execute("SELECT hnum, blob FROM Packages ORDER BY hnum").fetchall()
    c.close()
    b = os.path.join(work, "base")
    os.mkdir(b)
    open(os.path.join(b, "rpmdb.sqlite"), "wb").write(base)
    c = sqlite3.connect(os.path.join(b, "rpmdb.sqlite"))
    alpha = c.execute("SELECT hnum, blob FROM Packages").fetchall()
    c.close()
    return alpha + blobs


def make_bdb(work, blobs):
    out = os.path.join(TD, "fixtures", "bdb")
    os.makedirs(out, exist_ok=True)
    for order, pack in (("1234", "<I"), ("4321", ">I")):
        dump = ["VERSION=3", "format=bytevalue", "type=hash", "db_pagesize=512",
                f"db_lorder={order}", "HEADER=END"]
        recs = [(0, struct.pack(pack, max(h for h, _ in blobs) + 1))] + [(h, bytes(b)) for h, b in blobs]
        for h, data in recs:
            dump.append(" " + struct.pack(pack, h).hex())
            dump.append(" " + data.hex())
        dump.append("DATA=END")
        d = os.path.join(work, "bdb" + order)
        os.mkdir(d)
        run("db5.3_load", "-f", "/dev/stdin", os.path.join(d, "Packages"),
            input=("\n".join(dump) + "\n").encode())
        data = open(os.path.join(d, "Packages"), "rb").read()
        name = "Packages-le" if order == "1234" else "Packages-be"
        open(os.path.join(out, name), "wb").write(data)
        text = rpm_list({"Packages": data}, backend="bdb_ro")
        open(os.path.join(TD, "expected", f"bdb.{name}.txt"), "w").write(text)
        print(f"bdb {name}: {len(data)} bytes, {text.count(chr(10))} lines", file=sys.stderr)


def main():
    work = tempfile.mkdtemp(prefix="rpm-fixtures-")
    try:
        rpms = build_packages(work)
        blobs = make_sqlite(work, rpms)
        make_bdb(work, blobs)
        make_ndb(blobs)
    finally:
        shutil.rmtree(work)



def ndb_write(blobs, slotnpages=1, free_slots=(), order=None):
    """Write an ndb Packages.db as rpm's rpmpkg.c lays it out (header, slot pages,
    blobs with head, padding and adler32 tail). blobs: [(pkgidx, bytes)].
    free_slots: slot numbers left free; order: the blob order in the file (a list of
    positions into blobs), to make block order differ from slot order."""
    import zlib
    order = list(range(len(blobs))) if order is None else order
    blk = slotnpages * 4096 // 16
    placed = {}
    body = bytearray()
    for i in order:
        idx, data = blobs[i]
        head = struct.pack("<4sIII", b"BlbS", idx, 0, len(data))
        cnt = (16 + len(data) + 12 + 15) // 16
        pad = cnt * 16 - (16 + len(data) + 12)
        payload = head + data + b"\0" * pad
        body += payload + struct.pack("<I I 4s", zlib.adler32(payload), len(data), b"BlbE")
        placed[i] = (blk, cnt)
        blk += cnt
    slots = bytearray()
    slotno = 2  # the header takes the first two slot positions
    it = iter(range(len(blobs)))
    pending = next(it, None)
    while slotno < slotnpages * 256:
        if pending is not None and slotno not in free_slots:
            off, cnt = placed[pending]
            slots += struct.pack("<4sIII", b"Slot", blobs[pending][0], off, cnt)
            pending = next(it, None)
        else:
            slots += struct.pack("<4sIII", b"Slot", 0, 0, 0)
        slotno += 1
    assert pending is None, "not enough slots"
    nextidx = max(i for i, _ in blobs) + 1
    header = struct.pack("<4sIIII", b"RpmP", 0, 1, slotnpages, nextidx) + b"\0" * 12
    return bytes(header + slots + body)


def make_ndb(blobs):
    """A small ndb fixture: two slot pages, a free slot before the used ones, blob
    order unlike slot order. Expected: rpm reading the same blobs (via sqlite)."""
    out = os.path.join(TD, "fixtures", "ndb")
    os.makedirs(out, exist_ok=True)
    recs = [(7, bytes(blobs[0][1])), (3, bytes(blobs[1][1])), (12, bytes(blobs[2][1]))]
    data = ndb_write(recs, slotnpages=2, free_slots={2, 300}, order=[2, 0, 1])
    path = os.path.join(out, "Packages.db")
    open(path, "wb").write(data)
    r = subprocess.run([sys.executable, os.path.join(HERE, "rpm_oracle.py"), "ndb", path],
                       check=True, capture_output=True)
    open(os.path.join(TD, "expected", "ndb.Packages.db.txt"), "wb").write(r.stdout)
    print(f"ndb: {len(data)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()

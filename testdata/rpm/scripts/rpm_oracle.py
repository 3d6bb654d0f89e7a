#!/usr/bin/env python3
"""Oracle for the RPM database readers: what Debian's rpm (4.18) sees in a database,
in the canonical text form the Rust tests render.

    rpm_oracle.py sqlite DIR          # DIR holds rpmdb.sqlite (and maybe -wal)
    rpm_oracle.py bdb DIR             # DIR holds Packages (Berkeley DB hash)
    rpm_oracle.py ndb FILE            # Packages.db: blobs extracted here (an independent
                                      # reader of rpmpkg.c's format), put in a throwaway
                                      # sqlite rpmdb, and read back by rpm's sqlite backend

DIR is mounted read-only-in-effect: rpm runs on an overlay whose upper layer is a
tmpfs (in a private mount namespace), so the -shm/-wal files SQLite creates never land
next to the sample. Needs root (unshare -m, mount). Prints to stdout:

    NAME<TAB>EPOCH<TAB>VERSION<TAB>RELEASE<TAB>ARCH<TAB>NFILES
      SIZE<TAB>MODE(octal)<TAB>PATH          (one per file, in header order)

packages sorted by their whole block; EPOCH/ARCH empty when rpm says (none); PATH
relative and normalised (split on '/', drop '' and '.', '..' pops, never above root).
"""
import os, shutil, sqlite3, struct, subprocess, sys, tempfile, zlib

QF = ("P\t%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\n"
      "[F\t%{LONGFILESIZES}\t%{FILEMODES:octal}\t%{FILENAMES}\n]")


def normalize(p):
    out = []
    for c in p.split("/"):
        if c in ("", "."):
            continue
        if c == "..":
            if out:
                out.pop()
            continue
        out.append(c)
    return "/".join(out)


def rpm_query(dbdir, backend):
    """Run rpm -qa on an overlay of dbdir (writes go to a tmpfs)."""
    work = tempfile.mkdtemp(prefix="rpm-oracle-")
    try:
        script = f"""
set -e
mount -t tmpfs none {work}
mkdir {work}/u {work}/w {work}/m
mount -t overlay overlay -o lowerdir={dbdir},upperdir={work}/u,workdir={work}/w {work}/m
exec rpm --dbpath {work}/m --define '_db_backend {backend}' -qa --qf '{QF}'
"""
        r = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True)
        if r.returncode != 0:
            sys.stderr.write(r.stderr.decode(errors="replace"))
            sys.exit(f"rpm failed on {dbdir}")
        return r.stdout
    finally:
        os.rmdir(work)


def render(raw):
    blocks, cur = [], None
    for line in raw.decode("utf-8", errors="replace").split("\n"):
        if not line:
            continue
        f = line.split("\t")
        if f[0] == "P":
            cur = [[("" if x == "(none)" else x) for x in f[1:6]], []]
            blocks.append(cur)
        elif f[0] == "F":
            if f[3] == "(none)" and f[1] == "(none)":
                continue  # a package without files
            cur[1].append(f"  {f[1]}\t{f[2]}\t{normalize(f[3])}\n")
        else:
            sys.exit(f"unexpected rpm output line: {line!r}")
    texts = ["\t".join(h + [str(len(files))]) + "\n" + "".join(files) for h, files in blocks]
    return "".join(sorted(texts))


def ndb_blobs(path):
    """Independent reader of rpm's ndb Packages.db (lib/backend/ndb/rpmpkg.c)."""
    data = open(path, "rb").read()
    magic, version, _gen, slotnpages, _next = struct.unpack_from("<4sIIII", data, 0)
    assert magic == b"RpmP" and version == 0, "not an ndb Packages.db"
    blobs = []
    for off in range(32, slotnpages * 4096, 16):
        smagic, pkgidx, blkoff, blkcnt = struct.unpack_from("<4sIII", data, off)
        assert smagic == b"Slot", f"bad slot at {off}"
        if blkoff == 0:
            continue
        start = blkoff * 16
        bmagic, bidx, _ts, blen = struct.unpack_from("<4sIII", data, start)
        assert bmagic == b"BlbS" and bidx == pkgidx, f"bad blob at {start}"
        end = start + blkcnt * 16
        adl, tlen, tmagic = struct.unpack_from("<I I 4s", data, end - 12)
        assert tmagic == b"BlbE" and tlen == blen
        assert zlib.adler32(data[start:end - 12]) == adl, f"adler32 mismatch at {start}"
        blobs.append((pkgidx, data[start + 16:start + 16 + blen]))
    return blobs


def main():
    kind, target = sys.argv[1], os.path.abspath(sys.argv[2])
    if kind == "sqlite":
        out = rpm_query(target, "sqlite")
    elif kind == "bdb":
        out = rpm_query(target, "bdb_ro")
    elif kind == "ndb":
        tmp = tempfile.mkdtemp(prefix="ndb-as-sqlite-")
        try:
            # rpm creates its tables (Packages and the indexes) itself...
            subprocess.run(["rpm", "--dbpath", tmp, "--define", "_db_backend sqlite", "--initdb"], check=True)
            # ...and the extracted blobs go into Packages, keyed by ndb package index.
            con = sqlite3.connect(os.path.join(tmp, "rpmdb.sqlite"))
            con.executemany("INSERT INTO Packages VALUES (?, ?)", ndb_blobs(target))
            con.commit()
            con.close()
            out = rpm_query(tmp, "sqlite")
        finally:
            shutil.rmtree(tmp)
    else:
        sys.exit(__doc__)
    sys.stdout.write(render(out))


if __name__ == "__main__":
    main()

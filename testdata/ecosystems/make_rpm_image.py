#!/usr/bin/env python3
"""A real rpm-based image, built here with Debian's rpm 4.18 and rpmbuild, and what rpm
itself says each package holds (run as root: `rpm --root` chroots).

    python3 testdata/ecosystems/make_rpm_image.py

Writes rpm-image.tar.gz (a legacy `docker save` archive, gzipped whole) and rpm-image.expected.json next
to this script. rpm stores install times in its database, so a rerun makes new bytes:
the archive and the expected file are regenerated together.

acme/rpm:1, two layers, like `RUN rpm -i` twice:
  layer 0: `rpm --root R --dbpath /usr/lib/sysimage/rpm --initdb` (sqlite, shrunk to
           512-byte pages), then `rpm -i alpha beta` with their files;
  layer 1: `rpm -i gamma alpha-devel`, beta's %config file edited (its size now differs
           from the header's), alpha's usr/share/alpha/hello.txt removed (a whiteout).
  Each layer holds what changed in R (new or changed entries, their directories,
  whiteouts), as a container build would.
acme/rpm-bdb:1 and acme/rpm-ndb:1: the Berkeley DB and ndb fixtures of testdata/rpm
  (rpm's own headers of alpha, beta, gamma) at var/lib/rpm/Packages and
  usr/lib/sysimage/rpm/Packages.db, with every listed regular file present but
  gamma's opt/gamma/lib/data.bin.

The oracle (rpm-image.expected.json), per image, per package: name, version (rpm's
%{EVR}), and the bytes and count of its regular files present in the image's final
filesystem, with their sizes on disk, from `rpm -qa --qf '[%{FILESIZES} ...]'` (the
file lists) and lstat of the final root (the sizes): never the header's sizes. For the
bdb and ndb images the file lists are rpm's listings of those databases
(testdata/rpm/expected/{bdb.Packages-le,ndb.Packages.db}.txt).
"""

import io
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.dirname(HERE)
sys.path.insert(0, TESTDATA)
sys.path.insert(0, os.path.join(TESTDATA, "rpm", "scripts"))
import generate as g  # noqa: E402
import make_fixtures as mf  # noqa: E402

DBPATH = "/usr/lib/sysimage/rpm"

SPECS = dict(mf.SPECS)
SPECS["alpha-devel"] = """Name: alpha-devel
Version: 1.0
Release: 1
Summary: tiny test package alpha-devel
License: MIT
BuildArch: noarch
%description
alpha-devel
%install
mkdir -p %{buildroot}/usr/lib64/pkgconfig %{buildroot}/usr/share/doc/alpha-devel
printf 'Name: alpha\\nVersion: 1.0\\n' > %{buildroot}/usr/lib64/pkgconfig/alpha.pc
head -c 1200 /dev/zero | tr '\\0' 'd' > %{buildroot}/usr/share/doc/alpha-devel/README
%files
/usr/lib64/pkgconfig/alpha.pc
/usr/share/doc/alpha-devel/README
"""


def rpm(root, *args):
    return subprocess.run(["rpm", "--root", root, "--dbpath", DBPATH, "--define",
                           "_db_backend sqlite", *args], check=True, capture_output=True,
                          text=True)


def snapshot(root):
    """path -> (kind, mode, data or target) of every entry under root."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("sym", mode, os.readlink(full))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", mode, None)
            elif stat.S_ISREG(st.st_mode):
                with open(full, "rb") as f:
                    out[rel] = ("file", mode, f.read())
    return out


def layer_tar(entries):
    """entries: {path: (kind, mode, data)}; kind "whiteout" too. Sorted, fixed times."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for path in sorted(entries):
            kind, mode, data = entries[path]
            ti = tarfile.TarInfo(path)
            ti.mtime = g.MTIME
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = ""
            ti.mode = mode
            payload = None
            if kind == "dir":
                ti.type = tarfile.DIRTYPE
            elif kind == "sym":
                ti.type = tarfile.SYMTYPE
                ti.linkname = data
            else:
                ti.type = tarfile.REGTYPE
                payload = data if kind == "file" else b""
                ti.size = len(payload)
            tf.addfile(ti, io.BytesIO(payload) if payload is not None else None)
    return buf.getvalue()


def diff(before, after):
    """What a layer holds: new or changed entries with their directories, whiteouts."""
    out = {}
    for p, e in after.items():
        if before.get(p) != e:
            out[p] = e
            d = os.path.dirname(p)
            while d:
                out.setdefault(d, after[d])
                d = os.path.dirname(d)
    for p in before:
        parent = os.path.dirname(p)
        # A removed directory's own whiteout covers what was under it.
        if p in after or (parent and parent not in after):
            continue
        out[os.path.join(parent, ".wh." + os.path.basename(p))] = ("whiteout", 0o644, None)
        d = parent
        while d:
            out.setdefault(d, after[d])
            d = os.path.dirname(d)
    return out


def expected_packages(listing, final, layer_of):
    """listing: [(name, evr, [paths])]; final: snapshot of the final root."""
    out = []
    for name, evr, paths in listing:
        present = [final[p][2] for p in paths if p in final and final[p][0] == "file"]
        out.append({"name": name, "version": evr, "size": sum(len(d) for d in present),
                    "files": len(present), "layer": layer_of(name)})
    return sorted(out, key=lambda p: (p["name"], p["version"]))


def rpm_listing(root):
    out = rpm(root, "-qa", "--qf", "P\t%{NAME}\t%{EVR}\n[F\t%{FILENAMES}\n]").stdout
    pkgs = []
    for line in out.splitlines():
        f = line.split("\t")
        if f[0] == "P":
            pkgs.append((f[1], f[2], []))
        elif f[0] == "F":
            pkgs[-1][2].append(mf_normalize(f[1]))
    return pkgs


def mf_normalize(p):
    from rpm_oracle import normalize
    return normalize(p)


def fixture_listing(name):
    """The packages of testdata/rpm/expected/NAME: (name, evr, paths, [(size, mode, path)])."""
    pkgs = []
    with open(os.path.join(TESTDATA, "rpm", "expected", name)) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.startswith("  "):
                n, epoch, v, r, _arch, _count = line.split("\t")
                evr = (epoch + ":" if epoch else "") + v + "-" + r
                pkgs.append((n, evr, [], []))
            else:
                size, mode, path = line.strip().split("\t")
                pkgs[-1][2].append(path)
                pkgs[-1][3].append((int(size), int(mode, 8), path))
    return pkgs


def fixture_image(tag, db_path, db_file, listing_name):
    listing = fixture_listing(listing_name)
    entries = {}
    for _, _, _, files in listing:
        for size, mode, path in files:
            if path == "opt/gamma/lib/data.bin":
                continue
            kind = stat.S_IFMT(mode)
            if kind == stat.S_IFREG:
                entries[path] = ("file", stat.S_IMODE(mode), g.text(path, size))
            elif kind == stat.S_IFDIR:
                entries[path] = ("dir", stat.S_IMODE(mode), None)
            elif kind == stat.S_IFLNK:
                entries[path] = ("sym", 0o777, "target-of-" + os.path.basename(path))
    with open(os.path.join(TESTDATA, "rpm", "fixtures", db_file), "rb") as f:
        entries[db_path] = ("file", 0o644, f.read())
    for p in list(entries):
        d = os.path.dirname(p)
        while d:
            entries.setdefault(d, ("dir", 0o755, None))
            d = os.path.dirname(d)
    layer = layer_tar(entries)
    history = [g.hist("/bin/sh -c #(nop) ADD file:rpm in / ")]
    cfg = image_config([layer], history)
    final = {p: e for p, e in entries.items()}
    expected = expected_packages([(n, evr, paths) for n, evr, paths, _ in listing], final,
                                 lambda _: 0)
    return {"tags": [tag], "layers": [layer], "config": cfg}, expected


def image_config(layers, history):
    return g.cjson({
        "architecture": "amd64", "os": "linux", "created": g.CREATED,
        "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["sh"]},
        "rootfs": {"type": "layers",
                   "diff_ids": ["sha256:" + g.sha256(l) for l in layers]},
        "history": history,
    })


def main():
    work = tempfile.mkdtemp(prefix="layerlens-rpm-image-")
    try:
        saved = mf.SPECS
        mf.SPECS = SPECS
        rpms = mf.build_packages(work)
        mf.SPECS = saved
        root = os.path.join(work, "root")
        os.mkdir(root)
        rpm(root, "--initdb")
        dbfile = os.path.join(root, DBPATH.lstrip("/"), "rpmdb.sqlite")
        con = sqlite3.connect(dbfile, isolation_level=None)
        con.execute("PRAGMA journal_mode=DELETE")
        con.execute("PRAGMA page_size=512")
        con.execute("VACUUM")
        con.execute("PRAGMA journal_mode=WAL")
        con.close()
        rpm(root, "-i", "--nodeps", "--noscripts", rpms["alpha"], rpms["beta"])
        first = snapshot(root)
        rpm(root, "-i", "--nodeps", "--noscripts", rpms["gamma"], rpms["alpha-devel"])
        with open(os.path.join(root, "etc/beta/beta.conf"), "ab") as f:
            f.write(b"# edited after install\n")
        os.remove(os.path.join(root, "usr/share/alpha/hello.txt"))
        final = snapshot(root)
        listing = rpm_listing(root)
    finally:
        shutil.rmtree(work)
    l0 = layer_tar(first)
    l1 = layer_tar(diff(first, final))
    history = [
        g.hist("/bin/sh -c rpm --initdb && rpm -i alpha beta"),
        g.hist("/bin/sh -c rpm -i gamma alpha-devel && echo >> /etc/beta/beta.conf "
               "&& rm /usr/share/alpha/hello.txt"),
    ]
    first_names = {"alpha", "beta"}
    expected = {"acme/rpm:1": expected_packages(
        listing, final, lambda n: 0 if n in first_names else 1)}
    images = [{"tags": ["acme/rpm:1"], "layers": [l0, l1],
               "config": image_config([l0, l1], history)}]
    for tag, db_path, db_file, name in [
        ("acme/rpm-bdb:1", "var/lib/rpm/Packages", "bdb/Packages-le", "bdb.Packages-le.txt"),
        ("acme/rpm-ndb:1", "usr/lib/sysimage/rpm/Packages.db", "ndb/Packages.db",
         "ndb.Packages.db.txt"),
    ]:
        img, exp = fixture_image(tag, db_path, db_file, name)
        images.append(img)
        expected[tag] = exp
    archive = g.write_archive(os.path.join(HERE, "rpm-image.tar"), g.legacy_archive(images, "rpm"))
    # Mostly SQLite's zero-filled pages and -shm: stored gzipped (layerlens reads it so).
    os.remove(os.path.join(HERE, "rpm-image.tar"))
    with open(os.path.join(HERE, "rpm-image.tar.gz"), "wb") as f:
        f.write(g.gz(archive))
    with open(os.path.join(HERE, "rpm-image.expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    print(json.dumps(expected, indent=1))


if __name__ == "__main__":
    main()

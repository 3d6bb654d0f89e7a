#!/usr/bin/env python3
"""Deterministic fixture generator for layerlens.

Run from anywhere:  python3 testdata/generate.py

Rewrites testdata/fixtures/ byte-identically on every run (on the same machine:
gzip output depends on the zlib build and zstd output on the zstd version).
Only the Python 3.11 standard library and the `zstd` command-line tool are used.

Determinism rules:
  * tar members: mtime 1700000000, uid/gid 0, uname/gname "", fixed modes,
    members written in a fixed (mostly sorted) order;
  * gzip: gzip.compress(level 9, mtime=0) -> no file name, fixed header;
  * zstd: `zstd -q -19 --no-check -c` (no checksum, stdin -> no file name);
  * JSON: compact separators, sorted keys;
  * pseudo-random file contents come from a sha256 counter stream.
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")

MTIME = 1700000000
CREATED = "2023-11-14T22:13:20Z"  # == MTIME

MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
MT_OCI_LAYER_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_OCI_LAYER_ZST = "application/vnd.oci.image.layer.v1.tar+zstd"
MT_OCI_EMPTY = "application/vnd.oci.empty.v1+json"
MT_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def sha256(b):
    return hashlib.sha256(b).hexdigest()


def prng(seed, n):
    """Deterministic pseudo-random bytes (sha256 in counter mode)."""
    out = bytearray()
    i = 0
    s = seed.encode()
    while len(out) < n:
        out += hashlib.sha256(s + b"/" + str(i).encode()).digest()
        i += 1
    return bytes(out[:n])


WORDS = (b"layer image tar blob digest config manifest index whiteout opaque "
         b"busybox alpine linux amd64 arm64 sha256 gzip zstd root etc usr lib "
         b"bin app server data value key name path size mode owner group").split()


def text(seed, n):
    """Deterministic, somewhat compressible text of exactly n bytes."""
    r = prng(seed, n)
    out = bytearray()
    i = 0
    while len(out) < n:
        w = WORDS[r[i % len(r)] % len(WORDS)]
        out += w
        out += b"\n" if r[(i * 7 + 3) % len(r)] % 9 == 0 else b" "
        i += 1
    return bytes(out[:n])


def cjson(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def zst(data):
    return subprocess.run(["zstd", "-q", "-19", "--no-check", "-c"], input=data,
                          stdout=subprocess.PIPE, check=True).stdout


# Entry specs:
#   ("dir", "path/")            ("file", "path", data[, mode])
#   ("sym", "path", "target")   ("hard", "path", "target")

def _tarinfo(spec):
    kind, name = spec[0], spec[1]
    ti = tarfile.TarInfo(name.rstrip("/") if name not in ("./", "/") else ".")
    ti.mtime = MTIME
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    data = None
    if kind == "dir":
        ti.type = tarfile.DIRTYPE
        ti.mode = 0o755
    elif kind == "file":
        data = spec[2]
        ti.type = tarfile.REGTYPE
        ti.mode = spec[3] if len(spec) > 3 else 0o644
        ti.size = len(data)
    elif kind == "sym":
        ti.type = tarfile.SYMTYPE
        ti.linkname = spec[2]
        ti.mode = 0o777
    elif kind == "hard":
        ti.type = tarfile.LNKTYPE
        ti.linkname = spec[2]
        ti.mode = 0o755
    else:
        raise ValueError(kind)
    return ti, data


def make_tar(entries, fmt=tarfile.USTAR_FORMAT, sort=True):
    """A complete tar (entries + 2 zero blocks, padded to a 10240 record)."""
    if sort:
        entries = sorted(entries, key=lambda e: e[1])
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for spec in entries:
            ti, data = _tarinfo(spec)
            tf.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def raw_entries(entries, fmt=tarfile.USTAR_FORMAT):
    """Tar header+data blocks for entries, with NO end-of-archive blocks."""
    out = bytearray()
    for spec in entries:
        ti, data = _tarinfo(spec)
        out += ti.tobuf(fmt, "utf-8", "surrogateescape")
        if data:
            out += data
            if len(data) % 512:
                out += b"\0" * (512 - len(data) % 512)
    return bytes(out)


def write_archive(path, members, fmt=tarfile.USTAR_FORMAT):
    """members: list of (name, bytes) | (name, None) for dirs | (name, ("sym", target)).
    Written in the given order."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for name, payload in members:
            if payload is None:
                spec = ("dir", name)
            elif isinstance(payload, tuple):
                spec = (payload[0], name, payload[1])
            else:
                spec = ("file", name, payload)
            ti, data = _tarinfo(spec)
            tf.addfile(ti, io.BytesIO(data) if data is not None else None)
    data = buf.getvalue()
    with open(path, "wb") as f:
        f.write(data)
    return data


# --------------------------------------------------------------------------
# layer contents
# --------------------------------------------------------------------------

LONG_GNU = ("usr/lib/python3/site-packages/layerlens_fixture_package_with_a_rather_"
            "long_name/generated_submodule_directory/module_file.py")
LONG_PAX = ("usr/share/doc/layerlens-fixture-documentation-directory/examples/"
            "nested/deeper/still-deeper/an-example-file-with-a-long-name.txt")
assert len(LONG_GNU) > 100 and len(LONG_PAX) > 100

APP_CONFIG = text("app-config", 1500)

BASE = make_tar([
    ("dir", "etc/"),
    ("file", "etc/empty.conf", b""),
    ("file", "etc/hostname", b"layerlens\n"),
    ("file", "etc/os-release", text("os-release-v1", 300)),
    ("file", "etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"),
    ("file", "foo", b"foo!\n"),
    ("dir", "opt/"),
    ("dir", "opt/plugins/"),
    ("file", "opt/plugins/a.so", prng("plugin-a", 2048), 0o755),
    ("dir", "usr/"),
    ("dir", "usr/bin/"),
    ("file", "usr/bin/busybox", prng("busybox", 16384), 0o755),
    ("hard", "usr/bin/ls", "usr/bin/busybox"),
    ("sym", "usr/bin/sh", "busybox"),
    ("dir", "usr/lib/"),
    ("file", "usr/lib/libc.so.6", prng("libc", 12288), 0o755),
    ("file", "usr/lib/libempty.so", b""),
    ("file", LONG_GNU, text("long-gnu", 900)),
    ("dir", "var/"),
    ("dir", "var/lib/"),
    ("dir", "var/lib/data/"),
    ("file", "var/lib/data/old.db", prng("old-db", 4096)),
], fmt=tarfile.GNU_FORMAT)

APP1 = make_tar([
    ("dir", "app/"),
    ("file", "app/config.json", APP_CONFIG),
    ("file", "app/config.copy.json", APP_CONFIG),   # same content at two paths
    ("sym", "app/current", "server"),
    ("file", "app/server", prng("app-server", 20000), 0o755),
    ("dir", "etc/"),
    ("file", "etc/.wh.empty.conf", b""),             # whiteout
    ("file", "etc/os-release", text("os-release-v2", 320)),  # overwrite
    ("dir", "opt/"),
    ("file", "opt/plugins", b"plugins are now a file\n"),   # dir -> file
    ("dir", "var/"),
    ("dir", "var/lib/"),
    ("dir", "var/lib/data/"),
    ("file", "var/lib/data/.wh..wh..opq", b""),       # opaque dir
    ("file", "var/lib/data/new.db", prng("new-db", 3000)),
    ("file", LONG_PAX, text("long-pax", 700)),
], fmt=tarfile.PAX_FORMAT)

APP2 = make_tar([
    ("dir", "./"),
    ("file", "./.wh.foo", b""),                      # ./-prefixed whiteout
    ("dir", "./app/"),
    ("file", "./app/extra.bin", prng("extra", 8192)),
    ("dir", "./etc/"),
    ("file", "./etc/motd", b""),
    ("file", "./etc/x", text("etc-x", 200)),
], fmt=tarfile.GNU_FORMAT)

EMPTY10240 = b"\0" * 10240

TOOL = make_tar([
    ("dir", "usr/"),
    ("dir", "usr/local/"),
    ("dir", "usr/local/bin/"),
    ("file", "usr/local/bin/tool", prng("tool-amd64", 6000), 0o755),
    ("sym", "usr/local/bin/tool-link", "tool"),
])

TOOL_ARM = make_tar([
    ("dir", "usr/"),
    ("dir", "usr/local/"),
    ("dir", "usr/local/bin/"),
    ("file", "usr/local/bin/tool", prng("tool-arm64", 5000), 0o755),
    ("file", "usr/local/bin/README", text("tool-readme", 400)),
])


def estargz_like():
    """Multi-member gzip; decompressed stream has an entry after the EOF blocks."""
    m1 = raw_entries([("file", "README.md", text("readme", 700))])
    m2 = raw_entries([("dir", "data/"), ("file", "data/blob.bin", prng("blob", 5000))])
    toc = cjson({"version": 1, "entries": [
        {"name": "README.md", "type": "reg", "size": 700},
        {"name": "data/", "type": "dir"},
        {"name": "data/blob.bin", "type": "reg", "size": 5000}]})
    m3 = b"\0" * 1024 + raw_entries([("file", "stargz.index.json", toc)]) + b"\0" * 1024
    stream = m1 + m2 + m3
    comp = gz(m1) + gz(m2) + gz(m3)
    assert gzip.decompress(comp) == stream
    return stream, comp


# --------------------------------------------------------------------------
# image configs
# --------------------------------------------------------------------------

def hist(created_by, empty=False, **extra):
    h = {"created": CREATED}
    if created_by is not None:
        h["created_by"] = created_by
    if empty:
        h["empty_layer"] = True
    h.update(extra)
    return h


H_ADD_BASE = hist("/bin/sh -c #(nop) ADD file:0f1e2d3c4b5a in / ")
H_CMD_SH = hist('/bin/sh -c #(nop)  CMD ["sh"]', True)
H_ENV_PATH = hist("/bin/sh -c #(nop)  ENV PATH=/usr/local/bin:/usr/bin", True)
H_COPY_APP = hist("/bin/sh -c #(nop) COPY dir:9a8b7c6d5e in /app ")
H_RUN_SETUP = hist("/bin/sh -c ./setup.sh && rm /foo")
H_ENV_MODE = hist("/bin/sh -c #(nop)  ENV MODE=prod", True)
H_RUN_NOOP = hist("/bin/sh -c rm -rf /tmp/nothing")
H_CMD_APP = hist('/bin/sh -c #(nop)  CMD ["/app/server"]', True)
H_COPY_TOOL = hist("COPY tool /usr/local/bin/ # buildkit", comment="buildkit.dockerfile.v0")


def config(label, diff_ids, history, arch="amd64", variant=None, cmd=("sh",)):
    c = {
        "architecture": arch,
        "os": "linux",
        "created": CREATED,
        "config": {
            "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"],
            "Cmd": list(cmd),
            "Labels": {"org.layerlens.fixture": label},
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha256(d) for d in diff_ids]},
    }
    if variant:
        c["variant"] = variant
    if history is not None:
        c["history"] = history
    return cjson(c)


def v1id(*parts):
    return sha256("|".join(parts).encode())


def v1json(vid, parent, extra=None):
    j = {"id": vid, "created": CREATED, "os": "linux",
         "container_config": {"Cmd": None, "Env": None}}
    if parent:
        j["parent"] = parent
    if extra:
        j.update(extra)
    return cjson(j)


# --------------------------------------------------------------------------
# archive builders
# --------------------------------------------------------------------------

def legacy_archive(images, label_prefix):
    """images: list of dict(tags, layers=[(bytes, link_to_index|None)], config)
    Produces Docker 1.10-24 `docker save` members."""
    members = {}
    manifest = []
    repositories = {}
    real_paths = {}  # layer sha -> path of the real layer.tar
    for img in images:
        cfg = img["config"]
        cfg_hex = sha256(cfg)
        members[cfg_hex + ".json"] = cfg
        parent = ""
        paths = []
        for pos, layer in enumerate(img["layers"]):
            vid = v1id(label_prefix, cfg_hex, parent, sha256(layer), str(pos))
            members[vid + "/"] = None
            members[vid + "/VERSION"] = b"1.0"
            members[vid + "/json"] = v1json(vid, parent)
            lh = sha256(layer)
            if lh in real_paths and img.get("symlink_shared", True):
                members[vid + "/layer.tar"] = ("sym", "../" + real_paths[lh])
            else:
                members[vid + "/layer.tar"] = layer
                real_paths.setdefault(lh, vid + "/layer.tar")
            paths.append(vid + "/layer.tar")
            parent = vid
        manifest.append({"Config": cfg_hex + ".json", "RepoTags": img["tags"], "Layers": paths})
        for t in img["tags"] or []:
            repo, tag = t.rsplit(":", 1)
            repositories.setdefault(repo, {})[tag] = parent
    members["manifest.json"] = cjson(manifest)
    if repositories:
        members["repositories"] = cjson(repositories)
    return [(k, members[k]) for k in sorted(members)]


def legacy_images():
    base_cfg = config("legacy-base", [BASE], [H_ADD_BASE, H_CMD_SH])
    app_layers = [BASE, APP1, APP2, EMPTY10240]
    app_cfg = config("legacy-app", app_layers,
                     [H_ADD_BASE, H_CMD_SH, H_ENV_PATH, H_COPY_APP, H_RUN_SETUP,
                      H_ENV_MODE, H_RUN_NOOP, H_CMD_APP], cmd=("/app/server",))
    # history has one non-empty entry too many -> created_by null for all layers
    tool_cfg = config("legacy-tool", [BASE, APP1, TOOL],
                      [H_ADD_BASE, H_CMD_SH, H_COPY_APP, H_RUN_NOOP, H_COPY_TOOL],
                      arch="arm64", variant="v8")
    return [
        {"tags": ["acme/base:1"], "layers": [BASE], "config": base_cfg},
        {"tags": ["acme/app:1", "acme/app:latest"], "layers": app_layers, "config": app_cfg},
        {"tags": ["acme/tool:1"], "layers": [BASE, APP1, TOOL], "config": tool_cfg},
    ]


def forensics_images():
    """Images whose figures are worked out by hand in tests/suite/forensics.rs."""
    libz = text("libz", 4000)
    shared_blob = text("shared-blob", 600)
    base = make_tar([
        ("dir", "etc/"), ("file", "etc/conf", text("conf-v1", 3000)),
        ("dir", "opt/"), ("dir", "opt/data/"),
        ("file", "opt/data/a", text("data-a", 2000)), ("file", "opt/data/b", text("data-b", 1500)),
        ("dir", "srv/"), ("file", "srv/x", text("srv-x", 1000)), ("dir", "srv/sub/"),
        ("file", "srv/sub/y", text("srv-y", 200)),
        ("dir", "lib/"), ("file", "lib/libz", libz), ("file", "lib/libz.copy", libz),
        ("hard", "lib/libz.hard", "lib/libz"),
        ("dir", "usr/"), ("dir", "usr/doc/"), ("file", "usr/doc/readme", text("readme", 800)),
        ("file", "usr/doc/empty", b""),
    ])
    overwrite = make_tar([("dir", "etc/"), ("file", "etc/conf", text("conf-v2", 500))])
    whiteout = make_tar([("file", ".wh.srv", b""), ("dir", "lib/"),
                         ("file", "lib/.wh.libz.copy", b"")])
    opaque = make_tar([("dir", "opt/"), ("dir", "opt/data/"), ("file", "opt/data/.wh..wh..opq", b""),
                       ("file", "opt/data/c", text("data-c", 700))])
    dir_to_file = make_tar([("dir", "usr/"), ("file", "usr/doc", text("doc-file", 50))])
    app = make_tar([("dir", "app/"), ("file", "app/bin", text("app-bin", 1200)),
                    ("file", "app/blob", shared_blob)])
    app_b = make_tar([("dir", "srv-b/"), ("file", "srv-b/bin", text("b-bin", 900)),
                      ("file", "srv-b/blob", shared_blob)])
    other_base = make_tar([("dir", "bin/"), ("file", "bin/busybox", text("busybox", 2500))])
    H = lambda c: hist("/bin/sh -c " + c)
    waste_layers = [base, overwrite, whiteout, opaque, dir_to_file]
    waste_hist = [H("#(nop) ADD file:base in / "), H("echo v2 > /etc/conf"),
                  H("rm -rf /srv /lib/libz.copy"), H("rm -rf /opt/data && mkdir /opt/data && make c"),
                  H("rm -rf /usr/doc && echo doc > /usr/doc")]
    return [
        {"tags": ["acme/waste:1"], "layers": waste_layers,
         "config": config("forensics-waste", waste_layers, waste_hist)},
        {"tags": ["acme/svc-a:1"], "layers": [base, app],
         "config": config("forensics-svc-a", [base, app],
                          [waste_hist[0], H("#(nop) COPY dir:app in /app ")])},
        {"tags": ["acme/svc-b:1"], "layers": [base, app_b],
         "config": config("forensics-svc-b", [base, app_b],
                          [waste_hist[0], H("#(nop) COPY dir:b in /srv-b ")])},
        {"tags": ["other/rebased:1"], "layers": [other_base, app],
         "config": config("forensics-rebased", [other_base, app],
                          [H("#(nop) ADD file:busybox in / "), H("#(nop) COPY dir:app in /app ")])},
    ]


def dpkg_stanza(name, version, arch="amd64", status="install ok installed"):
    return ("Package: %s\nStatus: %s\nPriority: optional\nInstalled-Size: 99999\n"
            "Maintainer: Fixture <fixture@example.invalid>\nArchitecture: %s\nVersion: %s\n"
            "Description: fixture package %s\n a continuation line\n" % (
                name, status, arch, version, name)).encode()


def dpkg_list(paths):
    """A dpkg .list: '/.', every parent directory, then the paths."""
    dirs = set()
    for p in paths:
        parts = p.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/" + "/".join(parts[:i]))
    return ("/.\n" + "".join(d + "\n" for d in sorted(dirs))
            + "".join(p + "\n" for p in paths)).encode()


def apk_db(pkgs):
    """pkgs: [(name, version, [(dir, [files])])] -> lib/apk/db/installed."""
    out = ""
    for name, version, dirs in pkgs:
        out += "C:Q1%s=\nP:%s\nV:%s\nA:x86_64\nS:1\nI:99999\nT:%s\n" % (
            sha256(name.encode())[:27], name, version, name)
        for d, files in dirs:
            out += "F:%s\n" % d
            for f in files:
                out += "R:%s\na:0:0:755\nZ:Q1abc=\n" % f
        out += "\n"
    return out.encode()


def attribution_images():
    """Images whose attribution is worked out by hand in tests/suite/attribution.rs."""
    T = text
    libc6 = ["/lib/x86_64-linux-gnu/libc.so.6"]          # merged /usr: lib -> usr/lib
    libc6_dev = ["/usr/include/stdio.h", "/usr/lib/x86_64-linux-gnu/libc.a",
                 "/usr/lib/x86_64-linux-gnu/libc.so", "/usr/share/doc/libc6-dev/copyright"]
    gcc = ["/usr/bin/gcc-12", "/usr/lib/gcc/x86_64-linux-gnu/12/cc1"]
    coreutils = ["/bin/ls", "/usr/share/man/man1/ls.1.gz",
                 "/usr/share/locale/de/LC_MESSAGES/coreutils.mo"]
    pyapt = ["/usr/lib/python3/dist-packages/apt/__init__.py",
             "/usr/lib/python3/dist-packages/__pycache__/apt.cpython-311.pyc"]
    status0 = b"\n".join([dpkg_stanza("coreutils", "9.1-1"), dpkg_stanza("gcc-12", "12.2.0-14"),
                          dpkg_stanza("libc6", "2.36-9+deb12u4"),
                          dpkg_stanza("libc6-dev", "2.36-9+deb12u4"),
                          dpkg_stanza("oldpkg", "1.0", "all", "deinstall ok config-files"),
                          dpkg_stanza("python3-apt", "2.6.0", "amd64")])
    base0 = make_tar([
        ("dir", "etc/"), ("file", "etc/hostname", T("hostname", 10)),
        ("sym", "lib", "usr/lib"), ("sym", "bin", "usr/bin"),
        ("dir", "usr/"), ("dir", "usr/bin/"), ("dir", "usr/lib/"), ("dir", "usr/include/"),
        ("dir", "usr/lib/x86_64-linux-gnu/"),
        ("file", "usr/lib/x86_64-linux-gnu/libc.so.6", T("libc", 5000)),
        ("file", "usr/include/stdio.h", T("stdio", 700)),
        ("file", "usr/lib/x86_64-linux-gnu/libc.a", T("libc.a", 3000)),
        ("file", "usr/lib/x86_64-linux-gnu/libc.so", T("libc.so", 400)),
        ("dir", "usr/share/"), ("dir", "usr/share/doc/"), ("dir", "usr/share/doc/libc6-dev/"),
        ("file", "usr/share/doc/libc6-dev/copyright", T("copyright", 300)),
        ("file", "usr/bin/gcc-12", T("gcc", 2500)),
        ("dir", "usr/lib/gcc/"), ("dir", "usr/lib/gcc/x86_64-linux-gnu/"),
        ("dir", "usr/lib/gcc/x86_64-linux-gnu/12/"),
        ("file", "usr/lib/gcc/x86_64-linux-gnu/12/cc1", T("cc1", 6000)),
        ("file", "usr/bin/ls", T("ls", 1500)),
        ("dir", "usr/share/man/"), ("dir", "usr/share/man/man1/"),
        ("file", "usr/share/man/man1/ls.1.gz", T("ls.1", 200)),
        ("dir", "usr/share/locale/"), ("dir", "usr/share/locale/de/"),
        ("dir", "usr/share/locale/de/LC_MESSAGES/"),
        ("file", "usr/share/locale/de/LC_MESSAGES/coreutils.mo", T("mo", 350)),
        ("dir", "usr/lib/python3/"), ("dir", "usr/lib/python3/dist-packages/"),
        ("dir", "usr/lib/python3/dist-packages/apt/"),
        ("file", "usr/lib/python3/dist-packages/apt/__init__.py", T("apt-init", 800)),
        ("dir", "usr/lib/python3/dist-packages/__pycache__/"),
        ("file", "usr/lib/python3/dist-packages/__pycache__/apt.cpython-311.pyc", T("pyc", 250)),
        ("dir", "var/"), ("dir", "var/lib/"), ("dir", "var/lib/apt/"), ("dir", "var/lib/apt/lists/"),
        ("file", "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages",
         T("lists-v1", 4000)),
        ("dir", "var/log/"), ("file", "var/log/dpkg.log", T("log-v1", 150)),
        ("dir", "var/lib/dpkg/"), ("file", "var/lib/dpkg/status", status0),
        ("dir", "var/lib/dpkg/info/"),
        ("file", "var/lib/dpkg/info/coreutils.list", dpkg_list(coreutils)),
        ("file", "var/lib/dpkg/info/gcc-12.list", dpkg_list(gcc)),
        ("file", "var/lib/dpkg/info/libc6:amd64.list", dpkg_list(libc6)),
        ("file", "var/lib/dpkg/info/libc6-dev:amd64.list", dpkg_list(libc6_dev)),
        ("file", "var/lib/dpkg/info/python3-apt.list", dpkg_list(pyapt)),
        ("file", "var/lib/dpkg/info/libc6:amd64.md5sums", T("md5sums", 90)),
    ])
    status1 = status0 + b"\n" + dpkg_stanza("tzdata", "2024a-0+deb12u1", "all")
    base1 = make_tar([
        ("dir", "var/"), ("dir", "var/lib/"), ("dir", "var/lib/dpkg/"),
        ("file", "var/lib/dpkg/status", status1),
        ("dir", "var/lib/dpkg/info/"),
        ("file", "var/lib/dpkg/info/tzdata.list", dpkg_list(["/usr/share/zoneinfo/UTC"])),
        ("dir", "usr/"), ("dir", "usr/share/"), ("dir", "usr/share/zoneinfo/"),
        ("file", "usr/share/zoneinfo/UTC", T("utc", 120)),
        ("dir", "var/lib/apt/"), ("dir", "var/lib/apt/lists/"),
        ("file", "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages",
         T("lists-v2", 4100)),
        ("dir", "var/log/"), ("file", "var/log/dpkg.log", T("log-v2", 180)),
    ])
    site = "usr/local/lib/python3.11/site-packages/"
    record = ("requests/__init__.py,sha256=abc,900\nrequests/api.py,sha256=def,1100\n"
              "requests/__pycache__/api.cpython-311.pyc,,\n"
              "requests-2.31.0.dist-info/METADATA,sha256=ghi,300\n"
              "requests-2.31.0.dist-info/RECORD,,\n"
              "../../../bin/requests-cli,sha256=jkl,90\n").encode()
    app2 = make_tar([
        ("dir", "usr/"), ("dir", "usr/local/"), ("dir", "usr/local/bin/"),
        ("file", "usr/local/bin/requests-cli", T("cli", 90)),
        ("dir", "usr/local/lib/"), ("dir", "usr/local/lib/python3.11/"), ("dir", site),
        ("dir", site + "requests/"), ("file", site + "requests/__init__.py", T("req-init", 900)),
        ("file", site + "requests/api.py", T("req-api", 1100)),
        ("dir", site + "requests/__pycache__/"),
        ("file", site + "requests/__pycache__/api.cpython-311.pyc", T("req-pyc", 600)),
        ("dir", site + "requests-2.31.0.dist-info/"),
        ("file", site + "requests-2.31.0.dist-info/METADATA", T("req-meta", 300)),
        ("file", site + "requests-2.31.0.dist-info/RECORD", record),
        ("file", site + "orphan.py", T("orphan", 70)),
        ("dir", "root/"), ("dir", "root/.cache/"), ("dir", "root/.cache/pip/"),
        ("file", "root/.cache/pip/wheel-cache-entry", T("pip-cache", 2000)),
        ("dir", "app/"), ("file", "app/main.py", T("main", 1200)),
        ("dir", "app/build/"), ("file", "app/build/libfoo.a", T("libfoo", 800)),
        ("dir", "app/node_modules/"), ("dir", "app/node_modules/left-pad/"),
        ("file", "app/node_modules/left-pad/package.json",
         cjson({"name": "left-pad", "version": "1.3.0", "main": "index.js"})),
        ("file", "app/node_modules/left-pad/index.js", T("left-pad", 400)),
        ("dir", "app/node_modules/@scope/"), ("dir", "app/node_modules/@scope/util/"),
        ("file", "app/node_modules/@scope/util/package.json",
         cjson({"name": "@scope/util", "version": "0.1.0"})),
        ("dir", "app/node_modules/@scope/util/lib/"),
        ("file", "app/node_modules/@scope/util/lib/u.js", T("u.js", 500)),
        ("file", "app/node_modules/.package-lock.json", T("lock", 100)),
        ("dir", "usr/share/"), ("dir", "usr/share/doc/"), ("dir", "usr/share/doc/app/"),
        ("file", "usr/share/doc/app/README", T("readme-app", 250)),
    ])
    app3 = make_tar([("dir", "var/"), ("dir", "var/lib/"), ("dir", "var/lib/apt/"),
                     ("dir", "var/lib/apt/lists/"),
                     ("file", "var/lib/apt/lists/.wh.deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages", b"")])
    musl = ("musl", "1.1.24-r2", [("lib", ["ld-musl-x86_64.so.1"])])
    busybox = ("busybox", "1.31.1-r9", [("bin", ["busybox"]), ("etc", ["securetty"])])
    musl_dev = ("musl-dev", "1.1.24-r2", [("usr/include", ["stdio.h"]), ("usr/lib", ["libc.a"])])
    zlib = ("zlib", "1.2.11-r3", [("lib", ["libz.so.1.2.11"])])
    alp0 = make_tar([
        ("dir", "lib/"), ("file", "lib/ld-musl-x86_64.so.1", T("musl", 3300)),
        ("dir", "bin/"), ("file", "bin/busybox", T("busybox-a", 2800)),
        ("dir", "etc/"), ("file", "etc/securetty", T("securetty", 60)),
        ("file", "etc/alpine-release", T("release", 7)),
        ("dir", "usr/"), ("dir", "usr/include/"), ("file", "usr/include/stdio.h", T("musl-stdio", 650)),
        ("dir", "usr/lib/"), ("file", "usr/lib/libc.a", T("musl-libc.a", 1700)),
        ("dir", "usr/share/"), ("dir", "usr/share/man/"), ("dir", "usr/share/man/man1/"),
        ("file", "usr/share/man/man1/busybox.1", T("busybox.1", 90)),
        ("dir", "lib/apk/"), ("dir", "lib/apk/db/"),
        ("file", "lib/apk/db/installed", apk_db([musl, busybox, musl_dev])),
    ])
    alp1 = make_tar([
        ("dir", "lib/"), ("file", "lib/libz.so.1.2.11", T("zlib", 1000)),
        ("dir", "lib/apk/"), ("dir", "lib/apk/db/"),
        ("file", "lib/apk/db/installed", apk_db([musl, busybox, musl_dev, zlib])),
        ("dir", "srv/"), ("file", "srv/app.py", T("srv-app", 450)),
    ])
    H = lambda c: hist("/bin/sh -c " + c)
    base_hist = [H("#(nop) ADD file:debian in / "), H("apt-get update && apt-get install -y tzdata")]
    return [
        {"tags": ["acme/debian:1"], "layers": [base0, base1],
         "config": config("attribution-base", [base0, base1], base_hist)},
        {"tags": ["acme/pyapp:1"], "layers": [base0, base1, app2, app3],
         "config": config("attribution-pyapp", [base0, base1, app2, app3],
                          base_hist + [H("pip install requests && npm install && make"),
                                       H("rm -rf /var/lib/apt/lists/*")])},
        {"tags": ["acme/alpine-app:1"], "layers": [alp0, alp1],
         "config": config("attribution-alpine", [alp0, alp1],
                          [H("#(nop) ADD file:alpine in / "), H("apk add zlib && cp app.py /srv/")])},
    ]


def oci_blobs_members(blobs):
    """blobs: dict hex -> bytes -> sorted members incl. dir entries."""
    out = [("blobs/", None), ("blobs/sha256/", None)]
    for h in sorted(blobs):
        out.append(("blobs/sha256/" + h, blobs[h]))
    return out


def desc(mt, data, **extra):
    d = {"mediaType": mt, "digest": "sha256:" + sha256(data), "size": len(data)}
    d.update(extra)
    return d


def oci_manifest(cfg, layer_descs, cfg_mt=MT_OCI_CONFIG, **extra):
    m = {"schemaVersion": 2, "mediaType": MT_OCI_MANIFEST,
         "config": desc(cfg_mt, cfg), "layers": layer_descs}
    m.update(extra)
    return cjson(m)


def oci_index(manifest_descs):
    return cjson({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": manifest_descs})


OCI_LAYOUT = cjson({"imageLayoutVersion": "1.0.0"})


def oci_single(cfg, layers, ref_annotations):
    """layers: list of (stored_bytes, mediaType). Returns (blobs, index_bytes, manifest_bytes)."""
    blobs = {}
    ldescs = []
    for stored, mt in layers:
        blobs[sha256(stored)] = stored
        ldescs.append(desc(mt, stored))
    blobs[sha256(cfg)] = cfg
    man = oci_manifest(cfg, ldescs)
    blobs[sha256(man)] = man
    index = oci_index([desc(MT_OCI_MANIFEST, man, annotations=ref_annotations)])
    return blobs, index, man


def write_oci_dir(path, blobs, index):
    os.makedirs(os.path.join(path, "blobs", "sha256"))
    for h, data in blobs.items():
        with open(os.path.join(path, "blobs", "sha256", h), "wb") as f:
            f.write(data)
    with open(os.path.join(path, "index.json"), "wb") as f:
        f.write(index)
    with open(os.path.join(path, "oci-layout"), "wb") as f:
        f.write(OCI_LAYOUT)


def docker25(path, cfg, layers, repo_tags, index_annotations, extra_unreferenced_manifest=False):
    blobs = {}
    for l in layers:
        blobs[sha256(l)] = l
    blobs[sha256(cfg)] = cfg
    ldescs = [desc(MT_OCI_LAYER, l) for l in layers]
    man = oci_manifest(cfg, ldescs)
    blobs[sha256(man)] = man
    if index_annotations is None:
        index = cjson({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": None})
    else:
        index = oci_index([desc(MT_OCI_MANIFEST, man, annotations=index_annotations)])
    manifest_json = cjson([{
        "Config": "blobs/sha256/" + sha256(cfg),
        "RepoTags": repo_tags,
        "Layers": ["blobs/sha256/" + sha256(l) for l in layers],
        "LayerSources": {"sha256:" + sha256(l): desc(MT_OCI_LAYER, l) for l in layers},
    }])
    # metadata at the END, like real docker 25+ writers
    members = oci_blobs_members(blobs) + [
        ("index.json", index), ("manifest.json", manifest_json), ("oci-layout", OCI_LAYOUT)]
    return write_archive(path, members)


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    P = lambda n: os.path.join(OUT, n)

    # 1. legacy-two-images.tar (3 images: base, app (2 tags), tool; symlinked layer.tar)
    legacy = write_archive(P("legacy-two-images.tar"), legacy_archive(legacy_images(), "legacy"))

    # 9. whole-archive compressed variants
    with open(P("legacy-two-images.tar.gz"), "wb") as f:
        f.write(gz(legacy))
    with open(P("legacy-two-images.tar.zst"), "wb") as f:
        f.write(zst(legacy))

    # 2. legacy-gzip-layers.tar (kaniko style)
    kcfg = config("kaniko", [BASE, APP1], [H_ADD_BASE, H_CMD_SH, H_COPY_APP])
    members = {}
    lpaths = []
    for l in (BASE, APP1):
        g = gz(l)
        name = sha256(g) + ".tar.gz"
        members[name] = g
        lpaths.append(name)
    kname = "sha256:" + sha256(kcfg)
    members[kname] = kcfg
    members["manifest.json"] = cjson([{"Config": kname, "RepoTags": ["acme/kaniko:1"],
                                       "Layers": lpaths}])
    write_archive(P("legacy-gzip-layers.tar"), [(k, members[k]) for k in sorted(members)])

    # 3. docker25.tar (tagged)
    wcfg = config("docker25-web", [BASE, APP1, TOOL],
                  [H_ADD_BASE, H_CMD_SH, hist(None, comment="buildkit.dockerfile.v0"),
                   H_ENV_MODE, H_COPY_TOOL])
    docker25(P("docker25.tar"), wcfg, [BASE, APP1, TOOL], ["acme/web:2"],
             {"io.containerd.image.name": "docker.io/acme/web:2",
              "org.opencontainers.image.ref.name": "2"})

    # 4. docker25-untagged.tar
    ucfg = config("docker25-untagged", [BASE], [H_ADD_BASE, H_CMD_SH])
    docker25(P("docker25-untagged.tar"), ucfg, [BASE], None, None)

    # 5. oci-gzip.tar + oci-dir/ (APP1 stored raw but labelled tar+gzip)
    ocfg = config("oci-gzip", [BASE, APP1, APP2],
                  [H_ADD_BASE, H_COPY_APP, H_RUN_SETUP, H_CMD_APP])
    layers = [(gz(BASE), MT_OCI_LAYER_GZ), (APP1, MT_OCI_LAYER_GZ), (gz(APP2), MT_OCI_LAYER_GZ)]
    blobs, index, _ = oci_single(ocfg, layers, {"org.opencontainers.image.ref.name": "acme/oci:gzip"})
    write_archive(P("oci-gzip.tar"), [("oci-layout", OCI_LAYOUT), ("index.json", index)]
                  + oci_blobs_members(blobs))
    _, index_dir, _ = oci_single(ocfg, layers, {"org.opencontainers.image.ref.name": "v1"})
    write_oci_dir(P("oci-dir"), blobs, index_dir)

    # 6. oci-zstd.tar
    zcfg = config("oci-zstd", [BASE, APP1], [H_ADD_BASE, H_COPY_APP])
    blobs, index, _ = oci_single(zcfg, [(zst(BASE), MT_OCI_LAYER_ZST), (zst(APP1), MT_OCI_LAYER_ZST)],
                                 {"org.opencontainers.image.ref.name": "acme/zstd:1"})
    write_archive(P("oci-zstd.tar"), [("oci-layout", OCI_LAYOUT), ("index.json", index)]
                  + oci_blobs_members(blobs))

    # 7. oci-multiplatform/ (nested index, 2 platforms, attestation, artifact)
    blobs = {}

    def put(b):
        blobs[sha256(b)] = b
        return b
    shared = put(gz(BASE))
    own_amd = put(gz(TOOL))
    own_arm = put(gz(TOOL_ARM))
    cfg_amd = put(config("multi-amd64", [BASE, TOOL], [H_ADD_BASE, H_CMD_SH, H_COPY_TOOL]))
    cfg_arm = put(config("multi-arm64", [BASE, TOOL_ARM], [H_ADD_BASE, H_CMD_SH, H_COPY_TOOL],
                         arch="arm64", variant="v8"))
    man_amd = put(oci_manifest(cfg_amd, [desc(MT_OCI_LAYER_GZ, shared), desc(MT_OCI_LAYER_GZ, own_amd)]))
    man_arm = put(oci_manifest(cfg_arm, [desc(MT_OCI_LAYER_GZ, shared), desc(MT_OCI_LAYER_GZ, own_arm)]))
    intoto = put(cjson({"_type": "https://in-toto.io/Statement/v0.1",
                        "predicateType": "https://spdx.dev/Document", "predicate": {}}))
    att_cfg = put(cjson({"architecture": "unknown", "os": "unknown", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha256(intoto)]}}))
    man_att = put(oci_manifest(att_cfg, [desc("application/vnd.in-toto+json", intoto,
                  annotations={"in-toto.io/predicate-type": "https://spdx.dev/Document"})]))
    empty = put(b"{}")
    sbom = put(cjson({"spdxVersion": "SPDX-2.3", "name": "multi"}))
    man_art = put(oci_manifest(empty, [desc("application/vnd.example.sbom+json", sbom)],
                               cfg_mt=MT_OCI_EMPTY, artifactType="application/vnd.example.sbom+json",
                               subject=desc(MT_OCI_MANIFEST, man_amd)))
    nested = put(oci_index([
        desc(MT_OCI_MANIFEST, man_amd, platform={"architecture": "amd64", "os": "linux"}),
        desc(MT_OCI_MANIFEST, man_arm, platform={"architecture": "arm64", "os": "linux", "variant": "v8"}),
        desc(MT_OCI_MANIFEST, man_att, platform={"architecture": "unknown", "os": "unknown"},
             annotations={"vnd.docker.reference.digest": "sha256:" + sha256(man_amd),
                          "vnd.docker.reference.type": "attestation-manifest"}),
        desc(MT_OCI_MANIFEST, man_art, artifactType="application/vnd.example.sbom+json"),
    ]))
    top = oci_index([desc(MT_OCI_INDEX, nested, annotations={"org.opencontainers.image.ref.name": "multi:1"})])
    write_oci_dir(P("oci-multiplatform"), blobs, top)

    # 8. estargz-like.tar
    stream, comp = estargz_like()
    ecfg = config("estargz-like", [BASE, stream], [H_ADD_BASE, H_COPY_APP])
    blobs, index, _ = oci_single(ecfg, [(gz(BASE), MT_OCI_LAYER_GZ), (comp, MT_OCI_LAYER_GZ)],
                                 {"org.opencontainers.image.ref.name": "acme/estargz:1"})
    write_archive(P("estargz-like.tar"), [("oci-layout", OCI_LAYOUT), ("index.json", index)]
                  + oci_blobs_members(blobs))

    # 10. pre110.tar: 0-byte layer, 512-byte layer without EOF, small real layer
    l0 = b""
    l1 = raw_entries([("dir", "./")])
    assert len(l1) == 512
    l2 = make_tar([("dir", "tmp/"), ("file", "tmp/foo", text("tmp-foo", 1000)),
                   ("file", "tmp/.wh.gone", b""), ("sym", "tmp/bar", "foo")], fmt=tarfile.GNU_FORMAT)
    ids = [v1id("pre110", str(i)) for i in range(3)]
    members = {"repositories": cjson({"acme/old": {"1": ids[2]}})}
    parent = ""
    for vid, layer in zip(ids, (l0, l1, l2)):
        members[vid + "/"] = None
        members[vid + "/VERSION"] = b"1.0"
        members[vid + "/json"] = v1json(vid, parent, {"Size": len(layer) * 1000})
        members[vid + "/layer.tar"] = layer
        parent = vid
    write_archive(P("pre110.tar"), [(k, members[k]) for k in sorted(members)], fmt=tarfile.GNU_FORMAT)

    # 11. cimage.tar: containers/image docker-archive
    clayers = [BASE, APP1, EMPTY10240]
    ccfg = config("cimage", clayers, [H_ADD_BASE, H_CMD_SH, H_COPY_APP, H_RUN_NOOP])
    members = {}
    cfg_hex = sha256(ccfg)
    members[cfg_hex + ".json"] = ccfg
    parent = ""
    for pos, l in enumerate(clayers):
        h = sha256(l)
        members[h + ".tar"] = l
        vid = v1id("cimage", parent, h)
        members[vid + "/"] = None
        members[vid + "/VERSION"] = b"1.0"
        members[vid + "/json"] = v1json(vid, parent)
        members[vid + "/layer.tar"] = ("sym", "../" + h + ".tar")
        parent = vid
    members["manifest.json"] = cjson([{"Config": cfg_hex + ".json", "RepoTags": ["acme/cimage:1"],
                                       "Layers": [sha256(l) + ".tar" for l in clayers]}])
    members["repositories"] = cjson({"acme/cimage": {"1": parent}})
    write_archive(P("cimage.tar"), [(k, members[k]) for k in sorted(members)])

    # 12. corrupt-diffid.tar: APP1 altered after the config was written
    corrupt_cfg = config("corrupt", [BASE, APP1], [H_ADD_BASE, H_COPY_APP])
    marker = prng("app-server", 20000)[:64]
    off = APP1.index(marker) + 100
    bad = bytearray(APP1)
    bad[off] ^= 0xFF
    bad = bytes(bad)
    img = {"tags": ["acme/corrupt:1"], "layers": [BASE, bad], "config": corrupt_cfg}
    write_archive(P("corrupt-diffid.tar"), legacy_archive([img], "corrupt"))

    # 13. forensics.tar: every waste case, chain sharing, duplicates
    write_archive(P("forensics.tar"), legacy_archive(forensics_images(), "forensics"))

    # 14. attribution.tar: dpkg, apk, Python RECORD and npm package.json metadata
    write_archive(P("attribution.tar"), legacy_archive(attribution_images(), "attribution"))

    with open(P("README.md"), "w") as f:
        f.write(README)


README = """# layerlens fixtures (generated by ../generate.py, do not edit)

- `legacy-two-images.tar`: Docker 1.10-24 `docker save`; 3 images (acme/base:1; acme/app:1 + acme/app:latest; acme/tool:1 arm64/v8) sharing layers; repeated layers are `layer.tar` symlinks to `../<v1id>/layer.tar`; history has interleaved `empty_layer` entries (acme/tool's history count mismatches -> created_by null); base layer uses a GNU long name, app layer a pax long path, a `./`-prefixed layer with `./.wh.foo`, and a 10240-zero-byte layer.
- `legacy-two-images.tar.gz`: the same archive, whole-archive gzip.
- `legacy-two-images.tar.zst`: the same archive, whole-archive zstd.
- `legacy-gzip-layers.tar`: kaniko-style docker-archive: config member `sha256:<hex>`, gzip layers `<sha256-of-gz>.tar.gz`, no `repositories`.
- `docker25.tar`: Docker 25+ `docker save` (oci-layout, index.json with containerd/OCI ref annotations, blobs/sha256, manifest.json with LayerSources), metadata at the end; tagged acme/web:2; one history entry without created_by.
- `docker25-untagged.tar`: Docker 25+ shape saved by ID: `index.json` `"manifests": null`, `RepoTags: null`, unreferenced OCI manifest blob.
- `oci-gzip.tar`: OCI layout tarball (ref.name `acme/oci:gzip`), gzip layers, one layer stored as raw tar but labelled `tar+gzip`.
- `oci-dir/`: the same image as oci-gzip.tar as an OCI layout directory (ref.name `v1`, tag only).
- `oci-zstd.tar`: OCI layout tarball with `tar+zstd` layers.
- `oci-multiplatform/`: OCI layout directory: index -> nested index (`multi:1`) -> linux/amd64 + linux/arm64/v8 manifests sharing one layer, an attestation manifest (unknown/unknown, in-toto layer) and an artifact manifest (empty config, sbom layer); only the 2 platform images count.
- `estargz-like.tar`: OCI layout tarball; second layer is a 3-member gzip whose stream has a `stargz.index.json` entry after the tar end-of-archive blocks.
- `pre110.tar`: pre-1.10 `docker save` (repositories + v1 `parent` chain, no manifest.json): layers of 0 bytes, 512 bytes (one header, no EOF) and a small GNU tar.
- `cimage.tar`: containers/image docker-archive: `<diff_id-hex>.tar` layers at top level, `<v1id>/layer.tar` symlinks to them, `repositories`.
- `forensics.tar`: legacy archive of 4 images for the ledger, waste, duplicate and family figures: acme/waste:1 (overwrite, whiteout of a directory and of a file, opaque directory, directory replaced by a file, a hardlink, the same content at two paths), acme/svc-a:1 and acme/svc-b:1 on its base, other/rebased:1 with svc-a's app layer on another base.
- `attribution.tar`: legacy archive of 3 images for attribution: acme/debian:1 (merged-/usr symlinks, a dpkg status + `.list` files incl. a `-dev` package with headers and a static lib, gcc, docs, locales, apt lists, `__pycache__`, a deinstalled package; a second layer installs tzdata and rewrites the status), acme/pyapp:1 on it (a Python dist with a RECORD, npm packages incl. a scoped one, a pip cache, a static lib, docs, a whiteout of the apt lists), acme/alpine-app:1 (an apk `installed` db rewritten by its second layer, musl-dev).
- `corrupt-diffid.tar`: legacy archive whose second layer was altered after the config was written (diff_id mismatch; the oracle must fail).
"""


if __name__ == "__main__":
    main()

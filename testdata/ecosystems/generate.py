#!/usr/bin/env python3
"""Deterministic fixtures for the ecosystem readers and the findings (issue 14).

Run from anywhere:  python3 testdata/ecosystems/generate.py

Writes, next to this script, byte-identically on every run (standard library only; the
archive helpers are those of ../generate.py):

* findings.tar -- a legacy `docker save` archive of one image, acme/findings:1, whose
  exact findings are pinned in tests/suite/findings.rs:
    layer 0 (ADD base): bin/su 4755 (setuid), usr/bin/wall 2755 (setgid), tmp/ 1777
      (sticky: no finding), srv/drop/ 0777 (world-writable directory), etc/app.conf
      0666 (world-writable file), usr/bin/ping 6755 (setuid and setgid), a 0777 symlink
      (no finding: links are not files);
    layer 1 (COPY keys): root/.ssh/id_ed25519 (an OpenSSH private key block),
      app/.env (GITHUB_TOKEN=ghp_..., DB_PASSWORD=...), app/.env.example (placeholders:
      no finding), app/README.md mentioning a token-like word (no finding), a file in
      srv/drop/ (the directory entry repeated, still 0777: one finding, layer 1's);
    layer 2 (RUN rm): a whiteout of root/.ssh/id_ed25519 (the key is hidden, still
      shipped) and app/.env rewritten without the token (the old one is hidden);
    config: Env API_TOKEN=ghp_..., a label "com.example.db-password", a history ARG
      with a password (a build argument recorded in created_by).
* ecosystems.tar -- a legacy archive of two images, acme/polyglot:1 and :2, built on
  one base: a Go binary (a small ELF holding Go >= 1.18 build info, as `go build`
  writes it), a cargo-auditable Rust binary (a small ELF whose non-loaded tail holds
  `.dep-v0`), a jar with META-INF/maven/.../pom.properties, a jar without one, two
  gems (specifications/*.gemspec + gems/<name>-<version>/, one with a compiled
  extension and a cached .gem). :2 replaces the Go binary by v1.5.0 in a later layer.

The ELFs are synthetic (a real Go binary is over a megabyte); the detectors were
verified on real ones in crates/layerlens-sniff/tests (go version -m, objcopy).
When `go` is installed, this script checks that `go version -m` reads the synthetic
Go binary as the detector must.
"""

import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import generate as g  # noqa: E402  (testdata/generate.py: cjson, legacy_archive, ...)

MTIME = g.MTIME


# --------------------------------------------------------------------------
# tar with explicit modes
# --------------------------------------------------------------------------

def tar(entries):
    """entries: (kind, path, data_or_target, mode); kind in file, dir, sym, whiteout.
    Written in the order given."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for kind, path, data, mode in entries:
            ti = tarfile.TarInfo(path)
            ti.mtime = MTIME
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = ""
            ti.mode = mode
            payload = None
            if kind == "dir":
                ti.type = tarfile.DIRTYPE
            elif kind == "sym":
                ti.type = tarfile.SYMTYPE
                ti.linkname = data
            elif kind in ("file", "whiteout"):
                ti.type = tarfile.REGTYPE
                payload = data if kind == "file" else b""
                ti.size = len(payload)
            else:
                raise ValueError(kind)
            tf.addfile(ti, io.BytesIO(payload) if payload is not None else None)
    return buf.getvalue()


def image(tags, layers, history, env, labels):
    cfg = {
        "architecture": "amd64",
        "os": "linux",
        "created": g.CREATED,
        "config": {"Env": env, "Cmd": ["sh"], "Labels": labels},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + g.sha256(l) for l in layers]},
        "history": history,
    }
    return {"tags": tags, "layers": layers, "config": g.cjson(cfg)}


def write(name, images, prefix):
    g.write_archive(os.path.join(HERE, name), g.legacy_archive(images, prefix))


# --------------------------------------------------------------------------
# findings.tar
# --------------------------------------------------------------------------

# Obviously fake, but shaped like the real thing (the rules check shape, not validity).
GH_TOKEN = "ghp_" + "FAKEfake0123456789FAKEfake0123456789"
GH_TOKEN2 = "ghp_" + "0123456789abcdefFAKEFAKE0123456789ab"


def openssh_key():
    body = g.prng("openssh-key", 300)
    import base64
    b64 = base64.b64encode(b"openssh-key-v1\0" + body).decode()
    lines = [b64[i:i + 70] for i in range(0, len(b64), 70)]
    return ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines)
            + "\n-----END OPENSSH PRIVATE KEY-----\n").encode()


def findings():
    base = tar([
        ("dir", "bin", None, 0o755),
        ("file", "bin/su", g.prng("su", 900), 0o4755),
        ("file", "bin/sh", g.prng("sh", 700), 0o755),
        ("dir", "etc", None, 0o755),
        ("file", "etc/app.conf", b"listen = 0.0.0.0:8080\n", 0o666),
        ("file", "etc/hostname", b"findings\n", 0o644),
        ("dir", "srv", None, 0o755),
        ("dir", "srv/drop", None, 0o777),
        ("dir", "tmp", None, 0o1777),
        ("dir", "usr", None, 0o755),
        ("dir", "usr/bin", None, 0o755),
        ("file", "usr/bin/ping", g.prng("ping", 500), 0o6755),
        ("file", "usr/bin/wall", g.prng("wall", 400), 0o2755),
        ("sym", "usr/bin/sh", "../../bin/sh", 0o777),
    ])
    keys = tar([
        ("dir", "app", None, 0o755),
        ("file", "app/.env", ("# runtime settings\nMODE=prod\nGITHUB_TOKEN=" + GH_TOKEN
                              + "\nDB_PASSWORD=s3cr3t-Pa55word\n").encode(), 0o644),
        ("file", "app/.env.example", b"GITHUB_TOKEN=<your token>\nDB_PASSWORD=changeme\n", 0o644),
        ("file", "app/README.md", b"Set GITHUB_TOKEN in .env; never commit the token.\n", 0o644),
        ("dir", "root", None, 0o700),
        ("dir", "root/.ssh", None, 0o700),
        ("file", "root/.ssh/id_ed25519", openssh_key(), 0o600),
        ("dir", "srv", None, 0o755),
        ("dir", "srv/drop", None, 0o777),
        ("file", "srv/drop/inbox.txt", b"hello\n", 0o644),
    ])
    cleanup = tar([
        ("dir", "app", None, 0o755),
        ("file", "app/.env", b"# runtime settings\nMODE=prod\n", 0o644),
        ("dir", "root", None, 0o700),
        ("dir", "root/.ssh", None, 0o700),
        ("whiteout", "root/.ssh/.wh.id_ed25519", None, 0o644),
    ])
    history = [
        g.hist("/bin/sh -c #(nop) ADD file:f1d1 in / "),
        g.hist("/bin/sh -c #(nop)  ARG DEPLOY_PASSWORD", True),
        g.hist("COPY keys / # buildkit", comment="buildkit.dockerfile.v0"),
        g.hist("|1 DEPLOY_PASSWORD=hunter2-but-longer /bin/sh -c rm /root/.ssh/id_ed25519 "
               "&& sed -i /TOKEN/d /app/.env"),
        g.hist("/bin/sh -c #(nop)  ENV API_TOKEN=" + GH_TOKEN2, True),
    ]
    env = ["PATH=/usr/local/bin:/usr/bin:/bin", "API_TOKEN=" + GH_TOKEN2, "MODE=prod"]
    labels = {"com.example.db-password": "Tr0ub4dor-and-3", "org.layerlens.fixture": "findings"}
    write("findings.tar", [image(["acme/findings:1"], [base, keys, cleanup], history, env,
                                 labels)], "findings")


# --------------------------------------------------------------------------
# ecosystems.tar
# --------------------------------------------------------------------------

def elf64(segs, tail):
    """A little-endian ELF64 executable: header, program headers, each segment's bytes
    (16-aligned, vaddr = offset mod 4096 + base), then `tail` (not loaded), then an
    empty section header table. segs: (p_flags, vaddr_base, bytes)."""
    phoff, phentsize = 64, 56
    off = phoff + phentsize * len(segs)
    layout = []
    for _, _, b in segs:
        off = (off + 15) & ~15
        layout.append(off)
        off += len(b)
    shoff = off + len(tail)
    out = bytearray(shoff + 64)
    out[:4] = b"\x7fELF"
    out[4], out[5], out[6] = 2, 1, 1
    struct.pack_into("<HHIQQQIHHHHHH", out, 16, 2, 62, 1, 0, phoff, shoff, 0, 64,
                     phentsize, len(segs), 64, 0, 0)
    for i, (flags, base, b) in enumerate(segs):
        o = layout[i]
        vaddr = base + (o & 0xfff)
        struct.pack_into("<IIQQQQQQ", out, phoff + i * phentsize, 1, flags, o, vaddr, vaddr,
                         len(b), len(b), 0x1000)
        out[o:o + len(b)] = b
    out[off:off + len(tail)] = tail
    return bytes(out)


def uvarint(n):
    out = bytearray()
    while True:
        c = n & 0x7f
        n >>= 7
        if n == 0:
            out.append(c)
            return bytes(out)
        out.append(c | 0x80)


def go_binary(module, version):
    """An ELF whose data segment holds Go >= 1.18 build info (inline strings)."""
    modinfo = (f"path\t{module}/cmd/server\nmod\t{module}\t{version}\th1:aaaa=\n"
               "dep\tgithub.com/pkg/errors\tv0.9.1\th1:bbbb=\nbuild\t-compiler=gc\n"
               "build\tGOOS=linux\n")
    start = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6"
    end = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2"
    blob = bytearray(b"\xff Go buildinf:" + bytes([8, 2]))
    blob += b"\0" * (32 - len(blob))
    for s in (b"go1.22.3", start + modinfo.encode() + end):
        blob += uvarint(len(s)) + s
    while len(blob) % 16:
        blob.append(0)
    data = bytes(blob) + g.prng("go-data" + version, 3000)
    text = g.prng("go-text" + version, 6000)
    return elf64([(5, 0x400000, text), (6, 0x800000, data)], b"")


def cargo_binary():
    """An ELF whose non-loaded tail holds rustc's .comment, then cargo-auditable's
    .dep-v0 (zlib JSON), then a symbol table."""
    audit = {"packages": [
        {"name": "hello-rs", "version": "0.3.1", "source": "local", "dependencies": [1],
         "root": True},
        {"name": "itoa", "version": "1.0.11", "source": "crates.io"},
    ]}
    dep = zlib.compress(json.dumps(audit, separators=(",", ":")).encode(), 7)
    comment = b"rustc version 1.95.0 (59807616e 2026-04-14)\0Linker: LLD 22.1.2\0"
    tail = bytearray(comment + dep)
    while len(tail) % 8:
        tail.append(0)
    tail += b"\0" * 24 + g.prng("symtab", 2000)
    text = g.prng("rust-text", 5000)
    return elf64([(5, 0x10000, text), (6, 0x30000, g.prng("rust-data", 500))], bytes(tail))


def jar(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            zi = zipfile.ZipInfo(name, date_time=(2023, 11, 14, 22, 13, 20))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            z.writestr(zi, data)
    return buf.getvalue()


GEMSPEC = """# -*- encoding: utf-8 -*-
# stub: {name} {version} ruby lib
Gem::Specification.new do |s|
  s.name = "{name}".freeze
  s.version = "{version}".freeze
  s.require_paths = ["lib".freeze]
  s.summary = "{name} for the layerlens fixtures".freeze
end
"""


def ecosystems():
    base = tar([
        ("dir", "bin", None, 0o755),
        ("file", "bin/busybox", g.prng("busybox", 3000), 0o755),
        ("dir", "etc", None, 0o755),
        ("file", "etc/hostname", b"polyglot\n", 0o644),
    ])
    demo_jar = jar([
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nCreated-By: layerlens\r\n\r\n"),
        ("META-INF/maven/com.example/demo/pom.properties",
         b"#Generated by Maven\nartifactId=demo\ngroupId=com.example\nversion=1.2.3\n"),
        ("META-INF/maven/com.example/demo/pom.xml", b"<project/>\n"),
        ("com/example/demo/App.class", g.prng("App.class", 1500)),
    ])
    plain_jar = jar([
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\n\r\n"),
        ("x/Y.class", g.prng("Y.class", 700)),
    ])
    app = tar([
        ("dir", "app", None, 0o755),
        ("dir", "app/lib", None, 0o755),
        ("file", "app/lib/demo-1.2.3.jar", demo_jar, 0o644),
        ("file", "app/lib/plain.jar", plain_jar, 0o644),
        ("file", "app/server", go_binary("example.com/svc", "v1.4.0"), 0o755),
        ("file", "app/start.sh", b"#!/bin/sh\nexec /app/server\n", 0o755),
        ("dir", "usr", None, 0o755),
        ("dir", "usr/local", None, 0o755),
        ("dir", "usr/local/bin", None, 0o755),
        ("file", "usr/local/bin/hello-rs", cargo_binary(), 0o755),
    ])
    b = "usr/local/bundle"
    gems = tar([
        ("dir", "usr/local/bundle", None, 0o755),
        ("dir", f"{b}/cache", None, 0o755),
        ("file", f"{b}/cache/rack-3.0.8.gem", g.prng("rack.gem", 1100), 0o644),
        ("dir", f"{b}/extensions/x86_64-linux/3.2.0/json-2.7.1/json/ext", None, 0o755),
        ("file", f"{b}/extensions/x86_64-linux/3.2.0/json-2.7.1/json/ext/parser.so",
         g.prng("parser.so", 2200), 0o755),
        ("file", f"{b}/extensions/x86_64-linux/3.2.0/json-2.7.1/gem.build_complete", b"", 0o644),
        ("dir", f"{b}/gems/json-2.7.1/lib", None, 0o755),
        ("file", f"{b}/gems/json-2.7.1/lib/json.rb", g.text("json.rb", 1800), 0o644),
        ("dir", f"{b}/gems/rack-3.0.8/lib/rack", None, 0o755),
        ("file", f"{b}/gems/rack-3.0.8/lib/rack.rb", g.text("rack.rb", 2500), 0o644),
        ("file", f"{b}/gems/rack-3.0.8/lib/rack/version.rb", g.text("version.rb", 300), 0o644),
        ("dir", f"{b}/specifications", None, 0o755),
        ("file", f"{b}/specifications/json-2.7.1.gemspec",
         GEMSPEC.format(name="json", version="2.7.1").encode(), 0o644),
        ("file", f"{b}/specifications/rack-3.0.8.gemspec",
         GEMSPEC.format(name="rack", version="3.0.8").encode(), 0o644),
    ])
    upgrade = tar([
        ("dir", "app", None, 0o755),
        ("file", "app/server", go_binary("example.com/svc", "v1.5.0"), 0o755),
    ])
    h = [
        g.hist("/bin/sh -c #(nop) ADD file:b0b0 in / "),
        g.hist("COPY app / # buildkit", comment="buildkit.dockerfile.v0"),
        g.hist("/bin/sh -c gem install rack json"),
    ]
    env = ["PATH=/usr/local/bin:/usr/bin:/bin"]
    one = image(["acme/polyglot:1"], [base, app, gems], h, env, {})
    two = image(["acme/polyglot:2"], [base, app, gems, upgrade],
                h + [g.hist("COPY server /app/ # buildkit", comment="buildkit.dockerfile.v0")],
                env, {})
    write("ecosystems.tar", [one, two], "ecosystems")
    # The oracle for the Go binary, when the toolchain is here.
    if shutil.which("go"):
        path = os.path.join(HERE, ".go-oracle.bin")
        with open(path, "wb") as f:
            f.write(go_binary("example.com/svc", "v1.4.0"))
        os.chmod(path, 0o755)
        out = subprocess.run(["go", "version", "-m", path], capture_output=True, text=True)
        os.remove(path)
        assert "\tmod\texample.com/svc\tv1.4.0\t" in out.stdout, out.stdout + out.stderr
        print("go version -m reads the synthetic binary:", out.stdout.split("\n")[2].strip())


def main():
    findings()
    ecosystems()


if __name__ == "__main__":
    main()

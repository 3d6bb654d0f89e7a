#!/usr/bin/env python3
"""A `docker save` archive (Docker 1.10-24 layout, uncompressed) of this machine's own
files: real ELF binaries, a Go toolchain, jars, gems, /etc. The input the detectors'
share is measured on (`LAYERLENS_BENCH_ONLY=detect LAYERLENS_BENCH_ARCHIVES=OUT`), since
the generated fleet has no such files.

    python3 benches/system_archive.py OUT.tar [LAYER=DIR,DIR ...]

Default layers (about 1.3 GB on Debian 12 with go, ruby and a JDK installed):
/etc /usr/bin /usr/sbin | /usr/lib/go-1.19 /usr/include /usr/share/doc |
/usr/share/java /usr/lib/ruby /usr/share/rubygems-integration /usr/lib/python3
"""
import hashlib, io, json, os, sys, tarfile, tempfile

DEFAULT = [
    ["/etc", "/usr/bin", "/usr/sbin"],
    ["/usr/lib/go-1.19", "/usr/include", "/usr/share/doc"],
    ["/usr/share/java", "/usr/lib/ruby", "/usr/share/rubygems-integration", "/usr/lib/python3"],
]


def layer(dirs, path):
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tf:
        for d in dirs:
            if os.path.exists(d):
                tf.add(d, arcname=d.lstrip("/"), recursive=True)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def main():
    out = sys.argv[1]
    layers = [a.split(",") for a in sys.argv[2:]] or DEFAULT
    work = tempfile.mkdtemp(prefix="system-archive-", dir=os.path.dirname(os.path.abspath(out)))
    diff_ids, names = [], []
    for i, dirs in enumerate(layers):
        p = os.path.join(work, f"{i}.tar")
        diff_ids.append("sha256:" + layer(dirs, p))
        names.append(p)
    cfg = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "COPY " + " ".join(d) + " /"} for d in layers],
    }).encode()
    cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
    members = [f"{d[7:]}/layer.tar" for d in diff_ids]
    manifest = json.dumps([{"Config": cfg_name, "RepoTags": ["system:1"], "Layers": members}]).encode()
    with tarfile.open(out, "w") as tf:
        for name, path in zip(members, names):
            tf.add(path, arcname=name)
            os.remove(path)
        for name, data in [(cfg_name, cfg), ("manifest.json", manifest)]:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data))
    os.rmdir(work)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Lay out a `docker save` archive (docker-archive layout: manifest.json, configs,
uncompressed layer tars) as a Docker data root with the overlay2 driver, the way dockerd
stores a loaded image: image/overlay2/{repositories.json, imagedb, layerdb/<chain-id>/
{diff,size,cache-id,tar-split.json.gz}} and overlay2/<cache-id>/diff/ holding each
layer's regular files. For benchmarks of the store readers at sizes the daemon-made
fixtures do not reach (`layerlens generate --format docker` makes the archive).

    docker_root_from_save.py ARCHIVE.tar OUT-DIR

Only what layerlens reads is written: regular files with content (directories on the way
too); headers, links, whiteouts and modes live in the tar-split, as in a real store.
"""
import base64
import gzip
import hashlib
import json
import os
import sys
import tarfile


def chain_ids(diff_ids):
    out = []
    for d in diff_ids:
        out.append(d if not out else "sha256:" + hashlib.sha256(f"{out[-1]} {d}".encode()).hexdigest())
    return out


def lay_out_layer(outer, member, diff_dir, ts_path):
    """Write the layer's files and its tar-split; return (diff_id, size as docker counts)."""
    raw = outer.extractfile(member)
    data = raw.read()
    diff_id = "sha256:" + hashlib.sha256(data).hexdigest()
    import io
    inner = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
    pos, size = 0, 0
    with gzip.open(ts_path, "wt", compresslevel=1) as ts:
        def seg(b):
            if b:
                ts.write(json.dumps({"type": 2, "payload": base64.b64encode(b).decode(), "position": 0}) + "\n")
        for m in inner:
            if m.issym():
                size += len(m.linkname.encode())
            if not (m.isreg() and m.size > 0):
                continue
            seg(data[pos:m.offset_data])
            ts.write(json.dumps({"type": 1, "name": m.name, "size": m.size, "payload": None, "position": 1}) + "\n")
            path = os.path.join(diff_dir, m.name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data[m.offset_data:m.offset_data + m.size])
            size += m.size
            pos = m.offset_data + m.size
        seg(data[pos:])
    return diff_id, size


def main():
    archive, out = sys.argv[1], sys.argv[2]
    store = os.path.join(out, "image/overlay2")
    os.makedirs(os.path.join(store, "imagedb/content/sha256"), exist_ok=True)
    repos = {}
    done = set()
    with tarfile.open(archive) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        for entry in manifest:
            config = outer.extractfile(entry["Config"]).read()
            image_id = hashlib.sha256(config).hexdigest()
            with open(os.path.join(store, "imagedb/content/sha256", image_id), "wb") as f:
                f.write(config)
            diff_ids = json.loads(config)["rootfs"]["diff_ids"]
            for layer, diff_id, chain in zip(entry["Layers"], diff_ids, chain_ids(diff_ids)):
                if chain in done:
                    continue
                done.add(chain)
                cache_id = hashlib.sha256(chain.encode()).hexdigest()
                ldir = os.path.join(store, "layerdb/sha256", chain[7:])
                os.makedirs(ldir, exist_ok=True)
                diff_dir = os.path.join(out, "overlay2", cache_id, "diff")
                os.makedirs(diff_dir, exist_ok=True)
                got, size = lay_out_layer(outer, outer.getmember(layer), diff_dir,
                                          os.path.join(ldir, "tar-split.json.gz"))
                assert got == diff_id, (layer, got, diff_id)
                for name, text in (("diff", diff_id), ("size", str(size)), ("cache-id", cache_id)):
                    with open(os.path.join(ldir, name), "w") as f:
                        f.write(text)
            for tag in entry.get("RepoTags") or []:
                repos.setdefault(tag.rsplit(":", 1)[0], {})[tag] = "sha256:" + image_id
    with open(os.path.join(store, "repositories.json"), "w") as f:
        json.dump({"Repositories": repos}, f)


if __name__ == "__main__":
    main()

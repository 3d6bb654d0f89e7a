#!/usr/bin/env python3
"""Independent oracle for layerlens.

    python3 testdata/oracle.py INPUT...

INPUT: a tar file (plain, or whole-archive gzip/zstd compressed) or a directory
(OCI image layout, or an extracted docker-save tree). Prints one JSON document
(schema "layerlens/v1") computed with tarfile + hashlib + gzip + `zstd -dc` only.
Exits 1 with a message on stderr if a computed diff_id differs from the config's
rootfs.diff_ids (or on any other inconsistency it cannot explain).
"""

import gzip
import hashlib
import io
import json
import os
import posixpath
import subprocess
import sys
import tarfile

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

INDEX_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}
MANIFEST_TYPES = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
}
CONFIG_TYPES = {
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
}
LAYER_TYPE_PREFIXES = (
    "application/vnd.oci.image.layer.v1.tar",              # +gzip, +zstd
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.docker.image.rootfs.diff.tar",         # .gzip
    "application/vnd.docker.image.rootfs.foreign.diff.tar",  # .gzip
)


class OracleError(Exception):
    pass


def familiar(ref):
    """Docker's familiar form: drop docker.io/ (and library/ for official images)."""
    for prefix in ("docker.io/", "index.docker.io/"):
        if ref.startswith(prefix):
            ref = ref[len(prefix):]
            if ref.startswith("library/") and "/" not in ref[len("library/"):]:
                ref = ref[len("library/"):]
            break
    return ref


def die(msg):
    raise OracleError(msg)


# --------------------------------------------------------------------------
# decompression / layer statistics
# --------------------------------------------------------------------------

def decompress(data):
    """Sniff magic bytes; return the whole decompressed stream."""
    if data[:2] == GZIP_MAGIC:
        return gzip.decompress(data)  # decodes every member to the end
    if data[:4] == ZSTD_MAGIC:
        p = subprocess.run(["zstd", "-dc"], input=data, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        if p.returncode != 0:
            die("zstd -dc failed: " + p.stderr.decode(errors="replace"))
        return p.stdout
    return data


def basename(name):
    return posixpath.basename(name.rstrip("/"))


def layer_stats(raw):
    stream = decompress(raw)
    st = {"sha256": hashlib.sha256(stream).hexdigest(), "tar_size": len(stream),
          "content_size": 0, "symlink_size": 0, "files": 0, "whiteouts": 0,
          "opaque_whiteouts": 0, "entries": [], "meta": {}, "symlinks": {}}
    if len(stream) == 0:
        return st
    try:
        tf = tarfile.open(fileobj=io.BytesIO(stream), mode="r:")
    except tarfile.ReadError as e:
        if stream.count(0) == len(stream):
            return st  # all zeros: no entries
        die("layer is not a tar: %s" % e)
    with tf:
        for m in tf:  # plain iteration: stops at the first end-of-archive block
            b = basename(m.name)
            path = norm(m.name)
            parent = posixpath.dirname(path)
            if b == ".wh..wh..opq":
                st["opaque_whiteouts"] += 1
                st["entries"].append((parent, "opq", 0, None))
                continue
            if b.startswith(".wh."):
                st["whiteouts"] += 1
                st["entries"].append((posixpath.join(parent, b[4:]), "wh", 0, None))
                continue
            if m.isreg():
                st["content_size"] += m.size
                st["files"] += 1
                data = tf.extractfile(m).read()
                h = hashlib.sha256(data).hexdigest()
                st["entries"].append((path, "reg", m.size, h))
                if is_metadata(path):
                    st["meta"][path] = data  # a later entry of the path wins
            elif m.issym() or m.islnk():
                if m.issym():
                    st["symlinks"][path] = m.linkname
                    # overlay2 counts a symlink as the length of its target
                    st["symlink_size"] += len(m.linkname.encode("utf-8", "surrogateescape"))
                st["files"] += 1
                st["entries"].append((path, "link", 0, None))
            elif m.isdir():
                st["entries"].append((path, "dir", 0, None))
            else:
                st["entries"].append((path, "other", 0, None))
    return st


# --------------------------------------------------------------------------
# input file systems (tar archive or directory)
# --------------------------------------------------------------------------

def norm(p):
    p = posixpath.normpath("/" + p.replace("\\", "/")).lstrip("/")
    return p


class TarFS:
    def __init__(self, data, label):
        self.label = label
        self.members = {}
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tf:
            for m in tf:
                key = norm(m.name)
                if m.isreg():
                    self.members[key] = ("file", tf.extractfile(m).read())
                elif m.issym():
                    self.members[key] = ("sym", m.linkname)
                elif m.islnk():
                    self.members[key] = ("hard", m.linkname)
                elif m.isdir():
                    self.members[key] = ("dir", None)

    def exists(self, path):
        try:
            self.read(path)
            return True
        except OracleError:
            return False

    def read(self, path):
        key = norm(path)
        for _ in range(64):
            ent = self.members.get(key)
            if ent is None:
                die("%s: no member %r" % (self.label, path))
            kind, val = ent
            if kind == "file":
                return val
            if kind == "sym":
                if val.startswith("/"):
                    key = norm(val)
                else:
                    key = norm(posixpath.join(posixpath.dirname(key), val))
            elif kind == "hard":
                key = norm(val)
            else:
                die("%s: %r is a directory" % (self.label, path))
        die("%s: symlink loop at %r" % (self.label, path))

    def names(self):
        return sorted(self.members)


class DirFS:
    def __init__(self, root):
        self.root = root
        self.label = os.path.basename(os.path.normpath(root))

    def _p(self, path):
        return os.path.join(self.root, *norm(path).split("/"))

    def exists(self, path):
        return os.path.isfile(self._p(path))

    def read(self, path):
        p = self._p(path)
        if not os.path.isfile(p):
            die("%s: no file %r" % (self.label, path))
        with open(p, "rb") as f:
            return f.read()

    def names(self):
        out = []
        for d, dirs, files in os.walk(self.root):
            rel = os.path.relpath(d, self.root)
            for f in files + dirs:
                out.append(norm(posixpath.join(rel.replace(os.sep, "/"), f)))
        return sorted(out)


def open_input(path):
    if os.path.isdir(path):
        return DirFS(path)
    with open(path, "rb") as f:
        data = f.read()
    data = decompress(data)  # whole-archive gzip / zstd
    return TarFS(data, os.path.basename(path))


# --------------------------------------------------------------------------
# analysis
# --------------------------------------------------------------------------

class Analysis:
    def __init__(self):
        self.images = {}      # id -> dict
        self.layer_cache = {}  # diff_id -> stats
        self.notes = []
        self.v1_layers = []

    def layer(self, raw, expected_diff_id, where):
        st = layer_stats(raw)
        got = "sha256:" + st["sha256"]
        if got != expected_diff_id:
            die("%s: diff_id mismatch: computed %s, config says %s" % (where, got, expected_diff_id))
        prev = self.layer_cache.get(got)
        if prev is not None and prev != st:
            die("%s: same diff_id, different stats?!" % where)
        self.layer_cache[got] = st
        return st

    def add_image(self, cfg_bytes, refs, layer_raws, where):
        """layer_raws: list of stored layer bytes, in config order."""
        refs = [familiar(r) for r in refs]
        cfg = json.loads(cfg_bytes)
        img_id = "sha256:" + hashlib.sha256(cfg_bytes).hexdigest()
        diff_ids = (cfg.get("rootfs") or {}).get("diff_ids") or []
        if len(diff_ids) != len(layer_raws):
            die("%s: %d layers but config has %d diff_ids" % (where, len(layer_raws), len(diff_ids)))
        hist = [h for h in (cfg.get("history") or []) if not h.get("empty_layer")]
        if len(hist) == len(diff_ids):
            created = [h.get("created_by") for h in hist]
        else:
            created = [None] * len(diff_ids)
        layers = []
        entries = []
        metas = []
        symlinks = []
        for i, (raw, did) in enumerate(zip(layer_raws, diff_ids)):
            st = self.layer(raw, did, "%s layer %d" % (where, i))
            entries.append(st["entries"])
            metas.append(st["meta"])
            symlinks.append(st["symlinks"])
            layers.append({
                "diff_id": did, "tar_size": st["tar_size"], "content_size": st["content_size"],
                "symlink_size": st["symlink_size"], "files": st["files"], "whiteouts": st["whiteouts"],
                "opaque_whiteouts": st["opaque_whiteouts"], "created_by": created[i]})
        img = self.images.get(img_id)
        if img is None:
            self.images[img_id] = {"refs": set(refs), "id": img_id,
                                   "os": cfg.get("os"), "architecture": cfg.get("architecture"),
                                   "layers": layers, "entries": entries, "metas": metas,
                                   "symlinks": symlinks}
        else:
            if [l["diff_id"] for l in img["layers"]] != [l["diff_id"] for l in layers]:
                die("%s: image %s seen with different layers" % (where, img_id))
            img["refs"].update(refs)

    # ---- docker save (manifest.json) ----
    def legacy(self, fs):
        man = json.loads(fs.read("manifest.json"))
        for n, ent in enumerate(man):
            where = "%s manifest.json[%d]" % (fs.label, n)
            cfg = fs.read(ent["Config"])
            raws = [fs.read(p) for p in ent.get("Layers") or []]
            self.add_image(cfg, ent.get("RepoTags") or [], raws, where)

    # ---- OCI layout ----
    def blob(self, fs, d):
        dg = d["digest"]
        alg, hexd = dg.split(":", 1)
        data = fs.read("blobs/%s/%s" % (alg, hexd))
        if alg == "sha256" and hashlib.sha256(data).hexdigest() != hexd:
            die("%s: blob %s digest mismatch" % (fs.label, dg))
        if "size" in d and d["size"] != len(data):
            die("%s: blob %s size %d != descriptor %d" % (fs.label, dg, len(data), d["size"]))
        return data

    @staticmethod
    def refs_of(d):
        a = d.get("annotations") or {}
        r = a.get("io.containerd.image.name") or a.get("org.opencontainers.image.ref.name")
        return [r] if r else []

    def walk(self, fs, index, refs, path):
        for d in index.get("manifests") or []:
            own = self.refs_of(d)
            r = own if own else refs
            mt = d.get("mediaType")
            if d["digest"] in path:
                continue  # cycle guard
            data = self.blob(fs, d)
            if mt is None:
                mt = json.loads(data).get("mediaType")
            if mt in INDEX_TYPES:
                self.walk(fs, json.loads(data), r, path | {d["digest"]})
            elif mt in MANIFEST_TYPES:
                self.manifest(fs, d, json.loads(data), r)

    def manifest(self, fs, d, m, refs):
        ann = d.get("annotations") or {}
        plat = d.get("platform") or {}
        if "vnd.docker.reference.type" in ann:
            return  # attestation / builder manifests
        if plat.get("os") == "unknown" and plat.get("architecture") == "unknown":
            return
        if (m.get("config") or {}).get("mediaType") not in CONFIG_TYPES:
            return
        all_layers = m.get("layers") or []
        tar_layers = [l for l in all_layers
                      if (l.get("mediaType") or "").startswith(LAYER_TYPE_PREFIXES)]
        if all_layers and not tar_layers:
            return  # artifact that borrows the image-config media type (regclient a-docker)
        cfg = self.blob(fs, m["config"])
        if "rootfs" not in json.loads(cfg):
            return  # not a real image config (e.g. "{}")
        raws = [self.blob(fs, l) for l in tar_layers]
        self.add_image(cfg, refs, raws, "%s manifest %s" % (fs.label, d["digest"]))

    def oci(self, fs):
        self.walk(fs, json.loads(fs.read("index.json")), [], frozenset())

    # ---- pre-1.10 ----
    def pre110(self, fs):
        self.notes.append("%s: pre-1.10 docker save archive (no manifest.json or index.json): "
                          "no image configs or diff_ids exist; images not reported"
                          % fs.label)
        ids = sorted({n.split("/")[0] for n in fs.names()
                      if n.count("/") == 1 and n.endswith("/layer.tar")})
        parent = {}
        for i in ids:
            j = json.loads(fs.read(i + "/json")) if fs.exists(i + "/json") else {}
            parent[i] = j.get("parent") or ""

        def depth(i, seen=()):
            p = parent.get(i)
            if not p or p in seen or p not in parent:
                return 0
            return 1 + depth(p, seen + (i,))
        for i in sorted(ids, key=lambda x: (depth(x), x)):
            st = layer_stats(fs.read(i + "/layer.tar"))
            self.v1_layers.append({"id": i, "sha256": "sha256:" + st["sha256"],
                                   "tar_size": st["tar_size"],
                                   "content_size": st["content_size"], "files": st["files"]})

    def add_input(self, path):
        fs = open_input(path)
        has_manifest = fs.exists("manifest.json")
        has_index = fs.exists("index.json")
        if has_manifest:
            self.legacy(fs)
        if has_index:
            self.oci(fs)
        if not has_manifest and not has_index:
            if fs.exists("repositories"):
                self.pre110(fs)
            else:
                die("%s: not a docker save archive or OCI layout" % fs.label)

    def result(self):
        imgs = sorted(self.images.values(), key=lambda x: x["id"])
        users = {}
        for img in imgs:
            for l in img["layers"]:
                users.setdefault(l["diff_id"], set()).add(img["id"])
        out_imgs = []
        naive = 0
        positions = 0
        for img in imgs:
            size = sum(l["content_size"] for l in img["layers"])
            shared = sum(l["content_size"] for l in img["layers"]
                         if len(users[l["diff_id"]] - {img["id"]}) > 0)
            naive += size
            positions += len(img["layers"])
            out_imgs.append({
                "refs": sorted(img["refs"]), "id": img["id"], "os": img["os"],
                "architecture": img["architecture"], "size": size, "shared_size": shared,
                "unique_size": size - shared,
                "docker_size": size + sum(l["symlink_size"] for l in img["layers"]),
                "layers": img["layers"]})
        dedup = sum(self.layer_cache[d]["content_size"] for d in users)
        totals = {"images": len(imgs), "layers": positions, "unique_layers": len(users),
                  "naive_size": naive, "dedup_size": dedup}
        squash = forensics(imgs, out_imgs, totals)
        doc = {"schema": "layerlens/v1", "images": out_imgs, "totals": totals,
               "squash_waste_savings": squash}
        if self.notes:
            doc["notes"] = self.notes
        if self.v1_layers:
            doc["v1_layers"] = self.v1_layers
        return doc


# --------------------------------------------------------------------------
# forensics: chain ids, overlay replay, content dedup, duplicates
# --------------------------------------------------------------------------

def chain_ids(diff_ids):
    out = []
    for d in diff_ids:
        out.append(d if not out else
                   "sha256:" + hashlib.sha256((out[-1] + " " + d).encode()).hexdigest())
    return out


def replay(layers, hidden=None):
    """Overlay replay. layers: per layer, a list of (path, kind, size, sha256).
    Returns (final {path: (kind, size, sha, layer index)}, overwritten, deleted).
    `hidden`, when given, receives {(layer index, path): size} of every regular file
    a later layer hid."""
    fs = {}
    wasted = {"over": 0, "del": 0}

    def drop(p, why):
        kind, size, _, li = fs.pop(p)
        if kind == "reg":
            wasted[why] += size
            if hidden is not None:
                hidden[(li, p)] = size

    def below(d):
        return [p for p in fs if p != "" and (d == "" or p.startswith(d + "/"))]

    for li, ents in enumerate(layers):
        # whiteouts and opaque markers hide lower layers only: apply them first
        for path, kind, _, _ in ents:
            if kind == "wh":
                for p in below(path) + ([path] if path in fs else []):
                    drop(p, "del")
            elif kind == "opq":
                for p in below(path):
                    drop(p, "del")
        for path, kind, size, sha in ents:
            if kind in ("wh", "opq"):
                continue
            if path in fs:
                if fs[path][0] == "dir" and kind != "dir":
                    for p in below(path):
                        drop(p, "del")
                drop(path, "over")
            fs[path] = (kind, size, sha, li)
    return fs, wasted["over"], wasted["del"]


def forensics(imgs, out_imgs, totals):
    chains = {img["id"]: chain_ids([l["diff_id"] for l in img["layers"]]) for img in imgs}
    base_depth = family_base_depths(chains)
    chain_users = {}
    chain_size = {}
    for img in imgs:
        for c, l in zip(chains[img["id"]], img["layers"]):
            chain_users.setdefault(c, set()).add(img["id"])
            chain_size[c] = l["content_size"]
    totals["chain_dedup_size"] = sum(chain_size.values())
    contents = {}
    # squash-waste: (diff_id, path) of every regular file some image hides, and of
    # every one some image shows; the saving is what is hidden and shown nowhere.
    hidden_all, shown_all = {}, set()
    for img, out in zip(imgs, out_imgs):
        ids = chains[img["id"]]
        shared = sum(l["content_size"] for c, l in zip(ids, img["layers"])
                     if len(chain_users[c]) > 1)
        hidden = {}
        fs, over, dele = replay(img["entries"], hidden)
        diff_ids = [l["diff_id"] for l in img["layers"]]
        for (li, p), size in hidden.items():
            hidden_all[(diff_ids[li], p)] = size
        for p, (kind, _, _, li) in fs.items():
            if kind == "reg":
                shown_all.add((diff_ids[li], p))
        final = sum(v[1] for v in fs.values() if v[0] == "reg")
        copies = {}
        for kind, size, sha, _ in fs.values():
            if kind == "reg":
                contents[(sha, size)] = size
                if size > 0:
                    copies[(sha, size)] = copies.get((sha, size), 0) + 1
        for l, c in zip(out["layers"], ids):
            l["chain_id"] = c
        out.update({
            "chain_shared_size": shared, "chain_unique_size": out["size"] - shared,
            "overwritten_size": over, "deleted_size": dele, "wasted_size": over + dele,
            "final_size": final,
            "duplicate_size": sum(k[1] * (n - 1) for k, n in copies.items() if n > 1)})
        if out["size"] != final + over + dele:
            die("%s: size %d != final %d + wasted %d" % (img["id"], out["size"], final,
                                                        over + dele))
        attribute(img, out, fs, over + dele, base_depth[img["id"]])
    totals["content_dedup_size"] = sum(contents.values())
    return sum(size for k, size in hidden_all.items() if k not in shown_all)


# --------------------------------------------------------------------------
# attribution (docs/attribution.md): origin, kinds, packages
# --------------------------------------------------------------------------

import csv
import re

META_RES = [re.compile(r) for r in (
    r"^var/lib/dpkg/status$", r"^var/lib/dpkg/status\.d/[^/]+$", r"^var/lib/dpkg/info/[^/]+\.list$",
    r"^lib/apk/db/installed$", r"(^|/)[^/]+\.dist-info/RECORD$",
    r"(^|/)[^/]+\.egg-info/installed-files\.txt$",
    r"(^|/)node_modules/[^/.@][^/]*/package\.json$", r"(^|/)node_modules/@[^/]+/[^/]+/package\.json$")]


def is_metadata(path):
    return any(r.search(path) for r in META_RES)


def family_base_depths(chains):
    """Images sharing a bottom layer form a family; its base is the ChainID prefix they
    all share. An image alone has no base layers."""
    fams = {}
    for i, c in chains.items():
        if c:
            fams.setdefault(c[0], []).append(i)
    out = {i: 0 for i in chains}
    for members in fams.values():
        if len(members) < 2:
            continue
        n = min(len(chains[m]) for m in members)
        d = 0
        while d < n and len({chains[m][d] for m in members}) == 1:
            d += 1
        for m in members:
            out[m] = d
    return out


def rfc822(text):
    out = []
    for block in re.split(r"\n\s*\n", text):
        fields = {}
        for line in block.split("\n"):
            if not line or line[0] in " \t" or ":" not in line:
                continue
            k, v = line.split(":", 1)
            fields.setdefault(k, v.strip())
        if fields:
            out.append(fields)
    return out


def lexical(path):
    parts = []
    for c in path.split("/"):
        if c in ("", "."):
            continue
        if c == "..":
            if parts:
                parts.pop()
        else:
            parts.append(c)
    return "/".join(parts)


def follow_dirs(fs, syms, path):
    """Resolve symlinked directories along path (its last component left alone)."""
    todo = [c for c in path.split("/") if c]
    done = []
    for _ in range(10000):
        if not todo:
            break
        c = todo.pop(0)
        if c == ".":
            continue
        if c == "..":
            if done:
                done.pop()
            continue
        done.append(c)
        if not todo:
            break
        p = "/".join(done)
        ent = fs.get(p)
        if ent is not None and ent[0] == "link" and p in syms[ent[3]]:
            target = syms[ent[3]][p]
            done.pop()
            if target.startswith("/"):
                done = []
            todo = [x for x in target.split("/") if x] + todo
    return "/".join(done)


MANAGER_ORDER = {"dpkg": 0, "apk": 1, "python": 2, "npm": 3}
TOOL_NAMES = {"gcc", "g++", "cpp", "binutils", "clang", "make", "build-essential", "build-base",
              "libtool", "autoconf", "automake", "pkg-config", "pkgconf", "cmake"}


def toolchain_pkg(name):
    if name.endswith("-dev") or name in TOOL_NAMES:
        return True
    return (re.match(r"^(gcc|g\+\+|cpp|binutils|clang|llvm)-", name) is not None
            and not name.endswith("-base"))


def kind_of(path, owner_mgr, owner_name, in_base):
    slashed = "/" + path
    if (re.match(r"^(var/lib/apt/lists|var/cache/(apt|apk|yum|dnf)|tmp|var/tmp|var/log)/", path)
            or path.endswith(".pyc")
            or re.search(r"/(\.cache|\.npm|__pycache__|\.yarn/cache|pkg/mod/cache|\.pnpm-store)/",
                         slashed)):
        return "caches"
    if re.match(r"^usr/(local/)?share/(doc|man|info|locale|gtk-doc|help)/", path):
        return "docs"
    os_owned = owner_mgr in ("dpkg", "apk")
    if (re.match(r"^(usr/include|usr/local/include|usr/lib/gcc|usr/libexec/gcc|usr/local/go)/", path)
            or (path.endswith(".a") and posixpath.basename(path) != ".a")
            or (os_owned and toolchain_pkg(owner_name))):
        return "toolchains"
    if os_owned or re.match(r"^(var/lib/dpkg|lib/apk/db|var/lib/rpm|usr/lib/sysimage/rpm)/", path):
        return "os_packages"
    if (owner_mgr is not None or path.endswith(".jar")
            or re.search(r"/(site-packages|dist-packages|node_modules|gems|go/pkg/mod)/", slashed)):
        return "language_deps"
    return "unowned" if in_base else "app"


def attribute(img, out, fs, wasted, base_n):
    metas, syms = img["metas"], img["symlinks"]

    def final(path):
        ent = fs.get(path)
        if ent is None or ent[0] != "reg" or path not in metas[ent[3]]:
            return None
        return metas[ent[3]][path].decode("utf-8", "replace"), ent[3]

    pkgs = []  # dicts: manager, name, version, files, root, layer
    # dpkg
    status = []
    status_paths = sorted(p for p in fs if p == "var/lib/dpkg/status"
                          or re.match(r"^var/lib/dpkg/status\.d/[^/]+$", p))
    for p in status_paths:
        got = final(p)
        if got:
            status += rfc822(got[0])
    lists = {}
    for p in sorted(fs):
        m = re.match(r"^var/lib/dpkg/info/([^/:]+)(:[^/]+)?\.list$", p)
        if m:
            got = final(p)
            if got:
                lists[m.group(1)] = ([lexical(l) for l in got[0].split("\n") if lexical(l)], got[1])

    def installed(f):
        st = f.get("Status")
        return st is None or (len(st.split()) > 2 and st.split()[2] == "installed")

    seen = set()
    for f in status:
        if "Package" not in f or not installed(f) or f["Package"] in seen:
            continue
        seen.add(f["Package"])
        name, ver = f["Package"], f.get("Version", "")
        if name in lists:
            files, layer = lists[name]
        else:
            files, layer = [], 0
            for li, meta in enumerate(metas):
                hit = False
                for mp, b in meta.items():
                    if mp == "var/lib/dpkg/status" or mp.startswith("var/lib/dpkg/status.d/"):
                        hit = hit or any(g.get("Package") == name and g.get("Version", "") == ver
                                         and installed(g) for g in rfc822(b.decode("utf-8", "replace")))
                if hit:
                    layer = li
                    break
        pkgs.append({"manager": "dpkg", "name": name, "version": ver, "files": files,
                     "root": None, "layer": layer})
    if not status_paths or not any(final(p) for p in status_paths):
        for name in sorted(lists):
            pkgs.append({"manager": "dpkg", "name": name, "version": "", "files": lists[name][0],
                         "root": None, "layer": lists[name][1]})

    # apk
    def apk_parse(text):
        res = []
        for f in re.split(r"\n\s*\n", text):
            name, ver, cur, files = None, "", "", []
            for line in f.split("\n"):
                if len(line) < 2 or line[1] != ":":
                    continue
                k, v = line[0], line[2:].strip()
                if k == "P":
                    name = v
                elif k == "V":
                    ver = v
                elif k == "F":
                    cur = v
                elif k == "R":
                    files.append(lexical(cur + "/" + v))
            if name is not None:
                res.append((name, ver, files))
        return res

    got = final("lib/apk/db/installed")
    if got:
        for name, ver, files in apk_parse(got[0]):
            layer = 0
            for li, meta in enumerate(metas):
                b = meta.get("lib/apk/db/installed")
                if b is not None and any(n == name and v == ver
                                         for n, v, _ in apk_parse(b.decode("utf-8", "replace"))):
                    layer = li
                    break
            pkgs.append({"manager": "apk", "name": name, "version": ver, "files": files,
                         "root": None, "layer": layer})

    # python, npm
    for p in sorted(fs):
        if not is_metadata(p):
            continue
        got = final(p)
        if not got:
            continue
        text_, layer = got
        d = posixpath.dirname(p)
        if p.endswith("/RECORD") or p.endswith(".egg-info/installed-files.txt"):
            stem = re.sub(r"\.(dist|egg)-info$", "", posixpath.basename(d))
            bits = stem.split("-")
            name, ver = bits[0], (bits[1] if len(bits) > 1 else "")
            rel_to = posixpath.dirname(d) if p.endswith("/RECORD") else d
            files = []
            if p.endswith("/RECORD"):
                for row in csv.reader(io.StringIO(text_)):
                    if row and row[0]:
                        files.append(lexical(row[0] if row[0].startswith("/")
                                             else rel_to + "/" + row[0]))
            else:
                for line in text_.split("\n"):
                    line = line.strip()
                    if line:
                        files.append(lexical(rel_to + "/" + line))
            pkgs.append({"manager": "python", "name": name, "version": ver, "files": files,
                         "root": None, "layer": layer})
        elif p.endswith("/package.json"):
            try:
                j = json.loads(text_)
            except ValueError:
                continue
            if not isinstance(j, dict):
                continue
            name = j.get("name") if isinstance(j.get("name"), str) else d.split("node_modules/")[-1]
            ver = j.get("version") if isinstance(j.get("version"), str) else ""
            pkgs.append({"manager": "npm", "name": name, "version": ver, "files": [],
                         "root": d, "layer": layer})

    pkgs.sort(key=lambda q: (MANAGER_ORDER[q["manager"]], q["name"], q["version"], q["root"] or ""))
    owner = {}
    for i, q in enumerate(pkgs):
        for f in q["files"]:
            r = follow_dirs(fs, syms, f)
            if r in fs and fs[r][0] == "reg" and r not in owner:
                owner[r] = i
    roots = {}
    for i, q in enumerate(pkgs):
        if q["root"] is not None and q["root"] not in roots:
            roots[q["root"]] = i

    by_kind = {k: 0 for k in ("wasted", "caches", "docs", "toolchains", "os_packages",
                              "language_deps", "app", "unowned")}
    by_kind["wasted"] = wasted
    sizes = [[0, 0] for _ in pkgs]
    for path, ent in fs.items():
        if ent[0] != "reg":
            continue
        i = owner.get(path)
        if i is None:
            m = re.match(r"^(.*(?:^|/)node_modules/(?:@[^/]+/)?[^/]+)/", path)
            # the deepest node_modules package directory above the file
            comps = path.split("/")
            idx = [k for k, c in enumerate(comps) if c == "node_modules"]
            if idx:
                k = idx[-1]
                if k + 1 < len(comps):
                    take = k + 3 if comps[k + 1].startswith("@") else k + 2
                    if len(comps) > take:
                        i = roots.get("/".join(comps[:take]))
        mgr = pkgs[i]["manager"] if i is not None else None
        nm = pkgs[i]["name"] if i is not None else None
        by_kind[kind_of(path, mgr, nm, ent[3] < base_n)] += ent[1]
        if i is not None:
            sizes[i][0] += ent[1]
            sizes[i][1] += 1
    order = sorted(range(len(pkgs)), key=lambda i: (-sizes[i][0], i))
    base = sum(l["content_size"] for l in out["layers"][:base_n])
    out["base_layers"] = base_n
    out["by_origin"] = {"base": base, "own": out["size"] - base}
    out["by_kind"] = by_kind
    out["packages"] = [{"manager": pkgs[i]["manager"], "name": pkgs[i]["name"],
                        "version": pkgs[i]["version"], "size": sizes[i][0],
                        "files": sizes[i][1], "layer": pkgs[i]["layer"]} for i in order]
    if sum(by_kind.values()) != out["size"]:
        die("%s: by_kind sums to %d, size %d" % (img["id"], sum(by_kind.values()), out["size"]))


def main(argv):
    if not argv:
        print("usage: oracle.py INPUT...", file=sys.stderr)
        return 2
    a = Analysis()
    try:
        for p in argv:
            a.add_input(p)
    except (OracleError, OSError, tarfile.TarError, ValueError, KeyError) as e:
        print("oracle: error: %s" % e, file=sys.stderr)
        return 1
    json.dump(a.result(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

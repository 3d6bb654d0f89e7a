#!/usr/bin/env python3
"""Measure what one shard's `analyze --partial` and one `merge` cost, and project a
100k-image run from it.

    python3 examples/ray/cost_model.py --layerlens target/release/layerlens --dir /tmp/llcost \
        [--shards 16MiB:10,16MiB:100,16MiB:1000,64MiB:10,64MiB:100] [--repeat 3] \
        [--merge-scale 1000,3000,10000] [--assume registry:60MB:3000] [--md OUT.md]

The set resembles a registry export: one archive per image (what `docker save IMAGE` or
`skopeo copy docker://... oci-archive:...` gives), images grouped in "fleets" that share
base and dependency layers (12 services on a fat base, 4 tools on a small base, 2
orphans: `layerlens generate`'s fleet). For each fleet scale in --shards the script
generates ceil(largest shard / 18) fleets with `layerlens generate --scale S --seed N
--format docker25`, then splits each fleet archive into one Docker 25 archive per image
(blobs, index.json, manifest.json, oci-layout; shared layers repeated in every archive,
as `docker save` does). A shard of N images is the first N archives. Two fleet scales
vary the entries per image at a fixed image count, so that per-image and per-entry
costs can be told apart.

(a) `layerlens analyze -q -j 1 --partial P.json INPUT...` over each shard: cold (no
    cache), and with a warm `--cache` (every layer a hit).
(b) Each shard's inputs as 10 contiguous partials, then `layerlens merge --partial
    OUT.json P...` (an inner node of the merge tree) and `layerlens merge --format json
    P...` (the root); and the shard's own partial given 10 times (what a merge holds per
    input entry, duplicates included).
(c) Root and inner merges far beyond a shard (--merge-scale images, whole 1MiB fleet
    archives as 10 partials), to check that the per-image costs stay linear.

Every figure is the median of --repeat runs under `/usr/bin/time -v` (peak RSS = its
"Maximum resident set size"; CPU = user + sys; wall = elapsed around it). Distinct bytes
and entries come from one `layerlens analyze --format json` of the same inputs (sum over
distinct diff_ids of tar_size, and of files + directories + whiteouts + opaque
whiteouts). Fits are least squares y = c0 + c1 × images + c2 × x. The projection
applies them to --project-images images (see projection_md for the formula).

Standard library only. Writes results.json and results.md into --dir and prints the
markdown (also to --md).
"""

import argparse
import collections
import io
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import time

IMAGES_PER_FLEET = 18


def say(msg):
    print("cost_model: " + msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------
# The set: fleets split into one archive per image.
# ---------------------------------------------------------------------------------


def split_fleet(src, out_dir, first_index):
    """Split an OCI-layout / Docker 25 archive into one archive per image; return the
    paths, in index.json order (tags of one image stay together)."""
    paths = []
    with tarfile.open(src) as tf:
        members = {m.name: m for m in tf.getmembers()}

        def read(name):
            return tf.extractfile(members[name]).read()

        def blob(digest):
            return "blobs/sha256/" + digest.split(":", 1)[1]

        index = json.loads(read("index.json"))
        docker_manifest = json.loads(read("manifest.json")) if "manifest.json" in members else None
        groups = collections.OrderedDict()
        for desc in index["manifests"]:
            groups.setdefault(desc["digest"], []).append(desc)
        for k, (digest, descs) in enumerate(groups.items()):
            man = json.loads(read(blob(digest)))
            names = [blob(layer["digest"]) for layer in man["layers"]]
            names += [blob(man["config"]["digest"]), blob(digest)]
            names = list(dict.fromkeys(names))
            path = os.path.join(out_dir, "img-%06d.tar" % (first_index + k))
            with tarfile.open(path + ".tmp", "w", format=tarfile.USTAR_FORMAT) as out:
                for d in ("blobs/", "blobs/sha256/"):
                    m = members.get(d) or members.get(d.rstrip("/"))
                    out.addfile(m)
                for name in names:
                    out.addfile(members[name], tf.extractfile(members[name]))

                def add_json(name, obj):
                    data = json.dumps(obj, separators=(",", ":")).encode()
                    info = tarfile.TarInfo(name)
                    info.size, info.mode, info.mtime = len(data), 0o644, members["index.json"].mtime
                    out.addfile(info, io.BytesIO(data))

                add_json("index.json", dict(index, manifests=descs))
                if docker_manifest is not None:
                    cfg = blob(man["config"]["digest"])
                    add_json("manifest.json", [e for e in docker_manifest if e["Config"] == cfg])
                out.addfile(members["oci-layout"], tf.extractfile(members["oci-layout"]))
            os.replace(path + ".tmp", path)
            paths.append(path)
    return paths


def make_set(binary, base, scale, fmt, count):
    fleets = math.ceil(count / IMAGES_PER_FLEET)
    d = os.path.join(base, "set-%s-%s" % (scale, fmt))
    os.makedirs(os.path.join(d, "fleets"), exist_ok=True)
    os.makedirs(os.path.join(d, "images"), exist_ok=True)
    listing = os.path.join(d, "images.txt")
    if os.path.exists(listing):
        with open(listing) as f:
            paths = f.read().split()
        if len(paths) >= count:
            return paths[:count]
    t0 = time.time()
    paths = []
    for seed in range(1, fleets + 1):
        fleet = os.path.join(d, "fleets", "fleet-%04d.tar" % seed)
        subprocess.run(
            [binary, "generate", "--scale", scale, "--seed", str(seed), "--format", fmt, fleet],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        paths += split_fleet(fleet, os.path.join(d, "images"), len(paths) + 1)
        os.unlink(fleet)
    with open(listing, "w") as f:
        f.write("\n".join(paths) + "\n")
    say("generated %d fleets -> %d image archives (%s, %s) in %.0f s" % (fleets, len(paths), scale, fmt, time.time() - t0))
    return paths[:count]


def set_stats(binary, inputs):
    r = subprocess.run([binary, "analyze", "-q", "--format", "json"] + inputs, check=True, capture_output=True)
    doc = json.loads(r.stdout)
    layers = {}
    for img in doc["images"]:
        for layer in img["layers"]:
            layers.setdefault(layer["diff_id"], layer)
    entries = sum(
        layer.get("files", 0) + layer.get("directories", 0) + layer.get("whiteouts", 0) + layer.get("opaque_whiteouts", 0)
        for layer in layers.values()
    )
    return {
        "images": len(doc["images"]),
        "inputs": len(inputs),
        "archive_bytes": sum(os.path.getsize(p) for p in inputs),
        "distinct_layers": len(layers),
        "distinct_tar_bytes": doc["totals"]["dedup_tar_size"],
        "distinct_stored_bytes": doc["totals"]["dedup_stored_size"],
        "distinct_entries": entries,
        "report_bytes": len(r.stdout),
    }


# ---------------------------------------------------------------------------------
# Measurement.
# ---------------------------------------------------------------------------------


def timed(cmd, stdout_path=None):
    with open(stdout_path or os.devnull, "wb") as out:
        t0 = time.perf_counter()
        r = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=out, stderr=subprocess.PIPE)
        wall = time.perf_counter() - t0
    err = r.stderr.decode("utf-8", "replace")
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd[:3]), r.returncode, err[-2000:]))

    def field(name):
        m = re.search(r"^\s*%s: (.*)$" % re.escape(name), err, re.M)
        return m.group(1) if m else None

    return {
        "wall_s": wall,
        "user_s": float(field("User time (seconds)")),
        "sys_s": float(field("System time (seconds)")),
        "rss_kib": int(field("Maximum resident set size (kbytes)")),
    }


def median_of(n, fn):
    runs = [fn() for _ in range(n)]
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}, runs


def split_contiguous(items, n):
    n = max(1, min(n, len(items)))
    base, extra = divmod(len(items), n)
    out, start = [], 0
    for i in range(n):
        end = start + base + (1 if i < extra else 0)
        out.append(items[start:end])
        start = end
    return out


def cpu_s(m):
    return m["user_s"] + m["sys_s"]


def fit2(rows, x1, x2, y):
    """Least squares y = c0 + c1 x1 + c2 x2 over the rows (x1, x2, y: functions of a row);
    with x2 None, y = c0 + c1 x1."""
    cols = [lambda r: 1.0, x1] + ([x2] if x2 else [])
    k = len(cols)
    a = [[sum(cols[i](r) * cols[j](r) for r in rows) for j in range(k)] for i in range(k)]
    b = [sum(cols[i](r) * y(r) for r in rows) for i in range(k)]
    # Gaussian elimination with partial pivoting.
    for i in range(k):
        p = max(range(i, k), key=lambda q: abs(a[q][i]))
        a[i], a[p], b[i], b[p] = a[p], a[i], b[p], b[i]
        if a[i][i] == 0:
            raise ValueError("degenerate fit: vary both images and entries (see --shards)")
        for q in range(i + 1, k):
            f = a[q][i] / a[i][i]
            for j in range(i, k):
                a[q][j] -= f * a[i][j]
            b[q] -= f * b[i]
    c = [0.0] * k
    for i in reversed(range(k)):
        c[i] = (b[i] - sum(a[i][j] * c[j] for j in range(i + 1, k))) / a[i][i]
    return c + [0.0] * (3 - k)


def measure(binary, base, scale, fmt, inputs_all, n, repeat):
    inputs = inputs_all[:n]
    work = os.path.join(base, "work-%s-%s-%d" % (scale, fmt, n))
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    st = set_stats(binary, inputs)
    part = os.path.join(work, "shard.json")
    analyze = [binary, "analyze", "-q", "-j", "1"]
    cold, _ = median_of(repeat, lambda: timed(analyze + ["--partial", part] + inputs))
    st["partial_bytes"] = os.path.getsize(part)
    cache = os.path.join(work, "cache")
    subprocess.run(analyze + ["--cache", cache, "--partial", part] + inputs, check=True)
    warm, _ = median_of(repeat, lambda: timed(analyze + ["--cache", cache, "--partial", part] + inputs))
    parts = []
    for i, chunk in enumerate(split_contiguous(inputs, 10)):
        p = os.path.join(work, "part-%02d.json" % i)
        subprocess.run(analyze + ["--cache", cache, "--partial", p] + chunk, check=True)
        parts.append(p)
    st["parts_bytes"] = sum(os.path.getsize(p) for p in parts)
    inner, _ = median_of(repeat, lambda: timed([binary, "merge", "--partial", os.path.join(work, "merged.json")] + parts))
    root, _ = median_of(repeat, lambda: timed([binary, "merge", "--format", "json"] + parts, os.path.join(work, "report.json")))
    # The shard's own partial ten times over: 9 of every 10 input entries are duplicates;
    # merge parses all its partials before uniting them, so this shows what it holds per
    # *input* entry.
    dup, _ = median_of(repeat, lambda: timed([binary, "merge", "--partial", os.path.join(work, "dup.json")] + [part] * 10))
    row = {"scale": scale, "format": fmt, "size": n, "stats": st, "cold": cold, "warm": warm}
    row.update(merge_inner=inner, merge_root=root, merge_dup10=dup, parts=len(parts))
    say(
        "%s %s %5d images: %.0f MB distinct, %d entries; analyze cold %.2f s (CPU %.2f) %.0f MiB, warm %.2f s; "
        "merge inner %.2f s %.0f MiB, root %.2f s %.0f MiB, 10x dup %.0f MiB"
        % (scale, fmt, st["images"], st["distinct_tar_bytes"] / 1e6, st["distinct_entries"], cold["wall_s"], cpu_s(cold),
           cold["rss_kib"] / 1024, warm["wall_s"], inner["wall_s"], inner["rss_kib"] / 1024, root["wall_s"],
           root["rss_kib"] / 1024, dup["rss_kib"] / 1024)
    )
    shutil.rmtree(cache, ignore_errors=True)
    return row


def measure_merge_scale(binary, base, sizes, scale, fmt, repeat):
    """(c) Merges far beyond the shard sizes: whole fleet archives (18 images each, small
    scale so that per-image costs dominate), as 10 partials per size; root and inner merge."""
    fleets_dir = os.path.join(base, "merge-scale-%s-%s" % (scale, fmt))
    os.makedirs(fleets_dir, exist_ok=True)
    need = math.ceil(max(sizes) / IMAGES_PER_FLEET)
    fleets = []
    t0 = time.time()
    for k in range(need):
        path = os.path.join(fleets_dir, "fleet-%05d.tar" % k)
        if not os.path.exists(path):
            subprocess.run(
                [binary, "generate", "--scale", scale, "--seed", str(100000 + k), "--format", fmt, path + ".tmp"],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            os.replace(path + ".tmp", path)
        fleets.append(path)
    say("(c) %d fleet archives ready in %.0f s" % (need, time.time() - t0))
    rows = []
    for n in sizes:
        inputs = fleets[: math.ceil(n / IMAGES_PER_FLEET)]
        work = os.path.join(fleets_dir, "work-%d" % n)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        parts = []
        for i, chunk in enumerate(split_contiguous(inputs, 10)):
            p = os.path.join(work, "part-%02d.json" % i)
            subprocess.run([binary, "analyze", "-q", "--cache", os.path.join(fleets_dir, "cache"), "--partial", p] + chunk, check=True)
            parts.append(p)
        seen, entries, images = set(), 0, 0
        for p in parts:
            with open(p) as fh:
                doc = json.load(fh)
            images += len(doc["images"])
            for key, layer in doc["layers"].items():
                if key not in seen:
                    seen.add(key)
                    entries += len(layer.get("files", []))
            del doc
        inner, _ = median_of(repeat, lambda: timed([binary, "merge", "--partial", os.path.join(work, "merged.json")] + parts))
        root, _ = median_of(repeat, lambda: timed([binary, "merge", "--format", "json"] + parts, os.path.join(work, "report.json")))
        row = {"images": images, "inputs": len(inputs), "distinct_layers": len(seen), "distinct_entries": entries,
               "parts_bytes": sum(os.path.getsize(p) for p in parts), "report_bytes": os.path.getsize(os.path.join(work, "report.json")),
               "merge_inner": inner, "merge_root": root}
        say("(c) %6d images, %d entries: inner %.2f s CPU %.0f MiB; root %.2f s CPU %.0f MiB"
            % (images, entries, cpu_s(inner), inner["rss_kib"] / 1024, cpu_s(root), root["rss_kib"] / 1024))
        rows.append(row)
        shutil.rmtree(work, ignore_errors=True)
    return rows


def fits_of(rows):
    img = lambda r: r["stats"]["images"]  # noqa: E731
    ent = lambda r: r["stats"]["distinct_entries"]  # noqa: E731
    byt = lambda r: r["stats"]["distinct_tar_bytes"]  # noqa: E731
    return {
        # CPU seconds (robust on a shared box) and wall: c0 + c1 images + c2 distinct bytes.
        "analyze_cpu": fit2(rows, img, byt, lambda r: cpu_s(r["cold"])),
        "analyze_wall": fit2(rows, img, byt, lambda r: r["cold"]["wall_s"]),
        # Peak RSS in bytes: c0 + c1 images + c2 distinct entries.
        "analyze_rss": fit2(rows, img, ent, lambda r: r["cold"]["rss_kib"] * 1024),
        "warm_cpu": fit2(rows, img, None, lambda r: cpu_s(r["warm"])),
        "warm_rss": fit2(rows, img, ent, lambda r: r["warm"]["rss_kib"] * 1024),
        "inner_cpu": fit2(rows, img, ent, lambda r: cpu_s(r["merge_inner"])),
        "inner_rss": fit2(rows, img, ent, lambda r: r["merge_inner"]["rss_kib"] * 1024),
        "root_cpu": fit2(rows, img, ent, lambda r: cpu_s(r["merge_root"])),
        "root_rss": fit2(rows, img, ent, lambda r: r["merge_root"]["rss_kib"] * 1024),
        "dup_rss": fit2(rows, lambda r: 10 * img(r), lambda r: 10 * ent(r), lambda r: r["merge_dup10"]["rss_kib"] * 1024),
        "partial_bytes": fit2(rows, img, ent, lambda r: r["stats"]["partial_bytes"]),
    }


def root_power(result):
    """From (c): root merge CPU ~ images^p between its two largest sizes; None without (c)."""
    rows = sorted(result.get("merge_scale") or [], key=lambda r: r["images"])
    if len(rows) < 2:
        return None
    a, b = rows[-2], rows[-1]
    p = math.log(cpu_s(b["merge_root"]) / cpu_s(a["merge_root"])) / math.log(b["images"] / a["images"])
    return {"p": p, "images": b["images"], "entries": b["distinct_entries"], "cpu": cpu_s(b["merge_root"])}


def project(f, images, per_image_bytes, per_image_entries, shard_images, fan_in, workers, power=None):
    """Projected wall time of a run (seconds) and memory, from the fits. Assumes no layer
    is shared across shards (the cache makes shared layers cheaper than this) and one core
    per task, as measured."""
    shards = math.ceil(images / shard_images)
    s_img = min(shard_images, images)
    s_bytes, s_ent = s_img * per_image_bytes, s_img * per_image_entries
    t_shard = f["analyze_cpu"][0] + f["analyze_cpu"][1] * s_img + f["analyze_cpu"][2] * s_bytes
    rss_shard = f["analyze_rss"][0] + f["analyze_rss"][1] * s_img + f["analyze_rss"][2] * s_ent
    analyse = math.ceil(shards / workers) * t_shard
    # Merge tree: each level merges groups of fan_in; the root takes <= fan_in partials.
    levels, count, merge_wall, imgs = [], shards, 0.0, s_img
    while True:
        group = min(fan_in, count)
        imgs = min(images, imgs * group)
        root = count <= fan_in
        key = "root" if root else "inner"
        t = f[key + "_cpu"][0] + f[key + "_cpu"][1] * imgs + f[key + "_cpu"][2] * imgs * per_image_entries
        if root and power and power["p"] > 1.1:
            # The root grows faster than linearly in images (measured in (c)): extrapolate
            # the image-dependent part as images^p, keep the per-entry part linear.
            per_entry = f["root_cpu"][2]
            t = max(t, (power["cpu"] - per_entry * power["entries"]) * (imgs / power["images"]) ** power["p"] + per_entry * imgs * per_image_entries)
        rss = f[key + "_rss"][0] + f[key + "_rss"][1] * imgs + f[key + "_rss"][2] * imgs * per_image_entries
        groups = math.ceil(count / fan_in)
        merge_wall += math.ceil(groups / workers) * t
        levels.append((groups, t, rss))
        if root:
            break
        count = groups
    return {
        "shards": shards,
        "t_shard": t_shard,
        "rss_shard": rss_shard,
        "analyse_wall": analyse,
        "cpu_total": shards * t_shard + sum(g * t for g, t, _ in levels),
        "levels": levels,
        "merge_wall": merge_wall,
        "wall": analyse + merge_wall,
        "root_rss": levels[-1][2],
        "partials_bytes": shards * (f["partial_bytes"][0] + f["partial_bytes"][1] * s_img + f["partial_bytes"][2] * s_ent),
    }


# ---------------------------------------------------------------------------------
# Report.
# ---------------------------------------------------------------------------------


def mib(nbytes):
    return "%.1f" % (nbytes / 2**20)


def human_s(s):
    if s < 120:
        return "%.0f s" % s
    if s < 7200:
        return "%.0f min" % (s / 60)
    return "%.1f h" % (s / 3600)


def markdown(result, argv):
    rows = result["rows"]
    f = result["fits"]
    L = []
    L.append("### Distributed runs: cost per shard and per merge (`examples/ray/cost_model.py`)")
    L.append("")
    L.append(
        "Measured on %s (%s; load average %s before, %s after: a shared box), %s; medians of %d; "
        "`analyze -j 1` (merge has no thread option and may use every core), GNU time's peak RSS and the wall time around it. Set: "
        "`layerlens generate --format %s` fleets of 18 images, split into one archive per image "
        "(as `docker save IMAGE` writes them); a shard is the first N images. Command:"
        % (result["cpu"], result["host"], result["load_before"], result["load_after"], result["version"], result["repeat"], result["format"])
    )
    L.append("")
    L.append("```")
    L.append("python3 examples/ray/cost_model.py " + " ".join(argv))
    L.append("```")
    L.append("")
    L.append("**(a) `layerlens analyze -q -j 1 --partial P.json IMG...` per shard (measured)**")
    L.append("")
    L.append("| fleet scale | images | archives MB | distinct layers | distinct tar MB | distinct entries | cold wall s | cold CPU s | cold peak RSS MiB | warm cache wall s | warm CPU s | warm RSS MiB | partial MB |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        s, c, w = r["stats"], r["cold"], r["warm"]
        L.append(
            "| %s | %d | %.0f | %d | %.1f | %d | %.2f | %.2f | %s | %.2f | %.2f | %s | %.1f |"
            % (r["scale"], s["images"], s["archive_bytes"] / 1e6, s["distinct_layers"], s["distinct_tar_bytes"] / 1e6,
               s["distinct_entries"], c["wall_s"], cpu_s(c), mib(c["rss_kib"] * 1024), w["wall_s"], cpu_s(w),
               mib(w["rss_kib"] * 1024), s["partial_bytes"] / 1e6)
        )
    L.append("")
    L.append("**(b) `layerlens merge` of the shard's inputs as 10 partials (measured)**")
    L.append("")
    L.append("| fleet scale | images | distinct entries | 10 partials MB | inner `merge --partial` wall s | CPU s | RSS MiB | root `merge --format json` wall s | CPU s | RSS MiB | report MB | 10 × the shard's partial: RSS MiB |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        s, i, o, d = r["stats"], r["merge_inner"], r["merge_root"], r["merge_dup10"]
        L.append(
            "| %s | %d | %d | %.1f | %.2f | %.2f | %s | %.2f | %.2f | %s | %.1f | %s |"
            % (r["scale"], s["images"], s["distinct_entries"], s["parts_bytes"] / 1e6, i["wall_s"], cpu_s(i),
               mib(i["rss_kib"] * 1024), o["wall_s"], cpu_s(o), mib(o["rss_kib"] * 1024), s["report_bytes"] / 1e6,
               mib(d["rss_kib"] * 1024))
        )
    L.append("")
    L.append("**Fitted over the rows above (least squares; y = c0 + c1 × images + c2 × x)**")
    L.append("")
    L.append("| quantity | x | c0 | c1 per image | c2 per unit of x |")
    L.append("|---|---|---:|---:|---:|")

    def line(name, key, x, unit, scale_c, fmt_c):
        c = f[key]
        L.append("| %s | %s | %s | %s | %s |" % (name, x, fmt_c(c[0] * scale_c[0]), fmt_c(c[1] * scale_c[1]) if c[1] else "–", unit % (c[2] * scale_c[2])))

    line("cold analyze CPU", "analyze_cpu", "distinct tar bytes", "%.2f s/GB", (1, 1e3, 1e9), lambda v: "%.3f" % v)
    line("cold analyze wall", "analyze_wall", "distinct tar bytes", "%.2f s/GB", (1, 1e3, 1e9), lambda v: "%.3f" % v)
    line("cold analyze peak RSS", "analyze_rss", "distinct entries", "%.0f B/entry", (2**-20, 2**-10, 1), lambda v: "%.1f" % v)
    line("warm-cache analyze CPU", "warm_cpu", "–", "–%.0s", (1, 1e3, 1), lambda v: "%.3f" % v)
    line("inner merge CPU", "inner_cpu", "distinct entries", "%.2f µs/entry", (1, 1e3, 1e6), lambda v: "%.3f" % v)
    line("inner merge peak RSS", "inner_rss", "distinct entries", "%.0f B/entry", (2**-20, 2**-10, 1), lambda v: "%.1f" % v)
    line("root merge CPU", "root_cpu", "distinct entries", "%.2f µs/entry", (1, 1e3, 1e6), lambda v: "%.3f" % v)
    line("root merge peak RSS", "root_rss", "distinct entries", "%.0f B/entry", (2**-20, 2**-10, 1), lambda v: "%.1f" % v)
    line("merge of 10 copies: peak RSS", "dup_rss", "input entries", "%.0f B/input entry", (2**-20, 2**-10, 1), lambda v: "%.1f" % v)
    line("partial JSON size", "partial_bytes", "distinct entries", "%.0f B/entry", (2**-20, 2**-10, 1), lambda v: "%.2f" % v)
    L.append("")
    L.append("Units: c0 in s or MiB; c1 in ms or KiB per image. CPU s = user + sys; the fits of time use CPU seconds because the box was shared (wall ≥ CPU).")
    L.append("")
    return "\n".join(L)


def merge_scale_md(result):
    rows = result.get("merge_scale") or []
    if not rows:
        return ""
    L = []
    L.append(
        "**(c) `layerlens merge` far beyond a shard (measured): whole `generate --scale %s` fleet archives "
        "(18 images each), as 10 partials**" % result["merge_scale_scale"]
    )
    L.append("")
    L.append("| images | distinct layers | distinct entries | 10 partials MB | inner CPU s | inner RSS MiB | root CPU s | root wall s | root RSS MiB | report MB | root CPU ms / image | root RSS KiB / image |")
    L.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        i, o = r["merge_inner"], r["merge_root"]
        L.append(
            "| %d | %d | %d | %.1f | %.2f | %s | %.2f | %.2f | %s | %.1f | %.3f | %.1f |"
            % (r["images"], r["distinct_layers"], r["distinct_entries"], r["parts_bytes"] / 1e6, cpu_s(i),
               mib(i["rss_kib"] * 1024), cpu_s(o), o["wall_s"], mib(o["rss_kib"] * 1024), r["report_bytes"] / 1e6,
               cpu_s(o) / r["images"] * 1e3, o["rss_kib"] / r["images"])
        )
    L.append("")
    return "\n".join(L)


def projection_md(result, profiles, images, shard_images, fan_in, workers_list):
    f = result["fits"]
    L = []
    L.append("**Projection for %d images (PROJECTED from the fits above, not measured)**" % images)
    L.append("")
    L.append(
        "Formula: shards S = ⌈images / %d⌉; per shard CPU t = c0 + c1·n + c2·(n × distinct bytes per image) "
        "and peak RSS m = c0 + c1·n + c2·(n × distinct entries per image) with the analyze fits (n = images per shard); "
        "analyse stage = ⌈S / W⌉ · t; merge tree with fan-in %d: each level's merges run in parallel, each costs the "
        "inner (for the last level, root) merge fit at the images and entries it covers; wall ≈ analyse stage + Σ levels. "
        "Assumes one core per task, no layer shared across shards (the shared `--cache` makes shared base layers "
        "cheaper), storage that keeps up, and no Ray overhead (measured separately: ≈ 5–6 s to start or join a "
        "cluster, ≈ 0.1–0.3 s per task on this box)." % (shard_images, fan_in)
    )
    L.append("")
    power = root_power(result)
    if power and power["p"] > 1.1:
        L.append(
            "The root merge is **not linear** in images with this binary: between the two largest sizes of (c) its CPU "
            "grew as images^%.2f. The column \"×images^p\" extrapolates the root's image-dependent CPU as "
            "(%.1f s − per-entry part) × (images / %d)^%.2f plus the per-entry part; the \"linear\" column uses the linear "
            "fit (what the root would cost if that term were fixed). Inner merges and shards are linear (measured)."
            % (power["p"], power["cpu"], power["images"], power["p"])
        )
        L.append("")
    else:
        power = None
    L.append(
        "| profile | distinct MB / image | distinct entries / image | shards | per shard CPU s | per shard RSS MiB | workers "
        "| analyse wall | merge levels (groups) | inner merge RSS GiB | root merge RSS GiB | partials GB | root CPU, linear | wall, linear"
        + (" | root CPU, ×images^p | wall, ×images^p |" if power else " |")
    )
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|" + ("---:|---:|" if power else ""))
    for name, b, e in profiles:
        for w in workers_list:
            p = project(f, images, b, e, shard_images, fan_in, w)
            q = project(f, images, b, e, shard_images, fan_in, w, power) if power else None
            L.append(
                "| %s | %.1f | %d | %d | %.1f | %.0f | %d | %s | %s | %s | %.1f | %.1f | %s | %s |"
                % (name, b / 1e6, e, p["shards"], p["t_shard"], p["rss_shard"] / 2**20, w, human_s(p["analyse_wall"]),
                   " → ".join(str(g) for g, _, _ in p["levels"]),
                   "%.1f" % (max(r for _, _, r in p["levels"][:-1]) / 2**30) if len(p["levels"]) > 1 else "–",
                   p["root_rss"] / 2**30, p["partials_bytes"] / 1e9,
                   human_s(p["levels"][-1][1]), human_s(p["wall"]))
                + (" %s | %s |" % (human_s(q["levels"][-1][1]), human_s(q["wall"])) if q else "")
            )
    L.append("")
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--layerlens", default=os.environ.get("LAYERLENS_BIN") or "layerlens")
    ap.add_argument("--dir", required=True, help="where the sets and results go (≈ 9 GB with the default --shards)")
    ap.add_argument(
        "--shards",
        default="16MiB:10,16MiB:100,16MiB:1000,64MiB:10,64MiB:100",
        help="SCALE:IMAGES,... : the fleet scale (`generate --scale`, 18 images a fleet) and the shard size in images",
    )
    ap.add_argument("--format", default="docker25", help="`generate --format` (default docker25)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--project-images", type=int, default=100000)
    ap.add_argument("--project-shard", type=int, default=1000, help="images per shard in the projection (default 1000)")
    ap.add_argument("--project-fan-in", type=int, default=16)
    ap.add_argument("--project-workers", default="10,100", help="worker counts to project (default 10,100)")
    ap.add_argument(
        "--assume",
        default="registry:60MB:3000",
        help="extra projection profiles NAME:DISTINCT_BYTES_PER_IMAGE:DISTINCT_ENTRIES_PER_IMAGE,... (default registry:60MB:3000)",
    )
    ap.add_argument("--merge-scale", default="1000,3000,10000", help="(c) merge sizes in images ('' to skip)")
    ap.add_argument("--merge-scale-fleet", default="1MiB", help="(c) fleet scale (default 1MiB)")
    ap.add_argument("--md", help="also write the markdown here")
    ap.add_argument("--from-results", metavar="JSON", help="re-render a results.json (fits, projection) without measuring")
    a = ap.parse_args()
    binary = os.path.abspath(a.layerlens) if os.sep in a.layerlens else a.layerlens
    configs = [(c.split(":")[0], int(c.split(":")[1])) for c in a.shards.split(",")]
    os.makedirs(a.dir, exist_ok=True)
    if a.from_results:
        with open(a.from_results) as fh:
            result = json.load(fh)
        result["fits"] = fits_of(result["rows"])
        result.setdefault("argv", sys.argv[1:])
        render(a, result, configs)
        return
    load_before = "%.1f" % os.getloadavg()[0]
    rows = []
    for scale in dict.fromkeys(sc for sc, _ in configs):
        sizes = [n for sc, n in configs if sc == scale]
        inputs = make_set(binary, a.dir, scale, a.format, max(sizes))
        for n in sizes:
            rows.append(measure(binary, a.dir, scale, a.format, inputs, n, a.repeat))
    merge_scale = []
    if a.merge_scale:
        sizes = [int(x) for x in a.merge_scale.split(",")]
        merge_scale = measure_merge_scale(binary, a.dir, sizes, a.merge_scale_fleet, a.format, a.repeat)
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            m = re.search(r"model name\s*: (.*)", fh.read())
            cpu = m.group(1).strip() if m else cpu
    except OSError:
        pass
    result = {
        "host": "%d CPUs, %.0f GiB" % (os.cpu_count(), os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "cpu": cpu,
        "version": subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip(),
        "format": a.format,
        "repeat": a.repeat,
        "load_before": load_before,
        "load_after": "%.1f" % os.getloadavg()[0],
        "rows": rows,
        "fits": fits_of(rows),
        "merge_scale": merge_scale,
        "merge_scale_scale": a.merge_scale_fleet,
        "argv": sys.argv[1:],
    }
    render(a, result, configs)


def render(a, result, configs):
    rows = result["rows"]
    # Profiles: the measured set's own per-image figures (largest shard of the first
    # scale), then the assumed ones.
    big = max((r for r in rows if r["scale"] == configs[0][0]), key=lambda r: r["size"])
    profiles = [
        ("this synthetic set (%s fleets)" % big["scale"], big["stats"]["distinct_tar_bytes"] / big["stats"]["images"],
         round(big["stats"]["distinct_entries"] / big["stats"]["images"]))
    ]
    for spec in filter(None, a.assume.split(",")):
        name, b, e = spec.split(":")
        m = re.fullmatch(r"([\d.]+)\s*([KMGT]?)B?", b.upper())
        mult = {"": 1, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}[m.group(2)]
        profiles.append(("assumed: " + name, float(m.group(1)) * mult, int(e)))
    workers = [int(w) for w in a.project_workers.split(",")]
    md = markdown(result, result["argv"]) + "\n" + merge_scale_md(result) + "\n" + projection_md(result, profiles, a.project_images, a.project_shard, a.project_fan_in, workers)
    result["projection"] = {
        name: {str(w): project(result["fits"], a.project_images, b, e, a.project_shard, a.project_fan_in, w, root_power(result)) for w in workers}
        for name, b, e in profiles
    }
    with open(os.path.join(a.dir, "results.json"), "w") as fh:
        json.dump(result, fh, indent=1)
    with open(os.path.join(a.dir, "results.md"), "w") as fh:
        fh.write(md + "\n")
    if a.md:
        with open(a.md, "w") as fh:
            fh.write(md + "\n")
    print(md)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Compare layerlens with the independent oracle on any inputs (real archives included).

    python3 testdata/compare.py [--layerlens PATH] INPUT...

Runs `oracle.py INPUT...` and `layerlens analyze --format json INPUT...`, keeps the
fields the oracle computes, and prints OK or a unified diff. Exit 0 when equal.
"""

import argparse
import difflib
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def project(doc, keys):
    """Keep only what the oracle computes, in the oracle's shape."""
    images = []
    for img in doc["images"]:
        if img.get("format") == "docker-v1":
            continue
        images.append({
            "refs": img["refs"], "id": img["id"], "os": img["os"],
            "architecture": img["architecture"], "size": img["size"],
            "shared_size": img["shared_size"], "unique_size": img["unique_size"],
            "layers": [{k: l[k] for k in keys} for l in img["layers"]],
        })
    t = doc["totals"]
    return {"schema": doc["schema"], "images": images,
            "totals": {k: t[k] for k in ("images", "layers", "unique_layers",
                                         "naive_size", "dedup_size")}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layerlens", default=os.path.join(HERE, "..", "target", "release", "layerlens"))
    ap.add_argument("inputs", nargs="+")
    args = ap.parse_args()
    t0 = time.time()
    o = subprocess.run([sys.executable, os.path.join(HERE, "oracle.py")] + args.inputs,
                       capture_output=True)
    t1 = time.time()
    if o.returncode != 0:
        print("oracle failed:", o.stderr.decode(errors="replace"))
        return 2
    l = subprocess.run([args.layerlens, "analyze", "--format", "json"] + args.inputs,
                       capture_output=True)
    t2 = time.time()
    if l.returncode != 0:
        print("layerlens failed (exit %d): %s" % (l.returncode, l.stderr.decode(errors="replace")))
        return 1
    want = json.loads(o.stdout)
    want.pop("notes", None)
    want.pop("v1_layers", None)
    keys = ("diff_id", "tar_size", "content_size", "files", "whiteouts",
            "opaque_whiteouts", "created_by")
    got = project(json.loads(l.stdout), keys)
    a = json.dumps(want, indent=1, sort_keys=True).splitlines()
    b = json.dumps(got, indent=1, sort_keys=True).splitlines()
    label = " ".join(os.path.basename(i.rstrip("/")) for i in args.inputs)
    if a == b:
        n = len(got["images"])
        print("OK   %s: %d images, %d layers, oracle %.1fs, layerlens %.2fs"
              % (label, n, got["totals"]["layers"], t1 - t0, t2 - t1))
        return 0
    print("DIFF %s" % label)
    print("\n".join(difflib.unified_diff(a, b, "oracle", "layerlens", lineterm="")))
    return 1


if __name__ == "__main__":
    sys.exit(main())

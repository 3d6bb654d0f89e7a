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


def project(doc, want):
    """Keep exactly the fields the oracle computed, in the oracle's shape."""
    images = [i for i in doc["images"] if i.get("format") != "docker-v1"]
    out = {"schema": doc["schema"], "images": [],
           "totals": {k: doc["totals"].get(k) for k in want["totals"]}}
    if "squash_waste_savings" in want:
        out["squash_waste_savings"] = next(
            (r["savings"] for r in doc["recommendations"] if r["id"] == "squash-waste"), 0)
    for img, ref in zip(images, want["images"] + [None] * len(images)):
        keys = ref.keys() if ref else img.keys()
        lkeys = ref["layers"][0].keys() if ref and ref["layers"] else ()
        p = {k: img.get(k) for k in keys if k != "layers"}
        # Lists of records (packages): each record cut to the fields the oracle computes.
        for k, v in p.items():
            rows = ref.get(k) if ref else None
            if isinstance(v, list) and rows and all(isinstance(r, dict) for r in rows):
                rkeys = set().union(*(r.keys() for r in rows))
                p[k] = [{f: e.get(f) for f in rkeys if f in e} for e in v]
        p["layers"] = [{k: l.get(k) for k in lkeys} for l in img["layers"]]
        out["images"].append(p)
    return out


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
    got = project(json.loads(l.stdout), want)
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

#!/usr/bin/env python3
"""Regenerate testdata/expected/ by running the oracle.

    python3 testdata/make_expected.py [--check]

  * every generated fixture in testdata/fixtures/   -> expected/<name>.json
  * a few multi-input runs (merging across inputs)   -> expected/combo__<a>+<b>.json
  * every public sample under ../shared/testdata/public (relative to the repo
    root; only read, never copied)                   -> expected/public/<rel path, / -> __>.json
  * fixtures listed in EXPECT_FAIL must make the oracle exit 1 with the given
    message fragment; no expected file is written for them.

--check: do not write anything; exit 1 if any expected file would change.
If the public sample directory is absent, the public part is skipped (with a note).
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
FIXTURES = os.path.join(HERE, "fixtures")
EXPECTED = os.path.join(HERE, "expected")
PUBLIC = os.path.normpath(os.path.join(REPO, "..", "shared", "testdata", "public"))
ORACLE = os.path.join(HERE, "oracle.py")

# fixture name -> substring the oracle's error message must contain
EXPECT_FAIL = {
    "corrupt-diffid.tar": "diff_id mismatch",
}

# multi-input runs over generated fixtures: images are merged by config digest
COMBOS = [
    ["oci-gzip.tar", "oci-dir"],                     # same image, refs union
    ["legacy-two-images.tar", "docker25.tar", "oci-multiplatform"],  # cross-input sharing
]
PUBLIC_COMBOS = [
    # same config blob, uncompressed / gzip / zstd layers -> one image
    ["dive/.data/test-oci-uncompressed-image.tar", "dive/.data/test-oci-gzip-image.tar",
     "dive/.data/test-oci-zstd-image.tar"],
]


def run_oracle(inputs):
    p = subprocess.run([sys.executable, ORACLE] + inputs, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def public_inputs():
    out = []
    for d, dirs, files in os.walk(PUBLIC):
        dirs.sort()
        if "oci-layout" in files and d != PUBLIC:
            out.append(os.path.relpath(d, PUBLIC))
            dirs[:] = []
            continue
        for f in sorted(files):
            if f.endswith((".tar", ".tar.gz", ".tgz", ".tar.zst")):
                out.append(os.path.relpath(os.path.join(d, f), PUBLIC))
    return sorted(p.replace(os.sep, "/") for p in out)


def main():
    check = "--check" in sys.argv[1:]
    jobs = []  # (output path, [inputs])
    failures = []
    for name in sorted(os.listdir(FIXTURES)):
        if name == "README.md":
            continue
        if name in EXPECT_FAIL:
            continue
        jobs.append((os.path.join(EXPECTED, name + ".json"), [os.path.join(FIXTURES, name)]))
    for combo in COMBOS:
        jobs.append((os.path.join(EXPECTED, "combo__" + "+".join(combo) + ".json"),
                     [os.path.join(FIXTURES, n) for n in combo]))
    if os.path.isdir(PUBLIC):
        for rel in public_inputs():
            jobs.append((os.path.join(EXPECTED, "public", rel.replace("/", "__") + ".json"),
                         [os.path.join(PUBLIC, rel)]))
        for combo in PUBLIC_COMBOS:
            name = "combo__" + "+".join(os.path.basename(c) for c in combo) + ".json"
            jobs.append((os.path.join(EXPECTED, "public", name),
                         [os.path.join(PUBLIC, c) for c in combo]))
    else:
        print("note: %s not found; public samples skipped" % PUBLIC, file=sys.stderr)

    # expected failures
    for name, frag in sorted(EXPECT_FAIL.items()):
        rc, out, err = run_oracle([os.path.join(FIXTURES, name)])
        if rc != 1 or frag not in err:
            failures.append("%s: expected exit 1 with %r, got rc=%d stderr=%r" % (name, frag, rc, err))
        else:
            print("ok (expected failure) %s: %s" % (name, err.strip()))

    changed = []
    written = set()
    for path, inputs in jobs:
        rc, out, err = run_oracle(inputs)
        if rc != 0:
            failures.append("%s: oracle failed rc=%d: %s" % (path, rc, err.strip()))
            continue
        written.add(os.path.abspath(path))
        old = None
        if os.path.exists(path):
            with open(path, "rb") as f:
                old = f.read()
        if old != out:
            changed.append(os.path.relpath(path, REPO))
            if not check:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(out)
        print("ok %s" % os.path.relpath(path, REPO))

    # stale files
    if os.path.isdir(EXPECTED):
        for d, _, files in os.walk(EXPECTED):
            if d.startswith(os.path.join(EXPECTED, "public")) and not os.path.isdir(PUBLIC):
                continue
            for f in files:
                p = os.path.abspath(os.path.join(d, f))
                if p not in written:
                    changed.append(os.path.relpath(p, REPO) + " (stale)")
                    if not check:
                        os.remove(p)

    for f in failures:
        print("FAIL " + f, file=sys.stderr)
    if check and changed:
        print("expected files out of date:\n  " + "\n  ".join(changed), file=sys.stderr)
        return 1
    if changed and not check:
        print("updated %d file(s)" % len(changed))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

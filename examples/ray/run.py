#!/usr/bin/env python3
"""Analyse a large set of image archives with layerlens on a Ray cluster.

    python3 examples/ray/run.py --out report.json [--shards N | --shard-size M]
        [--cache DIR] [--layerlens BIN] [--address ADDR] [--html report.html]
        [--fan-in K] [--work-dir DIR] INPUT... [--inputs-from FILE]

What it does, in order:

1. Splits the inputs into contiguous runs, in input order (shard i holds inputs
   [start_i, end_i); the first len % N shards get one input more). The split depends on
   the input list and N only.
2. One Ray task per shard runs
       layerlens analyze -q -j C --partial WORK/parts/shard-00007.a1.json [--cache DIR] INPUT...
   as a subprocess (stderr kept in WORK/logs/). A non-zero exit raises an error naming
   the shard, its inputs and layerlens's message. Ray retries a task whose worker died
   (SIGKILL, OOM killer, lost node) or that raised, up to --retries times; each attempt
   writes its own file (.a1, .a2, ...), so a half-dead earlier attempt can never clobber
   the partial a later one returns.
3. Merges the partials in a tree, on Ray too: groups of at most K consecutive partials
   go through `layerlens merge --partial` until at most K remain, then one task runs
   `layerlens merge --format json` over them (and `layerlens report --html --from-json`
   with --html). Merging consecutive groups keeps the input order, so the bytes equal
   those of one `layerlens analyze --format json` over all inputs.
4. Copies the result to --out (written aside, then renamed).

Progress (done/total shards and merges, retries, failed attempts) goes to stderr, one
line whenever it changes and at least every 15 s.

Assumption: every worker sees the same filesystem paths as the driver for the
layerlens binary, the inputs (relative inputs are resolved in the driver's working
directory), --cache and the work directory (--work-dir, default a fresh directory under
$TMPDIR, which only works when every Ray node is on this host). On a real cluster put
--work-dir and --cache on a shared filesystem (NFS, CephFS, a PVC with ReadWriteMany,
...) mounted at the same path everywhere, and the binary and the archives too (or give
absolute paths that exist on every node).

Exit status: 0 success; 1 a shard or merge failed after its retries because layerlens
reported an integrity failure (layerlens exit 1); 2 bad usage, or layerlens reported a
bad input (exit 2); 3 a task failed for another reason after its retries (worker or node
died, layerlens missing on a node, ...); 130 interrupted.

Standard library and ray only.
"""

import argparse
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PROG = "layerlens-ray"


# ---------------------------------------------------------------------------------
# Code that runs inside Ray tasks (pickled by value with the tasks: nothing from this
# file needs to be installed on the workers).
# ---------------------------------------------------------------------------------


class LayerlensFailed(Exception):
    """layerlens exited non-zero (or could not be run) in a task."""

    def __init__(self, message, returncode):
        super().__init__(message, returncode)
        self.message = message
        self.returncode = returncode

    def __str__(self):
        return self.message


def _claim_attempt(work, name):
    """Claim the next attempt number of task `name` with an O_EXCL marker file.

    The markers live in WORK/attempts/; they tell the task which attempt it is (the
    fault injection kills attempt 1 only) and let the driver see retries as they happen.
    """
    d = os.path.join(work, "attempts")
    n = 1
    while True:
        path = os.path.join(d, "%s.%d" % (name, n))
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            n += 1
            continue
        info = {"host": socket.gethostname(), "pid": os.getpid(), "start": time.time()}
        os.write(fd, json.dumps(info).encode())
        os.close(fd)
        return n


def _note_failure(work, name, attempt, message):
    try:
        with open(os.path.join(work, "attempts", "%s.%d.err" % (name, attempt)), "w") as f:
            f.write(message)
    except OSError:
        pass


def _node_id():
    try:
        import ray

        return ray.get_runtime_context().get_node_id()
    except Exception:  # pragma: no cover - outside Ray
        return "?"


def _run_layerlens(cmd, cwd, stdout_path, stderr_path, kill_self_after_start=False):
    """Run layerlens; return (exit code, stderr text, sampled peak RSS in KiB)."""
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        try:
            proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        except OSError as e:
            return 127, "cannot run %s: %s" % (cmd[0], e), 0
        if kill_self_after_start:
            # Fault injection for the tests: die midway, the way the OOM killer or a
            # lost node would, while layerlens is running. No cleanup, no exception.
            time.sleep(0.2)
            os.kill(os.getpid(), signal.SIGKILL)
        # Peak RSS: ru_maxrss of a child forked from this (large) Python worker starts at
        # the worker's own RSS, so sample the child's VmHWM instead (every 5 ms at first,
        # then every 100 ms); the last sample before it exits is the figure reported.
        peak, delay = 0, 0.005
        while True:
            pid, status = os.waitpid(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, _vm_hwm_kib(proc.pid))
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
        proc.returncode = os.waitstatus_to_exitcode(status)
    with open(stderr_path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    return proc.returncode, text, peak


def _vm_hwm_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _task_prologue(work, name, binary, cwd, inputs):
    if not os.path.isdir(work):
        raise LayerlensFailed(
            "work directory %s does not exist on %s: --work-dir must be on a filesystem "
            "every Ray node shares, at the same path" % (work, socket.gethostname()),
            3,
        )
    attempt = _claim_attempt(work, name)
    if os.sep in binary and not os.path.isfile(binary):
        msg = "layerlens binary %s not found on %s" % (binary, socket.gethostname())
        _note_failure(work, name, attempt, msg)
        raise LayerlensFailed(msg, 127)
    run_cwd = cwd
    if not os.path.isdir(cwd):
        if any(not os.path.isabs(p) for p in inputs):
            msg = (
                "the driver's working directory %s does not exist on %s, and some inputs "
                "are relative: give absolute paths on a shared filesystem" % (cwd, socket.gethostname())
            )
            _note_failure(work, name, attempt, msg)
            raise LayerlensFailed(msg, 2)
        run_cwd = work
    return attempt, run_cwd


def _finish(work, name, attempt, cmd, code, err, what):
    if code != 0:
        tail = err.strip()
        if len(tail) > 4000:
            tail = "..." + tail[-4000:]
        msg = "%s: `layerlens %s` exited with %d on %s: %s" % (
            what,
            cmd[1],
            code,
            socket.gethostname(),
            tail or "(no message)",
        )
        _note_failure(work, name, attempt, msg)
        raise LayerlensFailed(msg, code)


def analyse_shard(work, index, inputs, binary, cwd, cache, threads, kill_shard):
    """One shard: `layerlens analyze --partial`. Returns a small dict (not the data)."""
    name = "shard-%05d" % index
    attempt, run_cwd = _task_prologue(work, name, binary, cwd, inputs)
    t0 = time.time()
    out = os.path.join(work, "parts", "%s.a%d.json" % (name, attempt))
    cmd = [binary, "analyze", "-q", "-j", str(threads), "--partial", out]
    if cache:
        cmd += ["--cache", cache]
    cmd += ["--"] + list(inputs)
    code, err, rss = _run_layerlens(
        cmd,
        run_cwd,
        os.devnull,
        os.path.join(work, "logs", "%s.a%d.stderr" % (name, attempt)),
        kill_self_after_start=(kill_shard == index and attempt == 1),
    )
    _finish(work, name, attempt, cmd, code, err, "shard %d (%d inputs)" % (index, len(inputs)))
    return {
        "kind": "shard",
        "name": name,
        "path": out,
        "attempt": attempt,
        "node": _node_id(),
        "seconds": time.time() - t0,
        "rss_kib": rss,
    }


def merge_partials(work, name, binary, final, html, *parts):
    """Merge partials: `--partial` for an inner node of the tree, `--format json` (and
    the HTML report) for the root."""
    paths = [p["path"] for p in parts]
    attempt, run_cwd = _task_prologue(work, name, binary, work, [])
    t0 = time.time()
    stderr_path = os.path.join(work, "logs", "%s.a%d.stderr" % (name, attempt))
    if final:
        out = os.path.join(work, "%s.a%d.json" % (name, attempt))
        cmd = [binary, "merge", "--format", "json", "--"] + paths
        code, err, rss = _run_layerlens(cmd, run_cwd, out, stderr_path)
    else:
        out = os.path.join(work, "merges", "%s.a%d.json" % (name, attempt))
        cmd = [binary, "merge", "--partial", out, "--"] + paths
        code, err, rss = _run_layerlens(cmd, run_cwd, os.devnull, stderr_path)
    _finish(work, name, attempt, cmd, code, err, "merge %s (%d partials)" % (name, len(paths)))
    result = {
        "kind": "merge",
        "name": name,
        "path": out,
        "attempt": attempt,
        "node": _node_id(),
        "seconds": time.time() - t0,
        "rss_kib": rss,
    }
    if final and html:
        html_out = os.path.join(work, "%s.a%d.html" % (name, attempt))
        cmd = [binary, "report", "--html", html_out, "--from-json", out]
        code, err, _ = _run_layerlens(cmd, run_cwd, os.devnull, stderr_path + ".html")
        _finish(work, name, attempt, cmd, code, err, "HTML report")
        result["html"] = html_out
    return result


# ---------------------------------------------------------------------------------
# The driver.
# ---------------------------------------------------------------------------------


def split_contiguous(items, n):
    """n contiguous runs in order; the first len % n runs get one item more."""
    n = max(1, min(n, len(items)))
    base, extra = divmod(len(items), n)
    out, start = [], 0
    for i in range(n):
        end = start + base + (1 if i < extra else 0)
        out.append(items[start:end])
        start = end
    return out


def merge_plan(count, fan_in):
    """The tree: a list of levels, each a list of (start, end) ranges into the level
    below; the last level has exactly one group (the final merge)."""
    levels = []
    while True:
        if count <= fan_in:
            levels.append([(0, count)])
            return levels
        groups = [(s, min(s + fan_in, count)) for s in range(0, count, fan_in)]
        levels.append(groups)
        count = len(groups)


def log(msg):
    print("%s: %s" % (PROG, msg), file=sys.stderr, flush=True)


def die(msg, code):
    log("error: " + msg)
    sys.exit(code)


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="run.py",
        description="Shard, analyse and merge a large set of image archives with layerlens on Ray.",
        epilog="Every node must see the binary, the inputs, --cache and --work-dir at the same paths.",
    )
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="archives, in order")
    p.add_argument("--inputs-from", metavar="FILE", help="more inputs, one a line (after the INPUT arguments)")
    p.add_argument("--out", required=True, metavar="OUT.json", help="where the JSON report goes")
    p.add_argument("--html", metavar="OUT.html", help="also write the HTML report (report --from-json)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--shards", type=int, metavar="N", help="number of shards")
    g.add_argument("--shard-size", type=int, metavar="M", default=200, help="inputs per shard when --shards is not given (default 200)")
    p.add_argument("--fan-in", type=int, default=16, metavar="K", help="partials per merge (default 16)")
    p.add_argument("--cache", metavar="DIR", help="layer cache directory (shared by all workers)")
    p.add_argument(
        "--layerlens",
        metavar="BIN",
        default=os.environ.get("LAYERLENS_BIN") or "layerlens",
        help="the layerlens binary, same path on every node (default $LAYERLENS_BIN or layerlens on PATH)",
    )
    p.add_argument("--address", metavar="ADDR", help="join this Ray cluster (host:port or 'auto'); default: start a local one")
    p.add_argument("--work-dir", metavar="DIR", help="partials and intermediate files (default: a new directory in $TMPDIR)")
    p.add_argument("--keep-work", action="store_true", help="keep the work directory after success")
    p.add_argument("--threads", type=int, default=1, metavar="C", help="CPUs per shard task (Ray num_cpus and layerlens -j; default 1)")
    p.add_argument("--merge-cpus", type=int, default=1, metavar="M", help="CPUs a merge task asks Ray for (default 1)")
    p.add_argument("--retries", type=int, default=3, metavar="R", help="Ray retries per task (default 3)")
    p.add_argument("--local-cpus", type=int, metavar="N", help="CPUs of the local Ray instance (default: all)")
    p.add_argument("--inject-kill-shard", type=int, metavar="K", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    inputs = list(a.inputs)
    if a.inputs_from:
        with open(a.inputs_from) as f:
            inputs += [line.strip() for line in f if line.strip() and not line.startswith("#")]
    if not inputs:
        p.error("no inputs")
    if a.fan_in < 2:
        p.error("--fan-in must be at least 2")
    if (a.shards is not None and a.shards < 1) or a.shard_size < 1 or a.threads < 1 or a.merge_cpus < 1 or a.retries < 0:
        p.error("--shards, --shard-size, --threads and --merge-cpus must be positive, --retries not negative")
    a.inputs = inputs
    return a


class Progress:
    def __init__(self, work, shard_names, merge_names, retries):
        self.work = work
        self.shards = shard_names
        self.merges = merge_names
        self.max_attempts = retries + 1
        self.done = set()
        self.seen = set()
        self.retried = {}  # name -> highest attempt seen (> 1)
        self.failed_attempts = 0
        self.last_line = None
        self.last_time = 0.0
        self.t0 = time.time()

    def scan(self):
        """Report new attempts > 1 as retries, with why the previous attempt ended."""
        try:
            names = sorted(os.listdir(os.path.join(self.work, "attempts")))
        except OSError:
            return
        for fn in names:
            if fn.endswith(".err") or fn in self.seen:
                continue
            self.seen.add(fn)
            name, _, n = fn.rpartition(".")
            n = int(n)
            if n > 1:
                self.failed_attempts += 1
                self.retried[name] = max(n, self.retried.get(name, 0))
                why = "ended without a result (its worker process died: killed, out of memory, or node lost)"
                try:
                    with open(os.path.join(self.work, "attempts", "%s.%d.err" % (name, n - 1))) as f:
                        why = "failed: " + f.read().strip()
                except OSError:
                    pass
                log("retry: %s attempt %d/%d started; attempt %d %s" % (name, n, self.max_attempts, n - 1, why))

    def started(self, names):
        return sum(1 for nm in names if "%s.1" % nm in self.seen)

    def line(self, force=False):
        sd = sum(1 for n in self.shards if n in self.done)
        md = sum(1 for n in self.merges if n in self.done)
        text = "shards %d/%d done (%d started) | merges %d/%d | retries %d, failed attempts %d" % (
            sd,
            len(self.shards),
            self.started(self.shards),
            md,
            len(self.merges),
            len(self.retried),
            self.failed_attempts,
        )
        now = time.time()
        if force or text != self.last_line or now - self.last_time >= 15:
            log("[%7.1fs] %s" % (now - self.t0, text))
            self.last_line, self.last_time = text, now


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    # Before `import ray`, which reads these.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if not a.address and not any(
        os.environ.get(v) for v in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")
    ):
        # A private, throw-away local instance gets its own random token, in the
        # environment only (Ray would otherwise write ~/.ray/auth_token).
        os.environ["RAY_AUTH_MODE"] = "token"
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
    try:
        import ray
    except ImportError:
        die("cannot import ray: pip install ray (the driver and every node need it)", 2)

    cwd = os.getcwd()
    binary = a.layerlens
    if os.sep in binary:
        binary = os.path.abspath(binary)
    elif shutil.which(binary) is None:
        log("warning: %s is not on this host's PATH; the workers' PATH must have it" % binary)
    cache = os.path.abspath(a.cache) if a.cache else None
    if cache:
        os.makedirs(cache, exist_ok=True)
    if a.work_dir:
        work = os.path.abspath(a.work_dir)
        os.makedirs(work, exist_ok=True)
        if os.listdir(work):
            die("--work-dir %s is not empty (partials of another run?)" % work, 2)
    else:
        work = tempfile.mkdtemp(prefix="layerlens-ray-")
        if a.address:
            log("note: the work directory %s is local to this host; all Ray nodes must share it (use --work-dir on a shared filesystem)" % work)
    for sub in ("parts", "merges", "attempts", "logs"):
        os.makedirs(os.path.join(work, sub), exist_ok=True)

    n_shards = a.shards if a.shards is not None else math.ceil(len(a.inputs) / a.shard_size)
    shards = split_contiguous(a.inputs, n_shards)
    plan = merge_plan(len(shards), a.fan_in)

    ray_tmp = None
    t_init = time.time()
    if not a.address:
        ray_tmp = tempfile.mkdtemp(prefix="llray-")  # short: Ray's socket paths live here
    try:
        if a.address:
            ray.init(address=a.address, logging_level="WARNING")
        else:
            ray.init(
                address="local",  # a new local instance, never a cluster found in /tmp/ray
                num_cpus=a.local_cpus,
                include_dashboard=False,
                object_store_memory=256 << 20,
                logging_level="WARNING",
                _temp_dir=ray_tmp,
            )
    except Exception as e:
        if ray_tmp:
            shutil.rmtree(ray_tmp, ignore_errors=True)
        die("cannot start or join Ray (%s): %s" % (a.address or "local", e), 3)
    try:
        return drive(ray, a, work, shards, plan, binary, cwd, cache, t_init)
    finally:
        shutdown(ray, ray_tmp)


def drive(ray, a, work, shards, plan, binary, cwd, cache, t_init):
    res = ray.cluster_resources()
    log(
        "ray %s: %d node(s), %g CPUs (connected in %.1f s); %d inputs -> %d shards, merge tree %s (fan-in %d); work dir %s"
        % (
            ray.__version__,
            len([n for n in ray.nodes() if n.get("Alive")]),
            res.get("CPU", 0),
            time.time() - t_init,
            len(a.inputs),
            len(shards),
            " -> ".join(str(len(level)) for level in plan),
            a.fan_in,
            work,
        )
    )

    remote_opts = dict(max_retries=a.retries, retry_exceptions=True)
    # SPREAD: shards go to every node (they are I/O-heavy and independent); merges wherever.
    analyse = ray.remote(num_cpus=a.threads, scheduling_strategy="SPREAD", **remote_opts)(analyse_shard)
    merge = ray.remote(num_cpus=a.merge_cpus, **remote_opts)(merge_partials)

    # Submit the whole graph at once: Ray starts a merge as soon as its inputs are done.
    refs = {}
    level_refs = []
    for i, s in enumerate(shards):
        r = analyse.remote(work, i, s, binary, cwd, cache, a.threads, a.inject_kill_shard)
        refs[r] = ("shard-%05d" % i, s)
        level_refs.append(r)
    merge_names = []
    for depth, groups in enumerate(plan):
        final = depth == len(plan) - 1
        nxt = []
        for j, (s, e) in enumerate(groups):
            name = "final" if final else "merge-L%d-%05d" % (depth + 1, j)
            r = merge.remote(work, name, binary, final, bool(a.html), *level_refs[s:e])
            refs[r] = (name, None)
            merge_names.append(name)
            nxt.append(r)
        level_refs = nxt
    final_ref = level_refs[0]

    progress = Progress(work, [refs[r][0] for r in refs if refs[r][1] is not None], merge_names, a.retries)
    progress.line(force=True)
    results = {}
    pending = list(refs)
    try:
        while pending:
            ready, pending = ray.wait(pending, num_returns=len(pending), timeout=0.5)
            progress.scan()
            for r in ready:
                name, shard_inputs = refs[r]
                try:
                    results[name] = ray.get(r)
                except Exception as e:  # the task failed after its retries
                    fail(ray, e, name, shard_inputs, progress, work, list(refs))
                progress.done.add(name)
            progress.line()
    except KeyboardInterrupt:
        for r in pending:
            ray.cancel(r, force=True)
        log("interrupted; work directory kept: %s" % work)
        sys.exit(130)
    progress.scan()
    progress.line()

    final = ray.get(final_ref)
    copy_out(final["path"], a.out)
    if a.html:
        copy_out(final["html"], a.html)

    shard_res = [results[n] for n in progress.shards]
    merge_res = [results[n] for n in merge_names]
    nodes = {}
    for r in shard_res + merge_res:
        nodes[r["node"]] = nodes.get(r["node"], 0) + 1
    log(
        "done in %.1f s: %d shards (task time %.1f s, max %.2f s, sampled peak RSS max %.1f MiB), "
        "%d merges (max %.2f s, peak RSS max %.1f MiB), %d retried task(s); tasks per node: %s; wrote %s (%d bytes)%s"
        % (
            time.time() - progress.t0,
            len(shard_res),
            sum(r["seconds"] for r in shard_res),
            max(r["seconds"] for r in shard_res),
            max(r["rss_kib"] for r in shard_res) / 1024,
            len(merge_res),
            max(r["seconds"] for r in merge_res),
            max(r["rss_kib"] for r in merge_res) / 1024,
            len(progress.retried),
            ", ".join("%s=%d" % (k[:8], v) for k, v in sorted(nodes.items())),
            a.out,
            os.path.getsize(a.out),
            (" and " + a.html) if a.html else "",
        )
    )
    if a.keep_work:
        log("work directory kept: %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def shutdown(ray, ray_tmp):
    ray.shutdown()
    if ray_tmp:
        shutil.rmtree(ray_tmp, ignore_errors=True)


def fail(ray, e, name, shard_inputs, progress, work, all_refs):
    cause = getattr(e, "cause", None) or e
    code = getattr(cause, "returncode", None)
    message = getattr(cause, "message", None) or str(cause).strip()
    attempts = sum(
        1 for fn in os.listdir(os.path.join(work, "attempts")) if fn.startswith(name + ".") and not fn.endswith(".err")
    )
    lines = ["%s failed after %d attempt(s) (--retries %d)" % (name, attempts, progress.max_attempts - 1)]
    if shard_inputs is not None:
        shown = shard_inputs if len(shard_inputs) <= 50 else shard_inputs[:25] + ["..."] + shard_inputs[-25:]
        lines.append("  inputs (%d): %s" % (len(shard_inputs), " ".join(shown)))
    lines.append("  error: %s" % message)
    lines.append("  work directory kept: %s (logs/ has each attempt's stderr)" % work)
    for r in all_refs:
        try:
            ray.cancel(r, force=True)
        except Exception:
            pass
    die("\n".join(lines), 1 if code == 1 else 2 if code == 2 else 3)


def copy_out(src, dst):
    d = os.path.dirname(os.path.abspath(dst))
    fd, tmp = tempfile.mkstemp(prefix=".layerlens-ray-", dir=d)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dst)
    except BaseException:
        os.unlink(tmp)
        raise


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""End-to-end test of examples/ray/run.py on a local two-node Ray cluster.

    python3 examples/ray/test_ray.py --layerlens target/release/layerlens [--keep] [--no-install]

1. Generates 100 small archives with `layerlens generate --scale 1MiB` (18 images each;
   mostly docker25, some docker, oci-gzip, oci-zstd and gzip) and lists them in order,
   plus two repeated at the end (so one image appears in several shards), and computes the
   expected report with one `layerlens analyze --format json` over that list.
2. Starts a Ray head and a Ray worker node on this host, as two separate `ray start
   --block --num-cpus 1` processes (each the leader of its own session), with a private auth
   token and temp dir.
3. Run 1: the driver with --address, 10 shards, fan-in 3, a fresh --cache and --html:
   OUT.json must be byte-identical to the expected report, the HTML identical to
   `layerlens report --html --from-json` of it, and both nodes must have run tasks.
4. Run 2: the same with a fresh cache and --inject-kill-shard 3 (shard 3's first attempt
   SIGKILLs its own Ray worker process while layerlens runs): still byte-identical, and
   the driver's progress must show the retry.
5. Run 3: a corrupted archive in the inputs and --retries 1: the driver must fail (exit
   1 or 2), naming the shard, the bad input and layerlens's error, after 2 attempts.
6. Always stops both nodes (SIGTERM to each `ray start --block` process, which drains
   and stops its node; then SIGKILL to whatever is left in its session). It does not run
   `ray stop`, which would also stop every other Ray instance of this user on the host.

When `import ray` fails it tries `pip install ray` (unless --no-install); when that fails
too, it prints a line starting with "SKIP:" and exits 0.
"""

import argparse
import importlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RUN = os.path.join(HERE, "run.py")
FORMATS = ["docker25", "docker25", "docker", "docker25", "oci-gzip", "docker25", "oci-zstd", "docker25", "gzip", "docker25"]


def say(msg):
    print("test_ray: " + msg, file=sys.stderr, flush=True)


def skip(why):
    print("SKIP: examples/ray/test_ray.py: %s" % why, flush=True)
    sys.exit(0)


def ensure_ray(no_install):
    try:
        import ray  # noqa: F401

        return ray.__version__
    except ImportError as e:
        why = str(e)
    if no_install:
        skip("cannot import ray (%s) with %s; not installing it (--no-install)" % (why, sys.executable))
    say("ray is not installed; trying `%s -m pip install -q ray` ..." % sys.executable)
    t0 = time.time()
    try:
        r = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "ray"],
            capture_output=True,
            text=True,
            timeout=600,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        skip("ray is not installed and pip install failed: %s" % e)
    if r.returncode != 0:
        skip("ray is not installed and pip install failed: %s" % (r.stderr.strip().splitlines() or ["?"])[-1])
    importlib.invalidate_caches()
    try:
        import ray  # noqa: F401
    except ImportError as e:
        skip("ray was installed but cannot be imported: %s" % e)
    say("installed ray %s in %.0f s" % (ray.__version__, time.time() - t0))
    return ray.__version__


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ray_cli():
    exe = os.path.join(os.path.dirname(sys.executable), "ray")
    if os.access(exe, os.X_OK):
        return [exe]
    return [sys.executable, "-c", "import sys; from ray.scripts.scripts import main; sys.argv[0] = 'ray'; sys.exit(main())"]


class Node:
    """One `ray start --block` process, leader of its own session."""

    def __init__(self, name, args, log_path, env):
        self.name = name
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            ray_cli() + ["start", "--block"] + args,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )

    def wait_started(self, timeout):
        t0 = time.time()
        while time.time() - t0 < timeout:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            if "Ray runtime started" in text:
                return
            if self.proc.poll() is not None:
                raise AssertionError("ray %s exited with %s:\n%s" % (self.name, self.proc.returncode, text[-3000:]))
            time.sleep(0.2)
        raise AssertionError("ray %s did not start in %d s" % (self.name, timeout))

    def stop(self, timeout=60):
        # The node's processes while its leader is alive (so the session id is surely ours),
        # with their start times, so that only those very processes are killed later.
        mine = {pid: start_time(pid) for pid in session_pids(self.proc.pid)}
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # drains, then stops the node's processes
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                say("ray %s did not stop in %d s; SIGKILL to its processes" % (self.name, timeout))
        for pid, started in mine.items():
            if started is not None and start_time(pid) == started:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self.log.close()


def start_time(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def session_pids(sid):
    """The processes of a session (each node's `ray start` is a session leader: its GCS,
    raylet, agents and workers, whatever process groups they made)."""
    pids = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.getsid(int(pid)) == sid:
                    pids.append(int(pid))
            except OSError:
                pass
    return pids


def rss_of_session(sid):
    """Sum of RSS (KiB) of a session's processes."""
    total = 0
    for pid in session_pids(sid):
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except (OSError, ValueError):
            pass
    return total


class PeakRss:
    """Samples the summed RSS of some sessions every 0.25 s (Ray's own footprint
    while the driver runs: GCS, raylets, agents, workers; layerlens children included)."""

    def __init__(self, sids):
        self.sids = sids
        self.peak = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, sum(rss_of_session(g) for g in self.sids))
            self.stop.wait(0.25)

    def done(self):
        self.stop.set()
        self.thread.join()
        return self.peak


def run_driver(args, cwd, env, log_path):
    """Run run.py, echoing its stderr; return (exit code, stderr text, seconds)."""
    t0 = time.time()
    with open(log_path, "wb") as log:
        p = subprocess.Popen(
            [sys.executable, RUN] + args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        chunks = []
        for line in p.stdout:
            log.write(line)
            chunks.append(line)
            sys.stderr.write("    | " + line.decode("utf-8", "replace"))
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    run_driver.peak_rss_kib = usage.ru_maxrss
    return p.returncode, b"".join(chunks).decode("utf-8", "replace"), time.time() - t0


def check(cond, msg):
    if not cond:
        raise AssertionError("check failed: " + msg)
    say("ok: " + msg)


def same_file(a, b):
    with open(a, "rb") as f, open(b, "rb") as g:
        return f.read() == g.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--layerlens",
        default=os.environ.get("LAYERLENS_BIN") or os.path.join(HERE, "..", "..", "target", "release", "layerlens"),
        help="the layerlens binary (default $LAYERLENS_BIN or target/release/layerlens)",
    )
    ap.add_argument("--count", type=int, default=100, help="archives to generate (default 100)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--no-install", action="store_true", help="skip instead of pip-installing ray")
    a = ap.parse_args()
    if a.count < 21:
        ap.error("--count must be at least 21 (run 3 uses 20 archives and a bad one)")
    binary = os.path.abspath(a.layerlens)
    if not os.access(binary, os.X_OK):
        print("test_ray: error: layerlens binary %s not found (build it or pass --layerlens)" % binary, file=sys.stderr)
        return 2
    version = ensure_ray(a.no_install)
    t_all = time.time()
    tmp = tempfile.mkdtemp(prefix="llrt-")  # short path: Ray's unix sockets live under it
    say("ray %s, layerlens %s, work in %s" % (version, binary, tmp))

    # 1. Inputs and the expected report.
    t0 = time.time()
    data = os.path.join(tmp, "data")
    os.makedirs(data)
    names = []
    for n in range(1, a.count + 1):
        fmt = FORMATS[n % len(FORMATS)]
        name = "a%03d.tar" % n
        subprocess.run(
            [binary, "generate", "--scale", "1MiB", "--seed", str(n), "--format", fmt, "-j", "1", name],
            cwd=data,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        names.append(name)
    inputs = names + [names[0], names[len(names) // 2]]  # repeats: one image in several shards
    with open(os.path.join(tmp, "inputs.txt"), "w") as f:
        f.write("\n".join(inputs) + "\n")
    expected = os.path.join(tmp, "expected.json")
    with open(expected, "wb") as out:
        subprocess.run([binary, "analyze", "-q", "--format", "json"] + inputs, cwd=data, check=True, stdout=out)
    expected_html = os.path.join(tmp, "expected.html")
    subprocess.run([binary, "report", "--html", expected_html, "--from-json", expected], check=True)
    size = sum(os.path.getsize(os.path.join(data, n)) for n in names)
    say(
        "generated %d archives (%.1f MB) and the expected report (%d bytes) in %.1f s"
        % (len(names), size / 1e6, os.path.getsize(expected), time.time() - t0)
    )

    # 2. The cluster: a private token and temp dir, nothing written to ~/.ray or /tmp/ray.
    token = os.path.join(tmp, "auth_token")
    with open(token, "w") as f:
        f.write(secrets.token_hex(32))
    env = dict(os.environ)
    for v in ("RAY_ADDRESS", "RAY_AUTH_TOKEN"):
        env.pop(v, None)
    env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=token, RAY_USAGE_STATS_ENABLED="0")
    port = free_port()
    address = "127.0.0.1:%d" % port
    common = ["--num-cpus", "1", "--node-ip-address", "127.0.0.1", "--disable-usage-stats"]
    common += ["--object-store-memory", str(128 << 20)]
    nodes = []
    failed = True
    try:
        t0 = time.time()
        head = Node(
            "head",
            ["--head", "--port", str(port), "--temp-dir", os.path.join(tmp, "ray"), "--include-dashboard=false"]
            + ["--dashboard-agent-listen-port", str(free_port())]
            + common,
            os.path.join(tmp, "head.log"),
            env,
        )
        nodes.append(head)
        head.wait_started(120)
        worker = Node(
            "worker",
            ["--address", address, "--dashboard-agent-listen-port", str(free_port())] + common,
            os.path.join(tmp, "worker.log"),
            env,
        )
        nodes.append(worker)
        worker.wait_started(120)
        t_cluster = time.time() - t0
        say(
            "cluster up in %.1f s: head (pid %d) and worker (pid %d) at %s; Ray's own RSS: head %.0f MiB, worker %.0f MiB"
            % (t_cluster, head.proc.pid, worker.proc.pid, address, rss_of_session(head.proc.pid) / 1024, rss_of_session(worker.proc.pid) / 1024)
        )

        base = ["--address", address, "--layerlens", binary, "--shards", "10", "--fan-in", "3"]
        base += ["--inputs-from", os.path.join(tmp, "inputs.txt")]

        # 3. Run 1.
        out1, html1 = os.path.join(tmp, "out1.json"), os.path.join(tmp, "out1.html")
        say("run 1: 10 shards, fan-in 3, fresh cache, --html")
        sampler = PeakRss([head.proc.pid, worker.proc.pid])
        rc, log1, t_run1 = run_driver(
            base + ["--out", out1, "--html", html1, "--cache", os.path.join(tmp, "cache1"), "--work-dir", os.path.join(tmp, "work1")],
            data,
            env,
            os.path.join(tmp, "run1.log"),
        )
        peak = sampler.done()
        check(rc == 0, "run 1 exited 0 (%.1f s)" % t_run1)
        check(same_file(out1, expected), "run 1: OUT.json is byte-identical to one `layerlens analyze --format json`")
        check(same_file(html1, expected_html), "run 1: the HTML equals `layerlens report --html --from-json` of the expected report")
        m = re.search(r"tasks per node: (.*?); wrote", log1)
        per_node = dict(kv.split("=") for kv in m.group(1).split(", ")) if m else {}
        check(len(per_node) == 2, "run 1: tasks ran on both nodes (%s)" % (m.group(1) if m else "?"))
        say(
            "Ray's RSS during run 1: nodes %.0f MiB at the peak (both, sampled every 0.25 s), driver %.0f MiB; after it: head %.0f MiB, worker %.0f MiB"
            % (peak / 1024, run_driver.peak_rss_kib / 1024, rss_of_session(head.proc.pid) / 1024, rss_of_session(worker.proc.pid) / 1024)
        )

        # 4. Run 2: fault injection.
        out2 = os.path.join(tmp, "out2.json")
        work2 = os.path.join(tmp, "work2")
        say("run 2: shard 3's first attempt kills its own Ray worker (SIGKILL) midway")
        rc, log2, t_run2 = run_driver(
            base
            + ["--out", out2, "--cache", os.path.join(tmp, "cache2"), "--work-dir", work2, "--keep-work"]
            + ["--inject-kill-shard", "3"],
            data,
            env,
            os.path.join(tmp, "run2.log"),
        )
        check(rc == 0, "run 2 exited 0 (%.1f s)" % t_run2)
        check(same_file(out2, expected), "run 2: OUT.json is still byte-identical after the retry")
        retry_lines = [line for line in log2.splitlines() if "retry: shard-00003 attempt 2/" in line]
        check(bool(retry_lines), "run 2: the driver reported the retry: %s" % (retry_lines[:1] or ["-"])[0].strip())
        check("1 retried task(s)" in log2, "run 2: the driver's summary counts 1 retried task")
        attempts = sorted(os.listdir(os.path.join(work2, "attempts")))
        check(
            "shard-00003.1" in attempts and "shard-00003.2" in attempts and "shard-00003.3" not in attempts,
            "run 2: shard 3 ran exactly twice (attempt markers)",
        )

        # 5. Run 3: a corrupt input fails loudly after the retries.
        bad = os.path.join(data, "bad.tar")
        src = os.path.join(data, names[4])
        with open(src, "rb") as f:
            blob = bytearray(f.read())
        blob = blob[: len(blob) * 2 // 3]  # truncated mid-archive
        with open(bad, "wb") as f:
            f.write(blob)
        bad_inputs = names[:12] + ["bad.tar"] + names[12:20]
        say("run 3: a truncated archive among 21 inputs, --retries 1")
        rc, log3, t_run3 = run_driver(
            ["--address", address, "--layerlens", binary, "--shards", "4", "--retries", "1"]
            + ["--out", os.path.join(tmp, "out3.json"), "--work-dir", os.path.join(tmp, "work3")]
            + bad_inputs,
            data,
            env,
            os.path.join(tmp, "run3.log"),
        )
        check(rc in (1, 2), "run 3 failed with exit %d (%.1f s)" % (rc, t_run3))
        check("shard-00002 failed after 2 attempt(s)" in log3, "run 3: the failure names shard 2 and its 2 attempts")
        check(re.search(r"inputs \(5\):.* bad\.tar", log3) is not None, "run 3: the failure lists the shard's inputs")
        check("layerlens: error:" in log3 and "bad.tar" in log3.split("error:", 2)[-1], "run 3: the failure carries layerlens's message")
        check(not os.path.exists(os.path.join(tmp, "out3.json")), "run 3: no OUT.json was written")
        failed = False
    finally:
        for node in reversed(nodes):
            node.stop()
        say("cluster stopped")
        if a.keep or failed:
            say("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    say("PASS in %.1f s (cluster start %.1f s, run 1 %.1f s, run 2 %.1f s, run 3 %.1f s)" % (time.time() - t_all, t_cluster, t_run1, t_run2, t_run3))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except AssertionError as e:
        print("test_ray: FAIL: %s" % e, file=sys.stderr)
        sys.exit(1)

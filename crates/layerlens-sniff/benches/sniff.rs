//! `cargo bench --bench sniff` — detector throughput (medians of 5, wall and thread CPU).
//!
//! * `start()` on every regular file of this machine's `/usr` and `/etc` (path, size,
//!   mode as a layer walk sees them): ns per call, for all and for the unwanted ones.
//! * a 50 MB Go binary (`/usr/bin/hugo` when installed, else a generated one), a large
//!   Rust binary without audit data (worst case of the ELF scans), a 20 MB jar written
//!   like the JDK's `jar` tool (bit-3 descriptors: the skip path that must find them), a
//!   fat jar (stored nested jars), 10,000 small text files (secret scan).
//! * "image": every regular file under a few system directories (≤ SNIFF_BENCH_IMAGE_MAX
//!   bytes, default 1.5 GB), fed in 256 KiB chunks as the walk does: detector time as a
//!   share of a layer pass at 1.5 and 2 GB/s.
//!
//! Environment: SNIFF_BENCH_RUNS (5), SNIFF_BENCH_IMAGE_MAX (bytes), SNIFF_BENCH_ONLY
//! (comma list of: start,go,elf,jar,fatjar,text,image).

#[path = "../tests/common/mod.rs"]
mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use layerlens_sniff::{start, Detector, Flow};

const CHUNK: usize = 256 << 10;

fn cpu_now() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn runs() -> usize {
    std::env::var("SNIFF_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
}

fn only(name: &str) -> bool {
    match std::env::var("SNIFF_BENCH_ONLY") {
        Ok(v) => v.split(',').any(|x| x == name),
        Err(_) => true,
    }
}

/// Median (wall, cpu) of `runs()` calls of `f`.
fn measure(mut f: impl FnMut()) -> (Duration, Duration) {
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    for _ in 0..runs() {
        let (w, c) = (Instant::now(), cpu_now());
        f();
        walls.push(w.elapsed());
        cpus.push(cpu_now() - c);
    }
    walls.sort();
    cpus.sort();
    (walls[walls.len() / 2], cpus[cpus.len() / 2])
}

/// Feed one file as the walk would; returns bytes actually fed.
fn sniff(path: &str, mode: u32, bytes: &[u8]) -> (u64, usize) {
    let Some(mut s) = start(path, bytes.len() as u64, mode) else {
        return (0, 0);
    };
    let mut fed = 0;
    for c in bytes.chunks(CHUNK) {
        fed += c.len() as u64;
        if s.feed(c) == Flow::Done {
            break;
        }
    }
    (fed, std::hint::black_box(s.finish()).len())
}

/// As the walk sees bytes: each chunk is copied into a 256 KiB buffer (the walk's
/// read-ahead, which it has just hashed: hot in cache) and fed from there. With
/// `feed == false` only the copies are made: the difference is the detectors' cost.
fn walk_like(path: &str, mode: u32, bytes: &[u8], hot: &mut [u8], feed: bool) {
    let mut s = if feed {
        start(path, bytes.len() as u64, mode)
    } else {
        None
    };
    for c in bytes.chunks(CHUNK) {
        let h = &mut hot[..c.len()];
        h.copy_from_slice(c);
        std::hint::black_box(&h[0]);
        if let Some(x) = &mut s {
            if x.feed(h) == Flow::Done {
                std::hint::black_box(s.take().unwrap().finish());
            }
        }
    }
    if let Some(x) = s {
        std::hint::black_box(x.finish());
    }
}

fn gbps(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e9
}

fn report(
    name: &str,
    bytes: u64,
    fed: u64,
    (w, c): (Duration, Duration),
    hot: Duration,
    found: usize,
) {
    println!(
        "{name:<44} {:>7.1} MB fed {:>5.1} % | cold: wall {:>8.3} ms cpu {:>8.3} ms ({:>6.2} GB/s) | hot: cpu {:>8.3} ms ({:>7.2} GB/s, {:>5.2} % of a 1.5 GB/s pass) | found {found}",
        bytes as f64 / 1e6,
        100.0 * fed as f64 / bytes.max(1) as f64,
        w.as_secs_f64() * 1e3,
        c.as_secs_f64() * 1e3,
        gbps(bytes, c),
        hot.as_secs_f64() * 1e3,
        gbps(bytes, hot),
        100.0 * hot.as_secs_f64() / (bytes as f64 / 1.5e9),
    );
}

/// Hot cost of a set of files: (copies + detectors) − (copies), medians of `runs()`.
fn hot_cost(files: &[(&str, u32, &[u8])]) -> Duration {
    let mut hot = vec![0u8; CHUNK];
    let (_, with) = measure(|| {
        for (p, m, b) in files {
            walk_like(p, *m, b, &mut hot, true);
        }
    });
    let (_, without) = measure(|| {
        for (p, m, b) in files {
            walk_like(p, *m, b, &mut hot, false);
        }
    });
    with.saturating_sub(without)
}

fn bench_file(name: &str, path: &str, mode: u32, bytes: &[u8]) {
    let (fed, found) = sniff(path, mode, bytes);
    let t = measure(|| {
        std::hint::black_box(sniff(path, mode, bytes));
    });
    let hot = hot_cost(&[(path, mode, bytes)]);
    report(name, bytes.len() as u64, fed, t, hot, found);
}

fn walk(dir: &std::path::Path, out: &mut Vec<(String, u64, u32)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        let p = e.path();
        if ft.is_dir() {
            walk(&p, out);
        } else if ft.is_file() {
            if let Ok(m) = e.metadata() {
                out.push((
                    p.to_string_lossy().trim_start_matches('/').to_string(),
                    m.len(),
                    m.permissions().mode(),
                ));
            }
        }
    }
}

fn bench_start() {
    let mut files = Vec::new();
    for d in ["/usr", "/etc"] {
        walk(std::path::Path::new(d), &mut files);
    }
    let unwanted: Vec<&(String, u64, u32)> = files
        .iter()
        .filter(|(p, s, m)| start(p, *s, *m).is_none())
        .collect();
    let mut by = std::collections::BTreeMap::new();
    for (p, s, m) in &files {
        if let Some(x) = start(p, *s, *m) {
            *by.entry(format!("{:?}", x.detector())).or_insert(0usize) += 1;
        }
    }
    let (_, all) = measure(|| {
        for (p, s, m) in &files {
            std::hint::black_box(start(std::hint::black_box(p), *s, *m).is_some());
        }
    });
    let (_, none) = measure(|| {
        for (p, s, m) in &unwanted {
            std::hint::black_box(start(std::hint::black_box(p), *s, *m).is_some());
        }
    });
    // The same loop reading every byte of each path instead: what touching the (cold)
    // paths costs by itself. In the walk the path was just built: it is hot.
    let (_, touch) = measure(|| {
        for (p, s, m) in &unwanted {
            std::hint::black_box(
                p.as_bytes().iter().fold(0u8, |a, &b| a ^ b) as u64 ^ *s ^ u64::from(*m),
            );
        }
    });
    println!(
        "  touching each path alone: {:.1} ns/file; start() minus that: {:.1} ns/call",
        touch.as_nanos() as f64 / unwanted.len() as f64,
        (none.as_nanos() as f64 - touch.as_nanos() as f64) / unwanted.len() as f64
    );
    for (p, size, mode) in [
        ("usr/lib/x86_64-linux-gnu/libc.so.6", 1_922_136u64, 0o644u32),
        ("usr/share/doc/libc6/changelog.Debian.gz", 30_000, 0o644),
        (
            "usr/lib/python3/dist-packages/yaml/constructor.py",
            28_000,
            0o644,
        ),
        ("app/node_modules/lodash/fp/placeholder.js", 100, 0o644),
        (
            "usr/share/locale/de/LC_MESSAGES/coreutils.mo",
            150_000,
            0o644,
        ),
        ("usr/include/x86_64-linux-gnu/sys/types.h", 7_000, 0o644),
        ("etc/ssl/certs/ca-certificates.crt", 200_000, 0o644),
        ("usr/bin/ls", 151_344, 0o755),
        ("srv/app/config/settings.yaml", 3_000, 0o644),
    ] {
        let n = 200_000;
        let (_, t) = measure(|| {
            for _ in 0..n {
                std::hint::black_box(start(std::hint::black_box(p), size, mode).is_some());
            }
        });
        println!(
            "  hot {:<52} {:>6.1} ns  ({})",
            p,
            t.as_nanos() as f64 / n as f64,
            if start(p, size, mode).is_some() {
                "wanted"
            } else {
                "unwanted"
            }
        );
    }
    println!(
        "start(): {} files of /usr and /etc, {} unwanted; wanted by {:?}\n  all: {:.1} ns/call   unwanted only: {:.1} ns/call (cpu, median of {})",
        files.len(),
        unwanted.len(),
        by,
        all.as_nanos() as f64 / files.len() as f64,
        none.as_nanos() as f64 / unwanted.len() as f64,
        runs()
    );
}

/// Text like configs, scripts and source, with occasional token-like strings.
fn text_files(n: usize) -> Vec<(String, Vec<u8>)> {
    let words = [
        "server",
        "port",
        "host",
        "name",
        "value",
        "enabled",
        "timeout",
        "path",
        "user",
        "config",
        "database",
        "cache",
        "secret_ref",
        "token_url",
        "AKIA_DOCS",
        "ghp_",
        "xox",
        "sk_test_",
        "-----",
        "AIza",
        "github",
        "glpat",
    ];
    let exts = [
        "yaml", "json", "js", "py", "sh", "conf", "env", "toml", "ts", "rb",
    ];
    let sizes = common::random_sizes(42, 1 << 20, n);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        // Log-uniform 256 B .. 16 KiB.
        let f = (sizes[i] as f64) / f64::from(1u32 << 20);
        let size = (256.0 * 64f64.powf(f)) as usize;
        let mut s = String::with_capacity(size + 64);
        let mut j = i;
        while s.len() < size {
            j = j
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let w = words[(j >> 33) % words.len()];
            match (j >> 20) % 7 {
                0 => s.push_str(&format!("{w}: {}\n", (j >> 40) % 100_000)),
                1 => s.push_str(&format!("  {w} = \"{w}-{}\"\n", (j >> 30) % 977)),
                2 => s.push_str(&format!("const {w} = require('{w}/{w}');\n")),
                3 => s.push_str(&format!("# {w} {w} {w} the quick brown fox jumps over\n")),
                4 => s.push_str(&format!(
                    "export {}={}\n",
                    w.to_uppercase(),
                    (j >> 12) % 1_000_000
                )),
                5 => s.push_str(&format!("{{\"{w}\": [{}, \"{w}\"]}},\n", j % 1000)),
                _ => s.push_str(&format!(
                    "if {w}.startswith('{w}'): return {w}_{}\n",
                    j % 97
                )),
            }
        }
        let ext = exts[i % exts.len()];
        let path = if ext == "env" {
            format!("srv/app/{i}/.env")
        } else {
            format!("srv/app/src/m{i}.{ext}")
        };
        out.push((path, s.into_bytes()));
    }
    out
}

fn bench_image() {
    let max: u64 = std::env::var("SNIFF_BENCH_IMAGE_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_500_000_000);
    let mut files = Vec::new();
    for d in [
        "/etc",
        "/usr/bin",
        "/usr/sbin",
        "/usr/share",
        "/usr/lib/python3",
        "/usr/lib/python3.11",
        "/usr/lib/ruby",
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/jvm",
        "/usr/lib/go-1.19",
    ] {
        walk(std::path::Path::new(d), &mut files);
    }
    let mut total = 0u64;
    files.retain(|f| {
        total += f.1;
        total <= max
    });
    let total: u64 = files.iter().map(|f| f.1).sum();
    // Batches of ≤ 128 MB held in memory, each timed as a whole (hot, as in `hot_cost`).
    let mut per_det: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    let mut t = Duration::ZERO;
    let mut batch: Vec<(String, u32, Vec<u8>)> = Vec::new();
    let mut batch_bytes = 0usize;
    let mut cold = Duration::ZERO;
    let mut flush = |batch: &mut Vec<(String, u32, Vec<u8>)>, t: &mut Duration| {
        let refs: Vec<(&str, u32, &[u8])> = batch
            .iter()
            .map(|(p, m, b)| (p.as_str(), *m, b.as_slice()))
            .collect();
        *t += hot_cost(&refs);
        cold += measure(|| {
            for (p, m, b) in &refs {
                std::hint::black_box(sniff(p, *m, b));
            }
        })
        .1;
        batch.clear();
    };
    for (p, _, m) in &files {
        let Ok(b) = std::fs::read(format!("/{p}")) else {
            continue;
        };
        let det = start(p, b.len() as u64, *m).map(|s| s.detector());
        let e = per_det
            .entry(det.map_or("none".into(), |d: Detector| format!("{d:?}")))
            .or_default();
        e.0 += 1;
        e.1 += b.len() as u64;
        batch_bytes += b.len();
        batch.push((p.clone(), *m, b));
        if batch_bytes > 128 << 20 {
            flush(&mut batch, &mut t);
            batch_bytes = 0;
        }
    }
    flush(&mut batch, &mut t);
    let pass15 = total as f64 / 1.5e9;
    let pass2 = total as f64 / 2.0e9;
    println!(
        "image: {} files, {:.1} MB: detectors {:.1} ms cpu (hot, medians of {}) = {:.2} % of a 1.5 GB/s pass, {:.2} % at 2 GB/s",
        files.len(),
        total as f64 / 1e6,
        t.as_secs_f64() * 1e3,
        runs(),
        100.0 * t.as_secs_f64() / pass15,
        100.0 * t.as_secs_f64() / pass2
    );
    println!(
        "  measured directly (bytes not pre-touched: an upper bound): {:.1} ms cpu = {:.2} % of a 1.5 GB/s pass, {:.2} % at 2 GB/s",
        cold.as_secs_f64() * 1e3,
        100.0 * cold.as_secs_f64() / pass15,
        100.0 * cold.as_secs_f64() / pass2
    );
    for (d, (n, b)) in per_det {
        println!("  {d:<6} {n:>7} files {:>9.1} MB", b as f64 / 1e6);
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!(
        "chunks of {CHUNK} bytes; wall and thread-CPU medians of {} runs",
        runs()
    );
    if only("start") {
        bench_start();
    }
    if only("go") {
        match std::fs::read("/usr/bin/hugo") {
            Ok(b) => bench_file(
                "Go binary /usr/bin/hugo (cgo, external link)",
                "usr/bin/hugo",
                0o755,
                &b,
            ),
            Err(_) => {
                let text = vec![0x90u8; 48 << 20];
                let mut data = vec![0u8; 2 << 20];
                data.extend_from_slice(&common::go_blob(
                    "go1.22.3",
                    "path\tx\nmod\tx\tv1\t\n",
                    false,
                ));
                let bin = common::elf(
                    &[
                        common::Seg {
                            p_type: 1,
                            flags: 5,
                            vaddr: 0x400000,
                            bytes: &text,
                        },
                        common::Seg {
                            p_type: 1,
                            flags: 6,
                            vaddr: 0x4000000,
                            bytes: &data,
                        },
                    ],
                    b"",
                    true,
                    false,
                );
                bench_file("Go binary (generated, 50 MB)", "usr/bin/app", 0o755, &bin);
            }
        }
        if let Ok(b) = std::fs::read("/usr/bin/fzf") {
            bench_file("Go binary /usr/bin/fzf", "usr/bin/fzf", 0o755, &b);
        }
    }
    if only("elf") {
        for p in [
            "/root/.rustup/toolchains/1.95.0-x86_64-unknown-linux-gnu/bin/cargo",
            "/usr/bin/ruby3.1",
            "/usr/bin/python3.11",
        ] {
            if let Ok(b) = std::fs::read(p) {
                bench_file(
                    &format!("ELF, no build info: {}", p.rsplit('/').next().unwrap()),
                    &p[1..],
                    0o755,
                    &b,
                );
            }
        }
        if let Ok(p) = std::env::var("SNIFF_AUDITABLE_BIN") {
            let b = std::fs::read(&p).unwrap();
            bench_file(
                "cargo-auditable binary (SNIFF_AUDITABLE_BIN)",
                "usr/local/bin/x",
                0o755,
                &b,
            );
        }
    }
    if only("jar") {
        // ~20 MB, members like class files, written like the JDK's jar tool (bit 3).
        let mut z = common::Zip::default();
        let mut i = 0u32;
        let mut seed = 1u64;
        while z.buf.len() < 20 << 20 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            let n = 1000 + (seed >> 40) as usize % 30_000;
            let mut data: Vec<u8> = common::random_sizes(seed, 256, n / 2)
                .iter()
                .map(|&x| x as u8)
                .collect();
            data.extend(
                std::iter::repeat_n(b"getClassLoaderInvokeVirtual".as_slice(), n / 54).flatten(),
            );
            z.add(
                &format!("org/acme/p{}/C{i}.class", i % 50),
                &data,
                common::Method::Deflated,
                common::Desc::WithSig,
            );
            if i == 5000 {
                z.add(
                    "META-INF/maven/org.acme/big/pom.properties",
                    &common::pom_properties("org.acme", "big", "1.0"),
                    common::Method::Deflated,
                    common::Desc::WithSig,
                );
            }
            i += 1;
        }
        z.add(
            "META-INF/maven/org.acme/big/pom.xml",
            b"<project/>",
            common::Method::Deflated,
            common::Desc::WithSig,
        );
        let jar = z.finish();
        bench_file(
            "jar 20 MB, bit-3 descriptors (jar tool)",
            "app/big-1.0.jar",
            0o644,
            &jar,
        );
        let mut z2 = common::Zip::default();
        let mut i = 0u32;
        let mut seed = 1u64;
        while z2.buf.len() < 20 << 20 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            let n = 1000 + (seed >> 40) as usize % 30_000;
            let mut data: Vec<u8> = common::random_sizes(seed, 256, n / 2)
                .iter()
                .map(|&x| x as u8)
                .collect();
            data.extend(
                std::iter::repeat_n(b"getClassLoaderInvokeVirtual".as_slice(), n / 54).flatten(),
            );
            z2.add(
                &format!("org/acme/p{}/C{i}.class", i % 50),
                &data,
                common::Method::Deflated,
                common::Desc::None,
            );
            i += 1;
        }
        bench_file(
            "jar 20 MB, sizes in headers",
            "app/big-1.0.jar",
            0o644,
            &z2.finish(),
        );
    }
    if only("fatjar") {
        // Every jar of /usr/share/java stored in one fat jar (Spring Boot layout).
        let mut z = common::Zip::default();
        z.add(
            "META-INF/maven/com.example/app/pom.properties",
            &common::pom_properties("com.example", "app", "1"),
            common::Method::Deflated,
            common::Desc::WithSig,
        );
        let mut n = 0;
        if let Ok(rd) = std::fs::read_dir("/usr/share/java") {
            for e in rd.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "jar")
                    && !e.file_type().is_ok_and(|t| t.is_symlink())
                {
                    if let Ok(b) = std::fs::read(&p) {
                        z.add(
                            &format!("BOOT-INF/lib/{}", p.file_name().unwrap().to_string_lossy()),
                            &b,
                            common::Method::Stored,
                            common::Desc::None,
                        );
                        n += 1;
                    }
                }
            }
        }
        if n > 0 {
            let jar = z.finish();
            let found = common::feed_with("app/app.jar", 0o644, &jar, &[CHUNK]).unwrap();
            let comps = common::packages(&found)
                .first()
                .map_or(0, |p| p.components.len());
            bench_file(
                &format!("fat jar, {n} nested jars ({comps} identified)"),
                "app/app.jar",
                0o644,
                &jar,
            );
        }
    }
    if only("text") {
        // Real text: source, configs and scripts of this machine (Python, Go, Ruby, /etc),
        // as if they were an application's (`srv/app/...`).
        let mut real = Vec::new();
        for d in [
            "/etc",
            "/usr/lib/python3.11",
            "/usr/share/go-1.19/src",
            "/usr/lib/ruby",
        ] {
            walk(std::path::Path::new(d), &mut real);
        }
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        for (p, size, _) in real {
            let ext = p.rsplit_once('.').map(|x| x.1).unwrap_or("");
            if size == 0
                || size > 1 << 20
                || !matches!(
                    ext,
                    "py" | "go" | "rb" | "json" | "sh" | "conf" | "yaml" | "yml" | "js" | "txt"
                )
            {
                continue;
            }
            if let Ok(b) = std::fs::read(format!("/{p}")) {
                files.push((format!("srv/app/{}.{ext}", files.len()), b));
            }
            if files.len() == 10_000 {
                break;
            }
        }
        if !files.is_empty() {
            let bytes: u64 = files.iter().map(|f| f.1.len() as u64).sum();
            let found: usize = files.iter().map(|(p, b)| sniff(p, 0o644, b).1).sum();
            let t = measure(|| {
                for (p, b) in &files {
                    std::hint::black_box(sniff(p, 0o644, b));
                }
            });
            let refs: Vec<(&str, u32, &[u8])> = files
                .iter()
                .map(|(p, b)| (p.as_str(), 0o644, b.as_slice()))
                .collect();
            let hot = hot_cost(&refs);
            report(
                &format!("{} real text files (secret scan)", files.len()),
                bytes,
                bytes,
                t,
                hot,
                found,
            );
            println!(
                "  = {:.0} ns per file (cpu)",
                t.1.as_nanos() as f64 / files.len() as f64
            );
        }
        let files = text_files(10_000);
        let bytes: u64 = files.iter().map(|f| f.1.len() as u64).sum();
        let mut found = 0;
        for (p, b) in &files {
            found += sniff(p, 0o644, b).1;
        }
        let t = measure(|| {
            for (p, b) in &files {
                std::hint::black_box(sniff(p, 0o644, b));
            }
        });
        let refs: Vec<(&str, u32, &[u8])> = files
            .iter()
            .map(|(p, b)| (p.as_str(), 0o644, b.as_slice()))
            .collect();
        let hot = hot_cost(&refs);
        report(
            "10,000 generated text files, token-dense",
            bytes,
            bytes,
            t,
            hot,
            found,
        );
        println!(
            "  = {:.0} ns per file (cpu)",
            t.1.as_nanos() as f64 / files.len() as f64
        );
        // One large text candidate in small chunks (seams every 4 KiB).
        let big: Vec<u8> = files
            .iter()
            .flat_map(|f| f.1.iter().copied())
            .take(1 << 20)
            .collect();
        let t = measure(|| {
            let mut s = start("srv/app/big.js", big.len() as u64, 0o644).unwrap();
            for c in big.chunks(4096) {
                s.feed(c);
            }
            std::hint::black_box(s.finish());
        });
        report(
            "1 MiB text file in 4 KiB chunks",
            big.len() as u64,
            big.len() as u64,
            t,
            t.1,
            0,
        );
    }
    if only("image") {
        bench_image();
    }
}

//! Throughput against ceilings measured in the same run, on generated fleets.
//!
//! `cargo bench --bench throughput` prints markdown tables: for each input format two
//! ceilings measured on the same layer bytes, on all cores with rayon, largest first —
//! the least work full mode must do (sha256 of every layer stream, plus decoding and
//! sha256 of the stored blob when compressed) and the least work trust mode must do
//! (reading, or decoding, the blobs) — then the full analysis (every diff_id verified,
//! every file recorded) and the trust mode, with the ratios by wall time and by CPU
//! time; then thread scaling and the layer cache. It is a plain `main` rather than a criterion/divan harness because the
//! point is the *ratio* of two measurements taken side by side on a noisy machine.
//!
//! Environment:
//! - `LAYERLENS_BENCH_SCALE`: fleet size (default `1GB`); archives are generated once
//!   under `target/layerlens-bench/` and reused.
//! - `LAYERLENS_BENCH_RUNS`: timed runs per measurement, median reported (default 5).
//! - `LAYERLENS_BENCH_ONLY`: comma-separated groups: `docker`, `docker25`, `oci-gzip`,
//!   `oci-zstd`, `gzip`, `threads`, `cache`, `detect` (default: all).
//! - `detect`: what the detectors (`Options::detect`: Go/cargo/jar/gem packages, keys
//!   and secrets) cost in the layer pass: the docker25 fleet and every
//!   `LAYERLENS_BENCH_ARCHIVES` archive analysed with them on and off, the runs
//!   interleaved (on, off, on, off…) so that other tenants disturb both alike.
//! - `LAYERLENS_BENCH_THREADS`: the most threads (default: available cores).

use std::path::{Path, PathBuf};

use layerlens::present::parse_size;
use layerlens::{Analyzer, Detect, Options, Verify};
use layerlens_testtools::bench::{
    archives_from_env, ceiling_gunzip, ceiling_layers, cpu_seconds, layer_ranges, mbps, median,
    Time,
};
use layerlens_testtools::synth::{self, SynthFormat, SynthOptions};
use std::time::Instant;

fn main() {
    let scale_s = std::env::var("LAYERLENS_BENCH_SCALE").unwrap_or_else(|_| "1GB".into());
    let scale = parse_size(&scale_s).expect("LAYERLENS_BENCH_SCALE is a size");
    let runs: usize = env_num("LAYERLENS_BENCH_RUNS", 5);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let max_threads: usize = env_num("LAYERLENS_BENCH_THREADS", cores);
    let only = std::env::var("LAYERLENS_BENCH_ONLY").ok();
    let wanted = |g: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|x| x.trim() == g))
    };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/layerlens-bench");
    std::fs::create_dir_all(&dir).expect("creating the bench directory");
    println!(
        "# layerlens throughput: scale {scale_s}, {runs} runs per cell (median), {max_threads} threads, {cores} cores\n"
    );

    let mut rows = Vec::new();
    for format in SynthFormat::ALL {
        if !wanted(format.name()) {
            continue;
        }
        let path = fixture(&dir, &scale_s, scale, format);
        let ranges = layer_ranges(&path);
        let t = max_threads;
        // The least work each mode must do: full mode hashes every layer stream (and
        // every stored blob), trust mode only reads (and decodes) them.
        let (full_name, ceil_full, trust_name, ceil_trust) = match format {
            SynthFormat::Docker | SynthFormat::Docker25 => (
                "sha256 of layers",
                median(runs, || ceiling_layers(&path, &ranges, t, true)),
                "read of layers",
                median(runs, || ceiling_layers(&path, &ranges, t, false)),
            ),
            SynthFormat::OciGzip | SynthFormat::OciZstd => (
                "decode + sha256 of stored and decoded",
                median(runs, || ceiling_layers(&path, &ranges, t, true)),
                "decode of layers",
                median(runs, || ceiling_layers(&path, &ranges, t, false)),
            ),
            SynthFormat::Gzip => (
                "gunzip + sha256 (1 stream)",
                median(runs, || ceiling_gunzip(&path, true)),
                "gunzip (1 stream)",
                median(runs, || ceiling_gunzip(&path, false)),
            ),
            _ => unreachable!("every format is listed"),
        };
        let tar_bytes = analyse(&path, t, Verify::Full, None);
        let full = median(runs, || analyse(&path, t, Verify::Full, None));
        let trust = median(runs, || analyse(&path, t, Verify::Trust, None));
        rows.push(row(
            format.name(),
            (full_name, ceil_full, full),
            (trust_name, ceil_trust, trust),
            tar_bytes,
        ));
    }
    // Any archives of your own (uncompressed outer tar: docker save, oci-archive), e.g.
    // real images: LAYERLENS_BENCH_ARCHIVES=a.tar,b.tar. Layers compressed or not.
    for path in archives_from_env() {
        let ranges = layer_ranges(&path);
        assert!(
            !ranges.is_empty(),
            "{}: no layer blobs found",
            path.display()
        );
        let t = max_threads;
        let ceil_full = median(runs, || ceiling_layers(&path, &ranges, t, true));
        let ceil_trust = median(runs, || ceiling_layers(&path, &ranges, t, false));
        let tar_bytes = analyse(&path, t, Verify::Full, None);
        let full = median(runs, || analyse(&path, t, Verify::Full, None));
        let trust = median(runs, || analyse(&path, t, Verify::Trust, None));
        rows.push(row(
            &path.file_name().unwrap_or_default().to_string_lossy(),
            ("(decode +) sha256", ceil_full, full),
            ("read / decode", ceil_trust, trust),
            tar_bytes,
        ));
    }
    if !rows.is_empty() {
        println!("MB/s are uncompressed layer bytes per second of wall time; ratios are ceiling ÷ layerlens, by wall time / by CPU time of this process.\n");
        println!("| format | full-mode ceiling MB/s | full MB/s | full ÷ ceiling (wall / cpu) | trust-mode ceiling MB/s | trust MB/s | trust ÷ ceiling (wall / cpu) |");
        println!("|---|---|---|---|---|---|---|");
        for r in &rows {
            println!("{r}");
        }
        println!();
    }

    if wanted("threads") {
        let path = fixture(&dir, &scale_s, scale, SynthFormat::Docker25);
        let ranges = layer_ranges(&path);
        let bytes: u64 = ranges.iter().map(|r| r.1).sum();
        println!("## Thread scaling (docker25, full analysis)\n");
        println!("| threads | ceiling MB/s | full MB/s | full / ceiling | speed-up vs 1 thread |");
        println!("|---|---|---|---|---|");
        let mut one = None;
        for t in 1..=max_threads {
            let c = median(runs, || ceiling_layers(&path, &ranges, t, true));
            let f = median(runs, || analyse(&path, t, Verify::Full, None));
            let base = *one.get_or_insert(f);
            println!(
                "| {t} | {:.0} | {:.0} | {:.0} % | {:.2}× |",
                mbps(bytes, c.wall),
                mbps(bytes, f.wall),
                100.0 * c.wall / f.wall,
                base.wall / f.wall
            );
        }
        println!();
    }

    if wanted("detect") {
        let mut inputs = vec![fixture(&dir, &scale_s, scale, SynthFormat::Docker25)];
        inputs.extend(archives_from_env());
        println!("## Detectors in the layer pass (full analysis, {max_threads} threads)\n");
        println!("Runs interleaved, medians; share = (on − off) ÷ off.\n");
        println!("| input | MB | off: wall ms / cpu ms | on: wall ms / cpu ms | share by wall | share by cpu |");
        println!("|---|---|---|---|---|---|");
        for path in inputs {
            let bytes = analyse_with(&path, max_threads, Detect::No);
            let (on, off) = interleaved(runs, || {
                (
                    time(|| analyse_with(&path, max_threads, Detect::Yes)),
                    time(|| analyse_with(&path, max_threads, Detect::No)),
                )
            });
            println!(
                "| {} | {:.0} | {:.0} / {:.0} | {:.0} / {:.0} | {:+.1} % | {:+.1} % |",
                path.file_name().unwrap_or_default().to_string_lossy(),
                bytes as f64 / 1e6,
                off.wall * 1e3,
                off.cpu * 1e3,
                on.wall * 1e3,
                on.cpu * 1e3,
                100.0 * (on.wall - off.wall) / off.wall,
                100.0 * (on.cpu - off.cpu) / off.cpu.max(1e-3),
            );
        }
        println!();
    }

    if wanted("cache") {
        let path = fixture(&dir, &scale_s, scale, SynthFormat::Docker25);
        let cache = dir.join(format!("cache-{scale_s}"));
        let _ = std::fs::remove_dir_all(&cache);
        let bytes = analyse(&path, max_threads, Verify::Full, None);
        let miss = median(runs, || {
            let _ = std::fs::remove_dir_all(&cache);
            analyse(&path, max_threads, Verify::Full, Some(&cache))
        });
        analyse(&path, max_threads, Verify::Full, Some(&cache));
        let hit = median(runs, || {
            analyse(&path, max_threads, Verify::Full, Some(&cache))
        });
        let none = median(runs, || analyse(&path, max_threads, Verify::Full, None));
        println!("## Layer cache (docker25, full analysis)\n");
        println!("| run | wall ms | MB/s | vs no cache |");
        println!("|---|---|---|---|");
        for (name, t) in [
            ("no cache", none),
            ("cache miss (cold, writes)", miss),
            ("cache hit", hit),
        ] {
            println!(
                "| {name} | {:.0} | {:.0} | {:.1}× |",
                t.wall * 1e3,
                mbps(bytes, t.wall),
                none.wall / t.wall
            );
        }
        println!();
    }
}

/// One table row: each mode's ceiling and layerlens, in MB/s and as ratios by wall and
/// by CPU time.
fn row(name: &str, full: (&str, Time, Time), trust: (&str, Time, Time), bytes: u64) -> String {
    let mut out = format!("| {name} |");
    for (what, ceiling, ours) in [full, trust] {
        out += &format!(
            " {what}: {:.0} | {:.0} | {:.0} % / {:.0} % |",
            mbps(bytes, ceiling.wall),
            mbps(bytes, ours.wall),
            100.0 * ceiling.wall / ours.wall,
            100.0 * ceiling.cpu / ours.cpu.max(1e-3),
        );
    }
    out
}

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn fixture(dir: &Path, scale_s: &str, scale: u64, format: SynthFormat) -> PathBuf {
    let path = dir.join(format!("fleet-{scale_s}-{}.tar", format.name()));
    if !path.exists() {
        let tmp = path.with_extension("partial");
        let s = synth::generate(&tmp, &SynthOptions::new(scale, format)).expect("generating");
        std::fs::rename(&tmp, &path).expect("renaming the generated archive");
        eprintln!("generated {}: {s:?}", path.display());
    }
    path
}

/// One timed call.
fn time<T>(f: impl FnOnce() -> T) -> Time {
    let (t, c) = (Instant::now(), cpu_seconds());
    std::hint::black_box(f());
    Time {
        wall: t.elapsed().as_secs_f64(),
        cpu: cpu_seconds() - c,
    }
}

/// One untimed warm-up, then `runs` pairs measured back to back: the medians of each side.
fn interleaved(runs: usize, mut pair: impl FnMut() -> (Time, Time)) -> (Time, Time) {
    pair();
    let mut a = Vec::new();
    let mut b = Vec::new();
    for _ in 0..runs.max(1) {
        let (x, y) = pair();
        a.push(x);
        b.push(y);
    }
    let med = |v: &mut Vec<Time>| {
        let mut w: Vec<f64> = v.iter().map(|t| t.wall).collect();
        let mut c: Vec<f64> = v.iter().map(|t| t.cpu).collect();
        w.sort_by(f64::total_cmp);
        c.sort_by(f64::total_cmp);
        Time {
            wall: w[w.len() / 2],
            cpu: c[c.len() / 2],
        }
    };
    (med(&mut a), med(&mut b))
}

/// A full analysis with the detectors on or off; the uncompressed layer bytes.
fn analyse_with(path: &Path, threads: usize, detect: Detect) -> u64 {
    let opts = Options::default().threads(threads).detect(detect);
    let set = Analyzer::new(opts)
        .analyze(&[path.to_string_lossy()])
        .expect("analysis");
    set.layers.values().map(|l| l.tar_size).sum()
}

fn analyse(path: &Path, threads: usize, verify: Verify, cache: Option<&Path>) -> u64 {
    let opts = {
        let mut o = Options::default().threads(threads).verify(verify);
        o.cache = cache.map(Path::to_path_buf);
        o
    };
    let set = Analyzer::new(opts)
        .analyze(&[path.to_string_lossy()])
        .expect("analysis");
    set.layers.values().map(|l| l.tar_size).sum()
}

//! The whole job as a user runs it — analyse the inputs, build the report, write it as
//! JSON — against a ceiling measured in the same process: a plain sha256 of the same
//! layer bytes on every core, with layerlens's own largest-first schedule.
//!
//! `cargo bench --bench end_to_end` prints markdown tables:
//!
//! - **end to end** (group `e2e`) on a generated fleet shaped like a real one
//!   (`python-fleet`: 16 Python services on one fat Debian + Python base, pip and npm
//!   layers of thousands of small files, caches deleted in later layers) and on any
//!   archives in `LAYERLENS_BENCH_ARCHIVES`: the layer pass alone and end to end, each
//!   as MB/s and as a share of the ceiling, and the report phase's share of the run;
//!   then end to end against a second ceiling that hashes two layers per core at once
//!   (SHA-NI, `layerlens_sha256x2`), as layerlens's own layer pass does on such CPUs:
//!   the first ratio is the yardstick, the second what is left of layerlens's
//!   own work per byte;
//! - **scale** (group `scale`): many images on few bases (`many`: each image one small
//!   layer) at 16, 100, 400 and 1,000 images, each measured in a child process of its
//!   own: wall time, the ratio to 16 images, peak memory against the budget of
//!   64 MB + 256 B per distinct entry;
//! - **cache** (group `cache`): the same run with an empty `--cache`, then again with
//!   the cache filled.
//!
//! Environment: `LAYERLENS_BENCH_SCALE` (the fleet, default `1GB`),
//! `LAYERLENS_BENCH_BASE` (the bases of `many`, default `450MB`),
//! `LAYERLENS_BENCH_IMAGES` (default `16,100,400,1000`), `LAYERLENS_BENCH_RUNS` (timed
//! runs per cell, median reported; default 5), `LAYERLENS_BENCH_THREADS` (default: every
//! core), `LAYERLENS_BENCH_ONLY` (`e2e`, `scale`, `cache`), `LAYERLENS_BENCH_ARCHIVES`
//! (comma-separated archives of your own, e.g. real `docker save` files).

use std::path::{Path, PathBuf};
use std::process::Command;

use layerlens::present::parse_size;
use layerlens::{Analyzer, Options, ReportOptions};
use layerlens_testtools::bench::{
    archives_from_env, ceiling_layers, ceiling_layers_paired, layer_ranges, mbps, median, peak_rss,
    Time,
};
use layerlens_testtools::synth::{self, SynthFormat, SynthOptions, SynthShape};

fn main() {
    if let Ok(path) = std::env::var("LAYERLENS_BENCH_CHILD") {
        return child(Path::new(&path));
    }
    let runs: usize = env_num("LAYERLENS_BENCH_RUNS", 5);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads: usize = env_num("LAYERLENS_BENCH_THREADS", cores);
    let only = std::env::var("LAYERLENS_BENCH_ONLY").ok();
    let wanted = |g: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|x| x.trim() == g))
    };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/layerlens-bench");
    std::fs::create_dir_all(&dir).expect("creating the bench directory");
    let scale_s = std::env::var("LAYERLENS_BENCH_SCALE").unwrap_or_else(|_| "1GB".into());
    let base_s = std::env::var("LAYERLENS_BENCH_BASE").unwrap_or_else(|_| "450MB".into());
    println!(
        "# layerlens end to end: {runs} runs per cell (median), {threads} threads, {cores} cores\n"
    );

    if wanted("e2e") {
        let mut inputs = vec![generated(&dir, &scale_s, SynthShape::PythonFleet)];
        inputs.extend(archives_from_env());
        println!("## End to end: analyze --format json, against sha256 of the layers\n");
        println!("Ratios are ceiling ÷ layerlens by wall time (by CPU time of this process in brackets); the report share is the part of the end-to-end wall time after the layer pass (report and JSON).\n");
        println!("The second ceiling hashes two layers per core at once (SHA-NI), as layerlens's layer pass does on such CPUs: the ratio against it is what is left of layerlens's own work per byte. \"–\" where a layer is compressed.\n");
        println!("| input | layer MB | ceiling MB/s | layer pass MB/s | layer pass ÷ ceiling | end to end MB/s | end to end ÷ ceiling | report share | two-stream ceiling MB/s | end to end ÷ two-stream ceiling |");
        println!("|---|---|---|---|---|---|---|---|---|---|");
        for path in &inputs {
            let ranges = layer_ranges(path);
            assert!(!ranges.is_empty(), "{}: no layer blobs", path.display());
            let bytes: u64 = ranges.iter().map(|r| r.1).sum();
            let ceiling = median(runs, || ceiling_layers(path, &ranges, threads, true));
            let paired = ceiling_layers_paired(path, &ranges, threads)
                .is_some()
                .then(|| {
                    median(runs, || {
                        ceiling_layers_paired(path, &ranges, threads).unwrap_or_default()
                    })
                });
            let layers = median(runs, || analyse(path, threads, None, false));
            let e2e = median(runs, || analyse(path, threads, None, true));
            let share = (e2e.wall - layers.wall).max(0.0) / e2e.wall;
            let (paired_mbps, paired_ratio) = match paired {
                Some(p) => (
                    format!("{:.0}", mbps(bytes, p.wall)),
                    format!(
                        "{:.0} % ({:.0} %)",
                        100.0 * p.wall / e2e.wall,
                        100.0 * p.cpu / e2e.cpu.max(1e-3)
                    ),
                ),
                None => ("–".into(), "–".into()),
            };
            println!(
                "| {} | {:.0} | {:.0} | {:.0} | {:.0} % ({:.0} %) | {:.0} | {:.0} % ({:.0} %) | {:.1} % | {paired_mbps} | {paired_ratio} |",
                path.file_name().unwrap_or_default().to_string_lossy(),
                bytes as f64 / 1e6,
                mbps(bytes, ceiling.wall),
                mbps(bytes, layers.wall),
                100.0 * ceiling.wall / layers.wall,
                100.0 * ceiling.cpu / layers.cpu.max(1e-3),
                mbps(bytes, e2e.wall),
                100.0 * ceiling.wall / e2e.wall,
                100.0 * ceiling.cpu / e2e.cpu.max(1e-3),
                100.0 * share,
            );
        }
        println!();
    }

    if wanted("scale") {
        let images: Vec<usize> = std::env::var("LAYERLENS_BENCH_IMAGES")
            .unwrap_or_else(|_| "16,100,400,1000".into())
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect();
        println!("## Scale: many images on few bases ({base_s} of base layers), end to end\n");
        println!("Each row in a child process of its own (peak memory is that process's). Budget: 64 MB + 256 B per distinct entry.\n");
        println!("| images | archive MB | distinct entries | wall s | × the first row | CPU s | peak MB | budget MB |");
        println!("|---|---|---|---|---|---|---|---|");
        let mut first = None;
        for n in images {
            let path = generated(&dir, &base_s, SynthShape::Many { images: n });
            let out = Command::new(std::env::current_exe().expect("this bench"))
                .env("LAYERLENS_BENCH_CHILD", &path)
                .env("LAYERLENS_BENCH_RUNS", runs.to_string())
                .env("LAYERLENS_BENCH_THREADS", threads.to_string())
                .output()
                .expect("running a child");
            let text = String::from_utf8_lossy(&out.stdout);
            let f: Vec<f64> = text
                .split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect();
            let [wall, cpu, peak, entries] = f[..] else {
                panic!(
                    "child said {text:?} / {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            };
            let base = *first.get_or_insert(wall);
            let size = std::fs::metadata(&path).map_or(0, |m| m.len());
            println!(
                "| {n} | {:.0} | {entries:.0} | {wall:.3} | {:.2}× | {cpu:.3} | {:.1} | {:.1} |",
                size as f64 / 1e6,
                wall / base,
                peak / 1e6,
                (64e6 + 256.0 * entries) / 1e6,
            );
        }
        println!();
    }

    if wanted("cache") {
        let path = generated(&dir, &scale_s, SynthShape::PythonFleet);
        let cache = dir.join("cache-e2e");
        let cold = median(runs, || {
            let _ = std::fs::remove_dir_all(&cache);
            analyse(&path, threads, Some(&cache), true)
        });
        analyse(&path, threads, Some(&cache), true);
        let warm = median(runs, || analyse(&path, threads, Some(&cache), true));
        let none = median(runs, || analyse(&path, threads, None, true));
        println!("## Cache: the same run again, end to end (python-fleet {scale_s})\n");
        println!("| run | wall ms | vs the first run |");
        println!("|---|---|---|");
        for (name, t) in [
            ("no cache", none),
            ("first run, empty cache (fills it)", cold),
            ("again, cache filled", warm),
        ] {
            println!(
                "| {name} | {:.0} | {:.1}× |",
                t.wall * 1e3,
                cold.wall / t.wall
            );
        }
        println!();
    }
}

/// The measurement of one scale row, in this process: the peak memory of one run, then
/// medians of the runs and the distinct entries, on one line.
fn child(path: &Path) {
    let runs: usize = env_num("LAYERLENS_BENCH_RUNS", 5);
    let threads: usize = env_num("LAYERLENS_BENCH_THREADS", 0);
    // The peak of one run, as a user's process has it (later runs in the same process
    // only add the allocator's leftovers).
    analyse(path, threads, None, true);
    let peak = peak_rss();
    let t: Time = median(runs, || analyse(path, threads, None, true));
    let set = Analyzer::new(Options::default().threads(threads))
        .analyze(&[path.to_string_lossy()])
        .expect("analysis");
    let entries: usize = set.layers.values().map(|l| l.files.len()).sum();
    println!("{} {} {} {}", t.wall, t.cpu, peak, entries);
}

/// The layer pass, and with `report` the report built and written as JSON: what
/// `layerlens analyze --format json` does (through `Analyzer::analyze_report`, as the
/// CLI, so a filled `--cache` answers with the cached report). Returns the bytes
/// written.
fn analyse(path: &Path, threads: usize, cache: Option<&Path>, report: bool) -> usize {
    let mut opts = Options::default().threads(threads);
    if let Some(dir) = cache {
        opts = opts.cache(dir);
    }
    let analyzer = Analyzer::new(opts);
    let inputs = [path.to_string_lossy()];
    if !report {
        // Freed aside, as `analyze_report` frees its set: the layer pass alone is then
        // timed like the layer pass inside the end-to-end run.
        let set = analyzer.analyze(&inputs).expect("analysis");
        let n = set.layers.len();
        std::thread::spawn(move || drop(set));
        return n;
    }
    let r = analyzer
        .analyze_report(&inputs, &ReportOptions::default().threads(threads))
        .expect("a report");
    let mut out = Counting(0);
    r.write_json(&mut out).expect("writing");
    out.0
}

struct Counting(usize);

impl std::io::Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn generated(dir: &Path, scale_s: &str, shape: SynthShape) -> PathBuf {
    let name = match shape {
        SynthShape::Many { images } => format!("many-{scale_s}-{images}.tar"),
        other => format!("{}-{scale_s}.tar", other.name()),
    };
    let path = dir.join(name);
    if !path.exists() {
        let scale = parse_size(scale_s).expect("a size");
        let mut opts = SynthOptions::new(scale, SynthFormat::Docker25);
        opts.shape = shape;
        let tmp = path.with_extension("partial");
        let s = synth::generate(&tmp, &opts).expect("generating");
        std::fs::rename(&tmp, &path).expect("renaming the generated archive");
        eprintln!("generated {}: {s:?}", path.display());
    }
    path
}

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

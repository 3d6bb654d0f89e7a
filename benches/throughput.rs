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

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use layerlens::synth::{self, SynthFormat, SynthOptions};
use layerlens::{Analyzer, Detect, Options, Verify};
use sha2::Digest as _;

fn main() {
    let scale_s = std::env::var("LAYERLENS_BENCH_SCALE").unwrap_or_else(|_| "1GB".into());
    let scale = synth::parse_size(&scale_s).expect("LAYERLENS_BENCH_SCALE is a size");
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
    for path in std::env::var("LAYERLENS_BENCH_ARCHIVES")
        .ok()
        .iter()
        .flat_map(|v| v.split(','))
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
    {
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
        inputs.extend(
            std::env::var("LAYERLENS_BENCH_ARCHIVES")
                .ok()
                .iter()
                .flat_map(|v| v.split(','))
                .filter(|p| !p.is_empty())
                .map(PathBuf::from),
        );
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

fn mbps(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / 1e6 / seconds
}

/// Wall and CPU seconds of one measurement (medians, taken separately).
#[derive(Clone, Copy)]
struct Time {
    wall: f64,
    cpu: f64,
}

/// User + system CPU seconds of this process so far (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat(5); 100 ticks per second on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

/// One untimed warm-up (page cache, allocator), then the medians of `runs`.
fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> Time {
    f();
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    for _ in 0..runs.max(1) {
        let (t, c) = (Instant::now(), cpu_seconds());
        std::hint::black_box(f());
        walls.push(t.elapsed().as_secs_f64());
        cpus.push(cpu_seconds() - c);
    }
    walls.sort_by(f64::total_cmp);
    cpus.sort_by(f64::total_cmp);
    Time {
        wall: walls[walls.len() / 2],
        cpu: cpus[cpus.len() / 2],
    }
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

/// The byte ranges of the layer blobs of an uncompressed outer tar: every member that is
/// not JSON and not tiny. Largest first.
fn layer_ranges(path: &Path) -> Vec<(u64, u64)> {
    let file = File::open(path).expect("opening the archive");
    let head = {
        let mut h = [0u8; 2];
        let _ = (&file).read(&mut h);
        h
    };
    if head == [0x1f, 0x8b] {
        return Vec::new();
    }
    let mut archive = tar::Archive::new(BufReader::new(File::open(path).unwrap()));
    let mut ranges = Vec::new();
    for entry in archive.entries_with_seek().unwrap() {
        let mut entry = entry.unwrap();
        if entry.header().entry_type() != tar::EntryType::Regular || entry.size() < 4096 {
            continue;
        }
        let mut first = [0u8; 1];
        entry.read_exact(&mut first).unwrap();
        if first[0] != b'{' && first[0] != b'[' {
            ranges.push((entry.raw_file_position(), entry.size()));
        }
    }
    ranges.sort_by_key(|r| std::cmp::Reverse(r.1));
    ranges
}

struct Range<'f> {
    file: &'f File,
    pos: u64,
    end: u64,
}

impl Read for Range<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = (self.end - self.pos).min(buf.len() as u64) as usize;
        let n = std::os::unix::fs::FileExt::read_at(self.file, &mut buf[..want], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

/// A reader that sha256-hashes what passes, when asked to.
struct Hashing<R> {
    inner: R,
    hasher: Option<sha2::Sha256>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// Read every layer blob on `threads` cores, largest first: decompress it (gzip or
/// zstd, by magic) when compressed, and with `hash` sha256 the stored bytes and the
/// decoded stream, which is all full mode must do with the bytes. Returns the output.
fn ceiling_layers(path: &Path, ranges: &[(u64, u64)], threads: usize, hash: bool) -> u64 {
    let file = File::open(path).unwrap();
    pool(threads).install(|| {
        // The schedule layerlens uses for its layers, so that the ratio measures the
        // work per byte, not the load balance.
        layerlens::largest_first(ranges, |&(offset, len)| {
            let mut head = [0u8; 4];
            std::os::unix::fs::FileExt::read_exact_at(&file, &mut head, offset).unwrap();
            let range = Range {
                file: &file,
                pos: offset,
                end: offset + len,
            };
            let compressed = head[..2] == [0x1f, 0x8b] || head == [0x28, 0xb5, 0x2f, 0xfd];
            let stored = Hashing {
                inner: range,
                hasher: (hash && compressed).then(sha2::Sha256::new),
            };
            let decoded: Box<dyn Read> = if head[..2] == [0x1f, 0x8b] {
                Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
                    128 << 10,
                    stored,
                )))
            } else if compressed {
                Box::new(zstd::stream::read::Decoder::new(stored).unwrap())
            } else {
                Box::new(stored)
            };
            let mut out = Hashing {
                inner: decoded,
                hasher: hash.then(sha2::Sha256::new),
            };
            sink(&mut out)
        })
        .into_iter()
        .sum()
    })
}

/// gunzip the whole archive on one core (a single gzip stream cannot be split), with
/// `hash` also sha256-hashing each layer's share: here, simply every decoded byte.
fn ceiling_gunzip(path: &Path, hash: bool) -> u64 {
    let f = BufReader::with_capacity(128 << 10, File::open(path).unwrap());
    sink(&mut Hashing {
        inner: flate2::read::MultiGzDecoder::new(f),
        hasher: hash.then(sha2::Sha256::new),
    })
}

fn sink(r: &mut dyn Read) -> u64 {
    let mut buf = vec![0u8; 256 << 10];
    let mut total = 0;
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            return total;
        }
        total += n as u64;
    }
}

/// A full layerlens analysis; returns the uncompressed bytes of the distinct layers.
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
    let opts = Options {
        threads,
        detect,
        ..Options::default()
    };
    let set = Analyzer::new(opts)
        .analyze(&[path.to_string_lossy()])
        .expect("analysis");
    set.layers.values().map(|l| l.tar_size).sum()
}

fn analyse(path: &Path, threads: usize, verify: Verify, cache: Option<&Path>) -> u64 {
    let opts = Options {
        threads,
        verify,
        cache: cache.map(Path::to_path_buf),
        ..Options::default()
    };
    let set = Analyzer::new(opts)
        .analyze(&[path.to_string_lossy()])
        .expect("analysis");
    set.layers.values().map(|l| l.tar_size).sum()
}

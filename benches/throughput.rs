//! Throughput against ceilings measured in the same run, on generated fleets.
//!
//! `cargo bench --bench throughput` prints markdown tables: for each input format the
//! ceiling (sha256 of the same layer bytes, or decompression of the same blobs, on all
//! cores with rayon, largest first), the full analysis (every diff_id verified, every
//! file recorded) and the trust mode, with the ratios; then thread scaling and the
//! layer cache. It is a plain `main` rather than a criterion/divan harness because the
//! point is the *ratio* of two measurements taken side by side on a noisy machine.
//!
//! Environment:
//! - `LAYERLENS_BENCH_SCALE`: fleet size (default `1GB`); archives are generated once
//!   under `target/layerlens-bench/` and reused.
//! - `LAYERLENS_BENCH_RUNS`: timed runs per measurement, median reported (default 5).
//! - `LAYERLENS_BENCH_ONLY`: comma-separated groups: `docker`, `docker25`, `oci-gzip`,
//!   `oci-zstd`, `gzip`, `threads`, `cache` (default: all).
//! - `LAYERLENS_BENCH_THREADS`: the most threads (default: available cores).

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use layerlens::synth::{self, SynthFormat, SynthOptions};
use layerlens::{Analyzer, Options, Verify};
use rayon::prelude::*;
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
        let (ceiling_name, ceiling_bytes, ceiling) = match format {
            SynthFormat::Docker | SynthFormat::Docker25 => {
                let bytes = ranges.iter().map(|r| r.1).sum::<u64>();
                let t = median(runs, || {
                    ceiling_sha256(&path, &ranges, max_threads);
                });
                ("sha256 of layers", bytes, t)
            }
            SynthFormat::OciGzip | SynthFormat::OciZstd => {
                let bytes = ceiling_decode(&path, &ranges, max_threads);
                let t = median(runs, || {
                    ceiling_decode(&path, &ranges, max_threads);
                });
                ("decode of layers", bytes, t)
            }
            SynthFormat::Gzip => {
                let bytes = ceiling_gunzip(&path);
                let t = median(runs, || {
                    ceiling_gunzip(&path);
                });
                ("gunzip of archive (1 core)", bytes, t)
            }
            _ => unreachable!("every format is listed"),
        };
        let tar_bytes = analyse(&path, max_threads, Verify::Full, None);
        let full = median(runs, || {
            analyse(&path, max_threads, Verify::Full, None);
        });
        let trust = median(runs, || {
            analyse(&path, max_threads, Verify::Trust, None);
        });
        // Ratios are of times over the same bytes.
        let _ = ceiling_bytes;
        rows.push(format!(
            "| {} | {} | {:.0} | {:.0} | {:.0} | {:.0} % | {:.0} % |",
            format.name(),
            ceiling_name,
            mbps(tar_bytes, ceiling),
            mbps(tar_bytes, full),
            mbps(tar_bytes, trust),
            100.0 * ceiling.as_secs_f64() / full.as_secs_f64(),
            100.0 * ceiling.as_secs_f64() / trust.as_secs_f64(),
        ));
    }
    if !rows.is_empty() {
        println!("MB/s are uncompressed layer bytes per second of wall time.\n");
        println!("| format | ceiling | ceiling MB/s | full MB/s | trust MB/s | full / ceiling | trust / ceiling |");
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
            let c = median(runs, || {
                ceiling_sha256(&path, &ranges, t);
            });
            let f = median(runs, || {
                analyse(&path, t, Verify::Full, None);
            });
            let base = *one.get_or_insert(f);
            println!(
                "| {t} | {:.0} | {:.0} | {:.0} % | {:.2}× |",
                mbps(bytes, c),
                mbps(bytes, f),
                100.0 * c.as_secs_f64() / f.as_secs_f64(),
                base.as_secs_f64() / f.as_secs_f64()
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
            analyse(&path, max_threads, Verify::Full, Some(&cache));
        });
        analyse(&path, max_threads, Verify::Full, Some(&cache));
        let hit = median(runs, || {
            analyse(&path, max_threads, Verify::Full, Some(&cache));
        });
        let none = median(runs, || {
            analyse(&path, max_threads, Verify::Full, None);
        });
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
                t.as_secs_f64() * 1e3,
                mbps(bytes, t),
                none.as_secs_f64() / t.as_secs_f64()
            );
        }
        println!();
    }
}

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn mbps(bytes: u64, t: Duration) -> f64 {
    bytes as f64 / 1e6 / t.as_secs_f64()
}

/// One untimed warm-up (page cache, allocator), then the median of `runs`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    f();
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
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

/// sha256 of every layer's bytes, nothing else, on `threads` cores.
fn ceiling_sha256(path: &Path, ranges: &[(u64, u64)], threads: usize) {
    let file = File::open(path).unwrap();
    pool(threads).install(|| {
        ranges.par_iter().for_each(|&(offset, len)| {
            let mut r = Range {
                file: &file,
                pos: offset,
                end: offset + len,
            };
            let mut h = sha2::Sha256::new();
            let mut buf = vec![0u8; 256 << 10];
            loop {
                let n = r.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
            }
            std::hint::black_box(h.finalize());
        })
    });
}

/// Decompress every layer blob (gzip or zstd by magic) into a sink; returns output bytes.
fn ceiling_decode(path: &Path, ranges: &[(u64, u64)], threads: usize) -> u64 {
    let file = File::open(path).unwrap();
    pool(threads).install(|| {
        ranges
            .par_iter()
            .map(|&(offset, len)| {
                let mut head = [0u8; 2];
                std::os::unix::fs::FileExt::read_exact_at(&file, &mut head, offset).unwrap();
                let r = Range {
                    file: &file,
                    pos: offset,
                    end: offset + len,
                };
                let mut dec: Box<dyn Read> = if head == [0x1f, 0x8b] {
                    Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
                        128 << 10,
                        r,
                    )))
                } else {
                    Box::new(zstd::stream::read::Decoder::new(r).unwrap())
                };
                sink(&mut dec)
            })
            .sum()
    })
}

/// gunzip the whole archive on one core (a single gzip stream cannot be split).
fn ceiling_gunzip(path: &Path) -> u64 {
    let f = BufReader::with_capacity(128 << 10, File::open(path).unwrap());
    sink(&mut flate2::read::MultiGzDecoder::new(f))
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

//! What the benches share: medians of wall and CPU time, the layer byte ranges of an
//! archive, the ceilings (sha256 of those bytes, or just reading or decoding them, on
//! every core, with layerlens's own largest-first schedule), and the peak memory of
//! this process.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use sha2::Digest as _;

/// Wall and CPU seconds of one measurement (medians, taken separately).
#[derive(Clone, Copy, Debug)]
pub struct Time {
    /// Wall-clock seconds.
    pub wall: f64,
    /// User + system CPU seconds of this process.
    pub cpu: f64,
}

/// The archives named in `LAYERLENS_BENCH_ARCHIVES` (comma-separated; e.g. real
/// `docker save` files), in order; none when it is unset.
pub fn archives_from_env() -> Vec<PathBuf> {
    std::env::var("LAYERLENS_BENCH_ARCHIVES")
        .map(|v| {
            v.split(',')
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
                .collect()
        })
        .unwrap_or_default()
}

/// User + system CPU seconds of this process so far (Linux; 0 elsewhere).
pub fn cpu_seconds() -> f64 {
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

/// The peak resident memory of this process so far, in bytes (Linux's `VmHWM`; 0
/// elsewhere).
pub fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// One untimed warm-up (page cache, allocator), then the medians of `runs`.
pub fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> Time {
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

/// Megabytes per second.
pub fn mbps(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / 1e6 / seconds
}

/// The byte ranges of the layer blobs of an uncompressed outer tar: every member that
/// is not JSON and not tiny. Largest first. Empty for a compressed archive.
pub fn layer_ranges(path: &Path) -> Vec<(u64, u64)> {
    let file = File::open(path).expect("opening the archive");
    let head = {
        let mut h = [0u8; 2];
        let _ = (&file).read(&mut h);
        h
    };
    if head == [0x1f, 0x8b] {
        return Vec::new();
    }
    let mut archive = tar::Archive::new(BufReader::new(File::open(path).expect("the archive")));
    let mut ranges = Vec::new();
    for entry in archive.entries_with_seek().expect("a tar") {
        let mut entry = entry.expect("a tar entry");
        if entry.header().entry_type() != tar::EntryType::Regular || entry.size() < 4096 {
            continue;
        }
        let mut first = [0u8; 1];
        entry.read_exact(&mut first).expect("a byte");
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

/// A rayon pool of `threads`.
pub fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
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
pub fn ceiling_layers(path: &Path, ranges: &[(u64, u64)], threads: usize, hash: bool) -> u64 {
    let file = File::open(path).expect("the archive");
    pool(threads).install(|| {
        // The schedule layerlens uses for its layers, so that the ratio measures the
        // work per byte, not the load balance.
        layerlens::internals::largest_first(ranges, |&(offset, len)| {
            let mut head = [0u8; 4];
            std::os::unix::fs::FileExt::read_exact_at(&file, &mut head, offset).expect("bytes");
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
                Box::new(zstd::stream::read::Decoder::new(stored).expect("zstd"))
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

/// The ceiling of a layer pass that hashes two layers per core at once, as layerlens's
/// does where the CPU has SHA-NI: every uncompressed layer blob sha256-hashed on
/// `threads` cores, largest first, each thread holding two layers and hashing their
/// next 128 KiB side by side (`layerlens_sha256x2::update_pair`), taking the next
/// layer as soon as one ends. `None` when a layer is compressed (there decoding, not
/// hashing, is the bound). Returns the bytes hashed.
pub fn ceiling_layers_paired(path: &Path, ranges: &[(u64, u64)], threads: usize) -> Option<u64> {
    use layerlens_sha256x2::{update_pair, Sha256};
    use std::os::unix::fs::FileExt;
    use std::sync::atomic::{AtomicUsize, Ordering};
    const CHUNK: usize = 128 << 10;
    let file = File::open(path).expect("the archive");
    for &(offset, len) in ranges {
        let mut head = [0u8; 4];
        let n = len.min(4) as usize;
        file.read_exact_at(&mut head[..n], offset).expect("bytes");
        if head[..2] == [0x1f, 0x8b] || head == [0x28, 0xb5, 0x2f, 0xfd] {
            return None;
        }
    }
    let mut order: Vec<(u64, u64)> = ranges.to_vec();
    order.sort_by_key(|r| std::cmp::Reverse(r.1));
    let next = AtomicUsize::new(0);
    let total = pool(threads).install(|| {
        use rayon::prelude::*;
        (0..threads.max(1))
            .into_par_iter()
            .map(|_| {
                // (position, end, hash, buffer, bytes in it)
                let mut lanes: Vec<(u64, u64, Sha256, Vec<u8>, usize)> = Vec::new();
                let mut total = 0u64;
                loop {
                    while lanes.len() < 2 {
                        let Some(&(offset, len)) = order.get(next.fetch_add(1, Ordering::Relaxed))
                        else {
                            break;
                        };
                        lanes.push((offset, offset + len, Sha256::new(), vec![0u8; CHUNK], 0));
                    }
                    if lanes.is_empty() {
                        return total;
                    }
                    for (pos, end, _, buf, n) in &mut lanes {
                        *n = (*end - *pos).min(CHUNK as u64) as usize;
                        file.read_exact_at(&mut buf[..*n], *pos).expect("bytes");
                        *pos += *n as u64;
                        total += *n as u64;
                    }
                    match &mut lanes[..] {
                        [a, b] => update_pair(&mut a.2, &a.3[..a.4], &mut b.2, &b.3[..b.4]),
                        [a] => a.2.update(&a.3[..a.4]),
                        _ => unreachable!("at most two lanes"),
                    }
                    lanes.retain(|l| {
                        if l.0 < l.1 {
                            return true;
                        }
                        std::hint::black_box(l.2.clone().finalize());
                        false
                    });
                }
            })
            .sum()
    });
    Some(total)
}

/// gunzip a whole archive on one core (a single gzip stream cannot be split), with
/// `hash` also sha256-hashing every decoded byte.
pub fn ceiling_gunzip(path: &Path, hash: bool) -> u64 {
    let f = BufReader::with_capacity(128 << 10, File::open(path).expect("the archive"));
    sink(&mut Hashing {
        inner: flate2::read::MultiGzDecoder::new(f),
        hasher: hash.then(sha2::Sha256::new),
    })
}

fn sink(r: &mut dyn Read) -> u64 {
    let mut buf = vec![0u8; 256 << 10];
    let mut total = 0;
    loop {
        let n = r.read(&mut buf).expect("reading");
        if n == 0 {
            return total;
        }
        total += n as u64;
    }
}

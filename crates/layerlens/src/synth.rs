//! Deterministic synthetic image sets, for benchmarks and scale tests.
//!
//! [`generate`] writes a realistic fleet of images as one archive: a dozen service
//! images on a fat base (≈ 40 % of the bytes, three layers), two shared dependency
//! layers, a second family of four images on a smaller base, and two orphan images.
//! Most files are small (256 B – 64 KiB, log-uniform) and a few are large (1 – 32 MiB);
//! a handful of large "shared objects" appear with identical content in several layers,
//! and some app layers carry whiteouts. File contents mix incompressible bytes with
//! text-like runs, so gzip and zstd layers compress about as much as real ones.
//!
//! The same [`SynthOptions`] always produce byte-identical archives. Layers are never
//! held in memory: uncompressed layers are generated twice (once to learn their digest
//! and size, once into the archive), compressed ones are written to a temporary file
//! next to the output and copied in.
//!
//! ```no_run
//! use layerlens::synth::{generate, SynthFormat, SynthOptions};
//!
//! let opts = SynthOptions::new(layerlens::synth::parse_size("100MB").unwrap(), SynthFormat::Docker25);
//! let summary = generate(std::path::Path::new("fleet.tar"), &opts)?;
//! println!("{} images, {} files", summary.images, summary.files);
//! # Ok::<(), layerlens::Error>(())
//! ```

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rayon::prelude::*;
use serde_json::json;
use sha2::{Digest as _, Sha256};

use crate::error::{Error, Location, Result};

/// The archive layout [`generate`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SynthFormat {
    /// Docker 1.10–24 `docker save`: `<v1id>/layer.tar`, `<config>.json`, `manifest.json`,
    /// `repositories`; uncompressed layers.
    Docker,
    /// Docker 25+ `docker save`: an OCI layout plus `manifest.json`; uncompressed layers.
    Docker25,
    /// An OCI layout tarball with gzip layers.
    OciGzip,
    /// An OCI layout tarball with zstd layers.
    OciZstd,
    /// A Docker 25+ archive, gzip-compressed as a whole (`docker save | gzip`).
    Gzip,
}

impl SynthFormat {
    /// Every format, in the order the benches use them.
    pub const ALL: [SynthFormat; 5] = [
        SynthFormat::Docker,
        SynthFormat::Docker25,
        SynthFormat::OciGzip,
        SynthFormat::OciZstd,
        SynthFormat::Gzip,
    ];

    /// Parse `docker`, `docker25`, `oci-gzip`, `oci-zstd` or `gzip`.
    pub fn parse(s: &str) -> Option<SynthFormat> {
        SynthFormat::ALL.into_iter().find(|f| f.name() == s)
    }

    /// The name [`SynthFormat::parse`] accepts.
    pub fn name(self) -> &'static str {
        match self {
            SynthFormat::Docker => "docker",
            SynthFormat::Docker25 => "docker25",
            SynthFormat::OciGzip => "oci-gzip",
            SynthFormat::OciZstd => "oci-zstd",
            SynthFormat::Gzip => "gzip",
        }
    }

    fn layer_compression(self) -> LayerCompression {
        match self {
            SynthFormat::OciGzip => LayerCompression::Gzip,
            SynthFormat::OciZstd => LayerCompression::Zstd,
            _ => LayerCompression::None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LayerCompression {
    None,
    Gzip,
    Zstd,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthOptions {
    /// Approximate uncompressed bytes of all distinct layers together.
    pub scale: u64,
    /// Archive layout.
    pub format: SynthFormat,
    /// Seed: the same seed, scale and format give the same bytes.
    pub seed: u64,
    /// Worker threads for generating and compressing layers; 0 means one per core.
    pub threads: usize,
}

impl SynthOptions {
    /// Options with the default seed and one thread per core.
    pub fn new(scale: u64, format: SynthFormat) -> SynthOptions {
        SynthOptions {
            scale,
            format,
            seed: 0x1a7e_51e5,
            threads: 0,
        }
    }
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SynthSummary {
    /// Images (configs).
    pub images: usize,
    /// Distinct layers.
    pub layers: usize,
    /// Tar entries over all distinct layers.
    pub entries: u64,
    /// Regular files over all distinct layers.
    pub files: u64,
    /// Uncompressed bytes of all distinct layers.
    pub tar_bytes: u64,
    /// Stored bytes of all distinct layers.
    pub stored_bytes: u64,
    /// Bytes of the archive file.
    pub archive_bytes: u64,
}

pub use crate::present::parse_size;

// ---------------------------------------------------------------------------------
// Deterministic content
// ---------------------------------------------------------------------------------

/// SplitMix64: tiny, fast, and the same everywhere.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut r = Rng(seed ^ 0x6a09_e667_f3bc_c908);
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// Log-uniform in `lo..hi`: many small values, a long tail.
    fn log_uniform(&mut self, lo: u64, hi: u64) -> u64 {
        let f = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        let (lo, hi) = (lo.max(1) as f64, hi.max(lo + 1) as f64);
        (lo * (hi / lo).powf(f)) as u64
    }
}

fn mix(a: u64, b: u64) -> u64 {
    Rng::new(a ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15)).next()
}

const CORPUS_LEN: usize = 64 << 10;
const CHUNK_MAX: usize = 8 << 10;

/// 64 KiB of text-like bytes (words, spaces, newlines) that content chunks copy from.
fn corpus() -> &'static [u8] {
    static CORPUS: OnceLock<Vec<u8>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        const WORDS: &[&str] = &[
            "the",
            "layer",
            "image",
            "container",
            "static",
            "const",
            "return",
            "function",
            "import",
            "module",
            "value",
            "error",
            "config",
            "server",
            "client",
            "request",
            "buffer",
            "struct",
            "public",
            "private",
            "library",
            "version",
            "license",
            "path",
            "/usr/lib",
            "x86_64",
            "linux",
            "gnu",
            "0x7f",
            "{",
            "}",
            "(",
            ");",
            "=",
            "if",
            "else",
            "for",
            "while",
            "int",
            "char",
            "void",
            "self",
            "None",
            "true",
            "false",
        ];
        let mut rng = Rng::new(7);
        let mut out = Vec::with_capacity(CORPUS_LEN);
        while out.len() < CORPUS_LEN {
            out.extend_from_slice(WORDS[rng.below(WORDS.len() as u64) as usize].as_bytes());
            out.push(if rng.below(9) == 0 { b'\n' } else { b' ' });
        }
        out.truncate(CORPUS_LEN);
        out
    })
}

/// The content of one file: `len` bytes from `seed`, in chunks that are either
/// incompressible (about a third) or copied from the text corpus. The bytes do not
/// depend on how the reader is called.
struct Content {
    rng: Rng,
    left: u64,
    chunk: Vec<u8>,
    pos: usize,
}

impl Content {
    fn new(seed: u64, len: u64) -> Content {
        Content {
            rng: Rng::new(seed),
            left: len,
            chunk: Vec::with_capacity(CHUNK_MAX),
            pos: 0,
        }
    }

    fn refill(&mut self) {
        let len =
            (1024 + self.rng.below((CHUNK_MAX - 1024) as u64) as usize).min(self.left as usize);
        self.chunk.clear();
        if self.rng.below(100) < 35 {
            while self.chunk.len() < len {
                self.chunk.extend_from_slice(&self.rng.next().to_le_bytes());
            }
            self.chunk.truncate(len);
        } else {
            let start = self.rng.below((CORPUS_LEN - CHUNK_MAX) as u64) as usize;
            self.chunk.extend_from_slice(&corpus()[start..start + len]);
        }
        self.pos = 0;
    }
}

impl Read for Content {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut filled = 0;
        while filled < buf.len() && self.left > 0 {
            if self.pos == self.chunk.len() {
                self.refill();
            }
            let n = (self.chunk.len() - self.pos).min(buf.len() - filled);
            buf[filled..filled + n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
            self.pos += n;
            filled += n;
            self.left -= n as u64;
        }
        Ok(filled)
    }
}

// ---------------------------------------------------------------------------------
// The fleet
// ---------------------------------------------------------------------------------

/// A file whose content is the same in every layer that holds it.
#[derive(Debug, Clone)]
struct SharedObject {
    path: String,
    seed: u64,
    size: u64,
}

#[derive(Debug, Clone)]
struct LayerPlan {
    seed: u64,
    prefix: String,
    bytes: u64,
    /// Share of `bytes` in small files; the rest (after shared objects) in large ones.
    small_share: f64,
    shared: Vec<SharedObject>,
    whiteouts: Vec<String>,
    created_by: String,
}

#[derive(Debug, Clone)]
struct ImagePlan {
    tags: Vec<String>,
    layers: Vec<usize>,
    created: String,
}

fn fleet(scale: u64, seed: u64) -> (Vec<LayerPlan>, Vec<ImagePlan>) {
    let pct = |p: f64| (scale as f64 * p / 100.0) as u64;
    let big_size = (scale / 100).clamp(64 << 10, 64 << 20);
    let big: Vec<SharedObject> = (0..4)
        .map(|k| SharedObject {
            path: format!("opt/shared/libbig{k}.so"),
            seed: mix(seed, 1000 + k),
            size: big_size,
        })
        .collect();
    let mut layers = Vec::new();
    let mut add = |prefix: &str,
                   bytes: u64,
                   small_share: f64,
                   shared: Vec<SharedObject>,
                   whiteouts: Vec<String>,
                   created_by: &str| {
        layers.push(LayerPlan {
            seed: mix(seed, layers.len() as u64),
            prefix: prefix.to_string(),
            bytes,
            small_share,
            shared,
            whiteouts,
            created_by: created_by.to_string(),
        });
        layers.len() - 1
    };
    let a_os = add(
        "usr/share/base-a",
        pct(12.0),
        0.85,
        vec![],
        vec![],
        "ADD rootfs.tar.xz / # base-a",
    );
    let a_rt = add(
        "usr/lib/runtime-a",
        pct(18.0),
        0.35,
        vec![big[0].clone(), big[1].clone()],
        vec![],
        "RUN apt-get install -y runtime",
    );
    let a_libs = add(
        "usr/lib/libs-a",
        pct(10.0),
        0.55,
        vec![],
        vec![],
        "RUN apt-get install -y libs",
    );
    let deps = [
        add(
            "srv/deps-0",
            pct(6.0),
            0.6,
            vec![big[1].clone(), big[2].clone()],
            vec![],
            "COPY deps/ /srv/deps-0",
        ),
        add(
            "srv/deps-1",
            pct(6.0),
            0.6,
            vec![],
            vec![],
            "COPY deps/ /srv/deps-1",
        ),
    ];
    let mut images = Vec::new();
    for i in 0..12u64 {
        let shared = if i % 3 == 0 {
            vec![SharedObject {
                path: format!("app/svc-{i:02}/vendor/libbig2.so"),
                ..big[2].clone()
            }]
        } else {
            vec![]
        };
        let whiteouts = if i % 4 == 1 {
            vec![format!("{}/d0000/f000001.py", "usr/share/base-a")]
        } else {
            vec![]
        };
        let app = add(
            &format!("app/svc-{i:02}"),
            pct(1.5),
            0.7,
            shared,
            whiteouts,
            "COPY app/ /app",
        );
        let conf = add(
            &format!("etc/svc-{i:02}"),
            16 << 10,
            1.0,
            vec![],
            vec![],
            "COPY config/ /etc/svc",
        );
        let mut tags = vec![format!("fleet/svc-{i:02}:1.0")];
        if i == 0 {
            tags.push("fleet/svc-00:latest".into());
        }
        images.push(ImagePlan {
            tags,
            layers: vec![a_os, a_rt, a_libs, deps[(i % 2) as usize], app, conf],
            created: format!("2024-01-{:02}T00:00:00Z", i + 1),
        });
    }
    let b_os = add(
        "usr/share/base-b",
        pct(6.0),
        0.8,
        vec![],
        vec![],
        "ADD alpine-minirootfs.tar.gz /",
    );
    let b_rt = add(
        "usr/lib/runtime-b",
        pct(4.0),
        0.5,
        vec![big[3].clone()],
        vec![],
        "RUN apk add runtime",
    );
    for j in 0..4u64 {
        let app = add(
            &format!("app/tool-{j}"),
            pct(2.0),
            0.6,
            vec![],
            vec![],
            "COPY tool/ /app",
        );
        images.push(ImagePlan {
            tags: vec![format!("fleet/tool-{j}:2.1")],
            layers: vec![b_os, b_rt, app],
            created: format!("2024-02-{:02}T00:00:00Z", j + 1),
        });
    }
    for k in 0..2u64 {
        let shared = vec![SharedObject {
            path: format!("opt/orphan-{k}/libbig{}.so", k * 3),
            ..big[(k * 3) as usize].clone()
        }];
        let only = add(
            &format!("opt/orphan-{k}"),
            pct(5.0),
            0.5,
            shared,
            vec![],
            "ADD orphan.tar /",
        );
        images.push(ImagePlan {
            tags: vec![format!("orphans/job-{k}:0.{k}")],
            layers: vec![only],
            created: format!("2023-06-{:02}T00:00:00Z", k + 1),
        });
    }
    (layers, images)
}

const MTIME: u64 = 1_700_000_000;

struct LayerCounts {
    entries: u64,
    files: u64,
}

/// Write one layer's tar stream into `w`.
fn write_layer<W: Write>(plan: &LayerPlan, w: W) -> io::Result<LayerCounts> {
    let mut b = tar::Builder::new(w);
    let mut counts = LayerCounts {
        entries: 0,
        files: 0,
    };
    let mut dirs_done = std::collections::BTreeSet::new();
    let mut dir = |b: &mut tar::Builder<W>, path: &str, counts: &mut LayerCounts| {
        let mut acc = String::new();
        for comp in path.split('/') {
            if !acc.is_empty() {
                acc.push('/');
            }
            acc.push_str(comp);
            if dirs_done.insert(acc.clone()) {
                let mut h = tar::Header::new_gnu();
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_mtime(MTIME);
                h.set_uid(0);
                h.set_gid(0);
                h.set_size(0);
                b.append_data(&mut h, format!("{acc}/"), io::empty())?;
                counts.entries += 1;
            }
        }
        io::Result::Ok(())
    };
    let file = |b: &mut tar::Builder<W>, path: &str, size: u64, seed: u64, mode: u32| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(mode);
        h.set_mtime(MTIME);
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(size);
        b.append_data(&mut h, path, Content::new(seed, size))
    };
    let mut rng = Rng::new(plan.seed);
    let mut left = plan.bytes;
    for obj in &plan.shared {
        let (parent, _) = crate::read::layer::split_parent(&obj.path);
        dir(&mut b, parent, &mut counts)?;
        file(&mut b, &obj.path, obj.size, obj.seed, 0o755)?;
        counts.entries += 1;
        counts.files += 1;
        left = left.saturating_sub(obj.size);
    }
    let mut small_left = (plan.bytes as f64 * plan.small_share) as u64;
    small_left = small_left.min(left);
    let mut large_left = left - small_left;
    let mut index = 0u64;
    let mut current_dir = String::new();
    const EXT: [&str; 6] = ["txt", "py", "so", "json", "h", "mo"];
    while small_left > 0 || large_left > 0 {
        if index % 40 == 0 {
            current_dir = format!("{}/d{:04}", plan.prefix, index / 40);
            dir(&mut b, &current_dir, &mut counts)?;
        }
        let (size, ext) = if small_left > 0 {
            let s = rng.log_uniform(256, 64 << 10).min(small_left);
            small_left -= s;
            (s, EXT[(index % EXT.len() as u64) as usize])
        } else {
            let s = rng.log_uniform(1 << 20, 32 << 20).min(large_left);
            large_left -= s;
            (s, "bin")
        };
        let path = format!("{current_dir}/f{index:06}.{ext}");
        file(&mut b, &path, size, mix(plan.seed, index), 0o644)?;
        counts.entries += 1;
        counts.files += 1;
        index += 1;
    }
    for hidden in &plan.whiteouts {
        let (parent, base) = crate::read::layer::split_parent(hidden);
        dir(&mut b, parent, &mut counts)?;
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        h.set_mtime(MTIME);
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(0);
        b.append_data(&mut h, format!("{parent}/.wh.{base}"), io::empty())?;
        counts.entries += 1;
    }
    b.into_inner()?.flush()?;
    Ok(counts)
}

/// A writer that counts and sha256-hashes what passes through it.
struct HashWriter<W> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> HashWriter<W> {
    fn new(inner: W) -> Self {
        HashWriter {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.hasher.finalize()), self.count)
    }
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// One distinct layer after the first pass.
struct LayerOut {
    diff_hex: String,
    tar_size: u64,
    stored_hex: String,
    stored_size: u64,
    /// The compressed blob, for compressed formats.
    temp: Option<PathBuf>,
    counts: LayerCounts,
}

fn first_pass(plan: &LayerPlan, comp: LayerCompression, temp: PathBuf) -> io::Result<LayerOut> {
    match comp {
        LayerCompression::None => {
            let mut w = HashWriter::new(io::sink());
            let counts = write_layer(plan, &mut w)?;
            let (_, hex, size) = w.finish();
            Ok(LayerOut {
                diff_hex: hex.clone(),
                tar_size: size,
                stored_hex: hex,
                stored_size: size,
                temp: None,
                counts,
            })
        }
        LayerCompression::Gzip | LayerCompression::Zstd => {
            let file = BufWriter::with_capacity(256 << 10, File::create(&temp)?);
            let stored = HashWriter::new(file);
            let (counts, diff_hex, tar_size, stored) = if comp == LayerCompression::Gzip {
                let enc = flate2::write::GzEncoder::new(stored, flate2::Compression::fast());
                let mut tar_side = HashWriter::new(enc);
                let counts = write_layer(plan, &mut tar_side)?;
                let (enc, d, n) = tar_side.finish();
                (counts, d, n, enc.finish()?)
            } else {
                let enc = zstd::stream::write::Encoder::new(stored, 3)?;
                let mut tar_side = HashWriter::new(enc);
                let counts = write_layer(plan, &mut tar_side)?;
                let (enc, d, n) = tar_side.finish();
                (counts, d, n, enc.finish()?)
            };
            let (mut file, stored_hex, stored_size) = stored.finish();
            file.flush()?;
            Ok(LayerOut {
                diff_hex,
                tar_size,
                stored_hex,
                stored_size,
                temp: Some(temp),
                counts,
            })
        }
    }
}

/// A minimal outer-tar writer: the layer streams are written straight into it.
struct Outer<W: Write> {
    w: W,
}

impl<W: Write> Outer<W> {
    fn header(&mut self, path: &str, size: u64, kind: tar::EntryType) -> io::Result<()> {
        let mut h = tar::Header::new_ustar();
        h.set_path(path)?;
        h.set_entry_type(kind);
        h.set_mode(if kind == tar::EntryType::Directory {
            0o755
        } else {
            0o644
        });
        h.set_mtime(MTIME);
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(size);
        h.set_cksum();
        self.w.write_all(h.as_bytes())
    }

    fn pad(&mut self, size: u64) -> io::Result<()> {
        let rem = (512 - size % 512) % 512;
        self.w.write_all(&[0u8; 512][..rem as usize])
    }

    fn dir(&mut self, path: &str) -> io::Result<()> {
        self.header(&format!("{path}/"), 0, tar::EntryType::Directory)
    }

    fn bytes(&mut self, path: &str, data: &[u8]) -> io::Result<()> {
        self.header(path, data.len() as u64, tar::EntryType::Regular)?;
        self.w.write_all(data)?;
        self.pad(data.len() as u64)
    }

    /// A layer blob: regenerated (uncompressed) or copied from its temporary file.
    fn layer(&mut self, path: &str, plan: &LayerPlan, out: &LayerOut) -> io::Result<()> {
        self.header(path, out.stored_size, tar::EntryType::Regular)?;
        let written = match &out.temp {
            None => {
                let mut counter = HashWriter::new(&mut self.w);
                write_layer(plan, &mut counter)?;
                counter.count
            }
            Some(temp) => io::copy(&mut File::open(temp)?, &mut self.w)?,
        };
        if written != out.stored_size {
            return Err(io::Error::other(format!(
                "layer {path}: wrote {written} bytes, planned {}",
                out.stored_size
            )));
        }
        self.pad(out.stored_size)
    }

    fn finish(mut self) -> io::Result<W> {
        self.w.write_all(&[0u8; 1024])?;
        self.w.flush()?;
        Ok(self.w)
    }
}

const MT_OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
const MT_OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const MT_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const MT_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

fn sha_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn to_json(v: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("JSON values always serialise")
}

/// Write a synthetic image set to `out`. See the [module documentation](self).
pub fn generate(out: &Path, opts: &SynthOptions) -> Result<SynthSummary> {
    let at = Location::new(out.to_string_lossy());
    let io_err = |e: io::Error| Error::io(at.clone(), e);
    if opts.scale < (1 << 20) {
        return Err(Error::Options(format!(
            "scale {} is too small: at least 1 MiB",
            opts.scale
        )));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| Error::Options(format!("cannot start worker threads: {e}")))?;
    let (plans, images) = fleet(opts.scale, opts.seed);
    let comp = opts.format.layer_compression();
    let temp_dir = {
        let mut name = out.file_name().unwrap_or_default().to_os_string();
        name.push(".synth-tmp");
        out.with_file_name(name)
    };
    if comp != LayerCompression::None {
        fs::create_dir_all(&temp_dir).map_err(io_err)?;
    }
    let result = pool.install(|| {
        // Largest first, so the biggest layer does not start last.
        let mut order: Vec<usize> = (0..plans.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(plans[i].bytes));
        let mut outs: Vec<(usize, io::Result<LayerOut>)> = order
            .par_iter()
            .map(|&i| {
                let temp = temp_dir.join(format!("layer-{i}"));
                (i, first_pass(&plans[i], comp, temp))
            })
            .collect();
        outs.sort_by_key(|(i, _)| *i);
        let outs: Vec<LayerOut> = outs
            .into_iter()
            .map(|(_, r)| r)
            .collect::<io::Result<_>>()?;
        write_archive(out, opts.format, &plans, &images, &outs)
    });
    if comp != LayerCompression::None {
        let _ = fs::remove_dir_all(&temp_dir);
    }
    result.map_err(io_err)
}

fn write_archive(
    out: &Path,
    format: SynthFormat,
    plans: &[LayerPlan],
    images: &[ImagePlan],
    outs: &[LayerOut],
) -> io::Result<SynthSummary> {
    let file = BufWriter::with_capacity(1 << 20, File::create(out)?);
    let mut summary = SynthSummary {
        images: images.len(),
        layers: plans.len(),
        ..SynthSummary::default()
    };
    for o in outs {
        summary.entries += o.counts.entries;
        summary.files += o.counts.files;
        summary.tar_bytes += o.tar_size;
        summary.stored_bytes += o.stored_size;
    }
    let configs: Vec<Vec<u8>> = images
        .iter()
        .map(|img| {
            let history: Vec<serde_json::Value> = img
                .layers
                .iter()
                .map(|&l| json!({"created": img.created, "created_by": plans[l].created_by}))
                .collect();
            let diff_ids: Vec<String> = img
                .layers
                .iter()
                .map(|&l| format!("sha256:{}", outs[l].diff_hex))
                .collect();
            to_json(&json!({
                "architecture": "amd64",
                "os": "linux",
                "created": img.created,
                "config": {"Env": ["PATH=/usr/local/bin:/usr/bin:/bin"], "Cmd": ["/app/run"]},
                "rootfs": {"type": "layers", "diff_ids": diff_ids},
                "history": history,
            }))
        })
        .collect();
    match format {
        SynthFormat::Docker => {
            let mut w = Outer { w: file };
            write_legacy(&mut w, plans, images, outs, &configs)?;
            w.finish()?;
        }
        SynthFormat::Docker25 => {
            let mut w = Outer { w: file };
            write_oci(&mut w, plans, images, outs, &configs, MT_OCI_LAYER, true)?;
            w.finish()?;
        }
        SynthFormat::OciGzip => {
            let mut w = Outer { w: file };
            let mt = format!("{MT_OCI_LAYER}+gzip");
            write_oci(&mut w, plans, images, outs, &configs, &mt, false)?;
            w.finish()?;
        }
        SynthFormat::OciZstd => {
            let mut w = Outer { w: file };
            let mt = format!("{MT_OCI_LAYER}+zstd");
            write_oci(&mut w, plans, images, outs, &configs, &mt, false)?;
            w.finish()?;
        }
        SynthFormat::Gzip => {
            let enc = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
            let mut w = Outer { w: enc };
            write_oci(&mut w, plans, images, outs, &configs, MT_OCI_LAYER, true)?;
            w.finish()?.finish()?.flush()?;
        }
    }
    summary.archive_bytes = fs::metadata(out)?.len();
    Ok(summary)
}

fn v1_id(diff_hex: &str) -> String {
    sha_hex(format!("v1|{diff_hex}").as_bytes())
}

fn write_legacy<W: Write>(
    w: &mut Outer<W>,
    plans: &[LayerPlan],
    images: &[ImagePlan],
    outs: &[LayerOut],
    configs: &[Vec<u8>],
) -> io::Result<()> {
    for (plan, o) in plans.iter().zip(outs) {
        let id = v1_id(&o.diff_hex);
        w.dir(&id)?;
        w.bytes(&format!("{id}/VERSION"), b"1.0")?;
        w.bytes(
            &format!("{id}/json"),
            &to_json(&json!({"id": id, "os": "linux", "created": "2024-01-01T00:00:00Z"})),
        )?;
        w.layer(&format!("{id}/layer.tar"), plan, o)?;
    }
    let mut manifest = Vec::new();
    let mut repositories = serde_json::Map::new();
    for (img, cfg) in images.iter().zip(configs) {
        let cfg_hex = sha_hex(cfg);
        w.bytes(&format!("{cfg_hex}.json"), cfg)?;
        let layers: Vec<String> = img
            .layers
            .iter()
            .map(|&l| format!("{}/layer.tar", v1_id(&outs[l].diff_hex)))
            .collect();
        let top = v1_id(&outs[*img.layers.last().expect("images have layers")].diff_hex);
        for t in &img.tags {
            let (repo, tag) = t.rsplit_once(':').unwrap_or((t, "latest"));
            repositories
                .entry(repo.to_string())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("an object")
                .insert(tag.to_string(), json!(top));
        }
        manifest.push(
            json!({"Config": format!("{cfg_hex}.json"), "RepoTags": img.tags, "Layers": layers}),
        );
    }
    w.bytes("manifest.json", &to_json(&json!(manifest)))?;
    w.bytes(
        "repositories",
        &to_json(&serde_json::Value::Object(repositories)),
    )
}

fn write_oci<W: Write>(
    w: &mut Outer<W>,
    plans: &[LayerPlan],
    images: &[ImagePlan],
    outs: &[LayerOut],
    configs: &[Vec<u8>],
    layer_mt: &str,
    docker_manifest: bool,
) -> io::Result<()> {
    w.dir("blobs")?;
    w.dir("blobs/sha256")?;
    for (plan, o) in plans.iter().zip(outs) {
        w.layer(&format!("blobs/sha256/{}", o.stored_hex), plan, o)?;
    }
    let layer_desc = |o: &LayerOut| json!({"mediaType": layer_mt, "digest": format!("sha256:{}", o.stored_hex), "size": o.stored_size});
    let mut index_entries = Vec::new();
    let mut docker = Vec::new();
    for (img, cfg) in images.iter().zip(configs) {
        let cfg_hex = sha_hex(cfg);
        w.bytes(&format!("blobs/sha256/{cfg_hex}"), cfg)?;
        let layers: Vec<serde_json::Value> =
            img.layers.iter().map(|&l| layer_desc(&outs[l])).collect();
        let manifest = to_json(&json!({
            "schemaVersion": 2,
            "mediaType": MT_OCI_MANIFEST,
            "config": {"mediaType": MT_OCI_CONFIG, "digest": format!("sha256:{cfg_hex}"), "size": cfg.len()},
            "layers": layers,
        }));
        let man_hex = sha_hex(&manifest);
        w.bytes(&format!("blobs/sha256/{man_hex}"), &manifest)?;
        for t in &img.tags {
            let annotations = if docker_manifest {
                let (_, tag) = t.rsplit_once(':').unwrap_or((t, "latest"));
                json!({"io.containerd.image.name": format!("docker.io/{t}"), "org.opencontainers.image.ref.name": tag})
            } else {
                json!({"org.opencontainers.image.ref.name": t})
            };
            index_entries.push(json!({
                "mediaType": MT_OCI_MANIFEST,
                "digest": format!("sha256:{man_hex}"),
                "size": manifest.len(),
                "annotations": annotations,
            }));
        }
        let sources: serde_json::Map<String, serde_json::Value> = img
            .layers
            .iter()
            .map(|&l| (format!("sha256:{}", outs[l].diff_hex), layer_desc(&outs[l])))
            .collect();
        docker.push(json!({
            "Config": format!("blobs/sha256/{cfg_hex}"),
            "RepoTags": img.tags,
            "Layers": img.layers.iter().map(|&l| format!("blobs/sha256/{}", outs[l].stored_hex)).collect::<Vec<_>>(),
            "LayerSources": sources,
        }));
    }
    w.bytes(
        "index.json",
        &to_json(
            &json!({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": index_entries}),
        ),
    )?;
    if docker_manifest {
        w.bytes("manifest.json", &to_json(&json!(docker)))?;
    }
    w.bytes("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sizes() {
        assert_eq!(parse_size("100MB"), Some(100_000_000));
        assert_eq!(parse_size("16GiB"), Some(16 << 30));
        assert_eq!(parse_size("1.5gb"), Some(1_500_000_000));
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("12 parsecs"), None);
    }

    #[test]
    fn content_does_not_depend_on_read_sizes() {
        let mut a = Vec::new();
        Content::new(42, 100_000).read_to_end(&mut a).unwrap();
        let mut b = Vec::new();
        let mut c = Content::new(42, 100_000);
        let mut buf = [0u8; 77];
        loop {
            let n = c.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            b.extend_from_slice(&buf[..n]);
        }
        assert_eq!(a.len(), 100_000);
        assert_eq!(a, b);
    }
}

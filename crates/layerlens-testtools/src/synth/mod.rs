//! Deterministic synthetic image sets, for benchmarks and scale tests
//! (`layerlens generate`).
//!
//! [`generate`] writes a realistic fleet of images as one archive: a dozen service
//! images on a fat base (≈ 40 % of the bytes, three layers), two shared dependency
//! layers, a second family of four images on a smaller base, and two orphan images.
//! Most files are small (256 B – 64 KiB, log-uniform) and a few are large (1 – 32 MiB);
//! a handful of large "shared objects" appear with identical content in several layers,
//! and some app layers carry whiteouts.
//!
//! File contents mix incompressible bytes with text-like runs, so gzip and zstd layers
//! compress about as much as real ones.
//! The same [`SynthOptions`] always produce byte-identical archives. Layers are never
//! held in memory: uncompressed layers are generated twice (once to learn their digest
//! and size, once into the archive), compressed ones are written to a temporary file
//! next to the output and copied in.
//!
//! ```no_run
//! use layerlens_testtools::synth::{generate, SynthFormat, SynthOptions};
//!
//! let scale = layerlens::present::parse_size("100MB").unwrap();
//! let opts = SynthOptions::new(scale, SynthFormat::Docker25);
//! let summary = generate(std::path::Path::new("fleet.tar"), &opts)?;
//! println!("{} images, {} files", summary.images, summary.files);
//! # Ok::<(), layerlens::Error>(())
//! ```

mod content;
mod fleet;

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use layerlens::{Error, Location, Result};
use rayon::prelude::*;
use sha2::{Digest as _, Sha256};

use crate::archive::{Blob, ImageArchive, Layout, MT_OCI_LAYER};

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

    fn layout(self) -> Layout {
        match self {
            SynthFormat::Docker => Layout::Docker,
            SynthFormat::Docker25 | SynthFormat::Gzip => Layout::Docker25,
            SynthFormat::OciGzip | SynthFormat::OciZstd => Layout::Oci,
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

// ---------------------------------------------------------------------------------
// Plans
// ---------------------------------------------------------------------------------

/// Entries and regular files one layer holds.
pub(crate) struct LayerCounts {
    pub(crate) entries: u64,
    pub(crate) files: u64,
}

/// How one layer's tar stream is made.
pub(crate) enum LayerSpec {
    /// The default shape's seeded layer.
    Fleet(fleet::LayerPlan),
}

impl LayerSpec {
    fn bytes(&self) -> u64 {
        match self {
            LayerSpec::Fleet(p) => p.bytes(),
        }
    }

    fn write(&self, w: &mut dyn Write) -> io::Result<LayerCounts> {
        match self {
            LayerSpec::Fleet(p) => p.write(w),
        }
    }
}

/// One image: its tags, its layers (indexes into [`Plan::layers`], bottom first) and
/// its config without `rootfs`.
pub(crate) struct ImagePlan {
    pub(crate) tags: Vec<String>,
    pub(crate) layers: Vec<usize>,
    pub(crate) config: serde_json::Value,
}

/// A whole image set, before anything is written.
pub(crate) struct Plan {
    pub(crate) layers: Vec<LayerSpec>,
    pub(crate) images: Vec<ImagePlan>,
}

// ---------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------

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

fn first_pass(spec: &LayerSpec, comp: LayerCompression, temp: PathBuf) -> io::Result<LayerOut> {
    match comp {
        LayerCompression::None => {
            let mut w = HashWriter::new(io::sink());
            let counts = spec.write(&mut w)?;
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
                let counts = spec.write(&mut tar_side)?;
                let (enc, d, n) = tar_side.finish();
                (counts, d, n, enc.finish()?)
            } else {
                let enc = zstd::stream::write::Encoder::new(stored, 3)?;
                let mut tar_side = HashWriter::new(enc);
                let counts = spec.write(&mut tar_side)?;
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

/// Write a synthetic image set to `out`. See the [module documentation](self).
pub fn generate(out: &Path, opts: &SynthOptions) -> Result<SynthSummary> {
    let at = Location::new(out.to_string_lossy());
    let io_err = |e: io::Error| Error::Io {
        at: at.clone(),
        source: e,
    };
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
        let plan = fleet::plan(opts.scale, opts.seed);
        // Largest first, so the biggest layer does not start last.
        let mut order: Vec<usize> = (0..plan.layers.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(plan.layers[i].bytes()));
        let mut outs: Vec<(usize, io::Result<LayerOut>)> = order
            .par_iter()
            .map(|&i| {
                let temp = temp_dir.join(format!("layer-{i}"));
                (i, first_pass(&plan.layers[i], comp, temp))
            })
            .collect();
        outs.sort_by_key(|(i, _)| *i);
        let outs: Vec<LayerOut> = outs
            .into_iter()
            .map(|(_, r)| r)
            .collect::<io::Result<_>>()?;
        write_archive(out, opts.format, &plan, &outs)
    });
    if comp != LayerCompression::None {
        let _ = fs::remove_dir_all(&temp_dir);
    }
    result.map_err(io_err)
}

fn write_archive(
    out: &Path,
    format: SynthFormat,
    plan: &Plan,
    outs: &[LayerOut],
) -> io::Result<SynthSummary> {
    let media_type = match format.layer_compression() {
        LayerCompression::None => MT_OCI_LAYER.to_string(),
        LayerCompression::Gzip => format!("{MT_OCI_LAYER}+gzip"),
        LayerCompression::Zstd => format!("{MT_OCI_LAYER}+zstd"),
    };
    let mut archive = ImageArchive::new(format.layout());
    let mut summary = SynthSummary {
        images: plan.images.len(),
        ..SynthSummary::default()
    };
    let mut seen = HashSet::new();
    let blob_of: Vec<usize> = plan
        .layers
        .iter()
        .zip(outs)
        .map(|(spec, o)| {
            if seen.insert(o.stored_hex.clone()) {
                summary.layers += 1;
                summary.entries += o.counts.entries;
                summary.files += o.counts.files;
                summary.tar_bytes += o.tar_size;
                summary.stored_bytes += o.stored_size;
            }
            let diff_id = format!("sha256:{}", o.diff_hex);
            let blob = match &o.temp {
                None => Blob::streamed(diff_id, &o.stored_hex, o.stored_size, move |w| {
                    spec.write(w).map(|_| ())
                }),
                Some(temp) => Blob::streamed(diff_id, &o.stored_hex, o.stored_size, move |w| {
                    io::copy(&mut File::open(temp)?, w).map(|_| ())
                }),
            };
            archive.add_blob(blob.media_type(&media_type))
        })
        .collect();
    for img in &plan.images {
        let layers = img.layers.iter().map(|&l| blob_of[l]).collect();
        archive.add_image(img.tags.clone(), layers, img.config.clone());
    }
    let file = BufWriter::with_capacity(1 << 20, File::create(out)?);
    if format == SynthFormat::Gzip {
        let enc = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        archive.write_to(enc)?.finish()?.flush()?;
    } else {
        archive.write_to(file)?;
    }
    summary.archive_bytes = fs::metadata(out)?.len();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::content::Content;

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

    #[test]
    fn parses_sizes_with_the_library_parser() {
        use layerlens::present::parse_size;
        assert_eq!(parse_size("100MB"), Some(100_000_000));
        assert_eq!(parse_size("16GiB"), Some(16 << 30));
        assert_eq!(parse_size("1.5gb"), Some(1_500_000_000));
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("12 parsecs"), None);
    }
}

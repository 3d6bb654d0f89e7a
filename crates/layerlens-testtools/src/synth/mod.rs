//! Deterministic synthetic image sets, for benchmarks and scale tests
//! (`layerlens generate`).
//!
//! [`generate`] writes one archive of images in one of three shapes ([`SynthShape`]):
//!
//! - **`fleet`** (the default): a dozen service images on a fat base (≈ 40 % of the
//!   bytes, three layers), two shared dependency layers, a second family of four images
//!   on a smaller base, and two orphan images: 18 images, 37 layers. Most files are
//!   small (256 B – 64 KiB, log-uniform) and a few are large (1 – 32 MiB); a handful of
//!   large "shared objects" appear with identical content in several layers, and some
//!   app layers carry whiteouts. Paths are synthetic (`usr/lib/libs-a/d0001/f000042.so`)
//!   and there are no package databases. Its bytes are pinned: the same seed, scale and
//!   format give the same archive as every earlier version.
//! - **`python-fleet`**: shaped like a real fleet of Python services. 16 service images
//!   on one fat base made like `python:3.11` (Debian bookworm): a Debian layer and a
//!   build-dependencies layer, each with a dpkg database (`var/lib/dpkg/status`, a few
//!   hundred stanzas over the two, and `var/lib/dpkg/info/<pkg>.list` listing the files
//!   the layer holds: binaries, libraries, docs under `usr/share/doc`, man pages,
//!   locales, headers under `usr/include`, `-dev` and gcc packages; merged-`/usr`
//!   symlinks, hard links, a time-zone database), and a Python layer built like the
//!   official image's (`usr/local/lib/python3.11`: small `.py` files, 2,700 at 1 GB,
//!   each with its `__pycache__`, `lib-dynload`, headers, pip/setuptools/wheel with
//!   their `RECORD`s).
//!   Per service: a pip layer of small files (1,000–5,000 at 1 GB) with one
//!   `<dist>-<version>.dist-info/RECORD` per distribution (real sha256 and sizes; a
//!   different set of distributions per service, drawn from a few profiles, the same
//!   versions shared by several services), which also leaves pip's cache under
//!   `root/.cache/pip`; in half of the services a later layer deletes that cache (a
//!   whiteout), and two replace the base's setuptools (an opaque directory); a
//!   `node_modules` layer (`package.json` per package, scoped and nested packages,
//!   `package-lock.json`) in a quarter of them; an app layer (two with the `.git`
//!   directory nobody excluded); empty-layer history (`ENV`, `EXPOSE`, `CMD`). Two orphan images: an Alpine image with an apk database
//!   and a distroless-style image with `var/lib/dpkg/status.d`. At `--scale 1GB`: 18
//!   images, 62 layers, about 70,000 entries; at 100 MB about 30,000. The plan is made
//!   again for smaller contents until its tar streams (headers and padding included)
//!   take about `scale` bytes; below about 30 MB the fixed structure (a few hundred
//!   packages, the standard library) makes the set larger than asked.
//! - **`many`** (`images` N): N images on three bases made like the `python-fleet` base
//!   (the Debian layer; Debian + Python; Debian + build dependencies + Python: the same
//!   Python layer on two parents), each with one small own layer (a few files, a few KB
//!   to 1 MB). The base layers, which take `scale` bytes, are generated once, so a
//!   thousand images take seconds.
//!
//! File contents mix incompressible bytes with text-like runs, so gzip and zstd layers
//! compress about as much as real ones; databases and metadata are real-looking text.
//! The same [`SynthOptions`] always produce byte-identical archives. Layers are never
//! held in memory: uncompressed layers are generated twice (once to learn their digest
//! and size, once into the archive), compressed ones are written to a temporary file
//! next to the output and copied in.
//!
//! ```no_run
//! use layerlens_testtools::synth::{generate, SynthFormat, SynthOptions, SynthShape};
//!
//! let scale = layerlens::present::parse_size("100MB").unwrap();
//! let mut opts = SynthOptions::new(scale, SynthFormat::Docker25);
//! opts.shape = SynthShape::PythonFleet;
//! let summary = generate(std::path::Path::new("fleet.tar"), &opts)?;
//! println!("{} images, {} files", summary.images, summary.files);
//! # Ok::<(), layerlens::Error>(())
//! ```

mod catalog;
mod content;
mod fleet;
mod python;
mod tree;

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

/// What the image set looks like (see the [module documentation](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SynthShape {
    /// The default mixed fleet with synthetic paths (pinned bytes).
    #[default]
    Fleet,
    /// Python services on a Debian + Python base, with package databases.
    PythonFleet,
    /// This many images, each one small layer on one of three shared bases.
    Many {
        /// Number of images.
        images: usize,
    },
}

impl SynthShape {
    /// The shape names [`SynthShape::parse`] accepts.
    pub const NAMES: [&'static str; 3] = ["fleet", "python-fleet", "many"];

    /// Parse a shape name; `images` is the image count of `many` (ignored otherwise).
    pub fn parse(name: &str, images: usize) -> Option<SynthShape> {
        match name {
            "fleet" => Some(SynthShape::Fleet),
            "python-fleet" => Some(SynthShape::PythonFleet),
            "many" => Some(SynthShape::Many { images }),
            _ => None,
        }
    }

    /// The name [`SynthShape::parse`] accepts.
    pub fn name(self) -> &'static str {
        match self {
            SynthShape::Fleet => "fleet",
            SynthShape::PythonFleet => "python-fleet",
            SynthShape::Many { .. } => "many",
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
    /// Approximate uncompressed bytes of all distinct layers together (for `many`: of
    /// the base layers; the images' own layers come on top).
    pub scale: u64,
    /// Archive layout.
    pub format: SynthFormat,
    /// Seed: the same seed, scale, shape and format give the same bytes.
    pub seed: u64,
    /// Worker threads for generating and compressing layers; 0 means one per core.
    pub threads: usize,
    /// The shape of the image set.
    pub shape: SynthShape,
}

impl SynthOptions {
    /// Options for the default shape, with the default seed and one thread per core.
    pub fn new(scale: u64, format: SynthFormat) -> SynthOptions {
        SynthOptions {
            scale,
            format,
            seed: 0x1a7e_51e5,
            threads: 0,
            shape: SynthShape::Fleet,
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

/// The most images `many` makes.
pub const MAX_IMAGES: usize = 100_000;

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
    /// A layer planned entry by entry.
    Tree(tree::TreeLayer),
}

impl LayerSpec {
    fn bytes(&self) -> u64 {
        match self {
            LayerSpec::Fleet(p) => p.bytes(),
            LayerSpec::Tree(t) => t.bytes(),
        }
    }

    fn write(&self, w: &mut dyn Write) -> io::Result<LayerCounts> {
        match self {
            LayerSpec::Fleet(p) => p.write(w),
            LayerSpec::Tree(t) => t.write(w),
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
    /// How many of the first layers the scale is the size of (all of them but the
    /// images' own layers in `many`).
    pub(crate) scaled_layers: usize,
}

impl Plan {
    /// About how many bytes the tar streams of the scaled layers take.
    fn estimated_tar_bytes(&self) -> u64 {
        self.layers[..self.scaled_layers]
            .iter()
            .map(|l| match l {
                LayerSpec::Fleet(p) => p.bytes(),
                LayerSpec::Tree(t) => t.estimated_tar_bytes(),
            })
            .sum()
    }

    /// Drop the layers no image uses (a base nobody picked), keeping the order.
    fn without_unused_layers(mut self) -> Plan {
        let used: std::collections::BTreeSet<usize> = self
            .images
            .iter()
            .flat_map(|i| i.layers.iter().copied())
            .collect();
        if used.len() == self.layers.len() {
            return self;
        }
        let mut new_index = vec![usize::MAX; self.layers.len()];
        let mut kept = Vec::with_capacity(used.len());
        let mut scaled = 0;
        for (i, layer) in std::mem::take(&mut self.layers).into_iter().enumerate() {
            if used.contains(&i) {
                new_index[i] = kept.len();
                kept.push(layer);
                scaled += usize::from(i < self.scaled_layers);
            }
        }
        for img in &mut self.images {
            for l in &mut img.layers {
                *l = new_index[*l];
            }
        }
        Plan {
            layers: kept,
            images: self.images,
            scaled_layers: scaled,
        }
    }

    /// Plan with `build` so that the scaled layers take about `scale` bytes of tar:
    /// planned sizes are file contents, and headers, padding and directories add to
    /// them (a lot, with tens of thousands of small files), so the plan is made again
    /// for a smaller content size, at most three times and never below a quarter.
    fn calibrated(scale: u64, build: impl Fn(u64) -> Plan) -> Plan {
        let mut content = scale;
        let mut plan = build(content);
        for _ in 0..3 {
            let tar = plan.estimated_tar_bytes().max(1);
            if tar.abs_diff(scale) <= scale / 50 {
                break;
            }
            let next =
                ((content as f64 * scale as f64 / tar as f64) as u64).clamp(scale / 4, scale);
            if next == content {
                break;
            }
            content = next;
            plan = build(content);
        }
        plan
    }
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
    let io_err = |e: io::Error| Error::io(at.clone(), e);
    if opts.scale < (1 << 20) {
        return Err(Error::Options(format!(
            "scale {} is too small: at least 1 MiB",
            opts.scale
        )));
    }
    if let SynthShape::Many { images } = opts.shape {
        if !(1..=MAX_IMAGES).contains(&images) {
            return Err(Error::Options(format!(
                "{images} images: many makes 1 to {MAX_IMAGES}"
            )));
        }
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
        let plan = match opts.shape {
            SynthShape::Fleet => fleet::plan(opts.scale, opts.seed),
            SynthShape::PythonFleet => {
                Plan::calibrated(opts.scale, |s| python::python_fleet(s, opts.seed))
            }
            SynthShape::Many { images } => {
                Plan::calibrated(opts.scale, |s| python::many(s, opts.seed, images))
            }
        }
        .without_unused_layers();
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

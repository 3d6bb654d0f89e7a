//! Options decided once, at construction: verify mode, threads, limits, platform,
//! progress and interrupt.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};

/// How much of each layer is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Verify {
    /// sha256 every layer stream and every stored blob, and compare them with the
    /// config's diff_ids and the descriptors' digests. The default.
    #[default]
    Full,
    /// Trust the metadata: no sha256 of layer bytes (configs and manifests are still
    /// checked, they are small). Layers are still read and parsed; diff_ids are taken
    /// from the configs.
    Trust,
}

/// Resource limits that keep hostile input from exhausting memory or time.
///
/// The defaults are generous for real images and still bounded; see the README.
///
/// Build one from the defaults: `Limits::default().max_layer_bytes(1 << 30)`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Most entries accepted in one layer.
    pub max_entries_per_layer: u64,
    /// Most bytes one decompressed layer stream may have.
    pub max_layer_bytes: u64,
    /// A compressed layer may expand at most this many times its stored size
    /// (applied only past [`Limits::ratio_floor_bytes`]).
    pub max_compression_ratio: u64,
    /// Decompressed size below which the ratio is not checked.
    pub ratio_floor_bytes: u64,
    /// Largest JSON document (manifest, index, config) read into memory.
    pub max_json_bytes: u64,
    /// Most bytes of small members (JSON and blobs of at most 4 KiB) kept in memory
    /// in total while streaming one compressed archive or standard input.
    pub max_buffered_bytes: u64,
    /// Longest path accepted in a layer or an archive.
    pub max_path_bytes: u64,
    /// Most members in an outer archive or files in an input directory.
    pub max_members: u64,
    /// Deepest nesting of image indexes.
    pub max_index_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries_per_layer: 10_000_000,
            max_layer_bytes: 1 << 40,
            max_compression_ratio: 1000,
            ratio_floor_bytes: 1 << 30,
            max_json_bytes: 64 << 20,
            max_buffered_bytes: 1 << 30,
            max_path_bytes: 64 << 10,
            max_members: 10_000_000,
            max_index_depth: 16,
        }
    }
}

impl Limits {
    /// Set [`Limits::max_entries_per_layer`]: most entries accepted in one layer.
    pub fn max_entries_per_layer(mut self, value: u64) -> Self {
        self.max_entries_per_layer = value;
        self
    }

    /// Set [`Limits::max_layer_bytes`]: most bytes one decompressed layer stream may have.
    pub fn max_layer_bytes(mut self, value: u64) -> Self {
        self.max_layer_bytes = value;
        self
    }

    /// Set [`Limits::max_compression_ratio`]: most times a compressed layer may expand.
    pub fn max_compression_ratio(mut self, value: u64) -> Self {
        self.max_compression_ratio = value;
        self
    }

    /// Set [`Limits::ratio_floor_bytes`]: decompressed size below which the ratio is not checked.
    pub fn ratio_floor_bytes(mut self, value: u64) -> Self {
        self.ratio_floor_bytes = value;
        self
    }

    /// Set [`Limits::max_json_bytes`]: largest JSON document read into memory.
    pub fn max_json_bytes(mut self, value: u64) -> Self {
        self.max_json_bytes = value;
        self
    }

    /// Set [`Limits::max_buffered_bytes`]: most bytes of small members kept in memory while streaming.
    pub fn max_buffered_bytes(mut self, value: u64) -> Self {
        self.max_buffered_bytes = value;
        self
    }

    /// Set [`Limits::max_path_bytes`]: longest path accepted.
    pub fn max_path_bytes(mut self, value: u64) -> Self {
        self.max_path_bytes = value;
        self
    }

    /// Set [`Limits::max_members`]: most members in an outer archive or files in an input directory.
    pub fn max_members(mut self, value: u64) -> Self {
        self.max_members = value;
        self
    }

    /// Set [`Limits::max_index_depth`]: deepest nesting of image indexes.
    pub fn max_index_depth(mut self, value: u32) -> Self {
        self.max_index_depth = value;
        self
    }
}

/// A platform filter, `os/arch[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// Operating system (`linux`).
    pub os: String,
    /// Architecture (`amd64`, `arm64`).
    pub architecture: String,
    /// Variant (`v8`), when given.
    pub variant: Option<String>,
}

impl Platform {
    /// Parse `os/arch[/variant]`.
    pub fn parse(s: &str) -> Result<Platform> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] | [os, arch, _] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: os.to_string(),
                architecture: arch.to_string(),
                variant: parts
                    .get(2)
                    .filter(|v| !v.is_empty())
                    .map(|v| v.to_string()),
            }),
            _ => Err(Error::Options(format!(
                "platform {s:?} is not of the form os/arch[/variant]"
            ))),
        }
    }

    /// Whether an image of this os, architecture and variant matches the filter.
    pub fn matches(&self, os: &str, architecture: &str, variant: Option<&str>) -> bool {
        self.os == os
            && self.architecture == architecture
            && match (&self.variant, variant) {
                (None, _) => true,
                (Some(want), Some(have)) => want == have,
                (Some(_), None) => false,
            }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// Progress events, for a caller that wants to show a bar.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum ProgressEvent {
    /// The analysis knows how many layers and stored bytes it is going to read.
    Planned {
        /// Layers to analyse.
        layers: u64,
        /// Stored bytes to read (0 when streaming: unknown in advance).
        bytes: u64,
    },
    /// Stored bytes were read.
    Bytes(u64),
    /// A layer finished.
    LayerDone,
}

/// Receives [`ProgressEvent`]s, from several threads at once.
pub type ProgressFn = Arc<dyn Fn(ProgressEvent) + Send + Sync>;

/// Receives every file record of every analysed layer as it streams past, with the
/// input and the member that hold the layer. Called from worker threads, once per
/// record of each unique layer (in a streamed input, of each layer-like blob).
pub type FileVisitor = Arc<dyn Fn(&str, &str, &crate::FileRecord) + Send + Sync>;

/// Everything that configures an analysis.
///
/// Build one from the defaults, one setting at a time:
///
/// ```
/// use layerlens::{KeepFiles, Options, Verify};
/// let opts = Options::default().threads(4).verify(Verify::Trust).keep_files(KeepFiles::No);
/// assert_eq!(opts.threads, 4);
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// Verify mode.
    pub verify: Verify,
    /// Worker threads; 0 means one per available core.
    pub threads: usize,
    /// Only analyse images of this platform.
    pub platform: Option<Platform>,
    /// Resource limits.
    pub limits: Limits,
    /// Keep every file record of every layer in the result (needed by the waste,
    /// duplicate and attribution analyses). On by default.
    pub keep_files: KeepFiles,
    /// Capture the bytes of small package-manager metadata files (dpkg, apk, Python
    /// `RECORD`s, npm `package.json`s) during the layer walk, for attribution. On by
    /// default; bounded per file and per layer.
    pub capture_metadata: CaptureMetadata,
    /// Look inside files during the layer walk: the packages files are (Go and
    /// cargo-auditable binaries, Java archives, Ruby gems) and private keys and
    /// credentials. On by default; bounded per file. (Image configs are always
    /// scanned for credentials: that costs nothing.)
    pub detect: Detect,
    /// Raised by the caller (Ctrl-C) to stop the analysis promptly.
    pub interrupt: Option<Arc<AtomicBool>>,
    /// Progress sink.
    pub progress: Option<ProgressFn>,
    /// Streams every file record to the caller; combine with [`KeepFiles::No`] to walk
    /// every file of a large set without keeping any.
    pub file_visitor: Option<FileVisitor>,
    /// A directory of cached layer results (created when missing): layers found there
    /// by diff_id, stored digest and size are not read again; every layer analysed is
    /// stored there. Entries are versioned and checksummed, and ignored (rewritten)
    /// when anything about them is off; a hit trusts content addressing, so the layer
    /// is neither re-read nor re-verified (leave the cache off to audit an archive).
    pub cache: Option<std::path::PathBuf>,
    /// Also analyse the intermediate images an image store keeps (untagged images
    /// that other images are built on: the classic builder's steps). Off by default:
    /// they repeat their children's layers, and would make those look shared.
    pub include_intermediate: bool,
}

/// Whether per-file records are kept in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeepFiles {
    /// Keep them (memory grows with the number of files, never with bytes).
    #[default]
    Yes,
    /// Count files but keep no records.
    No,
}

/// Whether package-manager metadata files are captured during the layer walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaptureMetadata {
    /// Capture them (at most 8 MiB per file, 64 MiB per layer).
    #[default]
    Yes,
    /// Capture nothing: attribution then finds no packages.
    No,
}

/// Whether the layer walk looks inside files ([`Options::detect`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detect {
    /// Run the detectors on the files that they want (a few per layer).
    #[default]
    Yes,
    /// Run none: no Go, cargo, Maven or gem packages, no key or secret findings.
    No,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("verify", &self.verify)
            .field("threads", &self.threads)
            .field("platform", &self.platform)
            .field("limits", &self.limits)
            .field("keep_files", &self.keep_files)
            .field("capture_metadata", &self.capture_metadata)
            .field("detect", &self.detect)
            .field("interrupt", &self.interrupt.is_some())
            .field("progress", &self.progress.is_some())
            .field("file_visitor", &self.file_visitor.is_some())
            .field("cache", &self.cache)
            .field("include_intermediate", &self.include_intermediate)
            .finish()
    }
}

impl Options {
    /// Set [`Options::verify`]: the verify mode.
    pub fn verify(mut self, value: Verify) -> Self {
        self.verify = value;
        self
    }

    /// Set [`Options::threads`]: worker threads (0: one per available core).
    pub fn threads(mut self, value: usize) -> Self {
        self.threads = value;
        self
    }

    /// Set [`Options::limits`]: the resource limits.
    pub fn limits(mut self, value: Limits) -> Self {
        self.limits = value;
        self
    }

    /// Set [`Options::keep_files`]: whether per-file records are kept.
    pub fn keep_files(mut self, value: KeepFiles) -> Self {
        self.keep_files = value;
        self
    }

    /// Set [`Options::capture_metadata`]: whether package metadata is captured.
    pub fn capture_metadata(mut self, value: CaptureMetadata) -> Self {
        self.capture_metadata = value;
        self
    }

    /// Set [`Options::detect`]: whether the layer walk looks inside files.
    pub fn detect(mut self, value: Detect) -> Self {
        self.detect = value;
        self
    }

    /// Set [`Options::include_intermediate`]: whether a store's intermediate images are analysed too.
    pub fn include_intermediate(mut self, value: bool) -> Self {
        self.include_intermediate = value;
        self
    }

    /// Only analyse images of this platform ([`Options::platform`]).
    pub fn platform(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }

    /// Stop promptly once `flag` is raised ([`Options::interrupt`]).
    pub fn interrupt(mut self, flag: Arc<AtomicBool>) -> Self {
        self.interrupt = Some(flag);
        self
    }

    /// Send progress events to `sink` ([`Options::progress`]).
    pub fn progress(mut self, sink: ProgressFn) -> Self {
        self.progress = Some(sink);
        self
    }

    /// Stream every file record to `visitor` ([`Options::file_visitor`]).
    pub fn file_visitor(mut self, visitor: FileVisitor) -> Self {
        self.file_visitor = Some(visitor);
        self
    }

    /// Keep layer results in the cache directory `dir` ([`Options::cache`]).
    pub fn cache(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.cache = Some(dir.into());
        self
    }

    pub(crate) fn interrupted(&self) -> bool {
        self.interrupt
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
    }

    /// A visitor for the layer in `member` of `input`: forwards to the file visitor.
    pub(crate) fn visit_fn<'a>(
        &'a self,
        input: &'a str,
        member: &'a str,
    ) -> impl FnMut(&crate::FileRecord) + 'a {
        move |rec| {
            if let Some(v) = &self.file_visitor {
                v(input, member, rec);
            }
        }
    }

    pub(crate) fn report(&self, event: ProgressEvent) {
        if let Some(p) = &self.progress {
            p(event);
        }
    }
}

/// A rayon pool of `threads` workers (0: one per core), for a phase run on the caller's
/// thread count.
pub(crate) fn thread_pool(threads: usize) -> crate::Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| crate::Error::Options(format!("cannot start worker threads: {e}")))
}

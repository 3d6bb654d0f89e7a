//! Analysis of one layer: decompress by magic, sha256 the stream, walk the tar entries,
//! and record every file.
//!
//! [`analyze_layer`] is the streaming core: it reads a stored blob once, never holds more
//! than a buffer of it, and hands every [`FileRecord`] to a visitor as it passes. The
//! [`LayerReport`] it returns is independent of the image the layer came from, so it can
//! be cached by diff_id and merged across inputs.

use std::cell::Cell;
use std::io::{self, BufReader, Read};
use std::rc::Rc;

use foldhash::HashSet;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use twox_hash::{XxHash3_128, XxHash3_64};

/// XXH3-128 of `bytes` (twox-hash picks AVX2 or SSE2 at run time).
fn xxh3_128(bytes: &[u8]) -> u128 {
    XxHash3_128::oneshot(bytes)
}

/// XXH3-64 of `bytes`.
fn xxh3_64(bytes: &[u8]) -> u64 {
    XxHash3_64::oneshot(bytes)
}

use crate::digest::{ContentDigest, Digest};
use crate::error::StreamAbort;
use crate::options::{Limits, Options, ProgressEvent, Verify};
use crate::read::detect::{is_rpm_database, Detected, LayerDetect};
use crate::read::tarext::{check_pax, Watch, WatchState};

/// How a stored layer blob is compressed, decided by its first bytes, never by its
/// media type (writers mislabel raw tars as `+gzip`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// A plain tar stream.
    None,
    /// gzip, possibly several members (eStargz).
    Gzip,
    /// zstd, possibly several frames.
    Zstd,
}

impl Compression {
    /// Decide from the first bytes of a blob.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// What a tar entry is, after whiteouts have been told apart from regular files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A regular file with content.
    Regular,
    /// A directory.
    Directory,
    /// A symbolic link.
    Symlink,
    /// A hard link to an earlier entry of the same layer.
    Hardlink,
    /// `.wh.<name>`: hides `<name>` of the lower layers.
    Whiteout,
    /// `.wh..wh..opq`: hides every lower-layer entry of its directory.
    OpaqueWhiteout,
    /// A character device, block device, FIFO or anything else.
    Other,
}

/// One entry of a layer, as layerlens keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Normalised path: relative, `/`-separated, no `.`/`..` components, no trailing
    /// slash. For whiteouts, the path of the whiteout entry itself (`dir/.wh.name`).
    pub path: String,
    /// What the entry is.
    pub kind: EntryKind,
    /// Content bytes (regular files only; 0 for everything else).
    pub size: u64,
    /// Permission bits and file type bits as stored.
    pub mode: u32,
    /// Owner uid.
    pub uid: u64,
    /// Owner gid.
    pub gid: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: u64,
    /// Link target for symlinks (as stored) and hardlinks (normalised path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_target: Option<String>,
    /// Digest of the content (regular files), absent in no-content modes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<ContentDigest>,
}

impl FileRecord {
    /// For a whiteout, the path it hides; for an opaque marker, the directory it
    /// empties (`""` for the root); `None` for every other entry.
    pub fn whiteout_target(&self) -> Option<String> {
        let (dir, base) = split_parent(&self.path);
        match self.kind {
            EntryKind::Whiteout => {
                let name = &base[WHITEOUT_PREFIX.len()..];
                Some(if dir.is_empty() {
                    name.to_string()
                } else {
                    format!("{dir}/{name}")
                })
            }
            EntryKind::OpaqueWhiteout => Some(dir.to_string()),
            _ => None,
        }
    }
}

/// Counts of entries by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryCounts {
    /// Regular files (whiteouts excluded).
    pub regular: u64,
    /// Directories.
    pub directories: u64,
    /// Symbolic links.
    pub symlinks: u64,
    /// Hard links.
    pub hardlinks: u64,
    /// `.wh.<name>` entries.
    pub whiteouts: u64,
    /// `.wh..wh..opq` entries.
    pub opaque_whiteouts: u64,
    /// Devices, FIFOs and other entry types.
    pub other: u64,
}

impl EntryCounts {
    /// Regular files + symlinks + hardlinks: the `files` of the JSON schema.
    pub fn files(&self) -> u64 {
        self.regular + self.symlinks + self.hardlinks
    }

    /// Every entry.
    pub fn total(&self) -> u64 {
        self.regular
            + self.directories
            + self.symlinks
            + self.hardlinks
            + self.whiteouts
            + self.opaque_whiteouts
            + self.other
    }

    fn add(&mut self, kind: EntryKind) {
        match kind {
            EntryKind::Regular => self.regular += 1,
            EntryKind::Directory => self.directories += 1,
            EntryKind::Symlink => self.symlinks += 1,
            EntryKind::Hardlink => self.hardlinks += 1,
            EntryKind::Whiteout => self.whiteouts += 1,
            EntryKind::OpaqueWhiteout => self.opaque_whiteouts += 1,
            EntryKind::Other => self.other += 1,
        }
    }
}

/// The analysis of one layer: everything layerlens knows about it, independent of the
/// images that use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerReport {
    /// sha256 of the whole uncompressed stream, to its very end. In [`Verify::Trust`]
    /// mode, the diff_id the config claims.
    pub diff_id: Digest,
    /// Whether `diff_id` was computed from the bytes (false in trust mode).
    pub verified: bool,
    /// sha256 of the stored blob (equal to `diff_id` when uncompressed); absent in trust
    /// mode for compressed blobs.
    pub stored_digest: Option<Digest>,
    /// Compression of the stored blob, by magic bytes.
    pub compression: Compression,
    /// Bytes of the stored blob.
    pub stored_size: u64,
    /// Bytes of the uncompressed stream.
    pub tar_size: u64,
    /// Sum of regular-file sizes.
    pub content_size: u64,
    /// Sum of the lengths of symlink targets: what overlay2 counts for symlinks, so
    /// `content_size + symlink_size` is the layer's size as `docker images` reports it.
    #[serde(default)]
    pub symlink_size: u64,
    /// Bytes after the tar end-of-archive marker (zero padding, or eStargz's hidden TOC).
    pub trailing_size: u64,
    /// Entries by kind.
    pub counts: EntryCounts,
    /// Every entry in stream order, unless records were not kept.
    pub files: Vec<FileRecord>,
    /// Things worth knowing that did not stop the analysis.
    pub notes: Vec<String>,
    /// The bytes of the package-manager metadata files of the layer (dpkg, apk, Python
    /// `RECORD`s, npm `package.json`s; see [`is_package_metadata`]), captured in the
    /// same single pass, in stream order, when [`Options::capture_metadata`] says so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub captured: Vec<CapturedFile>,
    /// What the detectors found inside the layer's files (rpm databases, packages,
    /// keys and credentials), in the same pass; see [`crate::Detected`].
    #[serde(default, skip_serializing_if = "Detected::is_empty")]
    pub detected: Detected,
}

/// The content of one small metadata file, captured while the layer streamed past.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapturedFile {
    /// Normalised path, as in [`FileRecord::path`].
    pub path: String,
    /// The whole content.
    pub bytes: Vec<u8>,
}

/// Largest metadata file captured (bigger ones are skipped with a note).
pub const MAX_CAPTURED_FILE: u64 = 8 << 20;
/// Most metadata bytes captured from one layer (beyond, a note).
pub const MAX_CAPTURED_PER_LAYER: u64 = 64 << 20;

/// Whether a normalised path is a package-manager metadata file that attribution reads:
/// `var/lib/dpkg/status`, `var/lib/dpkg/status.d/*`, `var/lib/dpkg/info/*.list`,
/// `lib/apk/db/installed`, `**/*.dist-info/RECORD`, `**/*.egg-info/installed-files.txt`,
/// `**/node_modules/*/package.json` and `**/node_modules/@*/*/package.json`.
pub fn is_package_metadata(path: &str) -> bool {
    if path == "var/lib/dpkg/status" || path == "lib/apk/db/installed" {
        return true;
    }
    let (dir, base) = split_parent(path);
    if dir == "var/lib/dpkg/status.d" {
        return !base.is_empty();
    }
    if dir == "var/lib/dpkg/info" {
        return base.ends_with(".list");
    }
    let (parent, dir_name) = split_parent(dir);
    match base {
        "RECORD" => dir_name.ends_with(".dist-info"),
        "installed-files.txt" => dir_name.ends_with(".egg-info"),
        "package.json" => {
            let (grand, scope) = split_parent(parent);
            let in_modules = |d: &str| d == "node_modules" || d.ends_with("/node_modules");
            (in_modules(parent) && !dir_name.starts_with(['.', '@']))
                || (scope.starts_with('@') && in_modules(grand))
        }
        _ => false,
    }
}

/// The `.wh.` prefix of whiteout entries.
pub const WHITEOUT_PREFIX: &str = ".wh.";
/// The name of opaque-directory markers.
pub const OPAQUE_MARKER: &str = ".wh..wh..opq";

/// Normalise a tar path: drop `./` and leading `/`, resolve `.` and `..` lexically
/// (never above the root), drop trailing slashes. Non-UTF-8 bytes are replaced.
pub fn normalize_path(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    let mut parts: Vec<&str> = Vec::new();
    for comp in s.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

/// Split `a/b/c` into (`a/b`, `c`); a top-level name has an empty parent.
pub fn split_parent(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    }
}

/// A reader that counts and (optionally) sha256-hashes everything read through it, and
/// enforces a byte limit and the interrupt flag.
pub(crate) struct Tap<'o, R> {
    inner: R,
    hasher: Option<Sha256>,
    pub(crate) count: u64,
    max: u64,
    limit_name: &'static str,
    opts: &'o Options,
    report_progress: bool,
    /// The stored-blob tap publishes its count here, so that the decompressed tap can
    /// check the expansion ratio while decompressing, not only at the end: a bomb stops
    /// within a buffer of crossing the limit instead of after expanding completely.
    published: Option<Rc<Cell<u64>>>,
    /// The decompressed tap: the stored count to check the ratio against.
    ratio_of: Option<Rc<Cell<u64>>>,
}

impl<'o, R: Read> Tap<'o, R> {
    pub(crate) fn new(
        inner: R,
        hash: bool,
        max: u64,
        limit_name: &'static str,
        opts: &'o Options,
    ) -> Self {
        Tap {
            inner,
            hasher: hash.then(Sha256::new),
            count: 0,
            max,
            limit_name,
            opts,
            report_progress: false,
            published: None,
            ratio_of: None,
        }
    }

    pub(crate) fn finish(self) -> (u64, Option<Digest>) {
        (
            self.count,
            self.hasher
                .map(|h| Digest::from_sha256(&h.finalize().into())),
        )
    }
}

impl<R: Read> Read for Tap<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.opts.interrupted() {
            return Err(StreamAbort::Interrupted.into_io());
        }
        let n = self.inner.read(buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        self.count += n as u64;
        if self.count > self.max {
            return Err(StreamAbort::Limit {
                limit: self.limit_name,
                max: self.max,
            }
            .into_io());
        }
        if let Some(p) = &self.published {
            p.set(self.count);
        }
        if let Some(stored) = &self.ratio_of {
            check_ratio(&self.opts.limits, stored.get(), self.count)?;
        }
        if self.report_progress && n > 0 {
            self.opts.report(ProgressEvent::Bytes(n as u64));
        }
        Ok(n)
    }
}

/// Read until `buf` is full or the stream ends; returns how many bytes were read.
pub(crate) fn read_full<R: Read + ?Sized>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A stored blob's first bytes: enough to tell gzip, zstd and tar apart.
pub(crate) const SNIFF_LEN: usize = 512;

/// Whether a blob's first bytes look like a tar header (ustar magic, or a valid
/// old-style header checksum), or an empty/zero-filled tar.
pub(crate) fn looks_like_tar(head: &[u8]) -> bool {
    if head.is_empty() || head.iter().all(|&b| b == 0) {
        return true;
    }
    if head.len() < 512 {
        return false;
    }
    if &head[257..262] == b"ustar" {
        return true;
    }
    // Old v7 headers: check the checksum field.
    let stored = std::str::from_utf8(&head[148..156])
        .ok()
        .map(|s| s.trim_matches(|c: char| c == '\0' || c == ' '))
        .and_then(|s| u32::from_str_radix(s, 8).ok());
    let computed: u32 = head[..512]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                b as u32
            }
        })
        .sum();
    stored == Some(computed)
}

/// Analyse one stored layer blob read from `stored`.
///
/// Decompresses by magic bytes, sha256-hashes the stored and the uncompressed stream
/// (unless `opts.verify` is [`Verify::Trust`]), walks the tar entries and calls `visit`
/// for each [`FileRecord`] as it passes. Records are also kept in the report when
/// `opts.keep_files` says so. Errors carry no location; the caller adds it.
pub fn analyze_layer<R: Read>(
    stored: R,
    opts: &Options,
    visit: &mut dyn FnMut(&FileRecord),
) -> crate::Result<LayerReport> {
    analyze_layer_inner(stored, opts, visit, false)
        .map_err(|e| crate::Error::from_io(crate::Location::default(), e))
}

pub(crate) fn analyze_layer_inner<R: Read>(
    stored: R,
    opts: &Options,
    visit: &mut dyn FnMut(&FileRecord),
    report_progress: bool,
) -> io::Result<LayerReport> {
    let limits: &Limits = &opts.limits;
    let verify = opts.verify == Verify::Full;
    let mut stored = Tap::new(stored, false, u64::MAX, "max_layer_bytes", opts);
    stored.report_progress = report_progress;
    let stored_count = Rc::new(Cell::new(0));
    stored.published = Some(stored_count.clone());
    let mut head = [0u8; SNIFF_LEN];
    let head_len = read_full(&mut stored, &mut head)?;
    let compression = Compression::sniff(&head[..head_len]);
    // The stored stream is hashed separately only when it differs from the tar stream.
    let hash_stored = verify && compression != Compression::None;
    if hash_stored {
        let mut h = Sha256::new();
        h.update(&head[..head_len]);
        stored.hasher = Some(h);
    }
    let rest = io::Cursor::new(head[..head_len].to_vec()).chain(&mut stored);
    let decoded: Box<dyn Read + '_> = match compression {
        Compression::None => Box::new(rest),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
            128 << 10,
            rest,
        ))),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(rest)?),
    };
    let mut tar_stream = Tap::new(
        decoded,
        verify,
        limits.max_layer_bytes,
        "max_layer_bytes",
        opts,
    );
    if compression != Compression::None {
        tar_stream.ratio_of = Some(stored_count);
    }

    // tar-rs reads each header as its own 512-byte read; a buffer in front of the
    // decoder, the hash and the positional reads keeps every one of them in big chunks.
    let mut buffered = BufReader::with_capacity(WALK_BUFFER, tar_stream);
    let mut report = walk_tar(&mut buffered, opts, visit)?;

    // The diff_id covers the whole stream: drain what follows the end-of-archive marker.
    let before = buffered.get_ref().count - buffered.buffer().len() as u64;
    drain(&mut buffered)?;
    let tar_stream = buffered.into_inner();
    report.trailing_size = tar_stream.count - before;
    let (tar_size, diff_id) = tar_stream.finish();
    let (stored_size, stored_digest) = stored.finish();
    report.tar_size = tar_size;
    report.stored_size = stored_size;
    report.compression = compression;
    if compression != Compression::None {
        check_ratio(limits, stored_size, tar_size)?;
    }
    match diff_id {
        Some(d) => {
            report.stored_digest = if compression == Compression::None {
                Some(d.clone())
            } else {
                stored_digest
            };
            report.diff_id = d;
            report.verified = true;
        }
        None => {
            report.verified = false;
        }
    }
    Ok(report)
}

/// Read-ahead between the layer stream and the tar walker.
const WALK_BUFFER: usize = 256 << 10;

/// Analyse an uncompressed layer read twice at once: `hash` is sha256-hashed on one
/// core while `walk` is parsed (per-file records and digests) on another, so one large
/// layer is not bound to one core by its sha256. Both readers must yield the same bytes
/// (two positional readers over the same range); the caller has checked that the blob
/// is not compressed.
pub(crate) fn analyze_uncompressed_split<W: Read + Send, H: Read + Send>(
    walk: W,
    hash: H,
    opts: &Options,
    report_progress: bool,
) -> io::Result<LayerReport> {
    let walk_opts = Options {
        verify: Verify::Trust,
        ..opts.clone()
    };
    let (hashed, walked) = rayon::join(
        || -> io::Result<(u64, Option<Digest>)> {
            let mut tap = Tap::new(
                hash,
                true,
                opts.limits.max_layer_bytes,
                "max_layer_bytes",
                opts,
            );
            drain(&mut tap)?;
            Ok(tap.finish())
        },
        || analyze_layer_inner(walk, &walk_opts, &mut |_| {}, report_progress),
    );
    let mut report = walked?;
    let (hashed_size, digest) = hashed?;
    if report.compression != Compression::None || hashed_size != report.stored_size {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the layer changed while it was read",
        ));
    }
    let digest = digest.expect("the hash side always hashes");
    report.stored_digest = Some(digest.clone());
    report.diff_id = digest;
    report.verified = true;
    Ok(report)
}

fn check_ratio(limits: &Limits, stored: u64, expanded: u64) -> io::Result<()> {
    if expanded > limits.ratio_floor_bytes
        && expanded / stored.max(1) > limits.max_compression_ratio
    {
        return Err(StreamAbort::Limit {
            limit: "max_compression_ratio",
            max: limits.max_compression_ratio,
        }
        .into_io());
    }
    Ok(())
}

fn drain<R: Read>(r: &mut R) -> io::Result<()> {
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn walk_tar<R: io::BufRead>(
    stream: &mut R,
    opts: &Options,
    visit: &mut dyn FnMut(&FileRecord),
) -> io::Result<LayerReport> {
    let keep = opts.keep_files == crate::options::KeepFiles::Yes;
    let limits = &opts.limits;
    let mut report = LayerReport {
        diff_id: Digest::sha256_of(b""),
        verified: false,
        stored_digest: None,
        compression: Compression::None,
        stored_size: 0,
        tar_size: 0,
        content_size: 0,
        symlink_size: 0,
        trailing_size: 0,
        counts: EntryCounts::default(),
        files: Vec::new(),
        notes: Vec::new(),
        captured: Vec::new(),
        detected: Detected::default(),
    };
    let capture = opts.capture_metadata == crate::options::CaptureMetadata::Yes;
    let mut detect = LayerDetect::new(opts.detect == crate::options::Detect::Yes);
    let mut captured_bytes: u64 = 0;
    let shared = std::cell::RefCell::new(Shared {
        inner: stream,
        pos: 0,
        taken: 0,
    });
    let watch = std::cell::RefCell::new(WatchState::default());
    let mut archive = tar::Archive::new(Watch {
        inner: ForwardSeek(&shared),
        state: &watch,
    });
    // For the data of the entries tar-rs must decode itself (GNU sparse files).
    let mut buf: Vec<u8> = Vec::new();
    let mut entries_seen: u64 = 0;
    // 64-bit hashes of the paths seen so far (16 bytes an entry): enough to notice a
    // path repeated in the layer and a hardlink whose target is not in it.
    let mut seen_paths: HashSet<u64> = HashSet::default();
    let mut oddities = Oddities::default();
    let mut entries = archive.entries_with_seek()?;
    loop {
        watch.borrow_mut().in_headers = true;
        let next = entries.next();
        watch.borrow_mut().in_headers = false;
        let Some(entry) = next else { break };
        let mut entry = entry?;
        entries_seen += 1;
        // Entries are numbered with 32 bits in the report phase: the limit never
        // exceeds that, whatever it is set to.
        let max_entries = limits.max_entries_per_layer.min(u64::from(u32::MAX));
        if entries_seen > max_entries {
            return Err(StreamAbort::Limit {
                limit: "max_entries_per_layer",
                max: max_entries,
            }
            .into_io());
        }
        let raw_path = entry.path_bytes();
        if raw_path.len() as u64 > limits.max_path_bytes {
            return Err(StreamAbort::Limit {
                limit: "max_path_bytes",
                max: limits.max_path_bytes,
            }
            .into_io());
        }
        let path = normalize_path(&raw_path);
        let pax = watch.borrow_mut().take_pax();
        if let Some(records) = pax {
            check_pax(&records).map_err(|reason| {
                StreamAbort::ExtendedHeader {
                    entry: path.clone(),
                    reason,
                }
                .into_io()
            })?;
        }
        let header = entry.header();
        let etype = header.entry_type();
        let (_, base) = split_parent(&path);
        let mut kind = match etype {
            tar::EntryType::Regular | tar::EntryType::Continuous => EntryKind::Regular,
            tar::EntryType::GNUSparse => EntryKind::Regular,
            tar::EntryType::Directory => EntryKind::Directory,
            tar::EntryType::Symlink => EntryKind::Symlink,
            tar::EntryType::Link => EntryKind::Hardlink,
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => EntryKind::Other,
            _ => EntryKind::Other,
        };
        // Extended headers are consumed by tar-rs itself; anything left here is a member.
        if base == OPAQUE_MARKER {
            kind = EntryKind::OpaqueWhiteout;
        } else if base.starts_with(WHITEOUT_PREFIX) {
            kind = EntryKind::Whiteout;
        }
        let link_target = match kind {
            EntryKind::Symlink => entry
                .link_name_bytes()
                .map(|l| String::from_utf8_lossy(&l).into_owned()),
            EntryKind::Hardlink => entry.link_name_bytes().map(|l| normalize_path(&l)),
            _ => None,
        };
        let mode = header.mode().unwrap_or(0);
        let uid = header.uid().unwrap_or(0);
        let gid = header.gid().unwrap_or(0);
        let mtime = header.mtime().unwrap_or(0);
        let declared = entry.size();
        let mut size = 0;
        let mut digest = None;
        if kind == EntryKind::Regular {
            let entry_index = (entries_seen - 1) as u32;
            let mut grab = None;
            let mut rpm_db = false;
            let mut sniff = detect.start(&path, declared, mode);
            if capture && is_rpm_database(&path) {
                rpm_db = detect.want_rpm(&path, declared, &mut report.notes);
                if rpm_db {
                    grab = Some(Vec::with_capacity(declared as usize));
                }
            } else if capture && is_package_metadata(&path) {
                if declared > MAX_CAPTURED_FILE {
                    report.notes.push(format!(
                        "{path}: {declared} bytes, over the {MAX_CAPTURED_FILE}-byte metadata \
                         capture limit; not read"
                    ));
                } else if captured_bytes + declared > MAX_CAPTURED_PER_LAYER {
                    report.notes.push(format!(
                        "{path}: over the {MAX_CAPTURED_PER_LAYER}-byte per-layer metadata \
                         capture limit; not read"
                    ));
                } else {
                    captured_bytes += declared;
                    grab = Some(Vec::with_capacity(declared as usize));
                }
            }
            // Plain files are digested where they lie in the read-ahead buffer: one shot
            // when the whole file is there (most are), else through an XXH3 state. Both
            // give the same XXH3-128. tar-rs only decodes GNU sparse data itself.
            let in_place = matches!(etype, tar::EntryType::Regular | tar::EntryType::Continuous);
            let mut h: Option<Box<XxHash3_128>> = None;
            let mut one_shot = None;
            if in_place {
                let mut s = shared.borrow_mut();
                while size < declared {
                    let avail = match s.inner.fill_buf() {
                        Ok(b) => b,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    };
                    if avail.is_empty() {
                        break;
                    }
                    let n = (declared - size).min(avail.len() as u64) as usize;
                    let chunk = &avail[..n];
                    if size == 0 && n as u64 == declared {
                        one_shot = Some(xxh3_128(chunk));
                    } else {
                        h.get_or_insert_with(|| Box::new(XxHash3_128::new()))
                            .write(chunk);
                    }
                    if let Some(g) = &mut grab {
                        g.extend_from_slice(chunk);
                    }
                    if let Some(d) = &mut sniff {
                        if d.feed(chunk) == layerlens_sniff::Flow::Done {
                            let d = sniff.take().expect("a detector");
                            detect.finished(entry_index, &path, d, &mut report.notes);
                        }
                    }
                    s.inner.consume(n);
                    s.pos += n as u64;
                    s.taken += n as u64;
                    size += n as u64;
                }
            } else {
                if buf.is_empty() {
                    buf = vec![0u8; WALK_BUFFER];
                }
                loop {
                    let n = match entry.read(&mut buf) {
                        Ok(n) => n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    };
                    if n == 0 {
                        break;
                    }
                    h.get_or_insert_with(|| Box::new(XxHash3_128::new()))
                        .write(&buf[..n]);
                    if let Some(g) = &mut grab {
                        g.extend_from_slice(&buf[..n]);
                    }
                    if let Some(d) = &mut sniff {
                        if d.feed(&buf[..n]) == layerlens_sniff::Flow::Done {
                            let d = sniff.take().expect("a detector");
                            detect.finished(entry_index, &path, d, &mut report.notes);
                        }
                    }
                    size += n as u64;
                }
            }
            if size != declared {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("entry {path:?} declares {declared} bytes but has {size}"),
                ));
            }
            digest = Some(ContentDigest(match (one_shot, h) {
                (Some(d), _) => d,
                (None, Some(state)) => state.finish_128(),
                (None, None) => xxh3_128(&[]),
            }));
            report.content_size += size;
            if let Some(d) = sniff {
                detect.finished(entry_index, &path, d, &mut report.notes);
            }
            if let Some(bytes) = grab {
                let file = CapturedFile {
                    path: path.clone(),
                    bytes,
                };
                if rpm_db {
                    detect.rpm_captured(file);
                } else {
                    report.captured.push(file);
                }
            }
        }
        if kind == EntryKind::Symlink {
            report.symlink_size += entry.link_name_bytes().map_or(0, |l| l.len() as u64);
        }
        if kind == EntryKind::Hardlink {
            let target = link_target.as_deref().unwrap_or("");
            if !seen_paths.contains(&xxh3_64(target.as_bytes())) {
                Oddities::note(&mut oddities.dangling_hardlinks, &path);
            }
        }
        if !seen_paths.insert(xxh3_64(path.as_bytes())) && kind != EntryKind::Directory {
            Oddities::note(&mut oddities.repeated_paths, &path);
        }
        report.counts.add(kind);
        let record = FileRecord {
            path,
            kind,
            size,
            mode,
            uid,
            gid,
            mtime,
            link_target,
            digest,
        };
        visit(&record);
        if keep {
            report.files.push(record);
        }
    }
    report.notes.extend(oddities.into_notes());
    report.detected = detect.finish(&mut report.notes);
    // The records stay for the whole run: give back what the doubling growth of the
    // vector left unused (up to half of it).
    report.files.shrink_to_fit();
    Ok(report)
}

/// The buffered layer stream under tar-rs, shared with the walker.
///
/// tar-rs reads headers (and extension members) through [`ForwardSeek`]; the walker
/// reads a regular file's data straight out of the read-ahead buffer (`fill_buf`) and
/// digests it in place, without copying it into a buffer of its own, and records how
/// many bytes it took behind tar-rs's back. tar-rs then "seeks" to the next header:
/// the seek skips what is left (the padding) and reports the true position, which
/// tar-rs adopts. Every byte still passes the hashing taps below the buffer.
struct Shared<'s, R> {
    inner: &'s mut R,
    /// Position in the stream: every byte read, skipped or taken by the walker.
    pos: u64,
    /// Bytes taken by the walker since tar-rs last moved.
    taken: u64,
}

impl<R: io::BufRead> Shared<'_, R> {
    fn skip(&mut self, mut amt: u64) -> io::Result<u64> {
        while amt > 0 {
            let avail = match self.inner.fill_buf() {
                Ok(b) => b.len(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "unexpected EOF during skip",
                ));
            }
            let n = amt.min(avail as u64) as usize;
            self.inner.consume(n);
            self.pos += n as u64;
            amt -= n as u64;
        }
        Ok(self.pos)
    }
}

/// What tar-rs reads through: forward-only, a "seek" reads over the skipped bytes.
struct ForwardSeek<'c, 's, R>(&'c std::cell::RefCell<Shared<'s, R>>);

impl<R: io::BufRead> Read for ForwardSeek<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut s = self.0.borrow_mut();
        let n = s.inner.read(buf)?;
        s.pos += n as u64;
        Ok(n)
    }
}

impl<R: io::BufRead> io::Seek for ForwardSeek<'_, '_, R> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        let mut s = self.0.borrow_mut();
        // tar-rs counts from where it last was: the walker's bytes are already past.
        let taken = std::mem::take(&mut s.taken);
        let unsupported = || {
            io::Error::new(
                io::ErrorKind::Unsupported,
                "a layer stream only moves forward",
            )
        };
        match to {
            io::SeekFrom::Current(d) if d >= 0 => {
                let d = (d as u64).checked_sub(taken).ok_or_else(unsupported)?;
                s.skip(d)
            }
            io::SeekFrom::Start(p) if p >= s.pos => {
                let pos = s.pos;
                s.skip(p - pos)
            }
            _ => Err(unsupported()),
        }
    }
}

/// Entries that are legal in a tar but odd in a layer; the analysis continues (the
/// last entry of a path wins, a dangling hardlink counts 0 bytes) and says so.
#[derive(Default)]
struct Oddities {
    repeated_paths: (u64, Option<String>),
    dangling_hardlinks: (u64, Option<String>),
}

impl Oddities {
    fn note(slot: &mut (u64, Option<String>), path: &str) {
        slot.0 += 1;
        if slot.1.is_none() {
            slot.1 = Some(path.to_string());
        }
    }

    fn into_notes(self) -> Vec<String> {
        let mut out = Vec::new();
        if let (n, Some(first)) = self.repeated_paths {
            out.push(format!(
                "{n} entries repeat a path already in this layer (first: {first:?}); the last entry of a path wins"
            ));
        }
        if let (n, Some(first)) = self.dangling_hardlinks {
            out.push(format!(
                "{n} hardlinks point to a path not earlier in this layer (first: {first:?}); they count 0 bytes"
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One record stays in memory per file entry of a set: pin its size.
    #[test]
    fn a_file_record_is_at_most_104_bytes() {
        assert!(
            std::mem::size_of::<FileRecord>() <= 104,
            "{}",
            std::mem::size_of::<FileRecord>()
        );
    }

    #[test]
    fn normalizes_paths() {
        assert_eq!(normalize_path(b"./etc/passwd"), "etc/passwd");
        assert_eq!(normalize_path(b"/usr//bin/"), "usr/bin");
        assert_eq!(normalize_path(b"a/./b/../c"), "a/c");
        assert_eq!(normalize_path(b"../../secret"), "secret");
        assert_eq!(normalize_path(b"./"), "");
        assert_eq!(normalize_path(b"a/\xffb"), "a/\u{fffd}b");
    }

    #[test]
    fn package_metadata_paths() {
        for yes in [
            "var/lib/dpkg/status",
            "var/lib/dpkg/status.d/base-files",
            "var/lib/dpkg/info/libc6:amd64.list",
            "lib/apk/db/installed",
            "usr/lib/python3/dist-packages/six-1.16.0.dist-info/RECORD",
            "usr/lib/python3.11/site-packages/foo-1.0-py3.11.egg-info/installed-files.txt",
            "app/node_modules/left-pad/package.json",
            "app/node_modules/@types/node/package.json",
            "node_modules/a/node_modules/b/package.json",
        ] {
            assert!(is_package_metadata(yes), "{yes}");
        }
        for no in [
            "var/lib/dpkg/info/libc6:amd64.md5sums",
            "var/lib/dpkg/status-old",
            "app/package.json",
            "app/node_modules/left-pad/lib/package.json",
            "app/node_modules/.bin/package.json",
            "usr/lib/foo/RECORD",
        ] {
            assert!(!is_package_metadata(no), "{no}");
        }
    }

    #[test]
    fn sniffs_compression() {
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8]), Compression::Gzip);
        assert_eq!(
            Compression::sniff(&[0x28, 0xb5, 0x2f, 0xfd]),
            Compression::Zstd
        );
        assert_eq!(Compression::sniff(b"hello"), Compression::None);
        assert_eq!(Compression::sniff(&[]), Compression::None);
    }

    fn octal(field: &mut [u8], v: u64) {
        let text = format!("{v:0w$o}\0", w = field.len() - 1);
        field.copy_from_slice(text.as_bytes());
    }

    /// A GNU sparse member is decoded by tar-rs (its data is not read in place), and
    /// the walk stays in step with the entries after it.
    #[test]
    fn gnu_sparse_members_are_expanded_and_the_walk_stays_in_step() {
        let a = [b'a'; 512];
        let b = [b'b'; 512];
        let mut out = Vec::new();
        let mut h = tar::Header::new_gnu();
        h.set_path("sparse.bin").unwrap();
        h.set_entry_type(tar::EntryType::GNUSparse);
        h.set_mode(0o644);
        h.set_size(1024);
        let g = h.as_gnu_mut().unwrap();
        octal(&mut g.realsize, 4096);
        octal(&mut g.sparse[0].offset, 0);
        octal(&mut g.sparse[0].numbytes, 512);
        octal(&mut g.sparse[1].offset, 2048);
        octal(&mut g.sparse[1].numbytes, 512);
        // GNU tar ends the map with an empty chunk at the real size.
        octal(&mut g.sparse[2].offset, 4096);
        octal(&mut g.sparse[2].numbytes, 0);
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(&a);
        out.extend_from_slice(&b);
        let mut builder = tar::Builder::new(out);
        let mut h = tar::Header::new_gnu();
        h.set_size(5);
        h.set_mode(0o644);
        h.set_cksum();
        builder
            .append_data(&mut h, "after.txt", &b"after"[..])
            .unwrap();
        let bytes = builder.into_inner().unwrap();

        let report = analyze_layer(&bytes[..], &Options::default(), &mut |_| {}).unwrap();
        let mut expanded = vec![0u8; 4096];
        expanded[..512].copy_from_slice(&a);
        expanded[2048..2560].copy_from_slice(&b);
        let got: Vec<(&str, u64, Option<ContentDigest>)> = report
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.size, f.digest))
            .collect();
        assert_eq!(
            got,
            [
                ("sparse.bin", 4096, Some(ContentDigest(xxh3_128(&expanded)))),
                ("after.txt", 5, Some(ContentDigest(xxh3_128(b"after")))),
            ]
        );
        assert_eq!(report.diff_id, Digest::sha256_of(&bytes));
    }
}

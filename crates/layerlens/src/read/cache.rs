//! The layer-result cache (`Options::cache`): each analysed layer's [`LayerReport`]
//! stored by what identifies its bytes, so that re-analysing a set re-reads only the
//! layers it has not seen.
//!
//! An entry's name is the sha256 of its key: the layer's diff_id, the stored digest its
//! descriptor promises (or `-`), its stored size, and the options that change the
//! result (verify mode, whether file records and package metadata are kept, whether
//! the detectors ran). Its first line is `layerlens-cache v4 <sha256 of the rest>`; the rest is the JSON of the key and the
//! report. An entry of another version, with a wrong checksum, another key, or a report
//! that contradicts its key is ignored and rewritten, never trusted.
//!
//! A whole report is kept too (`reports/`), keyed by the sha256 of everything it is
//! made of except the layers' bytes: the inputs as named, every image's metadata and
//! the sizes and promised digests of its layer blobs, the options, and the layerlens
//! version. An unchanged set is then answered from its metadata alone.
//!
//! What a hit does trust is content addressing: a layer whose diff_id (and stored
//! digest and size) match an entry is taken to hold the bytes that were analysed, so
//! its bytes are not re-read, and so not re-verified. Leave the cache off to check an
//! archive from an untrusted source.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::digest::Digest;
use crate::options::{CaptureMetadata, Detect, KeepFiles, Options, Verify};
use crate::read::layer::LayerReport;

/// Bumped whenever the layout of [`LayerReport`] or of the entries changes, or what a
/// layer must pass to be analysed (v4: malformed extended headers are rejected, so a v3
/// entry may hold a layer that is now an error).
pub(crate) const CACHE_VERSION: &str = "layerlens-cache v4";

/// What identifies one cached layer result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CacheKey {
    pub(crate) diff_id: Digest,
    pub(crate) stored_digest: Option<Digest>,
    pub(crate) stored_size: u64,
    pub(crate) verified: bool,
    pub(crate) files: bool,
    /// Whether package metadata was captured (attribution needs it).
    pub(crate) captured: bool,
    /// Whether the detectors looked inside files.
    pub(crate) detected: bool,
}

impl CacheKey {
    /// The key of a layer, or `None` when it is not content-addressed (pre-1.10 layers
    /// keyed by their v1 id).
    pub(crate) fn new(
        diff_id: &Digest,
        stored_digest: Option<&Digest>,
        stored_size: u64,
        opts: &Options,
    ) -> Option<CacheKey> {
        (diff_id.algorithm() == "sha256").then(|| CacheKey {
            diff_id: diff_id.clone(),
            stored_digest: stored_digest.cloned(),
            stored_size,
            verified: opts.verify == Verify::Full,
            files: opts.keep_files == KeepFiles::Yes,
            captured: opts.capture_metadata == CaptureMetadata::Yes,
            detected: opts.detect == Detect::Yes,
        })
    }

    fn file_name(&self) -> String {
        let text = format!(
            "{CACHE_VERSION}\0{}\0{}\0{}\0{}\0{}\0{}\0{}",
            self.diff_id,
            self.stored_digest.as_ref().map_or("-", |d| d.as_str()),
            self.stored_size,
            self.verified,
            self.files,
            self.captured,
            self.detected
        );
        hex::encode(Sha256::digest(text.as_bytes()))
    }
}

#[derive(Serialize, Deserialize)]
struct Entry {
    key: CacheKey,
    report: LayerReport,
}

fn entry_path(dir: &Path, key: &CacheKey) -> PathBuf {
    dir.join("v4").join(key.file_name())
}

/// The cached report for `key`, if a valid entry holds one.
pub(crate) fn load(dir: &Path, key: &CacheKey) -> Option<LayerReport> {
    let body = read_checked(&entry_path(dir, key), CACHE_VERSION)?;
    let entry: Entry = serde_json::from_slice(&body).ok()?;
    let report = entry.report;
    let consistent = entry.key == *key
        && report.stored_size == key.stored_size
        && (!key.verified || (report.verified && report.diff_id == key.diff_id))
        && (key.files || report.files.is_empty())
        && (key.captured || (report.captured.is_empty() && report.detected.rpm.is_empty()))
        && (key.detected
            || (report.detected.packages.is_empty() && report.detected.findings.is_empty()));
    consistent.then_some(report)
}

/// Store a report; failures only cost a later miss, so they are not errors.
pub(crate) fn store(dir: &Path, key: &CacheKey, report: &LayerReport) {
    let entry = Entry {
        key: key.clone(),
        report: report.clone(),
    };
    if let Ok(body) = serde_json::to_vec(&entry) {
        write_checked(&entry_path(dir, key), CACHE_VERSION, &body);
    }
}

/// The body of the entry at `path` when its first line is `VERSION <sha256 of the
/// body>` and the checksum holds.
fn read_checked(path: &Path, version: &str) -> Option<Vec<u8>> {
    let mut bytes = fs::read(path).ok()?;
    let newline = bytes.iter().position(|&b| b == b'\n')?;
    let head = std::str::from_utf8(&bytes[..newline]).ok()?;
    let checksum = head.strip_prefix(version)?.strip_prefix(' ')?;
    if checksum != hex::encode(Sha256::digest(&bytes[newline + 1..])) {
        return None;
    }
    bytes.drain(..=newline);
    Some(bytes)
}

/// Write `VERSION <sha256 of body>\n` and `body` at `path`: aside, then renamed, so
/// readers never see half an entry. Failures only cost a later miss.
fn write_checked(path: &Path, version: &str, body: &[u8]) {
    let Some(parent) = path.parent() else { return };
    if fs::create_dir_all(parent).is_err() {
        return;
    }
    let head = format!("{version} {}\n", hex::encode(Sha256::digest(body)));
    let Ok(mut tmp) = tempfile::NamedTempFile::new_in(parent) else {
        return;
    };
    let written = tmp
        .write_all(head.as_bytes())
        .and_then(|()| tmp.write_all(body))
        .and_then(|()| tmp.flush());
    if written.is_ok() {
        // A failed rename drops (removes) the temporary file.
        let _ = tmp.persist(path);
    }
}

/// Bumped whenever what a report cache entry holds changes.
const REPORT_VERSION: &str = "layerlens-report-cache v2";

/// Where the report of a set is kept: `reports/<key>`, where the key is the sha256 of
/// everything the report depends on (see `Analyzer::analyze_report`).
fn report_path(dir: &Path, key: &str) -> PathBuf {
    dir.join("reports").join(key)
}

/// The cached report for `key`, if a valid entry holds one.
pub(crate) fn load_report(dir: &Path, key: &str) -> Option<crate::Report> {
    serde_json::from_slice(&read_checked(&report_path(dir, key), REPORT_VERSION)?).ok()
}

/// Keep a report; failures only cost a later miss.
pub(crate) fn store_report(dir: &Path, key: &str, report: &crate::Report) {
    if let Ok(body) = serde_json::to_vec(report) {
        write_checked(&report_path(dir, key), REPORT_VERSION, &body);
    }
}

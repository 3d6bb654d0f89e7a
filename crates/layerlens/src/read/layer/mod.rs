//! Analysis of one layer: decompress by magic, sha256 the stream, walk the tar entries,
//! and record every file.
//!
//! [`analyze_layer`] is the streaming core: it reads a stored blob once, never holds more
//! than a buffer of it, and hands every [`FileRecord`] to a visitor as it passes. The
//! [`LayerReport`] it returns is independent of the image the layer came from, so it can
//! be cached by diff_id and merged across inputs.
//!
//! The analysis is split by what it does: [`stream`] opens the stored blob
//! (decompression by magic, sha256 taps, limits, the split hash/walk for big plain
//! layers); [`paired`] reads two plain layers on one thread and hashes them side by side
//! (what the layer pass does with uncompressed layers on CPUs with SHA-NI); [`walk`]
//! walks the tar entries, digests file contents in place and records every entry; the extension members tar-rs reads on the way are checked in
//! [`crate::read::tarext`]. What is kept of a layer (the types below) and the path rules
//! (normalisation, whiteouts, package metadata) live here.

use serde::{Deserialize, Serialize};

use crate::digest::{ContentDigest, Digest};
use crate::read::detect::Detected;

mod paired;
mod stream;
mod walk;

pub(crate) use paired::{pairing_pays, Lanes};

pub use stream::analyze_layer;
pub(crate) use stream::{
    analyze_layer_inner, analyze_uncompressed_split, looks_like_tar, read_full, Tap, SNIFF_LEN,
};

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
    // Most tar paths need nothing but their trailing slash (a directory) or a leading
    // `./` or `/` dropped: one copy, no component list.
    if let Ok(s) = std::str::from_utf8(raw) {
        let mut t = s.trim_end_matches('/');
        loop {
            if let Some(rest) = t.strip_prefix("./") {
                t = rest;
            } else if let Some(rest) = t.strip_prefix('/') {
                t = rest;
            } else {
                break;
            }
        }
        if is_plain(t) {
            return t.to_string();
        }
    }
    normalize_components(raw)
}

/// Whether `path` needs no normalising: not empty, and no component of it empty, `.`
/// or `..`. (Runs for every tar entry and every path a package lists: one `memchr`
/// scan for the slashes, and a look at the byte after each.)
pub(crate) fn is_plain(path: &str) -> bool {
    let b = path.as_bytes();
    // `.` or `..` as the whole of what follows.
    let dotted = |rest: &[u8]| {
        matches!(
            rest,
            [b'.'] | [b'.', b'.'] | [b'.', b'/', ..] | [b'.', b'.', b'/', ..]
        )
    };
    if b.is_empty() || b[0] == b'/' || b[b.len() - 1] == b'/' || dotted(b) {
        return false;
    }
    // Not the last byte, so each slash has a byte after it.
    memchr::memchr_iter(b'/', b).all(|i| b[i + 1] != b'/' && !dotted(&b[i + 1..]))
}

/// [`normalize_path`] component by component: the general case.
fn normalize_components(raw: &[u8]) -> String {
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

    /// The shortcut for plain paths gives what the component walk gives, on every
    /// path of up to six bytes over `a`, `.`, `/` and a non-UTF-8 byte.
    #[test]
    fn the_plain_path_shortcut_agrees_with_the_component_walk() {
        let alphabet = [b'a', b'.', b'/', 0xff];
        let mut paths: Vec<Vec<u8>> = vec![Vec::new()];
        let mut checked = 0;
        for _ in 0..6 {
            paths = paths
                .iter()
                .flat_map(|p| {
                    alphabet.iter().map(move |&c| {
                        let mut q = p.clone();
                        q.push(c);
                        q
                    })
                })
                .collect();
            for p in &paths {
                assert_eq!(normalize_path(p), normalize_components(p), "{p:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, 4 + 16 + 64 + 256 + 1024 + 4096);
    }

    /// [`is_plain`] says what splitting into components says, on every path of up to
    /// seven bytes over `a`, `.` and `/`.
    #[test]
    fn plain_means_no_empty_dot_or_dot_dot_component() {
        let mut paths: Vec<String> = vec![String::new()];
        let mut checked = 0;
        for _ in 0..7 {
            paths = paths
                .iter()
                .flat_map(|p| ['a', '.', '/'].map(|c| format!("{p}{c}")))
                .collect();
            for p in &paths {
                let by_components = p.split('/').all(|c| !c.is_empty() && c != "." && c != "..");
                assert_eq!(is_plain(p), by_components, "{p:?}");
                checked += 1;
            }
        }
        assert!(!is_plain(""));
        assert_eq!(checked, 3 + 9 + 27 + 81 + 243 + 729 + 2187);
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
}

//! Readers for the RPM package database, from bytes.
//!
//! An RPM-based image keeps its package database in one of three storage backends,
//! each a container of *header blobs* (one per installed package):
//!
//! | backend | file | who writes it |
//! |---|---|---|
//! | [sqlite](read_sqlite) | `usr/lib/sysimage/rpm/rpmdb.sqlite` (+ `-wal`), older `var/lib/rpm/rpmdb.sqlite` | Fedora ≥ 33, RHEL/UBI 9, CBL-Mariner/Azure Linux, Amazon Linux 2023 |
//! | [Berkeley DB hash](read_bdb) | `var/lib/rpm/Packages` | CentOS ≤ 8, RHEL/UBI ≤ 8, Amazon Linux 2 |
//! | [ndb](read_ndb) | `usr/lib/sysimage/rpm/Packages.db`, `var/lib/rpm/Packages.db` | SUSE, openSUSE |
//!
//! Every reader takes the database's bytes (as captured from a layer's tar stream) and
//! returns the packages it holds, each with its name, epoch, version, release, arch and
//! file list (path, size, mode). Nothing here does I/O, writes a file or panics on any
//! input: malformed data is an [`RpmDbError`] naming the backend, the byte offset or
//! page, and why. Work and memory are bounded by the input's size: page chains are
//! checked for cycles and range, counts are checked against the bytes that hold them.

mod bdb;
mod header;
mod ndb;
mod sqlite;

use std::fmt;

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RpmPackage {
    /// `NAME`.
    pub name: String,
    /// `EPOCH`, when the header has one.
    pub epoch: Option<u32>,
    /// `VERSION`.
    pub version: String,
    /// `RELEASE`.
    pub release: String,
    /// `ARCH`; empty when the header has none (as for `gpg-pubkey` pseudo-packages,
    /// which `rpm -q` shows as `(none)`).
    pub arch: String,
    /// The files, directories and links the package lists, in header order.
    pub files: Vec<RpmFile>,
}

impl RpmPackage {
    /// `[epoch:]version-release`, as rpm prints `%{EVR}`.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }

    /// `name-[epoch:]version-release.arch` (without `.arch` when there is none).
    pub fn nevra(&self) -> String {
        if self.arch.is_empty() {
            format!("{}-{}", self.name, self.evr())
        } else {
            format!("{}-{}.{}", self.name, self.evr(), self.arch)
        }
    }
}

/// One entry of a package's file list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RpmFile {
    /// The path, relative and normalised as layerlens normalises tar paths: no leading
    /// `/`, no empty, `.` or `..` components (`..` pops, never above the root), bytes
    /// that are not UTF-8 replaced by U+FFFD. The root directory itself is `""`.
    pub path: String,
    /// `FILESIZES` (or `LONGFILESIZES` when the header has it): the size rpm recorded
    /// for the entry (as rpm records them: 0 for directories, the target's length for
    /// symlinks). The list is the header's: `%ghost` files, files left out by
    /// `--excludedocs` or `%_netsharedpath`, and paths several packages share are all
    /// listed (`FILEFLAGS` and `FILESTATES` are not read), so map it onto the files
    /// actually present.
    pub size: u64,
    /// `FILEMODES`: type and permission bits (`0o100644` a regular file, `0o040755` a
    /// directory, `0o120777` a symlink).
    pub mode: u16,
}

impl RpmFile {
    /// Whether the mode says regular file (`S_IFREG`).
    pub fn is_regular(&self) -> bool {
        self.mode & 0o170000 == 0o100000
    }
}

/// The storage backend a database or an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// `rpmdb.sqlite`.
    Sqlite,
    /// Berkeley DB hash `Packages`.
    BerkeleyDb,
    /// SUSE's `Packages.db`.
    Ndb,
}

impl Backend {
    /// The backend whose magic bytes `db` starts with, if any (a cheap check before
    /// reading: SQLite's `SQLite format 3\0`, Berkeley DB's hash magic at offset 12 in
    /// either byte order, ndb's `RpmP`).
    pub fn detect(db: &[u8]) -> Option<Backend> {
        if db.starts_with(b"SQLite format 3\0") {
            Some(Backend::Sqlite)
        } else if db.starts_with(b"RpmP") {
            Some(Backend::Ndb)
        } else if db.len() >= 16
            && matches!(
                &db[12..16],
                [0x61, 0x15, 0x06, 0x00] | [0x00, 0x06, 0x15, 0x61]
            )
        {
            Some(Backend::BerkeleyDb)
        } else {
            None
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite rpmdb",
            Backend::BerkeleyDb => "Berkeley DB rpmdb",
            Backend::Ndb => "ndb rpmdb",
        })
    }
}

/// Why a database or header could not be read.
#[non_exhaustive]
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum RpmDbError {
    /// A header blob is malformed.
    #[error("rpm header: {reason} (byte {offset} of the header blob)")]
    Header {
        /// Byte offset within the header blob.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A database record holds a malformed header.
    #[error("{backend}: record {key}{}: {source}", at.map(|a| format!(" at byte {a}")).unwrap_or_default())]
    Record {
        /// The database.
        backend: Backend,
        /// The record's key: sqlite `hnum`, Berkeley DB key (header number), ndb package index.
        key: u64,
        /// Byte offset of the record in the database, when the backend knows it.
        at: Option<u64>,
        /// The header's error.
        source: Box<RpmDbError>,
    },
    /// The bytes are not a database of this backend (wrong magic, too short to hold
    /// its fixed header).
    #[error("{backend}: not this kind of database: {reason}")]
    NotRecognized {
        /// The backend that was tried.
        backend: Backend,
        /// What did not match.
        reason: String,
    },
    /// The database's structure is inconsistent or truncated.
    #[error("{backend}: corrupt at byte {offset}{}: {reason}", page.map(|p| format!(" (page {p})")).unwrap_or_default())]
    Corrupt {
        /// The database.
        backend: Backend,
        /// Byte offset within the database (or its `-wal`, when the reason says so).
        offset: u64,
        /// The page number, for paged backends.
        page: Option<u64>,
        /// What is wrong.
        reason: String,
    },
    /// A valid feature this reader does not implement (encrypted or checksummed
    /// Berkeley DB pages, LZO-compressed ndb blobs...).
    #[error("{backend}: unsupported: {reason}")]
    Unsupported {
        /// The database.
        backend: Backend,
        /// What is not supported.
        reason: String,
    },
    /// SQLite itself refused the database.
    #[error("sqlite rpmdb: {message}")]
    Sqlite {
        /// SQLite's extended result code, when it gave one.
        code: Option<i32>,
        /// SQLite's message.
        message: String,
    },
    /// A bound on work or output was reached (see the reason for which).
    #[error("limit exceeded: {what} (limit {limit})")]
    LimitExceeded {
        /// What was bounded.
        what: &'static str,
        /// The bound.
        limit: u64,
    },
}

/// Parse one header blob as the databases store it (no lead, no header magic).
pub fn parse_header(blob: &[u8]) -> Result<RpmPackage, RpmDbError> {
    header::Header::parse(blob)?.package()
}

/// Read an `rpmdb.sqlite` held in memory, with the bytes of its `-wal` file when the
/// layer has one.
///
/// The WAL's committed frames are applied to a private copy of the page image as SQLite's
/// recovery would (frames up to the last valid commit frame, salts and checksums
/// checked, the last frame of each page wins); a WAL whose header is invalid is ignored,
/// as SQLite ignores it. The image is then opened read-only in memory with SQLite
/// (`sqlite3_deserialize`), with defensive settings, a length limit and a work budget,
/// and each row of `Packages` is parsed. No file is read or written.
pub fn read_sqlite(db: &[u8], wal: Option<&[u8]>) -> Result<Vec<RpmPackage>, RpmDbError> {
    sqlite::read(db, wal)
}

/// Read a Berkeley DB hash `Packages` database (either byte order).
pub fn read_bdb(db: &[u8]) -> Result<Vec<RpmPackage>, RpmDbError> {
    bdb::read(db)
}

/// Read an ndb `Packages.db`.
pub fn read_ndb(db: &[u8]) -> Result<Vec<RpmPackage>, RpmDbError> {
    ndb::read(db)
}

/// Read a database of whichever backend its magic bytes say ([`Backend::detect`]);
/// `wal` is used for sqlite only.
pub fn read_any(db: &[u8], wal: Option<&[u8]>) -> Result<(Backend, Vec<RpmPackage>), RpmDbError> {
    match Backend::detect(db) {
        Some(Backend::Sqlite) => read_sqlite(db, wal).map(|p| (Backend::Sqlite, p)),
        Some(Backend::BerkeleyDb) => read_bdb(db).map(|p| (Backend::BerkeleyDb, p)),
        Some(Backend::Ndb) => read_ndb(db).map(|p| (Backend::Ndb, p)),
        None => Err(RpmDbError::NotRecognized {
            backend: Backend::Sqlite,
            reason: "no sqlite, Berkeley DB or ndb magic".into(),
        }),
    }
}

/// Run every reader on arbitrary bytes, discarding the results: a fuzzing entry point
/// (libFuzzer's `fuzz_target!` or a loop). It must never panic, hang or allocate beyond
/// a small multiple of `data.len()`. The sqlite reader is also run with `data` split
/// into a database and a `-wal` at a point chosen by the first byte.
pub fn fuzz_all(data: &[u8]) {
    let _ = parse_header(data);
    let _ = read_bdb(data);
    let _ = read_ndb(data);
    let _ = read_sqlite(data, None);
    if let Some(&b) = data.first() {
        let cut = (b as usize * data.len() / 256).min(data.len());
        let _ = read_sqlite(&data[..cut], Some(&data[cut..]));
    }
}

/// Paths come out as layerlens normalises tar member names (one definition for both).
pub(crate) use crate::read::layer::normalize_path;

/// Wrap a header error with the record that held it.
pub(crate) fn record_err(
    backend: Backend,
    key: u64,
    at: Option<u64>,
) -> impl FnOnce(RpmDbError) -> RpmDbError {
    move |e| RpmDbError::Record {
        backend,
        key,
        at,
        source: Box::new(e),
    }
}

#[cfg(test)]
mod tests;

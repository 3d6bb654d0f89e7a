//! What the layer walk finds *inside* files, in the same single pass as everything else:
//!
//! * rpm databases (`rpmdb.sqlite` and its `-wal`, Berkeley DB `Packages`, ndb
//!   `Packages.db` under `var/lib/rpm/` or `usr/lib/sysimage/rpm/`), captured whole
//!   while they stream past and read at the end of the layer, so that a layer keeps
//!   the packages (names, versions, file lists), never the database's bytes;
//! * the packages a file says it is (Go and cargo-auditable binaries, Java archives,
//!   Ruby gemspecs) and risky content (private keys, credentials), from the streaming
//!   detectors of `layerlens-sniff`: each regular file is offered to them by path, size
//!   and mode, and the few they want are fed the same chunks the content digest reads.
//!
//! Secrets are never kept: a finding holds a redacted excerpt (a public prefix of at
//! most 4 characters and the length), built by `layerlens-sniff` from the bytes.

use serde::{Deserialize, Serialize};

use crate::attribution::packages::rpm::{self, RpmPackage};
use crate::attribution::packages::Manager;
use crate::forensics::findings::FindingKind;
use crate::read::layer::{split_parent, CapturedFile};

/// What the detectors found in one layer (empty for most layers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detected {
    /// The rpm databases the layer writes, read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rpm: Vec<RpmDatabase>,
    /// The packages files of the layer are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<FilePackage>,
    /// Private keys and credentials in files of the layer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<FileFinding>,
}

impl Detected {
    /// Nothing found.
    pub fn is_empty(&self) -> bool {
        self.rpm.is_empty() && self.packages.is_empty() && self.findings.is_empty()
    }
}

/// One rpm database of a layer, read at the end of the layer walk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpmDatabase {
    /// The database file's path (`usr/lib/sysimage/rpm/rpmdb.sqlite`).
    pub path: String,
    /// Its packages, as the database lists them.
    pub packages: Vec<RpmPackage>,
    /// Why it could not be read (then `packages` is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A file that is a package by itself: a Go or cargo-auditable binary, a Java archive,
/// or a Ruby gemspec (which names the gem directory it describes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilePackage {
    /// The number of the file's record in the layer (stream order).
    pub entry: u32,
    /// The file's path.
    pub path: String,
    /// `go`, `cargo`, `maven` or `gem`.
    pub manager: Manager,
    /// Go: the main module; cargo: the root crate; Maven: `groupId:artifactId`; gem: its name.
    pub name: String,
    /// Its version, as recorded (Go: `(devel)` for most builds from a source tree).
    pub version: String,
    /// Gems: the directory the gem's files are in (`…/gems/<name>-<version>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
}

/// A private key or credential found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFinding {
    /// The number of the file's record in the layer (stream order).
    pub entry: u32,
    /// The file's path.
    pub path: String,
    /// `private-key` or `secret`.
    pub kind: FindingKind,
    /// The rule that matched (`pem-private-key`, `github-token`, `generic-secret`…).
    pub rule: String,
    /// 1-based line of the secret in the file.
    pub line: u32,
    /// What may be shown: a label, at most 4 public leading characters and the length
    /// (`ghp_…(40)`), never the secret.
    pub excerpt: String,
}

/// The rpm database directories.
const RPM_DIRS: [&str; 2] = ["var/lib/rpm", "usr/lib/sysimage/rpm"];
/// The database files rpm reads, and the sqlite write-ahead log.
const RPM_FILES: [&str; 4] = [
    "rpmdb.sqlite",
    "rpmdb.sqlite-wal",
    "Packages",
    "Packages.db",
];

/// Whether a normalised path is an rpm database file (or the sqlite database's `-wal`).
pub fn is_rpm_database(path: &str) -> bool {
    let (dir, base) = split_parent(path);
    RPM_DIRS.contains(&dir) && RPM_FILES.contains(&base)
}

/// Largest rpm database file captured (a note beyond): real ones are a few MB (sqlite)
/// to a few tens of MB (Berkeley DB with every changelog).
pub const MAX_RPMDB_FILE: u64 = 256 << 20;
/// Most rpm database bytes captured from one layer. They are held only until the end
/// of the layer: what the layer keeps is the packages read from them.
pub const MAX_RPMDB_PER_LAYER: u64 = 512 << 20;

/// The detectors' state during one layer walk.
pub(crate) struct LayerDetect {
    sniff: bool,
    rpm_raw: Vec<CapturedFile>,
    rpm_bytes: u64,
    out: Detected,
}

impl LayerDetect {
    /// `sniff`: run the file detectors; rpm databases are captured by the caller's
    /// metadata switch ([`LayerDetect::want_rpm`]).
    pub fn new(sniff: bool) -> Self {
        LayerDetect {
            sniff,
            rpm_raw: Vec::new(),
            rpm_bytes: 0,
            out: Detected::default(),
        }
    }

    /// The detector for a regular file, if one wants it (decided from path, size and
    /// mode alone; `None` for almost every file).
    pub fn start(&self, path: &str, size: u64, mode: u32) -> Option<layerlens_sniff::Sniff> {
        if !self.sniff {
            return None;
        }
        layerlens_sniff::start(path, size, mode)
    }

    /// Whether to capture this rpm database file of `declared` bytes; a note says why not.
    pub fn want_rpm(&mut self, path: &str, declared: u64, notes: &mut Vec<String>) -> bool {
        if declared > MAX_RPMDB_FILE {
            notes.push(format!(
                "{path}: {declared} bytes, over the {MAX_RPMDB_FILE}-byte rpm database \
                 capture limit; not read"
            ));
            false
        } else if self.rpm_bytes + declared > MAX_RPMDB_PER_LAYER {
            notes.push(format!(
                "{path}: over the {MAX_RPMDB_PER_LAYER}-byte per-layer rpm database \
                 capture limit; not read"
            ));
            false
        } else {
            self.rpm_bytes += declared;
            true
        }
    }

    /// A captured rpm database file.
    pub fn rpm_captured(&mut self, file: CapturedFile) {
        // A later entry of the same path wins, as in the overlay.
        self.rpm_raw.retain(|f| f.path != file.path);
        self.rpm_raw.push(file);
    }

    /// A detector is done with the file of record `entry` at `path`.
    pub fn finished(
        &mut self,
        entry: u32,
        path: &str,
        sniff: layerlens_sniff::Sniff,
        notes: &mut Vec<String>,
    ) {
        for found in sniff.finish() {
            match found {
                layerlens_sniff::Found::Package(p) => {
                    let manager = match p.manager {
                        layerlens_sniff::Manager::Go => Manager::Go,
                        layerlens_sniff::Manager::Cargo => Manager::Cargo,
                        layerlens_sniff::Manager::Maven => Manager::Maven,
                        layerlens_sniff::Manager::Gem => Manager::Gem,
                    };
                    self.out.packages.push(FilePackage {
                        entry,
                        path: path.to_string(),
                        manager,
                        name: p.name,
                        version: p.version,
                        root: p.root.map(|r| r.trim_end_matches('/').to_string()),
                    });
                }
                layerlens_sniff::Found::Finding(f) => {
                    let kind = match f.kind {
                        layerlens_sniff::FindingKind::PrivateKey => FindingKind::PrivateKey,
                        layerlens_sniff::FindingKind::Secret => FindingKind::Secret,
                        layerlens_sniff::FindingKind::SecretInConfig => FindingKind::SecretInConfig,
                    };
                    self.out.findings.push(FileFinding {
                        entry,
                        path: path.to_string(),
                        kind,
                        rule: f.rule.to_string(),
                        line: f.line,
                        excerpt: f.excerpt.to_string(),
                    });
                }
                layerlens_sniff::Found::Note(n) => notes.push(format!("{path}: {n}")),
            }
        }
    }

    /// The end of the layer: read the captured rpm databases (each sqlite database with
    /// the `-wal` of the same layer, when there is one).
    pub fn finish(mut self, notes: &mut Vec<String>) -> Detected {
        let raw = std::mem::take(&mut self.rpm_raw);
        for f in &raw {
            let (dir, base) = split_parent(&f.path);
            if base == "rpmdb.sqlite-wal" {
                let has_db = raw.iter().any(|d| d.path == format!("{dir}/rpmdb.sqlite"));
                // A WAL of a header only (or empty) holds no transaction.
                if !has_db && f.bytes.len() > 32 {
                    notes.push(format!(
                        "{}: written without its rpmdb.sqlite in this layer; the \
                         transactions it holds are not read",
                        f.path
                    ));
                }
                continue;
            }
            let wal = (base == "rpmdb.sqlite")
                .then(|| {
                    raw.iter()
                        .find(|w| w.path == format!("{}-wal", f.path))
                        .map(|w| w.bytes.as_slice())
                })
                .flatten();
            let (packages, error) = match rpm::read_any(&f.bytes, wal) {
                Ok((_, p)) => (p, None),
                Err(e) => (Vec::new(), Some(e.to_string())),
            };
            self.out.rpm.push(RpmDatabase {
                path: f.path.clone(),
                packages,
                error,
            });
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpm_database_paths() {
        for yes in [
            "var/lib/rpm/Packages",
            "var/lib/rpm/rpmdb.sqlite",
            "usr/lib/sysimage/rpm/rpmdb.sqlite",
            "usr/lib/sysimage/rpm/rpmdb.sqlite-wal",
            "usr/lib/sysimage/rpm/Packages.db",
        ] {
            assert!(is_rpm_database(yes), "{yes}");
        }
        for no in [
            "var/lib/rpm/__db.001",
            "var/lib/rpm/rpmdb.sqlite-shm",
            "var/lib/rpm/Name",
            "opt/var/lib/rpm/Packages",
            "usr/lib/sysimage/rpm",
        ] {
            assert!(!is_rpm_database(no), "{no}");
        }
    }
}

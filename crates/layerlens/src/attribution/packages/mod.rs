//! Parsers for the package-manager databases attribution reads: dpkg's `status` (and
//! distroless `status.d/*`) and `info/*.list`, apk's `installed`, rpm's databases
//! ([`rpm`]: sqlite, Berkeley DB and ndb), Python's `*.dist-info/RECORD` and
//! `*.egg-info/installed-files.txt`, and npm's `package.json`. Go, cargo-auditable,
//! Maven and gem packages are not read from databases: the layer walk finds them in the
//! files themselves (`layerlens-sniff`).
//!
//! Every parser is pure (text in, packages out) and lenient: a malformed line is
//! skipped, never an error. Paths come out normalised like [`crate::FileRecord::path`]
//! (relative to the image root, no `.`/`..`), but symlinks in them are not resolved:
//! that needs the final filesystem, and is attribution's job.

use serde::{Deserialize, Serialize};

use crate::read::layer::{normalize_path, split_parent};

pub mod rpm;

/// A package manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Manager {
    /// Debian's dpkg.
    Dpkg,
    /// Alpine's apk.
    Apk,
    /// rpm (Fedora, RHEL/UBI, CentOS, Amazon Linux, Mariner, SUSE).
    Rpm,
    /// A Python distribution (wheel `RECORD` or egg `installed-files.txt`).
    Python,
    /// An npm package under `node_modules`.
    Npm,
    /// A Go binary: its main module, from the build info the linker embeds.
    Go,
    /// A Rust binary built with cargo-auditable: its root crate.
    Cargo,
    /// A Java archive (jar, war, ear): `groupId:artifactId` of its `pom.properties`.
    Maven,
    /// A Ruby gem: its `specifications/*.gemspec`.
    Gem,
}

impl Manager {
    /// The name used in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Manager::Dpkg => "dpkg",
            Manager::Apk => "apk",
            Manager::Rpm => "rpm",
            Manager::Python => "python",
            Manager::Npm => "npm",
            Manager::Go => "go",
            Manager::Cargo => "cargo",
            Manager::Maven => "maven",
            Manager::Gem => "gem",
        }
    }

    /// Whether this is an operating-system package manager.
    pub fn is_os(self) -> bool {
        matches!(self, Manager::Dpkg | Manager::Apk | Manager::Rpm)
    }
}

/// One package as its database describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// Its manager.
    pub manager: Manager,
    /// Package name.
    pub name: String,
    /// Version (empty when the database gives none).
    pub version: String,
    /// The paths it lists (files and directories alike), normalised.
    pub files: Vec<String>,
    /// For npm: the package directory, which owns every file under it except nested
    /// `node_modules`.
    pub root: Option<String>,
}

/// One stanza of a dpkg `status` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpkgStanza {
    /// `Package:`.
    pub name: String,
    /// `Version:`.
    pub version: String,
    /// `Architecture:`.
    pub architecture: String,
    /// Whether `Status:` says `installed` (true when there is no `Status:`, as in
    /// distroless `status.d` files).
    pub installed: bool,
}

/// Split an RFC 822-style database into stanzas of (field, value) pairs; continuation
/// lines are dropped (no field we read spans lines).
fn stanzas(text: &str) -> Vec<Vec<(&str, &str)>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            cur.push((k, v.trim()));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Parse a dpkg `status` file (or one `status.d/*` file).
pub fn parse_dpkg_status(text: &str) -> Vec<DpkgStanza> {
    stanzas(text)
        .into_iter()
        .filter_map(|st| {
            let get = |f: &str| st.iter().find(|(k, _)| *k == f).map(|(_, v)| *v);
            let name = get("Package")?;
            Some(DpkgStanza {
                name: name.to_string(),
                version: get("Version").unwrap_or("").to_string(),
                architecture: get("Architecture").unwrap_or("").to_string(),
                installed: get("Status")
                    .is_none_or(|s| s.split_whitespace().nth(2) == Some("installed")),
            })
        })
        .collect()
}

/// Parse a dpkg `info/<name>[:<arch>].list` file: one absolute path a line (the root
/// `/.` dropped).
pub fn parse_dpkg_list(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| normalize_path(l.as_bytes()))
        .filter(|p| !p.is_empty())
        .collect()
}

/// The package name and architecture of a `.list` file name (`libc6:amd64.list`).
pub fn dpkg_list_name(file_name: &str) -> Option<(&str, Option<&str>)> {
    let stem = file_name.strip_suffix(".list")?;
    Some(match stem.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (stem, None),
    })
}

/// Parse apk's `lib/apk/db/installed`: `P:` name, `V:` version, `F:` directory, `R:` a
/// file in the last directory.
pub fn parse_apk_installed(text: &str) -> Vec<Package> {
    stanzas(text)
        .into_iter()
        .filter_map(|st| {
            let mut name = None;
            let mut version = String::new();
            let mut dir = "";
            let mut files = Vec::new();
            for (k, v) in st {
                match k {
                    "P" => name = Some(v.to_string()),
                    "V" => version = v.to_string(),
                    "F" => dir = v,
                    "R" => files.push(normalize_path(format!("{dir}/{v}").as_bytes())),
                    _ => {}
                }
            }
            Some(Package {
                manager: Manager::Apk,
                name: name?,
                version,
                files,
                root: None,
            })
        })
        .collect()
}

/// Name and version of a Python metadata directory: `six-1.16.0.dist-info`,
/// `foo-1.0-py3.11.egg-info`, `foo.egg-info` (no version).
pub fn python_dist_name(dir_name: &str) -> (String, String) {
    let stem = dir_name
        .strip_suffix(".dist-info")
        .or_else(|| dir_name.strip_suffix(".egg-info"))
        .unwrap_or(dir_name);
    let mut parts = stem.split('-');
    let name = parts.next().unwrap_or("").to_string();
    let version = parts.next().unwrap_or("").to_string();
    (name, version)
}

/// The paths a wheel `RECORD` lists, as written (relative to the directory holding the
/// `.dist-info`): the first field of each row, empty ones left out. RECORD is CSV (PEP
/// 376): a malformed row is skipped, never an error. Without a quote anywhere, a row's
/// first field is what comes before its first comma (the common case, and a CSV reader
/// per file costs more than the file); with one, the csv crate reads it.
pub fn record_paths(text: &str) -> Vec<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    let fields: Vec<Cow<'_, str>> = if !text.contains('"') {
        text.lines()
            .map(|l| Cow::Borrowed(l.split(',').next().unwrap_or("")))
            .collect()
    } else {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes())
            .into_records()
            .filter_map(|r| r.ok())
            .filter_map(|r| r.get(0).map(|f| Cow::Owned(f.to_string())))
            .collect()
    };
    fields
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .collect()
}

pub(crate) use crate::read::layer::is_plain;

/// Parse a wheel `RECORD` at `record_path` (`…/site-packages/x-1.dist-info/RECORD`):
/// CSV `path,hash,size`, paths relative to the directory holding the `.dist-info`.
pub fn parse_record(record_path: &str, text: &str) -> Package {
    let (dist_info, _) = split_parent(record_path);
    let (site, dir_name) = split_parent(dist_info);
    let (name, version) = python_dist_name(dir_name);
    let first_fields = record_paths(text);
    let files = first_fields.iter().map(|p| join(site, p)).collect();
    Package {
        manager: Manager::Python,
        name,
        version,
        files,
        root: None,
    }
}

/// Parse an egg's `installed-files.txt`: one path a line, relative to the `.egg-info`
/// directory.
pub fn parse_installed_files(path: &str, text: &str) -> Package {
    let (egg_info, _) = split_parent(path);
    let (_, dir_name) = split_parent(egg_info);
    let (name, version) = python_dist_name(dir_name);
    let files = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|p| join(egg_info, p))
        .collect();
    Package {
        manager: Manager::Python,
        name,
        version,
        files,
        root: None,
    }
}

/// Parse `node_modules/<name>/package.json`: its `name` and `version` (the directory
/// name when `name` is missing); the package owns its directory. `None` when the file
/// is not a JSON object.
pub fn parse_package_json(path: &str, bytes: &[u8]) -> Option<Package> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let obj = v.as_object()?;
    let (root, _) = split_parent(path);
    let dir_name = root.rsplit("node_modules/").next().unwrap_or(root);
    let name = obj
        .get("name")
        .and_then(|n| n.as_str())
        .unwrap_or(dir_name)
        .to_string();
    let version = obj
        .get("version")
        .and_then(|n| n.as_str())
        .unwrap_or("")
        .to_string();
    Some(Package {
        manager: Manager::Npm,
        name,
        version,
        files: Vec::new(),
        root: Some(root.to_string()),
    })
}

/// `base/rel`, normalised; an absolute `rel` is taken from the root.
pub(crate) fn join(base: &str, rel: &str) -> String {
    // Most listed paths are plain: no empty, `.` or `..` component to resolve.
    if is_plain(rel) {
        if base.is_empty() {
            return rel.to_string();
        }
        let mut out = String::with_capacity(base.len() + 1 + rel.len());
        out.push_str(base);
        out.push('/');
        out.push_str(rel);
        return out;
    }
    if rel.starts_with('/') {
        normalize_path(rel.as_bytes())
    } else {
        normalize_path(format!("{base}/{rel}").as_bytes())
    }
}

/// The npm package directory that owns `path`: the deepest `node_modules/<name>` or
/// `node_modules/@scope/<name>` directory above it.
pub fn npm_root_of(path: &str) -> Option<&str> {
    // Runs once per file: most paths hold no `node_modules` at all.
    if !path.contains("node_modules") {
        return None;
    }
    let comps: Vec<&str> = path.split('/').collect();
    let i = comps.iter().rposition(|c| *c == "node_modules")?;
    let name = comps.get(i + 1)?;
    let take = if name.starts_with('@') { i + 3 } else { i + 2 };
    // The path must lie strictly under the package directory.
    if comps.len() <= take {
        return None;
    }
    let len: usize = comps[..take].iter().map(|c| c.len() + 1).sum::<usize>() - 1;
    Some(&path[..len])
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "\
Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12985
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Depends: libgcc-s1
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.

Package: oldpkg
Status: deinstall ok config-files
Architecture: all
Version: 1.0

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2024a-0+deb12u1
";

    #[test]
    fn dpkg_status_stanzas() {
        let s = parse_dpkg_status(STATUS);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].name, "libc6");
        assert_eq!(s[0].version, "2.36-9+deb12u4");
        assert_eq!(s[0].architecture, "amd64");
        assert!(s[0].installed);
        assert!(!s[1].installed);
        assert_eq!(s[2].version, "2024a-0+deb12u1");
        // distroless status.d files have no Status field
        let d = parse_dpkg_status("Package: base-files\nVersion: 12.4\n");
        assert!(d[0].installed);
    }

    #[test]
    fn dpkg_list_files() {
        let l = parse_dpkg_list("/.\n/usr\n/usr/lib/x86_64-linux-gnu/libc.so.6\n/bin/sh\n");
        assert_eq!(l, ["usr", "usr/lib/x86_64-linux-gnu/libc.so.6", "bin/sh"]);
        assert_eq!(
            dpkg_list_name("libc6:amd64.list"),
            Some(("libc6", Some("amd64")))
        );
        assert_eq!(dpkg_list_name("bash.list"), Some(("bash", None)));
        assert_eq!(dpkg_list_name("bash.md5sums"), None);
    }

    #[test]
    fn apk_installed_db() {
        let db = "\
C:Q1p78yvTLG094tHE1+dToJGbmYzQE=
P:musl
V:1.1.24-r2
A:x86_64
S:370404
I:614400
T:the musl c library (libc) implementation
F:lib
R:libc.musl-x86_64.so.1
a:0:0:777
Z:Q17yJ3JFNypA4mxhJJr0ou6CzsJVI=
R:ld-musl-x86_64.so.1
a:0:0:755

C:Q1xyz=
P:busybox
V:1.31.1-r9
F:bin
R:busybox
F:etc
R:securetty
";
        let p = parse_apk_installed(db);
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str()),
            ("musl", "1.1.24-r2")
        );
        assert_eq!(
            p[0].files,
            ["lib/libc.musl-x86_64.so.1", "lib/ld-musl-x86_64.so.1"]
        );
        assert_eq!(p[1].files, ["bin/busybox", "etc/securetty"]);
    }

    #[test]
    fn python_record() {
        let rec = "\
six.py,sha256=TOOfQi7nFGfMrIvtdr6wX4wyHH8M7aknmuLfo2cBBrM,34549
six-1.16.0.dist-info/RECORD,,
\"odd,name.py\",sha256=x,3
__pycache__/six.cpython-311.pyc,,
../../../bin/six-tool,sha256=y,10
";
        let p = parse_record(
            "usr/local/lib/python3.11/site-packages/six-1.16.0.dist-info/RECORD",
            rec,
        );
        assert_eq!((p.name.as_str(), p.version.as_str()), ("six", "1.16.0"));
        assert_eq!(
            p.files,
            [
                "usr/local/lib/python3.11/site-packages/six.py",
                "usr/local/lib/python3.11/site-packages/six-1.16.0.dist-info/RECORD",
                "usr/local/lib/python3.11/site-packages/odd,name.py",
                "usr/local/lib/python3.11/site-packages/__pycache__/six.cpython-311.pyc",
                "usr/local/bin/six-tool",
            ]
        );
        let e = parse_installed_files(
            "usr/lib/python3/dist-packages/foo-2.0-py3.11.egg-info/installed-files.txt",
            "../foo/__init__.py\nPKG-INFO\n",
        );
        assert_eq!((e.name.as_str(), e.version.as_str()), ("foo", "2.0"));
        assert_eq!(
            e.files,
            [
                "usr/lib/python3/dist-packages/foo/__init__.py",
                "usr/lib/python3/dist-packages/foo-2.0-py3.11.egg-info/PKG-INFO"
            ]
        );
    }

    #[test]
    fn plain_paths() {
        for yes in ["a", "a/b", "a.b/.c/..d", "x/y/z.py"] {
            assert!(is_plain(yes), "{yes}");
        }
        for no in [
            "", "/a", "a/", "a//b", "./a", "a/./b", "a/..", "..", ".", "a/../b",
        ] {
            assert!(!is_plain(no), "{no}");
        }
    }

    #[test]
    fn npm_package_json() {
        let p = parse_package_json(
            "app/node_modules/@types/node/package.json",
            br#"{"name": "@types/node", "version": "20.1.0", "license": "MIT"}"#,
        )
        .unwrap();
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("@types/node", "20.1.0")
        );
        assert_eq!(p.root.as_deref(), Some("app/node_modules/@types/node"));
        assert!(parse_package_json("node_modules/x/package.json", b"[1]").is_none());
        assert_eq!(
            npm_root_of("app/node_modules/a/node_modules/@s/b/lib/x.js"),
            Some("app/node_modules/a/node_modules/@s/b")
        );
        assert_eq!(
            npm_root_of("app/node_modules/a/index.js"),
            Some("app/node_modules/a")
        );
        assert_eq!(npm_root_of("app/node_modules/.package-lock.json"), None);
        assert_eq!(npm_root_of("app/src/index.js"), None);
    }
}

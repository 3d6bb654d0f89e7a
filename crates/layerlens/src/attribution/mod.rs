//! Attribution: every byte of an image on two axes, each summing to its `size`.
//!
//! * **origin**: `base` (the layers the image shares with its family's base node, or
//!   with the image named as `--base`) vs `own` (the rest), by layer content;
//! * **kind**: `wasted` (hidden by a later layer) and, for every regular file of the
//!   final filesystem, the first of `caches`, `docs`, `toolchains`, `os_packages`,
//!   `language_deps` whose rule matches, else `app` (own layers) or `unowned` (base
//!   layers). The rules are in `docs/attribution.md`.
//!
//! Ownership comes from the package databases found in the final filesystem (their
//! bytes captured during the layer walk), mapped onto the files actually present —
//! never from the sizes the databases declare. A pure reducer over an [`ImageSet`] and
//! the waste [`Replay`] of the image.

pub mod packages;

use std::collections::BTreeMap;
// A seeded fast hasher: these maps are keyed by paths and digests on hot paths.
use foldhash::HashMap;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::forensics::waste::{FileSystem, Replay};
use crate::model::chain::image_chain_ids;
use crate::read::analyzer::{Image, ImageSet};
use crate::read::layer::{is_package_metadata, split_parent, EntryKind};
use packages::{Manager, Package};

/// The exclusive kinds, in precedence order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Stored but hidden by a later layer (overwritten or deleted).
    Wasted,
    /// Package-manager and language caches, `__pycache__`, `/tmp`, `/var/log`.
    Caches,
    /// man pages, docs, info pages, locales.
    Docs,
    /// Compilers, headers, static libraries, `-dev` packages.
    Toolchains,
    /// Other files owned by dpkg or apk, and their databases.
    OsPackages,
    /// Python distributions, npm packages, gems, jars, the Go module cache.
    LanguageDeps,
    /// Everything else in the image's own layers.
    App,
    /// Everything else in its base layers.
    Unowned,
}

impl Kind {
    /// Every kind, in precedence order.
    pub const ALL: [Kind; 8] = [
        Kind::Wasted,
        Kind::Caches,
        Kind::Docs,
        Kind::Toolchains,
        Kind::OsPackages,
        Kind::LanguageDeps,
        Kind::App,
        Kind::Unowned,
    ];

    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Wasted => "wasted",
            Kind::Caches => "caches",
            Kind::Docs => "docs",
            Kind::Toolchains => "toolchains",
            Kind::OsPackages => "os_packages",
            Kind::LanguageDeps => "language_deps",
            Kind::App => "app",
            Kind::Unowned => "unowned",
        }
    }
}

/// An image's bytes by origin (sums to its `size`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByOrigin {
    /// Content bytes of its base layers.
    pub base: u64,
    /// Content bytes of its own layers.
    pub own: u64,
}

/// An image's bytes by kind (sums to its `size`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByKind {
    /// Hidden by later layers.
    pub wasted: u64,
    /// Caches.
    pub caches: u64,
    /// Documentation.
    pub docs: u64,
    /// Toolchains.
    pub toolchains: u64,
    /// Other OS-package files.
    pub os_packages: u64,
    /// Language dependencies.
    pub language_deps: u64,
    /// The rest of the own layers.
    pub app: u64,
    /// The rest of the base layers.
    pub unowned: u64,
}

impl ByKind {
    /// The bytes of one kind.
    pub fn get(&self, k: Kind) -> u64 {
        match k {
            Kind::Wasted => self.wasted,
            Kind::Caches => self.caches,
            Kind::Docs => self.docs,
            Kind::Toolchains => self.toolchains,
            Kind::OsPackages => self.os_packages,
            Kind::LanguageDeps => self.language_deps,
            Kind::App => self.app,
            Kind::Unowned => self.unowned,
        }
    }

    fn slot(&mut self, k: Kind) -> &mut u64 {
        match k {
            Kind::Wasted => &mut self.wasted,
            Kind::Caches => &mut self.caches,
            Kind::Docs => &mut self.docs,
            Kind::Toolchains => &mut self.toolchains,
            Kind::OsPackages => &mut self.os_packages,
            Kind::LanguageDeps => &mut self.language_deps,
            Kind::App => &mut self.app,
            Kind::Unowned => &mut self.unowned,
        }
    }

    /// Σ of every kind.
    pub fn total(&self) -> u64 {
        Kind::ALL.iter().map(|k| self.get(*k)).sum()
    }
}

/// One package of an image, measured on its final filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageUsage {
    /// `dpkg`, `apk`, `python` or `npm`.
    pub manager: Manager,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Bytes of its regular files present in the final filesystem.
    pub size: u64,
    /// How many of its regular files are present.
    pub files: u64,
    /// Index (0 = lowest) of the layer that added it.
    pub layer: u64,
    /// That layer's history command.
    #[serde(default)]
    pub created_by: Option<String>,
    /// That layer's diff_id.
    pub diff_id: Digest,
}

/// What attribution says about one regular file of the final filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileAttribution {
    /// Its kind.
    pub kind: Kind,
    /// The index into [`Attribution::packages`] of its owner.
    pub owner: Option<usize>,
    /// The layer (index in the image) that added the visible file.
    pub layer: usize,
    /// Its size in bytes.
    pub size: u64,
}

/// The attribution of one image.
#[derive(Debug, Clone, Default)]
pub struct Attribution<'a> {
    /// How many of its lowest layers are base layers.
    pub base_layers: usize,
    /// Bytes by origin.
    pub by_origin: ByOrigin,
    /// Bytes by kind.
    pub by_kind: ByKind,
    /// Its packages, largest first (ties by manager, name, version).
    pub packages: Vec<PackageUsage>,
    /// What could not be attributed and why.
    pub notes: Vec<String>,
    /// Per regular file of the replay's final filesystem, in path order: its position
    /// there, its kind and its owner (`NO_OWNER` for none). 12 bytes a file, so that
    /// the attributions of every image of a large set fit in memory together; read
    /// through [`Attribution::files`] and [`Attribution::file`] with that replay.
    files: Vec<(u32, u32, Kind)>,
    _set: std::marker::PhantomData<&'a ()>,
}

/// `owner` of a file no package claims.
const NO_OWNER: usize = usize::MAX;

impl<'a> Attribution<'a> {
    fn attribution_at(
        &self,
        replay: &Replay<'a>,
        (at, owner, kind): (u32, u32, Kind),
    ) -> (&'a str, FileAttribution) {
        let (path, v) = replay.files.at(at as usize);
        (
            path,
            FileAttribution {
                kind,
                owner: (owner != u32::MAX).then_some(owner as usize),
                layer: v.layer,
                size: v.record.size,
            },
        )
    }

    /// Every regular file of the final filesystem, in path order, with what attribution
    /// says of it. `replay` is the one this attribution was computed from.
    pub fn files<'r>(
        &'r self,
        replay: &'r Replay<'a>,
    ) -> impl Iterator<Item = (&'a str, FileAttribution)> + 'r {
        self.files
            .iter()
            .map(move |f| self.attribution_at(replay, *f))
    }

    /// What attribution says of the regular file at `path` of the final filesystem
    /// (`None` when there is none). `replay` is the one this attribution was computed
    /// from.
    pub fn file(&self, replay: &Replay<'a>, path: &str) -> Option<FileAttribution> {
        let at = replay.files.position(path).ok()? as u32;
        let i = self.files.binary_search_by_key(&at, |f| f.0).ok()?;
        Some(self.attribution_at(replay, self.files[i]).1)
    }

    /// How many regular files were attributed.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// Drop the per-file table (the totals, packages and notes stay).
    pub fn forget_files(&mut self) {
        self.files = Vec::new();
    }
}

/// The number of base layers of each image, in the set's order: with `base`, the
/// length of its common ChainID prefix with the image named `base`; else the depth of
/// the root of the image's family (the prefix every image with the same bottom layer
/// shares) when the family has two images or more, and 0 for an image alone.
pub fn base_layers(set: &ImageSet, base: Option<&Image>) -> Vec<usize> {
    let chains: Vec<Vec<Digest>> = set.images.iter().map(image_chain_ids).collect();
    if let Some(b) = base {
        let bc = image_chain_ids(b);
        return chains
            .iter()
            .map(|c| c.iter().zip(&bc).take_while(|(x, y)| x == y).count())
            .collect();
    }
    let mut groups: BTreeMap<&Digest, Vec<usize>> = BTreeMap::new();
    for (i, c) in chains.iter().enumerate() {
        if let Some(first) = c.first() {
            groups.entry(first).or_default().push(i);
        }
    }
    let mut out = vec![0; chains.len()];
    for g in groups.values().filter(|g| g.len() > 1) {
        let first = &chains[g[0]];
        let depth = (0..first.len())
            .take_while(|&d| g.iter().all(|&i| chains[i].get(d) == Some(&first[d])))
            .count();
        for &i in g {
            out[i] = depth;
        }
    }
    out
}

fn has_prefix(path: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| path.starts_with(p))
}

/// True when the components of `run` appear, in a row, among the *directories* of
/// `path` (so followed by at least one more component): `"a/.cache/b"` holds the run
/// `[".cache"]`, `"a/.cache"` does not. No allocation: this runs once per file.
fn has_dir_run(path: &str, runs: &[&[&str]]) -> bool {
    let Some(last) = path.rfind('/') else {
        return false;
    };
    let dirs = &path[..last];
    let starts_with_run = |mut s: &str, run: &[&str]| {
        for (i, c) in run.iter().enumerate() {
            let Some(rest) = s.strip_prefix(c) else {
                return false;
            };
            if i + 1 == run.len() {
                return rest.is_empty() || rest.starts_with('/');
            }
            let Some(rest) = rest.strip_prefix('/') else {
                return false;
            };
            s = rest;
        }
        true
    };
    let mut rest = dirs;
    loop {
        if runs.iter().any(|run| starts_with_run(rest, run)) {
            return true;
        }
        match rest.find('/') {
            Some(i) => rest = &rest[i + 1..],
            None => return false,
        }
    }
}

/// Whether a path is a cache (rule 1).
pub fn is_cache(path: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "var/lib/apt/lists/",
        "var/cache/apt/",
        "var/cache/apk/",
        "var/cache/yum/",
        "var/cache/dnf/",
        "tmp/",
        "var/tmp/",
        "var/log/",
    ];
    // Directories anywhere: `.cache/`, `.npm/`, `__pycache__/`, `.yarn/cache/`,
    // `pkg/mod/cache/`, `.pnpm-store/`.
    const RUNS: &[&[&str]] = &[
        &[".cache"],
        &[".npm"],
        &["__pycache__"],
        &[".yarn", "cache"],
        &["pkg", "mod", "cache"],
        &[".pnpm-store"],
    ];
    has_prefix(path, PREFIXES) || path.ends_with(".pyc") || has_dir_run(path, RUNS)
}

/// Whether a path is documentation (rule 2).
pub fn is_doc(path: &str) -> bool {
    const DIRS: &[&str] = &["doc/", "man/", "info/", "locale/", "gtk-doc/", "help/"];
    ["usr/share/", "usr/local/share/"].iter().any(|root| {
        path.strip_prefix(root)
            .is_some_and(|rest| DIRS.iter().any(|d| rest.starts_with(d)))
    })
}

/// Whether an OS package is a toolchain: `*-dev`, or a compiler / build tool.
pub fn is_toolchain_package(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "gcc",
        "g++",
        "cpp",
        "binutils",
        "clang",
        "make",
        "build-essential",
        "build-base",
        "libtool",
        "autoconf",
        "automake",
        "pkg-config",
        "pkgconf",
        "cmake",
    ];
    const PREFIXES: &[&str] = &["gcc-", "g++-", "cpp-", "binutils-", "clang-", "llvm-"];
    name.ends_with("-dev")
        || NAMES.contains(&name)
        || (has_prefix(name, PREFIXES) && !name.ends_with("-base"))
}

/// Whether a path is part of a toolchain by itself (rule 3, path part): headers,
/// static libraries, gcc's private directories, the Go distribution.
pub fn is_toolchain_path(path: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "usr/include/",
        "usr/local/include/",
        "usr/lib/gcc/",
        "usr/libexec/gcc/",
        "usr/local/go/",
    ];
    has_prefix(path, PREFIXES) || (path.ends_with(".a") && !split_parent(path).1.eq(".a"))
}

/// Whether a path is a package database (rule 4, path part).
pub fn is_package_db(path: &str) -> bool {
    has_prefix(
        path,
        &[
            "var/lib/dpkg/",
            "lib/apk/db/",
            "var/lib/rpm/",
            "usr/lib/sysimage/rpm/",
        ],
    )
}

/// Whether a path is a language dependency by itself (rule 5, path part).
pub fn is_language_dep_path(path: &str) -> bool {
    // Directories anywhere: `site-packages/`, `dist-packages/`, `node_modules/`,
    // `gems/`, `go/pkg/mod/`.
    const RUNS: &[&[&str]] = &[
        &["site-packages"],
        &["dist-packages"],
        &["node_modules"],
        &["gems"],
        &["go", "pkg", "mod"],
    ];
    path.ends_with(".jar") || has_dir_run(path, RUNS)
}

/// The kind of a regular file of the final filesystem.
pub fn classify(path: &str, owner: Option<(Manager, &str)>, in_base: bool) -> Kind {
    let os_owner = owner.filter(|(m, _)| m.is_os());
    if is_cache(path) {
        Kind::Caches
    } else if is_doc(path) {
        Kind::Docs
    } else if is_toolchain_path(path) || os_owner.is_some_and(|(_, n)| is_toolchain_package(n)) {
        Kind::Toolchains
    } else if os_owner.is_some() || is_package_db(path) {
        Kind::OsPackages
    } else if owner.is_some() || is_language_dep_path(path) {
        Kind::LanguageDeps
    } else if in_base {
        Kind::Unowned
    } else {
        Kind::App
    }
}

/// Where `path`, resolved as [`resolve_dirs`] does, sits in `fs`; `None` when nothing
/// is there. Listed paths are mostly literal: those cost one binary search.
fn resolve_position(fs: &FileSystem<'_>, path: &str) -> Option<usize> {
    let literal = path.trim_start_matches('/');
    if is_literal(literal) {
        if let Ok(at) = fs.position(literal) {
            return Some(at);
        }
    }
    fs.position(&resolve_dirs(fs, path)?).ok()
}

/// A path with no empty, `.` or `..` component.
fn is_literal(path: &str) -> bool {
    !path.is_empty()
        && !path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
}

/// Resolve symlinks in the directories of `path` (not in its last component) against
/// the final filesystem, as the kernel would when opening it. `None` on a loop.
pub fn resolve_dirs(fs: &FileSystem<'_>, path: &str) -> Option<String> {
    // Fast path: most listed paths are present as they are (no `.`/`..`, no symlinked
    // directory on the way); only the rest walk their components.
    let literal = path.trim_start_matches('/');
    if is_literal(literal) && fs.contains_key(literal) {
        return Some(literal.to_string());
    }
    let mut pending: Vec<String> = path
        .split('/')
        .filter(|c| !c.is_empty())
        .rev()
        .map(str::to_string)
        .collect();
    let mut cur: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(c) = pending.pop() {
        match c.as_str() {
            "." => continue,
            ".." => {
                cur.pop();
                continue;
            }
            _ => {}
        }
        cur.push(c);
        if pending.is_empty() {
            break;
        }
        let joined = cur.join("/");
        if let Some(v) = fs.get(joined.as_str()) {
            if v.record.kind == EntryKind::Symlink {
                hops += 1;
                if hops > 40 {
                    return None;
                }
                let target = v.record.link_target.clone().unwrap_or_default();
                cur.pop();
                if target.starts_with('/') {
                    cur.clear();
                }
                pending.extend(
                    target
                        .split('/')
                        .filter(|c| !c.is_empty())
                        .rev()
                        .map(str::to_string),
                );
            }
        }
    }
    Some(cur.join("/"))
}

/// A package found in the final filesystem, with the layer that added it.
struct Found {
    pkg: Package,
    layer: usize,
}

/// Read every package database present in the final filesystem.
fn find_packages(set: &ImageSet, image: &Image, replay: &Replay<'_>) -> (Vec<Found>, Vec<String>) {
    let mut notes = Vec::new();
    // Captured bytes of each layer by path, the last entry of a path winning.
    let captured: Vec<HashMap<&str, &[u8]>> = image
        .layers
        .iter()
        .map(|l| {
            set.layers
                .get(&l.diff_id)
                .map(|r| {
                    r.captured
                        .iter()
                        .map(|c| (c.path.as_str(), c.bytes.as_slice()))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
    let final_bytes = |path: &str| -> Option<(&[u8], usize)> {
        let v = replay.files.get(path)?;
        if v.record.kind != EntryKind::Regular {
            return None;
        }
        captured[v.layer].get(path).map(|b| (*b, v.layer))
    };
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut found = Vec::new();

    // dpkg: status (+ status.d) for names and versions, .list files for the files.
    let mut stanzas: Vec<packages::DpkgStanza> = Vec::new();
    let mut status_layers: Vec<(usize, Vec<packages::DpkgStanza>)> = Vec::new();
    for (k, cap) in captured.iter().enumerate() {
        let mut here = Vec::new();
        for (p, b) in cap {
            if *p == "var/lib/dpkg/status" || split_parent(p).0 == "var/lib/dpkg/status.d" {
                here.extend(packages::parse_dpkg_status(&text(b)));
            }
        }
        if !here.is_empty() {
            status_layers.push((k, here));
        }
    }
    let status_paths: Vec<&str> = replay
        .files
        .keys()
        .filter(|p| *p == "var/lib/dpkg/status" || split_parent(p).0 == "var/lib/dpkg/status.d")
        .collect();
    let mut have_status = false;
    for p in &status_paths {
        if let Some((b, _)) = final_bytes(p) {
            have_status = true;
            stanzas.extend(packages::parse_dpkg_status(&text(b)));
        } else if replay
            .files
            .get(p)
            .is_some_and(|v| v.record.kind == EntryKind::Regular)
        {
            notes.push(format!(
                "{p}: present but not captured; dpkg packages not read"
            ));
        }
    }
    let mut lists: HashMap<&str, (Vec<String>, usize)> = HashMap::default();
    for (p, v) in replay.files.under("var/lib/dpkg/info") {
        if v.record.kind != EntryKind::Regular || !is_package_metadata(p) {
            continue;
        }
        if let (Some((b, layer)), Some((name, _))) =
            (final_bytes(p), packages::dpkg_list_name(split_parent(p).1))
        {
            lists.insert(name, (packages::parse_dpkg_list(&text(b)), layer));
        }
    }
    let mut seen_dpkg: HashMap<String, ()> = HashMap::default();
    for st in stanzas.iter().filter(|s| s.installed) {
        if seen_dpkg.insert(st.name.clone(), ()).is_some() {
            continue;
        }
        let (files, layer) = match lists.get(st.name.as_str()) {
            Some((files, layer)) => (files.clone(), *layer),
            None => {
                let layer = status_layers
                    .iter()
                    .find(|(_, ss)| {
                        ss.iter()
                            .any(|s| s.installed && s.name == st.name && s.version == st.version)
                    })
                    .map_or(0, |(k, _)| *k);
                (Vec::new(), layer)
            }
        };
        found.push(Found {
            pkg: Package {
                manager: Manager::Dpkg,
                name: st.name.clone(),
                version: st.version.clone(),
                files,
                root: None,
            },
            layer,
        });
    }
    if !have_status {
        // .list files without a status: still owned, version unknown.
        let mut names: Vec<&&str> = lists.keys().collect();
        names.sort();
        for name in names {
            let (files, layer) = &lists[*name];
            found.push(Found {
                pkg: Package {
                    manager: Manager::Dpkg,
                    name: name.to_string(),
                    version: String::new(),
                    files: files.clone(),
                    root: None,
                },
                layer: *layer,
            });
        }
    }

    // apk
    if let Some((b, _)) = final_bytes("lib/apk/db/installed") {
        let per_layer: Vec<(usize, Vec<Package>)> = captured
            .iter()
            .enumerate()
            .filter_map(|(k, c)| {
                c.get("lib/apk/db/installed")
                    .map(|b| (k, packages::parse_apk_installed(&text(b))))
            })
            .collect();
        for pkg in packages::parse_apk_installed(&text(b)) {
            let layer = per_layer
                .iter()
                .find(|(_, ps)| {
                    ps.iter()
                        .any(|q| q.name == pkg.name && q.version == pkg.version)
                })
                .map_or(0, |(k, _)| *k);
            found.push(Found { pkg, layer });
        }
    } else if replay.files.contains_key("lib/apk/db/installed") {
        notes.push("lib/apk/db/installed: present but not captured; apk packages not read".into());
    }

    // rpm: detected, not parsed.
    if replay
        .files
        .keys()
        .any(|p| p.starts_with("var/lib/rpm/") || p.starts_with("usr/lib/sysimage/rpm/"))
    {
        notes.push(
            "rpm database present but not readable by layerlens: rpm-installed files are \
             counted as app/unowned"
                .into(),
        );
    }

    // Python and npm: one metadata file per package.
    for (p, v) in replay.files.iter() {
        if v.record.kind != EntryKind::Regular || !is_package_metadata(p) {
            continue;
        }
        let base = split_parent(p).1;
        let Some((b, layer)) = final_bytes(p) else {
            continue;
        };
        let pkg = match base {
            "RECORD" => Some(packages::parse_record(p, &text(b))),
            "installed-files.txt" => Some(packages::parse_installed_files(p, &text(b))),
            "package.json" => packages::parse_package_json(p, b),
            _ => None,
        };
        if let Some(pkg) = pkg {
            found.push(Found { pkg, layer });
        }
    }
    found.sort_by(|a, b| {
        (a.pkg.manager, &a.pkg.name, &a.pkg.version, &a.pkg.root).cmp(&(
            b.pkg.manager,
            &b.pkg.name,
            &b.pkg.version,
            &b.pkg.root,
        ))
    });
    (found, notes)
}

/// Attribute every byte of `image`. `replay` is its waste replay; `base_layers` how
/// many of its lowest layers are base layers (see [`base_layers`]).
pub fn attribute<'a>(
    set: &'a ImageSet,
    image: &'a Image,
    replay: &Replay<'a>,
    base_layers: usize,
) -> Attribution<'a> {
    let (found, notes) = find_packages(set, image, replay);
    // Claim files: packages in (manager, name, version) order, first claim wins.
    // The owning package of each entry of the final filesystem, by its position there.
    let fs = &replay.files;
    let mut owner: Vec<usize> = vec![NO_OWNER; fs.len()];
    let mut npm_roots: HashMap<&str, usize> = HashMap::default();
    for (i, f) in found.iter().enumerate() {
        if let Some(root) = &f.pkg.root {
            npm_roots.entry(root.as_str()).or_insert(i);
        }
        for listed in &f.pkg.files {
            let Some(at) = resolve_position(fs, listed) else {
                continue;
            };
            if fs.at(at).1.record.kind == EntryKind::Regular && owner[at] == NO_OWNER {
                owner[at] = i;
            }
        }
    }
    let mut out = Attribution {
        base_layers,
        notes,
        ..Attribution::default()
    };
    for (k, il) in image.layers.iter().enumerate() {
        let size = set.layers.get(&il.diff_id).map_or(0, |l| l.content_size);
        if k < base_layers {
            out.by_origin.base += size;
        } else {
            out.by_origin.own += size;
        }
    }
    out.by_kind.wasted = replay.wasted_size();
    let mut sizes = vec![(0u64, 0u64); found.len()];
    let mut files: Vec<(u32, u32, Kind)> = Vec::new();
    for (at, ((path, v), &who)) in fs.iter().zip(&owner).enumerate() {
        if v.record.kind != EntryKind::Regular {
            continue;
        }
        let path: &'a str = path;
        let mut who = (who != NO_OWNER).then_some(who);
        if who.is_none() {
            who = packages::npm_root_of(path).and_then(|r| npm_roots.get(r).copied());
        }
        let o = who.map(|i| (found[i].pkg.manager, found[i].pkg.name.as_str()));
        let kind = classify(path, o, v.layer < base_layers);
        *out.by_kind.slot(kind) += v.record.size;
        if let Some(i) = who {
            sizes[i].0 += v.record.size;
            sizes[i].1 += 1;
        }
        files.push((at as u32, who.map_or(u32::MAX, |i| i as u32), kind));
    }
    let mut order: Vec<usize> = (0..found.len()).collect();
    order.sort_by(|&a, &b| sizes[b].0.cmp(&sizes[a].0).then(a.cmp(&b)));
    let mut remap = vec![0; found.len()];
    for (new, &old) in order.iter().enumerate() {
        remap[old] = new;
    }
    out.packages = order
        .iter()
        .map(|&i| {
            let f = &found[i];
            let il = &image.layers[f.layer.min(image.layers.len().saturating_sub(1))];
            PackageUsage {
                manager: f.pkg.manager,
                name: f.pkg.name.clone(),
                version: f.pkg.version.clone(),
                size: sizes[i].0,
                files: sizes[i].1,
                layer: f.layer as u64,
                created_by: il.created_by.clone(),
                diff_id: il.diff_id.clone(),
            }
        })
        .collect();
    for f in &mut files {
        if f.1 != u32::MAX {
            f.1 = remap[f.1 as usize] as u32;
        }
    }
    out.files = files;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The substring definitions the component matchers replaced, kept as the oracle.
    fn substring_rules(path: &str) -> (bool, bool) {
        let wrapped = format!("/{path}");
        let cache = [
            "/.cache/",
            "/.npm/",
            "/__pycache__/",
            "/.yarn/cache/",
            "/pkg/mod/cache/",
            "/.pnpm-store/",
        ];
        let lang = [
            "/site-packages/",
            "/dist-packages/",
            "/node_modules/",
            "/gems/",
            "/go/pkg/mod/",
        ];
        (
            cache.iter().any(|p| wrapped.contains(p)),
            lang.iter().any(|p| wrapped.contains(p)),
        )
    }

    #[test]
    fn directory_runs_match_the_substring_rules() {
        let parts = [
            ".cache",
            ".npm",
            "__pycache__",
            ".yarn",
            "cache",
            "pkg",
            "mod",
            ".pnpm-store",
            "site-packages",
            "dist-packages",
            "node_modules",
            "gems",
            "go",
            "x.cache",
            "gem",
            "",
            "a",
            "node_modules2",
            ".yarn2",
        ];
        // Every path of up to 4 components over these parts (empty ones included).
        let mut checked = 0;
        let mut stack: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
        while let Some(p) = stack.pop() {
            let (cache, lang) = substring_rules(&p);
            assert_eq!(
                has_dir_run(
                    &p,
                    &[
                        &[".cache"],
                        &[".npm"],
                        &["__pycache__"],
                        &[".yarn", "cache"],
                        &["pkg", "mod", "cache"],
                        &[".pnpm-store"]
                    ]
                ),
                cache,
                "{p:?}"
            );
            assert_eq!(
                is_language_dep_path(&p),
                lang || p.ends_with(".jar"),
                "{p:?}"
            );
            checked += 1;
            if p.matches('/').count() < 3 {
                stack.extend(parts.iter().map(|c| format!("{p}/{c}")));
            }
        }
        assert!(checked > 100_000, "{checked}");
    }

    #[test]
    fn kinds_by_precedence() {
        let dpkg = Some((Manager::Dpkg, "libc6"));
        let dev = Some((Manager::Dpkg, "libc6-dev"));
        let py = Some((Manager::Python, "six"));
        assert_eq!(
            classify("var/lib/apt/lists/x_Packages", None, true),
            Kind::Caches
        );
        assert_eq!(
            classify(
                "usr/lib/python3/dist-packages/__pycache__/a.pyc",
                dpkg,
                true
            ),
            Kind::Caches
        );
        assert_eq!(
            classify("usr/share/doc/libc6/copyright", dpkg, true),
            Kind::Docs
        );
        assert_eq!(
            classify("usr/include/stdio.h", dpkg, true),
            Kind::Toolchains
        );
        assert_eq!(
            classify("usr/lib/x86_64-linux-gnu/libc.so", dev, true),
            Kind::Toolchains
        );
        assert_eq!(classify("usr/lib/libfoo.a", None, false), Kind::Toolchains);
        assert_eq!(
            classify("lib/x86_64-linux-gnu/libc.so.6", dpkg, true),
            Kind::OsPackages
        );
        assert_eq!(
            classify("var/lib/dpkg/status", None, true),
            Kind::OsPackages
        );
        assert_eq!(
            classify("usr/local/lib/python3.11/site-packages/six.py", py, false),
            Kind::LanguageDeps
        );
        assert_eq!(
            classify("app/node_modules/x/y.js", None, false),
            Kind::LanguageDeps
        );
        assert_eq!(classify("app/server", None, false), Kind::App);
        assert_eq!(classify("etc/hostname", None, true), Kind::Unowned);
        assert!(is_toolchain_package("gcc-12"));
        assert!(!is_toolchain_package("gcc-12-base"));
        assert!(!is_toolchain_package("libgcc-s1"));
    }

    #[test]
    fn resolves_directory_symlinks() {
        use crate::testutil::{image, set};
        let s = set(&[(
            "a",
            vec![vec![
                ("d", "usr", 0, 0),
                ("d", "usr/bin", 0, 0),
                ("f", "usr/bin/bash", 10, 1),
                ("s", "bin", 0, 0),
            ]],
        )]);
        let mut s = s;
        let d = s.images[0].layers[0].diff_id.clone();
        for f in &mut s.layers.get_mut(&d).unwrap().files {
            if f.path == "bin" {
                f.link_target = Some("usr/bin".into());
            }
        }
        let img = image(&s, "a");
        let r = crate::forensics::waste::replay(&s, img);
        assert_eq!(
            resolve_dirs(&r.files, "bin/bash").as_deref(),
            Some("usr/bin/bash")
        );
        assert_eq!(
            resolve_dirs(&r.files, "usr/bin/bash").as_deref(),
            Some("usr/bin/bash")
        );
        assert_eq!(resolve_dirs(&r.files, "bin").as_deref(), Some("bin"));
    }
}

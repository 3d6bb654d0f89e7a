//! Which packages a filesystem holds, and which package owns each path.
//!
//! The package databases are read from the bytes captured during the layer walk, each
//! captured file parsed once for the whole set ([`Context`]); rpm databases were read
//! at the end of their layer's walk, and the packages that files are (Go, cargo,
//! Maven, gems) found by the walk's detectors. A [`Table`] is what one
//! visible filesystem says: its packages, in (manager, name, version) order, and the
//! first of them to list each path. A path listed through a symlinked directory is
//! resolved in that filesystem, as the kernel would open it.
//!
//! Over 600 lines on purpose: the set's parsed metadata ([`Context`]) and what one
//! filesystem makes of it ([`Table`], [`find`], [`claims`]) share the private list and
//! parse types, and a package is found the same way by both.

use std::sync::{Arc, OnceLock};

use foldhash::{HashMap, HashSet};
use rayon::prelude::*;

use super::packages::{self, DpkgStanza, Manager, Package};
use super::rules::{self, OwnerClass, METADATA, PACKAGE_FILE, RPM};
use crate::model::overlay::{BitSet, Overlay};
use crate::model::paths::NO_PATH;
use crate::model::SetModel;
use crate::read::detect::FilePackage;
use crate::read::layer::{split_parent, EntryKind};

/// No owner.
pub(crate) const NO_OWNER: u32 = u32::MAX;

/// The paths a package lists: by number when the set numbers them as listed (most),
/// as text otherwise (to resolve through symlinked directories).
#[derive(Debug, Default)]
pub(crate) struct Listed(Vec<ListedPath>);

#[derive(Debug)]
enum ListedPath {
    Numbered(u32),
    Text(Box<str>),
}

impl Listed {
    fn new(m: &SetModel<'_>, paths: Vec<String>) -> Arc<Listed> {
        let mut l = Listed::default();
        for p in paths {
            l.push(m, p);
        }
        Arc::new(l)
    }

    fn push(&mut self, m: &SetModel<'_>, path: String) {
        self.0.push(match m.paths().find(&path) {
            Some(pid) => ListedPath::Numbered(pid),
            None => ListedPath::Text(path.into()),
        });
    }

    /// `base/rel`, looked up without building the string when it is plain.
    fn push_joined(&mut self, m: &SetModel<'_>, base: &str, rel: &str) {
        if packages::is_plain(rel) {
            if let Some(pid) = m.paths().find_joined(base, rel) {
                self.0.push(ListedPath::Numbered(pid));
                return;
            }
        }
        self.push(m, packages::join(base, rel));
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A parsed metadata file.
#[derive(Debug)]
enum Parsed {
    Status(Vec<DpkgStanza>),
    List(Arc<Listed>),
    Apk(Vec<(Package, Arc<Listed>)>),
    Python(Package, Arc<Listed>),
    Npm(Option<Package>),
    Other,
}

/// What is read once per set: each path's rule bits, the npm package directory above
/// each path, and every captured metadata file, parsed on first use.
pub(crate) struct Context<'m, 'a> {
    pub m: &'m SetModel<'a>,
    /// Per path: [`rules::path_class`].
    pub class: Vec<u8>,
    /// Per path: the number of the npm package directory it lies under, or `NO_PATH`.
    pub npm_root: Vec<u32>,
    /// Per path: the number of the directory a gem could own it through
    /// (`…/gems/<full name>` or `…/extensions/<platform>/<abi>/<full name>`), or `NO_PATH`.
    pub gem_root: Vec<u32>,
    /// The metadata paths (and rpm paths), ascending.
    meta: Vec<u32>,
    /// Per layer: captured path → index in `captured` (the last capture of a path).
    captured: Vec<HashMap<&'a str, usize>>,
    parsed: Vec<Vec<OnceLock<Parsed>>>,
    /// Per layer: the stanzas of every captured dpkg status file.
    status: Vec<OnceLock<Vec<DpkgStanza>>>,
    /// Per layer: rpm database path → index in its `detected.rpm`.
    rpm_dbs: Vec<HashMap<&'a str, usize>>,
    /// Per layer, per rpm database: each package's listed paths.
    rpm_listed: Vec<Vec<OnceLock<Vec<Arc<Listed>>>>>,
    /// Per layer: `name-evr.arch` of every package its rpm databases hold.
    rpm_held: Vec<OnceLock<HashSet<String>>>,
    /// Every package a file is, set-wide: (path, layer, the package).
    pub files: Vec<(u32, u32, &'a FilePackage)>,
    /// The entries of `files` that own nothing but their own file (Go, cargo, Maven),
    /// by (layer, record): the walk counts them as their records come and go, without
    /// reading the table again (a gem, which owns a directory, is in the table).
    singles: HashMap<(u32, u32), usize>,
    /// Per entry of `files`: the paths it owns besides a root.
    file_listed: Vec<OnceLock<Arc<Listed>>>,
}

fn is_status(path: &str) -> bool {
    path == "var/lib/dpkg/status" || split_parent(path).0 == "var/lib/dpkg/status.d"
}

fn text(b: &[u8]) -> std::borrow::Cow<'_, str> {
    // Captured metadata is almost always valid UTF-8: `from_utf8` checks it several
    // times faster than the lossy walk, which only the rest needs.
    match std::str::from_utf8(b) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

impl<'m, 'a> Context<'m, 'a> {
    pub fn new(m: &'m SetModel<'a>) -> Self {
        let n = m.paths().len() as u32;
        let class = rules::classes(m.paths());
        // The npm package and the gem each path lies in, in one pass over the paths.
        let (npm_root, gem_root): (Vec<u32>, Vec<u32>) = (0..n)
            .into_par_iter()
            .map(|p| {
                let path = m.paths().path(p);
                let root = |r: Option<&str>| r.and_then(|r| m.paths().find(r)).unwrap_or(NO_PATH);
                (root(packages::npm_root_of(path)), root(gem_root_of(path)))
            })
            .unzip();
        let mut class = class;
        let mut files = Vec::new();
        let mut singles = HashMap::default();
        for (l, (_, r)) in m.layers().iter().enumerate() {
            let Some(r) = r else { continue };
            for f in &r.detected.packages {
                if let Some(pid) = m.paths().find(&f.path) {
                    if f.manager == Manager::Gem {
                        class[pid as usize] |= PACKAGE_FILE;
                    } else {
                        singles.insert((l as u32, f.entry), files.len());
                    }
                    files.push((pid, l as u32, f));
                }
            }
        }
        let file_listed = files.iter().map(|_| OnceLock::new()).collect();
        let rpm_dbs = m
            .layers()
            .iter()
            .map(|(_, r)| {
                r.map(|r| {
                    r.detected
                        .rpm
                        .iter()
                        .enumerate()
                        .map(|(i, d)| (d.path.as_str(), i))
                        .collect()
                })
                .unwrap_or_default()
            })
            .collect();
        let rpm_listed = m
            .layers()
            .iter()
            .map(|(_, r)| {
                (0..r.map_or(0, |r| r.detected.rpm.len()))
                    .map(|_| OnceLock::new())
                    .collect()
            })
            .collect();
        let rpm_held = m.layers().iter().map(|_| OnceLock::new()).collect();
        let meta = (0..n)
            .filter(|&p| class[p as usize] & (METADATA | RPM) != 0)
            .collect();
        let captured: Vec<HashMap<&'a str, usize>> = m
            .layers()
            .iter()
            .map(|(_, r)| {
                r.map(|r| {
                    r.captured
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (c.path.as_str(), i))
                        .collect()
                })
                .unwrap_or_default()
            })
            .collect();
        let parsed = m
            .layers()
            .iter()
            .map(|(_, r)| {
                (0..r.map_or(0, |r| r.captured.len()))
                    .map(|_| OnceLock::new())
                    .collect()
            })
            .collect();
        let status = m.layers().iter().map(|_| OnceLock::new()).collect();
        let cx = Context {
            m,
            class,
            npm_root,
            gem_root,
            meta,
            captured,
            parsed,
            status,
            rpm_dbs,
            rpm_listed,
            rpm_held,
            files,
            singles,
            file_listed,
        };
        // Every captured metadata file parsed now, on every core, rather than one at a
        // time when the walk first needs it.
        let work: Vec<(u32, usize, u32)> = cx
            .captured
            .iter()
            .enumerate()
            .flat_map(|(l, caps)| {
                caps.iter().filter_map(move |(path, &i)| {
                    m.paths().find(path).map(|pid| (l as u32, i, pid))
                })
            })
            .collect();
        work.par_iter().for_each(|&(l, i, pid)| {
            cx.parse(l, i, pid);
        });
        cx
    }

    /// The entry of `files` that record `entry` of layer `layer` is, when that package
    /// owns only itself (Go, cargo, Maven).
    pub fn single(&self, layer: u32, entry: u32) -> Option<usize> {
        if self.singles.is_empty() {
            return None;
        }
        self.singles.get(&(layer, entry)).copied()
    }

    /// The rpm database `index` of layer `layer`.
    fn rpm_db(&self, layer: u32, index: usize) -> &'a crate::read::detect::RpmDatabase {
        let r = self.m.layers()[layer as usize].1.expect("a layer with rpm");
        &r.detected.rpm[index]
    }

    /// The listed paths of each package of rpm database `index` of layer `layer`.
    fn rpm_listed(&self, layer: u32, index: usize) -> &[Arc<Listed>] {
        self.rpm_listed[layer as usize][index].get_or_init(|| {
            self.rpm_db(layer, index)
                .packages
                .iter()
                .map(|p| Listed::new(self.m, p.files.iter().map(|f| f.path.clone()).collect()))
                .collect()
        })
    }

    /// Whether an rpm database of layer `layer` holds this package.
    fn rpm_holds(&self, layer: u32, p: &crate::attribution::packages::rpm::RpmPackage) -> bool {
        self.rpm_held[layer as usize]
            .get_or_init(|| {
                let Some(r) = self.m.layers()[layer as usize].1 else {
                    return HashSet::default();
                };
                r.detected
                    .rpm
                    .iter()
                    .flat_map(|d| &d.packages)
                    .map(|p| p.nevra())
                    .collect()
            })
            .contains(&p.nevra())
    }

    /// The paths entry `i` of `files` owns by name: the file itself, and for a gem
    /// its `cache/<full name>.gem`.
    fn file_listed(&self, i: usize) -> &Arc<Listed> {
        self.file_listed[i].get_or_init(|| {
            let (_, _, f) = self.files[i];
            let mut paths = vec![f.path.clone()];
            if let Some(full) = f
                .root
                .as_deref()
                .and_then(|r| r.rsplit_once("gems/"))
                .filter(|_| f.manager == Manager::Gem)
            {
                paths.push(format!("{}cache/{}.gem", full.0, full.1));
            }
            Listed::new(self.m, paths)
        })
    }

    fn bytes(&self, layer: u32, index: usize) -> &'a [u8] {
        let r = self.m.layers()[layer as usize].1.expect("a captured layer");
        &r.captured[index].bytes
    }

    /// The captured bytes of the regular file visible at `pid`, with its layer
    /// position, layer number and capture index.
    fn visible_capture(&self, o: &Overlay<'_, 'a>, pid: u32) -> Option<(u32, u32, usize)> {
        let at = o.get(pid)?;
        if o.record(at).kind != EntryKind::Regular {
            return None;
        }
        let layer = o.layer_at(at.depth);
        let index = *self.captured[layer as usize].get(self.m.paths().path(pid))?;
        Some((at.depth, layer, index))
    }

    fn parse(&self, layer: u32, index: usize, pid: u32) -> &Parsed {
        self.parsed[layer as usize][index].get_or_init(|| {
            let path = self.m.paths().path(pid);
            let b = self.bytes(layer, index);
            let base = split_parent(path).1;
            if is_status(path) {
                Parsed::Status(packages::parse_dpkg_status(&text(b)))
            } else if path.starts_with("var/lib/dpkg/info/") {
                // Absolute paths, one a line: most are plain once the `/` is dropped.
                let mut l = Listed::default();
                for line in text(b).lines() {
                    let rel = line.trim_start_matches('/');
                    if packages::is_plain(rel) {
                        l.push_joined(self.m, "", rel);
                    } else {
                        let p = crate::read::layer::normalize_path(line.as_bytes());
                        if !p.is_empty() {
                            l.push(self.m, p);
                        }
                    }
                }
                Parsed::List(Arc::new(l))
            } else if path == "lib/apk/db/installed" {
                Parsed::Apk(
                    packages::parse_apk_installed(&text(b))
                        .into_iter()
                        .map(|mut p| {
                            let l = Listed::new(self.m, std::mem::take(&mut p.files));
                            (p, l)
                        })
                        .collect(),
                )
            } else if base == "RECORD" {
                let t = text(b);
                let (dist_info, _) = split_parent(path);
                let (site, dir_name) = split_parent(dist_info);
                let (name, version) = packages::python_dist_name(dir_name);
                let mut l = Listed::default();
                for rel in packages::record_paths(&t) {
                    l.push_joined(self.m, site, &rel);
                }
                let p = Package {
                    manager: Manager::Python,
                    name,
                    version,
                    files: Vec::new(),
                    root: None,
                };
                Parsed::Python(p, Arc::new(l))
            } else if base == "installed-files.txt" {
                let mut p = packages::parse_installed_files(path, &text(b));
                let l = Listed::new(self.m, std::mem::take(&mut p.files));
                Parsed::Python(p, l)
            } else if base == "package.json" {
                Parsed::Npm(packages::parse_package_json(path, b))
            } else {
                Parsed::Other
            }
        })
    }

    /// The stanzas of every dpkg status file captured in layer `layer`.
    fn layer_status(&self, layer: u32) -> &[DpkgStanza] {
        self.status[layer as usize].get_or_init(|| {
            let Some(r) = self.m.layers()[layer as usize].1 else {
                return Vec::new();
            };
            r.captured
                .iter()
                .filter(|c| is_status(&c.path))
                .flat_map(|c| packages::parse_dpkg_status(&text(&c.bytes)))
                .collect()
        })
    }
}

/// A package found in a filesystem.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub manager: Manager,
    pub name: Arc<str>,
    pub version: Arc<str>,
    /// For npm and gems: the package directory (its path number, and its path).
    root: Option<(u32, String)>,
    /// For gems: the compiled extension directories it owns too.
    pub extra_roots: Vec<u32>,
    /// Position of the layer that added it.
    pub layer: u32,
    files: Option<Arc<Listed>>,
    /// How the kind rules see it as an owner.
    pub class: OwnerClass,
}

/// What makes two found packages the same package: everything [`find`] says of it.
pub(crate) type FoundKey = (Manager, Arc<str>, Arc<str>, Option<u32>, u32, usize);

impl Found {
    /// Where the package is, when that tells two packages of one name apart: the
    /// directory of an npm package or a gem, the file of a Go, cargo or Maven package.
    pub fn location(&self, paths: &crate::model::PathIndex<'_>) -> Option<String> {
        if let Some((_, r)) = &self.root {
            return Some(r.clone());
        }
        match self.manager {
            Manager::Go | Manager::Cargo | Manager::Maven => self
                .files
                .as_ref()
                .and_then(|l| l.0.first())
                .map(|p| match p {
                    ListedPath::Numbered(pid) => paths.path(*pid).to_string(),
                    ListedPath::Text(t) => t.to_string(),
                }),
            _ => None,
        }
    }

    /// Its npm or gem package directory's path number, if it has one.
    pub fn root(&self) -> Option<u32> {
        self.root
            .as_ref()
            .map(|(r, _)| *r)
            .filter(|&r| r != NO_PATH)
    }

    /// Whether it lists files.
    pub fn lists_files(&self) -> bool {
        self.files.as_ref().is_some_and(|l| !l.is_empty())
    }

    /// Its identity across tables: manager, name, version, npm root, layer, and which
    /// parsed file list it has (the same metadata record gives the same list).
    pub fn key(&self) -> FoundKey {
        (
            self.manager,
            self.name.clone(),
            self.version.clone(),
            self.root.as_ref().map(|r| r.0),
            self.layer,
            self.files.as_ref().map_or(0, |l| Arc::as_ptr(l) as usize),
        )
    }
}

/// What one filesystem says about packages.
pub(crate) struct Table {
    /// Its packages, in (manager, name, version, root) order.
    pub found: Vec<Found>,
    /// Per path: the first package listing it (index into `found`), or [`NO_OWNER`].
    owner: Vec<u32>,
    /// Per npm or gem package directory: the first package with that root.
    roots: HashMap<u32, u32>,
}

impl Table {
    /// The package owning path `pid`, if any.
    pub fn owner(&self, cx: &Context<'_, '_>, pid: u32) -> Option<u32> {
        if let Some(&o) = self.owner.get(pid as usize) {
            if o != NO_OWNER {
                return Some(o);
            }
        }
        [cx.npm_root[pid as usize], cx.gem_root[pid as usize]]
            .into_iter()
            .filter(|&r| r != NO_PATH)
            .find_map(|r| self.roots.get(&r).copied())
    }

    /// Read every package database visible in `o`, and claim the files each lists.
    pub fn build(cx: &Context<'_, '_>, o: &Overlay<'_, '_>) -> Table {
        let (found, notes) = find(cx, o, true);
        Table::claim(cx, o, found, notes)
    }
}

/// Every package database visible in `o`: its packages in (manager, name, version,
/// root) order, and what could not be read.
pub(crate) fn find(
    cx: &Context<'_, '_>,
    o: &Overlay<'_, '_>,
    singles: bool,
) -> (Vec<Found>, Vec<String>) {
    let m = cx.m;
    let mut notes = Vec::new();
    let mut found: Vec<Found> = Vec::new();
    let os = |manager: Manager, name: &str| OwnerClass {
        os: manager.is_os(),
        toolchain: manager.is_os() && rules::is_toolchain_package(name),
    };

    // dpkg: status (+ status.d) for names and versions, .list files for the files.
    let mut stanzas: Vec<&DpkgStanza> = Vec::new();
    let mut have_status = false;
    let mut lists: HashMap<&str, (Arc<Listed>, u32)> = HashMap::default();
    let mut list_order: Vec<&str> = Vec::new();
    let mut apk = None;
    // rpm: the database the highest layer wrote (another backend's or directory's may be
    // left over from before a migration).
    let mut rpm: Option<(u32, u32, u32)> = None;
    let mut lang: Vec<Found> = Vec::new();
    for &pid in &cx.meta {
        let Some(at) = o.get(pid) else { continue };
        if cx.class[pid as usize] & RPM != 0
            && o.record(at).kind == EntryKind::Regular
            && crate::read::detect::is_rpm_database(m.paths().path(pid))
            && !m.paths().path(pid).ends_with("-wal")
            && rpm.is_none_or(|(d, _, _)| at.depth >= d)
        {
            rpm = Some((at.depth, o.layer_at(at.depth), pid));
        }
        if cx.class[pid as usize] & METADATA == 0 {
            continue;
        }
        let path = m.paths().path(pid);
        let capture = cx.visible_capture(o, pid);
        if is_status(path) {
            match capture {
                Some((_, layer, index)) => {
                    have_status = true;
                    if let Parsed::Status(s) = cx.parse(layer, index, pid) {
                        stanzas.extend(s.iter());
                    }
                }
                None if o.record(at).kind == EntryKind::Regular => notes.push(format!(
                    "{path}: present but not captured; dpkg packages not read"
                )),
                None => {}
            }
            continue;
        }
        let Some((depth, layer, index)) = capture else {
            if path == "lib/apk/db/installed" {
                apk = Some(None);
            }
            continue;
        };
        match cx.parse(layer, index, pid) {
            Parsed::List(l) => {
                if let Some((name, _)) = packages::dpkg_list_name(split_parent(path).1) {
                    if lists.insert(name, (l.clone(), depth)).is_none() {
                        list_order.push(name);
                    }
                }
            }
            Parsed::Apk(pkgs) => apk = Some(Some(pkgs)),
            Parsed::Python(p, l) => lang.push(Found {
                manager: p.manager,
                name: p.name.as_str().into(),
                version: p.version.as_str().into(),
                root: None,
                extra_roots: Vec::new(),
                layer: depth,
                files: Some(l.clone()),
                class: os(p.manager, &p.name),
            }),
            Parsed::Npm(Some(p)) => {
                let root = p.root.clone().unwrap_or_default();
                lang.push(Found {
                    manager: p.manager,
                    name: p.name.as_str().into(),
                    version: p.version.as_str().into(),
                    root: Some((m.paths().find(&root).unwrap_or(NO_PATH), root)),
                    extra_roots: Vec::new(),
                    layer: depth,
                    files: None,
                    class: os(p.manager, &p.name),
                })
            }
            _ => {}
        }
    }
    let mut seen_dpkg: HashMap<&str, ()> = HashMap::default();
    for st in stanzas.iter().filter(|s| s.installed) {
        if seen_dpkg.insert(st.name.as_str(), ()).is_some() {
            continue;
        }
        let (files, layer) = match lists.get(st.name.as_str()) {
            Some((files, layer)) => (Some(files.clone()), *layer),
            None => {
                let layer = (0..o.stack().len() as u32)
                    .find(|&d| {
                        cx.layer_status(o.layer_at(d))
                            .iter()
                            .any(|s| s.installed && s.name == st.name && s.version == st.version)
                    })
                    .unwrap_or(0);
                (None, layer)
            }
        };
        found.push(Found {
            manager: Manager::Dpkg,
            name: st.name.as_str().into(),
            version: st.version.as_str().into(),
            root: None,
            extra_roots: Vec::new(),
            layer,
            files,
            class: os(Manager::Dpkg, &st.name),
        });
    }
    if !have_status {
        // .list files without a status: still owned, version unknown.
        list_order.sort_unstable();
        for name in list_order {
            let (files, layer) = &lists[name];
            found.push(Found {
                manager: Manager::Dpkg,
                name: name.into(),
                version: "".into(),
                root: None,
                extra_roots: Vec::new(),
                layer: *layer,
                files: Some(files.clone()),
                class: os(Manager::Dpkg, name),
            });
        }
    }
    match apk {
        Some(Some(pkgs)) => {
            for (p, l) in pkgs {
                let layer = (0..o.stack().len() as u32)
                        .find(|&d| {
                            let layer = o.layer_at(d);
                            cx.captured[layer as usize]
                                .get("lib/apk/db/installed")
                                .is_some_and(|&i| {
                                    let pid = m.paths().find("lib/apk/db/installed");
                                    matches!(
                                        pid.map(|pid| cx.parse(layer, i, pid)),
                                        Some(Parsed::Apk(q)) if q.iter().any(|(q, _)| q.name == p.name && q.version == p.version)
                                    )
                                })
                        })
                        .unwrap_or(0);
                found.push(Found {
                    manager: Manager::Apk,
                    name: p.name.as_str().into(),
                    version: p.version.as_str().into(),
                    root: None,
                    extra_roots: Vec::new(),
                    layer,
                    files: Some(l.clone()),
                    class: os(Manager::Apk, &p.name),
                });
            }
        }
        Some(None) => notes
            .push("lib/apk/db/installed: present but not captured; apk packages not read".into()),
        None => {}
    }
    if let Some((_, layer, pid)) = rpm {
        let path = m.paths().path(pid);
        match cx.rpm_dbs[layer as usize].get(path) {
            None => notes.push(format!(
                "{path}: present but not captured; rpm packages not read"
            )),
            Some(&i) => {
                let db = cx.rpm_db(layer, i);
                if let Some(e) = &db.error {
                    notes.push(format!(
                        "{path}: rpm database not readable ({e}); rpm-installed files are \
                         counted as app/unowned"
                    ));
                }
                for (p, l) in db.packages.iter().zip(cx.rpm_listed(layer, i)) {
                    let added = (0..o.stack().len() as u32)
                        .find(|&d| cx.rpm_holds(o.layer_at(d), p))
                        .unwrap_or(0);
                    found.push(Found {
                        manager: Manager::Rpm,
                        name: p.name.as_str().into(),
                        version: p.evr().into(),
                        root: None,
                        extra_roots: Vec::new(),
                        layer: added,
                        files: Some(l.clone()),
                        class: os(Manager::Rpm, &p.name),
                    });
                }
            }
        }
    }
    // The packages files are: visible only where that very record is.
    for (i, &(pid, layer, f)) in cx.files.iter().enumerate() {
        if !singles && f.manager != Manager::Gem {
            continue;
        }
        let Some(at) = o.get(pid) else { continue };
        if o.layer_at(at.depth) != layer || at.entry != f.entry {
            continue;
        }
        let root = f
            .root
            .as_ref()
            .map(|r| (m.paths().find(r).unwrap_or(NO_PATH), r.clone()));
        let extra_roots = match &f.root {
            Some(r) if f.manager == Manager::Gem => gem_extension_dirs(m, r),
            _ => Vec::new(),
        };
        lang.push(Found {
            manager: f.manager,
            name: f.name.as_str().into(),
            version: f.version.as_str().into(),
            root,
            extra_roots,
            layer: at.depth,
            files: Some(cx.file_listed(i).clone()),
            class: os(f.manager, &f.name),
        });
    }
    found.extend(lang);
    found.sort_by(|a, b| {
        (
            a.manager,
            &a.name,
            &a.version,
            a.root.as_ref().map(|r| &r.1),
        )
            .cmp(&(
                b.manager,
                &b.name,
                &b.version,
                b.root.as_ref().map(|r| &r.1),
            ))
    });
    (found, notes)
}

impl Table {
    /// Each listed path to the first package (in `found` order) that lists it.
    fn claim(
        cx: &Context<'_, '_>,
        o: &Overlay<'_, '_>,
        found: Vec<Found>,
        notes: Vec<String>,
    ) -> Table {
        let paths = cx.m.paths();
        let mut owner = vec![NO_OWNER; paths.len()];
        let mut roots: HashMap<u32, u32> = HashMap::default();
        let mut through = BitSet::new(paths.len());
        let mut targets = Vec::new();
        for (i, f) in found.iter().enumerate() {
            if let Some(root) = f.root() {
                roots.entry(root).or_insert(i as u32);
            }
            for &r in &f.extra_roots {
                roots.entry(r).or_insert(i as u32);
            }
            targets.clear();
            claims(cx, o, f, &mut through, &mut targets);
            for &t in &targets {
                let slot = &mut owner[t as usize];
                if *slot == NO_OWNER {
                    *slot = i as u32;
                }
            }
        }
        let _ = notes;
        Table {
            found,
            owner,
            roots,
        }
    }
}

/// The paths package `f` claims in `o`: each path it lists, as the filesystem resolves
/// it (a path under a symlinked directory is followed), in listed order. The
/// directories a listed path goes through are added to `through`.
pub(crate) fn claims(
    cx: &Context<'_, '_>,
    o: &Overlay<'_, '_>,
    f: &Found,
    through: &mut BitSet,
    out: &mut Vec<u32>,
) {
    let paths = cx.m.paths();
    let Some(listed) = &f.files else { return };
    // Whether a visible symlink is a directory above `pid`: only then does the listed
    // path need resolving component by component.
    let through_symlink = |pid: u32| {
        let mut p = paths.parent(pid);
        while p != NO_PATH {
            if o.get(p)
                .is_some_and(|at| o.record(at).kind == EntryKind::Symlink)
            {
                return true;
            }
            p = paths.parent(p);
        }
        false
    };
    let mark_through = |through: &mut BitSet, mut p: u32| {
        while p != NO_PATH && !through.contains(p) {
            through.insert(p);
            p = paths.parent(p);
        }
    };
    for entry in &listed.0 {
        let (path, literal) = match entry {
            ListedPath::Numbered(pid) => (paths.path(*pid), *pid),
            ListedPath::Text(t) => (&**t, NO_PATH),
        };
        let target =
            if literal != NO_PATH && (o.get(literal).is_some() || !through_symlink(literal)) {
                Some(literal)
            } else {
                o.resolve(path)
            };
        if literal != NO_PATH {
            mark_through(through, paths.parent(literal));
        } else {
            // Numbered nowhere as listed: its directories may still be.
            let mut dir = split_parent(path.trim_start_matches('/')).0;
            loop {
                if let Some(p) = paths.find(dir) {
                    mark_through(through, p);
                    break;
                }
                if dir.is_empty() {
                    break;
                }
                dir = split_parent(dir).0;
            }
        }
        if let Some(t) = target {
            mark_through(through, paths.parent(t));
            out.push(t);
        }
    }
}

/// The package that owns every present regular file package `f` lists, when that is
/// one package and not `f` itself (`owner` says who owns a path): a Python
/// distribution that a dpkg package installed is that dpkg package's. `None` when `f`
/// lists no present file or when they are owned by several packages, by none or by `f`.
/// `self_id` is `f`'s own id in `owner`'s numbering.
pub(crate) fn provider(
    cx: &Context<'_, '_>,
    o: &Overlay<'_, '_>,
    f: &Found,
    self_id: u32,
    owner: impl Fn(u32) -> Option<u32>,
    through: &mut BitSet,
    targets: &mut Vec<u32>,
) -> Option<u32> {
    targets.clear();
    claims(cx, o, f, through, targets);
    let mut found = None;
    for &t in targets.iter() {
        let Some(at) = o.get(t) else { continue };
        if o.record(at).kind != EntryKind::Regular {
            continue;
        }
        match (owner(t), found) {
            (Some(w), _) if w == self_id => return None,
            (None, _) => return None,
            (Some(w), None) => found = Some(w),
            (Some(w), Some(x)) if w != x => return None,
            _ => {}
        }
    }
    found
}

impl Table {
    /// [`provider`] of package `i` of this table.
    pub fn provider(&self, cx: &Context<'_, '_>, o: &Overlay<'_, '_>, i: usize) -> Option<usize> {
        let mut through = BitSet::new(cx.m.paths().len());
        let mut targets = Vec::new();
        provider(
            cx,
            o,
            &self.found[i],
            i as u32,
            |pid| self.owner(cx, pid),
            &mut through,
            &mut targets,
        )
        .map(|w| w as usize)
    }
}

/// The directory a gem could own `path` through: the deepest `…/gems/<full name>` or
/// `…/extensions/<platform>/<abi>/<full name>` strictly above it. Only a directory a
/// gemspec names ([`Found::root`], [`gem_extension_dirs`]) is owned.
fn gem_root_of(path: &str) -> Option<&str> {
    // Runs once per path: most hold neither name.
    if !path.contains("gems/") && !path.contains("extensions/") {
        return None;
    }
    let comps: Vec<&str> = path.split('/').collect();
    let take = (0..comps.len()).rev().find_map(|i| match comps[i] {
        "gems" if comps.len() > i + 2 => Some(i + 2),
        "extensions" if comps.len() > i + 4 => Some(i + 4),
        _ => None,
    })?;
    let len: usize = comps[..take].iter().map(|c| c.len() + 1).sum::<usize>() - 1;
    Some(&path[..len])
}

/// The compiled-extension directories of the gem whose directory is `root`
/// (`<base>/gems/<full>`): `<base>/extensions/<platform>/<abi>/<full>`, as numbered in
/// the set.
fn gem_extension_dirs(m: &SetModel<'_>, root: &str) -> Vec<u32> {
    let Some((base, full)) = root.rsplit_once("gems/") else {
        return Vec::new();
    };
    let Some(ext) = m.paths().find(&format!("{base}extensions")) else {
        return Vec::new();
    };
    let depth = m.paths().path(ext).matches('/').count() + 3;
    m.paths()
        .under(ext)
        .filter(|&p| {
            let path = m.paths().path(p);
            path.matches('/').count() == depth && split_parent(path).1 == full
        })
        .collect()
}

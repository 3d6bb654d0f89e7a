//! `diff A B`: how did we get from image A to image B? Layers shared, added and removed;
//! files added, removed and changed in the final filesystems, with size deltas; the
//! layers (their history commands) responsible for each change; and the packages
//! (every manager attribution reads) added, removed or at another version, with their
//! bytes; and the changed files grouped by directory, largest net change first.

use std::collections::{BTreeMap, HashMap, HashSet};

use globset::{Glob, GlobMatcher};
use serde::{Deserialize, Serialize};

use crate::attribution::owners::{Context, Table};
use crate::attribution::packages::Manager;
use crate::attribution::ProvidedBy;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::model::{FinalFs, SetModel};
use crate::read::layer::{split_parent, EntryKind, FileRecord};

/// The default depth of [`DirChange`] grouping.
pub const DEFAULT_DEPTH: usize = 4;

/// What to keep of a diff: by default every changed file, grouped by directories of
/// [`DEFAULT_DEPTH`] components.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiffOptions {
    /// Only paths under this prefix (`usr/lib`), or matching this glob when it has
    /// `*`, `?`, `[` or `{` (`**/*.so`); without a leading `/`.
    pub path: Option<String>,
    /// Only files of at least this many bytes on one side or the other.
    pub min_size: u64,
    /// How many leading components of a file's directory name its group.
    pub depth: usize,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            path: None,
            min_size: 0,
            depth: DEFAULT_DEPTH,
        }
    }
}

impl DiffOptions {
    /// Only paths under `prefix`, or matching it as a glob.
    pub fn path(mut self, prefix: impl Into<String>) -> Self {
        self.path = Some(prefix.into());
        self
    }

    /// Only files of at least `bytes` bytes in A or in B.
    pub fn min_size(mut self, bytes: u64) -> Self {
        self.min_size = bytes;
        self
    }

    /// Group files by the first `n` components of their directory (at least 1).
    pub fn depth(mut self, n: usize) -> Self {
        self.depth = n.max(1);
        self
    }
}

enum PathFilter {
    Prefix(String),
    Glob(GlobMatcher),
}

impl PathFilter {
    fn new(p: &str) -> Result<PathFilter> {
        let p = p.trim_start_matches('/');
        if p.contains(['*', '?', '[', '{']) {
            Glob::new(p)
                .map(|g| PathFilter::Glob(g.compile_matcher()))
                .map_err(|e| Error::Options(format!("path pattern {p:?}: {e}")))
        } else {
            Ok(PathFilter::Prefix(p.trim_end_matches('/').to_string()))
        }
    }

    fn matches(&self, path: &str) -> bool {
        match self {
            PathFilter::Glob(g) => g.is_match(path),
            PathFilter::Prefix(p) => {
                p.is_empty()
                    || path
                        .strip_prefix(p.as_str())
                        .is_some_and(|r| r.is_empty() || r.starts_with('/'))
            }
        }
    }
}

/// One side of a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffSide {
    /// Image id.
    pub id: Digest,
    /// Name (first ref or short id).
    pub name: String,
    /// Sum of its layers' content bytes.
    pub size: u64,
    /// Regular-file bytes of its final filesystem.
    pub final_size: u64,
    /// Content bytes of its layers (by diff_id) that the other image has too.
    #[serde(default)]
    pub shared_size: u64,
    /// `size - shared_size`.
    #[serde(default)]
    pub unique_size: u64,
    /// Regular files of its final filesystem.
    #[serde(default)]
    pub files: u64,
}

/// A layer named in a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLayer {
    /// Position in its image (0 = lowest).
    pub index: u64,
    /// diff_id.
    pub diff_id: Digest,
    /// Content bytes.
    pub content_size: u64,
    /// History command.
    pub created_by: Option<String>,
}

/// What happened to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Only in B.
    Added,
    /// Only in A.
    Removed,
    /// In both, with another kind, size, content, link target or mode.
    Changed,
}

/// One changed path (directories are left out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    /// Path.
    pub path: String,
    /// What happened.
    pub change: Change,
    /// Content bytes in A (0 when absent).
    pub old_size: u64,
    /// Content bytes in B (0 when absent).
    pub new_size: u64,
    /// Index of B's layer responsible: the one that holds the new entry, or for a
    /// removal the one that hid it (`None` when A's layer is simply not in B).
    pub layer: Option<u64>,
}

/// A package added, removed or at another version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageChange {
    /// What happened.
    pub change: Change,
    /// Its manager.
    pub manager: Manager,
    /// Name.
    pub name: String,
    /// Where it is, when that tells packages of one name apart (an npm package's or a
    /// gem's directory, a Go, cargo or Maven package's file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Version in A (`None` when added).
    pub old_version: Option<String>,
    /// Version in B (`None` when removed).
    pub new_version: Option<String>,
    /// Index of B's layer that added it (`None` when removed).
    pub layer: Option<u64>,
    /// Bytes of its files present in A (each file counted to its first owner).
    #[serde(default)]
    pub old_size: u64,
    /// Bytes of its files present in B.
    #[serde(default)]
    pub new_size: u64,
    /// `new_size - old_size`.
    #[serde(default)]
    pub delta: i64,
    /// The package whose files its are (in B; in A when removed), when they all are
    /// another's: a Python distribution a dpkg package installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provided_by: Option<ProvidedBy>,
}

/// The package changes, each list largest `|delta|` first (ties by manager, name,
/// path).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageChanges {
    /// Only in B.
    pub added: Vec<PackageChange>,
    /// Only in A.
    pub removed: Vec<PackageChange>,
    /// In both, at another version.
    pub changed: Vec<PackageChange>,
}

impl PackageChanges {
    /// Whether no package changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// The changed files under one directory (its first `depth` components).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirChange {
    /// Directory (`""`: the root).
    pub path: String,
    /// Files added.
    pub added: u64,
    /// Files removed.
    pub removed: u64,
    /// Files changed.
    pub changed: u64,
    /// Bytes of these files in A.
    pub old_size: u64,
    /// Bytes of these files in B.
    pub new_size: u64,
    /// `new_size - old_size`.
    pub delta: i64,
}

/// The filters a diff was made with, when any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffFilter {
    /// The path prefix or glob.
    pub path: Option<String>,
    /// The smallest file size kept.
    pub min_size: u64,
}

/// Per B layer: the file changes it is responsible for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandEffect {
    /// B's layer index.
    pub index: u64,
    /// History command.
    pub created_by: Option<String>,
    /// Files added, removed, changed.
    pub added: u64,
    /// Files removed.
    pub removed: u64,
    /// Files changed.
    pub changed: u64,
    /// Net change of visible content bytes.
    pub delta: i64,
}

/// The whole diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageDiff {
    /// Image A.
    pub a: DiffSide,
    /// Image B.
    pub b: DiffSide,
    /// Layers at the bottom both images have on the same parents (common ChainIDs).
    pub common_base_layers: u64,
    /// Layers (by diff_id) in both images, as B has them.
    pub shared_layers: Vec<DiffLayer>,
    /// Layers only in B.
    pub added_layers: Vec<DiffLayer>,
    /// Layers only in A.
    pub removed_layers: Vec<DiffLayer>,
    /// Changed paths, sorted.
    pub files: Vec<FileChange>,
    /// `b.size - a.size`.
    pub size_delta: i64,
    /// `b.final_size - a.final_size`.
    pub final_delta: i64,
    /// B's layers that changed files, in layer order.
    pub commands: Vec<CommandEffect>,
    /// Packages added, removed or at another version.
    #[serde(default)]
    pub packages: PackageChanges,
    /// How many leading components of a file's directory make its group (down to the
    /// package directory under `site-packages`, `dist-packages`, `node_modules` or
    /// `gems`, at whatever depth).
    #[serde(default)]
    pub directory_depth: u64,
    /// `files` grouped by directory, largest `|delta|` first (ties: more files first,
    /// then by path).
    #[serde(default)]
    pub directories: Vec<DirChange>,
    /// The filters `files` and `directories` were made with (absent: every file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<DiffFilter>,
}

/// Directories whose entries are packages: a group under one goes one deeper.
const PACKAGE_HOLDERS: [&str; 4] = ["site-packages", "dist-packages", "node_modules", "gems"];

/// The directory `path` is grouped under: the first `depth` components of its
/// directory, or down to the package directory (`…/site-packages/<name>`,
/// `…/node_modules/<name>`, `…/gems/<name>`) when its directory goes through one.
pub fn dir_key(path: &str, depth: usize) -> &str {
    let dir = split_parent(path).0;
    if dir.is_empty() {
        return dir;
    }
    let mut cut = depth.max(1);
    for (i, c) in dir.split('/').enumerate() {
        if PACKAGE_HOLDERS.contains(&c) {
            cut = i + 2;
            break;
        }
    }
    match dir.match_indices('/').nth(cut - 1) {
        Some((i, _)) => &dir[..i],
        None => dir,
    }
}

/// `files` grouped by directory, largest `|delta|` first.
pub fn group_dirs(files: &[FileChange], depth: usize) -> Vec<DirChange> {
    let mut dirs: BTreeMap<&str, DirChange> = BTreeMap::new();
    for f in files {
        let key = dir_key(&f.path, depth);
        let d = dirs.entry(key).or_insert_with(|| DirChange {
            path: key.to_string(),
            added: 0,
            removed: 0,
            changed: 0,
            old_size: 0,
            new_size: 0,
            delta: 0,
        });
        match f.change {
            Change::Added => d.added += 1,
            Change::Removed => d.removed += 1,
            Change::Changed => d.changed += 1,
        }
        d.old_size += f.old_size;
        d.new_size += f.new_size;
        d.delta += f.new_size as i64 - f.old_size as i64;
    }
    let mut out: Vec<DirChange> = dirs.into_values().collect();
    out.sort_by(|x, y| {
        y.delta
            .unsigned_abs()
            .cmp(&x.delta.unsigned_abs())
            .then_with(|| (y.added + y.removed + y.changed).cmp(&(x.added + x.removed + x.changed)))
            .then_with(|| x.path.cmp(&y.path))
    });
    out
}

fn side(
    m: &SetModel<'_>,
    image: usize,
    fs: &FinalFs<'_, '_>,
    other: &HashSet<&Digest>,
) -> DiffSide {
    let img = &m.images()[image];
    let size = m.image_size(image);
    let shared_size = img
        .layers
        .iter()
        .zip(m.image_layers(image))
        .filter(|(l, _)| other.contains(&l.diff_id))
        .map(|(_, layer)| m.content_size(layer))
        .sum();
    let o = fs.overlay();
    let files = o
        .visible()
        .filter(|&(_, at)| o.record(at).kind == EntryKind::Regular)
        .count() as u64;
    DiffSide {
        id: img.id.clone(),
        name: img.name(),
        size,
        final_size: fs.final_size(),
        shared_size,
        unique_size: size - shared_size,
        files,
    }
}

fn layers_of(m: &SetModel<'_>, image: usize, keep: impl Fn(&Digest) -> bool) -> Vec<DiffLayer> {
    m.images()[image]
        .layers
        .iter()
        .zip(m.image_layers(image))
        .enumerate()
        .filter(|(_, (l, _))| keep(&l.diff_id))
        .map(|(i, (l, layer))| DiffLayer {
            index: i as u64,
            diff_id: l.diff_id.clone(),
            content_size: m.content_size(layer),
            created_by: l.created_by.clone(),
        })
        .collect()
}

fn same(x: &FileRecord, y: &FileRecord) -> bool {
    x.kind == y.kind
        && x.size == y.size
        && x.digest == y.digest
        && x.link_target == y.link_target
        && x.mode == y.mode
}

fn size(r: &FileRecord) -> u64 {
    if r.kind == EntryKind::Regular {
        r.size
    } else {
        0
    }
}

/// Diff two images of a set, given by their index in the set's order: every changed
/// file, grouped by directories of [`DEFAULT_DEPTH`] components.
pub fn diff(m: &SetModel<'_>, a: usize, b: usize) -> ImageDiff {
    diff_with(m, a, b, &DiffOptions::default()).expect("no filter to get wrong")
}

/// [`diff`], keeping the files `opts` says and grouping them as it says. Fails on a
/// bad path pattern.
pub fn diff_with(m: &SetModel<'_>, a: usize, b: usize, opts: &DiffOptions) -> Result<ImageDiff> {
    let filter = opts.path.as_deref().map(PathFilter::new).transpose()?;
    let (ra, rb) = rayon::join(|| FinalFs::new(m, a), || FinalFs::new(m, b));
    let (ia, ib) = (&m.images()[a], &m.images()[b]);
    let common = m.tree().common_prefix(a, b);
    let in_a: HashSet<&Digest> = ia.layers.iter().map(|l| &l.diff_id).collect();
    let in_b: HashSet<&Digest> = ib.layers.iter().map(|l| &l.diff_id).collect();
    // Where B hid each path it no longer shows.
    let hidden_in_b: HashMap<u32, u32> = rb.hidden.iter().map(|e| (e.path, e.hidden_by)).collect();
    let (oa, ob) = (ra.overlay(), rb.overlay());
    let paths = m.paths();
    let mut files = Vec::new();
    let skip = |r: &FileRecord| r.kind == EntryKind::Directory;
    for (pid, at) in oa.visible() {
        let va = oa.record(at);
        if skip(va) {
            continue;
        }
        let path = paths.path(pid).to_string();
        match ob.get(pid) {
            None => files.push(FileChange {
                path,
                change: Change::Removed,
                old_size: size(va),
                new_size: 0,
                layer: hidden_in_b.get(&pid).map(|&k| k as u64),
            }),
            Some(bt) => {
                let vb = ob.record(bt);
                if !same(va, vb) {
                    files.push(FileChange {
                        path,
                        change: Change::Changed,
                        old_size: size(va),
                        new_size: size(vb),
                        layer: Some(bt.depth as u64),
                    })
                }
            }
        }
    }
    for (pid, bt) in ob.visible() {
        let vb = ob.record(bt);
        if !skip(vb) && oa.get(pid).is_none_or(|at| skip(oa.record(at))) {
            files.push(FileChange {
                path: paths.path(pid).to_string(),
                change: Change::Added,
                old_size: 0,
                new_size: size(vb),
                layer: Some(bt.depth as u64),
            });
        }
    }
    files.sort_by(|x, y| x.path.cmp(&y.path));
    let filtered = filter.is_some() || opts.min_size > 0;
    if filtered {
        files.retain(|f| {
            filter.as_ref().is_none_or(|p| p.matches(&f.path))
                && f.old_size.max(f.new_size) >= opts.min_size
        });
    }
    let mut effects: BTreeMap<u64, CommandEffect> = BTreeMap::new();
    for f in &files {
        let Some(k) = f.layer else { continue };
        let e = effects.entry(k).or_insert_with(|| CommandEffect {
            index: k,
            created_by: ib.layers.get(k as usize).and_then(|l| l.created_by.clone()),
            added: 0,
            removed: 0,
            changed: 0,
            delta: 0,
        });
        match f.change {
            Change::Added => e.added += 1,
            Change::Removed => e.removed += 1,
            Change::Changed => e.changed += 1,
        }
        e.delta += f.new_size as i64 - f.old_size as i64;
    }
    let packages = package_changes(m, &ra, &rb);
    let sa = side(m, a, &ra, &in_b);
    let sb = side(m, b, &rb, &in_a);
    let directories = group_dirs(&files, opts.depth);
    Ok(ImageDiff {
        size_delta: sb.size as i64 - sa.size as i64,
        final_delta: sb.final_size as i64 - sa.final_size as i64,
        a: sa,
        b: sb,
        common_base_layers: common as u64,
        shared_layers: layers_of(m, b, |d| in_a.contains(d)),
        added_layers: layers_of(m, b, |d| !in_a.contains(d)),
        removed_layers: layers_of(m, a, |d| !in_b.contains(d)),
        files,
        commands: effects.into_values().collect(),
        packages,
        directory_depth: opts.depth as u64,
        directories,
        filter: filtered.then(|| DiffFilter {
            path: opts.path.clone(),
            min_size: opts.min_size,
        }),
    })
}

/// One side's packages by (manager, name, location): version, layer, bytes, provider.
type Side = BTreeMap<(Manager, String, Option<String>), (String, u64, u64, Option<ProvidedBy>)>;

/// The packages of a final filesystem, as attribution reads them, with the bytes of
/// the files each owns (each file counted to its first owner, as attribution does).
fn packages_of(m: &SetModel<'_>, cx: &Context<'_, '_>, fs: &FinalFs<'_, '_>) -> Side {
    let o = fs.overlay();
    let t = Table::build(cx, o);
    let mut bytes = vec![(0u64, 0u64); t.found.len()];
    for (pid, at) in o.visible() {
        let r = o.record(at);
        if r.kind != EntryKind::Regular {
            continue;
        }
        if let Some(w) = t.owner(cx, pid) {
            bytes[w as usize].0 += r.size;
            bytes[w as usize].1 += 1;
        }
    }
    let mut out = Side::new();
    for (i, f) in t.found.iter().enumerate() {
        let provided_by = (bytes[i] == (0, 0) && f.lists_files())
            .then(|| t.provider(cx, o, i))
            .flatten()
            .map(|w| ProvidedBy {
                manager: t.found[w].manager,
                name: t.found[w].name.clone(),
            });
        // As before: of two packages at one key, the last (highest version) stands.
        out.insert(
            (f.manager, f.name.to_string(), f.location(m.paths())),
            (
                f.version.to_string(),
                f.layer as u64,
                bytes[i].0,
                provided_by,
            ),
        );
    }
    out
}

/// The packages of A and B compared by (manager, name, location).
fn package_changes(m: &SetModel<'_>, ra: &FinalFs<'_, '_>, rb: &FinalFs<'_, '_>) -> PackageChanges {
    let cx = Context::new(m);
    let (ia, ib) = rayon::join(|| packages_of(m, &cx, ra), || packages_of(m, &cx, rb));
    let row = |k: &(Manager, String, Option<String>),
               change: Change,
               old: Option<&(String, u64, u64, Option<ProvidedBy>)>,
               new: Option<&(String, u64, u64, Option<ProvidedBy>)>| {
        let (old_size, new_size) = (old.map_or(0, |o| o.2), new.map_or(0, |n| n.2));
        PackageChange {
            change,
            manager: k.0,
            name: k.1.clone(),
            path: k.2.clone(),
            old_version: old.map(|o| o.0.clone()),
            new_version: new.map(|n| n.0.clone()),
            layer: new.map(|n| n.1),
            old_size,
            new_size,
            delta: new_size as i64 - old_size as i64,
            provided_by: new.or(old).and_then(|s| s.3.clone()),
        }
    };
    let mut out = PackageChanges::default();
    for (k, va) in &ia {
        match ib.get(k) {
            None => out.removed.push(row(k, Change::Removed, Some(va), None)),
            Some(vb) if vb.0 != va.0 => {
                out.changed
                    .push(row(k, Change::Changed, Some(va), Some(vb)))
            }
            Some(_) => {}
        }
    }
    for (k, vb) in &ib {
        if !ia.contains_key(k) {
            out.added.push(row(k, Change::Added, None, Some(vb)));
        }
    }
    for list in [&mut out.added, &mut out.removed, &mut out.changed] {
        // Stable: ties stay in (manager, name, location) order.
        list.sort_by_key(|p| std::cmp::Reverse(p.delta.unsigned_abs()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{image, set};

    #[test]
    fn from_a_to_b() {
        let base = vec![
            ("f", "etc/conf", 10, 1),
            ("f", "old", 5, 2),
            ("d", "etc", 0, 0),
        ];
        let s = set(&[
            ("a", vec![base.clone(), vec![("f", "app", 100, 3)]]),
            (
                "b",
                vec![
                    base.clone(),
                    vec![("f", "app", 150, 4), ("f", "new", 7, 5)],
                    vec![("w", ".wh.old", 0, 0)],
                ],
            ),
        ]);
        let m = SetModel::new(&s);
        let ix = |n: &str| m.image_index(image(&s, n)).unwrap();
        let d = diff(&m, ix("a"), ix("b"));
        assert_eq!(d.common_base_layers, 1);
        assert_eq!(d.shared_layers.len(), 1);
        assert_eq!(d.added_layers.len(), 2);
        assert_eq!(d.removed_layers.len(), 1);
        let changes: Vec<_> = d
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.change, f.layer))
            .collect();
        assert_eq!(
            changes,
            [
                ("app", Change::Changed, Some(1)),
                ("new", Change::Added, Some(1)),
                ("old", Change::Removed, Some(2)),
            ]
        );
        assert_eq!(d.size_delta, 157 - 100);
        assert_eq!(d.final_delta, 157 - 5 - 100);
        assert_eq!(d.commands.len(), 2);
        assert_eq!(d.commands[0].delta, 57);
    }
}

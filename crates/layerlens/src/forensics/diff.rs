//! `diff A B`: how did we get from image A to image B? Layers shared, added and removed;
//! files added, removed and changed in the final filesystems, with size deltas; the
//! layers (their history commands) responsible for each change; and the packages
//! (every manager attribution reads) added, removed or at another version.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::attribution::owners::{Context, Table};
use crate::attribution::packages::Manager;
use crate::digest::Digest;
use crate::model::{FinalFs, SetModel};
use crate::read::layer::{EntryKind, FileRecord};

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
    /// Packages added, removed or at another version, by manager and name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<PackageChange>,
}

fn side(m: &SetModel<'_>, image: usize, final_size: u64) -> DiffSide {
    let img = &m.images()[image];
    DiffSide {
        id: img.id.clone(),
        name: img.name(),
        size: m.image_size(image),
        final_size,
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

/// Diff two images of a set, given by their index in the set's order.
pub fn diff(m: &SetModel<'_>, a: usize, b: usize) -> ImageDiff {
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
    let sa = side(m, a, ra.final_size());
    let sb = side(m, b, rb.final_size());
    ImageDiff {
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
    }
}

/// The packages of A and B, as attribution reads them from each final filesystem,
/// compared by (manager, name, location).
fn package_changes(
    m: &SetModel<'_>,
    ra: &FinalFs<'_, '_>,
    rb: &FinalFs<'_, '_>,
) -> Vec<PackageChange> {
    let cx = Context::new(m);
    let (ta, tb) = rayon::join(
        || Table::build(&cx, ra.overlay()),
        || Table::build(&cx, rb.overlay()),
    );
    let index = |t: &'_ Table| -> BTreeMap<(Manager, String, Option<String>), (String, u64)> {
        t.found
            .iter()
            .map(|f| {
                (
                    (f.manager, f.name.to_string(), f.location(m.paths())),
                    (f.version.to_string(), f.layer as u64),
                )
            })
            .collect()
    };
    let (ia, ib) = (index(&ta), index(&tb));
    let mut out = Vec::new();
    for (k, (va, _)) in &ia {
        match ib.get(k) {
            None => out.push((k, Change::Removed, Some(va), None, None)),
            Some((vb, layer)) if vb != va => {
                out.push((k, Change::Changed, Some(va), Some(vb), Some(*layer)))
            }
            Some(_) => {}
        }
    }
    for (k, (vb, layer)) in &ib {
        if !ia.contains_key(k) {
            out.push((k, Change::Added, None, Some(vb), Some(*layer)));
        }
    }
    out.sort_by(|x, y| x.0.cmp(y.0));
    out.into_iter()
        .map(
            |((manager, name, path), change, old, new, layer)| PackageChange {
                change,
                manager: *manager,
                name: name.clone(),
                path: path.clone(),
                old_version: old.cloned(),
                new_version: new.cloned(),
                layer,
            },
        )
        .collect()
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

//! `diff A B`: how did we get from image A to image B? Layers shared, added and removed;
//! files added, removed and changed in the final filesystems, with size deltas; and the
//! layers (their history commands) responsible for each change.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::forensics::waste::{replay, Visible};
use crate::model::chain::image_chain_ids;
use crate::read::analyzer::{Image, ImageSet};
use crate::read::layer::EntryKind;

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
}

fn side(set: &ImageSet, img: &Image, final_size: u64) -> DiffSide {
    DiffSide {
        id: img.id.clone(),
        name: img.name(),
        size: img
            .layers
            .iter()
            .map(|l| set.layers.get(&l.diff_id).map_or(0, |r| r.content_size))
            .sum(),
        final_size,
    }
}

fn layers_of(set: &ImageSet, img: &Image, keep: impl Fn(&Digest) -> bool) -> Vec<DiffLayer> {
    img.layers
        .iter()
        .enumerate()
        .filter(|(_, l)| keep(&l.diff_id))
        .map(|(i, l)| DiffLayer {
            index: i as u64,
            diff_id: l.diff_id.clone(),
            content_size: set.layers.get(&l.diff_id).map_or(0, |r| r.content_size),
            created_by: l.created_by.clone(),
        })
        .collect()
}

fn same(a: &Visible<'_>, b: &Visible<'_>) -> bool {
    let (x, y) = (a.record, b.record);
    x.kind == y.kind
        && x.size == y.size
        && x.digest == y.digest
        && x.link_target == y.link_target
        && x.mode == y.mode
}

/// Diff two images of a set.
pub fn diff(set: &ImageSet, a: &Image, b: &Image) -> ImageDiff {
    let ra = replay(set, a);
    let rb = replay(set, b);
    let ca = image_chain_ids(a);
    let cb = image_chain_ids(b);
    let common = ca.iter().zip(&cb).take_while(|(x, y)| x == y).count();
    let in_a: HashSet<&Digest> = a.layers.iter().map(|l| &l.diff_id).collect();
    let in_b: HashSet<&Digest> = b.layers.iter().map(|l| &l.diff_id).collect();
    // Where B hid each path it no longer shows.
    let hidden_in_b: HashMap<&str, usize> =
        rb.events.iter().map(|e| (e.path, e.hidden_by)).collect();
    let mut files = Vec::new();
    let skip = |v: &Visible<'_>| v.record.kind == EntryKind::Directory;
    for (path, va) in ra.files.iter() {
        let va = &va;
        if skip(va) {
            continue;
        }
        match rb.files.get(path) {
            None => files.push(FileChange {
                path: path.to_string(),
                change: Change::Removed,
                old_size: va.size(),
                new_size: 0,
                layer: hidden_in_b.get(path).map(|&k| k as u64),
            }),
            Some(vb) if !same(va, &vb) => files.push(FileChange {
                path: path.to_string(),
                change: Change::Changed,
                old_size: va.size(),
                new_size: vb.size(),
                layer: Some(vb.layer as u64),
            }),
            Some(vb) if skip(&vb) => files.push(FileChange {
                path: path.to_string(),
                change: Change::Removed,
                old_size: va.size(),
                new_size: 0,
                layer: Some(vb.layer as u64),
            }),
            _ => {}
        }
    }
    for (path, vb) in rb.files.iter() {
        let vb = &vb;
        if !skip(vb) && ra.files.get(path).is_none_or(|v| skip(&v)) {
            files.push(FileChange {
                path: path.to_string(),
                change: Change::Added,
                old_size: 0,
                new_size: vb.size(),
                layer: Some(vb.layer as u64),
            });
        }
    }
    files.sort_by(|x, y| x.path.cmp(&y.path));
    let mut effects: BTreeMap<u64, CommandEffect> = BTreeMap::new();
    for f in &files {
        let Some(k) = f.layer else { continue };
        let e = effects.entry(k).or_insert_with(|| CommandEffect {
            index: k,
            created_by: b.layers.get(k as usize).and_then(|l| l.created_by.clone()),
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
    let sa = side(set, a, ra.final_size);
    let sb = side(set, b, rb.final_size);
    ImageDiff {
        size_delta: sb.size as i64 - sa.size as i64,
        final_delta: sb.final_size as i64 - sa.final_size as i64,
        a: sa,
        b: sb,
        common_base_layers: common as u64,
        shared_layers: layers_of(set, b, |d| in_a.contains(d)),
        added_layers: layers_of(set, b, |d| !in_a.contains(d)),
        removed_layers: layers_of(set, a, |d| !in_b.contains(d)),
        files,
        commands: effects.into_values().collect(),
    }
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
        let d = diff(&s, image(&s, "a"), image(&s, "b"));
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

//! Waste: replay an image's layers in order, as an overlay mount would, and account for
//! every content byte that is stored but not visible.
//!
//! * **overwritten**: a regular file replaced by a later entry at the same path (a higher
//!   layer, or a later entry of the same layer);
//! * **deleted**: a regular file hidden by a whiteout (`.wh.X` hides `X` and everything
//!   under it), an opaque marker (hides everything under its directory from *lower*
//!   layers) or a non-directory replacing a directory (hides everything under it);
//! * **final**: regular-file bytes visible in the final filesystem.
//!
//! Every regular file of every layer ends in exactly one of the three, so an image's
//! `size == final + overwritten + deleted`. Hardlinks carry no content bytes (the layer's
//! `content_size` counts regular files only), so they count 0 everywhere.
//!
//! [`dive_score`] computes dive's efficiency score the way dive does (see its docs).

use std::borrow::Cow;
use std::collections::BTreeMap;
// A seeded fast hasher: these maps are keyed by paths and digests on hot paths.
use foldhash::HashMap;

use serde::{Deserialize, Serialize};

use crate::analysis::{Image, ImageSet};
use crate::digest::Digest;
use crate::layer::{EntryKind, FileRecord};

/// An entry visible at a path after replaying some layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visible<'a> {
    /// Index (0 = lowest) of the image layer that added the entry.
    pub layer: usize,
    /// That layer's diff_id.
    pub diff_id: &'a Digest,
    /// The entry itself.
    pub record: &'a FileRecord,
}

impl Visible<'_> {
    /// Content bytes (regular files; 0 for everything else).
    pub fn size(&self) -> u64 {
        if self.record.kind == EntryKind::Regular {
            self.record.size
        } else {
            0
        }
    }
}

/// Why a regular file is stored but not visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WasteCause {
    /// Replaced by a later entry at the same path.
    Overwritten,
    /// Hidden by a whiteout, an opaque marker or a non-directory replacing a directory.
    Deleted,
}

/// One regular file stored in a layer and hidden by a later one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WasteEvent<'a> {
    /// The hidden file's path.
    pub path: &'a str,
    /// Its content bytes.
    pub size: u64,
    /// Index of the layer that added it.
    pub added_by: usize,
    /// Index of the layer that hid it.
    pub hidden_by: usize,
    /// How it was hidden.
    pub cause: WasteCause,
}

/// The result of replaying one image's layers.
#[derive(Debug, Clone, Default)]
pub struct Replay<'a> {
    /// The final filesystem: every visible entry by path (the root directory is `""`).
    pub files: BTreeMap<&'a str, Visible<'a>>,
    /// Content bytes of regular files replaced by a later entry at the same path.
    pub overwritten_size: u64,
    /// Content bytes of regular files hidden by whiteouts, opaque markers, or a
    /// non-directory replacing a directory.
    pub deleted_size: u64,
    /// Content bytes of the regular files visible in the final filesystem.
    pub final_size: u64,
    /// Every hidden regular file, in replay order.
    pub events: Vec<WasteEvent<'a>>,
    /// False when some layer kept no per-file records (the figures then undercount).
    pub complete: bool,
}

impl<'a> Replay<'a> {
    /// `overwritten_size + deleted_size`.
    pub fn wasted_size(&self) -> u64 {
        self.overwritten_size + self.deleted_size
    }

    /// Regular files of the final filesystem with their content digests.
    pub fn regular_files(&self) -> impl Iterator<Item = (&'a str, &Visible<'a>)> + '_ {
        self.files
            .iter()
            .filter(|(_, v)| v.record.kind == EntryKind::Regular)
            .map(|(p, v)| (*p, v))
    }
}

/// The keys of `fs` strictly under directory `dir` (`""` is the root).
fn keys_under<'a, V>(fs: &BTreeMap<&'a str, V>, dir: &str) -> Vec<&'a str> {
    if dir.is_empty() {
        return fs.keys().filter(|k| !k.is_empty()).copied().collect();
    }
    // Children of `d` sort between `d/` and `d0` ('0' follows '/').
    let lo = format!("{dir}/");
    let hi = format!("{dir}0");
    fs.range::<str, _>((
        std::ops::Bound::Included(lo.as_str()),
        std::ops::Bound::Excluded(hi.as_str()),
    ))
    .map(|(k, _)| *k)
    .collect()
}

impl<'a> Replay<'a> {
    fn hide(&mut self, path: &'a str, hidden_by: usize, cause: WasteCause) {
        if let Some(old) = self.files.remove(path) {
            self.account(path, &old, hidden_by, cause);
        }
    }

    fn account(&mut self, path: &'a str, old: &Visible<'a>, hidden_by: usize, cause: WasteCause) {
        if old.record.kind != EntryKind::Regular {
            return;
        }
        let size = old.record.size;
        match cause {
            WasteCause::Overwritten => self.overwritten_size += size,
            WasteCause::Deleted => self.deleted_size += size,
        }
        self.events.push(WasteEvent {
            path,
            size,
            added_by: old.layer,
            hidden_by,
            cause,
        });
    }

    fn hide_under(&mut self, dir: &str, hidden_by: usize) {
        for key in keys_under(&self.files, dir) {
            self.hide(key, hidden_by, WasteCause::Deleted);
        }
    }
}

/// Replay the image's layers in order, like an overlay mount.
pub fn replay<'a>(set: &'a ImageSet, image: &'a Image) -> Replay<'a> {
    let mut r = Replay {
        complete: true,
        ..Replay::default()
    };
    for (k, il) in image.layers.iter().enumerate() {
        let Some(layer) = set.layers.get(&il.diff_id) else {
            r.complete = false;
            continue;
        };
        if layer.files.is_empty() && layer.content_size > 0 {
            r.complete = false;
        }
        // Whiteouts and opaque markers only hide lower layers: apply them before this
        // layer's own entries land.
        for rec in &layer.files {
            match rec.kind {
                EntryKind::Whiteout => {
                    let target = rec.whiteout_target().unwrap_or_default();
                    if let Some((key, _)) = r.files.get_key_value(target.as_str()) {
                        let key = *key;
                        r.hide(key, k, WasteCause::Deleted);
                    }
                    r.hide_under(&target, k);
                }
                EntryKind::OpaqueWhiteout => {
                    let dir = rec.whiteout_target().unwrap_or_default();
                    r.hide_under(&dir, k);
                }
                _ => {}
            }
        }
        for rec in &layer.files {
            if matches!(rec.kind, EntryKind::Whiteout | EntryKind::OpaqueWhiteout) {
                continue;
            }
            let path = rec.path.as_str();
            if let Some(old) = r.files.get(path).copied() {
                if old.record.kind == EntryKind::Directory && rec.kind != EntryKind::Directory {
                    r.hide_under(path, k);
                }
                r.account(path, &old, k, WasteCause::Overwritten);
            }
            r.files.insert(
                path,
                Visible {
                    layer: k,
                    diff_id: &il.diff_id,
                    record: rec,
                },
            );
        }
    }
    r.final_size = r.regular_files().map(|(_, v)| v.record.size).sum();
    r
}

/// The largest hidden files (empty ones left out), biggest first (ties by path, then
/// layer).
pub fn top_waste<'a>(replay: &Replay<'a>, n: usize) -> Vec<WasteEvent<'a>> {
    let mut events: Vec<WasteEvent<'a>> = replay
        .events
        .iter()
        .filter(|e| e.size > 0)
        .copied()
        .collect();
    events.sort_by(|a, b| {
        b.size
            .cmp(&a.size)
            .then_with(|| a.path.cmp(b.path))
            .then_with(|| a.added_by.cmp(&b.added_by))
    });
    events.truncate(n);
    events
}

/// dive's efficiency figures for one image.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct DiveScore {
    /// `sum over paths of the smallest size seen / sum over paths of every size seen`
    /// (1 when the image has no content).
    pub efficiency: f64,
    /// dive's "wasted bytes": the cumulative size of every path seen in two or more layers
    /// (the kept copy included, dive#684).
    pub wasted_size: u64,
    /// dive's "user size": image size minus the first layer's size.
    pub user_size: u64,
}

impl DiveScore {
    /// dive's "wasted user percent", as a ratio: `wasted_size / user_size` (0 when the
    /// image has a single layer).
    pub fn wasted_user_ratio(&self) -> f64 {
        if self.user_size == 0 {
            0.0
        } else {
            self.wasted_size as f64 / self.user_size as f64
        }
    }
}

#[derive(Default)]
struct PathStat {
    cumulative: u64,
    min: u64,
    seen: u32,
}

/// dive's efficiency score, computed as dive computes it (wagoodman/dive,
/// `filetree/efficiency.go`): every leaf entry of every layer tree is visited; a
/// whiteout counts, at the path it hides, the bytes under that path in the layers below
/// when it was a directory, and 0 when it was a file; for each path,
/// `cumulative` = the sum of the sizes seen and `min` = the smallest size seen;
/// efficiency = Σ min / Σ cumulative. Opaque markers are not counted (dive does not
/// resolve them) and directories count 0 bytes.
pub fn dive_score(set: &ImageSet, image: &Image) -> DiveScore {
    let mut stats: HashMap<Cow<'_, str>, PathStat> = HashMap::default();
    // The stacked tree below the current layer, needed to size directory whiteouts.
    let mut below: BTreeMap<&str, u64> = BTreeMap::new();
    let mut below_dirs: BTreeMap<&str, ()> = BTreeMap::new();
    let mut size = 0u64;
    let mut first = 0u64;
    for (k, il) in image.layers.iter().enumerate() {
        let Some(layer) = set.layers.get(&il.diff_id) else {
            continue;
        };
        size += layer.content_size;
        if k == 0 {
            first = layer.content_size;
        }
        // One node per path and layer (a later duplicate entry wins), directories and
        // opaque markers skipped (0 bytes, never waste in dive's sense).
        let mut tree: BTreeMap<Cow<'_, str>, (EntryKind, u64)> = BTreeMap::new();
        for rec in &layer.files {
            match rec.kind {
                EntryKind::Directory | EntryKind::OpaqueWhiteout => {}
                EntryKind::Whiteout => {
                    let target = rec.whiteout_target().unwrap_or_default();
                    tree.insert(Cow::Owned(target), (EntryKind::Whiteout, 0));
                }
                _ => {
                    tree.insert(Cow::Borrowed(rec.path.as_str()), (rec.kind, rec.size));
                }
            }
        }
        for (path, (kind, bytes)) in tree {
            let bytes = if kind == EntryKind::Whiteout {
                let under = keys_under(&below, &path);
                if below_dirs.contains_key(path.as_ref()) || !under.is_empty() {
                    under.iter().map(|p| below[p]).sum()
                } else {
                    0
                }
            } else {
                bytes
            };
            let s = stats.entry(path).or_default();
            if s.seen == 0 || bytes < s.min {
                s.min = bytes;
            }
            s.cumulative += bytes;
            s.seen += 1;
        }
        // Stack this layer onto the tree below.
        for rec in &layer.files {
            match rec.kind {
                EntryKind::Whiteout => {
                    let target = rec.whiteout_target().unwrap_or_default();
                    for key in keys_under(&below, &target) {
                        below.remove(key);
                    }
                    for key in keys_under(&below_dirs, &target) {
                        below_dirs.remove(key);
                    }
                    below.remove(target.as_str());
                    below_dirs.remove(target.as_str());
                }
                EntryKind::OpaqueWhiteout => {}
                EntryKind::Directory => {
                    below_dirs.insert(&rec.path, ());
                }
                _ => {
                    below.insert(&rec.path, rec.size);
                }
            }
        }
    }
    let (mut min, mut cumulative, mut wasted) = (0u64, 0u64, 0u64);
    for s in stats.values() {
        min += s.min;
        cumulative += s.cumulative;
        if s.seen >= 2 {
            wasted += s.cumulative;
        }
    }
    DiveScore {
        efficiency: if cumulative == 0 {
            1.0
        } else {
            min as f64 / cumulative as f64
        },
        wasted_size: wasted,
        user_size: size - first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{image, set};

    fn check(r: &Replay, set: &ImageSet, img: &Image) {
        let size: u64 = img
            .layers
            .iter()
            .map(|l| set.layers[&l.diff_id].content_size)
            .sum();
        assert_eq!(
            size,
            r.final_size + r.wasted_size(),
            "size == final + wasted"
        );
    }

    #[test]
    fn overwrite_counts_the_lower_copy() {
        let s = set(&[(
            "a",
            vec![
                vec![("d", "etc", 0, 0), ("f", "etc/conf", 100, 1)],
                vec![("f", "etc/conf", 30, 2)],
            ],
        )]);
        let img = image(&s, "a");
        let r = replay(&s, img);
        assert_eq!(
            (r.overwritten_size, r.deleted_size, r.final_size),
            (100, 0, 30)
        );
        assert_eq!(r.events[0].added_by, 0);
        assert_eq!(r.events[0].hidden_by, 1);
        check(&r, &s, img);
    }

    #[test]
    fn whiteout_hides_the_file_and_everything_under_it() {
        let s = set(&[(
            "a",
            vec![
                vec![
                    ("f", "a", 10, 1),
                    ("f", "d/x", 20, 2),
                    ("f", "d/y/z", 30, 3),
                    ("f", "d0", 5, 4),
                ],
                vec![("w", ".wh.d", 0, 0), ("w", ".wh.a", 0, 0)],
            ],
        )]);
        let img = image(&s, "a");
        let r = replay(&s, img);
        assert_eq!(
            (r.overwritten_size, r.deleted_size, r.final_size),
            (0, 60, 5)
        );
        check(&r, &s, img);
    }

    #[test]
    fn opaque_marker_hides_lower_entries_only() {
        let s = set(&[(
            "a",
            vec![
                vec![("d", "d", 0, 0), ("f", "d/old", 40, 1), ("f", "keep", 1, 2)],
                vec![
                    ("d", "d", 0, 0),
                    ("o", "d/.wh..wh..opq", 0, 0),
                    ("f", "d/new", 7, 3),
                ],
            ],
        )]);
        let img = image(&s, "a");
        let r = replay(&s, img);
        assert_eq!(
            (r.overwritten_size, r.deleted_size, r.final_size),
            (0, 40, 8)
        );
        assert!(r.files.contains_key("d/new"));
        check(&r, &s, img);
    }

    #[test]
    fn a_file_replacing_a_directory_hides_its_contents() {
        let s = set(&[(
            "a",
            vec![
                vec![("d", "d", 0, 0), ("f", "d/a", 11, 1), ("f", "d/b", 22, 2)],
                vec![("f", "d", 3, 3)],
            ],
        )]);
        let img = image(&s, "a");
        let r = replay(&s, img);
        assert_eq!(
            (r.overwritten_size, r.deleted_size, r.final_size),
            (0, 33, 3)
        );
        check(&r, &s, img);
    }

    #[test]
    fn hardlinks_carry_no_bytes_and_duplicate_entries_overwrite() {
        let s = set(&[(
            "a",
            vec![vec![("f", "x", 9, 1), ("h", "y", 0, 0), ("f", "x", 4, 2)]],
        )]);
        let img = image(&s, "a");
        let r = replay(&s, img);
        assert_eq!(
            (r.overwritten_size, r.deleted_size, r.final_size),
            (9, 0, 4)
        );
        check(&r, &s, img);
    }

    #[test]
    fn dive_counts_the_kept_copy() {
        // base, then overwrite (100 -> 30), then delete a 50-byte file.
        let s = set(&[(
            "a",
            vec![
                vec![("f", "base", 1000, 9)],
                vec![("f", "x", 100, 1), ("f", "y", 50, 2)],
                vec![("f", "x", 30, 3), ("w", ".wh.y", 0, 0)],
            ],
        )]);
        let img = image(&s, "a");
        let d = dive_score(&s, img);
        // x: cumulative 130, min 30; y: cumulative 50, min 0; base: 1000/1000.
        assert_eq!(d.wasted_size, 180);
        assert_eq!(d.user_size, 180);
        assert!((d.efficiency - 1030.0 / 1180.0).abs() < 1e-12);
        let r = replay(&s, img);
        assert_eq!(r.wasted_size(), 150);
    }
}

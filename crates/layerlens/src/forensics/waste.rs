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

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::model::paths::PathIndex;
use crate::read::analyzer::{Image, ImageSet};
use crate::read::layer::{EntryKind, FileRecord, LayerReport};

/// An entry visible at a path after replaying some layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visible<'a> {
    /// Index (0 = lowest) of the image layer that added the entry.
    pub layer: usize,
    /// That layer's diff_id.
    pub diff_id: &'a Digest,
    /// The entry itself.
    pub record: &'a FileRecord,
    /// Index of the entry in its layer's `files`.
    pub entry: usize,
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

/// A final filesystem: the visible entries, sorted by path (the root directory is `""`).
///
/// Compact: 8 bytes an entry (which layer of the image, which entry of that layer), so
/// that the replays of every image of a large set fit in memory together. Lookups are
/// binary searches; iteration is in path (byte) order; entries come out as
/// [`Visible`] values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSystem<'a> {
    layers: Vec<Option<(&'a Digest, &'a LayerReport)>>,
    entries: Vec<(u32, u32)>,
}

impl<'a> FileSystem<'a> {
    fn visible(&self, (layer, entry): (u32, u32)) -> Visible<'a> {
        let (diff_id, report) = self.layers[layer as usize].expect("a visible layer has a report");
        Visible {
            layer: layer as usize,
            diff_id,
            record: &report.files[entry as usize],
            entry: entry as usize,
        }
    }

    fn path(&self, at: (u32, u32)) -> &'a str {
        self.visible(at).record.path.as_str()
    }

    /// Where `path` is (`Ok`) or would be (`Err`) in path order.
    pub(crate) fn position(&self, path: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|e| self.path(*e).cmp(path))
    }

    /// The entry at position `at` (in path order).
    pub(crate) fn at(&self, at: usize) -> (&'a str, Visible<'a>) {
        let v = self.visible(self.entries[at]);
        (v.record.path.as_str(), v)
    }

    /// The entry at `path`.
    pub fn get(&self, path: &str) -> Option<Visible<'a>> {
        self.position(path).ok().map(|i| self.at(i).1)
    }

    /// The entry at `path`, with the path as stored.
    pub fn get_key_value(&self, path: &str) -> Option<(&'a str, Visible<'a>)> {
        self.position(path).ok().map(|i| self.at(i))
    }

    /// True when an entry is visible at `path`.
    pub fn contains_key(&self, path: &str) -> bool {
        self.position(path).is_ok()
    }

    /// How many entries are visible.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is visible.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every visible entry, in path order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&'a str, Visible<'a>)> + '_ {
        (0..self.entries.len()).map(|i| self.at(i))
    }

    /// Every visible path, in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &'a str> + '_ {
        self.entries.iter().map(|e| self.path(*e))
    }

    /// The entries strictly under directory `dir` (`""` is the root), in path order.
    pub fn under(&self, dir: &str) -> impl DoubleEndedIterator<Item = (&'a str, Visible<'a>)> + '_ {
        let range = if dir.is_empty() {
            let lo = usize::from(
                self.entries
                    .first()
                    .is_some_and(|e| self.path(*e).is_empty()),
            );
            lo..self.entries.len()
        } else {
            // Children of `d` sort between `d/` and `d0` ('0' follows '/').
            let lo = format!("{dir}/");
            let hi = format!("{dir}0");
            let a = self
                .entries
                .partition_point(|e| self.path(*e) < lo.as_str());
            let b = self
                .entries
                .partition_point(|e| self.path(*e) < hi.as_str());
            a..b.max(a)
        };
        range.map(|i| self.at(i))
    }
}

/// The result of replaying one image's layers.
#[derive(Debug, Clone, Default)]
pub struct Replay<'a> {
    /// The final filesystem: every visible entry by path (the root directory is `""`).
    pub files: FileSystem<'a>,
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
    pub fn regular_files(&self) -> impl Iterator<Item = (&'a str, Visible<'a>)> + '_ {
        self.files
            .iter()
            .filter(|(_, v)| v.record.kind == EntryKind::Regular)
    }
}

/// An empty slot of the replay's dense table.
const EMPTY: u64 = 0;

/// The overlay being replayed: one slot per path number, `(layer + 1) << 32 | entry`.
struct Overlay<'a, 'i> {
    ix: &'i PathIndex<'a>,
    layers: Vec<Option<(&'a Digest, &'a LayerReport)>>,
    slot: Vec<u64>,
    touched: Vec<u32>,
    r: Replay<'a>,
}

impl<'a> Overlay<'a, '_> {
    fn visible(&self, packed: u64) -> Visible<'a> {
        let layer = (packed >> 32) as usize - 1;
        let entry = (packed & 0xffff_ffff) as usize;
        let (diff_id, report) = self.layers[layer].expect("a replayed layer has a report");
        Visible {
            layer,
            diff_id,
            record: &report.files[entry],
            entry,
        }
    }

    fn hide(&mut self, id: u32, hidden_by: usize, cause: WasteCause) {
        let old = std::mem::replace(&mut self.slot[id as usize], EMPTY);
        if old != EMPTY {
            let v = self.visible(old);
            self.account(&v, hidden_by, cause);
        }
    }

    fn account(&mut self, old: &Visible<'a>, hidden_by: usize, cause: WasteCause) {
        if old.record.kind != EntryKind::Regular {
            return;
        }
        let size = old.record.size;
        match cause {
            WasteCause::Overwritten => self.r.overwritten_size += size,
            WasteCause::Deleted => self.r.deleted_size += size,
        }
        self.r.events.push(WasteEvent {
            path: old.record.path.as_str(),
            size,
            added_by: old.layer,
            hidden_by,
            cause,
        });
    }

    fn hide_under(&mut self, dir: u32, hidden_by: usize) {
        for id in self.ix.under(dir) {
            self.hide(id, hidden_by, WasteCause::Deleted);
        }
    }
}

/// Replay the image's layers in order, like an overlay mount.
pub fn replay<'a>(set: &'a ImageSet, image: &'a Image) -> Replay<'a> {
    replay_indexed(&PathIndex::for_image(set, image), set, image)
}

/// [`replay`] with the paths already numbered: replaying many images of one set, build
/// one [`PathIndex`] of the set and pass it to each.
pub fn replay_indexed<'a>(ix: &PathIndex<'a>, set: &'a ImageSet, image: &'a Image) -> Replay<'a> {
    let layers: Vec<Option<(&'a Digest, &'a LayerReport)>> = image
        .layers
        .iter()
        .map(|il| set.layers.get(&il.diff_id).map(|l| (&il.diff_id, l)))
        .collect();
    let mut o = Overlay {
        ix,
        layers,
        slot: vec![EMPTY; ix.len()],
        touched: Vec::new(),
        r: Replay {
            complete: true,
            ..Replay::default()
        },
    };
    for k in 0..o.layers.len() {
        let Some((_, layer)) = o.layers[k] else {
            o.r.complete = false;
            continue;
        };
        if layer.files.is_empty() && layer.content_size > 0 {
            o.r.complete = false;
        }
        let ids = &ix
            .layer(&image.layers[k].diff_id)
            .expect("the index holds every layer of the image")
            .path;
        // Whiteouts and opaque markers only hide lower layers: apply them before this
        // layer's own entries land.
        for (rec, &id) in layer.files.iter().zip(ids) {
            match rec.kind {
                EntryKind::Whiteout => {
                    o.hide(id, k, WasteCause::Deleted);
                    o.hide_under(id, k);
                }
                EntryKind::OpaqueWhiteout => o.hide_under(id, k),
                _ => {}
            }
        }
        for (entry, (rec, &id)) in layer.files.iter().zip(ids).enumerate() {
            if matches!(rec.kind, EntryKind::Whiteout | EntryKind::OpaqueWhiteout) {
                continue;
            }
            let old = o.slot[id as usize];
            if old != EMPTY {
                let old = o.visible(old);
                if old.record.kind == EntryKind::Directory && rec.kind != EntryKind::Directory {
                    o.hide_under(id, k);
                }
                o.account(&old, k, WasteCause::Overwritten);
            } else {
                o.touched.push(id);
            }
            o.slot[id as usize] = ((k as u64 + 1) << 32) | entry as u64;
        }
    }
    o.touched.sort_unstable();
    o.touched.dedup();
    let mut entries = Vec::with_capacity(o.touched.len());
    for &id in &o.touched {
        let packed = o.slot[id as usize];
        if packed != EMPTY {
            entries.push(((packed >> 32) as u32 - 1, packed as u32));
        }
    }
    let mut r = o.r;
    r.files = FileSystem {
        layers: o.layers,
        entries,
    };
    r.final_size = r.regular_files().map(|(_, v)| v.record.size).sum();
    r
}

/// Which entries of each layer of `set` (in `set.layers` order) are regular files visible
/// in at least one final filesystem. `replays` are the replays of `set.images`, in order.
/// The set-wide passes read each visible entry once from these marks, however many
/// images of a family show it.
pub(crate) fn visible_regular(set: &ImageSet, replays: &[Replay<'_>]) -> Vec<Vec<bool>> {
    let layer_no: std::collections::HashMap<&Digest, usize> =
        set.layers.keys().enumerate().map(|(i, d)| (d, i)).collect();
    let mut marks: Vec<Vec<bool>> = set
        .layers
        .values()
        .map(|l| vec![false; l.files.len()])
        .collect();
    for (r, img) in replays.iter().zip(&set.images) {
        let no: Vec<Option<usize>> = img
            .layers
            .iter()
            .map(|l| layer_no.get(&l.diff_id).copied())
            .collect();
        for (_, v) in r.regular_files() {
            if let Some(Some(l)) = no.get(v.layer) {
                marks[*l][v.entry] = true;
            }
        }
    }
    marks
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

/// dive's efficiency score, computed as dive computes it (wagoodman/dive,
/// `filetree/efficiency.go`): every leaf entry of every layer tree is visited; a
/// whiteout counts, at the path it hides, the bytes under that path in the layers below
/// when it was a directory, and 0 when it was a file; for each path,
/// `cumulative` = the sum of the sizes seen and `min` = the smallest size seen;
/// efficiency = Σ min / Σ cumulative. Opaque markers are not counted (dive does not
/// resolve them) and directories count 0 bytes.
pub fn dive_score(set: &ImageSet, image: &Image) -> DiveScore {
    dive_score_indexed(&PathIndex::for_image(set, image), set, image)
}

/// [`dive_score`] with the paths already numbered (see [`replay_indexed`]).
pub fn dive_score_indexed(ix: &PathIndex<'_>, set: &ImageSet, image: &Image) -> DiveScore {
    const ABSENT: u64 = u64::MAX;
    const NO_NODE: u32 = u32::MAX;
    let n = ix.len();
    // Per path: the smallest and the cumulative size seen, and how many times.
    let mut min = vec![0u64; n];
    let mut cumulative = vec![0u64; n];
    let mut seen = vec![0u32; n];
    let mut touched: Vec<u32> = Vec::new();
    // The stacked tree below the current layer, needed to size directory whiteouts:
    // the size of each non-directory entry. (dive sizes a whiteout by the entries under
    // its path when that path was a directory, else 0: both are the sum below.)
    let mut below = vec![ABSENT; n];
    // One node per path and layer (a later duplicate entry wins).
    let mut node = vec![NO_NODE; n];
    let mut nodes: Vec<u32> = Vec::new();
    let mut size = 0u64;
    let mut first = 0u64;
    for (k, il) in image.layers.iter().enumerate() {
        let (Some(layer), Some(ids)) = (set.layers.get(&il.diff_id), ix.layer(&il.diff_id)) else {
            continue;
        };
        size += layer.content_size;
        if k == 0 {
            first = layer.content_size;
        }
        // Directories and opaque markers are skipped (0 bytes, never waste in dive's
        // sense); a whiteout is a node at the path it hides.
        for (i, (rec, &id)) in layer.files.iter().zip(&ids.path).enumerate() {
            if matches!(rec.kind, EntryKind::Directory | EntryKind::OpaqueWhiteout) {
                continue;
            }
            if node[id as usize] == NO_NODE {
                nodes.push(id);
            }
            node[id as usize] = i as u32;
        }
        for id in nodes.drain(..) {
            let rec = &layer.files[std::mem::replace(&mut node[id as usize], NO_NODE) as usize];
            let bytes = if rec.kind == EntryKind::Whiteout {
                ix.under(id)
                    .map(|j| below[j as usize])
                    .filter(|&b| b != ABSENT)
                    .sum()
            } else {
                rec.size
            };
            let i = id as usize;
            if seen[i] == 0 {
                touched.push(id);
                min[i] = bytes;
            } else if bytes < min[i] {
                min[i] = bytes;
            }
            cumulative[i] += bytes;
            seen[i] += 1;
        }
        // Stack this layer onto the tree below.
        for (rec, &id) in layer.files.iter().zip(&ids.path) {
            match rec.kind {
                EntryKind::Whiteout => {
                    for j in ix.under(id).chain(std::iter::once(id)) {
                        below[j as usize] = ABSENT;
                    }
                }
                EntryKind::OpaqueWhiteout | EntryKind::Directory => {}
                _ => below[id as usize] = rec.size,
            }
        }
    }
    let (mut total_min, mut total, mut wasted) = (0u64, 0u64, 0u64);
    for &id in &touched {
        let i = id as usize;
        total_min += min[i];
        total += cumulative[i];
        if seen[i] >= 2 {
            wasted += cumulative[i];
        }
    }
    DiveScore {
        efficiency: if total == 0 {
            1.0
        } else {
            total_min as f64 / total as f64
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

//! Waste: every content byte that is stored but not visible, from the overlay replay.
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
//! Each node of the ChainID tree keeps what its own layer hid and the running totals of
//! its path; an image's figures are its top node's. [`Dive`] computes dive's efficiency
//! score the way dive does, along the same walk.

use serde::{Deserialize, Serialize};

use crate::model::overlay::{At, Overlay, Why};
use crate::model::SetModel;
use crate::read::layer::EntryKind;

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
pub(crate) struct Event {
    /// Path number of the hidden file.
    pub pid: u32,
    /// Layer number of the layer that added it.
    pub layer: u32,
    /// Its record in that layer.
    pub entry: u32,
    /// Position of the layer that added it.
    pub added_by: u32,
    /// Position of the layer that hid it.
    pub hidden_by: u32,
    /// How it was hidden.
    pub cause: WasteCause,
    /// Its content bytes.
    pub size: u64,
}

/// What one node's layer hid, and the totals of the path up to it.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeWaste {
    /// Overwritten bytes, from the bottom up to this node.
    pub overwritten: u64,
    /// Deleted bytes, from the bottom up to this node.
    pub deleted: u64,
    /// Hidden regular files (empty ones too), from the bottom up to this node.
    pub count: u64,
    /// What this node's layer hid, in replay order.
    pub events: Vec<Event>,
    /// The largest hidden files of the path up to this node (at most `TOP_N`).
    pub top: Vec<Event>,
    /// False when some layer up to this node kept no per-file records.
    pub complete: bool,
}

/// The waste facet of the walk.
#[derive(Clone)]
pub(crate) struct Waste {
    /// Regular-file bytes visible now.
    pub final_size: u64,
    /// What the node being applied hides.
    own: Vec<Event>,
    /// Per node.
    pub nodes: Vec<Option<NodeWaste>>,
}

impl Waste {
    pub fn new(m: &SetModel<'_>) -> Self {
        Waste {
            final_size: 0,
            own: Vec::new(),
            nodes: vec![None; m.tree().nodes.len()],
        }
    }

    pub fn enter(&mut self, o: &Overlay<'_, '_>, at: At) {
        let r = o.record(at);
        if r.kind == EntryKind::Regular {
            self.final_size += r.size;
        }
    }

    pub fn leave(&mut self, o: &Overlay<'_, '_>, pid: u32, at: At, why: Why) {
        let r = o.record(at);
        if r.kind != EntryKind::Regular {
            return;
        }
        self.final_size -= r.size;
        let cause = match why {
            Why::Undo => return,
            Why::Overwritten => WasteCause::Overwritten,
            Why::Deleted => WasteCause::Deleted,
        };
        self.own.push(Event {
            pid,
            layer: o.layer_at(at.depth),
            entry: at.entry,
            added_by: at.depth,
            hidden_by: o.stack().len() as u32 - 1,
            cause,
            size: r.size,
        });
    }

    pub fn applied(&mut self, o: &Overlay<'_, '_>, node: u32) {
        let m = o.m;
        let n = m.tree().node(node);
        let parent = n.parent.and_then(|p| self.nodes[p as usize].as_ref());
        let events = std::mem::take(&mut self.own);
        let report = m.layers()[n.layer as usize].1;
        let complete = report.is_some_and(|r| !(r.files.is_empty() && r.content_size > 0))
            && parent.is_none_or(|p| p.complete);
        let mut w = NodeWaste {
            overwritten: parent.map_or(0, |p| p.overwritten),
            deleted: parent.map_or(0, |p| p.deleted),
            count: parent.map_or(0, |p| p.count) + events.len() as u64,
            complete,
            ..NodeWaste::default()
        };
        for e in &events {
            match e.cause {
                WasteCause::Overwritten => w.overwritten += e.size,
                WasteCause::Deleted => w.deleted += e.size,
            }
        }
        // The top of the path: the parent's top, then this layer's events (later in
        // replay order, so behind the parent's on ties).
        let mut top: Vec<Event> = parent.map(|p| p.top.clone()).unwrap_or_default();
        top.extend(events.iter().filter(|e| e.size > 0).copied());
        top.sort_by(|a, b| {
            b.size
                .cmp(&a.size)
                .then_with(|| a.pid.cmp(&b.pid))
                .then_with(|| a.added_by.cmp(&b.added_by))
        });
        top.truncate(crate::TOP_N);
        w.top = top;
        w.events = events;
        self.nodes[node as usize] = Some(w);
    }
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

const ABSENT: u64 = u64::MAX;
const NO_NODE: u32 = u32::MAX;

/// dive's efficiency score, computed as dive computes it (wagoodman/dive,
/// `filetree/efficiency.go`), along the walk: every leaf entry of every layer tree is
/// visited; a whiteout counts, at the path it hides, the bytes under that path in the
/// layers below when it was a directory, and 0 when it was a file; for each path,
/// `cumulative` = the sum of the sizes seen and `min` = the smallest size seen;
/// efficiency = Σ min / Σ cumulative. Opaque markers are not counted (dive does not
/// resolve them) and directories count 0 bytes.
#[derive(Clone)]
pub(crate) struct Dive {
    /// Per path: times seen, smallest and cumulative size.
    seen: Vec<u32>,
    min: Vec<u64>,
    cumulative: Vec<u64>,
    /// The stacked tree below the current layer: the size of each non-directory entry.
    below: Vec<u64>,
    total_min: u64,
    total: u64,
    wasted: u64,
    /// Undo logs: (path, seen, min, cumulative) and (path, below).
    log: Vec<(u32, u32, u64, u64)>,
    below_log: Vec<(u32, u64)>,
    marks: Vec<(usize, usize, u64, u64, u64)>,
    node_of: Vec<u32>,
    nodes: Vec<u32>,
}

impl Dive {
    pub fn new(m: &SetModel<'_>) -> Self {
        let n = m.paths().len();
        Dive {
            seen: vec![0; n],
            min: vec![0; n],
            cumulative: vec![0; n],
            below: vec![ABSENT; n],
            total_min: 0,
            total: 0,
            wasted: 0,
            log: Vec::new(),
            below_log: Vec::new(),
            marks: Vec::new(),
            node_of: vec![NO_NODE; n],
            nodes: Vec::new(),
        }
    }

    fn see(&mut self, id: u32, bytes: u64) {
        let i = id as usize;
        let (seen, min, cum) = (self.seen[i], self.min[i], self.cumulative[i]);
        self.log.push((id, seen, min, cum));
        let new_min = if seen == 0 { bytes } else { min.min(bytes) };
        let new_cum = cum + bytes;
        self.total_min = self.total_min - if seen == 0 { 0 } else { min } + new_min;
        self.total = self.total - cum + new_cum;
        if seen >= 2 {
            self.wasted -= cum;
        }
        if seen + 1 >= 2 {
            self.wasted += new_cum;
        }
        self.seen[i] = seen + 1;
        self.min[i] = new_min;
        self.cumulative[i] = new_cum;
    }

    fn set_below(&mut self, id: u32, v: u64) {
        let old = std::mem::replace(&mut self.below[id as usize], v);
        if old != v {
            self.below_log.push((id, old));
        }
    }

    /// Count the layer of `node`.
    pub fn applied(&mut self, o: &Overlay<'_, '_>, node: u32) {
        self.marks.push((
            self.log.len(),
            self.below_log.len(),
            self.total_min,
            self.total,
            self.wasted,
        ));
        let m = o.m;
        let layer = m.tree().node(node).layer;
        let files = m.files(layer);
        let ids = m.paths().layer(layer as usize);
        // One node per path and layer (a later duplicate entry wins); directories and
        // opaque markers are skipped (0 bytes, never waste in dive's sense); a whiteout
        // is a node at the path it hides.
        for (i, (rec, &id)) in files.iter().zip(ids).enumerate() {
            if matches!(rec.kind, EntryKind::Directory | EntryKind::OpaqueWhiteout) {
                continue;
            }
            if self.node_of[id as usize] == NO_NODE {
                self.nodes.push(id);
            }
            self.node_of[id as usize] = i as u32;
        }
        let nodes = std::mem::take(&mut self.nodes);
        for &id in &nodes {
            let rec = &files[std::mem::replace(&mut self.node_of[id as usize], NO_NODE) as usize];
            let bytes = if rec.kind == EntryKind::Whiteout {
                m.paths()
                    .under(id)
                    .map(|j| self.below[j as usize])
                    .filter(|&b| b != ABSENT)
                    .sum()
            } else {
                rec.size
            };
            self.see(id, bytes);
        }
        self.nodes = nodes;
        self.nodes.clear();
        // Stack this layer onto the tree below.
        for (rec, &id) in files.iter().zip(ids) {
            match rec.kind {
                EntryKind::Whiteout => {
                    for j in m.paths().under(id).chain(std::iter::once(id)) {
                        self.set_below(j, ABSENT);
                    }
                }
                EntryKind::OpaqueWhiteout | EntryKind::Directory => {}
                _ => self.set_below(id, rec.size),
            }
        }
    }

    /// The score of the path up to the top of the stack, for an image of `size` bytes
    /// whose first layer has `first` bytes.
    pub fn score(&self, size: u64, first: u64) -> DiveScore {
        DiveScore {
            efficiency: if self.total == 0 {
                1.0
            } else {
                self.total_min as f64 / self.total as f64
            },
            wasted_size: self.wasted,
            user_size: size - first,
        }
    }

    /// Take the top layer's counts off again.
    pub fn left(&mut self) {
        let (log, below, total_min, total, wasted) = self.marks.pop().expect("a counted layer");
        for (id, seen, min, cum) in self.log.drain(log..).rev() {
            let i = id as usize;
            self.seen[i] = seen;
            self.min[i] = min;
            self.cumulative[i] = cum;
        }
        for (id, old) in self.below_log.drain(below..).rev() {
            self.below[id as usize] = old;
        }
        self.total_min = total_min;
        self.total = total;
        self.wasted = wasted;
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{FinalFs, SetModel};
    use crate::testutil::{image_report, report, set};
    use crate::ImageReport;

    fn check(i: &ImageReport) {
        assert_eq!(
            i.size,
            i.final_size + i.wasted_size,
            "size == final + wasted"
        );
    }

    fn figures(i: &ImageReport) -> (u64, u64, u64) {
        (i.overwritten_size, i.deleted_size, i.final_size)
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
        let r = report(&s);
        let i = image_report(&r, "a");
        assert_eq!(figures(i), (100, 0, 30));
        assert_eq!(i.top_waste[0].added_by, 0);
        assert_eq!(i.top_waste[0].hidden_by, 1);
        check(i);
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
        let r = report(&s);
        let i = image_report(&r, "a");
        assert_eq!(figures(i), (0, 60, 5));
        check(i);
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
        let r = report(&s);
        let i = image_report(&r, "a");
        assert_eq!(figures(i), (0, 40, 8));
        let m = SetModel::new(&s);
        assert!(FinalFs::new(&m, 0).get("d/new").is_some());
        check(i);
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
        let r = report(&s);
        let i = image_report(&r, "a");
        assert_eq!(figures(i), (0, 33, 3));
        check(i);
    }

    #[test]
    fn hardlinks_carry_no_bytes_and_duplicate_entries_overwrite() {
        let s = set(&[(
            "a",
            vec![vec![("f", "x", 9, 1), ("h", "y", 0, 0), ("f", "x", 4, 2)]],
        )]);
        let r = report(&s);
        let i = image_report(&r, "a");
        assert_eq!(figures(i), (9, 0, 4));
        check(i);
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
        let r = report(&s);
        let i = image_report(&r, "a");
        // x: cumulative 130, min 30; y: cumulative 50, min 0; base: 1000/1000.
        assert_eq!(i.dive_wasted_size, 180);
        assert_eq!(i.user_size, 180);
        assert!((i.efficiency - 1030.0 / 1180.0).abs() < 1e-12);
        assert_eq!(i.wasted_size, 150);
    }

    /// Siblings of one node see their parent's filesystem, not each other's: the walk
    /// takes each layer off again on the way back up.
    #[test]
    fn siblings_do_not_see_each_other() {
        let base = vec![("f", "shared", 100, 1), ("f", "gone", 7, 2)];
        let s = set(&[
            ("a", vec![base.clone(), vec![("w", ".wh.shared", 0, 0)]]),
            ("b", vec![base.clone(), vec![("f", "shared", 5, 3)]]),
            (
                "c",
                vec![
                    base.clone(),
                    vec![("f", "c", 1, 4), ("w", ".wh.gone", 0, 0)],
                ],
            ),
        ]);
        let r = report(&s);
        assert_eq!(figures(image_report(&r, "a")), (0, 100, 7));
        assert_eq!(figures(image_report(&r, "b")), (100, 0, 12));
        assert_eq!(figures(image_report(&r, "c")), (0, 7, 101));
        for n in ["a", "b", "c"] {
            check(image_report(&r, n));
        }
    }
}

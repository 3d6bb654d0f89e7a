//! A set-wide numbering of paths, built once per report so that replaying many images
//! that share layers does not compare the same path strings once per image.
//!
//! Every path of every layer (and every path a whiteout or opaque marker names) gets a
//! number, in byte order of the path: numbers sort as the paths do, and the paths
//! strictly under a directory `d` are one contiguous range (those between `d/` and `d0`,
//! `'0'` following `'/'`). Each layer's records are numbered once, in parallel, and
//! every image replay then works on dense arrays indexed by those numbers.

use std::borrow::Cow;
use std::ops::Range;

// A seeded fast hasher: the numbering map is keyed by every path of the set.
use foldhash::HashMap;
use rayon::prelude::*;

use crate::digest::Digest;
use crate::read::analyzer::ImageSet;
use crate::read::layer::{EntryKind, FileRecord, LayerReport};

/// Path numbers of one layer's records.
#[derive(Debug, Default)]
pub(crate) struct LayerIds {
    /// Per record: the number of its path; for a whiteout, of the path it hides; for an
    /// opaque marker, of the directory it empties.
    pub(crate) path: Vec<u32>,
}

/// Paths of a set of layers, numbered in byte order.
#[derive(Debug, Default)]
pub struct PathIndex<'a> {
    paths: Vec<Cow<'a, str>>,
    layers: HashMap<&'a Digest, LayerIds>,
}

/// The path a record occupies in an overlay replay: its own, or the one it hides.
pub(crate) fn replay_path(rec: &FileRecord) -> Cow<'_, str> {
    match rec.kind {
        EntryKind::Whiteout | EntryKind::OpaqueWhiteout => {
            Cow::Owned(rec.whiteout_target().unwrap_or_default())
        }
        _ => Cow::Borrowed(rec.path.as_str()),
    }
}

impl<'a> PathIndex<'a> {
    /// Number the paths of every layer of `set`.
    pub fn new(set: &'a ImageSet) -> PathIndex<'a> {
        Self::of_layers(set.layers.iter().collect())
    }

    /// Number the paths of the layers `image` uses (what one replay needs).
    pub fn for_image(set: &'a ImageSet, image: &crate::Image) -> PathIndex<'a> {
        let mut layers: Vec<(&'a Digest, &'a LayerReport)> = image
            .layers
            .iter()
            .filter_map(|l| set.layers.get_key_value(&l.diff_id))
            .collect();
        layers.sort_by_key(|(d, _)| *d);
        layers.dedup_by_key(|(d, _)| *d);
        Self::of_layers(layers)
    }

    fn of_layers(layers: Vec<(&'a Digest, &'a LayerReport)>) -> PathIndex<'a> {
        let mut paths: Vec<Cow<'a, str>> = layers
            .par_iter()
            .flat_map_iter(|(_, l)| l.files.iter().map(replay_path))
            .collect();
        paths.par_sort_unstable();
        paths.dedup();
        let number: HashMap<&str, u32> = paths
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_ref(), i as u32))
            .collect();
        let ids: Vec<LayerIds> = layers
            .par_iter()
            .map(|(_, l)| LayerIds {
                path: l
                    .files
                    .iter()
                    .map(|r| number[replay_path(r).as_ref()])
                    .collect(),
            })
            .collect();
        drop(number);
        PathIndex {
            layers: layers.iter().map(|(d, _)| *d).zip(ids).collect(),
            paths,
        }
    }

    /// How many distinct paths.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// True when no layer has any entry.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The path numbered `id`.
    pub fn path(&self, id: u32) -> &str {
        &self.paths[id as usize]
    }

    /// The numbers of a layer's records, when the layer was indexed.
    pub(crate) fn layer(&self, diff_id: &Digest) -> Option<&LayerIds> {
        self.layers.get(diff_id)
    }

    /// The numbers of the paths strictly under the directory numbered `dir` (`""` is
    /// the root).
    pub(crate) fn under(&self, dir: u32) -> Range<u32> {
        let d = self.path(dir);
        let (lo, hi) = if d.is_empty() {
            (dir as usize + 1, self.paths.len())
        } else {
            let lo = format!("{d}/");
            let hi = format!("{d}0");
            (
                self.paths.partition_point(|p| p.as_ref() < lo.as_str()),
                self.paths.partition_point(|p| p.as_ref() < hi.as_str()),
            )
        };
        lo as u32..hi.max(lo) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::set;

    #[test]
    fn numbers_follow_path_order_and_directories_are_ranges() {
        let s = set(&[(
            "a",
            vec![
                vec![
                    ("d", "d", 0, 0),
                    ("f", "d/x", 1, 1),
                    ("f", "d-x", 1, 2),
                    ("f", "d/sub/y", 1, 3),
                    ("f", "e", 1, 4),
                ],
                vec![("w", ".wh.d", 0, 0), ("o", "q/.wh..wh..opq", 0, 0)],
            ],
        )]);
        let ix = PathIndex::new(&s);
        let all: Vec<&str> = (0..ix.len() as u32).map(|i| ix.path(i)).collect();
        assert_eq!(all, ["d", "d-x", "d/sub/y", "d/x", "e", "q"]);
        let under: Vec<&str> = ix.under(0).map(|i| ix.path(i)).collect();
        assert_eq!(under, ["d/sub/y", "d/x"]);
        assert!(ix.under(4).is_empty());
    }
}

//! Every distinct file content of the set numbered once: a content is a (digest, size)
//! pair of a regular file's record. What duplicate and dedup figures group by.

use rayon::prelude::*;

use crate::digest::ContentDigest;
use crate::read::layer::{EntryKind, LayerReport};

/// No content: a record that is not a regular file or has no digest.
pub(crate) const NO_CONTENT: u32 = u32::MAX;

/// The contents of a set of layers.
#[derive(Debug, Default)]
pub(crate) struct Contents {
    /// Per layer, per record: its content number, or [`NO_CONTENT`].
    of: Vec<Vec<u32>>,
    /// The same where the content is a duplicate (`dup_size` > 0), else [`NO_CONTENT`]:
    /// the duplicate facets read it for every entry that comes and goes, and most
    /// contents are not duplicates, so most reads stop at this sequential one.
    dup_of: Vec<Vec<u32>>,
    /// Per content: digest and size, in (digest, size) order.
    keys: Vec<(ContentDigest, u64)>,
    /// Per content: in how many distinct layers it is.
    layers: Vec<u32>,
    /// Per content: its size when two records or more hold it and it is not empty,
    /// else 0 (what the duplicate facets look up for every entry, in one read).
    dup_size: Vec<u64>,
}

impl Contents {
    pub fn new(layers: &[&LayerReport]) -> Contents {
        let mut all: Vec<(ContentDigest, u64, u32, u32)> = layers
            .par_iter()
            .enumerate()
            .flat_map_iter(|(l, r)| {
                r.files.iter().enumerate().filter_map(move |(i, f)| {
                    let d = f.digest.filter(|_| f.kind == EntryKind::Regular)?;
                    Some((d, f.size, l as u32, i as u32))
                })
            })
            .collect();
        all.par_sort_unstable();
        let mut out = Contents {
            of: layers
                .iter()
                .map(|l| vec![NO_CONTENT; l.files.len()])
                .collect(),
            ..Contents::default()
        };
        for group in all.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
            let n = out.keys.len() as u32;
            out.keys.push((group[0].0, group[0].1));
            let mut layers = 0;
            let mut last = u32::MAX;
            for &(_, _, l, i) in group {
                out.of[l as usize][i as usize] = n;
                if l != last {
                    layers += 1;
                    last = l;
                }
            }
            out.layers.push(layers);
            out.dup_size
                .push(if group.len() >= 2 { group[0].1 } else { 0 });
        }
        out.dup_of = out
            .of
            .par_iter()
            .map(|numbers| {
                numbers
                    .iter()
                    .map(|&c| match out.dup_size.get(c as usize) {
                        Some(&size) if size > 0 => c,
                        _ => NO_CONTENT,
                    })
                    .collect()
            })
            .collect();
        out
    }

    /// The content number of record `entry` of layer `layer` when that content is a
    /// duplicate (its [`Contents::dup_size`] is not 0), else [`NO_CONTENT`].
    pub fn dup_of(&self, layer: u32, entry: u32) -> u32 {
        self.dup_of[layer as usize][entry as usize]
    }

    /// The content numbers of layer `layer`'s records.
    pub fn of_layer(&self, layer: u32) -> &[u32] {
        &self.of[layer as usize]
    }

    /// How many contents.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Digest and size of content `c`.
    pub fn key(&self, c: u32) -> (ContentDigest, u64) {
        self.keys[c as usize]
    }

    /// The size of content `c` when two records or more hold it and it is not empty,
    /// else 0.
    pub fn dup_size(&self, c: u32) -> u64 {
        self.dup_size[c as usize]
    }

    /// In how many distinct layers content `c` is.
    pub fn layers(&self, c: u32) -> u32 {
        self.layers[c as usize]
    }
}

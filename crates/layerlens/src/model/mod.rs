//! The set model: everything the reducers read, computed once from an
//! [`ImageSet`](crate::ImageSet).
//!
//! * the distinct layers, numbered ([`SetModel::layers`]);
//! * every path numbered set-wide, in byte order ([`paths`]);
//! * the ChainID tree ([`chain`]): one node per distinct ChainID, each image a path from
//!   a root to its top node;
//! * the overlay replay ([`overlay`]): what is visible after each node, which entry
//!   each layer added or hid. It runs along the ChainID tree ([`SetModel::walk`]): a
//!   child's filesystem is its parent's plus its own layer, so the work grows with the
//!   distinct nodes and their entries, not with images × files. Per-image figures are
//!   read at the node an image ends at. One image alone can be replayed too
//!   ([`SetModel::final_fs`]).

pub mod chain;
pub(crate) mod contents;
pub(crate) mod overlay;
pub(crate) mod paths;

use std::collections::HashMap;

use crate::digest::Digest;
use crate::read::analyzer::{Image, ImageSet};
use crate::read::layer::{FileRecord, LayerReport};

pub use chain::{ChainNode, ChainTree};
pub use overlay::FinalFs;
pub use paths::PathIndex;

/// An analysed set, modelled once for every reducer.
#[derive(Debug)]
pub struct SetModel<'a> {
    set: &'a ImageSet,
    /// Every diff_id the images use, numbered: first those with a report (in the
    /// set's order), then any without.
    layers: Vec<(&'a Digest, Option<&'a LayerReport>)>,
    number: HashMap<&'a Digest, u32>,
    paths: PathIndex<'a>,
    contents: contents::Contents,
    tree: ChainTree,
    /// Per node: the content bytes of its layers from the root up to it.
    cumulative: Vec<u64>,
}

/// No files: the layer of a diff_id without a report.
static NO_FILES: Vec<FileRecord> = Vec::new();

impl<'a> SetModel<'a> {
    /// Model `set`: number its layers and paths and build its ChainID tree.
    pub fn new(set: &'a ImageSet) -> SetModel<'a> {
        let mut layers: Vec<(&'a Digest, Option<&'a LayerReport>)> =
            set.layers.iter().map(|(d, l)| (d, Some(l))).collect();
        let mut number: HashMap<&'a Digest, u32> = layers
            .iter()
            .enumerate()
            .map(|(i, (d, _))| (*d, i as u32))
            .collect();
        for img in &set.images {
            for l in &img.layers {
                if !number.contains_key(&l.diff_id) {
                    number.insert(&l.diff_id, layers.len() as u32);
                    layers.push((&l.diff_id, None));
                }
            }
        }
        let reports: Vec<&LayerReport> = layers
            .iter()
            .map(|(_, r)| r.unwrap_or(&EMPTY_REPORT))
            .collect();
        let ((paths, contents), tree) = rayon::join(
            || {
                rayon::join(
                    || PathIndex::new(&reports),
                    || contents::Contents::new(&reports),
                )
            },
            || ChainTree::new(set, |d| number[d]),
        );
        let mut cumulative = vec![0u64; tree.nodes.len()];
        for (i, n) in tree.nodes.iter().enumerate() {
            let own = layers[n.layer as usize].1.map_or(0, |r| r.content_size);
            cumulative[i] = own + n.parent.map_or(0, |p| cumulative[p as usize]);
        }
        SetModel {
            set,
            layers,
            number,
            paths,
            contents,
            tree,
            cumulative,
        }
    }

    /// The set modelled.
    pub fn set(&self) -> &'a ImageSet {
        self.set
    }

    /// The images, in the set's order.
    pub fn images(&self) -> &'a [Image] {
        &self.set.images
    }

    /// The distinct layers, by number: diff_id and report (`None` when the set has no
    /// report for a diff_id an image names).
    pub fn layers(&self) -> &[(&'a Digest, Option<&'a LayerReport>)] {
        &self.layers
    }

    /// The number of a layer.
    pub fn layer_number(&self, diff_id: &Digest) -> Option<u32> {
        self.number.get(diff_id).copied()
    }

    /// The records of layer number `layer` (none without a report).
    pub fn files(&self, layer: u32) -> &'a [FileRecord] {
        self.layers[layer as usize]
            .1
            .map_or(NO_FILES.as_slice(), |r| r.files.as_slice())
    }

    /// The content bytes of layer number `layer`.
    pub fn content_size(&self, layer: u32) -> u64 {
        self.layers[layer as usize].1.map_or(0, |r| r.content_size)
    }

    /// The paths.
    pub fn paths(&self) -> &PathIndex<'a> {
        &self.paths
    }

    /// The contents.
    pub(crate) fn contents(&self) -> &contents::Contents {
        &self.contents
    }

    /// The ChainID tree.
    pub fn tree(&self) -> &ChainTree {
        &self.tree
    }

    /// The content bytes of the layers from the bottom up to `node`: the size of an
    /// image whose top it is.
    pub fn cumulative_size(&self, node: u32) -> u64 {
        self.cumulative[node as usize]
    }

    /// An image's size: the sum of its layers' content bytes.
    pub fn image_size(&self, image: usize) -> u64 {
        self.tree.top(image).map_or(0, |n| self.cumulative_size(n))
    }

    /// The layer number at each position of an image, lowest first.
    pub fn image_layers(&self, image: usize) -> impl Iterator<Item = u32> + '_ {
        self.tree.paths[image]
            .iter()
            .map(|&n| self.tree.node(n).layer)
    }

    /// The index of an image in the set's order.
    pub fn image_index(&self, image: &Image) -> Option<usize> {
        self.set.images.iter().position(|i| i.id == image.id)
    }
}

static EMPTY_REPORT: std::sync::LazyLock<LayerReport> = std::sync::LazyLock::new(|| LayerReport {
    diff_id: Digest::sha256_of(b""),
    verified: false,
    stored_digest: None,
    compression: crate::read::layer::Compression::None,
    stored_size: 0,
    tar_size: 0,
    content_size: 0,
    symlink_size: 0,
    trailing_size: 0,
    counts: Default::default(),
    files: Vec::new(),
    notes: Vec::new(),
    captured: Vec::new(),
    detected: Default::default(),
});

/// What [`SetModel::walk`] reports besides the table's changes.
pub(crate) trait Walker: overlay::Sink {
    /// A copy to walk other children from the current node: the same state, without
    /// the results gathered so far.
    fn forked(&self) -> Self
    where
        Self: Sized;

    /// The layer of `node` is about to be applied.
    fn pushing(&mut self, _o: &overlay::Overlay<'_, '_>, _node: u32) {}
    /// The layer of `node` is applied (the top of the stack).
    fn applied(&mut self, _o: &overlay::Overlay<'_, '_>, _node: u32) {}
    /// Image `image` ends at the node on top of the stack.
    fn image(&mut self, _o: &overlay::Overlay<'_, '_>, _image: u32) {}
    /// The layer of `node` is about to be taken off.
    fn leaving(&mut self, _o: &overlay::Overlay<'_, '_>, _node: u32) {}
    /// The layer of `node` was taken off.
    fn left(&mut self, _o: &overlay::Overlay<'_, '_>, _node: u32) {}
}

impl SetModel<'_> {
    /// Walk the ChainID tree depth first, with one table per worker: each worker takes
    /// whole root subtrees (largest first, to the least loaded worker), and a worker
    /// owed more than one core by its share of the work splits its tree at the first
    /// node with several children: a copy of its walker and table takes some of the
    /// children (largest first) on another core, then unwinds back to the root. Returns every walker when done
    /// (the caller merges what they saw; a copy repeats the figures of the nodes above
    /// the split, which merge to the same values).
    pub(crate) fn walk<W: Walker + Send + Clone>(&self, make: impl Fn() -> W + Sync) -> Vec<W> {
        use rayon::prelude::*;
        let tree = &self.tree;
        // Work of a subtree: the records of its layers.
        let mut weight = vec![0u64; tree.nodes.len()];
        for (i, n) in tree.nodes.iter().enumerate().rev() {
            weight[i] += self.files(n.layer).len() as u64 + 1;
            if let Some(p) = n.parent {
                weight[p as usize] += weight[i];
            }
        }
        let threads = rayon::current_num_threads().max(1);
        let workers = threads.clamp(1, tree.roots.len().max(1));
        let total: u64 = tree.roots.iter().map(|&r| weight[r as usize]).sum();
        let mut roots = tree.roots.clone();
        roots.sort_by_key(|&r| std::cmp::Reverse(weight[r as usize]));
        let mut bins: Vec<(u64, Vec<u32>)> = vec![(0, Vec::new()); workers];
        for r in roots {
            let bin = bins
                .iter_mut()
                .min_by_key(|b| b.0)
                .expect("one bin at least");
            bin.0 += weight[r as usize];
            bin.1.push(r);
        }
        let out = std::sync::Mutex::new(Vec::new());
        bins.into_par_iter().for_each(|(load, roots)| {
            // The cores a bin is owed by its share of the work, rounded: one of a
            // lopsided set (a big family beside a few small images) takes the cores the
            // light bins leave and splits inside its trees.
            let owed = (threads as u64 * load + total / 2) / total.max(1);
            let spare = (owed as usize).max(1) - 1;
            let mut w = make();
            let mut o = overlay::Overlay::new(self);
            // Roots in the tree's order, whatever the bin's order.
            let mut roots = roots;
            roots.sort_unstable();
            for root in roots {
                self.walk_from(root, &mut o, &mut w, spare, &weight, &out);
            }
            out.lock().expect("no walker panicked").push(w);
        });
        out.into_inner().expect("no walker panicked")
    }

    fn walk_from<'m, W: Walker + Send + Clone>(
        &'m self,
        n: u32,
        o: &mut overlay::Overlay<'m, '_>,
        w: &mut W,
        spare: usize,
        weight: &[u64],
        out: &std::sync::Mutex<Vec<W>>,
    ) {
        let node = self.tree.node(n);
        w.pushing(o, n);
        o.push(n, w);
        w.applied(o, n);
        for &img in &node.images {
            w.image(o, img);
        }
        if spare > 0 && node.children.len() > 1 {
            // Children in groups, largest first to the lightest group: the first group
            // stays here, each other one goes to a copy.
            let groups = (spare + 1).min(node.children.len());
            let mut children = node.children.clone();
            children.sort_by_key(|&c| std::cmp::Reverse(weight[c as usize]));
            let mut bins: Vec<(u64, Vec<u32>)> = vec![(0, Vec::new()); groups];
            for c in children {
                let bin = bins.iter_mut().min_by_key(|b| b.0).expect("a group");
                bin.0 += weight[c as usize];
                bin.1.push(c);
            }
            for b in &mut bins {
                b.1.sort_unstable();
            }
            let mine = bins.remove(0).1;
            let forks: Vec<(overlay::Overlay<'m, '_>, W, Vec<u32>)> = bins
                .into_iter()
                .map(|(_, group)| (o.clone(), w.forked(), group))
                .collect();
            rayon::scope(|s| {
                for (mut o2, mut w2, group) in forks {
                    s.spawn(move |_| {
                        for c in group {
                            self.walk_from(c, &mut o2, &mut w2, 0, weight, out);
                        }
                        // Back to the root, so that what the copy saw is complete.
                        while let Some(&top) = o2.stack().last() {
                            w2.leaving(&o2, top);
                            o2.pop(&mut w2);
                            w2.left(&o2, top);
                        }
                        out.lock().expect("no walker panicked").push(w2);
                    });
                }
                for c in mine {
                    self.walk_from(c, o, w, 0, weight, out);
                }
            });
        } else {
            for &c in &node.children {
                self.walk_from(c, o, w, spare, weight, out);
            }
        }
        w.leaving(o, n);
        o.pop(w);
        w.left(o, n);
    }
}

#[cfg(test)]
mod tests {
    use super::overlay::{At, Overlay, Sink, Why};
    use super::*;
    use crate::testutil::set;

    /// The images each walker reached.
    #[derive(Clone, Default)]
    struct Reached(Vec<u32>);

    impl Sink for Reached {
        fn enter(&mut self, _: &Overlay<'_, '_>, _: u32, _: At) {}
        fn leave(&mut self, _: &Overlay<'_, '_>, _: u32, _: At, _: Why) {}
    }

    impl Walker for Reached {
        fn forked(&self) -> Self {
            Reached::default()
        }
        fn image(&mut self, _: &Overlay<'_, '_>, image: u32) {
            self.0.push(image);
        }
    }

    /// A big family beside one small image: the family's worker is owed both cores and
    /// splits its tree (three walkers: two workers and one copy), and every image is
    /// reached exactly once.
    #[test]
    fn a_lopsided_set_splits_its_big_family_across_cores() {
        let base: Vec<_> = ["bin/sh", "bin/ls", "etc/passwd", "usr/lib/libc.so"]
            .into_iter()
            .map(|p| ("f", p, 10, 1))
            .collect();
        let names = ["a", "b", "c", "d"];
        let paths: Vec<Vec<String>> = names
            .iter()
            .map(|n| (0..20).map(|j| format!("srv/{n}/f{j}")).collect())
            .collect();
        let mut images = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let own: Vec<_> = paths[i]
                .iter()
                .map(|p| ("f", p.as_str(), 1, i as u128 + 2))
                .collect();
            images.push((*name, vec![base.clone(), own]));
        }
        images.push(("small", vec![vec![("f", "x", 1, 9)]]));
        let s = set(&images);
        let m = SetModel::new(&s);
        assert_eq!(m.tree().roots.len(), 2);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let walkers = pool.install(|| m.walk(Reached::default));
        assert_eq!(walkers.len(), 3, "two workers and one copy");
        let mut reached: Vec<u32> = walkers.into_iter().flat_map(|w| w.0).collect();
        reached.sort_unstable();
        assert_eq!(reached, [0, 1, 2, 3, 4]);
    }
}

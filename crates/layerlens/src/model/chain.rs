//! ChainIDs, as the OCI image spec defines them: the identity of a layer *on its
//! parents*. Overlay stores (overlay2, `docker system df -v`) keep one snapshot per
//! ChainID, so an identical layer on a different parent is stored twice.
//!
//! `ChainID(L1) = DiffID(L1)`; `ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))`.
//!
//! The images of a set form a tree of ChainIDs ([`ChainTree`]): each node is one
//! distinct ChainID, its parent the ChainID below it. Each ChainID is computed once,
//! however many images share it.

use std::collections::HashMap;

use crate::digest::Digest;
use crate::read::analyzer::ImageSet;

/// The ChainIDs of a stack of diff_ids, lowest first.
pub fn chain_ids<'a, I>(diff_ids: I) -> Vec<Digest>
where
    I: IntoIterator<Item = &'a Digest>,
{
    let mut out: Vec<Digest> = Vec::new();
    for diff_id in diff_ids {
        let next = match out.last() {
            None => diff_id.clone(),
            Some(parent) => next_chain_id(parent, diff_id),
        };
        out.push(next);
    }
    out
}

fn next_chain_id(parent: &Digest, diff_id: &Digest) -> Digest {
    Digest::sha256_of(format!("{parent} {diff_id}").as_bytes())
}

/// One distinct ChainID of the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainNode {
    /// The ChainID.
    pub chain_id: Digest,
    /// The node below, `None` for a bottom layer.
    pub parent: Option<u32>,
    /// The layer on top: its number in [`crate::model::SetModel::layers`].
    pub layer: u32,
    /// Its position in every image that has it (0 = lowest).
    pub depth: u32,
    /// The nodes built on it, in order of first appearance.
    pub children: Vec<u32>,
    /// The images whose top layer it is (indexes into the set's images, ascending).
    pub images: Vec<u32>,
    /// How many images have it (it or a node above it is their top).
    pub image_count: u32,
}

/// The ChainID tree of a set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainTree {
    /// Every node, parents before children.
    pub nodes: Vec<ChainNode>,
    /// The bottom nodes, in order of first appearance.
    pub roots: Vec<u32>,
    /// Per image of the set: its node at each layer position, lowest first.
    pub paths: Vec<Vec<u32>>,
}

impl ChainTree {
    /// Build the tree of `set`'s images; `layer_of(diff_id)` numbers the layers.
    pub(crate) fn new(set: &ImageSet, layer_of: impl Fn(&Digest) -> u32) -> ChainTree {
        let mut tree = ChainTree::default();
        let mut known: HashMap<(u32, u32), u32> = HashMap::new();
        for (i, img) in set.images.iter().enumerate() {
            let mut path = Vec::with_capacity(img.layers.len());
            let mut parent: Option<u32> = None;
            for (depth, l) in img.layers.iter().enumerate() {
                let layer = layer_of(&l.diff_id);
                let key = (parent.unwrap_or(u32::MAX), layer);
                let node = match known.get(&key) {
                    Some(&n) => n,
                    None => {
                        let chain_id = match parent {
                            None => l.diff_id.clone(),
                            Some(p) => next_chain_id(&tree.nodes[p as usize].chain_id, &l.diff_id),
                        };
                        let n = tree.nodes.len() as u32;
                        tree.nodes.push(ChainNode {
                            chain_id,
                            parent,
                            layer,
                            depth: depth as u32,
                            children: Vec::new(),
                            images: Vec::new(),
                            image_count: 0,
                        });
                        match parent {
                            Some(p) => tree.nodes[p as usize].children.push(n),
                            None => tree.roots.push(n),
                        }
                        known.insert(key, n);
                        n
                    }
                };
                tree.nodes[node as usize].image_count += 1;
                path.push(node);
                parent = Some(node);
            }
            if let Some(top) = parent {
                tree.nodes[top as usize].images.push(i as u32);
            }
            tree.paths.push(path);
        }
        tree
    }

    /// The node of `id`.
    pub fn node(&self, id: u32) -> &ChainNode {
        &self.nodes[id as usize]
    }

    /// The top node of image `image`, `None` when it has no layers.
    pub fn top(&self, image: usize) -> Option<u32> {
        self.paths[image].last().copied()
    }

    /// How many of the lowest layers two images have on the same parents.
    pub fn common_prefix(&self, a: usize, b: usize) -> usize {
        self.paths[a]
            .iter()
            .zip(&self.paths[b])
            .take_while(|(x, y)| x == y)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_oci_definition() {
        let a = Digest::sha256_of(b"a");
        let b = Digest::sha256_of(b"b");
        let ids = chain_ids([&a, &b]);
        assert_eq!(ids[0], a);
        assert_eq!(
            ids[1],
            Digest::sha256_of(format!("{} {}", a.as_str(), b.as_str()).as_bytes())
        );
        // The same layer on another parent has another ChainID.
        assert_ne!(chain_ids([&b])[0], ids[1]);
        assert!(chain_ids(std::iter::empty()).is_empty());
    }

    #[test]
    fn tree_shares_prefixes_and_computes_each_chain_id_once() {
        use crate::testutil::set;
        let base = vec![("f", "bin/sh", 1, 1)];
        let s = set(&[
            ("a", vec![base.clone(), vec![("f", "a", 1, 2)]]),
            ("b", vec![base.clone(), vec![("f", "b", 1, 3)]]),
            ("c", vec![vec![("f", "a", 1, 2)]]),
        ]);
        let numbers: HashMap<&Digest, u32> = s
            .layers
            .keys()
            .enumerate()
            .map(|(i, d)| (d, i as u32))
            .collect();
        let t = ChainTree::new(&s, |d| numbers[d]);
        assert_eq!(t.nodes.len(), 4);
        assert_eq!(t.roots.len(), 2);
        for (i, img) in s.images.iter().enumerate() {
            let ids = chain_ids(img.layers.iter().map(|l| &l.diff_id));
            let got: Vec<&Digest> = t.paths[i].iter().map(|&n| &t.node(n).chain_id).collect();
            assert_eq!(got, ids.iter().collect::<Vec<_>>());
        }
        let a = s.images.iter().position(|i| i.refs[0] == "a").unwrap();
        let b = s.images.iter().position(|i| i.refs[0] == "b").unwrap();
        assert_eq!(t.common_prefix(a, b), 1);
        assert_eq!(t.node(t.paths[a][0]).image_count, 2);
    }
}

//! Families: images grouped into a tree by common ChainID prefix. Each node is a base
//! (the prefix of layers its images share, on the same parents), the images built on
//! it, and the sub-bases below it. Also the layers that *almost* share: the same diff_id
//! on another parent (rebasing would share it), and layers with the same paths and
//! contents but another diff_id (a reproducible build would share them).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::{Deserialize, Serialize};
use twox_hash::XxHash3_128;

use crate::digest::Digest;
use crate::model::chain::image_chain_ids;
use crate::read::analyzer::{Image, ImageSet};
use crate::read::layer::EntryKind;

/// One node of the families tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyNode {
    /// The images' common ref prefix (`acme/svc-*`), or the base image's ref.
    pub name: String,
    /// The ChainID of the top layer of the shared prefix.
    pub chain_id: Digest,
    /// Layers in the shared prefix.
    pub depth: u64,
    /// Content bytes of the shared prefix.
    pub size: u64,
    /// The ids of every image built on this prefix, sorted.
    pub images: Vec<Digest>,
    /// Sum of those images' sizes.
    pub naive_size: u64,
    /// Content bytes of the distinct ChainIDs of those images (stored once each).
    pub stored_size: u64,
    /// Longer prefixes shared by some of the images, largest first.
    pub children: Vec<FamilyNode>,
}

struct Ctx<'a> {
    set: &'a ImageSet,
    chains: Vec<Vec<Digest>>,
}

impl Ctx<'_> {
    fn layer_size(&self, img: usize, pos: usize) -> u64 {
        let d = &self.set.images[img].layers[pos].diff_id;
        self.set.layers.get(d).map_or(0, |l| l.content_size)
    }

    fn image_size(&self, img: usize) -> u64 {
        (0..self.chains[img].len())
            .map(|p| self.layer_size(img, p))
            .sum()
    }

    fn node(&self, group: Vec<usize>, start: usize) -> FamilyNode {
        let first = &self.chains[group[0]];
        let mut depth = start + 1;
        while depth < first.len()
            && group
                .iter()
                .all(|&i| self.chains[i].get(depth) == Some(&first[depth]))
        {
            depth += 1;
        }
        let mut stored: HashSet<&Digest> = HashSet::new();
        let mut stored_size = 0;
        for &i in &group {
            for (p, c) in self.chains[i].iter().enumerate() {
                if stored.insert(c) {
                    stored_size += self.layer_size(i, p);
                }
            }
        }
        let mut subgroups: BTreeMap<&Digest, Vec<usize>> = BTreeMap::new();
        for &i in &group {
            if let Some(c) = self.chains[i].get(depth) {
                subgroups.entry(c).or_default().push(i);
            }
        }
        let mut children: Vec<FamilyNode> = subgroups
            .into_values()
            .map(|g| self.node(g, depth))
            .collect();
        sort_nodes(&mut children);
        let images: Vec<&Image> = group.iter().map(|&i| &self.set.images[i]).collect();
        let base = group
            .iter()
            .find(|&&i| self.chains[i].len() == depth)
            .map(|&i| &self.set.images[i]);
        let mut ids: Vec<Digest> = images.iter().map(|i| i.id.clone()).collect();
        ids.sort();
        FamilyNode {
            name: family_name(&images, base),
            chain_id: first[depth - 1].clone(),
            depth: depth as u64,
            size: (0..depth).map(|p| self.layer_size(group[0], p)).sum(),
            naive_size: group.iter().map(|&i| self.image_size(i)).sum(),
            stored_size,
            images: ids,
            children,
        }
    }
}

fn sort_nodes(nodes: &mut [FamilyNode]) {
    nodes.sort_by(|a, b| {
        b.naive_size
            .cmp(&a.naive_size)
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.chain_id.cmp(&b.chain_id))
    });
}

/// Name a node: one image → its name; else the common prefix of the images' first refs
/// followed by `*` (`acme/svc-*`); else the base image's name; else the count.
fn family_name(images: &[&Image], base: Option<&Image>) -> String {
    if images.len() == 1 {
        return images[0].name();
    }
    let refs: Vec<&str> = images
        .iter()
        .filter_map(|i| i.refs.first().map(String::as_str))
        .collect();
    if refs.len() == images.len() {
        let mut prefix = refs[0];
        for r in &refs[1..] {
            let common = prefix
                .char_indices()
                .zip(r.chars())
                .take_while(|((_, a), b)| a == b)
                .last()
                .map_or(0, |((i, a), _)| i + a.len_utf8());
            prefix = &prefix[..common];
        }
        if prefix.chars().count() >= 3 {
            return format!("{prefix}*");
        }
    }
    match base {
        Some(b) => format!("{} + {} more", b.name(), images.len() - 1),
        None => format!("{} images", images.len()),
    }
}

/// The families tree: one root per distinct bottom layer, largest first. Images with no
/// layers are left out.
pub fn families(set: &ImageSet) -> Vec<FamilyNode> {
    let ctx = Ctx {
        set,
        chains: set.images.iter().map(image_chain_ids).collect(),
    };
    let mut roots: BTreeMap<&Digest, Vec<usize>> = BTreeMap::new();
    for (i, c) in ctx.chains.iter().enumerate() {
        if let Some(first) = c.first() {
            roots.entry(first).or_default().push(i);
        }
    }
    let mut out: Vec<FamilyNode> = roots.into_values().map(|g| ctx.node(g, 0)).collect();
    sort_nodes(&mut out);
    out
}

/// Why layers almost share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NearSharedKind {
    /// The same diff_id on different parents: stored once per parent by overlay stores;
    /// rebasing the images on one parent would share it.
    Rebased,
    /// Different diff_ids with the same paths, kinds, sizes, link targets and contents
    /// (only timestamps, owners, modes or entry order differ): a reproducible build would
    /// share them.
    SameContent,
}

/// A group of layers that could be shared and are not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NearShared {
    /// Why.
    pub kind: NearSharedKind,
    /// The diff_ids involved (one for `rebased`), sorted.
    pub diff_ids: Vec<Digest>,
    /// The ChainIDs involved, sorted.
    pub chain_ids: Vec<Digest>,
    /// Content bytes of one copy.
    pub size: u64,
    /// What sharing would save in an overlay store: `size × (copies − 1)`.
    pub savable_size: u64,
    /// The images involved, sorted.
    pub images: Vec<Digest>,
}

/// Layers with content that are stored more than once but could be shared, largest
/// saving first.
pub fn near_shared(set: &ImageSet) -> Vec<NearShared> {
    let chains: Vec<Vec<Digest>> = set.images.iter().map(image_chain_ids).collect();
    // diff_id -> (chain ids, images)
    type Users<'a> = (BTreeSet<&'a Digest>, BTreeSet<&'a Digest>);
    let mut by_diff: BTreeMap<&Digest, Users<'_>> = BTreeMap::new();
    for (img, ids) in set.images.iter().zip(&chains) {
        for (l, c) in img.layers.iter().zip(ids) {
            let e = by_diff.entry(&l.diff_id).or_default();
            e.0.insert(c);
            e.1.insert(&img.id);
        }
    }
    let size_of = |d: &Digest| set.layers.get(d).map_or(0, |l| l.content_size);
    let mut out = Vec::new();
    for (d, (cs, imgs)) in &by_diff {
        let size = size_of(d);
        if cs.len() > 1 && size > 0 {
            out.push(NearShared {
                kind: NearSharedKind::Rebased,
                diff_ids: vec![(*d).clone()],
                chain_ids: cs.iter().map(|c| (*c).clone()).collect(),
                size,
                savable_size: size * (cs.len() as u64 - 1),
                images: imgs.iter().map(|i| (*i).clone()).collect(),
            });
        }
    }
    let mut by_sig: BTreeMap<u128, Vec<&Digest>> = BTreeMap::new();
    for d in by_diff.keys() {
        if let Some(sig) = content_signature(set, d) {
            by_sig.entry(sig).or_default().push(d);
        }
    }
    for ds in by_sig.into_values().filter(|ds| ds.len() > 1) {
        let mut cs = BTreeSet::new();
        let mut imgs = BTreeSet::new();
        for d in &ds {
            cs.extend(by_diff[d].0.iter().copied());
            imgs.extend(by_diff[d].1.iter().copied());
        }
        let size = size_of(ds[0]);
        out.push(NearShared {
            kind: NearSharedKind::SameContent,
            diff_ids: ds.iter().map(|d| (*d).clone()).collect(),
            chain_ids: cs.into_iter().cloned().collect(),
            size,
            savable_size: size * (ds.len() as u64 - 1),
            images: imgs.into_iter().cloned().collect(),
        });
    }
    out.sort_by(|a, b| {
        b.savable_size
            .cmp(&a.savable_size)
            .then_with(|| a.diff_ids.cmp(&b.diff_ids))
    });
    out
}

/// A digest of what a layer holds, ignoring timestamps, owners, modes and entry order;
/// `None` for layers without content or without per-file digests.
fn content_signature(set: &ImageSet, diff_id: &Digest) -> Option<u128> {
    let layer = set.layers.get(diff_id)?;
    if layer.content_size == 0 || layer.files.is_empty() {
        return None;
    }
    let mut entries: Vec<_> = layer.files.iter().collect();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let mut h = XxHash3_128::new();
    for f in entries {
        if f.kind == EntryKind::Regular && f.digest.is_none() {
            return None;
        }
        h.write(f.path.as_bytes());
        h.write(&[0, f.kind as u8]);
        h.write(&f.size.to_le_bytes());
        h.write(&f.digest.map_or(0, |d| d.0).to_le_bytes());
        h.write(f.link_target.as_deref().unwrap_or("").as_bytes());
        h.write(&[0]);
    }
    Some(h.finish_128())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{layer, set};

    #[test]
    fn tree_by_chain_prefix() {
        let b1 = vec![("f", "bin/sh", 100, 1)];
        let b2 = vec![("f", "lib/libc", 50, 2)];
        let s = set(&[
            ("acme/base:1", vec![b1.clone(), b2.clone()]),
            (
                "acme/svc-a:1",
                vec![b1.clone(), b2.clone(), vec![("f", "a", 5, 3)]],
            ),
            (
                "acme/svc-b:1",
                vec![b1.clone(), b2.clone(), vec![("f", "b", 7, 4)]],
            ),
            ("other:1", vec![vec![("f", "x", 1, 5)]]),
        ]);
        let f = families(&s);
        assert_eq!(f.len(), 2);
        let top = &f[0];
        assert_eq!(top.name, "acme/*");
        assert_eq!((top.depth, top.size, top.images.len()), (2, 150, 3));
        assert_eq!(top.naive_size, 150 * 3 + 12);
        assert_eq!(top.stored_size, 162);
        assert_eq!(top.children.len(), 2);
        assert_eq!(top.children[0].name, "acme/svc-b:1");
        assert_eq!(top.children[0].depth, 3);
        assert_eq!(f[1].name, "other:1");
    }

    #[test]
    fn near_shared_layers() {
        let lib = vec![("f", "lib/x", 40, 9)];
        // Same content as `lib`, another diff_id (the mode differs).
        let mut lib2 = layer(&lib);
        lib2.files[0].mode = 0o600;
        let s0 = set(&[
            ("a:1", vec![vec![("f", "base-a", 10, 1)], lib.clone()]),
            ("b:1", vec![vec![("f", "base-b", 20, 2)], lib.clone()]),
        ]);
        let rebased = near_shared(&s0);
        assert_eq!(rebased.len(), 1);
        assert_eq!(rebased[0].kind, NearSharedKind::Rebased);
        assert_eq!(rebased[0].savable_size, 40);

        let mut s = set(&[("a:1", vec![lib.clone()]), ("c:1", vec![lib.clone()])]);
        let new_id = Digest::sha256_of(b"lib2");
        lib2.diff_id = new_id.clone();
        s.layers.insert(new_id.clone(), lib2);
        let c = s.images.iter_mut().find(|i| i.refs[0] == "c:1").unwrap();
        c.layers[0].diff_id = new_id;
        let same = near_shared(&s);
        assert_eq!(same.len(), 1);
        assert_eq!(same[0].kind, NearSharedKind::SameContent);
        assert_eq!(same[0].diff_ids.len(), 2);
    }
}

//! Families: images grouped into a tree by common ChainID prefix. Each node is a base
//! (the prefix of layers its images share, on the same parents), the images built on
//! it, and the sub-bases below it. Also the layers that *almost* share: the same diff_id
//! on another parent (rebasing would share it), and layers with the same paths and
//! contents but another diff_id (a reproducible build would share them).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use twox_hash::XxHash3_128;

use crate::digest::Digest;
use crate::model::SetModel;
use crate::read::analyzer::Image;
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

/// The images under `node` (its own and those above it), in the set's order.
fn images_under(m: &SetModel<'_>, node: u32) -> Vec<usize> {
    let tree = m.tree();
    let mut out = Vec::new();
    let mut todo = vec![node];
    while let Some(n) = todo.pop() {
        let n = tree.node(n);
        out.extend(n.images.iter().map(|&i| i as usize));
        todo.extend(&n.children);
    }
    out.sort_unstable();
    out
}

/// The family node starting at `start`: down the tree as long as every image of the
/// group goes on, then one child node per branch.
fn family(m: &SetModel<'_>, start: u32) -> FamilyNode {
    let tree = m.tree();
    let group = tree.node(start).image_count;
    let mut top = start;
    while let Some(&c) = tree
        .node(top)
        .children
        .iter()
        .find(|&&c| tree.node(c).image_count == group)
    {
        top = c;
    }
    let node = tree.node(top);
    let depth = node.depth as usize + 1;
    let images = images_under(m, top);
    // Stored: every node on the way to the top once, and every node above it once.
    let mut above = 0;
    let mut todo: Vec<u32> = node.children.clone();
    while let Some(n) = todo.pop() {
        let n = tree.node(n);
        above += m.content_size(n.layer);
        todo.extend(&n.children);
    }
    let mut children: Vec<FamilyNode> = node.children.iter().map(|&c| family(m, c)).collect();
    sort_nodes(&mut children);
    let refs: Vec<&Image> = images.iter().map(|&i| &m.images()[i]).collect();
    let base = images
        .iter()
        .find(|&&i| tree.paths[i].len() == depth)
        .map(|&i| &m.images()[i]);
    let mut ids: Vec<Digest> = refs.iter().map(|i| i.id.clone()).collect();
    ids.sort();
    FamilyNode {
        name: family_name(&refs, base),
        chain_id: node.chain_id.clone(),
        depth: depth as u64,
        size: m.cumulative_size(top),
        naive_size: images.iter().map(|&i| m.image_size(i)).sum(),
        stored_size: m.cumulative_size(top) + above,
        images: ids,
        children,
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
pub fn families(m: &SetModel<'_>) -> Vec<FamilyNode> {
    let mut out: Vec<FamilyNode> = m.tree().roots.iter().map(|&r| family(m, r)).collect();
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
pub fn near_shared(m: &SetModel<'_>) -> Vec<NearShared> {
    let tree = m.tree();
    // diff_id -> (chain ids, images)
    type Users<'a> = (BTreeSet<&'a Digest>, BTreeSet<&'a Digest>);
    let mut by_diff: BTreeMap<&Digest, Users<'_>> = BTreeMap::new();
    for (img, path) in m.images().iter().zip(&tree.paths) {
        for (l, &n) in img.layers.iter().zip(path) {
            let e = by_diff.entry(&l.diff_id).or_default();
            e.0.insert(&tree.node(n).chain_id);
            e.1.insert(&img.id);
        }
    }
    let size_of = |d: &Digest| m.layer_number(d).map_or(0, |l| m.content_size(l));
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
    // Only layers with the same content bytes and entry count can have the same
    // signature: hash those alone.
    let shape = |d: &Digest| {
        m.layer_number(d)
            .and_then(|l| m.layers()[l as usize].1)
            .map(|r| (r.content_size, r.files.len()))
    };
    let mut shapes: HashMap<(u64, usize), usize> = HashMap::new();
    for d in by_diff.keys() {
        if let Some(k) = shape(d) {
            *shapes.entry(k).or_default() += 1;
        }
    }
    let mut by_sig: BTreeMap<u128, Vec<&Digest>> = BTreeMap::new();
    for d in by_diff.keys() {
        if shape(d).is_none_or(|k| shapes[&k] <= 1) {
            continue;
        }
        if let Some(sig) = m.layer_number(d).and_then(|l| content_signature(m, l)) {
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
fn content_signature(m: &SetModel<'_>, number: u32) -> Option<u128> {
    let layer = m.layers()[number as usize].1?;
    if layer.content_size == 0 || layer.files.is_empty() {
        return None;
    }
    // By path: path numbers sort as paths do, except a whiteout's (the path it hides),
    // which is compared by its own path.
    let ids = m.paths().layer(number as usize);
    let wh =
        |f: &crate::FileRecord| matches!(f.kind, EntryKind::Whiteout | EntryKind::OpaqueWhiteout);
    let mut entries: Vec<usize> = (0..layer.files.len()).collect();
    entries.sort_by(|&a, &b| {
        let (x, y) = (&layer.files[a], &layer.files[b]);
        if wh(x) || wh(y) {
            x.path.cmp(&y.path)
        } else {
            ids[a].cmp(&ids[b])
        }
    });
    let mut h = XxHash3_128::new();
    for f in entries.into_iter().map(|i| &layer.files[i]) {
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
        let f = families(&SetModel::new(&s));
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
        let rebased = near_shared(&SetModel::new(&s0));
        assert_eq!(rebased.len(), 1);
        assert_eq!(rebased[0].kind, NearSharedKind::Rebased);
        assert_eq!(rebased[0].savable_size, 40);

        let mut s = set(&[("a:1", vec![lib.clone()]), ("c:1", vec![lib.clone()])]);
        let new_id = Digest::sha256_of(b"lib2");
        lib2.diff_id = new_id.clone();
        s.layers.insert(new_id.clone(), lib2);
        let c = s.images.iter_mut().find(|i| i.refs[0] == "c:1").unwrap();
        c.layers[0].diff_id = new_id;
        let same = near_shared(&SetModel::new(&s));
        assert_eq!(same.len(), 1);
        assert_eq!(same[0].kind, NearSharedKind::SameContent);
        assert_eq!(same[0].diff_ids.len(), 2);
    }
}

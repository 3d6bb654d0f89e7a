//! The four-level ledger of an image set: what the images add up to, and what is really
//! stored at each level of sharing.
//!
//! * **naive**: the sum of image sizes (what adding up `docker images` says);
//! * **blob dedup**: each diff_id once (a registry or content store);
//! * **chain dedup**: each ChainID once (overlay2, `docker system df -v`: an identical
//!   layer on a different parent is stored twice);
//! * **content dedup**: each distinct regular-file content visible in the final
//!   filesystems once (the floor a perfect layout could reach).

use serde::{Deserialize, Serialize};

use crate::digest::ContentDigest;
use crate::forensics::duplicates::VISIBLE;
use crate::model::contents::NO_CONTENT;
use crate::model::SetModel;
use crate::read::layer::EntryKind;

/// The ledger of a set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ledger {
    /// Sum of image sizes.
    pub naive_size: u64,
    /// Content bytes of each distinct diff_id once.
    pub dedup_size: u64,
    /// Content bytes of each distinct ChainID once.
    pub chain_dedup_size: u64,
    /// Each distinct regular-file content of the final filesystems once.
    pub content_dedup_size: u64,
    /// Per image, in the set's order.
    pub images: Vec<ImageLedger>,
}

/// One image's `docker system df -v` figures.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImageLedger {
    /// Content bytes of its layers whose ChainID another image of the set also has.
    pub chain_shared_size: u64,
    /// `size - chain_shared_size`.
    pub chain_unique_size: u64,
}

/// The identity of a visible file's content: its digest and size, or, when no digest
/// was computed, the layer and path that hold it (never merged with anything else).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum ContentId {
    /// Content digest and size.
    Hashed(ContentDigest, u64),
    /// No digest: the layer number and path number of the entry.
    Unhashed(u32, u32),
}

/// The content identity of record `entry` of layer `layer`.
pub(crate) fn content_id(m: &SetModel<'_>, layer: u32, entry: u32) -> ContentId {
    let rec = &m.files(layer)[entry as usize];
    match rec.digest {
        Some(d) => ContentId::Hashed(d, rec.size),
        None => ContentId::Unhashed(layer, m.paths().layer(layer as usize)[entry as usize]),
    }
}

/// Compute the ledger. `marks` say which records are visible in some final filesystem.
pub(crate) fn ledger(m: &SetModel<'_>, marks: &[Vec<u8>]) -> Ledger {
    let tree = m.tree();
    let mut out = Ledger::default();
    for (i, path) in tree.paths.iter().enumerate() {
        let size = m.image_size(i);
        let shared: u64 = path
            .iter()
            .filter(|&&n| tree.node(n).image_count > 1)
            .map(|&n| m.content_size(tree.node(n).layer))
            .sum();
        out.naive_size += size;
        out.images.push(ImageLedger {
            chain_shared_size: shared,
            chain_unique_size: size - shared,
        });
    }
    let mut used = vec![false; m.layers().len()];
    for n in &tree.nodes {
        used[n.layer as usize] = true;
        out.chain_dedup_size += m.content_size(n.layer);
    }
    out.dedup_size = (0..used.len() as u32)
        .filter(|&l| used[l as usize])
        .map(|l| m.content_size(l))
        .sum();
    out.content_dedup_size = content_dedup_size(m, marks);
    out
}

/// Bytes of the distinct contents visible in the final filesystems ([`ContentId`]),
/// from the marked records: a content numbered in the model counts once (a bit per
/// content), a record without a digest counts by its layer and path.
fn content_dedup_size(m: &SetModel<'_>, marks: &[Vec<u8>]) -> u64 {
    let contents = m.contents();
    let mut counted = vec![false; contents.len()];
    let mut total = 0;
    let mut unhashed: Vec<(u32, u32, u64)> = Vec::new();
    for (l, layer_marks) in marks.iter().enumerate() {
        let files = m.files(l as u32);
        let numbers = contents.of_layer(l as u32);
        for (e, &mark) in layer_marks.iter().enumerate() {
            if mark & VISIBLE == 0 || files[e].kind != EntryKind::Regular {
                continue;
            }
            let c = numbers[e];
            if c != NO_CONTENT {
                if !std::mem::replace(&mut counted[c as usize], true) {
                    total += contents.key(c).1;
                }
            } else {
                unhashed.push((l as u32, m.paths().layer(l)[e], files[e].size));
            }
        }
    }
    unhashed.sort_unstable();
    unhashed.dedup_by(|a, b| (a.0, a.1) == (b.0, b.1));
    total + unhashed.iter().map(|u| u.2).sum::<u64>()
}

#[cfg(test)]
mod tests {
    use crate::testutil::{image_report, report, set};

    #[test]
    fn four_levels() {
        let base = vec![("f", "bin/sh", 100, 1)];
        let app = vec![("f", "app", 10, 2)];
        let other_base = vec![("f", "bin/bash", 200, 3), ("f", "copy-of-sh", 100, 1)];
        let s = set(&[
            ("x:1", vec![base.clone(), app.clone()]),
            (
                "y:1",
                vec![base.clone(), app.clone(), vec![("f", "y", 1, 4)]],
            ),
            ("z:1", vec![other_base, app.clone()]),
        ]);
        let r = report(&s);
        let l = &r.totals;
        assert_eq!(l.naive_size, 110 + 111 + 310);
        assert_eq!(l.dedup_size, 100 + 10 + 1 + 300);
        // `app` on z's base is a second snapshot.
        assert_eq!(l.chain_dedup_size, 100 + 10 + 1 + 300 + 10);
        // Contents: sh (=copy-of-sh), app, y, bash.
        assert_eq!(l.content_dedup_size, 100 + 10 + 1 + 200);
        assert_eq!(image_report(&r, "y:1").chain_shared_size, 110);
        assert_eq!(image_report(&r, "y:1").chain_unique_size, 1);
        assert_eq!(image_report(&r, "z:1").chain_shared_size, 0);
    }
}

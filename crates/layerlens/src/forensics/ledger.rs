//! The four-level ledger of an image set: what the images add up to, and what is really
//! stored at each level of sharing.
//!
//! * **naive**: the sum of image sizes (what adding up `docker images` says);
//! * **blob dedup**: each diff_id once (a registry or content store);
//! * **chain dedup**: each ChainID once (overlay2, `docker system df -v`: an identical
//!   layer on a different parent is stored twice);
//! * **content dedup**: each distinct regular-file content visible in the final
//!   filesystems once (the floor a perfect layout could reach).

// A seeded fast hasher: these maps are keyed by paths and digests on hot paths.
use foldhash::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::digest::{ContentDigest, Digest};
use crate::forensics::waste::Replay;
use crate::model::chain::image_chain_ids;
use crate::read::analyzer::ImageSet;

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

/// One image's ChainIDs and its `docker system df -v` figures.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImageLedger {
    /// The ChainID of each layer position, lowest first.
    pub chain_ids: Vec<Digest>,
    /// Content bytes of its layers whose ChainID another image of the set also has.
    pub chain_shared_size: u64,
    /// `size - chain_shared_size`.
    pub chain_unique_size: u64,
}

/// The identity of a visible file's content: its digest and size, or, when no digest
/// was computed, the layer and path that hold it (never merged with anything else).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContentId<'a> {
    /// Content digest and size.
    Hashed(ContentDigest, u64),
    /// No digest: the diff_id and path of the entry.
    Unhashed(&'a Digest, &'a str),
}

/// Compute the ledger. `replays` are the images' replays, in the set's order.
pub fn ledger(set: &ImageSet, replays: &[Replay<'_>]) -> Ledger {
    let chains: Vec<Vec<Digest>> = set.images.iter().map(image_chain_ids).collect();
    let size_of = |d: &Digest| set.layers.get(d).map_or(0, |l| l.content_size);
    // How many images use each ChainID, and the diff_id on top of it.
    let mut chain_users: HashMap<&Digest, (usize, &Digest)> = HashMap::default();
    for (img, ids) in set.images.iter().zip(&chains) {
        let mut mine: Vec<(&Digest, &Digest)> = ids
            .iter()
            .zip(img.layers.iter().map(|l| &l.diff_id))
            .collect();
        mine.sort();
        mine.dedup_by_key(|(c, _)| *c);
        for (c, d) in mine {
            chain_users.entry(c).or_insert((0, d)).0 += 1;
        }
    }
    let mut out = Ledger::default();
    let mut blobs: HashSet<&Digest> = HashSet::default();
    for (img, ids) in set.images.iter().zip(&chains) {
        let mut size = 0;
        let mut shared = 0;
        for (l, c) in img.layers.iter().zip(ids) {
            let s = size_of(&l.diff_id);
            size += s;
            if chain_users.get(c).is_some_and(|u| u.0 > 1) {
                shared += s;
            }
            blobs.insert(&l.diff_id);
        }
        out.naive_size += size;
        out.images.push(ImageLedger {
            chain_ids: ids.clone(),
            chain_shared_size: shared,
            chain_unique_size: size - shared,
        });
    }
    out.dedup_size = blobs.iter().map(|d| size_of(d)).sum();
    out.chain_dedup_size = chain_users.values().map(|(_, d)| size_of(d)).sum();
    out.content_dedup_size = content_dedup_size(set, replays);
    out
}

/// Bytes of the distinct contents visible in the final filesystems ([`content_id`]).
/// Each visible entry is marked once in a per-layer table (the same entry is seen
/// through every image of a family), then the marked entries are sorted by content:
/// no hash set of every visible file.
fn content_dedup_size(set: &ImageSet, replays: &[Replay<'_>]) -> u64 {
    let marks = crate::forensics::waste::visible_regular(set, replays);
    let mut hashed: Vec<(ContentDigest, u64)> = Vec::new();
    let mut unhashed: Vec<(usize, &str, u64)> = Vec::new();
    for (l, (m, layer)) in marks.iter().zip(set.layers.values()).enumerate() {
        for (rec, _) in layer.files.iter().zip(m).filter(|(_, m)| **m) {
            match rec.digest {
                Some(d) => hashed.push((d, rec.size)),
                None => unhashed.push((l, rec.path.as_str(), rec.size)),
            }
        }
    }
    drop(marks);
    hashed.sort_unstable();
    hashed.dedup();
    unhashed.sort_unstable();
    unhashed.dedup_by(|a, b| (a.0, a.1) == (b.0, b.1));
    hashed.iter().map(|h| h.1).sum::<u64>() + unhashed.iter().map(|u| u.2).sum::<u64>()
}

/// The content identity of a visible regular file.
pub fn content_id<'a>(path: &'a str, v: &crate::forensics::waste::Visible<'a>) -> ContentId<'a> {
    match v.record.digest {
        Some(d) => ContentId::Hashed(d, v.record.size),
        None => ContentId::Unhashed(v.diff_id, path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forensics::waste::replay;
    use crate::testutil::set;

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
        let replays: Vec<_> = s.images.iter().map(|i| replay(&s, i)).collect();
        let l = ledger(&s, &replays);
        assert_eq!(l.naive_size, 110 + 111 + 310);
        assert_eq!(l.dedup_size, 100 + 10 + 1 + 300);
        // `app` on z's base is a second snapshot.
        assert_eq!(l.chain_dedup_size, 100 + 10 + 1 + 300 + 10);
        // Contents: sh (=copy-of-sh), app, y, bash.
        assert_eq!(l.content_dedup_size, 100 + 10 + 1 + 200);
        let y = s.images.iter().position(|i| i.refs[0] == "y:1").unwrap();
        assert_eq!(l.images[y].chain_shared_size, 110);
        assert_eq!(l.images[y].chain_unique_size, 1);
        let z = s.images.iter().position(|i| i.refs[0] == "z:1").unwrap();
        assert_eq!(l.images[z].chain_shared_size, 0);
    }
}

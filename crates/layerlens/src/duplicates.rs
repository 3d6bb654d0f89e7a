//! Duplicates: identical content at several paths of one image's final filesystem, and
//! content shipped in several images by different layers.

// A seeded fast hasher: these maps are keyed by paths and digests on hot paths.
use foldhash::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::analysis::ImageSet;
use crate::digest::{ContentDigest, Digest};
use crate::waste::Replay;

/// One content present at several paths of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateGroup {
    /// The content digest.
    pub digest: ContentDigest,
    /// Bytes of one copy.
    pub size: u64,
    /// The paths holding it, sorted.
    pub paths: Vec<String>,
    /// What deduplicating would save: `size × (copies − 1)`.
    pub saved_size: u64,
}

/// Duplicate groups of one image's final filesystem, largest saving first, and their
/// total saving (the image's `duplicate_size`). Empty files and files without a content
/// digest are never duplicates.
pub fn within_image(replay: &Replay<'_>) -> (u64, Vec<DuplicateGroup>) {
    let mut groups: HashMap<(ContentDigest, u64), Vec<&str>> = HashMap::default();
    for (path, v) in replay.regular_files() {
        if let (Some(d), true) = (v.record.digest, v.record.size > 0) {
            groups.entry((d, v.record.size)).or_default().push(path);
        }
    }
    let mut out: Vec<DuplicateGroup> = groups
        .into_iter()
        .filter(|(_, paths)| paths.len() > 1)
        .map(|((digest, size), mut paths)| {
            paths.sort_unstable();
            DuplicateGroup {
                digest,
                size,
                saved_size: size * (paths.len() as u64 - 1),
                paths: paths.into_iter().map(str::to_string).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.saved_size
            .cmp(&a.saved_size)
            .then_with(|| a.paths.cmp(&b.paths))
    });
    (out.iter().map(|g| g.saved_size).sum(), out)
}

/// One content shipped by several distinct layers across the set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedContent {
    /// The content digest.
    pub digest: ContentDigest,
    /// Bytes of one copy.
    pub size: u64,
    /// The distinct layers (diff_ids) that ship it, sorted.
    pub layers: Vec<Digest>,
    /// The images whose final filesystem shows it, sorted by id.
    pub images: Vec<Digest>,
    /// Some paths it is found at (at most 5), sorted.
    pub paths: Vec<String>,
    /// What sharing one copy would save in a blob store: `size × (layers − 1)`.
    pub saved_size: u64,
}

/// Contents visible in the final filesystems and shipped by two or more distinct layers,
/// largest saving first; and the total saving.
pub fn across_set(set: &ImageSet, replays: &[Replay<'_>]) -> (u64, Vec<SharedContent>) {
    // Hot path: every visible file of every image. Layers and images are numbered
    // once so that the per-file work hashes integers, not digest strings; the same
    // (layer, path) seen through many images of one family is counted once.
    let mut layer_no: HashMap<&Digest, u32> = HashMap::default();
    let mut layer_of: Vec<&Digest> = Vec::new();
    struct Seen<'a> {
        layers: Vec<u32>,
        images: Vec<u32>,
        /// The 5 smallest distinct paths, sorted.
        paths: Vec<&'a str>,
    }
    let mut by_content: HashMap<(ContentDigest, u64), Seen<'_>> = HashMap::default();
    let mut seen_pair: HashSet<(u32, &str)> = HashSet::default();
    for (ino, r) in replays.iter().enumerate() {
        let ino = ino as u32;
        for (path, v) in r.regular_files() {
            let (Some(d), true) = (v.record.digest, v.record.size > 0) else {
                continue;
            };
            let lno = *layer_no.entry(v.diff_id).or_insert_with(|| {
                layer_of.push(v.diff_id);
                (layer_of.len() - 1) as u32
            });
            let e = by_content
                .entry((d, v.record.size))
                .or_insert_with(|| Seen {
                    layers: Vec::new(),
                    images: Vec::new(),
                    paths: Vec::new(),
                });
            if e.images.last() != Some(&ino) {
                e.images.push(ino);
            }
            if !seen_pair.insert((lno, path)) {
                continue;
            }
            if !e.layers.contains(&lno) {
                e.layers.push(lno);
            }
            if let Err(at) = e.paths.binary_search(&path) {
                if at < 5 {
                    e.paths.insert(at, path);
                    e.paths.truncate(5);
                }
            }
        }
    }
    let mut out: Vec<SharedContent> = by_content
        .into_iter()
        .filter(|(_, seen)| seen.layers.len() > 1)
        .map(|((digest, size), seen)| {
            let mut layers: Vec<Digest> = seen
                .layers
                .iter()
                .map(|&l| layer_of[l as usize].clone())
                .collect();
            layers.sort();
            let mut images: Vec<Digest> = seen
                .images
                .iter()
                .map(|&i| set.images[i as usize].id.clone())
                .collect();
            images.sort();
            images.dedup();
            SharedContent {
                digest,
                size,
                saved_size: size * (layers.len() as u64 - 1),
                layers,
                images,
                paths: seen.paths.iter().map(|p| p.to_string()).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.saved_size
            .cmp(&a.saved_size)
            .then_with(|| a.digest.cmp(&b.digest))
            .then_with(|| a.size.cmp(&b.size))
    });
    (out.iter().map(|g| g.saved_size).sum(), out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{image, set};
    use crate::waste::replay;

    #[test]
    fn same_content_at_two_paths() {
        let s = set(&[
            (
                "a",
                vec![
                    vec![("f", "x", 100, 7), ("f", "y", 100, 7), ("f", "e1", 0, 0)],
                    vec![("f", "z", 100, 7), ("f", "e2", 0, 0), ("f", "w", 5, 1)],
                ],
            ),
            ("b", vec![vec![("f", "other/x", 100, 7)]]),
        ]);
        let r = replay(&s, image(&s, "a"));
        let (total, groups) = within_image(&r);
        assert_eq!(total, 200);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].paths, ["x", "y", "z"]);
        let replays: Vec<_> = s.images.iter().map(|i| replay(&s, i)).collect();
        let (saved, shared) = across_set(&s, &replays);
        // Three layers ship content 7: a's two and b's one.
        assert_eq!(shared.len(), 1);
        assert_eq!(shared[0].layers.len(), 3);
        assert_eq!(shared[0].images.len(), 2);
        assert_eq!(saved, 200);
    }
}

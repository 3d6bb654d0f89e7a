//! Duplicates: identical content at several paths of one image's final filesystem, and
//! content shipped in several images by different layers.

// A seeded fast hasher: these maps are keyed by paths and digests on hot paths.
use foldhash::HashMap;

use serde::{Deserialize, Serialize};

use crate::digest::{ContentDigest, Digest};
use crate::forensics::waste::Replay;
use crate::read::analyzer::ImageSet;
use crate::read::layer::FileRecord;

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
    // Sorting by content groups equal contents without a map of small vectors; paths
    // come out of the replay sorted, and a stable sort keeps them so within a group.
    // References only (8 bytes a file): several images are sorted at once.
    let mut files: Vec<&FileRecord> = replay
        .regular_files()
        .map(|(_, v)| v.record)
        .filter(|r| r.digest.is_some() && r.size > 0)
        .collect();
    files.sort_by_key(|r| (r.digest, r.size));
    let mut out: Vec<DuplicateGroup> = files
        .chunk_by(|a, b| (a.digest, a.size) == (b.digest, b.size))
        .filter(|g| g.len() > 1)
        .map(|g| {
            let (digest, size) = (g[0].digest.expect("digested files only"), g[0].size);
            DuplicateGroup {
                digest,
                size,
                saved_size: size * (g.len() as u64 - 1),
                paths: g.iter().map(|f| f.path.clone()).collect(),
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
    // Hot path: every visible file of every image. Each visible (layer, entry) pair is
    // marked once (the same entry seen through many images of one family is then looked
    // at once, by integers).
    let layer_of: Vec<(&Digest, &crate::LayerReport)> = set.layers.iter().collect();
    let visible = crate::forensics::waste::visible_regular(set, replays);
    let content =
        |v: &crate::forensics::waste::Visible<'_>| match (v.record.digest, v.record.size > 0) {
            (Some(d), true) => Some((d, v.record.size)),
            _ => None,
        };
    // Each content's distinct layers and 5 smallest distinct paths, from the marked
    // entries. Sorting them by content groups equal contents without a map entry per
    // content: only contents shipped by two or more layers get one.
    struct Seen<'a> {
        layers: Vec<u32>,
        images: Vec<u32>,
        /// The 5 smallest distinct paths, sorted.
        paths: Vec<&'a str>,
    }
    // (layer number, entry) of every marked entry: 8 bytes each, sorted by the record.
    let record = |(l, e): (u32, u32)| &layer_of[l as usize].1.files[e as usize];
    let mut marked: Vec<(u32, u32)> = Vec::new();
    for (lno, (marks, (_, layer))) in visible.iter().zip(&layer_of).enumerate() {
        for (e, (rec, _)) in layer
            .files
            .iter()
            .zip(marks)
            .enumerate()
            .filter(|(_, (_, m))| **m)
        {
            if rec.digest.is_some() && rec.size > 0 {
                marked.push((lno as u32, e as u32));
            }
        }
    }
    drop(visible);
    marked.sort_unstable_by(|&a, &b| {
        let (ra, rb) = (record(a), record(b));
        (ra.digest, ra.size, a.0, ra.path.as_str()).cmp(&(
            rb.digest,
            rb.size,
            b.0,
            rb.path.as_str(),
        ))
    });
    let mut by_content: HashMap<(ContentDigest, u64), Seen<'_>> = HashMap::default();
    for group in marked.chunk_by(|&a, &b| {
        let (ra, rb) = (record(a), record(b));
        (ra.digest, ra.size) == (rb.digest, rb.size)
    }) {
        if group.first().map(|g| g.0) == group.last().map(|g| g.0) {
            continue;
        }
        let mut layers: Vec<u32> = group.iter().map(|g| g.0).collect();
        layers.dedup();
        let mut paths: Vec<&str> = group.iter().map(|&g| record(g).path.as_str()).collect();
        paths.sort_unstable();
        paths.dedup();
        paths.truncate(5);
        let first = record(group[0]);
        by_content.insert(
            (first.digest.expect("digested entries only"), first.size),
            Seen {
                layers,
                images: Vec::new(),
                paths,
            },
        );
    }
    drop(marked);
    // The images showing a content shipped by several layers.
    if !by_content.is_empty() {
        for (ino, r) in replays.iter().enumerate() {
            let ino = ino as u32;
            for (_, v) in r.regular_files() {
                let Some(key) = content(&v) else { continue };
                if let Some(e) = by_content.get_mut(&key) {
                    if e.images.last() != Some(&ino) {
                        e.images.push(ino);
                    }
                }
            }
        }
    }
    let mut out: Vec<SharedContent> = by_content
        .into_iter()
        .map(|((digest, size), seen)| {
            let mut layers: Vec<Digest> = seen
                .layers
                .iter()
                .map(|&l| layer_of[l as usize].0.clone())
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
    use crate::forensics::waste::replay;
    use crate::testutil::{image, set};

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

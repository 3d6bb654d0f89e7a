//! Duplicates: identical content at several paths of one image's final filesystem, and
//! content shipped in several images by different layers.
//!
//! Along the walk, every content that two records or more of the set hold is counted
//! at the paths where it is visible: an image's duplicates are read at its top node
//! from those counts. Which records are visible in at least one final filesystem, and
//! in which images each content shipped by several layers is visible, is recorded as
//! intervals of the walk's image order ([`Seen`]), so no final filesystem is ever
//! listed whole.

use serde::{Deserialize, Serialize};

use crate::digest::{ContentDigest, Digest};
use crate::model::contents::NO_CONTENT;
use crate::model::overlay::{At, Overlay};
use crate::model::SetModel;

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

const NONE: u32 = u32::MAX;

/// The within-image duplicates facet: per content held by two records or more, the
/// paths where it is visible now.
#[derive(Clone)]
pub(crate) struct Within {
    paths: Vec<Vec<u32>>,
    /// Contents visible at two paths or more now, and each one's place in it.
    active: Vec<u32>,
    place: Vec<u32>,
    /// Σ size × (copies − 1) over the active contents.
    saved: u64,
}

fn dup_content(o: &Overlay<'_, '_>, at: At) -> Option<(u32, u64)> {
    let c = o.m.contents().dup_of(o.layer_at(at.depth), at.entry);
    (c != NO_CONTENT).then(|| (c, o.m.contents().dup_size(c)))
}

impl Within {
    pub fn new(m: &SetModel<'_>) -> Self {
        let n = m.contents().len();
        Within {
            paths: vec![Vec::new(); n],
            active: Vec::new(),
            place: vec![NONE; n],
            saved: 0,
        }
    }

    pub fn enter(&mut self, o: &Overlay<'_, '_>, pid: u32, at: At) {
        let Some((c, size)) = dup_content(o, at) else {
            return;
        };
        let paths = &mut self.paths[c as usize];
        paths.push(pid);
        if paths.len() == 2 {
            self.place[c as usize] = self.active.len() as u32;
            self.active.push(c);
        }
        if paths.len() >= 2 {
            self.saved += size;
        }
    }

    pub fn leave(&mut self, o: &Overlay<'_, '_>, pid: u32, at: At) {
        let Some((c, size)) = dup_content(o, at) else {
            return;
        };
        let paths = &mut self.paths[c as usize];
        if paths.len() >= 2 {
            self.saved -= size;
        }
        let i = paths
            .iter()
            .rposition(|&p| p == pid)
            .expect("a visible path of this content");
        paths.swap_remove(i);
        if paths.len() == 1 {
            let at = self.place[c as usize] as usize;
            self.active.swap_remove(at);
            if let Some(&moved) = self.active.get(at) {
                self.place[moved as usize] = at as u32;
            }
            self.place[c as usize] = NONE;
        }
    }

    /// The image's `duplicate_size` and its largest groups (at most `top`), largest
    /// saving first (ties by paths).
    pub fn groups(&self, m: &SetModel<'_>, top: usize) -> (u64, Vec<DuplicateGroup>) {
        let saving = |c: u32| m.contents().key(c).1 * (self.paths[c as usize].len() as u64 - 1);
        let mut order: Vec<u32> = self.active.clone();
        order.sort_unstable_by_key(|&c| std::cmp::Reverse(saving(c)));
        // Only the groups that can make the cut need their paths sorted: those saving
        // at least as much as the top-th.
        let cut = order.get(top.saturating_sub(1)).map_or(0, |&c| saving(c));
        let mut groups: Vec<(u64, Vec<u32>, u32)> = order
            .iter()
            .take_while(|&&c| saving(c) >= cut)
            .map(|&c| {
                let mut p = self.paths[c as usize].clone();
                p.sort_unstable();
                (saving(c), p, c)
            })
            .collect();
        groups.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        groups.truncate(top);
        let out = groups
            .into_iter()
            .map(|(saved, p, c)| {
                let (digest, size) = m.contents().key(c);
                DuplicateGroup {
                    digest,
                    size,
                    paths: p.iter().map(|&id| m.paths().path(id).to_string()).collect(),
                    saved_size: saved,
                }
            })
            .collect();
        (self.saved, out)
    }
}

/// Which records are visible in at least one final filesystem (and, with images in
/// use, in one of those), and the images in which each content shipped by several
/// layers is visible: each path remembers the walk's image count when its entry became
/// visible; when the entry leaves, an image was reached in between if the count moved.
#[derive(Clone)]
pub(crate) struct Seen {
    /// Images reached so far, in walk order.
    pub order: Vec<u32>,
    /// Per path: `order.len()` when its entry became visible.
    born: Vec<u32>,
    /// Per layer, per record: [`VISIBLE`] and [`KEPT`] bits.
    pub marks: Vec<Vec<u8>>,
    /// The images in use, and per path the number of them reached when its entry
    /// became visible.
    kept: Option<(Vec<bool>, u32, Vec<u32>)>,
    /// Per content shipped by several layers: visible copies now, when the first
    /// became visible, and the intervals of `order` in which some copy was visible.
    count: Vec<u32>,
    since: Vec<u32>,
    pub intervals: Vec<Vec<(u32, u32)>>,
}

/// A record visible in at least one final filesystem.
pub(crate) const VISIBLE: u8 = 1;
/// A record visible in the final filesystem of at least one image in use.
pub(crate) const KEPT: u8 = 2;

fn shared_content(o: &Overlay<'_, '_>, at: At) -> Option<u32> {
    // Only duplicates can be in two layers: most records stop at the first read.
    let c = o.m.contents().dup_of(o.layer_at(at.depth), at.entry);
    (c != NO_CONTENT && o.m.contents().layers(c) >= 2).then_some(c)
}

impl Seen {
    /// `in_use`: per image of the set, whether it is in use (none: no what-if).
    pub fn new(m: &SetModel<'_>, in_use: Option<&[bool]>) -> Self {
        let n = m.paths().len();
        let c = m.contents().len();
        Seen {
            order: Vec::new(),
            born: vec![0; n],
            marks: m
                .layers()
                .iter()
                .map(|(_, r)| vec![0; r.map_or(0, |r| r.files.len())])
                .collect(),
            kept: in_use.map(|k| (k.to_vec(), 0, vec![0; n])),
            count: vec![0; c],
            since: vec![0; c],
            intervals: vec![Vec::new(); c],
        }
    }

    pub fn enter(&mut self, o: &Overlay<'_, '_>, pid: u32, at: At) {
        self.born[pid as usize] = self.order.len() as u32;
        if let Some((_, reached, born)) = &mut self.kept {
            born[pid as usize] = *reached;
        }
        if let Some(c) = shared_content(o, at) {
            let n = &mut self.count[c as usize];
            *n += 1;
            if *n == 1 {
                self.since[c as usize] = self.order.len() as u32;
            }
        }
    }

    pub fn leave(&mut self, o: &Overlay<'_, '_>, pid: u32, at: At) {
        let now = self.order.len() as u32;
        let mut bits = 0;
        if now > self.born[pid as usize] {
            bits |= VISIBLE;
        }
        if let Some((_, reached, born)) = &self.kept {
            if *reached > born[pid as usize] {
                bits |= KEPT;
            }
        }
        if bits != 0 {
            self.marks[o.layer_at(at.depth) as usize][at.entry as usize] |= bits;
        }
        if let Some(c) = shared_content(o, at) {
            let n = &mut self.count[c as usize];
            *n -= 1;
            let since = self.since[c as usize];
            if *n == 0 && now > since {
                self.intervals[c as usize].push((since, now));
            }
        }
    }

    pub fn image(&mut self, image: u32) {
        self.order.push(image);
        if let Some((in_use, reached, _)) = &mut self.kept {
            if in_use[image as usize] {
                *reached += 1;
            }
        }
    }

    /// The images in which content `c` was visible.
    pub fn images_of(&self, c: u32) -> impl Iterator<Item = u32> + '_ {
        self.intervals[c as usize]
            .iter()
            .flat_map(|&(a, b)| self.order[a as usize..b as usize].iter().copied())
    }
}

/// The contents shared across layers ([`across_set`]).
pub(crate) struct AcrossSet {
    /// What sharing one copy of each would save: the sum over every group.
    pub saved_size: u64,
    /// How many contents are shared.
    pub count: u64,
    /// The images showing any of them, sorted by id.
    pub images: Vec<Digest>,
    /// The `top` largest groups, largest saving first (ties by digest, then size).
    pub groups: Vec<SharedContent>,
}

/// Contents visible in the final filesystems and shipped by two or more distinct
/// layers: the total saving, how many, the images showing any, and the `top` largest
/// groups in full. `marks` say which records are visible somewhere; `images_of(c)`
/// lists the images showing content `c`.
pub(crate) fn across_set(
    m: &SetModel<'_>,
    marks: &[Vec<u8>],
    images_of: impl Fn(u32) -> Vec<u32>,
    top: usize,
) -> AcrossSet {
    // Each content's distinct layers and 5 smallest distinct paths, from the marked
    // entries, grouped by sorting.
    let mut marked: Vec<(u32, u32, u32)> = Vec::new();
    for (l, layer_marks) in marks.iter().enumerate() {
        let contents = m.contents().of_layer(l as u32);
        for (e, &mark) in layer_marks.iter().enumerate() {
            let c = contents[e];
            // Only a content the model saw in two layers or more can be one.
            if mark & VISIBLE != 0
                && c != NO_CONTENT
                && m.contents().layers(c) >= 2
                && m.contents().key(c).1 > 0
            {
                marked.push((c, l as u32, m.paths().layer(l)[e]));
            }
        }
    }
    marked.sort_unstable();
    // Every group in brief (saving, digest, size, where its entries are); only the
    // top ones are made in full.
    let mut brief: Vec<(u64, ContentDigest, u64, std::ops::Range<usize>)> = Vec::new();
    let mut shown = vec![false; m.images().len()];
    let mut start = 0;
    for group in marked.chunk_by(|a, b| a.0 == b.0) {
        let range = start..start + group.len();
        start += group.len();
        if group.first().map(|g| g.1) == group.last().map(|g| g.1) {
            continue;
        }
        let c = group[0].0;
        let mut layers = 1u64;
        for w in group.windows(2) {
            layers += u64::from(w[0].1 != w[1].1);
        }
        for i in images_of(c) {
            shown[i as usize] = true;
        }
        let (digest, size) = m.contents().key(c);
        brief.push((size * (layers - 1), digest, size, range));
    }
    let order = |a: &(u64, ContentDigest, u64, _), b: &(u64, ContentDigest, u64, _)| {
        b.0.cmp(&a.0)
            .then_with(|| a.1.cmp(&b.1))
            .then_with(|| a.2.cmp(&b.2))
    };
    let saved_size = brief.iter().map(|g| g.0).sum();
    let count = brief.len() as u64;
    if brief.len() > top {
        brief.select_nth_unstable_by(top, order);
        brief.truncate(top);
    }
    brief.sort_by(order);
    let groups = brief
        .into_iter()
        .map(|(saved_size, digest, size, range)| {
            let group = &marked[range];
            let c = group[0].0;
            let mut layers: Vec<u32> = group.iter().map(|g| g.1).collect();
            layers.dedup();
            let mut paths: Vec<u32> = group.iter().map(|g| g.2).collect();
            paths.sort_unstable();
            paths.dedup();
            paths.truncate(5);
            let mut images: Vec<Digest> = images_of(c)
                .into_iter()
                .map(|i| m.images()[i as usize].id.clone())
                .collect();
            images.sort();
            images.dedup();
            let mut layer_ids: Vec<Digest> = layers
                .iter()
                .map(|&l| m.layers()[l as usize].0.clone())
                .collect();
            layer_ids.sort();
            SharedContent {
                digest,
                size,
                saved_size,
                layers: layer_ids,
                images,
                paths: paths
                    .iter()
                    .map(|&p| m.paths().path(p).to_string())
                    .collect(),
            }
        })
        .collect();
    let mut images: Vec<Digest> = shown
        .iter()
        .zip(m.images())
        .filter(|(s, _)| **s)
        .map(|(_, i)| i.id.clone())
        .collect();
    images.sort();
    images.dedup();
    AcrossSet {
        saved_size,
        count,
        images,
        groups,
    }
}

#[cfg(test)]
mod tests {
    use crate::testutil::{image_report, report, set};

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
        let r = report(&s);
        let a = image_report(&r, "a");
        assert_eq!(a.duplicate_size, 200);
        assert_eq!(a.duplicates.len(), 1);
        assert_eq!(a.duplicates[0].paths, ["x", "y", "z"]);
        // Three layers ship content 7: a's two and b's one.
        let shared = &r.duplicates.groups;
        assert_eq!(shared.len(), 1);
        assert_eq!(shared[0].layers.len(), 3);
        assert_eq!(shared[0].images.len(), 2);
        assert_eq!(r.duplicates.saved_size, 200);
    }
}

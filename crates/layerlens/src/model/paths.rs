//! Every path of a set numbered once, in byte order.
//!
//! Each record of each distinct layer gets the number of the path it occupies in an
//! overlay replay (its own path; for a whiteout, the path it hides; for an opaque
//! marker, the directory it empties). Every directory above a numbered path is numbered
//! too, so that every path has a parent. Numbers sort as the paths do, and the paths
//! strictly under a directory `d` are one contiguous range (those between `d/` and `d0`,
//! `'0'` following `'/'`). Paths are compared as strings only while they are sorted,
//! once; everything after works on the numbers.

use std::borrow::Cow;
use std::ops::Range;

use foldhash::HashMap;
use rayon::prelude::*;

use twox_hash::XxHash3_64;

use crate::read::layer::{EntryKind, FileRecord, LayerReport};

/// No path: the parent of the root, or a path the index does not hold.
pub(crate) const NO_PATH: u32 = u32::MAX;

/// The paths of a set of layers, numbered in byte order.
#[derive(Debug, Default)]
pub struct PathIndex<'a> {
    paths: Vec<Cow<'a, str>>,
    /// Per layer (in the order given to [`PathIndex::new`]), per record: its number.
    layers: Vec<Vec<u32>>,
    /// Per path: the number of its parent directory (`NO_PATH` for the root `""` and
    /// for top-level names, whose parent is the root only when the root is numbered).
    parent: Vec<u32>,
    /// XXH3-64 of a path → its number, for looking up paths read from elsewhere
    /// (package databases). A collision is checked against the string.
    lookup: HashMap<u64, u32>,
}

/// The path a record occupies in an overlay replay: its own, or the one it hides.
pub(crate) fn replay_path(rec: &FileRecord) -> Cow<'_, str> {
    match rec.kind {
        EntryKind::Whiteout | EntryKind::OpaqueWhiteout => {
            Cow::Owned(rec.whiteout_target().unwrap_or_default())
        }
        _ => Cow::Borrowed(rec.path.as_str()),
    }
}

/// How many leading bytes `a` and `b` share, compared eight at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let x = u64::from_le_bytes(a[i..i + 8].try_into().expect("8 bytes"));
        let y = u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        if x != y {
            return i + ((x ^ y).trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

fn key(path: &str) -> u64 {
    XxHash3_64::oneshot(path.as_bytes())
}

/// The directory holding `path` (`""` for a top-level name), or `None` for the root.
fn parent_of(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    Some(path.rfind('/').map_or("", |i| &path[..i]))
}

impl<'a> PathIndex<'a> {
    /// Number the paths of these layers; [`PathIndex::layer`] takes the same positions.
    pub fn new(layers: &[&'a LayerReport]) -> PathIndex<'a> {
        // (path, layer, record) of every record, sorted by path: numbers are handed out
        // in one pass over the sorted list, with no map from strings.
        let mut all: Vec<(Cow<'a, str>, u32, u32)> =
            Vec::with_capacity(layers.iter().map(|r| r.files.len()).sum());
        for (l, r) in layers.iter().enumerate() {
            all.extend(
                r.files
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (replay_path(f), l as u32, i as u32)),
            );
        }
        all.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        // Directories above the paths that are not paths themselves.
        let mut missing: Vec<Cow<'a, str>> = Vec::new();
        {
            let present = |p: &str| all.binary_search_by(|x| x.0.as_ref().cmp(p)).is_ok();
            // One check per distinct directory: a directory above a path that lies within
            // the bytes it shares with the path before it (sorted, so every earlier path
            // sharing them too) was checked with that path.
            let mut last: Option<&str> = None;
            for (p, _, _) in &all {
                let shared = match last {
                    Some(l) if l == p.as_ref() => continue,
                    Some(l) => common_prefix(l.as_bytes(), p.as_bytes()),
                    None => 0,
                };
                let prev = last;
                last = Some(p.as_ref());
                let bytes = p.as_bytes();
                for i in memchr::memchr_iter(b'/', &bytes[shared..]).map(|i| i + shared) {
                    let dir = &p[..i];
                    // The first path under a directory mostly follows the directory's
                    // own entry, when the layer has one.
                    if prev == Some(dir) {
                        continue;
                    }
                    if !present(dir) {
                        missing.push(match p {
                            Cow::Borrowed(s) => Cow::Borrowed(&s[..i]),
                            Cow::Owned(s) => Cow::Owned(s[..i].to_string()),
                        });
                    }
                }
            }
        }
        missing.sort_unstable();
        missing.dedup();
        // Merge the two sorted lists, numbering as we go.
        let mut paths: Vec<Cow<'a, str>> = Vec::with_capacity(all.len() / 2 + missing.len());
        let mut ids: Vec<Vec<u32>> = layers.iter().map(|l| vec![0; l.files.len()]).collect();
        let mut m = missing.into_iter().peekable();
        let mut rest = all.into_iter().peekable();
        loop {
            let take_missing = match (m.peek(), rest.peek()) {
                (Some(a), Some(b)) => a.as_ref() < b.0.as_ref(),
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if take_missing {
                paths.push(m.next().expect("peeked"));
                continue;
            }
            let (p, l, i) = rest.next().expect("peeked");
            if paths.last().map(|x| x.as_ref()) != Some(p.as_ref()) {
                paths.push(p);
            }
            ids[l as usize][i as usize] = (paths.len() - 1) as u32;
        }
        paths.shrink_to_fit();
        let keys: Vec<u64> = paths.par_iter().map(|p| key(p)).collect();
        let lookup: HashMap<u64, u32> = keys
            .into_iter()
            .enumerate()
            .map(|(i, k)| (k, i as u32))
            .collect();
        let mut ix = PathIndex {
            paths,
            layers: ids,
            parent: Vec::new(),
            lookup,
        };
        ix.parent = (0..ix.paths.len())
            .into_par_iter()
            .map(|i| {
                parent_of(&ix.paths[i])
                    .and_then(|p| ix.find(p))
                    .unwrap_or(NO_PATH)
            })
            .collect();
        ix
    }

    /// How many distinct paths.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// True when no layer has any entry.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The path numbered `id`.
    pub fn path(&self, id: u32) -> &str {
        &self.paths[id as usize]
    }

    /// The number of `path`, if the index holds it.
    pub fn find(&self, path: &str) -> Option<u32> {
        let id = *self.lookup.get(&key(path))?;
        if self.path(id) == path {
            return Some(id);
        }
        // Two paths with one XXH3-64: fall back to the sorted list.
        self.paths
            .binary_search_by(|p| p.as_ref().cmp(path))
            .ok()
            .map(|i| i as u32)
    }

    /// The number of `base/rel` (`rel` when `base` is empty), without building it.
    pub(crate) fn find_joined(&self, base: &str, rel: &str) -> Option<u32> {
        if base.is_empty() {
            return self.find(rel);
        }
        // Joined on the stack and hashed in one shot (the streaming hasher's setup
        // cost more than the copy); a longer path is joined on the heap.
        let len = base.len() + 1 + rel.len();
        let mut stack = [0u8; 256];
        let hash = if len <= stack.len() {
            stack[..base.len()].copy_from_slice(base.as_bytes());
            stack[base.len()] = b'/';
            stack[base.len() + 1..len].copy_from_slice(rel.as_bytes());
            XxHash3_64::oneshot(&stack[..len])
        } else {
            key(&format!("{base}/{rel}"))
        };
        let id = *self.lookup.get(&hash)?;
        let p = self.path(id);
        let same = p.len() == base.len() + 1 + rel.len()
            && p.starts_with(base)
            && p.as_bytes()[base.len()] == b'/'
            && p.ends_with(rel);
        if same {
            return Some(id);
        }
        self.find(&format!("{base}/{rel}"))
    }

    /// The numbers of the records of the layer at position `layer`.
    pub(crate) fn layer(&self, layer: usize) -> &[u32] {
        &self.layers[layer]
    }

    /// The number of the directory holding the path numbered `id`.
    pub(crate) fn parent(&self, id: u32) -> u32 {
        self.parent[id as usize]
    }

    /// The numbers of the paths strictly under the directory numbered `dir` (`""` is
    /// the root).
    pub(crate) fn under(&self, dir: u32) -> Range<u32> {
        let d = self.path(dir);
        let (lo, hi) = if d.is_empty() {
            (dir as usize + 1, self.paths.len())
        } else {
            let lo = format!("{d}/");
            let hi = format!("{d}0");
            (
                self.paths.partition_point(|p| p.as_ref() < lo.as_str()),
                self.paths.partition_point(|p| p.as_ref() < hi.as_str()),
            )
        };
        lo as u32..hi.max(lo) as u32
    }

    /// Whether the path numbered `id` is `dir` or lies under it.
    pub(crate) fn is_within(&self, id: u32, dir: u32) -> bool {
        id == dir || self.under(dir).contains(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::layer;
    use std::hash::Hasher as _;

    #[test]
    fn common_prefix_counts_the_shared_leading_bytes() {
        let naive = |a: &[u8], b: &[u8]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let words: Vec<Vec<u8>> = (0..40)
            .map(|n| (0..n).map(|i| b"ab/c"[(i * 7 + n / 9) % 4]).collect())
            .collect();
        for a in &words {
            for b in &words {
                assert_eq!(common_prefix(a, b), naive(a, b), "{a:?} {b:?}");
                // A difference at every position of a long shared run.
                for k in 0..a.len() {
                    let mut c = a.clone();
                    c[k] ^= 1;
                    assert_eq!(common_prefix(a, &c), k);
                }
            }
        }
    }

    #[test]
    fn numbers_follow_path_order_and_directories_are_ranges() {
        let a = layer(&[
            ("d", "d", 0, 0),
            ("f", "d/x", 1, 1),
            ("f", "d-x", 1, 2),
            ("f", "d/sub/y", 1, 3),
            ("f", "e", 1, 4),
        ]);
        let b = layer(&[("w", ".wh.d", 0, 0), ("o", "q/.wh..wh..opq", 0, 0)]);
        let ix = PathIndex::new(&[&a, &b]);
        let all: Vec<&str> = (0..ix.len() as u32).map(|i| ix.path(i)).collect();
        // `d/sub` is numbered as the parent of `d/sub/y`.
        assert_eq!(all, ["d", "d-x", "d/sub", "d/sub/y", "d/x", "e", "q"]);
        let under: Vec<&str> = ix.under(0).map(|i| ix.path(i)).collect();
        assert_eq!(under, ["d/sub", "d/sub/y", "d/x"]);
        assert!(ix.under(5).is_empty());
        assert_eq!(ix.layer(0), [0, 4, 1, 3, 5]);
        assert_eq!(ix.layer(1), [0, 6]);
        assert_eq!(ix.find("d/sub/y"), Some(3));
        assert_eq!(ix.find("nope"), None);
        assert_eq!(ix.find_joined("d/sub", "y"), Some(3));
        assert_eq!(ix.find_joined("", "e"), ix.find("e"));
        assert_eq!(ix.find_joined("d", "nope"), None);
        // The lookup hashes the pieces as they come: the same digest as the whole.
        let mut h = XxHash3_64::new();
        h.write(b"d/sub");
        h.write(b"/");
        h.write(b"y");
        assert_eq!(h.finish(), key("d/sub/y"));
        assert_eq!(ix.parent(3), 2);
        assert_eq!(ix.parent(2), 0);
        assert_eq!(ix.parent(0), NO_PATH, "no root entry");
        assert!(ix.is_within(3, 0) && !ix.is_within(1, 0));
    }
}

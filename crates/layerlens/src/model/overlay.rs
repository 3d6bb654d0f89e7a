//! The overlay replay, written once: layers applied in order as an overlay mount
//! would, on a table with one slot per path number.
//!
//! Applying a layer: its whiteouts hide the path they name and everything under it,
//! its opaque markers hide everything under their directory (both only from lower
//! layers, so they are applied before the layer's own entries), then each entry
//! replaces what was visible at its path (a non-directory replacing a directory also
//! hides everything under it). A later entry of the same path in one layer replaces
//! the earlier one.
//!
//! Every change is reported to a [`Sink`] as an entry *entering* or *leaving* a path,
//! with why it left; every change is also logged so that it can be undone, which is
//! what lets [`SetModel::walk`](super::SetModel::walk) go down and back up the ChainID
//! tree with one table.

use super::SetModel;
use crate::read::layer::{EntryKind, FileRecord};

/// Where an entry is: the layer position in the current stack, and the record's index
/// in that layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct At {
    pub depth: u32,
    pub entry: u32,
}

const EMPTY: u64 = 0;

fn pack(at: At) -> u64 {
    ((at.depth as u64 + 1) << 32) | at.entry as u64
}

fn unpack(v: u64) -> At {
    At {
        depth: (v >> 32) as u32 - 1,
        entry: v as u32,
    }
}

/// Why an entry left its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Why {
    /// Replaced by a later entry at the same path.
    Overwritten,
    /// Hidden by a whiteout, an opaque marker or a non-directory replacing a directory.
    Deleted,
    /// The layer that changed it is being taken off again (going back up the tree).
    Undo,
}

/// Receives every change of the table.
pub(crate) trait Sink {
    /// `at` became visible at path `pid`.
    fn enter(&mut self, o: &Overlay<'_, '_>, pid: u32, at: At);
    /// `at` stopped being visible at path `pid`; for `Overwritten` and `Deleted`, the
    /// layer being applied (the top of the stack) hid it.
    fn leave(&mut self, o: &Overlay<'_, '_>, pid: u32, at: At, why: Why);
}

/// A set of path numbers.
#[derive(Debug, Clone, Default)]
pub(crate) struct BitSet(Vec<u64>);

impl BitSet {
    pub fn new(n: usize) -> BitSet {
        BitSet(vec![0; n.div_ceil(64)])
    }
    pub fn insert(&mut self, i: u32) {
        self.0[i as usize / 64] |= 1 << (i % 64);
    }
    pub fn remove(&mut self, i: u32) {
        self.0[i as usize / 64] &= !(1 << (i % 64));
    }
    pub fn contains(&self, i: u32) -> bool {
        self.0[i as usize / 64] & (1 << (i % 64)) != 0
    }
    /// The members, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &bits)| {
            let mut b = bits;
            std::iter::from_fn(move || {
                if b == 0 {
                    return None;
                }
                let t = b.trailing_zeros();
                b &= b - 1;
                Some(w as u32 * 64 + t)
            })
        })
    }
}

/// The replay table: what is visible at every path after the layers of the stack.
#[derive(Clone)]
pub(crate) struct Overlay<'m, 'a> {
    pub m: &'m SetModel<'a>,
    slot: Vec<u64>,
    visible: BitSet,
    /// The nodes applied, lowest first: `stack[depth]`.
    stack: Vec<u32>,
    /// Every slot change since the bottom: (path, value before).
    log: Vec<(u32, u64)>,
    /// Where each stacked node's changes start in `log`.
    marks: Vec<usize>,
}

impl<'m, 'a> Overlay<'m, 'a> {
    /// An empty table for the paths of `m`.
    pub fn new(m: &'m SetModel<'a>) -> Self {
        let n = m.paths().len();
        Overlay {
            m,
            slot: vec![EMPTY; n],
            visible: BitSet::new(n),
            stack: Vec::new(),
            log: Vec::new(),
            marks: Vec::new(),
        }
    }

    /// The nodes applied, lowest first.
    pub fn stack(&self) -> &[u32] {
        &self.stack
    }

    /// The layer number at a position of the stack.
    pub fn layer_at(&self, depth: u32) -> u32 {
        self.m.tree().node(self.stack[depth as usize]).layer
    }

    /// The record of an entry.
    pub fn record(&self, at: At) -> &'a FileRecord {
        &self.m.files(self.layer_at(at.depth))[at.entry as usize]
    }

    /// What is visible at `pid`.
    pub fn get(&self, pid: u32) -> Option<At> {
        let v = *self.slot.get(pid as usize)?;
        (v != EMPTY).then(|| unpack(v))
    }

    /// The visible paths, in path order.
    pub fn visible(&self) -> impl Iterator<Item = (u32, At)> + '_ {
        self.visible
            .iter()
            .map(|pid| (pid, unpack(self.slot[pid as usize])))
    }

    fn set(&mut self, pid: u32, v: u64) {
        let old = std::mem::replace(&mut self.slot[pid as usize], v);
        self.log.push((pid, old));
        if v == EMPTY {
            self.visible.remove(pid);
        } else {
            self.visible.insert(pid);
        }
    }

    fn hide(&mut self, pid: u32, why: Why, sink: &mut impl Sink) {
        let old = self.slot[pid as usize];
        if old != EMPTY {
            self.set(pid, EMPTY);
            sink.leave(self, pid, unpack(old), why);
        }
    }

    fn hide_under(&mut self, dir: u32, sink: &mut impl Sink) {
        for pid in self.m.paths().under(dir) {
            self.hide(pid, Why::Deleted, sink);
        }
    }

    /// Apply the layer of `node` on top of the stack.
    pub fn push(&mut self, node: u32, sink: &mut impl Sink) {
        self.marks.push(self.log.len());
        self.stack.push(node);
        let depth = self.stack.len() as u32 - 1;
        let layer = self.m.tree().node(node).layer;
        let files = self.m.files(layer);
        let ids = self.m.paths().layer(layer as usize);
        // Whiteouts and opaque markers only hide lower layers: apply them before this
        // layer's own entries land.
        for (rec, &pid) in files.iter().zip(ids) {
            match rec.kind {
                EntryKind::Whiteout => {
                    self.hide(pid, Why::Deleted, sink);
                    self.hide_under(pid, sink);
                }
                EntryKind::OpaqueWhiteout => self.hide_under(pid, sink),
                _ => {}
            }
        }
        for (entry, (rec, &pid)) in files.iter().zip(ids).enumerate() {
            if matches!(rec.kind, EntryKind::Whiteout | EntryKind::OpaqueWhiteout) {
                continue;
            }
            let old = self.slot[pid as usize];
            if old != EMPTY {
                let old = unpack(old);
                if self.record(old).kind == EntryKind::Directory && rec.kind != EntryKind::Directory
                {
                    self.hide_under(pid, sink);
                }
                self.set(pid, EMPTY);
                sink.leave(self, pid, old, Why::Overwritten);
            }
            let at = At {
                depth,
                entry: entry as u32,
            };
            self.set(pid, pack(at));
            sink.enter(self, pid, at);
        }
    }

    /// Take the top layer off again, reporting the reverse of every change it made.
    pub fn pop(&mut self, sink: &mut impl Sink) {
        let mark = self.marks.pop().expect("a layer to take off");
        while self.log.len() > mark {
            let (pid, old) = self.log.pop().expect("a logged change");
            let cur = std::mem::replace(&mut self.slot[pid as usize], old);
            if cur != EMPTY {
                self.visible.remove(pid);
                sink.leave(self, pid, unpack(cur), Why::Undo);
            }
            if old != EMPTY {
                self.visible.insert(pid);
                sink.enter(self, pid, unpack(old));
            }
        }
        self.stack.pop();
    }

    /// The path number of `path` as an image opening it would resolve it: symlinks in
    /// its directories (not in its last component) followed in the visible table, as
    /// the kernel would. `None` on a loop, or when the resolved path is numbered
    /// nowhere in the set.
    pub fn resolve(&self, path: &str) -> Option<u32> {
        let paths = self.m.paths();
        let literal = path.trim_start_matches('/');
        if is_literal(literal) {
            if let Some(pid) = paths.find(literal) {
                if self.get(pid).is_some() {
                    return Some(pid);
                }
            }
        }
        paths.find(&self.resolve_dirs(path)?)
    }

    /// `path` with the symlinks in its directories resolved against the visible table.
    pub fn resolve_dirs(&self, path: &str) -> Option<String> {
        let paths = self.m.paths();
        let literal = path.trim_start_matches('/');
        if is_literal(literal) && paths.find(literal).is_some_and(|p| self.get(p).is_some()) {
            return Some(literal.to_string());
        }
        let mut pending: Vec<String> = path
            .split('/')
            .filter(|c| !c.is_empty())
            .rev()
            .map(str::to_string)
            .collect();
        let mut cur: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(c) = pending.pop() {
            match c.as_str() {
                "." => continue,
                ".." => {
                    cur.pop();
                    continue;
                }
                _ => {}
            }
            cur.push(c);
            if pending.is_empty() {
                break;
            }
            let joined = cur.join("/");
            let Some(at) = paths.find(&joined).and_then(|p| self.get(p)) else {
                continue;
            };
            let rec = self.record(at);
            if rec.kind == EntryKind::Symlink {
                hops += 1;
                if hops > 40 {
                    return None;
                }
                let target = rec.link_target.clone().unwrap_or_default();
                cur.pop();
                if target.starts_with('/') {
                    cur.clear();
                }
                pending.extend(
                    target
                        .split('/')
                        .filter(|c| !c.is_empty())
                        .rev()
                        .map(str::to_string),
                );
            }
        }
        Some(cur.join("/"))
    }
}

/// A path with no empty, `.` or `..` component.
fn is_literal(path: &str) -> bool {
    !path.is_empty()
        && !path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
}

/// A regular file hidden by a later layer (or a later entry of its own layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hidden {
    /// The hidden entry's path number.
    pub path: u32,
    /// Position of the layer that added it.
    pub added_by: u32,
    /// Its index in that layer's records.
    pub entry: u32,
    /// Position of the layer that hid it.
    pub hidden_by: u32,
    /// Overwritten (`true`) or deleted.
    pub overwritten: bool,
}

/// One image's final filesystem, replayed alone.
pub struct FinalFs<'m, 'a> {
    o: Overlay<'m, 'a>,
    /// Every regular file hidden on the way, in replay order.
    pub hidden: Vec<Hidden>,
    /// False when some layer kept no per-file records.
    pub complete: bool,
}

struct Collect<'h>(&'h mut Vec<Hidden>);

impl Sink for Collect<'_> {
    fn enter(&mut self, _: &Overlay<'_, '_>, _: u32, _: At) {}
    fn leave(&mut self, o: &Overlay<'_, '_>, pid: u32, at: At, why: Why) {
        if why == Why::Undo || o.record(at).kind != EntryKind::Regular {
            return;
        }
        self.0.push(Hidden {
            path: pid,
            added_by: at.depth,
            entry: at.entry,
            hidden_by: o.stack.len() as u32 - 1,
            overwritten: why == Why::Overwritten,
        });
    }
}

impl<'m, 'a> FinalFs<'m, 'a> {
    /// Replay image `image` of the model alone.
    pub(crate) fn new(m: &'m SetModel<'a>, image: usize) -> Self {
        let mut o = Overlay::new(m);
        let mut hidden = Vec::new();
        let mut complete = true;
        for &node in &m.tree().paths[image] {
            let layer = m.tree().node(node).layer;
            complete &= m.layers()[layer as usize]
                .1
                .is_some_and(|r| !(r.files.is_empty() && r.content_size > 0));
            o.push(node, &mut Collect(&mut hidden));
        }
        FinalFs {
            o,
            hidden,
            complete,
        }
    }

    /// The replay table.
    pub(crate) fn overlay(&self) -> &Overlay<'m, 'a> {
        &self.o
    }

    /// The path numbers of the paths.
    pub fn paths(&self) -> &'m super::PathIndex<'a> {
        let m: &'m SetModel<'a> = self.o.m;
        m.paths()
    }

    /// Every visible entry, in path order: path, layer position, record.
    pub fn entries(&self) -> impl Iterator<Item = (&str, u32, &'a FileRecord)> + '_ {
        let paths = self.o.m.paths();
        self.o
            .visible()
            .map(move |(pid, at)| (paths.path(pid), at.depth, self.o.record(at)))
    }

    /// The entry visible at `path`, with its layer position.
    pub fn get(&self, path: &str) -> Option<(u32, &'a FileRecord)> {
        let pid = self.o.m.paths().find(path)?;
        let at = self.o.get(pid)?;
        Some((at.depth, self.o.record(at)))
    }

    /// `path` with symlinked directories resolved in this filesystem.
    pub fn resolve_dirs(&self, path: &str) -> Option<String> {
        self.o.resolve_dirs(path)
    }

    /// Regular-file bytes visible.
    pub fn final_size(&self) -> u64 {
        self.entries()
            .filter(|(_, _, r)| r.kind == EntryKind::Regular)
            .map(|(_, _, r)| r.size)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{FinalFs, SetModel};
    use crate::testutil::set;

    #[test]
    fn resolves_directory_symlinks() {
        let mut s = set(&[(
            "a",
            vec![vec![
                ("d", "usr", 0, 0),
                ("d", "usr/bin", 0, 0),
                ("f", "usr/bin/bash", 10, 1),
                ("s", "bin", 0, 0),
            ]],
        )]);
        let d = s.images[0].layers[0].diff_id.clone();
        for f in &mut s.layers.get_mut(&d).unwrap().files {
            if f.path == "bin" {
                f.link_target = Some("usr/bin".into());
            }
        }
        let m = SetModel::new(&s);
        let fs = FinalFs::new(&m, 0);
        assert_eq!(fs.resolve_dirs("bin/bash").as_deref(), Some("usr/bin/bash"));
        assert_eq!(
            fs.resolve_dirs("usr/bin/bash").as_deref(),
            Some("usr/bin/bash")
        );
        assert_eq!(fs.resolve_dirs("bin").as_deref(), Some("bin"));
    }
}

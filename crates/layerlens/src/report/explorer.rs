//! The image explorer's data (the HTML report's "Explorer" section, in the spirit of
//! `dive`): for every distinct ChainID node of the set (a layer on top of the layers
//! below it, shared by every image built on it), two bounded views of entries:
//!
//! * `changed`: what the layer itself changed, each entry marked added (`A`: its path
//!   was not in the filesystem below), modified (`M`: it was) or deleted (`D`: named
//!   by a whiteout, or held below by a directory an opaque marker empties; its size is
//!   the bytes it hid, its kind the kind of the entry it hid);
//! * `fs`: the image's filesystem as of that layer (what the overlay shows after it),
//!   the entries this layer put there marked `A` or `M`.
//!
//! A directory's size is the bytes of the regular files under it in that view (in
//! `changed`, the bytes this layer added or replaced under it). Each view keeps its
//! largest entries first, at most [`ExplorerOptions::cap`] of them (ties in path order),
//! plus every directory above a kept entry, so the tree always has its parents; what
//! was left out is counted ([`ExplorerView::more_entries`], [`ExplorerView::more_size`]).
//!
//! Everything comes from one overlay replay along the ChainID tree
//! ([`crate::model::SetModel`]): a node's views are computed once, however many images
//! share it.

use std::collections::{HashMap, HashSet};

use serde::ser::{SerializeTuple, Serializer};
use serde::Serialize;

use crate::digest::Digest;
use crate::model::overlay::{At, Overlay, Sink, Why};
use crate::model::paths::NO_PATH;
use crate::model::{SetModel, Walker};
use crate::read::analyzer::ImageSet;
use crate::read::layer::EntryKind;

/// How many entries each view keeps by default.
pub const EXPLORER_CAP: usize = 2000;

/// What to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExplorerOptions {
    /// The most entries a view keeps (largest first); directories above kept entries
    /// come on top.
    pub cap: usize,
}

impl Default for ExplorerOptions {
    fn default() -> Self {
        ExplorerOptions { cap: EXPLORER_CAP }
    }
}

impl ExplorerOptions {
    /// Keep at most `n` entries per view.
    pub fn cap(mut self, n: usize) -> Self {
        self.cap = n;
        self
    }
}

/// How an entry relates to the filesystem below its layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mark {
    /// Put there by this layer; its path was not in the filesystem below.
    Added,
    /// Put there by this layer over an entry of the filesystem below.
    Modified,
    /// Deleted by this layer (a whiteout or an opaque marker).
    Deleted,
    /// From a lower layer (`fs` view), or a directory shown only as the parent of an
    /// entry of this layer (`changed` view).
    Unchanged,
}

impl Mark {
    /// `A`, `M`, `D` or empty.
    pub fn code(self) -> &'static str {
        match self {
            Mark::Added => "A",
            Mark::Modified => "M",
            Mark::Deleted => "D",
            Mark::Unchanged => "",
        }
    }
}

/// One letter per entry kind: `f`ile, `d`irectory, `l` symlink, `h`ardlink, `w`hiteout,
/// `q` opaque marker, `o`ther.
pub fn kind_code(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Regular => "f",
        EntryKind::Directory => "d",
        EntryKind::Symlink => "l",
        EntryKind::Hardlink => "h",
        EntryKind::Whiteout => "w",
        EntryKind::OpaqueWhiteout => "q",
        EntryKind::Other => "o",
    }
}

/// One entry of a view; serialised as `[path, size, "<kind><mark>"]` (`[12, 4096,
/// "fA"]`), `path` an index into [`Explorer::paths`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplorerRow {
    /// Index into [`Explorer::paths`].
    pub path: u32,
    /// Bytes: a regular file's content, a directory's files under it in this view,
    /// what a deletion hid; 0 for anything else.
    pub size: u64,
    /// What it is (for a deletion: what it hid, `whiteout` when it hid nothing).
    pub kind: EntryKind,
    /// Added, modified, deleted or unchanged.
    pub mark: Mark,
}

impl Serialize for ExplorerRow {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(3)?;
        t.serialize_element(&self.path)?;
        t.serialize_element(&self.size)?;
        t.serialize_element(&format!("{}{}", kind_code(self.kind), self.mark.code()))?;
        t.end()
    }
}

/// One bounded view: kept entries in path order, and what was left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExplorerView {
    /// The kept entries (and the directories above them), in path order.
    pub rows: Vec<ExplorerRow>,
    /// Entries of the whole view (directories only shown as parents not counted).
    pub entries: u64,
    /// Entries left out.
    pub more_entries: u64,
    /// Bytes of the regular files left out (deletions not counted).
    pub more_size: u64,
}

/// The two views of one ChainID node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExplorerNode {
    /// The layer's diff_id.
    pub diff_id: String,
    /// How many images of the set have this node (the same layer on the same layers).
    pub images: u32,
    /// What the layer changed.
    pub changed: ExplorerView,
    /// The filesystem as of the layer.
    pub fs: ExplorerView,
}

/// One image: its node at each layer position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExplorerImage {
    /// The image id.
    pub id: Digest,
    /// Index into [`Explorer::nodes`] per layer, lowest first.
    pub nodes: Vec<u32>,
}

/// The explorer's data for a whole set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explorer {
    /// The cap it was built with.
    pub cap: usize,
    /// Every path some view shows, in path order, as `(parent, name)`: `parent` the
    /// index of its directory here, `-1` at the top.
    pub paths: Vec<(i64, String)>,
    /// The images, in the set's order.
    pub images: Vec<ExplorerImage>,
    /// The distinct ChainID nodes, in the model's order.
    pub nodes: Vec<ExplorerNode>,
}

impl Explorer {
    /// Compute the explorer of `set`.
    pub fn build(set: &ImageSet, opts: &ExplorerOptions) -> Explorer {
        let m = SetModel::new(set);
        build(&m, opts.cap)
    }

    /// The full path of `paths[i]`, `/`-separated, no leading `/`.
    pub fn path(&self, i: u32) -> String {
        let mut parts = Vec::new();
        let mut cur = i as i64;
        while cur >= 0 {
            let (parent, name) = &self.paths[cur as usize];
            parts.push(name.as_str());
            cur = *parent;
        }
        parts.reverse();
        parts.join("/")
    }
}

/// A row before the paths are renumbered: `pid` is the model's path number.
#[derive(Debug, Clone)]
struct Raw {
    pid: u32,
    size: u64,
    kind: EntryKind,
    mark: Mark,
}

#[derive(Debug, Clone, Default)]
struct RawView {
    rows: Vec<Raw>,
    entries: u64,
    more_entries: u64,
    more_size: u64,
}

#[derive(Clone)]
struct Walk<'m, 'a> {
    m: &'m SetModel<'a>,
    cap: usize,
    /// Per path: bytes of regular files under it (scratch, zero between views).
    acc: Vec<u64>,
    touched: Vec<u32>,
    /// The marks of the layer being applied, by path.
    top: HashMap<u32, Mark>,
    changed: Option<RawView>,
    out: Vec<(u32, RawView, RawView)>,
}

impl Sink for Walk<'_, '_> {
    fn enter(&mut self, _o: &Overlay<'_, '_>, _pid: u32, _at: At) {}
    fn leave(&mut self, _o: &Overlay<'_, '_>, _pid: u32, _at: At, _why: Why) {}
}

impl Walker for Walk<'_, '_> {
    fn forked(&self) -> Self {
        let mut w = self.clone();
        w.out.clear();
        w
    }

    fn pushing(&mut self, o: &Overlay<'_, '_>, node: u32) {
        let m = self.m;
        let paths = m.paths();
        let layer = m.tree().node(node).layer;
        let files = m.files(layer);
        let ids = paths.layer(layer as usize);
        // One row per path: a later record replaces an earlier one, and an entry wins
        // over a whiteout or opaque marker of its own path.
        let mut chosen: HashMap<u32, usize> = HashMap::new();
        let mut opaque = Vec::new();
        for (e, (rec, &pid)) in files.iter().zip(ids).enumerate() {
            if paths.path(pid).is_empty() && rec.kind != EntryKind::OpaqueWhiteout {
                continue;
            }
            match (rec.kind, chosen.get(&pid)) {
                (EntryKind::OpaqueWhiteout, _) => opaque.push(pid),
                (EntryKind::Whiteout, Some(&prev)) if files[prev].kind != EntryKind::Whiteout => {}
                _ => {
                    chosen.insert(pid, e);
                }
            }
        }
        // The bytes a deletion of `pid` (and what is under it) hides.
        let hidden = |pid: u32| -> u64 {
            std::iter::once(pid)
                .chain(paths.under(pid))
                .filter_map(|q| o.get(q))
                .map(|at| o.record(at))
                .filter(|r| r.kind == EntryKind::Regular)
                .map(|r| r.size)
                .sum()
        };
        let deleted = |pid: u32| Raw {
            pid,
            size: hidden(pid),
            kind: o
                .get(pid)
                .map_or(EntryKind::Whiteout, |at| o.record(at).kind),
            mark: Mark::Deleted,
        };
        let mut rows = Vec::with_capacity(chosen.len());
        self.top.clear();
        // An opaque marker deletes every name its directory held below: one deleted
        // row each, unless this layer puts an entry there again.
        for d in opaque {
            for q in paths.under(d) {
                if paths.parent(q) == d && o.get(q).is_some() && !chosen.contains_key(&q) {
                    chosen.insert(q, usize::MAX);
                    rows.push(deleted(q));
                }
            }
        }
        for (&pid, &e) in &chosen {
            if e == usize::MAX {
                continue;
            }
            let rec = &files[e];
            if rec.kind == EntryKind::Whiteout {
                rows.push(deleted(pid));
                continue;
            }
            let mark = if o.get(pid).is_some() {
                Mark::Modified
            } else {
                Mark::Added
            };
            self.top.insert(pid, mark);
            rows.push(Raw {
                pid,
                size: if rec.kind == EntryKind::Regular {
                    rec.size
                } else {
                    0
                },
                kind: rec.kind,
                mark,
            });
        }
        self.changed = Some(self.finish(rows));
    }

    fn applied(&mut self, o: &Overlay<'_, '_>, node: u32) {
        let paths = self.m.paths();
        let depth = o.stack().len() as u32 - 1;
        let mut rows = Vec::new();
        for (pid, at) in o.visible() {
            if paths.path(pid).is_empty() {
                continue;
            }
            let rec = o.record(at);
            let mark = if at.depth == depth {
                self.top.get(&pid).copied().unwrap_or(Mark::Added)
            } else {
                Mark::Unchanged
            };
            rows.push(Raw {
                pid,
                size: if rec.kind == EntryKind::Regular {
                    rec.size
                } else {
                    0
                },
                kind: rec.kind,
                mark,
            });
        }
        let fs = self.finish(rows);
        let changed = self.changed.take().unwrap_or_default();
        self.out.push((node, changed, fs));
    }
}

impl Walk<'_, '_> {
    /// The parent path number of `pid`, `None` at the top.
    fn parent(&self, pid: u32) -> Option<u32> {
        let p = self.m.paths().parent(pid);
        (p != NO_PATH && !self.m.paths().path(p).is_empty()).then_some(p)
    }

    /// Directory sizes, the cap, the parents of kept rows.
    fn finish(&mut self, mut rows: Vec<Raw>) -> RawView {
        for r in &rows {
            if r.kind == EntryKind::Regular && r.mark != Mark::Deleted && r.size > 0 {
                let mut cur = self.parent(r.pid);
                while let Some(p) = cur {
                    if self.acc[p as usize] == 0 {
                        self.touched.push(p);
                    }
                    self.acc[p as usize] += r.size;
                    cur = self.parent(p);
                }
            }
        }
        for r in &mut rows {
            if r.kind == EntryKind::Directory && r.mark != Mark::Deleted {
                r.size = self.acc[r.pid as usize];
            }
        }
        let entries = rows.len() as u64;
        let rest = if rows.len() > self.cap {
            // The largest `cap` first (ties in path order), in no particular order.
            rows.select_nth_unstable_by(self.cap, |a, b| {
                b.size.cmp(&a.size).then(a.pid.cmp(&b.pid))
            });
            rows.split_off(self.cap)
        } else {
            Vec::new()
        };
        let mut kept: HashSet<u32> = rows.iter().map(|r| r.pid).collect();
        let mut left: HashMap<u32, usize> =
            rest.iter().enumerate().map(|(i, r)| (r.pid, i)).collect();
        let mut more_entries = rest.len() as u64;
        let mut taken = vec![false; rest.len()];
        let mut i = 0;
        while i < rows.len() {
            let mut cur = self.parent(rows[i].pid);
            while let Some(p) = cur {
                if !kept.insert(p) {
                    break;
                }
                match left.remove(&p) {
                    Some(j) => {
                        taken[j] = true;
                        more_entries -= 1;
                        rows.push(rest[j].clone());
                    }
                    None => rows.push(Raw {
                        pid: p,
                        size: self.acc[p as usize],
                        kind: EntryKind::Directory,
                        mark: Mark::Unchanged,
                    }),
                }
                cur = self.parent(p);
            }
            i += 1;
        }
        let more_size = rest
            .iter()
            .zip(&taken)
            .filter(|(r, t)| !**t && r.kind == EntryKind::Regular && r.mark != Mark::Deleted)
            .map(|(r, _)| r.size)
            .sum();
        for p in self.touched.drain(..) {
            self.acc[p as usize] = 0;
        }
        rows.sort_unstable_by_key(|r| r.pid);
        RawView {
            rows,
            entries,
            more_entries,
            more_size,
        }
    }
}

fn build(m: &SetModel<'_>, cap: usize) -> Explorer {
    let make = || Walk {
        m,
        cap,
        acc: vec![0; m.paths().len()],
        touched: Vec::new(),
        top: HashMap::new(),
        changed: None,
        out: Vec::new(),
    };
    let tree = m.tree();
    let mut views: Vec<Option<(RawView, RawView)>> = vec![None; tree.nodes.len()];
    for w in m.walk(make) {
        for (node, changed, fs) in w.out {
            views[node as usize] = Some((changed, fs));
        }
    }
    // Renumber the paths the views show.
    let mut used: Vec<u32> = views
        .iter()
        .flatten()
        .flat_map(|(c, f)| c.rows.iter().chain(&f.rows).map(|r| r.pid))
        .collect();
    used.sort_unstable();
    used.dedup();
    let index: HashMap<u32, u32> = used
        .iter()
        .enumerate()
        .map(|(i, &p)| (p, i as u32))
        .collect();
    let paths = m.paths();
    let table = used
        .iter()
        .map(|&pid| {
            let full = paths.path(pid);
            let name = full.rsplit('/').next().unwrap_or(full).to_string();
            let parent = paths.parent(pid);
            let parent = index.get(&parent).map_or(-1, |&i| i as i64);
            (parent, name)
        })
        .collect();
    let view = |v: RawView| ExplorerView {
        rows: v
            .rows
            .into_iter()
            .map(|r| ExplorerRow {
                path: index[&r.pid],
                size: r.size,
                kind: r.kind,
                mark: r.mark,
            })
            .collect(),
        entries: v.entries,
        more_entries: v.more_entries,
        more_size: v.more_size,
    };
    let nodes = views
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let n = tree.node(i as u32);
            let (changed, fs) = v.unwrap_or_default();
            ExplorerNode {
                diff_id: m.layers()[n.layer as usize].0.to_string(),
                images: n.image_count,
                changed: view(changed),
                fs: view(fs),
            }
        })
        .collect();
    Explorer {
        cap,
        paths: table,
        images: m
            .images()
            .iter()
            .zip(&tree.paths)
            .map(|(img, p)| ExplorerImage {
                id: img.id.clone(),
                nodes: p.clone(),
            })
            .collect(),
        nodes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::set;

    fn fixture() -> ImageSet {
        let base = vec![
            ("d", "opt", 0, 0),
            ("f", "opt/x", 9000, 1),
            ("d", "usr", 0, 0),
            ("d", "usr/lib", 0, 0),
            ("f", "usr/lib/a.so", 5000, 2),
            ("f", "usr/lib/b.so", 300, 3),
            ("f", "etc/conf", 100, 4),
            ("f", "big", 7000, 5),
        ];
        set(&[
            (
                "a",
                vec![
                    base.clone(),
                    vec![
                        ("d", "opt", 0, 0),
                        ("w", "opt/.wh.x", 0, 0),
                        ("f", "usr/lib/a.so", 6000, 6),
                        ("f", "usr/lib/c.so", 50, 7),
                        ("w", ".wh.big", 0, 0),
                        ("w", "usr/lib/.wh.b.so", 0, 0),
                    ],
                ],
            ),
            ("b", vec![base, vec![("f", "app/main", 10, 8)]]),
        ])
    }

    fn image(s: &ImageSet, name: &str) -> usize {
        s.images.iter().position(|i| i.refs[0] == name).unwrap()
    }

    type Flat = Vec<(String, u64, String)>;

    fn flat(x: &Explorer, v: &ExplorerView) -> (Flat, u64, u64, u64) {
        let rows = v
            .rows
            .iter()
            .map(|r| {
                let code = format!("{}{}", kind_code(r.kind), r.mark.code());
                (x.path(r.path), r.size, code)
            })
            .collect();
        (rows, v.entries, v.more_entries, v.more_size)
    }

    fn rows(rows: &[(&str, u64, &str)]) -> Flat {
        rows.iter()
            .map(|(p, s, c)| (p.to_string(), *s, c.to_string()))
            .collect()
    }

    #[test]
    fn views_mark_what_each_layer_changed_with_sizes_and_parents() {
        let s = fixture();
        let x = Explorer::build(&s, &ExplorerOptions::default());
        assert_eq!(x.cap, EXPLORER_CAP);
        let a = &x.images[image(&s, "a")].nodes;
        let b = &x.images[image(&s, "b")].nodes;
        assert_eq!(a[0], b[0], "the shared base is one node");
        assert_eq!(x.nodes.len(), 3);
        let base = &x.nodes[a[0] as usize];
        assert_eq!(base.images, 2);
        let all_added = rows(&[
            ("big", 7000, "fA"),
            ("etc", 100, "d"),
            ("etc/conf", 100, "fA"),
            ("opt", 9000, "dA"),
            ("opt/x", 9000, "fA"),
            ("usr", 5300, "dA"),
            ("usr/lib", 5300, "dA"),
            ("usr/lib/a.so", 5000, "fA"),
            ("usr/lib/b.so", 300, "fA"),
        ]);
        assert_eq!(flat(&x, &base.changed), (all_added.clone(), 8, 0, 0));
        assert_eq!(flat(&x, &base.fs), (all_added, 8, 0, 0));
        let top = &x.nodes[a[1] as usize];
        assert_eq!(top.images, 1);
        assert_eq!(
            flat(&x, &top.changed),
            (
                rows(&[
                    ("big", 7000, "fD"),
                    ("opt", 0, "dM"),
                    ("opt/x", 9000, "fD"),
                    ("usr", 6050, "d"),
                    ("usr/lib", 6050, "d"),
                    ("usr/lib/a.so", 6000, "fM"),
                    ("usr/lib/b.so", 300, "fD"),
                    ("usr/lib/c.so", 50, "fA"),
                ]),
                6,
                0,
                0
            )
        );
        assert_eq!(
            flat(&x, &top.fs),
            (
                rows(&[
                    ("etc", 100, "d"),
                    ("etc/conf", 100, "f"),
                    ("opt", 0, "dM"),
                    ("usr", 6050, "d"),
                    ("usr/lib", 6050, "d"),
                    ("usr/lib/a.so", 6000, "fM"),
                    ("usr/lib/c.so", 50, "fA"),
                ]),
                6,
                0,
                0
            )
        );
        let other = &x.nodes[b[1] as usize];
        assert_eq!(
            flat(&x, &other.changed),
            (rows(&[("app", 10, "d"), ("app/main", 10, "fA")]), 1, 0, 0)
        );
        assert_eq!(flat(&x, &other.fs).0.len(), 11);
        assert_eq!(flat(&x, &other.fs).1, 9);
        // Paths are numbered once for all views, parents first.
        assert_eq!(x.paths[0], (-1, "app".to_string()));
        for (i, (parent, _)) in x.paths.iter().enumerate() {
            assert!(*parent < i as i64);
        }
    }

    #[test]
    fn the_cap_keeps_the_largest_entries_and_their_parents() {
        let s = fixture();
        let x = Explorer::build(&s, &ExplorerOptions::default().cap(2));
        let top = &x.nodes[x.images[image(&s, "a")].nodes[1] as usize];
        // usr and usr/lib (6,050 B each) are kept; the four files and opt are not.
        assert_eq!(
            flat(&x, &top.fs),
            (
                rows(&[("usr", 6050, "d"), ("usr/lib", 6050, "d")]),
                6,
                4,
                6000 + 100 + 50
            )
        );
        let x = Explorer::build(&s, &ExplorerOptions::default().cap(1));
        let top = &x.nodes[x.images[image(&s, "a")].nodes[1] as usize];
        // The largest change is a deletion under opt: its directory comes with it.
        // Left out: big (deleted), a.so, b.so (deleted), c.so; deletions' bytes are
        // not counted as bytes left out.
        assert_eq!(
            flat(&x, &top.changed),
            (
                rows(&[("opt", 0, "dM"), ("opt/x", 9000, "fD")]),
                6,
                4,
                6000 + 50
            )
        );
        let json = serde_json::to_string(&top.changed.rows).unwrap();
        let opt = x.paths.iter().position(|p| p.1 == "opt").unwrap();
        assert_eq!(
            json,
            format!("[[{opt},0,\"dM\"],[{},9000,\"fD\"]]", opt + 1)
        );
    }

    #[test]
    fn an_opaque_marker_deletes_each_name_its_directory_held() {
        let s = set(&[(
            "a",
            vec![
                vec![
                    ("d", "d", 0, 0),
                    ("f", "d/a", 10, 1),
                    ("d", "d/s", 0, 0),
                    ("f", "d/s/b", 20, 2),
                ],
                vec![
                    ("d", "d", 0, 0),
                    ("o", "d/.wh..wh..opq", 0, 0),
                    ("f", "d/c", 5, 3),
                ],
            ],
        )]);
        let x = Explorer::build(&s, &ExplorerOptions::default());
        let top = &x.nodes[x.images[0].nodes[1] as usize];
        assert_eq!(
            flat(&x, &top.changed),
            (
                rows(&[
                    ("d", 5, "dM"),
                    ("d/a", 10, "fD"),
                    ("d/c", 5, "fA"),
                    ("d/s", 20, "dD"),
                ]),
                4,
                0,
                0
            )
        );
        assert_eq!(
            flat(&x, &top.fs),
            (rows(&[("d", 5, "dM"), ("d/c", 5, "fA")]), 2, 0, 0)
        );
    }
}

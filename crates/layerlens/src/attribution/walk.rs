//! Attribution along the walk of the ChainID tree.
//!
//! The bytes of every visible regular file sit in one kind (and in its owner's
//! package): an entry entering or leaving the table moves its bytes in or out. The
//! package table is read again only at a node whose layer touches a package database
//! (or a gemspec), or a symlink on the way to a listed path; then every visible file is
//! moved from its old kind and owner to its new ones, and back when the walk leaves that
//! node. A package that is only its own file (a Go or cargo-auditable binary, a jar)
//! needs no table: it comes and goes with its record, owning it unless a package of the
//! table lists that path (so 1,000 images each adding a Go binary on one base read the
//! base's databases once, not 1,000 times).
//!
//! The recommendations' tallies ride along: caches, docs and toolchains of the own
//! layers, and of the base layers ("slim"), each counted per image and, once per
//! record, for the whole set.

use foldhash::HashMap;

use super::owners::{Context, Table};
use super::packages::Manager;
use super::rules::OwnerClass;
use super::rules::{classify_class, METADATA, PACKAGE_FILE, RPM};
use super::{ByKind, Kind, PackageUsage};
use crate::model::overlay::{At, Overlay, Why};
use crate::read::layer::EntryKind;

/// The tallies: own caches, own docs, own toolchains, and those of the base layers.
pub(crate) const BUCKETS: usize = 4;
/// Own caches.
pub(crate) const CACHES: usize = 0;
/// Own docs.
pub(crate) const DOCS: usize = 1;
/// Own toolchains.
pub(crate) const TOOLCHAINS: usize = 2;
/// Caches, docs and toolchains of base layers.
pub(crate) const SLIM: usize = 3;

fn bucket(kind: Kind, in_base: bool) -> Option<usize> {
    match (kind, in_base) {
        (Kind::Caches | Kind::Docs | Kind::Toolchains, true) => Some(SLIM),
        (Kind::Caches, false) => Some(CACHES),
        (Kind::Docs, false) => Some(DOCS),
        (Kind::Toolchains, false) => Some(TOOLCHAINS),
        _ => None,
    }
}

/// Which layers are base layers.
pub(crate) enum Base {
    /// The family's common prefix (when the family has two images or more).
    Family,
    /// The common prefix with this image's nodes.
    Image(Vec<u32>),
}

/// What attribution says of one image.
#[derive(Debug, Clone, Default)]
pub(crate) struct ImageAttribution {
    pub base_layers: u64,
    /// Bytes by kind (`wasted` is the waste facet's).
    pub by_kind: ByKind,
    /// Its packages, largest first (ties in table order).
    pub packages: Vec<PackageUsage>,
    pub notes: Vec<String>,
    /// Per tally: bytes and files.
    pub buckets: [(u64, u64); BUCKETS],
}

/// Who owns a file: a package of the current table, or a package that is that file.
#[derive(Clone, Copy)]
enum Owner {
    Table(u32),
    Single(usize),
}

struct Current {
    table: Table,
    /// Per package: bytes and regular files visible.
    sums: Vec<(u64, u64)>,
    /// The stack depth of the node that read it.
    depth: usize,
}

/// The attribution facet of the walk.
pub(crate) struct Attribute<'c, 'm, 'a> {
    cx: &'c Context<'m, 'a>,
    base: Base,
    tables: Vec<Current>,
    /// Per stack depth: whether that layer is a base layer.
    in_base: Vec<bool>,
    by_kind: [u64; 8],
    buckets: [(u64, u64); BUCKETS],
    /// Per stack depth, per tally: visible files.
    depth_buckets: Vec<[u32; BUCKETS]>,
    /// Per path: how many images had been reached when its entry joined its tally.
    born: Vec<u32>,
    reached: u32,
    /// A package database (or a symlink a listed path goes through) changed.
    dirty: bool,
    /// Per layer, per record: bit `1 << tally` when it was in that tally in some
    /// image's final filesystem.
    pub marks: Vec<Vec<u8>>,
    /// Per (tally, layer number): the first image (in the set's order) with a file of
    /// that layer in that tally, and the layer's position in it.
    pub first: HashMap<(usize, u32), (u32, u32)>,
    /// Per image reached.
    pub images: Vec<(u32, ImageAttribution)>,
    /// Per package that is its own file (`Context::files` index): bytes and files
    /// counted to it (0 when a package of the table lists its path).
    single_sums: HashMap<usize, (u64, u64)>,
    /// The packages that are their own file whose record is visible, with its depth.
    live: HashMap<usize, u32>,
}

impl<'c, 'm, 'a> Attribute<'c, 'm, 'a> {
    pub fn new(cx: &'c Context<'m, 'a>, base: Base) -> Self {
        let m = cx.m;
        Attribute {
            cx,
            base,
            tables: vec![Current {
                table: Table::empty(m),
                sums: Vec::new(),
                depth: usize::MAX,
            }],
            in_base: Vec::new(),
            by_kind: [0; 8],
            buckets: [(0, 0); BUCKETS],
            depth_buckets: Vec::new(),
            born: vec![0; m.paths().len()],
            reached: 0,
            dirty: false,
            marks: m
                .layers()
                .iter()
                .map(|(_, r)| vec![0; r.map_or(0, |r| r.files.len())])
                .collect(),
            first: HashMap::default(),
            images: Vec::new(),
            single_sums: HashMap::default(),
            live: HashMap::default(),
        }
    }

    /// The package that is the record `at` itself, when it owns only itself.
    fn single(&self, o: &Overlay<'_, '_>, at: At) -> Option<usize> {
        self.cx.single(o.layer_at(at.depth), at.entry)
    }

    fn current(&self) -> &Current {
        self.tables.last().expect("a table")
    }

    /// Kind, owner and tally of the regular file `at` at `pid`, under `t`.
    fn classify(
        &self,
        t: &Table,
        pid: u32,
        at: At,
        o: &Overlay<'_, '_>,
    ) -> (Kind, Option<Owner>, Option<usize>) {
        let owner = match t.owner(self.cx, pid) {
            Some(i) => Some(Owner::Table(i)),
            None => self.single(o, at).map(Owner::Single),
        };
        let in_base = self.in_base[at.depth as usize];
        let class = owner.map(|w| match w {
            Owner::Table(i) => t.found[i as usize].class,
            Owner::Single(_) => OwnerClass {
                os: false,
                toolchain: false,
            },
        });
        let kind = classify_class(self.cx.class[pid as usize], class, in_base);
        (kind, owner, bucket(kind, in_base))
    }

    fn kind_index(k: Kind) -> usize {
        Kind::ALL.iter().position(|&x| x == k).expect("a kind")
    }

    /// Count `at` in (sign = 1) or out (-1) of its kind and tally under the current
    /// table, and in or out of its package.
    fn count(&mut self, pid: u32, at: At, size: u64, add: bool, o: &Overlay<'_, '_>) {
        let cur = self.tables.last().expect("a table");
        let (kind, owner, b) = self.classify(&cur.table, pid, at, o);
        let k = Self::kind_index(kind);
        let sums = &mut self.tables.last_mut().expect("a table").sums;
        let slot = match owner {
            Some(Owner::Table(i)) => Some(&mut sums[i as usize]),
            Some(Owner::Single(i)) => Some(self.single_sums.entry(i).or_default()),
            None => None,
        };
        if add {
            self.by_kind[k] += size;
            if let Some(s) = slot {
                s.0 += size;
                s.1 += 1;
            }
        } else {
            self.by_kind[k] -= size;
            if let Some(s) = slot {
                s.0 -= size;
                s.1 -= 1;
            }
        }
        if let Some(b) = b {
            let d = at.depth as usize;
            if add {
                self.buckets[b].0 += size;
                self.buckets[b].1 += 1;
                self.depth_buckets[d][b] += 1;
                self.born[pid as usize] = self.reached;
            } else {
                self.buckets[b].0 -= size;
                self.buckets[b].1 -= 1;
                self.depth_buckets[d][b] -= 1;
                if self.reached > self.born[pid as usize] {
                    self.marks[o.layer_at(at.depth) as usize][at.entry as usize] |= 1 << b;
                }
            }
        }
    }

    fn watch(&mut self, o: &Overlay<'_, '_>, pid: u32, at: At) {
        if self.cx.class[pid as usize] & (METADATA | RPM | PACKAGE_FILE) != 0
            || (o.record(at).kind == EntryKind::Symlink
                && self.current().table.through.contains(pid))
        {
            self.dirty = true;
        }
    }

    pub fn enter(&mut self, o: &Overlay<'_, '_>, pid: u32, at: At) {
        self.watch(o, pid, at);
        let r = o.record(at);
        if r.kind == EntryKind::Regular {
            if let Some(i) = self.single(o, at) {
                self.live.insert(i, at.depth);
            }
            self.count(pid, at, r.size, true, o);
        }
    }

    pub fn leave(&mut self, o: &Overlay<'_, '_>, pid: u32, at: At, why: Why) {
        if why != Why::Undo {
            self.watch(o, pid, at);
        }
        let r = o.record(at);
        if r.kind == EntryKind::Regular {
            self.count(pid, at, r.size, false, o);
            if let Some(i) = self.single(o, at) {
                self.live.remove(&i);
            }
        }
    }

    /// Before the layer of `node` is applied: is it a base layer?
    pub fn pushing(&mut self, o: &Overlay<'_, '_>, node: u32) {
        let m = self.cx.m;
        let d = o.stack().len();
        let in_base = match &self.base {
            Base::Family => {
                let root = o.stack().first().copied().unwrap_or(node);
                d < super::family_depth(m, root)
            }
            Base::Image(path) => (d == 0 || self.in_base[d - 1]) && path.get(d) == Some(&node),
        };
        self.in_base.push(in_base);
        self.depth_buckets.push([0; BUCKETS]);
    }

    /// Move every visible file from the current table's kinds and owners to `next`'s
    /// (recounting `next`'s package sums), and make `next` current.
    fn switch(&mut self, o: &Overlay<'_, '_>, next: Table, depth: usize) {
        let visible: Vec<(u32, At)> = o
            .visible()
            .filter(|&(_, at)| o.record(at).kind == EntryKind::Regular)
            .collect();
        for &(pid, at) in &visible {
            self.count(pid, at, o.record(at).size, false, o);
        }
        let sums = vec![(0, 0); next.found.len()];
        self.tables.push(Current {
            table: next,
            sums,
            depth,
        });
        for &(pid, at) in &visible {
            self.count(pid, at, o.record(at).size, true, o);
        }
    }

    pub fn applied(&mut self, o: &Overlay<'_, '_>) {
        if std::mem::take(&mut self.dirty) {
            let table = Table::build_with(self.cx, o, false);
            self.switch(o, table, o.stack().len() - 1);
        }
    }

    pub fn image(&mut self, o: &Overlay<'_, '_>, image: u32) {
        self.reached += 1;
        let m = self.cx.m;
        let img = &m.images()[image as usize];
        for (d, counts) in self.depth_buckets.iter().enumerate() {
            for (b, &n) in counts.iter().enumerate() {
                if n == 0 {
                    continue;
                }
                let key = (b, o.layer_at(d as u32));
                let e = self.first.entry(key).or_insert((image, d as u32));
                if (image, d as u32) < *e {
                    *e = (image, d as u32);
                }
            }
        }
        let cur = self.current();
        let base_layers = self.in_base.iter().take_while(|&&b| b).count();
        let mut by_kind = ByKind::default();
        for (k, &v) in Kind::ALL.iter().zip(&self.by_kind) {
            *by_kind.slot(*k) = v;
        }
        // The table's packages in its order, then the packages that are their own file
        // (in the set's order); largest first, ties by (manager, name, version, where).
        type Row<'r> = ((u64, u64), Manager, &'r str, &'r str, Option<&'r str>, u32);
        let mut rows: Vec<Row<'_>> = cur
            .table
            .found
            .iter()
            .zip(&cur.sums)
            .map(|(f, &s)| {
                (
                    s,
                    f.manager,
                    f.name.as_str(),
                    f.version.as_str(),
                    f.location(),
                    f.layer,
                )
            })
            .collect();
        let mut live: Vec<(usize, u32)> = self.live.iter().map(|(&i, &d)| (i, d)).collect();
        live.sort_unstable();
        for (i, depth) in live {
            let (_, _, f) = self.cx.files[i];
            let s = self.single_sums.get(&i).copied().unwrap_or_default();
            rows.push((
                s,
                f.manager,
                &f.name,
                &f.version,
                Some(f.path.as_str()),
                depth,
            ));
        }
        rows.sort_by(|a, b| {
            b.0 .0
                .cmp(&a.0 .0)
                .then_with(|| (a.1, a.2, a.3, a.4).cmp(&(b.1, b.2, b.3, b.4)))
        });
        let packages = rows
            .into_iter()
            .map(|(s, manager, name, version, _, layer)| {
                let il = &img.layers[(layer as usize).min(img.layers.len().saturating_sub(1))];
                PackageUsage {
                    manager,
                    name: name.to_string(),
                    version: version.to_string(),
                    size: s.0,
                    files: s.1,
                    layer: layer as u64,
                    created_by: il.created_by.clone(),
                    diff_id: il.diff_id.clone(),
                }
            })
            .collect();
        let out = ImageAttribution {
            base_layers: base_layers as u64,
            by_kind,
            packages,
            notes: cur.table.notes.clone(),
            buckets: self.buckets,
        };
        self.images.push((image, out));
    }

    pub fn left(&mut self, o: &Overlay<'_, '_>) {
        let d = o.stack().len();
        self.in_base.pop();
        self.depth_buckets.pop();
        if self.current().depth == d {
            // Back to the table below: move every visible file back, recounting its sums.
            let visible: Vec<(u32, At)> = o
                .visible()
                .filter(|&(_, at)| o.record(at).kind == EntryKind::Regular)
                .collect();
            for &(pid, at) in &visible {
                self.count(pid, at, o.record(at).size, false, o);
            }
            self.tables.pop();
            let cur = self.tables.last_mut().expect("a table");
            cur.sums.iter_mut().for_each(|s| *s = (0, 0));
            for &(pid, at) in &visible {
                self.count(pid, at, o.record(at).size, true, o);
            }
        }
        self.dirty = false;
    }
}

#[cfg(test)]
mod tests {
    use crate::attribution::packages::Manager;
    use crate::read::detect::FilePackage;
    use crate::read::layer::CapturedFile;
    use crate::testutil::{image_report, report, set};

    /// A package that is its own file: counted as its record comes and goes (no table
    /// read), at the layer of the visible record, and second to a database that lists
    /// the same path (the table's packages come first in manager order).
    #[test]
    fn packages_that_are_their_file_follow_their_record() {
        let base = vec![
            ("f", "usr/bin/tool", 100, 1),
            ("f", "var/lib/dpkg/status", 60, 2),
            ("f", "var/lib/dpkg/info/tool.list", 14, 3),
        ];
        let app = vec![("f", "app/server", 300, 4)];
        let app2 = vec![("f", "app/server", 500, 5)];
        let mut s = set(&[
            ("one", vec![base.clone(), app.clone()]),
            ("two", vec![base.clone(), app.clone(), app2.clone()]),
        ]);
        let go = |path: &str, version: &str, entry: u32| FilePackage {
            entry,
            path: path.into(),
            manager: Manager::Go,
            name: "example.com/svc".into(),
            version: version.into(),
            root: None,
        };
        for l in s.layers.values_mut() {
            match l.files[0].path.as_str() {
                "usr/bin/tool" => {
                    l.captured = vec![
                        CapturedFile {
                            path: "var/lib/dpkg/status".into(),
                            bytes: b"Package: tool\nVersion: 1.0\n".to_vec(),
                        },
                        CapturedFile {
                            path: "var/lib/dpkg/info/tool.list".into(),
                            bytes: b"/usr/bin/tool\n".to_vec(),
                        },
                    ];
                    // Also a Go binary, but dpkg lists it: dpkg owns it.
                    l.detected.packages = vec![FilePackage {
                        name: "example.com/tool".into(),
                        ..go("usr/bin/tool", "v0.1.0", 0)
                    }];
                }
                "app/server" if l.files[0].size == 300 => {
                    l.detected.packages = vec![go("app/server", "v1.0.0", 0)]
                }
                _ => l.detected.packages = vec![go("app/server", "v2.0.0", 0)],
            }
        }
        let r = report(&s);
        let rows = |name: &str| -> Vec<(Manager, String, String, u64, u64, u64)> {
            image_report(&r, name)
                .packages
                .iter()
                .map(|p| {
                    (
                        p.manager,
                        p.name.clone(),
                        p.version.clone(),
                        p.size,
                        p.files,
                        p.layer,
                    )
                })
                .collect()
        };
        let svc = |v: &str, size, layer| {
            (
                Manager::Go,
                "example.com/svc".to_string(),
                v.to_string(),
                size,
                1,
                layer,
            )
        };
        let tool = (
            Manager::Go,
            "example.com/tool".to_string(),
            "v0.1.0".to_string(),
            0,
            0,
            0,
        );
        let dpkg = (
            Manager::Dpkg,
            "tool".to_string(),
            "1.0".to_string(),
            100,
            1,
            0,
        );
        assert_eq!(
            rows("one"),
            [svc("v1.0.0", 300, 1), dpkg.clone(), tool.clone()]
        );
        assert_eq!(rows("two"), [svc("v2.0.0", 500, 2), dpkg, tool]);
        let two = image_report(&r, "two");
        assert_eq!(two.by_kind.language_deps, 500);
        assert_eq!(two.by_kind.wasted, 300);
    }
}

//! Attribution along the walk of the ChainID tree.
//!
//! The bytes of every visible regular file sit in one kind (and in its owner's
//! package): an entry entering or leaving the table moves its bytes in or out. The
//! packages are read again only at a node whose layer touches a package database (or a
//! symlink on the way to a listed path), and compared with the packages before: only
//! the paths whose owner changes (those the new packages list, and when a package went
//! away, every claim again) move from their old owner to their new one, and back when
//! the walk leaves that node. The work follows what changes, not what is visible.
//!
//! A package that is only its own file (a Go or cargo-auditable binary, a jar) needs no
//! table: it comes and goes with its record, owning it unless a package of the table
//! lists that path.
//!
//! The recommendations' tallies ride along: caches, docs and toolchains of the own
//! layers, and of the base layers ("slim"), each counted per image and, once per
//! record, for the whole set.
//!
//! Over 600 lines on purpose: the table's enter/leave moves and the node hooks of the walk
//! must change together (a claim moved in one and not the other is a wrong byte count).

use std::sync::Arc;

use foldhash::HashMap;

use super::owners::{claims, find, provider, Context, Found, FoundKey, NO_OWNER};
use super::packages::Manager;
use super::rules::{classify_class, OwnerClass, METADATA, PACKAGE_FILE, RPM};
use super::{ByKind, Kind, PackageUsage, ProvidedBy};
use crate::model::overlay::{At, BitSet, Overlay, Why};
use crate::model::paths::NO_PATH;
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
#[derive(Clone)]
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
    /// Its packages, largest first (ties in table order); shared with the previous
    /// image reached when the list is the same.
    pub packages: Arc<[PackageUsage]>,
    pub notes: Vec<String>,
    /// Per tally: bytes and files.
    pub buckets: [(u64, u64); BUCKETS],
}

/// Who owns a file: a package of the current list (its id), or a package that is that
/// very file (its index in `Context::files`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Owner {
    Table(u32),
    Single(usize),
}

/// What a node that changed the packages changed, to take back when the walk leaves it.
#[derive(Clone)]
struct Frame {
    depth: usize,
    current: Vec<u32>,
    notes: Vec<String>,
    owners: Vec<(u32, u32)>,
    npm: Vec<(u32, Option<u32>)>,
}

/// The attribution facet of the walk.
#[derive(Clone)]
pub(crate) struct Attribute<'c, 'm, 'a> {
    cx: &'c Context<'m, 'a>,
    base: Base,
    /// Every package met in this walk, numbered once (stable ids); their bytes and
    /// files visible now; their rank in the current list (`u32::MAX`: not current).
    arena: Vec<Found>,
    ids: HashMap<FoundKey, u32>,
    sums: Vec<(u64, u64)>,
    rank: Vec<u32>,
    /// The current packages, in table order (ids).
    current: Vec<u32>,
    notes: Vec<String>,
    /// Per path: the package claiming it, or `NO_OWNER`.
    owner: Vec<u32>,
    /// Per npm package directory: the first package with that root.
    npm: HashMap<u32, u32>,
    /// The directories a claimed path goes through.
    through: BitSet,
    frames: Vec<Frame>,
    /// Per stack depth: whether that layer is a base layer.
    in_base: Vec<bool>,
    by_kind: [u64; 8],
    buckets: [(u64, u64); BUCKETS],
    /// Per stack depth, per tally: visible files.
    depth_buckets: Vec<[u32; BUCKETS]>,
    /// Per path: how many images had been reached when its entry joined its kind.
    born: Vec<u32>,
    reached: u32,
    /// A package database changed; a symlink a claimed path goes through changed.
    dirty: bool,
    relink: bool,
    /// Per layer, per record: bit `1 << tally` when it was in that tally in some
    /// image's final filesystem.
    pub marks: Vec<Vec<u8>>,
    /// Per layer, per record: bit `1 << kind` (the [`Kind`]'s index in [`Kind::ALL`])
    /// when it had that kind in some image's final filesystem; 0 when it was visible
    /// in none.
    pub kind_marks: Vec<Vec<u8>>,
    /// Per (tally, layer number): the first image (in the set's order) with a file of
    /// that layer in that tally, and the layer's position in it.
    pub first: HashMap<(usize, u32), (u32, u32)>,
    /// Per image reached.
    pub images: Vec<(u32, ImageAttribution)>,
    /// Bumped whenever a package's bytes or the packages change: an image reached with
    /// the same version and the same layer commands lists the same packages.
    version: u64,
    last: Option<(u64, u32, Arc<[PackageUsage]>)>,
    targets: Vec<u32>,
    /// Per package that is its own file: bytes and files counted to it (0 when a
    /// package of the list claims its path), and where its record is visible.
    single_sums: HashMap<usize, (u64, u64)>,
    live: HashMap<usize, u32>,
}

impl<'c, 'm, 'a> Attribute<'c, 'm, 'a> {
    pub fn new(cx: &'c Context<'m, 'a>, base: Base) -> Self {
        let m = cx.m;
        let n = m.paths().len();
        Attribute {
            cx,
            base,
            arena: Vec::new(),
            ids: HashMap::default(),
            sums: Vec::new(),
            rank: Vec::new(),
            current: Vec::new(),
            notes: Vec::new(),
            owner: vec![NO_OWNER; n],
            npm: HashMap::default(),
            through: BitSet::new(n),
            frames: Vec::new(),
            in_base: Vec::new(),
            by_kind: [0; 8],
            buckets: [(0, 0); BUCKETS],
            depth_buckets: Vec::new(),
            born: vec![0; n],
            reached: 0,
            dirty: false,
            relink: false,
            marks: m
                .layers()
                .iter()
                .map(|(_, r)| vec![0; r.map_or(0, |r| r.files.len())])
                .collect(),
            kind_marks: m
                .layers()
                .iter()
                .map(|(_, r)| vec![0; r.map_or(0, |r| r.files.len())])
                .collect(),
            first: HashMap::default(),
            images: Vec::new(),
            version: 0,
            last: None,
            targets: Vec::new(),
            single_sums: HashMap::default(),
            live: HashMap::default(),
        }
    }

    /// The package owning path `pid` now (a listed claim, else its npm directory's).
    fn owner_of(&self, pid: u32) -> Option<u32> {
        let o = self.owner[pid as usize];
        if o != NO_OWNER {
            return Some(o);
        }
        [
            self.cx.npm_root[pid as usize],
            self.cx.gem_root[pid as usize],
        ]
        .into_iter()
        .filter(|&r| r != NO_PATH)
        .find_map(|r| self.npm.get(&r).copied())
    }

    /// The owner of the file `at` at `pid` now: a package of the list, else the package
    /// the file itself is.
    fn owner_for(&self, o: &Overlay<'_, '_>, pid: u32, at: At) -> Option<Owner> {
        match self.owner_of(pid) {
            Some(id) => Some(Owner::Table(id)),
            None => self
                .cx
                .single(o.layer_at(at.depth), at.entry)
                .map(Owner::Single),
        }
    }

    /// Move the regular file `at` at `pid` in (`add`) or out of its kind, tally and
    /// package, as owned by `owner`.
    fn count(&mut self, o: &Overlay<'_, '_>, pid: u32, at: At, owner: Option<Owner>, add: bool) {
        let size = o.record(at).size;
        let in_base = self.in_base[at.depth as usize];
        let class = owner.map(|w| match w {
            Owner::Table(id) => self.arena[id as usize].class,
            Owner::Single(_) => OwnerClass {
                os: false,
                toolchain: false,
            },
        });
        let kind = classify_class(self.cx.class[pid as usize], class, in_base);
        let k = kind as usize;
        if let Some(w) = owner {
            let s = match w {
                Owner::Table(id) => &mut self.sums[id as usize],
                Owner::Single(i) => self.single_sums.entry(i).or_default(),
            };
            if add {
                s.0 += size;
                s.1 += 1;
            } else {
                s.0 -= size;
                s.1 -= 1;
            }
            self.version += 1;
        }
        let reached_since = self.reached > self.born[pid as usize];
        if add {
            self.by_kind[k] += size;
            self.born[pid as usize] = self.reached;
        } else {
            self.by_kind[k] -= size;
            if reached_since {
                self.kind_marks[o.layer_at(at.depth) as usize][at.entry as usize] |= 1 << k;
            }
        }
        let Some(b) = bucket(kind, in_base) else {
            return;
        };
        let d = at.depth as usize;
        if add {
            self.buckets[b].0 += size;
            self.buckets[b].1 += 1;
            self.depth_buckets[d][b] += 1;
        } else {
            self.buckets[b].0 -= size;
            self.buckets[b].1 -= 1;
            self.depth_buckets[d][b] -= 1;
            if reached_since {
                self.marks[o.layer_at(at.depth) as usize][at.entry as usize] |= 1 << b;
            }
        }
    }

    /// The visible regular file at `pid`, if any.
    fn regular(o: &Overlay<'_, '_>, pid: u32) -> Option<At> {
        o.get(pid)
            .filter(|&at| o.record(at).kind == EntryKind::Regular)
    }

    /// Set the listed owner of `pid`, moving a visible file from its old owner to
    /// the new one; the change is logged on the top frame when `log`.
    fn set_owner(&mut self, o: &Overlay<'_, '_>, pid: u32, new: u32, log: bool) {
        let old = self.owner[pid as usize];
        if old == new {
            return;
        }
        let file = Self::regular(o, pid);
        if let Some(at) = file {
            let before = self.owner_for(o, pid, at);
            self.count(o, pid, at, before, false);
        }
        self.owner[pid as usize] = new;
        if let Some(at) = file {
            let after = self.owner_for(o, pid, at);
            self.count(o, pid, at, after, true);
        }
        if log {
            self.frames
                .last_mut()
                .expect("a frame")
                .owners
                .push((pid, old));
        }
    }

    /// Set the package of npm directory `root`, moving the visible files under it that
    /// no list claims.
    fn set_npm(&mut self, o: &Overlay<'_, '_>, root: u32, new: Option<u32>, log: bool) {
        let old = self.npm.get(&root).copied();
        if old == new {
            return;
        }
        let paths = self.cx.m.paths();
        let files: Vec<(u32, At)> = paths
            .under(root)
            .filter(|&p| {
                self.owner[p as usize] == NO_OWNER
                    && (self.cx.npm_root[p as usize] == root
                        || self.cx.gem_root[p as usize] == root)
            })
            .filter_map(|p| Self::regular(o, p).map(|at| (p, at)))
            .collect();
        let before: Vec<Option<Owner>> = files
            .iter()
            .map(|&(p, at)| self.owner_for(o, p, at))
            .collect();
        for (&(p, at), &w) in files.iter().zip(&before) {
            self.count(o, p, at, w, false);
        }
        match new {
            Some(n) => self.npm.insert(root, n),
            None => self.npm.remove(&root),
        };
        for &(p, at) in &files {
            let w = self.owner_for(o, p, at);
            self.count(o, p, at, w, true);
        }
        if log {
            self.frames
                .last_mut()
                .expect("a frame")
                .npm
                .push((root, old));
        }
    }

    fn watch(&mut self, o: &Overlay<'_, '_>, pid: u32, at: At) {
        if self.cx.class[pid as usize] & (METADATA | RPM | PACKAGE_FILE) != 0 {
            self.dirty = true;
        }
        if o.record(at).kind == EntryKind::Symlink && self.through.contains(pid) {
            self.relink = true;
        }
    }

    pub fn enter(&mut self, o: &Overlay<'_, '_>, pid: u32, at: At) {
        self.watch(o, pid, at);
        if o.record(at).kind == EntryKind::Regular {
            if let Some(i) = self.cx.single(o.layer_at(at.depth), at.entry) {
                self.live.insert(i, at.depth);
                self.version += 1;
            }
            let w = self.owner_for(o, pid, at);
            self.count(o, pid, at, w, true);
        }
    }

    pub fn leave(&mut self, o: &Overlay<'_, '_>, pid: u32, at: At, why: Why) {
        if why != Why::Undo {
            self.watch(o, pid, at);
        }
        if o.record(at).kind == EntryKind::Regular {
            let w = self.owner_for(o, pid, at);
            self.count(o, pid, at, w, false);
            if let Some(i) = self.cx.single(o.layer_at(at.depth), at.entry) {
                self.live.remove(&i);
                self.version += 1;
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

    /// The packages changed (or a symlink a claim goes through did): read them again,
    /// and move only the claims that change.
    pub fn applied(&mut self, o: &Overlay<'_, '_>) {
        let (dirty, relink) = (
            std::mem::take(&mut self.dirty),
            std::mem::take(&mut self.relink),
        );
        if !dirty && !relink {
            return;
        }
        let (found, notes) = find(self.cx, o, false);
        let mut next: Vec<u32> = Vec::with_capacity(found.len());
        for f in found {
            let key = f.key();
            let id = match self.ids.get(&key) {
                Some(&id) => id,
                None => {
                    let id = self.arena.len() as u32;
                    self.arena.push(f);
                    self.sums.push((0, 0));
                    self.rank.push(u32::MAX);
                    self.ids.insert(key, id);
                    id
                }
            };
            next.push(id);
        }
        if next == self.current && !relink {
            if notes != self.notes {
                self.version += 1;
                let old = std::mem::replace(&mut self.notes, notes);
                self.frames.push(Frame {
                    depth: o.stack().len() - 1,
                    current: self.current.clone(),
                    notes: old,
                    owners: Vec::new(),
                    npm: Vec::new(),
                });
            }
            return;
        }
        let mut was = vec![false; self.arena.len()];
        for &id in &self.current {
            was[id as usize] = true;
        }
        let mut now = vec![false; self.arena.len()];
        for &id in &next {
            now[id as usize] = true;
        }
        // A claim of a package that went away must go to the next package listing the
        // path: claim everything again (rare: a package removed or upgraded in place).
        let full = relink
            || self.current.iter().any(|&id| {
                !now[id as usize]
                    && (self.arena[id as usize].lists_files()
                        || self.arena[id as usize].root().is_some()
                        || !self.arena[id as usize].extra_roots.is_empty())
            });
        self.frames.push(Frame {
            depth: o.stack().len() - 1,
            current: std::mem::replace(&mut self.current, next),
            notes: std::mem::replace(&mut self.notes, notes),
            owners: Vec::new(),
            npm: Vec::new(),
        });
        for (r, &id) in self
            .frames
            .last()
            .expect("a frame")
            .current
            .iter()
            .enumerate()
        {
            let _ = r;
            self.rank[id as usize] = u32::MAX;
        }
        for (r, &id) in self.current.iter().enumerate() {
            self.rank[id as usize] = r as u32;
        }
        self.version += 1;
        let current = self.current.clone();
        if full {
            self.claim_all(o, &current);
        } else {
            for &id in current.iter().filter(|&&id| !was[id as usize]) {
                self.claim_added(o, id);
            }
        }
    }

    /// Claims of a package new to the list: a path it lists goes to it unless a
    /// package before it in the list claims it.
    fn claim_added(&mut self, o: &Overlay<'_, '_>, id: u32) {
        let mut targets = std::mem::take(&mut self.targets);
        targets.clear();
        claims(
            self.cx,
            o,
            &self.arena[id as usize],
            &mut self.through,
            &mut targets,
        );
        let rank = self.rank[id as usize];
        for &t in &targets {
            let cur = self.owner[t as usize];
            if cur == NO_OWNER || rank < self.rank[cur as usize] {
                self.set_owner(o, t, id, true);
            }
        }
        self.targets = targets;
        let f = &self.arena[id as usize];
        let roots: Vec<u32> = f
            .root()
            .into_iter()
            .chain(f.extra_roots.iter().copied())
            .collect();
        for root in roots {
            let cur = self.npm.get(&root).copied();
            if cur.is_none_or(|c| rank < self.rank[c as usize]) {
                self.set_npm(o, root, Some(id), true);
            }
        }
    }

    /// Claims of every package again, from the first in the list: the paths whose
    /// owner changes are moved.
    fn claim_all(&mut self, o: &Overlay<'_, '_>, current: &[u32]) {
        let n = self.owner.len();
        let mut fresh = vec![NO_OWNER; n];
        let mut npm: HashMap<u32, u32> = HashMap::default();
        let mut targets = std::mem::take(&mut self.targets);
        for &id in current {
            targets.clear();
            claims(
                self.cx,
                o,
                &self.arena[id as usize],
                &mut self.through,
                &mut targets,
            );
            for &t in &targets {
                if fresh[t as usize] == NO_OWNER {
                    fresh[t as usize] = id;
                }
            }
            let f = &self.arena[id as usize];
            for root in f.root().into_iter().chain(f.extra_roots.iter().copied()) {
                npm.entry(root).or_insert(id);
            }
        }
        self.targets = targets;
        for pid in 0..n as u32 {
            if fresh[pid as usize] != self.owner[pid as usize] {
                self.set_owner(o, pid, fresh[pid as usize], true);
            }
        }
        let mut roots: Vec<u32> = self.npm.keys().chain(npm.keys()).copied().collect();
        roots.sort_unstable();
        roots.dedup();
        for root in roots {
            self.set_npm(o, root, npm.get(&root).copied(), true);
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
        let base_layers = self.in_base.iter().take_while(|&&b| b).count();
        let mut by_kind = ByKind::default();
        for (k, &v) in Kind::ALL.iter().zip(&self.by_kind) {
            *by_kind.slot(*k) = v;
        }
        let layer_of = |f: &Found| (f.layer as usize).min(img.layers.len().saturating_sub(1));
        let same_commands = |other: u32| {
            let o = &m.images()[other as usize];
            let same = |k: usize| {
                o.layers.get(k).map(|l| (&l.created_by, &l.diff_id))
                    == img.layers.get(k).map(|l| (&l.created_by, &l.diff_id))
            };
            self.current
                .iter()
                .all(|&id| same(layer_of(&self.arena[id as usize])))
                && self.live.values().all(|&d| same(d as usize))
        };
        let packages: Arc<[PackageUsage]> = match &self.last {
            Some((v, other, list)) if *v == self.version && same_commands(*other) => list.clone(),
            _ => {
                // The list's packages in its order, then the packages that are their own
                // file (in the set's order); largest first, ties by (manager, name,
                // version, where).
                let paths = m.paths();
                type Row = (
                    (u64, u64),
                    Manager,
                    Arc<str>,
                    Arc<str>,
                    Option<String>,
                    u32,
                    Option<ProvidedBy>,
                );
                // A package of no bytes whose files are all another's: that one.
                let mut through = std::mem::replace(&mut self.through, BitSet::new(0));
                let mut targets = std::mem::take(&mut self.targets);
                let mut rows: Vec<Row> = Vec::with_capacity(self.current.len());
                for &id in &self.current {
                    let f = &self.arena[id as usize];
                    let sums = self.sums[id as usize];
                    let provided_by = if sums == (0, 0) && f.lists_files() {
                        provider(
                            self.cx,
                            o,
                            f,
                            id,
                            |pid| self.owner_of(pid),
                            &mut through,
                            &mut targets,
                        )
                        .map(|w| {
                            let p = &self.arena[w as usize];
                            ProvidedBy {
                                manager: p.manager,
                                name: p.name.clone(),
                            }
                        })
                    } else {
                        None
                    };
                    rows.push((
                        sums,
                        f.manager,
                        f.name.clone(),
                        f.version.clone(),
                        f.location(paths),
                        f.layer,
                        provided_by,
                    ));
                }
                self.through = through;
                self.targets = targets;
                let mut live: Vec<(usize, u32)> = self.live.iter().map(|(&i, &d)| (i, d)).collect();
                live.sort_unstable();
                for (i, depth) in live {
                    let (_, _, f) = self.cx.files[i];
                    rows.push((
                        self.single_sums.get(&i).copied().unwrap_or_default(),
                        f.manager,
                        f.name.as_str().into(),
                        f.version.as_str().into(),
                        Some(f.path.clone()),
                        depth,
                        None,
                    ));
                }
                rows.sort_by(|a, b| {
                    b.0 .0
                        .cmp(&a.0 .0)
                        .then_with(|| (a.1, &a.2, &a.3, &a.4).cmp(&(b.1, &b.2, &b.3, &b.4)))
                });
                // One shared string per layer command, not one per package.
                let commands: Vec<Option<Arc<str>>> = img
                    .layers
                    .iter()
                    .map(|l| l.created_by.as_deref().map(Arc::from))
                    .collect();
                rows.into_iter()
                    .map(|(s, manager, name, version, _, layer, provided_by)| {
                        let k = (layer as usize).min(img.layers.len().saturating_sub(1));
                        PackageUsage {
                            manager,
                            name,
                            version,
                            size: s.0,
                            files: s.1,
                            layer: layer as u64,
                            created_by: commands.get(k).cloned().flatten(),
                            diff_id: img.layers[k].diff_id.clone(),
                            provided_by,
                        }
                    })
                    .collect()
            }
        };
        self.last = Some((self.version, image, packages.clone()));
        self.images.push((
            image,
            ImageAttribution {
                base_layers: base_layers as u64,
                by_kind,
                packages,
                notes: self.notes.clone(),
                buckets: self.buckets,
            },
        ));
    }

    /// After the layer at the top was taken off: take back the claims it changed.
    pub fn left(&mut self, o: &Overlay<'_, '_>) {
        let d = o.stack().len();
        self.dirty = false;
        self.relink = false;
        if self.frames.last().is_some_and(|f| f.depth == d) {
            let mut f = self.frames.pop().expect("checked");
            // Undo in reverse, unlogged, on the table below.
            for (root, old) in std::mem::take(&mut f.npm).into_iter().rev() {
                self.set_npm_unlogged(o, root, old);
            }
            for (pid, old) in std::mem::take(&mut f.owners).into_iter().rev() {
                self.set_owner(o, pid, old, false);
            }
            for &id in &self.current {
                self.rank[id as usize] = u32::MAX;
            }
            self.current = f.current;
            for (r, &id) in self.current.iter().enumerate() {
                self.rank[id as usize] = r as u32;
            }
            self.notes = f.notes;
            self.version += 1;
        }
        self.in_base.pop();
        self.depth_buckets.pop();
    }

    fn set_npm_unlogged(&mut self, o: &Overlay<'_, '_>, root: u32, to: Option<u32>) {
        self.set_npm(o, root, to, false);
    }
}

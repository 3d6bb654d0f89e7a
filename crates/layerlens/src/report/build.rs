//! Building a [`Report`]: model the set once, walk its ChainID tree once with every
//! reducer riding along, then assemble the typed report.
//!
//! How one layer's bytes reach a number on screen: the layer's records are numbered
//! by path in the model; the walk applies the layer at its node of the ChainID tree;
//! each entry entering or leaving the table moves its bytes in the reducers (final
//! size, kind, package, duplicates, waste when it is hidden); at the node where an
//! image ends, its figures are read off; the set-wide figures come from what the walk
//! marked (records visible somewhere, in a tally, in an image in use).

use foldhash::HashMap;

use super::recommend::{self, find, AttributionOptions, Measured};
use super::top_dirs::{Ancestors, TopDirs};
use super::{ImageReport, LayerEntry, LayerPackage, Report, SetDuplicates, Totals, WasteEntry};
use crate::attribution::owners::Context;
use crate::attribution::walk::{Attribute, Base, ImageAttribution};
use crate::attribution::{ByKind, ByOrigin};
use crate::error::Result;
use crate::forensics::duplicates::{self, DuplicateGroup, Seen, Within};
use crate::forensics::families;
use crate::forensics::findings::{self, Candidates, Findings};
use crate::forensics::ledger;
use crate::forensics::waste::{Dive, DiveScore, NodeWaste, Waste};
use crate::model::overlay::{At, Overlay, Sink, Why};
use crate::model::{SetModel, Walker};
use crate::read::analyzer::ImageSet;

/// What a report is built with, beyond the set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportOptions {
    /// The image (ref or id) whose layers are the base of every image built on it;
    /// by default each family's common base.
    pub base: Option<String>,
    /// The images in use (refs or ids): when any, the report says what deleting every
    /// other image would reclaim.
    pub in_use: Vec<String>,
    /// Worker threads; 0 means one per available core.
    pub threads: usize,
    /// Also fill each image's `top_dirs` (what the HTML report's treemap draws).
    pub top_dirs: bool,
}

impl ReportOptions {
    /// The base image, by ref or id.
    pub fn base(mut self, base: impl Into<String>) -> Self {
        self.base = Some(base.into());
        self
    }

    /// The images in use, by ref or id.
    pub fn in_use<I: IntoIterator<Item = S>, S: Into<String>>(mut self, refs: I) -> Self {
        self.in_use = refs.into_iter().map(Into::into).collect();
        self
    }

    /// Worker threads (0: one per core).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Fill each image's `top_dirs`.
    pub fn top_dirs(mut self, yes: bool) -> Self {
        self.top_dirs = yes;
        self
    }
}

impl From<&AttributionOptions> for ReportOptions {
    fn from(a: &AttributionOptions) -> Self {
        ReportOptions {
            base: a.base.clone(),
            in_use: a.in_use.clone(),
            ..ReportOptions::default()
        }
    }
}

/// One image's figures, read at its top node.
#[derive(Clone)]
struct ImageFacts {
    top: u32,
    top_dirs: Vec<super::DirSize>,
    final_size: u64,
    dive: DiveScore,
    duplicates: (u64, Vec<DuplicateGroup>),
}

/// Every reducer of the walk.
#[derive(Clone)]
struct Facts<'c, 'm, 'a> {
    m: &'m SetModel<'a>,
    waste: Waste,
    dive: Dive,
    within: Within,
    seen: Seen,
    attribute: Attribute<'c, 'm, 'a>,
    top_dirs: Option<TopDirs<'c>>,
    findings: Findings<'c, 'm, 'a>,
    images: Vec<(u32, ImageFacts)>,
}

impl Sink for Facts<'_, '_, '_> {
    fn enter(&mut self, o: &Overlay<'_, '_>, pid: u32, at: At) {
        self.waste.enter(o, at);
        self.within.enter(o, pid, at);
        self.seen.enter(o, pid, at);
        self.attribute.enter(o, pid, at);
        if let Some(t) = &mut self.top_dirs {
            t.count(o, pid, at, true);
        }
    }

    fn leave(&mut self, o: &Overlay<'_, '_>, pid: u32, at: At, why: Why) {
        self.waste.leave(o, pid, at, why);
        self.within.leave(o, pid, at);
        self.seen.leave(o, pid, at);
        self.attribute.leave(o, pid, at, why);
        if let Some(t) = &mut self.top_dirs {
            t.count(o, pid, at, false);
        }
    }
}

impl Walker for Facts<'_, '_, '_> {
    fn forked(&self) -> Self {
        // Copied on two cores, in halves of about the same cost (the tables are per
        // path, per record and per content: megabytes on a big set; on the real docker
        // save the copy took 9 ms on one core, `dive` and `seen` the largest parts),
        // without the per-image results, which stay with this walker.
        let ((dive, mut attribute, top_dirs, mut findings), (within, seen)) = rayon::join(
            || {
                (
                    self.dive.clone(),
                    self.attribute.clone(),
                    self.top_dirs.clone(),
                    self.findings.clone(),
                )
            },
            || (self.within.clone(), self.seen.clone()),
        );
        attribute.images.clear();
        findings.images.clear();
        Facts {
            m: self.m,
            waste: self.waste.clone(),
            dive,
            within,
            seen,
            attribute,
            top_dirs,
            findings,
            images: Vec::new(),
        }
    }

    fn pushing(&mut self, o: &Overlay<'_, '_>, node: u32) {
        self.attribute.pushing(o, node);
    }

    fn applied(&mut self, o: &Overlay<'_, '_>, node: u32) {
        self.waste.applied(o, node);
        self.dive.applied(o, node);
        self.attribute.applied(o);
    }

    fn image(&mut self, o: &Overlay<'_, '_>, image: u32) {
        let m = self.m;
        let top = *o.stack().last().expect("an image ends at a node");
        let first = o
            .stack()
            .first()
            .map_or(0, |&n| m.content_size(m.tree().node(n).layer));
        let facts = ImageFacts {
            top,
            top_dirs: self
                .top_dirs
                .as_mut()
                .map(|t| t.image(m))
                .unwrap_or_default(),
            final_size: self.waste.final_size,
            dive: self.dive.score(m.cumulative_size(top), first),
            duplicates: self.within.groups(m, crate::TOP_N),
        };
        self.images.push((image, facts));
        self.seen.image(image);
        self.attribute.image(o, image);
        self.findings.image(o, image);
    }

    fn left(&mut self, o: &Overlay<'_, '_>, _node: u32) {
        self.dive.left();
        self.attribute.left(o);
    }
}

impl Report {
    /// Build the report of an analysed set.
    pub fn build(set: &ImageSet, opts: &ReportOptions) -> Result<Report> {
        let pool = crate::options::thread_pool(opts.threads)?;
        pool.install(|| build(set, opts))
    }
}

fn build(set: &ImageSet, opts: &ReportOptions) -> Result<Report> {
    let position = |img: &crate::Image| {
        set.images
            .iter()
            .position(|i| i.id == img.id)
            .expect("an image of the set")
    };
    let base = opts
        .base
        .as_deref()
        .map(|b| find(set, b, "base image").map(position))
        .transpose()?;
    let in_use: Vec<usize> = opts
        .in_use
        .iter()
        .map(|r| find(set, r, "image in use").map(position))
        .collect::<Result<_>>()?;
    let lap = Lap::new();
    let m = SetModel::new(set);
    lap.lap("model");
    let cx = Context::new(&m);
    lap.lap("package context");
    let in_use_flags: Option<Vec<bool>> =
        (!in_use.is_empty()).then(|| (0..set.images.len()).map(|i| in_use.contains(&i)).collect());
    let base_nodes = base.map(|b| m.tree().paths[b].clone());
    let ancestors = opts.top_dirs.then(|| Ancestors::new(&m));
    let candidates = Candidates::new(&m);
    let walkers = m.walk(|| Facts {
        m: &m,
        waste: Waste::new(&m),
        dive: Dive::new(&m),
        within: Within::new(&m),
        seen: Seen::new(&m, in_use_flags.as_deref()),
        attribute: Attribute::new(
            &cx,
            match &base_nodes {
                Some(p) => Base::Image(p.clone()),
                None => Base::Family,
            },
        ),
        top_dirs: ancestors.as_ref().map(|a| TopDirs::new(&m, a)),
        findings: Findings::new(&m, &candidates),
        images: Vec::new(),
    });

    lap.lap("walk");
    // Merge what each worker saw.
    let n_images = set.images.len();
    let mut facts: Vec<Option<ImageFacts>> = (0..n_images).map(|_| None).collect();
    let mut attributions: Vec<ImageAttribution> = vec![ImageAttribution::default(); n_images];
    let mut file_findings: Vec<Vec<findings::Finding>> = vec![Vec::new(); n_images];
    let mut waste: Vec<Option<NodeWaste>> = vec![None; m.tree().nodes.len()];
    let mut first: HashMap<(usize, u32), (u32, u32)> = HashMap::default();
    let mut walkers = walkers;
    let (mut seen_marks, mut tally_marks, mut kind_marks) = {
        let w = &walkers[0];
        (
            w.seen.marks.clone(),
            w.attribute.marks.clone(),
            w.attribute.kind_marks.clone(),
        )
    };
    for w in &mut walkers {
        for (i, f) in w.images.drain(..) {
            facts[i as usize] = Some(f);
        }
        for (i, a) in w.attribute.images.drain(..) {
            attributions[i as usize] = a;
        }
        for (i, f) in w.findings.images.drain(..) {
            file_findings[i as usize] = f;
        }
        for (n, nw) in w.waste.nodes.iter_mut().enumerate() {
            if let Some(nw) = nw.take() {
                waste[n] = Some(nw);
            }
        }
        for (k, v) in &w.attribute.first {
            let e = first.entry(*k).or_insert(*v);
            if *v < *e {
                *e = *v;
            }
        }
        for (mine, theirs) in seen_marks.iter_mut().zip(&w.seen.marks) {
            mine.iter_mut().zip(theirs).for_each(|(a, b)| *a |= b);
        }
        for (mine, theirs) in tally_marks.iter_mut().zip(&w.attribute.marks) {
            mine.iter_mut().zip(theirs).for_each(|(a, b)| *a |= b);
        }
        for (mine, theirs) in kind_marks.iter_mut().zip(&w.attribute.kind_marks) {
            mine.iter_mut().zip(theirs).for_each(|(a, b)| *a |= b);
        }
    }
    let images_of =
        |c: u32| -> Vec<u32> { walkers.iter().flat_map(|w| w.seen.images_of(c)).collect() };

    let ledger = ledger::ledger(&m, &seen_marks);
    let shared = duplicates::across_set(&m, &seen_marks, images_of, crate::TOP_N * 2);
    let near_shared = families::near_shared(&m);
    let families = families::families(&m);

    let mut notes = set.notes.clone();
    let incomplete = (0..n_images).any(|i| {
        m.tree()
            .top(i)
            .and_then(|t| waste[t as usize].as_ref())
            .is_some_and(|w| !w.complete)
    });
    if incomplete {
        notes.push(
            "some layers kept no per-file records: waste, duplicate and content-dedup \
             figures undercount"
                .into(),
        );
    }
    for (img, a) in set.images.iter().zip(&attributions) {
        for n in &a.notes {
            let n = format!("{}: {n}", img.name());
            if !notes.contains(&n) {
                notes.push(n);
            }
        }
    }

    let wasted: Vec<u64> = (0..n_images)
        .map(|i| {
            m.tree()
                .top(i)
                .and_then(|t| waste[t as usize].as_ref())
                .map_or(0, |w| w.overwritten + w.deleted)
        })
        .collect();
    let measured = Measured {
        attributions: &attributions,
        wasted: &wasted,
        waste: &waste,
        tally_marks: &tally_marks,
        first: &first,
        seen_marks: &seen_marks,
    };
    let (recommendations, reclaimable) = recommend::recommendations(
        &m,
        &measured,
        &near_shared,
        (shared.saved_size, shared.images),
        (!in_use.is_empty()).then_some(in_use.as_slice()),
    );
    let summary = recommend::summary(&attributions, &wasted);
    let stored_summary = recommend::stored_summary(&m, &kind_marks);
    let packages = recommend::set_packages(&attributions);

    // How many images use each layer.
    let mut users = vec![0u32; m.layers().len()];
    for i in 0..n_images {
        let mut mine: Vec<u32> = m.image_layers(i).collect();
        mine.sort_unstable();
        mine.dedup();
        for l in mine {
            users[l as usize] += 1;
        }
    }
    let images: Vec<ImageReport> = (0..n_images)
        .map(|i| {
            let mut r = image_report(
                &m,
                i,
                facts[i].take(),
                std::mem::take(&mut attributions[i]),
                &waste,
                &ledger.images[i],
                &users,
            );
            let (found, note) =
                findings::image_findings(&set.images[i], std::mem::take(&mut file_findings[i]));
            r.findings = found;
            notes.extend(note);
            r
        })
        .collect();
    let totals = totals(&m, &ledger);
    lap.lap("assembly");
    Ok(Report {
        schema: super::SCHEMA.to_string(),
        inputs: set.inputs.clone(),
        images,
        totals,
        notes,
        families,
        near_shared,
        duplicates: SetDuplicates {
            saved_size: shared.saved_size,
            count: shared.count,
            groups: shared.groups,
        },
        recommendations,
        reclaimable,
        packages,
        summary,
        stored_summary,
    })
}

fn totals(m: &SetModel<'_>, ledger: &ledger::Ledger) -> Totals {
    let set = m.set();
    let mut used = vec![false; m.layers().len()];
    for n in &m.tree().nodes {
        used[n.layer as usize] = true;
    }
    let mut t = Totals {
        images: set.images.len() as u64,
        layers: set.images.iter().map(|i| i.layers.len() as u64).sum(),
        unique_layers: used.iter().filter(|&&u| u).count() as u64,
        naive_size: ledger.naive_size,
        chain_dedup_size: ledger.chain_dedup_size,
        content_dedup_size: ledger.content_dedup_size,
        ..Totals::default()
    };
    for (l, (_, r)) in m.layers().iter().enumerate() {
        if let (true, Some(r)) = (used[l], r) {
            t.dedup_size += r.content_size;
            t.dedup_tar_size += r.tar_size;
            t.dedup_stored_size += r.stored_size;
        }
    }
    t
}

fn image_report(
    m: &SetModel<'_>,
    i: usize,
    facts: Option<ImageFacts>,
    a: ImageAttribution,
    waste: &[Option<NodeWaste>],
    l: &ledger::ImageLedger,
    users: &[u32],
) -> ImageReport {
    let set = m.set();
    let img = &set.images[i];
    let tree = m.tree();
    let mut size = 0;
    let mut shared = 0;
    let mut docker_size = 0;
    let mut layers: Vec<LayerEntry> = Vec::with_capacity(img.layers.len());
    for (il, &node) in img.layers.iter().zip(&tree.paths[i]) {
        let n = tree.node(node);
        let r = m.layers()[n.layer as usize]
            .1
            .expect("every image layer has a report");
        size += r.content_size;
        docker_size += r.content_size + r.symlink_size;
        if users[n.layer as usize] > 1 {
            shared += r.content_size;
        }
        layers.push(LayerEntry {
            diff_id: il.diff_id.clone(),
            verified: r.verified,
            stored_digest: il.stored_digest.clone(),
            compression: il.compression,
            media_type: il.media_type.clone(),
            stored_size: il.stored_size,
            tar_size: r.tar_size,
            content_size: r.content_size,
            symlink_size: r.symlink_size,
            files: r.counts.files(),
            directories: r.counts.directories,
            symlinks: r.counts.symlinks,
            hardlinks: r.counts.hardlinks,
            whiteouts: r.counts.whiteouts,
            opaque_whiteouts: r.counts.opaque_whiteouts,
            created_by: il.created_by.clone(),
            chain_id: Some(n.chain_id.clone()),
            top_packages: Vec::new(),
            store_size: il.store_size,
        });
    }
    let w = tree.top(i).and_then(|t| waste[t as usize].as_ref());
    let (overwritten, deleted) = w.map_or((0, 0), |w| (w.overwritten, w.deleted));
    let command = |k: u32| {
        img.layers
            .get(k as usize)
            .and_then(|l| l.created_by.clone())
    };
    let top_waste = w
        .map(|w| {
            w.top
                .iter()
                .map(|e| WasteEntry {
                    path: m.paths().path(e.pid).to_string(),
                    size: e.size,
                    cause: e.cause,
                    added_by: e.added_by as u64,
                    added_by_command: command(e.added_by),
                    hidden_by: e.hidden_by as u64,
                    hidden_by_command: command(e.hidden_by),
                })
                .collect()
        })
        .unwrap_or_default();
    let (final_size, dive, (duplicate_size, duplicates), top_dirs) = match facts {
        Some(f) => {
            debug_assert_eq!(Some(f.top), tree.top(i));
            (f.final_size, f.dive, f.duplicates, f.top_dirs)
        }
        None => (
            0,
            DiveScore {
                efficiency: 1.0,
                wasted_size: 0,
                user_size: 0,
            },
            (0, Vec::new()),
            Vec::new(),
        ),
    };
    let base_layers = a.base_layers as usize;
    let mut by_origin = ByOrigin::default();
    for (k, layer) in m.image_layers(i).enumerate() {
        if k < base_layers {
            by_origin.base += m.content_size(layer);
        } else {
            by_origin.own += m.content_size(layer);
        }
    }
    let by_kind = ByKind {
        wasted: overwritten + deleted,
        ..a.by_kind
    };
    debug_assert_eq!(by_kind.total(), size);
    // Packages arrive largest first: the first TOP_N of each layer are its top.
    for p in a.packages.iter() {
        if let Some(layer) = layers.get_mut(p.layer as usize) {
            if layer.top_packages.len() < crate::TOP_N {
                layer.top_packages.push(LayerPackage {
                    manager: p.manager,
                    name: p.name.clone(),
                    version: p.version.clone(),
                    size: p.size,
                    files: p.files,
                });
            }
        }
    }
    ImageReport {
        refs: img.refs.clone(),
        id: img.id.clone(),
        sources: img.sources.clone(),
        format: img.format,
        os: img.os.clone(),
        architecture: img.architecture.clone(),
        variant: img.variant.clone(),
        created: img.created.clone(),
        size,
        shared_size: shared,
        unique_size: size - shared,
        docker_size,
        layers,
        chain_shared_size: l.chain_shared_size,
        chain_unique_size: l.chain_unique_size,
        overwritten_size: overwritten,
        deleted_size: deleted,
        wasted_size: overwritten + deleted,
        final_size,
        duplicate_size,
        efficiency: dive.efficiency,
        dive_wasted_size: dive.wasted_size,
        user_size: dive.user_size,
        top_waste,
        duplicates,
        base_layers: a.base_layers,
        by_origin,
        by_kind,
        packages: a.packages,
        top_dirs,
        store: img.store.clone(),
        findings: Vec::new(),
    }
}

/// With `LAYERLENS_TIMINGS` set, the wall time of each step of the report phase on
/// standard error (for benchmarking; off by default).
struct Lap(Option<std::cell::Cell<std::time::Instant>>);

impl Lap {
    fn new() -> Self {
        Lap(std::env::var_os("LAYERLENS_TIMINGS")
            .map(|_| std::cell::Cell::new(std::time::Instant::now())))
    }

    fn lap(&self, step: &str) {
        if let Some(t) = &self.0 {
            let now = std::time::Instant::now();
            eprintln!(
                "layerlens:   report {step}: {:.3} s",
                (now - t.get()).as_secs_f64()
            );
            t.set(now);
        }
    }
}

//! Recommendations with measured savings, the what-if of deleting every image not in
//! use, the set's top packages, and the seed-style summary (component / current /
//! target / reduction).
//!
//! Every saving is measured from the files: `savings` counts each (layer, path) once
//! across the set (what a registry or content store would stop storing), and
//! `naive_savings` sums the bytes over the images (what adding up `docker images`
//! would drop). See `docs/attribution.md`. The per-(layer, path) marks and the
//! per-image tallies come from the walk of the ChainID tree ([`super::build`]).
//!
//! Over 600 lines on purpose: each rule is a short function, kept beside the others so their
//! savings are counted the same way (`savings`, stored once per (layer, path)).

use std::collections::{BTreeMap, BTreeSet};

use foldhash::HashMap;
use serde::{Deserialize, Serialize};

use crate::attribution::packages::Manager;
use crate::attribution::walk::{ImageAttribution, BUCKETS, CACHES, DOCS, SLIM, TOOLCHAINS};
use crate::attribution::Kind;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::forensics::duplicates::{KEPT, VISIBLE};
use crate::forensics::families::{NearShared, NearSharedKind};
use crate::forensics::ledger::content_id;
use crate::forensics::waste::NodeWaste;
use crate::model::SetModel;
use crate::read::analyzer::{Image, ImageSet};
use crate::read::layer::EntryKind;

/// What attribution and the what-if need beyond the set: the base image and the images
/// in use, by ref or id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttributionOptions {
    /// `--base REF`: the image whose layers are the base of every image built on it.
    pub base: Option<String>,
    /// `--in-use REF...`: the images to keep; when non-empty, the report says what
    /// deleting every other image would reclaim.
    pub in_use: Vec<String>,
}

/// One step of a recommendation: a layer (or an image) and the bytes it accounts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecommendationDetail {
    /// What to do or what was found.
    pub what: String,
    /// The layer concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff_id: Option<Digest>,
    /// That layer's history command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Bytes, counted once per (layer, path).
    pub size: u64,
}

/// One recommendation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    /// Stable id: `remove-caches`, `remove-docs`, `multi-stage`, `slim-base`,
    /// `slim-variant`, `squash-waste`, `consolidate-base`, `reproducible-layers`,
    /// `remove-duplicates`, `remove-unused`.
    pub id: String,
    /// One line for people.
    pub title: String,
    /// Measured bytes saved, each (layer, path) once across the set.
    pub savings: u64,
    /// The images concerned, sorted.
    pub images: Vec<Digest>,
    /// The same saving summed over the images.
    #[serde(default)]
    pub naive_savings: u64,
    /// The largest contributions (at most [`crate::TOP_N`]).
    #[serde(default)]
    pub details: Vec<RecommendationDetail>,
}

/// What deleting every image not in use would reclaim, at each ledger level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reclaimable {
    /// Σ sizes of the images not in use.
    pub naive: u64,
    /// Content bytes of the diff_ids only they use.
    pub blob: u64,
    /// Content bytes of the ChainIDs only they use (overlay2).
    pub chain: u64,
    /// Bytes of the final-file contents only they hold.
    pub content: u64,
}

/// One package across the set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetPackage {
    /// Manager.
    pub manager: Manager,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Bytes of one copy (the largest seen).
    pub size: u64,
    /// Distinct layers that ship it.
    pub layers: u64,
    /// Images that hold it.
    pub images: u64,
    /// Σ over those layers of its bytes: what the set stores for it.
    pub stored_size: u64,
}

/// One row of the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// A kind, or `total`.
    pub component: String,
    /// Σ over the images of its bytes now.
    pub current: u64,
    /// After the recommendations that remove it.
    pub target: u64,
    /// `current - target`.
    pub reduction: u64,
}

/// Resolve a ref or id to an image of the set; `role` says what the image is for in
/// the error (`base image`, `image in use`).
pub fn find<'a>(set: &'a ImageSet, name: &str, role: &str) -> Result<&'a Image> {
    set.find_image(name)
        .ok_or_else(|| Error::Options(format!("{role} {name:?}: no such image in the inputs")))
}

/// What the walk measured that the recommendations read.
pub(crate) struct Measured<'r> {
    /// Per image, in the set's order.
    pub attributions: &'r [ImageAttribution],
    /// Per image: wasted bytes.
    pub wasted: &'r [u64],
    /// Per node: what its layer hid.
    pub waste: &'r [Option<NodeWaste>],
    /// Per layer, per record: bit `1 << tally` (see [`crate::attribution::walk`]).
    pub tally_marks: &'r [Vec<u8>],
    /// Per (tally, layer): the first image with a file of it, and the position.
    pub first: &'r HashMap<(usize, u32), (u32, u32)>,
    /// Per layer, per record: [`VISIBLE`] and [`KEPT`] bits.
    pub seen_marks: &'r [Vec<u8>],
}

/// Bytes counted once per (layer, path), and summed per image.
struct Tally<'m> {
    savings: u64,
    naive: u64,
    images: BTreeSet<&'m Digest>,
    per_layer: BTreeMap<&'m Digest, (u64, Option<&'m str>)>,
}

impl<'m> Tally<'m> {
    fn new() -> Self {
        Tally {
            savings: 0,
            naive: 0,
            images: BTreeSet::new(),
            per_layer: BTreeMap::new(),
        }
    }

    fn into_rec(self, id: &str, title: &str, what: &str) -> Option<Recommendation> {
        if self.savings == 0 {
            return None;
        }
        let mut details: Vec<RecommendationDetail> = self
            .per_layer
            .into_iter()
            .map(|(d, (size, cmd))| RecommendationDetail {
                what: what.to_string(),
                diff_id: Some(d.clone()),
                created_by: cmd.map(str::to_string),
                size,
            })
            .collect();
        details.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.diff_id.cmp(&b.diff_id)));
        details.truncate(crate::TOP_N);
        Some(Recommendation {
            id: id.into(),
            title: title.into(),
            savings: self.savings,
            images: self.images.into_iter().cloned().collect(),
            naive_savings: self.naive,
            details,
        })
    }
}

/// The created_by of image `image` at position `depth`.
fn command<'m>(m: &SetModel<'m>, image: u32, depth: u32) -> Option<&'m str> {
    m.images()[image as usize].layers[depth as usize]
        .created_by
        .as_deref()
}

/// A per-kind tally from the walk's marks and per-image counts.
fn kind_tally<'m>(m: &SetModel<'m>, r: &Measured<'_>, b: usize) -> Tally<'m> {
    let mut t = Tally::new();
    for (l, marks) in r.tally_marks.iter().enumerate() {
        let files = m.files(l as u32);
        let mut sum = 0;
        let mut any = false;
        for (e, &mark) in marks.iter().enumerate() {
            if mark & (1 << b) != 0 {
                sum += files[e].size;
                any = true;
            }
        }
        if any {
            t.savings += sum;
            let (img, depth) = r.first[&(b, l as u32)];
            t.per_layer
                .insert(m.layers()[l].0, (sum, command(m, img, depth)));
        }
    }
    for (img, a) in m.images().iter().zip(r.attributions) {
        let (size, files) = a.buckets[b];
        t.naive += size;
        if files > 0 {
            t.images.insert(&img.id);
        }
    }
    t
}

/// The waste tally: what each layer adds that a later one hides, once per (layer, path).
fn waste_tally<'m>(m: &SetModel<'m>, r: &Measured<'_>) -> Tally<'m> {
    let tree = m.tree();
    let mut t = Tally::new();
    // A hidden file saves stored bytes only when no image of the set shows it: one
    // that is visible in another image (the base the hiding image is built on, a
    // sibling) stays stored whatever this image does.
    let savable = |e: &crate::forensics::waste::Event| {
        r.seen_marks[e.layer as usize][e.entry as usize] & VISIBLE == 0
    };
    let mut hidden: Vec<(u32, u32, u64)> = r
        .waste
        .iter()
        .flatten()
        .flat_map(|w| w.events.iter().filter(|e| savable(e)))
        .map(|e| (e.layer, e.pid, e.size))
        .collect();
    hidden.sort_by_key(|h| (h.0, h.1));
    hidden.dedup_by_key(|h| (h.0, h.1));
    let mut per_layer: HashMap<u32, u64> = HashMap::default();
    for (l, _, size) in &hidden {
        t.savings += size;
        *per_layer.entry(*l).or_default() += size;
    }
    // The command of each layer's first event, in the first image (the set's order).
    let mut named: HashMap<u32, Option<&'m str>> = HashMap::default();
    for (i, (img, path)) in m.images().iter().zip(&tree.paths).enumerate() {
        t.naive += r.wasted[i];
        let mut saves = false;
        for &n in path {
            for e in r.waste[n as usize].iter().flat_map(|w| &w.events) {
                if !savable(e) {
                    continue;
                }
                saves = true;
                named
                    .entry(e.layer)
                    .or_insert_with(|| command(m, i as u32, e.added_by));
            }
        }
        if saves {
            t.images.insert(&img.id);
        }
    }
    for (l, size) in per_layer {
        t.per_layer.insert(
            m.layers()[l as usize].0,
            (size, named.get(&l).copied().flatten()),
        );
    }
    t
}

/// Every recommendation, largest saving first; and with images in use, what deleting
/// the others would reclaim.
pub(crate) fn recommendations(
    m: &SetModel<'_>,
    r: &Measured<'_>,
    near_shared: &[NearShared],
    duplicates: (u64, Vec<Digest>),
    in_use: Option<&[usize]>,
) -> (Vec<Recommendation>, Option<Reclaimable>) {
    let mut recs: Vec<Recommendation> = Vec::new();
    for (b, id, title, what) in [
        (
            CACHES,
            "remove-caches",
            "Remove caches in the layer that creates them",
            "caches left by this layer",
        ),
        (
            TOOLCHAINS,
            "multi-stage",
            "Multi-stage build: leave toolchains, headers, static libs in a build stage",
            "toolchain bytes added by this layer",
        ),
        (
            DOCS,
            "remove-docs",
            "Install without docs, man pages and locales",
            "docs added by this layer",
        ),
        (
            SLIM,
            "slim-base",
            "Slim base: toolchains, docs and caches the base carries",
            "toolchains, docs and caches of this base layer",
        ),
    ] {
        debug_assert!(b < BUCKETS);
        recs.extend(kind_tally(m, r, b).into_rec(id, title, what));
    }
    recs.extend(slim_variants(m));
    recs.extend(waste_tally(m, r).into_rec(
        "squash-waste",
        "Delete files in the layer that adds them: bytes hidden later",
        "bytes this layer adds that a later layer hides",
    ));
    for (kind, id, title) in [
        (
            NearSharedKind::Rebased,
            "consolidate-base",
            "Consolidate on one base: the same layer stored once per parent",
        ),
        (
            NearSharedKind::SameContent,
            "reproducible-layers",
            "Rebuild near-shared layers reproducibly: same files, different diff_ids",
        ),
    ] {
        let group: Vec<&NearShared> = near_shared.iter().filter(|n| n.kind == kind).collect();
        let savings: u64 = group.iter().map(|n| n.savable_size).sum();
        if savings == 0 {
            continue;
        }
        let images: BTreeSet<&Digest> = group.iter().flat_map(|n| &n.images).collect();
        recs.push(Recommendation {
            id: id.into(),
            title: title.into(),
            savings,
            images: images.into_iter().cloned().collect(),
            naive_savings: 0,
            details: group
                .iter()
                .take(crate::TOP_N)
                .map(|n| RecommendationDetail {
                    what: format!("{} copies", n.chain_ids.len().max(n.diff_ids.len())),
                    diff_id: n.diff_ids.first().cloned(),
                    created_by: None,
                    size: n.savable_size,
                })
                .collect(),
        });
    }
    if duplicates.0 > 0 {
        recs.push(Recommendation {
            id: "remove-duplicates".into(),
            title: "Ship content once: the same files added by several layers".into(),
            savings: duplicates.0,
            images: duplicates.1,
            naive_savings: 0,
            details: Vec::new(),
        });
    }
    let reclaimable = in_use.map(|keep| reclaim(m, r.seen_marks, keep));
    if let (Some(rc), Some(keep)) = (reclaimable, in_use) {
        let unused: Vec<usize> = (0..m.images().len())
            .filter(|i| !keep.contains(i))
            .collect();
        if rc.blob > 0 || !unused.is_empty() {
            recs.push(Recommendation {
                id: "remove-unused".into(),
                title: "Remove the images not in use".into(),
                savings: rc.blob,
                images: unused.iter().map(|&i| m.images()[i].id.clone()).collect(),
                naive_savings: rc.naive,
                details: unused
                    .iter()
                    .map(|&i| RecommendationDetail {
                        what: m.images()[i].name(),
                        diff_id: None,
                        created_by: None,
                        size: m.image_size(i),
                    })
                    .collect(),
            });
        }
    }
    recs.sort_by(|a, b| b.savings.cmp(&a.savings).then_with(|| a.id.cmp(&b.id)));
    (recs, reclaimable)
}

/// Per kind: Σ over images now, and after the per-kind recommendations (which remove
/// every cache, doc, toolchain and wasted byte).
pub(crate) fn summary(attributions: &[ImageAttribution], wasted: &[u64]) -> Vec<SummaryRow> {
    rows(Kind::ALL.iter().map(|&k| {
        let current: u64 = if k == Kind::Wasted {
            wasted.iter().sum()
        } else {
            attributions.iter().map(|a| a.by_kind.get(k)).sum()
        };
        (k, current)
    }))
}

/// Per kind, each distinct layer once (the `stored` level, Σ = `totals.dedup_size`):
/// now, and after the per-kind recommendations (which remove every cache, doc,
/// toolchain and wasted byte). A file takes the first kind, in precedence order, it has
/// in the final filesystems that show it, and is `wasted` when none does; the bytes of a
/// layer that kept no per-file records are `unowned`.
pub(crate) fn stored_summary(m: &SetModel<'_>, kind_marks: &[Vec<u8>]) -> Vec<SummaryRow> {
    let mut used = vec![false; m.layers().len()];
    for n in &m.tree().nodes {
        used[n.layer as usize] = true;
    }
    let mut current = [0u64; 8];
    for (l, marks) in kind_marks.iter().enumerate() {
        if !used[l] {
            continue;
        }
        let files = m.files(l as u32);
        let mut counted = 0;
        for (e, f) in files.iter().enumerate() {
            if f.kind != EntryKind::Regular {
                continue;
            }
            let mark = marks.get(e).copied().unwrap_or(0);
            let k = if mark == 0 {
                Kind::Wasted as usize
            } else {
                mark.trailing_zeros() as usize
            };
            current[k] += f.size;
            counted += f.size;
        }
        current[Kind::Unowned as usize] += m.content_size(l as u32).saturating_sub(counted);
    }
    rows(Kind::ALL.iter().map(|&k| (k, current[k as usize])))
}

/// The summary's rows from each kind's bytes now, and its total.
fn rows(current: impl Iterator<Item = (Kind, u64)>) -> Vec<SummaryRow> {
    let mut out = Vec::new();
    let (mut cur_t, mut tgt_t) = (0, 0);
    for (k, current) in current {
        let removed = match k {
            Kind::Wasted | Kind::Caches | Kind::Docs | Kind::Toolchains => current,
            _ => 0,
        };
        out.push(SummaryRow {
            component: k.as_str().into(),
            current,
            target: current - removed,
            reduction: removed,
        });
        cur_t += current;
        tgt_t += current - removed;
    }
    out.push(SummaryRow {
        component: "total".into(),
        current: cur_t,
        target: tgt_t,
        reduction: cur_t - tgt_t,
    });
    out
}

/// The packages the set stores most bytes of: distinct (manager, name, version), the
/// layers that ship them.
pub(crate) fn set_packages(attributions: &[ImageAttribution]) -> Vec<SetPackage> {
    type Key<'k> = (Manager, &'k str, &'k str);
    let mut agg: BTreeMap<Key<'_>, (u64, BTreeMap<&Digest, u64>, u64)> = BTreeMap::new();
    for a in attributions {
        for p in a.packages.iter() {
            let e = agg.entry((p.manager, &*p.name, &*p.version)).or_default();
            e.0 = e.0.max(p.size);
            let l = e.1.entry(&p.diff_id).or_default();
            *l = (*l).max(p.size);
            e.2 += 1;
        }
    }
    let mut out: Vec<SetPackage> = agg
        .into_iter()
        .map(|((m, n, v), (size, layers, images))| SetPackage {
            manager: m,
            name: n.into(),
            version: v.into(),
            size,
            layers: layers.len() as u64,
            images,
            stored_size: layers.values().sum(),
        })
        .collect();
    out.sort_by(|a, b| {
        b.stored_size
            .cmp(&a.stored_size)
            .then_with(|| (a.manager, &a.name, &a.version).cmp(&(b.manager, &b.name, &b.version)))
    });
    out.truncate(crate::TOP_N * 2);
    out
}

/// Bytes reclaimed by deleting every image but `keep` (indexes), at each ledger level.
fn reclaim(m: &SetModel<'_>, seen_marks: &[Vec<u8>], keep: &[usize]) -> Reclaimable {
    let tree = m.tree();
    let mut out = Reclaimable::default();
    let n_layers = m.layers().len();
    let (mut blob_all, mut blob_kept) = (vec![false; n_layers], vec![false; n_layers]);
    let (mut chain_all, mut chain_kept) =
        (vec![false; tree.nodes.len()], vec![false; tree.nodes.len()]);
    for (i, path) in tree.paths.iter().enumerate() {
        let kept = keep.contains(&i);
        if !kept {
            out.naive += m.image_size(i);
        }
        for &n in path {
            let l = tree.node(n).layer as usize;
            blob_all[l] = true;
            chain_all[n as usize] = true;
            if kept {
                blob_kept[l] = true;
                chain_kept[n as usize] = true;
            }
        }
    }
    out.blob = (0..n_layers)
        .filter(|&l| blob_all[l] && !blob_kept[l])
        .map(|l| m.content_size(l as u32))
        .sum();
    out.chain = (0..tree.nodes.len())
        .filter(|&n| chain_all[n] && !chain_kept[n])
        .map(|n| m.content_size(tree.nodes[n].layer))
        .sum();
    let mut contents: Vec<(crate::forensics::ledger::ContentId, u64, bool)> = Vec::new();
    for (l, marks) in seen_marks.iter().enumerate() {
        let files = m.files(l as u32);
        for (e, &mark) in marks.iter().enumerate() {
            if mark & VISIBLE != 0 && files[e].kind == EntryKind::Regular {
                contents.push((
                    content_id(m, l as u32, e as u32),
                    files[e].size,
                    mark & KEPT != 0,
                ));
            }
        }
    }
    contents.sort_unstable_by_key(|c| c.0);
    for group in contents.chunk_by(|a, b| a.0 == b.0) {
        if !group.iter().any(|c| c.2) {
            out.content += group[0].1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::report::ReportOptions;
    use crate::testutil::set;
    use crate::Report;

    #[test]
    fn reclaimable_counts_what_stays_shared() {
        let base = vec![("f", "bin/sh", 100, 1)];
        let s = set(&[
            ("a:1", vec![base.clone(), vec![("f", "a", 10, 2)]]),
            ("b:1", vec![base.clone(), vec![("f", "b", 20, 3)]]),
            (
                "c:1",
                vec![vec![("f", "c", 5, 4), ("f", "copy-of-a", 10, 2)]],
            ),
        ]);
        let r = Report::build(&s, &ReportOptions::default().in_use(["a:1"])).unwrap();
        let r = r.reclaimable.unwrap();
        assert_eq!(r.naive, 120 + 15);
        assert_eq!(r.blob, 20 + 15);
        assert_eq!(r.chain, 20 + 15);
        // c's copy of a's content stays stored by a.
        assert_eq!(r.content, 20 + 5);
    }
}

/// `repo:tag` split at the tag's colon (a registry port is not a tag).
fn repo_and_tag(r: &str) -> (&str, &str) {
    match r.rfind(':') {
        Some(i) if !r[i + 1..].contains('/') => (&r[..i], &r[i + 1..]),
        _ => (r, "latest"),
    }
}

/// Whether `slim` names the slim variant of `fat`: the same repository, and a tag that is
/// the fat one with `slim` added (`3.11` → `3.11-slim`, `bookworm` → `bookworm-slim`,
/// `latest` → `slim`).
fn is_slim_variant_of(slim: &str, fat: &str) -> bool {
    let ((srepo, stag), (frepo, ftag)) = (repo_and_tag(slim), repo_and_tag(fat));
    if srepo != frepo || !stag.contains("slim") || ftag.contains("slim") {
        return false;
    }
    let stripped = fat_tag(stag);
    stripped == ftag || (ftag == "latest" && stripped.is_empty())
}

/// A slim tag without its `slim` (`3.11-slim` → `3.11`, `slim` → ``).
fn fat_tag(slim_tag: &str) -> String {
    slim_tag
        .replacen("-slim", "", 1)
        .replacen("slim-", "", 1)
        .replacen("slim", "", 1)
}

/// When both a base image and its slim variant are among the inputs: the measured
/// difference, stored once for the family (every image built on the fat base would
/// carry the slim one instead).
fn slim_variants(m: &SetModel<'_>) -> Vec<Recommendation> {
    let images = m.images();
    // Candidate pairs from each slim tag's fat tag, looked up in a map: linear in the
    // refs however many tags a repository has.
    let mut by_ref: HashMap<(&str, &str), Vec<usize>> = HashMap::default();
    for (i, img) in images.iter().enumerate() {
        for r in &img.refs {
            by_ref.entry(repo_and_tag(r)).or_default().push(i);
        }
    }
    let mut pairs: BTreeSet<(usize, usize)> = BTreeSet::new();
    for (si, img) in images.iter().enumerate() {
        for r in &img.refs {
            let (repo, tag) = repo_and_tag(r);
            if !tag.contains("slim") {
                continue;
            }
            let fat = fat_tag(tag);
            let mut fats = vec![fat.as_str()];
            if fat.is_empty() {
                fats.push("latest");
            }
            for f in fats {
                for &fi in by_ref.get(&(repo, f)).into_iter().flatten() {
                    if fi != si {
                        pairs.insert((fi, si));
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (fi, si) in pairs {
        let (fat, slim) = (&images[fi], &images[si]);
        let Some((fat_ref, slim_ref)) = fat.refs.iter().find_map(|f| {
            slim.refs
                .iter()
                .find(|s| is_slim_variant_of(s, f))
                .map(|s| (f, s))
        }) else {
            continue;
        };
        let (fat_size, slim_size) = (m.image_size(fi), m.image_size(si));
        if slim_size >= fat_size {
            continue;
        }
        // The images built on the fat base: their layers start with all of its layers.
        let mut built: Vec<&Image> = images
            .iter()
            .filter(|i| {
                i.id != fat.id
                    && i.layers.len() >= fat.layers.len()
                    && i.layers
                        .iter()
                        .zip(&fat.layers)
                        .all(|(a, b)| a.diff_id == b.diff_id)
            })
            .collect();
        built.sort_by(|a, b| a.id.cmp(&b.id));
        let saved = fat_size - slim_size;
        let mut ids: Vec<Digest> = built.iter().map(|i| i.id.clone()).collect();
        ids.push(fat.id.clone());
        ids.sort();
        out.push(Recommendation {
            id: "slim-variant".into(),
            title: format!("Switch {fat_ref} to {slim_ref}: both are among the inputs, measured"),
            savings: saved,
            naive_savings: saved * (built.len() as u64 + 1),
            images: ids,
            details: vec![RecommendationDetail {
                what: format!(
                    "{fat_ref} holds {fat_size} bytes, {slim_ref} {slim_size}; {} images are built on {fat_ref}",
                    built.len()
                ),
                diff_id: None,
                created_by: None,
                size: saved,
            }],
        });
    }
    out
}

#[cfg(test)]
mod slim_tests {
    use super::is_slim_variant_of;

    #[test]
    fn slim_variants_by_tag() {
        assert!(is_slim_variant_of("python:3.11-slim", "python:3.11"));
        assert!(is_slim_variant_of(
            "debian:bookworm-slim",
            "debian:bookworm"
        ));
        assert!(is_slim_variant_of("node:slim", "node:latest"));
        assert!(is_slim_variant_of(
            "registry:5000/py:3.11-slim",
            "registry:5000/py:3.11"
        ));
        assert!(!is_slim_variant_of("python:3.12-slim", "python:3.11"));
        assert!(!is_slim_variant_of("other:3.11-slim", "python:3.11"));
        assert!(!is_slim_variant_of("python:3.11", "python:3.11-slim"));
    }
}

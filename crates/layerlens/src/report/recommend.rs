//! Recommendations with measured savings, the what-if of deleting every image not in
//! use, the set's top packages, and the seed-style summary (component / current /
//! target / reduction).
//!
//! Every saving is measured from the files: `savings` counts each (layer, path) once
//! across the set (what a registry or content store would stop storing), and
//! `naive_savings` sums the bytes over the images (what adding up `docker images`
//! would drop). See `docs/attribution.md`.

use std::collections::{BTreeMap, BTreeSet};
// A seeded fast hasher: these maps are keyed by paths and digests on hot paths.
use foldhash::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::attribution::packages::Manager;
use crate::attribution::{self, Attribution, Kind};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::forensics::families::{NearShared, NearSharedKind};
use crate::forensics::ledger::content_id;
use crate::forensics::waste::Replay;
use crate::model::chain::image_chain_ids;
use crate::read::analyzer::{Image, ImageSet};

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

/// Resolve a ref or id to an image of the set.
pub fn find<'a>(set: &'a ImageSet, name: &str, flag: &str) -> Result<&'a Image> {
    set.find_image(name)
        .ok_or_else(|| Error::Options(format!("{flag} {name:?}: no such image in the inputs")))
}

/// Everything [`crate::Report`] adds for attribution.
pub(crate) struct Added {
    pub attributions: Vec<(
        u64,
        crate::attribution::ByOrigin,
        crate::attribution::ByKind,
    )>,
    pub packages: Vec<Vec<crate::attribution::PackageUsage>>,
    pub notes: Vec<String>,
    pub recommendations: Vec<Recommendation>,
    pub reclaimable: Option<Reclaimable>,
    pub set_packages: Vec<SetPackage>,
    pub summary: Vec<SummaryRow>,
}

/// Bytes counted once per (layer, path), and summed per image.
#[derive(Default)]
struct Tally<'a> {
    /// (layer number from [`LayerNumbers`], path): integers hash faster than digests.
    seen: HashSet<(u32, &'a str)>,
    savings: u64,
    naive: u64,
    per_layer: BTreeMap<&'a Digest, (u64, Option<&'a str>)>,
    images: BTreeSet<&'a Digest>,
    last_image: Option<&'a Digest>,
}

/// Each distinct diff_id of the set numbered once, per image layer position.
struct LayerNumbers(Vec<Vec<u32>>);

impl LayerNumbers {
    fn new(set: &ImageSet) -> Self {
        let mut no: HashMap<&Digest, u32> = HashMap::default();
        LayerNumbers(
            set.images
                .iter()
                .map(|img| {
                    img.layers
                        .iter()
                        .map(|l| {
                            let next = no.len() as u32;
                            *no.entry(&l.diff_id).or_insert(next)
                        })
                        .collect()
                })
                .collect(),
        )
    }
}

impl<'a> Tally<'a> {
    fn add(&mut self, img: &'a Image, layer_no: u32, layer: usize, path: &'a str, size: u64) {
        let il = &img.layers[layer];
        self.naive += size;
        if self.last_image != Some(&img.id) {
            self.images.insert(&img.id);
            self.last_image = Some(&img.id);
        }
        if self.seen.insert((layer_no, path)) {
            self.savings += size;
            let e = self
                .per_layer
                .entry(&il.diff_id)
                .or_insert((0, il.created_by.as_deref()));
            e.0 += size;
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

/// Attribute every image, then measure the recommendations.
pub(crate) fn compute(
    set: &ImageSet,
    replays: &[Replay<'_>],
    near_shared: &[NearShared],
    duplicate_saved: (u64, Vec<Digest>),
    opts: &AttributionOptions,
) -> Result<Added> {
    use rayon::prelude::*;
    let base = opts
        .base
        .as_deref()
        .map(|b| find(set, b, "--base"))
        .transpose()?;
    let in_use: Vec<&Image> = opts
        .in_use
        .iter()
        .map(|r| find(set, r, "--in-use"))
        .collect::<Result<_>>()?;
    let bases = attribution::base_layers(set, base);
    // Per image: its attribution, and the files the per-kind tallies below need
    // (caches, docs, toolchains: few); the per-file table of the attribution is
    // dropped at once, so that a large set's tables never sit in memory together.
    type Tallied<'a> = Vec<(Kind, usize, &'a str, u64)>;
    let (attrs, tallied): (Vec<Attribution<'_>>, Vec<Tallied<'_>>) = set
        .images
        .par_iter()
        .zip(replays.par_iter())
        .zip(bases.par_iter())
        .map(|((img, r), b)| {
            let mut a = attribution::attribute(set, img, r, *b);
            let items = a
                .files(r)
                .filter(|(_, fa)| matches!(fa.kind, Kind::Caches | Kind::Docs | Kind::Toolchains))
                .map(|(path, fa)| (fa.kind, fa.layer, path, fa.size))
                .collect();
            a.forget_files();
            (a, items)
        })
        .unzip();
    let mut notes: Vec<String> = Vec::new();
    for (img, a) in set.images.iter().zip(&attrs) {
        for n in &a.notes {
            let n = format!("{}: {n}", img.name());
            if !notes.contains(&n) {
                notes.push(n);
            }
        }
    }

    // Per-kind tallies: own caches, own docs, own toolchains, base slimming, waste.
    let mut caches = Tally::default();
    let mut docs = Tally::default();
    let mut toolchains = Tally::default();
    let mut slim = Tally::default();
    let mut waste = Tally::default();
    let mut naive_by_kind: HashMap<Kind, u64> = HashMap::default();
    let numbers = LayerNumbers::new(set);
    for ((((img, a), items), r), nos) in set
        .images
        .iter()
        .zip(&attrs)
        .zip(&tallied)
        .zip(replays)
        .zip(&numbers.0)
    {
        for &(kind, layer, path, size) in items {
            let in_base = layer < a.base_layers;
            let t = match (kind, in_base) {
                (Kind::Caches | Kind::Docs | Kind::Toolchains, true) => &mut slim,
                (Kind::Caches, false) => &mut caches,
                (Kind::Docs, false) => &mut docs,
                (Kind::Toolchains, false) => &mut toolchains,
                _ => continue,
            };
            t.add(img, nos[layer], layer, path, size);
            *naive_by_kind.entry(kind).or_default() += size;
        }
        for e in &r.events {
            waste.add(img, nos[e.added_by], e.added_by, e.path, e.size);
        }
        *naive_by_kind.entry(Kind::Wasted).or_default() += r.wasted_size();
    }
    let mut recs: Vec<Recommendation> = Vec::new();
    recs.extend(caches.into_rec(
        "remove-caches",
        "Remove caches in the layer that creates them",
        "caches left by this layer",
    ));
    recs.extend(toolchains.into_rec(
        "multi-stage",
        "Multi-stage build: leave toolchains, headers, static libs in a build stage",
        "toolchain bytes added by this layer",
    ));
    recs.extend(docs.into_rec(
        "remove-docs",
        "Install without docs, man pages and locales",
        "docs added by this layer",
    ));
    recs.extend(slim.into_rec(
        "slim-base",
        "Slim base: toolchains, docs and caches the base carries",
        "toolchains, docs and caches of this base layer",
    ));
    recs.extend(slim_variants(set));
    recs.extend(waste.into_rec(
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
    if duplicate_saved.0 > 0 {
        recs.push(Recommendation {
            id: "remove-duplicates".into(),
            title: "Ship content once: the same files added by several layers".into(),
            savings: duplicate_saved.0,
            images: duplicate_saved.1,
            naive_savings: 0,
            details: Vec::new(),
        });
    }
    let reclaimable = (!in_use.is_empty()).then(|| reclaim(set, replays, &in_use));
    if let Some(rc) = reclaimable {
        let keep: HashSet<&Digest> = in_use.iter().map(|i| &i.id).collect();
        let unused: Vec<&Image> = set
            .images
            .iter()
            .filter(|i| !keep.contains(&i.id))
            .collect();
        if rc.blob > 0 || !unused.is_empty() {
            recs.push(Recommendation {
                id: "remove-unused".into(),
                title: "Remove the images not in use".into(),
                savings: rc.blob,
                images: unused.iter().map(|i| i.id.clone()).collect(),
                naive_savings: rc.naive,
                details: unused
                    .iter()
                    .map(|i| RecommendationDetail {
                        what: i.name(),
                        diff_id: None,
                        created_by: None,
                        size: set
                            .images
                            .iter()
                            .position(|x| x.id == i.id)
                            .map_or(0, |k| attrs[k].by_kind.total()),
                    })
                    .collect(),
            });
        }
    }
    recs.sort_by(|a, b| b.savings.cmp(&a.savings).then_with(|| a.id.cmp(&b.id)));

    // Summary: per kind, Σ over images now and after the per-kind recommendations.
    let mut summary = Vec::new();
    let (mut cur_t, mut tgt_t) = (0, 0);
    for k in Kind::ALL {
        let current: u64 = attrs.iter().map(|a| a.by_kind.get(k)).sum();
        let removed = naive_by_kind.get(&k).copied().unwrap_or(0).min(current);
        summary.push(SummaryRow {
            component: k.as_str().into(),
            current,
            target: current - removed,
            reduction: removed,
        });
        cur_t += current;
        tgt_t += current - removed;
    }
    summary.push(SummaryRow {
        component: "total".into(),
        current: cur_t,
        target: tgt_t,
        reduction: cur_t - tgt_t,
    });

    // Set packages: distinct (manager, name, version), layers that ship them.
    type Key<'k> = (Manager, &'k str, &'k str);
    let mut agg: BTreeMap<Key<'_>, (u64, BTreeMap<&Digest, u64>, u64)> = BTreeMap::new();
    for a in &attrs {
        for p in &a.packages {
            let e = agg
                .entry((p.manager, p.name.as_str(), p.version.as_str()))
                .or_default();
            e.0 = e.0.max(p.size);
            let l = e.1.entry(&p.diff_id).or_default();
            *l = (*l).max(p.size);
            e.2 += 1;
        }
    }
    let mut set_packages: Vec<SetPackage> = agg
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
    set_packages.sort_by(|a, b| {
        b.stored_size
            .cmp(&a.stored_size)
            .then_with(|| (a.manager, &a.name, &a.version).cmp(&(b.manager, &b.name, &b.version)))
    });
    set_packages.truncate(crate::TOP_N * 2);

    Ok(Added {
        attributions: attrs
            .iter()
            .map(|a| (a.base_layers as u64, a.by_origin, a.by_kind))
            .collect(),
        packages: attrs.into_iter().map(|a| a.packages).collect(),
        notes,
        recommendations: recs,
        reclaimable,
        set_packages,
        summary,
    })
}

/// Bytes reclaimed by deleting every image but `keep`, at each ledger level.
pub fn reclaim(set: &ImageSet, replays: &[Replay<'_>], keep: &[&Image]) -> Reclaimable {
    let kept: HashSet<&Digest> = keep.iter().map(|i| &i.id).collect();
    let size_of = |d: &Digest| set.layers.get(d).map_or(0, |l| l.content_size);
    let mut out = Reclaimable::default();
    let (mut blobs_all, mut blobs_kept) = (HashMap::default(), HashSet::default());
    let (mut chains_all, mut chains_kept) = (HashMap::default(), HashSet::default());
    let (mut content_all, mut content_kept) = (HashMap::default(), HashSet::default());
    for (img, r) in set.images.iter().zip(replays) {
        let is_kept = kept.contains(&img.id);
        if !is_kept {
            out.naive += img.layers.iter().map(|l| size_of(&l.diff_id)).sum::<u64>();
        }
        for (l, c) in img.layers.iter().zip(image_chain_ids(img)) {
            blobs_all.insert(&l.diff_id, size_of(&l.diff_id));
            chains_all.insert(c.clone(), size_of(&l.diff_id));
            if is_kept {
                blobs_kept.insert(&l.diff_id);
                chains_kept.insert(c);
            }
        }
        for (path, v) in r.regular_files() {
            let id = content_id(path, &v);
            if is_kept {
                content_kept.insert(id.clone());
            }
            content_all.insert(id, v.record.size);
        }
    }
    out.blob = blobs_all
        .iter()
        .filter(|(d, _)| !blobs_kept.contains(*d))
        .map(|(_, s)| s)
        .sum();
    out.chain = chains_all
        .iter()
        .filter(|(c, _)| !chains_kept.contains(*c))
        .map(|(_, s)| s)
        .sum();
    out.content = content_all
        .iter()
        .filter(|(c, _)| !content_kept.contains(*c))
        .map(|(_, s)| s)
        .sum();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forensics::waste::replay;
    use crate::testutil::set;

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
        let replays: Vec<_> = s.images.iter().map(|i| replay(&s, i)).collect();
        let a = s.find_image("a:1").unwrap();
        let r = reclaim(&s, &replays, &[a]);
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
    let stripped = stag
        .replacen("-slim", "", 1)
        .replacen("slim-", "", 1)
        .replacen("slim", "", 1);
    stripped == ftag || (ftag == "latest" && stripped.is_empty())
}

/// When both a base image and its slim variant are among the inputs: the measured
/// difference, stored once for the family (every image built on the fat base would
/// carry the slim one instead).
fn slim_variants(set: &ImageSet) -> Vec<Recommendation> {
    let size = |img: &Image| -> u64 {
        img.layers
            .iter()
            .filter_map(|l| set.layers.get(&l.diff_id))
            .map(|r| r.content_size)
            .sum()
    };
    let mut out = Vec::new();
    for fat in &set.images {
        for slim in &set.images {
            if fat.id == slim.id {
                continue;
            }
            let Some((fat_ref, slim_ref)) = fat.refs.iter().find_map(|f| {
                slim.refs
                    .iter()
                    .find(|s| is_slim_variant_of(s, f))
                    .map(|s| (f, s))
            }) else {
                continue;
            };
            let (fat_size, slim_size) = (size(fat), size(slim));
            if slim_size >= fat_size {
                continue;
            }
            // The images built on the fat base: their layers start with all of its layers.
            let mut built: Vec<&Image> = set
                .images
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
            let mut images: Vec<Digest> = built.iter().map(|i| i.id.clone()).collect();
            images.push(fat.id.clone());
            images.sort();
            out.push(Recommendation {
                id: "slim-variant".into(),
                title: format!(
                    "Switch {fat_ref} to {slim_ref}: both are among the inputs, measured"
                ),
                savings: saved,
                naive_savings: saved * (built.len() as u64 + 1),
                images,
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

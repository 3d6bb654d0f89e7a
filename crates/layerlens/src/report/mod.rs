//! The report: plain data with a stable JSON contract, `layerlens/v1`.
//!
//! Presenters (the CLI's table, JSON) only format a [`Report`]; they compute nothing.
//! Field names and meanings are fixed by `docs/schema-v1.json` and the README; new
//! fields may be added, existing ones never change meaning.

pub mod check;
pub mod recommend;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::attribution::{ByKind, ByOrigin, PackageUsage};
use crate::digest::Digest;
use crate::forensics::duplicates::{self, DuplicateGroup, SharedContent};
use crate::forensics::families::{self, FamilyNode, NearShared};
use crate::forensics::ledger;
use crate::forensics::waste::{self, WasteCause};
use crate::read::analyzer::{Image, ImageSet};
use crate::read::layer::Compression;
use crate::read::manifest::ArchiveFormat;
use crate::report::recommend::{
    AttributionOptions, Reclaimable, Recommendation, SetPackage, SummaryRow,
};

/// The schema identifier written in every report.
pub const SCHEMA: &str = "layerlens/v1";

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The inputs, as given.
    pub inputs: Vec<String>,
    /// One entry per image, sorted by id.
    pub images: Vec<ImageReport>,
    /// Totals over the set.
    pub totals: Totals,
    /// Things skipped or worth knowing.
    pub notes: Vec<String>,
    /// Images grouped into a tree by common ChainID prefix, largest first.
    #[serde(default)]
    pub families: Vec<FamilyNode>,
    /// Layers stored more than once that could be shared, largest saving first.
    #[serde(default)]
    pub near_shared: Vec<NearShared>,
    /// Contents shipped by several distinct layers across the set.
    #[serde(default)]
    pub duplicates: SetDuplicates,
    /// What to change, each with its measured saving, largest first.
    #[serde(default)]
    pub recommendations: Vec<Recommendation>,
    /// With `--in-use`: what deleting every other image would reclaim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reclaimable: Option<Reclaimable>,
    /// The packages the set stores most bytes of (at most [`TOP_N`] × 2).
    #[serde(default)]
    pub packages: Vec<SetPackage>,
    /// Per kind: Σ over images now, and after the per-kind recommendations.
    #[serde(default)]
    pub summary: Vec<SummaryRow>,
}

/// Contents of the final filesystems shipped by two or more distinct layers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetDuplicates {
    /// What storing each such content once would save: Σ size × (layers − 1).
    pub saved_size: u64,
    /// How many contents are shipped by several layers.
    pub count: u64,
    /// The largest of them (at most [`TOP_N`] × 2).
    pub groups: Vec<SharedContent>,
}

/// How many entries the `top_waste` and `duplicates` lists keep.
pub const TOP_N: usize = 10;

/// One hidden file, with the layers that added and hid it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WasteEntry {
    /// Path of the hidden file.
    pub path: String,
    /// Its content bytes.
    pub size: u64,
    /// `overwritten` or `deleted`.
    pub cause: WasteCause,
    /// Index (0 = lowest) of the layer that added it.
    pub added_by: u64,
    /// That layer's history command.
    pub added_by_command: Option<String>,
    /// Index of the layer that hid it.
    pub hidden_by: u64,
    /// That layer's history command.
    pub hidden_by_command: Option<String>,
}

/// One image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageReport {
    /// Tags, sorted; empty when untagged.
    pub refs: Vec<String>,
    /// `sha256:<config digest>` (`v1:<id>` for pre-1.10 archives).
    pub id: Digest,
    /// Inputs the image was found in.
    pub sources: Vec<String>,
    /// Archive layout.
    pub format: ArchiveFormat,
    /// Operating system.
    pub os: Option<String>,
    /// Architecture.
    pub architecture: Option<String>,
    /// Architecture variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Creation time.
    pub created: Option<String>,
    /// Sum of its layers' `content_size` (every position counts).
    pub size: u64,
    /// Content bytes of its layers whose diff_id another image of the set also uses.
    pub shared_size: u64,
    /// `size - shared_size`.
    pub unique_size: u64,
    /// The size `docker images` and `docker image inspect` report for this image on
    /// overlay2: `size` plus the lengths of symlink targets (checked equal on real
    /// archives loaded into Docker 26).
    #[serde(default)]
    pub docker_size: u64,
    /// Layers, lowest first.
    pub layers: Vec<LayerEntry>,
    /// Content bytes of its layers whose ChainID another image of the set also has
    /// (`docker system df -v`'s shared size).
    #[serde(default)]
    pub chain_shared_size: u64,
    /// `size - chain_shared_size`.
    #[serde(default)]
    pub chain_unique_size: u64,
    /// Regular-file bytes replaced by a later entry at the same path.
    #[serde(default)]
    pub overwritten_size: u64,
    /// Regular-file bytes hidden by whiteouts, opaque markers or a non-directory
    /// replacing a directory.
    #[serde(default)]
    pub deleted_size: u64,
    /// `overwritten_size + deleted_size`.
    #[serde(default)]
    pub wasted_size: u64,
    /// Regular-file bytes visible in the final filesystem (`size = final + wasted`).
    #[serde(default)]
    pub final_size: u64,
    /// Bytes that deduplicating identical files of the final filesystem would save.
    #[serde(default)]
    pub duplicate_size: u64,
    /// dive's efficiency score, 0..1 (see the README for the formula).
    #[serde(default)]
    pub efficiency: f64,
    /// dive's wasted bytes (the kept copy counted too).
    #[serde(default)]
    pub dive_wasted_size: u64,
    /// `size` minus the first layer's size (dive's user size).
    #[serde(default)]
    pub user_size: u64,
    /// The largest hidden files (at most [`TOP_N`]).
    #[serde(default)]
    pub top_waste: Vec<WasteEntry>,
    /// The largest groups of identical files (at most [`TOP_N`]).
    #[serde(default)]
    pub duplicates: Vec<DuplicateGroup>,
    /// How many of its lowest layers are base layers.
    #[serde(default)]
    pub base_layers: u64,
    /// Bytes by origin (sums to `size`).
    #[serde(default)]
    pub by_origin: ByOrigin,
    /// Bytes by kind (sums to `size`).
    #[serde(default)]
    pub by_kind: ByKind,
    /// Its packages, largest first.
    #[serde(default)]
    pub packages: Vec<PackageUsage>,
    /// The largest directories of its final filesystem (the HTML treemap's data):
    /// filled by [`Report::add_top_dirs`] only for the HTML report, empty (and absent
    /// from the JSON) otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_dirs: Vec<DirSize>,
}

/// The bytes of the final filesystem under one directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirSize {
    /// Directory path, relative, `/`-separated (`usr/lib`).
    pub path: String,
    /// Regular-file bytes under it, at any depth.
    pub size: u64,
    /// Regular files under it, at any depth.
    pub files: u64,
}

/// One layer position of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerEntry {
    /// sha256 of the uncompressed layer stream.
    pub diff_id: Digest,
    /// Whether the diff_id was computed from the bytes and matched.
    pub verified: bool,
    /// sha256 of the stored blob.
    pub stored_digest: Option<Digest>,
    /// Stored blob compression, by magic bytes.
    pub compression: Compression,
    /// Media type from the descriptor, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Bytes of the stored blob.
    pub stored_size: u64,
    /// Bytes of the uncompressed tar stream.
    pub tar_size: u64,
    /// Sum of regular-file sizes.
    pub content_size: u64,
    /// Sum of symlink target lengths (overlay2 counts them; `content_size` does not).
    #[serde(default)]
    pub symlink_size: u64,
    /// Regular files + symlinks + hardlinks.
    pub files: u64,
    /// Directories.
    pub directories: u64,
    /// Symlinks.
    pub symlinks: u64,
    /// Hardlinks.
    pub hardlinks: u64,
    /// `.wh.<name>` entries.
    pub whiteouts: u64,
    /// `.wh..wh..opq` entries.
    pub opaque_whiteouts: u64,
    /// The history command that made the layer.
    pub created_by: Option<String>,
    /// The layer's ChainID in this image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_id: Option<Digest>,
    /// The largest packages this layer added that are present in the final
    /// filesystem (at most [`TOP_N`], by size); empty without package databases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_packages: Vec<LayerPackage>,
}

/// A package a layer added, as listed under that layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerPackage {
    /// `dpkg`, `apk`, `python` or `npm`.
    pub manager: crate::attribution::packages::Manager,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Bytes of its regular files present in the final filesystem.
    pub size: u64,
    /// How many of its regular files are present.
    pub files: u64,
}

/// Totals over the set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Images.
    pub images: u64,
    /// Layer positions over all images.
    pub layers: u64,
    /// Distinct diff_ids.
    pub unique_layers: u64,
    /// Sum of image sizes.
    pub naive_size: u64,
    /// Sum of `content_size` over distinct diff_ids.
    pub dedup_size: u64,
    /// Sum of `tar_size` over distinct diff_ids.
    pub dedup_tar_size: u64,
    /// Sum of `stored_size` over distinct diff_ids.
    pub dedup_stored_size: u64,
    /// Sum of `content_size` over distinct ChainIDs (overlay2, `docker system df -v`).
    #[serde(default)]
    pub chain_dedup_size: u64,
    /// Each distinct regular-file content of the final filesystems once.
    #[serde(default)]
    pub content_dedup_size: u64,
}

impl Report {
    /// Build the report of an analysed set (no `--base`, no `--in-use`).
    pub fn new(set: &ImageSet) -> Report {
        Report::with_attribution(set, &AttributionOptions::default()).expect("no refs to resolve")
    }

    /// Build the report of an analysed set, with a base image and the images in use
    /// for attribution and the what-if. Fails when a ref names no image of the set.
    pub fn with_attribution(set: &ImageSet, opts: &AttributionOptions) -> crate::Result<Report> {
        // How many images use each diff_id.
        let mut users: HashMap<&Digest, usize> = HashMap::new();
        for img in &set.images {
            let mut mine: Vec<&Digest> = img.layers.iter().map(|l| &l.diff_id).collect();
            mine.sort();
            mine.dedup();
            for d in mine {
                *users.entry(d).or_default() += 1;
            }
        }
        let mut totals = Totals::default();
        let images: Vec<ImageReport> = set
            .images
            .iter()
            .map(|img| {
                let mut size = 0;
                let mut shared = 0;
                let mut docker_size = 0;
                let layers = img
                    .layers
                    .iter()
                    .map(|l| {
                        let r = set
                            .layers
                            .get(&l.diff_id)
                            .expect("every image layer has a report");
                        size += r.content_size;
                        docker_size += r.content_size + r.symlink_size;
                        if users.get(&l.diff_id).copied().unwrap_or(0) > 1 {
                            shared += r.content_size;
                        }
                        LayerEntry {
                            diff_id: l.diff_id.clone(),
                            verified: r.verified,
                            stored_digest: l.stored_digest.clone(),
                            compression: l.compression,
                            media_type: l.media_type.clone(),
                            stored_size: l.stored_size,
                            tar_size: r.tar_size,
                            content_size: r.content_size,
                            symlink_size: r.symlink_size,
                            files: r.counts.files(),
                            directories: r.counts.directories,
                            symlinks: r.counts.symlinks,
                            hardlinks: r.counts.hardlinks,
                            whiteouts: r.counts.whiteouts,
                            opaque_whiteouts: r.counts.opaque_whiteouts,
                            created_by: l.created_by.clone(),
                            chain_id: None,
                            top_packages: Vec::new(),
                        }
                    })
                    .collect::<Vec<_>>();
                totals.layers += layers.len() as u64;
                totals.naive_size += size;
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
                    chain_shared_size: 0,
                    chain_unique_size: 0,
                    overwritten_size: 0,
                    deleted_size: 0,
                    wasted_size: 0,
                    final_size: 0,
                    duplicate_size: 0,
                    efficiency: 1.0,
                    dive_wasted_size: 0,
                    user_size: 0,
                    top_waste: Vec::new(),
                    duplicates: Vec::new(),
                    base_layers: 0,
                    by_origin: ByOrigin::default(),
                    by_kind: ByKind::default(),
                    packages: Vec::new(),
                    top_dirs: Vec::new(),
                }
            })
            .collect();
        totals.images = images.len() as u64;
        let used: BTreeMap<&Digest, ()> = set
            .images
            .iter()
            .flat_map(|i| i.layers.iter().map(|l| (&l.diff_id, ())))
            .collect();
        totals.unique_layers = used.len() as u64;
        for d in used.keys() {
            let r = &set.layers[*d];
            totals.dedup_size += r.content_size;
            totals.dedup_tar_size += r.tar_size;
            totals.dedup_stored_size += r.stored_size;
        }
        let mut report = Report {
            schema: SCHEMA.to_string(),
            inputs: set.inputs.clone(),
            images,
            totals,
            notes: set.notes.clone(),
            families: Vec::new(),
            near_shared: Vec::new(),
            duplicates: SetDuplicates::default(),
            recommendations: Vec::new(),
            reclaimable: None,
            packages: Vec::new(),
            summary: Vec::new(),
        };
        report.add_forensics(set, opts)?;
        Ok(report)
    }

    /// Ledger, waste, duplicates and families: the forensics of the set.
    fn add_forensics(&mut self, set: &ImageSet, opts: &AttributionOptions) -> crate::Result<()> {
        use rayon::prelude::*;
        // Paths numbered once for the set: the replays of images sharing layers then
        // work on dense tables instead of comparing the same strings once per image.
        let index = crate::PathIndex::new(set);
        let replays: Vec<waste::Replay<'_>> = set
            .images
            .par_iter()
            .map(|img| waste::replay_indexed(&index, set, img))
            .collect();
        // Independent reducers over the replays: run the sequential ones (ledger,
        // set-wide duplicates, families) beside the per-image parallel ones.
        let per_image = || {
            rayon::join(
                || {
                    set.images
                        .par_iter()
                        .map(|img| waste::dive_score_indexed(&index, set, img))
                        .collect::<Vec<waste::DiveScore>>()
                },
                || {
                    replays
                        .par_iter()
                        .map(duplicates::within_image)
                        .collect::<Vec<_>>()
                },
            )
        };
        let set_wide = || {
            rayon::join(
                || ledger::ledger(set, &replays),
                || {
                    rayon::join(
                        || duplicates::across_set(set, &replays),
                        || (families::families(set), families::near_shared(set)),
                    )
                },
            )
        };
        let ((dive, within), (ledger, ((saved, groups), (families, near_shared)))) =
            rayon::join(per_image, set_wide);
        self.totals.chain_dedup_size = ledger.chain_dedup_size;
        self.totals.content_dedup_size = ledger.content_dedup_size;
        if replays.iter().any(|r| !r.complete) {
            self.notes.push(
                "some layers kept no per-file records: waste, duplicate and content-dedup \
                 figures undercount"
                    .into(),
            );
        }
        for (i, img) in set.images.iter().enumerate() {
            let out = &mut self.images[i];
            debug_assert_eq!(out.id, img.id);
            let r = &replays[i];
            let l = &ledger.images[i];
            for (entry, c) in out.layers.iter_mut().zip(&l.chain_ids) {
                entry.chain_id = Some(c.clone());
            }
            out.chain_shared_size = l.chain_shared_size;
            out.chain_unique_size = l.chain_unique_size;
            out.overwritten_size = r.overwritten_size;
            out.deleted_size = r.deleted_size;
            out.wasted_size = r.wasted_size();
            out.final_size = r.final_size;
            let (dup, groups) = &within[i];
            out.duplicate_size = *dup;
            out.duplicates = groups.iter().take(TOP_N).cloned().collect();
            out.efficiency = dive[i].efficiency;
            out.dive_wasted_size = dive[i].wasted_size;
            out.user_size = dive[i].user_size;
            let command = |k: usize| img.layers.get(k).and_then(|l| l.created_by.clone());
            out.top_waste = waste::top_waste(r, TOP_N)
                .into_iter()
                .map(|e| WasteEntry {
                    path: e.path.to_string(),
                    size: e.size,
                    cause: e.cause,
                    added_by: e.added_by as u64,
                    added_by_command: command(e.added_by),
                    hidden_by: e.hidden_by as u64,
                    hidden_by_command: command(e.hidden_by),
                })
                .collect();
        }
        let dup_images: std::collections::BTreeSet<&Digest> =
            groups.iter().flat_map(|g| &g.images).collect();
        let dup_images: Vec<Digest> = dup_images.into_iter().cloned().collect();
        self.duplicates = SetDuplicates {
            saved_size: saved,
            count: groups.len() as u64,
            groups: groups.into_iter().take(TOP_N * 2).collect(),
        };
        self.families = families;
        self.near_shared = near_shared;
        self.add_attribution(set, &replays, (saved, dup_images), opts)
    }

    /// Attribution by origin and kind, packages, recommendations, what-if, summary.
    fn add_attribution(
        &mut self,
        set: &ImageSet,
        replays: &[waste::Replay<'_>],
        duplicates: (u64, Vec<Digest>),
        opts: &AttributionOptions,
    ) -> crate::Result<()> {
        let added = recommend::compute(set, replays, &self.near_shared, duplicates, opts)?;
        for ((out, (base_layers, by_origin, by_kind)), packages) in self
            .images
            .iter_mut()
            .zip(added.attributions)
            .zip(added.packages)
        {
            debug_assert_eq!(by_kind.total(), out.size);
            out.base_layers = base_layers;
            out.by_origin = by_origin;
            out.by_kind = by_kind;
            // Packages arrive largest first: the first TOP_N of each layer are its top.
            for p in &packages {
                if let Some(layer) = out.layers.get_mut(p.layer as usize) {
                    if layer.top_packages.len() < TOP_N {
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
            out.packages = packages;
        }
        self.notes.extend(added.notes);
        self.recommendations = added.recommendations;
        self.reclaimable = added.reclaimable;
        self.packages = added.set_packages;
        self.summary = added.summary;
        Ok(())
    }

    /// The report as pretty JSON, with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a report always serialises");
        s.push('\n');
        s
    }
}

/// How deep [`top_dirs`] looks for [`Report::add_top_dirs`].
pub const TOP_DIRS_DEPTH: usize = 3;
/// How many directories [`top_dirs`] keeps for [`Report::add_top_dirs`].
pub const TOP_DIRS_LIMIT: usize = 200;

impl Report {
    /// Fill each image's [`ImageReport::top_dirs`] (at most [`TOP_DIRS_DEPTH`] levels,
    /// [`TOP_DIRS_LIMIT`] directories): the HTML report's treemap. `set` is the set
    /// this report was built from (image `i` of the report is image `i` of the set).
    pub fn add_top_dirs(&mut self, set: &ImageSet) {
        use rayon::prelude::*;
        let dirs: Vec<Vec<DirSize>> = set
            .images
            .par_iter()
            .map(|img| top_dirs(set, img, TOP_DIRS_DEPTH, TOP_DIRS_LIMIT))
            .collect();
        for (out, dirs) in self.images.iter_mut().zip(dirs) {
            out.top_dirs = dirs;
        }
        debug_assert!(self
            .images
            .iter()
            .zip(&set.images)
            .all(|(r, i)| r.id == i.id));
    }
}

/// The largest directories of an image's final filesystem (after the overlay replay),
/// at most `depth` levels deep, at most `limit` of them, sorted by path. The largest
/// are kept first and a directory is never larger than its parent, so every kept
/// directory's parent (above the root) is kept too.
pub fn top_dirs(set: &ImageSet, image: &Image, depth: usize, limit: usize) -> Vec<DirSize> {
    let replay = waste::replay(set, image);
    let mut dirs: HashMap<&str, (u64, u64)> = HashMap::new();
    for (path, v) in replay.regular_files() {
        let size = v.size();
        for (level, (i, _)) in path.match_indices('/').enumerate() {
            if level >= depth {
                break;
            }
            let e = dirs.entry(&path[..i]).or_default();
            e.0 += size;
            e.1 += 1;
        }
    }
    let mut all: Vec<(&str, (u64, u64))> = dirs.into_iter().collect();
    all.sort_by(|a, b| {
        b.1 .0
            .cmp(&a.1 .0)
            .then(a.0.len().cmp(&b.0.len()))
            .then(a.0.cmp(b.0))
    });
    all.truncate(limit);
    let mut out: Vec<DirSize> = all
        .into_iter()
        .map(|(p, (size, files))| DirSize {
            path: p.to_string(),
            size,
            files,
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

//! The report: plain data with a stable JSON contract, `layerlens/v1`.
//!
//! Presenters (the CLI's table, JSON) only format a [`Report`]; they compute nothing.
//! Field names and meanings are fixed by `docs/schema-v1.json` and the README; new
//! fields may be added, existing ones never change meaning.

pub mod check;
pub mod explorer;
pub mod recommend;

mod build;
mod top_dirs;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::attribution::{ByKind, ByOrigin, PackageUsage};
use crate::digest::Digest;
use crate::forensics::duplicates::{DuplicateGroup, SharedContent};
use crate::forensics::families::{FamilyNode, NearShared};
pub use crate::forensics::findings::{Finding, FindingKind};
use crate::forensics::waste::WasteCause;
use crate::read::analyzer::ImageSet;
use crate::read::layer::Compression;
use crate::read::manifest::ArchiveFormat;
use crate::report::recommend::{
    AttributionOptions, Reclaimable, Recommendation, SetPackage, SummaryRow,
};

pub use build::ReportOptions;

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
    /// Per kind: each distinct layer's bytes once (Σ = `totals.dedup_size`), now and
    /// after the per-kind recommendations. A file counts as the first kind (in
    /// precedence order) it has in the images that show it; `wasted` when none does.
    #[serde(default)]
    pub stored_summary: Vec<SummaryRow>,
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
    /// Its packages, largest first. Shared with the images whose list is the same (a
    /// set of many images on one base lists the base's packages once in memory).
    #[serde(default)]
    pub packages: Arc<[PackageUsage]>,
    /// The largest directories of its final filesystem (the HTML treemap's data):
    /// filled only when [`ReportOptions::top_dirs`] asks (the HTML report), empty (and
    /// absent from the JSON) otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_dirs: Vec<DirSize>,
    /// What the image store it was read from knows: tagged, dangling or intermediate,
    /// its parent, its containerd namespaces. Absent for archives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<crate::StoreImage>,
    /// What is risky in its bytes and config: keys, credentials, setuid/setgid and
    /// world-writable files, each with the layer that added it and whether a later
    /// layer hid it (absent when there is none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
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
    /// The layer's size as the image store records it (Docker's layerdb `size`,
    /// containers-storage's `diff-size`, containerd's blob size). Absent for archives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_size: Option<u64>,
}

/// A package a layer added, as listed under that layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerPackage {
    /// `dpkg`, `apk`, `rpm`, `python`, `npm`, `go`, `cargo`, `maven` or `gem`.
    pub manager: crate::attribution::packages::Manager,
    /// Name.
    pub name: Arc<str>,
    /// Version.
    pub version: Arc<str>,
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
    /// Build the report of an analysed set (no base image, no images in use).
    pub fn new(set: &ImageSet) -> Report {
        Report::build(set, &ReportOptions::default()).expect("no refs to resolve")
    }

    /// Build the report of an analysed set, with a base image and the images in use
    /// for attribution and the what-if. Fails when a ref names no image of the set.
    pub fn with_attribution(set: &ImageSet, opts: &AttributionOptions) -> crate::Result<Report> {
        Report::build(
            set,
            &ReportOptions {
                base: opts.base.clone(),
                in_use: opts.in_use.clone(),
                ..ReportOptions::default()
            },
        )
    }

    /// The report as pretty JSON, with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        self.write_json(&mut out)
            .expect("a report always serialises");
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    /// Write the report as pretty JSON with a trailing newline ([`Report::to_json`]) to
    /// `w`, as it is serialised: a large report is never held as one string.
    pub fn write_json<W: std::io::Write>(&self, mut w: W) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut w, self)?;
        w.write_all(b"\n")
    }
}

/// How deep the treemap's directories go ([`ReportOptions::top_dirs`]).
pub const TOP_DIRS_DEPTH: usize = 3;
/// How many directories the treemap keeps per image ([`ReportOptions::top_dirs`]).
pub const TOP_DIRS_LIMIT: usize = 200;

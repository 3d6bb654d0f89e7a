//! The report: plain data with a stable JSON contract, `layerlens/v1`.
//!
//! Presenters (the CLI's table, JSON) only format a [`Report`]; they compute nothing.
//! Field names and meanings are fixed by `docs/schema-v1.json` and the README; new
//! fields may be added, existing ones never change meaning.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::analysis::ImageSet;
use crate::digest::Digest;
use crate::layer::Compression;
use crate::manifest::ArchiveFormat;

/// The schema identifier written in every report.
pub const SCHEMA: &str = "layerlens/v1";

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

/// One image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Layers, lowest first.
    pub layers: Vec<LayerEntry>,
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
}

impl Report {
    /// Build the report of an analysed set.
    pub fn new(set: &ImageSet) -> Report {
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
                let layers = img
                    .layers
                    .iter()
                    .map(|l| {
                        let r = set
                            .layers
                            .get(&l.diff_id)
                            .expect("every image layer has a report");
                        size += r.content_size;
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
                            files: r.counts.files(),
                            directories: r.counts.directories,
                            symlinks: r.counts.symlinks,
                            hardlinks: r.counts.hardlinks,
                            whiteouts: r.counts.whiteouts,
                            opaque_whiteouts: r.counts.opaque_whiteouts,
                            created_by: l.created_by.clone(),
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
                    layers,
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
        Report {
            schema: SCHEMA.to_string(),
            inputs: set.inputs.clone(),
            images,
            totals,
            notes: set.notes.clone(),
        }
    }

    /// The report as pretty JSON, with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a report always serialises");
        s.push('\n');
        s
    }
}

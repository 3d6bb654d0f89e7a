//! Hand-built typed reports for the presenters' unit tests.

use crate::read::layer::Compression;
use crate::read::manifest::ArchiveFormat;
use crate::report::{ImageReport, LayerEntry, Report, Totals, SCHEMA};
use crate::Digest;

/// A sha256 digest: `hex` padded with zeros to 64 characters.
pub(crate) fn digest(hex: &str) -> Digest {
    Digest::parse(&format!("sha256:{hex:0<64}")).expect("a sha256 digest")
}

/// A report of these images, everything else empty.
pub(crate) fn report(images: Vec<ImageReport>) -> Report {
    Report {
        schema: SCHEMA.into(),
        inputs: Vec::new(),
        images,
        totals: Totals::default(),
        notes: Vec::new(),
        families: Vec::new(),
        near_shared: Vec::new(),
        duplicates: Default::default(),
        recommendations: Vec::new(),
        reclaimable: None,
        packages: Vec::new(),
        summary: Vec::new(),
        stored_summary: Vec::new(),
    }
}

/// An image with these refs and id (see [`digest`]), no layers, every figure zero.
pub(crate) fn image(refs: &[&str], id: &str) -> ImageReport {
    ImageReport {
        findings: Vec::new(),
        refs: refs.iter().map(|r| r.to_string()).collect(),
        id: digest(id),
        sources: Vec::new(),
        format: ArchiveFormat::DockerArchive,
        os: None,
        architecture: None,
        variant: None,
        created: None,
        size: 0,
        shared_size: 0,
        unique_size: 0,
        docker_size: 0,
        layers: Vec::new(),
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
        by_origin: Default::default(),
        by_kind: Default::default(),
        packages: Vec::new().into(),
        top_dirs: Vec::new(),
        store: None,
    }
}

/// A layer with this diff_id (see [`digest`]), content bytes, files and command.
pub(crate) fn layer(diff_id: &str, content_size: u64, files: u64, created_by: &str) -> LayerEntry {
    LayerEntry {
        diff_id: digest(diff_id),
        verified: true,
        stored_digest: None,
        compression: Compression::None,
        media_type: None,
        stored_size: content_size,
        tar_size: content_size,
        content_size,
        symlink_size: 0,
        files,
        directories: 0,
        symlinks: 0,
        hardlinks: 0,
        whiteouts: 0,
        opaque_whiteouts: 0,
        created_by: Some(created_by.to_string()),
        chain_id: None,
        top_packages: Vec::new(),
        store_size: None,
    }
}

//! Small hand-built image sets for the analyses' unit tests.

use std::collections::BTreeMap;

use crate::digest::{ContentDigest, Digest};
use crate::read::analyzer::{Image, ImageLayer, ImageSet};
use crate::read::layer::{Compression, EntryCounts, EntryKind, FileRecord, LayerReport};
use crate::read::manifest::ArchiveFormat;

/// `("f", path, size, content)`: regular file whose digest is `content`;
/// `("d", path, 0, 0)`: directory; `("s", path, 0, 0)`: symlink; `("h", path, 0, 0)`:
/// hardlink; `("w", ".wh.x" path, 0, 0)`: whiteout; `("o", "dir/.wh..wh..opq", 0, 0)`.
pub(crate) type Spec<'a> = (&'a str, &'a str, u64, u128);

pub(crate) fn record(spec: &Spec) -> FileRecord {
    let (k, path, size, content) = *spec;
    let kind = match k {
        "f" => EntryKind::Regular,
        "d" => EntryKind::Directory,
        "s" => EntryKind::Symlink,
        "h" => EntryKind::Hardlink,
        "w" => EntryKind::Whiteout,
        "o" => EntryKind::OpaqueWhiteout,
        _ => panic!("bad kind {k}"),
    };
    FileRecord {
        path: path.to_string(),
        kind,
        size: if kind == EntryKind::Regular { size } else { 0 },
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: 0,
        link_target: matches!(kind, EntryKind::Symlink | EntryKind::Hardlink)
            .then(|| "target".to_string()),
        digest: (kind == EntryKind::Regular).then_some(ContentDigest(content)),
    }
}

pub(crate) fn layer(specs: &[Spec]) -> LayerReport {
    let files: Vec<FileRecord> = specs.iter().map(record).collect();
    let mut text = String::new();
    for f in &files {
        text.push_str(&format!(
            "{}|{:?}|{}|{:?};",
            f.path, f.kind, f.size, f.digest
        ));
    }
    let diff_id = Digest::sha256_of(text.as_bytes());
    let mut counts = EntryCounts::default();
    for f in &files {
        match f.kind {
            EntryKind::Regular => counts.regular += 1,
            EntryKind::Directory => counts.directories += 1,
            EntryKind::Symlink => counts.symlinks += 1,
            EntryKind::Hardlink => counts.hardlinks += 1,
            EntryKind::Whiteout => counts.whiteouts += 1,
            EntryKind::OpaqueWhiteout => counts.opaque_whiteouts += 1,
            EntryKind::Other => counts.other += 1,
        }
    }
    LayerReport {
        diff_id,
        verified: true,
        stored_digest: None,
        compression: Compression::None,
        stored_size: 0,
        tar_size: 0,
        content_size: files.iter().map(|f| f.size).sum(),
        symlink_size: 0,
        trailing_size: 0,
        counts,
        files,
        notes: Vec::new(),
        captured: Vec::new(),
        detected: Default::default(),
    }
}

/// Build a set: each image is (ref, its layers as lists of specs). Identical layer
/// specs give identical diff_ids, so images share layers by writing them the same.
pub(crate) fn set(images: &[(&str, Vec<Vec<Spec>>)]) -> ImageSet {
    let mut layers = BTreeMap::new();
    let mut out = Vec::new();
    for (name, specs) in images {
        let mut image_layers = Vec::new();
        for (i, s) in specs.iter().enumerate() {
            let l = layer(s);
            image_layers.push(ImageLayer {
                diff_id: l.diff_id.clone(),
                media_type: None,
                stored_digest: None,
                stored_size: 0,
                compression: Compression::None,
                created_by: Some(format!("{name} step {}", i + 1)),
                created: None,
                comment: None,
                member: String::new(),
                v1_id: None,
                store_size: None,
            });
            layers.insert(l.diff_id.clone(), l);
        }
        out.push(Image {
            id: Digest::sha256_of(name.as_bytes()),
            refs: vec![name.to_string()],
            sources: vec!["test".into()],
            format: ArchiveFormat::Oci,
            os: Some("linux".into()),
            architecture: Some("amd64".into()),
            variant: None,
            created: None,
            manifest_digest: None,
            layers: image_layers,
            store: None,
            config_findings: Vec::new(),
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    ImageSet {
        images: out,
        layers,
        notes: Vec::new(),
        inputs: vec!["test".into()],
    }
}

/// The image with this ref.
pub(crate) fn image<'a>(set: &'a ImageSet, name: &str) -> &'a Image {
    set.find_image(name).expect("image in test set")
}

/// The report of a test set.
pub(crate) fn report(set: &ImageSet) -> crate::Report {
    crate::Report::new(set)
}

/// The report's entry for the image with this ref.
pub(crate) fn image_report<'r>(r: &'r crate::Report, name: &str) -> &'r crate::ImageReport {
    r.images
        .iter()
        .find(|i| i.refs.iter().any(|x| x == name))
        .expect("image in test report")
}

//! OCI layouts (and Docker 25+'s `index.json`): descriptors walked from `index.json`
//! through indexes to image manifests, each blob checked against its digest and size.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{
    diff_ids, familiar_ref, parse_json, platform_ok, read_config, ArchiveFormat, ImageSpec,
    LayerSpec, Resolved,
};
use crate::digest::Digest;
use crate::error::{DigestSubject, Error, Location, Result};
use crate::options::Options;
use crate::read::source::{Backing, Store};

#[derive(Debug, Clone, Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    digest: String,
    #[serde(default)]
    size: Option<i64>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    platform: Option<PlatformJson>,
}

#[derive(Debug, Clone, Deserialize)]
struct PlatformJson {
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ManifestOrIndex {
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
}

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const IMAGE_CONFIG_TYPES: [&str; 2] = [
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
];

/// The member holding the blob a descriptor names: `blobs/<alg>/<hex>`, below the
/// content directory of an image store.
fn blob_member(store: &Store, d: &Descriptor, at: &Location) -> Result<(Digest, String)> {
    let digest = Digest::parse(&d.digest).ok_or_else(|| Error::Malformed {
        at: at.clone(),
        reason: format!("descriptor digest {:?} is not a digest", d.digest),
    })?;
    let dir = match &store.backing {
        Backing::Host(host) => host.blob_dir.as_str(),
        _ => "",
    };
    let member = format!("{dir}blobs/{}/{}", digest.algorithm(), digest.encoded());
    Ok((digest, member))
}

/// Read a small blob named by a descriptor and check its digest and size.
fn read_blob(
    store: &Store,
    d: &Descriptor,
    subject: DigestSubject,
    at: &Location,
    opts: &Options,
) -> Result<(Digest, String, Vec<u8>)> {
    let (digest, member) = blob_member(store, d, at)?;
    let bytes = store
        .read_small(&member, opts.limits.max_json_bytes)
        .map_err(|e| e.within(at))?;
    let bat = store.at(&member);
    if digest.algorithm() == "sha256" {
        let found = Digest::sha256_of(&bytes);
        if found != digest {
            return Err(Error::DigestMismatch {
                at: bat,
                subject,
                expected: digest.to_string(),
                found: found.to_string(),
            });
        }
    }
    if let Some(size) = d.size {
        if size != bytes.len() as i64 {
            return Err(Error::SizeMismatch {
                at: bat,
                expected: size.max(0) as u64,
                found: bytes.len() as u64,
            });
        }
    }
    Ok((digest, member, bytes))
}

fn is_index(media_type: Option<&str>, doc: &ManifestOrIndex) -> bool {
    matches!(media_type, Some(OCI_INDEX) | Some(DOCKER_LIST))
        || matches!(
            doc.media_type.as_deref(),
            Some(OCI_INDEX) | Some(DOCKER_LIST)
        )
        || (doc.manifests.is_some() && doc.config.is_none())
}

fn is_tar_layer(media_type: Option<&str>) -> bool {
    match media_type {
        None => true,
        Some(mt) => {
            mt.starts_with("application/vnd.oci.image.layer.")
                || mt.starts_with("application/vnd.docker.image.rootfs.")
                || mt.contains(".tar")
        }
    }
}

fn refs_of(d: &Descriptor) -> Vec<String> {
    let ann = match &d.annotations {
        Some(a) => a,
        None => return Vec::new(),
    };
    ann.get("io.containerd.image.name")
        .or_else(|| ann.get("org.opencontainers.image.ref.name"))
        .map(|n| vec![familiar_ref(n)])
        .unwrap_or_default()
}

struct OciWalk<'a> {
    store: &'a Store,
    opts: &'a Options,
    format: ArchiveFormat,
    visits: u64,
}

/// Most manifest and index descriptors walked in one input (a guard against crafted
/// indexes that fan out exponentially).
const MAX_DESCRIPTOR_VISITS: u64 = 100_000;

/// Returns how many manifests `index.json` lists.
pub(super) fn resolve_oci(
    store: &Store,
    opts: &Options,
    format: ArchiveFormat,
    out: &mut Resolved,
) -> Result<usize> {
    let at = store.at("index.json");
    let bytes = store.read_small("index.json", opts.limits.max_json_bytes)?;
    let index: ManifestOrIndex = parse_json(&bytes, &at)?;
    let mut walk = OciWalk {
        store,
        opts,
        format,
        visits: 0,
    };
    let manifests = index.manifests.unwrap_or_default();
    for d in &manifests {
        walk.descriptor(d, &refs_of(d), &[], true, &at, out)?;
    }
    Ok(manifests.len())
}

/// The images an image store's name points to (a manifest, or an index walked as in an
/// OCI layout), appended to `out` with these refs. `at` names where the name was read.
pub(crate) fn walk_target(
    store: &Store,
    opts: &Options,
    format: ArchiveFormat,
    (digest, media_type, size): (&str, &str, i64),
    refs: &[String],
    at: &Location,
    out: &mut Resolved,
) -> Result<()> {
    let d = Descriptor {
        media_type: Some(media_type.to_string()).filter(|m| !m.is_empty()),
        digest: digest.to_string(),
        size: Some(size),
        annotations: None,
        platform: None,
    };
    let mut walk = OciWalk {
        store,
        opts,
        format,
        visits: 0,
    };
    walk.descriptor(&d, refs, &[], true, at, out)
}

impl OciWalk<'_> {
    fn descriptor(
        &mut self,
        d: &Descriptor,
        refs: &[String],
        path: &[Digest],
        top: bool,
        parent: &Location,
        out: &mut Resolved,
    ) -> Result<()> {
        let input = &self.store.input;
        let depth = path.len() as u32;
        if depth > self.opts.limits.max_index_depth {
            return Err(Error::LimitExceeded {
                at: parent.clone(),
                limit: "max_index_depth",
                max: self.opts.limits.max_index_depth as u64,
            });
        }
        let (digest, member) = blob_member(self.store, d, parent)?;
        if let Some(kind) = d
            .annotations
            .as_ref()
            .and_then(|a| a.get("vnd.docker.reference.type"))
        {
            out.notes
                .push(format!("{input}: {kind} manifest {digest} skipped"));
            return Ok(());
        }
        if d.platform.as_ref().is_some_and(|p| {
            p.os.as_deref() == Some("unknown") && p.architecture.as_deref() == Some("unknown")
        }) {
            out.notes.push(format!(
                "{input}: unknown/unknown manifest {digest} skipped"
            ));
            return Ok(());
        }
        if let (Some(filter), Some(p)) = (&self.opts.platform, &d.platform) {
            if !filter.matches(
                p.os.as_deref().unwrap_or(""),
                p.architecture.as_deref().unwrap_or(""),
                p.variant.as_deref(),
            ) {
                return Ok(());
            }
        }
        // A cycle guard along the current path only: a manifest reached through two
        // refs is walked twice so that both refs reach its images (they merge by id).
        if path.contains(&digest) {
            out.notes.push(format!(
                "{input}: index cycle through {digest}; not followed again"
            ));
            return Ok(());
        }
        self.visits += 1;
        if self.visits > MAX_DESCRIPTOR_VISITS {
            return Err(Error::LimitExceeded {
                at: parent.clone(),
                limit: "descriptor visits",
                max: MAX_DESCRIPTOR_VISITS,
            });
        }
        if !self.store.contains(&member) {
            if top {
                return Err(Error::MissingMember {
                    at: parent.clone(),
                    missing: member,
                });
            }
            // docker save of a multi-platform image keeps only the pulled platforms.
            let plat = d
                .platform
                .as_ref()
                .map(|p| {
                    format!(
                        "{}/{}",
                        p.os.as_deref().unwrap_or("?"),
                        p.architecture.as_deref().unwrap_or("?")
                    )
                })
                .unwrap_or_else(|| "?".into());
            out.notes.push(format!(
                "{input}: manifest {digest} (platform {plat}) is not in the archive; skipped"
            ));
            return Ok(());
        }
        let (digest, member, bytes) =
            read_blob(self.store, d, DigestSubject::Manifest, parent, self.opts)?;
        let at = self.store.at(&member);
        let doc: ManifestOrIndex = parse_json(&bytes, &at)?;
        if is_index(d.media_type.as_deref(), &doc) {
            for child in doc.manifests.unwrap_or_default() {
                // A descriptor's own ref wins; otherwise it inherits the nearest above.
                let own = refs_of(&child);
                let child_refs = if own.is_empty() { refs.to_vec() } else { own };
                let mut child_path = path.to_vec();
                child_path.push(digest.clone());
                self.descriptor(&child, &child_refs, &child_path, false, &at, out)?;
            }
            return Ok(());
        }
        let Some(config_desc) = doc.config else {
            out.notes
                .push(format!("{input}: manifest {digest} has no config; skipped"));
            return Ok(());
        };
        let config_type = config_desc.media_type.as_deref().unwrap_or("");
        if !IMAGE_CONFIG_TYPES.contains(&config_type) {
            out.notes.push(format!(
                "{input}: artifact manifest {digest} (config type {config_type:?}) skipped"
            ));
            return Ok(());
        }
        let layers = doc.layers.unwrap_or_default();
        if let Some(bad) = layers
            .iter()
            .find(|l| !is_tar_layer(l.media_type.as_deref()))
        {
            out.notes.push(format!(
                "{input}: manifest {digest} has a non-tar layer ({:?}); skipped",
                bad.media_type.as_deref().unwrap_or("")
            ));
            return Ok(());
        }
        let (config_digest, config_member) = blob_member(self.store, &config_desc, &at)?;
        if !self.store.contains(&config_member) {
            return Err(Error::MissingMember {
                at,
                missing: config_member,
            });
        }
        let (id, config) =
            read_config(self.store, &config_member, Some(&config_digest), self.opts)?;
        if let Some(size) = config_desc.size {
            let len = self.store.len(&config_member)?;
            if size != len as i64 {
                return Err(Error::SizeMismatch {
                    at: self.store.at(&config_member),
                    expected: size.max(0) as u64,
                    found: len,
                });
            }
        }
        let image_name = refs.first().cloned().unwrap_or_else(|| id.to_string());
        if !platform_ok(&self.opts.platform, &config) {
            return Ok(());
        }
        if config.os.as_deref() == Some("unknown")
            && config.architecture.as_deref() == Some("unknown")
        {
            out.notes.push(format!(
                "{input}: unknown/unknown manifest {digest} skipped"
            ));
            return Ok(());
        }
        if config.rootfs.is_none() {
            out.notes.push(format!(
                "{input}: manifest {digest} has a config without rootfs; skipped as an artifact"
            ));
            return Ok(());
        }
        let cat = self.store.at(&config_member).with_image(&image_name);
        let ids = diff_ids(&config, &cat)?;
        if ids.len() != layers.len() {
            return Err(Error::Malformed {
                at: at.with_image(&image_name),
                reason: format!(
                    "manifest lists {} layers but the config has {} diff_ids",
                    layers.len(),
                    ids.len()
                ),
            });
        }
        let mut specs = Vec::with_capacity(layers.len());
        for (l, diff_id) in layers.iter().zip(ids) {
            let lat = at
                .clone()
                .with_image(&image_name)
                .with_layer(diff_id.as_str());
            let (stored, member) = blob_member(self.store, l, &lat)?;
            if !self.store.contains(&member) && matches!(self.store.backing, Backing::Host(_)) {
                // containerd discards layer blobs once unpacked (discard_unpacked_layers):
                // the bytes are only in a snapshot, which is not read
                out.notes.push(format!(
                    "{input}: {image_name}: layer blob {stored} is not in the content store \
                     (discarded after unpacking?); image skipped"
                ));
                return Ok(());
            }
            let (resolved, _) = self.store.resolve(&member).map_err(|e| e.within(&lat))?;
            specs.push(LayerSpec {
                member: resolved,
                diff_id: Some(diff_id),
                stored_digest: Some(stored),
                stored_size: l.size.map(|s| s.max(0) as u64),
                media_type: l.media_type.clone(),
                v1: None,
                store_size: None,
            });
        }
        out.images.push(ImageSpec {
            id,
            config,
            refs: refs.iter().cloned().collect(),
            format: self.format,
            layers: specs,
            manifest_digest: Some(digest),
            store: None,
        });
        Ok(())
    }
}

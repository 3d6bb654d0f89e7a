//! Image metadata: Docker's `manifest.json` and `repositories`, OCI `index.json`,
//! manifests and configs, resolved into a list of images with ordered layer references.
//!
//! The serde types here are deliberately lenient (every field optional, unknown fields
//! ignored): real writers omit fields (`"manifests": null`, `RepoTags: null`) and the
//! strict `oci-spec` types reject such archives. What must hold is checked explicitly
//! with errors that name the member.
//!
//! By layout: [`docker`] reads `manifest.json` and pre-1.10 `repositories`; [`oci`]
//! walks `index.json`, indexes and manifests by descriptor; [`config`] holds the image
//! config and the checks made on it. [`resolve`] here picks the readers an input needs
//! and merges what they found.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::error::{Error, Location, Result};
use crate::options::Options;
use crate::read::source::{Backing, Store};
use crate::read::store::StoreImage;

mod config;
mod docker;
mod oci;

pub(crate) use config::{diff_ids, platform_ok, read_config};
pub use config::{History, ImageConfig, RootFs};
pub(crate) use oci::walk_target;

/// The archive layout an image was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ArchiveFormat {
    /// `docker save` from Docker 1.10–24 (and kaniko, c/image): `manifest.json`.
    DockerArchive,
    /// `docker save` from Docker 25+: an OCI layout plus `manifest.json`.
    DockerOci,
    /// An OCI image layout (directory or tar).
    Oci,
    /// `docker save` from before Docker 1.10: v1 json chains, no configs, no diff_ids.
    DockerV1,
    /// A Docker data root (`/var/lib/docker`, overlay2 or vfs), read in place.
    DockerStore,
    /// A containerd root (`/var/lib/containerd`; Docker's containerd image store).
    ContainerdStore,
    /// A containers-storage graph root (podman, buildah, CRI-O), overlay or vfs.
    ContainersStorage,
}

/// One layer of an image, as the metadata describes it.
#[derive(Debug, Clone)]
pub(crate) struct LayerSpec {
    /// The member holding the stored blob (links resolved).
    pub(crate) member: String,
    /// The diff_id the config promises (absent for pre-1.10 archives).
    pub(crate) diff_id: Option<Digest>,
    /// The digest of the stored blob, when a descriptor or a content-addressed name
    /// promises one.
    pub(crate) stored_digest: Option<Digest>,
    /// The stored size a descriptor promises.
    pub(crate) stored_size: Option<u64>,
    /// The descriptor's media type.
    pub(crate) media_type: Option<String>,
    /// For pre-1.10 layers, the v1 id and command.
    pub(crate) v1: Option<(String, Option<String>)>,
    /// The layer's size as an image store records it.
    pub(crate) store_size: Option<u64>,
}

/// One image, as the metadata describes it.
#[derive(Debug, Clone)]
pub(crate) struct ImageSpec {
    pub(crate) id: Digest,
    pub(crate) config: ImageConfig,
    pub(crate) refs: BTreeSet<String>,
    pub(crate) format: ArchiveFormat,
    pub(crate) layers: Vec<LayerSpec>,
    pub(crate) manifest_digest: Option<Digest>,
    /// What an image store knows about it (absent for archives).
    pub(crate) store: Option<StoreImage>,
}

/// What the metadata of one input says.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resolved {
    pub(crate) images: Vec<ImageSpec>,
    pub(crate) notes: Vec<String>,
}

fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8], at: &Location) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|source| Error::json(at.clone(), source))
}

/// A digest named by a content-addressed member name: `blobs/sha256/<hex>`,
/// `<hex>.json`, `sha256:<hex>`, `<hex>.tar`, `<hex>.tar.gz`.
fn digest_in_name(member: &str) -> Option<Digest> {
    let (dir, base) = crate::read::layer::split_parent(member);
    if dir.ends_with("blobs/sha256") {
        return Digest::from_sha256_hex(base);
    }
    let base = base.strip_prefix("sha256:").unwrap_or(base);
    let stem = base
        .strip_suffix(".json")
        .or_else(|| base.strip_suffix(".tar.gz"))
        .or_else(|| base.strip_suffix(".tar"))
        .unwrap_or(base);
    Digest::from_sha256_hex(stem)
}

/// Read the metadata of a store and list its images.
pub(crate) fn resolve(store: &Store, opts: &Options) -> Result<Resolved> {
    if let Backing::Host(host) = &store.backing {
        // an image store read its metadata when it was opened
        return Ok(host.resolved.clone());
    }
    let mut out = Resolved::default();
    // A member that is a dangling or looping link is still there: reading it says
    // which link is broken, instead of "not an image archive".
    let present = |name: &str| store.contains(name) || store.members.contains_key(name);
    let has_manifest_json = present("manifest.json");
    let has_index = present("index.json");
    // How many images the metadata lists, before any is skipped.
    let mut listed = 0;
    if has_manifest_json {
        listed += docker::resolve_docker_manifest(store, opts, &mut out)?;
    }
    if has_index {
        let format = if has_manifest_json {
            ArchiveFormat::DockerOci
        } else {
            ArchiveFormat::Oci
        };
        listed += oci::resolve_oci(store, opts, format, &mut out)?;
    }
    let none = match (has_manifest_json, has_index) {
        (true, true) => "manifest.json and index.json list none",
        (true, false) => "manifest.json lists none",
        (false, true) => "index.json lists no manifests",
        (false, false) => "repositories lists none",
    };
    if !has_manifest_json && !has_index {
        if store.contains("repositories") {
            listed += docker::resolve_v1(store, opts, &mut out)?;
        } else {
            return Err(Error::UnknownFormat {
                at: Location::new(&store.input),
                reason: "no manifest.json, index.json or repositories member".into(),
            });
        }
    }
    if listed == 0 {
        return Err(Error::NoImage {
            at: Location::new(&store.input),
            reason: none.into(),
        });
    }
    // Docker 25+ archives describe each image twice (manifest.json and index.json):
    // one image per config digest, refs merged.
    let mut merged: Vec<ImageSpec> = Vec::new();
    for img in out.images.drain(..) {
        if let Some(existing) = merged.iter_mut().find(|m| m.id == img.id) {
            existing.refs.extend(img.refs);
            if existing.manifest_digest.is_none() {
                existing.manifest_digest = img.manifest_digest;
            }
            if existing.format == ArchiveFormat::DockerArchive
                && img.format == ArchiveFormat::DockerOci
            {
                existing.format = ArchiveFormat::DockerOci;
            }
        } else {
            merged.push(img);
        }
    }
    if has_manifest_json && has_index {
        for m in &mut merged {
            m.format = ArchiveFormat::DockerOci;
        }
    }
    out.images = merged;
    Ok(out)
}

/// Docker's familiar form of a reference: `docker.io/library/alpine:3` → `alpine:3`,
/// `docker.io/acme/web:2` → `acme/web:2`. Other registries are kept as they are.
pub fn familiar_ref(r: &str) -> String {
    for prefix in ["docker.io/", "index.docker.io/"] {
        if let Some(rest) = r.strip_prefix(prefix) {
            return match rest.strip_prefix("library/") {
                Some(name) if !name.contains('/') => name.to_string(),
                _ => rest.to_string(),
            };
        }
    }
    r.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_in_names() {
        let hex = "a".repeat(64);
        assert!(digest_in_name(&format!("blobs/sha256/{hex}")).is_some());
        assert!(digest_in_name(&format!("{hex}.json")).is_some());
        assert!(digest_in_name(&format!("sha256:{hex}")).is_some());
        assert!(digest_in_name(&format!("{hex}/layer.tar")).is_none());
        assert!(digest_in_name("manifest.json").is_none());
    }
}

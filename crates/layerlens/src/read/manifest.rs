//! Image metadata: Docker's `manifest.json` and `repositories`, OCI `index.json`,
//! manifests and configs, resolved into a list of images with ordered layer references.
//!
//! The serde types here are deliberately lenient (every field optional, unknown fields
//! ignored): real writers omit fields (`"manifests": null`, `RepoTags: null`) and the
//! strict `oci-spec` types reject such archives. What must hold is checked explicitly
//! with errors that name the member.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::error::{DigestSubject, Error, Location, Result};
use crate::options::{Options, Platform};
use crate::read::source::{Backing, Store};
use crate::read::store::StoreImage;

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

/// An image config, as far as layerlens needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageConfig {
    /// CPU architecture.
    #[serde(default)]
    pub architecture: Option<String>,
    /// Operating system.
    #[serde(default)]
    pub os: Option<String>,
    /// Architecture variant.
    #[serde(default)]
    pub variant: Option<String>,
    /// Creation time, RFC 3339.
    #[serde(default)]
    pub created: Option<String>,
    /// Layer diff_ids.
    #[serde(default)]
    pub rootfs: Option<RootFs>,
    /// Build history.
    #[serde(default)]
    pub history: Option<Vec<History>>,
    /// The runtime config, as far as findings read it (`Env`, `Labels`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<ContainerConfig>,
}

/// `config` of an image config: what the findings scan (`secret-in-config`). Read
/// leniently: entries of another type than the specification's are left out, never an
/// error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContainerConfig {
    /// `Env`: `KEY=VALUE` entries.
    #[serde(rename = "Env")]
    pub env: Vec<String>,
    /// `Labels`.
    #[serde(rename = "Labels")]
    pub labels: std::collections::BTreeMap<String, String>,
}

impl<'de> Deserialize<'de> for ContainerConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let env = v
            .get("Env")
            .and_then(|e| e.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let labels = v
            .get("Labels")
            .and_then(|l| l.as_object())
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        Ok(ContainerConfig { env, labels })
    }
}

/// `rootfs` of a config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootFs {
    /// `layers`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The diff_ids, lowest layer first.
    #[serde(default)]
    pub diff_ids: Option<Vec<String>>,
}

/// One history entry of a config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// When.
    #[serde(default)]
    pub created: Option<String>,
    /// The Dockerfile instruction or command.
    #[serde(default)]
    pub created_by: Option<String>,
    /// A comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// True when this step made no layer (ENV, CMD…).
    #[serde(default)]
    pub empty_layer: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct DockerManifestEntry {
    #[serde(rename = "Config")]
    config: Option<String>,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Option<Vec<String>>,
}

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

#[derive(Debug, Deserialize)]
struct V1Json {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    container_config: Option<V1ContainerConfig>,
}

#[derive(Debug, Deserialize)]
struct V1ContainerConfig {
    #[serde(rename = "Cmd", default)]
    cmd: Option<Vec<String>>,
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

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const IMAGE_CONFIG_TYPES: [&str; 2] = [
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
];

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
        listed += resolve_docker_manifest(store, opts, &mut out)?;
    }
    if has_index {
        let format = if has_manifest_json {
            ArchiveFormat::DockerOci
        } else {
            ArchiveFormat::Oci
        };
        listed += resolve_oci(store, opts, format, &mut out)?;
    }
    let none = match (has_manifest_json, has_index) {
        (true, true) => "manifest.json and index.json list none",
        (true, false) => "manifest.json lists none",
        (false, true) => "index.json lists no manifests",
        (false, false) => "repositories lists none",
    };
    if !has_manifest_json && !has_index {
        if store.contains("repositories") {
            listed += resolve_v1(store, opts, &mut out)?;
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

/// Read and check a config: its sha256 must match what names it.
pub(crate) fn read_config(
    store: &Store,
    member: &str,
    promised: Option<&Digest>,
    opts: &Options,
) -> Result<(Digest, ImageConfig)> {
    let bytes = store.read_small(member, opts.limits.max_json_bytes)?;
    let at = store.at(member);
    let found = Digest::sha256_of(&bytes);
    if let Some(expected) = promised {
        if expected.algorithm() == "sha256" && *expected != found {
            return Err(Error::DigestMismatch {
                at,
                subject: DigestSubject::Config,
                expected: expected.to_string(),
                found: found.to_string(),
            });
        }
    }
    let config: ImageConfig = parse_json(&bytes, &at)?;
    Ok((found, config))
}

pub(crate) fn diff_ids(config: &ImageConfig, at: &Location) -> Result<Vec<Digest>> {
    let ids = config
        .rootfs
        .as_ref()
        .and_then(|r| r.diff_ids.as_ref())
        .ok_or_else(|| Error::Malformed {
            at: at.clone(),
            reason: "config has no rootfs.diff_ids".into(),
        })?;
    ids.iter()
        .map(|s| {
            Digest::parse(s).ok_or_else(|| Error::Malformed {
                at: at.clone(),
                reason: format!("rootfs.diff_ids holds {s:?}, which is not a digest"),
            })
        })
        .collect()
}

pub(crate) fn platform_ok(filter: &Option<Platform>, config: &ImageConfig) -> bool {
    filter.as_ref().is_none_or(|p| {
        p.matches(
            config.os.as_deref().unwrap_or(""),
            config.architecture.as_deref().unwrap_or(""),
            config.variant.as_deref(),
        )
    })
}

/// Returns how many images `manifest.json` lists.
fn resolve_docker_manifest(store: &Store, opts: &Options, out: &mut Resolved) -> Result<usize> {
    let at = store.at("manifest.json");
    let bytes = store.read_small("manifest.json", opts.limits.max_json_bytes)?;
    let entries: Vec<DockerManifestEntry> = parse_json(&bytes, &at)?;
    let listed = entries.len();
    for (i, entry) in entries.into_iter().enumerate() {
        let config_member = entry.config.ok_or_else(|| Error::Malformed {
            at: at.clone(),
            reason: format!("entry {i} has no Config"),
        })?;
        let (resolved_config, _) = store.resolve(&config_member).map_err(|e| e.within(&at))?;
        let promised = digest_in_name(&config_member).or_else(|| digest_in_name(&resolved_config));
        let (id, config) = read_config(store, &config_member, promised.as_ref(), opts)?;
        let refs: BTreeSet<String> = entry
            .repo_tags
            .unwrap_or_default()
            .iter()
            .map(|r| familiar_ref(r))
            .collect();
        let image_name = refs
            .iter()
            .next()
            .cloned()
            .unwrap_or_else(|| id.to_string());
        if !platform_ok(&opts.platform, &config) {
            out.notes.push(format!(
                "{}: {image_name} skipped: platform {}/{} is not the platform asked for ({})",
                store.input,
                config.os.as_deref().unwrap_or("?"),
                config.architecture.as_deref().unwrap_or("?"),
                opts.platform
                    .as_ref()
                    .map_or_else(String::new, ToString::to_string)
            ));
            continue;
        }
        let cat = store.at(&config_member).with_image(&image_name);
        let ids = diff_ids(&config, &cat)?;
        let layer_members = entry.layers.unwrap_or_default();
        if layer_members.len() != ids.len() {
            return Err(Error::Malformed {
                at: at.clone().with_image(&image_name),
                reason: format!(
                    "manifest.json lists {} layers but the config has {} diff_ids",
                    layer_members.len(),
                    ids.len()
                ),
            });
        }
        let mut layers = Vec::with_capacity(ids.len());
        for (member, diff_id) in layer_members.iter().zip(ids) {
            let (resolved, _) = store.resolve(member).map_err(|e| {
                e.within(
                    &at.clone()
                        .with_image(&image_name)
                        .with_layer(diff_id.as_str()),
                )
            })?;
            // Only Docker 25+'s `blobs/sha256/<hex>` names promise the stored digest;
            // older names (`<v1id>/layer.tar`, kaniko's `<hex>.tar.gz`) are not checked.
            let stored_digest = if resolved.starts_with("blobs/") {
                digest_in_name(&resolved)
            } else {
                None
            };
            layers.push(LayerSpec {
                member: resolved,
                diff_id: Some(diff_id),
                stored_digest,
                stored_size: None,
                media_type: None,
                v1: None,
                store_size: None,
            });
        }
        out.images.push(ImageSpec {
            id,
            config,
            refs,
            format: ArchiveFormat::DockerArchive,
            layers,
            manifest_digest: None,
            store: None,
        });
    }
    Ok(listed)
}

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
fn resolve_oci(
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

/// Pre-1.10 `docker save`: `repositories` maps tags to v1 ids; each `<id>/json` names
/// its parent. There are no configs and no diff_ids: layers are hashed, not verified.
/// Returns how many images `repositories` names.
fn resolve_v1(store: &Store, opts: &Options, out: &mut Resolved) -> Result<usize> {
    let at = store.at("repositories");
    let bytes = store.read_small("repositories", opts.limits.max_json_bytes)?;
    let repos: BTreeMap<String, BTreeMap<String, String>> = parse_json(&bytes, &at)?;
    let mut by_top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (repo, tags) in repos {
        for (tag, id) in tags {
            by_top
                .entry(id)
                .or_default()
                .insert(format!("{repo}:{tag}"));
        }
    }
    let listed = by_top.len();
    out.notes.push(format!(
        "{}: pre-1.10 docker save: no configs and no diff_ids exist; layer digests are computed, not verified",
        store.input
    ));
    for (top, refs) in by_top {
        let mut chain = Vec::new();
        let mut current = Some(top.clone());
        let mut top_json: Option<V1Json> = None;
        while let Some(id) = current {
            if chain.len() > 10_000
                || chain
                    .iter()
                    .any(|(c, _, _): &(String, String, Option<String>)| *c == id)
            {
                return Err(Error::Malformed {
                    at: store.at(&format!("{id}/json")),
                    reason: "v1 parent chain loops or is too long".into(),
                });
            }
            let jm = format!("{id}/json");
            let jat = store.at(&jm);
            let json: V1Json =
                parse_json(&store.read_small(&jm, opts.limits.max_json_bytes)?, &jat)?;
            let layer_member = format!("{id}/layer.tar");
            let (resolved, _) = store.resolve(&layer_member).map_err(|e| e.within(&jat))?;
            let cmd = json
                .container_config
                .as_ref()
                .and_then(|c| c.cmd.as_ref())
                .map(|c| c.join(" "));
            current = json.parent.clone().filter(|p| !p.is_empty());
            chain.push((id.clone(), resolved, cmd));
            if top_json.is_none() {
                top_json = Some(json);
            }
        }
        chain.reverse();
        let top_json = top_json.expect("chain has at least one element");
        let id = Digest::parse(&format!("v1:{}", top_json.id.as_deref().unwrap_or(&top)))
            .unwrap_or_else(|| Digest::sha256_of(top.as_bytes()));
        let config = ImageConfig {
            architecture: top_json.architecture.clone(),
            os: top_json.os.clone(),
            variant: None,
            created: top_json.created.clone(),
            rootfs: None,
            history: None,
            config: None,
        };
        out.images.push(ImageSpec {
            id,
            config,
            refs,
            format: ArchiveFormat::DockerV1,
            layers: chain
                .into_iter()
                .map(|(v1id, member, cmd)| LayerSpec {
                    member,
                    diff_id: None,
                    stored_digest: None,
                    stored_size: None,
                    media_type: None,
                    v1: Some((v1id, cmd)),
                    store_size: None,
                })
                .collect(),
            manifest_digest: None,
            store: None,
        });
    }
    Ok(listed)
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

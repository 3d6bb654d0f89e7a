//! Docker's own layouts: `manifest.json` (`docker save` since 1.10, kaniko,
//! containers/image) and the pre-1.10 `repositories` with v1 json chains.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::{
    diff_ids, digest_in_name, familiar_ref, parse_json, platform_ok, read_config, ArchiveFormat,
    ImageConfig, ImageSpec, LayerSpec, Resolved,
};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::options::Options;
use crate::read::source::Store;

#[derive(Debug, Deserialize)]
struct DockerManifestEntry {
    #[serde(rename = "Config")]
    config: Option<String>,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Option<Vec<String>>,
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

/// Returns how many images `manifest.json` lists.
pub(super) fn resolve_docker_manifest(
    store: &Store,
    opts: &Options,
    out: &mut Resolved,
) -> Result<usize> {
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

/// Pre-1.10 `docker save`: `repositories` maps tags to v1 ids; each `<id>/json` names
/// its parent. There are no configs and no diff_ids: layers are hashed, not verified.
/// Returns how many images `repositories` names.
pub(super) fn resolve_v1(store: &Store, opts: &Options, out: &mut Resolved) -> Result<usize> {
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

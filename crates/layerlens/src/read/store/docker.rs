//! A Docker data root (`/var/lib/docker`) with the classic image store and a graph
//! driver whose layers are plain directories: `overlay2` (the default), `overlay`,
//! `fuse-overlayfs`, `vfs`.
//!
//! ```text
//! image/<driver>/repositories.json                  {"Repositories": {name: {"name:tag": "sha256:<id>"}}}
//! image/<driver>/imagedb/content/sha256/<id>        the config (its sha256 is the id)
//! image/<driver>/imagedb/metadata/sha256/<id>/parent  the classic builder's parent image
//! image/<driver>/layerdb/sha256/<chain-id>/{diff,size,cache-id,tar-split.json.gz}
//! overlay2/<cache-id>/diff/                         the layer's files (vfs: vfs/dir/<cache-id>/)
//! ```
//!
//! Docker writes these files by write-and-rename, so a read while the daemon runs sees
//! whole files; an image half-registered or half-removed (a layer missing from
//! layerdb) is skipped with a note. Docker 29 keeps its images in containerd under
//! `containerd/daemon/`, read as a containerd root when there is no `image/<driver>/`
//! (every Docker since 1.11 has a `containerd/daemon/`, with its containers' state).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Deserialize;

use super::fs::{is_component, Kind, Root};
use super::{
    add_file, containerd, count_notes, finish, keep, new_store, state, Ctx, StoreImage, TarSplits,
};
use crate::digest::Digest;
use crate::error::{Error, Location, Result};
use crate::model::chain::chain_ids;
use crate::options::Options;
use crate::read::manifest::{self, familiar_ref, ArchiveFormat, ImageSpec, LayerSpec, Resolved};
use crate::read::source::Store;

/// Graph drivers whose layers are plain directories of files.
const DRIVERS: [&str; 4] = ["overlay2", "overlay", "fuse-overlayfs", "vfs"];

#[derive(Deserialize)]
struct Repositories {
    #[serde(rename = "Repositories", default)]
    repositories: BTreeMap<String, BTreeMap<String, String>>,
}

/// One layer of layerdb, as far as an image needs it.
struct Layer {
    diff_id: Digest,
    size: Option<u64>,
    tar_split: String,
    dir: String,
}

/// Open a Docker data root.
pub(crate) fn open(input: &str, root: Arc<Root>, opts: &Options) -> Result<Store> {
    let cx = Ctx::new(input, &root, opts);
    let mut drivers: Vec<String> = Vec::new();
    for (name, kind) in cx.list("image")? {
        let has = |sub: &str| matches!(root.stat(&format!("image/{name}/{sub}")), Ok(Some(_)));
        if kind == Kind::Dir && (has("imagedb") || has("layerdb")) {
            drivers.push(name);
        }
    }
    let driver = match drivers.as_slice() {
        [] if matches!(root.stat("containerd/daemon"), Ok(Some((Kind::Dir, _)))) => {
            return containerd::open_below(input, root, "containerd/daemon/", opts);
        }
        [] => {
            return Err(Error::UnknownFormat {
                at: Location::new(input),
                reason: "a Docker data root without an image store (image/<driver>/): its \
                         images are in containerd (the containerd image store); give the \
                         containerd root (/var/lib/containerd) instead"
                    .into(),
            })
        }
        [one] => one.clone(),
        many if many.iter().any(|d| d == "overlay2") => "overlay2".into(),
        many => {
            return Err(Error::UnknownFormat {
                at: Location::new(input),
                reason: format!("image stores of several graph drivers: {}", many.join(", ")),
            })
        }
    };
    if !DRIVERS.contains(&driver.as_str()) {
        return Err(Error::UnknownFormat {
            at: Location::new(input).with_member(format!("image/{driver}")),
            reason: format!(
                "graph driver {driver}: its layers are not plain directories, so they cannot \
                 be read in place (use docker save)"
            ),
        });
    }
    let store_dir = format!("image/{driver}");
    let mut out = Resolved::default();

    // tags by image id
    let repos_rel = format!("{store_dir}/repositories.json");
    let mut tags: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    if let Some(bytes) = cx.read_opt(&repos_rel)? {
        let repos: Repositories = cx.json(&repos_rel, &bytes)?;
        for (r, id) in repos.repositories.into_values().flatten() {
            if Digest::parse(&id).is_none() {
                return Err(cx.malformed(&repos_rel, format!("{r:?} points to {id:?}")));
            }
            // digest references (name@sha256:…) are not tags
            if !r.contains('@') {
                tags.entry(id).or_default().insert(familiar_ref(&r));
            }
        }
    }

    // every config of imagedb, with its parent
    let content = format!("{store_dir}/imagedb/content/sha256");
    let mut found: Vec<(Digest, String, Option<Digest>, u64)> = Vec::new();
    for (hex, kind) in cx.list(&content)? {
        let Some(id) = Digest::from_sha256_hex(&hex).filter(|_| kind == Kind::File) else {
            continue; // Docker ignores foreign files too
        };
        let rel = format!("{content}/{hex}");
        let len = cx.file_len(&rel)?.unwrap_or(0);
        let parent_rel = format!("{store_dir}/imagedb/metadata/sha256/{hex}/parent");
        let parent = match cx.text_opt(&parent_rel)? {
            Some(p) if !p.is_empty() => Some(
                Digest::parse(&p)
                    .ok_or_else(|| cx.malformed(&parent_rel, format!("{p:?} is not an id")))?,
            ),
            _ => None,
        };
        found.push((id, rel, parent, len));
    }
    let parents: BTreeSet<&Digest> = found.iter().filter_map(|f| f.2.as_ref()).collect();
    let states: Vec<_> = found
        .iter()
        .map(|(id, _, _, _)| state(tags.contains_key(id.as_str()), parents.contains(id)))
        .collect();
    count_notes(input, &states, opts, &mut out.notes);

    // The configs are read through the store's members, like an archive's.
    let mut store = new_store(input, &root, "", opts);
    for (_, rel, _, len) in &found {
        add_file(&mut store, rel, *len);
    }
    let mut layers: BTreeMap<Digest, Option<Layer>> = BTreeMap::new();
    let mut tar_splits = TarSplits::default();
    for ((id, rel, parent, _), st) in found.iter().zip(&states) {
        if !keep(*st, opts) {
            continue;
        }
        let (_, config) = manifest::read_config(&store, rel, Some(id), opts)?;
        let refs = tags.get(id.as_str()).cloned().unwrap_or_default();
        let name = refs
            .iter()
            .next()
            .cloned()
            .unwrap_or_else(|| id.to_string());
        if !manifest::platform_ok(&opts.platform, &config) {
            continue;
        }
        let diff_ids = manifest::diff_ids(&config, &cx_at(input, rel, &name))?;
        let mut specs = Vec::with_capacity(diff_ids.len());
        for (diff_id, chain_id) in diff_ids.iter().zip(chain_ids(&diff_ids)) {
            if !layers.contains_key(&chain_id) {
                let layer = read_layer(&cx, &store_dir, &driver, &chain_id)?;
                layers.insert(chain_id.clone(), layer);
            }
            let Some(layer) = &layers[&chain_id] else {
                out.notes.push(format!(
                    "{input}: {name}: layer {chain_id} is not in layerdb (being removed or \
                     registered?); image skipped"
                ));
                specs.clear();
                break;
            };
            if layer.diff_id != *diff_id {
                return Err(Error::Malformed {
                    at: cx_at(input, &layer.tar_split, &name).with_layer(diff_id.as_str()),
                    reason: format!("layerdb says diff {}, the config {diff_id}", layer.diff_id),
                });
            }
            tar_splits.add(&layer.tar_split, &layer.dir, diff_id);
            specs.push(LayerSpec {
                member: layer.tar_split.clone(),
                diff_id: Some(diff_id.clone()),
                stored_digest: None,
                stored_size: None,
                media_type: None,
                v1: None,
                store_size: layer.size,
            });
        }
        if specs.len() != diff_ids.len() {
            continue;
        }
        out.images.push(ImageSpec {
            id: id.clone(),
            config,
            refs,
            format: ArchiveFormat::DockerStore,
            layers: specs,
            manifest_digest: None,
            store: Some(StoreImage {
                state: *st,
                parent: parent.clone(),
                namespaces: Vec::new(),
            }),
        });
    }
    finish(&mut store, tar_splits, out)?;
    Ok(store)
}

fn cx_at(input: &str, rel: &str, image: &str) -> Location {
    Location::new(input).with_member(rel).with_image(image)
}

/// A layer of layerdb; `None` when it is not there.
fn read_layer(
    cx: &Ctx<'_>,
    store_dir: &str,
    driver: &str,
    chain_id: &Digest,
) -> Result<Option<Layer>> {
    let dir = format!("{store_dir}/layerdb/sha256/{}", chain_id.encoded());
    let diff_rel = format!("{dir}/diff");
    let Some(diff) = cx.text_opt(&diff_rel)? else {
        return Ok(None);
    };
    let diff_id = Digest::parse(&diff)
        .ok_or_else(|| cx.malformed(&diff_rel, format!("{diff:?} is not a diff_id")))?;
    let size_rel = format!("{dir}/size");
    let size = match cx.text_opt(&size_rel)? {
        Some(t) => Some(
            t.parse()
                .map_err(|_| cx.malformed(&size_rel, format!("{t:?} is not a size")))?,
        ),
        None => None,
    };
    let cache_rel = format!("{dir}/cache-id");
    let cache_id = cx.text_opt(&cache_rel)?.unwrap_or_default();
    if !is_component(&cache_id) {
        return Err(cx.malformed(&cache_rel, format!("{cache_id:?} is not a directory name")));
    }
    let tar_split = format!("{dir}/tar-split.json.gz");
    if cx.file_len(&tar_split)?.is_none() {
        return Err(Error::MissingMember {
            at: Location::new(cx.input).with_layer(diff_id.as_str()),
            missing: tar_split,
        });
    }
    let dir = match driver {
        "vfs" => format!("vfs/dir/{cache_id}"),
        d => format!("{d}/{cache_id}/diff"),
    };
    Ok(Some(Layer {
        diff_id,
        size,
        tar_split,
        dir,
    }))
}

//! A containers-storage graph root (`/var/lib/containers/storage`,
//! `~/.local/share/containers/storage`): podman, buildah, skopeo and CRI-O keep images
//! here. Drivers with plain layer directories: `overlay` and `vfs`.
//!
//! ```text
//! <driver>-images/images.json        [{id, names, layer (top layer id), big-data-names, big-data-digests, …}]
//! <driver>-images/<id>/<key file>    big data: the config under "sha256:<id>"; a key that is not
//!                                    [.0-9a-z]* is stored as "=" + base64(key)
//! <driver>-layers/layers.json        [{id, parent, diff-digest, diff-size, flags, …}]
//! <driver>-layers/<id>.tar-split.gz  the layer's tar-split
//! overlay/<id>/diff/                 the layer's files (vfs: vfs/dir/<id>/, a whole root file system)
//! ```
//!
//! No lock is taken (`*.lock` files are never opened): the JSON files are replaced
//! atomically, so a concurrent podman can at worst remove a layer (an error naming it)
//! or leave one `incomplete` (its images are skipped with a note).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use base64::Engine as _;
use serde::Deserialize;

use super::fs::{is_component, Kind, Root};
use super::{add_file, count_notes, finish, keep, new_store, state, Ctx, StoreImage, TarSplits};
use crate::digest::Digest;
use crate::error::{Error, Location, Result};
use crate::options::Options;
use crate::read::manifest::{self, familiar_ref, ArchiveFormat, History, ImageConfig};
use crate::read::manifest::{ImageSpec, LayerSpec, Resolved};
use crate::read::source::Store;

#[derive(Deserialize)]
struct RawImage {
    id: String,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    layer: Option<String>,
    #[serde(default, rename = "big-data-names")]
    big_data_names: Vec<String>,
    #[serde(default, rename = "big-data-digests")]
    big_data_digests: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct RawLayer {
    id: String,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default, rename = "diff-digest")]
    diff_digest: Option<String>,
    #[serde(default, rename = "diff-size")]
    diff_size: Option<i64>,
    #[serde(default)]
    flags: BTreeMap<String, serde_json::Value>,
}

/// containers/storage's file name for a big-data key (`makeBigDataBaseName`).
fn big_data_file(key: &str) -> String {
    let plain = key
        .bytes()
        .all(|b| b == b'.' || b.is_ascii_digit() || b.is_ascii_lowercase());
    if plain && !key.is_empty() {
        key.to_string()
    } else {
        format!("={}", base64::engine::general_purpose::STANDARD.encode(key))
    }
}

/// Open a containers-storage graph root.
pub(crate) fn open(input: &str, root: Arc<Root>, opts: &Options) -> Result<Store> {
    let cx = Ctx::new(input, &root, opts);
    let names = cx.list("")?;
    let has = |n: &str| names.iter().any(|(m, k)| m == n && *k == Kind::Dir);
    let drivers: Vec<&str> = names
        .iter()
        .filter_map(|(n, _)| n.strip_suffix("-layers"))
        .filter(|d| has(&format!("{d}-images")))
        .collect();
    let driver = match drivers.as_slice() {
        [one] => *one,
        many if many.contains(&"overlay") => "overlay",
        many => {
            return Err(Error::UnknownFormat {
                at: Location::new(input),
                reason: format!("stores of several drivers ({})", many.join(", ")),
            })
        }
    };
    if !["overlay", "vfs"].contains(&driver) {
        return Err(Error::UnknownFormat {
            at: Location::new(input).with_member(format!("{driver}-layers")),
            reason: format!(
                "storage driver {driver}: its layers are not plain directories, so they cannot \
                 be read in place (use podman save)"
            ),
        });
    }
    let (images_dir, layers_dir) = (format!("{driver}-images"), format!("{driver}-layers"));
    let layers_rel = format!("{layers_dir}/layers.json");
    let raw_layers: Vec<RawLayer> = match cx.read_opt(&layers_rel)? {
        Some(b) => cx.json(&layers_rel, &b)?,
        None => Vec::new(),
    };
    let layers: HashMap<&str, &RawLayer> = raw_layers.iter().map(|l| (l.id.as_str(), l)).collect();
    let images_rel = format!("{images_dir}/images.json");
    let raw_images: Vec<RawImage> = match cx.read_opt(&images_rel)? {
        Some(b) => cx.json(&images_rel, &b)?,
        None => Vec::new(),
    };

    // Each image: its config (big data), its layer chain, top first.
    let mut store = new_store(input, &root, "", opts);
    let mut found = Vec::new();
    for img in &raw_images {
        if !is_component(&img.id) {
            return Err(cx.malformed(&images_rel, format!("image id {:?}", img.id)));
        }
        let want = format!("sha256:{}", img.id);
        let Some(key) = img
            .big_data_names
            .iter()
            .find(|k| **k == want)
            .or_else(|| img.big_data_names.iter().find(|k| k.starts_with("sha256:")))
        else {
            continue; // not an image with a config (a manifest list, an artifact)
        };
        let rel = format!("{images_dir}/{}/{}", img.id, big_data_file(key));
        let len = cx.file_len(&rel)?.ok_or_else(|| Error::MissingMember {
            at: cx.at(&images_rel),
            missing: rel.clone(),
        })?;
        add_file(&mut store, &rel, len);
        let promised = img
            .big_data_digests
            .get(key)
            .or(Some(key))
            .and_then(|d| Digest::parse(d));
        let (id, config) = manifest::read_config(&store, &rel, promised.as_ref(), opts)?;
        let mut chain = Vec::new();
        let mut next = img.layer.as_deref().filter(|l| !l.is_empty());
        while let Some(lid) = next {
            let layer = layers.get(lid).ok_or_else(|| Error::MissingMember {
                at: cx.at(&images_rel).with_image(&img.id),
                missing: format!("{layers_rel}: layer {lid}"),
            })?;
            if chain.len() > raw_layers.len() {
                return Err(cx.malformed(&layers_rel, format!("parent cycle at layer {lid}")));
            }
            chain.push(*layer);
            next = layer.parent.as_deref().filter(|p| !p.is_empty());
        }
        chain.reverse();
        found.push((img, id, config, chain));
    }
    let parents = parents(&found);
    let has_child: BTreeSet<&Digest> = parents.iter().flatten().collect();
    let states: Vec<_> = found
        .iter()
        .map(|(img, id, ..)| state(!img.names.is_empty(), has_child.contains(id)))
        .collect();
    let mut out = Resolved::default();
    count_notes(input, &states, opts, &mut out.notes);
    let mut tar_splits = TarSplits::default();
    for (((img, id, config, chain), st), parent) in found.iter().zip(&states).zip(&parents) {
        let refs: BTreeSet<String> = img.names.iter().map(|n| familiar_ref(n)).collect();
        let name = refs
            .iter()
            .next()
            .cloned()
            .unwrap_or_else(|| id.to_string());
        if !keep(*st, opts) || !manifest::platform_ok(&opts.platform, config) {
            continue;
        }
        let at = cx.at(&images_rel).with_image(&name);
        let diff_ids = manifest::diff_ids(config, &at)?;
        if diff_ids.len() != chain.len() {
            return Err(Error::Malformed {
                at,
                reason: format!(
                    "{} layers in layers.json, {} diff_ids in the config",
                    chain.len(),
                    diff_ids.len()
                ),
            });
        }
        if let Some(l) = chain
            .iter()
            .find(|l| l.flags.get("incomplete") == Some(&true.into()))
        {
            out.notes.push(format!(
                "{input}: {name}: layer {} is incomplete (being written or removed); image skipped",
                l.id
            ));
            continue;
        }
        let mut specs = Vec::with_capacity(chain.len());
        for (layer, diff_id) in chain.iter().zip(diff_ids) {
            let ts = format!("{layers_dir}/{}.tar-split.gz", layer.id);
            let lat = at.clone().with_member(&ts).with_layer(diff_id.as_str());
            if !is_component(&layer.id) {
                return Err(Error::Malformed {
                    at: lat,
                    reason: format!("layer id {:?}", layer.id),
                });
            }
            if let Some(d) = layer.diff_digest.as_deref().filter(|d| !d.is_empty()) {
                if d != diff_id.as_str() {
                    return Err(Error::Malformed {
                        at: lat,
                        reason: format!("layers.json says diff-digest {d}, the config {diff_id}"),
                    });
                }
            }
            if cx.file_len(&ts)?.is_none() {
                return Err(Error::MissingMember {
                    at: lat,
                    missing: ts,
                });
            }
            let dir = match driver {
                "vfs" => format!("vfs/dir/{}", layer.id),
                d => format!("{d}/{}/diff", layer.id),
            };
            tar_splits.add(&ts, &dir, &diff_id);
            specs.push(LayerSpec {
                member: ts,
                diff_id: Some(diff_id),
                stored_digest: None,
                stored_size: None,
                media_type: None,
                v1: None,
                store_size: layer.diff_size.and_then(|n| u64::try_from(n).ok()),
            });
        }
        out.images.push(ImageSpec {
            id: id.clone(),
            config: config.clone(),
            refs,
            format: ArchiveFormat::ContainersStorage,
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

type Found<'a> = (&'a RawImage, Digest, ImageConfig, Vec<&'a RawLayer>);

/// Each image's parent as podman computes it (libimage's layer tree): an image whose
/// top layer is the child's top layer or its parent layer, whose diff_ids are a prefix
/// of the child's and whose history is the child's but the last entry.
fn parents<'a>(found: &[Found<'a>]) -> Vec<Option<Digest>> {
    let top = |f: &Found<'a>| f.3.last().map(|l| l.id.as_str());
    let mut by_top: HashMap<Option<&str>, Vec<usize>> = HashMap::new();
    for (i, f) in found.iter().enumerate() {
        by_top.entry(top(f)).or_default().push(i);
    }
    let history = |c: &ImageConfig| c.history.clone().unwrap_or_default();
    let diff_ids = |c: &ImageConfig| {
        c.rootfs
            .as_ref()
            .and_then(|r| r.diff_ids.clone())
            .unwrap_or_default()
    };
    found
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let below = f.3.len().checked_sub(2).map(|k| f.3[k].id.as_str());
            let mut candidates = by_top.get(&top(f)).cloned().unwrap_or_default();
            candidates.extend(by_top.get(&below).cloned().unwrap_or_default());
            let (ch, cd) = (history(&f.2), diff_ids(&f.2));
            candidates.into_iter().filter(|&j| j != i).find_map(|j| {
                let p = &found[j];
                let (ph, pd) = (history(&p.2), diff_ids(&p.2));
                let prefix = ph.len() + 1 == ch.len()
                    && ph.iter().zip(&ch).all(|(a, b)| same_history(a, b))
                    && cd.starts_with(&pd);
                prefix.then(|| p.1.clone())
            })
        })
        .collect()
}

/// libimage's comparison of two history entries (the author aside, which layerlens
/// does not keep): created, created_by, comment and empty_layer equal.
fn same_history(a: &History, b: &History) -> bool {
    let empty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    empty(&a.created) == empty(&b.created)
        && empty(&a.created_by) == empty(&b.created_by)
        && empty(&a.comment) == empty(&b.comment)
        && a.empty_layer.unwrap_or(false) == b.empty_layer.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    #[test]
    fn big_data_file_names() {
        assert_eq!(super::big_data_file("manifest"), "manifest");
        assert_eq!(
            super::big_data_file("sha256:01a20f41d688da5bdf4ad59600344d2f3dba515b0aced1b0b40a0063479a80f2"),
            "=c2hhMjU2OjAxYTIwZjQxZDY4OGRhNWJkZjRhZDU5NjAwMzQ0ZDJmM2RiYTUxNWIwYWNlZDFiMGI0MGEwMDYzNDc5YTgwZjI="
        );
    }
}

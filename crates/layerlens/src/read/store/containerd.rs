//! A containerd root (`/var/lib/containerd` on Kubernetes nodes; Docker's containerd
//! image store, which Docker 29 keeps under `/var/lib/docker/containerd/daemon/`).
//!
//! ```text
//! io.containerd.content.v1.content/blobs/<alg>/<hex>   manifests, indexes, configs, layer blobs
//! io.containerd.metadata.v1.bolt/meta.db               bbolt: v1/<namespace>/images/<name>/target/{digest,mediatype,size}
//!                                                            v1/<namespace>/images/<name>/labels/…
//! ```
//!
//! The content store has the shape of an OCI layout's `blobs/`: each image name's
//! target is walked as an OCI layout's index entry would be (nested indexes, platforms,
//! attestations skipped), so layers are the stored (compressed) blobs, verified against
//! their descriptors and the configs' diff_ids. A layer whose blob is gone (containerd
//! discards them after unpacking with `discard_unpacked_layers`) skips its image with a
//! note naming it: the unpacked snapshot is not read.
//!
//! Docker names untagged images `moby-dangling@<digest>` and records the classic
//! builder's parent in the label `org.mobyproject.image.parent`; Kubernetes (CRI) adds
//! names by digest (`repo@sha256:…`) and by id (`sha256:…`), which are not tags.
//! `meta.db` is read without a lock (see [`super::bbolt`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::bbolt::{Bucket, Db, Value};
use super::fs::{Kind, Root};
use super::{add_file, count_notes, finish, keep, new_store, state, Ctx, ImageState, StoreImage};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::options::Options;
use crate::read::manifest::{self, familiar_ref, ArchiveFormat, Resolved};
use crate::read::source::Store;

pub(crate) const CONTENT: &str = "io.containerd.content.v1.content";
pub(crate) const META_DB: &str = "io.containerd.metadata.v1.bolt/meta.db";
const PARENT_LABEL: &str = "org.mobyproject.image.parent";

/// Open a containerd root.
pub(crate) fn open(input: &str, root: Arc<Root>, opts: &Options) -> Result<Store> {
    open_below(input, root, "", opts)
}

/// The names of one target in one namespace.
struct Target {
    namespace: String,
    digest: String,
    media_type: String,
    size: i64,
    names: Vec<String>,
    parent: Option<String>,
}

/// Open the containerd root at `prefix` below `root` (`""`, or Docker 29's
/// `containerd/daemon/`).
pub(crate) fn open_below(
    input: &str,
    root: Arc<Root>,
    prefix: &str,
    opts: &Options,
) -> Result<Store> {
    let cx = Ctx::new(input, &root, opts);
    let blob_dir = format!("{prefix}{CONTENT}/");
    let mut store = new_store(input, &root, &blob_dir, opts);
    for alg in ["sha256", "sha384", "sha512"] {
        let dir = format!("{blob_dir}blobs/{alg}");
        for (hex, kind) in cx.list(&dir)? {
            if kind == Kind::File && Digest::parse(&format!("{alg}:{hex}")).is_some() {
                let rel = format!("{dir}/{hex}");
                let len = cx.file_len(&rel)?.unwrap_or(0);
                add_file(&mut store, &rel, len);
            }
        }
    }
    let meta_rel = format!("{prefix}{META_DB}");
    let targets = read_names(&cx, &meta_rel)?;

    // Walk every target (intermediate ones too: their configs name the parents).
    let parents: BTreeSet<(&str, &str)> = targets
        .iter()
        .filter_map(|t| Some((t.namespace.as_str(), t.parent.as_deref()?)))
        .collect();
    let mut walked = Vec::with_capacity(targets.len());
    let mut config_of: BTreeMap<&str, Digest> = BTreeMap::new();
    for t in &targets {
        let refs: Vec<String> = tags(&t.names).into_iter().collect();
        let st = state(
            !refs.is_empty(),
            parents.contains(&(t.namespace.as_str(), t.digest.as_str())),
        );
        let mut res = Resolved::default();
        let name = refs.first().cloned().unwrap_or_else(|| t.digest.clone());
        let at = cx.at(&meta_rel).with_image(&name);
        let member = format!("{blob_dir}blobs/{}", t.digest.replacen(':', "/", 1));
        if store.contains(&member) {
            manifest::walk_target(
                &store,
                opts,
                ArchiveFormat::ContainerdStore,
                (&t.digest, &t.media_type, t.size),
                &refs,
                &at,
                &mut res,
            )?;
        } else {
            res.notes.push(format!(
                "{input}: {}: {name}: its target {} is not in the content store; skipped",
                t.namespace, t.digest
            ));
        }
        if let Some(first) = res.images.first() {
            config_of.insert(&t.digest, first.id.clone());
        }
        walked.push((st, res));
    }
    let states: Vec<ImageState> = walked.iter().map(|w| w.0).collect();
    let mut out = Resolved::default();
    count_notes(input, &states, opts, &mut out.notes);
    for (t, (st, res)) in targets.iter().zip(walked) {
        if !keep(st, opts) {
            continue;
        }
        out.notes.extend(res.notes);
        for mut spec in res.images {
            spec.store = Some(StoreImage {
                state: st,
                parent: t.parent.as_deref().and_then(|p| config_of.get(p)).cloned(),
                namespaces: vec![t.namespace.clone()],
            });
            for l in &mut spec.layers {
                l.store_size = store.len(&l.member).ok();
            }
            out.images.push(spec);
        }
    }
    finish(&mut store, Default::default(), out)?;
    Ok(store)
}

/// The tags among a target's names, in Docker's familiar form: not Docker's
/// `moby-dangling@…`, not CRI's names by digest (`repo@sha256:…`) or by id (`sha256:…`).
fn tags(names: &[String]) -> BTreeSet<String> {
    names
        .iter()
        .filter(|n| !n.contains('@') && Digest::parse(n).is_none())
        .map(|n| familiar_ref(n))
        .collect()
}

/// Every image name of every namespace of `meta.db`, grouped by target.
fn read_names(cx: &Ctx<'_>, rel: &str) -> Result<Vec<Target>> {
    let bad = |reason: String| cx.malformed(rel, reason);
    let db = Db::open(&cx.root, rel).map_err(|e| match cx.root.stat(rel) {
        Ok(None) => Error::MissingMember {
            at: crate::Location::new(cx.input),
            missing: rel.to_string(),
        },
        _ => bad(e),
    })?;
    let Some(v1) = db.bucket(&db.root(), b"v1").map_err(&bad)? else {
        return Ok(Vec::new());
    };
    let mut by_target: BTreeMap<(String, String), Target> = BTreeMap::new();
    for (ns, v) in db.entries(&v1).map_err(&bad)? {
        let Value::Bucket(ns_bucket) = v else {
            continue; // v1/version
        };
        let namespace = String::from_utf8_lossy(&ns).into_owned();
        let Some(images) = db.bucket(&ns_bucket, b"images").map_err(&bad)? else {
            continue;
        };
        for (name, v) in db.entries(&images).map_err(&bad)? {
            let name = String::from_utf8_lossy(&name).into_owned();
            let here = |what: &str| bad(format!("v1/{namespace}/images/{name}: {what}"));
            let Value::Bucket(image) = v else {
                return Err(here("a value, not a bucket"));
            };
            let target = db
                .bucket(&image, b"target")
                .map_err(&bad)?
                .ok_or_else(|| here("no target"))?;
            let field = |key: &[u8]| -> Result<Vec<u8>> {
                db.bytes(&target, key)
                    .map_err(&bad)?
                    .ok_or_else(|| here(&format!("no target {}", String::from_utf8_lossy(key))))
            };
            let digest = String::from_utf8(field(b"digest")?).unwrap_or_default();
            if Digest::parse(&digest).is_none() {
                return Err(here(&format!("target digest {digest:?}")));
            }
            let media_type = String::from_utf8_lossy(&field(b"mediatype")?).into_owned();
            let size = varint(&field(b"size")?).ok_or_else(|| here("target size"))?;
            let parent = label(&db, &image, PARENT_LABEL).map_err(&bad)?;
            let t = by_target
                .entry((namespace.clone(), digest.clone()))
                .or_insert_with(|| Target {
                    namespace: namespace.clone(),
                    digest,
                    media_type,
                    size,
                    names: Vec::new(),
                    parent: None,
                });
            t.names.push(name);
            if t.parent.is_none() {
                t.parent = parent;
            }
        }
    }
    Ok(by_target.into_values().collect())
}

fn label(db: &Db, image: &Bucket, key: &str) -> super::bbolt::BoltResult<Option<String>> {
    let Some(labels) = db.bucket(image, b"labels")? else {
        return Ok(None);
    };
    Ok(db
        .bytes(&labels, key.as_bytes())?
        .map(|v| String::from_utf8_lossy(&v).into_owned()))
}

/// Go's `binary.Varint` (zigzag), as containerd stores sizes.
fn varint(b: &[u8]) -> Option<i64> {
    let mut x: u64 = 0;
    for (i, &byte) in b.iter().enumerate().take(10) {
        x |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            let v = (x >> 1) as i64;
            return Some(if x & 1 != 0 { !v } else { v });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn varints_and_tags() {
        use super::varint;
        assert_eq!(varint(&[0x00]), Some(0));
        assert_eq!(varint(&[0x02]), Some(1));
        assert_eq!(varint(&[0x01]), Some(-1));
        assert_eq!(varint(&[0xac, 0x02]), Some(150));
        assert_eq!(varint(&[0x80, 0x80]), None);
        assert_eq!(varint(&[]), None);
        let names: Vec<String> = [
            "docker.io/library/nginx:1.25",
            "docker.io/library/nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000",
            "sha256:0000000000000000000000000000000000000000000000000000000000000000",
            "moby-dangling@sha256:0000000000000000000000000000000000000000000000000000000000000000",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            super::tags(&names).into_iter().collect::<Vec<_>>(),
            ["nginx:1.25"]
        );
    }
}

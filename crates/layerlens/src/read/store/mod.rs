//! Image stores on a host, read in place, offline and read-only: a Docker data root
//! ([`docker`]), a containerd root ([`containerd`]) and a containers-storage graph root
//! ([`containers_storage`]).
//!
//! A store is an input like an archive: it answers the same two questions (which bytes
//! are layers, which configs and manifests tie them into images) as members of a
//! [`Store`] and a list of [`ImageSpec`](super::manifest::ImageSpec)s, and everything
//! after that (the layer pass, verification, the cache, partial results, the report)
//! is shared. A layer a store keeps unpacked is streamed again from its tar-split
//! ([`tarsplit`]), so its sha256 is the diff_id `docker save` would write; containerd
//! keeps the blobs themselves, read as in an OCI layout.
//!
//! What only a store knows is reported beside the figures: each image's state (tagged,
//! dangling, intermediate), its parent, its containerd namespaces ([`StoreImage`]), and
//! each layer's size as the store records it.
//!
//! Nothing under a store is written, locked or followed through a symlink
//! ([`fs`]); a store may be read while its daemon runs.

pub(crate) mod bbolt;
pub(crate) mod containerd;
pub(crate) mod containers_storage;
pub(crate) mod docker;
pub(crate) mod fs;
pub(crate) mod tarsplit;

use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::error::{Error, Location, Result};
use crate::options::Options;
use crate::read::manifest::Resolved;
use crate::read::source::{Backing, Member, Store};

use fs::{Kind, OpenError, Root};

/// Whether an image of a store has a name, and if not, whether another image was built
/// on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageState {
    /// It has at least one tag.
    Tagged,
    /// No tag, and no image of the store is built on it (`docker images -f dangling=true`).
    Dangling,
    /// No tag, and another image of the store is built on it: a step of the classic
    /// builder (`docker images -a` lists it, `docker images` hides it).
    Intermediate,
}

/// What only an image store knows about an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreImage {
    /// Tagged, dangling or intermediate.
    pub state: ImageState,
    /// The image it was built on, by id, as the store records it (the classic
    /// builder's parent; podman's layer-tree parent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Digest>,
    /// The containerd namespaces that name it (`moby`, `k8s.io`, `default`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
}

impl StoreImage {
    /// Fold in what another store says about the same image: it is tagged if either
    /// says so (or it has refs now), intermediate if either says so, otherwise dangling.
    pub(crate) fn absorb(&mut self, other: StoreImage, has_refs: bool) {
        self.state = if has_refs {
            ImageState::Tagged
        } else {
            self.state.max(other.state)
        };
        if self.parent.is_none() {
            self.parent = other.parent;
        }
        for ns in other.namespaces {
            if !self.namespaces.contains(&ns) {
                self.namespaces.push(ns);
            }
        }
        self.namespaces.sort();
    }
}

/// An opened store: its root, and the images its metadata describes.
#[derive(Debug)]
pub(crate) struct Host {
    pub(crate) root: Arc<Root>,
    /// Where OCI blobs live below the root (containerd), `""` otherwise.
    pub(crate) blob_dir: String,
    pub(crate) resolved: Resolved,
    /// The longest tar-split line read (`max_json_bytes`).
    pub(crate) max_line: usize,
}

/// How one kind of store is opened.
pub(crate) type Opener = fn(&str, Arc<Root>, &Options) -> Result<Store>;

/// Whether a directory is an image store (by what it holds, never by its name), and
/// which. An OCI layout (`index.json`, `oci-layout`) or an extracted archive is not.
pub(crate) fn detect(dir: &Path) -> Option<Opener> {
    let has = |rel: &str| dir.join(rel).exists();
    if has("index.json") || has("oci-layout") || has("manifest.json") {
        return None;
    }
    // image/<driver>/{imagedb,layerdb}; Docker 29 keeps containerd under containerd/daemon;
    // a data root of a daemon whose images live in an outside containerd has neither
    let image_store = std::fs::read_dir(dir.join("image")).is_ok_and(|rd| {
        rd.flatten()
            .any(|e| e.path().join("imagedb").is_dir() || e.path().join("layerdb").is_dir())
    });
    if image_store || has("containerd/daemon") || has("engine-id") {
        return Some(docker::open);
    }
    if has(containerd::CONTENT) || has(containerd::META_DB) {
        return Some(containerd::open);
    }
    let cs = std::fs::read_dir(dir).ok()?.flatten().any(|e| {
        e.file_name()
            .to_str()
            .and_then(|n| n.strip_suffix("-layers"))
            .is_some_and(|d| dir.join(format!("{d}-images")).is_dir())
    });
    cs.then_some(containers_storage::open as Opener)
}

/// Open a store found by [`detect`].
pub(crate) fn open(input: &str, dir: &Path, open: Opener, opts: &Options) -> Result<Store> {
    let root = Root::new(dir).map_err(|e| io_error(Location::new(input), e))?;
    open(input, Arc::new(root), opts)
}

/// An I/O error at `at`; permission problems say whose the store is.
fn io_error(at: Location, e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::PermissionDenied {
        let e = io::Error::new(
            e.kind(),
            format!("{e}: the store belongs to another user (read it as its owner or root)"),
        );
        return Error::io(at, e);
    }
    Error::io(at, e)
}

/// Reading the metadata of one store: its input name, its root and the options.
pub(crate) struct Ctx<'a> {
    pub(crate) input: &'a str,
    pub(crate) root: Arc<Root>,
    pub(crate) opts: &'a Options,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(input: &'a str, root: &Arc<Root>, opts: &'a Options) -> Ctx<'a> {
        Ctx {
            input,
            root: root.clone(),
            opts,
        }
    }

    pub(crate) fn at(&self, rel: &str) -> Location {
        Location::new(self.input).with_member(rel)
    }

    pub(crate) fn malformed(&self, rel: &str, reason: impl Into<String>) -> Error {
        Error::Malformed {
            at: self.at(rel),
            reason: reason.into(),
        }
    }

    pub(crate) fn open_error(&self, rel: &str, e: OpenError) -> Error {
        match e {
            OpenError::Io(e) => io_error(self.at(rel), e),
            OpenError::NotFound => Error::MissingMember {
                at: Location::new(self.input),
                missing: rel.to_string(),
            },
            e => self.malformed(rel, e.to_string()),
        }
    }

    /// A whole small file (at most `max_json_bytes`), `None` when it does not exist.
    pub(crate) fn read_opt(&self, rel: &str) -> Result<Option<Vec<u8>>> {
        use std::io::Read;
        let max = self.opts.limits.max_json_bytes;
        let (file, len) = match self.root.open(rel) {
            Ok(f) => f,
            Err(OpenError::NotFound) => return Ok(None),
            Err(e) => return Err(self.open_error(rel, e)),
        };
        let too_big = || Error::LimitExceeded {
            at: self.at(rel),
            limit: "max_json_bytes",
            max,
        };
        if len > max {
            return Err(too_big());
        }
        let mut out = Vec::with_capacity(len as usize);
        // take(max + 1): a file that grows while it is read is still bounded
        file.take(max + 1)
            .read_to_end(&mut out)
            .map_err(|e| io_error(self.at(rel), e))?;
        if out.len() as u64 > max {
            return Err(too_big());
        }
        Ok(Some(out))
    }

    /// A one-line text file (trimmed), `None` when it does not exist.
    pub(crate) fn text_opt(&self, rel: &str) -> Result<Option<String>> {
        match self.read_opt(rel)? {
            None => Ok(None),
            Some(b) => String::from_utf8(b)
                .map(|s| Some(s.trim().to_string()))
                .map_err(|_| self.malformed(rel, "not UTF-8 text")),
        }
    }

    pub(crate) fn json<T: serde::de::DeserializeOwned>(
        &self,
        rel: &str,
        bytes: &[u8],
    ) -> Result<T> {
        serde_json::from_slice(bytes).map_err(|e| Error::json(self.at(rel), e))
    }

    pub(crate) fn list(&self, rel: &str) -> Result<Vec<(String, Kind)>> {
        self.root.list(rel).map_err(|e| self.open_error(rel, e))
    }

    /// The size of the regular file `rel`; `None` when it is missing.
    pub(crate) fn file_len(&self, rel: &str) -> Result<Option<u64>> {
        match self.root.stat(rel).map_err(|e| self.open_error(rel, e))? {
            None => Ok(None),
            Some((Kind::File, len)) => Ok(Some(len)),
            Some((k, _)) => Err(self.malformed(rel, format!("not a regular file ({k:?})"))),
        }
    }
}

/// A store being opened: no members yet, no images. Its files are added with
/// [`add_file`], its images and layers with [`finish`].
pub(crate) fn new_store(input: &str, root: &Arc<Root>, blob_dir: &str, opts: &Options) -> Store {
    Store {
        input: input.to_string(),
        backing: Backing::Host(Arc::new(Host {
            root: root.clone(),
            blob_dir: blob_dir.to_string(),
            resolved: Resolved::default(),
            max_line: usize::try_from(opts.limits.max_json_bytes).unwrap_or(usize::MAX),
        })),
        members: BTreeMap::new(),
    }
}

/// A file of the store (a config, a blob), with its size, as a member.
pub(crate) fn add_file(store: &mut Store, rel: &str, len: u64) {
    store
        .members
        .insert(rel.to_string(), Member::StoreFile { len });
}

/// Layers to rebuild from tar-splits: (tar-split file, layer directory, diff_id), each
/// once.
#[derive(Default)]
pub(crate) struct TarSplits(Vec<(String, String, Digest)>);

impl TarSplits {
    pub(crate) fn add(&mut self, tar_split: &str, dir: &str, diff_id: &Digest) {
        if !self.0.iter().any(|p| p.0 == tar_split) {
            self.0
                .push((tar_split.to_string(), dir.to_string(), diff_id.clone()));
        }
    }
}

/// The store's images are known: each layer to rebuild becomes a member (its tar-split
/// file), with the length of its stream read from the tar-split alone (in parallel; no
/// layer file is opened here).
pub(crate) fn finish(store: &mut Store, layers: TarSplits, resolved: Resolved) -> Result<()> {
    use rayon::prelude::*;
    let Backing::Host(host) = &mut store.backing else {
        unreachable!("a store opened by new_store")
    };
    let lens: Vec<Result<u64>> = layers
        .0
        .par_iter()
        .map(|(ts, _, diff_id)| {
            tarsplit::stream_len(&host.root, ts, host.max_line).map_err(|e| {
                let at = Location::new(&store.input).with_member(ts);
                Error::from_io(at.with_layer(diff_id.as_str()), e)
            })
        })
        .collect();
    for ((tar_split, dir, _), len) in layers.0.into_iter().zip(lens) {
        let len = len?;
        let member = tar_split.clone();
        let layer = tarsplit::TarSplitLayer {
            tar_split,
            dir,
            len,
        };
        store
            .members
            .insert(member, Member::TarSplit(Arc::new(layer)));
    }
    Arc::get_mut(host)
        .expect("nothing else holds a store being opened")
        .resolved = resolved;
    Ok(())
}

/// Which images of a store are analysed: tagged and dangling ones, and intermediate
/// ones only when asked; a note counts what was left out and what is dangling.
pub(crate) fn keep(state: ImageState, opts: &Options) -> bool {
    state != ImageState::Intermediate || opts.include_intermediate
}

/// The notes that count a store's dangling and intermediate images.
pub(crate) fn count_notes(
    input: &str,
    states: &[ImageState],
    opts: &Options,
    notes: &mut Vec<String>,
) {
    let n = |s| states.iter().filter(|&&x| x == s).count();
    let (dangling, intermediate) = (n(ImageState::Dangling), n(ImageState::Intermediate));
    if dangling > 0 {
        notes.push(format!(
            "{input}: {dangling} dangling image(s) (untagged, nothing built on them) included"
        ));
    }
    if intermediate > 0 {
        notes.push(if opts.include_intermediate {
            format!("{input}: {intermediate} intermediate image(s) (untagged parents of other images) included")
        } else {
            format!(
                "{input}: {intermediate} intermediate image(s) (untagged parents of other images: \
                 the classic builder's steps) not analysed; --all includes them"
            )
        });
    }
}

/// The state of an untagged image: intermediate when another image names it as parent.
pub(crate) fn state(tagged: bool, is_parent: bool) -> ImageState {
    match (tagged, is_parent) {
        (true, _) => ImageState::Tagged,
        (false, true) => ImageState::Intermediate,
        (false, false) => ImageState::Dangling,
    }
}

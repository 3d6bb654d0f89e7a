//! Image archives, built in memory or streamed: tar members ([`TarWriter`], [`Outer`]),
//! layer tars ([`LayerWriter`], [`layer_tar`]), stored layer blobs ([`Blob`]) and whole
//! image sets in the layouts layerlens reads ([`ImageArchive`], [`Layout`]).
//!
//! The synthetic generator writes its archives through the same [`ImageArchive`] as the
//! tests, with blobs that stream from a generator instead of a buffer.
//!
//! ```
//! use layerlens_testtools::archive::{layer_tar, Blob, ImageArchive, Layout};
//!
//! let base = layer_tar(&[("etc/os-release", b"ID=debian\n")]);
//! let app = layer_tar(&[("app/main.py", b"print('hi')\n")]);
//! let bytes = ImageArchive::new(Layout::Docker25)
//!     .image(&["acme/base:1"], [Blob::tar(base.clone())])
//!     .image(&["acme/app:1"], [Blob::tar(base), Blob::gzip(&app)])
//!     .finish();
//! let set = layerlens::Analyzer::new(layerlens::Options::default())
//!     .analyze_reader("set.tar", &bytes[..])?;
//! assert_eq!(set.images.len(), 2);
//! assert_eq!(set.layers.len(), 2);
//! # Ok::<(), layerlens::Error>(())
//! ```

use std::collections::{BTreeSet, HashSet};
use std::io::{self, Read, Write};

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

/// The modification time of every generated entry (2023-11-14).
pub const MTIME: u64 = 1_700_000_000;

/// OCI media type of an uncompressed layer (`+gzip`, `+zstd` for compressed ones).
pub const MT_OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
/// OCI media type of an image config.
pub const MT_OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// OCI media type of an image manifest.
pub const MT_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI media type of an image index.
pub const MT_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// The lowercase hex sha256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The diff_id of an uncompressed layer: `sha256:<hex>`.
pub fn diff_id(layer: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(layer))
}

/// `data` gzip-compressed (one member, default level).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("writing to memory");
    e.finish().expect("writing to memory")
}

/// `data` zstd-compressed (level 3).
pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).expect("writing to memory")
}

/// An OCI descriptor (`mediaType`, `digest`, `size`) for a blob.
pub fn descriptor(media_type: &str, blob: &[u8]) -> Value {
    json!({
        "mediaType": media_type,
        "digest": format!("sha256:{}", sha256_hex(blob)),
        "size": blob.len(),
    })
}

fn to_json(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("JSON values always serialise")
}

// ---------------------------------------------------------------------------------
// Tar members
// ---------------------------------------------------------------------------------

/// Writes the members of an outer archive (ustar headers, mode 0644 or 0755, owner 0,
/// [`MTIME`]) into any writer, member bodies streamed straight through.
pub struct TarWriter<W: Write> {
    w: W,
}

impl<W: Write> TarWriter<W> {
    /// Members go to `w`.
    pub fn new(w: W) -> Self {
        TarWriter { w }
    }

    fn header(
        &mut self,
        path: &str,
        size: u64,
        kind: tar::EntryType,
        link: Option<&str>,
    ) -> io::Result<()> {
        let mut h = tar::Header::new_ustar();
        h.set_path(path)?;
        h.set_entry_type(kind);
        h.set_mode(match kind {
            tar::EntryType::Directory => 0o755,
            tar::EntryType::Symlink => 0o777,
            _ => 0o644,
        });
        h.set_mtime(MTIME);
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(size);
        if let Some(target) = link {
            h.set_link_name(target)?;
        }
        h.set_cksum();
        self.w.write_all(h.as_bytes())
    }

    fn pad(&mut self, size: u64) -> io::Result<()> {
        let rem = (512 - size % 512) % 512;
        self.w.write_all(&[0u8; 512][..rem as usize])
    }

    /// A directory member (`path/`).
    pub fn dir(&mut self, path: &str) -> io::Result<()> {
        self.header(&format!("{path}/"), 0, tar::EntryType::Directory, None)
    }

    /// A regular member holding `data`.
    pub fn file(&mut self, path: &str, data: &[u8]) -> io::Result<()> {
        self.header(path, data.len() as u64, tar::EntryType::Regular, None)?;
        self.w.write_all(data)?;
        self.pad(data.len() as u64)
    }

    /// A regular member of `size` bytes that `body` writes; writing another number of
    /// bytes is an error (the archive would be corrupt).
    pub fn file_from(
        &mut self,
        path: &str,
        size: u64,
        body: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        self.header(path, size, tar::EntryType::Regular, None)?;
        let mut counter = CountingWriter {
            inner: &mut self.w,
            count: 0,
        };
        body(&mut counter)?;
        let written = counter.count;
        if written != size {
            return Err(io::Error::other(format!(
                "member {path}: wrote {written} bytes, planned {size}"
            )));
        }
        self.pad(size)
    }

    /// A symbolic link member.
    pub fn symlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        self.header(path, 0, tar::EntryType::Symlink, Some(target))
    }

    /// Write the two zero blocks that end an archive, flush, and return the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.w.write_all(&[0u8; 1024])?;
        self.w.flush()?;
        Ok(self.w)
    }
}

struct CountingWriter<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// An outer archive built member by member in memory, for hand-made (often broken)
/// archives: `Outer::new().file("manifest.json", b"[]").finish()`.
pub struct Outer(TarWriter<Vec<u8>>);

impl Default for Outer {
    fn default() -> Self {
        Outer::new()
    }
}

impl Outer {
    /// An empty archive.
    pub fn new() -> Self {
        Outer(TarWriter::new(Vec::new()))
    }

    /// Add a regular member.
    pub fn file(mut self, path: &str, data: &[u8]) -> Self {
        self.0.file(path, data).expect("writing to memory");
        self
    }

    /// Add a directory member.
    pub fn dir(mut self, path: &str) -> Self {
        self.0.dir(path).expect("writing to memory");
        self
    }

    /// Add a symbolic link member.
    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        self.0.symlink(path, target).expect("writing to memory");
        self
    }

    /// The archive's bytes, end-of-archive blocks included.
    pub fn finish(self) -> Vec<u8> {
        self.0.finish().expect("writing to memory")
    }
}

// ---------------------------------------------------------------------------------
// Layer tars
// ---------------------------------------------------------------------------------

/// Writes the entries of one layer tar (GNU headers, owner 0, [`MTIME`]) and counts
/// them. Parent directories are written only when asked ([`LayerWriter::dir_all`]).
pub struct LayerWriter<W: Write> {
    b: tar::Builder<W>,
    dirs: BTreeSet<String>,
    entries: u64,
    files: u64,
}

impl<W: Write> LayerWriter<W> {
    /// Entries go to `w`.
    pub fn new(w: W) -> Self {
        LayerWriter {
            b: tar::Builder::new(w),
            dirs: BTreeSet::new(),
            entries: 0,
            files: 0,
        }
    }

    fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_mtime(MTIME);
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(size);
        h
    }

    /// `path` and each of its ancestors as directory entries (`a/`, `a/b/`), each at
    /// most once per layer.
    pub fn dir_all(&mut self, path: &str) -> io::Result<()> {
        let mut acc = String::new();
        for comp in path.split('/').filter(|c| !c.is_empty()) {
            if !acc.is_empty() {
                acc.push('/');
            }
            acc.push_str(comp);
            if self.dirs.insert(acc.clone()) {
                let mut h = Self::header(tar::EntryType::Directory, 0o755, 0);
                self.b.append_data(&mut h, format!("{acc}/"), io::empty())?;
                self.entries += 1;
            }
        }
        Ok(())
    }

    /// A regular file of `size` bytes read from `body`.
    pub fn file(&mut self, path: &str, size: u64, mode: u32, body: impl Read) -> io::Result<()> {
        let mut h = Self::header(tar::EntryType::Regular, mode, size);
        self.b.append_data(&mut h, path, body)?;
        self.entries += 1;
        self.files += 1;
        Ok(())
    }

    /// A symbolic link.
    pub fn symlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        let mut h = Self::header(tar::EntryType::Symlink, 0o777, 0);
        self.b.append_link(&mut h, path, target)?;
        self.entries += 1;
        Ok(())
    }

    /// A hard link to an earlier entry of the layer.
    pub fn hardlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        let mut h = Self::header(tar::EntryType::Link, 0o644, 0);
        self.b.append_link(&mut h, path, target)?;
        self.entries += 1;
        Ok(())
    }

    /// A whiteout hiding `hidden` (the entry `<parent>/.wh.<name>`).
    pub fn whiteout(&mut self, hidden: &str) -> io::Result<()> {
        let (parent, name) = layerlens::internals::split_parent(hidden);
        let path = if parent.is_empty() {
            format!(".wh.{name}")
        } else {
            format!("{parent}/.wh.{name}")
        };
        self.marker(&path)
    }

    /// An opaque marker: everything lower layers hold under `dir` is hidden.
    pub fn opaque(&mut self, dir: &str) -> io::Result<()> {
        self.marker(&format!("{dir}/.wh..wh..opq"))
    }

    fn marker(&mut self, path: &str) -> io::Result<()> {
        let mut h = Self::header(tar::EntryType::Regular, 0o644, 0);
        self.b.append_data(&mut h, path, io::empty())?;
        self.entries += 1;
        Ok(())
    }

    /// Entries written so far.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Regular files written so far (whiteouts and links not counted).
    pub fn files(&self) -> u64 {
        self.files
    }

    /// End the tar (two zero blocks), flush, and return the writer.
    pub fn finish(self) -> io::Result<W> {
        let mut w = self.b.into_inner()?;
        w.flush()?;
        Ok(w)
    }
}

/// A layer tar of regular files (mode 0644), in the order given, without directory
/// entries.
pub fn layer_tar(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = LayerWriter::new(Vec::new());
    for (path, data) in files {
        w.file(path, data.len() as u64, 0o644, *data)
            .expect("writing to memory");
    }
    w.finish().expect("writing to memory")
}

// ---------------------------------------------------------------------------------
// Blobs and image sets
// ---------------------------------------------------------------------------------

/// Writes a streamed blob's bytes.
type WriteBlob<'a> = Box<dyn Fn(&mut dyn Write) -> io::Result<()> + 'a>;

enum Body<'a> {
    Bytes(Vec<u8>),
    Stream(WriteBlob<'a>),
}

/// One stored layer blob: its bytes (or a function that writes them), the digest and
/// size of those bytes, its media type, and the diff_id an image config promises for it.
pub struct Blob<'a> {
    diff_id: String,
    digest_hex: String,
    size: u64,
    media_type: String,
    body: Body<'a>,
}

impl Blob<'static> {
    /// An uncompressed layer.
    pub fn tar(layer: Vec<u8>) -> Self {
        let id = diff_id(&layer);
        Blob::raw(layer, id)
    }

    /// A layer stored gzip-compressed.
    pub fn gzip(layer: &[u8]) -> Self {
        Blob::raw(gzip(layer), diff_id(layer)).media_type(&format!("{MT_OCI_LAYER}+gzip"))
    }

    /// A layer stored zstd-compressed.
    pub fn zstd(layer: &[u8]) -> Self {
        Blob::raw(zstd(layer), diff_id(layer)).media_type(&format!("{MT_OCI_LAYER}+zstd"))
    }

    /// Stored bytes taken as they are, whatever they hold, with the diff_id the config
    /// will promise (a truncated blob, a bomb, a lie). Media type: an uncompressed layer.
    pub fn raw(stored: Vec<u8>, diff_id: impl Into<String>) -> Self {
        Blob {
            diff_id: diff_id.into(),
            digest_hex: sha256_hex(&stored),
            size: stored.len() as u64,
            media_type: MT_OCI_LAYER.to_string(),
            body: Body::Bytes(stored),
        }
    }
}

impl<'a> Blob<'a> {
    /// A blob too large to hold: `write` writes its `size` bytes, whose sha256 is
    /// `digest_hex`, each time the archive is written.
    pub fn streamed(
        diff_id: impl Into<String>,
        digest_hex: impl Into<String>,
        size: u64,
        write: impl Fn(&mut dyn Write) -> io::Result<()> + 'a,
    ) -> Self {
        Blob {
            diff_id: diff_id.into(),
            digest_hex: digest_hex.into(),
            size,
            media_type: MT_OCI_LAYER.to_string(),
            body: Body::Stream(Box::new(write)),
        }
    }

    /// The same blob with another media type (OCI and Docker 25+ layouts write it).
    pub fn media_type(mut self, media_type: &str) -> Self {
        self.media_type = media_type.to_string();
        self
    }

    /// The diff_id configs promise for it.
    pub fn diff_id(&self) -> &str {
        &self.diff_id
    }

    /// The sha256 of the stored bytes, in hex.
    pub fn digest_hex(&self) -> &str {
        &self.digest_hex
    }

    /// Stored bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    fn write_into<W: Write>(&self, w: &mut TarWriter<W>, path: &str) -> io::Result<()> {
        match &self.body {
            Body::Bytes(b) => w.file(path, b),
            Body::Stream(f) => w.file_from(path, self.size, |out| f(out)),
        }
    }

    fn descriptor(&self) -> Value {
        json!({"mediaType": self.media_type, "digest": format!("sha256:{}", self.digest_hex), "size": self.size})
    }
}

/// The layout an [`ImageArchive`] is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Docker 1.10–24 `docker save` as Docker writes it: `<v1 id>/{VERSION,json,layer.tar}`
    /// per layer, `<config hex>.json` per image, `manifest.json`, `repositories`.
    Docker,
    /// The same, reduced to what a reader needs, in this order: `l<i>/layer.tar` per
    /// layer, `<config hex>.json` per image, `manifest.json` (the hostile corpus cuts and
    /// patches these members by name and position).
    DockerMinimal,
    /// Docker 25+ `docker save`: an OCI layout (`blobs/sha256/…`, `index.json` with
    /// containerd's image-name annotation, `oci-layout`) plus `manifest.json`.
    Docker25,
    /// An OCI image layout: `blobs/sha256/…`, `index.json` (tags as
    /// `org.opencontainers.image.ref.name`), `oci-layout`.
    Oci,
}

struct ImageEntry {
    tags: Vec<String>,
    layers: Vec<usize>,
    config: Value,
}

/// An image set written as one archive. Each blob is stored once however many images
/// use it; each image's config is its `config` object plus the `rootfs` its layers
/// give.
pub struct ImageArchive<'a> {
    layout: Layout,
    blobs: Vec<Blob<'a>>,
    images: Vec<ImageEntry>,
}

/// The config of a test image without `rootfs`: `{"architecture": "amd64", "os": "linux",
/// "history": []}`.
pub fn default_config() -> Value {
    json!({"architecture": "amd64", "os": "linux", "history": []})
}

impl<'a> ImageArchive<'a> {
    /// An empty set.
    pub fn new(layout: Layout) -> Self {
        ImageArchive {
            layout,
            blobs: Vec::new(),
            images: Vec::new(),
        }
    }

    /// Add a blob (or find the same stored bytes added before); returns its index.
    pub fn add_blob(&mut self, blob: Blob<'a>) -> usize {
        if let Some(i) = self
            .blobs
            .iter()
            .position(|b| b.digest_hex == blob.digest_hex)
        {
            return i;
        }
        self.blobs.push(blob);
        self.blobs.len() - 1
    }

    /// The blobs added so far, in order.
    pub fn blobs(&self) -> &[Blob<'a>] {
        &self.blobs
    }

    /// Add an image of blobs added before (bottom layer first). `config` is the config
    /// object without `rootfs`, which is filled in from the layers' diff_ids.
    pub fn add_image(&mut self, tags: Vec<String>, layers: Vec<usize>, config: Value) {
        assert!(layers.iter().all(|&l| l < self.blobs.len()), "unknown blob");
        self.images.push(ImageEntry {
            tags,
            layers,
            config,
        });
    }

    /// Add an image of these layers with [`default_config`].
    pub fn image(self, tags: &[&str], layers: impl IntoIterator<Item = Blob<'a>>) -> Self {
        self.image_with_config(tags, layers, default_config())
    }

    /// Add an image of these layers with the given config (without `rootfs`).
    pub fn image_with_config(
        mut self,
        tags: &[&str],
        layers: impl IntoIterator<Item = Blob<'a>>,
        config: Value,
    ) -> Self {
        let layers = layers.into_iter().map(|b| self.add_blob(b)).collect();
        self.add_image(tags.iter().map(|t| t.to_string()).collect(), layers, config);
        self
    }

    /// The config JSON of image `i`, as written.
    pub fn config_json(&self, i: usize) -> Vec<u8> {
        let img = &self.images[i];
        let diff_ids: Vec<&str> = img
            .layers
            .iter()
            .map(|&l| self.blobs[l].diff_id.as_str())
            .collect();
        let mut config = img.config.clone();
        if let Value::Object(map) = &mut config {
            map.insert(
                "rootfs".into(),
                json!({"type": "layers", "diff_ids": diff_ids}),
            );
        }
        to_json(&config)
    }

    /// The archive in memory.
    pub fn finish(self) -> Vec<u8> {
        self.write_to(Vec::new()).expect("writing to memory")
    }

    /// Write the archive into `w` (member after member, blobs streamed) and return it.
    pub fn write_to<W: Write>(&self, w: W) -> io::Result<W> {
        let mut w = TarWriter::new(w);
        match self.layout {
            Layout::Docker => self.write_docker(&mut w, true)?,
            Layout::DockerMinimal => self.write_docker(&mut w, false)?,
            Layout::Docker25 => self.write_oci(&mut w, true)?,
            Layout::Oci => self.write_oci(&mut w, false)?,
        }
        w.finish()
    }

    fn write_docker<W: Write>(&self, w: &mut TarWriter<W>, as_docker: bool) -> io::Result<()> {
        let member = |i: usize| {
            if as_docker {
                format!("{}/layer.tar", v1_id(&self.blobs[i].diff_id))
            } else {
                format!("l{i}/layer.tar")
            }
        };
        for (i, blob) in self.blobs.iter().enumerate() {
            if as_docker {
                let id = v1_id(&blob.diff_id);
                w.dir(&id)?;
                w.file(&format!("{id}/VERSION"), b"1.0")?;
                w.file(
                    &format!("{id}/json"),
                    &to_json(&json!({"id": id, "os": "linux", "created": "2024-01-01T00:00:00Z"})),
                )?;
            }
            blob.write_into(w, &member(i))?;
        }
        let mut manifest = Vec::new();
        let mut repositories = serde_json::Map::new();
        let mut written = HashSet::new();
        for (i, img) in self.images.iter().enumerate() {
            let cfg = self.config_json(i);
            let cfg_name = format!("{}.json", sha256_hex(&cfg));
            if written.insert(cfg_name.clone()) {
                w.file(&cfg_name, &cfg)?;
            }
            let layers: Vec<String> = img.layers.iter().map(|&l| member(l)).collect();
            if let Some(&top) = img.layers.last() {
                let top = v1_id(&self.blobs[top].diff_id);
                for t in &img.tags {
                    let (repo, tag) = t.rsplit_once(':').unwrap_or((t, "latest"));
                    repositories
                        .entry(repo.to_string())
                        .or_insert_with(|| json!({}))
                        .as_object_mut()
                        .expect("an object")
                        .insert(tag.to_string(), json!(top));
                }
            }
            manifest.push(json!({"Config": cfg_name, "RepoTags": img.tags, "Layers": layers}));
        }
        w.file("manifest.json", &to_json(&json!(manifest)))?;
        if as_docker {
            w.file("repositories", &to_json(&Value::Object(repositories)))?;
        }
        Ok(())
    }

    fn write_oci<W: Write>(&self, w: &mut TarWriter<W>, docker: bool) -> io::Result<()> {
        w.dir("blobs")?;
        w.dir("blobs/sha256")?;
        for blob in &self.blobs {
            blob.write_into(w, &format!("blobs/sha256/{}", blob.digest_hex))?;
        }
        let mut written = HashSet::new();
        let mut index_entries = Vec::new();
        let mut docker_manifest = Vec::new();
        for (i, img) in self.images.iter().enumerate() {
            let cfg = self.config_json(i);
            let cfg_hex = sha256_hex(&cfg);
            if written.insert(cfg_hex.clone()) {
                w.file(&format!("blobs/sha256/{cfg_hex}"), &cfg)?;
            }
            let layers: Vec<Value> = img
                .layers
                .iter()
                .map(|&l| self.blobs[l].descriptor())
                .collect();
            let manifest = to_json(&json!({
                "schemaVersion": 2,
                "mediaType": MT_OCI_MANIFEST,
                "config": {"mediaType": MT_OCI_CONFIG, "digest": format!("sha256:{cfg_hex}"), "size": cfg.len()},
                "layers": layers,
            }));
            let man_hex = sha256_hex(&manifest);
            if written.insert(man_hex.clone()) {
                w.file(&format!("blobs/sha256/{man_hex}"), &manifest)?;
            }
            let entry = |annotations: Option<Value>| {
                let mut e = json!({
                    "mediaType": MT_OCI_MANIFEST,
                    "digest": format!("sha256:{man_hex}"),
                    "size": manifest.len(),
                });
                if let Some(a) = annotations {
                    e["annotations"] = a;
                }
                e
            };
            if img.tags.is_empty() {
                index_entries.push(entry(None));
            }
            for t in &img.tags {
                let annotations = if docker {
                    let (_, tag) = t.rsplit_once(':').unwrap_or((t, "latest"));
                    json!({"io.containerd.image.name": format!("docker.io/{t}"), "org.opencontainers.image.ref.name": tag})
                } else {
                    json!({"org.opencontainers.image.ref.name": t})
                };
                index_entries.push(entry(Some(annotations)));
            }
            if docker {
                let sources: serde_json::Map<String, Value> = img
                    .layers
                    .iter()
                    .map(|&l| (self.blobs[l].diff_id.clone(), self.blobs[l].descriptor()))
                    .collect();
                docker_manifest.push(json!({
                    "Config": format!("blobs/sha256/{cfg_hex}"),
                    "RepoTags": img.tags,
                    "Layers": img.layers.iter().map(|&l| format!("blobs/sha256/{}", self.blobs[l].digest_hex)).collect::<Vec<_>>(),
                    "LayerSources": sources,
                }));
            }
        }
        w.file(
            "index.json",
            &to_json(
                &json!({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": index_entries}),
            ),
        )?;
        if docker {
            w.file("manifest.json", &to_json(&json!(docker_manifest)))?;
        }
        w.file("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)
    }
}

/// The v1 layer id Docker's legacy layout names a layer's directory by: derived from
/// the diff_id, so the same layer has the same directory in every archive.
fn v1_id(diff_id: &str) -> String {
    let hex = diff_id.strip_prefix("sha256:").unwrap_or(diff_id);
    sha256_hex(format!("v1|{hex}").as_bytes())
}

// ---------------------------------------------------------------------------------
// Hostile shorthands
// ---------------------------------------------------------------------------------

/// A Docker archive ([`Layout::DockerMinimal`]) of one image, `hostile/test:1`, whose
/// layers are these blobs (`l0/layer.tar`, `l1/layer.tar`, …).
pub fn docker_archive(layers: impl IntoIterator<Item = Blob<'static>>) -> Vec<u8> {
    ImageArchive::new(Layout::DockerMinimal)
        .image(&["hostile/test:1"], layers)
        .finish()
}

/// A Docker archive of one uncompressed layer (see [`docker_archive`]).
pub fn docker_archive_of(layer: &[u8]) -> Vec<u8> {
    docker_archive([Blob::tar(layer.to_vec())])
}

/// A Docker archive whose `manifest.json` is the given bytes, beside one valid layer
/// (`l0/layer.tar`) that the manifest may or may not name, and no config.
pub fn docker_archive_with_manifest(manifest: &[u8]) -> Vec<u8> {
    let layer = layer_tar(&[("etc/motd", b"hi")]);
    Outer::new()
        .file("l0/layer.tar", &layer)
        .file("manifest.json", manifest)
        .finish()
}

/// An OCI layout tarball: `oci-layout`, the blobs named by their digests, and
/// `index.json` as given (for indexes no writer would make).
pub fn oci_archive(index: &[u8], blobs: &[Vec<u8>]) -> Vec<u8> {
    let mut outer = Outer::new().file("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    for b in blobs {
        outer = outer.file(&format!("blobs/sha256/{}", sha256_hex(b)), b);
    }
    outer.file("index.json", index).finish()
}

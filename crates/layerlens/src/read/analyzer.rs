//! The orchestrator: open every input, read its metadata, analyse each unique layer
//! once in parallel (largest first), verify, and assemble an [`ImageSet`].
//!
//! Over 600 lines on purpose: opening, scheduling, verifying and assembling share the
//! analyzer's state and options; the parts that stand alone live in the sibling modules.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;

use crate::digest::Digest;
use crate::error::{DigestSubject, Error, Location, Result};
use crate::options::{Options, ProgressEvent, Verify};
use crate::read::cache::{self, CacheKey};
use crate::read::layer::{self, Compression, FileRecord, LayerReport};
use crate::read::manifest::{self, ArchiveFormat, ImageSpec};
use crate::read::source::{self, Member, Store};
use crate::read::store::{ImageState, StoreImage};

/// One layer position of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageLayer {
    /// The layer's diff_id: the key into [`ImageSet::layers`].
    pub diff_id: Digest,
    /// The stored blob's media type, when a descriptor gave one.
    pub media_type: Option<String>,
    /// The stored blob's digest: computed when this copy was the one analysed, else
    /// the one its descriptor or name promises.
    pub stored_digest: Option<Digest>,
    /// The stored blob's size in this image's input.
    pub stored_size: u64,
    /// The stored blob's compression in this image's input, by magic bytes.
    pub compression: Compression,
    /// The history entry that made this layer (`empty_layer` entries skipped).
    pub created_by: Option<String>,
    /// That history entry's time.
    pub created: Option<String>,
    /// That history entry's comment.
    pub comment: Option<String>,
    /// The member of the first input that holds the layer.
    pub member: String,
    /// For pre-1.10 archives, the v1 layer id.
    pub v1_id: Option<String>,
    /// The layer's size as the image store records it: Docker's layerdb `size` (its
    /// files' bytes, what `docker image inspect` sums), containers-storage's
    /// `diff-size` (the uncompressed tar), containerd's blob size. Absent for archives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_size: Option<u64>,
}

/// One image of the analysed set, identified by its config digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// `sha256:<config digest>`; `v1:<id>` for pre-1.10 archives, which have no config.
    pub id: Digest,
    /// All refs (tags) found for it in any input, sorted; empty when untagged.
    pub refs: Vec<String>,
    /// The inputs it was found in, in the order given.
    pub sources: Vec<String>,
    /// The archive layout it was found in (the first input's).
    pub format: ArchiveFormat,
    /// Operating system.
    pub os: Option<String>,
    /// Architecture.
    pub architecture: Option<String>,
    /// Architecture variant.
    pub variant: Option<String>,
    /// Creation time from the config.
    pub created: Option<String>,
    /// The manifest digest, for images found through an OCI index.
    pub manifest_digest: Option<Digest>,
    /// Layers, lowest first.
    pub layers: Vec<ImageLayer>,
    /// What the image store it was read from knows about it (absent for archives).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreImage>,
    /// Credentials in its config (`Env`, labels, history), redacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_findings: Vec<crate::forensics::findings::ConfigFinding>,
}

impl Image {
    /// Fold in another copy of the same image (same id) found in `other.sources`:
    /// refs united, sources in order, store facts merged; the rest stays.
    pub(crate) fn absorb(&mut self, other: Image) {
        let refs: BTreeSet<String> = self.refs.drain(..).chain(other.refs).collect();
        self.refs = refs.into_iter().collect();
        for source in other.sources {
            if !self.sources.contains(&source) {
                self.sources.push(source);
            }
        }
        let has_refs = !self.refs.is_empty();
        match (&mut self.store, other.store) {
            (Some(mine), Some(theirs)) => mine.absorb(theirs, has_refs),
            (mine @ None, Some(theirs)) => *mine = Some(theirs),
            _ => {}
        }
        if let Some(s) = &mut self.store {
            if has_refs {
                s.state = ImageState::Tagged;
            }
        }
    }

    /// The name to show: the first ref, or the short id when untagged.
    pub fn name(&self) -> String {
        self.refs
            .first()
            .cloned()
            .unwrap_or_else(|| self.id.short().to_string())
    }
}

/// Everything analysed: images, and each unique layer's report once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSet {
    /// The images, sorted by id.
    pub images: Vec<Image>,
    /// Each unique layer, by diff_id.
    pub layers: BTreeMap<Digest, LayerReport>,
    /// Things skipped or worth knowing (artifacts, missing platforms, pre-1.10 formats).
    pub notes: Vec<String>,
    /// The inputs, in the order given.
    pub inputs: Vec<String>,
}

impl ImageSet {
    /// The report of a layer.
    pub fn layer(&self, diff_id: &Digest) -> Option<&LayerReport> {
        self.layers.get(diff_id)
    }

    /// Find an image by ref, full id, or id prefix (with or without `sha256:`).
    pub fn find_image(&self, name: &str) -> Option<&Image> {
        self.images
            .iter()
            .find(|i| i.refs.iter().any(|r| r == name))
            .or_else(|| {
                let hex = name.strip_prefix("sha256:").unwrap_or(name);
                if hex.len() < 4 {
                    return None;
                }
                let mut hits = self
                    .images
                    .iter()
                    .filter(|i| i.id.encoded().starts_with(hex));
                let first = hits.next()?;
                hits.next().is_none().then_some(first)
            })
    }
}

/// Analyses a set of inputs with fixed [`Options`].
#[derive(Debug, Clone, Default)]
pub struct Analyzer {
    opts: Options,
}

/// One layer to analyse: which store and member hold it.
struct Job {
    key: Digest,
    store: usize,
    member: String,
    size: u64,
    /// The stored digest the descriptor promises, for the layer cache's key.
    stored_digest: Option<Digest>,
}

/// A layer's report (by its key), or why there is none.
type LayerResult = Result<(Digest, LayerReport)>;

/// Where a layer's report is cached, when the cache is on.
type CacheSlot<'a> = (&'a std::path::Path, CacheKey);

/// A layer job after [`Analyzer::start_job`]: done (analysed, cached, failed), or a plain
/// layer opened for a worker's lanes.
enum Started<'s> {
    Done(Box<LayerResult>),
    Plain(Box<dyn std::io::Read + Send + 's>, Option<CacheSlot<'s>>),
}

impl Analyzer {
    /// An analyzer with these options.
    pub fn new(opts: Options) -> Self {
        Analyzer { opts }
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// Analyse the inputs: files (tar, gzip/zstd tar), OCI layout directories, or `-`
    /// for standard input. Each unique layer is read and analysed once.
    pub fn analyze<S: AsRef<str>>(&self, inputs: &[S]) -> Result<ImageSet> {
        let (pool, names) = self.start(inputs)?;
        pool.install(|| self.analyze_in_pool(names))
    }

    /// The caller's thread pool and the inputs' names; no inputs is an error.
    fn start<S: AsRef<str>>(&self, inputs: &[S]) -> Result<(rayon::ThreadPool, Vec<String>)> {
        if inputs.is_empty() {
            return Err(Error::Options("no inputs given".into()));
        }
        let pool = crate::options::thread_pool(self.opts.threads)?;
        Ok((
            pool,
            inputs.iter().map(|s| s.as_ref().to_string()).collect(),
        ))
    }

    /// Analyse one input read from any [`Read`] in a single streaming pass, the way
    /// standard input and compressed archives are read: an uncompressed, gzip- or
    /// zstd-compressed `docker save` or OCI layout tarball. `name` is the input name
    /// every error and the result carry. Nothing is written anywhere; the reader is
    /// read to the end of the archive at most once.
    pub fn analyze_reader<R: Read + Send>(&self, name: &str, reader: R) -> Result<ImageSet> {
        let pool = crate::options::thread_pool(self.opts.threads)?;
        pool.install(|| {
            let opened = (|| {
                let store = source::scan_stream(name, Box::new(reader), &self.opts)?;
                let resolved = manifest::resolve(&store, &self.opts)?;
                Ok((store, resolved))
            })();
            self.analyze_opened(vec![name.to_string()], vec![opened])
        })
    }

    fn analyze_in_pool(&self, names: Vec<String>) -> Result<ImageSet> {
        let opened = self.open(&names);
        self.analyze_opened(names, opened)
    }

    /// Open inputs in parallel (compressed archives stream through one core each) and
    /// read their metadata.
    fn open(&self, names: &[String]) -> Vec<Result<(Store, manifest::Resolved)>> {
        let opts = &self.opts;
        names
            .par_iter()
            .map(|name| {
                let store = source::open_input(name, opts)?;
                let resolved = manifest::resolve(&store, opts)?;
                Ok((store, resolved))
            })
            .collect()
    }

    /// Analyse the inputs and build their report: [`Analyzer::analyze`] then
    /// [`crate::Report::build`], in one go. With [`Options::cache`], the report itself
    /// is kept too, keyed by everything it is made of except the layers' bytes (the
    /// inputs as named, every image's metadata, the sizes and promised digests of its
    /// layer blobs, the options, the layerlens version): the same set again is answered
    /// from its metadata, without reading a layer (the trust the layer cache asks for).
    pub fn analyze_report<S: AsRef<str>>(
        &self,
        inputs: &[S],
        report: &crate::ReportOptions,
    ) -> Result<crate::Report> {
        let (pool, names) = self.start(inputs)?;
        pool.install(|| {
            let opened = self.open(&names);
            let cache = self
                .opts
                .cache
                .as_deref()
                .filter(|_| self.opts.file_visitor.is_none());
            let key = match cache {
                Some(_) if opened.iter().all(|o| o.is_ok()) => {
                    Some(self.report_key(&names, &opened, report))
                }
                _ => None,
            };
            if let (Some(dir), Some(key)) = (cache, &key) {
                if let Some(r) = cache::load_report(dir, key) {
                    return Ok(r);
                }
            }
            let set = self.analyze_opened(names, opened)?;
            let r = crate::Report::build(&set, report)?;
            drop_aside(set);
            if let (Some(dir), Some(key)) = (cache, &key) {
                cache::store_report(dir, key, &r);
            }
            Ok(r)
        })
    }

    /// The report cache's key (see [`Analyzer::analyze_report`]).
    fn report_key(
        &self,
        names: &[String],
        opened: &[Result<(Store, manifest::Resolved)>],
        report: &crate::ReportOptions,
    ) -> String {
        use sha2::{Digest as _, Sha256};
        let o = &self.opts;
        let mut h = Sha256::new();
        h.update(
            format!(
                "{} {}\n{names:?}\n{:?} {:?} {:?} {:?} {:?} {}\n{:?} {:?} {}\n",
                env!("CARGO_PKG_NAME"),
                env!("CARGO_PKG_VERSION"),
                o.verify,
                o.platform,
                o.limits,
                o.keep_files,
                o.capture_metadata,
                o.include_intermediate,
                report.base,
                report.in_use,
                report.top_dirs,
            )
            .as_bytes(),
        );
        for (store, resolved) in opened.iter().flatten() {
            h.update(format!("{resolved:?}\n").as_bytes());
            for img in &resolved.images {
                for l in &img.layers {
                    h.update(format!("{:?}\n", store.len(&l.member).ok()).as_bytes());
                }
            }
        }
        hex::encode(h.finalize())
    }

    fn analyze_opened(
        &self,
        names: Vec<String>,
        opened: Vec<Result<(Store, manifest::Resolved)>>,
    ) -> Result<ImageSet> {
        let opts = &self.opts;
        let mut stores = Vec::with_capacity(opened.len());
        let mut resolved = Vec::with_capacity(opened.len());
        for r in opened {
            let (s, res) = r?;
            stores.push(s);
            resolved.push(res);
        }

        // Plan: each unique layer once, from the first input that holds it.
        let mut jobs: Vec<Job> = Vec::new();
        let mut planned: HashMap<Digest, usize> = HashMap::new();
        for (si, res) in resolved.iter().enumerate() {
            for img in &res.images {
                for l in &img.layers {
                    let key = layer_key(&stores[si], l);
                    if planned.contains_key(&key) {
                        continue;
                    }
                    planned.insert(key.clone(), jobs.len());
                    let size = stores[si].len(&l.member).unwrap_or(0);
                    jobs.push(Job {
                        key,
                        store: si,
                        member: l.member.clone(),
                        size,
                        stored_digest: l.stored_digest.clone(),
                    });
                }
            }
        }
        // Largest first, so one big layer does not start last and run alone.
        jobs.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.key.cmp(&b.key)));
        let total_bytes: u64 = jobs.iter().map(|j| j.size).sum();
        opts.report(ProgressEvent::Planned {
            layers: jobs.len() as u64,
            bytes: total_bytes,
        });

        let results = self.run_jobs(&jobs, &stores, total_bytes);
        let analysed_from: HashMap<Digest, (usize, String)> = jobs
            .iter()
            .map(|j| (j.key.clone(), (j.store, j.member.clone())))
            .collect();
        let mut by_key: HashMap<Digest, LayerReport> = HashMap::with_capacity(results.len());
        for r in results {
            let (k, rep) = r?;
            by_key.insert(k, rep);
        }
        if opts.interrupted() {
            return Err(Error::Interrupted);
        }

        // Verify and assemble.
        let mut images: BTreeMap<Digest, Image> = BTreeMap::new();
        let mut layers: BTreeMap<Digest, LayerReport> = BTreeMap::new();
        let mut notes = Vec::new();
        for (si, res) in resolved.into_iter().enumerate() {
            let store = &stores[si];
            notes.extend(res.notes);
            for spec in res.images {
                let image =
                    self.assemble(si, store, &spec, &mut by_key, &analysed_from, &mut layers)?;
                match images.get_mut(&image.id) {
                    Some(existing) => existing.absorb(image),
                    None => {
                        images.insert(image.id.clone(), image);
                    }
                }
            }
        }
        // What the layer walks noticed (repeated paths, dangling hardlinks, capture
        // limits) reaches the report once per layer.
        for (diff_id, layer) in &layers {
            for n in &layer.notes {
                notes.push(format!("layer {}: {n}", diff_id.short()));
            }
        }
        Ok(ImageSet {
            images: images.into_values().collect(),
            layers,
            notes,
            inputs: names,
        })
    }

    /// Analyse every planned layer on the pool's threads, largest first. Each worker
    /// reads up to two plain layers at once ([`layer::Lanes`]: their sha256 side by side,
    /// each walked while its chunk is in cache) and runs any other layer (compressed,
    /// cached, split across cores, or already analysed while the input was scanned) on
    /// its own as it comes. Results come back in job order.
    fn run_jobs(
        &self,
        jobs: &[Job],
        stores: &[Store],
        total_bytes: u64,
    ) -> Vec<Result<(Digest, LayerReport)>> {
        use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
        let opts = &self.opts;
        let pairing = opts.verify == Verify::Full && layer::pairing_pays();
        let next = AtomicUsize::new(0);
        let workers = rayon::current_num_threads().clamp(1, jobs.len().max(1));
        // Bytes not read yet, over every job: what tells a worker to run a big layer alone.
        let left = AtomicU64::new(total_bytes);
        let done_with = |n: u64| {
            let _ = left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| {
                Some(l.saturating_sub(n))
            });
        };
        let done: Vec<Vec<(usize, LayerResult)>> = (0..workers)
            .into_par_iter()
            .map(|_| {
                let mut out = Vec::new();
                let mut lanes: layer::Lanes<'_, '_, (usize, Option<CacheSlot<'_>>)> =
                    layer::Lanes::new(opts);
                loop {
                    while lanes.has_room() {
                        if let Some(lone) = lanes.lone_left() {
                            if runs_alone(lone, left.load(Ordering::Relaxed), workers) {
                                break;
                            }
                        }
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(i) else { break };
                        match self.start_job(job, &stores[job.store], total_bytes, pairing) {
                            Started::Done(r) => {
                                done_with(job.size);
                                out.push((i, *r))
                            }
                            Started::Plain(reader, cached) => {
                                let store = &stores[job.store];
                                let visitor = opts.file_visitor.clone();
                                let (input, member) = (store.input.clone(), job.member.clone());
                                let visit = Box::new(move |rec: &FileRecord| {
                                    if let Some(v) = &visitor {
                                        v(&input, &member, rec);
                                    }
                                });
                                if let Err(e) = lanes.add((i, cached), reader, job.size, visit) {
                                    let at = store.at(&job.member).with_layer(job.key.as_str());
                                    out.push((i, Err(Error::from_io(at, e))));
                                }
                            }
                        }
                    }
                    if lanes.is_empty() {
                        return out;
                    }
                    let (ended, read) = lanes.step();
                    done_with(read);
                    for ((i, cached), r) in ended {
                        let job = &jobs[i];
                        let at = stores[job.store]
                            .at(&job.member)
                            .with_layer(job.key.as_str());
                        out.push((
                            i,
                            self.end_job(job, r.map_err(|e| Error::from_io(at, e)), cached),
                        ));
                    }
                }
            })
            .collect();
        let mut all: Vec<(usize, LayerResult)> = done.into_iter().flatten().collect();
        all.sort_unstable_by_key(|(i, _)| *i);
        debug_assert_eq!(all.len(), jobs.len());
        all.into_iter().map(|(_, r)| r).collect()
    }

    /// Run one layer job to its end, unless it is a plain layer that `pairing` lets a
    /// worker's [`layer::Lanes`] take: then hand back its open reader.
    fn start_job<'s>(
        &'s self,
        job: &Job,
        store: &'s Store,
        total_bytes: u64,
        pairing: bool,
    ) -> Started<'s> {
        let opts = &self.opts;
        // Every layer error names the input, the member and the layer.
        let at = store.at(&job.member).with_layer(job.key.as_str());
        let run = || -> Result<Started<'s>> {
            if let Member::Analyzed(result) = store.resolve(&job.member)?.1 {
                return Ok(Started::Done(Box::new(match result.as_ref() {
                    Ok(r) => Ok((job.key.clone(), r.clone())),
                    Err(e) => Err(Error::clone(e).within(&at)),
                })));
            }
            // A visitor must see every record as it streams: no cache then.
            let cache_dir = opts
                .cache
                .as_deref()
                .filter(|_| opts.file_visitor.is_none());
            let cached = cache_dir.and_then(|dir| {
                let key = CacheKey::new(&job.key, job.stored_digest.as_ref(), job.size, opts)?;
                Some((dir, key))
            });
            if let Some((dir, key)) = &cached {
                if let Some(r) = cache::load(dir, key) {
                    opts.report(ProgressEvent::Bytes(job.size));
                    opts.report(ProgressEvent::LayerDone);
                    return Ok(Started::Done(Box::new(Ok((job.key.clone(), r)))));
                }
            }
            let r = if split_layer(store, job, total_bytes, opts)? {
                layer::analyze_uncompressed_split(
                    store.open(&job.member)?,
                    store.open(&job.member)?,
                    opts,
                    true,
                )
            } else if pairing && store.compression(&job.member)? == Compression::None {
                return Ok(Started::Plain(store.open(&job.member)?, cached));
            } else {
                let reader = store.open(&job.member)?;
                let mut visit = opts.visit_fn(&store.input, &job.member);
                layer::analyze_layer_inner(reader, opts, &mut visit, true)
            }
            .map_err(|e| Error::from_io(at.clone(), e));
            Ok(Started::Done(Box::new(self.end_job(job, r, cached))))
        };
        run().unwrap_or_else(|e| Started::Done(Box::new(Err(e))))
    }

    /// What follows a layer's analysis: the report cached (when asked) and the progress
    /// event.
    fn end_job(
        &self,
        job: &Job,
        r: Result<LayerReport>,
        cached: Option<CacheSlot<'_>>,
    ) -> LayerResult {
        let r = r?;
        if let Some((dir, key)) = &cached {
            cache::store(dir, key, &r);
        }
        self.opts.report(ProgressEvent::LayerDone);
        Ok((job.key.clone(), r))
    }

    fn assemble(
        &self,
        store_index: usize,
        store: &Store,
        spec: &ImageSpec,
        by_key: &mut HashMap<Digest, LayerReport>,
        analysed_from: &HashMap<Digest, (usize, String)>,
        layers: &mut BTreeMap<Digest, LayerReport>,
    ) -> Result<Image> {
        let image_name = spec
            .refs
            .iter()
            .next()
            .cloned()
            .unwrap_or_else(|| spec.id.to_string());
        let history = layer_history(spec);
        let mut out_layers = Vec::with_capacity(spec.layers.len());
        for (i, l) in spec.layers.iter().enumerate() {
            let key = layer_key(store, l);
            let report = by_key
                .get_mut(&key)
                .expect("every planned layer has a result");
            let at = Location::new(&store.input)
                .with_member(&l.member)
                .with_image(&image_name)
                .with_layer(key.as_str());
            let diff_id = match (&l.diff_id, self.opts.verify, report.verified) {
                (Some(expected), Verify::Full, true) => {
                    if report.diff_id != *expected {
                        return Err(Error::DigestMismatch {
                            at,
                            subject: DigestSubject::DiffId,
                            expected: expected.to_string(),
                            found: report.diff_id.to_string(),
                        });
                    }
                    expected.clone()
                }
                (Some(expected), _, _) => expected.clone(),
                (None, _, true) => report.diff_id.clone(),
                // Trust mode and no diff_id anywhere (pre-1.10): key by the v1 id.
                (None, _, false) => key.clone(),
            };
            // The stored blob was read only if this copy is the one that was analysed;
            // other copies of the same diff_id are not read again.
            let this_copy = analysed_from
                .get(&key)
                .is_some_and(|(s, m)| *s == store_index && *m == l.member);
            if self.opts.verify == Verify::Full && this_copy {
                if let (Some(expected), Some(found)) = (&l.stored_digest, &report.stored_digest) {
                    if expected.algorithm() == "sha256" && expected != found {
                        return Err(Error::DigestMismatch {
                            at,
                            subject: DigestSubject::StoredBlob,
                            expected: expected.to_string(),
                            found: found.to_string(),
                        });
                    }
                }
                if let Some(expected) = l.stored_size {
                    if expected != report.stored_size {
                        return Err(Error::SizeMismatch {
                            at,
                            expected,
                            found: report.stored_size,
                        });
                    }
                }
            }
            if !layers.contains_key(&diff_id) {
                // Move the file records and the captured package metadata rather than
                // copy them: they are most of the memory, and one key always yields one
                // diff_id, so they move once.
                let files = std::mem::take(&mut report.files);
                let captured = std::mem::take(&mut report.captured);
                let mut r = LayerReport {
                    files,
                    captured,
                    ..report.clone()
                };
                r.diff_id = diff_id.clone();
                if !r.verified && r.stored_digest.is_none() {
                    r.stored_digest = l.stored_digest.clone();
                }
                layers.insert(diff_id.clone(), r);
            }
            let (created_by, created, comment) = match &l.v1 {
                Some((_, cmd)) => (
                    cmd.as_deref()
                        .map(crate::forensics::findings::redact_command),
                    None,
                    None,
                ),
                None => history.get(i).cloned().unwrap_or_default(),
            };
            let (stored_digest, stored_size, compression) = if this_copy {
                (
                    report
                        .stored_digest
                        .clone()
                        .or_else(|| l.stored_digest.clone()),
                    report.stored_size,
                    report.compression,
                )
            } else {
                let compression = store.compression(&l.member)?;
                // An uncompressed copy of a verified layer is stored as its diff_id: say
                // so, as the analysed copy would, so that the result does not depend on
                // which copy was read (partial runs merge to the same report).
                let stored_digest = l.stored_digest.clone().or_else(|| {
                    (compression == Compression::None && report.verified).then(|| diff_id.clone())
                });
                (stored_digest, store.len(&l.member)?, compression)
            };
            out_layers.push(ImageLayer {
                diff_id,
                media_type: l.media_type.clone(),
                stored_digest,
                stored_size,
                compression,
                created_by,
                created,
                comment,
                member: l.member.clone(),
                v1_id: l.v1.as_ref().map(|(id, _)| id.clone()),
                store_size: l.store_size,
            });
        }
        Ok(Image {
            id: spec.id.clone(),
            refs: spec.refs.iter().cloned().collect(),
            sources: vec![store.input.clone()],
            format: spec.format,
            os: spec.config.os.clone(),
            architecture: spec.config.architecture.clone(),
            variant: spec.config.variant.clone(),
            created: spec.config.created.clone(),
            manifest_digest: spec.manifest_digest.clone(),
            config_findings: crate::forensics::findings::scan_config(
                &spec.config,
                out_layers.len(),
            ),
            layers: out_layers,
            store: spec.store.clone(),
        })
    }
}

type HistoryFields = (Option<String>, Option<String>, Option<String>);

/// Map history to layers: entries with `empty_layer` made no layer; the rest map to
/// layers in order. When the counts disagree the mapping is unknowable: none is given.
/// Credentials in a command are redacted (`findings::redact_command`): the report never
/// prints them.
fn layer_history(spec: &ImageSpec) -> Vec<HistoryFields> {
    let Some(history) = &spec.config.history else {
        return Vec::new();
    };
    let non_empty: Vec<HistoryFields> = history
        .iter()
        .filter(|h| !h.empty_layer.unwrap_or(false))
        .map(|h| {
            (
                h.created_by
                    .as_deref()
                    .map(crate::forensics::findings::redact_command),
                h.created.clone(),
                h.comment.clone(),
            )
        })
        .collect();
    if non_empty.len() == spec.layers.len() {
        non_empty
    } else {
        Vec::new()
    }
}

/// How much faster a worker reads with two layers in its lanes than with one: the pair
/// kernel's gain on sha256 (about 1.5×), which is most of a plain layer's cost. Tried on
/// the real 16-image docker save (medians of 7, end to end): 1.0 → 1.10 s, 1.25 →
/// 1.06 s, 1.5 → 1.02 s, 2 → 1.03 s, against 1.12 s with no lone runs; the generated
/// fleets, whose largest layers are small shares of the set, did not move.
const PAIR_GAIN: f64 = 1.5;

/// Whether a worker whose only layer has `lone` bytes still to read should go on with it
/// alone rather than take another layer beside it: when the other workers, at the pair
/// speed, would run out of bytes before it ends that layer at the lone speed. Paired,
/// the big layer moves at half the worker's speed, and a worker that paired a big base
/// layer to the end read twice its size while the others sat idle (measured on a real
/// docker save with a 756 MB base: 31 % of 2.45 GB).
fn runs_alone(lone: u64, left: u64, workers: usize) -> bool {
    let others = (workers.saturating_sub(1)) as f64 * PAIR_GAIN;
    lone as f64 * (others + 1.0) >= left as f64
}

/// Layers at least this large, uncompressed and verified, are hashed and walked on two
/// cores at once (see `layer::analyze_uncompressed_split`).
const SPLIT_MIN_BYTES: u64 = 16 << 20;

/// Whether to read this layer twice in parallel: only when it is big, verified, stored
/// uncompressed in a seekable input, and it would otherwise be the critical path: more
/// than its share (total ÷ workers) of the bytes. Below that, layers already keep every
/// worker busy and reading the bytes twice would only cost CPU (measured: same wall
/// time, +15 % CPU on the benchmark fleet).
fn split_layer(store: &Store, job: &Job, total: u64, opts: &Options) -> Result<bool> {
    let workers = rayon::current_num_threads() as u64;
    Ok(opts.verify == Verify::Full
        && job.size >= SPLIT_MIN_BYTES
        && workers > 1
        && job.size.saturating_mul(workers) > total
        && store.compression(&job.member)? == Compression::None)
}

/// The key a layer is deduplicated by: its promised diff_id, or for pre-1.10 layers
/// (no diff_id) the input and member that hold it.
fn layer_key(store: &Store, l: &manifest::LayerSpec) -> Digest {
    match &l.diff_id {
        Some(d) => d.clone(),
        None => {
            let v1 = l.v1.as_ref().map(|(id, _)| id.as_str()).unwrap_or("");
            Digest::parse(&format!("v1:{v1}")).unwrap_or_else(|| {
                Digest::sha256_of(format!("{}\0{}", store.input, l.member).as_bytes())
            })
        }
    }
}

/// Analyse inputs with default options: every layer verified, records kept.
pub fn analyze<S: AsRef<str>>(inputs: &[S]) -> Result<ImageSet> {
    Analyzer::new(Options::default()).analyze(inputs)
}

/// Run `f` on every job on all threads of the current rayon pool, each thread taking the next
/// job in order as soon as it is free: with jobs sorted largest first, this is the
/// classic longest-processing-time schedule, so the big layers start first and the
/// small ones fill the gaps at the end. (A plain `par_iter` hands each thread a
/// contiguous range up front: one thread got all the big layers of a set and worked
/// alone for the last third of the run.) Results come back in job order. The layer pass
/// itself runs this schedule with two layers per thread (`Analyzer::run_jobs`); the
/// benches' ceilings use this one.
#[cfg(feature = "internals")]
pub fn largest_first<J: Sync, R: Send>(jobs: &[J], f: impl Fn(&J) -> R + Sync) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let workers = rayon::current_num_threads().clamp(1, jobs.len().max(1));
    let done: Vec<Vec<(usize, R)>> = (0..workers)
        .into_par_iter()
        .map(|_| {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else {
                    return out;
                };
                out.push((i, f(job)));
            }
        })
        .collect();
    let mut all: Vec<(usize, R)> = done.into_iter().flatten().collect();
    all.sort_unstable_by_key(|(i, _)| *i);
    debug_assert_eq!(all.len(), jobs.len());
    all.into_iter().map(|(_, r)| r).collect()
}

/// Free `value` on a thread of its own: a set's records are one allocation per path
/// (tens of thousands), and the caller has the report to write meanwhile. Freed here
/// when no thread can be started.
fn drop_aside<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("layerlens-free".into())
        .spawn(move || drop(value));
}

#[cfg(test)]
mod tests {
    use super::runs_alone;

    #[test]
    fn a_big_layer_runs_alone_once_the_rest_would_end_before_it() {
        // The real docker save: a 756 MB base among 2,454 MB, two workers. At the start
        // the base takes a partner; by the time 380 MB of it are left with 950 MB in all,
        // the other worker would finish the rest (570 MB paired) while the base ran alone
        // (380 MB at two thirds of the speed), so it goes on alone.
        assert!(!runs_alone(756, 2454, 2));
        assert!(!runs_alone(379, 950, 2));
        assert!(runs_alone(380, 950, 2));
        // One worker pairs until nothing else is left.
        assert!(!runs_alone(500, 501, 1));
        assert!(runs_alone(500, 500, 1));
        // More workers share the rest sooner.
        assert!(runs_alone(200, 950, 4));
        assert!(!runs_alone(100, 950, 4));
    }
}

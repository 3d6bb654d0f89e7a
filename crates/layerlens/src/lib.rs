//! # layerlens
//!
//! Explains, offline and fast, where the bytes of container images go, straight from
//! `docker save` tarballs and OCI layouts, with no Docker daemon.
//!
//! Every layer is read once: its uncompressed stream is sha256-hashed and checked
//! against the config's diff_id, its stored blob against the descriptor, and every tar
//! entry is recorded (path, kind, size, mode, owner, time, link target, content digest).
//! Each unique layer is analysed once however many images or inputs hold it, in
//! parallel across layers.
//!
//! ```no_run
//! use layerlens::{Analyzer, Options, Report};
//!
//! let set = Analyzer::new(Options::default()).analyze(&["app.tar", "oci-dir/"])?;
//! let report = Report::new(&set);
//! for image in &report.images {
//!     println!("{:?}: {} bytes, {} unique", image.refs, image.size, image.unique_size);
//! }
//! # Ok::<(), layerlens::Error>(())
//! ```
//!
//! To walk the files of one layer without keeping them, stream it through
//! [`analyze_layer`] with a visitor:
//!
//! ```
//! use layerlens::{analyze_layer, EntryKind, KeepFiles, Options};
//!
//! # let mut builder = tar::Builder::new(Vec::new());
//! # let mut h = tar::Header::new_gnu();
//! # h.set_size(5); h.set_mode(0o644); h.set_cksum();
//! # builder.append_data(&mut h, "etc/motd", &b"hello"[..]).unwrap();
//! # let layer_tar: Vec<u8> = builder.into_inner().unwrap();
//! let opts = Options::default().keep_files(KeepFiles::No);
//! let mut regular = 0;
//! let report = analyze_layer(&layer_tar[..], &opts, &mut |rec| {
//!     if rec.kind == EntryKind::Regular { regular += rec.size; }
//! })?;
//! assert_eq!(regular, 5);
//! assert_eq!(report.content_size, 5);
//! assert_eq!(report.tar_size, layer_tar.len() as u64);
//! # Ok::<(), layerlens::Error>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod attribution;
mod digest;
mod error;
pub mod forensics;
pub mod model;
mod options;
pub mod present;
mod read;
pub mod report;
#[cfg(test)]
mod testutil;

pub use digest::{ContentDigest, Digest};
pub use error::{DigestSubject, Error, Location, Result};
pub use options::{
    CaptureMetadata, Detect, FileVisitor, KeepFiles, Limits, Options, Platform, ProgressEvent,
    ProgressFn, Verify,
};
pub use read::analyzer::{analyze, Analyzer, Image, ImageLayer, ImageSet};
pub use read::detect::{Detected, FileFinding, FilePackage, RpmDatabase};
pub use read::layer::{
    analyze_layer, CapturedFile, Compression, EntryCounts, EntryKind, FileRecord, LayerReport,
};
pub use read::manifest::{ArchiveFormat, History, ImageConfig, RootFs};
pub use read::partial::PARTIAL_SCHEMA;
pub use read::store::{ImageState, StoreImage};
pub use report::recommend::AttributionOptions;

/// Helpers for this workspace's benches and test tools (`internals` feature): not part
/// of the library's API, and free to change.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals {
    pub use crate::read::analyzer::largest_first;
    pub use crate::read::layer::split_parent;
}
pub use report::{
    DirSize, ImageReport, LayerEntry, LayerPackage, Report, ReportOptions, SetDuplicates, Totals,
    WasteEntry, SCHEMA, TOP_N,
};

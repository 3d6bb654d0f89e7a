//! # layerlens-testtools
//!
//! Everything layerlens's tests, benches and fuzz targets build, in one place (never
//! published, never compiled into the library):
//!
//! - [`bench`]: medians, ceilings (sha256 on every core) and peak memory for the benches.
//! - [`archive`]: image archives in memory or streamed — tar members ([`archive::Outer`],
//!   [`archive::TarWriter`]), layer tars ([`archive::layer_tar`],
//!   [`archive::LayerWriter`]), layer blobs plain or compressed ([`archive::Blob`]), and
//!   whole image sets in the Docker legacy, Docker 25+ and OCI layouts
//!   ([`archive::ImageArchive`]).
//! - [`raw`]: tar headers written byte for byte, for the hostile corpus.
//! - [`io`]: short and counting readers, temporary directories.
//! - [`run`]: analysing built bytes both ways a file is read; the small limits of fuzzing.
//! - [`fixtures`]: where the committed fixtures and the public samples are.
//! - [`synth`]: the deterministic synthetic image-set generator behind
//!   `layerlens generate` and the benches.
//!
//! ```
//! use layerlens_testtools::archive::{docker_archive_of, layer_tar};
//! use layerlens_testtools::run::both_ways;
//!
//! let bytes = docker_archive_of(&layer_tar(&[("etc/motd", b"hello")]));
//! let (indexed, streamed, _path) = both_ways("motd", &bytes, &layerlens::Options::default());
//! assert_eq!(indexed.unwrap().images.len(), 1);
//! assert_eq!(streamed.unwrap().images[0].refs, ["hostile/test:1"]);
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod archive;
pub mod bench;
pub mod fixtures;
pub mod io;
pub mod raw;
pub mod run;
pub mod services;
pub mod synth;

pub use fixtures::{fixture, public_dir, repo_root};

//! Partial results: an analysed [`ImageSet`] written out, and merged with others into the
//! set (and so the [`Report`](crate::Report)) that one run over all the inputs gives.
//!
//! Per-layer results are keyed by diff_id, so they are content-addressed: several
//! machines can each analyse some of the inputs, write a partial, and a final step
//! merges the partials in input order. Merging is associative (merge partials of
//! partials freely), and merging partials made in input order gives byte-identical
//! JSON to the single run. See `docs/distributed.md`.
//!
//! ```no_run
//! use layerlens::{Analyzer, ImageSet, Options, Report};
//!
//! let a = Analyzer::new(Options::default()).analyze(&["a.tar"])?;
//! let b = Analyzer::new(Options::default()).analyze(&["b.tar"])?;
//! std::fs::write("a.json", a.to_partial_json())?;
//! let a = ImageSet::from_partial_json(&std::fs::read("a.json")?)?;
//! let merged = ImageSet::merge([a, b]);
//! println!("{}", Report::new(&merged).to_json());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Location, Result};
use crate::read::analyzer::{Image, ImageSet};

/// The schema identifier written in every partial result.
pub const PARTIAL_SCHEMA: &str = "layerlens-partial/v1";

#[derive(Serialize, Deserialize)]
struct PartialFile {
    schema: String,
    #[serde(flatten)]
    set: ImageSet,
}

impl ImageSet {
    /// This set as a partial result (JSON, schema [`PARTIAL_SCHEMA`]), for
    /// [`ImageSet::from_partial_json`] and [`ImageSet::merge`].
    pub fn to_partial_json(&self) -> String {
        let mut out = Vec::new();
        self.write_partial_json(&mut out)
            .expect("an image set always serialises");
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    /// Write this set as a partial result ([`ImageSet::to_partial_json`]) to `w`, as it
    /// is serialised: no copy of the set, no string of the whole document.
    pub fn write_partial_json<W: std::io::Write>(&self, mut w: W) -> std::io::Result<()> {
        #[derive(Serialize)]
        struct PartialRef<'a> {
            schema: &'a str,
            #[serde(flatten)]
            set: &'a ImageSet,
        }
        serde_json::to_writer(
            &mut w,
            &PartialRef {
                schema: PARTIAL_SCHEMA,
                set: self,
            },
        )?;
        w.write_all(b"\n")
    }

    /// Read a partial result written by [`ImageSet::to_partial_json`].
    pub fn from_partial_json(bytes: &[u8]) -> Result<ImageSet> {
        let at = Location::new("partial result");
        #[derive(Deserialize)]
        struct Head {
            schema: Option<String>,
        }
        let head: Head = serde_json::from_slice(bytes).map_err(|e| Error::json(at.clone(), e))?;
        if head.schema.as_deref() != Some(PARTIAL_SCHEMA) {
            return Err(Error::Malformed {
                at,
                reason: format!(
                    "expected a partial result of schema {PARTIAL_SCHEMA:?}, found {:?}",
                    head.schema
                ),
            });
        }
        let file: PartialFile = serde_json::from_slice(bytes).map_err(|e| Error::json(at, e))?;
        Ok(file.set)
    }

    /// Merge sets analysed separately, in input order, into the set one run over all
    /// their inputs would give: inputs and notes in order; images by id (refs united,
    /// sources in order of appearance, everything else from the first set that has the
    /// image; an image store's facts merged); layers by diff_id, the first set's report
    /// kept.
    pub fn merge<I: IntoIterator<Item = ImageSet>>(parts: I) -> ImageSet {
        let mut images: BTreeMap<crate::Digest, Image> = BTreeMap::new();
        let mut layers = BTreeMap::new();
        let mut notes = Vec::new();
        let mut inputs = Vec::new();
        for part in parts {
            inputs.extend(part.inputs);
            notes.extend(part.notes);
            for (diff_id, report) in part.layers {
                layers.entry(diff_id).or_insert(report);
            }
            for image in part.images {
                match images.get_mut(&image.id) {
                    Some(existing) => existing.absorb(image),
                    None => {
                        images.insert(image.id.clone(), image);
                    }
                }
            }
        }
        ImageSet {
            images: images.into_values().collect(),
            layers,
            notes,
            inputs,
        }
    }
}

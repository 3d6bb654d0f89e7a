//! The one error type of the library.
//!
//! Every error that can come from reading an input says where it happened: the input
//! (a file, a directory or standard input), the archive member inside it, and, where
//! known, the layer and the image. [`Error::is_integrity`] separates integrity failures
//! (a digest or size that does not match what the metadata promised) from everything
//! else, so a command-line tool can map them to different exit codes.

use std::fmt;
use std::io;
use std::sync::Arc;

/// Where in the inputs an error happened: the input, and where known the archive
/// member, the layer and the image.
///
/// Boxed inside, so that errors stay one pointer wide however much they say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location(Box<LocationParts>);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct LocationParts {
    input: String,
    member: Option<String>,
    layer: Option<String>,
    image: Option<String>,
}

impl Location {
    /// A location that names the input as the user gave it (`image.tar`, `oci-dir/`,
    /// `-` for standard input).
    pub fn new(input: impl Into<String>) -> Self {
        Location(Box::new(LocationParts {
            input: input.into(),
            ..LocationParts::default()
        }))
    }

    /// The same location with a member of the input (`blobs/sha256/…`, `abc/layer.tar`).
    pub fn with_member(mut self, member: impl Into<String>) -> Self {
        self.0.member = Some(member.into());
        self
    }

    /// The same location with a layer (its diff_id when known).
    pub fn with_layer(mut self, layer: impl Into<String>) -> Self {
        self.0.layer = Some(layer.into());
        self
    }

    /// The same location with an image (its first ref, or its id).
    pub fn with_image(mut self, image: impl Into<String>) -> Self {
        self.0.image = Some(image.into());
        self
    }

    /// The input.
    pub fn input(&self) -> &str {
        &self.0.input
    }

    /// The archive member, if known.
    pub fn member(&self) -> Option<&str> {
        self.0.member.as_deref()
    }

    /// The layer, if known.
    pub fn layer(&self) -> Option<&str> {
        self.0.layer.as_deref()
    }

    /// The image, if known.
    pub fn image(&self) -> Option<&str> {
        self.0.image.as_deref()
    }

    /// Fill in the parts that are still unknown from `outer`.
    fn fill_from(&mut self, outer: &Location) {
        let (me, outer) = (&mut *self.0, &*outer.0);
        if me.input.is_empty() {
            me.input = outer.input.clone();
        }
        for (mine, theirs) in [
            (&mut me.member, &outer.member),
            (&mut me.layer, &outer.layer),
            (&mut me.image, &outer.image),
        ] {
            if mine.is_none() {
                mine.clone_from(theirs);
            }
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &*self.0;
        f.write_str(if p.input.is_empty() {
            "<input>"
        } else {
            &p.input
        })?;
        if let Some(member) = &p.member {
            write!(f, ", member {member:?}")?;
        }
        if let Some(layer) = &p.layer {
            write!(f, ", layer {layer}")?;
        }
        if let Some(image) = &p.image {
            write!(f, ", image {image}")?;
        }
        Ok(())
    }
}

/// What a digest that did not match was computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DigestSubject {
    /// The uncompressed layer stream, checked against the config's `rootfs.diff_ids`.
    DiffId,
    /// The stored (possibly compressed) blob, checked against its descriptor or file name.
    StoredBlob,
    /// An image config, checked against its descriptor or file name.
    Config,
    /// A manifest or index blob, checked against its descriptor.
    Manifest,
}

impl fmt::Display for DigestSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DigestSubject::DiffId => "layer diff_id",
            DigestSubject::StoredBlob => "stored blob digest",
            DigestSubject::Config => "config digest",
            DigestSubject::Manifest => "manifest digest",
        })
    }
}

/// Everything that can go wrong in layerlens.
///
/// `Clone` (sources are shared behind [`Arc`]), so that an error met once while
/// reading a layer several images share keeps its variant wherever it is reported.
/// Like every well-behaved error, the message does not repeat its source: print the
/// chain (`{:#}` with anyhow) to see it.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading failed at the operating-system level.
    #[error("{at}: read error")]
    Io {
        /// Where.
        at: Location,
        /// The underlying error.
        #[source]
        source: Arc<io::Error>,
    },
    /// A digest computed from the bytes differs from the one the metadata promised.
    #[error("{at}: {subject} mismatch: expected {expected}, found {found}")]
    DigestMismatch {
        /// Where.
        at: Location,
        /// What the digest covers.
        subject: DigestSubject,
        /// The digest the metadata promised.
        expected: String,
        /// The digest of the bytes actually read.
        found: String,
    },
    /// A blob's size differs from its descriptor's size.
    #[error("{at}: size mismatch: descriptor says {expected} bytes, found {found}")]
    SizeMismatch {
        /// Where.
        at: Location,
        /// The size the descriptor promised.
        expected: u64,
        /// The size actually read.
        found: u64,
    },
    /// The bytes are not what the format requires (a broken tar header, a truncated stream…).
    #[error("{at}: malformed: {reason}")]
    Malformed {
        /// Where.
        at: Location,
        /// What is wrong, in words.
        reason: String,
    },
    /// A JSON document (manifest, index, config) could not be parsed.
    #[error("{at}: invalid JSON")]
    Json {
        /// Where.
        at: Location,
        /// The parser's error.
        #[source]
        source: Arc<serde_json::Error>,
    },
    /// A tar extension member (pax records, a GNU long name) that Go's `archive/tar`,
    /// which Docker loads images with, rejects: tar readers disagree on what it means.
    #[error("{at}: malformed extended header{}: {reason}", of_entry(.entry.as_deref()))]
    ExtendedHeader {
        /// Where: the input and the member (in the outer archive) or the layer blob.
        at: Location,
        /// The entry of the layer the header belongs to (absent in the outer archive,
        /// where the member is that entry).
        entry: Option<String>,
        /// What is wrong, in words.
        reason: String,
    },
    /// The input is an image archive whose metadata lists no image at all.
    #[error("{at}: no image in the input: {reason}")]
    NoImage {
        /// Where.
        at: Location,
        /// Which metadata lists nothing.
        reason: String,
    },
    /// Metadata names a member the input does not contain.
    #[error("{at}: refers to {missing:?}, which the input does not contain")]
    MissingMember {
        /// Where the reference was found.
        at: Location,
        /// The member that is missing.
        missing: String,
    },
    /// The input is not any image archive layout layerlens knows.
    #[error("{at}: not an image archive: {reason}")]
    UnknownFormat {
        /// Where.
        at: Location,
        /// Why it was not recognised.
        reason: String,
    },
    /// A configured resource limit was reached.
    #[error("{at}: limit exceeded: {limit} (at most {max})")]
    LimitExceeded {
        /// Where.
        at: Location,
        /// Which limit (the name of the [`crate::Limits`] field).
        limit: &'static str,
        /// The configured maximum.
        max: u64,
    },
    /// The caller's options are invalid (a bad `--platform`, no inputs…).
    #[error("invalid options: {0}")]
    Options(String),
    /// The interrupt flag was raised.
    #[error("interrupted")]
    Interrupted,
}

impl Error {
    /// An [`Error::Io`] at `at`.
    pub fn io(at: Location, source: io::Error) -> Self {
        Error::Io {
            at,
            source: Arc::new(source),
        }
    }

    /// An [`Error::Json`] at `at`.
    pub fn json(at: Location, source: serde_json::Error) -> Self {
        Error::Json {
            at,
            source: Arc::new(source),
        }
    }

    /// True for integrity failures: digests or sizes that do not match the metadata.
    /// A command-line tool exits 1 for these and 2 for every other error.
    pub fn is_integrity(&self) -> bool {
        matches!(
            self,
            Error::DigestMismatch { .. } | Error::SizeMismatch { .. }
        )
    }

    /// The location the error names, if any.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Error::Io { at, .. }
            | Error::DigestMismatch { at, .. }
            | Error::SizeMismatch { at, .. }
            | Error::Malformed { at, .. }
            | Error::ExtendedHeader { at, .. }
            | Error::NoImage { at, .. }
            | Error::Json { at, .. }
            | Error::MissingMember { at, .. }
            | Error::UnknownFormat { at, .. }
            | Error::LimitExceeded { at, .. } => Some(at),
            Error::Options(_) | Error::Interrupted => None,
        }
    }

    pub(crate) fn location_mut(&mut self) -> Option<&mut Location> {
        match self {
            Error::Io { at, .. }
            | Error::DigestMismatch { at, .. }
            | Error::SizeMismatch { at, .. }
            | Error::Malformed { at, .. }
            | Error::ExtendedHeader { at, .. }
            | Error::NoImage { at, .. }
            | Error::Json { at, .. }
            | Error::MissingMember { at, .. }
            | Error::UnknownFormat { at, .. }
            | Error::LimitExceeded { at, .. } => Some(at),
            Error::Options(_) | Error::Interrupted => None,
        }
    }

    /// Fill in the parts of the location that are still unknown.
    pub(crate) fn within(mut self, outer: &Location) -> Self {
        if let Some(at) = self.location_mut() {
            at.fill_from(outer);
        }
        self
    }

    /// Turn an I/O error from a reader into the right variant: our own limit and
    /// interrupt markers travel inside `io::Error`, bad data becomes [`Error::Malformed`].
    pub(crate) fn from_io(at: Location, err: io::Error) -> Self {
        if err.get_ref().is_some_and(|e| e.is::<StreamAbort>()) {
            let inner = err.into_inner().expect("checked above");
            let abort = inner.downcast::<StreamAbort>().expect("checked above");
            return match *abort {
                StreamAbort::Limit { limit, max } => Error::LimitExceeded { at, limit, max },
                StreamAbort::Interrupted => Error::Interrupted,
                StreamAbort::ExtendedHeader { entry, reason } => Error::ExtendedHeader {
                    at,
                    entry: Some(entry),
                    reason,
                },
            };
        }
        match err.kind() {
            io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput => Error::Malformed {
                at,
                reason: err.to_string(),
            },
            io::ErrorKind::UnexpectedEof => Error::Malformed {
                at,
                reason: format!("truncated: {err}"),
            },
            // Parsers (tar-rs: "archive header checksum mismatch", "size overflow",
            // "unexpected EOF during skip"; zstd: bad frames) report bad bytes as
            // `Other` with no OS error code: that is bad data, not a failed read.
            io::ErrorKind::Other if err.raw_os_error().is_none() => Error::Malformed {
                at,
                reason: err.to_string(),
            },
            _ => Error::io(at, err),
        }
    }
}

/// Carried inside an `io::Error` by our readers when they stop a stream on purpose.
#[derive(Debug)]
pub(crate) enum StreamAbort {
    Limit {
        limit: &'static str,
        max: u64,
    },
    Interrupted,
    /// A malformed extension member of a tar entry (see `read::tarext`).
    ExtendedHeader {
        entry: String,
        reason: String,
    },
}

/// ` of entry "x"` when the entry is known.
fn of_entry(entry: Option<&str>) -> String {
    entry.map_or_else(String::new, |e| format!(" of entry {e:?}"))
}

impl fmt::Display for StreamAbort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamAbort::Limit { limit, max } => write!(f, "limit {limit} ({max}) exceeded"),
            StreamAbort::Interrupted => f.write_str("interrupted"),
            StreamAbort::ExtendedHeader { entry, reason } => {
                write!(f, "malformed extended header of entry {entry:?}: {reason}")
            }
        }
    }
}

impl std::error::Error for StreamAbort {}

impl StreamAbort {
    pub(crate) fn into_io(self) -> io::Error {
        io::Error::other(self)
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_stay_small_and_say_where() {
        // Results travel through hot loops; the location lives behind one pointer.
        assert!(
            std::mem::size_of::<Error>() <= 64,
            "{}",
            std::mem::size_of::<Error>()
        );
        let at = Location::new("a.tar")
            .with_member("x/layer.tar")
            .with_layer("sha256:ab")
            .with_image("acme/app:1");
        assert_eq!(
            at.to_string(),
            "a.tar, member \"x/layer.tar\", layer sha256:ab, image acme/app:1"
        );
        let inner = Error::Malformed {
            at: Location::default().with_member("m"),
            reason: "bad".into(),
        }
        .within(
            &Location::new("b.tar")
                .with_member("ignored")
                .with_image("img"),
        );
        assert_eq!(
            inner.to_string(),
            "b.tar, member \"m\", image img: malformed: bad"
        );
        assert!(!inner.is_integrity());
    }
}

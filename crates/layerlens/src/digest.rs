//! Digests: the `algorithm:hex` strings of the OCI spec, and the fast per-file content digest.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// A content digest in OCI form, `sha256:<64 lowercase hex>`.
///
/// Kept as a string so that digests of other algorithms found in metadata survive a
/// round trip; [`Digest::sha256_hex`] gives the hex part when the algorithm is sha256.
/// Shared, not copied, when cloned: a report names the same layers in every image.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Digest(Arc<str>);

impl Digest {
    /// Parse `algorithm:encoded`. Returns `None` unless both parts are non-empty and the
    /// encoded part of a sha256 digest is 64 lowercase hex characters.
    pub fn parse(s: &str) -> Option<Digest> {
        let (alg, enc) = s.split_once(':')?;
        if alg.is_empty() || enc.is_empty() || s.len() > 200 {
            return None;
        }
        if !alg
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b))
        {
            return None;
        }
        if alg == "sha256" && !is_sha256_hex(enc) {
            return None;
        }
        if !enc
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"=_-".contains(&b))
        {
            return None;
        }
        Some(Digest(s.into()))
    }

    /// A sha256 digest from its 32 bytes.
    pub fn from_sha256(bytes: &[u8; 32]) -> Digest {
        Digest(format!("sha256:{}", hex::encode(bytes)).into())
    }

    /// A sha256 digest from 64 lowercase hex characters.
    pub fn from_sha256_hex(hex: &str) -> Option<Digest> {
        is_sha256_hex(hex).then(|| Digest(format!("sha256:{hex}").into()))
    }

    /// The sha256 of `data`.
    pub fn sha256_of(data: &[u8]) -> Digest {
        Digest::from_sha256(&Sha256::digest(data).into())
    }

    /// The algorithm part (`sha256`).
    pub fn algorithm(&self) -> &str {
        self.0.split_once(':').map_or("", |(a, _)| a)
    }

    /// The encoded part (the hex of a sha256 digest).
    pub fn encoded(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, e)| e)
    }

    /// The hex part, if this is a sha256 digest.
    pub fn sha256_hex(&self) -> Option<&str> {
        (self.algorithm() == "sha256").then(|| self.encoded())
    }

    /// The whole digest, `sha256:…`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 hex characters, as `docker images` shows ids.
    pub fn short(&self) -> &str {
        let enc = self.encoded();
        &enc[..enc.len().min(12)]
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The digest of one file's content inside a layer: 128-bit XXH3.
///
/// Chosen by measurement (see BENCHMARKS.md): the layer stream is already sha256-hashed
/// for its diff_id, so a second sha256 over every file would halve throughput, while
/// XXH3-128 runs at memory speed. It identifies equal contents for duplicate and waste
/// analysis; it is not a security boundary (the layer's sha256 is).
///
/// Packed (alignment 1): a `u128` would align every [`crate::FileRecord`] to 16 bytes
/// and pad it from 104 to 128 bytes; a large set keeps one record per file entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(C, packed)]
pub struct ContentDigest(pub u128);

impl fmt::Display for ContentDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(f, "xxh3:{d:032x}")
    }
}

impl Serialize for ContentDigest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ContentDigest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.strip_prefix("xxh3:")
            .and_then(|h| u128::from_str_radix(h, 16).ok())
            .map(ContentDigest)
            .ok_or_else(|| serde::de::Error::custom("expected xxh3:<32 hex>"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let d = Digest::sha256_of(b"");
        assert_eq!(
            d.as_str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(Digest::parse(d.as_str()), Some(d.clone()));
        assert_eq!(d.short(), "e3b0c44298fc");
        assert!(Digest::parse("sha256:abc").is_none());
        assert!(Digest::parse("nocolon").is_none());
        assert!(Digest::parse("sha256:../../etc/passwd").is_none());
        assert!(Digest::parse("sha512:..").is_none());
    }

    #[test]
    fn content_digest_round_trips() {
        let c = ContentDigest(0x0123_4567_89ab_cdef_0011_2233_4455_6677);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, "\"xxh3:0123456789abcdef0011223344556677\"");
        assert_eq!(serde_json::from_str::<ContentDigest>(&json).unwrap(), c);
    }
}

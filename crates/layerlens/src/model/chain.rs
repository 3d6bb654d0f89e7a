//! ChainIDs, as the OCI image spec defines them: the identity of a layer *on its
//! parents*. Overlay stores (overlay2, `docker system df -v`) keep one snapshot per
//! ChainID, so an identical layer on a different parent is stored twice.
//!
//! `ChainID(L1) = DiffID(L1)`; `ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))`.

use crate::digest::Digest;
use crate::read::analyzer::Image;

/// The ChainIDs of a stack of diff_ids, lowest first.
pub fn chain_ids<'a, I>(diff_ids: I) -> Vec<Digest>
where
    I: IntoIterator<Item = &'a Digest>,
{
    let mut out: Vec<Digest> = Vec::new();
    for diff_id in diff_ids {
        let next = match out.last() {
            None => diff_id.clone(),
            Some(parent) => Digest::sha256_of(format!("{parent} {diff_id}").as_bytes()),
        };
        out.push(next);
    }
    out
}

/// The ChainIDs of an image's layers, lowest first.
pub fn image_chain_ids(image: &Image) -> Vec<Digest> {
    chain_ids(image.layers.iter().map(|l| &l.diff_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_oci_definition() {
        let a = Digest::sha256_of(b"a");
        let b = Digest::sha256_of(b"b");
        let ids = chain_ids([&a, &b]);
        assert_eq!(ids[0], a);
        assert_eq!(
            ids[1],
            Digest::sha256_of(format!("{} {}", a.as_str(), b.as_str()).as_bytes())
        );
        // The same layer on another parent has another ChainID.
        assert_ne!(chain_ids([&b])[0], ids[1]);
        assert!(chain_ids(std::iter::empty()).is_empty());
    }
}

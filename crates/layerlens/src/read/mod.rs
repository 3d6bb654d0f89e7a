//! Reading: inputs → [`ImageSet`](crate::ImageSet).
//!
//! Each input is opened as a store of members ([`source`]: an indexed tar, a directory,
//! or one streaming pass), its metadata resolved into images ([`manifest`]: Docker and
//! OCI layouts), and every distinct layer analysed once ([`layer`]: decompress by magic,
//! sha256 the stream, walk the tar, record every entry; [`detect`]: what is inside the
//! files), in parallel, largest first
//! ([`analyzer`]). Layer results can be cached ([`cache`]) and whole sets written out
//! and merged ([`partial`]). Image stores on a host are inputs like archives
//! ([`store`]): their members are configs, blobs and layers rebuilt from tar-splits.

pub(crate) mod analyzer;
pub(crate) mod cache;
pub(crate) mod detect;
pub(crate) mod layer;
pub(crate) mod manifest;
pub(crate) mod partial;
pub(crate) mod source;
pub(crate) mod store;
pub(crate) mod tarext;

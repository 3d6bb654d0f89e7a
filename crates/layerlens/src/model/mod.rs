//! The set model: what every reducer reads, computed once from an
//! [`ImageSet`](crate::ImageSet): paths numbered set-wide ([`paths`]) and ChainIDs
//! ([`chain`]).

pub mod chain;
pub(crate) mod paths;

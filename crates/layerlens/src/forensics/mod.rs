//! Forensics: reducers over the set model. What the set stores at each level of sharing
//! ([`ledger`]), how images group by base ([`families`]), what is stored but hidden
//! ([`waste`]), stored twice ([`duplicates`]), what changed between two images
//! ([`diff`]), the story of one path ([`explain`]), every entry of an image
//! ([`files`]) and what is risky in the bytes ([`findings`]).

pub mod diff;
pub mod duplicates;
pub mod explain;
pub mod families;
pub mod files;
pub mod findings;
pub mod ledger;
pub mod waste;

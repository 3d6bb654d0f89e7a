//! Attribution: every byte of an image on two axes, each summing to its `size`.
//!
//! * **origin**: `base` (the layers the image shares with its family's base node, or
//!   with the image named as `--base`) vs `own` (the rest), by layer content;
//! * **kind**: `wasted` (hidden by a later layer) and, for every regular file of the
//!   final filesystem, the first of `caches`, `docs`, `toolchains`, `os_packages`,
//!   `language_deps` whose rule matches, else `app` (own layers) or `unowned` (base
//!   layers). The rules are in `docs/attribution.md`.
//!
//! Ownership comes from the package databases found in the final filesystem (their
//! bytes captured during the layer walk), mapped onto the files actually present —
//! never from the sizes the databases declare.
//!
//! It runs along the walk of the ChainID tree ([`walk`]): the packages and the owner of
//! every path ([`owners`]) are worked out again only at the nodes whose layer changes a
//! package database (or a symlink a listed path goes through); elsewhere each entry a
//! layer adds or hides moves its bytes in or out of its kind and package.

pub(crate) mod owners;
pub mod packages;
pub mod rules;
pub(crate) mod walk;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::model::SetModel;
use packages::Manager;

pub use rules::{
    classify, is_cache, is_doc, is_language_dep_path, is_package_db, is_toolchain_package,
    is_toolchain_path,
};

/// The exclusive kinds, in precedence order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Stored but hidden by a later layer (overwritten or deleted).
    Wasted,
    /// Package-manager and language caches, `__pycache__`, `/tmp`, `/var/log`.
    Caches,
    /// man pages, docs, info pages, locales.
    Docs,
    /// Compilers, headers, static libraries, `-dev` packages.
    Toolchains,
    /// Other files owned by dpkg or apk, and their databases.
    OsPackages,
    /// Python distributions, npm packages, gems, jars, the Go module cache.
    LanguageDeps,
    /// Everything else in the image's own layers.
    App,
    /// Everything else in its base layers.
    Unowned,
}

impl Kind {
    /// Every kind, in precedence order.
    pub const ALL: [Kind; 8] = [
        Kind::Wasted,
        Kind::Caches,
        Kind::Docs,
        Kind::Toolchains,
        Kind::OsPackages,
        Kind::LanguageDeps,
        Kind::App,
        Kind::Unowned,
    ];

    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Wasted => "wasted",
            Kind::Caches => "caches",
            Kind::Docs => "docs",
            Kind::Toolchains => "toolchains",
            Kind::OsPackages => "os_packages",
            Kind::LanguageDeps => "language_deps",
            Kind::App => "app",
            Kind::Unowned => "unowned",
        }
    }
}

/// An image's bytes by origin (sums to its `size`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByOrigin {
    /// Content bytes of its base layers.
    pub base: u64,
    /// Content bytes of its own layers.
    pub own: u64,
}

/// An image's bytes by kind (sums to its `size`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByKind {
    /// Hidden by later layers.
    pub wasted: u64,
    /// Caches.
    pub caches: u64,
    /// Documentation.
    pub docs: u64,
    /// Toolchains.
    pub toolchains: u64,
    /// Other OS-package files.
    pub os_packages: u64,
    /// Language dependencies.
    pub language_deps: u64,
    /// The rest of the own layers.
    pub app: u64,
    /// The rest of the base layers.
    pub unowned: u64,
}

impl ByKind {
    /// The bytes of one kind.
    pub fn get(&self, k: Kind) -> u64 {
        match k {
            Kind::Wasted => self.wasted,
            Kind::Caches => self.caches,
            Kind::Docs => self.docs,
            Kind::Toolchains => self.toolchains,
            Kind::OsPackages => self.os_packages,
            Kind::LanguageDeps => self.language_deps,
            Kind::App => self.app,
            Kind::Unowned => self.unowned,
        }
    }

    pub(crate) fn slot(&mut self, k: Kind) -> &mut u64 {
        match k {
            Kind::Wasted => &mut self.wasted,
            Kind::Caches => &mut self.caches,
            Kind::Docs => &mut self.docs,
            Kind::Toolchains => &mut self.toolchains,
            Kind::OsPackages => &mut self.os_packages,
            Kind::LanguageDeps => &mut self.language_deps,
            Kind::App => &mut self.app,
            Kind::Unowned => &mut self.unowned,
        }
    }

    /// Σ of every kind.
    pub fn total(&self) -> u64 {
        Kind::ALL.iter().map(|k| self.get(*k)).sum()
    }
}

/// One package of an image, measured on its final filesystem. Its strings are shared
/// (a large set lists the same packages in many images).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageUsage {
    /// `dpkg`, `apk`, `rpm`, `python`, `npm`, `go`, `cargo`, `maven` or `gem`.
    pub manager: Manager,
    /// Name.
    pub name: Arc<str>,
    /// Version.
    pub version: Arc<str>,
    /// Bytes of its regular files present in the final filesystem.
    pub size: u64,
    /// How many of its regular files are present.
    pub files: u64,
    /// Index (0 = lowest) of the layer that added it.
    pub layer: u64,
    /// That layer's history command.
    #[serde(default)]
    pub created_by: Option<Arc<str>>,
    /// That layer's diff_id.
    pub diff_id: Digest,
    /// When every file it lists that is present is another package's (a Python
    /// distribution that a dpkg package installed): that package. Its `size` and
    /// `files` are then 0, each file being counted once, to its first owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provided_by: Option<ProvidedBy>,
}

/// The package that holds the files of another package (see
/// [`PackageUsage::provided_by`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvidedBy {
    /// Its manager.
    pub manager: Manager,
    /// Its name.
    pub name: Arc<str>,
}

/// The number of base layers of each image, in the set's order: with `base` (an image
/// index), the length of its common ChainID prefix with that image; else the depth of
/// the root of the image's family (the prefix every image with the same bottom layer
/// shares) when the family has two images or more, and 0 for an image alone.
pub fn base_layers(m: &SetModel<'_>, base: Option<usize>) -> Vec<usize> {
    let tree = m.tree();
    (0..tree.paths.len())
        .map(|i| match base {
            Some(b) => tree.common_prefix(i, b),
            None => tree.paths[i].first().map_or(0, |&r| family_depth(m, r)),
        })
        .collect()
}

/// How many layers every image built on root node `root` shares, when two images or
/// more are built on it; 0 otherwise.
pub(crate) fn family_depth(m: &SetModel<'_>, root: u32) -> usize {
    let tree = m.tree();
    let group = tree.node(root).image_count;
    if group < 2 {
        return 0;
    }
    let mut depth = 0;
    let mut n = Some(root);
    while let Some(node) = n {
        let node = tree.node(node);
        if node.image_count != group {
            break;
        }
        depth += 1;
        n = node
            .children
            .iter()
            .copied()
            .find(|&c| tree.node(c).image_count == group);
    }
    depth
}

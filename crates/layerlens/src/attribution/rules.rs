//! The path and package rules of attribution: which paths are caches, docs,
//! toolchains, package databases or language dependencies, and the kind of a file of
//! the final filesystem from those rules and its owner. The rules and their precedence
//! are in `docs/attribution.md`.

use super::packages::Manager;
use super::Kind;
use crate::model::paths::{PathIndex, NO_PATH};
use crate::read::layer::split_parent;

/// Cache directories (rule 1), as path prefixes.
const CACHE_PREFIXES: &[&str] = &[
    "var/lib/apt/lists/",
    "var/cache/apt/",
    "var/cache/apk/",
    "var/cache/yum/",
    "var/cache/dnf/",
    "tmp/",
    "var/tmp/",
    "var/log/",
];
/// Cache directories anywhere: `.cache/`, `.npm/`, `__pycache__/`, `.yarn/cache/`,
/// `pkg/mod/cache/`, `.pnpm-store/`.
const CACHE_RUNS: &[&[&str]] = &[
    &[".cache"],
    &[".npm"],
    &["__pycache__"],
    &[".yarn", "cache"],
    &["pkg", "mod", "cache"],
    &[".pnpm-store"],
];
/// Documentation (rule 2): under one of these roots, one of these directories.
const DOC_ROOTS: &[&str] = &["usr/share/", "usr/local/share/"];
const DOC_DIRS: &[&str] = &["doc/", "man/", "info/", "locale/", "gtk-doc/", "help/"];
/// Toolchain directories (rule 3).
const TOOLCHAIN_PREFIXES: &[&str] = &[
    "usr/include/",
    "usr/local/include/",
    "usr/lib/gcc/",
    "usr/libexec/gcc/",
    "usr/local/go/",
];
/// Package databases (rule 4).
const PACKAGE_DB_PREFIXES: &[&str] = &[
    "var/lib/dpkg/",
    "lib/apk/db/",
    "var/lib/rpm/",
    "usr/lib/sysimage/rpm/",
];
const RPM_PREFIXES: &[&str] = &["var/lib/rpm/", "usr/lib/sysimage/rpm/"];
/// Language dependencies anywhere (rule 5): `site-packages/`, `dist-packages/`,
/// `node_modules/`, `gems/`, `go/pkg/mod/`.
const LANGUAGE_RUNS: &[&[&str]] = &[
    &["site-packages"],
    &["dist-packages"],
    &["node_modules"],
    &["gems"],
    &["go", "pkg", "mod"],
];

fn has_prefix(path: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| path.starts_with(p))
}

/// True when the components of `run` appear, in a row, among the *directories* of
/// `path` (so followed by at least one more component): `"a/.cache/b"` holds the run
/// `[".cache"]`, `"a/.cache"` does not. No allocation: this runs once per file.
fn has_dir_run(path: &str, runs: &[&[&str]]) -> bool {
    let Some(last) = path.rfind('/') else {
        return false;
    };
    let dirs = &path[..last];
    let starts_with_run = |mut s: &str, run: &[&str]| {
        for (i, c) in run.iter().enumerate() {
            let Some(rest) = s.strip_prefix(c) else {
                return false;
            };
            if i + 1 == run.len() {
                return rest.is_empty() || rest.starts_with('/');
            }
            let Some(rest) = rest.strip_prefix('/') else {
                return false;
            };
            s = rest;
        }
        true
    };
    let mut rest = dirs;
    loop {
        if runs.iter().any(|run| starts_with_run(rest, run)) {
            return true;
        }
        match rest.find('/') {
            Some(i) => rest = &rest[i + 1..],
            None => return false,
        }
    }
}

/// Whether a path is a cache (rule 1).
pub fn is_cache(path: &str) -> bool {
    has_prefix(path, CACHE_PREFIXES) || path.ends_with(".pyc") || has_dir_run(path, CACHE_RUNS)
}

/// Whether a path is documentation (rule 2).
pub fn is_doc(path: &str) -> bool {
    DOC_ROOTS.iter().any(|root| {
        path.strip_prefix(root)
            .is_some_and(|rest| DOC_DIRS.iter().any(|d| rest.starts_with(d)))
    })
}

/// Whether an OS package is a toolchain: `*-dev` (Debian, Alpine), `*-devel` (rpm), or a
/// compiler / build tool.
pub fn is_toolchain_package(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "gcc",
        "g++",
        "cpp",
        "binutils",
        "clang",
        "make",
        "build-essential",
        "build-base",
        "libtool",
        "autoconf",
        "automake",
        "pkg-config",
        "pkgconf",
        "cmake",
        "kernel-headers",
        "glibc-headers",
        "pkgconf-pkg-config",
    ];
    const PREFIXES: &[&str] = &["gcc-", "g++-", "cpp-", "binutils-", "clang-", "llvm-"];
    name.ends_with("-dev")
        || name.ends_with("-devel")
        || NAMES.contains(&name)
        || (has_prefix(name, PREFIXES) && !name.ends_with("-base"))
}

/// Whether a path is part of a toolchain by itself (rule 3, path part): headers,
/// static libraries, gcc's private directories, the Go distribution.
pub fn is_toolchain_path(path: &str) -> bool {
    has_prefix(path, TOOLCHAIN_PREFIXES) || is_static_library(path)
}

fn is_static_library(path: &str) -> bool {
    path.ends_with(".a") && !split_parent(path).1.eq(".a")
}

/// Whether a path is a package database (rule 4, path part).
pub fn is_package_db(path: &str) -> bool {
    has_prefix(path, PACKAGE_DB_PREFIXES)
}

/// Whether a path is a language dependency by itself (rule 5, path part).
pub fn is_language_dep_path(path: &str) -> bool {
    path.ends_with(".jar") || has_dir_run(path, LANGUAGE_RUNS)
}

/// The kind of a regular file of the final filesystem.
pub fn classify(path: &str, owner: Option<(Manager, &str)>, in_base: bool) -> Kind {
    let owner = owner.map(|(m, name)| OwnerClass {
        os: m.is_os(),
        toolchain: is_toolchain_package(name),
    });
    classify_class(path_class(path), owner, in_base)
}

/// Path-rule bits of one path, computed once per path of a set ([`path_class`]).
pub(crate) const CACHE: u8 = 1;
pub(crate) const DOC: u8 = 2;
pub(crate) const TOOLCHAIN_PATH: u8 = 4;
pub(crate) const PACKAGE_DB: u8 = 8;
pub(crate) const LANGUAGE_PATH: u8 = 16;
/// A package-manager metadata file attribution reads.
pub(crate) const METADATA: u8 = 32;
/// Under an rpm database directory.
pub(crate) const RPM: u8 = 64;
/// A file some layer's detectors found to be a package (set per set by
/// `owners::Context`, never by [`path_class`]).
pub(crate) const PACKAGE_FILE: u8 = 128;

/// Every rule of a path, as bits.
pub(crate) fn path_class(path: &str) -> u8 {
    let mut c = 0;
    for (yes, bit) in [
        (is_cache(path), CACHE),
        (is_doc(path), DOC),
        (is_toolchain_path(path), TOOLCHAIN_PATH),
        (is_package_db(path), PACKAGE_DB),
        (is_language_dep_path(path), LANGUAGE_PATH),
        (crate::read::layer::is_package_metadata(path), METADATA),
        (has_prefix(path, RPM_PREFIXES), RPM),
    ] {
        if yes {
            c |= bit;
        }
    }
    c
}

/// Whether directory `dir` (no trailing `/`) is one of `prefixes` (given with one).
fn is_prefix_dir(dir: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| p.strip_suffix('/') == Some(dir))
}

/// Whether directory `dir` ends with the components of one of `runs`.
fn ends_with_run(dir: &str, runs: &[&[&str]]) -> bool {
    runs.iter().any(|run| {
        let mut rest = dir;
        for (i, c) in run.iter().rev().enumerate() {
            let Some(r) = rest.strip_suffix(c) else {
                return false;
            };
            if i + 1 == run.len() {
                return r.is_empty() || r.ends_with('/');
            }
            let Some(r) = r.strip_suffix('/') else {
                return false;
            };
            rest = r;
        }
        true
    })
}

/// The rule bits a directory gives every path under it, by itself (its ancestors'
/// are added by [`classes`]).
fn dir_bits(dir: &str) -> u8 {
    let mut c = 0;
    if is_prefix_dir(dir, CACHE_PREFIXES) || ends_with_run(dir, CACHE_RUNS) {
        c |= CACHE;
    }
    if DOC_ROOTS.iter().any(|root| {
        dir.strip_prefix(root)
            .is_some_and(|rest| DOC_DIRS.iter().any(|d| d.strip_suffix('/') == Some(rest)))
    }) {
        c |= DOC;
    }
    if is_prefix_dir(dir, TOOLCHAIN_PREFIXES) {
        c |= TOOLCHAIN_PATH;
    }
    if is_prefix_dir(dir, PACKAGE_DB_PREFIXES) {
        c |= PACKAGE_DB;
    }
    if is_prefix_dir(dir, RPM_PREFIXES) {
        c |= RPM;
    }
    if ends_with_run(dir, LANGUAGE_RUNS) {
        c |= LANGUAGE_PATH;
    }
    c
}

/// [`path_class`] of every path of `paths`, without testing every rule against every
/// path: a directory's bits are its parent's plus its own, and a path's are its
/// directory's plus what its own name says.
pub(crate) fn classes(paths: &PathIndex<'_>) -> Vec<u8> {
    use rayon::prelude::*;
    let n = paths.len() as u32;
    // Each directory's own bits on every core; then, parents sorting before their
    // children, one pass in path order adds the parent's.
    let mut dirs: Vec<u8> = (0..n)
        .into_par_iter()
        .map(|pid| dir_bits(paths.path(pid)))
        .collect();
    for pid in 0..n {
        let parent = paths.parent(pid);
        if parent != NO_PATH {
            dirs[pid as usize] |= dirs[parent as usize];
        }
    }
    (0..n)
        .into_par_iter()
        .map(|pid| {
            let path = paths.path(pid);
            let parent = paths.parent(pid);
            let mut c = if parent == NO_PATH {
                0
            } else {
                dirs[parent as usize]
            };
            if path.ends_with(".pyc") {
                c |= CACHE;
            }
            if is_static_library(path) {
                c |= TOOLCHAIN_PATH;
            }
            if path.ends_with(".jar") {
                c |= LANGUAGE_PATH;
            }
            if crate::read::layer::is_package_metadata(path) {
                c |= METADATA;
            }
            c
        })
        .collect()
}

/// An owner as the kind rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OwnerClass {
    /// Owned by an operating-system package manager.
    pub os: bool,
    /// That package is a toolchain (see [`is_toolchain_package`]).
    pub toolchain: bool,
}

/// [`classify`] from a path's bits.
pub(crate) fn classify_class(class: u8, owner: Option<OwnerClass>, in_base: bool) -> Kind {
    let os_owner = owner.filter(|o| o.os);
    if class & CACHE != 0 {
        Kind::Caches
    } else if class & DOC != 0 {
        Kind::Docs
    } else if class & TOOLCHAIN_PATH != 0 || os_owner.is_some_and(|o| o.toolchain) {
        Kind::Toolchains
    } else if os_owner.is_some() || class & PACKAGE_DB != 0 {
        Kind::OsPackages
    } else if owner.is_some() || class & LANGUAGE_PATH != 0 {
        Kind::LanguageDeps
    } else if in_base {
        Kind::Unowned
    } else {
        Kind::App
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The substring definitions the component matchers replaced, kept as the oracle.
    fn substring_rules(path: &str) -> (bool, bool) {
        let wrapped = format!("/{path}");
        let cache = [
            "/.cache/",
            "/.npm/",
            "/__pycache__/",
            "/.yarn/cache/",
            "/pkg/mod/cache/",
            "/.pnpm-store/",
        ];
        let lang = [
            "/site-packages/",
            "/dist-packages/",
            "/node_modules/",
            "/gems/",
            "/go/pkg/mod/",
        ];
        (
            cache.iter().any(|p| wrapped.contains(p)),
            lang.iter().any(|p| wrapped.contains(p)),
        )
    }

    #[test]
    fn directory_runs_match_the_substring_rules() {
        let parts = [
            ".cache",
            ".npm",
            "__pycache__",
            ".yarn",
            "cache",
            "pkg",
            "mod",
            ".pnpm-store",
            "site-packages",
            "dist-packages",
            "node_modules",
            "gems",
            "go",
            "x.cache",
            "gem",
            "",
            "a",
            "node_modules2",
            ".yarn2",
        ];
        // Every path of up to 4 components over these parts (empty ones included).
        let mut checked = 0;
        let mut stack: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
        while let Some(p) = stack.pop() {
            let (cache, lang) = substring_rules(&p);
            assert_eq!(
                has_dir_run(
                    &p,
                    &[
                        &[".cache"],
                        &[".npm"],
                        &["__pycache__"],
                        &[".yarn", "cache"],
                        &["pkg", "mod", "cache"],
                        &[".pnpm-store"]
                    ]
                ),
                cache,
                "{p:?}"
            );
            assert_eq!(
                is_language_dep_path(&p),
                lang || p.ends_with(".jar"),
                "{p:?}"
            );
            checked += 1;
            if p.matches('/').count() < 3 {
                stack.extend(parts.iter().map(|c| format!("{p}/{c}")));
            }
        }
        assert!(checked > 100_000, "{checked}");
    }

    #[test]
    fn kinds_by_precedence() {
        let dpkg = Some((Manager::Dpkg, "libc6"));
        let dev = Some((Manager::Dpkg, "libc6-dev"));
        let py = Some((Manager::Python, "six"));
        assert_eq!(
            classify("var/lib/apt/lists/x_Packages", None, true),
            Kind::Caches
        );
        assert_eq!(
            classify(
                "usr/lib/python3/dist-packages/__pycache__/a.pyc",
                dpkg,
                true
            ),
            Kind::Caches
        );
        assert_eq!(
            classify("usr/share/doc/libc6/copyright", dpkg, true),
            Kind::Docs
        );
        assert_eq!(
            classify("usr/include/stdio.h", dpkg, true),
            Kind::Toolchains
        );
        assert_eq!(
            classify("usr/lib/x86_64-linux-gnu/libc.so", dev, true),
            Kind::Toolchains
        );
        assert_eq!(classify("usr/lib/libfoo.a", None, false), Kind::Toolchains);
        assert_eq!(
            classify("lib/x86_64-linux-gnu/libc.so.6", dpkg, true),
            Kind::OsPackages
        );
        assert_eq!(
            classify("var/lib/dpkg/status", None, true),
            Kind::OsPackages
        );
        assert_eq!(
            classify("usr/local/lib/python3.11/site-packages/six.py", py, false),
            Kind::LanguageDeps
        );
        assert_eq!(
            classify("app/node_modules/x/y.js", None, false),
            Kind::LanguageDeps
        );
        assert_eq!(classify("app/server", None, false), Kind::App);
        assert_eq!(classify("etc/hostname", None, true), Kind::Unowned);
        assert!(is_toolchain_package("gcc-12"));
        assert!(!is_toolchain_package("gcc-12-base"));
        assert!(!is_toolchain_package("libgcc-s1"));
        // rpm's names
        assert!(is_toolchain_package("glibc-devel"));
        assert!(is_toolchain_package("gcc-c++"));
        assert!(is_toolchain_package("kernel-headers"));
        assert!(!is_toolchain_package("libgcc"));
        assert!(!is_toolchain_package("glibc"));
    }

    #[test]
    fn classes_by_directory_equal_the_rules_path_by_path() {
        use crate::testutil::layer;
        let names = [
            "usr",
            "share",
            "doc",
            "man",
            "local",
            "include",
            "lib",
            "gcc",
            "var",
            "cache",
            "apt",
            "lists",
            "tmp",
            "log",
            "dpkg",
            "info",
            "rpm",
            "sysimage",
            ".cache",
            ".npm",
            "__pycache__",
            ".yarn",
            "pkg",
            "mod",
            "go",
            "site-packages",
            "node_modules",
            "gems",
            "x.pyc",
            "y.a",
            ".a",
            "z.jar",
            "RECORD",
            "a.dist-info",
            "status",
            "apk",
            "db",
            "installed",
            "libexec",
            "locale",
            "help",
            "gtk-doc",
            "doc-x",
        ];
        let mut specs: Vec<String> = Vec::new();
        let mut stack: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        while let Some(p) = stack.pop() {
            if p.matches('/').count() < 3 {
                stack.extend(
                    names
                        .iter()
                        .step_by(1 + p.len() % 3)
                        .map(|n| format!("{p}/{n}")),
                );
            }
            specs.push(p);
        }
        let spec: Vec<(&str, &str, u64, u128)> =
            specs.iter().map(|p| ("f", p.as_str(), 1, 1)).collect();
        let l = layer(&spec);
        let ix = PathIndex::new(&[&l]);
        let got = classes(&ix);
        for pid in 0..ix.len() as u32 {
            assert_eq!(
                got[pid as usize],
                path_class(ix.path(pid)),
                "{:?}",
                ix.path(pid)
            );
        }
        assert!(ix.len() > 10_000, "{}", ix.len());
    }
}

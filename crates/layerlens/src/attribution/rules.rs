//! The path and package rules of attribution: which paths are caches, docs,
//! toolchains, package databases or language dependencies, and the kind of a file of
//! the final filesystem from those rules and its owner. The rules and their precedence
//! are in `docs/attribution.md`.

use super::packages::Manager;
use super::Kind;
use crate::read::layer::split_parent;

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
    const PREFIXES: &[&str] = &[
        "var/lib/apt/lists/",
        "var/cache/apt/",
        "var/cache/apk/",
        "var/cache/yum/",
        "var/cache/dnf/",
        "tmp/",
        "var/tmp/",
        "var/log/",
    ];
    // Directories anywhere: `.cache/`, `.npm/`, `__pycache__/`, `.yarn/cache/`,
    // `pkg/mod/cache/`, `.pnpm-store/`.
    const RUNS: &[&[&str]] = &[
        &[".cache"],
        &[".npm"],
        &["__pycache__"],
        &[".yarn", "cache"],
        &["pkg", "mod", "cache"],
        &[".pnpm-store"],
    ];
    has_prefix(path, PREFIXES) || path.ends_with(".pyc") || has_dir_run(path, RUNS)
}

/// Whether a path is documentation (rule 2).
pub fn is_doc(path: &str) -> bool {
    const DIRS: &[&str] = &["doc/", "man/", "info/", "locale/", "gtk-doc/", "help/"];
    ["usr/share/", "usr/local/share/"].iter().any(|root| {
        path.strip_prefix(root)
            .is_some_and(|rest| DIRS.iter().any(|d| rest.starts_with(d)))
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
    const PREFIXES: &[&str] = &[
        "usr/include/",
        "usr/local/include/",
        "usr/lib/gcc/",
        "usr/libexec/gcc/",
        "usr/local/go/",
    ];
    has_prefix(path, PREFIXES) || (path.ends_with(".a") && !split_parent(path).1.eq(".a"))
}

/// Whether a path is a package database (rule 4, path part).
pub fn is_package_db(path: &str) -> bool {
    has_prefix(
        path,
        &[
            "var/lib/dpkg/",
            "lib/apk/db/",
            "var/lib/rpm/",
            "usr/lib/sysimage/rpm/",
        ],
    )
}

/// Whether a path is a language dependency by itself (rule 5, path part).
pub fn is_language_dep_path(path: &str) -> bool {
    // Directories anywhere: `site-packages/`, `dist-packages/`, `node_modules/`,
    // `gems/`, `go/pkg/mod/`.
    const RUNS: &[&[&str]] = &[
        &["site-packages"],
        &["dist-packages"],
        &["node_modules"],
        &["gems"],
        &["go", "pkg", "mod"],
    ];
    path.ends_with(".jar") || has_dir_run(path, RUNS)
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
        (
            path.starts_with("var/lib/rpm/") || path.starts_with("usr/lib/sysimage/rpm/"),
            RPM,
        ),
    ] {
        if yes {
            c |= bit;
        }
    }
    c
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
}

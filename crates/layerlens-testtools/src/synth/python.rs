//! The `python-fleet` and `many` shapes: images made like real ones, on a base made
//! like `python:3.11` (Debian bookworm + build dependencies + Python from source).
//!
//! Every layer is planned entry by entry ([`TreeLayer`]). Package databases list the
//! files the layer really holds (dpkg `.list` files, wheel `RECORD`s with the sha256 and
//! size of each file, npm `package.json`s, apk's `installed`); `Installed-Size` is
//! computed from those files. The same distribution version has the same bytes in every
//! service that installs it. Sizes follow the budget of each layer; typical file sizes
//! grow with the square root of the scale, so at 1 GB there are tens of thousands of
//! entries and at 100 MB a few thousand fewer but smaller ones.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::catalog::{
    self, Deb, DebKind, Dist, DistKind, GccPart, TreeKind, APK_ADDED, APK_BASE, BUILD_DEPS, DEBIAN,
    DISTS, EXTRAS, LANGS, NPM, PROFILES, PY_DYNLOAD, PY_MODULES, PY_PACKAGES, SERVICES, WORDS,
    ZONE_CITIES, ZONE_REGIONS,
};
use super::content::{mix, Rng};
use super::tree::TreeLayer;
use super::{ImagePlan, LayerSpec, Plan};

// ---------------------------------------------------------------------------------
// Sizes, seeds and names
// ---------------------------------------------------------------------------------

/// Sizing shared by every builder of one plan.
#[derive(Clone, Copy)]
struct Sizer {
    scale: u64,
    /// Typical file sizes are multiplied by this: √(scale / 1 GB), within ¼..4.
    sf: f64,
    seed: u64,
}

impl Sizer {
    fn new(scale: u64, seed: u64) -> Sizer {
        Sizer {
            scale,
            sf: (scale as f64 / 1e9).sqrt().clamp(0.25, 4.0),
            seed,
        }
    }

    /// `p` percent of the scale.
    fn pct(&self, p: f64) -> u64 {
        (self.scale as f64 * p / 100.0) as u64
    }

    /// A typical size, scaled.
    fn typical(&self, bytes: u64) -> u64 {
        ((bytes as f64 * self.sf) as u64).max(1)
    }

    /// The seed of everything named `what` (the same name gives the same bytes in
    /// every layer).
    fn seed_of(&self, what: &str) -> u64 {
        mix(self.seed, fnv(what))
    }

    fn rng(&self, what: &str) -> Rng {
        Rng::new(self.seed_of(what))
    }
}

/// FNV-1a: a stable hash of a name.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `n` sizes summing to about `budget`, log-uniformly unequal.
fn spread(rng: &mut Rng, budget: u64, n: usize) -> Vec<u64> {
    let weights: Vec<u64> = (0..n).map(|_| rng.log_uniform(1, 64)).collect();
    let total: u64 = weights.iter().sum::<u64>().max(1);
    weights
        .iter()
        .map(|&w| (budget as u128 * w as u128 / total as u128).max(1) as u64)
        .collect()
}

/// Sizes drawn log-uniformly in `lo..hi` until `budget` is used (the last one cut to
/// fit); at least one.
fn fill(rng: &mut Rng, budget: u64, lo: u64, hi: u64) -> Vec<u64> {
    let mut out = Vec::new();
    let mut left = budget.max(1);
    while left > 0 {
        let s = rng.log_uniform(lo, hi).clamp(1, left);
        left -= s;
        out.push(s);
    }
    out
}

/// Unique names within one directory, from the word list.
#[derive(Default)]
struct Namer {
    used: BTreeSet<String>,
}

impl Namer {
    fn pick(&mut self, rng: &mut Rng, words: &[&str]) -> String {
        let base = words[rng.below(words.len() as u64) as usize];
        let mut name = base.to_string();
        let mut n = 2;
        while !self.used.insert(name.clone()) {
            name = format!("{base}_{n}");
            n += 1;
        }
        name
    }
}

fn capitalized(word: &str) -> String {
    let mut c = word.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn hex_of(what: &str, len: usize) -> String {
    let mut out = String::new();
    let mut h = fnv(what);
    while out.len() < len {
        h = mix(h, 0x9e37);
        out.push_str(&format!("{h:016x}"));
    }
    out.truncate(len);
    out
}

/// An image's history line: what made a layer, or a step that made none.
struct Step {
    created_by: String,
    empty: bool,
}

fn run(cmd: &str) -> Step {
    Step {
        created_by: cmd.to_string(),
        empty: false,
    }
}

fn meta(cmd: &str) -> Step {
    Step {
        created_by: cmd.to_string(),
        empty: true,
    }
}

fn config(created: &str, env: &[&str], cmd: &[&str], workdir: &str, history: &[Step]) -> Value {
    let history: Vec<Value> = history
        .iter()
        .map(|s| {
            let mut h = json!({"created": created, "created_by": s.created_by});
            if s.empty {
                h["empty_layer"] = json!(true);
            }
            h
        })
        .collect();
    let mut cfg = json!({"Env": env, "Cmd": cmd});
    if !workdir.is_empty() {
        cfg["WorkingDir"] = json!(workdir);
    }
    json!({
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": cfg,
        "history": history,
    })
}

const PYTHON_ENV: &[&str] = &[
    "PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG=C.UTF-8",
    "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D",
    "PYTHON_VERSION=3.11.9",
];

const SITE: &str = "usr/local/lib/python3.11/site-packages";

// ---------------------------------------------------------------------------------
// Debian packages
// ---------------------------------------------------------------------------------

/// The files of one package as they go into the layer, and as dpkg lists them.
struct DebOut<'a> {
    layer: &'a mut TreeLayer,
    legacy_root: bool,
    listed: Vec<String>,
    bytes: u64,
}

impl DebOut<'_> {
    fn listed_path(&self, path: &str) -> String {
        if self.legacy_root {
            for (from, to) in [
                ("usr/bin/", "bin/"),
                ("usr/sbin/", "sbin/"),
                ("usr/lib/x86_64-linux-gnu/", "lib/x86_64-linux-gnu/"),
                ("usr/lib64/", "lib64/"),
            ] {
                if let Some(rest) = path.strip_prefix(from) {
                    return format!("/{to}{rest}");
                }
            }
        }
        format!("/{path}")
    }

    fn file(&mut self, path: &str, size: u64, seed: u64) {
        self.layer.file(path, size, seed);
        self.bytes += size;
        self.listed.push(self.listed_path(path));
    }

    fn exec(&mut self, path: &str, size: u64, seed: u64) {
        self.layer.exec(path, size, seed);
        self.bytes += size;
        self.listed.push(self.listed_path(path));
    }

    fn text(&mut self, path: &str, text: String) {
        self.bytes += text.len() as u64;
        self.layer.text(path, text);
        self.listed.push(self.listed_path(path));
    }

    fn symlink(&mut self, path: &str, target: &str) {
        self.layer.symlink(path, target);
        self.listed.push(self.listed_path(path));
    }

    fn hardlink(&mut self, path: &str, target: &str) {
        self.layer.hardlink(path, target);
        self.listed.push(self.listed_path(path));
    }
}

/// A dpkg `.list`: `/.`, then each path after its not-yet-listed parent directories.
fn list_text(listed: &[String]) -> String {
    let mut seen = BTreeSet::new();
    let mut out = String::from("/.\n");
    for p in listed {
        let comps: Vec<&str> = p.trim_start_matches('/').split('/').collect();
        let mut acc = String::new();
        for c in &comps[..comps.len() - 1] {
            acc.push('/');
            acc.push_str(c);
            if seen.insert(acc.clone()) {
                out.push_str(&acc);
                out.push('\n');
            }
        }
        out.push_str(p);
        out.push('\n');
    }
    out
}

/// `libacl1` → (`acl`, `1`); `libapt-pkg6.0` → (`apt-pkg`, `6.0`); `libc6-dev` → `c`.
fn lib_stem(name: &str) -> (String, String) {
    let s = name.trim_end_matches("-dev");
    let s = s.strip_prefix("lib").unwrap_or(s);
    let cut = s
        .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or(0, |i| i + 1);
    let (stem, major) = s.split_at(cut);
    let stem = stem.trim_end_matches('-');
    let major = major.trim_matches('.');
    let stem = if stem.is_empty() { s } else { stem };
    let major = if major.is_empty() { "0" } else { major };
    (stem.replace("-dev", ""), major.to_string())
}

fn is_multiarch(deb: &Deb) -> bool {
    matches!(
        deb.kind,
        DebKind::Lib | DebKind::Dev | DebKind::Tree(TreeKind::Libc)
    )
}

fn architecture(deb: &Deb) -> &'static str {
    use TreeKind::*;
    match deb.kind {
        DebKind::Doc => "all",
        DebKind::Tree(Data | Zoneinfo | Certs | ManPages | Fonts | Terminfo | DistPackages) => {
            "all"
        }
        DebKind::Tree(Perl) if deb.name != "perl-base" => "all",
        _ => "amd64",
    }
}

fn source_of(name: &str) -> Option<&'static str> {
    const SOURCES: &[(&str, &str)] = &[
        ("libc6", "glibc"),
        ("libc-bin", "glibc"),
        ("libc-dev-bin", "glibc"),
        ("libc6-dev", "glibc"),
        ("cpp-12", "gcc-12"),
        ("g++-12", "gcc-12"),
        ("libgcc-s1", "gcc-12"),
        ("libstdc++6", "gcc-12"),
        ("libstdc++-12-dev", "gcc-12"),
        ("libgcc-12-dev", "gcc-12"),
        ("libasan8", "gcc-12"),
        ("libtsan2", "gcc-12"),
        ("libubsan1", "gcc-12"),
        ("liblsan0", "gcc-12"),
        ("libgomp1", "gcc-12"),
        ("libblkid1", "util-linux"),
        ("libmount1", "util-linux"),
        ("libuuid1", "util-linux"),
        ("libsmartcols1", "util-linux"),
        ("bsdutils", "util-linux (2.38.1-5+deb12u1)"),
        ("mount", "util-linux"),
        ("libperl5.36", "perl"),
        ("perl-base", "perl"),
        ("perl-modules-5.36", "perl"),
        ("libpython3.11-stdlib", "python3.11"),
        ("libpython3.11-minimal", "python3.11"),
        ("python3.11-minimal", "python3.11"),
        ("libssl3", "openssl"),
        ("libssl-dev", "openssl"),
        ("libcurl4", "curl"),
        ("libcurl3-gnutls", "curl"),
        ("libcurl4-openssl-dev", "curl"),
        ("git-man", "git"),
    ];
    SOURCES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

fn description(deb: &Deb) -> String {
    let (stem, _) = lib_stem(deb.name);
    match deb.kind {
        DebKind::Lib => format!(
            "{stem} shared library\n This package contains the shared library of {stem}, as used at run time by\n the programs that link to it."
        ),
        DebKind::Dev => format!(
            "{stem} - development files\n This package contains the header files and the static library needed to\n build programs against {stem}."
        ),
        DebKind::Bin(_) => format!(
            "{} utilities\n This package contains the {} programs, their manual pages and translations.",
            deb.name, deb.name
        ),
        DebKind::Gcc(_) => format!(
            "GNU C compiler ({})\n This is the GNU C compiler, a fairly portable optimizing compiler for C.",
            deb.name
        ),
        _ => format!(
            "{} files\n This package contains the {} files installed by Debian.",
            deb.name, deb.name
        ),
    }
}

/// A `status` stanza for `deb`, whose files take `bytes`.
fn stanza(deb: &Deb, bytes: u64, depends: &[&Deb], essential: bool) -> String {
    let mut s = format!("Package: {}\n", deb.name);
    if essential {
        s.push_str("Essential: yes\n");
    }
    s.push_str("Status: install ok installed\n");
    let priority = if essential { "required" } else { "optional" };
    s.push_str(&format!("Priority: {priority}\nSection: {}\n", deb.section));
    s.push_str(&format!("Installed-Size: {}\n", bytes.div_ceil(1024)));
    s.push_str(&format!("Maintainer: {}\n", catalog::maintainer(deb.name)));
    s.push_str(&format!("Architecture: {}\n", architecture(deb)));
    if is_multiarch(deb) {
        s.push_str("Multi-Arch: same\n");
    }
    if let Some(src) = source_of(deb.name) {
        s.push_str(&format!("Source: {src}\n"));
    }
    s.push_str(&format!("Version: {}\n", deb.version));
    if !depends.is_empty() {
        let deps: Vec<String> = depends
            .iter()
            .map(|d| {
                let v = d.version.split(['-', '+', '~']).next().unwrap_or(d.version);
                format!("{} (>= {v})", d.name)
            })
            .collect();
        s.push_str(&format!("Depends: {}\n", deps.join(", ")));
    }
    s.push_str(&format!("Description: {}\n", description(deb)));
    s.push_str(&format!(
        "Homepage: https://packages.debian.org/bookworm/{}\n\n",
        deb.name
    ));
    s
}

/// Plan the files of one package with `budget` bytes; returns them as dpkg lists them
/// and their regular-file bytes.
fn deb_files(layer: &mut TreeLayer, deb: &Deb, budget: u64, sz: &Sizer) -> (Vec<String>, u64) {
    let mut rng = sz.rng(&format!("deb {} {}", deb.name, deb.version));
    let seed = sz.seed_of(&format!("deb {}", deb.name));
    let mut out = DebOut {
        layer,
        legacy_root: deb.legacy_root,
        listed: Vec::new(),
        bytes: 0,
    };
    let mut n = 0u64;
    let mut next = || {
        n += 1;
        mix(seed, n)
    };
    let doc = format!("usr/share/doc/{}", deb.name);
    // Docs: a copyright always, a changelog usually (real sizes, not scaled).
    let copyright = rng.log_uniform(700, 12_000);
    out.file(&format!("{doc}/copyright"), copyright, next());
    if rng.below(4) != 0 {
        let size = rng.log_uniform(300, 25_000);
        out.file(&format!("{doc}/changelog.Debian.gz"), size, next());
    }
    let mut bulk = budget.saturating_sub(out.bytes).max(1024);
    if deb.locales {
        let langs = 8 + rng.below(LANGS.len() as u64 - 8) as usize;
        let share = bulk / 5;
        bulk -= share;
        let domain = lib_stem(deb.name).0;
        for (lang, size) in LANGS[..langs].iter().zip(spread(&mut rng, share, langs)) {
            let path = format!("usr/share/locale/{lang}/LC_MESSAGES/{domain}.mo");
            out.file(&path, size, next());
        }
    }
    let so_dir = "usr/lib/x86_64-linux-gnu";
    match deb.kind {
        DebKind::Doc => {
            let size = rng.log_uniform(200, 4000).min(bulk);
            out.file(&format!("{doc}/README.Debian"), size, next());
        }
        DebKind::Bin(tools) => {
            let tools: Vec<&str> = tools.split(',').collect();
            let dir = if deb.section == "admin" {
                "usr/sbin"
            } else {
                "usr/bin"
            };
            let man = if dir == "usr/sbin" { 8 } else { 1 };
            let mut sizes = spread(&mut rng, bulk, tools.len());
            if tools.len() > 1 {
                sizes[0] += bulk / 2;
            }
            for (tool, size) in tools.iter().zip(sizes) {
                out.exec(&format!("{dir}/{tool}"), size, next());
                let page = rng.log_uniform(500, 9000);
                out.file(
                    &format!("usr/share/man/man{man}/{tool}.{man}.gz"),
                    page,
                    next(),
                );
            }
        }
        DebKind::Lib => {
            let (stem, major) = lib_stem(deb.name);
            let real = format!("lib{stem}.so.{major}.{}.{}", rng.below(20), rng.below(10));
            out.file(&format!("{so_dir}/{real}"), bulk, next());
            out.symlink(&format!("{so_dir}/lib{stem}.so.{major}"), &real);
            let lintian = rng.log_uniform(60, 400);
            out.file(
                &format!("usr/share/lintian/overrides/{}", deb.name),
                lintian,
                next(),
            );
        }
        DebKind::Dev => {
            let (stem, _) = lib_stem(deb.name);
            let (header_dir, archives): (String, Vec<String>) = if deb.name == "libc6-dev" {
                (
                    "usr/include".into(),
                    [
                        "libc.a",
                        "libm-2.36.a",
                        "libpthread.a",
                        "libresolv.a",
                        "librt.a",
                    ]
                    .iter()
                    .map(|a| a.to_string())
                    .chain(["crt1.o", "crti.o", "crtn.o", "Scrt1.o"].map(String::from))
                    .collect(),
                )
            } else {
                (format!("usr/include/{stem}"), vec![format!("lib{stem}.a")])
            };
            let headers = fill(
                &mut rng,
                bulk * 45 / 100,
                sz.typical(600),
                sz.typical(40_000),
            );
            let mut namer = Namer::default();
            for size in headers {
                let name = namer.pick(&mut rng, WORDS);
                out.file(&format!("{header_dir}/{name}.h"), size, next());
            }
            let n = archives.len();
            for (a, size) in archives.iter().zip(spread(&mut rng, bulk / 2, n)) {
                out.file(&format!("{so_dir}/{a}"), size, next());
            }
            out.symlink(
                &format!("{so_dir}/lib{stem}.so"),
                &format!("lib{stem}.so.1"),
            );
            out.text(
                &format!("{so_dir}/pkgconfig/{stem}.pc"),
                format!(
                    "prefix=/usr\nexec_prefix=${{prefix}}\nlibdir=${{prefix}}/lib/x86_64-linux-gnu\nincludedir=${{prefix}}/include\n\nName: {stem}\nDescription: {stem} library\nVersion: {}\nLibs: -L${{libdir}} -l{stem}\nCflags: -I${{includedir}}/{stem}\n",
                    deb.version
                ),
            );
        }
        DebKind::Gcc(part) => gcc_files(&mut out, part, bulk, &mut rng, &mut next),
        DebKind::Tree(kind) => tree_files(&mut out, deb, kind, bulk, sz, &mut rng, &mut next),
    }
    (out.listed, out.bytes)
}

fn gcc_files(
    out: &mut DebOut,
    part: GccPart,
    bulk: u64,
    rng: &mut Rng,
    next: &mut impl FnMut() -> u64,
) {
    let lib = "usr/lib/gcc/x86_64-linux-gnu/12";
    let (tool, main) = match part {
        GccPart::Cc1 => ("cpp", vec![("cc1", 95)]),
        GccPart::Cc1plus => ("g++", vec![("cc1plus", 95)]),
        GccPart::Driver => (
            "gcc",
            vec![
                ("lto1", 60),
                ("lto-wrapper", 2),
                ("collect2", 1),
                ("liblto_plugin.so", 1),
            ],
        ),
        GccPart::Libgcc => (
            "",
            vec![
                ("libgcc.a", 10),
                ("libgcc_eh.a", 1),
                ("libgcov.a", 2),
                ("crtbegin.o", 1),
                ("crtbeginS.o", 1),
                ("crtend.o", 1),
                ("libasan.a", 25),
                ("libtsan.a", 20),
                ("liblsan.a", 8),
                ("libubsan.a", 8),
                ("libgomp.a", 3),
                ("libatomic.a", 1),
                ("libquadmath.a", 3),
                ("libbacktrace.a", 1),
            ],
        ),
    };
    for (name, pct) in &main {
        let size = bulk * pct / 100;
        if name.ends_with(".a") || name.ends_with(".o") {
            out.file(&format!("{lib}/{name}"), size, next());
        } else {
            out.exec(&format!("{lib}/{name}"), size, next());
        }
    }
    if !tool.is_empty() {
        let size = (bulk / 50).max(1);
        let bin = format!("x86_64-linux-gnu-{tool}-12");
        out.exec(&format!("usr/bin/{bin}"), size, next());
        out.symlink(&format!("usr/bin/{tool}-12"), &bin);
        if part == GccPart::Driver {
            for extra in [
                "gcc-ar",
                "gcc-nm",
                "gcc-ranlib",
                "gcov",
                "gcov-dump",
                "gcov-tool",
            ] {
                let size = rng.log_uniform(20_000, 600_000).min(bulk / 20).max(1);
                let bin = format!("x86_64-linux-gnu-{extra}-12");
                out.exec(&format!("usr/bin/{bin}"), size, next());
                out.symlink(&format!("usr/bin/{extra}-12"), &bin);
            }
            out.exec("usr/bin/lto-dump-12", bulk / 5, next());
        }
        let page = rng.log_uniform(20_000, 90_000);
        out.file(&format!("usr/share/man/man1/{bin}.1.gz"), page, next());
    } else {
        // The intrinsics and sanitizer headers.
        let headers = fill(rng, (bulk / 10).max(1), 800, 60_000);
        let mut namer = Namer::default();
        for (i, size) in headers.into_iter().enumerate() {
            let name = namer.pick(rng, WORDS);
            let dir = if i % 5 == 4 {
                "include/sanitizer"
            } else {
                "include"
            };
            out.file(&format!("{lib}/{dir}/{name}intrin.h"), size, next());
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn tree_files(
    out: &mut DebOut,
    deb: &Deb,
    kind: TreeKind,
    bulk: u64,
    sz: &Sizer,
    rng: &mut Rng,
    next: &mut impl FnMut() -> u64,
) {
    let mut namer = Namer::default();
    match kind {
        TreeKind::Zoneinfo => {
            for (i, size) in fill(rng, bulk, 120, 3500).into_iter().enumerate() {
                let region = ZONE_REGIONS[i % ZONE_REGIONS.len()];
                let city = ZONE_CITIES[(i / ZONE_REGIONS.len()) % ZONE_CITIES.len()];
                let round = i / (ZONE_REGIONS.len() * ZONE_CITIES.len());
                let path = if round == 0 {
                    format!("usr/share/zoneinfo/{region}/{city}")
                } else {
                    format!("usr/share/zoneinfo/right/{region}/{city}{round}")
                };
                out.file(&path, size, next());
            }
            out.text(
                "usr/share/zoneinfo/zone.tab",
                "# tz zone descriptions\n".repeat(20),
            );
        }
        TreeKind::Perl => {
            let root = match deb.name {
                "perl-base" => "usr/lib/x86_64-linux-gnu/perl-base",
                "perl-modules-5.36" => "usr/share/perl/5.36",
                _ => "usr/share/perl5",
            };
            let mut bulk = bulk;
            if deb.name == "perl-base" {
                out.exec("usr/bin/perl", bulk / 4, next());
                bulk -= bulk / 4;
            }
            let ns = capitalized(
                &deb.name
                    .split('-')
                    .next()
                    .unwrap_or("Perl")
                    .replace('.', ""),
            );
            let mut dir = format!("{root}/{ns}");
            for (i, size) in fill(rng, bulk, sz.typical(400), sz.typical(60_000))
                .into_iter()
                .enumerate()
            {
                if i % 12 == 11 {
                    dir = format!("{root}/{ns}/{}", capitalized(&namer.pick(rng, WORDS)));
                }
                let m = capitalized(&namer.pick(rng, WORDS));
                out.file(&format!("{dir}/{m}.pm"), size, next());
            }
        }
        TreeKind::PyStdlib => {
            let root = "usr/lib/python3.11";
            let names = stdlib_paths(deb.name == "libpython3.11-minimal");
            let n = names.len();
            for (path, size) in names.iter().zip(spread(rng, bulk * 2 / 3, n)) {
                out.file(&format!("{root}/{path}.py"), size, next());
            }
            // Compiled at install time by py3compile: present, but no .list owns them.
            for (path, size) in names.iter().zip(spread(rng, bulk / 3, n)).step_by(2) {
                let (dir, module) = layerlens::internals::split_parent(path);
                let pyc = if dir.is_empty() {
                    format!("{root}/__pycache__/{module}.cpython-311.pyc")
                } else {
                    format!("{root}/{dir}/__pycache__/{module}.cpython-311.pyc")
                };
                out.layer.file(&pyc, size, next());
            }
        }
        TreeKind::Certs => {
            let n = ((bulk / 1800) as usize).clamp(8, 146);
            let mut bundle = 0;
            for size in spread(rng, bulk, n) {
                let name = format!(
                    "{}_{}_Root_CA",
                    capitalized(&namer.pick(rng, WORDS)),
                    capitalized(WORDS[rng.below(WORDS.len() as u64) as usize])
                );
                let crt = format!("usr/share/ca-certificates/mozilla/{name}.crt");
                out.file(&crt, size, next());
                // update-ca-certificates makes these: not in the package's list.
                out.layer
                    .symlink(&format!("etc/ssl/certs/{name}.pem"), &format!("/{crt}"));
                out.layer.symlink(
                    &format!("etc/ssl/certs/{}.0", hex_of(&name, 8)),
                    &format!("{name}.pem"),
                );
                bundle += size;
            }
            out.layer
                .file("etc/ssl/certs/ca-certificates.crt", bundle, next());
        }
        TreeKind::KernelHeaders => {
            for (i, size) in fill(rng, bulk, sz.typical(300), sz.typical(40_000))
                .into_iter()
                .enumerate()
            {
                let dir = match i % 10 {
                    0 => "usr/include/asm-generic",
                    1 => "usr/include/x86_64-linux-gnu/asm",
                    2 => "usr/include/linux/netfilter",
                    3 => "usr/include/rdma",
                    _ => "usr/include/linux",
                };
                let name = namer.pick(rng, WORDS);
                out.file(&format!("{dir}/{name}.h"), size, next());
            }
        }
        TreeKind::Git => {
            out.exec("usr/bin/git", bulk * 45 / 100, next());
            out.exec("usr/lib/git-core/git-remote-http", bulk / 5, next());
            namer.used.insert("remote-http".into());
            for cmd in [
                "add",
                "am",
                "blame",
                "branch",
                "checkout",
                "cherry-pick",
                "clone",
                "commit",
                "config",
                "describe",
                "diff",
                "fetch",
                "fsck",
                "gc",
                "grep",
                "init",
                "log",
                "merge",
                "mv",
                "pull",
                "push",
                "rebase",
                "reflog",
                "remote",
                "reset",
                "restore",
                "revert",
                "rm",
                "show",
                "stash",
                "status",
                "switch",
                "tag",
                "worktree",
            ] {
                out.hardlink(&format!("usr/lib/git-core/git-{cmd}"), "usr/bin/git");
                namer.used.insert(cmd.to_string());
            }
            let rest = bulk * 35 / 100;
            for (i, size) in fill(rng, rest, 400, 40_000).into_iter().enumerate() {
                let name = namer.pick(rng, WORDS);
                let path = match i % 4 {
                    0 => format!("usr/share/git-core/templates/hooks/{name}.sample"),
                    1 => format!("usr/share/perl5/Git/{}.pm", capitalized(&name)),
                    _ => format!("usr/lib/git-core/git-{name}"),
                };
                out.file(&path, size, next());
            }
        }
        TreeKind::ManPages => {
            // manpages-dev: system calls and library functions; manpages: files and
            // overviews; git-man: commands and guides.
            let sections = match deb.name {
                "manpages-dev" => [2, 3],
                "manpages" => [5, 7],
                _ => [1, 7],
            };
            for (i, size) in fill(rng, bulk, 600, 9000).into_iter().enumerate() {
                let section = sections[usize::from(i % 4 == 3)];
                let name = namer.pick(rng, WORDS);
                let name = if deb.name == "git-man" {
                    format!("git-{name}")
                } else {
                    name
                };
                out.file(
                    &format!("usr/share/man/man{section}/{name}.{section}.gz"),
                    size,
                    next(),
                );
            }
        }
        TreeKind::Fonts => {
            let faces = [
                "DejaVuSans",
                "DejaVuSans-Bold",
                "DejaVuSansMono",
                "DejaVuSansMono-Bold",
                "DejaVuSerif",
                "DejaVuSerif-Bold",
            ];
            for (face, size) in faces.iter().zip(spread(rng, bulk, faces.len())) {
                out.file(
                    &format!("usr/share/fonts/truetype/dejavu/{face}.ttf"),
                    size,
                    next(),
                );
            }
        }
        TreeKind::Cxx => {
            let lib = "usr/lib/gcc/x86_64-linux-gnu/12";
            out.file(&format!("{lib}/libstdc++.a"), bulk * 35 / 100, next());
            out.file(&format!("{lib}/libsupc++.a"), bulk / 20, next());
            for (i, size) in fill(rng, bulk * 6 / 10, sz.typical(500), sz.typical(80_000))
                .into_iter()
                .enumerate()
            {
                let dir = match i % 6 {
                    0 | 1 => "usr/include/c++/12/bits",
                    2 => "usr/include/c++/12/ext",
                    3 => "usr/include/c++/12/debug",
                    _ => "usr/include/c++/12",
                };
                let name = namer.pick(rng, WORDS);
                let file = if dir.ends_with("/12") {
                    name
                } else {
                    format!("{name}.h")
                };
                out.file(&format!("{dir}/{file}"), size, next());
            }
        }
        TreeKind::Coders => {
            let dir = "usr/lib/x86_64-linux-gnu/ImageMagick-6.9.11/modules-Q16/coders";
            for size in fill(rng, bulk, sz.typical(8000), sz.typical(300_000)) {
                let name = namer.pick(rng, WORDS);
                out.file(&format!("{dir}/{name}.so"), size, next());
                out.text(
                    &format!("{dir}/{name}.la"),
                    format!("# {name}.la - a libtool library file\ndlname='{name}.so'\nlibrary_names='{name}.so'\n"),
                );
            }
        }
        TreeKind::Terminfo => {
            for name in [
                "ansi",
                "dumb",
                "linux",
                "rxvt",
                "rxvt-unicode",
                "screen",
                "screen-256color",
                "sun",
                "tmux",
                "tmux-256color",
                "vt100",
                "vt102",
                "vt220",
                "vt52",
                "xterm",
                "xterm-256color",
                "xterm-color",
                "xterm-mono",
                "xterm-r6",
                "cygwin",
                "mach",
                "pcansi",
                "hurd",
                "wsvt25",
                "cons25",
                "Eterm",
                "kitty",
            ] {
                let size = rng.log_uniform(600, 4000).min(bulk.max(600));
                let initial = &name[..1].to_lowercase();
                out.file(
                    &format!("usr/share/terminfo/{initial}/{name}"),
                    size,
                    next(),
                );
            }
        }
        TreeKind::Libc => {
            let so = "usr/lib/x86_64-linux-gnu";
            for (name, pct) in [
                ("libc.so.6", 30),
                ("ld-linux-x86-64.so.2", 4),
                ("libm.so.6", 14),
                ("libmvec.so.1", 4),
                ("libresolv.so.2", 1),
                ("libpthread.so.0", 1),
                ("libdl.so.2", 1),
                ("librt.so.1", 1),
                ("libutil.so.1", 1),
                ("libnss_files.so.2", 1),
                ("libnss_dns.so.2", 1),
                ("libanl.so.1", 1),
            ] {
                out.file(&format!("{so}/{name}"), bulk * pct / 100, next());
            }
            out.symlink(
                "usr/lib64/ld-linux-x86-64.so.2",
                "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
            );
            let gconv = format!("{so}/gconv");
            for (i, size) in fill(rng, bulk * 38 / 100, sz.typical(6000), sz.typical(250_000))
                .into_iter()
                .enumerate()
            {
                let name = match i % 5 {
                    0 => format!("IBM{}", 37 + i * 7),
                    1 => format!("ISO8859-{}", 1 + i % 16),
                    2 => format!("CP{}", 1250 + i),
                    3 => format!("EBCDIC-{}", namer.pick(rng, WORDS).to_uppercase()),
                    _ => format!("{}-{}", namer.pick(rng, WORDS).to_uppercase(), i),
                };
                out.file(&format!("{gconv}/{name}.so"), size, next());
            }
            out.text(
                &format!("{gconv}/gconv-modules"),
                "# GNU libc iconv configuration.\n".repeat(40),
            );
        }
        TreeKind::Data => {
            let fixed: &[&str] = match deb.name {
                "base-files" => &[
                    "etc/debian_version",
                    "etc/host.conf",
                    "etc/issue",
                    "etc/issue.net",
                    "etc/motd",
                    "etc/profile",
                    "usr/lib/os-release",
                    "usr/share/common-licenses/Apache-2.0",
                    "usr/share/common-licenses/GPL-2",
                    "usr/share/common-licenses/GPL-3",
                    "usr/share/common-licenses/LGPL-2.1",
                    "usr/share/common-licenses/MPL-2.0",
                ],
                "netbase" => &["etc/protocols", "etc/services", "etc/rpc", "etc/ethertypes"],
                "media-types" => &["etc/mime.types"],
                _ => &[],
            };
            if fixed.is_empty() {
                let exts = ["m4", "am", "txt", "conf", "pl", "xml", "json", "dat"];
                for (i, size) in fill(rng, bulk, sz.typical(300), sz.typical(40_000))
                    .into_iter()
                    .enumerate()
                {
                    let name = namer.pick(rng, WORDS);
                    let ext = exts[i % exts.len()];
                    out.file(
                        &format!("usr/share/{}/{name}.{ext}", deb.name),
                        size,
                        next(),
                    );
                }
            } else {
                for (path, size) in fixed.iter().zip(spread(rng, bulk, fixed.len())) {
                    out.file(path, size, next());
                }
                if deb.name == "base-files" {
                    out.symlink("etc/os-release", "../usr/lib/os-release");
                }
            }
        }
        TreeKind::DistPackages => {
            let pkg = deb.name.trim_end_matches("-common");
            let root = format!("usr/lib/python3/dist-packages/{pkg}");
            let mut dir = root.clone();
            for (i, size) in fill(rng, bulk, sz.typical(500), sz.typical(60_000))
                .into_iter()
                .enumerate()
            {
                if i % 15 == 14 {
                    dir = format!("{root}/{}", namer.pick(rng, WORDS));
                }
                let name = namer.pick(rng, WORDS);
                let ext = if i % 25 == 24 {
                    "cpython-311-x86_64-linux-gnu.so"
                } else {
                    "py"
                };
                out.file(&format!("{dir}/{name}.{ext}"), size, next());
            }
        }
    }
}

/// The standard library's module paths (without `.py`): the top-level modules for
/// `minimal`, the packages otherwise.
fn stdlib_paths(minimal: bool) -> Vec<String> {
    if minimal {
        return PY_MODULES.iter().map(|m| m.to_string()).collect();
    }
    let mut out = Vec::new();
    for (pkg, modules) in PY_PACKAGES {
        out.push(format!("{pkg}/__init__"));
        out.extend(modules.split(',').map(|m| format!("{pkg}/{m}")));
    }
    out
}

/// The dpkg database as the layers build it up.
#[derive(Default, Clone)]
struct Dpkg {
    stanzas: BTreeMap<String, String>,
    log: String,
}

impl Dpkg {
    fn status(&self) -> String {
        self.stanzas.values().cloned().collect()
    }
}

/// Install `debs` into `layer` with `budget` bytes: files, `.list` files, the whole
/// `status` (rewritten, as dpkg does), its previous version as `status-old`, and the log.
fn install_debs(layer: &mut TreeLayer, debs: &[Deb], budget: u64, sz: &Sizer, db: &mut Dpkg) {
    let total: f64 = debs.iter().map(|d| d.weight).sum();
    let previous = db.status();
    let essential_layer = db.stanzas.is_empty();
    let mut rng = sz.rng(&format!("dpkg {}", debs.len()));
    for (i, deb) in debs.iter().enumerate() {
        let b = (budget as f64 * deb.weight / total) as u64;
        let (listed, bytes) = deb_files(layer, deb, b, sz);
        let arch = if is_multiarch(deb) { ":amd64" } else { "" };
        layer.text(
            &format!("var/lib/dpkg/info/{}{arch}.list", deb.name),
            list_text(&listed),
        );
        let depends: BTreeMap<&str, &Deb> = (0..rng.below(4))
            .filter_map(|_| debs.get(rng.below(i.max(1) as u64) as usize))
            .filter(|d| d.name != deb.name)
            .map(|d| (d.name, d))
            .collect();
        let depends: Vec<&Deb> = depends.into_values().collect();
        let essential = essential_layer && rng.below(3) == 0;
        db.stanzas.insert(
            deb.name.to_string(),
            stanza(deb, bytes, &depends, essential),
        );
        db.log.push_str(&format!(
            "2024-06-10 00:00:{:02} status installed {}{} {}\n",
            i % 60,
            deb.name,
            if arch.is_empty() { ":all" } else { arch },
            deb.version
        ));
    }
    layer.text("var/lib/dpkg/status", db.status());
    if !previous.is_empty() {
        layer.text("var/lib/dpkg/status-old", previous);
    }
    layer.text("var/log/dpkg.log", db.log.clone());
    let history: String = debs
        .iter()
        .map(|d| format!("{}:amd64 ({})", d.name, d.version))
        .collect::<Vec<_>>()
        .join(", ");
    layer.text(
        "var/log/apt/history.log",
        format!("\nStart-Date: 2024-06-10  00:00:00\nInstall: {history}\nEnd-Date: 2024-06-10  00:01:00\n"),
    );
    let templates = sz.typical(400_000);
    layer.file(
        "var/cache/debconf/templates.dat",
        templates,
        sz.seed_of(&format!("templates {}", db.stanzas.len())),
    );
    layer.file(
        "etc/ld.so.cache",
        sz.typical(20_000),
        sz.seed_of(&format!("ld.so.cache {}", db.stanzas.len())),
    );
}

/// `debian:bookworm`'s root filesystem.
fn debian_layer(sz: &Sizer, budget: u64, db: &mut Dpkg) -> TreeLayer {
    let mut l = TreeLayer::new();
    for (link, target) in [
        ("bin", "usr/bin"),
        ("lib", "usr/lib"),
        ("lib64", "usr/lib64"),
        ("sbin", "usr/sbin"),
    ] {
        l.symlink(link, target);
    }
    for dir in [
        "tmp", "root", "home", "run", "var/tmp", "srv", "opt", "mnt", "media",
    ] {
        l.dir(dir);
    }
    l.text(
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
    );
    l.text(
        "etc/group",
        "root:x:0:\ndaemon:x:1:\nbin:x:2:\nnogroup:x:65534:\n",
    );
    l.text(
        "etc/shadow",
        "root:*:19800:0:99999:7:::\ndaemon:*:19800:0:99999:7:::\n",
    );
    l.symlink("etc/alternatives/awk", "/usr/bin/mawk");
    l.symlink("usr/bin/awk", "/etc/alternatives/awk");
    l.symlink("etc/alternatives/pager", "/bin/more");
    install_debs(&mut l, DEBIAN, budget, sz, db);
    l
}

/// `buildpack-deps:bookworm`'s three steps (curl, scm, the tool chain) as one layer.
fn build_deps_layer(sz: &Sizer, budget: u64, db: &mut Dpkg) -> TreeLayer {
    let mut l = TreeLayer::new();
    for (alt, target) in [
        ("cc", "/usr/bin/gcc"),
        ("c++", "/usr/bin/g++"),
        ("cpp", "/usr/bin/cpp"),
        ("pager", "/usr/bin/less"),
    ] {
        l.symlink(&format!("etc/alternatives/{alt}"), target);
        l.symlink(
            &format!("usr/bin/{alt}"),
            &format!("/etc/alternatives/{alt}"),
        );
    }
    install_debs(&mut l, BUILD_DEPS, budget, sz, db);
    l
}

// ---------------------------------------------------------------------------------
// Python distributions
// ---------------------------------------------------------------------------------

/// Plan one installed distribution into `layer` under `site` (scripts under `bin`):
/// its modules and their `__pycache__`, extension modules, data, the `.dist-info` with a
/// RECORD of all of it. The bytes depend only on the distribution, version and budget.
#[allow(clippy::too_many_arguments)]
fn install_dist(
    layer: &mut TreeLayer,
    site: &str,
    bin: &str,
    dist: &Dist,
    version: &str,
    budget: u64,
    requested: bool,
    sz: &Sizer,
) {
    let key = format!("dist {} {version}", dist.name);
    let mut rng = sz.rng(&key);
    let seed = sz.seed_of(&key);
    let mut n = 0u64;
    let mut next = || {
        n += 1;
        mix(seed, n)
    };
    let mut rec = Record {
        site,
        listed: Vec::new(),
    };
    let tops: Vec<&str> = dist.top.split(',').collect();
    let packages: Vec<&str> = tops
        .iter()
        .copied()
        .filter(|t| !t.ends_with(".py") && !t.ends_with(".libs") && !t.starts_with('_'))
        .collect();
    let (native_share, data_share) = match dist.kind {
        DistKind::Pure => (0.0, 0.0),
        DistKind::Binary => (0.55 + rng.below(30) as f64 / 100.0, 0.0),
        DistKind::Data => (0.0, 0.5 + rng.below(45) as f64 / 100.0),
    };
    let native = (budget as f64 * native_share) as u64;
    let data = (budget as f64 * data_share) as u64;
    let py = budget.saturating_sub(native + data).max(64);
    // Extension modules: in the first package, top-level `_x` modules, vendored libs.
    if native > 0 {
        let vendored = tops.iter().find(|t| t.ends_with(".libs"));
        let mut left = native;
        if let Some(dir) = vendored {
            let share = left * 2 / 5;
            left -= share;
            let k = 1 + rng.below(3) as usize;
            let mut namer = Namer::default();
            for size in spread(&mut rng, share, k) {
                let name = namer.pick(&mut rng, WORDS);
                let rel = format!(
                    "{dir}/lib{name}-{}.so.{}",
                    hex_of(&key, 8),
                    1 + rng.below(3)
                );
                rec.add(layer, &rel, size, next(), true);
            }
        }
        let modules: Vec<&str> = tops
            .iter()
            .copied()
            .filter(|t| t.starts_with('_'))
            .collect();
        let k = (1 + (dist.weight / 6.0) as usize).min(12);
        let mut namer = Namer::default();
        for (j, size) in spread(&mut rng, left, k + modules.len())
            .into_iter()
            .enumerate()
        {
            let rel = match (modules.get(j), packages.first()) {
                (Some(m), _) => format!("{m}.cpython-311-x86_64-linux-gnu.so"),
                (None, Some(p)) => {
                    let sub = if j % 3 == 2 { "/_libs" } else { "" };
                    let name = namer.pick(&mut rng, WORDS);
                    format!("{p}{sub}/_{name}.cpython-311-x86_64-linux-gnu.so")
                }
                (None, None) => format!("_{}.cpython-311-x86_64-linux-gnu.so", dist.name),
            };
            rec.add(layer, &rel, size, next(), true);
        }
    }
    // Data files.
    if data > 0 {
        let p = packages.first().copied().unwrap_or(dist.name);
        match dist.name {
            "certifi" => rec.add(layer, "certifi/cacert.pem", data, next(), true),
            "python-dateutil" => rec.add(
                layer,
                "dateutil/zoneinfo/dateutil-zoneinfo.tar.gz",
                data,
                next(),
                true,
            ),
            "pytz" | "tzdata" => {
                let dir = if dist.name == "pytz" {
                    "pytz/zoneinfo"
                } else {
                    "tzdata/zoneinfo"
                };
                for (i, size) in fill(&mut rng, data, 120, 3500).into_iter().enumerate() {
                    let region = ZONE_REGIONS[i % ZONE_REGIONS.len()];
                    let city = ZONE_CITIES[(i / ZONE_REGIONS.len()) % ZONE_CITIES.len()];
                    let round = i / (ZONE_REGIONS.len() * ZONE_CITIES.len());
                    rec.add(
                        layer,
                        &format!(
                            "{dir}/{region}/{city}{}",
                            if round > 0 {
                                round.to_string()
                            } else {
                                String::new()
                            }
                        ),
                        size,
                        next(),
                        true,
                    );
                }
            }
            "django" | "djangorestframework" => {
                let locale = data / 2;
                let langs = LANGS.len().min(1 + (locale / sz.typical(20_000)) as usize);
                for (lang, size) in LANGS[..langs].iter().zip(spread(&mut rng, locale, langs)) {
                    rec.add(
                        layer,
                        &format!("{p}/conf/locale/{lang}/LC_MESSAGES/django.po"),
                        size * 2 / 3,
                        next(),
                        true,
                    );
                    rec.add(
                        layer,
                        &format!("{p}/conf/locale/{lang}/LC_MESSAGES/django.mo"),
                        size / 3,
                        next(),
                        true,
                    );
                }
                let mut namer = Namer::default();
                let exts = ["css", "js", "svg", "html", "js", "txt"];
                for (i, size) in fill(&mut rng, data - locale, sz.typical(300), sz.typical(60_000))
                    .into_iter()
                    .enumerate()
                {
                    let ext = exts[i % exts.len()];
                    let kind = if ext == "html" {
                        "templates/admin"
                    } else {
                        "static/admin"
                    };
                    let name = namer.pick(&mut rng, WORDS);
                    rec.add(
                        layer,
                        &format!("{p}/contrib/admin/{kind}/{name}.{ext}"),
                        size,
                        next(),
                        true,
                    );
                }
            }
            _ => {
                let files = [
                    "service-2.json",
                    "paginators-1.json",
                    "waiters-2.json",
                    "endpoint-rule-set-1.json",
                    "examples-1.json",
                ];
                let mut namer = Namer::default();
                let mut dir = String::new();
                for (i, size) in fill(&mut rng, data, sz.typical(200), sz.typical(200_000))
                    .into_iter()
                    .enumerate()
                {
                    if i % files.len() == 0 {
                        let svc = namer.pick(&mut rng, WORDS);
                        dir = format!("{p}/data/{svc}/2024-0{}-01", 1 + i % 9);
                    }
                    rec.add(
                        layer,
                        &format!("{dir}/{}", files[i % files.len()]),
                        size,
                        next(),
                        true,
                    );
                }
            }
        }
    }
    // Python modules, each with its `__pycache__` (pip compiles; RECORD lists the
    // `.pyc` without a digest).
    let single: Vec<&str> = tops
        .iter()
        .copied()
        .filter(|t| t.ends_with(".py"))
        .collect();
    let holders = packages.len() + single.len();
    let shares = if holders == 0 {
        Vec::new()
    } else {
        spread(&mut rng, py, holders)
    };
    for (h, share) in shares.into_iter().enumerate() {
        if h >= packages.len() {
            let module = single[h - packages.len()];
            let stem = module.trim_end_matches(".py");
            let size = (share * 6 / 10).max(1);
            rec.add(layer, module, size, next(), true);
            let pyc = format!("__pycache__/{stem}.cpython-311.pyc");
            rec.add(
                layer,
                &pyc,
                share.saturating_sub(size).max(1),
                next(),
                false,
            );
            continue;
        }
        let pkg = packages[h];
        let mut dir = pkg.to_string();
        let mut namer = Namer::default();
        let mut sub_namer = Namer::default();
        let sizes = fill(&mut rng, share, sz.typical(250), sz.typical(40_000));
        for (i, size) in sizes.into_iter().enumerate() {
            let module = if i == 0 || i % 14 == 13 {
                if i > 0 {
                    dir = format!("{pkg}/{}", sub_namer.pick(&mut rng, WORDS));
                    namer = Namer::default();
                }
                "__init__".to_string()
            } else {
                namer.pick(&mut rng, WORDS)
            };
            let py_size = (size * 6 / 10).max(1);
            rec.add(layer, &format!("{dir}/{module}.py"), py_size, next(), true);
            let pyc = format!("{dir}/__pycache__/{module}.cpython-311.pyc");
            rec.add(
                layer,
                &pyc,
                size.saturating_sub(py_size).max(1),
                next(),
                false,
            );
        }
        if rng.below(3) == 0 {
            rec.text(layer, &format!("{pkg}/py.typed"), String::new());
        }
    }
    // Console scripts.
    let mut entry_points = String::new();
    for script in dist.scripts.split(',').filter(|s| !s.is_empty()) {
        let module = packages.first().copied().unwrap_or("main");
        let text = format!(
            "#!/usr/local/bin/python3.11\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom {}.cli import main\nif __name__ == \"__main__\":\n    sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n    sys.exit(main())\n",
            module.replace('/', ".")
        );
        let i = layer.text(&format!("{bin}/{script}"), text);
        layer.set_mode(i, 0o755);
        rec.listed.push((format!("../../../bin/{script}"), Some(i)));
        entry_points.push_str(&format!(
            "{script} = {}.cli:main\n",
            module.replace('/', ".")
        ));
    }
    // The .dist-info.
    let info = format!("{}-{version}.dist-info", dist.name.replace('-', "_"));
    rec.text(layer, &format!("{info}/INSTALLER"), "pip\n".into());
    rec.text(
        layer,
        &format!("{info}/METADATA"),
        format!(
            "Metadata-Version: 2.1\nName: {}\nVersion: {version}\nSummary: The {} distribution\nHome-page: https://pypi.org/project/{}/\nLicense: MIT\nRequires-Python: >=3.8\nClassifier: Programming Language :: Python :: 3.11\nDescription-Content-Type: text/markdown\n\n# {}\n\n{}\n",
            dist.name,
            dist.name,
            dist.name,
            dist.name,
            "A library for Python services. ".repeat(1 + rng.below(60) as usize)
        ),
    );
    if requested {
        rec.text(layer, &format!("{info}/REQUESTED"), String::new());
    }
    rec.text(
        layer,
        &format!("{info}/WHEEL"),
        format!(
            "Wheel-Version: 1.0\nGenerator: bdist_wheel (0.43.0)\nRoot-Is-Purelib: {}\nTag: {}\n",
            dist.kind != DistKind::Binary,
            if dist.kind == DistKind::Binary {
                "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"
            } else {
                "py3-none-any"
            }
        ),
    );
    let top_level: Vec<&str> = tops
        .iter()
        .map(|t| t.trim_end_matches(".py"))
        .filter(|t| !t.ends_with(".libs"))
        .map(|t| t.split('/').next().unwrap_or(t))
        .collect();
    rec.text(
        layer,
        &format!("{info}/top_level.txt"),
        top_level.join("\n") + "\n",
    );
    if !entry_points.is_empty() {
        rec.text(
            layer,
            &format!("{info}/entry_points.txt"),
            format!("[console_scripts]\n{entry_points}"),
        );
    }
    let license = rng.log_uniform(1000, 12_000);
    rec.add(layer, &format!("{info}/LICENSE"), license, next(), true);
    layer.record(
        &format!("{site}/{info}/RECORD"),
        &format!("{info}/RECORD"),
        rec.listed,
    );
}

/// What a wheel's RECORD lists, as the files are planned.
struct Record<'a> {
    site: &'a str,
    listed: Vec<(String, Option<usize>)>,
}

impl Record<'_> {
    /// A generated file at `rel` (relative to site-packages), listed with its digest
    /// when `hashed`.
    fn add(&mut self, layer: &mut TreeLayer, rel: &str, size: u64, seed: u64, hashed: bool) {
        let i = layer.file(&format!("{}/{rel}", self.site), size, seed);
        self.listed.push((rel.to_string(), hashed.then_some(i)));
    }

    /// A text file at `rel`, listed with its digest.
    fn text(&mut self, layer: &mut TreeLayer, rel: &str, text: String) {
        let i = layer.text(&format!("{}/{rel}", self.site), text);
        self.listed.push((rel.to_string(), Some(i)));
    }
}

/// pip's HTTP cache entry for a downloaded wheel: the same bytes wherever that
/// distribution version was downloaded.
fn pip_cache_entry(layer: &mut TreeLayer, dist: &Dist, version: &str, wheel: u64, sz: &Sizer) {
    let url = format!(
        "https://files.pythonhosted.org/packages/{}-{version}-py3-none-any.whl",
        dist.name
    );
    let h = hex_of(&url, 56);
    let dir = format!(
        "root/.cache/pip/http-v2/{}/{}/{}/{}/{}",
        &h[0..1],
        &h[1..2],
        &h[2..3],
        &h[3..4],
        &h[4..5]
    );
    layer.file(
        &format!("{dir}/{h}"),
        1100 + (fnv(&url) % 900),
        sz.seed_of(&url),
    );
    layer.file(
        &format!("{dir}/{h}.body"),
        wheel,
        sz.seed_of(&format!("{url} body")),
    );
}

/// `python:3.11`'s own layer: Python built from source under `usr/local`.
fn python_layer(sz: &Sizer, budget: u64) -> TreeLayer {
    let mut l = TreeLayer::new();
    let mut rng = sz.rng("python 3.11.9");
    let seed = sz.seed_of("python 3.11.9");
    let mut n = 0u64;
    let mut next = || {
        n += 1;
        mix(seed, n)
    };
    let lib = "usr/local/lib/python3.11";
    l.exec("usr/local/bin/python3.11", 16_000, next());
    l.symlink("usr/local/bin/python3", "python3.11");
    l.symlink("usr/local/bin/pydoc3", "pydoc3.11");
    l.symlink("usr/local/bin/idle3", "idle3.11");
    l.symlink("usr/local/bin/python3-config", "python3.11-config");
    for script in ["idle3.11", "pydoc3.11", "2to3-3.11", "python3.11-config"] {
        let i = l.text(
            &format!("usr/local/bin/{script}"),
            format!("#!/usr/local/bin/python3.11\n# {script}\nimport sys\nsys.exit(0)\n"),
        );
        l.set_mode(i, 0o755);
    }
    l.file("usr/local/lib/libpython3.11.so.1.0", budget / 4, next());
    l.symlink("usr/local/lib/libpython3.11.so", "libpython3.11.so.1.0");
    l.file("usr/local/lib/libpython3.so", 15_000, next());
    l.text(
        "usr/local/lib/pkgconfig/python-3.11.pc",
        "prefix=/usr/local\nName: Python\nVersion: 3.11\nLibs: -L${libdir} -lpython3.11\n",
    );
    l.symlink("usr/local/lib/pkgconfig/python3.pc", "python-3.11.pc");
    let mut namer = Namer::default();
    for (i, size) in fill(&mut rng, budget / 20, sz.typical(800), sz.typical(60_000))
        .into_iter()
        .enumerate()
    {
        let dir = match i % 4 {
            0 => "usr/local/include/python3.11/cpython",
            1 => "usr/local/include/python3.11/internal",
            _ => "usr/local/include/python3.11",
        };
        let name = namer.pick(&mut rng, WORDS);
        l.file(&format!("{dir}/{name}.h"), size, next());
    }
    // The standard library, every module with its __pycache__: the real names, then
    // more modules in its packages (about 1,200 at 1 GB), as many as the real one has.
    let mut paths = stdlib_paths(true);
    paths.extend(stdlib_paths(false));
    let mut namers: BTreeMap<&str, Namer> = BTreeMap::new();
    for (pkg, modules) in PY_PACKAGES {
        let namer = namers.entry(pkg).or_default();
        namer.used.extend(modules.split(',').map(String::from));
    }
    for k in 0..(1200.0 * sz.sf) as usize {
        let pkg = PY_PACKAGES[k % PY_PACKAGES.len()].0;
        let name = namers
            .get_mut(pkg)
            .expect("every package has a namer")
            .pick(&mut rng, WORDS);
        paths.push(format!("{pkg}/{name}"));
    }
    let n_paths = paths.len();
    let stdlib = budget * 45 / 100;
    for (path, size) in paths.iter().zip(spread(&mut rng, stdlib, n_paths)) {
        let py = (size * 55 / 100).max(1);
        l.file(&format!("{lib}/{path}.py"), py, next());
        let (dir, module) = layerlens::internals::split_parent(path);
        let cache = if dir.is_empty() {
            format!("{lib}/__pycache__")
        } else {
            format!("{lib}/{dir}/__pycache__")
        };
        l.file(
            &format!("{cache}/{module}.cpython-311.pyc"),
            size.saturating_sub(py).max(1),
            next(),
        );
    }
    let k = PY_DYNLOAD.len();
    for (m, size) in PY_DYNLOAD.iter().zip(spread(&mut rng, budget / 10, k)) {
        l.file(
            &format!("{lib}/lib-dynload/{m}.cpython-311-x86_64-linux-gnu.so"),
            size,
            next(),
        );
    }
    for f in [
        "Makefile",
        "Setup",
        "Setup.local",
        "config.c",
        "python-config.py",
    ] {
        let size = rng.log_uniform(500, 80_000);
        l.file(
            &format!("{lib}/config-3.11-x86_64-linux-gnu/{f}"),
            size,
            next(),
        );
    }
    l.file(
        &format!("{lib}/ensurepip/_bundled/pip-24.0-py3-none-any.whl"),
        budget / 30,
        next(),
    );
    l.file(
        &format!("{lib}/ensurepip/_bundled/setuptools-65.5.1-py3-none-any.whl"),
        budget / 60,
        next(),
    );
    l.file("usr/local/share/man/man1/python3.11.1", 9_800, next());
    let rest = budget.saturating_sub(l.bytes());
    let bundled = [
        catalog::Dist {
            name: "pip",
            top: "pip",
            versions: &["24.0"],
            weight: 6.0,
            kind: DistKind::Pure,
            scripts: "pip,pip3,pip3.11",
        },
        catalog::Dist {
            name: "setuptools",
            top: "setuptools,pkg_resources,_distutils_hack",
            versions: &["65.5.1"],
            weight: 3.0,
            kind: DistKind::Pure,
            scripts: "",
        },
        catalog::Dist {
            name: "wheel",
            top: "wheel",
            versions: &["0.43.0"],
            weight: 0.3,
            kind: DistKind::Pure,
            scripts: "wheel",
        },
    ];
    let total: f64 = bundled.iter().map(|d| d.weight).sum();
    for d in &bundled {
        let b = (rest as f64 * d.weight / total) as u64;
        install_dist(&mut l, SITE, "usr/local/bin", d, d.versions[0], b, true, sz);
    }
    l
}

/// The layer `python:3.11` adds after building: the unversioned names.
fn python_links_layer() -> TreeLayer {
    let mut l = TreeLayer::new();
    for (link, target) in [
        ("idle", "idle3"),
        ("pydoc", "pydoc3"),
        ("python", "python3"),
        ("python-config", "python3-config"),
    ] {
        l.symlink(&format!("usr/local/bin/{link}"), target);
    }
    l
}

/// The base's history: what made each of `layers` (bottom first) and the steps between.
fn base_history(with_build_deps: bool, with_python: bool) -> Vec<Step> {
    let mut h = vec![
        run("/bin/sh -c #(nop) ADD file:4b1be1de1a1e5aa608c688cad2824587262081866180b7368feb79d33ca05953 in / "),
        meta("/bin/sh -c #(nop)  CMD [\"bash\"]"),
    ];
    if with_build_deps {
        h.push(run("/bin/sh -c set -eux; \tapt-get update; \tapt-get install -y --no-install-recommends \t\tca-certificates curl gnupg netbase wget \t\tgit mercurial openssh-client subversion procps \t\tautoconf automake bzip2 dpkg-dev file g++ gcc imagemagick libbz2-dev libc6-dev libcurl4-openssl-dev libdb-dev libevent-dev libffi-dev libgdbm-dev libglib2.0-dev libgmp-dev libjpeg-dev libkrb5-dev liblzma-dev libmagickcore-dev libmagickwand-dev libmaxminddb-dev libncurses5-dev libncursesw5-dev libpng-dev libpq-dev libreadline-dev libsqlite3-dev libssl-dev libtool libwebp-dev libxml2-dev libxslt-dev libyaml-dev make patch unzip xz-utils zlib1g-dev default-libmysqlclient-dev \t; \trm -rf /var/lib/apt/lists/* # buildkit"));
    }
    if with_python {
        h.push(meta(
            "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ));
        h.push(meta("ENV LANG=C.UTF-8"));
        h.push(meta("ENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D"));
        h.push(meta("ENV PYTHON_VERSION=3.11.9"));
        h.push(run("RUN /bin/sh -c set -eux; \twget -O python.tar.xz \"https://www.python.org/ftp/python/${PYTHON_VERSION%%[a-z]*}/Python-$PYTHON_VERSION.tar.xz\"; \t./configure --enable-loadable-sqlite-extensions --enable-optimizations --enable-option-checking=fatal --enable-shared --with-lto --with-system-expat --without-ensurepip; \tmake -j \"$nproc\"; \tmake install; \tldconfig; \tpython3 -m ensurepip --default-pip; \tpython3 --version # buildkit"));
        h.push(run("RUN /bin/sh -c set -eux; \tfor src in idle3 pydoc3 python3 python3-config; do \t\tdst=\"$(echo \"$src\" | tr -d 3)\"; \t\t[ -s \"/usr/local/bin/$src\" ]; \t\t[ ! -e \"/usr/local/bin/$dst\" ]; \t\tln -svT \"$src\" \"/usr/local/bin/$dst\"; \tdone # buildkit"));
        h.push(meta("CMD [\"python3\"]"));
    }
    h
}

/// The base layers shared by the shapes.
struct Base {
    debian: usize,
    build_deps: usize,
    python: usize,
    links: usize,
}

fn push(layers: &mut Vec<LayerSpec>, layer: TreeLayer) -> usize {
    layers.push(LayerSpec::Tree(layer));
    layers.len() - 1
}

/// Plan the base layers with these shares of the scale.
fn base_layers(sz: &Sizer, layers: &mut Vec<LayerSpec>, pct: [f64; 3]) -> Base {
    let mut db = Dpkg::default();
    let debian = push(layers, debian_layer(sz, sz.pct(pct[0]), &mut db));
    let build_deps = push(layers, build_deps_layer(sz, sz.pct(pct[1]), &mut db));
    let python = push(layers, python_layer(sz, sz.pct(pct[2])));
    let links = push(layers, python_links_layer());
    Base {
        debian,
        build_deps,
        python,
        links,
    }
}

// ---------------------------------------------------------------------------------
// python-fleet
// ---------------------------------------------------------------------------------

fn dist(name: &str) -> &'static Dist {
    DISTS
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no distribution {name} in the catalog"))
}

/// One service: its dependencies (distribution, version, requested) by profile plus
/// extras; versions drawn so that most services share the usual one.
fn service_deps(sz: &Sizer, i: usize) -> Vec<(&'static Dist, &'static str, bool)> {
    let mut rng = sz.rng(&format!("service {i} deps"));
    let (_, profile) = PROFILES[i % PROFILES.len()];
    let mut chosen: BTreeMap<&str, bool> = BTreeMap::new();
    for (k, name) in profile.split(',').enumerate() {
        chosen.insert(name, k < 3);
    }
    let extras: Vec<&str> = EXTRAS.split(',').collect();
    for _ in 0..2 + rng.below(6) {
        let name = extras[rng.below(extras.len() as u64) as usize];
        chosen.entry(name).or_insert(true);
    }
    chosen
        .into_iter()
        .map(|(name, requested)| {
            let d = dist(name);
            let v = if d.versions.len() > 1 && rng.below(10) < 3 {
                d.versions[1]
            } else {
                d.versions[0]
            };
            (d, v, requested)
        })
        .collect()
}

/// npm packages of one frontend: (name, version, nested under).
fn npm_deps(sz: &Sizer, i: usize) -> Vec<(&'static str, &'static str, Option<&'static str>)> {
    let mut rng = sz.rng(&format!("service {i} npm"));
    let mut out = Vec::new();
    for (k, (name, versions, _)) in NPM.iter().enumerate() {
        if k > 3 && rng.below(10) < 3 {
            continue;
        }
        out.push((*name, versions[0], None));
        if versions.len() > 1 && rng.below(2) == 0 {
            let parent = NPM[rng.below(NPM.len() as u64) as usize].0;
            if parent != *name {
                out.push((*name, versions[1], Some(parent)));
            }
        }
    }
    out
}

fn npm_weight(name: &str) -> f64 {
    NPM.iter().find(|p| p.0 == name).map_or(0.1, |p| p.2)
}

/// Plan one npm package under `dir` (its `node_modules/<name>` directory).
fn install_npm(
    layer: &mut TreeLayer,
    dir: &str,
    name: &str,
    version: &str,
    budget: u64,
    sz: &Sizer,
) {
    let key = format!("npm {name} {version}");
    let mut rng = sz.rng(&key);
    let seed = sz.seed_of(&key);
    let mut n = 0u64;
    let mut next = || {
        n += 1;
        mix(seed, n)
    };
    let deps: Vec<String> = (0..rng.below(4))
        .map(|_| {
            let (d, v, _) = NPM[rng.below(NPM.len() as u64) as usize];
            format!("\"{d}\": \"^{}\"", v[0])
        })
        .filter(|d| !d.starts_with(&format!("\"{name}\"")))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    layer.text(
        &format!("{dir}/package.json"),
        format!(
            "{{\n  \"name\": \"{name}\",\n  \"version\": \"{version}\",\n  \"description\": \"The {name} package\",\n  \"main\": \"index.js\",\n  \"license\": \"MIT\",\n  \"repository\": {{\n    \"type\": \"git\",\n    \"url\": \"git+https://github.com/example/{}.git\"\n  }},\n  \"dependencies\": {{\n    {}\n  }}\n}}\n",
            name.trim_start_matches('@').replace('/', "-"),
            deps.join(",\n    ")
        ),
    );
    let readme = rng.log_uniform(800, 20_000);
    layer.file(&format!("{dir}/README.md"), readme, next());
    let license = rng.log_uniform(1000, 1200);
    layer.file(&format!("{dir}/LICENSE"), license, next());
    let index = rng.log_uniform(100, 3000);
    layer.file(&format!("{dir}/index.js"), index, next());
    let ext = if name.starts_with("@types/") {
        "d.ts"
    } else {
        "js"
    };
    let body = budget.saturating_sub(readme + license + index).max(1);
    let mut namer = Namer::default();
    let sizes = fill(&mut rng, body * 7 / 10, sz.typical(300), sz.typical(60_000));
    for (i, size) in sizes.into_iter().enumerate() {
        let sub = if i % 10 == 9 { "lib/internal" } else { "lib" };
        let file = namer.pick(&mut rng, WORDS);
        layer.file(&format!("{dir}/{sub}/{file}.{ext}"), size, next());
    }
    let base = name.rsplit('/').next().unwrap_or(name);
    layer.file(&format!("{dir}/dist/{base}.min.js"), body / 5, next());
    layer.file(&format!("{dir}/dist/{base}.min.js.map"), body / 10, next());
}

fn npm_layer(sz: &Sizer, i: usize, budget: u64) -> TreeLayer {
    let mut l = TreeLayer::new();
    let deps = npm_deps(sz, i);
    let total: f64 = NPM.iter().map(|p| p.2).sum();
    let root = "app/frontend";
    let mut lock = String::from(
        "{\n  \"name\": \"frontend\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n",
    );
    let mut direct = Vec::new();
    for (name, version, parent) in &deps {
        // Sized by the whole catalog, not this service's share of it: the same package
        // and version are the same bytes in every service.
        let b = (budget as f64 * npm_weight(name) / total) as u64;
        let dir = match parent {
            None => format!("{root}/node_modules/{name}"),
            Some(p) => format!("{root}/node_modules/{p}/node_modules/{name}"),
        };
        install_npm(&mut l, &dir, name, version, b.max(1), sz);
        let rel = dir.trim_start_matches(&format!("{root}/")).to_string();
        lock.push_str(&format!(
            "    \"{rel}\": {{\n      \"version\": \"{version}\",\n      \"resolved\": \"https://registry.npmjs.org/{name}/-/{}-{version}.tgz\",\n      \"integrity\": \"sha512-{}\"\n    }},\n",
            name.rsplit('/').next().unwrap_or(name),
            hex_of(&rel, 86)
        ));
        if parent.is_none() && direct.len() < 8 {
            direct.push(format!("\"{name}\": \"^{version}\""));
        }
    }
    lock.push_str("    \"\": {}\n  }\n}\n");
    l.text(
        &format!("{root}/package.json"),
        format!(
            "{{\n  \"name\": \"frontend\",\n  \"version\": \"1.0.0\",\n  \"private\": true,\n  \"dependencies\": {{\n    {}\n  }}\n}}\n",
            direct.join(",\n    ")
        ),
    );
    l.text(&format!("{root}/package-lock.json"), lock);
    l
}

/// `COPY . .`: the service's own code (and, in some, the `.git` directory nobody
/// excluded).
fn app_layer(sz: &Sizer, i: usize, budget: u64, with_git: bool) -> TreeLayer {
    let name = SERVICES[i % SERVICES.len()];
    let module = name.replace('-', "_");
    let mut l = TreeLayer::new();
    let key = format!("app {i}");
    let mut rng = sz.rng(&key);
    let seed = sz.seed_of(&key);
    let mut n = 0u64;
    let mut next = || {
        n += 1;
        mix(seed, n)
    };
    let mut namer = Namer::default();
    let mut dir = format!("app/{module}");
    for (k, size) in fill(&mut rng, budget / 2, sz.typical(300), sz.typical(25_000))
        .into_iter()
        .enumerate()
    {
        if k % 12 == 11 {
            dir = format!("app/{module}/{}", namer.pick(&mut rng, WORDS));
        }
        let file = if k == 0 || k % 12 == 11 {
            "__init__".to_string()
        } else {
            namer.pick(&mut rng, WORDS)
        };
        l.file(&format!("{dir}/{file}.py"), size, next());
    }
    let mut tests = Namer::default();
    for size in fill(&mut rng, budget / 10, sz.typical(500), sz.typical(20_000)) {
        let t = tests.pick(&mut rng, WORDS);
        l.file(&format!("app/tests/test_{t}.py"), size, next());
    }
    let statics = ["css", "js", "png", "svg", "woff2"];
    let mut st = Namer::default();
    for (k, size) in fill(
        &mut rng,
        budget * 3 / 10,
        sz.typical(400),
        sz.typical(400_000),
    )
    .into_iter()
    .enumerate()
    {
        let ext = statics[k % statics.len()];
        let f = st.pick(&mut rng, WORDS);
        l.file(&format!("app/static/{ext}/{f}.{ext}"), size, next());
    }
    l.text(
        "app/pyproject.toml",
        format!(
            "[project]\nname = \"{name}\"\nversion = \"1.{i}.0\"\nrequires-python = \">=3.11\"\n"
        ),
    );
    l.text(
        "app/gunicorn.conf.py",
        "bind = \"0.0.0.0:8000\"\nworkers = 4\naccesslog = \"-\"\n",
    );
    l.text(
        "app/README.md",
        format!("# {name}\n\nThe {name} service.\n"),
    );
    if with_git {
        l.text("app/.git/HEAD", "ref: refs/heads/main\n");
        l.text(
            "app/.git/config",
            "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n",
        );
        l.file("app/.git/index", sz.typical(60_000), next());
        let pack = hex_of(&format!("{key} pack"), 40);
        l.file(
            &format!("app/.git/objects/pack/pack-{pack}.pack"),
            budget * 2,
            next(),
        );
        l.file(
            &format!("app/.git/objects/pack/pack-{pack}.idx"),
            budget / 20,
            next(),
        );
        l.text(
            "app/.git/refs/heads/main",
            format!("{}\n", hex_of(&key, 40)),
        );
    } else {
        l.text(
            "app/.dockerignore",
            ".git\n**/__pycache__\n*.pyc\n.venv\nnode_modules\n",
        );
    }
    l
}

/// `pip install -r requirements.txt` without `--no-cache-dir`: the distributions, and
/// pip's cache of their wheels.
fn pip_layer(
    sz: &Sizer,
    deps: &[(&'static Dist, &'static str, bool)],
    unit: f64,
    upgrade_setuptools: bool,
) -> TreeLayer {
    let mut l = TreeLayer::new();
    if upgrade_setuptools {
        // `pip install -U setuptools` replaced the base's copy: the old directory is
        // hidden by an opaque marker, its .dist-info by a whiteout.
        l.opaque(&format!("{SITE}/setuptools"));
        l.whiteout(&format!("{SITE}/setuptools-65.5.1.dist-info"));
        let setuptools = Dist {
            name: "setuptools",
            top: "setuptools",
            versions: &["70.1.1"],
            weight: 3.0,
            kind: DistKind::Pure,
            scripts: "",
        };
        let b = (setuptools.weight * unit) as u64;
        install_dist(
            &mut l,
            SITE,
            "usr/local/bin",
            &setuptools,
            "70.1.1",
            b,
            true,
            sz,
        );
    }
    for (d, v, requested) in deps {
        let b = (d.weight * unit) as u64;
        install_dist(
            &mut l,
            SITE,
            "usr/local/bin",
            d,
            v,
            b.max(1),
            *requested,
            sz,
        );
        pip_cache_entry(&mut l, d, v, (b * 35 / 100).max(1024), sz);
    }
    l.text(
        "root/.cache/pip/selfcheck/241e69162522ccb5846a2f5ebd8d5a5a8e71ba2c2b1a6e5ab4d34d92.json",
        "{\"key\":\"/usr/local\",\"last_check\":\"2024-07-01T00:00:00Z\",\"pypi_version\":\"24.1.1\"}",
    );
    l
}

fn requirements_layer(deps: &[(&'static Dist, &'static str, bool)]) -> TreeLayer {
    let mut l = TreeLayer::new();
    let text: String = deps
        .iter()
        .filter(|(_, _, requested)| *requested)
        .map(|(d, v, _)| format!("{}=={v}\n", d.name))
        .collect();
    l.text("app/requirements.txt", text);
    l
}

/// The Alpine orphan: the minirootfs, then `apk add curl jq tzdata`.
fn alpine_layers(sz: &Sizer, budget: u64) -> (TreeLayer, TreeLayer) {
    let mut base = TreeLayer::new();
    let mut added = TreeLayer::new();
    let mut db = String::new();
    let mut world = String::new();
    let mut rng = sz.rng("alpine");
    let seed = sz.seed_of("alpine");
    let mut n = 0u64;
    let mut next = || {
        n += 1;
        mix(seed, n)
    };
    let mut apk = |layer: &mut TreeLayer,
                   pkgs: &[(&str, &str, f64, &str)],
                   budget: u64,
                   db: &mut String,
                   rng: &mut Rng| {
        let total: f64 = pkgs.iter().map(|p| p.2).sum();
        for (name, version, weight, files) in pkgs {
            let b = (budget as f64 * weight / total) as u64;
            let mut paths: Vec<String> = files
                .split(',')
                .filter(|f| !f.is_empty())
                .map(String::from)
                .collect();
            if *name == "tzdata" {
                for (i, _) in ZONE_CITIES.iter().enumerate().take(40) {
                    paths.push(format!(
                        "usr/share/zoneinfo/{}/{}",
                        ZONE_REGIONS[i % ZONE_REGIONS.len()],
                        ZONE_CITIES[i]
                    ));
                }
            }
            let mut sizes = if paths.is_empty() {
                Vec::new()
            } else {
                spread(rng, b / 3, paths.len())
            };
            if let Some(first) = sizes.first_mut() {
                *first += b - b / 3;
            }
            let mut installed = 0;
            let mut by_dir: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (path, size) in paths.iter().zip(&sizes) {
                if path.starts_with("bin/") || path.starts_with("sbin/") || path.contains("/bin/") {
                    layer.exec(path, *size, next());
                } else {
                    layer.file(path, *size, next());
                }
                installed += size;
                let (dir, file) = layerlens::internals::split_parent(path);
                by_dir
                    .entry(dir.to_string())
                    .or_default()
                    .push(file.to_string());
            }
            db.push_str(&format!(
                "C:Q1{}=\nP:{name}\nV:{version}\nA:x86_64\nS:{}\nI:{}\nT:{name} for Alpine Linux\nU:https://pkgs.alpinelinux.org/package/v3.20/main/x86_64/{name}\nL:MIT\no:{name}\nm:Natanael Copa <ncopa@alpinelinux.org>\nt:1718000000\nc:{}\n",
                hex_of(&format!("{name} {version}"), 27),
                installed * 45 / 100,
                installed,
                hex_of(&format!("commit {name}"), 40)
            ));
            for (dir, files) in by_dir {
                db.push_str(&format!("F:{dir}\n"));
                for f in files {
                    db.push_str(&format!("R:{f}\na:0:0:755\n"));
                }
            }
            db.push('\n');
        }
    };
    apk(&mut base, APK_BASE, budget * 65 / 100, &mut db, &mut rng);
    for tool in [
        "sh", "ls", "cat", "cp", "mv", "rm", "mkdir", "ln", "ps", "grep", "sed", "awk", "tar",
        "gzip", "vi", "wget", "env", "sleep", "date", "chmod",
    ] {
        base.symlink(&format!("bin/{tool}"), "/bin/busybox");
    }
    base.text("lib/apk/db/installed", db.clone());
    for (name, ..) in APK_BASE {
        world.push_str(name);
        world.push('\n');
    }
    base.text("etc/apk/world", world.clone());
    base.text("etc/alpine-release", "3.20.1\n");
    base.text(
        "etc/apk/repositories",
        "https://dl-cdn.alpinelinux.org/alpine/v3.20/main\nhttps://dl-cdn.alpinelinux.org/alpine/v3.20/community\n",
    );
    for dir in ["tmp", "root", "home", "var/cache/apk"] {
        base.dir(dir);
    }
    apk(&mut added, APK_ADDED, budget * 35 / 100, &mut db, &mut rng);
    added.text("lib/apk/db/installed", db);
    world.push_str("curl\njq\ntzdata\n");
    added.text("etc/apk/world", world);
    added.file("lib/apk/db/scripts.tar", 20_480, next());
    (base, added)
}

/// The distroless orphan: a static base with `status.d`, and one Go binary.
fn distroless_layers(sz: &Sizer, base_budget: u64, app_budget: u64) -> (TreeLayer, TreeLayer) {
    let mut base = TreeLayer::new();
    let seed = sz.seed_of("distroless");
    let mut rng = sz.rng("distroless");
    for (pkg, version, arch) in [
        ("base-files", "12.4+deb12u6", "amd64"),
        ("netbase", "6.4", "all"),
        ("tzdata", "2024a-0+deb12u1", "all"),
        ("media-types", "10.0.0", "all"),
    ] {
        base.text(
            &format!("var/lib/dpkg/status.d/{pkg}"),
            format!("Package: {pkg}\nVersion: {version}\nArchitecture: {arch}\nMaintainer: {}\nInstalled-Size: 0\nSection: admin\nPriority: optional\nDescription: {pkg} (distroless)\n", catalog::maintainer(pkg)),
        );
        base.file(
            &format!("usr/share/doc/{pkg}/copyright"),
            rng.log_uniform(700, 9000),
            mix(seed, fnv(pkg)),
        );
    }
    base.text(
        "etc/passwd",
        "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
    );
    base.text(
        "etc/group",
        "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n",
    );
    base.text("etc/nsswitch.conf", "hosts: files dns\n");
    base.text(
        "etc/os-release",
        "PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=\"12\"\n",
    );
    base.file("etc/ssl/certs/ca-certificates.crt", 213_777, mix(seed, 1));
    for (i, size) in fill(&mut rng, base_budget, 120, 3500)
        .into_iter()
        .enumerate()
    {
        let region = ZONE_REGIONS[i % ZONE_REGIONS.len()];
        let city = ZONE_CITIES[(i / ZONE_REGIONS.len()) % ZONE_CITIES.len()];
        if i >= ZONE_REGIONS.len() * ZONE_CITIES.len() {
            break;
        }
        base.file(
            &format!("usr/share/zoneinfo/{region}/{city}"),
            size,
            mix(seed, 100 + i as u64),
        );
    }
    for dir in ["tmp", "home/nonroot", "root"] {
        base.dir(dir);
    }
    let mut app = TreeLayer::new();
    app.exec("usr/local/bin/exporter", app_budget, mix(seed, 2));
    app.text(
        "etc/exporter/config.yaml",
        "listen: :9100\nscrape_interval: 15s\ncollectors: [cpu, memory, disk, network]\n",
    );
    (base, app)
}

/// The `python-fleet` shape (see the module documentation of `synth`).
pub(crate) fn python_fleet(scale: u64, seed: u64) -> Plan {
    let sz = Sizer::new(scale, seed);
    let mut layers = Vec::new();
    let base = base_layers(&sz, &mut layers, [8.0, 26.0, 7.0]);
    let mut workdir = TreeLayer::new();
    workdir.dir("app");
    let workdir = push(&mut layers, workdir);
    let mut cleanup = TreeLayer::new();
    cleanup.whiteout("root/.cache/pip");
    let cleanup = push(&mut layers, cleanup);
    let deps: Vec<_> = (0..SERVICES.len()).map(|i| service_deps(&sz, i)).collect();
    let weight: f64 = deps.iter().flatten().map(|(d, _, _)| d.weight).sum();
    let unit = sz.pct(30.0) as f64 / weight;
    let mut images = Vec::new();
    for (i, name) in SERVICES.iter().enumerate() {
        let module = name.replace('-', "_");
        let req = push(&mut layers, requirements_layer(&deps[i]));
        let pip = push(&mut layers, pip_layer(&sz, &deps[i], unit, i % 8 == 3));
        let mut own = vec![req, pip];
        let mut steps = vec![
            run("COPY requirements.txt . # buildkit"),
            run("RUN /bin/sh -c pip install -r requirements.txt # buildkit"),
        ];
        if i % 2 == 0 {
            own.push(cleanup);
            steps.push(run("RUN /bin/sh -c rm -rf /root/.cache/pip # buildkit"));
        }
        if i % 4 == 1 {
            own.push(push(&mut layers, npm_layer(&sz, i, sz.pct(1.5))));
            steps.push(run("COPY frontend/ ./frontend/ # buildkit"));
        }
        let with_git = i == 5 || i == 11;
        own.push(push(&mut layers, app_layer(&sz, i, sz.pct(0.35), with_git)));
        steps.push(run("COPY . . # buildkit"));
        steps.push(meta("ENV PORT=8000"));
        steps.push(meta("EXPOSE map[8000/tcp:{}]"));
        let cmd = format!("CMD [\"gunicorn\" \"{module}.wsgi:app\"]");
        steps.push(meta(&cmd));
        let created = format!("2024-07-{:02}T10:00:00Z", i + 1);
        let mut history: Vec<Step> = base_history(true, true);
        // WORKDIR makes the directory: a layer (BuildKit).
        history.push(run("WORKDIR /app"));
        history.extend(steps);
        let mut env: Vec<&str> = PYTHON_ENV.to_vec();
        env.push("PORT=8000");
        let gunicorn = format!("{module}.wsgi:app");
        let mut tags = vec![format!("fleet/{name}:1.{}.{}", i % 5, i % 3)];
        if i % 3 == 0 {
            tags.push(format!("fleet/{name}:latest"));
        }
        let mut layer_list = vec![
            base.debian,
            base.build_deps,
            base.python,
            base.links,
            workdir,
        ];
        layer_list.extend(own);
        images.push(ImagePlan {
            tags,
            layers: layer_list,
            config: config(
                &created,
                &env,
                &["gunicorn", gunicorn.as_str()],
                "/app",
                &history,
            ),
        });
    }
    // Two orphans, each alone in its family.
    let (alpine, apk_added) = alpine_layers(&sz, sz.pct(2.3));
    let alpine = push(&mut layers, alpine);
    let apk_added = push(&mut layers, apk_added);
    images.push(ImagePlan {
        tags: vec!["orphans/cron-runner:3.20".into()],
        layers: vec![alpine, apk_added],
        config: config(
            "2024-06-20T08:00:00Z",
            &["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            &["crond", "-f"],
            "",
            &[
                run("/bin/sh -c #(nop) ADD file:33ebe56b967747a97dcec01bc2559962bee8823686c9739d26be060381bbb3ca in / "),
                meta("/bin/sh -c #(nop)  CMD [\"/bin/sh\"]"),
                run("RUN /bin/sh -c apk add --no-cache curl jq tzdata # buildkit"),
                meta("CMD [\"crond\" \"-f\"]"),
            ],
        ),
    });
    let (static_base, exporter) = distroless_layers(&sz, sz.pct(0.3), sz.pct(2.2));
    let static_base = push(&mut layers, static_base);
    let exporter = push(&mut layers, exporter);
    images.push(ImagePlan {
        tags: vec!["orphans/metrics-exporter:1.4.2".into()],
        layers: vec![static_base, exporter],
        config: config(
            "2024-05-02T12:00:00Z",
            &[
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
            ],
            &["/usr/local/bin/exporter"],
            "",
            &[
                run("bazel build @distroless//base:static"),
                run("COPY /out/exporter /usr/local/bin/exporter # buildkit"),
                meta("USER 65532:65532"),
                meta("ENTRYPOINT [\"/usr/local/bin/exporter\"]"),
            ],
        ),
    });
    Plan {
        scaled_layers: layers.len(),
        layers,
        images,
    }
}

// ---------------------------------------------------------------------------------
// many
// ---------------------------------------------------------------------------------

/// The `many` shape: `count` images, each one small layer on one of three bases.
pub(crate) fn many(scale: u64, seed: u64, count: usize) -> Plan {
    let sz = Sizer::new(scale, seed);
    let mut layers = Vec::new();
    let base = base_layers(&sz, &mut layers, [22.0, 56.0, 20.0]);
    let bases: [(Vec<usize>, Vec<Step>); 3] = [
        (vec![base.debian], base_history(false, false)),
        (
            vec![base.debian, base.python, base.links],
            base_history(false, true),
        ),
        (
            vec![base.debian, base.build_deps, base.python, base.links],
            base_history(true, true),
        ),
    ];
    let mut images = Vec::with_capacity(count);
    let mut rng = sz.rng("many");
    for i in 0..count {
        let pick = rng.below(100);
        let b = if pick < 20 {
            0
        } else if pick < 55 {
            1
        } else {
            2
        };
        let total = rng.log_uniform(4 << 10, 1 << 20);
        let files = 1 + rng.below(6) as usize;
        let mut own = TreeLayer::new();
        let dir = format!("srv/app-{i:05}");
        let names = [
            "server.bin",
            "config.yaml",
            "app.py",
            "requirements.txt",
            "static/main.js",
            "static/style.css",
        ];
        let seed = sz.seed_of(&format!("many {i}"));
        let mut sizes = spread(&mut rng, total * 4 / 10, files);
        sizes[0] += total - total * 4 / 10;
        for (k, (name, size)) in names.iter().zip(sizes).enumerate() {
            if k == 0 {
                own.exec(&format!("{dir}/{name}"), size, mix(seed, k as u64));
            } else {
                own.file(&format!("{dir}/{name}"), size, mix(seed, k as u64));
            }
        }
        let own = push(&mut layers, own);
        let (base_layers, base_steps) = &bases[b];
        let mut history: Vec<Step> = base_steps
            .iter()
            .map(|s| Step {
                created_by: s.created_by.clone(),
                empty: s.empty,
            })
            .collect();
        let copy = format!("COPY app/ /srv/app-{i:05}/ # buildkit");
        history.push(run(&copy));
        history.push(meta(&format!("CMD [\"/srv/app-{i:05}/server.bin\"]")));
        let created = format!(
            "2024-08-{:02}T{:02}:{:02}:{:02}Z",
            1 + i % 28,
            (i / 28) % 24,
            (i / 672) % 60,
            (i / 40_320) % 60
        );
        let bin = format!("/srv/app-{i:05}/server.bin");
        let mut layer_list = base_layers.clone();
        layer_list.push(own);
        let env: &[&str] = if b == 0 {
            &["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        } else {
            PYTHON_ENV
        };
        images.push(ImagePlan {
            tags: vec![format!("many/app-{i:05}:1")],
            layers: layer_list,
            config: config(&created, env, &[bin.as_str()], "", &history),
        });
    }
    Plan {
        layers,
        images,
        scaled_layers: 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_names_split_into_stem_and_soname() {
        assert_eq!(lib_stem("libacl1"), ("acl".into(), "1".into()));
        assert_eq!(lib_stem("libapt-pkg6.0"), ("apt-pkg".into(), "6.0".into()));
        assert_eq!(lib_stem("libbz2-1.0"), ("bz2".into(), "1.0".into()));
        assert_eq!(lib_stem("libssl-dev").0, "ssl");
        assert_eq!(lib_stem("zlib1g").0, "zlib1g");
    }

    #[test]
    fn dpkg_lists_parents_once_and_the_root_first() {
        let text = list_text(&["/usr/bin/ls".into(), "/usr/bin/cat".into(), "/etc/x".into()]);
        assert_eq!(
            text,
            "/.\n/usr\n/usr/bin\n/usr/bin/ls\n/usr/bin/cat\n/etc\n/etc/x\n"
        );
    }

    #[test]
    fn no_layer_holds_a_path_twice() {
        for plan in [python_fleet(16 << 20, 7), many(4 << 20, 7, 20)] {
            for spec in &plan.layers {
                let LayerSpec::Tree(t) = spec else { continue };
                let mut seen = BTreeSet::new();
                for p in t.paths() {
                    assert!(seen.insert(p), "{p} twice");
                }
            }
        }
    }

    #[test]
    fn every_image_has_one_non_empty_history_entry_per_layer() {
        for plan in [python_fleet(4 << 20, 1), many(2 << 20, 1, 12)] {
            for img in &plan.images {
                let made = img.config["history"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|h| h.get("empty_layer").is_none())
                    .count();
                assert_eq!(made, img.layers.len(), "{:?}", img.tags);
            }
        }
    }
}

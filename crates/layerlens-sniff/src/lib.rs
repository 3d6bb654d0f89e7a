//! Pure, streaming detectors for layerlens.
//!
//! The layer walk sees each regular file once: its path, declared size and mode, then its
//! bytes in chunks of any size, in order. For each file it asks [`start`]; `None` (the
//! answer for almost every file, decided from path, size and mode alone in nanoseconds)
//! means no detector wants it. Otherwise it feeds the chunks to the returned [`Sniff`]
//! until the file ends or [`Sniff::feed`] answers [`Flow::Done`], then calls
//! [`Sniff::finish`]:
//!
//! ```
//! # let (path, size, mode) = ("app/.env", 16u64, 0o644u32);
//! # let chunks: Vec<&[u8]> = vec![b"API_TOKEN=s3cr3t-value\n"];
//! if let Some(mut sniff) = layerlens_sniff::start(path, size, mode) {
//!     for chunk in chunks {
//!         if sniff.feed(chunk) == layerlens_sniff::Flow::Done {
//!             break;
//!         }
//!     }
//!     for found in sniff.finish() {
//!         println!("{found}");
//!     }
//! }
//! ```
//!
//! Memory per file is bounded whatever its size (see [`limits`]), nothing is read twice,
//! and nothing here does I/O. The detectors:
//!
//! | detector | files ([`start`]) | finds |
//! |---|---|---|
//! | ELF | mode has an execute bit, size ≥ 64 | Go build info (`manager: go`) and cargo-auditable `.dep-v0` data (`manager: cargo`) |
//! | Java archive | `*.jar`, `*.war`, `*.ear` | `META-INF/maven/<g>/<a>/pom.properties` (`manager: maven`) |
//! | Ruby gem | `…/specifications/[default/]*.gemspec` | the gem (`manager: gem`), with the directory it owns |
//! | text | [`secrets::text_candidate`] | `private-key` and `secret` [`Finding`]s |
//!
//! Image-config strings (`Env`, `history.created_by`, labels) go through
//! [`scan_config`], a pure function (`secret-in-config` findings).
//!
//! Secrets are never stored: a [`Finding`] holds a [`Redacted`] excerpt built from at most
//! a public prefix (`ghp_`, `AKIA`, a key name, a PEM label) and the secret's length, so no
//! `Debug`, `Display` or serialisation of these types can print one.

#![forbid(unsafe_code)]

mod cargo;
mod elf;
mod gem;
mod gobuild;
mod jar;
mod redact;
pub mod secrets;

use std::fmt;

use serde::Serialize;

pub use redact::Redacted;
pub use secrets::{scan_config, ConfigField};

/// Bounds on what one file may cost. Every buffer a detector keeps is bounded by one of these.
pub mod limits {
    /// The ELF header and program headers must lie in the first this many bytes.
    pub const ELF_HEADERS: usize = 64 << 10;
    /// Go build info captured from the magic on (header + version + modinfo strings).
    pub const GO_BUILDINFO: usize = 512 << 10;
    /// cargo-auditable JSON, inflated.
    pub const CARGO_JSON: usize = 1 << 20;
    /// One `pom.properties` member, inflated (a larger one is not read: zip bombs stop here).
    pub const POM_PROPERTIES: usize = 64 << 10;
    /// A zip local header's name + extra field.
    pub const ZIP_HEADER: usize = 30 + 2 * 0xffff;
    /// Nested archives (a jar stored in a jar) are read to this depth.
    pub const ZIP_NESTING: u32 = 2;
    /// Bytes before the first local header (launch scripts of "fully executable" jars).
    pub const ZIP_PREAMBLE: u64 = 1 << 20;
    /// A gemspec is captured whole up to this size.
    pub const GEMSPEC: usize = 256 << 10;
    /// Text files larger than this are not scanned for secrets.
    pub const TEXT_FILE: u64 = 1 << 20;
    /// A line of a credential file longer than this is not parsed by the line rules.
    pub const LINE: usize = 4 << 10;
    /// Findings kept per file (a note says how many more there were).
    pub const FINDINGS_PER_FILE: usize = 32;
}

/// What the walk should do after a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Feed the next chunk.
    Continue,
    /// This detector has seen all it needs: stop feeding and call [`Sniff::finish`].
    Done,
}

/// Which detectors [`Config::start`] may return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Go and cargo-auditable binaries, Java archives, Ruby gems.
    pub packages: bool,
    /// cargo-auditable data (searched for in the non-loaded tail of Rust binaries; see
    /// `cargo.rs`).
    pub cargo_auditable: bool,
    /// Also search read-only `PT_LOAD` segments for cargo-auditable data (a `.dep-v0`
    /// emitted with `SHF_ALLOC`): every non-Go ELF's read-only data is searched, ≈ 4× the
    /// cost of everything else on ELF files. Off in [`Config::ALL`].
    pub cargo_auditable_loaded: bool,
    /// `private-key` / `secret` findings in text files.
    pub secrets: bool,
}

impl Config {
    /// Everything on (but [`Config::cargo_auditable_loaded`]).
    pub const ALL: Config = Config {
        packages: true,
        cargo_auditable: true,
        cargo_auditable_loaded: false,
        secrets: true,
    };

    /// The detector for this file, or `None` (cheap: path, size and mode only).
    pub fn start(&self, path: &str, size: u64, mode: u32) -> Option<Sniff> {
        // Plain loops: names are short, SIMD searches cost more to set up than they save.
        let b = path.as_bytes();
        let base = match b.iter().rposition(|&c| c == b'/') {
            Some(i) => &path[i + 1..],
            None => path,
        };
        let ext = match base.as_bytes().iter().rposition(|&c| c == b'.') {
            Some(i) => &base[i + 1..],
            None => "",
        };
        if self.packages {
            match ext {
                "jar" | "war" | "ear" if size >= 22 => {
                    return Some(Sniff::new(
                        Kind::Jar(Box::new(jar::JarSniff::new(base))),
                        size,
                    ));
                }
                "gemspec" => {
                    if let Some(g) = gem::GemSniff::new(path, size) {
                        return Some(Sniff::new(Kind::Gem(g), size));
                    }
                }
                _ => {}
            }
        }
        if self.secrets {
            if let Some(scope) = secrets::candidate(path, base, ext, size) {
                return Some(Sniff::new(
                    Kind::Text(Box::new(secrets::TextSniff::new(scope))),
                    size,
                ));
            }
        }
        if self.packages && mode & 0o111 != 0 && size >= 64 {
            return Some(Sniff::new(
                Kind::Elf(Box::new(elf::ElfSniff::new(
                    size,
                    self.cargo_auditable,
                    self.cargo_auditable_loaded,
                ))),
                size,
            ));
        }
        None
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::ALL
    }
}

/// [`Config::ALL`]`.start(path, size, mode)`: the detector that wants this regular file,
/// or `None`. `path` is the walk's normalised path (no leading `/`), `mode` the tar mode.
pub fn start(path: &str, size: u64, mode: u32) -> Option<Sniff> {
    Config::ALL.start(path, size, mode)
}

/// Which detector a [`Sniff`] is (for statistics).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Detector {
    Elf,
    Jar,
    Gem,
    Text,
}

enum Kind {
    Elf(Box<elf::ElfSniff>),
    Jar(Box<jar::JarSniff>),
    Gem(gem::GemSniff),
    Text(Box<secrets::TextSniff>),
}

/// One file being sniffed. Feed it the file's bytes in order, then [`finish`](Sniff::finish).
pub struct Sniff {
    kind: Kind,
    declared: u64,
    fed: u64,
    done: bool,
}

impl Sniff {
    fn new(kind: Kind, declared: u64) -> Sniff {
        Sniff {
            kind,
            declared,
            fed: 0,
            done: false,
        }
    }

    /// Which detector this is.
    pub fn detector(&self) -> Detector {
        match self.kind {
            Kind::Elf(_) => Detector::Elf,
            Kind::Jar(_) => Detector::Jar,
            Kind::Gem(_) => Detector::Gem,
            Kind::Text(_) => Detector::Text,
        }
    }

    /// The next bytes of the file (any length, possibly empty). Bytes past the declared
    /// size are ignored. After [`Flow::Done`] further calls do nothing.
    pub fn feed(&mut self, chunk: &[u8]) -> Flow {
        if self.done {
            return Flow::Done;
        }
        let room = self.declared - self.fed;
        let chunk = &chunk[..chunk.len().min(room.min(usize::MAX as u64) as usize)];
        let flow = match &mut self.kind {
            Kind::Elf(s) => s.feed(chunk),
            Kind::Jar(s) => s.feed(chunk),
            Kind::Gem(s) => s.feed(chunk),
            Kind::Text(s) => s.feed(chunk),
        };
        self.fed += chunk.len() as u64;
        if flow == Flow::Done || self.fed == self.declared {
            self.done = flow == Flow::Done;
        }
        flow
    }

    /// What was found. A file that ended early (fewer bytes fed than declared) gives what
    /// could be read from the bytes seen.
    pub fn finish(self) -> Vec<Found> {
        let complete = self.fed == self.declared;
        match self.kind {
            Kind::Elf(s) => s.finish(complete),
            Kind::Jar(s) => s.finish(),
            Kind::Gem(s) => s.finish(),
            Kind::Text(s) => s.finish(),
        }
    }
}

/// What a detector reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Found {
    /// The file is (or, for gems, names) a package.
    Package(PackageFound),
    /// Something risky in the bytes.
    Finding(Finding),
    /// Something the walk may want to note (e.g. Go build info in the pre-1.18 format,
    /// a `pom.properties` over the limit). Never contains a secret.
    Note(String),
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Package(p) => {
                write!(f, "package {} {} {}", p.manager.as_str(), p.name, p.version)
            }
            Found::Finding(x) => write!(f, "{x}"),
            Found::Note(n) => write!(f, "note: {n}"),
        }
    }
}

/// A package manager (the `manager` of layerlens' packages).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Manager {
    Go,
    Cargo,
    Maven,
    Gem,
}

impl Manager {
    pub fn as_str(self) -> &'static str {
        match self {
            Manager::Go => "go",
            Manager::Cargo => "cargo",
            Manager::Maven => "maven",
            Manager::Gem => "gem",
        }
    }
}

/// A package a file says it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PackageFound {
    pub manager: Manager,
    /// go: the main module path (the `path` line when there is no `mod` line: GOPATH
    /// builds, `go build file.go`); cargo: the root crate; maven: `groupId:artifactId`;
    /// gem: the gem name.
    pub name: String,
    /// go: the main module version as recorded (`(devel)` for most builds from a source
    /// tree before Go 1.24; empty without a `mod` line); maven, gem, cargo: the version.
    pub version: String,
    /// Where the package's files are, when it owns more than the file itself: for a gem,
    /// `<base>/gems/<name>-<version>[-<platform>]/` (see [`gem_owns`] for the other paths
    /// it owns). `None`: the file itself is the package.
    pub root: Option<String>,
    /// The toolchain that built it: `go1.22.1` (Go).
    pub toolchain: Option<String>,
    /// Gem platform (`x86_64-linux`) when not `ruby`.
    pub platform: Option<String>,
    /// The evidence: `go-buildinfo`, `cargo-auditable`, `pom.properties`, `gemspec`,
    /// `gemspec-filename` (content unreadable, name and version from the file name).
    pub source: &'static str,
    /// Go dependency modules, cargo crates, Maven artifacts bundled in the archive.
    pub components: Vec<Component>,
}

/// A module, crate or artifact inside a package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Component {
    pub name: String,
    pub version: String,
    pub relation: Relation,
}

/// How a [`Component`] is part of its package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Relation {
    /// A Go `dep` module / a cargo runtime dependency.
    Dependency,
    /// A Go module replaced (`=>`) by another path/version.
    Replaced { by: String, by_version: String },
    /// A cargo build-time dependency (build scripts, proc macros).
    BuildDependency,
    /// Another `pom.properties` in the archive (shaded jars), or the own one of a nested
    /// archive (`BOOT-INF/lib/x.jar`): `path` inside the archive, `!`-separated when nested.
    Embedded { path: String },
}

/// Does the gem found in `pkg` own `path`? Its directory under `gems/`, its `.gem` under
/// `cache/`, its compiled extensions under `extensions/<platform>/<abi>/<full name>/`,
/// and the gemspec itself (the walk already knows that path).
pub fn gem_owns(pkg: &PackageFound, path: &str) -> bool {
    gem::owns(pkg, path)
}

/// The kind of a [`Finding`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum FindingKind {
    /// A PEM private key block.
    #[serde(rename = "private-key")]
    PrivateKey,
    /// A credential in a file.
    #[serde(rename = "secret")]
    Secret,
    /// A credential in an image config string ([`scan_config`]).
    #[serde(rename = "secret-in-config")]
    SecretInConfig,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::PrivateKey => "private-key",
            FindingKind::Secret => "secret",
            FindingKind::SecretInConfig => "secret-in-config",
        }
    }
}

/// Something risky, located but never quoted in full.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// Which rule: `pem-private-key`, `private-key-in-json`, `aws-access-key-id`,
    /// `aws-secret-access-key`, `github-token`, `github-pat`, `gitlab-pat`, `slack-token`,
    /// `stripe-live-key`, `google-api-key`, `pypi-token`, `npm-auth-token`,
    /// `docker-config-auth`, `url-credentials`, `netrc-password`, `pypirc-password`,
    /// `generic-secret`.
    pub rule: &'static str,
    /// Byte offset of the secret in the file (or in the config string).
    pub offset: u64,
    /// 1-based line of `offset`.
    pub line: u32,
    /// What can be shown.
    pub excerpt: Redacted,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} at line {} (offset {}): {}",
            self.kind.as_str(),
            self.rule,
            self.line,
            self.offset,
            self.excerpt
        )
    }
}

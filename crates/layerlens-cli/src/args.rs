//! The command line: every subcommand's arguments (clap), and the library options
//! the reading flags ask for.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use layerlens::{Options, Platform, Verify};

#[derive(Parser, Debug)]
#[command(
    name = "layerlens",
    version,
    about = "Explain where the bytes of container images go"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Analyse image archives: sizes, shared and unique bytes, layers.
    Analyze(AnalyzeArgs),
    /// How did we get from image A to image B: layers, files and commands.
    Diff(DiffArgs),
    /// A CI gate: check size, efficiency and waste thresholds (exit 1 when one fails).
    Check(CheckArgs),
    /// Which layer and command added a path, whether it was hidden later, which package
    /// owns it (exit 1 when no image has it).
    Explain(ExplainArgs),
    /// List an image's files: its final filesystem, or one layer's entries, with the
    /// layer, command, package and kind of each.
    Files(FilesArgs),
    /// Write a self-contained HTML report (no network needed to view it).
    Report(ReportArgs),
    /// Print a shell completion script to standard output.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to standard output.
    Man,
    /// Merge partial results (`analyze --partial`) into one report.
    Merge(MergeArgs),
    /// Write a deterministic synthetic image set (for benchmarks and scale tests).
    Generate(GenerateArgs),
}

#[derive(clap::Args, Debug)]
#[command(after_long_help = GENERATE_SHAPES)]
pub(crate) struct GenerateArgs {
    /// Approximate uncompressed bytes of all distinct layers: 100MB, 1GB, 16GiB (for
    /// `many`: of the shared base layers).
    #[arg(long, default_value = "100MB")]
    pub(crate) scale: String,
    /// Archive layout: docker, docker25, oci-gzip, oci-zstd, gzip (docker25, gzipped whole).
    #[arg(long, default_value = "docker25")]
    pub(crate) format: String,
    /// What the image set looks like: fleet, python-fleet, many (see below).
    #[arg(long, default_value = "fleet")]
    pub(crate) shape: String,
    /// Number of images of `--shape many`.
    #[arg(long, value_name = "N")]
    pub(crate) images: Option<usize>,
    /// Seed; the same seed, scale, shape and format give byte-identical archives.
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub(crate) threads: usize,
    /// The archive to write.
    #[arg(value_name = "OUT")]
    pub(crate) out: std::path::PathBuf,
}

pub(crate) const GENERATE_SHAPES: &str = "\
Shapes:
  fleet         (default) 18 images: 12 services on a fat three-layer base, 4 tools on
                a smaller base, 2 orphans; synthetic paths, no package databases. Its
                bytes are pinned across versions.
  python-fleet  16 Python services on a python:3.11-like Debian base (dpkg status and
                .list files, docs, man pages, locales, headers, -dev and gcc packages;
                a Python layer with thousands of .py files, __pycache__ and RECORDs);
                per service a pip layer of 1,000-5,000 files (at 1GB) with RECORDs and
                pip's cache (deleted by a whiteout in a later layer in half of them), npm
                node_modules in a few, an app layer; 2 orphan images (apk, distroless).
                At 1GB about 70,000 entries.
  many          --images N images (default 100), each one small own layer (a few files,
                a few KB to 1 MB) on one of three bases made like python-fleet's; the
                bases are generated once, so 1,000 images take seconds.

The same options always write the same bytes.";

#[derive(clap::Args, Debug)]
pub(crate) struct ReportArgs {
    /// Image archives, as for `analyze`.
    #[arg(value_name = "INPUT", required_unless_present = "from_json")]
    pub(crate) inputs: Vec<String>,
    /// Where to write the HTML report.
    #[arg(long, value_name = "PATH")]
    pub(crate) html: String,
    /// Draw a saved `analyze --format json` report instead of analysing inputs.
    #[arg(long, value_name = "PATH", conflicts_with = "inputs")]
    pub(crate) from_json: Option<String>,
    #[command(flatten)]
    pub(crate) read: ReadArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ColorChoice {
    /// When standard output is a terminal and NO_COLOR is unset.
    Auto,
    Always,
    Never,
}

#[derive(clap::Args, Debug)]
pub(crate) struct ExplainArgs {
    /// Image archives, as for `analyze`.
    #[arg(required = true, value_name = "INPUT")]
    pub(crate) inputs: Vec<String>,
    #[command(flatten)]
    pub(crate) read: ReadArgs,
    /// The path to explain (absolute or relative to the image root).
    #[arg(long, value_name = "P")]
    pub(crate) path: String,
    /// The base image (a ref or id from the inputs) for the kind of the path.
    #[arg(long, value_name = "REF")]
    pub(crate) base: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// Table width in columns.
    #[arg(long, default_value_t = 100)]
    pub(crate) width: usize,
}

#[derive(clap::Args, Debug)]
pub(crate) struct FilesArgs {
    /// The image: a ref or id from the inputs, or (with no inputs) an archive of one
    /// image.
    pub(crate) image: String,
    /// Inputs holding the image.
    #[arg(value_name = "INPUT")]
    pub(crate) inputs: Vec<String>,
    #[command(flatten)]
    pub(crate) read: ReadArgs,
    /// Only this layer's entries, whiteouts and hidden ones included (1 = the lowest, as
    /// `analyze` numbers layers).
    #[arg(long, value_name = "N")]
    pub(crate) layer: Option<usize>,
    /// Only paths matching this glob (`usr/lib/**/*.so`, `**/__pycache__/**`).
    #[arg(long, value_name = "GLOB")]
    pub(crate) glob: Option<String>,
    /// Only entries of at least this size (e.g. 1MB).
    #[arg(long, value_name = "SIZE")]
    pub(crate) min_size: Option<String>,
    /// Order: by path, or largest first.
    #[arg(long, value_enum, default_value_t = FilesSort::Path)]
    pub(crate) sort: FilesSort,
    /// The base image (a ref or id from the inputs) for the kind of each file.
    #[arg(long, value_name = "REF")]
    pub(crate) base: Option<String>,
    /// Output format: an aligned table, JSON lines (one object a line), or CSV.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// Table width in columns.
    #[arg(long, default_value_t = 100)]
    pub(crate) width: usize,
    /// Write to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FilesSort {
    Path,
    Size,
}

#[derive(clap::Args, Debug)]
pub(crate) struct DiffArgs {
    /// Image A: a ref or id from the inputs, or (with no inputs) an archive.
    pub(crate) a: String,
    /// Image B: a ref or id from the inputs, or (with no inputs) an archive.
    pub(crate) b: String,
    /// Inputs holding both images; when absent, A and B are archives of one image each.
    #[arg(value_name = "INPUT")]
    pub(crate) inputs: Vec<String>,
    #[command(flatten)]
    pub(crate) read: ReadArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// Table width in columns.
    #[arg(long, default_value_t = 100)]
    pub(crate) width: usize,
    /// Rows shown of each list in the table (packages added, removed, changed;
    /// directories); JSON and CSV have them all.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub(crate) top: usize,
    /// Only files under this directory (`usr/lib`), or matching this glob when it has
    /// `*?[{` (`**/*.so`); in every format.
    #[arg(long, value_name = "PREFIX|GLOB")]
    pub(crate) path: Option<String>,
    /// Only files of at least this size (e.g. 100KB) in A or in B; in every format.
    #[arg(long, value_name = "SIZE")]
    pub(crate) min_size: Option<String>,
    /// Group files by the first N components of their directory.
    #[arg(long, value_name = "N", default_value_t = layerlens::forensics::diff::DEFAULT_DEPTH)]
    pub(crate) depth: usize,
}

#[derive(clap::Args, Debug)]
pub(crate) struct CheckArgs {
    /// Image archives, as for `analyze`.
    #[arg(required = true, value_name = "INPUT")]
    pub(crate) inputs: Vec<String>,
    #[command(flatten)]
    pub(crate) read: ReadArgs,
    /// Threshold file (default: `.layerlens.toml` in the current directory, if any).
    #[arg(long, value_name = "PATH")]
    pub(crate) config: Option<String>,
    /// dive's CI rules file (default: `.dive-ci` in the current directory, if any).
    #[arg(long, value_name = "PATH")]
    pub(crate) dive_ci: Option<String>,
    /// Largest image size (e.g. 500MB).
    #[arg(long, value_name = "SIZE")]
    pub(crate) max_image_size: Option<String>,
    /// Largest set size at a ledger level: `[naive|dedup|chain|content:]SIZE` (default
    /// level: chain).
    #[arg(long, value_name = "[LEVEL:]SIZE")]
    pub(crate) max_set_size: Option<String>,
    /// Lowest efficiency, 0..1.
    #[arg(long, value_name = "RATIO")]
    pub(crate) lowest_efficiency: Option<String>,
    /// Largest wasted bytes (overwritten + deleted).
    #[arg(long, value_name = "SIZE")]
    pub(crate) max_wasted_size: Option<String>,
    /// Largest wasted percent of an image's non-base bytes, 0..100.
    #[arg(long, value_name = "PERCENT")]
    pub(crate) max_wasted_percent: Option<String>,
    /// Fail an image with any finding of these kinds (comma-separated: private-key,
    /// secret, secret-in-config, setuid, setgid, world-writable; or `all`), hidden ones
    /// included: they are still shipped.
    #[arg(long, value_name = "KINDS")]
    pub(crate) no_findings: Option<String>,
    /// Any rule by key: `KEY=VALUE` (see the README), repeatable.
    #[arg(long = "rule", value_name = "KEY=VALUE")]
    pub(crate) rules: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// Table width in columns.
    #[arg(long, default_value_t = 100)]
    pub(crate) width: usize,
}

/// How inputs are read: shared by every command that analyses archives.
#[derive(clap::Args, Debug)]
pub(crate) struct ReadArgs {
    /// Only analyse images of this platform (os/arch[/variant]).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub(crate) platform: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub(crate) threads: usize,
    /// Trust the diff_ids in the configs instead of re-hashing every layer.
    #[arg(long)]
    pub(crate) no_verify: bool,
    /// Override a resource limit, e.g. `--limit max_entries_per_layer=100000`
    /// (repeatable; names and defaults in docs/limits.md).
    #[arg(long = "limit", value_name = "NAME=VALUE")]
    pub(crate) limits: Vec<String>,
    /// With image stores, also analyse their intermediate images (untagged parents of
    /// other images: the classic builder's steps), like `docker images -a`.
    #[arg(long)]
    pub(crate) all: bool,
}

impl ReadArgs {
    /// The library options these flags ask for, with Ctrl-C wired to the interrupt flag.
    pub(crate) fn options(&self) -> anyhow::Result<Options> {
        let mut opts = Options::default()
            .verify(if self.no_verify {
                Verify::Trust
            } else {
                Verify::Full
            })
            .threads(self.threads)
            .limits(parse_limits(&self.limits)?)
            .include_intermediate(self.all)
            .interrupt(interrupt_flag());
        opts.platform = self.platform.as_deref().map(Platform::parse).transpose()?;
        Ok(opts)
    }
}

/// `--table NAME` or `--section NAME` (the flag): one of the report's tables. The help
/// lists them and an unknown name is a usage error that names them, both from
/// `present::text::TABLE_NAMES`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TableName(&'static str);

impl clap::builder::TypedValueParser for TableName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        let names = layerlens::present::text::TABLE_NAMES;
        match value.to_str() {
            Some(name) if names.contains(&name) => Ok(name.to_string()),
            _ => Err(cmd.clone().error(
                clap::error::ErrorKind::InvalidValue,
                format!(
                    "{}: no table {:?}; tables: {}",
                    self.0,
                    value.to_string_lossy(),
                    names.join(", ")
                ),
            )),
        }
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            layerlens::present::text::TABLE_NAMES
                .iter()
                .map(clap::builder::PossibleValue::new),
        ))
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Table,
    Json,
    Csv,
}

#[derive(clap::Args, Debug)]
pub(crate) struct AnalyzeArgs {
    /// `docker save` tarballs (optionally gzip/zstd-compressed), OCI layout
    /// directories or tarballs, image stores on this host (a Docker data root, a
    /// containerd root, a containers-storage root), or `-` for standard input.
    #[arg(required = true, value_name = "INPUT")]
    pub(crate) inputs: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    #[command(flatten)]
    pub(crate) read: ReadArgs,
    /// Table width in columns.
    #[arg(long, default_value_t = 100)]
    pub(crate) width: usize,
    /// The base image (a ref or id from the inputs): its layers are the base of every
    /// image built on it (default: each family's common base).
    #[arg(long, value_name = "REF")]
    pub(crate) base: Option<String>,
    /// The images in use (refs or ids): report what deleting every other image would
    /// reclaim.
    #[arg(long, value_name = "REF", num_args = 1..)]
    pub(crate) in_use: Vec<String>,
    /// A file of refs in use, one a line (`#` comments allowed).
    #[arg(long, value_name = "FILE")]
    pub(crate) in_use_file: Option<String>,
    /// Rows kept in each ranked list (largest wasted paths, duplicates, packages, ...).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub(crate) top: usize,
    /// Exact byte counts instead of human units.
    #[arg(long)]
    pub(crate) bytes: bool,
    /// With `--format csv`, only this table; without it, every table, each with a
    /// leading `table` column, separated by blank lines.
    #[arg(long, value_name = "NAME", value_parser = TableName("--table"))]
    pub(crate) table: Option<String>,
    /// Every table of the report (by default, the first screen: the set at each level,
    /// the largest images, where the bytes go, the top recommendations).
    #[arg(long, conflicts_with = "section")]
    pub(crate) full: bool,
    /// Only this full table (repeatable), e.g. `--section images --section waste`.
    #[arg(long, value_name = "NAME", value_parser = TableName("--section"))]
    pub(crate) section: Vec<String>,
    /// Write to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<String>,
    /// Colours in tables.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,
    /// Write a partial result (for `layerlens merge`) to this file instead of a report.
    #[arg(long, value_name = "OUT.json")]
    pub(crate) partial: Option<std::path::PathBuf>,
    /// Cache layer results in this directory; layers found there are not read again.
    #[arg(long, value_name = "DIR")]
    pub(crate) cache: Option<std::path::PathBuf>,
    /// No progress bar (it is only shown when standard error is a terminal).
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
}

#[derive(clap::Args, Debug)]
pub(crate) struct MergeArgs {
    /// Partial results written by `layerlens analyze --partial`, in input order.
    #[arg(required = true, value_name = "PARTIAL.json")]
    pub(crate) partials: Vec<std::path::PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// Table width in columns.
    #[arg(long, default_value_t = 100)]
    pub(crate) width: usize,
    /// Write the merged partial result to this file instead of a report (to merge in
    /// stages).
    #[arg(long, value_name = "OUT.json")]
    pub(crate) partial: Option<std::path::PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub(crate) threads: usize,
}

/// A flag raised by Ctrl-C: the library checks it in its read loops and stops with
/// `Error::Interrupted`. A second Ctrl-C exits at once.
pub(crate) fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let raised = flag.clone();
    let installed = ctrlc::set_handler(move || {
        if raised.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    if let Err(e) = installed {
        eprintln!("layerlens: warning: cannot install the Ctrl-C handler: {e}");
    }
    flag
}

pub(crate) fn parse_limits(specs: &[String]) -> anyhow::Result<layerlens::Limits> {
    let mut limits = layerlens::Limits::default();
    for spec in specs {
        let (name, value) = spec
            .split_once('=')
            .with_context(|| format!("--limit {spec:?}: expected NAME=VALUE"))?;
        let value: u64 = value
            .trim()
            .parse()
            .with_context(|| format!("--limit {spec:?}: {value:?} is not a number"))?;
        let slot = match name.trim() {
            "max_entries_per_layer" => &mut limits.max_entries_per_layer,
            "max_layer_bytes" => &mut limits.max_layer_bytes,
            "max_compression_ratio" => &mut limits.max_compression_ratio,
            "ratio_floor_bytes" => &mut limits.ratio_floor_bytes,
            "max_json_bytes" => &mut limits.max_json_bytes,
            "max_buffered_bytes" => &mut limits.max_buffered_bytes,
            "max_path_bytes" => &mut limits.max_path_bytes,
            "max_members" => &mut limits.max_members,
            "max_index_depth" => {
                limits.max_index_depth =
                    u32::try_from(value).with_context(|| format!("--limit {spec:?}: too large"))?;
                continue;
            }
            other => anyhow::bail!("--limit: unknown limit {other:?}"),
        };
        *slot = value;
    }
    Ok(limits)
}

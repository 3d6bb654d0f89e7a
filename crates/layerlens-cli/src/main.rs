//! `layerlens`: the command-line front of the layerlens library. It parses arguments,
//! calls the library, prints, and maps errors to exit codes (0 ok, 1 integrity failure,
//! 2 bad usage or unreadable input, 130 interrupted by Ctrl-C).

use std::io::{IsTerminal as _, Write};

mod progress;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use layerlens::{Analyzer, ImageSet, Options, Platform, Report, Verify};

#[derive(Parser, Debug)]
#[command(
    name = "layerlens",
    version,
    about = "Explain where the bytes of container images go"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
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
struct GenerateArgs {
    /// Approximate uncompressed bytes of all distinct layers: 100MB, 1GB, 16GiB (for
    /// `many`: of the shared base layers).
    #[arg(long, default_value = "100MB")]
    scale: String,
    /// Archive layout: docker, docker25, oci-gzip, oci-zstd, gzip (docker25, gzipped whole).
    #[arg(long, default_value = "docker25")]
    format: String,
    /// What the image set looks like: fleet, python-fleet, many (see below).
    #[arg(long, default_value = "fleet")]
    shape: String,
    /// Number of images of `--shape many`.
    #[arg(long, value_name = "N")]
    images: Option<usize>,
    /// Seed; the same seed, scale, shape and format give byte-identical archives.
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    threads: usize,
    /// The archive to write.
    #[arg(value_name = "OUT")]
    out: std::path::PathBuf,
}

const GENERATE_SHAPES: &str = "\
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
struct ReportArgs {
    /// Image archives, as for `analyze`.
    #[arg(value_name = "INPUT", required_unless_present = "from_json")]
    inputs: Vec<String>,
    /// Where to write the HTML report.
    #[arg(long, value_name = "PATH")]
    html: String,
    /// Draw a saved `analyze --format json` report instead of analysing inputs.
    #[arg(long, value_name = "PATH", conflicts_with = "inputs")]
    from_json: Option<String>,
    #[command(flatten)]
    read: ReadArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ColorChoice {
    /// When standard output is a terminal and NO_COLOR is unset.
    Auto,
    Always,
    Never,
}

#[derive(clap::Args, Debug)]
struct ExplainArgs {
    /// Image archives, as for `analyze`.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
    #[command(flatten)]
    read: ReadArgs,
    /// The path to explain (absolute or relative to the image root).
    #[arg(long, value_name = "P")]
    path: String,
    /// The base image (a ref or id from the inputs) for the kind of the path.
    #[arg(long, value_name = "REF")]
    base: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Table width in columns.
    #[arg(long, default_value_t = 100)]
    width: usize,
}

#[derive(clap::Args, Debug)]
struct FilesArgs {
    /// The image: a ref or id from the inputs, or (with no inputs) an archive of one
    /// image.
    image: String,
    /// Inputs holding the image.
    #[arg(value_name = "INPUT")]
    inputs: Vec<String>,
    #[command(flatten)]
    read: ReadArgs,
    /// Only this layer's entries, whiteouts and hidden ones included (1 = the lowest, as
    /// `analyze` numbers layers).
    #[arg(long, value_name = "N")]
    layer: Option<usize>,
    /// Only paths matching this glob (`usr/lib/**/*.so`, `**/__pycache__/**`).
    #[arg(long, value_name = "GLOB")]
    glob: Option<String>,
    /// Only entries of at least this size (e.g. 1MB).
    #[arg(long, value_name = "SIZE")]
    min_size: Option<String>,
    /// Order: by path, or largest first.
    #[arg(long, value_enum, default_value_t = FilesSort::Path)]
    sort: FilesSort,
    /// The base image (a ref or id from the inputs) for the kind of each file.
    #[arg(long, value_name = "REF")]
    base: Option<String>,
    /// Output format: an aligned table, JSON lines (one object a line), or CSV.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Table width in columns.
    #[arg(long, default_value_t = 100)]
    width: usize,
    /// Write to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum FilesSort {
    Path,
    Size,
}

#[derive(clap::Args, Debug)]
struct DiffArgs {
    /// Image A: a ref or id from the inputs, or (with no inputs) an archive.
    a: String,
    /// Image B: a ref or id from the inputs, or (with no inputs) an archive.
    b: String,
    /// Inputs holding both images; when absent, A and B are archives of one image each.
    #[arg(value_name = "INPUT")]
    inputs: Vec<String>,
    #[command(flatten)]
    read: ReadArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Table width in columns.
    #[arg(long, default_value_t = 100)]
    width: usize,
    /// Rows shown of each list in the table (packages added, removed, changed;
    /// directories); JSON and CSV have them all.
    #[arg(long, value_name = "N", default_value_t = 20)]
    top: usize,
    /// Only files under this directory (`usr/lib`), or matching this glob when it has
    /// `*?[{` (`**/*.so`); in every format.
    #[arg(long, value_name = "PREFIX|GLOB")]
    path: Option<String>,
    /// Only files of at least this size (e.g. 100KB) in A or in B; in every format.
    #[arg(long, value_name = "SIZE")]
    min_size: Option<String>,
    /// Group files by the first N components of their directory.
    #[arg(long, value_name = "N", default_value_t = layerlens::forensics::diff::DEFAULT_DEPTH)]
    depth: usize,
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    /// Image archives, as for `analyze`.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
    #[command(flatten)]
    read: ReadArgs,
    /// Threshold file (default: `.layerlens.toml` in the current directory, if any).
    #[arg(long, value_name = "PATH")]
    config: Option<String>,
    /// dive's CI rules file (default: `.dive-ci` in the current directory, if any).
    #[arg(long, value_name = "PATH")]
    dive_ci: Option<String>,
    /// Largest image size (e.g. 500MB).
    #[arg(long, value_name = "SIZE")]
    max_image_size: Option<String>,
    /// Largest set size at a ledger level: `[naive|dedup|chain|content:]SIZE` (default
    /// level: chain).
    #[arg(long, value_name = "[LEVEL:]SIZE")]
    max_set_size: Option<String>,
    /// Lowest efficiency, 0..1.
    #[arg(long, value_name = "RATIO")]
    lowest_efficiency: Option<String>,
    /// Largest wasted bytes (overwritten + deleted).
    #[arg(long, value_name = "SIZE")]
    max_wasted_size: Option<String>,
    /// Largest wasted percent of an image's non-base bytes, 0..100.
    #[arg(long, value_name = "PERCENT")]
    max_wasted_percent: Option<String>,
    /// Fail an image with any finding of these kinds (comma-separated: private-key,
    /// secret, secret-in-config, setuid, setgid, world-writable; or `all`), hidden ones
    /// included: they are still shipped.
    #[arg(long, value_name = "KINDS")]
    no_findings: Option<String>,
    /// Any rule by key: `KEY=VALUE` (see the README), repeatable.
    #[arg(long = "rule", value_name = "KEY=VALUE")]
    rules: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Table width in columns.
    #[arg(long, default_value_t = 100)]
    width: usize,
}

/// How inputs are read: shared by every command that analyses archives.
#[derive(clap::Args, Debug)]
struct ReadArgs {
    /// Only analyse images of this platform (os/arch[/variant]).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    platform: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    threads: usize,
    /// Trust the diff_ids in the configs instead of re-hashing every layer.
    #[arg(long)]
    no_verify: bool,
    /// Override a resource limit, e.g. `--limit max_entries_per_layer=100000`
    /// (repeatable; names and defaults in docs/limits.md).
    #[arg(long = "limit", value_name = "NAME=VALUE")]
    limits: Vec<String>,
    /// With image stores, also analyse their intermediate images (untagged parents of
    /// other images: the classic builder's steps), like `docker images -a`.
    #[arg(long)]
    all: bool,
}

impl ReadArgs {
    /// The library options these flags ask for, with Ctrl-C wired to the interrupt flag.
    fn options(&self) -> anyhow::Result<Options> {
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

/// Exit status 1 without an error message: a `check` rule failed.
#[derive(Debug)]
struct RulesFailed;

impl std::fmt::Display for RulesFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("check failed")
    }
}

impl std::error::Error for RulesFailed {}

/// `--table NAME` or `--section NAME` (the flag): one of the report's tables. The help
/// lists them and an unknown name is a usage error that names them, both from
/// `present::text::TABLE_NAMES`.
#[derive(Debug, Clone, Copy)]
struct TableName(&'static str);

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
enum Format {
    Table,
    Json,
    Csv,
}

#[derive(clap::Args, Debug)]
struct AnalyzeArgs {
    /// `docker save` tarballs (optionally gzip/zstd-compressed), OCI layout
    /// directories or tarballs, image stores on this host (a Docker data root, a
    /// containerd root, a containers-storage root), or `-` for standard input.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    #[command(flatten)]
    read: ReadArgs,
    /// Table width in columns.
    #[arg(long, default_value_t = 100)]
    width: usize,
    /// The base image (a ref or id from the inputs): its layers are the base of every
    /// image built on it (default: each family's common base).
    #[arg(long, value_name = "REF")]
    base: Option<String>,
    /// The images in use (refs or ids): report what deleting every other image would
    /// reclaim.
    #[arg(long, value_name = "REF", num_args = 1..)]
    in_use: Vec<String>,
    /// A file of refs in use, one a line (`#` comments allowed).
    #[arg(long, value_name = "FILE")]
    in_use_file: Option<String>,
    /// Rows kept in each ranked list (largest wasted paths, duplicates, packages, ...).
    #[arg(long, value_name = "N", default_value_t = 10)]
    top: usize,
    /// Exact byte counts instead of human units.
    #[arg(long)]
    bytes: bool,
    /// With `--format csv`, only this table; without it, every table, each with a
    /// leading `table` column, separated by blank lines.
    #[arg(long, value_name = "NAME", value_parser = TableName("--table"))]
    table: Option<String>,
    /// Every table of the report (by default, the first screen: the set at each level,
    /// the largest images, where the bytes go, the top recommendations).
    #[arg(long, conflicts_with = "section")]
    full: bool,
    /// Only this full table (repeatable), e.g. `--section images --section waste`.
    #[arg(long, value_name = "NAME", value_parser = TableName("--section"))]
    section: Vec<String>,
    /// Write to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<String>,
    /// Colours in tables.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Write a partial result (for `layerlens merge`) to this file instead of a report.
    #[arg(long, value_name = "OUT.json")]
    partial: Option<std::path::PathBuf>,
    /// Cache layer results in this directory; layers found there are not read again.
    #[arg(long, value_name = "DIR")]
    cache: Option<std::path::PathBuf>,
    /// No progress bar (it is only shown when standard error is a terminal).
    #[arg(long, short = 'q')]
    quiet: bool,
}

#[derive(clap::Args, Debug)]
struct MergeArgs {
    /// Partial results written by `layerlens analyze --partial`, in input order.
    #[arg(required = true, value_name = "PARTIAL.json")]
    partials: Vec<std::path::PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Table width in columns.
    #[arg(long, default_value_t = 100)]
    width: usize,
    /// Write the merged partial result to this file instead of a report (to merge in
    /// stages).
    #[arg(long, value_name = "OUT.json")]
    partial: Option<std::path::PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    threads: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if err.downcast_ref::<RulesFailed>().is_some() {
                return ExitCode::from(1);
            }
            if let Some(io) = err.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::BrokenPipe {
                    return ExitCode::SUCCESS;
                }
            }
            eprintln!("layerlens: error: {err:#}");
            if matches!(
                err.downcast_ref::<layerlens::Error>(),
                Some(layerlens::Error::Interrupted)
            ) {
                return ExitCode::from(130);
            }
            let integrity = err
                .downcast_ref::<layerlens::Error>()
                .is_some_and(layerlens::Error::is_integrity);
            ExitCode::from(if integrity { 1 } else { 2 })
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Analyze(args) => analyze(args),
        Command::Diff(args) => diff(args),
        Command::Check(args) => check(args),
        Command::Explain(args) => explain(args),
        Command::Files(args) => files(args),
        Command::Report(args) => report(args),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "layerlens", &mut out);
            print(&String::from_utf8_lossy(&out))
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            print(&String::from_utf8_lossy(&out))
        }
        Command::Merge(args) => merge(args),
        Command::Generate(args) => generate(args),
    }
}

fn generate(args: GenerateArgs) -> anyhow::Result<()> {
    use layerlens_testtools::synth::{self, SynthFormat, SynthOptions, SynthShape};
    let scale = layerlens::present::parse_size(&args.scale)
        .with_context(|| format!("--scale {:?} is not a size like 100MB or 2GiB", args.scale))?;
    let format = SynthFormat::parse(&args.format).with_context(|| {
        format!(
            "--format {:?} is not one of docker, docker25, oci-gzip, oci-zstd, gzip",
            args.format
        )
    })?;
    let shape = SynthShape::parse(&args.shape, args.images.unwrap_or(100)).with_context(|| {
        format!(
            "--shape {:?} is not one of {}",
            args.shape,
            SynthShape::NAMES.join(", ")
        )
    })?;
    if args.images.is_some() && !matches!(shape, SynthShape::Many { .. }) {
        anyhow::bail!("--images applies to --shape many only");
    }
    let mut opts = SynthOptions::new(scale, format);
    opts.shape = shape;
    opts.threads = args.threads;
    if let Some(seed) = args.seed {
        opts.seed = seed;
    }
    let s = synth::generate(&args.out, &opts)?;
    eprintln!(
        "{}: {} images, {} layers, {} entries ({} files), {} layer bytes, {} stored, {} archive bytes",
        args.out.display(),
        s.images,
        s.layers,
        s.entries,
        s.files,
        s.tar_bytes,
        s.stored_bytes,
        s.archive_bytes
    );
    Ok(())
}

fn analyze(args: AnalyzeArgs) -> anyhow::Result<()> {
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(progress::Bar::new);
    let mut opts = args.read.options()?;
    opts.cache = args.cache.clone();
    opts.progress = bar.as_ref().map(progress::Bar::sink);
    let mut in_use = args.in_use.clone();
    if let Some(path) = &args.in_use_file {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
        in_use.extend(
            text.lines()
                .map(|l| l.split('#').next().unwrap_or("").trim())
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
    }
    if args.table.is_some() && args.format != Format::Csv {
        return Err(layerlens::Error::Options("--table goes with --format csv".into()).into());
    }
    if (args.full || !args.section.is_empty()) && args.format != Format::Table {
        return Err(layerlens::Error::Options(
            "--full and --section go with --format table".into(),
        )
        .into());
    }
    let view = if args.full {
        View::Full
    } else if !args.section.is_empty() {
        View::Sections(args.section.clone())
    } else {
        View::Screen
    };
    let timings = Timings::from_env();
    let analyzer = Analyzer::new(opts);
    if let Some(out) = &args.partial {
        let result = analyzer.analyze(&args.inputs);
        if let Some(bar) = bar {
            bar.finish();
        }
        let set = result?;
        timings.lap("layer pass");
        return emit(Some(out), |w| Ok(set.write_partial_json(w)?));
    }
    let mut report_opts = layerlens::ReportOptions::default()
        .in_use(in_use)
        .threads(args.read.threads);
    if let Some(base) = &args.base {
        report_opts = report_opts.base(base);
    }
    // With --cache, an unchanged set is answered from the cached report.
    let result = analyzer.analyze_report(&args.inputs, &report_opts);
    if let Some(bar) = bar {
        bar.finish();
    }
    let report = result?;
    timings.lap("analysis and report");
    let render = Render {
        format: args.format,
        width: args.width,
        top: args.top,
        bytes: args.bytes,
        table: args.table.clone(),
        view,
        color: args.color,
        to_file: args.output.is_some(),
    };
    emit(args.output.as_deref().map(std::path::Path::new), |w| {
        render.write(&report, w)
    })?;
    timings.lap("output");
    Ok(())
}

/// With `LAYERLENS_TIMINGS` set, the wall time of each phase on standard error.
struct Timings(Option<std::cell::Cell<std::time::Instant>>);

impl Timings {
    fn from_env() -> Self {
        Timings(
            std::env::var_os("LAYERLENS_TIMINGS")
                .map(|_| std::cell::Cell::new(std::time::Instant::now())),
        )
    }

    fn lap(&self, phase: &str) {
        if let Some(t) = &self.0 {
            let now = std::time::Instant::now();
            eprintln!("layerlens: {phase}: {:.3} s", (now - t.get()).as_secs_f64());
            t.set(now);
        }
    }
}

/// Which tables a table-format report shows.
enum View {
    /// The first screen.
    Screen,
    /// Every table.
    Full,
    /// These tables.
    Sections(Vec<String>),
}

/// How a report is printed: shared by `analyze` and `merge`.
struct Render {
    format: Format,
    width: usize,
    top: usize,
    bytes: bool,
    table: Option<String>,
    view: View,
    color: ColorChoice,
    to_file: bool,
}

impl Render {
    fn write(&self, report: &Report, w: &mut dyn Write) -> anyhow::Result<()> {
        if self.format == Format::Json {
            // Streamed: a large report is never held as one string.
            report.write_json(w)?;
            return Ok(());
        }
        let text = self.text(report)?;
        w.write_all(text.as_bytes())?;
        Ok(())
    }

    fn text(&self, report: &Report) -> anyhow::Result<String> {
        Ok(match self.format {
            Format::Json => report.to_json(),
            Format::Csv => {
                layerlens::present::text::render_csv(report, self.top, self.table.as_deref())
                    .map_err(layerlens::Error::Options)?
            }
            Format::Table => {
                let color = match self.color {
                    ColorChoice::Always => true,
                    ColorChoice::Never => false,
                    ColorChoice::Auto => {
                        use std::io::IsTerminal as _;
                        !self.to_file
                            && std::io::stdout().is_terminal()
                            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    }
                };
                let o = layerlens::present::text::TextOptions {
                    width: self.width,
                    exact_bytes: self.bytes,
                    color,
                };
                match &self.view {
                    View::Screen => layerlens::present::text::render_screen(report, &o),
                    View::Full => layerlens::present::text::render_text(report, self.top, &o),
                    View::Sections(names) => {
                        layerlens::present::text::render_sections(report, self.top, names, &o)
                            .map_err(layerlens::Error::Options)?
                    }
                }
            }
        })
    }
}

fn merge(args: MergeArgs) -> anyhow::Result<()> {
    let mut parts = Vec::with_capacity(args.partials.len());
    for path in &args.partials {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let set = ImageSet::from_partial_json(&bytes)
            .with_context(|| format!("reading {}", path.display()))?;
        parts.push(set);
    }
    let set = ImageSet::merge(parts);
    if let Some(out) = &args.partial {
        return emit(Some(out), |w| Ok(set.write_partial_json(w)?));
    }
    let render = Render {
        format: args.format,
        width: args.width,
        top: 10,
        bytes: false,
        table: None,
        view: View::Full,
        color: ColorChoice::Auto,
        to_file: false,
    };
    let report = Report::build(
        &set,
        &layerlens::ReportOptions::default().threads(args.threads),
    )?;
    emit(None, |w| render.write(&report, w))
}

fn write_file(path: impl AsRef<std::path::Path>, text: &str) -> anyhow::Result<()> {
    emit(Some(path.as_ref()), |w| Ok(w.write_all(text.as_bytes())?))
}

/// Write to `path` (or standard output) through `write`, buffered. A file is written
/// aside and renamed over: a run stopped midway never leaves half a file where a
/// complete one is expected (a partial result another step reads, say).
fn emit(
    path: Option<&std::path::Path>,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let Some(path) = path else {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        write(&mut out)?;
        out.flush().context("writing to standard output")?;
        return Ok(());
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    // A temporary file is private (0600); the output is an ordinary file.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut tmp = builder
        .tempfile_in(dir)
        .with_context(|| format!("writing {}", path.display()))?;
    {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut tmp);
        write(&mut out).with_context(|| format!("writing {}", path.display()))?;
        out.flush()
            .with_context(|| format!("writing {}", path.display()))?;
    }
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn report(args: ReportArgs) -> anyhow::Result<()> {
    let mut explorer = None;
    let report = match &args.from_json {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
            let v: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| layerlens::Error::Options(format!("{path}: not JSON: {e}")))?;
            if !v["schema"]
                .as_str()
                .is_some_and(|s| s.starts_with("layerlens/"))
            {
                return Err(layerlens::Error::Options(format!(
                    "{path}: not a layerlens report (no \"schema\": \"layerlens/v1\")"
                ))
                .into());
            }
            serde_json::from_str::<Report>(&text).map_err(|e| {
                layerlens::Error::Options(format!("{path}: not a layerlens/v1 report: {e}"))
            })?
        }
        None => {
            let opts = args.read.options()?;
            let threads = opts.threads;
            let set = Analyzer::new(opts).analyze(&args.inputs)?;
            let report = Report::build(
                &set,
                &layerlens::ReportOptions::default()
                    .top_dirs(true)
                    .threads(threads),
            )?;
            size_pool(threads);
            explorer = Some(layerlens::report::explorer::Explorer::build(
                &set,
                &layerlens::report::explorer::ExplorerOptions::default(),
            ));
            report
        }
    };
    write_file(
        &args.html,
        &layerlens::present::html::render_with_explorer(&report, explorer.as_ref()),
    )
}

/// The library's model queries (explain, diff) run on the calling thread pool: size it
/// as `-j` says.
fn size_pool(threads: usize) {
    // Only fails when a pool already exists, which then stays as it is.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global();
}

fn explain(args: ExplainArgs) -> anyhow::Result<()> {
    size_pool(args.read.threads);
    let set = Analyzer::new(args.read.options()?).analyze(&args.inputs)?;
    let model = layerlens::model::SetModel::new(&set);
    let base = args
        .base
        .as_deref()
        .map(|b| layerlens::report::recommend::find(&set, b, "base image"))
        .transpose()?
        .and_then(|b| model.image_index(b));
    let bases = layerlens::attribution::base_layers(&model, base);
    let found = layerlens::forensics::explain::explain(&model, &args.path, &bases);
    let text = match args.format {
        Format::Json => json_line(&found)?,
        Format::Csv => layerlens::present::attribution::explain_csv(&found),
        Format::Table => {
            layerlens::present::attribution::explain_table(&args.path, &found, args.width)
        }
    };
    print(&text)?;
    if found.is_empty() {
        return Err(RulesFailed.into());
    }
    Ok(())
}

/// Pretty JSON with a trailing newline.
fn json_line<T: serde::Serialize>(value: &T) -> anyhow::Result<String> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    Ok(s)
}

fn print(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .context("writing to standard output")?;
    stdout.flush().context("writing to standard output")?;
    Ok(())
}

/// The set of `inputs` and the image named `name` in it; with no inputs, `name` is an
/// archive holding one image.
fn set_and_image(
    read: &ReadArgs,
    name: &str,
    inputs: &[String],
) -> anyhow::Result<(ImageSet, layerlens::Image)> {
    if inputs.is_empty() {
        let set = Analyzer::new(read.options()?).analyze(&[name])?;
        let image = match set.images.as_slice() {
            [one] => one.clone(),
            [] => return Err(layerlens::Error::Options(format!("{name}: no image")).into()),
            many => {
                return Err(layerlens::Error::Options(format!(
                    "{name}: {} images; give a ref and the archive as input",
                    many.len()
                ))
                .into())
            }
        };
        return Ok((set, image));
    }
    let set = Analyzer::new(read.options()?).analyze(inputs)?;
    let image = set
        .find_image(name)
        .cloned()
        .ok_or_else(|| layerlens::Error::Options(format!("no image {name:?} in the inputs")))?;
    Ok((set, image))
}

fn files(args: FilesArgs) -> anyhow::Result<()> {
    use layerlens::forensics::files::{files, FileRow, FilesOptions};
    use layerlens::present::files::{FilesFormat, FilesWriter};
    size_pool(args.read.threads);
    let mut opts = FilesOptions::default();
    if let Some(n) = args.layer {
        if n == 0 {
            return Err(layerlens::Error::Options("--layer counts from 1".into()).into());
        }
        opts = opts.layer(n - 1);
    }
    if let Some(g) = &args.glob {
        opts = opts.glob(g);
    }
    if let Some(s) = &args.min_size {
        let bytes = layerlens::present::parse_size(s)
            .with_context(|| format!("--min-size {s:?} is not a size like 1MB"))?;
        opts = opts.min_size(bytes);
    }
    let (set, image) = set_and_image(&args.read, &args.image, &args.inputs)?;
    let model = layerlens::model::SetModel::new(&set);
    let index = model.image_index(&image).expect("an image of the set");
    let base = args
        .base
        .as_deref()
        .map(|b| layerlens::report::recommend::find(&set, b, "base image"))
        .transpose()?
        .and_then(|b| model.image_index(b));
    let base_layers = layerlens::attribution::base_layers(&model, base)[index];
    let format = match args.format {
        Format::Table => FilesFormat::Table,
        Format::Json => FilesFormat::JsonLines,
        Format::Csv => FilesFormat::Csv,
    };
    let commands: Vec<Option<String>> = image.layers.iter().map(|l| l.created_by.clone()).collect();
    emit(args.output.as_deref().map(std::path::Path::new), |w| {
        let mut out = FilesWriter::new(format, args.width, w);
        let (mut rows, mut bytes) = (0u64, 0u64);
        let mut count = |r: &FileRow| {
            rows += 1;
            bytes += r.size;
        };
        match args.sort {
            FilesSort::Path => files(&model, index, base_layers, &opts, |r| {
                count(&r);
                out.row(&r)
                    .map_err(|e| layerlens::Error::io(Default::default(), e))
            })?,
            FilesSort::Size => {
                let mut all: Vec<FileRow> = Vec::new();
                files(&model, index, base_layers, &opts, |r| {
                    all.push(r);
                    Ok(())
                })?;
                all.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.path.cmp(&b.path)));
                for r in &all {
                    count(r);
                    out.row(r)?;
                }
            }
        }
        out.finish(rows, bytes, &commands)?;
        Ok(())
    })
}

fn diff(args: DiffArgs) -> anyhow::Result<()> {
    size_pool(args.read.threads);
    let (set, a, b) = if args.inputs.is_empty() {
        let set = Analyzer::new(args.read.options()?).analyze(&[&args.a, &args.b])?;
        let only = |input: &str| -> anyhow::Result<layerlens::Image> {
            let found: Vec<_> = set
                .images
                .iter()
                .filter(|i| i.sources.iter().any(|s| s == input))
                .collect();
            match found.as_slice() {
                [one] => Ok((*one).clone()),
                [] => Err(layerlens::Error::Options(format!("{input}: no image")).into()),
                _ => Err(layerlens::Error::Options(format!(
                    "{input}: {} images; give refs and the archive as inputs",
                    found.len()
                ))
                .into()),
            }
        };
        let (a, b) = (only(&args.a)?, only(&args.b)?);
        (set, a, b)
    } else {
        let set = Analyzer::new(args.read.options()?).analyze(&args.inputs)?;
        let find = |name: &str| -> anyhow::Result<layerlens::Image> {
            set.find_image(name)
                .cloned()
                .ok_or_else(|| anyhow::anyhow!("no image {name:?} in the inputs"))
        };
        let (a, b) = (find(&args.a)?, find(&args.b)?);
        (set, a, b)
    };
    let model = layerlens::model::SetModel::new(&set);
    let index = |i: &layerlens::Image| model.image_index(i).expect("an image of the set");
    let mut opts = layerlens::forensics::diff::DiffOptions::default().depth(args.depth);
    if let Some(p) = &args.path {
        opts = opts.path(p);
    }
    if let Some(s) = &args.min_size {
        let bytes = layerlens::present::parse_size(s)
            .with_context(|| format!("--min-size {s:?} is not a size like 1MB"))?;
        opts = opts.min_size(bytes);
    }
    let d = layerlens::forensics::diff::diff_with(&model, index(&a), index(&b), &opts)?;
    let text = match args.format {
        Format::Json => json_line(&d)?,
        Format::Table => layerlens::present::forensics::diff_table(&d, args.width, args.top),
        Format::Csv => {
            use layerlens::present::text::{table_csv, Cell, Table};
            let rows = d
                .files
                .iter()
                .map(|f| {
                    vec![
                        Cell::Text(format!("{:?}", f.change).to_lowercase()),
                        Cell::Text(f.path.clone()),
                        Cell::Bytes(f.old_size),
                        Cell::Bytes(f.new_size),
                    ]
                })
                .collect();
            let t = Table {
                name: "files",
                title: String::new(),
                columns: vec!["change", "path", "old_size", "new_size"],
                csv_only: vec![],
                rows,
                footer: vec![],
                group_first: false,
            };
            table_csv(&t, false)
        }
    };
    print(&text)
}

fn check(args: CheckArgs) -> anyhow::Result<()> {
    use layerlens::report::check::Thresholds;
    let mut t = Thresholds::default();
    let read = |path: &str| -> anyhow::Result<String> {
        std::fs::read_to_string(path).with_context(|| format!("reading {path}"))
    };
    let with_path =
        |path: &str, e: layerlens::Error| layerlens::Error::Options(format!("{path}: {e}"));
    let config = args.config.clone().or_else(|| {
        std::path::Path::new(".layerlens.toml")
            .exists()
            .then(|| ".layerlens.toml".to_string())
    });
    if let Some(path) = &config {
        t.merge_toml(&read(path)?).map_err(|e| with_path(path, e))?;
    }
    let dive_ci = args.dive_ci.clone().or_else(|| {
        std::path::Path::new(".dive-ci")
            .exists()
            .then(|| ".dive-ci".to_string())
    });
    if let Some(path) = &dive_ci {
        t.merge_dive_ci(&read(path)?)
            .map_err(|e| with_path(path, e))?;
    }
    let flags = [
        ("max-image-size", &args.max_image_size),
        ("lowest-efficiency", &args.lowest_efficiency),
        ("max-wasted-size", &args.max_wasted_size),
        ("max-wasted-percent", &args.max_wasted_percent),
        ("no-findings", &args.no_findings),
    ];
    for (key, value) in flags {
        if let Some(v) = value {
            t.set(key, v)?;
        }
    }
    if let Some(v) = &args.max_set_size {
        let (level, size) = v.split_once(':').unwrap_or(("chain", v));
        t.set(&format!("max-set-{level}-size"), size)?;
    }
    for rule in &args.rules {
        let (k, v) = rule.split_once('=').ok_or_else(|| {
            layerlens::Error::Options(format!("--rule {rule:?}: expected KEY=VALUE"))
        })?;
        t.set(k, v)?;
    }
    if t.is_empty() {
        return Err(layerlens::Error::Options(
            "no rules: give thresholds as flags, in .layerlens.toml or in .dive-ci".into(),
        )
        .into());
    }
    let set = Analyzer::new(args.read.options()?).analyze(&args.inputs)?;
    let report = Report::build(
        &set,
        &layerlens::ReportOptions::default().threads(args.read.threads),
    )?;
    let results = layerlens::report::check::check(&report, &t);
    let text = match args.format {
        Format::Json => json_line(&results)?,
        Format::Table => layerlens::present::forensics::check_table(&results, args.width),
        Format::Csv => {
            use layerlens::present::text::{table_csv, Cell, Table};
            let rows = results
                .iter()
                .map(|r| {
                    vec![
                        Cell::Text(r.rule.clone()),
                        Cell::Text(r.subject.clone()),
                        Cell::Text(r.measured.clone()),
                        Cell::Text(r.limit.clone()),
                        Cell::Text(if r.pass { "pass" } else { "fail" }.into()),
                    ]
                })
                .collect();
            let t = Table {
                name: "rules",
                title: String::new(),
                columns: vec!["rule", "subject", "measured", "limit", "result"],
                csv_only: vec![],
                rows,
                footer: vec![],
                group_first: false,
            };
            table_csv(&t, false)
        }
    };
    print(&text)?;
    if results.iter().any(|r| !r.pass) {
        return Err(RulesFailed.into());
    }
    Ok(())
}

/// A flag raised by Ctrl-C: the library checks it in its read loops and stops with
/// `Error::Interrupted`. A second Ctrl-C exits at once.
fn interrupt_flag() -> Arc<AtomicBool> {
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

fn parse_limits(specs: &[String]) -> anyhow::Result<layerlens::Limits> {
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

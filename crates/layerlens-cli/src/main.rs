//! `layerlens`: the command-line front of the layerlens library. It parses arguments,
//! calls the library, prints, and maps errors to exit codes (0 ok, 1 integrity failure,
//! 2 bad usage or unreadable input, 130 interrupted by Ctrl-C).

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use layerlens::{Analyzer, Options, Platform, Report, Verify};

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
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Table,
    Json,
}

#[derive(clap::Args, Debug)]
struct AnalyzeArgs {
    /// `docker save` tarballs (optionally gzip/zstd-compressed), OCI layout
    /// directories or tarballs, or `-` for standard input.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Only analyse images of this platform (os/arch[/variant]).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    platform: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    threads: usize,
    /// Trust the diff_ids in the configs instead of re-hashing every layer.
    #[arg(long)]
    no_verify: bool,
    /// Table width in columns.
    #[arg(long, default_value_t = 100)]
    width: usize,
    /// Override a resource limit, e.g. `--limit max_entries_per_layer=100000`
    /// (repeatable; names and defaults in docs/limits.md).
    #[arg(long = "limit", value_name = "NAME=VALUE")]
    limits: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
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
    }
}

fn analyze(args: AnalyzeArgs) -> anyhow::Result<()> {
    let platform = args.platform.as_deref().map(Platform::parse).transpose()?;
    let opts = Options {
        verify: if args.no_verify {
            Verify::Trust
        } else {
            Verify::Full
        },
        threads: args.threads,
        platform,
        limits: parse_limits(&args.limits)?,
        interrupt: Some(interrupt_flag()),
        ..Options::default()
    };
    let set = Analyzer::new(opts).analyze(&args.inputs)?;
    let report = Report::new(&set);
    let text = match args.format {
        Format::Json => report.to_json(),
        Format::Table => layerlens::present::analyze_table(&report, args.width),
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .context("writing to standard output")?;
    stdout.flush().context("writing to standard output")?;
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

//! `layerlens`: the command-line front of the layerlens library. It parses arguments,
//! calls the library, prints, and maps errors to exit codes (0 ok, 1 integrity failure,
//! 2 bad usage or unreadable input).

use std::io::{IsTerminal as _, Write};

mod progress;
use std::process::ExitCode;

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
    /// Merge partial results (`analyze --partial`) into one report.
    Merge(MergeArgs),
    /// Write a deterministic synthetic image set (for benchmarks and scale tests).
    Generate(GenerateArgs),
}

#[derive(clap::Args, Debug)]
struct GenerateArgs {
    /// Approximate uncompressed bytes of all distinct layers: 100MB, 1GB, 16GiB.
    #[arg(long, default_value = "100MB")]
    scale: String,
    /// Archive layout: docker, docker25, oci-gzip, oci-zstd, gzip (docker25, gzipped whole).
    #[arg(long, default_value = "docker25")]
    format: String,
    /// Seed; the same seed, scale and format give byte-identical archives.
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    threads: usize,
    /// The archive to write.
    #[arg(value_name = "OUT")]
    out: std::path::PathBuf,
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
        Command::Merge(args) => merge(args),
        Command::Generate(args) => generate(args),
    }
}

fn generate(args: GenerateArgs) -> anyhow::Result<()> {
    use layerlens::synth::{self, SynthFormat, SynthOptions};
    let scale = synth::parse_size(&args.scale)
        .with_context(|| format!("--scale {:?} is not a size like 100MB or 2GiB", args.scale))?;
    let format = SynthFormat::parse(&args.format).with_context(|| {
        format!(
            "--format {:?} is not one of docker, docker25, oci-gzip, oci-zstd, gzip",
            args.format
        )
    })?;
    let mut opts = SynthOptions::new(scale, format);
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
    let platform = args.platform.as_deref().map(Platform::parse).transpose()?;
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(progress::Bar::new);
    let opts = Options {
        verify: if args.no_verify {
            Verify::Trust
        } else {
            Verify::Full
        },
        threads: args.threads,
        platform,
        cache: args.cache,
        progress: bar.as_ref().map(progress::Bar::sink),
        ..Options::default()
    };
    let result = Analyzer::new(opts).analyze(&args.inputs);
    if let Some(bar) = bar {
        bar.finish();
    }
    let set = result?;
    if let Some(out) = &args.partial {
        return write_file(out, &set.to_partial_json());
    }
    print_report(&Report::new(&set), args.format, args.width)
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
        return write_file(out, &set.to_partial_json());
    }
    print_report(&Report::new(&set), args.format, args.width)
}

fn write_file(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn print_report(report: &Report, format: Format, width: usize) -> anyhow::Result<()> {
    let text = match format {
        Format::Json => report.to_json(),
        Format::Table => layerlens::present::analyze_table(report, width),
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .context("writing to standard output")?;
    stdout.flush().context("writing to standard output")?;
    Ok(())
}

//! `layerlens`: the command-line front of the layerlens library. It parses arguments,
//! calls the library, prints, and maps errors to exit codes (0 ok, 1 integrity failure,
//! 2 bad usage or unreadable input, 130 interrupted by Ctrl-C).
//!
//! Here: each subcommand, calling the library. Its arguments are in `args`, how results
//! are written in `output`, the progress bar in `progress`.

use std::io::IsTerminal as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use layerlens::{Analyzer, ImageSet, Report};

mod args;
mod output;
mod progress;

use args::{
    AnalyzeArgs, CheckArgs, Cli, ColorChoice, Command, DiffArgs, ExplainArgs, FilesArgs, FilesSort,
    Format, GenerateArgs, MergeArgs, ReadArgs, ReportArgs,
};
use output::{emit, json_line, print, write_file, Render, Timings, View};

/// Exit status 1 without an error message: a `check` rule failed.
#[derive(Debug)]
struct RulesFailed;

impl std::fmt::Display for RulesFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("check failed")
    }
}

impl std::error::Error for RulesFailed {}
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

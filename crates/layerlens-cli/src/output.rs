//! Where and how results are written: reports rendered by format, files written aside
//! and renamed over, standard output, and the `LAYERLENS_TIMINGS` phase clock.

use std::io::Write;

use anyhow::Context as _;
use layerlens::Report;

use crate::args::{ColorChoice, Format};

/// With `LAYERLENS_TIMINGS` set, the wall time of each phase on standard error.
pub(crate) struct Timings(Option<std::cell::Cell<std::time::Instant>>);

impl Timings {
    pub(crate) fn from_env() -> Self {
        Timings(
            std::env::var_os("LAYERLENS_TIMINGS")
                .map(|_| std::cell::Cell::new(std::time::Instant::now())),
        )
    }

    pub(crate) fn lap(&self, phase: &str) {
        if let Some(t) = &self.0 {
            let now = std::time::Instant::now();
            eprintln!("layerlens: {phase}: {:.3} s", (now - t.get()).as_secs_f64());
            t.set(now);
        }
    }
}

/// Which tables a table-format report shows.
pub(crate) enum View {
    /// The first screen.
    Screen,
    /// Every table.
    Full,
    /// These tables.
    Sections(Vec<String>),
}

/// How a report is printed: shared by `analyze` and `merge`.
pub(crate) struct Render {
    pub(crate) format: Format,
    pub(crate) width: usize,
    pub(crate) top: usize,
    pub(crate) bytes: bool,
    pub(crate) table: Option<String>,
    pub(crate) view: View,
    pub(crate) color: ColorChoice,
    pub(crate) to_file: bool,
}

impl Render {
    pub(crate) fn write(&self, report: &Report, w: &mut dyn Write) -> anyhow::Result<()> {
        if self.format == Format::Json {
            // Streamed: a large report is never held as one string.
            report.write_json(w)?;
            return Ok(());
        }
        let text = self.text(report)?;
        w.write_all(text.as_bytes())?;
        Ok(())
    }

    pub(crate) fn text(&self, report: &Report) -> anyhow::Result<String> {
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

pub(crate) fn write_file(path: impl AsRef<std::path::Path>, text: &str) -> anyhow::Result<()> {
    emit(Some(path.as_ref()), |w| Ok(w.write_all(text.as_bytes())?))
}

/// Write to `path` (or standard output) through `write`, buffered. A file is written
/// aside and renamed over: a run stopped midway never leaves half a file where a
/// complete one is expected (a partial result another step reads, say).
pub(crate) fn emit(
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

/// Pretty JSON with a trailing newline.
pub(crate) fn json_line<T: serde::Serialize>(value: &T) -> anyhow::Result<String> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    Ok(s)
}

pub(crate) fn print(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .context("writing to standard output")?;
    stdout.flush().context("writing to standard output")?;
    Ok(())
}

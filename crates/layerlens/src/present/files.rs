//! The `files` listing, written row by row as the rows come (a million-entry image
//! never sits in memory as text): an aligned table within the width, CSV, or JSON
//! lines (one object per entry).

use std::io::{self, Write};

use super::{fit, human_size, short_command};
use crate::forensics::files::FileRow;
use crate::read::layer::EntryKind;

/// How rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FilesFormat {
    /// Aligned columns, human sizes.
    Table,
    /// One JSON object a line.
    JsonLines,
    /// CSV with a header row, exact bytes.
    Csv,
}

/// Writes rows in one format.
pub struct FilesWriter<W: Write> {
    format: FilesFormat,
    width: usize,
    out: Out<W>,
    started: bool,
}

enum Out<W: Write> {
    Plain(W),
    Csv(Box<csv::Writer<W>>),
}

/// `drwxr-xr-x`-style mode of an entry.
pub fn mode_string(kind: EntryKind, mode: u32) -> String {
    let t = match kind {
        EntryKind::Directory => 'd',
        EntryKind::Symlink => 'l',
        EntryKind::Hardlink => 'h',
        EntryKind::Whiteout | EntryKind::OpaqueWhiteout => 'w',
        EntryKind::Other => '?',
        EntryKind::Regular => '-',
    };
    let mut s = String::with_capacity(10);
    s.push(t);
    for (i, c) in "rwxrwxrwx".chars().enumerate() {
        let bit = 1 << (8 - i);
        let special = match i {
            2 => mode & 0o4000 != 0,
            5 => mode & 0o2000 != 0,
            8 => mode & 0o1000 != 0,
            _ => false,
        };
        s.push(match (mode & bit != 0, special) {
            (true, false) => c,
            (false, false) => '-',
            (true, true) if i == 8 => 't',
            (false, true) if i == 8 => 'T',
            (true, true) => 's',
            (false, true) => 'S',
        });
    }
    s
}

fn kind_name(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Regular => "regular",
        EntryKind::Directory => "directory",
        EntryKind::Symlink => "symlink",
        EntryKind::Hardlink => "hardlink",
        EntryKind::Whiteout => "whiteout",
        EntryKind::OpaqueWhiteout => "opaque_whiteout",
        EntryKind::Other => "other",
    }
}

fn owner_text(r: &FileRow) -> String {
    r.owner
        .as_ref()
        .map(|o| format!("{} {} {}", o.manager.as_str(), o.name, o.version))
        .unwrap_or_default()
}

impl<W: Write> FilesWriter<W> {
    /// A writer of `format` into `out`; `width` bounds the table's lines.
    pub fn new(format: FilesFormat, width: usize, out: W) -> Self {
        let out = match format {
            FilesFormat::Csv => Out::Csv(Box::new(
                csv::WriterBuilder::new()
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(out),
            )),
            _ => Out::Plain(out),
        };
        FilesWriter {
            format,
            width: width.max(72),
            out,
            started: false,
        }
    }

    /// Write one row (the header first, on the first row).
    pub fn row(&mut self, r: &FileRow) -> io::Result<()> {
        if !self.started {
            self.started = true;
            self.header()?;
        }
        let width = self.width;
        match &mut self.out {
            Out::Plain(out) if self.format == FilesFormat::JsonLines => {
                serde_json::to_writer(&mut *out, r)?;
                out.write_all(b"\n")
            }
            Out::Csv(csv) => {
                csv.write_record([
                    r.path.as_str(),
                    kind_name(r.kind),
                    &r.size.to_string(),
                    &format!("{:o}", r.mode),
                    &r.uid.to_string(),
                    &r.gid.to_string(),
                    r.link_target.as_deref().unwrap_or(""),
                    &r.layer.to_string(),
                    r.created_by.as_deref().unwrap_or(""),
                    if r.visible { "true" } else { "false" },
                    r.attribution.map(|k| k.as_str()).unwrap_or(""),
                    &owner_text(r),
                ])?;
                Ok(())
            }
            Out::Plain(out) => {
                let mut path = r.path.clone();
                if let Some(t) = &r.link_target {
                    path = format!("{path} -> {t}");
                }
                if !r.visible {
                    path = format!("{path} (hidden)");
                }
                let owner = owner_text(r);
                if !owner.is_empty() {
                    path = format!("{path}  [{owner}]");
                }
                let fixed = format!(
                    "{:>10} {} {:>9} {:>3} {:<13}",
                    human_size(r.size),
                    mode_string(r.kind, r.mode),
                    format!("{}:{}", r.uid, r.gid),
                    r.layer + 1,
                    r.attribution.map(|k| k.as_str()).unwrap_or("-"),
                );
                let room = width.saturating_sub(fixed.chars().count() + 1);
                writeln!(out, "{fixed} {}", fit(&path, room))
            }
        }
    }

    fn header(&mut self) -> io::Result<()> {
        match &mut self.out {
            Out::Plain(_) if self.format == FilesFormat::JsonLines => Ok(()),
            Out::Csv(csv) => {
                csv.write_record([
                    "path",
                    "kind",
                    "size",
                    "mode",
                    "uid",
                    "gid",
                    "link_target",
                    "layer",
                    "created_by",
                    "visible",
                    "attribution",
                    "owner",
                ])?;
                Ok(())
            }
            Out::Plain(out) => writeln!(
                out,
                "{:>10} {:<10} {:>9} {:>3} {:<13} PATH  [OWNER]",
                "SIZE", "MODE", "UID:GID", "#", "KIND"
            ),
        }
    }

    /// Flush; in the table format, a closing line counting the rows and their bytes.
    pub fn finish(self, rows: u64, bytes: u64, layers: &[Option<String>]) -> io::Result<W> {
        let mut out = match self.out {
            Out::Csv(csv) => return csv.into_inner().map_err(|e| e.into_error()),
            Out::Plain(out) => out,
        };
        if self.format == FilesFormat::Table {
            writeln!(out, "{rows} entries, {}; layers:", human_size(bytes))?;
            for (i, c) in layers.iter().enumerate() {
                let cmd = c.as_deref().map(short_command).unwrap_or_default();
                writeln!(
                    out,
                    "{}",
                    fit(&format!("  #{:<3} {cmd}", i + 1), self.width)
                )?;
            }
        }
        out.flush()?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_read_like_ls() {
        assert_eq!(mode_string(EntryKind::Regular, 0o644), "-rw-r--r--");
        assert_eq!(mode_string(EntryKind::Regular, 0o4755), "-rwsr-xr-x");
        assert_eq!(mode_string(EntryKind::Directory, 0o1777), "drwxrwxrwt");
        assert_eq!(mode_string(EntryKind::Regular, 0o2644), "-rw-r-Sr--");
    }
}

//! Redacted excerpts: the only way a secret's bytes reach a [`crate::Finding`].

use std::fmt;

use serde::Serialize;

/// A secret, redacted: a context label that is not secret (a key name such as
/// `DB_PASSWORD`, a PEM header), at most 4 leading characters of the value (only a
/// well-known public prefix such as `ghp_`, `AKIA`, `xoxb`, and never more than a third
/// of it), and the value's length. Shown as `label ghp_…(40)`.
///
/// It is built by [`Redacted::new`], which takes the value and keeps only that much: the
/// full value is never stored, so no formatting or serialisation can print it.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Redacted {
    /// Context shown before the value (may be empty).
    pub label: String,
    /// The first characters of the value (0–4 of them, a public prefix).
    pub shown: String,
    /// Length of the whole value in bytes (`None` when it could not be measured, e.g. a
    /// PEM block whose end was not seen).
    pub len: Option<u64>,
}

/// Longest label kept (key names; longer ones are cut).
const MAX_LABEL: usize = 64;

impl Redacted {
    /// Keep `label`, at most `show.min(4)` leading bytes of `value` (and never more than a
    /// third of it; only ASCII graphic characters), and its length.
    pub fn new(label: &str, value: &[u8], show: usize) -> Redacted {
        let n = show.min(4).min(value.len() / 3);
        let shown: String = value[..n]
            .iter()
            .take_while(|b| b.is_ascii_graphic())
            .map(|&b| b as char)
            .collect();
        Redacted {
            label: clean_label(label),
            shown,
            len: Some(value.len() as u64),
        }
    }

    /// A value whose bytes are not at hand: only the label and the length (if known).
    pub fn label_only(label: &str, len: Option<u64>) -> Redacted {
        Redacted {
            label: clean_label(label),
            shown: String::new(),
            len,
        }
    }
}

fn clean_label(label: &str) -> String {
    label
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_LABEL)
        .collect()
}

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.label.is_empty() {
            write!(f, "{} ", self.label)?;
        }
        match self.len {
            Some(n) => write!(f, "{}…({n})", self.shown),
            None => write!(f, "{}…", self.shown),
        }
    }
}

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redacted({self})")
    }
}

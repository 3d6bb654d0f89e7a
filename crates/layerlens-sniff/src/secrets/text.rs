//! The streaming file scanner: token rules over every chunk, line rules over every
//! line, of one candidate text file.

use super::lines::{has_line_rules, line_rules, LineHit, Lines};
use super::tokens::{count_nl, Tokens, LOOKAHEAD};
use super::Scope;
use crate::redact::Redacted;
use crate::{Finding, FindingKind, Flow, Found};

pub(crate) struct TextSniff {
    scope: Scope,
    tokens: Tokens,
    lines: Option<Lines>,
    /// Bytes fed so far, and newlines among them.
    pos: u64,
    nl: u64,
    /// Bytes whose token starts have not been evaluated yet (< 2 × LOOKAHEAD): they start
    /// at stream offset `carry_off`, after `carry_nl` newlines; `carry_before` is the byte
    /// before them.
    carry: Vec<u8>,
    carry_off: u64,
    carry_nl: u64,
    carry_before: Option<u8>,
    binary: bool,
}

impl TextSniff {
    pub(crate) fn new(scope: Scope) -> TextSniff {
        TextSniff {
            scope,
            tokens: Tokens::new(None),
            lines: has_line_rules(scope).then(Lines::new),
            pos: 0,
            nl: 0,
            carry: Vec::new(),
            carry_off: 0,
            carry_nl: 0,
            carry_before: None,
            binary: false,
        }
    }

    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Flow {
        if chunk.is_empty() {
            return Flow::Continue;
        }
        if self.pos < 512 {
            let n = chunk.len().min((512 - self.pos) as usize);
            if memchr::memchr(0, &chunk[..n]).is_some() {
                self.binary = true;
                return Flow::Done;
            }
        }
        if let Some(lines) = &mut self.lines {
            let scope = self.scope;
            let tokens = &mut self.tokens;
            let mut hits = Vec::new();
            lines.push(chunk, self.pos, &mut |line, off, no| {
                line_rules(scope, line, &mut hits);
                push_line_hits(tokens, &mut hits, line, off, no);
            });
        }
        let nl_chunk = count_nl(chunk);
        let k = LOOKAHEAD;
        if !self.carry.is_empty() {
            let old = self.carry.len();
            let take = chunk.len().min(k);
            self.carry.extend_from_slice(&chunk[..take]);
            if take < k {
                // A small chunk: keep collecting, evaluating once there is lookahead.
                if self.carry.len() >= 2 * k {
                    let hi = self.carry.len() - k;
                    let (off, nlb, before) = (self.carry_off, self.carry_nl, self.carry_before);
                    self.tokens
                        .scan(&self.carry, off, 0, hi, nlb, before, false);
                    self.carry_nl += count_nl(&self.carry[..hi]);
                    self.carry_before = Some(self.carry[hi - 1]);
                    self.carry_off += hi as u64;
                    self.carry.drain(..hi);
                }
                self.pos += chunk.len() as u64;
                self.nl += nl_chunk;
                return Flow::Continue;
            }
            let (off, nlb, before) = (self.carry_off, self.carry_nl, self.carry_before);
            self.tokens
                .scan(&self.carry, off, 0, old, nlb, before, false);
        }
        // The chunk itself, in place: starts with a full lookahead inside it.
        let before = if self.pos == 0 {
            None
        } else if !self.carry.is_empty() {
            // The byte before the chunk is the last carried byte before the extension.
            let old_len = self.carry.len() - chunk.len().min(k);
            if old_len > 0 {
                Some(self.carry[old_len - 1])
            } else {
                self.carry_before
            }
        } else {
            self.carry_before
        };
        let hi = chunk.len().saturating_sub(k);
        self.tokens
            .scan(chunk, self.pos, 0, hi, self.nl, before, false);
        // Carry the tail.
        self.carry.clear();
        self.carry.extend_from_slice(&chunk[hi..]);
        self.carry_off = self.pos + hi as u64;
        self.carry_nl = self.nl + nl_chunk - count_nl(&chunk[hi..]);
        self.carry_before = if hi > 0 { Some(chunk[hi - 1]) } else { before };
        self.pos += chunk.len() as u64;
        self.nl += nl_chunk;
        Flow::Continue
    }

    pub(crate) fn finish(mut self) -> Vec<Found> {
        if self.binary {
            return Vec::new();
        }
        if !self.carry.is_empty() {
            let (off, nlb, before) = (self.carry_off, self.carry_nl, self.carry_before);
            let n = self.carry.len();
            self.tokens.scan(&self.carry, off, 0, n, nlb, before, true);
        }
        if let Some(mut lines) = self.lines.take() {
            let scope = self.scope;
            let tokens = &mut self.tokens;
            let mut hits = Vec::new();
            lines.end(&mut |line, off, no| {
                line_rules(scope, line, &mut hits);
                push_line_hits(tokens, &mut hits, line, off, no);
            });
        }
        self.tokens.finish()
    }
}

fn push_line_hits(tokens: &mut Tokens, hits: &mut Vec<LineHit>, line: &[u8], off: u64, no: u32) {
    for h in hits.drain(..) {
        tokens.push(Finding {
            kind: FindingKind::Secret,
            rule: h.rule,
            offset: off + h.start as u64,
            line: no,
            excerpt: Redacted::new(&h.label, &line[h.start..h.start + h.len], h.show),
        });
    }
}

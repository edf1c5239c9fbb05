//! One record of a page that does not decode: an item of its own, never
//! the whole page's failure.

use std::fmt;

use crate::text::Shown;

/// The most of a record's raw JSON kept in a [`BadRecord`].
pub const BAD_RECORD_RAW_BYTES: usize = 1024;

/// What was wrong with a record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BadRecordKind {
    /// A field does not decode (a value of the wrong type, a timestamp
    /// nothing parses, such as PostgreSQL's `infinity`), or a required
    /// field is missing (the field is then `.`, the record itself).
    Field {
        /// Where in the record decoding failed, e.g. `created_at`.
        path: String,
    },
}

/// One record of a page (a run, or an automation) that does not decode,
/// while the page does: the page's other records are decoded and kept.
/// It names the record (its `id`, when it has a string one), the field,
/// and its raw JSON, cut at [`BAD_RECORD_RAW_BYTES`].
///
/// A watch yields it as an error item and goes on (once per record); a
/// page holds it beside its runs ([`Page::bad_records`](crate::Page::bad_records));
/// an item stream yields it in its place and ends there, its checkpoint
/// past it (see the README, "Every run: pagination streams").
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BadRecord {
    pub(crate) kind: BadRecordKind,
    pub(crate) id: Option<String>,
    pub(crate) index: usize,
    pub(crate) raw: String,
    pub(crate) truncated: bool,
    pub(crate) source: std::sync::Arc<serde_json::Error>,
    /// The ids of the records decoded right before and right after it on
    /// its page, as the server sent them (where an item stream stops).
    pub(crate) prev: Option<String>,
    pub(crate) next: Option<String>,
}

impl BadRecord {
    /// A record at `index` of its page (as the server sent it), `raw`, that
    /// failed to decode at `path` with `source` (for a page made by hand:
    /// [`Page::with_bad`](crate::Page::with_bad)).
    pub fn new(index: usize, raw: &str, path: String, source: serde_json::Error) -> Self {
        let id = serde_json::from_str::<serde_json::Value>(raw)
            .ok()
            .and_then(|v| v.get("id")?.as_str().map(str::to_owned));
        let mut cut = raw.len().min(BAD_RECORD_RAW_BYTES);
        while !raw.is_char_boundary(cut) {
            cut = cut.saturating_sub(1);
        }
        Self {
            kind: BadRecordKind::Field { path },
            id,
            index,
            raw: raw[..cut].to_owned(),
            truncated: cut < raw.len(),
            source: std::sync::Arc::new(source),
            prev: None,
            next: None,
        }
    }

    /// What was wrong.
    pub fn kind(&self) -> &BadRecordKind {
        &self.kind
    }

    /// The record's `id`, when it has a string one.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The field that does not decode (`.`: the record itself, say a
    /// required field missing).
    pub fn field(&self) -> &str {
        match &self.kind {
            BadRecordKind::Field { path } => path,
        }
    }

    /// Where the record stood on its page, as the server sent it (0: the
    /// first).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The record's raw JSON, at most [`BAD_RECORD_RAW_BYTES`] of it.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Whether [`raw`](Self::raw) was cut.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }
}

impl fmt::Display for BadRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "record \"{}\"", Shown(id))?,
            None => write!(f, "a record without an id")?,
        }
        write!(f, " (number {} on its page) does not decode", self.index)?;
        if self.field() != "." {
            write!(f, " at `{}`", Shown(self.field()))?;
        }
        write!(
            f,
            ": {}; it reads \"{}{}\"",
            Shown(&self.source.to_string()),
            Shown(&self.raw),
            if self.truncated { "…" } else { "" }
        )
    }
}

impl std::error::Error for BadRecord {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

//! Text for messages: values shown in errors are cut to a bounded length,
//! on a character boundary, and text from a server is shown with its
//! control characters escaped, so no answer can inject lines or terminal
//! escapes into a log, or flood it.

use std::fmt;

/// The most characters of one piece of server text an error's `Display`
/// shows.
pub(crate) const SHOWN_CHARS: usize = 300;

/// Server text as an error's `Display` shows it: control characters
/// escaped (`\n`, `\u{1b}`), at most [`SHOWN_CHARS`] characters, and a marker
/// saying how much was left out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shown<'a>(pub(crate) &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The bound is on what is written: an escape is several characters.
        let mut written = 0;
        let mut chars = self.0.chars();
        for c in chars.by_ref() {
            let width = if c.is_control() {
                c.escape_default().count()
            } else {
                1
            };
            if written + width > SHOWN_CHARS {
                let rest = chars.count() + 1;
                return write!(f, "…[{rest} more characters]");
            }
            written += width;
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// The first `max` characters of `s`, with `…` when cut.
pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_is_escaped_and_bounded() {
        assert_eq!(Shown("a\nb\x1b[31mc\t").to_string(), "a\\nb\\u{1b}[31mc\\t");
        assert_eq!(Shown("plain é").to_string(), "plain é");
        let long = "é".repeat(SHOWN_CHARS + 5);
        assert_eq!(
            Shown(&long).to_string(),
            format!("{}…[5 more characters]", "é".repeat(SHOWN_CHARS))
        );
        assert_eq!(
            Shown(&"x".repeat(SHOWN_CHARS)).to_string(),
            "x".repeat(SHOWN_CHARS)
        );
    }

    #[test]
    fn cuts_on_a_character_boundary_with_a_marker() {
        assert_eq!(truncate_chars("abc", 3), "abc");
        assert_eq!(truncate_chars("abcd", 3), "abc…");
        assert_eq!(truncate_chars("ééé", 2), "éé…");
        assert_eq!(truncate_chars("", 0), "");
    }
}

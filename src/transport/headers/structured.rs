//! The subset of RFC 9651 (structured fields) the rate-limit headers use,
//! read by hand and leniently: a list of items, each a string, a token or
//! an integer, with parameters `;key=value` (an integer, a string, a
//! token; a byte sequence or a boolean is read and ignored, as the draft's
//! partition key `pk=:...:` is). Anything else makes the whole field
//! garbage: `None`, never an error.

// Bytes from servers: no arithmetic here may overflow or panic.
#![warn(clippy::arithmetic_side_effects)]

/// A bare item or a parameter's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Bare {
    /// An integer: at most 15 digits, maybe negative.
    Integer(i64),
    /// A string or a token (a policy's name).
    Name(String),
    /// A byte sequence or a boolean: well formed, not used.
    Other,
}

/// One entry of a list (RFC 8941's "list member"): its item and its
/// parameters, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) item: Bare,
    params: Vec<(String, Bare)>,
}

impl Entry {
    /// The value of parameter `key` (the last one, if repeated, as RFC
    /// 9651 says) when it is a non-negative integer.
    pub(super) fn uint(&self, key: &str) -> Option<u64> {
        match self.params.iter().rev().find(|(k, _)| k == key)? {
            (_, Bare::Integer(n)) => u64::try_from(*n).ok(),
            _ => None,
        }
    }

    /// The item as a policy's name, if it is a string or a token.
    pub(super) fn name(&self) -> Option<&str> {
        match &self.item {
            Bare::Name(name) => Some(name),
            _ => None,
        }
    }
}

/// Parses a list field's value; `None` when it is not one (an empty value
/// is an empty list).
pub(super) fn list(value: &str) -> Option<Vec<Entry>> {
    let mut input = value.trim_matches([' ', '\t']).as_bytes();
    let mut entries = Vec::new();
    while !input.is_empty() {
        entries.push(entry(&mut input)?);
        input = skip(input, b" \t");
        match input.split_first() {
            None => break,
            Some((b',', rest)) => {
                input = skip(rest, b" \t");
                if input.is_empty() {
                    return None; // a trailing comma
                }
            }
            Some(_) => return None,
        }
    }
    Some(entries)
}

/// `input` without its leading bytes from `set`.
fn skip<'a>(mut input: &'a [u8], set: &[u8]) -> &'a [u8] {
    while let Some((first, rest)) = input.split_first()
        && set.contains(first)
    {
        input = rest;
    }
    input
}

fn entry(input: &mut &[u8]) -> Option<Entry> {
    let item = bare(input)?;
    let mut params = Vec::new();
    while let Some((b';', rest)) = input.split_first() {
        *input = skip(rest, b" ");
        let key = key(input)?;
        let value = match input.split_first() {
            Some((b'=', rest)) => {
                *input = rest;
                bare(input)?
            }
            _ => Bare::Other, // a boolean true
        };
        params.push((key, value));
    }
    Some(Entry { item, params })
}

/// A parameter's key: a lowercase letter or `*`, then lowercase letters,
/// digits, `_`, `-`, `.`, `*`.
fn key(input: &mut &[u8]) -> Option<String> {
    let (first, _) = input.split_first()?;
    if !(first.is_ascii_lowercase() || *first == b'*') {
        return None;
    }
    let len = input
        .iter()
        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"_-.*".contains(c))
        .count();
    let (key, rest) = input.split_at_checked(len)?;
    *input = rest;
    Some(String::from_utf8_lossy(key).into_owned())
}

fn bare(input: &mut &[u8]) -> Option<Bare> {
    match input.first()? {
        b'-' | b'0'..=b'9' => integer(input),
        b'"' => string(input),
        b':' => {
            // A byte sequence: base64 between colons.
            let (_, rest) = input.split_first()?;
            let len = rest
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || b"+/=".contains(c))
                .count();
            let (_, rest) = rest.split_at_checked(len)?;
            let (b':', rest) = rest.split_first()? else {
                return None;
            };
            *input = rest;
            Some(Bare::Other)
        }
        b'?' => match input.get(1)? {
            b'0' | b'1' => {
                *input = input.get(2..)?;
                Some(Bare::Other)
            }
            _ => None,
        },
        c if c.is_ascii_alphabetic() || *c == b'*' => {
            let len = input
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(c))
                .count();
            let (token, rest) = input.split_at_checked(len)?;
            *input = rest;
            Some(Bare::Name(String::from_utf8_lossy(token).into_owned()))
        }
        _ => None,
    }
}

/// An integer of at most 15 digits (a decimal is not in the subset).
fn integer(input: &mut &[u8]) -> Option<Bare> {
    let (negative, digits) = match input.split_first()? {
        (b'-', rest) => (true, rest),
        _ => (false, *input),
    };
    let len = digits.iter().take_while(|c| c.is_ascii_digit()).count();
    if len == 0 || len > 15 || digits.get(len) == Some(&b'.') {
        return None;
    }
    let (digits, rest) = digits.split_at_checked(len)?;
    let mut n: i64 = 0;
    for d in digits {
        n = n
            .checked_mul(10)?
            .checked_add(i64::from(d.checked_sub(b'0')?))?;
    }
    *input = rest;
    Some(Bare::Integer(if negative { n.checked_neg()? } else { n }))
}

/// A string: printable ASCII between quotes, `\"` and `\\` escaped.
fn string(input: &mut &[u8]) -> Option<Bare> {
    let (_, mut rest) = input.split_first()?;
    let mut out = String::new();
    loop {
        let (&c, after) = rest.split_first()?;
        rest = after;
        match c {
            b'"' => break,
            b'\\' => {
                let (&escaped, after) = rest.split_first()?;
                if escaped != b'"' && escaped != b'\\' {
                    return None;
                }
                out.push(char::from(escaped));
                rest = after;
            }
            0x20..=0x7e => out.push(char::from(c)),
            _ => return None,
        }
    }
    *input = rest;
    Some(Bare::Name(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Bare {
        Bare::Name(s.to_owned())
    }

    #[test]
    fn the_subset_is_read() {
        let l = list(r#""default";q=100;qu="requests";w=10;pk=:cHsdsRa894==:"#).unwrap();
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].item, name("default"));
        assert_eq!((l[0].uint("q"), l[0].uint("w")), (Some(100), Some(10)));
        assert_eq!(l[0].uint("qu"), None);
        assert_eq!(l[0].uint("pk"), None);
        let l = list(r#"burst;r=5 ,  "d\"a\\y";r=0;t=7;w=-3;flag, 12;w=1"#).unwrap();
        assert_eq!(l.len(), 3);
        assert_eq!(l[0].name(), Some("burst"));
        assert_eq!(l[1].name(), Some(r#"d"a\y"#));
        assert_eq!((l[1].uint("r"), l[1].uint("t")), (Some(0), Some(7)));
        assert_eq!((l[1].uint("w"), l[1].uint("flag")), (None, None));
        assert_eq!(
            (l[2].item.clone(), l[2].uint("w")),
            (Bare::Integer(12), Some(1))
        );
        // The last of a repeated parameter; `; key` after the semicolon.
        let l = list("a;r=1;r=2; t=3").unwrap();
        assert_eq!((l[0].uint("r"), l[0].uint("t")), (Some(2), Some(3)));
        assert_eq!(list("").unwrap(), []);
        assert_eq!(list("  \t").unwrap(), []);
        assert_eq!(
            list("999999999999999").unwrap()[0].item,
            Bare::Integer(999_999_999_999_999)
        );
        assert_eq!(
            list("-999999999999999").unwrap()[0].item,
            Bare::Integer(-999_999_999_999_999)
        );
        assert_eq!(list("a;b=?1;c=?0").unwrap()[0].uint("b"), None);
    }

    #[test]
    fn anything_else_is_garbage() {
        for garbage in [
            "a,",
            ",a",
            "a,,b",
            "a b",
            "\"open",
            "\"bad\\escape\"",
            "\"tab\there\"",
            "a;R=1",
            "a;=1",
            "a;",
            "a;r=",
            "a;r=1.5",
            "1.5",
            "1000000000000000",
            "-",
            "a;r=-",
            "a;pk=:abc",
            "a;b=?2",
            "(a b)",
            "@",
            "a;r=1;t=\u{e9}",
            "\"caf\u{e9}\"",
        ] {
            assert_eq!(list(garbage), None, "{garbage:?}");
        }
    }
}

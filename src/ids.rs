//! Validated ids and cursors, and the page size.
//!
//! Ids are opaque: Resend's are UUIDs today, but its SDKs' fixtures use ids
//! like `wr_456`, so a UUID-only check would break the day the format
//! changes. What is checked is what keeps a request safe: 1 to 256 bytes of
//! ASCII letters, digits, `-` and `_`, which can never alter a path or query.

use std::fmt;
use std::num::NonZeroU32;

use serde::{Serialize, Serializer};

use crate::error::{Error, InvalidArgument, InvalidReason};

/// The longest id or cursor accepted, in bytes.
pub const MAX_ID_LEN: usize = 256;

/// Whether an id may hold `b`: ASCII letters, digits, `-` and `_`.
/// Range checks without side effects, so a pass over an id's bytes
/// compiles branch-free and vectorizes.
#[inline]
const fn is_id_byte(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'-' | b'_')
}

/// Checks `value` as an id for `parameter`, without allocating.
pub(crate) fn check_id(parameter: &'static str, value: &str) -> Result<(), InvalidArgument> {
    // Every page checks a hundred run ids: one branch-free pass over the
    // bytes (it vectorizes), and a second only to find a bad byte.
    let all_ok = value.bytes().fold(true, |ok, b| ok & is_id_byte(b));
    let bad = match all_ok {
        true => None,
        false => value.bytes().position(|b| !is_id_byte(b)),
    };
    let reason = if value.is_empty() {
        InvalidReason::Empty
    } else if value.len() > MAX_ID_LEN {
        InvalidReason::TooLong {
            len: value.len(),
            max: MAX_ID_LEN,
        }
    } else if let Some(at) = bad {
        // `at` starts a character: every byte before it is ASCII.
        let ch = value[at..]
            .chars()
            .next()
            .unwrap_or(char::REPLACEMENT_CHARACTER);
        InvalidReason::ForbiddenChar { ch, at }
    } else {
        return Ok(());
    };
    Err(InvalidArgument::new(parameter, value, reason))
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $parameter:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Validates `value`: 1 to 256 ASCII letters, digits, `-` and `_`.
            ///
            /// # Errors
            /// [`Error::InvalidArgument`] naming the parameter and showing the value.
            pub fn new(value: impl AsRef<str> + Into<String>) -> Result<Self, Error> {
                Ok(Self::parse_for($parameter, value)?)
            }

            /// Validates `value` as [`new`](Self::new) does, naming
            /// `parameter` in the error (a builder's own option's name).
            ///
            /// # Errors
            /// [`InvalidArgument`] naming `parameter` and showing the value.
            pub fn parse_for(
                parameter: &'static str,
                value: impl AsRef<str> + Into<String>,
            ) -> Result<Self, InvalidArgument> {
                check_id(parameter, value.as_ref())?;
                Ok(Self(value.into()))
            }

            /// For a value already checked by [`check_id`].
            #[allow(dead_code)]
            pub(crate) fn from_checked(value: String) -> Self {
                debug_assert!(check_id($parameter, &value).is_ok());
                Self(value)
            }

            /// Overwrites with a value already checked, reusing the allocation.
            #[allow(dead_code)]
            pub(crate) fn set_checked(&mut self, value: &str) {
                debug_assert!(check_id($parameter, value).is_ok());
                self.0.clear();
                self.0.push_str(value);
            }

            /// The id as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = Error;

            fn try_from(s: &str) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;

            fn try_from(s: String) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A workflow's id, validated to be safe in a URL path.
    ///
    /// ```
    /// use resend_workflows::WorkflowId;
    ///
    /// assert!(WorkflowId::new("0b7e6f5a-2c4d-4e8f-9a1b-3c5d7e9f1a2b").is_ok());
    /// assert!(WorkflowId::new("wf_123").is_ok());
    /// assert!(WorkflowId::new("../admin").is_err());
    /// ```
    WorkflowId,
    "workflow_id"
);

id_type!(
    /// An automation's id, validated to be safe in a URL path.
    ///
    /// ```
    /// use resend_workflows::AutomationId;
    ///
    /// assert!(AutomationId::new("7c9e6679-7425-40de-944b-e07fc1f90ae7").is_ok());
    /// assert!(AutomationId::new("a b").is_err());
    /// ```
    AutomationId,
    "automation_id"
);

id_type!(
    /// A run's id, validated to be safe in a URL path.
    ///
    /// ```
    /// use resend_workflows::RunId;
    ///
    /// assert!(RunId::new("wr_456").is_ok());
    /// assert!(RunId::new("").is_err());
    /// ```
    RunId,
    "run_id"
);

id_type!(
    /// A pagination cursor: the id of a run, which the page excludes.
    ///
    /// `after(cursor)` pages towards older runs, `before(cursor)` towards newer
    /// ones. Validated like every id, so it can never change the query.
    ///
    /// ```
    /// use resend_workflows::Cursor;
    ///
    /// let cursor = Cursor::new("a1b2c3d4-e5f6-7890-abcd-ef1234567890").unwrap();
    /// assert_eq!(cursor.as_str(), "a1b2c3d4-e5f6-7890-abcd-ef1234567890");
    /// assert!(Cursor::new("abc&limit=1").is_err());
    /// ```
    Cursor,
    "cursor"
);

/// The number of runs per page: 1 to 100. The default is 100, the maximum,
/// which keeps requests few under Resend's per-team rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageSize(NonZeroU32);

impl PageSize {
    /// The smallest page Resend accepts.
    pub const MIN: u32 = 1;
    /// The largest page Resend accepts, and the default.
    pub const MAX: u32 = 100;

    /// Validates `limit`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a value outside 1..=100.
    pub fn new(limit: u32) -> Result<Self, Error> {
        match NonZeroU32::new(limit) {
            Some(n) if limit <= Self::MAX => Ok(Self(n)),
            _ => Err(InvalidArgument::new(
                "limit",
                &limit.to_string(),
                InvalidReason::OutOfRange {
                    min: Self::MIN,
                    max: Self::MAX,
                },
            )
            .into()),
        }
    }

    /// The limit as a number.
    pub fn get(self) -> u32 {
        self.0.get()
    }

    pub(crate) fn non_zero(self) -> NonZeroU32 {
        self.0
    }
}

impl Default for PageSize {
    fn default() -> Self {
        Self(NonZeroU32::new(Self::MAX).expect("100 is not zero"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_ascii_letters_digits_dash_and_underscore_are_id_bytes() {
        for b in 0..=u8::MAX {
            let expected = matches!(b, b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'-' | b'_');
            assert_eq!(is_id_byte(b), expected, "byte {b:#04x}");
            if b.is_ascii() {
                let id = format!("ab{}", char::from(b));
                assert_eq!(check_id("x", &id).is_ok(), expected, "{id:?}");
            }
        }
        assert!(check_id("x", "AZaz09-_").is_ok());
    }

    #[test]
    fn ids_are_one_to_256_bytes() {
        let at = |n: usize| check_id("run_id", &"a".repeat(n));
        assert_eq!(at(0).unwrap_err().reason(), &InvalidReason::Empty);
        assert!(at(1).is_ok() && at(255).is_ok() && at(256).is_ok());
        for n in [257, 300] {
            assert_eq!(
                at(n).unwrap_err().reason(),
                &InvalidReason::TooLong { len: n, max: 256 }
            );
        }
        let e = check_id("after", "ab/c").unwrap_err();
        assert_eq!(
            (e.parameter(), e.reason()),
            ("after", &InvalidReason::ForbiddenChar { ch: '/', at: 2 })
        );
        let e = check_id("after", "aé").unwrap_err();
        assert_eq!(e.reason(), &InvalidReason::ForbiddenChar { ch: 'é', at: 1 });
    }

    #[test]
    fn ids_keep_their_text_and_checked_values_are_reused() {
        let mut c = Cursor::new("abc").unwrap();
        assert_eq!((c.as_str(), c.to_string()), ("abc", "abc".to_owned()));
        assert_eq!(format!("{c:?}"), "Cursor(\"abc\")");
        c.set_checked("defg");
        assert_eq!(c, Cursor::from_checked("defg".to_owned()));
        assert_eq!(String::from(c), "defg");
        assert_eq!(RunId::try_from("r_1").unwrap().as_ref(), "r_1");
        assert!("a b".parse::<WorkflowId>().is_err());
        assert_eq!(
            AutomationId::new("").unwrap_err().to_string(),
            "invalid argument, nothing was sent: `automation_id` is empty"
        );
    }

    #[test]
    fn page_sizes_are_1_to_100_and_default_to_100() {
        for n in [1, 37, 100] {
            let size = PageSize::new(n).unwrap();
            assert_eq!((size.get(), size.non_zero().get()), (n, n));
        }
        for n in [0, 101, u32::MAX] {
            assert!(PageSize::new(n).is_err(), "{n}");
        }
        assert_eq!(PageSize::default().get(), 100);
        assert_eq!(PageSize::default().non_zero().get(), 100);
    }
}

//! `StoreError`: what a store reports when it fails.

use std::fmt;

use crate::error::{Error, WatchError};

/// A store failed: its file, its database, its own rule. An
/// [`std::error::Error`] with the cause as its source, so `?` converts it into
/// a `Box<dyn Error + Send + Sync>` or into this crate's [`Error`] (as an
/// [`Error::Watch`] of kind [`Store`](crate::WatchErrorKind::Store)).
///
/// A store of a service's own makes one from any error or message:
/// `StoreError::new(e)`, `StoreError::from("the row is gone")`.
#[derive(Debug)]
pub struct StoreError {
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl StoreError {
    /// A store error caused by `source` (an error, or a message).
    pub fn new(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            source: source.into(),
        }
    }

    /// The cause.
    pub fn cause(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.source
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.source.fmt(f)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

impl From<String> for StoreError {
    fn from(message: String) -> Self {
        Self::new(message)
    }
}

impl From<&str> for StoreError {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        Self::new(e)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        Self::new(e)
    }
}

#[cfg(feature = "postgres")]
impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::new(e)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        WatchError::store(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Err(StoreError::from("disk full"))?
    }

    fn ours() -> Result<(), Error> {
        Err(StoreError::from("disk full"))?
    }

    fn plain_boxed() -> Result<(), Box<dyn std::error::Error>> {
        Err(StoreError::from("disk full"))?
    }

    #[test]
    fn a_store_error_goes_through_question_marks_into_the_errors_users_return() {
        assert_eq!(boxed().unwrap_err().to_string(), "disk full");
        assert_eq!(plain_boxed().unwrap_err().to_string(), "disk full");
        let err = ours().unwrap_err();
        assert!(matches!(err, Error::Watch(_)), "{err:?}");
        assert_eq!(err.to_string(), "the watch's state store failed: disk full");
        let source = std::error::Error::source(&err).and_then(std::error::Error::source);
        assert_eq!(
            source.map(ToString::to_string).as_deref(),
            Some("disk full")
        );
    }
}

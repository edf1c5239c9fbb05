//! The checks behind each fuzz target, as plain functions: the targets call
//! them on what libFuzzer generates, and `cargo test` calls them on the
//! committed corpus (`corpus/<target>/`), so the targets cannot rot.

use std::time::{Duration, SystemTime};

use resend_workflows::{Error, MAX_SERVER_WAIT, Timestamp};

/// The timestamp parser: never a panic; on every input chrono also
/// accepts (RFC 3339, or Postgres text), the same instant; whatever it
/// accepts prints as RFC 3339 that parses back to the same instant.
pub fn timestamp(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ours = Timestamp::parse(text);
    let chrono = chrono::DateTime::parse_from_rfc3339(text)
        .or_else(|_| chrono::DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%#z"))
        .map(|t| t.with_timezone(&chrono::Utc));
    // Years outside 0..=9999 are refused: RFC 3339 cannot print them back.
    let four_digit_year = |t: &chrono::DateTime<chrono::Utc>| {
        use chrono::Datelike;
        (0..=9999).contains(&t.year())
    };
    if let Ok(t) = &chrono
        && !four_digit_year(t)
    {
        assert!(
            ours.is_err(),
            "{text:?}: a year outside 0..=9999 is refused"
        );
        return;
    }
    if let Ok(expected) = chrono {
        let ours = ours
            .as_ref()
            .unwrap_or_else(|e| panic!("chrono reads {text:?}, we do not: {e}"));
        assert_eq!(ours.as_datetime(), expected, "{text:?}");
    }
    if let Ok(t) = ours {
        let printed = t.to_string();
        assert_eq!(
            Timestamp::parse(&printed).ok(),
            Some(t),
            "{text:?} printed as {printed:?}"
        );
    }
}

/// Every decoder, on any bytes: a value or a typed error whose message is
/// bounded and has no raw control characters.
pub fn decode(data: &[u8]) {
    let headers = reqwest::header::HeaderMap::new();
    let errors = [
        resend_workflows::internals::workflow_page(&headers, data).err(),
        resend_workflows::internals::automation_page(&headers, data).err(),
        resend_workflows::internals::workflow_run(data).err(),
        resend_workflows::internals::automation_run(data).err(),
    ];
    for error in errors.into_iter().flatten() {
        assert!(
            matches!(
                error,
                Error::Decode(_) | Error::Pagination(_) | Error::InvalidArgument(_)
            ),
            "{error:?}"
        );
        let shown = error.to_string();
        assert!(shown.chars().count() <= 1200, "{} chars", shown.len());
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
    }
}

/// The header readers, on any header values (both rate-limit forms):
/// never a panic, and every wait and window they read is at most
/// `MAX_SERVER_WAIT`.
pub fn headers(data: &[u8]) {
    const NAMES: [&str; 6] = [
        "retry-after",
        "ratelimit-remaining",
        "ratelimit-reset",
        "ratelimit-limit",
        "ratelimit-policy",
        "ratelimit",
    ];
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in NAMES.iter().zip(data.split(|&b| b == b'\n')) {
        if let Ok(value) = reqwest::header::HeaderValue::from_bytes(value) {
            headers.insert(*name, value);
        }
    }
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000);
    let (rate_limit, retry_after, wait) = resend_workflows::internals::read_headers(&headers, now);
    let reset = rate_limit.and_then(|r| r.reset);
    let window = rate_limit.and_then(|r| r.window);
    for d in [retry_after, wait, reset, window].into_iter().flatten() {
        assert!(d <= MAX_SERVER_WAIT, "{d:?} from {headers:?}");
    }
}

#[cfg(test)]
mod tests {
    /// Runs every file of `corpus/<target>/` through `check`.
    fn replay(target: &str, check: fn(&[u8])) -> usize {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus")
            .join(target);
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            check(&std::fs::read(&path).unwrap());
            n += 1;
        }
        n
    }

    #[test]
    fn the_timestamp_corpus_passes() {
        assert!(replay("timestamp", super::timestamp) > 0);
    }

    #[test]
    fn the_decode_corpus_passes() {
        assert!(replay("decode", super::decode) > 0);
    }

    #[test]
    fn the_headers_corpus_passes() {
        assert!(replay("headers", super::headers) > 0);
    }
}

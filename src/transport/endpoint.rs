//! Where requests go: the base URL and an optional proxy, each checked so
//! the API key never crosses a network in clear (plain `http://` only to
//! loopback), and shown in errors without any credentials they carry.

use crate::error::ConfigError;
use crate::text::Shown;

/// Checks the base URL and drops trailing slashes (the generated code
/// appends `/workflows/...`, and `//workflows` would be a different path).
pub(crate) fn base_url(raw: &str) -> Result<String, ConfigError> {
    let url = parse("base URL", raw)?;
    let shown = Shown(&without_credentials(raw)).to_string();
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::new(format!(
            "base URL \"{shown}\" must not have a query or fragment"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::new(
            "the base URL must not carry credentials; use .api_key(..)",
        ));
    }
    plain_http_only_to_loopback("base URL", &url, &shown)?;
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Checks a proxy's URL: `https://`, or `http://` to loopback (a proxy
/// over plain http would see the key). Credentials for the proxy may be in
/// it; they are never shown.
pub(crate) fn proxy(raw: &str) -> Result<reqwest::Proxy, ConfigError> {
    let url = parse("proxy URL", raw)?;
    let shown = Shown(&without_credentials(raw)).to_string();
    plain_http_only_to_loopback("proxy URL", &url, &shown)?;
    reqwest::Proxy::all(url)
        .map_err(|e| ConfigError::with_source(format!("proxy URL \"{shown}\" is not usable"), e))
}

fn parse(what: &str, raw: &str) -> Result<url::Url, ConfigError> {
    url::Url::parse(raw.trim()).map_err(|e| {
        let shown = Shown(&without_credentials(raw)).to_string();
        ConfigError::with_source(format!("{what} \"{shown}\" is not a valid URL"), e)
    })
}

fn plain_http_only_to_loopback(what: &str, url: &url::Url, shown: &str) -> Result<(), ConfigError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(ConfigError::new(format!(
            "{what} \"{shown}\" is plain http to a non-loopback host: the API key would \
             cross the network unencrypted; use https"
        ))),
        other => Err(ConfigError::new(format!(
            "{what} \"{shown}\" has scheme \"{}\"; expected https",
            Shown(other)
        ))),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// `raw` with anything that could be credentials (before an `@` in the
/// authority) replaced by `***`: works on text that does not parse too.
fn without_credentials(raw: &str) -> String {
    let raw = raw.trim();
    let start = raw.find("://").map_or(0, |i| i + 3);
    let end = raw[start..]
        .find(['/', '?', '#'])
        .map_or(raw.len(), |i| start + i);
    match raw[start..end].rfind('@') {
        Some(at) => format!("{}***@{}", &raw[..start], &raw[start + at + 1..]),
        None => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let ok = |s: &str| base_url(s).unwrap();
        assert_eq!(ok("https://api.resend.com"), "https://api.resend.com");
        assert_eq!(ok("https://api.resend.com/"), "https://api.resend.com");
        assert_eq!(ok("https://x.test/v1/"), "https://x.test/v1");
        assert_eq!(ok("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
        assert_eq!(ok("http://[::1]:1"), "http://[::1]:1");
        assert_eq!(ok("http://localhost:1"), "http://localhost:1");
        for bad in [
            "",
            "api.resend.com",
            "http://api.resend.com",
            "http://10.0.0.1",
            "ftp://x.test",
            "https://u:p@x.test",
            "https://x.test/?a=b",
        ] {
            assert!(base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn proxies() {
        for ok in [
            "https://proxy.test:3128",
            "http://127.0.0.1:3128",
            "http://u:p@localhost:1",
        ] {
            assert!(proxy(ok).is_ok(), "{ok}");
        }
        for bad in ["http://proxy.test:3128", "ftp://x.test", "nonsense"] {
            assert!(proxy(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn credentials_are_never_shown() {
        assert_eq!(
            without_credentials("https://u:p@x.test/a@b"),
            "https://***@x.test/a@b"
        );
        assert_eq!(
            without_credentials(" https://x.test/?q=a@b "),
            "https://x.test/?q=a@b"
        );
        assert_eq!(without_credentials("u:p@x"), "***@x");
        assert_eq!(
            without_credentials("https://a@b@c.test"),
            "https://***@c.test"
        );
        let err = proxy("http://user:s3cret@proxy.test:3128")
            .unwrap_err()
            .to_string();
        assert!(
            !err.contains("s3cret") && err.contains("***@proxy.test"),
            "{err}"
        );
    }
}

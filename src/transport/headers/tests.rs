//! The headers read, in both forms, on tables.
#![allow(clippy::arithmetic_side_effects)]

use super::*;
use reqwest::header::{HeaderName, HeaderValue};

/// Headers with these names (in any case; a name given twice is two
/// lines) and values.
fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    h
}

#[test]
fn server_waits() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // 06 Nov 1994 08:49:37 GMT
    let w = |pairs: &[(&'static str, &str)]| Hints::read(&headers(pairs), now).server_wait();
    assert_eq!(w(&[("retry-after", "7")]), Some(Duration::from_secs(7)));
    assert_eq!(
        w(&[("retry-after", "Sun, 06 Nov 1994 08:49:47 GMT")]),
        Some(Duration::from_secs(10))
    );
    assert_eq!(
        w(&[("retry-after", "Sun, 06 Nov 1994 08:49:27 GMT")]),
        Some(Duration::ZERO)
    );
    assert_eq!(
        w(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "3")]),
        Some(Duration::from_secs(3))
    );
    assert_eq!(
        w(&[("ratelimit-remaining", "2"), ("ratelimit-reset", "3")]),
        None
    );
    assert_eq!(
        w(&[
            ("retry-after", "soon"),
            ("ratelimit-remaining", "0"),
            ("ratelimit-reset", "2")
        ]),
        Some(Duration::from_secs(2))
    );
    // Both: the longer, as an error's `retry_after()` says.
    assert_eq!(
        w(&[
            ("retry-after", "1"),
            ("ratelimit-remaining", "0"),
            ("ratelimit-reset", "3")
        ]),
        Some(Duration::from_secs(3))
    );
    assert_eq!(w(&[("retry-after", "-5")]), None);
    // Every server-given duration is capped.
    let huge = u64::MAX.to_string();
    assert_eq!(w(&[("retry-after", &huge)]), Some(MAX_SERVER_WAIT));
    assert_eq!(
        w(&[("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")]),
        Some(MAX_SERVER_WAIT)
    );
    assert_eq!(
        w(&[("ratelimit-remaining", "0"), ("ratelimit-reset", &huge)]),
        Some(MAX_SERVER_WAIT)
    );
    let max_secs = MAX_SERVER_WAIT.as_secs().to_string();
    assert_eq!(w(&[("retry-after", &max_secs)]), Some(MAX_SERVER_WAIT));
}

#[test]
fn a_window_is_used_up_when_what_remains_goes_to_outstanding_requests() {
    let now = SystemTime::UNIX_EPOCH;
    let hints = |left: &str| {
        Hints::read(
            &headers(&[("ratelimit-remaining", left), ("ratelimit-reset", "1")]),
            now,
        )
    };
    let second = Some(Duration::from_secs(1));
    assert_eq!(hints("3").window_used_up_for(2), None);
    assert_eq!(hints("3").window_used_up_for(3), second);
    assert_eq!(hints("3").window_used_up_for(4), second);
    assert_eq!(hints("0").window_used_up_for(0), second);
    assert_eq!(hints("1").window_used_up_for(0), None);
    assert_eq!(
        Hints::read(&HeaderMap::new(), now).window_used_up_for(9),
        None
    );
}

const S: fn(u64) -> Duration = Duration::from_secs;

/// What is read: limit, remaining, reset, window.
type Read = (Option<u64>, Option<u64>, Option<Duration>, Option<Duration>);

fn read(pairs: &[(&'static str, &str)]) -> Option<Read> {
    rate_limit(&headers(pairs)).map(|r| (r.limit, r.remaining, r.reset, r.window))
}

/// One row of a table: the headers, then what is read from them.
type Row<'a> = (&'a [(&'static str, &'a str)], Option<Read>);

/// Checks each row.
fn table(rows: &[Row<'_>]) {
    for (pairs, expected) in rows {
        assert_eq!(read(pairs), *expected, "{pairs:?}");
    }
}

#[test]
fn the_old_form_the_triple_and_its_policy() {
    table(&[
        // Resend's answers today.
        (
            &[
                ("ratelimit-limit", "2"),
                ("ratelimit-remaining", "1"),
                ("ratelimit-reset", "1"),
                ("ratelimit-policy", "2;w=1"),
            ],
            Some((Some(2), Some(1), Some(S(1)), Some(S(1)))),
        ),
        // The documented triple alone: no window named.
        (
            &[("ratelimit-remaining", "0"), ("ratelimit-reset", "1")],
            Some((None, Some(0), Some(S(1)), None)),
        ),
        // The policy alone names the limit and the window.
        (
            &[("ratelimit-policy", "100;w=1")],
            Some((Some(100), None, None, Some(S(1)))),
        ),
        // Several policies: the window of the one whose limit is the
        // limit, else of the first.
        (
            &[
                ("ratelimit-limit", "1000"),
                ("ratelimit-policy", "10;w=1, 1000;w=3600"),
            ],
            Some((Some(1000), None, None, Some(S(3600)))),
        ),
        (
            &[
                ("ratelimit-limit", "5"),
                ("ratelimit-policy", "10;w=1, 1000;w=3600"),
            ],
            Some((Some(5), None, None, Some(S(1)))),
        ),
        // A window of no length, or not an integer: no window.
        (
            &[("ratelimit-policy", "2;w=0")],
            Some((Some(2), None, None, None)),
        ),
        (
            &[("ratelimit-policy", "2;w=x")],
            Some((Some(2), None, None, None)),
        ),
        (&[("ratelimit-policy", "2;w=1.5")], None),
        (
            &[("ratelimit-policy", "-2;w=1")],
            Some((None, None, None, Some(S(1)))),
        ),
    ]);
}

#[test]
fn the_structured_form_one_policy() {
    table(&[
        (
            &[
                ("RateLimit-Policy", r#""default";q=2;w=1"#),
                ("RateLimit", r#""default";r=0;t=1"#),
            ],
            Some((Some(2), Some(0), Some(S(1)), Some(S(1)))),
        ),
        // Tokens for names, the draft's other parameters.
        (
            &[
                (
                    "ratelimit-policy",
                    r#"default;q=100;qu="requests";w=10;pk=:cHsdsRa894==:"#,
                ),
                ("ratelimit", "default;r=50;t=30;pk=:cHsdsRa894==:"),
            ],
            Some((Some(100), Some(50), Some(S(30)), Some(S(10)))),
        ),
        // Either field alone.
        (
            &[("RateLimit", r#""default";r=3;t=4"#)],
            Some((None, Some(3), Some(S(4)), None)),
        ),
        (
            &[("RateLimit-Policy", r#""default";q=5;w=60"#)],
            Some((Some(5), None, None, Some(S(60)))),
        ),
        // Any number is capped as every server-named duration.
        (
            &[
                ("RateLimit-Policy", r#""default";q=1;w=999999999999999"#),
                ("RateLimit", r#""default";r=0;t=999999999999999"#),
            ],
            Some((
                Some(1),
                Some(0),
                Some(MAX_SERVER_WAIT),
                Some(MAX_SERVER_WAIT),
            )),
        ),
    ]);
}

#[test]
fn the_structured_form_several_policies() {
    const POLICIES: (&str, &str) = (
        "RateLimit-Policy",
        r#""burst";q=100;w=1, "day";q=1000;w=86400"#,
    );
    table(&[
        // The item with the fewest remaining, and its policy by name.
        (
            &[
                POLICIES,
                ("RateLimit", r#""burst";r=50;t=1, "day";r=0;t=3600"#),
            ],
            Some((Some(1000), Some(0), Some(S(3600)), Some(S(86_400)))),
        ),
        (
            &[
                POLICIES,
                ("RateLimit", r#""day";r=900;t=3600, "burst";r=7;t=1"#),
            ],
            Some((Some(100), Some(7), Some(S(1)), Some(S(1)))),
        ),
        // A tie: the longest reset.
        (
            &[
                POLICIES,
                ("RateLimit", r#""burst";r=0;t=1, "day";r=0;t=3600"#),
            ],
            Some((Some(1000), Some(0), Some(S(3600)), Some(S(86_400)))),
        ),
        // An item naming no remaining counts as more than any.
        (
            &[POLICIES, ("RateLimit", r#""day";t=3600, "burst";r=99;t=1"#)],
            Some((Some(100), Some(99), Some(S(1)), Some(S(1)))),
        ),
        // No policy of that name: the first policy.
        (
            &[POLICIES, ("RateLimit", r#""hour";r=1;t=2"#)],
            Some((Some(100), Some(1), Some(S(2)), Some(S(1)))),
        ),
        // A field on two lines is one list.
        (
            &[
                ("RateLimit-Policy", r#""burst";q=100;w=1"#),
                ("ratelimit-policy", r#""day";q=1000;w=86400"#),
                ("RateLimit", r#""burst";r=50;t=1"#),
                ("ratelimit", r#""day";r=0;t=3600"#),
            ],
            Some((Some(1000), Some(0), Some(S(3600)), Some(S(86_400)))),
        ),
    ]);
}

#[test]
fn names_in_any_case_are_one_header() {
    for (policy, current) in [
        ("RATELIMIT-POLICY", "RATELIMIT"),
        ("ratelimit-policy", "ratelimit"),
        ("RateLimit-Policy", "RateLimit"),
        ("rAtElImIt-pOlIcY", "rAtElImIt"),
    ] {
        assert_eq!(
            read(&[
                (policy, r#""default";q=2;w=1"#),
                (current, r#""default";r=0;t=1"#)
            ]),
            Some((Some(2), Some(0), Some(S(1)), Some(S(1)))),
            "{policy}, {current}"
        );
    }
    assert_eq!(
        read(&[("RateLimit-Remaining", "4"), ("RATELIMIT-RESET", "2")]),
        Some((None, Some(4), Some(S(2)), None))
    );
}

#[test]
fn both_forms_the_triple_wins() {
    table(&[
        // The triple, as Resend sends it today, over the structured
        // `RateLimit` field, whole: nothing is taken from the other.
        (
            &[
                ("ratelimit-limit", "2"),
                ("ratelimit-remaining", "1"),
                ("ratelimit-reset", "1"),
                ("RateLimit", r#""default";r=0;t=5"#),
                ("RateLimit-Policy", r#""default";q=2;w=1"#),
            ],
            Some((Some(2), Some(1), Some(S(1)), Some(S(1)))),
        ),
        (
            &[
                ("ratelimit-remaining", "1"),
                ("RateLimit", r#""default";r=0;t=5"#),
            ],
            Some((None, Some(1), None, None)),
        ),
        // A triple all garbage is no triple.
        (
            &[
                ("ratelimit-remaining", "lots"),
                ("RateLimit", r#""default";r=0;t=5"#),
            ],
            Some((None, Some(0), Some(S(5)), None)),
        ),
        // The old policy beside the structured `RateLimit`: unnamed, so
        // the first policy.
        (
            &[
                ("ratelimit-policy", "2;w=1"),
                ("RateLimit", r#""default";r=0;t=1"#),
            ],
            Some((Some(2), Some(0), Some(S(1)), Some(S(1)))),
        ),
    ]);
}

#[test]
fn garbage_is_absent() {
    for garbage in [
        "",
        ",",
        r#""default";r=0;t=1,"#,
        r#""default;r=0;t=1"#,
        r#""default";R=0;T=1"#,
        r#""default";r=0.5;t=1"#,
        r#""default";r=1000000000000000;t=1"#,
        "(default);r=0",
        "default r=0",
        "\t",
    ] {
        let value = HeaderValue::from_bytes(garbage.as_bytes()).unwrap();
        for name in ["ratelimit", "ratelimit-policy"] {
            let mut h = HeaderMap::new();
            h.insert(name, value.clone());
            assert_eq!(rate_limit(&h), None, "{name}: {garbage:?}");
        }
    }
    // Opaque bytes.
    let mut h = HeaderMap::new();
    h.insert(
        "ratelimit",
        HeaderValue::from_bytes(b"\"default\";r=\xff").unwrap(),
    );
    assert_eq!(rate_limit(&h), None);
    table(&[
        // Negative numbers are absent; the rest of the item is read.
        (
            &[("RateLimit", r#""default";r=-1;t=3"#)],
            Some((None, None, Some(S(3)), None)),
        ),
        (
            &[("RateLimit", r#""default";r=2;t=-3"#)],
            Some((None, Some(2), None, None)),
        ),
        // Items that name no policy in `RateLimit` are passed over.
        (&[("RateLimit", "7;r=0;t=1")], None),
        (
            &[("RateLimit", r#"7;r=0;t=1, "default";r=4;t=1"#)],
            Some((None, Some(4), Some(S(1)), None)),
        ),
        // One line of garbage spoils the whole field.
        (
            &[("RateLimit", r#""default";r=0;t=1"#), ("RateLimit", "?")],
            None,
        ),
    ]);
}

#[test]
fn a_used_up_structured_window_is_a_server_wait() {
    let w = |pairs: &[(&'static str, &str)]| {
        Hints::read(&headers(pairs), SystemTime::UNIX_EPOCH).server_wait()
    };
    assert_eq!(w(&[("RateLimit", r#""default";r=0;t=3"#)]), Some(S(3)));
    assert_eq!(w(&[("RateLimit", r#""default";r=1;t=3"#)]), None);
    assert_eq!(
        w(&[("RateLimit", r#""default";r=0;t=3"#), ("retry-after", "5")]),
        Some(S(5))
    );
}

#[test]
fn the_server_s_clock_is_the_end_of_the_second_its_date_names() {
    // (header, value) -> the server's clock.
    let table = [
        (
            "date",
            "Sun, 06 Nov 1994 08:49:37 GMT",
            Some("1994-11-06T08:49:38+00:00"),
        ),
        (
            "Date",
            " Mon, 07 Dec 2026 16:07:59 GMT ",
            Some("2026-12-07T16:08:00+00:00"),
        ),
        // Another zone, as RFC 2822 allows: the same instant.
        (
            "date",
            "Mon, 07 Dec 2026 17:07:59 +0100",
            Some("2026-12-07T16:08:00+00:00"),
        ),
        ("x-date", "Mon, 07 Dec 2026 16:07:59 GMT", None),
        ("date", "1765123679", None),
        ("date", "yesterday", None),
    ];
    for (name, value, expected) in table {
        let clock = server_clock(&headers(&[(name, value)])).map(|t| t.to_string());
        assert_eq!(clock.as_deref(), expected, "{name}: {value}");
    }
}

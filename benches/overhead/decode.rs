//! The `decode` scenario: what a page of 100 runs costs after its bytes
//! arrive (decoding, the page's checks, every run id checked, the
//! rate-limit headers read), against serde_json into a plain struct.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use crate::{baseline, measure, quick, server};

/// The headers Resend sends with a page.
fn headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("content-type", "application/json"),
        ("ratelimit-limit", "2"),
        ("ratelimit-remaining", "1"),
        ("ratelimit-reset", "1"),
        ("date", "Mon, 30 Nov 2026 01:00:00 GMT"),
        ("cf-ray", "8f0e1d2c3b4a5968-FRA"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
}

/// A page, as ours decodes it.
fn ours(headers: &HeaderMap, body: &[u8]) -> usize {
    resend_workflows::internals::workflow_page(headers, body)
        .unwrap()
        .runs()
        .len()
}

/// A page, as the hand-written loop decodes it.
fn base(body: &[u8]) -> usize {
    serde_json::from_slice::<baseline::List>(body)
        .unwrap()
        .data
        .len()
}

/// `--profile-decode ours|baseline N`: one side alone, for a profiler.
pub(crate) fn profile(side: &str, pages: usize) {
    let (body, headers) = (server::page_body(0, 1_000), headers());
    for _ in 0..pages {
        let n = if side == "ours" {
            ours(&headers, &body)
        } else {
            base(&body)
        };
        std::hint::black_box(n);
    }
}

pub(crate) fn scenario_decode() -> Value {
    let body = server::page_body(0, 1_000);
    // Many short rounds, alternating, so drift on a noisy machine hits both.
    let (rounds, slice) = if quick() {
        (12, Duration::from_millis(60))
    } else {
        (40, Duration::from_millis(100))
    };
    let time = |f: &dyn Fn() -> usize| {
        let start = Instant::now();
        let mut pages = 0u64;
        while start.elapsed() < slice {
            for _ in 0..8 {
                std::hint::black_box(f());
                pages += 1;
            }
        }
        pages as f64 / start.elapsed().as_secs_f64()
    };
    let headers = headers();
    let ours_fn = || ours(std::hint::black_box(&headers), std::hint::black_box(&body));
    let base_fn = || base(std::hint::black_box(&body));
    assert_eq!((ours_fn(), base_fn()), (100, 100));
    let (mut ours, mut base, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (o, b) = if round % 2 == 0 {
            let b = time(&base_fn);
            (time(&ours_fn), b)
        } else {
            let o = time(&ours_fn);
            (o, time(&base_fn))
        };
        ours.push(o);
        base.push(b);
        ratios.push(o / b);
    }
    let (o, b, ratio) = (
        measure::median(ours),
        measure::median(base),
        measure::median(ratios),
    );
    json!({
        "scenario": "decode", "page_bytes": body.len(), "runs_per_page": 100, "rounds": rounds,
        "ours_pages_per_s": o, "baseline_pages_per_s": b, "throughput_ratio": ratio,
        "target": "throughput_ratio >= 0.90", "holds": ratio >= 0.90,
    })
}

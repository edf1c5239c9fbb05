//! The baseline: what a user would write by hand with reqwest and serde_json
//! instead of this crate, with the same reqwest settings.

use std::time::Duration;

use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code)]
pub(crate) struct Run {
    pub(crate) id: String,
    pub(crate) status: String,
    pub(crate) started_at: Option<String>,
    pub(crate) completed_at: Option<String>,
    pub(crate) created_at: String,
}

#[derive(Deserialize)]
pub(crate) struct List {
    pub(crate) has_more: bool,
    pub(crate) data: Vec<Run>,
}

/// The same settings the crate gives its own reqwest client, and the same
/// TLS provider (aws-lc-rs, the default), installed the way a hand-written
/// client would.
pub(crate) fn http() -> reqwest::Client {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Every run of the workflow, page by page; returns how many.
pub(crate) async fn stream_all(http: &reqwest::Client, base: &str, key: &str) -> usize {
    let mut after: Option<String> = None;
    let mut count = 0;
    loop {
        let mut url = format!("{base}/workflows/wf/runs?limit=100");
        if let Some(a) = &after {
            url.push_str("&after=");
            url.push_str(a);
        }
        let bytes = http
            .get(url)
            .bearer_auth(key)
            .header("user-agent", "baseline/1")
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let list: List = serde_json::from_slice(&bytes).unwrap();
        count += list.data.len();
        match list.data.last() {
            Some(last) if list.has_more => after = Some(last.id.clone()),
            _ => return count,
        }
    }
}

//! The HTTP side of the issue trackers: one client, JSON answers, and which
//! failures a retry can mend.

use std::time::Duration;

use serde_json::Value;

use crate::Error;
use crate::Result;

/// The client the trackers share: a timeout and our user agent.
pub(super) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .user_agent(concat!("agent-signals/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// An answer that lacks what the call returns.
pub(super) fn bad_answer(sink: &str, what: &str, r: &Value) -> Error {
    Error::Sink {
        sink: sink.into(),
        what: what.into(),
        reason: format!("unexpected answer: {r}"),
        retryable: false,
    }
}

/// Send a request and read its JSON answer; 5xx, 429 and network errors are retryable.
pub(super) async fn send_json(
    sink: &str,
    what: &str,
    req: reqwest::RequestBuilder,
) -> Result<Value> {
    let err = |reason: String, retryable: bool| Error::Sink {
        sink: sink.into(),
        what: what.into(),
        reason,
        retryable,
    };
    let resp = req.send().await.map_err(|e| err(e.to_string(), true))?;
    let status = resp.status();
    tracing::debug!(sink, what, %status, "ticket sink answered");
    let text = resp.text().await.map_err(|e| err(e.to_string(), true))?;
    if !status.is_success() {
        let retryable = status.is_server_error() || status.as_u16() == 429;
        let hint = match status.as_u16() {
            401 | 403 => " (check the token and its permissions)",
            404 => " (check the repository or endpoint)",
            _ => "",
        };
        return Err(err(
            format!(
                "HTTP {status}{hint}: {}",
                text.chars().take(300).collect::<String>()
            ),
            retryable,
        ));
    }
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).map_err(|e| err(format!("answer is not JSON: {e}"), false))
}

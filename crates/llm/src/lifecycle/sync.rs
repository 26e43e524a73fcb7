//! Sync mode: requests as Chat Completions calls with bounded concurrency (any
//! OpenAI-compatible server).

use futures::StreamExt;
use serde_json::Value;

use super::Round;
use super::state::State;
use super::{completion, request_body, settle};
use crate::request::{LlmPass, input_tokens};
use crate::{Error, Result};

pub(super) async fn sync_round(round: &Round<'_>, state: &mut State) -> Result<()> {
    let (client, condensed, cfg, lake, date) = round.parts();
    let pending = state.pending();
    let bodies: Vec<(String, LlmPass, Value)> = pending
        .into_iter()
        .filter_map(|k| {
            let req = state.requests.get_mut(&k).expect("request");
            let (pass, b) = request_body(&k, req, condensed, cfg)?;
            Some((k, pass, b))
        })
        .collect();
    let calls = bodies.into_iter().map(|(k, pass, b)| {
        let client = client.clone();
        async move {
            let fallback = input_tokens(&b) as i64;
            let r: std::result::Result<Value, _> = client.chat().create_byot(b).await;
            (k, pass, fallback, r)
        }
    });
    let mut results = futures::stream::iter(calls).buffer_unordered(cfg.concurrency.max(1));
    while let Some((k, pass, fallback, r)) = results.next().await {
        let outcome = match r {
            Ok(v) => completion(&v, fallback),
            Err(e) => {
                let e = Error::from_openai("chat completion", e);
                if e.is_auth() {
                    return Err(e);
                }
                Err(("error".to_string(), e.to_string()))
            }
        };
        let session = k.split_once(':').map(|x| x.1).unwrap_or("");
        let Some(c) = condensed.get(session) else {
            continue;
        };
        let req = state.requests.get_mut(&k).expect("request");
        req.attempt += 1;
        settle(req, pass, c, outcome, cfg);
    }
    state.save(lake, date).await
}

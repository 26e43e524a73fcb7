//! What facet discovery asks of the model: embeddings of session summaries
//! (the Embeddings endpoint, batched) and a name for a theme (Chat Completions
//! with a strict schema). Same client, base URL, key and retry layer (429 with
//! Retry-After, 5xx) as the judge.

use futures::StreamExt;
use serde_json::{Value, json};

use crate::lifecycle::LlmConfig;
use crate::scrub::has_sensitive;
use crate::{Error, Result};

/// The theme-naming prompt (`crates/llm/prompts/facet_name.v1.md`).
pub const NAME_PROMPT: &str = include_str!("../prompts/facet_name.v1.md");

/// Embeddings of `inputs` with `model`, in order, `batch` inputs per request
/// (the API takes up to 2048), a few requests at once. Returns the vectors and
/// the prompt tokens the API reported.
pub async fn embed(
    cfg: &LlmConfig,
    model: &str,
    inputs: &[String],
    batch: usize,
) -> Result<(Vec<Vec<f32>>, u64)> {
    let client = cfg.client();
    // Owned request bodies: the futures must not borrow `inputs` (they are Send).
    let bodies: Vec<(usize, usize, Value)> = inputs
        .chunks(batch.clamp(1, 2048))
        .enumerate()
        .map(|(i, chunk)| {
            (
                i,
                chunk.len(),
                json!({"model": model, "input": chunk, "encoding_format": "float"}),
            )
        })
        .collect();
    let calls = bodies.into_iter().map(move |(i, n, body)| {
        let client = client.clone();
        async move {
            let r: std::result::Result<Value, _> = client.embeddings().create_byot(body).await;
            (i, n, r)
        }
    });
    let mut results: Vec<(usize, Vec<Vec<f32>>)> = Vec::new();
    let mut tokens = 0u64;
    let mut stream = futures::stream::iter(calls).buffer_unordered(cfg.concurrency.max(1));
    while let Some((i, n, r)) = stream.next().await {
        let v = r.map_err(|e| Error::from_openai("embeddings", e))?;
        let bad = |why: &str| Error::Api {
            what: "embeddings".into(),
            reason: format!("unusable answer: {why}"),
            status: None,
        };
        let data = v["data"].as_array().ok_or_else(|| bad("no data"))?;
        if data.len() != n {
            return Err(bad(&format!("{} vectors for {n} inputs", data.len())));
        }
        let mut vecs: Vec<(i64, Vec<f32>)> = data
            .iter()
            .map(|d| {
                let e = d["embedding"]
                    .as_array()
                    .ok_or_else(|| bad("an item has no embedding"))?;
                let x: Option<Vec<f32>> = e.iter().map(|x| x.as_f64().map(|f| f as f32)).collect();
                Ok((
                    d["index"].as_i64().unwrap_or(0),
                    x.ok_or_else(|| bad("a non-number"))?,
                ))
            })
            .collect::<Result<_>>()?;
        vecs.sort_by_key(|(i, _)| *i);
        tokens += v["usage"]["prompt_tokens"].as_u64().unwrap_or(0);
        results.push((i, vecs.into_iter().map(|(_, v)| v).collect()));
    }
    results.sort_by_key(|(i, _)| *i);
    let out: Vec<Vec<f32>> = results.into_iter().flat_map(|(_, v)| v).collect();
    if let Some(d) = out.first().map(Vec::len)
        && out.iter().any(|v| v.len() != d || d == 0)
    {
        return Err(Error::Api {
            what: "embeddings".into(),
            reason: "vectors of different lengths".into(),
            status: None,
        });
    }
    Ok((out, tokens))
}

/// A theme as the model named it.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeName {
    /// snake_case facet name.
    pub name: String,
    /// One or two sentences.
    pub description: String,
    /// Values, each with the candidate phrase it stands for.
    pub values: Vec<(String, String)>,
}

/// Ask the model to name a theme from its phrases and example summaries. The
/// reply must follow the schema; a name or value that is not snake_case, or a
/// description that names a path, an identifier or a secret, is refused (the
/// caller keeps its own name then).
pub async fn name_theme(
    cfg: &LlmConfig,
    theme: &str,
    candidates: &[String],
    examples: &[String],
) -> Result<ThemeName> {
    let mut phrases: Vec<String> = candidates.to_vec();
    if phrases.is_empty() {
        phrases.push(theme.to_string());
    }
    let schema = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["name", "description", "values"],
        "properties": {
            "name": {"type": "string"},
            "description": {"type": "string"},
            "values": {"type": "array", "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["value", "phrase"],
                "properties": {
                    "value": {"type": "string"},
                    "phrase": {"type": "string", "enum": phrases}
                }
            }}
        }
    });
    let data =
        json!({"theme": theme, "candidate_values": candidates, "example_summaries": examples});
    // A reasoning model spends its reasoning out of the same budget.
    let (budget, effort) = cfg.completion(600);
    let mut body = json!({
        "model": cfg.model,
        "messages": [
            {"role": "system", "content": NAME_PROMPT},
            {"role": "user", "content": data.to_string()}
        ],
        "response_format": {"type": "json_schema", "json_schema": {"name": "signals_facet_name", "strict": true, "schema": schema}},
        "max_completion_tokens": budget
    });
    crate::request::set_effort(&mut body, effort);
    let v: Value = cfg
        .client()
        .chat()
        .create_byot(body)
        .await
        .map_err(|e| Error::from_openai("chat completion (facet name)", e))?;
    let content = v["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default();
    parse_name(content, &phrases).map_err(|why| Error::Api {
        what: "chat completion (facet name)".into(),
        reason: format!("reply refused: {why}"),
        status: None,
    })
}

fn snake(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.starts_with(|c: char| c.is_ascii_lowercase())
}

/// Validate a naming reply against the candidate phrases.
pub fn parse_name(content: &str, phrases: &[String]) -> std::result::Result<ThemeName, String> {
    let o: Value = serde_json::from_str(content).map_err(|e| format!("not JSON: {e}"))?;
    let obj = o.as_object().ok_or("not an object")?;
    if obj
        .keys()
        .any(|k| !["name", "description", "values"].contains(&k.as_str()))
    {
        return Err("unexpected fields".into());
    }
    let name = o["name"].as_str().unwrap_or_default().trim().to_string();
    if !snake(&name) {
        return Err(format!("name {name:?} is not snake_case"));
    }
    let description = o["description"]
        .as_str()
        .unwrap_or_default()
        .trim()
        .to_string();
    if description.is_empty() || description.len() > 400 || has_sensitive(&description) {
        return Err("the description is empty, too long or names something".into());
    }
    let mut values = Vec::new();
    for v in o["values"].as_array().ok_or("values is not an array")? {
        let value = v["value"].as_str().unwrap_or_default().trim().to_string();
        let phrase = v["phrase"].as_str().unwrap_or_default().to_string();
        if !snake(&value) || !phrases.contains(&phrase) {
            return Err(format!("value {value:?} ({phrase:?}) is not valid"));
        }
        if !values.iter().any(|(x, _): &(String, String)| *x == value) {
            values.push((value, phrase));
        }
    }
    Ok(ThemeName {
        name,
        description,
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naming_replies_are_validated() {
        let phrases = vec!["github actions".to_string(), "jenkins".to_string()];
        let ok = r#"{"name": "ci_system", "description": "Which CI system the session configured.", "values": [{"value": "github_actions", "phrase": "github actions"}, {"value": "jenkins", "phrase": "jenkins"}]}"#;
        let t = parse_name(ok, &phrases).unwrap();
        assert_eq!(t.name, "ci_system");
        assert_eq!(t.values.len(), 2);
        for bad in [
            r#"{"name": "CI System", "description": "d", "values": []}"#,
            r#"{"name": "ci", "description": "see /home/alice/.ssh/id_rsa", "values": []}"#,
            r#"{"name": "ci", "description": "d", "values": [{"value": "travis", "phrase": "travis"}]}"#,
            r#"{"name": "ci", "description": "d", "values": [], "extra": 1}"#,
            "not json",
        ] {
            assert!(parse_name(bad, &phrases).is_err(), "{bad}");
        }
    }
}

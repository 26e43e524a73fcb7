//! Facets added at run time: a facet discovery proposal that a person accepted
//! (`signals facets accept`) becomes a [`FacetDef`], and every judge extracts it
//! from then on without code changes. The built-in judge matches its terms in
//! the session summary; the LLM judge gets the facet as one more field of its
//! reply schema.

use serde::{Deserialize, Serialize};

/// The value used when a session has the facet's theme but none of its values.
pub const OTHER: &str = "other";

/// One accepted facet dimension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetDef {
    /// Facet name (`session_facets.facet`), snake_case.
    pub name: String,
    /// What the facet describes (shown to analysts and to the LLM judge).
    pub description: String,
    /// Phrases of the theme: a session has the facet when its summary contains one.
    pub terms: Vec<String>,
    /// The facet's values, each with the phrases that select it (first match wins).
    pub values: Vec<ValueDef>,
}

/// One value of a [`FacetDef`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueDef {
    /// Value (`session_facets.value`), snake_case.
    pub value: String,
    /// Phrases that select it.
    #[serde(default)]
    pub terms: Vec<String>,
}

impl FacetDef {
    /// The value names, then [`OTHER`], then `none`: the LLM judge's choices.
    pub fn choices(&self) -> Vec<String> {
        let mut v: Vec<String> = self.values.iter().map(|v| v.value.clone()).collect();
        if !v.iter().any(|x| x == OTHER) {
            v.push(OTHER.into());
        }
        v.push("none".into());
        v
    }

    /// The facet's value for a summary: `None` when the theme is absent, else the
    /// first value with a matching phrase, else [`OTHER`].
    pub fn extract(&self, summary: &str) -> Option<String> {
        let text = normalize(summary);
        let has = |t: &String| {
            let t = normalize(t);
            !t.trim().is_empty() && text.contains(&format!(" {} ", t.trim()))
        };
        let hit_value = self
            .values
            .iter()
            .find(|v| v.terms.iter().any(has))
            .map(|v| v.value.clone());
        if hit_value.is_some() {
            return hit_value;
        }
        self.terms.iter().any(has).then(|| OTHER.to_string())
    }
}

/// Lowercase words separated by single spaces, padded with spaces, so phrases
/// match on word boundaries.
fn normalize(s: &str) -> String {
    let words: Vec<String> = s
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    format!(" {} ", words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_whole_phrases_and_fall_back_to_other() {
        let def = FacetDef {
            name: "ci_pipeline".into(),
            description: "CI".into(),
            terms: vec!["ci pipeline".into()],
            values: vec![
                ValueDef {
                    value: "github_actions".into(),
                    terms: vec!["github actions".into()],
                },
                ValueDef {
                    value: "jenkins".into(),
                    terms: vec!["jenkins".into()],
                },
            ],
        };
        let s = |t: &str| def.extract(t);
        assert_eq!(
            s("feature work; touched ci pipeline, github actions; 3 steps").as_deref(),
            Some("github_actions")
        );
        assert_eq!(
            s("touched ci pipeline, jenkins").as_deref(),
            Some("jenkins")
        );
        assert_eq!(s("touched CI Pipeline; 3 steps").as_deref(), Some("other"));
        assert_eq!(s("touched pipelines of data"), None);
        assert_eq!(s("the jenkinsfile"), None, "whole words only");
        assert_eq!(
            def.choices(),
            ["github_actions", "jenkins", "other", "none"]
        );
    }
}

/// A person's decision on a proposed facet (`signals facets accept|reject`), kept
/// in the lake's `_facets/<name>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// `accepted` or `rejected`.
    pub status: String,
    /// Who decided (`--by`, else `$SIGNALS_USER`, else `$USER`).
    pub decided_by: String,
    /// When.
    pub decided_at: chrono::DateTime<chrono::Utc>,
    /// Why (optional).
    #[serde(default)]
    pub reason: Option<String>,
    /// The discovery date of the proposal decided on.
    pub proposed_on: String,
    /// The facet as extracted from then on (for a rejection: as proposed).
    pub definition: FacetDef,
}

/// Every decision, by facet name.
pub async fn decisions(lake: &signals_lake::Lake) -> crate::Result<Vec<Decision>> {
    let mut out = Vec::new();
    for (file, bytes) in lake.json_documents("_facets").await? {
        let d: Decision = serde_json::from_slice(&bytes).map_err(|e| crate::Error::Decision {
            file,
            reason: e.to_string(),
        })?;
        out.push(d);
    }
    out.sort_by(|a, b| a.definition.name.cmp(&b.definition.name));
    Ok(out)
}

/// The accepted facets: what the facet pass extracts.
pub async fn accepted(lake: &signals_lake::Lake) -> crate::Result<Vec<FacetDef>> {
    Ok(decisions(lake)
        .await?
        .into_iter()
        .filter(|d| d.status == "accepted")
        .map(|d| d.definition)
        .collect())
}

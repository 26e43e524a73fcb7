//! The built-in judge's session summary: one abstracted sentence composed from
//! its facets, its friction and the *areas* the session touched.
//!
//! Areas come from a closed vocabulary ([`AREA_RULES`]) matched against the
//! paths and commands of the session's tool calls and context events, never
//! from user text: a summary can say "touched ci pipeline, github actions" but
//! never names a file, an identifier or anything the user wrote. The areas are
//! what facet discovery clusters on (`signals-discover`): themes the core facets
//! do not describe show up there first.

use std::collections::{BTreeSet, HashSet};
use std::sync::LazyLock;

use regex::RegexSet;

use crate::session::Session;
use crate::{Facet, Moment};

/// Path or command patterns and the area terms they stand for. A path that
/// matches a rule with `stop` takes no later rule (a CI workflow is not also
/// "yaml config").
pub const AREA_RULES: &[(&str, &[&str], bool)] = &[
    // Continuous integration.
    (
        r"(^|/)\.github/workflows/",
        &["ci pipeline", "github actions"],
        true,
    ),
    (
        r"(^|/)\.gitlab-ci\.ya?ml$",
        &["ci pipeline", "gitlab ci"],
        true,
    ),
    (r"(^|/)Jenkinsfile$", &["ci pipeline", "jenkins"], true),
    (r"(^|/)\.circleci/", &["ci pipeline", "circleci"], true),
    (
        r"(^|/)azure-pipelines\.ya?ml$",
        &["ci pipeline", "azure pipelines"],
        true,
    ),
    (r"(^|/)\.buildkite/", &["ci pipeline", "buildkite"], true),
    (
        r"^(act|gh (workflow|run))\b",
        &["ci pipeline", "github actions"],
        true,
    ),
    (r"^gitlab-runner\b", &["ci pipeline", "gitlab ci"], true),
    // Delivery and infrastructure.
    (
        r"(^|/)(Dockerfile[^/]*|\.dockerignore|(docker-)?compose[^/]*\.ya?ml)$",
        &["containers"],
        true,
    ),
    (r"^(docker|podman)\b", &["containers"], true),
    (
        r"(^|/)(helm|charts|k8s|kubernetes|manifests)/|(^|/)kustomization\.ya?ml$",
        &["kubernetes"],
        true,
    ),
    (r"^(kubectl|helm|kustomize)\b", &["kubernetes"], true),
    (
        r"\.(tf|tfvars|hcl)$|(^|/)terraform/",
        &["infrastructure as code"],
        true,
    ),
    (
        r"^(terraform|tofu|pulumi)\b",
        &["infrastructure as code"],
        true,
    ),
    (
        r"(^|/)(migrations?|alembic|flyway|db/migrate)/",
        &["database migrations"],
        true,
    ),
    (
        r"^(alembic|flyway|diesel migration|sqlx migrate|rails db:migrate)\b",
        &["database migrations"],
        true,
    ),
    // Kinds of files.
    (r"\.(css|scss|sass|less)$", &["styling"], true),
    (
        r"(^|/)(i18n|locales?|translations)/|\.(po|pot|xliff)$",
        &["localization"],
        true,
    ),
    (r"\.proto$", &["protobuf schema"], true),
    (r"\.(graphql|gql)$", &["graphql schema"], true),
    (
        r"(^|/)openapi[^/]*\.(ya?ml|json)$|(^|/)swagger[^/]*\.(ya?ml|json)$",
        &["api specification"],
        true,
    ),
    (r"\.ipynb$", &["notebooks"], true),
    (
        r"\.(png|jpe?g|gif|svg|ico|webp|woff2?|ttf)$",
        &["static assets"],
        true,
    ),
    (
        r"(^|/)(docs?|documentation)/|\.(md|mdx|rst|adoc)$|(^|/)README",
        &["documentation"],
        true,
    ),
    (
        r"(^|/)(benches|benchmarks?)/|_bench\.|\.bench\.",
        &["benchmarks"],
        true,
    ),
    (
        r"(^|/)(tests?|spec|__tests__|src/test)/|(^|/)test_[^/]*$|_test\.[a-z]+$|\.(test|spec)\.[a-z]+$|Tests?\.(java|kt|cs)$",
        &["test code"],
        true,
    ),
    (
        r"(^|/)(Cargo\.lock|package-lock\.json|yarn\.lock|pnpm-lock\.yaml|poetry\.lock|uv\.lock|Gemfile\.lock|go\.sum|composer\.lock)$",
        &["dependency lockfile"],
        true,
    ),
    (
        r"(^|/)(Cargo\.toml|package\.json|pyproject\.toml|requirements[^/]*\.txt|setup\.py|Pipfile|go\.mod|pom\.xml|build\.gradle(\.kts)?|Gemfile|composer\.json)$",
        &["dependency manifest"],
        true,
    ),
    (
        r"(^|/)(Makefile|CMakeLists\.txt|build\.rs|justfile|webpack\.config\.[a-z]+|vite\.config\.[a-z]+|tsconfig[^/]*\.json|babel\.config\.[a-z]+|\.eslintrc[^/]*)$",
        &["build configuration"],
        true,
    ),
    (r"(^|/)\.env(\.[a-z]+)?$", &["environment config"], true),
    (
        r"(^|/)(scripts?|bin)/[^/]+\.(sh|bash|ps1)$",
        &["scripts"],
        true,
    ),
    (r"\.(ya?ml|toml|ini|cfg|conf)$", &["config files"], true),
    // Commands.
    (
        r"^(cargo (test|nextest)|pytest|go test|npm (run )?test|yarn test|pnpm test|npx (jest|vitest)|mvn test|gradle test|rspec|dotnet test)\b",
        &["test runs"],
        false,
    ),
    (
        r"^(cargo bench|go test -bench|pytest --benchmark)",
        &["benchmarks"],
        false,
    ),
    (
        r"^git (rebase|merge|cherry-pick|bisect|revert|reset)\b",
        &["git history"],
        false,
    ),
    (
        r"^(npm|yarn|pnpm|cargo|pip|poetry|uv|go) (install|add|update|upgrade|get)\b",
        &["dependency updates"],
        false,
    ),
    (
        r"^(eslint|ruff|clippy|cargo clippy|golangci-lint|prettier|black|cargo fmt|gofmt)\b",
        &["linting"],
        false,
    ),
];

// One pass over all rules per subject (a RegexSet), then the rules that matched
// in order, for the `stop` semantics.
type Rules = (RegexSet, Vec<(&'static [&'static str], bool)>);
static RULES: LazyLock<Rules> = LazyLock::new(|| {
    (
        RegexSet::new(AREA_RULES.iter().map(|(p, _, _)| *p)).expect("valid area rules"),
        AREA_RULES.iter().map(|(_, t, stop)| (*t, *stop)).collect(),
    )
});

/// The fields of tool args that name a path or a command.
#[derive(serde::Deserialize)]
struct Args<'a> {
    #[serde(borrow, default)]
    path: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    file_path: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default, rename = "filePath")]
    file_path2: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    notebook_path: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    command: Option<std::borrow::Cow<'a, str>>,
}

/// The areas a session touched, from its paths and commands.
pub fn areas(s: &Session) -> BTreeSet<&'static str> {
    // Paths repeat within a session: each distinct subject is matched once.
    let mut subjects: HashSet<String> = HashSet::new();
    for e in &s.events {
        if let Some(p) = &e.path {
            subjects.insert(p.trim().to_string());
        }
        if e.kind == "tool_call"
            && let Some(a) = &e.args
            && let Ok(v) = serde_json::from_str::<Args<'_>>(a)
        {
            for p in [v.path, v.file_path, v.file_path2, v.notebook_path]
                .into_iter()
                .flatten()
            {
                subjects.insert(p.trim().to_string());
            }
            if let Some(c) = v.command {
                for part in c.split(&['&', ';', '|'][..]) {
                    subjects.insert(part.trim().to_string());
                }
            }
        }
    }
    let (set, rules) = &*RULES;
    let mut out = BTreeSet::new();
    for subject in &subjects {
        for i in set.matches(subject).iter() {
            let (terms, stop) = rules[i];
            out.extend(terms.iter().copied());
            if stop {
                break;
            }
        }
    }
    out
}

/// The summary sentence: intent, languages and frameworks, the areas touched,
/// the size of the session, its outcome and its friction types. Words only from
/// fixed vocabularies.
pub fn summary(s: &Session, facets: &[Facet], moments: &[Moment]) -> String {
    let values = |name: &str| -> Vec<&str> {
        facets
            .iter()
            .filter(|f| f.facet == name)
            .map(|f| f.value.as_str())
            .collect()
    };
    let intent = values("intent").first().copied().unwrap_or("other");
    let intent = match intent {
        "other" => "general".to_string(),
        "ops_config" => "ops and config".to_string(),
        i => i.replace('_', " "),
    };
    let mut out = format!("{intent} work");
    let langs = values("language");
    if !langs.is_empty() {
        out.push_str(&format!(" in {}", langs.join(" and ")));
    }
    let fws = values("framework");
    if !fws.is_empty() {
        out.push_str(&format!(" with {}", fws.join(", ")));
    }
    let areas = areas(s);
    if !areas.is_empty() {
        out.push_str(&format!(
            "; touched {}",
            areas.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    out.push_str(&format!("; {} steps", s.step_count()));
    let outcome = values("outcome").first().copied().unwrap_or("abandoned");
    let mut types: Vec<&str> = moments.iter().map(|m| m.friction_type.id()).collect();
    types.sort();
    types.dedup();
    if types.is_empty() {
        out.push_str(&format!("; {outcome} without friction"));
    } else {
        let word = if outcome == "completed" {
            "despite"
        } else {
            "after"
        };
        out.push_str(&format!(
            "; {outcome} {word} {}",
            types
                .iter()
                .map(|t| t.replace('_', " "))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Event;

    fn call(tool: &str, args: &str) -> Event {
        Event {
            kind: "tool_call".into(),
            tool: Some(tool.into()),
            args: Some(args.into()),
            ..Default::default()
        }
    }

    #[test]
    fn areas_come_from_paths_and_commands_only() {
        let s = Session {
            id: "s".into(),
            events: vec![
                Event {
                    kind: "user_message".into(),
                    text: Some("my secret project acme-billing uses .gitlab-ci.yml".into()),
                    ..Default::default()
                },
                call("edit_file", r#"{"path": ".github/workflows/ci.yml"}"#),
                call(
                    "run_command",
                    r#"{"command": "cd app && docker build . && pytest -q"}"#,
                ),
                call("read_file", r#"{"path": "src/billing/invoice_test.go"}"#),
                Event {
                    kind: "context_add".into(),
                    path: Some("deploy/values.yaml".into()),
                    ..Default::default()
                },
            ],
        };
        let a: Vec<&str> = areas(&s).into_iter().collect();
        assert_eq!(
            a,
            [
                "ci pipeline",
                "config files",
                "containers",
                "github actions",
                "test code",
                "test runs"
            ],
            "user text (gitlab) is never read; a workflow file is not also a config file"
        );
        let facets = vec![
            Facet::new("intent", "ops_config", "first_message"),
            Facet::new("language", "go", "paths"),
            Facet::new("outcome", "completed", "inferred"),
        ];
        let text = summary(&s, &facets, &[]);
        assert_eq!(
            text,
            "ops and config work in go; touched ci pipeline, config files, containers, github actions, test code, test runs; 3 steps; completed without friction"
        );
        assert!(!text.contains("acme") && !text.contains("invoice") && !text.contains(".yml"));
    }
}

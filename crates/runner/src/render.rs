//! `signals dag show`: a pipeline as text, Graphviz dot or Mermaid.

use crate::pipeline::Pipeline;

/// Output formats of `dag show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DagFormat {
    /// Indented text, in execution order.
    Text,
    /// Graphviz `dot`.
    Dot,
    /// A Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
}

/// Render `p` in `format`.
pub fn render(p: &Pipeline, format: DagFormat) -> String {
    let mut out = String::new();
    match format {
        DagFormat::Text => {
            out.push_str(&format!("pipeline {} ({})\n", p.name, p.file));
            if let Some(d) = &p.description {
                out.push_str(&format!("  {d}\n"));
            }
            if let Some(s) = &p.schedule {
                out.push_str(&format!(
                    "  schedule: {s} (UTC; each firing runs the previous day)\n"
                ));
            }
            let params: Vec<String> = p.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push_str(&format!("  params: {}\n\n", params.join(", ")));
            // Names in one column, as wide as the longest.
            let w = p.stages.iter().map(|s| s.name.len()).max().unwrap_or(0);
            for name in p.topo_order() {
                let s = p.stage(&name).expect("stage");
                let after = if s.after.is_empty() {
                    String::new()
                } else {
                    format!("  (after {})", s.after.join(", "))
                };
                let when = s
                    .when
                    .as_ref()
                    .map(|w| format!("  [when {w}]"))
                    .unwrap_or_default();
                let when = if s.weekdays.is_empty() {
                    when
                } else {
                    let days: Vec<String> = s
                        .weekdays
                        .iter()
                        .map(|d| d.to_string().to_lowercase())
                        .collect();
                    format!("{when}  [on {}]", days.join(", "))
                };
                out.push_str(&format!(
                    "{:<w$} {}{after}{when}\n",
                    s.name,
                    s.kind.describe()
                ));
                if let Some(d) = &s.doc {
                    out.push_str(&format!("{:<w$} {d}\n", ""));
                }
            }
        }
        DagFormat::Dot => {
            out.push_str(&format!(
                "digraph \"{}\" {{\n  rankdir=LR;\n  node [shape=box];\n",
                p.name
            ));
            for s in &p.stages {
                out.push_str(&format!(
                    "  \"{}\" [label=\"{}\\n{}\"];\n",
                    s.name,
                    s.name,
                    s.kind.describe().replace('"', "'")
                ));
                for a in &s.after {
                    out.push_str(&format!("  \"{a}\" -> \"{}\";\n", s.name));
                }
            }
            out.push_str("}\n");
        }
        DagFormat::Mermaid => {
            out.push_str("flowchart LR\n");
            for s in &p.stages {
                out.push_str(&format!(
                    "  {}[\"{}<br/>{}\"]\n",
                    s.name,
                    s.name,
                    s.kind.describe().replace('"', "'")
                ));
                for a in &s.after {
                    out.push_str(&format!("  {a} --> {}\n", s.name));
                }
            }
        }
    }
    out
}

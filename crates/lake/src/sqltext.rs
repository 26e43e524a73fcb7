//! What a SQL text refers to, as DataFusion's SQL parser reads it: the tables
//! (and views) it reads and the `$name` parameters it uses. Comments, string
//! literals, quoted names and `FROM a, b` lists are the parser's business, not a
//! regex's. A text that does not parse falls back to a plain scan (each word
//! after `FROM`/`JOIN`, each `$name` outside `--` comments), so that planning can
//! report the syntax error in its own words.

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::sync::LazyLock;

use datafusion::sql::sqlparser::ast::{
    Expr, Ident, ObjectName, ObjectNamePart, Query, Statement, Value, Visit, Visitor,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;
use regex::Regex;

/// Everything a text refers to.
#[derive(Default)]
struct Refs {
    tables: BTreeSet<String>,
    ctes: BTreeSet<String>,
    params: BTreeSet<String>,
}

/// A name as DataFusion resolves it: unquoted names are lowercased.
fn norm(i: &Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

impl Visitor for Refs {
    type Break = ();

    fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
        if let Some(with) = &q.with {
            self.ctes
                .extend(with.cte_tables.iter().map(|c| norm(&c.alias.name)));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, r: &ObjectName) -> ControlFlow<()> {
        if let Some(ObjectNamePart::Identifier(i)) = r.0.last() {
            self.tables.insert(norm(i));
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        if let Expr::Value(v) = e
            && let Value::Placeholder(p) = &v.value
            && let Some(name) = p.strip_prefix('$')
            && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        {
            self.params.insert(name.to_string());
        }
        ControlFlow::Continue(())
    }
}

fn parse(sql: &str) -> Option<Vec<Statement>> {
    Parser::parse_sql(&GenericDialect {}, sql).ok()
}

fn refs(statements: &[Statement]) -> Refs {
    let mut r = Refs::default();
    for s in statements {
        let _ = s.visit(&mut r);
    }
    r
}

static TABLE_REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:from|join)\s+([a-z_][a-z0-9_]*)").expect("valid"));
static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$([A-Za-z_][A-Za-z0-9_]*)").expect("valid"));

/// The tables and views `sql` reads from (its own CTEs left out), as DataFusion
/// names them (unquoted names lowercased).
pub fn tables_read(sql: &str) -> BTreeSet<String> {
    match parse(sql) {
        Some(st) => {
            let r = refs(&st);
            r.tables.difference(&r.ctes).cloned().collect()
        }
        None => TABLE_REF
            .captures_iter(&strip_comments(sql))
            .map(|c| c[1].to_lowercase())
            .collect(),
    }
}

/// The `$name` parameters `sql` uses (positional `$1` aside).
pub fn placeholders(sql: &str) -> BTreeSet<String> {
    match parse(sql) {
        Some(st) => refs(&st).params,
        None => PLACEHOLDER
            .captures_iter(&strip_comments(sql))
            .map(|c| c[1].to_string())
            .collect(),
    }
}

/// `s` as a SQL string literal (single quotes, inner quotes doubled), for the
/// values the tools put into SQL text they build.
pub fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// SQL without `--` comments (the fallback scan's view of a text that does not
/// parse).
pub fn strip_comments(sql: &str) -> String {
    sql.lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

//! The resolution hand-off: a new ticket goes to a coding-agent command, which
//! works on a new branch of a configured checkout and reports a pull request.
//!
//! The command line comes from the pipeline file only; the ticket (built from
//! aggregates and abstracted citations, never raw session text) goes on stdin as
//! JSON. Nothing from a session ever becomes an argument or a shell string. The
//! pipeline never merges: the pull request's review is the human approval gate.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::LazyLock;

use chrono::{NaiveDate, SecondsFormat, Utc};
use regex::Regex;
use serde_json::json;
use signals_lake::{Lake, schema};
use tokio::io::AsyncWriteExt;

use crate::file::snapshot;
use crate::render;
use crate::sink::{Ledger, Sink};
use crate::ticket::{Resolution, Ticket};
use crate::{Error, Result};

/// How tickets are handed off.
#[derive(Debug, Clone)]
pub struct ResolveOptions {
    /// The coding-agent command: program and arguments, from the pipeline file.
    pub command: Vec<String>,
    /// The git checkout it works in.
    pub checkout: PathBuf,
    /// The branch new branches start from (default: the checkout's current branch).
    pub base: Option<String>,
    /// Most tickets handed off per date; the rest wait for a later date on which
    /// their pattern is seen again.
    pub max_tickets: usize,
    /// Prefix of the branches created (`signals/`).
    pub branch_prefix: String,
}

/// What a date's hand-off did.
#[derive(Debug, Clone, Default)]
pub struct ResolveReport {
    /// Hand-offs made by this call.
    pub handed_off: Vec<Resolution>,
    /// New tickets not handed off because of `max_tickets`.
    pub skipped: Vec<String>,
    /// Rows written to the date's `ticket_resolutions` partition.
    pub rows: u64,
}

static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"https?://[^\s"'<>()]+"#).expect("valid"));

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Run git in `dir` with fixed arguments; its stdout, trimmed.
async fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = tokio::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| Error::Checkout {
            path: dir.display().to_string(),
            problem: format!("could not run git: {e}"),
        })?;
    if !out.status.success() {
        return Err(Error::Checkout {
            path: dir.display().to_string(),
            problem: format!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Hand the new tickets of `date` (filed that day, open) to the coding agent, at
/// most `max_tickets`, each once ever (the ticket's ledger remembers); record the
/// branch and pull request on the ticket (the date's `tickets` snapshot, a note
/// through the sink) and write the date's `ticket_resolutions` partition.
pub async fn resolve_tickets(
    lake: &Lake,
    date: NaiveDate,
    sink: &Sink,
    opts: &ResolveOptions,
) -> Result<ResolveReport> {
    if opts.command.is_empty() {
        return Err(Error::Checkout {
            path: opts.checkout.display().to_string(),
            problem: "no coding-agent command: set `run = [\"program\", ...]` on the resolve stage"
                .into(),
        });
    }
    let day = date.to_string();
    let mut report = ResolveReport::default();
    let mut tickets = match snapshot(lake, Some(date)).await? {
        Some((d, t)) if d == date => t,
        _ => Vec::new(),
    };
    let mut rows = Vec::new();
    let mut changed = false;
    let mut ledgers = Vec::with_capacity(tickets.len());
    for t in &tickets {
        ledgers.push(Ledger::load(lake, &t.ticket_id).await?);
    }
    // Hand-offs already made for this date count against max_tickets (a rerun).
    let mut made_today = ledgers
        .iter()
        .filter(|l| l.resolution.as_ref().is_some_and(|r| r.date == day))
        .count();
    // New tickets first, then the most affected sessions.
    let mut order: Vec<usize> = (0..tickets.len()).collect();
    order.sort_by_key(|&i| {
        (
            tickets[i].action != "filed",
            -tickets[i].affected,
            tickets[i].ticket_id.clone(),
        )
    });
    for i in order {
        let t = &mut tickets[i];
        let ledger = &mut ledgers[i];
        // Not handed off yet, open, and seen on this date.
        if ledger.resolution.is_none()
            && t.status == "open"
            && matches!(&t.action[..], "filed" | "updated" | "reopened")
        {
            if made_today >= opts.max_tickets {
                report.skipped.push(t.ticket_id.clone());
                continue;
            }
            let r = hand_off(t, &day, opts).await?;
            ledger.resolution = Some(r.clone());
            ledger.save(lake, &t.ticket_id).await?;
            report.handed_off.push(r);
            made_today += 1;
        }
        let Some(r) = ledger.resolution.clone() else {
            continue;
        };
        if r.date == day {
            rows.push(r.clone());
        }
        if r.status == "proposed"
            && (t.branch.as_ref() != Some(&r.branch) || t.pull_request != r.pull_request)
        {
            t.branch = Some(r.branch.clone());
            t.pull_request = r.pull_request.clone();
            changed = true;
        }
        let text = match (&r.status[..], &r.pull_request) {
            ("proposed", Some(pr)) => format!(
                "**Fix proposed** ({}): a coding agent worked on branch `{}` and opened {pr}. Review it; the pipeline never merges.",
                r.date, r.branch
            ),
            ("proposed", None) => format!(
                "**Fix proposed** ({}): a coding agent made {} commit(s) on branch `{}` but reported no pull request.",
                r.date, r.commits, r.branch
            ),
            _ => format!(
                "**Hand-off failed** ({}): the coding agent exited with {} on branch `{}`: {}",
                r.date,
                r.exit_code
                    .map_or("a signal".into(), |c| format!("status {c}")),
                r.branch,
                r.note.as_deref().unwrap_or("")
            ),
        };
        sink.note(lake, t, "resolve", &text).await?;
    }
    if changed {
        let batch = Ticket::to_batch(&tickets)?;
        lake.write_partition_batches(&schema::tickets(), date, vec![batch])
            .await?;
    }
    report.rows = lake
        .write_partition_batches(&schema::ticket_resolutions(), date, vec![to_batch(&rows)?])
        .await?;
    Ok(report)
}

/// Make the branch, run the command with the ticket on stdin, come back.
async fn hand_off(t: &Ticket, day: &str, opts: &ResolveOptions) -> Result<Resolution> {
    let dir = opts.checkout.as_path();
    let checkout_err = |problem: String| Error::Checkout {
        path: dir.display().to_string(),
        problem,
    };
    let original = git(dir, &["rev-parse", "--abbrev-ref", "HEAD"]).await?;
    if !git(dir, &["status", "--porcelain"]).await?.is_empty() {
        return Err(checkout_err(
            "it has uncommitted changes; the coding agent starts from a clean tree (commit or stash them)".into(),
        ));
    }
    let base = opts.base.clone().unwrap_or_else(|| original.clone());
    // The ticket id is `SIG-` and hex digits: safe in a branch name.
    let branch = format!("{}{}", opts.branch_prefix, t.ticket_id.to_lowercase());
    git(dir, &["switch", "--quiet", "-C", &branch, &base]).await?;
    let started_at = now();
    let input = json!({
        "ticket": t,
        "body": render::body(t),
        "branch": branch,
        "base": base,
        "instructions": "Fix the friction this ticket describes in this repository, on the current branch. Commit, push and open a pull request; print its URL as the last line. Do not merge.",
    });
    let line = opts.command.join(" ");
    let mut child = tokio::process::Command::new(&opts.command[0])
        .args(&opts.command[1..])
        .current_dir(dir)
        .env("SIGNALS_TICKET_ID", &t.ticket_id)
        .env("SIGNALS_BRANCH", &branch)
        .env("SIGNALS_BASE", &base)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| checkout_err(format!("could not start {line:?}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its stdin closes it early: not an error.
        let _ = stdin.write_all(format!("{input}\n").as_bytes()).await;
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| checkout_err(format!("{line:?}: {e}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let pull_request = URL
        .find_iter(&stdout)
        .last()
        .map(|m| m.as_str().trim_end_matches(['.', ',']).to_string());
    let commits = git(dir, &["rev-list", "--count", &format!("{base}..{branch}")])
        .await
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    // Leave the checkout as it was found; what the agent left uncommitted stays on
    // its branch's worktree state only if git can carry it, else this fails loudly.
    git(dir, &["switch", "--quiet", &original]).await?;
    let ok = out.status.success();
    Ok(Resolution {
        ticket_id: t.ticket_id.clone(),
        date: day.to_string(),
        branch,
        pull_request: if ok { pull_request } else { None },
        status: if ok { "proposed" } else { "failed" }.into(),
        exit_code: out.status.code().map(i64::from),
        commits,
        command: line,
        started_at,
        finished_at: now(),
        note: (!ok).then(|| {
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .to_string()
        }),
    })
}

fn to_batch(rows: &[Resolution]) -> Result<arrow::array::RecordBatch> {
    // `date` is the partition's, not a column of the file.
    Ok(signals_lake::batch_from_rows(
        &schema::ticket_resolutions(),
        rows,
    )?)
}

//! `signals sql`: queries over the lake, from the command line, a file, or a shell.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use arrow::array::RecordBatch;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::DFParser;

/// Output format of query results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned text table.
    Table,
    /// CSV with a header line.
    Csv,
    /// A JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// Parquet (needs --output, or stdout redirected to a file).
    Parquet,
}

/// Arguments of `signals sql`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The SQL to run; omit it (and -f) for an interactive shell.
    query: Option<String>,
    /// Run the statements of a file.
    #[arg(short = 'f', long = "file", conflicts_with = "query")]
    file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write results to this file instead of stdout.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Saved views: every `NAME.sql` here (a `CREATE VIEW NAME AS ...`) is defined
    /// before the query runs; the built-in views are always there.
    #[arg(long, default_value = "sql/views")]
    views: PathBuf,
}

/// Define the saved views of `dir` that are not built in. A view that does not
/// plan is reported with its file and skipped; the others still work.
async fn saved_views(ctx: &SessionContext, dir: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    let mut defined = Vec::new();
    for f in files {
        let name = f
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        if signals_lake::schema::VIEWS.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let text =
            std::fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?;
        match ctx.sql(&text).await {
            Ok(_) if ctx.table_exist(name.as_str()).unwrap_or(false) => defined.push(name),
            Ok(_) => eprintln!(
                "{}: defines no view named {name:?} (expected CREATE VIEW {name} AS ...); skipped",
                f.display()
            ),
            Err(e) => eprintln!("{}: {e}; skipped", f.display()),
        }
    }
    Ok(defined)
}

/// Run `signals sql`.
pub async fn run(lake: &str, args: Args) -> anyhow::Result<ExitCode> {
    let lake = super::open_lake(lake)?;
    let ctx = lake.session_context().await?;
    saved_views(&ctx, &args.views).await?;
    let sql = match (&args.query, &args.file) {
        (Some(q), _) => q.clone(),
        (None, Some(f)) => {
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?
        }
        (None, None) => return shell(&ctx, args.format).await,
    };
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => {
            if args.format == Format::Parquet && std::io::stdout().is_terminal() {
                bail!("--format parquet writes binary: give --output FILE or redirect stdout");
            }
            Box::new(std::io::stdout().lock())
        }
    };
    match run_statements(&ctx, &sql, args.format, &mut out).await {
        Ok(()) => {
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        // `| head` closed the pipe: quiet, as a shell's SIGPIPE would be.
        Err(e) if super::closed_stdout(&e) => Ok(ExitCode::from(141)),
        Err(e) => {
            eprintln!("{e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Run every statement of `sql`, writing each result. Errors carry the failing SQL.
pub async fn run_statements(
    ctx: &SessionContext,
    sql: &str,
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let statements = DFParser::parse_sql(sql)
        .map_err(|e| anyhow::anyhow!("error: {e}\n  in: {}", sql.trim()))?;
    for statement in statements {
        let text = statement.to_string();
        let plan = ctx
            .state()
            .statement_to_plan(statement)
            .await
            .map_err(|e| anyhow::anyhow!("error: {e}\n  in: {text}"))?;
        let batches = ctx
            .execute_logical_plan(plan)
            .await
            .map_err(|e| anyhow::anyhow!("error: {e}\n  in: {text}"))?
            .collect()
            .await
            .map_err(|e| anyhow::anyhow!("error: {e}\n  in: {text}"))?;
        write_batches(&batches, format, out)?;
    }
    Ok(())
}

/// Write query results in `format`.
pub fn write_batches(
    batches: &[RecordBatch],
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match format {
        Format::Table => {
            if batches.iter().all(|b| b.num_rows() == 0) {
                let cols: Vec<String> = batches
                    .first()
                    .map(|b| {
                        b.schema()
                            .fields()
                            .iter()
                            .map(|f| f.name().clone())
                            .collect()
                    })
                    .unwrap_or_default();
                writeln!(
                    out,
                    "(0 rows{})",
                    if cols.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", cols.join(", "))
                    }
                )?;
            } else {
                writeln!(
                    out,
                    "{}",
                    arrow::util::pretty::pretty_format_batches(batches)?
                )?;
                let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
                writeln!(out, "({rows} row{})", if rows == 1 { "" } else { "s" })?;
            }
        }
        Format::Csv => {
            let mut w = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(out);
            for b in batches {
                w.write(b)?;
            }
        }
        Format::Json => {
            let mut w = arrow::json::ArrayWriter::new(out);
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
            let out = w.into_inner();
            writeln!(out)?;
        }
        Format::Ndjson => {
            let mut w = arrow::json::LineDelimitedWriter::new(out);
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
        }
        Format::Parquet => {
            let Some(schema) = batches.first().map(RecordBatch::schema) else {
                bail!("the query returned no schema to write as Parquet");
            };
            let mut buf = Vec::new();
            let mut w = parquet::arrow::ArrowWriter::try_new(&mut buf, schema, None)?;
            for b in batches {
                w.write(b)?;
            }
            w.close()?;
            out.write_all(&buf)?;
        }
    }
    Ok(())
}

const HELP: &str = "\\q quit   \\d list tables   \\d TABLE describe a table   \\? this help
statements end with ';' and may span lines; SHOW TABLES and DESCRIBE t work too";

async fn shell(ctx: &SessionContext, format: Format) -> anyhow::Result<ExitCode> {
    let mut rl = rustyline::DefaultEditor::new()?;
    let history = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".signals_history"));
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    println!("signals sql shell. {HELP}");
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() {
            "signals> "
        } else {
            "     ... "
        };
        let line = match rl.readline(prompt) {
            Ok(l) => l,
            Err(rustyline::error::ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        };
        let trimmed = line.trim();
        if buffer.is_empty() && trimmed.starts_with('\\') {
            let _ = rl.add_history_entry(trimmed);
            let mut parts = trimmed.split_whitespace();
            let sql = match (parts.next(), parts.next()) {
                (Some("\\q"), _) => break,
                (Some("\\?"), _) => {
                    println!("{HELP}");
                    continue;
                }
                (Some("\\d"), None) => "SHOW TABLES".to_string(),
                (Some("\\d"), Some(t)) => format!("DESCRIBE {t}"),
                _ => {
                    println!("unknown command {trimmed}; \\? for help");
                    continue;
                }
            };
            run_interactive(ctx, &sql, format).await;
            continue;
        }
        if matches!(trimmed, "quit" | "exit") && buffer.is_empty() {
            break;
        }
        buffer.push_str(&line);
        buffer.push('\n');
        if ends_statement(&buffer) {
            let sql = std::mem::take(&mut buffer);
            let _ = rl.add_history_entry(sql.trim());
            run_interactive(ctx, &sql, format).await;
        }
    }
    if let Some(h) = &history {
        let _ = rl.save_history(h);
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether `sql` ends with a `;` that ends a statement: not one inside a string,
/// a quoted identifier or a comment (`-- p = x / n;` in a comment line of a query
/// pasted from `sql/` must not run the half read so far). The tokenizer of the
/// dialect `run_statements` parses with decides, so every form of quote and comment
/// counts; input it rejects ends inside a string, quoted identifier or comment, and
/// its statement goes on (Ctrl-C clears it).
fn ends_statement(sql: &str) -> bool {
    use datafusion::sql::sqlparser::dialect::GenericDialect;
    use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};
    Tokenizer::new(&GenericDialect {}, sql)
        .tokenize()
        .is_ok_and(|tokens| {
            tokens
                .iter()
                .rev()
                .find(|t| !matches!(t, Token::Whitespace(_) | Token::EOF))
                == Some(&Token::SemiColon)
        })
}

async fn run_interactive(ctx: &SessionContext, sql: &str, format: Format) {
    let started = Instant::now();
    let mut out = std::io::stdout().lock();
    match run_statements(ctx, sql, format, &mut out).await {
        Ok(()) => println!("{:.3}s", started.elapsed().as_secs_f64()),
        Err(e) => eprintln!("{e}"),
    }
}

//! `signals tables`.

use std::process::ExitCode;

use signals_lake::schema;

/// Arguments of `signals tables`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the data dictionary (Markdown) instead of the partitions.
    #[arg(long)]
    markdown: bool,
}

/// Run `signals tables`.
pub async fn run(lake: &str, args: Args) -> anyhow::Result<ExitCode> {
    if args.markdown {
        println!("{}", schema::data_dictionary_markdown());
        return Ok(ExitCode::SUCCESS);
    }
    let lake = super::open_lake(lake)?;
    println!("lake: {}", lake.url());
    for t in schema::all_tables() {
        let parts = lake.partitions(t.name).await?;
        match (parts.first(), parts.last()) {
            (Some(a), Some(b)) => {
                println!("{:<14} {:>4} partitions  {a} .. {b}", t.name, parts.len())
            }
            _ => println!("{:<14}    - (empty)", t.name),
        }
    }
    Ok(ExitCode::SUCCESS)
}

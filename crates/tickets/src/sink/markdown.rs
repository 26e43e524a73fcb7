//! Tickets as Markdown files in the lake (`tickets/<id>.md`): the default sink.

use object_store::{ObjectStoreExt, PutPayload};
use signals_lake::Lake;

use super::{Ledger, Opened, TicketSink};
use crate::Result;
use crate::render;
use crate::ticket::Ticket;

/// One Markdown file per ticket under the lake's `tickets/`: its body, the notes
/// posted on it and its history, rewritten from the ledger on every send.
#[derive(Debug, Clone, Copy)]
pub struct Markdown;

#[async_trait::async_trait]
impl TicketSink for Markdown {
    fn name(&self) -> &'static str {
        "markdown"
    }

    fn renders_ledger(&self) -> bool {
        true
    }

    async fn open(&self, lake: &Lake, ticket: &Ticket, ledger: &Ledger) -> Result<Opened> {
        let rel = format!("tickets/{}.md", ticket.ticket_id);
        let mut doc = format!("# {}\n\n{}\n", ticket.title, render::body(ticket));
        if !ledger.notes.is_empty() {
            doc.push_str("## Updates\n\n");
            for n in &ledger.notes {
                doc.push_str(&format!("{}\n\n", n.text.trim_end()));
            }
        }
        doc.push_str("## History\n\n");
        for entry in &ledger.sent {
            doc.push_str(&format!("- {}\n", entry.replacen(':', ": ", 1)));
        }
        lake.store()
            .put(&lake.path(&rel), PutPayload::from(doc.into_bytes()))
            .await?;
        Ok(Opened {
            remote_id: None,
            external_ref: Some(rel),
        })
    }

    // A file has no remote id: `Sink` opens (rewrites) it instead.
    async fn update(&self, _ticket: &Ticket, _date: &str, _remote_id: &str) -> Result<()> {
        Ok(())
    }

    async fn comment(&self, _remote_id: &str, _text: &str) -> Result<()> {
        Ok(())
    }
}

//! The judges' tables as rows: one builder per table (`frictions`,
//! `session_facets`, `delights`) that every judge writes through, so a column is added in
//! one place.

use std::sync::Arc;

use arrow::array::{Float64Builder, Int64Builder, RecordBatch, StringBuilder};
use signals_lake::schema;

use crate::delight::Delight;
use crate::{Facet, Moment, Result};

/// Rows of a table of moments (`frictions`, `delights`: the same columns, a
/// type and a level each).
#[derive(Default)]
struct SpanRows {
    session: StringBuilder,
    kind: StringBuilder,
    level: StringBuilder,
    first: Int64Builder,
    last: Int64Builder,
    citation: StringBuilder,
    confidence: Float64Builder,
    judge: StringBuilder,
    version: StringBuilder,
}

impl SpanRows {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        session: &str,
        (kind, level): (&str, &str),
        (first, last): (i64, i64),
        citation: &str,
        confidence: f64,
        judge: &str,
        version: &str,
    ) {
        self.session.append_value(session);
        self.kind.append_value(kind);
        self.level.append_value(level);
        self.first.append_value(first);
        self.last.append_value(last);
        self.citation.append_value(citation);
        self.confidence.append_value(confidence);
        self.judge.append_value(judge);
        self.version.append_value(version);
    }

    fn finish(&mut self, table: signals_lake::schema::TableDef) -> Result<RecordBatch> {
        Ok(RecordBatch::try_new(
            table.file_schema(),
            vec![
                Arc::new(self.session.finish()),
                Arc::new(self.kind.finish()),
                Arc::new(self.level.finish()),
                Arc::new(self.first.finish()),
                Arc::new(self.last.finish()),
                Arc::new(self.citation.finish()),
                Arc::new(self.confidence.finish()),
                Arc::new(self.judge.finish()),
                Arc::new(self.version.finish()),
            ],
        )?)
    }
}

/// Rows of `frictions`, a moment at a time.
#[derive(Default)]
pub struct FrictionRows(SpanRows);

impl FrictionRows {
    /// One moment of `session`, by `judge` at `version`.
    pub fn push(&mut self, session: &str, m: &Moment, judge: &str, version: &str) {
        self.0.push(
            session,
            (m.friction_type.id(), m.severity.id()),
            (m.first_seq, m.last_seq),
            &m.citation,
            m.confidence,
            judge,
            version,
        );
    }

    /// The rows so far, as a batch of the table's file schema.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        self.0.finish(schema::frictions())
    }
}

/// Rows of `session_facets`, a facet value at a time.
#[derive(Default)]
pub struct FacetRows {
    session: StringBuilder,
    facet: StringBuilder,
    value: StringBuilder,
    source: StringBuilder,
    judge: StringBuilder,
    version: StringBuilder,
}

impl FacetRows {
    /// One facet value of `session`, by `judge` at `version`.
    pub fn push(&mut self, session: &str, f: &Facet, judge: &str, version: &str) {
        self.session.append_value(session);
        self.facet.append_value(&f.facet);
        self.value.append_value(&f.value);
        self.source.append_value(&f.source);
        self.judge.append_value(judge);
        self.version.append_value(version);
    }

    /// The rows so far, as a batch of the table's file schema.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        Ok(RecordBatch::try_new(
            schema::session_facets().file_schema(),
            vec![
                Arc::new(self.session.finish()),
                Arc::new(self.facet.finish()),
                Arc::new(self.value.finish()),
                Arc::new(self.source.finish()),
                Arc::new(self.judge.finish()),
                Arc::new(self.version.finish()),
            ],
        )?)
    }
}

/// Rows of `delights`, a moment at a time.
#[derive(Default)]
pub struct DelightRows(SpanRows);

impl DelightRows {
    /// One delight moment of `session`, by `judge` at `version`.
    pub fn push(&mut self, session: &str, d: &Delight, judge: &str, version: &str) {
        self.0.push(
            session,
            (d.delight_type.id(), d.strength.id()),
            (d.first_seq, d.last_seq),
            &d.citation,
            d.confidence,
            judge,
            version,
        );
    }

    /// The rows so far, as a batch of the table's file schema.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        self.0.finish(schema::delights())
    }
}

//! The judges' tables as rows: one builder per table (`frictions`,
//! `session_facets`, `delights`) that every judge writes through, so a column is added in
//! one place.

use std::sync::Arc;

use arrow::array::{Float64Builder, Int64Builder, RecordBatch, StringBuilder};
use signals_lake::schema;

use crate::delight::Delight;
use crate::{Facet, Moment, Result};

/// Rows of `frictions`, a moment at a time.
#[derive(Default)]
pub struct FrictionRows {
    session: StringBuilder,
    friction_type: StringBuilder,
    severity: StringBuilder,
    first: Int64Builder,
    last: Int64Builder,
    citation: StringBuilder,
    confidence: Float64Builder,
    judge: StringBuilder,
    version: StringBuilder,
}

impl FrictionRows {
    /// One moment of `session`, by `judge` at `version`.
    pub fn push(&mut self, session: &str, m: &Moment, judge: &str, version: &str) {
        self.session.append_value(session);
        self.friction_type.append_value(m.friction_type.id());
        self.severity.append_value(m.severity.id());
        self.first.append_value(m.first_seq);
        self.last.append_value(m.last_seq);
        self.citation.append_value(&m.citation);
        self.confidence.append_value(m.confidence);
        self.judge.append_value(judge);
        self.version.append_value(version);
    }

    /// The rows so far, as a batch of the table's file schema.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        Ok(RecordBatch::try_new(
            schema::frictions().file_schema(),
            vec![
                Arc::new(self.session.finish()),
                Arc::new(self.friction_type.finish()),
                Arc::new(self.severity.finish()),
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
pub struct DelightRows {
    session: StringBuilder,
    delight_type: StringBuilder,
    strength: StringBuilder,
    first: Int64Builder,
    last: Int64Builder,
    citation: StringBuilder,
    confidence: Float64Builder,
    judge: StringBuilder,
    version: StringBuilder,
}

impl DelightRows {
    /// One delight moment of `session`, by `judge` at `version`.
    pub fn push(&mut self, session: &str, d: &Delight, judge: &str, version: &str) {
        self.session.append_value(session);
        self.delight_type.append_value(d.delight_type.id());
        self.strength.append_value(d.strength.id());
        self.first.append_value(d.first_seq);
        self.last.append_value(d.last_seq);
        self.citation.append_value(&d.citation);
        self.confidence.append_value(d.confidence);
        self.judge.append_value(judge);
        self.version.append_value(version);
    }

    /// The rows so far, as a batch of the table's file schema.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        Ok(RecordBatch::try_new(
            schema::delights().file_schema(),
            vec![
                Arc::new(self.session.finish()),
                Arc::new(self.delight_type.finish()),
                Arc::new(self.strength.finish()),
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

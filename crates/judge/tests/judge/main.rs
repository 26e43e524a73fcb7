//! Integration tests of the judge crate (one test binary).

mod generated;
mod handwritten;
mod phrases;
mod privacy;
mod types;

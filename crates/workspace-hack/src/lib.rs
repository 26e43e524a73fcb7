//! No code: a dependency of the CLI whose manifest turns on, in the main build,
//! the features of shared dependencies that only the tests' dependencies would
//! turn on otherwise (as cargo-hakari's workspace-hack crates do).
//!
//! Cargo builds a package once per feature set. `cargo run` builds the CLI's tree;
//! `cargo test --workspace` unifies features over every crate and its
//! dev-dependencies (the test HTTP servers want `hyper/server`, for one). Without
//! this crate the two differ in a handful of small crates low in the graph, and
//! `cargo test` after `cargo run` rebuilt the whole DataFusion stack above them
//! (13 minutes on 2 cores). The test `main_and_test_builds_share_features` keeps
//! the list in `Cargo.toml` complete.

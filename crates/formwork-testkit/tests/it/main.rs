//! The store conformance suites, on SQLite and PostgreSQL, each test in its own fresh database.
//!
//! One binary for all of them, so the whole stack is linked once rather than once per file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod job_conformance;
mod process_conformance;
mod process_rounds;
mod record_conformance;
mod record_scale;
mod store_conformance;

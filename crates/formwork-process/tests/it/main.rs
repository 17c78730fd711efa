//! The integration tests of `formwork-process`, one binary: every node kind, the workflow
//! patterns, the sample process, validation agreeing with the engine, and property tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod graphs;
mod nodes;
mod props;
mod sample;

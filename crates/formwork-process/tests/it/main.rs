//! The integration tests of `formwork-process`, one binary: every node kind, the workflow
//! patterns, the sample process, validation agreeing with the engine, and property tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod common;
mod defects;
mod graphs;
mod nodes;
mod patterns;
mod predict;
mod props;
mod sample;
mod steps;

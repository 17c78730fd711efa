//! The integration tests of `formwork-model`, one binary: canonical export, expressions, the
//! process graph analysis and package validation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod canonical;
mod expr;
mod graph;
mod validate;

//! The form compiler and submissions: kinds, rules, messages, money, display and the sample app.
//!
//! One binary for all of them, so the whole stack is linked once rather than once per file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod compile;
mod designer_kinds;
mod display;
mod kinds;
mod messages;
mod money;
mod rules;
mod sample_app;
mod security;

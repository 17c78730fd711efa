//! The integration tests of formwork-calendar, one binary: deadlines over the shipped 2025 and
//! 2026 schedules, imports with line-numbered errors, and properties of the arithmetic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod deadlines;
mod import;
mod props;
mod shipped;

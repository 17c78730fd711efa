//! Reports at runtime, without I/O: a report definition, the viewer's parameters and the
//! fields they may read become a typed, dialect-free [`ir::Plan`] ([`plan::plan`]); the rows
//! a database returns for it become the report data document ([`shape::shape`]); and
//! [`eval::evaluate`] computes the same rows in Rust, for parity tests of the SQL side.
//!
//! Also here: the built-in KPIs ([`kpi`]) as ordinary report definitions, record views
//! (kanban lanes, Gantt bars, calendar events: [`views`]), the critical path method
//! ([`gantt`]) and the kind checks run at publish ([`check::check_reports`]).
//!
//! # Meaning of a report
//! - `source: records` reads a form's records: its fields and `id`, `number`, `owner`
//!   (= `submitter`), `department`, `status`, `created_at`, `updated_at`. `source: tasks`
//!   reads the tasks of the form's processes: `process`, `node`, `assignee`, `action`,
//!   `status`, `created_at`, `decided_at`, `due_at`, `duration` (seconds),
//!   `duration_hours`, `overdue`.
//! - `filters` all hold; each viewer parameter that has a value adds its condition. A field
//!   the viewer may not read is refused like an unknown one.
//! - A grouping report has one row per distinct combination of `group_by` values (dates
//!   bucketed in Asia/Shanghai) with one column per measure; a report without `group_by` but
//!   with measures has exactly one row. A listing report (no measures) has one row per record.
//! - Measures: `count` (rows, or rows with a value of `field`), `count_distinct`, `sum`,
//!   `avg`, `min`, `max`, `percent` (share of the total count, or of the field's total),
//!   `rate` (share of the group's rows meeting `where`), `percentile` (`p`), `difference`
//!   and `difference_percent` (`field` against `base`). `where` narrows any measure.
//! - Rows sort by `sort`, then by the group keys, nulls last; `top` keeps the first N and may
//!   fold the rest into an "others" row; `limit` cuts after that.

pub mod check;
mod columns;
pub mod error;
pub mod eval;
pub mod expr_filter;
pub mod filters;
pub mod gantt;
pub mod ir;
pub mod kpi;
pub mod labels;
mod measures;
pub mod plan;
pub mod shape;
pub mod views;

pub use check::check_reports;
pub use columns::field_storage;
pub use error::PlanError;
pub use eval::{RecordRow, Rows, TaskRow, evaluate};
pub use filters::{ParamValue, ParamValues};
pub use plan::{MAX_GROUPS, MAX_LISTING, PlanContext, Viewer, plan, plan_widget};
pub use shape::{Table, shape};

//! Metadata → SQL for Formwork, with no IO: record lists, report plans and
//! the exports that read them.
//!
//! Statements are built with sea-query. What the two databases say differently is the
//! [`Dialect`] trait ([`Sqlite`], [`Postgres`]); the store backends pick one and bind the
//! built statement with sea-query-sqlx.

pub mod dialect;
pub mod instant;
pub mod limits;
pub mod list;
mod list_query;
pub mod projection;
pub mod projection_ddl;
pub mod report;
pub mod report_decode;
pub mod report_dialect;
mod report_source;

pub use dialect::{Dialect, Postgres, Sqlite};
pub use list::{
    COUNT_CAP, Column, Cursor, FieldKey, Filter, FilterOp, MAX_LIST_LIMIT, QueryError, QueryResult,
    RecordQuery, ValueKind, Visibility,
};
pub use projection::{Projection, ProjectionSpec};
pub use projection_ddl::ProjectionDialect;
pub use report_dialect::ReportDialect;

//! The persistence API of Formwork: one trait per area — [`AccountStore`], [`DepartmentStore`],
//! [`SignInStore`], [`AppStore`], [`RecordStore`], [`ProcessStore`], [`JobStore`],
//! [`SettingsStore`], [`ReportStore`], [`PortalStore`] — their row types, and `StoreError`.
//! [`Store`] is all of them together.
//!
//! Every method is one use case and one transaction. Two implementations exist
//! (`formwork-store-sqlite`, `formwork-store-postgres`), compiled from the same SQL in `sql/`;
//! only the binary and the testkit name one. Ids and statuses are the types of
//! `formwork_model::{ids, status}`; instants are UTC `OffsetDateTime`s.

mod accounts;
mod apps;
mod error;
mod jobs;
mod portal;
mod processes;
mod records;
mod reports;
mod settings;

pub use accounts::*;
pub use apps::*;
pub use error::{StoreError, StoreResult};
pub use jobs::*;
pub use portal::*;
pub use processes::*;
pub use records::*;
pub use reports::*;
pub use settings::*;

pub use formwork_model::ids::*;
pub use formwork_model::status::*;

use async_trait::async_trait;

/// Everything Formwork persists, on one database.
#[async_trait]
pub trait Store:
    AccountStore
    + DepartmentStore
    + SignInStore
    + AppStore
    + RecordStore
    + ProcessStore
    + JobStore
    + SettingsStore
    + ReportStore
    + PortalStore
{
    /// Which backend this is, for logs and `/healthz`.
    fn backend(&self) -> Backend;

    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;

    /// Cheap round trip to the database, for health checks.
    async fn ping(&self) -> StoreResult<()>;
}

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A new UUID v7 as a hyphenated string (sorts by creation time), for the rows whose ids
/// nobody names from outside (audit, timeline, timer and outbox rows).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().hyphenated().to_string()
}

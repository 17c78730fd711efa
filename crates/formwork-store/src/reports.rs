//! Reports and spreadsheet imports: running a report plan (SQL from `formwork-query`) and the
//! staged imports whose commit inserts every row in one transaction, or none.

use async_trait::async_trait;
use formwork_model::{AppId, FormId, UserId};
pub use formwork_query::report::ReportScope;
use formwork_reports::ir::{Cell, Plan};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::{NewRecord, StoreResult};

/// What the database returned for a plan: the result rows, each a [`Cell`] per select item,
/// and a listing's totals row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportRows {
    pub rows: Vec<Vec<Cell>>,
    pub totals: Option<Vec<Cell>>,
}

/// An import's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    Checking,
    Ready,
    Failed,
    Committed,
}

impl ImportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Checking => "checking",
            ImportStatus::Ready => "ready",
            ImportStatus::Failed => "failed",
            ImportStatus::Committed => "committed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "checking" => ImportStatus::Checking,
            "ready" => ImportStatus::Ready,
            "failed" => ImportStatus::Failed,
            "committed" => ImportStatus::Committed,
            _ => return None,
        })
    }
}

/// An uploaded spreadsheet checked against a form (without its staged rows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Import {
    pub id: String,
    pub app_id: AppId,
    pub form_id: FormId,
    pub created_by: UserId,
    pub content_hash: String,
    pub filename: String,
    pub historical: bool,
    pub status: ImportStatus,
    pub row_count: i64,
    /// `[{"row", "column", "message"}]`.
    pub errors: Value,
    pub mapping: Value,
    pub created_at: OffsetDateTime,
    pub committed_at: Option<OffsetDateTime>,
}

/// A checked upload to keep until its commit: the import and the form data of its rows.
#[derive(Debug, Clone)]
pub struct NewImport {
    pub import: Import,
    /// A JSON array of each row's checked form data, in sheet order (empty when failed).
    pub staged: Value,
}

/// What a background check, or a commit that failed, leaves on an import.
#[derive(Debug, Clone)]
pub struct ImportSettlement {
    /// `ready` or `failed` after a check; `failed` after a failed commit.
    pub status: ImportStatus,
    /// The rows read, when the check counted them (a failed commit keeps the count).
    pub row_count: Option<i64>,
    /// `[{"row", "column", "message", "message_en"}]`; a failed commit adds `"stage":"commit"`.
    pub errors: Value,
    /// The checked rows to keep until the commit (empty unless `ready`).
    pub staged: Value,
}

/// Reports and imports.
#[async_trait]
pub trait ReportStore: Send + Sync + 'static {
    /// Runs `plan` over the rows `scope` lets its viewer read, in one read.
    async fn run_report(&self, plan: &Plan, scope: &ReportScope) -> StoreResult<ReportRows>;
    /// The database's plan for the main statement of `plan`, one line per row of EXPLAIN.
    async fn explain_report(&self, plan: &Plan, scope: &ReportScope) -> StoreResult<Vec<String>>;
    /// Builds the typed projection of a form from the records stored (set-based, in one
    /// transaction), or rebuilds it when `spec` differs from what it holds; `false` when it
    /// was up to date. From then on every record write keeps it in step, and lists and
    /// reports read it.
    async fn build_projection(&self, spec: &formwork_query::ProjectionSpec) -> StoreResult<bool>;
    async fn insert_import(&self, new: &NewImport) -> StoreResult<()>;
    async fn get_import(&self, id: &str) -> StoreResult<Option<Import>>;
    /// The committed import of the same bytes into the same form, if any.
    async fn committed_import(
        &self,
        app_id: &AppId,
        form_id: &FormId,
        content_hash: &str,
    ) -> StoreResult<Option<String>>;
    /// Settles an import that is `expected` (a check ending, a commit failing); `false` when
    /// the import is not `expected` any more (nothing changes then).
    async fn settle_import(
        &self,
        id: &str,
        expected: ImportStatus,
        settlement: &ImportSettlement,
    ) -> StoreResult<bool>;
    /// The staged form data of a ready import (a JSON array).
    async fn staged_rows(&self, id: &str) -> StoreResult<Value>;
    /// Inserts every record (numbered, processes started, events enqueued, as
    /// `insert_record` does) and marks the import committed, in one transaction; `Conflict`
    /// when the import is not `ready` any more or the same file was committed meanwhile.
    async fn commit_import(
        &self,
        id: &str,
        records: Vec<NewRecord>,
        actor: &UserId,
    ) -> StoreResult<u64>;
}

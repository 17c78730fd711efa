//! Records (submitted forms), their comments, files and audit history. The list query itself
//! is built by `formwork-query` from a [`RecordQuery`].

use async_trait::async_trait;
use formwork_model::{
    AppId, CommentId, DepartmentId, FileId, FormId, RecordId, RecordStatus, UserId,
};
pub use formwork_query::{
    COUNT_CAP, Column, Cursor, FieldKey, Filter, FilterOp, MAX_LIST_LIMIT, RecordQuery, ValueKind,
    Visibility,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::StoreResult;

/// One submitted form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: RecordId,
    pub app_id: AppId,
    pub form_id: FormId,
    /// The app version the record was created under; it is read and edited with that form.
    pub app_version: i64,
    /// Human-facing number such as `PRJ-2026-00001`, gap-free per form.
    pub number: Option<String>,
    pub owner_id: UserId,
    pub department_id: Option<DepartmentId>,
    pub status: RecordStatus,
    pub data: Value,
    /// Increments on every change; the API's ETag.
    pub rev: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// How the human-facing number is made inside the insert transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Numbering {
    /// The counter restarts per scope, e.g. the year `2026`; empty for one counter forever.
    pub scope: String,
    /// The number with `{seq}` where the counter goes, e.g. `PRJ-2026-{seq}`; the store
    /// refuses a template without `{seq}`.
    pub template: String,
    /// The counter is zero-padded to this many digits: `5` makes `00042`.
    pub width: usize,
}

#[derive(Debug, Clone)]
pub struct NewRecord {
    pub app_id: AppId,
    pub form_id: FormId,
    pub app_version: i64,
    pub owner_id: UserId,
    pub department_id: Option<DepartmentId>,
    pub status: RecordStatus,
    pub data: Value,
    pub numbering: Option<Numbering>,
    /// A client-chosen key: a retried insert with the same (owner, key) returns the first
    /// record instead of writing a second.
    pub idempotency_key: Option<String>,
    /// Fingerprint of the request (e.g. SHA-256 of its body): a replay whose fingerprint
    /// differs from the first request's is refused with `Conflict`.
    pub request_hash: String,
    /// A process instance started on the record, written in the same transaction.
    pub process: Option<crate::NewInstance>,
    /// Background work the insert causes (rule events), enqueued in the same transaction; the
    /// store puts the new record's id into each (`record_id`, and `record_id` of an object
    /// payload that has none).
    pub events: Vec<crate::NewJob>,
}

/// A change of a record's data and status.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordUpdate {
    pub id: RecordId,
    /// The revision the change was computed from; another current revision is `Conflict`.
    pub expected_rev: i64,
    pub data: Value,
    pub status: RecordStatus,
    /// The field diff, for the `record.update` audit row.
    pub diff: Value,
    /// Background work the change causes (rule events), enqueued in the same transaction.
    pub events: Vec<crate::NewJob>,
    /// Added to the `record.update` audit row, e.g. `{"admin_override": true}` for an admin's
    /// edit of a locked result.
    pub audit_note: Option<Value>,
}

/// The result of an insert: a new record, or the one an earlier request with the same
/// idempotency key created.
#[derive(Debug, Clone, PartialEq)]
pub enum Inserted {
    New(Record),
    Replayed(Record),
}

impl Inserted {
    pub fn record(&self) -> &Record {
        match self {
            Inserted::New(r) | Inserted::Replayed(r) => r,
        }
    }
}

/// A comment on a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub id: CommentId,
    pub record_id: RecordId,
    pub author_id: UserId,
    pub body: String,
    pub created_at: OffsetDateTime,
}

/// A stored file's metadata; the bytes live under the data directory by content hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: FileId,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub filename: String,
    pub created_by: Option<UserId>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: String,
    pub at: OffsetDateTime,
    pub actor: Option<String>,
    /// What happened, e.g. `user.create`, `app.publish`.
    pub action: String,
    /// `user:<id>`, `app:<id>`, `record:<id>`.
    pub subject: String,
    /// JSON text with the details (for records, the field diff).
    pub detail: String,
}

/// Records and what hangs off them. Every change writes its audit row in its own transaction.
#[async_trait]
pub trait RecordStore: Send + Sync + 'static {
    /// Inserts a record in one transaction: replays an earlier insert with the same
    /// (owner, idempotency key); otherwise takes the next number of its form's counter (so
    /// numbers are gap-free even under concurrency), inserts the record and its process
    /// instance, and writes the audit row `record.create` with the data.
    async fn insert_record(&self, record: NewRecord, actor: &UserId) -> StoreResult<Inserted>;
    /// A record that is not deleted.
    async fn get_record(&self, id: &RecordId) -> StoreResult<Option<Record>>;
    /// The live records among `ids`, in no particular order: one read for a page.
    async fn get_records(&self, ids: &[RecordId]) -> StoreResult<Vec<Record>>;
    /// Replaces data (and status) when `expected_rev` is current (else `Conflict`), bumps the
    /// revision, and writes `record.update` with the diff and enqueues the update's events in
    /// the same transaction.
    async fn update_record(&self, update: &RecordUpdate, actor: &UserId) -> StoreResult<Record>;
    /// Soft-deletes (with `expected_rev` when given) and writes `record.delete`.
    async fn delete_record(
        &self,
        id: &RecordId,
        expected_rev: Option<i64>,
        actor: &UserId,
    ) -> StoreResult<()> {
        self.delete_record_with_events(id, expected_rev, actor, &[])
            .await
    }
    /// [`RecordStore::delete_record`], enqueuing `events` (rule events) in the same
    /// transaction.
    async fn delete_record_with_events(
        &self,
        id: &RecordId,
        expected_rev: Option<i64>,
        actor: &UserId,
        events: &[crate::NewJob],
    ) -> StoreResult<()>;
    /// One page of records, permission-filtered and keyset-paged; never counts.
    async fn list_records(&self, query: &RecordQuery) -> StoreResult<Vec<Record>>;
    /// How many records `list_records(query)` would page through (its cursor and limit
    /// ignored), counting at most `cap`: a page shows "1,000+" rather than walk a whole form.
    async fn count_records(&self, query: &RecordQuery, cap: u32) -> StoreResult<u32>;
    /// The database's plan for `list_records(query)`, one line per row of its EXPLAIN output:
    /// for diagnostics and for the tests that check the list indexes are used.
    async fn explain_list_records(&self, query: &RecordQuery) -> StoreResult<Vec<String>>;
    /// Audit rows of one record, oldest first (its change history).
    async fn record_history(&self, record_id: &RecordId) -> StoreResult<Vec<AuditEntry>>;
    /// Audit rows of everything, newest first, before the given id (keyset page).
    async fn list_audit(&self, before: Option<&str>, limit: u32) -> StoreResult<Vec<AuditEntry>>;

    async fn add_comment(
        &self,
        record_id: &RecordId,
        author_id: &UserId,
        body: &str,
    ) -> StoreResult<Comment>;
    async fn list_comments(&self, record_id: &RecordId) -> StoreResult<Vec<Comment>>;
    /// Stores file metadata (the caller has written the bytes already).
    async fn insert_attachment(&self, attachment: &Attachment) -> StoreResult<()>;
    async fn get_attachment(&self, id: &FileId) -> StoreResult<Option<Attachment>>;

    /// The owner's live drafts (records with status `draft`), last saved first.
    async fn list_drafts(&self, owner_id: &UserId, limit: u32) -> StoreResult<Vec<Record>>;
    /// Submits draft `id` at `expected_rev` (else `Conflict`, or `NotFound` when it is no live
    /// draft) as `submitted` says, in one transaction: its data and status, the next number of
    /// its form's counter, its process and its events, and the audit row `record.submit`. The
    /// record keeps the draft's id; `created_at` becomes the submission's time.
    async fn submit_draft(
        &self,
        id: &RecordId,
        expected_rev: i64,
        submitted: NewRecord,
        actor: &UserId,
    ) -> StoreResult<Record>;
    /// Soft-deletes drafts last saved before `before`; how many.
    async fn purge_drafts(&self, before: time::OffsetDateTime) -> StoreResult<u64>;
}

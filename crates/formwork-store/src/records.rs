//! Row and query types of records (submitted forms), their files, comments and history.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// One submitted form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    pub app_id: String,
    pub form_id: String,
    /// The app version the record was created under; it is read and edited with that form.
    pub app_version: i64,
    /// Human-facing number such as `PRJ-2026-00001`, gap-free per form.
    pub number: Option<String>,
    pub owner_id: String,
    pub department_id: Option<String>,
    /// `draft`, `submitted`, `in_review`, `approved`, `rejected`, `withdrawn`, …
    pub status: String,
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
    pub app_id: String,
    pub form_id: String,
    pub app_version: i64,
    pub owner_id: String,
    pub department_id: Option<String>,
    pub status: String,
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

/// The most rows one `list_records` call returns: a page of 200 and one more, which a caller
/// may ask for to learn whether another page follows. Larger limits are cut to this.
pub const MAX_LIST_LIMIT: u32 = 201;

/// Which records a list may return: the caller's read permission, enforced in SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum Visibility {
    All,
    /// Records owned by the user, or belonging to one of the departments.
    OwnOrDepartments {
        owner_id: String,
        department_ids: Vec<String>,
    },
}

/// A column a filter or sort reads: a system column, or a top-level field of `data`.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// One of `id`, `number`, `owner_id`, `department_id`, `status`, `created_at`,
    /// `updated_at`.
    System(&'static str),
    /// A field key (checked against the form by the caller; the store also refuses any key
    /// that is not `[a-z][a-z0-9_]*`) and how to compare it.
    Data { key: String, kind: ValueKind },
}

/// How a data field's JSON value compares in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Text,
    /// Numbers, and money stored as decimal strings (compared as numbers).
    Number,
    Bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// Case-insensitive substring (text only).
    Contains,
    /// Value is one of a list.
    In,
    IsNull,
    NotNull,
}

/// One condition of a list. Comparisons follow the column's kind; `Ne` also matches records
/// where the field is missing or null, and `Eq`/`Ne` with a null value mean `IsNull`/`NotNull`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub column: Column,
    pub op: FilterOp,
    /// A string, number or bool; a list for `In`; ignored for `IsNull`/`NotNull`.
    pub value: Value,
}

/// A keyset position: the sort column's value in the last row seen (as the record holds it:
/// the JSON value of a data field, RFC 3339 text for `created_at`/`updated_at`, null when
/// missing) and that row's id. Without a sort only the id counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    pub value: Value,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordQuery {
    pub app_id: String,
    pub form_id: String,
    pub visibility: Visibility,
    pub filters: Vec<Filter>,
    /// A needle and the text field keys to look in: matches the number or any listed field
    /// containing the needle, case-insensitively (`%` and `_` are plain characters).
    pub search: Option<(String, Vec<String>)>,
    /// Sort column and direction; ties go by id in the same direction, and records without a
    /// value come last in both directions. Without a sort: by id, newest first.
    pub sort: Option<(Column, bool /* descending */)>,
    /// Continue strictly after this position of the same query.
    pub after: Option<Cursor>,
    /// At most [`MAX_LIST_LIMIT`].
    pub limit: u32,
}

/// A comment on a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub id: String,
    pub record_id: String,
    pub author_id: String,
    pub body: String,
    pub created_at: OffsetDateTime,
}

/// A stored file's metadata; the bytes live under the data directory by content hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: String,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub filename: String,
    pub created_by: Option<String>,
    pub created_at: OffsetDateTime,
}

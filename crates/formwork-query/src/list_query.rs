//! What a caller asks a record list for: the query model ([`RecordQuery`], its filters, sort,
//! cursor and visibility). [`crate::list`] turns it into SQL.

use std::fmt;

use formwork_model::{AppId, DepartmentId, FormId, RecordId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The most rows one list returns: a page of 200 and one more, which a caller may ask for to
/// learn whether another page follows. Larger limits are cut to this.
pub const MAX_LIST_LIMIT: u32 = 201;

/// Drafts (暂存) are not records yet: lists, exports and reports leave them out (only "my
/// drafts" shows them), and a projection holds none. A literal, so plans never depend on it.
pub const NOT_DRAFT: &str = "status <> 'draft'";

/// A query the builder refuses. Callers check queries against the form first, so this is a
/// bug, not user input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid record query: {0}")]
pub struct QueryError(String);

impl QueryError {
    pub(crate) fn new(message: String) -> Self {
        QueryError(message)
    }
}

pub type QueryResult<T> = Result<T, QueryError>;

/// A field key that may go into SQL text: `[a-z][a-z0-9_]*`, at most 64 bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldKey(String);

impl FieldKey {
    pub fn parse(key: &str) -> QueryResult<FieldKey> {
        let mut chars = key.chars();
        let ok = key.len() <= 64
            && chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(FieldKey(key.to_owned()))
        } else {
            Err(QueryError(format!("field key `{key}`")))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which records a list may return: the caller's read permission, enforced in SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum Visibility {
    All,
    /// Records owned by the user, or belonging to one of the departments.
    OwnOrDepartments {
        owner_id: UserId,
        department_ids: Vec<DepartmentId>,
    },
}

/// A column a filter or sort reads: a system column, or a top-level field of `data`.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// One of `id`, `number`, `owner_id`, `department_id`, `status`, `created_at`,
    /// `updated_at`.
    System(&'static str),
    /// A field (checked against the form by the caller) and how to compare it.
    Data { key: FieldKey, kind: ValueKind },
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
    pub id: RecordId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordQuery {
    pub app_id: AppId,
    pub form_id: FormId,
    pub visibility: Visibility,
    pub filters: Vec<Filter>,
    /// A needle and the text fields to look in: matches the number or any listed field
    /// containing the needle, case-insensitively (`%` and `_` are plain characters).
    pub search: Option<(String, Vec<FieldKey>)>,
    /// Sort column and direction; ties go by id in the same direction, and records without a
    /// value come last in both directions. Without a sort: by id, newest first.
    pub sort: Option<(Column, bool /* descending */)>,
    /// Continue strictly after this position of the same query.
    pub after: Option<Cursor>,
    /// At most [`MAX_LIST_LIMIT`].
    pub limit: u32,
    /// The publish epoch the caller's session read. While it holds, no projection was built
    /// or rebuilt, so the store may answer which projection the form has from memory.
    pub epoch: Option<i64>,
}

/// The columns of a record, in the order every list selects them.
pub const RECORD_COLUMNS: [&str; 12] = [
    "id",
    "app_id",
    "form_id",
    "app_version",
    "number",
    "owner_id",
    "department_id",
    "status",
    "data",
    "rev",
    "created_at",
    "updated_at",
];

//! What goes into and comes out of a submission besides the data: the [`SubmitContext`] rules
//! may read, and the [`CleanRecord`] with the references the runtime must still resolve.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Date, OffsetDateTime};

use crate::attachment::AttachmentRef;
use crate::field::Field;
use crate::kind::FieldKind;

/// What the rules of a submission may read besides the data.
#[derive(Debug, Clone)]
pub struct SubmitContext {
    /// The instant of the submission (expressions see it as `now`).
    pub now: OffsetDateTime,
    /// The submitter's calendar date (`today`), in their time zone.
    pub today: Date,
    /// Username of the person submitting (`submitter`).
    pub submitter: String,
    /// System fields of the record being updated; empty on create.
    pub record: RecordMeta,
}

/// System fields of an existing record, visible to expressions.
#[derive(Debug, Clone, Default)]
pub struct RecordMeta {
    /// The record id (UUID v7 text).
    pub id: Option<String>,
    /// The human-facing number, e.g. `PRJ-2026-00001`.
    pub number: Option<String>,
    /// Username of the owner.
    pub owner: Option<String>,
    /// Workflow status, e.g. `approved`.
    pub status: Option<String>,
    /// When the record was created.
    pub created_at: Option<OffsetDateTime>,
    /// When the record was last changed.
    pub updated_at: Option<OffsetDateTime>,
}

/// An accepted submission: the data to store and what the runtime must still do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CleanRecord {
    /// The record data: normalised, hidden fields dropped, computed fields computed.
    pub data: Value,
    /// Every attachment reference in the data, to check against the file store and link.
    pub attachments: Vec<AttachmentUse>,
    /// Every user, department and related-record id in the data, to check (and for
    /// relations, to fill the fields listed).
    pub references: Vec<Reference>,
    /// Auto-number fields still without a value: the runtime assigns them.
    pub auto_numbers: Vec<String>,
}

/// An attachment reference and where it sits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentUse {
    /// Pointer to the reference, e.g. `/attachments/0`.
    pub path: String,
    /// The reference as submitted.
    pub file: AttachmentRef,
}

/// An id in the data that points outside the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// Pointer to the id, e.g. `/milestones/0/owner`.
    pub path: String,
    /// What kind of thing the id names.
    pub target: ReferenceTarget,
    /// The username, department id or record id.
    pub id: String,
}

/// What a [`Reference`] points to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReferenceTarget {
    /// A username.
    User,
    /// A department id.
    Department,
    /// A record of `form`; copy `fills` (local field ← their field) from it.
    Record {
        form: String,
        fills: BTreeMap<String, String>,
    },
}

pub(crate) fn collect(record: &mut CleanRecord, field: &Field, path: &str, value: &Value) {
    let target = match &field.kind {
        FieldKind::User { .. } => ReferenceTarget::User,
        FieldKind::Department { .. } => ReferenceTarget::Department,
        FieldKind::Relation(rel) => ReferenceTarget::Record {
            form: rel.form.clone(),
            fills: rel.fills.clone(),
        },
        FieldKind::Attachments(_) => {
            for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                if let Some(file) = AttachmentRef::from_value(item) {
                    record.attachments.push(AttachmentUse {
                        path: format!("{path}/{i}"),
                        file,
                    });
                }
            }
            return;
        }
        _ => return,
    };
    let ids: Vec<(String, &str)> = match value {
        Value::String(id) => vec![(path.to_owned(), id.as_str())],
        Value::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.as_str().map(|id| (format!("{path}/{i}"), id)))
            .collect(),
        _ => Vec::new(),
    };
    for (path, id) in ids {
        record.references.push(Reference {
            path,
            target: target.clone(),
            id: id.to_owned(),
        });
    }
}

//! References to uploaded files as they sit in record data, and the per-field limits.
//!
//! The browser uploads a file first; the runtime stores it by content hash and answers with an
//! [`AttachmentRef`], which the form then submits. This crate checks the reference's shape and
//! the field's limits on the values given; the runtime must check that each id is a file the
//! submitter uploaded and that size, hash and type match what it stored.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kind::AttachmentRules;

/// One uploaded file as stored in a record: `{id, name, size, content_type, sha256}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRef {
    /// The file's id in the runtime's file store.
    pub id: String,
    /// The name people see, e.g. `报价单.pdf`.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// MIME type, e.g. `application/pdf`.
    pub content_type: String,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
}

impl AttachmentRef {
    /// Reads a reference from record data; `None` when it is incomplete or malformed.
    pub fn from_value(value: &Value) -> Option<AttachmentRef> {
        let file: AttachmentRef = serde_json::from_value(value.clone()).ok()?;
        let hash_ok = file.sha256.len() == 64
            && file
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        (hash_ok && !file.id.trim().is_empty() && !file.name.trim().is_empty()).then_some(file)
    }
}

/// Whether `file` is of a type `rules` accept (any type when the list is empty).
pub(crate) fn accepts(rules: &AttachmentRules, file: &AttachmentRef) -> bool {
    if rules.accept.is_empty() {
        return true;
    }
    let name = file.name.to_ascii_lowercase();
    let content_type = file.content_type.trim().to_ascii_lowercase();
    rules.accept.iter().any(|entry| {
        if entry.starts_with('.') {
            name.ends_with(entry.as_str())
        } else if let Some(family) = entry.strip_suffix("/*") {
            content_type
                .split_once('/')
                .is_some_and(|(major, _)| major == family)
        } else {
            content_type == *entry
        }
    })
}

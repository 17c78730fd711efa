//! What people see around a record: its comments and its change history with field diffs.
//! Each is read through `read_record`, so whoever may not read the
//! record gets `NotFound`, exactly as for the record itself, and a diff shows only the fields
//! the reader may read.

use formwork_store::{AuditEntry, Comment, RecordId, UserId};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::accounts::problem;
use crate::policy::{Caller, readable_fields};
use crate::{Runtime, RuntimeError, RuntimeResult};

/// Longest comment accepted, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// A comment with its author's display name.
#[derive(Debug, Clone)]
pub struct CommentEntry {
    pub comment: Comment,
    pub author: String,
}

/// One change of one field: the stored values before and after.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub key: String,
    pub from: Value,
    pub to: Value,
}

/// One row of a record's change history.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub at: OffsetDateTime,
    /// Display name of who did it (`system` for the command line).
    pub actor: Option<String>,
    /// `record.create`, `record.update`, `record.delete`, …
    pub action: String,
    /// Field changes of an update, in the order the audit row lists them.
    pub changes: Vec<FieldChange>,
    /// The status after the change, when the row says.
    pub status: Option<String>,
}

impl Runtime {
    /// Adds a comment to a record the caller may read.
    pub async fn add_comment(
        &self,
        caller: &Caller,
        record_id: &RecordId,
        body: &str,
    ) -> RuntimeResult<Comment> {
        let record = self.read_record(caller, record_id).await?;
        self.internal_only(caller, "comments").await?;
        let body = body.trim();
        if body.is_empty() {
            return Err(RuntimeError::Invalid {
                problems: vec![problem(
                    "/body",
                    "required",
                    "请填写评论内容",
                    "Write a comment first",
                )],
            });
        }
        if body.chars().count() > MAX_COMMENT_CHARS {
            return Err(RuntimeError::Invalid {
                problems: vec![problem(
                    "/body",
                    "max_length",
                    &format!("评论不能超过 {MAX_COMMENT_CHARS} 个字"),
                    &format!("A comment can be at most {MAX_COMMENT_CHARS} characters long"),
                )],
            });
        }
        Ok(self
            .store
            .add_comment(&record.id, &caller.user.id, body)
            .await?)
    }

    /// The comments of a record the caller may read, oldest first.
    pub async fn comments(
        &self,
        caller: &Caller,
        record_id: &RecordId,
    ) -> RuntimeResult<Vec<CommentEntry>> {
        let record = self.read_record(caller, record_id).await?;
        self.internal_only(caller, "comments").await?;
        let comments = self.store.list_comments(&record.id).await?;
        let ids: Vec<&UserId> = comments.iter().map(|c| &c.author_id).collect();
        let names = self.display_names(&ids).await?;
        Ok(comments
            .into_iter()
            .map(|comment| CommentEntry {
                author: names
                    .get(&comment.author_id)
                    .cloned()
                    .unwrap_or_else(|| comment.author_id.to_string()),
                comment,
            })
            .collect())
    }

    /// The change history of a record the caller may read, oldest first.
    pub async fn history(
        &self,
        caller: &Caller,
        record_id: &RecordId,
    ) -> RuntimeResult<Vec<HistoryEntry>> {
        let record = self.read_record(caller, record_id).await?;
        let form = self.record_form(&record).await?;
        let readable = readable_fields(caller, form.def());
        let rows = self.store.record_history(&record.id).await?;
        let actors: Vec<UserId> = rows
            .iter()
            .filter_map(|r| UserId::parse(r.actor.as_deref()?).ok())
            .collect();
        let names = self
            .display_names(&actors.iter().collect::<Vec<_>>())
            .await?;
        // A diff names only the fields the caller may read; a change of hidden fields alone
        // still shows that the record changed, as its revision does.
        Ok(rows
            .into_iter()
            .map(|row| {
                let mut entry = history_entry(row, &names);
                entry.changes.retain(|c| readable.contains(&c.key));
                entry
            })
            .collect())
    }
}

fn history_entry(
    row: AuditEntry,
    names: &std::collections::HashMap<UserId, String>,
) -> HistoryEntry {
    let detail: Value = serde_json::from_str(&row.detail).unwrap_or(Value::Null);
    let empty = Map::new();
    let changes = detail
        .get("diff")
        .and_then(Value::as_object)
        .unwrap_or(&empty)
        .iter()
        .map(|(key, change)| FieldChange {
            key: key.clone(),
            from: change.get("from").cloned().unwrap_or(Value::Null),
            to: change.get("to").cloned().unwrap_or(Value::Null),
        })
        .collect();
    HistoryEntry {
        at: row.at,
        actor: row.actor.map(|actor| {
            UserId::parse(&actor)
                .ok()
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or(actor)
        }),
        action: row.action,
        changes,
        status: detail
            .get("status")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const U1: &str = "01936f6e-8a4b-7c3d-9e2f-000000000001";

    #[test]
    fn an_update_row_becomes_field_changes_with_the_actor_named() {
        let row = AuditEntry {
            id: "1".into(),
            at: OffsetDateTime::UNIX_EPOCH,
            actor: Some(U1.into()),
            action: "record.update".into(),
            subject: "record:r".into(),
            detail: json!({"rev": 2, "status": "submitted", "diff": {"amount": {"from": "1.00", "to": "2.00"}}})
                .to_string(),
        };
        let names = [(UserId::parse(U1).unwrap(), "张伟".to_owned())]
            .into_iter()
            .collect();
        let entry = history_entry(row, &names);
        assert_eq!(entry.actor.as_deref(), Some("张伟"));
        assert_eq!(entry.status.as_deref(), Some("submitted"));
        assert_eq!(
            entry.changes,
            [FieldChange {
                key: "amount".into(),
                from: json!("1.00"),
                to: json!("2.00")
            }]
        );
    }
}

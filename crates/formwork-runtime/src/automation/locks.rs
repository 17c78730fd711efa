//! The one place rules ask whether a field may be changed now.
//!
//! Once a record's process ended (approved, rejected, completed) its results are locked: only
//! the fields the form keeps editable after approval change (for the sample, milestones,
//! stage and actual figures; never amount, customer or dates, which change only through an
//! approved 变更). Every `set_field` a rule plans asks [`may_change_field`] first, and the rule's
//! run shows a refused action with the reason.

use formwork_model::{FormDef, Text};
use formwork_store::Record;

/// Why a field may not be changed now.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldLock {
    pub code: String,
    pub message: Text,
}

/// Whether a rule may set `field` of `record` (of `form`) now: always before the process
/// ended; afterwards only a field the form keeps editable after approval (by anyone).
pub fn may_change_field(form: &FormDef, record: &Record, field: &str) -> Result<(), FieldLock> {
    if !record.status.is_result() {
        return Ok(());
    }
    let kept = form
        .after_approval
        .as_ref()
        .is_some_and(|a| a.editable.get(field).is_some_and(|who| !who.is_empty()));
    if kept {
        return Ok(());
    }
    Err(FieldLock {
        code: "record_locked".into(),
        message: Text::zh_en(
            format!("记录已有审批结果，字段「{field}」已锁定，只能通过变更修改"),
            format!(
                "The record's approval has ended; field `{field}` is locked and changes only \
                 through a change request"
            ),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use formwork_store::{RecordStatus, UserId};

    fn record(status: RecordStatus) -> Record {
        Record {
            id: formwork_store::RecordId::new(),
            app_id: formwork_store::AppId::parse("a").unwrap(),
            form_id: formwork_store::FormId::parse("f").unwrap(),
            app_version: 1,
            number: None,
            owner_id: UserId::system(),
            department_id: None,
            status,
            data: serde_json::json!({}),
            rev: 1,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            updated_at: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn rules_change_only_the_fields_kept_editable_once_approved() {
        let form: FormDef = serde_json::from_value(serde_json::json!({
            "id": "f", "name": {"zh-CN": "表"}, "schema": {"type": "object"},
            "after_approval": {"editable": {"stage": ["owner"]}, "changes": "change_request"}
        }))
        .unwrap();
        assert!(may_change_field(&form, &record(RecordStatus::InReview), "amount").is_ok());
        let approved = record(RecordStatus::Approved);
        assert!(may_change_field(&form, &approved, "stage").is_ok());
        let lock = may_change_field(&form, &approved, "amount").unwrap_err();
        assert_eq!(lock.code, "record_locked");
    }
}

//! What a record's results mean once its process ended: which fields stay editable, by whom,
//! and how the others change (through a 变更 that goes through approval, or not at all).
//!
//! A form without `after_approval` keeps its ended records read-only to everyone but admins.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Who a field stays editable for: the record's `owner`, or holders of a role.
pub const OWNER: &str = "owner";

/// A form's rules for records whose process ended (approved, rejected, completed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AfterApprovalDef {
    /// Fields that stay editable, each with who may edit it (`owner` or role ids).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub editable: BTreeMap<String, Vec<String>>,
    /// How the other fields change.
    #[serde(default)]
    pub changes: ChangePolicy,
}

/// How the locked fields of an ended record change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangePolicy {
    /// Not at all (admins excepted, audited).
    #[default]
    Locked,
    /// 变更: the owner proposes new values, which go through the form's process and replace
    /// the approved ones only once approved.
    ChangeRequest,
}

impl AfterApprovalDef {
    /// Whether `field` stays editable for someone who is the owner (`is_owner`) or holds
    /// one of `roles`.
    pub fn editable_by(&self, field: &str, is_owner: bool, roles: &[&str]) -> bool {
        self.editable.get(field).is_some_and(|who| {
            who.iter()
                .any(|w| (w == OWNER && is_owner) || roles.contains(&w.as_str()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_stay_editable_only_for_whom_the_package_says() {
        let def: AfterApprovalDef = serde_json::from_value(serde_json::json!({
            "editable": {"milestones": ["owner"], "stage": ["pm"]},
            "changes": "change_request"
        }))
        .unwrap();
        assert_eq!(def.changes, ChangePolicy::ChangeRequest);
        assert!(def.editable_by("milestones", true, &[]));
        assert!(!def.editable_by("milestones", false, &["pm"]));
        assert!(def.editable_by("stage", false, &["pm"]));
        assert!(!def.editable_by("amount", true, &["pm"]));
        assert_eq!(AfterApprovalDef::default().changes, ChangePolicy::Locked);
    }
}

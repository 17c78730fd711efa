//! Field permissions at a human step: what the person at a node sees and may change.
//!
//! A node lists fields as `visible`, `editable` or `hidden`. Fields it does not list are
//! `visible` at an approval. At a fill step that lists no fields at all, every field is
//! `editable` (the submitter reworking the record); one that lists some leaves the rest
//! `visible`.

use std::collections::BTreeMap;

pub use formwork_model::FieldAccess;
use formwork_model::{NodeDef, NodeKind, Problem};
use serde_json::Value;

use crate::accounts::problem;

/// The access to `field` at `node`; `None` when the node is not a human step.
pub fn field_access(node: &NodeDef, field: &str) -> Option<FieldAccess> {
    let (listed, default) = listed(node)?;
    Some(listed.get(field).copied().unwrap_or(default))
}

fn listed(node: &NodeDef) -> Option<(&BTreeMap<String, FieldAccess>, FieldAccess)> {
    match &node.kind {
        NodeKind::Approval(a) => Some((&a.fields, FieldAccess::Visible)),
        NodeKind::Fill(f) if f.fields.is_empty() => Some((&f.fields, FieldAccess::Editable)),
        NodeKind::Fill(f) => Some((&f.fields, FieldAccess::Visible)),
        _ => None,
    }
}

/// Every field of the form with its access at `node`, hidden ones left out.
pub(crate) fn shown_fields(node: &NodeDef, keys: &[&str]) -> BTreeMap<String, FieldAccess> {
    keys.iter()
        .filter_map(|k| Some(((*k).to_owned(), field_access(node, k)?)))
        .filter(|(_, a)| *a != FieldAccess::Hidden)
        .collect()
}

/// `data` without the fields hidden at `node`.
pub(crate) fn without_hidden(node: &NodeDef, data: &Value) -> Value {
    match data {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| field_access(node, k) != Some(FieldAccess::Hidden))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// One problem per key of `changes` that is not editable at `node`.
pub(crate) fn refused_changes(node: &NodeDef, changes: &Value) -> Vec<Problem> {
    let Some(map) = changes.as_object() else {
        return vec![problem(
            "/data",
            "type",
            "要修改的数据须为对象",
            "The data to change must be an object",
        )];
    };
    map.keys()
        .filter(|k| field_access(node, k) != Some(FieldAccess::Editable))
        .map(|k| {
            problem(
                &format!("/data/{}", formwork_model::problem::escape_token(k)),
                "read_only",
                "此步骤不能修改该字段",
                "This field cannot be changed at this step",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(kind: Value) -> NodeDef {
        serde_json::from_value(kind).unwrap()
    }

    #[test]
    fn unlisted_fields_are_visible_at_an_approval_and_editable_at_a_bare_fill() {
        let approval = node(json!({"id": "a", "kind": "approval",
            "assignee": {"type": "submitter"}, "fields": {"secret": "hidden", "amount": "editable"}}));
        assert_eq!(field_access(&approval, "name"), Some(FieldAccess::Visible));
        assert_eq!(field_access(&approval, "secret"), Some(FieldAccess::Hidden));
        assert_eq!(
            field_access(&approval, "amount"),
            Some(FieldAccess::Editable)
        );

        let bare_fill = node(json!({"id": "f", "kind": "fill", "assignee": {"type": "submitter"}}));
        assert_eq!(
            field_access(&bare_fill, "name"),
            Some(FieldAccess::Editable)
        );
        let fill = node(
            json!({"id": "f", "kind": "fill", "assignee": {"type": "submitter"},
            "fields": {"amount": "editable"}}),
        );
        assert_eq!(field_access(&fill, "name"), Some(FieldAccess::Visible));

        let end = node(json!({"id": "e", "kind": "end", "outcome": "approved"}));
        assert_eq!(field_access(&end, "name"), None);
    }

    #[test]
    fn hidden_fields_are_dropped_and_only_editable_ones_may_change() {
        let approval = node(json!({"id": "a", "kind": "approval",
            "assignee": {"type": "submitter"}, "fields": {"secret": "hidden", "amount": "editable"}}));
        let data = json!({"name": "x", "secret": "s", "amount": "1"});
        assert_eq!(
            without_hidden(&approval, &data),
            json!({"name": "x", "amount": "1"})
        );
        let refused = refused_changes(&approval, &json!({"amount": "2", "name": "y", "secret": 1}));
        let paths: Vec<_> = refused.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(paths, ["/data/name", "/data/secret"]);
        assert!(refused_changes(&approval, &json!({"amount": "2"})).is_empty());
    }
}

//! Field-level differences between two versions of a record's data, for audit rows and the
//! change history: `{"amount": {"from": "100.00", "to": "120.00"}}`.

use serde_json::{Map, Value, json};

/// The top-level fields whose values differ between `old` and `new`.
///
/// A missing key and `null` are the same; a field added shows `"from": null`, a field
/// removed `"to": null`. Sub-tables and lists are compared as whole values.
pub fn field_diff(old: &Value, new: &Value) -> Value {
    let empty = Map::new();
    let old = old.as_object().unwrap_or(&empty);
    let new = new.as_object().unwrap_or(&empty);
    let mut changes = Map::new();
    for key in old.keys().chain(new.keys()) {
        if changes.contains_key(key) {
            continue;
        }
        let from = old.get(key).unwrap_or(&Value::Null);
        let to = new.get(key).unwrap_or(&Value::Null);
        if from != to {
            changes.insert(key.clone(), json!({ "from": from, "to": to }));
        }
    }
    Value::Object(changes)
}

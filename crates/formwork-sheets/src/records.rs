//! A form's records as typed export rows: one column per readable field, headed by its label
//! in the caller's language, valued so that [`crate::import`] reads the same data back.
//!
//! Options show as their labels, several values (multi-selects, several users) are joined
//! with `、`, check boxes as 是/否 (Yes/No), sub-tables as JSON text, attachments as their file
//! names (which cannot be imported back: files do not travel in a spreadsheet).

use std::collections::BTreeSet;

use formwork_forms::{CompiledForm, Field, FieldKind};
use formwork_reports::ir::{OutputColumn, ValueType};
use serde_json::Value;

use crate::export::plain_text;

/// The export column of a field.
fn column(field: &Field, lang: &str) -> OutputColumn {
    let value_type = match &field.kind {
        FieldKind::Money => ValueType::Money,
        FieldKind::Integer | FieldKind::Decimal | FieldKind::Percent => ValueType::Number,
        FieldKind::Date => ValueType::Date,
        FieldKind::DateTime => ValueType::Datetime,
        FieldKind::User { multiple: false } => ValueType::User,
        FieldKind::Department { multiple: false } => ValueType::Department,
        _ => ValueType::Text,
    };
    OutputColumn {
        key: field.key.clone(),
        label: field.label.get(lang).to_owned(),
        value_type,
    }
}

/// Export columns of the fields of `form` the viewer may read, in form order.
pub fn record_columns(
    form: &CompiledForm,
    readable: &BTreeSet<String>,
    lang: &str,
) -> Vec<OutputColumn> {
    form.fields()
        .iter()
        .filter(|f| readable.contains(&f.key))
        .map(|f| column(f, lang))
        .collect()
}

fn label(field: &Field, value: &Value, lang: &str) -> String {
    field
        .option_label(value)
        .map_or_else(|| plain_text(value), |t| t.get(lang).to_owned())
}

fn joined<'a>(items: impl Iterator<Item = String> + 'a) -> Value {
    Value::String(items.collect::<Vec<_>>().join("、"))
}

/// A record's data as a row for `columns` (from [`record_columns`]).
pub fn record_row(
    form: &CompiledForm,
    columns: &[OutputColumn],
    data: &Value,
    lang: &str,
) -> Vec<Value> {
    columns
        .iter()
        .map(|c| {
            let value = data.get(&c.key).unwrap_or(&Value::Null);
            let Some(field) = form.field(&c.key) else {
                return Value::Null;
            };
            match (&field.kind, value) {
                (_, Value::Null) => Value::Null,
                (FieldKind::Select | FieldKind::Radio, v) => Value::String(label(field, v, lang)),
                (FieldKind::MultiSelect, Value::Array(items)) => {
                    joined(items.iter().map(|v| label(field, v, lang)))
                }
                (FieldKind::Checkbox, Value::Bool(b)) => Value::String(
                    match (lang.starts_with("en"), b) {
                        (true, true) => "Yes",
                        (true, false) => "No",
                        (false, true) => "是",
                        (false, false) => "否",
                    }
                    .to_owned(),
                ),
                (FieldKind::User { .. } | FieldKind::Department { .. }, Value::Array(items)) => {
                    joined(items.iter().map(plain_text))
                }
                (FieldKind::Attachments(_), Value::Array(files)) => joined(
                    files
                        .iter()
                        .filter_map(|f| f.get("name").and_then(Value::as_str).map(str::to_owned)),
                ),
                (FieldKind::SubTable | FieldKind::Json, v) => Value::String(v.to_string()),
                (_, v) => v.clone(),
            }
        })
        .collect()
}

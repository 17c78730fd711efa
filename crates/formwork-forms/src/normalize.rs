//! Turning what a browser or API client sent into the stored value of a field, before it is
//! validated.
//!
//! - `null`, `""` and whitespace-only strings mean "empty": the key is left out of the record.
//! - money becomes a two-decimal string read exactly (see [`crate::money`]);
//! - numbers sent as strings (HTML forms) become JSON numbers, read from their text;
//! - `"true"`/`"on"`/`"1"` and `"false"`/`"off"`/`"0"` become booleans for checkboxes;
//! - a lone string becomes a one-item list for multi-value kinds;
//! - phone numbers, e-mail, URLs, dates and ids are trimmed; free text is kept as typed;
//! - rich text is sanitised with ammonia (scripts, event handlers and `javascript:` URLs go).
//!
//! Values are never rendered as templates: `{{7*7}}` is stored as those seven characters.

use serde_json::{Number, Value};

use crate::field::Field;
use crate::kind::FieldKind;
use crate::money::{self, MoneyFault};

/// The stored value of a submitted value; `Ok(None)` when empty, `Err(code)` when refused.
pub(crate) fn input(field: &Field, value: &Value) -> Result<Option<Value>, &'static str> {
    if is_empty(value) {
        return Ok(None);
    }
    Ok(Some(match (&field.kind, value) {
        (FieldKind::Money, v) => match money::normalize_input(v) {
            Ok(amount) => Value::String(amount),
            Err(MoneyFault::WrongType) => return Err("type"),
            Err(MoneyFault::BadText) => return Err("pattern"),
        },
        (FieldKind::Integer | FieldKind::Decimal | FieldKind::Percent, Value::String(s)) => {
            serde_json::from_str::<Number>(s.trim()).map_or_else(|_| value.clone(), Value::Number)
        }
        (FieldKind::Checkbox, Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "on" | "1" | "yes" => Value::Bool(true),
            "false" | "off" | "0" | "no" => Value::Bool(false),
            _ => value.clone(),
        },
        (kind, Value::String(s)) if kind.is_multiple() => {
            Value::Array(vec![Value::String(s.trim().to_owned())])
        }
        (FieldKind::RichText, Value::String(s)) => {
            let clean = ammonia::clean(s);
            if clean.trim().is_empty() {
                return Ok(None);
            }
            Value::String(clean)
        }
        (
            FieldKind::Mobile
            | FieldKind::Landline
            | FieldKind::Email
            | FieldKind::Url
            | FieldKind::Date
            | FieldKind::DateTime
            | FieldKind::User { .. }
            | FieldKind::Department { .. }
            | FieldKind::Relation(_)
            | FieldKind::AutoNumber,
            Value::String(s),
        ) => Value::String(s.trim().to_owned()),
        _ => value.clone(),
    }))
}

/// The stored value of an expression's result (a default or a computed value).
pub(crate) fn expression(field: &Field, value: &Value) -> Option<Value> {
    match &field.kind {
        FieldKind::Money => money::from_expression(value).map(Value::String),
        FieldKind::Text | FieldKind::Textarea | FieldKind::Mobile | FieldKind::Landline => {
            match value {
                Value::Number(n) => Some(Value::String(n.to_string())),
                _ => input(field, value).ok().flatten(),
            }
        }
        _ => input(field, value).ok().flatten(),
    }
}

/// `null`, an empty or whitespace-only string.
pub(crate) fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Empty for a required check: also an empty list, and an unticked checkbox.
pub(crate) fn is_blank(field: &Field, value: Option<&Value>) -> bool {
    match value {
        None => true,
        Some(Value::Array(items)) => items.is_empty(),
        Some(Value::Bool(ticked)) if field.kind == FieldKind::Checkbox => !ticked,
        Some(v) => is_empty(v),
    }
}

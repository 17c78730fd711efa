//! One field of a compiled form: key, label, kind, rules and limits, read once from the
//! [`FormDef`](formwork_model::FormDef) (its JSON Schema property and its UI def).

use std::collections::BTreeSet;

use formwork_model::{FieldUiDef, Text};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::kind::{self, FieldKind, X_MAXIMUM, X_MINIMUM};
use crate::money;

/// A field of a compiled form (or a column of a sub-table).
#[derive(Debug, Clone)]
pub struct Field {
    /// The property key, e.g. `amount`.
    pub key: String,
    /// Label shown to people; the key when the UI def has none.
    pub label: Text,
    /// What the field holds.
    pub kind: FieldKind,
    /// The widget to draw (the UI def's, else the kind's default).
    pub widget: String,
    /// In the schema's `required` list.
    pub required: bool,
    /// The UI def as written (rules, help, options, message overrides).
    pub ui: FieldUiDef,
    /// The property's schema with a local `$ref` resolved.
    pub schema: Value,
    /// Choices as `(stored value, label)`, in `enum` order when the schema has one.
    pub options: Vec<(Value, Text)>,
    /// Money bounds, exact.
    pub money_min: Option<Bound>,
    /// Money upper bound, exact.
    pub money_max: Option<Bound>,
    /// Set by the server from a related record; the client's value is ignored.
    pub filled_by_relation: bool,
    /// Columns of a sub-table, in display order.
    pub columns: Vec<Field>,
    pub(crate) vars: RuleVars,
}

/// An exact money bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// The limit.
    pub value: Decimal,
    /// Whether the limit itself is refused (`exclusiveMinimum`).
    pub exclusive: bool,
}

/// Variables read by each rule of a field, found when the form is compiled.
#[derive(Debug, Clone, Default)]
pub(crate) struct RuleVars {
    pub visible_when: BTreeSet<String>,
    pub required_when: BTreeSet<String>,
    pub readonly_when: BTreeSet<String>,
    pub default: BTreeSet<String>,
    pub compute: BTreeSet<String>,
}

impl Field {
    /// Builds a field from its schema property and UI def; errors are plain sentences.
    pub(crate) fn build(
        key: &str,
        property: &Value,
        required: bool,
        ui: Option<&FieldUiDef>,
        root: &Value,
    ) -> Result<Field, String> {
        let mut schema = resolve(property, root);
        let ui = ui.cloned().unwrap_or_default();
        let kind = kind::infer(&schema, ui.widget.as_deref())?;
        let widget = ui
            .widget
            .clone()
            .unwrap_or_else(|| kind.default_widget().to_owned());
        let label = if ui.label.0.values().any(|l| !l.is_empty()) {
            ui.label.clone()
        } else {
            Text([("zh-CN".to_owned(), key.to_owned())].into_iter().collect())
        };
        let (money_min, money_max) = if kind == FieldKind::Money {
            money_bounds(&schema)?
        } else {
            (None, None)
        };
        let mut columns = Vec::new();
        if kind == FieldKind::SubTable {
            let items = resolve(schema.get("items").unwrap_or(&Value::Null), root);
            if let Value::Object(map) = &mut schema {
                map.insert("items".to_owned(), items.clone());
            }
            let row_required: BTreeSet<&str> = items
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let props = items.get("properties").and_then(Value::as_object);
            for (col, prop) in props.into_iter().flatten() {
                let col_ui = ui.fields.get(col);
                let column =
                    Field::build(col, prop, row_required.contains(col.as_str()), col_ui, root)
                        .map_err(|e| format!("column `{col}`: {e}"))?;
                if column.kind == FieldKind::SubTable {
                    return Err(format!(
                        "column `{col}`: a sub-table cannot hold a sub-table"
                    ));
                }
                columns.push(column);
            }
            // The designer's column order; columns it does not name keep their place after.
            columns.sort_by_key(|c| {
                ui.order
                    .iter()
                    .position(|k| *k == c.key)
                    .unwrap_or(usize::MAX)
            });
        }
        let options = options(&kind, &schema, &ui);
        Ok(Field {
            key: key.to_owned(),
            label,
            kind,
            widget,
            required,
            ui,
            schema,
            options,
            money_min,
            money_max,
            filled_by_relation: false,
            columns,
            vars: RuleVars::default(),
        })
    }

    /// The column `key` of a sub-table.
    pub fn column(&self, key: &str) -> Option<&Field> {
        self.columns.iter().find(|c| c.key == key)
    }

    /// Whether the server sets the value and the client's is ignored or refused.
    pub fn is_server_set(&self) -> bool {
        self.ui.compute.is_some() || self.kind == FieldKind::AutoNumber || self.filled_by_relation
    }

    /// The label of an option value, if it is one.
    pub fn option_label(&self, value: &Value) -> Option<&Text> {
        self.options
            .iter()
            .find(|(v, _)| v == value || v.as_str().is_some_and(|s| Some(s) == value.as_str()))
            .map(|(_, label)| label)
    }
}

/// A property schema with a local `$ref` (`#/$defs/…`) merged in; its own keys win.
pub(crate) fn resolve(property: &Value, root: &Value) -> Value {
    let mut current = property.clone();
    // A chain of references longer than this is a loop or an abuse; stop following it.
    for _ in 0..8 {
        let Some(pointer) = current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
        else {
            break;
        };
        let Some(Value::Object(target)) = root.pointer(pointer) else {
            break;
        };
        let mut merged: Map<String, Value> = target.clone();
        if let Value::Object(own) = &current {
            for (k, v) in own {
                if k != "$ref" {
                    merged.insert(k.clone(), v.clone());
                }
            }
        }
        current = Value::Object(merged);
    }
    current
}

fn money_bounds(schema: &Value) -> Result<(Option<Bound>, Option<Bound>), String> {
    let read = |keyword: &str, exclusive: bool| -> Result<Option<Bound>, String> {
        schema
            .get(keyword)
            .map(|v| {
                money::bound(v)
                    .map(|value| Bound { value, exclusive })
                    .ok_or_else(|| format!("`{keyword}` must be a decimal such as \"0\""))
            })
            .transpose()
    };
    let min = match read(X_MINIMUM, false)? {
        Some(b) => Some(b),
        None => match read("exclusiveMinimum", true)? {
            Some(b) => Some(b),
            None => read("minimum", false)?,
        },
    };
    let max = match read(X_MAXIMUM, false)? {
        Some(b) => Some(b),
        None => match read("exclusiveMaximum", true)? {
            Some(b) => Some(b),
            None => read("maximum", false)?,
        },
    };
    Ok((min, max))
}

fn options(kind: &FieldKind, schema: &Value, ui: &FieldUiDef) -> Vec<(Value, Text)> {
    if !kind.has_options() {
        return Vec::new();
    }
    let source = if *kind == FieldKind::MultiSelect {
        schema.get("items").unwrap_or(&Value::Null)
    } else {
        schema
    };
    let label_of = |value: &Value| -> Text {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        ui.options
            .get(&text)
            .cloned()
            .unwrap_or_else(|| Text([("zh-CN".to_owned(), text)].into_iter().collect()))
    };
    match source.get("enum").and_then(Value::as_array) {
        Some(values) => values.iter().map(|v| (v.clone(), label_of(v))).collect(),
        None => ui
            .options
            .iter()
            .map(|(value, label)| (Value::String(value.clone()), label.clone()))
            .collect(),
    }
}

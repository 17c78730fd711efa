//! Expression scopes of a record and of a sub-table row, and running rules in them.
//!
//! The scope follows `formwork_model::expr`: every field is present (`null` when empty),
//! money is a number, `now`/`today`/`submitter` and the record's system fields come from the
//! [`SubmitContext`], and a row sees the record, its own columns and `row`.

use formwork_model::expr::{self, ROW, SYSTEM_FIELDS, money_number};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;

use crate::field::Field;
use crate::kind::FieldKind;
use crate::record::SubmitContext;

/// The system names of the scope; all `null` without a context.
pub(crate) fn system_scope(ctx: Option<&SubmitContext>) -> Map<String, Value> {
    let mut scope: Map<String, Value> = SYSTEM_FIELDS
        .iter()
        .map(|name| ((*name).to_owned(), Value::Null))
        .collect();
    let Some(ctx) = ctx else { return scope };
    let instant = |t: Option<time::OffsetDateTime>| {
        t.and_then(|t| t.format(&Rfc3339).ok())
            .map_or(Value::Null, Value::String)
    };
    let text = |t: &Option<String>| t.clone().map_or(Value::Null, Value::String);
    let meta = &ctx.record;
    scope.insert("id".into(), text(&meta.id));
    scope.insert("number".into(), text(&meta.number));
    scope.insert("owner".into(), text(&meta.owner));
    scope.insert("status".into(), text(&meta.status));
    scope.insert("created_at".into(), instant(meta.created_at));
    scope.insert("updated_at".into(), instant(meta.updated_at));
    scope.insert("submitter".into(), Value::String(ctx.submitter.clone()));
    scope.insert("now".into(), instant(Some(ctx.now)));
    scope.insert("today".into(), Value::String(ctx.today.to_string()));
    scope
}

/// The scope of a record whose data is `data`.
pub(crate) fn record_scope(
    fields: &[Field],
    data: &Map<String, Value>,
    system: &Map<String, Value>,
) -> Value {
    let mut scope = system.clone();
    for field in fields {
        scope.insert(field.key.clone(), scope_value(field, data.get(&field.key)));
    }
    Value::Object(scope)
}

/// The scope of one row of the sub-table `table` within `record`.
pub(crate) fn row_scope(record: &Value, table: &Field, row: &Value) -> Value {
    let mut scope = record.as_object().cloned().unwrap_or_default();
    for column in &table.columns {
        scope.insert(
            column.key.clone(),
            scope_value(column, row.get(&column.key)),
        );
    }
    scope.insert(ROW.to_owned(), row_value(&table.columns, row));
    Value::Object(scope)
}

/// A field's value as expressions see it.
pub(crate) fn scope_value(field: &Field, value: Option<&Value>) -> Value {
    match (&field.kind, value) {
        (_, None) => Value::Null,
        (FieldKind::Money, Some(v)) => money_number(v.clone()),
        (FieldKind::SubTable, Some(Value::Array(rows))) => Value::Array(
            rows.iter()
                .map(|row| row_value(&field.columns, row))
                .collect(),
        ),
        (_, Some(v)) => v.clone(),
    }
}

fn row_value(columns: &[Field], row: &Value) -> Value {
    let Value::Object(cells) = row else {
        return row.clone();
    };
    let mut cells = cells.clone();
    for column in columns.iter().filter(|c| c.kind == FieldKind::Money) {
        if let Some(cell) = cells.get_mut(&column.key) {
            *cell = money_number(cell.take());
        }
    }
    Value::Object(cells)
}

/// The truth of an optional rule: `absent` when there is none, `on_error` when it fails.
///
/// A rule that fails (e.g. arithmetic on an empty field) must not stop the person from
/// saving, so each caller picks the safe side: visible, not required, read-only.
pub(crate) fn flag(src: Option<&str>, scope: &Value, absent: bool, on_error: bool) -> bool {
    match src {
        None => absent,
        Some(src) => expr::eval_bool(src, scope).unwrap_or(on_error),
    }
}

/// The value of an expression, or `None` when it fails or gives `null`.
pub(crate) fn value(src: &str, scope: &Value) -> Option<Value> {
    expr::eval(src, scope).ok().filter(|v| !v.is_null())
}

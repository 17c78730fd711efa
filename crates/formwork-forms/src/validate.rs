//! Checks of one value beyond JSON Schema (exact money bounds, URL schemes, attachment limits),
//! and the translation of jsonschema errors into [`FieldError`]s with codes and labels.

use formwork_model::problem::escape_token;
use jsonschema::ValidationError;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use crate::attachment::{self, AttachmentRef};
use crate::compile::CompiledForm;
use crate::field::Field;
use crate::kind::{AttachmentRules, FieldKind};
use crate::messages::{self, At, FieldError, Params, human_size, text};
use crate::money;

/// Errors of one present value that JSON Schema cannot find.
pub(crate) fn value_errors(at: At<'_>, path: &str, value: &Value) -> Vec<FieldError> {
    match &at.field.kind {
        FieldKind::Money => money_errors(at, path, value),
        FieldKind::Url => url_errors(at, path, value),
        FieldKind::Attachments(rules) => attachment_errors(at, rules, path, value),
        _ => Vec::new(),
    }
}

/// Money beyond the field's bounds, compared exactly (JSON Schema would compare floats).
fn money_errors(at: At<'_>, path: &str, value: &Value) -> Vec<FieldError> {
    let field = at.field;
    let Some(amount) = value.as_str().and_then(money::parse_money) else {
        return Vec::new();
    };
    let (code, limit) = if let Some(min) = field.money_min
        && (amount < min.value || (min.exclusive && amount == min.value))
    {
        let code = if min.exclusive {
            "exclusive_minimum"
        } else {
            "minimum"
        };
        (code, min.value)
    } else if let Some(max) = field.money_max
        && (amount > max.value || (max.exclusive && amount == max.value))
    {
        let code = if max.exclusive {
            "exclusive_maximum"
        } else {
            "maximum"
        };
        (code, max.value)
    } else {
        return Vec::new();
    };
    let params = Params::limit(money::plain(limit));
    vec![messages::error(path.to_owned(), at, code, &params)]
}

/// A link that is not `http://` or `https://` with a host.
fn url_errors(at: At<'_>, path: &str, value: &Value) -> Vec<FieldError> {
    let Some(url) = value.as_str() else {
        return Vec::new();
    };
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    if rest.is_none_or(|host| host.is_empty() || host.starts_with('/')) {
        vec![messages::error(
            path.to_owned(),
            at,
            "format",
            &Params::default(),
        )]
    } else {
        Vec::new()
    }
}

/// Files that are incomplete, too large or of a type the field does not take.
fn attachment_errors(
    at: At<'_>,
    rules: &AttachmentRules,
    path: &str,
    value: &Value,
) -> Vec<FieldError> {
    let Value::Array(items) = value else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}/{i}");
        let Some(file) = AttachmentRef::from_value(item) else {
            errors.push(messages::error(
                item_path,
                at,
                "attachment",
                &Params::default(),
            ));
            continue;
        };
        if let Some(max) = rules.max_size
            && file.size > max
        {
            let params = Params {
                name: file.name.clone(),
                ..Params::limit(human_size(max))
            };
            errors.push(messages::error(item_path, at, "max_size", &params));
        } else if !attachment::accepts(rules, &file) {
            let params = Params {
                limit_zh: rules.accept.join("、"),
                limit_en: rules.accept.join(", "),
                name: file.name.clone(),
            };
            errors.push(messages::error(item_path, at, "accept", &params));
        }
    }
    errors
}

/// A jsonschema error as a [`FieldError`] on the field it concerns.
pub(crate) fn schema_error(form: &CompiledForm, error: &ValidationError<'_>) -> FieldError {
    let mut path = error.instance_path().as_str().to_owned();
    let (code, params): (&str, Params) = match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_owned);
            path = format!("{path}/{}", escape_token(&name));
            ("required", Params::default())
        }
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            let name = unexpected.first().cloned().unwrap_or_default();
            let at = format!("{path}/{}", escape_token(&name));
            return messages::unknown_field(at, &name);
        }
        ValidationErrorKind::Type { .. } => ("type", Params::default()),
        ValidationErrorKind::Minimum { limit } => ("minimum", Params::limit(limit.to_string())),
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            ("exclusive_minimum", Params::limit(limit.to_string()))
        }
        ValidationErrorKind::Maximum { limit } => ("maximum", Params::limit(limit.to_string())),
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            ("exclusive_maximum", Params::limit(limit.to_string()))
        }
        ValidationErrorKind::MinLength { limit } => {
            ("min_length", Params::limit(limit.to_string()))
        }
        ValidationErrorKind::MaxLength { limit } => {
            ("max_length", Params::limit(limit.to_string()))
        }
        ValidationErrorKind::MinItems { limit } => ("min_items", Params::limit(limit.to_string())),
        ValidationErrorKind::MaxItems { limit } => ("max_items", Params::limit(limit.to_string())),
        ValidationErrorKind::UniqueItems => ("unique_items", Params::default()),
        ValidationErrorKind::MultipleOf { multiple_of } => {
            ("multiple_of", Params::limit(multiple_of.to_string()))
        }
        ValidationErrorKind::Pattern { .. } => ("pattern", Params::default()),
        ValidationErrorKind::Format { .. } => ("format", Params::default()),
        ValidationErrorKind::Enum { .. } => ("enum", Params::default()),
        ValidationErrorKind::Constant { .. } => ("const", Params::default()),
        _ => ("invalid", Params::default()),
    };
    match locate(form, &path) {
        Some((at, deep)) => {
            let code = match (&at.field.kind, deep) {
                (FieldKind::Attachments(_), true) => "attachment",
                _ => code,
            };
            messages::error(path, at, code, &params)
        }
        None => FieldError {
            path,
            code: "invalid".to_owned(),
            message: text(
                "提交的内容不符合表单要求，请检查后重试".to_owned(),
                "The submission does not meet the form's requirements; check it and try again"
                    .to_owned(),
            ),
        },
    }
}

/// The field (and row) a JSON pointer points into, and whether it points below that field.
pub(crate) fn locate<'a>(form: &'a CompiledForm, path: &str) -> Option<(At<'a>, bool)> {
    let segments = segments(path);
    let field = form.field(segments.first()?)?;
    if field.kind == FieldKind::SubTable
        && let (Some(row), Some(column)) = (segments.get(1), segments.get(2))
        && let Ok(row) = row.parse::<usize>()
        && let Some(column) = field.column(column)
    {
        let at = At {
            field: column,
            row: Some((field, row)),
        };
        return Some((at, segments.len() > 3));
    }
    let at = At { field, row: None };
    Some((at, segments.len() > 1))
}

/// Where a path sorts in the form: field order, then row, then column order.
pub(crate) fn position(form: &CompiledForm, path: &str) -> (usize, usize, usize) {
    let segments = segments(path);
    let Some(first) = segments.first() else {
        return (0, 0, 0);
    };
    let Some(index) = form.field_index(first) else {
        return (usize::MAX, 0, 0);
    };
    let row = segments
        .get(1)
        .and_then(|r| r.parse::<usize>().ok())
        .unwrap_or(0);
    let column = segments.get(2).map_or(0, |c| {
        column_index(&form.fields[index], c).unwrap_or(usize::MAX)
    });
    (index, row, column)
}

fn column_index(table: &Field, key: &str) -> Option<usize> {
    table
        .columns
        .iter()
        .position(|c| c.key == key)
        .map(|i| i + 1)
}

fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

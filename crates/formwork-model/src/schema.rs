//! JSON Schema plumbing: the embedded package schema, compiled once, the one set of options
//! every analyst-authored schema is compiled with, and readable zh-CN/en problems from
//! jsonschema errors.

use std::sync::LazyLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{PatternOptions, ValidationError, ValidationOptions, Validator};
use serde_json::Value;

use crate::problem::{Fault, Problem, escape_token};

/// The JSON Schema (draft 2020-12) of an app package, as shipped in `schemas/`.
pub const APP_PACKAGE_SCHEMA: &str = include_str!("../../../schemas/app-package.schema.json");

static PACKAGE_VALIDATOR: LazyLock<Result<Validator, String>> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(APP_PACKAGE_SCHEMA).map_err(|e| e.to_string())?;
    options().build(&schema).map_err(|e| e.to_string())
});

/// Options for every schema Formwork compiles: draft 2020-12, formats checked, no network or
/// file access for `$ref`, and linear-time regexes for `pattern`.
pub fn options() -> ValidationOptions<'static> {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .offline()
        .with_pattern_options(PatternOptions::regex())
}

/// Compiles an analyst-authored schema (e.g. a form's) with [`options`].
pub fn compile(schema: &Value) -> Result<Validator, ValidationError<'static>> {
    options().build(schema)
}

/// The compiled package schema; the error text only if the embedded schema itself is broken.
pub(crate) fn package_validator() -> Result<&'static Validator, &'static str> {
    PACKAGE_VALIDATOR.as_ref().map_err(String::as_str)
}

/// Readable problems for one jsonschema error, pointing at the instance location.
pub fn describe_error(error: &ValidationError<'_>) -> Vec<Problem> {
    describe_kind(error.kind(), error.instance_path().as_str(), error)
}

fn describe_kind(
    kind: &ValidationErrorKind,
    at: &str,
    error: &ValidationError<'_>,
) -> Vec<Problem> {
    let fault =
        match kind {
            ValidationErrorKind::Required { property } => Fault::MissingProperty {
                name: plain(property),
            },
            ValidationErrorKind::AdditionalProperties { unexpected }
            | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
                return unexpected
                    .iter()
                    .map(|name| {
                        Fault::UnknownProperty { name: name.clone() }
                            .at(format!("{at}/{}", escape_token(name)))
                    })
                    .collect();
            }
            ValidationErrorKind::FalseSchema => Fault::UnknownProperty {
                name: at.rsplit('/').next().unwrap_or_default().to_owned(),
            },
            ValidationErrorKind::Type { kind } => Fault::WrongType {
                expected: match kind {
                    jsonschema::error::TypeKind::Single(t) => t.to_string(),
                    jsonschema::error::TypeKind::Multiple(set) => set
                        .iter()
                        .map(|t| t.to_string())
                        .collect::<Vec<_>>()
                        .join(" / "),
                },
            },
            ValidationErrorKind::Enum { options } => Fault::BadEnumValue {
                allowed: match options.as_ref() {
                    Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
                    other => plain(other),
                },
            },
            ValidationErrorKind::Constant { expected_value } => Fault::BadEnumValue {
                allowed: plain(expected_value),
            },
            ValidationErrorKind::Pattern { pattern } => Fault::BadPattern {
                pattern: pattern.clone(),
            },
            ValidationErrorKind::MinLength { limit } => Fault::TooShort {
                limit: limit.to_string(),
            },
            ValidationErrorKind::MaxLength { limit } => Fault::TooLong {
                limit: limit.to_string(),
            },
            ValidationErrorKind::Minimum { limit }
            | ValidationErrorKind::ExclusiveMinimum { limit } => Fault::TooSmall {
                limit: limit.to_string(),
            },
            ValidationErrorKind::Maximum { limit }
            | ValidationErrorKind::ExclusiveMaximum { limit } => Fault::TooLarge {
                limit: limit.to_string(),
            },
            ValidationErrorKind::MinItems { limit }
            | ValidationErrorKind::MinProperties { limit } => Fault::TooFewItems {
                limit: limit.to_string(),
            },
            ValidationErrorKind::MaxItems { limit }
            | ValidationErrorKind::MaxProperties { limit } => Fault::TooManyItems {
                limit: limit.to_string(),
            },
            ValidationErrorKind::UniqueItems => Fault::DuplicateItems,
            ValidationErrorKind::Format { format } => Fault::BadFormat {
                format: format.clone(),
            },
            ValidationErrorKind::PropertyNames { error: inner } => {
                let name = plain(inner.instance());
                let at = format!("{at}/{}", escape_token(&name));
                return describe_kind(inner.kind(), &at, inner);
            }
            _ => Fault::SchemaViolation {
                detail: error.to_string(),
            },
        };
    vec![fault.at(at)]
}

/// A JSON value as a person reads it: strings without quotes.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

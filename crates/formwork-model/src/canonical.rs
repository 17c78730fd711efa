//! The canonical text of a JSON document: object keys sorted at every level, two-space
//! indentation, non-ASCII text left literal, and a final newline.
//!
//! Keys are sorted here rather than trusting `serde_json::Map`, whose order follows insertion
//! as soon as any crate in the build turns on `preserve_order`. Exports use this text, so
//! export → import → export is byte-identical and diffs of packages stay small.

use std::fmt::Write as _;

use serde_json::Value;

use crate::def::AppDef;

/// The canonical text of `value`.
pub fn canonical_string(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out.push('\n');
    out
}

/// The canonical export of a package.
pub fn export_package(app: &AppDef) -> Result<String, serde_json::Error> {
    serde_json::to_value(app).map(|v| canonical_string(&v))
}

fn write_value(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Array(items) if !items.is_empty() => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_value(out, item, depth + 1);
            }
            newline(out, depth);
            out.push(']');
        }
        Value::Object(map) if !map.is_empty() => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_scalar(out, &Value::String(key.clone()));
                out.push_str(": ");
                write_value(out, item, depth + 1);
            }
            newline(out, depth);
            out.push('}');
        }
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
        scalar => write_scalar(out, scalar),
    }
}

fn write_scalar(out: &mut String, value: &Value) {
    // Display of a scalar `Value` is its compact JSON: strings escaped minimally, UTF-8 kept.
    let _ = write!(out, "{value}");
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

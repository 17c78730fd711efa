//! The OpenAPI document compiled into checks: for each operation, a validator per parameter
//! and one for the JSON body, built from the very document the server publishes, so a limit
//! written there is a limit the server keeps (and no other).

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::http::Method;
use formwork_model::Problem;
use formwork_model::schema::{describe_error, options};
use jsonschema::Validator;
use serde_json::Value;

use super::document::NO_NUL;

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
}

/// How a parameter's text becomes the JSON value its schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Text,
    Integer,
    Number,
    Boolean,
    /// Repeated `key=value` pairs, each of the inner shape.
    List(Scalar),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scalar {
    Text,
    Integer,
    Number,
    Boolean,
}

pub struct Param {
    pub name: String,
    pub location: Location,
    shape: Shape,
    validator: Option<Validator>,
}

/// What one operation accepts.
pub struct Operation {
    pub params: Vec<Param>,
    /// Media types of the request body, lower case; empty when the operation takes none.
    pub media: Vec<String>,
    /// The JSON body's validator, unless the schema allows any object (then checking it
    /// would cost a parse for nothing).
    pub body: Option<Validator>,
}

/// Every operation of the document, by method and path template (`/api/v1/records/{id}`).
pub struct Contract {
    ops: HashMap<(Method, String), Operation>,
}

static CONTRACT: LazyLock<Contract> = LazyLock::new(|| Contract::build(&crate::openapi_json()));

impl Contract {
    /// The contract of the server's own document.
    pub fn get() -> &'static Contract {
        &CONTRACT
    }

    pub fn operation(&self, method: &Method, template: &str) -> Option<&Operation> {
        self.ops.get(&(method.clone(), template.to_owned()))
    }

    pub fn build(doc: &Value) -> Contract {
        let components = doc.get("components").cloned().unwrap_or(Value::Null);
        let mut ops = HashMap::new();
        let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
            return Contract { ops };
        };
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                let Ok(method) = method.to_ascii_uppercase().parse::<Method>() else {
                    continue;
                };
                ops.insert((method, path.clone()), operation(op, &components));
            }
        }
        Contract { ops }
    }
}

fn operation(op: &Value, components: &Value) -> Operation {
    let params = op["parameters"]
        .as_array()
        .map(|ps| ps.iter().filter_map(|p| param(p, components)).collect())
        .unwrap_or_default();
    let content = op
        .pointer("/requestBody/content")
        .and_then(Value::as_object);
    let media = content
        .map(|c| c.keys().map(|k| k.to_ascii_lowercase()).collect())
        .unwrap_or_default();
    let body = content
        .and_then(|c| c.get("application/json"))
        .and_then(|m| m.get("schema"))
        .filter(|s| !is_any_object(s))
        .and_then(|s| compile(s, components));
    Operation {
        params,
        media,
        body,
    }
}

fn param(p: &Value, components: &Value) -> Option<Param> {
    let location = match p["in"].as_str()? {
        "path" => Location::Path,
        "query" => Location::Query,
        "header" => Location::Header,
        _ => return None,
    };
    let schema = p.get("schema")?;
    let shape = match type_of(schema) {
        "array" => Shape::List(scalar(type_of(&schema["items"]))),
        t => match scalar(t) {
            Scalar::Text => Shape::Text,
            Scalar::Integer => Shape::Integer,
            Scalar::Number => Shape::Number,
            Scalar::Boolean => Shape::Boolean,
        },
    };
    Some(Param {
        name: p["name"].as_str()?.to_owned(),
        location,
        shape,
        validator: compile(schema, components),
    })
}

/// The first non-null type a schema names.
fn type_of(schema: &Value) -> &str {
    match &schema["type"] {
        Value::String(t) => t,
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string"),
        _ => "string",
    }
}

fn scalar(t: &str) -> Scalar {
    match t {
        "integer" => Scalar::Integer,
        "number" => Scalar::Number,
        "boolean" => Scalar::Boolean,
        _ => Scalar::Text,
    }
}

/// `{"type": "object"}` and nothing more: any object passes.
fn is_any_object(schema: &Value) -> bool {
    schema.as_object().is_some_and(|o| {
        o.keys().all(|k| k == "type" || k == "description") && type_of(schema) == "object"
    })
}

/// A validator of `schema`, with the document's components its `$ref`s reach in reach.
fn compile(schema: &Value, components: &Value) -> Option<Validator> {
    let mut root = match schema {
        Value::Object(o) => o.clone(),
        _ => return None,
    };
    if let Some(reached) = reached_components(schema, components) {
        root.insert("components".to_owned(), reached);
    }
    let mut root = Value::Object(root);
    without_nul_patterns(&mut root);
    match options().build(&root) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::error!(error = %e, "a schema of the OpenAPI document does not compile");
            None
        }
    }
}

/// Drops the document's no-U+0000 `pattern` from a schema about to be compiled. The guard's
/// byte scans refuse U+0000 in the address and the JSON body before any validator runs (and
/// header values cannot carry it), so this pattern never refused anything here; compiled, it
/// was a regex per string field of every operation, 1.7 MB of the server's memory.
fn without_nul_patterns(schema: &mut Value) {
    match schema {
        Value::Object(o) => {
            if o.get("pattern").and_then(Value::as_str) == Some(NO_NUL) {
                o.remove("pattern");
            }
            o.values_mut().for_each(without_nul_patterns);
        }
        Value::Array(items) => items.iter_mut().for_each(without_nul_patterns),
        _ => {}
    }
}

/// The components `schema` reaches through its `$ref`s, transitively, in the document's
/// layout; `None` when it refers to none. A validator keeps its whole root: with the entire
/// `components` in each of the contract's several hundred, the contract took ~70 MB.
fn reached_components(schema: &Value, components: &Value) -> Option<Value> {
    let mut reached = serde_json::Map::new();
    let mut pending = vec![schema];
    let mut refs = Vec::new();
    while let Some(value) = pending.pop() {
        refs_in(value, &mut refs);
        for pointer in refs.drain(..) {
            // `/schemas/Name…`, in JSON Pointer segments: the whole named entry goes along.
            let mut segments = pointer.split('/').skip(1);
            let (Some(section), Some(name)) = (segments.next(), segments.next()) else {
                continue;
            };
            let entry = format!("/{section}/{name}");
            let (section, name) = (unescape(section), unescape(name));
            let entries = reached
                .entry(section)
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
            let Some(entries) = entries.as_object_mut() else {
                continue;
            };
            if entries.contains_key(&name) {
                continue;
            }
            if let Some(target) = components.pointer(&entry) {
                entries.insert(name, target.clone());
                pending.push(target);
            }
        }
    }
    (!reached.is_empty()).then_some(Value::Object(reached))
}

/// The parts after `#/components` of every `$ref` within `value`.
fn refs_in<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::Object(o) => {
            for (key, v) in o {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        if let Some(rest) = r.strip_prefix("#/components") {
                            out.push(rest);
                        }
                    }
                    _ => refs_in(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs_in(v, out)),
        _ => {}
    }
}

/// A JSON Pointer segment as the key it names.
fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

impl Param {
    /// Checks the values a request gave this parameter: a list as one array, anything else
    /// value by value (a handler may read the first of repeated values, or the last).
    pub fn check(&self, values: &[&str]) -> Result<(), Vec<Problem>> {
        let pointer = format!("/{}", self.name);
        let scalar = match self.shape {
            Shape::List(item) => {
                let Some(items) = values.iter().map(|v| convert(item, v)).collect() else {
                    return Err(vec![wrong_type(&pointer, self.shape)]);
                };
                return check(self.validator.as_ref(), &Value::Array(items), &pointer);
            }
            Shape::Text => Scalar::Text,
            Shape::Integer => Scalar::Integer,
            Shape::Number => Scalar::Number,
            Shape::Boolean => Scalar::Boolean,
        };
        for v in values {
            let Some(value) = convert(scalar, v) else {
                return Err(vec![wrong_type(&pointer, self.shape)]);
            };
            check(self.validator.as_ref(), &value, &pointer)?;
        }
        Ok(())
    }
}

/// Checks a JSON body against the operation's schema.
pub fn check_body(validator: &Validator, body: &Value) -> Result<(), Vec<Problem>> {
    check(Some(validator), body, "")
}

fn check(validator: Option<&Validator>, value: &Value, prefix: &str) -> Result<(), Vec<Problem>> {
    let Some(validator) = validator else {
        return Ok(());
    };
    let problems: Vec<Problem> = validator
        .iter_errors(value)
        .flat_map(|e| describe_error(&e))
        .map(|p| p.under(prefix))
        .take(20)
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn convert(shape: Scalar, text: &str) -> Option<Value> {
    match shape {
        Scalar::Text => Some(Value::String(text.to_owned())),
        Scalar::Integer => text.parse::<i64>().ok().map(Value::from),
        Scalar::Number => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
        Scalar::Boolean => match text {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
    }
}

fn wrong_type(pointer: &str, shape: Shape) -> Problem {
    let (zh, en) = match shape {
        Shape::Integer | Shape::List(Scalar::Integer) => ("须为整数", "must be a whole number"),
        Shape::Number | Shape::List(Scalar::Number) => ("须为数字", "must be a number"),
        Shape::Boolean | Shape::List(Scalar::Boolean) => {
            ("须为 true 或 false", "must be true or false")
        }
        _ => ("格式不正确", "is not in the expected form"),
    };
    let name = pointer.trim_start_matches('/');
    Problem::new(
        pointer,
        "wrong_type",
        (format!("{name} {zh}"), format!("{name} {en}")),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn components() -> Value {
        json!({"schemas": {
            "Body": {"type": "object", "properties": {"line": {"$ref": "#/components/schemas/Line"}}},
            "Line": {"type": "object", "required": ["qty"],
                     "properties": {"qty": {"type": "integer"}, "next": {"$ref": "#/components/schemas/Line"}}},
            "Unused": {"type": "string"}
        }})
    }

    #[test]
    fn a_validator_carries_only_the_components_its_refs_reach() {
        let body = json!({"$ref": "#/components/schemas/Body"});
        let reached = reached_components(&body, &components()).unwrap();
        let mut names: Vec<_> = reached["schemas"].as_object().unwrap().keys().collect();
        names.sort();
        assert_eq!(names, ["Body", "Line"]);
        assert_eq!(
            reached_components(&json!({"type": "string"}), &components()),
            None
        );
    }

    #[test]
    fn a_body_is_still_checked_through_its_refs() {
        let body = json!({"$ref": "#/components/schemas/Body"});
        let validator = compile(&body, &components()).unwrap();
        assert!(check_body(&validator, &json!({"line": {"qty": 1, "next": {"qty": 2}}})).is_ok());
        let problems =
            check_body(&validator, &json!({"line": {"qty": 1, "next": {}}})).unwrap_err();
        assert!(!problems.is_empty());
    }

    #[test]
    fn the_no_nul_pattern_is_left_to_the_scans_and_other_limits_stay() {
        let schemas =
            json!({"schemas": {"Name": {"type": "string", "pattern": NO_NUL, "maxLength": 3}}});
        let body = json!({"type": "object", "properties": {
            "name": {"$ref": "#/components/schemas/Name"},
            "code": {"type": "string", "pattern": "^[a-z]+$"}
        }});
        let validator = compile(&body, &schemas).unwrap();
        assert!(check_body(&validator, &json!({"name": "a\u{0}", "code": "ab"})).is_ok());
        assert!(check_body(&validator, &json!({"name": "abcd"})).is_err());
        assert!(check_body(&validator, &json!({"code": "AB"})).is_err());
        assert_eq!(
            super::super::scan::json_fault(br#"{"name": "a\u0000"}"#),
            Some(super::super::scan::JsonFault::Nul)
        );
    }
}

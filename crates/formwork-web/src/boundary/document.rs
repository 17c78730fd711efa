//! The limits of the boundary, written into the OpenAPI document so that the document and
//! the server agree by construction: the server validates every request against this same
//! document (see [`super::contract`]).
//!
//! Handlers declare what is particular to them (a `limit`'s bounds, a status only they
//! answer); this module adds what holds for every operation, in one place:
//! - every string (parameter or body field) refuses U+0000 by `pattern` and has a `maxLength`;
//! - path parameters that are ids have their id format (`{app}`, `{form}`, record ids …);
//! - every status the boundary itself can answer is listed on each operation.

use serde_json::{Map, Value, json};

/// No U+0000: PostgreSQL cannot store it in text or JSONB, so no string may carry it.
pub const NO_NUL: &str = "^[^\\u0000]*$";
/// Ids Formwork makes: UUID v7, lower-case, hyphenated.
pub const UUID_V7: &str = "^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$";
/// Ids an analyst chooses (apps, forms, hooks …).
pub const IDENT: &str = "^[a-z][a-z0-9_-]{0,63}$";

/// Longest path parameter that is no id of a known format.
pub const MAX_PATH_PARAM: u64 = 64;
/// Longest query or header parameter, unless its operation says otherwise.
pub const MAX_PARAM: u64 = 200;
/// Longest string in a JSON body field, unless its schema says otherwise.
pub const MAX_BODY_STRING: u64 = 10_000;

/// Path prefixes whose `{id}` is a UUID v7 made by Formwork.
const UUID_ID_PREFIXES: &[&str] = &[
    "/api/v1/records/",
    "/api/v1/tasks/",
    "/api/v1/instances/",
    "/api/v1/files/",
    "/api/v1/tokens/",
    "/api/v1/drafts/",
    "/api/v1/departments/",
    // Only `/users/{username}/tokens/{id}` has an `{id}` under `/users/`: a token id.
    "/api/v1/users/",
];

/// The document with the boundary's limits and statuses in it.
pub fn harden(mut doc: Value) -> Value {
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, op) in item.iter_mut() {
                if let Some(op) = op.as_object_mut() {
                    harden_operation(path, method, op);
                }
            }
        }
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for schema in schemas.values_mut() {
            limit_strings(schema, MAX_BODY_STRING);
        }
    }
    doc
}

fn harden_operation(path: &str, method: &str, op: &mut Map<String, Value>) {
    let mut has_path_params = false;
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for param in params.iter_mut() {
            let name = param["name"].as_str().unwrap_or_default().to_owned();
            let location = param["in"].as_str().unwrap_or_default().to_owned();
            let Some(schema) = param.get_mut("schema") else {
                continue;
            };
            if location == "path" {
                has_path_params = true;
                if let Some(pattern) = id_pattern(path, &name) {
                    set_if_absent(schema, "pattern", json!(pattern));
                }
                limit_strings(schema, MAX_PATH_PARAM);
            } else {
                if let Some((_, _, words)) = QUERY_WORDS
                    .iter()
                    .find(|(p, n, _)| *p == path && *n == name)
                {
                    set_if_absent(schema, "enum", json!(words));
                } else if let Some(pattern) = id_pattern(path, &name) {
                    set_if_absent(schema, "pattern", json!(pattern));
                }
                limit_strings(schema, MAX_PARAM);
            }
        }
    }
    let mut body_kinds = Vec::new();
    if let Some(content) = op
        .get_mut("requestBody")
        .and_then(|b| b.get_mut("content"))
        .and_then(Value::as_object_mut)
    {
        for (media, item) in content.iter_mut() {
            body_kinds.push(media.clone());
            if let Some(schema) = item.get_mut("schema") {
                limit_strings(schema, MAX_BODY_STRING);
            }
        }
    }
    let writes = matches!(method, "post" | "put" | "patch" | "delete");
    let login = path == "/api/v1/session" && method == "post";
    let mut statuses = vec![(
        "400",
        "Malformed: U+0000, a value too long, an id or cursor of the wrong form",
    )];
    if !login {
        statuses.push(("401", "Not signed in"));
    }
    statuses.push((
        "403",
        "Not allowed, or a request a browser could forge cross-site",
    ));
    if has_path_params {
        statuses.push(("404", "Not found (or not visible to the caller)"));
    }
    if writes {
        statuses.push(("413", "The body is too large"));
        statuses.push(("415", "The body is not of a type the operation takes"));
    }
    if body_kinds.iter().any(|m| m == "application/json") {
        statuses.push(("422", "The body does not match its schema"));
    }
    let responses = op
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    if let Some(responses) = responses {
        for (status, description) in statuses {
            responses.entry(status).or_insert_with(|| {
                json!({
                    "description": description,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
                })
            });
        }
    }
}

/// Query parameters that take one of a few words: (path, name, words).
const QUERY_WORDS: &[(&str, &str, &[&str])] = &[
    (
        "/api/v1/instances",
        "status",
        &["running", "stopped", "overdue"],
    ),
    (
        "/api/v1/jobs",
        "state",
        &["pending", "running", "retrying", "done", "dead"],
    ),
    ("/api/v1/tasks", "box", &["todo", "done", "submitted", "cc"]),
];

/// The id format of a parameter, where its name and path say which id it is.
fn id_pattern(path: &str, name: &str) -> Option<&'static str> {
    match name {
        "app" | "form" | "hook" | "process" => Some(IDENT),
        "file" => Some(UUID_V7),
        "id" if UUID_ID_PREFIXES.iter().any(|p| path.starts_with(p)) => Some(UUID_V7),
        _ => None,
    }
}

fn set_if_absent(schema: &mut Value, key: &str, value: Value) {
    if let Some(obj) = schema.as_object_mut() {
        obj.entry(key).or_insert(value);
    }
}

/// Whether a schema is (possibly nullable) `string`.
fn is_string(schema: &Map<String, Value>) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    }
}

/// Gives every free string under `schema` the no-U+0000 pattern and a length limit.
fn limit_strings(schema: &mut Value, max_len: u64) {
    match schema {
        Value::Object(obj) => {
            let free = !obj.contains_key("enum") && !obj.contains_key("const");
            if is_string(obj) && free {
                obj.entry("pattern").or_insert(json!(NO_NUL));
                obj.entry("maxLength").or_insert(json!(max_len));
            }
            for (key, child) in obj.iter_mut() {
                // Examples and defaults are values, not schemas.
                if !matches!(
                    key.as_str(),
                    "example" | "examples" | "default" | "enum" | "const"
                ) {
                    limit_strings(child, max_len);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|s| limit_strings(s, max_len)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_get_the_no_nul_pattern_and_a_length_but_keep_their_own() {
        let mut s = json!({"type": "object", "properties": {
            "a": {"type": "string"},
            "b": {"type": ["string", "null"], "maxLength": 5, "pattern": "^x$"},
            "c": {"type": "string", "enum": ["x"]},
            "d": {"type": "array", "items": {"type": "string"}}
        }});
        limit_strings(&mut s, 7);
        assert_eq!(s["properties"]["a"]["pattern"], NO_NUL);
        assert_eq!(s["properties"]["a"]["maxLength"], 7);
        assert_eq!(s["properties"]["b"]["maxLength"], 5);
        assert_eq!(s["properties"]["b"]["pattern"], "^x$");
        assert!(s["properties"]["c"].get("pattern").is_none());
        assert_eq!(s["properties"]["d"]["items"]["maxLength"], 7);
    }

    #[test]
    fn ids_in_paths_get_their_format() {
        assert_eq!(id_pattern("/api/v1/records/{id}", "id"), Some(UUID_V7));
        assert_eq!(id_pattern("/api/v1/apps/{app}/draft", "app"), Some(IDENT));
        assert_eq!(id_pattern("/api/v1/jobs/{id}", "id"), None);
    }
}

//! The one contract and hostile-input suite: it walks the OpenAPI document the server
//! publishes and, on SQLite and PostgreSQL,
//! - sends generated hostile strings in every path parameter, query parameter and JSON body
//!   field of every operation, and fails on any 5xx;
//! - fails on any status an operation answers that its document does not list;
//! - checks the document and the server agree: a value that breaks a parameter's schema is
//!   refused (400), and one its schema allows is never refused as malformed (400/422),
//!   except for the parameters listed in [`SEMANTIC`], whose validity depends on data.
//!
//! Strings come from a fixed list of known troublemakers plus a deterministic proptest run
//! (a modest number of cases, so the suite stays quick on two cores).

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use crate::common::{Client, TestApp, apps, sample_package};

/// Query parameters whose validity depends on data no schema can know: a filter names a
/// field of the form, a sort a column, a cursor a page the server made, a job state the
/// states of the queue, an assignee a user who exists.
const SEMANTIC: &[&str] = &["filter", "sort", "after", "before", "assignee"];

const UUID: &str = "0193a000-0000-7000-8000-000000000001";

/// Known troublemakers: U+0000, lengths just over every limit, path tricks, SQL, odd Unicode.
fn fixed_hostiles() -> Vec<String> {
    let mut out: Vec<String> = [
        "\u{0}",
        "a\u{0}b",
        "",
        " ",
        "%",
        "%00",
        "../../etc/passwd",
        "' OR '1'='1' --",
        "\"; DROP TABLE records; --",
        "\\u0000",
        "😀\u{202e}\u{feff}",
        "\u{ffff}\u{10ffff}",
        "-1",
        "99999999999999999999999",
        "1e309",
        "null",
        "{}",
        "[]",
        "a:b:c:d",
        "name:in:|||",
        "{{7*7}}",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    for len in [65, 201, 1025, 10_001] {
        out.push("长".repeat(len));
    }
    out
}

/// Deterministic generated strings, a third of them with U+0000 put in.
fn generated_hostiles(cases: usize) -> Vec<String> {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let strategy = (
        proptest::string::string_regex("(?s).{0,24}").unwrap(),
        0usize..3,
    );
    (0..cases)
        .map(|_| {
            let (s, k) = strategy.new_tree(&mut runner).unwrap().current();
            if k == 0 { format!("{s}\u{0}") } else { s }
        })
        .collect()
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One operation of the document.
struct Op {
    method: Method,
    path: String,
    def: Value,
}

fn operations(doc: &Value) -> Vec<Op> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, def) in item.as_object().unwrap() {
            out.push(Op {
                method: method.to_uppercase().parse().unwrap(),
                path: path.clone(),
                def: def.clone(),
            });
        }
    }
    out
}

fn params(op: &Op) -> Vec<Value> {
    op.def["parameters"].as_array().cloned().unwrap_or_default()
}

/// A value for a parameter that is not under test: valid, and naming what exists.
fn base_value(param: &Value) -> String {
    match param["name"].as_str().unwrap() {
        "app" => return "project-registration".into(),
        "form" => return "project".into(),
        "username" => return "sales2".into(),
        "year" => return "2026".into(),
        _ => {}
    }
    let schema = &param["schema"];
    if schema["pattern"]
        .as_str()
        .is_some_and(|p| p.contains("[89ab]"))
    {
        return UUID.into();
    }
    match schema["type"].as_str() {
        Some("integer") | Some("number") => {
            schema["minimum"].as_i64().unwrap_or(1).max(1).to_string()
        }
        _ => "x".into(),
    }
}

/// A request under test: the operation with some parameters set.
struct Call<'a> {
    op: &'a Op,
    set: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl Call<'_> {
    fn url(&self) -> String {
        let value = |p: &Value| {
            let name = p["name"].as_str().unwrap();
            self.set
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| base_value(p))
        };
        let mut url = self.op.path.clone();
        let mut query = Vec::new();
        for p in params(self.op) {
            let name = p["name"].as_str().unwrap();
            match p["in"].as_str().unwrap() {
                "path" => url = url.replace(&format!("{{{name}}}"), &encode(&value(&p))),
                "query" if self.set.iter().any(|(k, _)| k == name) => {
                    query.push(format!("{name}={}", encode(&value(&p))));
                }
                // A required parameter not under test carries its documented example.
                "query" if p["required"] == true => {
                    if let Some(example) = p["example"].as_str() {
                        query.push(format!("{name}={}", encode(example)));
                    }
                }
                _ => {}
            }
        }
        if !query.is_empty() {
            url = format!("{url}?{}", query.join("&"));
        }
        url
    }

    /// The status of the call; a URI longer than HTTP itself allows is never sent.
    async fn send(&self, c: &mut Client) -> StatusCode {
        let mut url = self.url();
        if url.len() > 60_000 {
            url.truncate(60_000);
        }
        let headers: Vec<(String, String)> = params(self.op)
            .iter()
            .filter(|p| p["in"] == "header")
            .filter_map(|p| {
                let name = p["name"].as_str().unwrap();
                let v = self.set.iter().find(|(k, _)| k == name)?;
                axum::http::HeaderValue::from_str(&v.1).ok()?;
                Some((name.to_owned(), v.1.clone()))
            })
            .collect();
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        c.send(self.op.method.clone(), &url, self.body.clone(), &headers)
            .await
            .status
    }
}

/// What went wrong, collected over the whole walk so one run shows everything.
#[derive(Default)]
struct Findings {
    server_errors: BTreeSet<String>,
    undocumented: BTreeSet<String>,
    disagreements: BTreeSet<String>,
}

impl Findings {
    fn saw(&mut self, op: &Op, what: &str, status: StatusCode) {
        let at = format!("{} {}", op.method, op.path);
        if status.is_server_error() {
            self.server_errors.insert(format!("{at} {what} → {status}"));
        }
        if op.def["responses"].get(status.as_str()).is_none() {
            self.undocumented.insert(format!("{at} → {status}"));
        }
    }

    fn assert_clean(&self, backend: &str) {
        assert!(
            self.server_errors.is_empty()
                && self.undocumented.is_empty()
                && self.disagreements.is_empty(),
            "{backend}:\n5xx:\n{}\nundocumented statuses:\n{}\ndocument and server disagree:\n{}",
            lines(&self.server_errors),
            lines(&self.undocumented),
            lines(&self.disagreements)
        );
    }
}

fn lines(set: &BTreeSet<String>) -> String {
    set.iter().map(|l| format!("  {l}\n")).collect()
}

async fn ensure_signed_in(app: &TestApp, c: &mut Client) {
    if c.get("/api/v1/me").await.status != StatusCode::OK {
        *c = app.signed_in("admin").await;
    }
}

async fn prepare(app: &TestApp) {
    let mut package = sample_package();
    package["dashboards"] = json!([]);
    let mut analyst = app.signed_in("analyst").await;
    assert_eq!(
        analyst.post("/api/v1/apps", &package).await.status,
        StatusCode::CREATED
    );
    let res = analyst
        .post("/api/v1/apps/project-registration/publish", &json!({}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
}

#[tokio::test]
async fn hostile_strings_in_every_parameter_and_body_field_never_give_a_5xx() {
    let doc = serde_json::to_value(formwork_web::openapi()).unwrap();
    let mut hostiles = fixed_hostiles();
    hostiles.extend(generated_hostiles(24));
    for app in apps().await {
        prepare(&app).await;
        let mut c = app.signed_in("admin").await;
        let mut findings = Findings::default();
        for op in operations(&doc) {
            for p in params(&op) {
                let name = p["name"].as_str().unwrap().to_owned();
                for h in &hostiles {
                    let status = send_param(&app, &mut c, &doc, &op, &name, h).await;
                    findings.saw(&op, &format!("{name}={h:?}"), status);
                }
            }
            for (what, body) in hostile_bodies(&doc, &op, &hostiles) {
                ensure_signed_in(&app, &mut c).await;
                let call = Call {
                    op: &op,
                    set: Vec::new(),
                    body: Some(body),
                };
                let status = call.send(&mut c).await;
                findings.saw(&op, &what, status);
            }
        }
        findings.assert_clean(app.db.backend().as_str());
    }
}

/// Sends `op` with parameter `name` set to `value` (the others at their base values), signed
/// in as admin.
async fn send_param(
    app: &TestApp,
    c: &mut Client,
    doc: &Value,
    op: &Op,
    name: &str,
    value: &str,
) -> StatusCode {
    ensure_signed_in(app, c).await;
    let call = Call {
        op,
        set: vec![(name.to_owned(), value.to_owned())],
        body: body_base(doc, op),
    };
    call.send(c).await
}

/// Follows a `$ref` into the document's components.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or(&Value::Null),
        None => schema,
    }
}

fn json_schema<'a>(doc: &'a Value, op: &'a Op) -> Option<&'a Value> {
    op.def
        .pointer("/requestBody/content/application~1json/schema")
        .map(|s| resolve(doc, s))
}

/// A minimal valid instance of a schema (required properties only).
fn instance(doc: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve(doc, schema);
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    if let Some(one) = schema["oneOf"]
        .as_array()
        .or(schema["anyOf"].as_array())
        .and_then(|o| o.first())
    {
        return instance(doc, one, depth);
    }
    let ty = match &schema["type"] {
        Value::Array(ts) => ts
            .iter()
            .find(|t| *t != "null")
            .and_then(Value::as_str)
            .unwrap_or("null"),
        t => t.as_str().unwrap_or("object"),
    };
    match ty {
        "string" => match schema["format"].as_str() {
            Some("date") => json!("2026-12-01"),
            Some("date-time") => json!("2026-12-01T00:00:00Z"),
            _ if schema["pattern"]
                .as_str()
                .is_some_and(|p| p.contains("[89ab]")) =>
            {
                json!(UUID)
            }
            _ => json!("x".repeat(schema["minLength"].as_u64().unwrap_or(1) as usize)),
        },
        "integer" | "number" => json!(schema["minimum"].as_i64().unwrap_or(1)),
        "boolean" => json!(true),
        "array" => json!([]),
        "null" => Value::Null,
        _ if depth > 4 => json!({}),
        _ => {
            let mut out = serde_json::Map::new();
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap();
                out.insert(
                    name.into(),
                    instance(doc, &schema["properties"][name], depth + 1),
                );
            }
            Value::Object(out)
        }
    }
}

fn body_base(doc: &Value, op: &Op) -> Option<Vec<u8>> {
    json_schema(doc, op).map(|s| instance(doc, s, 0).to_string().into_bytes())
}

/// JSON pointers of the string fields of a schema (through objects and arrays).
fn string_fields(doc: &Value, schema: &Value, at: &str, depth: usize, out: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if depth > 3 {
        return;
    }
    if let Some(props) = schema["properties"].as_object() {
        for (name, sub) in props {
            string_fields(doc, sub, &format!("{at}/{name}"), depth + 1, out);
        }
    } else if schema["type"] == "string"
        || schema["type"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("string")))
    {
        out.push(at.to_owned());
    }
}

/// Bodies with hostile strings in each field, and bodies hostile as a whole.
fn hostile_bodies(doc: &Value, op: &Op, hostiles: &[String]) -> Vec<(String, Vec<u8>)> {
    let Some(schema) = json_schema(doc, op) else {
        return Vec::new();
    };
    let base = instance(doc, schema, 0);
    let mut fields = Vec::new();
    string_fields(doc, schema, "", 0, &mut fields);
    let mut out = Vec::new();
    for h in hostiles {
        for field in &fields {
            let mut body = base.clone();
            set_pointer(&mut body, field, json!(h));
            out.push((format!("body {field}={h:?}"), body.to_string().into_bytes()));
        }
        if fields.is_empty() {
            out.push((
                format!("body key {h:?}"),
                json!({ h.clone(): h }).to_string().into_bytes(),
            ));
        }
    }
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    out.push(("deep body".into(), deep.into_bytes()));
    out.push(("not JSON".into(), b"{\"a\":".to_vec()));
    out.push(("array body".into(), b"[1,2,3]".to_vec()));
    out.push(("number body".into(), b"1e999".to_vec()));
    out
}

fn set_pointer(value: &mut Value, pointer: &str, new: Value) {
    let mut cur = value;
    let tokens: Vec<&str> = pointer.split('/').skip(1).collect();
    for (i, t) in tokens.iter().enumerate() {
        if !cur.is_object() {
            *cur = json!({});
        }
        let obj = cur.as_object_mut().unwrap();
        if i + 1 == tokens.len() {
            obj.insert((*t).to_owned(), new);
            return;
        }
        cur = obj.entry(*t).or_insert(json!({}));
    }
}

/// Values that break a parameter's schema, and values that keep it.
fn breaking_and_keeping(p: &Value, runner: &mut TestRunner) -> (Vec<String>, Vec<String>) {
    let schema = &p["schema"];
    let mut breaking = Vec::new();
    let mut keeping = Vec::new();
    if let Some(words) = schema["enum"].as_array() {
        breaking.push("zzz".to_owned());
        keeping.extend(words.iter().filter_map(Value::as_str).map(str::to_owned));
        return (breaking, keeping);
    }
    match schema["type"].as_str() {
        Some("integer") => {
            let min = schema["minimum"].as_i64();
            let max = schema["maximum"].as_i64();
            breaking.push("x".to_owned());
            if let Some(min) = min {
                breaking.push((min - 1).to_string());
            }
            if let Some(max) = max {
                breaking.push((max + 1).to_string());
            }
            let (lo, hi) = (min.unwrap_or(1), max.unwrap_or(10_000));
            for _ in 0..8 {
                keeping.push((lo..=hi).new_tree(runner).unwrap().current().to_string());
            }
        }
        Some("string") => {
            breaking.push("a\u{0}".to_owned());
            if let Some(max) = schema["maxLength"].as_u64() {
                breaking.push("a".repeat(max as usize + 1));
            }
            let pattern = schema["pattern"].as_str().unwrap_or("");
            let max = schema["maxLength"].as_u64().unwrap_or(64).min(64);
            let regex = if pattern.starts_with("^[^") {
                format!("[^\\x00]{{0,{max}}}")
            } else {
                breaking.push("!".to_owned());
                pattern
                    .trim_start_matches('^')
                    .trim_end_matches('$')
                    .to_owned()
            };
            let strategy = proptest::string::string_regex(&regex).unwrap();
            for _ in 0..8 {
                keeping.push(strategy.new_tree(runner).unwrap().current());
            }
        }
        _ => {}
    }
    (breaking, keeping)
}

#[tokio::test]
async fn parameters_the_schema_refuses_are_refused_and_those_it_allows_are_not() {
    let doc = serde_json::to_value(formwork_web::openapi()).unwrap();
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    for app in apps().await {
        prepare(&app).await;
        let mut c = app.signed_in("admin").await;
        let mut findings = Findings::default();
        for op in operations(&doc) {
            for p in params(&op) {
                let name = p["name"].as_str().unwrap().to_owned();
                if p["in"] == "header" {
                    continue;
                }
                let (breaking, mut keeping) = breaking_and_keeping(&p, &mut runner);
                if SEMANTIC.contains(&name.as_str()) {
                    keeping.clear();
                }
                let cases = breaking.into_iter().map(|v| (v, true));
                for (v, breaks) in cases.chain(keeping.into_iter().map(|v| (v, false))) {
                    let status = send_param(&app, &mut c, &doc, &op, &name, &v).await;
                    findings.saw(&op, &name, status);
                    // A value the schema refuses is a 400; one it allows is never a 400 (a 422
                    // is about the body).
                    if breaks != (status == StatusCode::BAD_REQUEST) {
                        let verb = if breaks { "breaks" } else { "keeps" };
                        findings.disagreements.insert(format!(
                            "{} {} {name}={v:.40?} {verb} the schema but → {status}",
                            op.method, op.path
                        ));
                    }
                }
            }
        }
        findings.assert_clean(app.db.backend().as_str());
    }
}

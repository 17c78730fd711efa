//! A readable diff between two packages, in words: roles, forms and their fields, checks,
//! numbering and permissions, process nodes and edges, test cases. Works on the stored JSON
//! (a draft may not validate yet), so nothing here can fail. The designer's
//! `model/diff.ts` has the same shape and wording.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Map, Value};

/// One change, with a sentence in each language and the values before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Where it is: `/forms/{id}/schema/properties/{key}`, `/processes/{id}/nodes/{id}`, …
    /// (ids, not indexes, so the same thing has the same path in both versions).
    pub path: String,
    /// `added`, `removed` or `changed`.
    pub kind: &'static str,
    pub zh: String,
    pub en: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

const ADDED: &str = "added";
const REMOVED: &str = "removed";
const CHANGED: &str = "changed";

fn words(kind: &str) -> (&'static str, &'static str) {
    match kind {
        ADDED => ("新增", "added"),
        REMOVED => ("删除", "removed"),
        _ => ("修改", "changed"),
    }
}

pub(super) fn change(
    path: String,
    kind: &'static str,
    zh: String,
    en: String,
    b: &Value,
    a: &Value,
) -> Change {
    let some = |v: &Value| (!v.is_null()).then(|| v.clone());
    Change {
        path,
        kind,
        zh,
        en,
        before: some(b),
        after: some(a),
    }
}

/// The text of `v[key]` in `lang` (falling back to zh-CN), or `fallback`.
fn text(v: &Value, key: &str, lang: &str, fallback: &str) -> String {
    let t = &v[key];
    t[lang]
        .as_str()
        .or_else(|| t["zh-CN"].as_str())
        .filter(|s| !s.is_empty())
        .unwrap_or(fallback)
        .to_owned()
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v[key].as_array().map(Vec::as_slice).unwrap_or_default()
}

fn id_of(v: &Value) -> &str {
    v["id"].as_str().unwrap_or_default()
}

/// The kind a change of a listed item is: added, removed, changed or none.
fn kind_of(before: &Value, after: &Value) -> Option<&'static str> {
    match (before.is_null(), after.is_null()) {
        (true, false) => Some(ADDED),
        (false, true) => Some(REMOVED),
        _ if before != after => Some(CHANGED),
        _ => None,
    }
}

/// Items of two lists paired by id: the old order, then the new ones.
fn pairs<'a>(
    a: &'a [Value],
    b: &'a [Value],
    key: fn(&Value) -> String,
) -> Vec<(String, &'a Value, &'a Value)> {
    let find = |l: &'a [Value], k: &str| l.iter().find(|x| key(x) == k).unwrap_or(&Value::Null);
    let mut keys: Vec<String> = a.iter().map(key).collect();
    keys.extend(
        b.iter()
            .map(key)
            .filter(|k| !a.iter().any(|x| key(x) == *k)),
    );
    keys.into_iter()
        .map(|k| {
            let (x, y) = (find(a, &k), find(b, &k));
            (k, x, y)
        })
        .collect()
}

fn by_id(v: &Value) -> String {
    id_of(v).to_owned()
}

/// Every change from `a` to `b`, in words.
pub fn diff_packages(a: &Value, b: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    if a["name"] != b["name"] {
        let (z, e) = (
            text(b, "name", "zh-CN", id_of(b)),
            text(b, "name", "en", id_of(b)),
        );
        out.push(change(
            "/name".into(),
            CHANGED,
            format!("应用改名为「{z}」"),
            format!("App renamed to \"{e}\""),
            &a["name"],
            &b["name"],
        ));
    }
    for (id, x, y) in pairs(list(a, "roles"), list(b, "roles"), by_id) {
        let Some(kind) = kind_of(x, y) else { continue };
        let r = if y.is_null() { x } else { y };
        let (wz, we) = words(kind);
        let (z, e) = (text(r, "name", "zh-CN", &id), text(r, "name", "en", &id));
        out.push(change(
            format!("/roles/{id}"),
            kind,
            format!("{wz}角色「{z}」（{id}）"),
            format!("Role \"{e}\" ({id}) {we}"),
            x,
            y,
        ));
    }
    for (id, x, y) in pairs(list(a, "forms"), list(b, "forms"), by_id) {
        let at = format!("/forms/{id}");
        match kind_of(x, y) {
            Some(ADDED) => {
                let n = field_order(y).len();
                let (z, e) = (text(y, "name", "zh-CN", &id), text(y, "name", "en", &id));
                out.push(change(
                    at,
                    ADDED,
                    format!("新增表单「{z}」（{n} 个字段）"),
                    format!("Form \"{e}\" added ({n} fields)"),
                    x,
                    y,
                ));
            }
            Some(REMOVED) => {
                let (z, e) = (text(x, "name", "zh-CN", &id), text(x, "name", "en", &id));
                out.push(change(
                    at,
                    REMOVED,
                    format!("删除表单「{z}」"),
                    format!("Form \"{e}\" removed"),
                    x,
                    y,
                ));
            }
            Some(_) => out.extend(super::diff_form::form_changes(&at, x, y, b)),
            None => {}
        }
    }
    for (id, x, y) in pairs(list(a, "processes"), list(b, "processes"), by_id) {
        let at = format!("/processes/{id}");
        match kind_of(x, y) {
            Some(ADDED) => {
                let n = list(y, "nodes").len();
                let (z, e) = (text(y, "name", "zh-CN", &id), text(y, "name", "en", &id));
                out.push(change(
                    at,
                    ADDED,
                    format!("新增流程「{z}」（{n} 个节点）"),
                    format!("Process \"{e}\" added ({n} nodes)"),
                    x,
                    y,
                ));
            }
            Some(REMOVED) => {
                let (z, e) = (text(x, "name", "zh-CN", &id), text(x, "name", "en", &id));
                out.push(change(
                    at,
                    REMOVED,
                    format!("删除流程「{z}」"),
                    format!("Process \"{e}\" removed"),
                    x,
                    y,
                ));
            }
            Some(_) => out.extend(process_changes(&at, (a, b), x, y)),
            None => {}
        }
    }
    for (part, z, e) in [
        ("reports", "报表", "Reports"),
        ("dashboards", "仪表盘", "Dashboards"),
        ("rules", "自动化规则", "Rules"),
        ("hooks", "接入钩子", "Inbound hooks"),
    ] {
        if a[part] != b[part] {
            out.push(change(
                format!("/{part}"),
                CHANGED,
                format!("{z}有修改"),
                format!("{e} changed"),
                &a[part],
                &b[part],
            ));
        }
    }
    out
}

/// Field keys in display order: sections (or `ui.order`), then any others.
pub(super) fn field_order(form: &Value) -> Vec<String> {
    let keys: Vec<String> = form["schema"]["properties"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let placed: Vec<String> = match form["ui"]["sections"].as_array() {
        Some(s) if !s.is_empty() => s
            .iter()
            .flat_map(|s| list(s, "fields"))
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect(),
        _ => list(&form["ui"], "order")
            .iter()
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect(),
    };
    let mut seen = BTreeSet::new();
    placed
        .into_iter()
        .chain(keys.iter().cloned())
        .filter(|k| keys.contains(k) && seen.insert(k.clone()))
        .collect()
}

/// The aspects of a node an analyst sets, named in both languages.
const NODE_ASPECTS: &[(&str, &str, &[&str])] = &[
    ("名称", "name", &["name"]),
    ("类型", "kind", &["kind"]),
    ("处理人", "assignee", &["assignee"]),
    ("审批方式", "mode", &["mode", "ratio"]),
    ("期限", "deadline", &["deadline"]),
    ("无人处理时", "fallback", &["fallback"]),
    ("字段权限", "field access", &["fields"]),
    (
        "驳回/退回是否须填理由",
        "reason for reject/return required",
        &["reason_optional"],
    ),
    ("结果", "outcome", &["outcome"]),
    ("设置字段", "set fields", &["set"]),
    ("等待", "wait", &["hours", "until_field"]),
];

fn node_kind_words(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "approval" => ("审批", "approval"),
        "fill" => ("填写", "fill-in"),
        "cc" => ("抄送", "CC"),
        "condition" => ("条件分支", "condition"),
        "parallel_split" => ("并行分支", "parallel split"),
        "parallel_join" => ("并行汇聚", "parallel join"),
        "inclusive_split" => ("包容分支", "inclusive split"),
        "action" => ("自动操作", "action"),
        "wait" => ("等待", "wait"),
        "end" => ("结束", "end"),
        "start" => ("发起", "start"),
        _ => ("", "a"),
    }
}

fn aspects(
    x: &Value,
    y: &Value,
    table: &[(&'static str, &'static str, &[&str])],
) -> (Vec<&'static str>, Vec<&'static str>) {
    table
        .iter()
        .filter(|(_, _, keys)| keys.iter().any(|k| x[*k] != y[*k]))
        .map(|(z, e, _)| (*z, *e))
        .unzip()
}

fn edge_key(e: &Value) -> String {
    let (from, to) = (
        e["from"].as_str().unwrap_or_default(),
        e["to"].as_str().unwrap_or_default(),
    );
    match e["on"].as_str() {
        Some(on) => format!("{from}→{to}:{on}"),
        None => format!("{from}→{to}"),
    }
}

fn node_name(p: &Value, id: &str, lang: &str) -> String {
    list(p, "nodes")
        .iter()
        .find(|n| id_of(n) == id)
        .map(|n| text(n, "name", lang, id))
        .unwrap_or_else(|| id.to_owned())
}

fn process_changes(at: &str, packages: (&Value, &Value), a: &Value, b: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    let pid = id_of(b);
    let (pz, pe) = (text(b, "name", "zh-CN", pid), text(b, "name", "en", pid));
    if a["name"] != b["name"] {
        out.push(change(
            format!("{at}/name"),
            CHANGED,
            format!("流程「{pz}」改名"),
            format!("Process \"{pe}\" renamed"),
            &a["name"],
            &b["name"],
        ));
    }
    for (id, x, y) in pairs(list(a, "nodes"), list(b, "nodes"), by_id) {
        let Some(kind) = kind_of(x, y) else { continue };
        let n = if y.is_null() { x } else { y };
        let (nz, ne) = (text(n, "name", "zh-CN", &id), text(n, "name", "en", &id));
        let path = format!("{at}/nodes/{id}");
        let (kz, ke) = node_kind_words(n["kind"].as_str().unwrap_or_default());
        match kind {
            ADDED => out.push(change(
                path,
                kind,
                format!("流程「{pz}」新增{kz}节点「{nz}」"),
                format!("Process \"{pe}\": {ke} node \"{ne}\" added"),
                x,
                y,
            )),
            REMOVED => out.push(change(
                path,
                kind,
                format!("流程「{pz}」删除节点「{nz}」"),
                format!("Process \"{pe}\": node \"{ne}\" removed"),
                x,
                y,
            )),
            _ => {
                let (z, e) = aspects(x, y, NODE_ASPECTS);
                if !z.is_empty() {
                    out.push(change(
                        path,
                        kind,
                        format!("流程「{pz}」修改节点「{nz}」：{}", z.join("、")),
                        format!("Process \"{pe}\": node \"{ne}\" changed: {}", e.join(", ")),
                        x,
                        y,
                    ));
                }
            }
        }
    }
    for (key, x, y) in pairs(list(a, "edges"), list(b, "edges"), edge_key) {
        let Some(kind) = kind_of(x, y) else { continue };
        let (e, p) = if y.is_null() { (x, a) } else { (y, b) };
        let (from, to) = (
            e["from"].as_str().unwrap_or_default(),
            e["to"].as_str().unwrap_or_default(),
        );
        let (wz, we) = words(kind);
        let (cz, ce) = match (y["when"].as_str(), y["default"].as_bool()) {
            (Some(w), _) => (format!("（条件：{w}）"), format!(" (when {w})")),
            (None, Some(true)) => ("（默认分支）".to_owned(), " (default branch)".to_owned()),
            _ => (String::new(), String::new()),
        };
        out.push(change(
            format!("{at}/edges/{key}"),
            kind,
            format!(
                "流程「{pz}」{wz}连线「{}」→「{}」{cz}",
                node_name(p, from, "zh-CN"),
                node_name(p, to, "zh-CN")
            ),
            format!(
                "Process \"{pe}\": connection \"{}\" → \"{}\" {we}{ce}",
                node_name(p, from, "en"),
                node_name(p, to, "en")
            ),
            x,
            y,
        ));
    }
    for (id, x, y) in pairs(list(a, "tests"), list(b, "tests"), by_id) {
        let Some(kind) = kind_of(x, y) else { continue };
        let t = if y.is_null() { x } else { y };
        let (wz, we) = words(kind);
        let (z, e) = (text(t, "name", "zh-CN", &id), text(t, "name", "en", &id));
        out.push(change(
            format!("{at}/tests/{id}"),
            kind,
            format!("流程「{pz}」{wz}测试用例「{z}」"),
            format!("Process \"{pe}\": test case \"{e}\" {we}"),
            x,
            y,
        ));
    }
    super::diff_access::inbox_columns(&mut out, at, packages, a, b, (&pz, &pe));
    if a["layout"] != b["layout"] {
        out.push(change(
            format!("{at}/layout"),
            CHANGED,
            format!("流程「{pz}」调整了节点位置"),
            format!("Process \"{pe}\": nodes moved"),
            &a["layout"],
            &b["layout"],
        ));
    }
    out
}

/// An object's entry as a value (`Null` when absent), for the helpers above.
pub(super) fn entry<'a>(o: Option<&'a Map<String, Value>>, key: &str) -> &'a Value {
    o.and_then(|o| o.get(key)).unwrap_or(&Value::Null)
}

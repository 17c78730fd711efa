//! Small app packages for process tests: one form (`req`) with a title, an amount, a region,
//! a reviewer and a list of reviewers (user fields), a counter, a due date and a note, and one process
//! given as nodes and edges; plus the moves a test makes with it over HTTP (publish, submit,
//! act on a person's task, read the record's status and timeline).

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::{TestApp, client::Response, open_tasks, rid};

/// The form every flow runs on.
fn form() -> Value {
    let text = |zh: &str, en: &str| json!({"label": {"zh-CN": zh, "en": en}, "widget": "text"});
    json!({
        "id": "req",
        "name": {"zh-CN": "申请", "en": "Request"},
        "schema": {
            "type": "object",
            "additionalProperties": false,
            "required": ["title"],
            "properties": {
                "title": {"type": "string", "minLength": 1, "maxLength": 100},
                "amount": {"type": "number"},
                "region": {"type": "string", "maxLength": 20},
                "reviewer": {"type": "string", "maxLength": 64},
                "reviewers": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
                "n": {"type": "integer"},
                "due": {"type": "string", "format": "date"},
                "note": {"type": "string", "maxLength": 200}
            }
        },
        "ui": {
            "order": ["title", "amount", "region", "reviewer", "reviewers", "n", "due", "note"],
            "fields": {
                "title": text("标题", "Title"),
                "amount": {"label": {"zh-CN": "金额", "en": "Amount"}, "widget": "number"},
                "region": text("区域", "Region"),
                "reviewer": {"label": {"zh-CN": "复核人", "en": "Reviewer"}, "widget": "user"},
                "reviewers": {"label": {"zh-CN": "评审人", "en": "Reviewers"}, "widget": "user"},
                "n": {"label": {"zh-CN": "轮次", "en": "Round"}, "widget": "number"},
                "due": {"label": {"zh-CN": "截止日期", "en": "Due"}, "widget": "date"},
                "note": text("备注", "Note")
            }
        },
        "permissions": {"create": ["*"], "read_own": ["*"], "edit_own": ["*"],
                        "read_all": ["director"]}
    })
}

/// An app `id` whose process `flow` runs on the form `req`.
pub fn package(id: &str, nodes: Value, edges: Value) -> Value {
    json!({
        "format": "formwork/app@1",
        "id": id,
        "name": {"zh-CN": format!("流程 {id}"), "en": format!("Flow {id}")},
        "roles": [
            {"id": "director", "name": {"zh-CN": "销售总监", "en": "Director"}},
            {"id": "finance", "name": {"zh-CN": "财务", "en": "Finance"}},
            {"id": "manager", "name": {"zh-CN": "部门经理", "en": "Manager"}},
            {"id": "auditor", "name": {"zh-CN": "审计", "en": "Auditor"}}
        ],
        "forms": [form()],
        "processes": [{
            "id": "flow",
            "name": {"zh-CN": "审批", "en": "Approval"},
            "form": "req",
            "nodes": nodes,
            "edges": edges
        }]
    })
}

/// An approval step of one user.
pub fn approval(id: &str, username: &str) -> Value {
    json!({"id": id, "kind": "approval", "name": {"zh-CN": id, "en": id},
           "assignee": {"type": "user", "username": username}})
}

/// An approval step with its own assignee rule and further keys.
pub fn approval_with(id: &str, assignee: Value, extra: Value) -> Value {
    let mut node = json!({"id": id, "kind": "approval", "name": {"zh-CN": id, "en": id},
                          "assignee": assignee});
    if let (Some(node), Some(extra)) = (node.as_object_mut(), extra.as_object()) {
        node.extend(extra.clone());
    }
    node
}

pub fn node(id: &str, kind: &str) -> Value {
    json!({"id": id, "kind": kind})
}

pub fn end(id: &str, outcome: &str) -> Value {
    json!({"id": id, "kind": "end", "outcome": outcome})
}

pub fn edge(from: &str, to: &str) -> Value {
    json!({"from": from, "to": to})
}

pub fn edge_on(from: &str, to: &str, on: &str) -> Value {
    json!({"from": from, "to": to, "on": on})
}

pub fn edge_when(from: &str, to: &str, when: &str) -> Value {
    json!({"from": from, "to": to, "when": when})
}

pub fn edge_default(from: &str, to: &str) -> Value {
    json!({"from": from, "to": to, "default": true})
}

/// Imports and publishes `package` as the analyst; panics unless both work cleanly.
pub async fn publish(app: &TestApp, package: &Value) {
    let mut c = app.signed_in("analyst").await;
    let id = package["id"].as_str().unwrap();
    let created = c.post("/api/v1/apps", package).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.json()["problems"], json!([]), "{id}");
    let published = c
        .post(&format!("/api/v1/apps/{id}/publish"), &json!({}))
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
}

/// `username` submits `data` to the app's form `req`; returns the record id.
pub async fn submit(app: &TestApp, app_id: &str, username: &str, data: Value) -> String {
    let mut c = app.signed_in(username).await;
    let res = c
        .post(&format!("/api/v1/apps/{app_id}/forms/req/records"), &data)
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    res.json()["id"].as_str().unwrap().to_owned()
}

/// Who holds open tasks of a record, as sorted `node:username` pairs.
pub async fn holders(app: &TestApp, record: &str) -> Vec<String> {
    let mut out: Vec<String> = open_tasks(app, record)
        .await
        .into_iter()
        .map(|(_, user, node)| format!("{node}:{user}"))
        .collect();
    out.sort();
    out
}

/// The open task of `username` at `node` on a record.
pub async fn task_of(app: &TestApp, record: &str, node: &str, username: &str) -> String {
    let open = open_tasks(app, record).await;
    let found: Vec<&(String, String, String)> = open
        .iter()
        .filter(|(_, u, n)| u == username && n == node)
        .collect();
    assert_eq!(found.len(), 1, "one task of {username} at {node}: {open:?}");
    found[0].0.clone()
}

/// `username` acts on their task at `node` with `body`; returns the response.
pub async fn act(app: &TestApp, record: &str, node: &str, username: &str, body: Value) -> Response {
    let task = task_of(app, record, node, username).await;
    let mut c = app.signed_in(username).await;
    c.post(&format!("/api/v1/tasks/{task}/decide"), &body).await
}

/// `username` approves (or submits, at a fill step) their task at `node`; panics unless 200.
pub async fn approve(app: &TestApp, record: &str, node: &str, username: &str) {
    let action = if node.starts_with("fill") || node.starts_with("revise") {
        "submit"
    } else {
        "approve"
    };
    let res = act(app, record, node, username, json!({"action": action})).await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "{username} at {node}: {}",
        res.text()
    );
}

/// The record's stored status.
pub async fn status(app: &TestApp, record: &str) -> String {
    app.store
        .get_record(&rid(record))
        .await
        .unwrap()
        .unwrap()
        .status
        .into()
}

/// The record's timeline as its submitter (or anyone with a task) reads it.
pub async fn timeline(app: &TestApp, record: &str, reader: &str) -> Value {
    let mut c = app.signed_in(reader).await;
    let res = c.get(&format!("/api/v1/records/{record}/timeline")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    res.json()
}

/// The timeline's entry actions, in order.
pub fn actions(timeline: &Value) -> Vec<String> {
    timeline["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

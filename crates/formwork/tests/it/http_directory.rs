//! The directory snapshot over HTTP on SQLite and PostgreSQL: assignees resolve against the
//! whole directory (a user any field names, department heads at any level, a list of users),
//! and a change written elsewhere (another instance, a tool) is seen on the next request.

use crate::common;

use crate::common::{Client, TestApp, apps, only_task_of};
use axum::http::StatusCode;
use formwork_testkit::fixtures::role;
use serde_json::{Value, json};

const APP: &str = "assign-lab";

/// A form with a title and a `reviewer` user field.
fn form(id: &str) -> Value {
    let text = |zh: &str, en: &str| json!({"zh-CN": zh, "en": en});
    json!({
            "id": id,
            "name": text("请示", "Ask"),
            "schema": {
                "type": "object",
                "additionalProperties": false,
                "required": ["title", "reviewer"],
                "properties": {
                    "title": {"type": "string", "minLength": 1, "maxLength": 100},
                    "reviewer": {"type": "string", "maxLength": 64}
                }
            },
            "ui": {
                "order": ["title", "reviewer"],
                "fields": {
                    "title": {"label": text("标题", "Title"), "widget": "text"},
                    "reviewer": {"label": text("审核人", "Reviewer"), "widget": "user"}
                }
            },
            "permissions": {"create": ["sales"], "read_own": ["sales"]}
    })
}

/// A process on `form` through `steps` (id, name, assignee, mode) in turn.
fn process(id: &str, form: &str, steps: &[(&str, Value, &str)]) -> Value {
    let text = |zh: &str, en: &str| json!({"zh-CN": zh, "en": en});
    let mut nodes = vec![json!({"id": "start", "kind": "start"})];
    let mut edges = Vec::new();
    let mut from = "start";
    for (step, assignee, mode) in steps {
        nodes.push(
            json!({"id": step, "kind": "approval", "name": text(step, step),
            "assignee": assignee, "mode": mode}),
        );
        edges.push(json!({"from": from, "to": step}));
        from = step;
    }
    nodes.push(json!({"id": "done", "kind": "end", "outcome": "approved"}));
    edges.push(json!({"from": from, "to": "done"}));
    json!({"id": id, "name": text(id, id), "form": form, "nodes": nodes, "edges": edges})
}

/// Two forms: `ask` goes to the user its `reviewer` field names, then to the submitter's
/// department head two levels up (no expression anywhere, so nothing but the field names the
/// reviewer); `ask_both` goes to the reviewer and `ceo` together (会签), from an expression
/// that yields a list.
fn package() -> Value {
    json!({
        "format": "formwork/app@1",
        "id": APP,
        "name": {"zh-CN": "指派实验", "en": "Assignment lab"},
        "roles": [{"id": "sales", "name": {"zh-CN": "销售", "en": "Sales"}}],
        "forms": [form("ask"), form("ask_both")],
        "processes": [
            process("assigned", "ask", &[
                ("by_field", json!({"type": "field", "field": "reviewer"}), "single"),
                ("two_up", json!({"type": "department_head", "levels": 2}), "single"),
            ]),
            process("listed", "ask_both", &[
                ("both", json!({"type": "expression", "expr": "[reviewer, 'ceo']"}), "all"),
            ]),
        ]
    })
}

/// Submits a record of `form` as `c` naming `reviewer`; returns its id.
async fn submit(c: &mut Client, form: &str, reviewer: &str) -> String {
    let res = c
        .post(
            &format!("/api/v1/apps/{APP}/forms/{form}/records"),
            &json!({"title": "采购", "reviewer": reviewer}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    res.json()["id"].as_str().unwrap().to_owned()
}

async fn publish(app: &TestApp) {
    let mut c = app.signed_in("analyst").await;
    let created = c.post("/api/v1/apps", &package()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.json()["problems"], json!([]), "{}", created.text());
    let published = c
        .post(&format!("/api/v1/apps/{APP}/publish"), &json!({}))
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
}

async fn approve(c: &mut Client, task: &str) {
    let res = c
        .post(
            &format!("/api/v1/tasks/{task}/decide"),
            &json!({"action": "approve"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
}

#[tokio::test]
async fn assignees_resolve_against_the_whole_directory() {
    for app in apps().await {
        publish(&app).await;
        let mut sales = app.signed_in("sales1").await;
        // `finance` is named by no node, role or department of the process: only the record's
        // field names them.
        let record = submit(&mut sales, "ask", "finance").await;
        let task = only_task_of(&app, &record, "finance").await;
        approve(&mut app.signed_in("finance").await, &task).await;
        // sales1 is in 华东销售部 (head manager1) under 销售中心 (head director).
        let task = only_task_of(&app, &record, "director").await;
        approve(&mut app.signed_in("director").await, &task).await;
        let shown = sales.get(&format!("/api/v1/records/{record}")).await;
        assert_eq!(shown.json()["status"], "approved", "{}", shown.text());

        let record = submit(&mut sales, "ask_both", "finance").await;
        let mut open: Vec<(String, String)> = common::open_tasks(&app, &record)
            .await
            .into_iter()
            .map(|(id, who, _)| (who, id))
            .collect();
        open.sort();
        let who: Vec<&str> = open.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(who, ["ceo", "finance"], "the list expression names both");
        for (username, task) in &open {
            approve(&mut app.signed_in(username).await, task).await;
        }
        let record = sales.get(&format!("/api/v1/records/{record}")).await;
        assert_eq!(record.json()["status"], "approved", "{}", record.text());
    }
}

#[tokio::test]
async fn a_directory_change_written_elsewhere_is_seen_on_the_next_request() {
    for app in apps().await {
        let mut c = app.signed_in("sales1").await;
        assert_eq!(c.get("/api/v1/me").await.json()["roles"], json!(["sales"]));
        // Written past this server (as another instance or a tool would): only the epoch in
        // the database says the held snapshot is out of date.
        let sales1 = app
            .store
            .get_user_by_username("sales1")
            .await
            .unwrap()
            .unwrap();
        app.store
            .add_role_member(&role("finance"), &sales1.id)
            .await
            .unwrap();
        assert_eq!(
            c.get("/api/v1/me").await.json()["roles"],
            json!(["finance", "sales"])
        );
        // The other instance of the same deployment agrees.
        let mut other = common::Client::new(app.second_instance().await);
        other.login("sales1", common::PASSWORD).await;
        assert_eq!(
            other.get("/api/v1/me").await.json()["roles"],
            json!(["finance", "sales"])
        );
    }
}

#[tokio::test]
async fn a_version_published_on_another_instance_is_used_by_the_next_request_here() {
    for app in apps().await {
        publish(&app).await;
        // This instance learns the latest version once, then holds it while the publish epoch
        // read with each session says it is still the latest.
        let mut other = common::Client::new(app.second_instance().await);
        other.login("sales1", common::PASSWORD).await;
        let first = submit(&mut other, "ask", "finance").await;
        let shown = other.get(&format!("/api/v1/records/{first}")).await;
        assert_eq!(shown.json()["app_version"], 1, "{}", shown.text());

        let mut analyst = app.signed_in("analyst").await;
        let published = analyst
            .post(&format!("/api/v1/apps/{APP}/publish"), &json!({}))
            .await;
        assert_eq!(published.status, StatusCode::OK, "{}", published.text());

        let second = submit(&mut other, "ask", "finance").await;
        let shown = other.get(&format!("/api/v1/records/{second}")).await;
        assert_eq!(shown.json()["app_version"], 2, "{}", shown.text());
    }
}

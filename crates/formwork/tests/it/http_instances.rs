//! Admins' instance operations over HTTP on SQLite and PostgreSQL: the running / stopped /
//! overdue lists with their filters and pages, and cancel, retry, move and reassign — each
//! on the timeline and in the audit log, the record's status following the instance, every
//! refusal with its status code — and the admin pages.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::flows::{
    approval, approval_with, approve, edge, end, holders, node, package, publish, status, submit,
    task_of, timeline,
};
use crate::common::pages::Browser;
use crate::common::{TestApp, apps};

fn start() -> Value {
    node("start", "start")
}

/// a (manager1, due on the record's `due` date) → b (manager2) → done.
fn ops() -> Value {
    let a = approval_with(
        "a",
        json!({"type": "user", "username": "manager1"}),
        json!({"deadline": {"until_field": "due"}}),
    );
    package(
        "ops",
        json!([
            start(),
            a,
            approval("b", "manager2"),
            end("done", "approved")
        ]),
        json!([edge("start", "a"), edge("a", "b"), edge("b", "done")]),
    )
}

/// One step of `finance`'s that stops the process when nobody can take it.
fn stops() -> Value {
    let a = approval_with(
        "a",
        json!({"type": "user", "username": "finance"}),
        json!({"fallback": {"type": "stop"}}),
    );
    package(
        "stops",
        json!([start(), a, end("done", "approved")]),
        json!([edge("start", "a"), edge("a", "done")]),
    )
}

async fn list(app: &TestApp, query: &str) -> Value {
    let mut admin = app.signed_in("admin").await;
    let res = admin.get(&format!("/api/v1/instances{query}")).await;
    assert_eq!(res.status, StatusCode::OK, "{query}: {}", res.text());
    res.json()
}

fn records(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["record"]["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn instance_of(app: &TestApp, record: &str) -> String {
    app.store
        .instance_for_record(&crate::common::rid(record))
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

/// A stopped instance: `finance` is suspended when `sales1` submits.
async fn stopped(app: &TestApp) -> String {
    app.runtime
        .set_suspended("finance", true, None)
        .await
        .unwrap();
    let r = submit(app, "stops", "sales1", json!({"title": "停止的流程"})).await;
    assert!(holders(app, &r).await.is_empty());
    r
}

#[tokio::test]
async fn admins_list_running_stopped_and_overdue_processes_with_filters_and_pages() {
    for app in apps().await {
        publish(&app, &ops()).await;
        publish(&app, &stops()).await;
        let late = submit(
            &app,
            "ops",
            "sales1",
            json!({"title": "逾期", "due": "2020-01-01"}),
        )
        .await;
        let second = submit(&app, "ops", "sales1", json!({"title": "二"})).await;
        let third = submit(&app, "ops", "sales2", json!({"title": "三"})).await;
        let halted = stopped(&app).await;

        assert_eq!(
            records(&list(&app, "").await),
            [third.as_str(), second.as_str(), late.as_str()],
            "newest first"
        );
        let stopped_page = list(&app, "?status=stopped").await;
        assert_eq!(records(&stopped_page), [halted.as_str()]);
        assert_eq!(stopped_page["items"][0]["stopped_at"]["id"], "a");
        assert_eq!(stopped_page["items"][0]["stop_reason"], "nobody_to_assign");
        assert_eq!(stopped_page["items"][0]["record"]["status"], "in_review");
        let overdue = list(&app, "?status=overdue").await;
        assert_eq!(records(&overdue), [late.as_str()]);
        assert_eq!(overdue["items"][0]["open_tasks"][0]["overdue"], true);

        assert!(
            records(&list(&app, "?app=stops").await).is_empty(),
            "none of stops runs"
        );
        assert_eq!(
            records(&list(&app, "?status=stopped&node=a&app=stops&process=flow").await),
            [halted.as_str()]
        );
        approve(&app, &second, "a", "manager1").await;
        assert_eq!(
            records(&list(&app, "?assignee=manager1").await),
            [third.as_str(), late.as_str()]
        );
        assert_eq!(records(&list(&app, "?node=b").await), [second.as_str()]);
        assert_eq!(
            records(&list(&app, "?assignee=manager2&node=b").await),
            [second.as_str()]
        );

        let first = list(&app, "?limit=2").await;
        assert_eq!(records(&first), [third.as_str(), second.as_str()]);
        let next = first["next"].as_str().unwrap();
        let rest = list(&app, &format!("?limit=2&after={next}")).await;
        assert_eq!(records(&rest), [late.as_str()]);
        assert!(rest["next"].is_null());

        let mut admin = app.signed_in("admin").await;
        for bad in [
            "?status=paused",
            "?assignee=nobody",
            "?after=not-an-id",
            "?app=Bad%20App",
        ] {
            let res = admin.get(&format!("/api/v1/instances{bad}")).await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{bad}: {}", res.text());
            assert!(
                res.json()["fields"][0]["path"]
                    .as_str()
                    .unwrap()
                    .starts_with('/')
            );
        }
        let mut sales1 = app.signed_in("sales1").await;
        assert_eq!(
            sales1.get("/api/v1/instances").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.client().get("/api/v1/instances").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn an_admin_cancels_a_process_and_the_record_becomes_what_they_chose() {
    for app in apps().await {
        publish(&app, &ops()).await;
        publish(&app, &stops()).await;
        let r = submit(&app, "ops", "sales1", json!({"title": "取消"})).await;
        let id = instance_of(&app, &r).await;
        let path = format!("/api/v1/instances/{id}/cancel");
        let mut admin = app.signed_in("admin").await;
        let no_reason = admin
            .post(&path, &json!({"reason": " ", "outcome": "rejected"}))
            .await;
        assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(no_reason.json()["fields"][0]["path"], "/reason");
        let wrong = admin
            .post(&path, &json!({"reason": "客户取消", "outcome": "approved"}))
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(wrong.json()["fields"][0]["path"], "/outcome");
        let mut sales1 = app.signed_in("sales1").await;
        let not_admin = sales1
            .post(&path, &json!({"reason": "x", "outcome": "withdrawn"}))
            .await;
        assert_eq!(not_admin.status, StatusCode::FORBIDDEN);

        let done = admin
            .post(
                &path,
                &json!({"reason": "客户取消了项目", "outcome": "withdrawn"}),
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.text());
        assert_eq!(done.json()["instance"]["status"], "withdrawn");
        assert_eq!(done.json()["open_tasks"], json!([]));
        assert_eq!(status(&app, &r).await, "withdrawn");
        let tl = timeline(&app, &r, "sales1").await;
        let cancelled = tl["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "cancelled")
            .unwrap();
        assert_eq!(cancelled["actor"]["username"], "admin");
        assert_eq!(cancelled["comment"], "客户取消了项目");
        assert_eq!(cancelled["detail"]["outcome"], "withdrawn");
        let audit = app
            .store
            .record_history(&crate::common::rid(&r))
            .await
            .unwrap();
        let row = audit
            .iter()
            .find(|a| a.action == "process.cancel")
            .expect("audited");
        assert!(row.detail.contains("客户取消了项目"), "{}", row.detail);
        let again = admin
            .post(&path, &json!({"reason": "再来", "outcome": "rejected"}))
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(again.json()["error"], "process_not_running");

        // A stopped process can be cancelled too, as rejected.
        let halted = stopped(&app).await;
        let id = instance_of(&app, &halted).await;
        let res = admin
            .post(
                &format!("/api/v1/instances/{id}/cancel"),
                &json!({"reason": "财务岗位空缺", "outcome": "rejected"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(status(&app, &halted).await, "rejected");
        let missing = admin
            .post(
                "/api/v1/instances/0193f0a0-0000-7000-8000-000000000000/cancel",
                &json!({"reason": "x", "outcome": "rejected"}),
            )
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn an_admin_retries_a_stopped_step_once_the_directory_can_answer() {
    for app in apps().await {
        publish(&app, &stops()).await;
        let r = stopped(&app).await;
        let id = instance_of(&app, &r).await;
        let path = format!("/api/v1/instances/{id}/retry");
        let mut admin = app.signed_in("admin").await;
        let still = admin.post(&path, &json!({})).await;
        assert_eq!(still.status, StatusCode::OK, "{}", still.text());
        assert_eq!(
            still.json()["instance"]["status"],
            "stopped",
            "finance is still away"
        );

        app.runtime
            .set_suspended("finance", false, None)
            .await
            .unwrap();
        let retried = admin.post(&path, &json!({"comment": "周婷已回岗"})).await;
        assert_eq!(retried.status, StatusCode::OK, "{}", retried.text());
        assert_eq!(retried.json()["instance"]["status"], "running");
        assert_eq!(holders(&app, &r).await, ["a:finance"]);
        let twice = admin.post(&path, &json!({})).await;
        assert_eq!(twice.status, StatusCode::CONFLICT);
        assert_eq!(twice.json()["error"], "process_not_stopped");
        approve(&app, &r, "a", "finance").await;
        assert_eq!(status(&app, &r).await, "approved");
        let tl = timeline(&app, &r, "sales1").await;
        let retried = tl["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "retried")
            .count();
        assert_eq!(retried, 2);
        assert!(
            app.store
                .record_history(&crate::common::rid(&r))
                .await
                .unwrap()
                .iter()
                .any(|a| a.action == "process.retry")
        );
    }
}

#[tokio::test]
async fn an_admin_moves_a_process_to_a_step_whose_people_act_in_person() {
    for app in apps().await {
        publish(&app, &ops()).await;
        let r = submit(&app, "ops", "sales1", json!({"title": "跳转"})).await;
        let id = instance_of(&app, &r).await;
        let path = format!("/api/v1/instances/{id}/move");
        let mut admin = app.signed_in("admin").await;
        let nowhere = admin.post(&path, &json!({"to": "nope"})).await;
        assert_eq!(nowhere.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(nowhere.json()["fields"][0]["path"], "/to");
        let moved = admin
            .post(&path, &json!({"to": "b", "comment": "经理已线下同意"}))
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.text());
        assert_eq!(holders(&app, &r).await, ["b:manager2"]);
        let tasks = crate::common::all_tasks(&app, &r).await;
        let a = tasks.iter().find(|t| t.node_id == "a").unwrap();
        assert_eq!(a.action.map(|a| a.as_str()), Some("moved"));
        let tl = timeline(&app, &r, "sales1").await;
        let entry = tl["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "moved")
            .unwrap();
        assert_eq!(entry["detail"]["to"], "b");
        assert_eq!(entry["comment"], "经理已线下同意");
        approve(&app, &r, "b", "manager2").await;
        assert_eq!(status(&app, &r).await, "approved");
    }
}

#[tokio::test]
async fn an_admin_reassigns_a_task_by_username_and_the_new_assignee_completes_it() {
    let a = approval_with(
        "a",
        json!({"type": "user", "username": "manager1"}),
        json!({"deadline": {"hours": 24}}),
    );
    let pkg = package(
        "handover",
        json!([start(), a, end("done", "approved")]),
        json!([edge("start", "a"), edge("a", "done")]),
    );
    for app in apps().await {
        publish(&app, &pkg).await;
        let r = submit(&app, "handover", "sales1", json!({"title": "改派"})).await;
        let task = task_of(&app, &r, "a", "manager1").await;
        let path = format!("/api/v1/tasks/{task}/reassign");
        let mut admin = app.signed_in("admin").await;
        let nobody = admin.post(&path, &json!({"to": "nobody"})).await;
        assert_eq!(nobody.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(nobody.json()["fields"][0]["path"], "/to");
        let same = admin.post(&path, &json!({"to": "manager1"})).await;
        assert_eq!(
            same.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            same.text()
        );
        let mut sales1 = app.signed_in("sales1").await;
        assert_eq!(
            sales1.post(&path, &json!({"to": "finance"})).await.status,
            StatusCode::FORBIDDEN
        );

        let done = admin
            .post(&path, &json!({"to": "finance", "comment": "王强休假"}))
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.text());
        let body = done.json();
        assert_eq!(body["task"]["status"], "cancelled");
        assert_eq!(body["task"]["action"], "reassigned");
        assert_eq!(holders(&app, &r).await, ["a:finance"]);
        let again = admin.post(&path, &json!({"to": "manager2"})).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(again.json()["error"], "task_handled");

        let tl = timeline(&app, &r, "sales1").await;
        let entry = tl["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "reassigned")
            .unwrap();
        let to = entry["detail"]["to"].as_str().unwrap();
        assert_eq!(tl["people"][to]["display_name"], "财务 周婷");
        assert!(
            app.store
                .record_history(&crate::common::rid(&r))
                .await
                .unwrap()
                .iter()
                .any(|a| a.action == "task.reassign")
        );
        approve(&app, &r, "a", "finance").await;
        assert_eq!(status(&app, &r).await, "approved");
    }
}

#[tokio::test]
async fn the_api_document_lists_every_instance_operation_with_its_status_codes() {
    let doc = serde_json::to_value(formwork_web::openapi()).unwrap();
    let codes = |path: &str, method: &str| -> Vec<String> {
        let mut out: Vec<String> = doc["paths"][path][method]["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path}"))
            .keys()
            .cloned()
            .collect();
        out.sort();
        out
    };
    assert_eq!(
        codes("/api/v1/instances", "get"),
        ["200", "400", "401", "403"]
    );
    for op in ["cancel", "retry", "move"] {
        let path = format!("/api/v1/instances/{{id}}/{op}");
        assert_eq!(
            codes(&path, "post"),
            [
                "200", "400", "401", "403", "404", "409", "413", "415", "422"
            ],
            "{op}"
        );
    }
    assert_eq!(
        codes("/api/v1/tasks/{id}/reassign", "post"),
        [
            "200", "400", "401", "403", "404", "409", "413", "415", "422"
        ]
    );
}

#[tokio::test]
async fn admin_pages_find_a_stopped_process_and_act_on_it() {
    for app in apps().await {
        publish(&app, &stops()).await;
        let r = stopped(&app).await;
        let id = instance_of(&app, &r).await;
        let mut admin = Browser::signed_in(&app, "admin").await;
        let home = admin.get("/").await;
        assert!(
            home.html.contains("id=\"stopped-processes\""),
            "the home page points at it"
        );
        let list = admin.get("/admin/instances?status=stopped").await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.html);
        assert!(list.html.contains(&id), "{}", list.html);
        assert!(list.html.contains("找不到处理人"));
        let page = admin.get(&format!("/admin/instances/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.element("stopped-alert").contains("流程停止于「a」"),
            "{}",
            page.html
        );

        let refused = admin
            .post_form(
                &format!("/admin/instances/{id}"),
                &[
                    ("action", "cancel"),
                    ("reason", ""),
                    ("outcome", "rejected"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused
                .element("instance-message")
                .contains("请填写终止原因")
        );

        app.runtime
            .set_suspended("finance", false, None)
            .await
            .unwrap();
        let retried = admin
            .post_form(&format!("/admin/instances/{id}"), &[("action", "retry")])
            .await;
        assert_eq!(retried.status, StatusCode::SEE_OTHER, "{}", retried.html);
        let after = admin.get(retried.location()).await;
        assert!(after.element("flash").contains("已重试"));
        let task = task_of(&app, &r, "a", "finance").await;
        let reassigned = admin
            .post_form(
                &format!("/admin/instances/{id}"),
                &[
                    ("action", "reassign"),
                    ("task", &task),
                    ("to", "华北销售部经理 刘洋"),
                ],
            )
            .await;
        assert_eq!(
            reassigned.status,
            StatusCode::SEE_OTHER,
            "{}",
            reassigned.html
        );
        assert_eq!(
            holders(&app, &r).await,
            ["a:manager2"],
            "picked by display name"
        );

        let mut sales1 = Browser::signed_in(&app, "sales1").await;
        assert_eq!(
            sales1.get("/admin/instances").await.status,
            StatusCode::FORBIDDEN
        );
        assert!(!sales1.get("/").await.html.contains("/admin/instances"));
    }
}

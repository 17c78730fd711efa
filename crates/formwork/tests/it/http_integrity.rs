//! Approval integrity over HTTP on SQLite and PostgreSQL: every status a record passes through
//! (in review, returned, withdrawn, approved, rejected), locked results (409 on `PATCH`, fields
//! kept editable for the owner, admins audited), change requests (变更) routed by the new
//! amount and applied only once approved, resubmission keeping earlier rounds, reasons
//! required for 驳回, and the timeline's road ahead.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::client::Response;
use crate::common::flows::{self, approval, approval_with, edge, edge_on, end, node, package};
use crate::common::{Client, TestApp, apps, only_task_of, rid, sample_package};
use crate::http_jobs::consumer;

const SAMPLE: &str = "project-registration";

async fn submit(c: &mut Client, amount: &str, region: &str) -> String {
    let res = c
        .post(
            &format!("/api/v1/apps/{SAMPLE}/forms/project/records"),
            &json!({"name": "智慧园区二期", "customer": "华信科技", "contact_phone": "010-12345678",
                    "amount": amount, "region": region, "start_date": "2027-01-04",
                    "end_date": "2027-06-30"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    res.json()["id"].as_str().unwrap().to_owned()
}

async fn decide(app: &TestApp, record: &str, who: &str, body: Value) -> Response {
    let task = only_task_of(app, record, who).await;
    let mut c = app.signed_in(who).await;
    c.post(&format!("/api/v1/tasks/{task}/decide"), &body).await
}

async fn ok(app: &TestApp, record: &str, who: &str, body: Value) {
    let res = decide(app, record, who, body).await;
    assert_eq!(res.status, StatusCode::OK, "{who}: {}", res.text());
}

async fn get(c: &mut Client, record: &str) -> Value {
    let res = c.get(&format!("/api/v1/records/{record}")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    res.json()
}

async fn patch(c: &mut Client, record: &str, body: Value) -> Response {
    let rev = get(c, record).await["rev"].to_string();
    c.send(
        Method::PATCH,
        &format!("/api/v1/records/{record}"),
        Some(body.to_string().into_bytes()),
        &[("if-match", &format!("\"{rev}\""))],
    )
    .await
}

/// A project of `amount` in 华南 by sales1, approved by manager1 (below 50,000).
async fn approved_project(app: &TestApp, amount: &str) -> String {
    let mut sales1 = app.signed_in("sales1").await;
    let id = submit(&mut sales1, amount, "华南").await;
    ok(app, &id, "manager1", json!({"action": "approve"})).await;
    assert_eq!(flows::status(app, &id).await, "approved");
    id
}

#[tokio::test]
async fn an_approved_project_is_locked_but_its_milestones_stay_editable_by_the_owner() {
    for app in apps().await {
        flows::publish(&app, &sample_package()).await;
        let id = approved_project(&app, "13600").await;
        let mut sales1 = app.signed_in("sales1").await;
        let refused = patch(&mut sales1, &id, json!({"amount": "990000"})).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text());
        assert_eq!(refused.json()["error"], "record_locked");
        assert!(refused.json()["message"].as_str().unwrap().contains("变更"));
        let mixed = patch(
            &mut sales1,
            &id,
            json!({"customer": "别家", "milestones": [{"title": "验收"}]}),
        )
        .await;
        assert_eq!(mixed.status, StatusCode::CONFLICT, "{}", mixed.text());
        let kept = patch(
            &mut sales1,
            &id,
            json!({"milestones": [{"title": "上线", "due_date": "2027-03-01"}]}),
        )
        .await;
        assert_eq!(kept.status, StatusCode::OK, "{}", kept.text());
        assert_eq!(kept.json()["status"], "approved");
        assert_eq!(kept.json()["data"]["amount"], "13600.00");
        let delete = sales1.delete(&format!("/api/v1/records/{id}")).await;
        assert_eq!(delete.status, StatusCode::CONFLICT, "{}", delete.text());

        let mut admin = app.signed_in("admin").await;
        let forced = patch(&mut admin, &id, json!({"amount": "14000"})).await;
        assert_eq!(forced.status, StatusCode::OK, "{}", forced.text());
        let history = app.store.record_history(&rid(&id)).await.unwrap();
        let flagged = history
            .iter()
            .filter(|h| {
                let detail: Value = serde_json::from_str(&h.detail).unwrap();
                h.action == "record.update" && detail["admin_override"] == true
            })
            .count();
        assert_eq!(flagged, 1, "the admin's edit is flagged in the audit log");
    }
}

#[tokio::test]
async fn a_change_request_is_routed_by_the_new_amount_and_applied_only_once_approved() {
    for app in apps().await {
        flows::publish(&app, &sample_package()).await;
        let id = approved_project(&app, "13600").await;
        let mut sales1 = app.signed_in("sales1").await;
        let path = format!("/api/v1/records/{id}/changes");
        let empty = sales1
            .post(&path, &json!({"data": {"amount": "13600"}}))
            .await;
        assert_eq!(
            empty.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            empty.text()
        );
        let bad = sales1.post(&path, &json!({"data": {"amount": "-5"}})).await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            bad.text()
        );
        let mut sales2 = app.signed_in("sales2").await;
        let stranger = sales2.post(&path, &json!({"data": {"amount": "1"}})).await;
        assert_eq!(stranger.status, StatusCode::NOT_FOUND);

        let body = json!({"data": {"amount": "120000"}, "comment": "客户追加二期范围"});
        let created = sales1.post(&path, &body).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        let record = created.json();
        assert_eq!(record["status"], "approved");
        assert_eq!(record["data"]["amount"], "13600.00", "approved values stay");
        assert_eq!(
            record["pending_change"]["changes"],
            json!({"amount": "120000.00"})
        );
        let again = sales1.post(&path, &body).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
        assert_eq!(again.json()["error"], "change_pending");

        // Routed like a registration of 120,000: the director, then the CEO.
        ok(&app, &id, "director", json!({"action": "approve"})).await;
        assert_eq!(get(&mut sales1, &id).await["data"]["amount"], "13600.00");
        ok(&app, &id, "ceo", json!({"action": "approve"})).await;
        let after = get(&mut sales1, &id).await;
        assert_eq!(after["data"]["amount"], "120000.00");
        assert_eq!(after["status"], "approved");
        assert!(after.get("pending_change").is_none(), "{after}");

        let timeline = flows::timeline(&app, &id, "sales1").await;
        let actions = flows::actions(&timeline);
        let requested = actions.iter().position(|a| a == "change_requested");
        assert!(requested.is_some_and(|i| i > 0), "{actions:?}");
        let entry = &timeline["entries"][requested.unwrap()];
        assert_eq!(entry["comment"], "客户追加二期范围");

        // The applied change is a record update: the "amount up more than 5 %" rule tells
        // finance.
        let consumer = consumer(&app);
        for _ in 0..4 {
            consumer.round().await.unwrap();
        }
        let mut finance = app.signed_in("finance").await;
        let notes = finance
            .get("/api/v1/notifications")
            .await
            .json()
            .to_string();
        assert!(notes.contains("项目金额上调超过 5%"), "{notes}");
    }
}

#[tokio::test]
async fn a_rejected_change_leaves_the_record_as_it_was() {
    for app in apps().await {
        flows::publish(&app, &sample_package()).await;
        let id = approved_project(&app, "13600").await;
        let mut sales1 = app.signed_in("sales1").await;
        let created = sales1
            .post(
                &format!("/api/v1/records/{id}/changes"),
                &json!({"data": {"amount": "60000", "customer": "华信集团"}}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        let reasonless = decide(&app, &id, "director", json!({"action": "reject"})).await;
        assert_eq!(reasonless.status, StatusCode::UNPROCESSABLE_ENTITY);
        ok(
            &app,
            &id,
            "director",
            json!({"action": "reject", "comment": "预算未确认"}),
        )
        .await;
        let record = get(&mut sales1, &id).await;
        assert_eq!(
            record["status"], "approved",
            "a pending change keeps the status"
        );
        assert_eq!(record["data"]["amount"], "13600.00");
        ok(&app, &id, "sales1", json!({"action": "withdraw"})).await;
        let record = get(&mut sales1, &id).await;
        assert_eq!(record["data"]["customer"], "华信科技");
        assert_eq!(record["data"]["amount"], "13600.00");
        assert!(record.get("pending_change").is_none(), "{record}");
        assert_eq!(record["status"], "approved");
    }
}

#[tokio::test]
async fn reject_needs_a_reason_and_returns_the_project_to_its_submitter() {
    for app in apps().await {
        flows::publish(&app, &sample_package()).await;
        let mut sales1 = app.signed_in("sales1").await;
        let id = submit(&mut sales1, "30000", "华南").await;
        let reasonless = decide(&app, &id, "manager1", json!({"action": "reject"})).await;
        assert_eq!(reasonless.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reasonless.json()["fields"][0]["code"], "reason_required");
        let blank = decide(
            &app,
            &id,
            "manager1",
            json!({"action": "reject", "comment": "  "}),
        )
        .await;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
        ok(
            &app,
            &id,
            "manager1",
            json!({"action": "reject", "comment": "请补充客户联系人"}),
        )
        .await;
        let record = get(&mut sales1, &id).await;
        assert_eq!(record["status"], "returned");
        let list = sales1
            .get(&format!(
                "/api/v1/apps/{SAMPLE}/forms/project/records?filter=status:eq:returned"
            ))
            .await
            .json();
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
        let refused = patch(&mut sales1, &id, json!({"amount": "20000"})).await;
        assert_eq!(refused.status, StatusCode::CONFLICT);
        assert_eq!(refused.json()["error"], "record_returned");

        let resubmitted = sales1
            .post(
                &format!("/api/v1/records/{id}/resubmit"),
                &json!({"data": {"contact_email": "li@example.com"}, "comment": "已补充"}),
            )
            .await;
        assert_eq!(resubmitted.status, StatusCode::OK, "{}", resubmitted.text());
        assert_eq!(resubmitted.json()["status"], "in_review");
        assert_eq!(
            resubmitted.json()["data"]["contact_email"],
            "li@example.com"
        );
        only_task_of(&app, &id, "manager1").await;
    }
}

#[tokio::test]
async fn withdraw_then_edit_then_resubmit_goes_back_to_the_first_approver() {
    for app in apps().await {
        flows::publish(&app, &sample_package()).await;
        let mut sales1 = app.signed_in("sales1").await;
        let id = submit(&mut sales1, "80000", "华北").await;
        let path = format!("/api/v1/records/{id}/resubmit");
        let early = sales1.post(&path, &json!({})).await;
        assert_eq!(early.status, StatusCode::CONFLICT);
        assert_eq!(early.json()["error"], "not_resubmittable");
        let withdrawn = sales1
            .post(&format!("/api/v1/records/{id}/withdraw"), &json!({}))
            .await;
        assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.text());
        assert_eq!(get(&mut sales1, &id).await["status"], "withdrawn");
        let edited = patch(
            &mut sales1,
            &id,
            json!({"milestones": [{"title": "需求确认"}], "amount": "85000"}),
        )
        .await;
        assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
        assert_eq!(edited.json()["status"], "withdrawn");

        let invalid = sales1
            .post(&path, &json!({"data": {"contact_phone": "12"}}))
            .await;
        assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
        let back = sales1.post(&path, &json!({})).await;
        assert_eq!(back.status, StatusCode::OK, "{}", back.text());
        assert_eq!(back.json()["status"], "in_review");
        assert_eq!(back.json()["data"]["milestones"][0]["title"], "需求确认");
        only_task_of(&app, &id, "director").await;
        let actions = flows::actions(&flows::timeline(&app, &id, "sales1").await);
        let withdrawn_at = actions
            .iter()
            .position(|a| a == "withdrawn" || a == "ended");
        let resubmitted_at = actions.iter().position(|a| a == "resubmitted");
        assert!(
            withdrawn_at.is_some() && resubmitted_at > withdrawn_at,
            "the earlier round stays: {actions:?}"
        );
        let twice = sales1.post(&path, &json!({})).await;
        assert_eq!(twice.status, StatusCode::CONFLICT);
    }
}

#[tokio::test]
async fn a_process_that_ends_rejected_leaves_the_record_rejected_and_locked() {
    let nodes = json!([
        node("start", "start"),
        approval("a", "manager1"),
        end("ok", "approved"),
        end("no", "rejected")
    ]);
    let edges = json!([
        edge("start", "a"),
        edge_on("a", "ok", "approve"),
        edge_on("a", "no", "reject")
    ]);
    for app in apps().await {
        flows::publish(
            &app,
            &package("ends-rejected", nodes.clone(), edges.clone()),
        )
        .await;
        let id = flows::submit(&app, "ends-rejected", "sales1", json!({"title": "采购"})).await;
        let res = flows::act(
            &app,
            &id,
            "a",
            "manager1",
            json!({"action": "reject", "comment": "超预算"}),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(flows::status(&app, &id).await, "rejected");
        let mut sales1 = app.signed_in("sales1").await;
        let refused = patch(&mut sales1, &id, json!({"title": "改"})).await;
        assert_eq!(refused.json()["error"], "record_locked");
        let list = sales1
            .get("/api/v1/apps/ends-rejected/forms/req/records?filter=status:eq:rejected")
            .await
            .json();
        assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    }
}

#[tokio::test]
async fn a_step_may_make_the_reason_optional() {
    let a = approval_with(
        "a",
        json!({"type": "user", "username": "manager1"}),
        json!({"reason_optional": true}),
    );
    let nodes = json!([
        node("start", "start"),
        a,
        end("ok", "approved"),
        end("no", "rejected")
    ]);
    let edges = json!([
        edge("start", "a"),
        edge_on("a", "ok", "approve"),
        edge_on("a", "no", "reject")
    ]);
    for app in apps().await {
        flows::publish(
            &app,
            &package("optional-reason", nodes.clone(), edges.clone()),
        )
        .await;
        let id = flows::submit(&app, "optional-reason", "sales1", json!({"title": "报销"})).await;
        let res = flows::act(&app, &id, "a", "manager1", json!({"action": "reject"})).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(flows::status(&app, &id).await, "rejected");
    }
}

#[tokio::test]
async fn the_timeline_marks_done_current_and_upcoming_steps_with_their_people() {
    for app in apps().await {
        flows::publish(&app, &sample_package()).await;
        let mut sales1 = app.signed_in("sales1").await;
        let id = submit(&mut sales1, "120000", "华东").await;
        let timeline = flows::timeline(&app, &id, "sales1").await;
        assert!(timeline.get("waiting").is_none());
        let entries = timeline["entries"].as_array().unwrap();
        let states: Vec<&str> = entries
            .iter()
            .map(|e| e["state"].as_str().unwrap())
            .collect();
        let first_open = states.iter().position(|s| *s != "done").unwrap();
        assert!(
            states[..first_open].iter().all(|s| *s == "done"),
            "{states:?}"
        );
        let ahead: Vec<(String, String, String, Value)> = entries[first_open..]
            .iter()
            .map(|e| {
                let who = e["assignees"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| u["display_name"].as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(",");
                (
                    e["state"].as_str().unwrap().to_owned(),
                    e["node"]["id"].as_str().unwrap().to_owned(),
                    who,
                    e["at"].clone(),
                )
            })
            .collect();
        let steps: Vec<(&str, &str)> = ahead
            .iter()
            .map(|(s, n, _, _)| (s.as_str(), n.as_str()))
            .collect();
        assert_eq!(
            steps,
            [
                ("current", "director_approval_large"),
                ("upcoming", "ceo_approval"),
                ("upcoming", "east_head_approval"),
            ]
        );
        assert!(
            ahead.iter().all(|(_, _, who, _)| !who.is_empty()),
            "{ahead:?}"
        );
        assert!(ahead[0].3.is_string() && ahead[1].3.is_null() && ahead[2].3.is_null());
    }
}

#[test]
fn a_demo_password_that_is_too_short_is_refused_in_words() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_formwork"))
        .args(["demo", "--no-serve", "--demo-password", "short"])
        .env("DATABASE_URL", "sqlite://unused-demo.db")
        .env("FORMWORK_LOG", "warn")
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("演示密码至少 8 个字符"), "{stderr}");
    assert!(!stderr.contains("problem(s)"), "{stderr}");
}

#[tokio::test]
async fn unknown_addresses_answer_a_page_for_browsers_and_json_for_the_api() {
    for app in apps().await {
        let mut c = app.signed_in("sales1").await;
        let page = c.get("/no/such/page").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        let kind = page.headers["content-type"].to_str().unwrap().to_owned();
        assert!(kind.starts_with("text/html"), "{kind}");
        let api = c.get("/api/v1/no-such-thing").await;
        assert_eq!(api.status, StatusCode::NOT_FOUND);
        assert_eq!(api.json()["error"], "not_found");
    }
}

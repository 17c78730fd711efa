//! How several people decide one approval step, and what time and copies do to it, each as a
//! small app package driven over HTTP on SQLite and PostgreSQL: 会签 / 或签 / 依次, a vote
//! with a ratio over every person a field names, a deadline that reminds and escalates on an
//! injected clock, and 抄送.

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::common::flows::{
    approval, approval_with, approve, edge, end, holders, node, package, publish, status, submit,
    timeline,
};
use crate::common::{all_tasks, apps};

fn start() -> Value {
    node("start", "start")
}

fn done() -> Value {
    end("done", "approved")
}

fn by_mode(id: &str, mode: &str, ratio: Option<f64>) -> Value {
    let mut extra = json!({"mode": mode});
    if let Some(r) = ratio {
        extra["ratio"] = json!(r);
    }
    let a = approval_with("a", json!({"type": "field", "field": "reviewers"}), extra);
    package(
        id,
        json!([start(), a, done()]),
        json!([edge("start", "a"), edge("a", "done")]),
    )
}

#[tokio::test]
async fn countersign_any_one_and_sequential_decide_as_their_modes_say() {
    for app in apps().await {
        let people = json!(["manager1", "manager2"]);
        publish(&app, &by_mode("mode-all", "all", None)).await;
        let all = submit(
            &app,
            "mode-all",
            "sales1",
            json!({"title": "会签", "reviewers": people}),
        )
        .await;
        assert_eq!(holders(&app, &all).await, ["a:manager1", "a:manager2"]);
        approve(&app, &all, "a", "manager1").await;
        assert_eq!(
            status(&app, &all).await,
            "in_review",
            "会签 waits for everyone"
        );
        approve(&app, &all, "a", "manager2").await;
        assert_eq!(status(&app, &all).await, "approved");

        publish(&app, &by_mode("mode-any", "any", None)).await;
        let any = submit(
            &app,
            "mode-any",
            "sales1",
            json!({"title": "或签", "reviewers": people}),
        )
        .await;
        approve(&app, &any, "a", "manager2").await;
        assert_eq!(
            status(&app, &any).await,
            "approved",
            "或签: one decision is enough"
        );
        assert!(holders(&app, &any).await.is_empty());

        publish(&app, &by_mode("mode-seq", "sequential", None)).await;
        let seq = submit(
            &app,
            "mode-seq",
            "sales1",
            json!({"title": "依次", "reviewers": people}),
        )
        .await;
        assert_eq!(holders(&app, &seq).await, ["a:manager1"]);
        approve(&app, &seq, "a", "manager1").await;
        assert_eq!(holders(&app, &seq).await, ["a:manager2"]);
        approve(&app, &seq, "a", "manager2").await;
        assert_eq!(status(&app, &seq).await, "approved");
    }
}

#[tokio::test]
async fn a_vote_passes_at_its_ratio_with_every_person_the_field_names() {
    for app in apps().await {
        publish(&app, &by_mode("vote", "vote", Some(0.6))).await;
        let r = submit(
            &app,
            "vote",
            "sales1",
            json!({"title": "投票", "reviewers": ["manager1", "manager2", "finance"]}),
        )
        .await;
        assert_eq!(
            holders(&app, &r).await,
            ["a:finance", "a:manager1", "a:manager2"]
        );
        approve(&app, &r, "a", "manager1").await;
        assert_eq!(status(&app, &r).await, "in_review", "1 of 3 is below 0.6");
        approve(&app, &r, "a", "finance").await;
        assert_eq!(status(&app, &r).await, "approved", "2 of 3 reach 0.6");
        let tasks = all_tasks(&app, &r).await;
        let left = tasks
            .iter()
            .find(|t| t.node_id == "a" && t.decided_by.is_none())
            .unwrap();
        assert_eq!(left.action.map(|a| a.as_str()), Some("step_decided"));
    }
}

#[tokio::test]
async fn a_deadline_reminds_then_escalates_to_someone_with_a_fresh_due_time() {
    let a = approval_with(
        "a",
        json!({"type": "user", "username": "manager1"}),
        json!({
            "deadline": {"hours": 24, "remind_before_hours": 4,
                         "escalate": {"type": "reassign", "username": "director"}}
        }),
    );
    let pkg = package(
        "deadline",
        json!([start(), a, done()]),
        json!([edge("start", "a"), edge("a", "done")]),
    );
    for app in apps().await {
        publish(&app, &pkg).await;
        let t0 = OffsetDateTime::now_utc();
        let r = submit(&app, "deadline", "sales1", json!({"title": "限时"})).await;
        let run = app
            .runtime
            .fire_due_timers(t0 + Duration::hours(21))
            .await
            .unwrap();
        assert_eq!(run.fired, 1, "the reminder: {run:?}");
        let mut manager1 = app.signed_in("manager1").await;
        let notes = manager1.get("/api/v1/notifications").await.json();
        assert!(
            notes["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["kind"] == "reminder"),
            "{notes}"
        );
        assert_eq!(holders(&app, &r).await, ["a:manager1"]);

        let escalated_at = t0 + Duration::hours(25);
        app.runtime.fire_due_timers(escalated_at).await.unwrap();
        assert_eq!(
            holders(&app, &r).await,
            ["a:director"],
            "reassigned when overdue"
        );
        let tasks = all_tasks(&app, &r).await;
        let fresh = tasks
            .iter()
            .find(|t| t.status == formwork_store::TaskStatus::Open)
            .unwrap();
        assert!(
            fresh.due_at.unwrap() >= escalated_at + Duration::hours(23),
            "{:?}",
            fresh.due_at
        );
        // An hour later nothing escalates again: the new due time is a day away.
        let run = app
            .runtime
            .fire_due_timers(escalated_at + Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(run.fired, 0, "{run:?}");
        assert_eq!(holders(&app, &r).await, ["a:director"]);
    }
}

#[tokio::test]
async fn a_cc_step_copies_people_in_without_waiting_for_them() {
    let cc = json!({"id": "copy", "kind": "cc", "name": {"zh-CN": "抄送财务", "en": "Copy finance"},
                    "assignee": {"type": "role", "role": "finance"}});
    let pkg = package(
        "cc",
        json!([start(), cc, approval("a", "manager1"), done()]),
        json!([edge("start", "copy"), edge("copy", "a"), edge("a", "done")]),
    );
    for app in apps().await {
        publish(&app, &pkg).await;
        let r = submit(&app, "cc", "sales1", json!({"title": "抄送"})).await;
        assert_eq!(
            holders(&app, &r).await,
            ["a:manager1"],
            "the copy does not wait"
        );
        let mut finance = app.signed_in("finance").await;
        let cc_box = finance.get("/api/v1/tasks?box=cc").await.json();
        assert_eq!(cc_box["items"][0]["record"]["id"], r.as_str(), "{cc_box}");
        let tl = timeline(&app, &r, "sales1").await;
        let sent = tl["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "cc_sent")
            .unwrap();
        let who = sent["detail"]["users"][0].as_str().unwrap();
        assert_eq!(tl["people"][who]["username"], "finance");
    }
}

//! One test per defect issue 8 reported, over HTTP on SQLite and PostgreSQL: graphs that
//! validated and then failed every submission, a return into a sibling branch that fired the
//! join, a `field` assignee that dropped people, a stopped instance that locked its record, a
//! return bouncing off `auto_approve_repeat`, a loop condition blind to the value set just
//! before it, a reassigned task inheriting a past deadline, and a misleading 409.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::common::flows::{
    act, approval, approval_with, approve, edge, edge_default, edge_on, edge_when, end, holders,
    node, package, publish, status, submit, task_of, timeline,
};
use crate::common::{all_tasks, apps};

fn start() -> Value {
    node("start", "start")
}

fn done() -> Value {
    end("done", "approved")
}

/// The three graphs that used to validate and then answer 500 on every submission, each with
/// the problem and pointer validation now reports.
fn refused_graphs() -> Vec<(&'static str, Value, &'static str, &'static str)> {
    let ap = |id: &str| approval(id, "manager1");
    vec![
        (
            "meets-no-join",
            package(
                "meets-no-join",
                json!([
                    start(),
                    node("s", "parallel_split"),
                    ap("a"),
                    ap("b"),
                    node("j", "parallel_join"),
                    done()
                ]),
                json!([
                    edge("start", "s"),
                    edge("s", "a"),
                    edge("s", "b"),
                    edge_on("a", "j", "reject"),
                    edge_on("b", "j", "reject"),
                    edge("a", "done"),
                    edge("b", "done"),
                    edge("j", "done")
                ]),
            ),
            "split_without_join",
            "/processes/0/nodes/1",
        ),
        (
            "join-closes-two",
            package(
                "join-closes-two",
                json!([
                    start(),
                    node("s1", "parallel_split"),
                    ap("a"),
                    ap("b"),
                    node("s2", "parallel_split"),
                    ap("c"),
                    ap("d"),
                    node("j", "parallel_join"),
                    done()
                ]),
                json!([
                    edge("start", "s1"),
                    edge("s1", "a"),
                    edge("s1", "b"),
                    edge("a", "j"),
                    edge("b", "j"),
                    edge_on("a", "s2", "reject"),
                    edge("s2", "c"),
                    edge("s2", "d"),
                    edge("c", "j"),
                    edge("d", "j"),
                    edge("j", "done")
                ]),
            ),
            "join_closes_several_splits",
            "/processes/0/nodes/7",
        ),
        (
            "into-a-branch",
            package(
                "into-a-branch",
                json!([
                    start(),
                    node("c", "condition"),
                    node("s", "parallel_split"),
                    ap("a1"),
                    ap("a2"),
                    ap("b"),
                    node("j", "parallel_join"),
                    done()
                ]),
                json!([
                    edge("start", "c"),
                    edge_when("c", "s", "amount > 10"),
                    edge_default("c", "a2"),
                    edge("s", "a1"),
                    edge("s", "b"),
                    edge("a1", "a2"),
                    edge("a2", "j"),
                    edge("b", "j"),
                    edge("j", "done")
                ]),
            ),
            "edge_into_branch",
            "/processes/0/edges/2",
        ),
    ]
}

fn cjk(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[tokio::test]
async fn graphs_the_engine_cannot_run_are_refused_at_import_and_publish_with_pointers() {
    for app in apps().await {
        let mut analyst = app.signed_in("analyst").await;
        for (id, pkg, code, pointer) in refused_graphs() {
            let imported = analyst.post("/api/v1/apps", &pkg).await;
            assert_eq!(
                imported.status,
                StatusCode::CREATED,
                "{id}: {}",
                imported.text()
            );
            let problems = imported.json()["problems"].clone();
            let found = problems
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["code"] == code)
                .unwrap_or_else(|| panic!("{id}: {problems}"));
            assert_eq!(found["path"], pointer, "{id}");
            assert!(
                cjk(found["message"].as_str().unwrap()),
                "zh-CN first: {found}"
            );

            let published = analyst
                .send(
                    Method::POST,
                    &format!("/api/v1/apps/{id}/publish"),
                    Some(b"{}".to_vec()),
                    &[("accept-language", "en")],
                )
                .await;
            assert_eq!(
                published.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{id}: {}",
                published.text()
            );
            let fields = published.json()["fields"].clone();
            let refused = fields
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["code"] == code)
                .unwrap_or_else(|| panic!("{id}: {fields}"));
            assert_eq!(refused["path"], pointer);
            assert!(
                !cjk(refused["message"].as_str().unwrap()),
                "in English: {refused}"
            );
        }
    }
}

#[tokio::test]
async fn a_return_into_a_sibling_branch_cancels_the_old_round_and_the_join_waits_for_the_new_one() {
    let pkg = package(
        "sibling",
        json!([
            start(),
            node("split", "parallel_split"),
            approval("x", "manager1"),
            approval("x2", "finance"),
            approval("y", "manager2"),
            node("join", "parallel_join"),
            done()
        ]),
        json!([
            edge("start", "split"),
            edge("split", "x"),
            edge("split", "y"),
            edge("x", "x2"),
            edge("x2", "join"),
            edge("y", "join"),
            edge("join", "done")
        ]),
    );
    for app in apps().await {
        publish(&app, &pkg).await;
        let r = submit(&app, "sibling", "sales1", json!({"title": "跨分支退回"})).await;
        approve(&app, &r, "x", "manager1").await;
        assert_eq!(holders(&app, &r).await, ["x2:finance", "y:manager2"]);
        let back = act(
            &app,
            &r,
            "y",
            "manager2",
            json!({"action": "return", "to": "x", "comment": "重做"}),
        )
        .await;
        assert_eq!(back.status, StatusCode::OK, "{}", back.text());
        assert_eq!(
            holders(&app, &r).await,
            ["x:manager1", "y:manager2"],
            "x2's task is gone"
        );
        approve(&app, &r, "x", "manager1").await;
        assert_eq!(
            holders(&app, &r).await,
            ["x2:finance", "y:manager2"],
            "one x2 task, not two"
        );
        approve(&app, &r, "x2", "finance").await;
        assert_eq!(
            status(&app, &r).await,
            "in_review",
            "y has not approved in this round"
        );
        assert_eq!(holders(&app, &r).await, ["y:manager2"]);
        approve(&app, &r, "y", "manager2").await;
        assert_eq!(status(&app, &r).await, "approved");

        let x2: Vec<(i64, Option<&'static str>)> = all_tasks(&app, &r)
            .await
            .iter()
            .filter(|t| t.node_id == "x2")
            .map(|t| (t.round, t.action.map(|a| a.as_str())))
            .collect();
        assert_eq!(x2, [(1, Some("superseded")), (2, Some("approve"))]);
        let tl = timeline(&app, &r, "sales1").await;
        let cancelled = tl["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "branch_cancelled")
            .expect("on the timeline");
        assert_eq!(cancelled["detail"]["reason"], "superseded");
    }
}

#[tokio::test]
async fn a_field_assignee_reaches_anyone_in_the_directory_and_a_vote_keeps_every_voter() {
    let one = approval_with(
        "a",
        json!({"type": "field", "field": "reviewer"}),
        json!({}),
    );
    let single = package(
        "field-one",
        json!([start(), one, done()]),
        json!([edge("start", "a"), edge("a", "done")]),
    );
    let vote = approval_with(
        "a",
        json!({"type": "field", "field": "reviewers"}),
        json!({"mode": "vote", "ratio": 1.0}),
    );
    let voters = package(
        "field-vote",
        json!([start(), vote, done()]),
        json!([edge("start", "a"), edge("a", "done")]),
    );
    for app in apps().await {
        publish(&app, &single).await;
        publish(&app, &voters).await;
        // `finance` is named nowhere in the process and heads no department.
        let r = submit(
            &app,
            "field-one",
            "sales1",
            json!({"title": "财务复核", "reviewer": "finance"}),
        )
        .await;
        assert_eq!(holders(&app, &r).await, ["a:finance"]);
        let v = submit(
            &app,
            "field-vote",
            "sales1",
            json!({"title": "三人投票", "reviewers": ["finance", "ceo", "east_head"]}),
        )
        .await;
        assert_eq!(
            holders(&app, &v).await,
            ["a:ceo", "a:east_head", "a:finance"]
        );
        approve(&app, &v, "a", "finance").await;
        approve(&app, &v, "a", "ceo").await;
        assert_eq!(
            status(&app, &v).await,
            "in_review",
            "the third voter still counts"
        );
        approve(&app, &v, "a", "east_head").await;
        assert_eq!(status(&app, &v).await, "approved");
    }
}

/// a step whose reviewer field may be empty, stopping the process when it is.
fn stopping(id: &str) -> Value {
    let a = approval_with(
        "a",
        json!({"type": "field", "field": "reviewer"}),
        json!({"fallback": {"type": "stop"}}),
    );
    package(
        id,
        json!([start(), a, done()]),
        json!([edge("start", "a"), edge("a", "done")]),
    )
}

#[tokio::test]
async fn a_stopped_process_never_locks_its_record_and_tells_the_admins() {
    for app in apps().await {
        publish(&app, &stopping("stops")).await;
        let r = submit(&app, "stops", "sales1", json!({"title": "无人处理"})).await;
        assert!(holders(&app, &r).await.is_empty());
        assert_eq!(status(&app, &r).await, "in_review");
        let tl = timeline(&app, &r, "sales1").await;
        assert_eq!(tl["instance"]["status"], "stopped");
        let stopped = tl["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "stopped")
            .unwrap();
        assert_eq!(stopped["detail"]["reason"], "nobody_to_assign");
        let mut admin = app.signed_in("admin").await;
        let notes = admin.get("/api/v1/notifications").await.json();
        assert!(
            notes["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["kind"] == "stopped"),
            "{notes}"
        );

        // The submitter takes it back, and the record is theirs again.
        let mut sales1 = app.signed_in("sales1").await;
        let back = sales1
            .post(&format!("/api/v1/records/{r}/withdraw"), &json!({}))
            .await;
        assert_eq!(back.status, StatusCode::OK, "{}", back.text());
        assert_eq!(back.json()["status"], "withdrawn");
        assert_eq!(status(&app, &r).await, "withdrawn");
        let record = sales1.get(&format!("/api/v1/records/{r}")).await.json();
        let edited = sales1
            .send(
                Method::PATCH,
                &format!("/api/v1/records/{r}"),
                Some(json!({"title": "无人处理（改）"}).to_string().into_bytes()),
                &[("if-match", &format!("\"{}\"", record["rev"]))],
            )
            .await;
        assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
        let deleted = sales1.delete(&format!("/api/v1/records/{r}")).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text());
    }
}

#[tokio::test]
async fn a_return_to_a_step_with_auto_approve_repeat_waits_for_a_person() {
    let repeat = |id: &str, user: &str| {
        approval_with(
            id,
            json!({"type": "user", "username": user}),
            json!({"auto_approve_repeat": true}),
        )
    };
    let pkg = package(
        "repeat",
        json!([
            start(),
            approval("a", "manager1"),
            repeat("b", "manager2"),
            repeat("c", "manager2"),
            approval("d", "director"),
            done()
        ]),
        json!([
            edge("start", "a"),
            edge("a", "b"),
            edge("b", "c"),
            edge("c", "d"),
            edge("d", "done")
        ]),
    );
    for app in apps().await {
        publish(&app, &pkg).await;
        let r = submit(&app, "repeat", "sales1", json!({"title": "自动同意"})).await;
        approve(&app, &r, "a", "manager1").await;
        approve(&app, &r, "b", "manager2").await;
        assert_eq!(
            holders(&app, &r).await,
            ["d:director"],
            "c skipped: manager2 approved b"
        );
        let back = act(
            &app,
            &r,
            "d",
            "director",
            json!({"action": "return", "to": "b", "comment": "重做"}),
        )
        .await;
        assert_eq!(back.status, StatusCode::OK, "{}", back.text());
        assert_eq!(
            holders(&app, &r).await,
            ["b:manager2"],
            "b waits for manager2 in person"
        );
        approve(&app, &r, "b", "manager2").await;
        assert_eq!(holders(&app, &r).await, ["d:director"]);
    }
}

#[tokio::test]
async fn a_loop_condition_sees_the_value_an_action_set_just_before_it() {
    let pkg = package(
        "loop",
        json!([start(), approval("a", "manager1"),
               {"id": "count", "kind": "action", "set": {"n": "n + 1"}},
               node("again", "condition"), done()]),
        json!([
            edge("start", "a"),
            edge("a", "count"),
            edge("count", "again"),
            edge_when("again", "a", "n < 3"),
            edge_default("again", "done")
        ]),
    );
    for app in apps().await {
        publish(&app, &pkg).await;
        let r = submit(&app, "loop", "sales1", json!({"title": "三轮", "n": 0})).await;
        let mut runs = 0;
        while status(&app, &r).await == "in_review" {
            approve(&app, &r, "a", "manager1").await;
            runs += 1;
            assert!(runs <= 5, "the loop does not stop");
        }
        assert_eq!(runs, 3, "round < 3 runs three times");
        let record = app
            .store
            .get_record(&crate::common::rid(&r))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(record.data["n"], json!(3));
        assert_eq!(status(&app, &r).await, "approved");
    }
}

#[tokio::test]
async fn a_task_reassigned_after_its_deadline_gets_a_fresh_one_and_does_not_escalate_at_once() {
    let a = approval_with(
        "a",
        json!({"type": "user", "username": "manager1"}),
        json!({"deadline": {"hours": 24, "escalate": {"type": "notify_head"}}}),
    );
    let pkg = package(
        "late",
        json!([start(), a, done()]),
        json!([edge("start", "a"), edge("a", "done")]),
    );
    for app in apps().await {
        publish(&app, &pkg).await;
        let t0 = OffsetDateTime::now_utc();
        let r = submit(&app, "late", "sales1", json!({"title": "过期改派"})).await;
        let overdue = t0 + Duration::hours(30);
        let run = app.runtime.fire_due_timers(overdue).await.unwrap();
        assert_eq!(run.fired, 1, "escalated once: {run:?}");

        let admin = app.runtime.user_by_username("admin").await.unwrap();
        let admin = app.runtime.session_caller(&admin.id).await.unwrap();
        let task = task_of(&app, &r, "a", "manager1").await;
        let moved = app
            .runtime
            .reassign_task(&admin, &task.parse().unwrap(), "manager2", None, overdue)
            .await
            .unwrap();
        let fresh = moved.open_tasks.iter().find(|t| t.node_id == "a").unwrap();
        let due = fresh.due_at.unwrap();
        assert!(
            due > overdue + Duration::hours(23),
            "due from the reassignment: {due}"
        );
        let run = app
            .runtime
            .fire_due_timers(overdue + Duration::minutes(1))
            .await
            .unwrap();
        assert_eq!(run.fired, 0, "nothing escalates again at once: {run:?}");
        assert_eq!(holders(&app, &r).await, ["a:manager2"]);
    }
}

#[tokio::test]
async fn deciding_a_handled_task_says_so_in_words() {
    let pkg = package(
        "twice",
        json!([start(), approval("a", "manager1"), done()]),
        json!([edge("start", "a"), edge("a", "done")]),
    );
    for app in apps().await {
        publish(&app, &pkg).await;
        let r = submit(&app, "twice", "sales1", json!({"title": "重复处理"})).await;
        let task = task_of(&app, &r, "a", "manager1").await;
        let mut manager1 = app.signed_in("manager1").await;
        let path = format!("/api/v1/tasks/{task}/decide");
        let first = manager1.post(&path, &json!({"action": "approve"})).await;
        assert_eq!(first.status, StatusCode::OK);
        let again = manager1.post(&path, &json!({"action": "reject"})).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(again.json()["error"], "task_handled");
        assert_eq!(again.json()["message"], "该待办已被处理");
        let body = json!({"action": "approve"}).to_string().into_bytes();
        let en = manager1
            .send(
                Method::POST,
                &path,
                Some(body),
                &[("accept-language", "en")],
            )
            .await;
        assert_eq!(en.json()["message"], "This task has already been handled");
    }
}

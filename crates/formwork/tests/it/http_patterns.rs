//! The workflow control-flow patterns (van der Aalst et al.) the engine supports, each as a
//! small app package driven over HTTP on SQLite and PostgreSQL: who gets which task, and the
//! record's final status. The approval-specific patterns are in `http_approval_patterns`.

use serde_json::{Value, json};

use crate::common::apps;
use crate::common::flows::{
    approval, approve, edge, edge_default, edge_on, edge_when, end, holders, node, package,
    publish, status, submit, timeline,
};

fn start() -> Value {
    node("start", "start")
}

fn done() -> Value {
    end("done", "approved")
}

#[tokio::test]
async fn wcp01_sequence_runs_steps_one_after_another() {
    let pkg = package(
        "wcp01",
        json!([
            start(),
            approval("a", "manager1"),
            approval("b", "manager2"),
            done()
        ]),
        json!([edge("start", "a"), edge("a", "b"), edge("b", "done")]),
    );
    for app in apps().await {
        publish(&app, &pkg).await;
        let r = submit(&app, "wcp01", "sales1", json!({"title": "顺序"})).await;
        assert_eq!(holders(&app, &r).await, ["a:manager1"]);
        approve(&app, &r, "a", "manager1").await;
        assert_eq!(holders(&app, &r).await, ["b:manager2"]);
        assert_eq!(status(&app, &r).await, "in_review");
        approve(&app, &r, "b", "manager2").await;
        assert!(holders(&app, &r).await.is_empty());
        assert_eq!(status(&app, &r).await, "approved");
    }
}

/// start → split → (x | y) → join → z → done.
fn parallel(id: &str) -> Value {
    package(
        id,
        json!([
            start(),
            node("split", "parallel_split"),
            approval("x", "manager1"),
            approval("y", "manager2"),
            node("join", "parallel_join"),
            approval("z", "director"),
            done()
        ]),
        json!([
            edge("start", "split"),
            edge("split", "x"),
            edge("split", "y"),
            edge("x", "join"),
            edge("y", "join"),
            edge("join", "z"),
            edge("z", "done")
        ]),
    )
}

#[tokio::test]
async fn wcp02_parallel_split_opens_every_branch_at_once() {
    for app in apps().await {
        publish(&app, &parallel("wcp02")).await;
        let r = submit(&app, "wcp02", "sales1", json!({"title": "并行"})).await;
        assert_eq!(holders(&app, &r).await, ["x:manager1", "y:manager2"]);
    }
}

#[tokio::test]
async fn wcp03_synchronization_continues_after_every_branch() {
    for app in apps().await {
        publish(&app, &parallel("wcp03")).await;
        let r = submit(&app, "wcp03", "sales1", json!({"title": "汇聚"})).await;
        approve(&app, &r, "y", "manager2").await;
        assert_eq!(
            holders(&app, &r).await,
            ["x:manager1"],
            "the join waits for x"
        );
        approve(&app, &r, "x", "manager1").await;
        assert_eq!(holders(&app, &r).await, ["z:director"]);
        approve(&app, &r, "z", "director").await;
        assert_eq!(status(&app, &r).await, "approved");
        let tl = timeline(&app, &r, "sales1").await;
        let joined = tl["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "joined")
            .count();
        assert_eq!(joined, 1, "joined once");
    }
}

/// start → route → (small when amount < 100 | big by default) → done.
fn exclusive(id: &str) -> Value {
    package(
        id,
        json!([
            start(),
            node("route", "condition"),
            approval("small", "manager1"),
            approval("big", "director"),
            done()
        ]),
        json!([
            edge("start", "route"),
            edge_when("route", "small", "amount < 100"),
            edge_default("route", "big"),
            edge("small", "done"),
            edge("big", "done")
        ]),
    )
}

#[tokio::test]
async fn wcp04_exclusive_choice_takes_one_edge_by_the_data() {
    for app in apps().await {
        publish(&app, &exclusive("wcp04")).await;
        let low = submit(
            &app,
            "wcp04",
            "sales1",
            json!({"title": "小", "amount": 50}),
        )
        .await;
        assert_eq!(holders(&app, &low).await, ["small:manager1"]);
        let high = submit(
            &app,
            "wcp04",
            "sales1",
            json!({"title": "大", "amount": 500}),
        )
        .await;
        assert_eq!(holders(&app, &high).await, ["big:director"]);
    }
}

#[tokio::test]
async fn wcp05_simple_merge_continues_once_from_whichever_path_ran() {
    let pkg = package(
        "wcp05",
        json!([
            start(),
            node("route", "condition"),
            approval("small", "manager1"),
            approval("big", "manager2"),
            approval("after", "director"),
            done()
        ]),
        json!([
            edge("start", "route"),
            edge_when("route", "small", "amount < 100"),
            edge_default("route", "big"),
            edge("small", "after"),
            edge("big", "after"),
            edge("after", "done")
        ]),
    );
    for app in apps().await {
        publish(&app, &pkg).await;
        for (amount, first, who) in [(5, "small", "manager1"), (500, "big", "manager2")] {
            let r = submit(
                &app,
                "wcp05",
                "sales1",
                json!({"title": "合并", "amount": amount}),
            )
            .await;
            approve(&app, &r, first, who).await;
            assert_eq!(holders(&app, &r).await, ["after:director"], "{first}");
            approve(&app, &r, "after", "director").await;
            assert_eq!(status(&app, &r).await, "approved");
        }
    }
}

/// start → or-split → (east when 华东 | fin when amount > 100 | plain by default) → join → done.
fn inclusive(id: &str) -> Value {
    package(
        id,
        json!([
            start(),
            node("or", "inclusive_split"),
            approval("east", "east_head"),
            approval("fin", "finance"),
            approval("plain", "manager1"),
            node("join", "parallel_join"),
            done()
        ]),
        json!([
            edge("start", "or"),
            edge_when("or", "east", "region == \"华东\""),
            edge_when("or", "fin", "amount > 100"),
            edge_default("or", "plain"),
            edge("east", "join"),
            edge("fin", "join"),
            edge("plain", "join"),
            edge("join", "done")
        ]),
    )
}

#[tokio::test]
async fn wcp06_multi_choice_starts_every_branch_whose_condition_holds() {
    for app in apps().await {
        publish(&app, &inclusive("wcp06")).await;
        let both = submit(
            &app,
            "wcp06",
            "sales1",
            json!({"title": "多选", "region": "华东", "amount": 500}),
        )
        .await;
        assert_eq!(
            holders(&app, &both).await,
            ["east:east_head", "fin:finance"]
        );
        let none = submit(
            &app,
            "wcp06",
            "sales1",
            json!({"title": "默认", "region": "华南", "amount": 5}),
        )
        .await;
        assert_eq!(holders(&app, &none).await, ["plain:manager1"]);
    }
}

#[tokio::test]
async fn wcp07_structured_synchronizing_merge_waits_for_exactly_the_branches_taken() {
    for app in apps().await {
        publish(&app, &inclusive("wcp07")).await;
        let two = submit(
            &app,
            "wcp07",
            "sales1",
            json!({"title": "两支", "region": "华东", "amount": 500}),
        )
        .await;
        approve(&app, &two, "east", "east_head").await;
        assert_eq!(status(&app, &two).await, "in_review", "fin is still taken");
        approve(&app, &two, "fin", "finance").await;
        assert_eq!(status(&app, &two).await, "approved");

        let one = submit(
            &app,
            "wcp07",
            "sales1",
            json!({"title": "一支", "region": "华东", "amount": 5}),
        )
        .await;
        assert_eq!(holders(&app, &one).await, ["east:east_head"]);
        approve(&app, &one, "east", "east_head").await;
        assert_eq!(
            status(&app, &one).await,
            "approved",
            "the join waits for no untaken branch"
        );
    }
}

#[tokio::test]
async fn wcp09_n_of_m_join_continues_after_n_branches_and_cancels_the_rest() {
    let pkg = package(
        "wcp09",
        json!([start(), node("split", "parallel_split"), approval("a", "manager1"),
               approval("b", "manager2"), approval("c", "finance"),
               {"id": "join", "kind": "parallel_join", "required": 2}, done()]),
        json!([
            edge("start", "split"),
            edge("split", "a"),
            edge("split", "b"),
            edge("split", "c"),
            edge("a", "join"),
            edge("b", "join"),
            edge("c", "join"),
            edge("join", "done")
        ]),
    );
    for app in apps().await {
        publish(&app, &pkg).await;
        let r = submit(&app, "wcp09", "sales1", json!({"title": "二选三"})).await;
        approve(&app, &r, "a", "manager1").await;
        assert_eq!(status(&app, &r).await, "in_review");
        approve(&app, &r, "c", "finance").await;
        assert_eq!(status(&app, &r).await, "approved");
        assert!(holders(&app, &r).await.is_empty(), "b is no longer needed");
        let tasks = crate::common::all_tasks(&app, &r).await;
        let b = tasks.iter().find(|t| t.node_id == "b").unwrap();
        assert_eq!(b.action.map(|a| a.as_str()), Some("join_satisfied"));
    }
}

/// start → split → (x → join | y → y_done, an end of the branch) → join → z → done.
fn branch_end(id: &str, terminate: bool) -> Value {
    let y_end =
        json!({"id": "y_done", "kind": "end", "outcome": "rejected", "terminate": terminate});
    package(
        id,
        json!([
            start(),
            node("split", "parallel_split"),
            approval("x", "manager1"),
            approval("y", "manager2"),
            y_end,
            node("join", "parallel_join"),
            approval("z", "director"),
            done()
        ]),
        json!([
            edge("start", "split"),
            edge("split", "x"),
            edge("split", "y"),
            edge("x", "join"),
            edge("y", "y_done"),
            edge("join", "z"),
            edge("z", "done")
        ]),
    )
}

#[tokio::test]
async fn wcp11_implicit_termination_ends_a_branch_and_the_join_stops_waiting_for_it() {
    for app in apps().await {
        publish(&app, &branch_end("wcp11", false)).await;
        let r = submit(&app, "wcp11", "sales1", json!({"title": "隐式结束"})).await;
        approve(&app, &r, "y", "manager2").await;
        assert_eq!(status(&app, &r).await, "in_review", "only y's branch ended");
        assert_eq!(holders(&app, &r).await, ["x:manager1"]);
        approve(&app, &r, "x", "manager1").await;
        assert_eq!(
            holders(&app, &r).await,
            ["z:director"],
            "the join did not wait for y"
        );
        approve(&app, &r, "z", "director").await;
        assert_eq!(status(&app, &r).await, "approved");
    }
}

#[tokio::test]
async fn wcp43_a_terminating_end_in_a_branch_ends_the_whole_instance() {
    for app in apps().await {
        publish(&app, &branch_end("wcp43", true)).await;
        let r = submit(&app, "wcp43", "sales1", json!({"title": "显式结束"})).await;
        approve(&app, &r, "y", "manager2").await;
        assert!(holders(&app, &r).await.is_empty(), "x's task was cancelled");
        assert_eq!(status(&app, &r).await, "rejected");
    }
}

/// a (manager1, 24 h) → done on approve, → b (director) when nobody decided in time.
fn deferred(id: &str) -> Value {
    let a = json!({"id": "a", "kind": "approval", "name": {"zh-CN": "限时审批", "en": "a"},
                   "assignee": {"type": "user", "username": "manager1"},
                   "deadline": {"hours": 24}});
    package(
        id,
        json!([start(), a, approval("b", "director"), done()]),
        json!([
            edge("start", "a"),
            edge_on("a", "done", "approve"),
            edge_on("a", "b", "timeout"),
            edge("b", "done")
        ]),
    )
}

#[tokio::test]
async fn wcp16_deferred_choice_the_person_first_withdraws_the_timer() {
    for app in apps().await {
        publish(&app, &deferred("wcp16a")).await;
        let r = submit(&app, "wcp16a", "sales1", json!({"title": "人先"})).await;
        approve(&app, &r, "a", "manager1").await;
        assert_eq!(status(&app, &r).await, "approved");
        let later = time::OffsetDateTime::now_utc() + time::Duration::hours(25);
        let run = app.runtime.fire_due_timers(later).await.unwrap();
        assert_eq!(run.fired, 0, "the timer went with the decision: {run:?}");
        assert_eq!(status(&app, &r).await, "approved");
    }
}

#[tokio::test]
async fn wcp16_deferred_choice_the_timer_first_withdraws_the_tasks() {
    for app in apps().await {
        publish(&app, &deferred("wcp16b")).await;
        let r = submit(&app, "wcp16b", "sales1", json!({"title": "钟先"})).await;
        let later = time::OffsetDateTime::now_utc() + time::Duration::hours(25);
        let run = app.runtime.fire_due_timers(later).await.unwrap();
        assert_eq!(run.fired, 1, "{run:?}");
        assert_eq!(holders(&app, &r).await, ["b:director"]);
        let tasks = crate::common::all_tasks(&app, &r).await;
        let a = tasks.iter().find(|t| t.node_id == "a").unwrap();
        assert_eq!(a.action.map(|a| a.as_str()), Some("timed_out"));
        let tl = timeline(&app, &r, "sales1").await;
        assert!(crate::common::flows::actions(&tl).contains(&"timed_out".to_owned()));
        approve(&app, &r, "b", "director").await;
        assert_eq!(status(&app, &r).await, "approved");
    }
}

#[tokio::test]
async fn the_road_ahead_is_predicted_from_the_data_without_changing_anything() {
    for app in apps().await {
        publish(&app, &crate::common::sample_package()).await;
        let names = |steps: &[formwork_runtime::UpcomingStep]| -> Vec<(String, Vec<String>)> {
            steps
                .iter()
                .map(|s| {
                    let who = s.assignees.iter().map(|u| u.username.clone()).collect();
                    (s.node.id.clone(), who)
                })
                .collect()
        };
        let analyst = app.runtime.user_by_username("analyst").await.unwrap();
        let analyst = app.runtime.session_caller(&analyst.id).await.unwrap();
        let data = json!({"name": "智慧园区", "customer": "某客户", "contact_phone": "13800138000",
                          "amount": "120000", "region": "华东"});
        let app_id = "project-registration".parse().unwrap();
        let process = "registration_approval".parse().unwrap();
        let simulated = app
            .runtime
            .simulate(&analyst, &app_id, &process, "sales1", &data)
            .await
            .unwrap();
        assert_eq!(
            names(&simulated),
            [
                (
                    "director_approval_large".to_owned(),
                    vec!["director".to_owned()]
                ),
                ("ceo_approval".to_owned(), vec!["ceo".to_owned()]),
                (
                    "east_head_approval".to_owned(),
                    vec!["east_head".to_owned()]
                ),
            ]
        );
        let sales1 = app.runtime.user_by_username("sales1").await.unwrap();
        let sales1 = app.runtime.session_caller(&sales1.id).await.unwrap();
        let refused = app
            .runtime
            .simulate(&sales1, &app_id, &process, "sales1", &data)
            .await;
        assert!(matches!(
            refused,
            Err(formwork_runtime::RuntimeError::Forbidden)
        ));

        // A running instance predicts what follows the steps it waits at.
        let mut c = app.signed_in("sales1").await;
        let created = c
            .post(
                "/api/v1/apps/project-registration/forms/project/records",
                &data,
            )
            .await;
        assert_eq!(
            created.status,
            axum::http::StatusCode::CREATED,
            "{}",
            created.text()
        );
        let record = created.json()["id"].as_str().unwrap().to_owned();
        let timeline = app
            .runtime
            .record_timeline(&sales1, &record.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            names(&timeline.upcoming),
            [
                ("ceo_approval".to_owned(), vec!["ceo".to_owned()]),
                (
                    "east_head_approval".to_owned(),
                    vec!["east_head".to_owned()]
                ),
            ]
        );
        assert_eq!(
            holders(&app, &record).await,
            ["director_approval_large:director"]
        );
    }
}

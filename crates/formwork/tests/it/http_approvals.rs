//! The approval engine over HTTP on SQLite and PostgreSQL: the sample app's routing, reject and
//! resubmit, return, withdraw, field permissions, the inbox and notifications, a task decided
//! once under 50 concurrent decisions, parallel branches joined once per instance, and timers
//! fired once across restarts.

use crate::common;

use std::sync::Arc;

use crate::common::{Client, TestApp, apps, only_task_of, open_tasks, rid, sample_package};
use axum::http::StatusCode;
use formwork_runtime::Runtime;
use formwork_testkit::fixtures::notifications;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const SAMPLE: &str = "project-registration";
const LAB: &str = "review-lab";

fn lab_package() -> Value {
    serde_json::from_str(include_str!("fixtures/review-lab.json")).unwrap()
}

/// Imports and publishes a package as the analyst.
async fn publish(app: &TestApp, package: &Value) {
    let mut c = app.signed_in("analyst").await;
    let id = package["id"].as_str().unwrap();
    let created = c.post("/api/v1/apps", package).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.json()["problems"], json!([]), "{}", created.text());
    let published = c
        .post(&format!("/api/v1/apps/{id}/publish"), &json!({}))
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
}

/// Submits a sample project; returns the record.
async fn submit_project(c: &mut Client, amount: &str, region: &str) -> Value {
    let res = c
        .post(
            &format!("/api/v1/apps/{SAMPLE}/forms/project/records"),
            &json!({"name": "智慧园区", "customer": "某客户", "contact_phone": "13800138000", "amount": amount, "region": region}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    res.json()
}

async fn submit_lab(c: &mut Client, form: &str, title: &str) -> Value {
    let res = c
        .post(
            &format!("/api/v1/apps/{LAB}/forms/{form}/records"),
            &json!({"title": title, "secret": "内部", "note": ""}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    res.json()
}

async fn decide(c: &mut Client, task: &str, body: Value) -> common::client::Response {
    c.post(&format!("/api/v1/tasks/{task}/decide"), &body).await
}

async fn record_status(app: &TestApp, record_id: &str) -> String {
    app.store
        .get_record(&rid(record_id))
        .await
        .unwrap()
        .unwrap()
        .status
        .into()
}

fn actions(timeline: &Value) -> Vec<String> {
    timeline["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_sample_app_routes_by_amount_and_region_to_the_right_approvers_in_order() {
    let cases: &[(&str, &str, &str, &[&str])] = &[
        ("sales1", "49999.99", "华南", &["manager1"]),
        ("sales2", "49999.99", "华南", &["manager2"]),
        ("sales1", "49999.99", "华东", &["manager1", "east_head"]),
        ("sales1", "50000", "华南", &["director"]),
        ("sales2", "50000", "华东", &["director", "east_head"]),
        ("sales1", "100000", "华南", &["director"]),
        ("sales2", "100000", "华东", &["director", "east_head"]),
        ("sales1", "100000.01", "华南", &["director", "ceo"]),
        (
            "sales2",
            "100000.01",
            "华东",
            &["director", "ceo", "east_head"],
        ),
    ];
    for app in apps().await {
        publish(&app, &sample_package()).await;
        for (submitter, amount, region, approvers) in cases {
            let case = format!("{submitter} {amount} {region}");
            let mut s = app.signed_in(submitter).await;
            let record = submit_project(&mut s, amount, region).await;
            let id = record["id"].as_str().unwrap();
            assert_eq!(record["status"], "in_review", "{case}");
            for approver in *approvers {
                let task = only_task_of(&app, id, approver).await;
                let mut c = app.signed_in(approver).await;
                let todo = c.get("/api/v1/tasks?box=todo").await.json();
                assert!(
                    todo["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|i| i["task"]["id"] == task.as_str()),
                    "{case}: {approver}'s inbox lists the task"
                );
                let res = decide(
                    &mut c,
                    &task,
                    json!({"action": "approve", "comment": "同意"}),
                )
                .await;
                assert_eq!(res.status, StatusCode::OK, "{case}: {}", res.text());
            }
            assert!(open_tasks(&app, id).await.is_empty(), "{case}");
            assert_eq!(record_status(&app, id).await, "approved", "{case}");
            let timeline = s.get(&format!("/api/v1/records/{id}/timeline")).await;
            assert_eq!(timeline.status, StatusCode::OK, "{case}");
            let timeline = timeline.json();
            assert_eq!(timeline["instance"]["status"], "approved", "{case}");
            let decided: Vec<&str> = timeline["entries"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["action"] == "decided")
                .map(|e| e["actor"]["username"].as_str().unwrap())
                .collect();
            assert_eq!(
                decided, *approvers,
                "{case}: the timeline names the approvers in order"
            );
            assert!(
                timeline["entries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|e| e["action"] == "decided")
                    .all(|e| e["comment"] == "同意" && e["duration_secs"].as_i64().is_some())
            );
        }
    }
}

#[tokio::test]
async fn a_rejected_project_is_revised_by_the_submitter_and_routed_again_by_the_new_amount() {
    for app in apps().await {
        publish(&app, &sample_package()).await;
        let mut sales1 = app.signed_in("sales1").await;
        let record = submit_project(&mut sales1, "60000", "华南").await;
        let id = record["id"].as_str().unwrap();
        let task = only_task_of(&app, id, "director").await;
        let mut director = app.signed_in("director").await;

        // The director may not change fields at this step.
        let edit = decide(
            &mut director,
            &task,
            json!({"action": "approve", "data": {"amount": "1"}}),
        )
        .await;
        assert_eq!(
            edit.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            edit.text()
        );
        assert_eq!(edit.json()["fields"][0]["path"], "/data/amount");

        let rejected = decide(
            &mut director,
            &task,
            json!({"action": "reject", "comment": "金额过高"}),
        )
        .await;
        assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.text());
        assert_eq!(record_status(&app, id).await, "returned");
        let done = director.get("/api/v1/tasks?box=done").await.json();
        assert_eq!(done["items"][0]["task"]["id"], task.as_str());
        assert_eq!(done["items"][0]["task"]["action"], "reject");

        // The submitter gets the project back to revise, with every field editable.
        let revise = only_task_of(&app, id, "sales1").await;
        let page = sales1.get(&format!("/api/v1/tasks/{revise}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let page = page.json();
        assert_eq!(page["node"]["id"], "revise");
        assert_eq!(page["node"]["kind"], "fill");
        assert_eq!(page["fields"]["amount"], "editable");
        assert_eq!(
            page["actions"],
            json!(["submit", "withdraw", "return", "transfer"])
        );
        let notes = sales1.get("/api/v1/notifications").await.json();
        let kinds: Vec<&str> = notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["kind"].as_str().unwrap())
            .collect();
        assert!(
            kinds.contains(&"decision") && kinds.contains(&"task"),
            "{kinds:?}"
        );

        let bad = decide(
            &mut sales1,
            &revise,
            json!({"action": "submit", "data": {"amount": "-5"}}),
        )
        .await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            bad.text()
        );
        let resubmitted = decide(
            &mut sales1,
            &revise,
            json!({"action": "submit", "data": {"amount": "30000"}, "comment": "已降价"}),
        )
        .await;
        assert_eq!(resubmitted.status, StatusCode::OK, "{}", resubmitted.text());

        // Now under 50,000: the department head, then no region step for 华南.
        let again = only_task_of(&app, id, "manager1").await;
        let mut manager1 = app.signed_in("manager1").await;
        assert_eq!(
            decide(&mut manager1, &again, json!({"action": "approve"}))
                .await
                .status,
            StatusCode::OK
        );
        let stored = app.store.get_record(&rid(id)).await.unwrap().unwrap();
        assert_eq!(stored.status.as_str(), "approved");
        assert_eq!(
            stored.data["amount"], "30000.00",
            "money is stored exactly, normalised"
        );
        let history = sales1
            .get(&format!("/api/v1/records/{id}/timeline"))
            .await
            .json();
        let reject = history["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "decided" && e["detail"]["outcome"] == "rejected")
            .expect("the rejection is on the timeline");
        assert_eq!(reject["comment"], "金额过高");
        assert_eq!(reject["actor"]["username"], "director");
        let audit = app.store.record_history(&rid(id)).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|a| a.action == "record.update" && a.detail.contains("30000"))
        );
    }
}

#[tokio::test]
async fn a_task_returned_to_an_earlier_step_comes_back_through_it() {
    for app in apps().await {
        publish(&app, &sample_package()).await;
        let mut sales1 = app.signed_in("sales1").await;
        let record = submit_project(&mut sales1, "200000", "华南").await;
        let id = record["id"].as_str().unwrap();
        let mut director = app.signed_in("director").await;
        let mut ceo = app.signed_in("ceo").await;
        let first = only_task_of(&app, id, "director").await;
        assert_eq!(
            decide(&mut director, &first, json!({"action": "approve"}))
                .await
                .status,
            StatusCode::OK
        );

        let task = only_task_of(&app, id, "ceo").await;
        let page = ceo.get(&format!("/api/v1/tasks/{task}")).await.json();
        let back: Vec<&str> = page["return_to"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap())
            .collect();
        assert_eq!(back, ["director_approval_large"]);
        let nowhere = decide(
            &mut ceo,
            &task,
            json!({"action": "return", "to": "dept_head_approval"}),
        )
        .await;
        assert_eq!(
            nowhere.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            nowhere.text()
        );
        let returned = decide(
            &mut ceo,
            &task,
            json!({"action": "return", "to": "director_approval_large", "comment": "补充材料"}),
        )
        .await;
        assert_eq!(returned.status, StatusCode::OK, "{}", returned.text());
        assert_eq!(returned.json()["task"]["action"], "return");

        let second = only_task_of(&app, id, "director").await;
        assert_ne!(second, first);
        assert_eq!(
            decide(&mut director, &second, json!({"action": "approve"}))
                .await
                .status,
            StatusCode::OK
        );
        let last = only_task_of(&app, id, "ceo").await;
        assert_eq!(
            decide(&mut ceo, &last, json!({"action": "approve"}))
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(record_status(&app, id).await, "approved");
        let timeline = sales1
            .get(&format!("/api/v1/records/{id}/timeline"))
            .await
            .json();
        assert!(actions(&timeline).contains(&"returned".to_owned()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_decisions_on_one_task_give_one_200_and_49_409() {
    for app in apps().await {
        publish(&app, &sample_package()).await;
        let mut sales1 = app.signed_in("sales1").await;
        let record = submit_project(&mut sales1, "80000", "华南").await;
        let id = record["id"].as_str().unwrap().to_owned();
        let task = only_task_of(&app, &id, "director").await;
        let director = app.signed_in("director").await;
        let cookie = director.cookie().unwrap().to_owned();
        // Half the requests go to a second server on the same database.
        let other = app.second_instance().await;
        let mut handles = Vec::new();
        for n in 0..50 {
            let router = if n % 2 == 0 {
                app.router.clone()
            } else {
                other.clone()
            };
            let mut c = Client::new(router);
            c.set_cookie(Some(cookie.clone()));
            let task = task.clone();
            handles.push(tokio::spawn(async move {
                let verb = if n % 2 == 0 { "approve" } else { "reject" };
                decide(&mut c, &task, json!({"action": verb, "comment": "意见"}))
                    .await
                    .status
            }));
        }
        let mut ok = 0;
        let mut conflict = 0;
        for h in handles {
            match h.await.unwrap() {
                StatusCode::OK => ok += 1,
                StatusCode::CONFLICT => conflict += 1,
                other => panic!("unexpected {other}"),
            }
        }
        assert_eq!((ok, conflict), (1, 49), "on {}", app.db.backend().as_str());
        let instance = app
            .store
            .instance_for_record(&rid(&id))
            .await
            .unwrap()
            .unwrap();
        let decided = app
            .store
            .instance_history(&instance.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.action == "decided")
            .count();
        assert_eq!(decided, 1);
        let again = decide(&mut sales1, &task, json!({"action": "approve"})).await;
        assert_eq!(again.status, StatusCode::NOT_FOUND, "not sales1's task");
    }
}

#[tokio::test]
async fn the_submitter_may_withdraw_until_the_first_decision_and_tasks_are_only_their_assignees() {
    for app in apps().await {
        publish(&app, &sample_package()).await;
        let mut sales1 = app.signed_in("sales1").await;
        let mut sales2 = app.signed_in("sales2").await;
        let mut director = app.signed_in("director").await;

        let first = submit_project(&mut sales1, "70000", "华南").await;
        let first_id = first["id"].as_str().unwrap();
        let task = only_task_of(&app, first_id, "director").await;
        assert_eq!(
            sales2.get(&format!("/api/v1/tasks/{task}")).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            decide(&mut sales2, &task, json!({"action": "approve"}))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let not_theirs = sales2
            .post(&format!("/api/v1/records/{first_id}/withdraw"), &json!({}))
            .await;
        assert_eq!(
            not_theirs.status,
            StatusCode::NOT_FOUND,
            "sales2 cannot even read it"
        );

        let withdrawn = sales1
            .post(
                &format!("/api/v1/records/{first_id}/withdraw"),
                &json!({"comment": "不做了"}),
            )
            .await;
        assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.text());
        assert_eq!(withdrawn.json()["status"], "withdrawn");
        assert_eq!(record_status(&app, first_id).await, "withdrawn");
        let page = director.get(&format!("/api/v1/tasks/{task}")).await.json();
        assert_eq!(page["task"]["status"], "cancelled");
        assert_eq!(page["actions"], json!([]));
        assert_eq!(
            decide(&mut director, &task, json!({"action": "approve"}))
                .await
                .status,
            StatusCode::CONFLICT
        );
        let twice = sales1
            .post(&format!("/api/v1/records/{first_id}/withdraw"), &json!({}))
            .await;
        assert_eq!(twice.status, StatusCode::CONFLICT);

        // After a decision it is too late.
        let second = submit_project(&mut sales1, "70000", "华东").await;
        let second_id = second["id"].as_str().unwrap();
        let task = only_task_of(&app, second_id, "director").await;
        assert_eq!(
            decide(&mut director, &task, json!({"action": "approve"}))
                .await
                .status,
            StatusCode::OK
        );
        let late = sales1
            .post(&format!("/api/v1/records/{second_id}/withdraw"), &json!({}))
            .await;
        assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.text());
        assert_eq!(late.json()["error"], "already_decided");
        assert_eq!(late.json()["message"], "已有人审批过，不能再撤回");

        // Unknown actions and targets are refused before anything changes.
        let east = only_task_of(&app, second_id, "east_head").await;
        let mut east_head = app.signed_in("east_head").await;
        let odd = decide(&mut east_head, &east, json!({"action": "shrug"})).await;
        assert_eq!(odd.status, StatusCode::UNPROCESSABLE_ENTITY);
        let nobody = decide(
            &mut east_head,
            &east,
            json!({"action": "transfer", "to": "nobody"}),
        )
        .await;
        assert_eq!(nobody.status, StatusCode::UNPROCESSABLE_ENTITY);
        let moved = decide(
            &mut east_head,
            &east,
            json!({"action": "transfer", "to": "ceo"}),
        )
        .await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.text());
        let ceo_task = only_task_of(&app, second_id, "ceo").await;
        let mut ceo = app.signed_in("ceo").await;
        let added = decide(
            &mut ceo,
            &ceo_task,
            json!({"action": "add_signer", "to": "finance"}),
        )
        .await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.text());
        assert_eq!(
            decide(&mut ceo, &ceo_task, json!({"action": "approve"}))
                .await
                .status,
            StatusCode::OK
        );
        let finance_task = only_task_of(&app, second_id, "finance").await;
        let mut finance = app.signed_in("finance").await;
        assert_eq!(
            decide(&mut finance, &finance_task, json!({"action": "approve"}))
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(record_status(&app, second_id).await, "approved");

        // Sent back to revise, the submitter may give up instead of resubmitting.
        let third = submit_project(&mut sales1, "70000", "华南").await;
        let third_id = third["id"].as_str().unwrap();
        let task = only_task_of(&app, third_id, "director").await;
        assert_eq!(
            decide(
                &mut director,
                &task,
                json!({"action": "reject", "comment": "不合适"})
            )
            .await
            .status,
            StatusCode::OK
        );
        let revise = only_task_of(&app, third_id, "sales1").await;
        let gave_up = decide(
            &mut sales1,
            &revise,
            json!({"action": "withdraw", "comment": "客户取消"}),
        )
        .await;
        assert_eq!(gave_up.status, StatusCode::OK, "{}", gave_up.text());
        assert_eq!(gave_up.json()["instance"]["status"], "withdrawn");
        assert_eq!(record_status(&app, third_id).await, "withdrawn");
    }
}

#[tokio::test]
async fn batch_approval_reports_each_task_and_notifications_count_and_mark_read() {
    for app in apps().await {
        publish(&app, &sample_package()).await;
        let mut sales1 = app.signed_in("sales1").await;
        let mut tasks = Vec::new();
        let mut records = Vec::new();
        for _ in 0..3 {
            let r = submit_project(&mut sales1, "90000", "华南").await;
            let id = r["id"].as_str().unwrap().to_owned();
            tasks.push(only_task_of(&app, &id, "director").await);
            records.push(id);
        }
        let mut director = app.signed_in("director").await;
        let todo = director.get("/api/v1/tasks?box=todo&limit=2").await.json();
        assert_eq!(todo["items"].as_array().unwrap().len(), 2);
        let next = todo["next"].as_str().unwrap().to_owned();
        let rest = director
            .get(&format!("/api/v1/tasks?box=todo&limit=2&after={next}"))
            .await
            .json();
        assert_eq!(rest["items"].as_array().unwrap().len(), 1);
        assert!(rest["next"].is_null());
        assert_eq!(todo["items"][0]["record"]["title"], "智慧园区");
        assert_eq!(todo["items"][0]["node"]["name"], "销售总监审批");

        let mut batch: Vec<Value> = tasks.iter().map(|t| json!(t)).collect();
        batch.push(json!("no-such-task"));
        let res = director
            .post(
                "/api/v1/tasks/batch-decide",
                &json!({"tasks": batch, "action": "approve", "comment": "批量同意"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let statuses: Vec<u64> = res.json()["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_u64().unwrap())
            .collect();
        assert_eq!(statuses, [200, 200, 200, 404]);
        for id in &records {
            assert_eq!(record_status(&app, id).await, "approved");
        }
        let submitted = sales1.get("/api/v1/tasks?box=submitted").await.json();
        assert_eq!(submitted["items"].as_array().unwrap().len(), 3);
        assert_eq!(submitted["items"][0]["instance"]["status"], "approved");

        let unread = sales1
            .get("/api/v1/notifications/unread-count")
            .await
            .json()["unread"]
            .as_u64()
            .unwrap();
        // Per record: the director's decision and the end.
        assert_eq!(unread, 6);
        let page = sales1.get("/api/v1/notifications?limit=4").await.json();
        assert_eq!(page["unread"], 6);
        assert_eq!(page["items"].as_array().unwrap().len(), 4);
        let first = page["items"][0]["id"].as_str().unwrap().to_owned();
        assert!(page["items"][0]["payload"]["record_id"].is_string());
        let marked = sales1
            .post("/api/v1/notifications/read", &json!({"ids": [first]}))
            .await
            .json();
        assert_eq!(marked["marked"], 1);
        let all = sales1
            .post("/api/v1/notifications/read", &json!({}))
            .await
            .json();
        assert_eq!(all["marked"], 5);
        assert_eq!(
            sales1
                .get("/api/v1/notifications/unread-count")
                .await
                .json()["unread"],
            0
        );

        let doc = sales1.get("/api/openapi.json").await.json();
        for path in [
            "/api/v1/tasks",
            "/api/v1/tasks/{id}",
            "/api/v1/tasks/{id}/decide",
            "/api/v1/tasks/batch-decide",
            "/api/v1/records/{id}/timeline",
            "/api/v1/records/{id}/withdraw",
            "/api/v1/notifications",
            "/api/v1/notifications/unread-count",
            "/api/v1/notifications/read",
        ] {
            assert!(doc["paths"].get(path).is_some(), "{path} is documented");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_instances_through_a_parallel_split_each_join_and_end_exactly_once() {
    for app in apps().await {
        publish(&app, &lab_package()).await;
        let mut sales1 = app.signed_in("sales1").await;
        let mut records = Vec::new();
        for n in 0..100 {
            let r = submit_lab(&mut sales1, "request", &format!("申请 {n}")).await;
            records.push(r["id"].as_str().unwrap().to_owned());
        }
        // The legal reviewer does not see the hidden field and may edit the note.
        let legal = open_tasks(&app, &records[0])
            .await
            .into_iter()
            .find(|(_, u, _)| u == "manager1")
            .unwrap();
        let mut manager1 = app.signed_in("manager1").await;
        let page = manager1
            .get(&format!("/api/v1/tasks/{}", legal.0))
            .await
            .json();
        assert!(page["record"]["data"].get("secret").is_none(), "{page}");
        assert!(page["fields"].get("secret").is_none());
        assert_eq!(page["fields"]["note"], "editable");
        assert_eq!(page["fields"]["title"], "visible");

        let mut cookies = std::collections::HashMap::new();
        for user in ["manager1", "manager2", "director"] {
            cookies.insert(
                user.to_owned(),
                app.signed_in(user).await.cookie().unwrap().to_owned(),
            );
        }
        let other = app.second_instance().await;
        let mut work = Vec::new();
        for id in &records {
            for (task, user, _) in open_tasks(&app, id).await {
                work.push((task, user.clone(), cookies[&user].clone()));
            }
        }
        assert_eq!(work.len(), 300);
        // Interleave the instances so that sibling branches race each other.
        work.sort_by(|a, b| a.0.chars().rev().cmp(b.0.chars().rev()));
        let limit = Arc::new(tokio::sync::Semaphore::new(12));
        let mut handles = Vec::new();
        for (n, (task, user, cookie)) in work.into_iter().enumerate() {
            let router = if n % 2 == 0 {
                app.router.clone()
            } else {
                other.clone()
            };
            let limit = limit.clone();
            handles.push(tokio::spawn(async move {
                let _permit = limit.acquire().await.unwrap();
                let mut c = Client::new(router);
                c.set_cookie(Some(cookie));
                let body = if user == "manager1" {
                    json!({"action": "approve", "data": {"note": "ok"}})
                } else {
                    json!({"action": "approve"})
                };
                let res = decide(&mut c, &task, body).await;
                (res.status, res.text())
            }));
        }
        for h in handles {
            let (status, text) = h.await.unwrap();
            assert_eq!(status, StatusCode::OK, "{text}");
        }
        for id in &records {
            assert_eq!(record_status(&app, id).await, "approved");
            let instance = app
                .store
                .instance_for_record(&rid(id))
                .await
                .unwrap()
                .unwrap();
            let rows = app.store.instance_history(&instance.id).await.unwrap();
            let count = |action: &str| rows.iter().filter(|r| r.action == action).count();
            assert_eq!(
                (count("decided"), count("joined"), count("ended")),
                (3, 1, 1),
                "record {id}"
            );
        }
        let sales1_user = app
            .store
            .get_user_by_username("sales1")
            .await
            .unwrap()
            .unwrap();
        let ended = app
            .store
            .list_notifications(&notifications(&sales1_user.id, Some("ended"), None, 500))
            .await
            .unwrap();
        assert_eq!(ended.len(), 100, "one end message per instance");
    }
}

/// The instant a task's due time says it was created (the deadline is 4 hours).
fn created_at_of(due_at: &str) -> OffsetDateTime {
    OffsetDateTime::parse(due_at, &Rfc3339).unwrap() - time::Duration::hours(4)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_and_an_escalation_fire_once_each_even_across_restarts_and_servers() {
    for app in apps().await {
        publish(&app, &lab_package()).await;
        let mut sales1 = app.signed_in("sales1").await;
        let record = submit_lab(&mut sales1, "urgent", "加急").await;
        let id = record["id"].as_str().unwrap();
        let task = only_task_of(&app, id, "manager1").await;
        let mut manager1 = app.signed_in("manager1").await;
        let page = manager1.get(&format!("/api/v1/tasks/{task}")).await.json();
        let t0 = created_at_of(page["task"]["due_at"].as_str().unwrap());
        let at = |minutes: i64| t0 + time::Duration::minutes(minutes);

        let runtime = &app.runtime;
        assert_eq!(
            runtime.fire_due_timers(at(120)).await.unwrap().fired,
            0,
            "nothing is due yet"
        );
        let reminded = runtime.fire_due_timers(at(181)).await.unwrap();
        assert_eq!(
            reminded.fired, 1,
            "the reminder an hour before the deadline"
        );
        assert_eq!(
            runtime.fire_due_timers(at(182)).await.unwrap().fired,
            0,
            "and only once"
        );

        // A restart: a fresh runtime (and store pool) catches up on the overdue escalation;
        // two servers doing so at once fire it once between them.
        let restarted = Arc::new(Runtime::new(app.db.store().await.unwrap()));
        let (a, b) = tokio::join!(
            restarted.fire_due_timers(at(600)),
            runtime.fire_due_timers(at(600))
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(
            a.fired + b.fired,
            1,
            "the escalation fires once: {a:?} {b:?}"
        );
        assert_eq!(a.failed + b.failed, 0);
        assert_eq!(restarted.fire_due_timers(at(900)).await.unwrap().fired, 0);
        assert_eq!(runtime.fire_due_timers(at(900)).await.unwrap().fired, 0);

        let kinds = |notes: &Value| -> Vec<String> {
            notes["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["kind"].as_str().unwrap().to_owned())
                .collect()
        };
        let mine = kinds(&manager1.get("/api/v1/notifications").await.json());
        assert_eq!(
            mine.iter().filter(|k| *k == "reminder").count(),
            1,
            "{mine:?}"
        );
        let mut director = app.signed_in("director").await;
        let cc = director.get("/api/v1/tasks?box=cc").await.json();
        assert_eq!(cc["items"].as_array().unwrap().len(), 1, "{cc}");
        assert_eq!(cc["items"][0]["record"]["id"], id);
        assert_eq!(cc["items"][0]["notification"]["kind"], "cc");
        let theirs = kinds(&director.get("/api/v1/notifications").await.json());
        assert_eq!(
            theirs.iter().filter(|k| *k == "escalation").count(),
            1,
            "{theirs:?}"
        );

        let timeline = sales1
            .get(&format!("/api/v1/records/{id}/timeline"))
            .await
            .json();
        let rows = actions(&timeline);
        assert_eq!(
            rows.iter().filter(|a| *a == "reminded").count(),
            1,
            "{rows:?}"
        );
        assert_eq!(
            rows.iter().filter(|a| *a == "escalated").count(),
            1,
            "{rows:?}"
        );
        // Notifying the head leaves the task with its assignee, who can still approve.
        assert_eq!(
            decide(&mut manager1, &task, json!({"action": "approve"}))
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(record_status(&app, id).await, "approved");
    }
}

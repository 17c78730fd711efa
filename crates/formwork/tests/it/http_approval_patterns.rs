//! The approval patterns people expect of a Chinese approval engine, each as a small app
//! package driven over HTTP on SQLite and PostgreSQL: returns to any earlier step (also out of
//! and into parallel branches), 退回发起人 (over the API and from the task page), 转交, and
//! 加签 before and after. Modes, votes, deadlines and copies are in `http_approval_modes`.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::flows::{
    act, actions, approval, approve, edge, edge_on, end, holders, node, package, publish, status,
    submit, task_of, timeline,
};
use crate::common::{all_tasks, apps};

fn start() -> Value {
    node("start", "start")
}

fn done() -> Value {
    end("done", "approved")
}

fn chain(id: &str) -> Value {
    package(
        id,
        json!([
            start(),
            approval("a", "manager1"),
            approval("b", "manager2"),
            approval("c", "director"),
            done()
        ]),
        json!([
            edge("start", "a"),
            edge("a", "b"),
            edge("b", "c"),
            edge("c", "done")
        ]),
    )
}

fn round_of(tasks: &[formwork_store::Task], node: &str) -> Vec<i64> {
    tasks
        .iter()
        .filter(|t| t.node_id == node)
        .map(|t| t.round)
        .collect()
}

#[tokio::test]
async fn a_return_to_any_earlier_step_starts_a_new_round_there() {
    for app in apps().await {
        publish(&app, &chain("ret-any")).await;
        let r = submit(&app, "ret-any", "sales1", json!({"title": "退回"})).await;
        approve(&app, &r, "a", "manager1").await;
        approve(&app, &r, "b", "manager2").await;
        let res = act(
            &app,
            &r,
            "c",
            "director",
            json!({"action": "return", "to": "a", "comment": "请重新确认"}),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(holders(&app, &r).await, ["a:manager1"]);
        assert_eq!(round_of(&all_tasks(&app, &r).await, "a"), [1, 2]);
        for (n, who) in [("a", "manager1"), ("b", "manager2"), ("c", "director")] {
            approve(&app, &r, n, who).await;
        }
        assert_eq!(status(&app, &r).await, "approved");
        let tl = timeline(&app, &r, "sales1").await;
        let returned = tl["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "returned")
            .unwrap();
        assert_eq!(returned["detail"]["to"], "a");
        assert_eq!(returned["comment"], "请重新确认");
    }
}

/// pre → split → (x → x2 | y) → join → after → done.
fn branches(id: &str) -> Value {
    package(
        id,
        json!([
            start(),
            approval("pre", "director"),
            node("split", "parallel_split"),
            approval("x", "manager1"),
            approval("x2", "finance"),
            approval("y", "manager2"),
            node("join", "parallel_join"),
            approval("after", "ceo"),
            done()
        ]),
        json!([
            edge("start", "pre"),
            edge("pre", "split"),
            edge("split", "x"),
            edge("split", "y"),
            edge("x", "x2"),
            edge("x2", "join"),
            edge("y", "join"),
            edge("join", "after"),
            edge("after", "done")
        ]),
    )
}

#[tokio::test]
async fn a_return_out_of_a_parallel_branch_cancels_the_sibling_branch() {
    for app in apps().await {
        publish(&app, &branches("ret-out")).await;
        let r = submit(&app, "ret-out", "sales1", json!({"title": "退出分支"})).await;
        approve(&app, &r, "pre", "director").await;
        assert_eq!(holders(&app, &r).await, ["x:manager1", "y:manager2"]);
        let res = act(
            &app,
            &r,
            "y",
            "manager2",
            json!({"action": "return", "to": "pre", "comment": "重做"}),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(
            holders(&app, &r).await,
            ["pre:director"],
            "x's task went with the block"
        );
        approve(&app, &r, "pre", "director").await;
        assert_eq!(
            holders(&app, &r).await,
            ["x:manager1", "y:manager2"],
            "a new round"
        );
    }
}

#[tokio::test]
async fn a_return_into_a_parallel_branch_restarts_its_block() {
    for app in apps().await {
        publish(&app, &branches("ret-in")).await;
        let r = submit(&app, "ret-in", "sales1", json!({"title": "退回分支内"})).await;
        approve(&app, &r, "pre", "director").await;
        approve(&app, &r, "x", "manager1").await;
        approve(&app, &r, "x2", "finance").await;
        approve(&app, &r, "y", "manager2").await;
        let res = act(
            &app,
            &r,
            "after",
            "ceo",
            json!({"action": "return", "to": "x2", "comment": "重做"}),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        // The branch returned into goes on from x2; the other starts again from its first step.
        assert_eq!(holders(&app, &r).await, ["x2:finance", "y:manager2"]);
        approve(&app, &r, "x2", "finance").await;
        assert_eq!(
            holders(&app, &r).await,
            ["y:manager2"],
            "the join waits for y's new round"
        );
        approve(&app, &r, "y", "manager2").await;
        approve(&app, &r, "after", "ceo").await;
        assert_eq!(status(&app, &r).await, "approved");
    }
}

/// a (manager1) → done; with `revise`, a fill step of the submitter's that submits back to a.
fn to_submitter(id: &str, revise: bool) -> Value {
    let mut nodes = vec![start(), approval("a", "manager1"), done()];
    let mut edges = vec![edge("start", "a"), edge("a", "done")];
    if revise {
        nodes.push(
            json!({"id": "revise", "kind": "fill", "name": {"zh-CN": "修改", "en": "Revise"},
                          "assignee": {"type": "submitter"}}),
        );
        nodes.push(end("gone", "withdrawn"));
        edges.push(edge_on("a", "revise", "reject"));
        edges.push(edge_on("revise", "a", "submit"));
        edges.push(edge_on("revise", "gone", "withdraw"));
    }
    package(id, json!(nodes), json!(edges))
}

#[tokio::test]
async fn return_to_submitter_sends_the_record_to_the_revise_step() {
    for app in apps().await {
        publish(&app, &to_submitter("rts-revise", true)).await;
        let r = submit(&app, "rts-revise", "sales1", json!({"title": "退回发起人"})).await;
        let res = act(
            &app,
            &r,
            "a",
            "manager1",
            json!({"action": "return_to_submitter", "comment": "请补充附件"}),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(res.json()["task"]["action"], "return_to_submitter");
        assert_eq!(holders(&app, &r).await, ["revise:sales1"]);
        let tl = timeline(&app, &r, "sales1").await;
        assert!(
            actions(&tl).contains(&"returned_to_submitter".to_owned()),
            "{tl}"
        );
        approve(&app, &r, "revise", "sales1").await;
        assert_eq!(holders(&app, &r).await, ["a:manager1"]);
        approve(&app, &r, "a", "manager1").await;
        assert_eq!(status(&app, &r).await, "approved");
    }
}

#[tokio::test]
async fn return_to_submitter_without_a_revise_step_hands_back_the_whole_form() {
    for app in apps().await {
        publish(&app, &to_submitter("rts-whole", false)).await;
        let r = submit(
            &app,
            "rts-whole",
            "sales1",
            json!({"title": "整单退回", "amount": 5}),
        )
        .await;
        let res = act(
            &app,
            &r,
            "a",
            "manager1",
            json!({"action": "return_to_submitter", "comment": "请补充"}),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(holders(&app, &r).await, ["a:sales1"]);
        let task = task_of(&app, &r, "a", "sales1").await;
        let mut sales1 = app.signed_in("sales1").await;
        let page = sales1.get(&format!("/api/v1/tasks/{task}")).await.json();
        assert_eq!(page["task"]["kind"], "resubmit");
        assert_eq!(page["actions"], json!(["submit", "withdraw"]));
        assert_eq!(
            page["fields"]["amount"], "editable",
            "the whole form is theirs again"
        );
        // Approving is not what a returned record asks for.
        let wrong = sales1
            .post(
                &format!("/api/v1/tasks/{task}/decide"),
                &json!({"action": "approve"}),
            )
            .await;
        assert_eq!(
            wrong.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            wrong.text()
        );
        assert_eq!(
            wrong.json()["fields"][0]["message"],
            "退回发起人的记录只能重新提交或撤回"
        );
        let sent = sales1
            .post(
                &format!("/api/v1/tasks/{task}/decide"),
                &json!({"action": "submit", "data": {"amount": 50}}),
            )
            .await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.text());
        assert_eq!(
            holders(&app, &r).await,
            ["a:manager1"],
            "a new round of a, in person"
        );
        let record = app
            .store
            .get_record(&crate::common::rid(&r))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(record.data["amount"], json!(50));
        approve(&app, &r, "a", "manager1").await;
        assert_eq!(status(&app, &r).await, "approved");
    }
}

#[tokio::test]
async fn transfer_hands_the_task_to_someone_named_by_username() {
    for app in apps().await {
        publish(&app, &chain("transfer")).await;
        let r = submit(&app, "transfer", "sales1", json!({"title": "转交"})).await;
        let res = act(
            &app,
            &r,
            "a",
            "manager1",
            json!({"action": "transfer", "to": "manager2"}),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(holders(&app, &r).await, ["a:manager2"]);
        let tl = timeline(&app, &r, "sales1").await;
        let moved = tl["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "transferred")
            .unwrap();
        let to = moved["detail"]["to"].as_str().unwrap();
        assert_eq!(
            tl["people"][to]["username"], "manager2",
            "people are named by id: {tl}"
        );
        assert_eq!(tl["people"][to]["display_name"], "华北销售部经理 刘洋");
        let nobody = act(
            &app,
            &r,
            "a",
            "manager2",
            json!({"action": "transfer", "to": "nobody"}),
        )
        .await;
        assert_eq!(nobody.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(nobody.json()["fields"][0]["path"], "/to");
    }
}

#[tokio::test]
async fn a_signer_added_before_signs_first_and_one_added_after_signs_next() {
    let pkg = package(
        "signers",
        json!([start(), approval("a", "manager1"), done()]),
        json!([edge("start", "a"), edge("a", "done")]),
    );
    for app in apps().await {
        publish(&app, &pkg).await;
        let before = submit(&app, "signers", "sales1", json!({"title": "前加签"})).await;
        let res = act(
            &app,
            &before,
            "a",
            "manager1",
            json!({"action": "add_signer", "to": "finance", "before": true}),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(holders(&app, &before).await, ["a:finance"]);
        approve(&app, &before, "a", "finance").await;
        assert_eq!(
            holders(&app, &before).await,
            ["a:manager1"],
            "back to the one who asked"
        );
        approve(&app, &before, "a", "manager1").await;
        assert_eq!(status(&app, &before).await, "approved");

        let after = submit(&app, "signers", "sales1", json!({"title": "后加签"})).await;
        let res = act(
            &app,
            &after,
            "a",
            "manager1",
            json!({"action": "add_signer", "to": "director", "before": false}),
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(
            holders(&app, &after).await,
            ["a:manager1"],
            "their own turn first"
        );
        approve(&app, &after, "a", "manager1").await;
        assert_eq!(holders(&app, &after).await, ["a:director"]);
        approve(&app, &after, "a", "director").await;
        assert_eq!(status(&app, &after).await, "approved");
    }
}

#[tokio::test]
async fn return_to_submitter_from_the_task_page_hands_the_whole_form_back() {
    use crate::common::pages::Browser;
    for app in apps().await {
        publish(&app, &to_submitter("rts-page", false)).await;
        let r = submit(
            &app,
            "rts-page",
            "sales1",
            json!({"title": "页面退回", "amount": 5}),
        )
        .await;
        let task = task_of(&app, &r, "a", "manager1").await;
        let mut manager1 = Browser::signed_in(&app, "manager1").await;
        let page = manager1.get(&format!("/tasks/{task}")).await;
        assert!(
            page.html.contains("value=\"return_to_submitter\""),
            "{}",
            page.html
        );
        let sent = manager1
            .post_form(
                &format!("/tasks/{task}"),
                &[
                    ("action", "return_to_submitter"),
                    ("comment", "金额请按发票填写"),
                ],
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
        let inbox = manager1.get(sent.location()).await;
        assert!(
            inbox.element("flash").contains("退回发起人"),
            "{}",
            inbox.html
        );

        let back = task_of(&app, &r, "a", "sales1").await;
        let mut sales1 = Browser::signed_in(&app, "sales1").await;
        let page = sales1.get(&format!("/tasks/{back}")).await;
        let banner = &page.html[page
            .html
            .find("id=\"task-sent-back\"")
            .expect("the reason up front")..];
        assert!(banner[..banner.find("</div>").unwrap()].contains("金额请按发票填写"));
        assert!(
            page.html.contains("name=\"amount\""),
            "the whole form is editable"
        );
        assert!(page.html.contains("value=\"submit\"") && page.html.contains("value=\"withdraw\""));
        assert!(
            !page.html.contains("value=\"approve\""),
            "nothing to approve here"
        );
        let resubmitted = sales1
            .post_form(
                &format!("/tasks/{back}"),
                &[
                    ("action", "submit"),
                    ("title", "页面退回"),
                    ("amount", "50"),
                ],
            )
            .await;
        assert_eq!(
            resubmitted.status,
            StatusCode::SEE_OTHER,
            "{}",
            resubmitted.html
        );
        assert_eq!(holders(&app, &r).await, ["a:manager1"]);
        let record = app
            .store
            .get_record(&crate::common::rid(&r))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(record.data["amount"], json!(50));
    }
}

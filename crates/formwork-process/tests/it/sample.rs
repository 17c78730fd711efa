//! The sample app's `registration_approval` process from DESIGN.md, routed by amount and region.

use crate::common::{TestCtx, World};
use formwork_model::{Outcome, ProcessDef};
use formwork_process::Action;
use serde_json::json;

pub fn registration_approval() -> ProcessDef {
    let reject_to_revise = |from: &str| json!({"from": from, "to": "revise", "on": "reject"});
    serde_json::from_value(json!({
        "id": "registration_approval",
        "name": {"zh-CN": "项目登记审批", "en": "Project registration approval"},
        "form": "project",
        "nodes": [
            {"id": "start", "kind": "start"},
            {"id": "by_amount", "kind": "condition"},
            {"id": "dept_head", "kind": "approval", "assignee": {"type": "department_head", "levels": 1}},
            {"id": "director", "kind": "approval", "assignee": {"type": "role", "role": "director"}},
            {"id": "director_large", "kind": "approval", "assignee": {"type": "role", "role": "director"}},
            {"id": "ceo", "kind": "approval", "assignee": {"type": "role", "role": "ceo"}},
            {"id": "by_region", "kind": "condition"},
            {"id": "east_head", "kind": "approval", "assignee": {"type": "user", "username": "east_head"}},
            {"id": "revise", "kind": "fill", "assignee": {"type": "submitter"}},
            {"id": "approved", "kind": "end", "outcome": "approved"},
            {"id": "withdrawn", "kind": "end", "outcome": "withdrawn"}
        ],
        "edges": [
            {"from": "start", "to": "by_amount"},
            {"from": "by_amount", "to": "dept_head", "when": "amount < 50000"},
            {"from": "by_amount", "to": "director", "when": "amount <= 100000"},
            {"from": "by_amount", "to": "director_large", "default": true},
            {"from": "dept_head", "to": "by_region"},
            {"from": "director", "to": "by_region"},
            {"from": "director_large", "to": "ceo"},
            {"from": "ceo", "to": "by_region"},
            {"from": "by_region", "to": "east_head", "when": "region == \"华东\""},
            {"from": "by_region", "to": "approved", "default": true},
            {"from": "east_head", "to": "approved"},
            reject_to_revise("dept_head"),
            reject_to_revise("director"),
            reject_to_revise("director_large"),
            reject_to_revise("ceo"),
            reject_to_revise("east_head"),
            {"from": "revise", "to": "by_amount", "on": "submit"},
            {"from": "revise", "to": "withdrawn", "on": "withdraw"}
        ]
    }))
    .expect("sample process JSON")
}

pub fn demo(amount: &str, region: &str) -> TestCtx {
    TestCtx::new()
        .with("amount", json!(amount))
        .with("region", json!(region))
        .people("head:1", &["manager1"])
        .people("role:director", &["director"])
        .people("role:ceo", &["ceo"])
}

/// Approves whatever single task is open until the instance ends; returns (node, user) in order.
fn approve_all(w: &mut World) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    while w.outcome().is_none() {
        let open = w.open();
        assert_eq!(open.len(), 1, "one task at a time: {open:?}");
        let (node, user) = open[0].clone();
        w.approve(&node, &user);
        seen.push((node, user));
    }
    seen
}

#[test]
fn registration_routes_by_amount_then_region() {
    let by_amount: [(&str, &[(&str, &str)]); 4] = [
        ("49999.99", &[("dept_head", "manager1")]),
        ("50000", &[("director", "director")]),
        ("100000", &[("director", "director")]),
        (
            "100000.01",
            &[("director_large", "director"), ("ceo", "ceo")],
        ),
    ];
    for (amount, steps) in by_amount {
        for region in ["华东", "华南"] {
            let mut w = World::started(&registration_approval(), demo(amount, region));
            let mut want: Vec<(String, String)> = steps
                .iter()
                .map(|(n, u)| (n.to_string(), u.to_string()))
                .collect();
            if region == "华东" {
                want.push(("east_head".into(), "east_head".into()));
            }
            assert_eq!(
                approve_all(&mut w),
                want,
                "amount {amount}, region {region}"
            );
            assert_eq!(w.outcome(), Some(Outcome::Approved));
        }
    }
}

#[test]
fn a_rejected_registration_is_revised_and_routed_again() {
    let mut w = World::started(&registration_approval(), demo("100000.01", "华南"));
    w.approve("director_large", "director");
    w.reject("ceo", "ceo");
    assert_eq!(w.open(), vec![("revise".into(), "sales1".into())]);
    w.ctx.data.insert("amount".into(), json!("30000"));
    w.act("revise", "sales1", Action::Submit).unwrap();
    assert_eq!(
        approve_all(&mut w),
        vec![("dept_head".into(), "manager1".into())]
    );
    assert_eq!(w.outcome(), Some(Outcome::Approved));
}

#[test]
fn a_rejected_registration_can_be_withdrawn() {
    let mut w = World::started(&registration_approval(), demo("50000", "华东"));
    w.approve("director", "director");
    w.reject("east_head", "east_head");
    w.act("revise", "sales1", Action::Withdraw).unwrap();
    assert_eq!(w.outcome(), Some(Outcome::Withdrawn));
    assert!(w.tasks.is_empty());
}

#[test]
fn the_east_head_may_return_the_registration_to_the_director() {
    let mut w = World::started(&registration_approval(), demo("80000", "华东"));
    w.approve("director", "director");
    w.act(
        "east_head",
        "east_head",
        Action::ReturnTo {
            node: "director".into(),
        },
    )
    .unwrap();
    assert_eq!(w.open(), vec![("director".into(), "director".into())]);
    let again = approve_all(&mut w);
    assert_eq!(
        again,
        vec![
            ("director".into(), "director".into()),
            ("east_head".into(), "east_head".into())
        ]
    );
}

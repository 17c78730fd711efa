//! The road ahead: `predict` names the human steps still to come and who would get them,
//! from a fresh submission or from where an instance waits, without changing anything.

use formwork_process::{CompiledProcess, PredictedStep, State, predict};
use serde_json::json;

use crate::common::{TestCtx, World, process, user};
use crate::sample::{demo, registration_approval};

fn ahead(p: &CompiledProcess, st: &State, ctx: &TestCtx) -> Vec<(String, Vec<String>)> {
    predict(p, st, ctx)
        .unwrap()
        .into_iter()
        .map(
            |PredictedStep {
                 node, assignees, ..
             }| (node, assignees),
        )
        .collect()
}

fn step(node: &str, who: &str) -> (String, Vec<String>) {
    (node.to_owned(), vec![who.to_owned()])
}

#[test]
fn a_fresh_submission_is_walked_from_the_start_by_its_data() {
    let p = CompiledProcess::compile(&registration_approval()).unwrap();
    let big_east = demo("120000", "华东");
    assert_eq!(
        ahead(&p, &State::new(), &big_east),
        vec![
            step("director_large", "director"),
            step("ceo", "ceo"),
            step("east_head", "east_head")
        ]
    );
    let small_south = demo("30000", "华南");
    assert_eq!(
        ahead(&p, &State::new(), &small_south),
        vec![step("dept_head", "manager1")]
    );
}

#[test]
fn a_running_instance_is_walked_from_after_its_current_steps() {
    let def = registration_approval();
    let mut w = World::started(&def, demo("120000", "华东"));
    assert_eq!(
        ahead(&w.p, &w.st, &w.ctx),
        vec![step("ceo", "ceo"), step("east_head", "east_head")],
        "the director's step is current, not upcoming"
    );
    let before = w.st.clone();
    w.approve("director_large", "director");
    assert_eq!(
        ahead(&w.p, &w.st, &w.ctx),
        vec![step("east_head", "east_head")]
    );
    w.approve("ceo", "ceo");
    w.approve("east_head", "east_head");
    assert_eq!(ahead(&w.p, &w.st, &w.ctx), vec![]);
    assert_ne!(before, w.st);
}

#[test]
fn parallel_branches_are_walked_in_turn_then_what_follows_the_join() {
    let def = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "split", "kind": "parallel_split"},
            {"id": "x", "kind": "approval", "assignee": user("xu")},
            {"id": "x2", "kind": "approval", "assignee": user("x2u")},
            {"id": "y", "kind": "approval", "assignee": user("yu")},
            {"id": "join", "kind": "parallel_join"},
            {"id": "z", "kind": "approval", "assignee": user("zu")},
            {"id": "ok", "kind": "end", "outcome": "approved"}
        ]),
        json!([
            {"from": "s", "to": "split"}, {"from": "split", "to": "x"},
            {"from": "split", "to": "y"}, {"from": "x", "to": "x2"}, {"from": "x2", "to": "join"},
            {"from": "y", "to": "join"}, {"from": "join", "to": "z"}, {"from": "z", "to": "ok"}
        ]),
    );
    let w = World::started(&def, TestCtx::new());
    assert_eq!(
        ahead(&w.p, &w.st, &w.ctx),
        vec![step("x2", "x2u"), step("z", "zu")]
    );
    let fresh = ahead(&w.p, &State::new(), &w.ctx);
    let order: Vec<&str> = fresh.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(order, ["x", "x2", "y", "z"]);
}

#[test]
fn the_walk_sees_values_action_nodes_would_set_and_ends_on_loops() {
    let def = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "a", "kind": "approval", "assignee": user("u1")},
            {"id": "mark", "kind": "action", "set": {"level": "\"high\""}},
            {"id": "c", "kind": "condition"},
            {"id": "high", "kind": "approval", "assignee": user("boss")},
            {"id": "ok", "kind": "end", "outcome": "approved"}
        ]),
        json!([
            {"from": "s", "to": "a"}, {"from": "a", "to": "mark"}, {"from": "mark", "to": "c"},
            {"from": "c", "to": "high", "when": "level == \"high\""},
            {"from": "c", "to": "ok", "default": true},
            {"from": "high", "to": "a"}
        ]),
    );
    let ctx = TestCtx::new().with("level", json!("low"));
    let p = CompiledProcess::compile(&def).unwrap();
    assert_eq!(
        ahead(&p, &State::new(), &ctx),
        vec![step("a", "u1"), step("high", "boss")]
    );
}

#[test]
fn a_step_whose_rule_names_nobody_shows_its_fallback() {
    let def = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "skip", "kind": "approval", "assignee": {"type": "role", "role": "none"},
             "fallback": {"type": "skip"}},
            {"id": "other", "kind": "approval", "assignee": {"type": "role", "role": "none"},
             "fallback": {"type": "user", "username": "admin"}},
            {"id": "stop", "kind": "approval", "assignee": {"type": "role", "role": "none"}},
            {"id": "ok", "kind": "end", "outcome": "approved"}
        ]),
        json!([
            {"from": "s", "to": "skip"}, {"from": "skip", "to": "other"},
            {"from": "other", "to": "stop"}, {"from": "stop", "to": "ok"}
        ]),
    );
    let p = CompiledProcess::compile(&def).unwrap();
    assert_eq!(
        ahead(&p, &State::new(), &TestCtx::new()),
        vec![step("other", "admin"), ("stop".to_owned(), vec![])]
    );
}

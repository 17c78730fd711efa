//! Validation and the engine agree: they run one analysis, so a package that validates always
//! compiles, and everything the engine refuses is refused by validation with a pointer and a
//! zh-CN/en message. The three graphs issue 8 found (valid, then 500 on every submission)
//! are refused by both now.

use formwork_model::{Problem, validate_package};
use formwork_process::{CompiledProcess, EngineError};
use serde_json::{Value, json};

use crate::common::{package, process, user};

/// The engine's problems for a process given as JSON.
fn engine_problems(p: &Value) -> Vec<Problem> {
    let def = serde_json::from_value(p.clone()).unwrap();
    match CompiledProcess::compile(&def) {
        Ok(_) => Vec::new(),
        Err(EngineError::Invalid { problems }) => problems,
        Err(other) => panic!("{other}"),
    }
}

/// Validation's problems for the process, with pointers relative to it.
fn validation_problems(p: &Value, fields: &[&str]) -> Vec<Problem> {
    match validate_package(&package(p, fields)) {
        Ok(_) => Vec::new(),
        Err(problems) => problems
            .into_iter()
            .filter_map(|mut pr| {
                pr.pointer = pr.pointer.strip_prefix("/processes/0")?.to_owned();
                Some(pr)
            })
            .collect(),
    }
}

fn as_json(def: formwork_model::ProcessDef) -> Value {
    serde_json::to_value(def).unwrap()
}

/// Both refuse with `code` at `pointer`, and validation says everything the engine says.
fn both_refuse(p: &Value, fields: &[&str], code: &str, pointer: &str) {
    let engine = engine_problems(p);
    let validation = validation_problems(p, fields);
    assert!(
        engine
            .iter()
            .any(|pr| pr.code == code && pr.pointer == pointer),
        "engine: expected {code} at {pointer}, got {engine:#?}"
    );
    for pr in &engine {
        assert!(validation.contains(pr), "validation lacks {pr}");
        assert!(!pr.message.get("zh-CN").is_empty() && !pr.message.get("en").is_empty());
    }
}

fn ap(id: &str) -> Value {
    json!({"id": id, "kind": "approval", "assignee": user("boss")})
}

fn start() -> Value {
    json!({"id": "start", "kind": "start"})
}

fn done() -> Value {
    json!({"id": "done", "kind": "end", "outcome": "approved"})
}

#[test]
fn a_split_whose_branches_reach_the_join_only_by_rejecting_is_refused_by_both() {
    // Was: validates, then "split s must meet exactly one join, meets none" on every submit.
    let p = as_json(process(
        json!([start(), {"id": "s", "kind": "parallel_split"}, ap("a"), ap("b"),
               {"id": "j", "kind": "parallel_join"}, done()]),
        json!([
            {"from": "start", "to": "s"}, {"from": "s", "to": "a"}, {"from": "s", "to": "b"},
            {"from": "a", "to": "j", "on": "reject"}, {"from": "b", "to": "j", "on": "reject"},
            {"from": "a", "to": "done"}, {"from": "b", "to": "done"}, {"from": "j", "to": "done"}
        ]),
    ));
    both_refuse(&p, &[], "split_without_join", "/nodes/1");
}

#[test]
fn a_join_closing_two_splits_is_refused_by_both() {
    // Was: validates, then "join j closes both s1 and s2".
    let p = as_json(process(
        json!([start(), {"id": "s1", "kind": "parallel_split"}, ap("a"), ap("b"),
               {"id": "s2", "kind": "parallel_split"}, ap("c"), ap("d"),
               {"id": "j", "kind": "parallel_join"}, done()]),
        json!([
            {"from": "start", "to": "s1"}, {"from": "s1", "to": "a"}, {"from": "s1", "to": "b"},
            {"from": "a", "to": "j"}, {"from": "b", "to": "j"},
            {"from": "a", "to": "s2", "on": "reject"},
            {"from": "s2", "to": "c"}, {"from": "s2", "to": "d"},
            {"from": "c", "to": "j"}, {"from": "d", "to": "j"}, {"from": "j", "to": "done"}
        ]),
    ));
    both_refuse(&p, &[], "join_closes_several_splits", "/nodes/7");
}

#[test]
fn a_forward_edge_into_the_middle_of_a_branch_is_refused_by_both() {
    // Was: validates, then "edge c → a2 crosses into a parallel branch".
    let p = as_json(process(
        json!([start(), {"id": "c", "kind": "condition"}, {"id": "s", "kind": "parallel_split"},
               ap("a1"), ap("a2"), ap("b"), {"id": "j", "kind": "parallel_join"}, done()]),
        json!([
            {"from": "start", "to": "c"},
            {"from": "c", "to": "s", "when": "amount > 10"},
            {"from": "c", "to": "a2", "default": true},
            {"from": "s", "to": "a1"}, {"from": "s", "to": "b"},
            {"from": "a1", "to": "a2"}, {"from": "a2", "to": "j"}, {"from": "b", "to": "j"},
            {"from": "j", "to": "done"}
        ]),
    ));
    both_refuse(&p, &["amount"], "edge_into_branch", "/edges/2");
}

#[test]
fn a_return_edge_into_a_branch_is_allowed_and_runs() {
    let p = as_json(process(
        json!([start(), {"id": "s", "kind": "parallel_split"}, ap("a1"), ap("a2"), ap("b"),
               {"id": "j", "kind": "parallel_join"}, ap("z"), done()]),
        json!([
            {"from": "start", "to": "s"}, {"from": "s", "to": "a1"}, {"from": "s", "to": "b"},
            {"from": "a1", "to": "a2"}, {"from": "a2", "to": "j"}, {"from": "b", "to": "j"},
            {"from": "j", "to": "z"}, {"from": "z", "to": "done"},
            {"from": "z", "to": "a2", "on": "return"}
        ]),
    ));
    assert_eq!(engine_problems(&p), vec![]);
    assert_eq!(validation_problems(&p, &[]), vec![]);
}

#[test]
fn structural_faults_are_refused_by_both_with_their_codes() {
    let s = json!({"id": "s", "kind": "start"});
    let e = json!({"id": "e", "kind": "end", "outcome": "approved"});
    let a = json!({"id": "a", "kind": "approval", "assignee": user("u")});
    let cases = [
        (json!([s, e]), json!([]), "cannot_reach_end", "/nodes/0"),
        (json!([e]), json!([]), "no_start", "/nodes"),
        (
            json!([s, s, e]),
            json!([{"from": "s", "to": "e"}]),
            "duplicate_id",
            "/nodes/1/id",
        ),
        (
            json!([s, e]),
            json!([{"from": "s", "to": "x"}]),
            "unknown_node",
            "/edges/0/to",
        ),
        (
            json!([s, a, e]),
            json!([{"from": "s", "to": "a"}, {"from": "a", "to": "e", "on": "reject"}]),
            "missing_edge_action",
            "/nodes/1",
        ),
        (
            json!([s, {"id": "c", "kind": "condition"}, e]),
            json!([{"from": "s", "to": "c"}, {"from": "c", "to": "e"}]),
            "condition_edge_without_when",
            "/edges/1",
        ),
        (
            json!([s, {"id": "p", "kind": "parallel_split"}, e]),
            json!([{"from": "s", "to": "p"}, {"from": "p", "to": "e"}]),
            "split_without_join",
            "/nodes/1",
        ),
        (
            json!([s, a, e]),
            json!([{"from": "s", "to": "a"}, {"from": "a", "to": "e"},
                   {"from": "a", "to": "e", "on": "timeout"}]),
            "timeout_without_deadline",
            "/nodes/1",
        ),
    ];
    for (nodes, edges, code, pointer) in cases {
        both_refuse(&as_json(process(nodes, edges)), &[], code, pointer);
    }
}

#[test]
fn the_sample_process_validates_and_compiles() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../apps/project-registration.json"
    );
    let app = formwork_model::parse_package(&std::fs::read_to_string(path).unwrap()).unwrap();
    for p in &app.processes {
        CompiledProcess::compile(p).unwrap();
    }
}

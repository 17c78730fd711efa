//! `ProcessGraph` as the engine uses it: lookups, edges in order, actions and split/join pairs.

use formwork_model::{AppDef, ProcessDef, ProcessGraph, parse_package};
use serde_json::json;

fn sample() -> AppDef {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../apps/project-registration.json"
    );
    parse_package(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn process(nodes: serde_json::Value, edges: serde_json::Value) -> ProcessDef {
    serde_json::from_value(json!({
        "id": "p", "name": {"zh-CN": "流程"}, "form": "f", "nodes": nodes, "edges": edges
    }))
    .unwrap()
}

#[test]
fn sample_process_graph_has_no_faults() {
    let app = sample();
    let graph = ProcessGraph::build(app.process("registration_approval").unwrap());
    assert_eq!(graph.problems(), &[]);
    assert_eq!(graph.node_at(graph.start().unwrap()).unwrap().id, "start");
}

#[test]
fn outgoing_edges_keep_definition_order_for_condition_evaluation() {
    let app = sample();
    let graph = ProcessGraph::build(app.process("registration_approval").unwrap());
    let targets: Vec<_> = graph
        .outgoing("route_amount")
        .iter()
        .map(|(_, e)| e.to.as_str())
        .collect();
    assert_eq!(
        targets,
        [
            "dept_head_approval",
            "director_approval",
            "director_approval_large"
        ]
    );
    let into_revise = graph.incoming("revise").len();
    assert_eq!(into_revise, 5);
}

#[test]
fn edge_on_finds_the_edge_an_action_takes() {
    let app = sample();
    let graph = ProcessGraph::build(app.process("registration_approval").unwrap());
    assert_eq!(
        graph.edge_on("ceo_approval", "reject").unwrap().to,
        "revise"
    );
    assert_eq!(
        graph.edge_on("revise", "submit").unwrap().to,
        "route_amount"
    );
    assert_eq!(graph.edge_on("revise", "withdraw").unwrap().to, "withdrawn");
    assert!(graph.edge_on("revise", "approve").is_none());
}

#[test]
fn edge_without_on_answers_to_approve_or_submit() {
    let p = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "a", "kind": "approval", "assignee": {"type": "submitter"}},
            {"id": "f", "kind": "fill", "assignee": {"type": "submitter"}},
            {"id": "e", "kind": "end", "outcome": "completed"}
        ]),
        json!([
            {"from": "s", "to": "a"},
            {"from": "a", "to": "f"},
            {"from": "f", "to": "e"}
        ]),
    );
    let graph = ProcessGraph::build(&p);
    assert_eq!(graph.edge_on("a", "approve").unwrap().to, "f");
    assert_eq!(graph.edge_on("f", "submit").unwrap().to, "e");
    assert_eq!(graph.problems(), &[]);
}

#[test]
fn nested_splits_pair_with_their_own_joins() {
    let p = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "outer", "kind": "parallel_split"},
            {"id": "inner", "kind": "parallel_split"},
            {"id": "a", "kind": "approval", "assignee": {"type": "submitter"}},
            {"id": "b", "kind": "approval", "assignee": {"type": "submitter"}},
            {"id": "inner_join", "kind": "parallel_join"},
            {"id": "c", "kind": "cc", "assignee": {"type": "submitter"}},
            {"id": "outer_join", "kind": "parallel_join"},
            {"id": "e", "kind": "end", "outcome": "completed"}
        ]),
        json!([
            {"from": "s", "to": "outer"},
            {"from": "outer", "to": "inner"},
            {"from": "outer", "to": "c"},
            {"from": "inner", "to": "a"},
            {"from": "inner", "to": "b"},
            {"from": "a", "to": "inner_join"},
            {"from": "b", "to": "inner_join"},
            {"from": "inner_join", "to": "outer_join"},
            {"from": "c", "to": "outer_join"},
            {"from": "outer_join", "to": "e"}
        ]),
    );
    let graph = ProcessGraph::build(&p);
    assert_eq!(graph.problems(), &[]);
    assert_eq!(graph.join_of("outer"), Some("outer_join"));
    assert_eq!(graph.join_of("inner"), Some("inner_join"));
    assert_eq!(graph.join_of("a"), None);
}

#[test]
fn rejecting_out_of_a_parallel_branch_still_pairs_the_split() {
    let p = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "split", "kind": "parallel_split"},
            {"id": "a", "kind": "approval", "assignee": {"type": "submitter"}},
            {"id": "b", "kind": "approval", "assignee": {"type": "submitter"}},
            {"id": "join", "kind": "parallel_join"},
            {"id": "ok", "kind": "end", "outcome": "approved"},
            {"id": "no", "kind": "end", "outcome": "rejected"}
        ]),
        json!([
            {"from": "s", "to": "split"},
            {"from": "split", "to": "a"},
            {"from": "split", "to": "b"},
            {"from": "a", "to": "join"},
            {"from": "a", "to": "no", "on": "reject"},
            {"from": "b", "to": "join"},
            {"from": "b", "to": "no", "on": "reject"},
            {"from": "join", "to": "ok"}
        ]),
    );
    let graph = ProcessGraph::build(&p);
    assert_eq!(graph.problems(), &[]);
    assert_eq!(graph.join_of("split"), Some("join"));
}

#[test]
fn graph_indices_point_back_into_the_definition() {
    let app = sample();
    let def = app.process("registration_approval").unwrap();
    let graph = ProcessGraph::build(def);
    let ix = graph.index("revise").unwrap();
    let position = graph.graph()[petgraph::graph::NodeIndex::new(ix)];
    assert_eq!(def.nodes[position].id, "revise");
    assert_eq!(graph.node_at(ix).unwrap().id, "revise");
    assert_eq!(graph.def(), def);
}

/// s → split → (a [reject → fix → a] → join | b → cc → b_end) → join → ok; a reject of b ends
/// the instance at `no`.
fn block_with_rework_and_tail() -> ProcessDef {
    process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "split", "kind": "parallel_split"},
            {"id": "a", "kind": "approval", "assignee": {"type": "submitter"}},
            {"id": "fix", "kind": "fill", "assignee": {"type": "submitter"}},
            {"id": "b", "kind": "approval", "assignee": {"type": "submitter"}},
            {"id": "cc", "kind": "cc", "assignee": {"type": "submitter"}},
            {"id": "b_end", "kind": "end", "outcome": "completed"},
            {"id": "no", "kind": "end", "outcome": "rejected"},
            {"id": "join", "kind": "parallel_join"},
            {"id": "ok", "kind": "end", "outcome": "approved"}
        ]),
        json!([
            {"from": "s", "to": "split"}, {"from": "split", "to": "a"}, {"from": "split", "to": "b"},
            {"from": "a", "to": "join"}, {"from": "a", "to": "fix", "on": "reject"},
            {"from": "fix", "to": "a"}, {"from": "b", "to": "cc"}, {"from": "cc", "to": "b_end"},
            {"from": "b", "to": "no", "on": "reject"}, {"from": "join", "to": "ok"}
        ]),
    )
}

#[test]
fn rework_steps_and_branch_ends_belong_to_their_branch_but_reject_ends_do_not() {
    let graph = ProcessGraph::build(&block_with_rework_and_tail());
    assert_eq!(graph.problems(), &[]);
    let branch = |id: &str| {
        graph
            .scopes(graph.index(id).unwrap())
            .iter()
            .map(|s| (s.branch, s.fixed))
            .collect::<Vec<_>>()
    };
    assert_eq!(branch("a"), [(0, true)]);
    assert_eq!(branch("fix"), [(0, true)], "a's own fix step");
    assert_eq!(branch("cc"), [(1, true)]);
    assert_eq!(branch("b_end"), [(1, true)], "ends only branch b");
    assert_eq!(branch("no"), [], "a rejection ends the whole instance");
    assert_eq!(branch("split"), []);
    assert_eq!(branch("join"), []);
    assert_eq!(graph.join_of("split"), Some("join"));
}

#[test]
fn nested_blocks_are_listed_outermost_first() {
    let p = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "outer", "kind": "parallel_split"},
            {"id": "inner", "kind": "inclusive_split"},
            {"id": "a", "kind": "approval", "assignee": {"type": "submitter"}},
            {"id": "b", "kind": "approval", "assignee": {"type": "submitter"}},
            {"id": "inner_join", "kind": "parallel_join", "required": 1},
            {"id": "c", "kind": "approval", "assignee": {"type": "submitter"}},
            {"id": "outer_join", "kind": "parallel_join"},
            {"id": "e", "kind": "end", "outcome": "completed"}
        ]),
        json!([
            {"from": "s", "to": "outer"}, {"from": "outer", "to": "inner"}, {"from": "outer", "to": "c"},
            {"from": "inner", "to": "a", "when": "x"}, {"from": "inner", "to": "b", "default": true},
            {"from": "a", "to": "inner_join"}, {"from": "b", "to": "inner_join"},
            {"from": "inner_join", "to": "outer_join"}, {"from": "c", "to": "outer_join"},
            {"from": "outer_join", "to": "e"}
        ]),
    );
    let graph = ProcessGraph::build(&p);
    assert_eq!(graph.problems(), &[]);
    let splits = |id: &str| {
        graph
            .scopes(graph.index(id).unwrap())
            .iter()
            .map(|s| {
                graph
                    .node_at(graph.blocks()[s.block].split)
                    .unwrap()
                    .id
                    .clone()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(splits("b"), ["outer", "inner"]);
    assert_eq!(splits("inner_join"), ["outer"]);
    assert_eq!(splits("c"), ["outer"]);
    let inner = &graph.blocks()[graph.block_of_split(graph.index("inner").unwrap()).unwrap()];
    assert!(inner.inclusive);
    assert_eq!(inner.required, Some(1));
    assert_eq!(inner.branches(), 2);
}

#[test]
fn the_revise_step_is_the_submitters_first_fill_outside_every_block() {
    let graph = ProcessGraph::build(&block_with_rework_and_tail());
    assert_eq!(graph.revise_step(), None, "fix lies inside a branch");
    let app = sample();
    let graph = ProcessGraph::build(app.process("registration_approval").unwrap());
    let revise = graph
        .revise_step()
        .map(|i| graph.node_at(i).unwrap().id.as_str());
    assert_eq!(revise, Some("revise"));
}

//! Property tests over random graphs, well-formed and malformed:
//! - every graph the engine refuses, validation refuses with the same pointer, code and
//!   message, and every graph that validates compiles;
//! - every graph that validates runs random events (people, timers, the submitter, admins)
//!   without an engine error or panic, keeping the store's invariants: one task per key, one
//!   open task per (node, assignee, round), timers matching the state, a join firing at most
//!   once per round of its block.

use formwork_model::{Outcome, ProcessDef, validate_package};
use formwork_process::{
    Action, CompiledProcess, Effect, EngineError, Event, HistoryAction, TaskRef, TimerKey,
};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::common::{TestCtx, World, package};

mod render;

use render::{Block, HumanSpec, Rendered, render};

/// Condition fields mutations and random graphs may use.
const POOL: [&str; 4] = ["f0", "f1", "f2", "f3"];

fn human() -> impl Strategy<Value = HumanSpec> {
    (
        prop::bool::weighted(0.2),
        0u8..5,
        0u8..4,
        0u8..3,
        any::<bool>(),
        prop::option::weighted(0.35, 0u8..5),
        0u8..5,
    )
        .prop_map(
            |(fill, mode, people, fallback, repeat, deadline, back)| HumanSpec {
                fill,
                mode,
                people,
                fallback,
                repeat,
                deadline,
                back,
            },
        )
}

fn block() -> impl Strategy<Value = Block> {
    let leaf = prop_oneof![
        5 => human().prop_map(Block::Human),
        1 => Just(Block::Cc),
        1 => Just(Block::Action),
        1 => any::<bool>().prop_map(|timed| Block::Wait { timed }),
    ];
    leaf.prop_recursive(3, 24, 3, |inner| {
        let branch = prop::collection::vec(inner.clone(), 0..3);
        prop_oneof![
            prop::collection::vec(prop::collection::vec(inner, 1..3), 1..4).prop_map(Block::Cond),
            (
                prop::collection::vec((branch, 0u8..6), 1..4),
                any::<bool>(),
                prop::option::weighted(0.3, 1u8..4),
            )
                .prop_map(|(branches, inclusive, required)| Block::Par {
                    branches,
                    inclusive,
                    required,
                }),
        ]
    })
}

/// A change that may break a graph.
#[derive(Debug, Clone)]
enum Mutation {
    AddEdge {
        from: usize,
        to: usize,
        on: u8,
        gate: u8,
    },
    RemoveEdge(usize),
    Retarget {
        edge: usize,
        to: usize,
    },
    Rekind {
        node: usize,
        kind: u8,
    },
    /// A return or reject edge between two human steps: allowed anywhere, into or across
    /// parallel branches.
    BackEdge {
        from: usize,
        to: usize,
        reject: bool,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), any::<usize>(), 0u8..8, 0u8..4)
            .prop_map(|(from, to, on, gate)| Mutation::AddEdge { from, to, on, gate }),
        1 => any::<usize>().prop_map(Mutation::RemoveEdge),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(edge, to)| Mutation::Retarget { edge, to }),
        1 => (any::<usize>(), 0u8..7).prop_map(|(node, kind)| Mutation::Rekind { node, kind }),
        4 => (any::<usize>(), any::<usize>(), any::<bool>())
            .prop_map(|(from, to, reject)| Mutation::BackEdge { from, to, reject }),
    ]
}

fn mutate(def: &mut Value, m: &Mutation) {
    let approvals: Vec<String> = def["nodes"]
        .as_array()
        .map(|n| {
            n.iter()
                .filter(|n| n["kind"] == "approval")
                .filter_map(|n| n["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let humans: Vec<String> = def["nodes"]
        .as_array()
        .map(|n| {
            n.iter()
                .filter(|n| n["kind"] == "approval" || n["kind"] == "fill")
                .filter_map(|n| n["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let ids: Vec<String> = def["nodes"]
        .as_array()
        .map(|n| {
            n.iter()
                .filter_map(|n| n["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let edges = def["edges"].as_array_mut().expect("edges");
    match *m {
        Mutation::AddEdge { from, to, on, gate } => {
            let mut edge = json!({"from": ids[from % ids.len()], "to": ids[to % ids.len()]});
            let ons = [
                "approve", "reject", "return", "submit", "withdraw", "timeout",
            ];
            if let Some(on) = ons.get(on as usize) {
                edge["on"] = json!(on);
            }
            match gate {
                0 => edge["when"] = json!(POOL[from % POOL.len()]),
                1 => edge["default"] = json!(true),
                _ => {}
            }
            edges.push(edge);
        }
        Mutation::BackEdge { from, to, reject } if !approvals.is_empty() => {
            let from = &approvals[from % approvals.len()];
            let to = &humans[to % humans.len()];
            let on = if reject { "reject" } else { "return" };
            if !edges.iter().any(|e| e["from"] == *from && e["on"] == on) {
                edges.push(json!({"from": from, "to": to, "on": on}));
            }
        }
        Mutation::RemoveEdge(e) if !edges.is_empty() => {
            let at = e % edges.len();
            edges.remove(at);
        }
        Mutation::Retarget { edge, to } if !edges.is_empty() => {
            let at = edge % edges.len();
            edges[at]["to"] = json!(ids[to % ids.len()]);
        }
        Mutation::Rekind { node, kind } => {
            let nodes = def["nodes"].as_array_mut().expect("nodes");
            let at = node % nodes.len();
            let id = nodes[at]["id"].clone();
            nodes[at] = match kind {
                0 => json!({"id": id, "kind": "cc", "assignee": {"type": "submitter"}}),
                1 => json!({"id": id, "kind": "condition"}),
                2 => json!({"id": id, "kind": "parallel_split"}),
                3 => json!({"id": id, "kind": "inclusive_split"}),
                4 => json!({"id": id, "kind": "parallel_join"}),
                5 => json!({"id": id, "kind": "end", "outcome": "completed"}),
                _ => json!({"id": id, "kind": "approval", "assignee": {"type": "submitter"}}),
            };
        }
        _ => {}
    }
}

/// A graph of random nodes and edges, nearly always malformed.
fn random_graph() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(0u8..7, 2..9),
        prop::collection::vec(mutation(), 1..16),
    )
        .prop_map(|(kinds, mutations)| {
            let nodes: Vec<Value> = kinds
                .iter()
                .enumerate()
                .map(|(i, _)| json!({"id": format!("n{i}"), "kind": "start"}))
                .collect();
            let mut def = json!({"id": "p", "name": {"zh-CN": "流程"}, "form": "f",
                                 "nodes": nodes, "edges": []});
            for (i, &kind) in kinds.iter().enumerate().skip(1) {
                mutate(&mut def, &Mutation::Rekind { node: i, kind });
            }
            for m in &mutations {
                mutate(&mut def, m);
            }
            def
        })
}

/// The engine's problems, or `None` when it compiles.
fn engine_refusal(def: &ProcessDef) -> Option<Vec<formwork_model::Problem>> {
    match CompiledProcess::compile(def) {
        Ok(_) => None,
        Err(EngineError::Invalid { problems }) => Some(problems),
        Err(other) => panic!("compile failed otherwise: {other}"),
    }
}

/// Validation and the engine agree on `def`; returns whether the package validates.
fn agree(def: &Value, fields: &[String]) -> Result<bool, TestCaseError> {
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    let validated = validate_package(&package(def, &fields));
    let Ok(typed) = serde_json::from_value::<ProcessDef>(def.clone()) else {
        prop_assert!(validated.is_err(), "an unreadable process validated");
        return Ok(false);
    };
    let refused = engine_refusal(&typed);
    match (&validated, refused) {
        (Ok(_), Some(problems)) => {
            prop_assert!(false, "validated, but the engine refuses: {problems:#?}");
        }
        (Err(found), Some(problems)) => {
            for problem in problems {
                let at = format!("/processes/0{}", problem.pointer);
                prop_assert!(
                    found.iter().any(|f| f.pointer == at
                        && f.code == problem.code
                        && f.message == problem.message),
                    "the engine refuses {problem} but validation does not say so: {found:#?}"
                );
            }
        }
        _ => {}
    }
    Ok(validated.is_ok())
}

#[derive(Debug, Clone)]
enum Op {
    /// Act on an open task: codes 0..5 are the step's forward action, the rest raw actions.
    Decide {
        pick: usize,
        code: u8,
        user: u8,
        before: bool,
    },
    Fire {
        pick: usize,
    },
    Withdraw {
        by_submitter: bool,
    },
    /// Act on a task that was already closed, or fire a timer that is not scheduled.
    Stale {
        pick: usize,
    },
    /// An admin's operation: cancel, retry, move to a node, reassign a task.
    Admin {
        what: u8,
        pick: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (any::<usize>(), 0u8..14, 0u8..6, any::<bool>())
            .prop_map(|(pick, code, user, before)| Op::Decide { pick, code, user, before }),
        2 => any::<usize>().prop_map(|pick| Op::Fire { pick }),
        1 => any::<bool>().prop_map(|by_submitter| Op::Withdraw { by_submitter }),
        1 => any::<usize>().prop_map(|pick| Op::Stale { pick }),
        1 => (0u8..4, any::<usize>()).prop_map(|(what, pick)| Op::Admin { what, pick }),
    ]
}

fn context(flags: &[String], truth: &[bool]) -> TestCtx {
    let mut ctx = TestCtx::new()
        .with("past", json!("2020-01-01T00:00:00Z"))
        .people("role:r1", &["u1"])
        .people("role:r2", &["u1", "u2"])
        .people("role:r3", &["u1", "u2", "u3"]);
    ctx.heads.insert("u1".into(), "boss".into());
    let all = flags.iter().map(String::as_str).chain(POOL);
    for (i, flag) in all.enumerate() {
        ctx.flags.insert(flag.to_owned(), truth[i % truth.len()]);
    }
    ctx
}

fn action_for(
    task: &TaskRef,
    w: &World,
    code: u8,
    user: u8,
    before: bool,
    nodes: &[String],
) -> Action {
    let someone = format!("u{user}");
    let forward = match w.p.node(&task.node).map(|n| &n.kind) {
        Some(formwork_model::NodeKind::Approval(_)) => Action::Approve,
        _ => Action::Submit,
    };
    let passed: Vec<&String> = w.st.passed.iter().collect();
    match code {
        0..=4 => forward,
        5 => Action::Reject,
        6 => Action::Withdraw,
        7 | 8 if !passed.is_empty() => Action::ReturnTo {
            node: passed[usize::from(user) % passed.len()].clone(),
        },
        7..=9 => Action::ReturnTo {
            node: nodes[usize::from(user) % nodes.len()].clone(),
        },
        10 => Action::Transfer { to: someone },
        11 => Action::AddSigner {
            user: someone,
            before,
        },
        12 => Action::ReturnToSubmitter,
        _ => Action::Submit,
    }
}

/// How many timeline rows at `node` have the same action tag as `like`.
fn count(w: &World, node: &str, like: &HistoryAction) -> usize {
    w.log
        .iter()
        .filter(|e| match e {
            Effect::History(h) => {
                h.node.as_deref() == Some(node)
                    && std::mem::discriminant(&h.action) == std::mem::discriminant(like)
            }
            _ => false,
        })
        .count()
}

/// Errors a person or admin can cause; anything else is the engine's fault.
fn allowed(err: &EngineError) -> bool {
    matches!(
        err,
        EngineError::NotAllowed { .. } | EngineError::NotRunning | EngineError::TaskNotOpen { .. }
    )
}

fn admin(
    w: &mut World,
    what: u8,
    pick: usize,
    nodes: &[String],
) -> Result<Vec<Effect>, EngineError> {
    let by = "admin".to_owned();
    let event = match what {
        0 => Event::Cancel {
            by,
            outcome: if pick.is_multiple_of(2) {
                Outcome::Rejected
            } else {
                Outcome::Withdrawn
            },
        },
        1 => Event::Retry { by },
        2 => Event::MoveTo {
            by,
            node: nodes[pick % nodes.len()].clone(),
        },
        _ => {
            let open: Vec<TaskRef> = w.tasks.values().cloned().collect();
            let Some(task) = open.get(pick % open.len().max(1)).cloned() else {
                return Ok(Vec::new());
            };
            Event::Reassign {
                by,
                task,
                to: format!("u{}", pick % 6),
            }
        }
    };
    w.send(event)
}

/// Drives one validated process with random events and checks every step; with `to_the_end`,
/// then approves until it is over.
fn drive(
    def: &ProcessDef,
    ctx: TestCtx,
    ops: Vec<Op>,
    pairs: &[(String, String)],
    to_the_end: bool,
) -> Result<(), TestCaseError> {
    let nodes: Vec<String> = def.nodes.iter().map(|n| n.id.clone()).collect();
    let mut w = World::new(def, ctx);
    w.send(Event::Start)
        .map_err(|e| TestCaseError::fail(format!("start: {e}")))?;
    let mut closed: Vec<TaskRef> = Vec::new();
    for op in ops {
        let before_tasks = w.tasks.clone();
        let result = match op {
            Op::Decide {
                pick,
                code,
                user,
                before,
            } => {
                let open: Vec<TaskRef> = w.tasks.values().cloned().collect();
                if open.is_empty() {
                    continue;
                }
                let task = open[pick % open.len()].clone();
                let action = action_for(&task, &w, code, user, before, &nodes);
                w.send(Event::Decide { task, action })
            }
            Op::Fire { pick } => {
                let keys: Vec<TimerKey> = w.timers.keys().cloned().collect();
                if keys.is_empty() {
                    continue;
                }
                let key = keys[pick % keys.len()].clone();
                let (at, _) = w.timers.remove(&key).expect("scheduled");
                w.now = w.now.max(at);
                let result = w.send(Event::TimerFired { key });
                prop_assert!(result.is_ok(), "timer: {result:?}");
                result
            }
            Op::Withdraw { by_submitter } => {
                let by = if by_submitter { "sales1" } else { "u1" };
                w.send(Event::Withdraw { by: by.into() })
            }
            Op::Stale { pick } => {
                if closed.is_empty() {
                    let fx = w.send(Event::TimerFired {
                        key: TimerKey("nope".into()),
                    });
                    prop_assert_eq!(fx, Ok(vec![]));
                    continue;
                }
                let task = closed[pick % closed.len()].clone();
                let result = w.send(Event::Decide {
                    task,
                    action: Action::Approve,
                });
                prop_assert!(
                    matches!(
                        result,
                        Err(EngineError::TaskNotOpen { .. } | EngineError::NotRunning)
                    ),
                    "a closed task was decided: {result:?}"
                );
                result
            }
            Op::Admin { what, pick } => admin(&mut w, what, pick, &nodes),
        };
        if let Err(e) = &result {
            prop_assert!(allowed(e), "the engine failed: {e}");
        } else {
            closed.extend(
                before_tasks
                    .into_iter()
                    .filter(|(k, _)| !w.tasks.contains_key(k))
                    .map(|(_, t)| t),
            );
        }
        for (split, join) in pairs {
            let runs = count(
                &w,
                split,
                &HistoryAction::BranchesStarted {
                    branches: 0,
                    again: false,
                },
            );
            let joins = count(&w, join, &HistoryAction::Joined);
            prop_assert!(
                joins <= runs,
                "{join} fired {joins} times for {runs} rounds of {split}"
            );
        }
    }
    if to_the_end { finish(&mut w) } else { Ok(()) }
}

/// Approves, submits and lets timers fire until the instance is over: it must end or stop,
/// never wait on a branch nobody is in. (Only for well-formed graphs: a mutated one may loop
/// for ever on approvals alone.)
fn finish(w: &mut World) -> Result<(), TestCaseError> {
    for _ in 0..200 {
        if !w.st.is_live() {
            return Ok(());
        }
        if let Some(task) = w.tasks.values().next().cloned() {
            let action = match w.p.node(&task.node).map(|n| &n.kind) {
                Some(formwork_model::NodeKind::Approval(_)) => Action::Approve,
                _ => Action::Submit,
            };
            let result = w.send(Event::Decide {
                task: task.clone(),
                action,
            });
            if let Err(EngineError::NotAllowed { .. }) = result {
                // A returned record waits for its submitter, who resubmits.
                w.send(Event::Decide {
                    task,
                    action: Action::Submit,
                })
                .map_err(|e| TestCaseError::fail(format!("finishing: {e}")))?;
            } else {
                result.map_err(|e| TestCaseError::fail(format!("finishing: {e}")))?;
            }
            continue;
        }
        let Some(key) = w.timers.keys().next().cloned() else {
            let state = &w.st;
            return Err(TestCaseError::fail(format!(
                "live with nothing to do: {state:#?}"
            )));
        };
        let (at, _) = w.timers.remove(&key).expect("scheduled");
        w.now = w.now.max(at);
        w.send(Event::TimerFired { key })
            .map_err(|e| TestCaseError::fail(format!("finishing timer: {e}")))?;
    }
    prop_assert!(!w.st.is_live(), "the instance never finished: {:#?}", w.st);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 320, ..ProptestConfig::default() })]

    #[test]
    fn well_formed_graphs_validate_compile_and_run_random_events(
        body in prop::collection::vec(block(), 1..4),
        truth in prop::collection::vec(any::<bool>(), 1..8),
        ops in prop::collection::vec(op(), 0..40),
    ) {
        let Rendered { def, flags, pairs } = render(&body);
        let mut fields = flags.clone();
        fields.extend(["past", "note"].map(String::from));
        let ok = agree(&def, &fields)?;
        let why = validate_package(&package(&def, &fields.iter().map(String::as_str).collect::<Vec<_>>())).err();
        prop_assert!(ok, "a well-formed graph did not validate: {def}\n{why:#?}");
        let typed: ProcessDef = serde_json::from_value(def).expect("process");
        drive(&typed, context(&flags, &truth), ops, &pairs, true)?;
    }

    #[test]
    fn mutated_graphs_run_whenever_they_validate(
        body in prop::collection::vec(block(), 1..3),
        mutations in prop::collection::vec(mutation(), 1..4),
        truth in prop::collection::vec(any::<bool>(), 1..8),
        ops in prop::collection::vec(op(), 0..30),
    ) {
        let Rendered { mut def, flags, pairs } = render(&body);
        for m in &mutations {
            mutate(&mut def, m);
        }
        let mut fields = flags.clone();
        fields.extend(["past", "note"].map(String::from));
        fields.extend(POOL.map(String::from));
        if agree(&def, &fields)? {
            let typed: ProcessDef = serde_json::from_value(def).expect("process");
            drive(&typed, context(&flags, &truth), ops, &pairs, false)?;
        }
    }

    #[test]
    fn random_graphs_refused_by_the_engine_are_refused_by_validation(
        def in random_graph(),
        truth in prop::collection::vec(any::<bool>(), 1..4),
        ops in prop::collection::vec(op(), 0..20),
    ) {
        let fields: Vec<String> = POOL.map(String::from).to_vec();
        if agree(&def, &fields)? {
            let typed: ProcessDef = serde_json::from_value(def).expect("process");
            drive(&typed, context(&[], &truth), ops, &[], false)?;
        }
    }
}

#[test]
fn the_renderer_covers_the_new_gateways() {
    let branch = |b: Vec<Block>, end: u8| (b, end);
    let spec = HumanSpec {
        fill: false,
        mode: 0,
        people: 1,
        fallback: 0,
        repeat: false,
        deadline: Some(4),
        back: 3,
    };
    let body = vec![Block::Par {
        branches: vec![
            branch(vec![Block::Human(spec.clone())], 0),
            branch(vec![Block::Human(spec.clone())], 1),
            branch(vec![Block::Cc], 2),
        ],
        inclusive: true,
        required: Some(2),
    }];
    let Rendered { def, flags, .. } = render(&body);
    let mut fields = flags.clone();
    fields.extend(["past", "note"].map(String::from));
    let text = def.to_string();
    for needle in [
        "inclusive_split",
        "\"required\":2",
        "\"terminate\":true",
        "\"on\":\"timeout\"",
    ] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
    assert!(agree(&def, &fields).unwrap(), "{def:#}");
}

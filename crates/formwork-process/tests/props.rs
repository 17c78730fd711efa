//! Property tests: random valid processes driven by random events never panic, never leave a
//! live instance without a position, and never open two tasks with one key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestCtx, World, process};
use formwork_process::{Action, Effect, EngineError, Event, HistoryAction, TaskRef, TimerKey};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone)]
struct HumanSpec {
    fill: bool,
    mode: u8,
    people: u8,
    fallback: u8,
    repeat: bool,
    escalate: Option<u8>,
    reject: u8,
}

/// A structured piece of process, valid by construction.
#[derive(Debug, Clone)]
enum Block {
    Human(HumanSpec),
    Cc,
    Action,
    Wait {
        timed: bool,
    },
    /// Branches in edge order; the last one is the default.
    Cond(Vec<Vec<Block>>),
    /// Branches of a split; an empty branch is a direct split → join edge.
    Par(Vec<Vec<Block>>),
}

fn human() -> impl Strategy<Value = HumanSpec> {
    (
        prop::bool::weighted(0.2),
        0u8..5,
        0u8..4,
        0u8..3,
        any::<bool>(),
        prop::option::weighted(0.3, 0u8..4),
        0u8..3,
    )
        .prop_map(
            |(fill, mode, people, fallback, repeat, escalate, reject)| HumanSpec {
                fill,
                mode,
                people,
                fallback,
                repeat,
                escalate,
                reject,
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
        prop_oneof![
            prop::collection::vec(prop::collection::vec(inner.clone(), 1..3), 1..4)
                .prop_map(Block::Cond),
            prop::collection::vec(prop::collection::vec(inner, 0..3), 1..4).prop_map(Block::Par),
        ]
    })
}

/// An exit of a rendered piece still to be connected: the node and the edge's extra keys.
type Exit = (String, Map<String, Value>);

#[derive(Default)]
struct Render {
    nodes: Vec<Value>,
    edges: Vec<Value>,
    n: usize,
    flags: Vec<String>,
    /// (split, join) ids.
    pairs: Vec<(String, String)>,
}

impl Render {
    fn id(&mut self, prefix: &str) -> String {
        self.n += 1;
        format!("{prefix}{}", self.n)
    }

    fn connect(&mut self, exits: Vec<Exit>, to: &str) {
        for (from, extra) in exits {
            let mut edge = extra;
            edge.insert("from".into(), json!(from));
            edge.insert("to".into(), json!(to));
            self.edges.push(Value::Object(edge));
        }
    }

    fn seq(&mut self, blocks: &[Block], mut exits: Vec<Exit>) -> Vec<Exit> {
        for block in blocks {
            exits = self.block(block, exits);
        }
        exits
    }

    fn block(&mut self, block: &Block, exits: Vec<Exit>) -> Vec<Exit> {
        let plain = |id: &str| vec![(id.to_owned(), Map::new())];
        match block {
            Block::Human(h) => {
                let id = self.id(if h.fill { "f" } else { "a" });
                self.connect(exits, &id);
                let assignee = json!({"type": "role", "role": format!("r{}", h.people)});
                let mut node = if h.fill {
                    json!({"id": id, "kind": "fill", "assignee": assignee})
                } else {
                    let mode = ["single", "all", "any", "sequential", "vote"][h.mode as usize];
                    let fallback = [
                        json!({"type": "stop"}),
                        json!({"type": "skip"}),
                        json!({"type": "user", "username": "u4"}),
                    ][h.fallback as usize]
                        .clone();
                    json!({"id": id, "kind": "approval", "assignee": assignee, "mode": mode,
                           "ratio": 0.5, "fallback": fallback, "auto_approve_repeat": h.repeat})
                };
                if let Some(e) = h.escalate {
                    let escalate = [
                        json!({"type": "notify_head"}),
                        json!({"type": "reassign", "username": "u5"}),
                        json!({"type": "auto_approve"}),
                        json!({"type": "auto_reject"}),
                    ][e as usize]
                        .clone();
                    node["deadline"] =
                        json!({"hours": 24, "remind_before_hours": 4, "escalate": escalate});
                }
                self.nodes.push(node);
                let back = match (h.fill, h.reject) {
                    (false, 1) => Some(("rejected", "reject")),
                    (false, 2) => Some(("revise", "reject")),
                    (true, 1) => Some(("withdrawn", "withdraw")),
                    _ => None,
                };
                if let Some((to, on)) = back {
                    self.edges.push(json!({"from": id, "to": to, "on": on}));
                }
                plain(&id)
            }
            Block::Cc => {
                let id = self.id("cc");
                self.connect(exits, &id);
                self.nodes.push(json!({"id": id, "kind": "cc",
                    "assignee": {"type": "role", "role": "r2"}}));
                plain(&id)
            }
            Block::Action => {
                let id = self.id("set");
                self.connect(exits, &id);
                self.nodes
                    .push(json!({"id": id, "kind": "action", "set": {"status": "\"x\""}}));
                plain(&id)
            }
            Block::Wait { timed } => {
                let id = self.id("w");
                self.connect(exits, &id);
                let wait = if *timed {
                    json!({"id": id, "kind": "wait", "hours": 2})
                } else {
                    json!({"id": id, "kind": "wait", "until_field": "past"})
                };
                self.nodes.push(wait);
                plain(&id)
            }
            Block::Cond(branches) => {
                let id = self.id("c");
                self.connect(exits, &id);
                self.nodes.push(json!({"id": id, "kind": "condition"}));
                let mut out = Vec::new();
                for (i, branch) in branches.iter().enumerate() {
                    let mut extra = Map::new();
                    if i + 1 == branches.len() {
                        extra.insert("default".into(), json!(true));
                    } else {
                        let flag = format!("{id}_{i}");
                        extra.insert("when".into(), json!(flag));
                        self.flags.push(flag);
                    }
                    out.extend(self.seq(branch, vec![(id.clone(), extra)]));
                }
                out
            }
            Block::Par(branches) => {
                let split = self.id("split");
                let join = self.id("join");
                self.connect(exits, &split);
                self.nodes
                    .push(json!({"id": split, "kind": "parallel_split"}));
                for branch in branches {
                    let out = self.seq(branch, plain(&split));
                    self.connect(out, &join);
                }
                self.nodes
                    .push(json!({"id": join, "kind": "parallel_join"}));
                self.pairs.push((split, join.clone()));
                plain(&join)
            }
        }
    }
}

/// start → body → approved, with shared `rejected`, `withdrawn` ends and a `revise` fill whose
/// submit edge re-enters the body.
fn render(body: &[Block]) -> Rendered {
    let mut r = Render::default();
    r.nodes.extend([
        json!({"id": "start", "kind": "start"}),
        json!({"id": "approved", "kind": "end", "outcome": "approved"}),
        json!({"id": "rejected", "kind": "end", "outcome": "rejected"}),
        json!({"id": "withdrawn", "kind": "end", "outcome": "withdrawn"}),
        json!({"id": "revise", "kind": "fill", "assignee": {"type": "submitter"}}),
    ]);
    let mut on_submit = Map::new();
    on_submit.insert("on".into(), json!("submit"));
    let entries = vec![
        ("start".to_owned(), Map::new()),
        ("revise".to_owned(), on_submit),
    ];
    let out = r.seq(body, entries);
    r.connect(out, "approved");
    r.edges
        .push(json!({"from": "revise", "to": "withdrawn", "on": "withdraw"}));
    Rendered {
        def: process(Value::Array(r.nodes), Value::Array(r.edges)),
        flags: r.flags,
        pairs: r.pairs,
    }
}

/// A rendered process with its condition flags and (split, join) pairs.
struct Rendered {
    def: formwork_model::ProcessDef,
    flags: Vec<String>,
    pairs: Vec<(String, String)>,
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
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (any::<usize>(), 0u8..13, 0u8..6, any::<bool>())
            .prop_map(|(pick, code, user, before)| Op::Decide { pick, code, user, before }),
        2 => any::<usize>().prop_map(|pick| Op::Fire { pick }),
        1 => any::<bool>().prop_map(|by_submitter| Op::Withdraw { by_submitter }),
        1 => any::<usize>().prop_map(|pick| Op::Stale { pick }),
    ]
}

fn context(flags: &[String], truth: &[bool]) -> TestCtx {
    let mut ctx = TestCtx::new()
        .with("past", json!("2020-01-01T00:00:00Z"))
        .people("role:r1", &["u1"])
        .people("role:r2", &["u1", "u2"])
        .people("role:r3", &["u1", "u2", "u3"]);
    ctx.heads.insert("u1".into(), "boss".into());
    for (i, flag) in flags.iter().enumerate() {
        ctx.flags.insert(flag.clone(), truth[i % truth.len()]);
    }
    ctx
}

fn action_for(
    task: &TaskRef,
    code: u8,
    user: u8,
    before: bool,
    nodes: &[String],
    passed: &[String],
) -> Action {
    let someone = format!("u{user}");
    let forward = if task.node.starts_with('a') {
        Action::Approve
    } else {
        Action::Submit
    };
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

fn allowed(err: &EngineError) -> bool {
    matches!(
        err,
        EngineError::NotAllowed { .. } | EngineError::NotRunning
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn random_processes_and_events_keep_the_invariants(
        body in prop::collection::vec(block(), 1..4),
        truth in prop::collection::vec(any::<bool>(), 1..8),
        ops in prop::collection::vec(op(), 0..40),
    ) {
        let Rendered { def, flags, pairs } = render(&body);
        let nodes: Vec<String> = def.nodes.iter().map(|n| n.id.clone()).collect();
        let mut w = World::new(&def, context(&flags, &truth));
        w.send(Event::Start).map_err(|e| TestCaseError::fail(format!("start: {e}")))?;
        let mut closed: Vec<TaskRef> = Vec::new();
        for op in ops {
            let before_tasks = w.tasks.clone();
            let result = match op {
                Op::Decide { pick, code, user, before } => {
                    let open: Vec<TaskRef> = w.tasks.values().cloned().collect();
                    if open.is_empty() {
                        continue;
                    }
                    let task = open[pick % open.len()].clone();
                    let passed: Vec<String> = w.st.passed.iter().cloned().collect();
                    let action = action_for(&task, code, user, before, &nodes, &passed);
                    let result = w.send(Event::Decide { task, action });
                    if let Err(e) = &result {
                        prop_assert!(allowed(e), "deciding an open task: {e}");
                    }
                    result
                }
                Op::Fire { pick } => {
                    let keys: Vec<TimerKey> = w.timers.keys().cloned().collect();
                    if keys.is_empty() {
                        continue;
                    }
                    let key = keys[pick % keys.len()].clone();
                    let (at, _) = w.timers.remove(&key).unwrap();
                    w.now = w.now.max(at);
                    let result = w.send(Event::TimerFired { key });
                    prop_assert!(result.is_ok(), "timer: {result:?}");
                    result
                }
                Op::Withdraw { by_submitter } => {
                    let by = if by_submitter { "sales1" } else { "u1" };
                    let result = w.send(Event::Withdraw { by: by.into() });
                    if let Err(e) = &result {
                        prop_assert!(allowed(e), "withdraw: {e}");
                    }
                    result
                }
                Op::Stale { pick } => {
                    if closed.is_empty() {
                        let fx = w.send(Event::TimerFired { key: TimerKey("nope".into()) });
                        prop_assert_eq!(fx, Ok(vec![]));
                        continue;
                    }
                    let task = closed[pick % closed.len()].clone();
                    let result = w.send(Event::Decide { task, action: Action::Approve });
                    prop_assert!(
                        matches!(result, Err(EngineError::TaskNotOpen { .. } | EngineError::NotRunning)),
                        "a closed task was decided: {result:?}"
                    );
                    result
                }
            };
            if result.is_ok() {
                closed.extend(
                    before_tasks
                        .into_iter()
                        .filter(|(k, _)| !w.tasks.contains_key(k))
                        .map(|(_, t)| t),
                );
            }
            for (split, join) in &pairs {
                let runs = count(&w, split, &HistoryAction::BranchesStarted { branches: 0 });
                let joins = count(&w, join, &HistoryAction::Joined);
                prop_assert!(joins <= runs, "{join} fired {joins} times for {runs} runs of {split}");
            }
        }
    }
}

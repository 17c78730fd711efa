//! The workflow control-flow patterns (van der Aalst et al.) Formwork supports, one test each,
//! and the approval-specific patterns, on the pure engine with an in-memory context. The
//! README's table "workflow patterns supported" names these tests.

use formwork_model::Outcome;
use formwork_process::{Action, CancelReason, Effect, HistoryAction, NotifyKind, TaskOutcome};
use serde_json::{Value, json};
use time::Duration;

use crate::common::{T0, TestCtx, World, process, role, user};

fn ap(id: &str, who: &str) -> Value {
    json!({"id": id, "kind": "approval", "assignee": user(who)})
}

fn e(from: &str, to: &str) -> Value {
    json!({"from": from, "to": to})
}

fn start() -> Value {
    json!({"id": "s", "kind": "start"})
}

fn ok() -> Value {
    json!({"id": "ok", "kind": "end", "outcome": "approved"})
}

fn joins(w: &World) -> usize {
    w.history()
        .iter()
        .filter(|h| **h == HistoryAction::Joined)
        .count()
}

/// s → split (kind, join extra keys) → a | b | c → join → ok; branch edges carry `gates`.
fn three_branches(split: &str, join: Value, gates: [Value; 3]) -> formwork_model::ProcessDef {
    let mut join_node = json!({"id": "join", "kind": "parallel_join"});
    if let Value::Object(extra) = join {
        join_node.as_object_mut().unwrap().extend(extra);
    }
    let mut edges = vec![e("s", "split")];
    for (branch, gate) in ["a", "b", "c"].iter().zip(gates) {
        let mut edge = e("split", branch);
        if let Value::Object(extra) = gate {
            edge.as_object_mut().unwrap().extend(extra);
        }
        edges.push(edge);
        edges.push(e(branch, "join"));
    }
    edges.push(e("join", "ok"));
    process(
        json!([start(), {"id": "split", "kind": split}, ap("a", "ua"), ap("b", "ub"),
               ap("c", "uc"), join_node, ok()]),
        Value::Array(edges),
    )
}

#[test]
fn wcp01_sequence_runs_steps_one_after_another() {
    let def = process(
        json!([start(), ap("a", "u1"), ap("b", "u2"), ok()]),
        json!([e("s", "a"), e("a", "b"), e("b", "ok")]),
    );
    let mut w = World::started(&def, TestCtx::new());
    assert_eq!(w.open(), vec![("a".into(), "u1".into())]);
    w.approve("a", "u1");
    assert_eq!(w.open(), vec![("b".into(), "u2".into())]);
    w.approve("b", "u2");
    assert_eq!(w.outcome(), Some(Outcome::Approved));
}

#[test]
fn wcp02_parallel_split_opens_every_branch_at_once() {
    let w = World::started(
        &three_branches(
            "parallel_split",
            Value::Null,
            [Value::Null, Value::Null, Value::Null],
        ),
        TestCtx::new(),
    );
    assert_eq!(w.open().len(), 3);
}

#[test]
fn wcp03_synchronization_continues_after_every_branch() {
    let mut w = World::started(
        &three_branches(
            "parallel_split",
            Value::Null,
            [Value::Null, Value::Null, Value::Null],
        ),
        TestCtx::new(),
    );
    w.approve("c", "uc");
    w.approve("a", "ua");
    assert_eq!((joins(&w), w.outcome()), (0, None));
    w.approve("b", "ub");
    assert_eq!((joins(&w), w.outcome()), (1, Some(Outcome::Approved)));
}

/// s → c ─(big)→ x ─┐
///          └(else)→ y ─┴→ m → ok
fn choice() -> formwork_model::ProcessDef {
    process(
        json!([start(), {"id": "c", "kind": "condition"}, ap("x", "ux"), ap("y", "uy"),
               ap("m", "um"), ok()]),
        json!([e("s", "c"), {"from": "c", "to": "x", "when": "amount > 100"},
               {"from": "c", "to": "y", "default": true},
               e("x", "m"), e("y", "m"), e("m", "ok")]),
    )
}

#[test]
fn wcp04_exclusive_choice_takes_one_edge_by_the_data() {
    let big = World::started(&choice(), TestCtx::new().with("amount", json!(500)));
    assert_eq!(big.open(), vec![("x".into(), "ux".into())]);
    let small = World::started(&choice(), TestCtx::new().with("amount", json!(5)));
    assert_eq!(small.open(), vec![("y".into(), "uy".into())]);
}

#[test]
fn wcp05_simple_merge_continues_once_from_whichever_path_ran() {
    let mut w = World::started(&choice(), TestCtx::new().with("amount", json!(500)));
    w.approve("x", "ux");
    assert_eq!(w.open(), vec![("m".into(), "um".into())]);
    w.approve("m", "um");
    assert_eq!(w.outcome(), Some(Outcome::Approved));
}

fn gates() -> [Value; 3] {
    [
        json!({"when": "legal == \"yes\""}),
        json!({"when": "finance == \"yes\""}),
        json!({"default": true}),
    ]
}

#[test]
fn wcp06_multi_choice_starts_every_branch_whose_condition_holds() {
    let def = three_branches("inclusive_split", Value::Null, gates());
    let both = TestCtx::new()
        .with("legal", json!("yes"))
        .with("finance", json!("yes"));
    let w = World::started(&def, both);
    assert_eq!(
        w.open(),
        vec![("a".into(), "ua".into()), ("b".into(), "ub".into())]
    );
    let none = TestCtx::new()
        .with("legal", json!("no"))
        .with("finance", json!("no"));
    let w = World::started(&def, none);
    assert_eq!(
        w.open(),
        vec![("c".into(), "uc".into())],
        "the default branch"
    );
}

#[test]
fn wcp07_structured_synchronizing_merge_waits_for_exactly_the_branches_taken() {
    let def = three_branches("inclusive_split", Value::Null, gates());
    let ctx = TestCtx::new()
        .with("legal", json!("no"))
        .with("finance", json!("yes"));
    let mut w = World::started(&def, ctx);
    assert_eq!(w.open(), vec![("b".into(), "ub".into())]);
    w.approve("b", "ub");
    assert_eq!(
        w.outcome(),
        Some(Outcome::Approved),
        "one branch taken, one awaited"
    );
}

#[test]
fn wcp09_n_of_m_join_continues_after_n_branches_and_cancels_the_rest() {
    let def = three_branches(
        "parallel_split",
        json!({"required": 2}),
        [Value::Null, Value::Null, Value::Null],
    );
    let mut w = World::started(&def, TestCtx::new());
    let slow = w.task("c", "uc").key;
    w.approve("a", "ua");
    assert_eq!(w.outcome(), None);
    w.approve("b", "ub");
    assert_eq!(w.outcome(), Some(Outcome::Approved));
    assert_eq!(joins(&w), 1);
    assert!(w.log.contains(&Effect::CancelTask {
        key: slow,
        reason: CancelReason::JoinSatisfied
    }));
}

/// s → split → (a → join | b → notify → own end) → join → ok.
fn branch_with_its_own_end(terminate: bool) -> formwork_model::ProcessDef {
    let mut end = json!({"id": "b_done", "kind": "end", "outcome": "completed"});
    if terminate {
        end["terminate"] = json!(true);
    }
    process(
        json!([start(), {"id": "split", "kind": "parallel_split"}, ap("a", "ua"), ap("b", "ub"),
               {"id": "n", "kind": "cc", "assignee": user("uc")}, end,
               {"id": "join", "kind": "parallel_join"}, ap("after", "uz"), ok()]),
        json!([
            e("s", "split"),
            e("split", "a"),
            e("split", "b"),
            e("a", "join"),
            e("b", "n"),
            e("n", "b_done"),
            e("join", "after"),
            e("after", "ok")
        ]),
    )
}

#[test]
fn wcp11_implicit_termination_ends_a_branch_and_the_join_stops_waiting_for_it() {
    let mut w = World::started(&branch_with_its_own_end(false), TestCtx::new());
    w.approve("b", "ub");
    assert_eq!(w.outcome(), None, "only the branch ended");
    assert!(w.history().contains(&HistoryAction::BranchEnded {
        outcome: Outcome::Completed
    }));
    assert_eq!(w.open(), vec![("a".into(), "ua".into())]);
    w.approve("a", "ua");
    assert_eq!(w.open(), vec![("after".into(), "uz".into())]);
}

#[test]
fn wcp11_when_every_branch_ends_on_its_own_the_instance_ends() {
    // b goes on to the join only when `more` is asked for; otherwise it ends there too.
    let def = process(
        json!([start(), {"id": "split", "kind": "parallel_split"}, ap("a", "ua"), ap("b", "ub"),
               {"id": "a_done", "kind": "end", "outcome": "completed"},
               {"id": "more", "kind": "condition"},
               {"id": "b_done", "kind": "end", "outcome": "completed"},
               {"id": "join", "kind": "parallel_join"}, ap("after", "uz"), ok()]),
        json!([e("s", "split"), e("split", "a"), e("split", "b"), e("a", "a_done"),
               e("b", "more"), {"from": "more", "to": "join", "when": "more == \"yes\""},
               {"from": "more", "to": "b_done", "default": true},
               e("join", "after"), e("after", "ok")]),
    );
    let mut w = World::started(&def, TestCtx::new().with("more", json!("no")));
    w.approve("a", "ua");
    assert_eq!(w.outcome(), None);
    w.approve("b", "ub");
    assert_eq!(
        w.outcome(),
        Some(Outcome::Completed),
        "nothing is left to do"
    );
    let mut w = World::started(&def, TestCtx::new().with("more", json!("yes")));
    w.approve("a", "ua");
    w.approve("b", "ub");
    assert_eq!(w.open(), vec![("after".into(), "uz".into())]);
}

#[test]
fn wcp43_a_terminating_end_in_a_branch_ends_the_whole_instance() {
    let mut w = World::started(&branch_with_its_own_end(true), TestCtx::new());
    let other = w.task("a", "ua").key;
    w.approve("b", "ub");
    assert_eq!(w.outcome(), Some(Outcome::Completed));
    assert!(w.log.contains(&Effect::CancelTask {
        key: other,
        reason: CancelReason::InstanceEnded
    }));
}

/// a has 24 hours; if nobody decides, the `timeout` edge goes to `late`.
fn deferred_choice() -> formwork_model::ProcessDef {
    process(
        json!([start(), {"id": "a", "kind": "approval", "assignee": role("crew"), "mode": "all",
               "deadline": {"hours": 24, "remind_before_hours": 2}},
               ap("late", "boss"), ok()]),
        json!([e("s", "a"), e("a", "ok"), {"from": "a", "to": "late", "on": "timeout"},
               e("late", "ok")]),
    )
}

#[test]
fn wcp16_deferred_choice_the_person_first_withdraws_the_timer() {
    let crew = TestCtx::new().people("role:crew", &["u1", "u2"]);
    let mut w = World::started(&deferred_choice(), crew);
    assert!(w.timers.keys().any(|k| k.0.ends_with("/timeout")));
    w.approve("a", "u1");
    w.approve("a", "u2");
    assert_eq!(w.outcome(), Some(Outcome::Approved));
    assert!(w.timers.is_empty(), "{:?}", w.timers);
}

#[test]
fn wcp16_deferred_choice_the_timer_first_withdraws_the_tasks() {
    let crew = TestCtx::new().people("role:crew", &["u1", "u2"]);
    let mut w = World::started(&deferred_choice(), crew);
    w.approve("a", "u1");
    let waiting = w.task("a", "u2").key;
    let timeout = w
        .timers
        .keys()
        .find(|k| k.0.starts_with(&waiting.0) && k.0.ends_with("/timeout"))
        .cloned()
        .unwrap();
    let (at, _) = w.timers.remove(&timeout).unwrap();
    w.now = at;
    w.send(formwork_process::Event::TimerFired { key: timeout })
        .unwrap();
    assert!(w.last.contains(&Effect::CancelTask {
        key: waiting.clone(),
        reason: CancelReason::TimedOut
    }));
    assert!(w.history().contains(&HistoryAction::TimedOut {
        tasks: vec![waiting]
    }));
    assert_eq!(w.open(), vec![("late".into(), "boss".into())]);
    assert_eq!(at, T0 + Duration::hours(24));
}

fn chain() -> formwork_model::ProcessDef {
    process(
        json!([start(), ap("a", "u1"), ap("b", "u2"), ap("c", "u3"), ok()]),
        json!([e("s", "a"), e("a", "b"), e("b", "c"), e("c", "ok")]),
    )
}

#[test]
fn approval_return_to_any_earlier_step_starts_a_new_round_there() {
    let mut w = World::started(&chain(), TestCtx::new());
    w.approve("a", "u1");
    w.approve("b", "u2");
    w.act("c", "u3", Action::ReturnTo { node: "a".into() })
        .unwrap();
    assert_eq!(w.open(), vec![("a".into(), "u1".into())]);
    assert_eq!(w.round("a", "u1"), 2);
    w.approve("a", "u1");
    w.approve("b", "u2");
    w.approve("c", "u3");
    assert_eq!(w.outcome(), Some(Outcome::Approved));
}

/// first → split → (a | b) → join → ok.
fn block_after_first() -> formwork_model::ProcessDef {
    process(
        json!([start(), ap("first", "lead"), {"id": "split", "kind": "parallel_split"},
               ap("a", "ua"), ap("b", "ub"), {"id": "join", "kind": "parallel_join"},
               ap("last", "boss"), ok()]),
        json!([
            e("s", "first"),
            e("first", "split"),
            e("split", "a"),
            e("split", "b"),
            e("a", "join"),
            e("b", "join"),
            e("join", "last"),
            e("last", "ok")
        ]),
    )
}

#[test]
fn approval_return_out_of_a_parallel_branch_cancels_the_sibling_branch() {
    let mut w = World::started(&block_after_first(), TestCtx::new());
    w.approve("first", "lead");
    let sibling = w.task("b", "ub").key;
    w.act(
        "a",
        "ua",
        Action::ReturnTo {
            node: "first".into(),
        },
    )
    .unwrap();
    assert!(w.last.contains(&Effect::CancelTask {
        key: sibling,
        reason: CancelReason::BranchAbandoned
    }));
    assert_eq!(w.open(), vec![("first".into(), "lead".into())]);
}

#[test]
fn approval_return_into_a_parallel_branch_restarts_its_block() {
    let mut w = World::started(&block_after_first(), TestCtx::new());
    w.approve("first", "lead");
    w.approve("a", "ua");
    w.approve("b", "ub");
    w.act("last", "boss", Action::ReturnTo { node: "b".into() })
        .unwrap();
    assert_eq!(
        w.open(),
        vec![("a".into(), "ua".into()), ("b".into(), "ub".into())]
    );
    w.approve("b", "ub");
    assert_eq!(
        w.open(),
        vec![("a".into(), "ua".into())],
        "the join waits for a"
    );
    w.approve("a", "ua");
    assert_eq!(w.open(), vec![("last".into(), "boss".into())]);
}

#[test]
fn approval_transfer_hands_the_task_over() {
    let mut w = World::started(&chain(), TestCtx::new());
    w.act("a", "u1", Action::Transfer { to: "u9".into() })
        .unwrap();
    assert_eq!(w.open(), vec![("a".into(), "u9".into())]);
    w.approve("a", "u9");
    assert_eq!(w.open(), vec![("b".into(), "u2".into())]);
}

#[test]
fn approval_add_signer_before_and_after() {
    let mut w = World::started(&chain(), TestCtx::new());
    let add = |user: &str, before| Action::AddSigner {
        user: user.into(),
        before,
    };
    w.act("a", "u1", add("x", true)).unwrap();
    assert_eq!(w.open(), vec![("a".into(), "x".into())]);
    w.approve("a", "x");
    assert_eq!(w.open(), vec![("a".into(), "u1".into())], "back to u1");
    w.act("a", "u1", add("y", false)).unwrap();
    w.approve("a", "u1");
    assert_eq!(w.open(), vec![("a".into(), "y".into())]);
    w.approve("a", "y");
    assert_eq!(w.open(), vec![("b".into(), "u2".into())]);
}

#[test]
fn approval_vote_passes_at_the_ratio() {
    let def = process(
        json!([start(), {"id": "v", "kind": "approval", "assignee": role("board"),
               "mode": "vote", "ratio": 0.6}, ok()]),
        json!([e("s", "v"), e("v", "ok")]),
    );
    let board = TestCtx::new().people("role:board", &["b1", "b2", "b3", "b4", "b5"]);
    let mut w = World::started(&def, board);
    w.approve("v", "b1");
    w.reject("v", "b2");
    w.approve("v", "b3");
    assert_eq!(w.outcome(), None, "3 of 5 needed");
    w.approve("v", "b4");
    assert_eq!(w.outcome(), Some(Outcome::Approved));
    assert!(w.log.iter().any(|fx| matches!(
        fx,
        Effect::CancelTask {
            reason: CancelReason::StepDecided,
            ..
        }
    )));
}

#[test]
fn approval_deadline_escalates_when_overdue() {
    let def = process(
        json!([start(), {"id": "a", "kind": "approval", "assignee": user("u1"),
               "deadline": {"hours": 8, "remind_before_hours": 2,
                            "escalate": {"type": "auto_approve"}}}, ok()]),
        json!([e("s", "a"), e("a", "ok")]),
    );
    let mut w = World::started(&def, TestCtx::new());
    w.fire("/remind");
    assert!(w.last.iter().any(|fx| matches!(
        fx,
        Effect::Notify {
            kind: NotifyKind::Reminder { .. },
            ..
        }
    )));
    w.fire("/escalate");
    assert!(w.log.iter().any(|fx| matches!(
        fx,
        Effect::CompleteTask {
            outcome: TaskOutcome::AutoApproved,
            by: None,
            ..
        }
    )));
    assert_eq!(w.outcome(), Some(Outcome::Approved));
}

#[test]
fn approval_cc_notifies_without_waiting() {
    let def = process(
        json!([start(), {"id": "cc", "kind": "cc", "assignee": role("fin")}, ap("a", "u1"), ok()]),
        json!([e("s", "cc"), e("cc", "a"), e("a", "ok")]),
    );
    let w = World::started(&def, TestCtx::new().people("role:fin", &["f1", "f2"]));
    assert_eq!(w.cc_sent(), ["f1", "f2"]);
    assert_eq!(w.open(), vec![("a".into(), "u1".into())]);
}

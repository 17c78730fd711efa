//! Table-driven tests of every node kind and approval mode.

use crate::common::{T0, TestCtx, World, process, role, user};
use formwork_model::Outcome;
use formwork_process::{
    Action, CancelReason, Effect, EngineError, Event, FallbackApplied, HistoryAction, NotifyKind,
    State, Status, StopReason, TimerKind,
};
use serde_json::{Value, json};
use time::Duration;

/// start → approve (the given approval JSON, id `a`) → end approved; reject ends rejected.
pub fn one_step(approval: Value) -> formwork_model::ProcessDef {
    let mut a = approval;
    a["id"] = json!("a");
    a["kind"] = json!("approval");
    process(
        json!([{"id": "s", "kind": "start"}, a, {"id": "ok", "kind": "end", "outcome": "approved"}]),
        json!([{"from": "s", "to": "a"}, {"from": "a", "to": "ok"}]),
    )
}

/// A role with users u1..un.
pub fn crew(n: usize) -> TestCtx {
    let users: Vec<String> = (1..=n).map(|i| format!("u{i}")).collect();
    let refs: Vec<&str> = users.iter().map(String::as_str).collect();
    TestCtx::new().people("role:crew", &refs)
}

#[test]
fn start_then_end_ends_with_the_end_nodes_outcome() {
    for outcome in ["approved", "rejected", "withdrawn", "completed"] {
        let def = process(
            json!([{"id": "s", "kind": "start"}, {"id": "e", "kind": "end", "outcome": outcome}]),
            json!([{"from": "s", "to": "e"}]),
        );
        let w = World::started(&def, TestCtx::new());
        let want: Outcome = serde_json::from_value(json!(outcome)).unwrap();
        assert_eq!(w.outcome(), Some(want));
        assert!(w.last.contains(&Effect::Ended { outcome: want }));
        assert!(w.last.contains(&Effect::Notify {
            user: "sales1".into(),
            kind: NotifyKind::Ended { outcome: want }
        }));
    }
}

/// (mode, ratio, assignee count, decisions by user index, tasks open right after start,
/// outcome, tasks cancelled as decided by others)
type ModeCase = (
    &'static str,
    Option<f64>,
    usize,
    &'static [(usize, bool)],
    usize,
    Option<Outcome>,
    usize,
);

#[test]
fn approval_modes_decide_as_their_rules_say() {
    use Outcome::{Approved, Rejected};
    let cases: &[ModeCase] = &[
        ("single", None, 1, &[(1, true)], 1, Some(Approved), 0),
        ("single", None, 1, &[(1, false)], 1, Some(Rejected), 0),
        // A single step whose rule names several people goes to whoever decides first.
        ("single", None, 2, &[(2, true)], 2, Some(Approved), 1),
        ("any", None, 3, &[(2, false)], 3, Some(Rejected), 2),
        ("any", None, 3, &[(3, true)], 3, Some(Approved), 2),
        ("all", None, 3, &[(1, true), (3, true)], 3, None, 0),
        (
            "all",
            None,
            3,
            &[(1, true), (3, true), (2, true)],
            3,
            Some(Approved),
            0,
        ),
        (
            "all",
            None,
            3,
            &[(1, true), (2, false)],
            3,
            Some(Rejected),
            1,
        ),
        ("sequential", None, 3, &[(1, true), (2, true)], 1, None, 0),
        (
            "sequential",
            None,
            3,
            &[(1, true), (2, true), (3, true)],
            1,
            Some(Approved),
            0,
        ),
        (
            "sequential",
            None,
            3,
            &[(1, true), (2, false)],
            1,
            Some(Rejected),
            0,
        ),
        (
            "vote",
            Some(0.5),
            4,
            &[(1, true), (4, true)],
            4,
            Some(Approved),
            2,
        ),
        (
            "vote",
            Some(0.5),
            4,
            &[(1, true), (2, false), (3, false)],
            4,
            None,
            0,
        ),
        (
            "vote",
            Some(0.5),
            4,
            &[(1, false), (2, false), (3, false)],
            4,
            Some(Rejected),
            1,
        ),
        (
            "vote",
            Some(0.6),
            3,
            &[(1, false), (2, false)],
            3,
            Some(Rejected),
            1,
        ),
        (
            "vote",
            Some(0.6),
            3,
            &[(1, true), (2, false), (3, true)],
            3,
            Some(Approved),
            0,
        ),
        (
            "vote",
            Some(0.3),
            10,
            &[(1, true), (2, true), (3, true)],
            10,
            Some(Approved),
            7,
        ),
        (
            "vote",
            Some(1.0),
            2,
            &[(1, true), (2, false)],
            2,
            Some(Rejected),
            0,
        ),
    ];
    for (i, &(mode, ratio, n, decisions, opened, outcome, cancelled)) in cases.iter().enumerate() {
        let mut a = json!({"assignee": role("crew"), "mode": mode});
        if let Some(r) = ratio {
            a["ratio"] = json!(r);
        }
        let mut w = World::started(&one_step(a), crew(n));
        assert_eq!(w.tasks.len(), opened, "case {i}: tasks after start");
        for &(u, approve) in decisions {
            let who = format!("u{u}");
            if approve {
                w.approve("a", &who)
            } else {
                w.reject("a", &who)
            }
        }
        assert_eq!(w.outcome(), outcome, "case {i}: {mode} {decisions:?}");
        let n_cancelled = w
            .log
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    Effect::CancelTask {
                        reason: CancelReason::StepDecided,
                        ..
                    }
                )
            })
            .count();
        assert_eq!(n_cancelled, cancelled, "case {i}: cancelled");
    }
}

#[test]
fn sequential_gives_one_task_at_a_time_in_rule_order() {
    let mut w = World::started(
        &one_step(json!({"assignee": role("crew"), "mode": "sequential"})),
        crew(3),
    );
    for u in ["u1", "u2", "u3"] {
        assert_eq!(w.open(), vec![("a".into(), u.into())]);
        w.approve("a", u);
    }
    assert_eq!(w.outcome(), Some(Outcome::Approved));
}

#[test]
fn reject_follows_the_reject_edge_when_there_is_one() {
    let def = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "a", "kind": "approval", "assignee": user("boss")},
            {"id": "fix", "kind": "fill", "assignee": {"type": "submitter"}},
            {"id": "ok", "kind": "end", "outcome": "approved"}
        ]),
        json!([
            {"from": "s", "to": "a"},
            {"from": "a", "to": "ok"},
            {"from": "a", "to": "fix", "on": "reject"},
            {"from": "fix", "to": "a", "on": "submit"}
        ]),
    );
    let mut w = World::started(&def, TestCtx::new());
    w.reject("a", "boss");
    assert_eq!(w.open(), vec![("fix".into(), "sales1".into())]);
    assert!(w.last.contains(&Effect::Notify {
        user: "sales1".into(),
        kind: NotifyKind::Decision {
            node: "a".into(),
            outcome: formwork_process::StepOutcome::Rejected
        }
    }));
    w.act("fix", "sales1", Action::Submit).unwrap();
    w.approve("a", "boss");
    assert_eq!(w.outcome(), Some(Outcome::Approved));
}

fn fill_process(withdraw_edge: bool) -> formwork_model::ProcessDef {
    let mut edges = vec![
        json!({"from": "s", "to": "f"}),
        json!({"from": "f", "to": "done", "on": "submit"}),
    ];
    if withdraw_edge {
        edges.push(json!({"from": "f", "to": "gone", "on": "withdraw"}));
    }
    let mut nodes = vec![
        json!({"id": "s", "kind": "start"}),
        json!({"id": "f", "kind": "fill", "assignee": {"type": "submitter"}}),
        json!({"id": "done", "kind": "end", "outcome": "completed"}),
    ];
    if withdraw_edge {
        nodes.push(json!({"id": "gone", "kind": "end", "outcome": "withdrawn"}));
    }
    process(Value::Array(nodes), Value::Array(edges))
}

#[test]
fn fill_steps_submit_or_withdraw() {
    let cases = [
        (true, Action::Submit, Ok(Outcome::Completed)),
        (true, Action::Withdraw, Ok(Outcome::Withdrawn)),
        (false, Action::Withdraw, Ok(Outcome::Withdrawn)),
        (true, Action::Approve, Err("approve")),
        (true, Action::Reject, Err("reject")),
        (
            true,
            Action::AddSigner {
                user: "x".into(),
                before: true,
            },
            Err("add_signer"),
        ),
    ];
    for (edge, action, want) in cases {
        let mut w = World::started(&fill_process(edge), TestCtx::new());
        let got = w.act("f", "sales1", action.clone());
        match want {
            Ok(outcome) => {
                got.unwrap();
                assert_eq!(w.outcome(), Some(outcome), "{action:?}");
            }
            Err(name) => {
                assert!(
                    matches!(got, Err(EngineError::NotAllowed { action, .. }) if action == name)
                );
            }
        }
    }
}

#[test]
fn approval_steps_refuse_fill_actions() {
    for action in [Action::Submit, Action::Withdraw] {
        let mut w = World::started(&one_step(json!({"assignee": user("boss")})), TestCtx::new());
        assert!(matches!(
            w.act("a", "boss", action),
            Err(EngineError::NotAllowed { .. })
        ));
    }
}

#[test]
fn cc_notifies_and_moves_on_without_waiting() {
    let def = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "c", "kind": "cc", "assignee": role("fin")},
            {"id": "e", "kind": "end", "outcome": "completed"}
        ]),
        json!([{"from": "s", "to": "c"}, {"from": "c", "to": "e"}]),
    );
    let cases: [(&[&str], &[&str]); 3] = [
        (&["finance", "ceo"], &["finance", "ceo"]),
        (&["finance", "finance"], &["finance"]),
        (&[], &[]),
    ];
    for (members, notified) in cases {
        let w = World::started(&def, TestCtx::new().people("role:fin", members));
        assert_eq!(w.cc_sent(), notified);
        assert!(w.history().contains(&HistoryAction::CcSent {
            users: notified.iter().map(|s| s.to_string()).collect()
        }));
        assert_eq!(w.outcome(), Some(Outcome::Completed));
    }
}

#[test]
fn condition_takes_the_first_true_edge_in_order_else_the_default() {
    let def = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "c", "kind": "condition"},
            {"id": "one", "kind": "end", "outcome": "approved"},
            {"id": "two", "kind": "end", "outcome": "rejected"},
            {"id": "other", "kind": "end", "outcome": "completed"}
        ]),
        json!([
            {"from": "s", "to": "c"},
            {"from": "c", "to": "other", "default": true},
            {"from": "c", "to": "one", "when": "x"},
            {"from": "c", "to": "two", "when": "y"}
        ]),
    );
    let cases = [
        (true, true, Outcome::Approved),
        (false, true, Outcome::Rejected),
        (false, false, Outcome::Completed),
    ];
    for (x, y, want) in cases {
        let w = World::started(&def, TestCtx::new().flag("x", x).flag("y", y));
        assert_eq!(w.outcome(), Some(want), "x={x} y={y}");
        let default = want == Outcome::Completed;
        assert!(w.history().iter().any(
            |h| matches!(h, HistoryAction::ConditionTaken { default: d, .. } if *d == default)
        ));
    }
}

#[test]
fn context_errors_fail_the_step_without_changing_anything() {
    let def = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "c", "kind": "condition"},
            {"id": "e", "kind": "end", "outcome": "approved"}
        ]),
        json!([
            {"from": "s", "to": "c"},
            {"from": "c", "to": "e", "when": "amount < 1"},
            {"from": "c", "to": "e", "default": true}
        ]),
    );
    let mut w = World::new(&def, TestCtx::new());
    let err = w.send(Event::Start).unwrap_err();
    assert!(
        matches!(err, EngineError::Context { ref node, .. } if node == "c"),
        "{err}"
    );
    assert_eq!(w.st, State::new());
}

/// s → split → (a: boss1, b: boss2) → join → ok. Optional extra edges.
pub fn parallel(extra_nodes: Vec<Value>, extra_edges: Vec<Value>) -> formwork_model::ProcessDef {
    let mut nodes = vec![
        json!({"id": "s", "kind": "start"}),
        json!({"id": "split", "kind": "parallel_split"}),
        json!({"id": "a", "kind": "approval", "assignee": user("boss1")}),
        json!({"id": "b", "kind": "approval", "assignee": user("boss2")}),
        json!({"id": "join", "kind": "parallel_join"}),
        json!({"id": "ok", "kind": "end", "outcome": "approved"}),
    ];
    nodes.extend(extra_nodes);
    let mut edges = vec![
        json!({"from": "s", "to": "split"}),
        json!({"from": "split", "to": "a"}),
        json!({"from": "split", "to": "b"}),
        json!({"from": "a", "to": "join"}),
        json!({"from": "b", "to": "join"}),
        json!({"from": "join", "to": "ok"}),
    ];
    edges.extend(extra_edges);
    process(Value::Array(nodes), Value::Array(edges))
}

#[test]
fn join_fires_once_after_every_branch_arrived() {
    let mut w = World::started(&parallel(vec![], vec![]), TestCtx::new());
    assert_eq!(
        w.open(),
        vec![("a".into(), "boss1".into()), ("b".into(), "boss2".into())]
    );
    w.approve("b", "boss2");
    assert_eq!(w.outcome(), None);
    assert_eq!(w.st.joins.len(), 1);
    w.approve("a", "boss1");
    assert_eq!(w.outcome(), Some(Outcome::Approved));
    let joined = w
        .history()
        .iter()
        .filter(|h| **h == HistoryAction::Joined)
        .count();
    assert_eq!(joined, 1);
}

#[test]
fn rejecting_in_a_branch_without_reject_edge_ends_everything() {
    let mut w = World::started(&parallel(vec![], vec![]), TestCtx::new());
    w.reject("a", "boss1");
    assert_eq!(w.outcome(), Some(Outcome::Rejected));
    assert!(w.last.iter().any(|e| matches!(
        e,
        Effect::CancelTask {
            reason: CancelReason::InstanceEnded,
            ..
        }
    )));
}

#[test]
fn nested_parallel_regions_join_inner_then_outer() {
    let def = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "outer", "kind": "parallel_split"},
            {"id": "inner", "kind": "parallel_split"},
            {"id": "a", "kind": "approval", "assignee": user("u1")},
            {"id": "b", "kind": "approval", "assignee": user("u2")},
            {"id": "inner_join", "kind": "parallel_join"},
            {"id": "c", "kind": "approval", "assignee": user("u3")},
            {"id": "outer_join", "kind": "parallel_join"},
            {"id": "ok", "kind": "end", "outcome": "approved"}
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
            {"from": "outer_join", "to": "ok"}
        ]),
    );
    let mut w = World::started(&def, TestCtx::new());
    assert_eq!(w.tasks.len(), 3);
    w.approve("a", "u1");
    w.approve("c", "u3");
    assert_eq!(w.outcome(), None);
    w.approve("b", "u2");
    assert_eq!(w.outcome(), Some(Outcome::Approved));
    assert!(w.st.joins.is_empty());
}

#[test]
fn action_sets_fields_to_evaluated_values() {
    let def = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "set", "kind": "action", "set": {"status": "\"approved\"", "copy": "amount"}},
            {"id": "e", "kind": "end", "outcome": "completed"}
        ]),
        json!([{"from": "s", "to": "set"}, {"from": "set", "to": "e"}]),
    );
    let w = World::started(&def, TestCtx::new().with("amount", json!("12.50")));
    let values = w.log.iter().find_map(|e| match e {
        Effect::SetFields { node, values } if node == "set" => Some(values.clone()),
        _ => None,
    });
    let values = values.expect("SetFields");
    assert_eq!(values["status"], json!("approved"));
    assert_eq!(values["copy"], json!("12.50"));
}

fn wait_process(wait: Value) -> formwork_model::ProcessDef {
    let mut w = wait;
    w["id"] = json!("w");
    w["kind"] = json!("wait");
    process(
        json!([{"id": "s", "kind": "start"}, w, {"id": "e", "kind": "end", "outcome": "completed"}]),
        json!([{"from": "s", "to": "w"}, {"from": "w", "to": "e"}]),
    )
}

#[test]
fn wait_schedules_a_timer_or_passes_when_the_time_is_already_there() {
    let past = "2026-01-01T00:00:00Z";
    let future = "2026-12-01T00:00:00+08:00";
    let cases = [
        (json!({"hours": 48}), None, Some(T0 + Duration::hours(48))),
        (
            json!({"until_field": "d"}),
            Some(json!(future)),
            Some(time::macros::datetime!(2026-11-30 16:00 UTC)),
        ),
        (json!({"until_field": "d"}), Some(json!(past)), None),
        (json!({"until_field": "d"}), None, None),
    ];
    for (wait, field, fires) in cases {
        let ctx = match field {
            Some(v) => TestCtx::new().with("d", v),
            None => TestCtx::new(),
        };
        let mut w = World::started(&wait_process(wait.clone()), ctx);
        match fires {
            Some(at) => {
                assert_eq!(w.outcome(), None, "{wait}");
                let (_, (fire_at, kind)) = w.timers.iter().next().unwrap();
                assert_eq!((*fire_at, *kind), (at, TimerKind::WaitEnd));
                w.fire("/wait");
                assert_eq!(w.outcome(), Some(Outcome::Completed));
            }
            None => assert_eq!(w.outcome(), Some(Outcome::Completed), "{wait}"),
        }
    }
}

#[test]
fn absurd_durations_saturate_instead_of_panicking() {
    let w = World::started(&wait_process(json!({"hours": u32::MAX})), TestCtx::new());
    assert_eq!(w.outcome(), None);
    let def = one_step(json!({
        "assignee": user("boss"),
        "deadline": {"hours": u32::MAX, "remind_before_hours": u32::MAX, "escalate": {"type": "auto_approve"}}
    }));
    let w = World::started(&def, TestCtx::new());
    // The reminder would fall before the earliest representable date, so only escalation remains.
    let kinds: Vec<TimerKind> = w.timers.values().map(|(_, k)| *k).collect();
    assert_eq!(kinds, vec![TimerKind::Escalation]);
}

#[test]
fn fallback_applies_when_the_rule_resolves_to_nobody() {
    let cases = [
        (
            json!({"type": "skip"}),
            Some(Outcome::Approved),
            vec![],
            FallbackApplied::Skipped,
        ),
        (
            json!({"type": "user", "username": "admin"}),
            None,
            vec![("a".to_string(), "admin".to_string())],
            FallbackApplied::User {
                user: "admin".into(),
            },
        ),
        (
            json!({"type": "stop"}),
            None,
            vec![],
            FallbackApplied::Stopped,
        ),
    ];
    for (fallback, outcome, open, applied) in cases {
        let def = one_step(json!({"assignee": role("nobody"), "fallback": fallback}));
        let w = World::started(&def, TestCtx::new());
        assert_eq!(w.outcome(), outcome);
        assert_eq!(w.open(), open);
        assert!(w.history().contains(&HistoryAction::NobodyResolved {
            fallback: applied.clone()
        }));
        if applied == FallbackApplied::Stopped {
            assert_eq!(
                w.st.status,
                Status::Stopped {
                    node: "a".into(),
                    reason: StopReason::NobodyToAssign
                }
            );
        }
    }
}

#[test]
fn routing_tables_pick_the_first_true_row() {
    let table = json!({"type": "table", "rows": [
        {"when": "region == \"华东\"", "assignee": user("east_head")},
        {"assignee": {"type": "department_head"}}
    ]});
    for (region, who) in [("华东", "east_head"), ("华南", "manager1")] {
        let ctx = TestCtx::new()
            .with("region", json!(region))
            .people("head:1", &["manager1"]);
        let w = World::started(&one_step(json!({"assignee": table.clone()})), ctx);
        assert_eq!(w.open(), vec![("a".into(), who.into())]);
    }
}

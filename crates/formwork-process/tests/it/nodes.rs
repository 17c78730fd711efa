//! Table-driven tests of every node kind and approval mode.


use crate::common::{T0, TestCtx, World, process, role, user};
use formwork_model::Outcome;
use formwork_process::{
    Action, CancelReason, CompiledProcess, Effect, EngineError, Event, FallbackApplied,
    HistoryAction, NotifyKind, State, Status, StopReason, TaskOutcome, TimerKey, TimerKind, step,
};
use serde_json::{Value, json};
use time::Duration;

/// start → approve (the given approval JSON, id `a`) → end approved; reject ends rejected.
fn one_step(approval: Value) -> formwork_model::ProcessDef {
    let mut a = approval;
    a["id"] = json!("a");
    a["kind"] = json!("approval");
    process(
        json!([{"id": "s", "kind": "start"}, a, {"id": "ok", "kind": "end", "outcome": "approved"}]),
        json!([{"from": "s", "to": "a"}, {"from": "a", "to": "ok"}]),
    )
}

/// A role with users u1..un.
fn crew(n: usize) -> TestCtx {
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
        let got: Vec<&str> = w
            .log
            .iter()
            .filter_map(|e| match e {
                Effect::Notify {
                    user,
                    kind: NotifyKind::Cc,
                } => Some(user.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(got, notified);
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
fn parallel(extra_nodes: Vec<Value>, extra_edges: Vec<Value>) -> formwork_model::ProcessDef {
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

fn two_steps(repeat: bool) -> formwork_model::ProcessDef {
    process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "a", "kind": "approval", "assignee": user("boss")},
            {"id": "b", "kind": "approval", "assignee": role("crew"), "mode": "all", "auto_approve_repeat": repeat},
            {"id": "ok", "kind": "end", "outcome": "approved"}
        ]),
        json!([{"from": "s", "to": "a"}, {"from": "a", "to": "b"}, {"from": "b", "to": "ok"}]),
    )
}

#[test]
fn auto_approve_repeat_skips_people_who_already_approved() {
    let ctx = || TestCtx::new().people("role:crew", &["boss", "u2"]);
    let mut w = World::started(&two_steps(true), ctx());
    w.approve("a", "boss");
    assert_eq!(w.open(), vec![("b".into(), "u2".into())]);
    assert!(w.history().contains(&HistoryAction::AutoApprovedRepeat {
        user: "boss".into()
    }));
    w.approve("b", "u2");
    assert_eq!(w.outcome(), Some(Outcome::Approved));

    let mut w = World::started(&two_steps(false), ctx());
    w.approve("a", "boss");
    assert_eq!(
        w.open(),
        vec![("b".into(), "boss".into()), ("b".into(), "u2".into())]
    );
}

fn chain_with_revise() -> formwork_model::ProcessDef {
    process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "a", "kind": "approval", "assignee": user("u1")},
            {"id": "b", "kind": "approval", "assignee": user("u2")},
            {"id": "c", "kind": "approval", "assignee": role("crew"), "mode": "all"},
            {"id": "ok", "kind": "end", "outcome": "approved"}
        ]),
        json!([
            {"from": "s", "to": "a"}, {"from": "a", "to": "b"},
            {"from": "b", "to": "c"}, {"from": "c", "to": "ok"}
        ]),
    )
}

#[test]
fn return_goes_back_to_a_passed_step_only() {
    let mut w = World::started(&chain_with_revise(), crew(2));
    w.approve("a", "u1");
    w.approve("b", "u2");
    let refused = w.act("c", "u1", Action::ReturnTo { node: "ok".into() });
    assert!(matches!(refused, Err(EngineError::NotAllowed { .. })));
    let refused = w.act(
        "c",
        "u1",
        Action::ReturnTo {
            node: "nowhere".into(),
        },
    );
    assert!(matches!(refused, Err(EngineError::NotAllowed { .. })));
    w.act("c", "u1", Action::ReturnTo { node: "a".into() })
        .unwrap();
    assert_eq!(w.open(), vec![("a".into(), "u1".into())]);
    assert!(w.last.iter().any(|e| matches!(
        e,
        Effect::CancelTask {
            reason: CancelReason::Returned,
            ..
        }
    )));
    assert!(w.last.iter().any(|e| matches!(
        e,
        Effect::CompleteTask {
            outcome: TaskOutcome::Returned,
            ..
        }
    )));
    assert!(w.history().contains(&HistoryAction::Returned {
        task: formwork_process::TaskKey("c#3".into()),
        to: "a".into()
    }));
}

#[test]
fn a_drawn_return_edge_allows_returning_to_a_step_not_yet_passed() {
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
            {"from": "a", "to": "fix", "on": "return"},
            {"from": "fix", "to": "a"}
        ]),
    );
    let mut w = World::started(&def, TestCtx::new());
    w.act("a", "boss", Action::ReturnTo { node: "fix".into() })
        .unwrap();
    assert_eq!(w.open(), vec![("fix".into(), "sales1".into())]);
    w.act("fix", "sales1", Action::Submit).unwrap();
    w.approve("a", "boss");
    assert_eq!(w.outcome(), Some(Outcome::Approved));
}

#[test]
fn returning_out_of_a_branch_cancels_the_sibling_and_clears_the_join() {
    let def = parallel(
        vec![json!({"id": "first", "kind": "approval", "assignee": user("lead")})],
        vec![],
    );
    // Put `first` between start and the split.
    let mut def = def;
    def.edges[0].to = "first".into();
    def.edges
        .push(serde_json::from_value(json!({"from": "first", "to": "split"})).unwrap());
    let mut w = World::started(&def, TestCtx::new());
    w.approve("first", "lead");
    w.approve("b", "boss2");
    assert_eq!(w.st.joins.len(), 1);
    w.act(
        "a",
        "boss1",
        Action::ReturnTo {
            node: "first".into(),
        },
    )
    .unwrap();
    assert_eq!(w.open(), vec![("first".into(), "lead".into())]);
    assert!(w.st.joins.is_empty());

    w.approve("first", "lead");
    w.approve("a", "boss1");
    assert_eq!(w.outcome(), None, "the join counts afresh");
    w.approve("b", "boss2");
    assert_eq!(w.outcome(), Some(Outcome::Approved));
}

#[test]
fn returning_into_a_branch_from_outside_starts_a_new_round_of_the_block() {
    let mut def = parallel(
        vec![json!({"id": "first", "kind": "approval", "assignee": user("lead")})],
        vec![json!({"from": "first", "to": "split"})],
    );
    def.edges[0].to = "first".into();
    let mut w = World::started(&def, TestCtx::new());
    w.approve("first", "lead");
    w.approve("b", "boss2");
    w.act("a", "boss1", Action::ReturnTo { node: "first".into() })
        .unwrap();
    // `first` returns into branch b, which it passed: b resumes there, a starts again.
    w.act("first", "lead", Action::ReturnTo { node: "b".into() })
        .unwrap();
    assert_eq!(
        w.open(),
        vec![("a".into(), "boss1".into()), ("b".into(), "boss2".into())]
    );
    assert!(w.history().contains(&HistoryAction::BranchesStarted {
        branches: 2,
        again: true
    }));
    w.approve("b", "boss2");
    assert_eq!(w.outcome(), None);
    w.approve("a", "boss1");
    assert_eq!(w.outcome(), Some(Outcome::Approved));
}

#[test]
fn returning_out_of_a_branch_records_the_cancelled_sibling_tasks() {
    let mut def = parallel(
        vec![json!({"id": "first", "kind": "approval", "assignee": user("lead")})],
        vec![],
    );
    def.edges[0].to = "first".into();
    def.edges
        .push(serde_json::from_value(json!({"from": "first", "to": "split"})).unwrap());
    let mut w = World::started(&def, TestCtx::new());
    w.approve("first", "lead");
    let sibling = w.task("b", "boss2").key;
    w.act(
        "a",
        "boss1",
        Action::ReturnTo {
            node: "first".into(),
        },
    )
    .unwrap();
    assert!(w.last.contains(&Effect::CancelTask {
        key: sibling.clone(),
        reason: CancelReason::BranchAbandoned
    }));
    assert!(w.history().contains(&HistoryAction::BranchCancelled {
        tasks: vec![sibling],
        reason: CancelReason::BranchAbandoned,
    }));
}

#[test]
fn a_reject_edge_out_of_a_branch_abandons_the_sibling_branch() {
    let def = parallel(
        vec![json!({"id": "fix", "kind": "fill", "assignee": {"type": "submitter"}})],
        vec![
            json!({"from": "a", "to": "fix", "on": "reject"}),
            json!({"from": "fix", "to": "split"}),
        ],
    );
    let mut w = World::started(&def, TestCtx::new());
    w.approve("b", "boss2");
    w.reject("a", "boss1");
    assert_eq!(w.open(), vec![("fix".into(), "sales1".into())]);
    assert!(w.st.joins.is_empty());
    w.act("fix", "sales1", Action::Submit).unwrap();
    assert_eq!(
        w.open(),
        vec![("a".into(), "boss1".into()), ("b".into(), "boss2".into())]
    );
}

#[test]
fn transfer_hands_the_task_to_someone_else() {
    let mut w = World::started(
        &one_step(json!({"assignee": role("crew"), "mode": "all"})),
        crew(2),
    );
    let old = w.task("a", "u1");
    let refused = w.act("a", "u1", Action::Transfer { to: "u2".into() });
    assert!(
        matches!(refused, Err(EngineError::NotAllowed { .. })),
        "u2 already has a task"
    );
    w.act("a", "u1", Action::Transfer { to: "x".into() })
        .unwrap();
    assert!(w.last.contains(&Effect::CompleteTask {
        key: old.key.clone(),
        outcome: TaskOutcome::Transferred,
        by: Some("u1".into())
    }));
    assert_eq!(
        w.open(),
        vec![("a".into(), "u2".into()), ("a".into(), "x".into())]
    );
    let again = w.send(Event::Decide {
        task: old,
        action: Action::Approve,
    });
    assert!(matches!(again, Err(EngineError::TaskNotOpen { .. })));
    w.approve("a", "x");
    w.approve("a", "u2");
    assert_eq!(w.outcome(), Some(Outcome::Approved));
}

#[test]
fn add_signer_before_oneself_gets_the_task_back_afterwards() {
    let mut w = World::started(&one_step(json!({"assignee": user("boss")})), TestCtx::new());
    w.act(
        "a",
        "boss",
        Action::AddSigner {
            user: "expert".into(),
            before: true,
        },
    )
    .unwrap();
    assert_eq!(w.open(), vec![("a".into(), "expert".into())]);
    w.approve("a", "expert");
    assert_eq!(w.open(), vec![("a".into(), "boss".into())]);
    w.approve("a", "boss");
    assert_eq!(w.outcome(), Some(Outcome::Approved));
}

#[test]
fn add_signer_after_oneself_must_approve_too() {
    let mut w = World::started(&one_step(json!({"assignee": user("boss")})), TestCtx::new());
    w.act(
        "a",
        "boss",
        Action::AddSigner {
            user: "expert".into(),
            before: false,
        },
    )
    .unwrap();
    assert_eq!(w.open(), vec![("a".into(), "boss".into())]);
    let twice = w.act(
        "a",
        "boss",
        Action::AddSigner {
            user: "expert".into(),
            before: false,
        },
    );
    assert!(matches!(twice, Err(EngineError::NotAllowed { .. })));
    w.approve("a", "boss");
    assert_eq!(w.open(), vec![("a".into(), "expert".into())]);
    w.reject("a", "expert");
    assert_eq!(w.outcome(), Some(Outcome::Rejected));
}

fn deadline_step(escalate: Value) -> formwork_model::ProcessDef {
    one_step(json!({
        "assignee": user("boss"),
        "deadline": {"hours": 24, "remind_before_hours": 4, "escalate": escalate}
    }))
}

#[test]
fn deadlines_schedule_a_reminder_and_an_escalation_with_stable_keys() {
    let mut w = World::started(
        &deadline_step(json!({"type": "notify_head"})),
        TestCtx::new(),
    );
    let due = T0 + Duration::hours(24);
    assert!(w.last.iter().any(|e| matches!(e,
        Effect::CreateTask { due_at: Some(d), .. } if *d == due)));
    let key = w.task("a", "boss").key;
    assert_eq!(
        w.timers.get(&TimerKey(format!("{key}/remind"))),
        Some(&(due - Duration::hours(4), TimerKind::Reminder))
    );
    assert_eq!(
        w.timers.get(&TimerKey(format!("{key}/escalate"))),
        Some(&(due, TimerKind::Escalation))
    );
    let fx = w.fire("/remind");
    assert!(fx.iter().any(|e| matches!(e,
        Effect::Notify { user, kind: NotifyKind::Reminder { .. } } if user == "boss")));
    w.approve("a", "boss");
    assert!(w.last.contains(&Effect::CancelTimer {
        key: TimerKey(format!("{key}/escalate"))
    }));
    assert!(w.timers.is_empty());
}

#[test]
fn escalation_does_what_the_deadline_says() {
    let mut ctx = TestCtx::new();
    ctx.heads.insert("boss".into(), "bigboss".into());
    let cases = [
        ("notify_head", None, vec![("a", "boss")]),
        ("reassign", None, vec![("a", "deputy")]),
        ("auto_approve", Some(Outcome::Approved), vec![]),
        ("auto_reject", Some(Outcome::Rejected), vec![]),
    ];
    for (kind, outcome, open) in cases {
        let mut esc = json!({"type": kind});
        if kind == "reassign" {
            esc["username"] = json!("deputy");
        }
        let mut w = World::started(&deadline_step(esc), ctx.clone());
        let fx = w.fire("/escalate");
        assert_eq!(w.outcome(), outcome, "{kind}");
        let open: Vec<(String, String)> = open
            .into_iter()
            .map(|(n, u)| (n.into(), u.into()))
            .collect();
        assert_eq!(w.open(), open, "{kind}");
        match kind {
            "notify_head" => {
                assert!(fx.iter().any(|e| matches!(e,
                Effect::Notify { user, kind: NotifyKind::Escalation { .. } } if user == "bigboss")))
            }
            "reassign" => assert!(fx.iter().any(|e| matches!(
                e,
                Effect::CancelTask {
                    reason: CancelReason::Reassigned,
                    ..
                }
            ))),
            "auto_approve" => assert!(fx.iter().any(|e| matches!(
                e,
                Effect::CompleteTask {
                    outcome: TaskOutcome::AutoApproved,
                    by: None,
                    ..
                }
            ))),
            _ => assert!(fx.iter().any(|e| matches!(
                e,
                Effect::CompleteTask {
                    outcome: TaskOutcome::AutoRejected,
                    by: None,
                    ..
                }
            ))),
        }
    }
}

#[test]
fn deadline_until_a_field_uses_the_fields_instant() {
    let def = one_step(json!({
        "assignee": user("boss"),
        "deadline": {"until_field": "due", "escalate": {"type": "auto_approve"}}
    }));
    let w = World::started(
        &def,
        TestCtx::new().with("due", json!("2026-11-30T10:00:00Z")),
    );
    let at = time::macros::datetime!(2026-11-30 10:00 UTC);
    assert_eq!(w.timers.values().next(), Some(&(at, TimerKind::Escalation)));
}

#[test]
fn a_task_is_decided_at_most_once() {
    let mut w = World::started(
        &one_step(json!({"assignee": role("crew"), "mode": "all"})),
        crew(2),
    );
    let task = w.task("a", "u1");
    w.approve("a", "u1");
    let again = w.send(Event::Decide {
        task: task.clone(),
        action: Action::Approve,
    });
    assert!(matches!(again, Err(EngineError::TaskNotOpen { .. })));
    let mut stranger = w.task("a", "u2");
    stranger.assignee = "u1".into();
    let wrong = w.send(Event::Decide {
        task: stranger,
        action: Action::Approve,
    });
    assert!(
        matches!(wrong, Err(EngineError::TaskNotOpen { .. })),
        "assignee must match"
    );
    let mut unknown = task;
    unknown.key.0 = "a#99".into();
    let missing = w.send(Event::Decide {
        task: unknown,
        action: Action::Reject,
    });
    assert!(matches!(missing, Err(EngineError::TaskNotOpen { .. })));
}

#[test]
fn the_submitter_may_withdraw_until_the_first_decision() {
    let def = chain_with_revise();
    let mut w = World::started(&def, crew(1));
    let stranger = w.send(Event::Withdraw { by: "u1".into() });
    assert!(matches!(stranger, Err(EngineError::NotAllowed { .. })));
    w.send(Event::Withdraw {
        by: "sales1".into(),
    })
    .unwrap();
    assert_eq!(w.outcome(), Some(Outcome::Withdrawn));
    assert!(w.tasks.is_empty());

    let mut w = World::started(&def, crew(1));
    w.approve("a", "u1");
    let late = w.send(Event::Withdraw {
        by: "sales1".into(),
    });
    assert!(matches!(late, Err(EngineError::NotAllowed { .. })));
}

#[test]
fn a_loop_whose_people_are_all_skipped_stops_at_the_step_budget() {
    // Validation refuses loops without a person; this one has a person who resolves to
    // nobody with fallback `skip`, so only the run can find it spinning.
    let def = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "first", "kind": "approval", "assignee": user("boss")},
            {"id": "c", "kind": "condition"},
            {"id": "a", "kind": "approval", "assignee": role("nobody"), "fallback": {"type": "skip"}},
            {"id": "e", "kind": "end", "outcome": "completed"}
        ]),
        json!([
            {"from": "s", "to": "first"},
            {"from": "first", "to": "c"},
            {"from": "c", "to": "a", "default": true},
            {"from": "a", "to": "c"},
            {"from": "c", "to": "e", "when": "never"}
        ]),
    );
    let p = CompiledProcess::compile(&def).unwrap().with_step_budget(50);
    let ctx = TestCtx::new().flag("never", false);
    let (st, _) = step(&p, &State::new(), Event::Start, T0, &ctx).unwrap();
    let task = st.open_tasks()[0].clone();
    let approve = Event::Decide {
        task: task.clone(),
        action: Action::Approve,
    };
    let (st, fx) = step(&p, &st, approve, T0, &ctx).unwrap();
    assert!(
        matches!(&st.status, Status::Stopped { reason: StopReason::LoopDetected, .. }),
        "{:?}",
        st.status
    );
    // The approval itself is kept: the task is completed, not lost.
    assert!(fx.contains(&Effect::CompleteTask {
        key: task.key,
        outcome: TaskOutcome::Approved,
        by: Some("boss".into())
    }));
    assert!(fx.len() < 20, "only the decision and the stop: {fx:#?}");
}

#[test]
fn lifecycle_errors_are_reported() {
    let def = one_step(json!({"assignee": user("boss")}));
    let mut w = World::new(&def, TestCtx::new());
    let task = formwork_process::TaskRef {
        node: "a".into(),
        assignee: "boss".into(),
        key: formwork_process::TaskKey("a#1".into()),
    };
    let early = w.send(Event::Decide {
        task: task.clone(),
        action: Action::Approve,
    });
    assert_eq!(early.unwrap_err(), EngineError::NotRunning);
    w.send(Event::Start).unwrap();
    assert_eq!(
        w.send(Event::Start).unwrap_err(),
        EngineError::AlreadyStarted
    );
    let stale = w
        .send(Event::TimerFired {
            key: TimerKey("nope".into()),
        })
        .unwrap();
    assert!(stale.is_empty());
    w.approve("a", "boss");
    assert_eq!(
        w.send(Event::Decide {
            task,
            action: Action::Approve
        })
        .unwrap_err(),
        EngineError::NotRunning
    );
}

#[test]
fn a_compiled_process_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<CompiledProcess>();
}

#[test]
fn steps_are_deterministic() {
    let def = deadline_step(json!({"type": "auto_approve"}));
    let p = CompiledProcess::compile(&def).unwrap();
    let ctx = TestCtx::new();
    let once = step(&p, &State::new(), Event::Start, T0, &ctx).unwrap();
    let twice = step(&p, &State::new(), Event::Start, T0, &ctx).unwrap();
    assert_eq!(once, twice);
}

#[test]
fn state_stays_small() {
    let mut w = World::started(&chain_with_revise(), crew(3));
    w.approve("a", "u1");
    w.approve("b", "u2");
    let text = serde_json::to_string(&w.st).unwrap();
    assert!(text.len() < 600, "{} bytes: {text}", text.len());
    assert!(!text.contains("history"));
}

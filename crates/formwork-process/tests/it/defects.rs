//! One test per defect issue 8 reported against the engine, each failing before its fix:
//! joins that counted a superseded round, a return bouncing off `auto_approve_repeat`, a loop
//! condition blind to the value set just before, a handed-over task inheriting a past
//! deadline; plus `return_to_submitter`, users as ids and working-hour deadlines.

use formwork_model::Outcome;
use formwork_process::{
    Action, CancelReason, Effect, Event, FallbackApplied, HistoryAction, TaskKind, TimerKind,
};
use serde_json::{Value, json};
use time::Duration;

use crate::common::{T0, TestCtx, World, process, role, user};

/// start → split → (x → x2 | y) → join → ok.
fn two_branches() -> formwork_model::ProcessDef {
    process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "split", "kind": "parallel_split"},
            {"id": "x", "kind": "approval", "assignee": user("xu")},
            {"id": "x2", "kind": "approval", "assignee": user("x2u")},
            {"id": "y", "kind": "approval", "assignee": user("yu")},
            {"id": "join", "kind": "parallel_join"},
            {"id": "ok", "kind": "end", "outcome": "approved"}
        ]),
        json!([
            {"from": "s", "to": "split"}, {"from": "split", "to": "x"}, {"from": "split", "to": "y"},
            {"from": "x", "to": "x2"}, {"from": "x2", "to": "join"}, {"from": "y", "to": "join"},
            {"from": "join", "to": "ok"}
        ]),
    )
}

fn joined(w: &World) -> usize {
    w.history()
        .iter()
        .filter(|h| **h == HistoryAction::Joined)
        .count()
}

#[test]
fn a_return_across_branches_supersedes_the_round_and_the_join_waits_for_the_new_one() {
    let mut w = World::started(&two_branches(), TestCtx::new());
    w.approve("x", "xu");
    let stale = w.task("x2", "x2u").key;
    w.act("y", "yu", Action::ReturnTo { node: "x".into() })
        .unwrap();
    assert!(w.last.contains(&Effect::CancelTask {
        key: stale.clone(),
        reason: CancelReason::Superseded
    }));
    assert!(w.history().contains(&HistoryAction::BranchCancelled {
        tasks: vec![stale],
        reason: CancelReason::Superseded
    }));
    assert_eq!(
        w.open(),
        vec![("x".into(), "xu".into()), ("y".into(), "yu".into())]
    );
    assert_eq!((w.round("x", "xu"), w.round("y", "yu")), (2, 2));

    w.approve("x", "xu");
    let x2_tasks: Vec<_> = w.open().into_iter().filter(|(n, _)| n == "x2").collect();
    assert_eq!(x2_tasks.len(), 1, "exactly one x2 task");
    assert_eq!(w.round("x2", "x2u"), 2);
    w.approve("x2", "x2u");
    assert_eq!(joined(&w), 0, "y has not approved in this round");
    assert_eq!(w.outcome(), None);
    w.approve("y", "yu");
    assert_eq!(joined(&w), 1);
    assert_eq!(w.outcome(), Some(Outcome::Approved));
}

#[test]
fn a_returned_to_step_with_auto_approve_repeat_waits_for_a_person() {
    let def = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "a", "kind": "approval", "assignee": user("u1")},
            {"id": "b", "kind": "approval", "assignee": user("u2"), "auto_approve_repeat": true},
            {"id": "c", "kind": "approval", "assignee": user("u2"), "auto_approve_repeat": true},
            {"id": "d", "kind": "approval", "assignee": user("u3")},
            {"id": "ok", "kind": "end", "outcome": "approved"}
        ]),
        json!([
            {"from": "s", "to": "a"}, {"from": "a", "to": "b"}, {"from": "b", "to": "c"},
            {"from": "c", "to": "d"}, {"from": "d", "to": "ok"}
        ]),
    );
    let mut w = World::started(&def, TestCtx::new());
    w.approve("a", "u1");
    w.approve("b", "u2");
    // c went to u2, who approved b: skipped as a repeat approver.
    assert_eq!(w.open(), vec![("d".into(), "u3".into())]);
    w.act("d", "u3", Action::ReturnTo { node: "b".into() })
        .unwrap();
    assert_eq!(w.open(), vec![("b".into(), "u2".into())], "b waits for u2");
    assert!(
        !w.last
            .iter()
            .any(|e| matches!(e, Effect::History(h) if matches!(h.action, HistoryAction::AutoApprovedRepeat { .. }))),
        "{:#?}",
        w.last
    );
    w.approve("b", "u2");
    assert_eq!(w.open(), vec![("d".into(), "u3".into())]);
}

#[test]
fn a_loop_condition_sees_the_value_an_action_set_just_before() {
    let def = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "a", "kind": "approval", "assignee": user("u1")},
            {"id": "count", "kind": "action", "set": {"round": "round + 1"}},
            {"id": "again", "kind": "condition"},
            {"id": "ok", "kind": "end", "outcome": "approved"}
        ]),
        json!([
            {"from": "s", "to": "a"}, {"from": "a", "to": "count"},
            {"from": "count", "to": "again"},
            {"from": "again", "to": "a", "when": "round < 3"},
            {"from": "again", "to": "ok", "default": true}
        ]),
    );
    let mut w = World::started(&def, TestCtx::new().with("round", json!(0)));
    let mut runs = 0;
    while w.outcome().is_none() {
        w.approve("a", "u1");
        runs += 1;
        assert!(runs <= 5, "the loop does not stop");
    }
    assert_eq!(runs, 3);
    assert_eq!(w.ctx.data["round"], json!(3));
}

/// One approval with `deadline`, escalating by reassigning to `u5`.
fn reassigning(deadline: Value) -> formwork_model::ProcessDef {
    process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "a", "kind": "approval", "assignee": user("u1"), "deadline": deadline},
            {"id": "ok", "kind": "end", "outcome": "approved"}
        ]),
        json!([{"from": "s", "to": "a"}, {"from": "a", "to": "ok"}]),
    )
}

fn due_of(w: &World, user: &str) -> Option<time::OffsetDateTime> {
    w.log.iter().rev().find_map(|e| match e {
        Effect::CreateTask {
            assignee, due_at, ..
        } if assignee == user => Some(*due_at),
        _ => None,
    })?
}

#[test]
fn a_task_reassigned_by_escalation_never_inherits_a_past_due_time() {
    let deadline =
        json!({"until_field": "due", "escalate": {"type": "reassign", "username": "u5"}});
    let ctx = TestCtx::new().with("due", json!("2026-11-23T10:00:00Z"));
    let mut w = World::started(&reassigning(deadline), ctx);
    w.fire("/escalate");
    assert_eq!(w.open(), vec![("a".into(), "u5".into())]);
    let due = due_of(&w, "u5");
    assert!(due.is_none_or(|d| d > w.now), "{due:?} at {}", w.now);
    let escalations = w
        .timers
        .values()
        .filter(|(_, k)| *k == TimerKind::Escalation);
    assert!(escalations.into_iter().all(|(at, _)| *at > w.now));
}

#[test]
fn a_task_reassigned_by_an_admin_is_due_from_the_reassignment() {
    let deadline = json!({"hours": 8, "escalate": {"type": "notify_head"}});
    let mut w = World::started(&reassigning(deadline), TestCtx::new());
    assert_eq!(due_of(&w, "u1"), Some(T0 + Duration::hours(8)));
    w.now = T0 + Duration::hours(30);
    let task = w.task("a", "u1");
    w.send(Event::Reassign {
        by: "admin".into(),
        task,
        to: "u9".into(),
    })
    .unwrap();
    assert_eq!(due_of(&w, "u9"), Some(T0 + Duration::hours(38)));
    assert!(w.history().contains(&HistoryAction::Reassigned {
        task: formwork_process::TaskKey("a#1".into()),
        from: "u1".into(),
        to: "u9".into()
    }));
}

#[test]
fn a_transferred_task_is_due_from_the_transfer() {
    let deadline = json!({"hours": 8, "escalate": {"type": "auto_approve"}});
    let mut w = World::started(&reassigning(deadline), TestCtx::new());
    w.now = T0 + Duration::hours(7);
    w.act("a", "u1", Action::Transfer { to: "u2".into() })
        .unwrap();
    assert_eq!(due_of(&w, "u2"), Some(T0 + Duration::hours(15)));
}

/// start → a (boss) → b (boss2) → ok; optionally a `revise` fill of the submitter.
fn two_approvals(revise: bool) -> formwork_model::ProcessDef {
    let mut nodes = vec![
        json!({"id": "s", "kind": "start"}),
        json!({"id": "a", "kind": "approval", "assignee": user("boss")}),
        json!({"id": "b", "kind": "approval", "assignee": user("boss2")}),
        json!({"id": "ok", "kind": "end", "outcome": "approved"}),
    ];
    let mut edges = vec![
        json!({"from": "s", "to": "a"}),
        json!({"from": "a", "to": "b"}),
        json!({"from": "b", "to": "ok"}),
    ];
    if revise {
        nodes.push(json!({"id": "revise", "kind": "fill", "assignee": {"type": "submitter"}}));
        nodes.push(json!({"id": "gone", "kind": "end", "outcome": "withdrawn"}));
        edges.push(json!({"from": "b", "to": "revise", "on": "reject"}));
        edges.push(json!({"from": "revise", "to": "a"}));
        edges.push(json!({"from": "revise", "to": "gone", "on": "withdraw"}));
    }
    process(Value::Array(nodes), Value::Array(edges))
}

#[test]
fn return_to_submitter_sends_the_record_to_the_revise_step() {
    let mut w = World::started(&two_approvals(true), TestCtx::new());
    w.approve("a", "boss");
    w.act("b", "boss2", Action::ReturnToSubmitter).unwrap();
    assert_eq!(w.open(), vec![("revise".into(), "sales1".into())]);
    assert!(w.history().contains(&HistoryAction::ReturnedToSubmitter {
        task: formwork_process::TaskKey("b#2".into()),
        to: Some("revise".into())
    }));
    w.act("revise", "sales1", Action::Submit).unwrap();
    assert_eq!(w.open(), vec![("a".into(), "boss".into())]);
}

#[test]
fn return_to_submitter_without_a_revise_step_hands_back_the_whole_form() {
    let mut w = World::started(&two_approvals(false), TestCtx::new());
    w.approve("a", "boss");
    w.act("b", "boss2", Action::ReturnToSubmitter).unwrap();
    assert_eq!(w.open(), vec![("b".into(), "sales1".into())]);
    assert!(w.last.iter().any(|e| matches!(
        e,
        Effect::CreateTask { kind: TaskKind::Resubmit, node, assignee, .. }
            if node == "b" && assignee == "sales1"
    )));
    for action in [Action::Approve, Action::ReturnToSubmitter] {
        let refused = w.act("b", "sales1", action);
        assert!(refused.is_err(), "the submitter resubmits or withdraws");
    }
    w.act("b", "sales1", Action::Submit).unwrap();
    assert_eq!(w.open(), vec![("b".into(), "boss2".into())]);
    assert_eq!(
        w.round("b", "boss2"),
        3,
        "approval, resubmission, approval again"
    );
    w.approve("b", "boss2");
    assert_eq!(w.outcome(), Some(Outcome::Approved));
}

#[test]
fn a_submitter_may_withdraw_a_record_returned_to_them() {
    let mut w = World::started(&two_approvals(false), TestCtx::new());
    w.act("a", "boss", Action::ReturnToSubmitter).unwrap();
    w.act("a", "sales1", Action::Withdraw).unwrap();
    assert_eq!(w.outcome(), Some(Outcome::Withdrawn));
}

#[test]
fn reject_without_a_reject_edge_ends_while_return_to_submitter_does_not() {
    let mut rejected = World::started(&two_approvals(false), TestCtx::new());
    rejected.reject("a", "boss");
    assert_eq!(rejected.outcome(), Some(Outcome::Rejected));
    let mut returned = World::started(&two_approvals(false), TestCtx::new());
    returned
        .act("a", "boss", Action::ReturnToSubmitter)
        .unwrap();
    assert_eq!(returned.outcome(), None);
}

#[test]
fn returning_to_the_submitter_from_a_branch_stops_the_other_branches_until_resubmitted() {
    let mut w = World::started(&two_branches(), TestCtx::new());
    let sibling = w.task("y", "yu").key;
    w.act("x", "xu", Action::ReturnToSubmitter).unwrap();
    assert!(w.last.contains(&Effect::CancelTask {
        key: sibling,
        reason: CancelReason::Returned
    }));
    assert_eq!(w.open(), vec![("x".into(), "sales1".into())]);
    w.act("x", "sales1", Action::Submit).unwrap();
    assert_eq!(
        w.open(),
        vec![("x".into(), "xu".into()), ("y".into(), "yu".into())]
    );
    for (node, user) in [("x", "xu"), ("x2", "x2u"), ("y", "yu")] {
        w.approve(node, user);
    }
    assert_eq!(w.outcome(), Some(Outcome::Approved));
}

#[test]
fn users_named_in_the_package_reach_the_effects_as_ids() {
    let def = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "a", "kind": "approval", "assignee": user("alice"),
             "deadline": {"hours": 4, "escalate": {"type": "reassign", "username": "carol"}}},
            {"id": "b", "kind": "approval", "assignee": role("nobody"),
             "fallback": {"type": "user", "username": "bob"}},
            {"id": "c", "kind": "approval", "assignee": role("nobody"),
             "fallback": {"type": "user", "username": "ghost"}},
            {"id": "ok", "kind": "end", "outcome": "approved"}
        ]),
        json!([
            {"from": "s", "to": "a"}, {"from": "a", "to": "b"}, {"from": "b", "to": "c"},
            {"from": "c", "to": "ok"}
        ]),
    );
    let ctx = TestCtx::new().ids(&[("alice", "id-1"), ("bob", "id-2"), ("carol", "id-3")]);
    let mut w = World::started(&def, ctx);
    assert_eq!(w.open(), vec![("a".into(), "id-1".into())]);
    w.fire("/escalate");
    assert_eq!(w.open(), vec![("a".into(), "id-3".into())]);
    w.approve("a", "id-3");
    assert_eq!(w.open(), vec![("b".into(), "id-2".into())]);
    assert!(w.history().contains(&HistoryAction::NobodyResolved {
        fallback: FallbackApplied::User {
            user: "id-2".into()
        }
    }));
    w.approve("b", "id-2");
    // A fallback naming nobody the directory knows stops the instance.
    assert!(matches!(
        w.st.status,
        formwork_process::Status::Stopped { .. }
    ));
    let named = |e: &Effect| match e {
        Effect::CreateTask { assignee, .. } => Some(assignee.clone()),
        Effect::CompleteTask { by, .. } => by.clone(),
        Effect::Notify { user, .. } => Some(user.clone()),
        _ => None,
    };
    for who in w.log.iter().filter_map(named) {
        assert!(
            who.starts_with("id-") || who == "sales1",
            "{who} is not an id"
        );
    }
}

#[test]
fn working_hour_deadlines_and_waits_go_through_the_calendar_hook() {
    let def = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "w", "kind": "wait", "hours": 2, "calendar": "working"},
            {"id": "a", "kind": "approval", "assignee": user("u1"),
             "deadline": {"hours": 8, "calendar": "working", "escalate": {"type": "notify_head"}}},
            {"id": "b", "kind": "approval", "assignee": user("u2"),
             "deadline": {"hours": 8, "escalate": {"type": "notify_head"}}},
            {"id": "ok", "kind": "end", "outcome": "approved"}
        ]),
        json!([
            {"from": "s", "to": "w"}, {"from": "w", "to": "a"}, {"from": "a", "to": "b"},
            {"from": "b", "to": "ok"}
        ]),
    );
    let mut w = World::started(&def, TestCtx::new());
    // The test calendar counts a working hour as three clock hours.
    assert_eq!(
        w.timers.values().next().map(|(at, _)| *at),
        Some(T0 + Duration::hours(6))
    );
    w.fire("/wait");
    assert_eq!(due_of(&w, "u1"), Some(w.now + Duration::hours(24)));
    w.approve("a", "u1");
    assert_eq!(due_of(&w, "u2"), Some(w.now + Duration::hours(8)));
}

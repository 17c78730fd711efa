//! What people and timers do at human steps: repeat approvers, returns in and out of
//! parallel branches, transfer, added signers, deadlines and escalations, and the lifecycle
//! of an instance.

use crate::common::{T0, TestCtx, World, process, role, user};
use crate::nodes::{crew, one_step, parallel};
use formwork_model::Outcome;
use formwork_process::{
    Action, CancelReason, CompiledProcess, Effect, EngineError, Event, HistoryAction, NotifyKind,
    State, Status, StopReason, TaskOutcome, TimerKey, TimerKind, step,
};
use serde_json::{Value, json};
use time::Duration;

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
    w.act(
        "a",
        "boss1",
        Action::ReturnTo {
            node: "first".into(),
        },
    )
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
        matches!(
            &st.status,
            Status::Stopped {
                reason: StopReason::LoopDetected,
                ..
            }
        ),
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

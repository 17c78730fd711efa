//! An admin's operations on an instance: cancel, retry a stopped step, move to a node, and
//! reassign a task, each on the timeline with the admin as the actor.

use formwork_model::Outcome;
use formwork_process::{
    Action, CancelReason, Effect, EngineError, Event, HistoryAction, Status, StopReason,
};
use serde_json::json;

use crate::common::{TestCtx, World, process, role, user};

fn two_steps() -> formwork_model::ProcessDef {
    process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "a", "kind": "approval", "assignee": user("u1")},
            {"id": "b", "kind": "approval", "assignee": role("finance")},
            {"id": "ok", "kind": "end", "outcome": "approved"}
        ]),
        json!([{"from": "s", "to": "a"}, {"from": "a", "to": "b"}, {"from": "b", "to": "ok"}]),
    )
}

fn admin() -> String {
    "admin".into()
}

#[test]
fn cancel_ends_the_instance_as_chosen_and_closes_its_tasks() {
    let mut w = World::started(&two_steps(), TestCtx::new());
    let refused = w.send(Event::Cancel {
        by: admin(),
        outcome: Outcome::Approved,
    });
    assert!(matches!(refused, Err(EngineError::NotAllowed { .. })));
    let open = w.task("a", "u1").key;
    w.send(Event::Cancel {
        by: admin(),
        outcome: Outcome::Withdrawn,
    })
    .unwrap();
    assert_eq!(w.outcome(), Some(Outcome::Withdrawn));
    assert!(w.last.contains(&Effect::CancelTask {
        key: open,
        reason: CancelReason::InstanceEnded
    }));
    assert!(w.history().contains(&HistoryAction::Cancelled {
        outcome: Outcome::Withdrawn
    }));
}

#[test]
fn a_stopped_instance_is_retried_once_its_cause_is_fixed() {
    let mut w = World::started(&two_steps(), TestCtx::new());
    w.approve("a", "u1");
    assert_eq!(
        w.st.status,
        Status::Stopped {
            node: "b".into(),
            reason: StopReason::NobodyToAssign
        }
    );
    w.send(Event::Cancel {
        by: admin(),
        outcome: Outcome::Rejected,
    })
    .unwrap();
    assert_eq!(
        w.outcome(),
        Some(Outcome::Rejected),
        "a stopped instance can be cancelled"
    );

    let mut w = World::started(&two_steps(), TestCtx::new());
    w.approve("a", "u1");
    w.ctx = w.ctx.clone().people("role:finance", &["f1", "f2"]);
    w.send(Event::Retry { by: admin() }).unwrap();
    assert_eq!(
        w.open(),
        vec![("b".into(), "f1".into()), ("b".into(), "f2".into())]
    );
    assert!(w.history().contains(&HistoryAction::Retried));
    let again = w.send(Event::Retry { by: admin() });
    assert!(matches!(again, Err(EngineError::NotAllowed { .. })));
}

#[test]
fn move_cancels_the_open_tasks_and_the_target_acts_in_person() {
    let def = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "a", "kind": "approval", "assignee": user("u1"), "auto_approve_repeat": true},
            {"id": "b", "kind": "approval", "assignee": user("u2")},
            {"id": "ok", "kind": "end", "outcome": "approved"}
        ]),
        json!([{"from": "s", "to": "a"}, {"from": "a", "to": "b"}, {"from": "b", "to": "ok"}]),
    );
    let mut w = World::started(&def, TestCtx::new());
    w.approve("a", "u1");
    let open = w.task("b", "u2").key;
    w.send(Event::MoveTo {
        by: admin(),
        node: "a".into(),
    })
    .unwrap();
    assert!(w.last.contains(&Effect::CancelTask {
        key: open,
        reason: CancelReason::Moved
    }));
    assert_eq!(
        w.open(),
        vec![("a".into(), "u1".into())],
        "u1 decides in person"
    );
    let unknown = w.send(Event::MoveTo {
        by: admin(),
        node: "nowhere".into(),
    });
    assert!(matches!(unknown, Err(EngineError::NotAllowed { .. })));
}

#[test]
fn reassign_refuses_someone_already_at_the_step() {
    let def = process(
        json!([
            {"id": "s", "kind": "start"},
            {"id": "a", "kind": "approval", "assignee": role("crew"), "mode": "all"},
            {"id": "ok", "kind": "end", "outcome": "approved"}
        ]),
        json!([{"from": "s", "to": "a"}, {"from": "a", "to": "ok"}]),
    );
    let mut w = World::started(&def, TestCtx::new().people("role:crew", &["u1", "u2"]));
    let task = w.task("a", "u1");
    let refused = w.send(Event::Reassign {
        by: admin(),
        task: task.clone(),
        to: "u2".into(),
    });
    assert!(matches!(refused, Err(EngineError::NotAllowed { .. })));
    w.send(Event::Reassign {
        by: admin(),
        task,
        to: "u3".into(),
    })
    .unwrap();
    assert_eq!(
        w.open(),
        vec![("a".into(), "u2".into()), ("a".into(), "u3".into())]
    );
    w.approve("a", "u3");
    w.act("a", "u2", Action::Approve).unwrap();
    assert_eq!(w.outcome(), Some(Outcome::Approved));
}

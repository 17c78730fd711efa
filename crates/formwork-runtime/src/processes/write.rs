//! The engine's effects as rows: one [`StepWrite`] per step, with timeline entries and
//! messages worded as data (texts come from the message catalog), and the record's new status
//! and data. The engine names people by user id, as the tables do.

use std::collections::HashMap;

use formwork_forms::field_diff;
use formwork_model::{AssigneeDef, NodeKind, Outcome};
use formwork_process::{
    CancelReason, CompiledProcess, Effect, HistoryEntry, NotifyKind, State, Status, StopReason,
    TaskKind, TaskOutcome, TimerKind, Wait,
};
use formwork_store::{
    AppId, InstanceId, InstanceStatus, NewHistory, NewJob, NewNotification, NewTask, NewTimer,
    RecordId, RecordStatus, StepWrite, TaskAction, TaskClose, TaskId, TaskStatus, UserId,
};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::RuntimeResult;
use crate::directory::Directory;

/// The person whose action this step applies, and what they said.
#[derive(Debug, Clone)]
pub(crate) struct Actor {
    pub user_id: UserId,
    pub comment: Option<String>,
}

/// What a step's rows are built from besides its effects.
pub(crate) struct WriteInput<'a> {
    pub instance_id: &'a InstanceId,
    pub expected_version: Option<i64>,
    pub process: &'a CompiledProcess,
    pub app_id: &'a AppId,
    /// The record's id; `None` for a record not inserted yet.
    pub record_id: Option<&'a RecordId>,
    pub next: &'a State,
    pub actor: Option<&'a Actor>,
    pub decided_task: Option<String>,
    pub fired_timer: Option<String>,
    /// The record status stored now; `None` for a record not inserted yet.
    pub stored_status: Option<RecordStatus>,
    /// The stored record's revision; `None` for a record not inserted yet.
    pub stored_rev: Option<i64>,
    pub stored_data: &'a Value,
    /// The data the step ran on (the stored data with the actor's edits).
    pub data: Value,
    /// Ids of the instance's existing tasks by key, for messages about them.
    pub task_ids: &'a HashMap<String, TaskId>,
    /// The record's own data when the instance decides a change request (变更): `stored_data`
    /// and `data` are then the record with the proposed values.
    pub change_base: Option<&'a Value>,
    pub now: OffsetDateTime,
}

/// The step's rows, and the record's status and data after it.
pub(crate) struct Built {
    pub write: StepWrite,
    pub record_status: RecordStatus,
    pub record_data: Value,
}

pub(crate) fn build(
    dir: &Directory,
    input: WriteInput<'_>,
    effects: Vec<Effect>,
) -> RuntimeResult<Built> {
    let state = serde_json::to_value(input.next)
        .map_err(|e| crate::RuntimeError::Internal(format!("process state: {e}")))?;
    let mut write = StepWrite::new(
        input.instance_id.clone(),
        state,
        instance_status(&input.next.status),
    );
    write.expected_version = input.expected_version;
    if let Status::Stopped { node, .. } = &input.next.status {
        write.stopped_node = Some(node.clone());
    }
    write.decided_task = input.decided_task.clone();
    write.fired_timer = input.fired_timer.clone();
    write.at = Some(input.now);
    let mut builder = Builder {
        dir,
        task_ids: input.task_ids.clone(),
        write,
        data: input.data.clone(),
        ended: None,
        input: &input,
    };
    for effect in effects {
        builder.apply(effect)?;
    }
    Ok(builder.finish())
}

/// A step's rows as its effects are applied one by one.
struct Builder<'a, 'i> {
    dir: &'a Directory,
    /// Task ids by key: the instance's existing tasks and those this step creates.
    task_ids: HashMap<String, TaskId>,
    write: StepWrite,
    /// The record data as the step leaves it.
    data: Value,
    ended: Option<Outcome>,
    input: &'i WriteInput<'i>,
}

impl Builder<'_, '_> {
    fn apply(&mut self, effect: Effect) -> RuntimeResult<()> {
        match effect {
            Effect::CreateTask {
                key,
                node,
                assignee,
                round,
                kind,
                due_at,
            } => self.create_task(key.0, node, &assignee, (round, kind), due_at)?,
            Effect::CancelTask { key, reason } => self.write.tasks_closed.push(TaskClose {
                key: key.0,
                status: TaskStatus::Cancelled,
                action: cancel_reason(reason),
                by: None,
                comment: None,
            }),
            Effect::CompleteTask { key, outcome, by } => self.complete_task(key.0, outcome, by)?,
            Effect::Notify { user, kind } => {
                let user_id = user_id(&user)?;
                let (kind, payload) = notify_payload(self.input.process, &kind, &self.task_ids);
                self.write.notifications.push(NewNotification {
                    user_id,
                    kind,
                    payload,
                });
            }
            Effect::ScheduleTimer { key, fire_at, kind } => {
                self.write.timers_scheduled.push(NewTimer {
                    key: key.0,
                    kind: timer_kind(kind).into(),
                    fire_at,
                });
            }
            Effect::CancelTimer { key } => self.write.timers_cancelled.push(key.0),
            Effect::SetFields { values, .. } => {
                if let Value::Object(map) = &mut self.data {
                    map.extend(values);
                }
            }
            Effect::History(entry) => {
                let row = history_row(entry, self.input.actor)?;
                self.write.history.push(row);
            }
            Effect::Ended { outcome } => self.ended = Some(outcome),
            Effect::Stopped { node, reason } => self.tell_admins(&node, reason),
        }
        Ok(())
    }

    /// A new open task, and the message telling its assignee.
    fn create_task(
        &mut self,
        key: String,
        node: String,
        assignee: &str,
        (round, kind): (u32, TaskKind),
        due_at: Option<OffsetDateTime>,
    ) -> RuntimeResult<()> {
        let id = TaskId::new();
        let assignee_id = user_id(assignee)?;
        self.task_ids.insert(key.clone(), id.clone());
        self.write.notifications.push(NewNotification {
            user_id: assignee_id.clone(),
            kind: "task".into(),
            payload: json!({
                "task_id": id,
                "node": node,
                "node_name": node_name(self.input.process, &node),
                "due_at": due_at.and_then(|t| t.format(&Rfc3339).ok()),
                "kind": store_kind(kind).as_str(),
            }),
        });
        self.write.tasks_created.push(NewTask {
            id,
            key,
            node_id: node,
            assignee_id,
            round: i64::from(round),
            kind: store_kind(kind),
            due_at,
        });
        Ok(())
    }

    /// A stopped instance waits for an admin: every active admin hears of it.
    fn tell_admins(&mut self, node: &str, reason: StopReason) {
        let reason = match serde_json::to_value(reason) {
            Ok(Value::String(r)) => r,
            _ => String::new(),
        };
        for admin in self.dir.admins() {
            self.write.notifications.push(NewNotification {
                user_id: admin.id.clone(),
                kind: "stopped".into(),
                payload: json!({
                    "node": node,
                    "node_name": node_name(self.input.process, node),
                    "reason": reason,
                }),
            });
        }
    }

    /// A task closed by whoever acted on it (with their comment on the decided task).
    fn complete_task(
        &mut self,
        key: String,
        outcome: TaskOutcome,
        by: Option<String>,
    ) -> RuntimeResult<()> {
        let by = by.map(|u| user_id(&u)).transpose()?;
        let input = self.input;
        let comment = input
            .actor
            .filter(|_| input.decided_task.as_deref() == Some(key.as_str()))
            .and_then(|a| a.comment.clone());
        self.write.tasks_closed.push(TaskClose {
            key,
            status: TaskStatus::Done,
            action: task_action(outcome),
            by,
            comment,
        });
        Ok(())
    }

    /// The outbox rows, and the record's status and data after the step.
    fn finish(mut self) -> Built {
        let input = self.input;
        let mut write = self.write;
        for note in &write.notifications {
            write.outbox.push(NewJob::new(
                "notify",
                json!({ "user_id": note.user_id, "kind": note.kind, "payload": note.payload }),
            ));
        }
        if let Some(outcome) = self.ended.take() {
            write.outbox.push(NewJob::new(
                "process.ended",
                json!({
                    "app_id": input.app_id,
                    "process_id": input.process.def().id,
                    "instance_id": input.instance_id,
                    "record_id": input.record_id,
                    "outcome": RecordStatus::from(outcome).as_str(),
                }),
            ));
        }
        if let Some(base) = input.change_base {
            return finish_change(input, write, self.data, base);
        }
        let record_status = match &input.next.status {
            Status::Ended { outcome } => RecordStatus::from(*outcome),
            Status::Running if waits_for_submitter(input.process, input.next) => {
                RecordStatus::Returned
            }
            // While an instance runs (or waits for an admin after stopping).
            Status::NotStarted | Status::Running | Status::Stopped { .. } => RecordStatus::InReview,
        };
        if input.stored_status != Some(record_status) {
            write.record_status = Some(record_status);
        }
        if &self.data != input.stored_data {
            write.record_diff = Some(field_diff(input.stored_data, &self.data));
            write.record_data = Some(self.data.clone());
            write.record_rev = input.stored_rev;
        }
        Built {
            write,
            record_status,
            record_data: self.data,
        }
    }
}

/// The end of a step of a change request (变更): the record keeps its status, and its data
/// takes the proposed values only when the change is approved; until then edits of the step
/// go into the proposal.
fn finish_change(input: &WriteInput<'_>, mut write: StepWrite, data: Value, base: &Value) -> Built {
    let approved = input.next.status
        == (Status::Ended {
            outcome: Outcome::Approved,
        });
    let record_status = input.stored_status.unwrap_or(RecordStatus::Approved);
    if approved {
        if &data != base {
            write.record_diff = Some(field_diff(base, &data));
            write.record_data = Some(data.clone());
            write.record_rev = input.stored_rev;
        }
        return Built {
            write,
            record_status,
            record_data: data,
        };
    }
    if &data != input.stored_data {
        write.proposed_changes = Some(changed_fields(base, &data));
    }
    Built {
        write,
        record_status,
        record_data: base.clone(),
    }
}

/// The top-level fields of `proposed` that differ from `base`, with their proposed values
/// (`null` for a field the proposal clears).
pub(crate) fn changed_fields(base: &Value, proposed: &Value) -> Value {
    let mut out = Map::new();
    if let Value::Object(p) = proposed {
        for (k, v) in p {
            if base.get(k) != Some(v) {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if let Value::Object(b) = base {
        for k in b.keys() {
            if proposed.get(k).is_none() {
                out.insert(k.clone(), Value::Null);
            }
        }
    }
    Value::Object(out)
}

/// `base` with the proposed values of a change request applied.
pub(crate) fn with_changes(base: &Value, changes: &Value) -> Value {
    let mut out = base.clone();
    if let (Value::Object(target), Value::Object(changes)) = (&mut out, changes) {
        for (k, v) in changes {
            if v.is_null() {
                target.remove(k);
            } else {
                target.insert(k.clone(), v.clone());
            }
        }
    }
    out
}

/// Whether a running instance waits only for its submitter to revise the record: every
/// position is a record returned to them (退回发起人), or a fill step of theirs that a
/// rejection or return leads to (the sample's 驳回 → 修改后重新提交).
pub(crate) fn waits_for_submitter(process: &CompiledProcess, state: &State) -> bool {
    !state.tokens.is_empty()
        && state.tokens.iter().all(|t| match &t.wait {
            Wait::Human(step) => step.resubmit || is_revise_step(process, &t.node),
            Wait::Timer { .. } => false,
        })
}

/// A fill step of the submitter's that a rejection or return leads to.
pub(crate) fn is_revise_step(process: &CompiledProcess, node: &str) -> bool {
    let submitters = matches!(
        process.node(node).map(|n| &n.kind),
        Some(NodeKind::Fill(fill)) if fill.assignee == AssigneeDef::Submitter
    );
    submitters
        && process
            .def()
            .edges
            .iter()
            .any(|e| e.to == node && matches!(e.on.as_deref(), Some("reject" | "return")))
}

/// A user id the engine names; anything else is a bug of the step, not the caller's fault.
fn user_id(id: &str) -> RuntimeResult<UserId> {
    UserId::parse(id)
        .map_err(|e| crate::RuntimeError::Internal(format!("the process named a user: {e}")))
}

fn history_row(entry: HistoryEntry, actor: Option<&Actor>) -> RuntimeResult<NewHistory> {
    let actor_id = entry.actor.as_deref().map(user_id).transpose()?;
    let comment = match (&actor_id, actor) {
        (Some(who), Some(a)) if *who == a.user_id => a.comment.clone(),
        _ => None,
    };
    let (action, detail) = match serde_json::to_value(&entry.action) {
        Ok(Value::Object(mut map)) => {
            let action = map
                .remove("action")
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            (action, Value::Object(map))
        }
        _ => (String::new(), Value::Object(Map::new())),
    };
    Ok(NewHistory {
        actor: actor_id,
        node_id: entry.node,
        action,
        comment,
        detail,
    })
}

fn notify_payload(
    process: &CompiledProcess,
    kind: &NotifyKind,
    task_ids: &HashMap<String, TaskId>,
) -> (String, Value) {
    let mut payload = match serde_json::to_value(kind) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let name = payload
        .remove("type")
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    if let Some(key) = payload.get("task").and_then(Value::as_str)
        && let Some(id) = task_ids.get(key)
    {
        payload.insert("task_id".into(), Value::String(id.to_string()));
    }
    if let Some(node) = payload.get("node").and_then(Value::as_str) {
        payload.insert("node_name".into(), node_name(process, node));
    }
    (name, Value::Object(payload))
}

fn node_name(process: &CompiledProcess, node: &str) -> Value {
    process
        .node(node)
        .and_then(|n| n.name.as_ref())
        .and_then(|t| serde_json::to_value(t).ok())
        .unwrap_or(Value::Null)
}

/// The instance status stored for an engine status.
pub(crate) fn instance_status(status: &Status) -> InstanceStatus {
    match status {
        Status::NotStarted => InstanceStatus::NotStarted,
        Status::Running => InstanceStatus::Running,
        Status::Ended { outcome } => InstanceStatus::from(*outcome),
        Status::Stopped { .. } => InstanceStatus::Stopped,
    }
}

fn task_action(outcome: TaskOutcome) -> TaskAction {
    match outcome {
        TaskOutcome::Approved => TaskAction::Approve,
        TaskOutcome::Rejected => TaskAction::Reject,
        TaskOutcome::Submitted => TaskAction::Submit,
        TaskOutcome::Withdrawn => TaskAction::Withdraw,
        TaskOutcome::Returned => TaskAction::Return,
        TaskOutcome::Transferred => TaskAction::Transfer,
        TaskOutcome::SignerAddedBefore => TaskAction::AddSigner,
        TaskOutcome::AutoApproved => TaskAction::AutoApprove,
        TaskOutcome::AutoRejected => TaskAction::AutoReject,
        TaskOutcome::ReturnedToSubmitter => TaskAction::ReturnToSubmitter,
    }
}

fn cancel_reason(reason: CancelReason) -> TaskAction {
    match reason {
        CancelReason::StepDecided => TaskAction::StepDecided,
        CancelReason::Returned => TaskAction::Returned,
        CancelReason::BranchAbandoned => TaskAction::BranchAbandoned,
        CancelReason::Superseded => TaskAction::Superseded,
        CancelReason::JoinSatisfied => TaskAction::JoinSatisfied,
        CancelReason::TimedOut => TaskAction::TimedOut,
        CancelReason::Moved => TaskAction::Moved,
        CancelReason::Reassigned => TaskAction::Reassigned,
        CancelReason::InstanceEnded => TaskAction::InstanceEnded,
        CancelReason::InstanceStopped => TaskAction::InstanceStopped,
    }
}

fn timer_kind(kind: TimerKind) -> &'static str {
    match kind {
        TimerKind::Reminder => "reminder",
        TimerKind::Escalation => "escalation",
        TimerKind::Timeout => "timeout",
        TimerKind::WaitEnd => "wait",
    }
}

fn store_kind(kind: TaskKind) -> formwork_store::TaskKind {
    match kind {
        TaskKind::Step => formwork_store::TaskKind::Step,
        TaskKind::Resubmit => formwork_store::TaskKind::Resubmit,
    }
}

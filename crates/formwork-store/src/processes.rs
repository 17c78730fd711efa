//! Row types of running processes: instances, tasks, timers, timelines and notifications,
//! and the one write that applies an engine step.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// A running (or finished) process on one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    pub id: String,
    pub record_id: String,
    pub app_id: String,
    pub process_id: String,
    /// The app version the instance started under; it finishes on it.
    pub app_version: i64,
    /// The engine's state (active positions only).
    pub state: Value,
    /// `running`, `approved`, `rejected`, `withdrawn`, `completed`, `stopped`.
    pub status: String,
    /// Increments on every step: optimistic concurrency between instances of the server.
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A work item of one person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub instance_id: String,
    pub record_id: String,
    /// The engine's task key, unique within the instance.
    pub key: String,
    pub node_id: String,
    pub assignee_id: String,
    /// `open`, `done` or `cancelled`.
    pub status: String,
    /// What closed it: `approve`, `reject`, `submit`, `return`, `transfer`, … or a cancel reason.
    pub action: Option<String>,
    pub comment: Option<String>,
    pub decided_by: Option<String>,
    pub created_at: OffsetDateTime,
    pub decided_at: Option<OffsetDateTime>,
    pub due_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    /// Chosen by the runtime (a UUID v7), so the step's "new task" message can name it.
    pub id: String,
    pub key: String,
    pub node_id: String,
    pub assignee_id: String,
    pub due_at: Option<OffsetDateTime>,
}

/// Closes an open task (by key) as `done` or `cancelled`.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskClose {
    pub key: String,
    pub status: String,
    pub action: String,
    pub by: Option<String>,
    pub comment: Option<String>,
}

/// A timer of an instance; the key is unique within it, so scheduling twice is harmless.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timer {
    pub id: String,
    pub instance_id: String,
    pub key: String,
    /// `reminder`, `escalation`, `wait`.
    pub kind: String,
    pub fire_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTimer {
    pub key: String,
    pub kind: String,
    pub fire_at: OffsetDateTime,
}

/// One row of an instance's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub id: String,
    pub instance_id: String,
    pub at: OffsetDateTime,
    pub actor: Option<String>,
    pub node_id: Option<String>,
    pub action: String,
    pub comment: Option<String>,
    pub detail: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewHistory {
    pub actor: Option<String>,
    pub node_id: Option<String>,
    pub action: String,
    pub comment: Option<String>,
    pub detail: Value,
}

/// An in-app message of one user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub id: String,
    pub user_id: String,
    /// `task`, `decision`, `reminder`, `escalation`, `cc`, `ended`.
    pub kind: String,
    pub payload: Value,
    pub created_at: OffsetDateTime,
    pub read_at: Option<OffsetDateTime>,
}

/// A message to write with a step. The store adds `instance_id` and `record_id` to an object
/// payload, so every message of a step names where it came from (the record id of a new
/// instance is only known inside `insert_record`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    pub user_id: String,
    pub kind: String,
    pub payload: Value,
}

/// Everything one engine step writes, applied in ONE transaction by
/// [`crate::Store::apply_step`] (or with a new record by `insert_record`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepWrite {
    pub instance_id: String,
    /// The instance version the step was computed from; a different current version is
    /// `Conflict` (reload and step again). `None` when the instance is new.
    pub expected_version: Option<i64>,
    pub state: Value,
    pub status: String,
    /// The task this step decides: it must still be open, else `Conflict` (the 409 case).
    pub decided_task: Option<String>,
    /// The timer this step consumes: it must not have fired yet, else `Conflict`.
    pub fired_timer: Option<String>,
    pub tasks_created: Vec<NewTask>,
    pub tasks_closed: Vec<TaskClose>,
    pub timers_scheduled: Vec<NewTimer>,
    pub timers_cancelled: Vec<String>,
    pub history: Vec<NewHistory>,
    pub notifications: Vec<NewNotification>,
    /// New record status and data, when the step changes them.
    pub record_status: Option<String>,
    pub record_data: Option<Value>,
    /// The field diff of `record_data`, for the record's `record.update` audit row.
    pub record_diff: Option<Value>,
    /// The record revision `record_data` was computed from; a different current revision is
    /// `Conflict`, so a step never overwrites an edit it did not see.
    pub record_rev: Option<i64>,
    /// Background work to enqueue (mail, chat, webhooks): `(kind, payload)`.
    pub outbox: Vec<(String, Value)>,
    /// When the step happened: every row it writes carries this instant. `None` takes the
    /// database host's clock.
    pub at: Option<OffsetDateTime>,
}

/// A new instance to create together with its record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInstance {
    pub process_id: String,
    pub step: StepWrite,
}

/// Which tasks a person sees in the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskBox {
    /// Open tasks assigned to the user.
    Todo,
    /// Tasks the user closed by acting on them.
    Done,
}

/// A page of one user's inbox, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskQuery {
    pub user_id: String,
    pub task_box: TaskBox,
    /// Keyset: the last task id of the previous page (ids sort by creation time).
    pub after: Option<String>,
    pub limit: u32,
}

//! Row types of running processes: instances, tasks, timers, timelines and notifications,
//! and the one write that applies an engine step.

use async_trait::async_trait;
use formwork_model::{
    AppId, InstanceId, InstanceStatus, NotificationId, ProcessId, RecordId, RecordStatus,
    TaskAction, TaskId, TaskKind, TaskStatus, UserId,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::{NewJob, StoreResult};

/// A running (or finished) process on one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    pub id: InstanceId,
    pub record_id: RecordId,
    pub app_id: AppId,
    pub process_id: ProcessId,
    /// The app version the instance started under; it finishes on it.
    pub app_version: i64,
    /// The engine's state (active positions only).
    pub state: Value,
    pub status: InstanceStatus,
    /// Increments on every step: optimistic concurrency between instances of the server.
    pub version: i64,
    /// The node a stopped instance stopped at.
    pub stopped_node: Option<String>,
    /// For a change request (变更) of an ended record: the proposed values of the fields it
    /// changes. `None` for an instance that decides the record itself.
    pub proposed_changes: Option<Value>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Instance {
    /// Whether the instance decides a change request rather than the record itself.
    pub fn is_change(&self) -> bool {
        self.proposed_changes.is_some()
    }
}

/// A work item of one person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    pub instance_id: InstanceId,
    pub record_id: RecordId,
    /// The engine's task key, unique within the instance.
    pub key: String,
    pub node_id: String,
    pub assignee_id: UserId,
    /// Which entry into the node the task belongs to (1 for the first; 0 or less for tasks
    /// written before rounds were counted). At most one open task per node, round and
    /// assignee.
    pub round: i64,
    pub kind: TaskKind,
    pub status: TaskStatus,
    /// What closed it.
    pub action: Option<TaskAction>,
    pub comment: Option<String>,
    pub decided_by: Option<UserId>,
    pub created_at: OffsetDateTime,
    pub decided_at: Option<OffsetDateTime>,
    pub due_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    /// Chosen by the runtime, so the step's "new task" message can name it.
    pub id: TaskId,
    pub key: String,
    pub node_id: String,
    pub assignee_id: UserId,
    /// The node's round; a second open task for one node, round and assignee is `Conflict`.
    pub round: i64,
    pub kind: TaskKind,
    pub due_at: Option<OffsetDateTime>,
}

/// Closes an open task (by key) as `done` or `cancelled`.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskClose {
    pub key: String,
    pub status: TaskStatus,
    pub action: TaskAction,
    pub by: Option<UserId>,
    pub comment: Option<String>,
}

/// A timer of an instance; the key is unique within it, so scheduling twice is harmless.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timer {
    pub id: String,
    pub instance_id: InstanceId,
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
    pub instance_id: InstanceId,
    pub at: OffsetDateTime,
    pub actor: Option<UserId>,
    pub node_id: Option<String>,
    pub action: String,
    pub comment: Option<String>,
    pub detail: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewHistory {
    pub actor: Option<UserId>,
    pub node_id: Option<String>,
    pub action: String,
    pub comment: Option<String>,
    pub detail: Value,
}

/// A page of one user's notifications, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationQuery {
    pub user_id: UserId,
    /// Only messages of this kind (e.g. `cc`), when given.
    pub kind: Option<String>,
    /// Keyset: the last id of the previous page.
    pub before: Option<NotificationId>,
    pub limit: u32,
}

/// An in-app message of one user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub id: NotificationId,
    pub user_id: UserId,
    /// `task`, `decision`, `reminder`, `escalation`, `cc`, `ended`, or `stopped` (to admins: a
    /// process stopped and waits for one of them).
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
    pub user_id: UserId,
    pub kind: String,
    pub payload: Value,
}

/// Everything one engine step writes, applied in ONE transaction by
/// [`ProcessStore::apply_step`] (or with a new record by
/// [`RecordStore::insert_record`](crate::RecordStore::insert_record)).
#[derive(Debug, Clone, PartialEq)]
pub struct StepWrite {
    pub instance_id: InstanceId,
    /// The instance version the step was computed from; a different current version is
    /// `Conflict` (reload and step again). `None` when the instance is new.
    pub expected_version: Option<i64>,
    pub state: Value,
    pub status: InstanceStatus,
    /// The node the instance stopped at, when `status` is `stopped`.
    pub stopped_node: Option<String>,
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
    pub record_status: Option<RecordStatus>,
    pub record_data: Option<Value>,
    /// The field diff of `record_data`, for the record's `record.update` audit row.
    pub record_diff: Option<Value>,
    /// The record revision `record_data` was computed from; a different current revision is
    /// `Conflict`, so a step never overwrites an edit it did not see.
    pub record_rev: Option<i64>,
    /// New proposed values of a change request's instance, when the step edits them.
    pub proposed_changes: Option<Value>,
    /// Background work to enqueue (mail, chat, webhooks).
    pub outbox: Vec<NewJob>,
    /// The audit row of an admin's operation (cancel, retry, move, reassign), written about
    /// the instance's record with the step's actor.
    pub audit: Option<StepAudit>,
    /// When the step happened: every row it writes carries this instant. `None` takes the
    /// database host's clock.
    pub at: Option<OffsetDateTime>,
}

impl StepWrite {
    /// A step of `instance_id` to `state` and `status` that writes nothing else yet.
    pub fn new(instance_id: InstanceId, state: Value, status: InstanceStatus) -> StepWrite {
        StepWrite {
            instance_id,
            expected_version: None,
            state,
            status,
            stopped_node: None,
            decided_task: None,
            fired_timer: None,
            tasks_created: Vec::new(),
            tasks_closed: Vec::new(),
            timers_scheduled: Vec::new(),
            timers_cancelled: Vec::new(),
            history: Vec::new(),
            notifications: Vec::new(),
            record_status: None,
            record_data: None,
            record_diff: None,
            record_rev: None,
            proposed_changes: None,
            outbox: Vec::new(),
            audit: None,
            at: None,
        }
    }
}

/// An audit row a step writes about its record (`record:<id>`).
#[derive(Debug, Clone, PartialEq)]
pub struct StepAudit {
    /// e.g. `process.cancel`, `task.reassign`.
    pub action: String,
    pub detail: Value,
}

/// A new instance to create together with its record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInstance {
    pub process_id: ProcessId,
    pub step: StepWrite,
    /// The proposed values, for an instance that decides a change request (变更).
    pub proposed_changes: Option<Value>,
}

/// A process starting again on a record that exists: a resubmission (the record takes new
/// data, status and app version with it) or a change request (the record stays as it is).
/// Refused with `Conflict` while another instance of the record runs or is stopped, or when
/// the record moved past `expected_rev`.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceRestart {
    pub record_id: RecordId,
    pub expected_rev: i64,
    /// The app version the record is validated under from now on (resubmission).
    pub app_version: Option<i64>,
    pub instance: NewInstance,
    /// The record's audit row: e.g. `record.resubmit`, `record.change_request`.
    pub audit: StepAudit,
}

/// Which tasks a person sees in the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskBox {
    /// Open tasks assigned to the user.
    Todo,
    /// Tasks the user closed by acting on them.
    Done,
    /// Open tasks assigned to the user by deadline: the earliest first (so overdue ones lead),
    /// those without a deadline last, oldest first among equals. The keyset `after` is still
    /// the last task id of the previous page; the store reads that task's deadline.
    TodoByDeadline,
}

/// A page of one user's inbox, newest first (or by deadline, see [`TaskBox`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskQuery {
    pub user_id: UserId,
    pub task_box: TaskBox,
    /// Keyset: the last task id of the previous page (ids sort by creation time).
    pub after: Option<TaskId>,
    pub limit: u32,
}

/// Which instances an admin lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceFilter {
    /// Running instances.
    Running,
    /// Instances stopped by an error in their package, waiting for an admin.
    Stopped,
    /// Running instances with an open task past its due time.
    Overdue,
}

/// A page of instances for admins, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceQuery {
    pub filter: InstanceFilter,
    /// "Now", for `Overdue`.
    pub now: OffsetDateTime,
    pub app_id: Option<AppId>,
    pub process_id: Option<ProcessId>,
    /// Instances with an open task at this node, or stopped at it.
    pub node_id: Option<String>,
    /// Instances with an open task of this user.
    pub assignee_id: Option<UserId>,
    /// Keyset: the last instance id of the previous page.
    pub after: Option<InstanceId>,
    pub limit: u32,
}

/// Running processes. A step is one transaction that first bumps the instance's version, so
/// two steps computed from one version never both land.
#[async_trait]
pub trait ProcessStore: Send + Sync + 'static {
    /// Applies one engine step atomically (see [`StepWrite`]); returns the updated instance.
    async fn apply_step(&self, step: StepWrite, actor: Option<&UserId>) -> StoreResult<Instance>;
    /// [`ProcessStore::apply_step`], also giving the instance's tasks as the step left them
    /// (read in its transaction, so a decision answers without reading again).
    async fn apply_step_with_tasks(
        &self,
        step: StepWrite,
        actor: Option<&UserId>,
    ) -> StoreResult<(Instance, Vec<Task>)>;
    /// An instance with its record, in one read; `None` when either is gone.
    async fn instance_on_record(
        &self,
        id: &InstanceId,
    ) -> StoreResult<Option<(Instance, crate::Record)>>;
    /// The instances among `ids` whose records exist, each with its record, in one read.
    async fn instances_on_records(
        &self,
        ids: &[InstanceId],
    ) -> StoreResult<Vec<(Instance, crate::Record)>>;
    /// A task with its instance and record, in one read; `None` when any of them is gone.
    async fn task_on_record(
        &self,
        id: &TaskId,
    ) -> StoreResult<Option<(Task, Instance, crate::Record)>>;
    async fn get_instance(&self, id: &InstanceId) -> StoreResult<Option<Instance>>;
    /// The instances among `ids` that exist, in no particular order: one read for a page.
    async fn get_instances(&self, ids: &[InstanceId]) -> StoreResult<Vec<Instance>>;
    /// The newest instance of a record's process, if any.
    async fn instance_for_record(&self, record_id: &RecordId) -> StoreResult<Option<Instance>>;
    /// Every instance of a record, oldest first: its rounds and change requests.
    async fn instances_of_record(&self, record_id: &RecordId) -> StoreResult<Vec<Instance>>;
    /// Starts a new instance on a record that exists, in one transaction with its first step
    /// and the record's new status and data (see [`InstanceRestart`]); the record as it is now.
    async fn restart_on_record(
        &self,
        restart: InstanceRestart,
        actor: &UserId,
    ) -> StoreResult<crate::Record>;
    async fn get_task(&self, id: &TaskId) -> StoreResult<Option<Task>>;
    async fn tasks_of_instance(&self, instance_id: &InstanceId) -> StoreResult<Vec<Task>>;
    /// A page of a user's inbox, newest first.
    async fn list_tasks(&self, query: &TaskQuery) -> StoreResult<Vec<Task>>;
    /// Records the user submitted that have an instance, newest first (keyset on record id).
    async fn submitted_instances(
        &self,
        user_id: &UserId,
        after: Option<&RecordId>,
        limit: u32,
    ) -> StoreResult<Vec<Instance>>;
    /// A page of instances of records that are not deleted, newest first (see
    /// [`InstanceQuery`]).
    async fn list_instances(&self, query: &InstanceQuery) -> StoreResult<Vec<Instance>>;
    /// The timeline of an instance, oldest first.
    async fn instance_history(&self, instance_id: &InstanceId) -> StoreResult<Vec<HistoryRow>>;
    /// Timers due at `now` that have not fired, oldest first.
    async fn due_timers(&self, now: OffsetDateTime, limit: u32) -> StoreResult<Vec<Timer>>;

    /// A page of a user's notifications, newest first.
    async fn list_notifications(&self, query: &NotificationQuery)
    -> StoreResult<Vec<Notification>>;
    async fn unread_notifications(&self, user_id: &UserId) -> StoreResult<u32>;
    /// Marks these notifications of the user read, or all of them when `ids` is empty;
    /// returns how many were unread.
    async fn mark_notifications_read(
        &self,
        user_id: &UserId,
        ids: &[NotificationId],
    ) -> StoreResult<u64>;
}

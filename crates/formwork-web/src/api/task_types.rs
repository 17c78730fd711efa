//! Request and response bodies of the process API: tasks, inbox, timelines, notifications.
//! Names of steps and processes are given in the caller's language.

use std::collections::BTreeMap;

use formwork_model::Text;
use formwork_runtime::{
    Decided, InboxItem, NodeView, TaskDetail, Timeline, TimelineEntry, UpcomingStep, UserBrief,
};
use formwork_runtime::{Instance, Notification, Task};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::api::records::RecordResponse;
use crate::i18n::Lang;

fn text(t: &Text, lang: Lang) -> String {
    t.get(lang.tag()).to_owned()
}

/// Someone, as the API shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserRef {
    pub id: String,
    pub username: String,
    pub display_name: String,
}

impl From<UserBrief> for UserRef {
    fn from(u: UserBrief) -> Self {
        Self {
            id: u.id.into(),
            username: u.username,
            display_name: u.display_name,
        }
    }
}

/// A step of a process.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeRef {
    pub id: String,
    /// The step's name in the caller's language (its id when it has none).
    pub name: String,
    /// `approval`, `fill`, …
    pub kind: String,
}

impl NodeRef {
    pub fn new(n: NodeView, lang: Lang) -> Self {
        Self {
            name: n
                .name
                .as_ref()
                .map_or_else(|| n.id.clone(), |t| text(t, lang)),
            id: n.id,
            kind: n.kind.to_owned(),
        }
    }
}

/// A work item of one person.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskResponse {
    pub id: String,
    pub instance_id: String,
    pub record_id: String,
    pub node_id: String,
    /// User id of the assignee.
    pub assignee: String,
    /// Which entry into the step the task belongs to (returns and loops start new rounds).
    pub round: i64,
    /// `step`, or `resubmit` when the record was returned to its submitter to revise and
    /// submit again (only `submit` and `withdraw` then).
    pub kind: String,
    /// `open`, `done` or `cancelled`.
    pub status: String,
    /// What closed it: `approve`, `reject`, `submit`, `withdraw`, `return`,
    /// `return_to_submitter`, `transfer`, `add_signer`, `auto_approve`, `auto_reject`, or why it
    /// was cancelled (`step_decided`, `returned`, `branch_abandoned`, `superseded`,
    /// `join_satisfied`, `timed_out`, `moved`, `reassigned`, `instance_ended`,
    /// `instance_stopped`).
    pub action: Option<String>,
    pub comment: Option<String>,
    /// User id of whoever closed it by acting.
    pub decided_by: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<OffsetDateTime>,
}

impl From<Task> for TaskResponse {
    fn from(t: Task) -> Self {
        Self {
            id: t.id.into(),
            instance_id: t.instance_id.into(),
            record_id: t.record_id.into(),
            node_id: t.node_id,
            assignee: t.assignee_id.into(),
            round: t.round,
            kind: t.kind.into(),
            status: t.status.into(),
            action: t.action.map(Into::into),
            comment: t.comment,
            decided_by: t.decided_by.map(Into::into),
            created_at: t.created_at,
            decided_at: t.decided_at,
            due_at: t.due_at,
        }
    }
}

/// A running (or finished) process on one record.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstanceResponse {
    pub id: String,
    pub record_id: String,
    pub app: String,
    pub process: String,
    pub app_version: i64,
    /// `running`, `approved`, `rejected`, `withdrawn`, `completed` or `stopped` (an error in
    /// the package stopped it; an admin cancels, retries or moves it).
    pub status: String,
    /// Increments on every step.
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl From<Instance> for InstanceResponse {
    fn from(i: Instance) -> Self {
        Self {
            id: i.id.into(),
            record_id: i.record_id.into(),
            app: i.app_id.into(),
            process: i.process_id.into(),
            app_version: i.app_version,
            status: i.status.into(),
            version: i.version,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// What to do with a task.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DecideBody {
    /// `approve`, `reject`, `submit`, `withdraw`, `return`, `return_to_submitter`, `transfer`
    /// or `add_signer`.
    pub action: String,
    pub comment: Option<String>,
    /// Changes to fields the step may edit (with `approve` or `submit`).
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
    /// The step id to `return` to; the username to `transfer` to or to `add_signer`.
    pub to: Option<String>,
    /// With `add_signer`: the added person signs first and the task comes back afterwards.
    #[serde(default)]
    pub before: bool,
}

impl From<DecideBody> for formwork_runtime::DecideRequest {
    fn from(b: DecideBody) -> Self {
        Self {
            action: b.action,
            comment: b.comment,
            data: b.data,
            to: b.to,
            before: b.before,
        }
    }
}

/// A decision that landed.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecideResponse {
    pub task: TaskResponse,
    pub instance: InstanceResponse,
    /// The instance's tasks still open after the decision.
    pub open_tasks: Vec<TaskResponse>,
}

impl From<Decided> for DecideResponse {
    fn from(d: Decided) -> Self {
        Self {
            task: d.task.into(),
            instance: d.instance.into(),
            open_tasks: d.open_tasks.into_iter().map(Into::into).collect(),
        }
    }
}

/// The same decision on several tasks (batch approval from the inbox).
#[derive(Debug, Deserialize, ToSchema)]
pub struct BatchDecideBody {
    /// Task ids, at most 100.
    pub tasks: Vec<String>,
    /// `approve` or `reject`, usually.
    pub action: String,
    pub comment: Option<String>,
}

/// How one task of a batch went.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchItemResponse {
    pub task: String,
    /// The status a single decision would have answered: 200, 404, 409, 422, …
    pub status: u16,
    /// The error code when it failed.
    pub error: Option<String>,
    /// The instance's status after the decision, when it landed.
    pub instance_status: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchDecideResponse {
    pub results: Vec<BatchItemResponse>,
}

/// A record, briefly, as an inbox lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordBrief {
    pub id: String,
    pub app: String,
    pub form: String,
    pub number: Option<String>,
    pub status: String,
    /// The record's first text field, unless the step hides it.
    pub title: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl RecordBrief {
    pub fn new(r: formwork_runtime::Record, title: Option<String>) -> Self {
        Self {
            id: r.id.into(),
            app: r.app_id.into(),
            form: r.form_id.into(),
            number: r.number,
            status: r.status.into(),
            title,
            created_at: r.created_at,
        }
    }
}

/// One entry of an inbox box.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxItemResponse {
    /// The task (boxes `todo` and `done`).
    pub task: Option<TaskResponse>,
    /// The copy the caller received (box `cc`).
    pub notification: Option<NotificationResponse>,
    pub node: Option<NodeRef>,
    pub process_name: String,
    pub instance: InstanceResponse,
    pub record: RecordBrief,
    pub submitter: Option<UserRef>,
}

impl InboxItemResponse {
    pub fn new(item: InboxItem, lang: Lang) -> Self {
        Self {
            task: item.task.map(Into::into),
            notification: item.notification.map(Into::into),
            node: item.node.map(|n| NodeRef::new(n, lang)),
            process_name: text(&item.process_name, lang),
            instance: item.instance.into(),
            record: RecordBrief::new(item.record, item.title),
            submitter: item.submitter.map(Into::into),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxResponse {
    pub items: Vec<InboxItemResponse>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// One row of a timeline: a step done, a step waiting now, or a step predicted ahead.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntryResponse {
    /// `done` (it happened), `current` (the process waits for it now) or `upcoming` (predicted
    /// from the data as it is, if every step approves).
    pub state: String,
    /// When it happened (`done`), or since when it waits (`current`); `null` for `upcoming`.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub at: Option<OffsetDateTime>,
    /// Who acted; absent when the process did, and for steps not done.
    pub actor: Option<UserRef>,
    pub node: Option<NodeRef>,
    /// `started`, `condition_taken`, `decided`, `returned`, `returned_to_submitter`,
    /// `resubmitted`, `change_requested`, `transferred`, `signer_added`, `step_completed`,
    /// `cc_sent`, `reminded`, `escalated`, `nobody_resolved`, `branch_cancelled`, `timed_out`,
    /// `cancelled`, `retried`, `moved`, `reassigned`, `ended`, `stopped`, …; `waiting` for a
    /// current step and `upcoming` for a predicted one.
    pub action: String,
    pub comment: Option<String>,
    /// The action's particulars, e.g. `{"task": …, "outcome": "approved"}`. People are named
    /// by user id (by username in entries written before 0.2); `people` names them. A
    /// current step has `task_id` and `due_at`.
    #[schema(value_type = Object)]
    pub detail: Value,
    /// How long the task this row closed was open, in seconds.
    pub duration_secs: Option<i64>,
    /// Whom a current step waits for, or whom an upcoming one is predicted to go to.
    pub assignees: Vec<UserRef>,
}

impl TimelineEntryResponse {
    fn new(e: TimelineEntry, lang: Lang) -> Self {
        Self {
            state: "done".into(),
            at: Some(e.at),
            actor: e.actor.map(Into::into),
            node: e.node.map(|n| NodeRef::new(n, lang)),
            action: e.action,
            comment: e.comment,
            detail: e.detail,
            duration_secs: e.duration_secs,
            assignees: Vec::new(),
        }
    }

    fn waiting(task: Task, who: Option<UserBrief>, node: NodeView, lang: Lang) -> Self {
        let due_at = task.due_at.and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        });
        Self {
            state: "current".into(),
            at: Some(task.created_at),
            actor: None,
            node: Some(NodeRef::new(node, lang)),
            action: "waiting".into(),
            comment: None,
            detail: serde_json::json!({ "task_id": task.id, "due_at": due_at }),
            duration_secs: None,
            assignees: who.map(Into::into).into_iter().collect(),
        }
    }

    fn upcoming(step: UpcomingStep, lang: Lang) -> Self {
        Self {
            state: "upcoming".into(),
            at: None,
            actor: None,
            node: Some(NodeRef::new(step.node, lang)),
            action: "upcoming".into(),
            comment: None,
            detail: serde_json::json!({ "mode": step.mode }),
            duration_secs: None,
            assignees: step.assignees.into_iter().map(Into::into).collect(),
        }
    }
}

/// A record's process: what happened (oldest first, every round and change request), whom it
/// waits for now, and the steps predicted ahead, as one list of entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineResponse {
    pub instance: InstanceResponse,
    pub process_name: String,
    pub entries: Vec<TimelineEntryResponse>,
    /// The people the entries' details name, keyed by the text a detail holds (a user id,
    /// or a username in older entries).
    pub people: BTreeMap<String, UserRef>,
}

impl TimelineResponse {
    pub fn new(t: Timeline, lang: Lang) -> Self {
        let done = t
            .entries
            .into_iter()
            .map(|e| TimelineEntryResponse::new(e, lang));
        let current = t
            .waiting
            .into_iter()
            .map(|(task, who, node)| TimelineEntryResponse::waiting(task, who, node, lang));
        let upcoming = t
            .upcoming
            .into_iter()
            .map(|s| TimelineEntryResponse::upcoming(s, lang));
        Self {
            instance: t.instance.into(),
            process_name: text(&t.process_name, lang),
            entries: done.chain(current).chain(upcoming).collect(),
            people: t.people.into_iter().map(|(k, u)| (k, u.into())).collect(),
        }
    }
}

/// A task with its record as the step shows it, and the timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDetailResponse {
    pub task: TaskResponse,
    pub node: NodeRef,
    pub process_name: String,
    pub instance: InstanceResponse,
    /// The record without the fields hidden at this step.
    pub record: RecordResponse,
    /// Each field the step shows: `visible` or `editable`.
    pub fields: BTreeMap<String, String>,
    /// What the assignee may do now; empty once the task is closed.
    pub actions: Vec<String>,
    /// Earlier steps `return` may go back to.
    pub return_to: Vec<NodeRef>,
    pub assignee: Option<UserRef>,
    pub submitter: Option<UserRef>,
    pub timeline: TimelineResponse,
}

impl TaskDetailResponse {
    pub fn new(d: TaskDetail, lang: Lang) -> Self {
        Self {
            task: d.task.into(),
            node: NodeRef::new(d.node, lang),
            process_name: text(&d.process_name, lang),
            instance: d.instance.into(),
            record: d.record.into(),
            fields: d
                .fields
                .into_iter()
                .map(|(k, a)| {
                    let access = match a {
                        formwork_runtime::FieldAccess::Editable => "editable",
                        formwork_runtime::FieldAccess::Visible => "visible",
                        formwork_runtime::FieldAccess::Hidden => "hidden",
                    };
                    (k, access.to_owned())
                })
                .collect(),
            actions: d.actions.into_iter().map(str::to_owned).collect(),
            return_to: d
                .return_to
                .into_iter()
                .map(|n| NodeRef::new(n, lang))
                .collect(),
            assignee: d.assignee.map(Into::into),
            submitter: d.submitter.map(Into::into),
            timeline: TimelineResponse::new(d.timeline, lang),
        }
    }
}

/// An in-app message.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationResponse {
    pub id: String,
    /// `task`, `decision`, `reminder`, `escalation`, `cc`, `ended`, or `stopped` (to admins: a
    /// process stopped and waits for one of them).
    pub kind: String,
    /// The particulars, always with `instance_id` and `record_id`; `task_id` where a task
    /// is meant.
    #[schema(value_type = Object)]
    pub payload: Value,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub read_at: Option<OffsetDateTime>,
}

impl From<Notification> for NotificationResponse {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id.into(),
            kind: n.kind,
            payload: n.payload,
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationListResponse {
    pub items: Vec<NotificationResponse>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
    pub unread: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadResponse {
    pub unread: u32,
}

/// Which notifications to mark read; none listed means all.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MarkReadBody {
    #[serde(default)]
    pub ids: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkReadResponse {
    /// How many were unread.
    pub marked: u64,
}

/// The submitter takes a record back.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct WithdrawBody {
    pub comment: Option<String>,
}

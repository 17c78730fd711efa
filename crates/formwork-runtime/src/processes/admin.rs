//! What admins do with process instances: list the running, stopped and overdue ones, look at
//! one, and cancel it, retry the step it stopped at, move it to a step, or give a task to
//! someone else.
//!
//! Every operation is one engine step (the admin is its actor, with the reason or note as the
//! comment on the timeline) written together with an audit row about the record, and the
//! record's status follows the instance in the same transaction.

use std::sync::Arc;

use formwork_model::{NodeKind, Outcome, Text};
use formwork_process::{Event, Status, StopReason, TaskRef};
use formwork_store::{
    AppId, Instance, InstanceFilter, InstanceId, InstanceQuery, ProcessId, Record, RecordStatus,
    StepAudit, Task, TaskId,
};
use serde_json::json;
use time::OffsetDateTime;

use super::Decided;
use super::decide::{Act, checked_comment};
use super::pipeline::Loaded;
use super::refusals::{active_user, handled};
use super::timeline::Timeline;
use super::views::{NodeView, UserBrief, brief, node_view, title};
use super::write::Actor;
use crate::accounts::problem;
use crate::directory::Directory;
use crate::policy::Caller;
use crate::{Runtime, RuntimeError, RuntimeResult};

/// Largest page of the instance list.
const MAX_PAGE: u32 = 100;

const DEFAULT_PAGE: u32 = 20;

/// Longest cancellation reason, in characters (as a decision's comment).
const MAX_REASON_CHARS: usize = 2_000;

/// Which instances to list and how, as the API received it.
#[derive(Debug, Clone, Default)]
pub struct InstanceListRequest {
    /// `running` (the default), `stopped` or `overdue`.
    pub status: Option<String>,
    pub app: Option<String>,
    pub process: Option<String>,
    /// A node id: instances with an open task there, or stopped there.
    pub node: Option<String>,
    /// A username: instances with an open task of theirs.
    pub assignee: Option<String>,
    pub after: Option<String>,
    pub limit: Option<u32>,
}

/// An open task as the admin pages show it.
#[derive(Debug, Clone)]
pub struct OpenTaskView {
    pub task: Task,
    pub assignee: Option<UserBrief>,
    pub node: NodeView,
    pub overdue: bool,
}

/// One instance with what an admin needs to judge it.
#[derive(Debug, Clone)]
pub struct InstanceSummary {
    pub instance: Instance,
    pub record: Record,
    /// The record's first text field.
    pub title: Option<String>,
    pub app_name: Text,
    pub process_name: Text,
    pub submitter: Option<UserBrief>,
    pub open_tasks: Vec<OpenTaskView>,
    /// Where and why a stopped instance stopped (`nobody_to_assign`, `no_route`,
    /// `loop_detected`).
    pub stopped: Option<(NodeView, &'static str)>,
    /// Whether an open task is past its due time.
    pub overdue: bool,
}

/// A page of instances, newest first; `next` is the `after` of the next page.
#[derive(Debug, Clone)]
pub struct InstancePage {
    pub items: Vec<InstanceSummary>,
    pub next: Option<String>,
}

/// One instance for the admin's page: the summary, the timeline, and the steps it may be
/// moved to.
#[derive(Debug, Clone)]
pub struct InstanceDetail {
    pub summary: InstanceSummary,
    pub timeline: Timeline,
    /// Human steps and ends, in the package's order.
    pub move_targets: Vec<NodeView>,
}

/// An admin operation that landed: the instance as it is now and its open tasks.
#[derive(Debug, Clone)]
pub struct InstanceChanged {
    pub instance: Instance,
    pub open_tasks: Vec<Task>,
}

impl Runtime {
    /// One page of running, stopped or overdue instances (admins only).
    pub async fn list_instances(
        &self,
        caller: &Caller,
        request: &InstanceListRequest,
        now: OffsetDateTime,
    ) -> RuntimeResult<InstancePage> {
        require_admin(caller)?;
        let dir = self.directory().await?;
        let limit = request.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
        let query = InstanceQuery {
            filter: filter(request.status.as_deref())?,
            now,
            app_id: parsed(request.app.as_deref(), "/app", AppId::parse)?,
            process_id: parsed(request.process.as_deref(), "/process", ProcessId::parse)?,
            node_id: request.node.clone().filter(|n| !n.trim().is_empty()),
            assignee_id: match request.assignee.as_deref().filter(|a| !a.is_empty()) {
                None => None,
                Some(name) => Some(
                    dir.by_username(name)
                        .map(|u| u.id.clone())
                        .ok_or_else(|| malformed("/assignee", "没有这个用户", "No such user"))?,
                ),
            },
            after: parsed(request.after.as_deref(), "/after", InstanceId::parse)?,
            limit: limit + 1,
        };
        let mut rows = self.store.list_instances(&query).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = more
            .then(|| rows.last().map(|i| i.id.to_string()))
            .flatten();
        let mut items = Vec::with_capacity(rows.len());
        for instance in rows {
            if let Some(summary) = self.summary(&dir, instance, now).await? {
                items.push(summary);
            }
        }
        Ok(InstancePage { items, next })
    }

    /// One instance with its timeline (admins only).
    pub async fn instance_detail(
        &self,
        caller: &Caller,
        id: &InstanceId,
        now: OffsetDateTime,
    ) -> RuntimeResult<InstanceDetail> {
        require_admin(caller)?;
        let loaded = self.load_instance(id).await?;
        let timeline = self.timeline_of(&loaded).await?;
        let process = loaded.process()?.clone();
        let move_targets = process
            .def()
            .nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Approval(_) | NodeKind::Fill(_)))
            .map(|n| node_view(&process, &n.id))
            .collect();
        let summary = self
            .summary(&loaded.dir, loaded.instance.clone(), now)
            .await?
            .ok_or_else(|| RuntimeError::NotFound(format!("instance {id}")))?;
        Ok(InstanceDetail {
            summary,
            timeline,
            move_targets,
        })
    }

    /// Ends a running or stopped instance as `rejected` or `withdrawn`, with a reason.
    pub async fn cancel_instance(
        &self,
        caller: &Caller,
        id: &InstanceId,
        reason: &str,
        outcome: &str,
        now: OffsetDateTime,
    ) -> RuntimeResult<InstanceChanged> {
        require_admin(caller)?;
        let reason = cancel_reason(reason)?;
        let outcome = match outcome {
            "rejected" => Outcome::Rejected,
            "withdrawn" => Outcome::Withdrawn,
            _ => {
                return Err(invalid(
                    "/outcome",
                    "enum",
                    "结果须为 rejected（未通过）或 withdrawn（已撤回）",
                    "outcome must be rejected or withdrawn",
                ));
            }
        };
        let by = caller.user.id.to_string();
        let audit = StepAudit {
            action: "process.cancel".into(),
            detail: json!({ "reason": reason, "outcome": RecordStatus::from(outcome).as_str() }),
        };
        self.admin_step(caller, id, Some(reason), audit, now, |_| {
            Ok(Event::Cancel {
                by: by.clone(),
                outcome,
            })
        })
        .await
    }

    /// Runs again the step a stopped instance stopped at, with the data and directory as they
    /// are now.
    pub async fn retry_instance(
        &self,
        caller: &Caller,
        id: &InstanceId,
        comment: Option<&str>,
        now: OffsetDateTime,
    ) -> RuntimeResult<InstanceChanged> {
        require_admin(caller)?;
        let comment = checked_comment(comment)?;
        let by = caller.user.id.to_string();
        let audit = StepAudit {
            action: "process.retry".into(),
            detail: json!({}),
        };
        self.admin_step(caller, id, comment, audit, now, |_| {
            Ok(Event::Retry { by: by.clone() })
        })
        .await
    }

    /// Moves a running or stopped instance to the step `to`: every open task is cancelled
    /// and the people there act in person.
    pub async fn move_instance(
        &self,
        caller: &Caller,
        id: &InstanceId,
        to: &str,
        comment: Option<&str>,
        now: OffsetDateTime,
    ) -> RuntimeResult<InstanceChanged> {
        require_admin(caller)?;
        let to = required(
            to,
            "/to",
            "请选择要移至的步骤",
            "Choose the step to move to",
        )?;
        let comment = checked_comment(comment)?;
        let by = caller.user.id.to_string();
        let audit = StepAudit {
            action: "process.move".into(),
            detail: json!({ "to": to }),
        };
        self.admin_step(caller, id, comment, audit, now, |_| {
            Ok(Event::MoveTo {
                by: by.clone(),
                node: to.clone(),
            })
        })
        .await
    }

    /// Gives an open task to the user named `to` (a username), with a deadline counted from
    /// now.
    pub async fn reassign_task(
        &self,
        caller: &Caller,
        task_id: &TaskId,
        to: &str,
        comment: Option<&str>,
        now: OffsetDateTime,
    ) -> RuntimeResult<Decided> {
        require_admin(caller)?;
        let to = required(
            to,
            "/to",
            "请选择改派给谁",
            "Choose whom to give the task to",
        )?;
        let comment = checked_comment(comment)?;
        let task = self
            .store
            .get_task(task_id)
            .await?
            .ok_or_else(|| RuntimeError::NotFound(format!("task {task_id}")))?;
        let by = caller.user.id.to_string();
        let key = task.key.clone();
        let audit = |to_id: &str| StepAudit {
            action: "task.reassign".into(),
            detail: json!({ "task": task.id, "from": task.assignee_id, "to": to_id }),
        };
        let changed = self
            .admin_step_with(caller, &task.instance_id, comment, now, |loaded| {
                // The instance's state is the truth of what is open, even after a lost race.
                let open: TaskRef = loaded
                    .state
                    .open_tasks()
                    .into_iter()
                    .find(|t| t.key.0 == key)
                    .ok_or_else(|| handled(&task))?;
                let to_id = active_user(&loaded.dir, &to)?.to_string();
                let event = Event::Reassign {
                    by: by.clone(),
                    task: open,
                    to: to_id.clone(),
                };
                Ok((event, audit(&to_id), Some(key.clone())))
            })
            .await?;
        let task = self
            .store
            .get_task(task_id)
            .await?
            .ok_or_else(|| RuntimeError::NotFound(format!("task {task_id}")))?;
        Ok(Decided {
            task,
            instance: changed.instance,
            open_tasks: changed.open_tasks,
        })
    }

    /// One admin step whose event does not depend on what is loaded.
    async fn admin_step<F>(
        &self,
        caller: &Caller,
        id: &InstanceId,
        comment: Option<String>,
        audit: StepAudit,
        now: OffsetDateTime,
        event: F,
    ) -> RuntimeResult<InstanceChanged>
    where
        F: Fn(&Loaded) -> RuntimeResult<Event>,
    {
        self.admin_step_with(caller, id, comment, now, |loaded| {
            Ok((event(loaded)?, audit.clone(), None))
        })
        .await
    }

    /// One admin step on a freshly loaded instance, recomputed after a lost race: `build`
    /// gives the event, its audit row and the task it consumes.
    pub(super) async fn admin_step_with<F>(
        &self,
        caller: &Caller,
        id: &InstanceId,
        comment: Option<String>,
        now: OffsetDateTime,
        build: F,
    ) -> RuntimeResult<InstanceChanged>
    where
        F: Fn(&Loaded) -> RuntimeResult<(Event, StepAudit, Option<String>)>,
    {
        let stepped = self
            .retrying(|| async {
                let loaded = self.load_instance(id).await?;
                let (event, audit, decided_task) = build(&loaded)?;
                let act = Act {
                    actor: Some(Actor {
                        user_id: caller.user.id.clone(),
                        comment: comment.clone(),
                    }),
                    decided_task,
                    audit: Some(audit),
                    ..Act::new(event, loaded.record.data.clone())
                };
                self.step_on(&loaded, act, caller, now).await
            })
            .await?;
        let open_tasks = stepped
            .tasks
            .into_iter()
            .filter(|t| t.status == formwork_store::TaskStatus::Open)
            .collect();
        Ok(InstanceChanged {
            instance: stepped.instance,
            open_tasks,
        })
    }

    /// An instance as the admin list shows it; `None` when its record is gone.
    async fn summary(
        &self,
        dir: &Arc<Directory>,
        instance: Instance,
        now: OffsetDateTime,
    ) -> RuntimeResult<Option<InstanceSummary>> {
        let Some(record) = self.store.get_record(&instance.record_id).await? else {
            return Ok(None);
        };
        let app = self
            .app_version(&instance.app_id, instance.app_version)
            .await?;
        let process = app.process(&instance.process_id)?.clone();
        let open_tasks: Vec<OpenTaskView> = self
            .open_tasks_of(&instance.id)
            .await?
            .into_iter()
            .map(|task| OpenTaskView {
                assignee: brief(dir, &task.assignee_id),
                node: node_view(&process, &task.node_id),
                overdue: task.due_at.is_some_and(|d| d < now),
                task,
            })
            .collect();
        let stopped = stopped_at(&instance).map(|(node, why)| (node_view(&process, &node), why));
        Ok(Some(InstanceSummary {
            title: title(&app, &record, None),
            app_name: app.def.name.clone(),
            process_name: process.def().name.clone(),
            submitter: brief(dir, &record.owner_id),
            overdue: open_tasks.iter().any(|t| t.overdue),
            open_tasks,
            stopped,
            instance,
            record,
        }))
    }
}

/// Where and why a stopped instance stopped, from its state.
fn stopped_at(instance: &Instance) -> Option<(String, &'static str)> {
    let status: Status = serde_json::from_value(instance.state.get("status")?.clone()).ok()?;
    let Status::Stopped { node, reason } = status else {
        return None;
    };
    let why = match reason {
        StopReason::NobodyToAssign => "nobody_to_assign",
        StopReason::NoRoute => "no_route",
        StopReason::LoopDetected => "loop_detected",
    };
    Some((node, why))
}

fn require_admin(caller: &Caller) -> RuntimeResult<()> {
    if caller.user.is_admin {
        Ok(())
    } else {
        Err(RuntimeError::Forbidden)
    }
}

fn filter(status: Option<&str>) -> RuntimeResult<InstanceFilter> {
    match status.unwrap_or("running") {
        "running" => Ok(InstanceFilter::Running),
        "stopped" => Ok(InstanceFilter::Stopped),
        "overdue" => Ok(InstanceFilter::Overdue),
        _ => Err(malformed(
            "/status",
            "status 须为 running、stopped 或 overdue",
            "status must be running, stopped or overdue",
        )),
    }
}

/// A query value as its type; absent or empty is `None`, malformed is 400.
fn parsed<T, E>(
    value: Option<&str>,
    pointer: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> RuntimeResult<Option<T>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => parse(v)
            .map(Some)
            .map_err(|_| malformed(pointer, "参数格式不正确", "This value is not valid")),
    }
}

fn malformed(pointer: &str, zh: &str, en: &str) -> RuntimeError {
    RuntimeError::Malformed {
        problem: problem(pointer, "invalid_query", zh, en),
    }
}

fn invalid(pointer: &str, code: &str, zh: &str, en: &str) -> RuntimeError {
    RuntimeError::Invalid {
        problems: vec![problem(pointer, code, zh, en)],
    }
}

fn required(value: &str, pointer: &str, zh: &str, en: &str) -> RuntimeResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(pointer, "required", zh, en));
    }
    Ok(value.to_owned())
}

/// The reason an admin gives for cancelling: required, at most 2,000 characters.
fn cancel_reason(reason: &str) -> RuntimeResult<String> {
    let reason = required(
        reason,
        "/reason",
        "请填写终止原因",
        "Give a reason for cancelling",
    )?;
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(invalid(
            "/reason",
            "max_length",
            &format!("原因不能超过 {MAX_REASON_CHARS} 个字"),
            &format!("A reason can be at most {MAX_REASON_CHARS} characters long"),
        ));
    }
    Ok(reason)
}

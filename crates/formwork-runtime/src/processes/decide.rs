//! Acting on a task (approve, reject, submit, withdraw, return, transfer, add a signer), in
//! batches from the inbox, and the submitter withdrawing a record before anyone decided.
//!
//! A task is only ever found by its assignee: anyone else gets `NotFound`, as if it did not
//! exist. A task that is no longer open is `task_handled` (409), whether it closed before the
//! request or while it ran.

use formwork_model::Outcome;
use formwork_process::{Action, Event, TaskKey, TaskRef};
use formwork_store::{
    Instance, InstanceId, InstanceStatus, RecordId, StepAudit, StoreError, Task, TaskId, TaskKind,
    TaskStatus,
};
use serde_json::Value;
use time::OffsetDateTime;

use super::pipeline::{self, Loaded, StepInput};
use super::refusals::{busy, handled, person};
use super::write::Actor;
use super::{Attempt, MAX_ATTEMPTS, backoff};
use crate::accounts::problem;
use crate::policy::Caller;
use crate::policy::fields::refused_changes;
use crate::policy::refused_writes;
use crate::records::{invalid, stored_meta, submit_context};
use crate::{Runtime, RuntimeError, RuntimeResult};

/// Most tasks one batch decides.
pub const MAX_BATCH: usize = 100;

/// Longest comment accepted with a decision, in characters.
const MAX_COMMENT_CHARS: usize = 2_000;

/// What a person does with a task, as the API received it.
#[derive(Debug, Clone, Default)]
pub struct DecideRequest {
    /// `approve`, `reject`, `submit`, `withdraw`, `return`, `return_to_submitter`, `transfer`
    /// or `add_signer`.
    pub action: String,
    pub comment: Option<String>,
    /// Changes to the record's fields (only those editable at the task's step), with
    /// `approve` or `submit`.
    pub data: Option<Value>,
    /// The step to `return` to, or the username to `transfer` to or to `add_signer`.
    pub to: Option<String>,
    /// For `add_signer`: the added person signs before the caller, who signs again after.
    pub before: bool,
}

/// A decision that landed: the task as it is now, its instance, and the instance's open tasks.
#[derive(Debug, Clone)]
pub struct Decided {
    pub task: Task,
    pub instance: Instance,
    pub open_tasks: Vec<Task>,
}

impl Runtime {
    /// Applies the caller's decision on one of their tasks.
    pub async fn decide(
        &self,
        caller: &Caller,
        task_id: &TaskId,
        request: &DecideRequest,
        now: OffsetDateTime,
    ) -> RuntimeResult<Decided> {
        let action = parse_action(request)?;
        let (Stepped { instance, tasks }, form_id) = self
            .retrying(|| self.try_decide(caller, task_id, request, action.clone(), now))
            .await?;
        self.delegate_new_tasks(caller, &instance.id, now).await?;
        if instance.status == formwork_store::InstanceStatus::Approved
            && form_id.as_str() == crate::clients::CHANGE_REQUEST_FORM
            && let Some(record) = self.store.get_record(&instance.record_id).await?
        {
            self.forward_accepted_change_request(caller, &record, instance.status, now)
                .await?;
        }
        // The step's own transaction read the instance's tasks as it left them.
        let task = tasks
            .iter()
            .find(|t| t.id == *task_id)
            .cloned()
            .ok_or_else(|| RuntimeError::NotFound(format!("task {task_id}")))?;
        let open_tasks = tasks
            .into_iter()
            .filter(|t| t.status == TaskStatus::Open)
            .collect();
        Ok(Decided {
            task,
            instance,
            open_tasks,
        })
    }

    /// The instance's tasks still open, oldest first.
    pub(super) async fn open_tasks_of(&self, instance_id: &InstanceId) -> RuntimeResult<Vec<Task>> {
        Ok(self
            .store
            .tasks_of_instance(instance_id)
            .await?
            .into_iter()
            .filter(|t| t.status == TaskStatus::Open)
            .collect())
    }

    /// Decides several tasks one after another, each on its own: one failing leaves the others.
    /// Task ids come as the caller sent them; a malformed one is a task that does not exist.
    pub async fn batch_decide(
        &self,
        caller: &Caller,
        items: &[(String, DecideRequest)],
        now: OffsetDateTime,
    ) -> RuntimeResult<Vec<RuntimeResult<Decided>>> {
        if items.len() > MAX_BATCH {
            return Err(RuntimeError::Invalid {
                problems: vec![problem(
                    "/tasks",
                    "max_items",
                    &format!("一次最多处理 {MAX_BATCH} 个待办"),
                    &format!("At most {MAX_BATCH} tasks at a time"),
                )],
            });
        }
        let mut out = Vec::with_capacity(items.len());
        for (task_id, request) in items {
            out.push(match TaskId::parse(task_id) {
                Ok(id) => self.decide(caller, &id, request, now).await,
                Err(_) => Err(RuntimeError::NotFound(format!("task {task_id}"))),
            });
        }
        Ok(out)
    }

    /// The submitter takes their record back, until the first decision on it; a process that
    /// stopped (an error in its package) may be taken back at any time, so the record is
    /// never stuck in review.
    pub async fn withdraw_record(
        &self,
        caller: &Caller,
        record_id: &RecordId,
        comment: Option<&str>,
        now: OffsetDateTime,
    ) -> RuntimeResult<Instance> {
        let record = self.read_record(caller, record_id).await?;
        if record.owner_id != caller.user.id {
            return Err(RuntimeError::Forbidden);
        }
        let comment = checked_comment(comment)?;
        let instance = self
            .store
            .instance_for_record(&record.id)
            .await?
            .ok_or_else(|| RuntimeError::StateConflict {
                code: "no_process",
                cause: format!("record {record_id} has no process"),
            })?;
        self.retrying(|| self.try_withdraw(caller, &instance.id, comment.clone(), now))
            .await
            .map(|stepped| stepped.instance)
    }

    async fn try_withdraw(
        &self,
        caller: &Caller,
        instance_id: &InstanceId,
        comment: Option<String>,
        now: OffsetDateTime,
    ) -> Result<Stepped, Attempt> {
        let loaded = self.load_instance(instance_id).await?;
        let actor = Actor {
            user_id: caller.user.id.clone(),
            comment,
        };
        let by = caller.user.id.to_string();
        let event = if loaded.instance.status == InstanceStatus::Stopped {
            Event::Cancel {
                by,
                outcome: Outcome::Withdrawn,
            }
        } else {
            Event::Withdraw { by }
        };
        let act = Act {
            actor: Some(actor),
            ..Act::new(event, loaded.record.data.clone())
        };
        self.step_on(&loaded, act, caller, now).await
    }

    /// Runs `attempt` until it lands, recomputing it after a lost race.
    pub(super) async fn retrying<T, F, Fut>(&self, mut attempt: F) -> RuntimeResult<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Attempt>>,
    {
        for n in 0..MAX_ATTEMPTS {
            if n > 0 {
                backoff(n).await;
            }
            match attempt().await {
                Ok(instance) => return Ok(instance),
                Err(Attempt::Stale) => {
                    tracing::debug!(attempt = n, "a step lost a race with another; retrying");
                }
                Err(Attempt::Failed(e)) => return Err(e),
            }
        }
        Err(busy())
    }

    async fn try_decide(
        &self,
        caller: &Caller,
        task_id: &TaskId,
        request: &DecideRequest,
        action: Action,
        now: OffsetDateTime,
    ) -> Result<(Stepped, formwork_store::FormId), Attempt> {
        // The task, its instance and its record in one read.
        let (task, instance, record) = self
            .store
            .task_on_record(task_id)
            .await?
            .filter(|(t, _, _)| t.assignee_id == caller.user.id)
            .ok_or_else(|| RuntimeError::NotFound(format!("task {task_id}")))?;
        if task.status != TaskStatus::Open {
            return Err(handled(&task).into());
        }
        let form_id = record.form_id.clone();
        let loaded = self.loaded(instance, record, caller.epochs).await?;
        let action = match action {
            Action::Transfer { to } => Action::Transfer {
                to: person(&loaded.dir, &to)?,
            },
            Action::AddSigner { user, before } => Action::AddSigner {
                user: person(&loaded.dir, &user)?,
                before,
            },
            other => other,
        };
        let data = match &request.data {
            None => loaded.record.data.clone(),
            Some(changes) => {
                self.edited_data(caller, &loaded, &task, &action, changes, now)
                    .await?
            }
        };
        let comment = checked_comment(request.comment.as_deref())?;
        if comment.is_none() && needs_reason(loaded.process()?, &task.node_id, &action) {
            return Err(reason_required().into());
        }
        let actor = Actor {
            user_id: caller.user.id.clone(),
            comment,
        };
        let event = Event::Decide {
            task: TaskRef {
                node: task.node_id.clone(),
                assignee: caller.user.id.to_string(),
                key: TaskKey(task.key.clone()),
            },
            action,
        };
        let act = Act {
            actor: Some(actor),
            decided_task: Some(task.key),
            ..Act::new(event, data)
        };
        let stepped = self.step_on(&loaded, act, caller, now).await?;
        Ok((stepped, form_id))
    }

    /// The record's data with the caller's changes, checked against the step's field
    /// permissions and the record's own form version.
    async fn edited_data(
        &self,
        caller: &Caller,
        loaded: &Loaded,
        task: &Task,
        action: &Action,
        changes: &Value,
        now: OffsetDateTime,
    ) -> RuntimeResult<Value> {
        if !matches!(action, Action::Approve | Action::Submit) {
            return Err(RuntimeError::Invalid {
                problems: vec![problem(
                    "/data",
                    "not_allowed",
                    "只有同意或提交时可以修改字段",
                    "Fields can only be changed when approving or submitting",
                )],
            });
        }
        let process = loaded.process()?;
        let node = process
            .node(&task.node_id)
            .ok_or_else(|| RuntimeError::Internal(format!("no node {}", task.node_id)))?;
        // A record returned to its submitter is theirs to revise as a whole.
        let mut refused = match task.kind {
            TaskKind::Resubmit => Vec::new(),
            TaskKind::Step => refused_changes(node, changes),
        };
        if refused.is_empty() {
            let form = loaded.form()?;
            refused = refused_writes(caller, form.def(), changes, "/data");
        }
        if !refused.is_empty() {
            return Err(RuntimeError::Invalid { problems: refused });
        }
        let record = &loaded.record;
        let meta = stored_meta(record);
        let ctx = submit_context(caller, now, meta);
        let mut clean = loaded
            .form()?
            .submit(changes, &ctx, Some(&record.data))
            .map_err(invalid)?;
        self.check_references(caller, &mut clean).await?;
        Ok(clean.data)
    }

    /// One step on a loaded instance, applied; a lost race is [`Attempt::Stale`].
    pub(super) async fn step_on(
        &self,
        loaded: &Loaded,
        act: Act,
        caller: &Caller,
        now: OffsetDateTime,
    ) -> Result<Stepped, Attempt> {
        let input = StepInput {
            actor: act.actor,
            decided_task: act.decided_task,
            ..loaded.step_input(act.data, act.event, now)?
        };
        let calendar = self.work_calendar().await?;
        let mut built = pipeline::run(&loaded.dir, &calendar, input)?;
        built.write.audit = act.audit;
        // Hook: overdue-rule jobs for new tasks, `record.updated` for changed data.
        self.loaded_step_events(loaded, &mut built.write, now)
            .await?;
        match self
            .store
            .apply_step_with_tasks(built.write, Some(&caller.user.id))
            .await
        {
            Ok((instance, tasks)) => Ok(Stepped { instance, tasks }),
            Err(StoreError::Conflict(_)) => Err(Attempt::Stale),
            Err(e) => Err(e.into()),
        }
    }
}

/// A step that landed: the instance and all its tasks as it left them.
pub(super) struct Stepped {
    pub instance: Instance,
    pub tasks: Vec<Task>,
}

/// What a person's step on a stored instance consists of.
pub(super) struct Act {
    pub event: Event,
    /// The data the step runs on: the stored data, with the person's edits.
    pub data: Value,
    pub actor: Option<Actor>,
    /// The task the step decides, which must still be open.
    pub decided_task: Option<String>,
    /// The audit row of an admin's operation, written with the step.
    pub audit: Option<StepAudit>,
}

impl Act {
    pub fn new(event: Event, data: Value) -> Act {
        Act {
            event,
            data,
            actor: None,
            decided_task: None,
            audit: None,
        }
    }
}

/// The engine action a request names; shape errors are 422 before anything is loaded.
fn parse_action(request: &DecideRequest) -> RuntimeResult<Action> {
    let to = || {
        request
            .to
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| RuntimeError::Invalid {
                problems: vec![problem(
                    "/to",
                    "required",
                    "请指定对象",
                    "Say to whom or where",
                )],
            })
    };
    Ok(match request.action.as_str() {
        "approve" => Action::Approve,
        "reject" => Action::Reject,
        "submit" => Action::Submit,
        "withdraw" => Action::Withdraw,
        "return" => Action::ReturnTo { node: to()? },
        "return_to_submitter" => Action::ReturnToSubmitter,
        "transfer" => Action::Transfer { to: to()? },
        "add_signer" => Action::AddSigner {
            user: to()?,
            before: request.before,
        },
        _ => {
            return Err(RuntimeError::Invalid {
                problems: vec![problem(
                    "/action",
                    "enum",
                    "操作须为 approve、reject、submit、withdraw、return、return_to_submitter、\
                     transfer 或 add_signer",
                    "action must be approve, reject, submit, withdraw, return, \
                     return_to_submitter, transfer or add_signer",
                )],
            });
        }
    })
}

/// Whether `action` at `node` needs a reason: 驳回 and 退回 do, unless the step makes it
/// optional.
fn needs_reason(process: &formwork_process::CompiledProcess, node: &str, action: &Action) -> bool {
    let sends_back = matches!(
        action,
        Action::Reject | Action::ReturnTo { .. } | Action::ReturnToSubmitter
    );
    let optional = matches!(
        process.node(node).map(|n| &n.kind),
        Some(formwork_model::NodeKind::Approval(a)) if a.reason_optional
    );
    sends_back && !optional
}

fn reason_required() -> RuntimeError {
    RuntimeError::Invalid {
        problems: vec![problem(
            "/comment",
            "reason_required",
            "驳回或退回时请填写理由",
            "Give a reason when rejecting or returning",
        )],
    }
}

pub(super) fn checked_comment(comment: Option<&str>) -> RuntimeResult<Option<String>> {
    let comment = comment.map(str::trim).filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
        return Err(RuntimeError::Invalid {
            problems: vec![problem(
                "/comment",
                "max_length",
                &format!("意见不能超过 {MAX_COMMENT_CHARS} 个字"),
                &format!("A comment can be at most {MAX_COMMENT_CHARS} characters long"),
            )],
        });
    }
    Ok(comment.map(str::to_owned))
}

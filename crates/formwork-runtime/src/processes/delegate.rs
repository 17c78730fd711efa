//! Delegation: someone away names a delegate for a period. While it lasts, their open tasks
//! and every task the engine gives them go to the delegate, each through the engine's own
//! reassignment with the delegator as its actor — so the history says who handed what to
//! whom, and the timeline reads "王五 代 张三处理". Taking back returns the delegated tasks
//! that are still open and ends the delegation.

use formwork_process::{Event, TaskRef};
use formwork_store::{
    Delegation, HistoryRow, InstanceId, StepAudit, Task, TaskBox, TaskQuery, UserId,
};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::accounts::problem;
use crate::policy::Caller;
use crate::{Runtime, RuntimeError, RuntimeResult};

/// Most open tasks handed over (or taken back) at once.
const HANDED: u32 = 200;

impl Runtime {
    /// The caller's delegation, if they set one.
    pub async fn delegation(&self, caller: &Caller) -> RuntimeResult<Option<Delegation>> {
        Ok(self
            .directory_for(caller)
            .await?
            .delegations()
            .iter()
            .find(|d| d.user_id == caller.user.id)
            .cloned())
    }

    /// Sets the caller's out-of-office period and delegate; when it has begun, their open
    /// tasks go to the delegate at once. Answers how many were handed over.
    pub async fn set_delegation(
        &self,
        caller: &Caller,
        delegate: &str,
        starts_at: OffsetDateTime,
        ends_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> RuntimeResult<usize> {
        let dir = self.directory().await?;
        let to = dir
            .by_username(delegate.trim())
            .filter(|u| !u.suspended && u.id != caller.user.id)
            .ok_or_else(|| {
                invalid(
                    "/delegate",
                    "请选择另一位在职同事作为代理人",
                    "Choose another active colleague as the delegate",
                )
            })?;
        if ends_at <= starts_at || ends_at <= now {
            return Err(invalid(
                "/ends_at",
                "结束时间须晚于开始时间和现在",
                "The end must be after the start and after now",
            ));
        }
        let delegation = Delegation {
            user_id: caller.user.id.clone(),
            delegate_id: to.id.clone(),
            starts_at,
            ends_at,
        };
        self.store
            .put_delegation(&caller.user.id, Some(&delegation))
            .await?;
        if starts_at > now {
            return Ok(0);
        }
        let mut handed = 0;
        for task in self.todo(&caller.user.id).await? {
            if self.hand_over(caller, &task, &to.id, now).await? {
                handed += 1;
            }
        }
        Ok(handed)
    }

    /// Ends the caller's delegation and takes back the delegated tasks still open. Answers
    /// how many came back.
    pub async fn take_back(&self, caller: &Caller, now: OffsetDateTime) -> RuntimeResult<usize> {
        let Some(delegation) = self.delegation(caller).await? else {
            return Ok(0);
        };
        self.store.put_delegation(&caller.user.id, None).await?;
        let mut back = 0;
        for task in self.todo(&delegation.delegate_id).await? {
            let history = self.store.instance_history(&task.instance_id).await?;
            let delegated = history.iter().any(|row| {
                delegated_to(row).is_some_and(|(from, to)| {
                    from == caller.user.id.as_str() && to == task.assignee_id.as_str()
                }) && row.node_id.as_deref() == Some(task.node_id.as_str())
            });
            if delegated && self.hand_over(caller, &task, &caller.user.id, now).await? {
                back += 1;
            }
        }
        Ok(back)
    }

    /// [`Runtime::delegate_new_tasks`] for the process of a record just submitted.
    pub(crate) async fn delegate_record_tasks(
        &self,
        caller: &Caller,
        record: &formwork_store::RecordId,
        now: OffsetDateTime,
    ) -> RuntimeResult<()> {
        // The delegations travel with the directory: nobody away, nothing to read.
        if self.directory_for(caller).await?.away(now).is_empty() {
            return Ok(());
        }
        match self.store.instance_for_record(record).await? {
            Some(instance) => self.delegate_new_tasks(caller, &instance.id, now).await,
            None => Ok(()),
        }
    }

    /// Hands the new open tasks of an instance whose assignees are away to their delegates
    /// (called after every step that may create tasks).
    pub(crate) async fn delegate_new_tasks(
        &self,
        caller: &Caller,
        instance_id: &InstanceId,
        now: OffsetDateTime,
    ) -> RuntimeResult<()> {
        let dir = self.directory_for(caller).await?;
        let away: Vec<Delegation> = dir.away(now).into_iter().cloned().collect();
        if away.is_empty() {
            return Ok(());
        }
        for task in self.open_tasks_of(instance_id).await? {
            let Some(d) = away.iter().find(|d| d.user_id == task.assignee_id) else {
                continue;
            };
            let Some(user) = self.store.get_user(&d.user_id).await? else {
                continue;
            };
            let delegator = self.caller(user.into()).await?;
            self.hand_over(&delegator, &task, &d.delegate_id, now)
                .await?;
        }
        Ok(())
    }

    /// `by` gives their open `task` to `to` through the engine; `false` when the engine
    /// refuses (the delegate already has a turn at the step, the task was handled).
    async fn hand_over(
        &self,
        by: &Caller,
        task: &Task,
        to: &UserId,
        now: OffsetDateTime,
    ) -> RuntimeResult<bool> {
        let key = task.key.clone();
        let audit = StepAudit {
            action: "task.delegate".into(),
            detail: json!({ "task": task.id, "from": task.assignee_id, "to": to }),
        };
        let done = self
            .admin_step_with(by, &task.instance_id, None, now, |loaded| {
                let open: TaskRef = loaded
                    .state
                    .open_tasks()
                    .into_iter()
                    .find(|t| t.key.0 == key)
                    .ok_or_else(|| RuntimeError::NotFound(format!("task {key}")))?;
                let event = Event::Reassign {
                    by: by.user.id.to_string(),
                    task: open,
                    to: to.to_string(),
                };
                Ok((event, audit.clone(), Some(key.clone())))
            })
            .await;
        match done {
            Ok(_) => Ok(true),
            Err(RuntimeError::NotFound(_) | RuntimeError::StateConflict { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn todo(&self, user: &UserId) -> RuntimeResult<Vec<Task>> {
        Ok(self
            .store
            .list_tasks(&TaskQuery {
                user_id: user.clone(),
                task_box: TaskBox::Todo,
                after: None,
                limit: HANDED,
            })
            .await?)
    }
}

/// `(from, to)` of a history row that hands a task over by delegation: a reassignment whose
/// actor is the person the task is taken from.
pub(crate) fn delegated_to(row: &HistoryRow) -> Option<(&str, &str)> {
    if row.action != "reassigned" {
        return None;
    }
    let from = row.detail.get("from").and_then(Value::as_str)?;
    let to = row.detail.get("to").and_then(Value::as_str)?;
    (row.actor.as_ref().map(UserId::as_str) == Some(from)).then_some((from, to))
}

fn invalid(pointer: &str, zh: &str, en: &str) -> RuntimeError {
    RuntimeError::Invalid {
        problems: vec![problem(pointer, "invalid", zh, en)],
    }
}

//! Why a step on a process was refused, in the caller's terms: the engine's refusals as 409s
//! with their own codes (a task already handled, a process that is not running) or as 422s
//! worded in zh-CN and English, and the people a request names looked up.

use formwork_process::EngineError;
use formwork_store::{Task, UserId};

use crate::RuntimeError;
use crate::accounts::problem;
use crate::directory::Directory;

/// 409 `task_handled`: 「该待办已被处理」.
pub(super) fn handled(task: &Task) -> RuntimeError {
    RuntimeError::StateConflict {
        code: "task_handled",
        cause: format!("task {} is {}", task.id, task.status),
    }
}

/// 409 `process_busy`: the step kept losing races with others on the same instance.
pub(super) fn busy() -> RuntimeError {
    RuntimeError::StateConflict {
        code: "process_busy",
        cause: "the process kept changing".into(),
    }
}

/// The id of the active user a request names by username (`/to`), or 422.
pub(super) fn person(dir: &Directory, username: &str) -> Result<String, RuntimeError> {
    active_user(dir, username).map(|id| id.to_string())
}

/// The active user a request names by username (`/to`), or 422.
pub(super) fn active_user(dir: &Directory, username: &str) -> Result<UserId, RuntimeError> {
    dir.active(username.trim())
        .map(|u| u.id.clone())
        .ok_or_else(|| RuntimeError::Invalid {
            problems: vec![problem(
                "/to",
                "unknown_user",
                "没有这个用户（或已停用）",
                "There is no such active user",
            )],
        })
}

/// An engine refusal in the caller's terms.
pub(super) fn engine_error(e: EngineError) -> RuntimeError {
    match e {
        EngineError::TaskNotOpen { key } => RuntimeError::StateConflict {
            code: "task_handled",
            cause: format!("task {key} is not open"),
        },
        EngineError::NotRunning => RuntimeError::StateConflict {
            code: "process_not_running",
            cause: "the process is not running".into(),
        },
        EngineError::AlreadyStarted => {
            RuntimeError::Conflict("the process has already started".into())
        }
        EngineError::NotAllowed { action, reason, .. } => not_allowed(action, &reason),
        other => RuntimeError::Internal(format!("process step: {other}")),
    }
}

/// An action the engine does not allow now: 409 where the process moved on, else 422 with
/// the reason in words (the engine's reasons are fixed English sentences).
fn not_allowed(action: &str, reason: &str) -> RuntimeError {
    let conflict = |code: &'static str| RuntimeError::StateConflict {
        code,
        cause: format!("{action}: {reason}"),
    };
    match reason {
        "someone has already decided" => return conflict("already_decided"),
        "only a stopped instance can be retried" => return conflict("process_not_stopped"),
        _ => {}
    }
    let (pointer, zh, en) = match reason {
        "a returned record is resubmitted or withdrawn" => (
            "/action",
            "退回发起人的记录只能重新提交或撤回",
            "A record returned to its submitter can only be resubmitted or withdrawn",
        ),
        "a fill step is submitted or withdrawn" => (
            "/action",
            "填写步骤只能提交或撤回",
            "A fill step can only be submitted or withdrawn",
        ),
        "an approval step is approved, rejected or returned" => (
            "/action",
            "审批步骤只能同意、驳回或退回",
            "An approval step can only be approved, rejected or returned",
        ),
        "there is no such step" | "there is no such node" => {
            ("/to", "流程中没有这个步骤", "The process has no such step")
        }
        "the instance has not passed that step" => (
            "/to",
            "流程还没有经过该步骤，不能退回到那里",
            "The process has not passed that step, so it cannot go back there",
        ),
        "a join cannot be returned to" | "a join cannot be moved to" => (
            "/to",
            "不能转到汇聚节点，请选择一个审批或填写步骤",
            "A join cannot be chosen; pick an approval or fill step",
        ),
        "transfer to someone without a task or turn at this step"
        | "reassign to someone without a task or turn at this step" => (
            "/to",
            "此人在本步骤已有待办或已轮到过，请选择其他人",
            "That person already has a task or a turn at this step; choose someone else",
        ),
        "add someone who is not signing this step yet" => (
            "/to",
            "只能加签本步骤尚未参与的人",
            "Add someone who is not signing this step yet",
        ),
        "only the submitter may withdraw" => (
            "/action",
            "只有发起人可以撤回",
            "Only the submitter may withdraw",
        ),
        "a cancelled instance ends rejected or withdrawn" => (
            "/outcome",
            "终止后的结果须为 rejected（未通过）或 withdrawn（已撤回）",
            "outcome must be rejected or withdrawn",
        ),
        _ => (
            "/action",
            "此时不能执行该操作",
            "This action is not allowed now",
        ),
    };
    tracing::debug!(action, reason, "the engine refused an action");
    RuntimeError::Invalid {
        problems: vec![problem(pointer, "not_allowed", zh, en)],
    }
}

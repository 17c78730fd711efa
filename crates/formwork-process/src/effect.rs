//! Effects: what the runtime must do after a step, in order, in the same transaction.

use std::collections::BTreeMap;
use std::fmt;

use formwork_model::Outcome;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// The key of a task, unique within its instance and the same whenever the same step is
/// replayed, so the store can insert tasks idempotently.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaskKey(pub String);

/// The key of a timer, unique within its instance and deterministic like [`TaskKey`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TimerKey(pub String);

impl fmt::Display for TaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for TimerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One thing the runtime must do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Effect {
    /// Give a person a task (and tell them; the runtime sends the "new task" message).
    CreateTask {
        key: TaskKey,
        node: String,
        assignee: String,
        #[serde(with = "time::serde::rfc3339::option")]
        due_at: Option<OffsetDateTime>,
    },
    /// Close a task that nobody decided.
    CancelTask { key: TaskKey, reason: CancelReason },
    /// Close a task that was acted on; `by` is `None` when the engine decided (escalation).
    CompleteTask {
        key: TaskKey,
        outcome: TaskOutcome,
        by: Option<String>,
    },
    /// Send a message to a user.
    Notify { user: String, kind: NotifyKind },
    /// Fire `TimerFired { key }` at `fire_at`. Scheduling a key twice must not fire twice.
    ScheduleTimer {
        key: TimerKey,
        #[serde(with = "time::serde::rfc3339")]
        fire_at: OffsetDateTime,
        kind: TimerKind,
    },
    /// The timer is no longer wanted.
    CancelTimer { key: TimerKey },
    /// Store these values in the record (evaluated from an `action` node's expressions).
    SetFields {
        node: String,
        values: BTreeMap<String, Value>,
    },
    /// Append a row to the instance's timeline.
    History(HistoryEntry),
    /// The instance ended.
    Ended { outcome: Outcome },
    /// The instance stopped in an error state; an admin must look at it.
    Stopped { node: String, reason: StopReason },
}

/// Why a task was closed without a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// The step was decided by the others (any/vote/single, or one reject in all).
    StepDecided,
    /// Someone returned the instance to an earlier step.
    Returned,
    /// A sibling branch left the parallel region, abandoning this branch.
    BranchAbandoned,
    /// The overdue task was given to someone else by escalation.
    Reassigned,
    /// The instance ended (an end node, a rejection without a reject edge, a withdrawal).
    InstanceEnded,
    /// The instance stopped in an error state.
    InstanceStopped,
}

/// How a task was closed by acting on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskOutcome {
    Approved,
    Rejected,
    Submitted,
    Withdrawn,
    Returned,
    Transferred,
    /// The assignee asked someone to approve first; a new task comes back to them afterwards.
    SignerAddedBefore,
    /// Approved by escalation when overdue.
    AutoApproved,
    /// Rejected by escalation when overdue.
    AutoRejected,
}

/// What a notification is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NotifyKind {
    /// A `cc` node copies the user in.
    Cc,
    /// The user's task is due soon (or now).
    Reminder {
        task: TaskKey,
        #[serde(with = "time::serde::rfc3339::option")]
        due_at: Option<OffsetDateTime>,
    },
    /// `assignee`'s task is overdue; sent to their department head.
    Escalation { task: TaskKey, assignee: String },
    /// An approval step was decided; sent to the submitter.
    Decision { node: String, outcome: StepOutcome },
    /// The instance ended; sent to the submitter.
    Ended { outcome: Outcome },
}

/// What a timer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    /// Remind the assignee before the task is due.
    Reminder,
    /// The task is due: apply the deadline's escalation.
    Escalation,
    /// A `wait` node's time is up.
    WaitEnd,
}

/// How a human step as a whole was decided; it picks the edge with the matching `on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    Approved,
    Rejected,
    Submitted,
    Withdrawn,
}

/// Why an instance stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The assignee rule resolved to nobody and the fallback is `stop`.
    NobodyToAssign,
    /// A condition had no true edge and no default edge.
    NoRoute,
}

/// One timeline row. The runtime stamps it with the time of the step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The node it happened at; `None` for instance-wide events such as a withdrawal.
    pub node: Option<String>,
    /// The person who acted; `None` when the engine did it.
    pub actor: Option<String>,
    #[serde(flatten)]
    pub action: HistoryAction,
}

/// What a timeline row says; texts come from the message catalog, keyed by `action`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum HistoryAction {
    Started,
    /// A condition picked the edge to `to`.
    ConditionTaken {
        to: String,
        default: bool,
    },
    /// A parallel split started its branches.
    BranchesStarted {
        branches: u32,
    },
    /// Every branch reached the join.
    Joined,
    /// A `cc` node notified these users (none when its rule resolved to nobody).
    CcSent {
        users: Vec<String>,
    },
    FieldsSet {
        fields: Vec<String>,
    },
    WaitStarted {
        #[serde(with = "time::serde::rfc3339")]
        until: OffsetDateTime,
    },
    WaitEnded,
    /// A person decided a task.
    Decided {
        task: TaskKey,
        outcome: TaskOutcome,
    },
    /// The engine approved for `user` without a task: they already approved earlier.
    AutoApprovedRepeat {
        user: String,
    },
    /// The assignee rule resolved to nobody; the fallback says what happened next.
    NobodyResolved {
        fallback: FallbackApplied,
    },
    /// The task's assignee sent the instance back to the step `to`.
    Returned {
        task: TaskKey,
        to: String,
    },
    Transferred {
        task: TaskKey,
        from: String,
        to: String,
    },
    SignerAdded {
        task: TaskKey,
        user: String,
        before: bool,
    },
    /// The step as a whole was decided.
    StepCompleted {
        outcome: StepOutcome,
    },
    /// Open tasks of a branch were cancelled because a sibling left the parallel region.
    BranchCancelled {
        tasks: Vec<TaskKey>,
    },
    Reminded {
        task: TaskKey,
        user: String,
    },
    Escalated {
        task: TaskKey,
        user: String,
        applied: EscalationApplied,
    },
    Ended {
        outcome: Outcome,
    },
    Stopped {
        reason: StopReason,
    },
}

/// What an assignee fallback did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FallbackApplied {
    /// The step was skipped as if approved.
    Skipped,
    /// The task went to this user instead.
    User { username: String },
    /// The instance stopped.
    Stopped,
}

/// What an escalation did to an overdue task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EscalationApplied {
    /// The head was notified (`None`: the user has no head, so nobody was).
    NotifiedHead {
        head: Option<String>,
    },
    Reassigned {
        to: String,
    },
    AutoApproved,
    AutoRejected,
}

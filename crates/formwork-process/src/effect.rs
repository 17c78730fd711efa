//! Effects: what the runtime must do after a step, in order, in the same transaction.
//!
//! Every user named here (assignees, actors, people notified) is a user id: the runtime
//! resolves the usernames a package names before they reach the engine.

use std::collections::BTreeMap;
use std::fmt;

use formwork_model::Outcome;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// The key of a task, unique within its instance and the same whenever the same step is
/// replayed, so the store can insert tasks idempotently.
///
/// Beside the key, each task carries its node's round (see [`Effect::CreateTask`]): the store
/// keeps at most one open task per (instance, node, round, assignee).
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
    ///
    /// `round` counts the entries into `node` so far (1 for the first): returns and loops
    /// start new rounds. The engine never opens two tasks for one node, round and assignee
    /// while the first is open, so the store can enforce that with a unique index over open
    /// tasks.
    CreateTask {
        key: TaskKey,
        node: String,
        assignee: String,
        round: u32,
        #[serde(default, skip_serializing_if = "TaskKind::is_step")]
        kind: TaskKind,
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

/// What a task asks of its assignee.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Act on the node's step: approve or reject an approval, submit or withdraw a fill.
    #[default]
    Step,
    /// The record was returned to its submitter (退回发起人) and the process has no revise
    /// step: the submitter edits the whole form and submits it again (or withdraws), and the
    /// node's approval starts a new round.
    Resubmit,
}

impl TaskKind {
    /// Whether this is an ordinary step task.
    pub fn is_step(&self) -> bool {
        *self == TaskKind::Step
    }
}

/// Why a task was closed without a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// The step was decided by the others (any/vote/single, or one reject in all).
    StepDecided,
    /// Someone returned the instance to an earlier step, or to the submitter.
    Returned,
    /// A sibling branch left the parallel block, abandoning this branch.
    BranchAbandoned,
    /// A return (or an admin's move) started a new round of the parallel block this task was
    /// in; the new round opens its own tasks.
    Superseded,
    /// The join had the branches it requires (N-of-M); the rest are not needed.
    JoinSatisfied,
    /// The step's deadline passed first and its `on: timeout` edge was taken.
    TimedOut,
    /// An admin moved the instance to another node.
    Moved,
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
    /// Sent back to the submitter to revise and resubmit (退回发起人).
    ReturnedToSubmitter,
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
    /// The task is due and the step has an `on: timeout` edge: withdraw the step, take it.
    Timeout,
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
    /// Nobody decided before the deadline; the `on: timeout` edge was taken.
    TimedOut,
}

/// Why an instance stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The assignee rule resolved to nobody and the fallback is `stop`.
    NobodyToAssign,
    /// A condition had no true edge and no default edge.
    NoRoute,
    /// More automatic steps than the budget in one step: a loop whose people were all
    /// skipped (fallback `skip`, repeat approvers). The event's own decision is kept.
    LoopDetected,
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
    /// A split started its branches: `again` when a return or move re-entered its block
    /// and so started a new round of it.
    BranchesStarted {
        branches: u32,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        again: bool,
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
    /// Open tasks of a branch were cancelled: a sibling left the block, a return started a
    /// new round of it, or the join had enough branches.
    BranchCancelled {
        tasks: Vec<TaskKey>,
        #[serde(default = "abandoned")]
        reason: CancelReason,
    },
    /// A branch reached an end that ends only the branch (implicit termination).
    BranchEnded {
        outcome: Outcome,
    },
    /// The step's deadline passed before anyone decided; its open tasks were withdrawn.
    TimedOut {
        tasks: Vec<TaskKey>,
    },
    /// The task's assignee sent the record back to the submitter: to the revise step `to`,
    /// or (`None`) as a resubmission of the whole form at this node.
    ReturnedToSubmitter {
        task: TaskKey,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
    },
    /// The submitter handed in a record returned to them; the node starts a new round.
    Resubmitted {
        task: TaskKey,
    },
    /// An admin cancelled the instance.
    Cancelled {
        outcome: Outcome,
    },
    /// An admin restarted the step the instance stopped at.
    Retried,
    /// An admin moved the instance to the node `to`.
    Moved {
        to: String,
    },
    /// An admin gave the task to someone else.
    Reassigned {
        task: TaskKey,
        from: String,
        to: String,
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
    /// The task went to this user (id) instead.
    User { user: String },
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
    /// Not reassigned: the target already has a turn at this step, or is unknown.
    NotReassigned {
        to: String,
    },
    AutoApproved,
    AutoRejected,
}

fn abandoned() -> CancelReason {
    CancelReason::BranchAbandoned
}

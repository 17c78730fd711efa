//! Events: what happened to an instance from outside (a person, a timer, the submitter, an
//! admin). Users are named by id.

use formwork_model::Outcome;
use serde::{Deserialize, Serialize};

use crate::effect::{TaskKey, TimerKey};

/// Something that happened to an instance; [`step`](crate::step) turns it into effects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The record was submitted: enter the start node and run to the first waits.
    Start,
    /// The assignee of an open task acted on it.
    Decide { task: TaskRef, action: Action },
    /// A timer the engine scheduled is due. Timers that are no longer wanted are no-ops.
    TimerFired { key: TimerKey },
    /// The submitter takes the record back; allowed until the first decision.
    Withdraw { by: String },
    /// An admin ends a running or stopped instance as `rejected` or `withdrawn`.
    Cancel { by: String, outcome: Outcome },
    /// An admin runs the step a stopped instance stopped at again.
    Retry { by: String },
    /// An admin moves a running or stopped instance to `node`; every open task is cancelled
    /// and the people at `node` must act in person.
    MoveTo { by: String, node: String },
    /// An admin gives an open task to `to`, with a deadline counted from now.
    Reassign {
        by: String,
        task: TaskRef,
        to: String,
    },
}

/// Names one open task: its node, the user it is assigned to, and its key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TaskRef {
    pub node: String,
    pub assignee: String,
    pub key: TaskKey,
}

/// What the assignee of a task did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Approve (approval steps).
    Approve,
    /// Reject (approval steps): follows the `on: reject` edge, or ends the instance rejected.
    Reject,
    /// Hand in the filled fields (fill steps).
    Submit,
    /// Give up (fill steps): follows the `on: withdraw` edge, or ends the instance withdrawn.
    Withdraw,
    /// Send the instance back to a human step it passed earlier, or along an `on: return`
    /// edge drawn from this step. The people there must act in person.
    ReturnTo { node: String },
    /// Send the record back to its submitter to revise and resubmit (退回发起人), unlike
    /// `Reject`, which follows the reject edge or ends the instance. Approval steps only.
    ReturnToSubmitter,
    /// Give this task to another user.
    Transfer { to: String },
    /// Ask another user to approve too: before oneself (the task comes back afterwards) or
    /// after oneself.
    AddSigner { user: String, before: bool },
}

impl Action {
    /// The action's name, as used in errors.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Submit => "submit",
            Action::Withdraw => "withdraw",
            Action::ReturnTo { .. } => "return",
            Action::ReturnToSubmitter => "return_to_submitter",
            Action::Transfer { .. } => "transfer",
            Action::AddSigner { .. } => "add_signer",
        }
    }
}

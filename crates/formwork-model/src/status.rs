//! Statuses as types: of a record, of a process instance, of a task, and what closed a task.
//! Each is stored and serialised as its snake_case name (`in_review`), so JSON shapes and
//! stored rows keep the strings they always had.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::def::Outcome;

/// A text that names no status of its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a {kind}")]
pub struct StatusError {
    pub kind: &'static str,
    pub text: String,
}

/// A status enum: its variants, their names, and the conversions every status type has.
macro_rules! status {
    ($(#[$doc:meta])* $name:ident, $kind:literal { $($(#[$vdoc:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant,)*
        }

        impl $name {
            /// Every value, in the order of the life cycle.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stored and serialised name, e.g. `in_review`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            pub fn parse(text: &str) -> Result<$name, StatusError> {
                match text {
                    $($text => Ok($name::$variant),)*
                    _ => Err(StatusError {
                        kind: $kind,
                        text: text.chars().take(64).collect(),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<$name> for String {
            fn from(status: $name) -> String {
                status.as_str().to_owned()
            }
        }

        impl FromStr for $name {
            type Err = StatusError;
            fn from_str(text: &str) -> Result<$name, StatusError> {
                $name::parse(text)
            }
        }
    };
}

status!(
    /// Where a record stands.
    RecordStatus, "record status" {
        /// 草稿: saved half-filled, seen only by its owner.
        Draft = "draft",
        /// 已提交: a form without a process.
        Submitted = "submitted",
        /// 审批中: its approval is under way; it cannot be edited or deleted.
        InReview = "in_review",
        /// 已驳回待修改: sent back to the submitter to revise.
        Returned = "returned",
        /// 已撤回: taken back by the submitter.
        Withdrawn = "withdrawn",
        /// 已通过: the process ended approved.
        Approved = "approved",
        /// 未通过: the process ended rejected.
        Rejected = "rejected",
        /// 已完成: a process that approves nothing ended.
        Completed = "completed",
    }
);

status!(
    /// Where a process instance stands.
    InstanceStatus, "process status" {
        NotStarted = "not_started",
        Running = "running",
        Approved = "approved",
        Rejected = "rejected",
        Withdrawn = "withdrawn",
        Completed = "completed",
        /// Stopped by an error in the package; waits for an admin.
        Stopped = "stopped",
    }
);

status!(
    /// Where a task stands.
    TaskStatus, "task status" {
        Open = "open",
        /// Closed by its assignee acting on it.
        Done = "done",
        /// Closed by something else (see its [`TaskAction`]).
        Cancelled = "cancelled",
    }
);

status!(
    /// What closed a task: its assignee's action, or why it was cancelled.
    TaskAction, "task action" {
        Approve = "approve",
        Reject = "reject",
        Submit = "submit",
        Withdraw = "withdraw",
        Return = "return",
        Transfer = "transfer",
        AddSigner = "add_signer",
        AutoApprove = "auto_approve",
        AutoReject = "auto_reject",
        /// Sent back to the submitter to revise and resubmit (退回发起人).
        ReturnToSubmitter = "return_to_submitter",
        /// Cancelled: the step was decided without it (any-one approval, a rejection).
        StepDecided = "step_decided",
        /// Cancelled: the process went back to an earlier step.
        Returned = "returned",
        /// Cancelled: a parallel branch was abandoned.
        BranchAbandoned = "branch_abandoned",
        /// Cancelled: a return (or an admin's move) started a new round of its parallel block.
        Superseded = "superseded",
        /// Cancelled: the join had the branches it requires (N of M).
        JoinSatisfied = "join_satisfied",
        /// Cancelled: the step's deadline passed and its `on: timeout` edge was taken.
        TimedOut = "timed_out",
        /// Cancelled: an admin moved the process to another step.
        Moved = "moved",
        /// Cancelled: an escalation or an admin gave the task to someone else.
        Reassigned = "reassigned",
        /// Cancelled: the process ended.
        InstanceEnded = "instance_ended",
        /// Cancelled: the process stopped.
        InstanceStopped = "instance_stopped",
    }
);

status!(
    /// What a task asks of its assignee.
    TaskKind, "task kind" {
        /// Act on the step: approve or reject an approval, submit or withdraw a fill step.
        Step = "step",
        /// The record was returned to its submitter (退回发起人): edit the whole form and
        /// submit it again, or withdraw it.
        Resubmit = "resubmit",
    }
);

impl From<Outcome> for RecordStatus {
    fn from(outcome: Outcome) -> RecordStatus {
        match outcome {
            Outcome::Approved => RecordStatus::Approved,
            Outcome::Rejected => RecordStatus::Rejected,
            Outcome::Withdrawn => RecordStatus::Withdrawn,
            Outcome::Completed => RecordStatus::Completed,
        }
    }
}

impl From<Outcome> for InstanceStatus {
    fn from(outcome: Outcome) -> InstanceStatus {
        match outcome {
            Outcome::Approved => InstanceStatus::Approved,
            Outcome::Rejected => InstanceStatus::Rejected,
            Outcome::Withdrawn => InstanceStatus::Withdrawn,
            Outcome::Completed => InstanceStatus::Completed,
        }
    }
}

impl RecordStatus {
    /// Whether the record's owner (or an editor) may change or delete it freely now: not while
    /// an approval is deciding on what it says, not while it waits for its submitter's revision
    /// (that goes through the revise step), and not once its process ended (its results are
    /// locked: see [`RecordStatus::is_result`]).
    pub fn is_editable(self) -> bool {
        matches!(
            self,
            RecordStatus::Draft | RecordStatus::Submitted | RecordStatus::Withdrawn
        )
    }

    /// Whether the record's process ended with a result (approved, rejected, completed):
    /// only fields the form keeps editable after approval change, and admins may edit it.
    pub fn is_result(self) -> bool {
        matches!(
            self,
            RecordStatus::Approved | RecordStatus::Rejected | RecordStatus::Completed
        )
    }
}

status!(
    /// Where a background job is in its life: `pending → running → done`, or through
    /// `retrying` back to `running`, until `dead` (given up, kept for an admin to retry or
    /// discard).
    JobState, "job state" {
        /// Waiting for its first run (or for its time, when scheduled).
        Pending = "pending",
        /// Claimed by a worker whose lease has not expired.
        Running = "running",
        /// Failed in a way that may pass; waiting for its next try.
        Retrying = "retrying",
        /// Finished; its effect happened.
        Done = "done",
        /// Given up after a permanent failure or too many tries.
        Dead = "dead",
    }
);

impl JobState {
    /// Whether a worker may claim a job in this state (once its time has come).
    pub fn is_claimable(self) -> bool {
        matches!(self, JobState::Pending | JobState::Retrying)
    }

    /// Whether the job will not run again unless an admin retries it.
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Done | JobState::Dead)
    }

    /// A label for people in `lang` (`en`, else zh-CN).
    pub fn label(self, lang: &str) -> &'static str {
        let (zh, en) = match self {
            JobState::Pending => ("等待中", "pending"),
            JobState::Running => ("执行中", "running"),
            JobState::Retrying => ("等待重试", "retrying"),
            JobState::Done => ("已完成", "done"),
            JobState::Dead => ("已放弃", "dead"),
        };
        if lang == "en" { en } else { zh }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in RecordStatus::ALL {
            assert_eq!(RecordStatus::parse(s.as_str()), Ok(*s));
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        for s in TaskAction::ALL {
            assert_eq!(s.as_str().parse::<TaskAction>(), Ok(*s));
        }
        assert_eq!(InstanceStatus::NotStarted.as_str(), "not_started");
        assert_eq!(TaskStatus::Cancelled.to_string(), "cancelled");
    }

    #[test]
    fn unknown_names_are_refused() {
        assert!(RecordStatus::parse("In_Review").is_err());
        assert!(TaskStatus::parse("").is_err());
        assert!(serde_json::from_str::<InstanceStatus>("\"paused\"").is_err());
    }

    #[test]
    fn outcomes_map_to_statuses_of_the_same_name() {
        for outcome in [
            Outcome::Approved,
            Outcome::Rejected,
            Outcome::Withdrawn,
            Outcome::Completed,
        ] {
            let record = RecordStatus::from(outcome);
            assert_eq!(record.as_str(), InstanceStatus::from(outcome).as_str());
        }
    }
}

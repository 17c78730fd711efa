//! The persisted state of one instance: where it waits and what its open steps remember.
//!
//! Only positions and the memory a decision needs live here; the timeline is the stream of
//! `History` effects, stored by the runtime. Serialised as JSON it stays a few hundred bytes for
//! ordinary processes. Users are ids. Fields added since the first release have defaults, so
//! states saved earlier still load.

use std::collections::{BTreeMap, BTreeSet};

use formwork_model::Outcome;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::effect::{StopReason, TaskKey, TimerKey, TimerKind};
use crate::event::TaskRef;

/// The state of one instance; [`State::default`] is an instance that has not started.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub status: Status,
    /// Where the instance waits: one token per human step or wait node it is at.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<Token>,
    /// Arrivals at parallel joins, one entry per split generation still in progress.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub joins: Vec<JoinArrivals>,
    /// Human steps this instance completed; `return` may go back to them.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub passed: BTreeSet<String>,
    /// Users who approved something in this instance, for `auto_approve_repeat`.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub approvers: BTreeSet<String>,
    /// Per human step: how many times the instance entered it (its current round).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rounds: BTreeMap<String, u32>,
    /// Whether a person has decided anything yet; the submitter may withdraw until then.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub decided: bool,
    /// Counter for task keys, timer keys and split generations.
    #[serde(default)]
    pub seq: u64,
}

impl State {
    /// An instance that has not started; send [`Event::Start`](crate::Event::Start).
    pub fn new() -> Self {
        State::default()
    }

    /// Whether the instance is running: neither ended nor stopped nor waiting to start.
    pub fn is_live(&self) -> bool {
        self.status == Status::Running
    }

    /// Every open task, in token and seat order.
    pub fn open_tasks(&self) -> Vec<TaskRef> {
        let mut out = Vec::new();
        for token in &self.tokens {
            if let Wait::Human(step) = &token.wait {
                for seat in &step.seats {
                    if let (Some(task), Some(user)) = (&seat.task, seat.current()) {
                        out.push(TaskRef {
                            node: token.node.clone(),
                            assignee: user.to_owned(),
                            key: task.key.clone(),
                        });
                    }
                }
            }
        }
        out
    }

    /// Every timer the instance still wants, with its kind.
    pub fn timers(&self) -> Vec<(TimerKey, TimerKind)> {
        let mut out = Vec::new();
        for token in &self.tokens {
            match &token.wait {
                Wait::Timer { key, .. } => out.push((key.clone(), TimerKind::WaitEnd)),
                Wait::Human(step) => {
                    for task in step.seats.iter().filter_map(|s| s.task.as_ref()) {
                        out.extend(task.timers.iter().map(|t| (t.key.clone(), t.kind)));
                    }
                }
            }
        }
        out
    }

    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Starts the next round of `node` and returns its number.
    pub(crate) fn next_round(&mut self, node: &str) -> u32 {
        if let Some(round) = self.rounds.get_mut(node) {
            *round += 1;
            return *round;
        }
        self.rounds.insert(node.to_owned(), 1);
        1
    }
}

/// Where an instance is in its life.
///
/// `Stopped` instances wait for an admin: [`Event::Retry`](crate::Event::Retry),
/// [`Event::MoveTo`](crate::Event::MoveTo) or [`Event::Cancel`](crate::Event::Cancel).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Status {
    #[default]
    NotStarted,
    Running,
    Ended {
        outcome: Outcome,
    },
    /// Stopped in an error state at `node`; the timeline says why.
    Stopped {
        node: String,
        reason: StopReason,
    },
}

/// One position of a running instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Token {
    pub node: String,
    /// The parallel branches the token is inside, outermost first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frames: Vec<Frame>,
    pub wait: Wait,
}

/// Membership of one branch of one run ("generation") of a parallel split.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    pub split: String,
    pub generation: u64,
    pub branch: u32,
}

/// What a token waits for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "for", rename_all = "snake_case")]
pub enum Wait {
    /// People at an approval or fill step.
    Human(HumanStep),
    /// A `wait` node's timer.
    Timer {
        key: TimerKey,
        #[serde(with = "time::serde::rfc3339")]
        fire_at: OffsetDateTime,
    },
}

/// The memory of one open human step.
///
/// Every mode is a list of seats: `sequential` has one seat whose chain is the resolved
/// assignees in order; the other modes have one seat per assignee. Added signers extend a
/// seat's chain, so every mode supports them the same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HumanStep {
    pub seats: Vec<Seat>,
    /// The node's round this step belongs to (0 in states saved before rounds existed).
    #[serde(default)]
    pub round: u32,
    /// The record is back with its submitter, who resubmits it to this node
    /// (`return_to_submitter` without a revise step).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resubmit: bool,
}

/// One voice of a human step: users who must all approve, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seat {
    pub chain: Vec<Signer>,
    /// Index in `chain` of the user whose turn it is.
    #[serde(default)]
    pub pos: usize,
    /// How the seat decided, once it has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled: Option<Verdict>,
    /// The open task of the user whose turn it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<OpenTask>,
}

impl Seat {
    /// The user whose turn it is, if the chain is not done.
    pub fn current(&self) -> Option<&str> {
        self.chain.get(self.pos).map(|s| s.user.as_str())
    }
}

/// A user in a seat's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    pub user: String,
    /// Must decide in person even if they approved before: added by hand, transferred to, or
    /// given the task back after a signer they added before themselves.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_person: bool,
}

/// How a seat (or a whole step) decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approved,
    Rejected,
}

/// An open task and the timers that watch it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenTask {
    pub key: TaskKey,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub due_at: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timers: Vec<TaskTimer>,
}

/// A reminder or escalation timer of a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskTimer {
    pub key: TimerKey,
    pub kind: TimerKind,
}

/// One round ("generation") of a parallel block: which branches it started, which reached
/// the join and which ended on their own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinArrivals {
    pub join: String,
    pub generation: u64,
    /// Generations of the splits enclosing this one, so abandoning an outer branch clears it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outer: Vec<u64>,
    pub arrived: BTreeSet<u32>,
    /// Branches this round started; empty means all of the split's branches.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub started: BTreeSet<u32>,
    /// Branches that reached an end of their own, so the join no longer waits for them.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub ended: BTreeSet<u32>,
}

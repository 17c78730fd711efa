//! The life of a job, as stored and shown: `pending → running → done`, or through `retrying`
//! back to `running`, until `dead` (given up, kept for an admin to retry or discard).

use serde::{Deserialize, Serialize};

/// Where a job is in its life. Stored and serialized as the lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for its first run (or for its time, when scheduled).
    Pending,
    /// Claimed by a worker whose lease has not expired.
    Running,
    /// Failed in a way that may pass; waiting for its next try.
    Retrying,
    /// Finished; its effect happened.
    Done,
    /// Given up after a permanent failure or too many tries.
    Dead,
}

impl JobState {
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Running,
        Self::Retrying,
        Self::Done,
        Self::Dead,
    ];

    /// The stored name: `pending`, `running`, `retrying`, `done`, `dead`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Retrying => "retrying",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }

    /// Whether a worker may claim a job in this state (once its time has come).
    pub fn is_claimable(self) -> bool {
        matches!(self, Self::Pending | Self::Retrying)
    }

    /// Whether the job will not run again unless an admin retries it.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Done | Self::Dead)
    }

    /// A label for people in `lang` (`en`, else zh-CN).
    pub fn label(self, lang: &str) -> &'static str {
        let (zh, en) = match self {
            Self::Pending => ("等待中", "pending"),
            Self::Running => ("执行中", "running"),
            Self::Retrying => ("等待重试", "retrying"),
            Self::Done => ("已完成", "done"),
            Self::Dead => ("已放弃", "dead"),
        };
        if lang == "en" { en } else { zh }
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for JobState {
    type Err = UnknownState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

/// A stored state name this build does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown job state `{0}`")]
pub struct UnknownState(pub String);

//! Approval processes at run time: starting an instance with its record, deciding tasks,
//! withdrawing, firing due timers, and what people read about them (inbox, task page, timeline,
//! notifications).
//!
//! Every change is one engine [`step`](formwork_process::step) over a snapshot of the record
//! and the directory, applied by [`Store::apply_step`](formwork_store::Store::apply_step) in one
//! transaction that checks the instance version. A step that loses a race (a parallel branch or
//! another server committed first) is recomputed from the fresh state, so every decision is
//! counted once and a task is decided once.
//!
//! Identities: the engine and the tables name people by user id; packages, user fields and
//! expressions by username. The directory snapshot (`crate::directory`) resolves every
//! assignee without a read of its own, and requests that name a person by username are
//! turned into ids before they reach the engine.

mod admin;
pub(crate) mod context;
mod deadlines;
mod decide;
mod delegate;
pub(crate) mod pipeline;
mod refusals;
mod restart;
mod start;
mod timeline;
mod timers;
mod views;
mod write;

pub use admin::{
    InstanceChanged, InstanceDetail, InstanceListRequest, InstancePage, InstanceSummary,
    OpenTaskView,
};
pub use decide::{DecideRequest, Decided, MAX_BATCH};
pub use restart::PendingChange;
pub use timeline::{Timeline, TimelineEntry, UpcomingStep};
pub(crate) use timers::Fired;
pub use timers::TimerRun;
pub use views::{
    InboxBox, InboxItem, InboxOrder, InboxPage, NodeView, NotificationPage, TaskDetail, UserBrief,
};

use crate::RuntimeError;

/// How many times a step that lost a race is recomputed before giving up with 409.
const MAX_ATTEMPTS: u32 = 12;

/// Why one attempt at a step did not land.
enum Attempt {
    /// Another step committed first; recompute from the fresh state.
    Stale,
    Failed(RuntimeError),
}

impl From<RuntimeError> for Attempt {
    fn from(e: RuntimeError) -> Self {
        Attempt::Failed(e)
    }
}

impl From<formwork_store::StoreError> for Attempt {
    fn from(e: formwork_store::StoreError) -> Self {
        Attempt::Failed(e.into())
    }
}

/// A short, growing, jittered pause before attempt `n` (n ≥ 1), so racing steps spread out.
async fn backoff(n: u32) {
    let base = 2u64.saturating_pow(n.min(6));
    let jitter = rand::random::<u64>() % (base + 1);
    tokio::time::sleep(std::time::Duration::from_millis(base + jitter)).await;
}

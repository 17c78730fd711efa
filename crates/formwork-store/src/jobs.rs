//! Background work: the outbox. A step enqueues mail, chat and webhook jobs in its own
//! transaction, so work is never promised without the change that caused it (or the other way
//! round). Claiming with a lease, retries and dead letters come with `formwork-jobs`.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::StoreResult;

/// Work to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// What to do, e.g. `notify`, `process.ended`.
    pub kind: String,
    pub payload: Value,
}

/// One row of the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub payload: Value,
    pub created_at: OffsetDateTime,
    /// Not to be run before this instant.
    pub available_at: OffsetDateTime,
    pub attempts: i32,
    pub locked_until: Option<OffsetDateTime>,
    pub last_error: Option<String>,
    pub done_at: Option<OffsetDateTime>,
}

/// The outbox as it stands: enqueue, and see what is pending.
#[async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Enqueues a job available now, on its own (steps enqueue theirs inside their write).
    async fn enqueue_job(&self, job: NewJob) -> StoreResult<Job>;
    /// Jobs not done and available at `now`, oldest first.
    async fn pending_jobs(&self, now: OffsetDateTime, limit: u32) -> StoreResult<Vec<Job>>;
}

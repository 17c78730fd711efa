//! Background work: a queue of jobs claimed with a lease, their delivery log, rate-limit slots
//! shared by every instance, and process timers claimed the same way.
//!
//! A job is enqueued in the transaction of the change that causes it (a step, a record write),
//! so work is never promised without its cause or the other way round. A worker claims due
//! jobs with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single writer on SQLite);
//! whatever a job changes in the app is written in ONE transaction with marking it done, and
//! only while the worker still holds the lease ([`JobStore::complete_job`]), so each in-app
//! effect happens once however often the job is tried. Outgoing deliveries are jobs of their
//! own, tried until the receiver accepts them, always under the same event id.

use std::collections::VecDeque;

use async_trait::async_trait;
use formwork_model::{InstanceId, JobState, RecordId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use crate::{NewInstance, NewNotification, NewRecord, RecordUpdate, StoreResult, Timer};

/// Work to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// What to do, e.g. `notify`, `process.ended`, `deliver.webhook`.
    pub kind: String,
    pub payload: Value,
    /// The idempotency id of the job's effects; a fresh id when `None`. A job whose id exists
    /// already is not enqueued again (scheduled work uses ids made from what it is about).
    pub event_id: Option<String>,
    /// Not to be run before this instant; at once when `None`.
    pub run_at: Option<OffsetDateTime>,
    /// What the job is about, for the admin list and the record's timeline.
    pub app_id: Option<String>,
    pub record_id: Option<RecordId>,
    pub rule_run_id: Option<String>,
}

impl NewJob {
    /// A job of `kind` to run at once, under a fresh event id.
    pub fn new(kind: impl Into<String>, payload: Value) -> NewJob {
        NewJob {
            kind: kind.into(),
            payload,
            event_id: None,
            run_at: None,
            app_id: None,
            record_id: None,
            rule_run_id: None,
        }
    }
}

/// One job as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub payload: Value,
    pub event_id: String,
    pub state: JobState,
    /// Tries so far, the one running included.
    pub attempts: i32,
    /// When it may next be claimed (while running: when its lease ends).
    pub run_at: OffsetDateTime,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<OffsetDateTime>,
    pub last_error_code: Option<String>,
    pub last_error: Option<String>,
    pub app_id: Option<String>,
    pub record_id: Option<String>,
    pub rule_run_id: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub finished_at: Option<OffsetDateTime>,
}

impl Job {
    /// The lease this job was claimed under, for finishing it.
    pub fn lease(&self) -> JobLease {
        JobLease {
            job_id: self.id.clone(),
            owner: self.lease_owner.clone().unwrap_or_default(),
        }
    }
}

/// A claim of due work by one worker.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// The worker's name, unique among running workers.
    pub owner: String,
    pub now: OffsetDateTime,
    /// How long the work is the worker's before another may take it over.
    pub lease: Duration,
    pub limit: u32,
}

/// A job as held by the worker that claimed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobLease {
    pub job_id: String,
    pub owner: String,
}

/// How a claimed job ends this try.
#[derive(Debug, Clone, PartialEq)]
pub enum JobFinish {
    /// Its effect happened (or was skipped for a reason the delivery log records).
    Done,
    /// It failed in a way that may pass: try again at `at`.
    Retry {
        at: OffsetDateTime,
        code: String,
        error: String,
    },
    /// Given up: kept as `dead` for an admin.
    Dead { code: String, error: String },
    /// Not tried: run it again at `until` without counting a try (a rate-limit slot).
    Defer { until: OffsetDateTime },
}

/// One try of an outgoing delivery, for the log.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    pub channel: String,
    /// A fingerprint of where it went (never a token or secret).
    pub destination: String,
    pub started_at: OffsetDateTime,
    /// `delivered`, `failed` or `skipped`.
    pub outcome: String,
    pub code: Option<String>,
    pub message: Option<String>,
}

/// One logged try of a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: String,
    pub job_id: String,
    pub event_id: String,
    pub channel: String,
    pub destination: String,
    pub attempt: i32,
    pub started_at: OffsetDateTime,
    pub finished_at: OffsetDateTime,
    pub outcome: String,
    pub code: Option<String>,
    pub message: Option<String>,
    pub record_id: Option<String>,
    pub rule_run_id: Option<String>,
}

/// A page of the job list, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct JobQuery {
    pub state: Option<JobState>,
    /// Keyset: the last id of the previous page.
    pub before: Option<String>,
    pub limit: u32,
}

/// A record change made by a job, with why it was made (merged into its audit row).
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecordUpdate {
    pub update: RecordUpdate,
    pub actor: UserId,
    /// E.g. `{"rule": "…", "rule_run": "…"}`.
    pub cause: Value,
}

/// A process started on a record that exists (its new status and data go with it as a
/// [`JobRecordUpdate`]).
#[derive(Debug, Clone, PartialEq)]
pub struct JobProcessStart {
    pub record_id: RecordId,
    pub instance: NewInstance,
}

/// A message a job writes, naming the record it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct JobNotification {
    pub note: NewNotification,
    pub record_id: Option<RecordId>,
    pub instance_id: Option<InstanceId>,
}

/// One run of an automation rule, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleRun {
    pub id: String,
    pub app_id: String,
    pub app_version: i64,
    pub rule_id: String,
    pub record_id: Option<String>,
    /// What fired it: `created`, `field_changed`, `task_overdue`, …
    pub trigger: String,
    /// How many rule runs led to this one (0: a person's change).
    pub depth: i32,
    /// `done`, `failed` (an action could not be applied) or `stopped` (the depth limit).
    pub outcome: String,
    /// Why it failed or stopped, `{"zh-CN": …, "en": …}`.
    pub message: Option<Value>,
    /// One object per action: `type`, `outcome`, `code`, `message`, and what it made.
    pub actions: Value,
    pub job_id: String,
    pub created_at: OffsetDateTime,
}

/// Everything one job's run changes in the app, written in ONE transaction with marking the
/// job done by [`JobStore::complete_job`].
#[derive(Debug, Clone)]
pub struct JobCompletion {
    pub lease: JobLease,
    pub record_updates: Vec<JobRecordUpdate>,
    pub new_records: Vec<(NewRecord, UserId)>,
    pub process_starts: Vec<JobProcessStart>,
    pub notifications: Vec<JobNotification>,
    /// Follow-up work: outgoing deliveries, events of the changes above.
    pub jobs: Vec<NewJob>,
    pub rule_runs: Vec<RuleRun>,
    pub at: OffsetDateTime,
}

impl JobCompletion {
    /// A completion of `lease` that changes nothing else.
    pub fn empty(lease: JobLease, at: OffsetDateTime) -> JobCompletion {
        JobCompletion {
            lease,
            record_updates: Vec::new(),
            new_records: Vec::new(),
            process_starts: Vec::new(),
            notifications: Vec::new(),
            jobs: Vec::new(),
            rule_runs: Vec::new(),
            at,
        }
    }
}

/// A send slot to reserve: for `job_id` at `destination`, seeing the destination's last `keep`
/// slots and forgetting those older than `window` before `now`.
#[derive(Debug, Clone, Copy)]
pub struct SlotRequest<'a> {
    pub destination: &'a str,
    pub job_id: &'a str,
    pub keep: u32,
    pub window: Duration,
    pub now: OffsetDateTime,
}

/// The reserved slots of a destination (oldest first) → the slot to reserve next.
pub type SlotRule = dyn Fn(&VecDeque<OffsetDateTime>) -> OffsetDateTime + Send + Sync;

/// How a claimed timer is let go.
#[derive(Debug, Clone, PartialEq)]
pub enum TimerRelease {
    /// Its step failed: claimable again at `at`.
    Retry { at: OffsetDateTime, error: String },
    /// The instance no longer wants it (or is gone): never fire it.
    Cancel,
}

/// The queue of background work.
#[async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Enqueues a job on its own (steps and record writes enqueue theirs inside their own
    /// transaction); false when a job with its event id exists already.
    async fn enqueue_job(&self, job: NewJob) -> StoreResult<bool>;

    /// Claims up to `claim.limit` due jobs (pending or retrying whose time has come, or running
    /// under an expired lease), oldest first, skipping rows another worker is claiming. Each
    /// becomes `running` under `claim.owner` until `now + lease`, one try more.
    async fn claim_jobs(&self, claim: &Claim) -> StoreResult<Vec<Job>>;

    /// Writes a job's in-app effects and marks it done, in one transaction, if `lease` still
    /// holds; `Conflict` (nothing written) when another worker took the job over or a record
    /// changed under an update.
    async fn complete_job(&self, completion: JobCompletion) -> StoreResult<()>;

    /// Ends this try of a claimed job (with its delivery log row), if `lease` still holds;
    /// `Conflict` when it does not.
    async fn finish_job(
        &self,
        lease: &JobLease,
        finish: JobFinish,
        delivery: Option<NewDelivery>,
        now: OffsetDateTime,
    ) -> StoreResult<()>;

    async fn get_job(&self, id: &str) -> StoreResult<Option<Job>>;
    /// A page of jobs, newest first.
    async fn list_jobs(&self, query: &JobQuery) -> StoreResult<Vec<Job>>;
    /// Puts a dead or retrying job back to `pending` now, with its tries reset; writes
    /// `job.retry` to the audit log.
    async fn retry_job(&self, id: &str, actor: &UserId, now: OffsetDateTime) -> StoreResult<Job>;
    /// Removes a job that is not running or done from the queue; writes `job.discard` with
    /// the job to the audit log.
    async fn discard_job(&self, id: &str, actor: &UserId) -> StoreResult<Job>;
    /// The logged tries of one job, oldest first.
    async fn job_deliveries(&self, job_id: &str) -> StoreResult<Vec<Delivery>>;
    /// Deletes done jobs (and their delivery log) finished before `before`; returns how many.
    async fn purge_jobs(&self, before: OffsetDateTime) -> StoreResult<u64>;

    /// Reserves the next send slot of the request's destination for its job (the same slot
    /// again when the job holds one), under a lock shared by every instance: `rule` gets the
    /// destination's last `keep` slots, oldest first, and says the next. Slots older than
    /// `window` before `now` are forgotten.
    async fn reserve_rate_slot(
        &self,
        request: SlotRequest<'_>,
        rule: &SlotRule,
    ) -> StoreResult<OffsetDateTime>;

    /// Claims due process timers as [`JobStore::claim_jobs`] claims jobs; firing one still
    /// consumes it in its step, so a timer fires once even when two workers hold it.
    async fn claim_timers(&self, claim: &Claim) -> StoreResult<Vec<Timer>>;
    /// Lets go of a claimed timer that did not fire.
    async fn release_timer(
        &self,
        timer_id: &str,
        owner: &str,
        release: TimerRelease,
    ) -> StoreResult<()>;

    /// Rule runs of one record, newest first.
    async fn rule_runs_of_record(&self, record_id: &RecordId) -> StoreResult<Vec<RuleRun>>;
    async fn get_rule_run(&self, id: &str) -> StoreResult<Option<RuleRun>>;
    /// Jobs caused by one rule run (its deliveries), oldest first.
    async fn jobs_of_rule_run(&self, rule_run_id: &str) -> StoreResult<Vec<Job>>;
    /// Logged delivery tries of one rule run, oldest first.
    async fn deliveries_of_rule_run(&self, rule_run_id: &str) -> StoreResult<Vec<Delivery>>;
}

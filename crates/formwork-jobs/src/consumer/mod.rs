//! The one consumer of background work: every `formwork serve` runs one. Each round it claims
//! due process timers and due jobs with a lease, runs them side by side, and records each
//! outcome; now and then it enqueues the next run of each schedule rule and purges old done
//! jobs.
//!
//! - Rule jobs (`record.*`, `process.ended`, `rule.*`) run through the runtime, which writes
//!   their in-app effects and marks them done in one transaction: exactly once.
//! - Delivery jobs (mail, robots, webhooks, the mail of process messages) are sent with their
//!   stable event id, after reserving a rate-limit slot where the destination has a rate:
//!   at least once, never dropped.
//! - A failed try is retried with exponential backoff and jitter, and after the last allowed
//!   try the job is `dead`, for an admin to retry or discard.
//!
//! Several consumers (instances) share the queue safely; a consumer killed mid-job leaves its
//! claims to expire, and another takes them over.

mod compose;
mod deliver;

use std::sync::Arc;
use std::time::Duration;

use formwork_runtime::Runtime;
use formwork_runtime::automation::kinds;
use formwork_runtime::jobs::{
    Claim, Job, JobFinish, NewDelivery, NewJob, SlotRequest, TimerOutcome,
};
use formwork_runtime::{RuntimeError, RuntimeResult};
use time::OffsetDateTime;
use tokio::task::JoinSet;

pub use compose::{Composed, compose};
pub use deliver::{Deliverer, Sent, Target};

use crate::backoff::Next;
use crate::channels::ChannelError;
use crate::clock::Clock;
use crate::config::WorkerConfig;
use crate::cron::Schedule;
use crate::ratelimit::slot_after;

/// Rounds between two maintenance passes (schedules, purge).
const MAINTENANCE_EVERY: u32 = 30;

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub timers: u32,
    pub jobs: u32,
    pub failed: u32,
}

impl Round {
    /// Whether the round found any work.
    pub fn busy(&self) -> bool {
        self.timers + self.jobs > 0
    }
}

/// A consumer of the queue. Cheap to clone: clones share everything.
#[derive(Clone)]
pub struct Consumer {
    inner: Arc<Inner>,
}

struct Inner {
    runtime: Arc<Runtime>,
    owner: String,
    clock: Arc<dyn Clock>,
    deliverer: Deliverer,
    config: WorkerConfig,
}

/// How a job's try ended, for the queue.
struct Ended {
    finish: JobFinish,
    delivery: Option<NewDelivery>,
}

fn lease_of(config: &WorkerConfig) -> time::Duration {
    time::Duration::try_from(config.lease).unwrap_or(time::Duration::MINUTE)
}

fn after(now: OffsetDateTime, d: Duration) -> OffsetDateTime {
    now + time::Duration::try_from(d).unwrap_or(time::Duration::MINUTE)
}

impl Consumer {
    /// A consumer named `owner` (unique among running consumers: host, process and a random
    /// part).
    pub fn new(
        runtime: Arc<Runtime>,
        owner: String,
        clock: Arc<dyn Clock>,
        deliverer: Deliverer,
        config: WorkerConfig,
    ) -> Consumer {
        Consumer {
            inner: Arc::new(Inner {
                runtime,
                owner,
                clock,
                deliverer,
                config,
            }),
        }
    }

    /// A fresh consumer name: host, process id and a random part.
    pub fn unique_owner() -> String {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "formwork".into());
        let tag = uuid::Uuid::now_v7().simple().to_string();
        format!("{host}-{}-{}", std::process::id(), &tag[tag.len() - 8..])
    }

    pub fn owner(&self) -> &str {
        &self.inner.owner
    }

    /// Runs rounds until `shutdown` resolves; a round with work is followed at once by the
    /// next, an idle one by a pause of `poll`.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut rounds: u32 = 0;
        loop {
            if rounds.is_multiple_of(MAINTENANCE_EVERY)
                && let Err(e) = self.maintain().await
            {
                tracing::warn!(error = %e, "job maintenance failed");
            }
            rounds = rounds.wrapping_add(1);
            let busy = match self.round().await {
                Ok(round) => round.busy(),
                Err(e) => {
                    tracing::warn!(error = %e, "could not claim background work");
                    false
                }
            };
            let pause = if busy {
                Duration::ZERO
            } else {
                self.inner.config.poll
            };
            tokio::select! {
                biased;
                () = &mut shutdown => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Claims and runs one batch of due timers and one of due jobs.
    pub async fn round(&self) -> RuntimeResult<Round> {
        let mut round = Round::default();
        let inner = &self.inner;
        let now = inner.clock.now();
        let claim = Claim {
            owner: inner.owner.clone(),
            now,
            lease: lease_of(&inner.config),
            limit: inner.config.batch,
        };
        for timer in inner.runtime.claim_timers(&claim).await? {
            round.timers += 1;
            let retry_at = after(now, inner.config.retry.base);
            match inner
                .runtime
                .fire_claimed_timer(&timer, &inner.owner, now, retry_at)
                .await
            {
                Ok(TimerOutcome::Fired | TimerOutcome::Skipped) => {}
                Err(e) => {
                    round.failed += 1;
                    tracing::warn!(timer = %timer.key, error = %e, "timer failed; tried again later");
                }
            }
        }
        let jobs = inner.runtime.claim_jobs(&claim).await?;
        round.jobs = u32::try_from(jobs.len()).unwrap_or(u32::MAX);
        let mut running = JoinSet::new();
        for job in jobs {
            let me = self.clone();
            running.spawn(async move { me.run_job(job).await });
        }
        while let Some(done) = running.join_next().await {
            if !matches!(done, Ok(true)) {
                round.failed += 1;
            }
        }
        Ok(round)
    }

    /// Runs one claimed job and records how it ended; true when it did not fail.
    async fn run_job(&self, job: Job) -> bool {
        let inner = &self.inner;
        let started = inner.clock.now();
        if job.attempts > i32::try_from(inner.config.retry.max_attempts).unwrap_or(i32::MAX) {
            let ended = Ended {
                finish: JobFinish::Dead {
                    code: "lease_expired".into(),
                    error: "its worker stopped during every allowed try".into(),
                },
                delivery: None,
            };
            self.end(&job, ended, started).await;
            return false;
        }
        let ended = if kinds::runs_rules(&job.kind) {
            match inner.runtime.run_rule_job(&job, started).await {
                // Completed with its effects in the runtime's transaction.
                Ok(_) => return true,
                Err(e) => self.rule_failure(&job, &e, started),
            }
        } else {
            match self.deliver(&job, started).await {
                Some(ended) => ended,
                None => return true,
            }
        };
        let ok = matches!(ended.finish, JobFinish::Done | JobFinish::Defer { .. });
        self.end(&job, ended, started).await && ok
    }

    /// Records a try's end; a lost lease is not an error (the new holder's outcome counts).
    async fn end(&self, job: &Job, ended: Ended, started: OffsetDateTime) -> bool {
        let now = self.inner.clock.now().max(started);
        match self
            .inner
            .runtime
            .finish_job(&job.lease(), ended.finish, ended.delivery, now)
            .await
        {
            Ok(()) => true,
            Err(RuntimeError::Conflict(_)) => {
                tracing::info!(job = %job.id, "job taken over by another worker");
                true
            }
            Err(e) => {
                tracing::warn!(job = %job.id, error = %e, "could not record a job's outcome");
                false
            }
        }
    }

    /// A rule job whose run did not complete: a race (another change, a lost lease) is tried
    /// again soon, other errors with backoff until the job is dead.
    fn rule_failure(&self, job: &Job, e: &RuntimeError, now: OffsetDateTime) -> Ended {
        let policy = &self.inner.config.retry;
        let attempt = u32::try_from(job.attempts).unwrap_or(1);
        let (code, raced) = match e {
            RuntimeError::Conflict(_) => ("conflict", true),
            RuntimeError::Internal(_) => ("internal", false),
            _ => ("failed", false),
        };
        tracing::warn!(job = %job.id, kind = %job.kind, error = %e, "rule job failed");
        let next = policy.after_failure(attempt, true, None, &mut rand::rng());
        let finish = match next {
            Next::RetryAfter(d) => JobFinish::Retry {
                at: after(now, if raced { d.min(policy.base) } else { d }),
                code: code.into(),
                error: e.to_string(),
            },
            Next::Dead(_) => JobFinish::Dead {
                code: code.into(),
                error: e.to_string(),
            },
        };
        Ended {
            finish,
            delivery: None,
        }
    }

    /// Sends a delivery job; `None` when another worker holds its slot's job already.
    async fn deliver(&self, job: &Job, now: OffsetDateTime) -> Option<Ended> {
        let inner = &self.inner;
        let target = inner.deliverer.target(job);
        if let Some(rate) = target.rate {
            let rule = move |reserved: &std::collections::VecDeque<OffsetDateTime>| {
                slot_after(reserved, rate, now)
            };
            let request = SlotRequest {
                destination: &target.destination,
                job_id: &job.id,
                keep: rate.max,
                window: rate.per,
                now,
            };
            match inner.runtime.reserve_rate_slot(request, &rule).await {
                Ok(slot) if slot > now => {
                    return Some(Ended {
                        finish: JobFinish::Defer { until: slot },
                        delivery: None,
                    });
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(job = %job.id, error = %e, "could not reserve a send slot");
                    return Some(self.failed(
                        job,
                        now,
                        &target,
                        "rate_limit",
                        &e.to_string(),
                        true,
                        None,
                    ));
                }
            }
        }
        let log = |outcome: &str, code: Option<String>, message: Option<String>| NewDelivery {
            channel: target.channel.to_owned(),
            destination: target.destination.clone(),
            started_at: now,
            outcome: outcome.to_owned(),
            code,
            message,
        };
        Some(match inner.deliverer.send(&inner.runtime, job, now).await {
            Ok(Sent::Delivered(detail)) => Ended {
                finish: JobFinish::Done,
                delivery: Some(log("delivered", None, Some(detail))),
            },
            Ok(Sent::Skipped { code, message }) => Ended {
                finish: JobFinish::Done,
                delivery: Some(log("skipped", Some(code.into()), Some(message))),
            },
            Err(e) => {
                let message = format!("{} / {}", e.message("zh-CN"), e.message("en"));
                self.failed(
                    job,
                    now,
                    &target,
                    e.code(),
                    &message,
                    e.is_retryable(),
                    Some(&e),
                )
            }
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn failed(
        &self,
        job: &Job,
        now: OffsetDateTime,
        target: &Target,
        code: &str,
        message: &str,
        retryable: bool,
        error: Option<&ChannelError>,
    ) -> Ended {
        let policy = &self.inner.config.retry;
        let attempt = u32::try_from(job.attempts).unwrap_or(1);
        let retry_after = error.and_then(ChannelError::retry_after);
        let finish = match policy.after_failure(attempt, retryable, retry_after, &mut rand::rng()) {
            Next::RetryAfter(d) => JobFinish::Retry {
                at: after(now, d),
                code: code.into(),
                error: message.into(),
            },
            Next::Dead(_) => JobFinish::Dead {
                code: code.into(),
                error: message.into(),
            },
        };
        Ended {
            finish,
            delivery: Some(NewDelivery {
                channel: target.channel.to_owned(),
                destination: target.destination.clone(),
                started_at: now,
                outcome: "failed".into(),
                code: Some(code.into()),
                message: Some(message.into()),
            }),
        }
    }

    /// Enqueues the next run of every schedule rule (a no-op when it is enqueued already),
    /// purges done jobs older than `keep_done` and discards drafts older than `draft_ttl`.
    pub async fn maintain(&self) -> RuntimeResult<()> {
        let inner = &self.inner;
        let now = inner.clock.now();
        let calendar = inner.runtime.work_calendar().await?;
        for rule in inner.runtime.schedule_rules().await? {
            let Ok(schedule) = Schedule::parse(&rule.cron) else {
                continue;
            };
            let next = if rule.working_days {
                schedule.next_working_after(now, &calendar)
            } else {
                schedule.next_after(now)
            };
            let Some(at) = next else { continue };
            let mut job = NewJob::new(
                kinds::SCHEDULE,
                serde_json::json!({ "app_id": rule.app_id, "rule_id": rule.rule_id }),
            );
            let stamp = at.unix_timestamp();
            job.event_id = Some(format!("schedule:{}:{}:{stamp}", rule.app_id, rule.rule_id));
            job.run_at = Some(at);
            job.app_id = Some(rule.app_id.to_string());
            inner.runtime.enqueue_job(job).await?;
        }
        let keep = time::Duration::try_from(inner.config.keep_done).unwrap_or(time::Duration::DAY);
        let purged = inner.runtime.purge_jobs(now - keep).await?;
        if purged > 0 {
            tracing::info!(purged, "old done jobs purged");
        }
        let ttl = time::Duration::try_from(inner.config.draft_ttl).unwrap_or(time::Duration::DAY);
        let expired = inner.runtime.purge_drafts(now - ttl).await?;
        if expired > 0 {
            tracing::info!(expired, "expired drafts discarded");
        }
        Ok(())
    }
}

//! Background work as the worker (`formwork-jobs`) and admins see it: claim jobs and timers
//! with a lease, end a try with its delivery log, reserve rate-limit slots shared by every
//! instance; list, retry and discard jobs; each user's notification channels.

use formwork_model::{JobState, UserId};
pub use formwork_store::{
    Claim, Delivery, Job, JobFinish, JobLease, JobQuery, NewDelivery, NewJob, NotificationSettings,
    SlotRequest, SlotRule, Timer, TimerRelease,
};
use time::OffsetDateTime;

use crate::accounts::problem;
use crate::policy::Caller;
use crate::processes::Fired;
use crate::{Runtime, RuntimeError, RuntimeResult};

/// Jobs per page of the admin list at most.
pub const MAX_JOB_PAGE: u32 = 100;

/// A page of jobs, newest first.
#[derive(Debug, Clone)]
pub struct JobPage {
    pub items: Vec<Job>,
    /// The `before` of the next page.
    pub next: Option<String>,
}

/// How a claimed timer went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerOutcome {
    /// Its step ran here.
    Fired,
    /// Another worker fired it, or the instance no longer wanted it.
    Skipped,
}

/// A schedule rule of a published app's latest version.
#[derive(Debug, Clone)]
pub struct ScheduledRule {
    pub app_id: formwork_model::AppId,
    pub version: i64,
    pub rule_id: String,
    pub cron: String,
    pub working_days: bool,
}

/// Where mail to a user goes, when they want mail.
#[derive(Debug, Clone)]
pub struct MailTarget {
    pub address: String,
    pub lang: String,
    pub display_name: String,
}

fn require_admin(caller: &Caller) -> RuntimeResult<()> {
    if caller.user.is_admin {
        Ok(())
    } else {
        Err(RuntimeError::Forbidden)
    }
}

impl Runtime {
    /// Claims due jobs for a worker (see `JobStore::claim_jobs`).
    pub async fn claim_jobs(&self, claim: &Claim) -> RuntimeResult<Vec<Job>> {
        Ok(self.store.claim_jobs(claim).await?)
    }

    /// Ends a try of a claimed job, with its delivery log row; `Conflict` when the lease was
    /// lost (another worker took the job over, and its outcome counts).
    pub async fn finish_job(
        &self,
        lease: &JobLease,
        finish: JobFinish,
        delivery: Option<NewDelivery>,
        now: OffsetDateTime,
    ) -> RuntimeResult<()> {
        Ok(self.store.finish_job(lease, finish, delivery, now).await?)
    }

    /// Enqueues a job on its own; false when one with its event id exists.
    pub async fn enqueue_job(&self, job: NewJob) -> RuntimeResult<bool> {
        Ok(self.store.enqueue_job(job).await?)
    }

    /// Reserves the next send slot of a destination for a job, across every instance.
    pub async fn reserve_rate_slot(
        &self,
        request: SlotRequest<'_>,
        rule: &SlotRule,
    ) -> RuntimeResult<OffsetDateTime> {
        Ok(self.store.reserve_rate_slot(request, rule).await?)
    }

    /// Claims due process timers for a worker.
    pub async fn claim_timers(&self, claim: &Claim) -> RuntimeResult<Vec<Timer>> {
        Ok(self.store.claim_timers(claim).await?)
    }

    /// Fires a claimed timer: its step consumes it, once, whoever else holds it. A timer the
    /// instance no longer wants is cancelled; one whose step failed is let go until
    /// `retry_at`, and the error returned.
    pub async fn fire_claimed_timer(
        &self,
        timer: &Timer,
        owner: &str,
        now: OffsetDateTime,
        retry_at: OffsetDateTime,
    ) -> RuntimeResult<TimerOutcome> {
        match self.fire(timer, now).await {
            Ok(Fired::Here) => Ok(TimerOutcome::Fired),
            Ok(Fired::Elsewhere) => {
                self.store
                    .release_timer(&timer.id, owner, TimerRelease::Cancel)
                    .await?;
                Ok(TimerOutcome::Skipped)
            }
            Err(e) => {
                let release = TimerRelease::Retry {
                    at: retry_at,
                    error: e.to_string(),
                };
                self.store.release_timer(&timer.id, owner, release).await?;
                Err(e)
            }
        }
    }

    /// Deletes done jobs finished before `before`.
    pub async fn purge_jobs(&self, before: OffsetDateTime) -> RuntimeResult<u64> {
        Ok(self.store.purge_jobs(before).await?)
    }

    /// The schedule rules of every published app's latest version.
    pub async fn schedule_rules(&self) -> RuntimeResult<Vec<ScheduledRule>> {
        let mut out = Vec::new();
        for app in self.store.list_apps().await? {
            let Some(version) = app.latest_version else {
                continue;
            };
            let compiled = self.app_version(&app.id, version).await?;
            for rule in &compiled.def.rules {
                if let formwork_model::TriggerSpec::Schedule { cron, working_days } =
                    rule.trigger.spec()
                {
                    out.push(ScheduledRule {
                        app_id: app.id.clone(),
                        version,
                        rule_id: rule.id.clone(),
                        cron,
                        working_days,
                    });
                }
            }
        }
        Ok(out)
    }

    /// A user's channels: saved, or mail on in zh-CN when never saved.
    pub async fn notification_channels(
        &self,
        user_id: &UserId,
    ) -> RuntimeResult<NotificationSettings> {
        Ok(self
            .store
            .notification_settings(user_id)
            .await?
            .unwrap_or_else(|| NotificationSettings {
                user_id: user_id.clone(),
                email: true,
                lang: "zh-CN".into(),
            }))
    }

    /// Where mail to `user_id` goes: `None` when they have no address, keep mail off, or are
    /// suspended or gone.
    pub async fn mail_target(&self, user_id: &UserId) -> RuntimeResult<Option<MailTarget>> {
        let dir = self.directory().await?;
        let Some(user) = dir.user(user_id).filter(|u| !u.suspended) else {
            return Ok(None);
        };
        let Some(address) = user.email.clone().filter(|e| !e.is_empty()) else {
            return Ok(None);
        };
        let settings = self.notification_channels(user_id).await?;
        Ok(settings.email.then(|| MailTarget {
            address,
            lang: settings.lang,
            display_name: user.display_name.clone(),
        }))
    }

    /// Saves the caller's own channels (`lang`: `zh-CN` or `en`).
    pub async fn save_notification_settings(
        &self,
        caller: &Caller,
        email: bool,
        lang: &str,
    ) -> RuntimeResult<NotificationSettings> {
        if !matches!(lang, "zh-CN" | "en") {
            return Err(RuntimeError::Invalid {
                problems: vec![problem(
                    "/lang",
                    "bad_enum_value",
                    "语言只能是 zh-CN 或 en",
                    "lang must be zh-CN or en",
                )],
            });
        }
        let settings = NotificationSettings {
            user_id: caller.user.id.clone(),
            email,
            lang: lang.to_owned(),
        };
        self.store.put_notification_settings(&settings).await?;
        Ok(settings)
    }

    /// A page of jobs for an admin, newest first, optionally in one state.
    pub async fn list_jobs(
        &self,
        caller: &Caller,
        state: Option<JobState>,
        before: Option<String>,
        limit: u32,
    ) -> RuntimeResult<JobPage> {
        require_admin(caller)?;
        let limit = limit.clamp(1, MAX_JOB_PAGE);
        let mut items = self
            .store
            .list_jobs(&JobQuery {
                state,
                before,
                limit: limit + 1,
            })
            .await?;
        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|j| j.id.clone())
        } else {
            None
        };
        Ok(JobPage { items, next })
    }

    /// One job with its logged tries, for an admin.
    pub async fn job_detail(
        &self,
        caller: &Caller,
        id: &str,
    ) -> RuntimeResult<(Job, Vec<Delivery>)> {
        require_admin(caller)?;
        let job = self
            .store
            .get_job(id)
            .await?
            .ok_or_else(|| RuntimeError::NotFound(format!("job {id}")))?;
        let tries = self.store.job_deliveries(id).await?;
        Ok((job, tries))
    }

    /// Puts a dead or retrying job back in the queue now; `Conflict` for a running or done one.
    pub async fn retry_job(
        &self,
        caller: &Caller,
        id: &str,
        now: OffsetDateTime,
    ) -> RuntimeResult<Job> {
        require_admin(caller)?;
        Ok(self.store.retry_job(id, &caller.user.id, now).await?)
    }

    /// Removes a job that is not running or done; `Conflict` for one that is.
    pub async fn discard_job(&self, caller: &Caller, id: &str) -> RuntimeResult<Job> {
        require_admin(caller)?;
        Ok(self.store.discard_job(id, &caller.user.id).await?)
    }
}

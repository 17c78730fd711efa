//! Running a claimed rule job: load what it is about, plan every rule it concerns, schedule
//! the record's date rules, and complete the job with all of it in one transaction.

use formwork_model::TriggerSpec;
use formwork_store::{Job, JobCompletion};
use time::OffsetDateTime;

use super::context::Subject;
use super::events::date_jobs;
use super::kinds;
use super::plan::Plan;
use crate::{Runtime, RuntimeResult};

/// What running one rule job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuleJobRun {
    /// Rule runs recorded (conditions that held, failures, stops).
    pub runs: u32,
    /// Date-rule jobs scheduled.
    pub scheduled: u32,
}

impl Runtime {
    /// Runs the rules a claimed job (one whose kind [`kinds::runs_rules`]) concerns and
    /// completes it with their in-app effects in ONE transaction, under the job's lease.
    /// `Conflict` when the lease was lost or the record changed meanwhile: nothing was
    /// written, and the job is to be tried again.
    pub async fn run_rule_job(&self, job: &Job, now: OffsetDateTime) -> RuntimeResult<RuleJobRun> {
        let completion = JobCompletion::empty(job.lease(), now);
        let Some(subject) = self.load_subject(job).await? else {
            self.store.complete_job(completion).await?;
            return Ok(RuleJobRun::default());
        };
        let dir = self.directory().await?;
        let mut plan = Plan::new(completion, &subject);
        for concerned in subject.concerned(job)? {
            self.plan_rule(&mut plan, &subject, &concerned, &dir, now)
                .await?;
        }
        let scheduled = schedule_dates(&mut plan, &subject, job, now);
        let completion = plan.finish(&subject);
        let run = RuleJobRun {
            runs: u32::try_from(completion.rule_runs.len()).unwrap_or(u32::MAX),
            scheduled,
        };
        self.store.complete_job(completion).await?;
        Ok(run)
    }
}

/// After a record was created or updated: the `rule.date` jobs of its date rules.
fn schedule_dates(plan: &mut Plan, subject: &Subject, job: &Job, now: OffsetDateTime) -> u32 {
    if !matches!(
        job.kind.as_str(),
        kinds::RECORD_CREATED | kinds::RECORD_UPDATED
    ) {
        return 0;
    }
    let Some(record) = &subject.record else {
        return 0;
    };
    let mut count = 0;
    for rule in subject
        .app
        .def
        .rules
        .iter()
        .filter(|r| r.form == subject.form_id)
    {
        let spec = rule.trigger.spec();
        if matches!(spec, TriggerSpec::Date { .. }) {
            let jobs = date_jobs(
                &subject.app,
                rule,
                &spec,
                record,
                subject.payload.depth,
                now,
            );
            count += u32::try_from(jobs.len()).unwrap_or(0);
            plan.completion.jobs.extend(jobs);
        }
    }
    count
}

//! `JobStore`, the queue: enqueue (inside the caller's transaction through [`insert_job`]),
//! claim with a lease, complete with the job's in-app effects in one transaction, finish a
//! delivery with its log row, and the admin's list, retry, discard and purge.
//!
//! Every write that ends a try names the lease it was claimed under (`lease_owner` and state
//! `running`): a worker whose lease ran out and whose job another worker took over writes
//! nothing, so effects are never applied twice.

use async_trait::async_trait;
use formwork_store::{
    Claim, Delivery, Job, JobCompletion, JobFinish, JobLease, JobQuery, JobStore, NewDelivery,
    NewJob, NewNotification, NotificationId, RecordId, StoreError, StoreResult, Timer,
    TimerRelease, UserId, new_id,
};
use sqlx::types::Json;
use time::OffsetDateTime;

use super::Driver as _;
use super::{Conn, Db, Statement, Tx, audit, begin, commit, db_err, now, rows, ts};
use crate::StoreImpl;

/// Enqueues `job` (run at `at` unless it names its time) on `executor`, a pool or the
/// caller's transaction; false when a job with its event id exists already.
pub(crate) async fn insert_job<'c, E>(
    executor: E,
    job: &NewJob,
    at: OffsetDateTime,
) -> StoreResult<bool>
where
    E: sqlx::Executor<'c, Database = Db>,
{
    let id = new_id();
    let event_id = job.event_id.clone().unwrap_or_else(|| id.clone());
    let done = sqlx::query(
        "INSERT INTO jobs (id, kind, payload, event_id, state, attempts, run_at, app_id, \
         record_id, rule_run_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $7, $8, $9, $9) \
         ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(&id)
    .bind(&job.kind)
    .bind(Json(&job.payload))
    .bind(&event_id)
    .bind(ts(job.run_at.unwrap_or(at)))
    .bind(&job.app_id)
    .bind(job.record_id.as_ref().map(RecordId::as_str))
    .bind(&job.rule_run_id)
    .bind(ts(at))
    .execute(executor)
    .await
    .map_err(db_err("job"))?;
    Ok(done.rows_affected() == 1)
}

/// Inserts a message inside the caller's transaction, naming its record and instance.
pub(crate) async fn insert_notification(
    tx: &mut Conn,
    note: &NewNotification,
    record_id: Option<&RecordId>,
    instance_id: Option<&str>,
    at: OffsetDateTime,
) -> StoreResult<()> {
    let mut payload = note.payload.clone();
    if let Some(map) = payload.as_object_mut() {
        if let Some(record_id) = record_id {
            map.entry("record_id")
                .or_insert_with(|| record_id.as_str().into());
        }
        if let Some(instance_id) = instance_id {
            map.entry("instance_id")
                .or_insert_with(|| instance_id.into());
        }
    }
    sqlx::query(
        "INSERT INTO notifications (id, user_id, kind, payload, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(String::from(NotificationId::new()))
    .bind(note.user_id.as_str())
    .bind(&note.kind)
    .bind(Json(&payload))
    .bind(ts(at))
    .execute(&mut *tx)
    .await
    .map_err(db_err("notification"))?;
    Ok(())
}

/// The claim statement: due work oldest first, rows another worker is claiming skipped.
fn claim_jobs_sql() -> String {
    format!(
        concat!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $1, \
             lease_expires_at = $2, run_at = $2, updated_at = $3 \
             WHERE id IN (SELECT id FROM jobs \
             WHERE state IN ('pending', 'retrying', 'running') AND run_at <= $3 \
             ORDER BY run_at, id LIMIT $4{skip}) RETURNING ",
            job_cols!()
        ),
        skip = StoreImpl::SKIP_LOCKED
    )
}

/// The claim of timers, as of jobs.
fn claim_timers_sql() -> String {
    format!(
        "UPDATE timers SET lease_owner = $1, lease_expires_at = $2, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM timers WHERE COALESCE(fired_at, cancelled_at) IS NULL \
         AND fire_at <= $3 AND (lease_expires_at IS NULL OR lease_expires_at <= $3) \
         ORDER BY fire_at, id LIMIT $4{skip}) \
         RETURNING id, instance_id, key, kind, fire_at",
        skip = StoreImpl::SKIP_LOCKED
    )
}

/// Runs a claim statement (`$1` owner, `$2` lease end, `$3` now, `$4` limit) in a write
/// transaction; returns the claimed rows.
async fn claim_rows<T: Send + Unpin>(
    store: &StoreImpl,
    sql: String,
    claim: &Claim,
    map: super::rows::Mapper<T>,
    what: &str,
) -> StoreResult<Vec<T>> {
    let mut tx = begin(store).await?;
    let claimed = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&claim.owner)
        .bind(ts(claim.now + claim.lease))
        .bind(ts(claim.now))
        .bind(i64::from(claim.limit))
        .try_map(map)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err(what))?;
    commit(tx).await?;
    Ok(claimed)
}

/// Marks the job done if `lease` holds, first in its transaction (so it holds the job's row
/// lock until commit); `Conflict` when it does not.
async fn fence_done(tx: &mut Conn, lease: &JobLease, at: OffsetDateTime) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'done', finished_at = $3, updated_at = $3, \
         lease_expires_at = NULL WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
    )
    .bind(&lease.job_id)
    .bind(&lease.owner)
    .bind(ts(at))
    .execute(&mut *tx)
    .await
    .map_err(db_err("job"))?;
    if done.rows_affected() == 0 {
        return Err(lost(lease));
    }
    Ok(())
}

fn lost(lease: &JobLease) -> StoreError {
    StoreError::Conflict(format!(
        "job `{}` is no longer held by {}",
        lease.job_id, lease.owner
    ))
}

/// A rule run and its `rule.run` row on the record's history, inside the transaction.
async fn insert_rule_run(
    tx: &mut Conn,
    run: &formwork_store::RuleRun,
    at: OffsetDateTime,
) -> StoreResult<()> {
    sqlx::query(concat!(
        "INSERT INTO rule_runs (",
        rule_run_cols!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(&run.id)
    .bind(&run.app_id)
    .bind(run.app_version)
    .bind(&run.rule_id)
    .bind(&run.record_id)
    .bind(&run.trigger)
    .bind(run.depth)
    .bind(&run.outcome)
    .bind(run.message.as_ref().map(Json))
    .bind(Json(&run.actions))
    .bind(&run.job_id)
    .bind(ts(at))
    .execute(&mut *tx)
    .await
    .map_err(db_err("rule run"))?;
    if let Some(record_id) = &run.record_id {
        let detail = serde_json::json!({
            "rule_run": run.id,
            "rule": run.rule_id,
            "trigger": run.trigger,
            "outcome": run.outcome,
        });
        audit(
            tx,
            at,
            None,
            "rule.run",
            &format!("record:{record_id}"),
            detail,
        )
        .await?;
    }
    Ok(())
}

/// Writes everything a completion carries after the job was fenced.
async fn write_completion(tx: &mut Conn, c: &JobCompletion) -> StoreResult<()> {
    let at = c.at;
    for u in &c.record_updates {
        super::records::update_in(tx, &u.update, &u.actor, at, Some(&u.cause)).await?;
    }
    for (new, actor) in &c.new_records {
        super::records::insert_in(tx, new, &RecordId::new(), actor, at).await?;
    }
    for start in &c.process_starts {
        let record = sqlx::query(concat!(
            "SELECT ",
            record_cols!(),
            " FROM records WHERE id = $1 AND deleted_at IS NULL"
        ))
        .bind(start.record_id.as_str())
        .try_map(rows::record)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err("record"))?
        .ok_or_else(|| StoreError::NotFound(format!("record `{}`", start.record_id)))?;
        super::steps::insert_instance(
            tx,
            &start.instance,
            &record.id,
            &record.app_id,
            record.app_version,
            at,
        )
        .await?;
    }
    for n in &c.notifications {
        let instance = n.instance_id.as_ref().map(|i| i.as_str());
        insert_notification(tx, &n.note, n.record_id.as_ref(), instance, at).await?;
    }
    for job in &c.jobs {
        insert_job(&mut *tx, job, at).await?;
    }
    for run in &c.rule_runs {
        insert_rule_run(tx, run, at).await?;
    }
    Ok(())
}

/// The statement that ends a try, by how it ends; each matches only under the lease and
/// returns what the delivery log row needs.
fn finish_sql(finish: &JobFinish) -> &'static str {
    match finish {
        JobFinish::Done => {
            "UPDATE jobs SET state = 'done', finished_at = $3, updated_at = $3, \
             lease_expires_at = NULL WHERE id = $1 AND lease_owner = $2 AND state = 'running' \
             RETURNING attempts, event_id, record_id, rule_run_id"
        }
        JobFinish::Retry { .. } => {
            "UPDATE jobs SET state = 'retrying', run_at = $4, last_error_code = $5, \
             last_error = $6, updated_at = $3, lease_expires_at = NULL \
             WHERE id = $1 AND lease_owner = $2 AND state = 'running' \
             RETURNING attempts, event_id, record_id, rule_run_id"
        }
        JobFinish::Dead { .. } => {
            "UPDATE jobs SET state = 'dead', finished_at = $3, last_error_code = $5, \
             last_error = $6, updated_at = $3, lease_expires_at = NULL \
             WHERE id = $1 AND lease_owner = $2 AND state = 'running' \
             RETURNING attempts, event_id, record_id, rule_run_id"
        }
        JobFinish::Defer { .. } => {
            "UPDATE jobs SET state = 'pending', run_at = $4, attempts = attempts - 1, \
             updated_at = $3, lease_expires_at = NULL \
             WHERE id = $1 AND lease_owner = $2 AND state = 'running' \
             RETURNING attempts, event_id, record_id, rule_run_id"
        }
    }
}

type Finished = (i32, String, Option<String>, Option<String>);

async fn log_delivery(
    tx: &mut Conn,
    job_id: &str,
    finished: &Finished,
    delivery: &NewDelivery,
    now: OffsetDateTime,
) -> StoreResult<()> {
    let (attempts, event_id, record_id, rule_run_id) = finished;
    sqlx::query(concat!(
        "INSERT INTO deliveries (",
        delivery_cols!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ))
    .bind(new_id())
    .bind(job_id)
    .bind(event_id)
    .bind(&delivery.channel)
    .bind(&delivery.destination)
    .bind(attempts)
    .bind(ts(delivery.started_at))
    .bind(ts(now))
    .bind(&delivery.outcome)
    .bind(&delivery.code)
    .bind(&delivery.message)
    .bind(record_id)
    .bind(rule_run_id)
    .execute(&mut *tx)
    .await
    .map_err(db_err("delivery log"))?;
    Ok(())
}

#[async_trait]
impl JobStore for StoreImpl {
    async fn enqueue_job(&self, job: NewJob) -> StoreResult<bool> {
        insert_job(self.writer(), &job, now()).await
    }

    async fn claim_jobs(&self, claim: &Claim) -> StoreResult<Vec<Job>> {
        let mut jobs = claim_rows(self, claim_jobs_sql(), claim, rows::job, "jobs").await?;
        jobs.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(jobs)
    }

    async fn complete_job(&self, completion: JobCompletion) -> StoreResult<()> {
        let mut tx = begin(self).await?;
        fence_done(&mut tx, &completion.lease, completion.at).await?;
        write_completion(&mut tx, &completion).await?;
        commit(tx).await
    }

    async fn finish_job(
        &self,
        lease: &JobLease,
        finish: JobFinish,
        delivery: Option<NewDelivery>,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let (at, code, error) = match &finish {
            JobFinish::Done => (None, None, None),
            JobFinish::Retry { at, code, error } => (Some(*at), Some(code), Some(error)),
            JobFinish::Dead { code, error } => (None, Some(code), Some(error)),
            JobFinish::Defer { until } => (Some(*until), None, None),
        };
        let mut tx = begin(self).await?;
        let finished: Option<Finished> = sqlx::query_as(finish_sql(&finish))
            .bind(&lease.job_id)
            .bind(&lease.owner)
            .bind(ts(now))
            .bind(at.map(ts))
            .bind(code)
            .bind(error)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err("job"))?;
        let Some(finished) = finished else {
            return Err(lost(lease));
        };
        if let Some(delivery) = &delivery {
            log_delivery(&mut tx, &lease.job_id, &finished, delivery, now).await?;
        }
        commit(tx).await
    }

    async fn get_job(&self, id: &str) -> StoreResult<Option<Job>> {
        let sql = select_by!(job_cols, "jobs", "id");
        self.row_by(sql, id, rows::job, "job").await
    }

    async fn list_jobs(&self, query: &JobQuery) -> StoreResult<Vec<Job>> {
        const SQL: &str = concat!(
            "SELECT ",
            job_cols!(),
            " FROM jobs WHERE ($1 IS NULL OR state = $1) AND ($2 IS NULL OR id < $2) \
             ORDER BY id DESC LIMIT $3"
        );
        self.rows(
            sqlx::query(SQL)
                .bind(query.state.map(|s| s.as_str()))
                .bind(&query.before)
                .bind(i64::from(query.limit)),
            rows::job,
            "jobs",
        )
        .await
    }

    async fn retry_job(&self, id: &str, actor: &UserId, now: OffsetDateTime) -> StoreResult<Job> {
        let tx = begin(self).await?;
        let query = sqlx::query(concat!(
            "UPDATE jobs SET state = 'pending', attempts = 0, run_at = $2, lease_owner = NULL, \
             lease_expires_at = NULL, finished_at = NULL, updated_at = $2 \
             WHERE id = $1 AND state IN ('pending', 'retrying', 'dead') RETURNING ",
            job_cols!()
        ))
        .bind(id)
        .bind(ts(now));
        let detail = |job: &Job| serde_json::json!({ "kind": job.kind, "event_id": job.event_id });
        move_job(tx, query, (id, actor, now), "job.retry", detail).await
    }

    async fn discard_job(&self, id: &str, actor: &UserId) -> StoreResult<Job> {
        let tx = begin(self).await?;
        let query = sqlx::query(concat!(
            "DELETE FROM jobs WHERE id = $1 AND state IN ('pending', 'retrying', 'dead') \
             RETURNING ",
            job_cols!()
        ))
        .bind(id);
        let detail = |job: &Job| serde_json::to_value(job).unwrap_or_default();
        move_job(tx, query, (id, actor, now()), "job.discard", detail).await
    }

    async fn job_deliveries(&self, job_id: &str) -> StoreResult<Vec<Delivery>> {
        let sql = select_by!(delivery_cols, "deliveries", "job_id");
        self.rows_by(sql, job_id, rows::delivery, "deliveries")
            .await
    }

    async fn purge_jobs(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let mut tx = begin(self).await?;
        sqlx::query(
            "DELETE FROM deliveries WHERE job_id IN \
             (SELECT id FROM jobs WHERE state = 'done' AND finished_at < $1)",
        )
        .bind(ts(before))
        .execute(&mut *tx)
        .await
        .map_err(db_err("deliveries"))?;
        let done = sqlx::query("DELETE FROM jobs WHERE state = 'done' AND finished_at < $1")
            .bind(ts(before))
            .execute(&mut *tx)
            .await
            .map_err(db_err("jobs"))?;
        commit(tx).await?;
        Ok(done.rows_affected())
    }

    async fn reserve_rate_slot(
        &self,
        request: formwork_store::SlotRequest<'_>,
        rule: &formwork_store::SlotRule,
    ) -> StoreResult<OffsetDateTime> {
        super::rates::reserve(self, request, rule).await
    }

    async fn claim_timers(&self, claim: &Claim) -> StoreResult<Vec<Timer>> {
        let mut timers = claim_rows(self, claim_timers_sql(), claim, rows::timer, "timers").await?;
        timers.sort_by(|a, b| (a.fire_at, &a.id).cmp(&(b.fire_at, &b.id)));
        Ok(timers)
    }

    async fn release_timer(
        &self,
        timer_id: &str,
        owner: &str,
        release: TimerRelease,
    ) -> StoreResult<()> {
        let query = match &release {
            TimerRelease::Retry { at, error } => sqlx::query(
                "UPDATE timers SET lease_expires_at = $3, last_error = $4 \
                 WHERE id = $1 AND lease_owner = $2 AND fired_at IS NULL",
            )
            .bind(timer_id)
            .bind(owner)
            .bind(ts(*at))
            .bind(error.as_str()),
            TimerRelease::Cancel => sqlx::query(
                "UPDATE timers SET cancelled_at = $3 WHERE id = $1 AND lease_owner = $2 \
                 AND fired_at IS NULL AND cancelled_at IS NULL",
            )
            .bind(timer_id)
            .bind(owner)
            .bind(ts(now())),
        };
        self.execute(query, "timer").await?;
        Ok(())
    }

    async fn rule_runs_of_record(
        &self,
        record_id: &RecordId,
    ) -> StoreResult<Vec<formwork_store::RuleRun>> {
        const SQL: &str = concat!(
            "SELECT ",
            rule_run_cols!(),
            " FROM rule_runs WHERE record_id = $1 ORDER BY id DESC LIMIT 200"
        );
        self.rows_by(SQL, record_id.as_str(), rows::rule_run, "rule runs")
            .await
    }

    async fn get_rule_run(&self, id: &str) -> StoreResult<Option<formwork_store::RuleRun>> {
        let sql = select_by!(rule_run_cols, "rule_runs", "id");
        self.row_by(sql, id, rows::rule_run, "rule run").await
    }

    async fn jobs_of_rule_run(&self, rule_run_id: &str) -> StoreResult<Vec<Job>> {
        let sql = select_by!(job_cols, "jobs", "rule_run_id");
        self.rows_by(sql, rule_run_id, rows::job, "jobs").await
    }

    async fn deliveries_of_rule_run(&self, rule_run_id: &str) -> StoreResult<Vec<Delivery>> {
        let sql = select_by!(delivery_cols, "deliveries", "rule_run_id");
        self.rows_by(sql, rule_run_id, rows::delivery, "deliveries")
            .await
    }
}

/// Runs `query`, which retries or discards job `id` unless it is running or done and returns
/// its row, in `tx`; audits `action` with the job's `detail` and commits.
async fn move_job(
    mut tx: Tx,
    query: Statement<'_>,
    (id, actor, now): (&str, &UserId, OffsetDateTime),
    action: &str,
    detail: impl FnOnce(&Job) -> serde_json::Value,
) -> StoreResult<Job> {
    let job = query
        .try_map(rows::job)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err("job"))?;
    let Some(job) = job else {
        return Err(not_movable(&mut tx, id).await);
    };
    let subject = format!("job:{id}");
    audit(&mut tx, now, Some(actor), action, &subject, detail(&job)).await?;
    commit(tx).await?;
    Ok(job)
}

/// Why a job could not be retried or discarded: it is missing, or running or done.
async fn not_movable(tx: &mut Conn, id: &str) -> StoreError {
    let state: Result<Option<String>, _> =
        sqlx::query_scalar("SELECT state FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await;
    match state {
        Err(e) => db_err("job")(e),
        Ok(None) => StoreError::NotFound(format!("job `{id}`")),
        Ok(Some(state)) => StoreError::Conflict(format!("job `{id}` is {state}")),
    }
}

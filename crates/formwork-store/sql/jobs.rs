//! `JobStore`: the outbox. Steps enqueue inside their own transaction through [`insert_job`];
//! claiming with a lease comes with `formwork-jobs`.

use async_trait::async_trait;
use formwork_store::{Job, JobStore, NewJob, StoreResult, new_id};
use sqlx::types::Json;
use time::OffsetDateTime;

use super::Driver as _;
use super::{Db, db_err, now, rows, ts};
use crate::StoreImpl;

/// Enqueues `job`, available at `at`, on `executor` (a pool or the caller's transaction).
pub(crate) async fn insert_job<'c, E>(
    executor: E,
    job: &NewJob,
    at: OffsetDateTime,
) -> StoreResult<Job>
where
    E: sqlx::Executor<'c, Database = Db>,
{
    sqlx::query(concat!(
        "INSERT INTO outbox (id, kind, payload, created_at, available_at) \
         VALUES ($1, $2, $3, $4, $4) RETURNING ",
        job_cols!()
    ))
    .bind(new_id())
    .bind(&job.kind)
    .bind(Json(&job.payload))
    .bind(ts(at))
    .try_map(rows::job)
    .fetch_one(executor)
    .await
    .map_err(db_err("outbox entry"))
}

#[async_trait]
impl JobStore for StoreImpl {
    async fn enqueue_job(&self, job: NewJob) -> StoreResult<Job> {
        insert_job(self.writer(), &job, now()).await
    }

    async fn pending_jobs(&self, now: OffsetDateTime, limit: u32) -> StoreResult<Vec<Job>> {
        self.rows(
            sqlx::query(concat!(
                "SELECT ",
                job_cols!(),
                " FROM outbox WHERE done_at IS NULL AND available_at <= $1 \
             ORDER BY available_at, id LIMIT $2"
            ))
            .bind(ts(now))
            .bind(i64::from(limit)),
            rows::job,
            "outbox",
        )
        .await
    }
}

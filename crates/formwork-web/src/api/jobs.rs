//! Background work for admins — list jobs by state, retry or discard one — and the rule runs
//! of a record (for whoever may read the record), with their deliveries.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use formwork_model::Text;
use formwork_model::{JobState, RecordId};
use formwork_runtime::RuleRunView;
use formwork_runtime::jobs::{Delivery, Job};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::tasks::{bad_query, limit, query_pairs, query_value};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::ids::named;

/// A job as admins see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobResponse {
    pub id: String,
    /// `record.created`, `deliver.webhook`, `notify`, …
    pub kind: String,
    /// `pending`, `running`, `retrying`, `done` or `dead`.
    pub state: String,
    /// The idempotency id every delivery of the job carries (`X-Formwork-Event-Id`).
    pub event_id: String,
    /// Tries so far.
    pub attempts: i32,
    /// When it may next run (while running: when its lease ends).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub run_at: OffsetDateTime,
    /// The worker holding it, while running.
    pub lease_owner: Option<String>,
    pub last_error_code: Option<String>,
    pub last_error: Option<String>,
    pub record_id: Option<String>,
    pub rule_run_id: Option<String>,
    #[schema(value_type = Object)]
    pub payload: Value,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<OffsetDateTime>,
}

impl From<Job> for JobResponse {
    fn from(j: Job) -> Self {
        JobResponse {
            id: j.id,
            kind: j.kind,
            state: j.state.as_str().to_owned(),
            event_id: j.event_id,
            attempts: j.attempts,
            run_at: j.run_at,
            lease_owner: j.lease_owner,
            last_error_code: j.last_error_code,
            last_error: j.last_error,
            record_id: j.record_id,
            rule_run_id: j.rule_run_id,
            payload: j.payload,
            created_at: j.created_at,
            finished_at: j.finished_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobListResponse {
    pub items: Vec<JobResponse>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// One logged try of a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryResponse {
    pub attempt: i32,
    /// `email`, `dingtalk`, `wecom`, `webhook`.
    pub channel: String,
    /// Where it went, without tokens or secrets.
    pub destination: String,
    /// `delivered`, `failed` or `skipped`.
    pub outcome: String,
    pub code: Option<String>,
    pub message: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub finished_at: OffsetDateTime,
}

impl From<Delivery> for DeliveryResponse {
    fn from(d: Delivery) -> Self {
        DeliveryResponse {
            attempt: d.attempt,
            channel: d.channel,
            destination: d.destination,
            outcome: d.outcome,
            code: d.code,
            message: d.message,
            finished_at: d.finished_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobDetailResponse {
    pub job: JobResponse,
    pub tries: Vec<DeliveryResponse>,
}

/// A delivery a rule run caused, with its tries (its job's `payload` left out).
#[derive(Debug, Serialize, ToSchema)]
pub struct RunDeliveryResponse {
    pub job: JobResponse,
    pub tries: Vec<DeliveryResponse>,
}

/// One run of an automation rule on a record.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleRunResponse {
    pub id: String,
    pub rule_id: String,
    #[schema(value_type = Object)]
    pub rule_name: Text,
    pub trigger: String,
    pub depth: i32,
    /// `done`, `failed` or `stopped` (the depth limit).
    pub outcome: String,
    #[schema(value_type = Option<Object>)]
    pub message: Option<Text>,
    /// Each action: `type`, `outcome`, `code`, `message`, `detail`.
    #[schema(value_type = Vec<Object>)]
    pub actions: Value,
    pub deliveries: Vec<RunDeliveryResponse>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

impl From<RuleRunView> for RuleRunResponse {
    fn from(v: RuleRunView) -> Self {
        RuleRunResponse {
            id: v.run.id,
            rule_id: v.run.rule_id,
            rule_name: v.rule_name,
            trigger: v.run.trigger,
            depth: v.run.depth,
            outcome: v.run.outcome,
            message: v.message,
            actions: v.run.actions,
            deliveries: v
                .deliveries
                .into_iter()
                .map(|(job, tries)| {
                    let mut job = JobResponse::from(job);
                    // Whoever reads the record reads its runs: leave out what the delivery
                    // carried (other people's addresses, message texts).
                    job.payload = Value::Null;
                    RunDeliveryResponse {
                        job,
                        tries: tries.into_iter().map(Into::into).collect(),
                    }
                })
                .collect(),
            created_at: v.run.created_at,
        }
    }
}

/// Jobs, newest first (admins only). `state` filters (`pending`, `running`, `retrying`,
/// `done`, `dead`); pages: `limit` (1–100, default 50) and `before` (the previous `next`).
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs",
    params(("state" = Option<String>, Query), ("before" = Option<String>, Query),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100)),
    responses((status = 200, body = JobListResponse), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    RawQuery(query): RawQuery,
) -> Result<Json<JobListResponse>, ApiError> {
    let pairs = query_pairs(query.as_deref());
    let job_state = match query_value(&pairs, "state").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(JobState::parse(s).map_err(|_| {
            bad_query(
                "/state",
                "state 须为 pending、running、retrying、done 或 dead",
                "state must be pending, running, retrying, done or dead",
            )
        })?),
    };
    let before = query_value(&pairs, "before").map(str::to_owned);
    let limit = limit(&pairs)?.unwrap_or(50);
    let page = state
        .runtime
        .list_jobs(&caller, job_state, before, limit)
        .await?;
    Ok(Json(JobListResponse {
        items: page.items.into_iter().map(Into::into).collect(),
        next: page.next,
    }))
}

/// One job with its logged tries (admins only).
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "jobs",
    params(("id" = String, Path)),
    responses((status = 200, body = JobDetailResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<JobDetailResponse>, ApiError> {
    let (job, tries) = state.runtime.job_detail(&caller, &id).await?;
    Ok(Json(JobDetailResponse {
        job: job.into(),
        tries: tries.into_iter().map(Into::into).collect(),
    }))
}

/// Puts a dead or retrying job back in the queue now, its tries reset (admins only); 409 for
/// a job that is running or done.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/retry", tag = "jobs",
    params(("id" = String, Path)),
    responses((status = 200, body = JobResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<JobResponse>, ApiError> {
    let job = state
        .runtime
        .retry_job(&caller, &id, OffsetDateTime::now_utc())
        .await?;
    Ok(Json(job.into()))
}

/// Removes a job that is not running or done from the queue (admins only); 409 for one that
/// is. The audit log keeps it.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/discard", tag = "jobs",
    params(("id" = String, Path)),
    responses((status = 200, body = JobResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn discard(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<JobResponse>, ApiError> {
    let job = state.runtime.discard_job(&caller, &id).await?;
    Ok(Json(job.into()))
}

/// The automation rule runs of a record, newest first, with their deliveries.
#[utoipa::path(get, path = "/api/v1/records/{id}/rule-runs", tag = "records",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<RuleRunResponse>), (status = 404, body = ErrorBody)))]
pub async fn rule_runs(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<RuleRunResponse>>, ApiError> {
    let id: RecordId = named(&id)?;
    let runs = state.runtime.rule_runs(&caller, &id).await?;
    Ok(Json(runs.into_iter().map(Into::into).collect()))
}

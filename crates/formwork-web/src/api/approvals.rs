//! A record's approval process: its timeline (who did what when, with comments and how long
//! each task took) and the submitter's withdrawal before anyone decided.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use formwork_runtime::parse_package;
use time::OffsetDateTime;

use crate::AppState;
use crate::api::task_types::{InstanceResponse, TimelineResponse, WithdrawBody};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::i18n::Lang;
use crate::ids::named;
use formwork_model::RecordId;

/// The process timeline of a record, for whoever may read the record or has a task on it.
/// 404 when the record has no process.
#[utoipa::path(get, path = "/api/v1/records/{id}/timeline", tag = "records",
    params(("id" = String, Path)),
    responses((status = 200, body = TimelineResponse), (status = 404, body = ErrorBody)))]
pub async fn timeline(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Json<TimelineResponse>, ApiError> {
    let id: RecordId = named(&id)?;
    let timeline = state
        .runtime
        .record_timeline(&caller, &id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(TimelineResponse::new(timeline, lang)))
}

/// The submitter takes the record back; allowed until someone has decided on it, and at any
/// time once the process stopped (an error in its package), so the record is never stuck.
#[utoipa::path(post, path = "/api/v1/records/{id}/withdraw", tag = "records",
    params(("id" = String, Path)),
    request_body(content = WithdrawBody, description = "An optional comment"),
    responses(
        (status = 200, body = InstanceResponse),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not the submitter", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`already_decided`: someone has acted on it; `process_not_running`: it has ended; `no_process`", body = ErrorBody),
        (status = 422, description = "The comment is too long", body = ErrorBody),
    ))]
pub async fn withdraw(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<InstanceResponse>, ApiError> {
    let id: RecordId = named(&id)?;
    let body: WithdrawBody = if body.iter().all(u8::is_ascii_whitespace) {
        WithdrawBody::default()
    } else {
        serde_json::from_value(parse_package(&body)?)
            .map_err(|_| ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "invalid"))?
    };
    let instance = state
        .runtime
        .withdraw_record(
            &caller,
            &id,
            body.comment.as_deref(),
            OffsetDateTime::now_utc(),
        )
        .await?;
    Ok(Json(instance.into()))
}

//! Changing a record whose process ended or stepped back: change requests (变更) of approved
//! records, and resubmitting withdrawn or returned ones.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::body::ApiJson;
use crate::api::records::{RecordResponse, with_change};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::ids::named;
use formwork_model::RecordId;

/// Proposed values, with why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeBody {
    /// The fields to change, with their new values (like `PATCH`).
    #[schema(value_type = Object)]
    pub data: Value,
    /// Why (变更原因); shown on the timeline.
    pub comment: Option<String>,
}

/// A resubmission, with changes to the record's fields if any.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResubmitBody {
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
    pub comment: Option<String>,
}

/// Requests a change (变更) of an approved record: the proposed values go through the form's
/// process (routed by the proposed data); the record keeps its approved values until the
/// change is approved, and a rejected or withdrawn change leaves it as it was. The answer is
/// the record with its `pending_change`.
#[utoipa::path(post, path = "/api/v1/records/{id}/changes", tag = "records",
    params(("id" = String, Path)),
    request_body = ChangeBody,
    responses(
        (status = 201, body = RecordResponse),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not the record's owner", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`change_not_allowed`: the record is not approved or its form takes no change requests; `change_pending`: a change is under way; `no_process`", body = ErrorBody),
        (status = 412, description = "The record changed meanwhile", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON", body = ErrorBody),
        (status = 422, description = "Field errors, or nothing changes (`no_changes`)", body = ErrorBody),
    ))]
pub async fn request(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ChangeBody>,
) -> Result<Response, ApiError> {
    let id: RecordId = named(&id)?;
    let record = state
        .runtime
        .request_change(
            &caller,
            &id,
            &body.data,
            body.comment.as_deref(),
            OffsetDateTime::now_utc(),
        )
        .await?;
    let pending = state.runtime.pending_change(&record).await?;
    Ok(with_change(StatusCode::CREATED, record, pending))
}

/// Resubmits a withdrawn record (validated again under the app's latest version; its process
/// starts again under it) or a returned one (through its revise step). The timeline keeps the
/// earlier rounds.
#[utoipa::path(post, path = "/api/v1/records/{id}/resubmit", tag = "records",
    params(("id" = String, Path)),
    request_body = ResubmitBody,
    responses(
        (status = 200, description = "Back in review", body = RecordResponse),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not the record's owner", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`not_resubmittable`: the record is neither withdrawn nor returned; `no_process`", body = ErrorBody),
        (status = 412, description = "The record changed meanwhile", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON", body = ErrorBody),
        (status = 422, description = "Field errors under the latest version", body = ErrorBody),
    ))]
pub async fn resubmit(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ResubmitBody>,
) -> Result<Response, ApiError> {
    let id: RecordId = named(&id)?;
    let record = state
        .runtime
        .resubmit_record(
            &caller,
            &id,
            body.data.as_ref(),
            body.comment.as_deref(),
            OffsetDateTime::now_utc(),
        )
        .await?;
    Ok(with_change(StatusCode::OK, record, None))
}

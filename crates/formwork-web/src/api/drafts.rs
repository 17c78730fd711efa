//! Drafts (暂存): save a half-filled form, reopen and change it (`If-Match`), discard it, list
//! one's own, and submit it as a record. Only the owner ever sees a draft; to anyone else it
//! does not exist (404).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use formwork_model::{AppId, FormId, RecordId};
use formwork_runtime::{Record, parse_package};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::records::{RecordResponse, etagged, if_match};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::ids::named;

/// A draft as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordDraftResponse {
    pub id: String,
    /// Revision; send it back as `If-Match: "<rev>"` to change the draft.
    pub rev: i64,
    #[schema(value_type = Object)]
    pub data: Value,
    pub app: String,
    pub form: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// When it was last saved; drafts expire some time after (see the server's settings).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl From<Record> for RecordDraftResponse {
    fn from(r: Record) -> Self {
        Self {
            id: r.id.into(),
            rev: r.rev,
            data: r.data,
            app: r.app_id.into(),
            form: r.form_id.into(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordDraftListResponse {
    pub items: Vec<RecordDraftResponse>,
}

fn with_etag(status: StatusCode, draft: Record) -> Response {
    etagged::<RecordDraftResponse>(status, draft)
}

/// Saves a half-filled form as a draft: only values of the wrong type are refused; no
/// number is taken and no process starts.
#[utoipa::path(post, path = "/api/v1/apps/{app}/forms/{form}/drafts", tag = "drafts",
    params(("app" = String, Path), ("form" = String, Path)),
    request_body(content = Object, description = "The data filled in so far", content_type = "application/json"),
    responses(
        (status = 201, body = RecordDraftResponse),
        (status = 404, body = ErrorBody),
        (status = 422, description = "A value of the wrong type", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path((app, form)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let app: AppId = named(&app)?;
    let form: FormId = named(&form)?;
    let input = parse_package(&body)?;
    let draft = state
        .runtime
        .create_draft(&caller, &app, &form, &input, OffsetDateTime::now_utc())
        .await?;
    Ok(with_etag(StatusCode::CREATED, draft))
}

/// The caller's drafts, last saved first.
#[utoipa::path(get, path = "/api/v1/drafts", tag = "drafts",
    responses((status = 200, body = RecordDraftListResponse)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> Result<Json<RecordDraftListResponse>, ApiError> {
    let drafts = state.runtime.my_drafts(&caller).await?;
    Ok(Json(RecordDraftListResponse {
        items: drafts.into_iter().map(Into::into).collect(),
    }))
}

/// One of the caller's drafts.
#[utoipa::path(get, path = "/api/v1/drafts/{id}", tag = "drafts",
    params(("id" = String, Path)),
    responses((status = 200, body = RecordDraftResponse), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: RecordId = named(&id)?;
    let draft = state.runtime.read_draft(&caller, &id).await?;
    Ok(with_etag(StatusCode::OK, draft))
}

/// Replaces a draft's data (the whole form). `If-Match: "<rev>"` is required: stale → 412,
/// missing → 428.
#[utoipa::path(put, path = "/api/v1/drafts/{id}", tag = "drafts",
    params(("id" = String, Path), ("If-Match" = String, Header, max_length = 30)),
    request_body(content = Object, description = "The data filled in so far", content_type = "application/json"),
    responses(
        (status = 200, body = RecordDraftResponse),
        (status = 404, body = ErrorBody),
        (status = 412, description = "Changed meanwhile", body = ErrorBody),
        (status = 422, description = "A value of the wrong type", body = ErrorBody),
        (status = 428, description = "If-Match missing", body = ErrorBody),
    ))]
pub async fn put(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id: RecordId = named(&id)?;
    let rev = if_match(&headers)?
        .ok_or_else(|| ApiError::new(StatusCode::PRECONDITION_REQUIRED, "precondition_required"))?;
    let input = parse_package(&body)?;
    let draft = state
        .runtime
        .update_draft(&caller, &id, rev, &input, OffsetDateTime::now_utc())
        .await?;
    Ok(with_etag(StatusCode::OK, draft))
}

/// Discards a draft. `If-Match` is honoured if sent.
#[utoipa::path(delete, path = "/api/v1/drafts/{id}", tag = "drafts",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, max_length = 30)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let id: RecordId = named(&id)?;
    let rev = if_match(&headers)?;
    state.runtime.delete_draft(&caller, &id, rev).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Submits a draft: validated in full, it takes the next number and its process starts, in
/// one transaction, as a submission would. `If-Match` is honoured if sent.
#[utoipa::path(post, path = "/api/v1/drafts/{id}/submit", tag = "drafts",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, max_length = 30)),
    responses(
        (status = 201, description = "The record", body = RecordResponse),
        (status = 404, body = ErrorBody),
        (status = 412, description = "Changed meanwhile", body = ErrorBody),
        (status = 422, description = "Field errors: the form is not complete yet", body = ErrorBody),
    ))]
pub async fn submit(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id: RecordId = named(&id)?;
    let rev = if_match(&headers)?;
    let record = state
        .runtime
        .submit_draft(&caller, &id, rev, OffsetDateTime::now_utc())
        .await?;
    Ok(etagged::<RecordResponse>(StatusCode::CREATED, record))
}

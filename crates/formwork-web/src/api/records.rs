//! The records API: submit, list (filter, sort, search, keyset pages), read, edit with
//! `If-Match`, soft delete. Permissions are the runtime's; a record the caller may not read
//! answers 404 exactly like one that does not exist.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{ETAG, IF_MATCH};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use formwork_runtime::{Inserted, PendingChange, Record};
use formwork_runtime::{ListRequest, parse_package};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::ids::named;
use formwork_model::{AppId, FormId, RecordId};

/// A record as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordResponse {
    pub id: String,
    pub app: String,
    pub form: String,
    /// The app version the record was created under.
    pub app_version: i64,
    /// Human-facing number, e.g. `PRJ-2026-00001`.
    pub number: Option<String>,
    /// Revision; send it back as `If-Match: "<rev>"` to change the record.
    pub rev: i64,
    pub owner: String,
    pub department: Option<String>,
    pub status: String,
    #[schema(value_type = Object)]
    pub data: Value,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
    /// A change request (变更) under way: its proposed values wait for approval while `data`
    /// keeps the approved ones. Given on single-record answers; absent in lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_change: Option<PendingChangeResponse>,
}

/// A change request (变更) under way on a record.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingChangeResponse {
    /// The process instance that decides it.
    pub instance_id: String,
    /// The fields it sets, with their proposed values (`null`: cleared).
    #[schema(value_type = Object)]
    pub changes: Value,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: OffsetDateTime,
}

impl From<PendingChange> for PendingChangeResponse {
    fn from(p: PendingChange) -> Self {
        Self {
            instance_id: p.instance_id.into(),
            changes: p.changes,
            requested_at: p.requested_at,
        }
    }
}

impl From<Record> for RecordResponse {
    fn from(r: Record) -> Self {
        Self {
            id: r.id.into(),
            app: r.app_id.into(),
            form: r.form_id.into(),
            app_version: r.app_version,
            number: r.number,
            rev: r.rev,
            owner: r.owner_id.into(),
            department: r.department_id.map(Into::into),
            status: r.status.into(),
            data: r.data,
            created_at: r.created_at,
            updated_at: r.updated_at,
            pending_change: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordListResponse {
    pub items: Vec<RecordResponse>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// How many records a list holds, counted up to 1,001 rows (never a whole form).
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordCountResponse {
    /// The count, at most 1000.
    #[schema(maximum = 1000)]
    pub count: u32,
    /// More than `count` records match: show "1,000+".
    pub more: bool,
}

/// The list request a query string asks for (`filter`, `sort`, `q`, `after`, `limit`).
fn list_request(query: Option<&str>) -> ListRequest {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default();
    let mut request = ListRequest::default();
    for (k, v) in pairs {
        match k.as_str() {
            "filter" => request.filters.push(v),
            "sort" => request.sort = Some(v),
            "q" => request.search = Some(v),
            "after" => request.after = Some(v),
            "limit" => request.limit = v.parse().ok(),
            _ => {}
        }
    }
    request
}

fn with_etag(status: StatusCode, record: Record) -> Response {
    with_change(status, record, None)
}

fn etag_of(record: &Record) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{}\"", record.rev))
        .unwrap_or(HeaderValue::from_static("\"0\""))
}

/// `record` shown as `T` with its revision as the `ETag`.
pub(crate) fn etagged<T: Serialize + From<Record>>(status: StatusCode, record: Record) -> Response {
    let etag = etag_of(&record);
    (status, [(ETAG, etag)], Json(T::from(record))).into_response()
}

/// A record with its revision as the ETag and the change request under way on it.
pub(crate) fn with_change(
    status: StatusCode,
    record: Record,
    pending: Option<PendingChange>,
) -> Response {
    let etag = etag_of(&record);
    let mut body = RecordResponse::from(record);
    body.pending_change = pending.map(Into::into);
    (status, [(ETAG, etag)], Json(body)).into_response()
}

fn precondition(code: &'static str, status: StatusCode) -> ApiError {
    ApiError::new(status, code)
}

/// The revision in `If-Match`; `None` when absent, 412 when unreadable.
pub(crate) fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(value) = headers.get(IF_MATCH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|s| s.parse().ok())
        .map(Some)
        .ok_or_else(|| precondition("precondition_failed", StatusCode::PRECONDITION_FAILED))
}

/// Submits a new record. A retry with the same `Idempotency-Key` returns the first record.
#[utoipa::path(post, path = "/api/v1/apps/{app}/forms/{form}/records", tag = "records",
    params(("app" = String, Path), ("form" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body(content = Object, description = "The record data", content_type = "application/json"),
    responses(
        (status = 201, body = RecordResponse),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The idempotency key was used for different data", body = ErrorBody),
        (status = 422, description = "Field errors", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path((app, form)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let app: AppId = named(&app)?;
    let form: FormId = named(&form)?;
    let input = parse_package(&body)?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .map(str::to_owned);
    let inserted = state
        .runtime
        .submit_record(&caller, &app, &form, &input, key, OffsetDateTime::now_utc())
        .await?;
    let replayed = matches!(inserted, Inserted::Replayed(_));
    let record = match inserted {
        Inserted::New(r) | Inserted::Replayed(r) => r,
    };
    let mut response = with_etag(StatusCode::CREATED, record);
    if replayed {
        response.headers_mut().insert(
            HeaderName::from_static("idempotent-replayed"),
            HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}

/// Lists the records the caller may read, newest first unless sorted.
///
/// Filters: repeat `filter=field:op:value`, ops `eq ne lt lte gt gte contains in null
/// notnull` (`in` takes `a|b|c`). Sort: `sort=field` or `sort=-field`. Search: `q=text`.
/// Pages: `limit` (1–200, default 20) and `after` (the previous page's `next`).
#[utoipa::path(get, path = "/api/v1/apps/{app}/forms/{form}/records", tag = "records",
    params(("app" = String, Path), ("form" = String, Path),
        ("filter" = Option<Vec<String>>, Query, max_items = 20),
        ("sort" = Option<String>, Query, max_length = 65),
        ("q" = Option<String>, Query, max_length = 200),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200),
        ("after" = Option<String>, Query, max_length = 1024)),
    responses(
        (status = 200, body = RecordListResponse),
        (status = 400, description = "Unknown field or operator", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path((app, form)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Json<RecordListResponse>, ApiError> {
    let app: AppId = named(&app)?;
    let form: FormId = named(&form)?;
    let request = list_request(query.as_deref());
    let page = state
        .runtime
        .list_records(&caller, &app, &form, &request)
        .await?;
    Ok(Json(RecordListResponse {
        items: page.records.into_iter().map(Into::into).collect(),
        next: page.next,
    }))
}

/// How many records the list with the same `filter` and `q` holds, counted up to 1,001
/// rows: `{"count": 1000, "more": true}` reads "1,000+".
#[utoipa::path(get, path = "/api/v1/apps/{app}/forms/{form}/records/count", tag = "records",
    params(("app" = String, Path), ("form" = String, Path),
        ("filter" = Option<Vec<String>>, Query, max_items = 20),
        ("q" = Option<String>, Query, max_length = 200)),
    responses(
        (status = 200, body = RecordCountResponse),
        (status = 400, description = "Unknown field or operator", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn count(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path((app, form)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Json<RecordCountResponse>, ApiError> {
    let app: AppId = named(&app)?;
    let form: FormId = named(&form)?;
    let mut request = list_request(query.as_deref());
    // A count has no page: a sort or cursor given with it changes nothing.
    request.sort = None;
    request.after = None;
    request.limit = None;
    let n = state
        .runtime
        .count_records(&caller, &app, &form, &request)
        .await?;
    Ok(Json(RecordCountResponse {
        count: n.min(SHOWN_COUNT),
        more: n > SHOWN_COUNT,
    }))
}

/// The most a count states exactly; one more row counted means "1,000+".
pub(crate) const SHOWN_COUNT: u32 = 1000;

/// One record.
#[utoipa::path(get, path = "/api/v1/records/{id}", tag = "records",
    params(("id" = String, Path)),
    responses((status = 200, body = RecordResponse), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: RecordId = named(&id)?;
    let record = state.runtime.read_record(&caller, &id).await?;
    let pending = state.runtime.pending_change(&record).await?;
    Ok(with_change(StatusCode::OK, record, pending))
}

/// Changes some fields. `If-Match: "<rev>"` is required: stale → 412, missing → 428.
#[utoipa::path(patch, path = "/api/v1/records/{id}", tag = "records",
    params(("id" = String, Path), ("If-Match" = String, Header)),
    request_body(content = Object, description = "Fields to change", content_type = "application/json"),
    responses(
        (status = 200, body = RecordResponse),
        (status = 404, body = ErrorBody),
        (status = 403, description = "Not allowed to edit it", body = ErrorBody),
        (status = 409, description = "`record_in_review`: its approval is under way; `record_returned`: it waits for its submitter's revision (修改并重新提交); `record_locked`: its process ended and the fields are locked (request a change, 变更, instead)", body = ErrorBody),
        (status = 412, description = "Changed meanwhile", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 428, description = "If-Match missing", body = ErrorBody),
    ))]
pub async fn patch(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id: RecordId = named(&id)?;
    let rev = if_match(&headers)?
        .ok_or_else(|| precondition("precondition_required", StatusCode::PRECONDITION_REQUIRED))?;
    let input = parse_package(&body)?;
    let record = state
        .runtime
        .update_record(&caller, &id, rev, &input, OffsetDateTime::now_utc())
        .await?;
    Ok(with_etag(StatusCode::OK, record))
}

/// Deletes a record (softly: it stays in the audit log). `If-Match` is honoured if sent.
#[utoipa::path(delete, path = "/api/v1/records/{id}", tag = "records",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "`record_in_review`, `record_returned` or `record_locked` (see PATCH)", body = ErrorBody),
        (status = 412, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let id: RecordId = named(&id)?;
    let rev = if_match(&headers)?;
    state.runtime.delete_record(&caller, &id, rev).await?;
    Ok(StatusCode::NO_CONTENT)
}

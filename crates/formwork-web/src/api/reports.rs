//! Reports, exports and imports: report data as typed columns and rows, CSV/XLSX exports of
//! record lists and reports (streamed from a temporary file, never a formula), and
//! spreadsheet imports checked first and committed all or nothing.

use axum::Json;
use axum::body::Body;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use formwork_runtime::ListRequest;
use formwork_runtime::reports::export::{Export, SheetKind};
use formwork_runtime::reports::imports::{Import, ImportOutcome, ImportProgress, ImportUpload};
use formwork_runtime::reports::{ReportAsk, Table};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::i18n::{CatalogLabels, Lang};
use crate::ids::named;
use formwork_model::{AppId, FormId};

/// Query pairs of a request.
pub(crate) fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default()
}

fn format_of(pairs: &[(String, String)]) -> Result<SheetKind, ApiError> {
    let f = pairs
        .iter()
        .find(|(k, _)| k == "format")
        .map_or("xlsx", |(_, v)| v.as_str());
    SheetKind::parse(f).ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "bad_format"))
}

/// The list request the query pairs describe (as the list endpoint reads them).
pub(crate) fn list_request(pairs: &[(String, String)]) -> ListRequest {
    let mut request = ListRequest::default();
    for (k, v) in pairs {
        match k.as_str() {
            "filter" => request.filters.push(v.clone()),
            "sort" => request.sort = Some(v.clone()),
            "q" => request.search = Some(v.clone()),
            _ => {}
        }
    }
    request
}

/// Report data as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportDataResponse {
    /// `[{key, label, type}]`; `type` is one of `text number money date datetime user
    /// department duration`.
    #[schema(value_type = Vec<Object>)]
    pub columns: Value,
    /// Rows as arrays in column order; money as exact decimal strings.
    #[schema(value_type = Vec<Vec<Object>>)]
    pub rows: Value,
    /// Table views with totals: the totals row, aligned with `columns`.
    #[schema(value_type = Option<Vec<Object>>)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totals: Option<Value>,
}

impl From<Table> for ReportDataResponse {
    fn from(t: Table) -> Self {
        Self {
            columns: serde_json::to_value(&t.columns).unwrap_or_default(),
            rows: serde_json::to_value(&t.rows).unwrap_or_default(),
            totals: t
                .totals
                .map(|r| serde_json::to_value(r).unwrap_or_default()),
        }
    }
}

fn ask<'a>(pairs: &'a [(String, String)], lang: Lang) -> ReportAsk<'a> {
    ReportAsk {
        params: pairs,
        lang: lang.tag(),
        labels: &CatalogLabels,
        now: OffsetDateTime::now_utc(),
    }
}

/// Runs a report (or a built-in KPI, `kpi-…`) for the caller: only records they may list,
/// only fields they may read. Viewer parameters go in the query: `region=华东`,
/// `period.from=2026-01-01&period.to=2026-03-31`.
#[utoipa::path(get, path = "/api/v1/apps/{app}/reports/{report}/data", tag = "reports",
    params(("app" = String, Path), ("report" = String, Path)),
    responses(
        (status = 200, body = ReportDataResponse),
        (status = 400, description = "A parameter value is not valid", body = ErrorBody),
        (status = 403, description = "The report reads a field the caller may not read", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "The report cannot run", body = ErrorBody),
    ))]
pub async fn data(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    lang: Lang,
    Path((app, report)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Json<ReportDataResponse>, ApiError> {
    let app: AppId = named(&app)?;
    let pairs = pairs(query.as_deref());
    let run = state
        .runtime
        .run_report(&caller, &app, &report, ask(&pairs, lang))
        .await?;
    Ok(Json(run.table.into()))
}

/// A file download of an export, streamed from its temporary file.
pub(crate) fn download(export: Export) -> Response {
    let file = tokio::fs::File::from_std(export.file);
    let stream = tokio_util::io::ReaderStream::new(file);
    let name = format!("{}.{}", export.name, export.kind.extension());
    let encoded: String = percent_encode(&name);
    let disposition = HeaderValue::from_str(&format!(
        "attachment; filename=\"export.{}\"; filename*=UTF-8''{encoded}",
        export.kind.extension()
    ))
    .unwrap_or(HeaderValue::from_static("attachment"));
    (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static(export.kind.content_type()),
            ),
            (CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Exports a report's result (`format=csv|xlsx`, default xlsx) with the same parameters as
/// its data.
#[utoipa::path(get, path = "/api/v1/apps/{app}/reports/{report}/export", tag = "reports",
    params(("app" = String, Path), ("report" = String, Path),
        ("format" = Option<String>, Query, pattern = "^(csv|xlsx)$", description = "`csv` or `xlsx`")),
    responses(
        (status = 200, description = "The file"),
        (status = 400, description = "Unknown format or bad parameter", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn export_report(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    lang: Lang,
    Path((app, report)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let app: AppId = named(&app)?;
    let pairs = pairs(query.as_deref());
    let kind = format_of(&pairs)?;
    let (_, export) = state
        .runtime
        .export_report(&caller, &app, &report, ask(&pairs, lang), kind)
        .await?;
    Ok(download(export))
}

/// Exports every record of a list (same `filter`, `sort` and `q` as the list) with the
/// fields the caller may read. Text never becomes a formula.
#[utoipa::path(get, path = "/api/v1/apps/{app}/forms/{form}/records/export", tag = "records",
    params(("app" = String, Path), ("form" = String, Path),
        ("format" = Option<String>, Query, pattern = "^(csv|xlsx)$", description = "`csv` or `xlsx`"),
        ("filter" = Option<Vec<String>>, Query), ("sort" = Option<String>, Query),
        ("q" = Option<String>, Query)),
    responses(
        (status = 200, description = "The file"),
        (status = 400, description = "Unknown format, field or operator", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn export_records(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    lang: Lang,
    Path((app, form)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let app: AppId = named(&app)?;
    let form: FormId = named(&form)?;
    let pairs = pairs(query.as_deref());
    let kind = format_of(&pairs)?;
    let export = state
        .runtime
        .export_records(
            &caller,
            &app,
            &form,
            &list_request(&pairs),
            kind,
            lang.tag(),
        )
        .await?;
    Ok(download(export))
}

/// An import as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    pub id: String,
    /// `checking`, `ready`, `failed` or `committed`.
    pub status: String,
    /// Data rows read (blank rows are skipped).
    pub rows: i64,
    /// `[{row, column, message}]`; `row` counts data rows from 1, the header excluded.
    #[schema(value_type = Vec<Object>)]
    pub errors: Value,
    pub filename: String,
    pub historical: bool,
    /// How far the check (`checking`) or the commit (`ready` while committing) is, while it
    /// runs; `null` otherwise.
    pub progress: Option<ImportProgressView>,
    /// Why the commit failed (nothing of it was imported), or why the check stopped, when
    /// `failed` for that reason rather than for bad rows; `null` otherwise.
    pub failure: Option<String>,
}

/// A running check or commit.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportProgressView {
    /// `checking` or `committing`.
    pub phase: String,
    /// Data rows in the sheet.
    pub total: u64,
    /// Rows checked so far.
    pub checked: u64,
    /// Rows prepared for the commit so far (all are written in one transaction at the end).
    pub committed: u64,
}

pub(crate) fn import_response(
    i: Import,
    progress: Option<std::sync::Arc<ImportProgress>>,
    lang: Lang,
) -> ImportResponse {
    use std::sync::atomic::Ordering;
    let message_key = match lang {
        Lang::En => "message_en",
        Lang::ZhCn => "message",
    };
    let entries = i.errors.as_array().cloned().unwrap_or_default();
    let (failures, rows): (Vec<Value>, Vec<Value>) =
        entries.into_iter().partition(|e| e.get("stage").is_some());
    let failure = failures
        .last()
        .and_then(|e| e.get(message_key))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let progress = progress.map(|p| ImportProgressView {
        phase: if p.committing.load(Ordering::Relaxed) {
            "committing"
        } else {
            "checking"
        }
        .to_owned(),
        total: p.total,
        checked: p.checked.load(Ordering::Relaxed),
        committed: p.committed.load(Ordering::Relaxed),
    });
    let errors = rows
        .iter()
        .map(|e| serde_json::json!({"row": e["row"], "column": e["column"], "message": e.get(message_key)}))
        .collect();
    ImportResponse {
        id: i.id,
        status: i.status.as_str().to_owned(),
        rows: i.row_count,
        errors: Value::Array(errors),
        filename: i.filename,
        historical: i.historical,
        progress,
        failure,
    }
}

/// 409 naming the import that committed the same file.
fn duplicate(earlier: String) -> Response {
    let body = serde_json::json!({
        "error": "already_imported",
        "message": "该文件已导入过 / This file was imported already",
        "id": earlier,
    });
    (StatusCode::CONFLICT, Json(body)).into_response()
}

/// Uploads a spreadsheet (multipart `file`, optional `mapping` as a JSON object of header →
/// field key or null, optional `historical=true` for admins) and checks every row in the
/// background: the answer is `checking`; poll the import until `ready` or `failed`. Nothing
/// is imported until the commit.
#[utoipa::path(post, path = "/api/v1/apps/{app}/forms/{form}/imports", tag = "imports",
    params(("app" = String, Path), ("form" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "`file`, optional `mapping` and `historical`"),
    responses(
        (status = 202, body = ImportResponse),
        (status = 400, description = "No file, not a spreadsheet, or a bad mapping", body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The same file was imported already; `id` names that import", body = ErrorBody),
        (status = 415, description = "The body is not multipart/form-data", body = ErrorBody),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    lang: Lang,
    Path((app, form)): Path<(String, String)>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let app: AppId = named(&app)?;
    let form: FormId = named(&form)?;
    // A body that is not multipart/form-data is the wrong kind of body, not a bad parameter.
    let mut multipart = multipart
        .map_err(|_| ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"))?;
    let bad = || ApiError::new(StatusCode::BAD_REQUEST, "bad_request");
    let mut upload = ImportUpload::default();
    let mut has_file = false;
    while let Some(field) = multipart.next_field().await.map_err(|_| bad())? {
        match field.name() {
            Some("file") => {
                upload.filename = field.file_name().unwrap_or("upload.xlsx").to_owned();
                upload.bytes = field.bytes().await.map_err(|_| bad())?.to_vec();
                has_file = true;
            }
            Some("mapping") => {
                let text = field.text().await.map_err(|_| bad())?;
                if !text.trim().is_empty() {
                    upload.mapping = serde_json::from_str(&text).map_err(|_| bad())?;
                }
            }
            Some("historical") => {
                upload.historical = field.text().await.map_err(|_| bad())? == "true";
            }
            _ => {}
        }
    }
    if !has_file {
        return Err(bad());
    }
    let outcome = state
        .runtime
        .start_import(&caller, &app, &form, upload, OffsetDateTime::now_utc())
        .await?;
    Ok(started(&state, outcome, lang))
}

/// 202 with the import that started (checking or committing), or 409 naming the earlier
/// import of the same file.
fn started(state: &AppState, outcome: ImportOutcome, lang: Lang) -> Response {
    match outcome {
        ImportOutcome::Done(i) => {
            let progress = state.runtime.import_progress(&i);
            let body = Json(import_response(*i, progress, lang));
            (StatusCode::ACCEPTED, body).into_response()
        }
        ImportOutcome::Duplicate { earlier } => duplicate(earlier),
    }
}

/// An import's state and errors.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "imports",
    params(("id" = String, Path)),
    responses((status = 200, body = ImportResponse), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Json<ImportResponse>, ApiError> {
    let i = state.runtime.get_import(&caller, &id).await?;
    let progress = state.runtime.import_progress(&i);
    Ok(Json(import_response(i, progress, lang)))
}

/// Starts inserting every checked row (numbers, processes and rules as for a submission,
/// unless historical), all or none, in the background: poll the import until `committed`.
#[utoipa::path(post, path = "/api/v1/imports/{id}/commit", tag = "imports",
    params(("id" = String, Path)),
    responses(
        (status = 202, body = ImportResponse),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The import failed its checks or is committed, or the same file was imported already", body = ErrorBody),
    ))]
pub async fn commit(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let outcome = state
        .runtime
        .start_commit(&caller, &id, OffsetDateTime::now_utc())
        .await?;
    Ok(started(&state, outcome, lang))
}

/// The import's errors as an XLSX (row, column, message), to fix the file by.
#[utoipa::path(get, path = "/api/v1/imports/{id}/errors", tag = "imports",
    params(("id" = String, Path)),
    responses((status = 200, description = "The error report"), (status = 404, body = ErrorBody)))]
pub async fn error_report(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let export = state
        .runtime
        .import_error_report(&caller, &id, lang.tag())
        .await?;
    Ok(download(export))
}

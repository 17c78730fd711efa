//! File upload and download. Files are read through the record they are attached to, with
//! that record's permissions; before that, only the uploader can read them.

use axum::Json;
use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use formwork_runtime::Attachment;
use formwork_runtime::file_ref;
use serde_json::Value;
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::ids::named;
use formwork_model::{FileId, RecordId};

/// Uploads one file (multipart field `file`). Answers the reference to put in record data.
#[utoipa::path(post, path = "/api/v1/files", tag = "records",
    request_body(content_type = "multipart/form-data", description = "A `file` part"),
    responses(
        (status = 201, description = "`{id, name, size, content_type, sha256}`"),
        (status = 422, description = "Empty or too large", body = ErrorBody),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "bad_request"))?
    {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("file").to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"))?;
        let attachment = state
            .runtime
            .upload_file(&caller, &name, bytes.to_vec(), OffsetDateTime::now_utc())
            .await?;
        return Ok((StatusCode::CREATED, Json(file_ref(&attachment))));
    }
    Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_request"))
}

/// One of the caller's own uploads.
#[utoipa::path(get, path = "/api/v1/files/{id}", tag = "records",
    params(("id" = String, Path)),
    responses((status = 200, description = "The file"), (status = 404, body = ErrorBody)))]
pub async fn own(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: FileId = named(&id)?;
    let (attachment, bytes) = state.runtime.own_file(&caller, &id).await?;
    Ok(download(&attachment, bytes))
}

/// A file attached to a record the caller may read.
#[utoipa::path(get, path = "/api/v1/records/{id}/files/{file}", tag = "records",
    params(("id" = String, Path), ("file" = String, Path)),
    responses((status = 200, description = "The file"), (status = 404, body = ErrorBody)))]
pub async fn of_record(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id: RecordId = named(&id)?;
    let file: FileId = named(&file)?;
    let (attachment, bytes) = state.runtime.record_file(&caller, &id, &file).await?;
    Ok(download(&attachment, bytes))
}

/// Always a download with the sniffed type and `nosniff`, so an uploaded HTML or SVG file
/// never runs as a page of ours.
pub fn download(attachment: &Attachment, bytes: Vec<u8>) -> Response {
    let disposition = format!(
        "attachment; filename*=UTF-8''{}",
        percent_encode(&attachment.filename)
    );
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&attachment.content_type) {
        headers.insert(CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(CONTENT_DISPOSITION, v);
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}

/// RFC 5987 encoding of a file name (UTF-8, unreserved characters kept).
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

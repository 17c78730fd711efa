//! Inbound hooks: other systems post JSON that a hook of the app's package turns into a
//! record, submitted as the hook's service user.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use formwork_model::AppId;
use formwork_runtime::signature::SIGNATURE_HEADER;
use formwork_runtime::{HookAuth, Inserted, RuntimeError};
use time::OffsetDateTime;

use crate::AppState;
use crate::api::records::RecordResponse;
use crate::error::{ApiError, ErrorBody};
use crate::ids::named;

/// The header naming a delivery, so a replay is recognised.
pub const DELIVERY_ID_HEADER: &str = "x-formwork-delivery-id";

/// Receives a delivery of an inbound hook. Authenticate with the hook's secret
/// (`X-Formwork-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "{t}.{body}">`) or with
/// `Authorization: Bearer <token>` of the hook's service user. Name the delivery with
/// `X-Formwork-Delivery-Id` (or in the payload, where the hook says): a replay answers 200
/// with the record the first delivery made and creates nothing.
#[utoipa::path(post, path = "/api/v1/apps/{app}/hooks/{hook}", tag = "hooks",
    params(("app" = String, Path), ("hook" = String, Path),
        ("X-Formwork-Signature" = Option<String>, Header),
        ("X-Formwork-Delivery-Id" = Option<String>, Header)),
    request_body(content = Object, content_type = "application/json"),
    responses(
        (status = 201, description = "The record made", body = RecordResponse),
        (status = 200, description = "A replay: the record the first delivery made", body = RecordResponse),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
    ))]
pub async fn receive(
    State(state): State<AppState>,
    Path((app, hook)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let app: AppId = named(&app)?;
    let now = OffsetDateTime::now_utc();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let token_user = match header(AUTHORIZATION.as_str()) {
        Some(value) => {
            let secret = value
                .strip_prefix("Bearer ")
                .ok_or(RuntimeError::Unauthenticated)?;
            Some(
                state
                    .runtime
                    .authenticate_token(secret.trim(), now)
                    .await?
                    .user,
            )
        }
        None => None,
    };
    let auth = match (&token_user, header(SIGNATURE_HEADER)) {
        (Some(user), _) => HookAuth::Token(user),
        (None, Some(signature)) => HookAuth::Signature(signature),
        (None, None) => return Err(RuntimeError::Unauthenticated.into()),
    };
    let inserted = state
        .runtime
        .receive_hook(&app, &hook, auth, header(DELIVERY_ID_HEADER), &body, now)
        .await?;
    let (status, record) = match inserted {
        Inserted::New(r) => (StatusCode::CREATED, r),
        Inserted::Replayed(r) => (StatusCode::OK, r),
    };
    Ok((status, Json(RecordResponse::from(record))).into_response())
}

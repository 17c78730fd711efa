//! In-app notifications: a page of them with the unread count, the count alone (for a badge),
//! and marking them read.

use axum::Json;
use axum::extract::{RawQuery, State};

use crate::AppState;
use crate::api::body::ApiJson;
use crate::api::task_types::{
    MarkReadBody, MarkReadResponse, NotificationListResponse, UnreadResponse,
};
use crate::api::tasks::{limit, query_pairs, query_value};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};

/// The caller's notifications, newest first, with how many are unread.
/// Pages: `limit` (1–100, default 20) and `after` (the previous page's `next`).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    params(("after" = Option<String>, Query, max_length = 1024), ("limit" = Option<u32>, Query, minimum = 1, maximum = 100)),
    responses((status = 200, body = NotificationListResponse), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    RawQuery(query): RawQuery,
) -> Result<Json<NotificationListResponse>, ApiError> {
    let pairs = query_pairs(query.as_deref());
    let limit = limit(&pairs)?;
    let page = state
        .runtime
        .notifications(&caller, query_value(&pairs, "after"), limit)
        .await?;
    Ok(Json(NotificationListResponse {
        items: page.items.into_iter().map(Into::into).collect(),
        next: page.next,
        unread: page.unread,
    }))
}

/// How many of the caller's notifications are unread.
#[utoipa::path(get, path = "/api/v1/notifications/unread-count", tag = "notifications",
    responses((status = 200, body = UnreadResponse)))]
pub async fn unread_count(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> Result<Json<UnreadResponse>, ApiError> {
    let unread = state.runtime.unread_notifications(&caller).await?;
    Ok(Json(UnreadResponse { unread }))
}

/// Marks the listed notifications of the caller read (at most 100), or all when `ids` is
/// empty or absent.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications",
    request_body = MarkReadBody,
    responses((status = 200, body = MarkReadResponse), (status = 422, body = ErrorBody)))]
pub async fn mark_read(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    ApiJson(body): ApiJson<MarkReadBody>,
) -> Result<Json<MarkReadResponse>, ApiError> {
    let marked = state
        .runtime
        .mark_notifications_read(&caller, &body.ids)
        .await?;
    Ok(Json(MarkReadResponse { marked }))
}

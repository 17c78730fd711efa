//! The working-time calendar (admins): read it, save it whole, or enter one year's holidays
//! and make-up working days from a CSV or JSON-lines text; and each user's own notification
//! channels.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use formwork_runtime::CalendarSettings;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::body::ApiJson;
use crate::api::tasks::{bad_query, query_pairs, query_value};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};

/// The calendar as saved (or as shipped, before an admin saved one).
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarResponse {
    /// `working_weekdays` (1 = Monday … 7 = Sunday), `working_hours` ([{start, end}],
    /// Asia/Shanghai) and `years` ([{year, source, days: [{date, kind, name}]}], kind
    /// `holiday` or `workday`).
    #[schema(value_type = Object)]
    pub calendar: Value,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<OffsetDateTime>,
    pub updated_by: Option<String>,
    /// This year and next, when their holidays are not entered yet.
    pub missing_years: Vec<i32>,
}

impl From<CalendarSettings> for CalendarResponse {
    fn from(s: CalendarSettings) -> Self {
        CalendarResponse {
            calendar: serde_json::to_value(&s.def).unwrap_or(Value::Null),
            updated_at: s.updated_at,
            updated_by: s.updated_by,
            missing_years: s.missing_years,
        }
    }
}

/// The working-time calendar (admins only).
#[utoipa::path(get, path = "/api/v1/calendar", tag = "calendar",
    responses((status = 200, body = CalendarResponse), (status = 403, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> Result<Json<CalendarResponse>, ApiError> {
    let now = OffsetDateTime::now_utc();
    Ok(Json(
        state.runtime.calendar_settings(&caller, now).await?.into(),
    ))
}

/// Saves the whole calendar (admins only); 422 names what is wrong.
#[utoipa::path(put, path = "/api/v1/calendar", tag = "calendar",
    request_body(content = Object, description = "The calendar, as GET returns it under `calendar`"),
    responses((status = 200, body = CalendarResponse), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    ApiJson(def): ApiJson<formwork_calendar::CalendarDef>,
) -> Result<Json<CalendarResponse>, ApiError> {
    let now = OffsetDateTime::now_utc();
    Ok(Json(
        state.runtime.save_calendar(&caller, def, now).await?.into(),
    ))
}

/// Enters one year's holidays and make-up working days (admins only), replacing what the
/// calendar had for that year. The body is CSV (`date,kind,name`) or JSON lines
/// (`{"date", "kind", "name"}`); kind `holiday`/`放假` or `workday`/`上班`. `source` names where
/// the dates come from. A bad line answers 422 naming its number.
#[utoipa::path(post, path = "/api/v1/calendar/years/{year}", tag = "calendar",
    params(("year" = i32, Path), ("source" = Option<String>, Query)),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = CalendarResponse), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn import_year(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(year): Path<i32>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Json<CalendarResponse>, ApiError> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| bad_query("", "内容须为 UTF-8 文本", "the body must be UTF-8 text"))?;
    let pairs = query_pairs(query.as_deref());
    let source = query_value(&pairs, "source").map(str::to_owned);
    let now = OffsetDateTime::now_utc();
    let saved = state
        .runtime
        .import_calendar_year(&caller, year, text, source, now)
        .await?;
    Ok(Json(saved.into()))
}

/// The caller's own channels: in-app is always on; mail to their address when `email`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationSettingsBody {
    pub email: bool,
    /// The language of their mail: `zh-CN` or `en`.
    pub lang: String,
}

/// The caller's notification channels.
#[utoipa::path(get, path = "/api/v1/me/notification-settings", tag = "notifications",
    responses((status = 200, body = NotificationSettingsBody)))]
pub async fn my_settings(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> Result<Json<NotificationSettingsBody>, ApiError> {
    let s = state.runtime.notification_channels(&caller.user.id).await?;
    Ok(Json(NotificationSettingsBody {
        email: s.email,
        lang: s.lang,
    }))
}

/// Saves the caller's notification channels.
#[utoipa::path(put, path = "/api/v1/me/notification-settings", tag = "notifications",
    request_body = NotificationSettingsBody,
    responses((status = 200, body = NotificationSettingsBody), (status = 422, body = ErrorBody)))]
pub async fn save_my_settings(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    ApiJson(body): ApiJson<NotificationSettingsBody>,
) -> Result<Json<NotificationSettingsBody>, ApiError> {
    let s = state
        .runtime
        .save_notification_settings(&caller, body.email, &body.lang)
        .await?;
    Ok(Json(NotificationSettingsBody {
        email: s.email,
        lang: s.lang,
    }))
}

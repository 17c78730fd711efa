//! Sign in and out with a session cookie; who am I.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use time::OffsetDateTime;
use tower_sessions::Session;

use super::body::ApiJson;
use super::types::{LoginRequest, MeResponse};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::session_store::USER_ID_KEY;

/// The peer address, when the server knows it (for throttling per client).
pub struct ClientAddr(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        ))
    }
}

/// Sign in. A wrong username and a wrong password give the same answer.
#[utoipa::path(post, path = "/api/v1/session", tag = "session",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = MeResponse),
        (status = 401, description = "Wrong username or password", body = ErrorBody),
        (status = 429, description = "Too many failed attempts", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(client): ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<MeResponse>, ApiError> {
    let user = state
        .runtime
        .login(
            &req.username,
            &req.password,
            client.as_deref(),
            OffsetDateTime::now_utc(),
        )
        .await?;
    // A new id on sign-in, so a session id planted before login is worthless.
    session.cycle_id().await.map_err(ApiError::internal)?;
    session
        .insert(USER_ID_KEY, user.id.as_str())
        .await
        .map_err(ApiError::internal)?;
    let caller = state.runtime.caller(user).await?;
    Ok(Json(MeResponse::new(caller)))
}

/// Sign out: the session is deleted on the server.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "Signed out")))]
pub async fn logout(session: Session) -> Result<impl IntoResponse, ApiError> {
    session.flush().await.map_err(ApiError::internal)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user and their roles.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses(
        (status = 200, body = MeResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
pub async fn me(CurrentUser(caller): CurrentUser) -> Result<Json<MeResponse>, ApiError> {
    Ok(Json(MeResponse::new(caller)))
}

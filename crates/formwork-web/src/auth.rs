//! Who is calling: a bearer API token, or the session cookie. Every request re-reads the
//! user, so a suspended user or a revoked token is refused on the very next request.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use formwork_model::UserId;
use formwork_runtime::Caller;
use formwork_runtime::RuntimeError;
use time::OffsetDateTime;
use tower_sessions::Session;

use crate::AppState;
use crate::error::ApiError;
use crate::session_store::{USER_ID_KEY, request_epochs};

/// Session key holding when the session was last extended (unix seconds).
const SEEN_KEY: &str = "seen";

/// How often an active session's expiry is pushed forward. Saving on every request would
/// cost a database write per request; this costs one per session every few minutes.
const KEEP_ALIVE_EVERY_SECS: i64 = 300;

/// Marks the session modified when it was last extended long enough ago, so the session
/// layer saves it with a fresh inactivity expiry.
async fn keep_alive(session: &Session) -> Result<(), ApiError> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let seen: Option<i64> = session.get(SEEN_KEY).await.map_err(ApiError::internal)?;
    if seen.is_none_or(|t| now - t >= KEEP_ALIVE_EVERY_SECS) {
        session
            .insert(SEEN_KEY, now)
            .await
            .map_err(ApiError::internal)?;
    }
    Ok(())
}

/// The signed-in user with their roles; extracting it answers 401 when there is none.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Caller);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(value) = parts.headers.get(AUTHORIZATION) {
            let secret = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or(RuntimeError::Unauthenticated)?;
            let caller = state
                .runtime
                .authenticate_token(secret.trim(), OffsetDateTime::now_utc())
                .await?;
            return Ok(CurrentUser(caller));
        }
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| ApiError::internal(msg))?;
        let user_id: Option<String> = session.get(USER_ID_KEY).await.map_err(ApiError::internal)?;
        // A session whose user id does not parse signs nobody in.
        let user_id: UserId = user_id
            .and_then(|id| id.parse().ok())
            .ok_or(RuntimeError::Unauthenticated)?;
        let epochs = request_epochs(&session).await.map_err(ApiError::internal)?;
        let caller = state.runtime.session_caller_seen(&user_id, epochs).await?;
        keep_alive(&session).await?;
        Ok(CurrentUser(caller))
    }
}

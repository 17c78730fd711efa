//! API tokens of the signed-in user: create (secret shown once), list, revoke.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::body::ApiJson;
use super::types::{CreateTokenRequest, CreatedTokenResponse, TokenResponse};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::ids::named;
use formwork_model::TokenId;
use formwork_runtime::Caller;

/// The caller's tokens, newest first; secrets are never listed.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = Vec<TokenResponse>)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(Caller { user, .. }): CurrentUser,
) -> Result<Json<Vec<TokenResponse>>, ApiError> {
    let tokens = state.runtime.list_tokens(&user).await?;
    Ok(Json(tokens.into_iter().map(Into::into).collect()))
}

/// Creates a token for the caller. The secret in the answer is shown only this once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens",
    request_body = CreateTokenRequest,
    responses(
        (status = 201, body = CreatedTokenResponse),
        (status = 422, body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(Caller { user, .. }): CurrentUser,
    ApiJson(req): ApiJson<CreateTokenRequest>,
) -> Result<(StatusCode, Json<CreatedTokenResponse>), ApiError> {
    let created = state.runtime.create_token(&user, &req.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTokenResponse {
            token: created.token.into(),
            secret: created.secret,
        }),
    ))
}

/// Revokes one of the caller's tokens; it is refused from the next request on.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    CurrentUser(Caller { user, .. }): CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: TokenId = named(&id)?;
    state.runtime.revoke_token(&user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! Account administration (admins only): create, suspend, reinstate.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use formwork_runtime::Account;
use formwork_runtime::{NewUserInput, RuntimeError};

use super::body::ApiJson;
use super::types::{CreateUserRequest, UserResponse};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::ids::named;
use formwork_runtime::Caller;

fn require_admin(user: &Account) -> Result<(), ApiError> {
    if user.is_admin {
        Ok(())
    } else {
        Err(RuntimeError::Forbidden.into())
    }
}

/// Creates a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users",
    request_body = CreateUserRequest,
    responses(
        (status = 201, body = UserResponse),
        (status = 404, description = "The department named does not exist", body = ErrorBody),
        (status = 409, description = "Username taken", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(Caller { user: admin, .. }): CurrentUser,
    ApiJson(req): ApiJson<CreateUserRequest>,
) -> Result<(StatusCode, Json<UserResponse>), ApiError> {
    require_admin(&admin)?;
    let user = state
        .runtime
        .add_user(
            NewUserInput {
                username: req.username,
                display_name: req.display_name,
                email: req.email,
                password: req.password,
                department_id: req.department_id.as_deref().map(named).transpose()?,
                is_admin: req.is_admin,
            },
            Some(&admin.id),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// Suspends a user: their sessions and tokens stop working at once.
#[utoipa::path(post, path = "/api/v1/users/{username}/suspend", tag = "users",
    params(("username" = String, Path)),
    responses((status = 200, body = UserResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "Oneself or the last active admin", body = ErrorBody)))]
pub async fn suspend(
    state: State<AppState>,
    admin: CurrentUser,
    username: Path<String>,
) -> Result<Json<UserResponse>, ApiError> {
    set_suspended(state, admin, username, true).await
}

/// Lifts a suspension; the user must sign in again.
#[utoipa::path(post, path = "/api/v1/users/{username}/reinstate", tag = "users",
    params(("username" = String, Path)),
    responses((status = 200, body = UserResponse), (status = 404, body = ErrorBody)))]
pub async fn reinstate(
    state: State<AppState>,
    admin: CurrentUser,
    username: Path<String>,
) -> Result<Json<UserResponse>, ApiError> {
    set_suspended(state, admin, username, false).await
}

async fn set_suspended(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(username): Path<String>,
    suspended: bool,
) -> Result<Json<UserResponse>, ApiError> {
    // Never oneself, never the last active admin (422).
    let user = state
        .runtime
        .admin_set_suspended(&caller, &username, suspended)
        .await?;
    Ok(Json(user.into()))
}

//! People administration beyond creating and suspending (admins only): password resets, role
//! membership, the customers of the client portal with their client accounts, and service
//! users with the API tokens admins issue them.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use formwork_model::TokenId;
use formwork_runtime::{Caller, Customer, NewServiceUser};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::ApiJson;
use super::types::{CreateTokenRequest, CreatedTokenResponse, TokenResponse, UserResponse};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::ids::named;

/// Someone a person picker offers: `username` is the value to send, `display_name` and
/// `department` what to show (a page never shows the username).
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonChoiceResponse {
    pub username: String,
    pub display_name: String,
    pub department: Option<String>,
}

/// Most people one search returns.
const MAX_FOUND: usize = 50;

/// People whose name, username or department contains `q`, for a searchable picker
/// (transfer, add a signer, reassign, delegate, user fields): names starting with `q` first,
/// at most `limit` (1–50, default 20). Clients of the portal find no one.
#[utoipa::path(get, path = "/api/v1/people", tag = "users",
    params(("q" = Option<String>, Query, max_length = 100),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 50)),
    responses((status = 200, body = [PersonChoiceResponse]), (status = 400, body = ErrorBody)))]
pub async fn find(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<PersonChoiceResponse>>, ApiError> {
    let pairs = super::tasks::query_pairs(query.as_deref());
    let q = super::tasks::query_value(&pairs, "q").unwrap_or_default();
    let limit = match super::tasks::limit(&pairs)? {
        None => 20,
        Some(n) if (1..=MAX_FOUND as u32).contains(&n) => n as usize,
        Some(_) => {
            return Err(super::tasks::bad_query(
                "/limit",
                "limit 须在 1 到 50 之间",
                "limit must be between 1 and 50",
            ));
        }
    };
    let found = state.runtime.find_people(&caller, q, limit).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|p| PersonChoiceResponse {
                username: p.username,
                display_name: p.display_name,
                department: p.department,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordRequest {
    pub password: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct RolesBody {
    /// Role ids; the user ends up a member of exactly these.
    pub roles: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CustomerRequest {
    pub name: String,
    #[serde(default)]
    pub contacts: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerResponse {
    pub id: String,
    /// What records' `customer` field holds for this customer.
    pub name: String,
    pub contacts: String,
}

impl From<Customer> for CustomerResponse {
    fn from(c: Customer) -> Self {
        Self {
            id: c.id,
            name: c.name,
            contacts: c.contacts,
        }
    }
}

/// Sets a new password for a user.
#[utoipa::path(post, path = "/api/v1/users/{username}/password", tag = "users",
    params(("username" = String, Path)), request_body = PasswordRequest,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "Too short", body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(username): Path<String>,
    ApiJson(req): ApiJson<PasswordRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .runtime
        .admin_reset_password(&caller, &username, req.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes a user a member of exactly the given roles.
#[utoipa::path(put, path = "/api/v1/users/{username}/roles", tag = "users",
    params(("username" = String, Path)), request_body = RolesBody,
    responses((status = 200, body = RolesBody), (status = 403, body = ErrorBody),
        (status = 404, description = "Unknown user or role", body = ErrorBody)))]
pub async fn set_roles(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(username): Path<String>,
    ApiJson(req): ApiJson<RolesBody>,
) -> Result<Json<RolesBody>, ApiError> {
    let roles = state
        .runtime
        .set_user_roles(&caller, &username, &req.roles)
        .await?;
    Ok(Json(RolesBody {
        roles: roles.into_iter().map(|r| r.to_string()).collect(),
    }))
}

/// The customers of the client portal, by name.
#[utoipa::path(get, path = "/api/v1/customers", tag = "users",
    responses((status = 200, body = [CustomerResponse]), (status = 403, body = ErrorBody)))]
pub async fn customers(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> Result<Json<Vec<CustomerResponse>>, ApiError> {
    let list = state.runtime.customers(&caller).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Adds a customer.
#[utoipa::path(post, path = "/api/v1/customers", tag = "users",
    request_body = CustomerRequest,
    responses((status = 201, body = CustomerResponse), (status = 403, body = ErrorBody),
        (status = 409, description = "Name taken", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_customer(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    ApiJson(req): ApiJson<CustomerRequest>,
) -> Result<(StatusCode, Json<CustomerResponse>), ApiError> {
    let c = state
        .runtime
        .create_customer(&caller, &req.name, &req.contacts)
        .await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// Links a client account to a customer (replacing an earlier link).
#[utoipa::path(put, path = "/api/v1/customers/{id}/accounts/{username}", tag = "users",
    params(("id" = String, Path), ("username" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody),
        (status = 404, description = "Unknown customer or user", body = ErrorBody)))]
pub async fn link_account(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path((id, username)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    link(&state, &caller, &username, Some(&id)).await
}

/// Unlinks a client account from its customer.
#[utoipa::path(delete, path = "/api/v1/customers/{id}/accounts/{username}", tag = "users",
    params(("id" = String, Path), ("username" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unlink_account(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path((_id, username)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    link(&state, &caller, &username, None).await
}

async fn link(
    state: &AppState,
    caller: &Caller,
    username: &str,
    customer: Option<&str>,
) -> Result<StatusCode, ApiError> {
    state
        .runtime
        .link_client_account(caller, username, customer)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateServiceUserRequest {
    /// 2–64 lowercase letters, digits or `. _ -`.
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub department_id: Option<String>,
    /// Role ids: the service user may do what these roles grant, like anyone in them.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// Creates a service user: an account programs act as through API tokens, with roles like
/// anyone's, that never signs in with a password.
#[utoipa::path(post, path = "/api/v1/service-users", tag = "users",
    request_body = CreateServiceUserRequest,
    responses((status = 201, body = UserResponse), (status = 403, body = ErrorBody),
        (status = 404, description = "The department does not exist", body = ErrorBody),
        (status = 409, description = "Username taken", body = ErrorBody),
        (status = 422, description = "`invalid_username` or `unknown_role`", body = ErrorBody)))]
pub async fn create_service_user(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    ApiJson(req): ApiJson<CreateServiceUserRequest>,
) -> Result<(StatusCode, Json<UserResponse>), ApiError> {
    let user = state
        .runtime
        .create_service_user(
            &caller,
            NewServiceUser {
                username: req.username,
                display_name: req.display_name,
                department_id: req.department_id.as_deref().map(named).transpose()?,
                roles: req.roles,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// The API tokens of a service user, newest first; secrets are never listed.
#[utoipa::path(get, path = "/api/v1/users/{username}/tokens", tag = "users",
    params(("username" = String, Path)),
    responses((status = 200, body = Vec<TokenResponse>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "`not_a_service_user`", body = ErrorBody)))]
pub async fn service_tokens(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(username): Path<String>,
) -> Result<Json<Vec<TokenResponse>>, ApiError> {
    let tokens = state.runtime.service_tokens(&caller, &username).await?;
    Ok(Json(tokens.into_iter().map(Into::into).collect()))
}

/// Issues an API token to a service user. The secret in the answer is shown only this once.
#[utoipa::path(post, path = "/api/v1/users/{username}/tokens", tag = "users",
    params(("username" = String, Path)), request_body = CreateTokenRequest,
    responses((status = 201, body = CreatedTokenResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "`not_a_service_user`, `suspended` or `invalid_token_name`", body = ErrorBody)))]
pub async fn issue_service_token(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(username): Path<String>,
    ApiJson(req): ApiJson<CreateTokenRequest>,
) -> Result<(StatusCode, Json<CreatedTokenResponse>), ApiError> {
    let created = state
        .runtime
        .issue_service_token(&caller, &username, &req.name)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTokenResponse {
            token: created.token.into(),
            secret: created.secret,
        }),
    ))
}

/// Revokes a token of a service user; it is refused from the next request on.
#[utoipa::path(delete, path = "/api/v1/users/{username}/tokens/{id}", tag = "users",
    params(("username" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody),
        (status = 404, description = "No such live token of this user", body = ErrorBody),
        (status = 422, description = "`not_a_service_user`", body = ErrorBody)))]
pub async fn revoke_service_token(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path((username, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let id: TokenId = named(&id)?;
    state
        .runtime
        .revoke_service_token(&caller, &username, &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

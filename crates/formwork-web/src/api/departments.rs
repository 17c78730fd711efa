//! Departments as a tree with heads (admins only): list, create, rename and set the head, move
//! under another department, delete. Refusals a person can cause are 422 with a field and a
//! stable code (`department_cycle`, `department_has_members`, `department_has_children`,
//! `department_name_taken`, …); a write that lost a race with another is 409.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use formwork_model::DepartmentId;
use formwork_runtime::{DepartmentNode, MAX_DEPARTMENT_NAME};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::body::ApiJson;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::ids::named;

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentResponse {
    pub id: String,
    pub name: String,
    /// The department above; `null` for a top department.
    pub parent_id: Option<String>,
    /// 0 for a top department.
    pub depth: usize,
    /// The head's username.
    pub head: Option<String>,
    pub head_name: Option<String>,
    /// People whose own department this is.
    pub members: usize,
    /// Sub-departments directly under it.
    pub children: usize,
}

impl From<DepartmentNode> for DepartmentResponse {
    fn from(n: DepartmentNode) -> Self {
        Self {
            id: n.department.id.into(),
            name: n.department.name,
            parent_id: n.department.parent_id.map(Into::into),
            depth: n.depth,
            head: n.head.as_ref().map(|h| h.username.clone()),
            head_name: n.head.map(|h| h.display_name),
            members: n.members,
            children: n.children,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateDepartmentRequest {
    /// 1–100 characters, unique among the departments beside it.
    #[schema(max_length = 100)]
    pub name: String,
    /// The department to create it under; absent or `null` for a top department.
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Username of the head; absent or `null` for none.
    #[serde(default)]
    pub head: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateDepartmentRequest {
    /// The new name (1–100 characters); absent to keep it.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub name: Option<String>,
    /// Username of the new head; `""` to leave the department without one, absent to keep it.
    #[serde(default)]
    pub head: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MoveDepartmentRequest {
    /// The department to move it under; `null` to make it a top department.
    pub parent_id: Option<String>,
}

/// The tree as one list, top-down: each department before its sub-departments, siblings by
/// name.
async fn tree(
    state: &AppState,
    caller: &formwork_runtime::Caller,
) -> Result<Vec<DepartmentResponse>, ApiError> {
    Ok(state
        .runtime
        .department_tree(caller)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

async fn one(
    state: &AppState,
    caller: &formwork_runtime::Caller,
    id: &DepartmentId,
) -> Result<DepartmentResponse, ApiError> {
    tree(state, caller)
        .await?
        .into_iter()
        .find(|d| d.id == id.as_str())
        .ok_or_else(ApiError::not_found)
}

/// Every department, drawn as a tree top-down.
#[utoipa::path(get, path = "/api/v1/departments", tag = "users",
    responses((status = 200, body = [DepartmentResponse]), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> Result<Json<Vec<DepartmentResponse>>, ApiError> {
    Ok(Json(tree(&state, &caller).await?))
}

/// Creates a department.
#[utoipa::path(post, path = "/api/v1/departments", tag = "users",
    request_body = CreateDepartmentRequest,
    responses((status = 201, body = DepartmentResponse), (status = 403, body = ErrorBody),
        (status = 404, description = "The parent department does not exist", body = ErrorBody),
        (status = 409, description = "Another write took the name meanwhile", body = ErrorBody),
        (status = 422, description = "Name empty, too long or taken beside it; head unknown", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    ApiJson(req): ApiJson<CreateDepartmentRequest>,
) -> Result<(StatusCode, Json<DepartmentResponse>), ApiError> {
    let parent: Option<DepartmentId> = req.parent_id.as_deref().map(named).transpose()?;
    let created = state
        .runtime
        .admin_create_department(&caller, &req.name, parent.as_ref(), req.head.as_deref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(one(&state, &caller, &created.id).await?),
    ))
}

/// Renames a department or sets its head.
#[utoipa::path(patch, path = "/api/v1/departments/{id}", tag = "users",
    params(("id" = String, Path)), request_body = UpdateDepartmentRequest,
    responses((status = 200, body = DepartmentResponse), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Another write took the name meanwhile", body = ErrorBody),
        (status = 422, description = "Name empty, too long or taken beside it; head unknown", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateDepartmentRequest>,
) -> Result<Json<DepartmentResponse>, ApiError> {
    let id: DepartmentId = named(&id)?;
    if let Some(name) = &req.name {
        state
            .runtime
            .admin_rename_department(&caller, &id, name)
            .await?;
    }
    if let Some(head) = &req.head {
        state
            .runtime
            .admin_set_department_head(&caller, &id, Some(head.as_str()))
            .await?;
    }
    Ok(Json(one(&state, &caller, &id).await?))
}

/// Moves a department, with everything under it, under another department (or to the top).
#[utoipa::path(put, path = "/api/v1/departments/{id}/parent", tag = "users",
    params(("id" = String, Path)), request_body = MoveDepartmentRequest,
    responses((status = 200, body = DepartmentResponse), (status = 403, body = ErrorBody),
        (status = 404, description = "The department or the new parent does not exist", body = ErrorBody),
        (status = 409, description = "A concurrent move would have closed a cycle, or took the name", body = ErrorBody),
        (status = 422, description = "`department_cycle`: under itself or its own sub-department; `department_name_taken`", body = ErrorBody)))]
pub async fn move_to(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<MoveDepartmentRequest>,
) -> Result<Json<DepartmentResponse>, ApiError> {
    let id: DepartmentId = named(&id)?;
    let parent: Option<DepartmentId> = req.parent_id.as_deref().map(named).transpose()?;
    state
        .runtime
        .admin_move_department(&caller, &id, parent.as_ref())
        .await?;
    Ok(Json(one(&state, &caller, &id).await?))
}

/// Deletes a department that has no members, sub-departments or records.
#[utoipa::path(delete, path = "/api/v1/departments/{id}", tag = "users",
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "`department_has_members`, `department_has_children` or `department_in_use`", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: DepartmentId = named(&id)?;
    state.runtime.admin_delete_department(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

const _: () = assert!(
    MAX_DEPARTMENT_NAME == 100,
    "keep the schema's max_length in step"
);

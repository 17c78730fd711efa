//! Process instances for admins: list the running, stopped and overdue ones, read one with its
//! timeline, and cancel, retry, move or reassign. Each operation is audited, shown on the
//! timeline, and leaves the record's status following the instance. Non-admins get 403.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use formwork_model::{InstanceId, TaskId};
use formwork_runtime::InstanceListRequest;
use time::OffsetDateTime;

use crate::AppState;
use crate::api::body::ApiJson;
use crate::api::instance_types::{
    CancelBody, InstanceChangedResponse, InstanceDetailResponse, InstanceListResponse,
    InstanceSummaryResponse, MoveBody, ReassignBody, RetryBody,
};
use crate::api::task_types::DecideResponse;
use crate::api::tasks::{limit, query_pairs, query_value};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::i18n::Lang;
use crate::ids::named;

/// One page of instances, newest first.
///
/// `status`: `running` (the default), `stopped` (an error in the package stopped them; they
/// wait for an admin) or `overdue` (running, with an open task past its due time). Filters:
/// `app`, `process`, `node` (an open task there, or stopped there), `assignee` (a username
/// with an open task). Pages: `limit` (1–100, default 20) and `after` (the previous page's
/// `next`).
#[utoipa::path(get, path = "/api/v1/instances", tag = "instances",
    params(
        ("status" = Option<String>, Query, description = "running | stopped | overdue"),
        ("app" = Option<String>, Query), ("process" = Option<String>, Query),
        ("node" = Option<String>, Query),
        ("assignee" = Option<String>, Query, description = "A username"),
        ("after" = Option<String>, Query, max_length = 1024), ("limit" = Option<u32>, Query, minimum = 1, maximum = 100)),
    responses(
        (status = 200, body = InstanceListResponse),
        (status = 400, description = "A malformed filter or cursor, or an unknown assignee", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    lang: Lang,
    RawQuery(query): RawQuery,
) -> Result<Json<InstanceListResponse>, ApiError> {
    let pairs = query_pairs(query.as_deref());
    let value = |k: &str| query_value(&pairs, k).map(str::to_owned);
    let request = InstanceListRequest {
        status: value("status"),
        app: value("app"),
        process: value("process"),
        node: value("node"),
        assignee: value("assignee"),
        after: value("after"),
        limit: limit(&pairs)?,
    };
    let page = state
        .runtime
        .list_instances(&caller, &request, OffsetDateTime::now_utc())
        .await?;
    Ok(Json(InstanceListResponse {
        items: page
            .items
            .into_iter()
            .map(|s| InstanceSummaryResponse::new(s, lang))
            .collect(),
        next: page.next,
    }))
}

/// One instance with its open tasks, timeline and the steps it may be moved to.
#[utoipa::path(get, path = "/api/v1/instances/{id}", tag = "instances",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = InstanceDetailResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Json<InstanceDetailResponse>, ApiError> {
    let id: InstanceId = named(&id)?;
    let detail = state
        .runtime
        .instance_detail(&caller, &id, OffsetDateTime::now_utc())
        .await?;
    Ok(Json(InstanceDetailResponse::new(detail, lang)))
}

/// Ends a running or stopped instance; the record becomes `rejected` or `withdrawn` as
/// `outcome` says. The reason is shown on the timeline.
#[utoipa::path(post, path = "/api/v1/instances/{id}/cancel", tag = "instances",
    params(("id" = String, Path)),
    request_body = CancelBody,
    responses(
        (status = 200, body = InstanceChangedResponse),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`process_not_running`: it has ended already; `process_busy`", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON", body = ErrorBody),
        (status = 422, description = "No reason, or an outcome other than rejected / withdrawn", body = ErrorBody),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CancelBody>,
) -> Result<Json<InstanceChangedResponse>, ApiError> {
    let id: InstanceId = named(&id)?;
    let changed = state
        .runtime
        .cancel_instance(
            &caller,
            &id,
            &body.reason,
            &body.outcome,
            OffsetDateTime::now_utc(),
        )
        .await?;
    Ok(Json(changed.into()))
}

/// Runs again the step a stopped instance stopped at, with the data and directory as they
/// are now (e.g. after a role got members).
#[utoipa::path(post, path = "/api/v1/instances/{id}/retry", tag = "instances",
    params(("id" = String, Path)),
    request_body = RetryBody,
    responses(
        (status = 200, description = "Retried; it may have stopped again, as `status` says", body = InstanceChangedResponse),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`process_not_stopped`: only a stopped instance is retried; `process_busy`", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON", body = ErrorBody),
        (status = 422, description = "The comment is too long", body = ErrorBody),
    ))]
pub async fn retry(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RetryBody>,
) -> Result<Json<InstanceChangedResponse>, ApiError> {
    let id: InstanceId = named(&id)?;
    let changed = state
        .runtime
        .retry_instance(
            &caller,
            &id,
            body.comment.as_deref(),
            OffsetDateTime::now_utc(),
        )
        .await?;
    Ok(Json(changed.into()))
}

/// Moves a running or stopped instance to a step: its open tasks are cancelled, and the
/// people of the step `to` get tasks (and must act in person).
#[utoipa::path(post, path = "/api/v1/instances/{id}/move", tag = "instances",
    params(("id" = String, Path)),
    request_body = MoveBody,
    responses(
        (status = 200, body = InstanceChangedResponse),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`process_not_running`: it has ended; `process_busy`", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON", body = ErrorBody),
        (status = 422, description = "No such step, or a join", body = ErrorBody),
    ))]
pub async fn move_to(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MoveBody>,
) -> Result<Json<InstanceChangedResponse>, ApiError> {
    let id: InstanceId = named(&id)?;
    let changed = state
        .runtime
        .move_instance(
            &caller,
            &id,
            &body.to,
            body.comment.as_deref(),
            OffsetDateTime::now_utc(),
        )
        .await?;
    Ok(Json(changed.into()))
}

/// Gives an open task to someone else (`to`, a username, as in decisions); their deadline
/// is counted from now.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/reassign", tag = "instances",
    params(("id" = String, Path)),
    request_body = ReassignBody,
    responses(
        (status = 200, body = DecideResponse),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`task_handled`: the task is no longer open; `process_not_running`; `process_busy`", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON", body = ErrorBody),
        (status = 422, description = "No such active user, or one with a task or turn at this step already", body = ErrorBody),
    ))]
pub async fn reassign(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReassignBody>,
) -> Result<Json<DecideResponse>, ApiError> {
    let id: TaskId = named(&id)?;
    let decided = state
        .runtime
        .reassign_task(
            &caller,
            &id,
            &body.to,
            body.comment.as_deref(),
            OffsetDateTime::now_utc(),
        )
        .await?;
    Ok(Json(decided.into()))
}

//! The to-do inbox and acting on tasks: list a box, read a task with its record as its step
//! shows it, decide one task or a batch. A task that is not the caller's answers 404; one that
//! is already decided answers 409.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use formwork_model::Text;
use formwork_model::validate::Problem;
use formwork_runtime::{DecideRequest, InboxBox, InboxOrder, RuntimeError};
use time::OffsetDateTime;

use crate::AppState;
use crate::api::body::ApiJson;
use crate::api::task_types::{
    BatchDecideBody, BatchDecideResponse, BatchItemResponse, DecideBody, DecideResponse,
    InboxItemResponse, InboxResponse, TaskDetailResponse,
};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use crate::i18n::Lang;
use crate::ids::named;
use formwork_model::TaskId;

/// `after` and `limit` of a keyset page, and the other query keys.
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default()
}

pub(crate) fn query_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub(crate) fn bad_query(pointer: &str, zh: &str, en: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_request").with_fields(vec![Problem {
        pointer: pointer.to_owned(),
        code: "invalid_query".to_owned(),
        message: Text(
            [("zh-CN", zh), ("en", en)]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        ),
    }])
}

pub(crate) fn limit(pairs: &[(String, String)]) -> Result<Option<u32>, ApiError> {
    query_value(pairs, "limit")
        .map(|v| {
            v.parse().map_err(|_| {
                bad_query(
                    "/limit",
                    "limit 须为正整数",
                    "limit must be a positive whole number",
                )
            })
        })
        .transpose()
}

/// One page of an inbox box, newest first.
///
/// Boxes: `todo` (open tasks of the caller, the default), `done` (tasks the caller decided),
/// `submitted` (the caller's records that have a process), `cc` (records the caller was copied
/// in on). Pages: `limit` (1–100, default 20) and `after` (the previous page's `next`).
/// `sort=due` orders the to-do box by deadline (overdue first, none last); `arrival`
/// (the default) newest first.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks",
    params(("box" = Option<String>, Query, description = "todo | done | submitted | cc"),
        ("sort" = Option<String>, Query, description = "arrival | due (to-do box)", pattern = "^(arrival|due)$"),
        ("after" = Option<String>, Query, max_length = 1024), ("limit" = Option<u32>, Query, minimum = 1, maximum = 100)),
    responses((status = 200, body = InboxResponse), (status = 400, body = ErrorBody)))]
pub async fn inbox(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    lang: Lang,
    RawQuery(query): RawQuery,
) -> Result<Json<InboxResponse>, ApiError> {
    let pairs = query_pairs(query.as_deref());
    let which = match query_value(&pairs, "box") {
        None => InboxBox::Todo,
        Some(name) => InboxBox::parse(name).ok_or_else(|| {
            bad_query(
                "/box",
                "box 须为 todo、done、submitted 或 cc",
                "box must be todo, done, submitted or cc",
            )
        })?,
    };
    let order = match query_value(&pairs, "sort") {
        None => InboxOrder::Arrival,
        Some(name) => InboxOrder::parse(name).ok_or_else(|| {
            bad_query(
                "/sort",
                "sort 须为 arrival 或 due",
                "sort must be arrival or due",
            )
        })?,
    };
    let limit = limit(&pairs)?;
    let page = state
        .runtime
        .inbox_in_order(&caller, which, order, query_value(&pairs, "after"), limit)
        .await?;
    Ok(Json(InboxResponse {
        items: page
            .items
            .into_iter()
            .map(|i| InboxItemResponse::new(i, lang))
            .collect(),
        next: page.next,
    }))
}

/// One of the caller's tasks, with the record as its step shows it (hidden fields left out),
/// what the caller may do, and the timeline.
#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "tasks",
    params(("id" = String, Path)),
    responses((status = 200, body = TaskDetailResponse), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Json<TaskDetailResponse>, ApiError> {
    let id: TaskId = named(&id)?;
    let detail = state.runtime.task_detail(&caller, &id).await?;
    Ok(Json(TaskDetailResponse::new(detail, lang)))
}

/// Acts on one of the caller's open tasks.
///
/// `approve` / `reject` at an approval, `submit` / `withdraw` at a fill step, anywhere
/// `return` (`to` = an earlier step id) and `transfer` (`to` = a username), at an approval
/// `return_to_submitter` (退回发起人: back to the submitter to revise and resubmit, unlike
/// `reject`, which follows the reject route or ends the process) and `add_signer` (`to` = a
/// username, `before` to have them sign first). A `resubmit` task (the record returned to its
/// submitter) takes `submit` with the whole form's changes in `data`, or `withdraw`. `data`
/// changes fields the step lets the caller edit, with `approve` or `submit`.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/decide", tag = "tasks",
    params(("id" = String, Path)),
    request_body = DecideBody,
    responses(
        (status = 200, body = DecideResponse),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such task of the caller's", body = ErrorBody),
        (status = 409, description = "`task_handled`: the task was handled already (「该待办已被处理」); `process_not_running`; `process_busy`", body = ErrorBody),
        (status = 415, description = "The body is not sent as JSON", body = ErrorBody),
        (status = 422, description = "Not allowed here, or field errors", body = ErrorBody),
    ))]
pub async fn decide(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DecideBody>,
) -> Result<Json<DecideResponse>, ApiError> {
    let id: TaskId = named(&id)?;
    let decided = state
        .runtime
        .decide(&caller, &id, &body.into(), OffsetDateTime::now_utc())
        .await?;
    Ok(Json(decided.into()))
}

/// The same decision on several of the caller's tasks, each on its own: the answer says how
/// each went, with the status a single decision would have had.
#[utoipa::path(post, path = "/api/v1/tasks/batch-decide", tag = "tasks",
    request_body = BatchDecideBody,
    responses((status = 200, body = BatchDecideResponse), (status = 422, body = ErrorBody)))]
pub async fn batch_decide(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    ApiJson(body): ApiJson<BatchDecideBody>,
) -> Result<Json<BatchDecideResponse>, ApiError> {
    let request = DecideRequest {
        action: body.action,
        comment: body.comment,
        ..DecideRequest::default()
    };
    let items: Vec<(String, DecideRequest)> = body
        .tasks
        .iter()
        .map(|t| (t.clone(), request.clone()))
        .collect();
    let outcomes = state
        .runtime
        .batch_decide(&caller, &items, OffsetDateTime::now_utc())
        .await?;
    let results = body
        .tasks
        .into_iter()
        .zip(outcomes)
        .map(|(task, outcome)| match outcome {
            Ok(decided) => BatchItemResponse {
                task,
                status: StatusCode::OK.as_u16(),
                error: None,
                instance_status: Some(decided.instance.status.into()),
            },
            Err(e) => {
                if let RuntimeError::Internal(cause) = &e {
                    tracing::error!(task, cause, "batch decision failed");
                }
                let e = ApiError::from(e);
                BatchItemResponse {
                    task,
                    status: e.status.as_u16(),
                    error: Some(e.code.to_owned()),
                    instance_status: None,
                }
            }
        })
        .collect();
    Ok(Json(BatchDecideResponse { results }))
}

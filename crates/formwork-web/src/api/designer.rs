//! What the designer asks of a draft beyond editing it: a test submission checked and not
//! stored, the real form page as a preview, a process walked for a sample submission, the
//! flow test cases run, an expression checked as it is typed, a diff between versions in
//! words, and a roll-back. Designers only (`app_designer` holders and admins): others get 403.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use formwork_runtime::{Change, FlowTestResult, VersionRef, parse_package};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::body::ApiJson;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody, FieldError};
use crate::i18n::Lang;
use crate::ids::named;
use formwork_model::{AppId, FormId, ProcessId};

/// A check that passed.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResponse {
    /// Always `true`: a failing check answers 422 with the field errors.
    pub ok: bool,
}

/// Checks record data as a submission to the draft's form would be checked, and stores
/// nothing: 200, or the very 422 body a real submission gets.
#[utoipa::path(post, path = "/api/v1/apps/{app}/draft/forms/{form}/check", tag = "designer",
    params(("app" = String, Path, pattern = r"^[a-z][a-z0-9_-]{0,63}$"),
        ("form" = String, Path, pattern = r"^[a-z][a-z0-9_-]{0,63}$")),
    request_body(content = Object, description = "The record data", content_type = "application/json"),
    responses(
        (status = 200, body = CheckResponse),
        (status = 400, description = "Not JSON, or a malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a designer", body = ErrorBody),
        (status = 404, description = "No such app or form in the draft", body = ErrorBody),
        (status = 422, description = "Field errors (as a submission gets them), or problems of the draft's form", body = ErrorBody),
    ))]
pub async fn check(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path((app, form)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<CheckResponse>, ApiError> {
    let app: AppId = named(&app)?;
    let form: FormId = named(&form)?;
    let input = parse_package(&body)?;
    state
        .runtime
        .check_draft_record(&caller, &app, &form, &input)
        .await?;
    Ok(Json(CheckResponse { ok: true }))
}

/// The real new-record page of the draft's form (HTML, framable by this site). Its form
/// posts to a page that checks the submission and stores nothing. A draft form with
/// problems answers a 422 page that lists them.
#[utoipa::path(get, path = "/api/v1/apps/{app}/draft/forms/{form}/preview", tag = "designer",
    params(("app" = String, Path, pattern = r"^[a-z][a-z0-9_-]{0,63}$"),
        ("form" = String, Path, pattern = r"^[a-z][a-z0-9_-]{0,63}$")),
    responses(
        (status = 200, description = "The page", content_type = "text/html"),
        (status = 400, description = "A malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a designer", body = ErrorBody),
        (status = 404, description = "No such app or form in the draft", body = ErrorBody),
        (status = 422, description = "The draft's form has problems (an HTML page listing them)", content_type = "text/html"),
    ))]
pub async fn preview(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path((app, form)): Path<(String, String)>,
    lang: Lang,
    uri: Uri,
) -> Result<Response, ApiError> {
    let app: AppId = named(&app)?;
    let form: FormId = named(&form)?;
    crate::pages::preview_page(&state, &caller, lang, &uri, &app, &form).await
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SimulateRequest {
    /// The submitter's username.
    #[schema(min_length = 1, max_length = 128)]
    pub submitter: String,
    /// The sample record (may be partial).
    #[schema(value_type = Object)]
    pub data: Value,
}

/// One person a step would go to.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssigneeResponse {
    pub username: String,
    pub display_name: String,
}

/// One human step of a walk.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepResponse {
    /// The node id.
    pub node: String,
    /// The node's name in the caller's language.
    pub name: String,
    /// Empty when nobody resolves (the step's fallback would stop the process).
    pub assignees: Vec<AssigneeResponse>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SimulateResponse {
    pub steps: Vec<StepResponse>,
}

fn steps(steps: Vec<formwork_runtime::UpcomingStep>, lang: Lang) -> Vec<StepResponse> {
    steps
        .into_iter()
        .map(|s| StepResponse {
            name: s
                .node
                .name
                .as_ref()
                .map(|t| t.get(lang.tag()).to_owned())
                .unwrap_or_else(|| s.node.id.clone()),
            node: s.node.id,
            assignees: s
                .assignees
                .into_iter()
                .map(|u| AssigneeResponse {
                    username: u.username,
                    display_name: u.display_name,
                })
                .collect(),
        })
        .collect()
}

/// The human steps a submission of `data` by `submitter` would go through in the draft's
/// process if every step approved, with who would get each. Nothing is stored.
#[utoipa::path(post, path = "/api/v1/apps/{app}/draft/processes/{process}/simulate", tag = "designer",
    params(("app" = String, Path, pattern = r"^[a-z][a-z0-9_-]{0,63}$"),
        ("process" = String, Path, pattern = r"^[a-z][a-z0-9_-]{0,63}$")),
    request_body = SimulateRequest,
    responses(
        (status = 200, body = SimulateResponse),
        (status = 400, description = "Not JSON, or a malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a designer", body = ErrorBody),
        (status = 404, description = "No such app or process in the draft", body = ErrorBody),
        (status = 415, description = "Not sent as application/json", body = ErrorBody),
        (status = 422, description = "An unknown submitter, data the walk cannot use, or problems of the process or its form", body = ErrorBody),
    ))]
pub async fn simulate(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path((app, process)): Path<(String, String)>,
    lang: Lang,
    ApiJson(req): ApiJson<SimulateRequest>,
) -> Result<Json<SimulateResponse>, ApiError> {
    let app: AppId = named(&app)?;
    let process: ProcessId = named(&process)?;
    let walked = state
        .runtime
        .simulate_draft(&caller, &app, &process, &req.submitter, &req.data)
        .await?;
    Ok(Json(SimulateResponse {
        steps: steps(walked, lang),
    }))
}

/// One flow test case's outcome on the draft.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlowTestResponse {
    pub process: String,
    pub test: String,
    /// The case's name in the caller's language (its id without one).
    pub name: String,
    /// Where the case is in the package, e.g. `/processes/0/tests/2`.
    pub path: String,
    pub passed: bool,
    /// The usernames each step should reach.
    pub expected: Vec<Vec<String>>,
    /// The steps the walk met.
    pub steps: Vec<StepResponse>,
    /// Why the case could not run.
    pub problems: Vec<FieldError>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FlowTestsResponse {
    /// `true` when every case passes (also when there are none).
    pub passed: bool,
    pub results: Vec<FlowTestResponse>,
}

fn flow_test(r: FlowTestResult, lang: Lang) -> FlowTestResponse {
    FlowTestResponse {
        name: r
            .name
            .as_ref()
            .map(|t| t.get(lang.tag()).to_owned())
            .unwrap_or_else(|| r.test.clone()),
        problems: r
            .problems
            .iter()
            .map(|p| FieldError::from_problem(p, lang))
            .collect(),
        process: r.process,
        test: r.test,
        path: r.pointer,
        passed: r.passed,
        expected: r.expected,
        steps: steps(r.steps, lang),
    }
}

/// Runs every flow test case of the draft (each process's `tests`) with the engine's
/// side-effect-free walk. Publishing runs the same and refuses while one fails.
#[utoipa::path(post, path = "/api/v1/apps/{app}/draft/tests", tag = "designer",
    params(("app" = String, Path, pattern = r"^[a-z][a-z0-9_-]{0,63}$")),
    responses(
        (status = 200, body = FlowTestsResponse),
        (status = 400, description = "A malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a designer", body = ErrorBody),
        (status = 404, description = "No such app", body = ErrorBody),
    ))]
pub async fn run_tests(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(app): Path<String>,
    lang: Lang,
) -> Result<Json<FlowTestsResponse>, ApiError> {
    let app: AppId = named(&app)?;
    let results = state.runtime.run_flow_tests(&app, &caller.user).await?;
    Ok(Json(FlowTestsResponse {
        passed: results.iter().all(|r| r.passed),
        results: results.into_iter().map(|r| flow_test(r, lang)).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ExpressionCheckRequest {
    /// The expression, e.g. `amount > 100000 and region == "华东"`.
    #[schema(max_length = 2000)]
    pub expression: String,
    /// The draft's form whose fields it reads; without one only the syntax is checked.
    #[schema(pattern = r"^[a-z][a-z0-9_-]{0,63}$")]
    pub form: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpressionCheckResponse {
    pub ok: bool,
    /// A syntax error, or each unknown name (`unknown_variable`, naming it).
    pub problems: Vec<FieldError>,
}

/// Checks an expression against the draft's form as the package check would: its syntax
/// and every name it reads that the form does not have. For the designer's expression box.
#[utoipa::path(post, path = "/api/v1/apps/{app}/draft/expressions/check", tag = "designer",
    params(("app" = String, Path, pattern = r"^[a-z][a-z0-9_-]{0,63}$")),
    request_body = ExpressionCheckRequest,
    responses(
        (status = 200, body = ExpressionCheckResponse),
        (status = 400, description = "Not JSON, or a malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a designer", body = ErrorBody),
        (status = 404, description = "No such app", body = ErrorBody),
        (status = 415, description = "Not sent as application/json", body = ErrorBody),
        (status = 422, description = "A body that does not fit the schema", body = ErrorBody),
    ))]
pub async fn check_expression(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(app): Path<String>,
    lang: Lang,
    ApiJson(req): ApiJson<ExpressionCheckRequest>,
) -> Result<Json<ExpressionCheckResponse>, ApiError> {
    let app: AppId = named(&app)?;
    let form: Option<FormId> = req.form.as_deref().map(named).transpose()?;
    let problems = state
        .runtime
        .check_draft_expression(&app, form.as_ref(), &req.expression, &caller.user)
        .await?;
    Ok(Json(ExpressionCheckResponse {
        ok: problems.is_empty(),
        problems: problems
            .iter()
            .map(|p| FieldError::from_problem(p, lang))
            .collect(),
    }))
}

/// One change between two versions, in words.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeResponse {
    /// Where: `/forms/{id}/schema/properties/{key}`, `/processes/{id}/nodes/{id}`,
    /// `/processes/{id}/edges/{from}→{to}[:{on}]`, `/forms/{id}/permissions/{list}`, …
    pub path: String,
    #[schema(pattern = "^(added|removed|changed)$")]
    pub kind: String,
    /// `{"zh-CN": …, "en": …}`
    #[schema(value_type = Object)]
    pub summary: Value,
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiffResponse {
    pub changes: Vec<ChangeResponse>,
}

impl From<Change> for ChangeResponse {
    fn from(c: Change) -> Self {
        Self {
            path: c.path,
            kind: c.kind.to_owned(),
            summary: serde_json::json!({"zh-CN": c.zh, "en": c.en}),
            before: c.before,
            after: c.after,
        }
    }
}

fn version_ref(pairs: &[(String, String)], key: &str) -> Result<VersionRef, ApiError> {
    let bad = || ApiError::new(StatusCode::BAD_REQUEST, "bad_request");
    let value = pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v);
    match value.map(String::as_str) {
        Some("draft") => Ok(VersionRef::Draft),
        Some(n) => match n.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(VersionRef::Published(n)),
            _ => Err(bad()),
        },
        None => Err(bad()),
    }
}

/// Every change from version `from` to version `to` (either may be `draft`), in words:
/// fields, sections, checks, numbering and permissions of forms; nodes, edges and test cases
/// of processes; roles; other parts as a whole.
#[utoipa::path(get, path = "/api/v1/apps/{app}/diff", tag = "designer",
    params(("app" = String, Path, pattern = r"^[a-z][a-z0-9_-]{0,63}$"),
        ("from" = String, Query, pattern = r"^([1-9][0-9]{0,17}|draft)$", example = "draft", description = "A version number or `draft`"),
        ("to" = String, Query, pattern = r"^([1-9][0-9]{0,17}|draft)$", example = "draft", description = "A version number or `draft`")),
    responses(
        (status = 200, body = DiffResponse),
        (status = 400, description = "`from` or `to` missing or neither a version number nor `draft`", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a designer", body = ErrorBody),
        (status = 404, description = "No such app or version", body = ErrorBody),
    ))]
pub async fn diff(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(app): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<DiffResponse>, ApiError> {
    let app: AppId = named(&app)?;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or_default()).unwrap_or_default();
    let from = version_ref(&pairs, "from")?;
    let to = version_ref(&pairs, "to")?;
    let changes = state
        .runtime
        .diff_versions(&app, from, to, &caller.user)
        .await?;
    Ok(Json(DiffResponse {
        changes: changes.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RollbackRequest {
    /// The published version to publish again as the newest.
    #[schema(minimum = 1)]
    pub version: i64,
}

/// Rolls back: publishes version `version`'s package again as a new version (records and
/// instances keep theirs; the draft is left as it is). Audited with the version.
#[utoipa::path(post, path = "/api/v1/apps/{app}/rollback", tag = "designer",
    params(("app" = String, Path, pattern = r"^[a-z][a-z0-9_-]{0,63}$")),
    request_body = RollbackRequest,
    responses(
        (status = 200, body = super::types::PublishResponse),
        (status = 400, description = "Not JSON, or a malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a designer", body = ErrorBody),
        (status = 404, description = "No such app or version", body = ErrorBody),
        (status = 415, description = "Not sent as application/json", body = ErrorBody),
        (status = 422, description = "A body that does not fit the schema", body = ErrorBody),
    ))]
pub async fn rollback(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
    Path(app): Path<String>,
    ApiJson(req): ApiJson<RollbackRequest>,
) -> Result<Json<super::types::PublishResponse>, ApiError> {
    let app: AppId = named(&app)?;
    if req.version < 1 {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid"));
    }
    let outcome = state
        .runtime
        .rollback(&app, req.version, &caller.user)
        .await?;
    Ok(Json(super::types::PublishResponse {
        version: outcome.version,
    }))
}

//! App lifecycle over HTTP: import a package as a draft, edit the draft, validate, publish,
//! list and export versions.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_TYPE, ETAG, IF_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use formwork_model::validate::Problem;
use formwork_runtime::{ImportOutcome, parse_package};

use super::types::{
    AppSummaryResponse, DraftResponse, PublishResponse, ValidateResponse, VersionInfoResponse,
};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody, FieldError};
use crate::i18n::Lang;
use crate::ids::named;
use formwork_model::AppId;
use formwork_runtime::Caller;

fn field_errors(problems: &[Problem], lang: Lang) -> Vec<FieldError> {
    problems
        .iter()
        .map(|p| FieldError::from_problem(p, lang))
        .collect()
}

fn etag(rev: i64) -> [(axum::http::HeaderName, HeaderValue); 1] {
    let value =
        HeaderValue::from_str(&format!("\"{rev}\"")).unwrap_or(HeaderValue::from_static("\"0\""));
    [(ETAG, value)]
}

/// Apps the caller may see (designers: all; others: published ones).
#[utoipa::path(get, path = "/api/v1/apps", tag = "apps",
    responses((status = 200, body = Vec<AppSummaryResponse>)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(Caller { user, .. }): CurrentUser,
) -> Result<Json<Vec<AppSummaryResponse>>, ApiError> {
    let apps = state.runtime.list_apps(&user).await?;
    Ok(Json(apps.into_iter().map(Into::into).collect()))
}

/// Imports a package as the draft of a new app. Problems are reported, not refused: a draft
/// may be work in progress. Publishing requires none.
#[utoipa::path(post, path = "/api/v1/apps", tag = "apps",
    request_body(content = Object, description = "An app package", content_type = "application/json"),
    responses(
        (status = 201, body = DraftResponse),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 409, description = "The app exists", body = ErrorBody),
        (status = 422, description = "No valid app id", body = ErrorBody),
    ))]
pub async fn import(
    State(state): State<AppState>,
    CurrentUser(Caller { user, .. }): CurrentUser,
    lang: Lang,
    body: Bytes,
) -> Result<Response, ApiError> {
    let package = parse_package(&body)?;
    let outcome = state.runtime.import_app(&package, &user, false).await?;
    Ok((StatusCode::CREATED, draft_response(outcome, package, lang)).into_response())
}

fn draft_response(
    outcome: ImportOutcome,
    package: serde_json::Value,
    lang: Lang,
) -> impl IntoResponse {
    (
        etag(outcome.draft_rev),
        Json(DraftResponse {
            problems: field_errors(&outcome.problems, lang),
            app: outcome.app_id.into(),
            rev: outcome.draft_rev,
            package,
        }),
    )
}

/// The current draft.
#[utoipa::path(get, path = "/api/v1/apps/{app}/draft", tag = "apps",
    params(("app" = String, Path)),
    responses((status = 200, body = DraftResponse), (status = 404, body = ErrorBody)))]
pub async fn get_draft(
    State(state): State<AppState>,
    CurrentUser(Caller { user, .. }): CurrentUser,
    Path(app): Path<String>,
) -> Result<Response, ApiError> {
    let app: AppId = named(&app)?;
    let draft = state.runtime.get_draft(&app, &user).await?;
    let package = serde_json::from_str(&draft.package).map_err(ApiError::internal)?;
    Ok((
        etag(draft.rev),
        Json(DraftResponse {
            app: draft.app_id.into(),
            rev: draft.rev,
            package,
            problems: Vec::new(),
        }),
    )
        .into_response())
}

/// Replaces the draft. With `If-Match: "<rev>"`, a draft changed meanwhile answers 412.
#[utoipa::path(put, path = "/api/v1/apps/{app}/draft", tag = "apps",
    params(("app" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body(content = Object, content_type = "application/json"),
    responses(
        (status = 200, body = DraftResponse),
        (status = 412, description = "The draft changed meanwhile", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn put_draft(
    State(state): State<AppState>,
    CurrentUser(Caller { user, .. }): CurrentUser,
    Path(app): Path<String>,
    lang: Lang,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let app: AppId = named(&app)?;
    let expected_rev = match headers.get(IF_MATCH) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or_else(|| {
                    ApiError::new(StatusCode::PRECONDITION_FAILED, "precondition_failed")
                })?,
        ),
    };
    let package = parse_package(&body)?;
    let outcome = state
        .runtime
        .put_draft(&app, &package, expected_rev, &user)
        .await
        .map_err(|e| match e {
            formwork_runtime::RuntimeError::Conflict(_) if expected_rev.is_some() => {
                ApiError::new(StatusCode::PRECONDITION_FAILED, "precondition_failed")
            }
            other => other.into(),
        })?;
    Ok(draft_response(outcome, package, lang).into_response())
}

/// Every problem in the draft, each with its JSON pointer.
#[utoipa::path(post, path = "/api/v1/apps/{app}/validate", tag = "apps",
    params(("app" = String, Path)),
    responses((status = 200, body = ValidateResponse), (status = 404, body = ErrorBody)))]
pub async fn validate(
    State(state): State<AppState>,
    CurrentUser(Caller { user, .. }): CurrentUser,
    Path(app): Path<String>,
    lang: Lang,
) -> Result<Json<ValidateResponse>, ApiError> {
    let app: AppId = named(&app)?;
    let problems = state.runtime.validate_draft(&app, &user).await?;
    Ok(Json(ValidateResponse {
        valid: problems.is_empty(),
        problems: field_errors(&problems, lang),
    }))
}

/// How to publish; every member is optional and the body may be left out.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// What changed, in the analyst's words (kept in the audit log).
    #[schema(max_length = 2000)]
    pub summary: Option<String>,
    /// Publish although flow test cases fail. Admins only; the overridden cases are audited.
    #[serde(default)]
    pub override_tests: bool,
}

/// Freezes the draft as the next immutable version, once it validates and its flow test
/// cases pass (an admin may override failing cases with `override_tests`).
#[utoipa::path(post, path = "/api/v1/apps/{app}/publish", tag = "apps",
    params(("app" = String, Path)),
    request_body(content = Option<PublishRequest>, content_type = "application/json"),
    responses(
        (status = 200, body = PublishResponse),
        (status = 400, description = "Not JSON", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a designer, or an override by someone not an admin", body = ErrorBody),
        (status = 404, description = "No such app", body = ErrorBody),
        (status = 422, description = "The draft has problems, or flow test cases fail (`flow_test_failed`, each at its case)", body = ErrorBody),
    ))]
pub async fn publish(
    State(state): State<AppState>,
    CurrentUser(Caller { user, .. }): CurrentUser,
    Path(app): Path<String>,
    body: Bytes,
) -> Result<Json<PublishResponse>, ApiError> {
    let app: AppId = named(&app)?;
    let req: PublishRequest = if body.iter().all(u8::is_ascii_whitespace) {
        PublishRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            let problem = formwork_model::Problem {
                pointer: String::new(),
                code: "invalid_body".to_owned(),
                message: formwork_model::Text::zh_en(format!("请求内容有误：{e}"), e.to_string()),
            };
            let status = if e.is_syntax() || e.is_eof() {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let code = if e.is_syntax() || e.is_eof() {
                "invalid_json"
            } else {
                "invalid"
            };
            ApiError::new(status, code).with_fields(vec![problem])
        })?
    };
    let options = formwork_runtime::PublishOptions {
        summary: req.summary,
        override_tests: req.override_tests,
    };
    let outcome = state.runtime.publish_with(&app, &user, &options).await?;
    Ok(Json(PublishResponse {
        version: outcome.version,
    }))
}

/// Published versions, oldest first.
#[utoipa::path(get, path = "/api/v1/apps/{app}/versions", tag = "apps",
    params(("app" = String, Path)),
    responses((status = 200, body = Vec<VersionInfoResponse>), (status = 404, body = ErrorBody)))]
pub async fn versions(
    State(state): State<AppState>,
    CurrentUser(Caller { user, .. }): CurrentUser,
    Path(app): Path<String>,
) -> Result<Json<Vec<VersionInfoResponse>>, ApiError> {
    let app: AppId = named(&app)?;
    let versions = state.runtime.list_versions(&app, &user).await?;
    Ok(Json(versions.into_iter().map(Into::into).collect()))
}

/// Exports one version as its canonical package text (byte-identical on every export).
#[utoipa::path(get, path = "/api/v1/apps/{app}/versions/{n}", tag = "apps",
    params(("app" = String, Path), ("n" = i64, Path)),
    responses(
        (status = 200, description = "The package", content_type = "application/json"),
        (status = 404, body = ErrorBody),
    ))]
pub async fn version(
    State(state): State<AppState>,
    CurrentUser(Caller { user, .. }): CurrentUser,
    Path((app, n)): Path<(String, i64)>,
) -> Result<Response, ApiError> {
    let app: AppId = named(&app)?;
    let version = state.runtime.get_version(&app, Some(n), &user).await?;
    Ok((
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        version.package,
    )
        .into_response())
}

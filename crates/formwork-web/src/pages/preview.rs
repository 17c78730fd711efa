//! The draft preview: the real new-record page rendered from an app's draft, for designers.
//! Its form posts back to [`PREVIEW_POST`], which checks the submission exactly as a real one
//! (the same localized messages beside each field) and stores nothing, attachments included.
//!
//! The designer shows it in a same-origin frame, so these responses allow `frame-ancestors
//! 'self'` where every other page forbids framing.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::get;
use formwork_runtime::{Caller, CompiledApp, RuntimeError};
use minijinja::context;
use tower::ServiceBuilder;
use tower_http::set_header::SetResponseHeaderLayer;

use super::PageError;
use super::auth::PageCaller;
use super::fields::{self, Errors, FormDesc, Mode, Raw};
use super::input::Submitted;
use super::record_form::{Preview, Screen, show};
use super::render::{Chrome, render};
use crate::AppState;
use crate::i18n::Lang;
use crate::ids::named;
use formwork_model::{AppId, FormId};

/// Where the preview's form posts (a page route: the API takes JSON only).
const PREVIEW_POST: &str = "/designer-preview/apps/{app}/forms/{form}";

/// The Content-Security-Policy of preview pages: that of pages, framable by this site.
pub const PREVIEW_CSP: &str = "default-src 'self'; img-src 'self' data:; \
    style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'self'";

/// The preview's page route, with its own frame headers and page errors.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(PREVIEW_POST, get(show_get).post(submit))
        .layer(
            ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("no-store"),
                ))
                .layer(axum::middleware::from_fn(super::error::render_page_errors))
                .layer(SetResponseHeaderLayer::overriding(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(PREVIEW_CSP),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_FRAME_OPTIONS,
                    HeaderValue::from_static("SAMEORIGIN"),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                )),
        )
}

/// The draft preview page for `GET /api/v1/apps/{app}/draft/forms/{form}/preview`: the API
/// handler's work, with the page's headers set here. A draft form with problems answers a
/// 422 page listing them.
pub(crate) async fn preview_page(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    uri: &Uri,
    app_id: &AppId,
    form_id: &FormId,
) -> Result<Response, crate::error::ApiError> {
    let app = match state
        .runtime
        .draft_form(app_id, form_id, &caller.user)
        .await
    {
        Ok(app) => app,
        Err(RuntimeError::Invalid { problems }) => {
            return Ok(with_frame_headers(problems_page(
                caller, lang, uri, &problems,
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let page = render_preview(state, caller, lang, uri, &app, form_id, None)
        .await
        .map_err(|e| match e {
            PageError::SignIn => {
                crate::error::ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated")
            }
            PageError::Status {
                status,
                code,
                cause,
            } => {
                let mut api = crate::error::ApiError::new(status, code);
                api.cause = cause;
                api
            }
        })?;
    Ok(with_frame_headers(page))
}

fn with_frame_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PREVIEW_CSP),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Lists a draft form's problems where its preview would be.
fn problems_page(
    caller: &Caller,
    lang: Lang,
    uri: &Uri,
    problems: &[formwork_model::Problem],
) -> Response {
    let message = problems
        .iter()
        .map(|p| p.message.get(lang.tag()).to_owned())
        .collect::<Vec<_>>()
        .join("；");
    let chrome = Chrome::new(lang, Some(caller), uri.to_string());
    let title = lang.message("ui.preview.unavailable", &[]);
    let mut page = render(
        "error.html",
        &chrome,
        context! { message, status => 422, title, bare => true },
    );
    *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    page
}

/// Renders the draft form: empty, or with a checked submission's values and messages.
async fn render_preview(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    uri: &Uri,
    app: &CompiledApp,
    form_id: &FormId,
    checked: Option<(Raw, Errors)>,
) -> Result<Response, PageError> {
    let form = app.form(form_id)?;
    let (desc, rules) = FormDesc::of(form, lang);
    let passed = checked.as_ref().is_some_and(|(_, e)| e.is_empty());
    let (raw, errors) = checked.unwrap_or_default();
    let notice = match (passed, errors.is_empty()) {
        (true, _) => lang.message("ui.preview.passed", &[]),
        _ => lang.message("ui.preview.notice", &[]),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    show(Screen {
        state,
        caller,
        lang,
        here: uri.to_string(),
        app_id: &app.app_id,
        form,
        desc: &desc,
        rules: &rules,
        raw: &raw,
        errors: &errors,
        read_only: &[],
        record: None,
        idempotency_key: None,
        banner: None,
        status,
        preview: Some(Preview {
            app_name: &app.def.name,
            action: PREVIEW_POST
                .replace("{app}", app.app_id.as_str())
                .replace("{form}", form_id.as_str()),
            notice,
        }),
        notice: None,
        flavor: super::record_form::Flavor::Edit,
    })
    .await
}

/// The draft of the app and form named in the address, with that form compiled.
async fn draft(
    state: &AppState,
    caller: &Caller,
    app_id: &str,
    form_id: &str,
) -> Result<(AppId, FormId, CompiledApp), PageError> {
    let app_id: AppId = named(app_id)?;
    let form_id: FormId = named(form_id)?;
    let app = state
        .runtime
        .draft_form(&app_id, &form_id, &caller.user)
        .await?;
    Ok((app_id, form_id, app))
}

/// `GET /designer-preview/apps/{app}/forms/{form}`: the same page as the API's preview.
async fn show_get(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path((app_id, form_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (_, form_id, app) = draft(&state, &caller, &app_id, &form_id).await?;
    render_preview(&state, &caller, lang, &uri, &app, &form_id, None).await
}

/// `POST /designer-preview/apps/{app}/forms/{form}`: checks the submission as a real one
/// would be checked, stores nothing (uploaded files are not kept either).
async fn submit(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path((app_id, form_id)): Path<(String, String)>,
    submitted: Submitted,
) -> Result<Response, PageError> {
    let (app_id, form_id, app) = draft(&state, &caller, &app_id, &form_id).await?;
    let (desc, _) = FormDesc::of(app.form(&form_id)?, lang);
    let raw = fields::raw_from_pairs(&desc, &submitted.pairs, &HashMap::new());
    let input = fields::to_input(&desc, &raw, &Mode::Create);
    let errors = match state
        .runtime
        .check_draft_record(&caller, &app_id, &form_id, &input)
        .await
    {
        Ok(()) => Errors::default(),
        Err(RuntimeError::Invalid { problems }) => Errors::place(&desc, &problems, lang),
        Err(e) => return Err(e.into()),
    };
    render_preview(
        &state,
        &caller,
        lang,
        &uri,
        &app,
        &form_id,
        Some((raw, errors)),
    )
    .await
}

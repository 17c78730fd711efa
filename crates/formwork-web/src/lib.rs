//! The HTTP face of Formwork: the JSON API (with its OpenAPI document), sessions, CSRF
//! protection, authentication and the cross-cutting layers. No SQL: handlers call the
//! runtime.

pub mod api;
mod auth;
pub mod boundary;
pub mod error;
mod health;
pub mod i18n;
mod ids;
mod oidc;
mod pages;
pub mod session_store;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use formwork_runtime::Runtime;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::csrf::CsrfLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::{Expiry, SessionManagerLayer};

pub use auth::CurrentUser;
use error::ApiError;
pub use oidc::{CALLBACK_PATH as OIDC_CALLBACK_PATH, Oidc, OidcConfig, OidcSettings};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub runtime: Arc<Runtime>,
    /// Sign-in with an OpenID Connect provider, when configured.
    pub oidc: Option<Arc<Oidc>>,
}

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark the session cookie `Secure` (serve over HTTPS, or behind a TLS proxy).
    pub secure_cookies: bool,
    /// A session ends after this long without requests.
    pub session_idle: time::Duration,
    pub request_timeout: Duration,
    /// Largest accepted request body.
    pub body_limit: usize,
    /// Sign-in with an OpenID Connect provider beside passwords.
    pub oidc: Option<Arc<Oidc>>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_idle: time::Duration::hours(8),
            request_timeout: Duration::from_secs(30),
            // Room for the largest file (20 MiB) plus the rest of a multipart form.
            body_limit: 24 * 1024 * 1024,
            oidc: None,
        }
    }
}

pub const SESSION_COOKIE: &str = "formwork_session";

/// The OpenAPI document the server publishes at `/api/openapi.json`, as committed. The server
/// reads it rather than generating it from the handlers at every start, code that ran once
/// and left about 1 MB of heap behind. A test holds it equal to [`generated_openapi`].
const COMMITTED_DOC: &str = include_str!("../../../designer-ui/openapi.json");

/// The document the server publishes, typed.
pub fn openapi() -> utoipa::openapi::OpenApi {
    // The committed document was printed from this type, so it reads back whole.
    serde_json::from_str(COMMITTED_DOC).unwrap_or_else(|e| {
        tracing::error!(error = %e, "designer-ui/openapi.json does not read back: generating it");
        generated_openapi().unwrap_or_else(|_| api::documented_router().split_for_parts().1)
    })
}

/// The document generated from the handlers' annotations, with the boundary's limits in it
/// (see [`boundary::document`]): what `formwork openapi` prints, and so what
/// `designer-ui/openapi.json` must hold.
pub fn generated_openapi() -> serde_json::Result<utoipa::openapi::OpenApi> {
    let raw = api::documented_router().split_for_parts().1;
    // One copy of the document at a time: each is several megabytes.
    let plain = serde_json::to_value(&raw);
    drop(raw);
    plain
        .map(boundary::document::harden)
        .and_then(serde_json::from_value)
}

/// [`openapi`] as JSON, parsed for whoever compiles it (the boundary's checks) and dropped
/// after: kept, the parsed document took 2.4 MB of the server's memory.
pub(crate) fn openapi_json() -> serde_json::Value {
    serde_json::from_str(COMMITTED_DOC).unwrap_or_else(|e| {
        tracing::error!(error = %e, "designer-ui/openapi.json is no JSON: generating it");
        generated_openapi()
            .and_then(serde_json::to_value)
            .unwrap_or_default()
    })
}

/// `/api/openapi.json`: the committed document as it is.
async fn openapi_document() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        COMMITTED_DOC,
    )
}

/// Compiles the boundary's checks from the OpenAPI document, which [`app`] otherwise does.
/// A server calls it first thing: the parsed document it drops after is then a hole the
/// rest of start-up fills, not one left below what stays (the idle server kept 1 MB more).
pub fn prepare() {
    boundary::contract::Contract::get();
}

/// The whole application: API, pages, health check and OpenAPI document, with every layer.
pub fn app(runtime: Arc<Runtime>, config: &WebConfig) -> Router {
    let sessions = session_store::DbSessionStore::new(runtime.clone());
    let state = AppState {
        runtime,
        oidc: config.oidc.clone(),
    };
    let api_router = api::router();
    // The checks compiled from the document now rather than on the first request.
    prepare();
    let api_router = api_router
        .layer(axum::middleware::from_fn(boundary::guard::guard_api))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ));

    let sessions = SessionManagerLayer::new(sessions)
        .with_name(SESSION_COOKIE)
        .with_secure(config.secure_cookies)
        .with_http_only(true)
        .with_same_site(tower_sessions::cookie::SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(config.session_idle));

    let csrf = CsrfLayer::new().with_rejection_response(|_| {
        ApiError::new(StatusCode::FORBIDDEN, "cross_site_request").into_response()
    });

    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(api_router)
        .route("/api/openapi.json", get(openapi_document))
        .route("/healthz", get(health::healthz))
        .merge(pages::router())
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(SetSensitiveRequestHeadersLayer::new([
                    header::AUTHORIZATION,
                    header::COOKIE,
                ]))
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                        let id = req
                            .headers()
                            .get("x-request-id")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-");
                        tracing::info_span!("request", method = %req.method(), uri = %req.uri(), request_id = %id)
                    }),
                )
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(CatchPanicLayer::custom(|_| {
                    ApiError::internal("handler panicked").into_response()
                }))
                .layer(axum::middleware::from_fn(error::render_errors))
                .layer(CompressionLayer::new())
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    config.request_timeout,
                ))
                .layer(DefaultBodyLimit::max(config.body_limit))
                .layer(csrf)
                .layer(sessions),
        )
}

#[cfg(test)]
mod tests {
    /// The server serves the committed document: a handler's new or changed annotation must
    /// reach it (and the designer's types generated from it).
    #[test]
    fn the_committed_openapi_document_is_the_generated_one() {
        let generated = serde_json::to_value(super::generated_openapi().unwrap()).unwrap();
        let committed: serde_json::Value = serde_json::from_str(super::COMMITTED_DOC).unwrap();
        assert!(
            generated == committed,
            "designer-ui/openapi.json is not what the handlers declare: run \
             'formwork openapi > designer-ui/openapi.json', then designer-ui/build.sh, and commit both"
        );
    }
}

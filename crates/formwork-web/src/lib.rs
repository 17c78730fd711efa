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

/// The OpenAPI document the server publishes at `/api/openapi.json`, built without a server,
/// with the boundary's limits in it (see [`boundary::document`]).
pub fn openapi() -> utoipa::openapi::OpenApi {
    // DOC went through this type once, so it reads back whole.
    serde_json::from_value(openapi_json().clone()).unwrap_or_else(|e| {
        tracing::error!(error = %e, "the OpenAPI document does not read back");
        api::router().split_for_parts().1
    })
}

/// [`openapi`] as JSON: the one copy the process keeps, which the boundary compiles into its
/// checks and the server sends.
pub(crate) fn openapi_json() -> &'static serde_json::Value {
    DOC.get_or_init(|| hardened(api::router().split_for_parts().1))
}

static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();

/// The router's document with the boundary's limits, through the typed document and back so
/// that what is served is what [`openapi`] gives.
fn hardened(raw: utoipa::openapi::OpenApi) -> serde_json::Value {
    // One copy of the document at a time: each is several megabytes at start-up.
    let plain = serde_json::to_value(&raw);
    drop(raw);
    plain
        .map(boundary::document::harden)
        .and_then(serde_json::from_value::<utoipa::openapi::OpenApi>)
        .and_then(|typed| serde_json::to_value(&typed))
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "the OpenAPI document does not round-trip");
            serde_json::to_value(api::router().split_for_parts().1).unwrap_or_default()
        })
}

/// `/api/openapi.json`: [`openapi_json`] serialized once, on the first request.
async fn openapi_document() -> impl IntoResponse {
    static BYTES: std::sync::LazyLock<axum::body::Bytes> = std::sync::LazyLock::new(|| {
        serde_json::to_vec(openapi_json())
            .unwrap_or_default()
            .into()
    });
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        BYTES.clone(),
    )
}

/// The whole application: API, pages, health check and OpenAPI document, with every layer.
pub fn app(runtime: Arc<Runtime>, config: &WebConfig) -> Router {
    let sessions = session_store::DbSessionStore::new(runtime.clone());
    let state = AppState {
        runtime,
        oidc: config.oidc.clone(),
    };
    let (api_router, doc) = api::router().split_for_parts();
    // The document from this router (building it is most of building the router), and the
    // checks compiled from it, now rather than on the first request.
    DOC.get_or_init(|| hardened(doc));
    boundary::contract::Contract::get();
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

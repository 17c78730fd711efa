//! `/designer/`: the analysts' designer, a single-page app built from `designer-ui/` and
//! embedded at compile time (see `build.rs`). Only designers (admins and holders of the
//! `app_designer` role) get it; others get a 403 page in their language, and a visitor without
//! a session is sent to sign in and back.
//!
//! Hashed assets (`/designer/assets/*`) are served `immutable` with brotli or gzip and an ETag;
//! a missing one is a 404, never the app's page. Every other path under `/designer/` is a
//! route of the app itself and answers its `index.html` (revalidated on every visit).

use std::sync::LazyLock;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use memory_serve::CacheControl;
use tower::ServiceExt;

use super::PageError;
use super::auth::MaybeCaller;
use crate::AppState;

/// The embedded files as a router of their own: `/index.html` at `/`, `/assets/…` as built.
static FILES: LazyLock<Router> = LazyLock::new(|| {
    memory_serve::load!()
        .index_file(Some("/index.html"))
        .html_cache_control(CacheControl::NoCache)
        .cache_control(CacheControl::Long)
        .enable_brotli(true)
        .enable_gzip(true)
        .into_router()
});

/// The designer's routes, with the page error rendering (403 page, sign-in redirect).
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/designer",
            get(|| async { Redirect::permanent("/designer/") }),
        )
        .route("/designer/", get(serve))
        .route("/designer/{*path}", get(serve))
        .layer(axum::middleware::from_fn(super::error::render_page_errors))
}

/// The path inside the embedded files for a request path: assets as they are, anything
/// else (the app's own routes, e.g. `/designer/apps/x/flow`) the app's page.
fn file_path(path: &str) -> &str {
    let inner = path.strip_prefix("/designer").unwrap_or(path);
    if inner.starts_with("/assets/") {
        inner
    } else {
        "/"
    }
}

async fn serve(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    mut request: Request,
) -> Result<Response, PageError> {
    let caller = caller.ok_or(PageError::SignIn)?;
    if !state.runtime.is_designer(&caller.user).await? {
        return Err(PageError::status(
            StatusCode::FORBIDDEN,
            "designer_forbidden",
        ));
    }
    let path = file_path(request.uri().path()).to_owned();
    *request.uri_mut() = Uri::try_from(path).map_err(PageError::internal)?;
    let response = match FILES.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    Ok(response.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_routes_get_the_page_and_assets_stay_assets() {
        assert_eq!(file_path("/designer/"), "/");
        assert_eq!(file_path("/designer/apps/x/flow/p"), "/");
        assert_eq!(
            file_path("/designer/assets/index-abc.js"),
            "/assets/index-abc.js"
        );
        assert_eq!(
            file_path("/designer/assets/missing.js"),
            "/assets/missing.js"
        );
    }
}

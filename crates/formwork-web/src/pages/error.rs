//! Errors of pages: handlers return a [`PageError`] without knowing the language or the
//! address; [`render_page_errors`] turns it into an HTML page in the caller's language (or
//! into a redirect to sign-in), and logs server errors once with the request id.

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_runtime::RuntimeError;

use super::auth::login_url;
use super::render::{Chrome, render};
use crate::i18n::Lang;

/// Why a page could not be shown.
#[derive(Debug, Clone)]
pub(crate) enum PageError {
    /// Not signed in (or the session ended): go to the sign-in page and come back.
    SignIn,
    /// Shown as an error page with this status and catalog message.
    Status {
        status: StatusCode,
        code: &'static str,
        /// Internal cause, logged and never shown.
        cause: Option<String>,
    },
}

impl PageError {
    pub fn not_found() -> Self {
        Self::status(StatusCode::NOT_FOUND, "not_found")
    }

    pub fn status(status: StatusCode, code: &'static str) -> Self {
        Self::Status {
            status,
            code,
            cause: None,
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Status {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            cause: Some(cause.to_string()),
        }
    }
}

impl From<RuntimeError> for PageError {
    fn from(e: RuntimeError) -> Self {
        use RuntimeError as R;
        match e {
            R::Unauthenticated | R::Suspended => PageError::SignIn,
            R::Forbidden => Self::status(StatusCode::FORBIDDEN, "forbidden"),
            R::NotFound(_) => Self::not_found(),
            R::Conflict(_) => Self::status(StatusCode::CONFLICT, "conflict"),
            R::StateConflict { code, .. } => Self::status(StatusCode::CONFLICT, code),
            R::Stale(_) => Self::status(StatusCode::CONFLICT, "precondition_failed"),
            R::InvalidCredentials => Self::status(StatusCode::UNAUTHORIZED, "invalid_credentials"),
            R::Throttled { .. } => Self::status(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            R::Malformed { .. } => Self::status(StatusCode::BAD_REQUEST, "bad_request"),
            R::Invalid { .. } => Self::status(StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            R::Internal(cause) => Self::internal(cause),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Where to come back to after signing in, for a request that found no session.
fn return_path(method: &Method, path_and_query: &str) -> String {
    if method == Method::GET {
        return path_and_query.to_owned();
    }
    // A post cannot be repeated by a redirect: come back to the page it was sent from.
    let path = path_and_query.split('?').next().unwrap_or("/");
    for suffix in ["/comments", "/edit", "/withdraw"] {
        if let Some(record) = path.strip_suffix(suffix) {
            return record.to_owned();
        }
    }
    if path.ends_with("/new") {
        return path.to_owned();
    }
    "/".to_owned()
}

/// Renders [`PageError`]s (see the module docs).
pub(crate) async fn render_page_errors(request: Request, next: Next) -> Response {
    let lang = Lang::detect(request.uri(), request.headers());
    let method = request.method().clone();
    let here = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let response = next.run(request).await;
    let Some(error) = response.extensions().get::<PageError>().cloned() else {
        return response;
    };
    match error {
        PageError::SignIn => Redirect::to(&login_url(&return_path(&method, &here))).into_response(),
        PageError::Status {
            status,
            code,
            cause,
        } => {
            if status.is_server_error() {
                tracing::error!(
                    request_id,
                    cause = cause.as_deref().unwrap_or("-"),
                    "page failed"
                );
            }
            let message = lang.message(code, &[("request_id", &request_id), ("minutes", "15")]);
            let chrome = Chrome {
                lang,
                user: None,
                here,
            };
            let title_key = match status.as_u16() {
                400 => "ui.error.400",
                403 => "ui.error.403",
                404 => "ui.error.404",
                409 => "ui.error.409",
                413 => "ui.error.413",
                429 => "ui.error.429",
                s if s >= 500 => "ui.error.500",
                _ => "ui.error.other",
            };
            let title = lang.message(title_key, &[]);
            let mut page = render(
                "error.html",
                &chrome,
                minijinja::context! { message, status => status.as_u16(), title },
            );
            *page.status_mut() = status;
            page
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_comes_back_to_the_page_it_was_sent_from() {
        assert_eq!(return_path(&Method::GET, "/a?b=1"), "/a?b=1");
        assert_eq!(
            return_path(&Method::POST, "/records/r1/comments"),
            "/records/r1"
        );
        assert_eq!(
            return_path(&Method::POST, "/records/r1/edit"),
            "/records/r1"
        );
        assert_eq!(
            return_path(&Method::POST, "/apps/a/forms/f/new"),
            "/apps/a/forms/f/new"
        );
        assert_eq!(return_path(&Method::POST, "/lang"), "/");
    }
}

//! The one API error type: `{"error": code, "message": …, "fields": [{path, code, message}]}`.
//!
//! Handlers return [`ApiError`] without knowing the caller's language; the
//! [`render_errors`] middleware writes the body in that language and logs 5xx causes once
//! with the request id. 5xx bodies never carry the cause.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use formwork_model::validate::Problem;
use formwork_runtime::RuntimeError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::Lang;

/// An error on its way to the client, not yet put into words.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub args: Vec<(&'static str, String)>,
    pub fields: Vec<Problem>,
    pub retry_after_secs: Option<u64>,
    /// Internal cause, logged and never sent.
    pub cause: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str) -> Self {
        Self {
            status,
            code,
            args: Vec::new(),
            fields: Vec::new(),
            retry_after_secs: None,
            cause: None,
        }
    }

    pub fn with_fields(mut self, fields: Vec<Problem>) -> Self {
        self.fields = fields;
        self
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let mut e = Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal");
        e.cause = Some(cause.to_string());
        e
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found")
    }

    /// Fallback for responses made by layers (timeouts, body limits, unknown routes).
    fn for_status(status: StatusCode) -> Option<Self> {
        let code = match status {
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::REQUEST_TIMEOUT => "request_timeout",
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::UNAUTHORIZED => "unauthenticated",
            s if s.is_server_error() => "internal",
            _ => return None,
        };
        Some(Self::new(status, code))
    }
}

impl From<RuntimeError> for ApiError {
    fn from(e: RuntimeError) -> Self {
        use RuntimeError as R;
        match e {
            R::InvalidCredentials => Self::new(StatusCode::UNAUTHORIZED, "invalid_credentials"),
            R::Throttled { retry_after_secs } => {
                let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
                e.args = vec![("minutes", retry_after_secs.div_ceil(60).to_string())];
                e.retry_after_secs = Some(retry_after_secs);
                e
            }
            R::Suspended => Self::new(StatusCode::FORBIDDEN, "account_suspended"),
            R::Unauthenticated => Self::new(StatusCode::UNAUTHORIZED, "unauthenticated"),
            R::Forbidden => Self::new(StatusCode::FORBIDDEN, "forbidden"),
            R::NotFound(_) => Self::not_found(),
            R::Conflict(what) => {
                let mut e = Self::new(StatusCode::CONFLICT, "conflict");
                e.cause = Some(what);
                e
            }
            R::StateConflict { code, cause } => {
                let mut e = Self::new(StatusCode::CONFLICT, code);
                e.cause = Some(cause);
                e
            }
            R::Stale(what) => {
                let mut e = Self::new(StatusCode::PRECONDITION_FAILED, "precondition_failed");
                e.cause = Some(what);
                e
            }
            R::Malformed { problem } => {
                let code = if problem.code == "invalid_json" {
                    "invalid_json"
                } else {
                    "bad_request"
                };
                Self::new(StatusCode::BAD_REQUEST, code).with_fields(vec![problem])
            }
            R::Invalid { problems } => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid").with_fields(problems)
            }
            R::Internal(cause) => Self::internal(cause),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code for programs.
    pub error: String,
    /// Sentence for people, in the caller's language.
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

/// One problem with one part of the input.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldError {
    /// JSON pointer into the request body (or package), e.g. `/amount`.
    pub path: String,
    pub code: String,
    pub message: String,
}

impl FieldError {
    pub fn from_problem(p: &Problem, lang: Lang) -> Self {
        Self {
            path: p.pointer.clone(),
            code: p.code.clone(),
            message: p.message.get(lang.tag()).to_owned(),
        }
    }
}

/// Writes error bodies in the caller's language (see the module docs).
pub async fn render_errors(request: Request, next: Next) -> Response {
    let lang = Lang::detect(request.uri(), request.headers());
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let response = next.run(request).await;
    let error = match response.extensions().get::<ApiError>() {
        Some(e) => e.clone(),
        None if response.headers().contains_key(header::CONTENT_TYPE) => return response,
        None => match ApiError::for_status(response.status()) {
            Some(e) => e,
            None => return response,
        },
    };
    if error.status.is_server_error() {
        tracing::error!(
            request_id,
            cause = error.cause.as_deref().unwrap_or("-"),
            "request failed"
        );
    }
    let mut args: Vec<(&str, &str)> = error.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    args.push(("request_id", &request_id));
    let body = ErrorBody {
        error: error.code.to_owned(),
        message: lang.message(error.code, &args),
        fields: error
            .fields
            .iter()
            .map(|p| FieldError::from_problem(p, lang))
            .collect(),
    };
    let (mut parts, _) = response.into_parts();
    let mut out = (error.status, axum::Json(body)).into_response();
    if let Some(secs) = error.retry_after_secs
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        out.headers_mut().insert(header::RETRY_AFTER, v);
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in out.headers() {
        parts.headers.insert(name, value.clone());
    }
    Response::from_parts(parts, out.into_body())
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    async fn body_of(router: Router, lang: &str) -> (StatusCode, serde_json::Value) {
        let res = router
            .layer(axum::middleware::from_fn(render_errors))
            .oneshot(
                Request::builder()
                    .uri("/")
                    .header("accept-language", lang)
                    .header("x-request-id", "req-42")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn server_errors_reveal_nothing_internal_but_the_request_id() {
        let router = Router::new().route(
            "/",
            get(|| async { ApiError::internal("password=hunter2 at db.internal:5432") }),
        );
        let (status, body) = body_of(router, "en").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"], "internal");
        let text = body.to_string();
        assert!(
            !text.contains("hunter2") && !text.contains("db.internal"),
            "{text}"
        );
        assert!(text.contains("req-42"), "{text}");
    }

    #[tokio::test]
    async fn field_problems_are_worded_in_the_callers_language() {
        let router = Router::new().route(
            "/",
            get(|| async {
                ApiError::from(RuntimeError::Invalid {
                    problems: vec![Problem {
                        pointer: "/amount".into(),
                        code: "minimum".into(),
                        message: formwork_model::Text(
                            [
                                ("zh-CN", "预计金额不能小于 0"),
                                ("en", "Estimated amount must be at least 0"),
                            ]
                            .into_iter()
                            .map(|(k, v)| (k.to_owned(), v.to_owned()))
                            .collect(),
                        ),
                    }],
                })
            }),
        );
        let (status, zh) = body_of(router.clone(), "zh-CN").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(zh["fields"][0]["path"], "/amount");
        assert_eq!(zh["fields"][0]["message"], "预计金额不能小于 0");
        let (_, en) = body_of(router, "en").await;
        assert_eq!(
            en["fields"][0]["message"],
            "Estimated amount must be at least 0"
        );
        assert_eq!(en["message"], "Some input is invalid; please correct it");
    }
}

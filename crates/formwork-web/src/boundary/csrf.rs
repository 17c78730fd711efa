//! Page forms against cross-site forgery where the browser gives no sign of where a post
//! comes from. Modern browsers send `Sec-Fetch-Site` or `Origin` and the CSRF layer judges by
//! those; IE-kernel browsers (still common in Chinese enterprises) send neither, so then a
//! post that carries the session cookie must also carry this session's token, which every
//! page form holds in a hidden `_csrf` field.
//!
//! The token is a hash of the session cookie: a page on another site can read neither, the
//! server needs no state for it, and it changes whenever the session id does (at sign-in).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::guard::{session_cookie, uri_problem};
use super::scan::encoded_has_nul;
use crate::pages::PageError;

/// The form field holding the token.
pub const FIELD: &str = "_csrf";
/// Largest page form read here (the whole body limit: forms carry files).
const MAX_FORM: usize = 24 * 1024 * 1024;

tokio::task_local! {
    static TOKEN: String;
}

/// The token of a session cookie's value.
pub fn token_for(cookie: &str) -> String {
    let digest = Sha256::digest(format!("formwork-csrf:{cookie}").as_bytes());
    hex::encode(&digest[..16])
}

/// The token of the request being answered, for the page being rendered; empty without a
/// session.
pub(crate) fn current() -> String {
    TOKEN.try_with(Clone::clone).unwrap_or_default()
}

/// Makes the request's token reachable by [`current`] while its response is made.
pub(crate) async fn scope_token(request: Request, next: Next) -> Response {
    let token = session_cookie(request.headers())
        .map(token_for)
        .unwrap_or_default();
    TOKEN.scope(token, next.run(request)).await
}

/// Refuses page requests with U+0000 in the address or a form field (400), and posts that
/// might be forged and lack the session's token (403).
pub(crate) async fn guard_page(request: Request, next: Next) -> Response {
    match admit(request).await {
        Ok(request) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

/// Whether the browser said nothing about where the request comes from.
fn silent_browser(headers: &HeaderMap) -> bool {
    !headers.contains_key(header::ORIGIN) && !headers.contains_key("sec-fetch-site")
}

async fn admit(request: Request) -> Result<Request, PageError> {
    if uri_problem(request.uri()).is_some() {
        return Err(PageError::status(StatusCode::BAD_REQUEST, "bad_request"));
    }
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return Ok(request);
    }
    let token = session_cookie(request.headers())
        .filter(|_| silent_browser(request.headers()))
        .map(token_for);
    let urlencoded = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if token.is_none() && !urlencoded {
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM)
        .await
        .map_err(|_| PageError::status(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"))?;
    if urlencoded && encoded_has_nul(&bytes) {
        return Err(PageError::status(StatusCode::BAD_REQUEST, "bad_request"));
    }
    if let Some(token) = token
        && !contains(&bytes, token.as_bytes())
    {
        return Err(PageError::status(
            StatusCode::FORBIDDEN,
            "cross_site_request",
        ));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_per_session_and_are_found_in_any_form_encoding() {
        let a = token_for("session-a");
        assert_ne!(a, token_for("session-b"));
        assert_eq!(a.len(), 32);
        let form = format!("comment=x&_csrf={a}");
        assert!(contains(form.as_bytes(), a.as_bytes()));
        assert!(!contains(b"comment=x", a.as_bytes()));
    }
}

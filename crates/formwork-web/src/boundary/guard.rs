//! The API's front door: what a request sends is checked against the OpenAPI contract before
//! any handler runs, so nothing the database cannot take (U+0000, an over-long value, a
//! malformed id) gets past it, and no state-changing call can be forged by a cross-site form.

use std::borrow::Cow;

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use formwork_model::Problem;

use super::contract::{Contract, Location, Operation, check_body};
use super::scan::{JsonFault, encoded_has_nul, json_fault};
use crate::SESSION_COOKIE;
use crate::error::ApiError;

/// Longest request target (path and query) accepted.
pub const MAX_URI: usize = 8 * 1024;
/// Largest JSON body accepted (an app package with many forms fits many times over).
pub const MAX_JSON_BODY: usize = 4 * 1024 * 1024;
/// The header a script sends with a state-changing call that has no JSON body; a cross-site
/// form cannot set it.
pub const REQUESTED_WITH: &str = "x-requested-with";

pub(crate) fn problem(pointer: &str, code: &str, zh: &str, en: &str) -> Problem {
    Problem::new(pointer, code, (zh.to_owned(), en.to_owned()))
}

fn bad_request(problems: Vec<Problem>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_request").with_fields(problems)
}

pub(crate) fn nul_problem(pointer: &str) -> Problem {
    problem(
        pointer,
        "nul_character",
        "内容含有不允许的空字符（U+0000）",
        "The input contains a NUL character (U+0000), which is not allowed",
    )
}

/// The URI checks every route shares (pages too): its length and U+0000 anywhere in it.
pub(crate) fn uri_problem(uri: &axum::http::Uri) -> Option<Problem> {
    let text = uri.path_and_query().map_or("", |p| p.as_str());
    if text.len() > MAX_URI {
        return Some(problem(
            "",
            "too_long",
            "请求地址过长",
            "The request address is too long",
        ));
    }
    encoded_has_nul(text.as_bytes()).then(|| nul_problem(""))
}

/// Whether the request carries the session cookie (and so could be a forged browser request).
pub(crate) fn has_session_cookie(headers: &HeaderMap) -> bool {
    session_cookie(headers).is_some()
}

/// The session cookie's value, if the request carries one.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(SESSION_COOKIE)
                .and_then(|rest| rest.strip_prefix('='))
        })
        .filter(|v| !v.is_empty())
}

fn is_write(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// The body's media type, lower case, without parameters.
fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|v| !v.is_empty())
}

fn is_json(media: &str) -> bool {
    media == "application/json" || media.ends_with("+json")
}

/// Whether a body may follow the headers.
fn announces_body(headers: &HeaderMap) -> bool {
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

/// The API middleware (see the module docs).
pub async fn guard_api(request: Request, next: Next) -> Response {
    match admit(request).await {
        Ok(request) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

async fn admit(request: Request) -> Result<Request, ApiError> {
    if let Some(p) = uri_problem(request.uri()) {
        return Err(bad_request(vec![p]));
    }
    let Some(template) = request.extensions().get::<MatchedPath>() else {
        return Ok(request);
    };
    let Some(op) = Contract::get().operation(request.method(), template.as_str()) else {
        return Ok(request);
    };
    check_params(op, template.as_str(), &request)?;
    if !is_write(request.method()) {
        return Ok(request);
    }
    let media = media_type(request.headers());
    check_media(op, media.as_deref(), request.headers())?;
    match media {
        Some(m) if is_json(&m) => check_json(op, request).await,
        _ => Ok(request),
    }
}

fn check_params(op: &Operation, template: &str, request: &Request) -> Result<(), ApiError> {
    let path_values = path_params(template, request.uri().path());
    let query: Vec<(String, String)> = match request.uri().query() {
        None => Vec::new(),
        Some(q) => serde_urlencoded::from_str(q).map_err(|_| {
            bad_request(vec![problem(
                "",
                "bad_query",
                "查询参数无法解析",
                "The query string cannot be read",
            )])
        })?,
    };
    let mut problems = Vec::new();
    for param in &op.params {
        let values: Vec<Cow<'_, str>> = match param.location {
            Location::Path => named_values(&path_values, &param.name),
            Location::Query => named_values(&query, &param.name),
            Location::Header => request
                .headers()
                .get_all(param.name.as_str())
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()))
                .collect(),
        };
        let values: Vec<&str> = values.iter().map(|v| v.as_ref()).collect();
        if values.is_empty() {
            continue;
        }
        if let Err(found) = param.check(&values) {
            problems.extend(found);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(bad_request(problems))
    }
}

fn named_values<'a, K: AsRef<str>>(pairs: &'a [(K, String)], name: &str) -> Vec<Cow<'a, str>> {
    pairs
        .iter()
        .filter(|(k, _)| k.as_ref() == name)
        .map(|(_, v)| Cow::Borrowed(v.as_str()))
        .collect()
}

/// `(name, decoded value)` of each `{name}` segment of the template.
fn path_params<'t>(template: &'t str, path: &str) -> Vec<(&'t str, String)> {
    template
        .split('/')
        .zip(path.split('/'))
        .filter_map(|(t, v)| {
            let name = t.strip_prefix('{')?.strip_suffix('}')?;
            let value = percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned();
            Some((name, value))
        })
        .collect()
}

/// The body's type must be one the operation takes (415), and a call a cross-site form could
/// make (no JSON body, a session cookie and no bearer token) needs `X-Requested-With` (403).
fn check_media(op: &Operation, media: Option<&str>, headers: &HeaderMap) -> Result<(), ApiError> {
    let accepted = |m: &str| {
        if op.media.is_empty() {
            is_json(m)
        } else {
            op.media
                .iter()
                .any(|a| a == m || (is_json(a) && is_json(m)))
        }
    };
    match media {
        Some(m) if !accepted(m) => return Err(unsupported()),
        None if announces_body(headers) => return Err(unsupported()),
        _ => {}
    }
    let json = media.is_some_and(is_json);
    let forgeable = has_session_cookie(headers) && !headers.contains_key(header::AUTHORIZATION);
    if !json && forgeable && !headers.contains_key(REQUESTED_WITH) {
        return Err(
            ApiError::new(StatusCode::FORBIDDEN, "cross_site_request").with_fields(vec![problem(
                "",
                "requested_with_missing",
                "没有 JSON 请求体的修改请求须带 X-Requested-With 请求头",
                "A state-changing call without a JSON body needs the X-Requested-With header",
            )]),
        );
    }
    Ok(())
}

fn unsupported() -> ApiError {
    ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
}

/// Reads the JSON body (bounded), refuses U+0000 and deep nesting (400) and what its schema
/// refuses (422), and hands the bytes on.
async fn check_json(op: &Operation, request: Request) -> Result<Request, ApiError> {
    let (parts, body) = request.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, MAX_JSON_BODY)
        .await
        .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"))?;
    match json_fault(&bytes) {
        Some(JsonFault::Nul) => return Err(bad_request(vec![nul_problem("")])),
        Some(JsonFault::TooDeep) => {
            return Err(bad_request(vec![problem(
                "",
                "too_deep",
                "请求内容嵌套过深",
                "The body is nested too deeply",
            )]));
        }
        None => {}
    }
    if let Some(validator) = &op.body
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes)
        && let Err(problems) = check_body(validator, &value)
    {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid").with_fields(problems)
        );
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_read_by_position_and_decoded() {
        assert_eq!(
            path_params(
                "/api/v1/apps/{app}/forms/{form}/records",
                "/api/v1/apps/a%20b/forms/f/records"
            ),
            vec![("app", "a b".to_owned()), ("form", "f".to_owned())]
        );
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "formwork_lang=en; formwork_session=abc".parse().unwrap(),
        );
        assert_eq!(session_cookie(&h), Some("abc"));
        h.insert(header::COOKIE, "formwork_sessionx=1".parse().unwrap());
        assert_eq!(session_cookie(&h), None);
    }
}

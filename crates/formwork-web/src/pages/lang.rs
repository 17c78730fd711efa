//! `POST /lang`: remembers the chosen language in the `formwork_lang` cookie (which
//! [`Lang`](crate::i18n::Lang) reads) and goes back to the page.

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::auth::local_path;

#[derive(Debug, Default, Deserialize)]
struct LangForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    next: Option<String>,
}

pub(crate) async fn switch(body: Bytes) -> Response {
    let form: LangForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let tag = if form.lang.to_ascii_lowercase().starts_with("en") {
        "en"
    } else {
        "zh-CN"
    };
    let next = without_lang_param(&local_path(form.next.as_deref()));
    let mut response = Redirect::to(&next).into_response();
    let cookie = format!("formwork_lang={tag}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// `?lang=` in the address wins over the cookie, so it is dropped when going back.
fn without_lang_param(path: &str) -> String {
    let Some((base, query)) = path.split_once('?') else {
        return path.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|kv| !kv.starts_with("lang=") && !kv.is_empty())
        .collect();
    if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lang_parameter_is_dropped_on_the_way_back() {
        assert_eq!(without_lang_param("/a?lang=en"), "/a");
        assert_eq!(without_lang_param("/a?x=1&lang=en&y=2"), "/a?x=1&y=2");
        assert_eq!(without_lang_param("/a"), "/a");
    }
}

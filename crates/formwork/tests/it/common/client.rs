//! A small HTTP client that drives the real router in-process (no socket), keeping the
//! session cookie like a browser would.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt;

pub struct Client {
    app: Router,
    cookie: Option<String>,
    pub bearer: Option<String>,
    /// Send what a current browser (or the designer) sends with every request:
    /// `Sec-Fetch-Site: same-origin` and `X-Requested-With`. Off, the client is an old
    /// browser that says nothing about where a request comes from.
    pub browser_headers: bool,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Client {
    pub fn new(app: Router) -> Self {
        Self {
            app,
            cookie: None,
            bearer: None,
            browser_headers: true,
        }
    }

    pub fn cookie(&self) -> Option<&str> {
        self.cookie.as_deref()
    }

    pub fn set_cookie(&mut self, cookie: Option<String>) {
        self.cookie = cookie;
    }

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut req = Request::builder().method(method).uri(path);
        let has_type = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        if body.is_some() && !has_type {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        if let Some(t) = &self.bearer {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let given = |name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
        if self.browser_headers {
            for (name, value) in [
                ("sec-fetch-site", "same-origin"),
                ("x-requested-with", "XMLHttpRequest"),
            ] {
                if !given(name) {
                    req = req.header(name, value);
                }
            }
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .expect("request");
        let res = self
            .app
            .clone()
            .oneshot(req)
            .await
            .expect("router is infallible");
        let status = res.status();
        let headers = res.headers().clone();
        for value in headers.get_all(header::SET_COOKIE) {
            let value = value.to_str().unwrap_or_default();
            let pair = value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned();
            if pair.starts_with("formwork_session=") {
                let expired = value.contains("Max-Age=0") || pair == "formwork_session=";
                self.cookie = if expired { None } else { Some(pair) };
            }
        }
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .expect("body")
            .to_vec();
        Response {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Response {
        self.send(Method::GET, path, None, &[]).await
    }

    pub async fn delete(&mut self, path: &str) -> Response {
        self.send(Method::DELETE, path, None, &[]).await
    }

    pub async fn post(&mut self, path: &str, body: &Value) -> Response {
        self.send(Method::POST, path, Some(body.to_string().into_bytes()), &[])
            .await
    }

    pub async fn post_raw(
        &mut self,
        path: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> Response {
        self.send(Method::POST, path, Some(body.to_vec()), headers)
            .await
    }

    pub async fn put_raw(&mut self, path: &str, body: &[u8], headers: &[(&str, &str)]) -> Response {
        self.send(Method::PUT, path, Some(body.to_vec()), headers)
            .await
    }

    /// Signs in and panics unless it works.
    pub async fn login(&mut self, username: &str, password: &str) {
        let res = self
            .post(
                "/api/v1/session",
                &serde_json::json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::OK,
            "login {username}: {}",
            res.text()
        );
        assert!(self.cookie.is_some(), "login sets the session cookie");
    }
}

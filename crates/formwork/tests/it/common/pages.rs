//! A browser in miniature for the page tests: posts forms as a browser posts them (urlencoded
//! and multipart) and keeps cookies, so pages are read as HTML with their status and headers.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header, request};
use tower::ServiceExt;

use super::{PASSWORD, TestApp};

/// A browser in miniature: keeps cookies, posts forms, does not follow redirects.
pub struct Browser {
    app: axum::Router,
    cookies: Vec<(String, String)>,
}

/// One answer as the browser got it: status, headers and the body as text.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub html: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The text of the element with this id (up to its closing tag).
    pub fn element(&self, id: &str) -> &str {
        let start = self
            .html
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("no #{id} in {}", self.html));
        let rest = &self.html[start..];
        let open_end = rest.find('>').unwrap() + 1;
        let close = rest[open_end..].find("</").unwrap();
        &rest[open_end..open_end + close]
    }

    /// The part of the page about one field of a record (`data-key="…"`).
    pub fn detail(&self, key: &str) -> &str {
        let start = self
            .html
            .find(&format!("data-key=\"{key}\""))
            .unwrap_or_else(|| panic!("no field {key}"));
        let rest = &self.html[start..];
        &rest[..rest.find("</dd>").unwrap()]
    }
}

impl Browser {
    /// A browser with no cookies yet.
    pub fn new(app: &TestApp) -> Self {
        Browser {
            app: app.router.clone(),
            cookies: Vec::new(),
        }
    }

    pub async fn send(&mut self, req: request::Builder, body: Body) -> Page {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let req = if cookie.is_empty() {
            req
        } else {
            req.header(header::COOKIE, cookie)
        };
        let res = self
            .app
            .clone()
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap();
        for value in res.headers().get_all(header::SET_COOKIE) {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (name, v) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !v.is_empty() && !value.to_str().unwrap().contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), v.to_owned()));
            }
        }
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        Page {
            status,
            headers,
            html: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.send(Request::builder().uri(path), Body::empty()).await
    }

    pub async fn post_form(&mut self, path: &str, pairs: &[(&str, &str)]) -> Page {
        let body = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(
            Request::builder()
                .method(Method::POST)
                .uri(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                // What a browser sends for a form on the same site.
                .header("sec-fetch-site", "same-origin"),
            Body::from(body),
        )
        .await
    }

    pub async fn post_multipart(
        &mut self,
        path: &str,
        pairs: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Page {
        let boundary = "----formworkpagetest";
        let mut body = Vec::new();
        for (name, value) in pairs {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        for (name, filename, bytes) in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.send(
            Request::builder()
                .method(Method::POST)
                .uri(path)
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .header("sec-fetch-site", "same-origin"),
            Body::from(body),
        )
        .await
    }

    /// A browser already signed in as `username`.
    pub async fn signed_in(app: &TestApp, username: &str) -> Browser {
        let mut b = Browser::new(app);
        b.sign_in(username).await;
        b
    }

    /// Signs in through the login form, as `username` with the test password.
    pub async fn sign_in(&mut self, username: &str) {
        let page = self
            .post_form(
                "/login",
                &[
                    ("username", username),
                    ("password", PASSWORD),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    }
}

/// `application/x-www-form-urlencoded` encoding of one name or value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

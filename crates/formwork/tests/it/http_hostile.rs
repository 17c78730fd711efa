//! Hostile input at the boundary, on SQLite and PostgreSQL alike: U+0000 wherever a request
//! can carry text is a 400 in the caller's language (PostgreSQL cannot store it, so it must
//! never reach the database), limits are kept rather than clamped, and no browser can be
//! made to change anything from another site.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::apps;
use crate::http_records::published;

const RECORDS: &str = "/api/v1/apps/project-registration/forms/project/records";

fn project(name: &str) -> Value {
    json!({
        "name": name, "customer": "上海某某科技有限公司", "contact_phone": "13800138000",
        "amount": "1000", "business_line": "software", "region": "华北",
        "start_date": "2026-12-01", "end_date": "2027-03-31",
    })
}

/// Asserts a 400 that names U+0000 in the caller's language.
fn assert_nul_refused(res: &crate::common::client::Response, what: &str) {
    assert_eq!(
        res.status,
        StatusCode::BAD_REQUEST,
        "{what}: {}",
        res.text()
    );
    let body = res.json();
    assert_eq!(body["error"], "bad_request", "{what}");
    assert_eq!(body["fields"][0]["code"], "nul_character", "{what}: {body}");
}

#[tokio::test]
async fn nul_in_a_login_name_is_a_400() {
    for app in apps().await {
        let mut c = app.client();
        let res = c
            .post(
                "/api/v1/session",
                &json!({"username": "admin\u{0}", "password": "x"}),
            )
            .await;
        assert_nul_refused(&res, app.db.backend().as_str());
        assert!(
            res.json()["fields"][0]["message"]
                .as_str()
                .unwrap()
                .contains("空字符")
        );
    }
}

#[tokio::test]
async fn nul_in_a_filter_a_search_a_record_id_and_a_cursor_is_a_400() {
    for app in apps().await {
        published(&app).await;
        let mut c = app.signed_in("sales1").await;
        for (what, url) in [
            ("filter", format!("{RECORDS}?filter=name:eq:a%00b")),
            ("search", format!("{RECORDS}?q=%00")),
            ("cursor", format!("{RECORDS}?after=abc%00")),
            (
                "record id",
                "/api/v1/records/0193a000-0000-7000-8000-00000000000%00".to_owned(),
            ),
        ] {
            let res = c.get(&url).await;
            assert_nul_refused(&res, &format!("{} {what}", app.db.backend().as_str()));
        }
        // A cursor that decodes to U+0000 is just as refused.
        let forged =
            base64_url(br#"{"id":"0193a000-0000-7000-8000-000000000000","value":"\u0000"}"#);
        let res = c.get(&format!("{RECORDS}?after={forged}")).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
        // And in a record body.
        let res = c.post(RECORDS, &project("项目\u{0}")).await;
        assert_nul_refused(&res, "record body");
    }
}

fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[tokio::test]
async fn limits_are_kept_not_clamped_and_malformed_ids_are_400() {
    for app in apps().await {
        published(&app).await;
        let mut c = app.signed_in("sales1").await;
        let res = c.get(&format!("{RECORDS}?limit=201")).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
        assert_eq!(res.json()["fields"][0]["path"], "/limit");
        assert_eq!(
            c.get(&format!("{RECORDS}?limit=200")).await.status,
            StatusCode::OK
        );
        assert_eq!(
            c.get(&format!("{RECORDS}?limit=0")).await.status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            c.get(&format!("{RECORDS}?limit=x")).await.status,
            StatusCode::BAD_REQUEST
        );
        // Every one of repeated values is checked, whichever a handler reads.
        for query in ["limit=500&limit=1", "limit=1&limit=500"] {
            let res = c.get(&format!("/api/v1/tasks?{query}")).await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{query}");
        }
        let long = "a".repeat(201);
        assert_eq!(
            c.get(&format!("{RECORDS}?q={long}")).await.status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            c.get("/api/v1/records/not-an-id").await.status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            c.get("/api/v1/records/0193a000-0000-7000-8000-000000000000")
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let key = "k".repeat(201);
        let res = c
            .send(
                Method::POST,
                RECORDS,
                Some(project("幂等键过长").to_string().into_bytes()),
                &[("idempotency-key", key.as_str())],
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let res = c.post_raw(RECORDS, deep.as_bytes(), &[]).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
        assert_eq!(res.json()["fields"][0]["code"], "too_deep");
        let name = "名".repeat(10_001);
        let res = c
            .post(
                "/api/v1/session",
                &json!({"username": name, "password": "x"}),
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
    }
}

#[tokio::test]
async fn a_text_plain_post_with_the_session_cookie_creates_nothing() {
    for app in apps().await {
        published(&app).await;
        let mut c = app.signed_in("sales1").await;
        // What a cross-site form in an old browser sends: the cookie, no Origin, no
        // Sec-Fetch-Site, no custom header.
        c.browser_headers = false;
        let body = project("跨站伪造").to_string();
        let res = c
            .post_raw(RECORDS, body.as_bytes(), &[("content-type", "text/plain")])
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{}",
            res.text()
        );
        assert_eq!(res.headers["x-content-type-options"], "nosniff");
        let res = c
            .post_raw(
                RECORDS,
                b"name=x",
                &[("content-type", "application/x-www-form-urlencoded")],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        // A bodiless state change needs X-Requested-With.
        let res = c.send(Method::DELETE, "/api/v1/session", None, &[]).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text());
        assert_eq!(res.json()["error"], "cross_site_request");
        c.browser_headers = true;
        let list = c.get(RECORDS).await.json();
        assert_eq!(list["items"], json!([]), "nothing was created");
        let res = c
            .send(
                Method::DELETE,
                "/api/v1/session",
                None,
                &[("sec-fetch-site", "same-origin")],
            )
            .await;
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text());
    }
}

#[tokio::test]
async fn a_page_form_from_a_silent_browser_needs_the_sessions_token() {
    use crate::common::pages::Browser;
    for app in apps().await {
        published(&app).await;
        let mut b = Browser::signed_in(&app, "sales1").await;
        let page = b.get("/apps/project-registration/forms/project/new").await;
        let token = page
            .html
            .split("name=\"_csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_owned();
        assert_eq!(token.len(), 32, "every page form holds the token");
        let post = || {
            axum::http::Request::builder()
                .method(Method::POST)
                .uri("/messages/read")
                .header("content-type", "application/x-www-form-urlencoded")
        };
        let refused = b.send(post(), axum::body::Body::from("")).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(
            refused.html.contains("已拒绝来自其他站点的请求"),
            "{}",
            refused.html
        );
        let body = format!("_csrf={token}");
        let accepted = b.send(post(), axum::body::Body::from(body)).await;
        assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.html);
        let nul = b
            .post_form(
                "/records/0193a000-0000-7000-8000-000000000000/comments",
                &[("body", "a\u{0}")],
            )
            .await;
        assert_eq!(nul.status, StatusCode::BAD_REQUEST);
    }
}

//! Sessions, tokens, CSRF, throttling and suspension over HTTP, on SQLite and PostgreSQL.

use crate::common;

use crate::common::{PASSWORD, apps};
use axum::http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn login_sets_a_session_that_me_and_logout_use() {
    for app in apps().await {
        let mut c = app.client();
        assert_eq!(c.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
        c.login("sales1", PASSWORD).await;
        let me = c.get("/api/v1/me").await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.json()["username"], "sales1");
        assert_eq!(me.json()["roles"], json!(["sales"]));
        assert!(me.json().get("password_hash").is_none());

        let out = c.delete("/api/v1/session").await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        assert_eq!(c.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn session_cookie_is_http_only_and_same_site() {
    for app in apps().await {
        let mut c = app.client();
        let res = c
            .post(
                "/api/v1/session",
                &json!({"username": "sales1", "password": PASSWORD}),
            )
            .await;
        let cookie = res.headers.get("set-cookie").unwrap().to_str().unwrap();
        assert!(cookie.starts_with("formwork_session="), "{cookie}");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    }
}

#[tokio::test]
async fn a_session_started_on_one_instance_works_on_another() {
    for app in apps().await {
        let mut first = app.signed_in("sales2").await;
        let mut second = common::Client::new(app.second_instance().await);
        second.set_cookie(first.cookie().map(str::to_owned));
        let me = second.get("/api/v1/me").await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.text());
        assert_eq!(me.json()["username"], "sales2");
        assert_eq!(first.get("/api/v1/me").await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_401() {
    for app in apps().await {
        let mut c = app.client();
        let wrong = c
            .post(
                "/api/v1/session",
                &json!({"username": "sales1", "password": "not-the-password"}),
            )
            .await;
        let unknown = c
            .post(
                "/api/v1/session",
                &json!({"username": "nobody-here", "password": "not-the-password"}),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
        assert_eq!(wrong.body, unknown.body);
        assert_eq!(wrong.json()["error"], "invalid_credentials");
        assert_eq!(wrong.json()["message"], "用户名或密码错误");
    }
}

#[tokio::test]
async fn error_messages_follow_accept_language() {
    for app in apps().await {
        let mut c = app.client();
        let res = c
            .send(
                Method::POST,
                "/api/v1/session",
                Some(
                    json!({"username": "sales1", "password": "nope-nope"})
                        .to_string()
                        .into_bytes(),
                ),
                &[("accept-language", "en-US,en;q=0.8")],
            )
            .await;
        assert_eq!(res.json()["message"], "Wrong username or password");
    }
}

#[tokio::test]
async fn rapid_failures_are_throttled_on_every_instance_even_with_the_right_password() {
    for app in apps().await {
        let mut c = app.client();
        for _ in 0..5 {
            let res = c
                .post(
                    "/api/v1/session",
                    &json!({"username": "manager1", "password": "guess-guess"}),
                )
                .await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        }
        let mut other = common::Client::new(app.second_instance().await);
        let res = other
            .post(
                "/api/v1/session",
                &json!({"username": "manager1", "password": PASSWORD}),
            )
            .await;
        assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.text());
        assert_eq!(res.json()["error"], "too_many_attempts");
        assert!(res.headers.get("retry-after").is_some());
        // Another user is not affected.
        other.login("manager2", PASSWORD).await;
    }
}

#[tokio::test]
async fn a_cross_site_post_with_a_valid_session_cookie_is_refused() {
    for app in apps().await {
        let mut c = app.signed_in("admin").await;
        let body = json!({"name": "ci"}).to_string().into_bytes();
        let cross = c
            .send(
                Method::POST,
                "/api/v1/tokens",
                Some(body.clone()),
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("origin", "https://evil.example"),
                ],
            )
            .await;
        assert_eq!(cross.status, StatusCode::FORBIDDEN);
        assert_eq!(cross.json()["error"], "cross_site_request");

        c.browser_headers = false;
        let old_browser = c
            .send(
                Method::POST,
                "/api/v1/tokens",
                Some(body.clone()),
                &[
                    ("origin", "https://evil.example"),
                    ("host", "formwork.local"),
                ],
            )
            .await;
        assert_eq!(old_browser.status, StatusCode::FORBIDDEN);
        c.browser_headers = true;

        let same = c
            .send(
                Method::POST,
                "/api/v1/tokens",
                Some(body),
                &[("sec-fetch-site", "same-origin")],
            )
            .await;
        assert_eq!(same.status, StatusCode::CREATED, "{}", same.text());
        let tokens = c.get("/api/v1/tokens").await.json();
        assert_eq!(
            tokens.as_array().unwrap().len(),
            1,
            "only the same-site POST took effect"
        );
    }
}

#[tokio::test]
async fn a_token_works_as_bearer_until_revoked() {
    for app in apps().await {
        let mut c = app.signed_in("finance").await;
        let created = c.post("/api/v1/tokens", &json!({"name": "报表同步"})).await;
        assert_eq!(created.status, StatusCode::CREATED);
        let secret = created.json()["secret"].as_str().unwrap().to_owned();
        let id = created.json()["id"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("fwk_"));

        let mut api = app.client();
        api.bearer = Some(secret.clone());
        let me = api.get("/api/v1/me").await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.json()["username"], "finance");

        let listed = c.get("/api/v1/tokens").await.json();
        assert_eq!(listed[0]["name"], "报表同步");
        assert!(
            listed[0]["last_used_at"].is_string(),
            "use is recorded: {listed}"
        );
        assert!(
            listed[0].get("secret").is_none(),
            "secrets are never listed"
        );

        let revoked = c.delete(&format!("/api/v1/tokens/{id}")).await;
        assert_eq!(revoked.status, StatusCode::NO_CONTENT);
        assert_eq!(api.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
        let again = c.delete(&format!("/api/v1/tokens/{id}")).await;
        assert_eq!(again.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn a_bearer_that_is_not_a_token_is_refused() {
    for app in apps().await {
        let mut api = app.client();
        api.bearer = Some("fwk_made-up".to_owned());
        assert_eq!(api.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
        api.bearer = Some("something else".to_owned());
        assert_eq!(api.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn suspending_a_user_refuses_their_session_and_tokens_on_the_next_request() {
    for app in apps().await {
        let mut user = app.signed_in("sales2").await;
        let secret = user
            .post("/api/v1/tokens", &json!({"name": "cli"}))
            .await
            .json()["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut api = app.client();
        api.bearer = Some(secret);
        assert_eq!(api.get("/api/v1/me").await.status, StatusCode::OK);

        let mut admin = app.signed_in("admin").await;
        let res = admin.post("/api/v1/users/sales2/suspend", &json!({})).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(res.json()["suspended"], true);

        assert_eq!(
            user.get("/api/v1/me").await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(api.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);
        let relogin = app
            .client()
            .post(
                "/api/v1/session",
                &json!({"username": "sales2", "password": PASSWORD}),
            )
            .await;
        assert_eq!(relogin.status, StatusCode::FORBIDDEN);
        assert_eq!(relogin.json()["error"], "account_suspended");

        admin
            .post("/api/v1/users/sales2/reinstate", &json!({}))
            .await;
        app.client().login("sales2", PASSWORD).await;
    }
}

#[tokio::test]
async fn only_admins_manage_users_and_bad_input_names_the_field() {
    for app in apps().await {
        let mut sales = app.signed_in("sales1").await;
        let res = sales
            .post(
                "/api/v1/users",
                &json!({"username": "x1", "password": "long-enough"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);

        let mut admin = app.signed_in("admin").await;
        let bad = admin
            .post(
                "/api/v1/users",
                &json!({"username": "Bad Name", "password": "short"}),
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let paths: Vec<_> = bad.json()["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(paths, ["/username", "/password"]);

        let ok = admin
            .post(
                "/api/v1/users",
                &json!({"username": "newbie", "password": "long-enough"}),
            )
            .await;
        assert_eq!(ok.status, StatusCode::CREATED);
        let dup = admin
            .post(
                "/api/v1/users",
                &json!({"username": "newbie", "password": "long-enough"}),
            )
            .await;
        assert_eq!(dup.status, StatusCode::CONFLICT);
        app.client().login("newbie", "long-enough").await;
    }
}

#[tokio::test]
async fn broken_json_is_a_400_with_a_stable_code() {
    for app in apps().await {
        let mut c = app.client();
        let res = c.post_raw("/api/v1/session", b"{\"username\": ", &[]).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        assert_eq!(res.json()["error"], "invalid_json");
        let missing = c.post("/api/v1/session", &json!({"username": "x"})).await;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn healthz_openapi_and_unknown_paths_answer_as_documented() {
    for app in apps().await {
        let mut c = app.client();
        let health = c.get("/healthz").await;
        assert_eq!(health.status, StatusCode::OK);
        assert_eq!(health.json()["status"], "ok");
        assert_eq!(health.json()["database"], app.db.backend().as_str());
        assert!(health.headers.get("x-request-id").is_some());

        let doc = c.get("/api/openapi.json").await.json();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        for path in [
            "/api/v1/session",
            "/api/v1/me",
            "/api/v1/apps",
            "/api/v1/apps/{app}/draft",
            "/api/v1/apps/{app}/validate",
            "/api/v1/apps/{app}/publish",
            "/api/v1/apps/{app}/versions",
            "/api/v1/apps/{app}/versions/{n}",
        ] {
            assert!(doc["paths"].get(path).is_some(), "{path} is documented");
        }
        let offline = serde_json::to_value(formwork_web::openapi()).unwrap();
        assert_eq!(doc, offline, "the served document is the one built offline");

        let missing = c.get("/api/v1/no/such/thing").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(missing.json()["error"], "not_found");
        // A browser's unknown address gets a page (issue 9).
        let page = c.get("/no/such/page").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(page.text().contains("页面不存在"), "{}", page.text());
    }
}

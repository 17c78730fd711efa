//! The app lifecycle over HTTP — import, draft, validate, publish, versions, export — on
//! SQLite and PostgreSQL.

use crate::common::{apps, sample_package};
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn publish_export_import_export_is_byte_identical() {
    for app in apps().await {
        let mut c = app.signed_in("analyst").await;
        let sample = serde_json::to_vec(&sample_package()).unwrap();
        let created = c.post_raw("/api/v1/apps", &sample, &[]).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        assert_eq!(
            created.json()["problems"],
            json!([]),
            "the sample app is clean"
        );

        let published = c
            .post("/api/v1/apps/project-registration/publish", &json!({}))
            .await;
        assert_eq!(published.status, StatusCode::OK, "{}", published.text());
        assert_eq!(published.json()["version"], 1);

        let first = c.get("/api/v1/apps/project-registration/versions/1").await;
        assert_eq!(first.status, StatusCode::OK);
        let put = c
            .put_raw("/api/v1/apps/project-registration/draft", &first.body, &[])
            .await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.text());
        let again = c
            .post("/api/v1/apps/project-registration/publish", &json!({}))
            .await;
        assert_eq!(again.json()["version"], 2);
        let second = c.get("/api/v1/apps/project-registration/versions/2").await;
        assert_eq!(
            first.body, second.body,
            "export → import → export changes nothing"
        );
        assert!(first.text().ends_with('\n'));
        assert!(first.text().contains("华东"), "Chinese stays literal");

        let versions = c
            .get("/api/v1/apps/project-registration/versions")
            .await
            .json();
        let numbers: Vec<_> = versions
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version"].clone())
            .collect();
        assert_eq!(numbers, [json!(1), json!(2)]);
    }
}

#[tokio::test]
async fn importing_an_existing_app_is_a_conflict_and_broken_json_a_400() {
    for app in apps().await {
        let mut c = app.signed_in("admin").await;
        let sample = serde_json::to_vec(&sample_package()).unwrap();
        assert_eq!(
            c.post_raw("/api/v1/apps", &sample, &[]).await.status,
            StatusCode::CREATED
        );
        let dup = c.post_raw("/api/v1/apps", &sample, &[]).await;
        assert_eq!(dup.status, StatusCode::CONFLICT);
        assert_eq!(dup.json()["error"], "conflict");

        let broken = c
            .post_raw("/api/v1/apps", b"{\n  \"id\": \"x\",\n  oops\n}", &[])
            .await;
        assert_eq!(broken.status, StatusCode::BAD_REQUEST);
        let message = broken.json()["fields"][0]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains("第 3 行"), "names the line: {message}");

        let no_id = c
            .post("/api/v1/apps", &json!({"format": "formwork/app@1"}))
            .await;
        assert_eq!(no_id.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(no_id.json()["fields"][0]["path"], "/id");
    }
}

#[tokio::test]
async fn an_invalid_draft_is_stored_but_cannot_be_published() {
    for app in apps().await {
        let mut c = app.signed_in("analyst").await;
        let mut package = sample_package();
        package["forms"][0]["id"] = json!("renamed");
        let created = c.post("/api/v1/apps", &package).await;
        assert_eq!(created.status, StatusCode::CREATED);
        let problems = created.json()["problems"].as_array().unwrap().clone();
        assert!(!problems.is_empty(), "problems are reported on import");

        let validated = c
            .post("/api/v1/apps/project-registration/validate", &json!({}))
            .await
            .json();
        assert_eq!(validated["valid"], false);
        assert!(validated["problems"].as_array().unwrap().iter().any(|p| {
            p["path"].as_str().unwrap().starts_with("/processes/0/form")
                || p["path"].as_str().unwrap().starts_with("/reports")
        }));

        let publish = c
            .post("/api/v1/apps/project-registration/publish", &json!({}))
            .await;
        assert_eq!(publish.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(publish.json()["error"], "invalid");
        assert!(!publish.json()["fields"].as_array().unwrap().is_empty());
        let versions = c
            .get("/api/v1/apps/project-registration/versions")
            .await
            .json();
        assert_eq!(versions, json!([]));
    }
}

#[tokio::test]
async fn a_stale_if_match_on_the_draft_is_refused_with_412() {
    for app in apps().await {
        let mut c = app.signed_in("analyst").await;
        let created = c.post("/api/v1/apps", &sample_package()).await;
        let rev = created.json()["rev"].as_i64().unwrap();
        assert_eq!(
            created.headers.get("etag").unwrap().to_str().unwrap(),
            format!("\"{rev}\"")
        );
        let mut package = sample_package();
        package["name"]["en"] = json!("Project registration (edited)");
        let body = serde_json::to_vec(&package).unwrap();
        let current = format!("\"{rev}\"");
        let first = c
            .put_raw(
                "/api/v1/apps/project-registration/draft",
                &body,
                &[("if-match", &current)],
            )
            .await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.text());
        let stale = c
            .put_raw(
                "/api/v1/apps/project-registration/draft",
                &body,
                &[("if-match", &current)],
            )
            .await;
        assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);

        let draft = c
            .get("/api/v1/apps/project-registration/draft")
            .await
            .json();
        assert_eq!(
            draft["package"]["name"]["en"],
            "Project registration (edited)"
        );
        assert_eq!(draft["rev"], rev + 1);

        let mut other = sample_package();
        other["id"] = json!("another-app");
        let mismatch = c
            .put_raw(
                "/api/v1/apps/project-registration/draft",
                &serde_json::to_vec(&other).unwrap(),
                &[],
            )
            .await;
        assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(mismatch.json()["fields"][0]["path"], "/id");
    }
}

#[tokio::test]
async fn only_designers_can_change_apps_but_everyone_sees_published_ones() {
    for app in apps().await {
        let mut sales = app.signed_in("sales1").await;
        let refused = sales.post("/api/v1/apps", &sample_package()).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(sales.get("/api/v1/apps").await.json(), json!([]));

        let mut analyst = app.signed_in("analyst").await;
        analyst.post("/api/v1/apps", &sample_package()).await;
        assert_eq!(
            sales.get("/api/v1/apps").await.json(),
            json!([]),
            "drafts stay hidden"
        );
        analyst
            .post("/api/v1/apps/project-registration/publish", &json!({}))
            .await;
        let listed = sales.get("/api/v1/apps").await.json();
        assert_eq!(listed[0]["id"], "project-registration");
        assert_eq!(listed[0]["latest_version"], 1);
        assert_eq!(
            sales
                .get("/api/v1/apps/project-registration/draft")
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            analyst.get("/api/v1/apps/nope/versions/1").await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn concurrent_publishes_get_distinct_consecutive_versions() {
    for app in apps().await {
        let c = app.signed_in("analyst").await;
        let mut c = c;
        c.post("/api/v1/apps", &sample_package()).await;
        let cookie = c.cookie().map(str::to_owned);
        let mut handles = Vec::new();
        for _ in 0..8 {
            let mut client = app.client();
            client.set_cookie(cookie.clone());
            handles.push(tokio::spawn(async move {
                client
                    .post("/api/v1/apps/project-registration/publish", &json!({}))
                    .await
                    .json()["version"]
                    .as_i64()
                    .unwrap()
            }));
        }
        let mut versions = Vec::new();
        for h in handles {
            versions.push(h.await.unwrap());
        }
        versions.sort();
        assert_eq!(versions, (1..=8).collect::<Vec<_>>());
    }
}

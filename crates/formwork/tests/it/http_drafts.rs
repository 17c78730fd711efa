//! Drafts (暂存) over HTTP on SQLite and PostgreSQL: a half-filled form saved with only type
//! checks, reopened and completed with `If-Match`, seen by nobody but its owner, submitted
//! into the next gap-free number with its approval started; the expiry sweep.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::common::{Client, TestApp, apps, only_task_of, sample_package};

const SAMPLE: &str = "project-registration";
const DRAFTS: &str = "/api/v1/apps/project-registration/forms/project/drafts";
const RECORDS: &str = "/api/v1/apps/project-registration/forms/project/records";

async fn publish_sample(app: &TestApp) {
    let mut c = app.signed_in("analyst").await;
    let created = c.post("/api/v1/apps", &sample_package()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let published = c
        .post(&format!("/api/v1/apps/{SAMPLE}/publish"), &json!({}))
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
}

fn complete(name: &str) -> Value {
    json!({"name": name, "customer": "某客户", "contact_phone": "13800138000",
        "amount": "30000", "region": "华南"})
}

async fn submit(c: &mut Client, name: &str) -> Value {
    let res = c.post(RECORDS, &complete(name)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    res.json()
}

/// The sequence part of a record number (`PRJ-2026-00003` → 3).
fn seq(record: &Value) -> u32 {
    let number = record["number"].as_str().unwrap();
    number.rsplit('-').next().unwrap().parse().unwrap()
}

async fn put(
    c: &mut Client,
    id: &str,
    rev: Option<&str>,
    data: &Value,
) -> crate::common::client::Response {
    let mut headers = Vec::new();
    if let Some(rev) = rev {
        headers.push(("if-match", rev));
    }
    c.send(
        Method::PUT,
        &format!("/api/v1/drafts/{id}"),
        Some(data.to_string().into_bytes()),
        &headers,
    )
    .await
}

#[tokio::test]
async fn a_draft_saved_half_filled_is_completed_submitted_numbered_and_approved_by_its_owner_only()
{
    for app in apps().await {
        publish_sample(&app).await;
        let mut sales1 = app.signed_in("sales1").await;
        let first = submit(&mut sales1, "先提交的项目").await;

        // Saved with required fields missing: only types are checked, no number is taken.
        let res = sales1.post(DRAFTS, &json!({"name": "智慧园区"})).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
        let draft = res.json();
        let id = draft["id"].as_str().unwrap().to_owned();
        assert_eq!(draft["rev"], 1);
        assert_eq!(draft["data"], json!({"name": "智慧园区"}));
        let wrong_type = sales1.post(DRAFTS, &json!({"amount": "一百"})).await;
        assert_eq!(
            wrong_type.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            wrong_type.text()
        );

        // Someone submits meanwhile and takes the next number.
        let mut sales2 = app.signed_in("sales2").await;
        let second = submit(&mut sales2, "别人的项目").await;
        assert_eq!(seq(&second), seq(&first) + 1);

        // Nobody but the owner sees the draft, not even an admin or a list.
        let mut admin = app.signed_in("admin").await;
        for c in [&mut sales2, &mut admin] {
            assert_eq!(
                c.get(&format!("/api/v1/drafts/{id}")).await.status,
                StatusCode::NOT_FOUND
            );
            assert_eq!(
                c.get(&format!("/api/v1/records/{id}")).await.status,
                StatusCode::NOT_FOUND
            );
            assert_eq!(c.get("/api/v1/drafts").await.json()["items"], json!([]));
            let listed = c.get(RECORDS).await.json();
            assert!(!listed.to_string().contains(&id), "{listed}");
            let submit = c
                .post(&format!("/api/v1/drafts/{id}/submit"), &json!({}))
                .await;
            assert_eq!(submit.status, StatusCode::NOT_FOUND);
        }

        // Reopened by its owner, completed with If-Match.
        let mine = sales1.get("/api/v1/drafts").await.json();
        assert_eq!(mine["items"][0]["id"], id.as_str());
        let reopened = sales1.get(&format!("/api/v1/drafts/{id}")).await;
        assert_eq!(reopened.headers["etag"], "\"1\"");
        assert_eq!(
            put(&mut sales1, &id, None, &complete("智慧园区"))
                .await
                .status,
            StatusCode::PRECONDITION_REQUIRED
        );
        assert_eq!(
            put(&mut sales1, &id, Some("\"7\""), &complete("智慧园区"))
                .await
                .status,
            StatusCode::PRECONDITION_FAILED
        );
        let incomplete = sales1
            .post(&format!("/api/v1/drafts/{id}/submit"), &json!({}))
            .await;
        assert_eq!(
            incomplete.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "full validation on submit"
        );
        let saved = put(&mut sales1, &id, Some("\"1\""), &complete("智慧园区")).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
        assert_eq!(saved.json()["rev"], 2);

        // Submitted: the next gap-free number, the approval started, one record.
        let res = sales1
            .send(
                Method::POST,
                &format!("/api/v1/drafts/{id}/submit"),
                None,
                &[],
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
        let record = res.json();
        assert_eq!(record["id"], id.as_str());
        assert_eq!(record["status"], "in_review");
        assert_eq!(seq(&record), seq(&second) + 1, "{record}");
        only_task_of(&app, &id, "manager1").await;
        assert_eq!(
            sales1.get(&format!("/api/v1/drafts/{id}")).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            sales1.get("/api/v1/drafts").await.json()["items"],
            json!([])
        );
        assert_eq!(
            admin.get(&format!("/api/v1/records/{id}")).await.status,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn drafts_are_discarded_by_their_owner_or_when_they_expire() {
    for app in apps().await {
        publish_sample(&app).await;
        let mut sales1 = app.signed_in("sales1").await;
        let kept = sales1.post(DRAFTS, &json!({"name": "留着"})).await.json();
        let dropped = sales1.post(DRAFTS, &json!({"name": "删掉"})).await.json();
        let url = format!("/api/v1/drafts/{}", dropped["id"].as_str().unwrap());
        assert_eq!(sales1.delete(&url).await.status, StatusCode::NO_CONTENT);
        assert_eq!(sales1.get(&url).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            sales1.get("/api/v1/drafts").await.json()["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let soon = OffsetDateTime::now_utc() - time::Duration::days(1);
        assert_eq!(
            app.runtime.purge_drafts(soon).await.unwrap(),
            0,
            "a fresh draft stays"
        );
        let later = OffsetDateTime::now_utc() + time::Duration::days(1);
        assert_eq!(app.runtime.purge_drafts(later).await.unwrap(), 1);
        let kept_url = format!("/api/v1/drafts/{}", kept["id"].as_str().unwrap());
        assert_eq!(sales1.get(&kept_url).await.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_pages_save_a_draft_reopen_it_and_submit_it() {
    use crate::common::pages::Browser;
    for app in apps().await {
        publish_sample(&app).await;
        let mut b = Browser::signed_in(&app, "sales1").await;
        let new = format!("/apps/{SAMPLE}/forms/project/new");
        let page = b.get(&new).await;
        assert!(
            page.html.contains("id=\"save-draft\""),
            "暂存 on the new-record page"
        );
        let saved = b
            .post_form(&new, &[("name", "页面草稿"), ("__action", "draft")])
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
        let at = saved.location().to_owned();
        assert!(at.starts_with("/drafts/"), "{at}");
        let draft = b.get(&at).await;
        assert!(draft.html.contains("已暂存"), "{}", draft.html);
        assert!(draft.html.contains("页面草稿"));
        let list = b.get("/drafts").await;
        assert!(list.html.contains("id=\"drafts\""), "{}", list.html);
        let path = at.split('?').next().unwrap().to_owned();
        let refused = b
            .post_form(&path, &[("__rev", "1"), ("name", "页面草稿")])
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "required fields on submit"
        );
        let done = b
            .post_form(
                &path,
                &[
                    ("__rev", "1"),
                    ("name", "页面草稿"),
                    ("customer", "某客户"),
                    ("contact_phone", "13800138000"),
                    ("amount", "30000"),
                    ("region", "华南"),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
        assert_eq!(done.location(), path.replace("/drafts/", "/records/"));
    }
}

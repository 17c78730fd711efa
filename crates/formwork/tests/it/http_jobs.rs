//! Background work over HTTP, on both backends: the jobs API and page for admins (list by
//! state, retry, discard; 403 for others), the calendar API and page (read, save, import a
//! year with line-numbered errors), a user's notification settings, a record's rule runs,
//! and the OpenAPI document naming it all.

use axum::http::StatusCode;
use formwork_store::{Claim, JobFinish, NewJob};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::common::pages::Browser;
use crate::common::{TestApp, apps};

/// A consumer of the app's queue, sending nothing anywhere.
pub fn consumer(app: &TestApp) -> formwork_jobs::Consumer {
    let deliverer = formwork_jobs::Deliverer {
        client: formwork_jobs::net::SafeClient::new(formwork_jobs::net::HttpConfig::default()),
        mailer: None,
        integrations: std::sync::Arc::new(formwork_jobs::config::Integrations {
            webhook_secret: Some("secret".into()),
            ..formwork_jobs::config::Integrations::default()
        }),
        public_url: None,
    };
    formwork_jobs::Consumer::new(
        app.runtime.clone(),
        "test".into(),
        std::sync::Arc::new(formwork_jobs::SystemClock),
        deliverer,
        formwork_jobs::config::WorkerConfig::default(),
    )
}

/// A dead webhook job, as after its tries ran out.
async fn dead_job(app: &TestApp) -> String {
    let mut job = NewJob::new(
        "deliver.webhook",
        json!({"url": "http://example.test/hook", "body": {}}),
    );
    job.event_id = Some(format!("evt-{}", formwork_store::new_id()));
    app.store.enqueue_job(job).await.unwrap();
    let claim = Claim {
        owner: "test".into(),
        now: OffsetDateTime::now_utc() + time::Duration::seconds(1),
        lease: time::Duration::minutes(1),
        limit: 1,
    };
    let claimed = app.store.claim_jobs(&claim).await.unwrap().pop().unwrap();
    let dead = JobFinish::Dead {
        code: "address_refused".into(),
        error: "已拒绝访问 example.test：10.0.0.1 是内网地址".into(),
    };
    app.store
        .finish_job(&claimed.lease(), dead, None, OffsetDateTime::now_utc())
        .await
        .unwrap();
    claimed.id
}

#[tokio::test]
async fn admins_list_jobs_by_state_and_retry_or_discard_them_and_nobody_else_may() {
    for app in apps().await {
        let id = dead_job(&app).await;
        let mut sales = app.signed_in("sales1").await;
        assert_eq!(
            sales.get("/api/v1/jobs").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            sales
                .post(&format!("/api/v1/jobs/{id}/retry"), &json!({}))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let mut admin = app.signed_in("admin").await;
        let dead = admin.get("/api/v1/jobs?state=dead").await;
        assert_eq!(dead.status, StatusCode::OK, "{}", dead.text());
        let items = dead.json()["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["id"], id.as_str());
        assert_eq!(items[0]["state"], "dead");
        assert_eq!(items[0]["last_error_code"], "address_refused");
        let bad = admin.get("/api/v1/jobs?state=finished").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert_eq!(bad.json()["fields"][0]["path"], "/state");

        let retried = admin
            .post(&format!("/api/v1/jobs/{id}/retry"), &json!({}))
            .await;
        assert_eq!(retried.status, StatusCode::OK, "{}", retried.text());
        assert_eq!(retried.json()["state"], "pending");
        assert_eq!(retried.json()["attempts"], 0);
        let detail = admin.get(&format!("/api/v1/jobs/{id}")).await.json();
        assert_eq!(detail["job"]["state"], "pending");
        let discarded = admin
            .post(&format!("/api/v1/jobs/{id}/discard"), &json!({}))
            .await;
        assert_eq!(discarded.status, StatusCode::OK);
        let gone = admin
            .post(&format!("/api/v1/jobs/{id}/discard"), &json!({}))
            .await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND);
        assert!(
            admin.get("/api/v1/jobs?state=dead").await.json()["items"]
                .as_array()
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn the_jobs_page_shows_errors_in_chinese_and_retries_from_a_form() {
    for app in apps().await {
        let id = dead_job(&app).await;
        let mut sales = Browser::signed_in(&app, "sales1").await;
        assert_eq!(sales.get("/admin/jobs").await.status, StatusCode::FORBIDDEN);
        let mut admin = Browser::signed_in(&app, "admin").await;
        let page = admin.get("/admin/jobs?state=dead").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.html.contains("后台任务"), "{}", page.html);
        assert!(page.html.contains("已放弃"));
        assert!(page.html.contains("已拒绝访问 example.test"));
        let posted = admin
            .post_form(&format!("/admin/jobs/{id}/retry"), &[("state", "dead")])
            .await;
        assert_eq!(posted.status, StatusCode::SEE_OTHER);
        assert_eq!(posted.location(), "/admin/jobs?state=dead&flash=retried");
        let after = admin.get(posted.location()).await;
        assert!(after.element("flash").contains("任务已重新排队"));
        assert!(after.html.contains("jobs-empty"), "no dead job left");
        let discarded = admin
            .post_form(&format!("/admin/jobs/{id}/discard"), &[])
            .await;
        assert_eq!(discarded.location(), "/admin/jobs?flash=discarded");
        let again = admin
            .post_form(&format!("/admin/jobs/{id}/retry"), &[])
            .await;
        assert_eq!(again.location(), "/admin/jobs?error=gone");
        assert!(
            admin
                .get(again.location())
                .await
                .element("jobs-error")
                .contains("已不存在")
        );
        let en = admin.get("/admin/jobs?lang=en").await;
        assert!(en.html.contains("Background jobs"));
    }
}

#[tokio::test]
async fn admins_read_save_and_import_the_calendar_with_line_numbered_errors() {
    for app in apps().await {
        let mut admin = app.signed_in("admin").await;
        let got = admin.get("/api/v1/calendar").await;
        assert_eq!(got.status, StatusCode::OK);
        let calendar = got.json()["calendar"].clone();
        let years: Vec<i64> = calendar["years"]
            .as_array()
            .unwrap()
            .iter()
            .map(|y| y["year"].as_i64().unwrap())
            .collect();
        assert!(years.contains(&2026), "{years:?}");
        let mut broken = calendar.clone();
        broken["working_weekdays"] = json!([1, 9]);
        let refused = admin
            .put_raw(
                "/api/v1/calendar",
                broken.to_string().as_bytes(),
                &[("content-type", "application/json")],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.text()
        );
        let csv = "2027-01-01,holiday,元旦\n2027-02-30,holiday,不存在\n";
        let bad = admin
            .post_raw(
                "/api/v1/calendar/years/2027",
                csv.as_bytes(),
                &[("content-type", "text/csv")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let field = &bad.json()["fields"][0];
        assert_eq!(field["path"], "/lines/2");
        assert!(
            field["message"].as_str().unwrap().contains("第 2 行"),
            "{field}"
        );
        let good = "2027-01-01,holiday,元旦\n2027-02-20,workday,春节调休上班\n";
        let saved = admin
            .post_raw(
                "/api/v1/calendar/years/2027?source=test",
                good.as_bytes(),
                &[("content-type", "text/csv")],
            )
            .await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.text());
        let body = saved.json();
        assert_eq!(
            body["updated_by"],
            app.runtime
                .user_by_username("admin")
                .await
                .unwrap()
                .id
                .as_str()
        );
        let y2027 = body["calendar"]["years"]
            .as_array()
            .unwrap()
            .iter()
            .find(|y| y["year"] == 2027)
            .cloned()
            .unwrap();
        assert_eq!(y2027["days"].as_array().unwrap().len(), 2);
        assert_eq!(y2027["source"], "test");
        let mut sales = app.signed_in("sales1").await;
        assert_eq!(
            sales.get("/api/v1/calendar").await.status,
            StatusCode::FORBIDDEN
        );

        let mut page = Browser::signed_in(&app, "admin").await;
        let shown = page.get("/admin/calendar").await;
        assert_eq!(shown.status, StatusCode::OK);
        assert!(
            shown.html.contains("国庆节") && shown.html.contains("调休上班"),
            "{}",
            shown.html
        );
        let form = page
            .post_form(
                "/admin/calendar/import",
                &[
                    ("year", "2028"),
                    ("schedule", "2028-01-01,holiday,元旦\n2028-13-01,holiday,x"),
                ],
            )
            .await;
        assert_eq!(form.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            form.element("calendar-errors").contains("第 2 行"),
            "{}",
            form.html
        );
        assert!(form.html.contains("2028-13-01"), "the text is kept");
        let week = page
            .post_form(
                "/admin/calendar/week",
                &[
                    ("weekday", "1"),
                    ("weekday", "2"),
                    ("weekday", "3"),
                    ("weekday", "4"),
                    ("weekday", "5"),
                    ("weekday", "6"),
                    ("hours", "09:00-12:00, 13:00-17:30"),
                ],
            )
            .await;
        assert_eq!(week.location(), "/admin/calendar?saved=week");
        let after = admin.get("/api/v1/calendar").await.json();
        assert_eq!(
            after["calendar"]["working_weekdays"],
            json!([1, 2, 3, 4, 5, 6])
        );
        assert_eq!(after["calendar"]["working_hours"][1]["end"], "17:30");
    }
}

#[tokio::test]
async fn people_choose_their_mail_and_in_app_stays_on() {
    for app in apps().await {
        let mut sales = app.signed_in("sales1").await;
        let initial = sales.get("/api/v1/me/notification-settings").await.json();
        assert_eq!(initial, json!({"email": true, "lang": "zh-CN"}));
        let bad = sales
            .put_raw(
                "/api/v1/me/notification-settings",
                br#"{"email": false, "lang": "fr"}"#,
                &[("content-type", "application/json")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let saved = sales
            .put_raw(
                "/api/v1/me/notification-settings",
                br#"{"email": false, "lang": "en"}"#,
                &[("content-type", "application/json")],
            )
            .await;
        assert_eq!(saved.json(), json!({"email": false, "lang": "en"}));
        let mut browser = Browser::signed_in(&app, "sales1").await;
        let page = browser.get("/settings/notifications").await;
        assert!(
            page.html.contains("站内消息（始终开启）") && page.html.contains("sales1@example.com")
        );
        let posted = browser
            .post_form(
                "/settings/notifications",
                &[("email", "on"), ("lang", "zh-CN")],
            )
            .await;
        assert_eq!(posted.location(), "/settings/notifications?saved=1");
        assert_eq!(
            sales.get("/api/v1/me/notification-settings").await.json()["email"],
            true
        );
    }
}

fn alerting_package() -> Value {
    json!({
        "format": "formwork/app@1",
        "id": "alerts",
        "name": {"zh-CN": "告警", "en": "Alerts"},
        "forms": [{"id": "alert", "name": {"zh-CN": "告警"},
                   "schema": {"type": "object", "properties": {"title": {"type": "string"}}},
                   "permissions": {"create": ["*"], "read_own": ["*"]}}],
        "rules": [{"id": "tell", "name": {"zh-CN": "告警通知", "en": "Alert notice"}, "form": "alert",
                   "trigger": "created",
                   "actions": [{"type": "notify", "to": [{"type": "owner"}], "message": {"zh-CN": "收到告警 {{ title }}"}},
                               {"type": "webhook", "url": "http://10.0.0.1/hook"}]}]
    })
}

#[tokio::test]
async fn a_records_rule_runs_and_a_refused_webhook_show_on_its_page_and_in_its_api() {
    for app in apps().await {
        let admin = formwork_runtime::system_actor();
        let imported = app
            .runtime
            .import_app(&alerting_package(), &admin, false)
            .await
            .unwrap();
        app.runtime.publish(&imported.app_id, &admin).await.unwrap();
        let mut sales = app.signed_in("sales2").await;
        let created = sales
            .post(
                "/api/v1/apps/alerts/forms/alert/records",
                &json!({"title": "磁盘满"}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        let id = created.json()["id"].as_str().unwrap().to_owned();
        let consumer = consumer(&app);
        for _ in 0..4 {
            consumer.round().await.unwrap();
        }
        let runs = sales.get(&format!("/api/v1/records/{id}/rule-runs")).await;
        assert_eq!(runs.status, StatusCode::OK);
        let runs = runs.json();
        assert_eq!(runs[0]["rule_id"], "tell");
        assert_eq!(runs[0]["actions"][0]["outcome"], "done");
        assert_eq!(runs[0]["actions"][1]["outcome"], "queued");
        let delivery = &runs[0]["deliveries"][0];
        assert_eq!(
            delivery["job"]["state"], "dead",
            "refused for good: {delivery}"
        );
        assert_eq!(delivery["tries"][0]["code"], "address_refused");
        let mut browser = Browser::signed_in(&app, "sales2").await;
        let page = browser.get(&format!("/records/{id}")).await;
        let section = page.element("rule-runs-title");
        assert!(section.contains("自动化规则运行记录"), "{section}");
        assert!(page.html.contains("告警通知") && page.html.contains("记录创建时"));
        assert!(
            page.html.contains("已拒绝访问 10.0.0.1") && page.html.contains("允许列表"),
            "{}",
            page.html
        );
        let mut other = app.signed_in("sales1").await;
        assert_eq!(
            other
                .get(&format!("/api/v1/records/{id}/rule-runs"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        // The rule's in-app message, on the messages page until marked read.
        let messages = browser.get("/messages").await;
        let list = messages.element("messages");
        assert!(messages.html.contains("收到告警 磁盘满"), "{list}");
        assert!(
            messages.html.contains(&format!("&#x2f;records&#x2f;{id}")),
            "{}",
            messages.html
        );
        let read = browser.post_form("/messages/read", &[]).await;
        assert_eq!(read.location(), "/messages");
        assert!(!browser.get("/messages").await.html.contains("is-unread"));
    }
}

#[tokio::test]
async fn the_openapi_document_names_the_jobs_calendar_and_hook_endpoints() {
    let doc = formwork_web::openapi();
    let doc: Value = serde_json::to_value(&doc).unwrap();
    for path in [
        "/api/v1/jobs",
        "/api/v1/jobs/{id}",
        "/api/v1/jobs/{id}/retry",
        "/api/v1/jobs/{id}/discard",
        "/api/v1/records/{id}/rule-runs",
        "/api/v1/calendar",
        "/api/v1/calendar/years/{year}",
        "/api/v1/me/notification-settings",
        "/api/v1/apps/{app}/hooks/{hook}",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
}

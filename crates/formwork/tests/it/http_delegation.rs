//! Delegation on SQLite and PostgreSQL: manager1 is away with manager2 as delegate. Their
//! open task moves over, a task created during the absence lands with manager2 directly, the
//! timeline says manager2 acted on manager1's behalf, and taking back returns what is open.

use crate::common::pages::Browser;
use crate::common::{TestApp, apps, only_task_of, sample_package};
use axum::http::StatusCode;
use serde_json::json;
use time::OffsetDateTime;

const PROJECTS: &str = "/api/v1/apps/project-registration/forms/project/records";

async fn published(app: &TestApp) {
    let mut analyst = app.signed_in("analyst").await;
    let res = analyst.post("/api/v1/apps", &sample_package()).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let res = analyst
        .post("/api/v1/apps/project-registration/publish", &json!({}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
}

/// sales1 submits a small 华南 project: it waits for their department head, manager1.
async fn small_project(app: &TestApp, name: &str) -> String {
    let mut sales1 = app.signed_in("sales1").await;
    let res = sales1
        .post(
            PROJECTS,
            &json!({"name": name, "customer": "上海甲公司", "contact_phone": "13800138000",
                    "amount": "20000", "region": "华南"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    res.json()["id"].as_str().unwrap().to_owned()
}

fn local(t: OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    t.to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap())
        .format(&f)
        .unwrap()
}

#[tokio::test]
async fn tasks_of_someone_away_go_to_their_delegate_and_come_back_when_taken_back() {
    for app in apps().await {
        published(&app).await;
        let before = small_project(&app, "外出前提交的项目").await;
        only_task_of(&app, &before, "manager1").await;

        let mut manager1 = Browser::signed_in(&app, "manager1").await;
        let now = OffsetDateTime::now_utc();
        let set = manager1
            .post_form(
                "/settings/delegation",
                &[
                    ("delegate", "manager2"),
                    ("starts_at", &local(now - time::Duration::hours(1))),
                    ("ends_at", &local(now + time::Duration::days(3))),
                ],
            )
            .await;
        assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.html);
        assert_eq!(set.location(), "/settings/delegation?moved=1");
        only_task_of(&app, &before, "manager2").await;

        let during = small_project(&app, "外出期间提交的项目").await;
        let task = only_task_of(&app, &during, "manager2").await;
        let mut manager2 = app.signed_in("manager2").await;
        let res = manager2
            .post(
                &format!("/api/v1/tasks/{task}/decide"),
                &json!({"action": "approve", "comment": "代为审批"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let mut sales1 = Browser::signed_in(&app, "sales1").await;
        let page = sales1.get(&format!("/records/{during}")).await;
        assert!(
            page.html.contains("代 华东销售部经理 王强 处理：同意"),
            "{}",
            page.html
        );

        let back = manager1
            .post_form("/settings/delegation/take-back", &[])
            .await;
        assert_eq!(back.location(), "/settings/delegation?moved=1");
        only_task_of(&app, &before, "manager1").await;
        let after = small_project(&app, "回来后提交的项目").await;
        only_task_of(&app, &after, "manager1").await;
    }
}

#[tokio::test]
async fn a_delegation_written_past_this_server_is_honoured_on_its_next_submission() {
    for app in apps().await {
        published(&app).await;
        // The server holds the directory (delegations included) after this submission.
        let before = small_project(&app, "外出前提交的项目").await;
        only_task_of(&app, &before, "manager1").await;
        // Written as another instance would: only the directory epoch tells this one.
        let users = |name: &'static str| {
            let store = app.store.clone();
            async move { store.get_user_by_username(name).await.unwrap().unwrap() }
        };
        let (manager1, manager2) = (users("manager1").await, users("manager2").await);
        let now = OffsetDateTime::now_utc();
        let delegation = formwork_store::Delegation {
            user_id: manager1.id.clone(),
            delegate_id: manager2.id.clone(),
            starts_at: now - time::Duration::hours(1),
            ends_at: now + time::Duration::days(1),
        };
        app.store
            .put_delegation(&manager1.id, Some(&delegation))
            .await
            .unwrap();
        let during = small_project(&app, "外出期间提交的项目").await;
        only_task_of(&app, &during, "manager2").await;
    }
}

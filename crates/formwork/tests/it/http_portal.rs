//! The client portal on SQLite and PostgreSQL: client1 (上海示例科技有限公司) and client2
//! (another customer) each see only their customer's projects, never the internal fields or
//! comments; a change request goes to the project's owner and its outcome comes back; a file
//! a client adds is shared with the team and nobody else.

use crate::common::pages::Browser;
use crate::common::{TestApp, apps, only_task_of, sample_package};
use axum::http::StatusCode;
use formwork_runtime::{DEMO_CUSTOMER, OTHER_CUSTOMER};
use serde_json::{Value, json};

const PROJECTS: &str = "/api/v1/apps/project-registration/forms/project/records";
const REQUESTS: &str = "/api/v1/apps/project-registration/forms/change_request/records";

/// The full sample app published, and the portal demo (customers, client accounts,
/// projects) in it.
pub(crate) async fn portal_demo(app: &TestApp) {
    let mut analyst = app.signed_in("analyst").await;
    let res = analyst.post("/api/v1/apps", &sample_package()).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let res = analyst
        .post("/api/v1/apps/project-registration/publish", &json!({}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    app.runtime
        .ensure_demo_portal(time::OffsetDateTime::now_utc(), true)
        .await
        .unwrap();
}

/// The projects `username` lists through the records API.
pub(crate) async fn projects_of(app: &TestApp, username: &str) -> Vec<Value> {
    let mut c = app.signed_in(username).await;
    let res = c.get(PROJECTS).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    res.json()["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn each_client_lists_only_their_customers_projects_without_internal_fields() {
    for app in apps().await {
        portal_demo(&app).await;
        for (client, customer, count) in [
            ("client1", DEMO_CUSTOMER, 2),
            ("client2", OTHER_CUSTOMER, 1),
        ] {
            let items = projects_of(&app, client).await;
            assert_eq!(items.len(), count, "{client}");
            for item in &items {
                assert_eq!(item["data"]["customer"], customer);
                assert!(item["data"].get("amount").is_none(), "{item}");
                assert!(item["data"].get("description").is_none(), "{item}");
                assert!(item["data"]["milestones"].is_array());
            }
        }
        let theirs = projects_of(&app, "client2").await;
        let other_id = theirs[0]["id"].as_str().unwrap();
        let mut client1 = app.signed_in("client1").await;
        let res = client1.get(&format!("/api/v1/records/{other_id}")).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        let res = client1.get(&format!("{PROJECTS}?filter=amount:gt:1")).await;
        assert_eq!(
            res.status,
            StatusCode::BAD_REQUEST,
            "amount is unknown to clients"
        );
        let res = client1.get(&format!("{PROJECTS}?q=驻场")).await;
        assert_eq!(
            res.json()["items"],
            json!([]),
            "description is not searched"
        );
        let mut page = Browser::signed_in(&app, "client1").await;
        assert_eq!(
            page.get(&format!("/portal/records/{other_id}"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn the_portal_shows_progress_and_milestones_but_no_internal_comment_or_amount() {
    for app in apps().await {
        portal_demo(&app).await;
        let mine = projects_of(&app, "client1").await;
        let approved = mine
            .iter()
            .find(|p| p["status"] == "approved")
            .expect("the demo approves one project");
        let id = approved["id"].as_str().unwrap();
        let mut sales1 = Browser::signed_in(&app, "sales1").await;
        let res = sales1
            .post_form(
                &format!("/records/{id}/comments"),
                &[("body", "内部：客户预算偏紧")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let res = sales1
            .post_form(
                &format!("/records/{id}/thread"),
                &[("body", "您好，需求确认已完成。")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);

        let mut client = Browser::signed_in(&app, "client1").await;
        let home = client.get("/portal").await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.html.contains("示例科技数据中台一期"));
        assert!(!home.html.contains("另一信息运维外包"));
        let page = client.get(&format!("/portal/records/{id}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
        for shown in [
            "需求确认",
            "系统上线",
            "部门负责人审批",
            "您好，需求确认已完成。",
        ] {
            assert!(page.html.contains(shown), "{shown} missing");
        }
        for hidden in [
            "30000",
            "30,000",
            "内部：客户预算偏紧",
            "驻场",
            "同意，请按计划推进",
        ] {
            assert!(!page.html.contains(hidden), "{hidden} leaked");
        }
        let res = client
            .post_form(&format!("/records/{id}/comments"), &[("body", "x")])
            .await;
        assert_eq!(
            res.status,
            StatusCode::NOT_FOUND,
            "internal comments do not exist for clients"
        );
        let res = client.get(&format!("/records/{id}")).await;
        assert_eq!(res.location(), format!("/portal/records/{id}"));
    }
}

#[tokio::test]
async fn a_change_request_goes_to_the_project_owner_and_its_outcome_comes_back() {
    for app in apps().await {
        portal_demo(&app).await;
        let mine = projects_of(&app, "client1").await;
        let project = mine.iter().find(|p| p["status"] == "approved").unwrap();
        let id = project["id"].as_str().unwrap();
        let mut client = Browser::signed_in(&app, "client1").await;
        let form = client
            .get(&format!("/portal/records/{id}/new/change_request"))
            .await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(
            !form.html.contains("name=\"project_owner\""),
            "filled by the server"
        );
        let pdf: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
        let sent = client
            .post_multipart(
                &format!("/portal/records/{id}/new/change_request"),
                &[
                    ("title", "上线日期推迟两周"),
                    ("change_type", "schedule"),
                    ("details", "因内部评审，希望上线推迟到三月中旬。"),
                ],
                &[("attachments", "评审意见.pdf", pdf)],
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);

        let mut c1 = app.signed_in("client1").await;
        let requests = c1.get(REQUESTS).await.json();
        let request = &requests["items"][0];
        assert_eq!(request["data"]["project_owner"], "sales1");
        assert_eq!(request["data"]["customer"], DEMO_CUSTOMER);
        assert_eq!(
            request["data"]["attachments"][0]["content_type"],
            "application/pdf"
        );
        let rid = request["id"].as_str().unwrap();
        let task = only_task_of(&app, rid, "sales1").await;
        let mut sales1 = app.signed_in("sales1").await;
        let res = sales1
            .post(
                &format!("/api/v1/tasks/{task}/decide"),
                &json!({"action": "approve", "comment": "同意调整"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());

        let page = client.get(&format!("/portal/records/{id}")).await;
        assert!(page.html.contains("上线日期推迟两周"));
        assert!(page.html.contains("已通过"), "the outcome shows");
        let mut c2 = app.signed_in("client2").await;
        assert_eq!(c2.get(REQUESTS).await.json()["items"], json!([]));
        assert_eq!(
            c2.get(&format!("/api/v1/records/{rid}")).await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn a_file_a_client_adds_is_shared_with_the_team_and_no_other_client() {
    for app in apps().await {
        portal_demo(&app).await;
        let mine = projects_of(&app, "client1").await;
        let id = mine[0]["id"].as_str().unwrap().to_owned();
        let mut client = Browser::signed_in(&app, "client1").await;
        let res = client
            .post_multipart(
                &format!("/portal/records/{id}/files"),
                &[],
                &[("file", "需求说明.pdf", b"%PDF-1.4\n%%EOF\n")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.html);
        let page = client.get(&format!("/portal/records/{id}")).await;
        assert!(page.html.contains("需求说明.pdf"));
        let start = page
            .html
            .find(&format!("/portal/records/{id}/files/").replace('/', "&#x2f;"))
            .unwrap();
        let url: String = page.html[start..]
            .chars()
            .take_while(|c| *c != '"')
            .collect::<String>()
            .replace("&#x2f;", "/");
        assert_eq!(client.get(&url).await.status, StatusCode::OK);
        let mut other = Browser::signed_in(&app, "client2").await;
        assert_eq!(other.get(&url).await.status, StatusCode::NOT_FOUND);
        let shared = app
            .runtime
            .shared_files(
                &app.runtime_caller("sales1").await,
                &crate::common::rid(&id),
            )
            .await
            .unwrap();
        assert_eq!(shared.len(), 1);
    }
}

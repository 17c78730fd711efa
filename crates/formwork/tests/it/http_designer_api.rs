//! The designer's server side over HTTP, on SQLite and PostgreSQL: a test submission checked
//! like a real one and not stored, the real form page as a draft preview, the draft's process
//! walked, flow test cases run and gating publication, expressions checked as typed, diffs
//! between versions in words, roll-back. Designers only.

use crate::common::pages::Browser;
use crate::common::{TestApp, apps, sample_package};
use axum::http::{StatusCode, header};
use serde_json::{Value, json};

const APP: &str = "/api/v1/apps/project-registration";

/// The sample imported as a draft by `analyst` (not published).
async fn imported(app: &TestApp) -> crate::common::client::Client {
    let mut c = app.signed_in("analyst").await;
    let sample = serde_json::to_vec(&sample_package()).unwrap();
    let created = c.post_raw("/api/v1/apps", &sample, &[]).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    c
}

/// Changes the draft with `edit` and saves it.
async fn edit_draft(c: &mut crate::common::client::Client, edit: impl FnOnce(&mut Value)) {
    let mut package = c.get(&format!("{APP}/draft")).await.json()["package"].clone();
    edit(&mut package);
    let put = c
        .put_raw(
            &format!("{APP}/draft"),
            &serde_json::to_vec(&package).unwrap(),
            &[],
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
}

fn valid_project() -> Value {
    json!({"name": "智慧园区", "customer": "某客户", "contact_phone": "13800138000",
           "amount": "120000", "region": "华东",
           "start_date": "2026-01-01", "end_date": "2026-06-30"})
}

#[tokio::test]
async fn a_test_submission_gets_the_real_messages_and_stores_nothing() {
    for app in apps().await {
        let mut c = imported(&app).await;
        let check = format!("{APP}/draft/forms/project/check");
        let ok = c.post(&check, &valid_project()).await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
        assert_eq!(ok.json(), json!({"ok": true}));

        let mut bad = valid_project();
        bad["contact_phone"] = json!("12345");
        bad["end_date"] = json!("2025-01-01");
        let refused = c.post(&format!("{check}?lang=zh-CN"), &bad).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let body = refused.json();
        let paths: Vec<&str> = body["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        assert!(paths.contains(&"/contact_phone"), "{}", refused.text());
        assert!(
            refused.text().contains("结束日期不能早于开始日期"),
            "{}",
            refused.text()
        );

        // The very body a real submission gets, once published.
        assert_eq!(
            c.post(&format!("{APP}/publish"), &json!({})).await.status,
            StatusCode::OK
        );
        let mut sales = app.signed_in("sales1").await;
        let real = sales
            .post(
                "/api/v1/apps/project-registration/forms/project/records?lang=zh-CN",
                &bad,
            )
            .await;
        assert_eq!(real.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(real.json(), refused.json());

        let list = sales
            .get("/api/v1/apps/project-registration/forms/project/records")
            .await;
        assert_eq!(list.json()["items"], json!([]), "nothing was stored");
        let refused = sales.post(&check, &valid_project()).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let missing = c
            .post(&format!("{APP}/draft/forms/ghost/check"), &json!({}))
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_preview_is_the_server_page_of_the_draft_and_its_submit_only_checks() {
    for app in apps().await {
        let mut c = imported(&app).await;
        edit_draft(&mut c, |p| {
            let form = &mut p["forms"][0];
            form["schema"]["properties"]["budget_note"] = json!({"type": "string"});
            form["ui"]["fields"]["budget_note"] = json!({"label": {"zh-CN": "预算说明"}});
        })
        .await;
        let page = c
            .get(&format!("{APP}/draft/forms/project/preview?lang=zh-CN"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let html = page.text();
        assert!(html.contains("预算说明"), "the draft's new field is drawn");
        assert!(html.contains("联系电话") && html.contains("data-preview-notice"));
        assert!(
            page.headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'self'")
        );
        assert_eq!(page.headers[header::X_FRAME_OPTIONS], "SAMEORIGIN");
        let action = "/designer-preview/apps/project-registration/forms/project";
        let escaped = action.replace('/', "&#x2f;");
        assert!(html.contains(&format!("action=\"{escaped}\"")), "{html}");

        let mut b = Browser::signed_in(&app, "analyst").await;
        let checked = b
            .post_form(
                action,
                &[
                    ("name", "智慧园区"),
                    ("customer", "某客户"),
                    ("contact_phone", "12345"),
                    ("amount", "100"),
                    ("region", "华东"),
                ],
            )
            .await;
        assert_eq!(
            checked.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            checked.html
        );
        assert!(checked.html.contains("12345"), "the input is kept");
        let passed = b
            .post_form(
                action,
                &[
                    ("name", "智慧园区"),
                    ("customer", "某客户"),
                    ("contact_phone", "13800138000"),
                    ("amount", "100"),
                    ("region", "华东"),
                ],
            )
            .await;
        assert_eq!(passed.status, StatusCode::OK, "{}", passed.html);
        assert!(passed.html.contains("校验通过"));
        let list = c
            .get("/api/v1/apps/project-registration/forms/project/records")
            .await;
        assert_ne!(
            list.status,
            StatusCode::OK,
            "not published: no records at all"
        );

        let mut sales = app.signed_in("sales1").await;
        let page = sales
            .get(&format!("{APP}/draft/forms/project/preview"))
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
    }
}

fn chain(res: &Value) -> Vec<(String, Vec<String>)> {
    res["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let who = s["assignees"].as_array().unwrap();
            let who = who
                .iter()
                .map(|a| a["username"].as_str().unwrap().to_owned());
            (s["node"].as_str().unwrap().to_owned(), who.collect())
        })
        .collect()
}

#[tokio::test]
async fn the_drafts_process_is_walked_for_a_sample_submission() {
    for app in apps().await {
        let mut c = imported(&app).await;
        let url = format!("{APP}/draft/processes/registration_approval/simulate");
        let res = c
            .post(
                &url,
                &json!({"submitter": "sales1", "data": valid_project()}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let s = |n: &str, w: &str| (n.to_owned(), vec![w.to_owned()]);
        assert_eq!(
            chain(&res.json()),
            [
                s("director_approval_large", "director"),
                s("ceo_approval", "ceo"),
                s("east_head_approval", "east_head")
            ]
        );
        assert_eq!(
            res.json()["steps"][0]["assignees"][0]["display_name"],
            "销售中心总监 陈静"
        );

        // The draft, not a published version: lower the top tier and walk again.
        edit_draft(&mut c, |p| {
            let edges = p["processes"][0]["edges"].as_array_mut().unwrap();
            for e in edges.iter_mut().filter(|e| e["when"] == "amount <= 100000") {
                e["when"] = json!("amount <= 200000");
            }
        })
        .await;
        let res = c
            .post(
                &url,
                &json!({"submitter": "sales1", "data": valid_project()}),
            )
            .await;
        assert_eq!(
            chain(&res.json()),
            [
                s("director_approval", "director"),
                s("east_head_approval", "east_head")
            ]
        );

        let nobody = c
            .post(&url, &json!({"submitter": "ghost", "data": {}}))
            .await;
        assert_eq!(nobody.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(nobody.json()["fields"][0]["path"], "/submitter");
        let mut sales = app.signed_in("sales1").await;
        let refused = sales
            .post(&url, &json!({"submitter": "sales1", "data": {}}))
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let ghost = c
            .post(
                &format!("{APP}/draft/processes/ghost/simulate"),
                &json!({"submitter": "sales1", "data": {}}),
            )
            .await;
        assert_eq!(ghost.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn failing_flow_test_cases_refuse_publishing_unless_an_admin_overrides() {
    for app in apps().await {
        let mut c = imported(&app).await;
        let run = c.post(&format!("{APP}/draft/tests"), &json!({})).await;
        assert_eq!(run.status, StatusCode::OK, "{}", run.text());
        let run = run.json();
        assert_eq!(run["passed"], true, "{run:#}");
        assert_eq!(run["results"].as_array().unwrap().len(), 8);

        // Move the 50,000 boundary into the lower tier: the boundary cases now fail.
        edit_draft(&mut c, |p| {
            let edges = p["processes"][0]["edges"].as_array_mut().unwrap();
            for e in edges.iter_mut().filter(|e| e["when"] == "amount < 50000") {
                e["when"] = json!("amount <= 50000");
            }
        })
        .await;
        let run = c
            .post(&format!("{APP}/draft/tests?lang=zh-CN"), &json!({}))
            .await
            .json();
        assert_eq!(run["passed"], false);
        let failed: Vec<&str> = run["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["passed"] == false)
            .map(|r| r["test"].as_str().unwrap())
            .collect();
        assert_eq!(failed, ["at_50k_east", "at_50k_north"]);

        let refused = c
            .post(&format!("{APP}/publish?lang=zh-CN"), &json!({}))
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields = refused.json()["fields"].clone();
        assert_eq!(fields[0]["code"], "flow_test_failed");
        assert_eq!(fields[0]["path"], "/processes/0/tests/2");
        assert!(
            fields[0]["message"]
                .as_str()
                .unwrap()
                .contains("期望 director → east_head"),
            "{fields}"
        );
        let analyst_override = c
            .post(&format!("{APP}/publish"), &json!({"override_tests": true}))
            .await;
        assert_eq!(analyst_override.status, StatusCode::FORBIDDEN);

        let mut admin = app.signed_in("admin").await;
        let published = admin
            .post(
                &format!("{APP}/publish"),
                &json!({"override_tests": true, "summary": "临时放宽"}),
            )
            .await;
        assert_eq!(published.status, StatusCode::OK, "{}", published.text());
        let audit = app.store.list_audit(None, 20).await.unwrap();
        let row = audit.iter().find(|a| a.action == "app.publish").unwrap();
        let detail: Value = serde_json::from_str(&row.detail).unwrap();
        assert_eq!(detail["summary"], "临时放宽", "{detail}");
        assert_eq!(detail["overridden_tests"][0]["test"], "at_50k_east");
    }
}

#[tokio::test]
async fn expressions_are_checked_against_the_drafts_form() {
    for app in apps().await {
        let mut c = imported(&app).await;
        let url = format!("{APP}/draft/expressions/check?lang=zh-CN");
        let ok = c
            .post(
                &url,
                &json!({"form": "project", "expression": "amount > 100000 and region == \"华东\""}),
            )
            .await;
        assert_eq!(ok.json(), json!({"ok": true, "problems": []}));
        let unknown = c
            .post(
                &url,
                &json!({"form": "project", "expression": "amount > 1 and regoin == \"华东\""}),
            )
            .await
            .json();
        assert_eq!(unknown["ok"], false);
        assert_eq!(unknown["problems"][0]["code"], "unknown_variable");
        assert!(
            unknown["problems"][0]["message"]
                .as_str()
                .unwrap()
                .contains("regoin")
        );
        let broken = c
            .post(&url, &json!({"expression": "amount >"}))
            .await
            .json();
        assert_eq!(broken["problems"][0]["code"], "invalid_expression");
    }
}

fn paths(diff: &Value) -> Vec<String> {
    diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn versions_are_compared_in_words_and_rolled_back_by_publishing_again() {
    for app in apps().await {
        let mut c = imported(&app).await;
        assert_eq!(
            c.post(&format!("{APP}/publish"), &json!({})).await.status,
            StatusCode::OK
        );
        edit_draft(&mut c, |p| {
            let form = &mut p["forms"][0];
            form["schema"]["properties"]["budget_note"] = json!({"type": "string"});
            form["ui"]["fields"]["budget_note"] =
                json!({"label": {"zh-CN": "预算说明", "en": "Budget note"}});
            form["permissions"]["create"]
                .as_array_mut()
                .unwrap()
                .push(json!("manager"));
            let nodes = p["processes"][0]["nodes"].as_array_mut().unwrap();
            let ceo = nodes
                .iter_mut()
                .find(|n| n["id"] == "ceo_approval")
                .unwrap();
            ceo["name"]["zh-CN"] = json!("总经理终审");
        })
        .await;
        let diff = c.get(&format!("{APP}/diff?from=1&to=draft")).await;
        assert_eq!(diff.status, StatusCode::OK, "{}", diff.text());
        let diff = diff.json();
        let p = paths(&diff);
        assert!(
            p.contains(&"/forms/project/schema/properties/budget_note".to_owned()),
            "{p:?}"
        );
        assert!(p.contains(&"/processes/registration_approval/nodes/ceo_approval".to_owned()));
        let words: Vec<&str> = diff["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["summary"]["zh-CN"].as_str().unwrap())
            .collect();
        assert!(
            words.contains(&"表单「项目登记」新增字段「预算说明」（单行文本）"),
            "{words:?}"
        );
        assert!(
            words
                .iter()
                .any(|w| w.contains("权限「新建」：增加 manager")),
            "{words:?}"
        );
        assert!(
            words
                .iter()
                .any(|w| w.contains("修改节点「总经理终审」：名称")),
            "{words:?}"
        );
        let added = &diff["changes"][p.iter().position(|x| x.ends_with("budget_note")).unwrap()];
        assert_eq!(added["kind"], "added");
        assert!(added["before"].is_null() && added["after"]["key"] == "budget_note");

        assert_eq!(
            c.post(&format!("{APP}/publish"), &json!({})).await.status,
            StatusCode::OK
        );
        assert_eq!(
            paths(&c.get(&format!("{APP}/diff?from=1&to=2")).await.json()),
            p
        );
        assert_eq!(
            c.get(&format!("{APP}/diff?from=2&to=draft")).await.json()["changes"],
            json!([])
        );

        let rolled = c
            .post(&format!("{APP}/rollback"), &json!({"version": 1}))
            .await;
        assert_eq!(rolled.status, StatusCode::OK, "{}", rolled.text());
        assert_eq!(rolled.json()["version"], 3);
        let v1 = c.get(&format!("{APP}/versions/1")).await.body;
        assert_eq!(c.get(&format!("{APP}/versions/3")).await.body, v1);
        assert_eq!(
            c.get(&format!("{APP}/diff?from=1&to=3")).await.json()["changes"],
            json!([])
        );

        for bad in ["from=1", "from=0&to=2", "from=x&to=draft"] {
            let res = c.get(&format!("{APP}/diff?{bad}")).await;
            assert_eq!(res.status, StatusCode::BAD_REQUEST, "{bad}");
        }
        assert_eq!(
            c.get(&format!("{APP}/diff?from=9&to=draft")).await.status,
            StatusCode::NOT_FOUND
        );
        let missing = c
            .post(&format!("{APP}/rollback"), &json!({"version": 9}))
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        let mut sales = app.signed_in("sales1").await;
        assert_eq!(
            sales.get(&format!("{APP}/diff?from=1&to=2")).await.status,
            StatusCode::FORBIDDEN
        );
        let refused = sales
            .post(&format!("{APP}/rollback"), &json!({"version": 1}))
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }
}

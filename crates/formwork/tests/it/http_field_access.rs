//! Field-level permissions on SQLite and PostgreSQL: `actual_cost` is kept from the `sales`
//! role (sales2 here) and `amount`/`description` from clients. A hidden field is absent from
//! reads, lists, diffs and pages, and filtering, sorting, searching or writing it is answered
//! exactly as for a field the form does not have — the oracle tests.

use crate::common::pages::Browser;
use crate::common::{Client, TestApp, apps, rid, sample_package};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

const RECORDS: &str = "/api/v1/apps/project-registration/forms/project/records";

/// The sample app without processes and rules, so records stay editable.
pub(crate) async fn published_plain(app: &TestApp) {
    let mut package = sample_package();
    package["processes"] = json!([]);
    package["rules"] = json!([]);
    package["dashboards"] = json!([]);
    let mut analyst = app.signed_in("analyst").await;
    let res = analyst.post("/api/v1/apps", &package).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let res = analyst
        .post("/api/v1/apps/project-registration/publish", &json!({}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
}

pub(crate) fn project(name: &str, customer: &str, amount: &str) -> Value {
    json!({
        "name": name,
        "customer": customer,
        "contact_phone": "13800138000",
        "amount": amount,
        "region": "华北",
        "description": format!("内部说明 {name}"),
        "start_date": "2026-12-01",
        "end_date": "2027-03-31",
    })
}

async fn patch(
    c: &mut Client,
    id: &str,
    rev: i64,
    body: &Value,
) -> crate::common::client::Response {
    let url = format!("/api/v1/records/{id}");
    let etag = format!("\"{rev}\"");
    c.send(
        Method::PATCH,
        &url,
        Some(body.to_string().into_bytes()),
        &[("if-match", etag.as_str())],
    )
    .await
}

/// sales2's two projects, whose actual costs admin filled in (sales may not write them).
async fn costed_projects(app: &TestApp) -> Vec<String> {
    let mut sales2 = app.signed_in("sales2").await;
    let mut admin = app.signed_in("admin").await;
    let mut ids = Vec::new();
    for (name, cost) in [("低成本项目", "100.00"), ("高成本项目", "900000.00")] {
        let created = sales2
            .post(RECORDS, &project(name, "北京甲公司", "5000"))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        let id = created.json()["id"].as_str().unwrap().to_owned();
        let res = patch(&mut admin, &id, 1, &json!({"actual_cost": cost})).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(res.json()["data"]["actual_cost"], cost, "admin reads it");
        ids.push(id);
    }
    ids
}

/// The error body with the field's name taken out, for comparing two refusals.
fn refusal(res: &crate::common::client::Response, key: &str) -> (StatusCode, String) {
    (res.status, res.text().replace(key, "<field>"))
}

#[tokio::test]
async fn a_hidden_field_is_refused_in_filters_and_sorts_exactly_like_an_unknown_one() {
    for app in apps().await {
        published_plain(&app).await;
        costed_projects(&app).await;
        let mut sales2 = app.signed_in("sales2").await;
        for (hidden, unknown) in [
            (
                format!("{RECORDS}?filter=actual_cost:gt:500"),
                format!("{RECORDS}?filter=no_such_field:gt:500"),
            ),
            (
                format!("{RECORDS}?filter=actual_cost:null"),
                format!("{RECORDS}?filter=no_such_field:null"),
            ),
            (
                format!("{RECORDS}?sort=-actual_cost"),
                format!("{RECORDS}?sort=-no_such_field"),
            ),
        ] {
            let a = sales2.get(&hidden).await;
            let b = sales2.get(&unknown).await;
            assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
            assert_eq!(
                refusal(&a, "actual_cost"),
                refusal(&b, "no_such_field"),
                "{hidden}"
            );
        }
        // Whoever may read it filters on it.
        let mut finance = app.signed_in("finance").await;
        let res = finance
            .get(&format!("{RECORDS}?filter=actual_cost:gt:500"))
            .await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.json()["items"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn reads_lists_searches_and_counts_of_sales2_give_the_hidden_field_away_nowhere() {
    for app in apps().await {
        published_plain(&app).await;
        let ids = costed_projects(&app).await;
        let mut sales2 = app.signed_in("sales2").await;
        let list = sales2.get(RECORDS).await.json();
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "both of their projects are listed");
        for item in items {
            assert!(item["data"].get("actual_cost").is_none(), "{item}");
            assert!(item["data"].get("amount").is_some(), "sales reads amounts");
        }
        let one = sales2.get(&format!("/api/v1/records/{}", ids[1])).await;
        assert!(one.json()["data"].get("actual_cost").is_none());
        assert!(!one.text().contains("900000"), "{}", one.text());
        // A search for the hidden value finds nothing; the count of a search is the count of
        // what the caller may read.
        for q in ["900000", "100.00"] {
            let found = sales2.get(&format!("{RECORDS}?q={q}")).await.json();
            assert_eq!(found["items"], json!([]), "q={q}");
        }
        let found = sales2.get(&format!("{RECORDS}?q=成本项目")).await.json();
        assert_eq!(found["items"].as_array().unwrap().len(), 2);
    }
}

#[tokio::test]
async fn writing_a_hidden_field_is_refused_like_an_unknown_field_and_changes_nothing() {
    for app in apps().await {
        published_plain(&app).await;
        let ids = costed_projects(&app).await;
        let mut sales2 = app.signed_in("sales2").await;
        let a = patch(&mut sales2, &ids[0], 2, &json!({"actual_cost": "1.00"})).await;
        let b = patch(&mut sales2, &ids[0], 2, &json!({"no_such_field": "1.00"})).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text());
        assert_eq!(refusal(&a, "actual_cost"), refusal(&b, "no_such_field"));
        let created = sales2
            .post(
                RECORDS,
                &json!({"name": "新项目", "customer": "甲", "actual_cost": "5.00"}),
            )
            .await;
        assert_eq!(created.status, StatusCode::UNPROCESSABLE_ENTITY);
        let stored = app.store.get_record(&rid(&ids[0])).await.unwrap().unwrap();
        assert_eq!(stored.data["actual_cost"], "100.00");
        // Editing the fields they may write keeps the hidden value.
        let res = patch(&mut sales2, &ids[0], 2, &json!({"name": "低成本项目二期"})).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let stored = app.store.get_record(&rid(&ids[0])).await.unwrap().unwrap();
        assert_eq!(stored.data["actual_cost"], "100.00");
    }
}

#[tokio::test]
async fn the_change_history_diff_and_the_record_page_leave_the_hidden_field_out() {
    for app in apps().await {
        published_plain(&app).await;
        let ids = costed_projects(&app).await;
        let mut sales2 = Browser::signed_in(&app, "sales2").await;
        let page = sales2.get(&format!("/records/{}", ids[1])).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.html.contains("900000"), "value on the page");
        assert!(!page.html.contains("实际成本"), "label on the page");
        let history = app
            .runtime
            .history(&app.runtime_caller("sales2").await, &rid(&ids[1]))
            .await
            .unwrap();
        let update = history
            .iter()
            .find(|h| h.action == "record.update")
            .expect("the admin's change is in the history");
        assert!(update.changes.is_empty(), "{:?}", update.changes);
        let admin_view = app
            .runtime
            .history(&app.runtime_caller("admin").await, &rid(&ids[1]))
            .await
            .unwrap();
        let keys: Vec<&str> = admin_view
            .iter()
            .flat_map(|h| h.changes.iter().map(|c| c.key.as_str()))
            .collect();
        assert_eq!(keys, ["actual_cost"]);
        let mut finance = Browser::signed_in(&app, "finance").await;
        let page = finance.get(&format!("/records/{}", ids[1])).await;
        assert!(page.html.contains("实际成本"));
    }
}

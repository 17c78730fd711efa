//! The approver's day over HTTP on SQLite and PostgreSQL: the to-do box ordered by deadline in
//! the store (overdue first, none last, keyset pages that neither skip nor repeat), capped
//! record counts (a cut subquery, never the whole form), and the people picker's search
//! (display names and departments, nothing for clients of the portal).

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::common::flows::{self, approval_with, edge, end, node, package};
use crate::common::{TestApp, apps};

const APP: &str = "dayflow";

/// One approval by manager1 whose deadline is the record's `due` date.
fn deadline_package() -> Value {
    package(
        APP,
        json!([
            node("start", "start"),
            approval_with(
                "check",
                json!({"type": "user", "username": "manager1"}),
                json!({"deadline": {"until_field": "due"}})
            ),
            end("done", "approved")
        ]),
        json!([edge("start", "check"), edge("check", "done")]),
    )
}

/// Every to-do title of manager1 in `sort` order, read `limit` at a time through `next`.
async fn todo_titles(app: &TestApp, sort: &str, limit: u32) -> Vec<String> {
    let mut c = app.signed_in("manager1").await;
    let mut titles = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..20 {
        let mut url = format!("/api/v1/tasks?box=todo&sort={sort}&limit={limit}");
        if let Some(a) = &after {
            url.push_str(&format!("&after={a}"));
        }
        let res = c.get(&url).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let page = res.json();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= limit as usize);
        titles.extend(
            items
                .iter()
                .map(|i| i["record"]["title"].as_str().unwrap().to_owned()),
        );
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => return titles,
        }
    }
    panic!("the pages never ended: {titles:?}");
}

#[tokio::test]
async fn the_todo_box_sorts_by_deadline_in_the_store_overdue_first_across_pages() {
    for app in apps().await {
        flows::publish(&app, &deadline_package()).await;
        // Submitted in an order unlike the deadline order; one has no deadline at all.
        for (title, due) in [
            ("next-year", Some("2030-05-01")),
            ("no-deadline", None),
            ("long-overdue", Some("2020-01-01")),
            ("soon", Some("2029-01-01")),
            ("overdue", Some("2021-06-30")),
        ] {
            let mut data = json!({"title": title});
            if let Some(due) = due {
                data["due"] = json!(due);
            }
            flows::submit(&app, APP, "sales1", data).await;
        }
        let by_deadline = [
            "long-overdue",
            "overdue",
            "soon",
            "next-year",
            "no-deadline",
        ];
        for limit in [1, 2, 3, 20] {
            assert_eq!(
                todo_titles(&app, "due", limit).await,
                by_deadline,
                "pages of {limit}"
            );
        }
        // By arrival: newest first, as before.
        assert_eq!(
            todo_titles(&app, "arrival", 2).await,
            [
                "overdue",
                "soon",
                "long-overdue",
                "no-deadline",
                "next-year"
            ]
        );
        // A task decided between two pages does not shift the next page.
        let mut c = app.signed_in("manager1").await;
        let first = c
            .get("/api/v1/tasks?box=todo&sort=due&limit=2")
            .await
            .json();
        let cursor = first["next"].as_str().unwrap().to_owned();
        let decided = first["items"][1]["task"]["id"].as_str().unwrap().to_owned();
        let res = c
            .post(
                &format!("/api/v1/tasks/{decided}/decide"),
                &json!({"action": "approve"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let second = c
            .get(&format!(
                "/api/v1/tasks?box=todo&sort=due&limit=2&after={cursor}"
            ))
            .await
            .json();
        let titles: Vec<&str> = second["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["record"]["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, ["soon", "next-year"]);
        // An order the API does not know is refused in words.
        let res = c.get("/api/v1/tasks?sort=deadline").await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
    }
}

async fn count(app: &TestApp, who: &str, query: &str) -> Value {
    let mut c = app.signed_in(who).await;
    let res = c
        .get(&format!(
            "/api/v1/apps/{APP}/forms/req/records/count{query}"
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    res.json()
}

#[tokio::test]
async fn record_counts_follow_filters_and_scope_and_stop_at_the_cap() {
    for app in apps().await {
        flows::publish(&app, &deadline_package()).await;
        for i in 0..5 {
            let region = if i < 3 { "华东" } else { "华北" };
            flows::submit(
                &app,
                APP,
                "sales1",
                json!({"title": format!("p{i}"), "region": region}),
            )
            .await;
        }
        flows::submit(&app, APP, "sales2", json!({"title": "theirs"})).await;
        // Own records only for sales1 (the form's read_own), all six for the director.
        assert_eq!(
            count(&app, "sales1", "").await,
            json!({"count": 5, "more": false})
        );
        assert_eq!(
            count(&app, "director", "").await,
            json!({"count": 6, "more": false})
        );
        let east = count(&app, "sales1", "?filter=region:eq:%E5%8D%8E%E4%B8%9C").await;
        assert_eq!(east, json!({"count": 3, "more": false}));
        assert_eq!(count(&app, "sales1", "?q=p4").await["count"], 1);
        // An unknown field is the list's 400, not a count of nothing.
        let mut c = app.signed_in("sales1").await;
        let res = c
            .get(&format!(
                "/api/v1/apps/{APP}/forms/req/records/count?filter=nope:eq:1"
            ))
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());

        // The store counts through a cut subquery: never more than the cap.
        let query = formwork_store::RecordQuery {
            app_id: APP.parse().unwrap(),
            form_id: "req".parse().unwrap(),
            visibility: formwork_store::Visibility::All,
            filters: Vec::new(),
            search: None,
            sort: None,
            after: None,
            limit: 20,
            epoch: None,
        };
        assert_eq!(app.store.count_records(&query, 4).await.unwrap(), 4);
        assert_eq!(app.store.count_records(&query, 6).await.unwrap(), 6);
        assert_eq!(app.store.count_records(&query, 1001).await.unwrap(), 6);
        assert_eq!(app.store.count_records(&query, 0).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn the_people_picker_finds_names_and_departments_but_shows_clients_no_one() {
    for app in apps().await {
        let mut c = app.signed_in("sales1").await;
        let res = c.get("/api/v1/people?q=%E7%8E%8B%E5%BC%BA").await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(
            res.json(),
            json!([{"username": "manager1", "display_name": "华东销售部经理 王强",
                    "department": "华东销售部"}])
        );
        // A department's name finds its people.
        let east = c
            .get("/api/v1/people?q=%E5%8D%8E%E4%B8%9C%E9%94%80%E5%94%AE%E9%83%A8")
            .await;
        let names: Vec<String> = east
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["username"].as_str().unwrap().to_owned())
            .collect();
        assert!(names.contains(&"sales1".to_owned()) && names.contains(&"manager1".to_owned()));
        assert_eq!(
            c.get("/api/v1/people?limit=2")
                .await
                .json()
                .as_array()
                .unwrap()
                .len(),
            2
        );
        let res = c.get("/api/v1/people?limit=0").await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
        // The portal's clients do not browse the team.
        crate::http_portal::portal_demo(&app).await;
        let mut client = app.signed_in("client1").await;
        let res = client.get("/api/v1/people?q=%E7%8E%8B").await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.json(), json!([]));
    }
}

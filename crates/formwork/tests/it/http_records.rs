//! The records API on SQLite and PostgreSQL: status codes, idempotency, system fields,
//! permissions that leak nothing, literal round-trips of hostile text, gap-free numbers.

use crate::common;

use crate::common::{Client, TestApp, apps, rid, sample_package};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

const RECORDS: &str = "/api/v1/apps/project-registration/forms/project/records";

/// Publishes the sample app without its approval process, so records stay editable (and
/// without the dashboard, whose KPI widgets name that process).
pub(crate) async fn published(app: &TestApp) {
    let mut package = sample_package();
    package["processes"] = json!([]);
    package["rules"] = json!([]);
    package["dashboards"] = json!([]);
    publish_package(app, &package).await;
}

async fn publish_package(app: &TestApp, package: &Value) {
    let mut analyst = app.signed_in("analyst").await;
    let res = analyst.post("/api/v1/apps", package).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let res = analyst
        .post("/api/v1/apps/project-registration/publish", &json!({}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
}

fn project(name: &str, amount: &str, region: &str) -> Value {
    json!({
        "name": name,
        "customer": "上海某某科技有限公司",
        "contact_phone": "13800138000",
        "amount": amount,
        "business_line": "software",
        "region": region,
        "start_date": "2026-12-01",
        "end_date": "2027-03-31",
        "milestones": [{"title": "需求确认", "due_date": "2026-12-15"}],
    })
}

fn field_paths(body: &Value) -> Vec<String> {
    body["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|e| e["path"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn submit(c: &mut Client, data: &Value) -> common::client::Response {
    c.post(RECORDS, data).await
}

#[tokio::test]
async fn submitting_a_valid_project_returns_201_with_number_rev_and_etag() {
    for app in apps().await {
        published(&app).await;
        let mut sales = app.signed_in("sales1").await;
        let res = submit(&mut sales, &project("智慧园区一期", "120000.5", "华东")).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
        let body = res.json();
        assert_eq!(body["rev"], 1);
        assert_eq!(body["app_version"], 1);
        let year = time::OffsetDateTime::now_utc().year();
        assert_eq!(body["number"], format!("PRJ-{year}-00001"));
        assert_eq!(
            body["data"]["amount"], "120000.50",
            "money is exact, two decimals"
        );
        assert_eq!(res.headers.get("etag").unwrap(), "\"1\"");

        let id = body["id"].as_str().unwrap();
        let got = sales.get(&format!("/api/v1/records/{id}")).await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(got.json()["data"]["name"], "智慧园区一期");
    }
}

#[tokio::test]
async fn invalid_fields_get_422_with_chinese_messages_on_their_paths() {
    for app in apps().await {
        published(&app).await;
        let mut sales = app.signed_in("sales1").await;
        let mut bad = project("智慧园区", "-5", "华东");
        bad["contact_phone"] = json!("12345");
        bad["end_date"] = json!("2026-11-01");
        let res = submit(&mut sales, &bad).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        let body = res.json();
        let mut paths = field_paths(&body);
        paths.sort();
        assert_eq!(paths, ["/amount", "/contact_phone", "/end_date"]);
        for field in body["fields"].as_array().unwrap() {
            let message = field["message"].as_str().unwrap();
            assert!(
                message
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{message}"
            );
            assert!(
                !message.contains("schema") && !message.contains("pattern"),
                "{message}"
            );
        }
    }
}

#[tokio::test]
async fn broken_json_is_400_and_unknown_filters_are_400() {
    for app in apps().await {
        published(&app).await;
        let mut sales = app.signed_in("sales1").await;
        let res = sales.post_raw(RECORDS, b"{\"name\": ", &[]).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        let res = sales.get(&format!("{RECORDS}?filter=nope:eq:1")).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
        assert_eq!(res.json()["error"], "bad_request");
        let res = sales.get(&format!("{RECORDS}?filter=amount:like:1")).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        let res = sales.get(&format!("{RECORDS}?after=garbage")).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn patch_needs_if_match_and_refuses_a_stale_revision() {
    for app in apps().await {
        published(&app).await;
        let mut sales = app.signed_in("sales1").await;
        let created = submit(&mut sales, &project("园区", "1000", "华南"))
            .await
            .json();
        let url = format!("/api/v1/records/{}", created["id"].as_str().unwrap());
        let change = json!({"name": "园区二期"}).to_string().into_bytes();

        let res = sales
            .send(Method::PATCH, &url, Some(change.clone()), &[])
            .await;
        assert_eq!(res.status, StatusCode::PRECONDITION_REQUIRED);
        let res = sales
            .send(
                Method::PATCH,
                &url,
                Some(change.clone()),
                &[("if-match", "\"1\"")],
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(res.json()["rev"], 2);
        assert_eq!(res.json()["data"]["name"], "园区二期");
        let stale = sales
            .send(Method::PATCH, &url, Some(change), &[("if-match", "\"1\"")])
            .await;
        assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    }
}

#[tokio::test]
async fn a_record_in_review_cannot_be_edited_or_deleted_until_withdrawn() {
    for app in apps().await {
        publish_package(&app, &sample_package()).await;
        let mut sales = app.signed_in("sales1").await;
        let created = submit(&mut sales, &project("审批中的项目", "1000", "华南")).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        assert_eq!(created.json()["status"], "in_review");
        let id = created.json()["id"].as_str().unwrap().to_owned();
        let url = format!("/api/v1/records/{id}");
        let change = json!({"name": "改名"}).to_string().into_bytes();
        let res = sales
            .send(Method::PATCH, &url, Some(change), &[("if-match", "\"1\"")])
            .await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text());
        assert_eq!(sales.delete(&url).await.status, StatusCode::CONFLICT);

        let withdrawn = sales.post(&format!("{url}/withdraw"), &json!({})).await;
        assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.text());
        let rev = sales.get(&url).await.json()["rev"].as_i64().unwrap();
        let res = sales
            .send(
                Method::PATCH,
                &url,
                Some(json!({"name": "改名"}).to_string().into_bytes()),
                &[("if-match", &format!("\"{rev}\""))],
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    }
}

#[tokio::test]
async fn writing_system_fields_is_refused() {
    for app in apps().await {
        published(&app).await;
        let mut sales = app.signed_in("sales1").await;
        for key in ["owner", "status", "rev", "version", "number"] {
            let mut data = project("园区", "1000", "华南");
            data[key] = json!("x");
            let res = submit(&mut sales, &data).await;
            assert_eq!(
                res.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{key}: {}",
                res.text()
            );
            assert_eq!(field_paths(&res.json()), [format!("/{key}")]);
        }
        let created = submit(&mut sales, &project("园区", "1000", "华南"))
            .await
            .json();
        let url = format!("/api/v1/records/{}", created["id"].as_str().unwrap());
        let res = sales
            .send(
                Method::PATCH,
                &url,
                Some(json!({"status": "approved"}).to_string().into_bytes()),
                &[("if-match", "\"1\"")],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn an_idempotency_key_replay_returns_the_same_record() {
    for app in apps().await {
        published(&app).await;
        let mut sales = app.signed_in("sales1").await;
        let body = project("幂等项目", "2000", "华北").to_string().into_bytes();
        let headers = [("idempotency-key", "retry-7f3a")];
        let first = sales
            .send(Method::POST, RECORDS, Some(body.clone()), &headers)
            .await;
        let second = sales
            .send(Method::POST, RECORDS, Some(body), &headers)
            .await;
        assert_eq!(first.status, StatusCode::CREATED);
        assert_eq!(second.status, StatusCode::CREATED);
        assert_eq!(first.json()["id"], second.json()["id"]);
        assert_eq!(second.headers.get("idempotent-replayed").unwrap(), "true");
        let list = sales.get(RECORDS).await.json();
        assert_eq!(list["items"].as_array().unwrap().len(), 1);

        let other = project("另一个项目", "3000", "华北")
            .to_string()
            .into_bytes();
        let reused = sales
            .send(Method::POST, RECORDS, Some(other), &headers)
            .await;
        assert_eq!(reused.status, StatusCode::CONFLICT, "{}", reused.text());
    }
}

#[tokio::test]
async fn a_user_without_read_all_cannot_see_filter_or_count_another_users_record() {
    for app in apps().await {
        published(&app).await;
        let mut sales1 = app.signed_in("sales1").await;
        let mut sales2 = app.signed_in("sales2").await;
        let secret = submit(&mut sales1, &project("机密项目", "88888", "华东"))
            .await
            .json();
        let id = secret["id"].as_str().unwrap();
        submit(&mut sales2, &project("华北项目", "100", "华北")).await;

        let res = sales2.get(&format!("/api/v1/records/{id}")).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        let missing = sales2
            .get("/api/v1/records/0190aaaa-0000-7000-8000-000000000000")
            .await;
        assert_eq!(
            res.body, missing.body,
            "not readable looks exactly like missing"
        );

        let res = sales2
            .send(
                Method::PATCH,
                &format!("/api/v1/records/{id}"),
                Some(b"{}".to_vec()),
                &[("if-match", "\"1\"")],
            )
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        assert_eq!(
            sales2.delete(&format!("/api/v1/records/{id}")).await.status,
            StatusCode::NOT_FOUND
        );

        for query in [
            "",
            "?filter=name:contains:机密",
            "?q=机密",
            "?filter=amount:gte:0&limit=200",
            "?sort=-amount",
        ] {
            let list = sales2.get(&format!("{RECORDS}{query}")).await;
            assert_eq!(list.status, StatusCode::OK, "{query}");
            let names: Vec<_> = list.json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["data"]["name"].as_str().unwrap().to_owned())
                .collect();
            assert!(!names.iter().any(|n| n == "机密项目"), "{query}: {names:?}");
        }

        // The department head and read-all roles do see it.
        let mut manager1 = app.signed_in("manager1").await;
        assert_eq!(
            manager1.get(&format!("/api/v1/records/{id}")).await.status,
            StatusCode::OK
        );
        let mut manager2 = app.signed_in("manager2").await;
        assert_eq!(
            manager2.get(&format!("/api/v1/records/{id}")).await.status,
            StatusCode::NOT_FOUND
        );
        let mut ceo = app.signed_in("ceo").await;
        assert_eq!(
            ceo.get(&format!("/api/v1/records/{id}")).await.status,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn hostile_text_round_trips_literally_through_the_api() {
    for app in apps().await {
        published(&app).await;
        let mut sales = app.signed_in("sales1").await;
        let hostile = [
            "<script>alert(1)</script>",
            "\"><img src=x onerror=alert(1)>",
            "{{7*7}}",
        ];
        for text in hostile {
            let mut data = project(text, "10", "华南");
            data["customer"] = json!(text);
            let res = submit(&mut sales, &data).await;
            assert_eq!(res.status, StatusCode::CREATED, "{text}: {}", res.text());
            let id = res.json()["id"].as_str().unwrap().to_owned();
            let got = sales.get(&format!("/api/v1/records/{id}")).await.json();
            assert_eq!(got["data"]["name"], text);
            assert_eq!(got["data"]["customer"], text);
        }
    }
}

#[tokio::test]
async fn lists_page_by_keyset_filter_and_sort() {
    for app in apps().await {
        published(&app).await;
        let mut sales = app.signed_in("sales1").await;
        for i in 0..7 {
            let region = if i % 2 == 0 { "华东" } else { "华南" };
            let res = submit(
                &mut sales,
                &project(&format!("项目{i}"), &format!("{}", 1000 * (i + 1)), region),
            )
            .await;
            assert_eq!(res.status, StatusCode::CREATED);
        }
        let mut seen = Vec::new();
        let mut url = format!("{RECORDS}?limit=3&sort=-amount");
        loop {
            let page = sales.get(&url).await.json();
            for item in page["items"].as_array().unwrap() {
                seen.push(item["data"]["amount"].as_str().unwrap().to_owned());
            }
            match page["next"].as_str() {
                Some(next) => url = format!("{RECORDS}?limit=3&sort=-amount&after={next}"),
                None => break,
            }
        }
        assert_eq!(
            seen,
            [
                "7000.00", "6000.00", "5000.00", "4000.00", "3000.00", "2000.00", "1000.00"
            ]
        );

        let east = sales
            .get(&format!(
                "{RECORDS}?filter=region:eq:华东&filter=amount:gt:2000"
            ))
            .await
            .json();
        let names: Vec<_> = east["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["data"]["name"].clone())
            .collect();
        assert_eq!(names, [json!("项目6"), json!("项目4"), json!("项目2")]);
        let empty = sales.get(&format!("{RECORDS}?q=不存在的项目")).await.json();
        assert_eq!(empty["items"], json!([]));
        assert!(empty["next"].is_null());
    }
}

#[tokio::test]
async fn deleted_records_disappear_and_the_audit_keeps_every_change() {
    for app in apps().await {
        published(&app).await;
        let mut sales = app.signed_in("sales1").await;
        let created = submit(&mut sales, &project("待删除", "10", "华南"))
            .await
            .json();
        let id = created["id"].as_str().unwrap().to_owned();
        let url = format!("/api/v1/records/{id}");
        sales
            .send(
                Method::PATCH,
                &url,
                Some(json!({"name": "改名"}).to_string().into_bytes()),
                &[("if-match", "\"1\"")],
            )
            .await;
        assert_eq!(sales.delete(&url).await.status, StatusCode::NO_CONTENT);
        assert_eq!(sales.get(&url).await.status, StatusCode::NOT_FOUND);
        let history = app.store.record_history(&rid(&id)).await.unwrap();
        let actions: Vec<_> = history.iter().map(|h| h.action.as_str()).collect();
        assert_eq!(actions, ["record.create", "record.update", "record.delete"]);
        assert!(history[1].detail.contains("改名"), "{}", history[1].detail);
    }
}

#[tokio::test]
async fn one_hundred_concurrent_submissions_get_distinct_consecutive_numbers() {
    for app in apps().await {
        published(&app).await;
        let sales = app.signed_in("sales1").await;
        let cookie = sales.cookie().map(str::to_owned);
        let mut handles = Vec::new();
        for i in 0..100 {
            let mut client = app.client();
            client.set_cookie(cookie.clone());
            handles.push(tokio::spawn(async move {
                let res = client
                    .post(RECORDS, &project(&format!("并发{i}"), "10", "华南"))
                    .await;
                assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
                res.json()["number"].as_str().unwrap().to_owned()
            }));
        }
        let mut numbers = Vec::new();
        for h in handles {
            numbers.push(h.await.unwrap());
        }
        numbers.sort();
        let year = time::OffsetDateTime::now_utc().year();
        let expected: Vec<_> = (1..=100).map(|n| format!("PRJ-{year}-{n:05}")).collect();
        assert_eq!(numbers, expected);
    }
}

#[tokio::test]
async fn files_are_typed_by_their_bytes_and_readable_through_the_record() {
    for app in apps().await {
        published(&app).await;
        let mut sales = app.signed_in("sales1").await;
        let boundary = "formworkboundary";
        let mut body = Vec::new();
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"报价单.pdf\"\r\nContent-Type: text/html\r\n\r\n").as_bytes());
        body.extend_from_slice(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n");
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let upload = sales
            .send(
                Method::POST,
                "/api/v1/files",
                Some(body),
                &[(
                    "content-type",
                    &format!("multipart/form-data; boundary={boundary}"),
                )],
            )
            .await;
        assert_eq!(upload.status, StatusCode::CREATED, "{}", upload.text());
        let file = upload.json();
        assert_eq!(
            file["content_type"], "application/pdf",
            "sniffed, not the client's text/html"
        );
        assert_eq!(file["name"], "报价单.pdf");

        let mut data = project("带附件", "10", "华南");
        data["attachments"] = json!([file["id"]]);
        let created = submit(&mut sales, &data).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        let id = created.json()["id"].as_str().unwrap().to_owned();
        assert_eq!(
            created.json()["data"]["attachments"][0]["sha256"],
            file["sha256"]
        );

        let url = format!(
            "/api/v1/records/{id}/files/{}",
            file["id"].as_str().unwrap()
        );
        let got = sales.get(&url).await;
        assert_eq!(got.status, StatusCode::OK);
        assert!(got.body.starts_with(b"%PDF"));
        assert_eq!(
            got.headers.get("x-content-type-options").unwrap(),
            "nosniff"
        );
        let mut other = app.signed_in("sales2").await;
        assert_eq!(other.get(&url).await.status, StatusCode::NOT_FOUND);

        let mut stolen = project("盗用附件", "10", "华南");
        stolen["attachments"] = json!([file["id"]]);
        let res = submit(&mut other, &stolen).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "another user's upload cannot be attached"
        );
    }
}

/// Two forms: customers, and orders that pick a customer and take its region from it.
fn relation_package() -> Value {
    let text = |zh: &str, en: &str| json!({"zh-CN": zh, "en": en});
    let everyone = json!({"create": ["*"], "read_own": ["*"], "edit_own": ["*"]});
    json!({
        "format": "formwork/app@1",
        "id": "crm",
        "name": text("客户管理", "CRM"),
        "roles": [],
        "forms": [
            {
                "id": "customer",
                "name": text("客户", "Customer"),
                "schema": {"type": "object", "required": ["name"], "properties": {
                    "name": {"type": "string"},
                    "region": {"type": "string"}
                }},
                "ui": {"fields": {
                    "name": {"label": text("客户名称", "Name")},
                    "region": {"label": text("区域", "Region")}
                }},
                "permissions": everyone
            },
            {
                "id": "order",
                "name": text("订单", "Order"),
                "schema": {"type": "object", "properties": {
                    "customer": {"type": "string", "x-formwork-kind": "relation",
                        "x-formwork-form": "customer", "x-formwork-fills": {"region": "region"}},
                    "region": {"type": "string"}
                }},
                "ui": {"fields": {
                    "customer": {"label": text("客户", "Customer"), "widget": "select"},
                    "region": {"label": text("区域", "Region")}
                }},
                "permissions": everyone
            }
        ]
    })
}

#[tokio::test]
async fn picking_a_related_record_fills_its_lookup_fields_on_the_server() {
    for app in apps().await {
        let mut analyst = app.signed_in("analyst").await;
        let res = analyst.post("/api/v1/apps", &relation_package()).await;
        assert_eq!(res.json()["problems"], json!([]), "{}", res.text());
        analyst.post("/api/v1/apps/crm/publish", &json!({})).await;

        let mut sales = app.signed_in("sales1").await;
        let customer = sales
            .post(
                "/api/v1/apps/crm/forms/customer/records",
                &json!({"name": "华润", "region": "华南"}),
            )
            .await;
        assert_eq!(customer.status, StatusCode::CREATED, "{}", customer.text());
        let customer_id = customer.json()["id"].as_str().unwrap().to_owned();

        let order = sales
            .post(
                "/api/v1/apps/crm/forms/order/records",
                &json!({"customer": customer_id, "region": "华东"}),
            )
            .await;
        assert_eq!(order.status, StatusCode::CREATED, "{}", order.text());
        assert_eq!(
            order.json()["data"]["region"],
            "华南",
            "the lookup wins over the client"
        );

        let mut other = app.signed_in("sales2").await;
        let res = other
            .post(
                "/api/v1/apps/crm/forms/order/records",
                &json!({"customer": customer_id}),
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "another user's customer is not readable"
        );
        assert_eq!(field_paths(&res.json()), ["/customer"]);
    }
}

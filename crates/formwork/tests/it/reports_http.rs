//! Reports, views, exports and imports over HTTP, on SQLite and PostgreSQL: the sample
//! dashboard with data, what `sales2` sees, a 10k-row import with bad rows, and the export →
//! import round trip (formulas stay text).

use axum::http::StatusCode;
use formwork_reports::ir::{OutputColumn, ValueType};
use serde_json::{Value, json};

use crate::common::{Client, TestApp, apps, flows, sample_package};

const SAMPLE: &str = "project-registration";

async fn submit(c: &mut Client, name: &str, amount: &str, region: &str) -> Value {
    let res = c
        .post(
            &format!("/api/v1/apps/{SAMPLE}/forms/project/records"),
            &json!({"name": name, "customer": "某客户", "contact_phone": "13800138000", "amount": amount, "region": region,
                "business_line": "software", "stage": "planning",
                "start_date": "2026-03-01", "end_date": "2026-06-30"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    res.json()
}

/// Publishes the sample; sales1 submits three projects, sales2 two.
async fn with_projects(app: &TestApp) {
    flows::publish(app, &sample_package()).await;
    let mut s1 = app.signed_in("sales1").await;
    submit(&mut s1, "华东一号", "30000.10", "华东").await;
    submit(&mut s1, "华东二号", "80000.20", "华东").await;
    submit(&mut s1, "华南项目", "120000.30", "华南").await;
    let mut s2 = app.signed_in("sales2").await;
    submit(&mut s2, "北方项目", "45000.00", "华北").await;
    submit(&mut s2, "北方二期", "5000.05", "华北").await;
}

fn total_count(data: &Value) -> i64 {
    data["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r[1].as_str()
                .map_or_else(|| r[1].as_i64().unwrap_or(0), |s| s.parse().unwrap_or(0))
        })
        .sum()
}

#[tokio::test]
async fn report_data_has_typed_columns_and_exact_money_and_the_dashboard_renders() {
    for app in apps().await {
        with_projects(&app).await;
        let mut d = app.signed_in("director").await;
        let res = d
            .get(&format!(
                "/api/v1/apps/{SAMPLE}/reports/amount_by_region/data"
            ))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let data = res.json();
        assert_eq!(data["columns"][1]["type"], "money", "{data}");
        let rows = data["rows"].as_array().unwrap();
        let east = rows.iter().find(|r| r[0] == "华东").unwrap();
        assert_eq!(east[1], "110000.30", "{data}");
        let res = d
            .get(&format!(
                "/api/v1/apps/{SAMPLE}/reports/projects_by_status/data"
            ))
            .await;
        assert_eq!(total_count(&res.json()), 5, "{}", res.text());
        let res = d
            .get(&format!(
                "/api/v1/apps/{SAMPLE}/reports/projects_table/data?region=华南"
            ))
            .await;
        let t = res.json();
        assert_eq!(t["rows"].as_array().unwrap().len(), 1, "{t}");
        let res = d
            .get(&format!(
                "/api/v1/apps/{SAMPLE}/reports/kpi-registration_approval-step_time/data"
            ))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let page = d.get(&format!("/apps/{SAMPLE}/dashboards/overview")).await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        assert!(
            html.contains("各区域预计金额") && html.contains("110000.30"),
            "{html}"
        );
        assert!(html.contains("records?f.region="), "click-through: {html}");
        for view in [
            "projects_table",
            "projects_board",
            "projects_gantt",
            "projects_calendar",
            "amount_by_region_and_line",
        ] {
            let page = d.get(&format!("/apps/{SAMPLE}/views/{view}")).await;
            assert_eq!(page.status, StatusCode::OK, "{view}: {}", page.text());
        }
        let home = d.get(&format!("/apps/{SAMPLE}")).await.text();
        assert!(home.contains("dashboards&#x2f;overview"), "{home}");
    }
}

#[tokio::test]
async fn sales2_sees_only_their_records_in_every_report_export_and_view() {
    for app in apps().await {
        with_projects(&app).await;
        let mut s2 = app.signed_in("sales2").await;
        let res = s2
            .get(&format!(
                "/api/v1/apps/{SAMPLE}/reports/projects_by_status/data"
            ))
            .await;
        assert_eq!(total_count(&res.json()), 2, "{}", res.text());
        let res = s2
            .get(&format!(
                "/api/v1/apps/{SAMPLE}/reports/amount_by_region/data"
            ))
            .await;
        let data = res.json();
        assert_eq!(data["rows"], json!([["华北", "50000.05"]]), "{data}");
        let res = s2
            .get(&format!(
                "/api/v1/apps/{SAMPLE}/reports/projects_table/data"
            ))
            .await;
        let t = res.json();
        assert_eq!(t["rows"].as_array().unwrap().len(), 2, "{t}");
        assert_eq!(t["totals"][6], "50000.05", "{t}");
        let csv = s2
            .get(&format!(
                "/api/v1/apps/{SAMPLE}/forms/project/records/export?format=csv"
            ))
            .await;
        assert_eq!(csv.status, StatusCode::OK);
        let text = csv.text();
        assert!(
            text.contains("北方项目") && !text.contains("华东一号"),
            "{text}"
        );
        let csv = s2
            .get(&format!(
                "/api/v1/apps/{SAMPLE}/reports/projects_table/export?format=csv"
            ))
            .await;
        let text = csv.text();
        assert!(
            text.contains("北方二期") && !text.contains("华南项目"),
            "{text}"
        );
        for view in ["projects_board", "projects_calendar", "projects_gantt"] {
            let html = s2.get(&format!("/apps/{SAMPLE}/views/{view}")).await.text();
            assert!(
                html.contains("北方项目") && !html.contains("华东一号"),
                "{view}: {html}"
            );
        }
        let dash = s2
            .get(&format!("/apps/{SAMPLE}/dashboards/overview"))
            .await
            .text();
        assert!(
            !dash.contains("华东") || !dash.contains("110000.30"),
            "{dash}"
        );
    }
}

fn columns() -> Vec<OutputColumn> {
    [
        ("name", "项目名称", ValueType::Text),
        ("customer", "客户", ValueType::Text),
        ("amount", "预计金额（元）", ValueType::Money),
        ("region", "区域", ValueType::Text),
        ("start_date", "开始日期", ValueType::Date),
        ("contact_phone", "contact_phone", ValueType::Text),
    ]
    .into_iter()
    .map(|(k, l, t)| OutputColumn {
        key: k.into(),
        label: l.into(),
        value_type: t,
    })
    .collect()
}

fn xlsx(rows: &[Vec<Value>]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    formwork_sheets::write_xlsx(&mut out, &columns(), rows, "Sheet1", None).unwrap();
    out.into_inner()
}

fn multipart(file: &[u8], name: &str) -> (Vec<u8>, String) {
    let boundary = "formworkboundary7MA4YWxk";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

/// Uploads a sheet and, when it was accepted, waits until its rows are checked (the upload
/// answers `checking`; the check runs in the background).
async fn upload(c: &mut Client, file: &[u8], name: &str) -> (StatusCode, Value) {
    let (body, ct) = multipart(file, name);
    let res = c
        .post_raw(
            &format!("/api/v1/apps/{SAMPLE}/forms/project/imports"),
            &body,
            &[("content-type", ct.as_str())],
        )
        .await;
    let (status, first) = (res.status, res.json());
    if status != StatusCode::ACCEPTED {
        return (status, first);
    }
    assert_eq!(first["status"], "checking", "{first}");
    let id = first["id"].as_str().unwrap().to_owned();
    for _ in 0..1200 {
        let now = c.get(&format!("/api/v1/imports/{id}")).await.json();
        if now["status"] != "checking" {
            assert_eq!(now["progress"], Value::Null, "{now}");
            return (status, now);
        }
        // While it runs, the check says how far it is.
        assert!(
            now["progress"]["checked"].as_u64().unwrap()
                <= now["progress"]["total"].as_u64().unwrap(),
            "{now}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("import {id} was not checked");
}

/// Commits an import and waits until it is committed.
async fn commit(c: &mut Client, id: &str) {
    let res = c
        .post(&format!("/api/v1/imports/{id}/commit"), &json!({}))
        .await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text());
    for _ in 0..1200 {
        let now = c.get(&format!("/api/v1/imports/{id}")).await.json();
        if now["status"] == "committed" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    panic!("import {id} was not committed");
}

#[tokio::test]
async fn a_10k_row_sheet_with_3_bad_rows_imports_nothing_then_once_when_fixed() {
    for app in apps().await {
        flows::publish(&app, &sample_package()).await;
        let regions = ["华东", "华南", "华北"];
        let good = |i: usize| -> Vec<Value> {
            vec![
                json!(format!("导入项目{i}")),
                json!("导入客户"),
                json!(format!("{}.{:02}", 1000 + i, i % 100)),
                json!(regions[i % 3]),
                json!("2026-05-01"),
                json!("13900139000"),
            ]
        };
        let mut rows: Vec<Vec<Value>> = (0..10_000).map(good).collect();
        rows[41][2] = json!("一百元");
        rows[4999][3] = json!("火星");
        rows[9998][0] = json!("x");
        let mut s1 = app.signed_in("sales1").await;
        let (status, body) = upload(&mut s1, &xlsx(&rows), "bad.xlsx").await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["status"], "failed", "{body}");
        let errors: Vec<(i64, String)> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["row"].as_i64().unwrap(),
                    e["column"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            errors,
            vec![
                (42, "预计金额（元）".to_owned()),
                (5000, "区域".to_owned()),
                (9999, "项目名称".to_owned())
            ],
            "{body}"
        );
        let id = body["id"].as_str().unwrap().to_owned();
        let res = s1
            .post(&format!("/api/v1/imports/{id}/commit"), &json!({}))
            .await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text());
        let report = s1.get(&format!("/api/v1/imports/{id}/errors")).await;
        assert_eq!(report.status, StatusCode::OK);
        rows[41] = good(41);
        rows[4999] = good(4999);
        rows[9998] = good(9998);
        let fixed = xlsx(&rows);
        let (status, body) = upload(&mut s1, &fixed, "fixed.xlsx").await;
        assert_eq!(
            (status, body["status"].clone()),
            (StatusCode::ACCEPTED, json!("ready")),
            "{body}"
        );
        assert_eq!(body["rows"], 10_000);
        let id = body["id"].as_str().unwrap().to_owned();
        commit(&mut s1, &id).await;
        let mut d = app.signed_in("director").await;
        let count = d
            .get(&format!(
                "/api/v1/apps/{SAMPLE}/reports/projects_by_status/data"
            ))
            .await
            .json();
        assert_eq!(total_count(&count), 10_000, "{count}");
        let (status, body) = upload(&mut s1, &fixed, "again.xlsx").await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["id"], json!(id));
        let count = d
            .get(&format!(
                "/api/v1/apps/{SAMPLE}/reports/projects_by_status/data"
            ))
            .await
            .json();
        assert_eq!(total_count(&count), 10_000);
    }
}

#[tokio::test]
async fn export_then_import_round_trips_the_fields_and_formulas_stay_text() {
    for app in apps().await {
        flows::publish(&app, &sample_package()).await;
        let mut s1 = app.signed_in("sales1").await;
        let data = json!({
            "name": "=HYPERLINK(\"http://x\",\"y\")", "customer": "+客户-@", "amount": "1234567.89",
            "region": "西南", "business_line": "consulting", "stage": "executing",
            "start_date": "2026-01-02", "end_date": "2026-12-31", "contact_email": "a@b.cn",
            "contact_phone": "13800138000", "description": "第一行\n第二行",
            "milestones": [{"title": "设计", "due_date": "2026-02-01"}],
        });
        let res = s1
            .post(
                &format!("/api/v1/apps/{SAMPLE}/forms/project/records"),
                &data,
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
        for format in ["xlsx", "csv"] {
            let file = s1
                .get(&format!("/api/v1/apps/{SAMPLE}/forms/project/records/export?format={format}&filter=region:eq:西南"))
                .await;
            assert_eq!(file.status, StatusCode::OK);
            if format == "xlsx" {
                // Stored as a string cell, never a formula.
                assert!(!String::from_utf8_lossy(&file.body).contains("<f>"));
            }
            let (status, body) = upload(&mut s1, &file.body, &format!("export.{format}")).await;
            assert_eq!(
                (status, body["status"].clone()),
                (StatusCode::ACCEPTED, json!("ready")),
                "{format}: {body}"
            );
            let id = body["id"].as_str().unwrap();
            commit(&mut s1, id).await;
        }
        let list = s1
            .get(&format!(
                "/api/v1/apps/{SAMPLE}/forms/project/records?filter=region:eq:西南&limit=10"
            ))
            .await
            .json();
        let items = list["items"].as_array().unwrap();
        // The record, its xlsx import, then the csv export of both imported again.
        assert_eq!(items.len(), 4, "{list}");
        for item in items {
            for key in [
                "name",
                "customer",
                "amount",
                "region",
                "business_line",
                "stage",
                "start_date",
                "end_date",
                "contact_email",
                "contact_phone",
                "description",
                "milestones",
            ] {
                assert_eq!(item["data"][key], data[key], "{key}: {item}");
            }
        }
    }
}

#[tokio::test]
async fn a_commit_that_fails_in_the_background_says_failed_and_why_and_imports_nothing() {
    use formwork_store::{Import, ImportStatus, NewImport};
    for app in apps().await {
        flows::publish(&app, &sample_package()).await;
        let mut s1 = app.signed_in("sales1").await;
        let sales1 = app
            .store
            .get_user_by_username("sales1")
            .await
            .unwrap()
            .unwrap();
        // A ready import whose staged row the form refuses at commit time (as when the form
        // changed between the check and the commit): the commit runs in the background.
        let id = formwork_store::new_id();
        let now = time::OffsetDateTime::now_utc();
        app.store
            .insert_import(&NewImport {
                import: Import {
                    id: id.clone(),
                    app_id: SAMPLE.parse().unwrap(),
                    form_id: "project".parse().unwrap(),
                    created_by: sales1.id.clone(),
                    content_hash: "not-a-real-file".into(),
                    filename: "stale.xlsx".into(),
                    historical: false,
                    status: ImportStatus::Ready,
                    row_count: 1,
                    errors: json!([]),
                    mapping: json!({}),
                    created_at: now,
                    committed_at: None,
                },
                staged: json!([{"name": "过期的行", "amount": "一百元"}]),
            })
            .await
            .unwrap();
        let res = s1
            .post(&format!("/api/v1/imports/{id}/commit"), &json!({}))
            .await;
        assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text());
        let mut last = Value::Null;
        for _ in 0..600 {
            last = s1.get(&format!("/api/v1/imports/{id}")).await.json();
            if last["status"] != "ready" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(last["status"], "failed", "{last}");
        assert_eq!(last["progress"], Value::Null, "{last}");
        let failure = last["failure"].as_str().unwrap_or_default();
        assert!(failure.contains("校验"), "{last}");
        // Row errors stay rows: the failure is not one of them.
        assert_eq!(last["errors"], json!([]), "{last}");
        let en = s1
            .get(&format!("/api/v1/imports/{id}?lang=en"))
            .await
            .json();
        assert!(
            en["failure"]
                .as_str()
                .unwrap_or_default()
                .starts_with("A record was refused"),
            "{en}"
        );
        // Persisted, so a later commit is refused and the page shows the reason.
        let again = s1
            .post(&format!("/api/v1/imports/{id}/commit"), &json!({}))
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
        let page = s1.get(&format!("/imports/{id}")).await;
        assert!(
            page.text().contains("导入失败，未导入任何记录"),
            "{}",
            page.text()
        );
        let list = s1
            .get(&format!(
                "/api/v1/apps/{SAMPLE}/forms/project/records?limit=5"
            ))
            .await
            .json();
        assert_eq!(list["items"], json!([]), "{list}");
        // A check this server is not running (it stopped mid-check) is not "checking" forever.
        let stuck = formwork_store::new_id();
        app.store
            .insert_import(&NewImport {
                import: Import {
                    id: stuck.clone(),
                    app_id: SAMPLE.parse().unwrap(),
                    form_id: "project".parse().unwrap(),
                    created_by: sales1.id.clone(),
                    content_hash: "another-file".into(),
                    filename: "stuck.xlsx".into(),
                    historical: false,
                    status: ImportStatus::Checking,
                    row_count: 3,
                    errors: json!([]),
                    mapping: json!({}),
                    created_at: now,
                    committed_at: None,
                },
                staged: json!([]),
            })
            .await
            .unwrap();
        let now_seen = s1.get(&format!("/api/v1/imports/{stuck}")).await.json();
        assert_eq!(now_seen["status"], "failed", "{now_seen}");
        assert!(
            now_seen["failure"]
                .as_str()
                .unwrap_or_default()
                .contains("重新上传"),
            "{now_seen}"
        );
    }
}

/// The JSON chart specs a page embeds for its chart script.
fn chart_specs(html: &str) -> Vec<Value> {
    html.split("<script type=\"application/json\">")
        .skip(1)
        .filter_map(|rest| rest.split("</script>").next())
        .map(|text| serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}")))
        .collect()
}

#[tokio::test]
async fn dashboard_charts_are_typed_specs_with_click_through_and_only_chart_pages_load_the_script()
{
    for app in apps().await {
        with_projects(&app).await;
        let mut d = app.signed_in("director").await;
        let html = d
            .get(&format!("/apps/{SAMPLE}/dashboards/overview"))
            .await
            .text();
        assert!(html.contains("charts.js\""), "{html}");
        assert!(!html.contains("kanban.js\""));
        let specs = chart_specs(&html);
        let pie = specs
            .iter()
            .find(|s| s["kind"] == "pie")
            .unwrap_or_else(|| panic!("{specs:?}"));
        assert_eq!(pie["lang"], "zh-CN");
        assert_eq!(pie["series"].as_array().unwrap().len(), 1, "{pie}");
        assert_eq!(pie["series"][0]["format"], "money", "{pie}");
        let categories = pie["categories"].as_array().unwrap();
        let east = categories.iter().position(|c| c == "华东").unwrap();
        assert_eq!(pie["series"][0]["values"][east], json!(110000.3), "{pie}");
        let link = pie["links"][east].as_str().unwrap();
        assert!(
            link.starts_with(&format!("/apps/{SAMPLE}/forms/project/records?f.region=")),
            "{link}"
        );
        // The list the link opens is narrowed to that region.
        let list = d.get(link).await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.text().contains("华东一号") && !list.text().contains("华南项目"));
        let by_status = specs
            .iter()
            .find(|s| s["kind"] == "bar" && s["series"][0]["name"] == "项目数")
            .unwrap_or_else(|| panic!("{specs:?}"));
        assert_eq!(by_status["series"][0]["format"], "number");
        assert!(
            by_status["links"]
                .as_array()
                .unwrap()
                .iter()
                .all(|l| l.as_str().is_some_and(|l| l.contains("records?status="))),
            "{by_status}"
        );
        let monthly = specs.iter().find(|s| s["kind"] == "line").unwrap();
        // Month buckets have no list filter to open: no links, never a wrong one.
        assert!(
            monthly["links"]
                .as_array()
                .unwrap()
                .iter()
                .all(Value::is_null)
        );
        // Every spec key is the server's own: no room for options, script or HTML.
        for s in &specs {
            let mut keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(
                keys,
                ["categories", "kind", "lang", "links", "series"],
                "{s}"
            );
        }
        let en = d
            .get(&format!("/apps/{SAMPLE}/dashboards/overview?lang=en"))
            .await
            .text();
        assert!(chart_specs(&en).iter().all(|s| s["lang"] == "en"));
        // A table view draws no chart and loads no chart script; the board loads its own.
        let table = d
            .get(&format!("/apps/{SAMPLE}/views/projects_table"))
            .await
            .text();
        assert!(!table.contains("charts.js\"") && chart_specs(&table).is_empty());
        let board = d
            .get(&format!("/apps/{SAMPLE}/views/projects_board"))
            .await
            .text();
        assert!(board.contains("kanban.js\"") && !board.contains("charts.js\""));
    }
}

#[tokio::test]
async fn a_kanban_move_of_a_record_in_review_is_refused_with_its_reason_and_a_withdrawn_one_moves()
{
    for app in apps().await {
        with_projects(&app).await;
        let mut s1 = app.signed_in("sales1").await;
        let list = s1
            .get(&format!(
                "/api/v1/apps/{SAMPLE}/forms/project/records?limit=10"
            ))
            .await
            .json();
        let ids: Vec<String> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        let move_to = |id: &str, lane: &str| format!("record={id}&lane={lane}");
        let url = format!("/apps/{SAMPLE}/views/projects_board/move");
        let form = [("content-type", "application/x-www-form-urlencoded")];
        let json_form = [
            ("content-type", "application/x-www-form-urlencoded"),
            ("accept", "application/json"),
        ];
        // In review: the drag script gets the code and the message.
        let res = s1
            .post_raw(&url, move_to(&ids[0], "closed").as_bytes(), &json_form)
            .await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text());
        let body = res.json();
        assert_eq!(body["error"], "record_in_review", "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .starts_with("未能移动卡片：审批进行中"),
            "{body}"
        );
        // The form without JavaScript comes back to the board, which explains.
        let res = s1
            .post_raw(&url, move_to(&ids[0], "closed").as_bytes(), &form)
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text());
        let back = res.headers["location"].to_str().unwrap().to_owned();
        assert!(back.ends_with("refused=record_in_review"), "{back}");
        let page = s1.get(&back).await.text();
        assert!(page.contains("id=\"move-refused\""), "{page}");
        // Someone else's record: sales2 may not move it.
        let mut s2 = app.signed_in("sales2").await;
        let res = s2
            .post_raw(&url, move_to(&ids[0], "closed").as_bytes(), &json_form)
            .await;
        assert!(
            matches!(res.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{}",
            res.text()
        );
        // Withdrawn, it is sales1's to change again: the move is an ordinary edit.
        let res = s1
            .post(&format!("/api/v1/records/{}/withdraw", ids[0]), &json!({}))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let res = s1
            .post_raw(&url, move_to(&ids[0], "closed").as_bytes(), &json_form)
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let record = s1.get(&format!("/api/v1/records/{}", ids[0])).await.json();
        assert_eq!(record["data"]["stage"], "closed", "{record}");
    }
}

/// The widget of a dashboard page whose title ends in `title`.
fn widget<'a>(html: &'a str, title: &str) -> &'a str {
    html.split("<section class=\"card widget")
        .find(|w| w.contains(&format!(" · {title}</a>")))
        .unwrap_or_else(|| panic!("no widget {title}: {html}"))
}

/// The texts of the elements that open with `open` (e.g. `<span class="bar-value mono">`).
fn texts<'a>(html: &'a str, open: &str) -> Vec<&'a str> {
    html.split(open)
        .skip(1)
        .filter_map(|rest| rest.split('<').next())
        .collect()
}

#[tokio::test]
async fn percent_measures_print_with_a_percent_sign_in_bars_tables_and_charts() {
    for app in apps().await {
        // The sample, plus a bar report whose only measure is each region's share.
        let mut package = sample_package();
        package["reports"].as_array_mut().unwrap().push(json!({
            "id": "share_by_region", "form": "project", "source": "records",
            "name": {"zh-CN": "各区域项目占比", "en": "Share of projects by region"},
            "group_by": [{"field": "region"}],
            "measures": [{"fn": "percent", "label": {"zh-CN": "占比（%）", "en": "Share (%)"}}],
            "view": {"kind": "bar"}
        }));
        flows::publish(&app, &package).await;
        let mut s1 = app.signed_in("sales1").await;
        let first = submit(&mut s1, "华东一号", "30000.10", "华东").await;
        submit(&mut s1, "华南项目", "120000.30", "华南").await;
        // One approval decided: its step's pass rate is 100 %.
        let record = first["id"].as_str().unwrap();
        let holder = flows::holders(&app, record).await;
        let (node, user) = holder[0].split_once(':').unwrap();
        flows::approve(&app, record, node, user).await;

        let mut d = app.signed_in("director").await;
        let html = d
            .get(&format!("/apps/{SAMPLE}/dashboards/overview"))
            .await
            .text();
        let outcomes = widget(&html, "审批结果");
        let bars = texts(outcomes, "<span class=\"bar-value mono\">");
        assert_eq!(bars, ["100%"], "{outcomes}");
        // The data table: the three rates with their sign, the count of decisions without.
        let cells = texts(outcomes, "<td class=\"t-number\">");
        assert_eq!(cells, ["100%", "0%", "0%", "1"], "{outcomes}");

        let page = d
            .get(&format!("/apps/{SAMPLE}/reports/share_by_region"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let html = page.text();
        let bars = texts(&html, "<span class=\"bar-value mono\">");
        assert_eq!(bars, ["50%", "50%"], "{html}");
        let cells = texts(&html, "<td class=\"t-number\">");
        assert_eq!(cells, ["50%", "50%"], "{html}");
        let spec = &chart_specs(&html)[0];
        assert_eq!(spec["series"][0]["format"], "percent", "{spec}");
        assert_eq!(spec["series"][0]["values"], json!([50.0, 50.0]), "{spec}");
    }
}

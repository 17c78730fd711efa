//! The end-user pages over HTTP, on SQLite and PostgreSQL: sign-in, forms posted as a browser
//! posts them (urlencoded and multipart), errors beside their fields with the input kept,
//! hostile text that round-trips literally, stale edits, comments and history, lists.

use crate::common::pages::Browser;
use crate::common::{PASSWORD, TestApp, apps, sample_package};
use axum::http::{StatusCode, header};
use serde_json::json;

const NEW: &str = "/apps/project-registration/forms/project/new";
const LIST: &str = "/apps/project-registration/forms/project/records";

async fn published(app: &TestApp) {
    let mut analyst = app.signed_in("analyst").await;
    let res = analyst.post("/api/v1/apps", &sample_package()).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let res = analyst
        .post("/api/v1/apps/project-registration/publish", &json!({}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
}

fn valid<'a>() -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", "智慧园区一期"),
        ("customer", "上海某某科技有限公司"),
        ("contact_phone", "13800138000"),
        ("amount", "120000.5"),
        ("business_line", "software"),
        ("region", "华东"),
        ("start_date", "2026-12-01"),
        ("end_date", "2027-03-31"),
    ]
}

fn record_id(location: &str) -> String {
    location
        .strip_prefix("/records/")
        .unwrap_or_else(|| panic!("not a record page: {location}"))
        .to_owned()
}

#[tokio::test]
async fn pages_ask_for_sign_in_and_come_back_only_to_local_paths() {
    for app in apps().await {
        let mut b = Browser::new(&app);
        let page = b.get("/apps/project-registration?x=1").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(
            page.location(),
            "/login?next=%2Fapps%2Fproject-registration%3Fx%3D1"
        );
        assert_eq!(b.get("/").await.location(), "/login");

        let login = b.get("/login?next=https%3A%2F%2Fevil.example%2F").await;
        assert_eq!(login.status, StatusCode::OK);
        assert!(
            login.html.contains(r#"name="next" value="&#x2f;""#),
            "{}",
            login.html
        );
        let csp = login
            .headers
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"));

        let signed = b
            .post_form(
                "/login",
                &[
                    ("username", "sales1"),
                    ("password", PASSWORD),
                    ("next", "//evil.example/x"),
                ],
            )
            .await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER);
        assert_eq!(signed.location(), "/", "a foreign next is not followed");

        let about = Browser::new(&app).get("/about").await;
        assert_eq!(about.status, StatusCode::OK, "the status page stays public");
        assert!(about.html.contains("sqlite") || about.html.contains("postgres"));
    }
}

#[tokio::test]
async fn a_wrong_password_says_so_and_keeps_the_username() {
    for app in apps().await {
        published(&app).await;
        let mut b = Browser::new(&app);
        let page = b
            .post_form(
                "/login",
                &[
                    ("username", "sales1"),
                    ("password", "wrong-password"),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(page.html.contains("用户名或密码错误"), "{}", page.html);
        assert!(page.html.contains(r#"value="sales1""#));
        assert!(
            !page.html.contains("wrong-password"),
            "the password is never echoed"
        );

        b.sign_in("sales1").await;
        let home = b.get("/").await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(
            home.html.contains("华东销售 张伟"),
            "the header names the user"
        );
        assert!(home.html.contains("项目登记"));
        assert!(
            home.html.contains(&NEW.replace('/', "&#x2f;")),
            "sales may create projects"
        );

        let out = b.post_form("/logout", &[]).await;
        assert_eq!(out.location(), "/login");
        assert_eq!(
            b.get("/").await.status,
            StatusCode::SEE_OTHER,
            "the session is gone"
        );
    }
}

#[tokio::test]
async fn invalid_input_is_kept_and_each_message_is_shown_beside_its_field() {
    for app in apps().await {
        published(&app).await;
        let mut b = Browser::new(&app);
        b.sign_in("sales1").await;
        let form = b.get(NEW).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(
            form.html
                .contains(r#"<label class="field-label" for="f-contact_phone">联系电话"#)
        );

        let mut input = valid();
        for (k, v) in input.iter_mut() {
            match *k {
                "contact_phone" => *v = "12345",
                "amount" => *v = "-5",
                "end_date" => *v = "2026-11-01",
                _ => {}
            }
        }
        input.push(("milestones[0][title]", ""));
        input.push(("milestones[0][due_date]", "2026-12-10"));
        let page = b.post_form(NEW, &input).await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            page.html
        );
        assert!(!page.element("f-contact_phone-error").is_empty());
        assert_eq!(page.element("f-amount-error"), "预计金额不能为负数");
        assert_eq!(page.element("f-end_date-error"), "结束日期不能早于开始日期");
        assert_eq!(
            page.element("f-milestones-0-title-error"),
            "里程碑第 1 行：请填写里程碑名称"
        );
        for kept in [
            r#"value="12345""#,
            r#"value="-5""#,
            r#"value="2026-11-01""#,
            r#"value="2026-12-10""#,
            r#"value="智慧园区一期""#,
        ] {
            assert!(page.html.contains(kept), "{kept} kept");
        }
        assert!(page.html.contains(r#"<option value="华东" selected>"#));
        assert!(
            page.html
                .contains(r#"aria-describedby="f-contact_phone-error" aria-invalid="true""#)
        );
        let summary = page.element("error-summary-title");
        assert!(summary.contains('4'), "{summary}");
        assert!(
            page.html
                .contains(r##"<a href="#f-amount">预计金额不能为负数</a>"##)
        );
        assert!(
            page.html
                .contains(r##"<a href="#f-contact_phone">联系电话："##),
            "the summary names the field"
        );
        let records = app
            .signed_in("sales1")
            .await
            .get("/api/v1/apps/project-registration/forms/project/records")
            .await;
        assert_eq!(records.json()["items"], json!([]), "nothing was stored");
    }
}

#[tokio::test]
async fn hostile_values_round_trip_literally_and_never_run() {
    const SCRIPT: &str = "<script>alert(1)</script>";
    const IMG: &str = "\"><img src=x onerror=alert(1)>";
    const TEMPLATE: &str = "{{7*7}}";
    for app in apps().await {
        published(&app).await;
        let mut b = Browser::new(&app);
        b.sign_in("sales1").await;
        let mut input = valid();
        input.retain(|(k, _)| !matches!(*k, "name" | "customer"));
        input.extend([
            ("name", SCRIPT),
            ("customer", IMG),
            ("description", TEMPLATE),
            ("milestones[0][title]", IMG),
        ]);
        let created = b.post_form(NEW, &input).await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
        let id = record_id(created.location());

        let page = b.get(&format!("/records/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        let html = &page.html;
        assert!(!html.contains("<script>alert"), "no raw script tag");
        assert!(!html.contains("<img src=x"), "no raw img tag");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
            "escaped text shown"
        );
        assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
        let description = page.detail("description");
        assert!(description.contains(TEMPLATE), "{description}");
        assert!(
            !description.contains("49"),
            "{{{{7*7}}}} is not evaluated: {description}"
        );

        b.post_form(&format!("/records/{id}/withdraw"), &[]).await;
        let edit = b.get(&format!("/records/{id}/edit")).await;
        assert_eq!(edit.status, StatusCode::OK);
        assert!(!edit.html.contains("<img src=x") && !edit.html.contains("<script>alert"));
        assert!(
            edit.html
                .contains(r#"value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;""#)
        );
        assert!(edit.html.contains(">{{7*7}}</textarea>"));

        let api = app
            .signed_in("sales1")
            .await
            .get(&format!("/api/v1/records/{id}"))
            .await
            .json();
        assert_eq!(api["data"]["name"], SCRIPT);
        assert_eq!(api["data"]["customer"], IMG);
        assert_eq!(api["data"]["description"], TEMPLATE);
        assert_eq!(api["data"]["milestones"][0]["title"], IMG);
    }
}

#[tokio::test]
async fn a_multipart_submission_with_a_file_and_rows_creates_the_record() {
    for app in apps().await {
        published(&app).await;
        let mut b = Browser::new(&app);
        b.sign_in("sales1").await;
        let mut input = valid();
        input.extend([
            ("milestones[0][title]", "需求确认"),
            ("milestones[0][due_date]", "2026-12-15"),
            ("milestones[0][owner]", "sales1"),
            ("milestones[1][title]", ""),
            ("milestones[1][due_date]", ""),
            ("milestones[2][title]", "上线"),
        ]);
        let pdf: &[u8] = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n";
        let created = b
            .post_multipart(
                NEW,
                &input,
                &[("attachments", "报价单.pdf", pdf), ("attachments", "", b"")],
            )
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
        let id = record_id(created.location());

        let page = b.get(&format!("/records/{id}")).await;
        let year = time::OffsetDateTime::now_utc().year();
        assert!(page.html.contains(&format!("PRJ-{year}-00001")));
        assert!(page.html.contains("¥120,000.50"), "money shown exactly");
        let files = page.detail("attachments");
        assert!(
            files.contains("报价单.pdf")
                && files.contains(&format!(
                    "&#x2f;api&#x2f;v1&#x2f;records&#x2f;{id}&#x2f;files&#x2f;"
                )),
            "{files}"
        );
        let rows = page.detail("milestones");
        assert!(rows.contains("需求确认") && rows.contains("上线"), "{rows}");
        assert_eq!(
            rows.matches("<tr>").count(),
            3,
            "a header and two rows: {rows}"
        );

        let api = app
            .signed_in("sales1")
            .await
            .get(&format!("/api/v1/records/{id}"))
            .await
            .json();
        assert_eq!(api["data"]["amount"], "120000.50");
        assert_eq!(
            api["data"]["milestones"].as_array().unwrap().len(),
            2,
            "the empty row is dropped"
        );
        assert_eq!(
            api["data"]["attachments"][0]["content_type"],
            "application/pdf"
        );
    }
}

#[tokio::test]
async fn a_stale_edit_is_refused_with_a_message_and_the_input_kept() {
    for app in apps().await {
        published(&app).await;
        let mut b = Browser::new(&app);
        b.sign_in("sales1").await;
        let created = b.post_form(NEW, &valid()).await;
        let id = record_id(created.location());
        // The approval starts with the record; while it runs, the record cannot be edited.
        let locked = b.get(&format!("/records/{id}/edit")).await;
        assert_eq!(locked.status, StatusCode::CONFLICT);
        assert!(
            locked.html.contains("审批进行中的记录不能修改"),
            "{}",
            locked.html
        );
        let shown = b.get(&format!("/records/{id}")).await;
        assert!(
            !shown.html.contains(">编辑</a>"),
            "no edit button while in review"
        );
        let withdrawn = b.post_form(&format!("/records/{id}/withdraw"), &[]).await;
        assert_eq!(
            withdrawn.status,
            StatusCode::SEE_OTHER,
            "{}",
            withdrawn.html
        );
        let shown = b.get(&format!("/records/{id}")).await;
        assert!(shown.html.contains("已撤回") && shown.html.contains(">编辑</a>"));

        let edit = b.get(&format!("/records/{id}/edit")).await;
        assert_eq!(edit.status, StatusCode::OK, "{}", edit.html);
        let rev_at =
            edit.html.find(r#"name="__rev" value=""#).unwrap() + r#"name="__rev" value=""#.len();
        let rev = edit.html[rev_at..].split('"').next().unwrap().to_owned();

        let mut changed = valid();
        changed.retain(|(k, _)| *k != "amount");
        changed.extend([("amount", "90000"), ("__rev", rev.as_str())]);
        let saved = b.post_form(&format!("/records/{id}/edit"), &changed).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);

        // The same page sent again carries the old revision.
        let mut again = valid();
        again.retain(|(k, _)| *k != "amount");
        again.extend([("amount", "70000"), ("__rev", rev.as_str())]);
        let stale = b.post_form(&format!("/records/{id}/edit"), &again).await;
        assert_eq!(stale.status, StatusCode::CONFLICT);
        assert!(stale.html.contains("该记录已被他人修改，请刷新后重试"));
        assert!(stale.html.contains(r#"value="70000""#), "the input is kept");

        let record = b.get(&format!("/records/{id}")).await;
        let history = &record.html[record.html.find("history-title").unwrap()..];
        assert!(history.contains("创建了记录") && history.contains("修改了记录"));
        assert!(
            history.contains("<del>¥120,000.50</del>") && history.contains("<ins>¥90,000.00</ins>"),
            "{history}"
        );
        assert!(
            history.find("创建了记录") < history.find("修改了记录"),
            "oldest first"
        );

        let mut other = Browser::new(&app);
        other.sign_in("sales2").await;
        assert_eq!(
            other.get(&format!("/records/{id}")).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            other.get(&format!("/records/{id}/edit")).await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn comments_are_added_escaped_and_an_empty_one_is_refused() {
    for app in apps().await {
        published(&app).await;
        let mut b = Browser::new(&app);
        b.sign_in("sales1").await;
        let id = record_id(b.post_form(NEW, &valid()).await.location());
        let url = format!("/records/{id}/comments");
        let added = b
            .post_form(&url, &[("body", "请经理尽快审批 <b>谢谢</b>")])
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER);
        assert_eq!(added.location(), format!("/records/{id}#comments"));
        let empty = b.post_form(&url, &[("body", "   ")]).await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(empty.html.contains("请填写评论内容"));
        let page = b.get(&format!("/records/{id}")).await;
        assert!(
            page.html
                .contains("请经理尽快审批 &lt;b&gt;谢谢&lt;&#x2f;b&gt;")
        );
        assert!(page.html.contains("华东销售 张伟"));
    }
}

#[tokio::test]
async fn the_list_filters_sorts_and_pages_by_cursor() {
    for app in apps().await {
        published(&app).await;
        let mut api = app.signed_in("sales1").await;
        for i in 0..23 {
            let region = if i % 5 == 0 { "华南" } else { "华东" };
            let res = api
                .post(
                    "/api/v1/apps/project-registration/forms/project/records",
                    &json!({"name": format!("项目{i:02}"), "customer": "客户", "amount": format!("{}", 1000 + i), "region": region, "contact_phone": "13800138000"}),
                )
                .await;
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
        }
        let mut b = Browser::new(&app);
        b.sign_in("sales1").await;
        let first = b.get(LIST).await;
        assert_eq!(first.status, StatusCode::OK);
        assert!(first.html.contains("我的记录"));
        assert_eq!(first.html.matches("<td data-label=\"编号\">").count(), 20);
        assert!(first.html.contains("项目22"), "newest first");
        let next_at = first.html.find("rel=\"next\"").expect("a next page");
        let href_start = first.html[..next_at].rfind("href=\"").unwrap() + 6;
        let href = first.html[href_start..]
            .split('"')
            .next()
            .unwrap()
            .replace("&#x2f;", "/")
            .replace("&amp;", "&");
        let second = b.get(&href).await;
        assert_eq!(second.html.matches("<td data-label=\"编号\">").count(), 3);
        assert!(
            !second.html.contains("rel=\"next\""),
            "the last page has no next"
        );
        // 上一页 goes back to the first page, keeping the order.
        assert!(second.html.contains("上一页"));
        assert!(second.html.contains("rel=\"prev\""));
        assert!(second.html.contains("共 23 条"), "the capped count");
        // Each record is also a phone card: its name with the number beside it.
        assert_eq!(second.html.matches("class=\"record-card\"").count(), 3);

        let south = b
            .get(&format!("{LIST}?f.region=%E5%8D%8E%E5%8D%97&sort=amount"))
            .await;
        assert_eq!(south.html.matches("<td data-label=\"编号\">").count(), 5);
        assert!(!south.html.contains(">华东</td>"));
        let cheap = south.html.find("¥1,000.00").unwrap();
        let dear = south.html.find("¥1,020.00").unwrap();
        assert!(cheap < dear, "sorted by amount, lowest first");

        let none = b
            .get(&format!("{LIST}?q=%E4%B8%8D%E5%AD%98%E5%9C%A8"))
            .await;
        assert!(none.html.contains("没有符合条件的记录"));

        let mut empty = Browser::new(&app);
        empty.sign_in("sales2").await;
        assert!(empty.get(LIST).await.html.contains("还没有记录"));
    }
}

#[tokio::test]
async fn the_language_choice_is_remembered_and_assets_are_cached_long() {
    for app in apps().await {
        published(&app).await;
        let mut b = Browser::new(&app);
        b.sign_in("sales1").await;
        let switched = b.post_form("/lang", &[("lang", "en"), ("next", NEW)]).await;
        assert_eq!(switched.location(), NEW);
        let cookie = switched
            .headers
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap();
        assert!(cookie.starts_with("formwork_lang=en;"), "{cookie}");
        let page = b.get(NEW).await;
        assert!(page.html.contains("<html lang=\"en\">"));
        assert!(page.html.contains("Contact phone") && page.html.contains("Submit"));

        let css_at = page.html.find("&#x2f;static&#x2f;").unwrap();
        let css = page.html[css_at..]
            .split('"')
            .next()
            .unwrap()
            .replace("&#x2f;", "/");
        let asset = b.get(&css).await;
        assert_eq!(asset.status, StatusCode::OK);
        assert_eq!(
            asset.headers.get(header::CACHE_CONTROL).unwrap(),
            "public, max-age=31536000, immutable"
        );
        assert!(asset.html.contains("--brand: #1456f0"));
    }
}

#[tokio::test]
async fn people_who_may_not_create_get_no_form() {
    for app in apps().await {
        published(&app).await;
        let mut b = Browser::new(&app);
        b.sign_in("finance").await;
        assert_eq!(
            b.get(NEW).await.status,
            StatusCode::FORBIDDEN,
            "finance reads but never creates"
        );
        let home = b.get("/").await;
        assert!(!home.html.contains(NEW.replace('/', "&#x2f;").as_str()));
        assert!(home.html.contains("全部记录"));
        let mut client = Browser::new(&app);
        client.sign_in("client1").await;
        assert_eq!(
            client.get(NEW).await.status,
            StatusCode::FORBIDDEN,
            "a client reads their customer's projects but never creates one"
        );
    }
}

#[tokio::test]
async fn repeated_wrong_passwords_are_throttled_with_a_message() {
    for app in apps().await {
        let mut b = Browser::new(&app);
        let mut last = None;
        for _ in 0..6 {
            last = Some(
                b.post_form(
                    "/login",
                    &[
                        ("username", "sales2"),
                        ("password", "nope-nope-nope"),
                        ("next", "/"),
                    ],
                )
                .await,
            );
        }
        let page = last.unwrap();
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(
            page.html.contains("登录失败次数过多，请 15 分钟后再试"),
            "{}",
            page.html
        );
        assert!(page.html.contains(r#"value="sales2""#));
    }
}

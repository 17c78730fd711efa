//! The to-do inbox and task pages over HTTP, on SQLite and PostgreSQL, posted as a browser posts
//! them: each person sees only their own tasks, someone else's task is 404, a second decision
//! says 「该待办已被处理」 with 409, hidden fields never reach the page, hostile comments are
//! escaped, batch approval reports each task, and the fill step revises and resubmits.

use crate::common::pages::Browser;
use crate::common::{TestApp, apps, only_task_of, open_tasks, rid, sample_package};
use axum::http::StatusCode;
use serde_json::{Value, json};

const SAMPLE: &str = "project-registration";
const LAB: &str = "review-lab";

/// Imports and publishes a package as the analyst.
async fn publish(app: &TestApp, package: &Value) {
    let mut c = app.signed_in("analyst").await;
    let id = package["id"].as_str().unwrap();
    let created = c.post("/api/v1/apps", package).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let published = c
        .post(&format!("/api/v1/apps/{id}/publish"), &json!({}))
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
}

/// Submits a sample project as `username`; returns (record id, number).
async fn submit_project(
    app: &TestApp,
    username: &str,
    name: &str,
    amount: &str,
) -> (String, String) {
    let mut c = app.signed_in(username).await;
    let res = c
        .post(
            &format!("/api/v1/apps/{SAMPLE}/forms/project/records"),
            &json!({"name": name, "customer": "某客户", "contact_phone": "13800138000",
                "amount": amount, "region": "华南", "description": "初版说明"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    let record = res.json();
    (
        record["id"].as_str().unwrap().to_owned(),
        record["number"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn the_inbox_lists_only_the_callers_own_tasks_in_each_box() {
    for app in apps().await {
        publish(&app, &sample_package()).await;
        let (director_record, director_number) =
            submit_project(&app, "sales1", "园区一期", "60000").await;
        let (_, head_number) = submit_project(&app, "sales2", "华北小项目", "30000").await;

        let mut director = Browser::signed_in(&app, "director").await;
        let todo = director.get("/inbox").await;
        assert_eq!(todo.status, StatusCode::OK);
        assert!(todo.html.contains(&director_number), "{}", todo.html);
        assert!(todo.html.contains("园区一期"));
        assert!(todo.html.contains("销售总监审批"), "the step in Chinese");
        assert!(!todo.html.contains(&head_number), "another person's task");
        assert!(!todo.html.contains("华北小项目"));
        assert!(todo.html.contains("批量同意"));
        assert!(
            todo.html.contains(r#"class="count-badge">1<"#),
            "the open-task badge"
        );

        let mut manager2 = Browser::signed_in(&app, "manager2").await;
        let todo = manager2.get("/inbox?box=todo").await;
        assert!(todo.html.contains(&head_number));
        assert!(!todo.html.contains(&director_number));

        // Nothing to do, in Chinese; the other boxes are empty too.
        let mut manager1 = Browser::signed_in(&app, "manager1").await;
        let empty = manager1.get("/inbox").await;
        assert_eq!(empty.status, StatusCode::OK);
        assert!(empty.html.contains("暂无待办"), "{}", empty.html);
        assert!(!empty.html.contains(&director_number));
        for (which, text) in [
            ("submitted", "你还没有发起过需要审批的申请"),
            ("cc", "还没有抄送给你的申请"),
            ("done", "你还没有处理过待办"),
        ] {
            let page = manager1.get(&format!("/inbox?box={which}")).await;
            assert!(page.html.contains(text), "{which}: {}", page.html);
        }

        // The submitter sees their record under 我发起的 with where it waits.
        let mut sales1 = Browser::signed_in(&app, "sales1").await;
        let mine = sales1.get("/inbox?box=submitted").await;
        assert!(mine.html.contains(&director_number));
        assert!(mine.html.contains("销售总监审批"));
        assert!(!mine.html.contains(&head_number));

        // Decided, it moves from 待办 to 已办 with the action.
        let task = only_task_of(&app, &director_record, "director").await;
        let done = director
            .post_form(
                &format!("/tasks/{task}"),
                &[("action", "approve"), ("comment", "同意")],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
        let flash = director.get(done.location()).await;
        assert!(
            flash.html.contains(&format!("已同意 {director_number}")),
            "{}",
            flash.html
        );
        assert!(flash.html.contains("暂无待办"));
        let done_box = director.get("/inbox?box=done").await;
        assert!(done_box.html.contains(&director_number));
        assert!(done_box.html.contains("<strong>同意</strong>"));
        assert!(
            !manager1
                .get("/inbox?box=done")
                .await
                .html
                .contains(&director_number)
        );
    }
}

#[tokio::test]
async fn the_inbox_pages_by_keyset_with_next_and_previous_links() {
    for app in apps().await {
        publish(&app, &sample_package()).await;
        let mut numbers = Vec::new();
        for i in 0..22 {
            numbers.push(
                submit_project(&app, "sales2", &format!("项目{i:02}"), "30000")
                    .await
                    .1,
            );
        }
        let mut manager2 = Browser::signed_in(&app, "manager2").await;
        let first = manager2.get("/inbox").await;
        let shown = |html: &str| numbers.iter().filter(|n| html.contains(n.as_str())).count();
        assert_eq!(shown(&first.html), 20);
        assert!(
            first.html.contains("class=\"count-badge\">22<"),
            "badge counts all"
        );
        let next = first
            .html
            .split("href=\"")
            .skip(1)
            .map(|s| &s[..s.find('"').unwrap()])
            .find(|h| h.contains("after="))
            .expect("a next link")
            .replace("&amp;", "&")
            .replace("&#x2f;", "/");
        let second = manager2.get(&next).await;
        assert_eq!(second.status, StatusCode::OK);
        assert_eq!(shown(&second.html), 2);
        assert!(
            second.html.contains(&numbers[0]),
            "the oldest is on the last page"
        );
        // 上一页 leads back to the first page (which needs no 回到第一页 beside it).
        assert!(second.html.contains("上一页"));
        assert!(
            second
                .html
                .contains("href=\"&#x2f;inbox?box=todo\" rel=\"prev\""),
            "{}",
            second.html
        );
    }
}

#[tokio::test]
async fn a_task_of_another_user_is_not_found_and_cannot_be_decided() {
    for app in apps().await {
        publish(&app, &sample_package()).await;
        let (record, _) = submit_project(&app, "sales1", "园区一期", "60000").await;
        let task = only_task_of(&app, &record, "director").await;
        for someone in ["manager1", "sales1", "ceo"] {
            let mut b = Browser::signed_in(&app, someone).await;
            let page = b.get(&format!("/tasks/{task}")).await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{someone}");
            assert!(
                !page.html.contains("园区一期"),
                "{someone}: nothing of the record"
            );
            let post = b
                .post_form(&format!("/tasks/{task}"), &[("action", "approve")])
                .await;
            assert_eq!(post.status, StatusCode::NOT_FOUND, "{someone}");
        }
        let missing = Browser::signed_in(&app, "director")
            .await
            .get("/tasks/no-such-task")
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(
            only_task_of(&app, &record, "director").await,
            task,
            "still open"
        );

        // Signed out, the page asks to sign in and comes back.
        let mut anonymous = Browser::new(&app);
        let page = anonymous.get(&format!("/tasks/{task}")).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert!(page.location().starts_with("/login?next=%2Ftasks%2F"));
    }
}

#[tokio::test]
async fn deciding_a_task_twice_says_it_was_already_handled_with_409() {
    for app in apps().await {
        publish(&app, &sample_package()).await;
        let (record, number) = submit_project(&app, "sales1", "园区一期", "60000").await;
        let task = only_task_of(&app, &record, "director").await;
        let mut director = Browser::signed_in(&app, "director").await;
        let page = director.get(&format!("/tasks/{task}")).await;
        assert_eq!(page.status, StatusCode::OK);
        for button in [
            "value=\"approve\"",
            "value=\"reject\"",
            "value=\"transfer\"",
        ] {
            assert!(page.html.contains(button), "{button}");
        }

        let first = director
            .post_form(
                &format!("/tasks/{task}"),
                &[("action", "approve"), ("comment", "同意")],
            )
            .await;
        assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.html);
        assert_eq!(first.location(), format!("/inbox?done={task}"));
        let flash = director.get(first.location()).await;
        assert!(
            flash.html.contains(&format!("已同意 {number}")),
            "{}",
            flash.html
        );
        // Only the caller's own closed task is confirmed.
        let mut manager1 = Browser::signed_in(&app, "manager1").await;
        let spoofed = manager1.get(first.location()).await;
        assert_eq!(spoofed.status, StatusCode::OK);
        assert!(!spoofed.html.contains("已同意"), "{}", spoofed.html);

        let second = director
            .post_form(
                &format!("/tasks/{task}"),
                &[("action", "reject"), ("comment", "改主意了")],
            )
            .await;
        assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.html);
        assert!(second.html.contains("该待办已被处理"), "{}", second.html);
        assert!(second.html.contains("你已处理该任务：同意"));
        assert!(
            !second.html.contains("value=\"approve\""),
            "no more actions"
        );
        assert_eq!(
            app.store
                .get_record(&rid(&record))
                .await
                .unwrap()
                .unwrap()
                .status
                .as_str(),
            "approved",
            "the second decision changed nothing"
        );
        // Reading it later shows the same, without the error.
        let later = director.get(&format!("/tasks/{task}")).await;
        assert_eq!(later.status, StatusCode::OK);
        assert!(later.html.contains("你已处理该任务：同意"));
        assert!(!later.html.contains("该待办已被处理"));
    }
}

#[tokio::test]
async fn fields_hidden_at_a_step_never_reach_the_task_page_and_editable_ones_are_inputs() {
    for app in apps().await {
        publish(
            &app,
            &serde_json::from_str(include_str!("fixtures/review-lab.json")).unwrap(),
        )
        .await;
        let mut sales1 = app.signed_in("sales1").await;
        let res = sales1
            .post(
                &format!("/api/v1/apps/{LAB}/forms/request/records"),
                &json!({"title": "并行评审一号", "secret": "绝密底价九十万", "note": ""}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
        let record = res.json()["id"].as_str().unwrap().to_owned();
        let legal = open_tasks(&app, &record)
            .await
            .into_iter()
            .find(|(_, _, node)| node == "legal")
            .unwrap()
            .0;

        let mut manager1 = Browser::signed_in(&app, "manager1").await;
        let page = manager1.get(&format!("/tasks/{legal}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
        assert!(page.html.contains("并行评审一号"));
        assert!(!page.html.contains("绝密底价九十万"), "the hidden value");
        assert!(!page.html.contains("内部备注"), "the hidden field's label");
        assert!(!page.html.contains("secret"), "the hidden field's key");
        assert!(
            page.html.contains("id=\"f-note\""),
            "the editable field is an input"
        );
        assert!(
            !page.html.contains("id=\"f-title\""),
            "a visible field is not"
        );
        let inbox = manager1.get("/inbox").await;
        assert!(!inbox.html.contains("绝密底价九十万"));

        // The director's step hides nothing.
        let tech = open_tasks(&app, &record)
            .await
            .into_iter()
            .find(|(_, _, node)| node == "tech")
            .unwrap()
            .0;
        let mut director = Browser::signed_in(&app, "director").await;
        let page = director.get(&format!("/tasks/{tech}")).await;
        assert!(page.html.contains("绝密底价九十万"));

        // Approving with the editable field saves it; a hidden field sent along is refused.
        let approved = manager1
            .post_form(
                &format!("/tasks/{legal}"),
                &[
                    ("action", "approve"),
                    ("note", "法务意见：可以"),
                    ("secret", "改掉"),
                ],
            )
            .await;
        assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.html);
        let data = app
            .store
            .get_record(&rid(&record))
            .await
            .unwrap()
            .unwrap()
            .data;
        assert_eq!(data["note"], "法务意见：可以");
        assert_eq!(
            data["secret"], "绝密底价九十万",
            "only the step's fields are read"
        );
    }
}

#[tokio::test]
async fn hostile_text_in_a_comment_is_escaped_on_the_timeline() {
    for app in apps().await {
        publish(&app, &sample_package()).await;
        let (record, _) = submit_project(&app, "sales1", "园区一期", "120000").await;
        let task = only_task_of(&app, &record, "director").await;
        let mut director = Browser::signed_in(&app, "director").await;
        let hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>{{7*7}}";
        let res = director
            .post_form(
                &format!("/tasks/{task}"),
                &[("action", "approve"), ("comment", hostile)],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.html);

        let ceo_task = only_task_of(&app, &record, "ceo").await;
        let mut ceo = Browser::signed_in(&app, "ceo").await;
        for page in [
            ceo.get(&format!("/tasks/{ceo_task}")).await,
            director.get(&format!("/tasks/{task}")).await,
        ] {
            assert_eq!(page.status, StatusCode::OK);
            assert!(!page.html.contains("<script>alert(1)"), "{}", page.html);
            assert!(!page.html.contains("<img src=x"), "{}", page.html);
            assert!(
                page.html.contains("&lt;script&gt;alert(1)"),
                "{}",
                page.html
            );
            assert!(
                page.html.contains("{{7*7}}"),
                "never rendered as a template"
            );
        }

        // The same for a hostile batch comment shown back after the batch.
        let (second, _) = submit_project(&app, "sales1", "园区二期", "60000").await;
        let second_task = only_task_of(&app, &second, "director").await;
        let page = director
            .post_form(
                "/inbox/batch",
                &[("task", &second_task), ("comment", hostile)],
            )
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.html.contains("<script>alert(1)"));
        let page = director.get(&format!("/tasks/{second_task}")).await;
        assert!(page.html.contains("&lt;script&gt;alert(1)"));
    }
}

#[tokio::test]
async fn batch_approval_reports_each_task_and_needs_a_selection() {
    for app in apps().await {
        publish(&app, &sample_package()).await;
        let (a, a_number) = submit_project(&app, "sales1", "园区一期", "60000").await;
        let (b, b_number) = submit_project(&app, "sales2", "华北二期", "70000").await;
        let (c, c_number) = submit_project(&app, "sales1", "园区三期", "80000").await;
        let task_a = only_task_of(&app, &a, "director").await;
        let task_b = only_task_of(&app, &b, "director").await;
        let task_c = only_task_of(&app, &c, "director").await;
        let mut director = Browser::signed_in(&app, "director").await;

        let none = director
            .post_form("/inbox/batch", &[("comment", "同意")])
            .await;
        assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(none.html.contains("请先勾选要同意的待办"));

        // One of them is decided on its page first, in another tab.
        let rejected = director
            .post_form(
                &format!("/tasks/{task_c}"),
                &[("action", "reject"), ("comment", "资料不全")],
            )
            .await;
        assert_eq!(rejected.status, StatusCode::SEE_OTHER);

        let page = director
            .post_form(
                "/inbox/batch",
                &[
                    ("task", &task_a),
                    ("task", &task_b),
                    ("task", &task_c),
                    ("task", "not-a-task"),
                    ("comment", "批量同意"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
        let results = &page.html[page.html.find("id=\"batch-results\"").unwrap()..];
        let results = &results[..results.find("</div>").unwrap()];
        assert!(results.contains("成功 2 条，未成功 2 条"), "{results}");
        for number in [&a_number, &b_number] {
            let at = results.find(number.as_str()).expect("listed");
            assert!(results[at..].contains("已同意"), "{number}");
        }
        let at = results.find(c_number.as_str()).unwrap();
        assert!(results[at..].contains("该待办已被处理"), "{results}");
        assert!(results.contains("not-a-task"));
        assert!(results.contains("未找到请求的内容"));
        for record in [&a, &b] {
            assert_eq!(
                app.store
                    .get_record(&rid(record))
                    .await
                    .unwrap()
                    .unwrap()
                    .status
                    .as_str(),
                "approved"
            );
        }
        assert!(page.html.contains("暂无待办"), "the list is fresh");
    }
}

#[tokio::test]
async fn a_rejected_project_is_revised_on_the_fill_step_and_resubmitted() {
    for app in apps().await {
        publish(&app, &sample_package()).await;
        let (record, number) = submit_project(&app, "sales1", "园区一期", "60000").await;
        let task = only_task_of(&app, &record, "director").await;
        let mut director = Browser::signed_in(&app, "director").await;
        let res = director
            .post_form(
                &format!("/tasks/{task}"),
                &[("action", "reject"), ("comment", "请补充预算明细")],
            )
            .await;
        assert_eq!(res.location(), format!("/inbox?done={task}"));
        assert!(
            director
                .get(res.location())
                .await
                .html
                .contains(&format!("已驳回 {number}"))
        );

        let revise = only_task_of(&app, &record, "sales1").await;
        let mut sales1 = Browser::signed_in(&app, "sales1").await;
        let page = sales1.get(&format!("/tasks/{revise}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.html.contains("退回原因"), "{}", page.html);
        assert!(page.html.contains("请补充预算明细"));
        assert!(page.html.contains("id=\"f-description\""));
        assert!(page.html.contains("value=\"submit\"") && page.html.contains("value=\"withdraw\""));

        // A bad value comes back beside its field, the input kept.
        let bad = sales1
            .post_form(
                &format!("/tasks/{revise}"),
                &[
                    ("action", "submit"),
                    ("name", "园区一期"),
                    ("customer", "某客户"),
                    ("contact_phone", "13800138000"),
                    ("amount", "-5"),
                    ("region", "华南"),
                    ("description", "补充了预算"),
                    ("comment", "已修改"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
        assert!(bad.html.contains("预计金额不能为负数"), "{}", bad.html);
        assert!(bad.html.contains("补充了预算"), "the input is kept");
        assert!(bad.html.contains("已修改"), "the comment is kept");
        assert_eq!(only_task_of(&app, &record, "sales1").await, revise);

        let good = sales1
            .post_form(
                &format!("/tasks/{revise}"),
                &[
                    ("action", "submit"),
                    ("name", "园区一期"),
                    ("customer", "某客户"),
                    ("contact_phone", "13800138000"),
                    ("amount", "60000.00"),
                    ("region", "华南"),
                    ("description", "补充了预算：硬件三万，软件三万"),
                    ("comment", "已补充"),
                ],
            )
            .await;
        assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.html);
        let flash = sales1.get(good.location()).await;
        assert!(
            flash.html.contains(&format!("已重新提交 {number}")),
            "{}",
            flash.html
        );
        let stored = app.store.get_record(&rid(&record)).await.unwrap().unwrap();
        assert_eq!(stored.data["description"], "补充了预算：硬件三万，软件三万");
        assert_eq!(stored.data["amount"], "60000.00");
        let again = only_task_of(&app, &record, "director").await;

        // The director returns it to the revise step, then the submitter withdraws it.
        let page = director.get(&format!("/tasks/{again}")).await;
        assert!(
            page.html.contains("<option value=\"revise\""),
            "{}",
            page.html
        );
        let returned = director
            .post_form(
                &format!("/tasks/{again}"),
                &[
                    ("action", "return"),
                    ("return_to", "revise"),
                    ("comment", "再改改"),
                ],
            )
            .await;
        assert_eq!(returned.status, StatusCode::SEE_OTHER, "{}", returned.html);
        let revise = only_task_of(&app, &record, "sales1").await;
        let withdrawn = sales1
            .post_form(&format!("/tasks/{revise}"), &[("action", "withdraw")])
            .await;
        assert_eq!(
            withdrawn.status,
            StatusCode::SEE_OTHER,
            "{}",
            withdrawn.html
        );
        assert_eq!(
            app.store
                .get_record(&rid(&record))
                .await
                .unwrap()
                .unwrap()
                .status
                .as_str(),
            "withdrawn"
        );
    }
}

#[tokio::test]
async fn a_task_is_transferred_by_name_and_a_signer_is_added_from_the_page() {
    for app in apps().await {
        publish(&app, &sample_package()).await;
        let (record, _) = submit_project(&app, "sales1", "园区一期", "60000").await;
        let task = only_task_of(&app, &record, "director").await;
        let mut director = Browser::signed_in(&app, "director").await;

        let unknown = director
            .post_form(
                &format!("/tasks/{task}"),
                &[("action", "transfer"), ("transfer_to", "nobody-here")],
            )
            .await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unknown.html.contains("没有这个用户"), "{}", unknown.html);
        assert!(unknown.html.contains("value=\"nobody-here\""), "input kept");
        assert!(
            unknown
                .html
                .contains("<details class=\"more-actions\" open>")
        );

        // Named by display name, as the people list shows them.
        let ceo_name = app
            .store
            .get_user_by_username("ceo")
            .await
            .unwrap()
            .unwrap()
            .display_name;
        let moved = director
            .post_form(
                &format!("/tasks/{task}"),
                &[
                    ("action", "transfer"),
                    ("transfer_to", &ceo_name),
                    ("comment", "请总经理定"),
                ],
            )
            .await;
        assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.html);
        let ceo_task = only_task_of(&app, &record, "ceo").await;

        let mut ceo = Browser::signed_in(&app, "ceo").await;
        let page = ceo.get(&format!("/tasks/{ceo_task}")).await;
        assert!(
            page.html.contains(&format!("转交给 {ceo_name}")),
            "the timeline says whom it went to: {}",
            page.html
        );
        let added = ceo
            .post_form(
                &format!("/tasks/{ceo_task}"),
                &[
                    ("action", "add_signer"),
                    ("signer", "finance"),
                    ("signer_position", "before"),
                ],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.html);
        only_task_of(&app, &record, "finance").await;
    }
}

#[tokio::test]
async fn copies_are_listed_under_cc_with_where_the_record_waits() {
    for app in apps().await {
        publish(
            &app,
            &serde_json::from_str(include_str!("fixtures/review-lab.json")).unwrap(),
        )
        .await;
        let mut sales1 = app.signed_in("sales1").await;
        let res = sales1
            .post(
                &format!("/api/v1/apps/{LAB}/forms/urgent/records"),
                &json!({"title": "限时评审一号"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
        let number = res.json()["number"].as_str().unwrap_or_default().to_owned();

        let mut director = Browser::signed_in(&app, "director").await;
        let cc = director.get("/inbox?box=cc").await;
        assert_eq!(cc.status, StatusCode::OK);
        assert!(cc.html.contains("限时评审一号"), "{}", cc.html);
        assert!(cc.html.contains("经理审批"), "where it waits now");
        assert!(cc.html.contains("抄送时间"));
        assert!(!cc.html.contains("暂无待办"));
        if !number.is_empty() {
            assert!(cc.html.contains(&number));
        }
        // A copy is not a task.
        assert!(director.get("/inbox").await.html.contains("暂无待办"));
        let mut manager1 = Browser::signed_in(&app, "manager1").await;
        assert!(
            manager1
                .get("/inbox?box=cc")
                .await
                .html
                .contains("还没有抄送给你的申请")
        );
    }
}

#[tokio::test]
async fn an_overdue_task_is_highlighted_in_the_inbox_and_on_its_page() {
    for app in apps().await {
        publish(&app, &sample_package()).await;
        // Submitted three days ago: the director's 48 hours are over.
        let user = app
            .store
            .get_user_by_username("sales1")
            .await
            .unwrap()
            .unwrap();
        let caller = app.runtime.caller(user.into()).await.unwrap();
        let then = time::OffsetDateTime::now_utc() - time::Duration::days(3);
        let inserted = app
            .runtime
            .submit_record(
                &caller,
                &SAMPLE.parse().unwrap(),
                &"project".parse().unwrap(),
                &json!({"name": "逾期项目", "customer": "某客户", "contact_phone": "13800138000",
                    "amount": "60000", "region": "华南"}),
                None,
                then,
            )
            .await
            .unwrap();
        let record = match inserted {
            formwork_store::Inserted::New(r) | formwork_store::Inserted::Replayed(r) => r,
        };
        let (_, fresh_number) = submit_project(&app, "sales1", "按时项目", "60000").await;
        let task = only_task_of(&app, record.id.as_str(), "director").await;

        let mut director = Browser::signed_in(&app, "director").await;
        let inbox = director.get("/inbox").await;
        let row_of = |number: &str| {
            let at = inbox.html.find(number).unwrap();
            let start = inbox.html[..at].rfind("<tr").unwrap();
            let end = at + inbox.html[at..].find("</tr>").unwrap();
            inbox.html[start..end].to_owned()
        };
        let late = row_of(record.number.as_deref().unwrap());
        assert!(late.contains("class=\"is-overdue\""), "{late}");
        assert!(late.contains("已逾期"), "{late}");
        let on_time = row_of(&fresh_number);
        assert!(!on_time.contains("已逾期"), "{on_time}");

        let page = director.get(&format!("/tasks/{task}")).await;
        assert!(page.html.contains("due overdue"), "{}", page.html);
        assert!(page.html.contains("已逾期"));
    }
}

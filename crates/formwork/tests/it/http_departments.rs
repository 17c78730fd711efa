//! Departments as a tree with heads, and service users with their API tokens, on SQLite and
//! PostgreSQL: admins create, rename, set heads, move (never into a cycle) and delete (never
//! one with members or sub-departments) through the API and the page; every change moves the
//! directory epoch, so department read scopes follow at once; a service user cannot sign in
//! with a password, and its token acts with its roles until revoked.

use crate::common::pages::Browser;
use crate::common::{TestApp, apps};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

async fn departments(app: &TestApp) -> Vec<Value> {
    let mut admin = app.signed_in("admin").await;
    let res = admin.get("/api/v1/departments").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    res.json().as_array().unwrap().clone()
}

async fn id_of(app: &TestApp, name: &str) -> String {
    departments(app)
        .await
        .into_iter()
        .find(|d| d["name"] == name)
        .unwrap_or_else(|| panic!("department {name}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn body(v: Value) -> Option<Vec<u8>> {
    Some(v.to_string().into_bytes())
}

#[tokio::test]
async fn the_tree_lists_parents_before_children_with_heads_and_members() {
    for app in apps().await {
        let tree = departments(&app).await;
        let names: Vec<&str> = tree.iter().map(|d| d["name"].as_str().unwrap()).collect();
        // Siblings by name as Unicode orders it: 东 (U+4E1C) before 北 (U+5317).
        assert_eq!(names, ["销售中心", "华东销售部", "华北销售部"]);
        assert_eq!(tree[0]["depth"], 0);
        assert_eq!(tree[0]["head"], "director");
        assert_eq!(tree[0]["children"], 2);
        assert_eq!(tree[1]["depth"], 1);
        assert_eq!(tree[1]["head"], "manager1");
        assert_eq!(tree[1]["members"], 2, "sales1 and manager1");
        let mut sales = app.signed_in("sales1").await;
        assert_eq!(
            sales.get("/api/v1/departments").await.status,
            StatusCode::FORBIDDEN
        );
    }
}

#[tokio::test]
async fn moving_a_department_moves_the_epoch_and_the_heads_above_its_people() {
    for app in apps().await {
        let mut admin = app.signed_in("admin").await;
        let res = admin
            .post(
                "/api/v1/departments",
                &json!({"name": "华东大区", "head": "east_head"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
        let region = res.json()["id"].as_str().unwrap().to_owned();
        assert_eq!(res.json()["head"], "east_head");
        let east = id_of(&app, "华东销售部").await;

        let epoch = app.store.directory_epoch().await.unwrap();
        let res = admin
            .send(
                Method::PUT,
                &format!("/api/v1/departments/{east}/parent"),
                body(json!({"parent_id": region})),
                &[],
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(res.json()["parent_id"], region.as_str());
        assert!(app.store.directory_epoch().await.unwrap() > epoch);
        // The department chain of its people follows at once.
        let sales1 = app.runtime_caller("sales1").await;
        let chain = app.store.department_chain(&sales1.user.id).await.unwrap();
        let names: Vec<&str> = chain.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["华东销售部", "华东大区"]);

        // Under itself, or under its own sub-department: refused, in words.
        let res = admin
            .send(
                Method::PUT,
                &format!("/api/v1/departments/{region}/parent"),
                body(json!({"parent_id": east})),
                &[],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(res.json()["fields"][0]["code"], "department_cycle");
        assert!(
            res.json()["fields"][0]["message"]
                .as_str()
                .unwrap()
                .contains("下级部门「华东销售部」"),
            "{}",
            res.text()
        );
        let res = admin
            .send(
                Method::PUT,
                &format!("/api/v1/departments/{region}/parent"),
                body(json!({"parent_id": region})),
                &[],
            )
            .await;
        assert_eq!(res.json()["fields"][0]["code"], "department_cycle");
        // The store refuses a cycle by itself too (a move that raced past the check).
        let err = app
            .store
            .move_department(&region.parse().unwrap(), Some(&east.parse().unwrap()), None)
            .await
            .unwrap_err();
        assert!(
            matches!(err, formwork_store::StoreError::Conflict(_)),
            "{err}"
        );
        // Back to the top.
        let res = admin
            .send(
                Method::PUT,
                &format!("/api/v1/departments/{east}/parent"),
                body(json!({"parent_id": null})),
                &[],
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.json()["parent_id"], Value::Null);
        assert_eq!(res.json()["depth"], 0);
        let res = admin
            .send(
                Method::PUT,
                &format!("/api/v1/departments/{east}/parent"),
                body(json!({"parent_id": "0193a000-0000-7000-8000-000000000001"})),
                &[],
            )
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn renaming_setting_heads_and_deleting_refuse_what_would_lose_people() {
    for app in apps().await {
        let mut admin = app.signed_in("admin").await;
        let centre = id_of(&app, "销售中心").await;
        let north = id_of(&app, "华北销售部").await;
        let res = admin
            .send(
                Method::PATCH,
                &format!("/api/v1/departments/{north}"),
                body(json!({"name": "华东销售部"})),
                &[],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(res.json()["fields"][0]["code"], "department_name_taken");
        let res = admin
            .send(
                Method::PATCH,
                &format!("/api/v1/departments/{north}"),
                body(json!({"name": "华北大区销售部", "head": "sales2"})),
                &[],
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(res.json()["name"], "华北大区销售部");
        assert_eq!(res.json()["head"], "sales2");
        let res = admin
            .send(
                Method::PATCH,
                &format!("/api/v1/departments/{north}"),
                body(json!({"head": "nobody_here"})),
                &[],
            )
            .await;
        assert_eq!(res.json()["fields"][0]["code"], "unknown_head");

        let res = admin.delete(&format!("/api/v1/departments/{north}")).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(res.json()["fields"][0]["code"], "department_has_members");
        let res = admin.delete(&format!("/api/v1/departments/{centre}")).await;
        assert_eq!(res.json()["fields"][0]["code"], "department_has_members");
        let res = admin
            .post(
                "/api/v1/departments",
                &json!({"name": "临时项目组", "parent_id": centre}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED);
        let temp = res.json()["id"].as_str().unwrap().to_owned();
        let res = admin
            .post(
                "/api/v1/departments",
                &json!({"name": "子组", "parent_id": temp}),
            )
            .await;
        let child = res.json()["id"].as_str().unwrap().to_owned();
        let res = admin.delete(&format!("/api/v1/departments/{temp}")).await;
        assert_eq!(res.json()["fields"][0]["code"], "department_has_children");
        assert!(
            res.json()["fields"][0]["message"]
                .as_str()
                .unwrap()
                .contains("「临时项目组」下还有 1 个下级部门")
        );
        let epoch = app.store.directory_epoch().await.unwrap();
        assert_eq!(
            admin
                .delete(&format!("/api/v1/departments/{child}"))
                .await
                .status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            admin
                .delete(&format!("/api/v1/departments/{temp}"))
                .await
                .status,
            StatusCode::NO_CONTENT
        );
        assert!(app.store.directory_epoch().await.unwrap() >= epoch + 2);
        assert!(
            departments(&app)
                .await
                .iter()
                .all(|d| d["name"] != "临时项目组")
        );
        let res = admin
            .post("/api/v1/departments", &json!({"name": "  "}))
            .await;
        assert_eq!(res.json()["fields"][0]["code"], "invalid_department_name");
    }
}

#[tokio::test]
async fn the_departments_page_moves_by_the_move_to_form_and_says_why_not() {
    for app in apps().await {
        let mut page = Browser::signed_in(&app, "admin").await;
        let shown = page.get("/admin/departments").await;
        assert_eq!(shown.status, StatusCode::OK);
        assert!(shown.html.contains("移动到…"));
        assert!(shown.html.contains("销售中心总监 陈静"));
        let res = page
            .post_form(
                "/admin/departments",
                &[("name", "华南销售部"), ("parent", ""), ("head", "")],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let south = id_of(&app, "华南销售部").await;
        let east = id_of(&app, "华东销售部").await;
        let centre = id_of(&app, "销售中心").await;
        let res = page
            .post_form(
                &format!("/admin/departments/{south}/move"),
                &[("parent", centre.as_str())],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let after = page.get(res.location()).await;
        assert!(after.html.contains("部门已移动"), "{}", after.html);
        let res = page
            .post_form(
                &format!("/admin/departments/{centre}/move"),
                &[("parent", east.as_str())],
            )
            .await;
        let refused = page.get(res.location()).await;
        assert!(
            refused
                .html
                .contains("不能把「销售中心」移到它的下级部门「华东销售部」之下"),
            "{}",
            refused.html
        );
        let res = page
            .post_form(&format!("/admin/departments/{east}/delete"), &[])
            .await;
        let refused = page.get(res.location()).await;
        assert!(
            refused.html.contains("「华东销售部」还有 2 名成员"),
            "{}",
            refused.html
        );
        let mut sales = Browser::signed_in(&app, "sales1").await;
        assert_eq!(
            sales.get("/admin/departments").await.status,
            StatusCode::FORBIDDEN
        );
        let res = sales
            .post_form(&format!("/admin/departments/{east}/delete"), &[])
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn a_service_user_acts_with_its_roles_through_tokens_an_admin_issues_and_revokes() {
    for app in apps().await {
        let mut admin = app.signed_in("admin").await;
        let res = admin
            .post(
                "/api/v1/service-users",
                &json!({"username": "erp-sync", "display_name": "ERP 同步", "roles": ["finance"]}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
        let res = admin
            .post(
                "/api/v1/service-users",
                &json!({"username": "bad-roles", "roles": ["no_such_role"]}),
            )
            .await;
        assert_eq!(res.json()["fields"][0]["code"], "unknown_role");
        assert!(
            app.store
                .get_user_by_username("bad-roles")
                .await
                .unwrap()
                .is_none()
        );
        let caller = app.runtime_caller("erp-sync").await;
        assert_eq!(caller.roles.len(), 1);

        // No password sign-in, and none can be set.
        let mut nobody = app.client();
        let res = nobody
            .post(
                "/api/v1/session",
                &json!({"username": "erp-sync", "password": "!service-user"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        let res = admin
            .post(
                "/api/v1/users/erp-sync/password",
                &json!({"password": "now-a-person-1"}),
            )
            .await;
        assert_eq!(
            res.json()["fields"][0]["code"],
            "service_user_has_no_password"
        );

        // Tokens only for service users.
        let res = admin
            .post("/api/v1/users/sales1/tokens", &json!({"name": "x"}))
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(res.json()["fields"][0]["code"], "not_a_service_user");
        let mut sales = app.signed_in("sales1").await;
        let res = sales
            .post("/api/v1/users/erp-sync/tokens", &json!({"name": "x"}))
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);

        let res = admin
            .post(
                "/api/v1/users/erp-sync/tokens",
                &json!({"name": "ERP 夜间同步"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
        let secret = res.json()["secret"].as_str().unwrap().to_owned();
        let token_id = res.json()["id"].as_str().unwrap().to_owned();
        let listed = admin.get("/api/v1/users/erp-sync/tokens").await.json();
        assert_eq!(listed[0]["name"], "ERP 夜间同步");
        assert!(listed[0].get("secret").is_none());

        let mut program = app.client();
        program.bearer = Some(secret);
        let me = program.get("/api/v1/me").await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.json()["username"], "erp-sync");
        // Its roles' permissions, nothing more: finance is no admin.
        assert_eq!(
            program.get("/api/v1/jobs").await.status,
            StatusCode::FORBIDDEN
        );
        let res = admin
            .delete(&format!("/api/v1/users/erp-sync/tokens/{token_id}"))
            .await;
        assert_eq!(res.status, StatusCode::NO_CONTENT);
        assert_eq!(
            program.get("/api/v1/me").await.status,
            StatusCode::UNAUTHORIZED
        );
        let res = admin
            .delete(&format!("/api/v1/users/erp-sync/tokens/{token_id}"))
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_people_page_creates_service_users_and_shows_a_new_secret_once() {
    for app in apps().await {
        let mut page = Browser::signed_in(&app, "admin").await;
        let res = page
            .post_form(
                "/admin/service-users",
                &[
                    ("username", "report-bot"),
                    ("display_name", "报表机器人"),
                    ("roles", "finance"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let shown = page.get(res.location()).await;
        assert!(shown.html.contains("服务账号已创建"), "{}", shown.html);
        assert!(shown.html.contains("data-service=\"report-bot\""));
        let issued = page
            .post_form("/admin/people/report-bot/token", &[("name", "月报")])
            .await;
        assert_eq!(issued.status, StatusCode::OK);
        let secret = issued.element("secret");
        assert!(secret.contains("fwk_"), "{secret}");
        let again = page.get("/admin/people").await;
        assert!(
            !again.html.contains("id=\"secret\""),
            "the secret is shown only once"
        );
        assert!(again.html.contains("月报"));
        let refused = page
            .post_form(
                "/admin/people/report-bot/password",
                &[("password", "a-password-1")],
            )
            .await;
        let refused = page.get(refused.location()).await;
        assert!(
            refused.html.contains("服务账号不用密码登录"),
            "{}",
            refused.html
        );
    }
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_suspended_even_by_a_stale_request() {
    for app in apps().await {
        let mut admin = app.signed_in("admin").await;
        let res = admin
            .post(
                "/api/v1/users",
                &json!({"username": "admin2", "password": "another-pass-123", "is_admin": true}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED);
        // admin2's request was let in while admin2 was still active…
        let stale = app.runtime_caller("admin2").await;
        assert_eq!(
            admin
                .post("/api/v1/users/admin2/suspend", &json!({}))
                .await
                .status,
            StatusCode::OK
        );
        // …and would leave nobody to administer the system.
        let err = app
            .runtime
            .admin_set_suspended(&stale, "admin", true)
            .await
            .unwrap_err();
        match err {
            formwork_runtime::RuntimeError::Invalid { problems } => {
                assert_eq!(problems[0].code, "last_admin")
            }
            other => panic!("{other:?}"),
        }
        assert!(!app.runtime_caller("admin").await.user.suspended);
    }
}

#[tokio::test]
async fn a_sheet_lays_out_a_department_tree_whatever_the_order_of_its_rows() {
    for app in apps().await {
        // 华南一组 names 华南销售部 as its parent before 华南销售部's own row says it is under
        // 销售中心; a row without a username makes just the department.
        let sheet = "用户名,姓名,部门,上级部门,初始密码\n\
                     south1,华南一组 何静,华南一组,华南销售部,initial-pass-1\n\
                     ,,华南销售部,销售中心,\n\
                     ,,华南二组,华南销售部,\n";
        let mut admin = Browser::signed_in(&app, "admin").await;
        let res = admin
            .post_multipart(
                "/admin/people/import",
                &[],
                &[("file", "部门.csv", sheet.as_bytes())],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.html);
        let page = admin.get(res.location()).await;
        assert!(
            page.html.contains("已导入 1 人、新建 3 个部门"),
            "{}",
            page.html
        );
        let tree: Vec<(u64, String)> = departments(&app)
            .await
            .iter()
            .map(|d| {
                (
                    d["depth"].as_u64().unwrap(),
                    d["name"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let names: Vec<(u64, &str)> = tree.iter().map(|(d, n)| (*d, n.as_str())).collect();
        assert_eq!(
            names,
            [
                (0, "销售中心"),
                (1, "华东销售部"),
                (1, "华北销售部"),
                (1, "华南销售部"),
                (2, "华南一组"),
                (2, "华南二组"),
            ]
        );
    }
}

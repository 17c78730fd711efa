//! People administration on SQLite and PostgreSQL: suspension that never locks admins out,
//! password resets, role membership, customers and their client accounts — admins only.

use crate::common::pages::Browser;
use crate::common::{apps, sample_package};
use axum::http::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn an_admin_cannot_suspend_themselves_but_may_suspend_another_admin() {
    for app in apps().await {
        let mut admin = app.signed_in("admin").await;
        let res = admin.post("/api/v1/users/admin/suspend", &json!({})).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            res.text()
        );
        assert_eq!(res.json()["fields"][0]["code"], "cannot_suspend_self");
        let res = admin
            .post(
                "/api/v1/users",
                &json!({"username": "admin2", "password": "another-pass-123", "is_admin": true}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
        let res = admin.post("/api/v1/users/admin2/suspend", &json!({})).await;
        assert_eq!(res.status, StatusCode::OK);
        let mut sales = app.signed_in("sales1").await;
        let res = sales.post("/api/v1/users/sales2/suspend", &json!({})).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn admins_reset_passwords_and_set_roles() {
    for app in apps().await {
        let mut admin = app.signed_in("admin").await;
        let res = admin
            .post(
                "/api/v1/users/sales2/password",
                &json!({"password": "brand-new-pass-1"}),
            )
            .await;
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text());
        let mut sales2 = app.client();
        sales2.login("sales2", "brand-new-pass-1").await;
        assert_eq!(sales2.get("/api/v1/me").await.status, StatusCode::OK);

        let body = json!({"roles": ["sales", "finance"]})
            .to_string()
            .into_bytes();
        let res = admin
            .send(Method::PUT, "/api/v1/users/sales2/roles", Some(body), &[])
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(res.json()["roles"], json!(["finance", "sales"]));
        let caller = app.runtime_caller("sales2").await;
        assert_eq!(caller.roles.len(), 2);
        let body = json!({"roles": ["no_such_role"]}).to_string().into_bytes();
        let res = admin
            .send(Method::PUT, "/api/v1/users/sales2/roles", Some(body), &[])
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn customers_and_client_accounts_are_kept_by_admins_and_scope_what_clients_see() {
    for app in apps().await {
        let mut analyst = app.signed_in("analyst").await;
        analyst.post("/api/v1/apps", &sample_package()).await;
        analyst
            .post("/api/v1/apps/project-registration/publish", &json!({}))
            .await;
        let mut sales1 = app.signed_in("sales1").await;
        for customer in ["杭州新客户有限公司", "别家公司"] {
            let res = sales1
                .post(
                    "/api/v1/apps/project-registration/forms/project/records",
                    &json!({"name": format!("{customer}项目"), "customer": customer,
                            "contact_phone": "13800138000", "amount": "1000", "region": "华南"}),
                )
                .await;
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
        }
        let mut admin = app.signed_in("admin").await;
        let created = admin
            .post(
                "/api/v1/customers",
                &json!({"name": "杭州新客户有限公司", "contacts": "王经理"}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
        let again = admin
            .post("/api/v1/customers", &json!({"name": "杭州新客户有限公司"}))
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        let id = created.json()["id"].as_str().unwrap().to_owned();

        let mut client = app.signed_in("client1").await;
        let list = "/api/v1/apps/project-registration/forms/project/records";
        assert_eq!(
            client.get(list).await.json()["items"],
            json!([]),
            "linked to nobody yet"
        );
        let res = admin
            .send(
                Method::PUT,
                &format!("/api/v1/customers/{id}/accounts/client1"),
                None,
                &[],
            )
            .await;
        assert_eq!(res.status, StatusCode::NO_CONTENT);
        let items = client.get(list).await.json()["items"].clone();
        assert_eq!(items.as_array().unwrap().len(), 1);
        assert_eq!(items[0]["data"]["customer"], "杭州新客户有限公司");

        assert_eq!(
            sales1.get("/api/v1/customers").await.status,
            StatusCode::FORBIDDEN
        );
        let mut page = Browser::signed_in(&app, "admin").await;
        let people = page.get("/admin/people").await;
        assert_eq!(people.status, StatusCode::OK);
        assert!(people.html.contains("杭州新客户有限公司"));
        assert!(people.html.contains("客户联系人 吴昊"));
        let mut other = Browser::signed_in(&app, "sales1").await;
        assert_eq!(
            other.get("/admin/people").await.status,
            StatusCode::FORBIDDEN
        );
    }
}

#[tokio::test]
async fn a_sheet_of_people_creates_departments_users_and_roles_and_reports_refused_rows() {
    for app in apps().await {
        let sheet = "用户名,姓名,邮箱,部门,上级部门,角色,初始密码\n\
                     sales3,华南销售 黄磊,sales3@example.com,华南销售部,销售中心,sales,initial-pass-1\n\
                     sales4,华南销售 林芳,,华南销售部,,\"sales、finance\",initial-pass-2\n\
                     sales1,重复的人,,,,,initial-pass-3\n\
                     short,密码太短,,,,,123\n";
        let mut admin = Browser::signed_in(&app, "admin").await;
        let res = admin
            .post_multipart(
                "/admin/people/import",
                &[],
                &[("file", "人员.csv", sheet.as_bytes())],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.html);
        let page = admin.get(res.location()).await;
        assert!(
            page.html
                .contains("已导入 2 人、新建 1 个部门；1 人已存在未改动；1 行未导入"),
            "{}",
            page.html
        );
        assert!(page.html.contains("第 5 行"));
        let sales4 = app.runtime_caller("sales4").await;
        assert_eq!(sales4.roles.len(), 2);
        let dept = app
            .store
            .get_department_by_name("华南销售部")
            .await
            .unwrap()
            .unwrap();
        let centre = app
            .store
            .get_department_by_name("销售中心")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(dept.parent_id, Some(centre.id));
        assert_eq!(sales4.user.department_id, Some(dept.id));
        let mut sales = Browser::signed_in(&app, "sales1").await;
        let res = sales
            .post_multipart(
                "/admin/people/import",
                &[],
                &[("file", "x.csv", sheet.as_bytes())],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
    }
}

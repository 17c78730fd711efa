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

//! Inbound hooks over HTTP, on both backends: a CRM posts an opportunity that the package's
//! hook maps onto a project, submitted as a service user; signed with the hook's secret or
//! sent with the service user's token; a replay with the same delivery id creates nothing.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::StatusCode;
use formwork_model::{AppId, RoleId};
use formwork_runtime::signature::webhook_signature;
use formwork_runtime::{NewUserInput, Runtime, system_actor};
use formwork_web::WebConfig;
use serde_json::{Value, json};

use crate::common::{Client, apps, sample_package};

const SECRET: &str = "crm-hook-secret";

fn package_with_hook() -> Value {
    let mut package = sample_package();
    package["hooks"] = json!([{
        "id": "crm",
        "name": {"zh-CN": "CRM 商机同步", "en": "CRM opportunities"},
        "form": "project",
        "as_user": "crmbot",
        "fields": {
            "name": "payload.opportunity.title",
            "customer": "payload.opportunity.account",
            "amount": "payload.opportunity.amount",
            "contact_phone": "payload.opportunity.phone",
            "region": "payload.opportunity.region"
        },
        "delivery_id": "payload.id"
    }]);
    package
}

fn opportunity(id: &str, title: &str, amount: &str) -> Vec<u8> {
    json!({"id": id, "opportunity": {"title": title, "account": "华润置地", "amount": amount,
                                      "phone": "13800138000", "region": "华东"}})
    .to_string()
    .into_bytes()
}

fn signed(body: &[u8]) -> String {
    webhook_signature(
        SECRET,
        time::OffsetDateTime::now_utc().unix_timestamp(),
        body,
    )
}

#[tokio::test]
async fn a_signed_crm_delivery_becomes_a_project_once_and_replays_create_nothing() {
    for app in apps().await {
        let actor = system_actor();
        let imported = app
            .runtime
            .import_app(&package_with_hook(), &actor, false)
            .await
            .unwrap();
        assert!(imported.problems.is_empty(), "{:?}", imported.problems);
        let app_id = AppId::parse("project-registration").unwrap();
        app.runtime.publish(&app_id, &actor).await.unwrap();
        let bot = app
            .runtime
            .add_user(
                NewUserInput {
                    username: "crmbot".into(),
                    display_name: Some("CRM 同步".into()),
                    email: None,
                    password: "crm-bot-password-1".into(),
                    department_id: None,
                    is_admin: false,
                },
                None,
            )
            .await
            .unwrap();
        app.store
            .add_role_member(&RoleId::parse("sales").unwrap(), &bot.id)
            .await
            .unwrap();
        let secrets: HashMap<String, String> =
            [("project-registration/crm".to_owned(), SECRET.to_owned())].into();
        let runtime = Runtime::new(app.store.clone()).with_hook_secrets(secrets);
        let mut crm = Client::new(formwork_web::app(Arc::new(runtime), &WebConfig::default()));
        let url = "/api/v1/apps/project-registration/hooks/crm";

        let body = opportunity("opp-1", "智慧园区二期", "180000");
        let sig = signed(&body);
        let headers = [
            ("content-type", "application/json"),
            ("x-formwork-signature", sig.as_str()),
            ("x-formwork-delivery-id", "opp-1"),
        ];
        let first = crm.post_raw(url, &body, &headers).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
        let record = first.json();
        assert_eq!(record["data"]["name"], "智慧园区二期");
        assert_eq!(record["data"]["amount"], "180000.00");
        assert_eq!(record["owner"], bot.id.as_str());
        assert_eq!(
            record["status"], "in_review",
            "the approval started as for a person"
        );

        let replay = crm.post_raw(url, &body, &headers).await;
        assert_eq!(replay.status, StatusCode::OK);
        assert_eq!(replay.json()["id"], record["id"]);
        let changed = opportunity("opp-1", "另一个项目", "1");
        let changed_sig = signed(&changed);
        let conflict = crm
            .post_raw(
                url,
                &changed,
                &[
                    ("content-type", "application/json"),
                    ("x-formwork-signature", changed_sig.as_str()),
                    ("x-formwork-delivery-id", "opp-1"),
                ],
            )
            .await;
        assert_eq!(conflict.status, StatusCode::CONFLICT);

        // The delivery id may come from the payload, as the hook says.
        let second = opportunity("opp-2", "数据中心", "90000");
        let second_sig = signed(&second);
        let from_payload = crm
            .post_raw(
                url,
                &second,
                &[
                    ("content-type", "application/json"),
                    ("x-formwork-signature", second_sig.as_str()),
                ],
            )
            .await;
        assert_eq!(
            from_payload.status,
            StatusCode::CREATED,
            "{}",
            from_payload.text()
        );

        let forged = crm
            .post_raw(
                url,
                &body,
                &[
                    ("content-type", "application/json"),
                    ("x-formwork-signature", "t=1,v1=00"),
                    ("x-formwork-delivery-id", "opp-9"),
                ],
            )
            .await;
        assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
        let anonymous = crm
            .post_raw(url, &body, &[("content-type", "application/json")])
            .await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

        // With an API token: only the hook's service user's.
        let token = app.runtime.create_token(&bot, "crm").await.unwrap().secret;
        let third = opportunity("opp-3", "云平台", "50000");
        let bearer = format!("Bearer {token}");
        let by_token = crm
            .post_raw(
                url,
                &third,
                &[
                    ("content-type", "application/json"),
                    ("authorization", bearer.as_str()),
                ],
            )
            .await;
        assert_eq!(by_token.status, StatusCode::CREATED, "{}", by_token.text());
        let sales1 = app.runtime.user_by_username("sales1").await.unwrap();
        let other = app.runtime.create_token(&sales1, "x").await.unwrap().secret;
        let wrong = format!("Bearer {other}");
        let refused = crm
            .post_raw(
                url,
                &opportunity("opp-4", "x", "1"),
                &[
                    ("content-type", "application/json"),
                    ("authorization", wrong.as_str()),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);

        let bad = opportunity("opp-5", "坏数据", "很多");
        let bad_sig = signed(&bad);
        let invalid = crm
            .post_raw(
                url,
                &bad,
                &[
                    ("content-type", "application/json"),
                    ("x-formwork-signature", bad_sig.as_str()),
                ],
            )
            .await;
        assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(invalid.json()["fields"][0]["path"], "/amount");
        let made = app
            .store
            .list_audit(None, 200)
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.action == "record.create")
            .count();
        assert_eq!(made, 3, "opp-1, opp-2, opp-3");
        let missing = crm
            .post_raw(
                "/api/v1/apps/project-registration/hooks/nope",
                &body,
                &headers,
            )
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
    }
}

//! Notifications of rules through the consumer, on both backends: mail to a real SMTP server
//! with a zh-CN subject and body (and recorded as skipped, visibly, without an SMTP server or
//! for a user who keeps mail off), and DingTalk / WeCom group robots whose payloads and
//! signatures a receiver checks as the vendors do.

use std::sync::Arc;

use formwork_jobs::ManualClock;
use formwork_jobs::channels::{Mailer, SmtpSettings};
use formwork_jobs::config::{Destination, DestinationKind, Integrations};
use serde_json::{Value, json};

use crate::common::{TableResolver, config, real_client, start_sink};
use crate::harness::{Env, deliverer, each_backend, fast_config, ticket_package};
use crate::robots::{SECRET, TOKEN, WECOM_KEY};

fn mail_rules() -> Value {
    json!([{
        "id": "big_ticket",
        "name": {"zh-CN": "大额工单提醒财务"},
        "form": "ticket",
        "trigger": "created",
        "condition": "amount > 100000",
        "actions": [{
            "type": "notify",
            "to": [{"type": "role", "role": "finance"}, {"type": "owner"}],
            "channels": ["in_app", "email"],
            "title": {"zh-CN": "大额工单：{{ title }}", "en": "Large ticket: {{ title }}"},
            "message": {"zh-CN": "工单「{{ title }}」金额 {{ amount }} 元，请跟进。\n<b>不要</b>转义两次", "en": "Ticket {{ title }}: ¥{{ amount }}"}
        }]
    }])
}

#[tokio::test]
async fn a_rules_mail_reaches_a_real_smtp_server_with_a_zh_cn_subject_and_body() {
    let Some(mut sink) = start_sink().await else {
        return;
    };
    let port = sink.port;
    for backend in [
        formwork_testkit::Backend::Sqlite,
        formwork_testkit::Backend::Postgres,
    ] {
        if backend == formwork_testkit::Backend::Postgres && formwork_testkit::pg_skipped() {
            continue;
        }
        let clock = Arc::new(ManualClock::new(time::OffsetDateTime::now_utc()));
        let env = Env::with_clock(backend, ticket_package(mail_rules(), false), clock).await;
        // sales1 keeps mail off: in-app only, and the run says so.
        let sales1 = env.caller("sales1").await;
        env.runtime
            .save_notification_settings(&sales1, false, "zh-CN")
            .await
            .unwrap();
        let record = env
            .submit(
                "sales1",
                "ticket",
                json!({"title": "智慧园区", "amount": "150000.00"}),
            )
            .await;
        let allow = format!("127.0.0.1:{port}");
        let settings = SmtpSettings::from_url(
            &format!("smtp://127.0.0.1:{port}"),
            "Formwork 通知 <noreply@example.com>",
        )
        .unwrap();
        let mailer = Mailer::new(
            settings,
            real_client(config(&[&allow]), TableResolver::new([])),
        );
        let consumer = env.consumer(
            "a",
            deliverer(&[&allow], Integrations::default(), Some(mailer)),
            fast_config(),
        );
        env.drain(&[consumer]).await;

        let got = sink.next_message().await;
        assert_eq!(got["rcpt_tos"], json!(["finance@example.com"]));
        assert_eq!(got["subject"], "【运维工单】大额工单：智慧园区");
        assert!(
            got["raw_subject"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("=?utf-8?")
        );
        let text = got["text"].as_str().unwrap().replace("\r\n", "\n");
        assert!(
            text.contains("工单「智慧园区」金额 150000 元，请跟进。\n<b>不要</b>转义两次"),
            "{text}"
        );
        assert!(
            text.contains("查看详情：https://formwork.example.com/records/"),
            "{text}"
        );
        let html = got["html"].as_str().unwrap();
        assert!(
            html.contains("&lt;b&gt;不要&lt;&#x2f;b&gt;"),
            "escaped once: {html}"
        );
        let event_id = got["event_id"].as_str().unwrap().to_owned();
        assert!(event_id.contains(":email:"), "{event_id}");
        assert_eq!(env.messages("finance", "rule").await.len(), 1, "in-app too");
        assert_eq!(
            env.messages("sales1", "rule").await.len(),
            1,
            "in-app is always on"
        );

        let admin = env.caller("admin").await;
        let runs = env.runtime.rule_runs(&admin, &record.id).await.unwrap();
        let mail = &runs[0].actions[0].detail["email"];
        assert_eq!(mail["to"], json!(["finance"]));
        assert_eq!(mail["skipped"][0]["user"], "sales1");
        assert_eq!(mail["skipped"][0]["reason"], "opted_out");
        let (job, tries) = &runs[0].deliveries[0];
        assert_eq!(
            job.event_id, event_id,
            "the mail carried its job's event id"
        );
        assert_eq!(tries[0].outcome, "delivered");
        env.cleanup().await;
    }
}

#[tokio::test]
async fn without_an_smtp_server_mail_is_recorded_as_skipped_on_the_run() {
    each_backend(|backend| async move {
        let env = Env::new(
            backend,
            ticket_package(mail_rules(), false),
            time::OffsetDateTime::now_utc(),
        )
        .await;
        let record = env
            .submit(
                "sales2",
                "ticket",
                json!({"title": "X", "amount": "200000"}),
            )
            .await;
        let consumer = env.consumer(
            "a",
            deliverer(&[], Integrations::default(), None),
            fast_config(),
        );
        env.drain(&[consumer]).await;
        let admin = env.caller("admin").await;
        let runs = env.runtime.rule_runs(&admin, &record.id).await.unwrap();
        assert_eq!(runs[0].deliveries.len(), 2, "finance and the owner");
        for (job, tries) in &runs[0].deliveries {
            assert_eq!(job.state, formwork_store::JobState::Done);
            assert_eq!(tries[0].outcome, "skipped");
            assert_eq!(tries[0].code.as_deref(), Some("smtp_not_configured"));
            assert!(
                tries[0]
                    .message
                    .as_deref()
                    .unwrap()
                    .contains("FORMWORK_SMTP_URL")
            );
        }
        env.cleanup().await;
    })
    .await;
}

#[tokio::test]
async fn dingtalk_and_wecom_robots_get_signed_vendor_payloads() {
    each_backend(|backend| async move {
        let (receiver, port, _) = crate::robots::start().await;
        let mut integrations = Integrations::default();
        integrations.destinations.insert(
            "sales-dingtalk".into(),
            Destination {
                kind: DestinationKind::Dingtalk,
                url: format!("http://127.0.0.1:{port}/robot/send?access_token={TOKEN}"),
                secret: Some(SECRET.into()),
            },
        );
        integrations.destinations.insert(
            "ops-wecom".into(),
            Destination {
                kind: DestinationKind::Wecom,
                url: format!("http://127.0.0.1:{port}/cgi-bin/webhook/send?key={WECOM_KEY}"),
                secret: None,
            },
        );
        let rules = json!([{
            "id": "robots",
            "form": "ticket",
            "trigger": "created",
            "actions": [
                {"type": "notify", "channels": ["dingtalk"], "destination": "sales-dingtalk",
                 "to": [{"type": "owner"}],
                 "title": {"zh-CN": "新工单"}, "message": {"zh-CN": "工单「{{ title }}」已提交"}},
                {"type": "notify", "channels": ["wecom"], "destination": "ops-wecom",
                 "message": {"zh-CN": "企业微信：{{ title }}"}}
            ]
        }]);
        let env = Env::new(
            backend,
            ticket_package(rules, false),
            time::OffsetDateTime::now_utc(),
        )
        .await;
        env.submit("sales1", "ticket", json!({"title": "机房巡检"}))
            .await;
        let allow = format!("127.0.0.1:{port}");
        let consumer = env.consumer("a", deliverer(&[&allow], integrations, None), fast_config());
        env.drain(&[consumer]).await;
        let messages = receiver.messages.lock().unwrap().clone();
        assert_eq!(messages.len(), 2, "{messages:#?}");
        let ding = messages.iter().find(|m| m["at"].is_object()).unwrap();
        assert_eq!(ding["msgtype"], "text");
        let content = ding["text"]["content"].as_str().unwrap();
        assert!(
            content.contains("新工单") && content.contains("工单「机房巡检」已提交"),
            "{content}"
        );
        assert!(
            content.contains("@华东销售 张伟"),
            "names the recipient: {content}"
        );
        let raw = receiver.raw_queries.lock().unwrap()[0].clone();
        assert!(raw.contains("timestamp=") && raw.contains("sign="), "{raw}");
        let wecom = messages.iter().find(|m| m["at"].is_null()).unwrap();
        assert!(
            wecom["text"]["content"]
                .as_str()
                .unwrap()
                .contains("企业微信：机房巡检")
        );
        env.cleanup().await;
    })
    .await;
}

//! Email delivered to a real SMTP server (Python's aiosmtpd, `tests/python/smtp_sink.py`):
//! the zh-CN subject travels RFC 2047-encoded and decodes back, the HTML part is escaped, the
//! text part is not, and the event id is the Message-ID.
//!
//! Needs python3 with `aiosmtpd` (`tests/python/requirements.txt`; `scripts/test.sh` installs it
//! into a venv and sets `FORMWORK_TEST_PYTHON`). Without python3 the tests print a notice and
//! pass; with python3 but without aiosmtpd they fail, saying how to install it.

use crate::common::{TableResolver, config, real_client, start_sink};
use formwork_jobs::channels::{EmailTemplate, Mailer, SmtpSettings};
use serde_json::json;

fn mailer(port: u16, allow: &[&str]) -> Mailer {
    let settings = SmtpSettings::from_url(
        &format!("smtp://127.0.0.1:{port}"),
        "Formwork 通知 <noreply@example.com>",
    )
    .unwrap();
    Mailer::new(settings, real_client(config(allow), TableResolver::new([])))
}

#[tokio::test]
async fn a_zh_cn_notification_arrives_with_an_encoded_subject_and_escaped_html() {
    let Some(mut sink) = start_sink().await else {
        return;
    };
    let allow = format!("127.0.0.1:{}", sink.port);
    let mailer = mailer(sink.port, &[&allow]);
    assert!(
        mailer.allows_plaintext(),
        "an allowlisted relay may skip STARTTLS"
    );
    let email = EmailTemplate::notification("zh-CN")
        .render(
            vec![
                "sales1@example.com".into(),
                "王经理 <manager1@example.com>".into(),
            ],
            &json!({
                "app": "客户项目报备",
                "title": "项目“智慧园区”待您审批",
                "body": "金额：¥120,000\n区域：华东 <b>加急</b>",
                "link": "http://127.0.0.1:8080/tasks/42",
            }),
        )
        .unwrap();
    let event_id = "0193a5c2-7c1e-7000-8000-00000000002a";
    let delivered = mailer.send(event_id, &email).await.unwrap();
    assert!(delivered.detail.starts_with("250"), "{}", delivered.detail);

    let got = sink.next_message().await;
    assert_eq!(got["subject"], "【客户项目报备】项目“智慧园区”待您审批");
    let raw = got["raw_subject"].as_str().unwrap();
    assert!(
        raw.is_ascii() && raw.to_lowercase().contains("=?utf-8?"),
        "{raw}"
    );
    assert_eq!(got["from"], "Formwork 通知 <noreply@example.com>");
    assert_eq!(got["mail_from"], "noreply@example.com");
    assert_eq!(
        got["rcpt_tos"],
        json!(["sales1@example.com", "manager1@example.com"])
    );
    assert_eq!(got["message_id"], format!("<{event_id}@example.com>"));
    assert_eq!(got["event_id"], event_id);
    assert_eq!(got["content_type"], "multipart/alternative");
    let html = got["html"].as_str().unwrap();
    assert!(html.contains("项目“智慧园区”待您审批"), "{html}");
    assert!(
        html.contains("区域：华东 &lt;b&gt;加急&lt;&#x2f;b&gt;"),
        "{html}"
    );
    assert!(!html.contains("<b>加急"), "{html}");
    assert!(
        html.contains("href=\"http:&#x2f;&#x2f;127.0.0.1:8080&#x2f;tasks&#x2f;42\""),
        "{html}"
    );
    // Mail travels with CRLF line ends.
    let text = got["text"].as_str().unwrap().replace("\r\n", "\n");
    assert!(
        text.contains("金额：¥120,000\n区域：华东 <b>加急</b>"),
        "{text}"
    );
    assert!(
        text.contains("查看详情：http://127.0.0.1:8080/tasks/42"),
        "{text}"
    );
}

#[tokio::test]
async fn an_english_notification_arrives_too() {
    let Some(mut sink) = start_sink().await else {
        return;
    };
    let allow = format!("127.0.0.1:{}", sink.port);
    let email = EmailTemplate::notification("en")
        .render(
            vec!["finance@example.com".into()],
            &json!({"title": "Project approved: ¥150,000", "body": "Smart Park was approved."}),
        )
        .unwrap();
    mailer(sink.port, &[&allow])
        .send("evt-en-1", &email)
        .await
        .unwrap();
    let got = sink.next_message().await;
    assert_eq!(got["subject"], "Project approved: ¥150,000");
    let text = got["text"].as_str().unwrap().replace("\r\n", "\n");
    assert!(
        text.starts_with("Project approved: ¥150,000\n\nSmart Park was approved.\n"),
        "{text}"
    );
    assert!(!text.contains("Open:"), "no link, no link line");
}

#[tokio::test]
async fn a_mail_server_off_the_allowlist_is_refused_before_connecting() {
    let Some(mut sink) = start_sink().await else {
        return;
    };
    let email = EmailTemplate::notification("zh-CN")
        .render(
            vec!["a@example.com".into()],
            &json!({"title": "不应送达", "body": ""}),
        )
        .unwrap();
    let closed = mailer(sink.port, &[]);
    assert!(
        !closed.allows_plaintext(),
        "STARTTLS is required off the allowlist"
    );
    let err = closed.send("evt-refused", &email).await.unwrap_err();
    assert_eq!(err.code(), "address_refused");
    assert!(!err.is_retryable());
    // The sink's next message is the next allowed one: nothing arrived from the refused send.
    let allow = format!("127.0.0.1:{}", sink.port);
    let ok = EmailTemplate::notification("zh-CN")
        .render(
            vec!["a@example.com".into()],
            &json!({"title": "送达", "body": ""}),
        )
        .unwrap();
    mailer(sink.port, &[&allow])
        .send("evt-ok", &ok)
        .await
        .unwrap();
    assert_eq!(sink.next_message().await["event_id"], "evt-ok");
}

#[test]
fn smtp_urls_and_addresses_are_checked() {
    let s = SmtpSettings::from_url(
        "smtps://mailer%40corp:p%2Bss@mail.example.com",
        "a@example.com",
    )
    .unwrap();
    assert_eq!(
        (s.port, s.username.as_deref(), s.password.as_deref()),
        (465, Some("mailer@corp"), Some("p+ss"))
    );
    let s = SmtpSettings::from_url("smtp://mail.example.com:587", "a@example.com").unwrap();
    assert_eq!((s.port, s.username), (587, None));
    assert!(
        !format!(
            "{:?}",
            SmtpSettings::from_url("smtp://u:secret@h", "a@example.com").unwrap()
        )
        .contains("secret")
    );
    for (url, from) in [
        ("http://mail.example.com", "a@example.com"),
        ("smtp://", "a@example.com"),
        ("smtp://h", "not an address"),
    ] {
        let err = SmtpSettings::from_url(url, from).unwrap_err();
        assert_eq!(err.code(), "bad_config", "{url} {from}");
    }
    let err = EmailTemplate {
        subject: "{{ x".into(),
        html: String::new(),
        text: String::new(),
    }
    .render(vec![], &json!({}))
    .unwrap_err();
    assert_eq!(err.code(), "bad_template");
}

//! DingTalk and WeCom group robots against test receivers on 127.0.0.1 (allowlisted) that
//! check what the vendors document: DingTalk's `timestamp` + `sign` (HMAC-SHA256 of
//! "timestamp\nsecret" keyed by the secret, base64, URL-encoded; at most an hour off), WeCom's
//! `key`, the message JSON, and `errcode` answers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{TableResolver, config, real_client, serve};
use axum::Json;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::routing::post;
use base64::Engine as _;
use formwork_jobs::channels::{
    ChannelError, DingTalkRobot, RobotFormat, RobotMessage, Vendor, WeComRobot,
};
use formwork_jobs::net::SafeClient;
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use time::OffsetDateTime;

pub(crate) const TOKEN: &str = "robot-token-1";
pub(crate) const SECRET: &str = "SEC0123456789abcdef+/=secret";
pub(crate) const WECOM_KEY: &str = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";

#[derive(Clone, Default)]
pub(crate) struct Receiver {
    pub(crate) messages: Arc<Mutex<Vec<Value>>>,
    pub(crate) raw_queries: Arc<Mutex<Vec<String>>>,
    /// Answer this errcode instead of checking (simulates rate limiting, busy).
    force: Arc<Mutex<Option<(i64, &'static str)>>>,
}

fn query(raw: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(raw.as_bytes())
        .into_owned()
        .collect()
}

/// DingTalk's documented check, written independently of the client.
fn dingtalk_expected_sign(timestamp: &str, secret: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

async fn dingtalk(
    State(r): State<Receiver>,
    RawQuery(raw): RawQuery,
    Json(body): Json<Value>,
) -> Json<Value> {
    let raw = raw.unwrap_or_default();
    r.raw_queries.lock().unwrap().push(raw.clone());
    if let Some((code, msg)) = *r.force.lock().unwrap() {
        return Json(json!({"errcode": code, "errmsg": msg}));
    }
    let q = query(&raw);
    if q.get("access_token").map(String::as_str) != Some(TOKEN) {
        return Json(json!({"errcode": 300001, "errmsg": "token is not exist"}));
    }
    let (Some(timestamp), Some(sign)) = (q.get("timestamp"), q.get("sign")) else {
        return Json(json!({"errcode": 310000, "errmsg": "sign not match"}));
    };
    let now_ms = OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let ts: i64 = timestamp.parse().unwrap_or(0);
    if (now_ms - ts).abs() > 3_600_000 {
        return Json(json!({"errcode": 310000, "errmsg": "timestamp expired"}));
    }
    if *sign != dingtalk_expected_sign(timestamp, SECRET) {
        return Json(json!({"errcode": 310000, "errmsg": "sign not match"}));
    }
    let valid = match body["msgtype"].as_str() {
        Some("text") => body["text"]["content"].is_string(),
        Some("markdown") => {
            body["markdown"]["title"].is_string() && body["markdown"]["text"].is_string()
        }
        _ => false,
    };
    if !valid {
        return Json(json!({"errcode": 40035, "errmsg": "invalid msgtype"}));
    }
    r.messages.lock().unwrap().push(body);
    Json(json!({"errcode": 0, "errmsg": "ok"}))
}

async fn wecom(
    State(r): State<Receiver>,
    RawQuery(raw): RawQuery,
    Json(body): Json<Value>,
) -> Json<Value> {
    if let Some((code, msg)) = *r.force.lock().unwrap() {
        return Json(json!({"errcode": code, "errmsg": msg}));
    }
    if query(&raw.unwrap_or_default())
        .get("key")
        .map(String::as_str)
        != Some(WECOM_KEY)
    {
        return Json(json!({"errcode": 93000, "errmsg": "invalid webhook url"}));
    }
    let (content, limit) = match body["msgtype"].as_str() {
        Some("text") => (body["text"]["content"].as_str(), 2048),
        Some("markdown") => (body["markdown"]["content"].as_str(), 4096),
        _ => (None, 0),
    };
    match content {
        Some(c) if c.len() <= limit => {}
        _ => return Json(json!({"errcode": 40008, "errmsg": "invalid message type"})),
    }
    r.messages.lock().unwrap().push(body);
    Json(json!({"errcode": 0, "errmsg": "ok"}))
}

pub(crate) async fn start() -> (Receiver, u16, SafeClient) {
    let receiver = Receiver::default();
    let router = Router::new()
        .route("/robot/send", post(dingtalk))
        .route("/cgi-bin/webhook/send", post(wecom))
        .route(
            "/broken",
            post(|| async { (axum::http::StatusCode::BAD_GATEWAY, "upstream down") }),
        )
        .with_state(receiver.clone());
    let port = serve(router).await;
    let client = real_client(
        config(&[&format!("127.0.0.1:{port}")]),
        TableResolver::new([]),
    );
    (receiver, port, client)
}

fn message(format: RobotFormat, content: &str) -> RobotMessage {
    RobotMessage {
        format,
        title: "项目审批提醒".into(),
        content: content.into(),
        mention_mobiles: vec!["13800000000".into()],
        mention_all: false,
    }
}

fn robot(port: u16, secret: &str) -> DingTalkRobot {
    DingTalkRobot {
        webhook: format!("http://127.0.0.1:{port}/robot/send?access_token={TOKEN}"),
        secret: Some(secret.into()),
    }
}

#[tokio::test]
async fn dingtalk_accepts_signed_text_and_markdown() {
    let (receiver, port, client) = start().await;
    let robot = robot(port, SECRET);
    let now = OffsetDateTime::now_utc();
    let text = message(
        RobotFormat::Text,
        "【报备】华东项目 ¥120,000 待您审批 @13800000000",
    );
    let delivered = robot.send(&client, "evt-1", &text, now).await.unwrap();
    assert_eq!(delivered.event_id, "evt-1");
    let md = message(
        RobotFormat::Markdown,
        "### 项目已通过\n- 金额：**¥120,000**",
    );
    robot.send(&client, "evt-2", &md, now).await.unwrap();

    let got = receiver.messages.lock().unwrap().clone();
    assert_eq!(
        got[0],
        json!({
            "msgtype": "text",
            "text": {"content": "【报备】华东项目 ¥120,000 待您审批 @13800000000"},
            "at": {"atMobiles": ["13800000000"], "isAtAll": false},
        })
    );
    assert_eq!(got[1]["markdown"]["title"], "项目审批提醒");
    assert_eq!(
        got[1]["markdown"]["text"],
        "### 项目已通过\n- 金额：**¥120,000**"
    );
    // On the wire the base64 sign is URL-encoded: no raw '+', '/' or '=' in its value.
    for raw in receiver.raw_queries.lock().unwrap().iter() {
        let sign = raw
            .split('&')
            .find_map(|p| p.strip_prefix("sign="))
            .unwrap();
        assert!(!sign.contains(['+', '/', '=']), "{sign}");
    }
}

#[tokio::test]
async fn dingtalk_refusals_are_permanent_unless_they_are_rate_limits() {
    let (receiver, port, client) = start().await;
    let now = OffsetDateTime::now_utc();
    let text = message(RobotFormat::Text, "提醒");

    let err = robot(port, "SECwrong")
        .send(&client, "e", &text, now)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ChannelError::Vendor {
            vendor: Vendor::DingTalk,
            errcode: 310000,
            errmsg: "sign not match".into()
        }
    );
    assert!(!err.is_retryable());
    assert_eq!(
        err.message("zh-CN"),
        "钉钉拒绝了消息：错误码 310000，sign not match"
    );

    let two_hours_ago = now - time::Duration::hours(2);
    let err = robot(port, SECRET)
        .send(&client, "e", &text, two_hours_ago)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ChannelError::Vendor {
                errcode: 310000,
                ..
            }
        ),
        "{err:?}"
    );

    *receiver.force.lock().unwrap() = Some((130101, "send too fast, exceed 20 times per minute"));
    let err = robot(port, SECRET)
        .send(&client, "e", &text, now)
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(60)));
    assert!(receiver.messages.lock().unwrap().is_empty());

    let broken = DingTalkRobot {
        webhook: format!("http://127.0.0.1:{port}/broken"),
        secret: None,
    };
    let err = broken.send(&client, "e", &text, now).await.unwrap_err();
    assert!(
        matches!(err, ChannelError::Status { status: 502, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn wecom_accepts_text_and_markdown_by_key() {
    let (receiver, port, client) = start().await;
    let robot = WeComRobot {
        webhook: format!("http://127.0.0.1:{port}/cgi-bin/webhook/send?key={WECOM_KEY}"),
    };
    let mut text = message(RobotFormat::Text, "项目“智慧园区”已逾期 24 小时");
    text.mention_all = true;
    robot.send(&client, "w-1", &text).await.unwrap();
    let md = message(
        RobotFormat::Markdown,
        "**里程碑**将于 <font color=\"warning\">3 天后</font>到期",
    );
    robot.send(&client, "w-2", &md).await.unwrap();
    let got = receiver.messages.lock().unwrap().clone();
    assert_eq!(
        got[0],
        json!({
            "msgtype": "text",
            "text": {
                "content": "项目“智慧园区”已逾期 24 小时",
                "mentioned_list": ["@all"],
                "mentioned_mobile_list": ["13800000000"],
            },
        })
    );
    assert_eq!(
        got[1],
        json!({"msgtype": "markdown", "markdown": {"content": "**里程碑**将于 <font color=\"warning\">3 天后</font>到期"}})
    );
}

#[tokio::test]
async fn wecom_refusals_and_limits_are_classified() {
    let (receiver, port, client) = start().await;
    let wrong = WeComRobot {
        webhook: format!("http://127.0.0.1:{port}/cgi-bin/webhook/send?key=nope"),
    };
    let err = wrong
        .send(&client, "w", &message(RobotFormat::Text, "x"))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        ChannelError::Vendor {
            vendor: Vendor::WeCom,
            errcode: 93000,
            ..
        }
    ));
    assert!(!err.is_retryable());

    let robot = WeComRobot {
        webhook: format!("http://127.0.0.1:{port}/cgi-bin/webhook/send?key={WECOM_KEY}"),
    };
    let long = message(RobotFormat::Text, &"超".repeat(700));
    let err = robot.send(&client, "w", &long).await.unwrap_err();
    assert_eq!(
        err,
        ChannelError::TooLong {
            limit: 2048,
            actual: 2100
        }
    );
    assert_eq!(
        err.message("zh-CN"),
        "消息长度 2100 字节，超过上限 2048 字节"
    );

    *receiver.force.lock().unwrap() = Some((45009, "api freq out of limit"));
    let err = robot
        .send(&client, "w", &message(RobotFormat::Text, "x"))
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(60)));
    assert!(receiver.messages.lock().unwrap().is_empty());
}

#[tokio::test]
async fn robots_are_subject_to_the_ssrf_checks_too() {
    let (_, port, _) = start().await;
    let client = real_client(config(&[]), TableResolver::new([]));
    let err = robot(port, SECRET)
        .send(
            &client,
            "e",
            &message(RobotFormat::Text, "x"),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "address_refused");
    let a = robot(port, SECRET);
    let b = robot(port + 1, SECRET);
    assert_ne!(a.destination(), b.destination());
    assert!(!a.destination().contains(TOKEN));
}

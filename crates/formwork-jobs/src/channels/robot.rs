//! DingTalk and WeCom group robots: a webhook URL per group, text or markdown messages, and a
//! JSON answer with `errcode` (0 is success) even when the HTTP status is 200.
//!
//! DingTalk signs with the robot's secret (加签): `sign = urlencode(base64(HMAC-SHA256(key =
//! secret, timestamp_ms + "\n" + secret)))`, sent as the `timestamp` and `sign` query
//! parameters; DingTalk refuses a timestamp more than an hour off. WeCom authenticates by the
//! `key` in the webhook URL alone.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::channels::Delivered;
use crate::channels::error::{ChannelError, Vendor};
use crate::channels::sign::{fingerprint, hmac_sha256};
use crate::net::{OutboundRequest, SafeClient};

/// Plain text, or the vendor's markdown subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RobotFormat {
    Text,
    Markdown,
}

/// A group message: the same shape for both vendors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotMessage {
    pub format: RobotFormat,
    /// The title DingTalk shows in the chat list for markdown; not used by WeCom.
    pub title: String,
    pub content: String,
    /// Mobile numbers to @-mention.
    pub mention_mobiles: Vec<String>,
    pub mention_all: bool,
}

/// A DingTalk group robot: its webhook (with `access_token`) and, when 加签 is on, its secret
/// (`SEC…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DingTalkRobot {
    pub webhook: String,
    pub secret: Option<String>,
}

/// DingTalk's `sign` for `timestamp_ms` under `secret`, base64 (the URL encoding is applied
/// when it is put in the query).
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    let string_to_sign = format!("{timestamp_ms}\n{secret}");
    let mac = hmac_sha256(secret.as_bytes(), &[string_to_sign.as_bytes()]);
    base64::engine::general_purpose::STANDARD.encode(mac)
}

impl DingTalkRobot {
    /// A rate-limit key for this robot that does not reveal its token.
    pub fn destination(&self) -> String {
        format!("dingtalk:{}", fingerprint(&self.webhook))
    }

    /// The webhook with `timestamp` and `sign` added (when a secret is set).
    pub fn signed_url(&self, now: OffsetDateTime) -> Result<String, ChannelError> {
        let mut url = url::Url::parse(&self.webhook).map_err(|e| ChannelError::Config {
            reason: format!("DingTalk webhook: {e}"),
        })?;
        if let Some(secret) = &self.secret {
            let timestamp = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
            url.query_pairs_mut()
                .append_pair("timestamp", &timestamp.to_string())
                .append_pair("sign", &dingtalk_sign(secret, timestamp));
        }
        Ok(url.into())
    }

    /// The JSON DingTalk expects for `message`.
    pub fn payload(message: &RobotMessage) -> Value {
        let at = json!({
            "atMobiles": message.mention_mobiles,
            "isAtAll": message.mention_all,
        });
        match message.format {
            RobotFormat::Text => json!({
                "msgtype": "text",
                "text": { "content": message.content },
                "at": at,
            }),
            RobotFormat::Markdown => json!({
                "msgtype": "markdown",
                "markdown": { "title": message.title, "text": message.content },
                "at": at,
            }),
        }
    }

    /// Posts `message` to the group. Keep to [`Rate::DINGTALK_ROBOT`](crate::Rate) per robot.
    pub async fn send(
        &self,
        client: &SafeClient,
        event_id: &str,
        message: &RobotMessage,
        now: OffsetDateTime,
    ) -> Result<Delivered, ChannelError> {
        let url = self.signed_url(now)?;
        post(
            client,
            Vendor::DingTalk,
            url,
            &Self::payload(message),
            event_id,
        )
        .await
    }
}

/// A WeCom (企业微信) group robot: its webhook URL, which carries the `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeComRobot {
    pub webhook: String,
}

/// WeCom's documented limits, in UTF-8 bytes.
const WECOM_TEXT_LIMIT: usize = 2048;
const WECOM_MARKDOWN_LIMIT: usize = 4096;

impl WeComRobot {
    /// A rate-limit key for this robot that does not reveal its key.
    pub fn destination(&self) -> String {
        format!("wecom:{}", fingerprint(&self.webhook))
    }

    /// The JSON WeCom expects for `message`, or why it cannot be sent (too long).
    pub fn payload(message: &RobotMessage) -> Result<Value, ChannelError> {
        let limit = match message.format {
            RobotFormat::Text => WECOM_TEXT_LIMIT,
            RobotFormat::Markdown => WECOM_MARKDOWN_LIMIT,
        };
        if message.content.len() > limit {
            return Err(ChannelError::TooLong {
                limit,
                actual: message.content.len(),
            });
        }
        Ok(match message.format {
            RobotFormat::Text => {
                let mut mentioned: Vec<&str> = Vec::new();
                if message.mention_all {
                    mentioned.push("@all");
                }
                json!({
                    "msgtype": "text",
                    "text": {
                        "content": message.content,
                        "mentioned_list": mentioned,
                        "mentioned_mobile_list": message.mention_mobiles,
                    },
                })
            }
            RobotFormat::Markdown => json!({
                "msgtype": "markdown",
                "markdown": { "content": message.content },
            }),
        })
    }

    /// Posts `message` to the group. Keep to [`Rate::WECOM_ROBOT`](crate::Rate) per robot.
    pub async fn send(
        &self,
        client: &SafeClient,
        event_id: &str,
        message: &RobotMessage,
    ) -> Result<Delivered, ChannelError> {
        let payload = Self::payload(message)?;
        post(
            client,
            Vendor::WeCom,
            self.webhook.clone(),
            &payload,
            event_id,
        )
        .await
    }
}

#[derive(Deserialize)]
struct VendorAnswer {
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// Posts `payload` and reads the vendor's `errcode` answer.
async fn post(
    client: &SafeClient,
    vendor: Vendor,
    url: String,
    payload: &Value,
    event_id: &str,
) -> Result<Delivered, ChannelError> {
    let body = serde_json::to_vec(payload).map_err(|e| ChannelError::Template {
        reason: e.to_string(),
    })?;
    let response = client.send(OutboundRequest::post_json(url, body)).await?;
    let text = String::from_utf8_lossy(&response.body).into_owned();
    if !(200..300).contains(&response.status) {
        return Err(ChannelError::Status {
            status: response.status,
            retry_after: response.retry_after(),
            body: text,
        });
    }
    let answer: VendorAnswer =
        serde_json::from_str(&text).map_err(|e| ChannelError::BadResponse {
            vendor,
            reason: format!("{e}: {}", text.chars().take(200).collect::<String>()),
        })?;
    if answer.errcode != 0 {
        return Err(ChannelError::Vendor {
            vendor,
            errcode: answer.errcode,
            errmsg: answer.errmsg,
        });
    }
    Ok(Delivered {
        event_id: event_id.to_owned(),
        detail: format!("HTTP {} errcode 0 {}", response.status, answer.errmsg),
    })
}

//! Sending one delivery job through its channel: mail, a DingTalk or WeCom group robot, a
//! signed webhook, or the mail of a process message to a user who wants mail. Every delivery
//! carries the job's event id, the same on each try.

use std::sync::Arc;

use formwork_model::UserId;
use formwork_runtime::Runtime;
use formwork_runtime::automation::kinds;
use formwork_runtime::jobs::Job;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::compose::compose;
use crate::channels::{
    ChannelError, DingTalkRobot, EmailTemplate, Mailer, RobotFormat, RobotMessage, WeComRobot,
    Webhook,
};
use crate::config::{DestinationKind, Integrations};
use crate::net::SafeClient;
use crate::ratelimit::Rate;
use formwork_runtime::signature::fingerprint;

/// How a delivery ended, short of an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// The receiver accepted it; what it said.
    Delivered(String),
    /// Nothing was sent, for a reason people should see (no SMTP configured, the user keeps
    /// mail off).
    Skipped { code: &'static str, message: String },
}

/// Where a delivery goes, for the log and rate limits (never a token or secret).
#[derive(Debug, Clone)]
pub struct Target {
    pub channel: &'static str,
    pub destination: String,
    /// The destination's rate, when it has one.
    pub rate: Option<Rate>,
}

/// Sends deliveries; one per worker.
pub struct Deliverer {
    pub client: SafeClient,
    pub mailer: Option<Mailer>,
    pub integrations: Arc<Integrations>,
    pub public_url: Option<String>,
}

fn config_error(reason: String) -> ChannelError {
    ChannelError::Config { reason }
}

fn text<'a>(payload: &'a Value, key: &str) -> &'a str {
    payload.get(key).and_then(Value::as_str).unwrap_or_default()
}

impl Deliverer {
    fn robot_url(
        &self,
        payload: &Value,
        want: DestinationKind,
    ) -> Result<(String, Option<String>), ChannelError> {
        let name = text(payload, "destination");
        let destination = self.integrations.destinations.get(name).ok_or_else(|| {
            config_error(format!(
                "no destination named `{name}` in the server's integrations file"
            ))
        })?;
        if destination.kind != want {
            return Err(config_error(format!(
                "destination `{name}` is not a {want:?} destination"
            )));
        }
        Ok((destination.url.clone(), destination.secret.clone()))
    }

    fn webhook(&self, payload: &Value) -> Result<Webhook, ChannelError> {
        if let Some(url) = payload.get("url").and_then(Value::as_str) {
            let secret = self.integrations.webhook_secret.clone().ok_or_else(|| {
                config_error(
                    "no webhook_secret in the server's integrations file to sign with".into(),
                )
            })?;
            return Ok(Webhook {
                url: url.to_owned(),
                secret,
            });
        }
        let (url, secret) = self.robot_url(payload, DestinationKind::Webhook)?;
        Ok(Webhook {
            url,
            secret: secret.unwrap_or_default(),
        })
    }

    /// Where `job` goes.
    pub fn target(&self, job: &Job) -> Target {
        let p = &job.payload;
        let (channel, destination, rate) = match job.kind.as_str() {
            kinds::DELIVER_EMAIL => (
                "email",
                format!("mail:{}", fingerprint(text(p, "to"))),
                None,
            ),
            kinds::NOTIFY => ("email", format!("user:{}", text(p, "user_id")), None),
            kinds::DELIVER_DINGTALK => match self.robot_url(p, DestinationKind::Dingtalk) {
                Ok((url, _)) => (
                    "dingtalk",
                    format!("dingtalk:{}", fingerprint(&url)),
                    Some(Rate::DINGTALK_ROBOT),
                ),
                Err(_) => (
                    "dingtalk",
                    format!("dingtalk:{}", text(p, "destination")),
                    None,
                ),
            },
            kinds::DELIVER_WECOM => match self.robot_url(p, DestinationKind::Wecom) {
                Ok((url, _)) => (
                    "wecom",
                    format!("wecom:{}", fingerprint(&url)),
                    Some(Rate::WECOM_ROBOT),
                ),
                Err(_) => ("wecom", format!("wecom:{}", text(p, "destination")), None),
            },
            kinds::DELIVER_WEBHOOK => match self.webhook(p) {
                Ok(w) => ("webhook", webhook_destination(&w.url), None),
                Err(_) => (
                    "webhook",
                    format!("webhook:{}", text(p, "destination")),
                    None,
                ),
            },
            _ => ("unknown", job.kind.clone(), None),
        };
        Target {
            channel,
            destination,
            rate,
        }
    }

    /// Sends `job` once.
    pub async fn send(
        &self,
        runtime: &Runtime,
        job: &Job,
        now: OffsetDateTime,
    ) -> Result<Sent, ChannelError> {
        let p = &job.payload;
        match job.kind.as_str() {
            kinds::DELIVER_EMAIL => {
                let context = json!({
                    "title": text(p, "title"),
                    "body": text(p, "body"),
                    "app": p.get("app"),
                    "link": self.link(p.get("link").and_then(Value::as_str)),
                });
                self.mail(&job.event_id, text(p, "to"), text(p, "lang"), &context)
                    .await
            }
            kinds::NOTIFY => self.notify_mail(runtime, job).await,
            kinds::DELIVER_DINGTALK => {
                let (webhook, secret) = self.robot_url(p, DestinationKind::Dingtalk)?;
                let robot = DingTalkRobot { webhook, secret };
                let sent = robot
                    .send(&self.client, &job.event_id, &robot_message(p), now)
                    .await?;
                Ok(Sent::Delivered(sent.detail))
            }
            kinds::DELIVER_WECOM => {
                let (webhook, _) = self.robot_url(p, DestinationKind::Wecom)?;
                let robot = WeComRobot { webhook };
                let sent = robot
                    .send(&self.client, &job.event_id, &robot_message(p))
                    .await?;
                Ok(Sent::Delivered(sent.detail))
            }
            kinds::DELIVER_WEBHOOK => {
                let hook = self.webhook(p)?;
                let body = serde_json::to_vec(p.get("body").unwrap_or(&Value::Null))
                    .map_err(|e| config_error(e.to_string()))?;
                let sent = hook.send(&self.client, &job.event_id, body, now).await?;
                Ok(Sent::Delivered(sent.detail))
            }
            other => Err(config_error(format!(
                "no channel sends jobs of kind `{other}`"
            ))),
        }
    }

    fn link(&self, path: Option<&str>) -> Option<String> {
        let base = self.public_url.as_deref()?;
        Some(format!("{}{}", base.trim_end_matches('/'), path?))
    }

    async fn mail(
        &self,
        event_id: &str,
        to: &str,
        lang: &str,
        context: &Value,
    ) -> Result<Sent, ChannelError> {
        let Some(mailer) = &self.mailer else {
            return Ok(Sent::Skipped {
                code: "smtp_not_configured",
                message: "未配置邮件服务器（FORMWORK_SMTP_URL），邮件未发送 / no SMTP server is configured (FORMWORK_SMTP_URL); the mail was not sent".into(),
            });
        };
        let email = EmailTemplate::notification(lang).render(vec![to.to_owned()], context)?;
        let sent = mailer.send(event_id, &email).await?;
        Ok(Sent::Delivered(sent.detail))
    }

    /// The mail of a process message, to a user who wants mail.
    async fn notify_mail(&self, runtime: &Runtime, job: &Job) -> Result<Sent, ChannelError> {
        let p = &job.payload;
        let user: Option<UserId> = p
            .get("user_id")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok());
        let Some(user) = user else {
            return Err(config_error("the message names no user".into()));
        };
        let target = runtime
            .mail_target(&user)
            .await
            .map_err(|e| ChannelError::Config {
                reason: e.to_string(),
            })?;
        let Some(target) = target else {
            return Ok(Sent::Skipped {
                code: "no_mail_wanted",
                message:
                    "收件人没有邮箱或已关闭邮件通知 / the user has no address or keeps mail off"
                        .into(),
            });
        };
        let kind = text(p, "kind");
        let Some(mail) = compose(kind, p.get("payload").unwrap_or(&Value::Null), &target.lang)
        else {
            return Ok(Sent::Skipped {
                code: "no_mail_for_kind",
                message: format!(
                    "消息类型 {kind} 不发送邮件 / messages of kind {kind} are not mailed"
                ),
            });
        };
        let context = json!({
            "title": mail.title,
            "body": mail.body,
            "link": self.link(mail.link.as_deref()),
        });
        self.mail(&job.event_id, &target.address, &target.lang, &context)
            .await
    }
}

/// A webhook receiver for the log: its origin, without path or query (which may carry keys).
fn webhook_destination(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => format!("webhook:{}", u.origin().ascii_serialization()),
        Err(_) => format!("webhook:{}", fingerprint(url)),
    }
}

fn robot_message(payload: &Value) -> RobotMessage {
    let mention: Vec<String> = payload
        .get("mention")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let title = text(payload, "title");
    let mut content = format!("{title}\n{}", text(payload, "content"));
    if !mention.is_empty() {
        content.push_str(&format!("\n@{}", mention.join(" @")));
    }
    RobotMessage {
        format: RobotFormat::Text,
        title: title.to_owned(),
        content,
        mention_mobiles: Vec::new(),
        mention_all: false,
    }
}

//! A delivery that did not go through, whether to try again, and a sentence for the run log.

use std::time::Duration;

use thiserror::Error;

use crate::net::NetError;

/// The vendor whose API answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    DingTalk,
    WeCom,
}

impl Vendor {
    pub fn name(self, lang: &str) -> &'static str {
        match (self, lang == "en") {
            (Self::DingTalk, true) => "DingTalk",
            (Self::DingTalk, false) => "钉钉",
            (Self::WeCom, true) => "WeCom",
            (Self::WeCom, false) => "企业微信",
        }
    }
}

/// Why a delivery failed. `Display` is English (logs); [`ChannelError::message`] gives zh-CN or
/// en for people; [`ChannelError::is_retryable`] tells the job whether to retry or give up.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChannelError {
    #[error("{0}")]
    Net(NetError),
    #[error("the receiver answered HTTP {status}{}", excerpt(body))]
    Status {
        status: u16,
        retry_after: Option<Duration>,
        body: String,
    },
    #[error("{} refused the message: errcode {errcode}, {errmsg}", vendor.name("en"))]
    Vendor {
        vendor: Vendor,
        errcode: i64,
        errmsg: String,
    },
    #[error("{} answered something unexpected: {reason}", vendor.name("en"))]
    BadResponse { vendor: Vendor, reason: String },
    #[error("the message is {actual} bytes; at most {limit} are allowed")]
    TooLong { limit: usize, actual: usize },
    #[error("the channel is not set up correctly: {reason}")]
    Config { reason: String },
    #[error("the message template cannot be rendered: {reason}")]
    Template { reason: String },
    #[error("the mail server refused: {reason}")]
    Smtp { reason: String, retryable: bool },
}

fn excerpt(body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        return String::new();
    }
    let cut: String = body.chars().take(200).collect();
    format!(": {cut}")
}

/// DingTalk: sending too fast (130101, and 410100 in newer docs); -1: system busy.
const DINGTALK_RETRYABLE: [i64; 3] = [130_101, 410_100, -1];
/// WeCom: 45009 API frequency out of limit; -1: system busy.
const WECOM_RETRYABLE: [i64; 2] = [45_009, -1];

impl ChannelError {
    /// Whether waiting and trying again may succeed: timeouts and connection failures, HTTP
    /// 408, 425, 429 and 5xx, a vendor's rate-limit or busy code, a transient SMTP reply.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Net(e) => e.is_retryable(),
            Self::Status { status, .. } => retryable_status(*status),
            Self::Vendor {
                vendor, errcode, ..
            } => match vendor {
                Vendor::DingTalk => DINGTALK_RETRYABLE.contains(errcode),
                Vendor::WeCom => WECOM_RETRYABLE.contains(errcode),
            },
            Self::Smtp { retryable, .. } => *retryable,
            Self::BadResponse { .. }
            | Self::TooLong { .. }
            | Self::Config { .. }
            | Self::Template { .. } => false,
        }
    }

    /// How long the receiver asked to wait (`Retry-After`), or a minute after a robot's
    /// rate-limit code (their window is a minute).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            Self::Vendor { errcode, .. } if [130_101, 410_100, 45_009].contains(errcode) => {
                Some(Duration::from_secs(60))
            }
            _ => None,
        }
    }

    /// A stable code for APIs, logs and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Net(e) => e.code(),
            Self::Status { .. } => "http_status",
            Self::Vendor { .. } => "vendor_error",
            Self::BadResponse { .. } => "bad_response",
            Self::TooLong { .. } => "too_long",
            Self::Config { .. } => "bad_config",
            Self::Template { .. } => "bad_template",
            Self::Smtp { .. } => "smtp_refused",
        }
    }

    /// The message in `lang` (`zh-CN` or `en`; anything else gets zh-CN).
    pub fn message(&self, lang: &str) -> String {
        if lang == "en" {
            return self.to_string();
        }
        match self {
            Self::Net(e) => e.message(lang),
            Self::Status { status, body, .. } => {
                format!("接收方返回 HTTP {status}{}", excerpt(body))
            }
            Self::Vendor {
                vendor,
                errcode,
                errmsg,
            } => format!(
                "{}拒绝了消息：错误码 {errcode}，{errmsg}",
                vendor.name(lang)
            ),
            Self::BadResponse { vendor, reason } => {
                format!("{}返回了无法识别的内容：{reason}", vendor.name(lang))
            }
            Self::TooLong { limit, actual } => {
                format!("消息长度 {actual} 字节，超过上限 {limit} 字节")
            }
            Self::Config { reason } => format!("通知渠道配置有误：{reason}"),
            Self::Template { reason } => format!("消息模板无法渲染：{reason}"),
            Self::Smtp { reason, .. } => format!("邮件服务器拒绝：{reason}"),
        }
    }
}

impl From<NetError> for ChannelError {
    fn from(e: NetError) -> Self {
        Self::Net(e)
    }
}

/// 408, 425, 429 and every 5xx may pass by waiting; other statuses will not.
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 425 | 429) || (500..600).contains(&status)
}

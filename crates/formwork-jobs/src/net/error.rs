//! Why an outbound request did not get a response, in words a rule's run log can show.

use std::net::IpAddr;

use thiserror::Error;

use crate::net::address::{AddressClass, Embedding};

/// An outbound request that failed before a usable response. `Display` is English (logs);
/// [`NetError::message`] gives zh-CN or en for people.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NetError {
    #[error("`{url}` is not a valid URL: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("the request cannot be sent: {reason}")]
    InvalidRequest { reason: String },
    #[error("only http and https URLs may be called, not {scheme}")]
    UnsupportedScheme { scheme: String },
    #[error("could not resolve {host}: {reason}")]
    Resolve { host: String, reason: String },
    #[error("{host} resolves to no address")]
    NoAddress { host: String },
    #[error("{host} is refused: {addr} is {}{}", class.describe("en"), via_en(*via))]
    Refused {
        host: String,
        addr: IpAddr,
        class: AddressClass,
        via: Option<Embedding>,
    },
    #[error("the server answered {status} redirecting to {}; redirects are not followed", location.as_deref().unwrap_or("nowhere"))]
    Redirect {
        status: u16,
        location: Option<String>,
    },
    #[error("no response in time")]
    Timeout,
    #[error("could not connect: {reason}")]
    Connect { reason: String },
    #[error("the response is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the request failed: {reason}")]
    Transport { reason: String },
    #[error("allowlist entry `{entry}` is not host or host:port")]
    BadAllowlistEntry { entry: String },
}

fn via_en(via: Option<Embedding>) -> String {
    via.map(|e| format!(" (as {})", e.describe("en")))
        .unwrap_or_default()
}

impl NetError {
    /// Whether trying again later may succeed (the network or the server), as opposed to a
    /// request that will be refused or fail the same way every time.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Resolve { .. }
                | Self::NoAddress { .. }
                | Self::Timeout
                | Self::Connect { .. }
                | Self::Transport { .. }
        )
    }

    /// A stable code for APIs, logs and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidUrl { .. } => "invalid_url",
            Self::InvalidRequest { .. } => "invalid_request",
            Self::UnsupportedScheme { .. } => "unsupported_scheme",
            Self::Resolve { .. } => "resolve_failed",
            Self::NoAddress { .. } => "no_address",
            Self::Refused { .. } => "address_refused",
            Self::Redirect { .. } => "redirect_refused",
            Self::Timeout => "timeout",
            Self::Connect { .. } => "connect_failed",
            Self::TooLarge { .. } => "response_too_large",
            Self::Transport { .. } => "transport_failed",
            Self::BadAllowlistEntry { .. } => "bad_allowlist_entry",
        }
    }

    /// The message in `lang` (`zh-CN` or `en`; anything else gets zh-CN).
    pub fn message(&self, lang: &str) -> String {
        if lang == "en" {
            return self.to_string();
        }
        match self {
            Self::InvalidUrl { url, reason } => format!("“{url}”不是有效的网址：{reason}"),
            Self::InvalidRequest { reason } => format!("请求无法发送：{reason}"),
            Self::UnsupportedScheme { scheme } => {
                format!("只能调用 http 或 https 网址，不支持 {scheme}")
            }
            Self::Resolve { host, reason } => format!("无法解析域名 {host}：{reason}"),
            Self::NoAddress { host } => format!("域名 {host} 没有解析到任何地址"),
            Self::Refused {
                host,
                addr,
                class,
                via,
            } => {
                let via = via
                    .map(|e| format!("（{}）", e.describe("zh-CN")))
                    .unwrap_or_default();
                format!(
                    "已拒绝访问 {host}：{addr} 是{}{via}。如需访问内部系统，请管理员将其加入允许列表",
                    class.describe("zh-CN")
                )
            }
            Self::Redirect { status, location } => format!(
                "对方返回 {status} 跳转到 {}，出于安全考虑不跟随跳转",
                location.as_deref().unwrap_or("（无地址）")
            ),
            Self::Timeout => "请求超时，对方未及时响应".into(),
            Self::Connect { reason } => format!("无法连接：{reason}"),
            Self::TooLarge { limit } => format!("响应超过 {limit} 字节的上限"),
            Self::Transport { reason } => format!("请求失败：{reason}"),
            Self::BadAllowlistEntry { entry } => {
                format!("允许列表中的“{entry}”无效，应为 主机 或 主机:端口")
            }
        }
    }
}

/// An error and its causes on one line: libraries' top-level messages alone say little
/// ("error sending request").
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

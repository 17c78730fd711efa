//! What the server's configuration says about background work: the integrations file (group
//! robots, webhook receivers and their secrets, inbound hook secrets — secrets live here,
//! never in an app package), and how the worker claims, retries and keeps jobs.
//!
//! The integrations file (`FORMWORK_INTEGRATIONS_FILE`) is JSON:
//!
//! ```json
//! {
//!   "destinations": {
//!     "sales-group": {"kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=…", "secret": "SEC…"},
//!     "ops-room":    {"kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"},
//!     "crm":         {"kind": "webhook", "url": "https://crm.example.com/formwork", "secret": "…"}
//!   },
//!   "webhook_secret": "signs webhooks a package gives by URL",
//!   "inbound": {"project-registration/crm-opportunity": "the hook's HMAC secret"}
//! }
//! ```

use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;

use crate::backoff::RetryPolicy;

/// What a destination is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DestinationKind {
    Dingtalk,
    Wecom,
    Webhook,
}

/// A named place rules deliver to.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    pub kind: DestinationKind,
    pub url: String,
    /// DingTalk's 加签 secret, or the webhook's signing secret.
    #[serde(default)]
    pub secret: Option<String>,
}

impl std::fmt::Debug for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Destination")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// The integrations file.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Integrations {
    #[serde(default)]
    pub destinations: HashMap<String, Destination>,
    /// Signs webhooks that a package addresses by URL.
    #[serde(default)]
    pub webhook_secret: Option<String>,
    /// Inbound hook secrets by `"{app}/{hook}"`.
    #[serde(default)]
    pub inbound: HashMap<String, String>,
}

impl std::fmt::Debug for Integrations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.destinations.keys().collect();
        names.sort();
        f.debug_struct("Integrations")
            .field("destinations", &names)
            .field("webhook_secret", &self.webhook_secret.is_some())
            .field("inbound", &self.inbound.len())
            .finish()
    }
}

impl Integrations {
    /// Reads the JSON text of an integrations file; the error names what is wrong.
    pub fn parse(text: &str) -> Result<Integrations, String> {
        let parsed: Integrations = serde_json::from_str(text).map_err(|e| e.to_string())?;
        for (name, d) in &parsed.destinations {
            if url::Url::parse(&d.url).is_err() {
                return Err(format!("destination `{name}`: `{}` is not a URL", d.url));
            }
            if d.kind == DestinationKind::Webhook && d.secret.as_deref().is_none_or(str::is_empty) {
                return Err(format!(
                    "destination `{name}`: a webhook needs a `secret` to sign with"
                ));
            }
        }
        Ok(parsed)
    }
}

/// How the worker works.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Pause between looks for due work when there was none.
    pub poll: Duration,
    /// How long claimed work stays the worker's; longer than any one try (HTTP 15 s, SMTP
    /// 30 s), so a live worker is never overtaken.
    pub lease: Duration,
    /// Jobs (and timers) claimed at once, run side by side.
    pub batch: u32,
    pub retry: RetryPolicy,
    /// Done jobs and their delivery log are kept this long.
    pub keep_done: Duration,
    /// Drafts (暂存) not saved again for this long are discarded.
    pub draft_ttl: Duration,
    /// Where people open Formwork (`https://formwork.example.com`), for links in mail.
    pub public_url: Option<String>,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            poll: Duration::from_secs(1),
            lease: Duration::from_secs(120),
            batch: 16,
            retry: RetryPolicy::default(),
            keep_done: Duration::from_secs(30 * 24 * 3600),
            draft_ttl: Duration::from_secs(30 * 24 * 3600),
            public_url: None,
        }
    }
}

//! Email over SMTP (lettre), from minijinja templates: an HTML body with a plain-text
//! alternative, zh-CN or en.
//!
//! The server is given as a URL: `smtp://[user[:password]@]host[:port]` (port 25 by default;
//! STARTTLS is required) or `smtps://…` (TLS from the first byte, port 465 by default). The
//! host goes through the same resolve-and-check as HTTP, and the connection is made to the
//! checked address. Only a host on the admin's allowlist (a relay on the local network, a test
//! server) may go without TLS when it offers no STARTTLS. The caller's event id becomes the
//! `Message-ID` and an `X-Formwork-Event-Id` header, so a retried delivery is recognisable.

use std::time::Duration;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde_json::Value;

use crate::channels::Delivered;
use crate::channels::error::ChannelError;
use crate::net::{SafeClient, error_chain};

/// How the connection to the mail server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtp://`: plain TCP upgraded with STARTTLS.
    StartTls,
    /// `smtps://`: TLS from the start.
    Tls,
}

/// Where and as whom mail is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub security: SmtpSecurity,
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, e.g. `Formwork <noreply@example.com>`.
    pub from: String,
    /// For connecting and for each SMTP command.
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("security", &self.security)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl SmtpSettings {
    /// Reads `smtp://` or `smtps://` URLs; user and password may be percent-encoded.
    pub fn from_url(url: &str, from: &str) -> Result<Self, ChannelError> {
        let bad = |reason: String| ChannelError::Config { reason };
        let parsed = url::Url::parse(url).map_err(|e| bad(format!("SMTP URL: {e}")))?;
        let (security, default_port) = match parsed.scheme() {
            "smtp" => (SmtpSecurity::StartTls, 25),
            "smtps" => (SmtpSecurity::Tls, 465),
            other => {
                return Err(bad(format!(
                    "SMTP URL scheme {other}: use smtp:// or smtps://"
                )));
            }
        };
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("SMTP URL has no host".into()))?;
        from.parse::<Mailbox>()
            .map_err(|e| bad(format!("sender address {from}: {e}")))?;
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .ok()
                .map(|v| v.into_owned())
        };
        let username = Some(parsed.username())
            .filter(|u| !u.is_empty())
            .and_then(decode);
        Ok(Self {
            security,
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port: parsed.port().unwrap_or(default_port),
            username,
            password: parsed.password().and_then(decode),
            from: from.to_owned(),
            timeout: Duration::from_secs(30),
        })
    }
}

/// A rendered message for one or more recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: Vec<String>,
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// Subject, HTML body and text body as minijinja templates. The HTML body is always
/// autoescaped; subject and text are plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailTemplate {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// Render budget: enough for any real notification, not for a runaway loop.
const TEMPLATE_FUEL: u64 = 50_000;

impl EmailTemplate {
    /// The built-in notification: context `title`, `body` (paragraphs by line), optional
    /// `link` and `app`. `lang` is `en` or zh-CN (anything else).
    pub fn notification(lang: &str) -> Self {
        macro_rules! load {
            ($lang:literal) => {
                EmailTemplate {
                    subject: include_str!(concat!(
                        "../../templates/notification/",
                        $lang,
                        "/subject.txt"
                    ))
                    .into(),
                    html: include_str!(concat!(
                        "../../templates/notification/",
                        $lang,
                        "/body.html"
                    ))
                    .into(),
                    text: include_str!(concat!(
                        "../../templates/notification/",
                        $lang,
                        "/body.txt"
                    ))
                    .into(),
                }
            };
        }
        if lang == "en" {
            load!("en")
        } else {
            load!("zh-CN")
        }
    }

    /// Renders the three parts with `context` for `to`. A subject is one line.
    pub fn render(&self, to: Vec<String>, context: &Value) -> Result<Email, ChannelError> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        env.set_fuel(Some(TEMPLATE_FUEL));
        env.set_recursion_limit(50);
        let failed = |e: minijinja::Error| ChannelError::Template {
            reason: e.to_string(),
        };
        let ctx = minijinja::Value::from(minijinja::value::Serde(context));
        let mut render = |name: &'static str, source: &str| {
            env.add_template_owned(name, source.to_owned())
                .map_err(failed)?;
            env.get_template(name)
                .and_then(|t| t.render(&ctx))
                .map_err(failed)
        };
        let subject = render("subject.txt", &self.subject)?;
        let html = render("body.html", &self.html)?;
        let text = render("body.txt", &self.text)?;
        Ok(Email {
            to,
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            html,
            text,
        })
    }
}

/// `X-Formwork-Event-Id`: the delivery's stable id.
#[derive(Debug, Clone)]
struct EventIdHeader(String);

impl Header for EventIdHeader {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Formwork-Event-Id")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Sends [`Email`]s through one SMTP server.
#[derive(Debug, Clone)]
pub struct Mailer {
    settings: SmtpSettings,
    net: SafeClient,
}

impl Mailer {
    /// `net` resolves and checks the server's address, with its allowlist.
    pub fn new(settings: SmtpSettings, net: SafeClient) -> Self {
        Self { settings, net }
    }

    pub fn settings(&self) -> &SmtpSettings {
        &self.settings
    }

    /// What protects the connection: TLS from the start for `smtps://`; for `smtp://`,
    /// STARTTLS required unless the host is on the allowlist.
    fn tls(&self) -> Result<Tls, ChannelError> {
        let params =
            TlsParameters::new(self.settings.host.clone()).map_err(|e| ChannelError::Config {
                reason: format!("TLS for {}: {e}", self.settings.host),
            })?;
        let allowlisted = self
            .net
            .config()
            .allowlist
            .permits(&self.settings.host, self.settings.port);
        Ok(match self.settings.security {
            SmtpSecurity::Tls => Tls::Wrapper(params),
            SmtpSecurity::StartTls if allowlisted => Tls::Opportunistic(params),
            SmtpSecurity::StartTls => Tls::Required(params),
        })
    }

    /// Whether plain SMTP is accepted when the server offers no STARTTLS.
    pub fn allows_plaintext(&self) -> bool {
        matches!(self.tls(), Ok(Tls::Opportunistic(_)))
    }

    /// Sends `email` with `event_id` as its identity (Message-ID and `X-Formwork-Event-Id`).
    pub async fn send(&self, event_id: &str, email: &Email) -> Result<Delivered, ChannelError> {
        let message = self.build(event_id, email)?;
        let addrs = self
            .net
            .resolve_checked(&self.settings.host, self.settings.port)
            .await?;
        let Some(addr) = addrs.first() else {
            return Err(ChannelError::Config {
                reason: format!("{} has no address", self.settings.host),
            });
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
                .port(self.settings.port)
                .tls(self.tls()?)
                .timeout(Some(self.settings.timeout));
        if let (Some(user), Some(password)) = (&self.settings.username, &self.settings.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        let response = builder.build().send(message).await.map_err(from_smtp)?;
        Ok(Delivered {
            event_id: event_id.to_owned(),
            detail: format!(
                "{} {}",
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            ),
        })
    }

    fn build(&self, event_id: &str, email: &Email) -> Result<Message, ChannelError> {
        let bad = |reason: String| ChannelError::Config { reason };
        let from: Mailbox = self
            .settings
            .from
            .parse()
            .map_err(|e| bad(format!("sender {}: {e}", self.settings.from)))?;
        let domain = from.email.domain().to_owned();
        let mut builder = Message::builder()
            .from(from)
            .subject(email.subject.clone())
            .message_id(Some(format!("<{}@{domain}>", message_id_part(event_id))))
            .header(EventIdHeader(event_id.to_owned()));
        if email.to.is_empty() {
            return Err(bad("no recipient".into()));
        }
        for to in &email.to {
            let mailbox: Mailbox = to
                .parse()
                .map_err(|e| bad(format!("recipient {to}: {e}")))?;
            builder = builder.to(mailbox);
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|e| bad(e.to_string()))
    }
}

/// The event id as it may stand left of the `@` in a Message-ID: kept when it is made of
/// letters, digits, `.`, `-` and `_` (UUIDs are), else replaced by its SHA-256.
fn message_id_part(event_id: &str) -> String {
    let plain = !event_id.is_empty()
        && event_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if plain {
        event_id.to_owned()
    } else {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(event_id.as_bytes()))
    }
}

/// 5xx replies, TLS failures and client-side refusals will not pass by waiting; 4xx replies,
/// timeouts and dropped connections may.
fn from_smtp(e: lettre::transport::smtp::Error) -> ChannelError {
    let permanent = e.is_permanent() || e.is_tls() || e.is_client();
    ChannelError::Smtp {
        reason: error_chain(&e),
        retryable: !permanent,
    }
}

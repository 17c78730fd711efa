//! Where notifications go beyond the app itself: email over SMTP, DingTalk and WeCom group
//! robots, and signed generic webhooks. Every delivery takes the caller's event id (stable
//! across retries, so receivers can dedupe) and ends in [`Delivered`] or a [`ChannelError`]
//! that says whether trying again may help.

mod email;
mod error;
mod robot;
mod sign;
mod webhook;

pub use email::{Email, EmailTemplate, Mailer, SmtpSecurity, SmtpSettings};
pub use error::{ChannelError, Vendor};
pub use robot::{DingTalkRobot, RobotFormat, RobotMessage, WeComRobot, dingtalk_sign};
pub use webhook::{
    EVENT_ID_HEADER, SIGNATURE_HEADER, SignatureError, Webhook, verify_webhook_signature,
    webhook_signature,
};

/// A delivery the receiver accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The event id the delivery carried.
    pub event_id: String,
    /// What the receiver said (`HTTP 200`, `250 2.0.0 OK`), for the run log.
    pub detail: String,
}

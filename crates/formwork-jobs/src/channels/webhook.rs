//! Generic outgoing webhooks, signed so the receiver knows they come from Formwork.
//!
//! The body is JSON. Headers: `X-Formwork-Event-Id` (the caller's id, the same on every retry,
//! so the receiver can dedupe) and `X-Formwork-Signature: t=<unix seconds>,v1=<hex>`, where
//! `v1 = HMAC-SHA256(secret, "{t}.{body}")`. The receiver recomputes it, compares in constant
//! time and rejects a `t` too far from its clock (replays).

use time::OffsetDateTime;

use crate::channels::Delivered;
use crate::channels::error::ChannelError;
use crate::net::{OutboundRequest, SafeClient};

pub use formwork_runtime::signature::{
    EVENT_ID_HEADER, SIGNATURE_HEADER, SignatureError, verify_webhook_signature, webhook_signature,
};

/// A receiver's URL and the secret shared with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub url: String,
    pub secret: String,
}

impl Webhook {
    /// Posts `body` (JSON bytes) signed at `now`. A 2xx answer is delivered; 408, 425, 429 and
    /// 5xx are worth retrying (with the same `event_id`); other statuses are not.
    pub async fn send(
        &self,
        client: &SafeClient,
        event_id: &str,
        body: Vec<u8>,
        now: OffsetDateTime,
    ) -> Result<Delivered, ChannelError> {
        let signature = webhook_signature(&self.secret, now.unix_timestamp(), &body);
        let request = OutboundRequest::post_json(self.url.clone(), body)
            .header(EVENT_ID_HEADER, event_id)?
            .header(SIGNATURE_HEADER, &signature)?;
        let response = client.send(request).await?;
        if (200..300).contains(&response.status) {
            return Ok(Delivered {
                event_id: event_id.to_owned(),
                detail: format!("HTTP {}", response.status),
            });
        }
        Err(ChannelError::Status {
            status: response.status,
            retry_after: response.retry_after(),
            body: String::from_utf8_lossy(&response.body).into_owned(),
        })
    }
}

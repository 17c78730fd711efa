//! Generic outgoing webhooks, signed so the receiver knows they come from Formwork.
//!
//! The body is JSON. Headers: `X-Formwork-Event-Id` (the caller's id, the same on every retry,
//! so the receiver can dedupe) and `X-Formwork-Signature: t=<unix seconds>,v1=<hex>`, where
//! `v1 = HMAC-SHA256(secret, "{t}.{body}")`. The receiver recomputes it, compares in constant
//! time and rejects a `t` too far from its clock (replays).

use std::time::Duration;

use time::OffsetDateTime;

use crate::channels::Delivered;
use crate::channels::error::ChannelError;
use crate::channels::sign::hmac_sha256;
use crate::net::{OutboundRequest, SafeClient};

pub const EVENT_ID_HEADER: &str = "x-formwork-event-id";
pub const SIGNATURE_HEADER: &str = "x-formwork-signature";

/// A receiver's URL and the secret shared with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub url: String,
    pub secret: String,
}

/// The `X-Formwork-Signature` value for `body` sent at unix second `t`.
pub fn webhook_signature(secret: &str, t: i64, body: &[u8]) -> String {
    let prefix = format!("{t}.");
    let mac = hmac_sha256(secret.as_bytes(), &[prefix.as_bytes(), body]);
    format!("t={t},v1={}", hex::encode(mac))
}

/// Why a signature header was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is not t=<seconds>,v1=<hex>")]
    Malformed,
    #[error("the signature was made too long ago or in the future")]
    Stale,
    #[error("the signature does not match the body")]
    Mismatch,
}

/// Checks an `X-Formwork-Signature` header against `body`: well formed, `t` within
/// `tolerance` of `now`, and some `v1` matching (compared in constant time).
pub fn verify_webhook_signature(
    secret: &str,
    header: &str,
    body: &[u8],
    now: OffsetDateTime,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let mut t = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => {
                candidates.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?)
            }
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let skew = now.unix_timestamp().abs_diff(t);
    if skew > tolerance.as_secs() {
        return Err(SignatureError::Stale);
    }
    let prefix = format!("{t}.");
    let expected = hmac_sha256(secret.as_bytes(), &[prefix.as_bytes(), body]);
    if candidates.iter().any(|c| constant_time_eq(c, &expected)) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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

//! HMAC-SHA256 signatures of webhooks, both ways: Formwork signs what it posts and checks what
//! is posted to its inbound hooks with the same scheme.
//!
//! `X-Formwork-Signature: t=<unix seconds>,v1=<hex>`, where `v1 = HMAC-SHA256(secret,
//! "{t}.{body}")`. The receiver recomputes it, compares in constant time and rejects a `t`
//! too far from its clock (replays).

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use time::OffsetDateTime;

/// The header carrying a delivery's stable id.
pub const EVENT_ID_HEADER: &str = "x-formwork-event-id";
/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-formwork-signature";

/// HMAC-SHA256 of `parts` (concatenated) under `key`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// A short, non-secret name for a secret-bearing URL (rate-limit keys, logs).
pub fn fingerprint(secret_bearing: &str) -> String {
    use sha2::Digest;
    hex::encode(&Sha256::digest(secret_bearing.as_bytes())[..8])
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

//! Signed webhooks against a receiver that verifies them as a customer would: HMAC-SHA256 over
//! "{t}.{body}", a stable event id across retries, and retryable vs permanent statuses.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{TableResolver, config, real_client, serve};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use formwork_jobs::channels::{
    ChannelError, SignatureError, Webhook, verify_webhook_signature, webhook_signature,
};
use hmac::{KeyInit, Mac};
use time::OffsetDateTime;
use time::macros::datetime;

const SECRET: &str = "whsec_3f7d1c";

#[derive(Clone, Default)]
struct Receiver {
    /// (event id, body) of every verified request.
    seen: Arc<Mutex<Vec<(String, String)>>>,
    /// Statuses to answer before accepting, in order.
    failures: Arc<Mutex<Vec<StatusCode>>>,
}

/// The receiver's own verification, written from the documented scheme.
fn verified(headers: &HeaderMap, body: &[u8]) -> bool {
    let Some(sig) = headers
        .get("x-formwork-signature")
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = sig.split(',');
    let (Some(t), Some(v1)) = (
        parts.next().and_then(|p| p.strip_prefix("t=")),
        parts.next().and_then(|p| p.strip_prefix("v1=")),
    ) else {
        return false;
    };
    let fresh = t
        .parse::<i64>()
        .is_ok_and(|t| (OffsetDateTime::now_utc().unix_timestamp() - t).abs() <= 300);
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    fresh && hex::decode(v1).is_ok_and(|v| mac.verify_slice(&v).is_ok())
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if !verified(&headers, &body) {
        return StatusCode::UNAUTHORIZED;
    }
    let event = headers["x-formwork-event-id"].to_str().unwrap().to_owned();
    r.seen
        .lock()
        .unwrap()
        .push((event, String::from_utf8(body.to_vec()).unwrap()));
    let mut failures = r.failures.lock().unwrap();
    if failures.is_empty() {
        StatusCode::NO_CONTENT
    } else {
        failures.remove(0)
    }
}

async fn start() -> (Receiver, String, formwork_jobs::net::SafeClient) {
    let receiver = Receiver::default();
    let router = Router::new()
        .route("/hooks/formwork", post(receive))
        .with_state(receiver.clone());
    let port = serve(router).await;
    let client = real_client(config(&["127.0.0.1"]), TableResolver::new([]));
    (
        receiver,
        format!("http://127.0.0.1:{port}/hooks/formwork"),
        client,
    )
}

#[tokio::test]
async fn a_signed_webhook_is_verified_and_retries_carry_the_same_event_id() {
    let (receiver, url, client) = start().await;
    *receiver.failures.lock().unwrap() = vec![
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::TOO_MANY_REQUESTS,
    ];
    let hook = Webhook {
        url,
        secret: SECRET.into(),
    };
    let body = r#"{"event":"record.created","record":{"name":"智慧园区","amount":"120000.00"}}"#
        .as_bytes();
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        let now = OffsetDateTime::now_utc();
        outcomes.push(
            hook.send(
                &client,
                "0193a5c2-7c1e-7000-8000-000000000001",
                body.to_vec(),
                now,
            )
            .await,
        );
    }
    let first = outcomes[0].clone().unwrap_err();
    assert!(
        matches!(first, ChannelError::Status { status: 503, .. }),
        "{first:?}"
    );
    assert!(first.is_retryable());
    assert!(outcomes[1].clone().unwrap_err().is_retryable());
    assert_eq!(outcomes[2].clone().unwrap().detail, "HTTP 204");
    let seen = receiver.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter()
            .all(|(id, b)| id == "0193a5c2-7c1e-7000-8000-000000000001" && b.as_bytes() == body)
    );
}

#[tokio::test]
async fn a_wrong_secret_is_rejected_by_the_receiver_and_not_retried() {
    let (receiver, url, client) = start().await;
    let hook = Webhook {
        url,
        secret: "not-the-secret".into(),
    };
    let err = hook
        .send(&client, "e-1", b"{}".to_vec(), OffsetDateTime::now_utc())
        .await
        .unwrap_err();
    assert!(
        matches!(err, ChannelError::Status { status: 401, .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert!(receiver.seen.lock().unwrap().is_empty());
    let err = hook
        .send(
            &client,
            "bad\nid",
            b"{}".to_vec(),
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_request");
}

#[test]
fn signatures_verify_only_for_the_same_secret_body_and_a_fresh_time() {
    let now = datetime!(2026-10-09 09:00 UTC);
    let t = now.unix_timestamp();
    let header = webhook_signature(SECRET, t, b"{\"a\":1}");
    assert!(header.starts_with(&format!("t={t},v1=")));
    assert_eq!(header.len(), format!("t={t},v1=").len() + 64);
    let five_min = Duration::from_secs(300);
    let verify = |h: &str, body: &[u8], at: OffsetDateTime| {
        verify_webhook_signature(SECRET, h, body, at, five_min)
    };
    assert_eq!(verify(&header, b"{\"a\":1}", now), Ok(()));
    assert_eq!(
        verify(&header, b"{\"a\":2}", now),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(&header, b"{\"a\":1}", now + time::Duration::minutes(6)),
        Err(SignatureError::Stale)
    );
    assert_eq!(
        verify("t=1,v2=00", b"", now),
        Err(SignatureError::Malformed)
    );
    assert_eq!(verify("v1=zz", b"", now), Err(SignatureError::Malformed));
    let other = webhook_signature("other", t, b"{\"a\":1}");
    assert_eq!(
        verify(&other, b"{\"a\":1}", now),
        Err(SignatureError::Mismatch)
    );
    // A receiver rotating secrets may list several v1 values.
    let v1 = header.split("v1=").nth(1).unwrap();
    let rotated = format!("t={t},v1={},v1={v1}", "00".repeat(32));
    assert_eq!(verify(&rotated, b"{\"a\":1}", now), Ok(()));
}

//! The step after the checks: send a request to addresses already resolved and checked.
//!
//! [`ReqwestTransport`] builds a client per request whose only name resolution is the pinned
//! addresses (any other name fails), with no proxy, no redirects, no retries of its own,
//! the configured timeouts, and a body read that stops at the size cap. Tests inject their own
//! [`Transport`] to record what would have been connected to.

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Name, Resolve, Resolving};

use crate::net::client::{HttpConfig, OutboundRequest, OutboundResponse};
use crate::net::error::NetError;
use crate::net::resolver::BoxFuture;

/// A request whose host has been resolved and checked: connect to `addrs` only.
#[derive(Debug, Clone)]
pub struct PinnedRequest {
    pub request: OutboundRequest,
    pub url: Url,
    /// The checked addresses, with the URL's port.
    pub addrs: Vec<SocketAddr>,
}

/// Sends a pinned request and reads its response within the configured limits.
pub trait Transport: Send + Sync + 'static {
    fn send<'a>(
        &'a self,
        pinned: PinnedRequest,
        config: &'a HttpConfig,
    ) -> BoxFuture<'a, Result<OutboundResponse, NetError>>;
}

/// The real transport, over reqwest with rustls (aws-lc-rs).
#[derive(Debug, Clone, Copy, Default)]
pub struct ReqwestTransport;

impl Transport for ReqwestTransport {
    fn send<'a>(
        &'a self,
        pinned: PinnedRequest,
        config: &'a HttpConfig,
    ) -> BoxFuture<'a, Result<OutboundResponse, NetError>> {
        Box::pin(send(pinned, config))
    }
}

async fn send(pinned: PinnedRequest, config: &HttpConfig) -> Result<OutboundResponse, NetError> {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never())
        .connect_timeout(config.connect_timeout)
        .timeout(config.timeout)
        .user_agent(config.user_agent.clone())
        .dns_resolver(Arc::new(PinnedOnly));
    if let Some(url::Host::Domain(host)) = pinned.url.host() {
        builder = builder.resolve_to_addrs(host, &pinned.addrs);
    }
    let client = builder.build().map_err(|e| NetError::Transport {
        reason: e.to_string(),
    })?;
    let request = pinned.request;
    let mut response = client
        .request(request.method, pinned.url)
        .headers(request.headers)
        .body(request.body)
        .send()
        .await
        .map_err(from_reqwest)?;
    let limit = config.max_response_bytes;
    if response
        .content_length()
        .is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX))
    {
        return Err(NetError::TooLarge { limit });
    }
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(from_reqwest)? {
        if body.len() + chunk.len() > limit {
            return Err(NetError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(OutboundResponse {
        status,
        headers,
        body,
    })
}

fn from_reqwest(e: reqwest::Error) -> NetError {
    let reason = error_chain(&e);
    if e.is_timeout() {
        NetError::Timeout
    } else if e.is_connect() {
        NetError::Connect { reason }
    } else {
        NetError::Transport { reason }
    }
}

/// The error and its causes on one line: reqwest's own message alone says little.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

/// The resolver under the pinned overrides: a name that was not checked is never resolved.
struct PinnedOnly;

impl Resolve for PinnedOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let name = name.as_str().to_owned();
        Box::pin(
            async move { Err(format!("{name} was not resolved and checked beforehand").into()) },
        )
    }
}

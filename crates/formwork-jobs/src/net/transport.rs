//! The step after the checks: send a request to addresses already resolved and checked.
//!
//! [`ReqwestTransport`] uses a client whose only name resolution is the pinned addresses (any
//! other name fails), with no proxy, no redirects, no retries of its own, the configured
//! timeouts, and a body read that stops at the size cap. Clients are kept per (host, checked
//! addresses, limits), so repeated deliveries to one robot reuse its TLS setup and connections;
//! a different answer from the resolver gets a new client. Tests inject their own
//! [`Transport`] to record what would have been connected to.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Url;
use reqwest::dns::{Name, Resolve, Resolving};

use crate::net::client::{HttpConfig, OutboundRequest, OutboundResponse};
use crate::net::error::{NetError, error_chain};
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
#[derive(Debug, Default)]
pub struct ReqwestTransport {
    clients: Mutex<HashMap<ClientKey, reqwest::Client>>,
}

/// What a kept client is fixed to: the pinned host and addresses, and the limits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ClientKey {
    host: Option<String>,
    addrs: Vec<SocketAddr>,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: String,
}

/// Beyond this many kept clients the cache starts over (destinations are few in practice).
const MAX_CLIENTS: usize = 256;

impl ReqwestTransport {
    pub fn new() -> Self {
        Self::default()
    }

    fn client(
        &self,
        pinned: &PinnedRequest,
        config: &HttpConfig,
    ) -> Result<reqwest::Client, NetError> {
        let host = match pinned.url.host() {
            Some(url::Host::Domain(host)) => Some(host.to_owned()),
            _ => None,
        };
        let key = ClientKey {
            host,
            addrs: pinned.addrs.clone(),
            connect_timeout: config.connect_timeout,
            timeout: config.timeout,
            user_agent: config.user_agent.clone(),
        };
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(config.user_agent.clone())
            .dns_resolver(Arc::new(PinnedOnly));
        if let Some(host) = &key.host {
            builder = builder.resolve_to_addrs(host, &key.addrs);
        }
        let client = builder.build().map_err(|e| NetError::Transport {
            reason: e.to_string(),
        })?;
        if clients.len() >= MAX_CLIENTS {
            clients.clear();
        }
        clients.insert(key, client.clone());
        Ok(client)
    }
}

impl Transport for ReqwestTransport {
    fn send<'a>(
        &'a self,
        pinned: PinnedRequest,
        config: &'a HttpConfig,
    ) -> BoxFuture<'a, Result<OutboundResponse, NetError>> {
        Box::pin(async move {
            let client = self.client(&pinned, config)?;
            send(client, pinned, config).await
        })
    }
}

async fn send(
    client: reqwest::Client,
    pinned: PinnedRequest,
    config: &HttpConfig,
) -> Result<OutboundResponse, NetError> {
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

//! [`SafeClient`]: resolve once, check every address, send pinned, refuse redirects.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};

use crate::net::address::classify;
use crate::net::allowlist::Allowlist;
use crate::net::error::NetError;
use crate::net::resolver::{Resolver, SystemResolver};
use crate::net::transport::{PinnedRequest, ReqwestTransport, Transport};

/// Limits and the allowlist every outbound request obeys.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Time to establish the connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Time for the whole exchange, from connecting to the last byte of the body.
    pub timeout: Duration,
    /// Responses larger than this are cut off and reported.
    pub max_response_bytes: usize,
    /// Internal hosts an admin has opened (on-premise systems).
    pub allowlist: Allowlist,
    pub user_agent: String,
}

impl Default for HttpConfig {
    /// 5 s to connect, 15 s in all, 1 MiB responses, nothing internal allowed.
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(15),
            max_response_bytes: 1 << 20,
            allowlist: Allowlist::default(),
            user_agent: concat!("Formwork/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// A request to send: method, URL, headers and body.
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    pub method: Method,
    pub url: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl OutboundRequest {
    /// A `POST` of `body` as `application/json; charset=utf-8`.
    pub fn post_json(url: impl Into<String>, body: Vec<u8>) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        Self {
            method: Method::POST,
            url: url.into(),
            headers,
            body,
        }
    }

    /// Adds a header, refusing a name or value that cannot be sent (a line break, say).
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, NetError> {
        let invalid = || NetError::InvalidRequest {
            reason: format!("header {name} cannot be sent with this name or value"),
        };
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
        let value = HeaderValue::from_str(value).map_err(|_| invalid())?;
        self.headers.insert(name, value);
        Ok(self)
    }
}

/// What came back: any status but a redirect, with the whole (capped) body.
#[derive(Debug, Clone)]
pub struct OutboundResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl OutboundResponse {
    /// The `Retry-After` header in seconds, when the server gave one as a number.
    pub fn retry_after(&self) -> Option<Duration> {
        let value = self.headers.get(reqwest::header::RETRY_AFTER)?;
        value
            .to_str()
            .ok()?
            .trim()
            .parse()
            .ok()
            .map(Duration::from_secs)
    }
}

/// The one way Formwork calls out over HTTP. Cheap to clone.
#[derive(Clone)]
pub struct SafeClient {
    config: Arc<HttpConfig>,
    resolver: Arc<dyn Resolver>,
    transport: Arc<dyn Transport>,
}

impl std::fmt::Debug for SafeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SafeClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SafeClient {
    /// The system resolver and the reqwest transport.
    pub fn new(config: HttpConfig) -> Self {
        Self::with_parts(
            config,
            Arc::new(SystemResolver),
            Arc::new(ReqwestTransport::new()),
        )
    }

    /// A client with an injected resolver and transport (tests, custom DNS).
    pub fn with_parts(
        config: HttpConfig,
        resolver: Arc<dyn Resolver>,
        transport: Arc<dyn Transport>,
    ) -> Self {
        Self {
            config: Arc::new(config),
            resolver,
            transport,
        }
    }

    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// Resolves `host` once (an IP literal is taken as it is) and checks every address: all
    /// must be public, unless the allowlist names `host` (and `port`), which opens internal
    /// classes but never metadata, unspecified, multicast or broadcast addresses.
    pub async fn resolve_checked(
        &self,
        host: &str,
        port: u16,
    ) -> Result<Vec<SocketAddr>, NetError> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let ips = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => self
                .resolver
                .lookup(bare)
                .await
                .map_err(|e| NetError::Resolve {
                    host: bare.to_owned(),
                    reason: e.to_string(),
                })?,
        };
        if ips.is_empty() {
            return Err(NetError::NoAddress {
                host: bare.to_owned(),
            });
        }
        let permitted = self.config.allowlist.permits(bare, port);
        let mut addrs: Vec<SocketAddr> = Vec::with_capacity(ips.len());
        for ip in ips {
            if let Some(refusal) = classify(ip)
                && (!permitted || refusal.class.never_allowed())
            {
                return Err(NetError::Refused {
                    host: bare.to_owned(),
                    addr: ip,
                    class: refusal.class,
                    via: refusal.via,
                });
            }
            let addr = SocketAddr::new(ip, port);
            if !addrs.contains(&addr) {
                addrs.push(addr);
            }
        }
        Ok(addrs)
    }

    /// Sends `request` to a checked address and returns the response; a 3xx is an error
    /// ([`NetError::Redirect`]) and is not followed. Other statuses are the caller's to judge.
    pub async fn send(&self, request: OutboundRequest) -> Result<OutboundResponse, NetError> {
        let url = Url::parse(&request.url).map_err(|e| NetError::InvalidUrl {
            url: request.url.clone(),
            reason: e.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(NetError::UnsupportedScheme {
                scheme: url.scheme().to_owned(),
            });
        }
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return Err(NetError::InvalidUrl {
                url: request.url.clone(),
                reason: "no host".into(),
            });
        };
        let addrs = self.resolve_checked(host, port).await?;
        let pinned = PinnedRequest {
            request,
            url,
            addrs,
        };
        let response = self.transport.send(pinned, &self.config).await?;
        if (300..400).contains(&response.status) {
            let location = response
                .headers
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            return Err(NetError::Redirect {
                status: response.status,
                location,
            });
        }
        Ok(response)
    }
}

//! Outbound HTTP that cannot be turned against the network it runs in (SSRF).
//!
//! [`SafeClient`] resolves a URL's host once through a [`Resolver`], checks every address
//! ([`classify`], the [`Allowlist`]), and hands the request to a [`Transport`] pinned to the
//! checked addresses, so nothing is resolved again between the check and the connect. Redirects
//! are reported, never followed; timeouts and a response size cap bound every request.

mod address;
mod allowlist;
mod client;
mod error;
mod resolver;
mod transport;

pub use address::{AddressClass, Embedding, Refusal, classify};
pub use allowlist::Allowlist;
pub use client::{HttpConfig, OutboundRequest, OutboundResponse, SafeClient};
pub use error::NetError;
pub(crate) use error::error_chain;
pub use resolver::{BoxFuture, Resolver, SystemResolver};
pub use transport::{PinnedRequest, ReqwestTransport, Transport};

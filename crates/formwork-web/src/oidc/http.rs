//! openidconnect's HTTP over the workspace's reqwest 0.13 (rustls on aws-lc-rs), so sign-in
//! adds no second HTTP or TLS stack: the crate's own reqwest support is for reqwest 0.12.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};

/// Largest provider response read (discovery documents and key sets are a few kB).
const MAX_BODY: usize = 1024 * 1024;

/// Why a request to the provider failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("request to the sign-in provider: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("response of the sign-in provider: {0}")]
    Response(#[from] openidconnect::http::Error),
    #[error("the sign-in provider's response is larger than {MAX_BODY} bytes")]
    TooLarge,
}

/// The client every request to the provider goes through.
#[derive(Debug, Clone)]
pub struct Http(reqwest::Client);

impl Http {
    /// Redirects are not followed (the library's advice against SSRF); a provider that does not
    /// answer within ten seconds fails the sign-in instead of holding the request.
    pub fn new() -> Result<Self, reqwest::Error> {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("formwork/", env!("CARGO_PKG_VERSION")))
            .build()
            .map(Http)
    }
}

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let mut response = self.0.execute(reqwest::Request::try_from(request)?).await?;
            let mut builder = openidconnect::http::Response::builder()
                .status(response.status())
                .version(response.version());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await? {
                if body.len() + chunk.len() > MAX_BODY {
                    return Err(HttpError::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(builder.body(body)?)
        })
    }
}

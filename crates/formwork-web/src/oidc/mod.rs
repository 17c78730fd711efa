//! Sign-in with OpenID Connect, beside passwords: the authorization code flow with PKCE
//! against one configured provider. The state, nonce and PKCE verifier of a sign-in wait in the
//! server-side session (the database), the callback checks the state, then the ID token's
//! signature, issuer, audience, expiry and nonce (openidconnect), and the runtime finds or
//! creates the user in one transaction (see `formwork_runtime::external`).

mod http;
mod routes;

use std::time::{Duration, Instant};

use formwork_model::RoleId;
use formwork_runtime::{ExternalPolicy, MatchClaim};
use openidconnect::core::{CoreClient, CoreProviderMetadata};
use openidconnect::{
    ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, RedirectUrl,
};
use tokio::sync::Mutex;

pub(crate) use routes::router;

/// Where the provider sends people back.
pub const CALLBACK_PATH: &str = "/login/oidc/callback";
/// Where a sign-in with the provider starts.
pub const START_PATH: &str = "/login/oidc";

/// How long the provider's discovery document and keys are used before they are fetched again
/// (a signature that fails with the held keys fetches them at once, for key rotation).
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// The settings of sign-in with a provider.
#[derive(Clone)]
pub struct OidcConfig {
    pub issuer: IssuerUrl,
    pub client_id: ClientId,
    pub client_secret: Option<ClientSecret>,
    pub redirect_url: RedirectUrl,
    pub claim: MatchClaim,
    /// Create unknown people with these roles; `None` refuses them.
    pub create_with_roles: Option<Vec<RoleId>>,
    /// The sign-in button's text; the catalog's "使用企业账号登录 / Sign in with SSO" without it.
    pub label: Option<String>,
}

impl std::fmt::Debug for OidcConfig {
    // Never prints the client secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer.as_str())
            .field("client_id", &self.client_id.as_str())
            .field("redirect_url", &self.redirect_url.as_str())
            .field("claim", &self.claim)
            .field("create_with_roles", &self.create_with_roles)
            .finish_non_exhaustive()
    }
}

/// What an operator writes, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Without it: the public URL followed by [`CALLBACK_PATH`].
    pub redirect_url: Option<String>,
    pub public_url: Option<String>,
    pub claim: String,
    pub create_users: bool,
    /// Comma-separated role ids of created users.
    pub new_user_roles: String,
    pub label: Option<String>,
}

impl OidcConfig {
    /// Checks the settings; the error names the setting (its environment variable) at fault.
    pub fn from_settings(s: &OidcSettings) -> Result<Self, String> {
        let issuer = IssuerUrl::new(s.issuer.trim().to_owned())
            .map_err(|e| format!("FORMWORK_OIDC_ISSUER is not a URL ({e})"))?;
        if !matches!(issuer.url().scheme(), "https" | "http") {
            return Err("FORMWORK_OIDC_ISSUER must be an https:// URL".to_owned());
        }
        let client_id = s
            .client_id
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or("FORMWORK_OIDC_CLIENT_ID is required with FORMWORK_OIDC_ISSUER")?;
        let redirect = match (&s.redirect_url, &s.public_url) {
            (Some(url), _) => url.trim().to_owned(),
            (None, Some(public)) => format!("{}{CALLBACK_PATH}", public.trim_end_matches('/')),
            (None, None) => {
                return Err(
                    "FORMWORK_OIDC_REDIRECT_URL (or FORMWORK_PUBLIC_URL) is required \
                            with FORMWORK_OIDC_ISSUER"
                        .to_owned(),
                );
            }
        };
        let redirect_url = RedirectUrl::new(redirect)
            .map_err(|e| format!("FORMWORK_OIDC_REDIRECT_URL is not a URL ({e})"))?;
        if redirect_url.url().path() != CALLBACK_PATH {
            return Err(format!(
                "FORMWORK_OIDC_REDIRECT_URL must end in {CALLBACK_PATH} (got {})",
                redirect_url.as_str()
            ));
        }
        let claim = MatchClaim::parse(s.claim.trim()).ok_or_else(|| {
            format!(
                "FORMWORK_OIDC_CLAIM must be one of {} (got {:?})",
                MatchClaim::NAMES.join(", "),
                s.claim
            )
        })?;
        let mut roles = Vec::new();
        for role in s.new_user_roles.split(',').map(str::trim) {
            if role.is_empty() {
                continue;
            }
            roles.push(
                RoleId::parse(role).map_err(|_| {
                    format!("FORMWORK_OIDC_NEW_USER_ROLES: {role:?} is not a role id")
                })?,
            );
        }
        if !s.create_users && !roles.is_empty() {
            return Err(
                "FORMWORK_OIDC_NEW_USER_ROLES needs FORMWORK_OIDC_CREATE_USERS=true".to_owned(),
            );
        }
        Ok(OidcConfig {
            issuer,
            client_id: ClientId::new(client_id.to_owned()),
            client_secret: s
                .client_secret
                .as_deref()
                .filter(|c| !c.is_empty())
                .map(|c| ClientSecret::new(c.to_owned())),
            redirect_url,
            claim,
            create_with_roles: s.create_users.then_some(roles),
            label: s.label.clone().filter(|l| !l.trim().is_empty()),
        })
    }

    pub fn policy(&self) -> ExternalPolicy {
        ExternalPolicy {
            claim: self.claim,
            create_with_roles: self.create_with_roles.clone(),
        }
    }
}

/// The client built from the provider's discovery document.
type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Sign-in with the configured provider: its settings, the HTTP client, and the provider's
/// metadata once fetched.
pub struct Oidc {
    pub config: OidcConfig,
    pub(crate) http: http::Http,
    metadata: Mutex<Option<(CoreProviderMetadata, Instant)>>,
}

/// Why the provider could not be used.
#[derive(Debug, thiserror::Error)]
#[error("discovering the sign-in provider: {0}")]
pub struct Unavailable(String);

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Oidc {
    pub fn new(config: OidcConfig) -> Result<Self, String> {
        let http = http::Http::new().map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Self {
            config,
            http,
            metadata: Mutex::new(None),
        })
    }

    /// The client, from the held metadata while fresh (or `refresh` is false), else from
    /// metadata fetched now.
    async fn client(&self, refresh: bool) -> Result<Client, Unavailable> {
        let mut held = self.metadata.lock().await;
        let stale = held
            .as_ref()
            .is_none_or(|(_, at)| refresh || at.elapsed() > METADATA_TTL);
        if stale {
            let fetched =
                CoreProviderMetadata::discover_async(self.config.issuer.clone(), &self.http)
                    .await
                    .map_err(|e| Unavailable(error_chain(&e)))?;
            *held = Some((fetched, Instant::now()));
        }
        let metadata = held
            .as_ref()
            .map(|(m, _)| m.clone())
            .ok_or_else(|| Unavailable("no metadata".to_owned()))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            self.config.client_id.clone(),
            self.config.client_secret.clone(),
        )
        .set_redirect_uri(self.config.redirect_url.clone()))
    }
}

/// An error with its causes, for the log.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> OidcSettings {
        OidcSettings {
            issuer: "https://sso.example.com".into(),
            client_id: Some("formwork".into()),
            client_secret: Some("s3cret".into()),
            public_url: Some("https://formwork.example.com/".into()),
            claim: "preferred_username".into(),
            ..OidcSettings::default()
        }
    }

    fn error_of(change: impl FnOnce(&mut OidcSettings)) -> String {
        let mut s = settings();
        change(&mut s);
        OidcConfig::from_settings(&s).map(|_| ()).unwrap_err()
    }

    #[test]
    fn good_settings_give_the_callback_under_the_public_url() {
        let config = OidcConfig::from_settings(&settings()).map_err(|e| e.to_string());
        let config = config.as_ref().map(|c| c.redirect_url.as_str());
        assert_eq!(
            config,
            Ok("https://formwork.example.com/login/oidc/callback")
        );
    }

    #[test]
    fn each_wrong_setting_is_named() {
        assert!(error_of(|s| s.client_id = None).contains("FORMWORK_OIDC_CLIENT_ID"));
        assert!(error_of(|s| s.claim = "sub".into()).contains("FORMWORK_OIDC_CLAIM"));
        assert!(error_of(|s| s.issuer = "not a url".into()).contains("FORMWORK_OIDC_ISSUER"));
        assert!(error_of(|s| s.public_url = None).contains("FORMWORK_OIDC_REDIRECT_URL"));
        assert!(
            error_of(|s| s.redirect_url = Some("https://f.example.com/elsewhere".into()))
                .contains("/login/oidc/callback")
        );
        assert!(
            error_of(|s| s.new_user_roles = "sales".into()).contains("FORMWORK_OIDC_CREATE_USERS")
        );
        assert!(
            error_of(|s| {
                s.create_users = true;
                s.new_user_roles = "Not A Role".into();
            })
            .contains("not a role id")
        );
    }

    #[test]
    fn the_secret_is_never_printed() {
        let config = OidcConfig::from_settings(&settings()).map(|c| format!("{c:?}"));
        assert!(config.is_ok_and(|debug| !debug.contains("s3cret")));
    }
}

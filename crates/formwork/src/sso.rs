//! The settings of sign-in with an OpenID Connect provider (`--oidc-*`, `FORMWORK_OIDC_*`),
//! checked before the server starts: a wrong setting stops `serve` with a sentence naming it.

use std::sync::Arc;

use anyhow::bail;
use clap::Args;
use formwork_runtime::Runtime;
use formwork_web::{Oidc, OidcConfig, OidcSettings};

#[derive(Debug, Clone, Args)]
pub struct OidcArgs {
    /// Issuer URL of the OpenID Connect provider; sign-in with it is offered when set.
    #[arg(long, env = "FORMWORK_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    /// Client id Formwork is registered with at the provider.
    #[arg(long, env = "FORMWORK_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,
    /// Client secret (confidential client; sent with HTTP Basic authentication).
    #[arg(long, env = "FORMWORK_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,
    /// Redirect URL registered at the provider (default: the public URL + /login/oidc/callback).
    #[arg(long, env = "FORMWORK_OIDC_REDIRECT_URL")]
    pub oidc_redirect_url: Option<String>,
    /// Claim that finds the Formwork user: preferred_username (= username) or email.
    #[arg(
        long,
        env = "FORMWORK_OIDC_CLAIM",
        default_value = "preferred_username"
    )]
    pub oidc_claim: String,
    /// Create a user for a provider account that matches nobody.
    #[arg(long, env = "FORMWORK_OIDC_CREATE_USERS")]
    pub oidc_create_users: bool,
    /// Roles of created users, comma-separated role ids.
    #[arg(long, env = "FORMWORK_OIDC_NEW_USER_ROLES", default_value = "")]
    pub oidc_new_user_roles: String,
    /// Text of the sign-in button (default: 使用企业账号登录 / Sign in with SSO).
    #[arg(long, env = "FORMWORK_OIDC_LABEL")]
    pub oidc_label: Option<String>,
}

impl OidcArgs {
    /// The provider sign-in these settings describe, `None` without an issuer. Roles of new
    /// users must exist in the database.
    pub async fn build(
        &self,
        public_url: Option<&str>,
        runtime: &Runtime,
    ) -> anyhow::Result<Option<Arc<Oidc>>> {
        let Some(issuer) = self.oidc_issuer.as_deref().filter(|i| !i.trim().is_empty()) else {
            return Ok(None);
        };
        let config = OidcConfig::from_settings(&OidcSettings {
            issuer: issuer.to_owned(),
            client_id: self.oidc_client_id.clone(),
            client_secret: self.oidc_client_secret.clone(),
            redirect_url: self.oidc_redirect_url.clone(),
            public_url: public_url.map(str::to_owned),
            claim: self.oidc_claim.clone(),
            create_users: self.oidc_create_users,
            new_user_roles: self.oidc_new_user_roles.clone(),
            label: self.oidc_label.clone(),
        })
        .map_err(anyhow::Error::msg)?;
        if let Some(roles) = &config.create_with_roles {
            let unknown = runtime.unknown_roles(roles).await?;
            if !unknown.is_empty() {
                let names: Vec<&str> = unknown.iter().map(|r| r.as_str()).collect();
                bail!(
                    "FORMWORK_OIDC_NEW_USER_ROLES names roles that do not exist: {}",
                    names.join(", ")
                );
            }
        }
        tracing::info!(
            issuer,
            claim = config.claim.name(),
            "sign-in with OpenID Connect is on"
        );
        Ok(Some(Arc::new(
            Oidc::new(config).map_err(anyhow::Error::msg)?,
        )))
    }
}

//! API tokens: a random secret shown once, stored only as its SHA-256.

use base64::Engine;
use formwork_store::{ApiToken, NewApiToken, TokenId};

use crate::Account;
use crate::policy::Caller;
use rand::RngCore;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::{Runtime, RuntimeError, RuntimeResult};

/// Every secret starts with this, so leaked tokens are easy to recognise and scan for.
const TOKEN_PREFIX: &str = "fwk_";

/// A new token with its secret, which is never retrievable again.
#[derive(Debug, Clone)]
pub struct CreatedToken {
    pub token: ApiToken,
    pub secret: String,
}

impl Runtime {
    pub async fn create_token(&self, user: &Account, name: &str) -> RuntimeResult<CreatedToken> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(RuntimeError::Invalid {
                problems: vec![crate::accounts::problem(
                    "/name",
                    "invalid_token_name",
                    "令牌名称须为 1–100 个字符",
                    "Token name must be 1–100 characters",
                )],
            });
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let secret = format!(
            "{TOKEN_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        );
        let token = self
            .store
            .create_token(NewApiToken {
                user_id: user.id.clone(),
                name: name.to_owned(),
                token_hash: hash_secret(&secret),
                prefix: secret.chars().take(TOKEN_PREFIX.len() + 6).collect(),
            })
            .await?;
        Ok(CreatedToken { token, secret })
    }

    /// The caller a bearer secret belongs to; revoked tokens and suspended users are refused.
    pub async fn authenticate_token(
        &self,
        secret: &str,
        now: OffsetDateTime,
    ) -> RuntimeResult<Caller> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Err(RuntimeError::Unauthenticated);
        }
        match self.store.use_token(&hash_secret(secret), now).await? {
            Some((_, user)) if !user.suspended => self.caller(user.into()).await,
            _ => Err(RuntimeError::Unauthenticated),
        }
    }

    pub async fn list_tokens(&self, user: &Account) -> RuntimeResult<Vec<ApiToken>> {
        Ok(self.store.list_tokens(&user.id).await?)
    }

    pub async fn revoke_token(&self, user: &Account, token_id: &TokenId) -> RuntimeResult<()> {
        Ok(self.store.revoke_token(&user.id, token_id).await?)
    }
}

fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_hash_to_stable_hex() {
        assert_eq!(hash_secret("fwk_a"), hash_secret("fwk_a"));
        assert_ne!(hash_secret("fwk_a"), hash_secret("fwk_b"));
        assert_eq!(hash_secret("fwk_a").len(), 64);
    }
}

//! Sign-in through an OpenID Connect provider: who the provider's verified claims are in
//! Formwork. The provider account is linked to its user at the first sign-in (by the configured
//! claim), or a user is created for it when the configuration allows, all in one transaction;
//! a suspended user is refused whatever the provider says.

use formwork_store::{
    ExternalMatch, ExternalSignIn, ExternalSignInOutcome, NewExternalUser, NewUser, RoleId,
    StoreError,
};

use crate::{Account, Runtime, RuntimeError, RuntimeResult};

/// The password hash of users created through a provider: not a PHC string, so no password
/// ever verifies against it (an admin may still set one).
pub const NO_PASSWORD: &str = "!external";

/// The claim that finds the Formwork user of a provider account seen the first time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchClaim {
    /// `preferred_username` equals the username.
    PreferredUsername,
    /// `email` equals the user's e-mail (any case); refused when the provider says it is not
    /// verified.
    Email,
}

impl MatchClaim {
    pub const NAMES: [&str; 2] = ["preferred_username", "email"];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "preferred_username" => Some(Self::PreferredUsername),
            "email" => Some(Self::Email),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::PreferredUsername => "preferred_username",
            Self::Email => "email",
        }
    }
}

/// What a provider said about who signed in, after its ID token was verified.
#[derive(Debug, Clone, Default)]
pub struct ProviderClaims {
    pub issuer: String,
    pub subject: String,
    pub preferred_username: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
}

/// How provider accounts become Formwork users.
#[derive(Debug, Clone)]
pub struct ExternalPolicy {
    pub claim: MatchClaim,
    /// Create unknown people with these roles; `None` refuses them.
    pub create_with_roles: Option<Vec<RoleId>>,
}

/// Why a provider's sign-in does not sign anybody in to Formwork.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternalRefusal {
    /// The provider did not give the configured claim.
    ClaimMissing(&'static str),
    /// The provider says the e-mail is not verified.
    EmailUnverified,
    /// Nobody matches and creating users is off.
    Unknown,
    /// The e-mail belongs to several users.
    Ambiguous,
    /// The matching user is linked to another account of this provider.
    LinkedElsewhere,
    /// A user would be created, but no valid username can be made from the claims.
    NoUsername,
    /// A user would be created, but the username belongs to somebody else.
    UsernameTaken(String),
    Suspended,
}

impl Runtime {
    /// Those of `roles` that do not exist, to refuse a configuration naming them at start.
    pub async fn unknown_roles(&self, roles: &[RoleId]) -> RuntimeResult<Vec<RoleId>> {
        let known = self.store.list_roles().await?;
        Ok(roles
            .iter()
            .filter(|r| !known.iter().any(|k| &k.id == *r))
            .cloned()
            .collect())
    }

    /// The user a provider's verified claims sign in, or why nobody is signed in.
    pub async fn external_sign_in(
        &self,
        claims: &ProviderClaims,
        policy: &ExternalPolicy,
    ) -> RuntimeResult<Result<Account, ExternalRefusal>> {
        let matcher = match policy.claim {
            MatchClaim::PreferredUsername => match nonempty(&claims.preferred_username) {
                Some(name) => ExternalMatch::Username(name.to_lowercase()),
                None => return Ok(Err(ExternalRefusal::ClaimMissing("preferred_username"))),
            },
            MatchClaim::Email => match nonempty(&claims.email) {
                _ if claims.email_verified == Some(false) => {
                    return Ok(Err(ExternalRefusal::EmailUnverified));
                }
                Some(email) => ExternalMatch::Email(email.to_owned()),
                None => return Ok(Err(ExternalRefusal::ClaimMissing("email"))),
            },
        };
        let create = match &policy.create_with_roles {
            None => None,
            Some(roles) => {
                let Some(username) = new_username(claims) else {
                    return Ok(Err(ExternalRefusal::NoUsername));
                };
                Some(NewExternalUser {
                    user: NewUser {
                        display_name: nonempty(&claims.name)
                            .map_or_else(|| username.clone(), str::to_owned),
                        email: nonempty(&claims.email).map(str::to_owned),
                        username,
                        password_hash: NO_PASSWORD.to_owned(),
                        department_id: None,
                        is_admin: false,
                    },
                    roles: roles.clone(),
                })
            }
        };
        let username = create.as_ref().map(|c| c.user.username.clone());
        let sign_in = ExternalSignIn {
            issuer: claims.issuer.clone(),
            subject: claims.subject.clone(),
            matcher,
            create,
        };
        let outcome = match self.store.external_sign_in(&sign_in).await {
            Ok(outcome) => outcome,
            Err(StoreError::Conflict(_)) => {
                return Ok(Err(ExternalRefusal::UsernameTaken(
                    username.unwrap_or_default(),
                )));
            }
            Err(e) => return Err(RuntimeError::from(e)),
        };
        let user = match outcome {
            ExternalSignInOutcome::Linked(u)
            | ExternalSignInOutcome::Matched(u)
            | ExternalSignInOutcome::Created(u) => u,
            ExternalSignInOutcome::Unknown => return Ok(Err(ExternalRefusal::Unknown)),
            ExternalSignInOutcome::Ambiguous => return Ok(Err(ExternalRefusal::Ambiguous)),
            ExternalSignInOutcome::LinkedElsewhere => {
                return Ok(Err(ExternalRefusal::LinkedElsewhere));
            }
        };
        if user.suspended {
            return Ok(Err(ExternalRefusal::Suspended));
        }
        Ok(Ok(user.into()))
    }
}

fn nonempty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The username of a user created at sign-in: `preferred_username`, else the e-mail's local
/// part, lowercased, if it follows the username rules.
fn new_username(claims: &ProviderClaims) -> Option<String> {
    let from_email = nonempty(&claims.email).and_then(|e| e.split('@').next());
    [nonempty(&claims.preferred_username), from_email]
        .into_iter()
        .flatten()
        .map(str::to_lowercase)
        .find(|name| crate::accounts::valid_username(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_usernames_come_from_the_preferred_username_then_the_email() {
        let mut claims = ProviderClaims {
            preferred_username: Some("Wang.Wu".into()),
            email: Some("ww@example.com".into()),
            ..ProviderClaims::default()
        };
        assert_eq!(new_username(&claims).as_deref(), Some("wang.wu"));
        claims.preferred_username = Some("王五".into());
        assert_eq!(new_username(&claims).as_deref(), Some("ww"));
        claims.email = None;
        assert_eq!(new_username(&claims), None);
    }

    #[test]
    fn only_known_claims_match() {
        assert_eq!(MatchClaim::parse("email"), Some(MatchClaim::Email));
        assert_eq!(MatchClaim::parse("sub"), None);
        for name in MatchClaim::NAMES {
            assert_eq!(MatchClaim::parse(name).map(MatchClaim::name), Some(name));
        }
    }
}

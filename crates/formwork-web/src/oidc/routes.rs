//! The two steps of a sign-in with the provider: `GET /login/oidc` sends the browser to the
//! provider with a fresh state, nonce and PKCE challenge kept in the session; the provider
//! sends it back to `GET /login/oidc/callback`, which signs the person in only when everything
//! checks out. Any refusal ends the session (no half-signed-in session is left) and shows an
//! error page saying why.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use formwork_runtime::{ExternalRefusal, ProviderClaims};
use openidconnect::core::{CoreAuthenticationFlow, CoreGenderClaim};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, CsrfToken, EmptyAdditionalClaims, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RequestTokenError, Scope,
    TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tower_sessions::Session;

use super::{CALLBACK_PATH, Oidc, START_PATH, error_chain};
use crate::AppState;
use crate::pages::PageError;
use crate::pages::local_path;
use crate::session_store::USER_ID_KEY;

/// Session key of a sign-in waiting for the provider's answer.
const PENDING_KEY: &str = "oidc_pending";
/// How long the provider may take to send the person back.
const PENDING_SECS: i64 = 600;

/// What the callback needs from the start of the same sign-in.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    pkce_verifier: String,
    next: String,
    started_at: i64,
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(START_PATH, get(start))
        .route(CALLBACK_PATH, get(callback))
}

fn configured(state: &AppState) -> Result<Arc<Oidc>, PageError> {
    state.oidc.clone().ok_or_else(PageError::not_found)
}

#[derive(Debug, Deserialize)]
struct StartQuery {
    next: Option<String>,
}

/// `GET /login/oidc`: to the provider, with this sign-in's state, nonce and PKCE challenge
/// kept in the session.
async fn start(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<StartQuery>,
) -> Result<Response, PageError> {
    let oidc = configured(&state)?;
    let client = oidc.client(false).await.map_err(unavailable)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".to_owned()))
        .add_scope(Scope::new("email".to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    let pending = Pending {
        state: csrf.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        next: local_path(query.next.as_deref()),
        started_at: OffsetDateTime::now_utc().unix_timestamp(),
    };
    session
        .insert(PENDING_KEY, &pending)
        .await
        .map_err(PageError::internal)?;
    Ok(Redirect::to(url.as_str()).into_response())
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /login/oidc/callback`: signs in the person the provider vouches for, or refuses with a
/// page saying why and no session left behind.
async fn callback(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<CallbackQuery>,
) -> Result<Response, PageError> {
    let oidc = configured(&state)?;
    let pending: Option<Pending> = session
        .remove(PENDING_KEY)
        .await
        .map_err(PageError::internal)?;
    match sign_in(&state, &oidc, pending, query).await {
        Ok((user_id, next)) => {
            // A new id on sign-in, so a session id planted before is worthless.
            session.cycle_id().await.map_err(PageError::internal)?;
            session
                .insert(USER_ID_KEY, &user_id)
                .await
                .map_err(PageError::internal)?;
            Ok(Redirect::to(&next).into_response())
        }
        Err(refused) => {
            session.flush().await.map_err(PageError::internal)?;
            Err(refused)
        }
    }
}

/// The checks of the callback, in order; the user's id and where to go on success.
async fn sign_in(
    state: &AppState,
    oidc: &Oidc,
    pending: Option<Pending>,
    query: CallbackQuery,
) -> Result<(String, String), PageError> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let pending = pending
        .filter(|p| now - p.started_at <= PENDING_SECS)
        .ok_or_else(|| refuse("oidc_no_sign_in"))?;
    // The state first: an answer to another sign-in (or forged) is refused before anything
    // else of it is used, the provider's own error included.
    if !same(query.state.as_deref().unwrap_or_default(), &pending.state) {
        return Err(refuse("oidc_state_mismatch"));
    }
    if let Some(error) = query.error {
        tracing::info!(error, "the sign-in provider refused the sign-in");
        return Err(refuse("oidc_provider_refused"));
    }
    let code = query.code.ok_or_else(|| refuse("oidc_no_code"))?;
    let client = oidc.client(false).await.map_err(unavailable)?;
    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| unavailable(super::Unavailable(e.to_string())))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
        .request_async(&oidc.http)
        .await
        .map_err(|e| match e {
            RequestTokenError::ServerResponse(r) => {
                tracing::info!(error = %r, "the sign-in provider refused the code");
                refuse("oidc_code_refused")
            }
            other => unavailable(super::Unavailable(error_chain(&other))),
        })?;
    let id_token = token
        .id_token()
        .ok_or_else(|| refuse("oidc_token_invalid"))?;
    let nonce = Nonce::new(pending.nonce);
    let verified = {
        let first = id_token
            .claims(&client.id_token_verifier(), &nonce)
            .cloned();
        match first {
            // Keys may have rotated since they were fetched: fetch them once more.
            Err(ClaimsVerificationError::SignatureVerification(_)) => {
                let fresh = oidc.client(true).await.map_err(unavailable)?;
                id_token.claims(&fresh.id_token_verifier(), &nonce).cloned()
            }
            other => other,
        }
    };
    let claims = verified.map_err(|e| match e {
        ClaimsVerificationError::InvalidNonce(_) => refuse("oidc_nonce_mismatch"),
        other => {
            tracing::info!(error = %other, "an ID token failed verification");
            refuse("oidc_token_invalid")
        }
    })?;
    let mut person = ProviderClaims {
        issuer: claims.issuer().to_string(),
        subject: claims.subject().to_string(),
        preferred_username: claims.preferred_username().map(|u| u.to_string()),
        email: claims.email().map(|e| e.to_string()),
        email_verified: claims.email_verified(),
        name: claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.to_string()),
    };
    // Providers that keep profile claims out of the ID token give them at the UserInfo
    // endpoint, for the same subject.
    let incomplete = person.preferred_username.is_none() || person.email.is_none();
    if incomplete
        && let Ok(request) =
            client.user_info(token.access_token().clone(), Some(claims.subject().clone()))
    {
        let info: UserInfoClaims<EmptyAdditionalClaims, CoreGenderClaim> = request
            .request_async(&oidc.http)
            .await
            .map_err(|e| unavailable(super::Unavailable(error_chain(&e))))?;
        person.preferred_username = person
            .preferred_username
            .or_else(|| info.preferred_username().map(|u| u.to_string()));
        if person.email.is_none() {
            person.email = info.email().map(|e| e.to_string());
            person.email_verified = info.email_verified();
        }
        person.name = person
            .name
            .or_else(|| info.name().and_then(|n| n.get(None)).map(|n| n.to_string()));
    }
    let user = state
        .runtime
        .external_sign_in(&person, &oidc.config.policy())
        .await?
        .map_err(|refusal| {
            tracing::info!(
                subject = person.subject,
                ?refusal,
                "a provider sign-in was refused"
            );
            match refusal {
                ExternalRefusal::Suspended => {
                    PageError::status(StatusCode::FORBIDDEN, "account_suspended")
                }
                ExternalRefusal::Unknown => {
                    PageError::status(StatusCode::FORBIDDEN, "oidc_unknown_user")
                }
                ExternalRefusal::ClaimMissing(_) => refuse("oidc_claim_missing"),
                ExternalRefusal::EmailUnverified => refuse("oidc_email_unverified"),
                ExternalRefusal::Ambiguous => refuse("oidc_ambiguous"),
                ExternalRefusal::LinkedElsewhere => {
                    PageError::status(StatusCode::FORBIDDEN, "oidc_linked_elsewhere")
                }
                ExternalRefusal::NoUsername | ExternalRefusal::UsernameTaken(_) => {
                    PageError::status(StatusCode::CONFLICT, "oidc_cannot_create")
                }
            }
        })?;
    Ok((user.id.to_string(), pending.next))
}

/// A refusal of the sign-in, shown as a 400 page with the catalog's message for `code`.
fn refuse(code: &'static str) -> PageError {
    PageError::status(StatusCode::BAD_REQUEST, code)
}

fn unavailable(e: super::Unavailable) -> PageError {
    tracing::warn!(error = %e, "the sign-in provider cannot be used");
    PageError::status(StatusCode::BAD_GATEWAY, "oidc_unavailable")
}

/// Compares the state the provider echoed with the one kept, in time independent of where
/// they differ.
fn same(given: &str, kept: &str) -> bool {
    Sha256::digest(given.as_bytes()) == Sha256::digest(kept.as_bytes())
}

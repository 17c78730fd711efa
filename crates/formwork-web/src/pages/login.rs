//! Sign in and out with a form. Signing in works like `POST /api/v1/session`: the runtime
//! checks the password (with throttling), the session gets a new id, then holds the user.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_runtime::RuntimeError;
use minijinja::context;
use serde::Deserialize;
use time::OffsetDateTime;
use tower_sessions::Session;

use super::PageError;
use super::auth::{MaybeCaller, local_path};
use super::render::{Chrome, render};
use crate::AppState;
use crate::api::session::ClientAddr;
use crate::i18n::Lang;
use crate::session_store::USER_ID_KEY;

#[derive(Debug, Default, Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

fn next_of(query: Option<&str>) -> Option<String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default();
    pairs.into_iter().find(|(k, _)| k == "next").map(|(_, v)| v)
}

/// The sign-in button of the configured provider: its text and where it goes.
fn sso(state: &AppState, lang: Lang, next: &str) -> Option<(String, String)> {
    let oidc = state.oidc.as_ref()?;
    let label = oidc
        .config
        .label
        .clone()
        .unwrap_or_else(|| lang.message("ui.sign_in.sso", &[]));
    let href = if next == "/" {
        crate::oidc::START_PATH.to_owned()
    } else {
        let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
        format!("{}?{query}", crate::oidc::START_PATH)
    };
    Some((label, href))
}

fn page(
    state: &AppState,
    lang: Lang,
    uri: &Uri,
    username: &str,
    next: &str,
    error: Option<String>,
) -> Response {
    let chrome = Chrome::new(lang, None, uri.to_string());
    let (sso_label, sso_href) = sso(state, lang, next).unzip();
    render(
        "login.html",
        &chrome,
        context! { username, next, error, sso_label, sso_href },
    )
}

/// `GET /login`: the form, or straight on when already signed in.
pub(crate) async fn form(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    RawQuery(query): RawQuery,
    MaybeCaller(caller): MaybeCaller,
) -> Response {
    let next = local_path(next_of(query.as_deref()).as_deref());
    if caller.is_some() {
        return Redirect::to(&next).into_response();
    }
    page(&state, lang, &uri, "", &next, None)
}

/// `POST /login`: signs in and goes on to `next`; a wrong password shows the form again.
pub(crate) async fn submit(
    State(state): State<AppState>,
    session: Session,
    lang: Lang,
    uri: Uri,
    ClientAddr(client): ClientAddr,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: LoginForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let next = local_path(form.next.as_deref());
    let result = state
        .runtime
        .login(
            &form.username,
            &form.password,
            client.as_deref(),
            OffsetDateTime::now_utc(),
        )
        .await;
    let (status, message) = match result {
        Ok(user) => {
            // A new id on sign-in, so a session id planted before is worthless.
            session.cycle_id().await.map_err(PageError::internal)?;
            session
                .insert(USER_ID_KEY, &user.id)
                .await
                .map_err(PageError::internal)?;
            return Ok(Redirect::to(&next).into_response());
        }
        Err(RuntimeError::InvalidCredentials) => (
            StatusCode::UNAUTHORIZED,
            lang.message("invalid_credentials", &[]),
        ),
        Err(RuntimeError::Throttled { retry_after_secs }) => (
            StatusCode::TOO_MANY_REQUESTS,
            lang.message(
                "too_many_attempts",
                &[("minutes", &retry_after_secs.div_ceil(60).to_string())],
            ),
        ),
        Err(RuntimeError::Suspended) => (
            StatusCode::FORBIDDEN,
            lang.message("account_suspended", &[]),
        ),
        Err(e) => return Err(e.into()),
    };
    let mut response = page(
        &state,
        lang,
        &uri,
        form.username.trim(),
        &next,
        Some(message),
    );
    *response.status_mut() = status;
    Ok(response)
}

/// `POST /logout`: ends the session on the server.
pub(crate) async fn logout(session: Session) -> Result<Response, PageError> {
    session.flush().await.map_err(PageError::internal)?;
    Ok(Redirect::to("/login").into_response())
}

//! Who is looking at a page: the session's user, or a redirect to sign in. Pages use the
//! session cookie only (API tokens are for programs).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use formwork_runtime::Caller;
use tower_sessions::Session;

use super::PageError;
use crate::AppState;
use crate::session_store::{USER_ID_KEY, request_epochs};

/// The signed-in person with their roles; extracting it redirects to `/login` when there is
/// none.
pub(crate) struct PageCaller(pub Caller);

/// The signed-in person if there is one; never rejects.
pub(crate) struct MaybeCaller(pub Option<Caller>);

async fn caller_of(parts: &mut Parts, state: &AppState) -> Result<Option<Caller>, PageError> {
    let session = Session::from_request_parts(parts, state)
        .await
        .map_err(|(_, msg)| PageError::internal(msg))?;
    let user_id: Option<String> = session
        .get(USER_ID_KEY)
        .await
        .map_err(PageError::internal)?;
    // A session whose user id does not parse signs nobody in.
    let Some(user_id) = user_id.and_then(|id| id.parse::<formwork_model::UserId>().ok()) else {
        return Ok(None);
    };
    let epochs = request_epochs(&session)
        .await
        .map_err(PageError::internal)?;
    match state.runtime.session_caller_seen(&user_id, epochs).await {
        Ok(caller) => Ok(Some(caller)),
        Err(
            formwork_runtime::RuntimeError::Unauthenticated
            | formwork_runtime::RuntimeError::Suspended
            | formwork_runtime::RuntimeError::NotFound(_),
        ) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

impl FromRequestParts<AppState> for PageCaller {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        caller_of(parts, state)
            .await?
            .map(PageCaller)
            .ok_or(PageError::SignIn)
    }
}

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        Ok(MaybeCaller(caller_of(parts, state).await?))
    }
}

/// `next` if it is a path on this site, else `/`. Refuses `//host`, `/\host`, schemes and
/// control characters, so a sign-in link can never send someone elsewhere.
pub(crate) fn local_path(next: Option<&str>) -> String {
    let Some(next) = next else {
        return "/".to_owned();
    };
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && next.len() <= 2000
        && !next.chars().any(char::is_control);
    if ok { next.to_owned() } else { "/".to_owned() }
}

/// The sign-in page that comes back to `next` afterwards.
pub(crate) fn login_url(next: &str) -> String {
    if next == "/" {
        return "/login".to_owned();
    }
    let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
    format!("/login?{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        for good in ["/", "/apps/x?y=1", "/records/1#c"] {
            assert_eq!(local_path(Some(good)), good);
        }
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "/a\nb",
            "",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn the_sign_in_link_carries_the_way_back() {
        assert_eq!(login_url("/"), "/login");
        assert_eq!(
            login_url("/apps/a?x=1&y=2"),
            "/login?next=%2Fapps%2Fa%3Fx%3D1%26y%3D2"
        );
    }
}

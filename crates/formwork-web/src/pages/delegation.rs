//! `/settings/delegation`: a person's out-of-office period and delegate. While it lasts their
//! tasks go to the delegate; "take back" ends it and brings the delegated tasks still open
//! back.

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_runtime::RuntimeError;
use minijinja::context;
use time::{OffsetDateTime, PrimitiveDateTime};

use super::PageError;
use super::auth::PageCaller;
use super::format;
use super::input::Submitted;
use super::render::{Chrome, data, render};
use crate::AppState;
use crate::api::tasks::{query_pairs, query_value};
use crate::i18n::Lang;

/// `YYYY-MM-DDTHH:MM` as a `datetime-local` input holds it, read in Beijing time.
fn local_instant(text: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    PrimitiveDateTime::parse(text.trim(), &format)
        .ok()
        .map(|t| t.assume_offset(format::beijing()))
}

fn local_text(t: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    t.to_offset(format::beijing())
        .format(&format)
        .unwrap_or_default()
}

/// `GET /settings/delegation`
pub(crate) async fn show(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let pairs = query_pairs(query.as_deref());
    let flash =
        query_value(&pairs, "moved").map(|n| lang.message("ui.delegation.moved", &[("count", n)]));
    page(&state, &caller, lang, uri.to_string(), flash, None).await
}

async fn page(
    state: &AppState,
    caller: &formwork_runtime::Caller,
    lang: Lang,
    here: String,
    flash: Option<String>,
    error: Option<String>,
) -> Result<Response, PageError> {
    let current = state.runtime.delegation(caller).await?;
    let people: Vec<(String, String)> = state
        .runtime
        .people()
        .await?
        .into_iter()
        .filter(|(u, _)| *u != caller.user.username)
        .collect();
    let delegate = match &current {
        Some(d) => state
            .runtime
            .display_names(&[&d.delegate_id])
            .await?
            .remove(&d.delegate_id),
        None => None,
    };
    let now = OffsetDateTime::now_utc();
    let chrome = Chrome::new(lang, Some(caller), here);
    let failed = error.is_some();
    let mut response = render(
        "delegation.html",
        &chrome,
        context! {
            people => data(&people),
            delegate,
            starts => current.as_ref().map_or_else(|| local_text(now), |d| local_text(d.starts_at)),
            ends => current.as_ref().map_or_else(|| local_text(now + time::Duration::days(7)), |d| local_text(d.ends_at)),
            active => current.is_some(),
            flash,
            error,
        },
    );
    if failed {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// `POST /settings/delegation`
pub(crate) async fn save(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    form: Submitted,
) -> Result<Response, PageError> {
    let now = OffsetDateTime::now_utc();
    let starts = form.get("starts_at").and_then(local_instant);
    let ends = form.get("ends_at").and_then(local_instant);
    // The picker posts a username; a name typed and not picked is taken when it names one
    // person.
    let delegate = super::task::username(&state, form.get("delegate").unwrap_or_default()).await?;
    let delegate = delegate.as_str();
    let result = match (starts, ends) {
        (Some(s), Some(e)) => {
            state
                .runtime
                .set_delegation(&caller, delegate, s, e, now)
                .await
        }
        _ => Err(RuntimeError::Invalid {
            problems: Vec::new(),
        }),
    };
    match result {
        Ok(moved) => {
            Ok(Redirect::to(&format!("/settings/delegation?moved={moved}")).into_response())
        }
        Err(RuntimeError::Invalid { problems }) => {
            let message = problems.first().map_or_else(
                || lang.message("ui.delegation.bad_period", &[]),
                |p| p.message.get(lang.tag()).to_owned(),
            );
            page(
                &state,
                &caller,
                lang,
                "/settings/delegation".into(),
                None,
                Some(message),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /settings/delegation/take-back`
pub(crate) async fn take_back(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
) -> Result<Response, PageError> {
    let back = state
        .runtime
        .take_back(&caller, OffsetDateTime::now_utc())
        .await?;
    Ok(Redirect::to(&format!("/settings/delegation?moved={back}")).into_response())
}

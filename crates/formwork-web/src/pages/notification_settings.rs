//! `/settings/notifications`: where a person receives messages besides in-app (always on):
//! mail to their address, and the language of that mail.

use axum::extract::{RawQuery, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::PageError;
use super::auth::PageCaller;
use super::input::Submitted;
use super::render::{Chrome, render};
use crate::AppState;
use crate::api::tasks::{query_pairs, query_value};
use crate::i18n::Lang;

pub(crate) async fn show(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let settings = state.runtime.notification_channels(&caller.user.id).await?;
    let pairs = query_pairs(query.as_deref());
    let flash = query_value(&pairs, "saved").map(|_| lang.message("ui.notify.saved", &[]));
    let address = caller.user.email.clone().filter(|e| !e.is_empty());
    let chrome = Chrome::new(lang, Some(&caller), uri.to_string());
    Ok(render(
        "notification_settings.html",
        &chrome,
        context! {
            email => settings.email,
            mail_lang => settings.lang,
            address,
            flash,
        },
    ))
}

pub(crate) async fn save(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    form: Submitted,
) -> Result<Response, PageError> {
    let email = form.get("email") == Some("on");
    let lang = form.get("lang").unwrap_or("zh-CN");
    state
        .runtime
        .save_notification_settings(&caller, email, lang)
        .await?;
    Ok(Redirect::to("/settings/notifications?saved=1").into_response())
}

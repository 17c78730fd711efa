//! `/about`: the public status page — running, which database, which apps are published,
//! where the API is. Needs no sign-in.

use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use minijinja::context;
use serde::Serialize;

use super::PageError;
use super::auth::MaybeCaller;
use super::render::{Chrome, data, render};
use crate::AppState;
use crate::i18n::Lang;

#[derive(Serialize)]
struct PublishedApp {
    id: String,
    name: String,
    version: i64,
}

pub(crate) async fn about(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    MaybeCaller(caller): MaybeCaller,
) -> Result<Response, PageError> {
    let apps: Vec<PublishedApp> = state
        .runtime
        .published_apps()
        .await
        .map_err(PageError::internal)?
        .into_iter()
        .filter_map(|a| {
            let version = a.latest_version?;
            let name: formwork_model::Text = serde_json::from_str(&a.name).unwrap_or_default();
            Some(PublishedApp {
                name: name.get(lang.tag()).to_owned(),
                id: a.id.to_string(),
                version,
            })
        })
        .collect();
    let chrome = Chrome::new(lang, caller.as_ref(), uri.to_string());
    Ok(render(
        "index.html",
        &chrome,
        context! {
            apps => data(&apps),
            database => state.runtime.database(),
        },
    ))
}

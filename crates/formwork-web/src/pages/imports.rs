//! The import pages: `/apps/{app}/forms/{form}/import` (upload a sheet, see the mapping),
//! `/imports/{id}` (status, errors by row and column, the error report to download, and the
//! commit button while it is ready). While an import is checked or committed the page shows
//! how far it is: import.js polls `GET /api/v1/imports/{id}`; without JavaScript the page
//! reloads itself.

use axum::extract::{Multipart, Path, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_model::{AppId, FormId};
use formwork_runtime::reports::imports::{ImportOutcome, ImportUpload};
use minijinja::context;
use time::OffsetDateTime;

use super::PageError;
use super::auth::PageCaller;
use super::render::{Chrome, data, render};
use crate::AppState;
use crate::api::reports::import_response;
use crate::i18n::Lang;
use crate::ids::named;

pub(crate) async fn form(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path((app_id, form_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let app_id: AppId = named(&app_id)?;
    let form_id: FormId = named(&form_id)?;
    let app = state.runtime.latest_app(&app_id).await?;
    let form = app.form_def(&form_id)?;
    let chrome = Chrome::new(lang, Some(&caller), uri.to_string());
    Ok(render(
        "import.html",
        &chrome,
        context! {
            app_name => app.def.name.get(lang.tag()),
            app_url => format!("/apps/{app_id}"),
            form_name => form.name.get(lang.tag()),
            action => uri.path(),
            import => (),
        },
    ))
}

pub(crate) async fn upload(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path((app_id, form_id)): Path<(String, String)>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let app_id: AppId = named(&app_id)?;
    let form_id: FormId = named(&form_id)?;
    let mut upload = ImportUpload::default();
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() == Some("file") {
            upload.filename = field.file_name().unwrap_or("upload.xlsx").to_owned();
            upload.bytes = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        }
    }
    let outcome = state
        .runtime
        .start_import(
            &caller,
            &app_id,
            &form_id,
            upload,
            OffsetDateTime::now_utc(),
        )
        .await?;
    let id = match outcome {
        ImportOutcome::Done(i) => i.id,
        ImportOutcome::Duplicate { earlier } => format!("{earlier}?duplicate=1"),
    };
    Ok(Redirect::to(&format!("/imports/{id}")).into_response())
}

pub(crate) async fn show(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let import = state.runtime.get_import(&caller, &id).await?;
    let app = state.runtime.latest_app(&import.app_id).await?;
    let form = app.form_def(&import.form_id)?;
    let duplicate = uri.query().is_some_and(|q| q.contains("duplicate=1"));
    let progress = state.runtime.import_progress(&import);
    let chrome = Chrome::new(lang, Some(&caller), uri.to_string());
    Ok(render(
        "import.html",
        &chrome,
        context! {
            app_name => app.def.name.get(lang.tag()),
            app_url => format!("/apps/{}", import.app_id),
            form_name => form.name.get(lang.tag()),
            action => format!("/apps/{}/forms/{}/import", import.app_id, import.form_id),
            list_url => format!("/apps/{}/forms/{}/records", import.app_id, import.form_id),
            duplicate,
            import => data(&import_response(import, progress, lang)),
            import_js => super::assets::url("import.js"),
        },
    ))
}

pub(crate) async fn commit(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let outcome = state
        .runtime
        .start_commit(&caller, &id, OffsetDateTime::now_utc())
        .await?;
    let to = match outcome {
        ImportOutcome::Done(i) => i.id,
        ImportOutcome::Duplicate { earlier } => format!("{earlier}?duplicate=1"),
    };
    Ok(Redirect::to(&format!("/imports/{to}")).into_response())
}

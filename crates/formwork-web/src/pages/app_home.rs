//! `/apps/{app}`: one app's forms (new-record buttons where allowed), links to the record
//! lists, the person's latest records and open tasks.

use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;
use formwork_runtime::ListRequest;
use minijinja::context;
use serde::Serialize;

use super::PageError;
use super::auth::PageCaller;
use super::format;
use super::home::{app_card, open_tasks};
use super::render::{Chrome, data, render};
use crate::AppState;
use crate::i18n::Lang;
use crate::ids::named;
use formwork_model::{AppId, FormId};

/// How many recent records each form shows on the app's page.
const RECENT: u32 = 5;

#[derive(Serialize)]
struct Recent {
    url: String,
    number: String,
    title: String,
    status: String,
    status_key: String,
    created: String,
}

pub(crate) async fn show(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path(app_id): Path<String>,
) -> Result<Response, PageError> {
    let app_id: AppId = named(&app_id)?;
    let access = state.runtime.usable_app(&caller, &app_id).await?;
    let app = state.runtime.latest_app(&app_id).await?;
    let tasks = open_tasks(&state, &caller).await;
    let in_app = match &tasks {
        Some(tasks) => state.runtime.tasks_in_app(tasks, &app_id).await.ok(),
        None => None,
    };
    let card = app_card(lang, &access, in_app);
    let mut recent: Vec<(String, Vec<Recent>)> = Vec::new();
    for form in access.forms.iter().filter(|f| f.list_scope.is_some()) {
        let form_id: FormId = named(&form.form_id)?;
        let page = state
            .runtime
            .list_records(
                &caller,
                &app_id,
                &form_id,
                &ListRequest {
                    limit: Some(RECENT),
                    ..ListRequest::default()
                },
            )
            .await?;
        let compiled = app.form(&form_id)?;
        let title_key = compiled
            .fields()
            .iter()
            .find(|f| f.kind == formwork_forms::FieldKind::Text)
            .map(|f| f.key.clone());
        let rows = page
            .records
            .into_iter()
            .map(|r| Recent {
                url: format!("/records/{}", r.id),
                number: r.number.clone().unwrap_or_default(),
                title: title_key
                    .as_ref()
                    .and_then(|k| r.data.get(k))
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned(),
                status: format::status(lang, r.status),
                status_key: r.status.to_string(),
                created: format::instant(r.created_at),
            })
            .collect();
        recent.push((form.form_id.clone(), rows));
    }
    let (reports, dashboards) = state.runtime.app_reports(&caller, &app_id).await?;
    let link = |kind: &str, id: &str, name: &formwork_model::Text| serde_json::json!({"url": format!("/apps/{app_id}/{kind}/{id}"), "name": name.get(lang.tag())});
    let report_links: Vec<_> = dashboards
        .iter()
        .map(|d| link("dashboards", &d.id, &d.name))
        .chain(reports.iter().map(|r| {
            let kind = match r.view.kind {
                formwork_model::ViewKind::Kanban
                | formwork_model::ViewKind::Gantt
                | formwork_model::ViewKind::Calendar
                | formwork_model::ViewKind::Table
                | formwork_model::ViewKind::Pivot => "views",
                _ => "reports",
            };
            link(kind, &r.id, &r.name)
        }))
        .collect();
    let imports: Vec<_> = access
        .forms
        .iter()
        .filter(|f| f.may_create)
        .map(|f| format!("/apps/{app_id}/forms/{}/import", f.form_id))
        .collect();
    let chrome = Chrome::new(lang, Some(&caller), uri.to_string());
    Ok(render(
        "app_home.html",
        &chrome,
        context! {
            app => data(&card),
            report_links => data(&report_links),
            imports => data(&imports),
            recent => data(&recent.into_iter().collect::<std::collections::BTreeMap<_, _>>()),
        },
    ))
}

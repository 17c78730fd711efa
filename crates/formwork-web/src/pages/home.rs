//! `/`: the apps a person may use, each with its forms, and their open task count.

use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use formwork_runtime::{AppAccess, Caller, ListScope};
use minijinja::context;
use serde::Serialize;

use super::PageError;
use super::auth::PageCaller;
use super::format;
use super::render::{Chrome, data, render};
use crate::AppState;
use crate::i18n::Lang;

#[derive(Serialize)]
pub(crate) struct FormCard {
    pub id: String,
    pub name: String,
    pub new_url: Option<String>,
    pub list_url: Option<String>,
    /// "我的记录" / "部门记录" / "全部记录".
    pub list_label: String,
}

#[derive(Serialize)]
pub(crate) struct AppCard {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub url: String,
    pub forms: Vec<FormCard>,
    /// Open tasks in this app, when the tasks store answered.
    pub tasks: Option<String>,
}

pub(crate) fn list_label(lang: Lang, scope: ListScope) -> String {
    let key = match scope {
        ListScope::Own => "ui.my_records",
        ListScope::Department => "ui.department_records",
        ListScope::All => "ui.all_records",
        ListScope::Customer => "ui.customer_records",
    };
    lang.message(key, &[])
}

pub(crate) fn app_card(lang: Lang, app: &AppAccess, tasks: Option<usize>) -> AppCard {
    let tag = lang.tag();
    AppCard {
        id: app.app_id.to_string(),
        name: app.name.get(tag).to_owned(),
        description: app
            .description
            .as_ref()
            .map(|d| d.get(tag).to_owned())
            .filter(|d| !d.is_empty()),
        url: format!("/apps/{}", app.app_id),
        forms: app
            .forms
            .iter()
            .map(|f| {
                let base = format!("/apps/{}/forms/{}", app.app_id, f.form_id);
                FormCard {
                    id: f.form_id.clone(),
                    name: f.name.get(tag).to_owned(),
                    new_url: f.may_create.then(|| format!("{base}/new")),
                    list_url: f.list_scope.map(|_| format!("{base}/records")),
                    list_label: f
                        .list_scope
                        .map(|s| list_label(lang, s))
                        .unwrap_or_default(),
                }
            })
            .collect(),
        tasks: tasks.map(format::count),
    }
}

/// The caller's open tasks, or `None` when the tasks store cannot answer (yet).
pub(crate) async fn open_tasks(
    state: &AppState,
    caller: &Caller,
) -> Option<Vec<formwork_runtime::Task>> {
    match state.runtime.open_tasks(caller).await {
        Ok(tasks) => Some(tasks),
        Err(e) => {
            tracing::warn!(error = %e, "open tasks left out of the page");
            None
        }
    }
}

/// Whether any process stopped and waits for an admin (one row read); `false` when the
/// question fails, which is logged.
async fn stopped_processes(state: &AppState, caller: &Caller) -> bool {
    let request = formwork_runtime::InstanceListRequest {
        status: Some("stopped".into()),
        limit: Some(1),
        ..Default::default()
    };
    let now = time::OffsetDateTime::now_utc();
    match state.runtime.list_instances(caller, &request, now).await {
        Ok(page) => !page.items.is_empty(),
        Err(e) => {
            tracing::warn!(error = %e, "stopped processes left out of the home page");
            false
        }
    }
}

pub(crate) async fn index(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
) -> Result<Response, PageError> {
    if state.runtime.is_client(&caller).await? {
        return Ok(axum::response::IntoResponse::into_response(
            axum::response::Redirect::to("/portal"),
        ));
    }
    let apps = state.runtime.usable_apps(&caller).await?;
    let tasks = open_tasks(&state, &caller).await;
    let mut cards = Vec::with_capacity(apps.len());
    for app in &apps {
        let in_app = match &tasks {
            Some(tasks) => state.runtime.tasks_in_app(tasks, &app.app_id).await.ok(),
            None => None,
        };
        cards.push(app_card(lang, app, in_app));
    }
    let designer = state.runtime.is_designer(&caller.user).await?;
    let stopped = if caller.user.is_admin {
        stopped_processes(&state, &caller).await
    } else {
        false
    };
    let chrome = Chrome::new(lang, Some(&caller), uri.to_string());
    Ok(render(
        "home.html",
        &chrome,
        context! {
            apps => data(&cards),
            tasks => tasks.map(|t| format::count(t.len())),
            designer,
            admin => caller.user.is_admin,
            stopped,
        },
    ))
}

//! `/admin/instances`: the admins' view of processes in flight — 运行中 (running), 已停止
//! (stopped by an error in the package, waiting for an admin) and 已超时 (running with an open
//! task past its due time) — filtered by app, process, step and assignee, keyset-paged like
//! every list. Each row opens the instance's page (`admin_instance.rs`).

use axum::extract::{RawQuery, State};
use axum::http::Uri;
use axum::response::Response;
use formwork_model::AppId;
use formwork_runtime::{InstanceListRequest, InstancePage, InstanceSummary, RuntimeError};
use minijinja::context;
use serde::Serialize;
use time::OffsetDateTime;

use super::PageError;
use super::auth::PageCaller;
use super::format;
use super::render::{Chrome, data, render};
use super::timeline::step_name;
use crate::AppState;
use crate::api::tasks::{query_pairs, query_value};
use crate::i18n::Lang;

const PAGE_SIZE: u32 = 20;

/// The lists, in tab order.
const STATUSES: &[&str] = &["running", "stopped", "overdue"];

/// The filters a list keeps across tabs and pages.
const FILTERS: &[&str] = &["app", "process", "node", "assignee"];

#[derive(Serialize)]
struct Tab {
    key: &'static str,
    label: String,
    url: String,
    current: bool,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// One row of the list.
#[derive(Serialize)]
struct Row {
    url: String,
    number: String,
    title: String,
    app: String,
    process: String,
    submitter: String,
    /// Running: each open step with whom it waits for; stopped: where it stopped.
    steps: Vec<String>,
    reason: Option<String>,
    overdue: bool,
    updated: String,
}

/// Why a process stopped, in words.
pub(crate) fn stop_reason(lang: Lang, why: &str) -> String {
    lang.message(&format!("ui.admin.stop.{why}"), &[])
}

fn row(s: &InstanceSummary, lang: Lang) -> Row {
    let tag = lang.tag();
    let mut steps: Vec<String> = Vec::new();
    for t in &s.open_tasks {
        let step = step_name(&t.node, lang);
        let who = t.assignee.as_ref().map_or("—", |u| u.display_name.as_str());
        let line = format!("{step}{}{who}", lang.message("ui.colon", &[]));
        if !steps.contains(&line) {
            steps.push(line);
        }
    }
    if let Some((node, _)) = &s.stopped {
        steps.push(step_name(node, lang));
    }
    Row {
        url: format!("/admin/instances/{}", s.instance.id),
        // A form without numbering is named by its title alone.
        number: s.record.number.clone().unwrap_or_default(),
        title: s.title.clone().unwrap_or_else(|| s.record.id.to_string()),
        app: s.app_name.get(tag).to_owned(),
        process: s.process_name.get(tag).to_owned(),
        submitter: s
            .submitter
            .as_ref()
            .map(|u| u.display_name.clone())
            .unwrap_or_default(),
        steps,
        reason: s.stopped.as_ref().map(|(_, why)| stop_reason(lang, why)),
        overdue: s.overdue,
        updated: format::instant(s.instance.updated_at),
    }
}

/// What an empty list says.
fn empty_key(status: &str, filtered: bool) -> String {
    if filtered {
        "ui.admin.empty.filtered".to_owned()
    } else {
        format!("ui.admin.empty.{status}")
    }
}

/// `/admin/instances` with these query pairs.
fn list_url(pairs: &[(&str, String)]) -> String {
    let kept: Vec<&(&str, String)> = pairs.iter().filter(|(_, v)| !v.is_empty()).collect();
    if kept.is_empty() {
        return "/admin/instances".to_owned();
    }
    let query = serde_urlencoded::to_string(kept).unwrap_or_default();
    format!("/admin/instances?{query}")
}

/// The app, process and step choices: every published app; once an app is chosen, its
/// processes and their approval and fill steps.
async fn choices(
    state: &AppState,
    lang: Lang,
    app: &str,
    process: &str,
    node: &str,
) -> Result<(Vec<Choice>, Vec<Choice>, Vec<Choice>), PageError> {
    let tag = lang.tag();
    let apps = state
        .runtime
        .published_apps()
        .await?
        .into_iter()
        .map(|a| Choice {
            selected: a.id.as_str() == app,
            label: serde_json::from_str::<formwork_model::Text>(&a.name)
                .map_or_else(|_| a.id.to_string(), |t| t.get(tag).to_owned()),
            value: a.id.to_string(),
        })
        .collect();
    let (mut processes, mut nodes) = (Vec::new(), Vec::new());
    if let Ok(id) = AppId::parse(app)
        && let Ok(compiled) = state.runtime.latest_app(&id).await
    {
        for p in &compiled.def.processes {
            processes.push(Choice {
                value: p.id.clone(),
                label: p.name.get(tag).to_owned(),
                selected: p.id == process,
            });
            if !process.is_empty() && p.id != process {
                continue;
            }
            for n in p.nodes.iter().filter(|n| n.kind.is_human()) {
                let label = n.name.as_ref().map_or(n.id.as_str(), |t| t.get(tag));
                nodes.push(Choice {
                    value: n.id.clone(),
                    label: label.to_owned(),
                    selected: n.id == node,
                });
            }
        }
    }
    Ok((apps, processes, nodes))
}

/// One page of the list, or why the filters name nothing (a person nobody is, a bad cursor).
async fn page_of(
    state: &AppState,
    caller: &formwork_runtime::Caller,
    request: &InstanceListRequest,
    lang: Lang,
) -> Result<(Option<InstancePage>, Option<String>), PageError> {
    let now = OffsetDateTime::now_utc();
    match state.runtime.list_instances(caller, request, now).await {
        Ok(page) => Ok((Some(page), None)),
        Err(RuntimeError::Malformed { problem }) => {
            Ok((None, Some(problem.message.get(lang.tag()).to_owned())))
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /admin/instances?status=running|stopped|overdue&app=&process=&node=&assignee=&after=`
pub(crate) async fn list(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    if !caller.user.is_admin {
        return Err(RuntimeError::Forbidden.into());
    }
    let pairs = query_pairs(query.as_deref());
    let get = |k: &str| query_value(&pairs, k).unwrap_or_default().trim().to_owned();
    let status = Some(get("status"))
        .filter(|s| STATUSES.contains(&s.as_str()))
        .unwrap_or_else(|| "running".to_owned());
    let typed_assignee = get("assignee");
    let request = InstanceListRequest {
        status: Some(status.clone()),
        app: Some(get("app")),
        process: Some(get("process")),
        node: Some(get("node")),
        assignee: Some(super::task::username(&state, &typed_assignee).await?),
        after: super::paging::Trail::from_params(&pairs).after,
        limit: Some(PAGE_SIZE),
    };
    let (page, error) = page_of(&state, &caller, &request, lang).await?;
    let filters: Vec<(&str, String)> = FILTERS.iter().map(|k| (*k, get(k))).collect();
    let with = |extra: &[(&'static str, String)]| {
        let mut all: Vec<(&str, String)> = extra.to_vec();
        all.extend(filters.iter().cloned());
        list_url(&all)
    };
    let tabs: Vec<Tab> = STATUSES
        .iter()
        .map(|key| Tab {
            key,
            label: lang.message(&format!("ui.admin.tab.{key}"), &[]),
            url: with(&[("status", (*key).to_owned())]),
            current: *key == status,
        })
        .collect();
    let (apps, processes, nodes) =
        choices(&state, lang, &get("app"), &get("process"), &get("node")).await?;
    let rows: Vec<Row> = page
        .as_ref()
        .map(|p| p.items.iter().map(|s| row(s, lang)).collect())
        .unwrap_or_default();
    // 上一页 follows the trail of earlier cursors the page's address carries.
    let trail = super::paging::Trail::from_params(&pairs);
    let mut kept: Vec<(String, String)> = vec![("status".to_owned(), status.clone())];
    kept.extend(
        filters
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| ((*k).to_owned(), v.clone())),
    );
    let links = trail.links(
        "/admin/instances",
        &kept,
        page.as_ref().and_then(|p| p.next.as_deref()),
    );
    let people = state.runtime.people().await?;
    let chrome = Chrome::new(lang, Some(&caller), uri.to_string());
    Ok(render(
        "admin_instances.html",
        &chrome,
        context! {
            nav_current => "admin",
            status => status.clone(),
            tabs => data(&tabs),
            apps => data(&apps),
            processes => data(&processes),
            nodes => data(&nodes),
            assignee => typed_assignee,
            people => data(&people),
            filtered => filters.iter().any(|(_, v)| !v.is_empty()),
            clear_url => list_url(&[("status", get("status"))]),
            rows => data(&rows),
            error,
            empty => lang.message(&empty_key(&status, filters.iter().any(|(_, v)| !v.is_empty())), &[]),
            next_url => links.next,
            first_url => links.first.or_else(|| links.prev.clone()),
            prev_url => links.prev,
        },
    ))
}

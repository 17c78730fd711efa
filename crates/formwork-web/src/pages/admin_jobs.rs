//! `/admin/jobs`: the queue of background work for admins — jobs by state, newest first, each
//! with its tries, next run, event id and last error; a dead or retrying job can be retried
//! now, one not running or done discarded.

use axum::extract::{Path, RawQuery, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_model::JobState;
use formwork_runtime::RuntimeError;
use formwork_runtime::jobs::Job;
use minijinja::context;
use serde::Serialize;
use time::OffsetDateTime;

use super::PageError;
use super::auth::PageCaller;
use super::format;
use super::input::Submitted;
use super::render::{Chrome, data, render};
use crate::AppState;
use crate::api::tasks::{query_pairs, query_value};
use crate::i18n::Lang;

const PAGE: u32 = 50;

#[derive(Serialize)]
struct JobRow {
    id: String,
    kind: String,
    kind_label: String,
    state: String,
    state_label: String,
    attempts: i32,
    run_at: String,
    created_at: String,
    event_id: String,
    last_error: Option<String>,
    record_url: Option<String>,
    can_retry: bool,
    can_discard: bool,
}

#[derive(Serialize)]
struct Tab {
    label: String,
    url: String,
    current: bool,
    key: String,
}

fn job_row(job: Job, lang: Lang) -> JobRow {
    let state = job.state;
    JobRow {
        kind_label: lang.message(&format!("ui.job.kind.{}", job.kind), &[]),
        kind: job.kind,
        state: state.as_str().to_owned(),
        state_label: state.label(lang.tag()).to_owned(),
        attempts: job.attempts,
        run_at: format::instant(job.run_at),
        created_at: format::instant(job.created_at),
        event_id: job.event_id,
        last_error: job.last_error,
        record_url: job.record_id.map(|id| format!("/records/{id}")),
        can_retry: matches!(state, JobState::Dead | JobState::Retrying),
        can_discard: matches!(
            state,
            JobState::Pending | JobState::Retrying | JobState::Dead
        ),
        id: job.id,
    }
}

fn list_url(state: Option<JobState>, extra: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if let Some(s) = state {
        pairs.push(("state", s.as_str()));
    }
    pairs.extend_from_slice(extra);
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    if query.is_empty() {
        "/admin/jobs".to_owned()
    } else {
        format!("/admin/jobs?{query}")
    }
}

pub(crate) async fn show(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let pairs = query_pairs(query.as_deref());
    let current = query_value(&pairs, "state").and_then(|s| JobState::parse(s).ok());
    let before = query_value(&pairs, "before")
        .filter(|b| !b.is_empty())
        .map(str::to_owned);
    let page = state
        .runtime
        .list_jobs(&caller, current, before, PAGE)
        .await?;
    let mut tabs = vec![Tab {
        label: lang.message("ui.jobs.all", &[]),
        url: list_url(None, &[]),
        current: current.is_none(),
        key: "all".into(),
    }];
    tabs.extend(JobState::ALL.iter().map(|s| Tab {
        label: s.label(lang.tag()).to_owned(),
        url: list_url(Some(*s), &[]),
        current: current == Some(*s),
        key: s.as_str().to_owned(),
    }));
    let message = |key: &str| {
        query_value(&pairs, key)
            .filter(|v| v.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .map(|v| lang.message(&format!("ui.jobs.{key}.{v}"), &[]))
    };
    let next_url = page
        .next
        .as_deref()
        .map(|n| list_url(current, &[("before", n)]));
    let rows: Vec<JobRow> = page.items.into_iter().map(|j| job_row(j, lang)).collect();
    let chrome = Chrome::new(lang, Some(&caller), uri.to_string());
    Ok(render(
        "admin_jobs.html",
        &chrome,
        context! {
            jobs => data(&rows),
            tabs => data(&tabs),
            state => current.map(|s| s.as_str()),
            flash => message("flash"),
            error => message("error"),
            next_url,
            nav_current => "jobs",
        },
    ))
}

/// `retry` or `discard` a job, then back to the list with a message.
pub(crate) async fn act(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path((id, action)): Path<(String, String)>,
    form: Submitted,
) -> Result<Response, PageError> {
    let back = form.get("state").and_then(|s| JobState::parse(s).ok());
    let outcome = match action.as_str() {
        "retry" => state
            .runtime
            .retry_job(&caller, &id, OffsetDateTime::now_utc())
            .await
            .map(|_| "retried"),
        "discard" => state
            .runtime
            .discard_job(&caller, &id)
            .await
            .map(|_| "discarded"),
        _ => return Err(PageError::not_found()),
    };
    let url = match outcome {
        Ok(done) => list_url(back, &[("flash", done)]),
        Err(RuntimeError::Conflict(_)) => list_url(back, &[("error", "conflict")]),
        Err(RuntimeError::NotFound(_)) => list_url(back, &[("error", "gone")]),
        Err(e) => return Err(e.into()),
    };
    Ok(Redirect::to(&url).into_response())
}

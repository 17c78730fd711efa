//! `/messages`: a person's in-app messages, newest first — what rules told them, reminders,
//! escalations, decisions and copies — each linking to its record or task; unread ones stand
//! out until "mark all read".

use axum::extract::{RawQuery, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_runtime::Notification;
use minijinja::context;
use serde::Serialize;
use serde_json::Value;

use super::PageError;
use super::auth::PageCaller;
use super::format;
use super::render::{Chrome, data, render};
use crate::AppState;
use crate::api::tasks::query_pairs;
use crate::i18n::Lang;

#[derive(Serialize)]
struct MessageRow {
    at: String,
    kind: String,
    title: String,
    body: Option<String>,
    url: Option<String>,
    unread: bool,
}

/// A text of the payload in `lang` (a `{"zh-CN": …, "en": …}` object or a plain string).
fn text(value: &Value, lang: Lang) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => map
            .get(lang.tag())
            .or_else(|| map.get("zh-CN"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    }
}

fn row(n: Notification, lang: Lang) -> MessageRow {
    let p = &n.payload;
    let node = text(&p["node_name"], lang).or_else(|| p["node"].as_str().map(str::to_owned));
    let (title, body) = match n.kind.as_str() {
        "rule" => (
            text(&p["title"], lang).unwrap_or_default(),
            text(&p["message"], lang),
        ),
        kind => (
            lang.message(
                &format!("ui.messages.kind.{kind}"),
                &[("step", node.as_deref().unwrap_or(""))],
            ),
            None,
        ),
    };
    let url = p["task_id"]
        .as_str()
        .filter(|_| matches!(n.kind.as_str(), "task" | "reminder" | "escalation"))
        .map(|id| format!("/tasks/{id}"))
        .or_else(|| p["record_id"].as_str().map(|id| format!("/records/{id}")));
    MessageRow {
        at: format::instant(n.created_at),
        kind: n.kind,
        title,
        body,
        url,
        unread: n.read_at.is_none(),
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
    let trail = super::paging::Trail::from_params(&pairs);
    let page = state
        .runtime
        .notifications(&caller, trail.after.as_deref(), Some(50))
        .await?;
    let links = trail.links("/messages", &[], page.next.as_deref());
    let rows: Vec<MessageRow> = page.items.into_iter().map(|n| row(n, lang)).collect();
    let chrome = Chrome::new(lang, Some(&caller), uri.to_string());
    Ok(render(
        "messages.html",
        &chrome,
        context! {
            messages => data(&rows),
            unread => page.unread,
            next_url => links.next,
            prev_url => links.prev,
            nav_current => "messages",
        },
    ))
}

pub(crate) async fn mark_all_read(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
) -> Result<Response, PageError> {
    state.runtime.mark_notifications_read(&caller, &[]).await?;
    Ok(Redirect::to("/messages").into_response())
}

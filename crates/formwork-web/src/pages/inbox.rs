//! `/inbox`: a person's work, in four boxes — 待办 (open tasks), 我发起的 (records they
//! submitted), 抄送我的 (copies) and 已办 (tasks they decided) — each a keyset-paged list
//! (「下一页」 follows the runtime's `next` cursor, 「上一页」 the trail of earlier ones; nothing
//! is counted but the capped open-task badge). The to-do box is ordered by arrival or by
//! deadline (overdue first), both in the store's SQL.
//! The to-do box approves several tasks at once (`POST /inbox/batch`, a plain form post), and
//! shows how each one went.

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use formwork_model::{InstanceStatus, TaskAction, TaskId, TaskStatus};
use formwork_runtime::Instance;
use formwork_runtime::{Caller, InboxBox, InboxItem, InboxOrder, MAX_BATCH, RuntimeError};
use minijinja::context;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use super::PageError;
use super::auth::PageCaller;
use super::format;
use super::input::Submitted;
use super::paging::Trail;
use super::render::{Chrome, data, render};
use super::timeline::{step_name, task_action};
use crate::AppState;
use crate::i18n::Lang;

const PAGE_SIZE: u32 = 20;

/// Task actions the inbox confirms after a task page (`?done=<task id>`).
const CONFIRMED: &[&str] = &[
    "approve",
    "reject",
    "return",
    "return_to_submitter",
    "transfer",
    "add_signer",
    "submit",
    "withdraw",
];

#[derive(Serialize)]
struct Tab {
    key: &'static str,
    label: String,
    url: String,
    current: bool,
    badge: Option<String>,
}

/// One row of a box.
#[derive(Serialize, Default)]
struct Item {
    task_id: Option<String>,
    /// Whether 批量同意 may take it: an approval step, never a fill or revise step.
    batchable: bool,
    /// The key fields the process shows in the inbox, as (label, value).
    columns: Vec<(String, String)>,
    url: String,
    number: String,
    title: String,
    process: String,
    submitter: String,
    /// The step the task is at (to-do, done), or where the record waits now.
    step: String,
    /// When the task arrived, the copy came, or the process last moved.
    at: String,
    due: Option<String>,
    overdue: bool,
    status: String,
    status_key: String,
    /// Done box: what the caller did.
    action: String,
    decided_at: String,
}

/// How one task of a batch went.
#[derive(Serialize)]
struct BatchResult {
    number: String,
    step: String,
    url: Option<String>,
    ok: bool,
    message: String,
}

/// What one rendering of the inbox shows besides the box.
#[derive(Default)]
struct Extras {
    /// The to-do box by deadline, overdue first (else newest arrival first).
    by_due: bool,
    flash: Option<String>,
    error: Option<String>,
    batch: Option<Vec<BatchResult>>,
    comment: String,
}

fn box_key(which: InboxBox) -> &'static str {
    match which {
        InboxBox::Todo => "todo",
        InboxBox::Submitted => "submitted",
        InboxBox::Cc => "cc",
        InboxBox::Done => "done",
    }
}

fn query_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn url(which: InboxBox, after: Option<&str>) -> String {
    let mut pairs = vec![("box", box_key(which))];
    if let Some(after) = after {
        pairs.push(("after", after));
    }
    format!(
        "/inbox?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    )
}

/// What a box's page links keep: the box, and the to-do box's order when by deadline.
fn kept(which: InboxBox, by_due: bool) -> Vec<(String, String)> {
    let mut pairs = vec![("box".to_owned(), box_key(which).to_owned())];
    if by_due {
        pairs.push(("sort".to_owned(), "due".to_owned()));
    }
    pairs
}

/// The steps a running instance waits at, named in `lang` (「销售总监审批、华东区负责人审批」).
async fn current_steps(state: &AppState, instance: &Instance, lang: Lang) -> String {
    if instance.status != InstanceStatus::Running {
        return String::new();
    }
    let app = match state
        .runtime
        .app_version(&instance.app_id, instance.app_version)
        .await
    {
        Ok(app) => app,
        Err(e) => {
            tracing::warn!(instance = %instance.id, error = %e, "current step left out");
            return String::new();
        }
    };
    let Ok(process) = app.process(&instance.process_id) else {
        return String::new();
    };
    // The engine's state lists one token per position it waits at; the node names come from
    // the compiled process of the instance's own version, which is cached.
    let mut names: Vec<String> = Vec::new();
    let tokens = instance.state.get("tokens").and_then(Value::as_array);
    for node_id in tokens
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("node").and_then(Value::as_str))
    {
        let node = process.node(node_id);
        let name = node
            .and_then(|n| n.name.as_ref())
            .map_or_else(|| node_id.to_owned(), |n| n.get(lang.tag()).to_owned());
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(if lang == Lang::ZhCn { "、" } else { ", " })
}

async fn item(
    state: &AppState,
    which: InboxBox,
    i: InboxItem,
    lang: Lang,
    now: OffsetDateTime,
) -> Item {
    let tag = lang.tag();
    let record_url = format!("/records/{}", i.record.id);
    let mut out = Item {
        number: i
            .record
            .number
            .clone()
            .unwrap_or_else(|| i.record.id.to_string()),
        title: i.title.clone().unwrap_or_default(),
        process: i.process_name.get(tag).to_owned(),
        submitter: i
            .submitter
            .as_ref()
            .map(|u| u.display_name.clone())
            .unwrap_or_default(),
        step: i
            .node
            .as_ref()
            .map(|n| step_name(n, lang))
            .unwrap_or_default(),
        status: format::status(lang, i.record.status),
        status_key: i.record.status.to_string(),
        url: record_url,
        ..Item::default()
    };
    match which {
        InboxBox::Todo | InboxBox::Done => {
            if let Some(task) = &i.task {
                out.url = format!("/tasks/{}", task.id);
                out.task_id = Some(task.id.to_string());
                out.batchable = task.kind == formwork_model::TaskKind::Step
                    && i.node.as_ref().is_some_and(|n| n.kind == "approval");
                out.at = format::instant(task.created_at);
                out.due = task.due_at.map(format::instant);
                out.overdue =
                    task.status == TaskStatus::Open && task.due_at.is_some_and(|d| d < now);
                out.action = task_action(lang, task.action.map(TaskAction::as_str));
                out.decided_at = task.decided_at.map(format::instant).unwrap_or_default();
                out.columns = key_fields(state, &i, &task.node_id, lang).await;
            }
        }
        InboxBox::Submitted => {
            out.step = current_steps(state, &i.instance, lang).await;
            out.at = format::instant(i.instance.updated_at);
        }
        InboxBox::Cc => {
            out.step = current_steps(state, &i.instance, lang).await;
            out.at = i
                .notification
                .as_ref()
                .map(|n| format::instant(n.created_at))
                .unwrap_or_default();
        }
    }
    out
}

/// The fields the task's process names as inbox columns, as the task's step shows them
/// (hidden ones left out); nothing when the app version cannot be read.
async fn key_fields(
    state: &AppState,
    i: &InboxItem,
    node_id: &str,
    lang: Lang,
) -> Vec<(String, String)> {
    let Ok(app) = state
        .runtime
        .app_version(&i.instance.app_id, i.instance.app_version)
        .await
    else {
        return Vec::new();
    };
    let (Ok(process), Ok(form)) = (
        app.process(&i.instance.process_id),
        app.form(&i.record.form_id),
    ) else {
        return Vec::new();
    };
    let node = process.node(node_id);
    let (desc, _) = super::fields::FormDesc::of(form, lang);
    process
        .def()
        .inbox_columns
        .iter()
        .filter(|key| {
            node.and_then(|n| formwork_runtime::field_access(n, key))
                != Some(formwork_runtime::FieldAccess::Hidden)
        })
        .filter_map(|key| {
            let label = desc.field(key)?.label.clone();
            // A change request is decided on its proposed values.
            let proposed = i.instance.proposed_changes.as_ref();
            let value = proposed
                .and_then(|c| c.get(key.as_str()))
                .or_else(|| i.record.data.get(key.as_str()))?;
            let shown = super::record_view::shown_value(form, &desc, key, value, lang);
            Some((label, shown))
        })
        .collect()
}

/// The open-task badge: counted from the page itself when the first to-do page is the whole
/// box, else the capped count the home page shows.
async fn todo_badge(
    state: &AppState,
    caller: &Caller,
    which: InboxBox,
    first_page_all: Option<usize>,
) -> Option<String> {
    let n = match (which, first_page_all) {
        (InboxBox::Todo, Some(n)) => n,
        _ => super::home::open_tasks(state, caller).await?.len(),
    };
    (n > 0).then(|| format::count(n))
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    here: String,
    which: InboxBox,
    trail: &Trail,
    extras: Extras,
    status: StatusCode,
) -> Result<Response, PageError> {
    let now = OffsetDateTime::now_utc();
    let by_due = extras.by_due && which == InboxBox::Todo;
    let order = if by_due {
        InboxOrder::Deadline
    } else {
        InboxOrder::Arrival
    };
    let after = trail.after.as_deref();
    let listed = state
        .runtime
        .inbox_in_order(caller, which, order, after, Some(PAGE_SIZE))
        .await?;
    let links = trail.links("/inbox", &kept(which, by_due), listed.next.as_deref());
    let whole = (after.is_none() && listed.next.is_none()).then_some(listed.items.len());
    let mut items = Vec::with_capacity(listed.items.len());
    for i in listed.items {
        items.push(item(state, which, i, lang, now).await);
    }
    let badge = todo_badge(state, caller, which, whole).await;
    let tabs: Vec<Tab> = [
        InboxBox::Todo,
        InboxBox::Submitted,
        InboxBox::Cc,
        InboxBox::Done,
    ]
    .into_iter()
    .map(|b| Tab {
        key: box_key(b),
        label: lang.message(&format!("ui.inbox.tab.{}", box_key(b)), &[]),
        url: url(b, None),
        current: b == which,
        badge: (b == InboxBox::Todo).then(|| badge.clone()).flatten(),
    })
    .collect();
    let key = box_key(which);
    let chrome = Chrome::new(lang, Some(caller), here);
    let mut response = render(
        "inbox.html",
        &chrome,
        context! {
            nav_current => "inbox",
            nav_tasks => badge,
            tabs => data(&tabs),
            box_key => key,
            box_label => lang.message(&format!("ui.inbox.tab.{key}"), &[]),
            empty => lang.message(&format!("ui.inbox.empty.{key}"), &[]),
            items => data(&items),
            next_url => links.next,
            prev_url => links.prev,
            first_url => links.first,
            todo_url => url(InboxBox::Todo, None),
            flash => extras.flash,
            error => extras.error,
            batch => extras.batch.as_ref().map(data),
            batch_ok => extras.batch.as_ref().map(|b| b.iter().filter(|r| r.ok).count()),
            batch_failed => extras.batch.as_ref().map(|b| b.iter().filter(|r| !r.ok).count()),
            comment => extras.comment,
            max_batch => MAX_BATCH,
            by_due,
        },
    );
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /inbox?box=todo|submitted|cc|done&after=…`; `done=<task id>` confirms what the task
/// page just did (read from the task itself, so a link cannot make the page say anything else).
pub(crate) async fn show(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or_default()).unwrap_or_default();
    let which = query_value(&pairs, "box")
        .and_then(InboxBox::parse)
        .unwrap_or(InboxBox::Todo);
    let flash = match query_value(&pairs, "done").and_then(|t| t.parse::<TaskId>().ok()) {
        Some(task_id) => confirmation(&state, &caller, &task_id, lang).await,
        None => None,
    };
    page(
        &state,
        &caller,
        lang,
        uri.to_string(),
        which,
        &Trail::from_params(&pairs),
        Extras {
            flash,
            by_due: query_value(&pairs, "sort") == Some("due"),
            ..Extras::default()
        },
        StatusCode::OK,
    )
    .await
}

/// 「已同意 PRJ-2026-00001」 for a task of the caller's that is closed by their action.
async fn confirmation(
    state: &AppState,
    caller: &Caller,
    task_id: &TaskId,
    lang: Lang,
) -> Option<String> {
    let detail = state.runtime.task_detail(caller, task_id).await.ok()?;
    let action = detail.task.action.map(TaskAction::as_str)?;
    if detail.task.status != TaskStatus::Done || !CONFIRMED.contains(&action) {
        return None;
    }
    let number = detail
        .record
        .number
        .clone()
        .unwrap_or_else(|| detail.record.id.to_string());
    Some(lang.message(&format!("ui.inbox.flash.{action}"), &[("number", &number)]))
}

/// Why one decision did not land, for people.
pub(crate) fn failure(lang: Lang, e: &RuntimeError) -> String {
    match e {
        RuntimeError::StateConflict { code, .. } => lang.message(code, &[]),
        RuntimeError::Conflict(_) | RuntimeError::Stale(_) => lang.message("ui.task.conflict", &[]),
        RuntimeError::NotFound(_) => lang.message("not_found", &[]),
        RuntimeError::Forbidden => lang.message("forbidden", &[]),
        RuntimeError::Invalid { problems } => problems
            .first()
            .map(|p| p.message.get(lang.tag()).to_owned())
            .unwrap_or_else(|| lang.message("invalid", &[])),
        other => {
            tracing::error!(error = %other, "a decision failed");
            lang.message("internal", &[("request_id", "-")])
        }
    }
}

/// `POST /inbox/batch`: approves the ticked tasks (`task`, repeated) with one optional
/// `comment`, each on its own; the page says how each went.
/// The tasks ticked on the page, each once, in order.
fn chosen_tasks(submitted: &Submitted) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for id in submitted.all("task") {
        let id = id.trim();
        if !id.is_empty() && !ids.iter().any(|i| i == id) {
            ids.push(id.to_owned());
        }
    }
    ids
}

/// How one task of a batch went, named by its record's number and step as its page shows it
/// (decided now, or not); a task that is not the caller's stays nameless.
async fn batch_result(
    state: &AppState,
    caller: &Caller,
    id: &str,
    outcome: &Result<formwork_runtime::Decided, RuntimeError>,
    lang: Lang,
) -> BatchResult {
    let detail = match id.parse() {
        Ok(task) => state.runtime.task_detail(caller, &task).await.ok(),
        Err(_) => None,
    };
    BatchResult {
        number: detail
            .as_ref()
            .and_then(|d| d.record.number.clone())
            .unwrap_or_else(|| id.to_owned()),
        step: detail
            .as_ref()
            .map(|d| step_name(&d.node, lang))
            .unwrap_or_default(),
        url: detail.as_ref().map(|_| format!("/tasks/{id}")),
        ok: outcome.is_ok(),
        message: match outcome {
            Ok(_) => lang.message("ui.inbox.batch.ok", &[]),
            Err(e) => failure(lang, e),
        },
    }
}

pub(crate) async fn batch(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    submitted: Submitted,
) -> Result<Response, PageError> {
    let ids = chosen_tasks(&submitted);
    let comment = submitted.get("comment").unwrap_or_default().to_owned();
    let here = url(InboxBox::Todo, None);
    let mut extras = Extras {
        comment: comment.clone(),
        ..Extras::default()
    };
    let request = formwork_runtime::DecideRequest {
        action: "approve".to_owned(),
        comment: Some(comment),
        ..Default::default()
    };
    let items: Vec<(String, formwork_runtime::DecideRequest)> =
        ids.iter().map(|id| (id.clone(), request.clone())).collect();
    // A request the runtime refuses as a whole re-renders the to-do box with the reason.
    let decided = if ids.is_empty() {
        Err(lang.message("ui.inbox.batch.none_selected", &[]))
    } else {
        match state
            .runtime
            .batch_decide(&caller, &items, OffsetDateTime::now_utc())
            .await
        {
            Ok(outcomes) => Ok(outcomes),
            Err(e @ RuntimeError::Invalid { .. }) => Err(failure(lang, &e)),
            Err(e) => return Err(e.into()),
        }
    };
    let outcomes = match decided {
        Ok(outcomes) => outcomes,
        Err(message) => {
            extras.error = Some(message);
            return page(
                &state,
                &caller,
                lang,
                here,
                InboxBox::Todo,
                &Trail::default(),
                extras,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let mut results = Vec::with_capacity(ids.len());
    for (id, outcome) in ids.iter().zip(outcomes) {
        results.push(batch_result(&state, &caller, id, &outcome, lang).await);
    }
    extras.comment = String::new();
    extras.batch = Some(results);
    page(
        &state,
        &caller,
        lang,
        here,
        InboxBox::Todo,
        &Trail::default(),
        extras,
        StatusCode::OK,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_urls_carry_the_cursor() {
        assert_eq!(url(InboxBox::Todo, None), "/inbox?box=todo");
        assert_eq!(
            url(InboxBox::Done, Some("01a2-x&y")),
            "/inbox?box=done&after=01a2-x%26y"
        );
    }

    #[test]
    fn every_box_and_confirmation_has_its_texts() {
        for lang in [Lang::ZhCn, Lang::En] {
            let internal = lang.message("internal", &[]);
            let keys = ["todo", "submitted", "cc", "done"]
                .iter()
                .flat_map(|b| [format!("ui.inbox.tab.{b}"), format!("ui.inbox.empty.{b}")])
                .chain(CONFIRMED.iter().map(|a| format!("ui.inbox.flash.{a}")))
                .chain(["open", "done", "cancelled"].map(|s| format!("ui.task.status.{s}")));
            for key in keys {
                assert_ne!(lang.message(&key, &[]), internal, "{key}");
            }
        }
    }
}

//! `/admin/instances/{id}`: one process instance for an admin — where it waits (or why it
//! stopped), its open tasks, the timeline, and what an admin may do: 改派 a task to someone
//! else (a searchable people picker by name), 重试 the step it stopped at, 移至 another step,
//! or 终止 it with a reason, the record becoming 未通过 or 已撤回. Every action posts back here;
//! success goes on (303) to the page with a confirmation, a refusal re-renders it with the
//! reason and what was typed (409 when the process moved on meanwhile, 422 otherwise).

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_model::{InstanceId, TaskId};
use formwork_runtime::{Caller, InstanceDetail, RuntimeError};
use minijinja::context;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::PageError;
use super::admin_instances::stop_reason;
use super::auth::PageCaller;
use super::format;
use super::inbox::failure;
use super::input::Submitted;
use super::render::{Chrome, data, render};
use super::timeline::{TimelineView, step_name};
use crate::AppState;
use crate::i18n::Lang;
use crate::ids::named;

/// The operations the page offers, as its buttons name them.
const ACTIONS: &[&str] = &["cancel", "retry", "move", "reassign"];

#[derive(Serialize)]
struct OpenTask {
    id: String,
    step: String,
    who: String,
    arrived: String,
    due: Option<String>,
    overdue: bool,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// What the admin sent, kept when the page comes back with a refusal.
#[derive(Default, Serialize)]
struct Draft {
    action: String,
    reason: String,
    outcome: String,
    to: String,
    comment: String,
    task: String,
}

/// The confirmation of what just landed, and its colour.
#[derive(Serialize)]
struct Flash {
    text: String,
    /// `success`, or `warn` when it did not get the process going.
    tone: &'static str,
}

#[derive(Deserialize)]
pub(crate) struct Shown {
    done: Option<String>,
}

/// The instance's open tasks as the page lists them.
fn open_tasks(s: &formwork_runtime::InstanceSummary, lang: Lang) -> Vec<OpenTask> {
    s.open_tasks
        .iter()
        .map(|t| OpenTask {
            id: t.task.id.to_string(),
            step: step_name(&t.node, lang),
            who: t
                .assignee
                .as_ref()
                .map_or_else(|| "—".to_owned(), |u| u.display_name.clone()),
            arrived: format::instant(t.task.created_at),
            due: t.task.due_at.map(format::instant),
            overdue: t.overdue,
        })
        .collect()
}

/// The steps the instance may be moved to, the one chosen before a refusal selected.
fn move_targets(detail: &InstanceDetail, draft: &Draft, lang: Lang) -> Vec<Choice> {
    detail
        .move_targets
        .iter()
        .map(|n| Choice {
            value: n.id.clone(),
            label: step_name(n, lang),
            selected: draft.action == "move" && draft.to == n.id,
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    here: String,
    detail: InstanceDetail,
    draft: Draft,
    message: Option<String>,
    flash: Option<Flash>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let now = OffsetDateTime::now_utc();
    let tag = lang.tag();
    let s = &detail.summary;
    let running = s.instance.status.as_str() == "running";
    let stopped = s.stopped.as_ref().map(|(node, why)| {
        context! {
            step => step_name(node, lang),
            reason => stop_reason(lang, why),
        }
    });
    let open = open_tasks(s, lang);
    let targets = move_targets(&detail, &draft, lang);
    let live = running || stopped.is_some();
    let people = if running && !open.is_empty() {
        state.runtime.people().await?
    } else {
        Vec::new()
    };
    // A form without numbering is named by its title alone.
    let number = s.record.number.clone();
    let name = number
        .clone()
        .or_else(|| s.title.clone())
        .unwrap_or_else(|| s.record.id.to_string());
    let timeline = TimelineView::new(&detail.timeline, lang, now);
    let chrome = Chrome::new(lang, Some(caller), here);
    let mut response = render(
        "admin_instance.html",
        &chrome,
        context! {
            nav_current => "admin",
            id => s.instance.id.to_string(),
            number,
            title => s.title.clone(),
            name,
            app_name => s.app_name.get(tag).to_owned(),
            process_name => s.process_name.get(tag).to_owned(),
            status => format::status(lang, s.instance.status),
            status_key => s.instance.status.as_str(),
            submitter => s.submitter.as_ref().map(|u| u.display_name.clone()),
            started => format::instant(s.instance.created_at),
            updated => format::instant(s.instance.updated_at),
            record_url => format!("/records/{}", s.record.id),
            list_url => if stopped.is_some() { "/admin/instances?status=stopped" } else { "/admin/instances" },
            stopped,
            running,
            live,
            open => data(&open),
            targets => data(&targets),
            people => data(&people),
            timeline => data(&timeline),
            draft => data(&draft),
            message,
            flash => data(&flash),
        },
    );
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /admin/instances/{id}` (`?done=<action>` confirms what just landed).
pub(crate) async fn show(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    Query(shown): Query<Shown>,
) -> Result<Response, PageError> {
    let id: InstanceId = named(&id)?;
    let detail = state
        .runtime
        .instance_detail(&caller, &id, OffsetDateTime::now_utc())
        .await?;
    // A retry that stopped again says so rather than "done".
    let stopped_again = detail.summary.stopped.is_some();
    let flash = shown
        .done
        .filter(|d| ACTIONS.contains(&d.as_str()))
        .map(|d| match d.as_str() {
            "retry" if stopped_again => Flash {
                text: lang.message("ui.admin.done.retry_stopped", &[]),
                tone: "warn",
            },
            _ => Flash {
                text: lang.message(&format!("ui.admin.done.{d}"), &[]),
                tone: "success",
            },
        });
    let here = uri.to_string();
    page(
        &state,
        &caller,
        lang,
        here,
        detail,
        Draft::default(),
        None,
        flash,
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/instances/{id}`: `action` = `cancel` (`reason`, `outcome`), `retry`,
/// `move` (`to`, a step id) or `reassign` (`task`, `to` a username or exact name); each with
/// an optional `comment`.
pub(crate) async fn act(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    submitted: Submitted,
) -> Result<Response, PageError> {
    let id: InstanceId = named(&id)?;
    let get = |name: &str| submitted.get(name).unwrap_or_default().trim().to_owned();
    let draft = Draft {
        action: get("action"),
        reason: get("reason"),
        outcome: get("outcome"),
        to: get("to"),
        comment: get("comment"),
        task: get("task"),
    };
    let now = OffsetDateTime::now_utc();
    let comment = Some(draft.comment.as_str()).filter(|c| !c.is_empty());
    let runtime = &state.runtime;
    let outcome = match draft.action.as_str() {
        "cancel" => runtime
            .cancel_instance(&caller, &id, &draft.reason, &draft.outcome, now)
            .await
            .map(drop),
        "retry" => runtime
            .retry_instance(&caller, &id, comment, now)
            .await
            .map(drop),
        "move" => runtime
            .move_instance(&caller, &id, &draft.to, comment, now)
            .await
            .map(drop),
        "reassign" => {
            let task: TaskId = named(&draft.task)?;
            let to = super::task::username(&state, &draft.to).await?;
            runtime
                .reassign_task(&caller, &task, &to, comment, now)
                .await
                .map(drop)
        }
        _ => return Err(PageError::status(StatusCode::BAD_REQUEST, "bad_request")),
    };
    let here = format!("/admin/instances/{id}");
    let error = match outcome {
        Ok(()) => {
            let query =
                serde_urlencoded::to_string([("done", draft.action.as_str())]).unwrap_or_default();
            return Ok(Redirect::to(&format!("{here}?{query}")).into_response());
        }
        Err(e) => e,
    };
    let status = match &error {
        RuntimeError::Conflict(_) | RuntimeError::StateConflict { .. } | RuntimeError::Stale(_) => {
            StatusCode::CONFLICT
        }
        RuntimeError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        _ => return Err(error.into()),
    };
    let message = Some(failure(lang, &error));
    let detail = runtime.instance_detail(&caller, &id, now).await?;
    page(
        &state, &caller, lang, here, detail, draft, message, None, status,
    )
    .await
}

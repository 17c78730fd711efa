//! `/records/{id}`: a record as people read it — number, status, fields, attachments as
//! download links — with its comments (and a form to add one), its change history with field
//! diffs, and its approval timeline when it runs a process.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_forms::CompiledForm;
use formwork_model::RecordStatus;
use formwork_runtime::Record;
use formwork_runtime::{Caller, HistoryEntry, RuntimeError, may_edit};
use minijinja::context;
use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::PageError;
use super::auth::PageCaller;
use super::fields::{FormDesc, Shown};
use super::format;
use super::input::Submitted;
use super::render::{Chrome, data, render};
use super::timeline::TimelineView;
use crate::AppState;
use crate::i18n::Lang;
use crate::ids::named;
use formwork_model::RecordId;

#[derive(Serialize)]
struct Change {
    label: String,
    from: String,
    to: String,
}

#[derive(Serialize)]
struct HistoryView {
    at: String,
    actor: String,
    action: String,
    changes: Vec<Change>,
}

#[derive(Serialize)]
struct CommentView {
    author: String,
    at: String,
    body: String,
}

/// The value of one field for people, in `lang` (`（空）` when empty).
pub(crate) fn shown_value(
    form: &CompiledForm,
    desc: &FormDesc,
    key: &str,
    value: &Value,
    lang: Lang,
) -> String {
    let order: Vec<&str> = desc
        .field(key)
        .map(|f| f.columns.iter().map(|c| c.key.as_str()).collect())
        .unwrap_or_default();
    let text = if value.is_null() {
        String::new()
    } else {
        form.project_for_display(&json!({ key: value }))
            .into_iter()
            .find(|d| d.key == key)
            .map(|d| {
                if d.rows.is_empty() {
                    return d.value.get(lang.tag()).to_owned();
                }
                // A sub-table reads row by row: 「需求确认 / 2026-12-15；上线」.
                d.rows
                    .iter()
                    .map(|cells| {
                        let mut cells: Vec<_> = cells.iter().collect();
                        cells.sort_by_key(|c| {
                            order.iter().position(|k| *k == c.key).unwrap_or(usize::MAX)
                        });
                        cells
                            .iter()
                            .map(|c| c.value.get(lang.tag()))
                            .filter(|v| !v.is_empty())
                            .collect::<Vec<_>>()
                            .join(" / ")
                    })
                    .collect::<Vec<_>>()
                    .join(if lang == Lang::ZhCn { "；" } else { "; " })
            })
            .unwrap_or_else(|| match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
    };
    if text.is_empty() {
        lang.message("ui.empty_value", &[])
    } else {
        text
    }
}

fn history_view(
    form: &CompiledForm,
    desc: &FormDesc,
    entry: HistoryEntry,
    lang: Lang,
) -> HistoryView {
    let action = match entry.action.as_str() {
        "record.create" if entry.status.as_deref() == Some("draft") => {
            lang.message("ui.history.draft", &[])
        }
        "record.create" => lang.message("ui.history.create", &[]),
        "record.submit" => lang.message("ui.history.submit", &[]),
        // A process step that only moved the status (withdrawn, approved…).
        "record.update" if entry.changes.is_empty() && entry.status.is_some() => lang.message(
            "ui.history.status",
            &[(
                "status",
                &format::status(lang, entry.status.as_deref().unwrap_or_default()),
            )],
        ),
        "record.update" => lang.message("ui.history.update", &[]),
        "record.delete" => lang.message("ui.history.delete", &[]),
        // An admin's operation on the record's process (`processes::admin` in the runtime).
        op @ ("process.cancel" | "process.retry" | "process.move" | "task.reassign"
        | "task.delegate") => lang.message(&format!("ui.history.{op}"), &[]),
        "rule.run" => lang.message("ui.history.rule_run", &[]),
        "record.change_request" => lang.message("ui.history.change_request", &[]),
        "record.resubmit" => lang.message("ui.history.resubmit", &[]),
        other => other.to_owned(),
    };
    let changes = entry
        .changes
        .iter()
        .map(|c| Change {
            label: desc
                .field(&c.key)
                .map_or_else(|| c.key.clone(), |f| f.label.clone()),
            from: shown_value(form, desc, &c.key, &c.from, lang),
            to: shown_value(form, desc, &c.key, &c.to, lang),
        })
        .collect();
    HistoryView {
        at: format::instant(entry.at),
        actor: entry.actor.unwrap_or_else(|| "system".to_owned()),
        action,
        changes,
    }
}

fn fields_of(form: &CompiledForm, desc: &FormDesc, record: &Record, lang: Lang) -> Vec<Shown> {
    form.project_for_display(&record.data)
        .iter()
        .map(|d| Shown::new(d, desc, record.id.as_str(), lang))
        .collect()
}

async fn timeline(
    state: &AppState,
    caller: &Caller,
    record: &Record,
    lang: Lang,
) -> Result<Option<TimelineView>, PageError> {
    let found = match state.runtime.record_timeline(caller, &record.id).await {
        Ok(t) => t,
        // The timeline is an extra: a process store that cannot answer leaves it out.
        Err(RuntimeError::Internal(e)) => {
            tracing::warn!(error = %e, "approval timeline left out");
            None
        }
        Err(e) => return Err(e.into()),
    };
    Ok(found.map(|t| TimelineView::new(&t, lang, OffsetDateTime::now_utc())))
}

/// A record's header: number, status, owner, dates, version and revision.
fn record_summary(record: &Record, owner: String, lang: Lang) -> minijinja::Value {
    context! {
        id => record.id.to_string(),
        number => record.number.clone().unwrap_or_default(),
        status => format::status(lang, record.status),
        status_key => record.status.as_str(),
        owner,
        created => format::instant(record.created_at),
        updated => format::instant(record.updated_at),
        version => record.app_version,
        rev => record.rev,
    }
}

/// The record's comments, oldest first.
async fn comment_views(
    state: &AppState,
    caller: &Caller,
    id: &RecordId,
) -> Result<Vec<CommentView>, PageError> {
    Ok(state
        .runtime
        .comments(caller, id)
        .await?
        .into_iter()
        .map(|c| CommentView {
            author: c.author,
            at: format::instant(c.comment.created_at),
            body: c.comment.body,
        })
        .collect())
}

async fn page(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    here: String,
    id: &RecordId,
    comment_draft: Option<(String, String)>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let record = state.runtime.read_record(caller, id).await?;
    let form = state.runtime.record_form(&record).await?;
    let readable = formwork_runtime::readable_fields(caller, form.def());
    let (desc, _) = FormDesc::of_fields(&form, lang, &readable);
    let shown: Vec<Shown> = fields_of(&form, &desc, &record, lang)
        .into_iter()
        .filter(|s| readable.contains(&s.key))
        .collect();
    let comments = comment_views(state, caller, id).await?;
    let history: Vec<HistoryView> = state
        .runtime
        .history(caller, id)
        .await?
        .into_iter()
        .map(|h| history_view(&form, &desc, h, lang))
        .collect();
    let timeline = timeline(state, caller, &record, lang).await?;
    let rule_runs = super::rule_runs::rows(state, caller, id, lang).await?;
    let (client_thread, client_files) = client_side(state, caller, id).await?;
    let owner = state
        .runtime
        .display_names(&[&record.owner_id])
        .await?
        .remove(&record.owner_id)
        .unwrap_or_default();
    let app = state
        .runtime
        .app_version(&record.app_id, record.app_version)
        .await?;
    let tag = lang.tag();
    let form_name = form.def().name.get(tag).to_owned();
    let (comment_body, comment_error) = comment_draft.unzip();
    let chrome = Chrome::new(lang, Some(caller), here);
    let failed = comment_error.is_some() || notice.is_some();
    let in_review = record.status == RecordStatus::InReview;
    let mine = record.owner_id == caller.user.id;
    let can_withdraw = in_review && mine;
    let pending = state.runtime.pending_change(&record).await?;
    let pending_rows: Vec<Change> = pending
        .as_ref()
        .and_then(|p| p.changes.as_object())
        .map(|changes| {
            changes
                .iter()
                .map(|(key, to)| Change {
                    label: desc
                        .field(key)
                        .map_or_else(|| key.clone(), |f| f.label.clone()),
                    from: shown_value(
                        &form,
                        &desc,
                        key,
                        record.data.get(key).unwrap_or(&Value::Null),
                        lang,
                    ),
                    to: shown_value(&form, &desc, key, to, lang),
                })
                .collect()
        })
        .unwrap_or_default();
    let takes_changes = form
        .def()
        .after_approval
        .as_ref()
        .is_some_and(|a| a.changes == formwork_model::ChangePolicy::ChangeRequest);
    let change_url =
        (mine && takes_changes && pending.is_none() && record.status == RecordStatus::Approved)
            .then(|| format!("/records/{}/change", record.id));
    // A record is called by its title field (the project's name), its number beside it.
    let title = form
        .fields()
        .iter()
        .find(|f| matches!(f.kind, formwork_forms::FieldKind::Text))
        .and_then(|f| record.data.get(&f.key))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let returned = record.status == RecordStatus::Returned;
    // The whole form (attachments, sub-table rows), not only the revise step's fields.
    let revise_url = mine.then(|| format!("/records/{}/revise", record.id));
    let reason = timeline.as_ref().and_then(|t| t.reason.clone());
    let resubmit_url = (mine && record.status == RecordStatus::Withdrawn)
        .then(|| format!("/records/{}/resubmit", record.id));
    let mut response = render(
        "record_view.html",
        &chrome,
        context! {
            record => record_summary(&record, owner, lang),
            app_name => app.def.name.get(tag).to_owned(),
            app_url => format!("/apps/{}", record.app_id),
            form_name,
            list_url => format!("/apps/{}/forms/{}/records", record.app_id, record.form_id),
            fields => data(&shown),
            comments => data(&comments),
            history => data(&history),
            timeline => timeline.as_ref().map(data),
            rule_runs => data(&rule_runs),
            client_thread => data(&client_thread),
            client_files => data(&client_files),
            edit_url => may_edit(caller, form.def(), &record).then(|| format!("/records/{}/edit", record.id)),
            comment_body,
            comment_error,
            notice,
            in_review,
            withdraw_url => can_withdraw.then(|| format!("/records/{}/withdraw", record.id)),
            change_url,
            title,
            pending_change => (!pending_rows.is_empty()).then(|| data(&pending_rows)),
            returned,
            revise_url => if returned { revise_url } else { None },
            reason => if returned { reason.as_ref().map(data) } else { None },
            resubmit_url,
            locked => record.status.is_result() && !caller.user.is_admin,
        },
    );
    if failed {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// `GET /records/{id}`
pub(crate) async fn show(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: RecordId = named(&id)?;
    // Clients follow their records in the portal; this page is the team's.
    if state.runtime.is_client(&caller).await? {
        return Ok(Redirect::to(&format!("/portal/records/{id}")).into_response());
    }
    page(&state, &caller, lang, uri.to_string(), &id, None, None).await
}

/// `POST /records/{id}/thread`: the team writes to the record's client.
pub(crate) async fn reply_to_client(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    submitted: Submitted,
) -> Result<Response, PageError> {
    let back = "/records/{id}#client-thread";
    super::portal::thread_post(&state, &caller, &id, submitted.get("body"), back).await
}

/// `POST /records/{id}/share`: shares a file with the record's client, or stops.
pub(crate) async fn share(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    submitted: Submitted,
) -> Result<Response, PageError> {
    let id: RecordId = named(&id)?;
    let file: formwork_model::FileId = named(submitted.get("file").unwrap_or_default())?;
    let shared = submitted.get("shared") == Some("1");
    state
        .runtime
        .share_file(&caller, &id, &file, shared)
        .await?;
    Ok(Redirect::to(&format!("/records/{id}#client-thread")).into_response())
}

#[derive(Serialize)]
struct ClientFile {
    id: String,
    name: String,
    shared: bool,
}

#[derive(Serialize)]
struct ClientMessage {
    author: String,
    at: String,
    body: String,
    from_client: bool,
}

/// The record's thread with its client and its files as shared or not, for the team.
async fn client_side(
    state: &AppState,
    caller: &Caller,
    id: &RecordId,
) -> Result<(Vec<ClientMessage>, Vec<ClientFile>), PageError> {
    let thread = state
        .runtime
        .thread(caller, id)
        .await?
        .into_iter()
        .map(|e| ClientMessage {
            author: e.author,
            at: format::instant(e.message.created_at),
            body: e.message.body,
            from_client: e.from_client,
        })
        .collect();
    let files = state
        .runtime
        .files_for_sharing(caller, id)
        .await?
        .into_iter()
        .map(|(a, shared)| ClientFile {
            id: a.id.to_string(),
            name: a.filename,
            shared,
        })
        .collect();
    Ok((thread, files))
}

/// `POST /records/{id}/comments`
pub(crate) async fn comment(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    submitted: Submitted,
) -> Result<Response, PageError> {
    let id: RecordId = named(&id)?;
    let body = submitted.get("body").unwrap_or_default().to_owned();
    match state.runtime.add_comment(&caller, &id, &body).await {
        Ok(_) => Ok(Redirect::to(&format!("/records/{id}#comments")).into_response()),
        Err(RuntimeError::Invalid { problems }) => {
            let message = problems
                .first()
                .map(|p| p.message.get(lang.tag()).to_owned())
                .unwrap_or_default();
            page(
                &state,
                &caller,
                lang,
                format!("/records/{id}"),
                &id,
                Some((body, message)),
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /records/{id}/resubmit`: the submitter sends a withdrawn record into approval again
/// (validated under the app's latest version).
pub(crate) async fn resubmit(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: RecordId = named(&id)?;
    let now = OffsetDateTime::now_utc();
    let result = state
        .runtime
        .resubmit_record(&caller, &id, None, None, now)
        .await;
    back_to_record(
        &state,
        &caller,
        lang,
        &id,
        result.map(drop),
        "ui.resubmit_failed",
    )
    .await
}

/// `POST /records/{id}/withdraw`: the submitter takes the record back from its approval
/// (until the first decision), so it can be edited again.
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: RecordId = named(&id)?;
    let now = OffsetDateTime::now_utc();
    let result = state.runtime.withdraw_record(&caller, &id, None, now).await;
    back_to_record(
        &state,
        &caller,
        lang,
        &id,
        result.map(drop),
        "ui.withdraw_failed",
    )
    .await
}

/// The record's page after an action on it: a redirect to it when the action was done, else
/// the page with the `failed` notice and why (every problem, or the refusal's words).
async fn back_to_record(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    id: &RecordId,
    result: Result<(), RuntimeError>,
    failed: &str,
) -> Result<Response, PageError> {
    let reason = match result {
        Ok(()) => return Ok(Redirect::to(&format!("/records/{id}")).into_response()),
        Err(RuntimeError::Invalid { problems }) => problems
            .iter()
            .map(|p| p.message.get(lang.tag()).to_owned())
            .collect::<Vec<_>>()
            .join("；"),
        Err(RuntimeError::StateConflict { code, .. }) => lang.message(code, &[]),
        Err(RuntimeError::Conflict(_) | RuntimeError::Stale(_)) => lang.message("conflict", &[]),
        Err(e) => return Err(e.into()),
    };
    let notice = lang.message(failed, &[("reason", &reason)]);
    let here = format!("/records/{id}");
    page(state, caller, lang, here, id, None, Some(notice)).await
}

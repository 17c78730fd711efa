//! `/records/{id}`: a record as people read it — number, status, fields, attachments as
//! download links — with its comments (and a form to add one), its change history with field
//! diffs, and its approval timeline when it runs a process.

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_forms::CompiledForm;
use formwork_runtime::{Caller, HistoryEntry, RuntimeError, may_edit};
use formwork_store::Record;
use minijinja::context;
use serde::Serialize;
use serde_json::{Value, json};

use super::PageError;
use super::auth::PageCaller;
use super::fields::{FileView, FormDesc};
use super::format;
use super::input::Submitted;
use super::render::{Chrome, data, render};
use crate::AppState;
use crate::i18n::Lang;

#[derive(Serialize)]
struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

#[derive(Serialize)]
struct Shown {
    key: String,
    label: String,
    value: String,
    /// Sanitised HTML (rich text); everything else is escaped.
    rich: bool,
    removed: bool,
    files: Vec<FileView>,
    table: Option<Table>,
}

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

#[derive(Serialize)]
struct TimelineRow {
    at: String,
    actor: String,
    step: String,
    action: String,
    comment: Option<String>,
}

#[derive(Serialize)]
struct Timeline {
    status: String,
    rows: Vec<TimelineRow>,
    waiting: Vec<String>,
}

/// The value of one field for people, in `lang` (`（空）` when empty).
fn shown_value(form: &CompiledForm, key: &str, value: &Value, lang: Lang) -> String {
    let text = if value.is_null() {
        String::new()
    } else {
        form.project_for_display(&json!({ key: value }))
            .into_iter()
            .find(|d| d.key == key)
            .map(|d| d.value.get(lang.tag()).to_owned())
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

fn history_view(form: &CompiledForm, desc: &FormDesc, entry: HistoryEntry, lang: Lang) -> HistoryView {
    let action = match entry.action.as_str() {
        "record.create" => lang.message("ui.history.create", &[]),
        "record.update" => lang.message("ui.history.update", &[]),
        "record.delete" => lang.message("ui.history.delete", &[]),
        other => other.to_owned(),
    };
    let changes = entry
        .changes
        .iter()
        .map(|c| Change {
            label: desc
                .field(&c.key)
                .map_or_else(|| c.key.clone(), |f| f.label.clone()),
            from: shown_value(form, &c.key, &c.from, lang),
            to: shown_value(form, &c.key, &c.to, lang),
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
    let tag = lang.tag();
    form.project_for_display(&record.data)
        .into_iter()
        .map(|d| {
            let files = match (d.kind.as_str(), &d.raw) {
                ("attachments", Value::Array(items)) => items
                    .iter()
                    .filter_map(|f| {
                        let id = f.get("id")?.as_str()?.to_owned();
                        Some(FileView {
                            url: format!("/api/v1/records/{}/files/{id}", record.id),
                            name: f.get("name").and_then(Value::as_str).unwrap_or("file").to_owned(),
                            size: f.get("size").and_then(Value::as_i64).map(format::size).unwrap_or_default(),
                            id,
                        })
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let table = (d.kind == "sub_table").then(|| {
                let columns: Vec<(String, String)> = desc
                    .field(&d.key)
                    .map(|f| f.columns.iter().map(|c| (c.key.clone(), c.label.clone())).collect())
                    .unwrap_or_default();
                Table {
                    rows: d
                        .rows
                        .iter()
                        .map(|cells| {
                            columns
                                .iter()
                                .map(|(key, _)| {
                                    cells
                                        .iter()
                                        .find(|c| c.key == *key)
                                        .map(|c| c.value.get(tag).to_owned())
                                        .unwrap_or_default()
                                })
                                .collect()
                        })
                        .collect(),
                    columns: columns.into_iter().map(|(_, label)| label).collect(),
                }
            });
            Shown {
                label: d.label.get(tag).to_owned(),
                value: d.value.get(tag).to_owned(),
                rich: d.kind == "rich_text",
                removed: d.removed,
                key: d.key,
                files,
                table,
            }
        })
        .collect()
}

async fn timeline(
    state: &AppState,
    caller: &Caller,
    record: &Record,
    lang: Lang,
) -> Result<Option<Timeline>, PageError> {
    let found = match state.runtime.approval_timeline(caller, &record.id).await {
        Ok(t) => t,
        // Processes are optional here: a store that cannot answer leaves the section out.
        Err(RuntimeError::Internal(e)) => {
            tracing::warn!(error = %e, "approval timeline left out");
            None
        }
        Err(e) => return Err(e.into()),
    };
    let Some(t) = found else { return Ok(None) };
    let app = state.runtime.app_version(&t.instance.app_id, t.instance.app_version).await?;
    let tag = lang.tag();
    let step_name = |node: &str| {
        app.def
            .processes
            .iter()
            .find(|p| p.id == t.instance.process_id)
            .and_then(|p| p.node(node))
            .and_then(|n| n.name.as_ref())
            .map_or_else(|| node.to_owned(), |n| n.get(tag).to_owned())
    };
    let name = |id: &str| t.names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let rows = t
        .rows
        .iter()
        .map(|r| TimelineRow {
            at: format::instant(r.at),
            actor: r.actor.as_deref().map(name).unwrap_or_default(),
            step: r.node_id.as_deref().map(step_name).unwrap_or_default(),
            action: action_label(lang, &r.action),
            comment: r.comment.clone().filter(|c| !c.is_empty()),
        })
        .collect();
    let waiting = t
        .tasks
        .iter()
        .filter(|task| task.status == "open")
        .map(|task| format!("{}（{}）", step_name(&task.node_id), name(&task.assignee_id)))
        .collect();
    Ok(Some(Timeline {
        status: format::status(lang, &t.instance.status),
        rows,
        waiting,
    }))
}

fn action_label(lang: Lang, action: &str) -> String {
    const KNOWN: &[&str] = &[
        "start", "submit", "approve", "reject", "return", "transfer", "add_signer", "withdraw",
        "resubmit", "cc", "remind", "escalate", "end",
    ];
    if KNOWN.contains(&action) {
        lang.message(&format!("action.{action}"), &[])
    } else {
        action.to_owned()
    }
}

async fn page(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    here: String,
    id: &str,
    comment_draft: Option<(String, String)>,
) -> Result<Response, PageError> {
    let record = state.runtime.read_record(caller, id).await?;
    let form = state.runtime.record_form(&record).await?;
    let (desc, _) = FormDesc::of(&form, lang);
    let shown = fields_of(&form, &desc, &record, lang);
    let comments: Vec<CommentView> = state
        .runtime
        .comments(caller, id)
        .await?
        .into_iter()
        .map(|c| CommentView {
            author: c.author,
            at: format::instant(c.comment.created_at),
            body: c.comment.body,
        })
        .collect();
    let history: Vec<HistoryView> = state
        .runtime
        .history(caller, id)
        .await?
        .into_iter()
        .map(|h| history_view(&form, &desc, h, lang))
        .collect();
    let timeline = timeline(state, caller, &record, lang).await?;
    let owner = state
        .runtime
        .display_names(&[record.owner_id.as_str()])
        .await?
        .remove(&record.owner_id)
        .unwrap_or_default();
    let app = state.runtime.app_version(&record.app_id, record.app_version).await?;
    let tag = lang.tag();
    let form_name = form.def().name.get(tag).to_owned();
    let (comment_body, comment_error) = comment_draft.unzip();
    let chrome = Chrome::new(lang, Some(caller), here);
    let failed = comment_error.is_some();
    let mut response = render(
        "record_view.html",
        &chrome,
        context! {
            record => context! {
                id => record.id.clone(),
                number => record.number.clone().unwrap_or_default(),
                status => format::status(lang, &record.status),
                status_key => record.status.clone(),
                owner,
                created => format::instant(record.created_at),
                updated => format::instant(record.updated_at),
                version => record.app_version,
                rev => record.rev,
            },
            app_name => app.def.name.get(tag).to_owned(),
            app_url => format!("/apps/{}", record.app_id),
            form_name,
            list_url => format!("/apps/{}/forms/{}/records", record.app_id, record.form_id),
            fields => data(&shown),
            comments => data(&comments),
            history => data(&history),
            timeline => timeline.as_ref().map(data),
            edit_url => may_edit(caller, form.def(), &record).then(|| format!("/records/{}/edit", record.id)),
            comment_body,
            comment_error,
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
    page(&state, &caller, lang, uri.to_string(), &id, None).await
}

/// `POST /records/{id}/comments`
pub(crate) async fn comment(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    submitted: Submitted,
) -> Result<Response, PageError> {
    let body = submitted.get("body").unwrap_or_default().to_owned();
    match state.runtime.add_comment(&caller, &id, &body).await {
        Ok(_) => Ok(Redirect::to(&format!("/records/{id}#comments")).into_response()),
        Err(RuntimeError::Invalid { problems }) => {
            let message = problems
                .first()
                .map(|p| p.message.get(lang.tag()).to_owned())
                .unwrap_or_default();
            page(&state, &caller, lang, format!("/records/{id}"), &id, Some((body, message))).await
        }
        Err(e) => Err(e.into()),
    }
}

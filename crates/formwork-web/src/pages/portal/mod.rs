//! The client portal, `/portal`: phone-first pages in their own frame for client contacts —
//! their customer's records, and one record with its progress, milestones, shared files, the
//! thread with the team, and their feedback and change requests. Everything is read through
//! the runtime with the client's row scope and field permissions; a record they may not read
//! is a 404 here as everywhere.

use axum::extract::{Path, RawQuery, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Redirect, Response};
use formwork_runtime::{
    PortalRecord, PortalSection, Record, RuntimeError, StepState, readable_fields, rows_of,
};
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
use crate::ids::named;
use formwork_model::{FileId, RecordId};

pub(crate) mod request;

#[derive(Serialize)]
struct Row {
    url: String,
    number: String,
    title: String,
    status: String,
    status_key: String,
    updated: String,
}

#[derive(Serialize)]
struct Section {
    app: String,
    form: String,
    form_id: String,
    rows: Vec<Row>,
}

/// What a record is called in a list: its `title` or `name` field, else its number.
pub(crate) fn title_of(record: &Record) -> String {
    ["title", "name", "project_name"]
        .iter()
        .find_map(|k| record.data.get(*k).and_then(|v| v.as_str()))
        .map(str::to_owned)
        .or_else(|| record.number.clone())
        .unwrap_or_default()
}

fn row(record: &Record, lang: Lang) -> Row {
    Row {
        url: format!("/portal/records/{}", record.id),
        number: record.number.clone().unwrap_or_default(),
        title: title_of(record),
        status: format::status(lang, record.status),
        status_key: record.status.to_string(),
        updated: format::instant(record.updated_at),
    }
}

fn section(s: &PortalSection, lang: Lang) -> Section {
    Section {
        app: s.app_name.get(lang.tag()).to_owned(),
        form: s.form_name.get(lang.tag()).to_owned(),
        form_id: s.form_id.clone(),
        rows: s.records.iter().map(|r| row(r, lang)).collect(),
    }
}

/// `GET /portal`
pub(crate) async fn home(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
) -> Result<Response, PageError> {
    let sections: Vec<Section> = state
        .runtime
        .portal_sections(&caller)
        .await?
        .iter()
        .map(|s| section(s, lang))
        .collect();
    let customer = state
        .runtime
        .linked_customer(&caller.user.id)
        .await?
        .map(|c| c.name);
    let chrome = Chrome::new(lang, Some(&caller), uri.to_string());
    Ok(render(
        "portal_home.html",
        &chrome,
        context! { sections => data(&sections), customer },
    ))
}

#[derive(Serialize)]
struct FieldRow {
    label: String,
    value: String,
}

#[derive(Serialize)]
struct Step {
    name: String,
    state: &'static str,
    label: String,
    at: Option<String>,
}

#[derive(Serialize)]
struct Milestone {
    title: String,
    due: String,
    past: bool,
}

#[derive(Serialize)]
struct FileRow {
    name: String,
    size: String,
    url: String,
}

#[derive(Serialize)]
struct Message {
    author: String,
    at: String,
    body: String,
    mine: bool,
    from_client: bool,
}

#[derive(Serialize)]
struct Requests {
    form_id: String,
    name: String,
    new_url: Option<String>,
    rows: Vec<Row>,
}

/// The plain fields of a record the caller may read (sub-tables and files have their own
/// sections).
fn plain_fields(p: &PortalRecord, caller: &formwork_runtime::Caller, lang: Lang) -> Vec<FieldRow> {
    let readable = readable_fields(caller, p.form.def());
    p.form
        .project_for_display(&p.record.data)
        .into_iter()
        .filter(|d| readable.contains(&d.key))
        .filter(|d| !matches!(d.kind.as_str(), "sub_table" | "attachments" | "relation"))
        .filter(|d| !d.value.get(lang.tag()).is_empty())
        .map(|d| FieldRow {
            label: d.label.get(lang.tag()).to_owned(),
            value: d.value.get(lang.tag()).to_owned(),
        })
        .collect()
}

fn steps(p: &PortalRecord, lang: Lang) -> Vec<Step> {
    p.progress
        .iter()
        .map(|s| {
            let state = match s.state {
                StepState::Done => "done",
                StepState::Current => "current",
                StepState::Ahead => "ahead",
            };
            Step {
                name: s.name.get(lang.tag()).to_owned(),
                state,
                label: lang.message(&format!("ui.portal.step.{state}"), &[]),
                at: s.at.map(format::instant),
            }
        })
        .collect()
}

fn milestones(record: &Record, today: time::Date) -> Vec<Milestone> {
    let mut out: Vec<Milestone> = rows_of(record, "milestones")
        .iter()
        .map(|m| {
            let due = m["due_date"].as_str().unwrap_or_default().to_owned();
            let past =
                time::Date::parse(&due, &time::format_description::well_known::Iso8601::DATE)
                    .is_ok_and(|d| d < today);
            Milestone {
                title: m["title"].as_str().unwrap_or_default().to_owned(),
                due,
                past,
            }
        })
        .collect();
    out.sort_by(|a, b| a.due.cmp(&b.due));
    out
}

/// `GET /portal/records/{id}`
pub(crate) async fn show(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let id: RecordId = named(&id)?;
    let p = state.runtime.portal_record(&caller, &id).await?;
    let pairs = query_pairs(query.as_deref());
    let notice = query_value(&pairs, "done")
        .map(|what| lang.message(&format!("ui.portal.done.{what}"), &[]));
    let today = OffsetDateTime::now_utc()
        .to_offset(format::beijing())
        .date();
    let files: Vec<FileRow> = p
        .files
        .iter()
        .map(|a| FileRow {
            name: a.filename.clone(),
            size: format::size(a.size),
            url: format!("/portal/records/{id}/files/{}", a.id),
        })
        .collect();
    let thread: Vec<Message> = p
        .thread
        .iter()
        .map(|e| Message {
            author: e.author.clone(),
            at: format::instant(e.message.created_at),
            body: e.message.body.clone(),
            mine: e.message.author_id == caller.user.id,
            from_client: e.from_client,
        })
        .collect();
    let requests: Vec<Requests> = p
        .requests
        .iter()
        .map(|r| Requests {
            form_id: r.form_id.clone(),
            name: r.name.get(lang.tag()).to_owned(),
            new_url: r
                .may_create
                .then(|| format!("/portal/records/{id}/new/{}", r.form_id)),
            rows: r.records.iter().map(|x| row(x, lang)).collect(),
        })
        .collect();
    let chrome = Chrome::new(lang, Some(&caller), uri.to_string());
    Ok(render(
        "portal_record.html",
        &chrome,
        context! {
            record => data(&row(&p.record, lang)),
            app => p.app_name.get(lang.tag()).to_owned(),
            form => p.form.def().name.get(lang.tag()).to_owned(),
            fields => data(&plain_fields(&p, &caller, lang)),
            steps => data(&steps(&p, lang)),
            milestones => data(&milestones(&p.record, today)),
            files => data(&files),
            thread => data(&thread),
            requests => data(&requests),
            notice,
            base => format!("/portal/records/{id}"),
        },
    ))
}

/// `POST /portal/records/{id}/messages`
pub(crate) async fn post_message(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    form: Submitted,
) -> Result<Response, PageError> {
    thread_post(
        &state,
        &caller,
        &id,
        form.get("body"),
        "/portal/records/{id}#thread",
    )
    .await
}

/// Adds a message to a record's thread with its client (from the portal or the team's record
/// page) and goes back to `back` with `{id}` filled in; an empty or too long message is
/// dropped, as the form's own limits say.
pub(crate) async fn thread_post(
    state: &AppState,
    caller: &formwork_runtime::Caller,
    id: &str,
    body: Option<&str>,
    back: &str,
) -> Result<Response, PageError> {
    let id: RecordId = named(id)?;
    match state
        .runtime
        .post_to_thread(caller, &id, body.unwrap_or_default())
        .await
    {
        Ok(_) | Err(RuntimeError::Invalid { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&back.replace("{id}", id.as_str())).into_response())
}

/// `POST /portal/records/{id}/files`: a client adds a file to the record.
pub(crate) async fn upload(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    form: Submitted,
) -> Result<Response, PageError> {
    let id: RecordId = named(&id)?;
    let mut added = false;
    for part in form.files.into_iter().filter(|f| !f.bytes.is_empty()) {
        state
            .runtime
            .add_client_file(
                &caller,
                &id,
                &part.filename,
                part.bytes,
                OffsetDateTime::now_utc(),
            )
            .await?;
        added = true;
    }
    let done = if added { "?done=file" } else { "" };
    Ok(Redirect::to(&format!("/portal/records/{id}{done}#files")).into_response())
}

/// `GET /portal/records/{id}/files/{file}`
pub(crate) async fn download(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let id: RecordId = named(&id)?;
    let file: FileId = named(&file)?;
    let (attachment, bytes) = state.runtime.shared_file(&caller, &id, &file).await?;
    Ok(crate::api::files::download(&attachment, bytes))
}

//! New and edit record pages. A submission comes as `multipart/form-data` (attachments ride
//! along and are uploaded first) or urlencoded; field errors re-render the form with HTTP 422,
//! the input kept and each message beside its field; success goes on (303) to the record.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_forms::CompiledForm;
use formwork_model::RecordStatus;
use formwork_runtime::{Caller, RuntimeError, file_ref, form_access, may_edit};
use formwork_runtime::{Inserted, Record};
use minijinja::context;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use super::PageError;
use super::auth::PageCaller;
use super::fields::{self, Errors, FormDesc, Mode, Pickers, Raw, ViewContext};
use super::input::Submitted;
use super::render::{Chrome, data, render};
use crate::AppState;
use crate::i18n::Lang;
use crate::ids::named;
use formwork_model::{AppId, FormId, RecordId};

/// Hidden inputs of the page itself; form fields never start with two underscores.
const IDEMPOTENCY: &str = "__idem";
pub(super) const REV: &str = "__rev";
/// The button that was pressed: `draft` for 暂存, else a submission.
pub(super) const ACTION: &str = "__action";
const KEEP_PREFIX: &str = "__keep.";

#[derive(Serialize)]
struct Crumb {
    label: String,
    url: Option<String>,
}

/// What an existing record's form page does when sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flavor {
    /// Saves the changes (`/records/{id}/edit`).
    Edit,
    /// Proposes a change (变更) of an approved record (`/records/{id}/change`).
    Change,
    /// Resubmits a returned or withdrawn record with the changes (`/records/{id}/revise`).
    Revise,
}

/// Everything one rendering of the form page needs.
pub(super) struct Screen<'a> {
    pub state: &'a AppState,
    pub caller: &'a Caller,
    pub lang: Lang,
    pub here: String,
    pub app_id: &'a AppId,
    pub form: &'a CompiledForm,
    pub desc: &'a FormDesc,
    pub rules: &'a Value,
    pub raw: &'a Raw,
    pub errors: &'a Errors,
    pub read_only: &'a [String],
    /// The record being edited, or the draft being completed (status `draft`).
    pub record: Option<&'a Record>,
    pub idempotency_key: Option<String>,
    pub banner: Option<String>,
    /// Good news above the form (a draft saved).
    pub notice: Option<String>,
    pub status: StatusCode,
    /// What saving the page does with the record.
    pub flavor: Flavor,
    /// The draft preview: its app (not published yet) and where its form posts.
    pub preview: Option<Preview<'a>>,
}

/// What a draft preview changes on the form page.
pub(super) struct Preview<'a> {
    pub app_name: &'a formwork_model::Text,
    pub action: String,
    pub notice: String,
}

pub(super) async fn show(s: Screen<'_>) -> Result<Response, PageError> {
    // User fields search people through the API; the pickers hold the chosen ones' names.
    let pickers = Pickers::for_form(s.state, s.desc).await?;
    let cx = ViewContext {
        lang: s.lang,
        errors: s.errors,
        pickers: &pickers,
        read_only: s.read_only,
        record_id: s.record.map(|r| r.id.as_str()),
    };
    let views = fields::views(s.desc, s.raw, &cx);
    let tag = s.lang.tag();
    let app_name = match &s.preview {
        Some(p) => p.app_name.get(tag).to_owned(),
        None => {
            let app = s.state.runtime.latest_app(s.app_id).await?;
            app.def.name.get(tag).to_owned()
        }
    };
    let form_name = s.form.def().name.get(tag).to_owned();
    let list_url = format!("/apps/{}/forms/{}/records", s.app_id, s.form.def().id);
    let draft = s.record.filter(|r| r.status == RecordStatus::Draft);
    let (title, action, cancel) = match s.record {
        Some(r) if draft.is_some() => (
            s.lang.message("ui.continue_draft", &[("form", &form_name)]),
            format!("/drafts/{}", r.id),
            "/drafts".to_owned(),
        ),
        Some(r) => {
            let number = r.number.clone().unwrap_or_else(|| r.id.to_string());
            let (title, verb) = match s.flavor {
                Flavor::Edit => ("ui.edit_record", "edit"),
                Flavor::Change => ("ui.change_record", "change"),
                Flavor::Revise => ("ui.revise_record", "revise"),
            };
            (
                s.lang.message(title, &[("number", &number)]),
                format!("/records/{}/{verb}", r.id),
                format!("/records/{}", r.id),
            )
        }
        None => (
            s.lang.message("ui.new_record", &[("form", &form_name)]),
            format!("/apps/{}/forms/{}/new", s.app_id, s.form.def().id),
            format!("/apps/{}", s.app_id),
        ),
    };
    let mut crumbs = vec![
        Crumb {
            label: s.lang.message("ui.home", &[]),
            url: Some("/".to_owned()),
        },
        Crumb {
            label: app_name.clone(),
            url: Some(format!("/apps/{}", s.app_id)),
        },
    ];
    // An app often has one form of the same name; naming it twice reads like a stutter.
    if form_name != app_name {
        crumbs.push(Crumb {
            label: form_name.clone(),
            url: Some(list_url),
        });
    }
    if let Some(r) = s.record.filter(|_| draft.is_none()) {
        crumbs.push(Crumb {
            label: r.number.clone().unwrap_or_else(|| r.id.to_string()),
            url: Some(format!("/records/{}", r.id)),
        });
    }
    let previewing = s.preview.is_some();
    let (action, preview_notice) = match s.preview {
        Some(p) => (p.action, Some(p.notice)),
        None => (action, None),
    };
    let chrome = Chrome::new(s.lang, Some(s.caller), s.here);
    let mut response = render(
        "record_form.html",
        &chrome,
        context! {
            title,
            form_name,
            crumbs => data(&crumbs),
            action,
            cancel,
            fields => data(&views),
            summary => data(&s.errors.summary),
            banner => s.banner,
            notice => s.notice,
            bare => previewing,
            preview_notice,
            rules => data(s.rules),
            rev => s.record.map(|r| r.rev),
            idem => s.idempotency_key,
            editing => s.record.is_some() && draft.is_none(),
            draftable => !previewing && (s.record.is_none() || draft.is_some()),
            saved_at => draft.map(|d| super::format::instant(d.updated_at)),
            change => s.flavor == Flavor::Change,
            revise => s.flavor == Flavor::Revise,
        },
    );
    *response.status_mut() = s.status;
    Ok(response)
}

/// The form the caller may create records of, or 403/404 as the records API answers.
pub(super) async fn creatable(
    state: &AppState,
    caller: &Caller,
    app_id: &AppId,
    form_id: &FormId,
) -> Result<std::sync::Arc<CompiledForm>, PageError> {
    let app = state.runtime.latest_app(app_id).await?;
    let form = app.form(form_id)?.clone();
    let access = form_access(caller, form.def());
    if !access.may_create {
        return Err(if access.list_scope.is_some() {
            PageError::status(StatusCode::FORBIDDEN, "forbidden")
        } else {
            PageError::not_found()
        });
    }
    Ok(form)
}

/// `GET /apps/{app}/forms/{form}/new`
pub(crate) async fn new_form(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path((app_id, form_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let app_id: AppId = named(&app_id)?;
    let form_id: FormId = named(&form_id)?;
    let form = creatable(&state, &caller, &app_id, &form_id).await?;
    let (desc, rules) = writable_desc(&form, &caller, lang);
    show(Screen {
        state: &state,
        caller: &caller,
        lang,
        here: uri.to_string(),
        app_id: &app_id,
        form: &form,
        desc: &desc,
        rules: &rules,
        raw: &Raw::new(),
        errors: &Errors::default(),
        read_only: &[],
        record: None,
        idempotency_key: Some(uuid::Uuid::new_v4().to_string()),
        banner: None,
        notice: None,
        status: StatusCode::OK,
        flavor: Flavor::Edit,
        preview: None,
    })
    .await
}

/// The file references of each attachment field: the ones kept (`__keep.<key>`; on the record
/// already, or the caller's own uploads) and the ones uploaded with this submission. Upload
/// refusals become field errors.
pub(super) async fn attachments(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    desc: &FormDesc,
    submitted: &Submitted,
    previous: Option<&Record>,
    errors: &mut Errors,
) -> Result<HashMap<String, Vec<Value>>, PageError> {
    let mut files: HashMap<String, Vec<Value>> = HashMap::new();
    for field in desc.fields.iter().filter(|f| f.kind == "attachments") {
        let on_record: Vec<Value> = previous
            .and_then(|r| r.data.get(&field.key))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut refs = Vec::new();
        for id in submitted.all(&format!("{KEEP_PREFIX}{}", field.key)) {
            if let Some(existing) = on_record
                .iter()
                .find(|f| f.get("id").and_then(Value::as_str) == Some(id))
            {
                refs.push(existing.clone());
            } else if let Some(own) = match id.parse() {
                Ok(id) => state.runtime.own_attachment(caller, &id).await.ok(),
                Err(_) => None,
            } {
                refs.push(file_ref(&own));
            }
        }
        for part in submitted.files.iter().filter(|p| p.field == field.key) {
            match state
                .runtime
                .upload_file(
                    caller,
                    &part.filename,
                    part.bytes.clone(),
                    OffsetDateTime::now_utc(),
                )
                .await
            {
                Ok(attachment) => refs.push(file_ref(&attachment)),
                Err(RuntimeError::Invalid { problems }) => {
                    for p in problems {
                        errors.add(
                            &field.key,
                            format!("{}：{}", part.filename, p.message.get(lang.tag())),
                        );
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        files.insert(field.key.clone(), refs);
    }
    Ok(files)
}

/// `POST /apps/{app}/forms/{form}/new`
pub(crate) async fn create(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path((app_id, form_id)): Path<(String, String)>,
    submitted: Submitted,
) -> Result<Response, PageError> {
    let app_id: AppId = named(&app_id)?;
    let form_id: FormId = named(&form_id)?;
    let form = creatable(&state, &caller, &app_id, &form_id).await?;
    let (desc, rules) = writable_desc(&form, &caller, lang);
    let mut errors = Errors::default();
    let files = attachments(&state, &caller, lang, &desc, &submitted, None, &mut errors).await?;
    let raw = fields::raw_from_pairs(&desc, &submitted.pairs, &files);
    let mut key = submitted
        .get(IDEMPOTENCY)
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .map(str::to_owned);
    let mut banner = None;
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if errors.is_empty() && submitted.get(ACTION) == Some("draft") {
        let input = fields::to_input(&desc, &raw, &Mode::Create);
        let now = OffsetDateTime::now_utc();
        match state
            .runtime
            .create_draft(&caller, &app_id, &form_id, &input, now)
            .await
        {
            Ok(d) => return Ok(Redirect::to(&format!("/drafts/{}?saved=1", d.id)).into_response()),
            Err(RuntimeError::Invalid { problems }) => {
                errors = Errors::place(&desc, &problems, lang);
            }
            Err(e) => return Err(e.into()),
        }
    } else if errors.is_empty() {
        let input = fields::to_input(&desc, &raw, &Mode::Create);
        match state
            .runtime
            .submit_record(
                &caller,
                &app_id,
                &form_id,
                &input,
                key.clone(),
                OffsetDateTime::now_utc(),
            )
            .await
        {
            Ok(Inserted::New(r) | Inserted::Replayed(r)) => {
                return Ok(Redirect::to(&format!("/records/{}", r.id)).into_response());
            }
            Err(RuntimeError::Invalid { problems }) => {
                errors = Errors::place(&desc, &problems, lang);
            }
            Err(RuntimeError::Conflict(_)) => {
                // The page was submitted before with other data (back button): a new key.
                key = None;
                banner = Some(lang.message("ui.resubmitted", &[]));
                status = StatusCode::CONFLICT;
            }
            Err(e) => return Err(e.into()),
        }
    }
    show(Screen {
        state: &state,
        caller: &caller,
        lang,
        here: uri.to_string(),
        app_id: &app_id,
        form: &form,
        desc: &desc,
        rules: &rules,
        raw: &raw,
        errors: &errors,
        read_only: &[],
        record: None,
        idempotency_key: Some(key.unwrap_or_else(|| uuid::Uuid::new_v4().to_string())),
        banner,
        notice: None,
        status,
        flavor: Flavor::Edit,
        preview: None,
    })
    .await
}

/// A record the caller may edit, with its form.
pub(super) async fn editable(
    state: &AppState,
    caller: &Caller,
    id: &RecordId,
) -> Result<(Record, std::sync::Arc<CompiledForm>), PageError> {
    let record = state.runtime.read_record(caller, id).await?;
    let form = state.runtime.record_form(&record).await?;
    if !may_edit(caller, form.def(), &record) {
        return Err(match record.status {
            RecordStatus::InReview => PageError::status(StatusCode::CONFLICT, "record_in_review"),
            RecordStatus::Returned => PageError::status(StatusCode::CONFLICT, "record_returned"),
            s if s.is_result() => PageError::status(StatusCode::CONFLICT, "record_locked"),
            _ => PageError::status(StatusCode::FORBIDDEN, "forbidden"),
        });
    }
    Ok((record, form))
}

/// The form as the caller fills it in: only the fields they may write, and its rules.
pub(super) fn writable_desc(form: &CompiledForm, caller: &Caller, lang: Lang) -> (FormDesc, Value) {
    let writable = formwork_runtime::writable_fields(caller, form.def());
    FormDesc::of_fields(form, lang, &writable)
}

/// The revision the page was loaded with (its `__rev`), or 400.
pub(super) fn posted_rev(submitted: &Submitted) -> Result<i64, PageError> {
    submitted
        .get(REV)
        .and_then(|r| r.trim().parse().ok())
        .ok_or_else(|| PageError::status(StatusCode::BAD_REQUEST, "bad_request"))
}

/// What an edit, change or revision page sent over a stored record.
pub(super) struct Posted {
    /// The form as the caller may write it, and its rules.
    pub desc: FormDesc,
    pub rules: Value,
    /// The record's values as the form shows them.
    pub stored: Raw,
    /// The fields the page shows but does not send.
    pub skip: Vec<String>,
    /// The values sent, attachments uploaded first.
    pub raw: Raw,
    /// Problems found so far (an upload that failed).
    pub errors: Errors,
}

/// Reads what the page sent over `record`, uploading its attachments.
pub(super) async fn posted(
    state: &AppState,
    (caller, lang): (&Caller, Lang),
    form: &CompiledForm,
    record: &Record,
    submitted: &Submitted,
) -> Result<Posted, PageError> {
    let (desc, rules) = writable_desc(form, caller, lang);
    let stored = fields::raw_from_stored(&desc, &record.data);
    let skip = not_sent(&desc, &stored);
    let mut errors = Errors::default();
    let previous = Some(record);
    let files = attachments(state, caller, lang, &desc, submitted, previous, &mut errors).await?;
    let raw = fields::raw_from_pairs(&desc, &submitted.pairs, &files);
    Ok(Posted {
        desc,
        rules,
        stored,
        skip,
        raw,
        errors,
    })
}

/// Fields the edit page shows but does not send: computed, auto-numbered, read-only by rule.
pub(super) fn not_sent(desc: &FormDesc, stored: &Raw) -> Vec<String> {
    let mut keys = fields::read_only_fields(desc, stored);
    keys.extend(
        desc.fields
            .iter()
            .filter(|f| f.server_set)
            .map(|f| f.key.clone()),
    );
    keys
}

/// `GET /records/{id}/edit`
pub(crate) async fn edit_form(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    super::record_rework::form_page(state, lang, uri, caller, id, Flavor::Edit).await
}

/// `POST /records/{id}/edit`: changes the record if `__rev` is still current.
pub(crate) async fn update(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    submitted: Submitted,
) -> Result<Response, PageError> {
    let id: RecordId = named(&id)?;
    let (record, form) = editable(&state, &caller, &id).await?;
    let rev = posted_rev(&submitted)?;
    let Posted {
        desc,
        rules,
        stored,
        skip,
        mut raw,
        mut errors,
    } = posted(&state, (&caller, lang), &form, &record, &submitted).await?;
    for key in &skip {
        match stored.get(key) {
            Some(v) => raw.insert(key.clone(), v.clone()),
            None => raw.remove(key),
        };
    }
    let mut banner = None;
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if errors.is_empty() {
        let input = fields::to_input(&desc, &raw, &Mode::Edit { skip: &skip });
        match state
            .runtime
            .update_record(&caller, &id, rev, &input, OffsetDateTime::now_utc())
            .await
        {
            Ok(updated) => {
                return Ok(Redirect::to(&format!("/records/{}", updated.id)).into_response());
            }
            Err(RuntimeError::Invalid { problems }) => {
                errors = Errors::place(&desc, &problems, lang);
            }
            // A form post carries no If-Match: the page's revision is simply out of date.
            Err(RuntimeError::Stale(_)) => {
                banner = Some(lang.message("ui.stale_record", &[]));
                status = StatusCode::CONFLICT;
            }
            Err(e) => return Err(e.into()),
        }
    }
    // The form keeps the revision it was loaded with: a stale page stays stale until reloaded.
    let shown = Record { rev, ..record };
    show(Screen {
        state: &state,
        caller: &caller,
        lang,
        here: uri.to_string(),
        app_id: &shown.app_id,
        form: &form,
        desc: &desc,
        rules: &rules,
        raw: &raw,
        errors: &errors,
        read_only: &skip,
        record: Some(&shown),
        idempotency_key: None,
        banner,
        notice: None,
        status,
        flavor: Flavor::Edit,
        preview: None,
    })
    .await
}

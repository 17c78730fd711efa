//! A client's feedback or change request on a record, `/portal/records/{id}/new/{form}`: the
//! request form's fields the client may write, less the relation to the record and what it
//! fills in (the server copies those from the record). Submitting starts the request's own
//! process: it goes to the record's owner, who accepts or declines it.

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_forms::CompiledForm;
use formwork_forms::kind::FieldKind;
use formwork_runtime::{Caller, RuntimeError, file_ref, relation_to, writable_fields};
use minijinja::context;
use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::super::PageError;
use super::super::auth::PageCaller;
use super::super::fields::FormDesc;
use super::super::input::Submitted;
use super::super::render::{Chrome, data, render};
use crate::AppState;
use crate::i18n::Lang;
use crate::ids::named;
use formwork_model::{FormId, RecordId};

/// Kinds a request form offers as inputs on the portal.
const OFFERED: &[&str] = &["text", "textarea", "select", "radio", "date", "attachments"];

#[derive(Serialize)]
struct Input {
    key: String,
    label: String,
    help: Option<String>,
    kind: String,
    required: bool,
    value: String,
    options: Vec<(String, String)>,
}

/// The fields a client fills in on the portal: writable, of an offered kind, and neither the
/// relation to the record nor a field it fills.
fn offered(form: &CompiledForm, caller: &Caller, relation: &str) -> BTreeSet<String> {
    let filled: BTreeSet<&str> = form
        .fields()
        .iter()
        .filter_map(|f| match &f.kind {
            FieldKind::Relation(rel) => Some(rel.fills.keys().map(String::as_str)),
            _ => None,
        })
        .flatten()
        .collect();
    writable_fields(caller, form.def())
        .into_iter()
        .filter(|k| k != relation && !filled.contains(k.as_str()))
        .collect()
}

struct Target {
    record: RecordId,
    form_id: FormId,
    form: std::sync::Arc<CompiledForm>,
    relation: String,
}

async fn target(
    state: &AppState,
    caller: &Caller,
    id: &str,
    form: &str,
) -> Result<Target, PageError> {
    let id: RecordId = named(id)?;
    let form_id: FormId = named(form)?;
    let record = state.runtime.read_record(caller, &id).await?;
    let app = state.runtime.latest_app(&record.app_id).await?;
    let compiled = app.form(&form_id)?.clone();
    let relation =
        relation_to(&compiled, record.form_id.as_str()).ok_or_else(PageError::not_found)?;
    if !formwork_runtime::form_access(caller, compiled.def()).may_create {
        return Err(PageError::not_found());
    }
    Ok(Target {
        record: id,
        form_id,
        form: compiled,
        relation,
    })
}

fn inputs(t: &Target, caller: &Caller, lang: Lang, sent: Option<&Submitted>) -> Vec<Input> {
    let keep = offered(&t.form, caller, &t.relation);
    let (desc, _) = FormDesc::of_fields(&t.form, lang, &keep);
    desc.fields
        .iter()
        .filter(|f| OFFERED.contains(&f.kind.as_str()) && !f.server_set)
        .map(|f| Input {
            key: f.key.clone(),
            label: f.label.clone(),
            help: f.help.clone(),
            kind: f.kind.clone(),
            required: f.required,
            value: sent
                .and_then(|s| s.get(&f.key))
                .unwrap_or_default()
                .to_owned(),
            options: f
                .options
                .iter()
                .map(|o| {
                    let v = o
                        .value
                        .as_str()
                        .map_or_else(|| o.value.to_string(), str::to_owned);
                    (v, o.label.clone())
                })
                .collect(),
        })
        .collect()
}

fn page(
    t: &Target,
    caller: &Caller,
    lang: Lang,
    here: String,
    sent: Option<&Submitted>,
    problems: Vec<String>,
) -> Response {
    let chrome = Chrome::new(lang, Some(caller), here);
    let mut response = render(
        "portal_request.html",
        &chrome,
        context! {
            title => t.form.def().name.get(lang.tag()).to_owned(),
            inputs => data(&inputs(t, caller, lang, sent)),
            back => format!("/portal/records/{}", t.record),
            action => format!("/portal/records/{}/new/{}", t.record, t.form_id),
            problems,
        },
    );
    if sent.is_some() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// `GET /portal/records/{id}/new/{form}`
pub(crate) async fn new_form(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path((id, form)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let t = target(&state, &caller, &id, &form).await?;
    Ok(page(&t, &caller, lang, uri.to_string(), None, Vec::new()))
}

/// `POST /portal/records/{id}/new/{form}`
pub(crate) async fn create(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path((id, form)): Path<(String, String)>,
    sent: Submitted,
) -> Result<Response, PageError> {
    let t = target(&state, &caller, &id, &form).await?;
    let now = OffsetDateTime::now_utc();
    let mut input = Map::new();
    input.insert(t.relation.clone(), Value::String(t.record.to_string()));
    for field in inputs(&t, &caller, lang, Some(&sent)) {
        if field.kind == "attachments" {
            let mut refs = Vec::new();
            for part in sent
                .files
                .iter()
                .filter(|p| p.field == field.key && !p.bytes.is_empty())
            {
                let a = state
                    .runtime
                    .upload_file(&caller, &part.filename, part.bytes.clone(), now)
                    .await?;
                refs.push(file_ref(&a));
            }
            if !refs.is_empty() {
                input.insert(field.key, Value::Array(refs));
            }
        } else if !field.value.trim().is_empty() {
            input.insert(field.key, Value::String(field.value.trim().to_owned()));
        }
    }
    let app_id = state.runtime.read_record(&caller, &t.record).await?.app_id;
    let submitted = state
        .runtime
        .submit_record(
            &caller,
            &app_id,
            &t.form_id,
            &Value::Object(input),
            None,
            now,
        )
        .await;
    match submitted {
        Ok(_) => Ok(Redirect::to(&format!(
            "/portal/records/{}?done=request#requests",
            t.record
        ))
        .into_response()),
        Err(RuntimeError::Invalid { problems }) => {
            let messages = problems
                .iter()
                .map(|p| p.message.get(lang.tag()).to_owned())
                .collect();
            Ok(page(
                &t,
                &caller,
                lang,
                uri.to_string(),
                Some(&sent),
                messages,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

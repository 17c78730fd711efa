//! The whole form of a record that goes into approval again: a change (变更) proposed for an
//! approved record, and the revision of a returned or withdrawn one (修改并重新提交). Both are
//! the full form page — attachments, sub-table rows, the client-side rules — sent to the
//! runtime's `request_change` or `resubmit_record` instead of an edit.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_forms::CompiledForm;
use formwork_model::{ChangePolicy, RecordId, RecordStatus};
use formwork_runtime::{Caller, Record, RuntimeError};
use time::OffsetDateTime;

use super::PageError;
use super::auth::PageCaller;
use super::fields::{self, Errors, Mode};
use super::input::Submitted;
use super::record_form::{Flavor, Posted, Screen, not_sent, posted, show, writable_desc};
use crate::AppState;
use crate::i18n::Lang;
use crate::ids::named;

/// The record, if its owner may send it into approval again this way (or, for an edit, the
/// caller may edit it), with its form.
async fn reworkable(
    state: &AppState,
    caller: &Caller,
    id: &RecordId,
    flavor: Flavor,
) -> Result<(Record, Arc<CompiledForm>), PageError> {
    if flavor == Flavor::Edit {
        return super::record_form::editable(state, caller, id).await;
    }
    let record = state.runtime.read_record(caller, id).await?;
    let form = state.runtime.record_form(&record).await?;
    if record.owner_id != caller.user.id {
        return Err(PageError::status(StatusCode::FORBIDDEN, "forbidden"));
    }
    let allowed = match flavor {
        Flavor::Change => {
            let takes_changes = form
                .def()
                .after_approval
                .as_ref()
                .is_some_and(|a| a.changes == ChangePolicy::ChangeRequest);
            takes_changes && record.status == RecordStatus::Approved
        }
        Flavor::Revise => matches!(
            record.status,
            RecordStatus::Returned | RecordStatus::Withdrawn
        ),
        Flavor::Edit => false,
    };
    if !allowed {
        let code = if flavor == Flavor::Change {
            "change_not_allowed"
        } else {
            "not_resubmittable"
        };
        return Err(PageError::status(StatusCode::CONFLICT, code));
    }
    Ok((record, form))
}

/// The form page of an existing record, for `flavor`.
pub(super) async fn form_page(
    state: AppState,
    lang: Lang,
    uri: Uri,
    caller: Caller,
    id: String,
    flavor: Flavor,
) -> Result<Response, PageError> {
    let id: RecordId = named(&id)?;
    let (record, form) = reworkable(&state, &caller, &id, flavor).await?;
    let (desc, rules) = writable_desc(&form, &caller, lang);
    let raw = fields::raw_from_stored(&desc, &record.data);
    let skip = not_sent(&desc, &raw);
    show(Screen {
        state: &state,
        caller: &caller,
        lang,
        here: uri.to_string(),
        app_id: &record.app_id,
        form: &form,
        desc: &desc,
        rules: &rules,
        raw: &raw,
        errors: &Errors::default(),
        read_only: &skip,
        record: Some(&record),
        idempotency_key: None,
        banner: None,
        status: StatusCode::OK,
        flavor,
        notice: None,
        preview: None,
    })
    .await
}

/// Sends the page's values to the runtime; the record's page on success, else the form again
/// with the problems.
async fn send(
    state: AppState,
    lang: Lang,
    uri: Uri,
    caller: Caller,
    id: String,
    submitted: Submitted,
    flavor: Flavor,
) -> Result<Response, PageError> {
    let id: RecordId = named(&id)?;
    let (record, form) = reworkable(&state, &caller, &id, flavor).await?;
    let Posted {
        desc,
        rules,
        skip,
        raw,
        mut errors,
        ..
    } = posted(&state, (&caller, lang), &form, &record, &submitted).await?;
    let mut banner = None;
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if errors.is_empty() {
        let input = fields::to_input(&desc, &raw, &Mode::Edit { skip: &skip });
        let comment = submitted.get("__comment");
        let now = OffsetDateTime::now_utc();
        let sent = match flavor {
            Flavor::Change => {
                state
                    .runtime
                    .request_change(&caller, &id, &input, comment, now)
                    .await
            }
            _ => {
                state
                    .runtime
                    .resubmit_record(&caller, &id, Some(&input), comment, now)
                    .await
            }
        };
        match sent {
            Ok(_) => return Ok(Redirect::to(&format!("/records/{id}")).into_response()),
            Err(RuntimeError::Invalid { problems }) => {
                errors = Errors::place(&desc, &problems, lang);
                if errors.is_empty() {
                    banner = problems
                        .first()
                        .map(|p| p.message.get(lang.tag()).to_owned());
                }
            }
            Err(RuntimeError::StateConflict { code, .. }) => {
                banner = Some(lang.message(code, &[]));
                status = StatusCode::CONFLICT;
            }
            Err(RuntimeError::Stale(_)) => {
                banner = Some(lang.message("ui.stale_record", &[]));
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
        app_id: &record.app_id,
        form: &form,
        desc: &desc,
        rules: &rules,
        raw: &raw,
        errors: &errors,
        read_only: &skip,
        record: Some(&record),
        idempotency_key: None,
        banner,
        status,
        flavor,
        notice: None,
        preview: None,
    })
    .await
}

/// `GET /records/{id}/change`: the form with the approved values, to propose new ones.
pub(crate) async fn change_form(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    form_page(state, lang, uri, caller, id, Flavor::Change).await
}

/// `POST /records/{id}/change`: sends the proposed values into approval; the record keeps
/// its approved values until the change is approved.
pub(crate) async fn change(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    submitted: Submitted,
) -> Result<Response, PageError> {
    send(state, lang, uri, caller, id, submitted, Flavor::Change).await
}

/// `GET /records/{id}/revise`: the whole form of a returned or withdrawn record.
pub(crate) async fn revise_form(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    form_page(state, lang, uri, caller, id, Flavor::Revise).await
}

/// `POST /records/{id}/revise`: 修改并重新提交 — the changes, and the record back in review.
pub(crate) async fn revise(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    submitted: Submitted,
) -> Result<Response, PageError> {
    send(state, lang, uri, caller, id, submitted, Flavor::Revise).await
}

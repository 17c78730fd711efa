//! Drafts (暂存) on pages: "my drafts", and a draft reopened in the record form with two
//! buttons: 暂存 saves again (type checks only), 提交 saves and submits it (full validation,
//! a number, the process). Only the owner reaches a draft; anyone else gets 404.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_runtime::{Record, RuntimeError};
use minijinja::context;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::PageError;
use super::auth::PageCaller;
use super::fields::{self, Errors, FormDesc, Mode};
use super::format;
use super::input::Submitted;
use super::record_form::{ACTION, Screen, attachments, show};
use super::render::{Chrome, data, render};
use crate::AppState;
use crate::i18n::Lang;
use crate::ids::named;
use formwork_model::RecordId;

#[derive(Serialize)]
struct DraftRow {
    url: String,
    /// The draft's first text field, as lists title records.
    title: String,
    form: String,
    saved_at: String,
}

/// The first text field of the draft's form, if it is filled in.
fn title(form: &formwork_forms::CompiledForm, draft: &Record) -> Option<String> {
    let field = form
        .fields()
        .iter()
        .find(|f| matches!(f.kind, formwork_forms::FieldKind::Text))?;
    let text = draft.data.get(&field.key)?.as_str()?.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// `GET /drafts`: the caller's drafts, last saved first.
pub(crate) async fn list(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
) -> Result<Response, PageError> {
    let mut rows = Vec::new();
    for d in state.runtime.my_drafts(&caller).await? {
        let form = state.runtime.record_form(&d).await?;
        rows.push(DraftRow {
            url: format!("/drafts/{}", d.id),
            title: title(&form, &d).unwrap_or_else(|| lang.message("ui.drafts.untitled", &[])),
            form: form.def().name.get(lang.tag()).to_owned(),
            saved_at: format::instant(d.updated_at),
        });
    }
    let chrome = Chrome::new(lang, Some(&caller), "/drafts");
    Ok(render(
        "drafts.html",
        &chrome,
        context! { drafts => data(&rows), nav_current => "drafts" },
    ))
}

#[derive(Deserialize)]
pub(crate) struct Shown {
    saved: Option<String>,
}

/// `GET /drafts/{id}`: the draft in the record form.
pub(crate) async fn show_draft(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    Query(shown): Query<Shown>,
) -> Result<Response, PageError> {
    let id: RecordId = named(&id)?;
    let draft = state.runtime.read_draft(&caller, &id).await?;
    let form = state.runtime.record_form(&draft).await?;
    let (desc, rules) = FormDesc::of(&form, lang);
    let raw = fields::raw_from_stored(&desc, &draft.data);
    let notice = shown.saved.map(|_| lang.message("ui.draft_saved", &[]));
    show(Screen {
        state: &state,
        caller: &caller,
        lang,
        here: uri.to_string(),
        app_id: &draft.app_id,
        form: &form,
        desc: &desc,
        rules: &rules,
        raw: &raw,
        errors: &Errors::default(),
        read_only: &[],
        record: Some(&draft),
        idempotency_key: None,
        banner: None,
        notice,
        status: StatusCode::OK,
        flavor: super::record_form::Flavor::Edit,
        preview: None,
    })
    .await
}

/// `POST /drafts/{id}`: saves the form into the draft, then (unless 暂存 was pressed) submits
/// it; field errors re-render the form, the input kept in the draft.
pub(crate) async fn save(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    submitted: Submitted,
) -> Result<Response, PageError> {
    let id: RecordId = named(&id)?;
    let draft = state.runtime.read_draft(&caller, &id).await?;
    let rev = super::record_form::posted_rev(&submitted)?;
    let form = state.runtime.record_form(&draft).await?;
    let (desc, rules) = FormDesc::of(&form, lang);
    let mut errors = Errors::default();
    let files = attachments(
        &state,
        &caller,
        lang,
        &desc,
        &submitted,
        Some(&draft),
        &mut errors,
    )
    .await?;
    let raw = fields::raw_from_pairs(&desc, &submitted.pairs, &files);
    let mut shown: Record = draft.clone();
    let mut banner = None;
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if errors.is_empty() {
        let input = fields::to_input(&desc, &raw, &Mode::Create);
        let now = OffsetDateTime::now_utc();
        match save_then_submit(&state, &caller, &id, rev, &input, &submitted, now).await {
            Ok(Done::Saved) => {
                return Ok(Redirect::to(&format!("/drafts/{id}?saved=1")).into_response());
            }
            Ok(Done::Submitted(record_id)) => {
                return Ok(Redirect::to(&format!("/records/{record_id}")).into_response());
            }
            Err((saved, RuntimeError::Invalid { problems })) => {
                shown = saved.unwrap_or(shown);
                errors = Errors::place(&desc, &problems, lang);
            }
            Err((_, RuntimeError::Stale(_))) => {
                banner = Some(lang.message("ui.stale_record", &[]));
                status = StatusCode::CONFLICT;
            }
            Err((_, e)) => return Err(e.into()),
        }
    }
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
        read_only: &[],
        record: Some(&shown),
        idempotency_key: None,
        banner,
        notice: None,
        status,
        flavor: super::record_form::Flavor::Edit,
        preview: None,
    })
    .await
}

enum Done {
    Saved,
    /// The submitted record's id.
    Submitted(RecordId),
}

/// Saves the draft, then submits it unless 暂存 was pressed. A refused submission still
/// leaves the input saved (and says at which revision).
async fn save_then_submit(
    state: &AppState,
    caller: &formwork_runtime::Caller,
    id: &RecordId,
    rev: i64,
    input: &serde_json::Value,
    submitted: &Submitted,
    now: OffsetDateTime,
) -> Result<Done, (Option<Record>, RuntimeError)> {
    let saved = state
        .runtime
        .update_draft(caller, id, rev, input, now)
        .await
        .map_err(|e| (None, e))?;
    if submitted.get(ACTION) == Some("draft") {
        return Ok(Done::Saved);
    }
    match state
        .runtime
        .submit_draft(caller, id, Some(saved.rev), now)
        .await
    {
        Ok(record) => Ok(Done::Submitted(record.id)),
        Err(e) => Err((Some(saved), e)),
    }
}

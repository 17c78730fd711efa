//! `/tasks/{id}`: one of the caller's tasks — the record as its step shows it (hidden fields
//! left out, fields the step lets the caller change as inputs), the approval timeline, and the
//! actions allowed now (同意 / 驳回 / 退回 / 转交 / 加签; at a fill step 提交 / 撤回), each with
//! the comment. A decision posts back here; success goes on (303) to the inbox, which confirms
//! it (`?done=<task id>`), a refusal re-renders the page with the reason and the input kept (409 when
//! the task was handled meanwhile, 422 otherwise). A task of someone else's is 404.

use formwork_model::{TaskAction, TaskStatus};
use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_forms::{CompiledForm, DisplayField};
use formwork_model::Problem;
use formwork_runtime::{Caller, DecideRequest, FieldAccess, RuntimeError, Task, TaskDetail};
use minijinja::context;
use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::PageError;
use super::auth::PageCaller;
use super::fields::{self, Errors, FieldView, FormDesc, Mode, Pickers, Raw, Shown, ViewContext};
use super::format;
use super::inbox::failure;
use super::input::Submitted;
use super::render::{Chrome, data, render};
use super::timeline::{TimelineView, step_name, task_action};
use crate::AppState;
use crate::i18n::Lang;
use crate::ids::named;
use formwork_model::TaskId;

/// One field of the record on the task page: an input, or a value.
#[derive(Serialize)]
struct FieldItem {
    key: String,
    wide: bool,
    input: Option<FieldView>,
    shown: Option<Shown>,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// What the person sent, kept when the page comes back with a refusal.
#[derive(Default)]
struct Draft {
    action: String,
    comment: String,
    return_to: String,
    transfer_to: String,
    signer: String,
    signer_before: bool,
    raw: Option<Raw>,
    errors: Errors,
    /// Why the action did not land.
    message: Option<String>,
}

/// The form of the task's record in `lang`, cut down to the fields the step shows, and the
/// keys of those the caller may change here (not computed ones, not attachments).
fn step_fields(form: &CompiledForm, detail: &TaskDetail, lang: Lang) -> (FormDesc, Vec<String>) {
    let (mut desc, _) = FormDesc::of(form, lang);
    desc.fields.retain(|f| detail.fields.contains_key(&f.key));
    let editable = if detail.task.status == TaskStatus::Open {
        desc.fields
            .iter()
            .filter(|f| {
                detail.fields.get(&f.key) == Some(&FieldAccess::Editable)
                    && !f.server_set
                    && f.kind != "attachments"
            })
            .map(|f| f.key.clone())
            .collect()
    } else {
        Vec::new()
    };
    (desc, editable)
}

fn only(desc: &FormDesc, keys: &[String]) -> FormDesc {
    FormDesc {
        fields: desc
            .fields
            .iter()
            .filter(|f| keys.contains(&f.key))
            .cloned()
            .collect(),
    }
}

/// The record's first text field, as lists name it.
fn title(desc: &FormDesc, data: &Value) -> Option<String> {
    desc.fields
        .iter()
        .filter(|f| f.kind == "text")
        .find_map(|f| data.get(&f.key).and_then(Value::as_str))
        .map(str::to_owned)
}

/// The fields that changed: the input's values that differ from the stored ones.
fn changes(input: Value, stored: &Value) -> Option<Value> {
    let Value::Object(input) = input else {
        return None;
    };
    let changed: Map<String, Value> = input
        .into_iter()
        .filter(|(k, v)| stored.get(k).unwrap_or(&Value::Null) != v)
        .collect();
    (!changed.is_empty()).then_some(Value::Object(changed))
}

/// Field problems of a decision as the form's own paths (`/data/amount` → `/amount`).
fn form_problems(problems: Vec<Problem>) -> Vec<Problem> {
    problems
        .into_iter()
        .map(|mut p| {
            if let Some(rest) = p.pointer.strip_prefix("/data")
                && rest.starts_with('/')
            {
                p.pointer = rest.to_owned();
            }
            p
        })
        .collect()
}

/// A person named by username, or by their exact display name.
pub(crate) async fn username(state: &AppState, typed: &str) -> Result<String, PageError> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(String::new());
    }
    let people = state.runtime.people().await?;
    if people.iter().any(|(u, _)| u == typed) {
        return Ok(typed.to_owned());
    }
    let mut named = people.iter().filter(|(_, name)| name == typed);
    Ok(match (named.next(), named.next()) {
        (Some((u, _)), None) => u.clone(),
        _ => typed.to_owned(),
    })
}

async fn page(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    here: String,
    detail: TaskDetail,
    draft: Draft,
    status: StatusCode,
) -> Result<Response, PageError> {
    let now = OffsetDateTime::now_utc();
    let tag = lang.tag();
    let form = state.runtime.record_form(&detail.record).await?;
    let (desc, editable) = step_fields(&form, &detail, lang);
    let open = detail.task.status == TaskStatus::Open;

    let editable_desc = only(&desc, &editable);
    // The editable fields' rules for form.js, as the new-record page has them: sub-table rows
    // are added and removed, and visible_when / required_when apply while typing.
    let keep: std::collections::BTreeSet<String> = editable.iter().cloned().collect();
    let rules = (!editable.is_empty()).then(|| FormDesc::of_fields(&form, lang, &keep).1);
    let inputs = editable_inputs(state, &editable_desc, &detail, &draft, lang).await?;
    let people = if open && wants_people(&detail, &editable_desc) {
        state.runtime.people().await?
    } else {
        Vec::new()
    };
    let items = field_items(&form, &desc, inputs, &detail, lang);

    let return_to = return_choices(&detail, &draft, lang);
    let task = &detail.task;
    let closed = (!open).then(|| closed_note(task, lang));
    let title = title(&desc, &detail.record.data);
    // A form without numbering is named by its title.
    let number = detail.record.number.clone();
    let name = number
        .clone()
        .or_else(|| title.clone())
        .unwrap_or_else(|| detail.record.id.to_string());
    let step = step_name(&detail.node, lang);
    let more_open = matches!(
        draft.action.as_str(),
        "return" | "return_to_submitter" | "transfer" | "add_signer"
    );
    let badge = super::home::open_tasks(state, caller)
        .await
        .map(|t| t.len())
        .filter(|n| *n > 0)
        .map(format::count);
    let timeline = TimelineView::new(&detail.timeline, lang, now);
    // A record returned to its submitter is reworked like a fill step, the whole form open.
    let fill = detail.node.kind == "fill" || detail.task.kind == formwork_model::TaskKind::Resubmit;
    let sent_back = if fill { sent_back(&timeline) } else { None };
    let chrome = Chrome::new(lang, Some(caller), here);
    let mut response = render(
        "task.html",
        &chrome,
        context! {
            nav_current => "inbox",
            nav_tasks => badge,
            task => task_summary(task, lang, now, fill),
            step,
            number,
            name,
            title,
            process_name => detail.process_name.get(tag).to_owned(),
            submitter => detail.submitter.as_ref().map(|u| u.display_name.clone()),
            record_url => format!("/records/{}", detail.record.id),
            fields => data(&items),
            editable => !editable.is_empty(),
            rules => rules.as_ref().map(data),
            open,
            closed,
            can => permitted(&detail.actions, !return_to.is_empty()),
            return_to => data(&return_to),
            people => data(&people),
            timeline => data(&timeline),
            sent_back,
            // The whole form of a record back with its submitter (attachments, table rows).
            full_form_url => (detail.record.status == formwork_model::RecordStatus::Returned
                && detail.record.owner_id == caller.user.id)
                .then(|| format!("/records/{}/revise", detail.record.id)),
            draft => draft_context(&draft),
            more_open,
            message => draft.message,
            summary => data(&draft.errors.summary),
        },
    );
    *response.status_mut() = status;
    Ok(response)
}

/// Whether the page needs the people list: to transfer, add a signer, or fill a user field.
fn wants_people(detail: &TaskDetail, editable: &FormDesc) -> bool {
    detail
        .actions
        .iter()
        .any(|a| matches!(*a, "transfer" | "add_signer"))
        || editable
            .fields
            .iter()
            .chain(editable.fields.iter().flat_map(|f| f.columns.iter()))
            .any(|f| f.kind == "user")
}

/// The editable fields' inputs at this step, by key, holding what was typed (after an error)
/// or what is stored.
async fn editable_inputs(
    state: &AppState,
    editable: &FormDesc,
    detail: &TaskDetail,
    draft: &Draft,
    lang: Lang,
) -> Result<HashMap<String, FieldView>, PageError> {
    if editable.fields.is_empty() {
        return Ok(HashMap::new());
    }
    let stored = fields::raw_from_stored(editable, &detail.record.data);
    let raw = draft.raw.clone().unwrap_or_else(|| stored.clone());
    let read_only = fields::read_only_fields(editable, &stored);
    let pickers = Pickers::for_form(state, editable).await?;
    let cx = ViewContext {
        lang,
        errors: &draft.errors,
        pickers: &pickers,
        read_only: &read_only,
        record_id: Some(detail.record.id.as_str()),
    };
    Ok(fields::views(editable, &raw, &cx)
        .into_iter()
        .map(|v| (v.key.clone(), v))
        .collect())
}

/// Every field the step shows, in form order: an input where it may be changed, the stored
/// value where it may only be seen.
fn field_items(
    form: &formwork_forms::CompiledForm,
    desc: &FormDesc,
    mut inputs: HashMap<String, FieldView>,
    detail: &TaskDetail,
    lang: Lang,
) -> Vec<FieldItem> {
    let displayed: HashMap<String, DisplayField> = form
        .project_for_display(&detail.record.data)
        .into_iter()
        .map(|d| (d.key.clone(), d))
        .collect();
    desc.fields
        .iter()
        .filter_map(|f| {
            if let Some(input) = inputs.remove(&f.key) {
                return Some(FieldItem {
                    key: f.key.clone(),
                    wide: true,
                    input: Some(input),
                    shown: None,
                });
            }
            let d = displayed.get(&f.key)?;
            Some(FieldItem {
                key: f.key.clone(),
                wide: fields::wide(&f.kind),
                input: None,
                shown: Some(Shown::new(d, desc, detail.record.id.as_str(), lang)),
            })
        })
        .collect()
}

/// The earlier steps the task may be returned to, the one chosen before an error selected.
fn return_choices(detail: &TaskDetail, draft: &Draft, lang: Lang) -> Vec<Choice> {
    detail
        .return_to
        .iter()
        .map(|n| Choice {
            selected: n.id == draft.return_to,
            value: n.id.clone(),
            label: step_name(n, lang),
        })
        .collect()
}

/// What the person chose and wrote, shown again after an error.
fn draft_context(draft: &Draft) -> minijinja::Value {
    context! {
        action => draft.action.clone(),
        comment => draft.comment.clone(),
        transfer_to => draft.transfer_to.clone(),
        signer => draft.signer.clone(),
        signer_before => draft.signer_before,
    }
}

/// What a closed task's page says about it: who did what when, or that it ended.
fn closed_note(task: &Task, lang: Lang) -> String {
    if task.status == TaskStatus::Done {
        let action = task_action(lang, task.action.map(TaskAction::as_str));
        let at = task.decided_at.map(format::instant).unwrap_or_default();
        lang.message("ui.task.handled", &[("action", &action), ("at", &at)])
    } else {
        lang.message("ui.task.ended", &[])
    }
}

/// At a fill step the person reworks what someone sent back: who sent it and why, up front.
fn sent_back(timeline: &TimelineView) -> Option<minijinja::Value> {
    let r = timeline
        .rows
        .iter()
        .rev()
        .find(|r| matches!(r.tone, "rejected" | "returned") && r.actor.is_some())?;
    Some(context! {
        actor => r.actor.clone(),
        step => r.step.clone(),
        action => r.action.clone(),
        comment => r.comment.clone(),
    })
}

/// The task as the page's header shows it.
fn task_summary(task: &Task, lang: Lang, now: OffsetDateTime, fill: bool) -> minijinja::Value {
    let open = task.status == TaskStatus::Open;
    context! {
        id => task.id.to_string(),
        status_key => task.status.as_str(),
        status => lang.message(&format!("ui.task.status.{}", task.status), &[]),
        tone => match task.status {
            TaskStatus::Open => "in_review",
            TaskStatus::Done => "approved",
            TaskStatus::Cancelled => "withdrawn",
        },
        arrived => format::instant(task.created_at),
        due => task.due_at.map(format::instant),
        overdue => open && task.due_at.is_some_and(|d| d < now),
        fill,
    }
}

/// Which actions the page offers.
fn permitted(actions: &[&str], may_return: bool) -> minijinja::Value {
    let has = |a: &str| actions.contains(&a);
    context! {
        approve => has("approve"),
        reject => has("reject"),
        submit => has("submit"),
        withdraw => has("withdraw"),
        return => has("return") && may_return,
        return_to_submitter => has("return_to_submitter"),
        transfer => has("transfer"),
        add_signer => has("add_signer"),
    }
}

/// What the person typed into the step's editable fields, and the changes it makes to the
/// stored record (`None` when none).
fn edited(
    editable: &FormDesc,
    submitted: &Submitted,
    detail: &TaskDetail,
) -> (fields::Raw, Option<Value>) {
    let stored = fields::raw_from_stored(editable, &detail.record.data);
    let skip = fields::read_only_fields(editable, &stored);
    let raw = fields::raw_from_pairs(editable, &submitted.pairs, &HashMap::new());
    let input = fields::to_input(editable, &raw, &Mode::Edit { skip: &skip });
    let changes = changes(input, &detail.record.data);
    (raw, changes)
}

/// A refused decision's problems: beside the editable fields they name, or else as the
/// page's message.
fn place_problems(
    draft: &mut Draft,
    problems: Vec<Problem>,
    editable: &[String],
    editable_desc: &FormDesc,
    lang: Lang,
) {
    let problems = form_problems(problems);
    let field_problems: Vec<Problem> = problems
        .iter()
        .filter(|p| {
            let key = p.pointer.trim_start_matches('/');
            let key = key.split('/').next().unwrap_or_default();
            editable.iter().any(|k| k == key)
        })
        .cloned()
        .collect();
    if field_problems.is_empty() {
        let first = RuntimeError::Invalid { problems };
        draft.message = Some(failure(lang, &first));
    } else {
        draft.errors = Errors::place(editable_desc, &field_problems, lang);
        draft.message = Some(lang.message(
            "ui.error_summary",
            &[("count", &draft.errors.summary.len().to_string())],
        ));
    }
}

/// `GET /tasks/{id}`
pub(crate) async fn show(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: TaskId = named(&id)?;
    let detail = state.runtime.task_detail(&caller, &id).await?;
    page(
        &state,
        &caller,
        lang,
        uri.to_string(),
        detail,
        Draft::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /tasks/{id}`: `action` (the button pressed), `comment`, and what the action needs:
/// `return_to` (a step id), `transfer_to` / `signer` (a username or exact name),
/// `signer_position` (`before` | `after`); with 同意 or 提交, the fields the step lets the
/// caller change.
pub(crate) async fn decide(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    submitted: Submitted,
) -> Result<Response, PageError> {
    let id: TaskId = named(&id)?;
    let detail = state.runtime.task_detail(&caller, &id).await?;
    let here = format!("/tasks/{id}");
    let get = |name: &str| submitted.get(name).unwrap_or_default().to_owned();
    let mut draft = Draft {
        action: get("action"),
        comment: get("comment"),
        return_to: get("return_to"),
        transfer_to: get("transfer_to"),
        signer: get("signer"),
        signer_before: submitted.get("signer_position") == Some("before"),
        ..Draft::default()
    };
    let action = draft.action.clone();
    let to = match action.as_str() {
        "return" => Some(draft.return_to.clone()),
        "transfer" => Some(username(&state, &draft.transfer_to).await?),
        "add_signer" => Some(username(&state, &draft.signer).await?),
        _ => None,
    };
    let form = state.runtime.record_form(&detail.record).await?;
    let (desc, editable) = step_fields(&form, &detail, lang);
    let editable_desc = only(&desc, &editable);
    let mut data = None;
    if matches!(action.as_str(), "approve" | "submit") && !editable.is_empty() {
        let (raw, changed) = edited(&editable_desc, &submitted, &detail);
        data = changed;
        draft.raw = Some(raw);
    }
    let request = DecideRequest {
        action: action.clone(),
        comment: Some(draft.comment.clone()),
        data,
        to,
        before: draft.signer_before,
    };
    let (status, detail) = match state
        .runtime
        .decide(&caller, &id, &request, OffsetDateTime::now_utc())
        .await
    {
        Ok(_) => {
            let query = serde_urlencoded::to_string([("done", id.as_str())]).unwrap_or_default();
            return Ok(Redirect::to(&format!("/inbox?{query}")).into_response());
        }
        Err(
            e @ (RuntimeError::Conflict(_)
            | RuntimeError::StateConflict { .. }
            | RuntimeError::Stale(_)),
        ) => {
            draft.message = Some(failure(lang, &e));
            // The page shows the task as it is now: handled, without actions.
            let fresh = state.runtime.task_detail(&caller, &id).await?;
            (StatusCode::CONFLICT, fresh)
        }
        Err(RuntimeError::Invalid { problems }) => {
            place_problems(&mut draft, problems, &editable, &editable_desc, lang);
            (StatusCode::UNPROCESSABLE_ENTITY, detail)
        }
        Err(e) => return Err(e.into()),
    };
    page(&state, &caller, lang, here, detail, draft, status).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_changed_fields_are_sent() {
        let stored = json!({"name": "智慧园区", "amount": "120000.00", "note": null});
        assert_eq!(
            changes(
                json!({"name": "智慧园区", "amount": "120000.00", "note": null}),
                &stored
            ),
            None
        );
        assert_eq!(
            changes(
                json!({"name": "智慧园区二期", "description": null}),
                &stored
            ),
            Some(json!({"name": "智慧园区二期"}))
        );
    }

    #[test]
    fn decision_problems_point_at_form_fields() {
        let p = |pointer: &str| Problem {
            pointer: pointer.to_owned(),
            code: "x".to_owned(),
            message: formwork_model::Text::default(),
        };
        let fixed = form_problems(vec![p("/data/amount"), p("/to"), p("/data")]);
        let pointers: Vec<_> = fixed.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(pointers, ["/amount", "/to", "/data"]);
    }
}

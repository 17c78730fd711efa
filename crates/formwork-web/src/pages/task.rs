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
use formwork_runtime::{Caller, DecideRequest, FieldAccess, RuntimeError, TaskDetail};
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
async fn username(state: &AppState, typed: &str) -> Result<String, PageError> {
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

    let mut inputs: HashMap<String, FieldView> = HashMap::new();
    let mut people = Vec::new();
    let may_pick_people = detail
        .actions
        .iter()
        .any(|a| matches!(*a, "transfer" | "add_signer"));
    let editable_desc = only(&desc, &editable);
    if !editable.is_empty() {
        let stored = fields::raw_from_stored(&editable_desc, &detail.record.data);
        let raw = draft.raw.clone().unwrap_or_else(|| stored.clone());
        let read_only = fields::read_only_fields(&editable_desc, &stored);
        let mut pickers = Pickers::default();
        if editable_desc.fields.iter().any(|f| f.kind == "department") {
            pickers.departments = state
                .runtime
                .departments()
                .await?
                .into_iter()
                .map(|d| (d.id.into(), d.name))
                .collect();
        }
        let cx = ViewContext {
            lang,
            errors: &draft.errors,
            pickers: &pickers,
            read_only: &read_only,
            record_id: Some(detail.record.id.as_str()),
        };
        inputs = fields::views(&editable_desc, &raw, &cx)
            .into_iter()
            .map(|v| (v.key.clone(), v))
            .collect();
    }
    let wants_people = may_pick_people
        || editable_desc
            .fields
            .iter()
            .chain(editable_desc.fields.iter().flat_map(|f| f.columns.iter()))
            .any(|f| f.kind == "user");
    if open && wants_people {
        people = state.runtime.people().await?;
    }

    let displayed: HashMap<String, DisplayField> = form
        .project_for_display(&detail.record.data)
        .into_iter()
        .map(|d| (d.key.clone(), d))
        .collect();
    let items: Vec<FieldItem> = desc
        .fields
        .iter()
        .filter_map(|f| {
            let wide = fields::wide(&f.kind);
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
                wide,
                input: None,
                shown: Some(Shown::new(d, &desc, detail.record.id.as_str(), lang)),
            })
        })
        .collect();

    let actions: Vec<&str> = detail.actions.clone();
    let has = |a: &str| actions.contains(&a);
    let return_to: Vec<Choice> = detail
        .return_to
        .iter()
        .map(|n| Choice {
            selected: n.id == draft.return_to,
            value: n.id.clone(),
            label: step_name(n, lang),
        })
        .collect();
    let task = &detail.task;
    let closed = (!open).then(|| {
        if task.status == TaskStatus::Done {
            lang.message(
                "ui.task.handled",
                &[
                    (
                        "action",
                        &task_action(lang, task.action.map(TaskAction::as_str)),
                    ),
                    (
                        "at",
                        &task.decided_at.map(format::instant).unwrap_or_default(),
                    ),
                ],
            )
        } else {
            lang.message("ui.task.ended", &[])
        }
    });
    let number = detail
        .record
        .number
        .clone()
        .unwrap_or_else(|| detail.record.id.to_string());
    let step = step_name(&detail.node, lang);
    let more_open = matches!(draft.action.as_str(), "return" | "transfer" | "add_signer");
    let badge = super::home::open_tasks(state, caller)
        .await
        .map(|t| t.len())
        .filter(|n| *n > 0)
        .map(format::count);
    let timeline = TimelineView::new(&detail.timeline, lang, now);
    let fill = detail.node.kind == "fill";
    // At a fill step the person reworks what someone sent back: say who and why up front.
    let sent_back = fill
        .then(|| {
            timeline
                .rows
                .iter()
                .rev()
                .find(|r| matches!(r.tone, "rejected" | "returned") && r.actor.is_some())
        })
        .flatten()
        .map(|r| {
            context! {
                actor => r.actor.clone(),
                step => r.step.clone(),
                action => r.action.clone(),
                comment => r.comment.clone(),
            }
        });
    let chrome = Chrome::new(lang, Some(caller), here);
    let mut response = render(
        "task.html",
        &chrome,
        context! {
            nav_current => "inbox",
            nav_tasks => badge,
            task => context! {
                id => task.id.to_string(),
                status_key => task.status.as_str(),
                status => lang.message(&format!("ui.task.status.{}", task.status), &[]),
                tone => match task.status.as_str() {
                    "open" => "in_review",
                    "done" => "approved",
                    _ => "withdrawn",
                },
                arrived => format::instant(task.created_at),
                due => task.due_at.map(format::instant),
                overdue => open && task.due_at.is_some_and(|d| d < now),
                fill,
            },
            step,
            number,
            title => title(&desc, &detail.record.data),
            process_name => detail.process_name.get(tag).to_owned(),
            submitter => detail.submitter.as_ref().map(|u| u.display_name.clone()),
            record_url => format!("/records/{}", detail.record.id),
            fields => data(&items),
            editable => !editable.is_empty(),
            open,
            closed,
            can => context! {
                approve => has("approve"),
                reject => has("reject"),
                submit => has("submit"),
                withdraw => has("withdraw"),
                return => has("return") && !return_to.is_empty(),
                transfer => has("transfer"),
                add_signer => has("add_signer"),
            },
            return_to => data(&return_to),
            people => data(&people),
            timeline => data(&timeline),
            sent_back,
            draft => context! {
                action => draft.action,
                comment => draft.comment,
                transfer_to => draft.transfer_to,
                signer => draft.signer,
                signer_before => draft.signer_before,
            },
            more_open,
            message => draft.message,
            summary => data(&draft.errors.summary),
        },
    );
    *response.status_mut() = status;
    Ok(response)
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
        let stored = fields::raw_from_stored(&editable_desc, &detail.record.data);
        let skip = fields::read_only_fields(&editable_desc, &stored);
        let raw = fields::raw_from_pairs(&editable_desc, &submitted.pairs, &HashMap::new());
        let input = fields::to_input(&editable_desc, &raw, &Mode::Edit { skip: &skip });
        data = changes(input, &detail.record.data);
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
        Err(e @ (RuntimeError::Conflict(_) | RuntimeError::Stale(_))) => {
            draft.message = Some(failure(lang, &e));
            // The page shows the task as it is now: handled, without actions.
            let fresh = state.runtime.task_detail(&caller, &id).await?;
            (StatusCode::CONFLICT, fresh)
        }
        Err(RuntimeError::Invalid { problems }) => {
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
                draft.errors = Errors::place(&editable_desc, &field_problems, lang);
                draft.message = Some(lang.message(
                    "ui.error_summary",
                    &[("count", &draft.errors.summary.len().to_string())],
                ));
            }
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

//! `/admin/departments` (admins only): the department tree with each department's head and
//! members; create, rename, set the head, move (drag a department onto another, or pick
//! "移动到…" — the form the drag fills in and submits, so it works from a keyboard and without
//! script) and delete. Every refusal comes back as the page with its words.

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use formwork_model::DepartmentId;
use formwork_runtime::RuntimeError;
use minijinja::context;
use serde::Serialize;

use super::PageError;
use super::auth::PageCaller;
use super::input::Submitted;
use super::render::{Chrome, data, render};
use crate::AppState;
use crate::api::tasks::{query_pairs, query_value};
use crate::i18n::Lang;
use crate::ids::named;

#[derive(Serialize)]
struct DepartmentRow {
    id: String,
    name: String,
    depth: usize,
    /// Full-width spaces that indent the name in a select, one per level.
    indent: String,
    parent: String,
    head: String,
    head_name: String,
    members: usize,
    children: usize,
    /// Departments it may move under: not itself, nothing under it.
    targets: Vec<(String, String)>,
}

#[derive(Serialize)]
struct PersonOption {
    username: String,
    name: String,
}

/// `GET /admin/departments`
pub(crate) async fn show(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    if !caller.user.is_admin {
        return Err(PageError::status(StatusCode::FORBIDDEN, "forbidden"));
    }
    let pairs = query_pairs(query.as_deref());
    let flash =
        query_value(&pairs, "done").map(|d| lang.message(&format!("ui.dept.done.{d}"), &[]));
    let error = query_value(&pairs, "error").map(str::to_owned);
    let tree = state.runtime.department_tree(&caller).await?;
    // A department's descendants follow it in the drawn order, deeper than it.
    let rows: Vec<DepartmentRow> = tree
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let below: Vec<&str> = tree[i + 1..]
                .iter()
                .take_while(|d| d.depth > n.depth)
                .map(|d| d.department.id.as_str())
                .collect();
            let targets = tree
                .iter()
                .filter(|d| d.department.id != n.department.id)
                .filter(|d| !below.contains(&d.department.id.as_str()))
                .map(|d| {
                    let indent = "　".repeat(d.depth);
                    (
                        d.department.id.to_string(),
                        format!("{indent}{}", d.department.name),
                    )
                })
                .collect();
            DepartmentRow {
                id: n.department.id.to_string(),
                name: n.department.name.clone(),
                depth: n.depth,
                indent: "　".repeat(n.depth),
                parent: n
                    .department
                    .parent_id
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                head: n
                    .head
                    .as_ref()
                    .map(|h| h.username.clone())
                    .unwrap_or_default(),
                head_name: n
                    .head
                    .as_ref()
                    .map(|h| h.display_name.clone())
                    .unwrap_or_default(),
                members: n.members,
                children: n.children,
                targets,
            }
        })
        .collect();
    let people: Vec<PersonOption> = state
        .runtime
        .people_admin(&caller)
        .await?
        .into_iter()
        .filter(|p| !p.account.suspended && !p.service && p.customer.is_none())
        .map(|p| PersonOption {
            username: p.account.username,
            name: p.account.display_name,
        })
        .collect();
    let chrome = Chrome::new(lang, Some(&caller), uri.to_string());
    Ok(render(
        "admin_departments.html",
        &chrome,
        context! { departments => data(&rows), people => data(&people), flash, error, nav_current => "people" },
    ))
}

/// Back to the page, with what happened or the first problem's words.
fn back(lang: Lang, result: Result<&'static str, RuntimeError>) -> Result<Response, PageError> {
    super::admin_people::back_to("/admin/departments", "ui.dept.conflict", lang, result)
}

/// An optional department id from a form field: empty means none (the top).
fn department_field(form: &Submitted, name: &str) -> Result<Option<DepartmentId>, PageError> {
    match form.get(name).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(id) => Ok(Some(named(id)?)),
    }
}

/// `POST /admin/departments`: a new department.
pub(crate) async fn create(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    form: Submitted,
) -> Result<Response, PageError> {
    let parent = department_field(&form, "parent")?;
    let head = form.get("head").filter(|h| !h.is_empty());
    let result = state
        .runtime
        .admin_create_department(
            &caller,
            form.get("name").unwrap_or_default(),
            parent.as_ref(),
            head,
        )
        .await
        .map(|_| "created");
    back(lang, result)
}

/// `POST /admin/departments/{id}/{action}`: `rename`, `head`, `move` or `delete`.
pub(crate) async fn act(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path((id, action)): Path<(String, String)>,
    form: Submitted,
) -> Result<Response, PageError> {
    let id: DepartmentId = named(&id)?;
    let rt = &state.runtime;
    let result = match action.as_str() {
        "rename" => rt
            .admin_rename_department(&caller, &id, form.get("name").unwrap_or_default())
            .await
            .map(|_| "renamed"),
        "head" => rt
            .admin_set_department_head(&caller, &id, form.get("head"))
            .await
            .map(|()| "head"),
        "move" => {
            let parent = department_field(&form, "parent")?;
            rt.admin_move_department(&caller, &id, parent.as_ref())
                .await
                .map(|_| "moved")
        }
        "delete" => rt
            .admin_delete_department(&caller, &id)
            .await
            .map(|()| "deleted"),
        _ => return Err(PageError::not_found()),
    };
    back(lang, result)
}

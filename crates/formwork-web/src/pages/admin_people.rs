//! `/admin/people` (admins only): everyone with department, roles and state, suspension and
//! password resets, the customers of the client portal with their client accounts, and
//! service users with their API tokens (a new token's secret is shown on the answer to the
//! request that made it, once, and never put in an address).

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
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

#[derive(Serialize)]
struct PersonRow {
    username: String,
    name: String,
    department: String,
    roles: String,
    customer: String,
    admin: bool,
    suspended: bool,
    service: bool,
    tokens: Vec<TokenRow>,
}

#[derive(Serialize)]
struct TokenRow {
    id: String,
    name: String,
    prefix: String,
    created: String,
    last_used: String,
    revoked: bool,
}

#[derive(Serialize)]
struct RoleOption {
    id: String,
    name: String,
}

/// A token just issued: whose, its name and its secret.
#[derive(Serialize)]
struct Issued {
    username: String,
    name: String,
    secret: String,
}

#[derive(Serialize)]
struct CustomerRow {
    id: String,
    name: String,
    contacts: String,
}

/// `GET /admin/people`
pub(crate) async fn show(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let pairs = query_pairs(query.as_deref());
    let flash = query_value(&pairs, "done")
        .map(|d| lang.message(&format!("ui.people.done.{d}"), &[]))
        .or_else(|| query_value(&pairs, "notice").map(str::to_owned));
    let error = query_value(&pairs, "error").map(str::to_owned);
    page(&state, lang, &uri.to_string(), &caller, flash, error, None).await
}

fn when(at: Option<time::OffsetDateTime>) -> String {
    at.map(super::format::instant).unwrap_or_default()
}

/// The page, with what just happened and, right after issuing a token, its secret.
async fn page(
    state: &AppState,
    lang: Lang,
    uri: &str,
    caller: &formwork_runtime::Caller,
    flash: Option<String>,
    error: Option<String>,
    issued: Option<Issued>,
) -> Result<Response, PageError> {
    if !caller.user.is_admin {
        return Err(PageError::status(StatusCode::FORBIDDEN, "forbidden"));
    }
    let mut people = Vec::new();
    for p in state.runtime.people_admin(caller).await? {
        let tokens = if p.service {
            state
                .runtime
                .service_tokens(caller, &p.account.username)
                .await?
                .into_iter()
                .map(|t| TokenRow {
                    id: t.id.to_string(),
                    name: t.name,
                    prefix: t.prefix,
                    created: when(Some(t.created_at)),
                    last_used: when(t.last_used_at),
                    revoked: t.revoked_at.is_some(),
                })
                .collect()
        } else {
            Vec::new()
        };
        people.push(PersonRow {
            username: p.account.username.clone(),
            name: p.account.display_name.clone(),
            department: p.department.unwrap_or_default(),
            roles: p
                .roles
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            customer: p.customer.unwrap_or_default(),
            admin: p.account.is_admin,
            suspended: p.account.suspended,
            service: p.service,
            tokens,
        });
    }
    let customers: Vec<CustomerRow> = state
        .runtime
        .customers(caller)
        .await?
        .into_iter()
        .map(|c| CustomerRow {
            id: c.id,
            name: c.name,
            contacts: c.contacts,
        })
        .collect();
    let roles: Vec<RoleOption> = state
        .runtime
        .roles(caller)
        .await?
        .into_iter()
        .map(|r| RoleOption {
            id: r.id.to_string(),
            name: if lang.tag() == "en" {
                r.name_en
            } else {
                r.name_zh
            },
        })
        .collect();
    let chrome = Chrome::new(lang, Some(caller), uri.to_owned());
    Ok(render(
        "admin_people.html",
        &chrome,
        context! {
            people => data(&people), customers => data(&customers), roles => data(&roles),
            issued => issued.map(|i| data(&i)), flash, error, nav_current => "people",
        },
    ))
}

/// Back to the page, with what happened or the first problem's words.
fn back(lang: Lang, result: Result<&'static str, RuntimeError>) -> Result<Response, PageError> {
    back_to("/admin/people", "ui.people.taken", lang, result)
}

/// Back to the admin page at `path`, with what happened (`?done=`) or what went wrong
/// (`?error=`): the first problem's words, or the catalog's `conflict` message. Other errors
/// are the error page's.
pub(super) fn back_to(
    path: &str,
    conflict: &str,
    lang: Lang,
    result: Result<&'static str, RuntimeError>,
) -> Result<Response, PageError> {
    let error = match result {
        Ok(done) => return Ok(Redirect::to(&format!("{path}?done={done}")).into_response()),
        Err(RuntimeError::Invalid { problems }) => problems
            .first()
            .map(|p| p.message.get(lang.tag()).to_owned())
            .unwrap_or_default(),
        Err(RuntimeError::Conflict(_)) => lang.message(conflict, &[]),
        Err(e) => return Err(e.into()),
    };
    let query = serde_urlencoded::to_string([("error", error)]).unwrap_or_default();
    Ok(Redirect::to(&format!("{path}?{query}")).into_response())
}

/// `POST /admin/people/{username}/{action}`: `suspend`, `reinstate` or `password`.
pub(crate) async fn act(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    Path((username, action)): Path<(String, String)>,
    form: Submitted,
) -> Result<Response, PageError> {
    let rt = &state.runtime;
    let result = match action.as_str() {
        "suspend" | "reinstate" => rt
            .admin_set_suspended(&caller, &username, action == "suspend")
            .await
            .map(|_| "suspended"),
        "password" => rt
            .admin_reset_password(
                &caller,
                &username,
                form.get("password").unwrap_or_default().to_owned(),
            )
            .await
            .map(|()| "password"),
        "customer" => {
            let customer = form.get("customer").filter(|c| !c.is_empty());
            rt.link_client_account(&caller, &username, customer)
                .await
                .map(|()| "linked")
        }
        "token" => {
            let name = form.get("name").unwrap_or_default();
            return match rt.issue_service_token(&caller, &username, name).await {
                Ok(created) => {
                    let issued = Issued {
                        username,
                        name: created.token.name,
                        secret: created.secret,
                    };
                    let flash = Some(lang.message("ui.people.done.token", &[]));
                    page(
                        &state,
                        lang,
                        "/admin/people",
                        &caller,
                        flash,
                        None,
                        Some(issued),
                    )
                    .await
                }
                Err(e) => back(lang, Err(e)),
            };
        }
        "revoke" => {
            let token: formwork_model::TokenId =
                crate::ids::named(form.get("token").unwrap_or_default())?;
            rt.revoke_service_token(&caller, &username, &token)
                .await
                .map(|()| "revoked")
        }
        _ => return Err(PageError::not_found()),
    };
    back(lang, result)
}

/// `POST /admin/service-users`: a new service user with the roles ticked.
pub(crate) async fn add_service_user(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    form: Submitted,
) -> Result<Response, PageError> {
    let input = formwork_runtime::NewServiceUser {
        username: form.get("username").unwrap_or_default().trim().to_owned(),
        display_name: form.get("display_name").map(str::to_owned),
        department_id: None,
        roles: form.all("roles").into_iter().map(str::to_owned).collect(),
    };
    let result = state
        .runtime
        .create_service_user(&caller, input)
        .await
        .map(|_| "service");
    back(lang, result)
}

/// `POST /admin/customers`
pub(crate) async fn add_customer(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    form: Submitted,
) -> Result<Response, PageError> {
    let result = state
        .runtime
        .create_customer(
            &caller,
            form.get("name").unwrap_or_default(),
            form.get("contacts").unwrap_or_default(),
        )
        .await
        .map(|_| "customer");
    back(lang, result)
}

/// `POST /admin/people/import`: people and departments from an XLSX or CSV sheet.
pub(crate) async fn import(
    State(state): State<AppState>,
    lang: Lang,
    PageCaller(caller): PageCaller,
    form: Submitted,
) -> Result<Response, PageError> {
    let Some(file) = form.files.first().filter(|f| !f.bytes.is_empty()) else {
        return Ok(Redirect::to("/admin/people").into_response());
    };
    let done = match state
        .runtime
        .import_people(&caller, &file.filename, &file.bytes)
        .await
    {
        Ok(done) => done,
        Err(e) => return back(lang, Err(e)),
    };
    let summary = lang.message(
        "ui.people.imported",
        &[
            ("users", &done.users_created.to_string()),
            ("departments", &done.departments_created.to_string()),
            ("skipped", &done.skipped.len().to_string()),
            ("refused", &done.refused.len().to_string()),
        ],
    );
    let rows: Vec<String> = done
        .refused
        .iter()
        .take(5)
        .map(|(row, why)| {
            lang.message(
                "ui.people.refused_row",
                &[("row", &row.to_string()), ("why", why)],
            )
        })
        .collect();
    let mut pairs = vec![("notice", summary)];
    if !rows.is_empty() {
        pairs.push(("error", rows.join("；")));
    }
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    Ok(Redirect::to(&format!("/admin/people?{query}")).into_response())
}

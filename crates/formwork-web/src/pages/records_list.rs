//! `/apps/{app}/forms/{form}/records`: the records a person may read, as a table with filters
//! (status, choice fields, a search box), sorting (created, money fields) and keyset pages
//! (「下一页」 follows the runtime's `next` cursor, 「上一页」 the trail of earlier cursors; the
//! size is counted up to 1,001 rows and shown as "1,000+" beyond). On a phone each record is
//! a compact card: its title with the number beside it, the status, and two or three key
//! fields.

use axum::extract::{Path, RawQuery, State};
use axum::http::Uri;
use axum::response::Response;
use formwork_runtime::{ListRequest, form_access};
use minijinja::context;
use serde::Serialize;

use super::PageError;
use super::auth::PageCaller;
use super::fields::{FieldDesc, FormDesc};
use super::format;
use super::home::list_label;
use super::paging::{self, Trail};
use super::render::{Chrome, data, render};
use crate::AppState;
use crate::api::records::SHOWN_COUNT;
use crate::i18n::Lang;
use crate::ids::named;
use formwork_model::{AppId, FormId};

const PAGE_SIZE: u32 = 20;

#[derive(Serialize)]
struct Column {
    key: String,
    label: String,
    numeric: bool,
}

#[derive(Serialize)]
struct Row {
    url: String,
    number: String,
    /// The record's title field (the project name), when it has one.
    title: String,
    cells: Vec<String>,
    /// The card's key fields on a phone, as (label, value).
    key_fields: Vec<(String, String)>,
    status: String,
    status_key: String,
    created: String,
}

/// Most key fields a phone card shows under the title.
const CARD_FIELDS: usize = 3;

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct SelectFilter {
    name: String,
    label: String,
    choices: Vec<Choice>,
}

/// The fields a list shows: the first text fields (required first), money and choice fields.
fn listed(desc: &FormDesc) -> Vec<&FieldDesc> {
    let pick = |kinds: &[&str], n: usize| -> Vec<&FieldDesc> {
        let mut of_kind: Vec<&FieldDesc> = desc
            .fields
            .iter()
            .filter(|f| kinds.contains(&f.kind.as_str()))
            .collect();
        of_kind.sort_by_key(|f| !f.required);
        of_kind.truncate(n);
        of_kind
    };
    let chosen: Vec<String> = [
        pick(&["text"], 2),
        pick(&["money"], 2),
        pick(&["select", "radio"], 2),
    ]
    .concat()
    .into_iter()
    .map(|f| f.key.clone())
    .collect();
    // Back in form order.
    desc.fields
        .iter()
        .filter(|f| chosen.contains(&f.key))
        .collect()
}

/// The record's title field: the form's first text field (as the inbox and task pages name
/// records), if the caller may read it.
fn title_field(desc: &FormDesc) -> Option<&FieldDesc> {
    desc.fields.iter().find(|f| f.kind == "text")
}

/// The key fields a phone card shows: the process's inbox columns when the form has a
/// process that names them (the package's choice: 客户, 预计金额, 区域), else the listed
/// columns; never the title, at most [`CARD_FIELDS`].
fn card_fields<'d>(
    app: &formwork_model::AppDef,
    form_id: &str,
    desc: &'d FormDesc,
    columns: &[&'d FieldDesc],
) -> Vec<&'d FieldDesc> {
    let title = title_field(desc).map(|f| f.key.as_str());
    let chosen: Vec<&FieldDesc> = app
        .processes
        .iter()
        .find(|p| p.form == form_id && !p.inbox_columns.is_empty())
        .map(|p| {
            p.inbox_columns
                .iter()
                .filter_map(|k| desc.field(k))
                .collect()
        })
        .unwrap_or_else(|| columns.to_vec());
    chosen
        .into_iter()
        .filter(|f| Some(f.key.as_str()) != title)
        .take(CARD_FIELDS)
        .collect()
}

pub(crate) async fn list(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path((app_id, form_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let app_id: AppId = named(&app_id)?;
    let form_id: FormId = named(&form_id)?;
    let app = state.runtime.latest_app(&app_id).await?;
    let form = app.form(&form_id)?.clone();
    let access = form_access(&caller, form.def());
    let Some(scope) = access.list_scope else {
        return Err(PageError::not_found());
    };
    let readable = formwork_runtime::readable_fields(&caller, form.def());
    let (desc, _) = FormDesc::of_fields(&form, lang, &readable);
    let columns = listed(&desc);
    let params: Vec<(String, String)> =
        serde_urlencoded::from_str(query.as_deref().unwrap_or_default()).unwrap_or_default();
    let cards = card_fields(&app.def, form_id.as_str(), &desc, &columns);
    let Asked {
        request,
        status,
        selects,
        q,
        sorts,
        sort,
        trail,
    } = asked(&columns, &params, lang);

    let page = state
        .runtime
        .list_records(&caller, &app_id, &form_id, &request)
        .await?;
    // The count reads at most 1,001 rows of the same query; a count that fails leaves the
    // size out, not the page.
    let total = match state
        .runtime
        .count_records(&caller, &app_id, &form_id, &request)
        .await
    {
        Ok(n) => Some(lang.message(
            "ui.list.total",
            &[("count", &paging::capped(n, SHOWN_COUNT))],
        )),
        Err(e) => {
            tracing::warn!(error = %e, "record count left out of the list");
            None
        }
    };
    let tag = lang.tag();
    let shape = Shape {
        columns: &columns,
        title: title_field(&desc),
        cards: &cards,
    };
    let rows = rows(&form, &shape, &page.records, lang);

    let base = format!("/apps/{app_id}/forms/{form_id}/records");
    let kept = kept_params(status.as_deref(), &selects, q.as_deref(), &sort);
    let links = trail.links(&base, &kept, page.next.as_deref());
    let active = usize::from(status.is_some())
        + usize::from(q.is_some())
        + selects
            .iter()
            .filter(|f| f.choices.iter().any(|c| c.selected))
            .count();
    let filtered = active > 0;

    let chrome = Chrome::new(lang, Some(&caller), uri.to_string());
    Ok(render(
        "records_list.html",
        &chrome,
        context! {
            title => list_label(lang, scope),
            app_name => app.def.name.get(tag).to_owned(),
            app_url => format!("/apps/{app_id}"),
            form_name => form.def().name.get(tag).to_owned(),
            action => base.clone(),
            new_url => access.may_create.then(|| format!("/apps/{app_id}/forms/{form_id}/new")),
            columns => data(&column_heads(&columns)),
            rows => data(&rows),
            statuses => data(&status_choices(status.as_deref(), lang)),
            selects => data(&selects),
            sorts => data(&sorts.iter().map(|(v, l)| Choice {
                value: v.clone(),
                label: l.clone(),
                selected: *v == sort,
            }).collect::<Vec<_>>()),
            q,
            next_url => links.next,
            prev_url => links.prev,
            first_url => links.first,
            total,
            filtered,
            active_filters => active,
            has_title => shape.title.is_some(),
            clear_url => base,
        },
    ))
}

/// The select and radio fields a list can be narrowed by, with the chosen value of each (a
/// value the field does not offer is ignored); chosen ones become filters of `request`.
fn select_filters(
    columns: &[&FieldDesc],
    param: &impl Fn(&str) -> Option<String>,
    request: &mut ListRequest,
) -> Vec<SelectFilter> {
    let mut selects = Vec::new();
    for field in columns
        .iter()
        .filter(|f| matches!(f.kind.as_str(), "select" | "radio"))
    {
        let name = format!("f.{}", field.key);
        let chosen = param(&name).filter(|v| {
            field
                .options
                .iter()
                .any(|o| o.value.as_str() == Some(v.as_str()))
        });
        if let Some(v) = &chosen {
            request.filters.push(format!("{}:eq:{v}", field.key));
        }
        let choices = field
            .options
            .iter()
            .filter_map(|o| {
                let value = o.value.as_str()?.to_owned();
                Some(Choice {
                    selected: chosen.as_deref() == Some(value.as_str()),
                    label: if o.label.is_empty() {
                        value.clone()
                    } else {
                        o.label.clone()
                    },
                    value,
                })
            })
            .collect();
        selects.push(SelectFilter {
            label: field.label.clone(),
            choices,
            name,
        });
    }
    selects
}

/// The orders a list offers: newest or oldest first, and by each money field.
fn sort_choices(columns: &[&FieldDesc], lang: Lang) -> Vec<(String, String)> {
    let mut sorts = vec![
        (
            "-created_at".to_owned(),
            lang.message("ui.sort.newest", &[]),
        ),
        ("created_at".to_owned(), lang.message("ui.sort.oldest", &[])),
    ];
    for field in columns.iter().filter(|f| f.kind == "money") {
        sorts.push((
            format!("-{}", field.key),
            lang.message("ui.sort.high", &[("label", &field.label)]),
        ));
        sorts.push((
            field.key.clone(),
            lang.message("ui.sort.low", &[("label", &field.label)]),
        ));
    }
    sorts
}

/// What a list shows of each record: the table's columns, the title and the phone card's
/// key fields.
struct Shape<'a> {
    columns: &'a [&'a FieldDesc],
    title: Option<&'a FieldDesc>,
    cards: &'a [&'a FieldDesc],
}

/// One row per record: its link, number, title, the listed fields as shown, the card's key
/// fields, status and date.
fn rows(
    form: &formwork_forms::CompiledForm,
    shape: &Shape<'_>,
    records: &[formwork_runtime::Record],
    lang: Lang,
) -> Vec<Row> {
    let tag = lang.tag();
    records
        .iter()
        .map(|r| {
            let shown = form.project_for_display(&r.data);
            let value = |key: &str| {
                shown
                    .iter()
                    .find(|d| d.key == key)
                    .map(|d| d.value.get(tag).to_owned())
                    .unwrap_or_default()
            };
            Row {
                url: format!("/records/{}", r.id),
                number: r.number.clone().unwrap_or_else(|| r.id.to_string()),
                title: shape.title.map(|f| value(&f.key)).unwrap_or_default(),
                cells: shape.columns.iter().map(|c| value(&c.key)).collect(),
                key_fields: shape
                    .cards
                    .iter()
                    .map(|c| (c.label.clone(), value(&c.key)))
                    .filter(|(_, v)| !v.is_empty())
                    .collect(),
                status: format::status(lang, r.status),
                status_key: r.status.to_string(),
                created: format::instant(r.created_at),
            }
        })
        .collect()
}

/// What a list page was asked for, as the runtime's request and as the page shows it back.
struct Asked {
    request: ListRequest,
    status: Option<String>,
    selects: Vec<SelectFilter>,
    q: Option<String>,
    sorts: Vec<(String, String)>,
    sort: String,
    trail: Trail,
}

/// The status filter, select filters, search, sort and cursor the query asks for; values the
/// page does not offer are ignored.
fn asked(columns: &[&FieldDesc], params: &[(String, String)], lang: Lang) -> Asked {
    let param = |name: &str| last_param(params, name);
    let mut request = ListRequest {
        limit: Some(PAGE_SIZE),
        ..ListRequest::default()
    };
    let status = param("status").filter(|s| format::FILTER_STATUSES.contains(&s.as_str()));
    if let Some(s) = &status {
        request.filters.push(format!("status:eq:{s}"));
    }
    let selects = select_filters(columns, &param, &mut request);
    let q = param("q");
    request.search = q.clone();
    let sorts = sort_choices(columns, lang);
    let sort = param("sort")
        .filter(|s| sorts.iter().any(|(v, _)| v == s))
        .unwrap_or_else(|| "-created_at".to_owned());
    request.sort = Some(sort.clone());
    let trail = Trail::from_params(params);
    request.after = trail.after.clone();
    Asked {
        request,
        status,
        selects,
        q,
        sorts,
        sort,
        trail,
    }
}

/// The last non-empty value of query parameter `name`, trimmed.
fn last_param(params: &[(String, String)], name: &str) -> Option<String> {
    params
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The filters, search and sort a page was asked with, for the links to the next and first
/// pages.
fn kept_params(
    status: Option<&str>,
    selects: &[SelectFilter],
    q: Option<&str>,
    sort: &str,
) -> Vec<(String, String)> {
    let mut kept: Vec<(String, String)> = Vec::new();
    if let Some(s) = status {
        kept.push(("status".into(), s.to_owned()));
    }
    for f in selects {
        if let Some(c) = f.choices.iter().find(|c| c.selected) {
            kept.push((f.name.clone(), c.value.clone()));
        }
    }
    if let Some(q) = q {
        kept.push(("q".into(), q.to_owned()));
    }
    kept.push(("sort".into(), sort.to_owned()));
    kept
}

fn column_heads(columns: &[&FieldDesc]) -> Vec<Column> {
    columns
        .iter()
        .map(|c| Column {
            key: c.key.clone(),
            label: c.label.clone(),
            numeric: matches!(c.kind.as_str(), "money" | "integer" | "decimal" | "percent"),
        })
        .collect()
}

fn status_choices(chosen: Option<&str>, lang: Lang) -> Vec<Choice> {
    format::FILTER_STATUSES
        .iter()
        .map(|s| Choice {
            value: (*s).to_owned(),
            label: format::status(lang, *s),
            selected: chosen == Some(*s),
        })
        .collect()
}

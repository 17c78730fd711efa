//! Report pages: `/apps/{app}/dashboards/{dashboard}` (a grid of widgets, each a bar chart
//! drawn by the server with its data table, shared filters, bars linking to the filtered
//! record list), `/apps/{app}/reports/{report}` and `/apps/{app}/views/{view}` (table with
//! totals, pivot, kanban with moves, Gantt with the critical path, calendar), and the import
//! page. Everything works without JavaScript.

use axum::extract::{Path, RawQuery, State};
use axum::http::Uri;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use formwork_model::{AppId, ParamDef, ParamKind, RecordId, ViewKind};
use formwork_runtime::reports::{ReportAsk, ReportRun, Table};
use minijinja::context;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use super::PageError;
use super::auth::PageCaller;
use super::render::{Chrome, data, render};
use crate::AppState;
use crate::api::reports::pairs;
use crate::i18n::{CatalogLabels, Lang};
use crate::ids::named;

/// One bar of a chart: its label, value, width in percent and where a click goes.
#[derive(Serialize)]
struct Bar {
    label: String,
    value: String,
    width: u32,
    href: Option<String>,
}

/// A parameter control: a select of options or a date range.
#[derive(Serialize)]
struct Control {
    id: String,
    label: String,
    kind: &'static str,
    options: Vec<(String, String)>,
    value: String,
    from: String,
    to: String,
}

fn controls(
    defs: &[ParamDef],
    run: Option<&ReportRun>,
    asked: &[(String, String)],
    lang: Lang,
) -> Vec<Control> {
    let get = |k: &str| {
        asked
            .iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    defs.iter()
        .map(|d| {
            let options = run
                .and_then(|r| r.app.form(&named(&r.def.form).ok()?).ok())
                .and_then(|f| f.field(&d.field).cloned())
                .map(|f| {
                    f.options
                        .iter()
                        .filter_map(|o| {
                            Some((o.0.as_str()?.to_owned(), o.1.get(lang.tag()).to_owned()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            Control {
                id: d.id.clone(),
                label: d.label.get(lang.tag()).to_owned(),
                kind: match d.kind {
                    ParamKind::DateRange => "date_range",
                    _ => "select",
                },
                options,
                value: get(&d.id),
                from: get(&format!("{}.from", d.id)),
                to: get(&format!("{}.to", d.id)),
            }
        })
        .collect()
}

fn text_of(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A bar's number as people read it: money as `¥118,000.50`, a percentage as `33.3%`, other
/// numbers as they came.
fn shown_measure(
    column: &formwork_runtime::reports::OutputColumn,
    cell: &Value,
    percent: bool,
) -> String {
    let text = text_of(cell);
    if text.is_empty() {
        // No value yet (e.g. an on-time rate before anything finished): say so, not a blank.
        return "—".to_owned();
    }
    match column.value_type {
        formwork_runtime::reports::ValueType::Money => formwork_forms::money::parse_money(&text)
            .map(formwork_forms::money::format_money)
            .unwrap_or(text),
        _ if percent => format!("{text}%"),
        _ => text,
    }
}

/// Bars of the first measure per group, linking a record-report group to its records.
fn bars(run: &ReportRun, lang: Lang) -> Vec<Bar> {
    let t = &run.table;
    let keys = match &run.plan.body {
        formwork_runtime::reports::Body::Grouped(g) => g.keys.len(),
        _ => return Vec::new(),
    };
    let Some(measure) = t.columns.get(keys) else {
        return Vec::new();
    };
    let percent = super::charts::percent_columns(run)
        .get(keys)
        .copied()
        .unwrap_or(false);
    let value = |r: &Vec<Value>| -> f64 { text_of(&r[keys]).parse::<f64>().unwrap_or(0.0) };
    let max = t
        .rows
        .iter()
        .map(value)
        .fold(0.0_f64, |a, b| a.max(b.abs()));
    t.rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let label = r[..keys]
                .iter()
                .map(text_of)
                .collect::<Vec<_>>()
                .join(" · ");
            let width = if max > 0.0 {
                (value(r).abs() / max * 100.0).round() as u32
            } else {
                0
            };
            Bar {
                label: if label.is_empty() {
                    lang.message("ui.report.total", &[])
                } else {
                    label
                },
                value: shown_measure(measure, &r[keys], percent),
                width,
                href: click_through(run, i),
            }
        })
        .collect()
}

/// The record list narrowed to group `i` of a one-key record report, where the list can
/// narrow by that key (status, or a select field).
pub(super) fn click_through(run: &ReportRun, i: usize) -> Option<String> {
    use formwork_runtime::reports::{Body, Cell, ColumnRef, RecordColumn};
    let Body::Grouped(g) = &run.plan.body else {
        return None;
    };
    let [key] = g.keys.as_slice() else {
        return None;
    };
    if key.key.bucket.is_some() || run.def.source != formwork_model::ReportSource::Records {
        return None;
    }
    // Shaped rows are sorted; find the raw group by its label.
    let label = run.table.rows.get(i)?.first()?;
    let raw = run.rows.rows.iter().find_map(|r| {
        let Cell::Text(v) = r.first()? else {
            return None;
        };
        let shown = key
            .display
            .labels
            .iter()
            .find(|(k, _)| k == v)
            .map_or(v.as_str(), |(_, l)| l);
        (Value::String(shown.to_owned()) == *label).then(|| v.clone())
    })?;
    let param = match &key.key.column {
        ColumnRef::Record {
            column: RecordColumn::Status,
        } => "status".to_owned(),
        ColumnRef::Field { key, .. } => format!("f.{key}"),
        _ => return None,
    };
    let query = serde_urlencoded::to_string([(param, raw)]).ok()?;
    Some(format!(
        "/apps/{}/forms/{}/records?{query}",
        run.app.app_id, run.def.form
    ))
}

#[derive(Serialize)]
struct Widget {
    title: String,
    width: u8,
    kind: String,
    table: Option<Table>,
    bars: Vec<Bar>,
    /// What the chart script draws over the bars (kept as the fallback without JavaScript).
    chart: Option<super::charts::ChartSpec>,
    error: Option<String>,
    url: String,
}

fn ask(asked: &[(String, String)], lang: Lang) -> ReportAsk<'_> {
    ReportAsk {
        params: asked,
        lang: lang.tag(),
        labels: &CatalogLabels,
        now: OffsetDateTime::now_utc(),
    }
}

pub(crate) async fn dashboard(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path((app_id, dashboard_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let app_id: AppId = named(&app_id)?;
    let asked = pairs(query.as_deref());
    let run = state
        .runtime
        .run_dashboard(&caller, &app_id, &dashboard_id, ask(&asked, lang))
        .await?;
    let first = run.widgets.iter().find_map(|w| w.result.as_ref().ok());
    let controls = controls(&run.def.params, first, &asked, lang);
    let widgets: Vec<Widget> = run
        .widgets
        .iter()
        .map(|w| match &w.result {
            Ok(r) => Widget {
                title: r.def.name.get(lang.tag()).to_owned(),
                width: w.width,
                kind: format!("{:?}", r.def.view.kind).to_lowercase(),
                bars: bars(r, lang),
                chart: super::charts::chart_spec(r, lang),
                table: Some(super::charts::shown_table(r)),
                error: None,
                url: format!("/apps/{app_id}/reports/{}", w.report_id),
            },
            Err(_) => Widget {
                title: w.report_id.clone(),
                width: w.width,
                kind: String::new(),
                table: None,
                bars: Vec::new(),
                chart: None,
                error: Some(lang.message("ui.report.unavailable", &[])),
                url: String::new(),
            },
        })
        .collect();
    let app = state.runtime.latest_app(&app_id).await?;
    let chrome = Chrome::new(lang, Some(&caller), uri.to_string());
    let charts = widgets.iter().any(|w| w.chart.is_some());
    Ok(render(
        "dashboard.html",
        &chrome,
        context! {
            app_name => app.def.name.get(lang.tag()),
            app_url => format!("/apps/{app_id}"),
            title => run.def.name.get(lang.tag()),
            action => uri.path(),
            controls => data(&controls),
            widgets => data(&widgets),
            charts_js => charts.then(|| super::assets::url("charts.js")),
        },
    ))
}

pub(crate) async fn report(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    Path((app_id, report_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let app_id: AppId = named(&app_id)?;
    let asked = pairs(query.as_deref());
    let run = state
        .runtime
        .run_report(&caller, &app_id, &report_id, ask(&asked, lang))
        .await?;
    Ok(report_page(&caller, &run, &asked, lang, &uri))
}

/// A report or view page: controls, the view, the data table and export links.
fn report_page(
    caller: &formwork_runtime::Caller,
    run: &ReportRun,
    asked: &[(String, String)],
    lang: Lang,
    uri: &Uri,
) -> Response {
    use formwork_runtime::reports::views;
    let view = &run.def.view;
    let rows = &run.rows.rows;
    let title_col = view
        .title
        .as_ref()
        .and_then(|t| run.table.columns.iter().position(|c| &c.key == t));
    let card = |i: usize| -> Value {
        let row = run.table.rows.get(i);
        serde_json::json!({
            "id": row.and_then(|r| r.first()).map(text_of).unwrap_or_default(),
            "title": row.and_then(|r| r.get(title_col?)).map(text_of).unwrap_or_default(),
            "cells": row.map(|r| r.iter().map(text_of).collect::<Vec<_>>()).unwrap_or_default(),
        })
    };
    let kind = format!("{:?}", view.kind).to_lowercase();
    let kanban = (view.kind == ViewKind::Kanban).then(|| {
        views::kanban_lanes(&run.plan, view, rows, lang.tag())
            .into_iter()
            .map(|l| serde_json::json!({"value": l.value, "label": l.label, "cards": l.cards.iter().map(|i| card(*i)).collect::<Vec<_>>()}))
            .collect::<Vec<_>>()
    });
    let gantt = (view.kind == ViewKind::Gantt).then(|| gantt_rows(run));
    let calendar = (view.kind == ViewKind::Calendar).then(|| {
        views::calendar_events(&run.plan, view, rows)
            .into_iter()
            .map(|e| serde_json::json!({"date": e.date.to_string(), "end": e.end.map(|d| d.to_string()), "card": card(e.row)}))
            .collect::<Vec<_>>()
    });
    let pivot = (view.kind == ViewKind::Pivot)
        .then(|| views::pivot(&run.table))
        .flatten();
    let chart = super::charts::chart_spec(run, lang);
    let refused = refusal(asked, lang);
    let query = uri.query().unwrap_or_default();
    let base = format!(
        "/api/v1/apps/{}/reports/{}/export",
        run.app.app_id, run.def.id
    );
    let sep = if query.is_empty() { "" } else { "&" };
    let chrome = Chrome::new(lang, Some(caller), uri.to_string());
    render(
        "report.html",
        &chrome,
        context! {
            app_name => run.app.def.name.get(lang.tag()),
            app_url => format!("/apps/{}", run.app.app_id),
            title => run.def.name.get(lang.tag()),
            kind,
            action => uri.path(),
            move_url => format!("/apps/{}/views/{}/move", run.app.app_id, run.def.id),
            controls => data(&controls(&run.def.params, Some(run), asked, lang)),
            bars => data(&bars(run, lang)),
            chart => data(&chart),
            charts_js => chart.is_some().then(|| super::assets::url("charts.js")),
            kanban_js => kanban.is_some().then(|| super::assets::url("kanban.js")),
            refused => refused,
            table => data(&super::charts::shown_table(run)),
            kanban => data(&kanban),
            gantt => data(&gantt),
            calendar => data(&calendar),
            pivot => data(&pivot),
            csv_url => format!("{base}?{query}{sep}format=csv"),
            xlsx_url => format!("{base}?{query}{sep}format=xlsx"),
        },
    )
}

/// Gantt rows: each bar's offset and length in percent of the whole span, and its
/// milestones with the critical ones marked.
fn gantt_rows(run: &ReportRun) -> Vec<Value> {
    use formwork_runtime::reports::views;
    let bars = views::gantt_bars(&run.plan, &run.def.view, &run.rows.rows);
    let dates = bars.iter().flat_map(|b| {
        let ms = b
            .milestones
            .iter()
            .flat_map(|m| [m.earliest_start, m.earliest_finish]);
        [b.start, b.end]
            .into_iter()
            .chain(ms)
            .flatten()
            .collect::<Vec<_>>()
    });
    let (lo, hi) = dates.fold(
        (None, None),
        |(lo, hi): (Option<time::Date>, Option<time::Date>), d| {
            (
                Some(lo.map_or(d, |l| l.min(d))),
                Some(hi.map_or(d, |h| h.max(d))),
            )
        },
    );
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return Vec::new();
    };
    let span = ((hi - lo).whole_days().max(1)) as f64;
    let pct = |d: time::Date| ((d - lo).whole_days() as f64 / span * 100.0).round();
    bars.iter()
        .map(|b| {
            let critical: Vec<&String> = b.critical_paths.iter().flatten().collect();
            let (left, width) = match (b.start, b.end) {
                (Some(s), Some(e)) => (pct(s), (pct(e) - pct(s)).max(1.0)),
                _ => (0.0, 0.0),
            };
            serde_json::json!({
                "title": b.title, "start": b.start.map(|d| d.to_string()), "end": b.end.map(|d| d.to_string()),
                "left": left, "width": width, "days": b.duration_days,
                "critical": b.critical_paths.first().map(|p| p.join(" → ")),
                "milestones": b.milestones.iter().map(|m| serde_json::json!({
                    "title": m.title,
                    "start": m.earliest_start.map(|d| d.to_string()),
                    "end": m.earliest_finish.map(|d| d.to_string()),
                    "critical": critical.contains(&&m.title),
                    "slack": m.schedule.slack,
                })).collect::<Vec<_>>(),
                "problem": b.problem.as_ref().map(|p| p.get("zh-CN").to_owned()),
            })
        })
        .collect()
}

pub(crate) async fn view(
    state: State<AppState>,
    lang: Lang,
    uri: Uri,
    caller: PageCaller,
    path: Path<(String, String)>,
    query: RawQuery,
) -> Result<Response, PageError> {
    report(state, lang, uri, caller, path, query).await
}

#[derive(Deserialize)]
pub(crate) struct MoveForm {
    record: String,
    lane: String,
}

/// Why a move was refused, as the codes the board explains.
const REFUSALS: &[&str] = &[
    "forbidden",
    "record_in_review",
    "record_returned",
    "record_locked",
    "precondition_failed",
    "invalid",
    "not_found",
];

/// The board's message for a refused move (`?refused=CODE`, set by a move without
/// JavaScript), in `lang`.
fn refusal(asked: &[(String, String)], lang: Lang) -> Option<String> {
    let code = asked.iter().rev().find(|(k, _)| k == "refused")?.1.as_str();
    REFUSALS.contains(&code).then(|| refusal_text(code, lang))
}

fn refusal_text(code: &str, lang: Lang) -> String {
    let reason = match code {
        "forbidden" => lang.message("ui.report.move_forbidden", &[]),
        other => lang.message(other, &[]),
    };
    lang.message("ui.report.move_refused", &[("reason", &reason)])
}

/// The stable code and status of a refused move.
fn refusal_code(e: &formwork_runtime::RuntimeError) -> (StatusCode, &'static str) {
    use formwork_runtime::RuntimeError as R;
    match e {
        R::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
        R::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
        R::StateConflict { code, .. } if REFUSALS.contains(code) => (StatusCode::CONFLICT, code),
        R::Stale(_) | R::Conflict(_) => (StatusCode::CONFLICT, "precondition_failed"),
        R::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

/// Moves a kanban card to another lane: an ordinary edit of the lane field, so it is refused
/// without edit permission or while an approval holds the record. The board's form posts it
/// without JavaScript (a refusal comes back as `?refused=CODE`, explained on the board); the
/// drag script posts the same form asking for JSON and shows the message where the card was.
pub(crate) async fn move_card(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    PageCaller(caller): PageCaller,
    Path((app_id, view_id)): Path<(String, String)>,
    Form(form): Form<MoveForm>,
) -> Result<Response, PageError> {
    let app_id: AppId = named(&app_id)?;
    let id: RecordId = named(&form.record)?;
    let lane = state.runtime.kanban_lane(&app_id, &view_id).await?;
    let json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let moved = async {
        let record = state.runtime.read_record(&caller, &id).await?;
        let patch = serde_json::json!({ lane: form.lane });
        state
            .runtime
            .update_record(&caller, &id, record.rev, &patch, OffsetDateTime::now_utc())
            .await
    }
    .await;
    let back = format!("/apps/{app_id}/views/{view_id}?lang={}", lang.tag());
    match moved {
        Ok(_) if json => Ok(Json(serde_json::json!({ "moved": true })).into_response()),
        Ok(_) => Ok(Redirect::to(&back).into_response()),
        Err(e) => {
            let (status, code) = refusal_code(&e);
            if status == StatusCode::INTERNAL_SERVER_ERROR {
                return Err(e.into());
            }
            if json {
                let body =
                    serde_json::json!({ "error": code, "message": refusal_text(code, lang) });
                return Ok((status, Json(body)).into_response());
            }
            Ok(Redirect::to(&format!("{back}&refused={code}")).into_response())
        }
    }
}

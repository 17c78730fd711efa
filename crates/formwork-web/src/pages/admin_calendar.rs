//! `/admin/calendar`: the working-time calendar for admins — working weekdays and hours, the
//! holidays and 调休 make-up working days of each year (with their source), a warning when
//! this year's or next year's schedule is missing, and a form to enter a year from CSV.

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use formwork_calendar::{CalendarDef, DayKind, WorkingHours};
use formwork_runtime::{CalendarSettings, Caller, RuntimeError};
use minijinja::context;
use serde::Serialize;
use time::OffsetDateTime;

use super::PageError;
use super::auth::PageCaller;
use super::format;
use super::input::Submitted;
use super::render::{Chrome, data, render};
use crate::AppState;
use crate::api::tasks::{query_pairs, query_value};
use crate::i18n::Lang;

#[derive(Serialize)]
struct Weekday {
    n: u8,
    label: String,
    on: bool,
}

#[derive(Serialize)]
struct DayRow {
    date: String,
    weekday: String,
    kind: String,
    kind_label: String,
    name: String,
}

#[derive(Serialize)]
struct YearView {
    year: i32,
    source: Option<String>,
    holidays: usize,
    workdays: usize,
    days: Vec<DayRow>,
}

/// What the page shows besides the calendar: messages and the import form as sent.
#[derive(Default)]
struct Extras {
    flash: Option<String>,
    errors: Vec<String>,
    import_year: Option<String>,
    import_source: Option<String>,
    import_text: Option<String>,
}

fn weekday_label(lang: Lang, n: u8) -> String {
    lang.message(&format!("ui.calendar.weekday.{n}"), &[])
}

fn years(def: &CalendarDef, lang: Lang) -> Vec<YearView> {
    def.years
        .iter()
        .rev()
        .map(|y| YearView {
            year: y.year,
            source: y.source.clone(),
            holidays: y.days.iter().filter(|d| d.kind == DayKind::Holiday).count(),
            workdays: y.days.iter().filter(|d| d.kind == DayKind::Workday).count(),
            days: y
                .days
                .iter()
                .map(|d| DayRow {
                    date: d.date.to_string(),
                    weekday: weekday_label(lang, d.date.weekday().number_from_monday()),
                    kind: d.kind.as_str().to_owned(),
                    kind_label: lang.message(&format!("ui.calendar.kind.{}", d.kind.as_str()), &[]),
                    name: d.name.clone(),
                })
                .collect(),
        })
        .collect()
}

fn hours_text(hours: &[WorkingHours]) -> String {
    hours
        .iter()
        .map(|h| format!("{}-{}", h.start, h.end))
        .collect::<Vec<_>>()
        .join(", ")
}

fn view(
    caller: &Caller,
    lang: Lang,
    here: String,
    settings: &CalendarSettings,
    extras: Extras,
    status: StatusCode,
) -> Response {
    let def = &settings.def;
    let weekdays: Vec<Weekday> = (1..=7)
        .map(|n| Weekday {
            n,
            label: weekday_label(lang, n),
            on: def.working_weekdays.contains(&n),
        })
        .collect();
    let chrome = Chrome::new(lang, Some(caller), here);
    let mut response = render(
        "admin_calendar.html",
        &chrome,
        context! {
            weekdays => data(&weekdays),
            hours => hours_text(&def.working_hours),
            years => data(&years(def, lang)),
            missing => settings.missing_years.clone(),
            updated_at => settings.updated_at.map(format::instant),
            updated_by => settings.updated_by.clone(),
            flash => extras.flash,
            errors => extras.errors,
            import_year => extras.import_year,
            import_source => extras.import_source,
            import_text => extras.import_text,
            nav_current => "calendar",
        },
    );
    *response.status_mut() = status;
    response
}

pub(crate) async fn show(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let settings = state
        .runtime
        .calendar_settings(&caller, OffsetDateTime::now_utc())
        .await?;
    let pairs = query_pairs(query.as_deref());
    let flash = match query_value(&pairs, "saved") {
        Some("week") => Some(lang.message("ui.calendar.saved_week", &[])),
        Some(year) if year.parse::<i32>().is_ok() => {
            Some(lang.message("ui.calendar.saved_year", &[("year", year)]))
        }
        _ => None,
    };
    let extras = Extras {
        flash,
        ..Extras::default()
    };
    Ok(view(
        &caller,
        lang,
        uri.to_string(),
        &settings,
        extras,
        StatusCode::OK,
    ))
}

/// The page again, 422, saying what was refused and keeping what was sent.
fn refused_page(
    caller: &Caller,
    lang: Lang,
    uri: &Uri,
    current: &CalendarSettings,
    extras: Extras,
) -> Response {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    view(caller, lang, uri.to_string(), current, extras, status)
}

/// The messages of an `Invalid` refusal in `lang`; other errors pass through.
fn refusals(e: RuntimeError, lang: Lang) -> Result<Vec<String>, PageError> {
    match e {
        RuntimeError::Invalid { problems } => Ok(problems
            .into_iter()
            .map(|p| p.message.get(lang.tag()).to_owned())
            .collect()),
        other => Err(other.into()),
    }
}

/// Working weekdays and hours (`09:00-12:00, 13:00-18:00`).
pub(crate) async fn save_week(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    form: Submitted,
) -> Result<Response, PageError> {
    let now = OffsetDateTime::now_utc();
    let current = state.runtime.calendar_settings(&caller, now).await?;
    let mut def = current.def.clone();
    def.working_weekdays = form
        .all("weekday")
        .iter()
        .filter_map(|w| w.parse().ok())
        .collect();
    def.working_hours = form
        .get("hours")
        .unwrap_or_default()
        .split([',', '，', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|span| {
            let (start, end) = span.split_once('-').unwrap_or((span, ""));
            WorkingHours {
                start: start.trim().to_owned(),
                end: end.trim().to_owned(),
            }
        })
        .collect();
    match state.runtime.save_calendar(&caller, def, now).await {
        Ok(_) => Ok(Redirect::to("/admin/calendar?saved=week").into_response()),
        Err(e) => {
            let extras = Extras {
                errors: refusals(e, lang)?,
                ..Extras::default()
            };
            Ok(refused_page(&caller, lang, &uri, &current, extras))
        }
    }
}

/// One year's holidays and make-up days from CSV or JSON lines.
pub(crate) async fn import(
    State(state): State<AppState>,
    lang: Lang,
    uri: Uri,
    PageCaller(caller): PageCaller,
    form: Submitted,
) -> Result<Response, PageError> {
    let now = OffsetDateTime::now_utc();
    let year_text = form.get("year").unwrap_or_default().trim().to_owned();
    let text = form.get("schedule").unwrap_or_default().to_owned();
    let source = form
        .get("source")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let outcome = match year_text.parse::<i32>() {
        Ok(year) if (1990..=2200).contains(&year) => state
            .runtime
            .import_calendar_year(&caller, year, &text, source.clone(), now)
            .await
            .map(|_| year),
        _ => Err(RuntimeError::Invalid {
            problems: vec![formwork_model::Problem::new(
                "/year",
                "bad_year",
                (
                    "请填写要导入的年份，例如 2027".into(),
                    "Enter the year to import, e.g. 2027".into(),
                ),
            )],
        }),
    };
    match outcome {
        Ok(year) => Ok(Redirect::to(&format!("/admin/calendar?saved={year}")).into_response()),
        Err(e) => {
            let errors = refusals(e, lang)?;
            let current = state.runtime.calendar_settings(&caller, now).await?;
            let extras = Extras {
                errors,
                import_year: Some(year_text),
                import_source: source,
                import_text: Some(text),
                ..Extras::default()
            };
            Ok(refused_page(&caller, lang, &uri, &current, extras))
        }
    }
}

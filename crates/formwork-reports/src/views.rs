//! Record views built from a listing's raw rows: kanban lanes, Gantt bars with their
//! milestones' schedule and critical path, and calendar events.
//!
//! Each takes the plan and the rows the database returned for it (before shaping), so lanes
//! keep the raw select value a drag must write, and dates stay dates.

use formwork_model::{Text, ViewDef};
use serde::Serialize;
use serde_json::Value;
use time::{Date, Duration};

use crate::filters::parse_date;
use crate::gantt::{Activity, GanttError, Scheduled, critical_path};
use crate::ir::{Body, Cell, Listing, Plan};
use crate::labels;

fn listing(plan: &Plan) -> Option<&Listing> {
    match &plan.body {
        Body::Listing(l) => Some(l),
        Body::Grouped(_) => None,
    }
}

fn column(plan: &Plan, key: Option<&String>) -> Option<usize> {
    let key = key?;
    listing(plan)?
        .columns
        .iter()
        .position(|p| &p.output.key == key)
}

fn cell_text(row: &[Cell], i: Option<usize>) -> Option<String> {
    match row.get(i?)? {
        Cell::Text(t) => Some(t.clone()),
        _ => None,
    }
}

fn cell_date(row: &[Cell], i: Option<usize>) -> Option<Date> {
    match row.get(i?)? {
        Cell::Date(d) => Some(*d),
        Cell::Text(t) => parse_date(t),
        _ => None,
    }
}

/// One kanban lane: a select option (or none) and the rows in it, by index.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lane {
    /// The option value a card dragged here gets; `None` for the lane of cards without one.
    pub value: Option<String>,
    pub label: String,
    pub cards: Vec<usize>,
}

/// Lanes in option order, then a lane for cards without a known option (only if any).
pub fn kanban_lanes(plan: &Plan, view: &ViewDef, rows: &[Vec<Cell>], lang: &str) -> Vec<Lane> {
    let Some(l) = listing(plan) else {
        return Vec::new();
    };
    let lane = column(plan, view.lane.as_ref());
    let options = lane
        .and_then(|i| l.columns.get(i))
        .map(|p| p.display.labels.clone())
        .unwrap_or_default();
    let mut lanes: Vec<Lane> = options
        .into_iter()
        .map(|(value, label)| Lane {
            value: Some(value),
            label,
            cards: Vec::new(),
        })
        .collect();
    let mut loose = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let value = cell_text(row, lane);
        match lanes
            .iter_mut()
            .find(|l| l.value.is_some() && l.value == value)
        {
            Some(l) => l.cards.push(r),
            None => loose.push(r),
        }
    }
    if !loose.is_empty() {
        lanes.push(Lane {
            value: None,
            label: labels::pick(lang, "未分类", "Unassigned"),
            cards: loose,
        });
    }
    lanes
}

/// A milestone of a Gantt bar with its place in the project's schedule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GanttMilestone {
    pub title: String,
    pub start: Option<Date>,
    pub end: Option<Date>,
    pub depends_on: Vec<String>,
    pub schedule: Scheduled,
    /// `schedule`'s earliest start and finish as dates, from the bar's start (or the first
    /// milestone date); `None` when nothing is dated.
    pub earliest_start: Option<Date>,
    pub earliest_finish: Option<Date>,
}

/// One record as a Gantt bar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GanttBar {
    /// Index of the row.
    pub row: usize,
    pub record_id: String,
    pub title: String,
    pub start: Option<Date>,
    pub end: Option<Date>,
    pub milestones: Vec<GanttMilestone>,
    /// Days the milestones take end to end.
    pub duration_days: i64,
    pub critical_paths: Vec<Vec<String>>,
    /// Why the milestones could not be scheduled (a cycle, an unknown dependency).
    pub problem: Option<Text>,
}

/// Titles a milestone waits for, from text separated by `,` `，` `、` `;` or `；`.
pub fn split_dependencies(text: &str) -> Vec<String> {
    text.split([',', '，', '、', ';', '；'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whole days a dated milestone takes: both dates inclusive; a due date alone or no date
/// makes it a point in time (0 days); a start alone, one day.
pub fn milestone_days(start: Option<Date>, end: Option<Date>) -> i64 {
    match (start, end) {
        (Some(s), Some(e)) => (e - s).whole_days() + 1,
        (Some(_), None) => 1,
        (None, _) => 0,
    }
}

fn problem(e: &GanttError) -> Text {
    let (zh, en) = e.texts();
    Text::zh_en(zh, en)
}

/// Gantt bars of a Gantt report's rows, each with its milestones scheduled by the critical
/// path method.
pub fn gantt_bars(plan: &Plan, view: &ViewDef, rows: &[Vec<Cell>]) -> Vec<GanttBar> {
    let (title, start, end) = (
        column(plan, view.title.as_ref()),
        column(plan, view.start.as_ref()),
        column(plan, view.end.as_ref()),
    );
    let ms_def = view.milestones.as_ref();
    let ms_col = column(plan, ms_def.map(|m| &m.field));
    rows.iter()
        .enumerate()
        .map(|(r, row)| {
            let record_id = cell_text(row, Some(0)).unwrap_or_default();
            let items = match (ms_col.and_then(|i| row.get(i)), ms_def) {
                (Some(Cell::Json(Value::Array(items))), Some(def)) => items
                    .iter()
                    .map(|m| {
                        let get =
                            |k: Option<&String>| k.and_then(|k| m.get(k)).and_then(Value::as_str);
                        (
                            get(Some(&def.title)).unwrap_or_default().to_owned(),
                            get(def.start.as_ref()).and_then(parse_date),
                            get(Some(&def.end)).and_then(parse_date),
                            get(def.depends_on.as_ref())
                                .map(split_dependencies)
                                .unwrap_or_default(),
                        )
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let bar_start = cell_date(row, start);
            let mut bar = GanttBar {
                row: r,
                title: cell_text(row, title).unwrap_or_else(|| record_id.clone()),
                record_id,
                start: bar_start,
                end: cell_date(row, end),
                milestones: Vec::new(),
                duration_days: 0,
                critical_paths: Vec::new(),
                problem: None,
            };
            let activities: Vec<Activity> = items
                .iter()
                .map(|(t, s, e, deps)| Activity {
                    id: t.clone(),
                    duration: milestone_days(*s, *e),
                    depends_on: deps.clone(),
                })
                .collect();
            let origin =
                bar_start.or_else(|| items.iter().filter_map(|(_, s, e, _)| s.or(*e)).min());
            match critical_path(&activities) {
                Err(e) => bar.problem = Some(problem(&e)),
                Ok(schedule) => {
                    let at = |days: i64| origin.and_then(|o| o.checked_add(Duration::days(days)));
                    bar.duration_days = schedule.duration;
                    bar.critical_paths = schedule.critical_paths;
                    bar.milestones = items
                        .into_iter()
                        .zip(schedule.activities)
                        .map(|((title, start, end, depends_on), s)| GanttMilestone {
                            title,
                            start,
                            end,
                            depends_on,
                            earliest_start: at(s.earliest_start),
                            earliest_finish: at(s.earliest_finish),
                            schedule: s,
                        })
                        .collect();
                }
            }
            bar
        })
        .collect()
}

/// A record on a calendar: its row and its days (one, or `date` through `end`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarEvent {
    pub row: usize,
    pub date: Date,
    pub end: Option<Date>,
}

/// Events of a calendar report's rows, by date; rows without a date are left out.
pub fn calendar_events(plan: &Plan, view: &ViewDef, rows: &[Vec<Cell>]) -> Vec<CalendarEvent> {
    let (date, end) = (
        column(plan, view.date.as_ref()),
        column(plan, view.end.as_ref()),
    );
    let mut out: Vec<CalendarEvent> = rows
        .iter()
        .enumerate()
        .filter_map(|(row, cells)| {
            let d = cell_date(cells, date)?;
            let end = cell_date(cells, end).filter(|e| *e > d);
            Some(CalendarEvent { row, date: d, end })
        })
        .collect();
    out.sort_by_key(|e| (e.date, e.row));
    out
}

/// A two-key grouped result laid out as a cross table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pivot {
    /// Labels of the first key, in the result's order.
    pub rows: Vec<Value>,
    /// Labels of the second key, in order of first appearance.
    pub columns: Vec<Value>,
    /// The measure columns.
    pub measures: Vec<crate::ir::OutputColumn>,
    /// `cells[row][column]`: the measures' values, or `None` where no group exists.
    pub cells: Vec<Vec<Option<Vec<Value>>>>,
}

/// Lays out a shaped pivot report (two group keys, then measures) as a cross table.
pub fn pivot(table: &crate::shape::Table) -> Option<Pivot> {
    let measures = table.columns.get(2..)?.to_vec();
    let (mut rows, mut columns): (Vec<Value>, Vec<Value>) = (Vec::new(), Vec::new());
    for r in &table.rows {
        let (a, b) = (r.first()?, r.get(1)?);
        if !rows.contains(a) {
            rows.push(a.clone());
        }
        if !columns.contains(b) {
            columns.push(b.clone());
        }
    }
    let mut cells = vec![vec![None; columns.len()]; rows.len()];
    for r in &table.rows {
        let i = rows.iter().position(|x| Some(x) == r.first())?;
        let j = columns.iter().position(|x| Some(x) == r.get(1))?;
        cells[i][j] = Some(r.get(2..)?.to_vec());
    }
    Some(Pivot {
        rows,
        columns,
        measures,
        cells,
    })
}

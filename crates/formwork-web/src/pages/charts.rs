//! The typed chart spec a report page hands to its chart script (`web-assets/src/charts.js`):
//! kind, categories, series with their number format, and each category's click-through.
//! Everything in it is computed from the report definition and its result; the analyst never
//! supplies chart options, script or HTML, so a package cannot inject anything into a page.
//! The server-drawn bars and the data table stay in the page as the fallback without
//! JavaScript; the script only draws over them.

use formwork_model::ViewKind;
use formwork_runtime::reports::{Body, ReportRun, Table, ValueType};
use serde::Serialize;
use serde_json::Value;

use crate::i18n::Lang;

/// A chart as the script draws it.
#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct ChartSpec {
    /// `bar`, `line` or `pie`.
    pub kind: &'static str,
    /// `zh-CN` or `en`: number formats and the script's own words.
    pub lang: &'static str,
    /// One label per group, in the table's order.
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    /// Where a click on category `i` goes (the filtered record list), if anywhere.
    pub links: Vec<Option<String>>,
}

/// One measure over the categories.
#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct Series {
    pub name: String,
    /// `money` (¥ with thousands separators), `number`, `percent` (drawn with `%`) or
    /// `duration` (seconds).
    pub format: &'static str,
    /// `null` where a group has no value yet (drawn as a gap, not a zero).
    pub values: Vec<Option<f64>>,
}

fn format_of(value_type: ValueType, percent: bool) -> Option<&'static str> {
    match value_type {
        ValueType::Money => Some("money"),
        ValueType::Number if percent => Some("percent"),
        ValueType::Number => Some("number"),
        ValueType::Duration => Some("duration"),
        _ => None,
    }
}

/// Whether each column of a report's table is a percentage: the measures of a grouped report
/// computed as a share, rate or percent difference. The bars, the data table and the chart all
/// print these with `%`.
pub(super) fn percent_columns(run: &ReportRun) -> Vec<bool> {
    let Body::Grouped(g) = &run.plan.body else {
        return vec![false; run.table.columns.len()];
    };
    let measures = g.measures.iter().map(|m| m.formula.is_percent());
    std::iter::repeat_n(false, g.keys.len())
        .chain(measures)
        .collect()
}

/// A cell of a percent column as people read it (`33.3%`); other cells, and cells without a
/// value, as they are.
pub(super) fn with_percent_sign(cell: &Value, percent: bool) -> Value {
    match cell {
        Value::Number(n) if percent => Value::String(format!("{n}%")),
        Value::String(s) if percent && !s.is_empty() => Value::String(format!("{s}%")),
        other => other.clone(),
    }
}

/// The report's table as its page shows it: percent cells with their `%`.
pub(super) fn shown_table(run: &ReportRun) -> Table {
    let percent = percent_columns(run);
    let shown = |row: &Vec<Value>| -> Vec<Value> {
        row.iter()
            .zip(percent.iter().chain(std::iter::repeat(&false)))
            .map(|(cell, p)| with_percent_sign(cell, *p))
            .collect()
    };
    Table {
        columns: run.table.columns.clone(),
        rows: run.table.rows.iter().map(shown).collect(),
        totals: run.table.totals.as_ref().map(shown),
    }
}

fn label_of(cells: &[Value], total: &str) -> String {
    let label = cells
        .iter()
        .map(|v| match v {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" · ");
    if label.is_empty() {
        total.to_owned()
    } else {
        label
    }
}

/// The chart of a grouped bar, line or pie report with a numeric measure; `None` for every
/// other report (tables, pivots, record views, single numbers), which keep their own output.
/// Bar and line charts draw every measure of the first measure's format (a money sum and a
/// percent share do not share an axis); a pie draws the first measure only. A report whose
/// measures have no value yet keeps its fallback, which says so.
pub(crate) fn chart_spec(run: &ReportRun, lang: Lang) -> Option<ChartSpec> {
    let kind = match run.def.view.kind {
        ViewKind::Bar => "bar",
        ViewKind::Line => "line",
        ViewKind::Pie => "pie",
        _ => return None,
    };
    let Body::Grouped(g) = &run.plan.body else {
        return None;
    };
    let keys = g.keys.len();
    if keys == 0 || run.table.rows.is_empty() {
        return None;
    }
    let measures = &run.table.columns[keys.min(run.table.columns.len())..];
    let percent = percent_columns(run);
    let percent = &percent[keys.min(percent.len())..];
    let format = |i: usize, c: &formwork_runtime::reports::OutputColumn| {
        format_of(c.value_type, percent.get(i).copied().unwrap_or(false))
    };
    let first = format(0, measures.first()?)?;
    let total = lang.message("ui.report.total", &[]);
    let series = measures
        .iter()
        .enumerate()
        .filter(|(i, c)| format(*i, c) == Some(first))
        .take(if kind == "pie" { 1 } else { usize::MAX })
        .map(|(i, c)| Series {
            name: c.label.clone(),
            format: first,
            values: run
                .table
                .rows
                .iter()
                .map(|r| match r.get(keys + i) {
                    Some(Value::Number(n)) => n.as_f64(),
                    Some(Value::String(s)) => s.parse().ok(),
                    _ => None,
                })
                .collect(),
        })
        .collect::<Vec<Series>>();
    // Nothing to draw yet (e.g. no step finished): the fallback says "—" per group.
    if series.iter().all(|s| s.values.iter().all(Option::is_none)) {
        return None;
    }
    Some(ChartSpec {
        kind,
        lang: lang.tag(),
        categories: run
            .table
            .rows
            .iter()
            .map(|r| label_of(&r[..keys.min(r.len())], &total))
            .collect(),
        series,
        links: (0..run.table.rows.len())
            .map(|i| super::reports::click_through(run, i))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_numbers_money_and_durations_are_plotted() {
        assert_eq!(format_of(ValueType::Money, false), Some("money"));
        assert_eq!(format_of(ValueType::Number, false), Some("number"));
        assert_eq!(format_of(ValueType::Number, true), Some("percent"));
        assert_eq!(format_of(ValueType::Duration, false), Some("duration"));
        assert_eq!(format_of(ValueType::Text, false), None);
        assert_eq!(format_of(ValueType::Date, false), None);
    }

    #[test]
    fn percent_cells_get_their_sign_and_empty_ones_stay_empty() {
        let pct = |v: Value| with_percent_sign(&v, true);
        assert_eq!(pct(serde_json::json!(100)), Value::from("100%"));
        assert_eq!(pct(serde_json::json!(33.3)), Value::from("33.3%"));
        assert_eq!(pct(Value::from("12.5")), Value::from("12.5%"));
        assert_eq!(pct(Value::Null), Value::Null);
        assert_eq!(pct(Value::from("")), Value::from(""));
        assert_eq!(
            with_percent_sign(&serde_json::json!(7), false),
            serde_json::json!(7)
        );
    }

    #[test]
    fn a_group_without_a_label_is_the_total_and_two_keys_join() {
        assert_eq!(label_of(&[Value::Null], "合计"), "合计");
        assert_eq!(
            label_of(&[Value::from("华东"), Value::from("软件")], "合计"),
            "华东 · 软件"
        );
        assert_eq!(label_of(&[Value::from(2026)], "合计"), "2026");
    }
}

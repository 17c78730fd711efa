//! Shaping: the database's rows for a plan → the report data document
//! `{"columns": [{"key", "label", "type"}], "rows": [[…]]}`.
//!
//! Grouped results are finished here, exactly: averages and rates are divided from exact
//! sums and counts, shares of the total are taken over all groups before any cut, the groups
//! beyond the top N fold into one "others" row (sums and counts add, minimums and maximums
//! compare, ratios are divided after folding), and rows are ordered with nulls last.
//! Money is a decimal string with two decimals, rounded half away from zero (四舍五入);
//! other numbers are rounded to two decimals, durations to whole seconds.

use std::cmp::Ordering;

use formwork_forms::money::money_string;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;

use crate::error::PlanError;
use crate::filters::decimal;
use crate::ir::{
    AggFn, Body, Cell, Display, Formula, Grouped, Listing, Order, OutputColumn, Plan, SortTarget,
    Unit, ValueType,
};
use crate::labels;

/// The report data document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub columns: Vec<OutputColumn>,
    /// Values in column order.
    pub rows: Vec<Vec<Value>>,
    /// For table views with totals: aligned with `columns`; the first (record id) column
    /// holds the row count, number and money columns their sums, the others null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totals: Option<Vec<Value>>,
}

/// Shapes the rows the database returned for `plan` (and the totals row, if the plan asked
/// for one) in `lang`.
pub fn shape(
    plan: &Plan,
    rows: Vec<Vec<Cell>>,
    totals: Option<Vec<Cell>>,
    lang: &str,
) -> Result<Table, PlanError> {
    match &plan.body {
        Body::Grouped(g) => grouped(g, rows, lang),
        Body::Listing(l) => listing(l, rows, totals, lang),
    }
}

/// A cell as an exact number, if it is one.
pub(crate) fn number(cell: &Cell) -> Option<Decimal> {
    match cell {
        Cell::Int(i) => Some(Decimal::from(*i)),
        Cell::Decimal(d) => Some(*d),
        Cell::Text(t) => decimal(t),
        _ => None,
    }
}

/// Orders cells of one column: numbers by value, everything else by its natural order.
fn compare(a: &Cell, b: &Cell) -> Ordering {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => match (a, b) {
            (Cell::Text(x), Cell::Text(y)) => x.cmp(y),
            (Cell::Date(x), Cell::Date(y)) => x.cmp(y),
            (Cell::Instant(x), Cell::Instant(y)) => x.cmp(y),
            (Cell::Bool(x), Cell::Bool(y)) => x.cmp(y),
            _ => Ordering::Equal,
        },
    }
}

/// `compare` with nulls after every value in both directions.
fn compare_directed(a: &Cell, b: &Cell, desc: bool) -> Ordering {
    match (a, b) {
        (Cell::Null, Cell::Null) => Ordering::Equal,
        (Cell::Null, _) => Ordering::Greater,
        (_, Cell::Null) => Ordering::Less,
        _ if desc => compare(b, a),
        _ => compare(a, b),
    }
}

struct Group {
    keys: Vec<Cell>,
    aggs: Vec<Cell>,
    /// The row folding the groups beyond the top N.
    others: bool,
    measures: Vec<Cell>,
}

fn fold(func: &AggFn, into: &mut Cell, next: &Cell) {
    let merged = match (func, &*into, next) {
        (_, _, Cell::Null) => return,
        (_, Cell::Null, n) => n.clone(),
        (AggFn::CountRows | AggFn::Count { .. } | AggFn::Sum { .. }, a, b) => match (a, b) {
            (Cell::Int(x), Cell::Int(y)) => Cell::Int(x.saturating_add(*y)),
            _ => match (number(a), number(b)) {
                (Some(x), Some(y)) => Cell::Decimal(x + y),
                _ => Cell::Null,
            },
        },
        (AggFn::Min { .. }, a, b) if compare(b, a) == Ordering::Less => b.clone(),
        (AggFn::Max { .. }, a, b) if compare(b, a) == Ordering::Greater => b.clone(),
        (AggFn::Min { .. } | AggFn::Max { .. }, a, _) => a.clone(),
        // Distinct counts and percentiles cannot be folded (the package check refuses them).
        (AggFn::CountDistinct { .. } | AggFn::Percentile { .. }, _, _) => Cell::Null,
    };
    *into = merged;
}

fn hundred() -> Decimal {
    Decimal::ONE_HUNDRED
}

/// One measure of one group; `totals` are the sums of each aggregate over all groups.
fn compute(formula: &Formula, unit: Unit, aggs: &[Cell], totals: &[Option<Decimal>]) -> Cell {
    let n = |i: usize| aggs.get(i).and_then(number);
    let div = |a: Option<Decimal>, b: Option<Decimal>| match (a, b) {
        (Some(a), Some(b)) if !b.is_zero() => a.checked_div(b),
        _ => None,
    };
    let value = match formula {
        Formula::Value { agg } => match unit {
            Unit::AsIs => return aggs.get(*agg).cloned().unwrap_or(Cell::Null),
            Unit::SecondsToHours => n(*agg),
        },
        Formula::Ratio { num, den, percent } => {
            div(n(*num), n(*den)).map(|v| if *percent { v * hundred() } else { v })
        }
        Formula::ShareOfTotal { agg } => {
            div(n(*agg), totals.get(*agg).copied().flatten()).map(|v| v * hundred())
        }
        Formula::Difference {
            a,
            b,
            percent: false,
        } => n(*a).zip(n(*b)).map(|(a, b)| a - b),
        Formula::Difference {
            a,
            b,
            percent: true,
        } => div(n(*a).zip(n(*b)).map(|(a, b)| a - b), n(*b)).map(|v| v * hundred()),
    };
    let value = match (unit, formula) {
        (Unit::SecondsToHours, Formula::Ratio { percent: false, .. } | Formula::Value { .. }) => {
            value.and_then(|v| v.checked_div(Decimal::from(3600)))
        }
        _ => value,
    };
    value.map_or(Cell::Null, Cell::Decimal)
}

fn sort_key(g: &Group, target: SortTarget) -> &Cell {
    let cell = match target {
        SortTarget::Key(i) => g.keys.get(i),
        SortTarget::Measure(i) => g.measures.get(i),
        SortTarget::Column(_) => None,
    };
    cell.unwrap_or(&Cell::Null)
}

fn order_groups(groups: &mut [Group], order: &[Order], keys: usize) {
    groups.sort_by(|a, b| {
        let by_order = order
            .iter()
            .map(|o| compare_directed(sort_key(a, o.target), sort_key(b, o.target), o.desc));
        let by_keys = (0..keys).map(|k| {
            compare_directed(
                sort_key(a, SortTarget::Key(k)),
                sort_key(b, SortTarget::Key(k)),
                false,
            )
        });
        by_order
            .chain(by_keys)
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
}

fn grouped(g: &Grouped, rows: Vec<Vec<Cell>>, lang: &str) -> Result<Table, PlanError> {
    if rows.len() as u64 > g.max_groups {
        return Err(PlanError::TooManyGroups { max: g.max_groups });
    }
    let (k, a) = (g.keys.len(), g.aggregates.len());
    let mut groups = Vec::with_capacity(rows.len());
    for (i, mut row) in rows.into_iter().enumerate() {
        if row.len() != k + a {
            return Err(PlanError::RowMismatch {
                row: i + 1,
                detail: format!("{} cells, expected {}", row.len(), k + a),
            });
        }
        let aggs = row.split_off(k);
        groups.push(Group {
            keys: row,
            aggs,
            others: false,
            measures: Vec::new(),
        });
    }
    let totals: Vec<Option<Decimal>> = (0..a)
        .map(|i| {
            groups
                .iter()
                .filter_map(|gr| number(&gr.aggs[i]))
                .fold(None, |acc: Option<Decimal>, v| {
                    Some(acc.unwrap_or_default() + v)
                })
        })
        .collect();
    let measure_all = |groups: &mut [Group]| {
        for gr in groups.iter_mut() {
            gr.measures = g
                .measures
                .iter()
                .map(|m| compute(&m.formula, m.unit, &gr.aggs, &totals))
                .collect();
        }
    };
    measure_all(&mut groups);
    order_groups(&mut groups, &g.order, k);
    let mut folded = None;
    if let Some((n, others)) = g.top {
        let rest = groups.split_off((n as usize).min(groups.len()));
        if others && !rest.is_empty() {
            let mut aggs = vec![Cell::Null; a];
            for gr in &rest {
                for (i, agg) in g.aggregates.iter().enumerate() {
                    fold(&agg.func, &mut aggs[i], &gr.aggs[i]);
                }
            }
            let mut other = Group {
                keys: vec![Cell::Null; k],
                aggs,
                others: true,
                measures: Vec::new(),
            };
            measure_all(std::slice::from_mut(&mut other));
            folded = Some(other);
        }
    }
    if let Some(limit) = g.limit {
        groups.truncate(limit as usize);
    }
    groups.extend(folded);
    let mut columns: Vec<OutputColumn> = g.keys.iter().map(|kp| kp.column.clone()).collect();
    columns.extend(g.measures.iter().map(|m| m.column.clone()));
    let rows = groups
        .iter()
        .map(|gr| {
            let mut out = Vec::with_capacity(columns.len());
            for (kp, cell) in g.keys.iter().zip(&gr.keys) {
                out.push(match (gr.others, cell, kp.key.bucket) {
                    (true, _, _) => Value::String(labels::others(lang)),
                    (false, Cell::Null, _) => Value::String(labels::empty(lang)),
                    (false, Cell::Date(d), Some(b)) => Value::String(labels::bucket(lang, b, *d)),
                    (false, cell, _) => render(cell, kp.column.value_type, &kp.display, lang),
                });
            }
            for (m, cell) in g.measures.iter().zip(&gr.measures) {
                out.push(render(cell, m.column.value_type, &Display::default(), lang));
            }
            out
        })
        .collect();
    Ok(Table {
        columns,
        rows,
        totals: None,
    })
}

fn listing(
    l: &Listing,
    rows: Vec<Vec<Cell>>,
    totals: Option<Vec<Cell>>,
    lang: &str,
) -> Result<Table, PlanError> {
    let columns: Vec<OutputColumn> = l.columns.iter().map(|p| p.output.clone()).collect();
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        if row.len() != columns.len() {
            return Err(PlanError::RowMismatch {
                row: i + 1,
                detail: format!("{} cells, expected {}", row.len(), columns.len()),
            });
        }
        out.push(
            l.columns
                .iter()
                .zip(row)
                .map(|(p, cell)| {
                    let cell = match p.unit {
                        Unit::SecondsToHours => number(cell)
                            .and_then(|s| s.checked_div(Decimal::from(3600)))
                            .map_or(Cell::Null, Cell::Decimal),
                        Unit::AsIs => cell.clone(),
                    };
                    render(&cell, p.output.value_type, &p.display, lang)
                })
                .collect(),
        );
    }
    let totals = match (&l.totals, totals) {
        (Some(plan), Some(cells)) => {
            let empty = [Vec::new()];
            let t = grouped(plan, vec![cells], lang)?;
            let row = t.rows.first().unwrap_or(&empty[0]);
            Some(
                columns
                    .iter()
                    .map(|c| {
                        t.columns
                            .iter()
                            .position(|tc| tc.key == c.key)
                            .and_then(|i| row.get(i).cloned())
                            .unwrap_or(Value::Null)
                    })
                    .collect(),
            )
        }
        _ => None,
    };
    Ok(Table {
        columns,
        rows: out,
        totals,
    })
}

fn rounded(d: Decimal, places: u32) -> Decimal {
    d.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
}

/// A JSON number for an exact decimal (integers stay integers).
fn json_number(d: Decimal) -> Value {
    let d = d.normalize();
    if d.scale() == 0
        && let Ok(i) = i64::try_from(d)
    {
        return Value::from(i);
    }
    serde_json::from_str::<Value>(&d.to_string()).unwrap_or(Value::Null)
}

/// One cell as the JSON of its column's type.
pub(crate) fn render(cell: &Cell, value_type: ValueType, display: &Display, lang: &str) -> Value {
    if let Cell::Bool(b) = cell {
        return Value::String(labels::boolean(lang, *b));
    }
    match (value_type, cell) {
        (_, Cell::Null) => Value::Null,
        (ValueType::Money, c) => match number(c) {
            Some(d) => Value::String(money_string(rounded(d, 2))),
            None => Value::Null,
        },
        (ValueType::Number, c) => number(c).map_or(Value::Null, |d| json_number(rounded(d, 2))),
        (ValueType::Duration, c) => number(c).map_or(Value::Null, |d| json_number(rounded(d, 0))),
        (_, Cell::Date(d)) => Value::String(d.to_string()),
        (_, Cell::Instant(t)) => t.format(&Rfc3339).map_or(Value::Null, Value::String),
        (_, Cell::Json(v)) => v.clone(),
        (_, Cell::Text(t)) => Value::String(
            display
                .labels
                .iter()
                .find(|(v, _)| v == t)
                .map_or_else(|| t.clone(), |(_, label)| label.clone()),
        ),
        (_, Cell::Int(i)) => Value::from(*i),
        (_, Cell::Decimal(d)) => json_number(*d),
        (_, Cell::Bool(_)) => Value::Null,
    }
}

//! Report select items back from text: every item comes out of the database as text (or
//! NULL), and one decoder turns it into the [`Cell`] the plan expects, on both databases.

use formwork_reports::ir::{Cell, CellType};
use rust_decimal::Decimal;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::report::Decode;

fn decimal_text(text: &str) -> Option<Decimal> {
    use std::str::FromStr as _;
    let t = text.trim();
    Decimal::from_str(t)
        .or_else(|_| Decimal::from_scientific(t))
        .ok()
        .or_else(|| t.parse::<f64>().ok().and_then(Decimal::from_f64_retain))
}

/// One text select item as the [`Cell`] the plan expects.
pub fn decode(text: Option<&str>, how: Decode) -> Cell {
    let Some(t) = text else { return Cell::Null };
    let cell = match how.cell {
        CellType::Text => Some(Cell::Text(t.to_owned())),
        CellType::Int => t
            .parse::<i64>()
            .ok()
            .or_else(|| decimal_text(t).and_then(|d| i64::try_from(d.trunc()).ok()))
            .map(Cell::Int),
        CellType::Decimal => decimal_text(t).map(|mut d| {
            if how.scale > 0 {
                d.set_scale(d.scale() + how.scale).ok();
            }
            Cell::Decimal(d.normalize())
        }),
        CellType::Bool => match t {
            "1" | "true" | "t" => Some(Cell::Bool(true)),
            "0" | "false" | "f" => Some(Cell::Bool(false)),
            _ => None,
        },
        CellType::Date => Date::parse(
            t.get(..10).unwrap_or(t),
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .ok()
        .map(Cell::Date),
        CellType::Instant => OffsetDateTime::parse(t, &Rfc3339).ok().map(Cell::Instant),
        CellType::Json => match serde_json::from_str(t) {
            Ok(serde_json::Value::Null) | Err(_) => None,
            Ok(v) => Some(Cell::Json(v)),
        },
    };
    cell.unwrap_or(Cell::Null)
}

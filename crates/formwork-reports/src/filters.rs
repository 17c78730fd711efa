//! Filters and viewer parameters turned into bound, typed [`Condition`]s.
//!
//! Parameters come from query strings: a date range `{id}` as `{id}.from` and `{id}.to`
//! (`YYYY-MM-DD`, both inclusive, either optional); a choice `{id}` as one value, several
//! separated by `|`, or the key repeated. Date ranges on instants cover whole days in
//! Asia/Shanghai: `from 00:00 +08:00 ≤ t < (to + 1 day) 00:00 +08:00`.

use std::collections::BTreeMap;
use std::str::FromStr;

use formwork_model::{FilterDef, FilterOp, ParamDef, ParamKind};
use rust_decimal::Decimal;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::columns::{Resolved, Resolver, require};
use crate::error::PlanError;
use crate::ir::{CellType, Condition, Operand, Scalar};

/// Asia/Shanghai: UTC+8 all year (no daylight saving since 1991), so a fixed offset is exact.
pub const SHANGHAI: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// Parses `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text.trim(), format_description!("[year]-[month]-[day]")).ok()
}

/// The instant a day starts in Asia/Shanghai.
pub fn day_start(date: Date) -> OffsetDateTime {
    PrimitiveDateTime::new(date, Time::MIDNIGHT)
        .assume_offset(SHANGHAI)
        .to_offset(UtcOffset::UTC)
}

/// A viewer's value for one parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamValue {
    DateRange {
        from: Option<Date>,
        to: Option<Date>,
    },
    Values(Vec<String>),
}

/// The viewer's parameter values by parameter id; absent means "not narrowed".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParamValues(pub BTreeMap<String, ParamValue>);

impl ParamValues {
    /// Reads the values of `defs` from query pairs; unrelated keys are ignored.
    pub fn from_query(defs: &[ParamDef], pairs: &[(String, String)]) -> Result<Self, PlanError> {
        let mut out = BTreeMap::new();
        for def in defs {
            let bad = |detail: String| PlanError::BadParam {
                param: def.id.clone(),
                detail,
            };
            match def.kind {
                ParamKind::DateRange => {
                    let date = |suffix: &str| -> Result<Option<Date>, PlanError> {
                        let key = format!("{}.{suffix}", def.id);
                        match pairs.iter().rev().find(|(k, _)| *k == key) {
                            Some((_, v)) if v.trim().is_empty() => Ok(None),
                            Some((_, v)) => parse_date(v)
                                .map(Some)
                                .ok_or_else(|| bad(format!("`{key}` is not a YYYY-MM-DD date"))),
                            None => Ok(None),
                        }
                    };
                    let (from, to) = (date("from")?, date("to")?);
                    if let (Some(f), Some(t)) = (from, to)
                        && f > t
                    {
                        return Err(bad("the start is after the end".into()));
                    }
                    if from.is_some() || to.is_some() {
                        out.insert(def.id.clone(), ParamValue::DateRange { from, to });
                    }
                }
                ParamKind::Select => {
                    let values: Vec<String> = pairs
                        .iter()
                        .filter(|(k, _)| *k == def.id)
                        .flat_map(|(_, v)| v.split('|'))
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .map(str::to_owned)
                        .collect();
                    if !values.is_empty() {
                        out.insert(def.id.clone(), ParamValue::Values(values));
                    }
                }
            }
        }
        Ok(ParamValues(out))
    }
}

/// A JSON filter value as a scalar of `r`'s type, or `None` when it does not fit.
fn scalar(r: &Resolved, value: &Value) -> Option<Scalar> {
    let text = match value {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    Some(match r.column.cell_type() {
        CellType::Text if !r.display.boolean => Scalar::Text(text?),
        CellType::Int | CellType::Decimal => {
            let t = text?;
            Scalar::Number(
                Decimal::from_str_exact(&t)
                    .or_else(|_| Decimal::from_scientific(&t))
                    .ok()?,
            )
        }
        CellType::Date => Scalar::Date(parse_date(&text?)?),
        CellType::Instant => {
            let t = text?;
            match OffsetDateTime::parse(&t, &Rfc3339) {
                Ok(i) => Scalar::Instant(i.to_offset(UtcOffset::UTC)),
                Err(_) => Scalar::Instant(day_start(parse_date(&t)?)),
            }
        }
        CellType::Bool | CellType::Text => match value {
            Value::Bool(b) => Scalar::Bool(*b),
            Value::String(s) if s == "true" => Scalar::Bool(true),
            Value::String(s) if s == "false" => Scalar::Bool(false),
            _ => return None,
        },
        CellType::Json => return None,
    })
}

/// One analyst-written filter as a condition; `at` points at it in the report.
pub(crate) fn condition(
    resolver: &Resolver<'_>,
    filter: &FilterDef,
    at: &str,
) -> Result<Condition, PlanError> {
    let r = resolver.resolve(&filter.field, &format!("{at}/field"))?;
    let field_at = format!("{at}/field");
    require(r.is_scalar(), &field_at, &filter.field, "comparison")?;
    match filter.op {
        FilterOp::Contains => require(
            r.column.cell_type() == CellType::Text && !r.display.boolean,
            &field_at,
            &filter.field,
            "contains",
        )?,
        FilterOp::Lt | FilterOp::Le | FilterOp::Gt | FilterOp::Ge => {
            require(!r.display.boolean, &field_at, &filter.field, "comparison")?
        }
        _ => {}
    }
    let bad = |value: &Value| PlanError::BadValue {
        at: format!("{at}/value"),
        field: filter.field.clone(),
        value: value.to_string(),
    };
    let one = |value: &Value| scalar(&r, value).ok_or_else(|| bad(value));
    if let Some(other) = &filter.to_field {
        let other_at = format!("{at}/to_field");
        let o = resolver.resolve(other, &other_at)?;
        let comparison = matches!(
            filter.op,
            FilterOp::Eq | FilterOp::Ne | FilterOp::Lt | FilterOp::Le | FilterOp::Gt | FilterOp::Ge
        );
        require(
            comparison && o.is_scalar() && o.column.cell_type() == r.column.cell_type(),
            &other_at,
            other,
            "comparison",
        )?;
        return Ok(Condition {
            column: r.column,
            op: filter.op,
            operand: Operand::Column(o.column),
        });
    }
    let operand = match (filter.op, &filter.value) {
        (FilterOp::IsNull | FilterOp::NotNull, _) => Operand::None,
        (FilterOp::In, Some(Value::Array(items))) if !items.is_empty() => {
            Operand::List(items.iter().map(one).collect::<Result<_, _>>()?)
        }
        (FilterOp::In, v) | (_, v @ (None | Some(Value::Array(_)))) => {
            return Err(bad(v.as_ref().unwrap_or(&Value::Null)));
        }
        (FilterOp::Contains, Some(Value::String(s))) => Operand::Value(Scalar::Text(s.clone())),
        (_, Some(v)) => Operand::Value(one(v)?),
    };
    Ok(Condition {
        column: r.column,
        op: filter.op,
        operand,
    })
}

/// The conditions a parameter value adds; `at` points at the parameter's definition.
pub(crate) fn param_conditions(
    resolver: &Resolver<'_>,
    def: &ParamDef,
    value: &ParamValue,
    at: &str,
) -> Result<Vec<Condition>, PlanError> {
    let r = resolver.resolve(&def.field, &format!("{at}/field"))?;
    let field_at = format!("{at}/field");
    let mismatch = || PlanError::BadParam {
        param: def.id.clone(),
        detail: "the value does not fit the parameter's kind".into(),
    };
    let cond = |op, operand| Condition {
        column: r.column.clone(),
        op,
        operand,
    };
    match (def.kind, value) {
        (ParamKind::DateRange, ParamValue::DateRange { from, to }) => {
            require(r.is_temporal(), &field_at, &def.field, "date range")?;
            let instants = r.column.cell_type() == CellType::Instant;
            let mut out = Vec::new();
            if let Some(from) = from {
                let v = match instants {
                    true => Scalar::Instant(day_start(*from)),
                    false => Scalar::Date(*from),
                };
                out.push(cond(FilterOp::Ge, Operand::Value(v)));
            }
            if let Some(to) = to {
                out.push(match (instants, to.next_day()) {
                    (true, Some(next)) => cond(
                        FilterOp::Lt,
                        Operand::Value(Scalar::Instant(day_start(next))),
                    ),
                    (true, None) => return Err(mismatch()),
                    (false, _) => cond(FilterOp::Le, Operand::Value(Scalar::Date(*to))),
                });
            }
            Ok(out)
        }
        (ParamKind::Select, ParamValue::Values(values)) => {
            require(
                r.is_scalar() && !r.is_temporal(),
                &field_at,
                &def.field,
                "choice",
            )?;
            let items = values
                .iter()
                .map(|v| {
                    let json = match r.display.boolean {
                        true => Value::Bool(v == "true"),
                        false => Value::String(v.clone()),
                    };
                    scalar(&r, &json).ok_or_else(|| PlanError::BadParam {
                        param: def.id.clone(),
                        detail: format!("`{v}` does not fit field `{}`", def.field),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(vec![cond(FilterOp::In, Operand::List(items))])
        }
        _ => Err(mismatch()),
    }
}

/// `Decimal::from_str` for callers that hold text from the database.
pub(crate) fn decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str(text.trim())
        .or_else(|_| Decimal::from_scientific(text.trim()))
        .ok()
}

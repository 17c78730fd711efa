//! One measure of a grouped report → the aggregates it needs (shared with the report's other
//! measures: equal aggregates are computed once) and the formula that combines them.

use formwork_model::{Aggregate, FilterOp, MeasureDef};

use crate::columns::{Resolved, Resolver, require};
use crate::error::PlanError;
use crate::filters::condition;
use crate::ir::{
    AggFn, AggregateExpr, Condition, Formula, MeasurePlan, Operand, OutputColumn, Unit, ValueType,
};
use crate::labels;

/// Adds `agg` unless an equal one is there; its index.
pub(crate) fn push_agg(aggs: &mut Vec<AggregateExpr>, agg: AggregateExpr) -> usize {
    match aggs.iter().position(|a| *a == agg) {
        Some(i) => i,
        None => {
            aggs.push(agg);
            aggs.len() - 1
        }
    }
}

/// Plans measure `m` of a report, adding its aggregates to `aggs`.
pub(crate) fn measure(
    resolver: &Resolver<'_>,
    def: &MeasureDef,
    m: usize,
    aggs: &mut Vec<AggregateExpr>,
) -> Result<MeasurePlan, PlanError> {
    let at = format!("/measures/{m}");
    let field_at = format!("{at}/field");
    let mut when = Vec::new();
    for (w, f) in def.when.iter().enumerate() {
        when.push(condition(resolver, f, &format!("{at}/where/{w}"))?);
    }
    let field = match &def.field {
        Some(name) => Some((name.as_str(), resolver.resolve(name, &field_at)?)),
        None if def.func.needs_field() => {
            return Err(PlanError::Invalid {
                at,
                detail: format!("`{}` needs a field", def.func.name()),
            });
        }
        None => None,
    };
    let mut cx = Measure {
        resolver,
        def,
        at,
        field_at,
        when,
        field,
        aggs,
    };
    let (formula, value_type, unit) = cx.formula()?;
    let label = match &def.label {
        Some(text) => text.get(resolver.lang).to_owned(),
        None => labels::measure(
            resolver.lang,
            def.func.name(),
            cx.field.as_ref().map(|(_, r)| r.label.as_str()),
        ),
    };
    Ok(MeasurePlan {
        column: OutputColumn {
            key: def.key(),
            label,
            value_type,
        },
        formula,
        unit,
    })
}

/// What a measure's formula is built from.
type Planned = (Formula, ValueType, Unit);

/// A measure being planned: where it sits, its own `where` conditions and its resolved field.
struct Measure<'r, 'a> {
    resolver: &'r Resolver<'a>,
    def: &'r MeasureDef,
    at: String,
    field_at: String,
    when: Vec<Condition>,
    field: Option<(&'r str, Resolved)>,
    aggs: &'r mut Vec<AggregateExpr>,
}

impl Measure<'_, '_> {
    fn formula(&mut self) -> Result<Planned, PlanError> {
        let number = ValueType::Number;
        Ok(match self.def.func {
            Aggregate::Count => {
                let func = match &self.field {
                    Some((_, r)) => AggFn::Count {
                        column: r.column.clone(),
                    },
                    None => AggFn::CountRows,
                };
                (self.value(func), number, Unit::AsIs)
            }
            Aggregate::CountDistinct => {
                let r = self.scalar("grouping", true)?;
                let func = AggFn::CountDistinct {
                    column: r.column.clone(),
                };
                (self.value(func), number, Unit::AsIs)
            }
            Aggregate::Sum => {
                let r = self.additive()?;
                let (column, value_type, unit) = (r.column.clone(), r.value_type, r.unit);
                (self.value(AggFn::Sum { column }), value_type, unit)
            }
            Aggregate::Avg => self.average()?,
            Aggregate::Min | Aggregate::Max => {
                let r = self.scalar("min/max", false)?;
                let (column, value_type, unit) = (r.column.clone(), r.value_type, r.unit);
                let func = match self.def.func {
                    Aggregate::Min => AggFn::Min { column },
                    _ => AggFn::Max { column },
                };
                (self.value(func), value_type, unit)
            }
            Aggregate::Percent => {
                let func = match &self.field {
                    Some(_) => AggFn::Sum {
                        column: self.additive()?.column.clone(),
                    },
                    None => AggFn::CountRows,
                };
                let agg = self.push(func);
                (Formula::ShareOfTotal { agg }, number, Unit::AsIs)
            }
            Aggregate::Rate => self.rate()?,
            Aggregate::Percentile => self.percentile()?,
            Aggregate::Difference | Aggregate::DifferencePercent => self.difference()?,
        })
    }

    /// Adds `func` under the measure's own conditions; its index.
    fn push(&mut self, func: AggFn) -> usize {
        let filter = self.when.clone();
        push_agg(self.aggs, AggregateExpr { func, filter })
    }

    fn value(&mut self, func: AggFn) -> Formula {
        Formula::Value {
            agg: self.push(func),
        }
    }

    /// The field, which must be a number, money or a duration.
    fn additive(&self) -> Result<&Resolved, PlanError> {
        match &self.field {
            Some((name, r)) => require(r.is_additive(), &self.field_at, name, "sum").map(|_| r),
            None => Err(missing(&self.at)),
        }
    }

    /// The field, which must be one value per row (and no yes/no unless `boolean_ok`).
    fn scalar(&self, usage: &'static str, boolean_ok: bool) -> Result<&Resolved, PlanError> {
        let Some((name, r)) = &self.field else {
            return Err(missing(&self.at));
        };
        let fit = r.is_scalar() && (boolean_ok || !r.display.boolean);
        require(fit, &self.field_at, name, usage).map(|_| r)
    }

    fn average(&mut self) -> Result<Planned, PlanError> {
        let r = self.additive()?;
        let (column, value_type, unit) = (r.column.clone(), r.value_type, r.unit);
        let num = self.push(AggFn::Sum {
            column: column.clone(),
        });
        let den = self.push(AggFn::Count { column });
        let percent = false;
        Ok((Formula::Ratio { num, den, percent }, value_type, unit))
    }

    /// The share of rows meeting `where`: needs conditions, and counts all rows beneath.
    fn rate(&mut self) -> Result<Planned, PlanError> {
        if self.when.is_empty() {
            return Err(PlanError::Invalid {
                at: self.at.clone(),
                detail: "`rate` needs `where`".into(),
            });
        }
        let num = self.push(AggFn::CountRows);
        let all_rows = AggregateExpr {
            func: AggFn::CountRows,
            filter: Vec::new(),
        };
        let den = push_agg(self.aggs, all_rows);
        let percent = true;
        Ok((
            Formula::Ratio { num, den, percent },
            ValueType::Number,
            Unit::AsIs,
        ))
    }

    fn percentile(&mut self) -> Result<Planned, PlanError> {
        let r = self.additive()?;
        let (column, value_type, unit) = (r.column.clone(), r.value_type, r.unit);
        let p = self
            .def
            .p
            .filter(|p| (1..=99).contains(p))
            .ok_or_else(|| PlanError::Invalid {
                at: format!("{}/p", self.at),
                detail: "`p` must be 1 to 99".into(),
            })?;
        let fraction = rust_decimal::Decimal::new(i64::from(p), 2);
        let formula = self.value(AggFn::Percentile { column, fraction });
        Ok((formula, value_type, unit))
    }

    /// The field's sum minus the base field's, over rows where both are set.
    fn difference(&mut self) -> Result<Planned, PlanError> {
        let r = self.additive()?.clone();
        let base_name = self.def.base.as_deref().ok_or_else(|| missing(&self.at))?;
        let base_at = format!("{}/base", self.at);
        let base = self.resolver.resolve(base_name, &base_at)?;
        let same_kind = base.is_additive() && base.value_type == r.value_type;
        require(same_kind, &base_at, base_name, "sum")?;
        let mut both = self.when.clone();
        for c in [&r.column, &base.column] {
            both.push(Condition {
                column: c.clone(),
                op: FilterOp::NotNull,
                operand: Operand::None,
            });
        }
        let sum = |column| AggregateExpr {
            func: AggFn::Sum { column },
            filter: both.clone(),
        };
        let a = push_agg(self.aggs, sum(r.column.clone()));
        let b = push_agg(self.aggs, sum(base.column.clone()));
        let percent = self.def.func == Aggregate::DifferencePercent;
        let value_type = if percent {
            ValueType::Number
        } else {
            r.value_type
        };
        Ok((Formula::Difference { a, b, percent }, value_type, r.unit))
    }
}

fn missing(at: &str) -> PlanError {
    PlanError::Invalid {
        at: at.to_owned(),
        detail: "a field is needed".into(),
    }
}

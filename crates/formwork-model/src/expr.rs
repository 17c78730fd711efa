//! The one expression language of Formwork: minijinja expressions such as
//! `amount > 100000 and region == "华东"`, and minijinja templates for analyst-written texts.
//!
//! Expressions are compiled once and kept in a size-capped cache keyed by their source. They
//! run in one shared environment with a fuel budget, a recursion limit and strict undefined
//! values, so a typo fails loudly instead of reading as false. Templates always escape HTML,
//! whatever they are called, because analysts write them.
//!
//! The context an expression sees is a JSON object built by [`record_scope`] and then given the
//! system fields ([`SYSTEM_FIELDS`]):
//! - every top-level field of the form is present, `null` when the record lacks it, so strict
//!   undefined only trips on names that are not fields at all;
//! - money fields (widget `money`, stored as decimal strings like `"100000.30"`) are passed as
//!   **numbers**: an integer when the amount has no fraction, otherwise the nearest float, so
//!   `amount >= 50000` compares as analysts expect;
//! - dates and datetimes stay ISO strings, which compare correctly as strings
//!   (`end_date >= start_date`);
//! - `now` and `today` come from the context (`now` as an RFC 3339 UTC instant, `today` as
//!   `YYYY-MM-DD` in the viewer's zone), never from the clock, so evaluation stays repeatable;
//! - inside a sub-table, the row's fields are top-level names and `row` is the whole row.
//!
//! Comparing values of different types is false, not an error: `none >= "2026-01-01"` and
//! `1 > "x"` are both false, so checks on optional fields read `not a or a >= b`.
//!
//! Beyond minijinja's built-ins, `days_between(a, b)` gives the whole days from date `a` to `b`
//! and `coalesce(a, b, …)` the first argument that is not `none`.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use minijinja::value::{Rest, Serde};
use minijinja::{
    AutoEscape, Environment, ErrorKind, Expression, UndefinedBehavior, Value as JValue,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value};

use crate::def::FormDef;

/// Instructions one evaluation or render may execute.
pub const FUEL: u64 = 50_000;

/// How deep evaluation may recurse.
pub const RECURSION_LIMIT: usize = 64;

/// Compiled expressions kept before the cache starts over.
const CACHE_CAP: usize = 4_096;

/// Longest expression accepted, in characters.
pub const MAX_EXPRESSION_CHARS: usize = 2_000;

/// Longest template accepted, in characters.
pub const MAX_TEMPLATE_CHARS: usize = 20_000;

/// Most operators, brackets and dots one expression (or one `{{ }}` / `{% %}` tag) may hold.
///
/// minijinja compiles a chain like `a + a + … + a` recursively, about 2 KB of stack per link in
/// debug builds, so an overlong chain would overflow a worker thread's stack instead of failing.
pub const MAX_OPERATORS: usize = 100;

/// Names every record context provides besides the form's fields.
pub const SYSTEM_FIELDS: &[&str] = &[
    "id",
    "number",
    "owner",
    "status",
    "created_at",
    "updated_at",
    "submitter",
    "now",
    "today",
];

/// Fields of a task row, readable in reports whose source is `tasks`.
pub const TASK_FIELDS: &[&str] = &[
    "node",
    "assignee",
    "action",
    "duration_hours",
    "created_at",
    "decided_at",
    "process",
    "status",
    "due_at",
    "duration",
    "overdue",
];

/// The name under which a sub-table row is visible as a whole.
pub const ROW: &str = "row";

/// Why an expression or template could not be compiled or evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExprError {
    /// The source does not parse.
    #[error("syntax error: {message}")]
    Syntax { message: String },
    /// Evaluation did more work than [`FUEL`] allows.
    #[error("the expression does too much work and was stopped (out of fuel)")]
    OutOfFuel,
    /// A name or attribute it reads is not in the context.
    #[error("undefined value: {message}")]
    Undefined { message: String },
    /// Evaluation failed, e.g. adding a string to a number.
    #[error("evaluation failed: {message}")]
    Eval { message: String },
    /// The source is longer or more deeply chained than the limits allow.
    #[error("too complex: {message}")]
    TooComplex { message: String },
    /// The context is not a JSON object, or the result is not JSON.
    #[error("bad context or result: {message}")]
    Context { message: String },
}

type Compiled = Arc<Expression<'static, 'static>>;

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(RECURSION_LIMIT);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    // `debug` would dump the whole context into analyst-visible text.
    env.remove_global("debug");
    env.add_function("days_between", days_between);
    env.add_function("coalesce", coalesce);
    env
});

static CACHE: LazyLock<Mutex<HashMap<String, Compiled>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn compile(src: &str) -> Result<Compiled, ExprError> {
    if let Some(hit) = CACHE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(src)
    {
        return Ok(hit.clone());
    }
    guard_expression(src)?;
    let compiled = Arc::new(
        ENV.compile_expression_owned(src.to_owned())
            .map_err(|e| to_expr_error(&e, src, None))?,
    );
    let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
    if cache.len() >= CACHE_CAP {
        cache.clear();
    }
    cache.insert(src.to_owned(), compiled.clone());
    Ok(compiled)
}

/// Checks that `src` compiles.
pub fn check(src: &str) -> Result<(), ExprError> {
    compile(src).map(|_| ())
}

/// Top-level names `src` reads from its context (built-in functions are not listed).
pub fn variables(src: &str) -> Result<BTreeSet<String>, ExprError> {
    let compiled = compile(src)?;
    Ok(compiled
        .undeclared_variables(false)
        .into_iter()
        .filter(|name| !is_builtin(name))
        .collect())
}

/// Whether `name` is a function or value the environment itself provides.
pub fn is_builtin(name: &str) -> bool {
    ENV.globals().any(|(global, _)| global == name)
}

/// Evaluates `src` against `ctx`, a JSON object.
pub fn eval(src: &str, ctx: &Value) -> Result<Value, ExprError> {
    let value = eval_raw(src, ctx)?;
    serde_json::to_value(&value).map_err(|e| ExprError::Context {
        message: e.to_string(),
    })
}

/// Evaluates `src` against `ctx` and takes its truth (as `{% if %}` would).
pub fn eval_bool(src: &str, ctx: &Value) -> Result<bool, ExprError> {
    eval_raw(src, ctx).map(|v| v.is_true())
}

fn eval_raw(src: &str, ctx: &Value) -> Result<JValue, ExprError> {
    let root = context(ctx)?;
    let value = compile(src)?
        .eval(root)
        .map_err(|e| to_expr_error(&e, src, Some(ctx)))?;
    // Strict mode only fails when an undefined value is used, not when it is the result.
    if value.is_undefined() {
        return Err(ExprError::Undefined {
            message: missing_names(src, Some(ctx))
                .unwrap_or_else(|| "the result is undefined".to_owned()),
        });
    }
    Ok(value)
}

/// Top-level names a text template reads from its context (built-in functions are not
/// listed), or why it does not compile.
pub fn template_variables(template: &str) -> Result<BTreeSet<String>, ExprError> {
    guard_template(template)?;
    let compiled = ENV
        .template_from_named_str("text.html", template)
        .map_err(|e| to_expr_error(&e, template, None))?;
    Ok(compiled
        .undeclared_variables(false)
        .into_iter()
        .filter(|name| !is_builtin(name))
        .collect())
}

/// Renders an analyst-written text template (e.g. a notification) with HTML escaping on.
pub fn render(template: &str, ctx: &Value) -> Result<String, ExprError> {
    guard_template(template)?;
    let root = context(ctx)?;
    ENV.render_named_str("text.html", template, root)
        .map_err(|e| to_expr_error(&e, template, Some(ctx)))
}

fn guard_expression(src: &str) -> Result<(), ExprError> {
    let chars = src.chars().count();
    if chars > MAX_EXPRESSION_CHARS {
        return Err(ExprError::TooComplex {
            message: format!("{chars} characters, at most {MAX_EXPRESSION_CHARS}"),
        });
    }
    guard_operators(src)
}

fn guard_template(src: &str) -> Result<(), ExprError> {
    let chars = src.chars().count();
    if chars > MAX_TEMPLATE_CHARS {
        return Err(ExprError::TooComplex {
            message: format!("{chars} characters, at most {MAX_TEMPLATE_CHARS}"),
        });
    }
    let mut rest = src;
    while let Some(open) = rest.find(['{']) {
        let after = &rest[open + 1..];
        let close = match after.chars().next() {
            Some('{') => "}}",
            Some('%') => "%}",
            _ => {
                rest = after;
                continue;
            }
        };
        let body = &after[1..];
        let end = body.find(close).unwrap_or(body.len());
        guard_operators(&body[..end])?;
        rest = &body[end..];
    }
    Ok(())
}

fn guard_operators(src: &str) -> Result<(), ExprError> {
    let count = operator_count(src);
    if count > MAX_OPERATORS {
        return Err(ExprError::TooComplex {
            message: format!("{count} operators, at most {MAX_OPERATORS}"),
        });
    }
    Ok(())
}

/// An upper bound of how deeply `src` nests: its operators, brackets, dots and keyword operators.
fn operator_count(src: &str) -> usize {
    const WORDS: &[&str] = &["and", "or", "not", "in", "is", "if", "else"];
    let mut count = 0;
    let mut quote = None;
    let mut escaped = false;
    let mut word_start = None;
    for (i, c) in src.char_indices().chain([(src.len(), ' ')]) {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        if c.is_alphanumeric() || c == '_' {
            word_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = word_start.take()
            && WORDS.contains(&&src[start..i])
        {
            count += 1;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '+' | '-' | '*' | '/' | '%' | '~' | '|' | '.' | '<' | '>' | '=' | '!' | '(' | '['
            | '{' => count += 1,
            _ => {}
        }
    }
    count
}

fn context(ctx: &Value) -> Result<JValue, ExprError> {
    if ctx.is_object() {
        Ok(JValue::from(Serde(ctx)))
    } else {
        Err(ExprError::Context {
            message: "the context must be a JSON object".to_owned(),
        })
    }
}

fn to_expr_error(error: &minijinja::Error, src: &str, ctx: Option<&Value>) -> ExprError {
    let message = error
        .detail()
        .map_or_else(|| error.kind().to_string(), str::to_owned);
    match error.kind() {
        ErrorKind::SyntaxError => ExprError::Syntax { message },
        ErrorKind::OutOfFuel => ExprError::OutOfFuel,
        ErrorKind::UndefinedError => ExprError::Undefined {
            message: missing_names(src, ctx).unwrap_or(message),
        },
        _ => ExprError::Eval { message },
    }
}

/// Names `src` reads that `ctx` lacks, for a more useful undefined-value message.
fn missing_names(src: &str, ctx: Option<&Value>) -> Option<String> {
    let ctx = ctx?.as_object()?;
    let names = variables(src).ok()?;
    let missing: Vec<_> = names
        .iter()
        .filter(|n| !ctx.contains_key(*n))
        .cloned()
        .collect();
    (!missing.is_empty()).then(|| missing.join(", "))
}

/// The expression context of a record's `data` under `form`; see the module docs.
///
/// Add the system fields ([`SYSTEM_FIELDS`]) before evaluating.
pub fn record_scope(form: &FormDef, data: &Value) -> Map<String, Value> {
    let empty = Map::new();
    let data = data.as_object().unwrap_or(&empty);
    let mut scope = Map::new();
    for key in form.field_keys() {
        let value = data.get(key).cloned().unwrap_or(Value::Null);
        let ui = form.ui.fields.get(key);
        let value = match (ui, value) {
            (Some(ui), v) if ui.widget.as_deref() == Some("money") => money_number(v),
            (Some(ui), Value::Array(rows)) if !ui.fields.is_empty() => Value::Array(
                rows.into_iter()
                    .map(|row| money_in_row(&ui.fields, row))
                    .collect(),
            ),
            (_, v) => v,
        };
        scope.insert(key.to_owned(), value);
    }
    scope
}

/// The expression context of one sub-table row: the record scope, the row's fields, and `row`.
pub fn row_scope(record_scope: &Map<String, Value>, row: &Value) -> Map<String, Value> {
    let mut scope = record_scope.clone();
    if let Some(fields) = row.as_object() {
        scope.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    scope.insert(ROW.to_owned(), row.clone());
    scope
}

fn money_in_row(
    ui: &std::collections::BTreeMap<String, crate::def::FieldUiDef>,
    row: Value,
) -> Value {
    match row {
        Value::Object(mut fields) => {
            for (key, field_ui) in ui {
                if field_ui.widget.as_deref() == Some("money")
                    && let Some(v) = fields.get_mut(key)
                {
                    *v = money_number(v.take());
                }
            }
            Value::Object(fields)
        }
        other => other,
    }
}

/// A stored money string as a JSON number; anything else is left alone.
pub fn money_number(value: Value) -> Value {
    let Value::String(text) = &value else {
        return value;
    };
    let Ok(amount) = text.parse::<Decimal>() else {
        return value;
    };
    if amount.fract().is_zero()
        && let Some(whole) = amount.to_i64()
    {
        return Value::from(whole);
    }
    amount
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map_or(value, Value::Number)
}

fn days_between(from: &str, to: &str) -> Result<i64, minijinja::Error> {
    Ok(day_number(to)? - day_number(from)?)
}

fn coalesce(args: Rest<JValue>) -> JValue {
    args.iter()
        .find(|v| !v.is_none() && !v.is_undefined())
        .cloned()
        .unwrap_or(JValue::from(()))
}

/// Days since 1970-01-01 of an ISO date (a datetime's date part is used).
fn day_number(text: &str) -> Result<i64, minijinja::Error> {
    let bad = || {
        minijinja::Error::new(
            ErrorKind::InvalidOperation,
            format!("`{text}` is not a date like 2026-01-31"),
        )
    };
    let date = text.get(..10).ok_or_else(bad)?;
    let mut parts = date.splitn(3, '-');
    let mut next = || -> Result<i64, minijinja::Error> {
        parts
            .next()
            .and_then(|p| p.parse::<i64>().ok())
            .ok_or_else(bad)
    };
    let (y, m, d) = (next()?, next()?, next()?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok(era * 146_097 + doe - 719_468)
}

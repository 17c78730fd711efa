//! One spreadsheet cell read as the JSON value of a field kind (the table in
//! `formwork-forms`): exact money from text or from a number's shortest decimal text, dates
//! from Excel serials or the ways people type them, options by value or label, users and
//! departments through the caller's [`Directory`].

use formwork_forms::money::{money_string, parse_money};
use formwork_forms::{Field, FieldKind};
use formwork_model::Text;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::read::{RawCell, number_text};

/// Resolves people and departments named in a sheet.
pub trait Directory {
    /// The username of the user a cell names, by username or display name.
    fn user(&self, text: &str) -> Option<String>;
    /// The id of the department a cell names, by id or name.
    fn department(&self, text: &str) -> Option<String>;
}

/// Why a cell could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellFault {
    NotANumber,
    NotAnInteger,
    BadMoney,
    NotADate,
    NotADatetime,
    NotABoolean,
    UnknownOption(String),
    UnknownUser(String),
    UnknownDepartment(String),
    BadJson,
    NotImportable,
    ErrorValue(String),
}

impl CellFault {
    pub fn code(&self) -> &'static str {
        match self {
            CellFault::NotANumber => "not_a_number",
            CellFault::NotAnInteger => "not_an_integer",
            CellFault::BadMoney => "bad_money",
            CellFault::NotADate => "not_a_date",
            CellFault::NotADatetime => "not_a_datetime",
            CellFault::NotABoolean => "not_a_boolean",
            CellFault::UnknownOption(_) => "unknown_option",
            CellFault::UnknownUser(_) => "unknown_user",
            CellFault::UnknownDepartment(_) => "unknown_department",
            CellFault::BadJson => "bad_json",
            CellFault::NotImportable => "not_importable",
            CellFault::ErrorValue(_) => "error_value",
        }
    }

    /// The message for a field labelled `label`, in zh-CN and en.
    pub fn message(&self, label: &Text) -> Text {
        let (zh_l, en_l) = (label.get("zh-CN"), label.get("en"));
        let (zh, en) = match self {
            CellFault::NotANumber => (
                format!("「{zh_l}」须为数字"),
                format!("{en_l} must be a number"),
            ),
            CellFault::NotAnInteger => (
                format!("「{zh_l}」须为整数"),
                format!("{en_l} must be a whole number"),
            ),
            CellFault::BadMoney => (
                format!("「{zh_l}」须为金额，最多两位小数"),
                format!("{en_l} must be an amount with at most two decimals"),
            ),
            CellFault::NotADate => (
                format!("「{zh_l}」须为日期，如 2026-03-01"),
                format!("{en_l} must be a date such as 2026-03-01"),
            ),
            CellFault::NotADatetime => (
                format!("「{zh_l}」须为日期时间，如 2026-03-01 09:30"),
                format!("{en_l} must be a date and time such as 2026-03-01 09:30"),
            ),
            CellFault::NotABoolean => (
                format!("「{zh_l}」须为“是”或“否”"),
                format!("{en_l} must be yes or no"),
            ),
            CellFault::UnknownOption(v) => (
                format!("「{zh_l}」没有选项“{v}”"),
                format!("{en_l} has no option \"{v}\""),
            ),
            CellFault::UnknownUser(v) => (format!("找不到用户“{v}”"), format!("no user \"{v}\"")),
            CellFault::UnknownDepartment(v) => {
                (format!("找不到部门“{v}”"), format!("no department \"{v}\""))
            }
            CellFault::BadJson => (
                format!("「{zh_l}」的内容无法读取"),
                format!("{en_l} cannot be read"),
            ),
            CellFault::NotImportable => (
                format!("「{zh_l}」不能通过表格导入"),
                format!("{en_l} cannot be imported from a spreadsheet"),
            ),
            CellFault::ErrorValue(e) => (
                format!("单元格是错误值 {e}"),
                format!("the cell holds the error {e}"),
            ),
        };
        Text::zh_en(zh, en)
    }
}

const BEIJING: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// A cell's text as typed (numbers as their shortest decimal text).
fn text_of(cell: &RawCell) -> Option<String> {
    match cell {
        RawCell::Text(t) => Some(t.trim().to_owned()),
        RawCell::Number(n) => Some(number_text(*n)),
        RawCell::Bool(b) => Some(b.to_string()),
        RawCell::Serial(s) => serial_date(*s).map(|d| d.to_string()),
        RawCell::Empty | RawCell::Error(_) => None,
    }
}

/// The date of an Excel serial (days since 1899-12-30).
pub fn serial_date(serial: f64) -> Option<Date> {
    let epoch = Date::from_calendar_date(1899, Month::December, 30).ok()?;
    epoch.checked_add(Duration::days(serial.floor() as i64))
}

fn serial_instant(serial: f64) -> Option<OffsetDateTime> {
    let date = serial_date(serial)?;
    let secs = ((serial - serial.floor()) * 86_400.0).round() as i64;
    let local = PrimitiveDateTime::new(date, Time::MIDNIGHT) + Duration::seconds(secs);
    Some(local.assume_offset(BEIJING).to_offset(UtcOffset::UTC))
}

/// The numbers in a text, as people separate dates: `2026-3-1`, `2026/03/01`, `2026年3月1日`.
fn parts(text: &str) -> Vec<u32> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().unwrap_or(u32::MAX))
        .collect()
}

fn ymd(p: &[u32]) -> Option<Date> {
    let (y, m, d) = (*p.first()?, *p.get(1)?, *p.get(2)?);
    let month = Month::try_from(u8::try_from(m).ok()?).ok()?;
    Date::from_calendar_date(i32::try_from(y).ok()?, month, u8::try_from(d).ok()?).ok()
}

fn parse_date_text(text: &str) -> Option<Date> {
    let p = parts(text);
    // A time part, if any, must be midnight: a date field has no time.
    (p.len() == 3 || p[3..].iter().all(|x| *x == 0)).then_some(())?;
    (p.first()? >= &1000).then_some(())?;
    ymd(&p)
}

fn parse_datetime_text(text: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(t.to_offset(UtcOffset::UTC));
    }
    let p = parts(text);
    let date = ymd(&p)?;
    let get = |i: usize| u8::try_from(p.get(i).copied().unwrap_or(0)).ok();
    let time = Time::from_hms(get(3)?, get(4)?, get(5)?).ok()?;
    (p.len() <= 6).then_some(())?;
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_offset(BEIJING)
            .to_offset(UtcOffset::UTC),
    )
}

fn json_number(text: &str) -> Option<Value> {
    let cleaned: String = text
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '%'))
        .collect();
    let n: f64 = cleaned.parse().ok()?;
    serde_json::Number::from_f64(n).map(Value::Number)
}

/// Splits a cell listing several values.
fn several(text: &str) -> impl Iterator<Item = &str> {
    text.split(['、', ',', '，', ';', '；', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn option(field: &Field, text: &str) -> Result<Value, CellFault> {
    let folded = text.to_lowercase();
    field
        .options
        .iter()
        .find(|(v, label)| {
            v.as_str().map(str::to_lowercase).as_deref() == Some(&folded)
                || v.as_f64()
                    .is_some_and(|n| text.parse::<f64>().ok() == Some(n))
                || label.0.values().any(|l| l.to_lowercase() == folded)
        })
        .map(|(v, _)| v.clone())
        .ok_or_else(|| CellFault::UnknownOption(text.to_owned()))
}

fn boolean(cell: &RawCell) -> Result<Value, CellFault> {
    if let RawCell::Bool(b) = cell {
        return Ok(Value::Bool(*b));
    }
    let t = text_of(cell).unwrap_or_default().to_lowercase();
    match t.as_str() {
        "是" | "true" | "yes" | "y" | "1" | "√" | "✓" | "对" => Ok(Value::Bool(true)),
        "否" | "false" | "no" | "n" | "0" | "×" | "✗" | "错" => Ok(Value::Bool(false)),
        _ => Err(CellFault::NotABoolean),
    }
}

/// Reads `cell` (not empty) as the value of `field`.
pub fn convert(field: &Field, cell: &RawCell, dir: &dyn Directory) -> Result<Value, CellFault> {
    if let RawCell::Error(e) = cell {
        return Err(CellFault::ErrorValue(e.clone()));
    }
    let text = || text_of(cell).unwrap_or_default();
    let people =
        |multiple: bool, find: &dyn Fn(&str) -> Option<String>, fault: fn(String) -> CellFault| {
            let t = text();
            let names: Vec<Value> = match multiple {
                true => several(&t)
                    .map(|n| {
                        find(n)
                            .map(Value::String)
                            .ok_or_else(|| fault(n.to_owned()))
                    })
                    .collect::<Result<_, _>>()?,
                false => vec![
                    find(&t)
                        .map(Value::String)
                        .ok_or_else(|| fault(t.clone()))?,
                ],
            };
            Ok(match multiple {
                true => Value::Array(names),
                false => names.into_iter().next().unwrap_or(Value::Null),
            })
        };
    match &field.kind {
        FieldKind::Money => {
            let t: String = text()
                .chars()
                .filter(|c| !matches!(c, '¥' | '￥' | ',' | ' '))
                .collect();
            parse_money(&t)
                .map(|d| Value::String(money_string(d)))
                .ok_or(CellFault::BadMoney)
        }
        FieldKind::Integer => match cell {
            RawCell::Number(n) if n.fract() == 0.0 && n.abs() < 9e15 => Ok(Value::from(*n as i64)),
            _ => text()
                .replace(',', "")
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| CellFault::NotAnInteger),
        },
        FieldKind::Decimal | FieldKind::Percent => match cell {
            RawCell::Number(n) => serde_json::Number::from_f64(*n)
                .map(Value::Number)
                .ok_or(CellFault::NotANumber),
            _ => json_number(&text()).ok_or(CellFault::NotANumber),
        },
        FieldKind::Date => match cell {
            RawCell::Serial(s) | RawCell::Number(s) => serial_date(*s),
            _ => parse_date_text(&text()),
        }
        .map(|d| Value::String(d.to_string()))
        .ok_or(CellFault::NotADate),
        FieldKind::DateTime => match cell {
            RawCell::Serial(s) | RawCell::Number(s) => serial_instant(*s),
            _ => parse_datetime_text(&text()),
        }
        .and_then(|t| t.format(&Rfc3339).ok())
        .map(Value::String)
        .ok_or(CellFault::NotADatetime),
        FieldKind::Select | FieldKind::Radio => option(field, &text()),
        FieldKind::MultiSelect => {
            let t = text();
            several(&t)
                .map(|v| option(field, v))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        FieldKind::Checkbox => boolean(cell),
        FieldKind::User { multiple } => people(*multiple, &|t| dir.user(t), CellFault::UnknownUser),
        FieldKind::Department { multiple } => people(
            *multiple,
            &|t| dir.department(t),
            CellFault::UnknownDepartment,
        ),
        FieldKind::SubTable => match serde_json::from_str::<Value>(&text()) {
            Ok(v @ Value::Array(_)) => Ok(v),
            _ => Err(CellFault::BadJson),
        },
        FieldKind::Json => {
            Ok(serde_json::from_str(&text()).unwrap_or_else(|_| Value::String(text())))
        }
        FieldKind::Attachments(_) | FieldKind::AutoNumber => Err(CellFault::NotImportable),
        FieldKind::Text
        | FieldKind::Textarea
        | FieldKind::RichText
        | FieldKind::Mobile
        | FieldKind::Landline
        | FieldKind::Email
        | FieldKind::Url
        | FieldKind::Relation(_) => Ok(Value::String(match cell {
            RawCell::Text(t) => t.clone(),
            _ => text(),
        })),
    }
}

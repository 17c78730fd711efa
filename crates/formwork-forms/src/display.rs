//! Record data as people read it, under any version of the form.
//!
//! The data may come from an older version: fields the form no longer has are listed at the
//! end with `removed: true` and their key as label; fields added since show as empty. Money is
//! shown as `¥100,000.30`, booleans as 是/否 (Yes/No), options by their label, dates and
//! datetimes as stored (the web layer moves instants into the viewer's time zone).

use formwork_model::Text;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::compile::CompiledForm;
use crate::field::Field;
use crate::kind::FieldKind;
use crate::messages::text;
use crate::money;
use crate::scope::{self, record_scope, row_scope, system_scope};

/// One field of a record, ready to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DisplayField {
    /// The field key.
    pub key: String,
    /// The label (the key for removed fields).
    pub label: Text,
    /// The kind name ([`FieldKind::name`]), or `removed`.
    pub kind: String,
    /// The value for people in zh-CN and en; empty when there is none. Rich text is
    /// sanitised HTML; everything else is plain text to escape when rendered.
    pub value: Text,
    /// The stored value.
    pub raw: Value,
    /// For sub-tables: the rows, each a list of cells.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<Vec<DisplayField>>,
    /// The field is not in this version of the form.
    pub removed: bool,
}

impl CompiledForm {
    /// The fields of `data` for display: visible fields in form order, then removed ones.
    pub fn project_for_display(&self, data: &Value) -> Vec<DisplayField> {
        let empty = Map::new();
        let data = data.as_object().unwrap_or(&empty);
        let scope = record_scope(&self.fields, data, &system_scope(None));
        let mut out = Vec::with_capacity(data.len().max(self.fields.len()));
        for field in &self.fields {
            if !scope::flag(field.ui.visible_when.as_deref(), &scope, true, true) {
                continue;
            }
            let value = data.get(&field.key);
            let mut shown = shown(field, value);
            if let (FieldKind::SubTable, Some(Value::Array(rows))) = (&field.kind, value) {
                shown.rows = rows
                    .iter()
                    .map(|row| row_cells(field, row, &scope))
                    .collect();
            }
            out.push(shown);
        }
        out.extend(
            data.iter()
                .filter(|(key, _)| self.field(key).is_none())
                .map(|(key, value)| removed(key, value)),
        );
        out
    }
}

fn row_cells(table: &Field, row: &Value, record: &Value) -> Vec<DisplayField> {
    let scope = row_scope(record, table, row);
    let mut cells: Vec<DisplayField> = table
        .columns
        .iter()
        .filter(|c| scope::flag(c.ui.visible_when.as_deref(), &scope, true, true))
        .map(|c| shown(c, row.get(&c.key)))
        .collect();
    if let Value::Object(map) = row {
        cells.extend(
            map.iter()
                .filter(|(key, _)| table.column(key).is_none())
                .map(|(key, value)| removed(key, value)),
        );
    }
    cells
}

fn shown(field: &Field, value: Option<&Value>) -> DisplayField {
    DisplayField {
        key: field.key.clone(),
        label: field.label.clone(),
        kind: field.kind.name().to_owned(),
        value: value.map_or_else(|| same(String::new()), |v| for_people(field, v)),
        raw: value.cloned().unwrap_or(Value::Null),
        rows: Vec::new(),
        removed: false,
    }
}

fn removed(key: &str, value: &Value) -> DisplayField {
    DisplayField {
        key: key.to_owned(),
        label: Text([("zh-CN".to_owned(), key.to_owned())].into_iter().collect()),
        kind: "removed".to_owned(),
        value: same(plain(value)),
        raw: value.clone(),
        rows: Vec::new(),
        removed: true,
    }
}

fn same(value: String) -> Text {
    text(value.clone(), value)
}

fn plain(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn join(items: Vec<Text>) -> Text {
    let zh: Vec<&str> = items.iter().map(|t| t.get("zh-CN")).collect();
    let en: Vec<&str> = items.iter().map(|t| t.get("en")).collect();
    text(zh.join("、"), en.join(", "))
}

fn for_people(field: &Field, value: &Value) -> Text {
    match (&field.kind, value) {
        (FieldKind::Money, Value::String(s)) => {
            same(money::parse_money(s).map_or_else(|| s.clone(), money::format_money))
        }
        (FieldKind::Checkbox, Value::Bool(b)) => {
            if *b {
                text("是".to_owned(), "Yes".to_owned())
            } else {
                text("否".to_owned(), "No".to_owned())
            }
        }
        (FieldKind::Percent, Value::Number(n)) => same(format!("{n}%")),
        (FieldKind::Date | FieldKind::DateTime, Value::String(s)) => {
            calendar_date(s).unwrap_or_else(|| same(s.clone()))
        }
        (FieldKind::RichText, Value::String(s)) => same(ammonia::clean(s)),
        (FieldKind::SubTable, Value::Array(rows)) => text(
            format!("{} 行", rows.len()),
            format!(
                "{} row{}",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" }
            ),
        ),
        (FieldKind::Attachments(_), Value::Array(files)) => same(
            files
                .iter()
                .map(|f| f.get("name").map_or_else(|| plain(f), plain))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (_, Value::Array(items)) => join(items.iter().map(|v| choice(field, v)).collect()),
        (_, v) => choice(field, v),
    }
}

/// A stored date (`2026-12-04`) or date-time (`2026-12-04T09:30`, seconds and offset left
/// out) as people read it in each language: 「2026年12月4日」 and "Dec 4, 2026"; `None` for
/// text that is not one.
fn calendar_date(stored: &str) -> Option<Text> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (day, time) = match stored.split_once('T') {
        Some((day, time)) => (day, Some(time.get(..5)?)),
        None => (stored, None),
    };
    let mut parts = day.splitn(3, '-');
    let year: u32 = parts.next()?.parse().ok()?;
    let month: usize = parts.next()?.parse().ok()?;
    let date: u32 = parts.next()?.parse().ok()?;
    let month_name = MONTHS.get(month.checked_sub(1)?)?;
    if !(1..=31).contains(&date) {
        return None;
    }
    let at = time.map(|t| format!(" {t}")).unwrap_or_default();
    Some(text(
        format!("{year}年{month}月{date}日{at}"),
        format!("{month_name} {date}, {year}{at}"),
    ))
}

fn choice(field: &Field, value: &Value) -> Text {
    field.option_label(value).cloned().map_or_else(
        || same(plain(value)),
        |label| text(label.get("zh-CN").to_owned(), label.get("en").to_owned()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_in_each_language() {
        let d = calendar_date("2026-12-04").unwrap();
        assert_eq!(d.get("zh-CN"), "2026年12月4日");
        assert_eq!(d.get("en"), "Dec 4, 2026");
        let t = calendar_date("2026-01-09T08:05:00+08:00").unwrap();
        assert_eq!(t.get("zh-CN"), "2026年1月9日 08:05");
        assert_eq!(t.get("en"), "Jan 9, 2026 08:05");
        assert_eq!(calendar_date("2026-13-01"), None);
        assert_eq!(calendar_date("soon"), None);
    }
}

//! Field errors people understand: a JSON pointer, a stable code and a sentence in zh-CN and
//! en that names the field by its label, e.g. 「预计金额不能小于 0」.
//!
//! Every code and both of its sentences are written here ([`CODES`] lists the codes). An
//! analyst overrides a sentence per field and code with `FieldUiDef.messages`; the override may
//! use `{label}`, `{limit}` and `{name}`, which are replaced literally (never rendered as a
//! template). An override keyed by the JSON Schema keyword (`minLength`) is honoured too.
//! Errors inside a sub-table row say which row: 「里程碑第 2 行：请填写标题」.

use formwork_model::Text;
use serde::{Deserialize, Serialize};

use crate::field::Field;
use crate::kind::FieldKind;

/// Every code a [`FieldError`] can carry.
pub const CODES: &[&str] = &[
    "required",
    "type",
    "pattern",
    "format",
    "minimum",
    "exclusive_minimum",
    "maximum",
    "exclusive_maximum",
    "min_length",
    "max_length",
    "enum",
    "const",
    "min_items",
    "max_items",
    "unique_items",
    "multiple_of",
    "read_only",
    "auto_number",
    "attachment",
    "max_size",
    "accept",
    "check",
    "rule_error",
    "invalid",
    "unknown_field",
    "system_field",
];

/// One refused value: where, why (a stable code) and what to tell the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// JSON pointer into the submitted data, e.g. `/amount` or `/milestones/1/title`.
    pub path: String,
    /// Stable snake_case code, one of [`CODES`].
    pub code: String,
    /// The sentence in zh-CN and en.
    pub message: Text,
}

/// Where an error is: the field, and the sub-table row when it is a column.
#[derive(Clone, Copy)]
pub(crate) struct At<'a> {
    pub field: &'a Field,
    pub row: Option<(&'a Field, usize)>,
}

/// Values a sentence may mention, in each language.
#[derive(Default)]
pub(crate) struct Params {
    pub limit_zh: String,
    pub limit_en: String,
    pub name: String,
}

impl Params {
    pub fn limit(limit: impl Into<String>) -> Params {
        let limit = limit.into();
        Params {
            limit_zh: limit.clone(),
            limit_en: limit,
            name: String::new(),
        }
    }
}

pub(crate) fn text(zh: String, en: String) -> Text {
    Text(
        [("zh-CN".to_owned(), zh), ("en".to_owned(), en)]
            .into_iter()
            .collect(),
    )
}

/// The JSON Schema keyword an analyst may also key an override by.
fn keyword_alias(code: &str) -> Option<&'static str> {
    Some(match code {
        "min_length" => "minLength",
        "max_length" => "maxLength",
        "min_items" => "minItems",
        "max_items" => "maxItems",
        "unique_items" => "uniqueItems",
        "multiple_of" => "multipleOf",
        "exclusive_minimum" => "exclusiveMinimum",
        "exclusive_maximum" => "exclusiveMaximum",
        "read_only" => "readonly",
        _ => return None,
    })
}

/// The sentence for `code` at `at`, with the analyst's override when there is one.
pub(crate) fn message(at: At<'_>, code: &str, params: &Params) -> Text {
    let field = at.field;
    let (label_zh, label_en) = (field.label.get("zh-CN"), field.label.get("en"));
    let messages = &field.ui.messages;
    let overridden = messages
        .get(code)
        .or_else(|| keyword_alias(code).and_then(|k| messages.get(k)))
        .or_else(|| match code {
            "exclusive_minimum" => messages.get("minimum"),
            "exclusive_maximum" => messages.get("maximum"),
            _ => None,
        });
    let (zh, en) = match overridden {
        Some(custom) => (
            fill(
                custom.get("zh-CN"),
                label_zh,
                &params.limit_zh,
                &params.name,
            ),
            fill(custom.get("en"), label_en, &params.limit_en, &params.name),
        ),
        None => catalog(&field.kind, code, label_zh, label_en, params),
    };
    match at.row {
        None => text(zh, en),
        Some((table, index)) => text(
            format!("{}第 {} 行：{zh}", table.label.get("zh-CN"), index + 1),
            format!("{}, row {}: {en}", table.label.get("en"), index + 1),
        ),
    }
}

/// A [`FieldError`] for `code` at `path`.
pub(crate) fn error(path: String, at: At<'_>, code: &str, params: &Params) -> FieldError {
    FieldError {
        message: message(at, code, params),
        path,
        code: code.to_owned(),
    }
}

fn fill(template: &str, label: &str, limit: &str, name: &str) -> String {
    template
        .replace("{label}", label)
        .replace("{limit}", limit)
        .replace("{name}", name)
}

/// An input key that names no field of the form.
pub fn unknown_field(path: String, key: &str) -> FieldError {
    FieldError {
        path,
        code: "unknown_field".to_owned(),
        message: text(
            format!("表单中没有「{key}」这一项，请刷新页面后重试"),
            format!("The form has no field \"{key}\"; reload the page and try again"),
        ),
    }
}

/// An input key that names a field the system maintains.
pub(crate) fn system_field(path: String, key: &str) -> FieldError {
    FieldError {
        path,
        code: "system_field".to_owned(),
        message: text(
            format!("「{key}」由系统自动维护，不能提交"),
            format!("\"{key}\" is maintained by the system and cannot be submitted"),
        ),
    }
}

/// A submission that is not a JSON object at all.
pub(crate) fn not_an_object() -> FieldError {
    FieldError {
        path: String::new(),
        code: "type".to_owned(),
        message: text(
            "提交的内容无法识别，请刷新页面后重试".to_owned(),
            "The submission could not be read; reload the page and try again".to_owned(),
        ),
    }
}

fn catalog(kind: &FieldKind, code: &str, l: &str, le: &str, p: &Params) -> (String, String) {
    match code {
        "required" => required(kind, l, le),
        "type" => wrong_type(kind, l, le),
        "pattern" | "format" => bad_format(kind, l, le),
        "minimum" | "exclusive_minimum" | "maximum" | "exclusive_maximum" | "min_length"
        | "max_length" | "multiple_of" => bound(code, l, le, p),
        "min_items" | "max_items" => item_count(kind, code, l, le, p),
        "attachment" | "max_size" | "accept" => file(code, l, le, p),
        _ => other(code, l, le),
    }
}

/// A value beyond a limit: a number's bounds, a text's length, a multiple.
fn bound(code: &str, l: &str, le: &str, p: &Params) -> (String, String) {
    let (lim, lime) = (&p.limit_zh, &p.limit_en);
    match code {
        "minimum" => (
            format!("{l}不能小于 {lim}"),
            format!("{le} must be at least {lime}"),
        ),
        "exclusive_minimum" => (
            format!("{l}必须大于 {lim}"),
            format!("{le} must be greater than {lime}"),
        ),
        "maximum" => (
            format!("{l}不能大于 {lim}"),
            format!("{le} must be at most {lime}"),
        ),
        "exclusive_maximum" => (
            format!("{l}必须小于 {lim}"),
            format!("{le} must be less than {lime}"),
        ),
        "min_length" => (
            format!("{l}至少需要 {lim} 个字"),
            format!("{le} must be at least {lime} characters long"),
        ),
        "max_length" => (
            format!("{l}不能超过 {lim} 个字"),
            format!("{le} must be at most {lime} characters long"),
        ),
        _ => (
            format!("{l}必须是 {lim} 的整数倍"),
            format!("{le} must be a multiple of {lime}"),
        ),
    }
}

/// Too few or too many rows, files or choices.
fn item_count(kind: &FieldKind, code: &str, l: &str, le: &str, p: &Params) -> (String, String) {
    let (lim, lime) = (&p.limit_zh, &p.limit_en);
    if code == "min_items" {
        match kind {
            FieldKind::SubTable => (
                format!("{l}至少需要 {lim} 行"),
                format!("{le} needs at least {lime} rows"),
            ),
            FieldKind::Attachments(_) => (
                format!("{l}至少需要 {lim} 个文件"),
                format!("{le} needs at least {lime} files"),
            ),
            _ => (
                format!("{l}至少选择 {lim} 项"),
                format!("Choose at least {lime} for {le}"),
            ),
        }
    } else {
        match kind {
            FieldKind::SubTable => (
                format!("{l}最多 {lim} 行"),
                format!("{le} can have at most {lime} rows"),
            ),
            FieldKind::Attachments(_) => (
                format!("{l}最多 {lim} 个文件"),
                format!("{le} can have at most {lime} files"),
            ),
            _ => (
                format!("{l}最多选择 {lim} 项"),
                format!("Choose at most {lime} for {le}"),
            ),
        }
    }
}

/// A file that is incomplete, too large or of a type the field does not take.
fn file(code: &str, l: &str, le: &str, p: &Params) -> (String, String) {
    let (lim, lime, name) = (&p.limit_zh, &p.limit_en, &p.name);
    match code {
        "attachment" => (
            format!("{l}中有文件信息不完整，请重新上传"),
            format!("A file in {le} is incomplete; upload it again"),
        ),
        "max_size" => (
            format!("文件「{name}」太大，{l}的每个文件不能超过 {lim}"),
            format!("The file \"{name}\" is too large: each file in {le} must be at most {lime}"),
        ),
        _ => (
            format!("文件「{name}」的类型不允许，{l}只接受 {lim}"),
            format!("The file \"{name}\" is not allowed: {le} accepts only {lime}"),
        ),
    }
}

/// Everything else: a choice, a fixed value, duplicates, read-only and numbered fields, a
/// broken rule, or a requirement in general.
fn other(code: &str, l: &str, le: &str) -> (String, String) {
    match code {
        "enum" => (
            format!("请从列表中选择{l}"),
            format!("Choose {le} from the list"),
        ),
        "const" => (
            format!("{l}的值不正确"),
            format!("{le} has a value that is not allowed"),
        ),
        "unique_items" => (
            format!("{l}中有重复的项"),
            format!("{le} has the same entry twice"),
        ),
        "read_only" => (format!("{l}不可修改"), format!("{le} cannot be changed")),
        "auto_number" => (
            format!("{l}由系统自动编号，不能填写"),
            format!("{le} is numbered automatically and cannot be entered"),
        ),
        "rule_error" => (
            format!("暂时无法检查{l}：表单规则有误，请联系管理员"),
            format!(
                "{le} could not be checked because a rule of this form is broken; please contact the administrator"
            ),
        ),
        _ => (
            format!("{l}的值不符合要求"),
            format!("{le} does not meet the form's requirements"),
        ),
    }
}

fn required(kind: &FieldKind, l: &str, le: &str) -> (String, String) {
    match kind {
        FieldKind::Checkbox => (format!("请勾选{l}"), format!("{le} must be ticked")),
        FieldKind::SubTable => (
            format!("请至少填写一行{l}"),
            format!("{le} needs at least one row"),
        ),
        FieldKind::Attachments(_) => (
            format!("请上传{l}"),
            format!("{le} needs at least one file"),
        ),
        FieldKind::Select
        | FieldKind::MultiSelect
        | FieldKind::Radio
        | FieldKind::Date
        | FieldKind::DateTime
        | FieldKind::User { .. }
        | FieldKind::Department { .. }
        | FieldKind::Relation(_) => (format!("请选择{l}"), format!("{le} is required")),
        _ => (format!("请填写{l}"), format!("{le} is required")),
    }
}

fn wrong_type(kind: &FieldKind, l: &str, le: &str) -> (String, String) {
    match kind {
        FieldKind::Integer => (
            format!("{l}必须是整数"),
            format!("{le} must be a whole number"),
        ),
        FieldKind::Decimal | FieldKind::Percent => {
            (format!("{l}必须是数字"), format!("{le} must be a number"))
        }
        FieldKind::Money => (
            format!("{l}必须是金额，如 100000.30"),
            format!("{le} must be an amount such as 100000.30"),
        ),
        FieldKind::Checkbox => (
            format!("{l}只能选择是或否"),
            format!("{le} must be yes or no"),
        ),
        FieldKind::Date | FieldKind::DateTime => bad_format(kind, l, le),
        FieldKind::Select | FieldKind::Radio => (
            format!("请从列表中选择{l}"),
            format!("Choose {le} from the list"),
        ),
        FieldKind::SubTable | FieldKind::MultiSelect | FieldKind::Attachments(_) => (
            format!("{l}的内容格式不正确"),
            format!("{le} is not filled in correctly"),
        ),
        _ => (
            format!("{l}的格式不正确"),
            format!("{le} has the wrong kind of value"),
        ),
    }
}

fn bad_format(kind: &FieldKind, l: &str, le: &str) -> (String, String) {
    match kind {
        FieldKind::Mobile => (
            format!("{l}格式不正确，请输入 11 位手机号"),
            format!("{le} must be an 11-digit mobile number"),
        ),
        FieldKind::Landline => (
            format!("{l}格式不正确，请输入带区号的固定电话，如 010-12345678"),
            format!("{le} must be a landline number with area code, such as 010-12345678"),
        ),
        FieldKind::Money => (
            format!("{l}格式不正确，请输入金额，最多两位小数，如 100000.30"),
            format!("{le} must be an amount with at most two decimals, such as 100000.30"),
        ),
        FieldKind::Email => (
            format!("{l}格式不正确，请输入邮箱地址，如 name@example.com"),
            format!("{le} must be an e-mail address such as name@example.com"),
        ),
        FieldKind::Url => (
            format!("{l}格式不正确，请输入以 http:// 或 https:// 开头的网址"),
            format!("{le} must be a web address starting with http:// or https://"),
        ),
        FieldKind::Date => (
            format!("{l}格式不正确，请输入日期，如 2026-01-31"),
            format!("{le} must be a date such as 2026-01-31"),
        ),
        FieldKind::DateTime => (
            format!("{l}格式不正确，请输入日期和时间，如 2026-01-31T09:30:00+08:00"),
            format!("{le} must be a date and time such as 2026-01-31T09:30:00+08:00"),
        ),
        _ => (
            format!("{l}格式不正确"),
            format!("{le} is not in the expected format"),
        ),
    }
}

/// A byte count as people read it: `512 KB`, `10 MB`, `1.5 GB`.
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut size = bytes;
    let mut unit = 0;
    while size >= 1024 * 1024 && unit + 1 < UNITS.len() {
        size /= 1024;
        unit += 1;
    }
    // One decimal is enough for a limit; it is shown, never compared.
    let tenths = size * 10 / 1024;
    if tenths.is_multiple_of(10) {
        format!("{} {}", tenths / 10, UNITS[unit])
    } else {
        format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
    }
}

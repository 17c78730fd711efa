//! Which field (or sub-table cell) each of the runtime's problems belongs to, and the ids the
//! page gives fields and cells so errors and labels can point at them.

#[allow(unused_imports)]
use super::*;

/// Field errors placed for a page: inline messages by element id, and the summary.
#[derive(Debug, Default)]
pub(crate) struct Errors {
    pub inline: HashMap<String, String>,
    pub summary: Vec<SummaryItem>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct SummaryItem {
    /// `#f-amount`, or `None` when no field on the page matches.
    pub href: Option<String>,
    pub message: String,
}

/// The element id of a field, or of a sub-table cell.
pub(crate) fn field_id(key: &str) -> String {
    format!("f-{}", id_safe(key))
}

pub(super) fn cell_id(table: &str, row: &str, column: &str) -> String {
    format!("f-{}-{row}-{}", id_safe(table), id_safe(column))
}

pub(super) fn id_safe(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub(super) fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

impl Errors {
    /// Places each problem beside its field (`/contact_phone`, `/milestones/1/title`).
    pub fn place(desc: &FormDesc, problems: &[Problem], lang: Lang) -> Errors {
        let mut errors = Errors::default();
        for p in problems {
            let message = p.message.get(lang.tag()).to_owned();
            let segments: Vec<String> = p.pointer.split('/').skip(1).map(unescape).collect();
            let id = segments.first().and_then(|key| {
                let field = desc.field(key)?;
                if field.server_set {
                    return None;
                }
                match (field.kind.as_str(), segments.get(1), segments.get(2)) {
                    ("sub_table", Some(row), Some(col)) if row.parse::<usize>().is_ok() => field
                        .columns
                        .iter()
                        .any(|c| c.key == *col)
                        .then(|| cell_id(key, row, col))
                        .or_else(|| Some(field_id(key))),
                    _ => Some(field_id(key)),
                }
            });
            if let Some(id) = &id {
                errors
                    .inline
                    .entry(id.clone())
                    .or_insert_with(|| message.clone());
            }
            // Beside its field a message may leave the field unnamed (an analyst's "请输入 11
            // 位手机号"); in the summary at the top it must say which field it is about.
            let label = segments
                .first()
                .and_then(|key| desc.field(key))
                .map(|f| f.label.as_str())
                .filter(|l| {
                    // 「预计金额（元）」 is named by 「预计金额不能为负数」 too.
                    let base = l.split(['（', '(']).next().unwrap_or_default().trim();
                    !base.is_empty() && !message.contains(base)
                });
            let summary = match (label, lang) {
                (Some(label), Lang::ZhCn) => format!("{label}：{message}"),
                (Some(label), Lang::En) => format!("{label}: {message}"),
                (None, _) => message,
            };
            errors.summary.push(SummaryItem {
                href: id.map(|id| format!("#{id}")),
                message: summary,
            });
        }
        errors
    }

    /// An error of a field named by key (e.g. an upload that failed).
    pub fn add(&mut self, key: &str, message: String) {
        let id = field_id(key);
        self.inline
            .entry(id.clone())
            .or_insert_with(|| message.clone());
        self.summary.push(SummaryItem {
            href: Some(format!("#{id}")),
            message,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.summary.is_empty()
    }
}

// ---- views ------------------------------------------------------------------------------------

//! The form part of the package diff: fields (by aspect), order, sections, checks, numbering
//! and permissions, in words.

use serde_json::{Value, json};

use super::diff::{Change, change, entry, field_order};

/// The aspects of a field an analyst sets: words, and where each lives (schema or UI).
const FIELD_ASPECTS: &[(&str, &str, Aspect)] = &[
    ("标题", "label", Aspect::Ui(&["label"])),
    ("类型", "kind", Aspect::Kind),
    ("必填", "required", Aspect::Required),
    ("提示", "help", Aspect::Ui(&["help"])),
    ("选项", "options", Aspect::Options),
    ("校验", "validation", Aspect::Validation),
    ("提示语", "messages", Aspect::Ui(&["messages"])),
    ("显示条件", "visible when", Aspect::Ui(&["visible_when"])),
    ("必填条件", "required when", Aspect::Ui(&["required_when"])),
    ("只读条件", "read-only when", Aspect::Ui(&["readonly_when"])),
    ("默认值", "default", Aspect::Ui(&["default"])),
    ("计算公式", "formula", Aspect::Ui(&["compute"])),
    ("子表列", "columns", Aspect::Columns),
];

enum Aspect {
    Ui(&'static [&'static str]),
    Kind,
    Required,
    Options,
    Validation,
    Columns,
}

/// One field as the diff sees it: its schema, UI and whether it is required.
struct Field<'a> {
    key: &'a str,
    schema: &'a Value,
    ui: &'a Value,
    required: bool,
}

impl<'a> Field<'a> {
    fn of(form: &'a Value, key: &'a str) -> Self {
        Field {
            key,
            schema: entry(form["schema"]["properties"].as_object(), key),
            ui: entry(form["ui"]["fields"].as_object(), key),
            required: form["schema"]["required"]
                .as_array()
                .is_some_and(|r| r.iter().any(|k| k == key)),
        }
    }

    fn label(&self, lang: &str) -> String {
        let t = &self.ui["label"];
        t[lang]
            .as_str()
            .or_else(|| t["zh-CN"].as_str())
            .unwrap_or(self.key)
            .to_owned()
    }

    /// The kind's name: `x-formwork-kind`, else the widget, else the JSON type.
    fn kind(&self) -> String {
        self.schema["x-formwork-kind"]
            .as_str()
            .or_else(|| self.ui["widget"].as_str())
            .or_else(|| self.schema["type"].as_str())
            .unwrap_or("text")
            .to_owned()
    }

    fn aspect(&self, aspect: &Aspect) -> Value {
        let s = self.schema;
        match aspect {
            Aspect::Ui(keys) => json!(keys.iter().map(|k| &self.ui[*k]).collect::<Vec<_>>()),
            Aspect::Kind => json!(self.kind()),
            Aspect::Required => json!(self.required),
            Aspect::Options => json!([s["enum"], s["items"]["enum"], self.ui["options"]]),
            Aspect::Validation => {
                let mut rest = s.as_object().cloned().unwrap_or_default();
                for k in ["type", "enum", "properties", "items", "x-formwork-kind"] {
                    rest.remove(k);
                }
                Value::Object(rest)
            }
            Aspect::Columns => json!([
                s["items"]["properties"],
                self.ui["fields"],
                self.ui["order"]
            ]),
        }
    }

    fn view(&self) -> Value {
        json!({"key": self.key, "kind": self.kind(), "required": self.required,
               "schema": self.schema, "ui": self.ui})
    }
}

/// Words for a kind or widget name.
fn kind_words(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "text" | "string" => ("单行文本", "text"),
        "textarea" => ("多行文本", "paragraph"),
        "rich_text" => ("富文本", "rich text"),
        "integer" => ("整数", "integer"),
        "decimal" | "number" => ("数字", "number"),
        "money" => ("金额", "money"),
        "percent" => ("百分比", "percent"),
        "date" => ("日期", "date"),
        "datetime" => ("日期时间", "date and time"),
        "select" => ("下拉单选", "drop-down"),
        "radio" => ("单选按钮", "radio buttons"),
        "multi_select" | "multiselect" => ("多选", "multiple choice"),
        "checkbox" | "switch" | "boolean" => ("是/否", "yes / no"),
        "mobile" | "phone" => ("手机号", "mobile"),
        "landline" => ("固定电话", "landline"),
        "email" => ("邮箱", "e-mail"),
        "url" => ("网址", "web address"),
        "user" => ("成员", "person"),
        "department" => ("部门", "department"),
        "relation" => ("关联记录", "related record"),
        "attachments" | "file" => ("附件", "attachments"),
        "sub_table" | "subtable" | "array" => ("子表单", "sub-table"),
        "auto_number" => ("流水号", "auto number"),
        _ => ("其他", "other"),
    }
}

const PERMISSIONS: &[(&str, &str, &str)] = &[
    ("create", "新建", "create"),
    ("read_own", "查看本人", "read own"),
    ("read_department", "查看本部门", "read department"),
    ("read_all", "查看全部", "read all"),
    ("edit_own", "编辑本人", "edit own"),
    ("edit_all", "编辑全部", "edit all"),
    ("read_customer", "查看本客户", "read own customer's"),
];

fn name(form: &Value, lang: &str) -> String {
    let id = form["id"].as_str().unwrap_or_default();
    form["name"][lang]
        .as_str()
        .or_else(|| form["name"]["zh-CN"].as_str())
        .unwrap_or(id)
        .to_owned()
}

fn push(
    out: &mut Vec<Change>,
    path: String,
    kind: &'static str,
    zh: String,
    en: String,
    b: Value,
    a: Value,
) {
    out.push(change(path, kind, zh, en, &b, &a));
}

/// `package` is the newer package, for the names of roles.
pub(super) fn form_changes(at: &str, a: &Value, b: &Value, package: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    let (fz, fe) = (name(b, "zh-CN"), name(b, "en"));
    if a["name"] != b["name"] {
        let (oz, oe) = (name(a, "zh-CN"), name(a, "en"));
        push(
            &mut out,
            format!("{at}/name"),
            "changed",
            format!("表单「{fz}」改名（原「{oz}」）"),
            format!("Form \"{fe}\" renamed (was \"{oe}\")"),
            a["name"].clone(),
            b["name"].clone(),
        );
    }
    fields(&mut out, at, a, b, (&fz, &fe));
    let (ka, kb) = (field_order(a), field_order(b));
    let common_a: Vec<_> = ka.iter().filter(|k| kb.contains(k)).collect();
    let common_b: Vec<_> = kb.iter().filter(|k| ka.contains(k)).collect();
    if common_a != common_b {
        push(
            &mut out,
            format!("{at}/ui/order"),
            "changed",
            format!("表单「{fz}」调整了字段顺序"),
            format!("Form \"{fe}\": fields reordered"),
            json!(ka),
            json!(kb),
        );
    }
    let layout = |f: &Value| {
        json!(f["ui"]["sections"].as_array().map(|s| {
            s.iter()
                .map(|s| json!([s["id"], s["title"], s["columns"]]))
                .collect::<Vec<_>>()
        }))
    };
    if layout(a) != layout(b) {
        push(
            &mut out,
            format!("{at}/ui/sections"),
            "changed",
            format!("表单「{fz}」调整了分组与布局"),
            format!("Form \"{fe}\": sections or columns changed"),
            a["ui"]["sections"].clone(),
            b["ui"]["sections"].clone(),
        );
    }
    checks(&mut out, at, a, b, (&fz, &fe));
    if a["numbering"] != b["numbering"] {
        let pat = |f: &Value, none: &str| {
            f["numbering"]["pattern"]
                .as_str()
                .unwrap_or(none)
                .to_owned()
        };
        let kind = match (a["numbering"].is_null(), b["numbering"].is_null()) {
            (true, _) => "added",
            (_, true) => "removed",
            _ => "changed",
        };
        push(
            &mut out,
            format!("{at}/numbering"),
            kind,
            format!("表单「{fz}」编号规则：{} → {}", pat(a, "无"), pat(b, "无")),
            format!(
                "Form \"{fe}\" numbering: {} → {}",
                pat(a, "none"),
                pat(b, "none")
            ),
            a["numbering"].clone(),
            b["numbering"].clone(),
        );
    }
    permissions(&mut out, at, a, b, (&fz, &fe));
    super::diff_access::field_permissions(&mut out, (at, package), a, b, (&fz, &fe));
    super::diff_access::after_approval(&mut out, (at, package), a, b, (&fz, &fe));
    out
}

fn fields(out: &mut Vec<Change>, at: &str, a: &Value, b: &Value, (fz, fe): (&str, &str)) {
    let (ka, kb) = (field_order(a), field_order(b));
    let mut keys = ka.clone();
    keys.extend(kb.iter().filter(|k| !ka.contains(k)).cloned());
    for key in &keys {
        let path = format!("{at}/schema/properties/{key}");
        match (ka.contains(key), kb.contains(key)) {
            (true, false) => {
                let f = Field::of(a, key);
                push(
                    out,
                    path,
                    "removed",
                    format!("表单「{fz}」删除字段「{}」", f.label("zh-CN")),
                    format!("Form \"{fe}\": field \"{}\" removed", f.label("en")),
                    f.view(),
                    Value::Null,
                );
            }
            (false, true) => {
                let f = Field::of(b, key);
                let (kz, ke) = kind_words(&f.kind());
                push(
                    out,
                    path,
                    "added",
                    format!("表单「{fz}」新增字段「{}」（{kz}）", f.label("zh-CN")),
                    format!("Form \"{fe}\": field \"{}\" added ({ke})", f.label("en")),
                    Value::Null,
                    f.view(),
                );
            }
            _ => {
                let (x, y) = (Field::of(a, key), Field::of(b, key));
                let (z, e): (Vec<&str>, Vec<&str>) = FIELD_ASPECTS
                    .iter()
                    .filter(|(_, _, asp)| x.aspect(asp) != y.aspect(asp))
                    .map(|(z, e, _)| (*z, *e))
                    .unzip();
                if !z.is_empty() {
                    push(
                        out,
                        path,
                        "changed",
                        format!(
                            "表单「{fz}」修改字段「{}」：{}",
                            y.label("zh-CN"),
                            z.join("、")
                        ),
                        format!(
                            "Form \"{fe}\": field \"{}\" changed: {}",
                            y.label("en"),
                            e.join(", ")
                        ),
                        x.view(),
                        y.view(),
                    );
                }
            }
        }
    }
}

fn checks(out: &mut Vec<Change>, at: &str, a: &Value, b: &Value, (fz, fe): (&str, &str)) {
    let list = |f: &Value| f["checks"].as_array().cloned().unwrap_or_default();
    let (la, lb) = (list(a), list(b));
    let find = |l: &[Value], id: &str| {
        l.iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let mut ids: Vec<String> = la
        .iter()
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .collect();
    ids.extend(
        lb.iter()
            .filter_map(|c| c["id"].as_str().map(str::to_owned))
            .filter(|id| !la.iter().any(|c| c["id"] == *id)),
    );
    for id in ids {
        let (x, y) = (find(&la, &id), find(&lb, &id));
        let kind = match (x.is_null(), y.is_null()) {
            (true, _) => "added",
            (_, true) => "removed",
            _ if x != y => "changed",
            _ => continue,
        };
        let (wz, we) = match kind {
            "added" => ("新增", "added"),
            "removed" => ("删除", "removed"),
            _ => ("修改", "changed"),
        };
        let c = if y.is_null() { &x } else { &y };
        let msg = |lang: &str| {
            c["message"][lang]
                .as_str()
                .or_else(|| c["message"]["zh-CN"].as_str())
                .unwrap_or(&id)
                .to_owned()
        };
        push(
            out,
            format!("{at}/checks/{id}"),
            kind,
            format!("表单「{fz}」{wz}校验规则「{}」", msg("zh-CN")),
            format!("Form \"{fe}\": check \"{}\" {we}", msg("en")),
            x.clone(),
            y.clone(),
        );
    }
}

fn permissions(out: &mut Vec<Change>, at: &str, a: &Value, b: &Value, (fz, fe): (&str, &str)) {
    for (list, wz, we) in PERMISSIONS {
        let roles = |f: &Value| -> Vec<String> {
            f["permissions"][*list]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (ra, rb) = (roles(a), roles(b));
        let added: Vec<&str> = rb
            .iter()
            .filter(|r| !ra.contains(r))
            .map(String::as_str)
            .collect();
        let removed: Vec<&str> = ra
            .iter()
            .filter(|r| !rb.contains(r))
            .map(String::as_str)
            .collect();
        if added.is_empty() && removed.is_empty() {
            continue;
        }
        let mut z = Vec::new();
        let mut e = Vec::new();
        if !added.is_empty() {
            z.push(format!("增加 {}", added.join("、")));
            e.push(format!("added {}", added.join(", ")));
        }
        if !removed.is_empty() {
            z.push(format!("取消 {}", removed.join("、")));
            e.push(format!("removed {}", removed.join(", ")));
        }
        push(
            out,
            format!("{at}/permissions/{list}"),
            "changed",
            format!("表单「{fz}」权限「{wz}」：{}", z.join("，")),
            format!("Form \"{fe}\" permission \"{we}\": {}", e.join("; ")),
            json!(ra),
            json!(rb),
        );
    }
}

//! Shared fixtures: a form mirroring the sample `project` form, a form with one field of each
//! kind, and a fixed submit context.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use formwork_forms::{CompiledForm, FieldError, RecordMeta, SubmitContext};
use formwork_model::FormDef;
use serde_json::{Value, json};
use time::macros::{date, datetime};

pub fn ctx() -> SubmitContext {
    SubmitContext {
        now: datetime!(2026-11-22 09:30:00 +08:00),
        today: date!(2026 - 11 - 22),
        submitter: "sales1".to_owned(),
        record: RecordMeta::default(),
    }
}

pub fn compile(def: Value) -> CompiledForm {
    let def: FormDef = serde_json::from_value(def).expect("a FormDef");
    CompiledForm::compile("test@1", &def).expect("the form compiles")
}

/// The sample `project` form, written with this crate's conventions.
pub fn project_def() -> Value {
    json!({
        "id": "project",
        "name": {"zh-CN": "项目登记", "en": "Project registration"},
        "schema": {
            "type": "object",
            "additionalProperties": false,
            "required": ["name", "customer", "amount"],
            "properties": {
                "name": {"type": "string", "minLength": 2, "maxLength": 100},
                "customer": {"type": "string", "minLength": 1, "maxLength": 200},
                "contact_phone": {"type": "string"},
                "contact_email": {"type": "string", "maxLength": 254},
                "amount": {"type": "string", "x-formwork-minimum": "0"},
                "business_line": {"type": "string"},
                "region": {"type": "string", "enum": ["华东", "华南", "华北", "华中", "西南", "西北", "东北"]},
                "start_date": {"type": "string"},
                "end_date": {"type": "string"},
                "description": {"type": "string", "maxLength": 5000},
                "attachments": {
                    "type": "array", "maxItems": 20,
                    "x-formwork-max-size": 10485760,
                    "x-formwork-accept": ["application/pdf", "image/*", ".docx"]
                },
                "milestones": {
                    "type": "array", "maxItems": 50,
                    "items": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["title"],
                        "properties": {
                            "title": {"type": "string", "maxLength": 200},
                            "due_date": {"type": "string"},
                            "owner": {"type": "string"}
                        }
                    }
                }
            }
        },
        "ui": {
            "order": ["name", "customer", "contact_phone", "contact_email", "amount", "business_line",
                      "region", "start_date", "end_date", "description", "attachments", "milestones"],
            "fields": {
                "name": {"label": {"zh-CN": "项目名称", "en": "Project name"}, "widget": "text"},
                "customer": {"label": {"zh-CN": "客户", "en": "Customer"}, "widget": "text"},
                "contact_phone": {"label": {"zh-CN": "联系电话", "en": "Contact phone"}, "widget": "phone"},
                "contact_email": {
                    "label": {"zh-CN": "联系邮箱", "en": "Contact email"}, "widget": "email",
                    "required_when": "not contact_phone"
                },
                "amount": {"label": {"zh-CN": "预计金额", "en": "Estimated amount"}, "widget": "money"},
                "business_line": {
                    "label": {"zh-CN": "业务线", "en": "Business line"}, "widget": "select",
                    "options": {
                        "software": {"zh-CN": "软件开发", "en": "Software development"},
                        "consulting": {"zh-CN": "咨询", "en": "Consulting"}
                    }
                },
                "region": {"label": {"zh-CN": "区域", "en": "Region"}, "widget": "select",
                           "options": {"华东": {"zh-CN": "华东", "en": "East China"}}},
                "start_date": {"label": {"zh-CN": "开始日期", "en": "Start date"}, "widget": "date"},
                "end_date": {"label": {"zh-CN": "结束日期", "en": "End date"}, "widget": "date"},
                "description": {"label": {"zh-CN": "项目描述", "en": "Description"}, "widget": "textarea"},
                "attachments": {"label": {"zh-CN": "附件", "en": "Attachments"}, "widget": "file"},
                "milestones": {
                    "label": {"zh-CN": "里程碑", "en": "Milestones"}, "widget": "subtable",
                    "fields": {
                        "title": {"label": {"zh-CN": "标题", "en": "Title"}, "widget": "text"},
                        "due_date": {"label": {"zh-CN": "计划完成日期", "en": "Due date"}, "widget": "date"},
                        "owner": {"label": {"zh-CN": "负责人", "en": "Owner"}, "widget": "user"}
                    }
                }
            }
        },
        "checks": [{
            "id": "end_after_start",
            "check": "end_date >= start_date",
            "path": "/end_date",
            "message": {"zh-CN": "结束日期不能早于开始日期", "en": "The end date cannot be before the start date"}
        }],
        "numbering": {"pattern": "PRJ-{year}-{seq:05}"}
    })
}

pub fn project() -> CompiledForm {
    compile(project_def())
}

pub fn valid_project() -> Value {
    json!({
        "name": "智慧园区一期",
        "customer": "华东电力",
        "contact_phone": "13800138000",
        "amount": "100000.30",
        "business_line": "software",
        "region": "华东",
        "start_date": "2026-12-01",
        "end_date": "2027-03-31",
        "milestones": [
            {"title": "需求确认", "due_date": "2026-12-15", "owner": "sales1"},
            {"title": "上线", "due_date": "2027-03-31"}
        ]
    })
}

pub const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

pub fn file(name: &str, size: u64, content_type: &str) -> Value {
    json!({"id": "f1", "name": name, "size": size, "content_type": content_type, "sha256": SHA})
}

/// One field of every kind.
pub fn kinds_def() -> Value {
    json!({
        "id": "kinds",
        "name": {"zh-CN": "字段类型"},
        "schema": {
            "type": "object",
            "properties": {
                "title": {"type": "string", "maxLength": 10},
                "notes": {"type": "string"},
                "bio": {"type": "string", "contentMediaType": "text/html"},
                "count": {"type": "integer", "minimum": 0},
                "ratio": {"type": "number", "maximum": 10},
                "price": {"type": "string", "x-formwork-minimum": "0", "x-formwork-maximum": "1000"},
                "share": {"type": "number", "x-formwork-kind": "percent", "minimum": 0, "maximum": 100},
                "day": {"type": "string"},
                "at": {"type": "string"},
                "color": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "uniqueItems": true},
                "size": {"type": "string", "enum": ["s", "m", "l"]},
                "agree": {"type": "boolean"},
                "mobile": {"type": "string"},
                "landline": {"type": "string", "x-formwork-kind": "landline"},
                "mail": {"type": "string"},
                "site": {"type": "string", "format": "uri"},
                "manager": {"type": "string"},
                "depts": {"type": "array", "items": {"type": "string"}},
                "customer_id": {"type": "string", "x-formwork-kind": "relation", "x-formwork-form": "customer",
                                "x-formwork-fills": {"customer_name": "name"}},
                "customer_name": {"type": "string"},
                "files": {"type": "array", "maxItems": 2, "x-formwork-max-size": 1048576,
                          "x-formwork-accept": "application/pdf, image/*"},
                "serial": {"type": "string", "x-formwork-kind": "auto_number"},
                "lines": {"type": "array", "items": {"type": "object", "required": ["item"], "properties": {
                    "item": {"type": "string"},
                    "qty": {"type": "integer", "minimum": 1},
                    "unit_price": {"type": "string"},
                    "subtotal": {"type": "string"}
                }}},
                "total": {"type": "string"}
            }
        },
        "ui": {"fields": {
            "title": {"label": {"zh-CN": "标题", "en": "Title"}, "widget": "text"},
            "notes": {"label": {"zh-CN": "备注", "en": "Notes"}, "widget": "textarea"},
            "bio": {"label": {"zh-CN": "简介", "en": "Bio"}, "widget": "textarea"},
            "count": {"label": {"zh-CN": "数量", "en": "Count"}, "widget": "number"},
            "ratio": {"label": {"zh-CN": "系数", "en": "Ratio"}, "widget": "number"},
            "price": {"label": {"zh-CN": "单价", "en": "Price"}, "widget": "money"},
            "share": {"label": {"zh-CN": "占比", "en": "Share"}, "widget": "number"},
            "day": {"label": {"zh-CN": "日期", "en": "Day"}, "widget": "date"},
            "at": {"label": {"zh-CN": "时间", "en": "Time"}, "widget": "datetime"},
            "color": {"label": {"zh-CN": "颜色", "en": "Colour"}, "widget": "select",
                      "options": {"red": {"zh-CN": "红", "en": "Red"}, "green": {"zh-CN": "绿", "en": "Green"}}},
            "tags": {"label": {"zh-CN": "标签", "en": "Tags"}, "widget": "multiselect",
                     "options": {"a": {"zh-CN": "甲", "en": "A"}, "b": {"zh-CN": "乙", "en": "B"}}},
            "size": {"label": {"zh-CN": "尺码", "en": "Size"}, "widget": "radio"},
            "agree": {"label": {"zh-CN": "同意条款", "en": "Terms accepted"}, "widget": "checkbox"},
            "mobile": {"label": {"zh-CN": "手机", "en": "Mobile"}, "widget": "phone"},
            "landline": {"label": {"zh-CN": "座机", "en": "Landline"}, "widget": "phone"},
            "mail": {"label": {"zh-CN": "邮箱", "en": "E-mail"}, "widget": "email"},
            "site": {"label": {"zh-CN": "网址", "en": "Website"}, "widget": "text"},
            "manager": {"label": {"zh-CN": "经理", "en": "Manager"}, "widget": "user"},
            "depts": {"label": {"zh-CN": "部门", "en": "Departments"}, "widget": "department"},
            "customer_id": {"label": {"zh-CN": "客户", "en": "Customer"}, "widget": "select"},
            "customer_name": {"label": {"zh-CN": "客户名称", "en": "Customer name"}},
            "files": {"label": {"zh-CN": "附件", "en": "Files"}, "widget": "file"},
            "serial": {"label": {"zh-CN": "编号", "en": "Serial"}},
            "lines": {"label": {"zh-CN": "明细", "en": "Lines"}, "widget": "subtable", "fields": {
                "item": {"label": {"zh-CN": "品名", "en": "Item"}},
                "qty": {"label": {"zh-CN": "数量", "en": "Quantity"}, "widget": "number"},
                "unit_price": {"label": {"zh-CN": "单价", "en": "Unit price"}, "widget": "money"},
                "subtotal": {"label": {"zh-CN": "小计", "en": "Subtotal"}, "widget": "money",
                             "compute": "qty * unit_price"}
            }},
            "total": {"label": {"zh-CN": "合计", "en": "Total"}, "widget": "money",
                      "compute": "lines | sum(attribute='subtotal')"}
        }}
    })
}

pub fn kinds() -> CompiledForm {
    compile(kinds_def())
}

/// The errors as `(path, code)` pairs.
pub fn codes(errors: &[FieldError]) -> Vec<(String, String)> {
    errors
        .iter()
        .map(|e| (e.path.clone(), e.code.clone()))
        .collect()
}

/// The zh-CN messages keyed by path.
pub fn zh(errors: &[FieldError]) -> Vec<(String, String)> {
    errors
        .iter()
        .map(|e| (e.path.clone(), e.message.get("zh-CN").to_owned()))
        .collect()
}

pub fn en(errors: &[FieldError]) -> Vec<(String, String)> {
    errors
        .iter()
        .map(|e| (e.path.clone(), e.message.get("en").to_owned()))
        .collect()
}

pub fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

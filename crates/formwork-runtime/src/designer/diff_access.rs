//! The access part of the package diff, in words: who reads and writes single fields, which
//! fields stay editable after approval and how locked ones change (变更), the customer row
//! scope and a process's inbox columns. The designer's `model/diff.ts` words them the same.

use serde_json::{Value, json};

use super::diff::{Change, change};

/// A field's label in `lang` (falling back to zh-CN, then the key).
fn label(form: &Value, key: &str, lang: &str) -> String {
    let t = &form["ui"]["fields"][key]["label"];
    t[lang]
        .as_str()
        .or_else(|| t["zh-CN"].as_str())
        .unwrap_or(key)
        .to_owned()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A role's name in `lang` as the package names it (its id when it has none).
fn role_name(package: &Value, id: &str, lang: &str) -> String {
    package["roles"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["id"] == id))
        .and_then(|r| r["name"][lang].as_str().or(r["name"]["zh-CN"].as_str()))
        .unwrap_or(id)
        .to_owned()
}

/// `owner` is the record's owner; other entries are role ids, named as the package names them.
fn who(package: &Value, list: &[String], lang: &str) -> String {
    let (owner, sep) = if lang == "en" {
        ("the owner", ", ")
    } else {
        ("提交人本人", "、")
    };
    list.iter()
        .map(|r| {
            if r == "owner" {
                owner.to_owned()
            } else {
                role_name(package, r, lang)
            }
        })
        .collect::<Vec<_>>()
        .join(sep)
}

/// The package's roles a field is hidden from and read-only for (a missing list: nobody).
fn restricted(package: &Value, p: &Value) -> (Vec<String>, Vec<String>) {
    let ids: Vec<String> = package["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    let (read, write) = (&p["read"], &p["write"]);
    let has = |list: &Value, r: &String| list.is_null() || strings(list).contains(r);
    let hidden = ids.iter().filter(|r| !has(read, r)).cloned().collect();
    let read_only = ids
        .iter()
        .filter(|r| has(read, r) && !has(write, r))
        .cloned()
        .collect();
    (hidden, read_only)
}

/// Per-field read/write roles (`permissions.fields`).
pub(super) fn field_permissions(
    out: &mut Vec<Change>,
    (at, package): (&str, &Value),
    a: &Value,
    b: &Value,
    (fz, fe): (&str, &str),
) {
    let (pa, pb) = (&a["permissions"]["fields"], &b["permissions"]["fields"]);
    let mut keys: Vec<&String> = pa
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
        .collect();
    for k in pb.as_object().into_iter().flatten().map(|(k, _)| k) {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    for key in keys {
        let (x, y) = (&pa[key.as_str()], &pb[key.as_str()]);
        if x == y {
            continue;
        }
        let form = if y.is_null() { a } else { b };
        let (lz, le) = (label(form, key, "zh-CN"), label(form, key, "en"));
        let kind = match (x.is_null(), y.is_null()) {
            (true, _) => "added",
            (_, true) => "removed",
            _ => "changed",
        };
        let (zh, en) = if y.is_null() {
            (
                format!("表单「{fz}」字段「{lz}」取消单独的字段权限（随记录权限）"),
                format!("Form \"{fe}\" field \"{le}\": own permissions removed (as the record's)"),
            )
        } else {
            let (hidden, read_only) = restricted(package, y);
            let mut z = Vec::new();
            let mut e = Vec::new();
            if !hidden.is_empty() {
                z.push(format!("对 {} 隐藏", who(package, &hidden, "zh-CN")));
                e.push(format!("hidden from {}", who(package, &hidden, "en")));
            }
            if !read_only.is_empty() {
                z.push(format!("对 {} 只读", who(package, &read_only, "zh-CN")));
                e.push(format!("read-only for {}", who(package, &read_only, "en")));
            }
            if z.is_empty() {
                z.push("各角色均可编辑".to_owned());
                e.push("every role may edit it".to_owned());
            }
            (
                format!("表单「{fz}」字段「{lz}」权限：{}", z.join("，")),
                format!("Form \"{fe}\" field \"{le}\" permissions: {}", e.join("; ")),
            )
        };
        out.push(change(
            format!("{at}/permissions/fields/{key}"),
            kind,
            zh,
            en,
            x,
            y,
        ));
    }
}

/// What stays editable after approval, and how the locked fields change.
pub(super) fn after_approval(
    out: &mut Vec<Change>,
    (at, package): (&str, &Value),
    a: &Value,
    b: &Value,
    (fz, fe): (&str, &str),
) {
    let (x, y) = (&a["after_approval"], &b["after_approval"]);
    if x == y {
        return;
    }
    let kind = match (x.is_null(), y.is_null()) {
        (true, _) => "added",
        (_, true) => "removed",
        _ => "changed",
    };
    let (zh, en) = if y.is_null() {
        (
            format!("表单「{fz}」审批通过后全部锁定（取消“通过后可修改”设置）"),
            format!("Form \"{fe}\": everything locked after approval (settings removed)"),
        )
    } else {
        let fields = |lang: &str| -> String {
            let list: Vec<String> = y["editable"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, w)| {
                    format!(
                        "{}（{}）",
                        label(b, k, lang),
                        who(package, &strings(w), lang)
                    )
                })
                .collect();
            if list.is_empty() {
                if lang == "en" { "none" } else { "无" }.to_owned()
            } else {
                list.join(if lang == "en" { ", " } else { "、" })
            }
        };
        let (cz, ce) = if y["changes"] == json!("change_request") {
            (
                "其余字段通过变更申请修改",
                "other fields change through a change request",
            )
        } else {
            ("其余字段锁定", "other fields locked")
        };
        (
            format!("表单「{fz}」审批通过后可修改：{}；{cz}", fields("zh-CN")),
            format!(
                "Form \"{fe}\" after approval editable: {}; {ce}",
                fields("en").replace('（', " (").replace('）', ")")
            ),
        )
    };
    out.push(change(format!("{at}/after_approval"), kind, zh, en, x, y));
}

/// The fields a process's inbox shows as columns.
pub(super) fn inbox_columns(
    out: &mut Vec<Change>,
    at: &str,
    package: (&Value, &Value),
    a: &Value,
    b: &Value,
    (pz, pe): (&str, &str),
) {
    let (x, y) = (&a["inbox_columns"], &b["inbox_columns"]);
    if x == y || strings(x) == strings(y) {
        return;
    }
    let form_of = |pkg: &Value, p: &Value| -> Value {
        pkg["forms"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["id"] == p["form"]))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let words = |pkg: &Value, p: &Value, lang: &str| -> String {
        let form = form_of(pkg, p);
        let cols = strings(&p["inbox_columns"]);
        if cols.is_empty() {
            return if lang == "en" { "default" } else { "默认" }.to_owned();
        }
        cols.iter()
            .map(|k| label(&form, k, lang))
            .collect::<Vec<_>>()
            .join(if lang == "en" { ", " } else { "、" })
    };
    out.push(change(
        format!("{at}/inbox_columns"),
        "changed",
        format!(
            "流程「{pz}」待办列表的列：{} → {}",
            words(package.0, a, "zh-CN"),
            words(package.1, b, "zh-CN")
        ),
        format!(
            "Process \"{pe}\" inbox columns: {} → {}",
            words(package.0, a, "en"),
            words(package.1, b, "en")
        ),
        x,
        y,
    ));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::diff::diff_packages;

    fn package(form: serde_json::Value, process: serde_json::Value) -> serde_json::Value {
        json!({"format": "formwork/app@1", "id": "a", "name": {"zh-CN": "应用"},
               "roles": [{"id": "sales", "name": {"zh-CN": "销售", "en": "Sales"}},
                         {"id": "manager", "name": {"zh-CN": "部门经理", "en": "Manager"}},
                         {"id": "client", "name": {"zh-CN": "客户联系人", "en": "Client"}}],
               "forms": [form], "processes": [process]})
    }

    fn form(extra: serde_json::Value) -> serde_json::Value {
        let mut f = json!({"id": "project", "name": {"zh-CN": "项目", "en": "Project"},
            "schema": {"type": "object", "properties": {"amount": {"type": "number"},
                       "milestones": {"type": "array"}, "customer": {"type": "string"}}},
            "ui": {"fields": {"amount": {"label": {"zh-CN": "金额", "en": "Amount"}},
                              "milestones": {"label": {"zh-CN": "里程碑", "en": "Milestones"}},
                              "customer": {"label": {"zh-CN": "客户", "en": "Customer"}}}}});
        for (k, v) in extra.as_object().unwrap() {
            f[k] = v.clone();
        }
        f
    }

    fn process(extra: serde_json::Value) -> serde_json::Value {
        let mut p = json!({"id": "flow", "name": {"zh-CN": "立项审批", "en": "Registration"},
            "form": "project", "edges": [],
            "nodes": [{"id": "mgr", "kind": "approval", "name": {"zh-CN": "经理审批"},
                       "assignee": {"type": "role", "role": "manager"}}]});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        p
    }

    fn summaries(a: &serde_json::Value, b: &serde_json::Value) -> Vec<(String, String)> {
        diff_packages(a, b)
            .into_iter()
            .map(|c| (c.zh, c.en))
            .collect()
    }

    #[test]
    fn field_permissions_customer_scope_and_after_approval_are_worded() {
        let a = package(form(json!({})), process(json!({})));
        let b = package(
            form(json!({
                "permissions": {"read_customer": ["client"],
                                "fields": {"amount": {"read": ["sales", "manager"], "write": ["sales"]}}},
                "after_approval": {"editable": {"milestones": ["owner", "manager"]}, "changes": "change_request"}
            })),
            process(json!({})),
        );
        let s = summaries(&a, &b);
        assert!(
            s.contains(&(
                "表单「项目」字段「金额」权限：对 客户联系人 隐藏，对 部门经理 只读".into(),
                "Form \"Project\" field \"Amount\" permissions: hidden from Client; read-only for Manager".into()
            )),
            "{s:#?}"
        );
        assert!(
            s.iter()
                .any(|(z, _)| z == "表单「项目」权限「查看本客户」：增加 client"),
            "{s:#?}"
        );
        assert!(
            s.contains(&(
                "表单「项目」审批通过后可修改：里程碑（提交人本人、部门经理）；其余字段通过变更申请修改".into(),
                "Form \"Project\" after approval editable: Milestones (the owner, Manager); other fields change through a change request".into()
            )),
            "{s:#?}"
        );
        // Back again: the field's own permissions and the after-approval settings go.
        let back = summaries(&b, &a);
        assert!(
            back.iter().any(|(z, _)| z.contains("取消单独的字段权限")),
            "{back:#?}"
        );
        assert!(
            back.iter().any(|(z, _)| z.contains("审批通过后全部锁定")),
            "{back:#?}"
        );
    }

    #[test]
    fn inbox_columns_and_optional_reasons_are_worded() {
        let a = package(form(json!({})), process(json!({})));
        let mut p = process(json!({"inbox_columns": ["customer", "amount"]}));
        p["nodes"][0]["reason_optional"] = json!(true);
        let b = package(form(json!({})), p);
        let s = summaries(&a, &b);
        assert!(
            s.contains(&(
                "流程「立项审批」待办列表的列：默认 → 客户、金额".into(),
                "Process \"Registration\" inbox columns: default → Customer, Amount".into()
            )),
            "{s:#?}"
        );
        assert!(
            s.iter()
                .any(|(z, _)| z == "流程「立项审批」修改节点「经理审批」：驳回/退回是否须填理由"),
            "{s:#?}"
        );
    }
}

//! Listing records: a list request as the API received it (`field:op:value` filters, a sort,
//! a search, a page cursor) checked against the form and turned into a `RecordQuery`, and the
//! page that comes back with the opaque cursor of the next one.

use base64::Engine;
use formwork_forms::CompiledForm;
use formwork_forms::kind::FieldKind;
use formwork_store::{
    AppId, COUNT_CAP, Column, Cursor, FieldKey, Filter, FilterOp, FormId, Record, RecordQuery,
    ValueKind, Visibility,
};
use serde_json::Value;
use time::OffsetDateTime;

use crate::accounts::problem;
use crate::policy::{CUSTOMER_FIELD, Caller, RowScope, readable_fields, redact};
use crate::{Runtime, RuntimeError, RuntimeResult};

/// Largest page a list returns.
pub const MAX_PAGE: u32 = 200;

/// What a list request asks for, as the API received it (checked here).
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    /// `field:op:value` terms, e.g. `amount:gte:50000`.
    pub filters: Vec<String>,
    /// `field` or `-field` (descending).
    pub sort: Option<String>,
    pub search: Option<String>,
    pub after: Option<String>,
    pub limit: Option<u32>,
}

/// One page of records and the cursor of the next page, if there may be one.
#[derive(Debug, Clone)]
pub struct RecordPage {
    pub records: Vec<Record>,
    pub next: Option<String>,
}

/// A list request as the store runs it.
struct Listing {
    /// `None` when the caller's scope admits no record.
    query: Option<RecordQuery>,
    /// The fields the caller may read, where the form hides some from them.
    keep: Option<std::collections::BTreeSet<String>>,
}

impl Runtime {
    /// One page of the records of a form that the caller may read.
    pub async fn list_records(
        &self,
        caller: &Caller,
        app_id: &AppId,
        form_id: &FormId,
        request: &ListRequest,
    ) -> RuntimeResult<RecordPage> {
        let Listing { query, keep } = self.listing(caller, (app_id, form_id), request).await?;
        let Some(query) = query else {
            return Ok(RecordPage {
                records: Vec::new(),
                next: None,
            });
        };
        let sort = query.sort.clone();
        let limit = query.limit - 1;
        let records = self.store.list_records(&query).await?;
        let mut page = page(records, limit, sort.as_ref().map(|(c, _)| c));
        if let Some(keep) = &keep {
            for record in &mut page.records {
                record.data = redact(keep, &record.data);
            }
        }
        Ok(page)
    }

    /// How many records the list `request` asks for holds (its cursor and limit ignored),
    /// counting at most [`COUNT_CAP`] (1,001): more than 1,000 is shown as "1,000+".
    pub async fn count_records(
        &self,
        caller: &Caller,
        app_id: &AppId,
        form_id: &FormId,
        request: &ListRequest,
    ) -> RuntimeResult<u32> {
        let listing = self.listing(caller, (app_id, form_id), request).await?;
        let Some(query) = listing.query else {
            return Ok(0);
        };
        Ok(self.store.count_records(&query, COUNT_CAP).await?)
    }

    /// A list request checked against the form's latest version and the caller's access.
    async fn listing(
        &self,
        caller: &Caller,
        (app_id, form_id): (&AppId, &FormId),
        request: &ListRequest,
    ) -> RuntimeResult<Listing> {
        let app = self.latest_app_for(caller, app_id).await?;
        let form = app.form(form_id)?;
        let readable = readable_fields(caller, form.def());
        let query = self
            .record_query(caller, (app_id, form_id), form, &readable, request)
            .await?;
        let hides_fields = !form.def().permissions.fields.is_empty();
        Ok(Listing {
            query,
            keep: hides_fields.then_some(readable),
        })
    }

    /// The store query of a list request, checked against the form and the caller's scope
    /// (its limit one more than the page, to learn whether another follows); `None` when the
    /// caller's scope admits no record.
    async fn record_query(
        &self,
        caller: &Caller,
        (app_id, form_id): (&AppId, &FormId),
        form: &CompiledForm,
        readable: &std::collections::BTreeSet<String>,
        request: &ListRequest,
    ) -> RuntimeResult<Option<RecordQuery>> {
        let Some(scope) = self.row_scope(caller, form.def()).await? else {
            return Err(RuntimeError::NotFound(format!("form {form_id}")));
        };
        let Some((visibility, mut filters)) = scope_query(caller, scope) else {
            return Ok(None);
        };
        for term in &request.filters {
            filters.push(parse_filter(form, readable, term)?);
        }
        // Drafts are left out by the query itself (`formwork_query::list::NOT_DRAFT`).
        let sort = request
            .sort
            .as_deref()
            .map(|s| {
                let (desc, key) = s.strip_prefix('-').map_or((false, s), |k| (true, k));
                column(form, readable, key, "/sort").map(|c| (c, desc))
            })
            .transpose()?;
        let after = request.after.as_deref().map(decode_cursor).transpose()?;
        let limit = request.limit.unwrap_or(20);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(bad_query(
                "/limit",
                &format!("limit 须在 1 到 {MAX_PAGE} 之间"),
                &format!("limit must be between 1 and {MAX_PAGE}"),
            ));
        }
        let search = request
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| (s.to_owned(), text_fields(form, readable)));
        Ok(Some(RecordQuery {
            app_id: app_id.clone(),
            form_id: form_id.clone(),
            visibility,
            filters,
            search,
            sort,
            after,
            limit: limit + 1,
            epoch: caller.epochs.map(|e| e.publish),
        }))
    }
}

impl Runtime {
    /// The records of `form` the caller may read, as the report and export query's row
    /// scope; `NotFound` when they may read none. A client's customer scope is a filter the
    /// report planner does not take, so reports and exports stay closed to clients.
    pub(crate) async fn visibility(
        &self,
        caller: &Caller,
        form: &CompiledForm,
    ) -> RuntimeResult<Visibility> {
        let not_found = || RuntimeError::NotFound(format!("form {}", form.def().id));
        match self.row_scope(caller, form.def()).await? {
            Some(RowScope::All) => Ok(Visibility::All),
            Some(RowScope::OwnOrDepartments(department_ids)) => Ok(Visibility::OwnOrDepartments {
                owner_id: caller.user.id.clone(),
                department_ids,
            }),
            Some(RowScope::Customer(_)) | None => Err(not_found()),
        }
    }
}

/// A row scope as the list query states it: a visibility and, for a customer, a filter;
/// `None` when it admits nothing (an account linked to no customer).
fn scope_query(caller: &Caller, scope: RowScope) -> Option<(Visibility, Vec<Filter>)> {
    Some(match scope {
        RowScope::All => (Visibility::All, Vec::new()),
        RowScope::OwnOrDepartments(department_ids) => (
            Visibility::OwnOrDepartments {
                owner_id: caller.user.id.clone(),
                department_ids,
            },
            Vec::new(),
        ),
        RowScope::Customer(name) => {
            let filter = Filter {
                column: Column::Data {
                    key: FieldKey::parse(CUSTOMER_FIELD).ok()?,
                    kind: ValueKind::Text,
                },
                op: FilterOp::Eq,
                value: Value::String(name?),
            };
            (Visibility::All, vec![filter])
        }
    })
}

const SYSTEM_COLUMNS: &[(&str, &str)] = &[
    ("id", "id"),
    ("number", "number"),
    ("owner", "owner_id"),
    ("department", "department_id"),
    ("status", "status"),
    ("created_at", "created_at"),
    ("updated_at", "updated_at"),
];

fn bad_query(pointer: &str, zh: &str, en: &str) -> RuntimeError {
    RuntimeError::Malformed {
        problem: problem(pointer, "invalid_query", zh, en),
    }
}

/// The column `key` names, if it is a system column or a field `readable` holds: a hidden
/// field is refused in the very words of a field the form does not have.
fn column(
    form: &CompiledForm,
    readable: &std::collections::BTreeSet<String>,
    key: &str,
    pointer: &str,
) -> RuntimeResult<Column> {
    if let Some((_, col)) = SYSTEM_COLUMNS.iter().find(|(name, _)| *name == key) {
        return Ok(Column::System(col));
    }
    let field = form
        .field(key)
        .filter(|_| readable.contains(key))
        .ok_or_else(|| {
            bad_query(
                pointer,
                &format!("表单中没有字段 “{key}”"),
                &format!("The form has no field \"{key}\""),
            )
        })?;
    let kind = match &field.kind {
        FieldKind::Integer | FieldKind::Decimal | FieldKind::Money | FieldKind::Percent => {
            ValueKind::Number
        }
        FieldKind::Checkbox => ValueKind::Bool,
        FieldKind::SubTable | FieldKind::Attachments(_) | FieldKind::MultiSelect => {
            return Err(bad_query(
                pointer,
                &format!("字段 “{key}” 不能用于筛选或排序"),
                &format!("Field \"{key}\" cannot be filtered or sorted on"),
            ));
        }
        _ => ValueKind::Text,
    };
    let key = FieldKey::parse(key).map_err(|_| {
        bad_query(
            pointer,
            &format!("字段 “{key}” 不能用于筛选或排序"),
            &format!("Field \"{key}\" cannot be filtered or sorted on"),
        )
    })?;
    Ok(Column::Data { key, kind })
}

/// The readable text fields a search looks in (every field of a published form has a key SQL
/// admits).
fn text_fields(
    form: &CompiledForm,
    readable: &std::collections::BTreeSet<String>,
) -> Vec<FieldKey> {
    form.fields()
        .iter()
        .filter(|f| readable.contains(&f.key))
        .filter(|f| {
            matches!(
                f.kind,
                FieldKind::Text | FieldKind::Textarea | FieldKind::Select | FieldKind::Radio
            )
        })
        .filter_map(|f| FieldKey::parse(&f.key).ok())
        .collect()
}

/// Parses one `field:op:value` filter term against the form's fields.
fn parse_filter(
    form: &CompiledForm,
    readable: &std::collections::BTreeSet<String>,
    term: &str,
) -> RuntimeResult<Filter> {
    let mut parts = term.splitn(3, ':');
    let key = parts.next().unwrap_or_default();
    let op_name = parts.next().unwrap_or("eq");
    let raw = parts.next();
    let column = column(form, readable, key, "/filter")?;
    let op = match op_name {
        "eq" => FilterOp::Eq,
        "ne" => FilterOp::Ne,
        "lt" => FilterOp::Lt,
        "lte" => FilterOp::Le,
        "gt" => FilterOp::Gt,
        "gte" => FilterOp::Ge,
        "contains" => FilterOp::Contains,
        "in" => FilterOp::In,
        "null" => FilterOp::IsNull,
        "notnull" => FilterOp::NotNull,
        other => {
            return Err(bad_query(
                "/filter",
                &format!(
                    "不支持的筛选运算 “{other}”，可用：eq ne lt lte gt gte contains in null notnull"
                ),
                &format!(
                    "Unknown filter operator \"{other}\"; use eq ne lt lte gt gte contains in null notnull"
                ),
            ));
        }
    };
    let value = match op {
        FilterOp::IsNull | FilterOp::NotNull => Value::Null,
        _ => {
            let raw = raw.ok_or_else(|| {
                bad_query(
                    "/filter",
                    &format!("筛选条件 “{term}” 缺少值"),
                    &format!("Filter \"{term}\" has no value"),
                )
            })?;
            if op == FilterOp::In {
                Value::Array(
                    raw.split('|')
                        .map(|v| typed(&column, v))
                        .collect::<RuntimeResult<_>>()?,
                )
            } else {
                typed(&column, raw)?
            }
        }
    };
    if op == FilterOp::Contains
        && !matches!(
            column,
            Column::Data {
                kind: ValueKind::Text,
                ..
            } | Column::System("number" | "status")
        )
    {
        return Err(bad_query(
            "/filter",
            "contains 只能用于文本字段",
            "contains works on text fields only",
        ));
    }
    Ok(Filter { column, op, value })
}

fn typed(column: &Column, raw: &str) -> RuntimeResult<Value> {
    match column {
        Column::Data {
            kind: ValueKind::Number,
            key,
        } => raw
            .parse::<rust_decimal::Decimal>()
            .map(|d| Value::String(d.normalize().to_string()))
            .map_err(|_| {
                bad_query(
                    "/filter",
                    &format!("字段 “{key}” 的筛选值须为数字"),
                    &format!("Filter value for \"{key}\" must be a number"),
                )
            }),
        Column::Data {
            kind: ValueKind::Bool,
            key,
        } => match raw {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(bad_query(
                "/filter",
                &format!("字段 “{key}” 的筛选值须为 true 或 false"),
                &format!("Filter value for \"{key}\" must be true or false"),
            )),
        },
        _ => Ok(Value::String(raw.to_owned())),
    }
}

fn page(mut records: Vec<Record>, limit: u32, sort: Option<&Column>) -> RecordPage {
    let more = records.len() > limit as usize;
    records.truncate(limit as usize);
    let next = more.then(|| records.last()).flatten().map(|last| {
        encode_cursor(&Cursor {
            value: sort.map_or(Value::Null, |c| sort_value(last, c)),
            id: last.id.clone(),
        })
    });
    RecordPage { records, next }
}

fn sort_value(record: &Record, column: &Column) -> Value {
    match column {
        Column::System("number") => record.number.clone().map_or(Value::Null, Value::String),
        Column::System("owner_id") => Value::String(record.owner_id.to_string()),
        Column::System("department_id") => record
            .department_id
            .as_ref()
            .map_or(Value::Null, |d| Value::String(d.to_string())),
        Column::System("status") => Value::String(record.status.as_str().to_owned()),
        Column::System("created_at") => Value::String(rfc3339(record.created_at)),
        Column::System("updated_at") => Value::String(rfc3339(record.updated_at)),
        Column::System(_) => Value::String(record.id.to_string()),
        Column::Data { key, .. } => record
            .data
            .get(key.as_str())
            .cloned()
            .unwrap_or(Value::Null),
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn encode_cursor(cursor: &Cursor) -> String {
    let json = serde_json::to_vec(cursor).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

fn decode_cursor(text: &str) -> RuntimeResult<Cursor> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Cursor>(&bytes).ok())
        // A cursor is ours only if it holds what a page of ours could: a scalar of a column,
        // never U+0000 (which PostgreSQL cannot compare as text).
        .filter(|c| match &c.value {
            Value::String(s) => !s.contains('\0'),
            Value::Array(_) | Value::Object(_) => false,
            _ => true,
        })
        .ok_or_else(|| bad_query("/after", "翻页游标无效", "The page cursor is not valid"))
}

//! The permission policy, asked by every path: what a caller may do with a form's records
//! (create, list and read in a scope, edit), and — in [`fields`] — what a person at a process
//! step may see and change of a record.
//!
//! A form's permissions name roles; `*` names every signed-in user, and admins may do
//! everything. Reading has four scopes: all records, those of the departments a person
//! belongs to or heads (with their sub-departments), those of the customer a client account is
//! linked to, or their own. Whoever may create may read their own. Within a readable record,
//! single fields may be kept from some roles ([`readable_fields`], [`writable_fields`]): every
//! path that shows, filters, sorts, searches, counts, diffs or sends record data asks here,
//! and a hidden field is treated exactly like one the form does not have.

pub mod fields;

use std::collections::BTreeSet;

use formwork_model::{FormDef, FormPermissionsDef, Problem, Text};
use formwork_store::{DepartmentId, Record, RecordStatus, RoleId};
use serde_json::Value;

use crate::Account;
use crate::{RuntimeError, RuntimeResult};

/// Role that matches every signed-in user in form permissions.
const EVERYONE: &str = "*";

/// The signed-in user with what permissions need.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: Account,
    pub roles: Vec<RoleId>,
    /// The epochs read with the caller's session, if there was one: the directory and the
    /// latest app versions the server holds serve the request without another read when
    /// they are at these.
    pub epochs: Option<formwork_store::Epochs>,
}

impl Caller {
    /// Whether the caller holds one of `roles` (or `*` is among them, or they are an admin).
    pub fn has_any(&self, roles: &[String]) -> bool {
        self.user.is_admin
            || roles
                .iter()
                .any(|r| r == EVERYONE || self.roles.iter().any(|mine| mine == r.as_str()))
    }
}

/// Which records of a form a person may list and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListScope {
    /// Every record.
    All,
    /// Their own and those of the departments they belong to or head.
    Department,
    /// Those whose `customer` field names the customer their account is linked to.
    Customer,
    /// Only their own.
    Own,
}

/// A [`ListScope`] with what it names resolved: the departments in charge, the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowScope {
    All,
    /// Their own, and those of these departments.
    OwnOrDepartments(Vec<DepartmentId>),
    /// Those whose [`CUSTOMER_FIELD`] equals this customer name; nothing when the account is
    /// linked to no customer.
    Customer(Option<String>),
}

/// The field a customer scope matches against the linked customer's name.
pub const CUSTOMER_FIELD: &str = "customer";

impl RowScope {
    /// Whether `record` lies in this scope for `caller`.
    pub fn admits(&self, caller: &Caller, record: &Record) -> bool {
        match self {
            RowScope::All => true,
            RowScope::OwnOrDepartments(departments) => {
                record.owner_id == caller.user.id
                    || record
                        .department_id
                        .as_ref()
                        .is_some_and(|d| departments.contains(d))
            }
            RowScope::Customer(customer) => customer.as_deref().is_some_and(|name| {
                record.data.get(CUSTOMER_FIELD).and_then(Value::as_str) == Some(name)
            }),
        }
    }
}

/// One form as a person may use it.
#[derive(Debug, Clone)]
pub struct FormAccess {
    /// The form's id as the package names it.
    pub form_id: String,
    pub name: Text,
    pub may_create: bool,
    /// `None` when they may not list its records at all.
    pub list_scope: Option<ListScope>,
}

/// The scope in which `caller` may read the records of a form, if any.
pub fn list_scope(caller: &Caller, perms: &FormPermissionsDef) -> Option<ListScope> {
    if caller.has_any(&perms.read_all) {
        Some(ListScope::All)
    } else if caller.has_any(&perms.read_department) {
        Some(ListScope::Department)
    } else if !caller.user.is_admin && caller.has_any(&perms.read_customer) {
        Some(ListScope::Customer)
    } else if caller.has_any(&perms.read_own) || caller.has_any(&perms.create) {
        Some(ListScope::Own)
    } else {
        None
    }
}

/// What `caller` may do with the records of `form`.
pub fn form_access(caller: &Caller, form: &FormDef) -> FormAccess {
    FormAccess {
        form_id: form.id.clone(),
        name: form.name.clone(),
        may_create: caller.has_any(&form.permissions.create),
        list_scope: list_scope(caller, &form.permissions),
    }
}

/// Whether `caller` may edit (or delete) `record` of `form` by permission alone.
fn may_change(caller: &Caller, form: &FormDef, record: &Record) -> bool {
    let p = &form.permissions;
    caller.has_any(&p.edit_all)
        || (record.owner_id == caller.user.id && caller.has_any(&p.edit_own))
}

/// Whether `caller` may edit `record` of `form` now as a whole: by permission, and only while
/// it is not in review, not waiting for its submitter's revision and has no locked result.
pub fn may_edit(caller: &Caller, form: &FormDef, record: &Record) -> bool {
    may_change(caller, form, record) && record.status.is_editable()
}

/// Whether `caller` may edit some fields of `record` now: as a whole, or — on a locked result —
/// the fields the form keeps editable after approval for them (admins: every field).
pub fn may_edit_some(caller: &Caller, form: &FormDef, record: &Record) -> bool {
    if may_edit(caller, form, record) {
        return true;
    }
    record.status.is_result()
        && (caller.user.is_admin
            || form.after_approval.as_ref().is_some_and(|a| {
                a.editable
                    .keys()
                    .any(|f| editable_after(caller, form, record, f))
            }))
}

/// Whether `field` of the ended `record` stays editable for `caller` (admins excepted).
pub fn editable_after(caller: &Caller, form: &FormDef, record: &Record, field: &str) -> bool {
    let roles: Vec<&str> = caller.roles.iter().map(|r| r.as_str()).collect();
    form.after_approval
        .as_ref()
        .is_some_and(|a| a.editable_by(field, record.owner_id == caller.user.id, &roles))
}

/// How an allowed edit is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EditKind {
    /// An ordinary edit.
    Plain,
    /// An admin changed a locked result: audited and flagged.
    AdminOverride,
}

/// Whether `caller` may delete `record`, or change the top-level `fields` of it (`None`: the
/// record as a whole), as the reason it is refused: `Forbidden` without permission,
/// `record_in_review` while in review, `record_returned` while it waits for its submitter's
/// revision, `record_locked` (pointing to 变更) for a locked field of an ended record.
pub(crate) fn check_editable(
    caller: &Caller,
    form: &FormDef,
    record: &Record,
    fields: Option<&[&str]>,
) -> RuntimeResult<EditKind> {
    let result = record.status.is_result();
    let kept = |f: &&str| editable_after(caller, form, record, f);
    let only_kept = result && fields.is_some_and(|f| !f.is_empty() && f.iter().all(kept));
    if !may_change(caller, form, record) && !only_kept {
        return Err(RuntimeError::Forbidden);
    }
    let refused = |code: &'static str| RuntimeError::StateConflict {
        code,
        cause: format!("record {} is {}", record.id, record.status),
    };
    match record.status {
        s if s.is_editable() => Ok(EditKind::Plain),
        RecordStatus::InReview => Err(refused("record_in_review")),
        RecordStatus::Returned => Err(refused("record_returned")),
        _ if only_kept => Ok(EditKind::Plain),
        _ if caller.user.is_admin => Ok(EditKind::AdminOverride),
        _ => Err(refused("record_locked")),
    }
}

/// The rule of one field, if the form lists it.
fn field_rule<'a>(form: &'a FormDef, key: &str) -> Option<&'a formwork_model::FieldPermissionDef> {
    form.permissions.fields.get(key)
}

/// Whether `caller` may read field `key` of the records of `form` they may read.
pub fn may_read_field(caller: &Caller, form: &FormDef, key: &str) -> bool {
    field_rule(form, key)
        .and_then(|r| r.read.as_ref())
        .is_none_or(|roles| caller.has_any(roles))
}

/// Whether `caller` may write field `key` (when they may edit or create the record).
pub fn may_write_field(caller: &Caller, form: &FormDef, key: &str) -> bool {
    may_read_field(caller, form, key)
        && field_rule(form, key)
            .and_then(|r| r.write.as_ref())
            .is_none_or(|roles| caller.has_any(roles))
}

/// The top-level fields of `form` that `caller` may read.
pub fn readable_fields(caller: &Caller, form: &FormDef) -> BTreeSet<String> {
    form.field_keys()
        .into_iter()
        .filter(|k| may_read_field(caller, form, k))
        .map(str::to_owned)
        .collect()
}

/// The top-level fields of `form` that `caller` may write.
pub fn writable_fields(caller: &Caller, form: &FormDef) -> BTreeSet<String> {
    form.field_keys()
        .into_iter()
        .filter(|k| may_write_field(caller, form, k))
        .map(str::to_owned)
        .collect()
}

/// `data` (an object keyed by field) without the keys outside `readable`; a diff
/// (`{field: {from, to}}`) is redacted the same way.
pub fn redact(readable: &BTreeSet<String>, data: &Value) -> Value {
    match data {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| readable.contains(k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A record as `caller` may see it: its data without the fields hidden from them.
pub fn redact_record(caller: &Caller, form: &FormDef, mut record: Record) -> Record {
    if !form.permissions.fields.is_empty() {
        record.data = redact(&readable_fields(caller, form), &record.data);
    }
    record
}

/// One problem per key of `changes` that `caller` may not write: a field they may not read
/// is refused exactly like a field the form does not have, so a refusal tells nothing.
/// Pointers start with `prefix` (`""` for a record body, `"/data"` for a task decision).
pub(crate) fn refused_writes(
    caller: &Caller,
    form: &FormDef,
    changes: &Value,
    prefix: &str,
) -> Vec<Problem> {
    let Some(map) = changes.as_object() else {
        return Vec::new();
    };
    map.keys()
        .filter(|k| form.field_keys().contains(&k.as_str()))
        .filter(|k| !may_write_field(caller, form, k))
        .map(|k| {
            let pointer = format!("{prefix}/{}", formwork_model::problem::escape_token(k));
            if may_read_field(caller, form, k) {
                crate::accounts::problem(
                    &pointer,
                    "read_only",
                    "您不能修改该字段",
                    "You may not change this field",
                )
            } else {
                unknown_field(pointer, k)
            }
        })
        .collect()
}

/// What a submission naming a field the form does not have is told (the form engine's words).
pub(crate) fn unknown_field(pointer: String, key: &str) -> Problem {
    let e = formwork_forms::messages::unknown_field(pointer, key);
    Problem {
        pointer: e.path,
        code: e.code,
        message: e.message,
    }
}

/// The access of each field at a human step made no wider than the caller's role allows:
/// fields they may not read are left out, fields they may not write are only shown.
pub(crate) fn within_role(
    caller: &Caller,
    form: &FormDef,
    at_step: std::collections::BTreeMap<String, fields::FieldAccess>,
) -> std::collections::BTreeMap<String, fields::FieldAccess> {
    at_step
        .into_iter()
        .filter(|(k, _)| may_read_field(caller, form, k))
        .map(|(k, access)| {
            if access == fields::FieldAccess::Editable && !may_write_field(caller, form, &k) {
                (k, fields::FieldAccess::Visible)
            } else {
                (k, access)
            }
        })
        .collect()
}

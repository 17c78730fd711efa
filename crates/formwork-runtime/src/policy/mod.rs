//! The permission policy, asked by every path: what a caller may do with a form's records
//! (create, list and read in a scope, edit), and — in [`fields`] — what a person at a process
//! step may see and change of a record.
//!
//! A form's permissions name roles; `*` names every signed-in user, and admins may do
//! everything. Reading has three scopes: all records, those of the departments a person
//! belongs to or heads (with their sub-departments), or their own. Whoever may create may read
//! their own.

pub mod fields;

use formwork_model::{FormDef, FormPermissionsDef, Text};
use formwork_store::{DepartmentId, Record, RecordStatus, RoleId};

use crate::Account;
use crate::{RuntimeError, RuntimeResult};

/// Role that matches every signed-in user in form permissions.
const EVERYONE: &str = "*";

/// The signed-in user with what permissions need.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: Account,
    pub roles: Vec<RoleId>,
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
    /// Only their own.
    Own,
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

/// The fields of `form` whose values `caller` may read in lists, reports, views and exports.
/// Every report, export and view column goes through this one function.
pub fn readable_fields(caller: &Caller, form: &FormDef) -> std::collections::BTreeSet<String> {
    let _ = caller;
    form.field_keys().into_iter().map(str::to_owned).collect()
}

/// Whether `caller` may read `record`, given their scope and the departments they are in
/// charge of (`Directory::in_charge`).
pub(crate) fn may_read(
    caller: &Caller,
    scope: ListScope,
    in_charge: &[DepartmentId],
    record: &Record,
) -> bool {
    let own = record.owner_id == caller.user.id;
    match scope {
        ListScope::All => true,
        ListScope::Department => {
            own || record
                .department_id
                .as_ref()
                .is_some_and(|d| in_charge.contains(d))
        }
        ListScope::Own => own,
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

//! Departments as a tree with heads (admins only): create, rename, set the head, move under
//! another department, delete. Every refusal a person can cause — an empty name, a name taken
//! beside it, a move under itself or its own sub-department, deleting a department that still
//! has members or sub-departments — is a 422 naming the field, checked against the directory
//! first so the words are clear; the store checks again inside its transaction (a race loses
//! with 409). Every change moves the directory epoch in the store, so every server's directory
//! snapshot — and with it assignee resolution and department read scopes — follows at once.

use formwork_store::{Department, DepartmentId, NewDepartment};

use crate::accounts::problem;
use crate::directory::Directory;
use crate::policy::Caller;
use crate::{Account, Runtime, RuntimeError, RuntimeResult};

/// Longest department name, in characters.
pub const MAX_DEPARTMENT_NAME: usize = 100;

/// One department of the tree, in the order a tree is drawn (each parent before its
/// sub-departments, siblings by name).
#[derive(Debug, Clone)]
pub struct DepartmentNode {
    pub department: Department,
    /// 0 for a top department.
    pub depth: usize,
    pub head: Option<Account>,
    /// People whose department this is (not counting sub-departments).
    pub members: usize,
    pub children: usize,
}

impl Runtime {
    /// The whole tree, drawn top-down (admins only).
    pub async fn department_tree(&self, caller: &Caller) -> RuntimeResult<Vec<DepartmentNode>> {
        require_admin(caller)?;
        let dir = self.directory().await?;
        let mut out = Vec::new();
        let mut stack: Vec<(&Department, usize)> = children_of(&dir, None)
            .into_iter()
            .rev()
            .map(|d| (d, 0))
            .collect();
        while let Some((dept, depth)) = stack.pop() {
            // A cycle written into the database by hand is drawn once, not forever.
            if out
                .iter()
                .any(|n: &DepartmentNode| n.department.id == dept.id)
            {
                continue;
            }
            let children = children_of(&dir, Some(&dept.id));
            out.push(DepartmentNode {
                department: dept.clone(),
                depth,
                head: dept
                    .head_user_id
                    .as_ref()
                    .and_then(|id| dir.user(id))
                    .cloned(),
                members: dir.department_members(&dept.id).len(),
                children: children.len(),
            });
            stack.extend(children.into_iter().rev().map(|d| (d, depth + 1)));
        }
        Ok(out)
    }

    /// Creates a department under `parent` (at the top with `None`), headed by the user named
    /// `head` if given.
    pub async fn admin_create_department(
        &self,
        caller: &Caller,
        name: &str,
        parent: Option<&DepartmentId>,
        head: Option<&str>,
    ) -> RuntimeResult<Department> {
        require_admin(caller)?;
        let dir = self.directory().await?;
        let name = checked_name(name)?;
        if let Some(parent) = parent {
            department(&dir, parent)?;
        }
        refuse_sibling_name(&dir, parent, &name, None)?;
        let head = head_named(&dir, head)?;
        let created = self
            .store
            .create_department(NewDepartment {
                name,
                parent_id: parent.cloned(),
                head_user_id: head,
            })
            .await?;
        Ok(created)
    }

    /// Renames a department.
    pub async fn admin_rename_department(
        &self,
        caller: &Caller,
        id: &DepartmentId,
        name: &str,
    ) -> RuntimeResult<Department> {
        require_admin(caller)?;
        let dir = self.directory().await?;
        let dept = department(&dir, id)?;
        let name = checked_name(name)?;
        if name == dept.name {
            return Ok(dept.clone());
        }
        refuse_sibling_name(&dir, dept.parent_id.as_ref(), &name, Some(id))?;
        Ok(self
            .store
            .rename_department(id, &name, Some(&caller.user.id))
            .await?)
    }

    /// Makes the user named `head` the department's head, or leaves it without one (`None`).
    pub async fn admin_set_department_head(
        &self,
        caller: &Caller,
        id: &DepartmentId,
        head: Option<&str>,
    ) -> RuntimeResult<()> {
        require_admin(caller)?;
        let dir = self.directory().await?;
        department(&dir, id)?;
        let head = head_named(&dir, head)?;
        Ok(self.store.set_department_head(id, head.as_ref()).await?)
    }

    /// Moves a department (with everything under it) under `parent`, or to the top (`None`).
    /// Refused when `parent` is the department itself or one of its sub-departments.
    pub async fn admin_move_department(
        &self,
        caller: &Caller,
        id: &DepartmentId,
        parent: Option<&DepartmentId>,
    ) -> RuntimeResult<Department> {
        require_admin(caller)?;
        let dir = self.directory().await?;
        let dept = department(&dir, id)?;
        if let Some(parent) = parent {
            let target = department(&dir, parent)?;
            if above_or_self(&dir, parent).contains(&id) {
                let (zh, en) = if parent == id {
                    (
                        format!("不能把「{}」移到它自己之下", dept.name),
                        format!("“{}” cannot be moved under itself", dept.name),
                    )
                } else {
                    (
                        format!(
                            "不能把「{}」移到它的下级部门「{}」之下",
                            dept.name, target.name
                        ),
                        format!(
                            "“{}” cannot be moved under its own sub-department “{}”",
                            dept.name, target.name
                        ),
                    )
                };
                return Err(invalid("/parent_id", "department_cycle", &zh, &en));
            }
        }
        if dept.parent_id.as_ref() == parent {
            return Ok(dept.clone());
        }
        refuse_sibling_name(&dir, parent, &dept.name, Some(id))?;
        Ok(self
            .store
            .move_department(id, parent, Some(&caller.user.id))
            .await?)
    }

    /// Deletes a department that has no members, no sub-departments and no records.
    pub async fn admin_delete_department(
        &self,
        caller: &Caller,
        id: &DepartmentId,
    ) -> RuntimeResult<()> {
        require_admin(caller)?;
        let dir = self.directory().await?;
        let dept = department(&dir, id)?;
        let members = dir.department_members(id).len();
        if members > 0 {
            return Err(invalid(
                "/id",
                "department_has_members",
                &format!(
                    "「{}」还有 {members} 名成员，请先把他们调到其他部门再删除",
                    dept.name
                ),
                &format!(
                    "“{}” still has {members} members; move them to another department first",
                    dept.name
                ),
            ));
        }
        let children = children_of(&dir, Some(id)).len();
        if children > 0 {
            return Err(invalid(
                "/id",
                "department_has_children",
                &format!(
                    "「{}」下还有 {children} 个下级部门，请先移走或删除它们",
                    dept.name
                ),
                &format!(
                    "“{}” still has {children} sub-departments; move or delete them first",
                    dept.name
                ),
            ));
        }
        match self
            .store
            .delete_department(id, Some(&caller.user.id))
            .await
        {
            // Records still filed under it (or a member added meanwhile).
            Err(formwork_store::StoreError::Conflict(_)) => Err(invalid(
                "/id",
                "department_in_use",
                &format!("「{}」名下还有记录或成员，不能删除", dept.name),
                &format!(
                    "“{}” still has records or members filed under it and cannot be deleted",
                    dept.name
                ),
            )),
            done => Ok(done?),
        }
    }
}

fn require_admin(caller: &Caller) -> RuntimeResult<()> {
    if caller.user.is_admin {
        Ok(())
    } else {
        Err(RuntimeError::Forbidden)
    }
}

fn invalid(pointer: &str, code: &str, zh: &str, en: &str) -> RuntimeError {
    RuntimeError::Invalid {
        problems: vec![problem(pointer, code, zh, en)],
    }
}

fn department<'a>(dir: &'a Directory, id: &DepartmentId) -> RuntimeResult<&'a Department> {
    dir.department(id)
        .ok_or_else(|| RuntimeError::NotFound(format!("department {id}")))
}

/// The sub-departments of `parent` (the top departments for `None`), by name as Rust
/// compares it (the same on both databases, whatever their collation).
fn children_of<'a>(dir: &'a Directory, parent: Option<&DepartmentId>) -> Vec<&'a Department> {
    let mut out: Vec<&Department> = dir
        .departments()
        .iter()
        .filter(|d| d.parent_id.as_ref() == parent)
        .collect();
    out.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    out
}

/// `id` and every department above it, up to the top.
fn above_or_self<'a>(dir: &'a Directory, id: &'a DepartmentId) -> Vec<&'a DepartmentId> {
    let mut out = vec![id];
    let mut next = dir.department(id).and_then(|d| d.parent_id.as_ref());
    while let Some(up) = next {
        if out.contains(&up) {
            break;
        }
        out.push(up);
        next = dir.department(up).and_then(|d| d.parent_id.as_ref());
    }
    out
}

fn checked_name(name: &str) -> RuntimeResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_DEPARTMENT_NAME {
        return Err(invalid(
            "/name",
            "invalid_department_name",
            "部门名称须为 1–100 个字符",
            "Department name must be 1–100 characters",
        ));
    }
    Ok(name.to_owned())
}

/// Refuses `name` when another department under `parent` (other than `except`) has it.
fn refuse_sibling_name(
    dir: &Directory,
    parent: Option<&DepartmentId>,
    name: &str,
    except: Option<&DepartmentId>,
) -> RuntimeResult<()> {
    let taken = children_of(dir, parent)
        .into_iter()
        .any(|d| d.name == name && Some(&d.id) != except);
    if taken {
        let (zh, en) = match parent.and_then(|p| dir.department(p)) {
            Some(p) => (
                format!("「{}」下已有名为「{name}」的部门", p.name),
                format!("“{}” already has a department named “{name}”", p.name),
            ),
            None => (
                format!("顶层已有名为「{name}」的部门"),
                format!("There is already a top department named “{name}”"),
            ),
        };
        return Err(invalid("/name", "department_name_taken", &zh, &en));
    }
    Ok(())
}

/// The active user named `head`, as a department's head; `None` for no head.
fn head_named(
    dir: &Directory,
    head: Option<&str>,
) -> RuntimeResult<Option<formwork_store::UserId>> {
    match head.map(str::trim).filter(|h| !h.is_empty()) {
        None => Ok(None),
        Some(username) => match dir.active(username) {
            Some(user) => Ok(Some(user.id.clone())),
            None => Err(invalid(
                "/head",
                "unknown_head",
                &format!("没有名为「{username}」的在职用户，不能设为负责人"),
                &format!("There is no active user “{username}” to be the head"),
            )),
        },
    }
}

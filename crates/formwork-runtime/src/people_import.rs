//! Bulk import of people and departments from a spreadsheet (XLSX, or CSV as Excel saves it)
//! that an admin fills in: one person a row, with columns named in Chinese or English —
//! 用户名/username, 姓名/name, 邮箱/email, 部门/department, 上级部门/parent, 角色/roles
//! (separated by commas or 、), 初始密码/password. Departments that do not exist are created
//! (under their parent, created too if need be); a row with a department and no username
//! creates just the department, so a sheet can lay out the tree alone. A parent first created
//! at the top because a row below it came first is moved under its own parent when its row
//! comes, so the tree does not depend on the order of rows. People who exist are left as they
//! are; every refused row is reported with its row number, the others are imported.

use std::collections::{HashMap, HashSet};

use formwork_sheets::{RawCell, detect_format, read_grid};
use formwork_store::{DepartmentId, NewDepartment, RoleId};

use crate::policy::Caller;
use crate::{NewUserInput, Runtime, RuntimeError, RuntimeResult};

/// Header names each column may have.
const COLUMNS: &[(&str, &[&str])] = &[
    ("username", &["用户名", "username", "账号"]),
    ("name", &["姓名", "name", "display_name"]),
    ("email", &["邮箱", "email"]),
    ("department", &["部门", "department"]),
    ("parent", &["上级部门", "parent", "parent_department"]),
    ("roles", &["角色", "roles"]),
    ("password", &["初始密码", "password", "密码"]),
];

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeopleImport {
    pub users_created: usize,
    pub departments_created: usize,
    /// Usernames that existed and were left as they are.
    pub skipped: Vec<String>,
    /// `(row number as the sheet shows it, why)`.
    pub refused: Vec<(usize, String)>,
}

fn text(cell: Option<&RawCell>) -> String {
    match cell {
        Some(RawCell::Text(t)) => t.trim().to_owned(),
        Some(RawCell::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

impl Runtime {
    /// Imports people and departments from an uploaded sheet (admins only).
    pub async fn import_people(
        &self,
        caller: &Caller,
        filename: &str,
        bytes: &[u8],
    ) -> RuntimeResult<PeopleImport> {
        if !caller.user.is_admin {
            return Err(RuntimeError::Forbidden);
        }
        let bad = |e: String| RuntimeError::Invalid {
            problems: vec![crate::accounts::problem(
                "/file",
                "unreadable",
                &format!("无法读取表格：{e}"),
                &format!("The sheet cannot be read: {e}"),
            )],
        };
        let format = detect_format(bytes, filename).ok_or_else(|| bad("xlsx/csv".into()))?;
        let grid = read_grid(bytes, format).map_err(|e| bad(e.message("zh-CN")))?;
        let at: HashMap<&str, usize> = COLUMNS
            .iter()
            .filter_map(|(key, names)| {
                let i = grid.header.iter().position(|h| names.contains(&h.trim()))?;
                Some((*key, i))
            })
            .collect();
        let mut out = PeopleImport::default();
        let mut made_top = HashSet::new();
        for (i, row) in grid.rows.iter().enumerate() {
            let get = |k: &str| text(at.get(k).and_then(|i| row.get(*i)));
            let number = i + 2;
            let username = get("username");
            let department = match self
                .ensure_department(&get("department"), &get("parent"), &mut made_top, &mut out)
                .await
            {
                Ok(department) => department,
                Err(RuntimeError::Conflict(_)) => {
                    let why = format!(
                        "部门「{}」不能放到「{}」之下（会形成循环或与同级部门重名）",
                        get("department"),
                        get("parent")
                    );
                    out.refused.push((number, why));
                    continue;
                }
                Err(e) => return Err(e),
            };
            if username.is_empty() {
                continue;
            }
            if self.store.get_user_by_username(&username).await?.is_some() {
                out.skipped.push(username);
                continue;
            }
            let name = get("name");
            let email = get("email");
            let input = NewUserInput {
                username: username.clone(),
                display_name: (!name.is_empty()).then_some(name),
                email: (!email.is_empty()).then_some(email),
                password: get("password"),
                department_id: department,
                is_admin: false,
            };
            match self.add_user(input, Some(&caller.user.id)).await {
                Ok(user) => {
                    out.users_created += 1;
                    for role in get("roles")
                        .split([',', '，', '、'])
                        .map(str::trim)
                        .filter(|r| !r.is_empty())
                    {
                        match RoleId::parse(role) {
                            Ok(id) if self.store.list_roles().await?.iter().any(|r| r.id == id) => {
                                self.store.add_role_member(&id, &user.id).await?;
                            }
                            _ => out.refused.push((number, format!("角色「{role}」不存在"))),
                        }
                    }
                }
                Err(RuntimeError::Invalid { problems }) => {
                    let why = problems
                        .iter()
                        .map(|p| p.message.get("zh-CN").to_owned())
                        .collect::<Vec<_>>()
                        .join("；");
                    out.refused.push((number, why));
                }
                Err(RuntimeError::Conflict(_)) => out.skipped.push(username),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// The department named `name` (created under `parent` if missing); `None` for no name.
    /// `made_top` holds the departments this import created at the top only because they were
    /// named as a parent first; the row that names their own parent moves them under it.
    async fn ensure_department(
        &self,
        name: &str,
        parent: &str,
        made_top: &mut HashSet<DepartmentId>,
        out: &mut PeopleImport,
    ) -> RuntimeResult<Option<DepartmentId>> {
        if name.is_empty() {
            return Ok(None);
        }
        let existing = self.store.get_department_by_name(name).await?;
        if let Some(d) = &existing
            && (parent.is_empty() || !made_top.contains(&d.id))
        {
            return Ok(Some(d.id.clone()));
        }
        let parent_id = match parent {
            "" => None,
            p => match self.store.get_department_by_name(p).await? {
                Some(d) => Some(d.id),
                None => {
                    out.departments_created += 1;
                    let new = NewDepartment {
                        name: p.to_owned(),
                        parent_id: None,
                        head_user_id: None,
                    };
                    let id = self.store.create_department(new).await?.id;
                    made_top.insert(id.clone());
                    Some(id)
                }
            },
        };
        if let Some(d) = existing {
            made_top.remove(&d.id);
            // One transaction that refuses a cycle (a sheet naming each other as parents).
            self.store
                .move_department(&d.id, parent_id.as_ref(), None)
                .await?;
            return Ok(Some(d.id));
        }
        out.departments_created += 1;
        let new = NewDepartment {
            name: name.to_owned(),
            parent_id,
            head_user_id: None,
        };
        Ok(Some(self.store.create_department(new).await?.id))
    }
}

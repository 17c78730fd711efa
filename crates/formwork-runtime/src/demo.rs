//! The demo organisation of the sample app (DESIGN.md): departments with heads, users and
//! roles. Every step reuses what exists, so running `formwork demo` again changes nothing.

use formwork_store::{NewDepartment, Role, RoleId};

use crate::accounts::{check_new_user, hash_password, password_problem};
use crate::{Account, NewUserInput, Runtime, RuntimeError, RuntimeResult};

/// Demo users: username, display name, department, admin flag.
pub const DEMO_USERS: &[(&str, &str, Option<&str>, bool)] = &[
    ("admin", "系统管理员", None, true),
    ("analyst", "业务分析师", None, false),
    ("sales1", "华东销售 张伟", Some(EAST), false),
    ("sales2", "华北销售 李娜", Some(NORTH), false),
    ("manager1", "华东销售部经理 王强", Some(EAST), false),
    ("manager2", "华北销售部经理 刘洋", Some(NORTH), false),
    ("director", "销售中心总监 陈静", Some(CENTRE), false),
    ("ceo", "总经理 赵敏", None, false),
    ("east_head", "华东区负责人 孙磊", None, false),
    ("finance", "财务 周婷", None, false),
    ("client1", "客户联系人 吴昊", None, false),
    ("client2", "客户联系人 郑洁", None, false),
];

const CENTRE: &str = "销售中心";
const EAST: &str = "华东销售部";
const NORTH: &str = "华北销售部";

/// Departments: name, parent, head.
const DEPARTMENTS: &[(&str, Option<&str>, &str)] = &[
    (CENTRE, None, "director"),
    (EAST, Some(CENTRE), "manager1"),
    (NORTH, Some(CENTRE), "manager2"),
];

/// Roles: id, zh-CN name, en name, members.
const ROLES: &[(&str, &str, &str, &[&str])] = &[
    ("admin", "管理员", "Administrator", &["admin"]),
    (
        crate::DESIGNER_ROLE,
        "应用设计者",
        "App designer",
        &["analyst"],
    ),
    ("sales", "销售", "Sales", &["sales1", "sales2"]),
    (
        "manager",
        "部门经理",
        "Department manager",
        &["manager1", "manager2"],
    ),
    ("director", "销售总监", "Sales director", &["director"]),
    ("ceo", "总经理", "CEO", &["ceo"]),
    (
        "east_head",
        "华东区负责人",
        "East China head",
        &["east_head"],
    ),
    ("finance", "财务", "Finance", &["finance"]),
    ("client", "客户", "Client", &["client1", "client2"]),
];

/// What `ensure_demo_org` did.
#[derive(Debug, Clone, Default)]
pub struct DemoSetup {
    /// Users created by this call (empty when everything existed already).
    pub created_users: Vec<String>,
}

impl Runtime {
    /// Creates whatever part of the demo organisation is missing. With `reset_passwords`,
    /// existing demo users get `password` too.
    pub async fn ensure_demo_org(
        &self,
        password: &str,
        reset_passwords: bool,
    ) -> RuntimeResult<DemoSetup> {
        let store = &self.store;
        let mut dept_ids = std::collections::HashMap::new();
        for (name, parent, _) in DEPARTMENTS {
            let id = match store.get_department_by_name(name).await? {
                Some(d) => d.id,
                None => {
                    let parent_id = parent.and_then(|p| dept_ids.get(p).cloned());
                    store
                        .create_department(NewDepartment {
                            name: (*name).to_owned(),
                            parent_id,
                            head_user_id: None,
                        })
                        .await?
                        .id
                }
            };
            dept_ids.insert(*name, id);
        }

        let mut setup = DemoSetup::default();
        let mut user_ids = std::collections::HashMap::new();
        // The demo users share the one password printed at start-up, so one hash serves them
        // all (twelve argon2 hashes took a third of a second, every test paying it twice).
        let mut hash: Option<String> = None;
        for (username, display, dept, is_admin) in DEMO_USERS {
            let existing = store.get_user_by_username(username).await?;
            if (existing.is_none() || reset_passwords) && hash.is_none() {
                if let Some(p) = password_problem(password) {
                    return Err(RuntimeError::Invalid { problems: vec![p] });
                }
                hash = Some(hash_password(password.to_owned()).await?);
            }
            let hashed = hash.clone().unwrap_or_default();
            let user = match existing {
                Some(u) => {
                    if reset_passwords {
                        store.set_password(&u.id, &hashed).await?;
                    }
                    Account::from(u)
                }
                None => {
                    setup.created_users.push((*username).to_owned());
                    let input = NewUserInput {
                        username: (*username).to_owned(),
                        display_name: Some((*display).to_owned()),
                        email: Some(format!("{username}@example.com")),
                        password: password.to_owned(),
                        department_id: dept.and_then(|d| dept_ids.get(d).cloned()),
                        is_admin: *is_admin,
                    };
                    check_new_user(&input)?;
                    self.create_user_hashed(input, hashed, None).await?
                }
            };
            user_ids.insert(*username, user.id);
        }

        for (name, _, head) in DEPARTMENTS {
            if let (Some(dept), Some(head)) = (dept_ids.get(name), user_ids.get(head)) {
                store.set_department_head(dept, Some(head)).await?;
            }
        }
        for (id, zh, en, members) in ROLES {
            let id = crate::error::package_id(RoleId::parse(id))?;
            store
                .upsert_role(Role {
                    id: id.clone(),
                    name_zh: (*zh).to_owned(),
                    name_en: (*en).to_owned(),
                })
                .await?;
            for member in *members {
                if let Some(user_id) = user_ids.get(member) {
                    store.add_role_member(&id, user_id).await?;
                }
            }
        }
        Ok(setup)
    }
}

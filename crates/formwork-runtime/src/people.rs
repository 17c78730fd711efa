//! People administration (admins only): everyone with their department, roles and state,
//! suspension guarded so the system never loses its last active admin and nobody suspends
//! themselves, password resets, and role membership.

use std::collections::BTreeSet;

use formwork_store::RoleId;

use crate::accounts::problem;
use crate::policy::Caller;
use crate::{Account, Runtime, RuntimeError, RuntimeResult};

/// Most people listed on the administration page.
const LISTED: u32 = 500;

/// One person as the administration page lists them.
#[derive(Debug, Clone)]
pub struct Person {
    pub account: Account,
    pub department: Option<String>,
    pub roles: Vec<RoleId>,
    /// The customer a client account is linked to.
    pub customer: Option<String>,
}

impl Runtime {
    /// Everyone, by username, with department, roles and customer (admins only).
    pub async fn people_admin(&self, caller: &Caller) -> RuntimeResult<Vec<Person>> {
        require_admin(caller)?;
        let dir = self.directory().await?;
        let mut out = Vec::new();
        for user in self.store.list_users(None, LISTED).await? {
            let account = Account::from(user);
            let department = account
                .department_id
                .as_ref()
                .and_then(|d| dir.department(d))
                .map(|d| d.name.clone());
            let customer = self.linked_customer(&account.id).await?.map(|c| c.name);
            out.push(Person {
                roles: dir.roles_of(&account.id),
                department,
                customer,
                account,
            });
        }
        Ok(out)
    }

    /// Suspends or reinstates `username` as an admin: never oneself, never the last active
    /// admin.
    pub async fn admin_set_suspended(
        &self,
        caller: &Caller,
        username: &str,
        suspended: bool,
    ) -> RuntimeResult<Account> {
        require_admin(caller)?;
        let user = self.user_by_username(username).await?;
        if suspended && user.id == caller.user.id {
            return Err(refused(
                "cannot_suspend_self",
                "不能停用自己的账号",
                "You cannot suspend your own account",
            ));
        }
        if suspended && user.is_admin && !user.suspended {
            let others = self
                .directory()
                .await?
                .admins()
                .iter()
                .filter(|a| a.id != user.id)
                .count();
            if others == 0 {
                return Err(refused(
                    "last_admin",
                    "这是最后一个启用的管理员账号，不能停用",
                    "This is the last active admin; it cannot be suspended",
                ));
            }
        }
        self.set_suspended(username, suspended, Some(&caller.user.id))
            .await
    }

    /// Sets a new password for `username` (admins only).
    pub async fn admin_reset_password(
        &self,
        caller: &Caller,
        username: &str,
        password: String,
    ) -> RuntimeResult<()> {
        require_admin(caller)?;
        let user = self.user_by_username(username).await?;
        self.set_password(&user.id, password).await
    }

    /// Makes `username` a member of exactly `roles` (admins only; unknown roles are refused).
    pub async fn set_user_roles(
        &self,
        caller: &Caller,
        username: &str,
        roles: &[String],
    ) -> RuntimeResult<Vec<RoleId>> {
        require_admin(caller)?;
        let user = self.user_by_username(username).await?;
        let known: BTreeSet<RoleId> = self
            .store
            .list_roles()
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        let mut wanted = BTreeSet::new();
        for role in roles {
            match RoleId::parse(role) {
                Ok(id) if known.contains(&id) => {
                    wanted.insert(id);
                }
                _ => return Err(RuntimeError::NotFound(format!("role {role}"))),
            }
        }
        let current: BTreeSet<RoleId> =
            self.store.user_roles(&user.id).await?.into_iter().collect();
        for gone in current.difference(&wanted) {
            self.store.remove_role_member(gone, &user.id).await?;
        }
        for new in wanted.difference(&current) {
            self.store.add_role_member(new, &user.id).await?;
        }
        Ok(wanted.into_iter().collect())
    }
}

fn require_admin(caller: &Caller) -> RuntimeResult<()> {
    if caller.user.is_admin {
        Ok(())
    } else {
        Err(RuntimeError::Forbidden)
    }
}

fn refused(code: &'static str, zh: &str, en: &str) -> RuntimeError {
    RuntimeError::Invalid {
        problems: vec![problem("/username", code, zh, en)],
    }
}

//! People administration (admins only): everyone with their department, roles and state,
//! suspension guarded so the system never loses its last active admin and nobody suspends
//! themselves, password resets, and role membership; service users (accounts programs act as)
//! and the API tokens admins issue them.

use std::collections::BTreeSet;

use formwork_store::{ApiToken, DepartmentId, NewUser, RoleId, TokenId};

use crate::accounts::{problem, valid_username};
use crate::policy::Caller;
use crate::tokens::CreatedToken;
use crate::{Account, Runtime, RuntimeError, RuntimeResult};

/// What a service user's password hash is: no argon2 PHC string, so no password ever verifies
/// against it and a service user cannot sign in with one.
const NO_PASSWORD: &str = "!service-user";

/// What an admin supplies for a new service user.
#[derive(Debug, Clone, Default)]
pub struct NewServiceUser {
    pub username: String,
    pub display_name: Option<String>,
    pub department_id: Option<DepartmentId>,
    /// Role ids; what the service user may do is what these roles grant.
    pub roles: Vec<String>,
}

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
    /// A service user: acts through API tokens, never signs in with a password.
    pub service: bool,
}

impl Runtime {
    /// Everyone, by username, with department, roles and customer (admins only).
    pub async fn people_admin(&self, caller: &Caller) -> RuntimeResult<Vec<Person>> {
        require_admin(caller)?;
        let dir = self.directory().await?;
        let services: BTreeSet<_> = self.store.service_user_ids().await?.into_iter().collect();
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
                service: services.contains(&account.id),
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
        if self.is_service_user(&user).await? {
            return Err(RuntimeError::Invalid {
                problems: vec![problem(
                    "/password",
                    "service_user_has_no_password",
                    "服务账号不用密码登录，请为它签发 API 令牌",
                    "A service user does not sign in with a password; issue it an API token",
                )],
            });
        }
        self.set_password(&user.id, password).await
    }

    /// The ids of every role there is.
    async fn role_ids(&self) -> RuntimeResult<BTreeSet<RoleId>> {
        let roles = self.store.list_roles().await?;
        Ok(roles.into_iter().map(|r| r.id).collect())
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
        let known = self.role_ids().await?;
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

    /// Creates a service user with its roles, in one transaction (admins only).
    pub async fn create_service_user(
        &self,
        caller: &Caller,
        input: NewServiceUser,
    ) -> RuntimeResult<Account> {
        require_admin(caller)?;
        if !valid_username(&input.username) {
            return Err(RuntimeError::Invalid {
                problems: vec![problem(
                    "/username",
                    "invalid_username",
                    "用户名须为 2–64 个小写字母、数字或 . _ -",
                    "Username must be 2–64 lowercase letters, digits or . _ -",
                )],
            });
        }
        let known = self.role_ids().await?;
        let mut roles = Vec::new();
        for role in &input.roles {
            match RoleId::parse(role) {
                Ok(id) if known.contains(&id) => roles.push(id),
                _ => {
                    return Err(RuntimeError::Invalid {
                        problems: vec![problem(
                            "/roles",
                            "unknown_role",
                            &format!("没有角色「{role}」"),
                            &format!("There is no role “{role}”"),
                        )],
                    });
                }
            }
        }
        if let Some(dept) = &input.department_id
            && self.directory().await?.department(dept).is_none()
        {
            return Err(RuntimeError::NotFound(format!("department {dept}")));
        }
        let user = NewUser {
            display_name: input
                .display_name
                .map(|d| d.trim().to_owned())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| input.username.clone()),
            username: input.username,
            email: None,
            password_hash: NO_PASSWORD.to_owned(),
            department_id: input.department_id,
            is_admin: false,
        };
        Ok(self
            .store
            .create_service_user(user, &roles, Some(&caller.user.id))
            .await?
            .into())
    }

    /// Every role, by id, as the administration pages offer them (admins only).
    pub async fn roles(&self, caller: &Caller) -> RuntimeResult<Vec<formwork_store::Role>> {
        require_admin(caller)?;
        Ok(self.store.list_roles().await?)
    }

    /// Whether `user` is a service user.
    pub async fn is_service_user(&self, user: &Account) -> RuntimeResult<bool> {
        Ok(self.store.service_user_ids().await?.contains(&user.id))
    }

    /// The service user named `username`; a person's account is refused (an admin never
    /// holds tokens that act as a person).
    async fn service_user(&self, caller: &Caller, username: &str) -> RuntimeResult<Account> {
        require_admin(caller)?;
        let user = self.user_by_username(username).await?;
        if !self.is_service_user(&user).await? {
            return Err(refused(
                "not_a_service_user",
                "只能为服务账号签发或吊销令牌；个人令牌由本人在自己的账号下管理",
                "Tokens are issued here only to service users; people manage their own tokens",
            ));
        }
        Ok(user)
    }

    /// The tokens of a service user, newest first (admins only; secrets are never listed).
    pub async fn service_tokens(
        &self,
        caller: &Caller,
        username: &str,
    ) -> RuntimeResult<Vec<ApiToken>> {
        let user = self.service_user(caller, username).await?;
        self.list_tokens(&user).await
    }

    /// Issues a token to a service user; its secret is in the answer only this once.
    pub async fn issue_service_token(
        &self,
        caller: &Caller,
        username: &str,
        name: &str,
    ) -> RuntimeResult<CreatedToken> {
        let user = self.service_user(caller, username).await?;
        if user.suspended {
            return Err(refused(
                "suspended",
                "该服务账号已停用，先恢复它再签发令牌",
                "This service user is suspended; reinstate it before issuing tokens",
            ));
        }
        self.create_token(&user, name).await
    }

    /// Revokes a token of a service user; it is refused from the next request on.
    pub async fn revoke_service_token(
        &self,
        caller: &Caller,
        username: &str,
        token: &TokenId,
    ) -> RuntimeResult<()> {
        let user = self.service_user(caller, username).await?;
        self.revoke_token(&user, token).await
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

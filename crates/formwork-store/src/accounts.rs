//! Accounts and sessions: users, departments, roles and their members, sessions, API tokens
//! and login throttling.

use async_trait::async_trait;
use formwork_model::{DepartmentId, RoleId, TokenId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::StoreResult;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// argon2 PHC string; never serialised to clients (the web layer maps to its own DTO).
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub department_id: Option<DepartmentId>,
    pub is_admin: bool,
    pub suspended: bool,
    pub created_at: OffsetDateTime,
}

/// A user as everything but sign-in sees them: the row without its password hash. The
/// directory is made of these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub department_id: Option<DepartmentId>,
    pub is_admin: bool,
    pub suspended: bool,
    pub created_at: OffsetDateTime,
}

impl From<User> for Account {
    fn from(u: User) -> Account {
        Account {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            email: u.email,
            department_id: u.department_id,
            is_admin: u.is_admin,
            suspended: u.suspended,
            created_at: u.created_at,
        }
    }
}

/// The counters a server compares with what it holds, read with a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epochs {
    /// Moved by every change to users, departments, roles, members and delegations.
    pub directory: i64,
    /// Moved by every publish.
    pub publish: i64,
}

/// The whole directory as one read saw it: every user (without password hashes), department,
/// role and role membership, and the epoch read before them (so the rows are at least that
/// new; a change committed meanwhile moves the epoch again and the next check reloads).
#[derive(Debug, Clone, PartialEq)]
pub struct DirectoryRows {
    pub epoch: i64,
    /// Out-of-office delegations (a change to one moves the epoch too).
    pub delegations: Vec<crate::Delegation>,
    pub users: Vec<Account>,
    pub departments: Vec<Department>,
    pub roles: Vec<Role>,
    /// `(role, member)` pairs.
    pub members: Vec<(RoleId, UserId)>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub department_id: Option<DepartmentId>,
    pub is_admin: bool,
}

/// A person a sign-in provider (OpenID Connect) vouches for, as
/// [`AccountStore::external_sign_in`] takes them.
#[derive(Debug, Clone)]
pub struct ExternalSignIn {
    /// The provider's issuer identifier.
    pub issuer: String,
    /// The provider's stable id of the person (`sub`).
    pub subject: String,
    /// How a provider account not linked yet finds its Formwork user.
    pub matcher: ExternalMatch,
    /// The account to create when nobody matches; `None` refuses people Formwork does not
    /// know.
    pub create: Option<NewExternalUser>,
}

/// The claim value that finds the Formwork user of a provider account seen the first time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternalMatch {
    Username(String),
    /// Compared without regard to case; a value shared by several users matches nobody.
    Email(String),
}

/// A user created at their first sign-in through a provider, with their roles.
#[derive(Debug, Clone)]
pub struct NewExternalUser {
    pub user: NewUser,
    pub roles: Vec<RoleId>,
}

/// What [`AccountStore::external_sign_in`] found or did.
#[derive(Debug, Clone, PartialEq)]
pub enum ExternalSignInOutcome {
    /// Linked to this user at an earlier sign-in.
    Linked(User),
    /// Matched by the claim and linked now.
    Matched(User),
    /// Created and linked now.
    Created(User),
    /// Nobody matches and creating users is off.
    Unknown,
    /// The e-mail belongs to more than one user.
    Ambiguous,
    /// The matching user is already linked to another account of this provider.
    LinkedElsewhere,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Department {
    pub id: DepartmentId,
    pub name: String,
    pub parent_id: Option<DepartmentId>,
    pub head_user_id: Option<UserId>,
}

#[derive(Debug, Clone)]
pub struct NewDepartment {
    pub name: String,
    pub parent_id: Option<DepartmentId>,
    pub head_user_id: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    pub id: RoleId,
    pub name_zh: String,
    pub name_en: String,
}

/// A tower-sessions record as stored: the id, its JSON data and when it expires.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub id: String,
    /// The signed-in user, kept beside the data so suspension can end their sessions.
    pub user_id: Option<UserId>,
    pub data: String,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub user_id: UserId,
    pub name: String,
    /// SHA-256 of the secret, hex; the secret itself is shown once and never stored.
    pub token_hash: String,
    /// The first characters of the secret, to recognise it in lists.
    pub prefix: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    pub prefix: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

/// People, roles and the directory they make with [`DepartmentStore`]'s tree. Suspending a user
/// ends their sessions and tokens in the same transaction, so the very next request is refused.
/// Every change to users, departments, roles or role members moves the directory epoch in its
/// transaction.
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Creates a user; `Conflict` when the username is taken.
    async fn create_user(&self, user: NewUser, actor: Option<&UserId>) -> StoreResult<User>;
    async fn get_user(&self, id: &UserId) -> StoreResult<Option<User>>;
    async fn get_user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    /// Users ordered by username, after the given username (keyset page).
    async fn list_users(&self, after: Option<&str>, limit: u32) -> StoreResult<Vec<User>>;
    async fn set_password(&self, user_id: &UserId, password_hash: &str) -> StoreResult<()>;
    /// Suspends (or reinstates) a user. Suspending deletes their sessions and revokes their
    /// tokens in the same transaction, so the next request is refused.
    async fn set_suspended(
        &self,
        user_id: &UserId,
        suspended: bool,
        actor: Option<&UserId>,
    ) -> StoreResult<()>;

    /// Creates a service user: the user (whose password hash the caller makes unusable), its
    /// mark as a service user and its role memberships, in one transaction.
    async fn create_service_user(
        &self,
        user: NewUser,
        roles: &[RoleId],
        actor: Option<&UserId>,
    ) -> StoreResult<User>;
    /// The ids of every service user.
    async fn service_user_ids(&self) -> StoreResult<Vec<UserId>>;

    /// Creates the role if missing, or updates its name.
    async fn upsert_role(&self, role: Role) -> StoreResult<()>;
    async fn list_roles(&self) -> StoreResult<Vec<Role>>;
    /// Adds a member; adding an existing member is not an error.
    async fn add_role_member(&self, role_id: &RoleId, user_id: &UserId) -> StoreResult<()>;
    async fn remove_role_member(&self, role_id: &RoleId, user_id: &UserId) -> StoreResult<()>;
    async fn user_roles(&self, user_id: &UserId) -> StoreResult<Vec<RoleId>>;
    async fn role_members(&self, role_id: &RoleId) -> StoreResult<Vec<User>>;

    /// The directory's epoch: it moves with every change to users, departments, roles or role
    /// members, in the same transaction.
    async fn directory_epoch(&self) -> StoreResult<i64>;
    /// The whole directory with the epoch it is at least as new as.
    async fn load_directory(&self) -> StoreResult<DirectoryRows>;

    /// Signs in a person a provider vouches for, in one transaction: the user linked to
    /// `(issuer, subject)`; else the user the matcher finds, linked now unless already linked to
    /// another account of the provider; else, when `create` is given, a new user with its roles,
    /// linked. `Conflict` when the new user's username is taken.
    async fn external_sign_in(
        &self,
        sign_in: &ExternalSignIn,
    ) -> StoreResult<ExternalSignInOutcome>;
}

/// The organisation tree. Every change moves the directory epoch in its transaction, like
/// [`AccountStore`]'s changes to users and roles.
#[async_trait]
pub trait DepartmentStore: Send + Sync + 'static {
    /// Creates a department; `Conflict` when the name is taken under the same parent.
    async fn create_department(&self, dept: NewDepartment) -> StoreResult<Department>;
    async fn get_department_by_name(&self, name: &str) -> StoreResult<Option<Department>>;
    async fn list_departments(&self) -> StoreResult<Vec<Department>>;
    async fn set_department_head(
        &self,
        dept_id: &DepartmentId,
        head_user_id: Option<&UserId>,
    ) -> StoreResult<()>;
    /// The chain of departments from the user's own up to the root, each with its head.
    async fn department_chain(&self, user_id: &UserId) -> StoreResult<Vec<Department>>;
    /// Renames a department; `Conflict` when the name is taken under its parent.
    async fn rename_department(
        &self,
        dept_id: &DepartmentId,
        name: &str,
        actor: Option<&UserId>,
    ) -> StoreResult<Department>;
    /// Moves a department under `parent` (to the top with `None`) in one transaction that
    /// first takes the directory epoch's row, so concurrent moves queue, and then refuses a
    /// move under the department itself or one of its descendants (`Conflict`: the tree would
    /// become a cycle). `NotFound` when either department does not exist, `Conflict` when the
    /// name is taken under the new parent.
    async fn move_department(
        &self,
        dept_id: &DepartmentId,
        parent: Option<&DepartmentId>,
        actor: Option<&UserId>,
    ) -> StoreResult<Department>;
    /// Deletes a department that has neither members nor sub-departments (checked in the same
    /// transaction; `Conflict` otherwise).
    async fn delete_department(
        &self,
        dept_id: &DepartmentId,
        actor: Option<&UserId>,
    ) -> StoreResult<()>;
}

/// The ways in once a user is known: sessions, API tokens and login throttling.
#[async_trait]
pub trait SignInStore: Send + Sync + 'static {
    /// Inserts a new session; returns false when the id already exists.
    async fn session_create(&self, session: &SessionRow) -> StoreResult<bool>;
    async fn session_save(&self, session: &SessionRow) -> StoreResult<()>;
    /// A session that has not expired at `now` and whose user is not suspended.
    async fn session_load(&self, id: &str, now: OffsetDateTime) -> StoreResult<Option<SessionRow>> {
        Ok(self
            .session_load_with_epoch(id, now)
            .await?
            .map(|(row, _)| row))
    }
    /// [`SignInStore::session_load`] with the directory's and the publish epochs read in the
    /// same statement: one read tells a request who is signed in and whether the directory
    /// and the latest app versions it holds are current.
    async fn session_load_with_epoch(
        &self,
        id: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<(SessionRow, Epochs)>>;
    async fn session_delete(&self, id: &str) -> StoreResult<()>;
    /// Deletes expired sessions; returns how many.
    async fn session_delete_expired(&self, now: OffsetDateTime) -> StoreResult<u64>;

    async fn create_token(&self, token: NewApiToken) -> StoreResult<ApiToken>;
    /// The live (not revoked) token with this hash and its user; records `now` as last use.
    async fn use_token(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<(ApiToken, User)>>;
    async fn list_tokens(&self, user_id: &UserId) -> StoreResult<Vec<ApiToken>>;
    /// Revokes a token of this user; `NotFound` when there is no such live token.
    async fn revoke_token(&self, user_id: &UserId, token_id: &TokenId) -> StoreResult<()>;

    /// Records a failed login under `key` and returns the failures under it since `since`.
    /// Counts live in the database, so every instance enforces the same limit.
    async fn record_login_failure(
        &self,
        key: &str,
        now: OffsetDateTime,
        since: OffsetDateTime,
    ) -> StoreResult<u32>;
    async fn login_failures_since(&self, key: &str, since: OffsetDateTime) -> StoreResult<u32>;
    async fn clear_login_failures(&self, key: &str) -> StoreResult<()>;
}

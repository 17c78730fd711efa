//! The persistence API of Formwork: the `Store` trait, its row types and `StoreError`.
//!
//! Every method is one use case and one transaction. Two implementations exist
//! (`formwork-store-sqlite`, `formwork-store-postgres`); only the binary and the testkit name
//! one. Ids are UUID v7 strings; instants are UTC `OffsetDateTime`s.

mod error;
mod types;

pub use error::{StoreError, StoreResult};
pub use types::*;

use async_trait::async_trait;
use time::OffsetDateTime;

/// Everything Formwork persists. Implementations must make each method atomic.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is, for logs and `/healthz`.
    fn backend(&self) -> Backend;

    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;

    /// Cheap round trip to the database, for health checks.
    async fn ping(&self) -> StoreResult<()>;

    // ---- users, departments, roles -------------------------------------------------------

    /// Creates a user; `Conflict` when the username is taken.
    async fn create_user(&self, user: NewUser, actor: Option<&str>) -> StoreResult<User>;
    async fn get_user(&self, id: &str) -> StoreResult<Option<User>>;
    async fn get_user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    /// Users ordered by username, after the given username (keyset page).
    async fn list_users(&self, after: Option<&str>, limit: u32) -> StoreResult<Vec<User>>;
    async fn set_password(&self, user_id: &str, password_hash: &str) -> StoreResult<()>;
    /// Suspends (or reinstates) a user. Suspending deletes their sessions and revokes their
    /// tokens in the same transaction, so the next request is refused.
    async fn set_suspended(&self, user_id: &str, suspended: bool, actor: Option<&str>)
    -> StoreResult<()>;

    /// Creates a department; `Conflict` when the name is taken under the same parent.
    async fn create_department(&self, dept: NewDepartment) -> StoreResult<Department>;
    async fn get_department_by_name(&self, name: &str) -> StoreResult<Option<Department>>;
    async fn list_departments(&self) -> StoreResult<Vec<Department>>;
    async fn set_department_head(&self, dept_id: &str, head_user_id: Option<&str>)
    -> StoreResult<()>;
    /// The chain of departments from the user's own up to the root, each with its head.
    async fn department_chain(&self, user_id: &str) -> StoreResult<Vec<Department>>;

    /// Creates the role if missing, or updates its name.
    async fn upsert_role(&self, role: Role) -> StoreResult<()>;
    async fn list_roles(&self) -> StoreResult<Vec<Role>>;
    /// Adds a member; adding an existing member is not an error.
    async fn add_role_member(&self, role_id: &str, user_id: &str) -> StoreResult<()>;
    async fn remove_role_member(&self, role_id: &str, user_id: &str) -> StoreResult<()>;
    async fn user_roles(&self, user_id: &str) -> StoreResult<Vec<String>>;
    async fn role_members(&self, role_id: &str) -> StoreResult<Vec<User>>;

    // ---- sessions (tower-sessions records) -----------------------------------------------

    /// Inserts a new session; returns false when the id already exists.
    async fn session_create(&self, session: &SessionRow) -> StoreResult<bool>;
    async fn session_save(&self, session: &SessionRow) -> StoreResult<()>;
    /// A session that has not expired at `now`.
    async fn session_load(&self, id: &str, now: OffsetDateTime)
    -> StoreResult<Option<SessionRow>>;
    async fn session_delete(&self, id: &str) -> StoreResult<()>;
    /// Deletes expired sessions; returns how many.
    async fn session_delete_expired(&self, now: OffsetDateTime) -> StoreResult<u64>;

    // ---- API tokens -----------------------------------------------------------------------

    async fn create_token(&self, token: NewApiToken) -> StoreResult<ApiToken>;
    /// The live (not revoked) token with this hash and its user; records `now` as last use.
    async fn use_token(&self, token_hash: &str, now: OffsetDateTime)
    -> StoreResult<Option<(ApiToken, User)>>;
    async fn list_tokens(&self, user_id: &str) -> StoreResult<Vec<ApiToken>>;
    /// Revokes a token of this user; `NotFound` when there is no such live token.
    async fn revoke_token(&self, user_id: &str, token_id: &str) -> StoreResult<()>;

    // ---- login throttling (shared by every instance on the same database) -----------------

    /// Records a failed login under `key` and returns the failures under it since `since`.
    async fn record_login_failure(
        &self,
        key: &str,
        now: OffsetDateTime,
        since: OffsetDateTime,
    ) -> StoreResult<u32>;
    async fn login_failures_since(&self, key: &str, since: OffsetDateTime) -> StoreResult<u32>;
    async fn clear_login_failures(&self, key: &str) -> StoreResult<()>;

    // ---- apps: drafts and immutable versions ---------------------------------------------

    /// Creates an app with its first draft; `Conflict` when the app exists.
    async fn create_app(&self, app_id: &str, draft: &str, actor: &str) -> StoreResult<Draft>;
    async fn get_draft(&self, app_id: &str) -> StoreResult<Option<Draft>>;
    /// Replaces the draft. With `expected_rev`, a different current revision is `Conflict`.
    async fn put_draft(
        &self,
        app_id: &str,
        draft: &str,
        expected_rev: Option<i64>,
        actor: &str,
    ) -> StoreResult<Draft>;
    async fn list_apps(&self) -> StoreResult<Vec<AppSummary>>;
    /// Freezes `package` as the next version number of the app.
    async fn publish(&self, app_id: &str, package: &str, actor: &str) -> StoreResult<AppVersion>;
    async fn list_versions(&self, app_id: &str) -> StoreResult<Vec<AppVersionInfo>>;
    async fn get_version(&self, app_id: &str, version: i64) -> StoreResult<Option<AppVersion>>;
    async fn latest_version(&self, app_id: &str) -> StoreResult<Option<AppVersion>>;

    // ---- audit -----------------------------------------------------------------------------

    /// Audit rows, newest first, before the given id (keyset page).
    async fn list_audit(&self, before: Option<&str>, limit: u32) -> StoreResult<Vec<AuditEntry>>;
}

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A new UUID v7 id as a hyphenated string (sorts by creation time).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().hyphenated().to_string()
}

//! The persistence API of Formwork: the `Store` trait, its row types and `StoreError`.
//!
//! Every method is one use case and one transaction. Two implementations exist
//! (`formwork-store-sqlite`, `formwork-store-postgres`); only the binary and the testkit name
//! one. Ids are UUID v7 strings; instants are UTC `OffsetDateTime`s.

mod error;
mod processes;
mod records;
mod types;

pub use error::{StoreError, StoreResult};
pub use processes::*;
pub use records::*;
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
    async fn set_suspended(
        &self,
        user_id: &str,
        suspended: bool,
        actor: Option<&str>,
    ) -> StoreResult<()>;

    /// Creates a department; `Conflict` when the name is taken under the same parent.
    async fn create_department(&self, dept: NewDepartment) -> StoreResult<Department>;
    async fn get_department_by_name(&self, name: &str) -> StoreResult<Option<Department>>;
    async fn list_departments(&self) -> StoreResult<Vec<Department>>;
    async fn set_department_head(
        &self,
        dept_id: &str,
        head_user_id: Option<&str>,
    ) -> StoreResult<()>;
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
    async fn session_load(&self, id: &str, now: OffsetDateTime) -> StoreResult<Option<SessionRow>>;
    async fn session_delete(&self, id: &str) -> StoreResult<()>;
    /// Deletes expired sessions; returns how many.
    async fn session_delete_expired(&self, now: OffsetDateTime) -> StoreResult<u64>;

    // ---- API tokens -----------------------------------------------------------------------

    async fn create_token(&self, token: NewApiToken) -> StoreResult<ApiToken>;
    /// The live (not revoked) token with this hash and its user; records `now` as last use.
    async fn use_token(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<(ApiToken, User)>>;
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
    /// Just the latest version number (cheap: asked on every request that uses an app).
    async fn latest_version_number(&self, app_id: &str) -> StoreResult<Option<i64>>;

    // ---- records ---------------------------------------------------------------------------

    /// Inserts a record in one transaction: replays an earlier insert with the same
    /// (owner, idempotency key); otherwise takes the next number of its form's counter (so
    /// numbers are gap-free even under concurrency), inserts, and writes the audit row
    /// `record.create` with the data.
    async fn insert_record(&self, record: NewRecord, actor: &str) -> StoreResult<Inserted>;
    /// A record that is not deleted.
    async fn get_record(&self, id: &str) -> StoreResult<Option<Record>>;
    /// Replaces data (and status) when `expected_rev` is current (else `Conflict`), bumps the
    /// revision, and writes `record.update` with `diff` in the same transaction.
    async fn update_record(
        &self,
        id: &str,
        expected_rev: i64,
        data: &serde_json::Value,
        status: &str,
        diff: &serde_json::Value,
        actor: &str,
    ) -> StoreResult<Record>;
    /// Soft-deletes (with `expected_rev` when given) and writes `record.delete`.
    async fn delete_record(
        &self,
        id: &str,
        expected_rev: Option<i64>,
        actor: &str,
    ) -> StoreResult<()>;
    /// One page of records, permission-filtered and keyset-paged; never counts.
    async fn list_records(&self, query: &RecordQuery) -> StoreResult<Vec<Record>>;
    /// Audit rows of one record, oldest first (its change history).
    async fn record_history(&self, record_id: &str) -> StoreResult<Vec<AuditEntry>>;
    async fn add_comment(
        &self,
        record_id: &str,
        author_id: &str,
        body: &str,
    ) -> StoreResult<Comment>;
    async fn list_comments(&self, record_id: &str) -> StoreResult<Vec<Comment>>;
    /// Stores file metadata (the caller has written the bytes already).
    async fn insert_attachment(&self, attachment: &Attachment) -> StoreResult<()>;
    async fn get_attachment(&self, id: &str) -> StoreResult<Option<Attachment>>;

    // ---- processes -------------------------------------------------------------------------

    /// Applies one engine step atomically (see [`StepWrite`]); returns the updated instance.
    async fn apply_step(&self, step: StepWrite, actor: Option<&str>) -> StoreResult<Instance>;
    async fn get_instance(&self, id: &str) -> StoreResult<Option<Instance>>;
    /// The newest instance of a record's process, if any.
    async fn instance_for_record(&self, record_id: &str) -> StoreResult<Option<Instance>>;
    async fn get_task(&self, id: &str) -> StoreResult<Option<Task>>;
    async fn tasks_of_instance(&self, instance_id: &str) -> StoreResult<Vec<Task>>;
    /// A page of a user's inbox, newest first.
    async fn list_tasks(&self, query: &TaskQuery) -> StoreResult<Vec<Task>>;
    /// Records the user submitted that have an instance, newest first (keyset on record id).
    async fn submitted_instances(
        &self,
        user_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<Instance>>;
    /// The timeline of an instance, oldest first.
    async fn instance_history(&self, instance_id: &str) -> StoreResult<Vec<HistoryRow>>;
    /// Timers due at `now` that have not fired, oldest first.
    async fn due_timers(&self, now: OffsetDateTime, limit: u32) -> StoreResult<Vec<Timer>>;
    /// A page of a user's notifications, newest first, before the given id (keyset page).
    async fn list_notifications(
        &self,
        user_id: &str,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<Notification>>;
    /// Like [`Store::list_notifications`], only those of one kind (e.g. `cc`) when given.
    async fn list_notifications_of_kind(
        &self,
        user_id: &str,
        kind: Option<&str>,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<Notification>>;
    async fn unread_notifications(&self, user_id: &str) -> StoreResult<u32>;
    /// Marks these notifications of the user read, or all of them when `ids` is empty;
    /// returns how many were unread.
    async fn mark_notifications_read(&self, user_id: &str, ids: &[String]) -> StoreResult<u64>;

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

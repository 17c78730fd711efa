//! `AccountStore`: users, departments, roles, sessions, API tokens and login throttling.

use async_trait::async_trait;
use formwork_store::{
    AccountStore, ApiToken, Department, DepartmentId, DirectoryRows, ExternalMatch, ExternalSignIn,
    ExternalSignInOutcome, NewApiToken, NewDepartment, NewUser, Role, RoleId, SessionRow,
    StoreError, StoreResult, TokenId, User, UserId,
};
use sqlx::Row as _;
use time::OffsetDateTime;

use super::Driver as _;
use super::{Conn, Statement, audit, begin, commit, count, db_err, found, now, rows, text, ts};
use crate::StoreImpl;

const USER_BY_ID: &str = select_by!(user_cols, "users", "id");
const USER_BY_USERNAME: &str = select_by!(user_cols, "users", "username");
const LOGIN_FAILURES: &str = "SELECT COUNT(*) FROM login_failures WHERE key = $1 AND at >= $2";

/// Moves the directory epoch inside the caller's transaction (which changes the directory).
async fn bump_epoch(tx: &mut Conn) -> StoreResult<()> {
    sqlx::query("UPDATE directory_epoch SET epoch = epoch + 1 WHERE id = 1")
        .execute(&mut *tx)
        .await
        .map_err(db_err("directory epoch"))?;
    Ok(())
}

/// Inserts a user, moves the epoch and audits, inside the caller's transaction.
async fn insert_user(
    tx: &mut Conn,
    user: &NewUser,
    now: OffsetDateTime,
    actor: Option<&UserId>,
    service: bool,
) -> StoreResult<User> {
    let what = format!("user `{}`", user.username);
    let created = sqlx::query(concat!(
        "INSERT INTO users (id, username, display_name, email, password_hash, department_id, \
         is_admin, suspended, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, $8, $8) RETURNING ",
        user_cols!()
    ))
    .bind(String::from(UserId::new()))
    .bind(&user.username)
    .bind(&user.display_name)
    .bind(&user.email)
    .bind(&user.password_hash)
    .bind(text(&user.department_id))
    .bind(user.is_admin)
    .bind(ts(now))
    .try_map(rows::user)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err(&what))?;
    if service {
        sqlx::query(
            "INSERT INTO service_users (user_id, created_by, created_at) VALUES ($1, $2, $3)",
        )
        .bind(created.id.as_str())
        .bind(actor.map(UserId::as_str))
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err("service user"))?;
    }
    let detail = serde_json::json!({
        "username": created.username, "is_admin": created.is_admin, "service": service,
    });
    let subject = format!("user:{}", created.id);
    bump_epoch(tx).await?;
    let action = if service {
        "user.create_service"
    } else {
        "user.create"
    };
    audit(tx, now, actor, action, &subject, detail).await?;
    Ok(created)
}

/// The department `id` as the transaction sees it, or `NotFound`.
async fn department_in(tx: &mut Conn, id: &DepartmentId) -> StoreResult<Department> {
    const SQL: &str = concat!("SELECT ", dept_cols!(), " FROM departments WHERE id = $1");
    sqlx::query(SQL)
        .bind(id.as_str())
        .try_map(rows::department)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err("department"))?
        .ok_or_else(|| StoreError::NotFound(format!("department `{id}`")))
}

/// How many rows `sql` counts for `id` (`$1`).
async fn count_in(tx: &mut Conn, sql: &'static str, id: &str, what: &str) -> StoreResult<i64> {
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err(what))
}

/// Links a provider account to a user inside the caller's transaction.
async fn link_identity(
    tx: &mut Conn,
    sign_in: &ExternalSignIn,
    user_id: &UserId,
    now: OffsetDateTime,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO external_identities (issuer, subject, user_id, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(&sign_in.issuer)
    .bind(&sign_in.subject)
    .bind(user_id.as_str())
    .bind(ts(now))
    .execute(&mut *tx)
    .await
    .map_err(db_err("link to the sign-in provider's account"))?;
    let detail = serde_json::json!({ "issuer": sign_in.issuer, "subject": sign_in.subject });
    audit(
        tx,
        now,
        Some(user_id),
        "user.link_identity",
        &format!("user:{user_id}"),
        detail,
    )
    .await
}

impl StoreImpl {
    /// Runs `query`, a change to the directory, in a transaction that also moves the epoch;
    /// returns how many rows it changed.
    async fn directory_change(&self, query: Statement<'_>, what: &str) -> StoreResult<u64> {
        let mut tx = begin(self).await?;
        let done = query.execute(&mut *tx).await.map_err(db_err(what))?;
        bump_epoch(&mut tx).await?;
        commit(tx).await?;
        Ok(done.rows_affected())
    }

    /// Upserts a session; with `replace` false an existing id is left alone. Returns whether
    /// a row was written.
    async fn put_session(&self, session: &SessionRow, replace: bool) -> StoreResult<bool> {
        let sql = if replace {
            "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, \
             expires_at = excluded.expires_at"
        } else {
            "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO NOTHING"
        };
        let done = sqlx::query(sql)
            .bind(&session.id)
            .bind(text(&session.user_id))
            .bind(&session.data)
            .bind(ts(session.expires_at))
            .execute(self.writer())
            .await
            .map_err(db_err("session"))?;
        Ok(done.rows_affected() == 1)
    }
}

#[async_trait]
impl AccountStore for StoreImpl {
    async fn create_user(&self, user: NewUser, actor: Option<&UserId>) -> StoreResult<User> {
        let now = now();
        let mut tx = begin(self).await?;
        let created = insert_user(&mut tx, &user, now, actor, false).await?;
        commit(tx).await?;
        Ok(created)
    }

    async fn get_user(&self, id: &UserId) -> StoreResult<Option<User>> {
        self.row_by(USER_BY_ID, id.as_str(), rows::user, "user")
            .await
    }

    async fn get_user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        self.row_by(USER_BY_USERNAME, username, rows::user, "user")
            .await
    }

    async fn list_users(&self, after: Option<&str>, limit: u32) -> StoreResult<Vec<User>> {
        let sql = select_page!(user_cols, "users", "username", ">", "ASC");
        self.page(sql, (after, limit), rows::user, "users").await
    }

    async fn set_password(&self, user_id: &UserId, password_hash: &str) -> StoreResult<()> {
        let query =
            sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
                .bind(user_id.as_str())
                .bind(password_hash)
                .bind(ts(now()));
        let changed = self.directory_change(query, "user password").await?;
        found(changed, || format!("user `{user_id}`"))
    }

    async fn set_suspended(
        &self,
        user_id: &UserId,
        suspended: bool,
        actor: Option<&UserId>,
    ) -> StoreResult<()> {
        let now = now();
        let mut tx = begin(self).await?;
        let done = sqlx::query("UPDATE users SET suspended = $2, updated_at = $3 WHERE id = $1")
            .bind(user_id.as_str())
            .bind(suspended)
            .bind(ts(now))
            .execute(&mut *tx)
            .await
            .map_err(db_err("user"))?;
        found(done.rows_affected(), || format!("user `{user_id}`"))?;
        let (mut sessions_ended, mut tokens_revoked) = (0, 0);
        if suspended {
            sessions_ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_err("sessions"))?
                .rows_affected();
            tokens_revoked = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
            )
            .bind(user_id.as_str())
            .bind(ts(now))
            .execute(&mut *tx)
            .await
            .map_err(db_err("api tokens"))?
            .rows_affected();
        }
        let action = if suspended {
            "user.suspend"
        } else {
            "user.reinstate"
        };
        let detail = serde_json::json!({
            "sessions_ended": sessions_ended,
            "tokens_revoked": tokens_revoked,
        });
        let subject = format!("user:{user_id}");
        bump_epoch(&mut tx).await?;
        audit(&mut tx, now, actor, action, &subject, detail).await?;
        commit(tx).await
    }

    async fn create_department(&self, dept: NewDepartment) -> StoreResult<Department> {
        let what = format!("department `{}` under this parent", dept.name);
        let mut tx = begin(self).await?;
        let created = sqlx::query(concat!(
            "INSERT INTO departments (id, name, parent_id, head_user_id, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING ",
            dept_cols!()
        ))
        .bind(String::from(DepartmentId::new()))
        .bind(&dept.name)
        .bind(text(&dept.parent_id))
        .bind(text(&dept.head_user_id))
        .bind(ts(now()))
        .try_map(rows::department)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err(&what))?;
        bump_epoch(&mut tx).await?;
        commit(tx).await?;
        Ok(created)
    }

    async fn get_department_by_name(&self, name: &str) -> StoreResult<Option<Department>> {
        // Names are unique only under one parent; the oldest of equal names wins.
        const SQL: &str = concat!(
            "SELECT ",
            dept_cols!(),
            " FROM departments WHERE name = $1 ORDER BY id LIMIT 1"
        );
        self.row_by(SQL, name, rows::department, "department").await
    }

    async fn list_departments(&self) -> StoreResult<Vec<Department>> {
        const SQL: &str = concat!(
            "SELECT ",
            dept_cols!(),
            " FROM departments ORDER BY name, id"
        );
        self.rows(sqlx::query(SQL), rows::department, "departments")
            .await
    }

    async fn set_department_head(
        &self,
        dept_id: &DepartmentId,
        head_user_id: Option<&UserId>,
    ) -> StoreResult<()> {
        let what = format!("head of department `{dept_id}`");
        let query = sqlx::query("UPDATE departments SET head_user_id = $2 WHERE id = $1")
            .bind(dept_id.as_str())
            .bind(head_user_id.map(UserId::as_str));
        let changed = self.directory_change(query, &what).await?;
        found(changed, || format!("department `{dept_id}`"))
    }

    async fn department_chain(&self, user_id: &UserId) -> StoreResult<Vec<Department>> {
        // The depth bound only guards against a cycle written by hand; the API cannot make one.
        let chain = self
            .rows(
                sqlx::query(
                    "WITH RECURSIVE chain (id, name, parent_id, head_user_id, depth) AS ( \
                 SELECT d.id, d.name, d.parent_id, d.head_user_id, 0 \
                 FROM departments d JOIN users u ON u.department_id = d.id WHERE u.id = $1 \
                 UNION ALL \
                 SELECT d.id, d.name, d.parent_id, d.head_user_id, c.depth + 1 \
                 FROM departments d JOIN chain c ON d.id = c.parent_id WHERE c.depth < 64 \
             ) SELECT id, name, parent_id, head_user_id FROM chain ORDER BY depth",
                )
                .bind(user_id.as_str()),
                rows::department,
                "department chain",
            )
            .await?;
        if chain.is_empty() && self.get_user(user_id).await?.is_none() {
            return Err(StoreError::NotFound(format!("user `{user_id}`")));
        }
        Ok(chain)
    }

    async fn rename_department(
        &self,
        dept_id: &DepartmentId,
        name: &str,
        actor: Option<&UserId>,
    ) -> StoreResult<Department> {
        let now = now();
        let mut tx = begin(self).await?;
        const SQL: &str = concat!(
            "UPDATE departments SET name = $2 WHERE id = $1 RETURNING ",
            dept_cols!()
        );
        let renamed = sqlx::query(SQL)
            .bind(dept_id.as_str())
            .bind(name)
            .try_map(rows::department)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err(&format!("department `{name}` under this parent")))?
            .ok_or_else(|| StoreError::NotFound(format!("department `{dept_id}`")))?;
        bump_epoch(&mut tx).await?;
        let subject = format!("department:{dept_id}");
        let detail = serde_json::json!({ "name": name });
        audit(&mut tx, now, actor, "department.rename", &subject, detail).await?;
        commit(tx).await?;
        Ok(renamed)
    }

    async fn move_department(
        &self,
        dept_id: &DepartmentId,
        parent: Option<&DepartmentId>,
        actor: Option<&UserId>,
    ) -> StoreResult<Department> {
        let now = now();
        let mut tx = begin(self).await?;
        // The epoch's row first: on PostgreSQL its lock queues concurrent moves, so two moves
        // that are each fine alone can never together close a cycle.
        bump_epoch(&mut tx).await?;
        let moved = department_in(&mut tx, dept_id).await?;
        if let Some(parent) = parent {
            department_in(&mut tx, parent).await?;
            // The new parent and everything above it; the moved department must not be there.
            const ABOVE: &str = "WITH RECURSIVE up (id, parent_id, depth) AS ( \
                 SELECT id, parent_id, 0 FROM departments WHERE id = $1 \
                 UNION ALL \
                 SELECT d.id, d.parent_id, u.depth + 1 FROM departments d \
                 JOIN up u ON d.id = u.parent_id WHERE u.depth < 64 \
             ) SELECT id FROM up";
            let above: Vec<String> = sqlx::query_scalar(ABOVE)
                .bind(parent.as_str())
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err("departments above"))?;
            if above.iter().any(|id| id == dept_id.as_str()) {
                return Err(StoreError::Conflict(format!(
                    "department `{}` cannot move under itself or one of its sub-departments",
                    moved.name
                )));
            }
        }
        const SQL: &str = concat!(
            "UPDATE departments SET parent_id = $2 WHERE id = $1 RETURNING ",
            dept_cols!()
        );
        let done = sqlx::query(SQL)
            .bind(dept_id.as_str())
            .bind(parent.map(DepartmentId::as_str))
            .try_map(rows::department)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err(&format!(
                "department `{}` under this parent",
                moved.name
            )))?;
        let subject = format!("department:{dept_id}");
        let detail = serde_json::json!({
            "from": moved.parent_id.as_ref().map(DepartmentId::as_str),
            "to": parent.map(DepartmentId::as_str),
        });
        audit(&mut tx, now, actor, "department.move", &subject, detail).await?;
        commit(tx).await?;
        Ok(done)
    }

    async fn delete_department(
        &self,
        dept_id: &DepartmentId,
        actor: Option<&UserId>,
    ) -> StoreResult<()> {
        let now = now();
        let mut tx = begin(self).await?;
        bump_epoch(&mut tx).await?;
        let dept = department_in(&mut tx, dept_id).await?;
        let id = dept_id.as_str();
        let members = count_in(
            &mut tx,
            "SELECT COUNT(*) FROM users WHERE department_id = $1",
            id,
            "department members",
        )
        .await?;
        let children = count_in(
            &mut tx,
            "SELECT COUNT(*) FROM departments WHERE parent_id = $1",
            id,
            "sub-departments",
        )
        .await?;
        let records = count_in(
            &mut tx,
            "SELECT COUNT(*) FROM records WHERE department_id = $1",
            id,
            "department records",
        )
        .await?;
        if members + children + records > 0 {
            return Err(StoreError::Conflict(format!(
                "department `{}` still has {members} members, {children} sub-departments and \
                 {records} records",
                dept.name
            )));
        }
        sqlx::query("DELETE FROM departments WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_err("department"))?;
        let subject = format!("department:{dept_id}");
        let detail = serde_json::json!({ "name": dept.name });
        audit(&mut tx, now, actor, "department.delete", &subject, detail).await?;
        commit(tx).await
    }

    async fn create_service_user(
        &self,
        user: NewUser,
        roles: &[RoleId],
        actor: Option<&UserId>,
    ) -> StoreResult<User> {
        let now = now();
        let mut tx = begin(self).await?;
        let created = insert_user(&mut tx, &user, now, actor, true).await?;
        for role in roles {
            sqlx::query(
                "INSERT INTO role_members (role_id, user_id) VALUES ($1, $2) \
                 ON CONFLICT (role_id, user_id) DO NOTHING",
            )
            .bind(role.as_str())
            .bind(created.id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err(&format!("membership in role `{role}`")))?;
        }
        commit(tx).await?;
        Ok(created)
    }

    async fn service_user_ids(&self) -> StoreResult<Vec<UserId>> {
        const SQL: &str = "SELECT user_id FROM service_users ORDER BY user_id";
        let ids: Vec<String> = sqlx::query_scalar(SQL)
            .fetch_all(self.reader())
            .await
            .map_err(db_err("service users"))?;
        ids.iter()
            .map(|id| UserId::parse(id).map_err(StoreError::backend))
            .collect()
    }

    async fn upsert_role(&self, role: Role) -> StoreResult<()> {
        let query = sqlx::query(
            "INSERT INTO roles (id, name_zh, name_en) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en",
        )
        .bind(role.id.as_str())
        .bind(&role.name_zh)
        .bind(&role.name_en);
        let what = format!("role `{}`", role.id);
        self.directory_change(query, &what).await.map(|_| ())
    }

    async fn list_roles(&self) -> StoreResult<Vec<Role>> {
        const SQL: &str = "SELECT id, name_zh, name_en FROM roles ORDER BY id";
        self.rows(sqlx::query(SQL), rows::role, "roles").await
    }

    async fn add_role_member(&self, role_id: &RoleId, user_id: &UserId) -> StoreResult<()> {
        let query = sqlx::query(
            "INSERT INTO role_members (role_id, user_id) VALUES ($1, $2) \
             ON CONFLICT (role_id, user_id) DO NOTHING",
        )
        .bind(role_id.as_str())
        .bind(user_id.as_str());
        let what = format!("membership of user `{user_id}` in role `{role_id}`");
        self.directory_change(query, &what).await.map(|_| ())
    }

    async fn remove_role_member(&self, role_id: &RoleId, user_id: &UserId) -> StoreResult<()> {
        let query = sqlx::query("DELETE FROM role_members WHERE role_id = $1 AND user_id = $2")
            .bind(role_id.as_str())
            .bind(user_id.as_str());
        self.directory_change(query, "role membership")
            .await
            .map(|_| ())
    }

    async fn user_roles(&self, user_id: &UserId) -> StoreResult<Vec<RoleId>> {
        const SQL: &str = "SELECT role_id FROM role_members WHERE user_id = $1 ORDER BY role_id";
        let sql = sqlx::query(SQL).bind(user_id.as_str());
        self.rows(sql, rows::role_id, "user roles").await
    }

    async fn role_members(&self, role_id: &RoleId) -> StoreResult<Vec<User>> {
        const SQL: &str = concat!(
            "SELECT ",
            user_cols!(),
            " FROM users WHERE id IN (SELECT user_id FROM role_members WHERE role_id = $1) \
             ORDER BY username"
        );
        self.rows_by(SQL, role_id.as_str(), rows::user, "role members")
            .await
    }

    async fn session_create(&self, session: &SessionRow) -> StoreResult<bool> {
        self.put_session(session, false).await
    }

    async fn session_save(&self, session: &SessionRow) -> StoreResult<()> {
        self.put_session(session, true).await.map(|_| ())
    }

    async fn session_load_with_epoch(
        &self,
        id: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<(SessionRow, i64)>> {
        // A request that was in flight while its user was suspended may save the session
        // again after `set_suspended` deleted it; such a session must still not load.
        sqlx::query(
            "SELECT s.id, s.user_id, s.data, s.expires_at, e.epoch FROM sessions s \
             CROSS JOIN directory_epoch e LEFT JOIN users u ON u.id = s.user_id \
             WHERE s.id = $1 AND s.expires_at > $2 AND (s.user_id IS NULL OR u.suspended = FALSE)",
        )
        .bind(id)
        .bind(ts(now))
        .try_map(|row: super::DbRow| {
            let epoch = row.try_get("epoch")?;
            Ok((rows::session(row)?, epoch))
        })
        .fetch_optional(self.reader())
        .await
        .map_err(db_err("session"))
    }

    async fn session_delete(&self, id: &str) -> StoreResult<()> {
        self.execute(
            sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id),
            "session",
        )
        .await
        .map(|_| ())
    }

    async fn session_delete_expired(&self, now: OffsetDateTime) -> StoreResult<u64> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(ts(now))
            .execute(self.writer())
            .await
            .map_err(db_err("sessions"))?
            .rows_affected())
    }

    async fn create_token(&self, token: NewApiToken) -> StoreResult<ApiToken> {
        sqlx::query(concat!(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
            token_cols!()
        ))
        .bind(String::from(TokenId::new()))
        .bind(token.user_id.as_str())
        .bind(&token.name)
        .bind(&token.token_hash)
        .bind(&token.prefix)
        .bind(ts(now()))
        .try_map(rows::token)
        .fetch_one(self.writer())
        .await
        .map_err(db_err(&format!("API token `{}`", token.prefix)))
    }

    async fn use_token(
        &self,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<(ApiToken, User)>> {
        let mut tx = begin(self).await?;
        // The suspended check closes the race with a token created while its user is suspended.
        let token = sqlx::query(concat!(
            "UPDATE api_tokens SET last_used_at = $2 \
             WHERE token_hash = $1 AND revoked_at IS NULL \
             AND user_id IN (SELECT id FROM users WHERE suspended = FALSE) RETURNING ",
            token_cols!()
        ))
        .bind(token_hash)
        .bind(ts(now))
        .try_map(rows::token)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err("API token"))?;
        let Some(token) = token else {
            return Ok(None);
        };
        let user = sqlx::query(USER_BY_ID)
            .bind(token.user_id.as_str())
            .try_map(rows::user)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err("user of API token"))?;
        commit(tx).await?;
        Ok(Some((token, user)))
    }

    async fn list_tokens(&self, user_id: &UserId) -> StoreResult<Vec<ApiToken>> {
        let sql = select_by!(token_cols, "api_tokens", "user_id");
        self.rows_by(sql, user_id.as_str(), rows::token, "API tokens")
            .await
    }

    async fn revoke_token(&self, user_id: &UserId, token_id: &TokenId) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $3 \
             WHERE id = $2 AND user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user_id.as_str())
        .bind(token_id.as_str())
        .bind(ts(now()))
        .execute(self.writer())
        .await
        .map_err(db_err("API token"))?;
        found(done.rows_affected(), || {
            format!("live API token `{token_id}` of user `{user_id}`")
        })
    }

    async fn directory_epoch(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT epoch FROM directory_epoch WHERE id = 1")
            .fetch_one(self.reader())
            .await
            .map_err(db_err("directory epoch"))
    }

    async fn load_directory(&self) -> StoreResult<DirectoryRows> {
        // The epoch first: the rows read after it are at least that new.
        let epoch = self.directory_epoch().await?;
        const USERS: &str = concat!("SELECT ", account_cols!(), " FROM users ORDER BY username");
        const DEPARTMENTS: &str = concat!(
            "SELECT ",
            dept_cols!(),
            " FROM departments ORDER BY name, id"
        );
        const ROLES: &str = "SELECT id, name_zh, name_en FROM roles ORDER BY id";
        const MEMBERS: &str = "SELECT role_id, user_id FROM role_members ORDER BY role_id, user_id";
        Ok(DirectoryRows {
            epoch,
            users: self
                .rows(sqlx::query(USERS), rows::account, "users")
                .await?,
            departments: self
                .rows(sqlx::query(DEPARTMENTS), rows::department, "departments")
                .await?,
            roles: self.rows(sqlx::query(ROLES), rows::role, "roles").await?,
            members: self
                .rows(sqlx::query(MEMBERS), rows::membership, "role members")
                .await?,
        })
    }

    async fn record_login_failure(
        &self,
        key: &str,
        now: OffsetDateTime,
        since: OffsetDateTime,
    ) -> StoreResult<u32> {
        let mut tx = begin(self).await?;
        sqlx::query("INSERT INTO login_failures (key, at) VALUES ($1, $2)")
            .bind(key)
            .bind(ts(now))
            .execute(&mut *tx)
            .await
            .map_err(db_err("login failure"))?;
        // Rows older than the window can never count again; pruning them here bounds the table
        // under a password-guessing attack.
        sqlx::query("DELETE FROM login_failures WHERE key = $1 AND at < $2")
            .bind(key)
            .bind(ts(since))
            .execute(&mut *tx)
            .await
            .map_err(db_err("login failures"))?;
        let n: i64 = sqlx::query_scalar(LOGIN_FAILURES)
            .bind(key)
            .bind(ts(since))
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err("login failures"))?;
        commit(tx).await?;
        Ok(count(n))
    }

    async fn login_failures_since(&self, key: &str, since: OffsetDateTime) -> StoreResult<u32> {
        let n: i64 = sqlx::query_scalar(LOGIN_FAILURES)
            .bind(key)
            .bind(ts(since))
            .fetch_one(self.reader())
            .await
            .map_err(db_err("login failures"))?;
        Ok(count(n))
    }

    async fn clear_login_failures(&self, key: &str) -> StoreResult<()> {
        let sql = sqlx::query("DELETE FROM login_failures WHERE key = $1").bind(key);
        self.execute(sql, "login failures").await.map(|_| ())
    }

    async fn external_sign_in(
        &self,
        sign_in: &ExternalSignIn,
    ) -> StoreResult<ExternalSignInOutcome> {
        const LINKED: &str = concat!(
            "SELECT ",
            user_cols!(),
            " FROM users WHERE id = (SELECT user_id FROM external_identities \
             WHERE issuer = $1 AND subject = $2)"
        );
        const BY_EMAIL: &str = concat!(
            "SELECT ",
            user_cols!(),
            " FROM users WHERE lower(email) = lower($1) ORDER BY id LIMIT 2"
        );
        const LINKED_ELSEWHERE: &str =
            "SELECT COUNT(*) FROM external_identities WHERE issuer = $1 AND user_id = $2";
        let now = now();
        let mut tx = begin(self).await?;
        let linked = sqlx::query(LINKED)
            .bind(&sign_in.issuer)
            .bind(&sign_in.subject)
            .try_map(rows::user)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err("linked user"))?;
        if let Some(user) = linked {
            commit(tx).await?;
            return Ok(ExternalSignInOutcome::Linked(user));
        }
        let mut matched = match &sign_in.matcher {
            ExternalMatch::Username(name) => sqlx::query(USER_BY_USERNAME).bind(name),
            ExternalMatch::Email(email) => sqlx::query(BY_EMAIL).bind(email),
        }
        .try_map(rows::user)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err("user"))?;
        if matched.len() > 1 {
            return Ok(ExternalSignInOutcome::Ambiguous);
        }
        if let Some(user) = matched.pop() {
            let elsewhere: i64 = sqlx::query_scalar(LINKED_ELSEWHERE)
                .bind(&sign_in.issuer)
                .bind(user.id.as_str())
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err("links to the sign-in provider"))?;
            if elsewhere > 0 {
                return Ok(ExternalSignInOutcome::LinkedElsewhere);
            }
            link_identity(&mut tx, sign_in, &user.id, now).await?;
            commit(tx).await?;
            return Ok(ExternalSignInOutcome::Matched(user));
        }
        let Some(create) = &sign_in.create else {
            return Ok(ExternalSignInOutcome::Unknown);
        };
        let created = insert_user(&mut tx, &create.user, now, None, false).await?;
        for role in &create.roles {
            sqlx::query("INSERT INTO role_members (role_id, user_id) VALUES ($1, $2)")
                .bind(role.as_str())
                .bind(created.id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_err(&format!("role `{role}`")))?;
        }
        // insert_user moved the epoch and audited the creation; the roles and the way in too.
        let detail = serde_json::json!({ "via": "oidc", "roles": create.roles });
        audit(
            &mut tx,
            now,
            None,
            "user.set_roles",
            &format!("user:{}", created.id),
            detail,
        )
        .await?;
        link_identity(&mut tx, sign_in, &created.id, now).await?;
        commit(tx).await?;
        Ok(ExternalSignInOutcome::Created(created))
    }
}

// The `Store` implementation shared by SQLite and PostgreSQL, written once and compiled by each
// backend crate with `include!`, so every query is type-checked against a concrete driver
// (no `sqlx::Any`, no generic bounds).
//
// The including module defines, before the `include!`:
// - `type Db` — `sqlx::Sqlite` or `sqlx::Postgres`;
// - `type StoreImpl` — the store struct, with `fn reader(&self) -> &sqlx::Pool<Db>`,
//   `fn writer(&self) -> &sqlx::Pool<Db>` and
//   `async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Db>, sqlx::Error>`;
// - `const BACKEND: Backend`;
// - `fn ts(OffsetDateTime) -> impl Encode + Type` — how an instant is bound (use `micros`);
// - `fn migrator() -> sqlx::migrate::Migrator`.
//
// The SQL is the dialect both databases speak: `$n` placeholders (sqlx-sqlite binds `$n` by its
// number, not by position, so a number may repeat or come out of order), `RETURNING`,
// `ON CONFLICT … excluded`, `WITH RECURSIVE`, `TRUE`/`FALSE`. JSON is bound as
// `sqlx::types::Json` (TEXT on SQLite, JSONB on PostgreSQL) and read back as `RawValue` text.
//
// Every method that writes more than one row runs in one transaction from `begin_write`.

use async_trait::async_trait;
use formwork_store::{
    ApiToken, AppSummary, AppVersion, AppVersionInfo, AuditEntry, Backend, Department, Draft,
    NewApiToken, NewDepartment, NewUser, Role, SessionRow, Store, StoreError, StoreResult, User,
    new_id,
};
use serde_json::value::RawValue;
use sqlx::Row as _;
use sqlx::types::Json;
use time::OffsetDateTime;

type DbRow = <Db as sqlx::Database>::Row;
type Tx = sqlx::Transaction<'static, Db>;

macro_rules! user_cols {
    () => {
        "id, username, display_name, email, password_hash, department_id, is_admin, suspended, \
         created_at"
    };
}

macro_rules! token_cols {
    () => {
        "id, user_id, name, prefix, created_at, last_used_at, revoked_at"
    };
}

macro_rules! dept_cols {
    () => {
        "id, name, parent_id, head_user_id"
    };
}

macro_rules! version_cols {
    () => {
        "app_id, version, package, published_at, published_by"
    };
}

/// The current instant at the precision both databases keep.
fn now() -> OffsetDateTime {
    micros(OffsetDateTime::now_utc())
}

/// `t` in UTC, cut to whole microseconds (TIMESTAMPTZ's precision), so every backend returns
/// exactly the instant it was given.
fn micros(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

/// Maps a driver error: a unique violation is `Conflict`, a foreign-key violation `NotFound`,
/// anything else `Backend`. `what` names the thing being written, for the message.
fn db_err(what: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(format!("{what} already exists"))
        }
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            StoreError::NotFound(format!("{what} refers to a row that does not exist"))
        }
        _ => StoreError::Backend(format!("{what}: {e}")),
    }
}

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

fn json_text(row: &DbRow, col: &str) -> Result<String, sqlx::Error> {
    Ok(row.try_get::<Box<RawValue>, _>(col)?.get().to_owned())
}

/// The draft's top-level `name` as JSON text, or `null`; drafts may be incomplete.
fn draft_name(draft: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Head<'a> {
        #[serde(borrow)]
        name: Option<&'a RawValue>,
    }
    serde_json::from_str::<Head<'_>>(draft)
        .ok()
        .and_then(|h| h.name)
        .map_or_else(|| "null".to_owned(), |n| n.get().to_owned())
}

fn user_from_row(row: &DbRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        email: row.try_get("email")?,
        password_hash: row.try_get("password_hash")?,
        department_id: row.try_get("department_id")?,
        is_admin: row.try_get("is_admin")?,
        suspended: row.try_get("suspended")?,
        created_at: row.try_get("created_at")?,
    })
}

fn dept_from_row(row: &DbRow) -> Result<Department, sqlx::Error> {
    Ok(Department {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        parent_id: row.try_get("parent_id")?,
        head_user_id: row.try_get("head_user_id")?,
    })
}

fn role_from_row(row: &DbRow) -> Result<Role, sqlx::Error> {
    Ok(Role {
        id: row.try_get("id")?,
        name_zh: row.try_get("name_zh")?,
        name_en: row.try_get("name_en")?,
    })
}

fn session_from_row(row: &DbRow) -> Result<SessionRow, sqlx::Error> {
    Ok(SessionRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        data: row.try_get("data")?,
        expires_at: row.try_get("expires_at")?,
    })
}

fn token_from_row(row: &DbRow) -> Result<ApiToken, sqlx::Error> {
    Ok(ApiToken {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

fn draft_from_row(row: &DbRow) -> Result<Draft, sqlx::Error> {
    Ok(Draft {
        app_id: row.try_get("id")?,
        package: row.try_get("draft")?,
        rev: row.try_get("draft_rev")?,
        updated_at: row.try_get("updated_at")?,
        updated_by: row.try_get("updated_by")?,
    })
}

fn version_from_row(row: &DbRow) -> Result<AppVersion, sqlx::Error> {
    Ok(AppVersion {
        app_id: row.try_get("app_id")?,
        version: row.try_get("version")?,
        package: row.try_get("package")?,
        published_at: row.try_get("published_at")?,
        published_by: row.try_get("published_by")?,
    })
}

fn audit_from_row(row: &DbRow) -> Result<AuditEntry, sqlx::Error> {
    Ok(AuditEntry {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        subject: row.try_get("subject")?,
        detail: json_text(row, "detail")?,
    })
}

/// Appends an audit row inside the caller's transaction.
async fn audit(
    tx: &mut Tx,
    at: OffsetDateTime,
    actor: Option<&str>,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, action, subject, detail) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(ts(at))
    .bind(actor)
    .bind(action)
    .bind(subject)
    .bind(Json(detail))
    .execute(&mut **tx)
    .await
    .map_err(db_err("audit entry"))?;
    Ok(())
}

async fn commit(tx: Tx) -> StoreResult<()> {
    tx.commit().await.map_err(db_err("commit"))
}

async fn begin(store: &StoreImpl) -> StoreResult<Tx> {
    store.begin_write().await.map_err(db_err("begin"))
}

#[async_trait]
impl Store for StoreImpl {
    fn backend(&self) -> Backend {
        BACKEND
    }

    async fn migrate(&self) -> StoreResult<()> {
        migrator()
            .run(self.writer())
            .await
            .map_err(|e| StoreError::Backend(format!("migrations: {e}")))
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(self.reader())
            .await
            .map_err(db_err("ping"))?;
        Ok(())
    }

    // ---- users, departments, roles -------------------------------------------------------

    async fn create_user(&self, user: NewUser, actor: Option<&str>) -> StoreResult<User> {
        let what = format!("user `{}`", user.username);
        let now = now();
        let mut tx = begin(self).await?;
        let row = sqlx::query(concat!(
            "INSERT INTO users (id, username, display_name, email, password_hash, department_id, \
             is_admin, suspended, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, $8, $8) RETURNING ",
            user_cols!()
        ))
        .bind(new_id())
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(&user.department_id)
        .bind(user.is_admin)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err(&what))?;
        let created = user_from_row(&row).map_err(db_err(&what))?;
        audit(
            &mut tx,
            now,
            actor,
            "user.create",
            &format!("user:{}", created.id),
            serde_json::json!({ "username": created.username, "is_admin": created.is_admin }),
        )
        .await?;
        commit(tx).await?;
        Ok(created)
    }

    async fn get_user(&self, id: &str) -> StoreResult<Option<User>> {
        sqlx::query(concat!(
            "SELECT ",
            user_cols!(),
            " FROM users WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.reader())
        .await
        .and_then(|r| r.as_ref().map(user_from_row).transpose())
        .map_err(db_err("user"))
    }

    async fn get_user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        sqlx::query(concat!(
            "SELECT ",
            user_cols!(),
            " FROM users WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(self.reader())
        .await
        .and_then(|r| r.as_ref().map(user_from_row).transpose())
        .map_err(db_err("user"))
    }

    async fn list_users(&self, after: Option<&str>, limit: u32) -> StoreResult<Vec<User>> {
        sqlx::query(concat!(
            "SELECT ",
            user_cols!(),
            " FROM users WHERE ($1 IS NULL OR username > $1) ORDER BY username LIMIT $2"
        ))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await
        .and_then(|rows| rows.iter().map(user_from_row).collect())
        .map_err(db_err("users"))
    }

    async fn set_password(&self, user_id: &str, password_hash: &str) -> StoreResult<()> {
        let done =
            sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
                .bind(user_id)
                .bind(password_hash)
                .bind(ts(now()))
                .execute(self.writer())
                .await
                .map_err(db_err("user password"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("user `{user_id}`")));
        }
        Ok(())
    }

    async fn set_suspended(
        &self,
        user_id: &str,
        suspended: bool,
        actor: Option<&str>,
    ) -> StoreResult<()> {
        let now = now();
        let mut tx = begin(self).await?;
        let done = sqlx::query("UPDATE users SET suspended = $2, updated_at = $3 WHERE id = $1")
            .bind(user_id)
            .bind(suspended)
            .bind(ts(now))
            .execute(&mut *tx)
            .await
            .map_err(db_err("user"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("user `{user_id}`")));
        }
        let (mut sessions_ended, mut tokens_revoked) = (0, 0);
        if suspended {
            sessions_ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map_err(db_err("sessions"))?
                .rows_affected();
            tokens_revoked = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
            )
            .bind(user_id)
            .bind(ts(now))
            .execute(&mut *tx)
            .await
            .map_err(db_err("api tokens"))?
            .rows_affected();
        }
        audit(
            &mut tx,
            now,
            actor,
            if suspended {
                "user.suspend"
            } else {
                "user.reinstate"
            },
            &format!("user:{user_id}"),
            serde_json::json!({
                "sessions_ended": sessions_ended,
                "tokens_revoked": tokens_revoked,
            }),
        )
        .await?;
        commit(tx).await
    }

    async fn create_department(&self, dept: NewDepartment) -> StoreResult<Department> {
        let what = format!("department `{}` under this parent", dept.name);
        sqlx::query(concat!(
            "INSERT INTO departments (id, name, parent_id, head_user_id, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING ",
            dept_cols!()
        ))
        .bind(new_id())
        .bind(&dept.name)
        .bind(&dept.parent_id)
        .bind(&dept.head_user_id)
        .bind(ts(now()))
        .fetch_one(self.writer())
        .await
        .and_then(|row| dept_from_row(&row))
        .map_err(db_err(&what))
    }

    async fn get_department_by_name(&self, name: &str) -> StoreResult<Option<Department>> {
        // Names are unique only under one parent; the oldest of equal names wins.
        sqlx::query(concat!(
            "SELECT ",
            dept_cols!(),
            " FROM departments WHERE name = $1 ORDER BY id LIMIT 1"
        ))
        .bind(name)
        .fetch_optional(self.reader())
        .await
        .and_then(|r| r.as_ref().map(dept_from_row).transpose())
        .map_err(db_err("department"))
    }

    async fn list_departments(&self) -> StoreResult<Vec<Department>> {
        sqlx::query(concat!(
            "SELECT ",
            dept_cols!(),
            " FROM departments ORDER BY name, id"
        ))
        .fetch_all(self.reader())
        .await
        .and_then(|rows| rows.iter().map(dept_from_row).collect())
        .map_err(db_err("departments"))
    }

    async fn set_department_head(
        &self,
        dept_id: &str,
        head_user_id: Option<&str>,
    ) -> StoreResult<()> {
        let what = format!("head of department `{dept_id}`");
        let done = sqlx::query("UPDATE departments SET head_user_id = $2 WHERE id = $1")
            .bind(dept_id)
            .bind(head_user_id)
            .execute(self.writer())
            .await
            .map_err(db_err(&what))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("department `{dept_id}`")));
        }
        Ok(())
    }

    async fn department_chain(&self, user_id: &str) -> StoreResult<Vec<Department>> {
        // The depth bound only guards against a cycle written by hand; the API cannot make one.
        let rows = sqlx::query(
            "WITH RECURSIVE chain (id, name, parent_id, head_user_id, depth) AS ( \
                 SELECT d.id, d.name, d.parent_id, d.head_user_id, 0 \
                 FROM departments d JOIN users u ON u.department_id = d.id WHERE u.id = $1 \
                 UNION ALL \
                 SELECT d.id, d.name, d.parent_id, d.head_user_id, c.depth + 1 \
                 FROM departments d JOIN chain c ON d.id = c.parent_id WHERE c.depth < 64 \
             ) SELECT id, name, parent_id, head_user_id FROM chain ORDER BY depth",
        )
        .bind(user_id)
        .fetch_all(self.reader())
        .await
        .map_err(db_err("department chain"))?;
        if rows.is_empty() && self.get_user(user_id).await?.is_none() {
            return Err(StoreError::NotFound(format!("user `{user_id}`")));
        }
        rows.iter()
            .map(dept_from_row)
            .collect::<Result<_, _>>()
            .map_err(db_err("department chain"))
    }

    async fn upsert_role(&self, role: Role) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO roles (id, name_zh, name_en) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en",
        )
        .bind(&role.id)
        .bind(&role.name_zh)
        .bind(&role.name_en)
        .execute(self.writer())
        .await
        .map_err(db_err(&format!("role `{}`", role.id)))?;
        Ok(())
    }

    async fn list_roles(&self) -> StoreResult<Vec<Role>> {
        sqlx::query("SELECT id, name_zh, name_en FROM roles ORDER BY id")
            .fetch_all(self.reader())
            .await
            .and_then(|rows| rows.iter().map(role_from_row).collect())
            .map_err(db_err("roles"))
    }

    async fn add_role_member(&self, role_id: &str, user_id: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO role_members (role_id, user_id) VALUES ($1, $2) \
             ON CONFLICT (role_id, user_id) DO NOTHING",
        )
        .bind(role_id)
        .bind(user_id)
        .execute(self.writer())
        .await
        .map_err(db_err(&format!(
            "membership of user `{user_id}` in role `{role_id}`"
        )))?;
        Ok(())
    }

    async fn remove_role_member(&self, role_id: &str, user_id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM role_members WHERE role_id = $1 AND user_id = $2")
            .bind(role_id)
            .bind(user_id)
            .execute(self.writer())
            .await
            .map_err(db_err("role membership"))?;
        Ok(())
    }

    async fn user_roles(&self, user_id: &str) -> StoreResult<Vec<String>> {
        sqlx::query("SELECT role_id FROM role_members WHERE user_id = $1 ORDER BY role_id")
            .bind(user_id)
            .fetch_all(self.reader())
            .await
            .and_then(|rows| rows.iter().map(|r| r.try_get("role_id")).collect())
            .map_err(db_err("user roles"))
    }

    async fn role_members(&self, role_id: &str) -> StoreResult<Vec<User>> {
        sqlx::query(concat!(
            "SELECT ",
            user_cols!(),
            " FROM users WHERE id IN (SELECT user_id FROM role_members WHERE role_id = $1) \
             ORDER BY username"
        ))
        .bind(role_id)
        .fetch_all(self.reader())
        .await
        .and_then(|rows| rows.iter().map(user_from_row).collect())
        .map_err(db_err("role members"))
    }

    // ---- sessions ----------------------------------------------------------------------------

    async fn session_create(&self, session: &SessionRow) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&session.id)
        .bind(&session.user_id)
        .bind(&session.data)
        .bind(ts(session.expires_at))
        .execute(self.writer())
        .await
        .map_err(db_err("session"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn session_save(&self, session: &SessionRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, \
             expires_at = excluded.expires_at",
        )
        .bind(&session.id)
        .bind(&session.user_id)
        .bind(&session.data)
        .bind(ts(session.expires_at))
        .execute(self.writer())
        .await
        .map_err(db_err("session"))?;
        Ok(())
    }

    async fn session_load(&self, id: &str, now: OffsetDateTime) -> StoreResult<Option<SessionRow>> {
        // A request that was in flight while its user was suspended may save the session
        // again after `set_suspended` deleted it; such a session must still not load.
        sqlx::query(
            "SELECT s.id, s.user_id, s.data, s.expires_at FROM sessions s \
             LEFT JOIN users u ON u.id = s.user_id \
             WHERE s.id = $1 AND s.expires_at > $2 AND (s.user_id IS NULL OR u.suspended = FALSE)",
        )
        .bind(id)
        .bind(ts(now))
        .fetch_optional(self.reader())
        .await
        .and_then(|r| r.as_ref().map(session_from_row).transpose())
        .map_err(db_err("session"))
    }

    async fn session_delete(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id)
            .execute(self.writer())
            .await
            .map_err(db_err("session"))?;
        Ok(())
    }

    async fn session_delete_expired(&self, now: OffsetDateTime) -> StoreResult<u64> {
        Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(ts(now))
            .execute(self.writer())
            .await
            .map_err(db_err("sessions"))?
            .rows_affected())
    }

    // ---- API tokens --------------------------------------------------------------------------

    async fn create_token(&self, token: NewApiToken) -> StoreResult<ApiToken> {
        sqlx::query(concat!(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
            token_cols!()
        ))
        .bind(new_id())
        .bind(&token.user_id)
        .bind(&token.name)
        .bind(&token.token_hash)
        .bind(&token.prefix)
        .bind(ts(now()))
        .fetch_one(self.writer())
        .await
        .and_then(|row| token_from_row(&row))
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
        .fetch_optional(&mut *tx)
        .await
        .and_then(|r| r.as_ref().map(token_from_row).transpose())
        .map_err(db_err("API token"))?;
        let Some(token) = token else {
            return Ok(None);
        };
        let user = sqlx::query(concat!(
            "SELECT ",
            user_cols!(),
            " FROM users WHERE id = $1"
        ))
        .bind(&token.user_id)
        .fetch_one(&mut *tx)
        .await
        .and_then(|row| user_from_row(&row))
        .map_err(db_err("user of API token"))?;
        commit(tx).await?;
        Ok(Some((token, user)))
    }

    async fn list_tokens(&self, user_id: &str) -> StoreResult<Vec<ApiToken>> {
        sqlx::query(concat!(
            "SELECT ",
            token_cols!(),
            " FROM api_tokens WHERE user_id = $1 ORDER BY id"
        ))
        .bind(user_id)
        .fetch_all(self.reader())
        .await
        .and_then(|rows| rows.iter().map(token_from_row).collect())
        .map_err(db_err("API tokens"))
    }

    async fn revoke_token(&self, user_id: &str, token_id: &str) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $3 \
             WHERE id = $2 AND user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user_id)
        .bind(token_id)
        .bind(ts(now()))
        .execute(self.writer())
        .await
        .map_err(db_err("API token"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "live API token `{token_id}` of user `{user_id}`"
            )));
        }
        Ok(())
    }

    // ---- login throttling --------------------------------------------------------------------

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
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE key = $1 AND at >= $2")
                .bind(key)
                .bind(ts(since))
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err("login failures"))?;
        commit(tx).await?;
        Ok(count(n))
    }

    async fn login_failures_since(&self, key: &str, since: OffsetDateTime) -> StoreResult<u32> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE key = $1 AND at >= $2")
                .bind(key)
                .bind(ts(since))
                .fetch_one(self.reader())
                .await
                .map_err(db_err("login failures"))?;
        Ok(count(n))
    }

    async fn clear_login_failures(&self, key: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .execute(self.writer())
            .await
            .map_err(db_err("login failures"))?;
        Ok(())
    }

    // ---- apps: drafts and immutable versions ---------------------------------------------

    async fn create_app(&self, app_id: &str, draft: &str, actor: &str) -> StoreResult<Draft> {
        let what = format!("app `{app_id}`");
        let now = now();
        let mut tx = begin(self).await?;
        let created = sqlx::query(
            "INSERT INTO apps (id, name, draft, draft_rev, latest_version, created_at, created_by, \
             updated_at, updated_by) VALUES ($1, $2, $3, 1, NULL, $4, $5, $4, $5) \
             RETURNING id, draft, draft_rev, updated_at, updated_by",
        )
        .bind(app_id)
        .bind(draft_name(draft))
        .bind(draft)
        .bind(ts(now))
        .bind(actor)
        .fetch_one(&mut *tx)
        .await
        .and_then(|row| draft_from_row(&row))
        .map_err(db_err(&what))?;
        audit(
            &mut tx,
            now,
            Some(actor),
            "app.create",
            &format!("app:{app_id}"),
            serde_json::json!({ "rev": created.rev }),
        )
        .await?;
        commit(tx).await?;
        Ok(created)
    }

    async fn get_draft(&self, app_id: &str) -> StoreResult<Option<Draft>> {
        sqlx::query("SELECT id, draft, draft_rev, updated_at, updated_by FROM apps WHERE id = $1")
            .bind(app_id)
            .fetch_optional(self.reader())
            .await
            .and_then(|r| r.as_ref().map(draft_from_row).transpose())
            .map_err(db_err("app draft"))
    }

    async fn put_draft(
        &self,
        app_id: &str,
        draft: &str,
        expected_rev: Option<i64>,
        actor: &str,
    ) -> StoreResult<Draft> {
        let what = format!("draft of app `{app_id}`");
        let now = now();
        let mut tx = begin(self).await?;
        // On PostgreSQL a concurrent save of the same revision waits on the row lock, then
        // re-checks `draft_rev` against the committed row and matches nothing.
        let saved = sqlx::query(
            "UPDATE apps SET draft = $2, name = $3, draft_rev = draft_rev + 1, updated_at = $4, \
             updated_by = $5 WHERE id = $1 AND ($6 IS NULL OR draft_rev = $6) \
             RETURNING id, draft, draft_rev, updated_at, updated_by",
        )
        .bind(app_id)
        .bind(draft)
        .bind(draft_name(draft))
        .bind(ts(now))
        .bind(actor)
        .bind(expected_rev)
        .fetch_optional(&mut *tx)
        .await
        .and_then(|r| r.as_ref().map(draft_from_row).transpose())
        .map_err(db_err(&what))?;
        let Some(saved) = saved else {
            let current: Option<i64> =
                sqlx::query_scalar("SELECT draft_rev FROM apps WHERE id = $1")
                    .bind(app_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err(&what))?;
            return Err(match current {
                None => StoreError::NotFound(format!("app `{app_id}`")),
                Some(rev) => StoreError::Conflict(format!(
                    "{what} is at revision {rev}, not {}",
                    expected_rev.unwrap_or_default()
                )),
            });
        };
        audit(
            &mut tx,
            now,
            Some(actor),
            "app.draft_update",
            &format!("app:{app_id}"),
            serde_json::json!({ "rev": saved.rev }),
        )
        .await?;
        commit(tx).await?;
        Ok(saved)
    }

    async fn list_apps(&self) -> StoreResult<Vec<AppSummary>> {
        sqlx::query("SELECT id, name, latest_version, updated_at FROM apps ORDER BY id")
            .fetch_all(self.reader())
            .await
            .and_then(|rows| {
                rows.iter()
                    .map(|row| {
                        Ok(AppSummary {
                            id: row.try_get("id")?,
                            name: row.try_get("name")?,
                            latest_version: row.try_get("latest_version")?,
                            updated_at: row.try_get("updated_at")?,
                        })
                    })
                    .collect()
            })
            .map_err(db_err("apps"))
    }

    async fn publish(&self, app_id: &str, package: &str, actor: &str) -> StoreResult<AppVersion> {
        let what = format!("version of app `{app_id}`");
        let now = now();
        let mut tx = begin(self).await?;
        // Bumping the counter row takes its write lock (PostgreSQL) or runs under the database
        // write lock of BEGIN IMMEDIATE (SQLite), so concurrent publishes queue here and each
        // gets the next number: none repeats, none is skipped.
        let version: Option<i64> = sqlx::query_scalar(
            "UPDATE apps SET latest_version = COALESCE(latest_version, 0) + 1 WHERE id = $1 \
             RETURNING latest_version",
        )
        .bind(app_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err(&what))?;
        let Some(version) = version else {
            return Err(StoreError::NotFound(format!("app `{app_id}`")));
        };
        let published = sqlx::query(concat!(
            "INSERT INTO app_versions (app_id, version, package, published_at, published_by) \
             VALUES ($1, $2, $3, $4, $5) RETURNING ",
            version_cols!()
        ))
        .bind(app_id)
        .bind(version)
        .bind(package)
        .bind(ts(now))
        .bind(actor)
        .fetch_one(&mut *tx)
        .await
        .and_then(|row| version_from_row(&row))
        .map_err(db_err(&what))?;
        audit(
            &mut tx,
            now,
            Some(actor),
            "app.publish",
            &format!("app:{app_id}"),
            serde_json::json!({ "version": version }),
        )
        .await?;
        commit(tx).await?;
        Ok(published)
    }

    async fn list_versions(&self, app_id: &str) -> StoreResult<Vec<AppVersionInfo>> {
        sqlx::query(
            "SELECT version, published_at, published_by FROM app_versions \
             WHERE app_id = $1 ORDER BY version",
        )
        .bind(app_id)
        .fetch_all(self.reader())
        .await
        .and_then(|rows| {
            rows.iter()
                .map(|row| {
                    Ok(AppVersionInfo {
                        version: row.try_get("version")?,
                        published_at: row.try_get("published_at")?,
                        published_by: row.try_get("published_by")?,
                    })
                })
                .collect()
        })
        .map_err(db_err("app versions"))
    }

    async fn get_version(&self, app_id: &str, version: i64) -> StoreResult<Option<AppVersion>> {
        sqlx::query(concat!(
            "SELECT ",
            version_cols!(),
            " FROM app_versions WHERE app_id = $1 AND version = $2"
        ))
        .bind(app_id)
        .bind(version)
        .fetch_optional(self.reader())
        .await
        .and_then(|r| r.as_ref().map(version_from_row).transpose())
        .map_err(db_err("app version"))
    }

    async fn latest_version(&self, app_id: &str) -> StoreResult<Option<AppVersion>> {
        sqlx::query(concat!(
            "SELECT ",
            version_cols!(),
            " FROM app_versions WHERE app_id = $1 ORDER BY version DESC LIMIT 1"
        ))
        .bind(app_id)
        .fetch_optional(self.reader())
        .await
        .and_then(|r| r.as_ref().map(version_from_row).transpose())
        .map_err(db_err("app version"))
    }

    // ---- audit -----------------------------------------------------------------------------

    async fn list_audit(&self, before: Option<&str>, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        sqlx::query(
            "SELECT id, at, actor, action, subject, detail FROM audit_log \
             WHERE ($1 IS NULL OR id < $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(self.reader())
        .await
        .and_then(|rows| rows.iter().map(audit_from_row).collect())
        .map_err(db_err("audit log"))
    }
}

//! `AccountStore`: users, roles, the directory they make with the departments, and sign-in
//! through a provider.

use async_trait::async_trait;
use formwork_store::{
    AccountStore, DirectoryRows, ExternalMatch, ExternalSignIn, ExternalSignInOutcome, NewUser,
    Role, RoleId, StoreError, StoreResult, User, UserId,
};
use time::OffsetDateTime;

use super::Driver as _;
use super::departments::ALL_DEPARTMENTS;
use super::{Conn, Statement, audit, begin, commit, db_err, found, now, rows, text, ts};
use crate::StoreImpl;

pub(super) const USER_BY_ID: &str = select_by!(user_cols, "users", "id");
const USER_BY_USERNAME: &str = select_by!(user_cols, "users", "username");
const ALL_ROLES: &str = "SELECT id, name_zh, name_en FROM roles ORDER BY id";
/// Adds a member; a membership that exists already is kept.
const ADD_MEMBER: &str = "INSERT INTO role_members (role_id, user_id) VALUES ($1, $2) \
                          ON CONFLICT (role_id, user_id) DO NOTHING";

/// Moves the directory epoch inside the caller's transaction (which changes the directory).
pub(super) async fn bump_epoch(tx: &mut Conn) -> StoreResult<()> {
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

/// Makes a new user a member of `roles` inside the caller's transaction.
async fn join_roles(tx: &mut Conn, user_id: &UserId, roles: &[RoleId]) -> StoreResult<()> {
    for role in roles {
        sqlx::query(ADD_MEMBER)
            .bind(role.as_str())
            .bind(user_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_err(&format!("membership in role `{role}`")))?;
    }
    Ok(())
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
    pub(super) async fn directory_change(
        &self,
        query: Statement<'_>,
        what: &str,
    ) -> StoreResult<u64> {
        let mut tx = begin(self).await?;
        let done = query.execute(&mut *tx).await.map_err(db_err(what))?;
        bump_epoch(&mut tx).await?;
        commit(tx).await?;
        Ok(done.rows_affected())
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

    async fn create_service_user(
        &self,
        user: NewUser,
        roles: &[RoleId],
        actor: Option<&UserId>,
    ) -> StoreResult<User> {
        let now = now();
        let mut tx = begin(self).await?;
        let created = insert_user(&mut tx, &user, now, actor, true).await?;
        join_roles(&mut tx, &created.id, roles).await?;
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
        self.rows(sqlx::query(ALL_ROLES), rows::role, "roles").await
    }

    async fn add_role_member(&self, role_id: &RoleId, user_id: &UserId) -> StoreResult<()> {
        let query = sqlx::query(ADD_MEMBER)
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
        const MEMBERS: &str = "SELECT role_id, user_id FROM role_members ORDER BY role_id, user_id";
        Ok(DirectoryRows {
            epoch,
            users: self
                .rows(sqlx::query(USERS), rows::account, "users")
                .await?,
            departments: self
                .rows(
                    sqlx::query(ALL_DEPARTMENTS),
                    rows::department,
                    "departments",
                )
                .await?,
            roles: self
                .rows(sqlx::query(ALL_ROLES), rows::role, "roles")
                .await?,
            members: self
                .rows(sqlx::query(MEMBERS), rows::membership, "role members")
                .await?,
            delegations: self
                .rows(
                    sqlx::query(super::portal::DELEGATIONS),
                    rows::delegation,
                    "delegations",
                )
                .await?,
        })
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
        join_roles(&mut tx, &created.id, &create.roles).await?;
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

//! `SignInStore`: sessions, API tokens and login throttling.

use async_trait::async_trait;
use formwork_store::{
    ApiToken, Epochs, NewApiToken, SessionRow, SignInStore, StoreResult, TokenId, User, UserId,
};
use sqlx::Row as _;
use time::OffsetDateTime;

use super::Driver as _;
use super::accounts::USER_BY_ID;
use super::{Db, begin, commit, count, db_err, found, now, rows, text, ts};
use crate::StoreImpl;

/// The failed logins under `key` since `since`, in a transaction or on the reader.
async fn failures_since<'c, E>(executor: E, key: &str, since: OffsetDateTime) -> StoreResult<u32>
where
    E: sqlx::Executor<'c, Database = Db>,
{
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE key = $1 AND at >= $2")
            .bind(key)
            .bind(ts(since))
            .fetch_one(executor)
            .await
            .map_err(db_err("login failures"))?;
    Ok(count(n))
}

impl StoreImpl {
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
impl SignInStore for StoreImpl {
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
    ) -> StoreResult<Option<(SessionRow, Epochs)>> {
        // A request that was in flight while its user was suspended may save the session
        // again after `set_suspended` deleted it; such a session must still not load.
        sqlx::query(
            "SELECT s.id, s.user_id, s.data, s.expires_at, e.epoch, p.epoch AS publish_epoch \
             FROM sessions s CROSS JOIN directory_epoch e CROSS JOIN publish_epoch p \
             LEFT JOIN users u ON u.id = s.user_id \
             WHERE s.id = $1 AND s.expires_at > $2 AND (s.user_id IS NULL OR u.suspended = FALSE)",
        )
        .bind(id)
        .bind(ts(now))
        .try_map(|row: super::DbRow| {
            let epochs = Epochs {
                directory: row.try_get("epoch")?,
                publish: row.try_get("publish_epoch")?,
            };
            Ok((rows::session(row)?, epochs))
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
        let n = failures_since(&mut *tx, key, since).await?;
        commit(tx).await?;
        Ok(n)
    }

    async fn login_failures_since(&self, key: &str, since: OffsetDateTime) -> StoreResult<u32> {
        failures_since(self.reader(), key, since).await
    }

    async fn clear_login_failures(&self, key: &str) -> StoreResult<()> {
        let sql = sqlx::query("DELETE FROM login_failures WHERE key = $1").bind(key);
        self.execute(sql, "login failures").await.map(|_| ())
    }
}

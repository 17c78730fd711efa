//! `SettingsStore`: admin settings as JSON text under a key, and users' notification channels.

use async_trait::async_trait;
use formwork_store::{NotificationSettings, Setting, SettingsStore, StoreResult, UserId};
use sqlx::Row as _;

use super::Driver as _;
use super::{DbRow, audit, begin, commit, db_err, now, rows::Mapped, ts};
use crate::StoreImpl;

fn setting(row: DbRow) -> Mapped<Setting> {
    Ok(Setting {
        key: row.try_get("key")?,
        value: row.try_get("value")?,
        updated_at: row.try_get("updated_at")?,
        updated_by: row.try_get("updated_by")?,
    })
}

#[async_trait]
impl SettingsStore for StoreImpl {
    async fn get_setting(&self, key: &str) -> StoreResult<Option<Setting>> {
        self.row(
            sqlx::query("SELECT key, value, updated_at, updated_by FROM settings WHERE key = $1")
                .bind(key),
            setting,
            "setting",
        )
        .await
    }

    async fn put_setting(&self, key: &str, value: &str, actor: &UserId) -> StoreResult<Setting> {
        let now = now();
        let mut tx = begin(self).await?;
        let saved = sqlx::query(
            "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by \
             RETURNING key, value, updated_at, updated_by",
        )
        .bind(key)
        .bind(value)
        .bind(ts(now))
        .bind(actor.as_str())
        .try_map(setting)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err("setting"))?;
        let detail = serde_json::json!({ "key": key });
        audit(
            &mut tx,
            now,
            Some(actor),
            "setting.update",
            &format!("setting:{key}"),
            detail,
        )
        .await?;
        commit(tx).await?;
        Ok(saved)
    }

    async fn notification_settings(
        &self,
        user_id: &UserId,
    ) -> StoreResult<Option<NotificationSettings>> {
        let row: Option<(bool, String)> =
            sqlx::query_as("SELECT email, lang FROM notification_settings WHERE user_id = $1")
                .bind(user_id.as_str())
                .fetch_optional(self.reader())
                .await
                .map_err(db_err("notification settings"))?;
        Ok(row.map(|(email, lang)| NotificationSettings {
            user_id: user_id.clone(),
            email,
            lang,
        }))
    }

    async fn put_notification_settings(&self, settings: &NotificationSettings) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO notification_settings (user_id, email, lang, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET \
             email = excluded.email, lang = excluded.lang, updated_at = excluded.updated_at",
        )
        .bind(settings.user_id.as_str())
        .bind(settings.email)
        .bind(&settings.lang)
        .bind(ts(now()))
        .execute(self.writer())
        .await
        .map_err(db_err("notification settings"))?;
        Ok(())
    }
}

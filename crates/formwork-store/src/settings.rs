//! Server-wide settings admins edit (the working-time calendar), and each user's notification
//! channels.

use async_trait::async_trait;
use formwork_model::UserId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::StoreResult;

/// One setting: a JSON document under a key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    pub key: String,
    /// The JSON text as saved.
    pub value: String,
    pub updated_at: OffsetDateTime,
    pub updated_by: String,
}

/// Where a user wants notifications besides in-app, which is always on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettings {
    pub user_id: UserId,
    /// Mail to the user's address.
    pub email: bool,
    /// The language of their mail: `zh-CN` or `en`.
    pub lang: String,
}

#[async_trait]
pub trait SettingsStore: Send + Sync + 'static {
    async fn get_setting(&self, key: &str) -> StoreResult<Option<Setting>>;
    /// Saves `value` under `key` and writes `setting.update` to the audit log, in one
    /// transaction.
    async fn put_setting(&self, key: &str, value: &str, actor: &UserId) -> StoreResult<Setting>;
    /// The user's saved channels, if they ever saved them.
    async fn notification_settings(
        &self,
        user_id: &UserId,
    ) -> StoreResult<Option<NotificationSettings>>;
    async fn put_notification_settings(&self, settings: &NotificationSettings) -> StoreResult<()>;
}

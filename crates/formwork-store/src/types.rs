//! Row types the store reads and writes.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// argon2 PHC string; never serialised to clients (the web layer maps to its own DTO).
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub department_id: Option<String>,
    pub is_admin: bool,
    pub suspended: bool,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub department_id: Option<String>,
    pub is_admin: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Department {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub head_user_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewDepartment {
    pub name: String,
    pub parent_id: Option<String>,
    pub head_user_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
}

/// A tower-sessions record as stored: the id, its JSON data and when it expires.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub id: String,
    /// The signed-in user, kept beside the data so suspension can end their sessions.
    pub user_id: Option<String>,
    pub data: String,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub user_id: String,
    pub name: String,
    /// SHA-256 of the secret, hex; the secret itself is shown once and never stored.
    pub token_hash: String,
    /// The first characters of the secret, to recognise it in lists.
    pub prefix: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

/// The editable draft of an app.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub app_id: String,
    /// Canonical package JSON text.
    pub package: String,
    /// Increments on every save; used for optimistic concurrency.
    pub rev: i64,
    pub updated_at: OffsetDateTime,
    pub updated_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppSummary {
    pub id: String,
    /// The package's `name` object from the draft, as JSON text.
    pub name: String,
    pub latest_version: Option<i64>,
    pub updated_at: OffsetDateTime,
}

/// An immutable published version.
#[derive(Debug, Clone, PartialEq)]
pub struct AppVersion {
    pub app_id: String,
    pub version: i64,
    pub package: String,
    pub published_at: OffsetDateTime,
    pub published_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppVersionInfo {
    pub version: i64,
    pub published_at: OffsetDateTime,
    pub published_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: String,
    pub at: OffsetDateTime,
    pub actor: Option<String>,
    /// What happened, e.g. `user.create`, `app.publish`.
    pub action: String,
    /// `user:<id>`, `app:<id>`, `record:<id>`.
    pub subject: String,
    /// JSON text with the details (for records, the field diff).
    pub detail: String,
}

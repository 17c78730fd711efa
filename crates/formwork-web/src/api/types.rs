//! Request and response bodies of the JSON API.

use formwork_runtime::{Account, ApiToken, AppSummary, AppVersionInfo, Caller};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::error::FieldError;

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// The signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub department_id: Option<String>,
    pub is_admin: bool,
    pub roles: Vec<String>,
}

impl MeResponse {
    pub fn new(caller: Caller) -> Self {
        let Caller { user, roles, .. } = caller;
        Self {
            id: user.id.into(),
            username: user.username,
            display_name: user.display_name,
            email: user.email,
            department_id: user.department_id.map(Into::into),
            is_admin: user.is_admin,
            roles: roles.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTokenRequest {
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub id: String,
    pub name: String,
    /// The first characters of the secret, to recognise it.
    pub prefix: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked: bool,
}

impl From<ApiToken> for TokenResponse {
    fn from(t: ApiToken) -> Self {
        Self {
            id: t.id.into(),
            name: t.name,
            prefix: t.prefix,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked: t.revoked_at.is_some(),
        }
    }
}

/// A new token; `secret` is shown this once and cannot be retrieved again.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTokenResponse {
    #[serde(flatten)]
    pub token: TokenResponse,
    pub secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateUserRequest {
    pub username: String,
    pub password: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub department_id: Option<String>,
    #[serde(default)]
    pub is_admin: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub suspended: bool,
}

impl From<Account> for UserResponse {
    fn from(u: Account) -> Self {
        Self {
            id: u.id.into(),
            username: u.username,
            display_name: u.display_name,
            suspended: u.suspended,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppSummaryResponse {
    pub id: String,
    /// `{"zh-CN": …, "en": …}`
    #[schema(value_type = Object)]
    pub name: Value,
    pub latest_version: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl From<AppSummary> for AppSummaryResponse {
    fn from(a: AppSummary) -> Self {
        Self {
            name: serde_json::from_str(&a.name).unwrap_or(Value::Null),
            id: a.id.into(),
            latest_version: a.latest_version,
            updated_at: a.updated_at,
        }
    }
}

/// The stored draft and, after a write, what validation found in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DraftResponse {
    pub app: String,
    /// Send back as `If-Match` to refuse overwriting someone else's edit.
    pub rev: i64,
    #[schema(value_type = Object)]
    pub package: Value,
    pub problems: Vec<FieldError>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ValidateResponse {
    pub valid: bool,
    pub problems: Vec<FieldError>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublishResponse {
    pub version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionInfoResponse {
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub published_at: OffsetDateTime,
    pub published_by: String,
}

impl From<AppVersionInfo> for VersionInfoResponse {
    fn from(v: AppVersionInfo) -> Self {
        Self {
            version: v.version,
            published_at: v.published_at,
            published_by: v.published_by,
        }
    }
}

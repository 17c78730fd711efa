//! Small builders for test data.

use formwork_store::{NewApiToken, NewUser};

/// A user with a placeholder password hash and no department.
pub fn new_user(username: &str) -> NewUser {
    NewUser {
        username: username.to_owned(),
        display_name: format!("{username} (test)"),
        email: Some(format!("{username}@example.test")),
        password_hash: "$argon2id$test-only".to_owned(),
        department_id: None,
        is_admin: false,
    }
}

/// An API token of `user_id` whose hash is derived from `secret` (not a real hash).
pub fn new_token(user_id: &str, secret: &str) -> NewApiToken {
    NewApiToken {
        user_id: user_id.to_owned(),
        name: format!("token {secret}"),
        token_hash: format!("hash-of-{secret}"),
        prefix: secret.chars().take(6).collect(),
    }
}

/// A minimal package JSON text for app `id` with a zh-CN and English name.
pub fn package(id: &str, name_zh: &str, name_en: &str) -> String {
    serde_json::json!({
        "format": "formwork/app@1",
        "id": id,
        "name": { "zh-CN": name_zh, "en": name_en },
        "forms": [],
    })
    .to_string()
}

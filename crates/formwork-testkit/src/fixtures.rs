//! Small builders for test data.

use formwork_store::{NewApiToken, NewRecord, NewUser, Numbering};

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

/// A record of form `project` of app `app_id` version 1, owned by `owner` in `department`,
/// `submitted`, with no number, idempotency key or process.
pub fn new_record(
    app_id: &str,
    owner_id: &str,
    department_id: Option<&str>,
    data: serde_json::Value,
) -> NewRecord {
    NewRecord {
        app_id: app_id.to_owned(),
        form_id: "project".to_owned(),
        app_version: 1,
        owner_id: owner_id.to_owned(),
        department_id: department_id.map(str::to_owned),
        status: "submitted".to_owned(),
        request_hash: data.to_string(),
        data,
        numbering: None,
        idempotency_key: None,
        process: None,
    }
}

/// Numbers like `PRJ-2026-00001`, counted per year.
pub fn yearly_numbering(prefix: &str, year: i32) -> Numbering {
    Numbering {
        scope: year.to_string(),
        template: format!("{prefix}-{year}-{{seq}}"),
        width: 5,
    }
}

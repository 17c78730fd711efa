//! Small builders for test data.

use formwork_store::{
    DraftWrite, NewApiToken, NewRecord, NewUser, NotificationQuery, Numbering, RecordUpdate,
};

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

/// A draft of `app_id` saved by `actor`.
pub fn new_draft<'a>(app_id: &'a str, package: &'a str, actor: &'a str) -> DraftWrite<'a> {
    DraftWrite {
        app_id,
        package,
        actor,
    }
}

/// A change of record `id` computed from revision `expected_rev`.
pub fn record_update(
    id: &str,
    expected_rev: i64,
    data: &serde_json::Value,
    status: &str,
    diff: &serde_json::Value,
) -> RecordUpdate {
    RecordUpdate {
        id: id.to_owned(),
        expected_rev,
        data: data.clone(),
        status: status.to_owned(),
        diff: diff.clone(),
    }
}

/// A page of `user_id`'s notifications (of `kind` when given), before `before`.
pub fn notifications(
    user_id: &str,
    kind: Option<&str>,
    before: Option<&str>,
    limit: u32,
) -> NotificationQuery {
    NotificationQuery {
        user_id: user_id.to_owned(),
        kind: kind.map(str::to_owned),
        before: before.map(str::to_owned),
        limit,
    }
}

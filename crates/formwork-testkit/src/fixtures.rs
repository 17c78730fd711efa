//! Small builders for test data. Ids given as text are literals of the test, so one that does
//! not parse is a bug in the test: these helpers panic on it.
#![allow(clippy::expect_used)]

use formwork_store::{
    AppId, DepartmentId, DraftWrite, FormId, NewApiToken, NewRecord, NewUser, NotificationId,
    NotificationQuery, Numbering, RecordId, RecordStatus, RecordUpdate, RoleId, UserId,
};

/// `text` as an app id.
pub fn app_id(text: &str) -> AppId {
    AppId::parse(text).expect("an app id")
}

/// `text` as a role id.
pub fn role(text: &str) -> RoleId {
    RoleId::parse(text).expect("a role id")
}

/// `text` as a form id.
pub fn form_id(text: &str) -> FormId {
    FormId::parse(text).expect("a form id")
}

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
pub fn new_token(user_id: &UserId, secret: &str) -> NewApiToken {
    NewApiToken {
        user_id: user_id.clone(),
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
    app_id: &AppId,
    owner_id: &UserId,
    department_id: Option<&DepartmentId>,
    data: serde_json::Value,
) -> NewRecord {
    NewRecord {
        app_id: app_id.clone(),
        form_id: form_id("project"),
        app_version: 1,
        owner_id: owner_id.clone(),
        department_id: department_id.cloned(),
        status: RecordStatus::Submitted,
        request_hash: data.to_string(),
        data,
        numbering: None,
        idempotency_key: None,
        process: None,
        events: Vec::new(),
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
pub fn new_draft<'a>(app_id: &'a AppId, package: &'a str, actor: &'a UserId) -> DraftWrite<'a> {
    DraftWrite {
        app_id,
        package,
        actor,
    }
}

/// A change of record `id` computed from revision `expected_rev`.
pub fn record_update(
    id: &RecordId,
    expected_rev: i64,
    data: &serde_json::Value,
    status: RecordStatus,
    diff: &serde_json::Value,
) -> RecordUpdate {
    RecordUpdate {
        id: id.clone(),
        expected_rev,
        data: data.clone(),
        status,
        diff: diff.clone(),
        events: Vec::new(),
        audit_note: None,
    }
}

/// A page of `user_id`'s notifications (of `kind` when given), before `before`.
pub fn notifications(
    user_id: &UserId,
    kind: Option<&str>,
    before: Option<&NotificationId>,
    limit: u32,
) -> NotificationQuery {
    NotificationQuery {
        user_id: user_id.clone(),
        kind: kind.map(str::to_owned),
        before: before.cloned(),
        limit,
    }
}

/// A made-up user id named after `name` (the same for the same name), for actors that need no
/// row of `users`, such as the one an audit row names.
pub fn actor(name: &str) -> UserId {
    // FNV-1a over the name, shaped as a UUID v7 (version 7, RFC 4122 variant).
    let mut hash: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for byte in name.bytes() {
        hash ^= u128::from(byte);
        hash = hash.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
    }
    let hex = format!("{hash:032x}");
    let text = format!(
        "{}-{}-7{}-{}{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        ['8', '9', 'a', 'b'][usize::from(hex.as_bytes()[16] % 4)],
        &hex[17..20],
        &hex[20..32]
    );
    UserId::parse(&text).expect("a UUID v7 shape")
}

/// A well-formed id of `T` that names nothing stored, for "not found" checks.
pub fn missing<T: std::str::FromStr>() -> T
where
    T::Err: std::fmt::Debug,
{
    "01900000-0000-7000-8000-000000000000"
        .parse()
        .expect("a UUID v7 shape")
}

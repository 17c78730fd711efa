//! Users and sign-in: argon2 hashes, login throttling shared through the database,
//! suspension.

use std::sync::LazyLock;

use formwork_model::Text;
use formwork_model::validate::Problem;
use formwork_store::{Account, DepartmentId, NewUser, UserId};
use time::{Duration, OffsetDateTime};

use crate::policy::Caller;
use crate::{Runtime, RuntimeError, RuntimeResult};

/// How many failed sign-ins are tolerated in a sliding window before further attempts are
/// refused. Counts live in the database so every instance enforces the same limit.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    pub window: Duration,
    pub max_failures_per_user: u32,
    pub max_failures_per_client: u32,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        Self {
            window: Duration::minutes(15),
            max_failures_per_user: 5,
            max_failures_per_client: 50,
        }
    }
}

/// What an admin (or `formwork user add`) supplies for a new account.
#[derive(Debug, Clone, Default)]
pub struct NewUserInput {
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub password: String,
    pub department_id: Option<DepartmentId>,
    pub is_admin: bool,
}

pub const MIN_PASSWORD_LEN: usize = 8;

/// A hash verified when the username does not exist, so both paths cost the same time and
/// the response time does not reveal which usernames exist.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| password_auth::generate_hash("formwork-timing-equaliser"));

impl Runtime {
    /// Checks a username and password, with throttling per user and per client address.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        client: Option<&str>,
        now: OffsetDateTime,
    ) -> RuntimeResult<Account> {
        let policy = self.login_policy;
        let since = now - policy.window;
        let user_key = format!("user:{}", username.trim().to_lowercase());
        let client_key = client.map(|c| format!("client:{c}"));

        let throttled = RuntimeError::Throttled {
            retry_after_secs: policy.window.whole_seconds().max(1) as u64,
        };
        if self.store.login_failures_since(&user_key, since).await? >= policy.max_failures_per_user
        {
            return Err(throttled);
        }
        if let Some(key) = &client_key
            && self.store.login_failures_since(key, since).await? >= policy.max_failures_per_client
        {
            return Err(throttled);
        }

        let user = self.store.get_user_by_username(username.trim()).await?;
        let hash = user
            .as_ref()
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| DUMMY_HASH.clone());
        let ok = verify_password(password.to_owned(), hash).await? && user.is_some();

        match user {
            Some(user) if ok => {
                self.store.clear_login_failures(&user_key).await?;
                if user.suspended {
                    return Err(RuntimeError::Suspended);
                }
                Ok(user.into())
            }
            _ => {
                self.store
                    .record_login_failure(&user_key, now, since)
                    .await?;
                if let Some(key) = &client_key {
                    self.store.record_login_failure(key, now, since).await?;
                }
                Err(RuntimeError::InvalidCredentials)
            }
        }
    }

    /// Creates an account after checking the username and password rules.
    pub async fn add_user(
        &self,
        input: NewUserInput,
        actor: Option<&UserId>,
    ) -> RuntimeResult<Account> {
        check_new_user(&input)?;
        let password_hash = hash_password(input.password.clone()).await?;
        self.create_user_hashed(input, password_hash, actor).await
    }

    /// Creates the account `input` (already checked) with `password_hash` as its password.
    pub(crate) async fn create_user_hashed(
        &self,
        input: NewUserInput,
        password_hash: String,
        actor: Option<&UserId>,
    ) -> RuntimeResult<Account> {
        let user = NewUser {
            display_name: input
                .display_name
                .filter(|d| !d.trim().is_empty())
                .unwrap_or_else(|| input.username.clone()),
            username: input.username,
            email: input.email,
            password_hash,
            department_id: input.department_id,
            is_admin: input.is_admin,
        };
        Ok(self.store.create_user(user, actor).await?.into())
    }

    /// Sets a new password for an existing user.
    pub async fn set_password(&self, user_id: &UserId, password: String) -> RuntimeResult<()> {
        if let Some(p) = password_problem(&password) {
            return Err(RuntimeError::Invalid { problems: vec![p] });
        }
        let hash = hash_password(password).await?;
        Ok(self.store.set_password(user_id, &hash).await?)
    }

    /// Suspends or reinstates a user by username; suspension ends their sessions and tokens.
    pub async fn set_suspended(
        &self,
        username: &str,
        suspended: bool,
        actor: Option<&UserId>,
    ) -> RuntimeResult<Account> {
        let user = self.user_by_username(username).await?;
        self.store.set_suspended(&user.id, suspended, actor).await?;
        Ok(Account { suspended, ..user })
    }

    pub async fn user_by_username(&self, username: &str) -> RuntimeResult<Account> {
        self.store
            .get_user_by_username(username)
            .await?
            .map(Account::from)
            .ok_or_else(|| RuntimeError::NotFound(format!("user {username}")))
    }

    /// The signed-in caller (with their roles) behind a session's user id, refused if gone
    /// or suspended: one read of the directory epoch when the snapshot is current.
    pub async fn session_caller(&self, user_id: &UserId) -> RuntimeResult<Caller> {
        self.session_caller_seen(user_id, None).await
    }

    /// [`Runtime::session_caller`] for a request whose session was read with the directory's
    /// epoch: the held directory serves it without another read when it is at that epoch.
    pub async fn session_caller_seen(
        &self,
        user_id: &UserId,
        epochs: Option<formwork_store::Epochs>,
    ) -> RuntimeResult<Caller> {
        let dir = self.directory_seen(epochs).await?;
        match dir.user(user_id) {
            Some(user) if !user.suspended => Ok(Caller {
                roles: dir.roles_of(user_id),
                user: user.clone(),
                epochs,
            }),
            _ => Err(RuntimeError::Unauthenticated),
        }
    }

    /// Whether the user may design, publish and export apps.
    pub async fn is_designer(&self, user: &Account) -> RuntimeResult<bool> {
        if user.is_admin {
            return Ok(true);
        }
        let roles = self.directory().await?.roles_of(&user.id);
        Ok(roles.iter().any(|r| r == crate::DESIGNER_ROLE))
    }
}

pub(crate) fn valid_username(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

pub(crate) fn password_problem(password: &str) -> Option<Problem> {
    (password.chars().count() < MIN_PASSWORD_LEN).then(|| {
        problem(
            "/password",
            "password_too_short",
            "密码至少需要 8 个字符",
            "Password must be at least 8 characters",
        )
    })
}

pub(crate) fn problem(pointer: &str, code: &str, zh: &str, en: &str) -> Problem {
    Problem {
        pointer: pointer.to_owned(),
        code: code.to_owned(),
        message: Text(
            [("zh-CN", zh), ("en", en)]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        ),
    }
}

/// The username and password rules a new account must meet.
pub(crate) fn check_new_user(input: &NewUserInput) -> RuntimeResult<()> {
    let mut problems = Vec::new();
    if !valid_username(&input.username) {
        problems.push(problem(
            "/username",
            "invalid_username",
            "用户名须为 2–64 个小写字母、数字或 . _ -",
            "Username must be 2–64 lowercase letters, digits or . _ -",
        ));
    }
    if let Some(p) = password_problem(&input.password) {
        problems.push(p);
    }
    match problems.is_empty() {
        true => Ok(()),
        false => Err(RuntimeError::Invalid { problems }),
    }
}

/// argon2id hash; runs on the blocking pool because it is deliberately slow.
pub(crate) async fn hash_password(password: String) -> RuntimeResult<String> {
    tokio::task::spawn_blocking(move || password_auth::generate_hash(password))
        .await
        .map_err(|e| RuntimeError::Internal(e.to_string()))
}

async fn verify_password(password: String, hash: String) -> RuntimeResult<bool> {
    tokio::task::spawn_blocking(move || password_auth::verify_password(password, &hash).is_ok())
        .await
        .map_err(|e| RuntimeError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_allow_lowercase_digits_and_separators_only() {
        assert!(valid_username("sales1"));
        assert!(valid_username("east_head"));
        assert!(!valid_username("a"));
        assert!(!valid_username("Sales"));
        assert!(!valid_username("销售"));
    }

    #[test]
    fn short_passwords_are_refused_with_a_pointer() {
        let p = password_problem("short").map(|p| p.pointer);
        assert_eq!(p.as_deref(), Some("/password"));
        assert!(password_problem("long enough").is_none());
    }
}

//! The store conformance suite: every `Store` method and invariant, run on SQLite and on
//! PostgreSQL, each test in its own fresh database.

use std::sync::Arc;

use anyhow::{Context as _, bail, ensure};
use formwork_store::{
    Backend, DepartmentId, NewDepartment, Role, SessionRow, Store, StoreError, StoreResult, User,
    UserId,
};
use formwork_testkit::fixtures::{
    self, actor, app_id, missing, new_draft, new_token, new_user, package, role,
};
use formwork_testkit::with_each_backend;
use time::OffsetDateTime;
use time::macros::datetime;

type Db = Arc<dyn Store>;

async fn user(store: &Db, username: &str) -> anyhow::Result<User> {
    Ok(store
        .create_user(new_user(username), Some(&actor("admin")))
        .await?)
}

fn is_conflict<T: std::fmt::Debug>(r: &StoreResult<T>) -> bool {
    matches!(r, Err(StoreError::Conflict(_)))
}

fn is_not_found<T: std::fmt::Debug>(r: &StoreResult<T>) -> bool {
    matches!(r, Err(StoreError::NotFound(_)))
}

fn session(id: &str, user_id: Option<&UserId>, expires_at: OffsetDateTime) -> SessionRow {
    SessionRow {
        id: id.to_owned(),
        user_id: user_id.cloned(),
        data: format!(r#"{{"session":"{id}"}}"#),
        expires_at,
    }
}

fn json(text: &str) -> anyhow::Result<serde_json::Value> {
    serde_json::from_str(text).with_context(|| format!("not JSON: {text}"))
}

// ---- basics -----------------------------------------------------------------------------------

#[tokio::test]
async fn migrate_runs_again_without_error_and_ping_answers() {
    with_each_backend(|store| async move {
        store.migrate().await?;
        store.ping().await?;
        ensure!(matches!(
            store.backend(),
            Backend::Sqlite | Backend::Postgres
        ));
        Ok(())
    })
    .await;
}

/// PostgreSQL only: a server that ends idle connections (a restart, a failover, an idle
/// timeout) must not fail the next requests with dead connections from the pool. SQLite has no
/// server to end them.
#[tokio::test]
async fn a_postgresql_connection_ended_while_idle_is_replaced_before_use() {
    let Some(db) = formwork_testkit::TestDb::postgres().await.unwrap() else {
        return;
    };
    let outcome = async {
        let store = db.store().await?;
        store.ping().await?;
        let name = db
            .url()
            .rsplit('/')
            .next()
            .and_then(|tail| tail.split('?').next())
            .context("database name in the URL")?
            .to_owned();
        let mut admin =
            <sqlx::PgConnection as sqlx::Connection>::connect(&formwork_testkit::pg_admin_url())
                .await?;
        let ended: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
        )
        .bind(&name)
        .fetch_all(&mut admin)
        .await?;
        ensure!(!ended.is_empty(), "the store held no connection to end");
        // Past the idle time after which the pool checks a connection before handing it out.
        tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
        for _ in 0..3 {
            store
                .ping()
                .await
                .context("a request after the server ended the pool's connections")?;
        }
        anyhow::Ok(())
    }
    .await;
    db.cleanup().await.unwrap();
    outcome.unwrap();
}

// ---- users ------------------------------------------------------------------------------------

#[tokio::test]
async fn create_user_returns_the_stored_user_and_get_finds_it_by_id_and_username() {
    with_each_backend(|store| async move {
        let created = user(&store, "alice").await?;
        ensure!(created.username == "alice");
        ensure!(created.display_name == "alice (test)");
        ensure!(created.email.as_deref() == Some("alice@example.test"));
        ensure!(!created.is_admin && !created.suspended);
        ensure!(created.created_at.offset().is_utc());
        ensure!(store.get_user(&created.id).await? == Some(created.clone()));
        ensure!(store.get_user_by_username("alice").await? == Some(created.clone()));
        ensure!(store.get_user(&missing()).await?.is_none());
        ensure!(store.get_user_by_username("bob").await?.is_none());
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn create_user_with_a_taken_username_is_a_conflict() {
    with_each_backend(|store| async move {
        user(&store, "alice").await?;
        let again = store.create_user(new_user("alice"), None).await;
        ensure!(is_conflict(&again), "{again:?}");
        ensure!(store.list_users(None, 10).await?.len() == 1);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn create_user_in_an_unknown_department_is_not_found() {
    with_each_backend(|store| async move {
        let mut new = new_user("alice");
        new.department_id = Some(missing());
        let created = store.create_user(new, None).await;
        ensure!(is_not_found(&created), "{created:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn list_users_pages_by_username_after_the_cursor() {
    with_each_backend(|store| async move {
        for name in ["dave", "alice", "carol", "bob", "erin"] {
            user(&store, name).await?;
        }
        let names = |users: Vec<User>| users.into_iter().map(|u| u.username).collect::<Vec<_>>();
        ensure!(names(store.list_users(None, 2).await?) == ["alice", "bob"]);
        ensure!(names(store.list_users(Some("bob"), 2).await?) == ["carol", "dave"]);
        ensure!(names(store.list_users(Some("dave"), 2).await?) == ["erin"]);
        ensure!(store.list_users(Some("erin"), 2).await?.is_empty());
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn set_password_replaces_the_hash_and_an_unknown_user_is_not_found() {
    with_each_backend(|store| async move {
        let alice = user(&store, "alice").await?;
        store.set_password(&alice.id, "$argon2id$new").await?;
        let stored = store.get_user(&alice.id).await?.context("alice")?;
        ensure!(stored.password_hash == "$argon2id$new");
        ensure!(is_not_found(&store.set_password(&missing(), "x").await));
        Ok(())
    })
    .await;
}

// ---- departments and roles ----------------------------------------------------------------------

#[tokio::test]
async fn department_names_are_unique_under_one_parent_but_may_repeat_under_another() {
    with_each_backend(|store| async move {
        let dept = |name: &str, parent: Option<&DepartmentId>| NewDepartment {
            name: name.into(),
            parent_id: parent.cloned(),
            head_user_id: None,
        };
        let sales = store.create_department(dept("销售中心", None)).await?;
        let support = store.create_department(dept("服务中心", None)).await?;
        let twin_root = store.create_department(dept("销售中心", None)).await;
        ensure!(
            is_conflict(&twin_root),
            "two roots with one name: {twin_root:?}"
        );
        store
            .create_department(dept("华东", Some(&sales.id)))
            .await?;
        store
            .create_department(dept("华东", Some(&support.id)))
            .await?;
        let twin = store.create_department(dept("华东", Some(&sales.id))).await;
        ensure!(is_conflict(&twin), "{twin:?}");
        let orphan = store.create_department(dept("x", Some(&missing()))).await;
        ensure!(is_not_found(&orphan), "{orphan:?}");
        ensure!(store.list_departments().await?.len() == 4);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn departments_are_listed_by_name_found_by_name_and_their_head_can_change() {
    with_each_backend(|store| async move {
        let boss = user(&store, "boss").await?;
        let root = store
            .create_department(NewDepartment {
                name: "销售中心".into(),
                parent_id: None,
                head_user_id: Some(boss.id.clone()),
            })
            .await?;
        ensure!(root.head_user_id.as_ref() == Some(&boss.id));
        let east = store
            .create_department(NewDepartment {
                name: "华东销售部".into(),
                parent_id: Some(root.id.clone()),
                head_user_id: None,
            })
            .await?;
        let found = store.get_department_by_name("华东销售部").await?;
        ensure!(found.as_ref() == Some(&east), "{found:?}");
        ensure!(store.get_department_by_name("无此部门").await?.is_none());

        store.set_department_head(&east.id, Some(&boss.id)).await?;
        let listed = store.list_departments().await?;
        let names: Vec<_> = listed.iter().map(|d| d.name.as_str()).collect();
        // Byte order of UTF-8: 华 (U+534E) sorts before 销 (U+9500).
        ensure!(names == ["华东销售部", "销售中心"], "{names:?}");
        ensure!(listed[0].head_user_id.as_ref() == Some(&boss.id));
        store.set_department_head(&east.id, None).await?;
        ensure!(store.list_departments().await?[0].head_user_id.is_none());

        ensure!(is_not_found(
            &store.set_department_head(&missing(), None).await
        ));
        let bad_head = store.set_department_head(&east.id, Some(&missing())).await;
        ensure!(is_not_found(&bad_head), "{bad_head:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn department_chain_runs_from_the_users_department_up_to_the_root_with_heads() {
    with_each_backend(|store| async move {
        let director = user(&store, "director").await?;
        let manager = user(&store, "manager1").await?;
        let center = store
            .create_department(NewDepartment {
                name: "销售中心".into(),
                parent_id: None,
                head_user_id: Some(director.id.clone()),
            })
            .await?;
        let east = store
            .create_department(NewDepartment {
                name: "华东销售部".into(),
                parent_id: Some(center.id.clone()),
                head_user_id: Some(manager.id.clone()),
            })
            .await?;
        let team = store
            .create_department(NewDepartment {
                name: "上海组".into(),
                parent_id: Some(east.id.clone()),
                head_user_id: None,
            })
            .await?;
        let mut new = new_user("sales1");
        new.department_id = Some(team.id.clone());
        let sales1 = store.create_user(new, None).await?;

        let chain = store.department_chain(&sales1.id).await?;
        ensure!(chain == [team, east, center], "{chain:?}");
        ensure!(chain[1].head_user_id.as_ref() == Some(&manager.id));
        ensure!(chain[2].head_user_id.as_ref() == Some(&director.id));

        ensure!(store.department_chain(&director.id).await?.is_empty());
        ensure!(is_not_found(&store.department_chain(&missing()).await));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn upsert_role_creates_a_role_and_then_renames_it() {
    with_each_backend(|store| async move {
        let role = |id: &str, zh: &str, en: &str| Role {
            id: fixtures::role(id),
            name_zh: zh.into(),
            name_en: en.into(),
        };
        store
            .upsert_role(role("director", "总监", "Director"))
            .await?;
        store.upsert_role(role("ceo", "总经理", "CEO")).await?;
        store
            .upsert_role(role("director", "销售总监", "Sales director"))
            .await?;
        let roles = store.list_roles().await?;
        ensure!(
            roles
                == [
                    role("ceo", "总经理", "CEO"),
                    role("director", "销售总监", "Sales director")
                ],
            "{roles:?}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn role_members_are_added_once_listed_both_ways_and_removed() {
    with_each_backend(|store| async move {
        for id in ["director", "east_head"] {
            store
                .upsert_role(Role {
                    id: role(id),
                    name_zh: id.into(),
                    name_en: id.into(),
                })
                .await?;
        }
        let bob = user(&store, "bob").await?;
        let alice = user(&store, "alice").await?;
        store.add_role_member(&role("director"), &bob.id).await?;
        store.add_role_member(&role("director"), &bob.id).await?;
        store.add_role_member(&role("director"), &alice.id).await?;
        store.add_role_member(&role("east_head"), &bob.id).await?;

        let members = store.role_members(&role("director")).await?;
        ensure!(members == [alice.clone(), bob.clone()], "{members:?}");
        ensure!(store.user_roles(&bob.id).await? == ["director", "east_head"]);

        store.remove_role_member(&role("director"), &bob.id).await?;
        store.remove_role_member(&role("director"), &bob.id).await?;
        ensure!(store.user_roles(&bob.id).await? == ["east_head"]);
        ensure!(store.role_members(&role("director")).await? == [alice]);
        ensure!(store.role_members(&role("no-such-role")).await?.is_empty());

        ensure!(is_not_found(
            &store.add_role_member(&role("no-such-role"), &bob.id).await
        ));
        ensure!(is_not_found(
            &store.add_role_member(&role("director"), &missing()).await
        ));
        Ok(())
    })
    .await;
}

// ---- sessions ---------------------------------------------------------------------------------

#[tokio::test]
async fn session_create_refuses_an_id_that_exists() {
    with_each_backend(|store| async move {
        let expires = datetime!(2030-01-01 0:00 UTC);
        ensure!(store.session_create(&session("s1", None, expires)).await?);
        let mut other = session("s1", None, expires);
        other.data = "{}".into();
        ensure!(!store.session_create(&other).await?);
        let loaded = store
            .session_load("s1", datetime!(2029-01-01 0:00 UTC))
            .await?;
        ensure!(loaded == Some(session("s1", None, expires)), "{loaded:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn session_save_upserts_and_load_returns_it_only_until_it_expires() {
    with_each_backend(|store| async move {
        let alice = user(&store, "alice").await?;
        let expires = datetime!(2030-01-01 12:00 UTC);
        let mut row = session("s1", None, expires);
        store.session_save(&row).await?;
        row.user_id = Some(alice.id.clone());
        row.data = r#"{"user":"alice"}"#.into();
        store.session_save(&row).await?;

        let before = datetime!(2030-01-01 11:59:59.999999 UTC);
        ensure!(store.session_load("s1", before).await? == Some(row.clone()));
        ensure!(
            store.session_load("s1", expires).await?.is_none(),
            "loads at its expiry"
        );
        ensure!(store.session_load("s2", before).await?.is_none());
        let ghost = store
            .session_save(&session("s3", Some(&missing()), expires))
            .await;
        ensure!(is_not_found(&ghost), "{ghost:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn session_delete_removes_one_and_delete_expired_counts_what_it_removed() {
    with_each_backend(|store| async move {
        let now = datetime!(2030-06-01 0:00 UTC);
        for (id, expires) in [
            ("old1", datetime!(2030-05-01 0:00 UTC)),
            ("old2", now),
            ("live1", datetime!(2030-06-01 0:00:00.000001 UTC)),
            ("live2", datetime!(2030-07-01 0:00 UTC)),
        ] {
            store.session_save(&session(id, None, expires)).await?;
        }
        store.session_delete("live2").await?;
        store.session_delete("live2").await?;
        ensure!(store.session_load("live2", now).await?.is_none());
        ensure!(store.session_delete_expired(now).await? == 2);
        ensure!(store.session_delete_expired(now).await? == 0);
        ensure!(store.session_load("live1", now).await?.is_some());
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn instants_keep_microseconds_and_compare_in_time_order() {
    with_each_backend(|store| async move {
        // Text RFC 3339 with trimmed fractions would sort `.8Z` after `.80001Z`.
        let expires = datetime!(2030-01-01 10:00:00.8 UTC);
        store.session_save(&session("s", None, expires)).await?;
        let at = datetime!(2030-01-01 10:00:00.80001 UTC);
        ensure!(
            store.session_load("s", at).await?.is_none(),
            "expired session loaded"
        );
        let loaded = store
            .session_load("s", datetime!(2030-01-01 10:00:00 UTC))
            .await?;
        ensure!(loaded.map(|s| s.expires_at) == Some(expires));
        // Nanoseconds are cut to microseconds, the precision of TIMESTAMPTZ.
        let nanos = datetime!(2030-01-01 10:00:00.123456789 +08:00);
        store.session_save(&session("n", None, nanos)).await?;
        let back = store
            .session_load("n", datetime!(2000-01-01 0:00 UTC))
            .await?;
        let back = back.context("session n")?.expires_at;
        ensure!(back == datetime!(2030-01-01 02:00:00.123456 UTC), "{back}");
        ensure!(back.offset().is_utc());
        Ok(())
    })
    .await;
}

// ---- API tokens -------------------------------------------------------------------------------

#[tokio::test]
async fn use_token_records_the_last_use_and_returns_the_token_with_its_user() {
    with_each_backend(|store| async move {
        let alice = user(&store, "alice").await?;
        let token = store.create_token(new_token(&alice.id, "secret1")).await?;
        ensure!(token.user_id == alice.id && token.prefix == "secret");
        ensure!(token.last_used_at.is_none() && token.revoked_at.is_none());

        let now = datetime!(2030-01-01 08:30:00.25 UTC);
        let (used, owner) = store
            .use_token("hash-of-secret1", now)
            .await?
            .context("token")?;
        ensure!(
            used.id == token.id && used.last_used_at == Some(now),
            "{used:?}"
        );
        ensure!(owner == alice);
        ensure!(store.list_tokens(&alice.id).await? == [used]);
        ensure!(store.use_token("hash-of-nothing", now).await?.is_none());
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_revoked_token_is_not_usable_and_cannot_be_revoked_again() {
    with_each_backend(|store| async move {
        let alice = user(&store, "alice").await?;
        let bob = user(&store, "bob").await?;
        let t1 = store.create_token(new_token(&alice.id, "one")).await?;
        let t2 = store.create_token(new_token(&alice.id, "two")).await?;
        ensure!(
            is_not_found(&store.revoke_token(&bob.id, &t1.id).await),
            "bob revoked alice's"
        );
        store.revoke_token(&alice.id, &t1.id).await?;
        ensure!(is_not_found(&store.revoke_token(&alice.id, &t1.id).await));
        ensure!(is_not_found(
            &store.revoke_token(&alice.id, &missing()).await
        ));

        let now = datetime!(2030-01-01 0:00 UTC);
        ensure!(store.use_token("hash-of-one", now).await?.is_none());
        ensure!(store.use_token("hash-of-two", now).await?.is_some());
        let tokens = store.list_tokens(&alice.id).await?;
        ensure!(tokens.len() == 2 && tokens[0].id == t1.id && tokens[1].id == t2.id);
        ensure!(tokens[0].revoked_at.is_some() && tokens[1].revoked_at.is_none());
        ensure!(store.list_tokens(&bob.id).await?.is_empty());
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_token_hash_is_unique_and_a_token_needs_a_user() {
    with_each_backend(|store| async move {
        let alice = user(&store, "alice").await?;
        store.create_token(new_token(&alice.id, "same")).await?;
        let twin = store.create_token(new_token(&alice.id, "same")).await;
        ensure!(is_conflict(&twin), "{twin:?}");
        let orphan = store.create_token(new_token(&missing(), "other")).await;
        ensure!(is_not_found(&orphan), "{orphan:?}");
        Ok(())
    })
    .await;
}

// ---- suspension -------------------------------------------------------------------------------

#[tokio::test]
async fn suspending_a_user_ends_their_sessions_and_revokes_their_tokens_at_once() {
    with_each_backend(|store| async move {
        let alice = user(&store, "alice").await?;
        let bob = user(&store, "bob").await?;
        let expires = datetime!(2030-01-01 0:00 UTC);
        let now = datetime!(2029-01-01 0:00 UTC);
        store
            .session_save(&session("a1", Some(&alice.id), expires))
            .await?;
        store
            .session_save(&session("a2", Some(&alice.id), expires))
            .await?;
        store
            .session_save(&session("b1", Some(&bob.id), expires))
            .await?;
        store.create_token(new_token(&alice.id, "alice")).await?;
        store.create_token(new_token(&bob.id, "bob")).await?;

        store
            .set_suspended(&alice.id, true, Some(&actor("admin")))
            .await?;
        ensure!(store.get_user(&alice.id).await?.context("alice")?.suspended);
        ensure!(store.session_load("a1", now).await?.is_none());
        ensure!(store.session_load("a2", now).await?.is_none());
        ensure!(store.use_token("hash-of-alice", now).await?.is_none());
        ensure!(
            store
                .list_tokens(&alice.id)
                .await?
                .iter()
                .all(|t| t.revoked_at.is_some())
        );
        ensure!(
            store.session_load("b1", now).await?.is_some(),
            "bob's session ended too"
        );
        ensure!(store.use_token("hash-of-bob", now).await?.is_some());

        // Reinstating lets the user sign in again, but revoked tokens stay revoked.
        store
            .set_suspended(&alice.id, false, Some(&actor("admin")))
            .await?;
        ensure!(!store.get_user(&alice.id).await?.context("alice")?.suspended);
        ensure!(store.use_token("hash-of-alice", now).await?.is_none());

        let audit = store.list_audit(None, 10).await?;
        ensure!(audit[0].action == "user.reinstate" && audit[1].action == "user.suspend");
        ensure!(audit[1].subject == format!("user:{}", alice.id));
        ensure!(audit[1].actor.as_deref() == Some(actor("admin").as_str()));
        let detail = json(&audit[1].detail)?;
        ensure!(
            detail["sessions_ended"] == 2 && detail["tokens_revoked"] == 1,
            "{detail}"
        );
        ensure!(is_not_found(
            &store.set_suspended(&missing(), true, None).await
        ));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_session_saved_by_a_late_request_of_a_suspended_user_does_not_load() {
    with_each_backend(|store| async move {
        let alice = user(&store, "alice").await?;
        store.set_suspended(&alice.id, true, None).await?;
        let row = session("late", Some(&alice.id), datetime!(2030-01-01 0:00 UTC));
        store.session_save(&row).await?;
        ensure!(
            store
                .session_load("late", datetime!(2029-01-01 0:00 UTC))
                .await?
                .is_none()
        );
        Ok(())
    })
    .await;
}

// ---- login throttling -------------------------------------------------------------------------

#[tokio::test]
async fn login_failures_are_counted_within_the_window_and_clear_resets_them() {
    with_each_backend(|store| async move {
        let t = |m: u8| datetime!(2030-01-01 10:00 UTC) + time::Duration::minutes(i64::from(m));
        ensure!(
            store
                .record_login_failure("ip:1", t(0), t(0) - time::Duration::minutes(15))
                .await?
                == 1
        );
        ensure!(
            store
                .record_login_failure("ip:1", t(5), t(5) - time::Duration::minutes(15))
                .await?
                == 2
        );
        ensure!(store.record_login_failure("user:alice", t(5), t(0)).await? == 1);
        // At 10:20 the window starts at 10:05: the failure at 10:00 no longer counts.
        ensure!(store.record_login_failure("ip:1", t(20), t(5)).await? == 2);
        ensure!(store.login_failures_since("ip:1", t(5)).await? == 2);
        ensure!(store.login_failures_since("ip:1", t(6)).await? == 1);
        ensure!(store.login_failures_since("ip:2", t(0)).await? == 0);

        store.clear_login_failures("ip:1").await?;
        ensure!(store.login_failures_since("ip:1", t(0)).await? == 0);
        ensure!(store.login_failures_since("user:alice", t(0)).await? == 1);
        Ok(())
    })
    .await;
}

// ---- apps ---------------------------------------------------------------------------------------

#[tokio::test]
async fn create_app_starts_the_draft_at_revision_one_and_a_second_create_is_a_conflict() {
    with_each_backend(|store| async move {
        let pkg = package("crm", "客户管理", "CRM");
        let draft = store
            .create_app(&new_draft(&app_id("crm"), &pkg, &actor("analyst")))
            .await?;
        ensure!(draft.app_id == "crm" && draft.package == pkg && draft.rev == 1);
        ensure!(draft.updated_by == actor("analyst").as_str());
        ensure!(store.get_draft(&app_id("crm")).await? == Some(draft));
        ensure!(store.get_draft(&app_id("nope")).await?.is_none());
        let again = store
            .create_app(&new_draft(&app_id("crm"), &pkg, &actor("analyst")))
            .await;
        ensure!(is_conflict(&again), "{again:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn drafts_round_trip_byte_for_byte() {
    with_each_backend(|store| async move {
        // Key order and spacing must survive: JSONB would sort keys and respace.
        let pkg = "{\"zeta\": 1,  \"name\": {\"zh-CN\":\"应用\"},\n \"alpha\": [3,2,1]}";
        store
            .create_app(&new_draft(&app_id("raw"), pkg, &actor("analyst")))
            .await?;
        ensure!(
            store
                .get_draft(&app_id("raw"))
                .await?
                .context("draft")?
                .package
                == pkg
        );
        let v = store
            .publish(&app_id("raw"), pkg, &actor("analyst"))
            .await?;
        ensure!(v.package == pkg);
        ensure!(
            store
                .get_version(&app_id("raw"), 1)
                .await?
                .context("v1")?
                .package
                == pkg
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn put_draft_bumps_the_revision_and_a_stale_expected_revision_is_a_conflict() {
    with_each_backend(|store| async move {
        store
            .create_app(&new_draft(
                &app_id("crm"),
                &package("crm", "客户", "CRM"),
                &actor("analyst"),
            ))
            .await?;
        let v2 = package("crm", "客户管理", "CRM 2");
        let saved = store
            .put_draft(&new_draft(&app_id("crm"), &v2, &actor("analyst2")), Some(1))
            .await?;
        ensure!(
            saved.rev == 2 && saved.package == v2 && saved.updated_by == actor("analyst2").as_str()
        );
        ensure!(store.get_draft(&app_id("crm")).await? == Some(saved));

        let stale = store
            .put_draft(
                &new_draft(&app_id("crm"), &package("crm", "旧", "old"), &actor("a")),
                Some(1),
            )
            .await;
        ensure!(is_conflict(&stale), "{stale:?}");
        ensure!(
            store
                .get_draft(&app_id("crm"))
                .await?
                .context("draft")?
                .package
                == v2
        );

        let forced = store
            .put_draft(&new_draft(&app_id("crm"), "{}", &actor("analyst")), None)
            .await?;
        ensure!(forced.rev == 3);
        let missing = store
            .put_draft(
                &new_draft(&app_id("nope"), "{}", &actor("analyst")),
                Some(1),
            )
            .await;
        ensure!(is_not_found(&missing), "{missing:?}");
        ensure!(is_not_found(
            &store
                .put_draft(&new_draft(&app_id("nope"), "{}", &actor("analyst")), None)
                .await
        ));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn concurrent_draft_saves_of_one_revision_let_exactly_one_win() {
    with_each_backend(|store| async move {
        store
            .create_app(&new_draft(&app_id("crm"), "{}", &actor("analyst")))
            .await?;
        let saves: Vec<_> = (0..10)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .put_draft(
                            &new_draft(
                                &app_id("crm"),
                                &format!("{{\"n\":{i}}}"),
                                &actor("analyst"),
                            ),
                            Some(1),
                        )
                        .await
                })
            })
            .collect();
        let (mut won, mut conflicts) = (0, 0);
        for save in saves {
            match save.await? {
                Ok(draft) => {
                    ensure!(draft.rev == 2);
                    won += 1;
                }
                Err(StoreError::Conflict(_)) => conflicts += 1,
                Err(e) => bail!("unexpected: {e}"),
            }
        }
        ensure!(
            won == 1 && conflicts == 9,
            "won {won}, conflicts {conflicts}"
        );
        ensure!(store.get_draft(&app_id("crm")).await?.context("draft")?.rev == 2);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn publish_numbers_versions_one_two_three_and_get_and_latest_find_them() {
    with_each_backend(|store| async move {
        store
            .create_app(&new_draft(
                &app_id("crm"),
                &package("crm", "客户", "CRM"),
                &actor("analyst"),
            ))
            .await?;
        ensure!(store.latest_version(&app_id("crm")).await?.is_none());
        ensure!(store.list_versions(&app_id("crm")).await?.is_empty());
        let mut published = Vec::new();
        for n in 1..=3 {
            let v = store
                .publish(
                    &app_id("crm"),
                    &format!("{{\"v\":{n}}}"),
                    &actor("publisher"),
                )
                .await?;
            ensure!(
                v.app_id == "crm"
                    && v.version == n
                    && v.published_by == actor("publisher").as_str()
            );
            published.push(v);
        }
        ensure!(store.get_version(&app_id("crm"), 2).await?.as_ref() == Some(&published[1]));
        ensure!(store.get_version(&app_id("crm"), 4).await?.is_none());
        ensure!(store.get_version(&app_id("other"), 1).await?.is_none());
        ensure!(store.latest_version(&app_id("crm")).await?.as_ref() == Some(&published[2]));
        let infos = store.list_versions(&app_id("crm")).await?;
        let numbers: Vec<_> = infos.iter().map(|i| i.version).collect();
        ensure!(numbers == [1, 2, 3], "{numbers:?}");
        ensure!(infos[2].published_at == published[2].published_at);
        // Publishing leaves the draft alone.
        ensure!(store.get_draft(&app_id("crm")).await?.context("draft")?.rev == 1);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn publishing_an_unknown_app_is_not_found() {
    with_each_backend(|store| async move {
        let r = store
            .publish(&app_id("nope"), "{}", &actor("publisher"))
            .await;
        ensure!(is_not_found(&r), "{r:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn concurrent_publishes_yield_distinct_consecutive_versions() {
    with_each_backend(|store| async move {
        store
            .create_app(&new_draft(&app_id("crm"), "{}", &actor("analyst")))
            .await?;
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .publish(
                            &app_id("crm"),
                            &format!("{{\"n\":{i}}}"),
                            &actor("publisher"),
                        )
                        .await
                })
            })
            .collect();
        let mut versions = Vec::new();
        for task in tasks {
            versions.push(task.await??.version);
        }
        versions.sort_unstable();
        ensure!(versions == (1..=20).collect::<Vec<i64>>(), "{versions:?}");
        ensure!(store.list_versions(&app_id("crm")).await?.len() == 20);
        ensure!(
            store
                .latest_version(&app_id("crm"))
                .await?
                .context("latest")?
                .version
                == 20
        );
        let audit = store.list_audit(None, 100).await?;
        ensure!(audit.iter().filter(|a| a.action == "app.publish").count() == 20);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn list_apps_shows_each_apps_name_and_latest_version() {
    with_each_backend(|store| async move {
        store
            .create_app(&new_draft(
                &app_id("b-app"),
                &package("b-app", "乙", "B"),
                &actor("analyst"),
            ))
            .await?;
        store
            .create_app(&new_draft(
                &app_id("a-app"),
                &package("a-app", "甲", "A"),
                &actor("analyst"),
            ))
            .await?;
        store
            .create_app(&new_draft(
                &app_id("nameless"),
                "{\"forms\": []}",
                &actor("analyst"),
            ))
            .await?;
        store
            .publish(&app_id("b-app"), "{}", &actor("analyst"))
            .await?;
        store
            .publish(&app_id("b-app"), "{}", &actor("analyst"))
            .await?;
        let saved = store
            .put_draft(
                &new_draft(
                    &app_id("a-app"),
                    &package("a-app", "甲二", "A2"),
                    &actor("x"),
                ),
                None,
            )
            .await?;

        let apps = store.list_apps().await?;
        let ids: Vec<_> = apps.iter().map(|a| a.id.as_str()).collect();
        ensure!(ids == ["a-app", "b-app", "nameless"], "{ids:?}");
        ensure!(json(&apps[0].name)? == serde_json::json!({"zh-CN": "甲二", "en": "A2"}));
        ensure!(apps[0].latest_version.is_none() && apps[0].updated_at == saved.updated_at);
        ensure!(json(&apps[1].name)?["en"] == "B" && apps[1].latest_version == Some(2));
        ensure!(json(&apps[2].name)?.is_null());
        Ok(())
    })
    .await;
}

// ---- audit --------------------------------------------------------------------------------------

#[tokio::test]
async fn audited_changes_write_audit_rows_listed_newest_first_in_pages() {
    with_each_backend(|store| async move {
        let alice = store.create_user(new_user("alice"), None).await?;
        store
            .create_app(&new_draft(&app_id("crm"), "{}", &actor("analyst")))
            .await?;
        store
            .put_draft(&new_draft(&app_id("crm"), "{}", &actor("analyst")), Some(1))
            .await?;
        store
            .publish(&app_id("crm"), "{}", &actor("publisher"))
            .await?;
        store
            .set_suspended(&alice.id, true, Some(&actor("admin")))
            .await?;

        let all = store.list_audit(None, 100).await?;
        let actions: Vec<_> = all.iter().map(|a| a.action.as_str()).collect();
        ensure!(
            actions
                == [
                    "user.suspend",
                    "app.publish",
                    "app.draft_update",
                    "app.create",
                    "user.create"
                ],
            "{actions:?}"
        );
        ensure!(
            all.windows(2)
                .all(|w| w[0].id > w[1].id && w[0].at >= w[1].at)
        );
        let create = &all[4];
        ensure!(create.actor.is_none() && create.subject == format!("user:{}", alice.id));
        ensure!(json(&create.detail)?["username"] == "alice");
        let publish = &all[1];
        ensure!(
            publish.actor.as_deref() == Some(actor("publisher").as_str())
                && publish.subject == "app:crm"
        );
        ensure!(json(&publish.detail)?["version"] == 1);
        ensure!(json(&all[2].detail)?["rev"] == 2);

        let page1 = store.list_audit(None, 2).await?;
        let page2 = store.list_audit(Some(&page1[1].id), 2).await?;
        let page3 = store.list_audit(Some(&page2[1].id), 2).await?;
        ensure!(page1 == all[0..2] && page2 == all[2..4] && page3 == all[4..5]);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_failed_change_writes_no_audit_row() {
    with_each_backend(|store| async move {
        store
            .create_app(&new_draft(&app_id("crm"), "{}", &actor("analyst")))
            .await?;
        let _ = store
            .create_app(&new_draft(&app_id("crm"), "{}", &actor("analyst")))
            .await;
        let _ = store
            .put_draft(&new_draft(&app_id("crm"), "{}", &actor("analyst")), Some(7))
            .await;
        let _ = store.create_user(new_user("alice"), None).await?;
        let _ = store.create_user(new_user("alice"), None).await;
        let actions: Vec<_> = store
            .list_audit(None, 100)
            .await?
            .into_iter()
            .map(|a| a.action)
            .collect();
        ensure!(actions == ["user.create", "app.create"], "{actions:?}");
        Ok(())
    })
    .await;
}

// ---- the directory ----------------------------------------------------------------------------

/// `now` must be past the epoch `last` read before a change; it becomes the new `last`.
fn moved(last: &mut i64, now: i64, what: &str) -> anyhow::Result<()> {
    ensure!(
        now > *last,
        "{what} did not move the epoch ({now} after {last})"
    );
    *last = now;
    Ok(())
}

#[tokio::test]
async fn every_directory_change_moves_the_epoch_and_the_directory_loads_whole() {
    with_each_backend(|store| async move {
        let mut epoch = store.directory_epoch().await?;
        let alice = user(&store, "alice").await?;
        moved(&mut epoch, store.directory_epoch().await?, "create_user")?;
        store.set_password(&alice.id, "$argon2id$other").await?;
        moved(&mut epoch, store.directory_epoch().await?, "set_password")?;
        store.set_suspended(&alice.id, true, None).await?;
        moved(&mut epoch, store.directory_epoch().await?, "suspend")?;
        store.set_suspended(&alice.id, false, None).await?;
        moved(&mut epoch, store.directory_epoch().await?, "reinstate")?;
        let dept = store
            .create_department(NewDepartment {
                name: "销售中心".into(),
                parent_id: None,
                head_user_id: None,
            })
            .await?;
        moved(
            &mut epoch,
            store.directory_epoch().await?,
            "create_department",
        )?;
        store.set_department_head(&dept.id, Some(&alice.id)).await?;
        moved(
            &mut epoch,
            store.directory_epoch().await?,
            "set_department_head",
        )?;
        store
            .upsert_role(Role {
                id: role("director"),
                name_zh: "总监".into(),
                name_en: "Director".into(),
            })
            .await?;
        moved(&mut epoch, store.directory_epoch().await?, "upsert_role")?;
        store.add_role_member(&role("director"), &alice.id).await?;
        moved(
            &mut epoch,
            store.directory_epoch().await?,
            "add_role_member",
        )?;

        let rows = store.load_directory().await?;
        ensure!(rows.epoch == epoch);
        ensure!(rows.users.len() == 1 && rows.users[0].id == alice.id);
        ensure!(rows.departments == [store.list_departments().await?[0].clone()]);
        ensure!(rows.departments[0].head_user_id.as_ref() == Some(&alice.id));
        ensure!(rows.roles.len() == 1 && rows.members == [(role("director"), alice.id.clone())]);

        store
            .remove_role_member(&role("director"), &alice.id)
            .await?;
        moved(
            &mut epoch,
            store.directory_epoch().await?,
            "remove_role_member",
        )?;
        // A failed change leaves the epoch where it was.
        let taken = store.create_user(new_user("alice"), None).await;
        ensure!(is_conflict(&taken));
        ensure!(store.directory_epoch().await? == epoch);
        Ok(())
    })
    .await;
}

//! Rounds of process steps in the database, on SQLite and PostgreSQL: at most one open task
//! per node, round and person (the `tasks_open_once_per_round` index), and what migration 0003
//! does to data written before it: duplicate open tasks renumbered, states saved with
//! usernames rewritten to user ids.

use anyhow::{Context as _, ensure};
use formwork_store::{Backend, TaskStatus};
use formwork_testkit::{TestDb, with_each_backend};
use serde_json::{Value, json};

use crate::process_conformance::{is_conflict, started, step, task, world};

#[tokio::test]
async fn the_database_refuses_a_second_open_task_for_one_node_round_and_person() {
    with_each_backend(|store| async move {
        let w = world(&store).await?;
        let (_, instance) = started(&store, &w.alice, &[("a#1", &w.bob)]).await?;
        let mut twice = step(&instance, 1);
        twice.tasks_created = vec![task("a#2", "a", &w.bob)];
        ensure!(
            is_conflict(&store.apply_step(twice, None).await),
            "same round, same person"
        );

        // Another round, or another person, is a task of its own.
        let mut next = step(&instance, 1);
        let mut again = task("a#3", "a", &w.bob);
        again.round = 2;
        next.tasks_created = vec![again, task("a#4", "a", &w.carol)];
        let after = store.apply_step(next, None).await?;

        // Once the first closes, the same round may hand the person a task again (a signer
        // added before them gives it back).
        let mut back = step(&after, 2);
        back.tasks_closed = vec![formwork_store::TaskClose {
            key: "a#1".into(),
            status: TaskStatus::Cancelled,
            action: formwork_store::TaskAction::Superseded,
            by: None,
            comment: None,
        }];
        back.tasks_created = vec![task("a#5", "a", &w.bob)];
        store.apply_step(back, None).await?;
        let open: Vec<(String, i64)> = store
            .tasks_of_instance(&instance.id)
            .await?
            .into_iter()
            .filter(|t| t.status == TaskStatus::Open)
            .map(|t| (t.key, t.round))
            .collect();
        ensure!(
            open == [
                ("a#3".to_owned(), 2),
                ("a#4".to_owned(), 1),
                ("a#5".to_owned(), 1)
            ],
            "{open:?}"
        );
        Ok(())
    })
    .await;
}

/// Migration 0003 of `backend`.
fn migration(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            include_str!("../../../../migrations/sqlite/0003_rounds_and_instance_ops.sql")
        }
        Backend::Postgres => {
            include_str!("../../../../migrations/postgres/0003_rounds_and_instance_ops.sql")
        }
    }
}

/// The statements of migration 0003 that rewrite usernames in states to user ids.
fn rewrite_sql(backend: Backend) -> &'static str {
    let file = migration(backend);
    file.find("-- 3.").map_or("", |at| &file[at..])
}

async fn run_sql(db: &TestDb, sql: &str) -> anyhow::Result<()> {
    match db.backend() {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(db.url()).await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&pool)
                .await?;
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(db.url()).await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&pool)
                .await?;
            pool.close().await;
        }
    }
    Ok(())
}

#[tokio::test]
async fn states_saved_with_usernames_are_rewritten_to_user_ids() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::new(backend).await.expect("test database") else {
            continue;
        };
        let store = db.store().await.expect("store");
        let w = world(&store).await.expect("world");
        let (_, instance) = started(&store, &w.alice, &[("a#1", &w.bob)])
            .await
            .expect("started");
        let old = json!({
            "status": {"state": "running"},
            "tokens": [
                {"node": "a", "wait": {"for": "human", "seats": [
                    {"chain": [{"user": "bob", "in_person": true}, {"user": "gone"}],
                     "pos": 0, "task": {"key": "a#1"}},
                    {"chain": [{"user": "carol"}]}
                ]}},
                {"node": "w", "wait": {"for": "timer", "key": "w#2", "fire_at": "2026-11-24T09:00:00Z"}}
            ],
            "approvers": ["alice", "carol"],
            "seq": 2
        });
        let literal = old.to_string().replace('\'', "''");
        let set = format!(
            "UPDATE process_instances SET state = '{literal}' WHERE id = '{}';\n{}",
            instance.id,
            rewrite_sql(backend)
        );
        run_sql(&db, &set)
            .await
            .expect("the migration's rewrite runs");
        let state: Value = store
            .get_instance(&instance.id)
            .await
            .expect("read")
            .context("instance")
            .expect("instance")
            .state;
        let id = |u: &formwork_store::User| json!(u.id.as_str());
        assert_eq!(
            state["approvers"],
            json!([id(&w.alice), id(&w.carol)]),
            "[{}]",
            backend.as_str()
        );
        let seats = &state["tokens"][0]["wait"]["seats"];
        assert_eq!(
            seats[0]["chain"][0],
            json!({"user": id(&w.bob), "in_person": true})
        );
        assert_eq!(
            seats[0]["chain"][1]["user"], "gone",
            "a name nobody has is left alone"
        );
        assert_eq!(seats[0]["task"]["key"], "a#1");
        assert_eq!(seats[1]["chain"][0]["user"], id(&w.carol));
        assert_eq!(state["tokens"][1], old["tokens"][1], "timers are untouched");
        assert_eq!(state["seq"], 2);
        db.cleanup().await.expect("cleanup");
    }
}

/// The statements of migration 0003 that renumber duplicate open tasks and add the index.
fn renumber_sql(backend: Backend) -> &'static str {
    let whole = migration(backend);
    let from = whole.find("UPDATE tasks SET round").unwrap_or(0);
    let to = whole.find("-- Overdue").unwrap_or(whole.len());
    &whole[from..to]
}

#[tokio::test]
async fn open_tasks_written_twice_before_rounds_are_renumbered_not_lost() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::new(backend).await.expect("test database") else {
            continue;
        };
        let store = db.store().await.expect("store");
        let w = world(&store).await.expect("world");
        let (_, instance) = started(&store, &w.alice, &[("a#1", &w.bob), ("a#2", &w.carol)])
            .await
            .expect("started");
        // As an earlier release could leave it: bob holds two open tasks at `a`.
        let before = format!(
            "DROP INDEX tasks_open_once_per_round;\n\
             UPDATE tasks SET round = 0, assignee_id = '{}' WHERE instance_id = '{}';\n{}",
            w.bob.id,
            instance.id,
            renumber_sql(backend)
        );
        run_sql(&db, &before)
            .await
            .expect("the migration's renumbering runs");
        let tasks = store.tasks_of_instance(&instance.id).await.expect("tasks");
        let rounds: Vec<(&str, i64, TaskStatus)> = tasks
            .iter()
            .map(|t| (t.key.as_str(), t.round, t.status))
            .collect();
        assert_eq!(
            rounds,
            [("a#1", 0, TaskStatus::Open), ("a#2", -1, TaskStatus::Open)],
            "[{}]",
            backend.as_str()
        );
        db.cleanup().await.expect("cleanup");
    }
}

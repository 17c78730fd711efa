//! Flat under piled-up work: the statements of a decision and of an inbox page must read one
//! task, one timer, one instance, one page — through the index made for them — however many
//! tasks are open and timers pending, whether or not the planner's statistics have seen them.
//!
//! Two states of the same tables, on SQLite and PostgreSQL: 100k open tasks (and 200k pending
//! timers) never analyzed; then all of them closed, analyzed (the statistics now say nothing
//! is open or pending), and 100k more opened without analyzing again — the state in which a
//! partial index over open tasks or pending timers looks empty and cheapest to scan whole.
//! The plans are asserted by index name, never by time. PostgreSQL's are read both as a
//! generic plan (what a prepared statement settles on) and as a custom one.

use formwork::bench;
use formwork_testkit::{Backend, TestDb};
use sqlx::{AssertSqlSafe, Connection as _, Row as _};

const OPEN: i64 = 100_000;

/// `{p}`-prefixed ids: users `u0…u49`, record/instance/task `{p}r…/{p}i…/{p}t…`.
const SQLITE_PEOPLE: &str = "
    INSERT INTO departments (id, name, created_at) VALUES ('d0', 'dept', '2026-01-01T00:00:00.000000Z');
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 49)
    INSERT INTO users (id, username, display_name, password_hash, department_id, created_at, updated_at)
    SELECT 'u' || i, 'user' || i, 'U', 'x', 'd0', '2026-01-01T00:00:00.000000Z',
        '2026-01-01T00:00:00.000000Z' FROM n;
    INSERT INTO apps (id, name, draft, draft_rev, latest_version, created_at, created_by, updated_at, updated_by)
    VALUES ('a', '{}', '{}', 1, 1, '2026-01-01T00:00:00.000000Z', 's', '2026-01-01T00:00:00.000000Z', 's');
    INSERT INTO app_versions VALUES ('a', 1, '{}', '2026-01-01T00:00:00.000000Z', 's');";

const PG_PEOPLE: &str = "
    INSERT INTO departments (id, name, created_at) VALUES ('d0', 'dept', now());
    INSERT INTO users (id, username, display_name, password_hash, department_id, created_at, updated_at)
    SELECT 'u' || i, 'user' || i, 'U', 'x', 'd0', now(), now() FROM generate_series(0, 49) i;
    INSERT INTO apps (id, name, draft, draft_rev, latest_version, created_at, created_by, updated_at, updated_by)
    VALUES ('a', '{}', '{}', 1, 1, now(), 's', now(), 's');
    INSERT INTO app_versions VALUES ('a', 1, '{}', now(), 's');";

/// `$1` open instances, each with one open task (of user `i % 50`) and two pending timers;
/// `{p}` prefixes the ids, `{n}` is the row number as text, `{now}` the dialect's instant.
const GROW: [&str; 4] = [
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
     INSERT INTO records (id, app_id, form_id, app_version, owner_id, status, data, created_at, updated_at)
     SELECT '{p}r' || {n}, 'a', 'f', 1, 'u' || (i % 50), 'in_review', '{}', {now}, {now} FROM n",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
     INSERT INTO process_instances (id, record_id, app_id, process_id, app_version, state, status,
         version, created_at, updated_at)
     SELECT '{p}i' || {n}, '{p}r' || {n}, 'a', 'p', 1, '{}', 'running', 1, {now}, {now} FROM n",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
     INSERT INTO tasks (id, instance_id, key, node_id, assignee_id, status, created_at, round, kind)
     SELECT '{p}t' || {n}, '{p}i' || {n}, 'n#1', 'n', 'u' || (i % 50), 'open', {now}, 1, 'step'
     FROM n",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
     INSERT INTO timers (id, instance_id, key, kind, fire_at)
     SELECT '{p}m' || {n} || k.k, '{p}i' || {n}, 'n#1/' || k.k, k.k, {now}
     FROM n, (SELECT 'remind' AS k UNION ALL SELECT 'escalate') k",
];

/// Closes every task and fires every timer, so statistics taken now say none is open.
const CLOSE_ALL: [&str; 2] = [
    "UPDATE tasks SET status = 'done' WHERE status = 'open'",
    "UPDATE timers SET fired_at = fire_at WHERE fired_at IS NULL",
];

/// A hot statement, its arguments (SQL literals), and what its plan must show.
struct Hot {
    name: &'static str,
    sql: String,
    /// The first arguments; the rest are NULL.
    args: &'static [&'static str],
    /// The parameters' types where PostgreSQL cannot infer them (`$2 IS NULL OR …`).
    pg_types: &'static str,
    /// What the first line reading the table must contain (the index and its key).
    sqlite: &'static str,
    /// The index PostgreSQL must read through (an index scan or a bitmap scan of it: either
    /// finds the one row by its key); no sequential scan and no sort.
    postgres: &'static str,
}

fn hot_statements() -> Vec<Hot> {
    vec![
        Hot {
            name: "the inbox page",
            sql: format!(
                "SELECT t.id FROM tasks t JOIN process_instances i ON i.id = t.instance_id {}21",
                bench::INBOX_PAGE
            ),
            args: &["'u7'"],
            pg_types: "(text)",
            sqlite: "tasks_assignee_status_idx (assignee_id=? AND status=?)",
            postgres: "tasks_assignee_status_idx",
        },
        Hot {
            name: "consuming the decided task",
            sql: bench::CONSUME_TASK.to_owned(),
            args: &["'bi50'", "'n#1'", "NULL"],
            pg_types: "",
            sqlite: "(instance_id=? AND key=?)",
            postgres: "tasks_instance_id_key_key",
        },
        Hot {
            name: "closing the decided task",
            sql: bench::CLOSE_TASK.to_owned(),
            args: &["'bi50'", "'n#1'", "'done'"],
            pg_types: "",
            sqlite: "(instance_id=? AND key=?)",
            postgres: "tasks_instance_id_key_key",
        },
        Hot {
            name: "cancelling a timer",
            sql: bench::CANCEL_TIMER.to_owned(),
            args: &["'bi50'", "'n#1/remind'", "NULL"],
            pg_types: "",
            sqlite: "(instance_id=? AND key=?)",
            postgres: "timers_instance_id_key_key",
        },
        Hot {
            name: "firing a timer",
            sql: bench::FIRE_TIMER.to_owned(),
            args: &["'bi50'", "'n#1/remind'", "NULL"],
            pg_types: "",
            sqlite: "(instance_id=? AND key=?)",
            postgres: "timers_instance_id_key_key",
        },
        Hot {
            name: "advancing the instance",
            sql: bench::ADVANCE_INSTANCE.to_owned(),
            args: &["'bi50'", "1", "'{}'"],
            pg_types: "",
            sqlite: "(id=?)",
            postgres: "process_instances_pkey",
        },
        Hot {
            name: "due timers",
            sql: bench::DUE_TIMERS.to_owned(),
            args: &["'2000-01-01T00:00:00.000000Z'", "10", "NULL"],
            pg_types: "",
            sqlite: "timers_due_idx (fire_at<?)",
            postgres: "timers_due_idx",
        },
    ]
}

#[tokio::test]
async fn a_decision_and_an_inbox_page_read_through_their_index_whatever_has_piled_up() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(db) = TestDb::new(backend).await.expect("test database") else {
            continue;
        };
        let outcome = check(&db).await;
        db.cleanup().await.expect("cleanup");
        outcome.unwrap_or_else(|e| panic!("[{}] {e:#}", backend.as_str()));
    }
}

async fn check(db: &TestDb) -> anyhow::Result<()> {
    db.store().await?; // migrated
    match db.backend() {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(db.url()).await?;
            sqlx::raw_sql(SQLITE_PEOPLE).execute(&mut conn).await?;
            let now = "'2026-01-01T00:00:00.000000Z'";
            conn.grow("a", now).await?;
            plans_hold(&mut conn, "never analyzed").await?;
            close_analyze_grow(&mut conn, now).await?;
            plans_hold(&mut conn, "analyzed while nothing was open").await?;
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(db.url()).await?;
            sqlx::raw_sql(PG_PEOPLE).execute(&mut conn).await?;
            conn.grow("a", "now()").await?;
            pg_plans_hold(&mut conn, "never analyzed").await?;
            close_analyze_grow(&mut conn, "now()").await?;
            pg_plans_hold(&mut conn, "analyzed while nothing was open").await?;
        }
    }
    Ok(())
}

/// Runs the growth statements with `prefix` on any connection.
macro_rules! grow_on {
    ($conn:expr, $prefix:expr, $now:expr) => {
        for sql in GROW {
            let sql = sql
                .replace("{p}", $prefix)
                .replace("{n}", "i")
                .replace("{now}", $now);
            sqlx::query(AssertSqlSafe(sql))
                .bind(OPEN)
                .execute(&mut *$conn)
                .await?;
        }
    };
}

/// Growing and closing the tables, on either connection.
trait Grow {
    async fn grow(&mut self, prefix: &str, now: &str) -> anyhow::Result<()>;
    async fn close_analyze(&mut self) -> anyhow::Result<()>;
}

macro_rules! impl_grow {
    ($conn:ty) => {
        impl Grow for $conn {
            async fn grow(&mut self, prefix: &str, now: &str) -> anyhow::Result<()> {
                let conn = self;
                grow_on!(conn, prefix, now);
                Ok(())
            }

            async fn close_analyze(&mut self) -> anyhow::Result<()> {
                for sql in CLOSE_ALL.iter().chain(&["ANALYZE"]) {
                    sqlx::query(AssertSqlSafe(*sql)).execute(&mut *self).await?;
                }
                Ok(())
            }
        }
    };
}

impl_grow!(sqlx::SqliteConnection);
impl_grow!(sqlx::PgConnection);

async fn close_analyze_grow<C: Grow>(conn: &mut C, now: &str) -> anyhow::Result<()> {
    conn.close_analyze().await?;
    conn.grow("b", now).await
}

/// The statement with `$n` replaced by its argument (NULL past the given ones), and how many
/// parameters it has.
fn with_args(hot: &Hot) -> (String, usize) {
    let params = (1..=20)
        .filter(|n| hot.sql.contains(&format!("${n}")))
        .max()
        .unwrap_or(0);
    let mut sql = hot.sql.clone();
    for n in (1..=params).rev() {
        sql = sql.replace(
            &format!("${n}"),
            hot.args.get(n - 1).copied().unwrap_or("NULL"),
        );
    }
    (sql, params)
}

async fn plans_hold(conn: &mut sqlx::SqliteConnection, state: &str) -> anyhow::Result<()> {
    for hot in hot_statements() {
        let (sql, _) = with_args(&hot);
        let plan: Vec<String> = sqlx::query(AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("detail"))
            .collect::<Result<_, _>>()?;
        let reads: Vec<&String> = plan
            .iter()
            .filter(|l| l.starts_with("SEARCH") || l.starts_with("SCAN"))
            .collect();
        anyhow::ensure!(
            !reads.is_empty()
                && reads[0].contains(hot.sqlite)
                && reads.iter().all(|l| l.starts_with("SEARCH"))
                && !plan.iter().any(|l| l.contains("TEMP B-TREE")),
            "{state}: {} does not read through its index:\n{}",
            hot.name,
            plan.join("\n")
        );
    }
    Ok(())
}

async fn pg_plans_hold(conn: &mut sqlx::PgConnection, state: &str) -> anyhow::Result<()> {
    for hot in hot_statements() {
        let (_, params) = with_args(&hot);
        let args: Vec<&str> = (0..params)
            .map(|i| hot.args.get(i).copied().unwrap_or("NULL"))
            .collect();
        let prepare = format!("PREPARE hot{} AS {}", hot.pg_types, hot.sql);
        sqlx::raw_sql(AssertSqlSafe(prepare))
            .execute(&mut *conn)
            .await?;
        for mode in ["force_generic_plan", "force_custom_plan"] {
            sqlx::raw_sql(AssertSqlSafe(format!("SET plan_cache_mode = {mode}")))
                .execute(&mut *conn)
                .await?;
            let plan: Vec<String> = sqlx::query(AssertSqlSafe(format!(
                "EXPLAIN EXECUTE hot({})",
                args.join(", ")
            )))
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()?;
            let text = plan.join("\n");
            anyhow::ensure!(
                text.contains(hot.postgres) && !text.contains("Seq Scan") && !text.contains("Sort"),
                "{state} ({mode}): {} does not read through its index:\n{text}",
                hot.name
            );
        }
        sqlx::raw_sql("DEALLOCATE hot").execute(&mut *conn).await?;
    }
    Ok(())
}

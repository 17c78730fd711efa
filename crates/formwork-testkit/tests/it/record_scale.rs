//! The record list on 100,000 records: the hot list shapes (newest first, for everyone, for an
//! owner, for an owner or their departments, the next page) must walk a list index in order
//! and stop after one page, on SQLite and on PostgreSQL.

use std::time::{Duration, Instant};

use anyhow::ensure;
use formwork_store::{
    AppId, Column, Cursor, DepartmentId, FieldKey, Filter, FilterOp, RecordId, RecordQuery,
    RecordStore as _, Store, UserId, ValueKind, Visibility,
};
use formwork_store_postgres::PgStore;
use formwork_store_sqlite::SqliteStore;
use formwork_testkit::fixtures::{actor, app_id, form_id, new_draft, package};
use formwork_testkit::{Backend, TestDb};
use sqlx::{AssertSqlSafe, Connection as _};

const RECORDS: u32 = 100_000;
const APP: &str = "projects";

fn app() -> AppId {
    app_id(APP)
}

/// Users `u0`…`u49` in departments `d0`…`d9` (five each), and one published app. User `i`
/// has the id [`user`]`(i)`, department `i` the id [`dept`]`(i)`.
const PEOPLE: &str = "
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 49)
    INSERT INTO departments (id, name, created_at)
    SELECT printf('01900000-0000-7000-9000-%012d', i), 'dept ' || i,
        '2026-01-01T00:00:00.000000Z' FROM n WHERE i < 10;
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 49)
    INSERT INTO users (id, username, display_name, password_hash, department_id, created_at,
        updated_at)
    SELECT printf('01900000-0000-7000-8000-%012d', i), 'user' || i, 'User ' || i, 'x',
        printf('01900000-0000-7000-9000-%012d', i / 5),
        '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z' FROM n;";

/// Record `i` (ids sort like UUID v7: by `i`) belongs to user `i % 50`; one in a hundred is
/// deleted; a fifth are in another form.
const SQLITE_RECORDS: &str = "
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
    INSERT INTO records (id, app_id, form_id, app_version, number, owner_id, department_id,
        status, data, rev, created_at, updated_at, deleted_at)
    SELECT printf('01900000-%04d-7%03d-8000-000000000000', i / 1000, i % 1000), 'projects',
        CASE WHEN i % 5 = 0 THEN 'other' ELSE 'project' END, 1, printf('PRJ-%06d', i),
        printf('01900000-0000-7000-8000-%012d', i % 50),
        printf('01900000-0000-7000-9000-%012d', i % 50 / 5),
        CASE i % 3 WHEN 0 THEN 'approved' ELSE 'submitted' END,
        json_object('name', 'project ' || i, 'amount', printf('%d.%02d', i % 1000, i % 97)),
        1, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z',
        CASE WHEN i % 100 = 1 THEN '2026-01-02T00:00:00.000000Z' END
    FROM n";

const PG_PEOPLE: &str = "
    INSERT INTO departments (id, name, created_at)
    SELECT '01900000-0000-7000-9000-' || lpad(i::text, 12, '0'), 'dept ' || i, now()
    FROM generate_series(0, 9) i;
    INSERT INTO users (id, username, display_name, password_hash, department_id, created_at,
        updated_at)
    SELECT '01900000-0000-7000-8000-' || lpad(i::text, 12, '0'), 'user' || i, 'User ' || i, 'x',
        '01900000-0000-7000-9000-' || lpad((i / 5)::text, 12, '0'), now(), now()
    FROM generate_series(0, 49) i;";

const PG_RECORDS: &str = "
    INSERT INTO records (id, app_id, form_id, app_version, number, owner_id, department_id,
        status, data, rev, created_at, updated_at, deleted_at)
    SELECT format('01900000-%s-7%s-8000-000000000000', lpad((i / 1000)::text, 4, '0'),
            lpad((i % 1000)::text, 3, '0')), 'projects',
        CASE WHEN i % 5 = 0 THEN 'other' ELSE 'project' END, 1, format('PRJ-%s', lpad(i::text, 6, '0')),
        '01900000-0000-7000-8000-' || lpad((i % 50)::text, 12, '0'),
        '01900000-0000-7000-9000-' || lpad((i % 50 / 5)::text, 12, '0'),
        CASE i % 3 WHEN 0 THEN 'approved' ELSE 'submitted' END,
        jsonb_build_object('name', 'project ' || i, 'amount', format('%s.%s', i % 1000, lpad((i % 97)::text, 2, '0'))),
        1, now(), now(), CASE WHEN i % 100 = 1 THEN now() END
    FROM generate_series(1, $1) i";

fn query(visibility: Visibility) -> RecordQuery {
    RecordQuery {
        app_id: app(),
        form_id: form_id("project"),
        visibility,
        filters: Vec::new(),
        search: None,
        sort: None,
        after: None,
        limit: 21,
        epoch: None,
    }
}

/// The id of seeded user `i` (one past the seeded ones is nobody).
#[allow(clippy::expect_used)] // the format makes a well-formed id
fn user(i: u32) -> UserId {
    UserId::parse(&format!("01900000-0000-7000-8000-{i:012}")).expect("a user id")
}

/// The id of seeded department `i` (one past the seeded ones has no records).
#[allow(clippy::expect_used)] // the format makes a well-formed id
fn dept(i: u32) -> DepartmentId {
    DepartmentId::parse(&format!("01900000-0000-7000-9000-{i:012}")).expect("a department id")
}

fn own(owner: UserId, departments: &[u32]) -> Visibility {
    Visibility::OwnOrDepartments {
        owner_id: owner,
        department_ids: departments.iter().map(|d| dept(*d)).collect(),
    }
}

/// The best of five runs of one list call, with the rows it returned.
async fn timed(store: &dyn Store, q: &RecordQuery) -> anyhow::Result<(Duration, usize)> {
    let mut best = Duration::MAX;
    let mut rows = 0;
    for _ in 0..5 {
        let start = Instant::now();
        rows = store.list_records(q).await?.len();
        best = best.min(start.elapsed());
    }
    Ok((best, rows))
}

async fn load(db: &TestDb, store: &dyn Store) -> anyhow::Result<()> {
    let pkg = package(APP, "项目", "Projects");
    store
        .create_app(&new_draft(&app(), &pkg, &actor("analyst")))
        .await?;
    store.publish(&app(), &pkg, &actor("analyst")).await?;
    match db.backend() {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(db.url()).await?;
            sqlx::raw_sql(PEOPLE).execute(&mut conn).await?;
            sqlx::query(SQLITE_RECORDS)
                .bind(i64::from(RECORDS))
                .execute(&mut conn)
                .await?;
            conn.close().await?;
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(db.url()).await?;
            sqlx::raw_sql(PG_PEOPLE).execute(&mut conn).await?;
            sqlx::query(PG_RECORDS)
                .bind(i64::from(RECORDS))
                .execute(&mut conn)
                .await?;
            // What autovacuum does shortly after a bulk load.
            sqlx::query(AssertSqlSafe("ANALYZE".to_owned()))
                .execute(&mut conn)
                .await?;
            conn.close().await?;
        }
    }
    Ok(())
}

#[tokio::test]
async fn hot_list_shapes_on_100k_records_walk_a_list_index_and_stop_after_a_page() {
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
    let store = db.store().await?;
    let start = Instant::now();
    load(db, store.as_ref()).await?;
    let backend = db.backend().as_str();
    eprintln!(
        "[{backend}] loaded {RECORDS} records in {:?}",
        start.elapsed()
    );

    let mut next_page = query(Visibility::All);
    next_page.after = Some(Cursor {
        value: serde_json::Value::Null,
        id: RecordId::parse("01900000-0050-7000-8000-000000000000")?,
    });
    let mut owner_next = query(own(user(7), &[3]));
    owner_next.after = next_page.after.clone();
    // The hot shapes: each must read about one page through an index, whatever the data.
    let hot = [
        ("newest first, all", query(Visibility::All)),
        ("newest first, own", query(own(user(7), &[]))),
        ("newest first, own or department", query(own(user(7), &[3]))),
        (
            "newest first, own or two departments",
            query(own(user(7), &[3, 4])),
        ),
        (
            "own or department, neither has records",
            query(own(user(50), &[10])),
        ),
        ("next page, all", next_page),
        ("next page, own or department", owner_next),
    ];
    let mut by_amount = query(own(user(7), &[3]));
    by_amount.sort = Some((
        Column::Data {
            key: FieldKey::parse("amount")?,
            kind: ValueKind::Number,
        },
        true,
    ));
    let mut approved = query(Visibility::All);
    approved.filters = vec![Filter {
        column: Column::System("status"),
        op: FilterOp::Eq,
        value: "approved".into(),
    }];
    let mut search = query(Visibility::All);
    search.search = Some(("project 4242".into(), vec![FieldKey::parse("name")?]));
    // Shown for comparison: without a projection a data sort or a substring search reads the
    // form's records.
    let other = [
        ("status filter, all", approved),
        ("sorted by a money field, own or department", by_amount),
        ("search, all", search),
    ];

    for (name, q) in hot.iter().chain(other.iter()) {
        let (took, rows) = timed(store.as_ref(), q).await?;
        let plan = explain(db, q).await?;
        eprintln!(
            "[{backend}] {name}: {rows} rows in {took:?}\n    {}",
            plan.join("\n    ")
        );
        ensure!(rows > 0 || name.contains("neither"), "{name}: no rows");
    }
    for (name, q) in &hot {
        let plan = explain(db, q).await?;
        ensure!(
            walks_an_index_in_order(db.backend(), &plan),
            "{name} does not walk a records index in order:\n{}",
            plan.join("\n")
        );
    }
    Ok(())
}

/// Whether every read of `records` in the plan is an index search in the list's order, so it
/// stops after a page: no full scan, no sort of table rows (sorting the few rows of merged
/// branches is fine).
fn walks_an_index_in_order(backend: Backend, plan: &[String]) -> bool {
    match backend {
        Backend::Sqlite => {
            let reads: Vec<_> = plan
                .iter()
                .enumerate()
                .filter(|(_, l)| l.starts_with("SEARCH records") || l.starts_with("SCAN records"))
                .collect();
            !reads.is_empty()
                && reads.iter().all(|(i, l)| {
                    l.contains(" INDEX records_")
                        && !plan
                            .get(i + 1)
                            .is_some_and(|next| next.contains("TEMP B-TREE"))
                })
        }
        Backend::Postgres => {
            let reads: Vec<_> = plan.iter().filter(|l| l.contains(" on records ")).collect();
            !reads.is_empty()
                && reads
                    .iter()
                    .all(|l| l.contains("Index Scan Backward using records_"))
        }
    }
}

async fn explain(db: &TestDb, q: &RecordQuery) -> anyhow::Result<Vec<String>> {
    Ok(match db.backend() {
        Backend::Sqlite => {
            SqliteStore::connect(db.url())
                .await?
                .explain_list_records(q)
                .await?
        }
        Backend::Postgres => {
            PgStore::connect(db.url())
                .await?
                .explain_list_records(q)
                .await?
        }
    })
}

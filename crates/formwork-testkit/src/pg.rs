//! Creating and dropping throwaway PostgreSQL databases on the test server.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use sqlx::{AssertSqlSafe, Connection as _, PgConnection};

/// TLS is off by default: the test server is local, and a TLS handshake in a debug build
/// (aws-lc compiled without optimisation) costs about 90 ms per connection.
const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable";
const NAME_PREFIX: &str = "formwork_test_";
/// Test databases older than this are left over from killed runs and are dropped.
const STALE_AFTER_SECS: u64 = 6 * 3600;

static SWEPT: AtomicBool = AtomicBool::new(false);
static SKIP_NOTICE: AtomicBool = AtomicBool::new(false);

/// The maintenance database URL test databases are created from (`FORMWORK_TEST_PG_URL`).
pub fn pg_admin_url() -> String {
    std::env::var("FORMWORK_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

/// True when `FORMWORK_TEST_PG=skip`; prints a notice the first time.
pub fn pg_skipped() -> bool {
    let skip = std::env::var("FORMWORK_TEST_PG").is_ok_and(|v| v.eq_ignore_ascii_case("skip"));
    if skip && !SKIP_NOTICE.swap(true, Ordering::Relaxed) {
        // Written to the process's stderr directly: the test harness captures `eprintln!`.
        let _ = writeln!(
            std::io::stderr(),
            "formwork-testkit: FORMWORK_TEST_PG=skip, PostgreSQL tests are skipped"
        );
    }
    skip
}

/// Creates a uniquely named empty database; returns its name and URL.
pub(crate) async fn create_database(admin_url: &str) -> anyhow::Result<(String, String)> {
    let mut conn = PgConnection::connect(admin_url).await.with_context(|| {
        format!(
            "connecting to the PostgreSQL test server at {admin_url} \
             (set FORMWORK_TEST_PG_URL, or FORMWORK_TEST_PG=skip to skip PostgreSQL tests)"
        )
    })?;
    if !SWEPT.swap(true, Ordering::Relaxed) {
        sweep_stale(&mut conn).await;
    }
    let name = format!("{NAME_PREFIX}{}", uuid::Uuid::now_v7().simple());
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .with_context(|| format!("creating database {name}"))?;
    let _ = conn.close().await;
    let url = with_database(admin_url, &name);
    Ok((name, url))
}

/// Drops the database, ending any connections still open to it.
pub(crate) async fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(admin_url)
        .await
        .with_context(|| format!("connecting to {admin_url} to drop {name}"))?;
    sqlx::query(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .with_context(|| format!("dropping database {name}"))?;
    let _ = conn.close().await;
    Ok(())
}

/// Best effort: drops test databases whose UUID v7 name says they are hours old, left behind by
/// runs that were killed before they could clean up.
async fn sweep_stale(conn: &mut PgConnection) {
    let Ok(names) = sqlx::query_scalar::<_, String>(
        "SELECT datname FROM pg_database WHERE datname LIKE 'formwork\\_test\\_%'",
    )
    .fetch_all(&mut *conn)
    .await
    else {
        return;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for name in names {
        let created = name
            .strip_prefix(NAME_PREFIX)
            .and_then(|id| uuid::Uuid::parse_str(id).ok())
            .and_then(|id| id.get_timestamp())
            .map(|t| t.to_unix().0);
        if created.is_some_and(|c| now.saturating_sub(c) > STALE_AFTER_SECS) {
            let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            let _ = sqlx::query(AssertSqlSafe(sql)).execute(&mut *conn).await;
        }
    }
}

/// `url` with its database name replaced by `name`, query string kept.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    format!("{server}/{name}{query}")
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn with_database_replaces_only_the_database_name() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "t1"),
            "postgres://u:p@h/t1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "t1"),
            "postgres://h:5432/t1"
        );
    }
}

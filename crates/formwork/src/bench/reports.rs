//! Report, export and import lines of `formwork bench`: each sample dashboard widget run
//! through the runtime (plan → SQL over the records' JSON → shaping) beside the same
//! aggregate on a typed copy of the records with a covering index, in the same database and
//! run; a 100k-row XLSX export with its time and peak memory; a 10k-row import, checked and
//! committed through the runtime, in rows per second.

use std::time::{Duration, Instant};

use formwork_reports::ir::{OutputColumn, ValueType};
use formwork_runtime::reports::ReportAsk;
use formwork_runtime::reports::imports::{ImportOutcome, ImportUpload};
use formwork_runtime::{Account, Runtime};
use serde_json::{Value, json};
use sqlx::AssertSqlSafe;

use super::raw::Pool;

const APP: &str = "project-registration";

/// (widget report, the same aggregate on the typed table for SQLite, for PostgreSQL).
const WIDGETS: [(&str, &str, &str); 3] = [
    (
        "projects_by_status",
        "SELECT status, COUNT(*) FROM bench_typed GROUP BY status",
        "SELECT status, COUNT(*) FROM bench_typed GROUP BY status",
    ),
    (
        "amount_by_region",
        "SELECT region, SUM(amount_cents) FROM bench_typed GROUP BY region",
        "SELECT region, SUM(amount) FROM bench_typed GROUP BY region",
    ),
    (
        "registrations_per_month",
        "SELECT substr(created_local, 1, 7), COUNT(*) FROM bench_typed GROUP BY 1",
        "SELECT date_trunc('month', created_at AT TIME ZONE 'Asia/Shanghai'), COUNT(*) \
         FROM bench_typed GROUP BY 1",
    ),
];

/// A typed copy of the sample app's records: region, status, amount (分 on SQLite, NUMERIC on
/// PostgreSQL) and the creation time, with covering indexes for the widget aggregates.
async fn typed_table(raw: &Pool) -> anyhow::Result<()> {
    let (sqlite, postgres) = (
        [
            "DROP TABLE IF EXISTS bench_typed".to_owned(),
            format!(
                "CREATE TABLE bench_typed AS SELECT id, status, \
                 json_extract(data, '$.region') AS region, \
                 CAST(replace(json_extract(data, '$.amount'), '.', '') AS INTEGER) AS amount_cents, \
                 datetime(created_at, '+8 hours') AS created_local \
                 FROM records WHERE app_id = '{APP}' AND deleted_at IS NULL AND status <> 'draft'"
            ),
            "CREATE INDEX bench_typed_region ON bench_typed (region, amount_cents)".to_owned(),
            "CREATE INDEX bench_typed_status ON bench_typed (status)".to_owned(),
            "CREATE INDEX bench_typed_month ON bench_typed (created_local)".to_owned(),
            "ANALYZE".to_owned(),
        ],
        [
            "DROP TABLE IF EXISTS bench_typed".to_owned(),
            format!(
                "CREATE TABLE bench_typed AS SELECT id, status, data ->> 'region' AS region, \
                 CAST(data ->> 'amount' AS numeric) AS amount, created_at \
                 FROM records WHERE app_id = '{APP}' AND deleted_at IS NULL AND status <> 'draft'"
            ),
            "CREATE INDEX bench_typed_region ON bench_typed (region) INCLUDE (amount)".to_owned(),
            "CREATE INDEX bench_typed_status ON bench_typed (status)".to_owned(),
            "CREATE INDEX bench_typed_month ON bench_typed (created_at)".to_owned(),
            "ANALYZE".to_owned(),
        ],
    );
    match raw {
        Pool::Sqlite(pool) => {
            for s in sqlite {
                sqlx::query(AssertSqlSafe(s)).execute(pool).await?;
            }
        }
        Pool::Postgres(pool) => {
            for s in postgres {
                sqlx::query(AssertSqlSafe(s)).execute(pool).await?;
            }
        }
    }
    Ok(())
}

async fn raw_aggregate(
    raw: &Pool,
    sqlite: &'static str,
    postgres: &'static str,
) -> anyhow::Result<usize> {
    Ok(match raw {
        Pool::Sqlite(pool) => sqlx::query(sqlite).fetch_all(pool).await?.len(),
        Pool::Postgres(pool) => sqlx::query(postgres).fetch_all(pool).await?.len(),
    })
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Each sample widget for the director (who reads all records) beside its typed aggregate.
pub(super) async fn widgets(
    runtime: &Runtime,
    raw: &Pool,
    director: &Account,
    ops: usize,
) -> anyhow::Result<()> {
    typed_table(raw).await?;
    let caller = runtime
        .caller(director.clone())
        .await
        .map_err(|e| anyhow::anyhow!("caller: {e}"))?;
    let app = APP.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let labels = formwork_web::i18n::CatalogLabels;
    let runs = ops.clamp(3, 15);
    for (report, sqlite, postgres) in WIDGETS {
        let (mut ours, mut typed) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let ask = ReportAsk {
                params: &[],
                lang: "zh-CN",
                labels: &labels,
                now: time::OffsetDateTime::now_utc(),
            };
            let t = Instant::now();
            runtime
                .run_report(&caller, &app, report, ask)
                .await
                .map_err(|e| anyhow::anyhow!("{report}: {e}"))?;
            ours.push(t.elapsed());
            let t = Instant::now();
            raw_aggregate(raw, sqlite, postgres).await?;
            typed.push(t.elapsed());
        }
        let (o, f) = (median(ours), median(typed));
        println!(
            "report {report:<24} {:>9.2} ms   typed+index {:>9.2} ms   ratio {:.2}×",
            ms(o),
            ms(f),
            o.as_secs_f64() / f.as_secs_f64().max(1e-9)
        );
    }
    Ok(())
}

/// A 100k-row XLSX export: time and the process's peak memory.
pub(super) fn export_100k() -> anyhow::Result<()> {
    let file = tempfile::tempfile()?;
    let before = formwork_sheets::bench::peak_rss_kib();
    let t = Instant::now();
    let n = formwork_sheets::bench::export_synthetic_xlsx(file, 100_000)?;
    println!(
        "export {n} rows to XLSX: {:.2} s, peak RSS {} KiB (before {} KiB)",
        t.elapsed().as_secs_f64(),
        formwork_sheets::bench::peak_rss_kib().unwrap_or(0),
        before.unwrap_or(0)
    );
    Ok(())
}

fn import_sheet(rows: usize) -> anyhow::Result<Vec<u8>> {
    let column = |key: &str, value_type| OutputColumn {
        key: key.into(),
        label: key.into(),
        value_type,
    };
    let columns = [
        column("name", ValueType::Text),
        column("customer", ValueType::Text),
        column("amount", ValueType::Money),
        column("region", ValueType::Text),
        column("contact_phone", ValueType::Text),
    ];
    let regions = ["华东", "华南", "华北"];
    let data: Vec<Vec<Value>> = (0..rows)
        .map(|i| {
            vec![
                json!(format!("导入项目{i}")),
                json!("导入客户"),
                json!(format!("{}.{:02}", 1000 + i, i % 100)),
                json!(regions[i % 3]),
                json!("13800138000"),
            ]
        })
        .collect();
    let mut out = std::io::Cursor::new(Vec::new());
    formwork_sheets::write_xlsx(&mut out, &columns, data, "Sheet1", None)?;
    Ok(out.into_inner())
}

/// A 10k-row import as `sales`: check, then commit (each row numbered, its process started).
pub(super) async fn import_10k(
    runtime: &Runtime,
    sales: &Account,
    tag: usize,
) -> anyhow::Result<()> {
    let rows = 10_000;
    let mut bytes = import_sheet(rows)?;
    // A different file per run, so the duplicate check never refuses it.
    bytes.extend_from_slice(format!("{tag}").as_bytes());
    let caller = runtime
        .caller(sales.clone())
        .await
        .map_err(|e| anyhow::anyhow!("caller: {e}"))?;
    let app = APP.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let form = "project".parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = time::OffsetDateTime::now_utc();
    let t = Instant::now();
    let upload = ImportUpload {
        filename: "bench.xlsx".into(),
        bytes,
        ..ImportUpload::default()
    };
    let checked = runtime
        .upload_import(&caller, &app, &form, upload, now)
        .await
        .map_err(|e| anyhow::anyhow!("import check: {e}"))?;
    let check = t.elapsed();
    let ImportOutcome::Done(import) = checked else {
        anyhow::bail!("the bench sheet was imported already");
    };
    let t = Instant::now();
    runtime
        .commit_import(&caller, &import.id, now)
        .await
        .map_err(|e| anyhow::anyhow!("import commit: {e}"))?;
    let commit = t.elapsed();
    println!(
        "import {rows} rows: check {:.0} rows/s, commit {:.0} rows/s",
        rows as f64 / check.as_secs_f64(),
        rows as f64 / commit.as_secs_f64()
    );
    Ok(())
}

//! The dashboard lines of `formwork bench`: each widget of the sample app's `overview`
//! dashboard run through the runtime (plan → SQL on the form's projection or the tasks →
//! shaping) beside the same aggregate on typed copies with covering indexes, in the same
//! database and run. The copies hold exactly the rows the widgets read: the live records of
//! the sample form, and the tasks of its approval process.

use std::time::{Duration, Instant};

use formwork_runtime::reports::ReportAsk;
use formwork_runtime::{Account, Runtime};
use sqlx::AssertSqlSafe;
use time::OffsetDateTime;

use super::raw::Pool;
use super::stats::Samples;

const APP: &str = "project-registration";

/// A widget: its report (an analyst's report or a built-in KPI), and the same aggregate on
/// the typed copies for SQLite and for PostgreSQL, each one or more statements. `{now}` is
/// the instant that decides whether an open task is overdue.
struct Widget {
    report: &'static str,
    sqlite: &'static [&'static str],
    postgres: &'static [&'static str],
}

const WIDGETS: [Widget; 10] = [
    Widget {
        report: "kpi-project-on_time_rate",
        sqlite: &[
            "SELECT SUM(actual_end <= end_date), COUNT(*) FROM bench_typed \
                   WHERE actual_end IS NOT NULL AND end_date IS NOT NULL",
        ],
        postgres: &[
            "SELECT COUNT(*) FILTER (WHERE actual_end <= end_date), COUNT(*) \
                     FROM bench_typed WHERE actual_end IS NOT NULL AND end_date IS NOT NULL",
        ],
    },
    Widget {
        report: "kpi-project-budget_variance",
        sqlite: &[
            "SELECT SUM(amount_cents), SUM(cost_cents) FROM bench_typed \
                   WHERE cost_cents IS NOT NULL AND amount_cents IS NOT NULL",
        ],
        postgres: &["SELECT SUM(amount), SUM(cost) FROM bench_typed \
                     WHERE cost IS NOT NULL AND amount IS NOT NULL"],
    },
    Widget {
        report: "projects_by_status",
        sqlite: &["SELECT status, COUNT(*) FROM bench_typed GROUP BY status"],
        postgres: &["SELECT status, COUNT(*) FROM bench_typed GROUP BY status"],
    },
    Widget {
        report: "amount_by_region",
        sqlite: &["SELECT region, SUM(amount_cents) FROM bench_typed GROUP BY region"],
        postgres: &["SELECT region, SUM(amount) FROM bench_typed GROUP BY region"],
    },
    Widget {
        report: "registrations_per_month",
        sqlite: &["SELECT substr(created_local, 1, 7), COUNT(*) FROM bench_typed GROUP BY 1"],
        postgres: &[
            "SELECT date_trunc('month', created_at AT TIME ZONE 'Asia/Shanghai'), \
                     COUNT(*) FROM bench_typed GROUP BY 1",
        ],
    },
    Widget {
        report: "approval_time_by_step",
        sqlite: &["SELECT node, AVG(duration_s) / 3600.0 FROM bench_typed_tasks GROUP BY node"],
        postgres: &[
            "SELECT node, AVG(duration_s) / 3600.0 FROM bench_typed_tasks \
                     GROUP BY node",
        ],
    },
    Widget {
        report: "kpi-registration_approval-step_time",
        // SQLite has no percentile: its p90 reads each group's values, listed in one text.
        sqlite: &[
            "SELECT node, AVG(duration_s), COUNT(*) FROM bench_typed_tasks \
             WHERE status = 'done' GROUP BY node",
            "SELECT node, group_concat(duration_s, ',') FROM bench_typed_tasks \
             WHERE status = 'done' GROUP BY node",
        ],
        postgres: &["SELECT node, AVG(duration_s), \
                     percentile_cont(0.9) WITHIN GROUP (ORDER BY duration_s), COUNT(*) \
                     FROM bench_typed_tasks WHERE status = 'done' GROUP BY node"],
    },
    Widget {
        report: "kpi-registration_approval-outcomes",
        sqlite: &[
            "SELECT node, SUM(action = 'approve'), SUM(action = 'return'), \
                   SUM(action = 'reject'), COUNT(*) FROM bench_typed_tasks \
                   WHERE status = 'done' GROUP BY node",
        ],
        postgres: &["SELECT node, COUNT(*) FILTER (WHERE action = 'approve'), \
                     COUNT(*) FILTER (WHERE action = 'return'), \
                     COUNT(*) FILTER (WHERE action = 'reject'), COUNT(*) \
                     FROM bench_typed_tasks WHERE status = 'done' GROUP BY node"],
    },
    Widget {
        report: "kpi-registration_approval-overdue_rate",
        sqlite: &[
            "SELECT node, SUM(COALESCE(decided_at, '{now}') > due_at), COUNT(*) \
                   FROM bench_typed_tasks WHERE due_at IS NOT NULL GROUP BY node",
        ],
        postgres: &[
            "SELECT node, COUNT(*) FILTER (WHERE COALESCE(decided_at, '{now}') > due_at), \
                     COUNT(*) FROM bench_typed_tasks WHERE due_at IS NOT NULL GROUP BY node",
        ],
    },
    Widget {
        report: "kpi-registration_approval-weekly_throughput",
        sqlite: &[
            "SELECT date(decided_at, '+8 hours', '-6 days', 'weekday 1') AS week, COUNT(*) \
                   FROM bench_typed_tasks WHERE status = 'done' GROUP BY 1 ORDER BY 1",
        ],
        postgres: &[
            "SELECT date_trunc('week', decided_at AT TIME ZONE 'Asia/Shanghai'), \
                     COUNT(*) FROM bench_typed_tasks WHERE status = 'done' GROUP BY 1 ORDER BY 1",
        ],
    },
];

/// The typed copies: the sample form's live records (region, status, amount and actual cost
/// in 分 on SQLite and NUMERIC on PostgreSQL, planned and actual end dates, the creation
/// time) and its approval's tasks (node, status, action, seconds taken, deadline, decision
/// time), with covering indexes for the widgets.
const TYPED_SQLITE: [&str; 9] = [
    "DROP TABLE IF EXISTS bench_typed",
    "CREATE TABLE bench_typed AS SELECT id, status, \
     json_extract(data, '$.region') AS region, \
     CAST(replace(json_extract(data, '$.amount'), '.', '') AS INTEGER) AS amount_cents, \
     CAST(replace(json_extract(data, '$.actual_cost'), '.', '') AS INTEGER) AS cost_cents, \
     json_extract(data, '$.end_date') AS end_date, \
     json_extract(data, '$.actual_end_date') AS actual_end, \
     datetime(created_at, '+8 hours') AS created_local \
     FROM records WHERE app_id = 'project-registration' AND form_id = 'project' \
     AND deleted_at IS NULL AND status <> 'draft'",
    "CREATE INDEX bench_typed_region ON bench_typed (region, amount_cents)",
    "CREATE INDEX bench_typed_status ON bench_typed (status)",
    "CREATE INDEX bench_typed_month ON bench_typed (created_local)",
    "CREATE INDEX bench_typed_on_time ON bench_typed (actual_end, end_date)",
    "CREATE INDEX bench_typed_budget ON bench_typed (cost_cents, amount_cents)",
    "DROP TABLE IF EXISTS bench_typed_tasks",
    "CREATE TABLE bench_typed_tasks AS SELECT t.node_id AS node, t.status, t.action, \
     CAST(strftime('%s', t.decided_at) AS INTEGER) \
     - CAST(strftime('%s', t.created_at) AS INTEGER) AS duration_s, \
     t.due_at, t.decided_at \
     FROM tasks t JOIN process_instances i ON i.id = t.instance_id \
     JOIN records r ON r.id = i.record_id \
     WHERE i.app_id = 'project-registration' AND i.process_id = 'registration_approval' \
     AND r.deleted_at IS NULL",
];

const TYPED_POSTGRES: [&str; 9] = [
    "DROP TABLE IF EXISTS bench_typed",
    "CREATE TABLE bench_typed AS SELECT id, status, data ->> 'region' AS region, \
     CAST(data ->> 'amount' AS numeric) AS amount, \
     CAST(data ->> 'actual_cost' AS numeric) AS cost, \
     CAST(data ->> 'end_date' AS date) AS end_date, \
     CAST(data ->> 'actual_end_date' AS date) AS actual_end, created_at \
     FROM records WHERE app_id = 'project-registration' AND form_id = 'project' \
     AND deleted_at IS NULL AND status <> 'draft'",
    "CREATE INDEX bench_typed_region ON bench_typed (region) INCLUDE (amount)",
    "CREATE INDEX bench_typed_status ON bench_typed (status)",
    "CREATE INDEX bench_typed_month ON bench_typed (created_at)",
    "CREATE INDEX bench_typed_on_time ON bench_typed (actual_end, end_date)",
    "CREATE INDEX bench_typed_budget ON bench_typed (cost) INCLUDE (amount)",
    "DROP TABLE IF EXISTS bench_typed_tasks",
    "CREATE TABLE bench_typed_tasks AS SELECT t.node_id AS node, t.status, t.action, \
     CAST(floor(extract(epoch FROM t.decided_at)) AS bigint) \
     - CAST(floor(extract(epoch FROM t.created_at)) AS bigint) AS duration_s, \
     t.due_at, t.decided_at \
     FROM tasks t JOIN process_instances i ON i.id = t.instance_id \
     JOIN records r ON r.id = i.record_id \
     WHERE i.app_id = 'project-registration' AND i.process_id = 'registration_approval' \
     AND r.deleted_at IS NULL",
];

/// The typed tasks' covering indexes, the same on both databases.
const TASK_INDEXES: [&str; 5] = [
    "CREATE INDEX bench_tt_time ON bench_typed_tasks (status, node, duration_s)",
    "CREATE INDEX bench_tt_action ON bench_typed_tasks (status, node, action)",
    "CREATE INDEX bench_tt_node ON bench_typed_tasks (node, duration_s)",
    "CREATE INDEX bench_tt_due ON bench_typed_tasks (node, due_at, decided_at) \
     WHERE due_at IS NOT NULL",
    "CREATE INDEX bench_tt_week ON bench_typed_tasks (status, decided_at)",
];

async fn typed_tables(raw: &Pool) -> anyhow::Result<()> {
    match raw {
        Pool::Sqlite(pool) => {
            for s in TYPED_SQLITE.iter().chain(&TASK_INDEXES) {
                sqlx::query(*s).execute(pool).await?;
            }
        }
        Pool::Postgres(pool) => {
            for s in TYPED_POSTGRES.iter().chain(&TASK_INDEXES) {
                sqlx::query(*s).execute(pool).await?;
            }
        }
    }
    // The copies get what the store's tables got after seeding.
    raw.analyze().await
}

/// Runs a widget's typed statements; how many rows they gave.
async fn typed_aggregate(raw: &Pool, w: &Widget, now: OffsetDateTime) -> anyhow::Result<usize> {
    let mut rows = 0;
    match raw {
        Pool::Sqlite(pool) => {
            let now = formwork_query::instant::utc_text(now);
            for s in w.sqlite {
                let sql = s.replace("{now}", &now);
                rows += sqlx::query(AssertSqlSafe(sql)).fetch_all(pool).await?.len();
            }
        }
        Pool::Postgres(pool) => {
            let now = formwork_query::instant::utc_text(now);
            for s in w.postgres {
                let sql = s.replace("{now}", &now);
                rows += sqlx::query(AssertSqlSafe(sql)).fetch_all(pool).await?.len();
            }
        }
    }
    Ok(rows)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// How many rows the typed copies hold, for the output.
async fn typed_sizes(raw: &Pool) -> anyhow::Result<(i64, i64, i64)> {
    const SQL: &str = "SELECT (SELECT COUNT(*) FROM bench_typed), \
        (SELECT COUNT(*) FROM bench_typed_tasks), \
        (SELECT COUNT(*) FROM bench_typed_tasks WHERE status = 'done')";
    Ok(match raw {
        Pool::Sqlite(pool) => sqlx::query_as(SQL).fetch_one(pool).await?,
        Pool::Postgres(pool) => sqlx::query_as(SQL).fetch_one(pool).await?,
    })
}

/// Each widget of the sample dashboard for the director (who reads all records) beside its
/// typed aggregate.
pub(super) async fn widgets(
    runtime: &Runtime,
    raw: &Pool,
    director: &Account,
    ops: usize,
) -> anyhow::Result<()> {
    typed_tables(raw).await?;
    let (records, tasks, done) = typed_sizes(raw).await?;
    println!("dashboard widgets over {records} records and {tasks} tasks ({done} decided)");
    let caller = runtime
        .caller(director.clone())
        .await
        .map_err(|e| anyhow::anyhow!("caller: {e}"))?;
    let app = APP.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let labels = formwork_web::i18n::CatalogLabels;
    let runs = ops.clamp(3, 15);
    for w in &WIDGETS {
        let (mut ours, mut typed) = (Samples::default(), Samples::default());
        for _ in 0..runs {
            let now = OffsetDateTime::now_utc();
            let ask = ReportAsk {
                params: &[],
                lang: "zh-CN",
                labels: &labels,
                now,
            };
            let t = Instant::now();
            runtime
                .run_report(&caller, &app, w.report, ask)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", w.report))?;
            ours.push(t.elapsed());
            let t = Instant::now();
            typed_aggregate(raw, w, now).await?;
            typed.push(t.elapsed());
        }
        let (o, f) = (ours.p50(), typed.p50());
        println!(
            "report {:<44} {:>9.2} ms   typed+index {:>9.2} ms   ratio {:.2}×",
            w.report,
            ms(o),
            ms(f),
            o.as_secs_f64() / f.as_secs_f64().max(1e-9)
        );
    }
    Ok(())
}

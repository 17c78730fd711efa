//! `formwork bench`: our hot paths measured beside their physical floor, in the same run,
//! interleaved (one of each in turn) so machine noise hits both sides alike.
//!
//! - Submission over HTTP beside the same rows written by a raw transaction through the same
//!   driver, plus a bare HTTP echo of the same body: the floor is raw + echo.
//! - Submission of a form with its approval process (instance, first task, timeline,
//!   notification) beside the same rows written raw, plus the echo.
//! - Deciding a task (which ends the instance) beside the same updates done raw, plus the echo;
//!   each side decides the tasks its own process submissions created, so both touch rows of
//!   the same age. Then, alone, deciding the oldest open tasks (cold rows of the seeded set).
//! - The filtered first page of a record list over HTTP beside the same SQL run raw (plus
//!   the echo, for the HTTP part).
//! - The engine alone: start an instance and walk to its first task, compiled once.
//! - An inbox page (the manager's first 20 open tasks), to show it stays flat as work piles up.
//! - Concurrent mode: several clients at once submitting, then deciding, on one server.
//! - Start-up time and idle RSS of a real `formwork serve` child.
//!
//! Beside each line: store reads and writes per request (a counting wrapper around the
//! store), and CPU per request (this process's, which holds the server and SQLite; on
//! PostgreSQL also the database backends'). Each backend runs in a fresh database that is
//! dropped afterwards.

mod concurrent;
mod cost;
mod counting;
mod dataset;
mod engine;
mod http;
mod lines;
mod projections;
mod raw;
mod reports;
mod startup;
mod statements;
mod stats;
mod target;
mod widgets;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;
use formwork_runtime::{Runtime, system_actor};
use formwork_web::WebConfig;
use serde_json::{Value, json};

use crate::SAMPLE_APP;
pub use statements::{
    ADVANCE_INSTANCE, CANCEL_TIMER, CLOSE_TASK, CONSUME_TASK, DUE_TIMERS, FIRE_TIMER, INBOX_PAGE,
    STATEMENTS as RAW_STATEMENTS,
};

const RECORDS: &str = "/api/v1/apps/project-registration/forms/project/records";
/// The sample form without its process: what a plain form submission costs.
const PLAIN_RECORDS: &str = "/api/v1/apps/bench-plain/forms/project/records";
const PASSWORD: &str = "bench-password-1";

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Dataset sizes to measure at, in records.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    pub sizes: Vec<usize>,
    /// Measured operations per line (after a warm-up).
    #[arg(long, default_value_t = 400)]
    pub ops: usize,
    /// Records seeded through the runtime before the rest are copied by SQL.
    #[arg(long, default_value_t = 2000)]
    pub seed_through_runtime: usize,
    /// Most process instances (each with its open task and timers) the dataset copies.
    #[arg(long, default_value_t = 100_000)]
    pub open_instances: usize,
    /// Clients of the concurrent mode (0: skip it).
    #[arg(long, default_value_t = 8)]
    pub clients: usize,
    /// Leave the planner's statistics as they are after seeding (no ANALYZE).
    #[arg(long)]
    pub no_analyze: bool,
    /// PostgreSQL server to create the benchmark database on.
    #[arg(
        long,
        env = "FORMWORK_BENCH_PG_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
    )]
    pub pg_url: String,
    /// Measure SQLite only.
    #[arg(long, conflicts_with = "postgres_only")]
    pub sqlite_only: bool,
    /// Measure PostgreSQL only.
    #[arg(long)]
    pub postgres_only: bool,
    /// Only the report, dashboard-widget and list (sort, search) lines: skip the engine,
    /// export, start-up, submission, decision, inbox, concurrent and import phases, so large
    /// sizes are quick to measure.
    #[arg(long)]
    pub reports_only: bool,
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.sizes.is_empty() || args.ops == 0 {
        bail!("--sizes and --ops must not be empty");
    }
    println!(
        "formwork bench — {} ops per line, interleaved with their floor; ratio = our rate ÷ floor rate",
        args.ops
    );
    if !args.reports_only {
        engine::measure(SAMPLE_APP, args.ops.max(1000))?;
        reports::export_100k()?;
    }
    // Each database is created just before it is measured and dropped right after, so a
    // failure never leaves one behind.
    if !args.postgres_only {
        let sqlite = target::Target::sqlite()?;
        measure_and_drop(&sqlite, &args).await?;
    }
    if !args.sqlite_only {
        let postgres = target::Target::postgres(&args.pg_url).await?;
        measure_and_drop(&postgres, &args).await?;
    }
    Ok(())
}

async fn measure_and_drop(target: &target::Target, args: &BenchArgs) -> anyhow::Result<()> {
    let outcome = bench_backend(target, args).await;
    target.drop_database().await?;
    outcome
}

/// The sample package with another id and no process, rules, reports or dashboards.
fn plain_package() -> anyhow::Result<Value> {
    let mut package: Value = serde_json::from_str(SAMPLE_APP)?;
    package["id"] = json!("bench-plain");
    package["processes"] = json!([]);
    package["rules"] = json!([]);
    // Dashboards and reports speak of the process too.
    package["dashboards"] = json!([]);
    package["reports"] = json!([]);
    Ok(package)
}

async fn publish(runtime: &Runtime, package: &Value) -> anyhow::Result<()> {
    let actor = system_actor();
    let outcome = runtime
        .import_app(package, &actor, false)
        .await
        .map_err(|e| anyhow::anyhow!("import: {e}"))?;
    runtime
        .publish(&outcome.app_id, &actor)
        .await
        .map_err(|e| anyhow::anyhow!("publish: {e}"))?;
    Ok(())
}

/// Signed-in connections and users the measurements act as.
pub(crate) struct Actors {
    pub sales: formwork_runtime::Account,
    pub manager: formwork_runtime::Account,
    pub sales_cookie: String,
    pub manager_cookie: String,
}

async fn bench_backend(target: &target::Target, args: &BenchArgs) -> anyhow::Result<()> {
    println!("\n## {}", target.name());
    let (store, tally) = counting::Counting::wrap(crate::open_migrated(target.url()).await?);
    let runtime = Arc::new(Runtime::new(store.clone()).with_files_dir(target.files_dir()));
    runtime
        .ensure_demo_org(PASSWORD, false)
        .await
        .map_err(|e| anyhow::anyhow!("demo users: {e}"))?;
    publish(&runtime, &serde_json::from_str(SAMPLE_APP)?).await?;
    publish(&runtime, &plain_package()?).await?;
    if !args.reports_only {
        startup::measure(target.url(), &target.files_dir()).await?;
    }

    let server = crate::spawn(
        runtime.clone(),
        "127.0.0.1:0".parse()?,
        WebConfig::default(),
        None,
    )
    .await?;
    let echo = spawn_echo().await?;
    let raw = target.pool().await?;
    let user = |name: &'static str| {
        let runtime = runtime.clone();
        async move {
            runtime
                .user_by_username(name)
                .await
                .map_err(|e| anyhow::anyhow!("{name}: {e}"))
        }
    };
    let actors = Actors {
        sales: user("sales1").await?,
        manager: user("manager1").await?,
        sales_cookie: login(server.addr, "sales1").await?,
        manager_cookie: login(server.addr, "manager1").await?,
    };

    let mut growth = dataset::Growth::default();
    for &size in &args.sizes {
        let limits = (args.seed_through_runtime, size, args.open_instances);
        // A bulk copy would maintain the projections row by row; they are rebuilt after.
        projections::off(&raw).await?;
        let how = growth.grow(&runtime, &raw, &actors.sales, limits).await?;
        if !args.no_analyze {
            raw.analyze().await?;
        }
        println!(
            "\n### {} records, {} open tasks, {} timers pending ({how}; {})",
            raw.count("records").await?,
            raw.count("tasks WHERE status = 'open'").await?,
            raw.count("timers WHERE fired_at IS NULL AND cancelled_at IS NULL")
                .await?,
            if args.no_analyze {
                "not analyzed"
            } else {
                "analyzed"
            }
        );
        projections::rebuild(&runtime).await?;
        let director = user("director").await?;
        if args.reports_only {
            widgets::widgets(&runtime, &raw, &director, args.ops).await?;
            projections::list_lines(&runtime, &store, &raw, &director, args.ops).await?;
            continue;
        }
        let lines = lines::Lines {
            server: server.addr,
            echo,
            raw: &raw,
            actors: &actors,
            ops: args.ops,
            tally: tally.clone(),
        };
        lines
            .submissions(PLAIN_RECORDS, None, "submit     ")
            .await?;
        let tasks = lines
            .submissions(RECORDS, Some(&actors.manager), "submit+flow")
            .await?;
        lines.decisions(tasks).await?;
        lines.inbox().await?;
        lines.list().await?;
        if args.clients > 0 {
            concurrent::measure(&lines, args.clients).await?;
        }
        lines.old_decisions().await?;
        widgets::widgets(&runtime, &raw, &director, args.ops).await?;
        projections::list_lines(&runtime, &store, &raw, &director, args.ops).await?;
        reports::import_10k(&runtime, &actors.sales, size).await?;
    }
    let _ = server.shutdown.send(());
    let _ = server.handle.await;
    raw.close().await;
    Ok(())
}

async fn login(addr: SocketAddr, username: &str) -> anyhow::Result<String> {
    let mut conn = http::Conn::open(addr).await?;
    let body = json!({"username": username, "password": PASSWORD}).to_string();
    let reply = conn
        .request(
            "POST",
            "/api/v1/session",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
        .await?;
    if reply.status != 200 {
        bail!("login failed: {}", String::from_utf8_lossy(&reply.body));
    }
    conn.last_cookie().context("login set no session cookie")
}

/// A bare axum server that answers every POST /echo with its body.
async fn spawn_echo() -> anyhow::Result<SocketAddr> {
    let app = axum::Router::new().route(
        "/echo",
        axum::routing::post(|body: axum::body::Bytes| async move { body }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}

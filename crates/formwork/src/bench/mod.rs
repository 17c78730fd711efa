//! `formwork bench`: our hot paths measured beside their physical floor, in the same run,
//! interleaved (one of each in turn) so machine noise hits both sides alike.
//!
//! - Submission over HTTP beside the same rows written by a raw transaction through the same
//!   driver, plus a bare HTTP echo of the same body: the floor is raw + echo.
//! - Submission of a form with its approval process (instance, first task, timeline,
//!   notification) beside the same rows written raw, plus the echo.
//! - Deciding a task (which ends the instance) beside the same updates done raw, plus the echo.
//! - The filtered first page of a record list over HTTP beside the same SQL run raw (plus
//!   the echo, for the HTTP part).
//! - The engine alone: start an instance and walk to its first task, compiled once.
//!
//! Each backend runs in a fresh database that is dropped afterwards.

mod dataset;
mod engine;
mod http;
mod raw;
mod reports;
mod stats;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use formwork_runtime::{Runtime, system_actor};
use formwork_web::WebConfig;
use serde_json::{Value, json};

use crate::SAMPLE_APP;
use stats::{Samples, ms};

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
    /// PostgreSQL server to create the benchmark database on.
    #[arg(
        long,
        env = "FORMWORK_BENCH_PG_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
    )]
    pub pg_url: String,
    /// Measure SQLite only.
    #[arg(long)]
    pub sqlite_only: bool,
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.sizes.is_empty() || args.ops == 0 {
        bail!("--sizes and --ops must not be empty");
    }
    println!(
        "formwork bench — {} ops per line, interleaved with their floor; ratio = our rate ÷ floor rate",
        args.ops
    );
    engine::measure(SAMPLE_APP, args.ops.max(1000))?;
    reports::export_100k()?;
    // Each database is created just before it is measured and dropped right after, so a
    // failure never leaves one behind.
    let sqlite = raw::Target::sqlite()?;
    measure_and_drop(&sqlite, &args).await?;
    if !args.sqlite_only {
        let postgres = raw::Target::postgres(&args.pg_url).await?;
        measure_and_drop(&postgres, &args).await?;
    }
    Ok(())
}

async fn measure_and_drop(target: &raw::Target, args: &BenchArgs) -> anyhow::Result<()> {
    let outcome = bench_backend(target, args).await;
    target.drop_database().await?;
    outcome
}

/// The sample package with another id and no process or rules.
fn plain_package() -> anyhow::Result<Value> {
    let mut package: Value = serde_json::from_str(SAMPLE_APP)?;
    package["id"] = json!("bench-plain");
    package["processes"] = json!([]);
    package["rules"] = json!([]);
    // Its reports and dashboard read the process's tasks, which this package has not.
    package["reports"] = json!([]);
    package["dashboards"] = json!([]);
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
struct Actors {
    sales: formwork_runtime::Account,
    manager: formwork_runtime::Account,
    sales_cookie: String,
    manager_cookie: String,
}

async fn bench_backend(target: &raw::Target, args: &BenchArgs) -> anyhow::Result<()> {
    println!("\n## {}", target.name());
    let store = crate::open_migrated(target.url()).await?;
    let runtime = Arc::new(Runtime::new(store).with_files_dir(target.files_dir()));
    runtime
        .ensure_demo_org(PASSWORD, false)
        .await
        .map_err(|e| anyhow::anyhow!("demo users: {e}"))?;
    publish(&runtime, &serde_json::from_str(SAMPLE_APP)?).await?;
    publish(&runtime, &plain_package()?).await?;

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

    let mut seeded = 0;
    for &size in &args.sizes {
        let started = Instant::now();
        dataset::seed(&runtime, &actors.sales, seeded, size).await?;
        raw.analyze().await?;
        println!(
            "\n### {size} records (seeded {} through the runtime in {:.1} s)",
            size.saturating_sub(seeded),
            started.elapsed().as_secs_f64()
        );
        seeded = seeded.max(size);
        let lines = Lines {
            server: server.addr,
            echo,
            raw: &raw,
            actors: &actors,
            ops: args.ops,
        };
        lines
            .submissions(PLAIN_RECORDS, None, "submit     ")
            .await?;
        let tasks = lines
            .submissions(RECORDS, Some(&actors.manager), "submit+flow")
            .await?;
        lines.decisions(tasks).await?;
        lines.list().await?;
        let director = user("director").await?;
        reports::widgets(&runtime, &raw, &director, args.ops).await?;
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

/// Times one future.
async fn timed<T>(f: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<(T, Duration)> {
    let t = Instant::now();
    let out = f.await?;
    Ok((out, t.elapsed()))
}

/// Samples of our operation and its two floors, warm-up excluded.
#[derive(Default)]
struct Trio {
    ours: Samples,
    db: Samples,
    http: Samples,
}

impl Trio {
    fn push(&mut self, measured: bool, ours: Duration, db: Duration, http: Duration) {
        if measured {
            self.ours.push(ours);
            self.db.push(db);
            self.http.push(http);
        }
    }

    fn print_rates(&self, label: &str) {
        let floor = 1.0 / (1.0 / self.db.rate() + 1.0 / self.http.rate());
        println!(
            "{label} ours {:>7.0}/s (p50 {})  raw tx {:>7.0}/s  echo {:>7.0}/s  floor {:>7.0}/s  ratio {:>5.1}%",
            self.ours.rate(),
            ms(self.ours.p50()),
            self.db.rate(),
            self.http.rate(),
            floor,
            100.0 * self.ours.rate() / floor
        );
    }
}

struct Lines<'a> {
    server: SocketAddr,
    echo: SocketAddr,
    raw: &'a raw::Pool,
    actors: &'a Actors,
    ops: usize,
}

impl Lines<'_> {
    fn warmup(&self) -> usize {
        self.ops / 10
    }

    /// Submissions over HTTP beside raw inserts; with `assignee`, the form has a process and
    /// the raw side starts one too. Returns the raw starts, to be decided later.
    async fn submissions(
        &self,
        path: &str,
        assignee: Option<&formwork_runtime::Account>,
        label: &str,
    ) -> anyhow::Result<Vec<raw::Started>> {
        let mut ours_conn = http::Conn::open(self.server).await?;
        let mut echo_conn = http::Conn::open(self.echo).await?;
        let headers = [
            ("Content-Type", "application/json"),
            ("Cookie", self.actors.sales_cookie.as_str()),
        ];
        let mut trio = Trio::default();
        let mut started = Vec::new();
        for i in 0..self.ops + self.warmup() {
            // Under 50,000 from sales1: one approval by their department head, then the end.
            let mut data = dataset::project(1_000_000 + i);
            data["amount"] = json!(format!("{}.00", 1000 + i % 40_000));
            data["region"] = json!("华南");
            let body = data.to_string();
            let (reply, d_ours) =
                timed(ours_conn.request("POST", path, &headers, body.as_bytes())).await?;
            if reply.status != 201 {
                bail!(
                    "submission failed ({}): {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                );
            }
            let assignee_id = assignee.map(|u| u.id.as_str());
            let (ids, d_raw) = timed(self.raw.insert_record(
                &self.actors.sales,
                &data,
                assignee_id,
            ))
            .await?;
            let (_, d_echo) =
                timed(echo_conn.request("POST", "/echo", &headers, body.as_bytes())).await?;
            trio.push(i >= self.warmup(), d_ours, d_raw, d_echo);
            started.push(ids);
        }
        trio.print_rates(label);
        Ok(started)
    }

    /// Approving tasks over HTTP (each ends its instance) beside the same updates done raw.
    async fn decisions(&self, raw_started: Vec<raw::Started>) -> anyhow::Result<()> {
        let store_tasks = self.open_task_ids().await?;
        let mut ours_conn = http::Conn::open(self.server).await?;
        let mut echo_conn = http::Conn::open(self.echo).await?;
        let headers = [
            ("Content-Type", "application/json"),
            ("Cookie", self.actors.manager_cookie.as_str()),
        ];
        let body = json!({"action": "approve", "comment": "同意"}).to_string();
        let mut trio = Trio::default();
        let n = store_tasks.len().min(raw_started.len());
        if n <= self.warmup() {
            bail!("only {n} open tasks to decide");
        }
        for (i, (task, started)) in store_tasks.iter().zip(&raw_started).enumerate() {
            let path = format!("/api/v1/tasks/{task}/decide");
            let (reply, d_ours) =
                timed(ours_conn.request("POST", &path, &headers, body.as_bytes())).await?;
            if reply.status != 200 {
                bail!(
                    "decision {i} on task {task} failed ({}): {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                );
            }
            let (_, d_raw) = timed(self.raw.decide(started, &self.actors.manager)).await?;
            let (_, d_echo) =
                timed(echo_conn.request("POST", "/echo", &headers, body.as_bytes())).await?;
            trio.push(i >= self.warmup(), d_ours, d_raw, d_echo);
        }
        trio.print_rates("decide     ");
        Ok(())
    }

    /// The manager's open tasks, oldest first, read through the inbox API.
    async fn open_task_ids(&self) -> anyhow::Result<Vec<String>> {
        let mut conn = http::Conn::open(self.server).await?;
        let headers = [("Cookie", self.actors.manager_cookie.as_str())];
        let mut ids = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let path = match &after {
                Some(a) => format!("/api/v1/tasks?box=todo&limit=200&after={a}"),
                None => "/api/v1/tasks?box=todo&limit=200".to_owned(),
            };
            let reply = conn.request("GET", &path, &headers, b"").await?;
            let page: Value = serde_json::from_slice(&reply.body)?;
            let items = page["items"].as_array().cloned().unwrap_or_default();
            // The raw side's rows share the tables (its numbers start with RAW-): skip them.
            ids.extend(
                items
                    .iter()
                    .filter(|t| {
                        !t["record"]["number"]
                            .as_str()
                            .is_some_and(|n| n.starts_with("RAW-"))
                    })
                    .filter_map(|t| t["task"]["id"].as_str().map(str::to_owned)),
            );
            match page["next"].as_str() {
                Some(next) => after = Some(next.to_owned()),
                None => break,
            }
        }
        ids.reverse();
        Ok(ids)
    }

    async fn list(&self) -> anyhow::Result<()> {
        let mut ours_conn = http::Conn::open(self.server).await?;
        let mut echo_conn = http::Conn::open(self.echo).await?;
        let path = format!("{RECORDS}?filter=region:eq:%E5%8D%8E%E4%B8%9C&limit=20");
        let headers = [("Cookie", self.actors.sales_cookie.as_str())];
        let mut trio = Trio::default();
        for i in 0..self.ops + self.warmup() {
            let (reply, d_ours) = timed(ours_conn.request("GET", &path, &headers, b"")).await?;
            if reply.status != 200 {
                bail!(
                    "list failed ({}): {}",
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                );
            }
            let (rows, d_raw) = timed(self.raw.first_page(&self.actors.sales, "华东", 21)).await?;
            if rows == 0 {
                bail!("the raw list found nothing: the dataset is wrong");
            }
            let (_, d_echo) =
                timed(echo_conn.request("POST", "/echo", &headers, &reply.body)).await?;
            trio.push(i >= self.warmup(), d_ours, d_raw, d_echo);
        }
        let extra = trio
            .ours
            .p50()
            .saturating_sub(trio.db.p50() + trio.http.p50());
        println!(
            "list p50    ours {}  raw SQL {}  echo of the page {}  ours − (raw + echo) = {}",
            ms(trio.ours.p50()),
            ms(trio.db.p50()),
            ms(trio.http.p50()),
            ms(extra)
        );
        Ok(())
    }
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

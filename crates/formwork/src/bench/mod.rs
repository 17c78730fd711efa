//! `formwork bench`: our hot paths measured beside their physical floor, in the same run,
//! interleaved (one of each in turn) so machine noise hits both sides alike.
//!
//! - Submission over HTTP beside the same rows written by a raw transaction through the same
//!   driver, plus a bare HTTP echo of the same body: the floor is raw + echo.
//! - The filtered first page of a record list over HTTP beside the same SQL run raw (plus
//!   the echo, for the HTTP part).
//!
//! Each backend runs in a fresh database that is dropped afterwards.

mod dataset;
mod http;
mod raw;
mod stats;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use formwork_runtime::{Runtime, system_actor};
use formwork_web::WebConfig;
use serde_json::{Value, json};

use crate::SAMPLE_APP;
use stats::{Samples, ms};

const RECORDS: &str = "/api/v1/apps/project-registration/forms/project/records";
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
    let mut targets = vec![raw::Target::sqlite()?];
    if !args.sqlite_only {
        targets.push(raw::Target::postgres(&args.pg_url).await?);
    }
    println!(
        "formwork bench — {} ops per line, interleaved; ratio = ours ÷ floor (rates), or ours − raw (latency)",
        args.ops
    );
    for target in targets {
        let outcome = bench_backend(&target, &args).await;
        target.drop_database().await?;
        outcome?;
    }
    Ok(())
}

async fn bench_backend(target: &raw::Target, args: &BenchArgs) -> anyhow::Result<()> {
    println!("\n## {}", target.name());
    let store = crate::open_migrated(target.url()).await?;
    let runtime = Arc::new(Runtime::new(store.clone()).with_files_dir(target.files_dir()));
    runtime
        .ensure_demo_org(PASSWORD, false)
        .await
        .map_err(|e| anyhow::anyhow!("demo users: {e}"))?;
    let package: Value = serde_json::from_str(SAMPLE_APP)?;
    let actor = system_actor();
    runtime
        .import_app(&package, &actor, false)
        .await
        .map_err(|e| anyhow::anyhow!("import: {e}"))?;
    runtime
        .publish("project-registration", &actor)
        .await
        .map_err(|e| anyhow::anyhow!("publish: {e}"))?;

    let server = crate::spawn(runtime.clone(), "127.0.0.1:0".parse()?, WebConfig::default()).await?;
    let echo = spawn_echo().await?;
    let raw = target.pool().await?;
    let sales = store
        .get_user_by_username("sales1")
        .await?
        .context("sales1 exists")?;
    let cookie = login(server.addr).await?;

    let mut seeded = 0;
    for &size in &args.sizes {
        let started = Instant::now();
        dataset::seed(&runtime, &sales, seeded, size).await?;
        println!(
            "\n### {size} records (seeded {} in {:.1} s)",
            size.saturating_sub(seeded),
            started.elapsed().as_secs_f64()
        );
        seeded = seeded.max(size);
        measure_submissions(server.addr, echo, &cookie, &raw, &sales, args.ops).await?;
        measure_list(server.addr, echo, &cookie, &raw, &sales, args.ops).await?;
    }
    let _ = server.shutdown.send(());
    let _ = server.handle.await;
    raw.close().await;
    Ok(())
}

async fn login(addr: SocketAddr) -> anyhow::Result<String> {
    let mut conn = http::Conn::open(addr).await?;
    let body = json!({"username": "sales1", "password": PASSWORD}).to_string();
    // The reply's cookie is read from a raw response, so use a dedicated request here.
    let reply = conn
        .request("POST", "/api/v1/session", &[("Content-Type", "application/json")], body.as_bytes())
        .await?;
    if reply.status != 200 {
        bail!("login failed: {}", String::from_utf8_lossy(&reply.body));
    }
    conn.last_cookie().context("login set no session cookie")
}

async fn measure_submissions(
    server: SocketAddr,
    echo: SocketAddr,
    cookie: &str,
    raw: &raw::Pool,
    sales: &formwork_store::User,
    ops: usize,
) -> anyhow::Result<()> {
    let mut ours_conn = http::Conn::open(server).await?;
    let mut echo_conn = http::Conn::open(echo).await?;
    let headers = [("Content-Type", "application/json"), ("Cookie", cookie)];
    let (mut ours, mut floor_db, mut floor_http) = (Samples::default(), Samples::default(), Samples::default());
    let warmup = ops / 10;
    for i in 0..ops + warmup {
        let data = dataset::project(1_000_000 + i);
        let body = data.to_string();

        let t = Instant::now();
        let reply = ours_conn.request("POST", RECORDS, &headers, body.as_bytes()).await?;
        let d_ours = t.elapsed();
        if reply.status != 201 {
            bail!("submission failed ({}): {}", reply.status, String::from_utf8_lossy(&reply.body));
        }
        let t = Instant::now();
        raw.insert_record(sales, &data).await?;
        let d_raw = t.elapsed();
        let t = Instant::now();
        let reply = echo_conn.request("POST", "/echo", &headers, body.as_bytes()).await?;
        let d_echo = t.elapsed();
        if reply.status != 200 {
            bail!("echo failed");
        }
        if i >= warmup {
            ours.push(d_ours);
            floor_db.push(d_raw);
            floor_http.push(d_echo);
        }
    }
    let floor_rate = 1.0 / (1.0 / floor_db.rate() + 1.0 / floor_http.rate());
    println!(
        "submit     ours {:>8.0}/s  (p50 {})  raw tx {:>8.0}/s  echo {:>8.0}/s  floor {:>8.0}/s  ratio {:>5.1}%",
        ours.rate(),
        ms(ours.p50()),
        floor_db.rate(),
        floor_http.rate(),
        floor_rate,
        100.0 * ours.rate() / floor_rate
    );
    Ok(())
}

async fn measure_list(
    server: SocketAddr,
    echo: SocketAddr,
    cookie: &str,
    raw: &raw::Pool,
    sales: &formwork_store::User,
    ops: usize,
) -> anyhow::Result<()> {
    let mut ours_conn = http::Conn::open(server).await?;
    let mut echo_conn = http::Conn::open(echo).await?;
    let path = format!("{RECORDS}?filter=region:eq:%E5%8D%8E%E4%B8%9C&limit=20");
    let headers = [("Cookie", cookie)];
    let (mut ours, mut raw_sql, mut floor_http) = (Samples::default(), Samples::default(), Samples::default());
    let warmup = ops / 10;
    for i in 0..ops + warmup {
        let t = Instant::now();
        let reply = ours_conn.request("GET", &path, &headers, b"").await?;
        let d_ours = t.elapsed();
        if reply.status != 200 {
            bail!("list failed ({}): {}", reply.status, String::from_utf8_lossy(&reply.body));
        }
        let t = Instant::now();
        let rows = raw.first_page(sales, "华东", 21).await?;
        let d_raw = t.elapsed();
        let t = Instant::now();
        echo_conn.request("POST", "/echo", &headers, &reply.body).await?;
        let d_echo = t.elapsed();
        if rows == 0 {
            bail!("the raw list found nothing: the dataset is wrong");
        }
        if i >= warmup {
            ours.push(d_ours);
            raw_sql.push(d_raw);
            floor_http.push(d_echo);
        }
    }
    let extra = ours.p50().saturating_sub(raw_sql.p50() + floor_http.p50());
    println!(
        "list p50   ours {}  raw SQL {}  echo of the page {}  ours − (raw + echo) = {}",
        ms(ours.p50()),
        ms(raw_sql.p50()),
        ms(floor_http.p50()),
        ms(extra)
    );
    Ok(())
}

/// A bare axum server that answers every POST /echo with its body.
async fn spawn_echo() -> anyhow::Result<SocketAddr> {
    let app = axum::Router::new().route("/echo", axum::routing::post(|body: axum::body::Bytes| async move { body }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}

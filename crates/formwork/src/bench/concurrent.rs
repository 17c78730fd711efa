//! Concurrent mode: `clients` connections at once, each sending its share of requests one
//! after another, against the same server and dataset as the sequential lines. What counts is
//! throughput (requests per second of wall time) and the CPU and store calls it took.

use std::time::Instant;

use anyhow::bail;
use serde_json::json;

use super::cost::process_cpu;
use super::lines::Lines;
use super::{PLAIN_RECORDS, RECORDS, dataset, http};

/// One request of a concurrent run: path and body.
type Request = (String, Vec<u8>);

/// Submissions (plain, then with the approval), then decisions on the tasks just created.
pub async fn measure(lines: &Lines<'_>, clients: usize) -> anyhow::Result<()> {
    let ops = lines.ops.max(clients);
    let bodies = |offset: usize| -> Vec<Vec<u8>> {
        (0..ops)
            .map(|i| {
                let mut data = dataset::project(2_000_000 + offset + i);
                data["amount"] = json!(format!("{}.00", 1000 + i % 40_000));
                data["region"] = json!("华南");
                data.to_string().into_bytes()
            })
            .collect()
    };
    let sales = lines.actors.sales_cookie.as_str();
    let plain = bodies(0);
    run(
        lines,
        clients,
        sales,
        PLAIN_RECORDS,
        plain,
        201,
        "submit     ",
    )
    .await?;
    writer_ceiling(lines, ops).await?;
    let flow = bodies(ops);
    run(lines, clients, sales, RECORDS, flow, 201, "submit+flow").await?;
    // The newest open tasks of the manager: those the submissions above just created.
    let mut tasks = lines.open_task_ids().await?;
    tasks.truncate(ops);
    if tasks.len() < clients {
        bail!("only {} open tasks to decide", tasks.len());
    }
    let body = json!({"action": "approve", "comment": "同意"}).to_string();
    let decisions = tasks
        .iter()
        .map(|t| {
            (
                format!("/api/v1/tasks/{t}/decide"),
                body.clone().into_bytes(),
            )
        })
        .collect();
    let manager = lines.actors.manager_cookie.as_str();
    run_paths(lines, clients, manager, decisions, 200, "decide     ").await
}

/// Per transaction in the ceiling line: group commit's largest batch.
const CEILING_BATCH: usize = 64;

/// The raw statements of a plain submission, [`CEILING_BATCH`] to a transaction on one
/// connection: what one writer running our SQL could take with no HTTP, JSON, validation or
/// hand-offs between requests. Group commit on SQLite cannot pass this.
async fn writer_ceiling(lines: &Lines<'_>, ops: usize) -> anyhow::Result<()> {
    let datas: Vec<_> = (0..ops).map(|i| dataset::project(3_000_000 + i)).collect();
    let cpu_before = process_cpu();
    let started = Instant::now();
    let owner = &lines.actors.sales;
    lines
        .raw
        .insert_batches(owner, &datas, CEILING_BATCH)
        .await?;
    let wall = started.elapsed();
    let cpu = process_cpu().saturating_sub(cpu_before);
    println!(
        "submit raw, {CEILING_BATCH} per transaction on one connection: {:>7.0}/s ({ops} in {:.2} s; CPU {:.3} ms per submission): the ceiling of one writer running our statements",
        ops as f64 / wall.as_secs_f64(),
        wall.as_secs_f64(),
        cpu.as_secs_f64() * 1000.0 / ops as f64,
    );
    Ok(())
}

async fn run(
    lines: &Lines<'_>,
    clients: usize,
    cookie: &str,
    path: &str,
    bodies: Vec<Vec<u8>>,
    expect: u16,
    label: &str,
) -> anyhow::Result<()> {
    let requests = bodies
        .into_iter()
        .map(|body| (path.to_owned(), body))
        .collect();
    run_paths(lines, clients, cookie, requests, expect, label).await
}

/// Sends `requests` (path, body) as POSTs over `clients` connections at once.
async fn run_paths(
    lines: &Lines<'_>,
    clients: usize,
    cookie: &str,
    requests: Vec<Request>,
    expect: u16,
    label: &str,
) -> anyhow::Result<()> {
    let n = requests.len();
    let mut shares: Vec<Vec<Request>> = vec![Vec::new(); clients];
    for (i, r) in requests.into_iter().enumerate() {
        shares[i % clients].push(r);
    }
    let mut conns = Vec::with_capacity(clients);
    for _ in 0..clients {
        conns.push(http::Conn::open(lines.server).await?);
    }
    let mut meter = lines.meter().await?;
    let mark = meter.mark();
    let cpu_before = process_cpu();
    let started = Instant::now();
    let mut handles = Vec::new();
    for (mut conn, share) in conns.into_iter().zip(shares) {
        let cookie = cookie.to_owned();
        handles.push(tokio::spawn(async move {
            let headers = [
                ("Content-Type", "application/json"),
                ("Cookie", cookie.as_str()),
            ];
            for (path, body) in share {
                let reply = conn.request("POST", &path, &headers, &body).await?;
                if reply.status != expect {
                    bail!(
                        "{path} answered {}: {}",
                        reply.status,
                        String::from_utf8_lossy(&reply.body)
                    );
                }
            }
            anyhow::Ok(())
        }));
    }
    for h in handles {
        h.await??;
    }
    let wall = started.elapsed();
    let cpu = process_cpu().saturating_sub(cpu_before);
    meter.stop_n(mark, n);
    println!(
        "{label} × {clients} clients: {:>7.0}/s ({n} requests in {:.2} s; CPU {:.3} ms per request, clients included)",
        n as f64 / wall.as_secs_f64(),
        wall.as_secs_f64(),
        cpu.as_secs_f64() * 1000.0 / n as f64,
    );
    println!("{}", meter.summary());
    Ok(())
}
